//! Sparse Jacobians and Hessians: what the pattern looks like, how many colours (and so passes)
//! each structure needs, and the results against the dense drivers.
//!
//! ```sh
//! cargo run --release --example sparse
//! ```

use nilpotent::graph::Graph;
use nilpotent::sparse::{
    HessianPlan, JacobianPlan, Order, Pattern, column_colouring, star_colouring,
};
use nilpotent::{Chunk, jacobian_with};
use num_traits::Float;

/// A banded residual (5 diagonals): yᵢ = xᵢ₋₂ + xᵢ₋₁xᵢ₊₁ − exp(xᵢ) + xᵢ₊₂.
fn banded<T: Float>(x: &[T]) -> Vec<T> {
    let n = x.len();
    let at = |k: isize| {
        if k >= 0 && (k as usize) < n {
            x[k as usize]
        } else {
            T::zero()
        }
    };
    (0..n as isize)
        .map(|i| at(i - 2) + at(i - 1) * at(i + 1) - at(i).exp() + at(i + 2))
        .collect()
}

/// The extended Rosenbrock function: a tridiagonal Hessian.
fn rosenbrock<T: Float>(x: &[T]) -> T {
    let c = T::from(100.0).unwrap();
    (1..x.len()).fold(T::zero(), |s, i| {
        s + c * (x[i] - x[i - 1] * x[i - 1]).powi(2) + (T::one() - x[i - 1]).powi(2)
    })
}

/// A 2-D Laplacian-like map on an `a × b` grid (5-point stencil plus a cubic term).
fn laplacian<T: Float>(x: &[T], a: usize, b: usize) -> Vec<T> {
    (0..a * b)
        .map(|k| {
            let (i, j) = (k / b, k % b);
            let mut y = T::from(4.0).unwrap() * x[k] + x[k].powi(3);
            for (ok, nb) in [
                (i > 0, k.wrapping_sub(b)),
                (i + 1 < a, k + b),
                (j > 0, k.wrapping_sub(1)),
                (j + 1 < b, k + 1),
            ] {
                if ok {
                    y = y - x[nb];
                }
            }
            y
        })
        .collect()
}

/// The pattern as a picture: `#` for an entry, `·` for a structural zero.
fn draw(p: &Pattern) -> String {
    let mut s = String::new();
    for i in 0..p.nrows() {
        for j in 0..p.ncols() {
            s.push(if p.contains(i, j) { '#' } else { '·' });
        }
        s.push('\n');
    }
    s
}

fn main() {
    // 1. a small banded Jacobian: its pattern and colours
    let x: Vec<f64> = (0..12).map(|i| 0.1 * i as f64).collect();
    let plan = JacobianPlan::new(&Graph::record_vec(&x, banded));
    println!(
        "1. banded Jacobian, n = 12: pattern\n{}",
        draw(plan.pattern())
    );
    println!(
        "   column colours {:?}: {} colours, {} pass(es), {:?} mode\n",
        plan.colouring().colours(),
        plan.colouring().num_colours(),
        plan.num_passes(),
        plan.direction()
    );

    // 2. colours by structure and vertex order
    println!("2. colours by order (natural, largest-first, smallest-last, saturation degree):");
    let n = 10_000;
    let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.1 * ((i * 7) % 11) as f64).collect();
    let banded_pattern = JacobianPlan::new(&Graph::record_vec(&x, banded))
        .pattern()
        .clone();
    let (a, b) = (100, 100);
    let lap = JacobianPlan::new(&Graph::record_vec(&x, |x| laplacian(x, a, b)))
        .pattern()
        .clone();
    let rosen = HessianPlan::new(&Graph::record(&x, rosenbrock))
        .pattern()
        .clone();
    let counts = |colour: &dyn Fn(Order) -> usize| -> Vec<usize> {
        Order::ALL.iter().map(|&o| colour(o)).collect()
    };
    println!(
        "   banded Jacobian n = {n} (5 diagonals), column colouring: {:?}",
        counts(&|o| column_colouring(&banded_pattern, o).num_colours())
    );
    println!(
        "   2-D Laplacian {a} × {b} (5-point stencil), column colouring: {:?}",
        counts(&|o| column_colouring(&lap, o).num_colours())
    );
    println!(
        "   Rosenbrock Hessian n = {n} (tridiagonal), star colouring: {:?}\n",
        counts(&|o| star_colouring(&rosen, o).num_colours())
    );

    // 3. sparse against dense at n = 1000: the same numbers, a fraction of the passes
    let n = 1000;
    let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.1 * ((i * 7) % 11) as f64).collect();
    let mut plan = JacobianPlan::new(&Graph::record_vec(&x, banded));
    let (_, sparse) = plan.eval(&x).unwrap();
    let (_, dense) = jacobian_with(banded, &x, Chunk::<8>);
    let worst = sparse
        .triplet_iter()
        .map(|(i, j, v)| (v - dense[(i, j)]).abs())
        .fold(0.0, f64::max);
    let outside = (0..n)
        .flat_map(|i| (0..n).map(move |j| (i, j)))
        .filter(|&(i, j)| !plan.pattern().contains(i, j) && dense[(i, j)] != 0.0)
        .count();
    println!(
        "3. banded Jacobian n = {n}: {} pass(es) against {} dense passes; largest difference {worst:e}; dense nonzeros outside the pattern: {outside}",
        plan.num_passes(),
        n.div_ceil(8)
    );
}
