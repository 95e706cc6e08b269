//! `llsq`: linear least squares, ½ Σᵢ (sᵢ − Σⱼ xⱼ tᵢʲ)² over n sample points tᵢ in [−1, 1].
//! Gradient (m = 128 inputs, one output) by a graph recorded once per shape (m, n) with the sample
//! points as its parameters, the sum over them a loop (`sum_map`) whose body is recorded once, and
//! the graph compiled to native code (the JIT); the tape is the other mode.

use nilpotent::graph::Graph;
use nilpotent::reverse::{Tape, Var};
use nilpotent::{Literal, Real, sum_map};
use serde_json::Value;

use super::graphs::{self, Mode};
use crate::{Runs, Timed, done, done_recorded, json, timed};

/// Writes the rows (tᵢ, sign tᵢ) of the n sample points, tᵢ evenly spaced in [−1, 1] (sign 0 at 0),
/// into `rows` (2n entries).
pub fn samples(n: usize, rows: &mut [f64]) {
    for (i, r) in rows.chunks_exact_mut(2).enumerate() {
        let t = -1.0 + i as f64 * 2.0 / (n as f64 - 1.0);
        r[0] = t;
        r[1] = ((0.0 < t) as i32 - (t < 0.0) as i32) as f64;
    }
}

/// ½ Σ over the rows (t, s) of (s − Σⱼ xⱼ tʲ)², the rows one at a time: the objective as the
/// derivative graphs and the tape record it ([`llsq_blocks`] with blocks of one row).
pub fn llsq<T: Real>(x: &[T], rows: &[T]) -> T {
    llsq_blocks::<T, 1>(x, rows)
}

/// ½ Σ over the rows (t, s) of (s − Σⱼ xⱼ tʲ)², the rows taken B at a time: one `sum_map` over
/// blocks of B rows, then one over the rows left over, if any.
///
/// Each row's residual is computed as `manual` computes it (the same operations in the same
/// order, so the same bits), the residuals of a block side by side, the loop over the powers
/// outermost. One residual is a chain of 128 dependent products and differences, so one row at a
/// time waits on each result; B independent chains keep the floating-point units busy (and
/// B = 8 fills two AVX registers). The squares are added per block, then the blocks in order (with
/// B = 1 the order of `manual`'s sum).
#[inline(always)]
pub fn llsq_blocks<T: Real, const B: usize>(x: &[T], rows: &[T]) -> T {
    let whole = rows.len() / (2 * B) * (2 * B);
    let (blocks, rest) = rows.split_at(whole);
    let mut total = None;
    if !blocks.is_empty() {
        total = Some(sum_map(blocks, 2 * B, |b| squares::<T, B>(x, b)));
    }
    if !rest.is_empty() {
        let r = sum_map(rest, 2, |r| squares::<T, 1>(x, r));
        total = Some(total.map_or(r, |t| t + r));
    }
    total.unwrap_or_else(T::zero) / 2.0
}

/// Σ over the R rows (t, s) of `rows` of (s − Σⱼ xⱼ tʲ)², the residuals side by side, the squares
/// added in row order.
#[inline(always)]
fn squares<T: Real, const R: usize>(x: &[T], rows: &[T]) -> T {
    let t: [T; R] = std::array::from_fn(|r| rows[2 * r]);
    let mut inner: [T; R] = std::array::from_fn(|r| rows[2 * r + 1]);
    let mut mul = [T::one(); R];
    for &xj in x {
        for r in 0..R {
            inner[r] -= xj * mul[r];
            mul[r] *= t[r];
        }
    }
    let mut sum = inner[0] * inner[0];
    for &e in &inner[1..] {
        sum += e * e;
    }
    sum
}

/// The primal on `f64`: [`llsq_blocks`] with blocks of 8 rows compiled for AVX2 where the
/// processor has it (checked at run time; `manual` is built with `-march=native`), else blocks of
/// 4 (two SSE2 registers). Measured at n = 16 392 (callgrind instructions per run; time, min of
/// 40 runs): rows one at a time 10.3 M, 1.67 ms; blocks of 4, 5.7 M, 0.57 ms; blocks of 8 for
/// AVX2, 6.2 M, 0.39 ms (`manual`: 13.0 M, about 2 ms).
pub fn primal(x: &[f64], rows: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `primal_avx2` needs AVX2 (and nothing else), which the line above found on
        // this processor. It calls only safe code; the feature changes how that code is compiled
        // (wider vectors), not what it computes: no fused operations are enabled, so every lane
        // rounds as the `f64` operations do.
        return unsafe { primal_avx2(x, rows) };
    }
    llsq_blocks::<f64, 4>(x, rows)
}

