//! Allocation counts of sparse plans (in the `alloc` test binary, which
//! installs a counting global allocator).
//!
//! A plan is built once (pattern, colouring, passes and their buffers); evaluating it at new
//! inputs allocates nothing: forward passes, reverse sweeps, Hessian passes, and the length
//! errors. The generic-function path (`eval_fn`, `eval_fn_inplace`, and their `_with` forms with
//! parameters) keeps its seeded inputs (and parameters) in the plan after its first call: then
//! `eval_fn` allocates only the user function's `Vec` result, one per pass, and `eval_fn_inplace`
//! nothing.
//!
//! Only allocations made by the current thread while its `COUNTING` flag is set are counted, so the
//! test harness's own threads cannot disturb the count.

use nilpotent::Chunk;
use nilpotent::graph::{Graph, GraphError};
use nilpotent::sparse::{Direction, HessianPlan, JacobianPlan, Order};
use num_traits::Float;

use crate::counting::allocations_in;

/// The chained Rosenbrock function (tridiagonal Hessian).
fn rosenbrock<T: Float>(x: &[T]) -> T {
    let c100 = T::from(100.0).unwrap();
    x.windows(2).fold(T::zero(), |s, w| {
        let a = w[1] - w[0] * w[0];
        let b = T::one() - w[0];
        s + c100 * a * a + b * b
    })
}

/// A banded map with guards (a comparison in the function, `abs` and `max` in its derivatives):
/// half-bandwidth 1.
fn banded<T: Float>(x: &[T]) -> Vec<T> {
    let n = x.len();
    (0..n)
        .map(|i| {
            let l = if i > 0 { x[i - 1] } else { T::zero() };
            let r = if i + 1 < n { x[i + 1] } else { T::zero() };
            let d = if x[i] > l { x[i] - l } else { l - x[i] };
            d.abs().max(r) * x[i].sin()
        })
        .collect()
}

/// [`banded`] writing its outputs into a slice.
fn banded_inplace<T: Float>(x: &[T], out: &mut [T]) {
    let n = x.len();
    for (i, o) in out.iter_mut().enumerate() {
        let l = if i > 0 { x[i - 1] } else { T::zero() };
        let r = if i + 1 < n { x[i + 1] } else { T::zero() };
        let d = if x[i] > l { x[i] - l } else { l - x[i] };
        *o = d.abs().max(r) * x[i].sin();
    }
}

