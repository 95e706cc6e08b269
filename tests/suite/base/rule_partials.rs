//! Partials of rule-table entries that were wrong in a way the random walk of [`super::rules`]
//! cannot see (a special point, or an accuracy far below its tolerance), one test per defect,
//! named after it, in every mode it concerned: `powf` where the exponent is 0 (second and third
//! order, mixed partials), and `exp_m1`'s derivative where eˣ is tiny. Each expected value is a
//! closed form (derived in the comment), never the code's own output.

use crate::common;

use common::{assert_close, fd1};
use nilpotent::reverse;
use nilpotent::{hessian, hvp, second_derivative, third_derivative};
use num_traits::Float;

// ----- 1. powf: a rule that returned a constant where the partial's own derivative is needed ----

/// f(t) = t^(t−1) = exp((t−1) ln t):  f′ = f·(ln t + (t−1)/t),
/// f″ = f·(ln t + (t−1)/t)² + f·(1/t + 1/t²);  at t = 1: f = 1, f′ = 0, f″ = 2.
/// The exponent is 0 at t = 1, where the rule used to return the constant 0 for ∂xʸ/∂x.
#[test]
fn powf_zero_valued_exponent_second_derivative() {
    fn f<T: Float>(t: T) -> T {
        t.powf(t - T::one())
    }
    assert_eq!(second_derivative(f, 1.0), (1.0, 0.0, 2.0));
    // and away from the special point, against finite differences of the first derivative
    for t in [0.7, 1.3, 2.0] {
        let (_, _, d2) = second_derivative(f, t);
        let fd = fd1(|s| nilpotent::derivative(f, s).1, t);
        assert_close(d2, fd, 1e-8, 1.0, "d²/dt² t^(t−1)");
    }
}

/// f(x, y) = yˣ at (x, y) = (0, 2): ∂²f/∂x² = yˣ ln² y = ln² 2, ∂²f/∂x∂y = yˣ⁻¹(1 + x ln y) = ½,
/// ∂²f/∂y² = x(x−1)yˣ⁻² = 0. Forward over forward, forward over reverse (Hessian and H·v) must all
/// give the mixed partial ½ (they gave 0, 0.25 and 0).
#[test]
fn powf_mixed_partial_at_zero_exponent() {
    fn f<T: Float>(v: &[T]) -> T {
        v[1].powf(v[0])
    }
    let x = [0.0, 2.0];
    let ln2 = 2.0f64.ln();
    let want = [[ln2 * ln2, 0.5], [0.5, 0.0]];
    let (_, _, hf) = hessian(f, &x);
    let (_, _, hr) = reverse::hessian(f, &x);
    for i in 0..2 {
        for j in 0..2 {
            assert_close(hf[(i, j)], want[i][j], 1e-15, 1.0, "forward hessian of yˣ");
            assert_close(hr[(i, j)], want[i][j], 1e-15, 1.0, "reverse hessian of yˣ");
        }
    }
    for (k, e) in [[1.0, 0.0], [0.0, 1.0]].iter().enumerate() {
        let (_, _, hv_r) = reverse::hvp(f, &x, e);
        let (_, _, hv_f) = hvp(f, &x, e);
        for i in 0..2 {
            assert_close(hv_r[i], want[i][k], 1e-15, 1.0, "reverse::hvp of yˣ");
            assert_close(hv_f[i], want[i][k], 1e-15, 1.0, "hvp of yˣ");
        }
    }
}

/// f(x) = xˣ: f′ = f(ln x + 1), f″ = f(ln x + 1)² + f/x, f‴ = f(ln x + 1)³ + 3f(ln x + 1)/x − f/x²;
/// at x = 1: 1, 1, 2, 3. The partial y·xʸ⁻¹ calls powf(y − 1) with y − 1 = 0 one level down.
#[test]
fn powf_self_power_third_derivative() {
    assert_eq!(third_derivative(|x| x.powf(x), 1.0), (1.0, 1.0, 2.0, 3.0));
}

/// f(x) = x^(log₂ x) = exp(ln² x / ln 2): f″(1) = 2/ln 2 (found by the fuzzer as 1/ln 2).
#[test]
fn powf_log2_exponent_second_derivative() {
    let (v, d1, d2) = second_derivative(|x| x.powf(x.log2()), 1.0);
    assert_eq!((v, d1), (1.0, 0.0));
    assert_close(d2, 2.0 / 2.0f64.ln(), 1e-15, 1.0, "d²/dx² x^(log₂ x) at 1");
}

// ----- exp_m1: its derivative eˣ keeps its relative accuracy where eˣ is tiny -----------------

/// d/dx (eˣ − 1) = eˣ. Computing it as (eˣ − 1) + 1 (one libm call fewer) is within an ulp of 1,
/// not of eˣ: at x = −20 it was off by 2e-8 relative, at x = −40 it gave 0 for 4.2e-18. The oracle
/// is `f64::exp` itself; forward, reverse, second order and the graph must be within 2 ulps of it.
#[test]
fn exp_m1_derivative_keeps_relative_accuracy_for_negative_arguments() {
    use nilpotent::graph::Graph;
    for x in [-700.0, -40.0, -20.0, -5.0, -0.5, 0.0, 1.0, 30.0] {
        let want = f64::exp(x);
        let close = |got: f64, what: &str| {
            assert!(
                (got - want).abs() <= 2.0 * f64::EPSILON * want,
                "{what} at x = {x}: {got:e}, expected eˣ = {want:e}"
            );
        };
        close(nilpotent::derivative(|t| t.exp_m1(), x).1, "forward");
        close(reverse::gradient(|v| v[0].exp_m1(), &[x]).1[0], "reverse");
        // the second derivative is eˣ too
        close(second_derivative(|t| t.exp_m1(), x).2, "second derivative");
        let g = Graph::record(&[x], |v| v[0].exp_m1()).gradient();
        close(g.eval(&[x]).unwrap()[1], "graph gradient");
    }
}
