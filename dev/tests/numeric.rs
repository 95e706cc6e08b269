//! Tests of `nilpotent::numeric`: finite differences (orders of convergence, step rule, gradients,
//! Jacobians, directional derivatives, f32) and the derivative checker.
//!
//! Oracles: closed-form derivatives of elementary functions, and the forward-mode drivers (which the
//! rule-table tests check independently). Random points come from a seeded xorshift generator
//! (reproducible) or from quickcheck.

use nalgebra::DMatrix;
use nilpotent::numeric::{
    self, CheckFailure, CheckKind, Checker, FiniteDiff, Scheme, check_derivative, check_gradient,
    check_jacobian,
};
use nilpotent::{Dual, gradient, jacobian, jvp};
use num_traits::Float;
use quickcheck::{QuickCheck, TestResult};

// ---------------------------------------------------------------------------------------------
// helpers

/// A seeded xorshift64* generator: reproducible random points.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let r = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (r >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [a, b).
    fn range(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.unit()
    }
}

/// Maps an arbitrary quickcheck f64 (possibly NaN/∞/huge) into [a, b].
fn into_range(v: f64, a: f64, b: f64) -> f64 {
    if !v.is_finite() {
        return (a + b) / 2.0;
    }
    let t = (v.abs() % 1000.0) / 1000.0;
    a + (b - a) * t
}

/// A smooth test function of one variable with closed-form derivatives f, f′, f″, f‴ and a domain
/// on which none of the derivatives that lead the error terms (orders 2 to 7) vanishes, so that the
/// ratios of errors are governed by the leading term.
struct Fun {
    name: &'static str,
    f: fn(f64) -> f64,
    d1: fn(f64) -> f64,
    d2: fn(f64) -> f64,
    d3: fn(f64) -> f64,
    lo: f64,
    hi: f64,
}

fn funs() -> Vec<Fun> {
    vec![
        // all derivatives e^x > 0
        Fun {
            name: "exp",
            f: f64::exp,
            d1: f64::exp,
            d2: f64::exp,
            d3: f64::exp,
            lo: -1.0,
            hi: 1.0,
        },
        // derivatives (−1)^k k!/x^(k+1), never 0
        Fun {
            name: "1/x",
            f: |x| 1.0 / x,
            d1: |x| -1.0 / (x * x),
            d2: |x| 2.0 / (x * x * x),
            d3: |x| -6.0 / (x * x * x * x),
            lo: 1.0,
            hi: 2.0,
        },
        // derivatives (−1)^(k+1) (k−1)!/x^k, never 0
        Fun {
            name: "ln",
            f: f64::ln,
            d1: |x| 1.0 / x,
            d2: |x| -1.0 / (x * x),
            d3: |x| 2.0 / (x * x * x),
            lo: 1.0,
            hi: 2.0,
        },
        // derivatives c_k x^(1/2 − k), c_k ≠ 0
        Fun {
            name: "sqrt",
            f: f64::sqrt,
            d1: |x| 0.5 / x.sqrt(),
            d2: |x| -0.25 / (x * x.sqrt()),
            d3: |x| 0.375 / (x * x * x.sqrt()),
            lo: 1.0,
            hi: 2.0,
        },
        // on [0.2, 1.2]: sin ≥ 0.19 and cos ≥ 0.36, so no derivative vanishes
        Fun {
            name: "sin",
            f: f64::sin,
            d1: f64::cos,
            d2: |x| -x.sin(),
            d3: |x| -x.cos(),
            lo: 0.2,
            hi: 1.2,
        },
    ]
}

/// The ratio e(h)/e(h/2) of the errors of `fd` with steps h and h/2, at x.
fn error_ratio(fd: FiniteDiff<f64>, fun: &Fun, x: f64, h: f64) -> f64 {
    let exact = (fun.d1)(x);
    let e1 = fd.with_step(h).derivative(fun.f, x) - exact;
    let e2 = fd.with_step(h / 2.0).derivative(fun.f, x) - exact;
    e1 / e2
}

/// Checks that the error ratio is within `ratio·(1 ± rel)` for every test function on 20 random
/// points of its domain.
fn assert_order(fd: FiniteDiff<f64>, h: f64, ratio: f64, rel: f64, seed: u64) {
    let mut rng = Rng::new(seed);
    for fun in funs() {
        for _ in 0..20 {
            let x = rng.range(fun.lo, fun.hi);
            let r = error_ratio(fd, &fun, x, h);
            if std::env::var("SHOW_RATIOS").is_ok() {
                eprintln!("{:?} {} {x:.3} {r:.5}", fd.scheme, fun.name);
            }
            assert!(
                (r / ratio - 1.0).abs() <= rel,
                "{:?}: error ratio {r} for {} at x = {x} with h = {h}, expected {ratio} ± {}",
                fd.scheme,
                fun.name,
                ratio * rel
            );
        }
    }
}

