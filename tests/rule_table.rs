//! Walks the whole rule table ([`Unary::ALL`], [`Binary::ALL`], [`rules::mul_add`], `Powi(n)` for
//! several `n`, and `Euclid::rem_euclid`) and checks every entry, through the public `Float` API of
//! each number type, against central finite differences with two levels of Richardson
//! extrapolation, on random in-domain inputs.
//!
//! * [`check_table`] is generic over a [`Mode`]: a differentiation mode is plugged in by
//!   implementing `Mode` (three functions: value and partials of a unary, binary and `mul_add`
//!   entry at a point) and adding one `#[test]` that calls `check_table::<ThatMode>()`. The forward
//!   mode `Dual<f64, 1>` is [`Forward`]; the reverse-mode tape variable will be the second.
//! * Forward-only checks follow: `Dual<f64, 4>` with random seed directions (each lane is a
//!   directional derivative), `Dual<f32, 2>`, nested `Dual<Dual<f64, 1>, 1>` (second derivatives),
//!   and the `Dual ∘ T` / `T ∘ Dual` operator forms (their own code paths).
//! * Every check also asserts that the value (real part) is the `f64` (or `f32`) result bit for bit.
//! * Then identities whose tangents must be exact to a few ulps.
//!
//! Inputs come from a seeded generator (`tests/common`, seed overridable with `NILPOTENT_TEST_SEED`);
//! [`CASES`] random points per entry and per check.

mod common;

use std::collections::BTreeMap;

use common::{
    Rng, Worst, apply_binary, apply_mul_add, apply_unary, close, fd_dir, fd1, rel_err, richardson,
    same_f32, same_f64, step,
};
use nilpotent::Dual;
use nilpotent::rules::{self, Binary, Unary};
use num_traits::Pow;

/// Random points per table entry and per check (each check of each entry draws its own `CASES`
/// points; with ~50 entries and 5 checks the file runs well under a second in debug mode).
const CASES: usize = 300;

/// Tolerance of the `f64` checks against finite differences: relative to max(|f′|, |f|, 1).
///
/// The Richardson estimate's truncation error is O(h⁶) with h ≤ 1e-2 and every sample at least 2h
/// from a jump and ≥ 0.1 from a singularity, and its rounding error is ≈ 10·ε·|f|/h ≤ 2e-12·|f|
/// (hence |f| in the scale). A wrong rule (a missing factor, sign or term) is an O(1) relative
/// error, so 1e-8 separates the two by many orders of magnitude. The worst error actually seen is
/// printed by each check (`cargo test --test rule_table -- --nocapture`).
const RTOL: f64 = 1e-8;

/// Tolerance of the `Dual<f32, 2>` check, relative to max(|f′|, |f|, 1), against an `f64`
/// reference at the same (f32-representable) point: 2e-6 ≈ 17 f32 ulps (ε = 1.19e-7).
///
/// `f32` cannot meet [`RTOL`]: a rule computes its partial from a handful of f32-rounded quantities
/// (the value, 1 ± x, a square root, a reciprocal…, up to ~5 roundings of ≤ ε/2 … ε each), some
/// formulas amplify that by their conditioning on the sampled domains (1 + tan²x doubles the error
/// of tan x, y·x^(y−1) carries the error of x^(y−1) …), and a lane adds two such products: a few
/// ε, at most ≈ 15ε. A wrong rule is an O(1) error.
const RTOL_F32: f64 = 2e-6;

/// The exponents for which `Unary::Powi(n)` is walked (besides the representative in `Unary::ALL`).
const POWI_EXPONENTS: [i32; 10] = [-5, -3, -2, -1, 0, 1, 2, 3, 4, 7];

type D1 = Dual<f64, 1>;
type D4 = Dual<f64, 4>;
type F2 = Dual<f32, 2>;
type DD = Dual<Dual<f64, 1>, 1>;

// ---------------------------------------------------------------------------------------------
// Applying table entries through the public API
// ---------------------------------------------------------------------------------------------

/// Every unary entry to walk: `Unary::ALL` and `Powi(n)` for each of [`POWI_EXPONENTS`] (once
/// each: the representative `Powi` of `ALL` is not repeated).
fn unary_entries() -> Vec<Unary> {
    let mut v = Unary::ALL.to_vec();
    for n in POWI_EXPONENTS {
        if !v.contains(&Unary::Powi(n)) {
            v.push(Unary::Powi(n));
        }
    }
    v
}

// ---------------------------------------------------------------------------------------------
// In-domain input generators
// ---------------------------------------------------------------------------------------------

/// A unary entry's inputs: a sampler and, for piecewise entries, a monotone "piece" function that
/// is constant exactly where the entry is smooth (samples whose ±2h neighbourhood crosses a jump or
/// kink are redrawn).
struct Domain1 {
    sample: fn(&mut Rng) -> f64,
    piece: Option<fn(f64) -> f64>,
}

