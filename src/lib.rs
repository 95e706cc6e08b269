//! # nilpotent: exact derivatives of generic `Float` code
//!
//! (crate documentation: see the end of the work on issue 2)

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod dual;
pub mod forward;
pub mod higher;
pub mod rules;

pub use dual::Dual;
pub use forward::{
    derivative, gradient, gradient_fixed, gradient_with, jacobian, jacobian_fixed, jacobian_with,
    jvp, Chunk, DEFAULT_CHUNK,
};
pub use higher::{
    DEFAULT_HESSIAN_CHUNK, fourth_derivative, hessian, hessian_with, hvp, hvp_with,
    second_derivative, third_derivative,
};
