//! Issue "Loops as loops": every loop combinator (`sum_map`, `map_rows`, `sum_windows`, `scan`,
//! `fold`) in every mode — `f64`, `Dual` (forward gradient), nested `Dual` (forward Hessian), the
//! tape (`reverse::gradient`, `reverse::hessian`) and graph mode (`Graph::record_with`, its
//! gradient and Hessian graphs) — against the same loop written out by hand as a plain `for`.
//!
//! Values: bit for bit the hand-written loop's (the combinators are defined by that loop and every
//! mode computes its operations in its order). Derivatives: forward mode runs the same operations,
//! so bit for bit too; the tape's `scan`/`fold` and graph mode associate the chain rule
//! differently, so they are held to forward mode within rounding, and every mode to central finite
//! differences. The tests are written once for every mode (`Case`), so they keep holding whatever
//! a mode does with a loop (unroll it, record it once, compress it on the tape).

// the hand-written loops spell out `acc = acc + b`, the combinators' definition
#![allow(clippy::assign_op_pattern)]

use crate::common;

use common::{Rng, assert_close, fd_gradient, fd_jacobian, same_f64};
use nilpotent::graph::Graph;
use nilpotent::reverse::{self, Tape, Var};
use nilpotent::{Real, fold, map_rows, scan, sum_map, sum_windows};

/// A function written twice: with a loop combinator, and as the plain loop it stands for.
/// `x` are the differentiated inputs, `p` data (graph parameters; constants elsewhere).
trait Case {
    const NAME: &'static str;
    fn looped<T: Real>(x: &[T], p: &[T]) -> T;
    fn unrolled<T: Real>(x: &[T], p: &[T]) -> T;
}

fn csts<T: Real>(p: &[f64]) -> Vec<T> {
    p.iter().map(|&v| T::cst(v)).collect()
}

fn bits(a: f64, b: f64, what: &str) {
    assert!(same_f64(a, b), "{what}: {a:e} vs {b:e} (not bit for bit)");
}

fn all_bits(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        bits(*x, *y, &format!("{what}[{i}]"));
    }
}

fn all_close(a: &[f64], b: &[f64], rtol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert_close(*x, *y, rtol, 1.0, &format!("{what}[{i}]"));
    }
}

/// Every mode of `C` at `(x, p)` against the unrolled loop, forward mode and finite differences.
fn check<C: Case>(x: &[f64], p: &[f64]) {
    check_modes::<C>(x, p, true);
}

/// [`check`] at a kink (a tie of `max`): the Hessian is not compared with differences of the
/// gradient there (the gradient jumps); the value and gradient still are (central differences
/// see the average of both sides, which is the tie's convention).
fn check_at_kink<C: Case>(x: &[f64], p: &[f64]) {
    check_modes::<C>(x, p, false);
}

