//! Reverse mode: record the computation on a tape once, then sweep it backward.
//!
//! Forward mode carries derivatives *with* the computation: one pass gives `N` directional
//! derivatives, so a gradient of `n` inputs costs about `n/N` passes. Reverse mode records every
//! operation with its local partials (the same [`rules`](crate::rules) as forward mode) and then
//! propagates adjoints `v̄ = ∂output/∂v` from the output back to the inputs:
//!
//! ```text
//! v̄_out = 1,    v̄ₚ += ∂vᵢ/∂vₚ · v̄ᵢ   for every node i, last to first
//! ```
//!
//! One recording and one sweep give the whole gradient, or `Jᵀ·s` for a vector function, at a cost
//! that does not grow with the number of inputs (a small constant times the function, plus memory
//! for one node per operation).
//!
//! **Which mode?** Few inputs, many outputs, or fixed small sizes: forward ([`crate::gradient`],
//! [`crate::jacobian`]). Many inputs and one output (a loss, an objective): reverse. Second order:
//! both compose (see [`crate::Dual`] on the tape).
//!
//! ```
//! use nilpotent::reverse;
//! use num_traits::Float;
//!
//! fn f<T: Float>(x: &[T]) -> T {
//!     x[0].ln() + x[0] * x[1] - x[1].sin()
//! }
//! let (value, grad) = reverse::gradient(f, &[2.0, 5.0]);
//! assert!((value - 11.652071455223084).abs() < 1e-14);
//! assert_eq!(grad[0], 5.5);
//! assert!((grad[1] - 1.7163378145367738).abs() < 1e-14);
//! ```
//!
//! The function is passed by name (or as a closure `|x| f(x)`): [`Var`] carries no lifetime, so a
//! generic `fn f<T: Float>(x: &[T]) -> T` is simply instantiated at `T = Var<f64>`. See [`Tape`]
//! for the design (thread-local active recording, ids that catch variables from another tape) and
//! for reusing a tape without allocating, and [`Tape::trace`] for printing the Wengert list.

mod custom;
mod drivers;
mod loops;
#[doc(hidden)]
pub mod nalgebra;
mod scalar;
mod spare;
mod tape;
mod var;

use ::nalgebra::{DMatrix, Scalar};
use num_traits::Float;

use crate::base::driver::{Chunk, DEFAULT_CHUNK};
use crate::forward::Dual;
pub(crate) use spare::with_thread_tape;

pub use tape::{Tape, Trace};
pub use var::Var;

/// The value and gradient of `f: ℝⁿ → ℝ` at `x`: one recording, one backward sweep.
///
/// Like every free function of this module, it records on a tape that the thread keeps between
/// calls (one per scalar type, taken out while in use, so nested and recursive calls each get
/// their own, and dropped if `f` panics): only the first call on a thread allocates the tape's
/// buffers. [`Tape::gradient_into`] on a tape of your own also avoids allocating the result.
pub fn gradient<T, F>(f: F, x: &[T]) -> (T, Vec<T>)
where
    T: Float + 'static,
    F: FnOnce(&[Var<T>]) -> Var<T>,
{
    with_thread_tape(|tape| tape.gradient(f, x))
}

/// The values `f(x)` and the vector-Jacobian product `Jᵀ·s` of `f: ℝⁿ → ℝᵐ`: one recording, one
/// backward sweep seeded with `s`.
///
/// ```
/// use nilpotent::reverse;
/// use num_traits::Float;
/// fn g<T: Float>(x: &[T]) -> Vec<T> { vec![x[0] * x[1], x[0].sin()] }
/// let (values, jts) = reverse::vjp(g, &[2.0, 3.0], &[1.0, 0.0]); // first row of J
/// assert_eq!(values[0], 6.0);
/// assert_eq!(jts, vec![3.0, 2.0]);
/// ```
///
/// # Panics
/// If `s` does not have one entry per output of `f`.
pub fn vjp<T, F>(f: F, x: &[T], s: &[T]) -> (Vec<T>, Vec<T>)
where
    T: Float + 'static,
    F: FnOnce(&[Var<T>]) -> Vec<Var<T>>,
{
    with_thread_tape(|tape| {
        let ys = tape.record(x, f);
        let jts = tape.backward_seeded(&ys, s).to_vec();
        (ys.iter().map(Var::value).collect(), jts)
    })
}

