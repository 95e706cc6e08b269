//! Allocation counts: one test binary, because it installs a counting global allocator
//! ([`counting`]). The counts are per thread, so the tests of the modules run in parallel
//! without disturbing each other's counts.

// the suite's shared test material (its random numbers; it allows dead code itself)
#[path = "../suite/common/mod.rs"]
mod common;
mod counting;

mod forward;
mod graph;
mod reverse;
mod sparse;
