//! What every mode shares: the rule table, the elementary functions added through its list (erf,
//! erfc, in every mode and backend), custom rules, loop combinators, zero tests, code
//! written generically as a user writes it, rule partials at special points, and the conventions
//! pinned in several modes at once.

mod conventions;
pub(crate) mod custom;
mod elementary;
mod generic_code;
mod loops;
mod rule_partials;
mod rules;
mod zero;
