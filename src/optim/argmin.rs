//! argmin 0.11: cost, gradient, Hessian, residual and Jacobian operators from one generic
//! function (feature `argmin`).
//!
//! [`Problem`] wraps an [`Objective`] and implements argmin's [`CostFunction`], [`Gradient`]
//! (reverse mode: one recording and one sweep, whatever the number of parameters) and
//! [`Hessian`] (forward over reverse). [`ResidualProblem`] wraps [`Residuals`] and implements
//! [`Operator`] (the residuals), [`Jacobian`] (forward mode), and [`CostFunction`] ½‖r‖² with its
//! [`Gradient`] Jᵀr (one reverse sweep), for Gauss–Newton and for the gradient-based solvers.
//!
//! Parameters are `Vec<f64>` ([`Problem::new`], [`ResidualProblem::new`]; argmin-math's `vec`
//! backend, whose matrices are `Vec<Vec<f64>>` of rows) or nalgebra 0.34 `DVector<f64>`
//! ([`Problem::nalgebra`], [`ResidualProblem::nalgebra`]; argmin-math's `nalgebra_v0_34` backend,
//! which has the matrix inverse that Newton's method and Gauss–Newton need). The feature
//! enables both backends in argmin-math; nalgebra 0.34 is re-exported as
//! [`nalgebra034`].
//!
//! ```
//! use argmin::core::{Executor, State};
//! use argmin::solver::linesearch::MoreThuenteLineSearch;
//! use argmin::solver::quasinewton::LBFGS;
//! use nilpotent::Real;
//! use nilpotent::optim::{argmin::Problem, objective};
//!
//! fn rosenbrock<T: Real>(x: &[T]) -> T {
//!     (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
//! }
//! objective!(Rosenbrock = rosenbrock);
//! let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7);
//! let result = Executor::new(Problem::new(Rosenbrock), solver)
//!     .configure(|state| state.param(vec![-1.2, 1.0]).max_iters(100))
//!     .run()
//!     .unwrap();
//! let best = result.state().get_best_param().unwrap();
//! assert!((best[0] - 1.0).abs() < 1e-6 && (best[1] - 1.0).abs() < 1e-6);
//! ```

use core::fmt;
use core::marker::PhantomData;

use ::argmin::core::{CostFunction, Error, Gradient, Hessian, Jacobian, Operator};
use nalgebra034::{DMatrix, DVector};

use super::{Objective, Residuals};
use crate::reverse;

/// An [`Objective`] as an argmin problem: [`CostFunction`], [`Gradient`] and [`Hessian`] with
/// parameters of type `P` (`Vec<f64>` or nalgebra 0.34 `DVector<f64>`).
pub struct Problem<O, P = Vec<f64>> {
    objective: O,
    param: PhantomData<fn() -> P>,
}

/// A [`Residuals`] function as an argmin problem: [`Operator`] (the residuals), [`Jacobian`],
/// and [`CostFunction`] ½‖r‖² with its [`Gradient`] Jᵀr, with parameters of type `P` (`Vec<f64>`
/// or nalgebra 0.34 `DVector<f64>`).
pub struct ResidualProblem<R, P = Vec<f64>> {
    residuals: R,
    param: PhantomData<fn() -> P>,
}

impl<O> Problem<O, Vec<f64>> {
    /// The problem with `Vec<f64>` parameters (gradient `Vec<f64>`, Hessian `Vec<Vec<f64>>` of
    /// rows).
    pub fn new(objective: O) -> Self {
        Problem {
            objective,
            param: PhantomData,
        }
    }
}

impl<O> Problem<O, DVector<f64>> {
    /// The problem with nalgebra 0.34 `DVector<f64>` parameters (gradient `DVector<f64>`, Hessian
    /// `DMatrix<f64>`), for the solvers that need argmin-math's nalgebra backend (Newton's method).
    pub fn nalgebra(objective: O) -> Self {
        Problem {
            objective,
            param: PhantomData,
        }
    }
}

impl<O, P> Problem<O, P> {
    /// The objective.
    pub fn objective(&self) -> &O {
        &self.objective
    }
}

