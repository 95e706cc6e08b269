//! Zero tests (issue 20, items 1 and 2): `Zero::is_zero` answers the value question in every mode,
//! as the `f64` program asks it (generic code, nalgebra's singularity tests), and the product `⊙`
//! of derivative graphs and of the chain rule has the `f64` values as real parts on dual numbers.
//!
//! Oracles: the `f64` program itself (which branch, `None`/`false`), closed forms, and the
//! first-order modes (whose values the second-order ones must reproduce).

use nalgebra::{DMatrix, DVector, Matrix2, Matrix3, RealField};
use nilpotent::graph::{Graph, GraphError, Sym};
use nilpotent::reverse::{self, Var};
use nilpotent::sparse::{self, HessianPlan, JacobianPlan};
use nilpotent::{Chunk, Dual, gradient, gradient_with, hessian, hessian_with};
use num_traits::{Float, Zero};

/// Bitwise equality of two `f64` lists (NaN equal to NaN, +0 different from −0).
fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// The same number (NaN = NaN, +0 = −0).
fn same_value(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

// ---------------------------------------------------------------------------------------------
// Item 1: zero tests take the other branch
// ---------------------------------------------------------------------------------------------

/// `is_zero` of a number whose value is 0 but whose derivative is not: true, as for the `f64`
/// value, in every mode (flat and nested duals, the tape, graph mode), and false for a nonzero
/// value with zero derivatives; ±0 are zero, NaN is not.
#[test]
fn zero_tests_take_the_other_branch_is_zero_is_the_value() {
    for v in [0.0, -0.0, 1.0, -2.5, f64::NAN, f64::INFINITY, 1e-310] {
        let want = v == 0.0;
        assert_eq!(
            Dual::<f64, 2>::new(v, [1.0, f64::NAN]).is_zero(),
            want,
            "{v}"
        );
        assert_eq!(Dual::<f64, 2>::constant(v).is_zero(), want, "{v}");
        let nested = Dual::<Dual<f64, 1>, 1>::new(Dual::new(v, [3.0]), [Dual::new(1.0, [0.0])]);
        assert_eq!(nested.is_zero(), want, "{v} (nested)");
        let (tape_answer, _) = reverse::gradient(
            |x: &[Var<f64>]| {
                assert_eq!(x[0].is_zero(), want, "{v} (tape)");
                x[0] * 2.0
            },
            &[v],
        );
        let _ = tape_answer;
        let g = Graph::record(&[v], |x: &[Sym]| {
            assert_eq!(x[0].is_zero(), want, "{v} (graph)");
            x[0] * 2.0
        });
        // the question is kept as a guard: the graph refuses a point where the answer differs
        let other = if want { 1.0 } else { 0.0 };
        if v.is_finite() {
            assert!(g.eval(&[v]).is_ok(), "{v}");
            assert!(
                matches!(g.eval(&[other]), Err(GraphError::Guard { .. })),
                "{v}: the graph recorded at {v} evaluates at {other}: {:?}",
                g.eval(&[other])
            );
        }
    }
}

/// The branchy function of the issue: at (0, 1) the `f64` program takes the first branch.
fn branchy<T: Float>(x: &[T]) -> T {
    if x[0].is_zero() {
        x[1] + x[1]
    } else {
        x[1] * T::from(3.0).unwrap() + x[0]
    }
}

/// The same in vector form (for Jacobians).
fn branchy_vec<T: Float>(x: &[T]) -> Vec<T> {
    vec![branchy(x), x[0] * x[1]]
}

/// The gradient of the branchy function does not depend on which inputs share a pass: `gradient`
/// (all inputs in one pass), `gradient_with(Chunk::<1>)`, `reverse::gradient` and the graph all
/// give the derivative of the branch the `f64` program takes, (0, 2); the same for the Jacobian
/// from `JacobianPlan::eval` and `eval_fn(.., Chunk::<1>)`.
#[test]
fn zero_tests_take_the_other_branch_gradient_depends_on_seeding() {
    let x = [0.0, 1.0];
    let want = (2.0, vec![0.0, 2.0]); // the f64 program: 2·x₁
    assert_eq!(branchy(&x), want.0);
    assert_eq!(gradient(branchy, &x), want);
    assert_eq!(gradient_with(branchy, &x, Chunk::<1>), want);
    assert_eq!(gradient_with(branchy, &x, Chunk::<2>), want);
    assert_eq!(reverse::gradient(branchy, &x), want);
    let g = Graph::record(&x, branchy);
    assert_eq!(g.gradient().eval(&x).unwrap(), vec![2.0, 0.0, 2.0]);
    // nested: the Hessian drivers take the same branch (value and gradient)
    for (name, (v, grad, _)) in [
        ("hessian", hessian(branchy, &x)),
        ("hessian_with::<1>", hessian_with(branchy, &x, Chunk::<1>)),
        ("reverse::hessian", reverse::hessian(branchy, &x)),
    ] {
        assert_eq!((v, grad), want, "{name}");
    }
    // sparse Jacobian plans: the graph and the generic function in passes of one column
    let jg = Graph::record_vec(&x, branchy_vec);
    let mut plan = JacobianPlan::new(&jg);
    let (vals, from_graph) = plan.eval(&x).unwrap();
    let (vals, from_graph) = (vals.to_vec(), DMatrix::from(from_graph));
    let (vals1, from_fn) = plan.eval_fn(branchy_vec, &x, Chunk::<1>).unwrap();
    let (vals1, from_fn) = (vals1.to_vec(), DMatrix::from(from_fn));
    let (vals2, from_fn2) = plan.eval_fn(branchy_vec, &x, Chunk::<2>).unwrap();
    let (vals2, from_fn2) = (vals2.to_vec(), DMatrix::from(from_fn2));
    let closed = DMatrix::from_row_slice(2, 2, &[0.0, 2.0, 1.0, 0.0]);
    for (name, v, j) in [
        ("graph", &vals, &from_graph),
        ("Chunk::<1>", &vals1, &from_fn),
        ("Chunk::<2>", &vals2, &from_fn2),
    ] {
        assert_eq!(v, &vec![2.0, 0.0], "{name}");
        assert_eq!(j, &closed, "{name}");
    }
    let (_, sj) = sparse::jacobian(branchy_vec, &x);
    assert_eq!(DMatrix::from(&sj), closed);
}

/// The inverse's (0, 0) entry, or −1 where the matrix is singular (`try_inverse` returns `None`).
fn inverse_entry<T: RealField + Copy>(x: &[T]) -> T {
    let m = Matrix2::new(x[0], x[1], x[2], x[3]);
    m.try_inverse().map_or(-T::one(), |inv| inv[(0, 0)])
}

/// The same for 3×3 (its own closed-form inverse in nalgebra).
fn inverse_entry3<T: RealField + Copy>(x: &[T]) -> T {
    let m = Matrix3::new(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8]);
    m.try_inverse().map_or(-T::one(), |inv| inv[(0, 0)])
}

