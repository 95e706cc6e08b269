//! One named test per convention of the crate's Conventions table (`src/lib.rs`; forward mode),
//! plus the other traits of the num-traits family on [`Dual`].
//!
//! Property tests draw their inputs with quickcheck (whose `f64` generator also produces NaN, ±∞,
//! ±0, extreme and subnormal values) or from the seeded generator of `tests/suite/common`; the number of
//! cases is stated at each test.

#[path = "../../tests/suite/common/mod.rs"]
mod common;

use core::num::FpCategory;

use common::{
    Rng, apply_binary, apply_mul_add, apply_unary, close, f64_binary, fd1, ieee_max, ieee_min,
    same_f64,
};
use nilpotent::Dual;
use nilpotent::rules::{Binary, Unary};
use num_traits::{
    Bounded, Euclid, Float, FloatConst, FromPrimitive, Inv, MulAddAssign, Num, One, Pow, Signed,
    ToPrimitive, Zero,
};
use quickcheck::{QuickCheck, TestResult};

type D1 = Dual<f64, 1>;
type D2 = Dual<f64, 2>;
type D3 = Dual<f64, 3>;
type DD = Dual<Dual<f64, 1>, 1>;

/// Quickcheck cases per property.
const QC_CASES: u64 = 2000;

/// Seeded random cases per test that uses [`Rng`].
const CASES: usize = 500;

/// Special and ordinary `f64` inputs for the "never panic, value as f64" sweeps.
const SPECIALS: [f64; 16] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -2.5,
    3.0,
    2.0,
    1e300,
    -1e300,
    5e-324,
    -1e-310,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    f64::MAX,
];

/// Every unary entry, with a spread of `Powi` exponents.
fn unary_entries() -> Vec<Unary> {
    let mut v = Unary::ALL.to_vec();
    for n in [-3, -1, 0, 1, 2, 5] {
        if !v.contains(&Unary::Powi(n)) {
            v.push(Unary::Powi(n));
        }
    }
    v
}

fn qc() -> QuickCheck {
    QuickCheck::new().tests(QC_CASES).max_tests(20 * QC_CASES)
}

// ---------------------------------------------------------------------------------------------
// §4 conventions
// ---------------------------------------------------------------------------------------------

/// `==`, `<`, `<=`, `partial_cmp` and the choice of `max`/`min` look at the real parts only, exactly
/// as on `f64` (NaN included), and `PartialEq` agrees with `PartialOrd`. Quickcheck, [`QC_CASES`]
/// cases with arbitrary tangents.
#[test]
fn compare_real_part_only() {
    fn prop(x: f64, y: f64, s: f64, t: f64) -> bool {
        let (a, b) = (D1::new(x, [s]), D1::new(y, [t]));
        let consistent = (a == b) == (a.partial_cmp(&b) == Some(core::cmp::Ordering::Equal));
        consistent
            && (a == b) == (x == y)
            && (a < b) == (x < y)
            && (a <= b) == (x <= y)
            && (a > b) == (x > y)
            && a.partial_cmp(&b) == x.partial_cmp(&y)
            && same_f64(a.max(b).re, ieee_max(x, y))
            && same_f64(a.min(b).re, ieee_min(x, y))
    }
    qc().quickcheck(prop as fn(f64, f64, f64, f64) -> bool);
    // same real part, different tangents: equal; same tangents, different real parts: not
    assert_eq!(D1::new(1.0, [2.0]), D1::new(1.0, [-7.0]));
    assert_ne!(D1::new(1.0, [2.0]), D1::new(1.5, [2.0]));
    assert!(D1::new(1.0, [100.0]) < D1::new(2.0, [-100.0]));
    // the chosen argument brings its own tangent
    assert_eq!(D1::new(1.0, [100.0]).max(D1::new(2.0, [3.0])).eps, [3.0]);
    assert_eq!(D1::new(1.0, [100.0]).min(D1::new(2.0, [3.0])).eps, [100.0]);
}

/// Property of a tie: both orders give the average of the tangents, bit for bit ((a + b)/2 is
/// what `a·½ + b·½` rounds to: the halvings are exact for normal numbers).
fn tie_averages(op: fn(D3, D3) -> D3, x: f64, s: [f64; 3], t: [f64; 3]) -> TestResult {
    if !x.is_finite()
        || s.iter()
            .chain(&t)
            .any(|v| !v.is_finite() || v.abs() > 1e300)
    {
        return TestResult::discard();
    }
    let (a, b) = (D3::new(x, s), D3::new(x, t));
    let (ab, ba) = (op(a, b), op(b, a));
    let ok = (0..3).all(|i| {
        let avg = (s[i] + t[i]) / 2.0;
        ab.eps[i] == avg && ab.eps[i].to_bits() == ba.eps[i].to_bits()
    });
    TestResult::from_bool(ok && same_f64(ab.re, x))
}

/// `max` of two duals with equal real parts: the tangent is the average of both (symmetric).
/// Quickcheck, [`QC_CASES`] cases (3 lanes), plus the tie of +0 and −0.
#[test]
fn max_tie_averages() {
    fn prop(x: f64, s: (f64, f64, f64), t: (f64, f64, f64)) -> TestResult {
        tie_averages(D3::max, x, [s.0, s.1, s.2], [t.0, t.1, t.2])
    }
    qc().quickcheck(prop as fn(f64, (f64, f64, f64), (f64, f64, f64)) -> TestResult);
    let m = D1::new(0.0, [1.0]).max(D1::new(-0.0, [3.0]));
    assert_eq!(m.eps, [2.0], "+0 and −0 compare equal: a tie");
}

/// `min` of two duals with equal real parts: the tangent is the average of both (symmetric).
#[test]
fn min_tie_averages() {
    fn prop(x: f64, s: (f64, f64, f64), t: (f64, f64, f64)) -> TestResult {
        tie_averages(D3::min, x, [s.0, s.1, s.2], [t.0, t.1, t.2])
    }
    qc().quickcheck(prop as fn(f64, (f64, f64, f64), (f64, f64, f64)) -> TestResult);
    let m = D1::new(-0.0, [1.0]).min(D1::new(0.0, [3.0]));
    assert_eq!(m.eps, [2.0], "+0 and −0 compare equal: a tie");
}

/// As `f64::max`/`min`: a NaN argument loses, and the other one is returned with its own tangent,
/// also when the NaN argument came out of a computation with a NaN tangent (`sqrt(−1)`), in either
/// position; two NaNs give NaN.
#[test]
fn max_min_nan_returns_other_with_tangent() {
    let mut rng = Rng::for_test("max/min NaN");
    for _ in 0..CASES {
        let y = D2::new(
            rng.uniform(-10.0, 10.0),
            [rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)],
        );
        // a NaN made by arithmetic: sqrt(−1) with tangent [NaN, 0]; and a NaN constant
        let bad = D2::new(-1.0, [1.0, 0.0]).sqrt();
        assert!(
            bad.re.is_nan() && bad.eps[0].is_nan(),
            "sqrt(−1) should carry a NaN tangent"
        );
        for nan in [bad, D2::nan(), D2::new(f64::NAN, [f64::INFINITY, 2.0])] {
            for (name, r) in [
                ("max(NaN, y)", nan.max(y)),
                ("max(y, NaN)", y.max(nan)),
                ("min(NaN, y)", nan.min(y)),
                ("min(y, NaN)", y.min(nan)),
            ] {
                assert!(
                    same_f64(r.re, y.re) && r.eps == y.eps,
                    "{name} with NaN = {nan:?}, y = {y:?}: got {r:?}, expected y"
                );
            }
        }
    }
    assert!(D2::nan().max(D2::nan()).re.is_nan());
    assert!(D2::nan().min(D2::nan()).re.is_nan());
}