/// The input domain of each unary entry. No `_` arm: a new entry must state its domain.
fn unary_domain(op: Unary) -> Domain1 {
    let smooth = |sample: fn(&mut Rng) -> f64| Domain1 {
        sample,
        piece: None,
    };
    let piecewise = |sample: fn(&mut Rng) -> f64, piece: fn(f64) -> f64| Domain1 {
        sample,
        piece: Some(piece),
    };
    match op {
        Unary::Neg | Unary::Sin | Unary::Cos | Unary::Atan | Unary::Asinh => {
            smooth(|r| r.uniform(-10.0, 10.0))
        }
        Unary::ToDegrees | Unary::ToRadians => smooth(|r| r.uniform(-10.0, 10.0)),
        Unary::Exp | Unary::Exp2 | Unary::ExpM1 => smooth(|r| r.uniform(-5.0, 5.0)),
        Unary::Sinh | Unary::Cosh | Unary::Tanh => smooth(|r| r.uniform(-5.0, 5.0)),
        Unary::Erf | Unary::Erfc => smooth(|r| r.uniform(-5.0, 5.0)),
        // singular at 0
        Unary::Recip => smooth(|r| r.signed(0.2, 10.0)),
        Unary::Cbrt => smooth(|r| r.signed(0.1, 10.0)),
        Unary::Powi(_) => smooth(|r| r.signed(0.2, 3.0)),
        // defined for x > 0 only
        Unary::Sqrt | Unary::Ln | Unary::Log2 | Unary::Log10 => smooth(|r| r.uniform(0.1, 10.0)),
        Unary::Ln1p => smooth(|r| r.uniform(-0.9, 10.0)),
        // poles at ±π/2
        Unary::Tan => smooth(|r| r.uniform(-1.4, 1.4)),
        // singular at ±1
        Unary::Asin | Unary::Acos | Unary::Atanh => smooth(|r| r.uniform(-0.9, 0.9)),
        Unary::Acosh => smooth(|r| r.uniform(1.1, 10.0)),
        // kink / jump at 0
        Unary::Abs | Unary::Signum => piecewise(|r| r.signed(0.05, 10.0), f64::signum),
        // jumps at the integers (round: at the half-integers); each is its own monotone piece index
        Unary::Floor => piecewise(|r| r.uniform(-10.0, 10.0), f64::floor),
        Unary::Ceil => piecewise(|r| r.uniform(-10.0, 10.0), f64::ceil),
        Unary::Round => piecewise(|r| r.uniform(-10.0, 10.0), f64::round),
        Unary::Trunc => piecewise(|r| r.uniform(-10.0, 10.0), f64::trunc),
        Unary::Fract => piecewise(|r| r.uniform(-10.0, 10.0), f64::trunc),
    }
}

/// A binary entry's inputs: a sampler of (x, y) and, for piecewise entries, a piece function
/// monotone in each argument (so that equal values at the corners of the ±2h box mean no jump
/// inside it).
struct Domain2 {
    sample: fn(&mut Rng) -> (f64, f64),
    piece: Option<fn(f64, f64) -> f64>,
}

/// The input domain of each binary entry. No `_` arm.
fn binary_domain(op: Binary) -> Domain2 {
    let smooth = |sample: fn(&mut Rng) -> (f64, f64)| Domain2 {
        sample,
        piece: None,
    };
    let piecewise = |sample: fn(&mut Rng) -> (f64, f64), piece: fn(f64, f64) -> f64| Domain2 {
        sample,
        piece: Some(piece),
    };
    match op {
        Binary::Add | Binary::Sub | Binary::Mul => {
            smooth(|r| (r.uniform(-10.0, 10.0), r.uniform(-10.0, 10.0)))
        }
        Binary::Div => smooth(|r| (r.uniform(-10.0, 10.0), r.signed(0.2, 10.0))),
        // jumps where x/y is an integer; the quotient is the piece index
        Binary::Rem => piecewise(
            |r| (r.uniform(-10.0, 10.0), r.signed(0.5, 5.0)),
            |x, y| (x / y).trunc(),
        ),
        Binary::RemEuclid => piecewise(
            |r| (r.uniform(-10.0, 10.0), r.signed(0.5, 5.0)),
            |x, y| x.div_euclid(y),
        ),
        // x > 0 (ln x in ∂/∂y)
        Binary::Powf => smooth(|r| (r.uniform(0.2, 5.0), r.uniform(-3.0, 3.0))),
        // x > 0, base y ∈ [0.135, 7.4] with |ln y| ≥ 0.2 (log base 1 is singular, and so is base 0:
        // y ≥ 0.135 keeps 13 steps h ≤ 1e-2 between the sample and 0)
        Binary::Log => smooth(|r| (r.uniform(0.2, 10.0), r.signed(0.2, 2.0).exp())),
        // polar sample: radius ≥ 0.2, angle ≥ 0.14 from the branch cut at ±π
        Binary::Atan2 => smooth(|r| {
            let (rad, t) = (r.uniform(0.2, 5.0), r.uniform(-3.0, 3.0));
            (rad * t.sin(), rad * t.cos())
        }),
        // away from the origin
        Binary::Hypot => smooth(|r| {
            loop {
                let (x, y) = (r.uniform(-10.0, 10.0), r.uniform(-10.0, 10.0));
                if x.hypot(y) >= 0.2 {
                    return (x, y);
                }
            }
        }),
        // kink on the diagonal x = y
        Binary::Max | Binary::Min | Binary::AbsSub => piecewise(
            |r| (r.uniform(-10.0, 10.0), r.uniform(-10.0, 10.0)),
            |x, y| (x - y).signum(),
        ),
    }
}

/// Draws an in-domain x for `op`, at least 2·[`step`]`(x)` away from any jump or kink.
fn sample_unary(op: Unary, rng: &mut Rng) -> f64 {
    let d = unary_domain(op);
    loop {
        let x = (d.sample)(rng);
        let h = 2.0 * step(x);
        match d.piece {
            Some(p) if p(x - h) != p(x) || p(x + h) != p(x) => continue,
            _ => return x,
        }
    }
}

/// Draws an in-domain (x, y) for `op`, with the ±2h box (h = [`step`] of the larger coordinate)
/// inside one smooth piece.
fn sample_binary(op: Binary, rng: &mut Rng) -> (f64, f64) {
    let d = binary_domain(op);
    loop {
        let (x, y) = (d.sample)(rng);
        let h = 2.0 * step(x.abs().max(y.abs()));
        if let Some(p) = d.piece {
            let c = p(x, y);
            let corners = [(-h, -h), (-h, h), (h, -h), (h, h)];
            if corners.iter().any(|&(dx, dy)| p(x + dx, y + dy) != c) {
                continue;
            }
        }
        return (x, y);
    }
}

