//! The tape: a flat list of nodes, one per recorded operation, and the backward sweep.
//!
//! # Design
//!
//! A recorded variable ([`Var`]) must be `Copy`, `'static` (so that it can be a nalgebra matrix
//! entry) and implement [`Float`], whose methods take no tape argument. So the operation being
//! recorded has to find its tape by itself: while [`Tape::record`] runs the user's closure, the
//! tape's recording is published in a thread-local list of active recordings (its scalar type and
//! a pointer to it; the innermost one is cached for a one-comparison lookup), and removed when the
//! closure returns or unwinds. So
//!
//! - two threads record independent tapes at the same time (each has its own list);
//! - a tape that is reused keeps its buffers' capacity: after the first evaluation a loop of
//!   gradient evaluations allocates nothing;
//! - Rust has no generic thread-locals; the list is keyed by `TypeId`, so any scalar type works
//!   (`f64`, `f32`, `Dual<f64, N>` for forward over reverse), and recordings of different types
//!   can nest (one of each type at a time).
//!
//! Every recording gets a fresh id from a global 64-bit counter, and every variable carries the id
//! of the recording it belongs to. An operation on a variable whose id is not the active
//! recording's (another tape, or the same tape before [`Tape::record`] started over) panics with a
//! message that says so, instead of silently reading a wrong node. The counter does not wrap in
//! practice (at one recording per nanosecond, 2⁶⁴ ids last 584 years), so an id is never reused
//! and a stale variable is always caught; it costs 8 bytes in each [`Var`] (24 bytes for `f64`).
//!
//! **No reference into the recording is alive while user code can run.** The active recording is
//! reached through a raw pointer. Every check that can panic (a foreign variable, a full tape)
//! is made before a `&mut` to the recording is formed, and the `&mut` lives only across a
//! `Vec::push` into capacity reserved beforehand, which neither panics nor calls out. So a panic
//! hook (user code that runs *during* a panic) may itself record operations without ever creating
//! a second `&mut` to the same recording.
//!
//! A node stores two parent indices (`u32`) and the two local partials: 24 bytes for `f64`.
//! Node 0 is a sink that the unused parent slot of a one-parent node points to (with partial 0),
//! so the backward sweep has no branch per parent; inputs are nodes 1..=n; constants are not
//! recorded at all.

use core::any::TypeId;
use core::cell::{Cell, RefCell};
use core::fmt;
use core::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use num_traits::Float;

use super::var::{Var, lhs_identity, rhs_identity};
use crate::base::rules::{Binary, Unary};

/// The index of a constant [`Var`] (no node).
pub(crate) const NO_ENTRY: u32 = u32::MAX;

/// Node 0 of every recording is a sink: the unused parent slot of a one-parent node points to it
/// with partial 0, so the backward sweep adds to both parents without a branch. Its adjoint is
/// never read.
pub(crate) const SINK: u32 = 0;

/// One recorded operation: up to two parents and the local partial derivative towards each.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TapeEntry<T> {
    pub(crate) parents: [u32; 2],
    pub(crate) partials: [T; 2],
}

/// What a node computed, kept only while tracing (for [`Tape::trace`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op<T> {
    Input,
    Unary(Unary),
    Binary(Binary),
    /// A binary rule whose second argument is the constant.
    BinaryConstRhs(Binary, T),
    /// A binary rule whose first argument is the constant.
    BinaryConstLhs(Binary, T),
    /// The product `x·a` inside `x.mul_add(a, b)`.
    MulAddProduct,
    /// The sum that completes `x.mul_add(a, b)` (rounded once).
    MulAddSum,
    /// A custom rule ([`crate::custom`]) by name: its first node (`true`), or a further node of a
    /// rule with more than two operands, which adds one operand to the previous node.
    Custom(&'static str, bool),
}

/// The nodes of one recording, and its id.
#[derive(Debug)]
pub(crate) struct TapeRecording<T> {
    pub(crate) id: u64,
    pub(crate) nodes: Vec<TapeEntry<T>>,
    tracing: bool,
    /// `(operation, value)` of each node, filled only while `tracing`.
    pub(crate) trace: Vec<(Op<T>, T)>,
}

impl<T> TapeRecording<T> {
    const fn empty() -> Self {
        TapeRecording {
            id: 0,
            nodes: Vec::new(),
            tracing: false,
            trace: Vec::new(),
        }
    }
}

