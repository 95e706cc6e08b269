//! nalgebra on dual numbers: derivatives of matrix functions against closed forms (and finite
//! differences), the `ComplexField`/`RealField` methods, conversions, approx semantics and the
//! nalgebra-vector drivers.
//!
//! Random inputs come from a seeded SplitMix64 generator, so failures reproduce. Matrices are well
//! conditioned by construction (diagonally dominant, or `B·Bᵀ + n·I`, or `Q·diag(λ)·Qᵀ` with
//! separated λ), with condition numbers of order 10: every f64 computation of size n ≤ 7 then has a
//! rounding error of order n³·cond·ε ≈ 1e-13 relative, and the tolerances below (1e-10 relative
//! unless stated otherwise) sit three orders above it while any wrong derivative is O(1) off.

use approx::{assert_relative_eq, relative_eq};
use nalgebra::{
    ComplexField, DMatrix, DVector, Matrix3, RealField, SMatrix, SVector, Vector3, Vector4,
};
use nilpotent::linalg::{gradient_dvector, gradient_dvector_with, gradient_svector};
use nilpotent::{AllParts, Chunk, Dual, gradient};
use num_traits::Float;

use crate::common;
use common::Rng;

/// Number of independent directions per forward pass in these tests.
const K: usize = 3;
type D = Dual<f64, K>;
/// Second order along one direction: `x + t·dx` with both levels seeded.
type D2 = Dual<Dual<f64, 1>, 1>;

/// Relative tolerance for closed-form comparisons (see the module docs for the reason).
const REL: f64 = 1e-10;

// ------------------------------------------------------------------------------------------------
// helpers
// ------------------------------------------------------------------------------------------------

/// Random matrices and vectors with entries uniform in [−1, 1), drawn from the shared generator.
trait RandomMatrices {
    fn matrix(&mut self, r: usize, c: usize) -> DMatrix<f64>;
    fn vector(&mut self, n: usize) -> DVector<f64>;
    fn diag_dominant(&mut self, n: usize) -> DMatrix<f64>;
    fn spd(&mut self, n: usize) -> DMatrix<f64>;
    fn symmetric(&mut self, n: usize) -> DMatrix<f64>;
    fn orthogonal(&mut self, n: usize) -> DMatrix<f64>;
}

impl RandomMatrices for Rng {
    fn matrix(&mut self, r: usize, c: usize) -> DMatrix<f64> {
        DMatrix::from_fn(r, c, |_, _| self.uniform(-1.0, 1.0))
    }
    fn vector(&mut self, n: usize) -> DVector<f64> {
        DVector::from_fn(n, |_, _| self.uniform(-1.0, 1.0))
    }
    /// Random entries plus (n + 1)·I: strictly diagonally dominant, condition number ≲ 10 (not
    /// symmetric, so LU does pivot-free and pivoting paths alike).
    fn diag_dominant(&mut self, n: usize) -> DMatrix<f64> {
        self.matrix(n, n) + DMatrix::identity(n, n) * (n as f64 + 1.0)
    }
    /// B·Bᵀ + n·I: symmetric positive definite, eigenvalues in [n, n + n²].
    fn spd(&mut self, n: usize) -> DMatrix<f64> {
        let b = self.matrix(n, n);
        &b * b.transpose() + DMatrix::identity(n, n) * n as f64
    }
    fn symmetric(&mut self, n: usize) -> DMatrix<f64> {
        let b = self.matrix(n, n);
        (&b + b.transpose()) * 0.5
    }
    /// A random orthogonal matrix (Q of the QR factorization of a random matrix).
    fn orthogonal(&mut self, n: usize) -> DMatrix<f64> {
        self.diag_dominant(n).qr().q()
    }
}

/// `A + Σ_k dA_k ε_k`: the matrix seeded with one direction per tangent lane.
fn lift(a: &DMatrix<f64>, da: &[DMatrix<f64>; K]) -> DMatrix<D> {
    DMatrix::from_fn(a.nrows(), a.ncols(), |i, j| {
        D::new(a[(i, j)], [da[0][(i, j)], da[1][(i, j)], da[2][(i, j)]])
    })
}

fn lift_vec(b: &DVector<f64>, db: &[DVector<f64>; K]) -> DVector<D> {
    DVector::from_fn(b.len(), |i, _| D::new(b[i], [db[0][i], db[1][i], db[2][i]]))
}

/// `A + t·dA` with t seeded at both levels: its second tangent is the second derivative along dA.
fn lift2(a: &DMatrix<f64>, da: &DMatrix<f64>) -> DMatrix<D2> {
    DMatrix::from_fn(a.nrows(), a.ncols(), |i, j| {
        D2::new(
            Dual::new(a[(i, j)], [da[(i, j)]]),
            [Dual::new(da[(i, j)], [0.0])],
        )
    })
}

fn re<const N: usize>(m: &DMatrix<Dual<f64, N>>) -> DMatrix<f64> {
    m.map(|d| d.re)
}

fn tangent<const N: usize>(m: &DMatrix<Dual<f64, N>>, k: usize) -> DMatrix<f64> {
    m.map(|d| d.eps[k])
}

/// ‖x − y‖_max ≤ tol·max(1, ‖y‖_max).
fn assert_close(x: &DMatrix<f64>, y: &DMatrix<f64>, tol: f64, what: &str) {
    let scale = y.amax().max(1.0);
    let err = (x - y).amax();
    assert!(
        err <= tol * scale,
        "{what}: max error {err:e} > {tol:e}·{scale:e}\ngot {x}expected {y}"
    );
}

/// A vector as an n × 1 `DMatrix`.
fn col(v: &DVector<f64>) -> DMatrix<f64> {
    DMatrix::from_column_slice(v.len(), 1, v.as_slice())
}

fn assert_close_scalar(x: f64, y: f64, tol: f64, what: &str) {
    let err = (x - y).abs();
    assert!(
        err <= tol * y.abs().max(1.0),
        "{what}: got {x:e}, expected {y:e} (error {err:e})"
    );
}

/// Central difference with one Richardson step: error O(h⁴).
fn richardson(f: impl Fn(f64) -> f64, h: f64) -> f64 {
    let d = |h: f64| (f(h) - f(-h)) / (2.0 * h);
    (4.0 * d(h / 2.0) - d(h)) / 3.0
}

fn directions(rng: &mut Rng, n: usize) -> [DMatrix<f64>; K] {
    [rng.matrix(n, n), rng.matrix(n, n), rng.matrix(n, n)]
}

fn sym_directions(rng: &mut Rng, n: usize) -> [DMatrix<f64>; K] {
    [rng.symmetric(n), rng.symmetric(n), rng.symmetric(n)]
}

/// Sizes and seeds walked by each test: n = 1 … 7, four random matrices of each size.
fn cases() -> impl Iterator<Item = (usize, u64)> {
    (1..=7).flat_map(|n| (0..4).map(move |s| (n, 1000 * n as u64 + s)))
}

