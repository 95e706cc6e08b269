//! nalgebra on the reverse-mode variable `Var<f64>`: gradients and vector-Jacobian products of
//! matrix functions against closed forms, forward/reverse agreement (the dot-product test
//! sᵀ(J r) = (Jᵀ s)ᵀ r with forward-mode `Dual`), one forward-over-reverse Hessian-vector product
//! through Cholesky, the composite `ComplexField` methods, conversions and approx semantics.
//!
//! Random inputs come from a seeded SplitMix64 generator, so failures reproduce. Matrices are well
//! conditioned by construction (diagonally dominant, `B·Bᵀ + n·I`, or `Q·diag(λ)·Qᵀ` with separated
//! λ), with condition numbers of order 10: every f64 computation of size n ≤ 6 then has a rounding
//! error of order n³·cond·ε ≈ 1e-13 relative. The tolerance `REL = 1e-10` (relative to the larger of
//! 1 and the size of the expected quantity) sits three orders above that, while a wrong derivative
//! is O(1) off.

use approx::{AbsDiffEq, abs_diff_eq, relative_eq, ulps_eq};
use nalgebra::{ComplexField, DMatrix, DVector, RealField};
use nilpotent::Dual;
use nilpotent::reverse::{self, Tape, Var};
use num_traits::Float;

use crate::common;
use common::Rng;

/// Random directions per forward pass in the dot-product tests.
const K: usize = 3;
type D = Dual<f64, K>;
type V = Var<f64>;

/// Relative tolerance for closed-form and forward/reverse comparisons (see the module docs).
const REL: f64 = 1e-10;

// ------------------------------------------------------------------------------------------------
// helpers
// ------------------------------------------------------------------------------------------------

/// Random matrices with entries uniform in [−1, 1), drawn from the shared generator.
trait RandomMatrices {
    fn matrix(&mut self, n: usize) -> DMatrix<f64>;
    fn diag_dominant(&mut self, n: usize) -> DMatrix<f64>;
    fn spd(&mut self, n: usize) -> DMatrix<f64>;
    fn symmetric(&mut self, n: usize) -> DMatrix<f64>;
    fn separated_symmetric(&mut self, n: usize) -> DMatrix<f64>;
}

impl RandomMatrices for Rng {
    fn matrix(&mut self, n: usize) -> DMatrix<f64> {
        DMatrix::from_fn(n, n, |_, _| self.uniform(-1.0, 1.0))
    }
    /// Random entries plus (n + 1)·I: strictly diagonally dominant, condition number ≲ 10, not
    /// symmetric (LU pivots on some inputs and not on others).
    fn diag_dominant(&mut self, n: usize) -> DMatrix<f64> {
        self.matrix(n) + DMatrix::identity(n, n) * (n as f64 + 1.0)
    }
    /// B·Bᵀ + n·I: symmetric positive definite, eigenvalues in [n, n + n²].
    fn spd(&mut self, n: usize) -> DMatrix<f64> {
        let b = self.matrix(n);
        &b * b.transpose() + DMatrix::identity(n, n) * n as f64
    }
    fn symmetric(&mut self, n: usize) -> DMatrix<f64> {
        let b = self.matrix(n);
        (&b + b.transpose()) * 0.5
    }
    /// Q·diag(λ)·Qᵀ with eigenvalues 1, 2, …, n plus noise < 0.25 (gaps ≥ 0.5).
    fn separated_symmetric(&mut self, n: usize) -> DMatrix<f64> {
        let q = self.diag_dominant(n).qr().q();
        let lambda = DVector::from_fn(n, |i, _| i as f64 + 1.0 + 0.25 * self.uniform(-1.0, 1.0));
        &q * DMatrix::from_diagonal(&lambda) * q.transpose()
    }
}

/// Sizes and seeds walked by each test: n = 1 … 6, three random matrices of each size.
fn cases() -> impl Iterator<Item = (usize, u64)> {
    (1..=6)
        .flat_map(|n| (0..3).map(move |s| (7000 + 100 * n as u64 + s, n)))
        .map(|(seed, n)| (n, seed))
}

/// The n × n matrix whose column-major entries are `x[..n²]`.
fn square<T: RealField + Copy>(x: &[T], n: usize) -> DMatrix<T> {
    DMatrix::from_column_slice(n, n, &x[..n * n])
}

