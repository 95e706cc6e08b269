//! nalgebra for dual numbers: `Dual<T, N>` is a [`RealField`] (and so a [`ComplexField`](nalgebra::ComplexField),
//! `SimdRealField`, `SimdComplexField`) whenever `T` is a `RealField + Float`, so matrix code written
//! over `T: RealField` — determinants, inverses, LU/Cholesky/QR solves, norms — runs on duals and
//! returns derivatives with its values. Nested duals are fields too (`Dual<Dual<f64, 2>, 3>`), which
//! gives second derivatives of matrix functions.
//!
//! ```
//! use nalgebra::{Matrix2, Vector2};
//! use nilpotent::Dual;
//!
//! // d/dt det(A + t·dA) at t = 0, by Jacobi's formula det(A)·tr(A⁻¹ dA)
//! let a: Matrix2<f64> = Matrix2::new(3.0, 1.0, 0.5, 2.0);
//! let da = Matrix2::new(1.0, 0.0, 2.0, -1.0);
//! let ad = a.zip_map(&da, |x, dx| Dual::new(x, [dx]));
//! let det = ad.determinant();
//! let jacobi = a.determinant() * (a.try_inverse().unwrap() * da).trace();
//! assert!((det.eps[0] - jacobi).abs() < 1e-14);
//!
//! // the derivative of the solution of A x = b along dA
//! let b = Vector2::new(Dual::constant(1.0), Dual::constant(2.0));
//! let x = ad.lu().solve(&b).unwrap();
//! let x0 = a.lu().solve(&Vector2::new(1.0, 2.0)).unwrap();
//! let dx = -a.try_inverse().unwrap() * da * x0; // −A⁻¹ dA x
//! assert!((x[0].eps[0] - dx[0]).abs() < 1e-14 && (x[1].eps[0] - dx[1]).abs() < 1e-14);
//! ```
//!
//! # How the methods are differentiated
//!
//! Every differentiable method goes through the [`Float`] impl of `Dual`, i.e. through the rule table
//! of [`crate::rules`]; no formula is written here. Methods without a `Float` counterpart are
//! compositions of `Float` methods: `modulus`/`norm1`/`abs` are `abs` (the convention at ±0 of
//! the [crate's conventions](crate#conventions)), `modulus_squared` is `x·x`, `argument` is the constant 0 or π chosen by the real
//! part (as for `f64`), `copysign(x, s)` is `±abs(x)` with the sign bit of `s.re`, `signum` is
//! `Float::signum` (zero tangent), `try_sqrt` is `Some(sqrt)` for `re ≥ 0` (at 0 the zero-lane rule
//! keeps zero tangents exactly zero) and `None` otherwise, `powc` is `powf`. Constants (`pi()`,
//! `e()`, `min_value()`, …) are `T`'s with zero tangents. Queries (`is_finite`, `is_sign_*`) look at
//! the real part only. Nothing here panics.
//!
//! The impls are written once, by a macro over the value, for `Dual` and for the reverse-mode
//! [`Var`](crate::reverse::Var) (see [`crate::linalg_reverse`]).
//!
//! The cardinal functions `sinc(x) = sin x / x` and `sinhc(x) = sinh x / x` are the quotients for
//! `x.re ≠ 0` and, where `f64` returns the limit 1 (at `x.re = 0`), their Taylor polynomial of
//! degree 20 in dual arithmetic, so every derivative up to that order is exact there. (Close to 0 but
//! not at it, the tangent of the quotient suffers cancellation: relative error about ε/x².)
//! `cosc = cos x / x` and `coshc` have a pole at 0, where simba defines the value 1; a dual there
//! gets that value with NaN in every non-zero tangent lane (the derivative does not exist), computed
//! as `1 + (√x − √x)` from the rule table.
//!
//! # Comparisons and convergence
//!
//! `==`, `<`, `max`/`min` and the approx traits ([`crate::approx_impls`]) look at real parts only.
//! So every branch of a nalgebra algorithm (pivot choice in LU, a zero test, a convergence test
//! `|offdiag| ≤ ε·|diag|`) is taken exactly as in the `f64` run, and the real parts of all results
//! are the `f64` results bit for bit. The tangents are then the derivative of *the path taken*:
//!
//! - **Direct algorithms** (determinant, `try_inverse`, LU, full-pivot LU, Cholesky, QR, Householder
//!   and Givens reflections, `norm`, `normalize`, triangular solves) compute a fixed, piecewise-smooth
//!   sequence of operations; their tangents are the exact derivatives of the results (to rounding),
//!   as long as the input is not at a kink (a tie in a pivot choice, a zero column).
//! - **Iterative algorithms** (`symmetric_eigen`, `svd`, `singular_values`) stop when the real
//!   parts have converged. The tangents are then the derivative of the finite iteration. For
//!   well-separated eigen-/singular values they agree with the closed forms dλᵢ = vᵢᵀ dA vᵢ,
//!   dvᵢ = Σ_{j≠i} vⱼ (vⱼᵀ dA vᵢ)/(λᵢ − λⱼ) and dσᵢ = uᵢᵀ dA vᵢ to about 1e-12 in
//!   `tests/suite/forward/nalgebra.rs` (the iteration converges quadratically, so by the time the values have
//!   converged the tangents have too), but nothing in nalgebra checks the tangents' convergence:
//!   there is no guarantee beyond what those tests show. At repeated eigenvalues or singular values
//!   the derivatives do not exist in general (eigen- and singular vectors are not even continuous
//!   there). The general Schur/`eigenvalues()` path is not tested.
//!
//! Tested in `tests/suite/forward/nalgebra.rs` with `Dual<f64, 3>` (first derivatives along three random directions
//! per pass): `determinant`, `lu` (`determinant`, `solve`, `try_inverse`), `full_piv_lu`,
//! `try_inverse`, `qr` (factors, `solve`), `col_piv_qr().solve`, `cholesky` (`solve`, `l`),
//! `symmetric_eigen`, `svd`, `singular_values`, `norm`, `normalize`, `try_normalize`,
//! `is_identity`, `is_orthogonal`; with `Dual<Dual<f64, 1>, 1>` (second derivatives):
//! `determinant`, `lu().determinant()`, `try_inverse`, `cholesky`.
//!
//! **Cholesky reads the lower triangle only.** nalgebra's `cholesky` (as LAPACK's) takes `A` to be
//! symmetric and never reads the entries above the diagonal, so derivatives with respect to the
//! entries of `A` are those of a function of its lower triangle: the gradient of `log det A`
//! through Cholesky is `2 (A⁻¹)ᵢⱼ` below the diagonal, `(A⁻¹)ᵢᵢ` on it and 0 above — correct for
//! the code, but not the textbook `A⁻ᵀ`, which treats `Aᵢⱼ` and `Aⱼᵢ` as independent (both give
//! the same derivative along every symmetric direction). For `A⁻ᵀ`, go through LU
//! (`determinant`, `lu`) or symmetrise first. See [`RealLinalg::cholesky`].
//!
//! **Stack in debug builds.** nalgebra's unrolled 4×4 `try_inverse` on `Dual<Dual<f64, 1>, 1>`
//! needs 3–4 MB of stack in an unoptimised build (each inlined dual temporary gets its own stack
//! slot), more than a test thread's 2 MB; `Dual<f64, 3>` needs under 512 KB. Optimised builds are
//! not affected.
//! - `norm()` at the zero vector is `sqrt(0)` of a sum of squares whose tangents are all exactly
//!   zero, so by the zero-lane rule its tangents are 0 (not NaN); `normalize()` of the zero vector
//!   divides by that zero and gives NaN values, as for `f64`. `try_normalize(eps)` returns `None`
//!   there, as for `f64`.
//!
//! # Method names
//!
//! `Dual` implements both [`Float`] and [`ComplexField`](nalgebra::ComplexField)/[`RealField`], which share method names
//! (`sin`, `sqrt`, `abs`, …). On a dual number (a concrete type) `x.sin()` is an inherent method
//! that needs no import and is never ambiguous ([`crate::methods`]). In a generic function bounded
//! on both traits, `x.sin()` is ambiguous; write `Float::sin(x)` or `ComplexField::sin(x)` (they
//! compute the same thing), or bound on only one — for plain-number literals and decompositions
//! together, on [`RealLinalg`].
//!
//! # Drivers for nalgebra vectors
//!
//! [`gradient_svector`] differentiates a function of a statically sized vector in one pass;
//! [`gradient_dvector`] handles dynamically sized vectors in chunks. A function written over slices
//! works with nalgebra vectors through `as_slice()` (see [`crate::forward`]).

