//! # nilpotent: exact derivatives of generic `Float` code
//!
//! (crate documentation: see the end of the work on issue 2)

// `deny`, not `forbid`: simba's `SimdValue` trait has two `unsafe fn` methods that `Dual` must
// implement (`src/linalg.rs`, bodies are safe code); they alone carry `#[allow(unsafe_code)]`.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod approx_impls;
pub mod dual;
pub mod forward;
pub mod linalg;
pub mod rules;

pub use approx_impls::AllParts;
pub use dual::Dual;
pub use forward::{
    derivative, gradient, gradient_fixed, gradient_with, jacobian, jacobian_fixed, jacobian_with,
    jvp, Chunk, DEFAULT_CHUNK,
};
