//! [`Var`], the recorded variable: a value plus the index of the node that computed it.

use core::any::Any;
use core::cmp::Ordering;
use core::fmt;

use num_traits::{Float, Pow};

use super::tape::{NO_ENTRY, Op, record1, record2};
use crate::base::rules::{self, Binary, Unary};
use crate::base::scalar::{impl_num_traits, impl_operators};

/// A variable recorded on a [`Tape`](super::Tape): its value, and where on the tape it came from.
///
/// `Var<T>` is `Copy`, `'static` and implements [`Float`] (and the rest of the num-traits family,
/// like [`Dual`](crate::Dual)) for every `T: Float` — `f64`, `f32`, and `Dual<f64, N>` for
/// Hessian-vector products by forward over reverse. Every operation on a non-constant `Var` appends
/// one node to the thread's active recording, with the local partials taken from
/// [`crate::rules`]. Constants ([`Var::constant`], `Float::zero()`, `NumCast::from`, literals mixed
/// in as `T`) are not recorded and need no tape.
///
/// Comparisons (`==`, `<`, `max`/`min` choice) look at the value only.
///
/// Multiplying or dividing by the constant 1, adding −0 or subtracting +0 (IEEE identities, exact
/// for every value) records nothing and returns the variable itself: nalgebra's matrix product
/// computes `1·(a·b)` and `1·c + a·b`, which would otherwise add a node per product. For a `Var`
/// over `f64` or `f32` only (not over a dual number).
#[derive(Clone, Copy, Debug)]
pub struct Var<T> {
    value: T,
    pub(crate) index: u32,
    pub(crate) tape: u64,
}

impl<T: Float + 'static> Var<T> {
    /// A constant: no node, no tape needed.
    #[inline(always)]
    pub fn constant(value: T) -> Self {
        Var {
            value,
            index: NO_ENTRY,
            tape: 0,
        }
    }

    #[inline(always)]
    pub(crate) fn recorded(value: T, index: u32, tape: u64) -> Self {
        Var { value, index, tape }
    }

    /// The value, a plain number off the tape: `x.value().sin()` is not recorded and drops the
    /// derivative; call `x.sin()` ([`crate::methods`]).
    #[inline(always)]
    pub fn value(&self) -> T {
        self.value
    }

    /// The value, for a branch or conversion of generic code (the same as [`Var::value`]; graph
    /// mode's scalar records the question as a guard).
    #[inline(always)]
    pub(crate) fn observe(&self, _what: crate::base::observe::Observe) -> T {
        self.value
    }

    /// True for a constant (a value with no node on any tape).
    #[inline(always)]
    pub fn is_constant(&self) -> bool {
        self.index == NO_ENTRY
    }

    /// The index of this variable's node on its tape (`None` for a constant).
    pub fn node(&self) -> Option<usize> {
        (!self.is_constant()).then_some(self.index as usize)
    }

    #[inline(always)]
    pub(crate) fn unary(self, op: Unary) -> Self {
        let (v, d) = op.eval(self.value);
        record1(self, v, d, Op::Unary(op))
    }

    #[inline(always)]
    pub(crate) fn binary(self, op: Binary, other: Self) -> Self {
        let (v, dx, dy) = op.eval(self.value, other.value);
        record2(self, other, v, dx, dy, Op::Binary(op))
    }

    #[inline(always)]
    pub(crate) fn binary_const_rhs(self, op: Binary, other: T) -> Self {
        if rhs_identity(op, &other) {
            return self;
        }
        let (v, dx, _) = op.eval(self.value, other);
        record1(self, v, dx, Op::BinaryConstRhs(op, other))
    }

    #[inline(always)]
    pub(crate) fn binary_const_lhs(op: Binary, this: T, other: Self) -> Self {
        if lhs_identity(op, &this) {
            return other;
        }
        let (v, _, dy) = op.eval(this, other.value);
        record1(other, v, dy, Op::BinaryConstLhs(op, this))
    }

    /// The node(s) of a custom rule ([`crate::custom`]) with value `value` and partial `partials[i]`
    /// towards `args[i]`: one node for up to two operands that carry a derivative, otherwise a chain
    /// of nodes (a node has at most two parents), each further one adding an operand with its
    /// partial to the previous one with partial 1. Constant operands and zero partials are left
    /// out, as in every node.
    pub(crate) fn record_custom(
        args: &[Self],
        value: T,
        partials: &[T],
        name: &'static str,
    ) -> Self {
        let mut live = args
            .iter()
            .zip(partials)
            .filter(|(a, d)| !a.is_constant() && !super::tape::zero_partial(**d));
        let Some((&first, &d0)) = live.next() else {
            return Var::constant(value);
        };
        let mut acc = match live.next() {
            None => return record1(first, value, d0, Op::Custom(name, true)),
            Some((&second, &d1)) => record2(first, second, value, d0, d1, Op::Custom(name, true)),
        };
        for (&a, &d) in live {
            acc = record2(acc, a, value, T::one(), d, Op::Custom(name, false));
        }
        acc
    }

    /// `self·a + b` rounded once: a product node and a sum node (a node has at most two parents).
    #[inline(always)]
    fn fused_mul_add(self, a: Self, b: Self) -> Self {
        let (v, dx, da, db) = rules::mul_add(self.value, a.value, b.value);
        let product = record2(self, a, self.value * a.value, dx, da, Op::MulAddProduct);
        record2(product, b, v, T::one(), db, Op::MulAddSum)
    }
}

