//! Issue "Data as parameters": the tested core of `examples/training.rs` — minibatch SGD of a
//! logistic regression with the loss gradient recorded once as a graph with the minibatch as
//! parameters — against a tape-based run of the same steps.

#[path = "../../../examples/training_sgd/mod.rs"]
mod training_sgd;

use nilpotent::graph::Graph;
use nilpotent::reverse;
use training_sgd::{
    STRIDE, data_set, gradient_graph, loss, loss_unrolled, minibatch, train_graph, train_tape,
};

/// The training loop in graph mode: one recording, the minibatch as parameters, 300 steps over
/// new minibatches; the trained weights agree with the tape's run of the same steps to 1e-12, the
/// loss falls, and the gradient graph holds no constant from the data.
#[test]
fn training_loop_with_the_minibatch_as_parameters_agrees_with_the_tape() {
    let data = data_set(640, 0x5eed);
    let (batch, lr, steps) = (32, 0.5, 300);
    let w0 = [0.0; 3];
    let mut first = vec![0.0; batch * STRIDE];
    minibatch(&data, 0, batch, &mut first);
    let grad = gradient_graph(&w0, &first);
    assert_eq!(grad.num_params(), batch * STRIDE);
    // the literals 1, 1/B and λ (and their products), not the 96 data values
    assert!(grad.num_constants() <= 10, "{}", grad.num_constants());
    let (w_graph, l_graph) = train_graph(
        &mut grad.program().evaluator::<f64>(),
        &data,
        &w0,
        batch,
        lr,
        steps,
    );
    let (w_tape, l_tape) = train_tape(&data, &w0, batch, lr, steps);
    for (a, b) in w_graph.iter().zip(&w_tape) {
        assert!(
            (a - b).abs() <= 1e-12 * b.abs().max(1.0),
            "{w_graph:?} against {w_tape:?}"
        );
    }
    for (a, b) in l_graph.iter().zip(&l_tape) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0));
    }
    // the loss falls: the mean over the last epoch well below the first step's ln 2
    let last: f64 = l_graph[steps - 20..].iter().sum::<f64>() / 20.0;
    assert!((l_graph[0] - 2f64.ln()).abs() < 1e-15);
    assert!(last < 0.6 * l_graph[0], "{last}");
    // the weights approach the model's (−0.5, 2, −1)
    assert!(w_graph[1] > 1.0 && w_graph[2] < -0.4, "{w_graph:?}");
}

/// The same loop on the JIT: bit for bit the interpreter's weights.
#[cfg(feature = "jit")]
#[test]
fn training_loop_on_the_jit_equals_the_interpreter() {
    let data = data_set(640, 0x5eed);
    let (batch, lr, steps) = (32, 0.5, 100);
    let w0 = [0.0; 3];
    let mut first = vec![0.0; batch * STRIDE];
    minibatch(&data, 0, batch, &mut first);
    let grad = gradient_graph(&w0, &first);
    let (wi, _) = train_graph(
        &mut grad.program().evaluator::<f64>(),
        &data,
        &w0,
        batch,
        lr,
        steps,
    );
    let (wj, _) = train_graph(&mut grad.compile().unwrap(), &data, &w0, batch, lr, steps);
    assert_eq!(wi, wj);
}

fn cst<T: nilpotent::Real>(p: &[f64]) -> Vec<T> {
    p.iter().map(|&c| T::cst(c)).collect()
}

/// The example's loss sums the minibatch with `sum_map`: in every mode (f64, forward gradient, the
/// tape, the graph and its gradient graph) the same numbers as the plain loop it stands for, at
/// several minibatches.
#[test]
fn the_minibatch_loss_written_with_sum_map_is_the_plain_loops_in_every_mode() {
    let data = data_set(640, 0x5eed);
    let batch = 32;
    let w = [0.25, -1.5, 0.75];
    let mut p = vec![0.0; batch * STRIDE];
    minibatch(&data, 0, batch, &mut p);
    let g = Graph::record_with(&w, &p, loss);
    let grad = g.gradient();
    for step in 0..3 {
        minibatch(&data, step, batch, &mut p);
        let v = loss_unrolled(&w, &p);
        assert_eq!(loss(&w, &p).to_bits(), v.to_bits());
        let (fv, fg) = nilpotent::gradient(|x| loss(x, &cst(&p)), &w);
        let (uv, ug) = nilpotent::gradient(|x| loss_unrolled(x, &cst(&p)), &w);
        assert_eq!((fv.to_bits(), &fg), (uv.to_bits(), &ug));
        let (rv, rg) = reverse::gradient(|x| loss(x, &cst(&p)), &w);
        let (_, rug) = reverse::gradient(|x| loss_unrolled(x, &cst(&p)), &w);
        assert_eq!(rv.to_bits(), v.to_bits());
        assert_eq!(g.eval_with(&w, &p).unwrap()[0].to_bits(), v.to_bits());
        let out = grad.eval_with(&w, &p).unwrap();
        for j in 0..3 {
            for other in [rg[j], rug[j], out[1 + j]] {
                assert!(
                    (other - fg[j]).abs() <= 1e-14 * fg[j].abs().max(1.0),
                    "{fg:?} {rg:?} {out:?}"
                );
            }
        }
    }
}