/// `A⁻¹b`'s first entry by LU, or −1 where the solve refuses (a zero pivot).
fn lu_solve<T: RealField + Copy>(x: &[T]) -> T {
    let a = DMatrix::from_row_slice(2, 2, &x[..4]);
    let b = DVector::from_column_slice(&[T::one(), T::one()]);
    a.lu().solve(&b).map_or(-T::one(), |s| s[0])
}

/// The same by QR.
fn qr_solve<T: RealField + Copy>(x: &[T]) -> T {
    let a = DMatrix::from_row_slice(2, 2, &x[..4]);
    let b = DVector::from_column_slice(&[T::one(), T::one()]);
    a.qr().solve(&b).map_or(-T::one(), |s| s[0])
}

/// 1 if full-pivot LU calls the matrix invertible, −1 if not (times x₀, so it has a derivative).
fn is_invertible<T: RealField + Copy>(x: &[T]) -> T {
    let a = DMatrix::from_row_slice(2, 2, &x[..4]);
    let sign = if a.full_piv_lu().is_invertible() {
        T::one()
    } else {
        -T::one()
    };
    sign * x[0]
}

/// Runs `$f` at the singular `$x` as `f64`, on `Dual<f64, 2>`, on nested duals, through the
/// forward and reverse drivers and in graph mode (recorded at `$x`, and recorded at the invertible
/// `$x0`), and checks every value is the `f64` program's: nalgebra takes the `f64` branch at a
/// singular matrix (`None`, `false`), and a graph recorded at an invertible matrix refuses the
/// singular one with a guard error (interpreter and JIT). Returns the `f64` value.
macro_rules! singular_in_every_mode {
    ($name:expr, $f:ident, $x:expr, $x0:expr) => {{
        let (name, x, x0): (&str, Vec<f64>, Vec<f64>) = ($name, $x, $x0);
        let want = $f::<f64>(&x);
        // forward: one pass seeding the first two inputs, and the Hessian drivers
        let xd: Vec<Dual<f64, 2>> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                Dual::new(
                    v,
                    [f64::from(u8::from(i == 0)), f64::from(u8::from(i == 3))],
                )
            })
            .collect();
        assert_eq!($f(&xd).re.to_bits(), want.to_bits(), "{name}: Dual");
        let xn: Vec<Dual<Dual<f64, 1>, 1>> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                Dual::new(
                    Dual::new(v, [f64::from(u8::from(i == 0))]),
                    [Dual::constant(f64::from(u8::from(i == 3)))],
                )
            })
            .collect();
        assert_eq!(
            $f(&xn).re.re.to_bits(),
            want.to_bits(),
            "{name}: nested Dual"
        );
        assert_eq!(
            gradient(|v| $f(v), &x).0.to_bits(),
            want.to_bits(),
            "{name}: gradient"
        );
        assert_eq!(
            hessian(|v| $f(v), &x).0.to_bits(),
            want.to_bits(),
            "{name}: hessian"
        );
        // tape, and forward over reverse
        assert_eq!(
            reverse::gradient(|v| $f(v), &x).0.to_bits(),
            want.to_bits(),
            "{name}: tape"
        );
        assert_eq!(
            reverse::hessian(|v| $f(v), &x).0.to_bits(),
            want.to_bits(),
            "{name}: forward over reverse"
        );
        // graph recorded at the singular point: evaluates like f64, there and in its gradient
        let g = Graph::record(&x, |v: &[Sym]| $f(v));
        assert_eq!(
            g.eval(&x).unwrap()[0].to_bits(),
            want.to_bits(),
            "{name}: graph"
        );
        assert_eq!(
            g.gradient().eval(&x).unwrap()[0].to_bits(),
            want.to_bits(),
            "{name}: gradient graph"
        );
        // graph recorded at an invertible point: a guard error at the singular one, never a number
        let g0 = Graph::record(&x0, |v: &[Sym]| $f(v));
        assert_eq!(
            g0.eval(&x0).unwrap()[0],
            $f::<f64>(&x0),
            "{name}: graph at x0"
        );
        for (what, r) in [
            ("graph", g0.eval(&x)),
            ("gradient graph", g0.gradient().eval(&x)),
        ] {
            assert!(
                matches!(r, Err(GraphError::Guard { .. })),
                "{name}: {what} recorded at {x0:?} evaluated at the singular {x:?}: {r:?}"
            );
        }
        #[cfg(feature = "jit")]
        {
            let c = g0.compile().unwrap();
            let r = c.eval(&x);
            assert_eq!(r, g0.eval(&x), "{name}: JIT");
            assert_eq!(
                g.compile().unwrap().eval(&x),
                g.eval(&x),
                "{name}: JIT at x"
            );
        }
        want
    }};
}

