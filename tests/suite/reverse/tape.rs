//! Reverse mode: safety of the tape (foreign, stale and out-of-recording variables, nesting,
//! threads, dead branches), its memory use, its trace, and the drivers (`gradient`, `vjp`,
//! `jacobian`, `hvp`, `hessian`, `hessian_with`) against forward mode and finite differences.

use crate::common;
use crate::common::functions::{extended_rosenbrock, lecture};

use std::panic::{AssertUnwindSafe, catch_unwind};

use common::{Rng, assert_close, fd_gradient, fd_partial, richardson};
use nilpotent::forward::Chunk;
use nilpotent::reverse::{self, Tape, Var};
use nilpotent::{Dual, gradient, gradient_fixed, jacobian, jvp};
use num_traits::{Float, FloatConst, NumCast, One, Zero};

// ------------------------------------------------------------------------------------------------
// Safety
// ------------------------------------------------------------------------------------------------

#[test]
fn constants_need_no_tape() {
    // outside of any recording, on this thread and with no Tape in existence
    let c = Var::constant(2.0f64);
    let y = c.sin() * 3.0 + 2.0 * c.exp() - c.powf(Var::constant(1.5)) + c.max(Var::one());
    let expected = 2.0f64.sin() * 3.0 + 2.0 * 2.0f64.exp() - 2.0f64.powf(1.5) + 2.0f64.max(1.0);
    assert!(y.is_constant());
    assert_eq!(y.value().to_bits(), expected.to_bits());
    assert_eq!(y.node(), None);
    // zero(), one(), NumCast, FloatConst and the generic code itself on constants
    let z = Var::<f64>::zero() + Var::<f64>::one() * <Var<f64> as NumCast>::from(4).unwrap();
    assert!(z.is_constant() && z.value() == 4.0);
    assert!(Var::<f64>::PI().is_constant());
    let v = lecture(&[Var::constant(2.0f64), Var::constant(5.0)]);
    assert!(v.is_constant());
    assert_eq!(v.value().to_bits(), lecture(&[2.0f64, 5.0]).to_bits());
    // the same in f32
    let w = Var::constant(2.0f32).ln() * 2.0f32;
    assert!(w.is_constant() && w.value() == 2.0f32.ln() * 2.0);
    // a function whose result is a constant: gradient zero, nothing to sweep
    let (value, g) = reverse::gradient(|x| x[0] * 0.0 + Var::constant(7.0), &[3.0]);
    assert_eq!((value, g), (7.0, vec![0.0]));
    let (value, g) = reverse::gradient(|_| Var::constant(7.0), &[3.0, 4.0]);
    assert_eq!((value, g), (7.0, vec![0.0, 0.0]));
}

#[test]
#[should_panic(
    expected = "a variable from another tape, or from an earlier recording of this tape"
)]
fn variable_from_another_tape_panics() {
    let mut a = Tape::new();
    let mut b = Tape::new();
    let from_a = a.record(&[1.0], |x| x[0] * 2.0);
    b.record(&[3.0], |y| y[0] + from_a);
}

#[test]
#[should_panic(
    expected = "a variable from another tape, or from an earlier recording of this tape"
)]
fn variable_from_another_tape_with_a_constant_panics() {
    // one operand constant: the one-parent path checks the tape too
    let mut a = Tape::new();
    let from_a = a.record(&[1.0], |x| x[0].sin());
    Tape::new().record(&[3.0], |_| from_a * 2.0);
}

#[test]
#[should_panic(
    expected = "a variable from another tape, or from an earlier recording of this tape"
)]
fn variable_from_before_a_second_record_panics() {
    let mut tape = Tape::new();
    let old = tape.record(&[1.0, 2.0], |x| x[0] * x[1]);
    // the second recording reuses the same buffer: the old variable's index 2 would point at a
    // node of the new recording, so it must be rejected, not silently read
    tape.record(&[1.0, 2.0], |x| x[0] * x[1] + old);
}

#[test]
#[should_panic(
    expected = "a variable from another tape, or from an earlier recording of this tape"
)]
fn variable_from_before_clear_panics() {
    let mut tape = Tape::new();
    let old = tape.record(&[1.0], |x| x[0].exp());
    tape.clear();
    assert!(tape.is_empty());
    tape.record(&[1.0], |x| x[0] * old);
}

