//! The reusable forward object [`Forward`] (its own test binary: it installs a counting global
//! allocator).
//!
//! Checked: its `_into` methods allocate nothing after the first call (the free `_into` drivers
//! allocate their seeded dual buffers on every call); its results are bit for bit those of the
//! free drivers with the same chunk width AND of a lane-by-lane reference written here (one
//! direction per pass on `Dual<f64, 1>`, or one pair of directions on `Dual<Dual<f64, 1>, 1>`,
//! code that shares nothing with the chunked passes), and agree with closed forms, finite
//! differences and reverse mode; at random points and special ones, for n = 0, 1, a multiple of
//! the chunk and not; when one object is reused across sizes and after `f` panicked; and its
//! panics on bad buffers name the method, the buffer and both sizes.

use std::panic::{AssertUnwindSafe, catch_unwind};

use nalgebra::{DMatrix, Matrix2, SMatrix};
use nilpotent::forward::Forward;
use nilpotent::{
    Chunk, Dual, gradient_into, gradient_with, hessian_with, hvp_with, jacobian_inplace_into,
    jacobian_with, jacobian_with_into, jvp, numeric, reverse,
};
use num_traits::Float;

use crate::common::Rng;
use crate::counting::allocations_in;

/// The extended Rosenbrock function (consecutive pairs): allocation-free itself.
fn rosenbrock<T: Float>(x: &[T]) -> T {
    let hundred = T::from(100.0).unwrap();
    x.windows(2).fold(T::zero(), |s, w| {
        let a = T::one() - w[0];
        let b = w[1] - w[0] * w[0];
        s + a * a + hundred * b * b
    })
}

/// Its gradient, in closed form.
fn rosenbrock_gradient(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    (0..n)
        .map(|k| {
            let mut g = 0.0;
            if k + 1 < n {
                g += -2.0 * (1.0 - x[k]) - 400.0 * x[k] * (x[k + 1] - x[k] * x[k]);
            }
            if k > 0 {
                g += 200.0 * (x[k] - x[k - 1] * x[k - 1]);
            }
            g
        })
        .collect()
}

/// Its Hessian, in closed form (tridiagonal).
fn rosenbrock_hessian(x: &[f64]) -> DMatrix<f64> {
    let n = x.len();
    let mut h = DMatrix::zeros(n, n);
    for k in 0..n {
        if k + 1 < n {
            h[(k, k)] += 2.0 - 400.0 * x[k + 1] + 1200.0 * x[k] * x[k];
            h[(k, k + 1)] = -400.0 * x[k];
            h[(k + 1, k)] = -400.0 * x[k];
        }
        if k > 0 {
            h[(k, k)] += 200.0;
        }
    }
    h
}

/// A function of every input with transcendental operations (no branch, smooth near the test
/// points: inputs in [0.2, 2]).
fn mixed<T: Float>(x: &[T]) -> T {
    let mut s = T::zero();
    for (i, &xi) in x.iter().enumerate() {
        let next = x[(i + 1) % x.len()];
        s = s + xi.sin() * next.exp() + (xi * next).ln() / (T::one() + xi.powi(2)) + xi.sqrt();
    }
    s
}

/// ℝⁿ → ℝⁿ⁺¹, returning a `Vec`.
fn vector<T: Float>(x: &[T]) -> Vec<T> {
    let n = x.len();
    let mut y = Vec::with_capacity(n + 1); // one allocation per call
    y.extend(
        (0..n).map(|i| x[i].sin() * x[(i + 1) % n] + x[i].exp() / (T::one() + x[(i + 2) % n])),
    );
    y.push(x.iter().fold(T::zero(), |s, &v| s + v * v));
    y
}

/// The same function, writing into a slice of n + 1 outputs (allocation-free).
fn vector_inplace<T: Float>(x: &[T], out: &mut [T]) {
    let n = x.len();
    let mut sq = T::zero();
    for i in 0..n {
        out[i] = x[i].sin() * x[(i + 1) % n] + x[i].exp() / (T::one() + x[(i + 2) % n]);
        sq = sq + x[i] * x[i];
    }
    out[n] = sq;
}

