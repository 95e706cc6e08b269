//! A tour of nilpotent on the lecture example f(x₁, x₂) = ln x₁ + x₁x₂ − sin x₂ at (2, 5):
//! the forward primal and tangent traces, the reverse adjoint trace, the gradient by forward mode,
//! reverse mode and finite differences side by side, then J·r and Jᵀ·s of a small vector function.
//!
//! Run with `cargo run --release --example tour`.

use nilpotent::numeric::{self, FiniteDiff};
use nilpotent::reverse::{self, Tape};
use nilpotent::{Dual, gradient, jacobian, jvp};
use num_traits::Float;

/// The lecture's function, written in the lecture's order so that the traces number the
/// intermediate values v₁ … v₅ as the lecture does.
fn f<T: Float>(x: &[T]) -> T {
    let (v_1, v0) = (x[0], x[1]); // v₋₁ = x₁, v₀ = x₂
    let v1 = v_1.ln();
    let v2 = v_1 * v0;
    let v3 = v0.sin();
    let v4 = v1 + v2;
    v4 - v3 // v₅
}

/// A small vector function ℝ³ → ℝ² for J·r and Jᵀ·s.
fn g<T: Float>(x: &[T]) -> Vec<T> {
    vec![x[0] * x[1].exp() + x[2], (x[0] * x[2]).sin() - x[1] * x[1]]
}

fn main() {
    let x = [2.0, 5.0];
    println!("nilpotent tour — f(x₁, x₂) = ln x₁ + x₁x₂ − sin x₂ at (x₁, x₂) = (2, 5)\n");

    forward_traces(x);
    reverse_trace(x);
    side_by_side(x);
    products();
}

/// The forward primal trace and, for each seed direction, the tangent trace, computed on
/// `Dual<f64, 1>` one step at a time.
fn forward_traces(x: [f64; 2]) {
    println!("1. Forward mode: primal trace and tangent trace");
    for (seed, name) in [
        ([1.0, 0.0], "ẋ = e₁ = (1, 0): tangents are ∂/∂x₁"),
        ([0.0, 1.0], "ẋ = e₂ = (0, 1): tangents are ∂/∂x₂"),
    ] {
        println!("\n   seed {name}");
        let v_1 = Dual::new(x[0], [seed[0]]);
        let v0 = Dual::new(x[1], [seed[1]]);
        let v1 = v_1.ln();
        let v2 = v_1 * v0;
        let v3 = v0.sin();
        let v4 = v1 + v2;
        let v5 = v4 - v3;
        let rows = [
            ("v₋₁", "x₁", v_1, "ẋ₁"),
            ("v₀", "x₂", v0, "ẋ₂"),
            ("v₁", "ln v₋₁", v1, "v̇₋₁ / v₋₁"),
            ("v₂", "v₋₁ × v₀", v2, "v̇₋₁·v₀ + v₋₁·v̇₀"),
            ("v₃", "sin v₀", v3, "cos v₀ · v̇₀"),
            ("v₄", "v₁ + v₂", v4, "v̇₁ + v̇₂"),
            ("v₅", "v₄ − v₃", v5, "v̇₄ − v̇₃"),
        ];
        println!(
            "   {:<4} {:<10} {:>9}   {:<18} {:>9}",
            "v", "primal", "value", "tangent", "value"
        );
        for (name, op, v, dop) in rows {
            println!(
                "   {name:<4} {op:<10} {:>9.4}   {dop:<18} {:>9.4}",
                v.re, v.eps[0]
            );
        }
    }
    println!();
}

/// The reverse sweep's table: each node's value and, after the sweep, its adjoint v̄ = ∂f/∂v.
fn reverse_trace(x: [f64; 2]) {
    println!("2. Reverse mode: one recording, one backward sweep (adjoint v̄ᵢ = ∂f/∂vᵢ)\n");
    let mut tape = Tape::new();
    tape.set_tracing(true);
    let y = tape.record(&x, f);
    tape.backward(y);
    for line in format!("{:.4}", tape.trace()).lines() {
        println!("   {line}");
    }
    println!("\n   x̄₁ = v̄₋₁ = ∂f/∂x₁ and x̄₂ = v̄₀ = ∂f/∂x₂\n");
}

/// Value and gradient by forward mode, reverse mode and finite differences (central, O(h²), and
/// Richardson-extrapolated, O(h⁶)), against the
/// closed form ∇f = (1/x₁ + x₂, x₁ − cos x₂).
fn side_by_side(x: [f64; 2]) {
    println!(
        "3. Value and gradient: AD vs finite differences (error = distance from the closed form)\n"
    );
    let exact = [1.0 / x[0] + x[1], x[0] - x[1].cos()];
    let (vf, gf) = gradient(f, &x);
    let (vr, gr) = reverse::gradient(f, &x);
    let gc = FiniteDiff::central().gradient(f, &x);
    let gr3 = numeric::gradient(f, &x);
    println!("   value f(2, 5) = {vf:.12} (forward), {vr:.12} (reverse)");
    println!(
        "   {:<22} {:>20} {:>10} {:>20} {:>10}",
        "method", "∂f/∂x₁", "error", "∂f/∂x₂", "error"
    );
    for (name, g) in [
        ("forward (Dual<f64, 8>)", &gf[..]),
        ("reverse (tape)", &gr[..]),
        ("central differences", &gc[..]),
        ("Richardson, O(h⁶)", &gr3[..]),
    ] {
        println!(
            "   {name:<22} {:>20.15} {:>10.1e} {:>20.15} {:>10.1e}",
            g[0],
            (g[0] - exact[0]).abs(),
            g[1],
            (g[1] - exact[1]).abs()
        );
    }
    println!();
}

/// J·r by forward mode (one pass), Jᵀ·s by reverse mode (one sweep), and the full Jacobian.
fn products() {
    println!("4. A vector function g(x) = (x₁e^x₂ + x₃, sin(x₁x₃) − x₂²) at x = (1, 0.5, 2)\n");
    let x = [1.0, 0.5, 2.0];
    let (values, jac) = jacobian(g, &x);
    println!("   g(x) = [{:.6}, {:.6}]", values[0], values[1]);
    println!("   J (forward, 1 pass of Dual<f64, 8>) =");
    for i in 0..jac.nrows() {
        let row: Vec<String> = (0..jac.ncols())
            .map(|j| format!("{:>10.6}", jac[(i, j)]))
            .collect();
        println!("      [{}]", row.join(" "));
    }
    let r = [1.0, -1.0, 0.5];
    let (_, jr) = jvp(g, &x, &r);
    println!(
        "   J·r for r = {r:?}  (forward, one pass of Dual<f64, 1>): [{:.6}, {:.6}]",
        jr[0], jr[1]
    );
    let s = [2.0, -1.0];
    let (_, jts) = reverse::vjp(g, &x, &s);
    println!(
        "   Jᵀ·s for s = {s:?}        (reverse, one sweep):          [{:.6}, {:.6}, {:.6}]",
        jts[0], jts[1], jts[2]
    );
    let dot_jr: f64 = s.iter().zip(&jr).map(|(a, b)| a * b).sum();
    let dot_jts: f64 = r.iter().zip(&jts).map(|(a, b)| a * b).sum();
    println!("   check: sᵀ(J·r) = {dot_jr:.15}, (Jᵀ·s)ᵀr = {dot_jts:.15}");
}
