//! The num-traits family for [`Dual`]: [`Float`] and everything it needs ([`Num`], [`NumCast`],
//! [`Zero`], [`One`], [`ToPrimitive`]), plus the traits generic numeric code commonly bounds on
//! ([`Signed`], [`FloatConst`], [`Bounded`], [`FromPrimitive`], [`Inv`], [`Pow`], [`MulAdd`],
//! [`Euclid`]).
//!
//! Every differentiable method is an entry of the rule table ([`Unary`]/[`Binary`]); queries
//! (`is_nan`, `classify`, `to_f64`, …) look at the real part only; constants (`nan()`, `epsilon()`,
//! `max_value()`, …) have zero tangents.

use core::num::FpCategory;

use num_traits::{
    Bounded, Euclid, Float, FloatConst, FromPrimitive, Inv, MulAdd, MulAddAssign, Num, NumCast, One,
    Pow, Signed, ToPrimitive, Zero,
};

use super::{Dual, scale_nonzero};
use crate::rules::{self, Binary, Unary};

/// The constant 0 (real part and tangents).
impl<T: Float, const N: usize> Zero for Dual<T, N> {
    #[inline]
    fn zero() -> Self {
        Self::constant(T::zero())
    }
    /// True only if the real part **and every tangent** are zero: the additive identity. (Unlike `==`,
    /// which compares real parts.)
    #[inline]
    fn is_zero(&self) -> bool {
        self.all_zero()
    }
}

/// The constant 1.
impl<T: Float, const N: usize> One for Dual<T, N> {
    #[inline]
    fn one() -> Self {
        Self::constant(T::one())
    }
}

/// Parses a real constant (zero tangents), as `T::from_str_radix` does.
///
/// ```
/// use nilpotent::Dual;
/// use num_traits::Num;
/// let x = Dual::<f64, 2>::from_str_radix("2.5", 10).unwrap();
/// assert_eq!((x.re, x.eps), (2.5, [0.0, 0.0]));
/// ```
impl<T: Float, const N: usize> Num for Dual<T, N> {
    type FromStrRadixErr = T::FromStrRadixErr;
    fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        T::from_str_radix(s, radix).map(Self::constant)
    }
}

/// Conversions of the real part.
impl<T: Float, const N: usize> ToPrimitive for Dual<T, N> {
    fn to_i64(&self) -> Option<i64> {
        self.re.to_i64()
    }
    fn to_u64(&self) -> Option<u64> {
        self.re.to_u64()
    }
    fn to_i128(&self) -> Option<i128> {
        self.re.to_i128()
    }
    fn to_u128(&self) -> Option<u128> {
        self.re.to_u128()
    }
    fn to_isize(&self) -> Option<isize> {
        self.re.to_isize()
    }
    fn to_usize(&self) -> Option<usize> {
        self.re.to_usize()
    }
    fn to_i32(&self) -> Option<i32> {
        self.re.to_i32()
    }
    fn to_u32(&self) -> Option<u32> {
        self.re.to_u32()
    }
    fn to_f32(&self) -> Option<f32> {
        self.re.to_f32()
    }
    fn to_f64(&self) -> Option<f64> {
        self.re.to_f64()
    }
}

/// A constant from any primitive number, as `T::from` converts it.
impl<T: Float, const N: usize> NumCast for Dual<T, N> {
    fn from<P: ToPrimitive>(n: P) -> Option<Self> {
        <T as NumCast>::from(n).map(Self::constant)
    }
}

/// A constant from any primitive number (through [`NumCast`], so no extra bound on `T`).
impl<T: Float, const N: usize> FromPrimitive for Dual<T, N> {
    fn from_i64(n: i64) -> Option<Self> {
        <T as NumCast>::from(n).map(Self::constant)
    }
    fn from_u64(n: u64) -> Option<Self> {
        <T as NumCast>::from(n).map(Self::constant)
    }
    fn from_i128(n: i128) -> Option<Self> {
        <T as NumCast>::from(n).map(Self::constant)
    }
    fn from_u128(n: u128) -> Option<Self> {
        <T as NumCast>::from(n).map(Self::constant)
    }
    fn from_f32(n: f32) -> Option<Self> {
        <T as NumCast>::from(n).map(Self::constant)
    }
    fn from_f64(n: f64) -> Option<Self> {
        <T as NumCast>::from(n).map(Self::constant)
    }
}

