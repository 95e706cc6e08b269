//! Finite differences with step control, and checking of hand-written derivatives.
//!
//! Automatic differentiation is exact to rounding; finite differences are not, but they need
//! nothing but values of the function, so they are the independent witness against which AD and
//! hand-written derivatives are checked. This module provides both halves:
//!
//! * [`FiniteDiff`]: forward, backward and central differences and Richardson extrapolation, for
//!   derivatives of `Fn(T) -> T`, gradients of `Fn(&[T]) -> T`, Jacobians of `Fn(&[T]) -> Vec<T>`
//!   and directional derivatives, for any `T: Float` (`f64`, `f32`, …). The free functions
//!   [`derivative`], [`gradient`], [`jacobian`] and [`directional`] use the default scheme
//!   (Richardson extrapolation, order 6).
//! * [`check_derivative`], [`check_gradient`], [`check_jacobian`] (and [`Checker`] to change the
//!   tolerances): compare a hand-written derivative with forward-mode AD and with finite
//!   differences, and return a [`CheckReport`] that prints as a readable table.
//!
//! ```
//! use nilpotent::numeric::{self, FiniteDiff};
//! use num_traits::Float;
//!
//! fn f<T: Float>(x: &[T]) -> T { x[0].ln() + x[0] * x[1] - x[1].sin() }
//!
//! let x = [2.0, 5.0];
//! let g = numeric::gradient(f, &x); // Richardson, O(h⁶)
//! assert!((g[0] - 5.5).abs() < 1e-10);
//! let g2 = FiniteDiff::central().gradient(f, &x); // O(h²)
//! assert!((g2[0] - 5.5).abs() < 1e-8);
//! let g1 = FiniteDiff::forward().with_step(1e-6).gradient(f, &x); // O(h), chosen step
//! assert!((g1[0] - 5.5).abs() < 1e-5);
//! ```
//!
//! # Schemes and their errors
//!
//! For a smooth `f` and step `h` (with `f⁽ᵏ⁾` the k-th derivative near `x`):
//!
//! | [`Scheme`] | formula | truncation error | evaluations |
//! |---|---|---|---|
//! | `Forward` | (f(x+h) − f(x)) / h | h·f″/2 = O(h) | 2 |
//! | `Backward` | (f(x) − f(x−h)) / h | −h·f″/2 = O(h) | 2 |
//! | `Central` | (f(x+h) − f(x−h)) / 2h | h²·f‴/6 = O(h²) | 2 |
//! | `Richardson { levels: L }` | central differences at h, h/2, …, h/2^(L−1) combined by Richardson's tableau | O(h^(2L)) | 2L |
//!
//! Richardson's tableau: the central difference D(h) = f′ + c₁h² + c₂h⁴ + … has an error expansion in
//! even powers of h, so `D₁(h) = (4·D(h/2) − D(h)) / 3` cancels the h² term (error O(h⁴)),
//! `D₂ = (16·D₁(h/2) − D₁(h)) / 15` the h⁴ term (O(h⁶)), and level j divides by 4ʲ − 1.
//! `Richardson { levels: 1 }` is a central difference (with the larger Richardson step).
//!
//! # Step rule
//!
//! A finite difference trades truncation error (smaller with small h) against rounding error
//! (about ε·|f|/h, larger with small h), where ε is the machine epsilon of `T`. The automatic step
//! balances the two for a function whose derivatives are of the size of its values, and scales with
//! the magnitude of `x` so that `x ± h` differs from `x` in the same leading digits whether `x` is
//! 10⁻³ or 10⁹:
//!
//! | scheme | automatic step h | best attainable relative error (f64) |
//! |---|---|---|
//! | `Forward`, `Backward` | ε^(1/2)·max(\|x\|, 1) | ≈ ε^(1/2) ≈ 1e-8 |
//! | `Central` | ε^(1/3)·max(\|x\|, 1) | ≈ ε^(2/3) ≈ 4e-11 |
//! | `Richardson { levels: L }` (first, largest step) | ε^(1/(2L+1))·max(\|x\|, 1) | ≈ ε^(2L/(2L+1)) (L = 3: ≈ 1e-14 in theory, 1e-12 to 1e-13 in practice) |
//!
//! The `max(|x|, 1)` keeps the step away from zero at `x = 0` (no division by zero, no NaN), and
//! makes it absolute for `|x| < 1`. The difference quotients divide by the distance between the
//! points actually evaluated: `x + h` is rounded to the nearest representable number and the step
//! used is `(x + h) − x` (the classic trick that removes the representation error of `h` from the
//! quotient; for a central difference the divisor is `(x + h) − (x − h)`).
//!
//! A chosen step ([`FiniteDiff::with_step`]) replaces the automatic one as it is, without scaling
//! (for Richardson it is the first, largest step). For a directional derivative the step is taken in
//! the parameter t of `f(x + t·v)`; the automatic one is the scalar rule with `|x|` replaced by
//! ‖x‖∞, divided by ‖v‖∞.
//!
//! **Caveat.** All points lie within one step of `x` (within `h`, the largest step, for
//! Richardson), so `f` must be defined and smooth there: near a singularity (`ln`, `sqrt` near 0) or a
//! kink, choose a smaller step or a one-sided scheme that stays inside the domain. Richardson's
//! larger steps (`ε^(1/7) ≈ 6e-3` for f64 and `≈ 0.1` for f32 at `levels = 3`) make this matter
//! more than for plain central differences.
//!
//! # Why not the `finitediff` crate
//!
//! argmin's `finitediff` 0.2 was considered. It takes `&dyn Fn(&Vec<F>) -> Result<F, anyhow::Error>`
//! closures (one concrete float type per closure, errors boxed through `anyhow`), uses a fixed
//! absolute step `√ε` or `∛ε` that does not scale with `|x|` (so for |x| ≳ 10⁵ in f64 the step is
//! below the spacing of floats near x), has no Richardson extrapolation and no scalar derivative, and
//! returns Jacobians as `Vec<Vec<F>>`. Adapting it would cost more than the ~200 lines here and would
//! add `anyhow` and `num` to the dependency tree, so nilpotent does not depend on it.