/// (M + Mᵀ)/2: the symmetric parametrisation, so that the gradient with respect to M of a function
/// of a symmetric matrix is symmetric and equals the closed forms written for symmetric A.
fn sym_part<T: RealField + Copy>(m: &DMatrix<T>) -> DMatrix<T> {
    (m + m.transpose()) * nalgebra::convert::<f64, T>(0.5)
}

/// A vector of f64 constants as a vector of `T`.
fn constants<T: RealField + Copy>(v: &[f64]) -> DVector<T> {
    DVector::from_iterator(v.len(), v.iter().map(|&x| nalgebra::convert::<f64, T>(x)))
}

/// ‖got − expected‖_max ≤ tol·max(1, ‖expected‖_max).
fn assert_close(got: &[f64], expected: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), expected.len(), "{what}: lengths differ");
    let scale = expected.iter().fold(1.0f64, |m, e| m.max(e.abs()));
    let err = got
        .iter()
        .zip(expected)
        .fold(0.0f64, |m, (g, e)| m.max((g - e).abs()));
    assert!(
        err <= tol * scale,
        "{what}: max error {err:e} > {tol:e}·{scale:e}\ngot      {got:?}\nexpected {expected:?}"
    );
}

/// Runs `f` in both modes at `x` and returns the values and `Jᵀ·s` from one reverse sweep, after
/// checking that
/// - the reverse values equal the forward real parts bit for bit (both are the f64 program), and
/// - for K random directions r_k, sᵀ(J r_k) from forward mode equals (Jᵀ s)ᵀ r_k from reverse
///   mode, to `REL` relative to Σ|sᵢ (J r_k)ᵢ| + Σ|(Jᵀs)ⱼ r_kⱼ| (the size of the terms summed;
///   the two sides are the same derivative computed with different rounding).
fn both_modes(
    x: &[f64],
    s: &[f64],
    rev: impl FnOnce(&[V]) -> Vec<V>,
    fwd: impl FnOnce(&[D]) -> Vec<D>,
    rng: &mut Rng,
    what: &str,
) -> (Vec<f64>, Vec<f64>) {
    let (values, jts) = reverse::vjp(rev, x, s);
    let r: Vec<[f64; K]> = (0..x.len()).map(|_| rng.direction()).collect();
    let xd: Vec<D> = x.iter().zip(&r).map(|(&xi, &ri)| D::new(xi, ri)).collect();
    let y = fwd(&xd);
    assert_eq!(y.len(), values.len(), "{what}: output counts differ");
    for (i, (yi, vi)) in y.iter().zip(&values).enumerate() {
        assert_eq!(
            yi.re.to_bits(),
            vi.to_bits(),
            "{what}: output {i}: forward value {} vs reverse value {vi}",
            yi.re
        );
    }
    for k in 0..K {
        let lhs: f64 = y.iter().zip(s).map(|(yi, si)| si * yi.eps[k]).sum();
        let rhs: f64 = jts.iter().zip(&r).map(|(g, rj)| g * rj[k]).sum();
        let scale: f64 = y
            .iter()
            .zip(s)
            .map(|(yi, si)| (si * yi.eps[k]).abs())
            .sum::<f64>()
            + jts
                .iter()
                .zip(&r)
                .map(|(g, rj)| (g * rj[k]).abs())
                .sum::<f64>();
        assert!(
            (lhs - rhs).abs() <= REL * scale.max(1e-300),
            "{what}: dot-product test, direction {k}: sᵀ(J r) = {lhs:e} but (Jᵀ s)ᵀ r = {rhs:e}"
        );
    }
    (values, jts)
}

fn flat(m: &DMatrix<f64>) -> Vec<f64> {
    m.as_slice().to_vec()
}

// ------------------------------------------------------------------------------------------------
// the functions under test, written once over RealField
// ------------------------------------------------------------------------------------------------

/// [det A via `determinant()`, det A via `lu().determinant()`, det A via `full_piv_lu()`].
fn dets<T: RealField + Copy>(x: &[T], n: usize) -> Vec<T> {
    let a = square(x, n);
    vec![
        a.determinant(),
        a.clone().lu().determinant(),
        a.full_piv_lu().determinant(),
    ]
}