// ---------------------------------------------------------------------------------------------
// lane-by-lane references: one direction per pass, nothing shared with the chunked drivers

/// The value and gradient, one input seeded per pass on `Dual<f64, 1>`.
fn gradient_by_lanes(f: impl Fn(&[Dual<f64, 1>]) -> Dual<f64, 1>, x: &[f64]) -> (f64, Vec<f64>) {
    let constants: Vec<Dual<f64, 1>> = x.iter().map(|&v| Dual::constant(v)).collect();
    let value = f(&constants).re;
    let grad = (0..x.len())
        .map(|i| {
            let mut xd = constants.clone();
            xd[i] = Dual::variable(x[i], 0);
            f(&xd).eps[0]
        })
        .collect();
    (value, grad)
}

/// The values and Jacobian, one input seeded per pass on `Dual<f64, 1>`.
fn jacobian_by_lanes(
    f: impl Fn(&[Dual<f64, 1>]) -> Vec<Dual<f64, 1>>,
    x: &[f64],
) -> (Vec<f64>, DMatrix<f64>) {
    let constants: Vec<Dual<f64, 1>> = x.iter().map(|&v| Dual::constant(v)).collect();
    let values: Vec<f64> = f(&constants).iter().map(|y| y.re).collect();
    let mut jac = DMatrix::zeros(values.len(), x.len());
    for j in 0..x.len() {
        let mut xd = constants.clone();
        xd[j] = Dual::variable(x[j], 0);
        for (i, y) in f(&xd).iter().enumerate() {
            jac[(i, j)] = y.eps[0];
        }
    }
    (values, jac)
}

type D2 = Dual<Dual<f64, 1>, 1>;

/// The inputs as constants of two nested one-lane levels.
fn nested_constants(x: &[f64]) -> Vec<D2> {
    x.iter()
        .map(|&v| Dual::constant(Dual::constant(v)))
        .collect()
}

/// The Hessian, one pair (inner input i, outer input j) per pass on `Dual<Dual<f64, 1>, 1>`;
/// entry (i, j) for i ≤ j, mirrored (as the chunked driver reads it).
fn hessian_by_lanes(f: impl Fn(&[D2]) -> D2, x: &[f64]) -> DMatrix<f64> {
    let n = x.len();
    let mut h = DMatrix::zeros(n, n);
    for i in 0..n {
        for j in i..n {
            let mut xd = nested_constants(x);
            xd[i].re.eps[0] = 1.0;
            xd[j].eps[0] = Dual::constant(1.0);
            let hij = f(&xd).eps[0].eps[0];
            h[(i, j)] = hij;
            h[(j, i)] = hij;
        }
    }
    h
}

/// H·v, one inner input i per pass on `Dual<Dual<f64, 1>, 1>` with the outer tangent v.
fn hvp_by_lanes(f: impl Fn(&[D2]) -> D2, x: &[f64], v: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let mut xd: Vec<D2> = x
                .iter()
                .zip(v)
                .map(|(&xk, &vk)| Dual::new(Dual::constant(xk), [Dual::constant(vk)]))
                .collect();
            xd[i].re.eps[0] = 1.0;
            f(&xd).eps[0].eps[0]
        })
        .collect()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

fn assert_close(found: &[f64], expected: &[f64], tol: f64, what: &str) {
    assert_eq!(found.len(), expected.len(), "{what}: lengths");
    for (k, (a, b)) in found.iter().zip(expected).enumerate() {
        assert!(close(*a, *b, tol), "{what}[{k}]: {a} vs {b}");
    }
}

/// The message of a panic.
fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("no panic");
    match err.downcast::<String>() {
        Ok(s) => *s,
        Err(e) => e.downcast::<&str>().map(|s| s.to_string()).unwrap(),
    }
}

/// Input sizes: empty, one, below, at and above the default chunk of 8, and 19 (three passes,
/// the last one with 3 live lanes).
const SIZES: [usize; 7] = [0, 1, 2, 7, 8, 9, 19];

