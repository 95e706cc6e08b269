//! Loops written once for every number type: [`sum_map`], [`map_rows`], [`sum_windows`],
//! [`scan`] and [`fold`].
//!
//! A loop over data written as a plain `for` is unrolled by graph mode: a loss over m rows of data
//! records m copies of the row's expression, and so do its derivative graphs and the code made from
//! them; on the tape, a plain loop of 10⁶ time steps keeps 10⁶ copies of the step. Written with
//! these combinators instead, the same generic function (bounded on [`Real`](crate::Real), or on
//! [`Loops`] next to `Float`) runs in every mode:
//!
//! - on `f64`, `f32` and [`Dual`](crate::Dual) at any depth it simply loops: the combinator is the
//!   `for` loop, and nothing is recorded about it;
//! - on the tape's [`Var`](crate::reverse::Var), [`sum_map`], [`map_rows`] and [`sum_windows`]
//!   loop (their tape grows with the rows, as the data does), while [`scan`] and [`fold`] run in
//!   memory that does not depend on the number of steps: each step is recorded, its Jacobian with
//!   respect to the state and to the values it captures is taken off the tape by a local backward
//!   sweep, and the step's nodes are dropped; the final state is recorded with the accumulated
//!   Jacobian as its partials. Memory: one step's nodes plus `state × (state + captured)` numbers;
//!   nothing is recomputed; each step costs its recording, a sweep with one lane per state
//!   component and `state² × (state + captured)` multiply-adds. (The peak memory and time of a
//!   10⁶-step RK4 gradient of the Lorenz system, against the same steps as a `for` loop: see
//!   BENCHMARKS.md, section "Loops and parameters", in the repository.) The plain loop is kept where rows of `xs` are themselves recorded (the Jacobian would gain columns at
//!   every step) and on a tape that is traced ([`Tape::set_tracing`](crate::reverse::Tape::set_tracing)).
//!   A very large state makes a step cost a sweep per component: write such a loop as a `for` loop;
//! - on the graph's [`Sym`](crate::graph::Sym), the contract is that the body is recorded once, as a
//!   sub-graph, and the loop is one node that derivative graphs and every backend keep as a loop
//!   (until graph mode implements the hook, it records the body once per iteration, like a `for`
//!   loop: the same values and derivatives).
//!
//! A body sees its row (or window, or the state) and may use any other value of the computation
//! (weights, a step size): they become the loop's inputs, and derivatives flow to them. Values
//! computed *inside* a body leave it only through what it returns: one stored elsewhere (in a
//! `Cell`) and used after the loop refers, on the tape and in graph mode, to a step's
//! intermediate that no longer exists.
//!
//! ```
//! use nilpotent::{Real, gradient, sum_map};
//!
//! // Σ over rows (x, y) of (w·x − y)²: rows of 2 entries
//! fn loss<T: Real>(w: T, data: &[T]) -> T {
//!     sum_map(data, 2, |row| (w * row[0] - row[1]).powi(2))
//! }
//! let data = [1.0, 2.0, 2.0, 4.1, 3.0, 5.9];
//! let (v, g) = gradient(|w| {
//!     let data: Vec<_> = data.iter().map(|&d| nilpotent::Literal::cst(d)).collect();
//!     loss(w[0], &data)
//! }, &[2.0]);
//! assert!((v - (0.0 + 0.01 + 0.01)).abs() < 1e-12);
//! assert!((g[0] - (2.0 * (-0.1) * 2.0 + 2.0 * 0.1 * 3.0)).abs() < 1e-12);
//! ```
//!
//! # The order of the floating-point operations
//!
//! Every combinator is defined by the plain loop it runs, and every mode computes exactly that
//! loop: [`sum_map`] starts from `T::zero()` and adds the rows' values in row order
//! (`((0 + b₀) + b₁) + …`), [`scan`] applies the step to the rows in order. A graph's loop node
//! computes the same operations in the same order, so it agrees bit for bit with the unrolled loop.
//! Derivatives: forward mode runs the loop itself, so they are the unrolled loop's bit for bit; the
//! tape's [`scan`] and [`fold`] multiply the steps' Jacobians in the order the steps run (the
//! unrolled tape does so from the last step back), with the same zero rules in every product, so
//! their derivatives agree with the unrolled loop's up to rounding, not bit for bit.
//!
//! # Zero iterations
//!
//! No rows is no iterations: [`sum_map`] of no rows is `T::zero()`, [`scan`] of no rows returns
//! `init`. A width of 0 is allowed only with no rows (a loop that reads no data counts its steps
//! with [`fold`]).

