//! Custom derivative rules ([`nilpotent::custom`]) in every mode, against closed forms and central
//! finite differences: a rule ℝ → ℝ (erf, derivative generic), a rule ℝⁿ → ℝ (log-sum-exp,
//! gradient generic), the same two as black boxes with `f64` derivatives only ([`FirstOrder`]), on
//! `f64`, `Dual` (first to third order), `Var` (gradients, and Hessians on `Var<Dual>`), and graphs
//! (gradient and Hessian graphs, the interpreter on `f64` and on dual numbers, emitted Rust, the
//! JIT's refusal, sparsity patterns), at random points and at 0 and ±1; and the messages of what
//! is not supported.
//!
//! The emitted functions are compiled in from `tests/generated/custom_emitted.rs`;
//! `generated_code_is_fresh` fails if it differs from a fresh emission. Regenerate it with
//!
//! ```text
//! NILPOTENT_BLESS=1 cargo test --test suite base::custom
//! ```

use crate::common;

use common::{Rng, assert_close, fd_gradient, fd_jacobian, fd1, same_f64};
use nilpotent::custom::{
    Custom, FirstOrder, FirstOrderGradient, FirstOrderUnary, GradientRule, UnaryRule,
};
use nilpotent::graph::{Graph, Sym};
use nilpotent::reverse::{self, Tape};
use nilpotent::{Dual, sparse};

/// 2/√π
const TWO_OVER_SQRT_PI: f64 = core::f64::consts::FRAC_2_SQRT_PI;

/// The error function (libm), the value of [`Erf`] and the function emitted code calls.
pub fn erf(x: f64) -> f64 {
    libm::erf(x)
}

/// log Σ exp(xᵢ), shifted by the largest xᵢ (the value of [`Lse`], called by emitted code).
pub fn lse(x: &[f64]) -> f64 {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    m + x.iter().map(|&v| (v - m).exp()).sum::<f64>().ln()
}

/// erf′(x) = 2/√π · e^(−x²), in `f64` (the black box's derivative, called by emitted code, and
/// the closed forms).
pub fn erf_d1(x: f64) -> f64 {
    TWO_OVER_SQRT_PI * (-x * x).exp()
}

/// softmax(x), the gradient of log-sum-exp, in `f64` (the black box's gradient, called by
/// emitted code).
pub fn softmax(x: &[f64], g: &mut [f64]) {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = x.iter().map(|&v| (v - m).exp()).sum();
    for (gi, &v) in g.iter_mut().zip(x) {
        *gi = (v - m).exp() / s;
    }
}

#[derive(Clone, Copy, Debug)]
struct Erf;

impl UnaryRule for Erf {
    fn name(&self) -> &'static str {
        "erf"
    }
    fn value(&self, x: f64) -> f64 {
        erf(x)
    }
    fn derivative<T: Custom>(&self, x: T) -> T {
        T::from(TWO_OVER_SQRT_PI).unwrap() * (-x * x).exp()
    }
    fn rust_path(&self) -> Option<&'static str> {
        Some("crate::erf")
    }
}

#[derive(Clone, Copy, Debug)]
struct Lse;

impl GradientRule for Lse {
    fn name(&self) -> &'static str {
        "logsumexp"
    }
    fn value(&self, x: &[f64]) -> f64 {
        lse(x)
    }
    fn gradient<T: Custom>(&self, x: &[T], grad: &mut [T]) {
        // softmax, without the shift (a comparison would be a guard in graph mode); the inputs
        // of these tests are moderate
        let s = x.iter().fold(T::zero(), |s, &v| s + v.exp());
        for (g, &v) in grad.iter_mut().zip(x) {
            *g = v.exp() / s;
        }
    }
    fn rust_path(&self) -> Option<&'static str> {
        Some("crate::lse")
    }
}

/// erf with its derivative as an `f64` function only.
#[derive(Clone, Copy, Debug)]
struct ErfBox;

impl FirstOrderUnary for ErfBox {
    fn name(&self) -> &'static str {
        "erf_box"
    }
    fn value(&self, x: f64) -> f64 {
        erf(x)
    }
    fn derivative(&self, x: f64) -> f64 {
        erf_d1(x)
    }
    fn rust_path(&self) -> Option<&'static str> {
        Some("crate::erf")
    }
    fn derivative_rust_path(&self) -> Option<&'static str> {
        Some("crate::erf_d1")
    }
}

/// log-sum-exp with its gradient as an `f64` function only.
#[derive(Clone, Copy, Debug)]
struct LseBox;

impl FirstOrderGradient for LseBox {
    fn name(&self) -> &'static str {
        "lse_box"
    }
    fn value(&self, x: &[f64]) -> f64 {
        lse(x)
    }
    fn gradient(&self, x: &[f64], grad: &mut [f64]) {
        softmax(x, grad)
    }
    fn rust_path(&self) -> Option<&'static str> {
        Some("crate::lse")
    }
    fn gradient_rust_path(&self) -> Option<&'static str> {
        Some("crate::softmax")
    }
}

/// a·x: a rule that carries data (never merged with another application in a graph).
#[derive(Clone, Copy, Debug)]
struct Scale(f64);

impl UnaryRule for Scale {
    fn name(&self) -> &'static str {
        "scale"
    }
    fn value(&self, x: f64) -> f64 {
        self.0 * x
    }
    fn derivative<T: Custom>(&self, _: T) -> T {
        T::from(self.0).unwrap()
    }
}

