//! The core of `examples/training.rs`, shared with its test (`tests/suite/examples/training.rs`): logistic
//! regression trained by minibatch SGD, with the loss gradient from a graph recorded once with the
//! minibatch as parameters, or from the tape.
//!
//! Not an example of its own (no `main`): `examples/training.rs` and `tests/suite/examples/training.rs` include it
//! with `#[path]`.
#![allow(dead_code)]

use nilpotent::graph::{Evaluate, Graph};
use nilpotent::reverse;
use nilpotent::{Real, sum_map};

/// Features per sample (x₁, x₂), as in the lecture's logistic regression.
pub const D: usize = 2;
/// Values per sample in a minibatch's parameters: x₁, x₂, y.
pub const STRIDE: usize = D + 1;
/// The L2 penalty λ.
pub const LAMBDA: f64 = 1e-3;

/// A generated data set with a fixed seed (no registry data set is needed): `m` samples
/// `[x₁, x₂, y]`, features uniform in [−2, 2], labels drawn from the logistic model with weights
/// (w₀, w₁, w₂) = (−0.5, 2, −1), so the weights SGD should approach are known.
pub fn data_set(m: usize, seed: u64) -> Vec<[f64; STRIDE]> {
    let mut state = seed | 1;
    let mut unit = move || {
        // xorshift64
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..m)
        .map(|_| {
            let x1 = 4.0 * unit() - 2.0;
            let x2 = 4.0 * unit() - 2.0;
            let z = -0.5 + 2.0 * x1 - x2;
            let y = if unit() < 1.0 / (1.0 + (-z).exp()) {
                1.0
            } else {
                0.0
            };
            [x1, x2, y]
        })
        .collect()
}

/// The minibatch of step `step` as parameters `[x₁, x₂, y, x₁, x₂, y, …]`: `batch` consecutive
/// samples of the data set, cycling through it (epoch after epoch), written into `p`.
pub fn minibatch(data: &[[f64; STRIDE]], step: usize, batch: usize, p: &mut [f64]) {
    assert_eq!(p.len(), batch * STRIDE);
    let start = (step * batch) % data.len();
    for k in 0..batch {
        let s = data[(start + k) % data.len()];
        p[k * STRIDE..(k + 1) * STRIDE].copy_from_slice(&s);
    }
}

/// The mean loss of a minibatch `p` at the weights `w = (w₀, w₁, w₂)`:
/// `(1/B) Σ [ln(1 + e^z) − y·z] + λ‖w‖²` with `z = w₀ + w₁x₁ + w₂x₂` — the logistic loss
/// `−[y ln σ(z) + (1 − y) ln(1 − σ(z))]` written without a branch on the data: a branch on a label
/// or on z (as the tour's overflow-safe softplus takes) would be a guard of the graph, and the
/// next minibatch would take the other branch somewhere. (`ln(1 + e^z)` is exact enough here:
/// |z| stays below 10.)
///
/// The sum over the samples is [`sum_map`] over rows of [`STRIDE`] entries: a plain loop on `f64`,
/// dual numbers and the tape, and in graph mode the row's expression recorded once whatever the
/// batch size (the weights it captures become the loop's inputs).
pub fn loss<T: Real>(w: &[T], p: &[T]) -> T {
    let batch = p.len() / STRIDE;
    let sum = sum_map(p, STRIDE, |s| {
        let z = w[0] + w[1] * s[0] + w[2] * s[1];
        (z.exp() + 1.0).ln() - s[2] * z
    });
    let reg = w[0] * w[0] + w[1] * w[1] + w[2] * w[2];
    sum / batch as f64 + reg * LAMBDA
}

