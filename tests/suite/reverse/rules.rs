//! The whole rule table in reverse mode.
//!
//! For every entry of [`Unary::ALL`], [`Binary::ALL`], `Powi(n)` for several `n`, [`rules::mul_add`]
//! and `Euclid::rem_euclid`, on seeded random in-domain inputs, the tape variable must
//!
//! - compute the value bit for bit as `f64` does;
//! - give the partial(s) that forward mode (`Dual`) gives **exactly**: both modes multiply the same
//!   local partials from `rules.rs` by a seed of 1 (forward: tangent `1·d`, reverse: adjoint `d·1`),
//!   so there is no rounding in which they could differ. This is what we observe: 0 ulps on every
//!   case, so the tests assert `==`;
//! - match a Richardson-extrapolated central finite difference (independent oracle);
//! - for `Var<f32>`: agree exactly with `Dual<f32, 1>` and to f32 accuracy with the f64 derivative;
//! - for `Var<Dual<f64, 1>>` (forward over reverse): give the second derivative that forward over
//!   forward (`Dual<Dual<f64, 1>, 1>`) gives, exactly, and match a finite difference of the
//!   reverse gradient.
//!
//! The generators are an explicit `match` on the rule without a `_` arm: a new rule without an
//! input domain does not compile. Each test also asserts at run time that every `ALL` entry was
//! checked on the intended number of points.

use crate::common;

use std::ops::{Add, Div, Mul, Rem, Sub};

use common::{Rng, apply_binary, apply_unary, assert_close, fd_partial, richardson};
use nilpotent::reverse::{self, Var};
use nilpotent::rules::{self, Binary, Unary};
use nilpotent::{Dual, gradient_fixed};
use num_traits::{Float, Pow};

/// Random points per rule (f64); the f32 and second-order checks use `CASES / 2`.
const CASES: usize = 200;

/// Relative tolerance of a first derivative against the two-level Richardson-extrapolated central
/// difference ([`richardson`]) with step `h = 1e-3·s` (`s` = the distance to the nearest
/// singularity or kink, capped at 1): truncation error ~ (h/s)⁶ ≈ 1e-18 relative, rounding error
/// ≈ 10·ε·|f|/h ≈ 2e-12·|f|/s (largest for rem, s = 1e-3 and |f| < 3: ≈ 7e-9), so 1e-7 leaves a
/// margin (the worst error seen is ~4% of it) while a wrong formula is off by O(1). Below
/// |f'| = 1 it is absolute (a finite difference cannot match a zero derivative relatively).
const FD_REL: f64 = 1e-7;

/// Second derivatives are differences of computed first derivatives: the same truncation error,
/// rounding ≈ 10·ε·|f'|/h, and |f'| reaches ~150 (exp 5): 1e-6 relative, absolute below 1.
const FD2_REL: f64 = 1e-6;

/// `Var<f32>` against the f64 derivative at the same (f32) point: each rule evaluates its partial
/// with a few f32 roundings (6e-8 each), amplified by condition numbers of at most ~10 within the
/// sampled domains: 1e-5 relative (absolute below 1), ~80 f32 ulps.
const F32_REL: f64 = 1e-5;

/// A value `k + u` whose distance to every integer (and, with `halves`, to every half-integer) is
/// at least 0.05: rounding functions are smooth there.
fn off_grid(rng: &mut Rng, halves: bool) -> f64 {
    let k = rng.int(-10, 9) as f64;
    let u = if halves {
        if rng.next_u64() & 1 == 0 {
            rng.uniform(0.05, 0.45)
        } else {
            rng.uniform(0.55, 0.95)
        }
    } else {
        rng.uniform(0.05, 0.95)
    };
    k + u
}