/// ∛x, whose derivative is +∞ at 0 (for the zero-lane convention).
#[derive(Clone, Copy, Debug)]
struct Cbrt;

impl UnaryRule for Cbrt {
    fn name(&self) -> &'static str {
        "cbrt"
    }
    fn value(&self, x: f64) -> f64 {
        x.cbrt()
    }
    fn derivative<T: Custom>(&self, x: T) -> T {
        let c = x.cbrt();
        (T::from(3.0).unwrap() * c * c).recip()
    }
}

/// The test function: erf, log-sum-exp of three expressions, and more erf.
fn f<T: Custom>(x: &[T]) -> T {
    let inner = [x[0] * x[1], x[1].sin(), x[2]];
    x[0].custom(&Erf) * x[1] + T::custom_n(&Lse, &inner) + x[2].custom(&Erf).powi(2)
}

/// [`f`] with the black boxes.
fn f_box<T: Custom>(x: &[T]) -> T {
    let inner = [x[0] * x[1], x[1].sin(), x[2]];
    x[0].custom(&FirstOrder(ErfBox)) * x[1]
        + T::custom_n(&FirstOrder(LseBox), &inner)
        + x[2].custom(&FirstOrder(ErfBox)).powi(2)
}

/// The points of the tests: special values, then random ones.
fn points(rng: &mut Rng) -> Vec<Vec<f64>> {
    let mut p = vec![
        vec![0.0, 0.0, 0.0],
        vec![1.0, -1.0, 1.0],
        vec![-1.0, 1.0, -1.0],
        vec![0.0, 1.0, -1.0],
    ];
    for _ in 0..12 {
        p.push(rng.vec(3, -2.0, 2.0));
    }
    p
}

fn scalars(rng: &mut Rng) -> Vec<f64> {
    let mut p = vec![0.0, 1.0, -1.0, 0.5, -2.5];
    for _ in 0..20 {
        p.push(rng.uniform(-3.0, 3.0));
    }
    p
}

// ---------------------------------------------------------------- f64, f32

#[test]
fn plain_floats_call_the_value() {
    for x in [0.0, 1.0, -1.0, 0.3, -2.0] {
        assert!(same_f64(x.custom(&Erf), erf(x)));
        assert!(same_f64(x.custom(&FirstOrder(ErfBox)), erf(x)));
        let x32 = x as f32;
        assert_eq!(x32.custom(&Erf), erf(f64::from(x32)) as f32);
    }
    let x = [0.5, -1.0, 2.0];
    assert!(same_f64(f64::custom_n(&Lse, &x), lse(&x)));
    assert!(same_f64(f64::custom_n(&FirstOrder(LseBox), &x), lse(&x)));
    let x32 = [0.5f32, -1.0, 2.0];
    assert_eq!(f32::custom_n(&Lse, &x32), lse(&x) as f32);
}

// ---------------------------------------------------------------- forward mode

#[test]
fn erf_forward_first_second_third_order_closed_forms() {
    let mut rng = Rng::for_test("erf_forward");
    for x in scalars(&mut rng) {
        let d1 = erf_d1(x);
        let d2 = -2.0 * x * d1;
        let d3 = (4.0 * x * x - 2.0) * d1;
        let (v, g) = nilpotent::derivative(|x| x.custom(&Erf), x);
        assert!(same_f64(v, erf(x)));
        assert_close(g, d1, 1e-15, 1e-300, "erf′");
        // the value function and the derivative agree (finite differences of the value)
        assert_close(g, fd1(erf, x), 1e-8, 1.0, "erf′ vs differences");
        let (v, g, h) = nilpotent::second_derivative(|x| x.custom(&Erf), x);
        assert!(same_f64(v, erf(x)));
        assert_close(g, d1, 1e-15, 1e-300, "erf′ (2 levels)");
        assert_close(h, d2, 1e-14, 1e-300, "erf″");
        let (v, g, h, t) = nilpotent::third_derivative(|x| x.custom(&Erf), x);
        assert!(same_f64(v, erf(x)));
        assert_close(g, d1, 1e-15, 1e-300, "erf′ (3 levels)");
        assert_close(h, d2, 1e-14, 1e-300, "erf″ (3 levels)");
        assert_close(t, d3, 1e-14, 1e-14, "erf‴");
        // a composition: (erf(x²))″ = 2 erf′(x²) + 4x² erf″(x²)
        let u = x * x;
        let want = 2.0 * erf_d1(u) + 4.0 * u * (-2.0 * u * erf_d1(u));
        let (_, _, h) = nilpotent::second_derivative(|x| (x * x).custom(&Erf), x);
        assert_close(h, want, 1e-13, 1e-13, "(erf(x²))″");
    }
}

#[test]
fn logsumexp_forward_gradient_and_hessian_closed_forms() {
    let mut rng = Rng::for_test("lse_forward");
    for x in points(&mut rng) {
        let mut p = vec![0.0; 3];
        softmax(&x, &mut p);
        let lse_t = |x: &[_]| Custom::custom_n(&Lse, x);
        let (v, g) = nilpotent::gradient(lse_t, &x);
        assert!(same_f64(v, lse(&x)));
        let g_fd = fd_gradient(lse, &x);
        let (v2, g2, h) = nilpotent::hessian(|x| Custom::custom_n(&Lse, x), &x);
        assert!(same_f64(v2, lse(&x)));
        for i in 0..3 {
            assert_close(g[i], p[i], 1e-14, 1e-300, "softmax");
            assert_close(g2[i], p[i], 1e-14, 1e-300, "softmax (Hessian pass)");
            assert_close(g[i], g_fd[i], 1e-8, 1.0, "softmax vs differences");
            for j in 0..3 {
                let want = if i == j { p[i] } else { 0.0 } - p[i] * p[j];
                assert_close(h[(i, j)], want, 1e-13, 1e-14, "∂² logsumexp");
            }
        }
    }
}

