//! Sparse Jacobians and Hessians: detect the pattern, colour it, and pay for the colours instead
//! of the dimension; and parallel passes (feature `rayon`).
//!
//! A dense Jacobian of `g: ℝⁿ → ℝᵐ` costs ⌈n/8⌉ forward passes; a dense Hessian far more. When
//! most entries are structurally zero — each output depends on a few inputs, each input meets a
//! few others in a nonlinear term — columns that never share a row can share one tangent lane: a
//! banded Jacobian needs as many lanes as its bandwidth, a tridiagonal Hessian 3, whatever n is.
//! This module
//!
//! 1. records the function once as a [graph](crate::graph) and reads the **pattern** off it
//!    ([`jacobian_pattern`], [`hessian_pattern`]: dependency bitsets propagated over the nodes);
//! 2. **colours** it ([`column_colouring`] for forward mode, [`row_colouring`] for reverse mode,
//!    [`star_colouring`] for Hessians), greedily in a good vertex [`Order`];
//! 3. evaluates **compressed passes**: `Dual<f64, W>` with one lane per colour, on the graph's
//!    program or on the generic function itself; compressed reverse sweeps for row colourings;
//!    compressed Hessian-vector products (forward over reverse) for Hessians. Results come as
//!    [`nalgebra_sparse::CscMatrix`].
//!
//! ```
//! use nilpotent::sparse;
//! use num_traits::Float;
//!
//! // a banded map: yᵢ depends on xᵢ₋₂ … xᵢ₊₂
//! fn g<T: Float>(x: &[T]) -> Vec<T> {
//!     let n = x.len();
//!     (0..n)
//!         .map(|i| {
//!             let mut y = x[i].sin();
//!             for j in i.saturating_sub(2)..(i + 3).min(n) {
//!                 y = y + x[j] * x[i];
//!             }
//!             y
//!         })
//!         .collect()
//! }
//! let x: Vec<f64> = (0..1000).map(|i| (i as f64).cos()).collect();
//! let (y, jac) = sparse::jacobian(g, &x); // 5 colours: one pass of Dual<f64, 5>
//! assert_eq!((y.len(), jac.nrows(), jac.ncols()), (1000, 1000, 1000));
//! assert_eq!(jac.nnz(), 5 * 1000 - 6);
//!
//! fn f<T: Float>(x: &[T]) -> T {
//!     (1..x.len()).fold(T::zero(), |s, i| s + (x[i] - x[i - 1] * x[i - 1]).powi(2))
//! }
//! let (value, grad, h) = sparse::hessian(f, &x); // tridiagonal: 3 colours
//! assert_eq!((grad.len(), h.nnz()), (1000, 3 * 1000 - 2));
//! # let _ = value;
//! ```
//!
//! For the same derivatives at many inputs, build a [`JacobianPlan`] or [`HessianPlan`] once (the
//! pattern, colouring, passes and their buffers) and evaluate it repeatedly: `eval` allocates
//! nothing after the plan is built. [`JacobianPlan::eval_fn`] (the generic function itself on the
//! seeded duals) keeps its seeded inputs in the plan after its first call, so it then allocates
//! only what the function does — a function returning a `Vec` allocates that result once per
//! pass — and [`JacobianPlan::eval_fn_inplace`], for a function that writes its outputs into a
//! slice, allocates nothing after its first call. A graph recorded with parameters (data) is
//! evaluated with `eval_with(&x, &p)`, and by the generic function with
//! [`JacobianPlan::eval_fn_with`] (`f(x, p)`, the parameters as dual numbers with zero tangents);
//! the forms without `p` are [`GraphError::MissingParams`] there.
//!
//! # Patterns and guards
//!
//! A pattern is read off the graph recorded at one point, so it is the pattern of the branch taken
//! there. Value-dependent decisions are [guards](crate::graph#branches-guards): evaluating a plan
//! at an input where one comes out differently returns [`GraphError::Guard`], exactly as
//! evaluating the graph does (the same error, naming the same node of the recorded function), and
//! never a matrix with the wrong pattern. Branch-free code has no guards and one pattern
//! everywhere, and so does every plan made from it: the derivative rules' own choices (`abs`'s
//! sign, a `max`/`min` choice, `powf`'s special cases) are made anew at each input, in forward
//! passes as in reverse sweeps and Hessian-vector products: where those rules branch, the
//! sweeps' local partials are computed at run time from the rule table (as the tape does) rather
//! than recorded in a derivative graph, which would keep the branches as guards. (Exception: a
//! Hessian plan of a graph with [custom rules](crate::custom) uses its gradient graph, guards
//! included.)
//!
//! Patterns are structural: an entry is in the pattern if some path of operations connects the
//! input to the output (for Jacobians) or the two inputs meet in a nonlinear node (for Hessians),
//! so every entry that can be nonzero is in it. An entry in the pattern may still evaluate to 0
//! (a product with a zero, a cancellation); functions whose derivative is zero everywhere
//! (`floor`, `round`, …) cut the dependency.
//!
//! # Colours and passes
//!
//! [`JacobianPlan::new`] picks forward or reverse mode by a cost model ([`Direction::Auto`]); every
//! colouring is greedy in the vertex [`Order`] that gives the fewest colours ([`Order::Best`]).
//! Colourings are made only where they can pay: a plan colours the direction it is asked for (or,
//! with `Auto`, the one whose lower bound is cheaper, then the other only if its lower bound can
//! still win, abandoned as soon as it cannot), stops trying orders once a colouring reaches the
//! lower bound, and walks conflicts through the pattern without storing the conflict graph:
//! memory O(nnz + n) whatever the conflict graph's number of edges. A Jacobian with one dense
//! row (all columns conflict: n colours forward) goes reverse in 2 colours without colouring its
//! columns.
//!
//! | matrix | colouring | a pass | cost |
//! |---|---|---|---|
//! | Jacobian, forward ([`Direction::Forward`]) | [`column_colouring`] (distance 1: no two columns of a colour share a row) | the function on `Dual<f64, W>`, one lane per colour, W ≤ 16 | ⌈colours/16⌉ passes |
//! | Jacobian, reverse ([`Direction::Reverse`], for m ≪ n) | [`row_colouring`] | one reverse sweep from the sum of the outputs of a colour: a derivative graph in `f64`, or, where the derivative rules branch (`abs`, `max`, …), sweeps over partials computed at the input | ⌈colours/16⌉ programs of up to 16 sweeps (or one forward pass and ⌈colours/16⌉ sweeps); every row is swept once |
//! | Hessian | [`star_colouring`] | the gradient on `Dual<f64, W>` (the gradient graph, or, where the derivative rules branch, a reverse sweep at run time): W Hessian-vector products | ⌈colours/16⌉ passes |
//!
//! # Parallel passes (feature `rayon`)
//!
//! With the cargo feature `rayon`, the independent passes of a Jacobian or Hessian run on rayon's
//! thread pool: `JacobianPlan::par_eval`, `JacobianPlan::par_eval_fn`,
//! `JacobianPlan::par_eval_fn_inplace` and `HessianPlan::par_eval` (each with its `_with` form taking parameters) for sparse ones, and `sparse::par_jacobian_with`, `sparse::par_hessian_with` for dense ones
//! (chunks of columns, pairs of chunks). These items exist only with the feature (their pages are
//! in documentation built with `--features rayon`, as on docs.rs). Each pass is computed exactly as in the serial
//! driver, so the results are the same bit for bit; only the wall-clock time changes (a plan with
//! a single pass gains nothing).
//!
//! This is how nilpotent uses more than one core: within one evaluation of a derivative. Beyond
//! one machine (or for many independent evaluations on one), parallelise your own outer loop —
//! a parameter sweep, a batch of inputs, the starts of an optimiser — with one plan per worker
//! (plans are `Clone` and `Send`); nilpotent stays per-evaluation and starts no threads of its own
//! outside rayon's pool.