use num_traits::Float;

/// A loop as the combinators hand it to a number type that records loops (graph mode): `iterations`
/// runs of `body`, each on the carried state and one window of `seq`.
///
/// The body returns the new state (`init.len()` values), then `sums` values to add up over the
/// iterations, then `stacked` values kept per iteration. The loop's result is the final state, the
/// sums, and the stacked values of every iteration in order (`iterations × stacked`).
#[doc(hidden)]
pub struct LoopSpec<'a, T> {
    /// the state before the first iteration
    pub init: &'a [T],
    /// the data read by the iterations: iteration k reads `seq[k·stride .. k·stride + size]`
    pub seq: &'a [T],
    /// the length of each window of `seq`
    pub size: usize,
    /// the distance between consecutive windows
    pub stride: usize,
    /// the number of iterations
    pub iterations: usize,
    /// the number of values the body returns to be summed over the iterations
    pub sums: usize,
    /// the number of values the body returns to be kept per iteration
    pub stacked: usize,
    /// `(state, window) -> [new state, sums, stacked]`
    #[allow(clippy::type_complexity)]
    pub body: &'a dyn Fn(&[T], &[T]) -> Vec<T>,
}

/// The number types the loop combinators run on: every [`Real`](crate::Real) and
/// [`Real32`](crate::Real32) type is one (`f64`, `f32`, [`Dual`](crate::Dual) at any depth, [`Var`](crate::reverse::Var), and the
/// graph's [`Sym`](crate::graph::Sym)).
///
/// Nothing to call: the trait says how a type runs a loop. Plain and dual numbers and the tape's
/// variables run it as a `for` loop; `Sym` records it as one node of the graph.
pub trait Loops: Float {
    /// The loop recorded as one operation, or `None` to run it as a plain loop (the default).
    #[doc(hidden)]
    fn record_loop(spec: &LoopSpec<'_, Self>) -> Option<Vec<Self>> {
        let _ = spec;
        None
    }
}

impl Loops for f64 {}
impl Loops for f32 {}

/// The number of windows of `size` entries, `stride` apart, that tile `len` entries exactly.
fn windows(what: &str, len: usize, size: usize, stride: usize) -> usize {
    assert!(
        stride > 0,
        "nilpotent::{what}: the stride must be at least 1 (it is 0)"
    );
    if len == 0 {
        return 0;
    }
    assert!(
        len >= size && (len - size).is_multiple_of(stride),
        "nilpotent::{what}: windows of {size} entries, {stride} apart, do not tile the {len} \
         entries of the data exactly (the last window must end at the last entry)"
    );
    (len - size) / stride + 1
}

/// The number of rows of `width` entries in `len` entries.
fn rows(what: &str, name: &str, len: usize, width: usize) -> usize {
    if width == 0 {
        assert!(
            len == 0,
            "nilpotent::{what}: width = 0 with {name}.len() = {len}: rows of 0 entries cannot \
             hold data (a loop over a number of steps is nilpotent::fold)"
        );
        return 0;
    }
    assert!(
        len.is_multiple_of(width),
        "nilpotent::{what}: {name}.len() = {len} is not a multiple of width = {width}"
    );
    len / width
}