/// An in-domain input of a unary rule and its length scale `s` (distance to the nearest
/// singularity, branch point or kink, capped at 1; the finite-difference step is `1e-3·s`).
fn sample_unary(u: Unary, rng: &mut Rng) -> (f64, f64) {
    // a value in [lo, hi), one time in five tiny (where exp_m1/ln_1p need their own rules)
    fn near_zero_or(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
        if rng.next_u64().is_multiple_of(5) {
            rng.signed(1e-8, 1e-3)
        } else {
            rng.uniform(lo, hi)
        }
    }
    match u {
        Unary::Neg
        | Unary::Exp
        | Unary::Exp2
        | Unary::Sin
        | Unary::Cos
        | Unary::Atan
        | Unary::Sinh
        | Unary::Cosh
        | Unary::Tanh
        | Unary::ToDegrees
        | Unary::ToRadians
        | Unary::Erf
        | Unary::Erfc => (rng.uniform(-5.0, 5.0), 1.0),
        Unary::Asinh => (rng.uniform(-10.0, 10.0), 1.0),
        Unary::ExpM1 => (near_zero_or(rng, -5.0, 5.0), 1.0),
        Unary::Ln1p => {
            let x = near_zero_or(rng, -0.9, 10.0);
            (x, (1.0 + x).min(1.0))
        }
        Unary::Recip | Unary::Cbrt | Unary::Abs | Unary::Powi(_) => {
            let x = rng.signed(0.2, 4.0);
            (x, x.abs().min(1.0))
        }
        Unary::Sqrt | Unary::Ln | Unary::Log2 | Unary::Log10 => {
            let x = rng.uniform(0.1, 10.0);
            (x, x.min(1.0))
        }
        Unary::Tan => {
            let x = rng.uniform(-1.4, 1.4);
            (x, core::f64::consts::FRAC_PI_2 - x.abs())
        }
        Unary::Asin | Unary::Acos | Unary::Atanh => {
            let x = rng.uniform(-0.9, 0.9);
            (x, 1.0 - x.abs())
        }
        Unary::Acosh => {
            let x = rng.uniform(1.1, 10.0);
            (x, (x - 1.0).min(1.0))
        }
        Unary::Signum | Unary::Floor | Unary::Ceil | Unary::Trunc | Unary::Fract => {
            (off_grid(rng, false), 0.05)
        }
        Unary::Round => (off_grid(rng, true), 0.05),
    }
}

/// In-domain inputs `(x, y)` of a binary rule and their length scales.
fn sample_binary(b: Binary, rng: &mut Rng) -> (f64, f64, f64, f64) {
    match b {
        Binary::Add | Binary::Sub | Binary::Mul => {
            (rng.uniform(-10.0, 10.0), rng.uniform(-10.0, 10.0), 1.0, 1.0)
        }
        Binary::Div => {
            let y = rng.signed(0.2, 5.0);
            (rng.uniform(-10.0, 10.0), y, 1.0, y.abs().min(1.0))
        }
        Binary::Rem | Binary::RemEuclid => loop {
            // x/y at least 0.05 away from an integer, so trunc/floor of x/y is locally constant;
            // a step h in x or y moves x/y by at most ~h·(1 + |x|/|y|)/|y| ≤ h·44, hence s = 1e-3
            let (x, y) = (rng.uniform(-10.0, 10.0), rng.signed(0.5, 3.0));
            let q = x / y;
            if (q - q.round()).abs() >= 0.05 {
                break (x, y, 1e-3, 1e-3);
            }
        },
        Binary::Powf => {
            let x = rng.uniform(0.2, 5.0);
            (x, rng.uniform(-3.0, 3.0), x.min(1.0), 1.0)
        }
        Binary::Log => {
            let x = rng.uniform(0.2, 10.0);
            let y = if rng.next_u64() & 1 == 0 {
                rng.uniform(0.2, 0.8)
            } else {
                rng.uniform(1.25, 10.0)
            };
            (x, y, x.min(1.0), (y - 1.0).abs().min(y))
        }
        Binary::Atan2 => loop {
            // away from the origin, and from the branch cut (ordinate x = 0, abscissa y < 0)
            let (x, y) = (rng.uniform(-10.0, 10.0), rng.uniform(-10.0, 10.0));
            let r = x.hypot(y);
            if r >= 0.5 && !(y < 0.0 && x.abs() < 0.1) {
                let s = if y < 0.0 { x.abs().min(r) } else { r };
                break (x, y, s.min(1.0), s.min(1.0));
            }
        },
        Binary::Hypot => loop {
            let (x, y) = (rng.uniform(-10.0, 10.0), rng.uniform(-10.0, 10.0));
            let r = x.hypot(y);
            if r >= 0.5 {
                break (x, y, r.min(1.0), r.min(1.0));
            }
        },
        Binary::Max | Binary::Min | Binary::AbsSub => loop {
            let (x, y) = (rng.uniform(-10.0, 10.0), rng.uniform(-10.0, 10.0));
            if (x - y).abs() >= 0.1 {
                break (x, y, 0.05, 0.05);
            }
        },
    }
}