/// Random points in [0.2, 2] (where `mixed` is smooth), and for Rosenbrock also its minimum
/// (1, …, 1) and the origin.
fn points(rng: &mut Rng, n: usize) -> Vec<Vec<f64>> {
    vec![rng.vec(n, 0.2, 2.0), rng.vec(n, 0.2, 2.0)]
}

// ---------------------------------------------------------------------------------------------
// allocations

/// The defect: the free `_into` drivers allocate their seeded dual buffers on every call. A
/// reused `Forward` allocates nothing after its first call in every `_into` method whose
/// function does not allocate, and only what the function allocates in the others.
#[test]
fn forward_into_drivers_allocate_their_dual_buffers_every_call() {
    // the counter works: a Vec allocates once, and is seen
    assert_eq!(
        allocations_in(|| drop(std::hint::black_box(vec![1u8; 16]))),
        1
    );
    let n = 19;
    let mut rng = Rng::for_test("forward_into allocations");
    let mut x = rng.vec(n, 0.2, 2.0);
    let mut grad = vec![0.0; n];

    // the gap: the free driver allocates its seeded inputs on every call
    let free = allocations_in(|| {
        for _ in 0..10 {
            gradient_into(rosenbrock, &x, &mut grad);
        }
    });
    assert_eq!(free, 10, "the free gradient_into allocates once per call");

    // gradient_into: a first call grows the buffer, then 100 calls at moving points allocate
    // nothing, and the result is that of a fresh object
    let mut fwd: Forward<f64> = Forward::new();
    assert_eq!(
        allocations_in(|| {
            fwd.gradient_into(rosenbrock, &x, &mut grad);
        }),
        1,
        "the first call allocates the seeded inputs"
    );
    let mut checksum = 0.0;
    let count = allocations_in(|| {
        for step in 0..100 {
            x[step % n] += 1e-3;
            checksum += fwd.gradient_into(rosenbrock, &x, &mut grad) + grad[step % n];
        }
    });
    assert_eq!(
        count, 0,
        "allocations in 100 calls of Forward::gradient_into"
    );
    assert!(checksum.is_finite());
    assert_eq!(grad, Forward::<f64>::new().gradient(rosenbrock, &x).1);
    // a smaller input reuses the buffer; a larger one grows it once
    let count = allocations_in(|| {
        fwd.gradient_into(rosenbrock, &x[..5], &mut grad[..5]);
    });
    assert_eq!(count, 0, "a smaller input");
    let big = rng.vec(40, 0.2, 2.0);
    let mut big_grad = vec![0.0; 40];
    let count = allocations_in(|| {
        fwd.gradient_into(rosenbrock, &big, &mut big_grad);
        fwd.gradient_into(rosenbrock, &big, &mut big_grad);
    });
    assert_eq!(count, 1, "a larger input grows the buffer once");

    // jacobian_inplace_into: seeded inputs and dual outputs both kept
    let mut values = vec![0.0; n + 1];
    let mut jac = DMatrix::zeros(n + 1, n);
    let mut fwd: Forward<f64> = Forward::new();
    fwd.jacobian_inplace_into(vector_inplace, &x, &mut values, &mut jac);
    let count = allocations_in(|| {
        for step in 0..20 {
            x[step % n] += 1e-3;
            fwd.jacobian_inplace_into(vector_inplace, &x, &mut values, &mut jac);
        }
    });
    assert_eq!(count, 0, "allocations in Forward::jacobian_inplace_into");
    let free = allocations_in(|| jacobian_inplace_into(vector_inplace, &x, &mut values, &mut jac));
    assert_eq!(
        free, 2,
        "the free jacobian_inplace_into allocates inputs and outputs"
    );

    // jacobian_into and jvp_into: exactly the function's own allocations (one Vec per pass)
    let passes = n.div_ceil(8);
    let xd: Vec<Dual<f64, 8>> = x.iter().map(|&v| Dual::constant(v)).collect();
    let per_call = allocations_in(|| drop(std::hint::black_box(vector(&xd))));
    assert_eq!(per_call, 1);
    fwd.jacobian_into(vector, &x, &mut values, &mut jac);
    let count = allocations_in(|| fwd.jacobian_into(vector, &x, &mut values, &mut jac));
    assert_eq!(
        count,
        passes * per_call,
        "Forward::jacobian_into: only f's Vecs"
    );
    let r = rng.vec(n, -1.0, 1.0);
    let mut jr = vec![0.0; n + 1];
    fwd.jvp_into(vector, &x, &r, &mut values, &mut jr);
    let count = allocations_in(|| fwd.jvp_into(vector, &x, &r, &mut values, &mut jr));
    assert_eq!(count, per_call, "Forward::jvp_into: only f's Vec");

    // second order on nested duals: hessian_into and hvp_into
    let mut h = DMatrix::zeros(n, n);
    let mut hv = vec![0.0; n];
    let mut fwd2: Forward<Dual<f64, 8>> = Forward::new();
    fwd2.hessian_into(rosenbrock, &x, &mut grad, &mut h);
    fwd2.hvp_into(rosenbrock, &x, &r, &mut grad, &mut hv);
    let count = allocations_in(|| {
        for step in 0..5 {
            x[step % n] += 1e-3;
            fwd2.hessian_into(rosenbrock, &x, &mut grad, &mut h);
            fwd2.hvp_into(rosenbrock, &x, &r, &mut grad, &mut hv);
        }
    });
    assert_eq!(
        count, 0,
        "allocations in Forward::hessian_into and hvp_into"
    );
    // and the reused object's results are a fresh one's
    assert_eq!(h, Forward::<Dual<f64, 8>>::new().hessian(rosenbrock, &x).2);
    assert_eq!(hv, Forward::<Dual<f64, 8>>::new().hvp(rosenbrock, &x, &r).2);
}

