//! Emitted Rust (`nilpotent::graph::Graph::to_rust`) compiled in an edition-2018 crate: the
//! functions that tests/suite/graph/emit.rs and tests/suite/base/custom.rs emit and run, `include!`d as
//! a build script's output would be. Only compiled (`cargo check`): those tests run the same code
//! against the interpreter.

/// The Rust that tests/suite/graph/emit.rs emitted: every rule, guards, large graphs.
pub mod emitted {
    include!("../../generated/emitted.rs");
}

/// The Rust that tests/suite/graph/emit.rs emitted for graphs with parameters
/// (`fn name(x, p, out)`).
pub mod emitted_params {
    include!("../../generated/emitted_params.rs");
}

/// The Rust that tests/suite/base/custom.rs emitted: calls of custom rules' Rust paths.
pub mod custom_emitted {
    include!("../../generated/custom_emitted.rs");
}

// The functions the custom rules' Rust paths name (`crate::erf` ...), with their signatures.

/// erf (not needed to compile the callers: never called here).
pub fn erf(x: f64) -> f64 {
    let _ = x;
    unimplemented!("compiled, not run")
}

/// erf′(x) = 2/√π · e^(−x²).
pub fn erf_d1(x: f64) -> f64 {
    ::std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp()
}

/// log Σ exp(xᵢ).
pub fn lse(x: &[f64]) -> f64 {
    x.iter().map(|&v| v.exp()).sum::<f64>().ln()
}

/// softmax(x).
pub fn softmax(x: &[f64], g: &mut [f64]) {
    let s: f64 = x.iter().map(|&v| v.exp()).sum();
    for (gi, &v) in g.iter_mut().zip(x) {
        *gi = v.exp() / s;
    }
}
