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

use num_traits::Float;

use super::Dual;
use crate::base::scalar::impl_operators;

impl_operators!(
    [T: Float, const N: usize] Dual<T, N>, T,
    [const N: usize] Dual<f64, N>, f64,
    [const N: usize] Dual<f32, N>, f32
);