#[test]
fn logsumexp_third_order_against_differences_of_the_second() {
    // g(t) = lse(t, 2t, −t): g‴ by three nested levels against differences of g″ (forward AD)
    fn g<T: Custom>(t: T) -> T {
        T::custom_n(&Lse, &[t, t + t, -t])
    }
    for t in [0.0, 1.0, -1.0, 0.37] {
        let (v, _, h, third) = nilpotent::third_derivative(g, t);
        assert!(same_f64(v, lse(&[t, 2.0 * t, -t])));
        let h_fd = fd1(|t| nilpotent::second_derivative(g, t).2, t);
        assert_close(third, h_fd, 1e-8, 1.0, "lse‴");
        let (_, _, h2) = nilpotent::second_derivative(g, t);
        assert!(same_f64(h, h2));
    }
}

#[test]
fn forward_zero_lanes_stay_zero_where_the_derivative_is_infinite() {
    // ∛x at 0 has derivative +∞: the lane of x₁, which does not go through it, stays exact
    let x = [Dual::<f64, 2>::variable(0.0, 0), Dual::variable(2.0, 1)];
    let y = x[0].custom(&Cbrt) + x[1];
    assert_eq!(y.eps[0], f64::INFINITY);
    assert_eq!(y.eps[1], 1.0);
    let (_, g) = reverse::gradient(|x| x[0].custom(&Cbrt) + x[1], &[0.0, 2.0]);
    assert_eq!(g, vec![f64::INFINITY, 1.0]);
    // a constant argument gives a constant: no derivative, however singular
    let c = Dual::<f64, 2>::constant(0.0).custom(&Cbrt);
    assert_eq!(c.eps, [0.0, 0.0]);
}

// ---------------------------------------------------------------- reverse mode

#[test]
fn reverse_gradient_and_forward_over_reverse_hessian_of_the_test_function() {
    let mut rng = Rng::for_test("reverse");
    for x in points(&mut rng) {
        let (v, g) = reverse::gradient(f, &x);
        let (vf, gf) = nilpotent::gradient(f, &x);
        assert!(same_f64(v, f(&x)));
        assert!(same_f64(vf, f(&x)));
        let g_fd = fd_gradient(f::<f64>, &x);
        for i in 0..3 {
            assert_close(g[i], g_fd[i], 1e-8, 1.0, "reverse gradient vs differences");
            assert_close(g[i], gf[i], 1e-14, 1e-14, "reverse vs forward gradient");
        }
        // Hessian: forward over reverse, forward over forward, against differences of the gradient
        let (vh, gh, h) = reverse::hessian(f, &x);
        let (_, _, hf) = nilpotent::hessian(f, &x);
        assert!(same_f64(vh, f(&x)));
        let h_fd = fd_jacobian(|x| reverse::gradient(f, x).1, &x);
        for i in 0..3 {
            assert_close(gh[i], g[i], 1e-14, 1e-14, "gradient of the Hessian pass");
            for j in 0..3 {
                assert_close(
                    h[(i, j)],
                    h_fd[i][j],
                    1e-8,
                    1.0,
                    "Var<Dual> Hessian vs differences",
                );
                assert_close(
                    h[(i, j)],
                    hf[(i, j)],
                    1e-12,
                    1e-12,
                    "Var<Dual> vs Dual<Dual>",
                );
            }
        }
    }
}

#[test]
fn reverse_erf_closed_forms_and_the_trace_names_the_rule() {
    for x0 in [0.0, 1.0, -1.0, 0.8] {
        let x = [x0, 3.0];
        let (_, g) = reverse::gradient(|x| x[0].custom(&Erf) * x[1], &x);
        assert_close(g[0], erf_d1(x0) * 3.0, 1e-15, 1e-300, "∂/∂x₀");
        assert!(same_f64(g[1], erf(x0)));
        let (_, _, h) = reverse::hessian(|x| x[0].custom(&Erf) * x[1], &x);
        assert_close(
            h[(0, 0)],
            -2.0 * x0 * erf_d1(x0) * 3.0,
            1e-14,
            1e-300,
            "H₀₀",
        );
        assert_close(h[(0, 1)], erf_d1(x0), 1e-15, 1e-300, "H₀₁");
        assert_eq!(h[(1, 1)], 0.0);
    }
    let mut tape = Tape::new();
    tape.set_tracing(true);
    let y = tape.record(&[0.5, 1.0, 2.0], |x| {
        x[0].custom(&Erf) + Custom::custom_n(&Lse, x)
    });
    let g = tape.backward(y).to_vec();
    let trace = tape.trace().to_string();
    assert!(trace.contains("erf(v₋₂)"), "{trace}");
    assert!(trace.contains("logsumexp(v₋₂, v₋₁)"), "{trace}");
    assert!(trace.contains("logsumexp(…"), "{trace}");
    let mut p = [0.0; 3];
    softmax(&[0.5, 1.0, 2.0], &mut p);
    assert_close(g[0], erf_d1(0.5) + p[0], 1e-15, 1e-300, "traced gradient");
    assert_close(g[2], p[2], 1e-15, 1e-300, "traced gradient");
}

