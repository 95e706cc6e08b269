//! Loops as loops in compiled code (issue "Loops as loops"): the JIT and emitted Rust run a loop
//! node as a loop. Prints, for the logistic-regression gradient over `sum_map` with the data as
//! parameters (d = 100, m = 500), the gradient of the logistic map over k = 10⁴ steps (a `fold`, at r = 3 and 3.7, against a plain `for` loop)
//! and the Rosenbrock function and gradient over windows (n = 10⁶, or `ROSENBROCK_N`): the f64
//! function's time, the interpreter's and the JIT's (and their ratios), the JIT's compile time,
//! code size and how many of its loops are written as loops in the code; writes the emitted Rust
//! of the logistic gradient to the file given as the first argument (for timing its build).
//!
//! `cargo run --release -p nilpotent-dev --features jit --example loops_compiled [FILE]`

use std::hint::black_box;
use std::time::Instant;

use nilpotent::graph::Graph;
use nilpotent::{Real, fold, sum_map, sum_windows};

/// Logistic loss over rows [x (d), y], y in {0, 1}.
fn logistic<T: Real>(w: &[T], rows: &[T]) -> T {
    let d = w.len();
    sum_map(rows, d + 1, |r| {
        let z = (0..d).fold(T::zero(), |s, j| s + w[j] * r[j]);
        let y = r[d];
        y * (T::one() + (-z).exp()).ln() + (-y + 1.0) * (T::one() + z.exp()).ln()
    })
}

/// The logistic map `s ← a·s·(1 − s)` from `x0`, `k` steps (examples/loops_graph.rs).
fn logistic_map<T: Real>(a: T, x0: T, k: usize) -> T {
    fold(&[x0], k, |s| vec![a * s[0] * (-s[0] + 1.0)])[0]
}

fn rosenbrock<T: Real>(x: &[T]) -> T {
    sum_windows(x, 2, 1, |w| {
        (w[1] - w[0] * w[0]).powi(2) * 100.0 + (-w[0] + 1.0).powi(2)
    })
}

/// Seconds per call of `f`, the best of 5 runs of `reps` calls.
fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_secs_f64() / reps as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn report(name: &str, g: &Graph, x: &[f64], p: &[f64], f64_s: f64, reps: usize) {
    let mut eval = g.program().evaluator::<f64>();
    let mut out = vec![0.0; g.num_outputs()];
    let interp = time(reps, || {
        eval.eval_with_into(black_box(x), black_box(p), &mut out)
            .unwrap()
    });
    println!(
        "{name}: {} nodes; f64 {:.1} µs; interpreter {:.1} µs ({:.2}× f64)",
        g.num_nodes(),
        f64_s * 1e6,
        interp * 1e6,
        interp / f64_s
    );
    #[cfg(feature = "jit")]
    {
        // the best of 3 compilations
        let mut compile = f64::INFINITY;
        for _ in 0..3 {
            let t = Instant::now();
            black_box(g.compile().unwrap());
            compile = compile.min(t.elapsed().as_secs_f64());
        }
        let c = g.compile().unwrap();
        let want = g.eval_with(x, p).unwrap();
        let got = c.eval_with(x, p).unwrap();
        // (a NaN's payload is not specified: two NaNs are the same result)
        let same = want
            .iter()
            .zip(&got)
            .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
        let jit = time(reps, || {
            c.eval_with_into(black_box(x), black_box(p), &mut out)
                .unwrap()
        });
        let (in_code, called) = c.loops_in_code();
        println!(
            "  JIT: compile {:.2} ms, code {} B, {:.1} µs ({:.2}× f64), bit for bit: {same}; \
             loops in the code {in_code}, called per iteration {called}",
            compile * 1e3,
            c.code_size(),
            jit * 1e6,
            jit / f64_s
        );
    }
}

fn main() {
    let (m, d) = (500, 100);
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let mut rows = Vec::with_capacity(m * (d + 1));
    for k in 0..m {
        rows.extend((0..d).map(|_| next()));
        rows.push((k % 3 == 0) as u8 as f64);
    }
    let w: Vec<f64> = (0..d).map(|j| 0.01 * ((j % 5) as f64 - 2.0)).collect();
    let g = Graph::record_with(&w, &rows, logistic).gradient();
    let f64_s = time(200, || {
        black_box(logistic(black_box(&w[..]), black_box(&rows[..])));
    });
    report(
        "logistic gradient (sum_map, d = 100, m = 500, data as parameters)",
        &g,
        &w,
        &rows,
        f64_s,
        200,
    );
    if let Some(file) = std::env::args().nth(1) {
        std::fs::write(&file, g.to_rust("logistic_gradient")).unwrap();
        println!("  emitted Rust written to {file}");
    }
    // r = 3: the map converges (slowly) to its fixed point and the derivatives stay finite;
    // r = 3.7: chaotic, the adjoint grows until it overflows, and the derivatives are ±∞ or NaN
    let k = 10_000;
    for r in [3.0, 3.7] {
        let g = Graph::record(&[r, 0.2], |p| logistic_map(p[0], p[1], k)).gradient();
        let fold_s = time(200, || {
            black_box(logistic_map(black_box(r), black_box(0.2), k));
        });
        // the same map as a plain `for` loop on f64 (no `fold`: no vector per step)
        let plain = time(200, || {
            let (a, mut s) = (black_box(r), black_box(0.2));
            for _ in 0..k {
                s = a * s * (-s + 1.0);
            }
            black_box(s);
        });
        println!(
            "logistic map, r = {r}: plain f64 for loop {:.1} µs; f64 `fold` {:.1} µs (a state \
             vector per step); derivatives {:?}",
            plain * 1e6,
            fold_s * 1e6,
            &g.eval(&[r, 0.2]).unwrap()[1..]
        );
        report(
            &format!(
                "logistic map gradient (fold, k = 10⁴ steps, r = {r}), against the plain loop"
            ),
            &g,
            &[r, 0.2],
            &[],
            plain,
            200,
        );
    }
    let n: usize = std::env::var("ROSENBROCK_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.1 * ((i * 7) % 11) as f64).collect();
    let f = Graph::record(&x, rosenbrock);
    let g = f.gradient();
    let f64_s = time(5, || {
        black_box(rosenbrock(black_box(&x[..])));
    });
    // the function's graph (one loop node): the floor the loop driver sets on the gradient's
    // time (the gradient runs two loops of n − 1 iterations and reads its n + 1 outputs)
    report(
        &format!("Rosenbrock function (sum_windows, n = {n})"),
        &f,
        &x,
        &[],
        f64_s,
        5,
    );
    report(
        &format!("Rosenbrock gradient (sum_windows, n = {n})"),
        &g,
        &x,
        &[],
        f64_s,
        5,
    );
}
