//! Forward mode: the drivers (allocating and into the caller's buffers), higher-order and nested
//! dual numbers, the rule table at second and third order, nalgebra on dual numbers.

mod drivers;
mod higher;
mod into;
mod nalgebra;
mod nested_rules;
mod sin_cos;
