//! `gmm`: the log-posterior of a Gaussian mixture model (k components in d dimensions, n data
//! points, a Wishart prior) and its gradient with respect to all parameters (reverse mode:
//! k·(1 + 2d + d(d−1)/2) inputs, one output).
//!
//! The data term is a sum over the points (`sum_map`). The gradient is a graph recorded once per
//! shape (d, k, n, m, γ) with the points as its parameters, the sum one loop node whose body (one
//! point) is recorded once, compiled to native code (the JIT) — for small bodies only
//! ([`jit_first`]): the compiled body is straight-line code run once per point, and past some
//! thousand operations per point it runs slower than the tape (measured: d = 32, k = 25 takes
//! 1.5 s by the JIT against 0.4 s by the tape). Larger shapes use the tape: the gradient of a sum is
//! the sum of the gradients, so the points are recorded in blocks of at most about 4 M tape nodes,
//! each block swept on its own (a single recording of d = 64, k = 100, n = 1000 would hold over
//! 400 M nodes).

use std::cell::RefCell;

use nilpotent::graph::Graph;
use nilpotent::reverse::{Tape, Var};
use nilpotent::{Literal, Real, sum_map};
use serde_json::Value;

use super::graphs::{self, Mode};
use crate::{Runs, Timed, done, done_recorded, json, timed};

/// The sizes and the prior's constants.
#[derive(Clone, Copy, Debug)]
pub struct Dims {
    /// dimension
    pub d: usize,
    /// number of components
    pub k: usize,
    /// Wishart prior: extra degrees of freedom
    pub m: i64,
    /// Wishart prior: precision
    pub gamma: f64,
}

impl Dims {
    /// entries of a strictly lower triangle
    fn ld(&self) -> usize {
        self.d * (self.d.saturating_sub(1)) / 2
    }
}

/// Whether the gradient is first tried as a compiled graph (else the tape): for a per-point work
/// w = k·(d(d − 1)/2 + 4d) up to 3000 with k ≤ 10 components, or up to 1000 with k ≤ 25. Measured on
/// this eval's workloads (GradBench, jacobian time, JIT against tape, on the loaded machine): 2_5
/// 0.50–0.59 against 1.39–1.75 ms, 2_25 2.4–3.1 against 7.5–10.5, 10_10 17–19 against 22–31, 20_5
/// 26–27 against 42–57, 20_10 (w = 2700) 68–74 against 88–135; slower: 10_25 (w = 2125) 92–97
/// against 68–88, 2_50 16 against 11, 20_25 391 against 304 ms; and at k = 50 and 100 with d ≥ 10
/// the derivative of the log-sum-exp's max takes more paths per point than a loop body may have
/// (the recording panics; the tape then answers that shape).
fn jit_first(dims: Dims) -> bool {
    let work = dims.k * (dims.ld() + 4 * dims.d);
    (dims.k <= 10 && work <= 3000) || (dims.k <= 25 && work <= 1000)
}

/// The parameter vector split into α, μ, q, l.
fn split<T>(theta: &[T], dims: Dims) -> (&[T], &[T], &[T], &[T]) {
    let (k, d) = (dims.k, dims.d);
    let (alpha, rest) = theta.split_at(k);
    let (mu, rest) = rest.split_at(k * d);
    let (q, l) = rest.split_at(k * d);
    (alpha, mu, q, l)
}

/// log Σ exp(xᵢ), shifted by the largest. The largest is taken with `max`, not a comparison: in
/// graph mode a comparison is a branch, and the points of a loop over data would take more paths
/// through it than a loop body may have.
fn logsumexp<T: Real>(x: &[T]) -> T {
    let a = x[1..].iter().fold(x[0], |m, &v| m.max(v));
    let mut s = T::zero();
    for &v in x {
        s += (v - a).exp();
    }
    s.ln() + a
}

/// Σ over the points x (rows of d) of log Σⱼ exp(αⱼ + Σ qⱼ − ½|Qⱼ(x − μⱼ)|²), Qⱼ lower triangular
/// with diagonal exp(qⱼ) and strictly lower part lⱼ (column by column).
pub fn data_term<T: Real>(theta: &[T], xs: &[T], dims: Dims) -> T {
    let (d, k, ld) = (dims.d, dims.k, dims.ld());
    let (alpha, mu, q, l) = split(theta, dims);
    let qdiag: Vec<T> = q.iter().map(|v| v.exp()).collect();
    let sumq: Vec<T> = q
        .chunks_exact(d)
        .map(|qj| qj.iter().copied().sum())
        .collect();
    let buf = RefCell::new(vec![T::zero(); 2 * d + k]);
    sum_map(xs, d, |x| {
        let mut b = buf.borrow_mut();
        let (xc, rest) = b.split_at_mut(d);
        let (qx, beta) = rest.split_at_mut(d);
        for j in 0..k {
            let (muj, qj, lj) = (&mu[j * d..], &qdiag[j * d..], &l[j * ld..]);
            for i in 0..d {
                xc[i] = x[i] - muj[i];
                qx[i] = qj[i] * xc[i];
            }
            // the strictly lower part, column by column
            let mut idx = 0;
            for (i, &xi) in xc.iter().enumerate() {
                for q in qx[i + 1..].iter_mut() {
                    *q += lj[idx] * xi;
                    idx += 1;
                }
            }
            let mut sq = T::zero();
            for &v in qx.iter() {
                sq += v * v;
            }
            beta[j] = alpha[j] + sumq[j] - sq * 0.5;
        }
        logsumexp(beta)
    })
}

/// log Γ_d(a), the multivariate gamma function's logarithm.
fn log_gamma_distrib(a: f64, d: usize) -> f64 {
    let mut out = 0.25 * (d * (d.saturating_sub(1))) as f64 * std::f64::consts::PI.ln();
    for j in 1..=d {
        out += libm::lgamma(a + 0.5 * (1.0 - j as f64));
    }
    out
}

