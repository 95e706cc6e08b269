//! Checking hand-written gradients: the constrained problem of the lecture's MATLAB listing.
//!
//! minimise   f(x) = e^{x₁}·(4x₁² + 2x₂² + 4x₁x₂ + 2x₂ + 1)
//! subject to c₁(x) = 1.5 + x₁x₂ − x₁ − x₂ ≤ 0
//!            c₂(x) = −x₁x₂ − 10           ≤ 0
//!
//! The listing supplies hand-written gradients to the optimiser. The objective's is right; the
//! constraints' are not: the listing returns the MATLAB matrix `GC = [x₂−1, −x₂; x₁−1, −x₁]`, whose
//! *columns* are the constraint gradients, but reading its rows as gradients gives
//! ∇c₁ = [x₂ − 1, −x₂] and ∇c₂ = [x₁ − 1, −x₁] — wrong. The correct ones are
//! ∇c₁ = [x₂ − 1, x₁ − 1] and ∇c₂ = [−x₂, −x₁].
//!
//! Run with `cargo run --release --example check_gradient`.

use nalgebra::DMatrix;
use nilpotent::Real;
use nilpotent::numeric::{check_gradient, check_jacobian};

/// The objective, written once for any `Real` (so AD can evaluate it on dual numbers).
fn objective<T: Real>(x: &[T]) -> T {
    let (x1, x2) = (x[0], x[1]);
    x1.exp() * (x1 * x1 * 4.0 + x2 * x2 * 2.0 + x1 * x2 * 4.0 + x2 * 2.0 + 1.0)
}

/// The objective's hand-written gradient, as in the listing.
fn objective_grad(x: &[f64]) -> Vec<f64> {
    let (x1, x2) = (x[0], x[1]);
    let f = objective(x);
    vec![
        f + x1.exp() * (8.0 * x1 + 4.0 * x2),
        x1.exp() * (4.0 * x1 + 4.0 * x2 + 2.0),
    ]
}

/// The constraints c(x) = [c₁, c₂].
fn constraints<T: Real>(x: &[T]) -> Vec<T> {
    let (x1, x2) = (x[0], x[1]);
    vec![x1 * x2 + 1.5 - x1 - x2, -x1 * x2 - 10.0]
}

/// c₁ alone, to check its gradient by itself.
fn c1<T: Real>(x: &[T]) -> T {
    constraints(x)[0]
}

/// c₂ alone.
fn c2<T: Real>(x: &[T]) -> T {
    constraints(x)[1]
}

/// The listing's hand-written constraint gradients (wrong).
fn listing_c1_grad(x: &[f64]) -> Vec<f64> {
    vec![x[1] - 1.0, -x[1]]
}
fn listing_c2_grad(x: &[f64]) -> Vec<f64> {
    vec![x[0] - 1.0, -x[0]]
}

/// The corrected constraint gradients.
fn correct_c1_grad(x: &[f64]) -> Vec<f64> {
    vec![x[1] - 1.0, x[0] - 1.0]
}
fn correct_c2_grad(x: &[f64]) -> Vec<f64> {
    vec![-x[1], -x[0]]
}

fn verdict(passed: bool) -> &'static str {
    if passed { "correct" } else { "WRONG" }
}

fn main() {
    // (−1, 1) is the listing's starting point; (0.5, 0.5) is a trap: there the wrong gradients
    // happen to equal the right ones (−x₂ = x₁ − 1 when x₁ + x₂ = 1), which is why a gradient must
    // be checked at generic points, not at one symmetric one.
    let points = [[-1.0, 1.0], [0.5, 2.0], [-3.2, 0.7], [0.5, 0.5]];

    println!("Checking the hand-written gradients of the lecture's constrained problem");
    println!("against forward-mode AD (finite differences shown for information).\n");

    for x in &points {
        println!("=== at x = ({}, {}) ===", x[0], x[1]);
        let rf = check_gradient(objective, x, &objective_grad(x));
        let r1 = check_gradient(c1, x, &listing_c1_grad(x));
        let r2 = check_gradient(c2, x, &listing_c2_grad(x));
        println!("  objective gradient:           {}", verdict(rf.passed()));
        for (name, r) in [("c1", &r1), ("c2", &r2)] {
            let luck = if r.passed() {
                " (by coincidence: here the wrong formula gives the right numbers)"
            } else {
                ""
            };
            println!(
                "  listing's gradient of {name}:    {}{luck}",
                verdict(r.passed())
            );
            for e in r.failures() {
                println!(
                    "      ∂{name}/∂x{} should be {} but the listing gives {} (off by {})",
                    e.col + 1,
                    e.ad,
                    e.user,
                    e.user - e.ad
                );
            }
        }
        let f1 = check_gradient(c1, x, &correct_c1_grad(x));
        let f2 = check_gradient(c2, x, &correct_c2_grad(x));
        println!(
            "  corrected gradients of c1, c2: {}, {}",
            verdict(f1.passed()),
            verdict(f2.passed())
        );
        println!();
    }

    // The whole constraint Jacobian at once (row i = ∇cᵢ), with the report's full table.
    let x = [-1.0, 1.0];
    let g1 = listing_c1_grad(&x);
    let g2 = listing_c2_grad(&x);
    let listing_jac = DMatrix::from_row_slice(2, 2, &[g1[0], g1[1], g2[0], g2[1]]);
    println!("The full report for the listing's constraint Jacobian at x = (-1, 1):\n");
    println!("{}", check_jacobian(constraints, &x, &listing_jac));
    println!("The full report for the objective gradient at x = (-1, 1):\n");
    println!("{}", check_gradient(objective, &x, &objective_grad(&x)));
}