#[test]
#[should_panic(
    expected = "a variable from another tape, or from an earlier recording of this tape"
)]
fn backward_from_a_stale_output_panics() {
    let mut tape = Tape::new();
    let old = tape.record(&[1.0], |x| x[0].exp());
    tape.record(&[1.0], |x| x[0].sin());
    tape.backward(old);
}

#[test]
#[should_panic(expected = "happened outside of a recording")]
fn variable_outside_recording_panics() {
    let mut tape = Tape::new();
    let y = tape.record(&[1.0], |x| x[0] * 2.0);
    let _ = y.sin();
}

#[test]
#[should_panic(expected = "this thread is already recording a tape of Var<f64>")]
fn nested_recording_of_the_same_type_panics() {
    let mut outer = Tape::new();
    outer.record(&[1.0], |x| {
        let mut inner = Tape::<f64>::new();
        inner.record(&[2.0], |y| y[0] * 2.0);
        x[0]
    });
}

#[test]
fn nested_recordings_of_different_types_work() {
    // a Var<f32> gradient and a forward-over-reverse hvp (Var<Dual<f64, 1>>) inside a Var<f64>
    // recording: each scalar type has its own slot
    let (value, g) = reverse::gradient(
        |x| {
            let (_, g32) = reverse::gradient(|y: &[Var<f32>]| y[0] * y[0], &[3.0f32]);
            assert_eq!(g32, [6.0]);
            let (_, _, hv) = reverse::hvp(|y| y[0] * y[0] * y[0], &[2.0], &[1.0]);
            assert_eq!(hv, [12.0]);
            x[0] * <f64 as From<f32>>::from(g32[0]) + x[1] * hv[0]
        },
        &[1.0, 1.0],
    );
    assert_eq!((value, g), (18.0, vec![6.0, 12.0]));
}

#[test]
fn a_panic_inside_a_recording_leaves_the_thread_usable() {
    let mut a = Tape::new();
    let stale = a.record(&[1.0], |x| x[0] * 2.0);
    let mut b = Tape::new();
    let result = catch_unwind(AssertUnwindSafe(|| b.record(&[2.0], |x| x[0] + stale)));
    assert!(result.is_err());
    // the slot was handed back on unwind: the same tape and a new one record again
    let (value, g) = b.gradient(lecture, &[2.0, 5.0]);
    assert_eq!((value, g[0]), (lecture(&[2.0, 5.0]), 5.5));
    let (_, g) = reverse::gradient(|x| x[0] * x[0], &[3.0]);
    assert_eq!(g, [6.0]);
}

