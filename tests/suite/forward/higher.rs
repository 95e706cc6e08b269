//! Higher-order forward mode (`src/higher.rs`): second to fourth derivatives, Hessians and
//! Hessian-vector products, checked against closed forms, Richardson-extrapolated central
//! differences of the forward gradient, and identities, at fixed and seeded random points.

use crate::common::functions::{rosenbrock, rosenbrock_gradient, rosenbrock_hessian};
use std::cell::Cell;

use nalgebra::{DMatrix, DVector};
use nilpotent::{
    Chunk, DEFAULT_HESSIAN_CHUNK, Dual, derivative, fourth_derivative, gradient, gradient_with,
    hessian, hessian_with, hvp, hvp_with, jacobian, second_derivative, third_derivative,
};
use num_traits::Float;

use crate::common;
use common::Rng;

// ---------------------------------------------------------------------------------------------
// helpers

/// Asserts that every entry of `h` and its transpose are the same bits.
fn assert_exactly_symmetric(h: &DMatrix<f64>) {
    for i in 0..h.nrows() {
        for j in 0..i {
            assert_eq!(
                h[(i, j)].to_bits(),
                h[(j, i)].to_bits(),
                "H is not exactly symmetric at ({i}, {j})"
            );
        }
    }
}

fn max_abs(h: &DMatrix<f64>) -> f64 {
    h.iter().fold(0.0, |m, v| m.max(v.abs()))
}

// ---------------------------------------------------------------------------------------------
// test functions, generic over Float, with closed forms where they are short

/// log Σ exp(x_i), with H = diag(p) − p pᵀ, p = softmax(x).
fn log_sum_exp<T: Float>(x: &[T]) -> T {
    x.iter().fold(T::zero(), |s, &v| s + v.exp()).ln()
}

fn log_sum_exp_hessian(x: &[f64]) -> DMatrix<f64> {
    let z: f64 = x.iter().map(|v| v.exp()).sum();
    let p: Vec<f64> = x.iter().map(|v| v.exp() / z).collect();
    DMatrix::from_fn(x.len(), x.len(), |i, j| {
        if i == j {
            p[i] - p[i] * p[j]
        } else {
            -p[i] * p[j]
        }
    })
}

/// A function with dense, irregular coupling and no short closed-form Hessian (checked by finite
/// differences only).
fn tangled<T: Float>(x: &[T]) -> T {
    let n = x.len();
    let nf = T::from(n).unwrap();
    let mean = x.iter().fold(T::zero(), |s, &v| s + v) / nf;
    let mut s = mean.exp() * x.iter().fold(T::zero(), |s, &v| s + v.cos());
    for i in 0..n {
        let k = (i + 3) % n;
        s = s + x[i] * x[k] * x[k] / (T::one() + x[i] * x[i]) + (x[i] * x[(i + 1) % n]).sin();
    }
    s + x.iter().fold(T::zero(), |s, &v| s + v * v).sqrt().atan()
}

/// u = 1 + x + y + z + xy + yz + xz + xyz + exp(x/y + y/z).
fn u<T: Float>(p: &[T]) -> T {
    let (x, y, z) = (p[0], p[1], p[2]);
    T::one() + x + y + z + x * y + y * z + x * z + x * y * z + (x / y + y / z).exp()
}

/// The gradient and Hessian of `u` by hand: with w = x/y + y/z and E = e^w,
/// u_x = 1 + y + z + yz + E w_x, …, u_xy = 1 + z + E(w_x w_y + w_xy), ….
fn u_closed(p: &[f64]) -> (Vec<f64>, DMatrix<f64>) {
    let (x, y, z) = (p[0], p[1], p[2]);
    let e = (x / y + y / z).exp();
    let w = [1.0 / y, -x / (y * y) + 1.0 / z, -y / (z * z)]; // ∂w/∂x, ∂w/∂y, ∂w/∂z
    let ww = [
        [0.0, -1.0 / (y * y), 0.0],
        [-1.0 / (y * y), 2.0 * x / (y * y * y), -1.0 / (z * z)],
        [0.0, -1.0 / (z * z), 2.0 * y / (z * z * z)],
    ];
    let poly_grad = [
        1.0 + y + z + y * z,
        1.0 + x + z + x * z,
        1.0 + x + y + x * y,
    ];
    let poly_hess = [
        [0.0, 1.0 + z, 1.0 + y],
        [1.0 + z, 0.0, 1.0 + x],
        [1.0 + y, 1.0 + x, 0.0],
    ];
    let g = (0..3).map(|i| poly_grad[i] + e * w[i]).collect();
    let h = DMatrix::from_fn(3, 3, |i, j| poly_hess[i][j] + e * (w[i] * w[j] + ww[i][j]));
    (g, h)
}