use nalgebra::{DVector, RealField, SVector, Scalar};
use num_traits::Float;

use crate::base::driver::{Chunk, DEFAULT_CHUNK};
use crate::base::linalg::impl_real_field;
use crate::forward::{Dual, seed, unseed};

impl_real_field!([T: Float, const N: usize] Dual<T, N>, T);

// Nested duals are real fields too (second derivatives of matrix code).
const _: () = {
    const fn assert_real_field<X: RealField>() {}
    assert_real_field::<Dual<f64, 3>>();
    assert_real_field::<Dual<f32, 1>>();
    assert_real_field::<Dual<Dual<f64, 2>, 3>>();
    assert_real_field::<Dual<Dual<Dual<f64, 1>, 1>, 1>>();
};

// ----------------------------------------------------------------------------------------------
// drivers for nalgebra vectors
// ----------------------------------------------------------------------------------------------

/// The value and gradient of `f: ℝᴺ → ℝ` written over statically sized nalgebra vectors, in one pass
/// on `Dual<T, N>` (N = the length of `x`), without allocating.
///
/// `f` is usually generic over `RealField`, and passed by name:
///
/// ```
/// use nalgebra::{RealField, SVector, Vector3};
/// use nilpotent::linalg::gradient_svector;
///
/// // f(x) = ‖x‖² · x₀, with ∇f = 2x·x₀ + ‖x‖² e₀
/// fn f<T: RealField + Copy>(x: &SVector<T, 3>) -> T {
///     x.norm_squared() * x[0]
/// }
/// let x = Vector3::new(1.0, 2.0, 3.0);
/// let (value, grad) = gradient_svector(f, &x);
/// assert_eq!(value, 14.0);
/// assert_eq!(grad, Vector3::new(2.0 + 14.0, 4.0, 6.0));
/// ```
pub fn gradient_svector<T, F, const N: usize>(f: F, x: &SVector<T, N>) -> (T, SVector<T, N>)
where
    T: Float + Scalar,
    F: Fn(&SVector<Dual<T, N>, N>) -> Dual<T, N>,
{
    let xd = SVector::<Dual<T, N>, N>::from_fn(|i, _| Dual::variable(x[i], i));
    let y = f(&xd);
    (y.re, SVector::from(y.eps))
}

