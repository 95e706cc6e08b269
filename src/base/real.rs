//! Plain float literals in generic code: [`Real`] (`f64` literals) and [`Real32`] (`f32`).
//!
//! A function bounded on [`Float`] alone cannot mix in a plain number: `x * 3.0` is "expected type
//! parameter `T`, found floating-point number", so generic code fills up with `T::from(3.0).unwrap()`.
//! Bound on [`Real`] instead and write the numbers as they are:
//!
//! ```
//! use nilpotent::{Real, gradient, hessian, reverse};
//!
//! fn f<T: Real>(x: &[T]) -> T {
//!     let r2: T = x.iter().map(|&xi| xi * xi).sum();
//!     let bump = if x[0] > 0.0 { x[0] * 3.0 } else { 2.0 / (1.0 - x[0]) };
//!     bump + r2.sqrt() * T::PI() - x[1].pow(2.5) + 0.5
//! }
//!
//! let x = [3.0, 4.0];
//! let (v, g) = gradient(f, &x);                   // Dual<f64, 8>
//! let (_, _, h) = hessian(f, &x);                 // Dual<Dual<f64, 8>, 8>
//! let (_, g_rev) = reverse::gradient(f, &x);      // Var<f64>
//! assert_eq!(v, f(&x));                           // f64
//! assert!((g[0] - (3.0 + 3.0 / 5.0 * std::f64::consts::PI)).abs() < 1e-14);
//! assert!((g[1] - g_rev[1]).abs() < 1e-14);
//! assert!((h[(0, 1)] - (-12.0 / 125.0 * std::f64::consts::PI)).abs() < 1e-14);
//! ```
//!
//! What a `T: Real` gets, on top of everything [`Float`] has (`x: T`, `k: f64`):
//!
//! | you write | |
//! |---|---|
//! | arithmetic with a literal or an `f64` on either side | `x * 3.0`, `x / k`, `x + 1.0`, `x % 2.0`, `2.0 / x`, `1.0 - x`, `k * x` |
//! | assignment forms | `x += 1.0`, `x *= k`, `x += y` |
//! | comparison with a literal on either side | `x > 0.0`, `x <= k`, `x == 1.0`, `0.0 < x` |
//! | a named constant of type `T` (no derivative) | `T::cst(0.5)` ([`Literal::cst`]) |
//! | powers with a plain exponent ([`num_traits::Pow`]) | `x.pow(2.5)`, `x.pow(3)` |
//! | sums and products of an iterator | `.sum()`, `.product()` (of `T` or `&T`) |
//! | the constants of [`FloatConst`] | `T::PI()`, `T::E()`, `T::LN_2()` |
//! | printing | `{}` and `{:?}` |
//!
//! A literal is a constant: it carries no derivative, exactly as `T::cst(…)` or `T::from(…)` would.
//! Plain `f64` arithmetic inside the same function (`k * 0.5`, `n as f64 / 2.0`) is unaffected.
//!
//! # A plain number on the left, and plain `f64` arithmetic next to it
//!
//! `2.0 / x` needs `f64: Div<T>`, a bound whose subject is `f64`. A `where` clause on a trait
//! does not carry over to `fn f<T: Real>`; `Real` gets it through its associated type instead
//! (`Literal<Lit: LiteralLhs<Self>>`, with `Lit = f64`). A bound on `f64` alone would take
//! precedence over `f64`'s own impls and make every `k * k` or `k / 2.0` between plain numbers in
//! the same function a type error ("expected type parameter `T`"); so `Real` also states
//! `f64: LiteralLhs<f64>`, and with both candidates in view the compiler picks the one that
//! matches the type on the right. Plain `f64` arithmetic inside the function keeps its meaning:
//!
//! ```
//! use nilpotent::{Real, gradient};
//! fn f<T: Real>(x: &[T], k: f64, n: usize) -> T {
//!     let h = k * k + n as f64 / 2.0 - 1.0;        // plain f64 arithmetic: f64
//!     let y = 2.0 / x[0] + (1.0 - x[1]) * h;         // a plain number on the left of a T
//!     if 0.0 < x[0] { y } else { -y }
//! }
//! let (v, g) = gradient(|x| f(x, 3.0, 4), &[2.0, 0.5]);
//! assert_eq!((v, g), (1.0 + 0.5 * 10.0, vec![-0.5, -10.0]));
//! ```
//!
//! `T::cst(2.0)` names the same constant as a `T`, where a value of type `T` is wanted
//! (`x.max(T::cst(0.0))`, a `let` of type `T`).
//!
//! On concrete types the same holds: `2.0 / x`, `1.0 - x` and `0.0 < x` work for `f64`,
//! `Dual<f64, N>` and deeper duals, `Var<f64>`, `Var<Dual<f64, N>>` and `Sym`, so closures given to
//! the drivers (`|x| 2.0 / x[0]`, `|x| x[0] * k` in [`hessian`](crate::hessian)) can use them.
//!
//! # What stays as with `Float`: a method's argument is a `T`
//!
//! The methods of [`Float`] keep their signatures, so their arguments are `T`, not `f64`. What to
//! write for the literal arguments everyone writes first:
//!
//! | instead of (error E0308) | write |
//! |---|---|
//! | `x.powf(2.5)` | `x.pow(2.5)` ([`Pow<f64>`](num_traits::Pow), part of `Real`) or `x.powf(T::cst(2.5))` |
//! | `x.powi(2)` | works as it is (`powi` takes an `i32`) |
//! | `x.max(0.5)`, `x.min(1.0)` | `x.max(T::cst(0.5))`, `x.min(T::cst(1.0))` |
//! | `x.atan2(1.0)`, `x.hypot(3.0)` | `x.atan2(T::cst(1.0))`, `x.hypot(T::cst(3.0))` |
//! | `x.mul_add(2.0, 1.0)` | `x * 2.0 + 1.0` (two roundings) or `x.mul_add(T::cst(2.0), T::cst(1.0))` |
//!
//! Why this cannot be made to compile: in `fn f<T: Real>`, `x.powf(…)` is looked up among the
//! methods of `T`'s bounds, and [`Float`] (a supertrait of `Real`) has `powf(self, n: Self)`. A
//! second `powf` taking an `f64` in `Real` or any trait `Real` implies would not be chosen by its
//! argument type: Rust reports the call as ambiguous (E0034) for every user, also for
//! `x.powf(y)` with `y: T`, which works today. Letting a subtrait's method shadow its
//! supertrait's ("supertrait item shadowing", RFC 3624) is not in stable Rust (1.95). So these
//! stay the compiler's E0308, "expected type parameter `T`, found floating-point number", pinned
//! below, and the table above is what to write. An integer literal is not a float either:
//! `x * 2.0`, not `x * 2`.
//!
//! ```compile_fail,E0308
//! # use nilpotent::Real;
//! fn f<T: Real>(x: T) -> T {
//!     x.max(0.0) // Float::max takes a T: write x.max(T::cst(0.0))
//! }
//! ```
//!
//! ```compile_fail,E0308
//! # use nilpotent::Real;
//! fn f<T: Real>(x: T) -> T {
//!     x.powf(2.5) // Float::powf takes a T: write x.pow(2.5) or x.powf(T::cst(2.5))
//! }
//! ```
//!
//! ```compile_fail,E0308
//! # use nilpotent::Real;
//! fn f<T: Real>(x: T) -> T {
//!     x.min(1.0) // write x.min(T::cst(1.0))
//! }
//! ```
//!
//! ```compile_fail,E0308
//! # use nilpotent::Real;
//! fn f<T: Real>(x: T) -> T {
//!     x.atan2(1.0) // write x.atan2(T::cst(1.0))
//! }
//! ```
//!
//! ```compile_fail,E0308
//! # use nilpotent::Real;
//! fn f<T: Real>(x: T) -> T {
//!     x.hypot(3.0) // write x.hypot(T::cst(3.0))
//! }
//! ```
//!
//! What to write instead compiles and gives the derivatives of the plain-number form:
//!
//! ```
//! use nilpotent::{Real, gradient};
//! fn f<T: Real>(x: &[T]) -> T {
//!     x[0].pow(2.5) + x[0].max(T::cst(0.5)) + x[1].min(T::cst(1.0))
//!         + x[0].atan2(T::cst(1.0)) + x[1].hypot(T::cst(3.0))
//! }
//! let (_, g) = gradient(f, &[2.0, 4.0]);
//! let want0 = 2.5 * 2f64.powf(1.5) + 1.0 + 1.0 / (1.0 + 4.0);
//! let want1 = 0.0 + 4.0 / 5.0;
//! assert!((g[0] - want0).abs() < 1e-14 && (g[1] - want1).abs() < 1e-15);
//! ```
//!
//! `Real` means `f64` literals; an `f32` does not mix in (nor does an `f64` with [`Real32`], the
//! `f32` sibling, implemented for `f32`, `Dual` over a `Real32` and `Var` over a `Real32`; the graph
//! records `f64` only):
//!
//! ```compile_fail,E0308
//! # use nilpotent::Real;
//! fn f<T: Real>(x: T) -> T {
//!     x * 2.0_f32
//! }
//! ```
//!
//! # Which types are `Real`
//!
//! `f64`; [`Dual<T, N>`](crate::Dual) over a `Real` `T`, at any depth of nesting
//! (`Dual<Dual<f64, 8>, 8>` is what [`hessian`](crate::hessian) evaluates on); the reverse-mode
//! [`Var<T>`](crate::reverse::Var) over a `Real` `T` (`Var<f64>`, and `Var<Dual<f64, N>>` of
//! [`reverse::hvp`](crate::reverse::hvp) and [`reverse::hessian`](crate::reverse::hessian)); and the
//! graph's [`Sym`](crate::graph::Sym), for which a comparison with a literal is a guard like any
//! other comparison.
//!
//! # Nesting levels do not mix
//!
//! A plain float is a constant at every level of nesting, so it mixes with all of them. A dual
//! number of one level does not mix with another level except through
//! [`Dual::constant`](crate::Dual::constant) (the lifting rule that prevents perturbation
//! confusion; see [`crate::higher`]); the operator impls accept only the scalar type one level
//! down:
//!
//! ```compile_fail,E0277
//! use nilpotent::Dual;
//! let inner = Dual::<f64, 1>::variable(2.0, 0);
//! let outer = Dual::<Dual<Dual<f64, 1>, 1>, 1>::constant(Dual::constant(inner));
//! let _ = outer * inner; // two levels apart: lift it, Dual::constant(Dual::constant(inner))
//! ```
//!
//! # How it is built
//!
//! `Real` is [`Float`] plus a list of supertraits; the operators with an `f64` on the right are
//! bundled in [`LiteralRhs<f64>`], those with an `f64` on the left in [`LiteralLhs`] (required of
//! `f64` through [`Literal::Lit`], see above). For nested duals, `Dual<Dual<T, M>, N> ∘ f64` is an impl of its own, apart
//! from `Dual<T, N> ∘ T` (one generic `Dual<T, N> ∘ f64` would overlap it where `T` is `f64`);
//! `Var<Dual<T, M>> ∘ f64` likewise. These impls turn the `f64` into a constant with
//! [`Literal::cst`] and then use the operator with the scalar type, so every operation still goes
//! through the one rule table.