// ---------------------------------------------------------------- graph mode

#[test]
fn graph_gradient_and_hessian_graphs_against_the_other_modes() {
    let mut rng = Rng::for_test("graph");
    let g = Graph::record(&[0.3, 0.7, -0.2], f);
    let grad = g.gradient();
    let hess = g.hessian();
    for x in points(&mut rng) {
        let v = g.eval(&x).unwrap();
        assert!(
            same_f64(v[0], f(&x)),
            "the graph's value is f's bit for bit"
        );
        let gg = grad.eval(&x).unwrap();
        let (_, gr) = reverse::gradient(f, &x);
        let hh = hess.eval(&x).unwrap();
        let (_, _, hr) = reverse::hessian(f, &x);
        let h_fd = fd_jacobian(|x| reverse::gradient(f, x).1, &x);
        assert!(same_f64(gg[0], f(&x)));
        for i in 0..3 {
            assert_close(gg[1 + i], gr[i], 1e-14, 1e-14, "graph vs tape gradient");
            for j in 0..3 {
                let hij = hh[4 + 3 * i + j];
                assert_close(hij, hr[(i, j)], 1e-12, 1e-12, "graph vs tape Hessian");
                assert_close(hij, h_fd[i][j], 1e-8, 1.0, "graph Hessian vs differences");
            }
        }
    }
    // a third derivative graph: the Hessian graph's Jacobian, against differences of H
    let third = Graph::record(&[0.3, 0.7, -0.2], |x| hess_entry(x, 0, 0)).gradient();
    for x in [[0.3, 0.7, -0.2], [1.0, -1.0, 1.0]] {
        let t = third.eval(&x).unwrap();
        let t_fd = fd_gradient(|x| reverse::hessian(f, x).2[(0, 0)], &x);
        for k in 0..3 {
            assert_close(t[1 + k], t_fd[k], 1e-7, 1.0, "∂H₀₀/∂xₖ");
        }
    }
}

/// H[i][j] of [`f`] recorded on `Sym` by a graph of graphs: recorded into the current graph by
/// running the Hessian graph's operations on `Sym` (via forward over forward on `Sym`).
fn hess_entry(x: &[Sym], i: usize, j: usize) -> Sym {
    let (_, _, h) = nilpotent::hessian(f, x);
    h[(i, j)]
}

#[test]
fn graph_listing_and_drawing_name_the_rules() {
    let g = Graph::record(&[0.5, 1.0], |x| {
        x[0].custom(&Erf) + Custom::custom_n(&Lse, &[x[0], x[1]])
    });
    let listing = g.to_string();
    assert!(listing.contains("= erf(v0)"), "{listing}");
    assert!(listing.contains("= logsumexp(v0, v1)"), "{listing}");
    let dot = g.to_dot();
    assert!(dot.contains("erf\""), "{dot}");
    assert!(dot.contains("logsumexp\""), "{dot}");
    // the derivative graph's nodes are ordinary operations (erf′ = 2/√π·e^(−x²))
    let grad = g.gradient().to_string();
    assert!(grad.contains("exp"), "{grad}");
}

#[test]
fn graph_shares_folds_and_keeps_rules_with_data_apart() {
    // the same zero-sized rule on the same operand: one node
    let g = Graph::record(&[0.5], |x| x[0].custom(&Erf) + x[0].custom(&Erf));
    assert_eq!(g.len(), 2, "{g}");
    assert!(same_f64(g.eval(&[0.25]).unwrap()[0], erf(0.25) + erf(0.25)));
    // rules that carry data are never merged, whatever the data
    let g = Graph::record(&[0.5], |x| {
        x[0].custom(&Scale(2.0)) + x[0].custom(&Scale(3.0)) + x[0].custom(&Scale(3.0))
    });
    assert_eq!(g.len(), 5, "{g}");
    assert_eq!(g.eval(&[1.0]).unwrap()[0], 8.0);
    assert_eq!(g.gradient().eval(&[1.0]).unwrap()[1], 8.0);
    // constant operands: folded by calling the rule
    let g = Graph::record(&[0.5], |x| x[0] + Sym::constant(0.5).custom(&Erf));
    assert_eq!(g.len(), 1, "{g}");
    assert!(same_f64(g.eval(&[0.0]).unwrap()[0], erf(0.5)));
    let g = Graph::record(&[0.5], |x| {
        x[0] * Sym::custom_n(&Lse, &[Sym::constant(1.0), Sym::constant(2.0)])
    });
    assert_eq!(g.len(), 1, "{g}");
    // an operand that is a constant among variables is a constant node
    let g = Graph::record(&[0.5], |x| Sym::custom_n(&Lse, &[x[0], Sym::constant(2.0)]));
    assert!(same_f64(g.eval(&[1.0]).unwrap()[0], lse(&[1.0, 2.0])));
    let gg = g.gradient().eval(&[1.0]).unwrap();
    let mut p = [0.0; 2];
    softmax(&[1.0, 2.0], &mut p);
    assert_close(gg[1], p[0], 1e-15, 1e-300, "∂/∂x₀ with a constant operand");
}

