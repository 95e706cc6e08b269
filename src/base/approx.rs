//! The [approx](https://docs.rs/approx/0.5) traits for [`Dual`] and the reverse-mode [`Var`]:
//! [`AbsDiffEq`], [`RelativeEq`], [`UlpsEq`] (required by nalgebra's `RealField`), and [`AllParts`]
//! for comparing the tangents of duals too.
//!
//! For a [`Var`], the comparisons look at the value (as `==` does): a recorded variable and a
//! constant with the same value are equal. The tolerances are `Var`s (`epsilon = Var::constant(1e-12)`).
//!
//! For graph mode's [`Sym`], `abs_diff_eq` and `relative_eq` are computed as `f64` computes them,
//! with `Sym` arithmetic and comparisons, so the graph keeps each comparison as a guard (the test is
//! asked again at every evaluation); `ulps_eq` looks at the bits, and the graph keeps both values
//! exactly (any change of either fails the guard).
//!
//! # What is compared: the real part only
//!
//! `a.relative_eq(&b, eps, max_rel)` compares `a.re` with `b.re` by `T`'s own rule, with the real
//! parts of `eps` and `max_rel`; the tangents are ignored. The reasons:
//!
//! - **Consistency with `==` and `<`**, which compare real parts (the
//!   [crate's conventions](crate#conventions)). approx requires
//!   `PartialEq`, and `a == b` must imply `a.relative_eq(&b, …)`.
//! - **nalgebra branches on these tests** (`is_identity`, `is_orthogonal`, `Unit` checks,
//!   interpolation). A branch taken on duals must be the branch the `f64` program takes, or the real
//!   parts would stop being the `f64` results; comparing tangents could make `is_identity(ε)`
//!   false for a matrix whose values are the identity but whose derivative is not zero.
//!
//! So `assert_relative_eq!(a, b)` on duals checks values only. To check tangents as well, wrap both
//! sides in [`AllParts`], which compares the real part and every tangent, at every nesting level,
//! each with its own scale:
//!
//! ```
//! use approx::{assert_relative_eq, relative_eq};
//! use nilpotent::{AllParts, Dual};
//!
//! let a = Dual::new(1.0, [2.0, 3.0]);
//! let b = Dual::new(1.0 + f64::EPSILON, [2.0, 3.5]);
//! assert_relative_eq!(a, b); // the values agree to a relative f64::EPSILON
//! assert!(!relative_eq!(AllParts(a), AllParts(b))); // the second tangent differs
//! assert_relative_eq!(AllParts(a), AllParts(Dual::new(1.0, [2.0, 3.0 + 1e-15])), epsilon = 1e-12);
//! ```
//!
//! The tolerance type of the `Dual` impls is `Dual` itself (nalgebra requires `Epsilon = Self`):
//! pass `epsilon = Dual::constant(1e-12)`. [`AllParts`] takes tolerances of the innermost float
//! type: `epsilon = 1e-12`.

use approx::{AbsDiffEq, RelativeEq, UlpsEq};
use num_traits::Float;

use crate::Dual;
use crate::graph::{Observe, Sym};
use crate::reverse::Var;

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

/// Compares values: `|a − b| ≤ epsilon` on the values, by `T`'s [`AbsDiffEq`] (consistent with
/// `==`, which compares values; a recorded variable and a constant with the same value are equal).
impl<T: Float + AbsDiffEq<Epsilon = T> + 'static> AbsDiffEq for Var<T> {
    type Epsilon = Self;

    /// `T`'s default tolerance, as a constant.
    #[inline]
    fn default_epsilon() -> Self {
        Self::constant(T::default_epsilon())
    }
    #[inline]
    fn abs_diff_eq(&self, other: &Self, epsilon: Self) -> bool {
        self.value().abs_diff_eq(&other.value(), epsilon.value())
    }
}

/// Compares values by `T`'s [`RelativeEq`].
impl<T: Float + RelativeEq<Epsilon = T> + 'static> RelativeEq for Var<T> {
    /// `T`'s default relative tolerance, as a constant.
    #[inline]
    fn default_max_relative() -> Self {
        Self::constant(T::default_max_relative())
    }
    #[inline]
    fn relative_eq(&self, other: &Self, epsilon: Self, max_relative: Self) -> bool {
        self.value()
            .relative_eq(&other.value(), epsilon.value(), max_relative.value())
    }
}