/// The Hessian by Richardson-extrapolated central differences of the forward gradient:
/// column j = (4 D(h/2) − D(h)) / 3 with D(h) = (∇f(x + h e_j) − ∇f(x − h e_j)) / 2h, error O(h⁴).
/// A test function at the level `gradient` evaluates it on.
type GradFn = fn(&[Dual<f64, 8>]) -> Dual<f64, 8>;

fn fd_hessian(f: GradFn, x: &[f64], step: f64) -> DMatrix<f64> {
    let n = x.len();
    let central = |j: usize, h: f64| -> Vec<f64> {
        let (mut xp, mut xm) = (x.to_vec(), x.to_vec());
        xp[j] += h;
        xm[j] -= h;
        let (gp, gm) = (gradient(f, &xp).1, gradient(f, &xm).1);
        gp.iter()
            .zip(&gm)
            .map(|(a, b)| (a - b) / (2.0 * h))
            .collect()
    };
    let mut hess = DMatrix::zeros(n, n);
    for j in 0..n {
        let h = step * (1.0 + x[j].abs());
        let (d1, d2) = (central(j, h), central(j, h / 2.0));
        for i in 0..n {
            hess[(i, j)] = (4.0 * d2[i] - d1[i]) / 3.0;
        }
    }
    hess
}

// ---------------------------------------------------------------------------------------------
// scalar second to fourth derivatives

fn cube<T: Float>(x: T) -> T {
    x * x * x
}

#[test]
fn cube_derivatives_at_2_are_8_12_12_6() {
    // integer arithmetic in binary floating point: exact
    assert_eq!(second_derivative(cube, 2.0), (8.0, 12.0, 12.0));
    assert_eq!(third_derivative(cube, 2.0), (8.0, 12.0, 12.0, 6.0));
    assert_eq!(fourth_derivative(cube, 2.0), (8.0, 12.0, 12.0, 6.0, 0.0));
}

fn exp_sin<T: Float>(x: T) -> T {
    x.exp() * x.sin()
}

fn recip_1p<T: Float>(x: T) -> T {
    (T::one() + x).recip()
}

fn pow_2_5<T: Float>(x: T) -> T {
    x.powf(T::from(2.5).unwrap())
}

/// k-th derivatives in closed form, k = 0..=4.
fn exp_sin_k(x: f64, k: i32) -> f64 {
    // (eˣ sin x)⁽ᵏ⁾ = 2^(k/2) eˣ sin(x + kπ/4)
    2f64.powf(k as f64 / 2.0) * x.exp() * (x + k as f64 * std::f64::consts::FRAC_PI_4).sin()
}
fn recip_1p_k(x: f64, k: i32) -> f64 {
    // (1/(1+x))⁽ᵏ⁾ = (−1)ᵏ k! / (1+x)^(k+1)
    let fact = [1.0, 1.0, 2.0, 6.0, 24.0][k as usize];
    (-1f64).powi(k) * fact / (1.0 + x).powi(k + 1)
}
fn pow_2_5_k(x: f64, k: i32) -> f64 {
    // (x^2.5)⁽ᵏ⁾ = 2.5·1.5·…·(2.5−k+1) x^(2.5−k)
    let coef = (0..k).fold(1.0, |c, i| c * (2.5 - i as f64));
    coef * x.powf(2.5 - k as f64)
}