/// `abs` at ±0 follows the sign bit (+1 at +0, −1 at −0), which keeps the second derivatives of
/// abs(x)² and abs(−x²) at 0 equal to 2 (closed form: both functions are x²), at +0 and at −0, with
/// nested duals. Away from 0 the tangent is sign(x)·x′ (seeded random cases).
#[test]
fn abs_at_signed_zero() {
    assert_eq!(D1::variable(0.0, 0).abs().eps, [1.0]);
    assert_eq!(D1::variable(-0.0, 0).abs().eps, [-1.0]);
    assert!(D1::variable(-0.0, 0).abs().re.is_sign_positive());
    for zero in [0.0, -0.0] {
        let x = DD::new(Dual::new(zero, [1.0]), [Dual::new(1.0, [0.0])]);
        let sq = x.abs() * x.abs();
        assert_eq!(sq.eps[0].eps[0], 2.0, "d²/dx² abs(x)² at {zero:?}");
        assert_eq!(sq.re.eps[0], 0.0, "d/dx abs(x)² at {zero:?}");
        let neg = (-(x * x)).abs();
        assert_eq!(neg.eps[0].eps[0], 2.0, "d²/dx² abs(−x²) at {zero:?}");
        assert_eq!(neg.re.re, 0.0);
    }
    let mut rng = Rng::for_test("abs");
    for _ in 0..CASES {
        let (x, t) = (rng.signed(1e-3, 10.0), rng.uniform(-1.0, 1.0));
        assert_eq!(D1::new(x, [t]).abs().eps, [x.signum() * t]);
    }
}

/// `sqrt` at 0 of a constant (zero tangent) has a zero tangent, not 0·∞ = NaN; of a variable, +∞.
/// The same for a function that does not depend on the singular input.
#[test]
fn sqrt_at_zero_constant_stays_zero() {
    let c = D2::constant(0.0).sqrt();
    assert_eq!((c.re, c.eps), (0.0, [0.0, 0.0]));
    let v = D2::variable(0.0, 0).sqrt();
    assert_eq!(v.eps, [f64::INFINITY, 0.0]);
    // f(x, y) = x + sqrt(y) at y = 0: ∂f/∂x = 1 exactly
    let (x, y) = (D2::variable(3.0, 0), D2::variable(0.0, 1));
    let f = x + y.sqrt();
    assert_eq!(f.eps[0], 1.0);
    assert_eq!(f.eps[1], f64::INFINITY);
    // and through further operations
    let g = (x * D2::constant(0.0).sqrt() + x).exp();
    assert_eq!(g.eps, [3.0f64.exp(), 0.0]);
}