fn check_modes<C: Case>(x: &[f64], p: &[f64], smooth: bool) {
    let name = C::NAME;
    let n = x.len();
    // f64: bit for bit
    let v = C::looped(x, p);
    bits(v, C::unrolled(x, p), &format!("{name}: f64 value"));

    // forward gradient (Dual): the same operations, bit for bit; and finite differences
    let (fv, fg) = nilpotent::gradient(|v| C::looped(v, &csts(p)), x);
    let (uv, ug) = nilpotent::gradient(|v| C::unrolled(v, &csts(p)), x);
    bits(fv, uv, &format!("{name}: forward value"));
    bits(fv, v, &format!("{name}: forward value vs f64"));
    all_bits(&fg, &ug, &format!("{name}: forward gradient"));
    let fd = fd_gradient(|x| C::unrolled(x, p), x);
    all_close(
        &fg,
        &fd,
        1e-7,
        &format!("{name}: forward gradient vs differences"),
    );

    // forward Hessian (nested Dual): bit for bit; and differences of the gradient
    let (hv, hg, hh) = nilpotent::hessian(|v| C::looped(v, &csts(p)), x);
    let (_, ug2, uh) = nilpotent::hessian(|v| C::unrolled(v, &csts(p)), x);
    bits(hv, v, &format!("{name}: forward Hessian's value"));
    all_bits(&hg, &ug2, &format!("{name}: forward Hessian's gradient"));
    all_bits(
        hh.as_slice(),
        uh.as_slice(),
        &format!("{name}: forward Hessian"),
    );
    let fdh = fd_jacobian(
        |x| nilpotent::gradient(|v| C::unrolled(v, &csts(p)), x).1,
        x,
    );
    for i in (0..n).filter(|_| smooth) {
        for j in 0..n {
            assert_close(
                hh[(i, j)],
                fdh[i][j],
                1e-6,
                1.0,
                &format!("{name}: H[{i},{j}] vs differences"),
            );
        }
    }

    // the tape: values bit for bit, gradient and Hessian within rounding of forward mode's
    let (rv, rg) = reverse::gradient(|v| C::looped(v, &csts(p)), x);
    bits(rv, v, &format!("{name}: tape value"));
    all_close(
        &rg,
        &fg,
        1e-12,
        &format!("{name}: tape gradient vs forward"),
    );
    let (_, rug) = reverse::gradient(|v| C::unrolled(v, &csts(p)), x);
    all_close(
        &rg,
        &rug,
        1e-12,
        &format!("{name}: tape gradient vs the tape's unrolled loop"),
    );
    let (rhv, rhg, rh) = reverse::hessian(|v| C::looped(v, &csts(p)), x);
    bits(rhv, v, &format!("{name}: tape Hessian's value"));
    all_close(
        &rhg,
        &fg,
        1e-12,
        &format!("{name}: tape Hessian's gradient"),
    );
    all_close(
        rh.as_slice(),
        hh.as_slice(),
        1e-10,
        &format!("{name}: tape Hessian vs forward"),
    );

    // graph mode: recorded at (x, p), evaluated there and at another point
    let g = Graph::record_with(x, p, C::looped);
    bits(
        g.eval_with(x, p).unwrap()[0],
        v,
        &format!("{name}: graph value"),
    );
    let x2: Vec<f64> = x.iter().map(|v| v * 0.75 + 0.125).collect();
    let p2: Vec<f64> = p.iter().map(|v| v * 0.5 - 0.0625).collect();
    if let Ok(out) = g.eval_with(&x2, &p2) {
        // (Err: a recorded branch goes the other way there, which is allowed)
        bits(
            out[0],
            C::unrolled(&x2, &p2),
            &format!("{name}: graph value at another point"),
        );
    }
    let gg = g.gradient().eval_with(x, p).unwrap();
    bits(gg[0], v, &format!("{name}: gradient graph's value"));
    all_close(
        &gg[1..],
        &fg,
        1e-12,
        &format!("{name}: gradient graph vs forward"),
    );
    let gh = g.hessian().eval_with(x, p).unwrap();
    all_close(
        &gh[1 + n..],
        hh.as_slice(),
        1e-10,
        &format!("{name}: Hessian graph vs forward"),
    );
}

// ---- the functions ----------------------------------------------------------------------------

/// The logistic loss of one row `(features…, label)` at weights `w`.
fn logistic_row<T: Real>(w: &[T], r: &[T]) -> T {
    let d = w.len();
    let z = w
        .iter()
        .zip(&r[..d])
        .fold(T::zero(), |a, (wi, ri)| a + *wi * *ri);
    (z.exp() + 1.0).ln() - r[d] * z
}

/// Σ over data rows of the logistic loss: the weights are captured by the body.
struct Logistic;
impl Case for Logistic {
    const NAME: &'static str = "sum_map logistic";
    fn looped<T: Real>(w: &[T], p: &[T]) -> T {
        sum_map(p, w.len() + 1, |r| logistic_row(w, r))
    }
    fn unrolled<T: Real>(w: &[T], p: &[T]) -> T {
        let mut acc = T::zero();
        for r in p.chunks_exact(w.len() + 1) {
            acc = acc + logistic_row(w, r);
        }
        acc
    }
}

