//! The thread's spare tapes and a panic hook (in the `panic_hook` test binary: the hook is
//! global to the process). While `reverse::gradient` on `Var<f64>` unwinds from a panic in the user's function,
//! a hook runs the free drivers of other scalar types on the same thread: they must work (no
//! thread-local borrowed across user code, no tape in use handed out again), and afterwards the
//! `f64` driver must give right results on its next calls.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};

use nilpotent::reverse::{self, Tape, Var};
use num_traits::Float;

static FROM_HOOK: AtomicU64 = AtomicU64::new(0);

fn cube<T: Float>(x: &[T]) -> T {
    x[0] * x[0] * x[0] + x[1]
}

#[test]
fn free_drivers_inside_a_panic_hook_and_after_the_panic() {
    let _hook = crate::one_hook_at_a_time();
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {
        // f32 gradient and a Var<Dual<f64, 8>> Hessian while the Var<f64> recording unwinds
        let (_, g) = reverse::gradient(cube, &[2.0f32, 1.0]);
        let (_, _, h) = reverse::hessian(cube, &[2.0, 1.0]);
        FROM_HOOK.store(
            (g[0] as f64 + h[(0, 0)]).to_bits(), // 12 + 12
            Ordering::SeqCst,
        );
    }));
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        reverse::gradient(
            |x: &[Var<f64>]| {
                let y = x[0] * x[1];
                if y.value() > 0.0 {
                    panic!("user panic");
                }
                y
            },
            &[1.0, 2.0],
        )
    }));
    panic::set_hook(default_hook);
    assert!(outcome.is_err());
    assert_eq!(f64::from_bits(FROM_HOOK.load(Ordering::SeqCst)), 24.0);
    for k in 0..3 {
        let x = [1.5 + k as f64, -2.0];
        assert_eq!(reverse::gradient(cube, &x), Tape::new().gradient(cube, &x));
    }
}
