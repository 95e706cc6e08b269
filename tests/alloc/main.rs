//! Allocation counts: one test binary, because it installs a counting global allocator
//! ([`counting`]). The counts are per thread, so the tests of the three modules run in parallel
//! without disturbing each other's counts.

mod counting;

mod graph;
mod reverse;
mod sparse;