/// Draws a `mul_add` input: three numbers in [−10, 10).
fn sample_mul_add(rng: &mut Rng) -> [f64; 3] {
    [
        rng.uniform(-10.0, 10.0),
        rng.uniform(-10.0, 10.0),
        rng.uniform(-10.0, 10.0),
    ]
}

// ---------------------------------------------------------------------------------------------
// The mode-generic table walk
// ---------------------------------------------------------------------------------------------

/// A differentiation mode as the table walk sees it. Each function evaluates one entry at a point
/// through the mode's public API and returns the value and the partial derivatives with respect to
/// every argument. To check another mode (the reverse-mode tape variable), implement this trait and
/// add a test calling [`check_table`].
trait Mode {
    /// Names the mode in failure messages (and seeds its random inputs).
    const NAME: &'static str;
    /// `(f(x), f′(x))`
    fn unary(op: Unary, x: f64) -> (f64, f64);
    /// `(f(x, y), ∂f/∂x, ∂f/∂y)`
    fn binary(op: Binary, x: f64, y: f64) -> (f64, f64, f64);
    /// `(x·y + z, [∂/∂x, ∂/∂y, ∂/∂z])`
    fn mul_add(x: f64, y: f64, z: f64) -> (f64, [f64; 3]);
}

/// Forward mode on `Dual<f64, 1>`: one pass per argument, that argument seeded with 1 and the
/// others [`Dual::constant`].
struct Forward;

impl Mode for Forward {
    const NAME: &'static str = "forward Dual<f64, 1>";

    fn unary(op: Unary, x: f64) -> (f64, f64) {
        let y = apply_unary(op, D1::variable(x, 0));
        (y.re, y.eps[0])
    }

    fn binary(op: Binary, x: f64, y: f64) -> (f64, f64, f64) {
        let a = apply_binary(op, D1::variable(x, 0), D1::constant(y));
        let b = apply_binary(op, D1::constant(x), D1::variable(y, 0));
        assert!(
            same_f64(a.re, b.re),
            "{op:?}({x:e}, {y:e}): the value depends on which argument is seeded: {:e} vs {:e}",
            a.re,
            b.re
        );
        (a.re, a.eps[0], b.eps[0])
    }

    fn mul_add(x: f64, y: f64, z: f64) -> (f64, [f64; 3]) {
        let p = [x, y, z];
        let pass = |i: usize| {
            let a: [D1; 3] = core::array::from_fn(|j| {
                if j == i {
                    D1::variable(p[j], 0)
                } else {
                    D1::constant(p[j])
                }
            });
            apply_mul_add(a[0], a[1], a[2])
        };
        let r = [pass(0), pass(1), pass(2)];
        assert!(r.iter().all(|v| same_f64(v.re, r[0].re)));
        (r[0].re, [r[0].eps[0], r[1].eps[0], r[2].eps[0]])
    }
}

/// Counts the cases checked per entry, to assert at the end that every entry of `Unary::ALL`,
/// `Binary::ALL`, each `Powi(n)` and `mul_add` was exercised `CASES` times.
#[derive(Default)]
struct Coverage(BTreeMap<String, usize>);

impl Coverage {
    fn hit(&mut self, entry: impl core::fmt::Debug) {
        *self.0.entry(format!("{entry:?}")).or_default() += 1;
    }

    fn assert_complete(&self, check: &str) {
        let mut expected: Vec<String> = unary_entries().iter().map(|o| format!("{o:?}")).collect();
        expected.extend(Binary::ALL.iter().map(|o| format!("{o:?}")));
        expected.push("\"mul_add\"".to_string());
        for e in &expected {
            let n = self.0.get(e).copied().unwrap_or(0);
            assert_eq!(
                n, CASES,
                "{check}: entry {e} was checked {n} times, expected {CASES}"
            );
        }
        assert_eq!(
            self.0.len(),
            expected.len(),
            "{check}: checked entries {:?} differ from the table {:?}",
            self.0.keys().collect::<Vec<_>>(),
            expected
        );
    }
}

