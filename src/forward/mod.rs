//! Forward-mode drivers: derivatives, gradients, Jacobians and Jacobian-vector products of generic
//! functions, by evaluating them on seeded [`Dual`] numbers.
//!
//! Write the function once over any [`Float`] and pass it by name:
//!
//! ```
//! use nilpotent::{gradient, jacobian, jvp};
//! use num_traits::Float;
//!
//! fn f<T: Float>(x: &[T]) -> T {
//!     x[0].ln() + x[0] * x[1] - x[1].sin()
//! }
//! fn g<T: Float>(x: &[T]) -> Vec<T> {
//!     vec![x[0] * x[1], x[0].sin(), x[1] / x[0]]
//! }
//!
//! let (value, grad) = gradient(f, &[2.0, 5.0]);
//! assert_eq!(grad[0], 5.5);
//! let (values, jac) = jacobian(g, &[2.0, 5.0]);
//! assert_eq!((values.len(), jac.nrows(), jac.ncols()), (3, 3, 2));
//! let (_, jr) = jvp(g, &[2.0, 5.0], &[1.0, -1.0]); // J·r in one pass
//! assert!((jr[0] - (jac[(0, 0)] - jac[(0, 1)])).abs() < 1e-15);
//! ```
//!
//! # nalgebra vectors
//!
//! The drivers take slices, so `DVector` and `SVector` inputs pass through `as_slice()`:
//!
//! ```
//! use nalgebra::{DVector, Vector3};
//! use nilpotent::{gradient, gradient_fixed};
//! use num_traits::Float;
//!
//! fn f<T: Float>(x: &[T]) -> T {
//!     x.iter().fold(T::zero(), |s, &v| s + v * v)
//! }
//! let x = DVector::from_vec(vec![1.0, 2.0, 3.0, 4.0]);
//! let (_, grad) = gradient(f, x.as_slice());
//! assert_eq!(grad, vec![2.0, 4.0, 6.0, 8.0]);
//! let grad = DVector::from_vec(grad); // back to nalgebra
//! assert_eq!(grad, &x * 2.0);
//!
//! let y = Vector3::new(1.0, 2.0, 3.0);
//! let (_, grad) = gradient_fixed(f, &<[f64; 3]>::from(y)); // one pass on Dual<f64, 3>
//! assert_eq!(Vector3::from(grad), y * 2.0);
//! ```
//!
//! A function written over nalgebra types (`fn f<T: RealField>(x: &SVector<T, N>) -> T`) goes to
//! [`crate::linalg::gradient_svector`] (one pass) or [`crate::linalg::gradient_dvector`] (chunked);
//! see [`crate::linalg`] for which matrix algorithms differentiate correctly.
//!
//! # Cost and chunking
//!
//! A pass on `Dual<T, N>` computes `N` directional derivatives for about `N + 1` times the work of the
//! function. [`gradient`] and [`jacobian`] need `n` directions for `n` inputs, so they make ⌈n/N⌉
//! passes with `N` = [`DEFAULT_CHUNK`]; [`gradient_with`]/[`jacobian_with`] take the width as
//! [`Chunk`]`::<N>`. For a small input whose length is known at compile time,
//! [`gradient_fixed`]/[`jacobian_fixed`] make exactly one pass with `N` = the length and allocate
//! nothing. For a gradient of many inputs (hundreds or more), prefer reverse mode.
//!
//! # Which to reach for
//!
//! Every mode has the same two styles: a one-liner for one evaluation, and a reusable object with
//! the same method names for a loop ([`Tape`](crate::reverse::Tape) in reverse mode, the graph's
//! evaluators, the sparse plans; here [`Forward`]).
//!
//! | you want | reach for |
//! |---|---|
//! | a derivative at one point | [`derivative`], [`gradient`], [`jacobian`], [`jvp`]; second order [`hessian`](crate::hessian), [`hvp`](crate::hvp) |
//! | … with a chunk width of your choice | [`gradient_with`], [`jacobian_with`] ([`Chunk`]`::<N>`), or [`Forward::with_chunk`] |
//! | a small input of compile-time length | [`gradient_fixed`], [`jacobian_fixed`]: one pass, no allocation |
//! | the same derivative many times (an optimiser, a time stepper) | one [`Forward`] and its methods `gradient_into`, `jacobian_into`, `jacobian_inplace_into`, `jvp_into` (on `Forward<Dual<T, N>, N>`: `hessian_into`, `hvp_into`): results into your buffers, the seeded inputs kept in the object, nothing allocated after the first call |
//! | the Jacobian of a function that writes its outputs into a slice, `g(x, out)` | [`Forward::jacobian_inplace_into`] (or [`jacobian_inplace`] once) |
//!
//! The buffers: `grad.len() == x.len()`; `values.len() == m` and `jac` m × n, any nalgebra matrix
//! with mutable storage (a `DMatrix`, an `SMatrix`, a mutable view). A buffer of the wrong size
//! panics with a message naming it, the size expected and the size found. The free functions
//! [`gradient_into`], [`jacobian_into`], [`jacobian_inplace_into`] and their `_with` forms are
//! shortcuts for one call on a new [`Forward`]: they allocate the seeded inputs on every call.
//!
//! ```
//! use nalgebra::DMatrix;
//! use nilpotent::forward::Forward;
//! use num_traits::Float;
//! fn f<T: Float>(x: &[T]) -> T { x[0] * x[1].exp() }
//! fn g<T: Float>(x: &[T]) -> Vec<T> { vec![x[0] + x[1], x[0] * x[1]] }
//! let mut fwd = Forward::new(); // Forward<f64, DEFAULT_CHUNK>
//! let (mut grad, mut values, mut jac) = (vec![0.0; 2], vec![0.0; 2], DMatrix::zeros(2, 2));
//! for step in 0..3 {
//!     let x = [1.0 + step as f64, 0.0];
//!     let value = fwd.gradient_into(f, &x, &mut grad);
//!     fwd.jacobian_into(g, &x, &mut values, &mut jac);
//!     assert_eq!((value, grad[1], jac[(1, 1)]), (x[0], x[0], x[0]));
//! }
//! ```

