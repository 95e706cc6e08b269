//! Runs the gradients that the build script emitted, through the same interface as the
//! interpreter (and the JIT, with nilpotent's feature `jit`), and checks that they agree bit for
//! bit.

mod model;

/// The emitted functions (written by `build.rs` into `OUT_DIR`).
mod emitted {
    include!(concat!(env!("OUT_DIR"), "/lecture_gradient.rs"));
    include!(concat!(env!("OUT_DIR"), "/rosenbrock_gradient.rs"));
}

use nilpotent::graph::{Emitted, Evaluate, Graph};

/// A few steps of gradient descent, whichever backend evaluates the gradient.
fn descend(grad: &mut dyn Evaluate, x: &mut [f64], rate: f64, steps: usize) -> f64 {
    let mut out = vec![0.0; grad.num_outputs()];
    for _ in 0..steps {
        grad.eval_into(x, &mut out).unwrap();
        for (xi, gi) in x.iter_mut().zip(&out[1..]) {
            *xi -= rate * gi;
        }
    }
    out[0]
}

fn main() {
    // the lecture's gradient at (2, 5): (ln 2 + 10 − sin 5, 5.5, 1.716…)
    let mut out = [0.0; 3];
    emitted::lecture_gradient(&[2.0, 5.0], &mut out).unwrap();
    println!(
        "lecture: f(2, 5) = {:.6}, ∇f = ({:.6}, {:.6})",
        out[0], out[1], out[2]
    );
    assert_eq!(out[1], 5.5);
    let lecture = Graph::record(&[2.0, 5.0], model::lecture).gradient();
    for x in [[2.0, 5.0], [0.5, -1.0], [3.0, 1e-3]] {
        emitted::lecture_gradient(&x, &mut out).unwrap();
        assert_eq!(out.to_vec(), lecture.eval(&x).unwrap());
    }

    // Rosenbrock: the same descent with the interpreter and with the emitted code
    let x0 = model::rosenbrock_point();
    let g = Graph::record(&x0, model::rosenbrock).gradient();
    let mut interpreter = g.program().evaluator::<f64>();
    let mut compiled = Emitted::of(&g, emitted::rosenbrock_gradient);
    let (mut a, mut b) = (x0.clone(), x0.clone());
    let fa = descend(&mut interpreter, &mut a, 1e-4, 200);
    let fb = descend(&mut compiled, &mut b, 1e-4, 200);
    assert_eq!(fa.to_bits(), fb.to_bits());
    assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()));
    println!(
        "rosenbrock (n = {}): 200 descent steps, f = {fa:.6}: emitted code and interpreter agree bit for bit",
        model::N
    );
}
