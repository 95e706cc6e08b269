//! Node counts of the function, gradient and Hessian graphs of known functions.

use super::*;

// ---------------------------------------------------------------------------------------------
// 10. Node counts
// ---------------------------------------------------------------------------------------------

/// Operations in the function, gradient and Hessian graphs of a few test functions (printed with
/// `--nocapture`), and the cheap-gradient principle: the gradient graph (which contains the
/// function) has at most 5 times the function graph's operations.
#[test]
fn node_count_report_and_cheap_gradient() {
    let mut rng = Rng::for_test("graph node counts");
    let rosen_x = rng.vec(16, -1.0, 1.0);
    let det_x = rng.vec(9, -1.0, 1.0);
    let logistic_x = rng.vec(5, -1.0, 1.0);
    let cases: [(&str, Graph); 4] = [
        ("lecture (n = 2)", Graph::record(&[2.0, 5.0], lecture)),
        ("Rosenbrock (n = 16)", Graph::record(&rosen_x, rosenbrock)),
        ("3×3 determinant (n = 9)", Graph::record(&det_x, det3)),
        (
            "logistic loss (n = 5, 8 samples)",
            Graph::record(&logistic_x, logistic_loss),
        ),
    ];
    println!(
        "{:<34} {:>8} {:>9} {:>8} {:>7} {:>9}",
        "function", "f ops", "∇f ops", "H ops", "∇f / f", "H slots"
    );
    for (name, g) in &cases {
        let (grad, hess) = (g.gradient(), g.hessian());
        let ratio = grad.len() as f64 / g.len() as f64;
        println!(
            "{name:<34} {:>8} {:>9} {:>8} {ratio:>7.2} {:>9}",
            g.len(),
            grad.len(),
            hess.len(),
            hess.program().num_slots()
        );
        assert!(
            grad.len() <= 5 * g.len(),
            "{name}: the gradient graph has {} operations, the function {}",
            grad.len(),
            g.len()
        );
        // the gradient graph contains the function's operations, the Hessian graph the gradient's
        assert!(g.len() <= grad.len() && grad.len() <= hess.len());
        // the programs run every operation once (fused pairs count once) and check every guard
        assert!(grad.program().len() <= grad.len() + grad.num_guards());
    }
}
