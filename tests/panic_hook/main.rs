//! Panic hooks that record or differentiate while a recording unwinds: one test binary, because
//! the panic hook is global to the process. Its tests set the hook one at a time
//! ([`one_hook_at_a_time`]), so they share the process without seeing each other's hook.
//!
//! Run the reverse-mode ones under Miri (`cargo +nightly miri test --test panic_hook --
//! reverse_`) to check the aliasing itself, not only that nothing crashes.

use std::sync::{Mutex, MutexGuard};

mod graph;
mod reverse_reuse;
mod reverse_tape;

/// Held by each test for as long as it sets, uses and restores the process's panic hook.
fn one_hook_at_a_time() -> MutexGuard<'static, ()> {
    static HOOK: Mutex<()> = Mutex::new(());
    // a failed test (a panic while holding the guard) must not fail the others
    HOOK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