/// The lecture's objective e^{x₁}(4x₁² + 2x₂² + 4x₁x₂ + 2x₂ + 1).
fn objective<T: Float>(x: &[T]) -> T {
    let c = |v: f64| T::from(v).unwrap();
    let (x1, x2) = (x[0], x[1]);
    x1.exp() * (c(4.0) * x1 * x1 + c(2.0) * x2 * x2 + c(4.0) * x1 * x2 + c(2.0) * x2 + c(1.0))
}

/// Its hand-written gradient (correct).
fn objective_grad<T: Float>(x: &[T]) -> Vec<T> {
    let c = |v: f64| T::from(v).unwrap();
    let (x1, x2) = (x[0], x[1]);
    let f = objective(x);
    vec![
        f + x1.exp() * (c(8.0) * x1 + c(4.0) * x2),
        x1.exp() * (c(4.0) * x1 + c(4.0) * x2 + c(2.0)),
    ]
}

/// The lecture's constraints c₁ = 1.5 + x₁x₂ − x₁ − x₂, c₂ = −x₁x₂ − 10.
fn constraints<T: Float>(x: &[T]) -> Vec<T> {
    let c = |v: f64| T::from(v).unwrap();
    let (x1, x2) = (x[0], x[1]);
    vec![c(1.5) + x1 * x2 - x1 - x2, -x1 * x2 - c(10.0)]
}

/// The listing's constraint Jacobian (rows read as gradients: wrong).
fn listing_jac(x: &[f64]) -> DMatrix<f64> {
    DMatrix::from_row_slice(2, 2, &[x[1] - 1.0, -x[1], x[0] - 1.0, -x[0]])
}

/// The correct constraint Jacobian.
fn correct_jac(x: &[f64]) -> DMatrix<f64> {
    DMatrix::from_row_slice(2, 2, &[x[1] - 1.0, x[0] - 1.0, -x[1], -x[0]])
}

/// The reference example of the lecture, f(x₁, x₂) = ln x₁ + x₁x₂ − sin x₂.
fn lecture<T: Float>(x: &[T]) -> T {
    x[0].ln() + x[0] * x[1] - x[1].sin()
}

/// A function of 13 inputs coupling neighbours.
fn chain13<T: Float>(x: &[T]) -> T {
    let c = |v: f64| T::from(v).unwrap();
    let mut s = T::zero();
    for i in 0..x.len() {
        let next = x[(i + 1) % x.len()];
        s = s + x[i].sin() * next + (x[i] / c(5.0)).exp() + c(0.1) * x[i] * x[i] * next;
    }
    s
}

/// A map ℝ³ → ℝ⁴.
fn vecfun<T: Float>(x: &[T]) -> Vec<T> {
    vec![
        x[0] * x[1] * x[2],
        x[0].sin() + x[1].cos() * x[2],
        (x[0] - x[2]).exp(),
        x[1].atan2(T::one() + x[0] * x[0]),
    ]
}

const SCHEMES: [Scheme; 4] = [
    Scheme::Forward,
    Scheme::Backward,
    Scheme::Central,
    Scheme::Richardson { levels: 3 },
];

fn fd_of(scheme: Scheme) -> FiniteDiff<f64> {
    FiniteDiff { scheme, step: None }
}

// ---------------------------------------------------------------------------------------------
// orders of convergence
//
// Steps are chosen so that truncation error dominates rounding error: rounding (≈ ε·|f|/h times
// the Richardson weights) is below 1e-3 of the truncation error at the smaller step in every case
// below. The next term of the error expansion D(h) = f′ + Σ f⁽²ᵏ⁺¹⁾h²ᵏ/(2k+1)! (central; one-sided
// has all powers) changes the ratio: with e(h) ≈ c·hᵖ·(1 + a·h^q), e(h)/e(h/2) ≈ 2ᵖ·(1 + (1−2^−q)·a·h^q).
// The bands are about 5-10× the largest such correction over the test functions (1/x at x = 1
// has the largest derivative ratios, f⁽ᵏ⁺²⁾/f⁽ᵏ⁾ = (k+1)(k+2)/x²); the corrections were derived
// first and then observed (in brackets).

#[test]
fn forward_and_backward_differences_converge_at_order_1() {
    // h = 2⁻¹⁰: truncation h·|f″|/2 ≳ 1e-4, rounding 2ε|f|/h ≈ 1e-12. a = f‴/(3f″): |a| ≤ 1.64
    // (sin at x = 0.2, cot x / 3), correction a·h/2 ≤ 8e-4 [observed ≤ 1.3e-3 with rounding]: band 2 ± 1%.
    assert_order(FiniteDiff::forward(), 2f64.powi(-10), 2.0, 0.01, 1);
    assert_order(FiniteDiff::backward(), 2f64.powi(-10), 2.0, 0.01, 2);
}