/// Walks the whole table in mode `M`: on [`CASES`] random in-domain points per entry, the value is
/// the `f64` result bit for bit and every partial matches a Richardson central difference within
/// [`RTOL`].
fn check_table<M: Mode>() {
    let mut rng = Rng::for_test(M::NAME);
    let mut cov = Coverage::default();
    let mut worst = Worst::default();

    for op in unary_entries() {
        let f = |t: f64| apply_unary(op, t);
        for _ in 0..CASES {
            let x = sample_unary(op, &mut rng);
            let (v, d) = M::unary(op, x);
            let fx = f(x);
            assert!(
                same_f64(v, fx),
                "{}: {op:?}({x:e}) = {v:e}, f64 gives {fx:e}",
                M::NAME
            );
            let fd = fd1(f, x);
            let floor = fx.abs().max(1.0);
            worst.note(rel_err(d, fd, floor), || format!("{op:?}({x:e})"));
            assert!(
                close(d, fd, RTOL, floor),
                "{}: {op:?}′({x:e}) = {d:e}, finite differences give {fd:e}",
                M::NAME
            );
            cov.hit(op);
        }
    }

    for op in Binary::ALL {
        let f = |p: &[f64]| apply_binary(op, p[0], p[1]);
        for _ in 0..CASES {
            let (x, y) = sample_binary(op, &mut rng);
            let (v, dx, dy) = M::binary(op, x, y);
            let fxy = f(&[x, y]);
            assert!(
                same_f64(v, fxy),
                "{}: {op:?}({x:e}, {y:e}) = {v:e}, f64 gives {fxy:e}",
                M::NAME
            );
            let floor = fxy.abs().max(1.0);
            for (k, (d, u)) in [(dx, [1.0, 0.0]), (dy, [0.0, 1.0])].into_iter().enumerate() {
                let fd = fd_dir(f, &[x, y], &u);
                worst.note(rel_err(d, fd, floor), || {
                    format!("∂{k} {op:?}({x:e}, {y:e})")
                });
                assert!(
                    close(d, fd, RTOL, floor),
                    "{}: ∂{op:?}({x:e}, {y:e})/∂(argument {k}) = {d:e}, finite differences give {fd:e}",
                    M::NAME
                );
            }
            cov.hit(op);
        }
    }

    let f = |p: &[f64]| apply_mul_add(p[0], p[1], p[2]);
    for _ in 0..CASES {
        let p = sample_mul_add(&mut rng);
        let (v, d) = M::mul_add(p[0], p[1], p[2]);
        let fp = f(&p);
        assert!(
            same_f64(v, fp),
            "{}: mul_add{p:?} = {v:e}, f64 gives {fp:e}",
            M::NAME
        );
        for (k, dk) in d.iter().enumerate() {
            let mut u = [0.0; 3];
            u[k] = 1.0;
            let fd = fd_dir(f, &p, &u);
            let floor = fp.abs().max(1.0);
            worst.note(rel_err(*dk, fd, floor), || format!("∂{k} mul_add{p:?}"));
            assert!(
                close(*dk, fd, RTOL, floor),
                "{}: ∂mul_add{p:?}/∂(argument {k}) = {dk:e}, finite differences give {fd:e}",
                M::NAME
            );
        }
        cov.hit("mul_add");
    }

    cov.assert_complete(M::NAME);
    println!(
        "{}: worst relative error {:.2e} at {} (tolerance {RTOL:e})",
        M::NAME,
        worst.err,
        worst.at
    );
}

/// The whole table in forward mode (`Dual<f64, 1>`, each argument seeded in turn).
#[test]
fn forward_rule_table_matches_finite_differences() {
    check_table::<Forward>();
}

// ---------------------------------------------------------------------------------------------
// Forward-only checks
// ---------------------------------------------------------------------------------------------

/// `Dual<f64, 4>` seeded with four random directions at once (all arguments seeded together, so the
/// two-argument chain rule runs with both tangents nonzero): each lane must be the directional
/// derivative along its direction, and the value the `f64` result bit for bit.
#[test]
fn forward_four_random_directions() {
    let mut rng = Rng::for_test("Dual<f64, 4>");
    let mut cov = Coverage::default();
    let mut worst = Worst::default();
    let check_lanes = |name: String,
                       y: D4,
                       f: &dyn Fn(&[f64]) -> f64,
                       p: &[f64],
                       dirs: &[[f64; 4]],
                       worst: &mut Worst| {
        let fp = f(p);
        assert!(
            same_f64(y.re, fp),
            "{name}: value {:e}, f64 gives {fp:e}",
            y.re
        );
        for lane in 0..4 {
            let u: Vec<f64> = dirs.iter().map(|d| d[lane]).collect();
            let fd = fd_dir(f, p, &u);
            let floor = fp.abs().max(1.0);
            worst.note(rel_err(y.eps[lane], fd, floor), || {
                format!("{name} lane {lane}")
            });
            assert!(
                close(y.eps[lane], fd, RTOL, floor),
                "{name}: lane {lane} (direction {u:?}) = {:e}, finite differences give {fd:e}",
                y.eps[lane]
            );
        }
    };

    for op in unary_entries() {
        for _ in 0..CASES {
            let x = sample_unary(op, &mut rng);
            let u = rng.direction::<4>();
            let y = apply_unary(op, D4::new(x, u));
            check_lanes(
                format!("{op:?}({x:e})"),
                y,
                &|p| apply_unary(op, p[0]),
                &[x],
                &[u],
                &mut worst,
            );
            cov.hit(op);
        }
    }
    for op in Binary::ALL {
        for _ in 0..CASES {
            let (x, y) = sample_binary(op, &mut rng);
            let (u, v) = (rng.direction::<4>(), rng.direction::<4>());
            let r = apply_binary(op, D4::new(x, u), D4::new(y, v));
            check_lanes(
                format!("{op:?}({x:e}, {y:e})"),
                r,
                &|p| apply_binary(op, p[0], p[1]),
                &[x, y],
                &[u, v],
                &mut worst,
            );
            cov.hit(op);
        }
    }
    for _ in 0..CASES {
        let p = sample_mul_add(&mut rng);
        let dirs: [[f64; 4]; 3] = core::array::from_fn(|_| rng.direction::<4>());
        let r = apply_mul_add(
            D4::new(p[0], dirs[0]),
            D4::new(p[1], dirs[1]),
            D4::new(p[2], dirs[2]),
        );
        check_lanes(
            format!("mul_add{p:?}"),
            r,
            &|q| apply_mul_add(q[0], q[1], q[2]),
            &p,
            &dirs,
            &mut worst,
        );
        cov.hit("mul_add");
    }
    cov.assert_complete("Dual<f64, 4>");
    println!(
        "Dual<f64, 4>: worst relative error {:.2e} at {} (tolerance {RTOL:e})",
        worst.err, worst.at
    );
}