/// `sum_map` over rows that are differentiated inputs, with a tie-prone `max` and a captured datum.
struct RowsAsInputs;
impl Case for RowsAsInputs {
    const NAME: &'static str = "sum_map rows as inputs";
    fn looped<T: Real>(x: &[T], p: &[T]) -> T {
        let c = p[0];
        sum_map(x, 2, |r| r[0].max(r[1]) * c + r[0] * r[1].sin())
    }
    fn unrolled<T: Real>(x: &[T], p: &[T]) -> T {
        let c = p[0];
        let mut acc = T::zero();
        for r in x.chunks_exact(2) {
            acc = acc + (r[0].max(r[1]) * c + r[0] * r[1].sin());
        }
        acc
    }
}

fn rosen_term<T: Real>(w: &[T]) -> T {
    (w[1] - w[0] * w[0]).powi(2) * 100.0 + (-w[0] + 1.0).powi(2)
}

/// The chained Rosenbrock function over overlapping windows of the inputs.
struct Rosenbrock;
impl Case for Rosenbrock {
    const NAME: &'static str = "sum_windows Rosenbrock";
    fn looped<T: Real>(x: &[T], _: &[T]) -> T {
        sum_windows(x, 2, 1, rosen_term)
    }
    fn unrolled<T: Real>(x: &[T], _: &[T]) -> T {
        let mut acc = T::zero();
        for k in 0..x.len().saturating_sub(1) {
            acc = acc + rosen_term(&x[k..k + 2]);
        }
        acc
    }
}

/// Windows of 3 entries, 2 apart (they share their ends), weighted by data.
struct Stencil;
impl Case for Stencil {
    const NAME: &'static str = "sum_windows stride 2";
    fn looped<T: Real>(x: &[T], p: &[T]) -> T {
        let q = p[0];
        sum_windows(x, 3, 2, |w| {
            (w[0] - w[1] * 2.0 + w[2]).powi(2) * q + w[1].cos()
        })
    }
    fn unrolled<T: Real>(x: &[T], p: &[T]) -> T {
        let q = p[0];
        let mut acc = T::zero();
        let mut k = 0;
        while k + 3 <= x.len() {
            let w = &x[k..k + 3];
            acc = acc + ((w[0] - w[1] * 2.0 + w[2]).powi(2) * q + w[1].cos());
            k += 2;
        }
        acc
    }
}

/// `map_rows`: one value per row, combined afterwards with weights of the row's position.
struct MapRows;
impl Case for MapRows {
    const NAME: &'static str = "map_rows";
    fn looped<T: Real>(x: &[T], p: &[T]) -> T {
        let per_row = map_rows(p, 2, |r| (x[0] * r[0] + x[1]).tanh() * r[1]);
        let mut acc = T::zero();
        for (k, v) in per_row.iter().enumerate() {
            acc = acc + *v * (k as f64 + 1.0);
        }
        acc
    }
    fn unrolled<T: Real>(x: &[T], p: &[T]) -> T {
        let mut acc = T::zero();
        for (k, r) in p.chunks_exact(2).enumerate() {
            acc = acc + (x[0] * r[0] + x[1]).tanh() * r[1] * (k as f64 + 1.0);
        }
        acc
    }
}

/// The step of [`Oscillator`]: a damped, driven pendulum (explicit Euler), reading the weight
/// `w` computed before the loop and one data entry per step.
fn oscillator_step<T: Real>(s: &[T], u: &[T], a: T, b: T, w: T) -> Vec<T> {
    let h = 0.05;
    vec![
        s[0] + s[1] * h,
        s[1] - (a * s[0].sin() + b * s[1]) * h + u[0] * w * h,
    ]
}

/// `scan` over data: x = (s₀, s₁, a, b), the state of 2 starting at (s₀, s₁), captured a, b and a
/// weight computed from them before the loop.
struct Oscillator;
impl Case for Oscillator {
    const NAME: &'static str = "scan oscillator";
    fn looped<T: Real>(x: &[T], p: &[T]) -> T {
        let w = (x[2] * x[3]).sqrt();
        let s = scan(&x[..2], p, 1, |s, u| oscillator_step(s, u, x[2], x[3], w));
        s[0] * s[1] + s[1]
    }
    fn unrolled<T: Real>(x: &[T], p: &[T]) -> T {
        let w = (x[2] * x[3]).sqrt();
        let mut s = x[..2].to_vec();
        for u in p.chunks_exact(1) {
            s = oscillator_step(&s, u, x[2], x[3], w);
        }
        s[0] * s[1] + s[1]
    }
}

