//! Shared by the benches: the workloads, written once over a small local trait [`Real`], and the
//! thin adapter that lets num-dual's number types run the very same functions.
//!
//! num-dual's types do not implement `num_traits::Float`, so the functions are generic over `Real`
//! instead: every `num_traits::Float` type (f64, nilpotent's `Dual` and `Var`) implements it through
//! a blanket impl, and num-dual's types through the newtype [`Nd`]. All adapter methods are
//! `#[inline(always)]` one-line delegations; `benches/gradient.rs` compares the adapter with
//! num-dual's native API on the lecture function to show that it costs nothing.

#![allow(dead_code)]

// The criterion settings and the num-dual adapter exist where those crates do: in the benches and
// the profiler (package nilpotent-dev, whose build script sets `nilpotent_bench_peers`), not in
// nilpotent's own examples and tests that share the workloads.

use core::ops::{Add, Div, Mul, Neg, Sub};

#[cfg(nilpotent_bench_peers)]
use criterion::Criterion;
#[cfg(nilpotent_bench_peers)]
use num_dual::DualNum;
use num_traits::Float;

#[cfg(nilpotent_bench_peers)]
/// The criterion settings of every bench: short warm-up and measurement, so that `cargo bench`
/// runs all cases (about 90 of them) in a few minutes.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
        .sample_size(30)
}

/// The operations the benchmark functions use.
pub trait Real:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    fn cst(x: f64) -> Self;
    fn ln(self) -> Self;
    fn sin(self) -> Self;
    fn cos(self) -> Self;
    fn exp(self) -> Self;
    fn tanh(self) -> Self;
    fn sqr(self) -> Self;
}

impl<T: Float> Real for T {
    #[inline(always)]
    fn cst(x: f64) -> Self {
        T::from(x).unwrap()
    }
    #[inline(always)]
    fn ln(self) -> Self {
        Float::ln(self)
    }
    #[inline(always)]
    fn sin(self) -> Self {
        Float::sin(self)
    }
    #[inline(always)]
    fn cos(self) -> Self {
        Float::cos(self)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        Float::exp(self)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        Float::tanh(self)
    }
    #[inline(always)]
    fn sqr(self) -> Self {
        self * self
    }
}

#[cfg(nilpotent_bench_peers)]
/// A num-dual number, seen through [`Real`].
#[derive(Clone, Copy, Debug)]
pub struct Nd<D>(pub D);

#[cfg(nilpotent_bench_peers)]
macro_rules! nd_op {
    ($Op:ident, $op:ident) => {
        impl<D: DualNum<Primitive = f64> + Copy> $Op for Nd<D> {
            type Output = Self;
            #[inline(always)]
            fn $op(self, rhs: Self) -> Self {
                Nd(self.0.$op(rhs.0))
            }
        }
    };
}
#[cfg(nilpotent_bench_peers)]
nd_op!(Add, add);
#[cfg(nilpotent_bench_peers)]
nd_op!(Sub, sub);
#[cfg(nilpotent_bench_peers)]
nd_op!(Mul, mul);
#[cfg(nilpotent_bench_peers)]
nd_op!(Div, div);

#[cfg(nilpotent_bench_peers)]
impl<D: DualNum<Primitive = f64> + Copy> Neg for Nd<D> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Nd(-self.0)
    }
}

#[cfg(nilpotent_bench_peers)]
impl<D: DualNum<Primitive = f64> + Copy> Real for Nd<D> {
    #[inline(always)]
    fn cst(x: f64) -> Self {
        Nd(D::from(x))
    }
    #[inline(always)]
    fn ln(self) -> Self {
        Nd(self.0.ln())
    }
    #[inline(always)]
    fn sin(self) -> Self {
        Nd(self.0.sin())
    }
    #[inline(always)]
    fn cos(self) -> Self {
        Nd(self.0.cos())
    }
    #[inline(always)]
    fn exp(self) -> Self {
        Nd(self.0.exp())
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        Nd(self.0.tanh())
    }
    #[inline(always)]
    fn sqr(self) -> Self {
        Nd(self.0 * self.0)
    }
}

// ----- workloads -----