/// A lane whose incoming tangents are all exactly 0 stays exactly 0, whatever the local derivative
/// (±∞ or NaN) in the other lanes: at the singular points of every rule (sqrt, cbrt, ln, log2,
/// log10, ln_1p, recip, powi, powf at 0, asin/acos/atanh at ±1, acosh at 1), and, as a sweep, for
/// every entry of the table at every pair of special inputs.
#[test]
fn one_bad_lane_does_not_poison_others() {
    type Case = (&'static str, fn(D2) -> D2, f64);
    let singular: [Case; 16] = [
        ("sqrt(0)", D2::sqrt, 0.0),
        ("cbrt(0)", D2::cbrt, 0.0),
        ("ln(0)", D2::ln, 0.0),
        ("log2(0)", D2::log2, 0.0),
        ("log10(0)", D2::log10, 0.0),
        ("ln_1p(−1)", D2::ln_1p, -1.0),
        ("recip(0)", D2::recip, 0.0),
        ("powi(0, −2)", |x| x.powi(-2), 0.0),
        ("powf(0, 0.5)", |x| x.powf(D2::constant(0.5)), 0.0),
        ("powf(0, −1.5)", |x| x.pow(-1.5), 0.0),
        ("acos(1)", D2::acos, 1.0),
        ("asin(1)", D2::asin, 1.0),
        ("asin(−1)", D2::asin, -1.0),
        ("atanh(1)", D2::atanh, 1.0),
        ("atanh(−1)", D2::atanh, -1.0),
        ("acosh(1)", D2::acosh, 1.0),
    ];
    for (name, f, x) in singular {
        let y = f(D2::new(x, [1.0, 0.0]));
        assert!(
            !y.eps[0].is_finite(),
            "{name}: the seeded lane should be singular, got {y:?}"
        );
        assert_eq!(
            y.eps[1].to_bits(),
            0,
            "{name}: the zero lane became {:e}",
            y.eps[1]
        );
        // and the other lane of a later operation with a regular variable is not poisoned
        let z = y * D2::new(2.0, [0.0, 1.0]) + D2::new(1.0, [0.0, 1.0]);
        assert!(
            same_f64(z.eps[1], y.re + 1.0) || y.re.is_infinite(),
            "{name}: the regular lane of y·z + w is {:e}",
            z.eps[1]
        );
    }
    // powf with a dual exponent at x = 0 < y: the exponent's lane is 0, the base's is ∞ or 0
    let (x, y) = (D2::variable(0.0, 0), D2::variable(0.5, 1));
    assert_eq!(x.powf(y).eps, [f64::INFINITY, 0.0]);

    // sweep: lane 1 has zero incoming tangents everywhere, so it must come out exactly 0
    for op in unary_entries() {
        for x in SPECIALS {
            let y = apply_unary(op, D2::new(x, [1.0, 0.0]));
            assert_eq!(
                y.eps[1], 0.0,
                "{op:?}({x:e}): zero lane became {:e}",
                y.eps[1]
            );
        }
    }
    for op in Binary::ALL {
        for x in SPECIALS {
            for y in SPECIALS {
                let r = apply_binary(op, D2::new(x, [1.0, 0.0]), D2::new(y, [-0.5, 0.0]));
                assert_eq!(
                    r.eps[1], 0.0,
                    "{op:?}({x:e}, {y:e}): zero lane became {:e}",
                    r.eps[1]
                );
            }
        }
    }
    for x in SPECIALS {
        for y in SPECIALS {
            for z in [0.0, 1.0, f64::INFINITY, f64::NAN] {
                let r =
                    D2::new(x, [1.0, 0.0]).mul_add(D2::new(y, [1.0, 0.0]), D2::new(z, [1.0, 0.0]));
                assert_eq!(
                    r.eps[1], 0.0,
                    "mul_add({x:e}, {y:e}, {z:e}): zero lane became {:e}",
                    r.eps[1]
                );
            }
        }
    }
}

/// The real part of every operation is the `f64` result bit for bit (no NaN where `f64` gives a
/// number or ±∞), on every pair of special inputs, for `Dual<f64, 2>` and nested duals; and the
/// named cases of §4. (`max`/`min`: the crate's, `f64::max` leaves the tie of ±0 unspecified.)
#[test]
fn values_match_f64_bit_for_bit() {
    let p = D1::variable(0.0, 0).powf(D1::constant(2.5));
    assert_eq!(
        (p.re.to_bits(), p.eps),
        (0.0f64.to_bits(), [0.0]),
        "powf(0, 2.5)"
    );
    assert_eq!(D1::variable(0.0, 0).pow(2.5).re, 0.0);
    assert_eq!(
        D1::variable(0.0, 0).powi(-1).re,
        f64::INFINITY,
        "powi(0, −1)"
    );
    assert_eq!(
        D1::variable(-0.0, 0).powi(-1).re,
        f64::NEG_INFINITY,
        "powi(−0, −1)"
    );
    let q = D1::variable(-2.0, 0).powf(D1::constant(3.0));
    assert_eq!(
        (q.re, q.eps),
        (-8.0, [12.0]),
        "powf(−2, 3.0): value and 3·(−2)²"
    );
    assert_eq!(D1::variable(-2.0, 0).pow(3.0).re, -8.0);
    // with a dual exponent (its tangent nonzero): the value is still −8
    assert_eq!(D1::constant(-2.0).powf(D1::variable(3.0, 0)).re, -8.0);

    let nested = |x: f64| DD::new(Dual::new(x, [1.0]), [Dual::new(1.0, [0.0])]);
    for op in unary_entries() {
        for x in SPECIALS {
            let want = apply_unary(op, x);
            let got = apply_unary(op, D2::new(x, [1.0, -1.0])).re;
            assert!(
                same_f64(got, want),
                "{op:?}({x:e}) = {got:e}, f64 gives {want:e}"
            );
            let got = apply_unary(op, nested(x)).re.re;
            assert!(
                same_f64(got, want),
                "nested {op:?}({x:e}) = {got:e}, f64 gives {want:e}"
            );
        }
    }
    for op in Binary::ALL {
        for x in SPECIALS {
            for y in SPECIALS {
                let want = f64_binary(op, x, y);
                let got = apply_binary(op, D2::new(x, [1.0, 0.5]), D2::new(y, [-1.0, 2.0])).re;
                assert!(
                    same_f64(got, want),
                    "{op:?}({x:e}, {y:e}) = {got:e}, f64 gives {want:e}"
                );
                let got = apply_binary(op, nested(x), nested(y)).re.re;
                assert!(
                    same_f64(got, want),
                    "nested {op:?}({x:e}, {y:e}) = {got:e}, f64 {want:e}"
                );
            }
        }
    }
    for x in SPECIALS {
        for y in SPECIALS {
            for z in SPECIALS {
                let want = x.mul_add(y, z);
                let got = apply_mul_add(
                    D2::new(x, [1.0, 0.0]),
                    D2::new(y, [0.0, 1.0]),
                    D2::constant(z),
                )
                .re;
                assert!(
                    same_f64(got, want),
                    "mul_add({x:e}, {y:e}, {z:e}) = {got:e}, f64 {want:e}"
                );
            }
        }
    }
}

/// `powi(x, 0)` is 1 with zero tangent for every x (0, ∞ and NaN included), also as `Pow<i32>`.
#[test]
fn powi_zero_exponent() {
    let mut rng = Rng::for_test("powi 0");
    let xs = SPECIALS
        .into_iter()
        .chain((0..CASES).map(|_| rng.uniform(-100.0, 100.0)));
    for x in xs.collect::<Vec<_>>() {
        for r in [
            D2::new(x, [1.0, -3.0]).powi(0),
            D2::new(x, [1.0, -3.0]).pow(0),
        ] {
            assert_eq!((r.re, r.eps), (1.0, [0.0, 0.0]), "powi({x:e}, 0)");
        }
    }
}

/// `powi` with the extreme exponents `i32::MIN` and `i32::MAX` does not overflow (n − 1) and has
/// the closed-form derivative n·xⁿ⁻¹ at x = ±1 (exactly ±n); elsewhere it is 0 or ±∞ without
/// panicking, with the value of `f64::powi`.
#[test]
fn powi_extreme_exponents() {
    for n in [i32::MIN, i32::MAX, i32::MIN + 1] {
        for x in [1.0, -1.0] {
            let r = D1::variable(x, 0).powi(n);
            // (−1)ⁿ⁻¹ = −1 for even n, +1 for odd n
            let sign = if x > 0.0 || n % 2 != 0 { 1.0 } else { -1.0 };
            let want = f64::from(n) * sign;
            assert_eq!((r.re, r.eps[0]), (x.powi(n), want), "powi({x}, {n})");
        }
        for x in SPECIALS {
            let r = D1::variable(x, 0).powi(n);
            assert!(same_f64(r.re, x.powi(n)), "powi({x:e}, {n})");
        }
    }
}

/// `powf(x, 0)` with a constant exponent is 1 with zero tangent for every x (including 0, where
/// y·x^(y−1) would be 0·∞), through `Float::powf` with a constant dual and `Pow<f64>`.
#[test]
fn powf_zero_exponent() {
    let mut rng = Rng::for_test("powf 0");
    let xs = SPECIALS
        .into_iter()
        .chain((0..CASES).map(|_| rng.uniform(-100.0, 100.0)));
    for x in xs.collect::<Vec<_>>() {
        let seeded = D2::new(x, [1.0, -3.0]);
        for r in [
            seeded.powf(D2::constant(0.0)),
            seeded.pow(0.0),
            seeded.powf(D2::zero()),
        ] {
            assert_eq!((r.re, r.eps), (1.0, [0.0, 0.0]), "powf({x:e}, 0)");
        }
    }
}

/// `powf(x, y)` with a dual exponent: against the closed form y·x^(y−1)·x′ + x^y·ln x·y′ on random
/// x > 0 (tolerance 4ε relative to the larger term: each term is ≤ 3 roundings off the closed form
/// computed the same way); the x^y·ln x term enters only lanes where y′ ≠ 0 (so a negative base with
/// a constant-valued dual exponent has a finite tangent); at x = 0 < y it is 0.
#[test]
fn powf_dual_exponent() {
    let mut rng = Rng::for_test("powf dual");
    for _ in 0..CASES {
        let (x, y) = (rng.uniform(0.1, 5.0), rng.uniform(-3.0, 3.0));
        let (dx, dy) = (rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0));
        let r = D1::new(x, [dx]).powf(D1::new(y, [dy]));
        let (tx, ty) = (y * x.powf(y - 1.0) * dx, x.powf(y) * x.ln() * dy);
        let want = tx + ty;
        assert!(
            close(r.eps[0], want, 4.0 * f64::EPSILON, tx.abs().max(ty.abs())),
            "powf({x}, {y}) with tangents ({dx}, {dy}): {:e}, closed form {want:e}",
            r.eps[0]
        );
        // and against finite differences along t ↦ (x + t·dx)^(y + t·dy)
        let fd = fd1(|t| (x + t * dx).powf(y + t * dy), 0.0);
        assert!(
            close(r.eps[0], fd, 1e-8, r.re.abs().max(1.0)),
            "powf FD at ({x}, {y})"
        );
    }
    // negative base, integral exponent, exponent a dual with zero tangents: finite, 3·(−2)² = 12
    let (x, y) = (D2::new(-2.0, [1.0, 0.0]), D2::new(3.0, [0.0, 0.0]));
    assert_eq!(x.powf(y).eps, [12.0, 0.0]);
    // … with the exponent seeded in lane 1 only: lane 0 stays 12, lane 1 is the NaN of ln(−2)
    let r = x.powf(D2::new(3.0, [0.0, 1.0]));
    assert_eq!(r.eps[0], 12.0);
    assert!(r.eps[1].is_nan());
    // x = 0 < y: the exponent's partial is 0 (limit of x^y ln x), the base's 2.5·0^1.5 = 0
    let r = D2::variable(0.0, 0).powf(D2::variable(2.5, 1));
    assert_eq!((r.re, r.eps), (0.0, [0.0, 0.0]));
    let r = D2::constant(0.0).powf(D2::variable(0.7, 1));
    assert_eq!(r.eps, [0.0, 0.0]);
}