/// Σ of `body(row)` over the consecutive rows of `width` entries of `rows`, added in row order to
/// `T::zero()`.
///
/// The body may use other values of the computation (weights, a step size): in graph mode they
/// become inputs of the recorded body, and derivatives flow to them. `rows` are usually data
/// (graph parameters), but they may be differentiated inputs too.
///
/// # Panics
/// If `rows.len()` is not a multiple of `width` (the message names both).
///
/// ```
/// use nilpotent::{Real, sum_map, reverse};
/// fn sq_error<T: Real>(w: &[T], data: &[T]) -> T {
///     sum_map(data, 3, |r| (w[0] * r[0] + w[1] * r[1] - r[2]).powi(2))
/// }
/// let data = [1.0, 0.0, 2.0, 0.0, 1.0, 3.0];
/// let (v, g) = reverse::gradient(|w| {
///     let d: Vec<_> = data.iter().map(|&d| nilpotent::Literal::cst(d)).collect();
///     sq_error(w, &d)
/// }, &[1.0, 1.0]);
/// assert_eq!(v, 1.0 + 4.0);
/// assert_eq!(g, vec![-2.0, -4.0]);
/// ```
pub fn sum_map<T: Loops>(rows: &[T], width: usize, body: impl Fn(&[T]) -> T) -> T {
    let n = self::rows("sum_map", "rows", rows.len(), width);
    let spec = LoopSpec {
        init: &[],
        seq: rows,
        size: width,
        stride: width.max(1),
        iterations: n,
        sums: 1,
        stacked: 0,
        body: &|_, row| vec![body(row)],
    };
    if let Some(out) = T::record_loop(&spec) {
        return out[0];
    }
    let mut acc = T::zero();
    for k in 0..n {
        acc = acc + body(&rows[k * width..(k + 1) * width]);
    }
    acc
}

/// `body(row)` for each consecutive row of `width` entries of `rows`: one value per row.
///
/// # Panics
/// If `rows.len()` is not a multiple of `width` (the message names both).
///
/// ```
/// use nilpotent::map_rows;
/// assert_eq!(map_rows(&[1.0, 2.0, 3.0, 4.0], 2, |r| r[0] * r[1]), vec![2.0, 12.0]);
/// ```
pub fn map_rows<T: Loops>(rows: &[T], width: usize, body: impl Fn(&[T]) -> T) -> Vec<T> {
    let n = self::rows("map_rows", "rows", rows.len(), width);
    let spec = LoopSpec {
        init: &[],
        seq: rows,
        size: width,
        stride: width.max(1),
        iterations: n,
        sums: 0,
        stacked: 1,
        body: &|_, row| vec![body(row)],
    };
    if let Some(out) = T::record_loop(&spec) {
        return out;
    }
    (0..n)
        .map(|k| body(&rows[k * width..(k + 1) * width]))
        .collect()
}

/// Σ of `body(window)` over the windows of `size` entries of `xs`, `stride` apart
/// (`xs[k·stride .. k·stride + size]`), added in order to `T::zero()`: a stencil, such as the
/// terms of the chained Rosenbrock function over pairs `(x[k], x[k+1])`.
///
/// # Panics
/// If the windows do not tile `xs` exactly (the last window must end at the last entry), or if
/// `stride` is 0.
///
/// ```
/// use nilpotent::{Real, sum_windows, gradient};
/// fn rosenbrock<T: Real>(x: &[T]) -> T {
///     sum_windows(x, 2, 1, |w| (w[1] - w[0] * w[0]).powi(2) * 100.0 + (-w[0] + 1.0).powi(2))
/// }
/// let (v, g) = gradient(rosenbrock, &[1.0, 1.0, 1.0]);
/// assert_eq!((v, g), (0.0, vec![0.0, 0.0, 0.0]));
/// ```
pub fn sum_windows<T: Loops>(xs: &[T], size: usize, stride: usize, body: impl Fn(&[T]) -> T) -> T {
    let n = windows("sum_windows", xs.len(), size, stride);
    let spec = LoopSpec {
        init: &[],
        seq: xs,
        size,
        stride,
        iterations: n,
        sums: 1,
        stacked: 0,
        body: &|_, w| vec![body(w)],
    };
    if let Some(out) = T::record_loop(&spec) {
        return out[0];
    }
    let mut acc = T::zero();
    for k in 0..n {
        acc = acc + body(&xs[k * stride..k * stride + size]);
    }
    acc
}

