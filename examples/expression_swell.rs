//! Expression swell: symbolic derivatives blow up, forward-mode AD stays linear.
//!
//! The logistic map Iₙ₊₁ = 4·Iₙ·(1 − Iₙ), I₀ = x. We want dIₙ/dx.
//!
//! * Forward mode evaluates the program once on a dual number: n steps, 3 operations each, so the
//!   cost grows linearly in n. We check it against the hand-derived recurrence
//!   I′ₙ₊₁ = 4·I′ₙ·(1 − 2Iₙ) and time it for n up to 10⁴.
//! * Symbolically, Iₙ is a polynomial of degree 2ⁿ in x; expanded, it and its derivative have 2ⁿ
//!   terms with coefficients whose size grows exponentially too. Left unexpanded, the expression
//!   tree of Iₙ (without sharing) has 6·2ⁿ − 5 nodes, and differentiating it by the product rule
//!   gives 9n·2ⁿ + 1 nodes.
//! * Graph mode records the program once as a graph (shared subexpressions are one node) and builds
//!   the derivative as another graph by reverse accumulation: both grow linearly in n, and so does
//!   the second derivative's graph.
//!
//! Run with `cargo run --release --example expression_swell` (well under a second).

use std::hint::black_box;
use std::time::Instant;

use nilpotent::graph::Graph;
use nilpotent::{derivative, second_derivative};
use num_traits::Float;

/// n steps of the logistic map from x, written once for any `Float`.
fn logistic<T: Float>(x: T, n: usize) -> T {
    let four = T::from(4.0).unwrap();
    let mut v = x;
    for _ in 0..n {
        v = four * v * (T::one() - v);
    }
    v
}

/// The derivative by the hand-derived recurrence I′ₙ₊₁ = 4·I′ₙ·(1 − 2Iₙ), I′₀ = 1.
fn logistic_derivative_recurrence(x: f64, n: usize) -> (f64, f64) {
    let (mut v, mut d) = (x, 1.0);
    for _ in 0..n {
        d = 4.0 * d * (1.0 - 2.0 * v);
        v = 4.0 * v * (1.0 - v);
    }
    (v, d)
}

// ---------------------------------------------------------------------------------------------
// expanded polynomials

/// A polynomial in x with exact integer coefficients, `c[k]` the coefficient of xᵏ; `None` when a
/// coefficient no longer fits in an i128.
fn next_poly(p: &[i128]) -> Option<Vec<i128>> {
    // 4p − 4p²
    let mut sq = vec![0i128; 2 * p.len() - 1];
    for (i, &a) in p.iter().enumerate() {
        for (j, &b) in p.iter().enumerate() {
            sq[i + j] = sq[i + j].checked_add(a.checked_mul(b)?)?;
        }
    }
    let mut out = vec![0i128; sq.len()];
    for k in 0..out.len() {
        let lin = if k < p.len() { p[k] } else { 0 };
        out[k] = lin.checked_sub(sq[k])?.checked_mul(4)?;
    }
    Some(out)
}

/// The same in f64, for sizes beyond i128 (magnitudes only).
fn next_poly_f64(p: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; 2 * p.len() - 1];
    for (i, &a) in p.iter().enumerate() {
        for (j, &b) in p.iter().enumerate() {
            out[i + j] -= 4.0 * a * b;
        }
    }
    for (k, &a) in p.iter().enumerate() {
        out[k] += 4.0 * a;
    }
    out
}

/// The Mersenne prime 2⁶¹ − 1: the expansions are checked exactly modulo it.
const P: i128 = (1 << 61) - 1;

/// p(x) mod P by Horner's rule, exactly.
fn eval_mod(p: &[i128], x: i128) -> i128 {
    p.iter()
        .rev()
        .fold(0, |s, &c| (s * x + c.rem_euclid(P)).rem_euclid(P))
}

/// (Iₙ, I′ₙ) mod P by the map and the recurrence, exactly.
fn logistic_mod(x: i128, n: usize) -> (i128, i128) {
    let (mut v, mut d) = (x, 1i128);
    for _ in 0..n {
        d = (4 * d % P * (1 - 2 * v).rem_euclid(P)).rem_euclid(P);
        v = (4 * v % P * (1 - v).rem_euclid(P)).rem_euclid(P);
    }
    (v, d)
}

fn digits(v: i128) -> usize {
    v.unsigned_abs().to_string().len()
}

// ---------------------------------------------------------------------------------------------
// unexpanded expression trees

/// A symbolic expression tree (no sharing: a subexpression used twice is stored twice, as a naive
/// symbolic differentiator produces it).
enum Expr {
    X,
    Const(i64),
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
}

use Expr::{Add, Const, Mul, Sub, X};

impl Expr {
    fn size(&self) -> u64 {
        match self {
            X | Const(_) => 1,
            Add(a, b) | Sub(a, b) | Mul(a, b) => 1 + a.size() + b.size(),
        }
    }