/// `min_value`/`max_value` of the real type, as constants.
impl<T: Float, const N: usize> Bounded for Dual<T, N> {
    fn min_value() -> Self {
        Self::constant(T::min_value())
    }
    fn max_value() -> Self {
        Self::constant(T::max_value())
    }
}

/// The constants of `T` (π, e, ln 2, …) with zero tangents.
impl<T: Float + FloatConst, const N: usize> FloatConst for Dual<T, N> {
    fn E() -> Self {
        Self::constant(T::E())
    }
    fn FRAC_1_PI() -> Self {
        Self::constant(T::FRAC_1_PI())
    }
    fn FRAC_1_SQRT_2() -> Self {
        Self::constant(T::FRAC_1_SQRT_2())
    }
    fn FRAC_2_PI() -> Self {
        Self::constant(T::FRAC_2_PI())
    }
    fn FRAC_2_SQRT_PI() -> Self {
        Self::constant(T::FRAC_2_SQRT_PI())
    }
    fn FRAC_PI_2() -> Self {
        Self::constant(T::FRAC_PI_2())
    }
    fn FRAC_PI_3() -> Self {
        Self::constant(T::FRAC_PI_3())
    }
    fn FRAC_PI_4() -> Self {
        Self::constant(T::FRAC_PI_4())
    }
    fn FRAC_PI_6() -> Self {
        Self::constant(T::FRAC_PI_6())
    }
    fn FRAC_PI_8() -> Self {
        Self::constant(T::FRAC_PI_8())
    }
    fn LN_10() -> Self {
        Self::constant(T::LN_10())
    }
    fn LN_2() -> Self {
        Self::constant(T::LN_2())
    }
    fn LOG10_E() -> Self {
        Self::constant(T::LOG10_E())
    }
    fn LOG2_E() -> Self {
        Self::constant(T::LOG2_E())
    }
    fn PI() -> Self {
        Self::constant(T::PI())
    }
    fn SQRT_2() -> Self {
        Self::constant(T::SQRT_2())
    }
    fn TAU() -> Self {
        Self::constant(T::TAU())
    }
    fn LOG10_2() -> Self {
        Self::constant(T::LOG10_2())
    }
    fn LOG2_10() -> Self {
        Self::constant(T::LOG2_10())
    }
}

/// `abs`, `signum` and `abs_sub` as in [`Float`]; `is_positive`/`is_negative` answer for the real
/// part exactly as num-traits answers for `f32`/`f64` (the sign bit: +0 is positive, −0 negative), so
/// that generic code takes the branch the `f64` program takes.
impl<T: Float, const N: usize> Signed for Dual<T, N> {
    fn abs(&self) -> Self {
        Float::abs(*self)
    }
    #[allow(deprecated)]
    fn abs_sub(&self, other: &Self) -> Self {
        Float::abs_sub(*self, *other)
    }
    fn signum(&self) -> Self {
        Float::signum(*self)
    }
    fn is_positive(&self) -> bool {
        self.re.is_sign_positive()
    }
    fn is_negative(&self) -> bool {
        self.re.is_sign_negative()
    }
}

/// 1/x
impl<T: Float, const N: usize> Inv for Dual<T, N> {
    type Output = Self;
    fn inv(self) -> Self {
        self.recip()
    }
}

/// xⁿ with an integer exponent ([`Float::powi`]).
impl<T: Float, const N: usize> Pow<i32> for Dual<T, N> {
    type Output = Self;
    fn pow(self, n: i32) -> Self {
        self.powi(n)
    }
}

/// xʸ with a dual exponent ([`Float::powf`]).
impl<T: Float, const N: usize> Pow<Dual<T, N>> for Dual<T, N> {
    type Output = Self;
    fn pow(self, y: Self) -> Self {
        self.powf(y)
    }
}

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

/// `self·a + b` rounded once, fused in every lane ([`Float::mul_add`]).
impl<T: Float, const N: usize> MulAdd for Dual<T, N> {
    type Output = Self;
    fn mul_add(self, a: Self, b: Self) -> Self {
        Float::mul_add(self, a, b)
    }
}