// ------------------------------------------------------------------------------------------------
// the type-level contract
// ------------------------------------------------------------------------------------------------

fn is_real_field<X: RealField + Copy>() {}

#[test]
fn duals_and_nested_duals_are_real_fields() {
    is_real_field::<Dual<f64, 1>>();
    is_real_field::<Dual<f32, 4>>();
    is_real_field::<Dual<Dual<f64, 2>, 3>>();
    is_real_field::<D2>();
}

// ------------------------------------------------------------------------------------------------
// determinants, inverses, solves
// ------------------------------------------------------------------------------------------------

/// Jacobi's formula d det(A) = det(A)·tr(A⁻¹ dA), through `determinant()`, `lu().determinant()`
/// and `full_piv_lu().determinant()`; the real parts are the f64 results bit for bit.
#[test]
fn determinant_derivative_is_jacobis_formula() {
    for (n, seed) in cases() {
        let mut rng = Rng::new(seed);
        let a = rng.diag_dominant(n);
        let da = directions(&mut rng, n);
        let ad = lift(&a, &da);
        let ainv = a.clone().try_inverse().unwrap();
        let dets = [
            ("determinant", ad.determinant(), a.determinant()),
            (
                "lu",
                ad.clone().lu().determinant(),
                a.clone().lu().determinant(),
            ),
            (
                "full_piv_lu",
                ad.clone().full_piv_lu().determinant(),
                a.clone().full_piv_lu().determinant(),
            ),
        ];
        for (what, det, det64) in dets {
            assert_eq!(
                det.re, det64,
                "{what}: real part differs from the f64 run (n = {n})"
            );
            for (k, dak) in da.iter().enumerate() {
                let jacobi = det64 * (&ainv * dak).trace();
                assert_close_scalar(det.eps[k], jacobi, REL, &format!("{what} n={n} lane {k}"));
            }
        }
    }
}

/// The closed form used above is itself checked once against a Richardson difference of
/// det(A + t·dA) (t ↦ det is a polynomial, so the O(h⁴) difference with h = 1e-3 is accurate to
/// ~1e-12 relative; tolerance 1e-8 allows for the cancellation in the difference quotient).
#[test]
fn jacobis_formula_matches_finite_differences() {
    let mut rng = Rng::new(7);
    for n in 1..=6 {
        let a = rng.diag_dominant(n);
        let da = rng.matrix(n, n);
        let ad = lift(&a, &[da.clone(), da.clone(), da.clone()]);
        let fd = richardson(|t| (&a + &da * t).determinant(), 1e-3);
        assert_close_scalar(ad.determinant().eps[0], fd, 1e-8, &format!("n={n}"));
    }
}

/// d(A⁻¹) = −A⁻¹ dA A⁻¹ through `try_inverse()` and `lu().try_inverse()`.
#[test]
fn inverse_derivative() {
    for (n, seed) in cases() {
        let mut rng = Rng::new(seed);
        let a = rng.diag_dominant(n);
        let da = directions(&mut rng, n);
        let ainv = a.clone().try_inverse().unwrap();
        let inv = lift(&a, &da).try_inverse().unwrap();
        assert_eq!(re(&inv), ainv, "real part differs from the f64 run");
        let inv_lu = lift(&a, &da).lu().try_inverse().unwrap();
        for (k, dak) in da.iter().enumerate() {
            let expected = -&ainv * dak * &ainv;
            assert_close(
                &tangent(&inv, k),
                &expected,
                REL,
                &format!("inverse n={n} lane {k}"),
            );
            assert_close(
                &tangent(&inv_lu, k),
                &expected,
                REL,
                &format!("lu inverse n={n}"),
            );
        }
    }
}

/// x = A⁻¹b has dx = −A⁻¹(dA·x − db), through `lu().solve` and `full_piv_lu().solve` (general A)
/// and `qr().solve`.
#[test]
fn solve_derivative_lu_and_qr() {
    for (n, seed) in cases() {
        let mut rng = Rng::new(seed);
        let a = rng.diag_dominant(n);
        let da = directions(&mut rng, n);
        let b = rng.vector(n);
        let db = [rng.vector(n), rng.vector(n), rng.vector(n)];
        let ad = lift(&a, &da);
        let bd = lift_vec(&b, &db);
        let ainv = a.clone().try_inverse().unwrap();
        let x = a.clone().lu().solve(&b).unwrap();
        let sols = [
            ("lu", ad.clone().lu().solve(&bd).unwrap()),
            ("full_piv_lu", ad.clone().full_piv_lu().solve(&bd).unwrap()),
            ("qr", ad.clone().qr().solve(&bd).unwrap()),
            ("col_piv_qr", ad.clone().col_piv_qr().solve(&bd).unwrap()),
        ];
        for (what, xd) in sols {
            for k in 0..K {
                let expected = col(&(-&ainv * (&da[k] * &x - &db[k])));
                let got = DMatrix::from_fn(n, 1, |i, _| xd[i].eps[k]);
                assert_close(&got, &expected, REL, &format!("{what} n={n} lane {k}"));
            }
        }
    }
}

/// Cholesky: solve (SPD A, symmetric dA) and log det A = 2 Σ ln Lᵢᵢ with d log det = tr(A⁻¹ dA).
#[test]
fn cholesky_solve_and_log_det_derivatives() {
    for (n, seed) in cases() {
        let mut rng = Rng::new(seed);
        let a = rng.spd(n);
        let da = sym_directions(&mut rng, n);
        let b = rng.vector(n);
        let db = [rng.vector(n), rng.vector(n), rng.vector(n)];
        let chol = lift(&a, &da)
            .cholesky()
            .expect("SPD matrix: Cholesky must succeed");
        let ainv = a.clone().try_inverse().unwrap();
        let x = a.clone().cholesky().unwrap().solve(&b);
        let xd = chol.solve(&lift_vec(&b, &db));
        let l = chol.l();
        let log_det: D = (0..n).map(|i| Float::ln(l[(i, i)])).sum::<D>() * 2.0;
        assert_close_scalar(log_det.re, a.determinant().ln(), REL, "log det value");
        for k in 0..K {
            let expected = col(&(-&ainv * (&da[k] * &x - &db[k])));
            let got = DMatrix::from_fn(n, 1, |i, _| xd[i].eps[k]);
            assert_close(
                &got,
                &expected,
                REL,
                &format!("cholesky solve n={n} lane {k}"),
            );
            let tr = (&ainv * &da[k]).trace();
            assert_close_scalar(log_det.eps[k], tr, REL, &format!("log det n={n} lane {k}"));
            // L·Lᵀ reproduces A to first order: d(LLᵀ) = dA
            let dl = tangent(&l, k);
            let l0 = re(&l);
            let d_llt = &dl * l0.transpose() + &l0 * dl.transpose();
            assert_close(&d_llt, &da[k], REL, &format!("d(LLᵀ) n={n} lane {k}"));
        }
    }
}