/// `x ∘ c` and `c ∘ x` with a plain `f64` constant `c` (the `Op<T>` operator impls and `Pow<f64>`),
/// where the rule has such a form; `None` otherwise.
fn const_operand_forms<V>(b: Binary, v: V, c: f64, lhs: bool) -> Option<V>
where
    V: Float
        + Add<f64, Output = V>
        + Sub<f64, Output = V>
        + Mul<f64, Output = V>
        + Div<f64, Output = V>
        + Rem<f64, Output = V>
        + Pow<f64, Output = V>,
    f64: Add<V, Output = V>
        + Sub<V, Output = V>
        + Mul<V, Output = V>
        + Div<V, Output = V>
        + Rem<V, Output = V>,
{
    match (b, lhs) {
        (Binary::Add, false) => Some(v + c),
        (Binary::Add, true) => Some(c + v),
        (Binary::Sub, false) => Some(v - c),
        (Binary::Sub, true) => Some(c - v),
        (Binary::Mul, false) => Some(v * c),
        (Binary::Mul, true) => Some(c * v),
        (Binary::Div, false) => Some(v / c),
        (Binary::Div, true) => Some(c / v),
        (Binary::Rem, false) => Some(v % c),
        (Binary::Rem, true) => Some(c % v),
        (Binary::Powf, false) => Some(v.pow(c)),
        (
            Binary::Powf
            | Binary::RemEuclid
            | Binary::Log
            | Binary::Atan2
            | Binary::Hypot
            | Binary::Max
            | Binary::Min
            | Binary::AbsSub,
            _,
        ) => None,
    }
}

/// Checks one unary rule at `x` in f64: value bits, reverse == forward, reverse vs finite difference.
/// Returns the reverse derivative.
fn check_unary_f64(u: Unary, x: f64, s: f64) -> f64 {
    let what = format!("{}({x:e})", u.name());
    let expected = apply_unary(u, x);
    let (value, g) = reverse::gradient(|v| apply_unary(u, v[0]), &[x]);
    assert_eq!(value.to_bits(), expected.to_bits(), "{what}: reverse value");
    let (fvalue, fg) = gradient_fixed(|v| apply_unary(u, v[0]), &[x]);
    assert_eq!(
        fvalue.to_bits(),
        expected.to_bits(),
        "{what}: forward value"
    );
    assert_eq!(g[0], fg[0], "{what}: reverse vs forward derivative");
    let fd = richardson(|t| apply_unary(u, x + t), 1e-3 * s);
    assert_close(
        g[0],
        fd,
        FD_REL,
        1.0,
        &format!("{what}: reverse vs finite difference"),
    );
    g[0]
}