/// [sᵀ A⁻¹ t via `try_inverse()`, via `lu().try_inverse()`].
fn inverse_bilinear<T: RealField + Copy>(x: &[T], n: usize, s: &[f64], t: &[f64]) -> Vec<T> {
    let a = square(x, n);
    let (s, t) = (constants::<T>(s), constants::<T>(t));
    let inv1 = a.clone().try_inverse().expect("well-conditioned A");
    let inv2 = a.lu().try_inverse().expect("well-conditioned A");
    vec![s.dot(&(inv1 * &t)), s.dot(&(inv2 * t))]
}

/// The solution of A x = b, inputs (A column-major, b), by the named decomposition. For
/// `"cholesky"` the matrix is the symmetric part of the input.
fn solve<T: RealField + Copy>(x: &[T], n: usize, how: &str) -> Vec<T> {
    let a = square(x, n);
    let b = DVector::from_column_slice(&x[n * n..]);
    let sol = match how {
        "lu" => a.lu().solve(&b).expect("invertible"),
        "qr" => a.qr().solve(&b).expect("invertible"),
        "cholesky" => sym_part(&a).cholesky().expect("SPD").solve(&b),
        _ => unreachable!(),
    };
    sol.iter().copied().collect()
}

/// log det A = 2 Σ ln Lᵢᵢ through Cholesky of the symmetric part of the input.
fn log_det_cholesky<T: RealField + Copy>(x: &[T], n: usize) -> T {
    let l = sym_part(&square(x, n)).cholesky().expect("SPD").l();
    let half = (0..n).fold(T::zero(), |acc, i| acc + l[(i, i)].ln());
    half + half
}

/// The eigenvalues of the symmetric part of the input, in nalgebra's order.
fn sym_eigenvalues<T: RealField + Copy>(x: &[T], n: usize) -> Vec<T> {
    let eig = sym_part(&square(x, n)).symmetric_eigen();
    eig.eigenvalues.iter().copied().collect()
}

/// [‖x‖, wᵀ normalize(x), wᵀ try_normalize(x, 0)].
fn norms<T: RealField + Copy>(x: &[T], w: &[f64]) -> Vec<T> {
    let v = DVector::from_column_slice(x);
    let w = constants::<T>(w);
    let unit = v.normalize();
    let unit2 = v.try_normalize(T::zero()).expect("non-zero vector");
    vec![v.norm(), w.dot(&unit), w.dot(&unit2)]
}

// ------------------------------------------------------------------------------------------------
// the type-level contract, conversions, approx
// ------------------------------------------------------------------------------------------------

fn is_real_field<X: RealField + Copy>() {}

#[test]
fn vars_and_forward_over_reverse_vars_are_real_fields() {
    is_real_field::<Var<f64>>();
    is_real_field::<Var<f32>>();
    is_real_field::<Var<Dual<f64, 1>>>();
    is_real_field::<Var<Dual<f64, 8>>>();
}

/// `convert` gives constants (no tape needed, outside any recording); `try_convert` gives the
/// value of a constant and `None` for a recorded variable; `convert_unchecked` drops the derivative.
#[test]
fn conversions_between_reals_and_vars() {
    let c: V = nalgebra::convert(0.5f64);
    assert!(c.is_constant() && c.value() == 0.5);
    let c: V = nalgebra::convert(0.25f32);
    assert!(c.is_constant() && c.value() == 0.25);
    assert_eq!(nalgebra::try_convert::<V, f64>(V::constant(2.0)), Some(2.0));
    assert_eq!(nalgebra::try_convert::<V, f32>(V::constant(2.0)), Some(2.0));
    let mut tape = Tape::new();
    tape.record(&[3.0], |x| {
        assert_eq!(nalgebra::try_convert::<V, f64>(x[0]), None);
        assert_eq!(nalgebra::convert_unchecked::<V, f64>(x[0]), 3.0);
        // a product with a constant zero carries no derivative: a constant again
        let zero_times = x[0] * 0.0;
        assert_eq!(nalgebra::try_convert::<V, f64>(zero_times), Some(0.0));
        // matrices
        let m: DMatrix<V> = DMatrix::from_element(2, 2, x[0]);
        assert_eq!(m.map(|v| v.value()), DMatrix::from_element(2, 2, 3.0));
        let consts: DMatrix<V> = DMatrix::from_element(2, 2, 1.5f64).cast();
        assert!(consts.iter().all(Var::is_constant));
    });
    // constants from nalgebra need no recording
    let z = DMatrix::<V>::identity(3, 3);
    assert!(z.iter().all(Var::is_constant));
}