#[test]
fn two_threads_record_independent_tapes_concurrently() {
    // each thread keeps its own tape and evaluates its own function many times; the closed-form
    // gradients must come out exactly (the same f64 operations as the closed forms)
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..4u64)
            .map(|t| {
                s.spawn(move || {
                    let mut rng = Rng::new(0x7EAD_0000 + t);
                    let mut tape = Tape::new();
                    let mut grad = [0.0; 2];
                    for _ in 0..500 {
                        let (a, b) = (rng.uniform(0.5, 3.0), rng.uniform(-3.0, 3.0));
                        let k = t as f64 + 1.0;
                        // f = k·a·b + sin(b)
                        let v = tape.gradient_into(
                            |x| x[0] * x[1] * k + x[1].sin(),
                            &[a, b],
                            &mut grad,
                        );
                        assert_eq!(v, a * b * k + b.sin());
                        assert_eq!(grad, [b * k, a * k + b.cos()]);
                        std::thread::yield_now();
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().expect("a recording thread failed");
        }
    });
}

#[test]
fn a_variable_sent_to_another_thread_is_rejected() {
    let mut tape = Tape::new();
    let y = tape.record(&[1.0], |x| x[0] * 2.0);
    let result = std::thread::scope(|s| {
        s.spawn(move || reverse::gradient(|x| x[0] + y, &[1.0]))
            .join()
    });
    let payload = result.expect_err("using a variable of another thread's tape must panic");
    let message = payload
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(
        message.contains("a variable from another tape"),
        "{message}"
    );
}

#[test]
fn dead_branch_with_infinite_partials_leaves_the_gradient_finite() {
    // sqrt, ln, recip, acos and cbrt at their singular points are computed but never reach the
    // output: their nodes' adjoints stay 0 and the sweep skips them (0·∞ would be NaN)
    fn f<T: Float>(x: &[T]) -> T {
        let _dead_sqrt = x[0].sqrt();
        let _dead_ln = x[0].ln();
        let _dead_recip = x[0].recip();
        let _dead_cbrt = x[0].cbrt();
        let _dead_acos = x[1].acos();
        let dead_chain = x[0].sqrt().ln() * x[1];
        let _ = dead_chain.exp();
        x[0] * x[1] + x[1]
    }
    let (value, g) = reverse::gradient(f, &[0.0, 1.0]);
    assert_eq!(value, 1.0);
    assert_eq!(g, [1.0, 1.0]);
    // forward mode agrees (there, the dead nodes' tangents are NaN but never reach the output)
    assert_eq!(gradient(f, &[0.0, 1.0]).1, g);
    // the same with nodes recorded *after* the output (the sweep starts at the output)
    let (_, g) = reverse::gradient(
        |x| {
            let y = x[0] * x[1];
            let _later = x[0].ln() + y.sqrt();
            y
        },
        &[0.0, 3.0],
    );
    assert_eq!(g, [3.0, 0.0]);
    // a branch multiplied by a constant 0 is dead too: an exactly zero partial records no edge,
    // and forward mode gives the same (a zero partial means "does not depend on", even against the
    // infinite tangent of sqrt at 0)
    let (_, g) = reverse::gradient(|x| x[0].sqrt() * 0.0 + x[0], &[0.0]);
    assert_eq!(g, [1.0]);
    let (_, gf) = gradient(|x| x[0].sqrt() * 0.0 + x[0], &[0.0]);
    assert_eq!(gf, vec![1.0]);
}

#[test]
fn zero_adjoint_skip_keeps_every_real_contribution() {
    // 1. an adjoint that cancels to exactly 0 (u − u) contributes nothing, rightly, while the
    //    other paths from the same inputs still count
    let (_, g) = reverse::gradient(
        |x| {
            let u = x[0] * x[1];
            u - u + x[0].sin() * x[1]
        },
        &[0.7, 2.0],
    );
    assert_eq!(g, [0.7f64.cos() * 2.0, 0.7f64.sin()]);
    // 2. the output is an input node itself
    let (_, g) = reverse::gradient(|x| x[1], &[0.0, 0.0]);
    assert_eq!(g, [0.0, 1.0]);
    // 3. a node whose first-order adjoint is 0 but whose second-order part is not: forward over
    //    reverse on cos(x·y) at (1, 0). The adjoint of u = x·y is −sin(u) = 0 in its real part
    //    and −u̇ ≠ 0 in its tangent; skipping it would lose the Hessian. H·(0, 1) = (0, −1).
    let (value, grad, hv) = reverse::hvp(|x| (x[0] * x[1]).cos(), &[1.0, 0.0], &[0.0, 1.0]);
    assert_eq!((value, grad), (1.0, vec![0.0, 0.0]));
    assert_eq!(hv, [0.0, -1.0]);
    // 4. a seed of 0 on one output of a vjp skips that output only
    let (_, jts) = reverse::vjp(
        |x| vec![x[0] * x[1], x[0].sin(), x[1]],
        &[0.5, 2.0],
        &[0.0, 1.0, 3.0],
    );
    assert_eq!(jts, [0.5f64.cos(), 3.0]);
}

// ------------------------------------------------------------------------------------------------
// Memory
// ------------------------------------------------------------------------------------------------

#[test]
fn bytes_per_node_is_at_most_24_for_f64() {
    assert!(
        Tape::<f64>::bytes_per_node() <= 24,
        "{}",
        Tape::<f64>::bytes_per_node()
    );
    assert!(
        Tape::<f32>::bytes_per_node() <= 16,
        "{}",
        Tape::<f32>::bytes_per_node()
    );
}

#[test]
fn one_node_per_non_constant_operation() {
    let mut tape = Tape::new();
    // the lecture example: 2 inputs + ln, ×, sin, +, − = 7 nodes
    tape.record(&[2.0, 5.0], lecture);
    assert_eq!((tape.len(), tape.num_inputs()), (7, 2));
    // constants are not recorded: x₀·2, (sin 3)·x₁, +, − (π·ln e), + (exp 3)·3: the five
    // operations with a recorded operand, none of the four on constants only
    tape.record(&[2.0, 5.0], |x| {
        let c = Var::constant(3.0);
        x[0] * 2.0 + c.sin() * x[1] - Var::<f64>::PI() * Var::<f64>::E().ln() + c.exp() * c
    });
    assert_eq!(tape.len(), 2 + 5);
    // x + (+0) is not x at x = −0: one node; a sum of n terms: n − 1 nodes (it starts from the
    // constant −0, and (−0) + x is x bit for bit, so its first addition records nothing)
    tape.record(&[1.0; 10], |x| {
        x.iter().copied().sum::<Var<f64>>() + Var::zero()
    });
    assert_eq!(tape.len(), 10 + 9 + 1);
    // mul_add, the one rule of three arguments, takes two nodes (a node has at most two parents)
    tape.record(&[1.0, 2.0, 3.0], |x| x[0].mul_add(x[1], x[2]));
    assert_eq!(tape.len(), 3 + 2);
    // a long function: n inputs, one node per operation
    let n = 1000;
    tape.record(&vec![0.5; n], |x| {
        x.windows(2)
            .fold(Var::<f64>::zero(), |acc, w| acc + (w[0] * w[1]).sin())
    });
    assert_eq!(tape.len(), n + 3 * (n - 1));
    tape.clear();
    assert!(tape.is_empty() && tape.num_inputs() == 0);
}

// ------------------------------------------------------------------------------------------------
// Trace
// ------------------------------------------------------------------------------------------------

/// The rows of a printed trace, each split at runs of two or more spaces (the column gaps).
fn rows(table: &str) -> Vec<Vec<String>> {
    table
        .lines()
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|cell| !cell.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// The row whose first cell is `label`.
fn row<'a>(rows: &'a [Vec<String>], label: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r.first().map(String::as_str) == Some(label))
        .unwrap_or_else(|| panic!("no row {label} in {rows:?}"))
}

