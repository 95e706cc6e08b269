//! `kmeans`: the cost Σᵢ minⱼ |cⱼ − pᵢ|² of centroids c for points p, and the Newton direction
//! J·H⁻¹ of the cost in c.
//!
//! The closest centroid of each point is a choice, made on plain numbers (it has no derivative),
//! by [`nearest`]: the distances from a point to a block of centroids side by side (SIMD lanes),
//! each computed by the objective's term [`sq`] as [`dist`] computes it. The primal is that
//! search's sum of the chosen distances (bit for bit [`cost`] on `f64`).
//!
//! The cost, once the choice is made, is a sum of terms `sq(c_jl, p_il)`, each in one coordinate
//! of one centroid: its Hessian is diagonal, and the gradient and the Hessian diagonal are, per
//! coordinate, the sums over the points of the first and second derivatives of their terms. The
//! derivative (the default) takes each term's two derivatives by `second_derivative` (forward over
//! forward, `Dual<Dual<f64, 1>, 1>`, one pass per term) and adds them to its coordinate's sums:
//! the search of the primal plus a few dozen instructions per point and coordinate. The other
//! mode (`NILPOTENT_GRADBENCH_MODE=tape`) is one Hessian-vector product with v = 1 (H·1 = diag H)
//! by forward over reverse (`Var<Dual<f64, 1>>`) through the whole [`cost`], one recording and
//! one sweep; it executes 6× the instructions at k = 10 (README, "kmeans").

use nilpotent::reverse::Tape;
use nilpotent::{Dual, Real, second_derivative};
use serde_json::Value;

use super::graphs::Mode;
use crate::{Runs, Timed, done, json, timed};

/// The objective's term: (c − p)², one coordinate of a centroid against the point's. On `f64`
/// `powi(2)` is the product (c − p)·(c − p), one rounding; on `Dual<Dual<f64, 1>, 1>` it does
/// less work than the product `e * e` (measured under callgrind: the derivative's work per term
/// about 40 instructions against 60).
#[inline]
pub fn sq<T: Real>(c: T, p: f64) -> T {
    (c - p).powi(2)
}

/// |c − p|²: the terms [`sq`] added in coordinate order to zero.
pub fn dist<T: Real>(c: &[T], p: &[f64]) -> T {
    let mut total = T::zero();
    for (&a, &b) in c.iter().zip(p) {
        total += sq(a, b);
    }
    total
}

/// For each point i (rows of d numbers) in order: `visit(i, j, |c_j − p_i|²)` for its closest
/// centroid j (rows of d in c; the first one on a tie), the distance exactly as [`dist`] computes
/// it on `f64`. The distances from a point to a block of centroids are computed side by side, in
/// SIMD lanes: 16 with AVX2 where the processor has it (checked at run time), else 8.
pub fn nearest(points: &[f64], d: usize, c: &[f64], visit: impl FnMut(usize, usize, f64)) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `nearest_avx2` needs AVX2 (and nothing else), which the line above found on
        // this processor. It calls only safe code; the feature changes how that code is compiled
        // (wider vectors), not what it computes: no fused operations are enabled, so every lane
        // rounds as the `f64` operations do.
        return unsafe { nearest_avx2(points, d, c, visit) };
    }
    nearest_in::<8>(points, d, c, visit)
}

/// [`nearest`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn nearest_avx2(points: &[f64], d: usize, c: &[f64], visit: impl FnMut(usize, usize, f64)) {
    nearest_in::<16>(points, d, c, visit)
}

