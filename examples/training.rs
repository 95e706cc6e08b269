//! The lecture's training loop in graph mode: logistic regression trained by minibatch SGD, the
//! loss gradient recorded ONCE as a graph with the minibatch as parameters and evaluated at every
//! step on new data — no re-recording.
//!
//! Data: a generated set with a fixed seed (640 samples of two features, labels drawn from the
//! logistic model with weights (−0.5, 2, −1); see `training_sgd::data_set`), so every run prints
//! the same numbers; no registry data set is needed.
//!
//! Data belongs in parameters: a graph records a constant for every `f64` its function captures,
//! so a minibatch captured in the closure is baked into the graph and the next minibatch needs a
//! new recording (the last column of the timing table). Passed as parameters
//! (`Graph::record_with`), it is read at each evaluation (`eval_with_into`). The loss is written
//! without a branch on the data: a branch on a label would be a guard that the next minibatch
//! trips. Its sum over the samples is `nilpotent::sum_map` over rows of (x₁, x₂, y): the row's
//! expression written once, a plain loop on the tape, and in graph mode a loop whose recording
//! does not grow with the batch.
//!
//! Run with `cargo run --release --example training [-- STEPS]` (default 240: 12 epochs), and
//! `--features jit` to train on compiled code too.

#[path = "training_sgd/mod.rs"]
mod training_sgd;

use std::time::Instant;

use training_sgd::{
    STRIDE, data_set, gradient_graph, minibatch, train_graph, train_rerecording, train_tape,
};

fn main() {
    let steps: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("STEPS: a number of steps"))
        .unwrap_or(240);
    let (batch, lr) = (32, 0.2);
    let data = data_set(640, 0x5eed);
    let w0 = [0.0; 3];

    // the one recording: the gradient graph, with the first minibatch as the recording point
    let t = Instant::now();
    let mut first = vec![0.0; batch * STRIDE];
    minibatch(&data, 0, batch, &mut first);
    let grad = gradient_graph(&w0, &first);
    let record_time = t.elapsed();
    let recordings = 1;
    println!(
        "gradient graph: {} inputs, {} parameters (a minibatch of {batch}), {} operations, {} \
         constants; recorded {recordings} time in {:.2?}",
        grad.num_inputs(),
        grad.num_params(),
        grad.len(),
        grad.num_constants(),
        record_time
    );

    // training on the interpreter
    let t = Instant::now();
    let (w, losses) = train_graph(
        &mut grad.program().evaluator::<f64>(),
        &data,
        &w0,
        batch,
        lr,
        steps,
    );
    let interp = t.elapsed();
    // an epoch is a pass over the data set (640 / 32 = 20 minibatches)
    let per_epoch = data.len() / batch;
    let epochs = steps / per_epoch;
    println!("\n  epoch   mean minibatch loss");
    let mut shown: Vec<usize> = (0..epochs).step_by((epochs / 10).max(1)).collect();
    if shown.last() != Some(&(epochs - 1)) {
        shown.push(epochs - 1);
    }
    for e in shown {
        let l = &losses[e * per_epoch..(e + 1) * per_epoch];
        println!("  {e:5}   {:.6}", l.iter().sum::<f64>() / l.len() as f64);
    }
    println!(
        "\nweights after {steps} steps: w = ({:.4}, {:.4}, {:.4}) (the model's: (−0.5, 2, −1))",
        w[0], w[1], w[2]
    );
    println!("recordings of the gradient graph: {recordings} (for {steps} minibatches)");

    // the same steps: tape, re-recording the graph per step, and (feature `jit`) compiled code
    let t = Instant::now();
    let (w_tape, _) = train_tape(&data, &w0, batch, lr, steps);
    let tape = t.elapsed();
    let t = Instant::now();
    let (w_rerec, _) = train_rerecording(&data, &w0, batch, lr, steps);
    let rerec = t.elapsed();
    let diff = w
        .iter()
        .zip(&w_tape)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!("largest difference to the tape's weights: {diff:.1e}");
    let _ = w_rerec;
    let per = |d: std::time::Duration| d.as_secs_f64() * 1e6 / steps as f64;
    println!("\ntime per step (µs):");
    println!("  graph, recorded once, interpreter   {:8.2}", per(interp));
    #[cfg(feature = "jit")]
    {
        let t = Instant::now();
        let compiled = grad.compile().expect("a host Cranelift supports");
        let compile = t.elapsed();
        let t = Instant::now();
        let (wj, _) = train_graph(&mut { compiled }, &data, &w0, batch, lr, steps);
        let jit = t.elapsed();
        assert_eq!(wj, w, "the JIT gives the interpreter's numbers bit for bit");
        println!(
            "  graph, recorded once, JIT           {:8.2}   (+ {:.2?} to compile once)",
            per(jit),
            compile
        );
    }
    println!("  tape, recorded every step           {:8.2}", per(tape));
    println!("  graph, recorded again every step    {:8.2}", per(rerec));
}
