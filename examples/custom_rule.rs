//! Custom derivative rules: the error function (from `libm`) with erf′(x) = 2/√π · e^(−x²), and a
//! black box ℝ² → ℝ with a known gradient, differentiated in every mode and checked against
//! finite differences.
//!
//! ```text
//! cargo run --example custom_rule
//! ```

use nilpotent::custom::{Custom, FirstOrder, FirstOrderGradient, GradientRule, UnaryRule};
use nilpotent::graph::Graph;
use nilpotent::{numeric, reverse};

/// erf, with its derivative written once, generically: every mode and every order uses it.
#[derive(Clone, Copy)]
struct Erf;

impl UnaryRule for Erf {
    fn name(&self) -> &'static str {
        "erf"
    }
    fn value(&self, x: f64) -> f64 {
        libm::erf(x)
    }
    fn derivative<T: Custom>(&self, x: T) -> T {
        T::lit(core::f64::consts::FRAC_2_SQRT_PI) * (-x * x).exp()
    }
}

/// The distance to the unit circle, ‖x‖ − 1, with its gradient x/‖x‖ (generic: Hessians work).
#[derive(Clone, Copy)]
struct CircleDistance;

impl GradientRule for CircleDistance {
    fn name(&self) -> &'static str {
        "circle_distance"
    }
    fn value(&self, x: &[f64]) -> f64 {
        x[0].hypot(x[1]) - 1.0
    }
    fn gradient<T: Custom>(&self, x: &[T], grad: &mut [T]) {
        let r = x[0].hypot(x[1]);
        grad[0] = x[0] / r;
        grad[1] = x[1] / r;
    }
}

/// A "solver" we can only call in f64, with an f64 gradient: first derivatives only.
#[derive(Clone, Copy)]
struct Solver;

impl FirstOrderGradient for Solver {
    fn name(&self) -> &'static str {
        "solver"
    }
    fn value(&self, x: &[f64]) -> f64 {
        x[0] * x[0] + 3.0 * x[1]
    }
    fn gradient(&self, x: &[f64], grad: &mut [f64]) {
        grad[0] = 2.0 * x[0];
        grad[1] = 3.0;
    }
}

/// A loss that uses all three rules.
fn loss<T: Custom>(x: &[T]) -> T {
    let d = T::custom_n(&CircleDistance, x);
    (x[0] * x[1]).custom(&Erf) + d * d
}

fn with_solver<T: Custom>(x: &[T]) -> T {
    loss(x) + T::custom_n(&FirstOrder(Solver), x)
}

fn main() {
    let x = [0.8, -0.3];

    // forward, reverse and graph mode: one rule, the same gradient
    let (value, g_fwd) = nilpotent::gradient(loss, &x);
    let (_, g_rev) = reverse::gradient(loss, &x);
    let graph = Graph::record(&x, loss);
    let g_graph = graph.gradient().eval(&x).unwrap();
    let g_fd = numeric::gradient(loss::<f64>, &x);
    println!("loss({x:?}) = {value:.12}");
    println!("gradient   forward {g_fwd:.12?}");
    println!("           reverse {g_rev:.12?}");
    println!("           graph   {:.12?}", &g_graph[1..]);
    println!("  finite differences {g_fd:.12?}");
    for i in 0..2 {
        assert!((g_fwd[i] - g_fd[i]).abs() < 1e-7);
        assert!((g_rev[i] - g_fwd[i]).abs() < 1e-14);
        assert!((g_graph[1 + i] - g_fwd[i]).abs() < 1e-14);
    }

    // second derivatives: nested duals, forward over reverse, the Hessian graph
    let (_, _, h_fwd) = nilpotent::hessian(loss, &x);
    let (_, _, h_rev) = reverse::hessian(loss, &x);
    let h_graph = graph.hessian().eval(&x).unwrap();
    let h_fd = numeric::jacobian(|x: &[f64]| reverse::gradient(loss, x).1, &x);
    println!("Hessian    forward {h_fwd:.8}");
    println!("  finite differences of the gradient {h_fd:.8}");
    for i in 0..2 {
        for j in 0..2 {
            assert!((h_fwd[(i, j)] - h_fd[(i, j)]).abs() < 1e-6);
            assert!((h_rev[(i, j)] - h_fwd[(i, j)]).abs() < 1e-12);
            assert!((h_graph[3 + 2 * i + j] - h_fwd[(i, j)]).abs() < 1e-12);
        }
    }

    // third derivative of erf: (4t² − 2)·erf′(t)
    let t = 0.7f64;
    let (_, d1, d2, d3) = nilpotent::third_derivative(|x| x.custom(&Erf), t);
    println!("erf at {t}: f′ = {d1:.12}, f″ = {d2:.12}, f‴ = {d3:.12}");
    assert!((d2 - (-2.0 * t * d1)).abs() < 1e-14);
    assert!((d3 - (4.0 * t * t - 2.0) * d1).abs() < 1e-14);

    // the graph names the rule
    println!("\n{graph}");

    // a black box: first derivatives in every mode ...
    let (_, g_box) = reverse::gradient(with_solver, &x);
    let g_box_fd = numeric::gradient(with_solver::<f64>, &x);
    println!("with the solver: gradient {g_box:.10?}, differences {g_box_fd:.10?}");
    assert!((g_box[0] - g_box_fd[0]).abs() < 1e-7);
    // ... and a clear panic where a second derivative is asked for (caught here to show it)
    std::panic::set_hook(Box::new(|_| {}));
    let hessian = std::panic::catch_unwind(|| nilpotent::hessian(with_solver, &x));
    let _ = std::panic::take_hook();
    let message = hessian.expect_err("the black box has no second derivative");
    println!(
        "hessian(with_solver): panics with\n  {}",
        message.downcast_ref::<String>().unwrap()
    );
}