/// Appends a node to the recording behind `rec`; returns its index and whether the recording is
/// traced.
///
/// # Safety
/// `rec` points to a live `TapeRecording<T>` to which no reference exists during the call.
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn push<T>(rec: NonNull<TapeRecording<T>>, node: TapeEntry<T>) -> (u32, bool) {
    // SAFETY: by the caller's guarantee no other reference to `*rec` exists. The `&mut` is not
    // used across `grow` (which may panic): it is made again afterwards.
    let mut r = unsafe { &mut *rec.as_ptr() };
    if r.nodes.len() == r.nodes.capacity() {
        // SAFETY: as above; `grow` makes its checks (which may panic) before any reference.
        unsafe { grow(rec) };
        r = unsafe { &mut *rec.as_ptr() };
    }
    // a push into reserved capacity: no reallocation, no panic
    let index = r.nodes.len();
    r.nodes.push(node);
    (index as u32, r.tracing)
}

/// Makes room for more nodes (kept out of the hot path). Indices must stay below `NO_ENTRY`.
///
/// # Safety
/// As for [`push`].
#[cold]
#[inline(never)]
#[allow(unsafe_code)]
unsafe fn grow<T>(rec: NonNull<TapeRecording<T>>) {
    // SAFETY: no other reference to `*rec` exists (caller); this one is dropped at once.
    let len = unsafe { rec.as_ref().nodes.len() };
    if len >= NO_ENTRY as usize {
        tape_full(len);
    }
    // SAFETY: as above; `try_reserve` neither panics nor calls out while the `&mut` lives.
    let reserved = unsafe { (*rec.as_ptr()).nodes.try_reserve(len.max(64)) };
    if let Err(e) = reserved {
        panic!("nilpotent::reverse: cannot grow the tape beyond {len} nodes: {e}");
    }
}

#[cold]
#[inline(never)]
fn tape_full(len: usize) -> ! {
    panic!("nilpotent::reverse: the tape is full ({len} nodes)")
}

#[cold]
#[inline(never)]
pub(crate) fn foreign_variable(var_tape: u64, active: u64) -> ! {
    panic!(
        "nilpotent::reverse: a variable from another tape, or from an earlier recording of this tape \
         (before it was reset), was used in the current recording (variable's recording #{var_tape}, \
         active recording #{active}); create variables inside the closure passed to Tape::record"
    )
}

#[cold]
#[inline(never)]
fn no_recording(type_name: &str) -> ! {
    panic!(
        "nilpotent::reverse: an operation on a recorded Var<{type_name}> happened outside of a \
         recording (no tape is recording Var<{type_name}> on this thread); variables are only valid \
         inside the closure passed to Tape::record or to the reverse drivers"
    )
}

thread_local! {
    /// The recordings active on this thread, innermost last: the recording's scalar type and a
    /// pointer to it. Changed only by [`Activation`] (when [`Tape::record`] starts and ends).
    static ACTIVE: RefCell<Vec<(TypeId, NonNull<()>)>> = const { RefCell::new(Vec::new()) };
    /// A copy of the innermost entry of `ACTIVE`, read by every recorded operation. The pointer is
    /// a `NonNull` so that `None` is the null pointer, not a separate tag to test.
    static INNERMOST: Cell<Option<(TypeId, NonNull<()>)>> = const { Cell::new(None) };
}

/// The recording of `T` that is active on this thread.
///
/// The usual case — the innermost active recording has type `T` — costs one thread-local read and
/// a type-id comparison. Otherwise (an operation of an outer recording inside an inner recording of
/// another type, or no recording at all) the cold path searches the list or panics.
///
/// The pointer was published by `Activation::new` from the `&mut TapeRecording<T>` of a `Tape::record`
/// call that is still running on this thread (the entry is removed by `Activation`'s `Drop` before
/// `record` returns or unwinds), so it points to a live `TapeRecording<T>` (the type id was compared
/// here or in `find_active`). `record` holds the `&mut Tape` for its whole duration and uses
/// neither the recording nor the pointer while the user's closure runs, and the thread-local is
/// never shared with another thread: every reference to the recording is made from this pointer,
/// by `push_node`, `push` and `grow`, none of which is alive when another can be made.
#[inline(always)]
fn active<T: Float + 'static>() -> NonNull<TapeRecording<T>> {
    let ptr = match INNERMOST.with(Cell::get) {
        Some((id, ptr)) if id == TypeId::of::<T>() => ptr,
        _ => find_active::<T>(),
    };
    ptr.cast::<TapeRecording<T>>()
}

/// The active recording of `T` when it is not the innermost one; panics if there is none.
#[cold]
#[inline(never)]
fn find_active<T: Float + 'static>() -> NonNull<()> {
    let found = ACTIVE.with(|active| {
        let active = active.borrow();
        active
            .iter()
            .rev()
            .find(|(id, _)| *id == TypeId::of::<T>())
            .map(|&(_, ptr)| ptr)
    });
    // the borrow of ACTIVE has ended: a panic hook may record operations
    found.unwrap_or_else(|| no_recording(core::any::type_name::<T>()))
}

