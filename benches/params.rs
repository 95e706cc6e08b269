//! Graph parameters (issue "Data as parameters"): 100 minibatch SGD steps of the training example's
//! logistic regression (minibatches of 32 samples), the gradient from a graph recorded ONCE with
//! the minibatch as parameters and evaluated on each new minibatch (the recording included in the
//! measured time), against recording the graph again at every step with the minibatch captured as
//! constants, and against the tape.

mod common;

#[path = "../examples/training_sgd/mod.rs"]
mod training_sgd;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use training_sgd::{
    STRIDE, data_set, gradient_graph, minibatch, train_graph, train_rerecording, train_tape,
};

fn minibatch_sgd_100_steps(c: &mut Criterion) {
    let mut group = c.benchmark_group("minibatch_sgd_100_steps");
    let data = data_set(640, 0x5eed);
    let (batch, lr, steps) = (32, 0.2, 100);
    let w0 = [0.0; 3];
    group.bench_function("graph_recorded_once_interpreter", |b| {
        b.iter(|| {
            let mut first = vec![0.0; batch * STRIDE];
            minibatch(&data, 0, batch, &mut first);
            let grad = gradient_graph(&w0, &first);
            let mut eval = grad.program().evaluator::<f64>();
            black_box(train_graph(&mut eval, &data, &w0, batch, lr, steps))
        })
    });
    group.bench_function("graph_recorded_every_step", |b| {
        b.iter(|| black_box(train_rerecording(&data, &w0, batch, lr, steps)))
    });
    group.bench_function("tape", |b| {
        b.iter(|| black_box(train_tape(&data, &w0, batch, lr, steps)))
    });
    group.finish();
}

criterion_group! { name = benches; config = common::config(); targets = minibatch_sgd_100_steps }
criterion_main!(benches);