/// `floor`, `ceil`, `round`, `trunc` and `signum` have a zero tangent and never panic: on random
/// and special inputs (NaN, ±∞, ±0, huge), with finite and non-finite incoming tangents
/// (`floor(sqrt(x))` at 0 carries an infinite one), values bit for bit as `f64`.
#[test]
fn floor_has_zero_tangent() {
    type Case = (Unary, fn(f64) -> f64);
    let ops: [Case; 5] = [
        (Unary::Floor, f64::floor),
        (Unary::Ceil, f64::ceil),
        (Unary::Round, f64::round),
        (Unary::Trunc, f64::trunc),
        (Unary::Signum, f64::signum),
    ];
    let mut rng = Rng::for_test("rounding");
    let mut xs = SPECIALS.to_vec();
    xs.extend((0..CASES).map(|_| rng.uniform(-50.0, 50.0)));
    for (op, f) in ops {
        for &x in &xs {
            for t in [1.0, -2.5, f64::INFINITY, f64::NAN] {
                let r = apply_unary(op, D2::new(x, [t, 0.0]));
                assert!(same_f64(r.re, f(x)), "{op:?}({x:e}) = {:e}", r.re);
                assert_eq!(
                    r.eps,
                    [0.0, 0.0],
                    "{op:?}({x:e}) with tangent {t}: {:?}",
                    r.eps
                );
            }
        }
    }
    let r = D1::variable(0.0, 0).sqrt().floor();
    assert_eq!(r.eps, [0.0], "floor(sqrt(x)) at 0");
}

/// `fract` passes the tangent through unchanged (derivative 1), with the value of `f64::fract`; a
/// constant stays a constant.
#[test]
fn fract_passes_tangent() {
    let mut rng = Rng::for_test("fract");
    for _ in 0..CASES {
        let (x, t) = (
            rng.uniform(-50.0, 50.0),
            [rng.uniform(-3.0, 3.0), rng.uniform(-3.0, 3.0)],
        );
        let r = D2::new(x, t).fract();
        assert!(same_f64(r.re, x.fract()));
        assert_eq!(r.eps, t);
        assert_eq!(D2::constant(x).fract().eps, [0.0, 0.0]);
    }
}

/// `a % b = a − trunc(a/b)·b` with tangent a′ − trunc(a/b)·b′ (closed form, 2ε relative to the
/// larger of |a′| and |trunc(a/b)·b′|: one rounding each for the product and the difference), for
/// random signs and magnitudes, in the forms `Dual % Dual`, `Dual % f64` and `f64 % Dual`, and
/// `%=`; values as `f64`'s `%`. Quickcheck, [`QC_CASES`] cases.
#[test]
fn rem_tangent() {
    fn prop(a: f64, b: f64, da: f64, db: f64) -> TestResult {
        let finite = [a, b, da, db]
            .iter()
            .all(|v| v.is_finite() && v.abs() < 1e100);
        if !finite || b == 0.0 || (a / b).abs() > 1e15 {
            return TestResult::discard();
        }
        let q = (a / b).trunc();
        let want = da - q * db;
        let scale = da.abs().max((q * db).abs());
        let ok = |r: D1, want: f64, scale: f64| {
            same_f64(r.re, a % b) && close(r.eps[0], want, 2.0 * f64::EPSILON, scale)
        };
        let mut m = D1::new(a, [da]);
        m %= b;
        TestResult::from_bool(
            ok(D1::new(a, [da]) % D1::new(b, [db]), want, scale)
                && ok(D1::new(a, [da]) % b, da, da.abs())
                && ok(a % D1::new(b, [db]), -q * db, (q * db).abs())
                && ok(m, da, da.abs()),
        )
    }
    qc().quickcheck(prop as fn(f64, f64, f64, f64) -> TestResult);
    // a hand-checked case: 7.5 % −2 = 1.5, trunc(7.5/−2) = −3: tangent a′ + 3b′
    let r = D2::new(7.5, [1.0, 0.0]) % D2::new(-2.0, [0.0, 1.0]);
    assert_eq!((r.re, r.eps), (1.5, [1.0, 3.0]));
}

/// `atan2(±0, ±0)`: the value of `f64::atan2` (±0 or ±π by the signs), zero partials.
#[test]
fn atan2_origin_zero_partials() {
    let mut rng = Rng::for_test("atan2 origin");
    for x in [0.0, -0.0] {
        for y in [0.0, -0.0] {
            for _ in 0..20 {
                let (s, t) = (rng.direction::<2>(), rng.direction::<2>());
                let r = D2::new(x, s).atan2(D2::new(y, t));
                assert!(same_f64(r.re, x.atan2(y)), "atan2({x:?}, {y:?}) = {}", r.re);
                assert_eq!(r.eps, [0.0, 0.0], "atan2({x:?}, {y:?})");
            }
        }
    }
}

/// `hypot(±0, ±0)`: value +0 as `f64::hypot`, zero partials.
#[test]
fn hypot_origin_zero_partials() {
    let mut rng = Rng::for_test("hypot origin");
    for x in [0.0, -0.0] {
        for y in [0.0, -0.0] {
            for _ in 0..20 {
                let (s, t) = (rng.direction::<2>(), rng.direction::<2>());
                let r = D2::new(x, s).hypot(D2::new(y, t));
                assert!(same_f64(r.re, x.hypot(y)));
                assert_eq!(r.eps, [0.0, 0.0], "hypot({x:?}, {y:?})");
            }
        }
    }
}

