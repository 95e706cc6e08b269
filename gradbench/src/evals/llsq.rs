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

/// ½ Σ over the rows (t, s) of (s − Σⱼ xⱼ tʲ)²
pub fn llsq<T: Real>(x: &[T], rows: &[T]) -> T {
    sum_map(rows, 2, |r| {
        let (t, mut inner) = (r[0], r[1]);
        let mut mul = T::one();
        for &xj in x {
            inner -= xj * mul;
            mul *= t;
        }
        inner * inner
    }) / 2.0
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
            let (y, times) = timed(runs, || llsq(&x, &rows));
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