/// True if `x ∘ c` is `x` bit for bit for every `x`, by IEEE 754: `x·1`, `x/1`, `x + (−0)` and
/// `x − (+0)`. (`x + (+0)` is not: it is +0 at x = −0; `x·0` is not either: it is NaN at ±∞ and
/// −0 for negative x.) Such an operation records no node and returns its variable unchanged.
/// Only a plain `f64` or `f32` constant is recognised; for another `T` (a dual number, whose
/// equality compares real parts only) nothing is folded.
#[inline(always)]
pub(super) fn rhs_identity<T: 'static>(op: Binary, c: &T) -> bool {
    match op {
        Binary::Mul | Binary::Div => exactly(c, 1.0),
        Binary::Add => exactly(c, -0.0),
        Binary::Sub => exactly(c, 0.0),
        _ => false,
    }
}

/// True if `c ∘ x` is `x` bit for bit for every `x`: `1·x` and `(−0) + x` (see [`rhs_identity`]).
#[inline(always)]
pub(super) fn lhs_identity<T: 'static>(op: Binary, c: &T) -> bool {
    match op {
        Binary::Mul => exactly(c, 1.0),
        Binary::Add => exactly(c, -0.0),
        _ => false,
    }
}

/// True if `c` is a plain `f64` or `f32` with the bits of `v` (so −0 is not +0).
#[inline(always)]
fn exactly<T: 'static>(c: &T, v: f64) -> bool {
    let c = c as &dyn Any;
    if let Some(c) = c.downcast_ref::<f64>() {
        c.to_bits() == v.to_bits()
    } else if let Some(c) = c.downcast_ref::<f32>() {
        c.to_bits() == (v as f32).to_bits()
    } else {
        false
    }
}

impl_num_traits!([T: Float + 'static] Var<T>, T);
impl_operators!([T: Float + 'static] Var<T>, T, [] Var<f64>, f64, [] Var<f32>, f32);

/// xʸ with a constant `f64` exponent.
impl Pow<f64> for Var<f64> {
    type Output = Self;
    fn pow(self, y: f64) -> Self {
        self.binary_const_rhs(Binary::Powf, y)
    }
}

/// xʸ with a constant `f32` exponent.
impl Pow<f32> for Var<f32> {
    type Output = Self;
    fn pow(self, y: f32) -> Self {
        self.binary_const_rhs(Binary::Powf, y)
    }
}

/// The constant 0.
impl<T: Float + 'static> Default for Var<T> {
    fn default() -> Self {
        Self::constant(T::zero())
    }
}

/// Equality of the values, consistent with [`PartialOrd`].
impl<T: Float + 'static> PartialEq for Var<T> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

/// Order of the values, consistent with [`PartialEq`].
impl<T: Float + 'static> PartialOrd for Var<T> {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

/// The value (with the formatter's precision).
impl<T: fmt::Display> fmt::Display for Var<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}
