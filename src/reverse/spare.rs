//! The thread's spare tapes behind the free `reverse::*` functions.
//!
//! A tape keeps the capacity of its buffers (nodes, adjoints, inputs, the Hessian's seeded inputs)
//! from one recording to the next, so a reused tape allocates nothing once it has grown to the
//! function's size. The free functions get a tape from [`with_thread_tape`], which keeps one spare
//! tape per scalar type and thread: a first call pays for growing it, later calls do not.

use core::any::Any;
use core::cell::RefCell;

use num_traits::Float;

use super::Tape;

/// A spare tape larger than this (in nodes) is dropped instead of kept by the thread, so that one
/// huge recording does not pin its memory for the life of the thread (2²⁰ nodes: 24 MiB for
/// `f64`). Above that size, allocating is cheap next to recording anyway.
const MAX_SPARE_NODES: usize = 1 << 20;

thread_local! {
    /// The thread's spare tapes, at most one per scalar type (a `Box<Tape<T>>` each). A tape is
    /// taken out while a driver uses it, so a nested or recursive driver call, or one made by a
    /// panic hook, never sees a tape in use: it finds no spare and makes a new one.
    static SPARE: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// Runs `body` on this thread's spare tape of `T` (a new one if there is none) and keeps the tape
/// for the next call afterwards.
///
/// No borrow of the thread-local is alive while `body` (user code) runs: the tape is moved out
/// before and back in after. If `body` panics, the tape is dropped while unwinding and the next
/// call starts with a new one, so a panic can leave no half-used tape behind.
pub(crate) fn with_thread_tape<T: Float + 'static, R>(body: impl FnOnce(&mut Tape<T>) -> R) -> R {
    let mut tape = take_spare::<T>().unwrap_or_else(|| Box::new(Tape::new()));
    let out = body(&mut tape);
    keep_spare(tape);
    out
}

/// Takes this thread's spare tape of `T` out of the list, if there is one (none while the
/// thread-local is being destroyed).
fn take_spare<T: Float + 'static>() -> Option<Box<Tape<T>>> {
    SPARE
        .try_with(|spare| {
            let mut spare = spare.try_borrow_mut().ok()?;
            let i = spare.iter().position(|t| t.is::<Tape<T>>())?;
            spare.swap_remove(i).downcast::<Tape<T>>().ok()
        })
        .ok()
        .flatten()
}

/// Keeps `tape` as this thread's spare tape of `T` (replacing one that a nested call left there).
fn keep_spare<T: Float + 'static>(tape: Box<Tape<T>>) {
    if tape.capacity() > MAX_SPARE_NODES {
        return;
    }
    let replaced = SPARE
        .try_with(|spare| {
            let mut spare = spare.try_borrow_mut().ok()?;
            match spare.iter_mut().find(|t| t.is::<Tape<T>>()) {
                Some(slot) => Some(core::mem::replace(slot, tape as Box<dyn Any>)),
                None => {
                    spare.push(tape);
                    None
                }
            }
        })
        .ok()
        .flatten();
    drop(replaced); // after the borrow has ended
}