/// The approx traits compare values, consistently with `==`: a recorded variable equals a constant
/// of the same value; nalgebra's value predicates (`is_identity`) follow the f64 program.
#[test]
fn approx_compares_values() {
    let mut tape = Tape::new();
    tape.record(&[1.0, 1.0 + 1e-12], |x| {
        let same = V::constant(1.0);
        assert!(x[0] == same);
        assert!(relative_eq!(x[0], same));
        assert!(abs_diff_eq!(x[0], same, epsilon = V::constant(0.0)));
        assert!(ulps_eq!(x[0], same));
        assert!(relative_eq!(x[0], x[1], epsilon = V::constant(1e-10)));
        assert!(!relative_eq!(
            x[0],
            x[1],
            epsilon = V::constant(1e-14),
            max_relative = V::constant(1e-14)
        ));
        assert!(!ulps_eq!(x[0], V::constant(1.1)));
        assert_eq!(V::default_epsilon().value(), f64::EPSILON);
        assert!(V::default_epsilon().is_constant());
        // a matrix whose values are the identity is the identity, although it is recorded
        let m = DMatrix::from_fn(2, 2, |i, j| if i == j { x[0] * 1.0 } else { x[0] - 1.0 });
        assert!(m.is_identity(V::constant(0.0)));
    });
}

// ------------------------------------------------------------------------------------------------
// direct decompositions
// ------------------------------------------------------------------------------------------------

/// Jacobi: ∂ det A / ∂A = det(A)·A⁻ᵀ, through `determinant()` (closed forms for n ≤ 3, LU above),
/// `lu().determinant()` and `full_piv_lu().determinant()`, and forward/reverse agreement.
#[test]
fn determinant_gradient_is_jacobi() {
    for (n, seed) in cases() {
        let mut rng = Rng::new(seed);
        let a = rng.diag_dominant(n);
        let expected = flat(&(a.clone().try_inverse().unwrap().transpose() * a.determinant()));
        for (k, name) in ["determinant", "lu", "full_piv_lu"].iter().enumerate() {
            let mut s = [0.0; 3];
            s[k] = 1.0;
            let what = format!("det via {name}, n={n}");
            let (values, grad) = both_modes(
                &flat(&a),
                &s,
                |x| dets(x, n),
                |x| dets(x, n),
                &mut rng,
                &what,
            );
            assert!((values[k] - a.determinant()).abs() <= REL * a.determinant().abs());
            assert_close(&grad, &expected, REL, &what);
        }
    }
}

/// ∂(sᵀA⁻¹t)/∂A = −A⁻ᵀ s tᵀ A⁻ᵀ through `try_inverse()` (unrolled for n ≤ 4) and
/// `lu().try_inverse()`.
#[test]
fn inverse_gradient() {
    for (n, seed) in cases() {
        let mut rng = Rng::new(seed);
        let a = rng.diag_dominant(n);
        let (s, t) = (rng.vec(n, -1.0, 1.0), rng.vec(n, -1.0, 1.0));
        let ait = a.clone().try_inverse().unwrap().transpose();
        let sv = DVector::from_column_slice(&s);
        let tv = DVector::from_column_slice(&t);
        let expected = flat(&(-(&ait * sv) * (tv.transpose() * &ait)));
        for (k, name) in ["try_inverse", "lu().try_inverse"].iter().enumerate() {
            let mut seed_vec = [0.0; 2];
            seed_vec[k] = 1.0;
            let what = format!("sᵀA⁻¹t via {name}, n={n}");
            let (_, grad) = both_modes(
                &flat(&a),
                &seed_vec,
                |x| inverse_bilinear(x, n, &s, &t),
                |x| inverse_bilinear(x, n, &s, &t),
                &mut rng,
                &what,
            );
            assert_close(&grad, &expected, REL, &what);
        }
    }
}

