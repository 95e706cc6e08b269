//! The num-traits family, written once for both differentiable scalar types ([`Dual`](crate::Dual)
//! and the reverse-mode variable): [`Float`](num_traits::Float) and everything it needs (`Num`,
//! `NumCast`, `Zero`, `One`, `ToPrimitive`), plus the traits generic numeric code commonly bounds on
//! (`Signed`, `FloatConst`, `Bounded`, `FromPrimitive`, `Inv`, `Pow`, `MulAdd`, `Euclid`).
//!
//! Every differentiable method is an entry of the rule table ([`Unary`](crate::rules::Unary),
//! [`Binary`](crate::rules::Binary)), applied by the type's own chain rule; queries (`is_nan`,
//! `classify`, `to_f64`, …) look at the value only; constants (`nan()`, `epsilon()`, `max_value()`,
//! …) carry no derivative.
//!
//! The macro below is a plain list of trait methods. It needs these inherent methods of the type:
//!
//! | method | meaning |
//! |---|---|
//! | `constant(T) -> Self` | a value that carries no derivative |
//! | `value(&self) -> T` | the value (real part) |
//! | `observe(&self, Observe) -> T` | the value, for a branch or a conversion that asks the given question of it (graph mode keeps the answer as a guard; the other types return the value) |
//! | `is_constant(&self) -> bool` | carries no derivative (`false` where that cannot be told) |
//! | `unary(self, Unary) -> Self` | apply a rule of one argument |
//! | `binary(self, Binary, Self) -> Self` | apply a rule of two arguments |
//! | `binary_const_rhs(self, Binary, T) -> Self` | the same with a constant second argument |
//! | `fused_mul_add(self, Self, Self) -> Self` | `self·a + b` rounded once |