/// `Dual<f32, 2>` with two random directions: the value is the `f32` result bit for bit, and each
/// lane matches the `f64` finite-difference directional derivative at the same (f32-representable)
/// point within [`RTOL_F32`] (see there why it is looser).
#[test]
fn forward_f32_two_random_directions() {
    let mut rng = Rng::for_test("Dual<f32, 2>");
    let mut cov = Coverage::default();
    let mut worst = Worst::default();
    let dir32 = |rng: &mut Rng| rng.direction::<2>().map(|v| v as f32);
    let check_lanes = |name: String,
                       y: F2,
                       value: f32,
                       f: &dyn Fn(&[f64]) -> f64,
                       p: &[f64],
                       dirs: &[[f32; 2]],
                       worst: &mut Worst| {
        assert!(
            same_f32(y.re, value),
            "{name}: value {:e}, f32 gives {value:e}",
            y.re
        );
        let fp = f(p);
        for lane in 0..2 {
            let u: Vec<f64> = dirs.iter().map(|d| f64::from(d[lane])).collect();
            let fd = fd_dir(f, p, &u);
            let got = f64::from(y.eps[lane]);
            let floor = fp.abs().max(1.0);
            worst.note(rel_err(got, fd, floor), || format!("{name} lane {lane}"));
            assert!(
                close(got, fd, RTOL_F32, floor),
                "{name}: lane {lane} (direction {u:?}) = {got:e}, f64 finite differences give {fd:e}"
            );
        }
    };

    for op in unary_entries() {
        for _ in 0..CASES {
            let x = sample_unary(op, &mut rng) as f32;
            let u = dir32(&mut rng);
            let y = apply_unary(op, F2::new(x, u));
            let p = [f64::from(x)];
            check_lanes(
                format!("{op:?}({x:e})"),
                y,
                apply_unary(op, x),
                &|q| apply_unary(op, q[0]),
                &p,
                &[u],
                &mut worst,
            );
            cov.hit(op);
        }
    }
    for op in Binary::ALL {
        for _ in 0..CASES {
            let (x, y) = sample_binary(op, &mut rng);
            let (x, y) = (x as f32, y as f32);
            let (u, v) = (dir32(&mut rng), dir32(&mut rng));
            let r = apply_binary(op, F2::new(x, u), F2::new(y, v));
            let p = [f64::from(x), f64::from(y)];
            check_lanes(
                format!("{op:?}({x:e}, {y:e})"),
                r,
                apply_binary(op, x, y),
                &|q| apply_binary(op, q[0], q[1]),
                &p,
                &[u, v],
                &mut worst,
            );
            cov.hit(op);
        }
    }
    for _ in 0..CASES {
        let p = sample_mul_add(&mut rng).map(|v| v as f32);
        let dirs: [[f32; 2]; 3] = core::array::from_fn(|_| dir32(&mut rng));
        let r = apply_mul_add(
            F2::new(p[0], dirs[0]),
            F2::new(p[1], dirs[1]),
            F2::new(p[2], dirs[2]),
        );
        check_lanes(
            format!("mul_add{p:?}"),
            r,
            apply_mul_add(p[0], p[1], p[2]),
            &|q| apply_mul_add(q[0], q[1], q[2]),
            &p.map(f64::from),
            &dirs,
            &mut worst,
        );
        cov.hit("mul_add");
    }
    cov.assert_complete("Dual<f32, 2>");
    println!(
        "Dual<f32, 2>: worst relative error {:.2e} at {} (tolerance {RTOL_F32:e})",
        worst.err, worst.at
    );
}

/// A nested dual seeded with the same direction at both levels: `x + u·ε₁ + u·ε₂`.
fn nested(x: f64, u: f64) -> DD {
    DD::new(Dual::new(x, [u]), [Dual::new(u, [0.0])])
}

/// Checks one nested result against the first-order directional derivative `g1` (computed on
/// `Dual<f64, 1>` and itself checked against finite differences by the other tests):
/// `re.re` is the `f64` value bit for bit, both first-order parts (`re.eps[0]` and `eps[0].re`) equal
/// `g1` at the point, and the second-order part
/// `eps[0].eps[0]` matches the Richardson derivative of `g1` along the direction within [`RTOL`],
/// relative to max(|f″|, |f′|, 1) (the differenced function is f′, so its rounding noise scales
/// with |f′|).
fn check_nested(
    name: &str,
    r: DD,
    value: f64,
    g1: &dyn Fn(f64) -> f64,
    scale: f64,
    worst: &mut Worst,
) {
    assert!(
        same_f64(r.re.re, value),
        "{name}: value {:e}, f64 gives {value:e}",
        r.re.re
    );
    let d1 = g1(0.0);
    // The outer first-order part is Σ (seed · partial) with the real parts of the partials, the very
    // operations of `Dual<f64, 1>`: bit for bit.
    assert!(
        same_f64(r.eps[0].re, d1),
        "{name}: outer first-order part {:e} differs from Dual<f64, 1>'s {d1:e}",
        r.eps[0].re
    );
    // The inner one is the tangent of the *value* computed on `Dual<f64, 1>`, which for entries whose
    // value is a composition (rem_euclid = x % y, then + |y|) rounds differently from the rule's
    // partials: a few ulps of the largest term (|x′|, |q·y′| ≤ 20 on the sampled domains), so
    // 1e-13 relative to max(|f′|, 1) (the terms are ≤ 20 ⇒ error ≤ 3ε·20 ≈ 1.3e-14).
    assert!(
        close(r.re.eps[0], d1, 1e-13, 1.0),
        "{name}: inner first-order part {:e} differs from Dual<f64, 1>'s {d1:e}",
        r.re.eps[0]
    );
    let fd = richardson(g1, step(scale));
    let d2 = r.eps[0].eps[0];
    let floor = d1.abs().max(1.0);
    worst.note(rel_err(d2, fd, floor), || name.to_string());
    assert!(
        close(d2, fd, RTOL, floor),
        "{name}: second derivative {d2:e}, finite differences of the first give {fd:e}"
    );
}

