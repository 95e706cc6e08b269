//! Checkpointed reverse in graph mode: the gradient graph of 10⁶ RK4 steps of the Lorenz
//! system (the final x coordinate with respect to σ, ρ, β and the 3 initial values), recorded
//! with [`nilpotent::fold`] as one loop node, evaluated by the interpreter (and, with the
//! feature `jit`, by compiled code)
//!
//! - `stored`: `g.gradient()` — the reverse sweep reads every step's state (3·10⁶ values);
//! - `checkpoint K`: `g.with_checkpoints(K).gradient()` — one state per segment of ⌈n/K⌉ steps,
//!   a segment's states recomputed from its checkpoint when it is reversed;
//! - `f64`: the plain integration (the time to compare with).
//!
//! Each variant runs in its own process (the peak memory is the process's `VmHWM`, Linux); with
//! no argument the example runs them all as child processes and prints a table:
//!
//! ```text
//! cargo run --release -p nilpotent-dev --example lorenz_checkpoint [STEPS]
//! cargo run --release -p nilpotent-dev --example lorenz_checkpoint -- checkpoint 1000 [STEPS]
//! cargo run --release -p nilpotent-dev --features jit --example lorenz_checkpoint   # also the JIT's times
//! ```

use std::time::Instant;

use nilpotent::graph::Graph;
mod lorenz_system;
use lorenz_system::{peak_kb, with_fold};

const H: f64 = 1e-5; // 10⁶ steps: t from 0 to 10
/// Each time is the least of this many runs (the machine is shared).
const REPEATS: usize = 3;
const X: [f64; 6] = [10.0, 28.0, 8.0 / 3.0, 1.0, 1.0, 1.0];

/// An evaluation of the gradient graph at a point.
type Eval<'a> = Box<dyn Fn(&[f64]) -> Vec<f64> + 'a>;

/// The gradient graph's evaluation: the interpreter, or with `jit` the code Cranelift compiles
/// (feature `jit`).
fn evaluator(d: &Graph, jit: bool) -> Eval<'_> {
    if !jit {
        return Box::new(|x| d.eval(x).expect("the gradient evaluates"));
    }
    #[cfg(feature = "jit")]
    {
        let t = Instant::now();
        let c = d.compile().expect("the gradient compiles");
        eprintln!("  (compiled in {:.3} s)", t.elapsed().as_secs_f64());
        Box::new(move |x| c.eval(x).expect("the gradient evaluates"))
    }
    #[cfg(not(feature = "jit"))]
    panic!("the -jit variants need --features jit")
}