/// Publishes a recording as the active one of its type on this thread, for as long as it lives.
///
/// Using raw pointers here (the only `unsafe` of the tape, in `push_node`, `push`, `grow` and
/// `push_trace`) pays: the safe design it replaced moved the recording into a `RefCell` in a
/// thread-local and paid a `RefCell` borrow and an out-of-line `LocalKey::with` call per recorded
/// operation — about 30 % more instructions per node (callgrind, 1024-input Rosenbrock gradient;
/// see BENCHMARKS.md).
struct Activation {
    ptr: NonNull<()>,
}

impl Activation {
    /// # Panics
    /// If this thread already has an active recording of `T`.
    fn new<T: Float + 'static>(rec: &mut TapeRecording<T>) -> Activation {
        let ptr = NonNull::from(rec).cast::<()>();
        let started = ACTIVE.with(|active| {
            let mut active = active.borrow_mut();
            if active.iter().any(|(id, _)| *id == TypeId::of::<T>()) {
                return false;
            }
            active.push((TypeId::of::<T>(), ptr));
            INNERMOST.with(|innermost| innermost.set(active.last().copied()));
            true
        });
        // panic only after the borrow of ACTIVE has ended (a panic hook may record operations)
        assert!(
            started,
            "nilpotent::reverse: this thread is already recording a tape of Var<{}>; nested \
             recordings need different scalar types",
            core::any::type_name::<T>()
        );
        Activation { ptr }
    }
}

impl Drop for Activation {
    fn drop(&mut self) {
        ACTIVE.with(|active| {
            let mut active = active.borrow_mut();
            // activations end in the reverse order of their start (each lives in one `record` call)
            let last = active.pop();
            debug_assert_eq!(last.map(|(_, p)| p), Some(self.ptr));
            INNERMOST.with(|innermost| innermost.set(active.last().copied()));
        });
    }
}

/// Records a node with one parent `x`. A constant `x`, or an exactly zero partial `d` (no
/// dependence: `floor`, the losing side of `max`, a product with 0), gives a constant result and
/// no node, as forward mode gives a constant.
///
/// Only a plain float partial is known to be zero from its value: over dual numbers a partial
/// with value 0 may carry a higher derivative, so it is recorded and the sweep applies the ⊙
/// rule to it (see `crate::zero`).
#[inline(always)]
pub(crate) fn record1<T: Float + 'static>(x: Var<T>, value: T, d: T, op: Op<T>) -> Var<T> {
    if x.is_constant() || zero_partial(d) {
        return Var::constant(value);
    }
    push_node(x, d, x, T::zero(), SINK, value, op)
}

/// Records a node with parents `x` and `y`; a constant parent, or one whose partial is exactly
/// zero, is left out of the node.
#[inline(always)]
pub(crate) fn record2<T: Float + 'static>(
    x: Var<T>,
    y: Var<T>,
    value: T,
    dx: T,
    dy: T,
    op: Op<T>,
) -> Var<T> {
    let x_live = !x.is_constant() && !zero_partial(dx);
    let y_live = !y.is_constant() && !zero_partial(dy);
    // One inlined `push_node` for the three cases that record a node, their operands chosen
    // first: with one copy per case, forward over reverse through nalgebra's unrolled 4 × 4
    // inverse (`Var<Dual<f64, 8>>`) compiled three copies of the node's write per operation.
    let (a, da, b, db, second) = match (x_live, y_live) {
        (true, true) => (x, dx, y, dy, y.index),
        // an operation with a constant that is an exact identity (`x·1`, `x + (−0)`…) is `x`
        // itself: no node. Tested only here, off the path of two recorded operands.
        (true, false) if y.is_constant() && identity_rhs(&op, &y.value()) => return x,
        (true, false) => (x, dx, x, T::zero(), SINK),
        (false, true) if x.is_constant() && identity_lhs(&op, &x.value()) => return y,
        (false, true) => (y, dy, y, T::zero(), SINK),
        (false, false) => return Var::constant(value),
    };
    push_node(a, da, b, db, second, value, op)
}

/// True if the partial `d` is known to be exactly zero, so that no node needs it: its value is 0
/// and it is a plain float (over dual numbers a zero value may carry a higher derivative).
#[inline(always)]
pub(crate) fn zero_partial<T: Float>(d: T) -> bool {
    crate::base::zero::plain::<T>() && d.is_zero()
}

/// True if `op` with the constant second operand `c` is the identity (see `var::rhs_identity`).
#[inline(always)]
fn identity_rhs<T: Float + 'static>(op: &Op<T>, c: &T) -> bool {
    match *op {
        Op::Binary(b) => rhs_identity(b, c),
        _ => false,
    }
}

/// True if `op` with the constant first operand `c` is the identity (see `var::lhs_identity`).
#[inline(always)]
fn identity_lhs<T: Float + 'static>(op: &Op<T>, c: &T) -> bool {
    match *op {
        Op::Binary(b) => lhs_identity(b, c),
        _ => false,
    }
}