#[test]
fn second_to_fourth_derivatives_match_closed_forms_at_random_points() {
    type Case = (
        fn(Dual<Dual<Dual<Dual<f64, 1>, 1>, 1>, 1>) -> Dual<Dual<Dual<Dual<f64, 1>, 1>, 1>, 1>,
        fn(f64, i32) -> f64,
        f64,
        f64,
        &'static str,
    );
    let cases: [Case; 3] = [
        (exp_sin, exp_sin_k, -3.0, 3.0, "exp·sin"),
        (recip_1p, recip_1p_k, -0.5, 3.0, "1/(1+x)"),
        (pow_2_5, pow_2_5_k, 0.1, 4.0, "x^2.5"),
    ];
    let mut rng = Rng::new(0x5EED_0001);
    for (f4, closed, lo, hi, name) in cases {
        for _ in 0..200 {
            let x = rng.uniform(lo, hi);
            let d = fourth_derivative(f4, x);
            let got = [d.0, d.1, d.2, d.3, d.4];
            for (k, &g) in got.iter().enumerate() {
                let want = closed(x, k as i32);
                // both sides are a few roundings of the same smooth expression; the scale
                // |want| + (size of the terms) keeps sign changes (exp·sin at its zeros) covered.
                let scale = want.abs() + closed(x, 0).abs().max(1.0) * 2f64.powi(k as i32);
                assert!(
                    (g - want).abs() <= 1e-13 * scale,
                    "{name}: derivative {k} at {x}: {g} vs closed form {want}"
                );
            }
        }
    }
    // the lower-order drivers agree exactly with the deeper one's lower coefficients and with
    // `derivative` (the same operations on the same real and first-order parts)
    for _ in 0..50 {
        let x = rng.uniform(-3.0, 3.0);
        let (v1, d1) = derivative(exp_sin, x);
        let (v2, d2a, d2b) = second_derivative(exp_sin, x);
        let (v3, d3a, d3b, d3c) = third_derivative(exp_sin, x);
        assert_eq!((v1, d1), (v2, d2a));
        assert_eq!((v2, d2a), (v3, d3a));
        assert!((d2b - exp_sin_k(x, 2)).abs() <= 1e-13 * (1.0 + exp_sin_k(x, 0).abs()) * 2.0);
        assert!((d3b - d2b).abs() <= 1e-13 * (1.0 + d2b.abs()));
        assert!((d3c - exp_sin_k(x, 3)).abs() <= 1e-13 * (1.0 + exp_sin_k(x, 0).abs()) * 4.0);
    }
}

// ---------------------------------------------------------------------------------------------
// Hessians at fixed points

#[test]
fn rosenbrock_2d_hessian_at_minimum() {
    let (value, grad, h) = hessian(rosenbrock, &[1.0, 1.0]);
    assert_eq!(value, 0.0);
    assert_eq!(grad, vec![0.0, 0.0]);
    // small integers: exact
    assert_eq!(
        h,
        DMatrix::from_row_slice(2, 2, &[802.0, -400.0, -400.0, 200.0])
    );
}

#[test]
fn extended_rosenbrock_at_0_1_0_2_0_3() {
    let x = [0.1, 0.2, 0.3];
    let (value, grad, h) = hessian(rosenbrock, &x);
    // 0.1, 0.2, 0.3 are not binary fractions: a few roundings off the decimal answers
    assert!((value - 11.82).abs() < 1e-13, "value {value}");
    for (g, want) in grad.iter().zip([-9.4, 15.6, 52.0]) {
        assert!((g - want).abs() < 1e-12, "gradient {grad:?}");
    }
    let hc = rosenbrock_hessian(&x);
    // H = [[−66, −40, 0], [−40, 130, −80], [0, −80, 200]]
    let expected = DMatrix::from_row_slice(
        3,
        3,
        &[-66.0, -40.0, 0.0, -40.0, 130.0, -80.0, 0.0, -80.0, 200.0],
    );
    assert!((&hc - &expected).amax() < 1e-12);
    assert!((&h - &hc).amax() < 1e-12, "AD {h} vs closed form {hc}");
    assert_exactly_symmetric(&h);
}

