//! Arithmetic operators for [`Dual`]: `+ − × / %` between two duals, a dual and its scalar type `T`
//! (either side for `f32`/`f64`), the assign forms, unary `−`, [`Sum`] and [`Product`].
//!
//! Every operator is an entry of [`Binary`]; the partials come from the rule table:
//!
//! ```text
//! (a + a'ε) + (b + b'ε) = (a + b) + (a' + b')ε
//! (a + a'ε) − (b + b'ε) = (a − b) + (a' − b')ε
//! (a + a'ε) × (b + b'ε) = ab + (a'b + ab')ε
//! (a + a'ε) / (b + b'ε) = a/b + (a'/b − (a/b)·b'/b)ε
//! (a + a'ε) % (b + b'ε) = a % b + (a' − trunc(a/b)·b')ε
//! ```
//!
//! A scalar operand is a constant: only the dual operand's tangent is propagated, no work is spent
//! on the scalar's (zero) tangent.

use core::iter::{Product, Sum};
use core::ops::{
    Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign,
};

use num_traits::Float;

use super::Dual;
use crate::rules::{Binary, Unary};

/// Implements one arithmetic operator (`$Op::$op`, its assign form `$OpAssign::$op_assign`) as the
/// table entry `Binary::$Rule`, for `Dual ∘ Dual`, `Dual ∘ T`, and `T ∘ Dual` for `f32` and `f64`.
macro_rules! binary_operator {
    ($Op:ident, $op:ident, $OpAssign:ident, $op_assign:ident, $Rule:ident) => {
        impl<T: Float, const N: usize> $Op for Dual<T, N> {
            type Output = Self;
            #[inline(always)]
            fn $op(self, rhs: Self) -> Self {
                self.binary(Binary::$Rule, rhs)
            }
        }

        impl<T: Float, const N: usize> $Op<T> for Dual<T, N> {
            type Output = Self;
            #[inline(always)]
            fn $op(self, rhs: T) -> Self {
                self.binary_const_rhs(Binary::$Rule, rhs)
            }
        }

        impl<const N: usize> $Op<Dual<f64, N>> for f64 {
            type Output = Dual<f64, N>;
            #[inline(always)]
            fn $op(self, rhs: Dual<f64, N>) -> Dual<f64, N> {
                Dual::binary_const_lhs(Binary::$Rule, self, rhs)
            }
        }

        impl<const N: usize> $Op<Dual<f32, N>> for f32 {
            type Output = Dual<f32, N>;
            #[inline(always)]
            fn $op(self, rhs: Dual<f32, N>) -> Dual<f32, N> {
                Dual::binary_const_lhs(Binary::$Rule, self, rhs)
            }
        }

        impl<T: Float, const N: usize> $OpAssign for Dual<T, N> {
            #[inline(always)]
            fn $op_assign(&mut self, rhs: Self) {
                *self = self.binary(Binary::$Rule, rhs);
            }
        }

        impl<T: Float, const N: usize> $OpAssign<T> for Dual<T, N> {
            #[inline(always)]
            fn $op_assign(&mut self, rhs: T) {
                *self = self.binary_const_rhs(Binary::$Rule, rhs);
            }
        }
    };
}

binary_operator!(Add, add, AddAssign, add_assign, Add);
binary_operator!(Sub, sub, SubAssign, sub_assign, Sub);
binary_operator!(Mul, mul, MulAssign, mul_assign, Mul);
binary_operator!(Div, div, DivAssign, div_assign, Div);
binary_operator!(Rem, rem, RemAssign, rem_assign, Rem);

/// −(a + a'ε) = −a − a'ε
impl<T: Float, const N: usize> Neg for Dual<T, N> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        self.unary(Unary::Neg)
    }
}

/// Starts from −0, the additive identity of IEEE arithmetic (as `f64`'s `Sum`).
impl<T: Float, const N: usize> Sum for Dual<T, N> {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::constant(T::neg_zero()), |a, b| a + b)
    }
}

impl<'a, T: Float, const N: usize> Sum<&'a Dual<T, N>> for Dual<T, N> {
    fn sum<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
        iter.fold(Self::constant(T::neg_zero()), |a, b| a + *b)
    }
}

impl<T: Float, const N: usize> Product for Dual<T, N> {
    fn product<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::constant(T::one()), |a, b| a * b)
    }
}

impl<'a, T: Float, const N: usize> Product<&'a Dual<T, N>> for Dual<T, N> {
    fn product<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
        iter.fold(Self::constant(T::one()), |a, b| a * *b)
    }
}
