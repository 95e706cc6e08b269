//! `particle`: a charged particle in the field of two charges, one placed by a control w;
//! gradient descent on w (outer derivative) of the squared miss distance at the x axis, where each
//! Euler step of the trajectory takes the gradient of the potential (inner derivative). Nested
//! derivatives in the four combinations: `ff` (forward over forward: `Dual<Dual<f64, 2>, 1>`),
//! `fr` (`Var<Dual<f64, 1>>`), `rf` (`Dual<Var<f64>, 2>`), `rr` (`Var<Var<f64>>`).

use nilpotent::reverse::{self, Var};
use nilpotent::{Dual, Real, derivative, gradient_fixed};
use serde_json::Value;

use super::nested::argmin;
use crate::{Runs, Timed, done, json, timed};

/// The potential at x of the charges at (10, 10 − w) and (10, 0).
pub fn potential<T: Real>(x: &[T], w: T) -> T {
    // the two charges have the same x-coordinate: its squared distance is computed once
    let dx2 = (x[0] - 10.0).powi(2);
    let d1 = (dx2 + (x[1] - (10.0 - w)).powi(2)).sqrt();
    let d2 = (dx2 + x[1].powi(2)).sqrt();
    d1.recip() + d2.recip()
}

/// How the inner gradient (of the potential in x) is taken.
pub trait Inner {
    /// ∇ₓ potential(x, w)
    fn grad<S: Real>(x: [S; 2], w: S) -> [S; 2]
    where
        Dual<S, 2>: Real,
        Var<S>: Real;
}

/// Inner gradient by forward mode.
pub struct Fwd;
/// Inner gradient by reverse mode.
pub struct Rev;

impl Inner for Fwd {
    fn grad<S: Real>(x: [S; 2], w: S) -> [S; 2]
    where
        Dual<S, 2>: Real,
        Var<S>: Real,
    {
        gradient_fixed(|v: &[Dual<S, 2>]| potential(v, Dual::constant(w)), &x).1
    }
}

impl Inner for Rev {
    fn grad<S: Real>(x: [S; 2], w: S) -> [S; 2]
    where
        Dual<S, 2>: Real,
        Var<S>: Real,
    {
        let g = reverse::gradient(|v: &[Var<S>]| potential(v, Var::constant(w)), &x).1;
        [g[0], g[1]]
    }
}

/// The squared x-coordinate where the particle, started at (0, 8) with velocity (0.75, 0) and
/// moved by Euler steps of 0.1, crosses the x axis (the last step interpolated linearly).
pub fn miss<S: Real, I: Inner>(w: S) -> S
where
    Dual<S, 2>: Real,
    Var<S>: Real,
{
    let dt = 0.1;
    let mut x = [S::zero(), S::cst(8.0)];
    let mut xdot = [S::cst(0.75), S::zero()];
    loop {
        let g = I::grad(x, w);
        let next = [x[0] + xdot[0] * dt, x[1] + xdot[1] * dt];
        if next[1] > 0.0 {
            x = next;
            xdot = [xdot[0] - g[0] * dt, xdot[1] - g[1] * dt];
        } else {
            break;
        }
    }
    let dtf = -x[1] / xdot[1];
    (x[0] + xdot[0] * dtf).powi(2)
}

/// The w found by gradient descent from w0, the outer gradient by forward mode.
fn outer_forward<I: Inner>(w0: f64) -> f64 {
    let f = |w: &[f64; 1]| miss::<f64, I>(w[0]);
    let g = |w: &[f64; 1]| [derivative(miss::<Dual<f64, 1>, I>, w[0]).1];
    argmin(f, g, [w0])[0]
}

/// The w found by gradient descent from w0, the outer gradient by reverse mode.
fn outer_reverse<I: Inner>(w0: f64) -> f64 {
    let f = |w: &[f64; 1]| miss::<f64, I>(w[0]);
    let g = |w: &[f64; 1]| [reverse::gradient(|v: &[Var<f64>]| miss::<Var<f64>, I>(v[0]), w).1[0]];
    argmin(f, g, [w0])[0]
}

/// Runs `particle.function` on `input`.
pub fn evaluate(function: &str, input: &Value) -> Result<Timed, String> {
    let w0 = json::num(json::field(input, "w")?, "w")?;
    let runs = Runs::of(input);
    let f: fn(f64) -> f64 = match function {
        "ff" => outer_forward::<Fwd>,
        "fr" => outer_forward::<Rev>,
        "rf" => outer_reverse::<Fwd>,
        "rr" => outer_reverse::<Rev>,
        _ => return Err(super::no_function(function, &["rr", "ff", "fr", "rf"])),
    };
    let (y, times) = timed(runs, || f(w0));
    done(y, times)
}