/// `scan` whose rows are differentiated inputs (rows of 2), the state of 1 starting at a datum.
struct ScanOverInputs;
impl Case for ScanOverInputs {
    const NAME: &'static str = "scan over inputs";
    fn looped<T: Real>(x: &[T], p: &[T]) -> T {
        scan(&[p[0]], x, 2, |s, r| vec![s[0] * r[0] + r[1].sin()])[0]
    }
    fn unrolled<T: Real>(x: &[T], p: &[T]) -> T {
        let mut s = p[0];
        for r in x.chunks_exact(2) {
            s = s * r[0] + r[1].sin();
        }
        s
    }
}

/// One RK4 step of the Lorenz system with parameters (σ, ρ, β).
fn lorenz_rk4<T: Real>(s: &[T], q: &[T], h: f64) -> Vec<T> {
    let f = |s: &[T]| {
        vec![
            q[0] * (s[1] - s[0]),
            s[0] * (q[1] - s[2]) - s[1],
            s[0] * s[1] - q[2] * s[2],
        ]
    };
    let k1 = f(s);
    let s2: Vec<T> = (0..3).map(|i| s[i] + k1[i] * (h / 2.0)).collect();
    let k2 = f(&s2);
    let s3: Vec<T> = (0..3).map(|i| s[i] + k2[i] * (h / 2.0)).collect();
    let k3 = f(&s3);
    let s4: Vec<T> = (0..3).map(|i| s[i] + k3[i] * h).collect();
    let k4 = f(&s4);
    (0..3)
        .map(|i| s[i] + (k1[i] + (k2[i] + k3[i]) * 2.0 + k4[i]) * (h / 6.0))
        .collect()
}

/// `fold`: 100 RK4 steps of the Lorenz system; x = (σ, ρ, β, x₀, y₀, z₀); the final x coordinate.
struct Lorenz;
impl Case for Lorenz {
    const NAME: &'static str = "fold Lorenz RK4";
    fn looped<T: Real>(x: &[T], _: &[T]) -> T {
        fold(&x[3..6], 100, |s| lorenz_rk4(s, &x[..3], 0.01))[0]
    }
    fn unrolled<T: Real>(x: &[T], _: &[T]) -> T {
        let mut s = x[3..6].to_vec();
        for _ in 0..100 {
            s = lorenz_rk4(&s, &x[..3], 0.01);
        }
        s[0]
    }
}

/// `fold` of the logistic map x ← r·x·(1 − x), 30 steps; x = (r, x₀).
struct LogisticMap;
impl Case for LogisticMap {
    const NAME: &'static str = "fold logistic map";
    fn looped<T: Real>(x: &[T], _: &[T]) -> T {
        fold(&[x[1]], 30, |s| vec![x[0] * s[0] * (-s[0] + 1.0)])[0]
    }
    fn unrolled<T: Real>(x: &[T], _: &[T]) -> T {
        let mut s = x[1];
        for _ in 0..30 {
            s = x[0] * s * (-s + 1.0);
        }
        s
    }
}

/// Steps that return a leaf unchanged, a captured input, a constant, and a nested `fold` and
/// `sum_map` inside the step.
struct OddSteps;
impl Case for OddSteps {
    const NAME: &'static str = "fold with odd steps";
    fn looped<T: Real>(x: &[T], p: &[T]) -> T {
        let s = fold(&[x[0], x[1], T::cst(2.0), x[2]], 4, |s| {
            let inner = fold(&[s[0]], 3, |t| vec![t[0] * 0.5 + s[1].sin()])[0];
            let sum = sum_map(p, 1, |r| r[0] * s[1]);
            vec![inner + sum * s[3], x[2], s[2], T::cst(1.5)]
        });
        s[0] * s[1] + s[2] * x[1] + s[3]
    }
    fn unrolled<T: Real>(x: &[T], p: &[T]) -> T {
        let mut s = vec![x[0], x[1], T::cst(2.0), x[2]];
        for _ in 0..4 {
            let mut t = s[0];
            for _ in 0..3 {
                t = t * 0.5 + s[1].sin();
            }
            let mut sum = T::zero();
            for r in p {
                sum = sum + *r * s[1];
            }
            s = vec![t + sum * s[3], x[2], s[2], T::cst(1.5)];
        }
        s[0] * s[1] + s[2] * x[1] + s[3]
    }
}

