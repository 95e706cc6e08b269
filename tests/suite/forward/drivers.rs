//! The forward-mode drivers (`derivative`, `jvp`, `gradient`, `gradient_with`, `gradient_fixed`,
//! `jacobian`, `jacobian_with`, `jacobian_fixed`): the lecture example, chunked evaluation with
//! widths {1, 4, 6, 8 (default), 12, 13} on n = 13 (remainder chunk), n = 1, 2 and 100, against
//! Richardson finite differences and against each other, empty input and bad input.
//!
//! **Chunk widths agree bit for bit.** A tangent lane only ever combines its own incoming tangents
//! with the partials of each operation, and the partials depend only on the real parts, which are
//! computed by the same operations whatever the width. So the lane that carries ∂/∂xⱼ performs
//! exactly the same floating-point operations in a pass of width 1, 4, 13 or in `jvp` with
//! direction eⱼ, and the results are identical; the tests assert that (`to_bits`).

use crate::common;
use crate::common::functions::lecture;

use common::{Rng, close, fd_dir, fd_gradient, fd_jacobian, same_f64, ulps};
use nalgebra::DMatrix;
use nilpotent::{
    Chunk, DEFAULT_CHUNK, Dual, derivative, gradient, gradient_fixed, gradient_with, jacobian,
    jacobian_fixed, jacobian_with, jvp,
};
use num_traits::Float;

/// Tolerance of the finite-difference comparisons: relative to max(|∂f|, |f|, 1). The Richardson
/// estimate (two levels, h = 1e-3·max(1, max|xᵢ|)) has truncation error O(h⁶) and rounding error
/// ≈ 1e-12·|f| for these smooth test functions on inputs in [−1, 1]; a wrong derivative is O(1).
const RTOL: f64 = 1e-8;

/// Random points per (function, n) pair.
const POINTS: usize = 5;

// ---------------------------------------------------------------------------------------------
// Test functions, generic over Float and passed by name
// ---------------------------------------------------------------------------------------------

/// A coupled smooth function of any number of inputs (0 included): a chained Rosenbrock term, a
/// cyclic sin·cos coupling and ln(1 + |x|²).
fn coupled<T: Float>(x: &[T]) -> T {
    let n = x.len();
    let c = |v: f64| T::from(v).unwrap();
    let mut s = T::zero();
    for i in 0..n {
        let next = x[(i + 1) % n];
        s = s + c(0.5) * (next - x[i] * x[i]).powi(2) + (T::one() - x[i]).powi(2);
        s = s + x[i].sin() * next.cos() * c(1.0 + i as f64 / 10.0);
    }
    let norm2 = x.iter().fold(T::zero(), |a, &v| a + v * v);
    s + norm2.ln_1p()
}

/// log Σ exp(xᵢ), shifted by the maximum (so it uses `max` and `exp` of differences).
fn log_sum_exp<T: Float>(x: &[T]) -> T {
    let m = x.iter().fold(T::neg_infinity(), |a, &v| a.max(v));
    m + x.iter().fold(T::zero(), |a, &v| a + (v - m).exp()).ln()
}

/// A vector function ℝⁿ → ℝⁿ⁺²: a cyclic product + sine per input, then |x|² and ∏(1 + xᵢ/10).
fn wide<T: Float>(x: &[T]) -> Vec<T> {
    let n = x.len();
    let c = |v: f64| T::from(v).unwrap();
    let mut y: Vec<T> = (0..n).map(|k| x[k] * x[(k + 1) % n] + x[k].sin()).collect();
    y.push(x.iter().fold(T::zero(), |a, &v| a + v * v));
    y.push(
        x.iter()
            .fold(T::one(), |a, &v| a * (T::one() + v / c(10.0))),
    );
    y
}