/// nalgebra's singularity tests (`try_inverse` of 2×2 and 3×3 through `determinant().is_zero()`,
/// LU and QR solves through the pivots' `is_zero()`, `FullPivLU::is_invertible`) give the `f64`
/// answer at a singular matrix whose entries carry derivatives, in every mode: `None`/`false`,
/// never `Some(±∞/NaN)`; a graph recorded at an invertible matrix returns a guard error there.
#[test]
fn zero_tests_take_the_other_branch_nalgebra_singular_matrices() {
    let singular = vec![1.0, 2.0, 2.0, 4.0];
    let regular = vec![1.0, 2.0, 3.0, 4.0];
    assert_eq!(
        singular_in_every_mode!(
            "try_inverse 2×2",
            inverse_entry,
            singular.clone(),
            regular.clone()
        ),
        -1.0
    );
    assert_eq!(
        singular_in_every_mode!("lu().solve", lu_solve, singular.clone(), regular.clone()),
        -1.0
    );
    assert_eq!(
        singular_in_every_mode!(
            "full_piv_lu().is_invertible",
            is_invertible,
            singular.clone(),
            regular.clone()
        ),
        -1.0
    );
    // QR: a zero diagonal of R where the second column is a multiple of the first
    let qr_singular = vec![1.0, 2.0, 0.0, 0.0];
    assert_eq!(
        qr_solve::<f64>(&qr_singular),
        -1.0,
        "QR: the f64 solve refuses"
    );
    singular_in_every_mode!("qr().solve", qr_solve, qr_singular, regular.clone());
    let s3 = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
    let r3 = vec![2.0, 0.0, 1.0, 1.0, 3.0, 0.0, 0.0, 1.0, 4.0];
    assert_eq!(inverse_entry3::<f64>(&s3), -1.0);
    singular_in_every_mode!("try_inverse 3×3", inverse_entry3, s3, r3);
}