use core::fmt::{Debug, Display};
use core::iter::{Product, Sum};
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Rem, RemAssign, Sub, SubAssign};

use num_traits::{Float, FloatConst, Pow};

/// A scalar type built on a plain float type, [`Lit`](Literal::Lit), and the constants of that type.
///
/// Implemented for `f64` and `f32` (`Lit` is the type itself), [`Dual<T, N>`](crate::Dual) and
/// [`Var<T>`](crate::reverse::Var) (`Lit` is `T`'s: `f64` for `Dual<Dual<f64, 8>, 8>`) and
/// [`Sym`](crate::graph::Sym) (`f64`).
pub trait Literal: Sized {
    /// The plain float type at the bottom of the nesting (`f64` or `f32`).
    type Lit;

    /// The constant `x` (no derivative): `T::cst(0.5)` in a function generic over `T: Real`.
    ///
    /// ```
    /// use nilpotent::{Dual, Literal};
    /// let half = Dual::<Dual<f64, 2>, 3>::cst(0.5);
    /// assert_eq!(half, Dual::constant(Dual::constant(0.5)));
    /// ```
    fn cst(x: Self::Lit) -> Self;
}

/// Arithmetic, assignment, comparison and [`Pow`] with a plain float `F` on the right: `x + F`,
/// `x -= F`, `x < F`, `x.pow(F)`. Implemented for every type that has these operators; a bound of
/// [`Real`] and [`Real32`].
pub trait LiteralRhs<F>:
    Sized
    + Add<F, Output = Self>
    + Sub<F, Output = Self>
    + Mul<F, Output = Self>
    + Div<F, Output = Self>
    + Rem<F, Output = Self>
    + AddAssign<F>
    + SubAssign<F>
    + MulAssign<F>
    + DivAssign<F>
    + RemAssign<F>
    + PartialEq<F>
    + PartialOrd<F>
    + Pow<F, Output = Self>
{
}

