//! The forward drivers that write into the caller's buffers (`gradient_into`, `jacobian_into`, …)
//! and the Jacobian of functions that write their outputs into a slice (`jacobian_inplace`):
//! checked against the allocating drivers, finite differences and closed forms, and their panics
//! on buffers of the wrong size (exact messages).

use crate::common::functions::rosenbrock;
use std::panic::{AssertUnwindSafe, catch_unwind};

use nalgebra::{DMatrix, Matrix3x2, SMatrix};
use nilpotent::{
    Chunk, gradient, gradient_into, gradient_with_into, jacobian, jacobian_inplace,
    jacobian_inplace_into, jacobian_inplace_with_into, jacobian_into, jacobian_with_into, numeric,
};
use num_traits::Float;

/// ℝ³ → ℝ⁴, returning a `Vec`.
fn g<T: Float>(x: &[T]) -> Vec<T> {
    vec![
        x[0] * x[1],
        x[1].sin() * x[2],
        x[2].exp() - x[0],
        x[0] / x[2],
    ]
}

/// The same function, writing into a slice.
fn g_inplace<T: Float>(x: &[T], out: &mut [T]) {
    out.copy_from_slice(&g(x));
}

/// The message of a panic.
fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("no panic");
    match err.downcast::<String>() {
        Ok(s) => *s,
        Err(e) => e.downcast::<&str>().map(|s| s.to_string()).unwrap(),
    }
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

#[test]
fn gradient_into_equals_gradient_and_finite_differences() {
    // 19 inputs: three passes of 8, the last one partly filled
    let x: Vec<f64> = (0..19).map(|i| 0.1 * i as f64 - 0.7).collect();
    let (value, expected) = gradient(rosenbrock, &x);
    let mut grad = vec![f64::NAN; x.len()]; // stale contents are overwritten
    assert_eq!(gradient_into(rosenbrock, &x, &mut grad), value);
    assert_eq!(grad, expected);
    let fd = numeric::gradient(rosenbrock, &x);
    for (a, b) in grad.iter().zip(&fd) {
        assert!(close(*a, *b, 1e-6), "{a} vs finite differences {b}");
    }
    let mut grad3 = vec![0.0; x.len()];
    assert_eq!(
        gradient_with_into(rosenbrock, &x, &mut grad3, Chunk::<3>),
        value
    );
    assert_eq!(grad3, expected);
}

#[test]
fn gradient_into_closed_form_and_empty_input() {
    // ∂/∂x (x₀² x₁) = (2 x₀ x₁, x₀²)
    let mut grad = [0.0; 2];
    let v = gradient_into(|x| x[0] * x[0] * x[1], &[3.0, 2.0], &mut grad);
    assert_eq!((v, grad), (18.0, [12.0, 9.0]));
    let mut none: [f64; 0] = [];
    assert_eq!(
        gradient_into(|_| nilpotent::Dual::constant(4.0), &[], &mut none),
        4.0
    );
}

#[test]
fn gradient_into_rejects_a_buffer_of_the_wrong_length() {
    let msg = panic_message(|| {
        gradient_into(rosenbrock, &[1.0, 2.0], &mut [0.0; 3]);
    });
    assert_eq!(
        msg,
        "gradient_into: `grad` must have 2 entries (one per input) but has 3 entries"
    );
    let msg = panic_message(|| {
        gradient_into(|x| x[0], &[1.0], &mut [0.0; 0]);
    });
    assert_eq!(
        msg,
        "gradient_into: `grad` must have 1 entry (one per input) but has 0 entries"
    );
}

#[test]
fn jacobian_into_equals_jacobian_in_dynamic_static_and_view_buffers() {
    let x = [0.5, -1.25, 2.0];
    let (values, expected) = jacobian(g, &x);
    let fd = numeric::jacobian(g, &x);
    assert!(
        expected
            .iter()
            .zip(fd.iter())
            .all(|(a, b)| close(*a, *b, 1e-6))
    );

    let mut v = vec![f64::NAN; 4];
    let mut jac = DMatrix::from_element(4, 3, f64::NAN);
    jacobian_into(g, &x, &mut v, &mut jac);
    assert_eq!((&v, &jac), (&values, &expected));

    let mut fixed = SMatrix::<f64, 4, 3>::zeros();
    jacobian_with_into(g, &x, &mut v, &mut fixed, Chunk::<2>); // two passes
    assert_eq!(fixed, expected);

    // a view into a larger matrix: only the block is written
    let mut big = DMatrix::from_element(6, 5, -7.0);
    jacobian_into(g, &x, &mut v, &mut big.view_mut((1, 2), (4, 3)));
    assert_eq!(big.view((1, 2), (4, 3)), expected);
    assert_eq!(big[(0, 0)], -7.0);
    assert_eq!(big[(5, 4)], -7.0);
}

