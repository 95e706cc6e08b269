//! Loops written with the combinators (issue "Loops as loops"), each against the plain `f64`
//! function of the same run (`f64_function`) and, where one is written, a hand-written derivative
//! (`by_hand`):
//!
//! - `loops_logistic_sum_map`: the gradient of a logistic-regression loss (d = 100 features and a
//!   bias, m = 500 and 5 000 rows, branch-free) written with `sum_map`, the data as constants
//!   (forward, tape) or graph parameters (interpreter; JIT with `--features jit`);
//! - `loops_rosenbrock_sum_windows`: the chained Rosenbrock gradient written with `sum_windows`,
//!   n = 10³ … 10⁶ (forward mode only at n = 10³: its cost grows as n²; graph mode up to 10⁵);
//! - `loops_logistic_map_fold`: 10⁴ steps of the logistic map as a `fold`, the derivative of the
//!   final value with respect to (r, x₀);
//! - `loops_lorenz_rk4_fold`: 10⁴ RK4 steps of the Lorenz system as a `fold`, the gradient of the
//!   final x with respect to the 3 parameters and 3 initial values; the tape's `fold` (memory
//!   independent of the steps) against the same steps as a `for` loop on the tape
//!   (`tape_for_loop`, every step kept).
//!
//! Graph mode records the loops' bodies once per iteration until graph mode records loop nodes;
//! its columns measure whatever the graph does with them.
//!
//! `cargo bench --bench loops`, then `python3 scripts/bench_table.py` for the ratios.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nilpotent::graph::Graph;
use nilpotent::reverse::{self, Tape, Var};
use nilpotent::{Real, fold, gradient, sum_map, sum_windows};

#[path = "../dev/examples/lorenz_system/mod.rs"]
mod lorenz_system;

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(10)
}

/// Deterministic numbers in [−1, 1].
fn numbers(n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed | 1;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect()
}

// ---- logistic regression with sum_map --------------------------------------------------------

const D: usize = 100;

/// Σ over rows (x₁ … x_d, y) of ln(1 + e^z) − y·z, z = w₀ + Σ wⱼxⱼ, plus λ‖w‖².
fn logistic<T: Real>(w: &[T], data: &[T]) -> T {
    let sum = sum_map(data, D + 1, |r| {
        let mut z = w[0];
        for (wj, xj) in w[1..].iter().zip(&r[..D]) {
            z += *wj * *xj;
        }
        (z.exp() + 1.0).ln() - r[D] * z
    });
    let mut reg = T::zero();
    for wj in w {
        reg += *wj * *wj;
    }
    sum + reg * 1e-3
}

fn logistic_by_hand(w: &[f64], data: &[f64], g: &mut [f64]) -> f64 {
    let mut sum = 0.0;
    g.iter_mut().zip(w).for_each(|(gj, wj)| *gj = 2e-3 * wj);
    for r in data.chunks_exact(D + 1) {
        let mut z = w[0];
        for (wj, xj) in w[1..].iter().zip(&r[..D]) {
            z += wj * xj;
        }
        sum += (z.exp() + 1.0).ln() - r[D] * z;
        let s = 1.0 / (1.0 + (-z).exp()) - r[D];
        g[0] += s;
        for (gj, xj) in g[1..].iter_mut().zip(&r[..D]) {
            *gj += s * xj;
        }
    }
    sum + 1e-3 * w.iter().map(|v| v * v).sum::<f64>()
}