/// Appends the node (parents `x.index` and `second`, partials `dx`, `dy`) to the active recording,
/// after checking that `x` and `y` belong to it (`y` is `x` again for a one-parent node).
///
/// Only the node and the two recording ids go into the thread-local access (moved, not borrowed,
/// which halves the instructions of a recorded operation); the trace (off by default) is written
/// by a second, cold access.
#[inline(always)]
fn push_node<T: Float + 'static>(
    x: Var<T>,
    dx: T,
    y: Var<T>,
    dy: T,
    second: u32,
    value: T,
    op: Op<T>,
) -> Var<T> {
    let node = TapeEntry {
        parents: [x.index, second],
        partials: [dx, dy],
    };
    let rec = active::<T>();
    // SAFETY: `rec` is the active recording (see `active`), and no reference to it is alive: this
    // reads one field through the raw pointer without forming a reference.
    #[allow(unsafe_code)]
    let id = unsafe { (*rec.as_ptr()).id };
    if (x.tape != id) | (y.tape != id) {
        foreign_variable(if x.tape != id { x.tape } else { y.tape }, id);
    }
    // SAFETY: as above; no reference to the recording exists during the call.
    #[allow(unsafe_code)]
    let (index, tracing) = unsafe { push(rec, node) };
    if tracing {
        push_trace(rec, op, value);
    }
    Var::recorded(value, index, id)
}

/// The active recording of `T` on this thread, if any (unlike [`active`], no panic without one).
fn try_active<T: Float + 'static>() -> Option<NonNull<TapeRecording<T>>> {
    let ptr = match INNERMOST.with(Cell::get) {
        Some((id, ptr)) if id == TypeId::of::<T>() => Some(ptr),
        _ => ACTIVE.with(|active| {
            let active = active.borrow();
            active
                .iter()
                .rev()
                .find(|(id, _)| *id == TypeId::of::<T>())
                .map(|&(_, ptr)| ptr)
        }),
    };
    ptr.map(NonNull::cast::<TapeRecording<T>>)
}

/// The id, the number of nodes and the tracing flag of the active recording of `T`, if any: for
/// the loops of [`super::loops`], which record a step, read its nodes and cut them off again.
pub(crate) fn active_recording<T: Float + 'static>() -> Option<(u64, usize, bool)> {
    let rec = try_active::<T>()?;
    // SAFETY: `rec` is the active recording (see `active`); no reference to it is alive (no user
    // code is running in this function), and these reads through the pointer end at once.
    #[allow(unsafe_code)]
    let state = unsafe {
        let r = rec.as_ptr();
        ((*r).id, (*r).nodes.len(), (*r).tracing)
    };
    Some(state)
}

/// Appends a node without parents (an input of a loop's step, like a tape input) with value
/// `value` to the active recording of `T`.
pub(crate) fn push_leaf<T: Float + 'static>(value: T) -> Var<T> {
    let node = TapeEntry {
        parents: [SINK, SINK],
        partials: [T::zero(); 2],
    };
    let rec = active::<T>();
    // SAFETY: as in `push_node`.
    #[allow(unsafe_code)]
    let id = unsafe { (*rec.as_ptr()).id };
    // SAFETY: as in `push_node`.
    #[allow(unsafe_code)]
    let (index, tracing) = unsafe { push(rec, node) };
    if tracing {
        push_trace(rec, Op::Input, value);
    }
    Var::recorded(value, index, id)
}

/// Moves the nodes from `start` on of the active recording of `T` into `out` (cleared first) and
/// cuts the recording back to `start` nodes. Nothing happens to a recording that is not traced
/// and has at most `start` nodes.
///
/// # Panics
/// If no recording of `T` is active, or it is traced (the trace would lose its rows).
pub(crate) fn cut_nodes<T: Float + 'static>(start: usize, out: &mut Vec<TapeEntry<T>>) {
    let rec = active::<T>();
    // SAFETY: as in `active_recording`.
    #[allow(unsafe_code)]
    let (len, tracing) = unsafe { ((*rec.as_ptr()).nodes.len(), (*rec.as_ptr()).tracing) };
    assert!(
        !tracing,
        "nilpotent::reverse: a traced recording cannot be cut back"
    );
    out.clear();
    let n = len.saturating_sub(start);
    // reserve before any reference to the recording exists: this may panic (or abort)
    out.reserve(n);
    // One copy of the whole range (a node-by-node copy through the pointer took 11 % of a
    // 10⁶-step `fold`'s gradient: perf, dev/examples/lorenz_memory.rs).
    // SAFETY: `rec` is live and no reference to it is alive (no user code runs here); the source
    // `nodes[start..len]` is in bounds, `out` (a different allocation) has room for `n` nodes, and
    // `TapeEntry<T>: Copy`, so the bitwise copy makes `n` valid nodes, which `set_len` then owns.
    #[allow(unsafe_code)]
    unsafe {
        if n > 0 {
            let src = (*rec.as_ptr()).nodes.as_ptr().add(start);
            core::ptr::copy_nonoverlapping(src, out.as_mut_ptr(), n);
            out.set_len(n);
        }
    }
    // SAFETY: as above; `truncate` of `Copy` nodes runs no destructor and cannot panic.
    #[allow(unsafe_code)]
    unsafe {
        (*rec.as_ptr()).nodes.truncate(start);
    }
}