/// The value and gradient of `f: ℝⁿ → ℝ` written over nalgebra's `DVector`, in
/// ⌈n/[`DEFAULT_CHUNK`]⌉ passes (see [`gradient_dvector_with`] to choose the chunk width).
///
/// ```
/// use nalgebra::{DVector, RealField};
/// use nilpotent::linalg::gradient_dvector;
///
/// // f(x) = ln(1 + ‖x‖²), with ∇f = 2x / (1 + ‖x‖²)
/// fn f<T: RealField + Copy>(x: &DVector<T>) -> T {
///     (T::one() + x.norm_squared()).ln()
/// }
/// let x = DVector::from_fn(11, |i, _| i as f64 / 10.0);
/// let (_, grad) = gradient_dvector(f, &x);
/// let expected = &x * (2.0 / (1.0 + x.norm_squared()));
/// assert!((grad - expected).amax() < 1e-15);
/// ```
pub fn gradient_dvector<T, F>(f: F, x: &DVector<T>) -> (T, DVector<T>)
where
    T: Float + Scalar,
    F: Fn(&DVector<Dual<T, DEFAULT_CHUNK>>) -> Dual<T, DEFAULT_CHUNK>,
{
    gradient_dvector_with(f, x, Chunk::<DEFAULT_CHUNK>)
}

/// [`gradient_dvector`] with a chosen chunk width `N`: ⌈n/N⌉ passes on `Dual<T, N>`.
///
/// # Panics
/// If `N` is 0.
pub fn gradient_dvector_with<T, F, const N: usize>(
    f: F,
    x: &DVector<T>,
    _chunk: Chunk<N>,
) -> (T, DVector<T>)
where
    T: Float + Scalar,
    F: Fn(&DVector<Dual<T, N>>) -> Dual<T, N>,
{
    assert!(
        N > 0,
        "gradient_dvector_with: the chunk width must be at least 1"
    );
    let n = x.len();
    let mut xd: DVector<Dual<T, N>> = x.map(Dual::constant);
    let mut grad = DVector::from_element(n, T::zero());
    if n == 0 {
        return (f(&xd).re, grad);
    }
    let mut value = T::zero();
    for start in (0..n).step_by(N) {
        let end = (start + N).min(n);
        seed(xd.as_mut_slice(), start, end);
        let y = f(&xd);
        unseed(xd.as_mut_slice(), start, end);
        if start == 0 {
            value = y.re;
        }
        for (k, i) in (start..end).enumerate() {
            grad[i] = y.eps[k];
        }
    }
    (value, grad)
}

// ----------------------------------------------------------------------------------------------
// RealLinalg: literals and decompositions in one generic function
// ----------------------------------------------------------------------------------------------
pub use crate::base::linalg::RealLinalg;
