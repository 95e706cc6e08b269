//! A panic hook is user code that runs *during* a panic, on the panicking thread, before
//! unwinding, while the recording is still active. Graph mode reports a `Sym` of another recording
//! only after it has released the thread's recording state, so a hook that records an operation
//! on the active recording works (no "already borrowed" panic inside the panic, which would
//! abort), and the recording is abandoned cleanly afterwards. It is in the `panic_hook` test binary
//! because the panic hook is global to the process (as `reverse_tape` for the tape).

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};

use nilpotent::graph::{Graph, Sym};

/// Set by the hook to the value it recorded, so the test can see that it ran.
static RECORDED_IN_HOOK: AtomicU64 = AtomicU64::new(0);

#[test]
fn panic_hook_that_records_during_a_foreign_sym_panic() {
    let _hook = crate::one_hook_at_a_time();
    let mut foreign = None::<Sym>;
    let _ = Graph::record(&[5.0], |x| {
        foreign = Some(x[0]);
        x[0]
    });
    let foreign = foreign.unwrap();

    let default_hook = panic::take_hook();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        Graph::record(&[2.0], |x| {
            let x0 = x[0];
            // the hook multiplies a Sym of the active recording: a new node in its graph
            panic::set_hook(Box::new(move |_| {
                let y = x0 * x0;
                RECORDED_IN_HOOK.store(y.value().to_bits(), Ordering::SeqCst);
            }));
            x0 * foreign // a Sym of another recording: panics
        })
    }));
    panic::set_hook(default_hook);

    let msg = *outcome
        .expect_err("a foreign Sym was accepted")
        .downcast::<String>()
        .unwrap();
    assert!(msg.contains("another graph recording"), "{msg}");
    assert_eq!(
        f64::from_bits(RECORDED_IN_HOOK.load(Ordering::SeqCst)),
        4.0,
        "the hook did not record x·x = 4"
    );
    // the abandoned recording is gone: this thread records and evaluates as before
    let g = Graph::record(&[3.0, 4.0], |x| x[0] * x[1]).gradient();
    assert_eq!(g.eval(&[3.0, 4.0]).unwrap(), vec![12.0, 4.0, 3.0]);
}
