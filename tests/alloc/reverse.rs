//! Allocation counts of the tape and of forward mode (in the `alloc` test binary: it installs a
//! counting global allocator).
//!
//! A reused [`Tape`] keeps its buffers between recordings, so after a warm-up evaluation a loop of
//! gradient evaluations allocates nothing; forward mode with a fixed-size input never allocates.
//!
//! Only allocations made by the current thread while its `COUNTING` flag is set are counted, and
//! each thread has its own count, so the test harness's own threads and the other tests of the
//! binary cannot disturb the count.

use nilpotent::gradient_fixed;
use nilpotent::reverse::Tape;
use num_traits::Float;

use crate::counting::allocations_in;

/// The extended Rosenbrock function: allocation-free itself.
fn rosenbrock<T: Float>(x: &[T]) -> T {
    let (c100, one) = (T::from(100.0).unwrap(), T::one());
    x.chunks(2).fold(T::zero(), |s, p| {
        let a = p[1] - p[0] * p[0];
        let b = one - p[0];
        s + c100 * a * a + b * b
    })
}

// One #[test] only: the counter is per thread anyway, but a single test also keeps the numbers
// easy to read.
#[test]
#[allow(clippy::redundant_closure)] // `|v| f(v)` is the form the brief and users write
fn gradient_loops_do_not_allocate() {
    // the counter works: a Vec allocates once, and is seen
    assert_eq!(
        allocations_in(|| drop(std::hint::black_box(vec![1u8; 16]))),
        1
    );

    // reverse mode, reused tape: warm up once (the tape's buffers and this thread's slot grow),
    // then 100 evaluations at moving points allocate nothing
    let n = 50;
    let mut x: Vec<f64> = (0..n).map(|i| 0.5 + 0.01 * i as f64).collect();
    let mut grad = vec![0.0; n];
    let mut tape = Tape::new();
    let warm = tape.gradient_into(|v| rosenbrock(v), &x, &mut grad);
    assert!(warm.is_finite());
    let mut checksum = 0.0;
    let count = allocations_in(|| {
        for step in 0..100 {
            x[step % n] += 1e-3;
            checksum += tape.gradient_into(|v| rosenbrock(v), &x, &mut grad);
            checksum += grad[0];
        }
    });
    assert_eq!(count, 0, "allocations in 100 reverse gradient evaluations");
    assert!(checksum.is_finite());
    // and the gradient is exactly that of a fresh tape (the reuse leaves no stale adjoints)
    assert_eq!(grad, nilpotent::reverse::gradient(rosenbrock, &x).1);

    // forward mode with a compile-time input length: no allocation at all, first call included
    let mut y = [0.3, -0.7, 1.1, 0.9, -0.2, 0.4];
    let count = allocations_in(|| {
        for step in 0..100 {
            y[step % 6] += 1e-3;
            let (value, g) = gradient_fixed(rosenbrock, &y);
            checksum += value + g[step % 6];
        }
    });
    assert_eq!(count, 0, "allocations in 100 gradient_fixed evaluations");
    assert!(checksum.is_finite());

    // the free reverse functions reuse a tape kept by the thread: after the first call, only the
    // result is allocated (the gradient `Vec`; for the Hessian the gradient and the matrix)
    let _ = nilpotent::reverse::gradient(rosenbrock, &x);
    let count = allocations_in(|| {
        for _ in 0..100 {
            checksum += nilpotent::reverse::gradient(rosenbrock, &x).0;
        }
    });
    assert_eq!(count, 100, "allocations in 100 reverse::gradient calls");
    let _ = nilpotent::reverse::hessian(rosenbrock, &y);
    let count = allocations_in(|| {
        for _ in 0..10 {
            checksum += nilpotent::reverse::hessian(rosenbrock, &y).0;
        }
    });
    assert_eq!(count, 20, "allocations in 10 reverse::hessian calls");

    // a reused tape's Hessian and Jacobian into the caller's buffers: nothing (the Jacobian's
    // function allocates the Vec it returns, and only that)
    let mut hess_tape: Tape<nilpotent::Dual<f64, 4>> = Tape::new();
    let (mut g6, mut h6) = ([0.0; 6], nalgebra::Matrix6::zeros());
    hess_tape.hessian_into(rosenbrock, &y, &mut g6, &mut h6);
    let count = allocations_in(|| {
        for step in 0..10 {
            y[step % 6] += 1e-3;
            checksum += hess_tape.hessian_into(rosenbrock, &y, &mut g6, &mut h6);
        }
    });
    assert_eq!(count, 0, "allocations in 10 Tape::hessian_into calls");
    let pair = |v: &[nilpotent::reverse::Var<f64>]| vec![rosenbrock(v), v[0] * v[1]];
    let (mut values, mut jac) = ([0.0; 2], nalgebra::Matrix2x6::zeros());
    tape.jacobian_into(pair, &y, &mut values, &mut jac);
    let count = allocations_in(|| {
        for _ in 0..10 {
            tape.jacobian_into(pair, &y, &mut values, &mut jac);
        }
    });
    assert_eq!(count, 10, "allocations in 10 Tape::jacobian_into calls");
    assert!(checksum.is_finite());
}