use ::nalgebra::{DMatrix, Dim, Matrix, Scalar, StorageMut};
use num_traits::Float;

mod chunked;
mod custom;
#[doc(hidden)]
pub mod dual;
#[doc(hidden)]
pub mod nalgebra;
#[doc(hidden)]
pub mod nested;
mod scalar;

pub use chunked::Forward;
pub(crate) use custom::sum_of_chains;
pub use dual::Dual;

pub use crate::base::driver::{Chunk, DEFAULT_CHUNK};

/// The value and the derivative of a scalar function of one variable, in one pass.
///
/// ```
/// use nilpotent::derivative;
/// use num_traits::Float;
/// fn f<T: Float>(x: T) -> T { x.powi(3) }
/// assert_eq!(derivative(f, 2.0), (8.0, 12.0));
/// ```
#[inline]
pub fn derivative<T, F>(f: F, x: T) -> (T, T)
where
    T: Float,
    F: Fn(Dual<T, 1>) -> Dual<T, 1>,
{
    let y = f(Dual::variable(x, 0));
    (y.re, y.eps[0])
}

/// The values `f(x)` and the Jacobian-vector product `J(x)·r` of `f: ℝⁿ → ℝᵐ`, in one pass.
///
/// # Panics
/// If `r` and `x` have different lengths.
pub fn jvp<T, F>(f: F, x: &[T], r: &[T]) -> (Vec<T>, Vec<T>)
where
    T: Float,
    F: Fn(&[Dual<T, 1>]) -> Vec<Dual<T, 1>>,
{
    Forward::with_chunk(Chunk::<1>).jvp_named("jvp", f, x, r)
}

