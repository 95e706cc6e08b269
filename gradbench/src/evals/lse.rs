//! `lse`: log-sum-exp, a + ln Σ exp(xᵢ − a) with a = max x. Gradient by the tape (reverse mode):
//! one input per data point, one output.

use nilpotent::reverse::Tape;
use nilpotent::{Real, sum_map};
use serde_json::Value;

use crate::{Runs, Timed, done, json, timed};

/// log Σ exp(xᵢ), shifted by the largest xᵢ so that no exponential overflows.
pub fn lse<T: Real>(x: &[T]) -> T {
    let a = x[1..].iter().fold(x[0], |m, &v| if v > m { v } else { m });
    sum_map(x, 1, |r| (r[0] - a).exp()).ln() + a
}

/// Runs `lse.function` on `input`.
pub fn evaluate(function: &str, input: &Value) -> Result<Timed, String> {
    let x = json::vec(json::field(input, "x")?, "x")?;
    if x.is_empty() {
        return Err("x is empty: log-sum-exp needs at least one number".into());
    }
    let runs = Runs::of(input);
    match function {
        "primal" => {
            let (y, times) = timed(runs, || lse(&x));
            done(y, times)
        }
        "gradient" => {
            let mut tape = Tape::new();
            let mut g = vec![0.0; x.len()];
            let (_, times) = timed(runs, || {
                tape.gradient_into(lse, &x, &mut g);
            });
            done(g, times)
        }
        _ => Err(super::no_function(function, &["primal", "gradient"])),
    }
}
