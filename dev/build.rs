//! Sets `cfg(nilpotent_bench_peers)` for this package's targets: the parts of
//! benches/common/mod.rs that use criterion and num-dual (dependencies of this package only).
fn main() {
    println!("cargo::rustc-check-cfg=cfg(nilpotent_bench_peers)");
    println!("cargo::rustc-cfg=nilpotent_bench_peers");
}
