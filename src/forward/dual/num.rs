//! The num-traits family for [`Dual`] (see [`crate::base::scalar`] for the list, written once for both
//! modes), and the few methods in which forward mode differs: what counts as a constant (all
//! tangents zero), and a `mul_add` fused in every lane.

use num_traits::{Float, Pow};

use super::Dual;
use crate::base::rules::{self, Binary, innermost};
use crate::base::scalar::impl_num_traits;

impl<T: Float, const N: usize> Dual<T, N> {
    /// The real part (the same as the field `re`).
    #[inline(always)]
    pub fn value(&self) -> T {
        self.re
    }

    /// The real part, for a branch or conversion of generic code (the same as [`Dual::value`]; graph
    /// mode's scalar records the question as a guard).
    #[inline(always)]
    pub(crate) fn observe(&self, _what: crate::base::observe::Observe) -> T {
        self.re
    }

    /// True if every tangent is exactly zero: the number carries no derivative.
    ///
    /// Exact over plain floats (`Dual<f64, N>`, `Dual<f32, N>`). Over dual numbers
    /// (`Dual<Dual<…>, N>`) generic code sees only the value of a tangent, and a tangent whose
    /// value is 0 may still carry a higher derivative, so there the answer is `true` only for
    /// `N = 0` (`false` means "may carry one").
    ///
    /// ```
    /// use nilpotent::Dual;
    /// assert!(Dual::<f64, 2>::constant(1.5).is_constant());
    /// assert!(!Dual::<f64, 2>::variable(1.5, 1).is_constant());
    /// // the outer tangent's value is 0, but it carries the mixed second derivative 1
    /// let x = Dual::<Dual<f64, 1>, 1>::new(Dual::constant(2.0), [Dual::new(0.0, [1.0])]);
    /// assert!(!x.is_constant());
    /// ```
    #[inline(always)]
    pub fn is_constant(&self) -> bool {
        N == 0 || (crate::base::zero::plain::<T>() && self.eps.iter().all(|e| e.is_zero()))
    }

    /// `self·a + b` rounded once, and fused in every lane: `ε = fma(x', a, fma(x, a', b'))`.
    ///
    /// The zero-lane and zero-partial conventions of [`Dual::chain`] hold term by term: a product
    /// term `x'·a` (or `x·a'`) is left out where its partial (`a` or `x`) is exactly zero or its
    /// tangent is, so `sqrt(x).mul_add(0, y)` at x = 0 has the tangent of `y`, not `∞·0 = NaN`
    /// (over dual numbers: `⊙` by the values, see `crate::zero`).
    ///
    /// Forced inline at the innermost level only, like the rule-table entries (see
    /// `crate::rules::innermost`).
    #[inline(always)]
    fn fused_mul_add(self, a: Self, b: Self) -> Self {
        if const { innermost::<T>() } {
            self.fused_mul_add_body(a, b)
        } else {
            let outlined: fn(Self, Self, Self) -> Self = Self::fused_mul_add_outlined;
            outlined(self, a, b)
        }
    }

    #[inline]
    fn fused_mul_add_outlined(self, a: Self, b: Self) -> Self {
        self.fused_mul_add_body(a, b)
    }

    #[inline(always)]
    fn fused_mul_add_body(self, a: Self, b: Self) -> Self {
        let (v, dx, da, db) = rules::mul_add(self.re, a.re, b.re);
        let mut eps = b.eps;
        let lanes = eps.iter_mut().zip(self.eps.iter().zip(a.eps.iter()));
        if super::both_finite_nonzero(dx, da) {
            // the ordinary case: both partials finite and nonzero
            for (e, (&xe, &ae)) in lanes {
                *e = xe.mul_add(dx, ae.mul_add(da, *e * db));
            }
        } else {
            for (e, (&xe, &ae)) in lanes {
                *e = fused_term(xe, dx, fused_term(ae, da, *e * db));
            }
        }
        Dual { re: v, eps }
    }
}

/// `acc + t·d` rounded once, with the zero conventions of `⊙` (`crate::zero`): `acc` where `t` or
/// `d` is 0 for plain floats; over dual numbers `acc + t ⊙ d` where a zero value meets ±∞ or NaN.
#[inline(always)]
fn fused_term<T: Float>(t: T, d: T, acc: T) -> T {
    if const { crate::base::zero::plain::<T>() } {
        if t.is_zero() || d.is_zero() {
            acc
        } else {
            t.mul_add(d, acc)
        }
    } else if crate::base::zero::singular(t, d) {
        acc + crate::base::zero::product(t, d)
    } else {
        t.mul_add(d, acc)
    }
}

impl_num_traits!([T: Float, const N: usize] Dual<T, N>, T, sin_cos = Dual::sin_cos_once);

/// xʸ with a constant `f64` exponent.
impl<const N: usize> Pow<f64> for Dual<f64, N> {
    type Output = Self;
    fn pow(self, y: f64) -> Self {
        self.binary_const_rhs(Binary::Powf, y)
    }
}

/// xʸ with a constant `f32` exponent.
impl<const N: usize> Pow<f32> for Dual<f32, N> {
    type Output = Self;
    fn pow(self, y: f32) -> Self {
        self.binary_const_rhs(Binary::Powf, y)
    }
}
