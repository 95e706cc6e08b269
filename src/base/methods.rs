//! The math methods of [`Float`](num_traits::Float) as inherent methods of [`Dual`](crate::Dual), [`Var`](crate::reverse::Var) and [`Sym`](crate::graph::Sym), so that
//! `x.ln()` on a concrete dual number works without importing any trait, and is not ambiguous when
//! both [`Float`](num_traits::Float) and nalgebra's `ComplexField`/`RealField` (which have methods of the same names)
//! are imported. `f64` has its math functions as inherent methods for the same reason.
//!
//! Each method is one line: it calls the [`Float`](num_traits::Float) method of the same name, with the same
//! signature, so every derivative still comes from the rule table ([`crate::rules`]).
//!
//! ```
//! use nalgebra::RealField; // the only trait imported
//! use nilpotent::Dual;
//!
//! let x = Dual::<f64, 1>::variable(2.0, 0);
//! let y = x.ln() * x.sin();
//! assert_eq!(y.eps[0], 0.5 * 2.0f64.sin() + 2.0f64.ln() * 2.0f64.cos());
//! assert_eq!(x.max(Dual::constant(1.0)).eps[0], 1.0); // RealField::max would do the same
//! ```
//!
//! In a generic function these inherent methods play no part: `x.sin()` with `T: Float` is
//! `Float::sin`. A generic function bounded on both `Float` and `RealField` still has two `sin`
//! methods to choose from; write `Float::sin(x)` there (or bound on one of the two):
//!
//! ```compile_fail,E0034
//! use nalgebra::RealField;
//! use num_traits::Float;
//! fn f<T: Float + RealField>(x: T) -> T {
//!     x.sin() // ambiguous: write Float::sin(x)
//! }
//! ```
//!
//! **The real part is a plain number.** `x.re` (and `Var::value`, `Sym::value`) is the value without
//! its derivative: `x.re.sin()` is `f64::sin` and silently drops the derivative. Call the method on
//! the number itself, `x.sin()`.

/// Defines the inherent method `$name` with the signature of [`Float::$name`], forwarding to it.
macro_rules! forward_to_float {
    ([$($gen:tt)*] $ty:ty; $($name:ident ($($arg:ident: $argty:ty),*) -> $ret:ty;)*) => {
        impl<$($gen)*> $ty {
            $(
                #[doc = concat!("[`Float::", stringify!($name), "`](num_traits::Float::",
                    stringify!($name), "), with its derivative; callable without importing a trait.")]
                #[inline(always)]
                pub fn $name(self $(, $arg: $argty)*) -> $ret {
                    <Self as Float>::$name(self $(, $arg)*)
                }
            )*
        }
    };
}

/// The list of methods, for the type `$ty` with impl generics `$gen`.
macro_rules! math_methods {
    ([$($gen:tt)*] $ty:ty) => {
        forward_to_float!([$($gen)*] $ty;
            // elementary functions (the rule table's `Unary` entries)
            recip() -> Self;
            sqrt() -> Self;
            cbrt() -> Self;
            exp() -> Self;
            exp2() -> Self;
            exp_m1() -> Self;
            ln() -> Self;
            log2() -> Self;
            log10() -> Self;
            ln_1p() -> Self;
            sin() -> Self;
            cos() -> Self;
            tan() -> Self;
            asin() -> Self;
            acos() -> Self;
            atan() -> Self;
            sinh() -> Self;
            cosh() -> Self;
            tanh() -> Self;
            asinh() -> Self;
            acosh() -> Self;
            atanh() -> Self;
            abs() -> Self;
            signum() -> Self;
            floor() -> Self;
            ceil() -> Self;
            round() -> Self;
            trunc() -> Self;
            fract() -> Self;
            to_degrees() -> Self;
            to_radians() -> Self;
            powi(n: i32) -> Self;
            // two arguments (the rule table's `Binary` entries)
            powf(n: Self) -> Self;
            log(base: Self) -> Self;
            atan2(other: Self) -> Self;
            hypot(other: Self) -> Self;
            max(other: Self) -> Self;
            min(other: Self) -> Self;
            abs_sub(other: Self) -> Self;
            // compositions and fused operations
            mul_add(a: Self, b: Self) -> Self;
            sin_cos() -> (Self, Self);
            clamp(min: Self, max: Self) -> Self;
            copysign(sign: Self) -> Self;
            // queries of the value that nalgebra's traits also define
            is_nan() -> bool;
            is_infinite() -> bool;
            is_finite() -> bool;
            is_sign_positive() -> bool;
            is_sign_negative() -> bool;
        );
    };
}

pub(crate) use {forward_to_float, math_methods};
