//! Reusing tapes: `Tape::jacobian(_into)` and `Tape::hessian(_into)` against the forward drivers
//! and closed forms; the free `reverse::*` functions on the thread's spare tape (correct after a
//! panic inside the user's function, in nested and recursive calls, across threads); and the
//! operations by a constant that record no node (×1, ÷1, +(−0), −(+0)) and those that must.

use crate::common::functions::rosenbrock;
use std::panic::{AssertUnwindSafe, catch_unwind};

use nalgebra::{DMatrix, DVector, Matrix2, RealField};
use nilpotent::reverse::{self, Tape, Var};
use nilpotent::{Dual, numeric};
use num_traits::Float;

fn g<T: Float>(x: &[T]) -> Vec<T> {
    vec![
        x[0] * x[1],
        x[1].sin() * x[2],
        x[2].exp() - x[0],
        x[0] / x[2],
    ]
}

fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("no panic");
    match err.downcast::<String>() {
        Ok(s) => *s,
        Err(e) => e.downcast::<&str>().map(|s| s.to_string()).unwrap(),
    }
}

#[test]
fn tape_jacobian_equals_forward_jacobian_on_every_reuse() {
    let mut tape = Tape::new();
    let mut values = [f64::NAN; 4];
    let mut jac = DMatrix::from_element(4, 3, f64::NAN);
    for k in 0..4 {
        let x = [0.5 + k as f64, -1.25, 2.0 - 0.5 * k as f64];
        let (ev, ej) = nilpotent::jacobian(g, &x);
        assert_eq!(tape.jacobian(g, &x), (ev.clone(), ej.clone()));
        tape.jacobian_into(g, &x, &mut values, &mut jac);
        assert_eq!((values.to_vec(), &jac), (ev, &ej));
        assert_eq!(reverse::jacobian(g, &x).1, ej);
    }
}

#[test]
fn tape_jacobian_into_rejects_buffers_of_the_wrong_shape() {
    let mut tape = Tape::new();
    let x = [0.5, -1.25, 2.0];
    let msg = panic_message(|| tape.jacobian_into(g, &x, &mut [0.0; 4], &mut DMatrix::zeros(4, 2)));
    assert_eq!(
        msg,
        "Tape::jacobian_into: `jac` must have 3 columns (one per input) but has 2"
    );
    let msg = panic_message(|| tape.jacobian_into(g, &x, &mut [0.0; 2], &mut DMatrix::zeros(4, 3)));
    assert_eq!(
        msg,
        "Tape::jacobian_into: `values` must have 4 entries (one per output) but has 2 entries"
    );
    let msg = panic_message(|| tape.jacobian_into(g, &x, &mut [0.0; 4], &mut DMatrix::zeros(5, 3)));
    assert_eq!(
        msg,
        "Tape::jacobian_into: `jac` must be 4 × 3 (outputs × inputs) but is 5 × 3"
    );
    // the tape is usable after the panics
    assert_eq!(tape.jacobian(g, &x), nilpotent::jacobian(g, &x));
}

#[test]
fn tape_jacobian_of_a_constant_output_is_a_zero_row_even_into_a_dirty_buffer() {
    let mut tape = Tape::new();
    let mut values = [9.0; 2];
    let mut jac = DMatrix::from_element(2, 2, 9.0);
    tape.jacobian_into(
        |x| vec![x[0] * x[1], Var::constant(5.0)],
        &[2.0, 3.0],
        &mut values,
        &mut jac,
    );
    assert_eq!(values, [6.0, 5.0]);
    assert_eq!(jac, DMatrix::from_row_slice(2, 2, &[3.0, 2.0, 0.0, 0.0]));
}