impl<R> ResidualProblem<R, Vec<f64>> {
    /// The problem with `Vec<f64>` parameters and residuals (Jacobian `Vec<Vec<f64>>` of rows).
    pub fn new(residuals: R) -> Self {
        ResidualProblem {
            residuals,
            param: PhantomData,
        }
    }
}

impl<R> ResidualProblem<R, DVector<f64>> {
    /// The problem with nalgebra 0.34 `DVector<f64>` parameters and residuals (Jacobian
    /// `DMatrix<f64>`), for Gauss–Newton (which needs argmin-math's nalgebra backend).
    ///
    /// ```
    /// use argmin::core::{Executor, State};
    /// use argmin::solver::gaussnewton::GaussNewton;
    /// use nilpotent::optim::{argmin::ResidualProblem, nalgebra034::DVector, residuals};
    /// use nilpotent::Real;
    ///
    /// // the intersection of the unit circle with the line x = y
    /// fn circle<T: Real>(p: &[T]) -> Vec<T> {
    ///     vec![p[0] * p[0] + p[1] * p[1] - 1.0, p[0] - p[1]]
    /// }
    /// residuals!(Circle = circle);
    /// let result = Executor::new(ResidualProblem::nalgebra(Circle), GaussNewton::<f64>::new())
    ///     .configure(|s| s.param(DVector::from_vec(vec![1.0, 0.5])).max_iters(20))
    ///     .run()
    ///     .unwrap();
    /// let p = result.state().get_best_param().unwrap();
    /// assert!((p[0] - 0.5f64.sqrt()).abs() < 1e-12 && (p[1] - 0.5f64.sqrt()).abs() < 1e-12);
    /// ```
    pub fn nalgebra(residuals: R) -> Self {
        ResidualProblem {
            residuals,
            param: PhantomData,
        }
    }
}

impl<R, P> ResidualProblem<R, P> {
    /// The residual function.
    pub fn residuals(&self) -> &R {
        &self.residuals
    }
}

impl<O: Clone, P> Clone for Problem<O, P> {
    fn clone(&self) -> Self {
        Problem {
            objective: self.objective.clone(),
            param: PhantomData,
        }
    }
}

impl<R: Clone, P> Clone for ResidualProblem<R, P> {
    fn clone(&self) -> Self {
        ResidualProblem {
            residuals: self.residuals.clone(),
            param: PhantomData,
        }
    }
}

impl<O: fmt::Debug, P> fmt::Debug for Problem<O, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Problem")
            .field("objective", &self.objective)
            .finish()
    }
}

impl<R: fmt::Debug, P> fmt::Debug for ResidualProblem<R, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResidualProblem")
            .field("residuals", &self.residuals)
            .finish()
    }
}

/// The rows of a (nalgebra 0.35) matrix, argmin-math's `vec` representation.
fn rows(m: &nalgebra::DMatrix<f64>) -> Vec<Vec<f64>> {
    m.row_iter().map(|r| r.iter().copied().collect()).collect()
}

/// A (nalgebra 0.35) matrix as nalgebra 0.34.
fn to034(m: &nalgebra::DMatrix<f64>) -> DMatrix<f64> {
    DMatrix::from_column_slice(m.nrows(), m.ncols(), m.as_slice())
}

/// The gradient by reverse mode (one recording, one sweep, on the thread's tape).
fn gradient_of<O: Objective>(objective: &O, x: &[f64]) -> Vec<f64> {
    reverse::gradient(|v| objective.eval(v), x).1
}

/// The Hessian by forward over reverse.
fn hessian_of<O: Objective>(objective: &O, x: &[f64]) -> nalgebra::DMatrix<f64> {
    reverse::hessian(|v| objective.eval(v), x).2
}

/// The Jacobian of the residuals by forward mode.
fn jacobian_of<R: Residuals>(residuals: &R, x: &[f64]) -> nalgebra::DMatrix<f64> {
    crate::jacobian(|v| residuals.eval(v), x).1
}

/// ½‖r‖²'s gradient Jᵀr: one recording, one backward sweep seeded with r.
fn half_norm_gradient<R: Residuals>(residuals: &R, x: &[f64]) -> Vec<f64> {
    reverse::with_thread_tape(|tape| {
        let ys = tape.record(x, |v| residuals.eval(v));
        let r: Vec<f64> = ys.iter().map(|y| y.value()).collect();
        tape.backward_seeded(&ys, &r).to_vec()
    })
}

