//! The cost of building sparse Jacobian plans (colouring) on structures whose column or row
//! intersection graph is dense, and of evaluating plans with 9–16 colours.
//!
//! ```sh
//! cargo run --release --example sparse_colouring_cost -- arrow 10000 plan
//! /usr/bin/time -v target/release/examples/sparse_colouring_cost arrow 20000 jacobian
//! ```
//!
//! Cases: `arrow N` (y₀ = Σxᵢ, yᵢ = xᵢ²: one dense row), `ba N` (a bundle-adjustment-like
//! residual: N points, 20 cameras, each point seen by two cameras; 9 camera and 3 point
//! parameters per residual pair), `band N` (yᵢ depends on xᵢ₋₆ … xᵢ₊₆: 13 colours).
//! What: `plan` (`JacobianPlan::new`), `forward` (`Direction::Forward` asked), `jacobian`
//! (`sparse::jacobian`), `eval` (plan built once, then `eval` repeated), `feval` and `reval`
//! (the same with `Direction::Forward` or `Direction::Reverse` asked).

use std::time::Instant;

use nilpotent::graph::Graph;
use nilpotent::sparse::{self, Direction, JacobianPlan, Order};
use num_traits::Float;

fn arrow<T: Float>(x: &[T]) -> Vec<T> {
    let mut y = vec![x.iter().fold(T::zero(), |s, &v| s + v)];
    y.extend(x[1..].iter().map(|&v| v * v));
    y
}

const CAMERAS: usize = 20;

/// Point p is seen by cameras p % 20 and (p * 7 + 3) % 20 (distinct).
fn ba<T: Float>(x: &[T]) -> Vec<T> {
    let points = (x.len() - 9 * CAMERAS) / 3;
    let mut y = Vec::with_capacity(4 * points);
    for p in 0..points {
        let a = p % CAMERAS;
        let mut b = (p * 7 + 3) % CAMERAS;
        if b == a {
            b = (a + 1) % CAMERAS;
        }
        let pt = &x[9 * CAMERAS + 3 * p..9 * CAMERAS + 3 * p + 3];
        for c in [a, b] {
            let cam = &x[9 * c..9 * c + 9];
            let z = pt[2] * cam[2] + cam[5] + pt[0] * cam[6];
            let u = (pt[0] * cam[0] + pt[1] * cam[1] + cam[3]) / z;
            let v = (pt[1] * cam[4] - pt[0] * cam[7] + cam[8]) / z;
            y.push(u.sin() * cam[8]);
            y.push(v.cos() + pt[2]);
        }
    }
    y
}

fn band<T: Float>(x: &[T]) -> Vec<T> {
    let n = x.len();
    (0..n)
        .map(|i| {
            let mut s = x[i].sin();
            for j in i.saturating_sub(6)..(i + 7).min(n) {
                s = s + x[j] * x[i].cos();
            }
            s
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case = args.get(1).map_or("arrow", |s| s.as_str());
    let n: usize = args.get(2).map_or(5000, |s| s.parse().unwrap());
    let what = args.get(3).map_or("plan", |s| s.as_str());
    let f: fn(&[nilpotent::graph::Sym]) -> Vec<nilpotent::graph::Sym> = match case {
        "arrow" => arrow,
        "ba" => ba,
        "band" => band,
        _ => panic!("case: arrow, ba or band"),
    };
    let inputs = if case == "ba" { 9 * CAMERAS + 3 * n } else { n };
    let x: Vec<f64> = (0..inputs).map(|i| 0.5 + 0.25 * (i as f64).sin()).collect();
    let t = Instant::now();
    let g = Graph::record_vec(&x, f);
    let record = t.elapsed();
    let t = Instant::now();
    match what {
        "plan" | "forward" | "eval" | "feval" | "reval" => {
            let direction = match what {
                "forward" | "feval" => Direction::Forward,
                "reval" => Direction::Reverse,
                _ => Direction::Auto,
            };
            let mut plan = JacobianPlan::with_options(&g, direction, Order::Best);
            let built = t.elapsed();
            println!(
                "{case} n = {n}: record {record:?}, plan {built:?} ({:?}, {} colours, {} passes)",
                plan.direction(),
                plan.colouring().num_colours(),
                plan.num_passes()
            );
            if what.ends_with("eval") {
                plan.eval(&x).unwrap();
                let reps = 20;
                let t = Instant::now();
                for _ in 0..reps {
                    std::hint::black_box(plan.eval(&x).unwrap());
                }
                println!("  eval: {:?} per call", t.elapsed() / reps);
            }
        }
        "jacobian" => {
            let (_, jac) = sparse::jacobian(f, &x);
            println!(
                "{case} n = {n}: sparse::jacobian {:?} (nnz {})",
                t.elapsed(),
                jac.nnz()
            );
        }
        _ => panic!("what: plan, forward, jacobian, eval, feval or reval"),
    }
}
