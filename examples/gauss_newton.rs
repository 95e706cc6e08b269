//! Nonlinear least squares by Gauss–Newton, with the Jacobian from automatic differentiation.
//!
//! Fit y = a·e^{−b·t} + c to 20 noisy samples. Gauss–Newton linearises the residuals r(θ) around
//! the current parameters, r(θ + δ) ≈ r + J δ, and takes the δ that minimises ‖r + J δ‖², i.e. the
//! solution of the normal equations JᵀJ δ = −Jᵀ r (solved here by Cholesky). The residual function
//! is written once, generically over `Real` (a `Float` that mixes with plain `f64` data); its
//! Jacobian J = ∂r/∂θ (20 × 3) comes from forward mode, the right mode for few parameters: one
//! pass of `Dual<f64, 8>` covers all three columns.
//!
//! Run with `cargo run --release --example gauss_newton`.

use nalgebra::{DMatrix, DVector};
use nilpotent::{Real, jacobian, reverse};

/// The residuals rᵢ(θ) = a·e^{−b·tᵢ} + c − yᵢ of the model at θ = (a, b, c), for any `Real`: the
/// data (tᵢ, yᵢ) are plain `f64` constants.
fn residuals<T: Real>(theta: &[T], data: &[(f64, f64)]) -> Vec<T> {
    let (a, b, c) = (theta[0], theta[1], theta[2]);
    data.iter()
        .map(|&(t, y)| a * (-b * t).exp() + c - y)
        .collect()
}

/// 20 samples of the model at `truth` on t ∈ [0, 4], with deterministic noise of amplitude 0.02
/// (a fixed pseudo-random sequence, so every run prints the same numbers).
fn synthetic_data(truth: [f64; 3]) -> Vec<(f64, f64)> {
    let mut state: u32 = 12345;
    (0..20)
        .map(|i| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = 0.02 * ((state >> 8) as f64 / (1u32 << 24) as f64 * 2.0 - 1.0);
            let t = 4.0 * i as f64 / 19.0;
            (t, truth[0] * (-truth[1] * t).exp() + truth[2] + noise)
        })
        .collect()
}

fn sum_sq(r: &[f64]) -> f64 {
    r.iter().map(|x| x * x).sum()
}

fn main() {
    let truth = [2.5, 1.3, 0.5];
    let data = synthetic_data(truth);
    let mut theta = vec![1.0, 1.0, 0.0]; // a rough start

    println!("iter   a          b          c            ‖r‖²         ‖δ‖");
    let mut converged = false;
    for iter in 0..50 {
        // r(θ) and J(θ) in one forward-mode evaluation
        let (r, j) = jacobian(|p| residuals(p, &data), &theta);
        let r = DVector::from_vec(r);
        let jt = j.transpose();
        let delta = (&jt * &j)
            .cholesky()
            .expect("JᵀJ is positive definite: the three columns of J are independent")
            .solve(&(-&jt * &r));
        println!(
            "{iter:3}   {:9.6}  {:9.6}  {:9.6}  {:11.5e}  {:9.2e}",
            theta[0],
            theta[1],
            theta[2],
            r.norm_squared(),
            delta.norm()
        );
        for (p, d) in theta.iter_mut().zip(delta.iter()) {
            *p += d;
        }
        // stop when the step is at the level of rounding in θ
        if delta.norm() <= 1e-12 * (1.0 + DVector::from_column_slice(&theta).norm()) {
            converged = true;
            break;
        }
    }
    assert!(converged, "Gauss–Newton did not converge in 50 iterations");

    let fit = sum_sq(&residuals(&theta, &data));
    println!(
        "\nfitted  a = {:.4}, b = {:.4}, c = {:.4}  (‖r‖² = {fit:.3e})",
        theta[0], theta[1], theta[2]
    );
    println!(
        "true    a = {:.4}, b = {:.4}, c = {:.4}  (‖r‖² = {:.3e} at the truth: the noise)",
        truth[0],
        truth[1],
        truth[2],
        sum_sq(&residuals(&truth, &data))
    );

    // The same Jacobian by reverse mode: one recording, one backward sweep per residual.
    let (_, j_fwd) = jacobian(|p| residuals(p, &data), &theta);
    let (_, j_rev): (_, DMatrix<f64>) = reverse::jacobian(|p| residuals(p, &data), &theta);
    println!(
        "\nforward vs reverse Jacobian ({}×{}): max |difference| = {:.1e}",
        j_fwd.nrows(),
        j_fwd.ncols(),
        (&j_fwd - &j_rev).amax()
    );
}