// ---------------------------------------------------------------------------------------------
// values and derivatives

#[test]
fn forward_gradient_equals_free_functions_lane_by_lane_and_closed_form() {
    let mut rng = Rng::for_test("Forward::gradient");
    let mut fwd8: Forward<f64> = Forward::new(); // one object across every size
    let mut fwd3 = Forward::with_chunk(Chunk::<3>);
    for n in SIZES {
        let mut xs = points(&mut rng, n);
        xs.push(vec![1.0; n]);
        xs.push(vec![0.0; n]);
        for x in &xs {
            let (value, grad) = fwd8.gradient(rosenbrock, x);
            assert_eq!(
                (value, grad.clone()),
                gradient_with(rosenbrock, x, Chunk::<8>)
            );
            assert_eq!(
                (value, grad.clone()),
                gradient_by_lanes(rosenbrock, x),
                "n = {n}"
            );
            assert_eq!(fwd3.gradient(rosenbrock, x), (value, grad.clone()));
            let mut into = vec![f64::NAN; n]; // stale contents are overwritten
            assert_eq!(fwd8.gradient_into(rosenbrock, x, &mut into), value);
            assert_eq!(into, grad);
            assert_eq!(fwd3.gradient_into(rosenbrock, x, &mut into), value);
            assert_eq!(into, grad);
            assert_close(&grad, &rosenbrock_gradient(x), 1e-13, "closed form");
            if x.iter().all(|&v| v == 1.0) {
                assert_eq!((value, grad.iter().all(|&g| g == 0.0)), (0.0, true));
            }
        }
        if n > 0 {
            // transcendental functions: lane by lane bit for bit, finite differences closely
            let x = &xs[0];
            let (value, grad) = fwd8.gradient(mixed, x);
            assert_eq!((value, grad.clone()), gradient_by_lanes(mixed, x));
            assert_eq!(fwd3.gradient(mixed, x), (value, grad.clone()));
            assert_close(
                &grad,
                &numeric::gradient(mixed, x),
                1e-7,
                "finite differences",
            );
        }
    }
}