/// One variant in this process: prints `variant time_s peak_kb held gradient…` (the time of
/// the evaluation, not of recording and differentiating).
fn run(variant: &str, k: usize, steps: usize) {
    let t = Instant::now();
    let (secs, held, out) = if variant == "f64" {
        let mut best = f64::INFINITY;
        let mut v = 0.0;
        for _ in 0..REPEATS {
            let t = Instant::now();
            v = with_fold(std::hint::black_box(&X), steps, H);
            best = best.min(t.elapsed().as_secs_f64());
        }
        (best, 0, vec![v])
    } else {
        let g = Graph::record(&X, |v| with_fold(v, steps, H));
        let d = match variant {
            "stored" | "stored-jit" => g.gradient(),
            "checkpoint" | "checkpoint-jit" => g.with_checkpoints(k).gradient(),
            other => panic!("unknown variant {other}: stored, checkpoint K or f64"),
        };
        let build = t.elapsed().as_secs_f64();
        let eval = evaluator(&d, variant.ends_with("-jit"));
        let mut secs = f64::INFINITY;
        let mut out = Vec::new();
        for _ in 0..REPEATS {
            let t = Instant::now();
            out = eval(&X);
            secs = secs.min(t.elapsed().as_secs_f64());
        }
        eprintln!("  ({variant}: graph built in {build:.3} s)");
        (secs, d.stored_loop_values(), out)
    };
    let g: Vec<String> = out.iter().map(|g| format!("{g:.17e}")).collect();
    println!(
        "{variant} {secs} {} {held} {}",
        peak_kb().unwrap_or(0),
        g.join(" ")
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("stored" | "stored-jit" | "f64") => {
            let steps = args.get(1).map_or(1_000_000, |s| s.parse().expect("STEPS"));
            run(&args[0], 0, steps);
            return;
        }
        Some(v @ ("checkpoint" | "checkpoint-jit")) => {
            let k = args.get(1).map_or(1000, |s| s.parse().expect("K"));
            let steps = args.get(2).map_or(1_000_000, |s| s.parse().expect("STEPS"));
            run(v, k, steps);
            return;
        }
        _ => {}
    }
    let steps: usize = args
        .first()
        .map_or(1_000_000, |s| s.parse().expect("STEPS"));
    let exe = std::env::current_exe().expect("this example's path");
    let child = |a: &[String]| -> Vec<String> {
        let o = std::process::Command::new(&exe)
            .args(a)
            .output()
            .expect("run a variant");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout)
            .unwrap()
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    let s = steps.to_string();
    let base = child(&["f64".into(), s.clone()]);
    let f64_time: f64 = base[1].parse().unwrap();
    println!(
        "{steps} RK4 steps of Lorenz, gradient graph of x(T) w.r.t. (σ, ρ, β, x₀, y₀, z₀), interpreter"
    );
    println!("f64 integration: {:.3} s, peak {} kB", f64_time, base[2]);
    println!(
        "variant                  time(s)  ×f64   peak(kB)  loop values held  steps run/step     vs stored"
    );
    let stored = child(&["stored".into(), s.clone()]);
    let mut rows = vec![("stored".to_string(), stored.clone(), 2.0)];
    let sq = (steps as f64).sqrt().ceil() as usize;
    for k in [10, 100, sq, 10_000] {
        // forward sweep (n steps) + each segment's states recomputed (n steps again; the
        // stored reverse runs the n steps once); the reverse sweep's n step VJPs in both
        let r = child(&["checkpoint".into(), k.to_string(), s.clone()]);
        rows.push((format!("checkpoint k={k}"), r, 3.0));
    }
    if cfg!(feature = "jit") {
        let r = child(&["stored-jit".into(), s.clone()]);
        rows.push(("stored, JIT".to_string(), r, 2.0));
        let r = child(&["checkpoint-jit".into(), sq.to_string(), s.clone()]);
        rows.push((format!("checkpoint k={sq}, JIT"), r, 3.0));
    }
    for (name, r, fwd) in &rows {
        let t: f64 = r[1].parse().unwrap();
        let g: Vec<f64> = r[4..].iter().map(|x| x.parse().unwrap()).collect();
        let gs: Vec<f64> = stored[4..].iter().map(|x| x.parse().unwrap()).collect();
        // [x(T), ∂/∂σ, ∂/∂ρ, ∂/∂β, ∂/∂x₀, ∂/∂y₀, ∂/∂z₀]
        let state_same = [0, 4, 5, 6]
            .iter()
            .all(|&i| g[i].to_bits() == gs[i].to_bits());
        let param_diff = (1..4)
            .map(|i| ((g[i] - gs[i]) / gs[i]).abs())
            .fold(0.0, f64::max);
        println!(
            "{name:<24} {t:>7.3} {:>6.2} {:>10} {:>17}  {:<18} x(T), ∂/∂(x₀,y₀,z₀) {}; ∂/∂(σ,ρ,β) rel. diff {param_diff:.1e}",
            t / f64_time,
            r[2],
            r[3],
            if *fwd > 2.0 { "2 (fwd+recompute)" } else { "1" },
            if state_same {
                "= stored bit for bit"
            } else {
                "≠ stored"
            }
        );
    }
    println!("gradient: {}", stored[4..].join(" "));
}