#[test]
fn jacobian_into_rejects_buffers_of_the_wrong_shape() {
    let x = [0.5, -1.25, 2.0];
    let msg = panic_message(|| jacobian_into(g, &x, &mut [0.0; 4], &mut DMatrix::zeros(4, 2)));
    assert_eq!(
        msg,
        "jacobian_into: `jac` must have 3 columns (one per input) but has 2"
    );
    let msg = panic_message(|| jacobian_into(g, &x, &mut [0.0; 4], &mut DMatrix::zeros(3, 3)));
    assert_eq!(
        msg,
        "jacobian_into: `jac` must be 4 × 3 (outputs × inputs) but is 3 × 3"
    );
    let msg = panic_message(|| jacobian_into(g, &x, &mut [0.0; 1], &mut DMatrix::zeros(4, 3)));
    assert_eq!(
        msg,
        "jacobian_into: `values` must have 4 entries (one per output) but has 1 entry"
    );
    let msg = panic_message(|| {
        jacobian_into(
            |x| vec![x[0]],
            &[1.0],
            &mut [0.0; 1],
            &mut Matrix3x2::zeros(),
        )
    });
    assert_eq!(
        msg,
        "jacobian_into: `jac` must have 1 column (one per input) but has 2"
    );
}

#[test]
fn jacobian_inplace_equals_jacobian() {
    let x = [0.5, -1.25, 2.0];
    let expected = jacobian(g, &x);
    assert_eq!(jacobian_inplace(g_inplace, &x, 4), expected);
    let mut v = [f64::NAN; 4];
    let mut jac = Matrix3x2::zeros().insert_row(3, 0.0).insert_column(2, 1.0);
    jacobian_inplace_into(g_inplace, &x, &mut v, &mut jac);
    assert_eq!(
        (
            v.to_vec(),
            DMatrix::from_iterator(4, 3, jac.iter().copied())
        ),
        expected
    );
    // 11 inputs, chunks of 4: three passes, the output buffer is reset before each
    let x: Vec<f64> = (0..11).map(|i| 0.3 * i as f64 + 0.1).collect();
    let sums = |x: &[_], out: &mut [_]| {
        for (k, o) in out.iter_mut().enumerate() {
            for (j, &xj) in x.iter().enumerate() {
                if (j + k) % 3 == 0 {
                    *o += xj * xj;
                }
            }
        }
    };
    let mut v = vec![0.0; 5];
    let mut jac = DMatrix::zeros(5, 11);
    jacobian_inplace_with_into(sums, &x, &mut v, &mut jac, Chunk::<4>);
    for k in 0..5 {
        for j in 0..11 {
            let expected = if (j + k) % 3 == 0 { 2.0 * x[j] } else { 0.0 };
            assert_eq!(jac[(k, j)], expected, "({k}, {j})");
        }
    }
}

#[test]
fn jacobian_inplace_outputs_left_unwritten_are_zero() {
    let (values, jac) = jacobian_inplace(|x, out| out[1] = x[0] * 3.0, &[2.0], 3);
    assert_eq!(values, vec![0.0, 6.0, 0.0]);
    assert_eq!(jac, DMatrix::from_column_slice(3, 1, &[0.0, 3.0, 0.0]));
}

#[test]
fn jacobian_inplace_into_rejects_buffers_of_the_wrong_shape() {
    let msg = panic_message(|| {
        jacobian_inplace_into(
            g_inplace,
            &[1.0, 2.0, 3.0],
            &mut [0.0; 4],
            &mut DMatrix::zeros(3, 3),
        )
    });
    assert_eq!(
        msg,
        "jacobian_inplace_into: `jac` must be 4 × 3 (outputs × inputs) but is 3 × 3"
    );
    let msg = panic_message(|| {
        jacobian_inplace_into(
            g_inplace,
            &[1.0, 2.0, 3.0],
            &mut [0.0; 4],
            &mut DMatrix::zeros(4, 1),
        )
    });
    assert_eq!(
        msg,
        "jacobian_inplace_into: `jac` must have 3 columns (one per input) but has 1"
    );
}

#[test]
fn a_function_whose_output_count_changes_between_passes_is_rejected() {
    // 9 inputs: two passes of 8; the function returns one more value when x₈ is seeded
    let x = [1.0; 9];
    let f = |x: &[nilpotent::Dual<f64, 8>]| {
        let mut y = vec![x[0] * x[1], x[2]];
        if x[8].eps[0] != 0.0 {
            y.push(x[8]);
        }
        y
    };
    let msg = panic_message(|| {
        jacobian_into(f, &x, &mut [0.0; 2], &mut DMatrix::zeros(2, 9));
    });
    assert_eq!(
        msg,
        "jacobian_into: f returned 2 values in one pass and 3 values in another"
    );
    let msg = panic_message(|| {
        jacobian(f, &x);
    });
    assert_eq!(
        msg,
        "jacobian: f returned 2 values in one pass and 3 values in another"
    );
}