#[test]
fn trace_prints_the_lecture_tables() {
    let mut tape = Tape::new();
    tape.set_tracing(true);
    let y = tape.record(&[2.0, 5.0], |x| {
        let (x1, x2) = (x[0], x[1]);
        let v1 = x1.ln();
        let v2 = x1 * x2;
        let v3 = x2.sin();
        let v4 = v1 + v2;
        v4 - v3
    });
    // the primal trace
    let primal = format!("{:.3}", tape.trace());
    let table = rows(&primal);
    assert!(table[0].iter().any(|c| c == "operation") && table[0].iter().any(|c| c == "value"));
    assert!(!primal.contains("adjoint"), "{primal}");
    let expected = [
        ("v₋₁", "x₁", "2.000"),
        ("v₀", "x₂", "5.000"),
        ("v₁", "ln v₋₁", "0.693"),
        ("v₂", "v₋₁ × v₀", "10.000"),
        ("v₃", "sin v₀", "-0.959"),
        ("v₄", "v₁ + v₂", "10.693"),
        ("v₅", "v₄ − v₃", "11.652"),
    ];
    for (label, op, value) in expected {
        assert_eq!(row(&table, label), [label, op, value], "{primal}");
    }
    assert_eq!(table.len(), 1 + expected.len(), "{primal}");

    // after the sweep: the adjoint column, v̄₋₁ = ∂f/∂x₁ = 5.5, v̄₀ = ∂f/∂x₂ = 1.716
    let g = tape.backward(y).to_vec();
    assert_eq!(g[0], 5.5);
    let adjoint = format!("{:.3}", tape.trace());
    let table = rows(&adjoint);
    assert!(table[0].iter().any(|c| c.contains("adjoint")), "{adjoint}");
    let adjoints = [
        ("v₋₁", "5.500"),
        ("v₀", "1.716"),
        ("v₁", "1.000"),
        ("v₂", "1.000"),
        ("v₃", "-1.000"),
        ("v₄", "1.000"),
        ("v₅", "1.000"),
    ];
    for (label, a) in adjoints {
        let r = row(&table, label);
        assert_eq!(r.len(), 4, "{adjoint}");
        assert_eq!(r[3], a, "{adjoint}");
    }
    // a constant operand is printed as its value
    tape.record(&[2.0], |x| x[0] * 2.5);
    let text = format!("{}", tape.trace());
    assert!(!text.contains("v₋₀"), "{text}");
    assert!(text.contains("v₀ × 2.5"), "{text}");
}

// ------------------------------------------------------------------------------------------------
// Drivers
// ------------------------------------------------------------------------------------------------