/// Appends `(op, value)` to the trace of the recording behind `rec` (the active one).
#[cold]
#[inline(never)]
fn push_trace<T: Float + 'static>(rec: NonNull<TapeRecording<T>>, op: Op<T>, value: T) {
    // SAFETY: `rec` is the active recording and no reference to it is alive (see `push_node`);
    // the reservation is checked before the `&mut` that pushes is formed, and `try_reserve` does
    // not panic.
    #[allow(unsafe_code)]
    let reserved = unsafe { (*rec.as_ptr()).trace.try_reserve(1) };
    if let Err(e) = reserved {
        panic!("nilpotent::reverse: cannot grow the trace: {e}");
    }
    #[allow(unsafe_code)]
    unsafe {
        (*rec.as_ptr()).trace.push((op, value));
    }
}

/// The next recording id: never 0 (which marks "no recording"), never reused.
///
/// 64 bits cannot be exhausted in practice (2⁶⁴ recordings at one per nanosecond take 584 years),
/// so there is no check: ids are unique for the life of the process, and a variable of an old
/// recording is always told apart from the current one.
fn next_id() -> u64 {
    NEXT_TAPE_ID.fetch_add(1, Ordering::Relaxed)
}

/// The id of the next recording (see [`next_id`]).
static NEXT_TAPE_ID: AtomicU64 = AtomicU64::new(1);

/// A reusable tape for scalar type `T`: records a function evaluated on [`Var<T>`] inputs, then
/// sweeps backward to get adjoints (gradients, vector-Jacobian products).
///
/// The free functions [`gradient`](super::gradient), [`vjp`](super::vjp),
/// [`jacobian`](super::jacobian), [`hvp`](super::hvp) and [`hessian`](super::hessian) reuse a tape
/// kept by the thread; keep a `Tape` yourself and call its methods ([`Tape::gradient_into`],
/// [`Tape::jacobian_into`], [`Tape::hessian_into`]) to evaluate many derivatives without
/// allocating after the first:
///
/// ```
/// use nilpotent::reverse::Tape;
/// use num_traits::Float;
/// fn f<T: Float>(x: &[T]) -> T { x[0].ln() + x[0] * x[1] - x[1].sin() }
///
/// let mut tape = Tape::new();
/// let mut grad = [0.0; 2];
/// for step in 0..3 {
///     let x = [2.0, 5.0 + step as f64];
///     let value = tape.gradient_into(f, &x, &mut grad);
///     assert_eq!(grad[0], 1.0 / x[0] + x[1]);
///     # let _ = value;
/// }
/// ```
#[derive(Debug)]
pub struct Tape<T> {
    rec: TapeRecording<T>,
    n_inputs: usize,
    inputs: Vec<Var<T>>,
    adjoints: Vec<T>,
    /// Scratch for drivers that record several times from seeded inputs (the Hessian's), kept so
    /// that a reused tape does not allocate them again.
    pub(super) seeds: Vec<T>,
}

impl<T: Float + 'static> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float + 'static> Tape<T> {
    /// An empty tape.
    pub fn new() -> Self {
        Tape {
            rec: TapeRecording::empty(),
            n_inputs: 0,
            inputs: Vec::new(),
            adjoints: Vec::new(),
            seeds: Vec::new(),
        }
    }

    /// An empty tape with room for `nodes` recorded operations (inputs included).
    pub fn with_capacity(nodes: usize) -> Self {
        let mut tape = Self::new();
        tape.rec.nodes.reserve(nodes);
        tape.adjoints.reserve(nodes);
        tape
    }

    /// Keep (or stop keeping) each node's operation and value, for [`Tape::trace`]. Off by default:
    /// it costs memory and time on every operation.
    pub fn set_tracing(&mut self, on: bool) {
        self.rec.tracing = on;
    }

    /// The size of one node in bytes: two `u32` parent indices and two partials of type `T`
    /// (24 for `f64`). The value of a node is not stored; [`Var`] carries it.
    pub const fn bytes_per_node() -> usize {
        core::mem::size_of::<TapeEntry<T>>()
    }

