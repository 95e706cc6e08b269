//! `hello`: `square(x) = x·x`, and `double`, which is the derivative of `square` (2x) by forward
//! mode.

use nilpotent::{Real, derivative};
use serde_json::Value;

use crate::{Runs, Timed, done, json, timed};

/// x·x
pub fn square<T: Real>(x: T) -> T {
    x * x
}

/// Runs `hello.function` on `input`.
pub fn evaluate(function: &str, input: &Value) -> Result<Timed, String> {
    let x = json::num(input, "the input")?;
    let runs = Runs::of(input);
    match function {
        "square" => {
            let (y, times) = timed(runs, || square(x));
            done(y, times)
        }
        "double" => {
            let (y, times) = timed(runs, || derivative(square, x).1);
            done(y, times)
        }
        _ => Err(super::no_function(function, &["square", "double"])),
    }
}
