//! Emits the gradients of the two functions of `src/model.rs` as Rust source into `OUT_DIR`:
//! `Graph::to_rust` at build time, so the program runs them as compiled code.

use std::path::Path;

use nilpotent::graph::Graph;

include!("src/model.rs");

fn main() {
    println!("cargo::rerun-if-changed=src/model.rs");
    let out = std::env::var("OUT_DIR").unwrap();
    let lecture_gradient = Graph::record(&[2.0, 5.0], lecture).gradient();
    std::fs::write(
        Path::new(&out).join("lecture_gradient.rs"),
        lecture_gradient.to_rust("lecture_gradient"),
    )
    .unwrap();
    let rosenbrock_gradient = Graph::record(&rosenbrock_point(), rosenbrock).gradient();
    std::fs::write(
        Path::new(&out).join("rosenbrock_gradient.rs"),
        rosenbrock_gradient.to_rust("rosenbrock_gradient"),
    )
    .unwrap();
}
