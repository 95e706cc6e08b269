//! Data as constants against data as parameters: the logistic-regression gradient of the
//! benchmarks (d = 100 features, m = 500 samples), recorded once with the data captured by the
//! closure (every datum becomes a constant node) and once with the data as parameters
//! (`Graph::record_with`). Prints the node, constant and guard counts of both gradient graphs,
//! the interpreter's time per evaluation (and, with `--features jit`, the JIT's code size and
//! time), each against the `f64` loss in the same run.
//!
//! Run with `cargo run --release -p nilpotent-dev --example data_as_parameters [--features jit]`.

#[path = "../../benches/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Instant;

use nilpotent::graph::Graph;
use num_traits::Float;

/// `common::Data::loss` with the data read from the parameters `p` (the m × d features row by
/// row, then the m labels): the same operations in the same order. The branch on the label is a
/// guard on a parameter.
fn loss_params<T: Float>(w: &[T], p: &[T], m: usize, d: usize) -> T {
    let (features, labels) = p.split_at(m * d);
    let lambda = T::from(1e-3).unwrap();
    let mut loss = T::zero();
    for (row, &y) in features.chunks_exact(d).zip(labels) {
        let mut z = w[0];
        for (wj, &xj) in w[1..].iter().zip(row) {
            z = z + *wj * xj;
        }
        let p = T::one() / (T::one() + (-z).exp());
        loss = loss
            - if y > T::from(0.5).unwrap() {
                p.ln()
            } else {
                (T::one() - p).ln()
            };
    }
    let mut reg = T::zero();
    for &wj in w {
        reg = reg + wj * wj;
    }
    loss + lambda * reg
}

/// The median of `reps` timings of `f`, in µs.
fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[reps / 2]
}

fn main() {
    let (m, d) = (500, 100);
    let data = common::Data::new(m, d);
    let w: Vec<f64> = (0..d + 1).map(|j| 0.01 * ((j % 5) as f64 - 2.0)).collect();
    let mut p = data.features.clone();
    p.extend(&data.labels);

    let t = Instant::now();
    let baked = Graph::record(&w, |v| data.loss(v)).gradient();
    let t_baked = t.elapsed();
    let t = Instant::now();
    let params = Graph::record_with(&w, &p, |v, q| loss_params(v, q, m, d)).gradient();
    let t_params = t.elapsed();
    let a = baked.eval(&w).unwrap();
    let b = params.eval_with(&w, &p).unwrap();
    let same = a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits());
    println!(
        "logistic-regression gradient graph, d = {d}, m = {m} (bit for bit the same outputs: {same})"
    );
    println!(
        "  {:<22} {:>9} {:>11} {:>10} {:>7} {:>9} {:>10}",
        "data as", "nodes", "operations", "constants", "guards", "slots", "record ms"
    );
    for (name, g, t) in [
        ("constants", &baked, t_baked),
        ("parameters", &params, t_params),
    ] {
        println!(
            "  {:<22} {:>9} {:>11} {:>10} {:>7} {:>9} {:>10.1}",
            name,
            g.num_nodes(),
            g.len(),
            g.num_constants(),
            g.num_guards(),
            g.program().num_slots(),
            t.as_secs_f64() * 1e3
        );
    }
    let reps = 201;
    let f64_us = time(reps, || {
        black_box(data.loss(black_box(&w[..])));
    });
    let mut out = vec![0.0; baked.num_outputs()];
    let mut eb = baked.program().evaluator::<f64>();
    let mut ep = params.program().evaluator::<f64>();
    let tb = time(reps, || eb.eval_into(black_box(&w), &mut out).unwrap());
    let tp = time(reps, || {
        ep.eval_with_into(black_box(&w), black_box(&p), &mut out)
            .unwrap()
    });
    println!("\ninterpreter, median of {reps} evaluations (the f64 loss: {f64_us:.1} µs):");
    println!(
        "  data as constants:  {tb:8.1} µs ({:.2}× f64)",
        tb / f64_us
    );
    println!(
        "  data as parameters: {tp:8.1} µs ({:.2}× f64; {:.3}× the constants' time)",
        tp / f64_us,
        tp / tb
    );
    #[cfg(feature = "jit")]
    {
        let cb = baked.compile().unwrap();
        let cp = params.compile().unwrap();
        let jb = time(reps, || cb.eval_into(black_box(&w), &mut out).unwrap());
        let jp = time(reps, || {
            cp.eval_with_into(black_box(&w), black_box(&p), &mut out)
                .unwrap()
        });
        println!("\nJIT:");
        println!(
            "  data as constants:  code {:>9} bytes, {jb:8.1} µs ({:.2}× f64)",
            cb.code_size(),
            jb / f64_us
        );
        println!(
            "  data as parameters: code {:>9} bytes, {jp:8.1} µs ({:.2}× f64)",
            cp.code_size(),
            jp / f64_us
        );
    }
}