mod check;

pub use check::{
    CheckEntry, CheckFailure, CheckKind, CheckReport, Checker, check_derivative, check_gradient,
    check_jacobian,
};

use nalgebra::{DMatrix, Scalar};
use num_traits::Float;

/// A finite-difference formula. See the [module documentation](self) for the formulas and their
/// error orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `(f(x+h) − f(x)) / h`, error O(h).
    Forward,
    /// `(f(x) − f(x−h)) / h`, error O(h).
    Backward,
    /// `(f(x+h) − f(x−h)) / 2h`, error O(h²).
    Central,
    /// Central differences at `h, h/2, …, h/2^(levels−1)` combined by Richardson's tableau, error
    /// O(h^(2·levels)), `2·levels` evaluations per derivative.
    Richardson {
        /// The number of central differences in the tableau (at least 1).
        levels: usize,
    },
}

impl Scheme {
    /// The power p of the truncation error O(hᵖ): 1, 1, 2, and `2·levels`.
    pub fn error_order(self) -> u32 {
        match self {
            Scheme::Forward | Scheme::Backward => 1,
            Scheme::Central => 2,
            Scheme::Richardson { levels } => 2 * levels as u32,
        }
    }

    /// The number of evaluations of the function per derivative: 2 for the simple schemes, and
    /// `2·levels` for Richardson.
    pub fn evaluations(self) -> usize {
        match self {
            Scheme::Forward | Scheme::Backward | Scheme::Central => 2,
            Scheme::Richardson { levels } => 2 * levels,
        }
    }
}

