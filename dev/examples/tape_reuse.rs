//! What reusing a tape saves: the cost of the first call of a free `reverse::*` driver on a thread
//! against the next ones, and the nodes an MLP's nalgebra matrix products record.
//!
//! ```sh
//! cargo build --release -p nilpotent-dev --example tape_reuse
//! target/release/examples/tape_reuse nodes                # nodes recorded by an MLP's loss
//! target/release/examples/tape_reuse gradient 1           # CASE REPS: run a driver REPS times
//! ```
//!
//! With valgrind, the instructions of the first call are `count(1) − count(0)` and those of a
//! later call `(count(11) − count(1)) / 10` (see BENCHMARKS.md, "Reusing the tape").

use std::hint::black_box;

use nalgebra::{DMatrix, DVector, RealField};
use nilpotent::reverse::{self, Tape};
use num_traits::Float;

/// The lecture's function (2 inputs, 6 operations).
fn lecture<T: Float>(x: &[T]) -> T {
    x[0].ln() + x[0] * x[1] - x[1].sin()
}

/// Polar to Cartesian coordinates and the radius squared (2 inputs, 3 outputs).
fn polar<T: Float>(p: &[T]) -> Vec<T> {
    vec![p[0] * p[1].cos(), p[0] * p[1].sin(), p[0] * p[0]]
}

/// The Rosenbrock function of `x.len()` inputs.
fn rosenbrock<T: Float>(x: &[T]) -> T {
    let hundred = T::from(100.0).unwrap();
    x.windows(2).fold(T::zero(), |s, w| {
        let a = T::one() - w[0];
        let b = w[1] - w[0] * w[0];
        s + a * a + hundred * b * b
    })
}

/// The squared error of a two-layer perceptron (8 → 16 → 1, tanh) on one sample, as a function of
/// its 16·8 + 16 weights: written with nalgebra matrix products.
fn mlp_loss<T: RealField + Copy>(w: &[T]) -> T {
    let (w1, w2) = w.split_at(16 * 8);
    let w1 = DMatrix::from_column_slice(16, 8, w1);
    let w2 = DMatrix::from_column_slice(1, 16, w2);
    let x = DVector::from_fn(8, |i, _| nalgebra::convert::<f64, T>(i as f64 / 8.0 - 0.5));
    let h = (w1 * x).map(|v| v.tanh());
    let y = (w2 * h)[0];
    let e = y - nalgebra::convert::<f64, T>(0.25);
    e * e
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case = args.get(1).map_or("nodes", String::as_str);
    let reps: usize = args
        .get(2)
        .map_or(1, |r| r.parse().expect("REPS: a number"));
    let x8: Vec<f64> = (0..8).map(|i| 0.1 * i as f64).collect();
    match case {
        "nodes" => {
            let w: Vec<f64> = (0..16 * 8 + 16)
                .map(|i| ((i % 7) as f64 - 3.0) / 10.0)
                .collect();
            let mut tape = Tape::new();
            let y = tape.record(&w, mlp_loss);
            println!(
                "MLP 8-16-1 loss ({} weights): {} nodes recorded (inputs included), value {}",
                w.len(),
                tape.len(),
                y.value()
            );
        }
        "gradient" => {
            for _ in 0..reps {
                black_box(reverse::gradient(lecture, black_box(&[2.0, 5.0])));
            }
        }
        "gradient_tape" => {
            // the reference: one tape of the caller's, reused
            let mut tape = Tape::new();
            let mut grad = [0.0; 2];
            for _ in 0..reps {
                black_box(tape.gradient_into(lecture, black_box(&[2.0, 5.0]), &mut grad));
            }
        }
        "gradient100" => {
            let x: Vec<f64> = (0..100).map(|i| 0.01 * i as f64).collect();
            for _ in 0..reps {
                black_box(reverse::gradient(rosenbrock, black_box(&x)));
            }
        }
        "gradient_mlp" => {
            let w: Vec<f64> = (0..16 * 8 + 16)
                .map(|i| ((i % 7) as f64 - 3.0) / 10.0)
                .collect();
            for _ in 0..reps {
                black_box(reverse::gradient(mlp_loss, black_box(&w)));
            }
        }
        "jacobian" => {
            for _ in 0..reps {
                black_box(reverse::jacobian(polar, black_box(&[2.0, 0.5])));
            }
        }
        "hessian" => {
            for _ in 0..reps {
                black_box(reverse::hessian(rosenbrock, black_box(&x8)));
            }
        }
        _ => panic!(
            "unknown case {case}: nodes, gradient, gradient_tape, gradient100, gradient_mlp, \
             jacobian, hessian"
        ),
    }
}
