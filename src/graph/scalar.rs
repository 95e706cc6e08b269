//! `Sym`'s impls of the crate's scalar-level traits declared in `base`: [`Real`] and [`Literal`]
//! (a literal is a constant node), comparisons with a plain `f64` (guards, as every comparison
//! while recording), [`Loops`] (the body recorded once, the loop one node), the inherent math
//! methods, and approx's comparisons (in recorded arithmetic).

use approx::{AbsDiffEq, RelativeEq, UlpsEq};
use core::cmp::Ordering;
use num_traits::Float;

use super::Sym;
use crate::base::elementary::Elementary;
use crate::base::loops::{LoopSpec, Loops};
use crate::base::methods::{forward_to_float, math_methods};
use crate::base::observe::Observe;
use crate::base::real::{Literal, Real};
use crate::base::rules::Unary;

/// The graph's symbolic scalar records `f64` values.
impl Real for Sym {}

impl Literal for Sym {
    type Lit = f64;
    #[inline(always)]
    fn cst(x: f64) -> Sym {
        Sym::constant(x)
    }
}

/// Compares with a constant: a guard, as any comparison while recording.
impl PartialEq<f64> for Sym {
    #[track_caller]
    fn eq(&self, other: &f64) -> bool {
        *self == Sym::constant(*other)
    }
}

/// Orders against a constant: a guard, as any comparison while recording.
impl PartialOrd<f64> for Sym {
    #[track_caller]
    fn partial_cmp(&self, other: &f64) -> Option<Ordering> {
        self.partial_cmp(&Sym::constant(*other))
    }
    #[track_caller]
    fn lt(&self, other: &f64) -> bool {
        *self < Sym::constant(*other)
    }
    #[track_caller]
    fn le(&self, other: &f64) -> bool {
        *self <= Sym::constant(*other)
    }
    #[track_caller]
    fn gt(&self, other: &f64) -> bool {
        *self > Sym::constant(*other)
    }
    #[track_caller]
    fn ge(&self, other: &f64) -> bool {
        *self >= Sym::constant(*other)
    }
}

/// A constant compared with a symbol: a guard, as any comparison while recording.
impl PartialEq<Sym> for f64 {
    #[track_caller]
    fn eq(&self, other: &Sym) -> bool {
        Sym::constant(*self) == *other
    }
}

/// A constant ordered against a symbol: a guard, as any comparison while recording.
impl PartialOrd<Sym> for f64 {
    #[track_caller]
    fn partial_cmp(&self, other: &Sym) -> Option<Ordering> {
        Sym::constant(*self).partial_cmp(other)
    }
    #[track_caller]
    fn lt(&self, other: &Sym) -> bool {
        Sym::constant(*self) < *other
    }
    #[track_caller]
    fn le(&self, other: &Sym) -> bool {
        Sym::constant(*self) <= *other
    }
    #[track_caller]
    fn gt(&self, other: &Sym) -> bool {
        Sym::constant(*self) > *other
    }
    #[track_caller]
    fn ge(&self, other: &Sym) -> bool {
        Sym::constant(*self) >= *other
    }
}

/// Graph mode records the body once (one variant per path through its branches) and the loop as
/// one node; outside of a recording, a plain loop.
impl Loops for Sym {
    fn record_loop(spec: &LoopSpec<'_, Self>) -> Option<Vec<Self>> {
        super::loops::record_loop(spec)
    }
}

math_methods!([] Sym);

/// A node of the graph, as every other rule-table entry (its value computed on `f64`).
impl Elementary for Sym {
    #[inline]
    fn elementary(self, op: Unary) -> Sym {
        self.unary(op)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::zero::plain;

    /// The zero conventions' fast path for primitive floats is not taken for this mode's type.
    #[test]
    fn plain_is_false_for_this_modes_type() {
        assert!(!plain::<Sym>());
    }
}
