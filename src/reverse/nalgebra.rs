//! nalgebra for the reverse-mode variable: [`Var<T>`](Var) is a [`RealField`](nalgebra::RealField)
//! (and so a `ComplexField`, `SimdRealField`, …) whenever `T` is a `RealField + Float`, so matrix
//! code written over `T: RealField` runs on the tape: one recording and one backward sweep give the
//! gradient of a scalar function of a matrix (a determinant, a log-likelihood, a least-squares
//! loss) with respect to all its entries.
//!
//! ```
//! use nalgebra::{DMatrix, RealField};
//! use nilpotent::reverse;
//!
//! // log det(A), written once for any real field; ∂ log det(A) / ∂A = A⁻ᵀ
//! fn log_det<T: RealField + Copy>(a: &[T]) -> T {
//!     DMatrix::from_column_slice(2, 2, a).determinant().ln()
//! }
//! let a: [f64; 4] = [4.0, 1.0, 0.5, 3.0]; // column-major 2×2
//! let (value, grad) = reverse::gradient(log_det, &a);
//! let m = DMatrix::from_column_slice(2, 2, &a);
//! let expected = m.clone().try_inverse().unwrap().transpose();
//! assert!((value - log_det(&a)).abs() < 1e-15);
//! assert!(grad.iter().zip(expected.iter()).all(|(g, e)| (g - e).abs() < 1e-15));
//! ```
//!
//! # Same methods as for `Dual`
//!
//! The impls are the ones of [`Dual`](crate::Dual) (one macro in `src/linalg.rs` writes both): every
//! differentiable method is a [`Float`] method of `Var` (the rule table) or a
//! composition of them, constants (`pi()`, `zero()`, `nalgebra::convert(0.5)`) are constant
//! `Var`s, queries look at the value, and comparisons, `max`/`min` choices and the approx traits
//! ([`crate::approx_impls`]) compare values. So nalgebra takes every branch (pivots, zero tests,
//! convergence tests) exactly as in the `f64` run, and the values are the `f64` results bit for bit;
//! see the [`linalg` module](crate::linalg) for what the derivatives of direct and iterative
//! algorithms mean.
//!
//! **Conversions.** `nalgebra::convert(x: f64)` gives a constant. `nalgebra::try_convert` of a
//! `Var` to `f64`/`f32` returns the value for a constant and `None` for a recorded variable (which
//! carries a derivative a plain float cannot hold), as it returns `None` for a dual with a non-zero
//! tangent.
//!
//! **The tape.** Every operation on a recorded `Var` must happen inside the closure given to
//! [`Tape::record`](crate::reverse::Tape::record) or to a reverse driver, on the same thread;
//! matrices of `Var` are built there from the input slice (`DMatrix::from_column_slice`,
//! `from_fn`). Constants need no tape, so nalgebra may create zeros and ones anywhere.
//!
//! **Nesting.** `Var<Dual<f64, N>>` is a `RealField` too, so matrix code runs forward over reverse
//! ([`reverse::hvp`](crate::reverse::hvp), [`reverse::hessian`](crate::reverse::hessian)):
//! Hessian-vector products of a log determinant, for example.
//!
//! Tested in `tests/suite/reverse/nalgebra.rs` with `Var<f64>` (against closed forms, and against forward
//! mode by the dot-product test): `determinant`, `lu` (`determinant`, `solve`, `try_inverse`),
//! `full_piv_lu().determinant()`, `try_inverse`, `qr().solve`, `cholesky` (`solve`, `l`),
//! `symmetric_eigen` (eigenvalues), `singular_values`, `norm`, `normalize`, `try_normalize`,
//! `is_identity`; with `Var<Dual<f64, 1>>` (forward over reverse): `cholesky().l()` (the
//! Hessian-vector product of log det). Eigenvectors, the `svd` factors and the general Schur path
//! are not tested on `Var`.

use num_traits::Float;

use super::Var;
use crate::base::linalg::impl_real_field;

impl_real_field!([T: Float + 'static] Var<T>, T);

// `Var<f64>` and forward over reverse are real fields.
const _: () = {
    const fn assert_real_field<X: nalgebra::RealField>() {}
    assert_real_field::<Var<f64>>();
    assert_real_field::<Var<f32>>();
    assert_real_field::<Var<crate::forward::Dual<f64, 1>>>();
    assert_real_field::<Var<crate::forward::Dual<f64, 8>>>();
};
