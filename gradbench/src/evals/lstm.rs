//! `lstm`: the loss of an l-layer LSTM predicting each character of a text (b bits per character)
//! from the previous ones, and its gradient in the 8lb + 3b weights (reverse mode: a few hundred
//! inputs, one output). The time steps are a `scan` over the text. The gradient is a graph
//! recorded once per shape (l, b, c) with the initial state and the text as its parameters, the
//! `scan` one loop node whose step is recorded once, compiled to native code (the JIT); the tape
//! is the other mode.

use nilpotent::graph::Graph;
use nilpotent::reverse::{Tape, Var};
use nilpotent::{Literal, Real, scan};
use serde_json::Value;

use super::graphs::{self, Mode};
use crate::{Runs, Timed, done, done_recorded, json, timed};

/// 1 / (1 + e⁻ˣ)
fn sigmoid<T: Real>(x: T) -> T {
    ((-x).exp() + 1.0).recip()
}

/// One step of the network on input `x`: updates the layers' hidden and cell states in `state`
/// (per layer: hidden b, cell b) and returns the prediction (b values).
fn predict<T: Real>(
    l: usize,
    b: usize,
    main: &[T],
    extra: &[T],
    state: &mut [T],
    x: &[T],
) -> Vec<T> {
    let (in_w, out_w, out_b) = (&extra[..b], &extra[b..2 * b], &extra[2 * b..3 * b]);
    let mut input: Vec<T> = x.iter().zip(in_w).map(|(&a, &w)| a * w).collect();
    for layer in 0..l {
        let p = &main[8 * b * layer..8 * b * (layer + 1)];
        let (w, bias) = p.split_at(4 * b);
        let (hidden, cell) = state[2 * b * layer..2 * b * (layer + 1)].split_at_mut(b);
        for i in 0..b {
            let forget = sigmoid(input[i] * w[i] + bias[i]);
            let ingate = sigmoid(hidden[i] * w[b + i] + bias[b + i]);
            let outgate = sigmoid(input[i] * w[2 * b + i] + bias[2 * b + i]);
            let change = (hidden[i] * w[3 * b + i] + bias[3 * b + i]).tanh();
            cell[i] = cell[i] * forget + ingate * change;
            hidden[i] = outgate * cell[i].tanh();
        }
        input.copy_from_slice(hidden);
    }
    input
        .iter()
        .zip(out_w.iter().zip(out_b))
        .map(|(&h, (&w, &c))| h * w + c)
        .collect()
}

/// The loss: minus the mean over steps and bits of gold · log-softmax(prediction) (the
/// normaliser ln(Σ eʸ + 2), as the benchmark defines it). `pairs` holds one row of 2b per step:
/// the character read, then the character to predict.
pub fn objective<T: Real>(
    l: usize,
    b: usize,
    main: &[T],
    extra: &[T],
    state: &[T],
    pairs: &[T],
) -> T {
    let ls = 2 * l * b;
    let mut init = state.to_vec();
    init.push(T::zero());
    let last = scan(&init, pairs, 2 * b, |s, row| {
        let mut next = s.to_vec();
        let (x, gold) = row.split_at(b);
        let y = predict(l, b, main, extra, &mut next[..ls], x);
        let lse = (y.iter().map(|v| v.exp()).sum::<T>() + 2.0).ln();
        let mut total = s[ls];
        for (&g, &yi) in gold.iter().zip(&y) {
            total += g * (yi - lse);
        }
        next[ls] = total;
        next
    });
    let count = (pairs.len() / 2) as f64;
    -last[ls] / count
}

/// Runs `lstm.function` on `input`.
pub fn evaluate(function: &str, input: &Value) -> Result<Timed, String> {
    let (main, rows, cols) = json::matrix(json::field(input, "main_params")?, "main_params")?;
    let (extra, erows, ecols) = json::matrix(json::field(input, "extra_params")?, "extra_params")?;
    let (state, srows, scols) = json::matrix(json::field(input, "state")?, "state")?;
    let (seq, c, sb) = json::matrix(json::field(input, "sequence")?, "sequence")?;
    let (l, b) = (rows / 2, cols / 4);
    if rows == 0
        || rows % 2 != 0
        || cols % 4 != 0
        || (erows, ecols) != (3, b)
        || (srows, scols) != (2 * l, b)
        || sb != b
        || c < 2
    {
        return Err(format!(
            "main_params is {rows}×{cols} (2l × 4b), extra_params {erows}×{ecols} (3 × b), state \
             {srows}×{scols} (2l × b), sequence {c}×{sb} (c × b, c ≥ 2): inconsistent"
        ));
    }
    // the rows (character t, character t + 1)
    let pairs: Vec<f64> = (0..c - 1)
        .flat_map(|t| seq[t * b..(t + 2) * b].iter().copied())
        .collect();
    let runs = Runs::of(input);
    match function {
        "objective" => {
            let (y, times) = timed(runs, || objective(l, b, &main, &extra, &state, &pairs));
            done(y, times)
        }
        "jacobian" => {
            let params: Vec<f64> = [main.as_slice(), extra.as_slice()].concat();
            let nm = main.len();
            // the graph's data: the initial state, then the text's pairs
            let ns = state.len();
            let mut data: Vec<f64> = [state.as_slice(), pairs.as_slice()].concat();
            let mut tape = Tape::new();
            let r = graphs::gradient(
                &format!("lstm l={l} b={b} c={c}"),
                Mode::Jit,
                |data| {
                    Graph::record_with(&params, data, |v, p| {
                        objective(l, b, &v[..nm], &v[nm..], &p[..ns], &p[ns..])
                    })
                    .gradient()
                },
                (&params, &mut data),
                |_, _| {},
                runs,
                |g| {
                    let st: Vec<Var<f64>> = state.iter().map(|&v| Var::cst(v)).collect();
                    let pr: Vec<Var<f64>> = pairs.iter().map(|&v| Var::cst(v)).collect();
                    tape.gradient_into(
                        |v| objective(l, b, &v[..nm], &v[nm..], &st, &pr),
                        &params,
                        g,
                    );
                },
            )?;
            done_recorded(r.g, r.times, r.record)
        }
        _ => Err(super::no_function(function, &["objective", "jacobian"])),
    }
}
