//! `Dual`'s impls of the crate's scalar-level traits declared in `base`: [`Real`]/[`Real32`] and
//! [`Literal`] (plain-float literals), comparisons with the scalar type and with a plain float on the
//! left, [`Loops`] (a plain loop), the inherent math methods, and approx's comparisons.

use approx::{AbsDiffEq, RelativeEq, UlpsEq};
use core::cmp::Ordering;
use num_traits::Float;

use super::Dual;
use crate::base::approx_eq::AllParts;
use crate::base::elementary::Elementary;
use crate::base::loops::Loops;
use crate::base::methods::{forward_to_float, math_methods};
use crate::base::real::{Literal, LiteralLhs, LiteralRhs, Real, Real32, literal_ops};
use crate::base::rules::{Need, Unary};

/// A dual number over a `Real` type, at any depth of nesting.
impl<T: Real, const N: usize> Real for Dual<T, N>
where
    Self: LiteralRhs<f64>,
    f64: LiteralLhs<Self>,
{
}

/// A dual number over a `Real32` type, at any depth of nesting.
impl<T: Real32, const N: usize> Real32 for Dual<T, N>
where
    Self: LiteralRhs<f32>,
    f32: LiteralLhs<Self>,
{
}

impl<T: Literal + Float, const N: usize> Literal for Dual<T, N> {
    type Lit = T::Lit;
    #[inline(always)]
    fn cst(x: T::Lit) -> Self {
        Dual::constant(T::cst(x))
    }
}

/// Compares the real part with a constant of the scalar type (as `==` between duals does).
impl<T: Float, const N: usize> PartialEq<T> for Dual<T, N> {
    #[inline]
    fn eq(&self, other: &T) -> bool {
        self.re == *other
    }
}

/// Orders the real part against a constant of the scalar type (as `<` between duals does).
impl<T: Float, const N: usize> PartialOrd<T> for Dual<T, N> {
    #[inline]
    fn partial_cmp(&self, other: &T) -> Option<Ordering> {
        self.re.partial_cmp(other)
    }
}

literal_ops!(@compare_lhs f64, [T: Float + Literal<Lit = f64>, const N: usize] Dual<T, N>);
literal_ops!(@compare_lhs f32, [T: Float + Literal<Lit = f32>, const N: usize] Dual<T, N>);
literal_ops!(@nested f64, [T: Float + Literal<Lit = f64>, const M: usize, const N: usize]
    Dual<Dual<T, M>, N>, Dual<T, M>);
literal_ops!(@nested f32, [T: Float + Literal<Lit = f32>, const M: usize, const N: usize]
    Dual<Dual<T, M>, N>, Dual<T, M>);

impl<T: Loops, const N: usize> Loops for Dual<T, N> where Dual<T, N>: Float {}

math_methods!([T: Float, const N: usize] Dual<T, N>);

/// A dual number over an `Elementary` type (any nesting depth): the value at the level below, the
/// derivative from the rule table evaluated there (so that it carries its own derivatives), times
/// each tangent.
impl<T: Elementary, const N: usize> Elementary for Dual<T, N> {
    #[inline]
    fn elementary(self, op: Unary) -> Self {
        self.chain(
            self.re.elementary(op),
            op.eval_for(self.re, Need::DERIVATIVE).1,
        )
    }
}

/// Compares real parts: `|a.re − b.re| ≤ epsilon.re`, by `T`'s [`AbsDiffEq`].
impl<T: Float + AbsDiffEq<Epsilon = T>, const N: usize> AbsDiffEq for Dual<T, N> {
    type Epsilon = Self;

    /// `T`'s default tolerance, as a constant.
    #[inline]
    fn default_epsilon() -> Self {
        Self::constant(T::default_epsilon())
    }
    #[inline]
    fn abs_diff_eq(&self, other: &Self, epsilon: Self) -> bool {
        self.re.abs_diff_eq(&other.re, epsilon.re)
    }
}

/// Compares real parts by `T`'s [`RelativeEq`].
impl<T: Float + RelativeEq<Epsilon = T>, const N: usize> RelativeEq for Dual<T, N> {
    /// `T`'s default relative tolerance, as a constant.
    #[inline]
    fn default_max_relative() -> Self {
        Self::constant(T::default_max_relative())
    }
    #[inline]
    fn relative_eq(&self, other: &Self, epsilon: Self, max_relative: Self) -> bool {
        self.re.relative_eq(&other.re, epsilon.re, max_relative.re)
    }
}

/// Compares real parts by `T`'s [`UlpsEq`].
impl<T: Float + UlpsEq<Epsilon = T>, const N: usize> UlpsEq for Dual<T, N> {
    #[inline]
    fn default_max_ulps() -> u32 {
        T::default_max_ulps()
    }
    #[inline]
    fn ulps_eq(&self, other: &Self, epsilon: Self, max_ulps: u32) -> bool {
        self.re.ulps_eq(&other.re, epsilon.re, max_ulps)
    }
}

impl<T, const N: usize> AllParts<Dual<T, N>> {
    /// True if `pred` holds for the real parts and for each pair of tangents.
    #[inline]
    fn all(&self, other: &Self, pred: impl Fn(AllParts<T>, AllParts<T>) -> bool) -> bool
    where
        T: Copy,
    {
        pred(AllParts(self.0.re), AllParts(other.0.re))
            && self
                .0
                .eps
                .iter()
                .zip(other.0.eps.iter())
                .all(|(&a, &b)| pred(AllParts(a), AllParts(b)))
    }
}