/// [`nearest`] with blocks of B centroids: laid out coordinate-major within a block (the last one
/// padded with zeros), so that the distances from a point to a block are B sums side by side.
#[inline(always)]
fn nearest_in<const B: usize>(
    points: &[f64],
    d: usize,
    c: &[f64],
    mut visit: impl FnMut(usize, usize, f64),
) {
    let k = c.len() / d;
    let mut blocks = vec![0.0; k.div_ceil(B) * B * d];
    for (j, cj) in c.chunks_exact(d).enumerate() {
        let block = &mut blocks[j / B * B * d..];
        for (l, &v) in cj.iter().enumerate() {
            block[l * B + j % B] = v;
        }
    }
    for (i, p) in points.chunks_exact(d).enumerate() {
        let mut best = f64::INFINITY;
        let mut closest = 0;
        for (q, block) in blocks.chunks_exact(B * d).enumerate() {
            let mut acc = [0.0; B];
            for (column, &pl) in block.chunks_exact(B).zip(p) {
                for (a, &cl) in acc.iter_mut().zip(column) {
                    *a += sq(cl, pl);
                }
            }
            // most blocks have no centroid closer than the best so far: their least distance
            // first, without the index (a NaN is never taken, as below; the padding of the last
            // block may pass)
            let least = acc
                .iter()
                .fold(f64::INFINITY, |m, &a| if a < m { a } else { m });
            if least < best {
                // the padding of the last block is not a centroid
                for (b, &a) in acc.iter().enumerate().take(k - q * B) {
                    if a < best {
                        best = a;
                        closest = q * B + b;
                    }
                }
            }
        }
        visit(i, closest, best);
    }
}

/// Σᵢ minⱼ |cⱼ − pᵢ|² on `f64`: the sum, in point order, of the distances [`nearest`] chooses.
pub fn primal(points: &[f64], d: usize, c: &[f64]) -> f64 {
    let mut total = 0.0;
    nearest(points, d, c, |_, _, best| total += best);
    total
}

/// Σᵢ minⱼ |cⱼ − pᵢ|² for points (rows of d) and centroids c (rows of d), on any number type: the
/// closest centroid of each point is chosen on the values by [`nearest`], and its distance
/// computed by [`dist`] on `T`, so that a recording holds one distance per point rather than k.
/// On `f64` it equals [`primal`], bit for bit.
pub fn cost<T: Real>(points: &[f64], d: usize, c: &[T]) -> T {
    let values: Vec<f64> = c.iter().map(|v| v.to_f64().unwrap_or(f64::NAN)).collect();
    let mut total = T::zero();
    nearest(points, d, &values, |i, j, _| {
        total += dist(&c[j * d..(j + 1) * d], &points[i * d..(i + 1) * d]);
    });
    total
}

/// J·H⁻¹ (H diagonal) at centroids c, written into `dir`: per point and coordinate, the first
/// and second derivatives of its term [`sq`] in its centroid's coordinate (`second_derivative`),
/// summed per coordinate into the gradient and the Hessian diagonal.
pub fn dir(points: &[f64], d: usize, c: &[f64], dir: &mut [f64]) {
    let mut grad = vec![0.0; c.len()];
    let mut hess = vec![0.0; c.len()];
    nearest(points, d, c, |i, j, _| {
        let p = &points[i * d..(i + 1) * d];
        let (g, h) = (&mut grad[j * d..(j + 1) * d], &mut hess[j * d..(j + 1) * d]);
        for (((&cl, &pl), g), h) in c[j * d..(j + 1) * d].iter().zip(p).zip(g).zip(h) {
            let (_, d1, d2) = second_derivative(|x| sq(x, pl), cl);
            *g += d1;
            *h += d2;
        }
    });
    for ((o, g), h) in dir.iter_mut().zip(&grad).zip(&hess) {
        *o = g / h;
    }
}

/// J·H⁻¹ (H diagonal) at centroids c, written into `dir`, by one Hessian-vector product with v = 1
/// (H·1 = diag H): forward over reverse through [`cost`].
pub fn dir_tape(
    tape: &mut Tape<Dual<f64, 1>>,
    points: &[f64],
    d: usize,
    c: &[f64],
    dir: &mut [f64],
) {
    let seeded: Vec<Dual<f64, 1>> = c.iter().map(|&ci| Dual::new(ci, [1.0])).collect();
    let y = tape.record(&seeded, |v| cost(points, d, v));
    let adj = tape.backward(y);
    for (o, a) in dir.iter_mut().zip(adj) {
        *o = a.re / a.eps[0];
    }
}

