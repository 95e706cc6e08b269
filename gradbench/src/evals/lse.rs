//! `lse`: log-sum-exp, a + ln Σ exp(xᵢ − a) with a = max x. One input per data point, one output,
//! so reverse mode. The shift a is the largest xᵢ, but the value is the same for every a (the
//! derivative in a is 1 − Σ softmax = 0), so the gradient is taken with a held fixed, as JAX's
//! `logsumexp` does with a stop-gradient: a is a parameter of the gradient graph, computed on
//! plain numbers in every run. The sum is a `sum_map` over the inputs, so the gradient graph is a
//! forward and a reverse loop (whose adjoints of the rows are the gradient), compiled to native
//! code (the JIT) and kept per n; the tape is the other mode.

use nilpotent::graph::Graph;
use nilpotent::reverse::{Tape, Var};
use nilpotent::{Literal, Real, sum_map};
use serde_json::Value;

use super::graphs::{self, Mode};
use crate::{Runs, Timed, done, done_recorded, json, timed};

/// a + ln Σ exp(xᵢ − a): log Σ exp(xᵢ) for any shift a; with a = max x no exponential overflows.
pub fn lse_shifted<T: Real>(x: &[T], a: T) -> T {
    sum_map(x, 1, |r| (r[0] - a).exp()).ln() + a
}

/// The largest xᵢ.
fn largest<T: Real>(x: &[T]) -> T {
    x[1..].iter().fold(x[0], |m, &v| if v > m { v } else { m })
}

/// log Σ exp(xᵢ), shifted by the largest xᵢ so that no exponential overflows.
pub fn lse<T: Real>(x: &[T]) -> T {
    lse_shifted(x, largest(x))
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
            let r = graphs::gradient(
                &format!("lse n={}", x.len()),
                Mode::Jit,
                |a| Graph::record_with(&x, a, |v, p| lse_shifted(v, p[0])).gradient(),
                (&x, &mut [0.0]),
                |x, a| a[0] = largest(x),
                runs,
                |g| {
                    let a = Var::cst(largest(&x));
                    tape.gradient_into(|v| lse_shifted(v, a), &x, g);
                },
            )?;
            done_recorded(r.g, r.times, r.record)
        }
        _ => Err(super::no_function(function, &["primal", "gradient"])),
    }
}
