//! The integration tests of nilpotent, one test binary whose modules mirror the crate's layers:
//!
//! * [`base`]: what every mode shares — the rule table walked through forward mode, the tape and
//!   the graph interpreter by one driver (`base::rules`), custom rules, loop combinators, zero
//!   tests, generic user code, rule partials at special points, conventions pinned in several
//!   modes;
//! * [`forward`]: dual numbers and the forward drivers, nested (higher-order) forward mode,
//!   nalgebra on dual numbers;
//! * [`reverse`]: the tape, its drivers and reuse, its conventions and rules, nalgebra on `Var`;
//! * [`graph`]: graph mode — recording, derivative graphs, the interpreter, emitted Rust, the JIT
//!   (feature `jit`), loops, parameters, checkpointing, what splits the backends;
//! * [`sparse`]: sparsity patterns, colourings and sparse plans;
//! * [`optim`]: the optimiser adapters (features `argmin`, `levenberg-marquardt`);
//! * [`fuzz`]: random expression graphs differentiated in every mode;
//! * [`examples`]: the examples' numbers (the tour, the training loop).
//!
//! [`common`] holds what several of them use: the seeded generator, finite differences, closeness
//! checks, the rules' input domains and the shared test functions.
//!
//! Only the tests that need a process of their own are other binaries: `tests/alloc` (a counting
//! global allocator) and `tests/panic_hook` (the process-wide panic hook).
//!
//! Select a layer or module by name, e.g. `cargo test --test suite -- graph::jit sparse`.

mod common;

pub(crate) mod base;
mod examples;
mod forward;
mod fuzz;
mod graph;
mod optim;
mod reverse;
mod sparse;

/// The custom rules' `f64` functions, which the emitted functions of
/// `tests/generated/custom_emitted.rs` call by their paths at the crate's root (`crate::erf`, …).
use base::custom::{erf, erf_d1, lse, softmax};
