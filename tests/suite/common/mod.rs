//! Shared helpers of the integration tests (forward and reverse suites alike): a seeded random
//! generator, Richardson-extrapolated central differences (the independent oracle for every
//! derivative), closeness checks, and the application of rule-table entries through the public
//! `Float` API.
//!
//! Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

pub mod domains;
pub mod functions;

use nilpotent::Elementary;
use nilpotent::rules::{Binary, Unary};
use num_traits::{Euclid, Float};

/// Default seed of [`Rng::for_test`]. Override it with the environment variable
/// `NILPOTENT_TEST_SEED` (a decimal `u64`) to explore other inputs; failure messages print the
/// inputs, so a failure found that way can be turned into a fixed case.
pub const DEFAULT_SEED: u64 = 0x6e69_6c70_6f74_656e; // "nilpoten"

/// SplitMix64: small, fast, and good enough to spread test inputs over an interval. Deterministic for
/// a given seed, so every failure is reproducible.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for one test: the seed (default or `NILPOTENT_TEST_SEED`) mixed with the test's
    /// `salt`, so that different tests draw different inputs.
    pub fn for_test(salt: &str) -> Self {
        let seed = std::env::var("NILPOTENT_TEST_SEED")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(DEFAULT_SEED);
        let mut h = seed;
        for b in salt.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng::new(h)
    }

    /// A generator with the fixed state `seed` (not affected by `NILPOTENT_TEST_SEED`): the same
    /// stream on every run and every machine.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [a, b).
    pub fn uniform(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.unit()
    }

    /// A random sign times a magnitude uniform in [a, b): keeps away from 0 by `a`.
    pub fn signed(&mut self, a: f64, b: f64) -> f64 {
        let m = self.uniform(a, b);
        if self.next_u64() & 1 == 0 { m } else { -m }
    }

    /// A random direction with entries uniform in [−1, 1).
    pub fn direction<const N: usize>(&mut self) -> [f64; N] {
        core::array::from_fn(|_| self.uniform(-1.0, 1.0))
    }

    /// A random index in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A random integer in [lo, hi] (both ends included).
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % ((hi - lo + 1) as u64)) as i64
    }

    /// `n` values uniform in [a, b).
    pub fn vec(&mut self, n: usize, a: f64, b: f64) -> Vec<f64> {
        (0..n).map(|_| self.uniform(a, b)).collect()
    }
}

/// The finite-difference step for a point whose coordinates have magnitude up to `scale`:
/// `1e-3 · max(1, scale)`.
///
/// With two Richardson levels the truncation error is O(h⁶) (≈ 1e-18·|f⁽⁷⁾| for h = 1e-3) and the
/// rounding error about 10·ε·|f|/h ≈ 2e-12·|f|, so this step balances both far below the 1e-8
/// tolerances of the tests, as long as the function is smooth on [x − h, x + h] (the input
/// generators keep every sample at least 0.05 away from singularities and jumps).
pub fn step(scale: f64) -> f64 {
    1e-3 * scale.abs().max(1.0)
}

/// The derivative at 0 of `g`, by central differences with two levels of Richardson extrapolation:
///
/// ```text
/// D(h)  = (g(h) − g(−h)) / 2h                  error O(h²)
/// D₁(h) = (4·D(h/2) − D(h)) / 3                error O(h⁴)
/// D₂(h) = (16·D₁(h/2) − D₁(h)) / 15            error O(h⁶)
/// ```
pub fn richardson(mut g: impl FnMut(f64) -> f64, h: f64) -> f64 {
    let mut d = |h: f64| (g(h) - g(-h)) / (2.0 * h);
    let (d0, d1, d2) = (d(h), d(h / 2.0), d(h / 4.0));
    let r0 = (4.0 * d1 - d0) / 3.0;
    let r1 = (4.0 * d2 - d1) / 3.0;
    (16.0 * r1 - r0) / 15.0
}

/// The derivative of a scalar function `f` at `x` (step [`step`]`(x)`).
pub fn fd1(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    richardson(|t| f(x + t), step(x))
}

/// The directional derivative of `f: ℝⁿ → ℝ` at `x` along `u` (step from the largest |xᵢ|).
pub fn fd_dir(f: impl Fn(&[f64]) -> f64, x: &[f64], u: &[f64]) -> f64 {
    assert_eq!(x.len(), u.len(), "fd_dir: x and u have different lengths");
    let scale = x.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let mut buf = vec![0.0; x.len()];
    richardson(
        |t| {
            for ((b, xi), ui) in buf.iter_mut().zip(x).zip(u) {
                *b = xi + t * ui;
            }
            f(&buf)
        },
        step(scale),
    )
}