/// The solution x of A x = b by `lu().solve` and `qr().solve`: for a random seed s, Jᵀs is
/// −A⁻ᵀ s xᵀ with respect to A and A⁻ᵀ s with respect to b.
#[test]
fn solve_vjp_lu_and_qr() {
    for (n, seed) in cases() {
        for how in ["lu", "qr"] {
            let mut rng = Rng::new(seed);
            let a = rng.diag_dominant(n);
            let b = rng.vec(n, -1.0, 1.0);
            let s = rng.vec(n, -1.0, 1.0);
            let mut input = flat(&a);
            input.extend_from_slice(&b);
            let what = format!("{how} solve, n={n}");
            let (x, jts) = both_modes(
                &input,
                &s,
                |v| solve(v, n, how),
                |v| solve(v, n, how),
                &mut rng,
                &what,
            );
            let w = a
                .transpose()
                .lu()
                .solve(&DVector::from_column_slice(&s))
                .unwrap();
            let mut expected = flat(&(-&w * DVector::from_column_slice(&x).transpose()));
            expected.extend(w.iter());
            assert_close(&jts, &expected, REL, &what);
        }
    }
}

/// `cholesky().solve` on the symmetric part A = (M + Mᵀ)/2 of the input (SPD): with w = A⁻¹s,
/// Jᵀs is −(w xᵀ + x wᵀ)/2 with respect to M and w with respect to b.
#[test]
fn cholesky_solve_vjp() {
    for (n, seed) in cases() {
        let mut rng = Rng::new(seed);
        let a = rng.spd(n);
        let b = rng.vec(n, -1.0, 1.0);
        let s = rng.vec(n, -1.0, 1.0);
        let mut input = flat(&a);
        input.extend_from_slice(&b);
        let what = format!("cholesky solve, n={n}");
        let (x, jts) = both_modes(
            &input,
            &s,
            |v| solve(v, n, "cholesky"),
            |v| solve(v, n, "cholesky"),
            &mut rng,
            &what,
        );
        let w = a
            .clone()
            .cholesky()
            .unwrap()
            .solve(&DVector::from_column_slice(&s));
        let xv = DVector::from_column_slice(&x);
        let g = (&w * xv.transpose() + &xv * w.transpose()) * -0.5;
        let mut expected = flat(&g);
        expected.extend(w.iter());
        assert_close(&jts, &expected, REL, &what);
    }
}

/// ∂ log det A / ∂M = A⁻¹ for SPD A = (M + Mᵀ)/2, through `cholesky().l()`.
#[test]
fn cholesky_log_det_gradient_is_inverse() {
    for (n, seed) in cases() {
        let mut rng = Rng::new(seed);
        let a = rng.spd(n);
        let what = format!("log det, n={n}");
        let (value, grad) = both_modes(
            &flat(&a),
            &[1.0],
            |x| vec![log_det_cholesky(x, n)],
            |x| vec![log_det_cholesky(x, n)],
            &mut rng,
            &what,
        );
        assert!((value[0] - a.determinant().ln()).abs() <= REL * value[0].abs().max(1.0));
        assert_close(&grad, &flat(&a.try_inverse().unwrap()), REL, &what);
    }
}

/// Forward over reverse (`reverse::hvp`, `Var<Dual<f64, 1>>` through `cholesky().l()`): the
/// Hessian of log det A(M) applied to a symmetric direction E is −A⁻¹ E A⁻¹, and its contraction
/// with E is −tr(A⁻¹ E A⁻¹ E).
#[test]
fn cholesky_log_det_hessian_vector_product() {
    for (n, seed) in cases() {
        let mut rng = Rng::new(seed);
        let a = rng.spd(n);
        let e = rng.symmetric(n);
        let (value, grad, hv) = reverse::hvp(|x| log_det_cholesky(x, n), &flat(&a), &flat(&e));
        let ainv = a.clone().try_inverse().unwrap();
        assert!((value - a.determinant().ln()).abs() <= REL * value.abs().max(1.0));
        assert_close(&grad, &flat(&ainv), REL, &format!("gradient, n={n}"));
        let expected = -&ainv * &e * &ainv;
        assert_close(&hv, &flat(&expected), REL, &format!("H·E, n={n}"));
        let contraction: f64 = hv.iter().zip(e.iter()).map(|(h, e)| h * e).sum();
        let closed = -(&ainv * &e * &ainv * &e).trace();
        assert!(
            (contraction - closed).abs() <= REL * closed.abs().max(1.0),
            "Eᵀ H E, n={n}: {contraction} vs {closed}"
        );
    }
}