#[test]
#[allow(clippy::redundant_closure)] // the closure form `|x| f(x)` is what this test is about
fn lecture_example_by_name_and_by_closure() {
    let expected_value = 2.0f64.ln() + 10.0 - 5.0f64.sin();
    let (v1, g1) = reverse::gradient(lecture, &[2.0f64, 5.0]);
    let (v2, g2) = reverse::gradient(|x| lecture(x), &[2.0, 5.0]);
    assert_eq!((v1, &g1), (v2, &g2));
    assert_eq!(v1.to_bits(), expected_value.to_bits());
    assert!((v1 - 11.652071455223084).abs() < 1e-14);
    assert_eq!(g1[0], 5.5);
    // ∂f/∂x₂ = x₁ − cos x₂: the sweep computes (−cos 5) + 2, the same number
    assert_eq!(g1[1], 2.0 - 5.0f64.cos());
    assert!((g1[1] - 1.716).abs() < 1e-3);
    // the Tape method and the forward driver agree
    assert_eq!(Tape::new().gradient(lecture, &[2.0, 5.0]), (v1, g1.clone()));
    assert_eq!(gradient(lecture, &[2.0, 5.0]), (v1, g1));
}

/// A sum of logarithms coupling neighbours cyclically (defined for n ≥ 1).
fn log_sum<T: Float>(x: &[T]) -> T {
    let n = x.len();
    let half = T::from(0.5).unwrap();
    (0..n).fold(T::zero(), |s, i| {
        let d = x[i] + half * x[(i + 1) % n];
        s + (T::one() + d * d).ln() + x[i].exp().ln_1p()
    })
}

/// ½ xᵀAx + bᵀx with a dense row-major `a` (n × n) and `b`, both plain constants.
fn quadratic<T: Float>(a: &[f64], b: &[f64], x: &[T]) -> T {
    let n = x.len();
    let half = T::from(0.5).unwrap();
    (0..n).fold(T::zero(), |s, i| {
        let row = (0..n).fold(T::zero(), |r, j| r + x[j] * T::from(a[i * n + j]).unwrap());
        s + x[i] * (half * row + T::from(b[i]).unwrap())
    })
}

/// Relative tolerance of a reverse gradient against the forward one: the two modes multiply the
/// same partials but sum the contributions of a variable used several times in opposite orders,
/// so they may differ by a few roundings of the largest term.
const MODES_REL: f64 = 1e-13;

/// Relative tolerance against the two-level Richardson central difference of [`fd_gradient`] (step
/// 1e-3·max(1, maxᵢ |xᵢ|)): the truncation error is ~1e-18, the rounding error of a sum of n terms
/// ≈ 10·ε·|f|/h; for the n = 1000 test functions (|f| ≲ 1e5) that is ≲ 2e-7 absolute, so 1e-6
/// relative (absolute below 1). The worst error seen is ~1.4% of the tolerance.
const FD_REL: f64 = 1e-6;

fn check_gradient(name: &str, value: f64, g: &[f64], fwd: (f64, Vec<f64>), fd: &[f64]) {
    assert_eq!(value.to_bits(), fwd.0.to_bits(), "{name}: value vs forward");
    for i in 0..g.len() {
        assert_close(
            g[i],
            fwd.1[i],
            MODES_REL,
            1.0,
            &format!("{name}: ∂{i} vs forward"),
        );
        assert_close(
            g[i],
            fd[i],
            FD_REL,
            1.0,
            &format!("{name}: ∂{i} vs finite difference"),
        );
    }
}

#[test]
fn gradient_for_n_1_2_and_1000_matches_forward_and_finite_differences() {
    let mut rng = Rng::new(0xD00D_0001);
    for n in [1usize, 2, 1000] {
        for _ in 0..(if n == 1000 { 1 } else { 20 }) {
            let x = rng.vec(n, -1.2, 1.2);
            let (v, g) = reverse::gradient(log_sum, &x);
            check_gradient(
                &format!("log_sum n={n}"),
                v,
                &g,
                gradient(log_sum, &x),
                &fd_gradient(log_sum, &x),
            );
            if n % 2 == 0 {
                let (v, g) = reverse::gradient(extended_rosenbrock, &x);
                check_gradient(
                    &format!("rosenbrock n={n}"),
                    v,
                    &g,
                    gradient(extended_rosenbrock, &x),
                    &fd_gradient(extended_rosenbrock, &x),
                );
            }
        }
    }
}

