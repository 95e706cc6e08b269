//! Regression tests for defects found by outside test material and differential fuzzing, one test
//! per defect, named after it, in every mode it concerned. Each expected value is a closed form
//! (derived in the comment) or the other mode's result, never the code's own output.

use crate::common;

use common::{assert_close, fd1};
use nilpotent::reverse::{self, Tape, Var};
use nilpotent::{
    Dual, gradient, gradient_fixed, hessian, hvp, second_derivative, third_derivative,
};
use num_traits::Float;

// ----- 1. powf: a rule that returned a constant where the partial's own derivative is needed ----

/// f(t) = t^(t−1) = exp((t−1) ln t):  f′ = f·(ln t + (t−1)/t),
/// f″ = f·(ln t + (t−1)/t)² + f·(1/t + 1/t²);  at t = 1: f = 1, f′ = 0, f″ = 2.
/// The exponent is 0 at t = 1, where the rule used to return the constant 0 for ∂xʸ/∂x.
#[test]
fn powf_zero_valued_exponent_second_derivative() {
    fn f<T: Float>(t: T) -> T {
        t.powf(t - T::one())
    }
    assert_eq!(second_derivative(f, 1.0), (1.0, 0.0, 2.0));
    // and away from the special point, against finite differences of the first derivative
    for t in [0.7, 1.3, 2.0] {
        let (_, _, d2) = second_derivative(f, t);
        let fd = fd1(|s| nilpotent::derivative(f, s).1, t);
        assert_close(d2, fd, 1e-8, 1.0, "d²/dt² t^(t−1)");
    }
}

/// f(x, y) = yˣ at (x, y) = (0, 2): ∂²f/∂x² = yˣ ln² y = ln² 2, ∂²f/∂x∂y = yˣ⁻¹(1 + x ln y) = ½,
/// ∂²f/∂y² = x(x−1)yˣ⁻² = 0. Forward over forward, forward over reverse (Hessian and H·v) must all
/// give the mixed partial ½ (they gave 0, 0.25 and 0).
#[test]
fn powf_mixed_partial_at_zero_exponent() {
    fn f<T: Float>(v: &[T]) -> T {
        v[1].powf(v[0])
    }
    let x = [0.0, 2.0];
    let ln2 = 2.0f64.ln();
    let want = [[ln2 * ln2, 0.5], [0.5, 0.0]];
    let (_, _, hf) = hessian(f, &x);
    let (_, _, hr) = reverse::hessian(f, &x);
    for i in 0..2 {
        for j in 0..2 {
            assert_close(hf[(i, j)], want[i][j], 1e-15, 1.0, "forward hessian of yˣ");
            assert_close(hr[(i, j)], want[i][j], 1e-15, 1.0, "reverse hessian of yˣ");
        }
    }
    for (k, e) in [[1.0, 0.0], [0.0, 1.0]].iter().enumerate() {
        let (_, _, hv_r) = reverse::hvp(f, &x, e);
        let (_, _, hv_f) = hvp(f, &x, e);
        for i in 0..2 {
            assert_close(hv_r[i], want[i][k], 1e-15, 1.0, "reverse::hvp of yˣ");
            assert_close(hv_f[i], want[i][k], 1e-15, 1.0, "hvp of yˣ");
        }
    }
}

/// f(x) = xˣ: f′ = f(ln x + 1), f″ = f(ln x + 1)² + f/x, f‴ = f(ln x + 1)³ + 3f(ln x + 1)/x − f/x²;
/// at x = 1: 1, 1, 2, 3. The partial y·xʸ⁻¹ calls powf(y − 1) with y − 1 = 0 one level down.
#[test]
fn powf_self_power_third_derivative() {
    assert_eq!(third_derivative(|x| x.powf(x), 1.0), (1.0, 1.0, 2.0, 3.0));
}

/// f(x) = x^(log₂ x) = exp(ln² x / ln 2): f″(1) = 2/ln 2 (found by the fuzzer as 1/ln 2).
#[test]
fn powf_log2_exponent_second_derivative() {
    let (v, d1, d2) = second_derivative(|x| x.powf(x.log2()), 1.0);
    assert_eq!((v, d1), (1.0, 0.0));
    assert_close(d2, 2.0 / 2.0f64.ln(), 1e-15, 1.0, "d²/dx² x^(log₂ x) at 1");
}