/// Nested `Dual<Dual<f64, 1>, 1>` (forward over forward): the second derivative along a random
/// direction matches the finite difference of the first derivative, for every entry.
#[test]
fn forward_nested_second_derivatives() {
    let mut rng = Rng::for_test("Dual<Dual<f64, 1>, 1>");
    let mut cov = Coverage::default();
    let mut worst = Worst::default();
    for op in unary_entries() {
        for _ in 0..CASES {
            let x = sample_unary(op, &mut rng);
            let r = apply_unary(op, nested(x, 1.0));
            let g1 = |t: f64| apply_unary(op, D1::variable(x + t, 0)).eps[0];
            check_nested(
                &format!("{op:?}({x:e})"),
                r,
                apply_unary(op, x),
                &g1,
                x,
                &mut worst,
            );
            cov.hit(op);
        }
    }
    for op in Binary::ALL {
        for _ in 0..CASES {
            let (x, y) = sample_binary(op, &mut rng);
            let [u, v] = rng.direction::<2>();
            let r = apply_binary(op, nested(x, u), nested(y, v));
            let g1 =
                |t: f64| apply_binary(op, D1::new(x + t * u, [u]), D1::new(y + t * v, [v])).eps[0];
            let name = format!("{op:?}({x:e}, {y:e}) along ({u}, {v})");
            check_nested(
                &name,
                r,
                apply_binary(op, x, y),
                &g1,
                x.abs().max(y.abs()),
                &mut worst,
            );
            cov.hit(op);
        }
    }
    for _ in 0..CASES {
        let p = sample_mul_add(&mut rng);
        let u = rng.direction::<3>();
        let r = apply_mul_add(nested(p[0], u[0]), nested(p[1], u[1]), nested(p[2], u[2]));
        let g1 = |t: f64| {
            let a: [D1; 3] = core::array::from_fn(|k| D1::new(p[k] + t * u[k], [u[k]]));
            apply_mul_add(a[0], a[1], a[2]).eps[0]
        };
        let scale = p.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        check_nested(
            &format!("mul_add{p:?} along {u:?}"),
            r,
            apply_mul_add(p[0], p[1], p[2]),
            &g1,
            scale,
            &mut worst,
        );
        cov.hit("mul_add");
    }
    cov.assert_complete("Dual<Dual<f64, 1>, 1>");
    println!(
        "nested: worst relative error {:.2e} at {} (tolerance {RTOL:e})",
        worst.err, worst.at
    );
}

/// The `Dual ∘ T` form of a binary entry (`binary_const_rhs`), where one exists. No `_` arm.
fn rhs_form(op: Binary) -> Option<fn(D1, f64) -> D1> {
    match op {
        Binary::Add => Some(|a, b| a + b),
        Binary::Sub => Some(|a, b| a - b),
        Binary::Mul => Some(|a, b| a * b),
        Binary::Div => Some(|a, b| a / b),
        Binary::Rem => Some(|a, b| a % b),
        Binary::Powf => Some(|a, b| a.pow(b)),
        Binary::RemEuclid
        | Binary::Log
        | Binary::Atan2
        | Binary::Hypot
        | Binary::Max
        | Binary::Min
        | Binary::AbsSub => None,
    }
}

/// The assign form `a ∘= T`, where one exists. No `_` arm.
fn rhs_assign_form(op: Binary) -> Option<fn(&mut D1, f64)> {
    match op {
        Binary::Add => Some(|a, b| *a += b),
        Binary::Sub => Some(|a, b| *a -= b),
        Binary::Mul => Some(|a, b| *a *= b),
        Binary::Div => Some(|a, b| *a /= b),
        Binary::Rem => Some(|a, b| *a %= b),
        Binary::Powf
        | Binary::RemEuclid
        | Binary::Log
        | Binary::Atan2
        | Binary::Hypot
        | Binary::Max
        | Binary::Min
        | Binary::AbsSub => None,
    }
}

/// The `T ∘ Dual` form (`binary_const_lhs`), where one exists. No `_` arm.
fn lhs_form(op: Binary) -> Option<fn(f64, D1) -> D1> {
    match op {
        Binary::Add => Some(|a, b| a + b),
        Binary::Sub => Some(|a, b| a - b),
        Binary::Mul => Some(|a, b| a * b),
        Binary::Div => Some(|a, b| a / b),
        Binary::Rem => Some(|a, b| a % b),
        Binary::Powf
        | Binary::RemEuclid
        | Binary::Log
        | Binary::Atan2
        | Binary::Hypot
        | Binary::Max
        | Binary::Min
        | Binary::AbsSub => None,
    }
}

/// `Dual<f32, 2> ∘ f32` and `f32 ∘ Dual<f32, 2>`.
type F32Forms = (fn(F2, f32) -> F2, fn(f32, F2) -> F2);

/// The `Dual ∘ T` and `T ∘ Dual` forms for `f32`. No `_` arm.
fn f32_forms(op: Binary) -> Option<F32Forms> {
    match op {
        Binary::Add => Some((|a, b| a + b, |a, b| a + b)),
        Binary::Sub => Some((|a, b| a - b, |a, b| a - b)),
        Binary::Mul => Some((|a, b| a * b, |a, b| a * b)),
        Binary::Div => Some((|a, b| a / b, |a, b| a / b)),
        Binary::Rem => Some((|a, b| a % b, |a, b| a % b)),
        Binary::Powf
        | Binary::RemEuclid
        | Binary::Log
        | Binary::Atan2
        | Binary::Hypot
        | Binary::Max
        | Binary::Min
        | Binary::AbsSub => None,
    }
}