/// [`primal`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn primal_avx2(x: &[f64], rows: &[f64]) -> f64 {
    llsq_blocks::<f64, 8>(x, rows)
}

/// Runs `llsq.function` on `input`.
pub fn evaluate(function: &str, input: &Value) -> Result<Timed, String> {
    let x = json::vec(json::field(input, "x")?, "x")?;
    let n = json::int(json::field(input, "n")?, "n")?;
    if x.is_empty() || n < 2 {
        return Err(format!(
            "x has {} entries and n = {n}: x needs at least one, n at least 2 (the points are \
             spaced 2/(n − 1) apart)",
            x.len()
        ));
    }
    let runs = Runs::of(input);
    // the sample points depend on n alone: computed once per input, outside the timed runs, for
    // every function and mode alike
    let mut rows = vec![0.0; 2 * n];
    samples(n, &mut rows);
    match function {
        "primal" => {
            let (y, times) = timed(runs, || primal(&x, &rows));
            done(y, times)
        }
        "gradient" => {
            let mut tape = Tape::new();
            let r = graphs::gradient(
                &format!("llsq m={} n={n}", x.len()),
                Mode::Jit,
                |rows| Graph::record_with(&x, rows, llsq).gradient(),
                (&x, &mut rows.clone()),
                |_, _| {},
                runs,
                |g| {
                    let rv: Vec<Var<f64>> = rows.iter().map(|&v| Var::cst(v)).collect();
                    tape.gradient_into(|v| llsq(v, &rv), &x, g);
                },
            )?;
            done_recorded(r.g, r.times, r.record)
        }
        _ => Err(super::no_function(function, &["primal", "gradient"])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The residuals of a block side by side are each row's alone, bit for bit: the squares of a
    /// block of R rows are the squares of its rows one at a time, added in row order.
    #[test]
    fn a_block_of_rows_gives_each_rows_residual_bit_for_bit() {
        let x: Vec<f64> = (0..37)
            .map(|j| ((j * 7919) % 101) as f64 / 101.0 - 0.3)
            .collect();
        let mut rows = vec![0.0; 2 * 8];
        samples(8, &mut rows);
        fn check<const R: usize>(x: &[f64], rows: &[f64]) {
            for block in rows.chunks_exact(2 * R) {
                let mut want = squares::<f64, 1>(x, &block[..2]);
                for row in block[2..].chunks_exact(2) {
                    want += squares::<f64, 1>(x, row);
                }
                assert_eq!(
                    squares::<f64, R>(x, block).to_bits(),
                    want.to_bits(),
                    "R = {R}"
                );
            }
        }
        check::<2>(&x, &rows);
        check::<4>(&x, &rows);
        check::<8>(&x, &rows);
    }

    /// Blocks and the rows left over add up to the sum of every row, whatever n: n below a
    /// block, a whole number of blocks, blocks and rows left over (the primal and the objective
    /// the graphs record, one row at a time, agree to rounding: the terms are positive, so two
    /// orders of their sum differ by at most about n·ε of it).
    #[test]
    fn the_primal_in_blocks_is_the_sum_over_every_row_for_any_number_of_rows() {
        let x: Vec<f64> = (0..9).map(|j| 0.1 * j as f64 - 0.35).collect();
        for n in [2, 3, 7, 8, 9, 16, 21, 8196] {
            let mut rows = vec![0.0; 2 * n];
            samples(n, &mut rows);
            let want: f64 = rows
                .chunks_exact(2)
                .map(|r| squares::<f64, 1>(&x, r))
                .sum::<f64>()
                / 2.0;
            for got in [
                primal(&x, &rows),
                llsq_blocks::<f64, 4>(&x, &rows),
                llsq_blocks::<f64, 8>(&x, &rows),
                llsq(&x, &rows),
            ] {
                let tol = n as f64 * f64::EPSILON * want;
                assert!((got - want).abs() <= tol, "n = {n}: {got} vs {want}");
            }
        }
    }
}