/// A vector function ℝⁿ → ℝ² (m < n for n > 2): a weighted sum and tanh of an exp-weighted sum.
fn narrow<T: Float>(x: &[T]) -> Vec<T> {
    let c = |v: f64| T::from(v).unwrap();
    let a = x
        .iter()
        .enumerate()
        .fold(T::zero(), |s, (i, &v)| s + v * c(i as f64 + 1.0));
    let b = x.iter().fold(T::zero(), |s, &v| s + (v * c(0.3)).exp() * v);
    vec![a, b.tanh()]
}

/// Random inputs in [−1, 1).
fn point(rng: &mut Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect()
}

// ---------------------------------------------------------------------------------------------
// The lecture example
// ---------------------------------------------------------------------------------------------

/// f(2, 5) = 11.652071455223084, ∇f = (5.5, 1.7163378145367738) (closed form 1/x₁ + x₂ = 5.5 and
/// x₁ − cos x₂ = 2 − cos 5, to 1 ulp), by every driver.
#[test]
fn lecture_example_every_driver() {
    let x = [2.0, 5.0];
    let value = lecture(&x);
    assert!((value - 11.652071455223084).abs() <= 2.0 * f64::EPSILON * value);
    let want = [1.0 / 2.0 + 5.0, 2.0 - 5f64.cos()];
    assert_eq!(want[0], 5.5);
    assert!((want[1] - 1.7163378145367738).abs() <= 2.0 * f64::EPSILON);
    let check = |name: &str, v: f64, g: &[f64]| {
        assert!(same_f64(v, value), "{name}: value {v}");
        assert_eq!(g.len(), 2, "{name}");
        for k in 0..2 {
            assert!(
                ulps(g[k], want[k]) <= 1,
                "{name}: ∂{k} = {}, closed form {}",
                g[k],
                want[k]
            );
        }
    };

    // derivative, one input at a time, the other fixed as a constant
    let (v0, d0) = derivative(|t| lecture(&[t, Dual::constant(5.0)]), 2.0);
    let (v1, d1) = derivative(|t| lecture(&[Dual::constant(2.0), t]), 5.0);
    assert!(same_f64(v0, v1));
    check("derivative", v0, &[d0, d1]);

    let (v, g) = gradient(lecture, &x);
    check("gradient", v, &g);
    let (v, g) = gradient_fixed(lecture, &x);
    check("gradient_fixed", v, &g);
    let (v, g) = gradient_with(lecture, &x, Chunk::<1>);
    check("gradient_with<1>", v, &g);
    let (v, g) = gradient_with(lecture, &x, Chunk::<4>);
    check("gradient_with<4>", v, &g);

    let as_vec = |x: &[Dual<f64, DEFAULT_CHUNK>]| vec![lecture(x)];
    let (vs, jac) = jacobian(as_vec, &x);
    assert_eq!((vs.len(), jac.nrows(), jac.ncols()), (1, 1, 2));
    check("jacobian", vs[0], &[jac[(0, 0)], jac[(0, 1)]]);

    let one = |x: &[Dual<f64, 1>]| vec![lecture(x)];
    let (v, e0) = jvp(one, &x, &[1.0, 0.0]);
    let (_, e1) = jvp(one, &x, &[0.0, 1.0]);
    check("jvp", v[0], &[e0[0], e1[0]]);
    // a general direction: ∇f·r to rounding (two products and a sum: 2ε of the terms)
    let r = [0.3, -1.7];
    let (_, jr) = jvp(one, &x, &r);
    let dot = want[0] * r[0] + want[1] * r[1];
    assert!(close(
        jr[0],
        dot,
        2.0 * f64::EPSILON,
        (want[0] * r[0]).abs() + (want[1] * r[1]).abs()
    ));

    // and the values of the lecture's table
    let y = lecture(&[Dual::<f64, 2>::variable(2.0, 0), Dual::variable(5.0, 1)]);
    assert_eq!(format!("{y:.3}"), "11.652 + [5.500, 1.716]ε");
}

// ---------------------------------------------------------------------------------------------
// Chunked gradients and Jacobians
// ---------------------------------------------------------------------------------------------