#[test]
fn graph_interpreter_on_dual_numbers_is_forward_mode() {
    let x = [0.4, -0.9, 1.1];
    let g = Graph::record(&x, f);
    let grad = g.gradient().eval(&x).unwrap();
    let mut e = g.program().evaluator::<Dual<f64, 3>>();
    let xd: Vec<Dual<f64, 3>> = (0..3).map(|i| Dual::variable(x[i], i)).collect();
    let y = e.eval(&xd).unwrap();
    assert!(same_f64(y[0].re, f(&x)));
    for i in 0..3 {
        assert_close(y[0].eps[i], grad[1 + i], 1e-14, 1e-14, "graph on duals");
    }
    // f32: computed in f64 and rounded, at the custom nodes
    let mut e32 = g.program().evaluator::<f32>();
    let y32 = e32.eval(&[0.4f32, -0.9, 1.1]).unwrap();
    assert_close(f64::from(y32[0]), f(&x), 1e-6, 1.0, "graph on f32");
    let mut e32d = g.program().evaluator::<Dual<f32, 3>>();
    let x32: Vec<Dual<f32, 3>> = (0..3).map(|i| Dual::variable(x[i] as f32, i)).collect();
    let y32d = e32d.eval(&x32).unwrap();
    assert_eq!(y32d[0].re, y32[0]);
    for i in 0..3 {
        assert_close(
            f64::from(y32d[0].eps[i]),
            grad[1 + i],
            1e-5,
            1.0,
            "graph on f32 duals",
        );
    }
}

#[test]
#[should_panic(
    expected = "the custom rule `erf` on f64, f32 and dual numbers over them (first derivatives), not on dual numbers over nilpotent::forward::dual::Dual<f64, 1>"
)]
fn graph_interpreter_on_nested_duals_names_the_rule() {
    let g = Graph::record(&[0.4], |x| x[0].custom(&Erf));
    let mut e = g.program().evaluator::<Dual<Dual<f64, 1>, 1>>();
    let x = Dual::new(Dual::new(0.4, [1.0]), [Dual::new(1.0, [0.0])]);
    let _ = e.eval(&[x]);
}

#[test]
fn sparse_patterns_and_derivatives_see_custom_nodes_as_nonlinear() {
    // x₀, x₁ meet in log-sum-exp (nonlinear in both), x₂ only in erf, x₃ linearly
    fn h<T: Custom>(x: &[T]) -> T {
        T::custom_n(&Lse, &[x[0], x[1]]) + x[2].custom(&Erf) + x[3]
    }
    let x = [0.2, -0.4, 0.9, 1.5];
    let g = Graph::record(&x, h);
    let p = sparse::hessian_pattern(&g);
    let entries: Vec<_> = p.entries().collect();
    assert_eq!(entries, [(0, 0), (1, 0), (0, 1), (1, 1), (2, 2)]);
    let (v, grad, hs) = sparse::hessian(h, &x);
    let (vd, gd, hd) = reverse::hessian(h, &x);
    assert!(same_f64(v, vd));
    for i in 0..4 {
        assert_close(grad[i], gd[i], 1e-15, 1e-300, "sparse gradient");
        for j in 0..4 {
            let sij = hs.get_entry(i, j).map_or(0.0, |e| e.into_value());
            assert_close(sij, hd[(i, j)], 1e-14, 1e-14, "sparse Hessian");
        }
    }
    // Jacobian of a vector function through custom nodes (graph on Dual<f64, N>)
    let gv = |x: &[Sym]| vec![x[0].custom(&Erf) * x[1], Sym::custom_n(&Lse, &[x[1], x[2]])];
    let (_, jac) = sparse::jacobian(gv, &x[..3]);
    let jp = sparse::jacobian_pattern(&Graph::record_vec(&x[..3], gv));
    assert_eq!(
        jp.entries().collect::<Vec<_>>(),
        [(0, 0), (0, 1), (1, 1), (1, 2)]
    );
    assert_close(
        jac.get_entry(0, 0).unwrap().into_value(),
        erf_d1(0.2) * -0.4,
        1e-15,
        1e-300,
        "sparse Jacobian",
    );
}

// ---------------------------------------------------------------- emitted Rust, JIT

mod generated {
    include!("../../generated/custom_emitted.rs");
}

/// The graphs emitted into `tests/generated/custom_emitted.rs`.
fn emitted_graphs() -> Vec<(&'static str, Graph)> {
    let g = Graph::record(&[0.3, 0.7, -0.2], f);
    vec![
        ("custom_value", g.clone()),
        ("custom_gradient", g.gradient()),
        ("custom_hessian", g.hessian()),
        (
            "black_box_gradient",
            Graph::record(&[0.3, 0.7, -0.2], f_box).gradient(),
        ),
    ]
}

fn emitted_file() -> String {
    let mut s = String::from(
        "// @generated by tests/suite/base/custom.rs: do not edit.\n// Regenerate with \
         `NILPOTENT_BLESS=1 cargo test --test suite base::custom`.\n\n",
    );
    for (name, g) in emitted_graphs() {
        s.push_str(&g.to_rust(name));
        s.push('\n');
    }
    s
}

#[test]
fn generated_code_is_fresh() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/generated/custom_emitted.rs"
    );
    let fresh = emitted_file();
    if std::env::var_os("NILPOTENT_BLESS").is_some() {
        std::fs::write(path, &fresh).unwrap();
    }
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == fresh,
        "{path} is stale: regenerate with NILPOTENT_BLESS=1 cargo test --test suite base::custom"
    );
}

