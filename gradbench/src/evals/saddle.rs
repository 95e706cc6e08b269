//! `saddle`: min over p₁ of max over p of f(p₁, p) = (p₁₀² + p₁₁²) − (p₀² + p₁²), both by gradient
//! descent from the same start, the inner maximisation running inside the outer derivative. Nested
//! derivatives in the four combinations (outer, inner): `ff` (`Dual<Dual<f64, 2>, 2>`), `fr`
//! (`Var<Dual<f64, 2>>`), `rf` (`Dual<Var<f64>, 2>`), `rr` (`Var<Var<f64>>`).

use nilpotent::reverse::{self, Var};
use nilpotent::{Dual, Real, gradient_fixed};
use serde_json::Value;

use super::nested::{argmax, argmin};
use crate::{Runs, Timed, done, json, timed};

/// f(p₁, p) = (p₁₀² + p₁₁²) − (p₀² + p₁²)
#[inline(always)]
pub fn cost<T: Real>(p1: &[T], p: &[T]) -> T {
    (p1[0].powi(2) + p1[1].powi(2)) - (p[0].powi(2) + p[1].powi(2))
}

/// How a gradient of `cost` in its second argument is taken (at any number type).
pub trait Mode {
    /// ∇ₚ cost(p₁, p)
    fn grad<S: Real>(p1: [S; 2], p: [S; 2]) -> [S; 2]
    where
        Dual<S, 2>: Real,
        Var<S>: Real;
}

/// Gradients by forward mode.
pub struct Fwd;
/// Gradients by reverse mode.
pub struct Rev;

impl Mode for Fwd {
    #[inline(always)]
    fn grad<S: Real>(p1: [S; 2], p: [S; 2]) -> [S; 2]
    where
        Dual<S, 2>: Real,
        Var<S>: Real,
    {
        let p1 = p1.map(Dual::constant);
        gradient_fixed(|v: &[Dual<S, 2>]| cost(&p1, v), &p).1
    }
}

impl Mode for Rev {
    #[inline(always)]
    fn grad<S: Real>(p1: [S; 2], p: [S; 2]) -> [S; 2]
    where
        Dual<S, 2>: Real,
        Var<S>: Real,
    {
        let p1 = p1.map(Var::constant);
        let g = reverse::gradient(|v: &[Var<S>]| cost(&p1, v), &p).1;
        [g[0], g[1]]
    }
}

/// max over p of cost(p₁, p), by gradient ascent from `start` with gradients of mode I.
#[inline(always)]
pub fn inner_max<S: Real, I: Mode>(p1: [S; 2], start: [f64; 2]) -> S
where
    Dual<S, 2>: Real,
    Var<S>: Real,
{
    let f = |p: &[S; 2]| cost(&p1, p);
    let g = |p: &[S; 2]| I::grad(p1, *p);
    let p = argmax(f, g, start.map(S::cst));
    cost(&p1, &p)
}

/// How the outer gradient (of `inner_max` in p₁) is taken.
pub trait Outer {
    /// ∇ inner_max at p₁
    fn outer_grad<I: Mode>(p1: [f64; 2], start: [f64; 2]) -> [f64; 2];
}

impl Outer for Fwd {
    #[inline(always)]
    fn outer_grad<I: Mode>(p1: [f64; 2], start: [f64; 2]) -> [f64; 2] {
        gradient_fixed(
            |v: &[Dual<f64, 2>]| inner_max::<_, I>([v[0], v[1]], start),
            &p1,
        )
        .1
    }
}

impl Outer for Rev {
    #[inline(always)]
    fn outer_grad<I: Mode>(p1: [f64; 2], start: [f64; 2]) -> [f64; 2] {
        let g = reverse::gradient(|v: &[Var<f64>]| inner_max::<_, I>([v[0], v[1]], start), &p1).1;
        [g[0], g[1]]
    }
}

/// [r₁, r₂]: r₁ = argmin of the inner max, r₂ = argmax of cost(r₁, ·); compiled for AVX2 and FMA
/// where the processor has them ([`avx2_fma`](super::avx2_fma)). Measured on ff: 20.65 M → 19.0 M
/// instructions per run, 1.98 → 1.71 ms back to back. (Not done in `particle`, where the same
/// change raised ff from 27.7 M to 28.5 M instructions.)
fn saddle<O: Outer + Mode, I: Mode>(start: [f64; 2]) -> Vec<f64> {
    #[cfg(target_arch = "x86_64")]
    if super::avx2_fma() {
        // SAFETY: the processor has AVX2 and FMA (`avx2_fma`)
        return unsafe { saddle_avx2::<O, I>(start) };
    }
    saddle_body::<O, I>(start)
}

/// [`saddle`] compiled for AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn saddle_avx2<O: Outer + Mode, I: Mode>(start: [f64; 2]) -> Vec<f64> {
    saddle_body::<O, I>(start)
}

/// [`saddle`], compiled inline into each caller.
#[inline(always)]
fn saddle_body<O: Outer + Mode, I: Mode>(start: [f64; 2]) -> Vec<f64> {
    let r1 = argmin(
        |p| inner_max::<f64, I>(*p, start),
        |p| O::outer_grad::<I>(*p, start),
        start,
    );
    let r2 = argmax(|p| cost(&r1, p), |p| <O as Mode>::grad(r1, *p), start);
    [r1, r2].concat()
}

/// Runs `saddle.function` on `input`.
pub fn evaluate(function: &str, input: &Value) -> Result<Timed, String> {
    let start = json::vec(json::field(input, "start")?, "start")?;
    let start: [f64; 2] = start
        .try_into()
        .map_err(|v: Vec<f64>| format!("start has {} entries; expected 2", v.len()))?;
    let runs = Runs::of(input);
    let f: fn([f64; 2]) -> Vec<f64> = match function {
        "ff" => saddle::<Fwd, Fwd>,
        "fr" => saddle::<Fwd, Rev>,
        "rf" => saddle::<Rev, Fwd>,
        "rr" => saddle::<Rev, Rev>,
        _ => return Err(super::no_function(function, &["rr", "ff", "fr", "rf"])),
    };
    let (y, times) = timed(runs, || f(start));
    done(y, times)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `saddle` as dispatched (compiled for AVX2 and FMA on a processor that has them) against
    /// the same code compiled for the baseline target, in all four nestings and from several
    /// starts: the same bits.
    #[test]
    fn the_avx2_build_and_the_baseline_build_agree_bit_for_bit() {
        let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        for start in [[1.0, 1.0], [0.5, -2.0], [-3.0, 0.25]] {
            type Run = fn([f64; 2]) -> Vec<f64>;
            let pairs: [(&str, Run, Run); 4] = [
                ("ff", saddle::<Fwd, Fwd>, saddle_body::<Fwd, Fwd>),
                ("fr", saddle::<Fwd, Rev>, saddle_body::<Fwd, Rev>),
                ("rf", saddle::<Rev, Fwd>, saddle_body::<Rev, Fwd>),
                ("rr", saddle::<Rev, Rev>, saddle_body::<Rev, Rev>),
            ];
            for (name, dispatched, baseline) in pairs {
                let (a, b) = (dispatched(start), baseline(start));
                assert!(
                    a.iter().all(|x| x.is_finite() && x.abs() < 1e-3),
                    "{name} {a:?}"
                );
                assert_eq!(bits(a), bits(b), "{name} from {start:?}");
            }
        }
    }
}
