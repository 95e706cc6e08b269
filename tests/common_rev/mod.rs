//! Shared helpers of the reverse-mode tests: a seeded random generator, Richardson-extrapolated
//! central differences and tolerance checks.
#![allow(dead_code)]

/// SplitMix64: a small, seeded, reproducible generator (no dependency, same stream on every machine).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// ± a value uniform in [lo, hi) (random sign).
    pub fn signed(&mut self, lo: f64, hi: f64) -> f64 {
        let m = self.range(lo, hi);
        if self.next_u64() & 1 == 0 { m } else { -m }
    }

    /// Uniform integer in [lo, hi].
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % ((hi - lo + 1) as u64)) as i64
    }

    pub fn vec(&mut self, n: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..n).map(|_| self.range(lo, hi)).collect()
    }
}

/// The central difference `(f(x + h) − f(x − h)) / 2h`, Richardson-extrapolated once:
/// `(4 D(h/2) − D(h)) / 3`, whose truncation error is O(h⁴) instead of O(h²).
pub fn richardson(mut f: impl FnMut(f64) -> f64, x: f64, h: f64) -> f64 {
    let mut d = |h: f64| (f(x + h) - f(x - h)) / (2.0 * h);
    (4.0 * d(h / 2.0) - d(h)) / 3.0
}

/// ∂f/∂xᵢ at `x` by [`richardson`] with step `h`.
pub fn partial_fd(f: impl Fn(&[f64]) -> f64, x: &[f64], i: usize, h: f64) -> f64 {
    let mut p = x.to_vec();
    richardson(
        |t| {
            p[i] = t;
            f(&p)
        },
        x[i],
        h,
    )
}

/// The gradient of `f` at `x` by [`partial_fd`] on every coordinate, with step `h·max(1, |xᵢ|)`.
pub fn gradient_fd(f: impl Fn(&[f64]) -> f64, x: &[f64], h: f64) -> Vec<f64> {
    (0..x.len())
        .map(|i| partial_fd(&f, x, i, h * x[i].abs().max(1.0)))
        .collect()
}

/// `|a − b| ≤ rel · max(|a|, |b|, floor)`: relative error, turned absolute below `floor` (a
/// derivative that is ~0 cannot be matched relatively by a finite difference).
pub fn close(a: f64, b: f64, rel: f64, floor: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(floor)
}

/// Panics with a message naming `what` unless [`close`] holds.
#[track_caller]
pub fn assert_close(a: f64, b: f64, rel: f64, floor: f64, what: &str) {
    assert!(
        close(a, b, rel, floor),
        "{what}: {a:e} vs {b:e} (difference {:e}, allowed {rel:e} relative, floor {floor:e})",
        (a - b).abs()
    );
}

/// Equal as numbers, or both NaN (`==` does not say that NaN is NaN).
pub fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// The distance in units in the last place between two finite f64 of the same sign (0 when equal).
pub fn ulps(a: f64, b: f64) -> u64 {
    if a == b {
        return 0;
    }
    let key = |x: f64| {
        let b = x.to_bits() as i64;
        if b < 0 { i64::MIN - b } else { b }
    };
    key(a).abs_diff(key(b))
}