/// A finite-difference method: a [`Scheme`] and a step (automatic unless chosen).
///
/// ```
/// use nilpotent::numeric::FiniteDiff;
/// let fd = FiniteDiff::<f64>::central();
/// assert!((fd.derivative(|x: f64| x.sin(), 0.0) - 1.0).abs() < 1e-10);
/// // the automatic step scales with |x|: at x = 1e12 a fixed step of 1e-5 would vanish in rounding
/// assert!((fd.derivative(|x: f64| x * x, 1e12) / 2e12 - 1.0).abs() < 1e-9);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FiniteDiff<T> {
    /// The formula.
    pub scheme: Scheme,
    /// The step: `None` for the automatic rule of the [module documentation](self), `Some(h)` for
    /// exactly `h` (for Richardson, the first and largest step).
    pub step: Option<T>,
}

/// The default: Richardson extrapolation with 3 levels (error O(h⁶), 6 evaluations per derivative).
impl<T: Float> Default for FiniteDiff<T> {
    fn default() -> Self {
        Self::richardson(3)
    }
}

impl<T: Float> FiniteDiff<T> {
    /// Forward differences `(f(x+h) − f(x)) / h`, error O(h), automatic step ε^(1/2)·max(|x|, 1).
    pub fn forward() -> Self {
        FiniteDiff {
            scheme: Scheme::Forward,
            step: None,
        }
    }

    /// Backward differences `(f(x) − f(x−h)) / h`, error O(h), automatic step ε^(1/2)·max(|x|, 1).
    pub fn backward() -> Self {
        FiniteDiff {
            scheme: Scheme::Backward,
            step: None,
        }
    }

    /// Central differences `(f(x+h) − f(x−h)) / 2h`, error O(h²), automatic step
    /// ε^(1/3)·max(|x|, 1).
    pub fn central() -> Self {
        FiniteDiff {
            scheme: Scheme::Central,
            step: None,
        }
    }

    /// Richardson extrapolation of `levels` central differences at h, h/2, …: error
    /// O(h^(2·levels)), automatic first step ε^(1/(2·levels+1))·max(|x|, 1).
    ///
    /// # Panics
    /// If `levels` is 0.
    pub fn richardson(levels: usize) -> Self {
        assert!(
            levels >= 1,
            "FiniteDiff::richardson: the number of levels must be at least 1 (got 0)"
        );
        FiniteDiff {
            scheme: Scheme::Richardson { levels },
            step: None,
        }
    }

    /// The same scheme with the step `h`, used as given (not scaled with `|x|`).
    ///
    /// # Panics
    /// If `h` is not positive and finite.
    pub fn with_step(self, h: T) -> Self {
        assert!(
            h > T::zero() && h.is_finite(),
            "FiniteDiff::with_step: the step must be positive and finite (got {})",
            h.to_f64().unwrap_or(f64::NAN)
        );
        FiniteDiff {
            step: Some(h),
            ..self
        }
    }

    /// The power p of the truncation error O(hᵖ) (see [`Scheme::error_order`]).
    pub fn error_order(&self) -> u32 {
        self.scheme.error_order()
    }

    /// The step used at `x` before rounding: the chosen one, or the automatic
    /// `ε^(1/(p+1))·max(|x|, 1)` with p the error order (the first, largest step for Richardson).
    ///
    /// ```
    /// use nilpotent::numeric::FiniteDiff;
    /// let h = FiniteDiff::<f64>::forward().step_at(0.0);
    /// assert_eq!(h, f64::EPSILON.sqrt());
    /// assert_eq!(FiniteDiff::<f64>::central().step_at(-1e3), 1e3 * f64::EPSILON.cbrt());
    /// ```
    pub fn step_at(&self, x: T) -> T {
        match self.step {
            Some(h) => h,
            None => self.base_step() * x.abs().max(T::one()),
        }
    }

