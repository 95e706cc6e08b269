//! A compile-time benchmark: nested dual numbers over functions with many arms, the shape of code
//! that made forced inlining blow up in release builds (third derivatives of an 8-arm function took
//! minutes to compile, and an `hvp` over a 29-arm `match` crashed stable rustc). Three kinds of
//! nesting: `Dual<Dual<Dual<f64, 1>, 1>, 1>` (third derivatives), `Dual<Dual<f64, 8>, 1>`
//! (forward-over-forward Hessian-vector product) and `Var<Dual<f64, 8>>` (forward-over-reverse
//! Hessian).
//!
//! ```sh
//! scripts/compile_time.sh          # times `cargo build --release -p nilpotent-dev --example compile_time`
//! cargo run --release -p nilpotent-dev --example compile_time
//! ```
//!
//! The arm is chosen at run time (from the number of command-line arguments), so the compiler must
//! keep every arm of every `match`: nothing is folded away. The program also does real work and
//! checks it: each third derivative is compared with a finite difference of the second, the
//! Hessian-vector product with a finite difference of the gradient, and the reverse-mode Hessian
//! times the direction with the Hessian-vector product.

use nilpotent::{Dual, hvp, reverse, second_derivative, third_derivative};
use num_traits::Float;

/// `f64` constant as `T`.
fn c<T: Float>(x: f64) -> T {
    T::from(x).unwrap()
}

/// Eight arms of composed elementary functions (smooth near x ∈ [0.2, 0.6]).
fn arms8<T: Float>(x: T, k: usize) -> T {
    let one = T::one();
    match k % 8 {
        0 => x.sin() * x.exp() + (x * x + one).ln(),
        1 => (x.cos() + c(2.0)).sqrt() / (one + x.tanh()),
        2 => x.atan() * x.sinh() - (x * c(3.0)).cbrt(),
        3 => (x.exp2() + x.powi(3)).recip() * x.cosh(),
        4 => x.asinh() + x.tan() * x.ln_1p() - x.exp_m1(),
        5 => x.powf(x + one) + (one - x * x).sqrt().asin(),
        6 => x.hypot(one - x) * (x + c(1.5)).log10() + x.acos(),
        _ => (x * x + one).log2() / (x * c(0.5)).atanh().cos() + x.max(x * x),
    }
}

/// Another eight arms, so that more than one multi-arm function is instantiated at each level.
fn arms8b<T: Float>(x: T, k: usize) -> T {
    let one = T::one();
    let y = x * x + c(0.25);
    match k % 8 {
        0 => y.sqrt().sin() * (one + y).ln(),
        1 => (x - y).exp() / (one + x.cos() * y),
        2 => y.atan2(x + one) + x.sinh().tanh(),
        3 => (x * y).powf(c(1.5)) + y.recip().cosh(),
        4 => (y + one).acosh() * x.exp_m1() - y.ln_1p(),
        5 => (x * c(0.5)).atanh() + y.cbrt() * x.exp2(),
        6 => (x + y).log(c(3.0)) - y.hypot(x).sqrt(),
        _ => x.sin_cos().0 * y.sin_cos().1 + x.mul_add(y, one).ln(),
    }
}

/// The 29 elementary functions of one or two arguments, one arm each, composed with two others:
/// arm k is `f_k(x, y) · f_{k+7}(y, x) + f_{k+13}(xy, y)` in the order of the list
/// `sqrt, cbrt, exp, exp2, exp_m1, ln, log2, log10, ln_1p, sin, cos, tan, asin, acos, atan, sinh,
/// cosh, tanh, asinh, acosh(· + 1), atanh, recip, powi(3), powf, hypot, atan2, log(·, · + 1),
/// mul_add, max · min`.
fn elementary<T: Float>(x: T, y: T, k: usize) -> T {
    let one = T::one();
    let xy = x * y;
    match k % 29 {
        0 => x.sqrt() * y.log10() + xy.acos(),
        1 => x.cbrt() * y.ln_1p() + xy.atan(),
        2 => x.exp() * y.sin() + xy.sinh(),
        3 => x.exp2() * y.cos() + xy.cosh(),
        4 => x.exp_m1() * y.tan() + xy.tanh(),
        5 => x.ln() * y.asin() + xy.asinh(),
        6 => x.log2() * y.acos() + (xy + one).acosh(),
        7 => x.log10() * y.atan() + xy.atanh(),
        8 => x.ln_1p() * y.sinh() + xy.recip(),
        9 => x.sin() * y.cosh() + xy.powi(3),
        10 => x.cos() * y.tanh() + xy.powf(y),
        11 => x.tan() * y.asinh() + xy.hypot(y),
        12 => x.asin() * (y + one).acosh() + xy.atan2(y),
        13 => x.acos() * y.atanh() + xy.log(y + one),
        14 => x.atan() * y.recip() + xy.mul_add(y, xy),
        15 => x.sinh() * y.powi(3) + xy.max(y) * xy.min(y),
        16 => x.cosh() * y.powf(x) + xy.sqrt(),
        17 => x.tanh() * y.hypot(x) + xy.cbrt(),
        18 => x.asinh() * y.atan2(x) + xy.exp(),
        19 => (x + one).acosh() * y.log(x + one) + xy.exp2(),
        20 => x.atanh() * y.mul_add(x, y) + xy.exp_m1(),
        21 => x.recip() * y.max(x) * y.min(x) + xy.ln(),
        22 => x.powi(3) * y.sqrt() + xy.log2(),
        23 => x.powf(y) * y.cbrt() + xy.log10(),
        24 => x.hypot(y) * y.exp() + xy.ln_1p(),
        25 => x.atan2(y) * y.exp2() + xy.sin(),
        26 => x.log(y + one) * y.exp_m1() + xy.cos(),
        27 => x.mul_add(y, x) * y.ln() + xy.tan(),
        _ => x.max(y) * x.min(y) * y.log2() + xy.asin(),
    }
}