/// `fold` with a state of 6 (more lanes than the tape's fixed-width sweeps): a ring of coupled
/// units, x = (k, s₀ … s₅), 20 steps.
struct Ring;
fn ring_step<T: Real>(s: &[T], k: T) -> Vec<T> {
    (0..6)
        .map(|i| s[i] + ((s[(i + 5) % 6]).sin() - s[i] * k) * 0.1)
        .collect()
}
impl Case for Ring {
    const NAME: &'static str = "fold ring of 6";
    fn looped<T: Real>(x: &[T], _: &[T]) -> T {
        let s = fold(&x[1..7], 20, |s| ring_step(s, x[0]));
        s[0] * s[3] + s[5]
    }
    fn unrolled<T: Real>(x: &[T], _: &[T]) -> T {
        let mut s = x[1..7].to_vec();
        for _ in 0..20 {
            s = ring_step(&s, x[0]);
        }
        s[0] * s[3] + s[5]
    }
}

/// `fold` from a constant state at the singular point of its step (√0: an infinite partial
/// towards a state that depends on no input), x = (p).
struct SingularStart;
impl Case for SingularStart {
    const NAME: &'static str = "fold from a constant at √0";
    fn looped<T: Real>(x: &[T], _: &[T]) -> T {
        fold(&[T::cst(0.0)], 3, |s| vec![s[0].sqrt() + x[0]])[0]
    }
    fn unrolled<T: Real>(x: &[T], _: &[T]) -> T {
        let mut s = T::cst(0.0);
        for _ in 0..3 {
            s = s.sqrt() + x[0];
        }
        s
    }
}

// ---- the tests --------------------------------------------------------------------------------

#[test]
fn sum_map_in_every_mode_equals_the_unrolled_loop() {
    let mut rng = Rng::for_test("loops sum_map");
    for m in [1, 2, 7] {
        let w = rng.vec(3, -1.0, 1.0);
        let mut data = Vec::new();
        for _ in 0..m {
            data.extend(rng.vec(3, -2.0, 2.0));
            data.push(if rng.unit() < 0.5 { 0.0 } else { 1.0 });
        }
        check::<Logistic>(&w, &data);
    }
    // special points: zero weights, ±1, one row
    check::<Logistic>(&[0.0, 0.0, 0.0], &[1.0, -1.0, 0.0, 1.0]);
    check::<Logistic>(
        &[1.0, -1.0, 1.0],
        &[-1.0, 1.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0],
    );
}

#[test]
fn sum_map_of_no_rows_is_zero_in_every_mode() {
    check::<Logistic>(&[0.5, -0.25], &[]);
    assert_eq!(
        Logistic::looped(&[0.5, -0.25], &[]).to_bits(),
        0.0f64.to_bits()
    );
    let (v, g) = reverse::gradient(|w| Logistic::looped(w, &[]), &[1.0, 2.0]);
    assert_eq!((v, g), (0.0, vec![0.0, 0.0]));
}

#[test]
fn sum_map_over_rows_that_are_inputs_with_ties_in_every_mode() {
    let mut rng = Rng::for_test("loops rows as inputs");
    check::<RowsAsInputs>(&rng.vec(6, -2.0, 2.0), &[1.5]);
    // ties of max (the tangent is the average of both sides), zeros and ±1
    check_at_kink::<RowsAsInputs>(&[1.0, 1.0, -1.0, -1.0, 0.0, 0.0], &[1.5]);
    check_at_kink::<RowsAsInputs>(&[0.5, 0.5], &[-1.0]);
}

