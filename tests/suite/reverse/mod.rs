//! Reverse mode: the tape and its drivers, reused tapes, the conventions and the rule table on
//! `Var`, nalgebra on `Var`.

mod conventions;
mod nalgebra;
mod nesting;
mod reuse;
mod rules;
mod tape;
