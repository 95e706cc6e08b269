//! Derivatives for optimisers: [`argmin`] (feature `argmin`) and
//! [`levenberg_marquardt`] (feature `levenberg-marquardt`) get
//! gradients, Hessians and Jacobians from nilpotent, from one generic function.
//!
//! An optimiser evaluates the function at several scalar types (plain `f64` for the value, a
//! recorded variable for the gradient, dual numbers for the Jacobian…), so the function is given
//! as a type that implements [`Objective`] (a scalar function) or [`Residuals`] (a vector of
//! residuals for least squares). Its data (measurements, constants) are the fields of the type:
//!
//! ```
//! use nilpotent::Real;
//! use nilpotent::optim::Residuals;
//!
//! /// y ≈ a·exp(−b·t): the residuals of the model at the measurements
//! struct Decay { t: Vec<f64>, y: Vec<f64> }
//! impl Residuals for Decay {
//!     fn eval<T: Real>(&self, p: &[T]) -> Vec<T> {
//!         // data are plain f64: they enter as constants
//!         self.t.iter().zip(&self.y).map(|(&t, &y)| p[0] * (-p[1] * t).exp() - y).collect()
//!     }
//! }
//! let decay = Decay { t: vec![0.0, 1.0], y: vec![2.0, 1.0] };
//! assert_eq!(decay.eval(&[2.0, 0.0]), vec![0.0, 1.0]);
//! ```
//!
//! For a function without data, [`objective!`] and [`residuals!`] write the type:
//! `objective!(Rosenbrock = rosenbrock);`.
//!
//! # `Real` or `Float`
//!
//! The traits and macros take functions bounded on [`Real`] (plain `f64` numbers
//! in the code: `x * 100.0`, `1.0 - x`) as well as on [`Float`] (`T::from(100.0).unwrap()`):
//! the optimisers evaluate them on `f64`, `Var<f64>`, `Dual<f64, N>` and `Var<Dual<f64, N>>`,
//! which are all `Real`. An implementation may declare `fn eval<T: Float>` (a weaker bound than
//! the trait's `T: Real`) and keeps compiling; generic code that *calls* `eval` bounds its own
//! `T` on `Real` (the compiler's E0277 says so and names `nilpotent::Real`). A function that needs more than `Real` (nalgebra's
//! `RealField`, say) cannot be given to them: the types above have it, but the trait promises
//! only `Real`; put the extra bound in a helper the function calls on concrete types, or use the
//! drivers (`nilpotent::gradient`, …) directly.
//!
//! # nalgebra 0.34 and 0.35
//!
//! argmin-math 0.5 (the linear algebra of argmin 0.11) and levenberg-marquardt 0.15 are built on
//! nalgebra 0.34, nilpotent on nalgebra 0.35: the two versions' matrices are different types.
//! The adapters take and return the optimisers' types (nalgebra 0.34 vectors and matrices, or
//! `Vec<f64>`), converting nilpotent's results inside; the features bring nalgebra 0.34 as a
//! dependency and it is re-exported as [`nalgebra034`], so a user who needs to build a 0.34
//! vector (a starting point for argmin's Newton method) or read one (levenberg-marquardt's
//! parameters) writes `nilpotent::optim::nalgebra034::DVector` and adds no second nalgebra by
//! hand. [`to_nalgebra034`] and [`from_nalgebra034`] convert matrices and vectors (column-major
//! copies) for code that mixes both.

#[cfg(feature = "argmin")]
pub mod argmin;
#[cfg(feature = "levenberg-marquardt")]
pub mod levenberg_marquardt;

#[doc(hidden)]
pub use num_traits as __num_traits;