/// The value and gradient of `f: ℝⁿ → ℝ`, in ⌈n/[`DEFAULT_CHUNK`]⌉ passes.
///
/// ```
/// use nilpotent::gradient;
/// use num_traits::Float;
/// fn f<T: Float>(x: &[T]) -> T { x[0].ln() + x[0] * x[1] - x[1].sin() }
/// let (value, grad) = gradient(f, &[2.0, 5.0]);
/// assert!((value - 11.652).abs() < 1e-3);
/// assert_eq!(grad[0], 5.5);
/// assert!((grad[1] - 1.716).abs() < 1e-3);
/// ```
pub fn gradient<T, F>(f: F, x: &[T]) -> (T, Vec<T>)
where
    T: Float,
    F: Fn(&[Dual<T, DEFAULT_CHUNK>]) -> Dual<T, DEFAULT_CHUNK>,
{
    gradient_with(f, x, Chunk::<DEFAULT_CHUNK>)
}

/// [`gradient`] with a chosen chunk width `N`: ⌈n/N⌉ passes on `Dual<T, N>`.
///
/// ```
/// use nilpotent::{gradient_with, Chunk};
/// use num_traits::Float;
/// fn sum_sq<T: Float>(x: &[T]) -> T { x.iter().fold(T::zero(), |s, &v| s + v * v) }
/// let x: Vec<f64> = (0..13).map(|i| i as f64).collect();
/// let (_, g) = gradient_with(sum_sq, &x, Chunk::<4>); // 4 passes, the last one with 1 live lane
/// assert_eq!(g[12], 24.0);
/// ```
///
/// # Panics
/// If `N` is 0.
pub fn gradient_with<T, F, const N: usize>(f: F, x: &[T], _chunk: Chunk<N>) -> (T, Vec<T>)
where
    T: Float,
    F: Fn(&[Dual<T, N>]) -> Dual<T, N>,
{
    let mut grad = vec![T::zero(); x.len()];
    let value =
        Forward::with_chunk(Chunk::<N>).gradient_into_named("gradient_with", f, x, &mut grad);
    (value, grad)
}

/// [`gradient`] writing the gradient into the caller's buffer `grad` (one entry per input, so
/// `grad.len() == x.len()`); returns the value.
///
/// ```
/// use nilpotent::gradient_into;
/// use num_traits::Float;
/// fn f<T: Float>(x: &[T]) -> T { x[0].ln() + x[0] * x[1] - x[1].sin() }
/// let mut grad = [0.0; 2];
/// let value = gradient_into(f, &[2.0, 5.0], &mut grad);
/// assert_eq!(grad[0], 5.5);
/// assert_eq!((value, grad.to_vec()), nilpotent::gradient(f, &[2.0, 5.0]));
/// ```
///
/// A shortcut for one call of [`Forward::gradient_into`] on a new [`Forward`]: it allocates the
/// seeded inputs (`x.len()` dual numbers) per call. In a loop, keep a [`Forward`] (nothing
/// allocated after its first call); for a small input of compile-time length, [`gradient_fixed`]
/// allocates nothing.
///
/// # Panics
/// If `grad.len() != x.len()`, before `f` is called.
pub fn gradient_into<T, F>(f: F, x: &[T], grad: &mut [T]) -> T
where
    T: Float,
    F: Fn(&[Dual<T, DEFAULT_CHUNK>]) -> Dual<T, DEFAULT_CHUNK>,
{
    Forward::new().gradient_into_named("gradient_into", f, x, grad)
}

/// [`gradient_into`] with a chosen chunk width `N`: ⌈n/N⌉ passes on `Dual<T, N>` (one call of
/// [`Forward::gradient_into`] on a new `Forward<T, N>`).
///
/// # Panics
/// If `N` is 0, or if `grad.len() != x.len()` (both before `f` is called).
pub fn gradient_with_into<T, F, const N: usize>(
    f: F,
    x: &[T],
    grad: &mut [T],
    _chunk: Chunk<N>,
) -> T
where
    T: Float,
    F: Fn(&[Dual<T, N>]) -> Dual<T, N>,
{
    Forward::with_chunk(Chunk::<N>).gradient_into_named("gradient_with_into", f, x, grad)
}