// ------------------------------------------------------------------------------------------------
// iterative: symmetric eigenvalues
// ------------------------------------------------------------------------------------------------

/// ∂λᵢ/∂M = vᵢvᵢᵀ for the simple eigenvalues of A = (M + Mᵀ)/2, so Jᵀs = V diag(s) Vᵀ. The
/// values are the f64 run's bit for bit (same branches); the adjoints are the transpose of the
/// finite iteration, which agrees with the closed form to `REL` for separated eigenvalues (as the
/// forward tangents do, see `tests/suite/forward/nalgebra.rs`).
#[test]
fn symmetric_eigenvalue_gradients() {
    for (n, seed) in cases() {
        let mut rng = Rng::new(seed);
        let a = rng.separated_symmetric(n);
        let s = rng.vec(n, -1.0, 1.0);
        let what = format!("symmetric eigenvalues, n={n}");
        let (lambda, jts) = both_modes(
            &flat(&a),
            &s,
            |x| sym_eigenvalues(x, n),
            |x| sym_eigenvalues(x, n),
            &mut rng,
            &what,
        );
        let eig = sym_part(&a).symmetric_eigen();
        assert_eq!(
            lambda,
            eig.eigenvalues.as_slice(),
            "{what}: values differ from f64"
        );
        let v = &eig.eigenvectors;
        let expected = v * DMatrix::from_diagonal(&DVector::from_column_slice(&s)) * v.transpose();
        assert_close(&jts, &flat(&expected), REL, &what);
    }
}

/// The singular values of the input (nalgebra's order).
fn singular_values<T: RealField + Copy>(x: &[T], n: usize) -> Vec<T> {
    square(x, n).singular_values().iter().copied().collect()
}

/// ∂σᵢ/∂A = uᵢvᵢᵀ for simple singular values (`singular_values()`, an iterative bidiagonal SVD),
/// so Jᵀs = U diag(s) Vᵀ; diagonally dominant blocks with growing diagonal keep the σ separated.
#[test]
fn singular_value_gradients() {
    for (n, seed) in cases() {
        let mut rng = Rng::new(seed);
        let mut a = rng.matrix(n);
        for i in 0..n {
            a[(i, i)] += 2.0 * (i as f64 + 1.0);
        }
        let s = rng.vec(n, -1.0, 1.0);
        let what = format!("singular values, n={n}");
        let (sigma, jts) = both_modes(
            &flat(&a),
            &s,
            |x| singular_values(x, n),
            |x| singular_values(x, n),
            &mut rng,
            &what,
        );
        // `singular_values()` skips U and V, so its last bits may differ from `svd(true, true)`'s:
        // the bit-for-bit comparison is with the same f64 call
        assert_eq!(
            sigma,
            a.singular_values().as_slice(),
            "{what}: values differ from f64"
        );
        let svd = a.clone().svd(true, true);
        assert_close(&sigma, svd.singular_values.as_slice(), REL, &what);
        let (u, vt) = (svd.u.unwrap(), svd.v_t.unwrap());
        let expected = u * DMatrix::from_diagonal(&DVector::from_column_slice(&s)) * vt;
        assert_close(&jts, &flat(&expected), REL, &what);
    }
}

// ------------------------------------------------------------------------------------------------
// norms
// ------------------------------------------------------------------------------------------------

/// ∂‖x‖/∂x = x̂ and ∂(wᵀx̂)/∂x = (I − x̂x̂ᵀ)w/‖x‖ (through `normalize` and `try_normalize`).
#[test]
fn norm_and_normalize_gradients() {
    for (n, seed) in cases() {
        let mut rng = Rng::new(seed);
        let x = rng.vec(n, -1.0, 1.0);
        let w = rng.vec(n, -1.0, 1.0);
        let s = rng.vec(3, -1.0, 1.0);
        let what = format!("norms, n={n}");
        let (_, jts) = both_modes(&x, &s, |v| norms(v, &w), |v| norms(v, &w), &mut rng, &what);
        let xv = DVector::from_column_slice(&x);
        let wv = DVector::from_column_slice(&w);
        let norm = xv.norm();
        let xhat = &xv / norm;
        let d_unit = (&wv - &xhat * xhat.dot(&wv)) / norm;
        let expected = &xhat * s[0] + &d_unit * (s[1] + s[2]);
        assert_close(&jts, expected.as_slice(), REL, &what);
    }
}

