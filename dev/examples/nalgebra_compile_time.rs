//! nalgebra's decompositions on dual numbers in an optimised build: `try_inverse`, LU, QR,
//! Cholesky, SVD and the symmetric eigendecomposition of a `DMatrix`, differentiated in forward
//! mode with 1, 4, 8 and 16 lanes (`Dual<f64, N>`), in nested forward mode (a Hessian on
//! `Dual<Dual<f64, 8>, 8>`, a Hessian-vector product on `Dual<Dual<f64, 8>, 1>`) and by forward
//! over reverse (`reverse::hessian`, `Var<Dual<f64, 8>>`).
//!
//! ```sh
//! scripts/compile_time.sh 1 1200 nalgebra_compile_time   # its compile time (minutes)
//! cargo run --release -p nilpotent-dev --example nalgebra_compile_time
//! ```
//!
//! A compile-time benchmark first (`dev/examples/nalgebra_decompositions.rs` is the smaller build CI
//! runs): the unrolled 4 × 4 inverse of `try_inverse` (every `DMatrix` inverse instantiates it,
//! whatever the size at run time) made rustc 1.95 crash inside LLVM's register coalescer on
//! `Dual<f64, 8>` and `Dual<f64, 16>`, and `reverse::hessian` through it took minutes. It then
//! checks every derivative against central finite differences of the `f64` function (relative
//! error below 1e-6), at a 4 × 4 matrix (the unrolled inverse) and a 5 × 5 one (LU), and the
//! second derivatives of the three second-order drivers against each other.

#[path = "decompositions/mod.rs"]
mod decompositions;

use decompositions::*;
use nalgebra::DVector;
use nilpotent::{Chunk, gradient_with, hessian, hvp, reverse};

/// The gradient of `$f` in forward mode with every chunk width, against finite differences.
macro_rules! check_gradients {
    ($name:literal, $f:ident, $x:expr) => {{
        let x: &[f64] = $x;
        let fd = finite_gradient($f::<f64>, x);
        let value = $f::<f64>(x);
        let (v1, g1) = gradient_with($f, x, Chunk::<1>);
        let (v4, g4) = gradient_with($f, x, Chunk::<4>);
        let (v8, g8) = gradient_with($f, x, Chunk::<8>);
        let (v16, g16) = gradient_with($f, x, Chunk::<16>);
        for (lanes, v, g) in [(1, v1, &g1), (4, v4, &g4), (8, v8, &g8), (16, v16, &g16)] {
            // the real parts are the f64 computation, bit for bit
            assert_eq!(
                v.to_bits(),
                value.to_bits(),
                "{}: value with {lanes} lanes",
                $name
            );
            assert_close(&format!("{} ({lanes} lanes)", $name), g, &fd, 1e-6);
        }
        println!(
            "{:>9} n = {}: value {value:.6}, gradient ok",
            $name,
            x.len()
        );
    }};
}

fn main() {
    for n in [4, 5] {
        let x = point(n);
        check_gradients!("inverse", inverse, &x);
        check_gradients!("lu", lu, &x);
        check_gradients!("qr", qr, &x);
        check_gradients!("cholesky", cholesky, &x);
        check_gradients!("svd", svd, &x);
        check_gradients!("eigen", eigen, &x);

        // second order through the inverse: forward over forward, forward over reverse and a
        // Hessian-vector product must agree, and the gradient must match finite differences
        let (value, g, h) = hessian(inverse, &x);
        assert_eq!(value.to_bits(), inverse::<f64>(&x).to_bits());
        assert_close(
            "forward hessian: gradient",
            &g,
            &finite_gradient(inverse::<f64>, &x),
            1e-6,
        );
        let (rvalue, rg, rh) = reverse::hessian(inverse, &x);
        assert_eq!(rvalue.to_bits(), value.to_bits());
        assert_close("reverse hessian: gradient", &rg, &g, 1e-12);
        assert_close("reverse hessian", rh.as_slice(), h.as_slice(), 1e-10);
        let v: Vec<f64> = (0..x.len()).map(|i| (i as f64 * 0.7).cos()).collect();
        let (_, _, hv) = hvp(inverse, &x, &v);
        assert_close(
            "hvp",
            &hv,
            (&h * DVector::from_column_slice(&v)).as_slice(),
            1e-10,
        );
        // and the Hessian's columns are finite differences of the gradient
        let fd_h: Vec<f64> = (0..x.len())
            .flat_map(|j| {
                let step = 1e-6;
                let (mut up, mut down) = (x.clone(), x.clone());
                up[j] += step;
                down[j] -= step;
                let (_, gu) = gradient_with(inverse, &up, Chunk::<8>);
                let (_, gd) = gradient_with(inverse, &down, Chunk::<8>);
                gu.iter()
                    .zip(gd)
                    .map(|(a, b)| (a - b) / (2.0 * step))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_close("forward hessian", h.as_slice(), &fd_h, 1e-6);
        println!("  hessian n = {}: forward, reverse and hvp agree", x.len());
    }
}