impl<S, F> LiteralRhs<F> for S where
    S: Add<F, Output = S>
        + Sub<F, Output = S>
        + Mul<F, Output = S>
        + Div<F, Output = S>
        + Rem<F, Output = S>
        + AddAssign<F>
        + SubAssign<F>
        + MulAssign<F>
        + DivAssign<F>
        + RemAssign<F>
        + PartialEq<F>
        + PartialOrd<F>
        + Pow<F, Output = S>
{
}

/// Arithmetic and comparison of a plain float (the implementing type, `f64` or `f32`) on the
/// left with a `T` on the right: `2.0 / x`, `1.0 - x`, `0.0 < x`. Implemented for every type that
/// has these operators; [`Real`] requires it of `f64` for `T = Self` (so `2.0 / x` works in
/// generic code) and for `T = f64` (so that plain `f64` arithmetic next to it, `k * k` or
/// `k / 2.0`, still means what it means without [`Real`]: with two candidates in view, the
/// compiler picks by the type on the right).
pub trait LiteralLhs<T>:
    Sized
    + Add<T, Output = T>
    + Sub<T, Output = T>
    + Mul<T, Output = T>
    + Div<T, Output = T>
    + Rem<T, Output = T>
    + PartialEq<T>
    + PartialOrd<T>
{
}