/// Exact equality of the real part and every tangent (recursively).
impl<T: Copy, const N: usize> PartialEq for AllParts<Dual<T, N>>
where
    AllParts<T>: PartialEq,
{
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.all(other, |a, b| a == b)
    }
}

/// `abs_diff_eq` of the real part and of every tangent (recursively).
impl<T: Copy, const N: usize> AbsDiffEq for AllParts<Dual<T, N>>
where
    AllParts<T>: AbsDiffEq,
    <AllParts<T> as AbsDiffEq>::Epsilon: Copy,
{
    type Epsilon = <AllParts<T> as AbsDiffEq>::Epsilon;

    #[inline]
    fn default_epsilon() -> Self::Epsilon {
        AllParts::<T>::default_epsilon()
    }
    #[inline]
    fn abs_diff_eq(&self, other: &Self, epsilon: Self::Epsilon) -> bool {
        self.all(other, |a, b| a.abs_diff_eq(&b, epsilon))
    }
}

/// `relative_eq` of the real part and of every tangent (recursively), each relative to its own
/// magnitude.
impl<T: Copy, const N: usize> RelativeEq for AllParts<Dual<T, N>>
where
    AllParts<T>: RelativeEq,
    <AllParts<T> as AbsDiffEq>::Epsilon: Copy,
{
    #[inline]
    fn default_max_relative() -> Self::Epsilon {
        AllParts::<T>::default_max_relative()
    }
    #[inline]
    fn relative_eq(
        &self,
        other: &Self,
        epsilon: Self::Epsilon,
        max_relative: Self::Epsilon,
    ) -> bool {
        self.all(other, |a, b| a.relative_eq(&b, epsilon, max_relative))
    }
}

/// `ulps_eq` of the real part and of every tangent (recursively).
impl<T: Copy, const N: usize> UlpsEq for AllParts<Dual<T, N>>
where
    AllParts<T>: UlpsEq,
    <AllParts<T> as AbsDiffEq>::Epsilon: Copy,
{
    #[inline]
    fn default_max_ulps() -> u32 {
        AllParts::<T>::default_max_ulps()
    }
    #[inline]
    fn ulps_eq(&self, other: &Self, epsilon: Self::Epsilon, max_ulps: u32) -> bool {
        self.all(other, |a, b| a.ulps_eq(&b, epsilon, max_ulps))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::zero::{plain, product};

    /// The zero conventions' fast path for primitive floats is not taken for this mode's type.
    #[test]
    fn plain_is_false_for_this_modes_type() {
        assert!(!plain::<Dual<f32, 1>>());
        assert!(!plain::<Dual<f64, 1>>());
    }

    /// Equal bit for bit, or both NaN: the sign and payload of a NaN that arithmetic produces are
    /// not specified (Miri, which `.ci/run` runs these tests under, picks them at random).
    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    /// On dual numbers over plain floats `x ⊙ y` is the product rule with the `f64` `⊙` in every
    /// product, `(a ⊙ b, a′ ⊙ b + a ⊙ b′)`, lane by lane, bit for bit up to the sign of a zero:
    /// also where a zero value meets ±∞ or NaN (the `∛` route) and against infinite tangents.
    #[test]
    fn product_is_the_product_rule_with_odot_in_every_product() {
        let odot = |a: f64, b: f64| crate::base::rules::chain_mul(a, b).0;
        let values = [
            0.0,
            -0.0,
            2.0,
            -0.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let tangents = [
            [1.0, 0.0, -2.0],
            [0.0, f64::INFINITY, 3.0],
            [-0.0, 0.0, f64::NAN],
        ];
        for &a in &values {
            for &b in &values {
                for ta in tangents {
                    for tb in tangents {
                        let p = product(Dual::<f64, 3>::new(a, ta), Dual::new(b, tb));
                        assert!(same(p.re, odot(a, b)), "{a} ⊙ {b}");
                        for i in 0..3 {
                            let want = odot(ta[i], b) + odot(a, tb[i]);
                            let got = p.eps[i];
                            assert!(
                                got == want || (got.is_nan() && want.is_nan()),
                                "({a}, {ta:?}) ⊙ ({b}, {tb:?}), lane {i}: {got} against {want}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// The value of `x ⊙ y` on dual numbers is the `f64` `x.re ⊙ y.re` bit for bit, on every
    /// pair of special values, with tangents that are zero, finite or not.
    #[test]
    fn product_real_part_is_the_f64_product() {
        let special = [
            0.0,
            -0.0,
            1.5,
            -2.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1e-300,
            -1e-300,
            f64::MIN_POSITIVE / 8.0,
        ];
        for &x in &special {
            for &y in &special {
                let f = crate::base::rules::chain_mul(x, y).0;
                for t in [0.0, 1.0, f64::INFINITY] {
                    let d = product(Dual::<f64, 1>::new(x, [t]), Dual::new(y, [-t]));
                    assert!(same(d.re, f), "{x:?} ⊙ {y:?}, tangents {t}");
                }
            }
        }
    }
}