/// Checks one unary rule at `x` in f32: reverse == forward, value bits, vs the f64 derivative.
fn check_unary_f32(u: Unary, x: f64) {
    let x32 = x as f32;
    let what = format!("{}({x32:e}) in f32", u.name());
    let (value, g) = reverse::gradient(|v: &[Var<f32>]| apply_unary(u, v[0]), &[x32]);
    assert_eq!(
        value.to_bits(),
        apply_unary(u, x32).to_bits(),
        "{what}: value"
    );
    let (_, fg) = gradient_fixed(|v| apply_unary(u, v[0]), &[x32]);
    assert_eq!(g[0], fg[0], "{what}: reverse vs forward");
    let (_, g64) = reverse::gradient(|v| apply_unary(u, v[0]), &[x32 as f64]);
    assert_close(
        g[0] as f64,
        g64[0],
        F32_REL,
        1.0,
        &format!("{what}: vs f64"),
    );
}

/// Second derivative by forward over reverse (`reverse::hvp` on `Var<Dual<f64, 1>>`) against
/// forward over forward (exactly) and a finite difference of the reverse derivative.
fn check_unary_second(u: Unary, x: f64, s: f64) {
    let what = format!("{}''({x:e})", u.name());
    let (value, grad, hv) = reverse::hvp(|v| apply_unary(u, v[0]), &[x], &[1.0]);
    assert_eq!(
        value.to_bits(),
        apply_unary(u, x).to_bits(),
        "{what}: value"
    );
    let (_, g) = reverse::gradient(|v| apply_unary(u, v[0]), &[x]);
    assert_eq!(grad[0], g[0], "{what}: first derivative");
    let xx = Dual::<Dual<f64, 1>, 1>::new(Dual::new(x, [1.0]), [Dual::new(1.0, [0.0])]);
    let ff = apply_unary(u, xx).eps[0].eps[0];
    assert_eq!(
        hv[0], ff,
        "{what}: forward over reverse vs forward over forward"
    );
    let fd = richardson(
        |t| reverse::gradient(|v| apply_unary(u, v[0]), &[x + t]).1[0],
        1e-3 * s,
    );
    assert_close(
        hv[0],
        fd,
        FD2_REL,
        1.0,
        &format!("{what}: vs finite difference"),
    );
}

#[test]
fn unary_rules_reverse_match_forward_and_finite_differences() {
    let mut rng = Rng::new(0x5EED_0001);
    let mut checked = vec![0usize; Unary::ALL.len()];
    for (k, &u) in Unary::ALL.iter().enumerate() {
        for _ in 0..CASES {
            let (x, s) = sample_unary(u, &mut rng);
            check_unary_f64(u, x, s);
            checked[k] += 1;
        }
    }
    for (k, u) in Unary::ALL.iter().enumerate() {
        assert_eq!(
            checked[k],
            CASES,
            "{} was not checked on every point",
            u.name()
        );
    }
}

#[test]
fn powi_reverse_for_several_exponents() {
    let mut rng = Rng::new(0x5EED_0002);
    let exponents = [-4, -3, -2, -1, 0, 1, 2, 3, 5, 8];
    for n in exponents {
        let u = Unary::Powi(n);
        for _ in 0..CASES / 2 {
            let (x, s) = sample_unary(u, &mut rng);
            let g = check_unary_f64(u, x, s);
            // closed form as a second oracle: d xⁿ = n xⁿ⁻¹ (0 for n = 0)
            let closed = if n == 0 {
                0.0
            } else {
                n as f64 * x.powi(n - 1)
            };
            assert_close(
                g,
                closed,
                1e-14,
                1e-300,
                &format!("powi({x}, {n}) closed form"),
            );
            check_unary_second(u, x, s);
        }
    }
}

#[test]
fn unary_rules_f32_reverse() {
    let mut rng = Rng::new(0x5EED_0003);
    let mut checked = 0;
    for &u in Unary::ALL.iter() {
        for _ in 0..CASES / 2 {
            let (x, _) = sample_unary(u, &mut rng);
            check_unary_f32(u, x);
            checked += 1;
        }
    }
    assert_eq!(checked, Unary::ALL.len() * (CASES / 2));
}

