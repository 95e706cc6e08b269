//! levenberg-marquardt 0.15: a [`LeastSquaresProblem`] whose Jacobian comes from forward mode
//! (feature `levenberg-marquardt`).
//!
//! [`LeastSquares`] holds a [`Residuals`] function and the current parameters; the solver asks
//! it for the residuals (at `f64`) and the Jacobian (forward mode, ⌈n/8⌉ passes on dual numbers),
//! exact to rounding, instead of finite differences or a Jacobian written by hand.
//!
//! ```
//! use levenberg_marquardt::LevenbergMarquardt;
//! use nilpotent::Real;
//! use nilpotent::optim::{Residuals, levenberg_marquardt::LeastSquares};
//!
//! /// y = a·exp(−b·t) sampled without noise at a = 3, b = 0.5
//! struct Decay { t: Vec<f64>, y: Vec<f64> }
//! impl Residuals for Decay {
//!     fn eval<T: Real>(&self, p: &[T]) -> Vec<T> {
//!         self.t.iter().zip(&self.y).map(|(&t, &y)| p[0] * (-p[1] * t).exp() - y).collect()
//!     }
//! }
//! let t: Vec<f64> = (0..10).map(|i| i as f64 * 0.5).collect();
//! let y = t.iter().map(|t| 3.0 * (-0.5 * t).exp()).collect();
//! let (fit, report) = LevenbergMarquardt::new().minimize(LeastSquares::new(Decay { t, y }, &[1.0, 1.0]));
//! assert!(report.termination.was_successful());
//! assert!((fit.x()[0] - 3.0).abs() < 1e-9 && (fit.x()[1] - 0.5).abs() < 1e-9);
//! ```
//!
//! The solver's vectors and matrices are nalgebra 0.34 types; [`LeastSquares::x`] gives the
//! parameters as a slice, and [`nalgebra034`] names the types when needed.

use ::levenberg_marquardt::LeastSquaresProblem;
use nalgebra034::{DMatrix, DVector, Dyn, Owned};

use super::Residuals;

/// A least-squares problem min ½‖r(x)‖² for levenberg-marquardt: the residual function and the
/// current parameters.
#[derive(Clone, Debug)]
pub struct LeastSquares<R> {
    residuals: R,
    params: DVector<f64>,
}

impl<R: Residuals> LeastSquares<R> {
    /// The problem of the residuals `r`, starting from the parameters `x0`.
    pub fn new(residuals: R, x0: &[f64]) -> Self {
        LeastSquares {
            residuals,
            params: DVector::from_column_slice(x0),
        }
    }

    /// The current parameters (after `minimize`: the solution).
    pub fn x(&self) -> &[f64] {
        self.params.as_slice()
    }

    /// The residual function.
    pub fn residuals_fn(&self) -> &R {
        &self.residuals
    }
}

impl<R: Residuals> LeastSquaresProblem<f64, Dyn, Dyn> for LeastSquares<R> {
    type ResidualStorage = Owned<f64, Dyn>;
    type JacobianStorage = Owned<f64, Dyn, Dyn>;
    type ParameterStorage = Owned<f64, Dyn>;

    fn set_params(&mut self, x: &DVector<f64>) {
        self.params.copy_from(x);
    }

    fn params(&self) -> DVector<f64> {
        self.params.clone()
    }

    fn residuals(&self) -> Option<DVector<f64>> {
        Some(DVector::from_vec(
            self.residuals.eval(self.params.as_slice()),
        ))
    }

    fn jacobian(&self) -> Option<DMatrix<f64>> {
        let (_, jac) = crate::jacobian(|v| self.residuals.eval(v), self.params.as_slice());
        Some(DMatrix::from_column_slice(
            jac.nrows(),
            jac.ncols(),
            jac.as_slice(),
        ))
    }
}