#[test]
fn forward_jacobian_equals_free_functions_lane_by_lane_and_finite_differences() {
    let mut rng = Rng::for_test("Forward::jacobian");
    let mut fwd8: Forward<f64> = Forward::new();
    let mut fwd3 = Forward::with_chunk(Chunk::<3>);
    for n in SIZES.into_iter().filter(|&n| n > 0) {
        for x in points(&mut rng, n) {
            let (values, jac) = fwd8.jacobian(vector, &x);
            assert_eq!(
                (values.clone(), jac.clone()),
                jacobian_with(vector, &x, Chunk::<8>)
            );
            assert_eq!((values.clone(), jac.clone()), jacobian_by_lanes(vector, &x));
            assert_eq!(fwd3.jacobian(vector, &x), (values.clone(), jac.clone()));
            let fd = numeric::jacobian(vector, &x);
            assert_close(jac.as_slice(), fd.as_slice(), 1e-7, "finite differences");

            let mut v = vec![f64::NAN; n + 1];
            let mut j = DMatrix::from_element(n + 1, n, f64::NAN);
            fwd8.jacobian_into(vector, &x, &mut v, &mut j);
            assert_eq!((&v, &j), (&values, &jac));
            fwd3.jacobian_into(vector, &x, &mut v, &mut j);
            assert_eq!((&v, &j), (&values, &jac));
            let mut free = DMatrix::zeros(n + 1, n);
            jacobian_with_into(vector, &x, &mut v, &mut free, Chunk::<3>);
            assert_eq!(free, jac);

            j.fill(f64::NAN);
            v.fill(f64::NAN);
            fwd8.jacobian_inplace_into(vector_inplace, &x, &mut v, &mut j);
            assert_eq!((&v, &j), (&values, &jac));
            assert_eq!(
                fwd3.jacobian_inplace(vector_inplace, &x, n + 1),
                (values.clone(), jac.clone())
            );
        }
    }
    // no inputs: values and an m × 0 Jacobian, one evaluation
    let constant = |_: &[Dual<f64, 8>]| vec![Dual::constant(2.0), Dual::constant(-1.0)];
    let (values, jac) = fwd8.jacobian(constant, &[]);
    assert_eq!((values, jac.shape()), (vec![2.0, -1.0], (2, 0)));
}

#[test]
fn forward_jvp_equals_free_jvp_and_the_jacobian_times_r() {
    let mut rng = Rng::for_test("Forward::jvp");
    let mut fwd: Forward<f64> = Forward::new();
    for n in SIZES.into_iter().filter(|&n| n > 0) {
        let x = rng.vec(n, 0.2, 2.0);
        let r = rng.vec(n, -1.0, 1.0);
        let (values, jr) = fwd.jvp(vector, &x, &r);
        assert_eq!((values.clone(), jr.clone()), jvp(vector, &x, &r));
        let (v, jac) = jacobian_by_lanes(vector, &x);
        assert_eq!(values, v);
        let expected: Vec<f64> = (&jac * nalgebra::DVector::from_column_slice(&r))
            .iter()
            .copied()
            .collect();
        assert_close(&jr, &expected, 1e-13, "J·r");
        let (mut v2, mut jr2) = (vec![f64::NAN; n + 1], vec![f64::NAN; n + 1]);
        fwd.jvp_into(vector, &x, &r, &mut v2, &mut jr2);
        assert_eq!((v2, jr2), (values, jr));
    }
    // closed form: d/dt (x₀x₁, sin x₀) along (1, 0) = (x₁, cos x₀)
    let (_, jr) = fwd.jvp(
        |x: &[Dual<f64, 1>]| vec![x[0] * x[1], x[0].sin()],
        &[0.5, 3.0],
        &[1.0, 0.0],
    );
    assert_eq!(jr, vec![3.0, 0.5f64.cos()]);
}