/// Runs `kmeans.function` on `input`.
pub fn evaluate(function: &str, input: &Value) -> Result<Timed, String> {
    let (points, n, d) = json::matrix(json::field(input, "points")?, "points")?;
    let (c, k, dc) = json::matrix(json::field(input, "centroids")?, "centroids")?;
    if n == 0 || k == 0 || d == 0 || dc != d {
        return Err(format!(
            "{n} points of dimension {d} and {k} centroids of dimension {dc}: need at least one of \
             each, of one dimension (at least 1)"
        ));
    }
    let runs = Runs::of(input);
    match function {
        "cost" => {
            let (y, times) = timed(runs, || primal(&points, d, &c));
            done(y, times)
        }
        "dir" => {
            let mut out = vec![0.0; c.len()];
            // no graph: `tape` selects the tape, any other mode the default
            let times = if Mode::chosen(Mode::Jit)? == Mode::Tape {
                let mut tape = Tape::new();
                timed(runs, || dir_tape(&mut tape, &points, d, &c, &mut out)).1
            } else {
                timed(runs, || dir(&points, d, &c, &mut out)).1
            };
            done(json::rows(&out, d), times)
        }
        _ => Err(super::no_function(function, &["cost", "dir"])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each point's closest centroid by a plain search over all of them (the first of equally
    /// close ones) and its distance by [`dist`].
    fn plain_nearest(points: &[f64], d: usize, c: &[f64]) -> Vec<(usize, f64)> {
        points
            .chunks_exact(d)
            .map(|p| {
                let mut best = (0, f64::INFINITY);
                for (j, cj) in c.chunks_exact(d).enumerate() {
                    let v = dist(cj, p);
                    if v < best.1 {
                        best = (j, v);
                    }
                }
                best
            })
            .collect()
    }

    fn blocks_of<const B: usize>(points: &[f64], d: usize, c: &[f64]) -> Vec<(usize, f64)> {
        let mut got = vec![];
        nearest_in::<B>(points, d, c, |i, j, v| {
            assert_eq!(i, got.len());
            got.push((j, v));
        });
        got
    }

    #[test]
    fn nearest_in_blocks_of_8_and_16_is_a_plain_search_bit_for_bit_ties_to_the_first() {
        // random shapes around both block widths, and ties: centroids (j, 0) and points halfway
        // between neighbours, across every block boundary
        let mut s = 7u64;
        let mut rand = move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut cases = vec![];
        for (n, k, d) in [
            (50, 1, 1),
            (50, 7, 3),
            (60, 8, 2),
            (60, 9, 5),
            (80, 16, 8),
            (80, 17, 16),
            (90, 40, 4),
        ] {
            let points: Vec<f64> = (0..n * d).map(|_| rand()).collect();
            let c = points[(n - k) * d..].to_vec();
            cases.push((points, d, c));
        }
        let c: Vec<f64> = (0..40).flat_map(|j| [j as f64, 0.0]).collect();
        let points: Vec<f64> = (0..39).flat_map(|j| [j as f64 + 0.5, 0.0]).collect();
        cases.push((points, 2, c));
        for (points, d, c) in &cases {
            let want = plain_nearest(points, *d, c);
            let eq = |got: Vec<(usize, f64)>| {
                got.iter()
                    .zip(&want)
                    .all(|(a, b)| a.0 == b.0 && a.1.to_bits() == b.1.to_bits())
            };
            assert!(
                eq(blocks_of::<8>(points, *d, c)),
                "blocks of 8, d = {d}, k = {}",
                c.len() / d
            );
            assert!(
                eq(blocks_of::<16>(points, *d, c)),
                "blocks of 16, d = {d}, k = {}",
                c.len() / d
            );
            let mut got = vec![];
            nearest(points, *d, c, |_, j, v| got.push((j, v)));
            assert!(eq(got), "nearest, d = {d}");
            assert_eq!(
                primal(points, *d, c).to_bits(),
                cost(points, *d, c).to_bits()
            );
        }
        // the ties went to the lower centroid
        let (points, d, c) = cases.last().unwrap();
        let chosen: Vec<usize> = blocks_of::<16>(points, *d, c).iter().map(|p| p.0).collect();
        assert_eq!(chosen, (0..39).collect::<Vec<_>>());
    }
}