impl<T: Float, const N: usize> MulAddAssign for Dual<T, N> {
    fn mul_add_assign(&mut self, a: Self, b: Self) {
        *self = Float::mul_add(*self, a, b);
    }
}

/// Euclidean division and remainder, with values exactly as `f64::div_euclid`/`rem_euclid`.
/// `div_euclid` is piecewise constant (zero tangent); `rem_euclid(a, b) = a − q·b` has tangent
/// `a' − q·b'` ([`Binary::RemEuclid`]).
impl<T: Float, const N: usize> Euclid for Dual<T, N> {
    fn div_euclid(&self, v: &Self) -> Self {
        Self::constant(rules::div_rem_euclid(self.re, v.re).0)
    }
    fn rem_euclid(&self, v: &Self) -> Self {
        self.binary(Binary::RemEuclid, *v)
    }
}

impl<T: Float, const N: usize> Float for Dual<T, N> {
    // ----- constants: zero tangents -----
    fn nan() -> Self {
        Self::constant(T::nan())
    }
    fn infinity() -> Self {
        Self::constant(T::infinity())
    }
    fn neg_infinity() -> Self {
        Self::constant(T::neg_infinity())
    }
    fn neg_zero() -> Self {
        Self::constant(T::neg_zero())
    }
    fn min_value() -> Self {
        Self::constant(T::min_value())
    }
    fn min_positive_value() -> Self {
        Self::constant(T::min_positive_value())
    }
    fn epsilon() -> Self {
        Self::constant(T::epsilon())
    }
    fn max_value() -> Self {
        Self::constant(T::max_value())
    }

    // ----- queries: real part only -----
    fn is_nan(self) -> bool {
        self.re.is_nan()
    }
    fn is_infinite(self) -> bool {
        self.re.is_infinite()
    }
    fn is_finite(self) -> bool {
        self.re.is_finite()
    }
    fn is_normal(self) -> bool {
        self.re.is_normal()
    }
    fn is_subnormal(self) -> bool {
        self.re.is_subnormal()
    }
    fn classify(self) -> FpCategory {
        self.re.classify()
    }
    fn is_sign_positive(self) -> bool {
        self.re.is_sign_positive()
    }
    fn is_sign_negative(self) -> bool {
        self.re.is_sign_negative()
    }
    fn integer_decode(self) -> (u64, i16, i8) {
        self.re.integer_decode()
    }

    // ----- rounding: a constant result, zero tangent (fract passes it through) -----
    #[inline]
    fn floor(self) -> Self {
        self.unary_piecewise_constant(Unary::Floor)
    }
    #[inline]
    fn ceil(self) -> Self {
        self.unary_piecewise_constant(Unary::Ceil)
    }
    #[inline]
    fn round(self) -> Self {
        self.unary_piecewise_constant(Unary::Round)
    }
    #[inline]
    fn trunc(self) -> Self {
        self.unary_piecewise_constant(Unary::Trunc)
    }
    #[inline]
    fn fract(self) -> Self {
        self.unary(Unary::Fract)
    }
    #[inline]
    fn signum(self) -> Self {
        self.unary_piecewise_constant(Unary::Signum)
    }
    #[inline]
    fn abs(self) -> Self {
        self.unary(Unary::Abs)
    }