#[test]
fn mixed_partials_of_u_at_1_2_3() {
    let (value, grad, h) = hessian(u, &[1.0, 2.0, 3.0]);
    let want_value = 1.0 + 1.0 + 2.0 + 3.0 + 2.0 + 6.0 + 3.0 + 6.0 + (7.0f64 / 6.0).exp();
    // relative 1e-14: a few roundings of values of order 10
    assert!((value - want_value).abs() < 1e-14 * want_value);
    assert!(
        (grad[0] - 13.60563527157678).abs() < 1e-14 * 13.6,
        "u_x = {}",
        grad[0]
    );
    assert!(
        (h[(0, 1)] - 3.330985303509675).abs() < 1e-14 * 3.4,
        "u_xy = {}",
        h[(0, 1)]
    );
    let (gc, hc) = u_closed(&[1.0, 2.0, 3.0]);
    for i in 0..3 {
        assert!(
            (grad[i] - gc[i]).abs() < 1e-13 * (1.0 + gc[i].abs()),
            "u_{i}"
        );
        for j in 0..3 {
            assert!(
                (h[(i, j)] - hc[(i, j)]).abs() < 1e-13 * (1.0 + hc[(i, j)].abs()),
                "u_{i}{j}: {} vs {}",
                h[(i, j)],
                hc[(i, j)]
            );
        }
    }
    assert_exactly_symmetric(&h);
}

#[test]
fn mixed_partials_of_u_at_random_points() {
    let mut rng = Rng::new(0x5EED_0002);
    for _ in 0..100 {
        // y, z away from 0, where u is smooth and exp(x/y + y/z) stays moderate
        let p = [
            rng.uniform(-2.0, 2.0),
            rng.uniform(0.5, 3.0),
            rng.uniform(0.5, 3.0),
        ];
        let (_, grad, h) = hessian_with(u, &p, Chunk::<2>);
        let (gc, hc) = u_closed(&p);
        let scale = 1.0 + max_abs(&hc);
        for i in 0..3 {
            assert!((grad[i] - gc[i]).abs() < 1e-12 * (1.0 + gc[i].abs()));
            for j in 0..3 {
                // relative to the largest entry: cancellation in the closed form of E·(w_i w_j + w_ij)
                assert!(
                    (h[(i, j)] - hc[(i, j)]).abs() < 1e-12 * scale,
                    "u_{i}{j} at {p:?}: {} vs {}",
                    h[(i, j)],
                    hc[(i, j)]
                );
            }
        }
        assert_exactly_symmetric(&h);
    }
}

fn abs_squared<T: Float>(x: &[T]) -> T {
    x[0].abs() * x[0].abs()
}

fn abs_of_neg_square<T: Float>(x: &[T]) -> T {
    (-(x[0] * x[0])).abs()
}

#[test]
fn abs_squared_has_second_derivative_2_at_signed_zeros() {
    // convention: d|x|/dx is the sign bit (+1 at +0, −1 at −0), so both compositions equal x²
    // to second order at either zero
    for z in [0.0, -0.0] {
        assert_eq!(hessian(abs_squared, &[z]).2[(0, 0)], 2.0);
        assert_eq!(hessian(abs_of_neg_square, &[z]).2[(0, 0)], 2.0);
        assert_eq!(second_derivative(|t| t.abs() * t.abs(), z).2, 2.0);
        assert_eq!(second_derivative(|t| (-(t * t)).abs(), z).2, 2.0);
    }
}

#[test]
fn hessian_of_empty_input() {
    fn seven<T: Float>(_: &[T]) -> T {
        T::from(7).unwrap()
    }
    let (value, grad, h) = hessian(seven, &[]);
    assert_eq!((value, grad.len(), h.shape()), (7.0, 0, (0, 0)));
    let (value, grad, hv) = hvp(seven, &[], &[]);
    assert_eq!((value, grad.len(), hv.len()), (7.0, 0, 0));
}