#[test]
fn emitted_code_calls_the_rust_paths_and_equals_the_interpreter_bit_for_bit() {
    let fns: [(&str, nilpotent::graph::EmittedFn); 4] = [
        ("custom_value", generated::custom_value),
        ("custom_gradient", generated::custom_gradient),
        ("custom_hessian", generated::custom_hessian),
        ("black_box_gradient", generated::black_box_gradient),
    ];
    let src = emitted_file();
    assert!(
        src.contains("crate::erf(v"),
        "emits a call of the rule's path"
    );
    assert!(
        src.contains("crate::lse(&[v"),
        "emits a call of the rule's path"
    );
    assert!(src.contains("crate::erf_d1(v"), "the derivative's path");
    assert!(src.contains("crate::softmax(&[v"), "the gradient's path");
    let mut rng = Rng::for_test("emitted");
    for ((name, g), (fname, func)) in emitted_graphs().into_iter().zip(fns) {
        assert_eq!(name, fname);
        for x in points(&mut rng) {
            let want = g.eval(&x).unwrap();
            let mut out = vec![0.0; want.len()];
            func(&x, &mut out).unwrap();
            for (k, (a, b)) in out.iter().zip(&want).enumerate() {
                assert!(
                    same_f64(*a, *b),
                    "{name} output {k} at {x:?}: {a:e} vs {b:e}"
                );
            }
        }
    }
}

#[test]
fn emission_without_a_rust_path_is_an_error_naming_the_rule() {
    let g = Graph::record(&[1.0], |x| x[0].custom(&Scale(2.0)));
    let e = g.try_to_rust("scaled").unwrap_err();
    assert_eq!(e.rule, "scale");
    assert!(e.to_string().contains("custom rule `scale`"), "{e}");
    let caught = std::panic::catch_unwind(|| g.to_rust("scaled")).unwrap_err();
    let msg = caught.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("Graph::to_rust") && msg.contains("custom rule `scale`"),
        "{msg}"
    );
}

#[cfg(feature = "jit")]
#[test]
fn the_jit_refuses_custom_rules_by_name() {
    use nilpotent::graph::CompileError;
    let g = Graph::record(&[1.0, 2.0, 0.5], f).gradient();
    let e = g.compile().unwrap_err();
    assert_eq!(
        e,
        CompileError::CustomRule {
            rule: "erf".to_string()
        }
    );
    assert!(e.to_string().contains("custom rule `erf`"), "{e}");
    // a graph without custom rules still compiles
    let plain = Graph::record(&[1.0], |x| x[0].sin());
    assert!(plain.compile().is_ok());
}

// ---------------------------------------------------------------- black boxes (FirstOrder)

#[test]
fn black_boxes_give_first_derivatives_in_every_mode() {
    let mut rng = Rng::for_test("black_box");
    let g = Graph::record(&[0.3, 0.7, -0.2], f_box);
    let grad = g.gradient();
    for x in points(&mut rng) {
        assert!(same_f64(f_box(&x), f(&x)));
        let (_, want) = reverse::gradient(f, &x);
        let (vf, gf) = nilpotent::gradient(f_box, &x);
        let (vr, gr) = reverse::gradient(f_box, &x);
        let gg = grad.eval(&x).unwrap();
        assert!(same_f64(vf, f(&x)) && same_f64(vr, f(&x)) && same_f64(gg[0], f(&x)));
        for i in 0..3 {
            assert_close(gf[i], want[i], 1e-14, 1e-14, "forward, black box");
            assert_close(gr[i], want[i], 1e-14, 1e-14, "reverse, black box");
            assert_close(gg[1 + i], want[i], 1e-14, 1e-14, "graph, black box");
        }
        // forward mode on the graph (first order)
        let xd: Vec<Dual<f64, 3>> = (0..3).map(|i| Dual::variable(x[i], i)).collect();
        let y = g.program().evaluator::<Dual<f64, 3>>().eval(&xd).unwrap();
        for (e, w) in y[0].eps.iter().zip(&want) {
            assert_close(*e, *w, 1e-14, 1e-14, "graph on duals, black box");
        }
    }
    // the listing names the derivative nodes
    let listing = grad.to_string();
    assert!(listing.contains("erf_box′(v0)"), "{listing}");
    assert!(listing.contains("∂0 lse_box("), "{listing}");
    // a black box whose operands carry no derivative at the second level is fine
    let (_, _, h) = nilpotent::hessian(
        |x| x[0] * x[1] + Dual::constant(Dual::constant(0.5)).custom(&FirstOrder(ErfBox)),
        &[1.0, 2.0],
    );
    assert_eq!(h[(0, 1)], 1.0);
}

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let e = std::panic::catch_unwind(f).expect_err("expected a panic");
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap()
}