/// The gradient of `f` at `x` by every chunk width; asserts they agree bit for bit and returns it.
macro_rules! gradient_all_widths {
    ($f:ident, $x:expr) => {{
        let x: &[f64] = $x;
        let (v1, g1) = gradient_with($f, x, Chunk::<1>);
        let others = [
            gradient_with($f, x, Chunk::<4>),
            gradient_with($f, x, Chunk::<6>),
            gradient($f, x),
            gradient_with($f, x, Chunk::<12>),
            gradient_with($f, x, Chunk::<13>),
        ];
        for (w, (v, g)) in [4, 6, DEFAULT_CHUNK, 12, 13].iter().zip(&others) {
            assert!(
                same_f64(*v, v1),
                "{}: value with chunk {w} differs",
                stringify!($f)
            );
            assert_eq!(g.len(), x.len());
            for j in 0..x.len() {
                assert_eq!(
                    g[j].to_bits(),
                    g1[j].to_bits(),
                    "{}, n = {}: ∂{j} with chunk {w} is {:e}, with chunk 1 {:e}",
                    stringify!($f),
                    x.len(),
                    g[j],
                    g1[j]
                );
            }
        }
        (v1, g1)
    }};
}

/// Checks a gradient against finite differences and against `jvp` with unit directions (bit for
/// bit: the same lane operations).
fn check_gradient(
    name: &str,
    f: impl Fn(&[f64]) -> f64,
    x: &[f64],
    v: f64,
    g: &[f64],
    jvp_col: impl Fn(&[f64]) -> f64,
) {
    assert!(
        same_f64(v, f(x)),
        "{name}: value {v:e}, f64 gives {:e}",
        f(x)
    );
    let fd = fd_gradient(&f, x);
    let floor = v.abs().max(1.0);
    for j in 0..x.len() {
        assert!(
            close(g[j], fd[j], RTOL, floor),
            "{name}, n = {}: ∂{j} = {:e}, finite differences give {:e}",
            x.len(),
            g[j],
            fd[j]
        );
    }
    // a few columns by jvp
    for j in [0, x.len() / 2, x.len() - 1] {
        let mut e = vec![0.0; x.len()];
        e[j] = 1.0;
        assert_eq!(
            jvp_col(&e).to_bits(),
            g[j].to_bits(),
            "{name}: jvp(e{j}) differs from the gradient"
        );
    }
}

/// Gradients of three functions at n ∈ {1, 2, 13, 100} (13: chunks of 4 and 6 leave a remainder,
/// 12 leaves a chunk of 1, 13 is one full chunk), all chunk widths bit for bit equal, equal to
/// `jvp` columns, and against finite differences ([`RTOL`]); [`POINTS`] random points each.
#[test]
fn gradient_chunk_widths_agree_and_match_finite_differences() {
    let mut rng = Rng::for_test("gradient chunks");
    for n in [1, 2, 13, 100] {
        for _ in 0..POINTS {
            let x = point(&mut rng, n);
            let (v, g) = gradient_all_widths!(coupled, &x);
            check_gradient("coupled", coupled, &x, v, &g, |r| {
                jvp(|x| vec![coupled(x)], &x, r).1[0]
            });
            let (v, g) = gradient_all_widths!(log_sum_exp, &x);
            check_gradient("log_sum_exp", log_sum_exp, &x, v, &g, |r| {
                jvp(|x| vec![log_sum_exp(x)], &x, r).1[0]
            });
            // the gradient of log Σ exp is the softmax: closed form, sums to 1
            let s: f64 = g.iter().sum();
            assert!((s - 1.0).abs() <= 1e-14 * n as f64, "softmax sums to {s}");
            // the lecture function reads x₁, x₂ only (ln x₁ needs x₁ > 0: shift to [1, 3))
            if n >= 2 {
                let xp: Vec<f64> = x.iter().map(|v| v + 2.0).collect();
                let (v, g) = gradient_all_widths!(lecture, &xp);
                check_gradient("lecture", lecture, &xp, v, &g, |r| {
                    jvp(|x| vec![lecture(x)], &xp, r).1[0]
                });
                assert!(
                    g[2..].iter().all(|&d| d == 0.0),
                    "lecture does not read x₃…"
                );
            }
        }
    }
}