fn logistic_sum_map(c: &mut Criterion) {
    let mut group = c.benchmark_group("loops_logistic_sum_map");
    let w: Vec<f64> = (0..=D).map(|j| 0.01 * ((j % 5) as f64 - 2.0)).collect();
    let mut g = vec![0.0; w.len()];
    for m in [500usize, 5000] {
        let mut data = numbers(m * (D + 1), 0x2545_f491);
        for r in data.chunks_exact_mut(D + 1) {
            r[D] = if r[D] > 0.0 { 1.0 } else { 0.0 };
        }
        group.bench_with_input(BenchmarkId::new("f64_function", m), &data, |b, data| {
            b.iter(|| logistic(black_box(&w), data))
        });
        group.bench_with_input(BenchmarkId::new("by_hand", m), &data, |b, data| {
            b.iter(|| logistic_by_hand(black_box(&w), data, &mut g))
        });
        let dual: Vec<_> = data.iter().map(|&v| nilpotent::Dual::constant(v)).collect();
        group.bench_with_input(BenchmarkId::new("forward_chunk8", m), &dual, |b, dual| {
            b.iter(|| gradient(|v| logistic(v, dual), black_box(&w)))
        });
        let cst: Vec<Var<f64>> = data.iter().map(|&v| Var::constant(v)).collect();
        let mut tape = Tape::new();
        group.bench_with_input(BenchmarkId::new("tape", m), &cst, |b, cst| {
            b.iter(|| tape.gradient_into(|v| logistic(v, cst), black_box(&w), &mut g))
        });
        let grad = Graph::record_with(&w, &data, logistic).gradient();
        let mut eval = grad.program().evaluator::<f64>();
        let mut out = vec![0.0; w.len() + 1];
        group.bench_with_input(
            BenchmarkId::new("graph_interpreter", m),
            &data,
            |b, data| b.iter(|| eval.eval_with_into(black_box(&w), data, &mut out)),
        );
        #[cfg(feature = "jit")]
        if m == 500 || grad.len() < 100_000 {
            let jit = grad.compile().unwrap();
            group.bench_with_input(BenchmarkId::new("graph_jit", m), &data, |b, data| {
                b.iter(|| jit.eval_with_into(black_box(&w), data, &mut out))
            });
        }
    }
    group.finish();
}

// ---- Rosenbrock with sum_windows -------------------------------------------------------------

fn rosenbrock<T: Real>(x: &[T]) -> T {
    sum_windows(x, 2, 1, |w| {
        let (a, b) = (w[1] - w[0] * w[0], -w[0] + 1.0);
        a * a * 100.0 + b * b
    })
}

fn rosenbrock_by_hand(x: &[f64], g: &mut [f64]) -> f64 {
    let mut f = 0.0;
    g.iter_mut().for_each(|v| *v = 0.0);
    for k in 0..x.len() - 1 {
        let (a, b) = (x[k + 1] - x[k] * x[k], 1.0 - x[k]);
        f += a * a * 100.0 + b * b;
        g[k] += -400.0 * a * x[k] - 2.0 * b;
        g[k + 1] += 200.0 * a;
    }
    f
}

fn rosenbrock_sum_windows(c: &mut Criterion) {
    let mut group = c.benchmark_group("loops_rosenbrock_sum_windows");
    for n in [1_000usize, 10_000, 100_000, 1_000_000] {
        let x: Vec<f64> = numbers(n, 7).iter().map(|v| 0.5 + 0.4 * v).collect();
        let mut g = vec![0.0; n];
        group.bench_with_input(BenchmarkId::new("f64_function", n), &x, |b, x| {
            b.iter(|| rosenbrock(black_box(x)))
        });
        group.bench_with_input(BenchmarkId::new("by_hand", n), &x, |b, x| {
            b.iter(|| rosenbrock_by_hand(black_box(x), &mut g))
        });
        if n == 1_000 {
            group.bench_with_input(BenchmarkId::new("forward_chunk8", n), &x, |b, x| {
                b.iter(|| gradient(rosenbrock, black_box(x)))
            });
        }
        let mut tape = Tape::new();
        group.bench_with_input(BenchmarkId::new("tape", n), &x, |b, x| {
            b.iter(|| tape.gradient_into(rosenbrock, black_box(x), &mut g))
        });
        if n <= 100_000 {
            let grad = Graph::record(&x, rosenbrock).gradient();
            let mut eval = grad.program().evaluator::<f64>();
            let mut out = vec![0.0; n + 1];
            group.bench_with_input(BenchmarkId::new("graph_interpreter", n), &x, |b, x| {
                b.iter(|| eval.eval_into(black_box(x), &mut out))
            });
        }
    }
    group.finish();
}