#[test]
fn black_boxes_refuse_second_derivatives_naming_the_rule() {
    let expected = "the custom rule `erf_box` has its derivative as an f64 function only";
    let cases: Vec<(&str, String)> = vec![
        (
            "nested duals",
            panic_message(|| {
                nilpotent::second_derivative(|x| x.custom(&FirstOrder(ErfBox)), 0.3);
            }),
        ),
        (
            "forward over reverse",
            panic_message(|| {
                reverse::hessian(|x| x[0].custom(&FirstOrder(ErfBox)), &[0.3]);
            }),
        ),
        (
            "Hessian graph",
            panic_message(|| {
                Graph::record(&[0.3], |x| x[0].custom(&FirstOrder(ErfBox))).hessian();
            }),
        ),
    ];
    for (what, msg) in cases {
        assert!(msg.contains(expected), "{what}: {msg}");
        assert!(msg.contains("no second or higher ones"), "{what}: {msg}");
    }
    let msg = panic_message(|| {
        nilpotent::hessian(|x| Custom::custom_n(&FirstOrder(LseBox), x), &[0.3, 0.1]);
    });
    assert!(msg.contains("the custom rule `lse_box`"), "{msg}");
    let msg = panic_message(|| {
        let g = Graph::record(&[0.3, 0.1], |x| Custom::custom_n(&FirstOrder(LseBox), x));
        g.hessian();
    });
    assert!(msg.contains("the custom rule `lse_box`"), "{msg}");
}

// ---------------------------------------------------------------- branches

/// |x| with a derivative that branches: on `Sym` the branch becomes a guard of derivative graphs.
#[derive(Clone, Copy, Debug)]
struct BranchyAbs;

impl UnaryRule for BranchyAbs {
    fn name(&self) -> &'static str {
        "branchy_abs"
    }
    fn value(&self, x: f64) -> f64 {
        x.abs()
    }
    fn derivative<T: Custom>(&self, x: T) -> T {
        if x > T::zero() { T::one() } else { -T::one() }
    }
}

#[test]
fn a_branch_in_the_derivative_is_a_guard_of_derivative_graphs() {
    let g = Graph::record(&[2.0], |x| x[0].custom(&BranchyAbs) * x[0]);
    // the value is one call: no guard, right on both sides
    assert_eq!(g.num_guards(), 0);
    assert_eq!(g.eval(&[-3.0]).unwrap(), vec![-9.0]);
    // the derivative's branch, taken at 2, is checked at every evaluation
    let grad = g.gradient();
    assert_eq!(grad.num_guards(), 1);
    assert_eq!(grad.eval(&[3.0]).unwrap(), vec![9.0, 6.0]);
    assert!(matches!(
        grad.eval(&[-3.0]),
        Err(nilpotent::graph::GraphError::Guard { .. })
    ));
    // the other modes take the branch at each point
    assert_eq!(
        reverse::gradient(|x| x[0].custom(&BranchyAbs) * x[0], &[-3.0]).1,
        vec![6.0]
    );
}

// ---------------------------------------------------------------- rules that record graphs

/// x·sin x, by recording a graph of it (at 0.5) and evaluating that at x: a nested recording when
/// the rule is applied to a `Sym`.
fn x_sin_x_by_a_graph(x: f64) -> f64 {
    Graph::record(&[0.5], |v| v[0] * v[0].sin())
        .eval(&[x])
        .unwrap()[0]
}

/// sin x + x·cos x, the derivative of x·sin x, by a graph recorded at 0.5.
fn derivative_by_a_graph(x: f64) -> f64 {
    Graph::record(&[0.5], |v| v[0].sin() + v[0] * v[0].cos())
        .eval(&[x])
        .unwrap()[0]
}

/// x·sin x, whose value records and evaluates a graph of its own.
#[derive(Clone, Copy, Debug)]
struct RecordsItsValue;

impl UnaryRule for RecordsItsValue {
    fn name(&self) -> &'static str {
        "records_its_value"
    }
    fn value(&self, x: f64) -> f64 {
        x_sin_x_by_a_graph(x)
    }
    fn derivative<T: Custom>(&self, x: T) -> T {
        x.sin() + x * x.cos()
    }
}

/// x·sin x with an `f64` derivative only, both recording and evaluating a graph of their own.
#[derive(Clone, Copy, Debug)]
struct RecordsItsDerivative;

impl FirstOrderUnary for RecordsItsDerivative {
    fn name(&self) -> &'static str {
        "records_its_derivative"
    }
    fn value(&self, x: f64) -> f64 {
        x_sin_x_by_a_graph(x)
    }
    fn derivative(&self, x: f64) -> f64 {
        derivative_by_a_graph(x)
    }
}

/// x₀·x₁ with an `f64` gradient only, value and gradient by graphs of their own (the gradient by
/// a gradient graph).
#[derive(Clone, Copy, Debug)]
struct RecordsItsGradient;

impl FirstOrderGradient for RecordsItsGradient {
    fn name(&self) -> &'static str {
        "records_its_gradient"
    }
    fn value(&self, x: &[f64]) -> f64 {
        Graph::record(&[0.5, 0.25], |v| v[0] * v[1])
            .eval(x)
            .unwrap()[0]
    }
    fn gradient(&self, x: &[f64], grad: &mut [f64]) {
        let g = Graph::record(&[0.5, 0.25], |v| v[0] * v[1]).gradient();
        grad.copy_from_slice(&g.eval(x).unwrap()[1..]);
    }
}