/// The operator forms with a plain scalar operand (`Dual ∘ T`, `T ∘ Dual`, `Dual ∘= T`, and
/// `Pow<f64>`) take their own code paths (`binary_const_rhs`/`binary_const_lhs`): the value must be
/// the `f64` result bit for bit and the tangent the partial of the dual operand (finite
/// differences, [`RTOL`]); the assign form must equal the operator form bit for bit. Same for `f32`
/// ([`RTOL_F32`]).
#[test]
fn forward_scalar_operand_forms() {
    let mut rng = Rng::for_test("scalar operand forms");
    let mut covered = 0;
    for op in Binary::ALL {
        let (rhs, lhs, assign) = (rhs_form(op), lhs_form(op), rhs_assign_form(op));
        if rhs.is_none() && lhs.is_none() {
            continue;
        }
        covered += 1;
        let f = |p: &[f64]| apply_binary(op, p[0], p[1]);
        for _ in 0..CASES {
            let (x, y) = sample_binary(op, &mut rng);
            let fxy = f(&[x, y]);
            let floor = fxy.abs().max(1.0);
            let (dx, dy) = (
                fd_dir(f, &[x, y], &[1.0, 0.0]),
                fd_dir(f, &[x, y], &[0.0, 1.0]),
            );
            let t = rng.uniform(-2.0, 2.0);
            if let Some(g) = rhs {
                let r = g(D1::new(x, [t]), y);
                assert!(
                    same_f64(r.re, fxy),
                    "{op:?}(Dual {x:e}, {y:e}): value {:e} ≠ {fxy:e}",
                    r.re
                );
                assert!(
                    close(r.eps[0], t * dx, RTOL, floor),
                    "{op:?}(Dual {x:e}, {y:e}) with tangent {t}: {:e}, expected {:e}",
                    r.eps[0],
                    t * dx
                );
                if let Some(a) = assign {
                    let mut m = D1::new(x, [t]);
                    a(&mut m, y);
                    assert!(
                        same_f64(m.re, r.re) && same_f64(m.eps[0], r.eps[0]),
                        "{op:?}= differs from {op:?}"
                    );
                }
            }
            if let Some(g) = lhs {
                let r = g(x, D1::new(y, [t]));
                assert!(
                    same_f64(r.re, fxy),
                    "{op:?}({x:e}, Dual {y:e}): value {:e} ≠ {fxy:e}",
                    r.re
                );
                assert!(
                    close(r.eps[0], t * dy, RTOL, floor),
                    "{op:?}({x:e}, Dual {y:e}) with tangent {t}: {:e}, expected {:e}",
                    r.eps[0],
                    t * dy
                );
            }
            if let Some((g_rhs, g_lhs)) = f32_forms(op) {
                let (x32, y32, t32) = (x as f32, y as f32, t as f32);
                let p = [f64::from(x32), f64::from(y32)];
                let v32 = apply_binary(op, x32, y32);
                let floor = f(&p).abs().max(1.0);
                let r = g_rhs(F2::new(x32, [t32, 0.0]), y32);
                let want = f64::from(t32) * fd_dir(f, &p, &[1.0, 0.0]);
                assert!(same_f32(r.re, v32), "f32 {op:?}(Dual, T) value");
                assert!(
                    close(f64::from(r.eps[0]), want, RTOL_F32, floor),
                    "f32 {op:?}(Dual, T) tangent"
                );
                assert_eq!(
                    r.eps[1], 0.0,
                    "f32 {op:?}(Dual, T): an unseeded lane must stay 0"
                );
                let r = g_lhs(x32, F2::new(y32, [t32, 0.0]));
                let want = f64::from(t32) * fd_dir(f, &p, &[0.0, 1.0]);
                assert!(same_f32(r.re, v32), "f32 {op:?}(T, Dual) value");
                assert!(
                    close(f64::from(r.eps[0]), want, RTOL_F32, floor),
                    "f32 {op:?}(T, Dual) tangent"
                );
                assert_eq!(
                    r.eps[1], 0.0,
                    "f32 {op:?}(T, Dual): an unseeded lane must stay 0"
                );
            }
        }
    }
    // + − × / % and powf: guards against the forms above silently becoming `None`
    assert_eq!(
        covered, 6,
        "expected scalar-operand forms for + − × / % and powf"
    );
}

// ---------------------------------------------------------------------------------------------
// Identities: tangents exact to a few ulps
// ---------------------------------------------------------------------------------------------

const EPS: f64 = f64::EPSILON;

/// sin²x + cos²x = 1: the tangent 2 sin x cos x − 2 cos x sin x is a sum of four products of
/// magnitude |sin x cos x|, so its rounding error is at most ≈ 3ε·4|sin x cos x|; we allow
/// 4ε·4|sin x cos x| (the exact answer is 0).
#[test]
fn identity_sin_squared_plus_cos_squared() {
    let mut rng = Rng::for_test("sin² + cos²");
    for _ in 0..CASES {
        let x = rng.uniform(-10.0, 10.0);
        let v = D1::variable(x, 0);
        let y = v.sin() * v.sin() + v.cos() * v.cos();
        let bound = 4.0 * EPS * 4.0 * (x.sin() * x.cos()).abs();
        assert!(
            y.eps[0].abs() <= bound,
            "d(sin² + cos²)({x:e}) = {:e}, bound {bound:e}",
            y.eps[0]
        );
        assert!(
            (y.re - 1.0).abs() <= 4.0 * EPS,
            "sin² + cos² at {x:e} = {}",
            y.re
        );
    }
}

