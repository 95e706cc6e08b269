//! The cost of building sparse Jacobian plans (colouring) on structures whose column or row
//! intersection graph is dense, and of evaluating plans with 9–16 colours.
//!
//! ```sh
//! cargo run --release -p nilpotent-dev --example sparse_colouring_cost -- arrow 10000 plan
//! /usr/bin/time -v target/release/examples/sparse_colouring_cost arrow 20000 jacobian
//! ```
//!
//! Cases: `arrow N` (y₀ = Σxᵢ, yᵢ = xᵢ²: one dense row), `ba N` (a bundle-adjustment-like
//! residual: N points, 20 cameras, each point seen by two cameras; 9 camera and 3 point
//! parameters per residual pair), `band N` (yᵢ depends on xᵢ₋₆ … xᵢ₊₆: 13 colours), `kband N`
//! (the same with `abs`).
//! `hess N` (Rosenbrock) and `hessblock N` (blocks of 12 coupled inputs): `HessianPlan::eval`
//! against the gradient graph's program on dual numbers (what its passes were before).
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

fn rosenbrock<T: Float>(x: &[T]) -> T {
    let c = T::from(100.0).unwrap();
    (1..x.len()).fold(T::zero(), |s, i| {
        s + c * (x[i] - x[i - 1] * x[i - 1]).powi(2) + (T::one() - x[i - 1]).powi(2)
    })
}

/// Blocks of 12 inputs, all pairs in a block coupled through sin: 12 colours.
fn blocks<T: Float>(x: &[T]) -> T {
    let mut s = T::zero();
    for b in (0..x.len()).step_by(12) {
        let e = (b + 12).min(x.len());
        let t = x[b..e].iter().fold(T::zero(), |s, &v| s + v);
        s = s + t.sin() + x[b..e].iter().fold(T::zero(), |s, &v| s + v.abs() * v);
    }
    s
}

/// `HessianPlan::eval` against what a pass cost before: the gradient graph's program on
/// `Dual<f64, W>` (W = the colours), as many evaluations as the plan has passes.
fn hessian_case(case: &str, n: usize) {
    use nilpotent::Dual;
    use nilpotent::sparse::HessianPlan;
    let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.25 * (i as f64).sin()).collect();
    let g = match case {
        "hess" => Graph::record(&x, rosenbrock),
        _ => Graph::record(&x, blocks),
    };
    let t = Instant::now();
    let mut plan = HessianPlan::new(&g);
    println!(
        "{case} n = {n}: plan {:?} ({} colours, {} passes)",
        t.elapsed(),
        plan.colouring().num_colours(),
        plan.num_passes()
    );
    let reps = 20;
    plan.eval(&x).unwrap();
    let t = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(plan.eval(&x).unwrap());
    }
    println!("  HessianPlan::eval: {:?} per call", t.elapsed() / reps);
    let grad = g.gradient();
    let program = grad.program();
    macro_rules! lanes {
        ($w:literal) => {{
            let xd: Vec<Dual<f64, $w>> = x.iter().map(|&v| Dual::constant(v)).collect();
            let mut e = program.evaluator::<Dual<f64, $w>>();
            let mut out = vec![Dual::constant(0.0); program.num_outputs()];
            let t = Instant::now();
            for _ in 0..reps {
                for _ in 0..plan.num_passes() {
                    e.eval_into(&xd, &mut out).unwrap();
                }
            }
            println!(
                "  gradient graph on Dual<f64, {}>, {} passes: {:?} per call",
                $w,
                plan.num_passes(),
                t.elapsed() / reps
            );
        }};
    }
    match plan.colouring().num_colours() {
        3 => lanes!(3),
        _ => lanes!(12),
    }
}

/// [`band`] with kinks: yᵢ = sin xᵢ + Σⱼ |xⱼ|·cos xᵢ (reverse sweeps then run over partials
/// computed at each input).
fn kband<T: Float>(x: &[T]) -> Vec<T> {
    let n = x.len();
    (0..n)
        .map(|i| {
            let mut s = x[i].sin();
            for j in i.saturating_sub(6)..(i + 7).min(n) {
                s = s + x[j].abs() * x[i].cos();
            }
            s
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(case @ ("hess" | "hessblock")) = args.get(1).map(|s| s.as_str()) {
        return hessian_case(case, args.get(2).map_or(1000, |s| s.parse().unwrap()));
    }
    let case = args.get(1).map_or("arrow", |s| s.as_str());
    let n: usize = args.get(2).map_or(5000, |s| s.parse().unwrap());
    let what = args.get(3).map_or("plan", |s| s.as_str());
    let f: fn(&[nilpotent::graph::Sym]) -> Vec<nilpotent::graph::Sym> = match case {
        "arrow" => arrow,
        "ba" => ba,
        "band" => band,
        "kband" => kband,
        _ => panic!("case: arrow, ba, band or kband"),
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