    /// The number of nodes the tape has room for without growing.
    pub(super) fn capacity(&self) -> usize {
        self.rec.nodes.capacity()
    }

    /// The number of recorded nodes (inputs included).
    pub fn len(&self) -> usize {
        self.rec.nodes.len().saturating_sub(1) // not the sink
    }

    /// True if nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of inputs of the last recording.
    pub fn num_inputs(&self) -> usize {
        self.n_inputs
    }

    /// Forgets the recording (keeping the buffers' capacity). Variables of the old recording can no
    /// longer be used: an operation on one panics.
    pub fn clear(&mut self) {
        self.rec.id = 0;
        self.rec.nodes.clear();
        self.rec.trace.clear();
        self.inputs.clear();
        self.adjoints.clear();
        self.n_inputs = 0;
    }

    /// Records `f` evaluated at `x`: the inputs become the first `x.len()` nodes, every operation
    /// on them inside `f` adds a node. Returns what `f` returns (usually the output variable(s), to
    /// pass to [`Tape::backward`]). Any earlier recording of this tape is discarded.
    ///
    /// # Panics
    /// If this thread is already recording a tape of the same scalar type (nested recordings need
    /// different scalar types, e.g. `Var<Dual<f64, 1>>` inside `Var<f64>`).
    pub fn record<R>(&mut self, x: &[T], f: impl FnOnce(&[Var<T>]) -> R) -> R {
        self.clear();
        let id = next_id();
        self.rec.id = id;
        self.n_inputs = x.len();
        let no_parents = TapeEntry {
            parents: [SINK, SINK],
            partials: [T::zero(); 2],
        };
        assert!(
            x.len() < NO_ENTRY as usize - 1,
            "nilpotent::reverse: {} inputs do not fit on a tape (at most {})",
            x.len(),
            NO_ENTRY - 2
        );
        self.rec.nodes.push(no_parents); // the sink, node 0
        if self.rec.tracing {
            self.rec.trace.push((Op::Input, T::zero()));
        }
        for &xi in x {
            let index = self.rec.nodes.len() as u32;
            self.rec.nodes.push(no_parents);
            if self.rec.tracing {
                self.rec.trace.push((Op::Input, xi));
            }
            self.inputs.push(Var::recorded(xi, index, id));
        }
        // Publish the recording as this thread's active one of type T while `f` runs. From here
        // until `activation` is dropped, `self.rec` is reached only through that pointer.
        let activation = Activation::new(&mut self.rec);
        let out = f(&self.inputs);
        drop(activation);
        out
    }

    /// Sweeps backward from `output` with seed 1 and returns the adjoints of the inputs:
    /// the gradient of `output` with respect to the recorded inputs.
    ///
    /// # Panics
    /// If `output` does not belong to this tape's last recording.
    pub fn backward(&mut self, output: Var<T>) -> &[T] {
        self.backward_pass(&[output], &[T::one()]);
        self.input_adjoints()
    }

    /// Sweeps backward from the outputs `ys` with seeds `s` (adjoint `s[i]` on `ys[i]`) and returns
    /// the input adjoints: `Jᵀ·s`.
    ///
    /// # Panics
    /// If `ys` and `s` have different lengths, or an output does not belong to this tape.
    pub fn backward_seeded(&mut self, ys: &[Var<T>], s: &[T]) -> &[T] {
        assert!(
            s.len() == ys.len(),
            "vjp: the seed s has {}; expected {}, one per output of f",
            crate::base::text::count(s.len(), "entry", "entries"),
            ys.len()
        );
        self.backward_pass(ys, s);
        self.input_adjoints()
    }

    /// The adjoints of the inputs after a sweep (nodes `1..=n`); empty when nothing was recorded
    /// (a new or cleared tape has no inputs, and a constant output has no derivative).
    fn input_adjoints(&self) -> &[T] {
        self.adjoints.get(1..=self.n_inputs).unwrap_or(&[])
    }

    /// The adjoint of any variable after a sweep (0 for constants).
    pub fn adjoint(&self, v: Var<T>) -> T {
        if v.is_constant() {
            return T::zero();
        }
        self.check_own(&v);
        self.adjoints
            .get(v.index as usize)
            .copied()
            .unwrap_or_else(T::zero)
    }

    fn check_own(&self, v: &Var<T>) {
        if !v.is_constant() && v.tape != self.rec.id {
            foreign_variable(v.tape, self.rec.id);
        }
    }