    fn deep_clone(&self) -> Expr {
        match self {
            X => X,
            Const(c) => Const(*c),
            Add(a, b) => Add(Box::new(a.deep_clone()), Box::new(b.deep_clone())),
            Sub(a, b) => Sub(Box::new(a.deep_clone()), Box::new(b.deep_clone())),
            Mul(a, b) => Mul(Box::new(a.deep_clone()), Box::new(b.deep_clone())),
        }
    }

    /// d/dx by the sum and product rules, without simplification.
    fn diff(&self) -> Expr {
        match self {
            X => Const(1),
            Const(_) => Const(0),
            Add(a, b) => Add(Box::new(a.diff()), Box::new(b.diff())),
            Sub(a, b) => Sub(Box::new(a.diff()), Box::new(b.diff())),
            Mul(a, b) => Add(
                Box::new(Mul(Box::new(a.diff()), Box::new(b.deep_clone()))),
                Box::new(Mul(Box::new(a.deep_clone()), Box::new(b.diff()))),
            ),
        }
    }

    /// Evaluates at x (to check that the trees are what they claim).
    fn eval(&self, x: f64) -> f64 {
        match self {
            X => x,
            Const(c) => *c as f64,
            Add(a, b) => a.eval(x) + b.eval(x),
            Sub(a, b) => a.eval(x) - b.eval(x),
            Mul(a, b) => a.eval(x) * b.eval(x),
        }
    }
}

/// The tree of Iₙ: I₀ = x, Iₙ₊₁ = (4·Iₙ)·(1 − Iₙ).
fn logistic_tree(n: usize) -> Expr {
    let mut e = X;
    for _ in 0..n {
        let copy = e.deep_clone();
        e = Mul(
            Box::new(Mul(Box::new(Const(4)), Box::new(e))),
            Box::new(Sub(Box::new(Const(1)), Box::new(copy))),
        );
    }
    e
}