#[test]
fn sum_windows_in_every_mode_equals_the_unrolled_loop() {
    let mut rng = Rng::for_test("loops sum_windows");
    for n in [2, 3, 8] {
        check::<Rosenbrock>(&rng.vec(n, -1.5, 1.5), &[]);
    }
    check::<Rosenbrock>(&[1.0; 4], &[]); // the minimum: gradient 0
    check::<Rosenbrock>(&[0.0, 0.0, -1.0], &[]);
    check::<Rosenbrock>(&[], &[]); // no window
    for n in [3, 5, 9] {
        check::<Stencil>(&rng.vec(n, -1.0, 1.0), &[0.75]);
    }
}

#[test]
fn map_rows_in_every_mode_equals_the_unrolled_loop() {
    let mut rng = Rng::for_test("loops map_rows");
    check::<MapRows>(&rng.vec(2, -1.0, 1.0), &rng.vec(10, -2.0, 2.0));
    check::<MapRows>(&[0.0, 1.0], &[1.0, -1.0]);
    check::<MapRows>(&[0.3, 0.1], &[]);
}

#[test]
fn scan_in_every_mode_equals_the_unrolled_loop() {
    let mut rng = Rng::for_test("loops scan");
    for steps in [1, 2, 25] {
        let x = [
            rng.signed(0.1, 1.0),
            rng.signed(0.1, 1.0),
            rng.uniform(0.5, 2.0),
            rng.uniform(0.1, 1.0),
        ];
        check::<Oscillator>(&x, &rng.vec(steps, -1.0, 1.0));
    }
    check::<Oscillator>(&[0.0, 1.0, 1.0, 1.0], &[0.0, 1.0, -1.0]);
    check::<Oscillator>(&[0.5, -0.5, 1.0, 0.25], &[]); // no rows: the initial state
}

#[test]
fn scan_over_rows_that_are_inputs_in_every_mode() {
    let mut rng = Rng::for_test("loops scan inputs");
    check::<ScanOverInputs>(&rng.vec(8, -1.0, 1.0), &[0.5]);
    check::<ScanOverInputs>(&[1.0, 0.0, -1.0, 0.0], &[1.0]);
}

#[test]
fn fold_in_every_mode_equals_the_unrolled_loop() {
    check::<Lorenz>(&[10.0, 28.0, 8.0 / 3.0, 1.0, 1.0, 1.0], &[]);
    let mut rng = Rng::for_test("loops fold");
    for _ in 0..3 {
        check::<LogisticMap>(&[rng.uniform(2.5, 3.5), rng.uniform(0.1, 0.9)], &[]);
    }
    check::<LogisticMap>(&[1.0, 0.5], &[]);
    check::<LogisticMap>(&[2.0, 0.5], &[]); // a fixed point
    check::<LogisticMap>(&[0.5, 0.0], &[]); // the fixed point 0
    check::<OddSteps>(&rng.vec(3, -1.0, 1.0), &rng.vec(3, -1.0, 1.0));
    check::<OddSteps>(&[0.0, 1.0, -1.0], &[]);
    check::<Ring>(&[0.7, 0.1, -0.2, 0.3, 0.0, 1.0, -1.0], &[]);
}

/// The tape's `fold` takes the state as recorded leaves, so a constant initial state at √0 has an
/// infinite partial on the tape where the plain loop records nothing: the zero rules keep it out
/// of the derivatives (no NaN), in the gradient and in the Hessian (duals on the tape).
#[test]
fn a_fold_from_a_constant_state_at_a_singular_point_gives_no_nan() {
    check::<SingularStart>(&[0.5], &[]);
    let (_, g) = reverse::gradient(|x| SingularStart::looped(x, &[]), &[0.5]);
    assert!(g[0].is_finite(), "{g:?}");
}