// ----- 2. recording ids: a variable from an old recording must never be accepted --------------

/// A variable of a finished recording used in a new one panics, even after many recordings (the
/// ids are 64-bit and never reused; the wrap-around at 2³² is tested in the tape's unit tests).
#[test]
fn stale_variable_from_an_old_recording_is_rejected() {
    let mut tape = Tape::new();
    let stale = tape.record(&[1.0], |x| x[0]);
    for _ in 0..1000 {
        tape.record(&[1.0, 2.0], |x| x[0] * x[1]);
    }
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tape.gradient(|x| x[0] * x[1] + stale * 10.0, &[1.0, 2.0, 3.0])
    }));
    let msg = *caught
        .expect_err("a stale variable was accepted")
        .downcast::<String>()
        .unwrap();
    assert!(msg.contains("earlier recording"), "{msg}");
}

/// `Var<f64>` carries a 64-bit recording id and still fits in 24 bytes.
#[test]
fn var_f64_is_at_most_24_bytes() {
    assert!(core::mem::size_of::<Var<f64>>() <= 24);
}

// ----- 3. forward mul_add and the zero-partial convention ---------------------------------------

/// ∇ of `sqrt(x).mul_add(0, y)` at x = 0 is [0, 1], as for `sqrt(x)·0 + y` and in reverse mode: the
/// zero partial 0 of the product term meets the infinite tangent of sqrt at 0 (forward gave NaN).
#[test]
fn mul_add_zero_partial_convention() {
    fn fused<T: Float>(x: &[T]) -> T {
        x[0].sqrt().mul_add(T::zero(), x[1])
    }
    fn fused_other_order<T: Float>(x: &[T]) -> T {
        T::zero().mul_add(x[0].sqrt(), x[1])
    }
    fn unfused<T: Float>(x: &[T]) -> T {
        x[0].sqrt() * T::zero() + x[1]
    }
    let x = [0.0, 3.0];
    for f in [fused::<Dual<f64, 2>>, fused_other_order, unfused] {
        assert_eq!(gradient_fixed(f, &x).1, [0.0, 1.0]);
    }
    for f in [fused::<Dual<f64, 8>>, fused_other_order, unfused] {
        assert_eq!(gradient(f, &x).1, vec![0.0, 1.0]);
    }
    for f in [fused::<Var<f64>>, fused_other_order, unfused] {
        assert_eq!(reverse::gradient(f, &x).1, vec![0.0, 1.0]);
    }
    // an ordinary point is unchanged: ∂/∂x (√x·a + y) = a/(2√x) with a = 2
    let g = gradient_fixed(
        |v: &[Dual<f64, 2>]| v[0].sqrt().mul_add(Dual::constant(2.0), v[1]),
        &[4.0, 3.0],
    );
    assert_eq!(g.1, [0.5, 1.0]);
}

// ----- 4. cancelled tangents: a documented difference between the modes ------------------------

/// `sqrt(x·y − y·x) + x`: the argument of sqrt is 0 with tangents that cancel to exactly 0. Forward
/// mode sees those zero lanes and keeps them 0 (the zero-lane rule): ∇ = [1, 0], which is exact
/// (the function is x). Reverse mode sees only the graph: the adjoint ∞ of sqrt's argument reaches
/// x and y through both products with opposite signs, ∞ − ∞ = NaN. Pinned in both modes, as
/// documented in the conventions table.
#[test]
fn cancelled_tangents_forward_is_exact() {
    fn f<T: Float>(v: &[T]) -> T {
        (v[0] * v[1] - v[1] * v[0]).sqrt() + v[0]
    }
    assert_eq!(gradient_fixed(f, &[2.0, 3.0]).1, [1.0, 0.0]);
    assert_eq!(gradient(f, &[2.0, 3.0]).1, vec![1.0, 0.0]);
}

/// The reverse-mode side of [`cancelled_tangents_forward_is_exact`].
#[test]
fn cancelled_tangents_reverse_is_nan() {
    fn f<T: Float>(v: &[T]) -> T {
        (v[0] * v[1] - v[1] * v[0]).sqrt() + v[0]
    }
    let (value, g) = reverse::gradient(f, &[2.0, 3.0]);
    assert_eq!(value, 2.0);
    assert!(g[0].is_nan() && g[1].is_nan(), "{g:?}");
}

