//! The Lorenz system shared by `dev/examples/lorenz_memory.rs`,
//! `dev/examples/lorenz_checkpoint.rs` and `benches/loops.rs`: one RK4 step, the final x
//! coordinate after a `fold` of steps, and the process's peak memory.

use nilpotent::{Real, fold};

/// One RK4 step of the Lorenz system with parameters q = (σ, ρ, β).
pub fn rk4<T: Real>(s: &[T], q: &[T], h: f64) -> Vec<T> {
    let f = |s: [T; 3]| {
        [
            q[0] * (s[1] - s[0]),
            s[0] * (q[1] - s[2]) - s[1],
            s[0] * s[1] - q[2] * s[2],
        ]
    };
    let s0 = [s[0], s[1], s[2]];
    let k1 = f(s0);
    let k2 = f(core::array::from_fn(|i| s0[i] + k1[i] * (h / 2.0)));
    let k3 = f(core::array::from_fn(|i| s0[i] + k2[i] * (h / 2.0)));
    let k4 = f(core::array::from_fn(|i| s0[i] + k3[i] * h));
    (0..3)
        .map(|i| s0[i] + (k1[i] + (k2[i] + k3[i]) * 2.0 + k4[i]) * (h / 6.0))
        .collect()
}

/// The final x coordinate after `steps` steps from `x = (σ, ρ, β, x₀, y₀, z₀)`, with `fold`.
pub fn with_fold<T: Real>(x: &[T], steps: usize, h: f64) -> T {
    fold(&x[3..6], steps, |s| rk4(s, &x[..3], h))[0]
}

/// The process's peak resident memory in kB (`VmHWM`), if the system reports it.
#[allow(dead_code)] // not used by the benches
pub fn peak_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