// One #[test] only: the numbers are easy to read, and no other test of this binary allocates
// concurrently on this thread anyway.
#[test]
fn sparse_plans_do_not_allocate() {
    // the counter works: a Vec allocates once, and is seen
    assert_eq!(
        allocations_in(|| drop(std::hint::black_box(vec![1u8; 16]))),
        1
    );
    let n = 200;
    let mut x: Vec<f64> = (0..n).map(|i| 0.5 + 0.3 * (i as f64).sin()).collect();
    let g = Graph::record_vec(&x, banded);
    assert!(g.num_guards() > 0);
    let mut checksum = 0.0;
    for direction in [Direction::Forward, Direction::Reverse] {
        let mut plan = JacobianPlan::with_options(&g, direction, Order::Best);
        let count = allocations_in(|| {
            for step in 0..50 {
                x[step % n] += 1e-9; // small moves: every guard holds
                let (y, jac) = plan.eval(&x).unwrap();
                checksum += y[0] + jac.values()[step];
            }
        });
        assert_eq!(
            count, 0,
            "allocations in 50 {direction:?} Jacobian evaluations"
        );
        let count = allocations_in(|| {
            let r = plan.eval(&x[1..]);
            assert!(matches!(r, Err(GraphError::InputLength { .. })));
        });
        assert_eq!(count, 0, "allocations of the length error");
    }
    // the generic function on dual numbers, 2 lanes per pass: after a first call (which makes the
    // seeded inputs) `eval_fn` allocates only `banded`'s result, once per pass, and
    // `eval_fn_inplace` nothing; the guard check allocates nothing either
    let mut plan = JacobianPlan::new(&g);
    let passes = plan.column_colouring().num_colours().div_ceil(2);
    assert!(passes > 1);
    let expected = plan.eval(&x).unwrap().1.clone();
    assert_eq!(plan.eval_fn(banded, &x, Chunk::<2>).unwrap().1, &expected);
    let count = allocations_in(|| {
        for step in 0..50 {
            x[step % n] += 1e-9;
            let (y, jac) = plan.eval_fn(banded, &x, Chunk::<2>).unwrap();
            checksum += y[0] + jac.values()[step];
        }
    });
    eprintln!("eval_fn: {count} allocations in 50 calls of {passes} passes");
    assert_eq!(count, 50 * passes, "allocations in 50 eval_fn calls");
    let count = allocations_in(|| {
        let r = plan.eval_fn(banded, &x[1..], Chunk::<2>);
        assert!(matches!(r, Err(GraphError::InputLength { .. })));
    });
    assert_eq!(count, 0, "allocations of eval_fn's length error");
    let expected = plan.eval(&x).unwrap().1.clone();
    assert_eq!(
        plan.eval_fn_inplace(banded_inplace, &x, Chunk::<2>)
            .unwrap()
            .1,
        &expected
    );
    let count = allocations_in(|| {
        for step in 0..50 {
            x[step % n] += 1e-9;
            let (y, jac) = plan
                .eval_fn_inplace(banded_inplace, &x, Chunk::<2>)
                .unwrap();
            checksum += y[0] + jac.values()[step];
        }
    });
    eprintln!("eval_fn_inplace: {count} allocations in 50 calls of {passes} passes");
    assert_eq!(count, 0, "allocations in 50 eval_fn_inplace calls");

    // Rosenbrock (the gradient graph's passes) and a function with kinks (`abs` and `max`:
    // passes that sweep over partials computed at each input)
    let kinked =
        |x: &[nilpotent::graph::Sym]| rosenbrock(x) + x[0].abs() * x[1] + x[2].max(x[3]) * x[4];
    for f in [Graph::record(&x, rosenbrock), Graph::record(&x, kinked)] {
        let mut plan = HessianPlan::new(&f);
        let count = allocations_in(|| {
            for step in 0..50 {
                x[step % n] -= 1e-3;
                let (v, grad, h) = plan.eval(&x).unwrap();
                checksum += v + grad[step] + h.values()[step];
            }
        });
        assert_eq!(count, 0, "allocations in 50 Hessian evaluations");
    }

    // with parameters (data read at each evaluation): `eval_with` on every path allocates
    // nothing either — forward passes, reverse sweeps from derivative graphs (`banded`, smooth
    // rules) and at run time (with kinks), Hessian passes over the gradient graph and over a
    // run-time sweep
    let mut p: Vec<f64> = (0..n).map(|i| 1.0 + 0.01 * i as f64).collect();
    let scaled = |x: &[nilpotent::graph::Sym], p: &[nilpotent::graph::Sym]| -> Vec<_> {
        let y = banded(x);
        y.iter().zip(p).map(|(&y, &p)| y * p).collect()
    };
    let kinked_scaled = |x: &[nilpotent::graph::Sym], p: &[nilpotent::graph::Sym]| -> Vec<_> {
        (0..n)
            .map(|i| (x[i] * p[i]).abs() * x[(i + 1) % n] + x[i].max(p[(i + 2) % n]))
            .collect()
    };
    for g in [
        Graph::record_vec_with(&x, &p, scaled),
        Graph::record_vec_with(&x, &p, kinked_scaled),
    ] {
        for direction in [Direction::Forward, Direction::Reverse] {
            let mut plan = JacobianPlan::with_options(&g, direction, Order::Best);
            let count = allocations_in(|| {
                for step in 0..50 {
                    x[step % n] += 1e-9;
                    p[step % n] -= 1e-9;
                    let (y, jac) = plan.eval_with(&x, &p).unwrap();
                    checksum += y[0] + jac.values()[step];
                }
            });
            assert_eq!(
                count, 0,
                "allocations in 50 {direction:?} Jacobian evaluations with parameters"
            );
        }
    }
    // the generic function with the parameters (`eval_fn_with`): the plan keeps them as dual
    // numbers with the seeded inputs, so after a first call `eval_fn_with` allocates only the
    // function's result, once per pass, `eval_fn_inplace_with` nothing, and a parameter-length
    // error nothing
    type D2 = nilpotent::Dual<f64, 2>;
    let scaled_fn = |x: &[D2], p: &[D2]| -> Vec<D2> {
        let mut y = banded(x);
        for (y, &p) in y.iter_mut().zip(p) {
            *y *= p;
        }
        y
    };
    let scaled_inplace = |x: &[D2], p: &[D2], out: &mut [D2]| {
        banded_inplace(x, out);
        for (y, &p) in out.iter_mut().zip(p) {
            *y *= p;
        }
    };
    let g = Graph::record_vec_with(&x, &p, scaled);
    for direction in [Direction::Forward, Direction::Reverse] {
        let mut plan = JacobianPlan::with_options(&g, direction, Order::Best);
        let passes = plan.column_colouring().num_colours().div_ceil(2);
        assert!(passes > 1);
        plan.eval_fn_with(scaled_fn, &x, &p, Chunk::<2>).unwrap();
        let count = allocations_in(|| {
            for step in 0..50 {
                x[step % n] += 1e-9;
                p[step % n] -= 1e-9;
                let (y, jac) = plan.eval_fn_with(scaled_fn, &x, &p, Chunk::<2>).unwrap();
                checksum += y[0] + jac.values()[step];
            }
        });
        eprintln!("eval_fn_with: {count} allocations in 50 calls of {passes} passes");
        assert_eq!(count, 50 * passes, "allocations in 50 eval_fn_with calls");
        plan.eval_fn_inplace_with(scaled_inplace, &x, &p, Chunk::<2>)
            .unwrap();
        let count = allocations_in(|| {
            for step in 0..50 {
                x[step % n] += 1e-9;
                p[step % n] -= 1e-9;
                let (y, jac) = plan
                    .eval_fn_inplace_with(scaled_inplace, &x, &p, Chunk::<2>)
                    .unwrap();
                checksum += y[0] + jac.values()[step];
            }
        });
        assert_eq!(count, 0, "allocations in 50 eval_fn_inplace_with calls");
        let count = allocations_in(|| {
            let r = plan.eval_fn_with(scaled_fn, &x, &p[1..], Chunk::<2>);
            assert!(matches!(r, Err(GraphError::ParamLength { .. })));
        });
        assert_eq!(count, 0, "allocations of eval_fn_with's length error");
    }
    let rosenbrock_with =
        |x: &[nilpotent::graph::Sym], p: &[nilpotent::graph::Sym]| rosenbrock(x) * p[0];
    let kinked_with = |x: &[nilpotent::graph::Sym], p: &[nilpotent::graph::Sym]| {
        rosenbrock(x) + (x[0] * p[0]).abs() * x[1] + x[2].max(p[1]) * x[4]
    };
    for f in [
        Graph::record_with(&x, &p, rosenbrock_with),
        Graph::record_with(&x, &p, kinked_with),
    ] {
        let mut plan = HessianPlan::new(&f);
        let count = allocations_in(|| {
            for step in 0..50 {
                x[step % n] -= 1e-3;
                p[step % n] += 1e-3;
                let (v, grad, h) = plan.eval_with(&x, &p).unwrap();
                checksum += v + grad[step] + h.values()[step];
            }
        });
        assert_eq!(
            count, 0,
            "allocations in 50 Hessian evaluations with parameters"
        );
    }
    assert!(checksum.is_finite());
}