/// Graph mode is reverse accumulation over a graph: it gives what the tape gives.
#[test]
fn cancelled_tangents_graph_is_nan() {
    fn f<T: Float>(v: &[T]) -> T {
        (v[0] * v[1] - v[1] * v[0]).sqrt() + v[0]
    }
    let g = nilpotent::graph::Graph::record(&[2.0, 3.0], f).gradient();
    let out = g.eval(&[2.0, 3.0]).unwrap();
    assert_eq!(out[0], 2.0);
    assert!(out[1].is_nan() && out[2].is_nan(), "{out:?}");
}

// ----- 6. backward on a tape with nothing recorded ---------------------------------------------

/// A new or cleared tape has no inputs: backward from a constant returns the empty gradient
/// (it panicked with "range start index 1 out of range for slice of length 0").
#[test]
fn backward_on_empty_tape_returns_empty_gradient() {
    let mut tape = Tape::<f64>::new();
    assert!(tape.backward(Var::constant(1.0)).is_empty());
    assert!(
        tape.backward_seeded(&[Var::constant(1.0)], &[1.0])
            .is_empty()
    );
    tape.record(&[1.0, 2.0], |x| x[0] * x[1]);
    tape.clear();
    assert!(tape.backward(Var::constant(1.0)).is_empty());
    // a constant output of a real recording: zeros, one per input
    tape.record(&[1.0, 2.0], |x| x[0] * x[1]);
    assert_eq!(tape.backward(Var::constant(1.0)), &[0.0, 0.0]);
}

/// After `clear()`, a variable of the cleared recording is reported as such.
#[test]
fn backward_after_clear_names_the_stale_variable() {
    let mut tape = Tape::<f64>::new();
    let y = tape.record(&[1.0, 2.0], |x| x[0] * x[1]);
    tape.clear();
    let caught =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tape.backward(y).to_vec()));
    let msg = *caught.unwrap_err().downcast::<String>().unwrap();
    assert!(msg.contains("before it was reset"), "{msg}");
}

// ----- exp_m1: its derivative eˣ keeps its relative accuracy where eˣ is tiny -----------------

/// d/dx (eˣ − 1) = eˣ. Computing it as (eˣ − 1) + 1 (one libm call fewer) is within an ulp of 1,
/// not of eˣ: at x = −20 it was off by 2e-8 relative, at x = −40 it gave 0 for 4.2e-18. The oracle
/// is `f64::exp` itself; forward, reverse, second order and the graph must be within 2 ulps of it.
#[test]
fn exp_m1_derivative_keeps_relative_accuracy_for_negative_arguments() {
    use nilpotent::graph::Graph;
    for x in [-700.0, -40.0, -20.0, -5.0, -0.5, 0.0, 1.0, 30.0] {
        let want = f64::exp(x);
        let close = |got: f64, what: &str| {
            assert!(
                (got - want).abs() <= 2.0 * f64::EPSILON * want,
                "{what} at x = {x}: {got:e}, expected eˣ = {want:e}"
            );
        };
        close(nilpotent::derivative(|t| t.exp_m1(), x).1, "forward");
        close(reverse::gradient(|v| v[0].exp_m1(), &[x]).1[0], "reverse");
        // the second derivative is eˣ too
        close(second_derivative(|t| t.exp_m1(), x).2, "second derivative");
        let g = Graph::record(&[x], |v| v[0].exp_m1()).gradient();
        close(g.eval(&[x]).unwrap()[1], "graph gradient");
    }
}

// ----- issue 20, item 11: the compiler crashed on forward mode through nalgebra -----------------

/// rustc 1.95 crashed (LLVM's register coalescer) compiling `DMatrix::<Dual<f64, 8>>::try_inverse`
/// in release mode; the fix compiles the special cases of the chain rule smaller for tangents of 8
/// or more `f64` lanes (one copy of `chain` for a zero partial, the lanes of an infinite or NaN
/// partial out of line). The build itself is checked by CI (`examples/nalgebra_decompositions.rs`,
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
