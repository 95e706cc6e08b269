//! Peak memory and time of the gradient of a long integration on the tape: 10⁶ RK4 steps of the
//! Lorenz system, the final x coordinate differentiated with respect to the 3 parameters
//! (σ, ρ, β) and the 3 initial values, written
//!
//! - `fold`: with [`nilpotent::fold`] — the tape records one step at a time and keeps only the
//!   state's Jacobian (memory independent of the number of steps);
//! - `full`: as a plain `for` loop — the tape keeps every step's nodes;
//! - `f64`: the plain integration, no derivative (the time to compare with).
//!
//! The peak memory is the process's (`VmHWM` of `/proc/self/status`, Linux), so each variant runs
//! in its own process:
//!
//! ```text
//! cargo run --release -p nilpotent-dev --example lorenz_memory -- fold [STEPS]
//! cargo run --release -p nilpotent-dev --example lorenz_memory -- full [STEPS]
//! cargo run --release -p nilpotent-dev --example lorenz_memory -- f64  [STEPS]
//! ```

use std::time::Instant;

use nilpotent::{Real, reverse};

mod lorenz_system;
use lorenz_system::{peak_kb, rk4, with_fold};

/// The same as a plain loop.
fn with_for<T: Real>(x: &[T], steps: usize, h: f64) -> T {
    let mut s = x[3..6].to_vec();
    for _ in 0..steps {
        s = rk4(&s, &x[..3], h);
    }
    s[0]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let variant = args.next().unwrap_or_else(|| "fold".to_string());
    let steps: usize = args
        .next()
        .map(|s| s.parse().expect("STEPS: a number"))
        .unwrap_or(1_000_000);
    let h = 1e-5; // 10⁶ steps: t from 0 to 10
    let x = [10.0, 28.0, 8.0 / 3.0, 1.0, 1.0, 1.0];
    let before = peak_kb();
    let t = Instant::now();
    let (value, grad) = match variant.as_str() {
        "fold" => reverse::gradient(|v| with_fold(v, steps, h), &x),
        "full" => reverse::gradient(|v| with_for(v, steps, h), &x),
        "f64" => (with_for(&x, steps, h), vec![]),
        other => panic!("unknown variant {other}: fold, full or f64"),
    };
    let time = t.elapsed();
    println!("{variant}: {steps} RK4 steps of Lorenz in {time:.3?}");
    println!("  x(T) = {value:.12e}");
    if !grad.is_empty() {
        let g: Vec<String> = grad.iter().map(|g| format!("{g:.6e}")).collect();
        println!("  ∂x(T)/∂(σ, ρ, β, x₀, y₀, z₀) = [{}]", g.join(", "));
    }
    if let (Some(b), Some(p)) = (before, peak_kb()) {
        println!("  peak resident memory: {p} kB ({b} kB before the computation)");
    }
}