#[test]
fn hessian_in_f32() {
    let x = [0.5f32, -0.25, 1.5, 0.75];
    let (_, _, h) = hessian(rosenbrock, &x);
    let hc = rosenbrock_hessian(&x.map(f64::from));
    for i in 0..4 {
        for j in 0..4 {
            // f32 roundings of entries up to ~1e3: relative 1e-5 of the largest entry
            assert!((f64::from(h[(i, j)]) - hc[(i, j)]).abs() < 1e-5 * max_abs(&hc));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hessians at random points against finite differences and closed forms

#[test]
fn hessian_matches_finite_differences_of_gradient_at_random_points() {
    let functions: [(GradFn, &str); 3] = [
        (rosenbrock, "rosenbrock"),
        (log_sum_exp, "log_sum_exp"),
        (tangled, "tangled"),
    ];
    let mut rng = Rng::new(0x5EED_0003);
    let mut worst = 0.0f64;
    for n in [1, 2, 3, 7, 13, 20, 32, 50] {
        for (k, &(fg, name)) in functions.iter().enumerate() {
            let x = rng.vec(n, -1.5, 1.5);
            let (value, grad, h) = match k {
                0 => hessian(rosenbrock, &x),
                1 => hessian(log_sum_exp, &x),
                _ => hessian(tangled, &x),
            };
            let fd = fd_hessian(fg, &x, 2e-3);
            // Richardson error: truncation ~h⁴·|∂⁵f| ≈ 1e-11·|∂⁵f| and rounding
            // ~ε·|∇f|/h ≈ 1e-13·|∇f|, relative to the largest entry of H and ∇f (entries reach
            // ~1e3 for Rosenbrock). The worst observed is 4.5e-11 (seeded, so reproducible):
            // 1e-9 leaves a margin of 20 and still catches any wrong entry.
            let scale = 1.0 + max_abs(&h) + grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
            let err = (&h - &fd).amax() / scale;
            worst = worst.max(err);
            assert!(
                err < 1e-9,
                "{name}, n = {n}: relative error {err} vs finite differences"
            );
            assert_exactly_symmetric(&h);
            // value and gradient are those of `gradient` (same lanes, same operations): exactly
            let (v, g) = gradient(fg, &x);
            assert_eq!((value, &grad), (v, &g), "{name}, n = {n}");
        }
    }
    eprintln!("worst relative error vs finite differences: {worst:e}");
}

#[test]
fn hessian_matches_closed_forms_at_random_points() {
    let mut rng = Rng::new(0x5EED_0004);
    for n in [1, 2, 5, 13, 32, 50] {
        for _ in 0..3 {
            let x = rng.vec(n, -2.0, 2.0);
            let (_, grad, h) = hessian(rosenbrock, &x);
            let hc = rosenbrock_hessian(&x);
            // a handful of roundings of terms up to ~5e3: 1e-13 relative to the largest entry
            assert!(
                (&h - &hc).amax() < 1e-13 * (1.0 + max_abs(&hc)),
                "rosenbrock n = {n}"
            );
            let gc = rosenbrock_gradient(&x);
            for (g, w) in grad.iter().zip(&gc) {
                assert!((g - w).abs() < 1e-12 * (1.0 + w.abs()));
            }
            let (_, _, h) = hessian(log_sum_exp, &x);
            let hc = log_sum_exp_hessian(&x);
            // entries in [−1/4, 1]: absolute 1e-14
            assert!((&h - &hc).amax() < 1e-14, "log_sum_exp n = {n}");
        }
    }
}

#[test]
fn chunk_widths_agree_with_closed_form_and_count_evaluations() {
    let mut rng = Rng::new(0x5EED_0005);
    fn check<const N: usize>(x: &[f64]) {
        let calls = Cell::new(0usize);
        let (value, grad, h) = hessian_with(
            |v| {
                calls.set(calls.get() + 1);
                rosenbrock(v)
            },
            x,
            Chunk::<N>,
        );
        let n = x.len();
        let c = n.div_ceil(N);
        assert_eq!(
            calls.get(),
            c * (c + 1) / 2,
            "n = {n}, N = {N}: evaluations"
        );
        let hc = rosenbrock_hessian(x);
        // as in hessian_matches_closed_forms_at_random_points
        assert!(
            (&h - &hc).amax() < 1e-13 * (1.0 + max_abs(&hc)),
            "n = {n}, N = {N}"
        );
        assert_exactly_symmetric(&h);
        assert_eq!((value, grad), gradient_with(rosenbrock, x, Chunk::<N>));

        let (_, _, h) = hessian_with(log_sum_exp, x, Chunk::<N>);
        assert!(
            (&h - &log_sum_exp_hessian(x)).amax() < 1e-14,
            "n = {n}, N = {N}"
        );
        assert_exactly_symmetric(&h);

        let v: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).sin()).collect();
        let calls = Cell::new(0usize);
        let (hv_value, hv_grad, hv) = hvp_with(
            |p| {
                calls.set(calls.get() + 1);
                rosenbrock(p)
            },
            x,
            &v,
            Chunk::<N>,
        );
        assert_eq!(calls.get(), c, "hvp n = {n}, N = {N}: passes");
        assert_eq!(
            (hv_value, hv_grad),
            gradient_with(rosenbrock, x, Chunk::<N>)
        );
        let want = &hc * DVector::from_column_slice(&v);
        for i in 0..n {
            assert!(
                (hv[i] - want[i]).abs() < 1e-12 * (1.0 + max_abs(&hc)),
                "hvp n = {n}, N = {N}"
            );
        }
    }
    let x13 = rng.vec(13, -1.5, 1.5);
    check::<1>(&x13);
    check::<4>(&x13);
    check::<6>(&x13);
    check::<12>(&x13);
    check::<13>(&x13);
    for n in [1, 2] {
        let x = rng.vec(n, -1.5, 1.5);
        check::<1>(&x);
        check::<4>(&x);
        check::<DEFAULT_HESSIAN_CHUNK>(&x);
    }
}

#[test]
fn evaluation_counts_for_32_inputs() {
    let x: Vec<f64> = (0..32).map(|i| (i as f64 * 0.37).cos()).collect();
    let calls = Cell::new(0usize);
    let counted = |v: &[Dual<Dual<f64, 8>, 8>]| {
        calls.set(calls.get() + 1);
        rosenbrock(v)
    };
    hessian(counted, &x);
    assert_eq!(
        calls.get(),
        10,
        "hessian, n = 32, default chunk 8: 4·5/2 chunk pairs"
    );
    calls.set(0);
    hessian_with(
        |v| {
            calls.set(calls.get() + 1);
            rosenbrock(v)
        },
        &x,
        Chunk::<4>,
    );
    assert_eq!(
        calls.get(),
        36,
        "hessian_with Chunk<4>, n = 32: 8·9/2 chunk pairs"
    );
    calls.set(0);
    hvp(
        |v| {
            calls.set(calls.get() + 1);
            rosenbrock(v)
        },
        &x,
        &x,
    );
    assert_eq!(calls.get(), 4, "hvp, n = 32, default chunk 8");
}

#[test]
fn hvp_matches_hessian_times_v_at_random_points() {
    let mut rng = Rng::new(0x5EED_0006);
    for n in [1, 2, 3, 9, 16, 33, 50] {
        for trial in 0..3 {
            let x = rng.vec(n, -1.5, 1.5);
            let v = rng.vec(n, -1.0, 1.0);
            let ((value, grad, hv), (hvalue, hgrad, h)) = match trial {
                0 => (hvp(rosenbrock, &x, &v), hessian(rosenbrock, &x)),
                1 => (hvp(log_sum_exp, &x, &v), hessian(log_sum_exp, &x)),
                _ => (hvp(tangled, &x, &v), hessian(tangled, &x)),
            };
            // value and gradient: the same lanes as `hessian`'s inner level, exactly
            assert_eq!((value, &grad), (hvalue, &hgrad), "n = {n}, trial {trial}");
            // H·v: the same second-order partials summed in another order; rounding only, bounded
            // by n·ε·Σ|H_ij v_j| (< 1e-12 of that sum for n ≤ 50)
            let want = &h * DVector::from_column_slice(&v);
            for i in 0..n {
                let bound: f64 = (0..n).map(|j| (h[(i, j)] * v[j]).abs()).sum();
                assert!(
                    (hv[i] - want[i]).abs() <= 1e-12 * (bound + f64::MIN_POSITIVE),
                    "n = {n}, trial {trial}, i = {i}: {} vs {}",
                    hv[i],
                    want[i]
                );
            }
        }
    }
}

#[test]
fn jacobian_of_forward_gradient_equals_hessian() {
    // forward over forward by nesting the drivers by hand: the inner gradient is evaluated at the
    // outer variables (a Dual<f64, 8> point), so its own variables live one level up
    let mut rng = Rng::new(0x5EED_0007);
    for n in [1, 4, 11, 20] {
        let x = rng.vec(n, -1.0, 1.0);
        let (grad_values, jac) = jacobian(|p: &[Dual<f64, 8>]| gradient(tangled, p).1, &x);
        let (_, grad, h) = hessian(tangled, &x);
        assert_eq!(grad_values, grad);
        // the same partials from differently nested lanes: rounding only
        assert!((&jac - &h).amax() < 1e-12 * (1.0 + max_abs(&h)), "n = {n}");
    }
}

// ---------------------------------------------------------------------------------------------
// nesting semantics (perturbation confusion)

#[test]
fn perturbation_confusion_x_times_d_dy_x_plus_y() {
    // d/dx [x · d/dy (x + y)|_{y=1}] = d/dx [x] = 1, at random x too
    let mut rng = Rng::new(0x5EED_0008);
    for x0 in [1.0]
        .into_iter()
        .chain((0..20).map(|_| rng.uniform(-5.0, 5.0)))
    {
        let (_, d) = derivative(
            |x: Dual<f64, 1>| {
                let (_, dy) = derivative(
                    |y: Dual<Dual<f64, 1>, 1>| Dual::constant(x) + y,
                    Dual::constant(1.0),
                );
                x * dy
            },
            x0,
        );
        assert_eq!(d, 1.0);
    }
}

#[test]
fn perturbation_confusion_x_times_d_dy_x_times_y() {
    // d/dx [x · d/dy (x·y)|_{y=1}] = d/dx [x²] = 2x: 8 at x = 4
    let mut rng = Rng::new(0x5EED_0009);
    for x0 in [4.0]
        .into_iter()
        .chain((0..20).map(|_| rng.uniform(-5.0, 5.0)))
    {
        let (_, d) = derivative(
            |x: Dual<f64, 1>| {
                let (_, dy) = derivative(
                    |y: Dual<Dual<f64, 1>, 1>| Dual::constant(x) * y,
                    Dual::constant(1.0),
                );
                x * dy
            },
            x0,
        );
        assert_eq!(d, 2.0 * x0);
    }
}

#[test]
fn jacobian_wrt_x_of_gradient_wrt_y_of_y_a_x_is_a() {
    let mut rng = Rng::new(0x5EED_000A);
    let (m, n) = (3, 5);
    for _ in 0..10 {
        let a = DMatrix::from_fn(m, n, |_, _| rng.uniform(-2.0, 2.0));
        let x0 = rng.vec(n, -1.0, 1.0);
        let y0 = rng.vec(m, -1.0, 1.0);
        let (ax, jac) = jacobian(
            |x: &[Dual<f64, 8>]| {
                let y_point: Vec<Dual<f64, 8>> = y0.iter().map(|&v| Dual::constant(v)).collect();
                let (_, grad_y) = gradient(
                    |y: &[Dual<Dual<f64, 8>, 8>]| {
                        let mut s = Dual::constant(Dual::constant(0.0));
                        for i in 0..m {
                            for j in 0..n {
                                s += y[i] * Dual::constant(x[j] * a[(i, j)]);
                            }
                        }
                        s
                    },
                    &y_point,
                );
                grad_y
            },
            &x0,
        );
        // ∂(Ax)_i/∂x_j accumulates a_ij·1 and exact zeros: exactly A
        assert_eq!(jac, a);
        let want = &a * DVector::from_column_slice(&x0);
        for i in 0..m {
            assert!((ax[i] - want[i]).abs() < 1e-14 * (1.0 + want[i].abs()));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// bad input

#[test]
#[should_panic(expected = "hvp: the direction v has 2 entries; expected 3, one per entry of x")]
fn hvp_rejects_direction_of_wrong_length() {
    hvp(rosenbrock, &[1.0, 2.0, 3.0], &[1.0, 0.0]);
}

#[test]
#[should_panic(expected = "hvp: the direction v has 4 entries; expected 3, one per entry of x")]
fn hvp_with_rejects_direction_of_wrong_length() {
    hvp_with(
        rosenbrock,
        &[1.0, 2.0, 3.0],
        &[1.0, 0.0, 0.0, 0.0],
        Chunk::<2>,
    );
}

#[test]
#[should_panic(expected = "hessian_with: the chunk width must be at least 1")]
fn hessian_with_rejects_chunk_0() {
    hessian_with(rosenbrock, &[1.0, 2.0], Chunk::<0>);
}

#[test]
#[should_panic(expected = "hvp_with: the chunk width must be at least 1")]
fn hvp_with_rejects_chunk_0() {
    hvp_with(rosenbrock, &[1.0, 2.0], &[1.0, 1.0], Chunk::<0>);
}