/// Every query answers for the real part only, as `f64` does, whatever the tangents (NaN, ∞):
/// `is_nan`, `is_infinite`, `is_finite`, `is_normal`, `is_subnormal`, `classify`,
/// `is_sign_positive/negative`, `integer_decode`, `Signed::is_positive/negative`, `is_zero` (the
/// value question, as generic code and nalgebra ask it), and every `ToPrimitive` conversion.
#[test]
fn queries_use_real_part() {
    let mut xs = SPECIALS.to_vec();
    xs.extend([f64::MIN_POSITIVE, 1e-320, -7.75, 4.5e18, -3e9, 255.9, 1e40]);
    for x in xs {
        for t in [[f64::NAN, 0.0], [f64::INFINITY, -1.0], [1.0, 2.0]] {
            let d = D2::new(x, t);
            let name = format!("{x:e} with tangents {t:?}");
            assert_eq!(d.is_nan(), x.is_nan(), "is_nan {name}");
            assert_eq!(d.is_infinite(), x.is_infinite(), "is_infinite {name}");
            assert_eq!(d.is_finite(), x.is_finite(), "is_finite {name}");
            assert_eq!(d.is_normal(), x.is_normal(), "is_normal {name}");
            assert_eq!(d.is_subnormal(), x.is_subnormal(), "is_subnormal {name}");
            assert_eq!(d.classify(), x.classify(), "classify {name}");
            assert_eq!(
                d.is_sign_positive(),
                x.is_sign_positive(),
                "is_sign_positive {name}"
            );
            assert_eq!(
                d.is_sign_negative(),
                x.is_sign_negative(),
                "is_sign_negative {name}"
            );
            assert_eq!(
                Float::integer_decode(d),
                Float::integer_decode(x),
                "integer_decode {name}"
            );
            assert_eq!(
                Signed::is_positive(&d),
                Signed::is_positive(&x),
                "is_positive {name}"
            );
            assert_eq!(
                Signed::is_negative(&d),
                Signed::is_negative(&x),
                "is_negative {name}"
            );
            assert_eq!(d.is_zero(), x == 0.0, "is_zero {name}");
            assert_eq!(
                d.to_f64().map(f64::to_bits),
                x.to_f64().map(f64::to_bits),
                "to_f64 {name}"
            );
            assert_eq!(
                d.to_f32().map(f32::to_bits),
                x.to_f32().map(f32::to_bits),
                "to_f32 {name}"
            );
            assert_eq!(d.to_i64(), x.to_i64(), "to_i64 {name}");
            assert_eq!(d.to_u64(), x.to_u64(), "to_u64 {name}");
            assert_eq!(d.to_i128(), x.to_i128(), "to_i128 {name}");
            assert_eq!(d.to_u128(), x.to_u128(), "to_u128 {name}");
            assert_eq!(d.to_i32(), x.to_i32(), "to_i32 {name}");
            assert_eq!(d.to_u32(), x.to_u32(), "to_u32 {name}");
            assert_eq!(d.to_isize(), x.to_isize(), "to_isize {name}");
            assert_eq!(d.to_usize(), x.to_usize(), "to_usize {name}");
            assert_eq!(d.to_i8(), x.to_i8(), "to_i8 {name}");
            assert_eq!(d.to_u16(), x.to_u16(), "to_u16 {name}");
        }
        assert_eq!(D2::constant(x).is_zero(), x == 0.0);
    }
    assert_eq!(D2::new(f64::NAN, [1.0, 1.0]).classify(), FpCategory::Nan);
}

/// `mul_add` is fused in the value and in every lane. Inputs where fused and unfused differ:
/// (1 + 2⁻²⁷)(1 − 2⁻²⁷) − 1 = −2⁻⁵⁴ exactly, while the unfused product rounds to 1 and gives 0.
/// Then, on random inputs where only one product feeds a lane, that lane must be the correctly
/// rounded `f64::mul_add` bit for bit, and the test asserts that a good share of those inputs do
/// tell fused from unfused (so it can fail).
#[test]
fn mul_add_is_fused_per_lane() {
    let (p, m) = (1.0 + 2f64.powi(-27), 1.0 - 2f64.powi(-27));
    assert_eq!(
        p * m - 1.0,
        0.0,
        "the unfused computation rounds the product"
    );
    assert_eq!(p.mul_add(m, -1.0), -(2f64.powi(-54)));
    // value: fma(p, m, −1); lane 0: x′ = 0, a′ = m, b′ = −1 → fma(p, m, −1); lane 1: x′ = p, a = m,
    // a′ = 0, b′ = −1 → fma(p, m, fma(p, 0, −1))
    let x = D2::new(p, [0.0, p]);
    let a = D2::new(m, [m, 0.0]);
    let b = D2::new(-1.0, [-1.0, -1.0]);
    let want = -(2f64.powi(-54));
    for (name, r) in [
        ("Float::mul_add", Float::mul_add(x, a, b)),
        (
            "num_traits::MulAdd::mul_add",
            num_traits::MulAdd::mul_add(x, a, b),
        ),
        ("MulAddAssign", {
            let mut y = x;
            y.mul_add_assign(a, b);
            y
        }),
    ] {
        assert_eq!((r.re, r.eps), (want, [want, want]), "{name}");
    }

    let mut rng = Rng::for_test("mul_add fused");
    let mut differ = 0;
    for _ in 0..CASES {
        let [x, a, b, t, s] = [(); 5].map(|_| rng.uniform(-10.0, 10.0));
        // lane 0 has only x·a′ + b′ (x′ = 0); lane 1 only x′·a + b′ (a′ = 0)
        let r = Float::mul_add(
            D2::new(x, [0.0, t]),
            D2::new(a, [s, 0.0]),
            D2::new(b, [b, b]),
        );
        assert!(same_f64(r.re, x.mul_add(a, b)));
        assert!(
            same_f64(r.eps[0], x.mul_add(s, b)),
            "lane 0 at {x}, {s}, {b}"
        );
        assert!(
            same_f64(r.eps[1], t.mul_add(a, b)),
            "lane 1 at {t}, {a}, {b}"
        );
        differ += usize::from(x.mul_add(s, b) != x * s + b);
    }
    assert!(
        differ > CASES / 10,
        "only {differ} of {CASES} random cases tell fused from unfused"
    );
}

/// Perturbation confusion: d/dx [x · d/dy (x + y)] = 1 (at any x, any y). The inner derivative runs
/// on `Dual<Dual<f64, 1>, 1>` and x enters it lifted by `Dual::constant`; taking the inner
/// derivative on the same level as the outer one instead gives the wrong 2.
#[test]
fn perturbation_confusion() {
    type Outer = Dual<f64, 1>;
    type Inner = Dual<Outer, 1>;
    fn d_dy_x_plus_y(x: Outer, y: f64) -> Outer {
        let x = Inner::constant(x); // lifting: x is a constant of the inner differentiation
        let y = Inner::variable(Outer::constant(y), 0);
        (x + y).eps[0]
    }
    let mut rng = Rng::for_test("perturbation confusion");
    for _ in 0..CASES {
        let (x0, y0) = (rng.uniform(-10.0, 10.0), rng.uniform(-10.0, 10.0));
        let x = Outer::variable(x0, 0);
        let r = x * d_dy_x_plus_y(x, y0);
        assert_eq!((r.re, r.eps), (x0, [1.0]), "at x = {x0}, y = {y0}");
        // the confusion this prevents: the inner derivative on the outer level also sees x′
        let confused = (x + Outer::variable(y0, 0)).eps[0];
        assert_eq!((x * Outer::constant(confused)).eps, [2.0]);
    }
}