#[test]
fn unary_rules_forward_over_reverse_second_derivative() {
    let mut rng = Rng::new(0x5EED_0004);
    let mut checked = vec![0usize; Unary::ALL.len()];
    for (k, &u) in Unary::ALL.iter().enumerate() {
        for _ in 0..CASES / 2 {
            let (x, s) = sample_unary(u, &mut rng);
            check_unary_second(u, x, s);
            checked[k] += 1;
        }
    }
    assert!(checked.iter().all(|&c| c == CASES / 2));
}

/// Checks one binary rule at `(x, y)` in f64, including the constant-operand forms.
fn check_binary_f64(b: Binary, x: f64, y: f64, sx: f64, sy: f64) {
    let what = format!("{}({x:e}, {y:e})", b.name());
    let expected = apply_binary(b, x, y);
    let (value, g) = reverse::gradient(|v| apply_binary(b, v[0], v[1]), &[x, y]);
    assert_eq!(value.to_bits(), expected.to_bits(), "{what}: reverse value");
    let (fvalue, fg) = gradient_fixed(|v| apply_binary(b, v[0], v[1]), &[x, y]);
    assert_eq!(
        fvalue.to_bits(),
        expected.to_bits(),
        "{what}: forward value"
    );
    assert_eq!(g, fg.to_vec(), "{what}: reverse vs forward partials");
    // the table itself, as a cross-check of what reached the adjoints
    let (_, dx, dy) = b.eval(x, y);
    assert_eq!((g[0], g[1]), (dx, dy), "{what}: adjoints vs rule table");
    let fdx = richardson(|t| apply_binary(b, x + t, y), 1e-3 * sx);
    let fdy = richardson(|t| apply_binary(b, x, y + t), 1e-3 * sy);
    assert_close(
        g[0],
        fdx,
        FD_REL,
        1.0,
        &format!("{what}: ∂/∂x vs finite difference"),
    );
    assert_close(
        g[1],
        fdy,
        FD_REL,
        1.0,
        &format!("{what}: ∂/∂y vs finite difference"),
    );

    // a constant operand as Var::constant (not recorded): the other partial alone
    let (v1, gx) = reverse::gradient(|v| apply_binary(b, v[0], Var::constant(y)), &[x]);
    let (v2, gy) = reverse::gradient(|v| apply_binary(b, Var::constant(x), v[0]), &[y]);
    assert_eq!(
        v1.to_bits(),
        expected.to_bits(),
        "{what}: value, constant y"
    );
    assert_eq!(
        v2.to_bits(),
        expected.to_bits(),
        "{what}: value, constant x"
    );
    let (_, fgx) = gradient_fixed(|v| apply_binary(b, v[0], Dual::constant(y)), &[x]);
    let (_, fgy) = gradient_fixed(|v| apply_binary(b, Dual::constant(x), v[0]), &[y]);
    assert_eq!(gx[0], fgx[0], "{what}: constant y, reverse vs forward");
    assert_eq!(gy[0], fgy[0], "{what}: constant x, reverse vs forward");
    assert_eq!(
        (gx[0], gy[0]),
        (g[0], g[1]),
        "{what}: constant operand forms"
    );
    // one node per non-constant operation: the input and the operation, nothing for the constant;
    // and no node where the partial is exactly zero (the losing side of max/min: no dependence)
    let mut tape = reverse::Tape::new();
    tape.record(&[x], |v| apply_binary(b, v[0], Var::constant(y)));
    let expected_nodes = if g[0] == 0.0 { 1 } else { 2 };
    assert_eq!(
        tape.len(),
        expected_nodes,
        "{what}: nodes with a constant operand"
    );

    // plain f64 operands: `x ∘ 2.5`, `2.5 ∘ x`, `x.pow(2.5)`
    for lhs in [false, true] {
        let (a, c) = if lhs { (y, x) } else { (x, y) };
        let Some(expected_c) = const_operand_forms(b, Dual::<f64, 1>::constant(a), c, lhs) else {
            continue;
        };
        let (vc, gc) = reverse::gradient(
            |v| const_operand_forms(b, v[0], c, lhs).expect("same form"),
            &[a],
        );
        let (fvc, fgc) = gradient_fixed(
            |v| const_operand_forms(b, v[0], c, lhs).expect("same form"),
            &[a],
        );
        let side = if lhs { "constant lhs" } else { "constant rhs" };
        assert_eq!(
            vc.to_bits(),
            expected_c.re.to_bits(),
            "{what}: {side} value"
        );
        assert_eq!(
            vc.to_bits(),
            expected.to_bits(),
            "{what}: {side} value vs f64"
        );
        assert_eq!(
            fvc.to_bits(),
            expected.to_bits(),
            "{what}: {side} forward value"
        );
        assert_eq!(gc[0], fgc[0], "{what}: {side}, reverse vs forward");
        assert_eq!(
            gc[0],
            if lhs { g[1] } else { g[0] },
            "{what}: {side} partial"
        );
    }
}