/// The lecture function f(x₁, x₂) = ln x₁ + x₁x₂ − sin x₂.
#[inline(always)]
pub fn lecture<T: Real>(x: &[T]) -> T {
    x[0].ln() + x[0] * x[1] - x[1].sin()
}

/// Its gradient by hand: (1/x₁ + x₂, x₁ − cos x₂).
#[inline(always)]
pub fn lecture_grad_by_hand(x: &[f64; 2]) -> (f64, [f64; 2]) {
    let (s, c) = x[1].sin_cos();
    (x[0].ln() + x[0] * x[1] - s, [1.0 / x[0] + x[1], x[0] - c])
}

/// The extended Rosenbrock function Σᵢ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)².
#[inline(always)]
pub fn rosenbrock<T: Real>(x: &[T]) -> T {
    let mut s = T::cst(0.0);
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i].sqr();
        let b = T::cst(1.0) - x[i];
        s = s + T::cst(100.0) * a.sqr() + b.sqr();
    }
    s
}

/// Its gradient by hand.
pub fn rosenbrock_grad_by_hand(x: &[f64], g: &mut [f64]) -> f64 {
    g.iter_mut().for_each(|gi| *gi = 0.0);
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
        g[i] += -400.0 * a * x[i] - 2.0 * b;
        g[i + 1] += 200.0 * a;
    }
    s
}