    /// ε^(1/(p+1)) for the error order p of the scheme.
    fn base_step(&self) -> T {
        let p = self.error_order();
        let eps = T::epsilon();
        match p {
            1 => eps.sqrt(),
            2 => eps.cbrt(),
            _ => eps.powf(T::one() / from_usize::<T>(p as usize + 1)),
        }
    }

    /// The derivative f′(x) of a function of one variable.
    ///
    /// ```
    /// use nilpotent::numeric::FiniteDiff;
    /// let d = FiniteDiff::richardson(3).derivative(|x: f64| x.exp(), 1.0);
    /// assert!((d - 1f64.exp()).abs() < 1e-12);
    /// ```
    ///
    /// # Panics
    /// If a chosen step is so small that `x + h` rounds to `x`.
    pub fn derivative<F>(&self, f: F, x: T) -> T
    where
        F: Fn(T) -> T,
    {
        let h = self.step_at(x);
        difference(self.scheme, x, h, f, scalar_lin)
    }

    /// The gradient of `f: ℝⁿ → ℝ`: one derivative per input, each with the step for that
    /// input's magnitude (`2n` evaluations for the simple schemes).
    ///
    /// ```
    /// use nilpotent::numeric::FiniteDiff;
    /// use num_traits::Float;
    /// fn f<T: Float>(x: &[T]) -> T { x[0].ln() + x[0] * x[1] - x[1].sin() }
    /// let g = FiniteDiff::central().gradient(f, &[2.0, 5.0]);
    /// assert!((g[0] - 5.5).abs() < 1e-9);
    /// ```
    ///
    /// # Panics
    /// If a chosen step is so small that `x[j] + h` rounds to `x[j]`.
    pub fn gradient<F>(&self, f: F, x: &[T]) -> Vec<T>
    where
        F: Fn(&[T]) -> T,
    {
        let mut xt = x.to_vec();
        (0..x.len())
            .map(|j| {
                let h = self.step_at(x[j]);
                let d = difference(
                    self.scheme,
                    x[j],
                    h,
                    |t| {
                        xt[j] = t;
                        f(&xt)
                    },
                    scalar_lin,
                );
                xt[j] = x[j];
                d
            })
            .collect()
    }

    /// The Jacobian of `f: ℝⁿ → ℝᵐ`, m × n with `jac[(i, j)] = ∂fᵢ/∂xⱼ` (the layout of
    /// [`crate::jacobian`]); column j is a finite difference in `x[j]`.
    ///
    /// ```
    /// use nilpotent::numeric::FiniteDiff;
    /// use num_traits::Float;
    /// fn polar<T: Float>(p: &[T]) -> Vec<T> { vec![p[0] * p[1].cos(), p[0] * p[1].sin()] }
    /// let jac = FiniteDiff::default().jacobian(polar, &[2.0, 0.5]);
    /// assert!((jac[(1, 1)] - 2.0 * 0.5f64.cos()).abs() < 1e-11);
    /// ```
    ///
    /// # Panics
    /// If `f` returns vectors of different lengths at different points, or if a chosen step is so
    /// small that `x[j] + h` rounds to `x[j]`.
    pub fn jacobian<F>(&self, f: F, x: &[T]) -> DMatrix<T>
    where
        T: Scalar,
        F: Fn(&[T]) -> Vec<T>,
    {
        let n = x.len();
        if n == 0 {
            return DMatrix::zeros(f(x).len(), 0);
        }
        let mut xt = x.to_vec();
        let mut jac = DMatrix::zeros(0, n);
        for j in 0..n {
            let h = self.step_at(x[j]);
            let col = difference(
                self.scheme,
                x[j],
                h,
                |t| {
                    xt[j] = t;
                    f(&xt)
                },
                vec_lin,
            );
            xt[j] = x[j];
            if j == 0 {
                jac = DMatrix::zeros(col.len(), n);
            } else {
                assert_eq!(
                    col.len(),
                    jac.nrows(),
                    "numeric jacobian: f returned {} for column 0 and {} for column {j}",
                    crate::base::text::count(jac.nrows(), "value", "values"),
                    crate::base::text::count(col.len(), "value", "values")
                );
            }
            for (i, c) in col.into_iter().enumerate() {
                jac[(i, j)] = c;
            }
        }
        jac
    }