impl<F, T> LiteralLhs<T> for F where
    F: Add<T, Output = T>
        + Sub<T, Output = T>
        + Mul<T, Output = T>
        + Div<T, Output = T>
        + Rem<T, Output = T>
        + PartialEq<T>
        + PartialOrd<T>
{
}

/// Defines the trait `$Real` for plain `$f` literals and its impl for `$f` (each mode implements
/// it for its own type: `forward::scalar`, `reverse::scalar`, `graph::scalar`).
macro_rules! real_trait {
    ($(#[$doc:meta])* $Real:ident, $f:ty) => {
        $(#[$doc])*
        pub trait $Real:
            Float
            + crate::base::loops::Loops
            + FloatConst
            + Sum
            + Product
            + for<'a> Sum<&'a Self>
            + for<'a> Product<&'a Self>
            + AddAssign
            + SubAssign
            + MulAssign
            + DivAssign
            + RemAssign
            + Pow<i32, Output = Self>
            + LiteralRhs<$f>
            + Literal<Lit = $f>
            + Literal<Lit: LiteralLhs<Self> + LiteralLhs<$f>>
            + Debug
            + Display
            + Default
            + Send
            + Sync
            + 'static
        {
        }

        impl $Real for $f {}
    };
}

real_trait!(
    /// A scalar type for generic code that uses plain `f64` numbers: [`Float`] plus arithmetic and
    /// comparison with an `f64` on either side (`x * 3.0`, `x + k`, `2.0 / x`, `x > 0.0`),
    /// [`Sum`], [`Product`], [`FloatConst`] (`T::PI()`) and [`Literal::cst`] (`T::cst(0.5)`).
    ///
    /// Implemented for `f64`, [`Dual`](crate::Dual) over a `Real` at any depth,
    /// [`Var`](crate::reverse::Var) over a `Real`, and the graph's [`Sym`](crate::graph::Sym);
    /// every driver of the crate accepts a function `fn f<T: Real>(x: &[T]) -> T` by name at
    /// `f64` inputs, as it accepts one bounded on `Float` (for `f32` inputs, bound on [`Real32`]).
    /// See [the module](crate::real) for what it allows and what stays as with `Float`.
    ///
    /// ```
    /// use nilpotent::{Real, hessian};
    ///
    /// // a spring energy with a stiffness read from data
    /// fn energy<T: Real>(x: &[T], k: f64) -> T {
    ///     (x[0] - 1.0).powi(2) * (0.5 * k) + (-x[1].cos() + 1.0) * 2.0
    /// }
    /// let k = 4.0;
    /// let (_, grad, h) = hessian(|x| energy(x, k), &[1.5, 0.0]);
    /// assert_eq!(grad, vec![2.0, 0.0]);                  // k (x₀ − 1), 2 sin x₁
    /// assert_eq!((h[(0, 0)], h[(1, 1)], h[(0, 1)]), (4.0, 2.0, 0.0));
    /// ```
    ///
    /// Bounding on `Real` adds no method and no ambiguity to what `Float` has: `x.sin()` is
    /// `Float::sin`, and a function bounded on `Float` alone keeps working everywhere.
    ///
    /// A type that is not `Real` (here `Dual<f32, 8>`, from `f32` inputs) is E0277, whose message
    /// says "`…` is not `nilpotent::Real`", lists the types that are and the bound to write (for
    /// `f32` numbers, [`Real32`]):
    ///
    /// ```compile_fail,E0277
    /// fn f<T: nilpotent::Real>(x: &[T]) -> T { x[0] * 2.0 }
    /// let _ = nilpotent::gradient(f, &[1.0_f32]);
    /// ```
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not `nilpotent::Real` (a float type that mixes with plain `f64` numbers)",
        label = "a function bounded on `T: nilpotent::Real` is called with `{Self}` here",
        note = "`Real` is implemented for `f64`, `Dual<T, N>` and `Var<T>` over a `Real` `T`, and `Sym`",
        note = "in generic code, add the bound where `T` is declared: `fn f<T: nilpotent::Real>(x: &[T]) -> T`; for `f32` numbers, bound on `nilpotent::Real32`"
    )]
    Real,
    f64
);