mod colour;
mod hessian;
mod jacobian;
#[cfg(feature = "rayon")]
mod parallel;
mod pass;
mod pattern;
mod sweep;

pub use colour::{Colouring, Order, column_colouring, row_colouring, star_colouring};
pub use hessian::HessianPlan;
pub use jacobian::{Direction, JacobianPlan};
#[cfg(feature = "rayon")]
pub use parallel::{par_hessian_with, par_jacobian_with};
pub use pattern::{Pattern, hessian_pattern, jacobian_pattern};

pub use nalgebra_sparse::CscMatrix;

#[cfg(doc)]
use crate::graph::GraphError;
use crate::graph::{Graph, Sym};

/// The values and the sparse Jacobian of `g: ℝⁿ → ℝᵐ` at `x`: `g` is recorded at `x` as a graph,
/// its pattern coloured, and the Jacobian evaluated in compressed passes ([`JacobianPlan`]).
///
/// `g` is passed by name (a generic `fn g<T: Float>(x: &[T]) -> Vec<T>`, recorded on
/// [`Sym`]) or as a closure over `&[Sym]`. For the Jacobian at many inputs, keep a
/// [`JacobianPlan`] instead of calling this again (each call records and colours anew).
///
/// # Cost
///
/// Every call records `g`, finds the pattern and colours it, then evaluates once: most of the
/// time goes to the first three, which a [`JacobianPlan`] does once. Use this for one Jacobian;
/// in a loop (Newton steps, a solver's iterations), make the plan before the loop and call
/// [`JacobianPlan::eval`] in it.
///
/// ```
/// use nilpotent::sparse;
/// use num_traits::Float;
/// fn g<T: Float>(x: &[T]) -> Vec<T> {
///     vec![x[0] * x[1], x[2].exp()]
/// }
/// let (y, jac) = sparse::jacobian(g, &[2.0, 3.0, 0.0]);
/// assert_eq!(y, vec![6.0, 1.0]);
/// assert_eq!(jac.nnz(), 3);
/// assert_eq!(jac.get_entry(0, 1).unwrap().into_value(), 2.0);
/// assert_eq!(jac.get_entry(1, 2).unwrap().into_value(), 1.0);
/// assert_eq!(jac.get_entry(1, 0).unwrap().into_value(), 0.0); // structurally zero
/// ```
pub fn jacobian<F>(g: F, x: &[f64]) -> (Vec<f64>, CscMatrix<f64>)
where
    F: FnOnce(&[Sym]) -> Vec<Sym>,
{
    let graph = Graph::record_vec(x, g);
    let mut plan = JacobianPlan::new(&graph);
    let (y, jac) = plan
        .eval(x)
        .expect("a graph's guards hold at its recording point (a bug otherwise)");
    (y.to_vec(), jac.clone())
}