/// `tan`, `tanh`, `atan2`, `hypot`, `exp_m1`, `ln_1p` have their own accurate rules: values and
/// tangents stay accurate (8ε relative, a few roundings of accurately computed library functions)
/// where a composition would lose them, against independent closed forms: `exp_m1`/`ln_1p` at
/// tiny x (exp(x) − 1 and ln(1 + x) give 0), tan′ near the poles (vs 1/cos²x), tanh′ in the tails
/// (vs 4e^(−2|x|)/(1 + e^(−2|x|))², where 1 − tanh²x cancels to 0), and atan2/hypot partials at
/// coordinates of magnitude 1e±300 (where x² + y² over- or underflows). Seeded, [`CASES`] each.
#[test]
fn own_rules_accurate_where_compositions_fail() {
    let mut rng = Rng::for_test("own rules");
    let tol = 8.0 * f64::EPSILON;
    for _ in 0..CASES {
        // |x| log-uniform in [1e-300, 1e-17]: e^x − 1 = x and ln(1 + x) = x to x²/2 (relative
        // |x|/2 < ε/40), and both derivatives are 1 to within |x| < ε/20; 1 + x rounds to 1
        let x = 10f64.powf(-rng.uniform(17.0, 300.0)) * if rng.unit() < 0.5 { 1.0 } else { -1.0 };
        let e = D1::variable(x, 0).exp_m1();
        assert!(
            close(e.re, x, tol, 0.0) && close(e.eps[0], 1.0, tol, 0.0),
            "exp_m1({x:e})"
        );
        let l = D1::variable(x, 0).ln_1p();
        assert!(
            close(l.re, x, tol, 0.0) && close(l.eps[0], 1.0, tol, 0.0),
            "ln_1p({x:e})"
        );

        // tan near ±π/2 (down to 1e-9 from the pole)
        let t = rng.signed(0.0, 1.0) * (core::f64::consts::FRAC_PI_2 - rng.uniform(1e-9, 0.5));
        let d = D1::variable(t, 0).tan().eps[0];
        let want = t.cos().powi(2).recip();
        assert!(
            close(d, want, tol, 0.0),
            "tan′({t:e}) = {d:e}, 1/cos² = {want:e}"
        );

        // tanh in the tails, up to |x| = 300 (sech² ≈ 4e-261)
        let x = rng.signed(0.0, 300.0);
        let d = D1::variable(x, 0).tanh().eps[0];
        let q = (-2.0 * x.abs()).exp();
        let want = 4.0 * q / ((1.0 + q) * (1.0 + q));
        assert!(
            close(d, want, tol, 0.0),
            "tanh′({x:e}) = {d:e}, closed form {want:e}"
        );

        // atan2 and hypot with huge and tiny coordinates: scale (a, b) by s
        let (a, b) = (rng.signed(0.1, 1.0), rng.signed(0.1, 1.0));
        for s in [1e300, 1e-300, 1.0] {
            let (x, y) = (D2::variable(s * a, 0), D2::variable(s * b, 1));
            let n2 = a * a + b * b;
            let at = x.atan2(y);
            // ∂atan2(x, y) = (y, −x)/(x² + y²) = (b, −a)/(s·(a² + b²))
            for (k, want) in [b / n2 / s, -a / n2 / s].into_iter().enumerate() {
                assert!(
                    close(at.eps[k], want, tol, 0.0),
                    "∂{k} atan2 at scale {s:e}"
                );
            }
            let h = x.hypot(y);
            // ∂hypot = (x, y)/hypot = (a, b)/√(a² + b²), scale-free
            for (k, want) in [a / n2.sqrt(), b / n2.sqrt()].into_iter().enumerate() {
                assert!(close(h.eps[k], want, tol, 0.0), "∂{k} hypot at scale {s:e}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The other traits
// ---------------------------------------------------------------------------------------------

/// Every `Float` method can be called on a dual without panicking, on special and ordinary inputs,
/// and gives the `f64` value (for `max`/`min`, the crate's at a tie of ±0); the constants (`nan`, `infinity`, `neg_infinity`, `neg_zero`,
/// `min_value`, `min_positive_value`, `epsilon`, `max_value`, `zero`, `one`) are the `f64` ones with
/// zero tangents.
#[test]
fn every_float_method_callable() {
    let constants: [(&str, D2, f64); 10] = [
        ("nan", D2::nan(), f64::nan()),
        ("infinity", D2::infinity(), f64::INFINITY),
        ("neg_infinity", D2::neg_infinity(), f64::NEG_INFINITY),
        ("neg_zero", D2::neg_zero(), -0.0),
        ("min_value", Float::min_value(), f64::MIN),
        (
            "min_positive_value",
            D2::min_positive_value(),
            f64::MIN_POSITIVE,
        ),
        ("epsilon", D2::epsilon(), f64::EPSILON),
        ("max_value", Float::max_value(), f64::MAX),
        ("zero", D2::zero(), 0.0),
        ("one", D2::one(), 1.0),
    ];
    for (name, d, want) in constants {
        assert!(same_f64(d.re, want), "{name}");
        assert_eq!(d.eps, [0.0, 0.0], "{name}");
    }
    for x in SPECIALS {
        for y in SPECIALS {
            let (a, b) = (D2::new(x, [1.0, 0.0]), D2::new(y, [0.0, 1.0]));
            let check = |name: &str, got: D2, want: f64| {
                assert!(
                    same_f64(got.re, want),
                    "{name}({x:e}, {y:e}) = {:e}, f64 {want:e}",
                    got.re
                )
            };
            check("sin_cos.0", a.sin_cos().0, x.sin_cos().0);
            check("sin_cos.1", a.sin_cos().1, x.sin_cos().1);
            check("powf", a.powf(b), x.powf(y));
            check("log", a.log(b), x.log(y));
            check("atan2", a.atan2(b), x.atan2(y));
            check("hypot", a.hypot(b), x.hypot(y));
            check("max", a.max(b), ieee_max(x, y));
            check("min", a.min(b), ieee_min(x, y));
            #[allow(deprecated)]
            check("abs_sub", a.abs_sub(b), x.abs_sub(y));
            check("mul_add", a.mul_add(b, a), x.mul_add(y, x));
            check("powi", a.powi(y as i32), x.powi(y as i32));
            check("copysign", a.copysign(b), x.copysign(y));
            check(
                "clamp",
                a.clamp(D2::constant(-1.0), D2::constant(2.0)),
                x.clamp(-1.0, 2.0),
            );
        }
        // the methods with one argument go through `apply_unary` in `values_match_f64_bit_for_bit`;
        // the remaining provided ones:
        let a = D2::new(x, [1.0, 0.0]);
        assert!(same_f64(Float::recip(a).re, x.recip()));
        assert!(same_f64(a.to_degrees().re, x.to_degrees()));
        assert!(same_f64(a.to_radians().re, x.to_radians()));
    }
}

/// `Num::from_str_radix` parses a constant (zero tangents) as `f64` does, errors included.
#[test]
fn num_from_str_radix() {
    for (s, radix) in [
        ("2.5", 10),
        ("-1e3", 10),
        ("inf", 10),
        ("ff", 16),
        ("A.8", 16),
        ("101", 2),
    ] {
        let d = D2::from_str_radix(s, radix).unwrap();
        let f = f64::from_str_radix(s, radix).unwrap();
        assert!(same_f64(d.re, f), "{s} in base {radix}");
        assert_eq!(d.eps, [0.0, 0.0]);
    }
    assert!(D2::from_str_radix("2.5.1", 10).is_err());
    assert!(D2::from_str_radix("", 10).is_err());
}

/// `NumCast::from` and `FromPrimitive` make constants as `f64` converts; casting a dual to a
/// primitive converts its real part.
#[test]
fn numcast_and_from_primitive() {
    let d: D2 = num_traits::NumCast::from(3u8).unwrap();
    assert_eq!((d.re, d.eps), (3.0, [0.0, 0.0]));
    let d: D2 = num_traits::NumCast::from(-7i64).unwrap();
    assert_eq!(d.re, -7.0);
    let d: D2 = num_traits::NumCast::from(0.1f32).unwrap();
    assert_eq!(d.re, f64::from(0.1f32));
    let d: Dual<f32, 1> = num_traits::NumCast::from(1e300f64).unwrap();
    assert_eq!(d.re, f32::INFINITY, "as f64 → f32 does");
    let d: D2 = num_traits::NumCast::from(u128::MAX).unwrap();
    assert_eq!(d.re, u128::MAX as f64);
    // a dual as the source: its real part
    let i: i32 = num_traits::NumCast::from(D2::new(-3.7, [1.0, 2.0])).unwrap();
    assert_eq!(i, -3);
    let f: f32 = num_traits::cast(D2::new(2.5, [1.0, 2.0])).unwrap();
    assert_eq!(f, 2.5);
    let back: D1 = num_traits::NumCast::from(D2::new(2.5, [1.0, 2.0])).unwrap();
    assert_eq!(
        (back.re, back.eps),
        (2.5, [0.0]),
        "a cast drops the tangents"
    );

    assert_eq!(D2::from_i64(-5).unwrap().re, -5.0);
    assert_eq!(D2::from_u64(u64::MAX).unwrap().re, u64::MAX as f64);
    assert_eq!(D2::from_i128(-1).unwrap().re, -1.0);
    assert_eq!(D2::from_u128(1 << 100).unwrap().re, 2f64.powi(100));
    assert_eq!(D2::from_f32(0.5).unwrap().re, 0.5);
    assert!(D2::from_f64(f64::NAN).unwrap().re.is_nan());
    assert_eq!(D2::from_i32(7).unwrap().eps, [0.0, 0.0]);
    assert_eq!(D2::from_usize(9).unwrap().re, 9.0);
}

/// `ToPrimitive` converts the real part (checked in detail in `queries_use_real_part`); out of
/// range and NaN give `None`.
#[test]
fn to_primitive() {
    let d = D2::new(300.7, [1.0, -1.0]);
    assert_eq!(
        (d.to_i64(), d.to_u8(), d.to_i16()),
        (Some(300), None, Some(300))
    );
    assert_eq!(D2::nan().to_i32(), None);
    assert_eq!(D2::new(-1.0, [1.0, 1.0]).to_u32(), None);
}

/// `Signed`: `abs`, `signum`, `abs_sub` as the `Float` ones (tangents included), `is_positive`/
/// `is_negative` on the real part exactly as num-traits answers for `f64` (the sign bit).
#[test]
fn signed_trait() {
    let mut rng = Rng::for_test("signed");
    for _ in 0..CASES {
        let (x, y) = (rng.signed(0.01, 10.0), rng.signed(0.01, 10.0));
        let (a, b) = (D2::new(x, [1.0, 0.5]), D2::new(y, [-2.0, 3.0]));
        assert_eq!(Signed::abs(&a).eps, Float::abs(a).eps);
        assert_eq!(Signed::abs(&a).eps, [x.signum(), 0.5 * x.signum()]);
        assert_eq!(Signed::signum(&a).re, x.signum());
        assert_eq!(Signed::signum(&a).eps, [0.0, 0.0]);
        let s = Signed::abs_sub(&a, &b);
        let want = if x > y { [3.0, -2.5] } else { [0.0, 0.0] };
        assert_eq!((s.re, s.eps), (Signed::abs_sub(&x, &y), want));
        assert_eq!(a.is_positive(), x > 0.0);
        assert_eq!(a.is_negative(), x < 0.0);
    }
    // as num-traits answers for f64: the sign bit (+0 is positive, −0 negative)
    for x in [0.0, -0.0, f64::NAN, -f64::NAN, f64::INFINITY] {
        let d = D2::new(x, [1.0, -1.0]);
        assert_eq!(
            d.is_positive(),
            Signed::is_positive(&x),
            "is_positive({x:?})"
        );
        assert_eq!(
            d.is_negative(),
            Signed::is_negative(&x),
            "is_negative({x:?})"
        );
    }
}

/// `FloatConst`: the constants of `f64`, zero tangents.
#[test]
fn float_const_trait() {
    let pairs: [(D2, f64); 19] = [
        (D2::E(), f64::E()),
        (D2::FRAC_1_PI(), f64::FRAC_1_PI()),
        (D2::FRAC_1_SQRT_2(), f64::FRAC_1_SQRT_2()),
        (D2::FRAC_2_PI(), f64::FRAC_2_PI()),
        (D2::FRAC_2_SQRT_PI(), f64::FRAC_2_SQRT_PI()),
        (D2::FRAC_PI_2(), f64::FRAC_PI_2()),
        (D2::FRAC_PI_3(), f64::FRAC_PI_3()),
        (D2::FRAC_PI_4(), f64::FRAC_PI_4()),
        (D2::FRAC_PI_6(), f64::FRAC_PI_6()),
        (D2::FRAC_PI_8(), f64::FRAC_PI_8()),
        (D2::LN_10(), f64::LN_10()),
        (D2::LN_2(), f64::LN_2()),
        (D2::LOG10_E(), f64::LOG10_E()),
        (D2::LOG2_E(), f64::LOG2_E()),
        (D2::PI(), f64::PI()),
        (D2::SQRT_2(), f64::SQRT_2()),
        (D2::TAU(), f64::TAU()),
        (D2::LOG10_2(), f64::LOG10_2()),
        (D2::LOG2_10(), f64::LOG2_10()),
    ];
    for (d, f) in pairs {
        assert_eq!((d.re, d.eps), (f, [0.0, 0.0]));
    }
}

/// `Bounded`: `f64::MIN`/`MAX`, zero tangents.
#[test]
fn bounded_trait() {
    let (lo, hi): (D2, D2) = (Bounded::min_value(), Bounded::max_value());
    assert_eq!(
        (lo.re, lo.eps, hi.re, hi.eps),
        (f64::MIN, [0.0; 2], f64::MAX, [0.0; 2])
    );
}

/// `Inv` is `recip`: 1/x with tangent −x′/x² (closed form, 2ε relative).
#[test]
fn inv_trait() {
    let mut rng = Rng::for_test("inv");
    for _ in 0..CASES {
        let (x, t) = (rng.signed(0.1, 10.0), rng.uniform(-1.0, 1.0));
        let r = D1::new(x, [t]).inv();
        assert!(same_f64(r.re, 1.0 / x));
        assert!(close(r.eps[0], -t / (x * x), 2.0 * f64::EPSILON, 0.0));
    }
}

/// `Pow<i32>`, `Pow<Dual>`, `Pow<f64>` (and `Pow<f32>` on `Dual<f32, N>`) agree bit for bit with
/// `powi`/`powf`, tangents included.
#[test]
fn pow_traits() {
    let mut rng = Rng::for_test("pow");
    for _ in 0..CASES {
        let (x, y, n) = (
            rng.uniform(0.1, 5.0),
            rng.uniform(-3.0, 3.0),
            rng.below(11) as i32 - 5,
        );
        let a = D2::new(x, [1.0, 0.0]);
        let b = D2::new(y, [0.0, 1.0]);
        let same = |p: D2, q: D2| {
            same_f64(p.re, q.re) && p.eps.iter().zip(&q.eps).all(|(u, v)| same_f64(*u, *v))
        };
        assert!(same(a.pow(n), a.powi(n)), "Pow<i32> at {x}, {n}");
        assert!(same(a.pow(b), a.powf(b)), "Pow<Dual> at {x}, {y}");
        assert!(
            same(a.pow(y), a.powf(D2::constant(y))),
            "Pow<f64> at {x}, {y}"
        );
        let a32 = Dual::<f32, 1>::variable(x as f32, 0);
        let p = a32.pow(y as f32);
        assert_eq!(p.re.to_bits(), (x as f32).powf(y as f32).to_bits());
        assert_eq!(p.eps, a32.powf(Dual::constant(y as f32)).eps);
    }
}

/// `MulAdd`/`MulAddAssign` are `Float::mul_add` (fusedness is in `mul_add_is_fused_per_lane`).
#[test]
fn mul_add_trait() {
    let mut rng = Rng::for_test("MulAdd");
    for _ in 0..CASES {
        let d: [D2; 3] =
            core::array::from_fn(|_| D2::new(rng.uniform(-5.0, 5.0), rng.direction::<2>()));
        let (u, v) = (
            num_traits::MulAdd::mul_add(d[0], d[1], d[2]),
            Float::mul_add(d[0], d[1], d[2]),
        );
        assert_eq!((u.re.to_bits(), u.eps), (v.re.to_bits(), v.eps));
        let mut w = d[0];
        w.mul_add_assign(d[1], d[2]);
        assert_eq!((w.re.to_bits(), w.eps), (v.re.to_bits(), v.eps));
    }
}

/// `Euclid`: values as `f64::div_euclid`/`rem_euclid` on random signs; `div_euclid` is piecewise
/// constant (zero tangent); `rem_euclid(a, b) = a − q·b` has tangent a′ − q·b′ (closed form, 2ε
/// relative to the larger term).
#[test]
fn euclid_trait() {
    let mut rng = Rng::for_test("Euclid");
    for _ in 0..CASES {
        let (x, y) = (rng.uniform(-20.0, 20.0), rng.signed(0.3, 5.0));
        let (s, t) = (rng.direction::<2>(), rng.direction::<2>());
        let (a, b) = (D2::new(x, s), D2::new(y, t));
        let q = Euclid::div_euclid(&a, &b);
        assert!(same_f64(q.re, x.div_euclid(y)), "div_euclid({x}, {y})");
        assert_eq!(q.eps, [0.0, 0.0]);
        let r = Euclid::rem_euclid(&a, &b);
        assert!(same_f64(r.re, x.rem_euclid(y)), "rem_euclid({x}, {y})");
        let qv = x.div_euclid(y);
        for i in 0..2 {
            let want = s[i] - qv * t[i];
            assert!(close(
                r.eps[i],
                want,
                2.0 * f64::EPSILON,
                s[i].abs().max((qv * t[i]).abs())
            ));
        }
    }
}

/// `Sum` and `Product` (by value and by reference) have the values of `f64`'s (the empty sum is
/// −0.0 on current Rust, the empty product 1) and add/multiply the tangents by the sum and
/// product rules (closed form; the product rule to 1e-14 relative for ≤ 8 factors in [0.5, 2]).
#[test]
fn sum_and_product() {
    let mut rng = Rng::for_test("Sum Product");
    for len in 0..9 {
        let xs: Vec<D2> = (0..len)
            .map(|_| D2::new(rng.signed(0.5, 2.0), rng.direction::<2>()))
            .collect();
        let re: Vec<f64> = xs.iter().map(|d| d.re).collect();
        let s: D2 = xs.iter().copied().sum();
        let s_ref: D2 = xs.iter().sum();
        assert!(
            same_f64(s.re, re.iter().copied().sum::<f64>()),
            "sum of {len}"
        );
        assert!(same_f64(s_ref.re, s.re) && s_ref.eps == s.eps);
        for i in 0..2 {
            assert!(close(
                s.eps[i],
                xs.iter().map(|d| d.eps[i]).sum::<f64>(),
                4.0 * f64::EPSILON,
                1.0
            ));
        }
        let p: D2 = xs.iter().copied().product();
        let p_ref: D2 = xs.iter().product();
        assert!(
            same_f64(p.re, re.iter().copied().product::<f64>()),
            "product of {len}"
        );
        assert!(same_f64(p_ref.re, p.re) && p_ref.eps == p.eps);
        for i in 0..2 {
            // d∏ = Σ_k x′_k ∏_{j≠k} x_j
            let want: f64 = (0..len)
                .map(|k| {
                    xs[k].eps[i] * (0..len).filter(|&j| j != k).map(|j| re[j]).product::<f64>()
                })
                .sum();
            assert!(
                close(p.eps[i], want, 1e-14, p.re.abs()),
                "product rule, {len} factors"
            );
        }
    }
}

/// `Default` is the constant +0.
#[test]
fn default_is_zero_constant() {
    let d = D2::default();
    assert_eq!((d.re.to_bits(), d.eps), (0.0f64.to_bits(), [0.0, 0.0]));
}

/// `Display`: `re + [eps₀, eps₁]ε`, a precision applying to every part; nested duals print nested.
#[test]
fn display_format() {
    let y = D2::new(11.652071455223084, [5.5, 1.7163378145367738]);
    assert_eq!(format!("{y:.3}"), "11.652 + [5.500, 1.716]ε");
    assert_eq!(format!("{}", D1::new(2.0, [-0.5])), "2 + [-0.5]ε");
    assert_eq!(format!("{}", Dual::<f64, 0>::constant(1.5)), "1.5 + []ε");
    let n = DD::new(Dual::new(1.0, [2.0]), [Dual::new(3.0, [4.0])]);
    assert_eq!(format!("{n:.1}"), "1.0 + [2.0]ε + [3.0 + [4.0]ε]ε");
}

/// `Dual<Dual<f64, 2>, 3>: Float` (a compile-time check), and it computes: the mixed second
/// derivatives of x·y·z at (2, 3, 5) (closed form ∂²/∂x∂y = z etc.).
#[test]
fn nested_dual_is_float() {
    fn assert_float<T: Float>() {}
    assert_float::<Dual<Dual<f64, 2>, 3>>();
    assert_float::<Dual<Dual<Dual<f32, 1>, 1>, 1>>();
    type N = Dual<Dual<f64, 2>, 3>;
    // inner lanes: ∂/∂x, ∂/∂y; outer lanes: ∂/∂x, ∂/∂y, ∂/∂z
    let x = N::new(
        Dual::new(2.0, [1.0, 0.0]),
        [Dual::new(1.0, [0.0, 0.0]), Dual::zero(), Dual::zero()],
    );
    let y = N::new(
        Dual::new(3.0, [0.0, 1.0]),
        [Dual::zero(), Dual::new(1.0, [0.0, 0.0]), Dual::zero()],
    );
    let z = N::new(
        Dual::constant(5.0),
        [Dual::zero(), Dual::zero(), Dual::new(1.0, [0.0, 0.0])],
    );
    let f = x * y * z;
    assert_eq!(f.re.re, 30.0);
    assert_eq!(f.re.eps, [15.0, 10.0]);
    // outer lane k, inner lane i: ∂²f/∂k∂i
    assert_eq!(f.eps[0].eps, [0.0, 5.0]); // ∂²/∂x², ∂²/∂x∂y
    assert_eq!(f.eps[1].eps, [5.0, 0.0]);
    assert_eq!(f.eps[2].eps, [3.0, 2.0]); // ∂²/∂z∂x = y, ∂²/∂z∂y = x
}