real_trait!(
    /// [`Real`] for `f32` users: [`Float`] plus arithmetic and comparison with a plain `f32` on
    /// the right, [`Sum`], [`Product`], [`FloatConst`] and [`Literal::cst`].
    ///
    /// Implemented for `f32`, [`Dual`](crate::Dual) over a `Real32` at any depth, and
    /// [`Var`](crate::reverse::Var) over a `Real32` (the graph records `f64` only).
    ///
    /// ```
    /// use nilpotent::{Real32, gradient};
    /// fn f<T: Real32>(x: &[T]) -> T { x[0] * 3.0 + x[1].recip() }
    /// let (_, g) = gradient(f, &[1.0_f32, 2.0]);
    /// assert_eq!(g, vec![3.0, -0.25]);
    /// ```
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not `nilpotent::Real32` (a float type that mixes with plain `f32` numbers)",
        label = "a function bounded on `T: nilpotent::Real32` is called with `{Self}` here",
        note = "`Real32` is implemented for `f32`, and `Dual<T, N>` and `Var<T>` over a `Real32` `T`",
        note = "in generic code, add the bound where `T` is declared: `fn f<T: nilpotent::Real32>(x: &[T]) -> T`; for `f64` numbers, bound on `nilpotent::Real`"
    )]
    Real32,
    f32
);

// ----------------------------------------------------------------------------------------------
// Literal
// ----------------------------------------------------------------------------------------------

impl Literal for f64 {
    type Lit = f64;
    #[inline(always)]
    fn cst(x: f64) -> f64 {
        x
    }
}

