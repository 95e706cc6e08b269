//! The [approx](https://docs.rs/approx/0.5) traits for [`Dual`](crate::Dual) and the reverse-mode [`Var`](crate::reverse::Var):
//! [`AbsDiffEq`], [`RelativeEq`], [`UlpsEq`] (required by nalgebra's `RealField`), and [`AllParts`]
//! for comparing the tangents of duals too.
//!
//! For a [`Var`](crate::reverse::Var), the comparisons look at the value (as `==` does): a recorded variable and a
//! constant with the same value are equal. The tolerances are `Var`s (`epsilon = Var::constant(1e-12)`).
//!
//! For graph mode's [`Sym`](crate::graph::Sym), `abs_diff_eq` and `relative_eq` are computed as `f64` computes them,
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
