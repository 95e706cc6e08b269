//! The compile-time case of `reverse::hessian` through nalgebra's `try_inverse`: forward over
//! reverse (`Var<Dual<f64, 8>>`) on the unrolled 4 × 4 inverse every `DMatrix` inverse
//! instantiates, and nothing else nested in the binary, so that its build time is that case's
//! (`dev/examples/nalgebra_compile_time.rs` builds it among a dozen others).
//!
//! ```sh
//! scripts/compile_time.sh 3 1200 nalgebra_reverse_hessian   # its compile time
//! cargo run --release -p nilpotent-dev --example nalgebra_reverse_hessian
//! ```
//!
//! Running it checks the Hessian against central second differences of the `f64` function
//! (relative error below 1e-5: the differences' own error).

use nalgebra::{DMatrix, RealField};
use nilpotent::reverse;

/// Two entries of `M⁻¹`, `M = (A + Aᵀ)/2 + 4·I` with `A` the 4 × 4 matrix of `x` (row-major).
fn inverse<T: RealField + Copy>(x: &[T]) -> T {
    let a = DMatrix::from_row_slice(4, 4, x);
    let m = (&a + a.transpose()) * T::from_subset(&0.5)
        + DMatrix::identity(4, 4) * T::from_subset(&4.0);
    let inv = m.try_inverse().expect("M is invertible");
    inv[(0, 0)] + inv[(3, 1)]
}

fn main() {
    let x: Vec<f64> = (0..16).map(|i| 0.3 * ((i as f64) * 1.3).sin()).collect();
    let (value, _, h) = reverse::hessian(inverse, &x);
    assert_eq!(value.to_bits(), inverse::<f64>(&x).to_bits());
    // central second differences of the f64 function
    let e = 1e-4;
    let f = |d: &[(usize, f64)]| {
        let mut y = x.clone();
        for &(i, s) in d {
            y[i] += s;
        }
        inverse::<f64>(&y)
    };
    let mut worst: f64 = 0.0;
    for i in 0..16 {
        for j in 0..16 {
            let fd = (f(&[(i, e), (j, e)]) - f(&[(i, e), (j, -e)]) - f(&[(i, -e), (j, e)])
                + f(&[(i, -e), (j, -e)]))
                / (4.0 * e * e);
            worst = worst.max((h[(i, j)] - fd).abs() / (1.0 + fd.abs()));
        }
    }
    assert!(worst < 1e-5, "Hessian vs second differences: {worst:e}");
    println!("value {value}, Hessian 16 × 16 within {worst:.1e} of second differences");
}