// ---------------------------------------------------------------------------------------------
// Item 2: derivative graphs evaluated on dual numbers do not have the f64 values as real parts
// ---------------------------------------------------------------------------------------------

fn sqrt_of_product<T: Float>(x: &[T]) -> T {
    (x[0] * x[1]).sqrt()
}

/// The gradient graph of √(x₀x₁) at (0, 1) evaluated on dual numbers (any seeding, nested) has
/// the `f64` evaluation's outputs as real parts, bit for bit: [0, ∞, 0] (the partial towards x₁
/// is 0 ⊙ ∞ = 0), not [0, ∞, NaN]. The same for the Hessian graph's gradient part.
#[test]
fn derivative_graphs_on_dual_numbers_have_the_f64_values_as_real_parts() {
    let x = [0.0, 1.0];
    let g = Graph::record(&x, sqrt_of_product);
    for graph in [g.gradient(), g.hessian(), g.gradient().jacobian()] {
        let want = graph.eval(&x).unwrap();
        assert!(
            same_bits(&want[..3], &[0.0, f64::INFINITY, 0.0]),
            "{want:?}"
        );
        for seeds in [
            [[1.0, 0.0], [0.0, 1.0]],
            [[1.0, 1.0], [0.0, 1.0]],
            [[0.0, 0.0], [1.0, 0.0]],
        ] {
            let xd = [
                Dual::<f64, 2>::new(x[0], seeds[0]),
                Dual::new(x[1], seeds[1]),
            ];
            let out = graph
                .program()
                .evaluator::<Dual<f64, 2>>()
                .eval(&xd)
                .unwrap();
            let re: Vec<f64> = out.iter().map(|d| d.re).collect();
            assert!(
                same_bits(&re, &want),
                "seeds {seeds:?}: {re:?} against f64 {want:?}"
            );
        }
        let xn = [
            Dual::<Dual<f64, 1>, 1>::new(Dual::new(0.0, [1.0]), [Dual::new(1.0, [0.0])]),
            Dual::new(Dual::new(1.0, [1.0]), [Dual::new(0.0, [1.0])]),
        ];
        let out = graph
            .program()
            .evaluator::<Dual<Dual<f64, 1>, 1>>()
            .eval(&xn)
            .unwrap();
        let re: Vec<f64> = out.iter().map(|d| d.re.re).collect();
        assert!(same_bits(&re, &want), "nested: {re:?} against f64 {want:?}");
    }
}