    /// The directional derivative ∇f(x)·v = d/dt f(x + t·v) at t = 0, from evaluations of `f`
    /// along the line (2 for the simple schemes, whatever n is). The automatic step in t is the
    /// scalar rule with ‖x‖∞ for |x|, divided by ‖v‖∞; a zero direction gives exactly 0.
    ///
    /// ```
    /// use nilpotent::numeric::FiniteDiff;
    /// use num_traits::Float;
    /// fn f<T: Float>(x: &[T]) -> T { x[0].ln() + x[0] * x[1] - x[1].sin() }
    /// let d = FiniteDiff::default().directional(f, &[2.0, 5.0], &[1.0, 1.0]);
    /// assert!((d - (5.5 + 2.0 - 5f64.cos())).abs() < 1e-11);
    /// ```
    ///
    /// # Panics
    /// If `v` and `x` have different lengths.
    pub fn directional<F>(&self, f: F, x: &[T], v: &[T]) -> T
    where
        F: Fn(&[T]) -> T,
    {
        assert_eq!(
            v.len(),
            x.len(),
            "numeric directional: the direction v has {}; expected {}, one per entry of x",
            crate::base::text::count(v.len(), "entry", "entries"),
            x.len()
        );
        let vmax = v.iter().fold(T::zero(), |m, vi| m.max(vi.abs()));
        if vmax.is_zero() {
            return T::zero();
        }
        let h = match self.step {
            Some(h) => h,
            None => {
                let xmax = x.iter().fold(T::zero(), |m, xi| m.max(xi.abs()));
                self.base_step() * xmax.max(T::one()) / vmax
            }
        };
        let mut xt = x.to_vec();
        difference(
            self.scheme,
            T::zero(),
            h,
            |t| {
                for ((xti, &xi), &vi) in xt.iter_mut().zip(x).zip(v) {
                    *xti = xi + t * vi;
                }
                f(&xt)
            },
            scalar_lin,
        )
    }
}

/// f′(x) by the default scheme (Richardson, 3 levels, O(h⁶)); see [`FiniteDiff::derivative`].
///
/// ```
/// let d = nilpotent::numeric::derivative(|x: f64| x.sin(), 0.0);
/// assert!((d - 1.0).abs() < 1e-13);
/// ```
pub fn derivative<T: Float, F: Fn(T) -> T>(f: F, x: T) -> T {
    FiniteDiff::default().derivative(f, x)
}

/// ∇f(x) by the default scheme (Richardson, 3 levels, O(h⁶)); see [`FiniteDiff::gradient`].
///
/// Unlike [`crate::gradient`] it returns the gradient only (the schemes do not all evaluate f(x)).
pub fn gradient<T: Float, F: Fn(&[T]) -> T>(f: F, x: &[T]) -> Vec<T> {
    FiniteDiff::default().gradient(f, x)
}

/// The Jacobian (m × n) by the default scheme (Richardson, 3 levels, O(h⁶)); see
/// [`FiniteDiff::jacobian`].
pub fn jacobian<T: Float + Scalar, F: Fn(&[T]) -> Vec<T>>(f: F, x: &[T]) -> DMatrix<T> {
    FiniteDiff::default().jacobian(f, x)
}

/// ∇f(x)·v by the default scheme (Richardson, 3 levels, O(h⁶)); see [`FiniteDiff::directional`].
pub fn directional<T: Float, F: Fn(&[T]) -> T>(f: F, x: &[T], v: &[T]) -> T {
    FiniteDiff::default().directional(f, x, v)
}

/// `n` as a `T` (exact for the small integers used here).
fn from_usize<T: Float>(n: usize) -> T {
    T::from(n).expect("a small integer is representable in every Float type")
}