/// At the zero vector: every square xᵢ·xᵢ has zero partials, so it is a constant and `norm()` is
/// the constant 0: its gradient is 0 (not NaN) and the gradient of the other inputs is exact.
/// `normalize()` gives NaN values as f64 does, `try_normalize` gives `None`, and `norm()` of a
/// vector whose only non-zero entry is recorded has the exact gradient.
#[test]
fn norm_at_the_zero_vector() {
    // f(x, y) = y·‖x‖ + y² with x = 0 ∈ ℝ³: ∇ = (0, 0, 0, ‖x‖ + 2y) = (0, 0, 0, 2y)
    for y in [-1.5, 0.0, 0.75] {
        let (value, grad) = reverse::gradient(
            |v| {
                let x = DVector::from_column_slice(&v[..3]);
                let n = x.norm();
                assert!(n.is_constant() && n.value() == 0.0);
                assert!(x.normalize().iter().all(|u| u.value().is_nan()));
                assert!(x.try_normalize(V::constant(0.0)).is_none());
                v[3] * n + v[3] * v[3]
            },
            &[0.0, 0.0, 0.0, y],
        );
        assert_eq!(value, y * y);
        assert_eq!(grad, vec![0.0, 0.0, 0.0, 2.0 * y]);
    }
    assert!(
        DVector::<f64>::zeros(3)
            .normalize()
            .iter()
            .all(|u| u.is_nan())
    );
    // x = (3, 0, 4): ∂‖x‖/∂x = (0.6, 0, 0.8), up to the rounding of 2·3/(2·5)
    let (value, grad) =
        reverse::gradient(|v| DVector::from_column_slice(v).norm(), &[3.0, 0.0, 4.0]);
    assert_eq!(value, 5.0);
    assert_close(
        &grad,
        &[0.6, 0.0, 0.8],
        4.0 * f64::EPSILON,
        "norm of (3, 0, 4)",
    );
}

// ------------------------------------------------------------------------------------------------
// ComplexField / RealField methods on Var
// ------------------------------------------------------------------------------------------------

/// Central difference with one Richardson step: error O(h⁴).
fn richardson(f: impl Fn(f64) -> f64, x: f64, h: f64) -> f64 {
    let d = |h: f64| (f(x + h) - f(x - h)) / (2.0 * h);
    (4.0 * d(h / 2.0) - d(h)) / 3.0
}

/// The composite methods (no `Float` counterpart) on a recorded Var: value equal to f64's bit for
/// bit, derivative equal to a Richardson difference of the f64 version. Tolerance 1e-8 relative,
/// as in `tests/suite/forward/nalgebra.rs`: the O(h⁴·f⁽⁵⁾) truncation with h = 1e-3 is at most ≈ 3e-9 relative
/// (`cosc` at |x| = 0.1), and the cancellation in the quotients costs ~1e-12.
#[test]
fn composite_methods_match_finite_differences() {
    type F = fn(f64) -> f64;
    type G = fn(V) -> V;
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
            |x| RealField::copysign(x, V::constant(-2.0)),
        ),
        (
            "scale/unscale",
            |x| x.scale(3.0).unscale(x + 5.0),
            |x| x.scale(V::constant(3.0)).unscale(x + 5.0),
        ),
    ];
    let mut rng = Rng::new(99);
    for (name, f64_version, var_version) in cases {
        for _ in 0..40 {
            let x = 3.0 * rng.uniform(-1.0, 1.0);
            let x = if x.abs() < 0.1 { x + 0.2 } else { x };
            let (value, grad) = reverse::gradient(|v| var_version(v[0]), &[x]);
            assert_eq!(
                value.to_bits(),
                f64_version(x).to_bits(),
                "{name}({x}): value"
            );
            let fd = richardson(f64_version, x, 1e-3);
            assert_close(&grad, &[fd], 1e-8, &format!("{name}({x})"));
        }
    }
}

