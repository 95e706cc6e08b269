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

/// Defines the inherent method `$name` with the signature of the method of the same name of
/// [`Float`](num_traits::Float) (or, with `, Elementary`, of [`Elementary`](crate::Elementary), for
/// the instances of `$ty` that implement it), forwarding to it.
macro_rules! forward_to_float {
    ([$($gen:tt)*] $ty:ty; $($list:tt)*) => {
        $crate::base::methods::forward_to_float!(@impl [$($gen)*] $ty, [] ::num_traits::Float,
            "Float", "num_traits::Float"; $($list)*);
    };
    ([$($gen:tt)*] $ty:ty, Elementary; $($list:tt)*) => {
        $crate::base::methods::forward_to_float!(@impl [$($gen)*] $ty,
            [where $ty: $crate::base::elementary::Elementary] $crate::base::elementary::Elementary, "Elementary", "Elementary";
            $($list)*);
    };
    (@impl [$($gen:tt)*] $ty:ty, [$($where:tt)*] $tr:path, $trname:literal, $link:literal;
     $($name:ident ($($arg:ident: $argty:ty),*) -> $ret:ty;)*) => {
        impl<$($gen)*> $ty $($where)* {
            $(
                #[doc = concat!("[`", $trname, "::", stringify!($name), "`](", $link, "::",
                    stringify!($name), "), with its derivative; callable without importing a trait.")]
                #[inline(always)]
                pub fn $name(self $(, $arg: $argty)*) -> $ret {
                    <Self as $tr>::$name(self $(, $arg)*)
                }
            )*
        }
    };
}

/// The list of methods, for the type `$ty` with impl generics `$gen`.
macro_rules! math_methods {
    ([$($gen:tt)*] $ty:ty) => {
        // the elementary functions: every rule-table entry that is a method
        $crate::base::elementary::elementary!($crate::base::methods::rule_methods, [$($gen)*] $ty);
        forward_to_float!([$($gen)*] $ty;
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

/// The inherent methods of the rule-table entries (from the list of elementary functions): those
/// whose home is `Float` forward to `Float`, those whose home is `Elementary` to `Elementary` (for
/// the instances of `$ty` that implement it).
macro_rules! rule_methods {
    ([[$($gen:tt)*] $ty:ty]
     unary { $($(#[$udoc:meta])* $u:ident $(($rep:literal))? $um:ident ($($p:ident: $pt:ty)?)
        $uhome:ident $jit:ident,)* }
     binary { $($(#[$bdoc:meta])* $b:ident $bname:literal $bm:ident ($arg:ident) $bhome:ident,)* }) => {
        $crate::base::methods::rule_methods!(@collect [$($gen)*] $ty; Float; [];
            $($uhome $um ($($p: $pt)?),)* $($bhome $bm ($arg: Self),)*);
        $crate::base::methods::rule_methods!(@collect [$($gen)*] $ty; Elementary; [];
            $($uhome $um ($($p: $pt)?),)*);
    };
    // keeps the entries whose home is `$home`, then defines them
    (@collect [$($gen:tt)*] $ty:ty; $home:ident; [$($acc:tt)*];) => {
        $crate::base::methods::rule_methods!(@define $home [$($gen)*] $ty; $($acc)*);
    };
    (@collect [$($gen:tt)*] $ty:ty; Float; [$($acc:tt)*]; Float $m:ident ($($p:ident: $pt:ty)?),
     $($rest:tt)*) => {
        $crate::base::methods::rule_methods!(@collect [$($gen)*] $ty; Float;
            [$($acc)* $m($($p: $pt)?) -> Self;]; $($rest)*);
    };
    (@collect [$($gen:tt)*] $ty:ty; Elementary; [$($acc:tt)*]; Elementary $m:ident
     ($($p:ident: $pt:ty)?), $($rest:tt)*) => {
        $crate::base::methods::rule_methods!(@collect [$($gen)*] $ty; Elementary;
            [$($acc)* $m($($p: $pt)?) -> Self;]; $($rest)*);
    };
    (@collect [$($gen:tt)*] $ty:ty; $home:ident; [$($acc:tt)*]; $other:ident $m:ident
     ($($p:ident: $pt:ty)?), $($rest:tt)*) => {
        $crate::base::methods::rule_methods!(@collect [$($gen)*] $ty; $home; [$($acc)*]; $($rest)*);
    };
    (@define Float [$($gen:tt)*] $ty:ty; $($list:tt)*) => {
        $crate::base::methods::forward_to_float!([$($gen)*] $ty; $($list)*);
    };
    (@define Elementary [$($gen:tt)*] $ty:ty; $($list:tt)*) => {
        $crate::base::methods::forward_to_float!([$($gen)*] $ty, Elementary; $($list)*);
    };
}

pub(crate) use {forward_to_float, math_methods, rule_methods};
