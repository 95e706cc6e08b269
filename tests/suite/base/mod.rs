//! What every mode shares: the rule table, custom rules, loop combinators, zero tests, code
//! written generically as a user writes it, and the defects found so far.

pub(crate) mod custom;
mod generic_code;
mod loops;
mod regressions;
mod rules;
mod zero;