#[test]
fn binary_rules_reverse_match_forward_and_finite_differences() {
    let mut rng = Rng::new(0x5EED_0005);
    let mut checked = vec![0usize; Binary::ALL.len()];
    for (k, &b) in Binary::ALL.iter().enumerate() {
        for _ in 0..CASES {
            let (x, y, sx, sy) = sample_binary(b, &mut rng);
            check_binary_f64(b, x, y, sx, sy);
            checked[k] += 1;
        }
    }
    for (k, b) in Binary::ALL.iter().enumerate() {
        assert_eq!(
            checked[k],
            CASES,
            "{} was not checked on every point",
            b.name()
        );
    }
}

#[test]
fn binary_rules_f32_reverse() {
    let mut rng = Rng::new(0x5EED_0006);
    for &b in Binary::ALL.iter() {
        for _ in 0..CASES / 2 {
            let (x, y, _, _) = sample_binary(b, &mut rng);
            let (x32, y32) = (x as f32, y as f32);
            let what = format!("{}({x32:e}, {y32:e}) in f32", b.name());
            let (value, g) =
                reverse::gradient(|v: &[Var<f32>]| apply_binary(b, v[0], v[1]), &[x32, y32]);
            assert_eq!(
                value.to_bits(),
                apply_binary(b, x32, y32).to_bits(),
                "{what}: value"
            );
            let (_, fg) = gradient_fixed(|v| apply_binary(b, v[0], v[1]), &[x32, y32]);
            assert_eq!(g, fg.to_vec(), "{what}: reverse vs forward");
            let (_, g64) =
                reverse::gradient(|v| apply_binary(b, v[0], v[1]), &[x32 as f64, y32 as f64]);
            assert_close(
                g[0] as f64,
                g64[0],
                F32_REL,
                1.0,
                &format!("{what}: ∂/∂x vs f64"),
            );
            assert_close(
                g[1] as f64,
                g64[1],
                F32_REL,
                1.0,
                &format!("{what}: ∂/∂y vs f64"),
            );
        }
    }
    // f32 literals on either side of an operator: 2.5·x − x/4 has derivative 2.25 exactly
    let (_, gl) = reverse::gradient(|v: &[Var<f32>]| 2.5f32 * v[0] - v[0] / 4.0f32, &[3.0f32]);
    assert_eq!(gl[0], 2.25);
}