/// `gradient_fixed` (one pass on `Dual<f64, 13>`) equals the chunked gradients bit for bit.
#[test]
fn gradient_fixed_equals_chunked() {
    let mut rng = Rng::for_test("gradient_fixed");
    for _ in 0..POINTS {
        let x: [f64; 13] = core::array::from_fn(|_| rng.uniform(-1.0, 1.0));
        let (v, g) = gradient_fixed(coupled, &x);
        let (vc, gc) = gradient_with(coupled, &x, Chunk::<4>);
        assert!(same_f64(v, vc));
        assert!(g.iter().zip(&gc).all(|(a, b)| a.to_bits() == b.to_bits()));
        let one: [f64; 1] = [x[0]];
        let (v, g) = gradient_fixed(coupled, &one);
        let (vc, gc) = gradient_with(coupled, &one, Chunk::<6>);
        assert!(same_f64(v, vc) && g[0].to_bits() == gc[0].to_bits());
    }
}

/// The Jacobian of `f` at `x` by every chunk width, asserted equal bit for bit.
macro_rules! jacobian_all_widths {
    ($f:ident, $x:expr) => {{
        let x: &[f64] = $x;
        let (v1, j1) = jacobian_with($f, x, Chunk::<1>);
        let others: [(Vec<f64>, DMatrix<f64>); 5] = [
            jacobian_with($f, x, Chunk::<4>),
            jacobian_with($f, x, Chunk::<6>),
            jacobian($f, x),
            jacobian_with($f, x, Chunk::<12>),
            jacobian_with($f, x, Chunk::<13>),
        ];
        for (w, (v, j)) in [4, 6, DEFAULT_CHUNK, 12, 13].iter().zip(&others) {
            assert!(
                v.iter().zip(&v1).all(|(a, b)| same_f64(*a, *b)),
                "values with chunk {w}"
            );
            assert_eq!(j.shape(), j1.shape(), "shape with chunk {w}");
            assert!(
                j.iter()
                    .zip(j1.iter())
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{}, n = {}: Jacobian with chunk {w} differs from chunk 1",
                stringify!($f),
                x.len()
            );
        }
        (v1, j1)
    }};
}