/// The gradient that comes with a Hessian is the first-order one, [∞, 0] for √(x₀x₁) at (0, 1),
/// in every second-order route: `sparse::hessian`, `HessianPlan::eval`, the dense drivers (nested
/// duals, forward over reverse) and the Hessian graph — not [∞, NaN].
#[test]
fn derivative_graphs_on_dual_numbers_hessian_gradient_is_the_first_order_one() {
    let x = [0.0, 1.0];
    let first = gradient(sqrt_of_product, &x).1;
    assert!(same_bits(&first, &[f64::INFINITY, 0.0]), "{first:?}");
    assert_eq!(reverse::gradient(sqrt_of_product, &x).1, first);
    let g = Graph::record(&x, sqrt_of_product);
    assert_eq!(g.gradient().eval(&x).unwrap()[1..], first[..]);
    let mut plan = HessianPlan::new(&g);
    let (_, plan_grad, _) = plan.eval(&x).unwrap();
    let routes = [
        ("sparse::hessian", sparse::hessian(sqrt_of_product, &x).1),
        ("HessianPlan::eval", plan_grad.to_vec()),
        ("hessian", hessian(sqrt_of_product, &x).1),
        (
            "hessian_with::<1>",
            hessian_with(sqrt_of_product, &x, Chunk::<1>).1,
        ),
        ("reverse::hessian", reverse::hessian(sqrt_of_product, &x).1),
        (
            "Graph::hessian",
            g.hessian().eval(&x).unwrap()[1..3].to_vec(),
        ),
    ];
    for (name, grad) in routes {
        assert!(
            same_bits(&grad, &first),
            "{name}: {grad:?} against {first:?}"
        );
    }
}

/// sin(√(x₀x₁)·x₂) + x₃x₂: at x₀ = 0 the partial towards x₁ is 0 ⊙ ∞, and its adjoint then
/// meets partials that depend on the other inputs.
fn sin_of_root<T: Float>(x: &[T]) -> T {
    ((x[0] * x[1]).sqrt() * x[2]).sin() + x[3] * x[2]
}

/// √(x₀x₁x₂) + x₃²: the same with the zero factor one product deeper.
fn root_of_triple<T: Float>(x: &[T]) -> T {
    (x[0] * x[1] * x[2]).sqrt() + x[3] * x[3]
}

/// A Hessian entry does not depend on which other inputs share its pass: a `HessianPlan` (one
/// pass for all four inputs here), `reverse::hessian_with(Chunk::<4>)`, `hessian_with(Chunk::<4>)`
/// and the Hessian graph give the matrix and the gradient of passes of one input
/// (`hessian_with(Chunk::<1>)`, `reverse::hessian_with(Chunk::<1>)`), where a NaN value used to
/// reach the lanes of the other inputs of the pass (H[0][1] = NaN against 0).
#[test]
fn derivative_graphs_on_dual_numbers_hessian_entries_do_not_depend_on_passes() {
    type F = fn(&[f64]) -> f64;
    type S = fn(&[Sym]) -> Sym;
    type D1 = fn(&[Dual<Dual<f64, 1>, 1>]) -> Dual<Dual<f64, 1>, 1>;
    type D4 = fn(&[Dual<Dual<f64, 4>, 4>]) -> Dual<Dual<f64, 4>, 4>;
    type V1 = fn(&[Var<Dual<f64, 1>>]) -> Var<Dual<f64, 1>>;
    type V4 = fn(&[Var<Dual<f64, 4>>]) -> Var<Dual<f64, 4>>;
    let fs: [(&str, F, S, D1, D4, V1, V4); 2] = [
        (
            "sin_of_root",
            sin_of_root,
            sin_of_root,
            sin_of_root,
            sin_of_root,
            sin_of_root,
            sin_of_root,
        ),
        (
            "root_of_triple",
            root_of_triple,
            root_of_triple,
            root_of_triple,
            root_of_triple,
            root_of_triple,
            root_of_triple,
        ),
    ];
    let n = 4;
    for (name, f, fs, d1, d4, v1, v4) in fs {
        for x in [
            [0.0, 1.0, 0.0, 1.0],
            [0.0, 1.0, 2.0, 3.0],
            [1.0, 0.0, 2.0, 0.5],
            [0.0, 0.0, 1.0, 2.0],
        ] {
            let (value, grad, h) = hessian_with(d1, &x, Chunk::<1>);
            assert_eq!(value.to_bits(), f(&x).to_bits(), "{name}");
            assert_eq!(
                grad,
                gradient(|v| f_generic(name, v), &x).1,
                "{name} {x:?}: gradient"
            );
            let g = Graph::record(&x, fs);
            let graph_h = g.hessian().eval(&x).unwrap();
            let mut plan = HessianPlan::new(&g);
            assert_eq!(plan.num_passes(), 1, "{name}: one pass for every input");
            let (_, plan_grad, plan_h) = plan.eval(&x).unwrap();
            let (plan_grad, plan_h) = (plan_grad.to_vec(), DMatrix::from(plan_h));
            let routes = [
                ("hessian_with::<4>", hessian_with(d4, &x, Chunk::<4>)),
                (
                    "reverse::hessian_with::<1>",
                    reverse::hessian_with(v1, &x, Chunk::<1>),
                ),
                (
                    "reverse::hessian_with::<4>",
                    reverse::hessian_with(v4, &x, Chunk::<4>),
                ),
                ("HessianPlan", (value, plan_grad, plan_h)),
                (
                    "Graph::hessian",
                    (
                        graph_h[0],
                        graph_h[1..=n].to_vec(),
                        DMatrix::from_row_slice(n, n, &graph_h[1 + n..]),
                    ),
                ),
            ];
            for (route, (_, rg, rh)) in routes {
                assert!(
                    same_bits(&rg, &grad),
                    "{name} {x:?}: gradient from {route}: {rg:?}, {grad:?}"
                );
                for i in 0..n {
                    for j in 0..n {
                        assert!(
                            same_value(rh[(i, j)], h[(i, j)]),
                            "{name} {x:?}: H[{i}][{j}] = {:e} from {route}, {:e} in passes of one",
                            rh[(i, j)],
                            h[(i, j)]
                        );
                    }
                }
            }
        }
    }
}

