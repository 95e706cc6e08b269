//! `llsq`: linear least squares, ½ Σᵢ (sᵢ − Σⱼ xⱼ tᵢʲ)² over n sample points tᵢ in [−1, 1].
//! Gradient by the tape (reverse mode): m = 128 inputs, one output.

use nilpotent::Real;
use nilpotent::reverse::Tape;
use serde_json::Value;

use crate::{Runs, Timed, done, json, timed};

/// The i-th of n sample points, evenly spaced in [−1, 1].
fn t(i: usize, n: usize) -> f64 {
    -1.0 + i as f64 * 2.0 / (n as f64 - 1.0)
}

/// The sign of t (0 at 0).
fn sign(t: f64) -> f64 {
    ((0.0 < t) as i32 - (t < 0.0) as i32) as f64
}

/// ½ Σᵢ (sign tᵢ − Σⱼ xⱼ tᵢʲ)²
pub fn llsq<T: Real>(x: &[T], n: usize) -> T {
    let mut sum = T::zero();
    for i in 0..n {
        let ti = t(i, n);
        let mut inner = T::cst(sign(ti));
        let mut mul = 1.0;
        for &xj in x {
            inner -= xj * mul;
            mul *= ti;
        }
        sum += inner * inner;
    }
    sum / 2.0
}

/// Runs `llsq.function` on `input`.
pub fn evaluate(function: &str, input: &Value) -> Result<Timed, String> {
    let x = json::vec(json::field(input, "x")?, "x")?;
    let n = json::int(json::field(input, "n")?, "n")?;
    let runs = Runs::of(input);
    match function {
        "primal" => {
            let (y, times) = timed(runs, || llsq(&x, n));
            done(y, times)
        }
        "gradient" => {
            let mut tape = Tape::new();
            let mut g = vec![0.0; x.len()];
            let (_, times) = timed(runs, || {
                tape.gradient_into(|v| llsq(v, n), &x, &mut g);
            });
            done(g, times)
        }
        _ => Err(super::no_function(function, &["primal", "gradient"])),
    }
}