/// The value and gradient of `f: ℝᴺ → ℝ` for an input of compile-time length `N`, in one pass on
/// `Dual<T, N>`, without allocating.
///
/// ```
/// use nilpotent::gradient_fixed;
/// use num_traits::Float;
/// fn f<T: Float>(x: &[T]) -> T { x[0].ln() + x[0] * x[1] - x[1].sin() }
/// let (value, grad) = gradient_fixed(f, &[2.0, 5.0]);
/// assert_eq!(grad[0], 5.5);
/// ```
#[inline]
pub fn gradient_fixed<T, F, const N: usize>(f: F, x: &[T; N]) -> (T, [T; N])
where
    T: Float,
    F: Fn(&[Dual<T, N>]) -> Dual<T, N>,
{
    let mut xd = [Dual::constant(T::zero()); N];
    for (i, d) in xd.iter_mut().enumerate() {
        *d = Dual::variable(x[i], i);
    }
    let y = f(&xd);
    (y.re, y.eps)
}

/// The values and Jacobian (m × n, `jac[(i, j)] = ∂fᵢ/∂xⱼ`) of `f: ℝⁿ → ℝᵐ`, in
/// ⌈n/[`DEFAULT_CHUNK`]⌉ passes.
///
/// ```
/// use nilpotent::jacobian;
/// use num_traits::Float;
/// fn polar<T: Float>(p: &[T]) -> Vec<T> { vec![p[0] * p[1].cos(), p[0] * p[1].sin()] }
/// let (xy, jac) = jacobian(polar, &[2.0, 0.0]);
/// assert_eq!(xy, vec![2.0, 0.0]);
/// assert_eq!(jac[(0, 0)], 1.0); // ∂x/∂r = cos θ
/// assert_eq!(jac[(1, 1)], 2.0); // ∂y/∂θ = r cos θ
/// ```
///
/// # Panics
/// If `f` returns a different number of values in different passes.
pub fn jacobian<T, F>(f: F, x: &[T]) -> (Vec<T>, DMatrix<T>)
where
    T: Float + Scalar,
    F: Fn(&[Dual<T, DEFAULT_CHUNK>]) -> Vec<Dual<T, DEFAULT_CHUNK>>,
{
    Forward::new().jacobian_named("jacobian", f, x)
}

/// [`jacobian`] with a chosen chunk width `N`: ⌈n/N⌉ passes on `Dual<T, N>`.
///
/// # Panics
/// If `N` is 0, or if `f` returns a different number of values in different passes.
pub fn jacobian_with<T, F, const N: usize>(f: F, x: &[T], _chunk: Chunk<N>) -> (Vec<T>, DMatrix<T>)
where
    T: Float + Scalar,
    F: Fn(&[Dual<T, N>]) -> Vec<Dual<T, N>>,
{
    // the chunk's message names `jacobian_with`, the others `jacobian` (as they always have)
    chunked::check_chunk::<N>("jacobian_with");
    Forward::with_chunk(Chunk::<N>).jacobian_named("jacobian", f, x)
}