/// Methods that delegate to `Float` record the same nodes: the same gradient bit for bit.
#[test]
fn delegating_methods_equal_float_methods() {
    type Pair = (&'static str, fn(V, V) -> V, fn(V, V) -> V);
    let pairs: [Pair; 14] = [
        ("sin", |x, _| ComplexField::sin(x), |x, _| Float::sin(x)),
        ("exp", |x, _| ComplexField::exp(x), |x, _| Float::exp(x)),
        ("tanh", |x, _| ComplexField::tanh(x), |x, _| Float::tanh(x)),
        (
            "asinh",
            |x, _| ComplexField::asinh(x),
            |x, _| Float::asinh(x),
        ),
        ("abs", |x, _| ComplexField::abs(x), |x, _| Float::abs(x)),
        (
            "ln|x|",
            |x, _| ComplexField::ln(Float::abs(x)),
            |x, _| Float::ln(Float::abs(x)),
        ),
        (
            "sqrt|x|",
            |x, _| ComplexField::sqrt(Float::abs(x)),
            |x, _| Float::sqrt(Float::abs(x)),
        ),
        (
            "powc",
            |x, p| ComplexField::powc(Float::abs(x), p),
            |x, p| Float::powf(Float::abs(x), p),
        ),
        (
            "hypot",
            |x, p| ComplexField::hypot(x, p),
            |x, p| Float::hypot(x, p),
        ),
        (
            "atan2",
            |x, p| RealField::atan2(x, p),
            |x, p| Float::atan2(x, p),
        ),
        (
            "mul_add",
            |x, p| ComplexField::mul_add(x, p, x),
            |x, p| Float::mul_add(x, p, x),
        ),
        ("max", |x, p| RealField::max(x, p), |x, p| Float::max(x, p)),
        ("cbrt", |x, _| ComplexField::cbrt(x), |x, _| Float::cbrt(x)),
        (
            "try_sqrt",
            |x, _| ComplexField::try_sqrt(Float::abs(x)).unwrap(),
            |x, _| Float::sqrt(Float::abs(x)),
        ),
    ];
    let mut rng = Rng::new(11);
    for (name, nalgebra_version, float_version) in pairs {
        for _ in 0..20 {
            let x = [
                3.0 * rng.uniform(-1.0, 1.0),
                0.7 + 0.2 * rng.uniform(-1.0, 1.0),
            ];
            let a = reverse::gradient(|v| nalgebra_version(v[0], v[1]), &x);
            let b = reverse::gradient(|v| float_version(v[0], v[1]), &x);
            assert_eq!(a.0.to_bits(), b.0.to_bits(), "{name}({x:?}): value");
            assert_eq!(a.1, b.1, "{name}({x:?}): gradient");
        }
    }
    // try_sqrt of a negative value is None, as for f64
    reverse::gradient(
        |v| {
            assert!(ComplexField::try_sqrt(v[0]).is_none());
            v[0]
        },
        &[-1.0],
    );
}

/// At x = 0: `sinc`/`sinhc` use their Taylor polynomial (value 1, derivative 0 exactly: the
/// polynomial is even); `cosc`/`coshc` have a pole, where simba's value 1 is kept and the
/// derivative of a recorded input is NaN, while a constant 0 gives the constant 1.
#[test]
fn cardinal_functions_at_zero() {
    let (v, g) = reverse::gradient(|x| x[0].sinc(), &[0.0]);
    assert_eq!((v, g), (1.0, vec![0.0]));
    let (v, g) = reverse::gradient(|x| x[0].sinhc() * 2.0, &[0.0]);
    assert_eq!((v, g), (2.0, vec![0.0]));
    for f in [|x: V| x.cosc(), |x: V| x.coshc()] {
        let (v, g) = reverse::gradient(|x| f(x[0]), &[0.0]);
        assert_eq!(v, 1.0);
        assert!(g[0].is_nan());
        let c = f(V::constant(0.0));
        assert!(c.is_constant() && c.value() == 1.0);
    }
    // second derivative of sinc at 0 is −1/3, by forward over reverse (4 ulps: rounding of the
    // Taylor coefficients)
    let (_, _, hv) = reverse::hvp(|x| x[0].sinc(), &[0.0f64], &[1.0]);
    assert!(
        (hv[0] + 1.0 / 3.0).abs() <= 4.0 * f64::EPSILON,
        "sinc''(0) = {}",
        hv[0]
    );
}