/// ½‖r‖².
fn half_norm<R: Residuals>(residuals: &R, x: &[f64]) -> f64 {
    0.5 * residuals.eval(x).iter().map(|ri| ri * ri).sum::<f64>()
}

impl<O: Objective> CostFunction for Problem<O, Vec<f64>> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        Ok(self.objective.eval(x))
    }
}

impl<O: Objective> Gradient for Problem<O, Vec<f64>> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(gradient_of(&self.objective, x))
    }
}

impl<O: Objective> Hessian for Problem<O, Vec<f64>> {
    type Param = Vec<f64>;
    type Hessian = Vec<Vec<f64>>;
    fn hessian(&self, x: &Vec<f64>) -> Result<Vec<Vec<f64>>, Error> {
        Ok(rows(&hessian_of(&self.objective, x)))
    }
}

impl<O: Objective> CostFunction for Problem<O, DVector<f64>> {
    type Param = DVector<f64>;
    type Output = f64;
    fn cost(&self, x: &DVector<f64>) -> Result<f64, Error> {
        Ok(self.objective.eval(x.as_slice()))
    }
}

impl<O: Objective> Gradient for Problem<O, DVector<f64>> {
    type Param = DVector<f64>;
    type Gradient = DVector<f64>;
    fn gradient(&self, x: &DVector<f64>) -> Result<DVector<f64>, Error> {
        Ok(DVector::from_vec(gradient_of(
            &self.objective,
            x.as_slice(),
        )))
    }
}

impl<O: Objective> Hessian for Problem<O, DVector<f64>> {
    type Param = DVector<f64>;
    type Hessian = DMatrix<f64>;
    fn hessian(&self, x: &DVector<f64>) -> Result<DMatrix<f64>, Error> {
        Ok(to034(&hessian_of(&self.objective, x.as_slice())))
    }
}

impl<R: Residuals> Operator for ResidualProblem<R, Vec<f64>> {
    type Param = Vec<f64>;
    type Output = Vec<f64>;
    fn apply(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(self.residuals.eval(x))
    }
}

impl<R: Residuals> Jacobian for ResidualProblem<R, Vec<f64>> {
    type Param = Vec<f64>;
    type Jacobian = Vec<Vec<f64>>;
    fn jacobian(&self, x: &Vec<f64>) -> Result<Vec<Vec<f64>>, Error> {
        Ok(rows(&jacobian_of(&self.residuals, x)))
    }
}

impl<R: Residuals> CostFunction for ResidualProblem<R, Vec<f64>> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        Ok(half_norm(&self.residuals, x))
    }
}

impl<R: Residuals> Gradient for ResidualProblem<R, Vec<f64>> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(half_norm_gradient(&self.residuals, x))
    }
}

impl<R: Residuals> Operator for ResidualProblem<R, DVector<f64>> {
    type Param = DVector<f64>;
    type Output = DVector<f64>;
    fn apply(&self, x: &DVector<f64>) -> Result<DVector<f64>, Error> {
        Ok(DVector::from_vec(self.residuals.eval(x.as_slice())))
    }
}

impl<R: Residuals> Jacobian for ResidualProblem<R, DVector<f64>> {
    type Param = DVector<f64>;
    type Jacobian = DMatrix<f64>;
    fn jacobian(&self, x: &DVector<f64>) -> Result<DMatrix<f64>, Error> {
        Ok(to034(&jacobian_of(&self.residuals, x.as_slice())))
    }
}

impl<R: Residuals> CostFunction for ResidualProblem<R, DVector<f64>> {
    type Param = DVector<f64>;
    type Output = f64;
    fn cost(&self, x: &DVector<f64>) -> Result<f64, Error> {
        Ok(half_norm(&self.residuals, x.as_slice()))
    }
}

impl<R: Residuals> Gradient for ResidualProblem<R, DVector<f64>> {
    type Param = DVector<f64>;
    type Gradient = DVector<f64>;
    fn gradient(&self, x: &DVector<f64>) -> Result<DVector<f64>, Error> {
        Ok(DVector::from_vec(half_norm_gradient(
            &self.residuals,
            x.as_slice(),
        )))
    }
}