/// [`jacobian`] writing into the caller's buffers: the values `f(x)` into `values` and the
/// Jacobian into `jac`, so for `f: ℝⁿ → ℝᵐ`, `values.len() == m` and `jac` is m × n (any
/// nalgebra matrix or view with mutable storage: `DMatrix`, `SMatrix`, `view_mut`…).
///
/// ```
/// use nalgebra::{DMatrix, Matrix3x2};
/// use nilpotent::jacobian_into;
/// use num_traits::Float;
/// fn g<T: Float>(x: &[T]) -> Vec<T> { vec![x[0] * x[1], x[0].sin(), x[1] / x[0]] }
/// let (mut values, mut jac) = (vec![0.0; 3], DMatrix::zeros(3, 2));
/// jacobian_into(g, &[2.0, 5.0], &mut values, &mut jac);
/// assert_eq!((values.clone(), jac.clone()), nilpotent::jacobian(g, &[2.0, 5.0]));
/// let mut fixed = Matrix3x2::zeros(); // a statically sized buffer works too
/// jacobian_into(g, &[2.0, 5.0], &mut values, &mut fixed);
/// assert_eq!(fixed, jac);
/// ```
///
/// A shortcut for one call of [`Forward::jacobian_into`] on a new [`Forward`]: it allocates the
/// seeded inputs and what `f` returns per call (a reused [`Forward`], only what `f` returns); for
/// a function that writes its outputs into a slice, see [`Forward::jacobian_inplace_into`].
///
/// # Panics
/// If `jac` does not have one column per input (before `f` is called); if `values` does not have
/// one entry per output of `f` or `jac` one row per output (after the first pass); if `f` returns
/// a different number of values in different passes. The message names the buffer, the expected
/// and the found size.
pub fn jacobian_into<T, F, R, C, S>(f: F, x: &[T], values: &mut [T], jac: &mut Matrix<T, R, C, S>)
where
    T: Float + Scalar,
    F: Fn(&[Dual<T, DEFAULT_CHUNK>]) -> Vec<Dual<T, DEFAULT_CHUNK>>,
    R: Dim,
    C: Dim,
    S: StorageMut<T, R, C>,
{
    Forward::new().jacobian_into_named("jacobian_into", f, x, values, jac)
}

/// [`jacobian_into`] with a chosen chunk width `N`: ⌈n/N⌉ passes on `Dual<T, N>` (one call of
/// [`Forward::jacobian_into`] on a new `Forward<T, N>`).
///
/// # Panics
/// As [`jacobian_into`], and if `N` is 0.
pub fn jacobian_with_into<T, F, R, C, S, const N: usize>(
    f: F,
    x: &[T],
    values: &mut [T],
    jac: &mut Matrix<T, R, C, S>,
    _chunk: Chunk<N>,
) where
    T: Float + Scalar,
    F: Fn(&[Dual<T, N>]) -> Vec<Dual<T, N>>,
    R: Dim,
    C: Dim,
    S: StorageMut<T, R, C>,
{
    Forward::with_chunk(Chunk::<N>).jacobian_into_named("jacobian_with_into", f, x, values, jac)
}

/// The values and Jacobian (m × n) of a function that writes its m outputs into a slice instead
/// of returning a `Vec`: `g(x, out)` with `out.len() == m`, as ODE right-hand sides and residual
/// functions are often written. ⌈n/[`DEFAULT_CHUNK`]⌉ passes; before each, `out` is set to 0, so an
/// output that `g` does not write is 0 with zero derivative.
///
/// ```
/// use nilpotent::jacobian_inplace;
/// use num_traits::Float;
/// fn g<T: Float>(x: &[T], out: &mut [T]) {
///     out[0] = x[0] * x[1];
///     out[1] = x[0].sin();
///     out[2] = x[1] / x[0];
/// }
/// let (values, jac) = jacobian_inplace(g, &[2.0, 5.0], 3);
/// assert_eq!(values[0], 10.0);
/// assert_eq!((jac[(0, 0)], jac[(0, 1)], jac[(2, 1)]), (5.0, 2.0, 0.5));
/// ```
pub fn jacobian_inplace<T, G>(g: G, x: &[T], m: usize) -> (Vec<T>, DMatrix<T>)
where
    T: Float + Scalar,
    G: Fn(&[Dual<T, DEFAULT_CHUNK>], &mut [Dual<T, DEFAULT_CHUNK>]),
{
    let mut values = vec![T::zero(); m];
    let mut jac = DMatrix::zeros(m, x.len());
    Forward::new().jacobian_inplace_into_named(
        "jacobian_inplace_into",
        g,
        x,
        &mut values,
        &mut jac,
    );
    (values, jac)
}

