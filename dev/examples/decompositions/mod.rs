//! The functions shared by `dev/examples/nalgebra_decompositions.rs` and
//! `dev/examples/nalgebra_compile_time.rs`: nalgebra's decompositions as scalar functions of a
//! matrix's entries, the test point, central finite differences and a relative comparison.

use nalgebra::{DMatrix, DVector, RealField};

/// `M(x) = (A + Aᵀ)/2 + n·I` with `A` the n × n matrix of `x` (row-major): symmetric, and
/// positive definite with distinct eigenvalues for entries of `x` in (−1/2, 1/2) (diagonally
/// dominant); `A` itself for the SVD.
pub fn matrices<T: RealField + Copy>(x: &[T]) -> (DMatrix<T>, DMatrix<T>) {
    let n = (x.len() as f64).sqrt() as usize;
    assert_eq!(n * n, x.len(), "x must hold a square matrix");
    let a = DMatrix::from_row_slice(n, n, x);
    let half = T::from_subset(&0.5);
    let m = (&a + a.transpose()) * half + DMatrix::identity(n, n) * T::from_subset(&(n as f64));
    (a, m)
}

/// The right-hand side `b = (1, 2, …, n)` of the solves.
pub fn rhs<T: RealField + Copy>(n: usize) -> DVector<T> {
    DVector::from_fn(n, |i, _| T::from_subset(&(i as f64 + 1.0)))
}

/// Two entries of `M⁻¹` by `try_inverse` (the unrolled 4 × 4 formula at n = 4, LU above).
pub fn inverse<T: RealField + Copy>(x: &[T]) -> T {
    let (_, m) = matrices(x);
    let n = m.nrows();
    let inv = m.try_inverse().expect("M is invertible");
    inv[(0, 0)] + inv[(n - 1, 1)]
}

/// `Σ iᵢ·yᵢ` of the solution `y` of `M y = b` by LU with partial pivoting, plus `det M`.
pub fn lu<T: RealField + Copy>(x: &[T]) -> T {
    let (_, m) = matrices(x);
    let b = rhs(m.nrows());
    let lu = m.lu();
    let y = lu.solve(&b).expect("M is invertible");
    y.dot(&b) + lu.determinant()
}

/// The same through QR (Householder).
pub fn qr<T: RealField + Copy>(x: &[T]) -> T {
    let (_, m) = matrices(x);
    let b = rhs(m.nrows());
    let y = m.qr().solve(&b).expect("M is invertible");
    y.dot(&b)
}

/// The same through Cholesky, plus the last diagonal entry of the factor.
pub fn cholesky<T: RealField + Copy>(x: &[T]) -> T {
    let (_, m) = matrices(x);
    let n = m.nrows();
    let c = m.cholesky().expect("M is positive definite");
    c.solve(&rhs(n)).dot(&rhs(n)) + c.l()[(n - 1, n - 1)]
}

/// The nuclear norm `Σ σᵢ` of `A + n·I` (SVD; independent of the order of the singular values).
pub fn svd<T: RealField + Copy>(x: &[T]) -> T {
    let (a, _) = matrices(x);
    let n = a.nrows();
    let a = a + DMatrix::identity(n, n) * T::from_subset(&(n as f64));
    a.svd(true, true).singular_values.sum()
}

/// `Σ λᵢ³ = tr M³` from the symmetric eigendecomposition (independent of the eigenvalues' order),
/// plus `|v₀|²` of the first eigenvector (1).
pub fn eigen<T: RealField + Copy>(x: &[T]) -> T {
    let (_, m) = matrices(x);
    let e = m.symmetric_eigen();
    e.eigenvalues.map(|l| l * l * l).sum() + e.eigenvectors.column(0).norm_squared()
}

/// Inputs in (−1/2, 1/2) for an n × n matrix.
pub fn point(n: usize) -> Vec<f64> {
    (0..n * n)
        .map(|i| 0.45 * ((i as f64 + 1.0) * 1.618_033_988_749_895).sin())
        .collect()
}

/// Central finite differences of `f` at `x`.
pub fn finite_gradient(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
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

pub fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(1.0_f64, |s, w| s.max(w.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * scale,
            "{what}: entry {i} is {g}, expected {w} (tolerance {tol} × {scale})"
        );
    }
}
