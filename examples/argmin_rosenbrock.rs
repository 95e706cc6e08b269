//! The Rosenbrock function minimised by argmin 0.11, with gradients and Hessians from nilpotent:
//! by L-BFGS (`Vec<f64>` parameters) and by Newton's method (nalgebra 0.34 parameters, the backend
//! whose matrices argmin can invert).
//!
//! ```sh
//! cargo run --release --features argmin --example argmin_rosenbrock
//! ```
//!
//! The glue between nilpotent and argmin is one `objective!` line (the function itself is ordinary
//! generic code) and `Problem::new` / `Problem::nalgebra`: the three lines marked `// glue`.

use argmin::core::{Executor, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::newton::Newton;
use argmin::solver::quasinewton::LBFGS;
use nilpotent::Real;
use nilpotent::optim::nalgebra034::DVector;
use nilpotent::optim::{argmin::Problem, objective};

/// f(x) = Σ (1 − xᵢ)² + 100 (xᵢ₊₁ − xᵢ²)², minimum 0 at (1, …, 1).
fn rosenbrock<T: Real>(x: &[T]) -> T {
    x.windows(2)
        .map(|w| (1.0 - w[0]).powi(2) + 100.0 * (w[1] - w[0] * w[0]).powi(2))
        .sum()
}

objective!(Rosenbrock = rosenbrock); // glue: a type that implements Objective by calling it

fn main() -> Result<(), argmin::core::Error> {
    // L-BFGS on Vec<f64>: the gradient by reverse mode
    let lbfgs = LBFGS::new(MoreThuenteLineSearch::new(), 7);
    let result = Executor::new(Problem::new(Rosenbrock), lbfgs) // glue
        .configure(|state| state.param(vec![-1.2, 1.0, -1.2, 1.0]).max_iters(200))
        .run()?;
    let state = result.state();
    let x = state.get_best_param().unwrap();
    println!(
        "L-BFGS: x = {x:.8?}, f = {:.3e}, {} iterations",
        state.get_best_cost(),
        state.get_iter()
    );
    assert!(x.iter().all(|xi| (xi - 1.0).abs() < 1e-6));

    // Newton's method on nalgebra 0.34 vectors: the Hessian by forward over reverse (argmin's
    // Newton takes full steps and evaluates no cost: it stops after `max_iters`)
    let result = Executor::new(Problem::nalgebra(Rosenbrock), Newton::<f64>::new()) // glue
        .configure(|state| state.param(DVector::from_vec(vec![-1.2, 1.0])).max_iters(8))
        .run()?;
    let x = result.state().get_param().unwrap();
    println!(
        "Newton: x = {:.12?}, f = {:.3e}, 8 iterations",
        x.as_slice(),
        rosenbrock(x.as_slice()),
    );
    assert!(x.iter().all(|xi| (xi - 1.0).abs() < 1e-10));
    Ok(())
}