    // ----- elementary functions from the rule table -----
    /// `self·a + b` rounded once; every lane is fused too: `ε = fma(x', a, fma(x, a', b'))`.
    #[inline]
    fn mul_add(self, a: Self, b: Self) -> Self {
        let (v, dx, da, db) = rules::mul_add(self.re, a.re, b.re);
        let mut eps = b.eps;
        if dx.is_finite() && da.is_finite() {
            for i in 0..N {
                eps[i] = self.eps[i].mul_add(dx, a.eps[i].mul_add(da, b.eps[i] * db));
            }
        } else {
            for i in 0..N {
                eps[i] = scale_nonzero(self.eps[i], dx) + scale_nonzero(a.eps[i], da) + eps[i] * db;
            }
        }
        Dual { re: v, eps }
    }
    #[inline]
    fn recip(self) -> Self {
        self.unary(Unary::Recip)
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        self.unary(Unary::Powi(n))
    }
    /// xʸ. When the exponent is a constant (all tangents zero) the `xʸ ln x` term is not computed.
    #[inline]
    fn powf(self, n: Self) -> Self {
        if n.eps.iter().all(|e| e.is_zero()) {
            self.binary_const_rhs(Binary::Powf, n.re)
        } else {
            self.binary(Binary::Powf, n)
        }
    }
    #[inline]
    fn sqrt(self) -> Self {
        self.unary(Unary::Sqrt)
    }
    #[inline]
    fn exp(self) -> Self {
        self.unary(Unary::Exp)
    }
    #[inline]
    fn exp2(self) -> Self {
        self.unary(Unary::Exp2)
    }
    #[inline]
    fn ln(self) -> Self {
        self.unary(Unary::Ln)
    }
    #[inline]
    fn log(self, base: Self) -> Self {
        self.binary(Binary::Log, base)
    }
    #[inline]
    fn log2(self) -> Self {
        self.unary(Unary::Log2)
    }
    #[inline]
    fn log10(self) -> Self {
        self.unary(Unary::Log10)
    }
    #[inline]
    fn to_degrees(self) -> Self {
        self.unary(Unary::ToDegrees)
    }
    #[inline]
    fn to_radians(self) -> Self {
        self.unary(Unary::ToRadians)
    }
    /// The argument with the larger real part, with its tangents (their average on a tie). As
    /// `f64::max`, a NaN loses: the other argument is returned whole, even when the NaN one carries
    /// NaN tangents (as `sqrt(−1)` does), which the chain rule would spread as `0·NaN = NaN`.
    #[inline]
    fn max(self, other: Self) -> Self {
        if other.re.is_nan() {
            self
        } else if self.re.is_nan() {
            other
        } else {
            self.binary(Binary::Max, other)
        }
    }
    /// The argument with the smaller real part, with its tangents (their average on a tie); a NaN
    /// loses, as in [`Float::max`].
    #[inline]
    fn min(self, other: Self) -> Self {
        if other.re.is_nan() {
            self
        } else if self.re.is_nan() {
            other
        } else {
            self.binary(Binary::Min, other)
        }
    }
    #[inline]
    fn abs_sub(self, other: Self) -> Self {
        self.binary(Binary::AbsSub, other)
    }
    #[inline]
    fn cbrt(self) -> Self {
        self.unary(Unary::Cbrt)
    }
    #[inline]
    fn hypot(self, other: Self) -> Self {
        self.binary(Binary::Hypot, other)
    }
    #[inline]
    fn sin(self) -> Self {
        self.unary(Unary::Sin)
    }
    #[inline]
    fn cos(self) -> Self {
        self.unary(Unary::Cos)
    }
    #[inline]
    fn tan(self) -> Self {
        self.unary(Unary::Tan)
    }
    #[inline]
    fn asin(self) -> Self {
        self.unary(Unary::Asin)
    }
    #[inline]
    fn acos(self) -> Self {
        self.unary(Unary::Acos)
    }
    #[inline]
    fn atan(self) -> Self {
        self.unary(Unary::Atan)
    }
    #[inline]
    fn atan2(self, other: Self) -> Self {
        self.binary(Binary::Atan2, other)
    }
    #[inline]
    fn sin_cos(self) -> (Self, Self) {
        (self.sin(), self.cos())
    }
    #[inline]
    fn exp_m1(self) -> Self {
        self.unary(Unary::ExpM1)
    }
    #[inline]
    fn ln_1p(self) -> Self {
        self.unary(Unary::Ln1p)
    }
    #[inline]
    fn sinh(self) -> Self {
        self.unary(Unary::Sinh)
    }
    #[inline]
    fn cosh(self) -> Self {
        self.unary(Unary::Cosh)
    }
    #[inline]
    fn tanh(self) -> Self {
        self.unary(Unary::Tanh)
    }
    #[inline]
    fn asinh(self) -> Self {
        self.unary(Unary::Asinh)
    }
    #[inline]
    fn acosh(self) -> Self {
        self.unary(Unary::Acosh)
    }
    #[inline]
    fn atanh(self) -> Self {
        self.unary(Unary::Atanh)
    }
}