/// The values and Jacobian (m × n) of `f: ℝⁿ → ℝᵐ`: one recording, one backward sweep per output.
/// [`Tape::jacobian_into`] writes into buffers of the caller's.
///
/// ```
/// use nilpotent::reverse;
/// use num_traits::Float;
/// fn polar<T: Float>(p: &[T]) -> Vec<T> { vec![p[0] * p[1].cos(), p[0] * p[1].sin()] }
/// let (_, jac) = reverse::jacobian(polar, &[2.0, 0.0]);
/// assert_eq!((jac[(0, 0)], jac[(1, 1)]), (1.0, 2.0));
/// ```
pub fn jacobian<T, F>(f: F, x: &[T]) -> (Vec<T>, DMatrix<T>)
where
    T: Float + Scalar,
    F: FnOnce(&[Var<T>]) -> Vec<Var<T>>,
{
    with_thread_tape(|tape| tape.jacobian(f, x))
}

/// The value, gradient and Hessian-vector product `H·v` of `f: ℝⁿ → ℝ`, by forward over reverse:
/// one recording on `Var<Dual<T, 1>>` with the inputs seeded `xᵢ + vᵢε`, one backward sweep. The
/// adjoints are dual numbers whose real parts are the gradient and whose tangents are `H·v`; the
/// cost does not grow with n.
///
/// ```
/// use nilpotent::reverse;
/// use num_traits::Float;
/// fn f<T: Float>(x: &[T]) -> T { x[0] * x[0] * x[1] }   // H = [[2y, 2x], [2x, 0]]
/// let (value, grad, hv) = reverse::hvp(f, &[3.0, 2.0], &[1.0, 0.0]);
/// assert_eq!((value, grad), (18.0, vec![12.0, 9.0]));
/// assert_eq!(hv, vec![4.0, 6.0]);
/// ```
///
/// # Panics
/// If `v` and `x` have different lengths.
pub fn hvp<T, F>(f: F, x: &[T], v: &[T]) -> (T, Vec<T>, Vec<T>)
where
    T: Float + 'static,
    F: FnOnce(&[Var<Dual<T, 1>>]) -> Var<Dual<T, 1>>,
{
    assert!(
        v.len() == x.len(),
        "hvp: the direction v has {}; expected {}, one per entry of x",
        crate::base::text::count(v.len(), "entry", "entries"),
        x.len()
    );
    let xd: Vec<Dual<T, 1>> = x
        .iter()
        .zip(v)
        .map(|(&xi, &vi)| Dual::new(xi, [vi]))
        .collect();
    with_thread_tape(|tape| {
        let y = tape.record(&xd, f);
        let adjoints = tape.backward(y);
        let grad = adjoints.iter().map(|a| a.re).collect();
        let hv = adjoints.iter().map(|a| a.eps[0]).collect();
        (y.value().re, grad, hv)
    })
}

/// The value, gradient and Hessian of `f: ℝⁿ → ℝ` by forward over reverse, in ⌈n/[`DEFAULT_CHUNK`]⌉
/// recordings (each with `Dual<T, 8>` values, giving 8 columns of H in one backward sweep).
///
/// The two triangles come from different sweeps and may differ in the last bits; the result is
/// made exactly symmetric by averaging `(H + Hᵀ)/2`. [`Tape::hessian_into`] writes into buffers of
/// the caller's.
pub fn hessian<T, F>(f: F, x: &[T]) -> (T, Vec<T>, DMatrix<T>)
where
    T: Float + Scalar,
    F: Fn(&[Var<Dual<T, DEFAULT_CHUNK>>]) -> Var<Dual<T, DEFAULT_CHUNK>>,
{
    hessian_with(f, x, Chunk::<DEFAULT_CHUNK>)
}

/// [`hessian`] with a chosen chunk width `N`: ⌈n/N⌉ recordings on `Var<Dual<T, N>>`.
///
/// # Panics
/// If `N` is 0.
pub fn hessian_with<T, F, const N: usize>(
    f: F,
    x: &[T],
    _chunk: Chunk<N>,
) -> (T, Vec<T>, DMatrix<T>)
where
    T: Float + Scalar,
    F: Fn(&[Var<Dual<T, N>>]) -> Var<Dual<T, N>>,
{
    with_thread_tape(|tape: &mut Tape<Dual<T, N>>| tape.hessian(f, x))
}
