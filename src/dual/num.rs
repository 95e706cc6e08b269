//! The num-traits family for [`Dual`] (see [`crate::scalar`] for the list, written once for both
//! modes), and the few methods in which forward mode differs: what counts as a constant and as the
//! additive identity (all tangents zero), and a `mul_add` fused in every lane.

use num_traits::{Float, Pow};

use super::Dual;
use crate::rules::{self, Binary, innermost};
use crate::scalar::impl_num_traits;

impl<T: Float, const N: usize> Dual<T, N> {
    /// The real part (the same as the field `re`).
    #[inline(always)]
    pub fn value(&self) -> T {
        self.re
    }

    /// The real part, for a branch or conversion of generic code (the same as [`Dual::value`]; graph
    /// mode's scalar records the question as a guard).
    #[inline(always)]
    pub(crate) fn observe(&self, _what: crate::graph::Observe) -> T {
        self.re
    }

    /// True if every tangent is exactly zero.
    #[inline(always)]
    pub fn is_constant(&self) -> bool {
        self.eps.iter().all(|e| e.is_zero())
    }

    /// True if the real part and every tangent are exactly zero.
    ///
    /// The tangents are looked at only if the real part is zero, and that half is marked cold: a
    /// zero test is mostly asked of nonzero numbers (a partial about to be recorded on a tape),
    /// and without the mark the compiler compared every tangent every time.
    #[inline(always)]
    fn is_additive_identity(&self) -> bool {
        if !self.re.is_zero() {
            return false;
        }
        self.is_constant_cold()
    }

    /// [`Dual::is_constant`] on the rarer side of a branch (see `is_additive_identity`).
    #[cold]
    #[inline(always)]
    fn is_constant_cold(&self) -> bool {
        self.is_constant()
    }

    /// `self·a + b` rounded once, and fused in every lane: `ε = fma(x', a, fma(x, a', b'))`.
    ///
    /// The zero-lane and zero-partial conventions of [`Dual::chain`] hold term by term: a product
    /// term `x'·a` (or `x·a'`) is left out where its partial (`a` or `x`) is exactly zero or its
    /// tangent is, so `sqrt(x).mul_add(0, y)` at x = 0 has the tangent of `y`, not `∞·0 = NaN`.
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
                let mut acc = *e * db;
                if !(ae.is_zero() || da.is_zero()) {
                    acc = ae.mul_add(da, acc);
                }
                if !(xe.is_zero() || dx.is_zero()) {
                    acc = xe.mul_add(dx, acc);
                }
                *e = acc;
            }
        }
        Dual { re: v, eps }
    }
}

impl_num_traits!([T: Float, const N: usize] Dual<T, N>, T);

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
