//! `ode`: y(2) for y′ = f(x, y), y(0) = 0, after s classic Runge–Kutta steps, where
//! f(x, y)₀ = x₀ and f(x, y)ᵢ = xᵢ·yᵢ₋₁. The gradient is that of the last component of y(2) with
//! respect to x (n inputs, one output: reverse mode).
//!
//! Component i of the system depends only on xᵢ and on component i − 1: its four stages at step k
//! read the four values of component i − 1 that the right-hand side reads at that step (y, and
//! y + h/2·k₁, y + h/2·k₂, y + h·k₃). So the s steps can run one component at a time, for all
//! steps, handing the 4s stage values on to the next component: the integration is a `scan` over
//! the components whose state is those 4s values (plus the component's final value), and one
//! component's s steps (about 17s operations) are its body. The Runge–Kutta arithmetic of one
//! component at one step is written once ([`stage`]); the component-major order ([`component`],
//! the primal and the graph) and the step-major order ([`step`], the tape) are two loops over it,
//! and compute the same operations on every value.
//!
//! The gradient is a graph recorded once per (n, s) — the scan one loop node, its body recorded
//! once — compiled to native code (the JIT): a forward loop over the components and a reverse loop
//! whose adjoints of the rows are the gradient. The tape is the other mode, one step at a time (a
//! tape of the scan would hold every operation: its state of 4s + 1 values is too large for the
//! tape's accumulated step Jacobians).

use nilpotent::graph::Graph;
use nilpotent::reverse::Tape;
use nilpotent::{Real, scan};
use serde_json::Value;

use super::graphs::{self, Mode};
use crate::{Runs, Timed, done, done_recorded, json, timed};

/// Component i at one step of size h from its value `y`, given `prev`, the four values of
/// component i − 1 the right-hand side reads at the four stages (all 1 for component 0, whose
/// right-hand side is x₀ = x₀·1). Returns this component's four values for component i + 1 and its
/// value after the step.
pub fn stage<T: Real>(xi: T, y: T, prev: &[T], h: f64) -> ([T; 4], T) {
    let k1 = xi * prev[0];
    let u1 = y + k1 * (h / 2.0);
    let k2 = xi * prev[1];
    let u2 = y + k2 * (h / 2.0);
    let k3 = xi * prev[2];
    let u3 = y + k3 * h;
    let k4 = xi * prev[3];
    ([y, u1, u2, u3], y + (k1 + (k2 + k3) * 2.0 + k4) * (h / 6.0))
}

/// The s steps of one component from 0, given `prev`, component i − 1's four stage values at each
/// step (4s values, then one more that is not read): this component's stage values at each step,
/// then its value after the s steps.
pub fn component<T: Real>(xi: T, prev: &[T], h: f64) -> Vec<T> {
    let mut own = Vec::with_capacity(prev.len());
    component_into(xi, prev, h, &mut own);
    own
}

/// [`component`] into `own` (cleared first), which keeps its allocation from one component to
/// the next.
fn component_into<T: Real>(xi: T, prev: &[T], h: f64, own: &mut Vec<T>) {
    own.clear();
    let mut y = T::zero();
    for p in prev.chunks_exact(4) {
        let (handed, next) = stage(xi, y, p, h);
        own.extend_from_slice(&handed);
        y = next;
    }
    own.push(y);
}

/// What component 0 is handed: 1 at every stage of every step (and the unread last value).
fn first<T: Real>(s: usize) -> Vec<T> {
    vec![T::one(); 4 * s + 1]
}

/// y(2) after s steps of size 2/s from y(0) = 0, one component at a time.
pub fn primal<T: Real>(x: &[T], s: usize) -> Vec<T> {
    let h = 2.0 / s as f64;
    let (mut prev, mut own) = (first(s), Vec::with_capacity(4 * s + 1));
    x.iter()
        .map(|&xi| {
            component_into(xi, &prev, h, &mut own);
            std::mem::swap(&mut prev, &mut own);
            prev[4 * s]
        })
        .collect()
}

/// y(2)ₙ₋₁, the output whose gradient is asked: a `scan` over the components of x.
pub fn last<T: Real>(x: &[T], s: usize) -> T {
    let h = 2.0 / s as f64;
    scan(&first(s), x, 1, |prev, xi| component(xi[0], prev, h))[4 * s]
}

/// One classic Runge–Kutta step of size h from y, all components.
pub fn step<T: Real>(x: &[T], y: &[T], h: f64) -> Vec<T> {
    let mut prev = [T::one(); 4];
    x.iter()
        .zip(y)
        .map(|(&xi, &yi)| {
            let (handed, next) = stage(xi, yi, &prev, h);
            prev = handed;
            next
        })
        .collect()
}

/// ∇ₓ y(2)ₙ₋₁ by the tape, one step at a time: the forward pass keeps every state; backward, each
/// step is recorded with inputs (x, y) and swept with the adjoint of its output.
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
            let r = graphs::gradient(
                &format!("ode n={} s={s}", x.len()),
                Mode::Jit,
                |_| Graph::record(&x, |v| last(v, s)).gradient(),
                (&x, &mut []),
                |_, _| {},
                runs,
                |g| g.copy_from_slice(&gradient(&mut tape, &x, s)),
            )?;
            done_recorded(r.g, r.times, r.record)
        }
        _ => Err(super::no_function(function, &["primal", "gradient"])),
    }
}
