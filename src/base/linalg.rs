//! The nalgebra/simba traits (`SimdValue`, `Field`, `SubsetOf`, `ComplexField`, `RealField`) for the
//! crate's number types, written once as a macro each mode invokes for its own type
//! (`forward::nalgebra`, `reverse::nalgebra`, `graph::nalgebra`), with the helpers the macro's
//! methods share, and [`RealLinalg`]: plain-float literals and nalgebra's decompositions together.

use nalgebra::RealField;
use num_traits::{Float, NumCast};

// ----------------------------------------------------------------------------------------------
// the nalgebra/simba traits, written once for Dual and for the reverse-mode Var
// ----------------------------------------------------------------------------------------------

/// Implements simba's `SimdValue`, `Field`, `SubsetOf` (itself, and `f32`/`f64` into it) and
/// nalgebra's `ComplexField` and `RealField` for `$ty`, whose scalar type is `$s`, with impl
/// generics `$gen` (the fields additionally need `$s: RealField`).
///
/// Like [`impl_num_traits`](crate::base::scalar), this is a plain list of trait methods, each forwarding
/// to the type's [`Float`] impl (the rule table) or composing `Float` methods. It needs the
/// inherent methods `constant($s) -> Self`, `observe(&self, Observe) -> $s` (the value, for a
/// branch: see [`crate::base::scalar`]) and `is_constant(&self) -> bool`.
macro_rules! impl_real_field {
    ([$($gen:tt)*] $ty:ty, $s:ty) => {
        /// A scalar to simba: one lane, whose element is the number itself.
        impl<$($gen)*> ::simba::simd::SimdValue for $ty {
            const LANES: usize = 1;
            type Element = Self;
            type SimdBool = bool;

            #[inline(always)]
            fn splat(val: Self) -> Self {
                val
            }
            /// The number itself; the lane index is ignored (as simba does for `f64`).
            #[inline(always)]
            fn extract(&self, _: usize) -> Self {
                *self
            }
            /// The number itself; the lane index is ignored. This `unsafe fn` is required by the
            /// trait; its body is safe code with no precondition.
            #[inline(always)]
            #[allow(unsafe_code)]
            unsafe fn extract_unchecked(&self, _: usize) -> Self {
                *self
            }
            /// Replaces the number; the lane index is ignored (as simba does for `f64`).
            #[inline(always)]
            fn replace(&mut self, _: usize, val: Self) {
                *self = val
            }
            /// Replaces the number; the lane index is ignored. This `unsafe fn` is required by the
            /// trait; its body is safe code with no precondition.
            #[inline(always)]
            #[allow(unsafe_code)]
            unsafe fn replace_unchecked(&mut self, _: usize, val: Self) {
                *self = val
            }
            #[inline(always)]
            fn select(self, cond: bool, other: Self) -> Self {
                if cond { self } else { other }
            }
        }

        /// Closed arithmetic `+ − × /` with assign forms, which is what simba means by a field
        /// (`/` needs a non-zero value).
        impl<$($gen)*> ::simba::scalar::Field for $ty {}

        /// The identity embedding.
        impl<$($gen)*> ::simba::scalar::SubsetOf<$ty> for $ty {
            #[inline]
            fn to_superset(&self) -> Self {
                *self
            }
            #[inline]
            fn from_superset_unchecked(element: &Self) -> Self {
                *element
            }
            #[inline]
            fn is_in_subset(_: &Self) -> bool {
                true
            }
        }

        $crate::base::linalg::impl_real_field!(@subset f32, [$($gen)*] $ty, $s);
        $crate::base::linalg::impl_real_field!(@subset f64, [$($gen)*] $ty, $s);

        impl<$($gen)*> ::nalgebra::ComplexField for $ty
                where
                    $s: ::nalgebra::RealField,
                {
            type RealField = Self;

            #[inline]
            fn from_real(re: Self) -> Self {
                re
            }
            #[inline]
            fn real(self) -> Self {
                self
            }
            /// The constant 0.
            #[inline]
            fn imaginary(self) -> Self {
                <Self as ::num_traits::Zero>::zero()
            }
            /// `|x|` (`Float::abs`).
            #[inline]
            fn modulus(self) -> Self {
                ::num_traits::Float::abs(self)
            }
            /// `x·x`.
            #[inline]
            fn modulus_squared(self) -> Self {
                self * self
            }
            /// The constant 0 if the value is ≥ 0, π otherwise (as for `f64`).
            #[inline]
            fn argument(self) -> Self {
                if self.observe($crate::base::observe::Observe::AtLeastZero) >= <$s>::zero() {
                    <Self as ::num_traits::Zero>::zero()
                } else {
                    Self::constant(<$s>::pi())
                }
            }
            /// `|x|`.
            #[inline]
            fn norm1(self) -> Self {
                ::num_traits::Float::abs(self)
            }
            #[inline]
            fn scale(self, factor: Self) -> Self {
                self * factor
            }
            #[inline]
            fn unscale(self, factor: Self) -> Self {
                self / factor
            }
            /// `(|x|, x/|x|)`, and `(0, 1)` when the (innermost) value of `|x|` is zero (the `f64`
            /// branch; the quotient would be 0/0 there).
            #[inline]
            fn to_exp(self) -> (Self, Self) {
                let m = ::num_traits::Float::abs(self);
                if m.observe($crate::base::observe::Observe::IsZero) == <$s>::zero() {
                    (<Self as ::num_traits::Zero>::zero(), Self::constant(<$s>::one()))
                } else {
                    (m, self / m)
                }
            }
            /// `Float::signum`: ±1 (by the sign bit) with zero derivative.
            #[inline]
            fn signum(self) -> Self {
                ::num_traits::Float::signum(self)
            }
            #[inline]
            fn floor(self) -> Self {
                ::num_traits::Float::floor(self)
            }
            #[inline]
            fn ceil(self) -> Self {
                ::num_traits::Float::ceil(self)
            }
            #[inline]
            fn round(self) -> Self {
                ::num_traits::Float::round(self)
            }
            #[inline]
            fn trunc(self) -> Self {
                ::num_traits::Float::trunc(self)
            }
            #[inline]
            fn fract(self) -> Self {
                ::num_traits::Float::fract(self)
            }
            #[inline]
            fn mul_add(self, a: Self, b: Self) -> Self {
                ::num_traits::Float::mul_add(self, a, b)
            }
            #[inline]
            fn abs(self) -> Self {
                ::num_traits::Float::abs(self)
            }
            #[inline]
            fn hypot(self, other: Self) -> Self {
                ::num_traits::Float::hypot(self, other)
            }
            #[inline]
            fn recip(self) -> Self {
                ::num_traits::Float::recip(self)
            }
            /// The identity (a real number is its own conjugate).
            #[inline]
            fn conjugate(self) -> Self {
                self
            }
            #[inline]
            fn sin(self) -> Self {
                ::num_traits::Float::sin(self)
            }
            #[inline]
            fn cos(self) -> Self {
                ::num_traits::Float::cos(self)
            }
            #[inline]
            fn sin_cos(self) -> (Self, Self) {
                ::num_traits::Float::sin_cos(self)
            }
            #[inline]
            fn sinh_cosh(self) -> (Self, Self) {
                (::num_traits::Float::sinh(self), ::num_traits::Float::cosh(self))
            }
            #[inline]
            fn tan(self) -> Self {
                ::num_traits::Float::tan(self)
            }
            #[inline]
            fn asin(self) -> Self {
                ::num_traits::Float::asin(self)
            }
            #[inline]
            fn acos(self) -> Self {
                ::num_traits::Float::acos(self)
            }
            #[inline]
            fn atan(self) -> Self {
                ::num_traits::Float::atan(self)
            }
            #[inline]
            fn sinh(self) -> Self {
                ::num_traits::Float::sinh(self)
            }
            #[inline]
            fn cosh(self) -> Self {
                ::num_traits::Float::cosh(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                ::num_traits::Float::tanh(self)
            }
            #[inline]
            fn asinh(self) -> Self {
                ::num_traits::Float::asinh(self)
            }
            #[inline]
            fn acosh(self) -> Self {
                ::num_traits::Float::acosh(self)
            }
            #[inline]
            fn atanh(self) -> Self {
                ::num_traits::Float::atanh(self)
            }
            /// `sin x / x`; at value 0 its Taylor polynomial (value 1, exact derivatives).
            fn sinc(self) -> Self {
                if self.observe($crate::base::observe::Observe::IsZero) == <$s>::zero() {
                    $crate::base::linalg::cardinal_series::<Self, $s>(self, -1.0)
                } else {
                    ::num_traits::Float::sin(self) / self
                }
            }
            /// `sinh x / x`; at value 0 its Taylor polynomial (value 1, exact derivatives).
            fn sinhc(self) -> Self {
                if self.observe($crate::base::observe::Observe::IsZero) == <$s>::zero() {
                    $crate::base::linalg::cardinal_series::<Self, $s>(self, 1.0)
                } else {
                    ::num_traits::Float::sinh(self) / self
                }
            }
            /// `cos x / x`; at value 0 (a pole) simba's value 1, with a NaN derivative where `x`
            /// varies: `1 + (√x − √x)`, whose infinite partials give `∞ − ∞`.
            fn cosc(self) -> Self {
                if self.observe($crate::base::observe::Observe::IsZero) == <$s>::zero() {
                    $crate::base::linalg::pole_value_one(self)
                } else {
                    ::num_traits::Float::cos(self) / self
                }
            }
            /// `cosh x / x`; at value 0 (a pole) simba's value 1, with a NaN derivative where `x`
            /// varies: `1 + (√x − √x)`, whose infinite partials give `∞ − ∞`.
            fn coshc(self) -> Self {
                if self.observe($crate::base::observe::Observe::IsZero) == <$s>::zero() {
                    $crate::base::linalg::pole_value_one(self)
                } else {
                    ::num_traits::Float::cosh(self) / self
                }
            }
            #[inline]
            fn log(self, base: Self) -> Self {
                ::num_traits::Float::log(self, base)
            }
            #[inline]
            fn log2(self) -> Self {
                ::num_traits::Float::log2(self)
            }
            #[inline]
            fn log10(self) -> Self {
                ::num_traits::Float::log10(self)
            }
            #[inline]
            fn ln(self) -> Self {
                ::num_traits::Float::ln(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                ::num_traits::Float::ln_1p(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                ::num_traits::Float::sqrt(self)
            }
            #[inline]
            fn exp(self) -> Self {
                ::num_traits::Float::exp(self)
            }
            #[inline]
            fn exp2(self) -> Self {
                ::num_traits::Float::exp2(self)
            }
            #[inline]
            fn exp_m1(self) -> Self {
                ::num_traits::Float::exp_m1(self)
            }
            #[inline]
            fn powi(self, n: i32) -> Self {
                ::num_traits::Float::powi(self, n)
            }
            #[inline]
            fn powf(self, n: Self) -> Self {
                ::num_traits::Float::powf(self, n)
            }
            /// `Float::powf` (a real exponent).
            #[inline]
            fn powc(self, n: Self) -> Self {
                ::num_traits::Float::powf(self, n)
            }
            #[inline]
            fn cbrt(self) -> Self {
                ::num_traits::Float::cbrt(self)
            }
            /// Whether the value is finite.
            #[inline]
            fn is_finite(&self) -> bool {
                self.observe($crate::base::observe::Observe::IsFinite).is_finite()
            }
            /// `Some(sqrt x)` if the value is ≥ 0 (at 0, zero tangent lanes of a dual stay 0), `None`
            /// otherwise.
            #[inline]
            fn try_sqrt(self) -> Option<Self> {
                if self.observe($crate::base::observe::Observe::AtLeastZero) >= <$s>::zero() {
                    Some(::num_traits::Float::sqrt(self))
                } else {
                    None
                }
            }
        }

        /// Methods of real numbers, from [`Float`](num_traits::Float); constants are `T`'s, carrying
        /// no derivative.
        impl<$($gen)*> ::nalgebra::RealField for $ty
                where
                    $s: ::nalgebra::RealField,
                {
            #[inline]
            fn is_sign_positive(&self) -> bool {
                self.observe($crate::base::observe::Observe::SignBit).is_sign_positive()
            }
            #[inline]
            fn is_sign_negative(&self) -> bool {
                self.observe($crate::base::observe::Observe::SignBit).is_sign_negative()
            }
            /// `|x|` if the sign bit of `sign`'s value is clear, `−|x|` otherwise (no derivative in `sign`).
            #[inline]
            fn copysign(self, sign: Self) -> Self {
                if ::num_traits::Float::is_sign_negative(sign.observe($crate::base::observe::Observe::SignBit)) {
                    -::num_traits::Float::abs(self)
                } else {
                    ::num_traits::Float::abs(self)
                }
            }
            #[inline]
            fn max(self, other: Self) -> Self {
                ::num_traits::Float::max(self, other)
            }
            #[inline]
            fn min(self, other: Self) -> Self {
                ::num_traits::Float::min(self, other)
            }
            /// `min` if `x < min`, `max` if `x > max`, `x` otherwise (comparing values, as for `f64`).
            #[inline]
            fn clamp(self, min: Self, max: Self) -> Self {
                if self < min {
                    min
                } else if self > max {
                    max
                } else {
                    self
                }
            }
            #[inline]
            fn atan2(self, other: Self) -> Self {
                ::num_traits::Float::atan2(self, other)
            }
            #[inline]
            fn min_value() -> Option<Self> {
                <$s as ::nalgebra::RealField>::min_value().map(Self::constant)
            }
            #[inline]
            fn max_value() -> Option<Self> {
                <$s as ::nalgebra::RealField>::max_value().map(Self::constant)
            }
            #[inline]
            fn pi() -> Self {
                Self::constant(<$s>::pi())
            }
            #[inline]
            fn two_pi() -> Self {
                Self::constant(<$s>::two_pi())
            }
            #[inline]
            fn frac_pi_2() -> Self {
                Self::constant(<$s>::frac_pi_2())
            }
            #[inline]
            fn frac_pi_3() -> Self {
                Self::constant(<$s>::frac_pi_3())
            }
            #[inline]
            fn frac_pi_4() -> Self {
                Self::constant(<$s>::frac_pi_4())
            }
            #[inline]
            fn frac_pi_6() -> Self {
                Self::constant(<$s>::frac_pi_6())
            }
            #[inline]
            fn frac_pi_8() -> Self {
                Self::constant(<$s>::frac_pi_8())
            }
            #[inline]
            fn frac_1_pi() -> Self {
                Self::constant(<$s>::frac_1_pi())
            }
            #[inline]
            fn frac_2_pi() -> Self {
                Self::constant(<$s>::frac_2_pi())
            }
            #[inline]
            fn frac_2_sqrt_pi() -> Self {
                Self::constant(<$s>::frac_2_sqrt_pi())
            }
            #[inline]
            fn e() -> Self {
                Self::constant(<$s>::e())
            }
            #[inline]
            fn log2_e() -> Self {
                Self::constant(<$s>::log2_e())
            }
            #[inline]
            fn log10_e() -> Self {
                Self::constant(<$s>::log10_e())
            }
            #[inline]
            fn ln_2() -> Self {
                Self::constant(<$s>::ln_2())
            }
            #[inline]
            fn ln_10() -> Self {
                Self::constant(<$s>::ln_10())
            }
        }
    };

    // `SubsetOf<$ty>` for the primitive float `$t`.
    (@subset $t:ty, [$($gen:tt)*] $ty:ty, $s:ty) => {
        /// A real number is a constant (`nalgebra::convert(0.5)` gives `constant(0.5)`); a number
        /// is a real number only if it carries no derivative (a dual with all tangents zero, a
        /// constant `Var`), and then converts to its value.
        impl<$($gen)*> ::simba::scalar::SubsetOf<$ty> for $t
        where
            $s: ::simba::scalar::SupersetOf<$t>,
        {
            #[inline]
            fn to_superset(&self) -> $ty {
                <$ty>::constant(<$s as ::simba::scalar::SupersetOf<$t>>::from_subset(self))
            }
            /// The value (any derivative is dropped).
            #[inline]
            fn from_superset_unchecked(element: &$ty) -> Self {
                <$s as ::simba::scalar::SupersetOf<$t>>::to_subset_unchecked(
                    &element.observe($crate::base::observe::Observe::Exact),
                )
            }
            /// True if `element` carries no derivative and its value converts.
            #[inline]
            fn is_in_subset(element: &$ty) -> bool {
                element.is_constant()
                    && <$s as ::simba::scalar::SupersetOf<$t>>::is_in_subset(&element.value())
            }
        }
    };
}
pub(crate) use impl_real_field;

/// `Σ_{k ≤ 10} c_k x^{2k}` by Horner's rule in `S` arithmetic, with `c_k = sign^k / (2k+1)!`
/// rounded to `T`: the Taylor polynomial of `sin x / x` (sign −1) or `sinh x / x` (sign +1).
pub(crate) fn cardinal_series<S, T>(x: S, sign: f64) -> S
where
    S: Float + core::ops::Add<T, Output = S>,
    T: Float,
{
    const TERMS: i32 = 10;
    let x2 = x * x;
    let coeff = |k: i32| {
        let mut fact = 1.0f64;
        for j in 1..=(2 * k + 1) {
            fact *= j as f64;
        }
        let c = sign.powi(k) / fact;
        <T as NumCast>::from(c).expect("a small f64 constant converts to every Float type")
    };
    let mut acc = S::zero() + coeff(TERMS);
    for k in (0..TERMS).rev() {
        acc = acc * x2 + coeff(k);
    }
    acc
}

/// The value 1 that simba gives `cosc`/`coshc` at their pole x = 0, with derivative NaN where `x`
/// varies: `1 + (√x − √x)`. At x = ±0, `√x` is ±0 with the infinite partial of the rule table, so
/// the value is exactly 1 and a derivative flowing through is `∞ − ∞ = NaN`; a constant `x` (or,
/// for a dual, a zero tangent lane) stays a constant.
pub(crate) fn pole_value_one<S: Float>(x: S) -> S {
    (x.sqrt() - x.sqrt()) + S::one()
}

/// Plain-number literals ([`Real`](crate::base::real::Real)) *and* nalgebra's decompositions in one generic
/// function, without the ambiguity errors of `T: Real + RealField`.
///
/// A bound `T: Real + RealField` puts two sets of math methods on `T`: [`Float`]'s and
/// nalgebra's `ComplexField`'s, which share their names (`exp`, `ln`, `sqrt`, `powi`, `max`,
/// `min`, …), so every `x.exp()` is ambiguous (E0034, then E0689 and E0277 once the literals
/// lose their type):
///
/// ```compile_fail,E0034
/// use nilpotent::{Real, nalgebra::RealField};
/// fn f<T: Real + RealField>(x: T) -> T {
///     x.exp() * 2.0 // Float::exp or ComplexField::exp?
/// }
/// ```
///
/// `RealLinalg` is `Real` plus the decompositions as associated functions that take and return
/// plain matrices: it has no `ComplexField` methods to collide with, so `x.exp()` is `Float::exp`,
/// `x * 2.0` is a literal, and the decompositions are `T::cholesky(a)`, `T::try_inverse(a)`, …
/// It is implemented for every type that is both `Real` and `RealField`: `f64`, `Dual` over them
/// at any depth, `Var` over them, and `Sym`. Matrix products, sums and transposes need no more than
/// `Real` (an MLP's layers are `T: Real` code).
///
/// The log-determinant of a symmetric positive definite matrix, and its gradient:
///
/// ```
/// use nilpotent::linalg::RealLinalg;
/// use nilpotent::nalgebra::DMatrix;
/// use nilpotent::reverse;
///
/// /// log det(A) from the Cholesky factor: 2 Σ ln Lᵢᵢ (A column-major, n × n)
/// fn log_det<T: RealLinalg>(a: &[T], n: usize) -> T {
///     let l = T::cholesky(DMatrix::from_column_slice(n, n, a)).expect("A is positive definite");
///     l.diagonal().iter().map(|d| d.ln()).sum::<T>() * 2.0
/// }
/// let a = [4.0, 1.0, 1.0, 3.0];
/// let (v, g) = reverse::gradient(|a| log_det(a, 2), &a);
/// assert!((v - 11.0f64.ln()).abs() < 1e-15);
/// // Cholesky reads the lower triangle only: the gradient is 2 (A⁻¹)₁₀ below the diagonal,
/// // 0 above (see `RealLinalg::cholesky`)
/// assert!((g[1] - 2.0 * (-1.0 / 11.0)).abs() < 1e-15 && g[2] == 0.0);
/// ```
pub trait RealLinalg: crate::base::real::Real {
    /// The lower-triangular factor `L` of `A = L Lᵀ` (nalgebra's `cholesky().l()`), or `None` if
    /// `A` is not positive definite.
    ///
    /// **Only the lower triangle of `A` is read** (as by nalgebra's Cholesky, and LAPACK's): `A` is
    /// taken to be symmetric, and the entries above the diagonal do not enter the result. So a
    /// derivative with respect to the entries of `A` is the derivative of a function of the lower
    /// triangle: for `log det A` it is `2 (A⁻¹)ᵢⱼ` below the diagonal, `(A⁻¹)ᵢᵢ` on it and 0 above,
    /// not the textbook `A⁻ᵀ` (which treats `Aᵢⱼ` and `Aⱼᵢ` as independent). The two agree on every
    /// symmetric direction `dA`: `Σ Gᵢⱼ dAᵢⱼ` is the same. For the textbook gradient, go through
    /// an LU ([`RealLinalg::determinant`], [`RealLinalg::try_inverse`]) or symmetrise first
    /// (`(A + Aᵀ) · 0.5`).
    fn cholesky(a: DMatrix<Self>) -> Option<DMatrix<Self>>;

    /// The determinant (nalgebra's `determinant`, by LU with partial pivoting).
    fn determinant(a: &DMatrix<Self>) -> Self;

    /// The inverse (nalgebra's `try_inverse`), or `None` if `A` is singular.
    fn try_inverse(a: DMatrix<Self>) -> Option<DMatrix<Self>>;

    /// The solution `X` of `A X = B` by LU with partial pivoting (nalgebra's `lu().solve`), or
    /// `None` if `A` is singular.
    fn solve(a: DMatrix<Self>, b: &DMatrix<Self>) -> Option<DMatrix<Self>>;

    /// The factors `(Q, R)` of `A = Q R` (nalgebra's `qr()`: Householder reflections).
    fn qr(a: DMatrix<Self>) -> (DMatrix<Self>, DMatrix<Self>);
}

use nalgebra::DMatrix;

impl<T: crate::base::real::Real + RealField> RealLinalg for T {
    fn cholesky(a: DMatrix<T>) -> Option<DMatrix<T>> {
        a.cholesky().map(|c| c.l())
    }

    fn determinant(a: &DMatrix<T>) -> T {
        a.determinant()
    }

    fn try_inverse(a: DMatrix<T>) -> Option<DMatrix<T>> {
        a.try_inverse()
    }

    fn solve(a: DMatrix<T>, b: &DMatrix<T>) -> Option<DMatrix<T>> {
        a.lu().solve(b)
    }

    fn qr(a: DMatrix<T>) -> (DMatrix<T>, DMatrix<T>) {
        a.qr().unpack()
    }
}