/// Jacobians of ℝⁿ → ℝⁿ⁺² and ℝⁿ → ℝ² at n ∈ {1, 2, 13, 100}: shape m × n, all chunk widths bit for
/// bit equal, every column equal to `jvp` with eⱼ bit for bit, `jvp` with a random direction equal to
/// J·r, and every row against finite differences ([`RTOL`]). For J·r the lane re-associates the
/// same sums and products of O(1) terms (inputs and directions in [−1, 1]) in up to n steps, so we
/// allow the worst-case summation bound 4nε·max(Σⱼ|Jᵢⱼ rⱼ|, 1).
#[test]
fn jacobian_chunk_widths_agree_and_match_finite_differences() {
    let mut rng = Rng::for_test("jacobian chunks");
    for n in [1, 2, 13, 100] {
        for _ in 0..POINTS {
            let x = point(&mut rng, n);
            for (name, (values, jac), f64_fn, m) in [
                (
                    "wide",
                    jacobian_all_widths!(wide, &x),
                    wide::<f64> as fn(&[f64]) -> Vec<f64>,
                    n + 2,
                ),
                ("narrow", jacobian_all_widths!(narrow, &x), narrow::<f64>, 2),
            ] {
                assert_eq!(
                    (values.len(), jac.nrows(), jac.ncols()),
                    (m, m, n),
                    "{name} shape"
                );
                let fx = f64_fn(&x);
                assert!(
                    values.iter().zip(&fx).all(|(a, b)| same_f64(*a, *b)),
                    "{name} values"
                );
                let jv = |r: &[f64]| match name {
                    "wide" => jvp(wide, &x, r),
                    _ => jvp(narrow, &x, r),
                };
                for j in [0, n / 2, n - 1] {
                    let mut e = vec![0.0; n];
                    e[j] = 1.0;
                    let (vals, col) = jv(&e);
                    assert!(vals.iter().zip(&fx).all(|(a, b)| same_f64(*a, *b)));
                    for i in 0..m {
                        assert_eq!(
                            col[i].to_bits(),
                            jac[(i, j)].to_bits(),
                            "{name}: jvp(e{j})[{i}]"
                        );
                    }
                }
                let r = point(&mut rng, n);
                let (_, jr) = jv(&r);
                for i in 0..m {
                    let terms: Vec<f64> = (0..n).map(|j| jac[(i, j)] * r[j]).collect();
                    let want: f64 = terms.iter().sum();
                    let scale: f64 = terms.iter().map(|t| t.abs()).sum();
                    let bound = 4.0 * f64::EPSILON * n as f64 * scale.max(1.0);
                    assert!(
                        (jr[i] - want).abs() <= bound,
                        "{name}: (J·r)[{i}] = {:e}, Σ Jᵢⱼrⱼ = {want:e}",
                        jr[i]
                    );
                }
                let fd_jac = fd_jacobian(f64_fn, &x);
                for i in 0..m {
                    let fd = &fd_jac[i];
                    let floor = fx[i].abs().max(1.0);
                    for j in 0..n {
                        assert!(
                            close(jac[(i, j)], fd[j], RTOL, floor),
                            "{name}, n = {n}: J[{i}, {j}] = {:e}, finite differences give {:e}",
                            jac[(i, j)],
                            fd[j]
                        );
                    }
                }
            }
        }
    }
}

/// `jacobian_fixed` (one pass of width n) equals the chunked Jacobian bit for bit, for n = 13 and 1.
#[test]
fn jacobian_fixed_equals_chunked() {
    let mut rng = Rng::for_test("jacobian_fixed");
    let x: [f64; 13] = core::array::from_fn(|_| rng.uniform(-1.0, 1.0));
    let (v, j) = jacobian_fixed(wide, &x);
    let (vc, jc) = jacobian_with(wide, &x, Chunk::<6>);
    assert!(v.iter().zip(&vc).all(|(a, b)| same_f64(*a, *b)));
    assert!(
        j.iter()
            .zip(jc.iter())
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
    let (v, j) = jacobian_fixed(narrow, &[0.25]);
    let (vc, jc) = jacobian_with(narrow, &[0.25], Chunk::<4>);
    assert!(v.iter().zip(&vc).all(|(a, b)| same_f64(*a, *b)));
    assert_eq!(j, jc);
}

/// `derivative` on scalar functions of one variable, against finite differences on random points,
/// for `f64` and `f32` (f32: tolerance 1e-5 relative, ≈ 80 ulps, for the few roundings of the
/// composite; the reference is the f64 finite difference at the same f32 point).
#[test]
fn derivative_matches_finite_differences() {
    fn g<T: Float>(x: T) -> T {
        (x * x + T::one()).sqrt() * x.sin() - (x / (T::one() + x * x)).atan()
    }
    let mut rng = Rng::for_test("derivative");
    for _ in 0..200 {
        let x = rng.uniform(-3.0, 3.0);
        let (v, d) = derivative(g, x);
        assert!(same_f64(v, g(x)));
        let fd = common::fd1(g, x);
        assert!(
            close(d, fd, RTOL, v.abs().max(1.0)),
            "g′({x}) = {d}, fd {fd}"
        );
        let x32 = x as f32;
        let (v32, d32) = derivative(g, x32);
        assert_eq!(v32.to_bits(), g(x32).to_bits());
        let fd = common::fd1(g, f64::from(x32));
        assert!(
            close(f64::from(d32), fd, 1e-5, f64::from(v32).abs().max(1.0)),
            "f32 g′({x32})"
        );
    }
    // a directional derivative by hand-seeded duals equals fd_dir
    let x = [0.3, -0.7, 0.2];
    let u = [1.0, 2.0, -0.5];
    let xd: Vec<Dual<f64, 1>> = x.iter().zip(&u).map(|(&a, &b)| Dual::new(a, [b])).collect();
    let fd = fd_dir(coupled, &x, &u);
    assert!(close(
        coupled(&xd).eps[0],
        fd,
        RTOL,
        coupled(&x).abs().max(1.0)
    ));
}

// ---------------------------------------------------------------------------------------------
// Empty and bad input
// ---------------------------------------------------------------------------------------------

/// n = 0: the gradient is empty and the value f(∅); the Jacobian is m × 0; `jvp` gives the values
/// and an m-vector of zeros (nothing varies).
#[test]
fn empty_input() {
    const EMPTY: [f64; 0] = [];
    let (v, g) = gradient(coupled, &EMPTY);
    assert_eq!((v, g.len()), (coupled::<f64>(&EMPTY), 0));
    let (v, g) = gradient_with(coupled, &EMPTY, Chunk::<4>);
    assert_eq!((v, g.len()), (0.0, 0));
    let (v, g) = gradient_fixed(coupled, &EMPTY);
    assert_eq!((v, g.len()), (0.0, 0));
    let (vals, jac) = jacobian(wide, &EMPTY);
    assert_eq!((vals.len(), jac.nrows(), jac.ncols()), (2, 2, 0));
    assert_eq!(vals, wide::<f64>(&EMPTY));
    let (vals, jac) = jacobian_with(narrow, &EMPTY, Chunk::<1>);
    assert_eq!((vals.len(), jac.shape()), (2, (2, 0)));
    let (vals, jr) = jvp(wide, &EMPTY, &EMPTY);
    assert_eq!((vals, jr), (wide::<f64>(&EMPTY), vec![0.0, 0.0]));
}

/// `Dual::variable` with an index ≥ N names the index and the number of slots.
#[test]
#[should_panic(
    expected = "Dual::variable: index 2 is out of range for a dual number with 2 tangent slots"
)]
fn variable_index_out_of_range() {
    let _ = Dual::<f64, 2>::variable(1.0, 2);
}

