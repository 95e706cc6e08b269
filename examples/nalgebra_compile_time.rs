//! nalgebra's decompositions on dual numbers in an optimised build: `try_inverse`, LU, QR,
//! Cholesky, SVD and the symmetric eigendecomposition of a `DMatrix`, differentiated in forward
//! mode with 1, 4, 8 and 16 lanes (`Dual<f64, N>`), in nested forward mode (a Hessian on
//! `Dual<Dual<f64, 8>, 8>`, a Hessian-vector product on `Dual<Dual<f64, 8>, 1>`) and by forward
//! over reverse (`reverse::hessian`, `Var<Dual<f64, 8>>`).
//!
//! ```sh
//! scripts/compile_time.sh 1 1200 nalgebra_compile_time   # its compile time (minutes)
//! cargo run --release --example nalgebra_compile_time
//! ```
//!
//! A compile-time benchmark first (`examples/nalgebra_decompositions.rs` is the smaller build CI
//! runs): the unrolled 4 × 4 inverse of `try_inverse` (every `DMatrix` inverse instantiates it,
//! whatever the size at run time) made rustc 1.95 crash inside LLVM's register coalescer on
//! `Dual<f64, 8>` and `Dual<f64, 16>`, and `reverse::hessian` through it took minutes. It then
//! checks every derivative against central finite differences of the `f64` function (relative
//! error below 1e-6), at a 4 × 4 matrix (the unrolled inverse) and a 5 × 5 one (LU), and the
//! second derivatives of the three second-order drivers against each other.

use nalgebra::{DMatrix, DVector, RealField};
use nilpotent::{Chunk, gradient_with, hessian, hvp, reverse};

/// `M(x) = (A + Aᵀ)/2 + n·I` with `A` the n × n matrix of `x` (row-major): symmetric, and
/// positive definite with distinct eigenvalues for entries of `x` in (−1/2, 1/2) (diagonally
/// dominant); `A` itself for the SVD.
fn matrices<T: RealField + Copy>(x: &[T]) -> (DMatrix<T>, DMatrix<T>) {
    let n = (x.len() as f64).sqrt() as usize;
    assert_eq!(n * n, x.len(), "x must hold a square matrix");
    let a = DMatrix::from_row_slice(n, n, x);
    let half = T::from_subset(&0.5);
    let m = (&a + a.transpose()) * half + DMatrix::identity(n, n) * T::from_subset(&(n as f64));
    (a, m)
}

/// The right-hand side `b = (1, 2, …, n)` of the solves.
fn rhs<T: RealField + Copy>(n: usize) -> DVector<T> {
    DVector::from_fn(n, |i, _| T::from_subset(&(i as f64 + 1.0)))
}

/// Two entries of `M⁻¹` by `try_inverse` (the unrolled 4 × 4 formula at n = 4, LU above).
fn inverse<T: RealField + Copy>(x: &[T]) -> T {
    let (_, m) = matrices(x);
    let n = m.nrows();
    let inv = m.try_inverse().expect("M is invertible");
    inv[(0, 0)] + inv[(n - 1, 1)]
}

/// `Σ iᵢ·yᵢ` of the solution `y` of `M y = b` by LU with partial pivoting, plus `det M`.
fn lu<T: RealField + Copy>(x: &[T]) -> T {
    let (_, m) = matrices(x);
    let b = rhs(m.nrows());
    let lu = m.lu();
    let y = lu.solve(&b).expect("M is invertible");
    y.dot(&b) + lu.determinant()
}

/// The same through QR (Householder).
fn qr<T: RealField + Copy>(x: &[T]) -> T {
    let (_, m) = matrices(x);
    let b = rhs(m.nrows());
    let y = m.qr().solve(&b).expect("M is invertible");
    y.dot(&b)
}

/// The same through Cholesky, plus the last diagonal entry of the factor.
fn cholesky<T: RealField + Copy>(x: &[T]) -> T {
    let (_, m) = matrices(x);
    let n = m.nrows();
    let c = m.cholesky().expect("M is positive definite");
    c.solve(&rhs(n)).dot(&rhs(n)) + c.l()[(n - 1, n - 1)]
}

/// The nuclear norm `Σ σᵢ` of `A + n·I` (SVD; independent of the order of the singular values).
fn svd<T: RealField + Copy>(x: &[T]) -> T {
    let (a, _) = matrices(x);
    let n = a.nrows();
    let a = a + DMatrix::identity(n, n) * T::from_subset(&(n as f64));
    a.svd(true, true).singular_values.sum()
}

/// `Σ λᵢ³ = tr M³` from the symmetric eigendecomposition (independent of the eigenvalues' order),
/// plus `|v₀|²` of the first eigenvector (1).
fn eigen<T: RealField + Copy>(x: &[T]) -> T {
    let (_, m) = matrices(x);
    let e = m.symmetric_eigen();
    e.eigenvalues.map(|l| l * l * l).sum() + e.eigenvectors.column(0).norm_squared()
}

/// Inputs in (−1/2, 1/2) for an n × n matrix.
fn point(n: usize) -> Vec<f64> {
    (0..n * n)
        .map(|i| 0.45 * ((i as f64 + 1.0) * 1.618_033_988_749_895).sin())
        .collect()
}

/// Central finite differences of `f` at `x`.
fn finite_gradient(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let h = 1e-6 * x[i].abs().max(1.0);
            let (mut up, mut down) = (x.to_vec(), x.to_vec());
            up[i] += h;
            down[i] -= h;
            (f(&up) - f(&down)) / (2.0 * h)
        })
        .collect()
}

fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(1.0_f64, |s, w| s.max(w.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * scale,
            "{what}: entry {i} is {g}, expected {w} (tolerance {tol} × {scale})"
        );
    }
}

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