/// A function of n inputs whose i-th term is arm `i + shift` of [`elementary`], coupled to the next
/// input: every arm is reachable.
fn coupled<T: Float>(x: &[T], shift: usize) -> T {
    let n = x.len();
    let mut s = T::zero();
    for i in 0..n {
        s = s + elementary(x[i], x[(i + 1) % n], i + shift) * x[(i + 2) % n];
    }
    s
}

fn main() {
    // Depends on the command line, so every arm stays reachable.
    let shift = std::env::args().count() - 1;
    let points = [0.2, 0.35, 0.5];

    // Third derivatives: Dual<Dual<Dual<f64, 1>, 1>, 1>, each check against the second derivative.
    let h = 1e-5;
    let mut worst: f64 = 0.0;
    for k in 0..8 {
        for &x in &points {
            for f in [arms8::<Dual<Dual<Dual<f64, 1>, 1>, 1>>, arms8b] {
                let (_, _, _, d3) = third_derivative(|v| f(v, k + shift), x);
                let (_, _, d2p, d3p) = third_derivative(|v| f(v, k + shift), x + h);
                let (_, _, d2m, d3m) = third_derivative(|v| f(v, k + shift), x - h);
                let fd = (d2p - d2m) / (2.0 * h);
                worst = worst.max((d3 - fd).abs() / (1.0 + d3.abs()));
                assert!(d3p.is_finite() && d3m.is_finite());
            }
            let (_, _, d2) = second_derivative(|v| arms8(v, k + shift), x);
            assert!(d2.is_finite());
        }
    }
    println!(
        "third derivatives of 2 × 8 arms at 3 points: worst relative error vs finite differences {worst:.1e}"
    );
    assert!(
        worst < 1e-5,
        "third derivative disagrees with finite differences: {worst:e}"
    );
    let (v, d1, d2, d3) = third_derivative(|v| arms8(v, shift), 0.5);
    println!("arms8(0.5, {shift}): f = {v:.6}, f' = {d1:.6}, f'' = {d2:.6}, f''' = {d3:.6}");

    // A Hessian-vector product over all 29 arms: Dual<Dual<f64, 8>, 1>, checked against a central
    // difference of the gradient (computed from the same pass, the tangent lanes of the inner level).
    let n = 29;
    let x: Vec<f64> = (0..n).map(|i| 0.3 + 0.01 * i as f64).collect();
    let dir: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { 1.0 } else { -0.5 })
        .collect();
    let (value, grad, hv) = hvp(|v| coupled(v, shift), &x, &dir);
    let shifted = |t: f64| -> Vec<f64> { x.iter().zip(&dir).map(|(a, d)| a + t * d).collect() };
    let (_, gp, _) = hvp(|v| coupled(v, shift), &shifted(h), &dir);
    let (_, gm, _) = hvp(|v| coupled(v, shift), &shifted(-h), &dir);
    let mut worst: f64 = 0.0;
    for i in 0..n {
        let fd = (gp[i] - gm[i]) / (2.0 * h);
        worst = worst.max((hv[i] - fd).abs() / (1.0 + hv[i].abs()));
    }
    let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
    println!(
        "hvp over 29 arms: f = {value:.6}, |∇f| = {:.6}, |H·v| = {:.6}, worst relative error vs finite differences {worst:.1e}",
        norm(&grad),
        norm(&hv)
    );
    assert!(
        worst < 1e-5,
        "hvp disagrees with finite differences: {worst:e}"
    );

    // The whole Hessian by forward over reverse (Var<Dual<f64, 8>>), times the direction.
    let (_, _, hess) = reverse::hessian(|v| coupled(v, shift), &x);
    let mut worst: f64 = 0.0;
    for i in 0..n {
        let row: f64 = (0..n).map(|j| hess[(i, j)] * dir[j]).sum();
        worst = worst.max((row - hv[i]).abs() / (1.0 + hv[i].abs()));
    }
    println!(
        "reverse-mode Hessian over 29 arms: worst relative difference of H·v from the hvp {worst:.1e}"
    );
    assert!(
        worst < 1e-12,
        "reverse-mode Hessian disagrees with the hvp: {worst:e}"
    );
}