/// The same message with one slot, in the singular (the whole message, as `should_panic` would
/// also accept "slots").
#[test]
fn variable_index_out_of_range_singular() {
    let err = std::panic::catch_unwind(|| Dual::<f64, 1>::variable(1.0, 1)).unwrap_err();
    assert_eq!(
        err.downcast_ref::<String>().map(String::as_str),
        Some("Dual::variable: index 1 is out of range for a dual number with 1 tangent slot")
    );
}

/// `jvp` with a direction of the wrong length names both lengths.
#[test]
#[should_panic(expected = "jvp: the direction r has 3 entries; expected 2, one per entry of x")]
fn jvp_length_mismatch() {
    let _ = jvp(wide, &[1.0, 2.0], &[1.0, 0.0, 0.0]);
}

/// A chunk width of 0 is rejected by `gradient_with`.
#[test]
#[should_panic(expected = "gradient_with: the chunk width must be at least 1")]
fn gradient_with_zero_chunk() {
    let _ = gradient_with(coupled, &[1.0], Chunk::<0>);
}

/// A chunk width of 0 is rejected by `jacobian_with`.
#[test]
#[should_panic(expected = "jacobian_with: the chunk width must be at least 1")]
fn jacobian_with_zero_chunk() {
    let _ = jacobian_with(wide, &[1.0], Chunk::<0>);
}

/// A function whose output length changes between passes is detected, with both lengths.
#[test]
#[should_panic(expected = "jacobian: f returned 1 value in one pass and 2 values in another")]
fn jacobian_output_length_changes_between_passes() {
    let f = |x: &[Dual<f64, 1>]| {
        if x[0].eps[0] == 1.0 {
            vec![x[0]]
        } else {
            vec![x[0], x[1]]
        }
    };
    let _ = jacobian_with(f, &[1.0, 2.0], Chunk::<1>);
}
