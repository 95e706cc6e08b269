//! A panic hook is user code that runs *during* a panic, on the panicking thread, before unwinding.
//! If the tape panicked while it held a `&mut` to the active recording (a foreign variable, a full
//! tape), a hook that records an operation made a second `&mut` to the same recording: undefined
//! behaviour reachable from safe code. The tape now makes every check that can panic before it
//! forms a reference. This test sets such a hook; it is in the `panic_hook` test binary because the
//! panic hook is global to the process. Run it under Miri (`cargo +nightly miri test --test
//! panic_hook -- reverse_`) to check the aliasing itself, not only that nothing crashes.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, Ordering};

use nilpotent::reverse::{Tape, Var};

/// Set by the hook to the value it recorded (as `f32` bits), so the test can see that it ran.
static RECORDED_IN_HOOK: AtomicU32 = AtomicU32::new(0);

#[test]
fn panic_hook_that_records_during_a_foreign_variable_panic() {
    let _hook = crate::one_hook_at_a_time();
    let mut other = Tape::new();
    let foreign: Var<f64> = other.record(&[5.0], |x| x[0]);

    let mut tape = Tape::new();
    let default_hook = panic::take_hook();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        tape.record(&[2.0], |x| {
            let x0 = x[0];
            // the hook multiplies a variable of the active recording: a new node on the tape
            panic::set_hook(Box::new(move |_| {
                let y = x0 * x0;
                RECORDED_IN_HOOK.store((y.value() as f32).to_bits(), Ordering::SeqCst);
            }));
            x0 * foreign // a variable of another tape: panics
        })
    }));
    panic::set_hook(default_hook);

    let msg = *outcome
        .expect_err("a foreign variable was accepted")
        .downcast::<String>()
        .unwrap();
    assert!(msg.contains("another tape"), "{msg}");
    assert_eq!(
        f32::from_bits(RECORDED_IN_HOOK.load(Ordering::SeqCst)),
        4.0,
        "the hook did not record x·x = 4"
    );
    // the tape is usable afterwards
    let (value, grad) = tape.gradient(|x| x[0] * x[1], &[3.0, 4.0]);
    assert_eq!((value, grad), (12.0, vec![4.0, 3.0]));
}