/// The value, gradient and sparse Hessian of `f: ℝⁿ → ℝ` at `x`: `f` is recorded at `x` as a
/// graph, its Hessian pattern star-coloured, and the Hessian evaluated by compressed
/// Hessian-vector products ([`HessianPlan`]).
///
/// `f` is passed by name (a generic `fn f<T: Float>(x: &[T]) -> T`) or as a closure over
/// `&[Sym]`. For the Hessian at many inputs, keep a [`HessianPlan`].
///
/// # Cost
///
/// Every call records `f`, builds its gradient graph, finds the Hessian's pattern and
/// star-colours it, then evaluates once: on a sparse Newton step this call costs two orders of
/// magnitude more than [`HessianPlan::eval`] of a plan made once, and at small n (100) the dense
/// [`reverse::hessian`](crate::reverse::hessian) is faster than it (the measurements: see
/// BENCHMARKS.md, section "Sparse Jacobians and Hessians", in the repository). Use it for one
/// Hessian; in a loop, make the plan once:
///
/// ```
/// use nilpotent::graph::Graph;
/// use nilpotent::sparse::HessianPlan;
/// use nilpotent::Real;
/// fn f<T: Real>(x: &[T]) -> T {
///     x.windows(2).map(|w| (w[1] - w[0] * w[0]).powi(2)).sum()
/// }
/// let mut x = vec![0.5; 100];
/// let mut plan = HessianPlan::new(&Graph::record(&x, f::<nilpotent::graph::Sym>)); // once
/// for _ in 0..3 {
///     let (_, _, h) = plan.eval(&x).unwrap(); // each step: evaluation only
///     assert_eq!(h.nrows(), 100);
///     x[0] += 0.1;
/// }
/// ```
///
/// ```
/// use nilpotent::sparse;
/// use num_traits::Float;
/// fn f<T: Float>(x: &[T]) -> T {
///     x[0] * x[1] + x[2].powi(3)
/// }
/// let (value, grad, h) = sparse::hessian(f, &[1.0, 2.0, 3.0]);
/// assert_eq!((value, grad), (29.0, vec![2.0, 1.0, 27.0]));
/// assert_eq!(h.nnz(), 3); // (0, 1), (1, 0), (2, 2)
/// assert_eq!(h.get_entry(1, 0).unwrap().into_value(), 1.0);
/// assert_eq!(h.get_entry(2, 2).unwrap().into_value(), 18.0);
/// ```
///
/// # Panics
/// If `f` panics while recording.
pub fn hessian<F>(f: F, x: &[f64]) -> (f64, Vec<f64>, CscMatrix<f64>)
where
    F: FnOnce(&[Sym]) -> Sym,
{
    let graph = Graph::record(x, f);
    let mut plan = HessianPlan::new(&graph);
    let (value, grad, h) = plan
        .eval(x)
        .expect("a graph's guards hold at its recording point (a bug otherwise)");
    (value, grad.to_vec(), h.clone())
}
