//! Graph mode on the lecture's last example, the sigmoid neuron
//!
//! ```text
//! f_w(x) = 1 / (1 + exp(−(w₀ + w₁x₁ + w₂x₂)))
//! ```
//!
//! recorded once as a computation graph (inputs w₀, w₁, w₂, x₁, x₂), differentiated into a gradient
//! graph by reverse accumulation over the graph ("Reverse Mode – Graph"), printed as SSA listings
//! and Graphviz DOT files, and evaluated at a few inputs against the tape (`reverse::gradient`).
//!
//! Run with `cargo run --release --example graph`. The DOT files go to `target/graph-example/`;
//! if Graphviz's `dot` is installed, SVG drawings are rendered next to them.

use std::path::Path;
use std::process::Command;

use nilpotent::graph::Graph;
use nilpotent::reverse;
use num_traits::Float;

/// The sigmoid neuron: inputs `[w₀, w₁, w₂, x₁, x₂]`.
fn neuron<T: Float>(v: &[T]) -> T {
    let (w0, w1, w2, x1, x2) = (v[0], v[1], v[2], v[3], v[4]);
    let z = w0 + w1 * x1 + w2 * x2;
    T::one() / (T::one() + (-z).exp())
}

/// The inputs the graph is recorded at, and others it is evaluated at.
const RECORD_AT: [f64; 5] = [0.5, -1.0, 2.0, 1.5, 0.25];
const OTHER_INPUTS: [[f64; 5]; 3] = [
    [0.0, 0.0, 0.0, 1.0, 1.0],
    [-2.0, 0.3, 1.1, -0.7, 4.0],
    [1.0, 2.0, -3.0, 0.1, 0.2],
];

fn main() {
    let f = Graph::record(&RECORD_AT, neuron);
    let grad = f.gradient();
    println!("The function graph (values at the recording point):\n\n{f:.4}");
    println!("The gradient graph: outputs f, ∂f/∂w₀, ∂f/∂w₁, ∂f/∂w₂, ∂f/∂x₁, ∂f/∂x₂\n\n{grad:.4}");
    println!(
        "sizes: function {} operations, gradient {} operations ({:.1}×), guards {}\n",
        f.len(),
        grad.len(),
        grad.len() as f64 / f.len() as f64,
        grad.num_guards()
    );

    // one program, evaluated at several inputs; the tape records afresh at each
    let program = grad.program();
    let mut eval = program.evaluator::<f64>();
    let mut out = [0.0; 6];
    println!("{:<32} {:>10} {:>24}", "input", "f", "max |graph − tape|");
    for x in std::iter::once(RECORD_AT).chain(OTHER_INPUTS) {
        eval.eval_into(&x, &mut out)
            .expect("the neuron has no branches, so no guard can fail");
        let (value, tape_grad) = reverse::gradient(neuron, &x);
        assert_eq!(out[0], value, "values are the f64 function's, bit for bit");
        let diff = out[1..]
            .iter()
            .zip(&tape_grad)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        println!("{:<32} {:>10.6} {:>24.3e}", format!("{x:?}"), out[0], diff);
        assert!(diff <= 1e-15, "graph and tape gradients differ by {diff:e}");
    }

    let dir = Path::new("target/graph-example");
    std::fs::create_dir_all(dir).expect("cannot create target/graph-example");
    for (name, g) in [("neuron", &f), ("neuron_gradient", &grad)] {
        let dot = dir.join(format!("{name}.dot"));
        std::fs::write(&dot, g.to_dot()).expect("cannot write the DOT file");
        let svg = dir.join(format!("{name}.svg"));
        match Command::new("dot")
            .arg("-Tsvg")
            .arg(&dot)
            .arg("-o")
            .arg(&svg)
            .status()
        {
            Ok(status) if status.success() => {
                println!("\nwrote {} and {}", dot.display(), svg.display())
            }
            _ => println!(
                "\nwrote {} (install Graphviz to render it: dot -Tsvg)",
                dot.display()
            ),
        }
    }
}