/// The partial derivative ∂f/∂xⱼ of `f: ℝⁿ → ℝ` at `x`: [`fd_dir`] along the unit vector eⱼ (the
/// same step, from the largest |xᵢ|), but moving only coordinate j, so that each evaluation costs
/// one call of `f` and not an extra pass over x (this matters for n = 1000 in debug builds).
pub fn fd_partial(f: impl Fn(&[f64]) -> f64, x: &[f64], j: usize) -> f64 {
    assert!(
        j < x.len(),
        "fd_partial: index {j} out of range for {} inputs",
        x.len()
    );
    let scale = x.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let mut buf = x.to_vec();
    richardson(
        |t| {
            buf[j] = x[j] + t;
            f(&buf)
        },
        step(scale),
    )
}

/// The gradient of `f: ℝⁿ → ℝ` at `x`, one Richardson difference per coordinate.
pub fn fd_gradient(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    (0..x.len()).map(|j| fd_partial(&f, x, j)).collect()
}

/// The Jacobian (m × n, row-major `jac[i][j] = ∂fᵢ/∂xⱼ`) of `f: ℝⁿ → ℝᵐ` at `x`: for each
/// coordinate the same two-level Richardson difference as [`richardson`], applied to all m outputs
/// from the same 6 evaluations.
pub fn fd_jacobian(f: impl Fn(&[f64]) -> Vec<f64>, x: &[f64]) -> Vec<Vec<f64>> {
    let scale = x.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    fd_jacobian_step(f, x, step(scale))
}

/// [`fd_jacobian`] with the step `h` given (for instance half the default step, to see whether the
/// differences have converged).
pub fn fd_jacobian_step(f: impl Fn(&[f64]) -> Vec<f64>, x: &[f64], h: f64) -> Vec<Vec<f64>> {
    let m = f(x).len();
    let mut jac = vec![vec![0.0; x.len()]; m];
    let mut buf = x.to_vec();
    for j in 0..x.len() {
        let mut d = |h: f64| {
            buf[j] = x[j] + h;
            let p = f(&buf);
            buf[j] = x[j] - h;
            let q = f(&buf);
            buf[j] = x[j];
            p.iter()
                .zip(&q)
                .map(|(a, b)| (a - b) / (2.0 * h))
                .collect::<Vec<f64>>()
        };
        let (d0, d1, d2) = (d(h), d(h / 2.0), d(h / 4.0));
        for i in 0..m {
            let r0 = (4.0 * d1[i] - d0[i]) / 3.0;
            let r1 = (4.0 * d2[i] - d1[i]) / 3.0;
            jac[i][j] = (16.0 * r1 - r0) / 15.0;
        }
    }
    jac
}

/// |a − b| ≤ rtol · max(|a|, |b|, floor): relative for large values, absolute (`rtol·floor`) near 0.
pub fn close(a: f64, b: f64, rtol: f64, floor: f64) -> bool {
    (a - b).abs() <= rtol * a.abs().max(b.abs()).max(floor)
}

/// Panics with a message naming `what` unless [`close`] holds.
#[track_caller]
pub fn assert_close(a: f64, b: f64, rtol: f64, floor: f64, what: &str) {
    assert!(
        close(a, b, rtol, floor),
        "{what}: {a:e} vs {b:e} (difference {:e}, allowed {rtol:e} relative, floor {floor:e})",
        (a - b).abs()
    );
}

/// The relative error |a − b| / max(|a|, |b|, floor) (for reporting the worst case seen).
pub fn rel_err(a: f64, b: f64, floor: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(floor)
}