    /// The backward sweep: `v̄ₚ += ∂vᵢ/∂vₚ ⊙ v̄ᵢ` for every node i from the last to the first.
    /// Nodes with a zero adjoint are skipped (over dual numbers: `⊙` by the values, see
    /// `crate::zero`), so an infinite partial on a branch that does not reach the outputs injects
    /// no NaN.
    fn backward_pass(&mut self, ys: &[Var<T>], s: &[T]) {
        let nodes = &self.rec.nodes;
        self.adjoints.clear();
        self.adjoints.resize(nodes.len(), T::zero());
        let mut last = 0;
        for (y, &si) in ys.iter().zip(s) {
            if y.is_constant() {
                continue;
            }
            if y.tape != self.rec.id {
                foreign_variable(y.tape, self.rec.id);
            }
            let i = y.index as usize;
            self.adjoints[i] = self.adjoints[i] + si;
            last = last.max(i + 1);
        }
        // inputs (1..=n) and the sink (0) have no parents: stop above them. Both slices end at
        // `last`, which lets the compiler drop most bounds checks on `adj[i]` and `nodes[i]`
        // (parents are below `i`, but that it cannot see).
        let adj = &mut self.adjoints[..last];
        let nodes = &nodes[..last];
        // For a plain float, adding `0·a` to the sink is cheaper than a branch that mispredicts
        // whenever one- and two-parent nodes alternate. For a wider `T` (a dual number on the tape,
        // for Hessians) that product is a full dual multiply-add, so skipping it pays (callgrind,
        // Hessian of Rosenbrock n = 8 on `Var<Dual<f64, 8>>`: see BENCHMARKS.md).
        let skip_sink = core::mem::size_of::<T>() > 16;
        if !const { crate::base::zero::plain::<T>() } {
            // Over dual numbers (forward over reverse) an adjoint or a partial whose value is 0
            // may carry a higher derivative (the Hessian of x·y at y = 0), so nothing is
            // skipped: each product is `partial ⊙ adjoint` by the values (`crate::zero`).
            for i in (self.n_inputs + 1..last).rev() {
                let a = adj[i];
                let TapeEntry { parents, partials } = nodes[i];
                let (p0, p1) = (parents[0] as usize, parents[1] as usize);
                adj[p0] = adj[p0] + crate::base::zero::product(partials[0], a);
                if !(skip_sink && p1 == SINK as usize) {
                    adj[p1] = adj[p1] + crate::base::zero::product(partials[1], a);
                }
            }
            return;
        }
        for i in (self.n_inputs + 1..last).rev() {
            let a = adj[i];
            if a.is_zero() {
                continue;
            }
            let TapeEntry { parents, partials } = nodes[i];
            let (p0, p1) = (parents[0] as usize, parents[1] as usize);
            adj[p0] = adj[p0] + partials[0] * a;
            // p1 = SINK with partial 0 for a one-parent node
            if !(skip_sink && p1 == SINK as usize) {
                adj[p1] = adj[p1] + partials[1] * a;
            }
        }
    }

    /// The value and gradient of `f` at `x`: one recording, one backward sweep.
    pub fn gradient<F>(&mut self, f: F, x: &[T]) -> (T, Vec<T>)
    where
        F: FnOnce(&[Var<T>]) -> Var<T>,
    {
        let y = self.record(x, f);
        let g = self.backward(y).to_vec();
        (y.value(), g)
    }

    /// Like [`Tape::gradient`], writing the gradient into `grad` (no allocation once the tape has
    /// grown to the function's size).
    ///
    /// # Panics
    /// If `grad` and `x` have different lengths.
    pub fn gradient_into<F>(&mut self, f: F, x: &[T], grad: &mut [T]) -> T
    where
        F: FnOnce(&[Var<T>]) -> Var<T>,
    {
        assert!(
            grad.len() == x.len(),
            "gradient_into: the output buffer has {}; expected {}, one per entry of x",
            crate::base::text::count(grad.len(), "entry", "entries"),
            x.len()
        );
        let y = self.record(x, f);
        grad.copy_from_slice(self.backward(y));
        y.value()
    }

    /// The tape as a table (the Wengert list): each node's operation and value and, after a sweep,
    /// its adjoint. Needs [`Tape::set_tracing`]`(true)` before recording; otherwise the table
    /// lists the nodes without operations and values.
    pub fn trace(&self) -> Trace<'_, T> {
        Trace { tape: self }
    }
}

/// The printable trace of a [`Tape`]: see [`Tape::trace`].
pub struct Trace<'a, T> {
    tape: &'a Tape<T>,
}

/// `v₋₁`, `v₀`, `v₁`, …: the lecture's numbering, inputs first, ending at `v₀`.
fn label(i: usize, n_inputs: usize) -> String {
    if i < n_inputs {
        format!("v₋{}", subscript(n_inputs - 1 - i)).replace("v₋₀", "v₀")
    } else {
        format!("v{}", subscript(i + 1 - n_inputs))
    }
}

/// `k` in subscript digits.
fn subscript(k: usize) -> String {
    k.to_string()
        .chars()
        .map(|c| char::from_u32('₀' as u32 + c.to_digit(10).unwrap()).unwrap())
        .collect()
}

