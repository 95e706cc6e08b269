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

use nalgebra::{DMatrix, Scalar};
use num_traits::Float;

use crate::Dual;

/// The number of tangent slots [`gradient`] and [`jacobian`] use per pass.
///
/// Eight `f64` lanes fill two AVX registers (or one AVX-512 register), and cost about as much as the
/// book-keeping of a pass for small functions; for `n < 8` inputs prefer [`gradient_fixed`] or
/// [`gradient_with`] with a narrower [`Chunk`].
pub const DEFAULT_CHUNK: usize = 8;

/// A chunk width, chosen by the caller: `gradient_with(f, &x, Chunk::<4>)` evaluates `f` on
/// `Dual<T, 4>` and so computes 4 partial derivatives per pass.
#[derive(Clone, Copy, Debug, Default)]
pub struct Chunk<const N: usize>;

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
    assert_eq!(
        r.len(),
        x.len(),
        "jvp: the direction r has {} entries but the input x has {}",
        r.len(),
        x.len()
    );
    let xd: Vec<Dual<T, 1>> = x
        .iter()
        .zip(r)
        .map(|(&xi, &ri)| Dual::new(xi, [ri]))
        .collect();
    let y = f(&xd);
    y.iter().map(|yi| (yi.re, yi.eps[0])).unzip()
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
    assert!(N > 0, "gradient_with: the chunk width must be at least 1");
    let mut xd: Vec<Dual<T, N>> = x.iter().map(|&xi| Dual::constant(xi)).collect();
    let mut grad = vec![T::zero(); x.len()];
    if x.is_empty() {
        return (f(&xd).re, grad);
    }
    let mut value = T::zero();
    for start in (0..x.len()).step_by(N) {
        let end = (start + N).min(x.len());
        seed(&mut xd, start, end);
        let y = f(&xd);
        unseed(&mut xd, start, end);
        if start == 0 {
            value = y.re;
        }
        grad[start..end].copy_from_slice(&y.eps[..end - start]);
    }
    (value, grad)
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
    jacobian_with(f, x, Chunk::<DEFAULT_CHUNK>)
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
    assert!(N > 0, "jacobian_with: the chunk width must be at least 1");
    let n = x.len();
    let mut xd: Vec<Dual<T, N>> = x.iter().map(|&xi| Dual::constant(xi)).collect();
    if n == 0 {
        let y = f(&xd);
        let m = y.len();
        return (
            y.into_iter().map(|yi| yi.re).collect(),
            DMatrix::zeros(m, 0),
        );
    }
    let mut values = Vec::new();
    let mut jac = DMatrix::zeros(0, n);
    for start in (0..n).step_by(N) {
        let end = (start + N).min(n);
        seed(&mut xd, start, end);
        let y = f(&xd);
        unseed(&mut xd, start, end);
        if start == 0 {
            values = y.iter().map(|yi| yi.re).collect();
            if end == n {
                // one pass: the matrix straight from the tangents, without zeroing it first
                jac = DMatrix::from_fn(y.len(), n, |i, j| y[i].eps[j]);
                continue;
            }
            jac = DMatrix::zeros(y.len(), n);
        } else {
            assert_eq!(
                y.len(),
                values.len(),
                "jacobian: f returned {} values in one pass and {} in another",
                values.len(),
                y.len()
            );
        }
        // column by column (the matrix is column-major): one bounds check per column
        for (b, j) in (start..end).enumerate() {
            for (dst, yi) in jac.column_mut(j).iter_mut().zip(&y) {
                *dst = yi.eps[b];
            }
        }
    }
    (values, jac)
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