impl Literal for f32 {
    type Lit = f32;
    #[inline(always)]
    fn cst(x: f32) -> f32 {
        x
    }
}

// ----------------------------------------------------------------------------------------------
// Comparisons with the scalar type, and with a plain float on the left (every depth)
// ----------------------------------------------------------------------------------------------

/// The operators and comparisons that mix a plain float `$f` with a number type, written once
/// and invoked by each mode for its own type (`forward::scalar`, `reverse::scalar`):
/// - `@compare_lhs`: `$f == $ty`, `$f < $ty` (the float becomes the constant `$ty::cst(x)`);
/// - `@nested`: `$ty ∘ $f` and `$f ∘ $ty` for a type whose scalar type `$s` is itself a dual
///   number (where the generic `$ty ∘ $s` impls do not cover `$f`).
macro_rules! literal_ops {
    (@compare_lhs $f:ty, [$($gen:tt)*] $ty:ty) => {
        impl<$($gen)*> PartialEq<$ty> for $f {
            #[inline]
            fn eq(&self, other: &$ty) -> bool {
                <$ty>::cst(*self) == *other
            }
        }

        impl<$($gen)*> PartialOrd<$ty> for $f {
            #[inline]
            fn partial_cmp(&self, other: &$ty) -> Option<core::cmp::Ordering> {
                <$ty>::cst(*self).partial_cmp(other)
            }
        }
    };

    // `$ty ∘ $f` and `$f ∘ $ty` for a type `$ty` whose scalar type `$s` is itself a dual number:
    // the `$f` becomes the constant `$s::cst(x)` (resp. `$ty::cst(x)` on the left).
    (@nested $f:ty, [$($gen:tt)*] $ty:ty, $s:ty) => {
        literal_ops!(@op $f, Add, add, AddAssign, add_assign, [$($gen)*] $ty, $s);
        literal_ops!(@op $f, Sub, sub, SubAssign, sub_assign, [$($gen)*] $ty, $s);
        literal_ops!(@op $f, Mul, mul, MulAssign, mul_assign, [$($gen)*] $ty, $s);
        literal_ops!(@op $f, Div, div, DivAssign, div_assign, [$($gen)*] $ty, $s);
        literal_ops!(@op $f, Rem, rem, RemAssign, rem_assign, [$($gen)*] $ty, $s);

        /// Compares the value with a constant.
        impl<$($gen)*> PartialEq<$f> for $ty {
            #[inline]
            fn eq(&self, other: &$f) -> bool {
                *self == <$s>::cst(*other)
            }
        }

        /// Orders the value against a constant.
        impl<$($gen)*> PartialOrd<$f> for $ty {
            #[inline]
            fn partial_cmp(&self, other: &$f) -> Option<core::cmp::Ordering> {
                self.partial_cmp(&<$s>::cst(*other))
            }
        }

        /// xʸ with a constant exponent ([`Float::powf`] with a constant).
        impl<$($gen)*> num_traits::Pow<$f> for $ty {
            type Output = Self;
            #[inline]
            fn pow(self, y: $f) -> Self {
                self.powf(<$ty>::cst(y))
            }
        }
    };

    (@op $f:ty, $Op:ident, $op:ident, $OpAssign:ident, $op_assign:ident, [$($gen:tt)*] $ty:ty,
     $s:ty) => {
        impl<$($gen)*> core::ops::$Op<$f> for $ty {
            type Output = Self;
            #[inline]
            fn $op(self, rhs: $f) -> Self {
                core::ops::$Op::$op(self, <$s>::cst(rhs))
            }
        }

        impl<$($gen)*> core::ops::$OpAssign<$f> for $ty {
            #[inline]
            fn $op_assign(&mut self, rhs: $f) {
                *self = core::ops::$Op::$op(*self, <$s>::cst(rhs));
            }
        }

        impl<$($gen)*> core::ops::$Op<$ty> for $f {
            type Output = $ty;
            #[inline]
            fn $op(self, rhs: $ty) -> $ty {
                core::ops::$Op::$op(<$ty>::cst(self), rhs)
            }
        }
    };
}
pub(crate) use literal_ops;