#[test]
fn tape_hessian_equals_forward_hessian_and_closed_form() {
    // 11 inputs, chunk widths 1, 4 and 8 (one, three and two recordings per Hessian)
    let x: Vec<f64> = (0..11).map(|i| 0.2 * i as f64 - 1.0).collect();
    let (fv, fg, fh) = nilpotent::hessian(rosenbrock, &x);
    let mut t1: Tape<Dual<f64, 1>> = Tape::new();
    let mut t4: Tape<Dual<f64, 4>> = Tape::new();
    let mut t8: Tape<Dual<f64, 8>> = Tape::new();
    let (mut grad, mut h) = (vec![f64::NAN; 11], DMatrix::from_element(11, 11, f64::NAN));
    for _ in 0..2 {
        for (v, gr, he) in [t1.hessian(rosenbrock, &x), t4.hessian(rosenbrock, &x)] {
            assert_eq!(v, fv);
            assert!(
                gr.iter()
                    .zip(&fg)
                    .all(|(a, b)| (a - b).abs() <= 1e-12 * b.abs().max(1.0))
            );
            assert!((he - &fh).abs().max() <= 1e-10);
        }
        let v = t8.hessian_into(rosenbrock, &x, &mut grad, &mut h);
        assert_eq!(
            (v, grad.clone(), h.clone()),
            reverse::hessian(rosenbrock, &x)
        );
    }
    // closed form: f = x₀² x₁ + x₁³, H = [[2x₁, 2x₀], [2x₀, 6x₁]]
    let f = |x: &[Var<Dual<f64, 2>>]| x[0] * x[0] * x[1] + x[1].powi(3);
    let mut t2: Tape<Dual<f64, 2>> = Tape::new();
    let mut h2 = Matrix2::zeros();
    let mut g2 = [0.0; 2];
    let v = t2.hessian_into(f, &[3.0, 2.0], &mut g2, &mut h2);
    assert_eq!((v, g2), (26.0, [12.0, 21.0]));
    assert_eq!(h2, Matrix2::new(4.0, 6.0, 6.0, 12.0));
    // against finite differences of the gradient
    let fd = numeric::jacobian(|x| reverse::gradient(rosenbrock, x).1, &x);
    assert!((fh - fd).abs().max() < 1e-4);
}

#[test]
fn tape_hessian_into_rejects_buffers_of_the_wrong_shape() {
    let mut tape: Tape<Dual<f64, 2>> = Tape::new();
    let msg = panic_message(|| {
        tape.hessian_into(
            rosenbrock,
            &[1.0, 2.0, 3.0],
            &mut [0.0; 2],
            &mut DMatrix::zeros(3, 3),
        );
    });
    assert_eq!(
        msg,
        "Tape::hessian_into: `grad` must have 3 entries (one per input) but has 2 entries"
    );
    let msg = panic_message(|| {
        tape.hessian_into(
            rosenbrock,
            &[1.0, 2.0, 3.0],
            &mut [0.0; 3],
            &mut DMatrix::zeros(3, 2),
        );
    });
    assert_eq!(
        msg,
        "Tape::hessian_into: `hess` must be 3 × 3 (inputs × inputs) but is 3 × 2"
    );
}

#[test]
fn free_functions_are_right_after_a_panic_inside_the_function() {
    for round in 0..3 {
        let msg = panic_message(|| {
            reverse::gradient(
                |x: &[Var<f64>]| {
                    let y = x[0] * x[1] + x[0].sin();
                    if y.value() > 0.0 {
                        panic!("user panic {round}");
                    }
                    y
                },
                &[1.0, 2.0],
            );
        });
        assert_eq!(msg, format!("user panic {round}"));
        // the next calls, of every driver, are right
        let x = [1.5, -0.5, 2.0];
        assert_eq!(
            reverse::gradient(rosenbrock, &x),
            Tape::new().gradient(rosenbrock, &x)
        );
        assert_eq!(reverse::jacobian(g, &x), Tape::new().jacobian(g, &x));
        let (_, jts) = reverse::vjp(g, &x, &[1.0, 0.0, 0.0, 0.0]);
        assert_eq!(jts, vec![-0.5, 1.5, 0.0]);
        let msg = panic_message(|| {
            reverse::hessian(|_: &[Var<Dual<f64, 8>>]| panic!("in hessian"), &x);
        });
        assert_eq!(msg, "in hessian");
        let mut own: Tape<Dual<f64, 8>> = Tape::new();
        assert_eq!(
            reverse::hessian(rosenbrock, &x),
            own.hessian(rosenbrock, &x)
        );
    }
}

#[test]
fn free_functions_nest_and_recurse() {
    // reverse::gradient inside reverse::hessian's function: two tape types at once
    let f = |x: &[Var<Dual<f64, 8>>]| {
        let inner = reverse::gradient(rosenbrock, &[0.5, 0.25, 2.0]);
        assert_eq!(inner, Tape::new().gradient(rosenbrock, &[0.5, 0.25, 2.0]));
        rosenbrock(x)
    };
    let x = [0.3, 0.7, -0.2];
    for _ in 0..2 {
        let (v, gr, h) = reverse::hessian(f, &x);
        let (v2, gr2, h2) = reverse::hessian(rosenbrock, &x);
        assert_eq!((v, gr, h), (v2, gr2, h2));
    }
    // a recursive call of the same type inside the function is refused with the usual message;
    // caught there, it leaves the outer recording intact
    let (v, grad) = reverse::gradient(
        |x: &[Var<f64>]| {
            let msg = panic_message(|| {
                reverse::gradient(rosenbrock, &[1.0, 2.0]);
            });
            assert!(
                msg.contains("already recording a tape of Var<f64>"),
                "{msg}"
            );
            x[0] * x[1]
        },
        &[3.0, 4.0],
    );
    assert_eq!((v, grad), (12.0, vec![4.0, 3.0]));
    // recursion through a driver of another scalar type (f32) in the function
    fn depth<T: Float>(x: &[T]) -> T {
        x[0] * x[0]
    }
    let (_, outer) = reverse::gradient(
        |x: &[Var<f64>]| {
            let (_, inner) = reverse::gradient(depth, &[3.0f32]);
            assert_eq!(inner, vec![6.0f32]);
            x[0] * f64::from(inner[0])
        },
        &[2.0],
    );
    assert_eq!(outer, vec![6.0]);
}

