//! Loops as loops in graph mode: graph sizes and interpreter times of the targets.
//!
//! `cargo run --release -p nilpotent-dev --example loops_graph`

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

fn main() {
    let d = 100;
    println!("logistic regression, d = {d}, sum_map with the data as parameters");
    for m in [500, 5000, 50000] {
        let mut rows = Vec::with_capacity(m * (d + 1));
        let mut s = 1u64;
        for k in 0..m {
            for _ in 0..d {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                rows.push((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
            }
            rows.push((k % 2) as f64);
        }
        let w: Vec<f64> = (0..d).map(|j| 0.01 * j as f64 - 0.5).collect();
        let t = Instant::now();
        let g = Graph::record_with(&w, &rows, logistic);
        let t_record = t.elapsed().as_secs_f64();
        eprintln!("recorded m = {m} in {t_record} s");
        let t = Instant::now();
        let grad = g.gradient();
        let t_grad = t.elapsed().as_secs_f64();
        eprintln!("gradient graph in {t_grad} s");
        let reps = (200_000 / m).max(1);
        let t_f64 = time(reps, || {
            black_box(logistic(black_box(&w[..]), black_box(&rows[..])));
        });
        let mut e = grad.program().evaluator::<f64>();
        let mut out = vec![0.0; grad.num_outputs()];
        let t_int = time(reps, || {
            e.eval_with_into(black_box(&w), black_box(&rows), &mut out)
                .unwrap();
        });
        if m == 500 {
            // the same gradient unrolled (the graph a plain for loop records)
            let u = g.unrolled().gradient();
            let mut e = u.program().evaluator::<f64>();
            let t_u = time(reps, || {
                e.eval_with_into(black_box(&w), black_box(&rows), &mut out)
                    .unwrap();
            });
            println!(
                "  m = {m:>5}, unrolled: gradient graph {} operations; interpreter {:.3} ms = \
                 {:.2}× the f64 loss",
                u.len(),
                1e3 * t_u,
                t_u / t_f64
            );
        }
        println!(
            "  m = {m:>5}: function {} operations; gradient graph {} operations, {} nodes \
             besides the {} inputs and parameters; record {:.2} ms, gradient graph {:.2} ms; \
             interpreter gradient {:.3} ms = {:.2}× the f64 loss ({:.3} ms)",
            g.len(),
            grad.len(),
            grad.num_nodes() - grad.num_inputs() - grad.num_params(),
            grad.num_inputs() + grad.num_params(),
            1e3 * t_record,
            1e3 * t_grad,
            1e3 * t_int,
            t_int / t_f64,
            1e3 * t_f64
        );
    }

    let k = 10_000;
    let g = Graph::record(&[3.7, 0.2], |p| logistic_map(p[0], p[1], k));
    let grad = g.gradient();
    let t_f64 = time(200, || {
        black_box(logistic_map(black_box(3.7), black_box(0.2), k));
    });
    let mut e = grad.program().evaluator::<f64>();
    let mut out = vec![0.0; 3];
    let t_int = time(200, || {
        e.eval_into(black_box(&[3.7, 0.2]), &mut out).unwrap();
    });
    println!(
        "logistic map, k = {k} steps (fold): function graph {} nodes, gradient graph {} nodes; \
         interpreter gradient {:.1} µs = {:.2}× the f64 loop ({:.1} µs)",
        g.num_nodes(),
        grad.num_nodes(),
        1e6 * t_int,
        t_int / t_f64,
        1e6 * t_f64
    );

    for n in [1_000, 10_000, 100_000] {
        let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.001 * (i % 7) as f64).collect();
        let g = Graph::record(&x, rosenbrock);
        let grad = g.gradient();
        let reps = (1_000_000 / n).max(1);
        let t_f64 = time(reps, || {
            black_box(rosenbrock(black_box(&x[..])));
        });
        let mut e = grad.program().evaluator::<f64>();
        let mut out = vec![0.0; grad.num_outputs()];
        let t_int = time(reps, || {
            e.eval_into(black_box(&x), &mut out).unwrap();
        });
        println!(
            "rosenbrock over windows, n = {n}: function {} operations; gradient graph {} \
             operations ({} besides the n + 1 reads of the loops' results its outputs are); \
             interpreter gradient {:.2}× the f64 function",
            g.len(),
            grad.len(),
            grad.len() - grad.num_outputs(),
            t_int / t_f64
        );
    }
}
