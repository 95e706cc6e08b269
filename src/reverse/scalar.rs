//! `Var`'s impls of the crate's scalar-level traits declared in `base`: [`Real`]/[`Real32`] and
//! [`Literal`] (plain-float literals), comparisons with the scalar type and with a plain float on the
//! left, [`Loops`] (`scan` and `fold` in bounded memory), the inherent math methods, and approx's
//! comparisons.

use approx::{AbsDiffEq, RelativeEq, UlpsEq};
use core::cmp::Ordering;
use num_traits::Float;

use super::Var;
use super::tape::{Op, record1};
use crate::base::elementary::Elementary;
use crate::base::loops::{LoopSpec, Loops};
use crate::base::methods::{forward_to_float, math_methods};
use crate::base::real::{Literal, LiteralLhs, LiteralRhs, Real, Real32, literal_ops};
use crate::base::rules::{Need, Unary};
use crate::forward::Dual;

/// A recorded variable over a `Real` type (`Var<f64>`, and `Var<Dual<…>>` for forward over
/// reverse).
impl<T: Real> Real for Var<T>
where
    Self: LiteralRhs<f64>,
    f64: LiteralLhs<Self>,
{
}

/// A recorded variable over a `Real32` type (`Var<f32>`, and `Var<Dual<…>>` for forward over
/// reverse).
impl<T: Real32> Real32 for Var<T>
where
    Self: LiteralRhs<f32>,
    f32: LiteralLhs<Self>,
{
}

impl<T: Literal + Float + 'static> Literal for Var<T> {
    type Lit = T::Lit;
    #[inline(always)]
    fn cst(x: T::Lit) -> Self {
        Var::constant(T::cst(x))
    }
}

/// Compares the value with a constant of the scalar type (as `==` between variables does).
impl<T: Float + 'static> PartialEq<T> for Var<T> {
    #[inline]
    fn eq(&self, other: &T) -> bool {
        self.value() == *other
    }
}

/// Orders the value against a constant of the scalar type (as `<` between variables does).
impl<T: Float + 'static> PartialOrd<T> for Var<T> {
    #[inline]
    fn partial_cmp(&self, other: &T) -> Option<Ordering> {
        self.value().partial_cmp(other)
    }
}

literal_ops!(@compare_lhs f64, [T: Float + Literal<Lit = f64> + 'static] Var<T>);
literal_ops!(@compare_lhs f32, [T: Float + Literal<Lit = f32> + 'static] Var<T>);
literal_ops!(@nested f64, [T: Float + Literal<Lit = f64> + 'static, const M: usize]
    Var<Dual<T, M>>, Dual<T, M>);
literal_ops!(@nested f32, [T: Float + Literal<Lit = f32> + 'static, const M: usize]
    Var<Dual<T, M>>, Dual<T, M>);
// reverse over forward (`Dual<Var<T>, N>`, a forward pass on a tape) and reverse over reverse
// (`Var<Var<T>>`): their scalar type is the tape's
literal_ops!(@nested f64, [T: Float + Literal<Lit = f64> + 'static, const N: usize]
    Dual<Var<T>, N>, Var<T>);
literal_ops!(@nested f32, [T: Float + Literal<Lit = f32> + 'static, const N: usize]
    Dual<Var<T>, N>, Var<T>);
literal_ops!(@nested f64, [T: Float + Literal<Lit = f64> + 'static] Var<Var<T>>, Var<T>);
literal_ops!(@nested f32, [T: Float + Literal<Lit = f32> + 'static] Var<Var<T>>, Var<T>);

/// The tape runs [`scan`](crate::scan) and [`fold`](crate::fold) in memory that does not grow with the number of steps
/// (see the module's docs); the other combinators loop.
impl<T: Loops + 'static> Loops for Var<T>
where
    Var<T>: Float,
{
    fn record_loop(spec: &LoopSpec<'_, Self>) -> Option<Vec<Self>> {
        super::loops::record_loop(spec)
    }
}

math_methods!([T: Float + 'static] Var<T>);

/// A variable over an `Elementary` type: the value in `T`, one node whose partial is the rule
/// table's derivative evaluated in `T` (`T = Dual<..>` gives forward over reverse).
impl<T: Elementary + 'static> Elementary for Var<T> {
    #[inline]
    fn elementary(self, op: Unary) -> Self {
        let v = self.value().elementary(op);
        let (_, d) = op.eval_for(self.value(), Need::DERIVATIVE);
        record1(self, v, d, Op::Unary(op))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::zero::plain;

    /// The zero conventions' fast path for primitive floats is not taken for this mode's type.
    #[test]
    fn plain_is_false_for_this_modes_type() {
        assert!(!plain::<Var<f64>>());
    }
}