/// The full tape of a `fold` keeps every step's nodes (here 10⁴ steps of a 3-state step); the
/// tape runs the combinator with a tape whose length does not depend on the number of steps, and
/// the same values and derivatives as the hand-written loop's tape.
#[test]
fn the_tape_of_a_long_fold_does_not_grow_with_the_number_of_steps() {
    let x = [10.0, 28.0, 8.0 / 3.0, 1.0, 1.0, 1.0];
    let mut lengths = Vec::new();
    for steps in [10, 1000, 10_000] {
        let mut tape = Tape::new();
        let s = tape.record(&x, |v| {
            fold(&v[3..6], steps, |s| lorenz_rk4(s, &v[..3], 1e-4))
        });
        lengths.push(tape.len());
        let g = tape.backward(s[0]).to_vec();
        let mut full = Tape::new();
        let u = full.record(&x, |v| {
            let mut s = v[3..6].to_vec();
            for _ in 0..steps {
                s = lorenz_rk4(&s, &v[..3], 1e-4);
            }
            s
        });
        assert!(full.len() > steps * 50, "{} nodes", full.len());
        for i in 0..3 {
            bits(s[i].value(), u[i].value(), "fold's final state");
        }
        let gu = full.backward(u[0]).to_vec();
        all_close(&g, &gu, 1e-11, &format!("gradient after {steps} steps"));
    }
    // the 6 inputs and at most one node per (state component, input)
    assert!(lengths.iter().all(|&l| l <= 6 + 3 * 6), "{lengths:?}");
    assert_eq!(lengths[0], lengths[2], "{lengths:?}");
}

/// A loop run on the tape inside a recording of another scalar type, outside any recording, or
/// on a traced tape takes the plain loop and still gives the hand-written loop's numbers.
#[test]
fn a_fold_on_a_traced_tape_or_on_constants_is_the_plain_loop() {
    let x = [3.2, 0.3];
    let mut tape = Tape::new();
    tape.set_tracing(true);
    let y = tape.record(&x, |v| LogisticMap::looped(v, &[]));
    let traced = tape.len();
    let g = tape.backward(y).to_vec();
    let (_, fg) = nilpotent::gradient(|v| LogisticMap::unrolled(v, &[]), &x);
    all_close(&g, &fg, 1e-12, "traced tape");
    assert!(
        traced > 30 * 3,
        "the traced tape lists every step: {traced}"
    );
    // constants only: no recording is needed
    let c: Vec<Var<f64>> = x.iter().map(|&v| Var::constant(v)).collect();
    bits(
        LogisticMap::looped(&c, &[]).value(),
        LogisticMap::unrolled(&x, &[]),
        "constants",
    );
}

// ---- width 0, empty data ----------------------------------------------------------------------

#[test]
fn width_0_with_no_rows_is_zero_iterations_in_every_mode() {
    fn f<T: Real>(x: &[T], _: &[T]) -> T {
        let none: [T; 0] = [];
        let a = sum_map(&none, 0, |_| x[0]);
        let b = map_rows(&none, 0, |_| x[0]);
        let s = scan(&[x[0], x[1]], &none, 0, |s, _| vec![s[1], s[0]]);
        let k = fold(&[x[1]], 0, |s| vec![s[0] * 2.0]);
        assert!(b.is_empty());
        a + s[0] * s[1] + k[0]
    }
    struct Width0;
    impl Case for Width0 {
        const NAME: &'static str = "width 0";
        fn looped<T: Real>(x: &[T], p: &[T]) -> T {
            f(x, p)
        }
        fn unrolled<T: Real>(x: &[T], _: &[T]) -> T {
            T::zero() + x[0] * x[1] + x[1]
        }
    }
    check::<Width0>(&[0.5, -2.0], &[]);
}

// ---- wrong widths and lengths -----------------------------------------------------------------

fn bad_width<T: Real>(x: &[T]) -> T {
    sum_map(x, 2, |r| r[0] * r[1])
}

#[test]
#[should_panic(expected = "rows.len() = 5 is not a multiple of width = 2")]
fn sum_map_with_a_width_that_does_not_divide_the_rows_panics_on_f64() {
    bad_width(&[1.0; 5]);
}

#[test]
#[should_panic(expected = "rows.len() = 5 is not a multiple of width = 2")]
fn sum_map_with_a_width_that_does_not_divide_the_rows_panics_on_the_tape() {
    reverse::gradient(bad_width, &[1.0; 5]);
}

