//! The base layer: what every mode builds on and no mode owns. The rule table
//! ([`rules`]: each elementary function's value and partial derivatives), the scalar contract
//! (the `num-traits` and operator impls every number type gets from one macro, [`scalar`]), what
//! generic code asks a value ([`observe`]), plain-float literals ([`real`]), custom-rule traits
//! ([`custom`]), the loop combinators ([`loops`]), the nalgebra traits' macro ([`linalg`]), approx
//! comparisons of every part ([`approx_eq`]) and what drivers share ([`driver`]).
//!
//! Nothing here names a mode's number type: `Dual`, `Var` and `Sym` implement these traits in their
//! own folders. `scripts/layers.sh` checks it.

pub mod approx_eq;
pub mod custom;
pub mod driver;
pub mod elementary;
pub(crate) mod linalg;
pub mod loops;
pub mod methods;
pub mod observe;
pub mod real;
pub mod rules;
pub(crate) mod scalar;
pub(crate) mod text;
pub(crate) mod zero;