/// Compares values by `T`'s [`UlpsEq`].
impl<T: Float + UlpsEq<Epsilon = T> + 'static> UlpsEq for Var<T> {
    #[inline]
    fn default_max_ulps() -> u32 {
        T::default_max_ulps()
    }
    #[inline]
    fn ulps_eq(&self, other: &Self, epsilon: Self, max_ulps: u32) -> bool {
        self.value()
            .ulps_eq(&other.value(), epsilon.value(), max_ulps)
    }
}

/// `|a − b| ≤ epsilon` as `f64` computes it, in recorded arithmetic (the comparisons are guards).
impl AbsDiffEq for Sym {
    type Epsilon = Sym;

    /// `f64`'s default tolerance, as a constant.
    fn default_epsilon() -> Sym {
        Sym::constant(f64::default_epsilon())
    }
    fn abs_diff_eq(&self, other: &Sym, epsilon: Sym) -> bool {
        let (a, b) = (*self, *other);
        let difference = if a > b { a - b } else { b - a };
        difference <= epsilon
    }
}

/// approx's relative comparison of `f64`, step by step in recorded arithmetic (the comparisons are
/// guards).
impl RelativeEq for Sym {
    /// `f64`'s default relative tolerance, as a constant.
    fn default_max_relative() -> Sym {
        Sym::constant(f64::default_max_relative())
    }
    fn relative_eq(&self, other: &Sym, epsilon: Sym, max_relative: Sym) -> bool {
        let (a, b) = (*self, *other);
        if a == b {
            return true;
        }
        if Float::is_infinite(a) || Float::is_infinite(b) {
            return false;
        }
        let difference = Float::abs(a - b);
        if difference <= epsilon {
            return true;
        }
        let largest = Float::max(Float::abs(a), Float::abs(b));
        difference <= largest * max_relative
    }
}

/// By the bits of the values, which the graph keeps exactly.
impl UlpsEq for Sym {
    fn default_max_ulps() -> u32 {
        f64::default_max_ulps()
    }
    fn ulps_eq(&self, other: &Sym, epsilon: Sym, max_ulps: u32) -> bool {
        self.observe(Observe::Exact).ulps_eq(
            &other.observe(Observe::Exact),
            epsilon.observe(Observe::Exact),
            max_ulps,
        )
    }
}

/// A wrapper whose equality and approx comparisons look at **every part** of a dual number: the real
/// part and each tangent, recursively through nested duals, each compared on its own by the innermost
/// float type's rule (so a relative tolerance is relative to each part's own magnitude).
///
/// `AllParts(a) == AllParts(b)` is exact equality of all parts; the approx tolerances (`epsilon`,
/// `max_relative`) are of the innermost float type. See the [module documentation](self).
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use nilpotent::{AllParts, Dual};
///
/// // nested: the inner tangents are compared too
/// let x = Dual::new(Dual::new(2.0, [1.0]), [Dual::new(1.0, [0.0])]);
/// let y = x * x; // x² = 4 + 4ε₁ + 4ε₂ + 2ε₁ε₂
/// let expected = Dual::new(Dual::new(4.0, [4.0]), [Dual::new(4.0, [2.0])]);
/// assert_abs_diff_eq!(AllParts(y), AllParts(expected), epsilon = 1e-15);
/// assert!(AllParts(y) == AllParts(expected));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AllParts<D>(pub D);

/// Implements `PartialEq` and the approx traits of `AllParts<$t>` for a primitive float: the float's
/// own comparisons.
macro_rules! all_parts_float {
    ($($t:ty),*) => {$(
        impl PartialEq for AllParts<$t> {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                self.0 == other.0
            }
        }
        impl AbsDiffEq for AllParts<$t> {
            type Epsilon = $t;
            #[inline]
            fn default_epsilon() -> $t {
                <$t as AbsDiffEq>::default_epsilon()
            }
            #[inline]
            fn abs_diff_eq(&self, other: &Self, epsilon: $t) -> bool {
                self.0.abs_diff_eq(&other.0, epsilon)
            }
        }
        impl RelativeEq for AllParts<$t> {
            #[inline]
            fn default_max_relative() -> $t {
                <$t as RelativeEq>::default_max_relative()
            }
            #[inline]
            fn relative_eq(&self, other: &Self, epsilon: $t, max_relative: $t) -> bool {
                self.0.relative_eq(&other.0, epsilon, max_relative)
            }
        }
        impl UlpsEq for AllParts<$t> {
            #[inline]
            fn default_max_ulps() -> u32 {
                <$t as UlpsEq>::default_max_ulps()
            }
            #[inline]
            fn ulps_eq(&self, other: &Self, epsilon: $t, max_ulps: u32) -> bool {
                self.0.ulps_eq(&other.0, epsilon, max_ulps)
            }
        }
    )*};
}
all_parts_float!(f32, f64);

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