#[test]
fn binary_rules_forward_over_reverse_hessian() {
    let mut rng = Rng::new(0x5EED_0007);
    let mut checked = vec![0usize; Binary::ALL.len()];
    for (k, &b) in Binary::ALL.iter().enumerate() {
        for _ in 0..CASES / 4 {
            let (x, y, sx, sy) = sample_binary(b, &mut rng);
            let what = format!("{}({x:e}, {y:e})", b.name());
            // forward over forward: Dual<Dual<f64, 2>, 2>, outer lane i, inner lane j = H[i][j]
            let seed = |re: f64, i: usize| {
                let mut inner = [0.0; 2];
                inner[i] = 1.0;
                let mut outer = [Dual::constant(0.0); 2];
                outer[i] = Dual::constant(1.0);
                Dual::<Dual<f64, 2>, 2>::new(Dual::new(re, inner), outer)
            };
            let ff = apply_binary(b, seed(x, 0), seed(y, 1));
            let grad_at = |p: [f64; 2]| reverse::gradient(|v| apply_binary(b, v[0], v[1]), &p).1;
            for (j, s) in [sx, sy].into_iter().enumerate() {
                let mut dir = [0.0; 2];
                dir[j] = 1.0;
                let (value, grad, hv) =
                    reverse::hvp(|v| apply_binary(b, v[0], v[1]), &[x, y], &dir);
                assert_eq!(
                    value.to_bits(),
                    apply_binary(b, x, y).to_bits(),
                    "{what}: value"
                );
                assert_eq!(grad, grad_at([x, y]), "{what}: gradient");
                for (i, &hvi) in hv.iter().enumerate() {
                    assert_eq!(
                        hvi, ff.eps[i].eps[j],
                        "{what}: H[{i}][{j}] vs forward over forward"
                    );
                    let fd = richardson(
                        |t| {
                            let mut p = [x, y];
                            p[j] += t;
                            grad_at(p)[i]
                        },
                        1e-3 * s,
                    );
                    assert_close(
                        hvi,
                        fd,
                        FD2_REL,
                        1.0,
                        &format!("{what}: H[{i}][{j}] vs finite difference"),
                    );
                }
            }
            checked[k] += 1;
        }
    }
    assert!(checked.iter().all(|&c| c == CASES / 4));
}

#[test]
fn mul_add_reverse_is_the_table_entry() {
    let mut rng = Rng::new(0x5EED_0008);
    for _ in 0..CASES {
        let p = [
            rng.uniform(-10.0, 10.0),
            rng.uniform(-10.0, 10.0),
            rng.uniform(-10.0, 10.0),
        ];
        let what = format!("mul_add{p:?}");
        let (value, g) = reverse::gradient(|v| v[0].mul_add(v[1], v[2]), &p);
        assert_eq!(
            value.to_bits(),
            p[0].mul_add(p[1], p[2]).to_bits(),
            "{what}: value"
        );
        let (_, fg) = gradient_fixed(|v| v[0].mul_add(v[1], v[2]), &p);
        assert_eq!(g, fg.to_vec(), "{what}: reverse vs forward");
        let (_, dx, da, db) = rules::mul_add(p[0], p[1], p[2]);
        assert_eq!(g, vec![dx, da, db], "{what}: vs the table");
        for (i, &gi) in g.iter().enumerate() {
            let fd = fd_partial(|q| q[0].mul_add(q[1], q[2]), &p, i);
            assert_close(
                gi,
                fd,
                FD_REL,
                1.0,
                &format!("{what}: ∂{i} vs finite difference"),
            );
        }
        // constant operands: only the variable's partial, no node for the constants
        let mut tape = reverse::Tape::new();
        let y = tape.record(&p[..1], |v| {
            v[0].mul_add(Var::constant(p[1]), Var::constant(p[2]))
        });
        assert_eq!(
            y.value().to_bits(),
            value.to_bits(),
            "{what}: constant operands value"
        );
        assert_eq!(
            tape.backward(y),
            &[p[1]],
            "{what}: constant operands partial"
        );
        // forward over reverse: second partials of x·a + b are ∂²/∂x∂a = 1, all others 0
        let (_, _, hv) = reverse::hvp(|v| v[0].mul_add(v[1], v[2]), &p, &[1.0, 0.0, 0.0]);
        assert_eq!(hv, vec![0.0, 1.0, 0.0], "{what}: H·e₀");
    }
}