/// tan(atan x) = x on [−2, 2]: the tangent (1 + t²)/(1 + x²) with t = tan(atan x). The 1-ulp
/// errors of atan and tan give t a relative error ≤ (1 + (1 + x²)·|atan x|/|x|)·ε ≤ 4ε on [−2, 2],
/// so t² ≤ 8ε, 1 + t² ≤ 9ε, the reciprocal 1/(1 + x²) ≤ 2ε, and the product 1 more: ≤ 12ε; we allow
/// 16ε.
#[test]
fn identity_tan_of_atan() {
    let mut rng = Rng::for_test("tan(atan x)");
    let mut worst: f64 = 0.0;
    for _ in 0..CASES {
        let x = rng.uniform(-2.0, 2.0);
        let y = D1::variable(x, 0).atan().tan();
        let err = (y.eps[0] - 1.0).abs();
        worst = worst.max(err / EPS);
        assert!(err <= 16.0 * EPS, "d tan(atan x) at {x:e} = {:e}", y.eps[0]);
    }
    println!("tan(atan x): worst tangent error {worst:.1} ε (bound 16 ε)");
}

/// exp(ln x) = x on [0.1, 10]: the tangent exp(ln x)·(1/x). ln x is off by ≤ ε·|ln x| absolute
/// (1 ulp), which exp turns into a relative error ε·|ln x|, plus 1 ulp of exp, ½ of 1/x and ½ of
/// the product: ≤ (|ln x| + 3)ε; we allow (|ln x| + 4)ε.
#[test]
fn identity_exp_of_ln() {
    let mut rng = Rng::for_test("exp(ln x)");
    for _ in 0..CASES {
        let x = rng.uniform(0.1, 10.0);
        let y = D1::variable(x, 0).ln().exp();
        let bound = (x.ln().abs() + 4.0) * EPS;
        assert!(
            (y.eps[0] - 1.0).abs() <= bound,
            "d exp(ln x) at {x:e} = {:e}",
            y.eps[0]
        );
    }
}

/// cosh²x − sinh²x = 1: the tangent 2 cosh x sinh x − 2 sinh x cosh x, four products of magnitude
/// |sinh x cosh x|: as for sin² + cos², at most 4ε·4|sinh x cosh x| (exactly 0 in exact arithmetic).
#[test]
fn identity_cosh_squared_minus_sinh_squared() {
    let mut rng = Rng::for_test("cosh² − sinh²");
    for _ in 0..CASES {
        let x = rng.uniform(-5.0, 5.0);
        let v = D1::variable(x, 0);
        let y = v.cosh() * v.cosh() - v.sinh() * v.sinh();
        let bound = 4.0 * EPS * 4.0 * (x.sinh() * x.cosh()).abs();
        assert!(
            y.eps[0].abs() <= bound,
            "d(cosh² − sinh²)({x:e}) = {:e}, bound {bound:e}",
            y.eps[0]
        );
    }
}

/// hypot(x, y) and √(x² + y²) have the same partials x/r, y/r: each side is a few roundings away
/// from the exact value (hypot's 1 ulp and a division; x², the sum, √, the reciprocal of 2√ and two
/// products), so they agree to 8ε relative per lane.
#[test]
fn identity_hypot_vs_sqrt_of_squares() {
    let mut rng = Rng::for_test("hypot");
    for _ in 0..CASES {
        let (x, y) = (rng.signed(0.1, 10.0), rng.signed(0.1, 10.0));
        let (a, b) = (
            Dual::<f64, 2>::variable(x, 0),
            Dual::<f64, 2>::variable(y, 1),
        );
        let h = a.hypot(b);
        let s = (a * a + b * b).sqrt();
        for k in 0..2 {
            assert!(
                close(h.eps[k], s.eps[k], 8.0 * EPS, 0.0),
                "∂{k} at ({x:e}, {y:e}): hypot {:e}, sqrt {:e}",
                h.eps[k],
                s.eps[k]
            );
        }
    }
}

/// atan2(r sin t, r cos t) = t for t ∈ [−3, 3], r ∈ [0.1, 10]: ∂/∂t is (r²cos²t + r²sin²t)/r², a
/// sum of two positive terms each a few roundings off: |∂/∂t − 1| ≤ 8ε. ∂/∂r is
/// (sin t·r cos t − cos t·r sin t)/r², a cancellation of terms ≤ 1/(2r): |∂/∂r| ≤ 8ε/r. The value
/// is t to 8ε relative (the rounding of r sin t and r cos t moves the angle by ≈ 2ε·|t|).
#[test]
fn identity_atan2_of_polar() {
    let mut rng = Rng::for_test("atan2 polar");
    for _ in 0..CASES {
        let (r, t) = (rng.uniform(0.1, 10.0), rng.uniform(-3.0, 3.0));
        let (rd, td) = (
            Dual::<f64, 2>::variable(r, 0),
            Dual::<f64, 2>::variable(t, 1),
        );
        let a = (rd * td.sin()).atan2(rd * td.cos());
        assert!(
            close(a.re, t, 8.0 * EPS, 0.0),
            "atan2 at (r {r}, t {t}) = {}",
            a.re
        );
        assert!(
            (a.eps[1] - 1.0).abs() <= 8.0 * EPS,
            "∂/∂t at (r {r}, t {t}) = {:e}",
            a.eps[1]
        );
        assert!(
            a.eps[0].abs() <= 8.0 * EPS / r,
            "∂/∂r at (r {r}, t {t}) = {:e}",
            a.eps[0]
        );
    }
}

/// `mul_add` and `Powi` appear in the walk; `rules::mul_add` is the entry `Float::mul_add` uses:
/// its partials at a random point are (y, x, 1) exactly.
#[test]
fn mul_add_entry_partials() {
    let mut rng = Rng::for_test("rules::mul_add");
    for _ in 0..CASES {
        let [x, y, z] = sample_mul_add(&mut rng);
        let (v, dx, dy, dz) = rules::mul_add(x, y, z);
        assert!(same_f64(v, x.mul_add(y, z)));
        assert_eq!((dx, dy, dz), (y, x, 1.0));
    }
}