#[test]
fn gradient_of_a_dense_quadratic_form() {
    let mut rng = Rng::new(0xD00D_0002);
    // small n: against forward mode and finite differences
    for n in [1usize, 2, 13] {
        let (a, b, x) = (
            rng.vec(n * n, -1.0, 1.0),
            rng.vec(n, -1.0, 1.0),
            rng.vec(n, -2.0, 2.0),
        );
        let (v, g) = reverse::gradient(|x| quadratic(&a, &b, x), &x);
        let fwd = gradient(|x| quadratic(&a, &b, x), &x);
        let fd = fd_gradient(|x| quadratic(&a, &b, x), &x);
        check_gradient(&format!("quadratic n={n}"), v, &g, fwd, &fd);
    }
    // n = 1000 (2·10⁶ recorded operations): against the closed form ½(A + Aᵀ)x + b. Each entry
    // sums ~2000 products of size ≲ 2; rounding ≲ 2000·ε·2 ≈ 1e-12 absolute, hence 1e-10
    // relative with an absolute floor of 1.
    let n = 1000;
    let (a, b, x) = (
        rng.vec(n * n, -1.0, 1.0),
        rng.vec(n, -1.0, 1.0),
        rng.vec(n, -2.0, 2.0),
    );
    let mut tape = Tape::with_capacity(2 * n * n + 2 * n);
    let (v, g) = tape.gradient(|x| quadratic(&a, &b, x), &x);
    assert_eq!(v.to_bits(), quadratic(&a, &b, &x).to_bits());
    for i in 0..n {
        let closed = (0..n)
            .map(|j| 0.5 * (a[i * n + j] + a[j * n + i]) * x[j])
            .sum::<f64>()
            + b[i];
        assert_close(g[i], closed, 1e-10, 1.0, &format!("quadratic n=1000: ∂{i}"));
    }
}

/// A contractive recurrence of `steps` steps, 4 recorded operations each:
/// y ← 0.9·sin(x₀·y) + x₁, started at y = x₂. |∂y'/∂y| ≤ 0.9|x₀| < 1, so rounding errors do
/// not grow along the chain.
fn recurrence<T: Float>(x: &[T], steps: usize) -> T {
    let c = T::from(0.9).unwrap();
    (0..steps).fold(x[2], |y, _| (x[0] * y).sin() * c + x[1])
}

#[test]
fn gradient_through_1e5_recorded_operations() {
    let steps = 25_000;
    let x = [0.8f64, 0.3, -0.5];
    let mut tape = Tape::new();
    let y = tape.record(&x, |v| recurrence(v, steps));
    assert!(tape.len() >= 100_000, "{} nodes", tape.len());
    let g = tape.backward(y).to_vec();
    let (fv, fg) = gradient_fixed(|v| recurrence(v, steps), &x);
    assert_eq!(y.value().to_bits(), fv.to_bits());
    // the two modes multiply the same partials along the chain in opposite association orders;
    // with contraction 0.72 per step the rounding differences stay at a few ε: 1e-12 relative
    for i in 0..3 {
        assert_close(g[i], fg[i], 1e-12, 1e-3, &format!("∂{i} vs forward"));
    }
    let fd = fd_gradient(|v| recurrence(v, steps), &x);
    for i in 0..3 {
        assert_close(
            g[i],
            fd[i],
            1e-7,
            1.0,
            &format!("∂{i} vs finite difference"),
        );
    }
}

// Vector functions for the Jacobian tests: ℝ² → ℝ³, ℝ⁵ → ℝ², ℝ⁴ → ℝ⁴ (one constant output).
fn g_2_3<T: Float>(x: &[T]) -> Vec<T> {
    vec![
        x[0] * x[1],
        x[0].sin() + x[1].exp(),
        (x[0] * x[0] + x[1]).hypot(x[1]),
    ]
}
fn g_5_2<T: Float>(x: &[T]) -> Vec<T> {
    let s = x.iter().fold(T::zero(), |s, &v| s + v * v);
    vec![s.sqrt() * x[4], x[0].atan2(x[1] + x[2]) * x[3].tanh()]
}
fn g_4_4<T: Float>(x: &[T]) -> Vec<T> {
    vec![
        x[0] / (T::one() + x[1] * x[1]),
        x[1].cos() * x[2] - x[3],
        (x[2] * x[3]).ln_1p().max(x[0]),
        T::from(2.0).unwrap(),
    ]
}