#[test]
fn threads_keep_their_own_spare_tapes() {
    let handles: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                for k in 0..50 {
                    let x: Vec<f64> = (0..5).map(|i| 0.1 * (i + t + k) as f64).collect();
                    // bit for bit as on a tape of its own
                    assert_eq!(
                        reverse::gradient(rosenbrock, &x),
                        Tape::new().gradient(rosenbrock, &x)
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn identities_by_a_constant_record_no_node() {
    let mut tape = Tape::new();
    let one = Var::constant(1.0);
    let (neg0, pos0) = (Var::constant(-0.0), Var::constant(0.0));
    for x0 in [2.5, -0.0, 0.0, f64::INFINITY, -3.0] {
        let ys = tape.record(&[x0], |x| {
            let x = x[0];
            vec![
                x * 1.0,
                1.0 * x,
                x / 1.0,
                x + -0.0,
                -0.0 + x,
                x - 0.0,
                x * one,
                one * x,
                x / one,
                x + neg0,
                neg0 + x,
                x - pos0,
            ]
        });
        assert_eq!(tape.len(), 1, "only the input is recorded (x = {x0})");
        for (k, y) in ys.iter().enumerate() {
            assert_eq!(y.value().to_bits(), x0.to_bits(), "identity {k} at {x0}");
            assert_eq!(y.node(), Some(1));
        }
    }
    // f32 too
    let mut tape32 = Tape::new();
    tape32.record(&[1.5f32], |x| x[0] * 1.0f32 / 1.0f32 + -0.0f32 - 0.0f32);
    assert_eq!(tape32.len(), 1);
}

#[test]
fn non_identities_by_a_constant_are_recorded() {
    let mut tape = Tape::new();
    // x + (+0) is +0 at x = −0; x − (−0) likewise; 0·x loses the sign and ∞·0 is NaN
    let ys = tape.record(&[-0.0f64], |x| {
        vec![x[0] + 0.0, 0.0 + x[0], x[0] - -0.0, x[0] * 2.0]
    });
    for y in &ys[..3] {
        assert_eq!(y.value().to_bits(), 0.0f64.to_bits());
        assert!(
            !y.is_constant(),
            "x ± 0 with the wrong zero must stay a node"
        );
    }
    assert_eq!(tape.len(), 5);
    let grad = tape.backward(ys[1]);
    assert_eq!(grad, &[1.0]);
    // ×1 on a dual number's tape is not folded (its equality compares real parts only)
    let mut dual_tape: Tape<Dual<f64, 1>> = Tape::new();
    let y = dual_tape.record(&[Dual::new(2.0, [1.0])], |x| {
        x[0] * Var::constant(Dual::new(1.0, [1.0]))
    });
    assert_eq!(dual_tape.len(), 2);
    assert_eq!(y.value(), Dual::new(2.0, [3.0]));
}

/// W·x of a 3×3 matrix: 9 products and 6 sums, no ×1 from nalgebra's `alpha`/`beta`.
#[test]
fn matrix_product_records_one_node_per_multiply_and_add() {
    fn product<T: RealField + Copy>(w: &[T]) -> T {
        let w = DMatrix::from_column_slice(3, 3, w);
        let x = DVector::from_vec(vec![
            nalgebra::convert(0.5),
            nalgebra::convert(-1.5),
            nalgebra::convert(2.0),
        ]);
        (w * x).sum()
    }
    let w: Vec<f64> = (0..9).map(|i| i as f64 + 1.0).collect();
    let mut tape = Tape::new();
    let y = tape.record(&w, product);
    // 9 inputs, 9 products, 6 sums inside the product, 3 in `sum()` (which starts from +0, and
    // +0 + y is not an identity at y = −0, so it is recorded): 9 + 9 + 6 + 3
    assert_eq!(tape.len(), 27);
    assert_eq!(y.value(), product(&w));
    let grad = tape.backward(y).to_vec();
    let expected: Vec<f64> = [0.5, -1.5, 2.0].iter().flat_map(|&xi| [xi; 3]).collect();
    assert_eq!(grad, expected);
}