/// Defines a unit struct that implements [`Objective`] by calling a generic function
/// `fn f<T: Real>(x: &[T]) -> T` (or `T: Float`): `objective!(Name = f);` is the whole glue for a
/// function that needs no data.
///
/// ```
/// use nilpotent::Real;
/// use nilpotent::optim::{Objective, objective};
/// fn rosenbrock<T: Real>(x: &[T]) -> T {
///     (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
/// }
/// objective!(Rosenbrock = rosenbrock);
/// assert_eq!(Rosenbrock.eval(&[1.0, 1.0]), 0.0);
/// ```
///
/// A function bounded on `Float` is accepted as well:
///
/// ```
/// use nilpotent::optim::{Objective, objective};
/// use num_traits::Float;
/// fn sphere<T: Float>(x: &[T]) -> T { x.iter().fold(T::zero(), |s, &v| s + v * v) }
/// objective!(Sphere = sphere);
/// assert_eq!(Sphere.eval(&[3.0, 4.0]), 25.0);
/// ```
#[macro_export]
macro_rules! objective {
    ($(#[$meta:meta])* $vis:vis $name:ident = $f:path) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default)]
        $vis struct $name;
        impl $crate::optim::Objective for $name {
            fn eval<T: $crate::Real>(&self, x: &[T]) -> T {
                $f(x)
            }
        }
    };
}

/// Defines a unit struct that implements [`Residuals`] by calling a generic function
/// `fn r<T: Real>(x: &[T]) -> Vec<T>` (or `T: Float`) (for residuals with data, implement [`Residuals`] on the
/// type that holds the data instead).
///
/// ```
/// use nilpotent::Real;
/// use nilpotent::optim::{Residuals, residuals};
/// fn circle<T: Real>(p: &[T]) -> Vec<T> { vec![p[0] * p[0] + p[1] * p[1] - 1.0, p[0] - p[1]] }
/// residuals!(Circle = circle);
/// assert_eq!(Circle.eval(&[1.0, 1.0]), vec![1.0, 0.0]);
/// ```
#[macro_export]
macro_rules! residuals {
    ($(#[$meta:meta])* $vis:vis $name:ident = $f:path) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default)]
        $vis struct $name;
        impl $crate::optim::Residuals for $name {
            fn eval<T: $crate::Real>(&self, x: &[T]) -> ::std::vec::Vec<T> {
                $f(x)
            }
        }
    };
}

pub use crate::{objective, residuals};

/// nalgebra 0.34, the version argmin-math 0.5 and levenberg-marquardt 0.15 use (re-exported so
/// that its types can be named without a second nalgebra dependency).
pub use nalgebra034;

#[cfg(doc)]
use num_traits::Float;

use crate::Real;

/// A scalar function `f: ℝⁿ → ℝ` written once for every [`Real`] type, for the optimiser
/// adapters (which evaluate it on `f64`, on recorded variables and on dual numbers).
///
/// ```
/// use nilpotent::Real;
/// use nilpotent::optim::Objective;
/// /// (a − x₀)² + b (x₁ − x₀²)²
/// struct Rosenbrock { a: f64, b: f64 }
/// impl Objective for Rosenbrock {
///     fn eval<T: Real>(&self, x: &[T]) -> T {
///         (self.a - x[0]).powi(2) + self.b * (x[1] - x[0] * x[0]).powi(2)
///     }
/// }
/// assert_eq!(Rosenbrock { a: 1.0, b: 100.0 }.eval(&[1.0, 1.0]), 0.0);
/// ```
///
/// An implementation bounded on [`Float`] (`fn eval<T: Float>`) is accepted too: it asks less
/// than the trait gives.
pub trait Objective {
    /// The value at `x`.
    fn eval<T: Real>(&self, x: &[T]) -> T;
}

/// A vector function `r: ℝⁿ → ℝᵐ` (the residuals of a least-squares problem, minimised as
/// ½‖r(x)‖²) written once for every [`Real`] type (an implementation may declare
/// `T: Float` instead); see the [module documentation](self).
pub trait Residuals {
    /// The residuals at `x` (the same number m at every `x`).
    fn eval<T: Real>(&self, x: &[T]) -> Vec<T>;
}

/// Conversion of a nalgebra 0.35 matrix or vector (nilpotent's) to nalgebra 0.34 (the
/// optimisers'), by [`to_nalgebra034`].
pub trait ToNalgebra034 {
    /// The nalgebra 0.34 type.
    type Output;
    /// A copy as nalgebra 0.34.
    fn to_nalgebra034(&self) -> Self::Output;
}

/// Conversion of a nalgebra 0.34 matrix or vector to nalgebra 0.35, by [`from_nalgebra034`].
pub trait ToNalgebra035 {
    /// The nalgebra 0.35 type.
    type Output;
    /// A copy as nalgebra 0.35.
    fn to_nalgebra035(&self) -> Self::Output;
}

impl<T: nalgebra::Scalar> ToNalgebra034 for nalgebra::DMatrix<T> {
    type Output = nalgebra034::DMatrix<T>;
    fn to_nalgebra034(&self) -> Self::Output {
        nalgebra034::DMatrix::from_column_slice(self.nrows(), self.ncols(), self.as_slice())
    }
}

impl<T: nalgebra::Scalar> ToNalgebra034 for nalgebra::DVector<T> {
    type Output = nalgebra034::DVector<T>;
    fn to_nalgebra034(&self) -> Self::Output {
        nalgebra034::DVector::from_column_slice(self.as_slice())
    }
}

impl<T: nalgebra::Scalar> ToNalgebra035 for nalgebra034::DMatrix<T> {
    type Output = nalgebra::DMatrix<T>;
    fn to_nalgebra035(&self) -> Self::Output {
        nalgebra::DMatrix::from_column_slice(self.nrows(), self.ncols(), self.as_slice())
    }
}

impl<T: nalgebra::Scalar> ToNalgebra035 for nalgebra034::DVector<T> {
    type Output = nalgebra::DVector<T>;
    fn to_nalgebra035(&self) -> Self::Output {
        nalgebra::DVector::from_column_slice(self.as_slice())
    }
}

/// A nalgebra 0.35 `DMatrix` or `DVector` (what nilpotent's drivers return) copied into the same
/// type of nalgebra 0.34 (what argmin-math 0.5 and levenberg-marquardt 0.15 take).
///
/// ```
/// use nilpotent::optim::{from_nalgebra034, to_nalgebra034};
/// use num_traits::Float;
/// fn f<T: Float>(x: &[T]) -> T { x[0] * x[0] * x[1] }
/// let (_, _, h) = nilpotent::hessian(f, &[3.0, 2.0]); // nalgebra 0.35
/// let h034: nilpotent::optim::nalgebra034::DMatrix<f64> = to_nalgebra034(&h);
/// assert_eq!(h034[(0, 1)], 6.0);
/// assert_eq!(from_nalgebra034(&h034), h);
/// ```
pub fn to_nalgebra034<M: ToNalgebra034>(m: &M) -> M::Output {
    m.to_nalgebra034()
}

/// A nalgebra 0.34 `DMatrix` or `DVector` copied into the same type of nalgebra 0.35 (see
/// [`to_nalgebra034`]).
pub fn from_nalgebra034<M: ToNalgebra035>(m: &M) -> M::Output {
    m.to_nalgebra035()
}