/// Implements the num-traits family for `$ty`, whose scalar type is `$t`, with impl generics `$gen`.
///
/// `sin_cos = PATH` names a function `fn(Self) -> (Self, Self)` for `Float::sin_cos`; without it,
/// `sin_cos` is [`sin_then_cos`].
macro_rules! impl_num_traits {
    ([$($gen:tt)*] $ty:ty, $t:ty) => {
        $crate::base::scalar::impl_num_traits!(
            [$($gen)*] $ty, $t, sin_cos = $crate::base::scalar::sin_then_cos
        );
    };
    ([$($gen:tt)*] $ty:ty, $t:ty, sin_cos = $sin_cos:path) => {
        /// The constant 0.
        impl<$($gen)*> ::num_traits::Zero for $ty {
            #[inline]
            fn zero() -> Self {
                Self::constant(<$t>::zero())
            }
            /// True if the value is zero (±0), as `f64` answers it, whatever the derivatives: the
            /// question generic code and nalgebra's singularity tests ask, so every mode takes the
            /// branch the `f64` program takes (graph mode records it as a guard).
            #[inline]
            fn is_zero(&self) -> bool {
                ::num_traits::Zero::is_zero(&self.observe($crate::base::observe::Observe::IsZero))
            }
        }

        /// The constant 1.
        impl<$($gen)*> ::num_traits::One for $ty {
            #[inline]
            fn one() -> Self {
                Self::constant(<$t>::one())
            }
        }

        /// Parses a real constant, as `<$t>::from_str_radix` does.
        impl<$($gen)*> ::num_traits::Num for $ty {
            type FromStrRadixErr = <$t as ::num_traits::Num>::FromStrRadixErr;
            fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
                <$t>::from_str_radix(s, radix).map(Self::constant)
            }
        }

        /// Conversions of the value (the real part).
        impl<$($gen)*> ::num_traits::ToPrimitive for $ty {
            fn to_i64(&self) -> Option<i64> {
                self.observe($crate::base::observe::Observe::Trunc).to_i64()
            }
            fn to_u64(&self) -> Option<u64> {
                self.observe($crate::base::observe::Observe::Trunc).to_u64()
            }
            fn to_i128(&self) -> Option<i128> {
                self.observe($crate::base::observe::Observe::Trunc).to_i128()
            }
            fn to_u128(&self) -> Option<u128> {
                self.observe($crate::base::observe::Observe::Trunc).to_u128()
            }
            fn to_isize(&self) -> Option<isize> {
                self.observe($crate::base::observe::Observe::Trunc).to_isize()
            }
            fn to_usize(&self) -> Option<usize> {
                self.observe($crate::base::observe::Observe::Trunc).to_usize()
            }
            fn to_i32(&self) -> Option<i32> {
                self.observe($crate::base::observe::Observe::Trunc).to_i32()
            }
            fn to_u32(&self) -> Option<u32> {
                self.observe($crate::base::observe::Observe::Trunc).to_u32()
            }
            fn to_f32(&self) -> Option<f32> {
                self.observe($crate::base::observe::Observe::Exact).to_f32()
            }
            fn to_f64(&self) -> Option<f64> {
                self.observe($crate::base::observe::Observe::Exact).to_f64()
            }
        }

        /// A constant from any primitive number, as `<$t>::from` converts it.
        impl<$($gen)*> ::num_traits::NumCast for $ty {
            fn from<P: ::num_traits::ToPrimitive>(n: P) -> Option<Self> {
                <$t as ::num_traits::NumCast>::from(n).map(Self::constant)
            }
        }

        /// A constant from any primitive number (through [`NumCast`](num_traits::NumCast), so no extra bound on `T`).
        impl<$($gen)*> ::num_traits::FromPrimitive for $ty {
            fn from_i64(n: i64) -> Option<Self> {
                <$t as ::num_traits::NumCast>::from(n).map(Self::constant)
            }
            fn from_u64(n: u64) -> Option<Self> {
                <$t as ::num_traits::NumCast>::from(n).map(Self::constant)
            }
            fn from_i128(n: i128) -> Option<Self> {
                <$t as ::num_traits::NumCast>::from(n).map(Self::constant)
            }
            fn from_u128(n: u128) -> Option<Self> {
                <$t as ::num_traits::NumCast>::from(n).map(Self::constant)
            }
            fn from_f32(n: f32) -> Option<Self> {
                <$t as ::num_traits::NumCast>::from(n).map(Self::constant)
            }
            fn from_f64(n: f64) -> Option<Self> {
                <$t as ::num_traits::NumCast>::from(n).map(Self::constant)
            }
        }

        /// `min_value`/`max_value` of the real type, as constants.
        impl<$($gen)*> ::num_traits::Bounded for $ty {
            fn min_value() -> Self {
                Self::constant(<$t as ::num_traits::Float>::min_value())
            }
            fn max_value() -> Self {
                Self::constant(<$t as ::num_traits::Float>::max_value())
            }
        }

        /// The constants of `T` (π, e, ln 2, …) with zero tangents.
        impl<$($gen)*> ::num_traits::FloatConst for $ty where $t: ::num_traits::FloatConst {
            fn E() -> Self {
                Self::constant(<$t>::E())
            }
            fn FRAC_1_PI() -> Self {
                Self::constant(<$t>::FRAC_1_PI())
            }
            fn FRAC_1_SQRT_2() -> Self {
                Self::constant(<$t>::FRAC_1_SQRT_2())
            }
            fn FRAC_2_PI() -> Self {
                Self::constant(<$t>::FRAC_2_PI())
            }
            fn FRAC_2_SQRT_PI() -> Self {
                Self::constant(<$t>::FRAC_2_SQRT_PI())
            }
            fn FRAC_PI_2() -> Self {
                Self::constant(<$t>::FRAC_PI_2())
            }
            fn FRAC_PI_3() -> Self {
                Self::constant(<$t>::FRAC_PI_3())
            }
            fn FRAC_PI_4() -> Self {
                Self::constant(<$t>::FRAC_PI_4())
            }
            fn FRAC_PI_6() -> Self {
                Self::constant(<$t>::FRAC_PI_6())
            }
            fn FRAC_PI_8() -> Self {
                Self::constant(<$t>::FRAC_PI_8())
            }
            fn LN_10() -> Self {
                Self::constant(<$t>::LN_10())
            }
            fn LN_2() -> Self {
                Self::constant(<$t>::LN_2())
            }
            fn LOG10_E() -> Self {
                Self::constant(<$t>::LOG10_E())
            }
            fn LOG2_E() -> Self {
                Self::constant(<$t>::LOG2_E())
            }
            fn PI() -> Self {
                Self::constant(<$t>::PI())
            }
            fn SQRT_2() -> Self {
                Self::constant(<$t>::SQRT_2())
            }
            fn TAU() -> Self {
                Self::constant(<$t>::TAU())
            }
            fn LOG10_2() -> Self {
                Self::constant(<$t>::LOG10_2())
            }
            fn LOG2_10() -> Self {
                Self::constant(<$t>::LOG2_10())
            }
        }

        /// `abs`, `signum` and `abs_sub` as in [`Float`]; `is_positive`/`is_negative` answer for the
        /// value exactly as num-traits does for `f32`/`f64` (by the sign bit: +0 is positive, −0
        /// negative), so that generic code takes the branch the `f64` program takes.
        impl<$($gen)*> ::num_traits::Signed for $ty {
            fn abs(&self) -> Self {
                ::num_traits::Float::abs(*self)
            }
            #[allow(deprecated)]
            fn abs_sub(&self, other: &Self) -> Self {
                ::num_traits::Float::abs_sub(*self, *other)
            }
            fn signum(&self) -> Self {
                ::num_traits::Float::signum(*self)
            }
            fn is_positive(&self) -> bool {
                self.observe($crate::base::observe::Observe::SignBit).is_sign_positive()
            }
            fn is_negative(&self) -> bool {
                self.observe($crate::base::observe::Observe::SignBit).is_sign_negative()
            }
        }

        /// 1/x
        impl<$($gen)*> ::num_traits::Inv for $ty {
            type Output = Self;
            fn inv(self) -> Self {
                self.recip()
            }
        }

        /// xⁿ with an integer exponent ([`Float::powi`]).
        impl<$($gen)*> ::num_traits::Pow<i32> for $ty {
            type Output = Self;
            fn pow(self, n: i32) -> Self {
                self.powi(n)
            }
        }

        /// xʸ with a dual exponent ([`Float::powf`]).
        impl<$($gen)*> ::num_traits::Pow<$ty> for $ty {
            type Output = Self;
            fn pow(self, y: Self) -> Self {
                self.powf(y)
            }
        }

        /// `self·a + b` rounded once, fused in every lane ([`Float::mul_add`]).
        impl<$($gen)*> ::num_traits::MulAdd for $ty {
            type Output = Self;
            fn mul_add(self, a: Self, b: Self) -> Self {
                ::num_traits::Float::mul_add(self, a, b)
            }
        }

        impl<$($gen)*> ::num_traits::MulAddAssign for $ty {
            fn mul_add_assign(&mut self, a: Self, b: Self) {
                *self = ::num_traits::Float::mul_add(*self, a, b);
            }
        }

        /// Euclidean division and remainder, with values exactly as `f64::div_euclid`/`rem_euclid`.
        /// `div_euclid` is piecewise constant (zero tangent); `rem_euclid(a, b) = a − q·b` has tangent
        /// `a' − q·b'` ([`$crate::rules::Binary::RemEuclid`]).
        impl<$($gen)*> ::num_traits::Euclid for $ty {
            fn div_euclid(&self, v: &Self) -> Self {
                Self::constant(
                    $crate::base::rules::div_rem_euclid(self.observe($crate::base::observe::Observe::Exact), v.observe($crate::base::observe::Observe::Exact)).0,
                )
            }
            fn rem_euclid(&self, v: &Self) -> Self {
                self.binary($crate::base::rules::Binary::RemEuclid, *v)
            }
        }

        impl<$($gen)*> ::num_traits::Float for $ty {
            // ----- constants: zero tangents -----
            fn nan() -> Self {
                Self::constant(<$t as ::num_traits::Float>::nan())
            }
            fn infinity() -> Self {
                Self::constant(<$t as ::num_traits::Float>::infinity())
            }
            fn neg_infinity() -> Self {
                Self::constant(<$t as ::num_traits::Float>::neg_infinity())
            }
            fn neg_zero() -> Self {
                Self::constant(<$t as ::num_traits::Float>::neg_zero())
            }
            fn min_value() -> Self {
                Self::constant(<$t as ::num_traits::Float>::min_value())
            }
            fn min_positive_value() -> Self {
                Self::constant(<$t as ::num_traits::Float>::min_positive_value())
            }
            fn epsilon() -> Self {
                Self::constant(<$t as ::num_traits::Float>::epsilon())
            }
            fn max_value() -> Self {
                Self::constant(<$t as ::num_traits::Float>::max_value())
            }

            // ----- queries: the value (real part) only -----
            fn is_nan(self) -> bool {
                self.observe($crate::base::observe::Observe::IsNan).is_nan()
            }
            fn is_infinite(self) -> bool {
                self.observe($crate::base::observe::Observe::IsInfinite).is_infinite()
            }
            fn is_finite(self) -> bool {
                self.observe($crate::base::observe::Observe::IsFinite).is_finite()
            }
            fn is_normal(self) -> bool {
                self.observe($crate::base::observe::Observe::IsNormal).is_normal()
            }
            fn is_subnormal(self) -> bool {
                self.observe($crate::base::observe::Observe::IsSubnormal).is_subnormal()
            }
            fn classify(self) -> ::core::num::FpCategory {
                self.observe($crate::base::observe::Observe::Class).classify()
            }
            fn is_sign_positive(self) -> bool {
                self.observe($crate::base::observe::Observe::SignBit).is_sign_positive()
            }
            fn is_sign_negative(self) -> bool {
                self.observe($crate::base::observe::Observe::SignBit).is_sign_negative()
            }
            fn integer_decode(self) -> (u64, i16, i8) {
                self.observe($crate::base::observe::Observe::Exact).integer_decode()
            }

            // ----- the elementary functions of one argument: their rule-table entries -----
            $crate::base::elementary::elementary!($crate::base::scalar::float_unary_methods);

            // ----- functions of two arguments and fused operations -----
            /// `self·a + b` rounded once (in every tangent lane too).
            #[inline]
            fn mul_add(self, a: Self, b: Self) -> Self {
                self.fused_mul_add(a, b)
            }
            /// xʸ. A constant exponent (zero tangents, or not recorded) skips the `xʸ ln x` term.
            #[inline]
            fn powf(self, n: Self) -> Self {
                if n.is_constant() {
                    self.binary_const_rhs($crate::base::rules::Binary::Powf, n.value())
                } else {
                    self.binary($crate::base::rules::Binary::Powf, n)
                }
            }
            #[inline]
            fn log(self, base: Self) -> Self {
                self.binary($crate::base::rules::Binary::Log, base)
            }
            #[inline]
            fn max(self, other: Self) -> Self {
                self.binary($crate::base::rules::Binary::Max, other)
            }
            #[inline]
            fn min(self, other: Self) -> Self {
                self.binary($crate::base::rules::Binary::Min, other)
            }
            #[inline]
            fn abs_sub(self, other: Self) -> Self {
                self.binary($crate::base::rules::Binary::AbsSub, other)
            }
            #[inline]
            fn hypot(self, other: Self) -> Self {
                self.binary($crate::base::rules::Binary::Hypot, other)
            }
            #[inline]
            fn atan2(self, other: Self) -> Self {
                self.binary($crate::base::rules::Binary::Atan2, other)
            }
            // forced inline like the operations themselves: as an ordinary `#[inline]` function
            // holding two of them, it stayed out of line on wide dual numbers, its results passed
            // through memory
            #[cfg_attr(not(debug_assertions), inline(always))]
            #[cfg_attr(debug_assertions, inline)]
            fn sin_cos(self) -> (Self, Self) {
                $sin_cos(self)
            }
        }
    };
}

