//! `ode`: y(2) for y′ = f(x, y), y(0) = 0, after s classic Runge–Kutta steps, where
//! f(x, y)₀ = x₀ and f(x, y)ᵢ = xᵢ·yᵢ₋₁. The gradient of the last component of y(2) with respect to
//! x by reverse mode through the steps: the states of the forward pass are kept, and each step is
//! recorded on the tape and swept backward on its own (a vector-Jacobian product per step, last step
//! first), so the tape holds one step (about 15 n nodes) instead of s.

use nilpotent::reverse::Tape;
use nilpotent::{Real, fold};
use serde_json::Value;

use crate::{Runs, Timed, done, json, timed};

/// z = f(x, y): z₀ = x₀, zᵢ = xᵢ·yᵢ₋₁
fn rhs<T: Real>(x: &[T], y: &[T]) -> Vec<T> {
    let mut z = Vec::with_capacity(x.len());
    z.push(x[0]);
    z.extend(x[1..].iter().zip(y).map(|(&xi, &yi)| xi * yi));
    z
}

/// y + a·k
fn axpy<T: Real>(y: &[T], a: f64, k: &[T]) -> Vec<T> {
    y.iter().zip(k).map(|(&yi, &ki)| yi + ki * a).collect()
}

/// One classic Runge–Kutta step of size h from y.
pub fn step<T: Real>(x: &[T], y: &[T], h: f64) -> Vec<T> {
    let k1 = rhs(x, y);
    let k2 = rhs(x, &axpy(y, h / 2.0, &k1));
    let k3 = rhs(x, &axpy(y, h / 2.0, &k2));
    let k4 = rhs(x, &axpy(y, h, &k3));
    (0..y.len())
        .map(|i| y[i] + (k1[i] + (k2[i] + k3[i]) * 2.0 + k4[i]) * (h / 6.0))
        .collect()
}

/// y(2) after s steps of size 2/s from y(0) = 0.
pub fn primal<T: Real>(x: &[T], s: usize) -> Vec<T> {
    let h = 2.0 / s as f64;
    fold(&vec![T::zero(); x.len()], s, |y| step(x, y, h))
}

/// ∇ₓ y(2)ₙ₋₁: the forward pass keeps every state; backward, each step is recorded with inputs
/// (x, y) and swept with the adjoint of its output.
pub fn gradient(tape: &mut Tape<f64>, x: &[f64], s: usize) -> Vec<f64> {
    let n = x.len();
    let h = 2.0 / s as f64;
    let mut states = Vec::with_capacity(s + 1);
    states.push(vec![0.0; n]);
    for k in 0..s {
        let next = step(x, &states[k], h);
        states.push(next);
    }
    let mut ybar = vec![0.0; n];
    ybar[n - 1] = 1.0;
    let mut xbar = vec![0.0; n];
    let mut z = x.to_vec();
    z.extend_from_slice(&states[0]);
    for k in (0..s).rev() {
        z[n..].copy_from_slice(&states[k]);
        let out = tape.record(&z, |v| step(&v[..n], &v[n..], h));
        let adj = tape.backward_seeded(&out, &ybar);
        for (xb, a) in xbar.iter_mut().zip(&adj[..n]) {
            *xb += a;
        }
        ybar.copy_from_slice(&adj[n..]);
    }
    xbar
}

/// Runs `ode.function` on `input`.
pub fn evaluate(function: &str, input: &Value) -> Result<Timed, String> {
    let x = json::vec(json::field(input, "x")?, "x")?;
    let s = json::int(json::field(input, "s")?, "s")?;
    if x.is_empty() || s == 0 {
        return Err(format!(
            "x has {} entries and s = {s}: both must be at least 1",
            x.len()
        ));
    }
    let runs = Runs::of(input);
    match function {
        "primal" => {
            let (y, times) = timed(runs, || primal(&x, s));
            done(y, times)
        }
        "gradient" => {
            let mut tape = Tape::new();
            {
                let (y, times) = timed(runs, || gradient(&mut tape, &x, s));
                done(y, times)
            }
        }
        _ => Err(super::no_function(function, &["primal", "gradient"])),
    }
}