/// [`jacobian_inplace`] writing into the caller's buffers: `values` (its length is the number of
/// outputs m, the length of the slice `g` writes into) and `jac`, which must be m × n.
///
/// ```
/// use nalgebra::DMatrix;
/// use nilpotent::jacobian_inplace_into;
/// use num_traits::Float;
/// fn g<T: Float>(x: &[T], out: &mut [T]) {
///     out[0] = x[0] * x[1];
///     out[1] = x[0].sin();
/// }
/// let (mut values, mut jac) = ([0.0; 2], DMatrix::zeros(2, 2));
/// jacobian_inplace_into(g, &[2.0, 5.0], &mut values, &mut jac);
/// assert_eq!(jac[(0, 1)], 2.0);
/// ```
///
/// A shortcut for one call of [`Forward::jacobian_inplace_into`] on a new [`Forward`]: it
/// allocates the seeded inputs and outputs (n + m dual numbers) per call, a reused [`Forward`]
/// nothing after its first call.
///
/// # Panics
/// If `jac` is not m × n (before `g` is called).
pub fn jacobian_inplace_into<T, G, R, C, S>(
    g: G,
    x: &[T],
    values: &mut [T],
    jac: &mut Matrix<T, R, C, S>,
) where
    T: Float + Scalar,
    G: Fn(&[Dual<T, DEFAULT_CHUNK>], &mut [Dual<T, DEFAULT_CHUNK>]),
    R: Dim,
    C: Dim,
    S: StorageMut<T, R, C>,
{
    Forward::new().jacobian_inplace_into_named("jacobian_inplace_into", g, x, values, jac)
}

/// [`jacobian_inplace_into`] with a chosen chunk width `N`: ⌈n/N⌉ passes on `Dual<T, N>` (one call of
/// [`Forward::jacobian_inplace_into`] on a new `Forward<T, N>`).
///
/// # Panics
/// As [`jacobian_inplace_into`], and if `N` is 0.
pub fn jacobian_inplace_with_into<T, G, R, C, S, const N: usize>(
    g: G,
    x: &[T],
    values: &mut [T],
    jac: &mut Matrix<T, R, C, S>,
    _chunk: Chunk<N>,
) where
    T: Float + Scalar,
    G: Fn(&[Dual<T, N>], &mut [Dual<T, N>]),
    R: Dim,
    C: Dim,
    S: StorageMut<T, R, C>,
{
    Forward::with_chunk(Chunk::<N>).jacobian_inplace_into_named(
        "jacobian_inplace_with_into",
        g,
        x,
        values,
        jac,
    )
}

/// The values and Jacobian of `f: ℝᴺ → ℝᵐ` for an input of compile-time length `N`, in one pass on
/// `Dual<T, N>`.
pub fn jacobian_fixed<T, F, const N: usize>(f: F, x: &[T; N]) -> (Vec<T>, DMatrix<T>)
where
    T: Float + Scalar,
    F: Fn(&[Dual<T, N>]) -> Vec<Dual<T, N>>,
{
    jacobian_with(f, x, Chunk::<N>)
}

/// Seeds inputs `start..end` with the unit tangents e₀, e₁, … of the chunk.
#[inline]
pub(crate) fn seed<T: Float, const N: usize>(xd: &mut [Dual<T, N>], start: usize, end: usize) {
    for (k, d) in xd[start..end].iter_mut().enumerate() {
        d.eps[k] = T::one();
    }
}

/// Undoes [`seed`]: inputs `start..end` become constants again.
#[inline]
pub(crate) fn unseed<T: Float, const N: usize>(xd: &mut [Dual<T, N>], start: usize, end: usize) {
    for d in xd[start..end].iter_mut() {
        d.eps = [T::zero(); N];
    }
}