impl<T: Float + fmt::Display + 'static> fmt::Display for Trace<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tape = self.tape;
        let n = tape.n_inputs;
        let nodes = &tape.rec.nodes;
        let swept = tape.adjoints.len() == nodes.len() && !nodes.is_empty();
        let prec = f.precision().unwrap_or(4);
        let mut rows = Vec::with_capacity(nodes.len());
        // node 0 is the sink; node i ≥ 1 is vᵢ₋ₙ in the lecture's numbering
        for (i, node) in nodes.iter().enumerate().skip(1) {
            let name = |k: usize| match node.parents[k] {
                SINK => "·".to_string(), // an operand left out (constant partial 0)
                p => label(p as usize - 1, n),
            };
            let entry = tape.rec.trace.get(i);
            let expr = match entry.map(|e| e.0) {
                _ if i <= n => format!("x{}", subscript(i)),
                Some(Op::Input) => "input".to_string(),
                Some(Op::Unary(Unary::Neg)) => format!("−{}", name(0)),
                Some(Op::Unary(Unary::Powi(k))) => format!("{}^{k}", name(0)),
                Some(Op::Unary(u)) => format!("{} {}", u.name(), name(0)),
                Some(Op::Binary(b)) => binary_expr(b, &name(0), &name(1)),
                Some(Op::BinaryConstRhs(b, c)) => binary_expr(b, &name(0), &format!("{c}")),
                Some(Op::BinaryConstLhs(b, c)) => binary_expr(b, &format!("{c}"), &name(0)),
                Some(Op::MulAddProduct) => format!("{} × {}", name(0), name(1)),
                Some(Op::MulAddSum) => format!("{} + {} (fused)", name(0), name(1)),
                Some(Op::Custom(rule, true)) => match node.parents[1] {
                    SINK => format!("{rule}({})", name(0)),
                    _ => format!("{rule}({}, {})", name(0), name(1)),
                },
                Some(Op::Custom(rule, false)) => format!("{rule}(…{}, {})", name(0), name(1)),
                None => "(not traced)".to_string(),
            };
            let value = entry.map(|e| format!("{:.prec$}", e.1)).unwrap_or_default();
            let adjoint = if swept {
                format!("{:.prec$}", tape.adjoints[i])
            } else {
                String::new()
            };
            rows.push((label(i - 1, n), expr, value, adjoint));
        }
        let w0 = rows
            .iter()
            .map(|r| r.0.chars().count())
            .max()
            .unwrap_or(1)
            .max(1);
        let w1 = rows
            .iter()
            .map(|r| r.1.chars().count())
            .max()
            .unwrap_or(9)
            .max(9);
        let w2 = rows
            .iter()
            .map(|r| r.2.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        let pad =
            |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
        write!(
            f,
            "{}   {}   {}",
            pad("v", w0),
            pad("operation", w1),
            pad("value", w2)
        )?;
        if swept {
            write!(f, "   adjoint v̄")?;
        }
        writeln!(f)?;
        for (l, e, v, a) in &rows {
            write!(f, "{}   {}   {}", pad(l, w0), pad(e, w1), pad(v, w2))?;
            if swept {
                write!(f, "   {a}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

fn binary_expr(b: Binary, x: &str, y: &str) -> String {
    match b {
        Binary::Add | Binary::Sub | Binary::Mul | Binary::Div | Binary::Rem => {
            format!("{x} {} {y}", b.name())
        }
        _ => format!("{}({x}, {y})", b.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With 32-bit ids, the recording after 2³²−1 panicked ("ids exhausted") and later ids were
    /// reused, so a variable of recording k was accepted by recording k + 2³². Ids are 64-bit now:
    /// move the counter to just below 2³² (only forward, so ids stay unique for every other test of
    /// this process) and record across the old wrap-around.
    #[test]
    fn recording_ids_do_not_wrap_at_2_pow_32() {
        let mut tape = Tape::new();
        let first = tape.record(&[1.0], |x| x[0]);
        NEXT_TAPE_ID.fetch_max(first.tape + (1 << 32) - 2, Ordering::Relaxed);
        let mut ids = Vec::new();
        for _ in 0..4 {
            let y = tape.record(&[2.0], |x| x[0] * 3.0);
            assert_eq!(tape.backward(y), &[3.0]);
            ids.push(y.tape);
        }
        // the recording whose 32-bit id equals `first`'s: still a different recording
        assert!(
            ids.contains(&(first.tape + (1 << 32))),
            "{ids:?} {}",
            first.tape
        );
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut other = Tape::new();
            other.gradient(|x| x[0] * x[1] + first * 10.0, &[1.0, 2.0, 3.0])
        }));
        assert!(
            caught.is_err(),
            "a variable of an old recording was accepted"
        );
    }
}