pub(crate) use impl_num_traits;

/// `(x.sin(), x.cos())`: [`Float::sin_cos`](num_traits::Float::sin_cos) of a type whose
/// [`impl_num_traits`] names no other.
#[inline]
pub(crate) fn sin_then_cos<F: num_traits::Float>(x: F) -> (F, F) {
    (x.sin(), x.cos())
}

/// The [`Float`](num_traits::Float) methods that apply a unary rule-table entry (those whose home
/// in the list of elementary functions is `Float`), inside [`impl_num_traits`]'s `Float` impl.
macro_rules! float_unary_methods {
    ([] unary { $($(#[$doc:meta])* $u:ident $(($rep:literal))? $m:ident ($($p:ident: $pt:ty)?)
        $home:ident $jit:ident,)* } binary { $($b:tt)* }) => {
        $($crate::base::scalar::float_unary_methods!(@$home $u $m ($($p: $pt)?));)*
    };
    (@Float $u:ident $m:ident ($($p:ident: $pt:ty)?)) => {
        #[inline]
        fn $m(self $(, $p: $pt)?) -> Self {
            self.unary($crate::base::rules::Unary::$u $(($p))?)
        }
    };
    (@$home:ident $($rest:tt)*) => {};
}

pub(crate) use float_unary_methods;

/// Implements the arithmetic operators for `$ty` (scalar type `$t`, impl generics `$gen`):
/// `+ − × / %` as the rule-table entries `Binary::{Add, Sub, Mul, Div, Rem}` for `$ty ∘ $ty` and
/// `$ty ∘ $t`; for each listed pair of an instance `$tyf` (impl generics `$cgen`) and its plain
/// float scalar type `$f`, `$f ∘ $tyf` (e.g. `f64 ∘ Dual<f64, N>`); the assign forms; unary `−`;
/// `Sum` and `Product`.
///
/// Besides the methods listed for [`impl_num_traits`], it needs the associated function
/// `binary_const_lhs(Binary, $t, Self) -> Self` (a constant first argument).
macro_rules! impl_operators {
    ([$($gen:tt)*] $ty:ty, $t:ty $(, [$($cgen:tt)*] $tyf:ty, $f:ty)*) => {
        impl_operators!(@op Add, add, AddAssign, add_assign, Add, [$($gen)*] $ty, $t);
        impl_operators!(@op Sub, sub, SubAssign, sub_assign, Sub, [$($gen)*] $ty, $t);
        impl_operators!(@op Mul, mul, MulAssign, mul_assign, Mul, [$($gen)*] $ty, $t);
        impl_operators!(@op Div, div, DivAssign, div_assign, Div, [$($gen)*] $ty, $t);
        impl_operators!(@op Rem, rem, RemAssign, rem_assign, Rem, [$($gen)*] $ty, $t);
        $(
            impl_operators!(@lhs Add, add, Add, [$($cgen)*] $tyf, $f);
            impl_operators!(@lhs Sub, sub, Sub, [$($cgen)*] $tyf, $f);
            impl_operators!(@lhs Mul, mul, Mul, [$($cgen)*] $tyf, $f);
            impl_operators!(@lhs Div, div, Div, [$($cgen)*] $tyf, $f);
            impl_operators!(@lhs Rem, rem, Rem, [$($cgen)*] $tyf, $f);
        )*

        impl<$($gen)*> ::core::ops::Neg for $ty {
            type Output = Self;
            #[inline(always)]
            fn neg(self) -> Self {
                self.unary($crate::base::rules::Unary::Neg)
            }
        }

        /// Starts from −0, the additive identity of IEEE arithmetic (as `f64`'s `Sum`).
        impl<$($gen)*> ::core::iter::Sum for $ty {
            fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
                iter.fold(Self::constant(<$t>::neg_zero()), |a, b| a + b)
            }
        }

        impl<'a, $($gen)*> ::core::iter::Sum<&'a $ty> for $ty {
            fn sum<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
                iter.fold(Self::constant(<$t>::neg_zero()), |a, b| a + *b)
            }
        }

        impl<$($gen)*> ::core::iter::Product for $ty {
            fn product<I: Iterator<Item = Self>>(iter: I) -> Self {
                iter.fold(Self::constant(<$t>::one()), |a, b| a * b)
            }
        }

        impl<'a, $($gen)*> ::core::iter::Product<&'a $ty> for $ty {
            fn product<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
                iter.fold(Self::constant(<$t>::one()), |a, b| a * *b)
            }
        }
    };

    // One operator `$Op::$op` (and `$OpAssign::$op_assign`) as the table entry `Binary::$Rule`.
    (@op $Op:ident, $op:ident, $OpAssign:ident, $op_assign:ident, $Rule:ident,
     [$($gen:tt)*] $ty:ty, $t:ty) => {
        impl<$($gen)*> ::core::ops::$Op for $ty {
            type Output = Self;
            #[inline(always)]
            fn $op(self, rhs: Self) -> Self {
                self.binary($crate::base::rules::Binary::$Rule, rhs)
            }
        }

        impl<$($gen)*> ::core::ops::$Op<$t> for $ty {
            type Output = Self;
            #[inline(always)]
            fn $op(self, rhs: $t) -> Self {
                self.binary_const_rhs($crate::base::rules::Binary::$Rule, rhs)
            }
        }

        impl<$($gen)*> ::core::ops::$OpAssign for $ty {
            #[inline(always)]
            fn $op_assign(&mut self, rhs: Self) {
                *self = self.binary($crate::base::rules::Binary::$Rule, rhs);
            }
        }

        impl<$($gen)*> ::core::ops::$OpAssign<$t> for $ty {
            #[inline(always)]
            fn $op_assign(&mut self, rhs: $t) {
                *self = self.binary_const_rhs($crate::base::rules::Binary::$Rule, rhs);
            }
        }
    };

    // `$f ∘ $tyf`: a plain float `$f` (the scalar type of `$tyf`) on the left, as a constant.
    (@lhs $Op:ident, $op:ident, $Rule:ident, [$($cgen:tt)*] $tyf:ty, $f:ty) => {
        impl<$($cgen)*> ::core::ops::$Op<$tyf> for $f {
            type Output = $tyf;
            #[inline(always)]
            fn $op(self, rhs: $tyf) -> $tyf {
                <$tyf>::binary_const_lhs($crate::base::rules::Binary::$Rule, self, rhs)
            }
        }
    };
}

pub(crate) use impl_operators;
