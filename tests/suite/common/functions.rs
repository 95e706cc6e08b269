//! Test functions used by several modules, each defined once: generic over [`Float`] so that
//! every mode (and the `f64` oracle) runs the same operations, with closed-form derivatives where
//! they are short.

use nalgebra::DMatrix;
use num_traits::Float;

/// The lecture example f(x₁, x₂) = ln x₁ + x₁x₂ − sin x₂.
pub fn lecture<T: Float>(x: &[T]) -> T {
    x[0].ln() + x[0] * x[1] - x[1].sin()
}

/// The chained Rosenbrock function Σᵢ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)² (any n, 0 for n ≤ 1).
pub fn rosenbrock<T: Float>(x: &[T]) -> T {
    let c100 = T::from(100.0).unwrap();
    x.windows(2).fold(T::zero(), |s, w| {
        let a = w[1] - w[0] * w[0];
        let b = T::one() - w[0];
        s + c100 * a * a + b * b
    })
}

/// The gradient of [`rosenbrock`] in closed form.
pub fn rosenbrock_gradient(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    (0..n)
        .map(|i| {
            let mut g = 0.0;
            if i + 1 < n {
                g += -400.0 * x[i] * (x[i + 1] - x[i] * x[i]) - 2.0 * (1.0 - x[i]);
            }
            if i > 0 {
                g += 200.0 * (x[i] - x[i - 1] * x[i - 1]);
            }
            g
        })
        .collect()
}

/// The Hessian of [`rosenbrock`] in closed form.
pub fn rosenbrock_hessian(x: &[f64]) -> DMatrix<f64> {
    let n = x.len();
    let mut h = DMatrix::zeros(n, n);
    for i in 0..n.saturating_sub(1) {
        // the term 100(x_{i+1} − x_i²)² + (1 − x_i)²
        h[(i, i)] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
        h[(i, i + 1)] += -400.0 * x[i];
        h[(i + 1, i)] += -400.0 * x[i];
        h[(i + 1, i + 1)] += 200.0;
    }
    h
}

/// The extended Rosenbrock function (n even): Σ over the pairs (x₂ₖ, x₂ₖ₊₁) of
/// 100(x₂ₖ₊₁ − x₂ₖ²)² + (1 − x₂ₖ)², uncoupled between pairs.
pub fn extended_rosenbrock<T: Float>(x: &[T]) -> T {
    let (c100, one) = (T::from(100.0).unwrap(), T::one());
    x.chunks(2).fold(T::zero(), |s, p| {
        let a = p[1] - p[0] * p[0];
        let b = one - p[0];
        s + c100 * a * a + b * b
    })
}

/// The logistic loss over rows `[x (d), y]` written with `sum_map`, without a branch (one variant
/// of the loop body): y·log(1 + e^−z) + (1 − y)·log(1 + e^z), z = w·x — the benchmark of
/// `dev/examples/loops_graph.rs` and `loops_compiled.rs`.
pub fn logistic_rows<T: nilpotent::Real>(w: &[T], rows: &[T]) -> T {
    let d = w.len();
    nilpotent::sum_map(rows, d + 1, |r| {
        let z = (0..d).fold(T::zero(), |s, j| s + w[j] * r[j]);
        let y = r[d];
        y * (T::one() + (-z).exp()).ln() + (-y + 1.0) * (T::one() + z.exp()).ln()
    })
}