#[test]
fn forward_hessian_equals_free_hessian_lane_by_lane_closed_form_and_reverse() {
    let mut rng = Rng::for_test("Forward::hessian");
    let mut fwd8: Forward<Dual<f64, 8>> = Forward::new();
    let mut fwd3: Forward<Dual<f64, 3>, 3> = Forward::with_chunk(Chunk::<3>);
    for n in SIZES {
        let mut xs = points(&mut rng, n);
        xs.push(vec![1.0; n]);
        for x in &xs {
            let (value, grad, h) = fwd8.hessian(rosenbrock, x);
            assert_eq!(
                (value, grad.clone(), h.clone()),
                hessian_with(rosenbrock, x, Chunk::<8>)
            );
            assert_eq!(h, hessian_by_lanes(rosenbrock, x), "n = {n}");
            assert_eq!((value, grad.clone()), gradient_by_lanes(rosenbrock, x));
            assert_eq!(
                fwd3.hessian(rosenbrock, x),
                (value, grad.clone(), h.clone())
            );
            assert_close(
                h.as_slice(),
                rosenbrock_hessian(x).as_slice(),
                1e-13,
                "closed form",
            );
            let mut g = vec![f64::NAN; n];
            let mut hh = DMatrix::from_element(n, n, f64::NAN); // every entry is written
            assert_eq!(fwd3.hessian_into(rosenbrock, x, &mut g, &mut hh), value);
            assert_eq!((&g, &hh), (&grad, &h));
        }
        if n > 0 {
            let x = &xs[0];
            let (_, grad, h) = fwd8.hessian(mixed, x);
            assert_eq!(h, hessian_by_lanes(mixed, x));
            let (_, grad_rev, h_rev) = reverse::hessian(mixed, x);
            assert_close(&grad, &grad_rev, 1e-13, "reverse gradient");
            assert_close(h.as_slice(), h_rev.as_slice(), 1e-12, "reverse Hessian");
        }
    }
    // a statically sized buffer
    let mut g = [0.0; 2];
    let mut h = Matrix2::zeros();
    fwd8.hessian_into(rosenbrock, &[1.0, 1.0], &mut g, &mut h);
    assert_eq!(h, Matrix2::new(802.0, -400.0, -400.0, 200.0));
}

#[test]
fn forward_hvp_equals_free_hvp_lane_by_lane_and_the_hessian_times_v() {
    let mut rng = Rng::for_test("Forward::hvp");
    let mut fwd8: Forward<Dual<f64, 8>> = Forward::new();
    let mut fwd3: Forward<Dual<f64, 3>, 3> = Forward::with_chunk(Chunk::<3>);
    for n in SIZES {
        let x = rng.vec(n, 0.2, 2.0);
        let v = rng.vec(n, -1.0, 1.0);
        let (value, grad, hv) = fwd8.hvp(mixed, &x, &v);
        assert_eq!(
            (value, grad.clone(), hv.clone()),
            hvp_with(mixed, &x, &v, Chunk::<8>)
        );
        assert_eq!(hv, hvp_by_lanes(mixed, &x, &v), "n = {n}");
        assert_eq!(fwd3.hvp(mixed, &x, &v), (value, grad.clone(), hv.clone()));
        let (_, _, h) = fwd8.hessian(mixed, &x);
        let expected: Vec<f64> = (&h * nalgebra::DVector::from_column_slice(&v))
            .iter()
            .copied()
            .collect();
        assert_close(&hv, &expected, 1e-12, "H·v");
        let (_, _, hv_rev) = reverse::hvp(mixed, &x, &v);
        assert_close(&hv, &hv_rev, 1e-12, "reverse H·v");
        let (mut g, mut hv2) = (vec![f64::NAN; n], vec![f64::NAN; n]);
        assert_eq!(fwd3.hvp_into(mixed, &x, &v, &mut g, &mut hv2), value);
        assert_eq!((g, hv2), (grad, hv));
    }
}