/// The first-order gradient of the named function (the oracle of the Hessian routes' gradients).
fn f_generic<T: Float>(name: &str, x: &[T]) -> T {
    match name {
        "sin_of_root" => sin_of_root(x),
        _ => root_of_triple(x),
    }
}

/// A partial or tangent whose value is 0 keeps its own derivative at the next order (forward
/// over reverse: ∂(xy)/∂x = y carries ∂²/∂x∂y = 1 at y = 0), and against an infinite factor its
/// value is the `f64` 0 while the derivative is the product rule's: ∂²(√x·y)/∂x∂y = +∞ at x = 0
/// in every mode.
#[test]
fn derivative_graphs_on_dual_numbers_zero_values_keep_their_derivatives() {
    fn prod<T: Float>(x: &[T]) -> T {
        x[0] * x[1]
    }
    fn sqrt_times<T: Float>(x: &[T]) -> T {
        x[0].sqrt() * x[1]
    }
    let closed = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 1.0, 0.0]);
    for x in [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]] {
        assert_eq!(hessian(prod, &x).2, closed, "{x:?}");
        assert_eq!(reverse::hessian(prod, &x).2, closed, "{x:?}");
        let g = Graph::record(&x, prod);
        assert_eq!(
            g.hessian().eval(&x).unwrap()[3..],
            [0.0, 1.0, 1.0, 0.0],
            "{x:?}"
        );
        assert_eq!(DMatrix::from(&sparse::hessian(prod, &x).2), closed, "{x:?}");
    }
    let x = [0.0, 0.0];
    // d/dy of ∂f/∂x = y/(2√x): +∞ (the graph's order H[0][1]; forward mode's hvp along e₀)
    let g = Graph::record(&x, sqrt_times);
    let h = g.hessian().eval(&x).unwrap();
    assert_eq!(h[1..3], [0.0, 0.0], "the gradient: 0 ⊙ ∞ and √0");
    assert_eq!(h[3 + 1], f64::INFINITY, "graph H[0][1]");
    let hv = nilpotent::hvp(sqrt_times, &x, &[1.0, 0.0]).2;
    assert_eq!(hv[1], f64::INFINITY, "forward hvp along e₀, entry 1");
    let rv = reverse::hvp(sqrt_times, &x, &[0.0, 1.0]).2;
    assert_eq!(
        rv[0],
        f64::INFINITY,
        "forward over reverse along e₁, entry 0"
    );
    assert!(same_bits(&rv[..1], &[f64::INFINITY]));
    assert_eq!(
        reverse::hvp(sqrt_times, &x, &[0.0, 1.0]).1,
        vec![0.0, 0.0],
        "gradient"
    );
}