/// Checks that a step returned a state of the length of `init`.
fn check_state(what: &str, got: usize, want: usize, k: usize) {
    assert!(
        got == want,
        "nilpotent::{what}: the step returned {} at iteration {k} for a state of {want} (the \
         length of init)",
        crate::base::text::count(got, "value", "values")
    );
}

/// The state after `step(state, x_k)` for each row `x_k` of `width` entries of `xs`, in order,
/// starting from `init`: a recurrence driven by data (a time series, an ODE's inputs, an RNN).
///
/// # Panics
/// If `xs.len()` is not a multiple of `width`, or a step returns a state of another length than
/// `init` (the messages name both numbers).
///
/// ```
/// use nilpotent::{scan, gradient};
/// // x ← x·a + u_k over three inputs u
/// let (v, g) = gradient(|p| {
///     let u = [p[1], p[1], p[1]];
///     scan(&[p[0]], &u, 1, |s, u| vec![s[0] * 0.5 + u[0]])[0]
/// }, &[8.0, 1.0]);
/// assert_eq!(v, 1.0 + 1.75);
/// assert_eq!(g, vec![0.125, 1.75]);
/// ```
pub fn scan<T: Loops>(
    init: &[T],
    xs: &[T],
    width: usize,
    step: impl Fn(&[T], &[T]) -> Vec<T>,
) -> Vec<T> {
    let n = self::rows("scan", "xs", xs.len(), width);
    let c = init.len();
    let k = core::cell::Cell::new(0);
    let spec = LoopSpec {
        init,
        seq: xs,
        size: width,
        stride: width.max(1),
        iterations: n,
        sums: 0,
        stacked: 0,
        body: &|s, x| {
            let next = step(s, x);
            check_state("scan", next.len(), c, k.get());
            k.set(k.get() + 1);
            next
        },
    };
    if let Some(out) = T::record_loop(&spec) {
        return out;
    }
    let mut state = init.to_vec();
    for k in 0..n {
        state = step(&state, &xs[k * width..(k + 1) * width]);
        check_state("scan", state.len(), c, k);
    }
    state
}

/// The state after `steps` applications of `step` to `init`: a loop that reads no data (an ODE
/// integrator's time steps, a fixed-point iteration).
///
/// # Panics
/// If a step returns a state of another length than `init`.
///
/// ```
/// use nilpotent::{fold, reverse};
/// // 10 explicit Euler steps of x' = −k·x, h = 0.1
/// let (v, g) = reverse::gradient(|p| fold(&[p[0]], 10, |s| vec![s[0] - s[0] * p[1] * 0.1])[0],
///                                &[1.0, 1.0]);
/// assert!((v - 0.9f64.powi(10)).abs() < 1e-15);
/// assert!((g[0] - 0.9f64.powi(10)).abs() < 1e-15);
/// assert!((g[1] - (-0.9f64.powi(9))).abs() < 1e-15);
/// ```
pub fn fold<T: Loops>(init: &[T], steps: usize, step: impl Fn(&[T]) -> Vec<T>) -> Vec<T> {
    let c = init.len();
    let k = core::cell::Cell::new(0);
    let spec = LoopSpec {
        init,
        seq: &[],
        size: 0,
        stride: 1,
        iterations: steps,
        sums: 0,
        stacked: 0,
        body: &|s, _| {
            let next = step(s);
            check_state("fold", next.len(), c, k.get());
            k.set(k.get() + 1);
            next
        },
    };
    if let Some(out) = T::record_loop(&spec) {
        return out;
    }
    let mut state = init.to_vec();
    for k in 0..steps {
        state = step(&state);
        check_state("fold", state.len(), c, k);
    }
    state
}
