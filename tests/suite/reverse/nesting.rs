//! Second derivatives of one function written with `f64` literals (`T: Real`) in every nesting
//! of two modes: forward over forward (`Dual<Dual<f64, N>, N>`), forward over reverse
//! (`Var<Dual<f64, N>>`), reverse over forward (`Dual<Var<f64>, N>`, a forward gradient taken
//! inside a tape) and reverse over reverse (`Var<Var<f64>>`), against the closed forms.

use nilpotent::reverse::{self, Var};
use nilpotent::{Dual, Real};

use crate::common::{Rng, assert_close};

/// `3x₀ + 2/x₁ + (x₀ − 1)²·x₁ + x₁^1.5 + (x₀ > 0.5 ? sin(x₀x₁)/2 : x₁/4)`: literals on both
/// sides, a literal exponent, a comparison with a literal (x₁ > 0).
fn f<T: Real>(x: &[T]) -> T {
    let branch = if x[0] > 0.5 {
        (x[0] * x[1]).sin() * 0.5
    } else {
        x[1] / 4.0
    };
    x[0] * 3.0 + 2.0 / x[1] + (x[0] - 1.0).powi(2) * x[1] + x[1].pow(1.5) + branch
}

/// The gradient and Hessian of [`f`] in closed form.
fn closed_form(x: &[f64]) -> ([f64; 2], [[f64; 2]; 2]) {
    let (a, b) = (x[0], x[1]);
    let u = a * b;
    let (g_br, h_br) = if a > 0.5 {
        (
            [0.5 * b * u.cos(), 0.5 * a * u.cos()],
            [
                [-0.5 * b * b * u.sin(), 0.5 * u.cos() - 0.5 * u * u.sin()],
                [0.5 * u.cos() - 0.5 * u * u.sin(), -0.5 * a * a * u.sin()],
            ],
        )
    } else {
        ([0.0, 0.25], [[0.0; 2]; 2])
    };
    let g = [
        3.0 + 2.0 * (a - 1.0) * b + g_br[0],
        -2.0 / (b * b) + (a - 1.0).powi(2) + 1.5 * b.sqrt() + g_br[1],
    ];
    let h01 = 2.0 * (a - 1.0) + h_br[0][1];
    let h = [
        [2.0 * b + h_br[0][0], h01],
        [h01, 4.0 / (b * b * b) + 0.75 / b.sqrt() + h_br[1][1]],
    ];
    (g, h)
}

/// The Hessian of [`f`] at `x` by each nesting, row by row.
fn hessians(x: &[f64]) -> Vec<(&'static str, [[f64; 2]; 2])> {
    let row = |r: Vec<f64>| [r[0], r[1]];
    let ff = nilpotent::hessian(f, x).2;
    let fr = reverse::hessian(f, x).2;
    // reverse over forward: the tape differentiates entry i of a forward gradient
    let rf = |i: usize| {
        reverse::gradient(
            |y: &[Var<f64>]| nilpotent::gradient(f::<Dual<Var<f64>, 8>>, y).1[i],
            x,
        )
        .1
    };
    // reverse over reverse: a tape inside a tape
    let rr = |i: usize| reverse::gradient(|y: &[Var<f64>]| reverse::gradient(f, y).1[i], x).1;
    vec![
        ("ff", [[ff[(0, 0)], ff[(0, 1)]], [ff[(1, 0)], ff[(1, 1)]]]),
        ("fr", [[fr[(0, 0)], fr[(0, 1)]], [fr[(1, 0)], fr[(1, 1)]]]),
        ("rf", [row(rf(0)), row(rf(1))]),
        ("rr", [row(rr(0)), row(rr(1))]),
    ]
}

/// Every nesting of two modes runs `T: Real` code (literals, a literal exponent, a comparison
/// with a literal) — `Dual<Var<f64>, N>` and `Var<Var<f64>>` had no arithmetic with `f64` and
/// were not `Real`, so such code had to be bounded on `Float` — and gives the closed-form
/// Hessian: at the branch's tie x₀ = 0.5, at x₀ = 0, ±1, and at random points.
#[test]
fn real_code_in_every_nesting_of_two_modes_gives_the_closed_form_hessian() {
    let mut rng = Rng::for_test("nesting_real");
    let mut points = vec![
        vec![0.5, 1.0],
        vec![0.0, 1.0],
        vec![1.0, 0.5],
        vec![-1.0, 2.0],
    ];
    for _ in 0..12 {
        points.push(vec![rng.uniform(-2.0, 2.0), rng.uniform(0.3, 3.0)]);
    }
    for x in &points {
        let (g, h) = closed_form(x);
        let (_, fg) = nilpotent::gradient(f, x);
        let (_, rg) = reverse::gradient(f, x);
        for i in 0..2 {
            assert_close(fg[i], g[i], 1e-14, 1e-14, &format!("forward ∂{i} at {x:?}"));
            assert_close(rg[i], g[i], 1e-14, 1e-14, &format!("tape ∂{i} at {x:?}"));
        }
        for (what, got) in hessians(x) {
            for i in 0..2 {
                for j in 0..2 {
                    assert_close(
                        got[i][j],
                        h[i][j],
                        1e-13,
                        1e-13,
                        &format!("{what}: H{i}{j} at {x:?}"),
                    );
                }
            }
        }
    }
}
