//! A curve fit by Levenberg–Marquardt (levenberg-marquardt 0.15) with the Jacobian from nilpotent:
//! y = a·exp(−b·t) + c fitted to 40 noisy samples.
//!
//! ```sh
//! cargo run --release --features levenberg-marquardt --example lm_curve_fit
//! ```
//!
//! The glue between nilpotent and the solver is the `impl Residuals` header (the model is
//! ordinary generic code over the struct's data) and `LeastSquares::new`: the lines marked
//! `// glue`.

use levenberg_marquardt::LevenbergMarquardt;
use nilpotent::Real;
use nilpotent::optim::{Residuals, levenberg_marquardt::LeastSquares};

/// Measurements `(t, y)`.
struct Decay {
    t: Vec<f64>,
    y: Vec<f64>,
}

impl Residuals for Decay {
    // glue: this header and the next line
    fn eval<T: Real>(&self, p: &[T]) -> Vec<T> {
        let (a, b, offset) = (p[0], p[1], p[2]);
        self.t
            .iter()
            .zip(&self.y) // the data (plain f64) enter as constants
            .map(|(&t, &y)| a * (-b * t).exp() + offset - y)
            .collect()
    }
}

fn main() {
    // samples of 2.5·exp(−1.3 t) + 0.4 with a deterministic ±0.01 "noise"
    let t: Vec<f64> = (0..40).map(|i| i as f64 * 0.1).collect();
    let y = t
        .iter()
        .enumerate()
        .map(|(i, &t)| 2.5 * (-1.3 * t).exp() + 0.4 + 0.01 * ((i * 7 % 5) as f64 - 2.0) / 2.0)
        .collect();
    let problem = LeastSquares::new(Decay { t, y }, &[1.0, 1.0, 0.0]); // glue
    let (fit, report) = LevenbergMarquardt::new().minimize(problem);
    let p = fit.x();
    println!(
        "a = {:.4}, b = {:.4}, c = {:.4} (true 2.5, 1.3, 0.4); ½‖r‖² = {:.3e}, {} evaluations, {:?}",
        p[0],
        p[1],
        p[2],
        report.objective_function,
        report.number_of_evaluations,
        report.termination
    );
    assert!(report.termination.was_successful());
    assert!((p[0] - 2.5).abs() < 0.02 && (p[1] - 1.3).abs() < 0.02 && (p[2] - 0.4).abs() < 0.02);
}