/// Its Hessian by hand (tridiagonal), written into a dense n × n row-major buffer.
pub fn rosenbrock_hessian_by_hand(x: &[f64], h: &mut [f64]) {
    let n = x.len();
    h.iter_mut().for_each(|v| *v = 0.0);
    for i in 0..n - 1 {
        h[i * n + i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
        h[(i + 1) * n + i + 1] += 200.0;
        h[i * n + i + 1] += -400.0 * x[i];
        h[(i + 1) * n + i] += -400.0 * x[i];
    }
}

/// A dense nonlinear map ℝⁿ → ℝⁿ: yᵢ = tanh(Σⱼ aᵢⱼ xⱼ) + xᵢ², with aᵢⱼ = 1/(i + j + 1).
pub fn dense_map<T: Real>(x: &[T]) -> Vec<T> {
    let n = x.len();
    (0..n)
        .map(|i| {
            let mut z = T::cst(0.0);
            for (j, &xj) in x.iter().enumerate() {
                z = z + T::cst(1.0 / (i + j + 1) as f64) * xj;
            }
            z.tanh() + x[i].sqr()
        })
        .collect()
}

/// Its Jacobian by hand: ∂yᵢ/∂xⱼ = (1 − tanh²zᵢ)·aᵢⱼ + 2xᵢδᵢⱼ (row-major n × n).
pub fn dense_map_jacobian_by_hand(x: &[f64], jac: &mut [f64]) {
    let n = x.len();
    for i in 0..n {
        let mut z = 0.0;
        for (j, &xj) in x.iter().enumerate() {
            z += 1.0 / (i + j + 1) as f64 * xj;
        }
        let t = z.tanh();
        let d = 1.0 - t * t;
        for j in 0..n {
            jac[i * n + j] = d / (i + j + 1) as f64;
        }
        jac[i * n + i] += 2.0 * x[i];
    }
}

/// A banded map ℝⁿ → ℝⁿ of bandwidth 5 (a Bratu-like boundary-value residual): the fourth-order
/// finite-difference Laplacian, a product of the two neighbours and an exponential,
/// yᵢ = (−xᵢ₋₂ + 16xᵢ₋₁ − 30xᵢ + 16xᵢ₊₁ − xᵢ₊₂)/12 + xᵢ₋₁xᵢ₊₁ + 0.1·exp(xᵢ), with x = 0 outside
/// 0..n. Its Jacobian has 5 diagonals; the function costs 11 flops and one `exp` per entry.
pub fn banded_map<T: Real>(x: &[T]) -> Vec<T> {
    let n = x.len();
    let at = |k: usize| {
        if k >= 2 && k - 2 < n {
            x[k - 2]
        } else {
            T::cst(0.0)
        }
    };
    (0..n)
        .map(|i| {
            let k = i + 2; // x[i + d] is at(k + d)
            let stencil = T::cst(16.0) * (at(k - 1) + at(k + 1))
                - (at(k - 2) + at(k + 2))
                - T::cst(30.0) * at(k);
            stencil * T::cst(1.0 / 12.0) + at(k - 1) * at(k + 1) + T::cst(0.1) * at(k).exp()
        })
        .collect()
}

/// A long scalar recurrence: `steps` explicit Euler steps of the logistic equation x' = x(1 − x)
/// with step h = 10⁻³: xₙ₊₁ = xₙ + h·xₙ(1 − xₙ). (Unlike the chaotic logistic map, whose
/// derivative overflows after ~1000 steps, dxₙ/dx₀ stays a normal number for 10⁴ steps.)
#[inline(always)]
pub fn euler_recurrence<T: Real>(x: T, steps: usize) -> T {
    let h = T::cst(1e-3);
    let mut v = x;
    for _ in 0..steps {
        v = v + h * v * (T::cst(1.0) - v);
    }
    v
}

/// Its derivative with respect to x₀ by hand: x'ₙ₊₁ = x'ₙ + h·x'ₙ(1 − 2xₙ).
pub fn euler_recurrence_derivative_by_hand(x: f64, steps: usize) -> (f64, f64) {
    let h = 1e-3;
    let (mut v, mut d) = (x, 1.0);
    for _ in 0..steps {
        d = d + h * d * (1.0 - 2.0 * v);
        v = v + h * v * (1.0 - v);
    }
    (v, d)
}

/// A deterministic data set for logistic regression: m samples of d features in [−1, 1], labels 0/1.
pub struct Data {
    pub d: usize,
    pub features: Vec<f64>, // m × d, row-major
    pub labels: Vec<f64>,
}

impl Data {
    pub fn new(m: usize, d: usize) -> Self {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        };
        let features: Vec<f64> = (0..m * d).map(|_| next()).collect();
        let labels = (0..m)
            .map(|i| {
                let z: f64 = features[i * d..(i + 1) * d]
                    .iter()
                    .enumerate()
                    .map(|(j, x)| x * ((j % 7) as f64 - 3.0))
                    .sum();
                if z + 0.3 * next() > 0.0 { 1.0 } else { 0.0 }
            })
            .collect();
        Data {
            d,
            features,
            labels,
        }
    }

    /// L(w) = Σᵢ −[yᵢ ln ŷᵢ + (1 − yᵢ) ln(1 − ŷᵢ)] + λ‖w‖², ŷᵢ = 1/(1 + exp(−(w₀ + Σⱼ wⱼ xᵢⱼ))).
    pub fn loss<T: Real>(&self, w: &[T]) -> T {
        let lambda = T::cst(1e-3);
        let mut loss = T::cst(0.0);
        for (row, &y) in self.features.chunks_exact(self.d).zip(&self.labels) {
            let mut z = w[0];
            for (wj, &xj) in w[1..].iter().zip(row) {
                z = z + *wj * T::cst(xj);
            }
            let p = T::cst(1.0) / (T::cst(1.0) + (-z).exp());
            loss = loss
                - if y > 0.5 {
                    p.ln()
                } else {
                    (T::cst(1.0) - p).ln()
                };
        }
        let mut reg = T::cst(0.0);
        for &wj in w {
            reg = reg + wj.sqr();
        }
        loss + lambda * reg
    }

    /// The gradient by hand: ∂L/∂w = Σᵢ (ŷᵢ − yᵢ)(1, xᵢ) + 2λw.
    pub fn loss_grad_by_hand(&self, w: &[f64], g: &mut [f64]) -> f64 {
        let lambda = 1e-3;
        g.iter_mut()
            .zip(w)
            .for_each(|(gi, wi)| *gi = 2.0 * lambda * wi);
        let mut loss = 0.0;
        for (row, &y) in self.features.chunks_exact(self.d).zip(&self.labels) {
            let z = w[0] + w[1..].iter().zip(row).map(|(a, b)| a * b).sum::<f64>();
            let p = 1.0 / (1.0 + (-z).exp());
            loss -= if y > 0.5 { p.ln() } else { (1.0 - p).ln() };
            let r = p - y;
            g[0] += r;
            for (gj, &xj) in g[1..].iter_mut().zip(row) {
                *gj += r * xj;
            }
        }
        loss + lambda * w.iter().map(|v| v * v).sum::<f64>()
    }
}