#[test]
fn central_differences_converge_at_order_2() {
    // h = 2⁻⁶: truncation h²·|f‴|/6 ≳ 2e-5, rounding ε|f|/h ≈ 3e-14. a = f⁽⁵⁾/(20f‴) ≤ 1 (1/x),
    // correction 0.75·a·h² ≤ 1.8e-4 [observed 1.7e-4]: band 4 ± 0.5%.
    assert_order(FiniteDiff::central(), 2f64.powi(-6), 4.0, 0.005, 3);
}

#[test]
fn one_richardson_step_converges_at_order_4() {
    // levels = 2, first step h = 2⁻⁵: error −f⁽⁵⁾h⁴/480 − 0.3125·f⁽⁷⁾h⁶/5040, ≳ 2e-9 at h,
    // rounding ≈ 1.7·ε|f|/(h/4) ≈ 5e-14. a = 0.0298·f⁽⁷⁾/f⁽⁵⁾ ≤ 1.25 (1/x), correction
    // 0.75·a·h² ≤ 9e-4 [observed 8.6e-4]: band 16 ± 1%.
    assert_order(FiniteDiff::richardson(2), 2f64.powi(-5), 16.0, 0.01, 4);
}

#[test]
fn two_richardson_steps_converge_at_order_6() {
    // levels = 3, first step h = 2⁻²: error f⁽⁷⁾h⁶/322560 + 0.0205·f⁽⁹⁾h⁸/362880, ≳ 1e-12·f⁽⁷⁾/…
    // at h/2 (sin: 1e-11), rounding ≈ 2ε|f|/(h/8) ≈ 4e-15. a = 0.0182·f⁽⁹⁾/f⁽⁷⁾ ≤ 1.31 (1/x),
    // correction 0.75·a·h² ≤ 6.2% [observed 6.3%; exp, sin 0.1%]: band 64 ± 10%. (With h = 2⁻³
    // rounding would reach 5% of the truncation error for sin and exp.)
    assert_order(FiniteDiff::richardson(3), 2f64.powi(-2), 64.0, 0.1, 5);
}

#[test]
fn error_orders_and_evaluation_counts_are_documented_values() {
    assert_eq!(FiniteDiff::<f64>::forward().error_order(), 1);
    assert_eq!(FiniteDiff::<f64>::backward().error_order(), 1);
    assert_eq!(FiniteDiff::<f64>::central().error_order(), 2);
    assert_eq!(FiniteDiff::<f64>::richardson(1).error_order(), 2);
    assert_eq!(FiniteDiff::<f64>::richardson(4).error_order(), 8);
    assert_eq!(
        FiniteDiff::<f64>::default().scheme,
        Scheme::Richardson { levels: 3 }
    );
    assert_eq!(Scheme::Central.evaluations(), 2);
    assert_eq!(Scheme::Richardson { levels: 3 }.evaluations(), 6);
    // and the count is real: count evaluations
    for scheme in SCHEMES {
        let count = std::cell::Cell::new(0);
        fd_of(scheme).derivative(
            |x: f64| {
                count.set(count.get() + 1);
                x.sin()
            },
            0.3,
        );
        assert_eq!(count.get(), scheme.evaluations(), "{scheme:?}");
    }
}

#[test]
fn richardson_with_one_level_is_a_central_difference() {
    let mut rng = Rng::new(6);
    for _ in 0..20 {
        let x = rng.range(-3.0, 3.0);
        let h = rng.range(1e-4, 1e-2);
        let a = FiniteDiff::richardson(1)
            .with_step(h)
            .derivative(f64::sin, x);
        let b = FiniteDiff::central().with_step(h).derivative(f64::sin, x);
        assert_eq!(a, b);
    }
}

// ---------------------------------------------------------------------------------------------
// automatic step: accuracy, x = 0, large and small |x|

/// Error bound of each scheme with its automatic step h = c·s, s = max(|x|, 1), from
/// truncation + rounding: forward/backward h|f″|/2 + 2ε|f|/h, central h²|f‴|/6 + ε|f|/h, each times 4
/// for the few-ulp error of evaluating f (libm exp/ln/sin are within 1 ulp; 1/x, sqrt exact-rounded).
/// Richardson (levels 3) has no simple closed bound; 1e-12·(1 + |f|) is ~10× its observed error for
/// these functions (rounding ≈ 2ε|f|/(h/4) ≈ 3e-13|f|, truncation ≈ h⁶ ≈ 4e-14).
fn auto_bound(scheme: Scheme, fun: &Fun, x: f64) -> f64 {
    let eps = f64::EPSILON;
    let s = x.abs().max(1.0);
    let (f, d2, d3) = ((fun.f)(x).abs(), (fun.d2)(x).abs(), (fun.d3)(x).abs());
    match scheme {
        Scheme::Forward | Scheme::Backward => {
            let h = eps.sqrt() * s;
            4.0 * (h * d2 / 2.0 + 2.0 * eps * f / h)
        }
        Scheme::Central => {
            let h = eps.cbrt() * s;
            4.0 * (h * h * d3 / 6.0 + eps * f / h)
        }
        Scheme::Richardson { .. } => 1e-12 * (1.0 + f),
    }
}