/// Reverse Jacobian vs forward Jacobian: same partials, contributions summed in different orders
/// (1e-13 relative, absolute below 1); values bit for bit.
macro_rules! check_jacobian {
    ($g:ident, $x:expr) => {{
        let x: &[f64] = &$x;
        let (rv, rj) = reverse::jacobian($g, x);
        let (fv, fj) = jacobian($g, x);
        assert_eq!(rv, fv, "{} values", stringify!($g));
        assert_eq!(rj.shape(), fj.shape());
        for (a, b) in rj.iter().zip(fj.iter()) {
            assert_close(*a, *b, MODES_REL, 1.0, stringify!($g));
        }
        // vjp against Jᵀs from the forward Jacobian
        let s: Vec<f64> = (0..rv.len()).map(|i| 0.5 - i as f64).collect();
        let (vv, jts) = reverse::vjp($g, x, &s);
        assert_eq!(vv, fv);
        let jts_fwd = fj.transpose() * nalgebra::DVector::from_vec(s.clone());
        for (a, b) in jts.iter().zip(jts_fwd.iter()) {
            assert_close(*a, *b, MODES_REL, 1.0, &format!("{} vjp", stringify!($g)));
        }
        // and the columns of J against finite differences of each output
        for i in 0..rv.len() {
            let fd = fd_gradient(|p| $g(p)[i], x);
            for j in 0..x.len() {
                assert_close(
                    rj[(i, j)],
                    fd[j],
                    1e-7,
                    1.0,
                    &format!("{} J[{i}][{j}] vs FD", stringify!($g)),
                );
            }
        }
    }};
}

#[test]
fn reverse_jacobian_and_vjp_match_forward() {
    let mut rng = Rng::new(0xD00D_0003);
    for _ in 0..20 {
        check_jacobian!(g_2_3, rng.vec(2, 0.1, 2.0));
        check_jacobian!(g_5_2, rng.vec(5, 0.1, 2.0));
        // keep the max in g_4_4 away from its kink, where a finite difference is meaningless
        let x = loop {
            let x = rng.vec(4, 0.1, 2.0);
            if ((x[2] * x[3]).ln_1p() - x[0]).abs() > 0.05 {
                break x;
            }
        };
        check_jacobian!(g_4_4, x);
    }
    // the constant output has a zero row
    let (_, j) = reverse::jacobian(g_4_4, &[1.0, 2.0, 3.0, 4.0]);
    assert!(j.row(3).iter().all(|&v| v == 0.0));
}

/// sᵀ(J r) by forward `jvp` against (Jᵀ s)ᵀ r by reverse `vjp`, relative to the sum of the
/// magnitudes of the terms (which bounds the rounding of both sides): 1e-12.
macro_rules! dot_product_test {
    ($g:ident, $n:expr, $rng:expr) => {{
        let rng: &mut Rng = $rng;
        let x = rng.vec($n, 0.1, 2.0);
        let r = rng.vec($n, -1.0, 1.0);
        let (values, jr) = jvp($g, &x, &r);
        let s = rng.vec(values.len(), -1.0, 1.0);
        let (_, jts) = reverse::vjp($g, &x, &s);
        let lhs: f64 = s.iter().zip(&jr).map(|(a, b)| a * b).sum();
        let rhs: f64 = jts.iter().zip(&r).map(|(a, b)| a * b).sum();
        let scale: f64 = s.iter().zip(&jr).map(|(a, b)| (a * b).abs()).sum::<f64>()
            + jts.iter().zip(&r).map(|(a, b)| (a * b).abs()).sum::<f64>();
        assert!(
            (lhs - rhs).abs() <= 1e-12 * scale.max(f64::MIN_POSITIVE),
            "{}: sᵀ(Jr) = {lhs:e}, (Jᵀs)ᵀr = {rhs:e}",
            stringify!($g)
        );
    }};
}

#[test]
fn dot_product_test_forward_vs_reverse() {
    let mut rng = Rng::new(0xD00D_0004);
    for _ in 0..100 {
        dot_product_test!(g_2_3, 2, &mut rng);
        dot_product_test!(g_5_2, 5, &mut rng);
        dot_product_test!(g_4_4, 4, &mut rng);
    }
}

/// A test function with a dense Hessian, for any n ≥ 1.
fn coupled<T: Float>(x: &[T]) -> T {
    let n = x.len();
    let m = x.iter().fold(T::zero(), |s, &v| s + v) / T::from(n).unwrap();
    (0..n).fold(m.exp(), |s, i| {
        let j = (i + 1) % n;
        s + (x[i] * x[j]).sin() + x[i].powi(3) / T::from(6.0).unwrap()
    })
}