/// Issue 20, item 9 ("custom rule recording a graph"): a custom rule whose value (or `f64`
/// derivative) records a graph ran while the thread's recording was borrowed, and panicked with
/// an internal "RefCell already borrowed" when applied to a `Sym`. Recorded, differentiated
/// and evaluated at other points, each graph equals the `f64` closed forms: the values bit for
/// bit, the derivatives within a few ulps (the derivative graph may round in another order).
#[test]
fn custom_rule_recording_a_graph() {
    let mut rng = Rng::for_test("records_a_graph");
    fn unary<T: Custom>(x: &[T]) -> T {
        x[0].custom(&RecordsItsValue) * x[1]
    }
    fn first_order<T: Custom>(x: &[T]) -> T {
        x[0].custom(&FirstOrder(RecordsItsDerivative)) * x[1]
    }
    fn gradient_rule<T: Custom>(x: &[T]) -> T {
        T::custom_n(&FirstOrder(RecordsItsGradient), &[x[0].sin(), x[1]])
    }
    let x0 = [0.7, 1.3];
    let cases: [(&str, Graph); 3] = [
        ("UnaryRule", Graph::record(&x0, unary)),
        ("FirstOrderUnary", Graph::record(&x0, first_order)),
        ("FirstOrderGradient", Graph::record(&x0, gradient_rule)),
    ];
    for (what, g) in &cases {
        // the recording point's value, computed while recording
        let want = if *what == "FirstOrderGradient" {
            x0[0].sin() * x0[1]
        } else {
            x0[0] * x0[0].sin() * x0[1]
        };
        assert!(
            same_f64(g.recorded_outputs()[0], want),
            "{what}: recorded value"
        );
        let grad = g.gradient();
        for _ in 0..10 {
            let x = rng.vec(2, -2.0, 2.0);
            let (a, b) = (x[0], x[1]);
            let (value, da, db) = if *what == "FirstOrderGradient" {
                (a.sin() * b, a.cos() * b, a.sin())
            } else {
                (a * a.sin() * b, (a.sin() + a * a.cos()) * b, a * a.sin())
            };
            assert!(same_f64(g.eval(&x).unwrap()[0], value), "{what} at {x:?}");
            let y = grad.eval(&x).unwrap();
            assert!(same_f64(y[0], value), "{what}: gradient graph at {x:?}");
            assert_close(y[1], da, 1e-15, 1e-15, &format!("{what}: ∂/∂x0 at {x:?}"));
            assert_close(y[2], db, 1e-15, 1e-15, &format!("{what}: ∂/∂x1 at {x:?}"));
        }
    }
}

// ---------------------------------------------------------------- literals in a rule

/// x³ with its derivative written with a literal, `T::lit(3.0) * x * x`: the way a rule writes a
/// literal, since `x * 3.0` cannot be written for every type a derivative meets (`Custom::lit`).
#[derive(Clone, Copy, Debug)]
struct Cube;

impl UnaryRule for Cube {
    fn name(&self) -> &'static str {
        "cube"
    }
    fn value(&self, x: f64) -> f64 {
        x * x * x
    }
    fn derivative<T: Custom>(&self, x: T) -> T {
        T::lit(3.0) * x * x
    }
}

fn cube_times<T: Custom>(x: &[T]) -> T {
    x[0].custom(&Cube) * x[1]
}

/// The literal is a constant in every mode and at every order: the first to third derivatives
/// of x³ in forward mode (f64 and f32), the gradient and Hessian of x₀³·x₁ on the tape and as
/// graphs, against the closed forms 3x², 6x, 6, at 0, ±1 and random points.
#[test]
fn a_literal_inside_a_rule_is_t_lit_in_every_mode_and_order() {
    let mut rng = Rng::for_test("custom_lit");
    for x in scalars(&mut rng) {
        let (v, d1, d2, d3) = nilpotent::third_derivative(|x| x.custom(&Cube), x);
        assert!(same_f64(v, x * x * x));
        assert_close(d1, 3.0 * x * x, 1e-15, 1e-300, "(x³)′");
        assert_close(d2, 6.0 * x, 1e-15, 1e-300, "(x³)″");
        assert_eq!(d3, 6.0, "(x³)‴ at {x}");
        let x32 = x as f32;
        let (_, d1, d2) = nilpotent::second_derivative(|x| x.custom(&Cube), x32);
        assert_eq!(d1, 3.0 * x32 * x32, "(x³)′ in f32 at {x32}");
        assert_eq!(d2, 6.0 * x32, "(x³)″ in f32 at {x32}");
    }
    for p in points(&mut rng) {
        let x = [p[0], p[1]];
        let (a, b) = (x[0], x[1]);
        let grad = [3.0 * a * a * b, a * a * a];
        let hess = [[6.0 * a * b, 3.0 * a * a], [3.0 * a * a, 0.0]];
        let (_, g) = nilpotent::gradient(cube_times, &x);
        let (_, rg) = reverse::gradient(cube_times, &x);
        let (_, _, h) = nilpotent::hessian(cube_times, &x);
        let (_, _, rh) = reverse::hessian(cube_times, &x);
        let recorded = Graph::record(&x, cube_times);
        let gg = recorded.gradient().eval(&x).unwrap();
        let hg = recorded.hessian().eval(&x).unwrap();
        for i in 0..2 {
            for (what, got) in [("forward", g[i]), ("tape", rg[i]), ("graph", gg[1 + i])] {
                assert_close(
                    got,
                    grad[i],
                    1e-15,
                    1e-300,
                    &format!("{what} ∂{i} at {x:?}"),
                );
            }
            for j in 0..2 {
                let graph_h = hg[3 + 2 * i + j];
                for (what, got) in [
                    ("forward", h[(i, j)]),
                    ("tape", rh[(i, j)]),
                    ("graph", graph_h),
                ] {
                    assert_close(
                        got,
                        hess[i][j],
                        1e-15,
                        1e-300,
                        &format!("{what} H{i}{j} at {x:?}"),
                    );
                }
            }
        }
    }
}