/// QR: Q·R reproduces A to first order (dQ·R + Q·dR = dA), Qᵀ dQ is antisymmetric (Q stays
/// orthogonal) and dR is upper triangular.
#[test]
fn qr_factor_derivatives_are_consistent() {
    for (n, seed) in cases() {
        let mut rng = Rng::new(seed);
        let a = rng.diag_dominant(n);
        let da = directions(&mut rng, n);
        let qr = lift(&a, &da).qr();
        let (q, r) = (qr.q(), qr.r());
        let (q0, r0) = (re(&q), re(&r));
        for (k, dak) in da.iter().enumerate() {
            let (dq, dr) = (tangent(&q, k), tangent(&r, k));
            assert_close(&(&dq * &r0 + &q0 * &dr), dak, REL, &format!("d(QR) n={n}"));
            let w = q0.transpose() * &dq;
            assert_close(
                &(&w + w.transpose()),
                &DMatrix::zeros(n, n),
                REL,
                "QᵀdQ antisymmetric",
            );
            for i in 0..n {
                for j in 0..i {
                    assert_eq!(dr[(i, j)], 0.0, "dR must be upper triangular");
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------
// second derivatives (nested duals)
// ------------------------------------------------------------------------------------------------

/// d²/dt² det(A + t·dA) = det(A)·[(tr M)² − tr(M²)], M = A⁻¹dA, through `determinant()` and
/// `lu().determinant()`; and d²/dt² (A + t dA)⁻¹ = 2·A⁻¹dA·A⁻¹dA·A⁻¹ through `try_inverse()`.
///
/// Runs on a thread with a 16 MB stack: in debug builds nalgebra's unrolled 4×4 inverse on
/// `Dual<Dual<f64, 1>, 1>` needs 3–4 MB of stack (every inlined dual temporary gets its own slot at
/// opt-level 0), more than the 2 MB of a test thread. Measured: f64 < 64 KB, `Dual<f64, 3>`
/// 256–512 KB. Release builds do not have the problem.
#[test]
fn second_derivatives_of_det_and_inverse() {
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(second_derivatives_of_det_and_inverse_body)
        .unwrap()
        .join()
        .unwrap();
}

fn second_derivatives_of_det_and_inverse_body() {
    for (n, seed) in cases() {
        let mut rng = Rng::new(seed);
        let a = rng.diag_dominant(n);
        let da = rng.matrix(n, n);
        let ad = lift2(&a, &da);
        let ainv = a.clone().try_inverse().unwrap();
        let m = &ainv * &da;
        let det = a.determinant();
        let d1 = det * m.trace();
        let d2 = det * (m.trace().powi(2) - (&m * &m).trace());
        for (what, y, det64) in [
            ("determinant", ad.determinant(), det),
            (
                "lu",
                ad.clone().lu().determinant(),
                a.clone().lu().determinant(),
            ),
        ] {
            assert_eq!(y.re.re, det64, "{what}: value differs from the f64 run");
            assert_close_scalar(y.re.eps[0], d1, REL, &format!("{what} first (inner) n={n}"));
            assert_close_scalar(y.eps[0].re, d1, REL, &format!("{what} first (outer) n={n}"));
            assert_close_scalar(y.eps[0].eps[0], d2, REL, &format!("{what} second n={n}"));
        }
        let inv = ad.try_inverse().unwrap();
        let expected = &m * &m * &ainv * 2.0;
        let got = inv.map(|d| d.eps[0].eps[0]);
        assert_close(
            &got,
            &expected,
            REL,
            &format!("second derivative of inverse n={n}"),
        );
    }
}

/// The second derivative of det through nested duals agrees with a Richardson difference of the
/// first derivative computed by single-level duals (tolerance 1e-7: the difference quotient of a
/// quantity computed to ~1e-15 with h = 1e-3 loses ~6 digits to cancellation at worst).
#[test]
fn nested_det_second_derivative_matches_difference_of_first() {
    let mut rng = Rng::new(99);
    for n in 1..=6 {
        let a = rng.diag_dominant(n);
        let da = rng.matrix(n, n);
        let first = |t: f64| {
            let at = &a + &da * t;
            lift(&at, &[da.clone(), da.clone(), da.clone()])
                .determinant()
                .eps[0]
        };
        let fd = richardson(first, 1e-3);
        let second = lift2(&a, &da).determinant().eps[0].eps[0];
        assert_close_scalar(second, fd, 1e-7, &format!("n={n}"));
    }
}

/// d²/dt² log det(A + t dA) = −tr((A⁻¹dA)²) via nested Cholesky (SPD A, symmetric dA).
#[test]
fn second_derivative_of_cholesky_log_det() {
    for (n, seed) in cases() {
        let mut rng = Rng::new(seed);
        let a = rng.spd(n);
        let da = rng.symmetric(n);
        let l = lift2(&a, &da).cholesky().unwrap().l();
        let half: D2 = (0..n).map(|i| Float::ln(l[(i, i)])).sum();
        let log_det = half + half;
        let m = a.clone().try_inverse().unwrap() * &da;
        assert_close_scalar(
            log_det.eps[0].eps[0],
            -(&m * &m).trace(),
            REL,
            &format!("n={n}"),
        );
    }
}

// ------------------------------------------------------------------------------------------------
// iterative decompositions: symmetric eigen, SVD
// ------------------------------------------------------------------------------------------------

/// Q·diag(λ)·Qᵀ with eigenvalues 1, 2, …, n (gap 1, condition number n) plus noise < 0.25.
fn separated_symmetric(rng: &mut Rng, n: usize) -> DMatrix<f64> {
    let q = rng.orthogonal(n);
    let lambda = DVector::from_fn(n, |i, _| i as f64 + 1.0 + 0.25 * rng.uniform(-1.0, 1.0));
    &q * DMatrix::from_diagonal(&lambda) * q.transpose()
}

/// `symmetric_eigen()` on duals: dλᵢ = vᵢᵀ dA vᵢ for simple eigenvalues, and the eigenvector
/// derivative dvᵢ = Σ_{j≠i} vⱼ (vⱼᵀ dA vᵢ)/(λᵢ − λⱼ). The iteration stops when the real parts have
/// converged, yet the tangents agree with the closed forms to the same `REL` as the direct
/// algorithms (measured: errors ≈ 1e-13 for dλ and ≈ 1e-12 for dv, whose formula divides by
/// gaps ≥ 0.5). The real parts are the f64 results bit for bit.
#[test]
fn symmetric_eigen_derivatives() {
    for (n, seed) in cases() {
        let mut rng = Rng::new(seed);
        let a = separated_symmetric(&mut rng, n);
        let da = sym_directions(&mut rng, n);
        let eig = lift(&a, &da).symmetric_eigen();
        let eig64 = a.clone().symmetric_eigen();
        let lam: DVector<f64> = eig.eigenvalues.map(|d| d.re);
        assert_eq!(
            lam, eig64.eigenvalues,
            "eigenvalues differ from the f64 run"
        );
        let v = re(&eig.eigenvectors);
        assert_eq!(
            v, eig64.eigenvectors,
            "eigenvectors differ from the f64 run"
        );
        for (k, dak) in da.iter().enumerate() {
            for i in 0..n {
                let vi = v.column(i);
                let expected = (vi.transpose() * dak * vi)[(0, 0)];
                let got = eig.eigenvalues[i].eps[k];
                assert_close_scalar(got, expected, REL, &format!("dλ n={n} i={i} lane {k}"));
                let mut dv = DVector::zeros(n);
                for j in (0..n).filter(|&j| j != i) {
                    let vj = v.column(j);
                    let c = (vj.transpose() * dak * vi)[(0, 0)] / (lam[i] - lam[j]);
                    dv += vj * c;
                }
                let got_v = DMatrix::from_fn(n, 1, |r, _| eig.eigenvectors[(r, i)].eps[k]);
                let dv = DMatrix::from_column_slice(n, 1, dv.as_slice());
                assert_close(&got_v, &dv, REL, &format!("dv n={n} i={i} lane {k}"));
            }
        }
    }
}

/// `svd()` and `singular_values()` on duals: dσᵢ = uᵢᵀ dA vᵢ for simple singular values, square
/// and rectangular (diagonally dominant blocks keep the singular values separated).
#[test]
fn svd_singular_value_derivatives() {
    for (n, seed) in cases() {
        for extra in [0, 2] {
            let mut rng = Rng::new(seed + 17 * extra as u64);
            let (r, c) = (n + extra, n);
            let mut a = rng.matrix(r, c);
            for i in 0..n {
                a[(i, i)] += 2.0 * (i as f64 + 1.0);
            }
            let da = [rng.matrix(r, c), rng.matrix(r, c), rng.matrix(r, c)];
            let ad = lift(&a, &da);
            let svd = ad.clone().svd(true, true);
            let svd64 = a.clone().svd(true, true);
            let sigma: DVector<f64> = svd.singular_values.map(|d| d.re);
            assert_eq!(sigma, svd64.singular_values, "σ differ from the f64 run");
            let u = re(svd.u.as_ref().unwrap());
            let vt = re(svd.v_t.as_ref().unwrap());
            let sv = ad.singular_values();
            for (k, dak) in da.iter().enumerate() {
                for i in 0..n {
                    let expected = (u.column(i).transpose() * dak * vt.row(i).transpose())[(0, 0)];
                    let what = format!("dσ {r}×{c} i={i} lane {k}");
                    assert_close_scalar(svd.singular_values[i].eps[k], expected, REL, &what);
                    assert_close_scalar(sv[i].eps[k], expected, REL, &what);
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------
// norms
// ------------------------------------------------------------------------------------------------

/// d‖x‖ = x̂·dx and d(x/‖x‖) = (I − x̂x̂ᵀ)dx/‖x‖ at random non-zero vectors.
#[test]
fn norm_and_normalize_derivatives() {
    for (n, seed) in cases() {
        let mut rng = Rng::new(seed);
        let x = rng.vector(n);
        let dx = [rng.vector(n), rng.vector(n), rng.vector(n)];
        let xd = lift_vec(&x, &dx);
        let norm = xd.norm();
        let unit = xd.normalize();
        assert_eq!(norm.re, x.norm());
        let xhat = &x / x.norm();
        for (k, dxk) in dx.iter().enumerate() {
            assert_close_scalar(norm.eps[k], xhat.dot(dxk), REL, "d‖x‖");
            let expected = (dxk - &xhat * xhat.dot(dxk)) / x.norm();
            let got = DVector::from_fn(n, |i, _| unit[i].eps[k]);
            assert_close(
                &DMatrix::from_column_slice(n, 1, got.as_slice()),
                &DMatrix::from_column_slice(n, 1, expected.as_slice()),
                REL,
                "d normalize",
            );
        }
    }
}

/// At the zero vector: `norm()` is sqrt of a sum of squares whose tangents are exactly 0, so by
/// the zero-lane rule it is 0 with zero tangents (no NaN) even for non-zero directions — note
/// that the true one-sided directional derivative of ‖·‖ at 0 is ‖dx‖, which a dual number cannot
/// represent. `normalize()` gives NaN values exactly as f64 does; `try_normalize` gives `None`.
#[test]
fn norm_at_the_zero_vector() {
    let zero = Vector3::new(
        D::new(0.0, [1.0, 0.0, 0.0]),
        D::new(0.0, [2.0, 0.0, 0.0]),
        D::new(0.0, [0.0, 0.0, 0.0]),
    );
    let n = zero.norm();
    assert_eq!((n.re, n.eps), (0.0, [0.0, 0.0, 0.0]));
    let unit = zero.normalize();
    let unit64 = Vector3::<f64>::zeros().normalize();
    for i in 0..3 {
        assert!(unit[i].re.is_nan() && unit64[i].is_nan());
    }
    assert!(zero.try_normalize(D::constant(0.0)).is_none());
    // a vector that is 0 only in one lane's direction: other lanes are unaffected
    let v = Vector3::new(
        D::new(3.0, [0.0, 1.0, 0.0]),
        D::constant(4.0),
        D::constant(0.0),
    );
    let nv = v.norm();
    assert_eq!(nv.re, 5.0);
    assert_eq!((nv.eps[0], nv.eps[2]), (0.0, 0.0));
    // d‖v‖ = v̂·dv = 3/5, up to the rounding of 6 · 1/(2·5)
    assert_relative_eq!(nv.eps[1], 0.6, max_relative = 4.0 * f64::EPSILON);
}

// ------------------------------------------------------------------------------------------------
// ComplexField / RealField methods
// ------------------------------------------------------------------------------------------------

/// Random points in [−3, 3] (and away from 0 where a function has a pole or kink there).
fn points(seed: u64, count: usize) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|_| {
            let x = 3.0 * rng.uniform(-1.0, 1.0);
            if x.abs() < 0.1 { x + 0.2 } else { x }
        })
        .collect()
}

/// The methods without a `Float` counterpart (compositions) have tangents equal to a Richardson
/// difference of their f64 versions. Tolerance 1e-8 relative: the O(h⁴·f⁽⁵⁾) truncation with
/// h = 1e-3 is at most ≈ 3e-9 relative (for `cosc` at |x| = 0.1, whose fifth derivative is of order
/// 5!/x⁶), elsewhere ~1e-12, and the cancellation in the quotient costs ~1e-12.
#[test]
fn composite_methods_match_finite_differences() {
    type F = fn(f64) -> f64;
    type G = fn(D) -> D;
    let cases: [(&str, F, G); 9] = [
        ("sinc", |x| x.sinc(), |x| x.sinc()),
        ("sinhc", |x| x.sinhc(), |x| x.sinhc()),
        ("cosc", |x| x.cosc(), |x| x.cosc()),
        ("coshc", |x| x.coshc(), |x| x.coshc()),
        ("modulus", |x| x.modulus(), |x| x.modulus()),
        (
            "modulus_squared",
            |x| x.modulus_squared(),
            |x| x.modulus_squared(),
        ),
        ("norm1", |x| x.norm1(), |x| x.norm1()),
        (
            "copysign(-2)",
            |x| x.copysign(-2.0),
            |x| RealField::copysign(x, D::constant(-2.0)),
        ),
        (
            "scale/unscale",
            |x| x.scale(3.0).unscale(x + 5.0),
            |x| x.scale(D::constant(3.0)).unscale(x + 5.0),
        ),
    ];
    for (name, f64_version, dual_version) in cases {
        for x in points(5, 50) {
            let y = dual_version(D::new(x, [1.0, 0.0, -2.0]));
            assert_eq!(
                y.re.to_bits(),
                f64_version(x).to_bits(),
                "{name}({x}): value"
            );
            let fd = richardson(|h| f64_version(x + h), 1e-3);
            assert_close_scalar(y.eps[0], fd, 1e-8, &format!("{name}({x})"));
            assert_eq!(y.eps[1], 0.0, "{name}: a zero lane must stay zero");
            assert_close_scalar(y.eps[2], -2.0 * fd, 1e-8, &format!("{name}({x}) lane 2"));
        }
    }
}

/// Methods that delegate to `Float` give the same result bit for bit (real part and tangents).
#[test]
fn delegating_methods_equal_float_methods() {
    let same = |a: D, b: D, what: &str| assert!(AllParts(a) == AllParts(b), "{what}: {a} vs {b}");
    for x in points(11, 40) {
        let d = D::new(x, [1.0, -0.5, 0.0]);
        let p = D::new(0.7, [0.0, 1.0, 0.0]);
        same(ComplexField::sin(d), Float::sin(d), "sin");
        same(ComplexField::cos(d), Float::cos(d), "cos");
        same(ComplexField::tan(d), Float::tan(d), "tan");
        same(ComplexField::exp(d), Float::exp(d), "exp");
        same(ComplexField::sinh(d), Float::sinh(d), "sinh");
        same(ComplexField::tanh(d), Float::tanh(d), "tanh");
        same(ComplexField::atan(d), Float::atan(d), "atan");
        same(ComplexField::asinh(d), Float::asinh(d), "asinh");
        same(ComplexField::abs(d), Float::abs(d), "abs");
        same(
            ComplexField::ln(ComplexField::abs(d)),
            Float::ln(Float::abs(d)),
            "ln",
        );
        same(
            ComplexField::sqrt(Float::abs(d)),
            Float::sqrt(Float::abs(d)),
            "sqrt",
        );
        same(
            ComplexField::powf(Float::abs(d), p),
            Float::powf(Float::abs(d), p),
            "powf",
        );
        same(
            ComplexField::powc(Float::abs(d), p),
            Float::powf(Float::abs(d), p),
            "powc",
        );
        same(ComplexField::powi(d, 3), Float::powi(d, 3), "powi");
        same(ComplexField::hypot(d, p), Float::hypot(d, p), "hypot");
        same(RealField::atan2(d, p), Float::atan2(d, p), "atan2");
        same(
            ComplexField::mul_add(d, p, d),
            Float::mul_add(d, p, d),
            "mul_add",
        );
        same(ComplexField::recip(d), Float::recip(d), "recip");
        same(ComplexField::cbrt(d), Float::cbrt(d), "cbrt");
        same(
            ComplexField::log(Float::abs(d), p + 1.0),
            Float::log(Float::abs(d), p + 1.0),
            "log",
        );
        let (s, c) = ComplexField::sin_cos(d);
        same(s, Float::sin(d), "sin_cos.0");
        same(c, Float::cos(d), "sin_cos.1");
        let (sh, ch) = ComplexField::sinh_cosh(d);
        same(sh, Float::sinh(d), "sinh_cosh.0");
        same(ch, Float::cosh(d), "sinh_cosh.1");
        same(RealField::max(d, p), Float::max(d, p), "max");
        same(RealField::min(d, p), Float::min(d, p), "min");
        same(ComplexField::floor(d), Float::floor(d), "floor");
        same(ComplexField::fract(d), Float::fract(d), "fract");
        same(ComplexField::signum(d), Float::signum(d), "signum");
        same(ComplexField::conjugate(d), d, "conjugate");
        same(ComplexField::real(d), d, "real");
        same(ComplexField::imaginary(d), D::constant(0.0), "imaginary");
    }
}

/// At x = 0, `sinc` and `sinhc` use their Taylor polynomial: value 1 as f64, first derivative 0,
/// second ∓1/3, third 0, fourth 1/5 — checked with three nested levels (d³) and the known
/// coefficients (tolerance: 4 ulps, the Horner evaluation at 0 is exact up to the rounding of
/// the coefficients).
#[test]
fn sinc_and_sinhc_at_zero_have_exact_derivatives() {
    type D3 = Dual<Dual<Dual<f64, 1>, 1>, 1>;
    let x = D3::new(
        Dual::new(Dual::new(0.0, [1.0]), [Dual::new(1.0, [0.0])]),
        [Dual::new(Dual::new(1.0, [0.0]), [Dual::new(0.0, [0.0])])],
    );
    let s = x.sinc();
    assert_eq!(s.re.re.re, 1.0);
    assert_eq!(s.re.re.eps[0], 0.0);
    assert_relative_eq!(
        s.re.eps[0].eps[0],
        -1.0 / 3.0,
        max_relative = 4.0 * f64::EPSILON
    );
    assert_eq!(s.eps[0].eps[0].eps[0], 0.0);
    let sh = x.sinhc();
    assert_eq!(sh.re.re.re, 1.0);
    assert_relative_eq!(
        sh.re.eps[0].eps[0],
        1.0 / 3.0,
        max_relative = 4.0 * f64::EPSILON
    );
    // fourth derivative of sinc at 0 is 1/5: four nested levels
    type D4 = Dual<D3, 1>;
    let lift4 = |v: f64, dv: f64| -> D4 {
        // x = v + dv·(t₁ + t₂ + t₃ + t₄)
        let c3 = |a: f64| D3::constant(Dual::constant(Dual::constant(a)));
        let t3 = D3::new(
            Dual::new(Dual::new(v, [dv]), [Dual::new(dv, [0.0])]),
            [Dual::new(Dual::new(dv, [0.0]), [Dual::new(0.0, [0.0])])],
        );
        D4::new(t3, [c3(dv)])
    };
    let s4 = lift4(0.0, 1.0).sinc();
    assert_relative_eq!(
        s4.eps[0].eps[0].eps[0].eps[0],
        0.2,
        max_relative = 8.0 * f64::EPSILON
    );
    // a constant 0 stays a constant 1
    let c = D::constant(0.0).sinc();
    assert_eq!((c.re, c.eps), (1.0, [0.0; K]));
}

/// `cosc`/`coshc` have a pole at 0 where simba defines the value 1: the dual keeps that value,
/// zero lanes stay zero, non-zero lanes are NaN (no derivative exists).
#[test]
fn cosc_at_zero_pole() {
    let y = D::new(0.0, [1.0, 0.0, 0.0]).cosc();
    assert_eq!(y.re, 0.0f64.cosc());
    assert!(y.eps[0].is_nan());
    assert_eq!(&y.eps[1..], &[0.0, 0.0]);
    let y = D::new(0.0, [0.0, 2.0, 0.0]).coshc();
    assert_eq!(y.re, 0.0f64.coshc());
    assert!(y.eps[1].is_nan() && y.eps[0] == 0.0 && y.eps[2] == 0.0);
}

/// `try_sqrt`: `Some` for re ≥ 0 (at 0 with zero tangent lanes exactly 0, other lanes +∞ as
/// d√x/dx → ∞), `None` for re < 0; derivative 1/(2√x) elsewhere.
#[test]
fn try_sqrt_zero_lane_rule() {
    let r = D::new(0.0, [0.0, 1.0, 0.0])
        .try_sqrt()
        .expect("sqrt(0) exists");
    assert_eq!(r.re, 0.0);
    assert_eq!(r.eps[0], 0.0);
    assert_eq!(r.eps[2], 0.0);
    assert_eq!(r.eps[1], f64::INFINITY);
    let r = D::constant(0.0).try_sqrt().unwrap();
    assert_eq!(r.eps, [0.0; K]);
    assert!(D::new(-1e-300, [1.0, 0.0, 0.0]).try_sqrt().is_none());
    for x in points(3, 20) {
        let x = x.abs();
        let r = D::new(x, [1.0, 0.0, 0.0]).try_sqrt().unwrap();
        assert_close_scalar(
            r.eps[0],
            richardson(|h| (x + h).sqrt(), 1e-4),
            1e-8,
            "sqrt'",
        );
    }
}

/// `argument`, `to_exp`, `copysign`, `clamp`, `is_finite`, `is_sign_*`, constants.
#[test]
fn piecewise_methods_and_constants() {
    let pos = D::new(2.0, [1.0, 2.0, 3.0]);
    let neg = D::new(-2.0, [1.0, 2.0, 3.0]);
    assert!(AllParts(pos.argument()) == AllParts(D::constant(0.0)));
    assert!(AllParts(neg.argument()) == AllParts(D::constant(core::f64::consts::PI)));
    // to_exp: (|x|, ±1) with a zero derivative of the sign; (0, 1) at a zero real part
    let (m, s) = neg.to_exp();
    assert!(AllParts(m) == AllParts(Float::abs(neg)));
    assert!(AllParts(s) == AllParts(D::constant(-1.0)));
    let (m, s) = D::new(0.0, [1.0, 0.0, 0.0]).to_exp();
    assert!(AllParts(m) == AllParts(D::constant(0.0)) && AllParts(s) == AllParts(D::constant(1.0)));
    // copysign takes the sign bit of the real part of `sign`, no tangent from it
    let c = RealField::copysign(pos, D::new(-0.0, [5.0, 5.0, 5.0]));
    assert!(AllParts(c) == AllParts(-pos));
    let c = RealField::copysign(neg, D::new(0.0, [5.0, 5.0, 5.0]));
    assert!(AllParts(c) == AllParts(-neg));
    // clamp compares real parts
    let lo = D::constant(-1.0);
    let hi = D::new(1.0, [9.0, 9.0, 9.0]);
    assert!(AllParts(RealField::clamp(pos, lo, hi)) == AllParts(hi));
    assert!(AllParts(RealField::clamp(neg, lo, hi)) == AllParts(lo));
    let mid = D::new(0.5, [1.0, 1.0, 1.0]);
    assert!(AllParts(RealField::clamp(mid, lo, hi)) == AllParts(mid));
    // queries look at the real part
    assert!(ComplexField::is_finite(&D::new(1.0, [f64::NAN, 0.0, 0.0])));
    assert!(!ComplexField::is_finite(&D::new(f64::INFINITY, [0.0; K])));
    assert!(RealField::is_sign_negative(&D::new(-0.0, [1.0; K])));
    assert!(RealField::is_sign_positive(&D::new(0.0, [-1.0; K])));
    // constants: T's values, zero tangents
    let constants: [(D, f64); 16] = [
        (D::pi(), f64::pi()),
        (D::two_pi(), f64::two_pi()),
        (D::frac_pi_2(), f64::frac_pi_2()),
        (D::frac_pi_3(), f64::frac_pi_3()),
        (D::frac_pi_4(), f64::frac_pi_4()),
        (D::frac_pi_6(), f64::frac_pi_6()),
        (D::frac_pi_8(), f64::frac_pi_8()),
        (D::frac_1_pi(), f64::frac_1_pi()),
        (D::frac_2_pi(), f64::frac_2_pi()),
        (D::frac_2_sqrt_pi(), f64::frac_2_sqrt_pi()),
        (D::e(), f64::e()),
        (D::log2_e(), f64::log2_e()),
        (D::log10_e(), f64::log10_e()),
        (D::ln_2(), f64::ln_2()),
        (D::ln_10(), f64::ln_10()),
        (<D as RealField>::max_value().unwrap(), f64::MAX),
    ];
    for (c, v) in constants {
        assert_eq!((c.re, c.eps), (v, [0.0; K]));
    }
    assert_eq!(
        <D as RealField>::min_value().unwrap().re,
        <f64 as RealField>::min_value().unwrap()
    );
    // rounding: zero tangents
    for r in [
        ComplexField::floor,
        ComplexField::ceil,
        ComplexField::round,
        ComplexField::trunc,
    ] {
        let y = r(D::new(2.5, [1.0; K]));
        assert_eq!(y.eps, [0.0; K]);
    }
}

// ------------------------------------------------------------------------------------------------
// conversions and approx
// ------------------------------------------------------------------------------------------------

#[test]
fn conversions_between_reals_and_duals() {
    let c: D = nalgebra::convert(0.5f64);
    assert_eq!((c.re, c.eps), (0.5, [0.0; K]));
    let c: D = nalgebra::convert(0.25f32);
    assert_eq!((c.re, c.eps), (0.25, [0.0; K]));
    let nested: Dual<Dual<f64, 2>, 3> = nalgebra::convert(1.5f64);
    assert_eq!(nested.re.re, 1.5);
    // a dual is a real only if its tangents are zero
    assert_eq!(nalgebra::try_convert::<D, f64>(D::constant(2.0)), Some(2.0));
    assert_eq!(
        nalgebra::try_convert::<D, f64>(D::new(2.0, [0.0, 1.0, 0.0])),
        None
    );
    assert_eq!(
        nalgebra::convert_unchecked::<D, f64>(D::new(2.0, [0.0, 1.0, 0.0])),
        2.0
    );
    // whole matrices
    let m = Matrix3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0);
    let md: Matrix3<D> = m.cast();
    assert_eq!(md.map(|d| d.re), m);
    assert!(md.iter().all(|d| d.eps == [0.0; K]));
}

/// approx compares real parts (consistent with `==`), so nalgebra's value predicates follow the
/// f64 program; `AllParts` compares every part.
#[test]
fn approx_compares_real_parts_and_all_parts_compares_everything() {
    let a = D::new(1.0, [1.0, 2.0, 3.0]);
    let b = D::new(1.0 + 1e-12, [7.0, 8.0, 9.0]);
    assert!(relative_eq!(a, b, epsilon = D::constant(1e-10)));
    assert!(!relative_eq!(
        a,
        D::constant(1.1),
        epsilon = D::constant(1e-10)
    ));
    assert!(!relative_eq!(AllParts(a), AllParts(b), epsilon = 1e-10));
    assert!(relative_eq!(
        AllParts(a),
        AllParts(D::new(1.0, [1.0, 2.0, 3.0 + 1e-13])),
        epsilon = 1e-10
    ));
    assert!(approx::ulps_eq!(a, D::new(1.0, [0.0; K])));
    assert!(!approx::ulps_eq!(
        AllParts(a),
        AllParts(D::new(1.0, [0.0; K]))
    ));
    // nested: an inner tangent difference is detected by AllParts, not by the plain impl
    let x: Dual<Dual<f64, 1>, 1> = Dual::new(Dual::new(1.0, [2.0]), [Dual::new(3.0, [4.0])]);
    let y: Dual<Dual<f64, 1>, 1> = Dual::new(Dual::new(1.0, [2.0]), [Dual::new(3.0, [4.5])]);
    assert!(relative_eq!(x, y));
    assert!(!relative_eq!(AllParts(x), AllParts(y)));
    assert!(approx::abs_diff_eq!(
        AllParts(x),
        AllParts(y),
        epsilon = 0.6
    ));
    // nalgebra: a matrix whose values are the identity is the identity, whatever its derivative
    let m = Matrix3::<D>::from_fn(|i, j| D::new(if i == j { 1.0 } else { 0.0 }, [1.0, 0.0, 0.0]));
    assert!(m.is_identity(D::constant(0.0)));
    let rot = lift(&Rng::new(5).orthogonal(4), &directions(&mut Rng::new(6), 4));
    assert!(rot.is_orthogonal(D::constant(1e-12)));
}

// ------------------------------------------------------------------------------------------------
// drivers with nalgebra vectors
// ------------------------------------------------------------------------------------------------

/// f(x) = xᵀAx/2 + ln(1 + ‖x‖²) with ∇f = (A + Aᵀ)x/2 + 2x/(1 + ‖x‖²), written over `RealField`.
fn quad_log<T: RealField + Copy, const N: usize>(x: &SVector<T, N>) -> T {
    let a =
        SMatrix::<T, N, N>::from_fn(|i, j| nalgebra::convert(((i * 7 + j * 3) % 5) as f64 - 2.0));
    (x.transpose() * a * x)[(0, 0)] * nalgebra::convert(0.5) + (T::one() + x.norm_squared()).ln()
}

fn quad_log_grad<const N: usize>(x: &SVector<f64, N>) -> SVector<f64, N> {
    let a = SMatrix::<f64, N, N>::from_fn(|i, j| ((i * 7 + j * 3) % 5) as f64 - 2.0);
    (a + a.transpose()) * x * 0.5 + x * (2.0 / (1.0 + x.norm_squared()))
}

fn quad_log_dyn<T: RealField + Copy>(x: &DVector<T>) -> T {
    let n = x.len();
    let a = DMatrix::<T>::from_fn(n, n, |i, j| {
        nalgebra::convert(((i * 7 + j * 3) % 5) as f64 - 2.0)
    });
    (x.transpose() * a * x)[(0, 0)] * nalgebra::convert(0.5) + (T::one() + x.norm_squared()).ln()
}

fn quad_log_dyn_grad(x: &DVector<f64>) -> DVector<f64> {
    let n = x.len();
    let a = DMatrix::<f64>::from_fn(n, n, |i, j| ((i * 7 + j * 3) % 5) as f64 - 2.0);
    (&a + a.transpose()) * x * 0.5 + x * (2.0 / (1.0 + x.norm_squared()))
}

#[test]
fn gradient_svector_matches_closed_form() {
    let mut rng = Rng::new(42);
    for _ in 0..20 {
        let x = Vector4::from_fn(|_, _| 2.0 * rng.uniform(-1.0, 1.0));
        let (v, g) = gradient_svector(quad_log, &x);
        assert_eq!(v, quad_log(&x));
        let expected = quad_log_grad(&x);
        assert!(
            (g - expected).amax() <= REL * expected.amax().max(1.0),
            "{g} vs {expected}"
        );
        let x1 = SVector::<f64, 1>::new(rng.uniform(-1.0, 1.0));
        let (_, g1) = gradient_svector(quad_log, &x1);
        assert_relative_eq!(g1[0], quad_log_grad(&x1)[0], max_relative = REL);
    }
}

/// Chunk widths {1, 4, 6, 12, 13} at n = 13 (remainder chunks), the default at n = 0, 1, 13, 40.
#[test]
fn gradient_dvector_all_chunk_widths() {
    let mut rng = Rng::new(43);
    let x = rng.vector(13) * 2.0;
    let expected = quad_log_dyn_grad(&x);
    let value = quad_log_dyn(&x);
    let check = |(v, g): (f64, DVector<f64>), what: &str| {
        assert_eq!(v, value, "{what}: value");
        assert!(
            (&g - &expected).amax() <= REL * expected.amax().max(1.0),
            "{what}: {g}"
        );
    };
    check(
        gradient_dvector_with(quad_log_dyn, &x, Chunk::<1>),
        "chunk 1",
    );
    check(
        gradient_dvector_with(quad_log_dyn, &x, Chunk::<4>),
        "chunk 4",
    );
    check(
        gradient_dvector_with(quad_log_dyn, &x, Chunk::<6>),
        "chunk 6",
    );
    check(
        gradient_dvector_with(quad_log_dyn, &x, Chunk::<12>),
        "chunk 12",
    );
    check(
        gradient_dvector_with(quad_log_dyn, &x, Chunk::<13>),
        "chunk 13",
    );
    check(gradient_dvector(quad_log_dyn, &x), "default chunk");
    for n in [0, 1, 40] {
        let x = rng.vector(n);
        let (v, g) = gradient_dvector(quad_log_dyn, &x);
        assert_eq!(v, quad_log_dyn(&x));
        let e = quad_log_dyn_grad(&x);
        assert_eq!(g.len(), n);
        assert!((&g - &e).amax() <= REL * e.amax().max(1.0), "n = {n}");
    }
}

#[test]
#[should_panic(expected = "gradient_dvector_with: the chunk width must be at least 1")]
fn gradient_dvector_rejects_chunk_zero() {
    gradient_dvector_with(quad_log_dyn, &DVector::from_element(3, 1.0), Chunk::<0>);
}

/// The slice drivers accept nalgebra vectors through `as_slice()`.
#[test]
fn slice_drivers_take_nalgebra_vectors() {
    fn f<T: Float>(x: &[T]) -> T {
        x.iter().fold(T::zero(), |s, &v| s + v * v.sin())
    }
    let x = DVector::from_fn(11, |i, _| i as f64 * 0.3);
    let (_, g) = gradient(f, x.as_slice());
    let xs = Vector3::new(0.1, 0.2, 0.3);
    let (_, gs) = gradient(f, xs.as_slice());
    for (xi, gi) in x.iter().chain(xs.iter()).zip(g.iter().chain(gs.iter())) {
        assert_relative_eq!(*gi, xi.sin() + xi * xi.cos(), max_relative = 1e-14);
    }
}

// ----- issue 20, item 11: the compiler crashed on forward mode through nalgebra -----------------

/// rustc 1.95 crashed (LLVM's register coalescer) compiling `DMatrix::<Dual<f64, 8>>::try_inverse`
/// in release mode; the fix compiles the special cases of the chain rule smaller for tangents of 8
/// or more `f64` lanes (one copy of `chain` for a zero partial, the lanes of an infinite or NaN
/// partial out of line). The build itself is checked by CI (`dev/examples/nalgebra_decompositions.rs`,
/// release). Here: that smaller code computes what the code for narrow duals computes, bit for
/// bit, lane by lane: every lane of a `Dual<f64, 8>` (and `Dual<f64, 16>`) result against the same
/// operation on `Dual<f64, 1>` with that lane's tangents, on operands with zero, infinite and NaN
/// values and tangents, for products, quotients, powers, `atan2`, `hypot`, `chain` and `chain2`
/// with infinite, NaN and zero partials, and through nalgebra's unrolled 4 × 4 inverse and LU.
#[test]
fn compiler_crash_forward_mode_through_nalgebra_wide_lanes_match_narrow() {
    use nalgebra::DMatrix;
    // bit for bit, except that NaNs are all alike and, for `powf` only, the sign of a zero
    // tangent: `x^y` at y = ±0 returns the constant 1 (+0 tangents) when the whole exponent is a
    // constant, so on one lane a zero-tangent exponent gives +0 where 8 lanes (another lane of the
    // exponent nonzero) give x′·0 = −0 for a negative x′; the same before this fix
    fn same(a: f64, b: f64, zero_sign: bool) -> bool {
        a.to_bits() == b.to_bits()
            || (a.is_nan() && b.is_nan())
            || (!zero_sign && a == 0.0 && b == 0.0)
    }
    fn lane<const N: usize>(d: &Dual<f64, N>, i: usize) -> Dual<f64, 1> {
        Dual::new(d.re, [d.eps[i]])
    }
    fn check<const N: usize>(
        what: &str,
        wide: Dual<f64, N>,
        narrow: impl Fn(usize) -> Dual<f64, 1>,
    ) {
        for i in 0..N {
            let n = narrow(i);
            assert!(
                same(wide.re, n.re, true) && same(wide.eps[i], n.eps[0], !what.starts_with("x^y")),
                "{what}, lane {i}: {:?} + {:?}ε against {:?} + {:?}ε on one lane",
                wide.re,
                wide.eps[i],
                n.re,
                n.eps[0]
            );
        }
    }
    let special = [
        0.0,
        -0.0,
        1.5,
        -2.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1e-310,
    ];
    // tangents: a mix of zeros and specials in different lanes
    fn tangents<const N: usize>(k: usize, special: &[f64]) -> [f64; N] {
        core::array::from_fn(|i| {
            if (i + k).is_multiple_of(3) {
                0.0
            } else {
                special[(i * 5 + k) % special.len()]
            }
        })
    }
    type Op<const N: usize> = fn(Dual<f64, N>, Dual<f64, N>) -> Dual<f64, N>;
    fn all<const N: usize>(special: &[f64]) {
        for (a, &x) in special.iter().enumerate() {
            for (b, &y) in special.iter().enumerate() {
                let u = Dual::<f64, N>::new(x, tangents(a, special));
                let v = Dual::<f64, N>::new(y, tangents(b + 3, special));
                let ops: [(&str, Op<N>); 7] = [
                    ("x·y", |u, v| u * v),
                    ("x/y", |u, v| u / v),
                    ("x − y", |u, v| u - v),
                    ("x^y", |u, v| u.powf(v)),
                    ("atan2", |u, v| u.atan2(v)),
                    ("hypot", |u, v| u.hypot(v)),
                    ("chain2(∞, y)", |u, v| {
                        u.chain2(v, 1.0, f64::INFINITY, v.re)
                    }),
                ];
                let narrow_ops: [Op<1>; 7] = [
                    |u, v| u * v,
                    |u, v| u / v,
                    |u, v| u - v,
                    |u, v| u.powf(v),
                    |u, v| u.atan2(v),
                    |u, v| u.hypot(v),
                    |u, v| u.chain2(v, 1.0, f64::INFINITY, v.re),
                ];
                for ((name, op), narrow) in ops.iter().zip(narrow_ops) {
                    check(
                        &format!("{name}({x:?}, {y:?}) on {N} lanes"),
                        op(u, v),
                        |i| narrow(lane(&u, i), lane(&v, i)),
                    );
                }
            }
            let u = Dual::<f64, N>::new(x, tangents(a, special));
            for &d in special.iter() {
                check(
                    &format!("chain({x:?}, derivative {d:?})"),
                    u.chain(2.0, d),
                    |i| lane(&u, i).chain(2.0, d),
                );
            }
            check(&format!("sqrt({x:?})"), u.sqrt(), |i| lane(&u, i).sqrt());
            check(&format!("ln({x:?})"), u.ln(), |i| lane(&u, i).ln());
        }
    }
    all::<8>(&special);
    all::<16>(&special);

    // through nalgebra: the unrolled 4 × 4 inverse and LU (5 × 5), with zero entries (zero
    // partials) and one zero tangent lane
    for n in [4, 5] {
        let a: Vec<Dual<f64, 8>> = (0..n * n)
            .map(|k| {
                let re = if k % 7 == 3 {
                    0.0
                } else {
                    ((k + 1) as f64 * 0.37).sin()
                };
                let re = if k % (n + 1) == 0 { re + 3.0 } else { re };
                Dual::new(
                    re,
                    core::array::from_fn(|i| {
                        if i == 5 {
                            0.0
                        } else {
                            ((k * 8 + i) as f64).cos()
                        }
                    }),
                )
            })
            .collect();
        let inv = DMatrix::from_row_slice(n, n, &a).try_inverse().unwrap();
        for i in 0..8 {
            let narrow: Vec<Dual<f64, 1>> = a.iter().map(|d| lane(d, i)).collect();
            let inv1 = DMatrix::from_row_slice(n, n, &narrow)
                .try_inverse()
                .unwrap();
            for (w, s) in inv.iter().zip(inv1.iter()) {
                assert!(
                    same(w.re, s.re, true) && same(w.eps[i], s.eps[0], true),
                    "try_inverse {n}×{n}, lane {i}: {w:?} against {s:?}"
                );
            }
        }
    }
}