/// `a·x + b·y` for scalars.
fn scalar_lin<T: Float>(a: T, x: &T, b: T, y: &T) -> T {
    a * *x + b * *y
}

/// `a·x + b·y` for vectors of equal length.
#[allow(clippy::ptr_arg)] // must match `Fn(T, &V, T, &V) -> V` with `V = Vec<T>`
fn vec_lin<T: Float>(a: T, x: &Vec<T>, b: T, y: &Vec<T>) -> Vec<T> {
    assert_eq!(
        x.len(),
        y.len(),
        "numeric jacobian: f returned {} at one point and {} at another",
        crate::base::text::count(x.len(), "value", "values"),
        crate::base::text::count(y.len(), "value", "values")
    );
    x.iter().zip(y).map(|(&xi, &yi)| a * xi + b * yi).collect()
}

/// The finite difference of `g` at `x` with (first) step `h` by `scheme`; `lin(a, u, b, w)` forms
/// `a·u + b·w` in the value space of `g` (scalars or vectors).
fn difference<T, V, G, L>(scheme: Scheme, x: T, h: T, mut g: G, lin: L) -> V
where
    T: Float,
    G: FnMut(T) -> V,
    L: Fn(T, &V, T, &V) -> V,
{
    match scheme {
        Scheme::Forward => {
            let xp = x + h;
            let d = nonzero_step(xp - x, x, h);
            let (fp, f0) = (g(xp), g(x));
            lin(d.recip(), &fp, -d.recip(), &f0)
        }
        Scheme::Backward => {
            let xm = x - h;
            let d = nonzero_step(x - xm, x, h);
            let (f0, fm) = (g(x), g(xm));
            lin(d.recip(), &f0, -d.recip(), &fm)
        }
        Scheme::Central => central(x, h, &mut g, &lin),
        Scheme::Richardson { levels } => {
            assert!(
                levels >= 1,
                "finite differences: Richardson extrapolation needs at least 1 level (got 0)"
            );
            // tableau row by row: after step k, row[j] = D_j(h/2^(k−j)), the j-times
            // extrapolated value built from the finest k−j+1… central differences
            let two = T::one() + T::one();
            let four = two * two;
            let mut row: Vec<V> = Vec::with_capacity(levels);
            let mut hk = h;
            for k in 0..levels {
                let mut new = central(x, hk, &mut g, &lin);
                let mut pow4 = T::one();
                for prev in row.iter_mut().take(k) {
                    // D_j(fine) = D_{j−1}(fine) + (D_{j−1}(fine) − D_{j−1}(coarse)) / (4^j − 1)
                    pow4 = pow4 * four;
                    let c = (pow4 - T::one()).recip();
                    let next = lin(T::one() + c, &new, -c, prev);
                    *prev = new;
                    new = next;
                }
                row.push(new);
                hk = hk / two;
            }
            row.pop().expect("at least one level")
        }
    }
}

/// The central difference of `g` at `x` with step `h`, divided by the distance between the two
/// points actually evaluated.
fn central<T, V, G, L>(x: T, h: T, g: &mut G, lin: &L) -> V
where
    T: Float,
    G: FnMut(T) -> V,
    L: Fn(T, &V, T, &V) -> V,
{
    let (xp, xm) = (x + h, x - h);
    let d = nonzero_step(xp - xm, x, h);
    let (fp, fm) = (g(xp), g(xm));
    lin(d.recip(), &fp, -d.recip(), &fm)
}

/// Panics with a clear message if rounding made the step vanish.
fn nonzero_step<T: Float>(d: T, x: T, h: T) -> T {
    assert!(
        !d.is_zero(),
        "finite differences: the step h = {:e} vanishes against x = {:e} (x + h rounds to x); \
         choose a larger step",
        h.to_f64().unwrap_or(f64::NAN),
        x.to_f64().unwrap_or(f64::NAN)
    );
    d
}