/// Everything but the data term: −n·(d/2·log 2π + logsumexp α) and the log Wishart prior.
pub fn rest<T: Real>(theta: &[T], n: usize, dims: Dims) -> T {
    let (d, k, ld) = (dims.d, dims.k, dims.ld());
    let (alpha, _, q, l) = split(theta, dims);
    let constant = -(n as f64) * d as f64 * 0.5 * (2.0 * std::f64::consts::PI).ln();
    let dof = d as f64 + dims.m as f64 + 1.0;
    let c = dof * d as f64 * (dims.gamma.ln() - 0.5 * 2f64.ln()) - log_gamma_distrib(0.5 * dof, d);
    let mut prior = T::zero();
    for j in 0..k {
        let mut frob = T::zero();
        let mut sumq = T::zero();
        for &qi in &q[j * d..(j + 1) * d] {
            let e = qi.exp();
            frob += e * e;
            sumq += qi;
        }
        for &li in &l[j * ld..(j + 1) * ld] {
            frob += li * li;
        }
        prior += frob * (0.5 * dims.gamma * dims.gamma) - sumq * dims.m as f64;
    }
    T::cst(constant + k as f64 * c) - logsumexp(alpha) * n as f64 - prior
}

/// The log-posterior.
pub fn objective<T: Real>(theta: &[T], xs: &[T], dims: Dims) -> T {
    data_term(theta, xs, dims) + rest(theta, xs.len() / dims.d, dims)
}

/// The gradient of [`objective`] with respect to θ, written into `grad`: [`rest`] on one
/// recording, the data term on blocks of points, each its own recording and sweep.
pub fn gradient(
    tape: &mut Tape<f64>,
    theta: &[f64],
    xs: &[Var<f64>],
    dims: Dims,
    grad: &mut [f64],
) {
    let (d, k) = (dims.d, dims.k);
    let n = xs.len() / d;
    let per_point = k * (d * d + 4 * d + 4);
    let block = ((1usize << 22) / per_point.max(1)).clamp(1, n.max(1));
    let y = tape.record(theta, |v| rest(v, n, dims));
    grad.copy_from_slice(tape.backward(y));
    for rows in xs.chunks(block * d) {
        let y = tape.record(theta, |v| data_term(v, rows, dims));
        for (g, a) in grad.iter_mut().zip(tape.backward(y)) {
            *g += a;
        }
    }
}

/// Runs `gmm.function` on `input`.
pub fn evaluate(function: &str, input: &Value) -> Result<Timed, String> {
    let d = json::int(json::field(input, "d")?, "d")?;
    let k = json::int(json::field(input, "k")?, "k")?;
    let n = json::int(json::field(input, "n")?, "n")?;
    let m = json::field(input, "m")?
        .as_i64()
        .ok_or("m is not an integer")?;
    let gamma = json::num(json::field(input, "gamma")?, "gamma")?;
    let dims = Dims { d, k, m, gamma };
    if d == 0 || k == 0 {
        return Err(format!("d = {d}, k = {k}: both must be at least 1"));
    }
    let (x, nx, dx) = json::matrix(json::field(input, "x")?, "x")?;
    let alpha = json::vec(json::field(input, "alpha")?, "alpha")?;
    let (mu, kmu, dmu) = json::matrix(json::field(input, "mu")?, "mu")?;
    let (q, kq, dq) = json::matrix(json::field(input, "q")?, "q")?;
    let (l, kl, _) = json::matrix(json::field(input, "l")?, "l")?;
    let shapes = [
        ("x", nx, dx, n, d),
        ("mu", kmu, dmu, k, d),
        ("q", kq, dq, k, d),
        ("l", kl, l.len() / kl.max(1), k, dims.ld()),
    ];
    for (name, r, c, er, ec) in shapes {
        if r != er || (r > 0 && c != ec) {
            return Err(format!(
                "{name} is {r}×{c}; expected {er}×{ec} (d = {d}, k = {k}, n = {n})"
            ));
        }
    }
    if alpha.len() != k {
        return Err(format!(
            "alpha has {} entries; expected k = {k}",
            alpha.len()
        ));
    }
    let theta: Vec<f64> = [alpha, mu, q, l].concat();
    let runs = Runs::of(input);
    match function {
        "objective" => {
            let (y, times) = timed(runs, || objective(&theta, &x, dims));
            done(y, times)
        }
        "jacobian" => {
            let mut tape = Tape::new();
            let r = graphs::gradient(
                &format!("gmm d={d} k={k} n={n} m={m} gamma={gamma:e}"),
                if jit_first(dims) {
                    Mode::Jit
                } else {
                    Mode::Tape
                },
                |x| Graph::record_with(&theta, x, |t, p| objective(t, p, dims)).gradient(),
                (&theta, &mut x.clone()),
                |_, _| {},
                runs,
                |g| {
                    let xs: Vec<Var<f64>> = x.iter().map(|&v| Var::cst(v)).collect();
                    gradient(&mut tape, &theta, &xs, dims, g);
                },
            )?;
            let (a, mu, q, l) = split(&r.g, dims);
            let ld = dims.ld();
            let l_rows = if ld == 0 {
                vec![Value::Array(vec![]); k]
            } else {
                l.chunks(ld).map(|r| Value::from(r.to_vec())).collect()
            };
            let out = serde_json::json!({
                "alpha": a.to_vec(),
                "mu": json::rows(mu, d),
                "q": json::rows(q, d),
                "l": l_rows,
            });
            done_recorded(out, r.times, r.record)
        }
        _ => Err(super::no_function(function, &["objective", "jacobian"])),
    }
}