/// Bit-for-bit equality of two `f64`, with every NaN equal to every NaN (payloads are not specified
/// by IEEE for most operations).
pub fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Equal as numbers (+0 equals −0), or both NaN: weaker than [`same_f64`]. For comparing the
/// partials of reverse and forward mode, which may differ in the sign of a zero partial (e.g.
/// ∂/∂x of `x.powf(y)` at y = 0: +0 in reverse, −0 in forward), as the two modes combine the
/// contributions to an input differently; the design fixes values bit for bit, not signs of zero
/// partials across modes.
pub fn same_value(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Bit-for-bit equality of two `f32`, NaNs equal.
pub fn same_f32(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// The distance in units in the last place between two finite `f64` of the same sign (0 for equal
/// values, including +0 and −0).
pub fn ulps(a: f64, b: f64) -> u64 {
    if a == b {
        return 0;
    }
    let key = |x: f64| {
        let i = x.to_bits() as i64;
        if i < 0 { i64::MIN - i } else { i }
    };
    key(a).abs_diff(key(b))
}

/// Records the worst relative error seen by a family of checks, to print it (`--nocapture`) next to
/// the tolerance it is held to.
#[derive(Debug, Default)]
pub struct Worst {
    /// the largest error seen so far
    pub err: f64,
    /// where it was seen
    pub at: String,
}

impl Worst {
    /// Keeps `err` if it is the largest so far (`at` is only built then).
    pub fn note(&mut self, err: f64, at: impl FnOnce() -> String) {
        if err > self.err {
            self.err = err;
            self.at = at();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Applying rule-table entries through the public API of a number type
// ---------------------------------------------------------------------------------------------

/// Evaluates a unary entry through the public `Float` API of `F` (not through `Unary::eval`), so
/// that the number type's plumbing is tested along with the rule. No `_` arm: a new entry does not
/// compile until it is tested.
pub fn apply_unary<F: Float + Elementary>(op: Unary, x: F) -> F {
    match op {
        Unary::Neg => -x,
        Unary::Recip => x.recip(),
        Unary::Sqrt => x.sqrt(),
        Unary::Cbrt => x.cbrt(),
        Unary::Exp => x.exp(),
        Unary::Exp2 => x.exp2(),
        Unary::ExpM1 => x.exp_m1(),
        Unary::Ln => x.ln(),
        Unary::Log2 => x.log2(),
        Unary::Log10 => x.log10(),
        Unary::Ln1p => x.ln_1p(),
        Unary::Sin => x.sin(),
        Unary::Cos => x.cos(),
        Unary::Tan => x.tan(),
        Unary::Asin => x.asin(),
        Unary::Acos => x.acos(),
        Unary::Atan => x.atan(),
        Unary::Sinh => x.sinh(),
        Unary::Cosh => x.cosh(),
        Unary::Tanh => x.tanh(),
        Unary::Asinh => x.asinh(),
        Unary::Acosh => x.acosh(),
        Unary::Atanh => x.atanh(),
        Unary::Abs => x.abs(),
        Unary::Signum => x.signum(),
        Unary::Floor => x.floor(),
        Unary::Ceil => x.ceil(),
        Unary::Round => x.round(),
        Unary::Trunc => x.trunc(),
        Unary::Fract => x.fract(),
        Unary::ToDegrees => x.to_degrees(),
        Unary::ToRadians => x.to_radians(),
        Unary::Powi(n) => x.powi(n),
        Unary::Erf => x.erf(),
        Unary::Erfc => x.erfc(),
    }
}

/// Evaluates a binary entry through the public API of `F` (operators, `Float` methods, and
/// `Euclid::rem_euclid`). No `_` arm.
pub fn apply_binary<F: Float + Euclid>(op: Binary, x: F, y: F) -> F {
    match op {
        Binary::Add => x + y,
        Binary::Sub => x - y,
        Binary::Mul => x * y,
        Binary::Div => x / y,
        Binary::Rem => x % y,
        Binary::RemEuclid => Euclid::rem_euclid(&x, &y),
        Binary::Powf => x.powf(y),
        Binary::Log => x.log(y),
        Binary::Atan2 => x.atan2(y),
        Binary::Hypot => x.hypot(y),
        Binary::Max => x.max(y),
        Binary::Min => x.min(y),
        #[allow(deprecated)]
        Binary::AbsSub => x.abs_sub(y),
    }
}

/// The larger of `x` and `y` as the crate defines `max` (IEEE 754-2019 `maximumNumber`), spelt out
/// by the bits: the non-NaN argument against a NaN; of two equal zeros, −0 only if both are −0.
/// (`f64::max` leaves the sign of that tie unspecified, so it is no oracle there.)
pub fn ieee_max(x: f64, y: f64) -> f64 {
    if x.is_nan() {
        y
    } else if y.is_nan() || x > y {
        x
    } else if y > x {
        y
    } else {
        f64::from_bits(x.to_bits() & y.to_bits())
    }
}

/// The smaller of `x` and `y` as the crate defines `min` (`minimumNumber`): of two equal zeros, −0
/// if either is −0.
pub fn ieee_min(x: f64, y: f64) -> f64 {
    if x.is_nan() {
        y
    } else if y.is_nan() || x < y {
        x
    } else if y < x {
        y
    } else {
        f64::from_bits(x.to_bits() | y.to_bits())
    }
}

/// The `f64` value of a binary entry, the oracle of the number types: [`apply_binary`] on `f64`,
/// but [`ieee_max`]/[`ieee_min`] for `max`/`min`.
pub fn f64_binary(op: Binary, x: f64, y: f64) -> f64 {
    match op {
        Binary::Max => ieee_max(x, y),
        Binary::Min => ieee_min(x, y),
        _ => apply_binary(op, x, y),
    }
}

/// `x·y + z` through `Float::mul_add`.
pub fn apply_mul_add<F: Float>(x: F, y: F, z: F) -> F {
    x.mul_add(y, z)
}