#[test]
fn hvp_matches_finite_differences_of_the_reverse_gradient() {
    let mut rng = Rng::new(0xD00D_0005);
    for n in [1usize, 2, 6, 13] {
        for _ in 0..10 {
            let x = rng.vec(n, -1.5, 1.5);
            let v = rng.vec(n, -1.0, 1.0);
            let (value, grad, hv) = reverse::hvp(coupled, &x, &v);
            let (rv, rg) = reverse::gradient(coupled, &x);
            assert_eq!((value.to_bits(), &grad), (rv.to_bits(), &rg));
            // (∇f(x + tv))ᵢ differentiated at t = 0, two-level Richardson with h = 1e-3: 1e-6
            // relative (truncation ~1e-18, rounding 10·ε·|∇f|/h ~ 1e-11; absolute below 1)
            for (i, &hvi) in hv.iter().enumerate() {
                let fd = richardson(
                    |t| {
                        let p: Vec<f64> = x.iter().zip(&v).map(|(a, b)| a + t * b).collect();
                        reverse::gradient(coupled, &p).1[i]
                    },
                    1e-3,
                );
                assert_close(hvi, fd, 1e-6, 1.0, &format!("n={n}: (Hv)[{i}]"));
            }
        }
    }
    // rosenbrock's Hessian in closed form at (1, 1) · (1, 0): [[802, −400], [−400, 200]]
    let (_, _, hv) = reverse::hvp(extended_rosenbrock, &[1.0, 1.0], &[1.0, 0.0]);
    assert_eq!(hv, [802.0, -400.0]);
}

#[test]
fn hessian_with_chunk_widths_on_13_inputs() {
    let mut rng = Rng::new(0xD00D_0006);
    let n = 13;
    for _ in 0..3 {
        let x = rng.vec(n, -1.5, 1.5);
        let (v, g, h) = reverse::hessian(coupled, &x);
        let (rv, rg) = reverse::gradient(coupled, &x);
        assert_eq!((v.to_bits(), &g), (rv.to_bits(), &rg));
        // every chunk width gives the same matrix: each column is computed in its own tangent
        // lane with the same operations whatever the width, so exactly the same numbers
        let others = [
            reverse::hessian_with(coupled, &x, Chunk::<1>),
            reverse::hessian_with(coupled, &x, Chunk::<4>),
            reverse::hessian_with(coupled, &x, Chunk::<6>),
            reverse::hessian_with(coupled, &x, Chunk::<12>),
            reverse::hessian_with(coupled, &x, Chunk::<13>),
        ];
        for (k, (ov, og, oh)) in others.iter().enumerate() {
            assert_eq!((ov.to_bits(), og), (v.to_bits(), &g), "chunk case {k}");
            assert_eq!(oh, &h, "chunk case {k}");
        }
        for i in 0..n {
            for j in 0..n {
                assert_eq!(
                    h[(i, j)].to_bits(),
                    h[(j, i)].to_bits(),
                    "symmetry at ({i}, {j})"
                );
            }
        }
        // column j against a Richardson difference of the reverse gradient along eⱼ (step
        // 1e-3·max(1, maxᵢ |xᵢ|) ≤ 1.5e-3; 1e-6, as for hvp)
        for j in 0..n {
            for i in 0..n {
                let fd = fd_partial(|p| reverse::gradient(coupled, p).1[i], &x, j);
                assert_close(h[(i, j)], fd, 1e-6, 1.0, &format!("H[{i}][{j}]"));
            }
        }
    }
    // n = 1 and n = 0
    let (v, g, h) = reverse::hessian_with(|x| x[0].powi(3), &[2.0], Chunk::<4>);
    assert_eq!((v, g, h[(0, 0)]), (8.0, vec![12.0], 12.0));
    let (v, g, h) = reverse::hessian(|_| Var::constant(Dual::constant(1.5)), &[] as &[f64]);
    assert_eq!((v, g.len(), h.shape()), (1.5, 0, (0, 0)));
}

#[test]
#[should_panic(expected = "vjp: the seed s has 1 entry; expected 2, one per output of f")]
fn vjp_seed_length_mismatch_panics() {
    reverse::vjp(|x| vec![x[0], x[1]], &[1.0, 2.0], &[1.0]);
}

#[test]
#[should_panic(expected = "hvp: the direction v has 1 entry; expected 2, one per entry of x")]
fn hvp_direction_length_mismatch_panics() {
    reverse::hvp(|x| x[0] * x[1], &[1.0, 2.0], &[1.0]);
}

#[test]
#[should_panic(
    expected = "gradient_into: the output buffer has 1 entry; expected 2, one per entry of x"
)]
fn gradient_into_buffer_length_mismatch_panics() {
    let mut grad = [0.0; 1];
    Tape::new().gradient_into(|x| x[0] * x[1], &[1.0, 2.0], &mut grad);
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