// ---- the logistic map as a fold --------------------------------------------------------------

const K: usize = 10_000;

/// x ← r·x·(1 − x), K steps; p = (r, x₀).
fn logistic_map<T: Real>(p: &[T]) -> T {
    fold(&[p[1]], K, |x| vec![p[0] * x[0] * (-x[0] + 1.0)])[0]
}

/// The same with ∂/∂r and ∂/∂x₀ carried by hand.
fn logistic_map_by_hand(p: &[f64]) -> (f64, [f64; 2]) {
    let (r, mut x) = (p[0], p[1]);
    let (mut dr, mut dx0) = (0.0, 1.0);
    for _ in 0..K {
        let d = r * (1.0 - 2.0 * x);
        dr = x * (1.0 - x) + d * dr;
        dx0 *= d;
        x = r * x * (1.0 - x);
    }
    (x, [dr, dx0])
}

fn logistic_map_fold(c: &mut Criterion) {
    let mut group = c.benchmark_group("loops_logistic_map_fold");
    let p = [3.2, 0.3];
    group.bench_function("f64_function", |b| b.iter(|| logistic_map(black_box(&p))));
    group.bench_function("by_hand", |b| {
        b.iter(|| logistic_map_by_hand(black_box(&p)))
    });
    group.bench_function("forward_chunk8", |b| {
        b.iter(|| gradient(logistic_map, black_box(&p)))
    });
    group.bench_function("tape_fold", |b| {
        b.iter(|| reverse::gradient(logistic_map, black_box(&p)))
    });
    group.bench_function("tape_for_loop", |b| {
        b.iter(|| {
            reverse::gradient(
                |p| {
                    let mut x = p[1];
                    for _ in 0..K {
                        x = p[0] * x * (-x + 1.0);
                    }
                    x
                },
                black_box(&p),
            )
        })
    });
    let grad = Graph::record(&p, logistic_map).gradient();
    let mut eval = grad.program().evaluator::<f64>();
    let mut out = [0.0; 3];
    group.bench_function("graph_interpreter", |b| {
        b.iter(|| eval.eval_into(black_box(&p), &mut out))
    });
    group.finish();
}

// ---- Lorenz RK4 as a fold --------------------------------------------------------------------

const LORENZ_STEPS: usize = 10_000;

/// x(T) after LORENZ_STEPS steps of h = 10⁻³; x = (σ, ρ, β, x₀, y₀, z₀).
fn lorenz<T: Real>(x: &[T]) -> T {
    lorenz_system::with_fold(x, LORENZ_STEPS, 1e-3)
}

fn lorenz_for_loop<T: Real>(x: &[T]) -> T {
    let mut s = x[3..6].to_vec();
    for _ in 0..LORENZ_STEPS {
        s = lorenz_system::rk4(&s, &x[..3], 1e-3);
    }
    s[0]
}

fn lorenz_rk4_fold(c: &mut Criterion) {
    let mut group = c.benchmark_group("loops_lorenz_rk4_fold");
    let x = [10.0, 28.0, 8.0 / 3.0, 1.0, 1.0, 1.0];
    group.bench_function("f64_function", |b| b.iter(|| lorenz(black_box(&x))));
    group.bench_function("forward_chunk8", |b| {
        b.iter(|| gradient(lorenz, black_box(&x)))
    });
    group.bench_function("tape_fold", |b| {
        b.iter(|| reverse::gradient(lorenz, black_box(&x)))
    });
    group.bench_function("tape_for_loop", |b| {
        b.iter(|| reverse::gradient(lorenz_for_loop, black_box(&x)))
    });
    group.finish();
}

criterion_group! { name = benches; config = config(); targets = logistic_sum_map, rosenbrock_sum_windows, logistic_map_fold, lorenz_rk4_fold }
criterion_main!(benches);