#[test]
#[should_panic(expected = "rows.len() = 5 is not a multiple of width = 2")]
fn sum_map_with_a_width_that_does_not_divide_the_rows_panics_on_dual() {
    nilpotent::gradient(bad_width, &[1.0; 5]);
}

#[test]
#[should_panic(expected = "rows.len() = 5 is not a multiple of width = 2")]
fn sum_map_with_a_width_that_does_not_divide_the_rows_panics_in_graph_mode() {
    Graph::record(&[1.0; 5], bad_width);
}

#[test]
#[should_panic(expected = "map_rows: rows.len() = 3 is not a multiple of width = 2")]
fn map_rows_with_a_width_that_does_not_divide_the_rows_panics() {
    map_rows(&[1.0; 3], 2, |r| r[0]);
}

#[test]
#[should_panic(expected = "scan: xs.len() = 7 is not a multiple of width = 3")]
fn scan_with_a_width_that_does_not_divide_xs_panics_on_the_tape() {
    reverse::gradient(
        |x| scan(&x[..1], &x[1..], 3, |s, r| vec![s[0] + r[0]])[0],
        &[1.0; 8],
    );
}

#[test]
#[should_panic(expected = "width = 0 with rows.len() = 3")]
fn sum_map_of_width_0_over_data_panics() {
    sum_map(&[1.0, 2.0, 3.0], 0, |_| 1.0);
}

#[test]
#[should_panic(expected = "width = 0 with xs.len() = 2")]
fn scan_of_width_0_over_data_panics() {
    scan(&[1.0], &[1.0, 2.0], 0, |s, _| s.to_vec());
}

#[test]
#[should_panic(expected = "windows of 2 entries, 2 apart, do not tile the 5 entries")]
fn sum_windows_that_do_not_tile_the_data_panic() {
    sum_windows(&[1.0; 5], 2, 2, |w| w[0]);
}

#[test]
#[should_panic(expected = "the stride must be at least 1")]
fn sum_windows_with_stride_0_panics() {
    sum_windows(&[1.0; 5], 2, 0, |w| w[0]);
}

/// A step whose result has another length than the state, at iteration 3 only.
fn short_at_3<T: Real>(x: &[T]) -> T {
    let k = std::cell::Cell::new(0);
    fold(&[x[0], x[1]], 5, |s| {
        k.set(k.get() + 1);
        if k.get() == 4 {
            vec![s[0]]
        } else {
            vec![s[1], s[0] * 2.0]
        }
    })[0]
}

#[test]
#[should_panic(expected = "fold: the step returned 1 value at iteration 3 for a state of 2")]
fn fold_whose_step_returns_a_wrong_length_panics_naming_the_iteration_on_f64() {
    short_at_3(&[1.0, 2.0]);
}

#[test]
#[should_panic(expected = "fold: the step returned 1 value at iteration 3 for a state of 2")]
fn fold_whose_step_returns_a_wrong_length_panics_naming_the_iteration_on_the_tape() {
    reverse::gradient(short_at_3, &[1.0, 2.0]);
}

#[test]
#[should_panic(expected = "fold: the step returned 1 value at iteration 3 for a state of 2")]
fn fold_whose_step_returns_a_wrong_length_panics_naming_the_iteration_on_dual() {
    nilpotent::gradient(short_at_3, &[1.0, 2.0]);
}

#[test]
#[should_panic(expected = "scan: the step returned 3 values at iteration")]
fn scan_whose_step_returns_a_wrong_length_panics_in_graph_mode() {
    Graph::record(&[1.0, 2.0], |x| {
        scan(&x[..1], &x[1..], 1, |s, r| vec![s[0], r[0], s[0]])[0]
    });
}

#[test]
#[should_panic(expected = "scan: the step returned 3 values at iteration 0 for a state of 1")]
fn scan_whose_step_returns_a_wrong_length_panics_on_the_tape() {
    reverse::gradient(
        |x| {
            scan(&x[..1], &[Var::constant(1.0)], 1, |s, r| {
                vec![s[0], r[0], s[0]]
            })[0]
        },
        &[1.0],
    );
}