/// A `Forward` whose function panicked mid-pass (inputs left seeded) gives the right result
/// on its next call.
#[test]
fn forward_is_usable_after_its_function_panicked() {
    let x: Vec<f64> = (0..19).map(|i| 0.3 + 0.1 * i as f64).collect();
    let mut fwd: Forward<f64> = Forward::new();
    let boom = |xd: &[Dual<f64, 8>]| {
        if xd[10].eps[2] == 1.0 {
            panic!("boom"); // in the second pass, with inputs 8..16 seeded
        }
        rosenbrock(xd)
    };
    assert_eq!(panic_message(|| drop(fwd.gradient(boom, &x))), "boom");
    assert_eq!(
        fwd.gradient(rosenbrock, &x),
        gradient_by_lanes(rosenbrock, &x)
    );
    let mut fwd2: Forward<Dual<f64, 8>> = Forward::new();
    let boom2 = |xd: &[Dual<Dual<f64, 8>, 8>]| {
        if xd[10].eps[2].re == 1.0 {
            panic!("boom");
        }
        rosenbrock(xd)
    };
    assert_eq!(panic_message(|| drop(fwd2.hessian(boom2, &x))), "boom");
    assert_eq!(
        fwd2.hessian(rosenbrock, &x).2,
        hessian_by_lanes(rosenbrock, &x)
    );
}

// ---------------------------------------------------------------------------------------------
// bad input

#[test]
fn forward_methods_reject_buffers_of_the_wrong_size() {
    let mut fwd: Forward<f64> = Forward::new();
    let x = [0.5, 1.5, 1.0];
    assert_eq!(
        panic_message(|| {
            fwd.gradient_into(rosenbrock, &x, &mut [0.0; 2]);
        }),
        "Forward::gradient_into: `grad` must have 3 entries (one per input) but has 2 entries"
    );
    assert_eq!(
        panic_message(|| fwd.jacobian_into(vector, &x, &mut [0.0; 4], &mut DMatrix::zeros(4, 2))),
        "Forward::jacobian_into: `jac` must have 3 columns (one per input) but has 2"
    );
    assert_eq!(
        panic_message(|| fwd.jacobian_into(vector, &x, &mut [0.0; 3], &mut DMatrix::zeros(4, 3))),
        "Forward::jacobian_into: `values` must have 4 entries (one per output) but has 3 entries"
    );
    assert_eq!(
        panic_message(|| fwd.jacobian_inplace_into(
            vector_inplace,
            &x,
            &mut [0.0; 4],
            &mut SMatrix::<f64, 3, 3>::zeros()
        )),
        "Forward::jacobian_inplace_into: `jac` must be 4 × 3 (outputs × inputs) but is 3 × 3"
    );
    assert_eq!(
        panic_message(|| drop(fwd.jvp(vector, &x, &[1.0]))),
        "Forward::jvp: the direction r has 1 entry; expected 3, one per entry of x"
    );
    assert_eq!(
        panic_message(|| fwd.jvp_into(vector, &x, &[1.0; 3], &mut [0.0; 4], &mut [0.0; 3])),
        "Forward::jvp_into: `jr` must have 4 entries (one per output) but has 3 entries"
    );
    let mut fwd2: Forward<Dual<f64, 8>> = Forward::new();
    assert_eq!(
        panic_message(|| _ = std::hint::black_box(fwd2.hessian_into(
            rosenbrock,
            &x,
            &mut [0.0; 3],
            &mut DMatrix::zeros(3, 2)
        ))),
        "Forward::hessian_into: `hess` must be 3 × 3 (inputs × inputs) but is 3 × 2"
    );
    assert_eq!(
        panic_message(|| _ = std::hint::black_box(fwd2.hvp_into(
            rosenbrock,
            &x,
            &[1.0; 2],
            &mut [0.0; 3],
            &mut [0.0; 3]
        ))),
        "Forward::hvp_into: the direction v has 2 entries; expected 3, one per entry of x"
    );
    assert_eq!(
        panic_message(|| _ = std::hint::black_box(fwd2.hvp_into(
            rosenbrock,
            &x,
            &[1.0; 3],
            &mut [0.0; 3],
            &mut [0.0; 4]
        ))),
        "Forward::hvp_into: `hv` must have 3 entries (one per input) but has 4 entries"
    );
    assert_eq!(
        panic_message(|| drop(Forward::with_chunk(Chunk::<0>).gradient(|x| x[0], &[1.0]))),
        "Forward::gradient: the chunk width must be at least 1"
    );
}