#[test]
fn automatic_steps_reach_the_accuracy_of_their_scheme() {
    let mut rng = Rng::new(7);
    for fun in funs() {
        for _ in 0..50 {
            let x = rng.range(fun.lo, fun.hi);
            for scheme in SCHEMES {
                let err = (fd_of(scheme).derivative(fun.f, x) - (fun.d1)(x)).abs();
                let bound = auto_bound(scheme, &fun, x);
                assert!(
                    err <= bound,
                    "{scheme:?} on {} at {x}: error {err:e} > bound {bound:e}",
                    fun.name
                );
            }
        }
    }
}

#[test]
fn differences_at_zero_are_finite_and_accurate() {
    // at x = ±0 the step is c·max(0, 1) = c > 0: no division by zero, no NaN
    type Case = (fn(f64) -> f64, f64);
    let cases: [Case; 4] = [
        (f64::sin, 1.0),
        (f64::exp, 1.0),
        (|x| x * x + x, 1.0),
        (f64::cos, 0.0),
    ];
    for x in [0.0, -0.0] {
        for scheme in SCHEMES {
            let fd = fd_of(scheme);
            assert!(fd.step_at(x) > 0.0);
            for (f, d) in cases {
                let v = fd.derivative(f, x);
                // one-sided: h·|f″|/2 + rounding ≤ 1e-7; central and Richardson are better
                assert!(
                    v.is_finite() && (v - d).abs() < 1e-7,
                    "{scheme:?}: {v} vs {d} at {x}"
                );
            }
            let g = fd.gradient(lecture_shifted, &[0.0, 0.0]);
            assert!(g.iter().all(|v| v.is_finite()), "{scheme:?}: {g:?}");
            let dd = fd.directional(lecture_shifted, &[0.0, 0.0], &[1.0, -2.0]);
            assert!(dd.is_finite());
        }
    }
    // |x| at 0: forward +1, backward −1, central 0 — finite, as the formulas say
    assert_eq!(FiniteDiff::forward().derivative(f64::abs, 0.0), 1.0);
    assert_eq!(FiniteDiff::backward().derivative(f64::abs, 0.0), -1.0);
    assert_eq!(FiniteDiff::central().derivative(f64::abs, 0.0), 0.0);
}

/// ln(1 + x₁²) + x₁x₂ − sin x₂: smooth at the origin.
fn lecture_shifted<T: Float>(x: &[T]) -> T {
    (T::one() + x[0] * x[0]).ln() + x[0] * x[1] - x[1].sin()
}

#[test]
fn the_step_scales_with_the_magnitude_of_x() {
    // at x = 1e12 the spacing of f64 is 1.2e-4: an absolute step of ε^(1/3) ≈ 6e-6 would vanish;
    // the scaled step is 6e6 and the central difference of x² is exact up to rounding of 1e24-size
    // values (relative 1e-10 would already be generous: x² is a parabola, truncation is 0).
    for x in [1e12, -3e9, 7e15] {
        for scheme in SCHEMES {
            let d = fd_of(scheme).derivative(|t: f64| t * t, x);
            let one_sided = matches!(scheme, Scheme::Forward | Scheme::Backward);
            // one-sided truncation is exactly h = √ε·|x| relative to 2|x|: 1e-8
            let tol = if one_sided { 2e-8 } else { 1e-9 };
            assert!((d / (2.0 * x) - 1.0).abs() < tol, "{scheme:?} at {x}: {d}");
        }
    }
    // at tiny x the step is absolute (c·1): sin′(1e-12) = cos(1e-12) ≈ 1
    for scheme in SCHEMES {
        let d = fd_of(scheme).derivative(f64::sin, 1e-12);
        assert!((d - 1.0).abs() < 1e-7, "{scheme:?}: {d}");
    }
    // the documented automatic steps
    let eps = f64::EPSILON;
    assert_eq!(
        FiniteDiff::<f64>::forward().step_at(-250.0),
        eps.sqrt() * 250.0
    );
    assert_eq!(FiniteDiff::<f64>::central().step_at(0.5), eps.cbrt());
    let r = FiniteDiff::<f64>::richardson(3).step_at(4.0);
    assert!((r / (4.0 * eps.powf(1.0 / 7.0)) - 1.0).abs() < 1e-15);
    // a chosen step is used as given
    assert_eq!(
        FiniteDiff::<f64>::central().with_step(0.25).step_at(1e6),
        0.25
    );
}

