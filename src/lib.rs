//! # nilpotent: exact derivatives of generic `Float` code
//!
//! (crate documentation: see the end of the work on issue 2)

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod dual;
pub mod forward;
pub mod reverse;
pub mod rules;
mod scalar;

pub use dual::Dual;
pub use forward::{
    Chunk, DEFAULT_CHUNK, derivative, gradient, gradient_fixed, gradient_with, jacobian,
    jacobian_fixed, jacobian_with, jvp,
};