fn main() {
    let x0 = 0.3;

    println!("Logistic map I(n+1) = 4 I(n) (1 - I(n)), I(0) = x = {x0}: dI(n)/dx\n");

    // ---- 1. forward mode against the recurrence --------------------------------------------
    println!(
        "1. Forward mode (derivative on Dual<f64, 1>) vs the recurrence I'(n+1) = 4 I'(n) (1 - 2 I(n))"
    );
    println!(
        "   {:>6}  {:>12}  {:>24}  {:>24}  {:>9}  {:>14}",
        "n", "I(n)", "dI/dx by AD", "dI/dx by recurrence", "rel. diff", "log2|I'(n)|/n"
    );
    for n in [1, 2, 5, 10, 50, 100, 500, 1000, 1020, 1100, 10_000] {
        let (v, d_ad) = derivative(|x| logistic(x, n), x0);
        let (v_rec, d_rec) = logistic_derivative_recurrence(x0, n);
        assert_eq!(v, v_rec, "the real part must equal the f64 program");
        let rel = if d_ad.is_finite() && d_rec.is_finite() {
            format!("{:9.1e}", ((d_ad - d_rec) / d_rec).abs())
        } else {
            format!("{:>9}", "-")
        };
        println!(
            "   {n:>6}  {v:>12.9}  {d_ad:>24.15e}  {d_rec:>24.15e}  {rel}  {:>14.4}",
            d_rec.abs().log2() / n as f64
        );
    }
    println!(
        "   The map is chaotic with Lyapunov exponent ln 2, so |I'(n)| grows like 2^n (last column"
    );
    println!(
        "   tends to 1) and overflows f64 near n = 1024; beyond that both methods give inf or NaN."
    );
    println!(
        "   (For n beyond ~50 the computed orbit no longer follows the exact one -- rounding is"
    );
    println!("   doubled each step -- so both compute the derivative along the computed orbit.)\n");

    // ---- 2. cost of forward mode is linear in n ----------------------------------------------
    println!("2. Time of one forward-mode derivative (best of 9 runs of 200 evaluations each)");
    println!("   {:>6}  {:>12}  {:>14}", "n", "time", "time per step");
    for n in [1000, 2000, 4000, 8000, 10_000] {
        let mut best = f64::INFINITY;
        for _ in 0..9 {
            let start = Instant::now();
            for _ in 0..200 {
                black_box(derivative(|x| logistic(x, black_box(n)), black_box(x0)));
            }
            best = best.min(start.elapsed().as_secs_f64() / 200.0);
        }
        println!(
            "   {n:>6}  {:>9.2} µs  {:>11.2} ns",
            best * 1e6,
            best * 1e9 / n as f64
        );
    }
    println!("   The time per step stays constant: the cost of AD grows linearly with n.\n");

    // ---- 3. expanded polynomials ---------------------------------------------------------------
    println!("3. The symbolic answer, expanded: I(n) and dI(n)/dx as polynomials in x");
    println!(
        "   {:>2}  {:>6}  {:>14}  {:>18}  {:>18}",
        "n", "degree", "terms of I(n)", "terms of dI(n)/dx", "largest coeff."
    );
    let mut p: Vec<i128> = vec![0, 1]; // I₀ = x
    let mut pf: Vec<f64> = vec![0.0, 1.0];
    // i128 holds the coefficients up to n = 5; n = 6..8 are expanded in f64 (magnitudes only:
    // beyond n = 8 the coefficients overflow f64 too)
    for n in 1..=8 {
        pf = next_poly_f64(&pf);
        let exact = next_poly(&p);
        match exact {
            Some(q) => {
                p = q;
                let dp: Vec<i128> = p
                    .iter()
                    .enumerate()
                    .skip(1)
                    .map(|(k, &c)| c * k as i128)
                    .collect();
                // check the expansion and its derivative exactly, modulo a prime, at a few points
                // (evaluating them in f64 would drown in the cancellation of huge coefficients)
                for xm in [2, 12_345, 987_654_321_987] {
                    let (v, d) = logistic_mod(xm, n);
                    assert_eq!(eval_mod(&p, xm), v, "expansion of I({n})");
                    assert_eq!(eval_mod(&dp, xm), d, "derivative of I({n})");
                }
                let big = p.iter().map(|&c| digits(c)).max().unwrap_or(0);
                println!(
                    "   {n:>2}  {:>6}  {:>14}  {:>18}  {:>11} digits",
                    p.len() - 1,
                    p.iter().filter(|&&c| c != 0).count(),
                    dp.iter().filter(|&&c| c != 0).count(),
                    big
                );
            }
            None => {
                let big = pf.iter().fold(0.0f64, |m, c| m.max(c.abs()));
                let nz = pf.iter().filter(|&&c| c != 0.0).count();
                println!(
                    "   {n:>2}  {:>6}  {:>14}  {:>18}  {:>11} digits  (beyond i128: expanded in f64)",
                    pf.len() - 1,
                    nz,
                    nz, // the derivative of a polynomial with terms x¹..x^d has terms x⁰..x^(d−1)
                    big.log10().floor() as i64 + 1
                );
            }
        }
    }
    println!("   Both have 2^n terms: one more step doubles the work of the symbolic answer.\n");

    // ---- 4. unexpanded expression trees ------------------------------------------------------
    println!("4. The symbolic answer, unexpanded: nodes of the expression trees (no sharing)");
    println!(
        "   {:>2}  {:>12}  {:>22}  {:>18}",
        "n", "tree of I(n)", "tree of d/dx (product rule)", "AD operations (3n)"
    );
    for n in 1..=12 {
        let e = logistic_tree(n);
        let d = e.diff();
        assert_eq!(e.size(), 6 * (1 << n) - 5);
        assert_eq!(d.size(), 9 * n as u64 * (1 << n) + 1);
        assert!((e.eval(x0) - logistic(x0, n)).abs() < 1e-9);
        assert!(
            (d.eval(x0) - derivative(|x| logistic(x, n), x0).1).abs()
                < 1e-6 * d.eval(x0).abs().max(1.0)
        );
        println!(
            "   {n:>2}  {:>12}  {:>27}  {:>18}",
            e.size(),
            d.size(),
            3 * n
        );
    }
    println!("   The tree of I(n) has 6*2^n - 5 nodes and that of its derivative 9n*2^n + 1,");
    println!("   while forward mode differentiates the 3n-operation program directly.\n");

    // ---- 5. graph mode: the derivatives as graphs, with sharing ---------------------------------
    println!("5. Graph mode: I(n) recorded once as a graph, its derivatives built as graphs");
    println!(
        "   {:>5}  {:>14}  {:>16}  {:>17}  {:>16}",
        "n", "graph of I(n)", "graph of dI/dx", "graph of d2I/dx2", "per step (d, d2)"
    );
    for n in [1, 2, 5, 10, 12, 100, 500] {
        let g = Graph::record(&[x0], |x| logistic(x[0], n));
        let d = g.gradient();
        let h = g.hessian();
        // the graphs evaluate to the forward-mode derivatives
        let (_, d1, d2) = second_derivative(|x| logistic(x, n), x0);
        let out = h.eval(&[x0]).expect("the logistic map has no branches");
        assert!(
            (out[1] - d1).abs() <= 1e-9 * d1.abs().max(1.0),
            "dI/dx at n = {n}"
        );
        assert!(
            (out[2] - d2).abs() <= 1e-9 * d2.abs().max(1.0),
            "d2I/dx2 at n = {n}"
        );
        // linear growth: a fixed number of operations per step
        assert!(
            d.len() <= 9 * n && h.len() <= 24 * n,
            "n = {n}: {} and {}",
            d.len(),
            h.len()
        );
        println!(
            "   {n:>5}  {:>14}  {:>16}  {:>17}  {:>7.1}, {:>6.1}",
            g.len(),
            d.len(),
            h.len(),
            d.len() as f64 / n as f64,
            h.len() as f64 / n as f64
        );
    }
    println!("   A fixed number of operations per step: the derivative graphs grow linearly in n,");
    println!("   like the program, where the symbolic expressions above grow like 2^n.");
}