/// [`loss`] with the sum written as a plain `for` loop (what `sum_map` stands for): the same
/// operations in the same order.
#[allow(clippy::assign_op_pattern)] // spelled as sum_map's definition
pub fn loss_unrolled<T: Real>(w: &[T], p: &[T]) -> T {
    let batch = p.len() / STRIDE;
    let mut sum = T::zero();
    for s in p.chunks_exact(STRIDE) {
        let z = w[0] + w[1] * s[0] + w[2] * s[1];
        sum = sum + ((z.exp() + 1.0).ln() - s[2] * z);
    }
    let reg = w[0] * w[0] + w[1] * w[1] + w[2] * w[2];
    sum / batch as f64 + reg * LAMBDA
}

/// The gradient graph of [`loss`] with the minibatch as parameters: recorded once, at `w0` and the
/// first minibatch, for minibatches of `batch` samples. Outputs: the loss, then ∂/∂w₀, ∂/∂w₁,
/// ∂/∂w₂. No constant depends on the data.
pub fn gradient_graph(w0: &[f64], first: &[f64]) -> Graph {
    Graph::record_with(w0, first, loss).gradient()
}

/// `steps` SGD steps `w ← w − lr·∇L(w; minibatch)` from `w0`, the gradient from `grad` (any
/// backend of the gradient graph: the interpreter, the JIT, emitted code) evaluated on each new
/// minibatch. Returns the weights after each step's update and the loss each step saw.
pub fn train_graph(
    grad: &mut impl Evaluate,
    data: &[[f64; STRIDE]],
    w0: &[f64],
    batch: usize,
    lr: f64,
    steps: usize,
) -> (Vec<f64>, Vec<f64>) {
    let mut w = w0.to_vec();
    let mut p = vec![0.0; batch * STRIDE];
    let mut out = vec![0.0; 1 + w.len()];
    let mut losses = Vec::with_capacity(steps);
    for step in 0..steps {
        minibatch(data, step, batch, &mut p);
        grad.eval_with_into(&w, &p, &mut out)
            .expect("the loss has no branch: no guard can fail");
        losses.push(out[0]);
        for (wj, gj) in w.iter_mut().zip(&out[1..]) {
            *wj -= lr * gj;
        }
    }
    (w, losses)
}

/// The same steps with the gradient from the tape (`reverse::gradient`, one recording per step,
/// the minibatch as `f64` constants).
pub fn train_tape(
    data: &[[f64; STRIDE]],
    w0: &[f64],
    batch: usize,
    lr: f64,
    steps: usize,
) -> (Vec<f64>, Vec<f64>) {
    let mut w = w0.to_vec();
    let mut p = vec![0.0; batch * STRIDE];
    let mut losses = Vec::with_capacity(steps);
    for step in 0..steps {
        minibatch(data, step, batch, &mut p);
        let (l, g) = reverse::gradient(
            |v| {
                let pc: Vec<reverse::Var<f64>> =
                    p.iter().map(|&c| reverse::Var::constant(c)).collect();
                loss(v, &pc)
            },
            &w,
        );
        losses.push(l);
        for (wj, gj) in w.iter_mut().zip(&g) {
            *wj -= lr * gj;
        }
    }
    (w, losses)
}

/// The same steps recording the gradient graph again at every step, with the minibatch captured
/// as constants (what graph mode without parameters forces): the cost the parameters remove.
pub fn train_rerecording(
    data: &[[f64; STRIDE]],
    w0: &[f64],
    batch: usize,
    lr: f64,
    steps: usize,
) -> (Vec<f64>, Vec<f64>) {
    let mut w = w0.to_vec();
    let mut p = vec![0.0; batch * STRIDE];
    let mut losses = Vec::with_capacity(steps);
    for step in 0..steps {
        minibatch(data, step, batch, &mut p);
        let g = Graph::record(&w, |v| {
            let pc: Vec<nilpotent::graph::Sym> = p
                .iter()
                .map(|&c| nilpotent::graph::Sym::constant(c))
                .collect();
            loss(v, &pc)
        })
        .gradient();
        let out = g.eval(&w).expect("evaluated where it was recorded");
        losses.push(out[0]);
        for (wj, gj) in w.iter_mut().zip(&out[1..]) {
            *wj -= lr * gj;
        }
    }
    (w, losses)
}