#[test]
fn the_divisor_is_the_distance_between_the_points_evaluated() {
    // for f(x) = x the quotient must be exactly 1 whatever the rounding of x ± h:
    // (fl(x+h) − x)/(fl(x+h) − x) = 1 with the trick, but (fl(x+h) − x)/h ≠ 1 in general
    let mut rng = Rng::new(8);
    for _ in 0..200 {
        let x = rng.range(-1e3, 1e3);
        let h = rng.range(1e-9, 1e-3);
        for scheme in SCHEMES {
            let d = fd_of(scheme).with_step(h).derivative(|t| t, x);
            // Richardson combines several exact 1s with coefficients summing to 1: a few ulps
            let tol = if matches!(scheme, Scheme::Richardson { .. }) {
                1e-15
            } else {
                0.0
            };
            assert!((d - 1.0).abs() <= tol, "{scheme:?} x = {x} h = {h}: {d}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// gradients, Jacobians, directional derivatives against the forward drivers

/// Tolerances of FD against AD for the functions below (values and derivatives up to 7th order of
/// size ≲ 50 on the sampled domains), from the scheme's attainable accuracy ε^(p/(p+1)) times that
/// size: forward/backward √ε·50 ≈ 1e-6, central ε^(2/3)·50 ≈ 2e-9 → 1e-8, Richardson
/// 3e-13·50 ≈ 1.5e-11 → 1e-10. Relative to max(1, |AD|).
fn fd_tol(scheme: Scheme) -> f64 {
    match scheme {
        Scheme::Forward | Scheme::Backward => 1e-6,
        Scheme::Central => 1e-8,
        Scheme::Richardson { .. } => 1e-10,
    }
}

#[test]
fn gradients_match_the_forward_driver_on_random_points() {
    let mut rng = Rng::new(9);
    for _ in 0..30 {
        let x2 = [rng.range(0.5, 4.0), rng.range(-3.0, 3.0)];
        let x13: Vec<f64> = (0..13).map(|_| rng.range(-2.0, 2.0)).collect();
        for scheme in SCHEMES {
            let fd = fd_of(scheme);
            for (x, g_fd, g_ad) in [
                (
                    x2.to_vec(),
                    fd.gradient(lecture, &x2),
                    gradient(lecture, &x2).1,
                ),
                (
                    x13.clone(),
                    fd.gradient(chain13, &x13),
                    gradient(chain13, &x13).1,
                ),
                (
                    x2.to_vec(),
                    fd.gradient(objective, &x2),
                    gradient(objective, &x2).1,
                ),
            ] {
                assert_eq!(g_fd.len(), g_ad.len());
                for (a, b) in g_fd.iter().zip(&g_ad) {
                    assert!(
                        (a - b).abs() <= fd_tol(scheme) * b.abs().max(1.0),
                        "{scheme:?} at {x:?}: FD {a} vs AD {b}"
                    );
                }
            }
        }
    }
}

#[test]
fn jacobians_match_the_forward_driver_on_random_points() {
    let mut rng = Rng::new(10);
    for _ in 0..30 {
        let x = [
            rng.range(-1.5, 1.5),
            rng.range(-1.5, 1.5),
            rng.range(-1.5, 1.5),
        ];
        let (_, j_ad) = jacobian(vecfun, &x);
        for scheme in SCHEMES {
            let j_fd = fd_of(scheme).jacobian(vecfun, &x);
            assert_eq!(j_fd.shape(), (4, 3));
            for i in 0..4 {
                for j in 0..3 {
                    let (a, b) = (j_fd[(i, j)], j_ad[(i, j)]);
                    assert!(
                        (a - b).abs() <= fd_tol(scheme) * b.abs().max(1.0),
                        "{scheme:?} [{i},{j}] at {x:?}: FD {a} vs AD {b}"
                    );
                }
            }
        }
        // the free function is the default scheme
        assert_eq!(
            numeric::jacobian(vecfun, &x),
            FiniteDiff::default().jacobian(vecfun, &x)
        );
    }
    // n = 0: an m × 0 matrix
    let j0 = FiniteDiff::central().jacobian(|_: &[f64]| vec![1.0, 2.0], &[]);
    assert_eq!(j0.shape(), (2, 0));
}

#[test]
fn directional_derivatives_match_jvp_on_random_points() {
    let mut rng = Rng::new(11);
    for _ in 0..50 {
        let x: Vec<f64> = (0..13).map(|_| rng.range(-2.0, 2.0)).collect();
        let v: Vec<f64> = (0..13).map(|_| rng.range(-1.0, 1.0)).collect();
        let (_, ad) = jvp(|y: &[Dual<f64, 1>]| vec![chain13(y)], &x, &v);
        for scheme in SCHEMES {
            let d = fd_of(scheme).directional(chain13, &x, &v);
            // the line derivative d/dt f(x + tv) has |·| up to ~13× the per-component size: the
            // gradient tolerance times 13 (ε·|f|/h with |f| ≲ 13·50 as well)
            let tol = 13.0 * fd_tol(scheme) * ad[0].abs().max(1.0);
            assert!(
                (d - ad[0]).abs() <= tol,
                "{scheme:?}: FD {d} vs AD {}",
                ad[0]
            );
        }
        assert_eq!(
            numeric::directional(chain13, &x, &v),
            FiniteDiff::default().directional(chain13, &x, &v)
        );
    }
    // a zero direction gives exactly 0 without evaluating f
    assert_eq!(
        FiniteDiff::central().directional(
            |_: &[f64]| -> f64 { panic!("evaluated") },
            &[1.0],
            &[0.0]
        ),
        0.0
    );
}

#[test]
fn f32_differences_and_checks_work() {
    // f32: ε = 1.19e-7. Attainable accuracy: forward √ε ≈ 3.5e-4, central ε^(2/3) ≈ 2.4e-5,
    // Richardson(3) ≈ 2ε/(h/4) with h = ε^(1/7) ≈ 0.1 → 1e-5; bounds below are 3-4× those, for
    // |f|, |f″|, |f‴| ≤ 1 (sin on [−3, 3]).
    let mut rng = Rng::new(12);
    for _ in 0..50 {
        let x = rng.range(-3.0, 3.0) as f32;
        let exact = x.cos();
        let cases: [(FiniteDiff<f32>, f32); 4] = [
            (FiniteDiff::forward(), 1.5e-3),
            (FiniteDiff::backward(), 1.5e-3),
            (FiniteDiff::central(), 1e-4),
            (FiniteDiff::richardson(3), 5e-5),
        ];
        for (fd, tol) in cases {
            let d = fd.derivative(f32::sin, x);
            assert!(
                (d - exact).abs() <= tol,
                "{:?} at {x}: {d} vs {exact}",
                fd.scheme
            );
        }
        let xv = [rng.range(0.5, 4.0) as f32, rng.range(-3.0, 3.0) as f32];
        let (_, g_ad) = gradient(lecture, &xv);
        let g_fd = numeric::gradient(lecture, &xv);
        for (a, b) in g_fd.iter().zip(&g_ad) {
            // |f| ≤ 14 on this domain: 14 × 1e-5 rounding level → 2e-4 relative to max(1, |AD|)
            assert!(
                (a - b).abs() <= 2e-4 * b.abs().max(1.0),
                "FD {a} vs AD {b} at {xv:?}"
            );
        }
        // the checker in f32: right gradient passes, wrong one fails
        let xo = [rng.range(-2.0, 1.0) as f32, rng.range(-2.0, 2.0) as f32];
        check_gradient(objective, &xo, &objective_grad(&xo)).assert_ok();
        let mut wrong = objective_grad(&xo);
        let s = wrong[0].abs().max(wrong[1].abs());
        wrong[1] *= 1.01; // 1% off, 30× rtol; unless masked by the floor (|g₁| < 1e-3·‖g‖)
        if wrong[1].abs() > 1e-3 * s {
            assert!(
                !check_gradient(objective, &xo, &wrong).passed(),
                "at {xo:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// the checker

#[test]
fn checker_passes_the_lectures_objective_gradient() {
    fn prop(a: f64, b: f64) -> Result<(), CheckFailure> {
        let x = [into_range(a, -3.0, 2.0), into_range(b, -3.0, 3.0)];
        check_gradient(objective, &x, &objective_grad(&x)).result()
    }
    QuickCheck::new()
        .tests(300)
        .quickcheck(prop as fn(f64, f64) -> Result<(), CheckFailure>);
}

#[test]
fn checker_catches_the_listings_constraint_gradients() {
    // the listing's rows are wrong in ∂c₁/∂x₂ (−x₂ instead of x₁ − 1) and ∂c₂/∂x₁ (x₁ − 1 instead
    // of −x₂); both coincide with the right values exactly when x₁ + x₂ = 1, which we skip
    fn prop(a: f64, b: f64) -> TestResult {
        let x = [into_range(a, -5.0, 5.0), into_range(b, -5.0, 5.0)];
        if (x[0] + x[1] - 1.0).abs() < 1e-3 {
            return TestResult::discard();
        }
        let wrong = check_jacobian(constraints, &x, &listing_jac(&x));
        let right = check_jacobian(constraints, &x, &correct_jac(&x));
        let failing: Vec<(usize, usize)> = wrong.failures().map(|e| (e.row, e.col)).collect();
        TestResult::from_bool(failing == vec![(0, 1), (1, 0)] && right.passed())
    }
    QuickCheck::new()
        .tests(300)
        .quickcheck(prop as fn(f64, f64) -> TestResult);
    // at the coincidence line the wrong Jacobian is numerically right and passes
    assert!(check_jacobian(constraints, &[0.5, 0.5], &listing_jac(&[0.5, 0.5])).passed());
}

#[test]
fn checker_tolerance_is_relative_one_in_a_million() {
    // a correct gradient perturbed by 1e-8 relative passes (below rtol = 1e-6), by 1e-4 fails
    let mut rng = Rng::new(13);
    for _ in 0..100 {
        let x = [rng.range(-3.0, 2.0), rng.range(-3.0, 3.0)];
        let g = objective_grad(&x);
        let k = (rng.unit() * 2.0) as usize;
        let scaled = |s: f64| {
            let mut u = g.clone();
            u[k] *= 1.0 + s;
            u
        };
        assert!(
            check_gradient(objective, &x, &scaled(1e-8)).passed(),
            "at {x:?}"
        );
        let r = check_gradient(objective, &x, &scaled(1e-4));
        // a perturbed entry that is tiny next to the other (|g_k| < 0.1·floor·‖g‖) is masked by
        // the floor, by design; skip those
        let s = g[0].abs().max(g[1].abs());
        if g[k].abs() > 1e-3 * s {
            assert!(!r.passed(), "at {x:?}: {r}");
            assert_eq!(r.failures().map(|e| e.col).collect::<Vec<_>>(), vec![k]);
            let e = r.entries[k];
            assert!((e.rel_error / 1e-4 - 1.0).abs() < 1e-6, "{}", e.rel_error);
        }
    }
}

#[test]
fn checker_floor_compares_zero_entries_absolutely() {
    // f = x₀² + 0·x₁: AD gives ∂f/∂x₁ = 0 exactly. A hand-written 1e-12·|∂f/∂x₀| there is within
    // rtol·floor·‖g‖ = 1e-9·‖g‖ and passes; 1e-6·‖g‖ does not.
    fn f<T: Float>(x: &[T]) -> T {
        x[0] * x[0] + T::zero() * x[1]
    }
    let x = [3.0, -1.0];
    assert!(check_gradient(f, &x, &[6.0, 6e-12]).passed());
    let r = check_gradient(f, &x, &[6.0, 6e-6]);
    assert!(!r.passed());
    assert_eq!(r.entries[1].rel_error, 6e-6 / (1e-3 * 6.0));
    // at a stationary point (all of AD exactly 0) only atol tolerates nonzero values
    let origin = [0.0, 0.0];
    assert!(check_gradient(f, &origin, &[0.0, 0.0]).passed());
    assert!(!check_gradient(f, &origin, &[1e-20, 0.0]).passed());
    let lenient = Checker::default().with_atol(1e-15);
    assert!(lenient.gradient(f, &origin, &[1e-20, 0.0]).passed());
    // Jacobian floors are per row: a tiny row is compared with its own largest entry
    fn g<T: Float>(x: &[T]) -> Vec<T> {
        let tiny = T::from(1e-9).unwrap();
        vec![x[0] * x[1], tiny * x[0] * x[1]]
    }
    let xj = [2.0, 3.0];
    let mut jac = DMatrix::from_row_slice(2, 2, &[3.0, 2.0, 3e-9, 2e-9]);
    assert!(check_jacobian(g, &xj, &jac).passed());
    jac[(1, 1)] = 2.1e-9; // 5% off in the tiny row: caught
    let r = check_jacobian(g, &xj, &jac);
    assert_eq!(
        r.failures().map(|e| (e.row, e.col)).collect::<Vec<_>>(),
        vec![(1, 1)]
    );
}

#[test]
fn checker_fails_nan_hand_written_values() {
    let r = check_gradient(lecture, &[2.0, 5.0], &[5.5, f64::NAN]);
    assert!(!r.passed());
    assert_eq!(r.failures().map(|e| e.col).collect::<Vec<_>>(), vec![1]);
}

#[test]
fn checker_report_reads_like_a_test_failure() {
    let x = [-1.0, 1.0];
    let r = check_jacobian(constraints, &x, &listing_jac(&x));
    assert_eq!(r.kind, CheckKind::Jacobian);
    let text = r.to_string();
    assert!(
        text.starts_with("Jacobian check FAILED: 2 of 4 entries disagree with AD"),
        "{text}"
    );
    assert!(
        text.contains("∂f[0]/∂x[1] is wrong: hand-written -1 but AD gives -2"),
        "{text}"
    );
    assert!(
        text.contains("∂f[1]/∂x[0] is wrong: hand-written -2 but AD gives -1"),
        "{text}"
    );
    assert!(!text.contains("∂f[0]/∂x[0] is wrong"), "{text}");
    assert_eq!(text.matches("WRONG").count(), 2, "{text}");
    assert!(!text.contains("note:"), "FD agrees with AD here: {text}");
    // a passing report says so
    let ok = check_gradient(objective, &x, &objective_grad(&x)).to_string();
    assert!(ok.starts_with("gradient check passed"), "{ok}");
    assert!(!ok.contains("WRONG"));
    // result() carries the same text; CheckFailure prints it as is in Debug (for quickcheck)
    let err = r.result().unwrap_err();
    assert_eq!(format!("{err:?}"), text);
    assert_eq!(err.to_string(), text);
}

#[test]
fn checker_notes_when_finite_differences_disagree_with_ad() {
    // |x₀| at x₀ = 1e-3 with Richardson's first step 6e-3 > x₀: FD straddles the kink and is wrong,
    // AD (sign(x₀) = 1) is right; the check passes on AD and the report adds a note
    fn f<T: Float>(x: &[T]) -> T {
        x[0].abs() + x[1]
    }
    let r = check_gradient(f, &[1e-3, 0.5], &[1.0, 1.0]);
    assert!(r.passed(), "{r}");
    assert!(r.entries[0].fd_rel_error > 0.1);
    assert!(
        r.to_string()
            .contains("note: finite differences differ from AD"),
        "{r}"
    );
}

#[test]
#[should_panic(expected = "gradient check FAILED: 1 of 2 entries")]
fn assert_ok_panics_with_the_report() {
    check_gradient(lecture, &[2.0, 5.0], &[5.5, 1.0]).assert_ok();
}

#[test]
fn quickcheck_properties_can_return_the_check_result() {
    // a property with a wrong gradient makes quickcheck fail (the Err carries the report)
    fn wrong(a: f64) -> Result<(), CheckFailure> {
        let x = [into_range(a, 0.5, 3.0), 1.0];
        check_gradient(lecture, &x, &[x[1], x[0]]).result() // missing 1/x₀ and −cos x₂
    }
    let outcome = QuickCheck::new()
        .tests(20)
        .quicktest(wrong as fn(f64) -> Result<(), CheckFailure>);
    assert!(outcome.is_err());
}

#[test]
fn check_derivative_passes_right_and_fails_wrong_derivatives() {
    fn f<T: Float>(x: T) -> T {
        (x * x).sin() / (T::one() + x.exp())
    }
    fn df(x: f64) -> f64 {
        let d = 1.0 + x.exp();
        2.0 * x * (x * x).cos() / d - (x * x).sin() * x.exp() / (d * d)
    }
    let mut rng = Rng::new(14);
    for _ in 0..100 {
        let x = rng.range(-2.0, 2.0);
        let r = check_derivative(f, x, df(x));
        assert!(r.passed(), "{r}");
        assert_eq!(r.kind, CheckKind::Derivative);
        // FD (Richardson) agrees with AD to ~1e-12 relative on this smooth function: 1e-9 bound
        assert!(r.entries[0].fd_rel_error < 1e-9, "{r}");
        // sign error in the quotient rule: wrong unless the dropped term is tiny
        let wrong = 2.0 * x * (x * x).cos() / (1.0 + x.exp())
            + (x * x).sin() * x.exp() / (1.0 + x.exp()).powi(2);
        if ((x * x).sin() * x.exp()).abs() > 1e-3 {
            assert!(!check_derivative(f, x, wrong).passed(), "at {x}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// bad input

#[test]
#[should_panic(
    expected = "check_gradient: the hand-written gradient has 3 entries; expected 2, one per entry of x"
)]
fn check_gradient_rejects_a_gradient_of_the_wrong_length() {
    check_gradient(lecture, &[2.0, 5.0], &[1.0, 2.0, 3.0]);
}

#[test]
#[should_panic(
    expected = "check_jacobian: the hand-written Jacobian is 2×3; expected 2×2, as f has 2 outputs and x has 2 entries"
)]
fn check_jacobian_rejects_a_jacobian_of_the_wrong_shape() {
    check_jacobian(constraints, &[1.0, 2.0], &DMatrix::zeros(2, 3));
}

#[test]
#[should_panic(
    expected = "numeric directional: the direction v has 1 entry; expected 2, one per entry of x"
)]
fn directional_rejects_a_direction_of_the_wrong_length() {
    numeric::directional(lecture, &[2.0, 5.0], &[1.0]);
}

#[test]
#[should_panic(expected = "FiniteDiff::with_step: the step must be positive and finite (got 0)")]
fn with_step_rejects_zero() {
    FiniteDiff::<f64>::central().with_step(0.0);
}

#[test]
#[should_panic(expected = "FiniteDiff::with_step: the step must be positive and finite (got NaN)")]
fn with_step_rejects_nan() {
    FiniteDiff::<f64>::central().with_step(f64::NAN);
}

#[test]
#[should_panic(
    expected = "FiniteDiff::richardson: the number of levels must be at least 1 (got 0)"
)]
fn richardson_rejects_zero_levels() {
    FiniteDiff::<f64>::richardson(0);
}

#[test]
#[should_panic(expected = "the step h = 1e-20 vanishes against x = 1e0 (x + h rounds to x)")]
fn a_step_below_the_spacing_of_floats_is_rejected() {
    FiniteDiff::forward()
        .with_step(1e-20)
        .derivative(f64::sin, 1.0);
}

#[test]
#[should_panic(
    expected = "numeric jacobian: f returned 1 value at one point and 2 values at another"
)]
fn jacobian_rejects_a_function_whose_output_length_varies() {
    FiniteDiff::central().jacobian(
        |x: &[f64]| vec![0.0; if x[0] > 1.0 { 1 } else { 2 }],
        &[1.0],
    );
}

#[test]
#[should_panic(
    expected = "numeric jacobian: f returned 2 values for column 0 and 1 value for column 1"
)]
fn jacobian_rejects_columns_of_different_lengths() {
    // column 0 keeps x[1] = 5 (2 values); column 1 moves it (1 value)
    FiniteDiff::central().jacobian(
        |x: &[f64]| vec![0.0; if x[1] == 5.0 { 2 } else { 1 }],
        &[0.0, 5.0],
    );
}
