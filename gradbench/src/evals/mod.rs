//! The evals: each objective written once, generic over nilpotent's number types, and its
//! derivative by the mode that serves that eval best.

pub mod ba;
pub mod det;
pub mod gmm;
pub mod graphs;
pub mod hello;
pub mod ht;
pub mod kmeans;
pub mod llsq;
pub mod lse;
pub mod lstm;
pub mod nested;
pub mod ode;
pub mod particle;
pub mod saddle;

use serde_json::Value;

use crate::Timed;

/// The modules this tool defines.
pub const MODULES: &[&str] = &[
    "hello", "lse", "llsq", "det", "ode", "kmeans", "gmm", "particle", "saddle", "ba", "lstm", "ht",
];

/// Runs `module.function` on `input`.
pub fn evaluate(module: &str, function: &str, input: &Value) -> Result<Timed, String> {
    let r = match module {
        "hello" => hello::evaluate(function, input),
        "lse" => lse::evaluate(function, input),
        "llsq" => llsq::evaluate(function, input),
        "det" => det::evaluate(function, input),
        "ode" => ode::evaluate(function, input),
        "kmeans" => kmeans::evaluate(function, input),
        "gmm" => gmm::evaluate(function, input),
        "ba" => ba::evaluate(function, input),
        "lstm" => lstm::evaluate(function, input),
        "ht" => ht::evaluate(function, input),
        "particle" => particle::evaluate(function, input),
        "saddle" => saddle::evaluate(function, input),
        _ => return Err(format!("no module named {module:?}")),
    };
    r.map_err(|e| format!("{module}.{function}: {e}"))
}

/// The error for a function name a module does not have.
pub fn no_function(function: &str, has: &[&str]) -> String {
    format!(
        "no function named {function:?} (the module has {})",
        has.join(", ")
    )
}

/// True if the processor has AVX2 and FMA. `ba` and `saddle` then run a copy of their code
/// compiled for those features (the same source, inlined into a function with
/// `#[target_feature(enable = "avx2,fma")]`), as `manual` and `finite` are compiled with
/// `-march=native`. Calling that copy is sound only after this test, which is why each call is
/// `unsafe` and made right after it. Rust does not contract `a·b + c` into a fused multiply-add
/// unless asked (`mul_add`), so the copy's results are the baseline's bit for bit (each eval tests
/// it). The measured reason for each is at its call.
#[cfg(target_arch = "x86_64")]
pub fn avx2_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}
