//! Issue "Data as parameters": graphs recorded once with runtime inputs that are not
//! differentiated (`Graph::record_with`), evaluated on new data without a new recording.
//!
//! Oracles: the tape (`reverse::gradient` of the same function with the parameters as `f64`
//! constants), forward mode (`hessian_with`, likewise), the `f64`/`f32` function itself, and the same function recorded
//! with the parameters as ordinary inputs. The backends (emitted Rust, the JIT) are checked against
//! the interpreter on graphs with parameters in `tests/suite/graph/emit.rs` and `tests/suite/graph/jit.rs`.

use crate::graph::cases as compiled_cases;

use compiled_cases::params::labelled;
use compiled_cases::{Rng, random_expr, random_points};
use nilpotent::graph::{Graph, GraphError, Sym};
use nilpotent::reverse;
use nilpotent::sparse::{hessian_pattern, jacobian_pattern};
use nilpotent::{Chunk, Dual, Loops, hessian_with, jacobian_with, sum_map};
use num_traits::Float;

/// `|a − b| ≤ rtol·scale`, or the same non-finite value (both NaN, or equal infinities).
fn close(a: f64, b: f64, rtol: f64, scale: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if !a.is_finite() || !b.is_finite() {
        return a == b;
    }
    (a - b).abs() <= rtol * scale
}

/// The tolerance against the tape (sums of partial products that the tape and the graph may
/// accumulate in a different order; the tolerance of the random-expression tests of
/// `tests/suite/graph/random.rs`).
const RTOL: f64 = 1e-12;

/// Derivative graphs of random expressions over inputs and parameters against the tape (with the
/// parameters as `f64` constants), at random points with random parameters; where a guard of the
/// recording fails at the new point, the error is checked to be a guard and the graph recorded
/// again there.
#[test]
fn derivative_graphs_with_parameters_agree_with_the_tape_at_random_points_with_random_parameters() {
    let mut rng = Rng::for_test("params_vs_tape");
    let (mut compared, mut guarded, mut known) = (0, 0, 0);
    for case in 0..60 {
        let nx = 1 + rng.below(3);
        let np = 1 + rng.below(3);
        let e = random_expr(nx + np, 4 + rng.below(10), &mut rng);
        let x0: Vec<f64> = (0..nx).map(|_| rng.uniform(0.2, 1.8)).collect();
        let p0: Vec<f64> = (0..np).map(|_| rng.uniform(0.2, 1.8)).collect();
        let f = |x: &[Sym], p: &[Sym]| {
            let v: Vec<Sym> = x.iter().chain(p).copied().collect();
            e.eval(&v)
        };
        let g = Graph::record_with(&x0, &p0, f);
        let (grad, hess) = (g.gradient(), g.hessian());
        assert_eq!((grad.num_params(), hess.num_params()), (np, np));
        // points around the recording's, as the random-expression tests of tests/suite/graph/random.rs take
        // them (far points and special values, where the modes' documented conventions for
        // overflow differ, are the backend tests' business)
        let v0: Vec<f64> = x0.iter().chain(&p0).copied().collect();
        for k in 0..12 {
            let r = [0.01, 0.05, 0.2, 0.5, 1.0, 1.5][k % 6];
            let point: Vec<f64> = v0.iter().map(|&v| v + rng.uniform(-r, r)).collect();
            let (x, p) = (&point[..nx], &point[nx..]);
            let tape_f = |v: &[reverse::Var<f64>]| {
                let mut all: Vec<reverse::Var<f64>> = v.to_vec();
                all.extend(p.iter().map(|&c| reverse::Var::constant(c)));
                e.eval(&all)
            };
            let (tv, tg) = reverse::gradient(tape_f, x);
            let value: f64 = e.eval(&point);
            let out = match grad.eval_with(x, p) {
                Ok(out) => out,
                Err(GraphError::Guard { .. }) => {
                    guarded += 1;
                    Graph::record_with(x, p, f)
                        .gradient()
                        .eval_with(x, p)
                        .unwrap()
                }
                Err(err) => panic!("case {case} at {point:?}: {err}"),
            };
            assert!(close(out[0], value, 0.0, 0.0), "case {case}: value");
            assert!(close(tv, value, 0.0, 0.0));
            let scale = tg
                .iter()
                .filter(|v| v.is_finite())
                .fold(1.0f64, |m, v| m.max(v.abs()));
            for j in 0..nx {
                assert!(
                    close(out[1 + j], tg[j], RTOL, scale),
                    "case {case} {e:?} at x = {x:?}, p = {p:?}: ∂f/∂x{j} = {:e} from the graph, {:e} \
                     from the tape",
                    out[1 + j],
                    tg[j]
                );
            }
            compared += 1;
            let out = match hess.eval_with(x, p) {
                Ok(out) => out,
                Err(GraphError::Guard { .. }) => {
                    guarded += 1;
                    Graph::record_with(x, p, f)
                        .hessian()
                        .eval_with(x, p)
                        .unwrap()
                }
                Err(err) => panic!("case {case} at {point:?}: {err}"),
            };
            // (forward mode: the Hessian oracle of the random-expression tests of
            // tests/suite/graph/random.rs, whose zero conventions at second order are the graph's)
            let forward_h = |v: &[Dual<Dual<f64, 4>, 4>]| {
                let mut all = v.to_vec();
                all.extend(p.iter().map(|&c| Dual::constant(Dual::constant(c))));
                e.eval(&all)
            };
            let (_, _, th) = hessian_with(forward_h, x, Chunk::<4>);
            let hscale = th
                .iter()
                .filter(|v| v.is_finite())
                .fold(1.0f64, |m, v| m.max(v.abs()));
            for i in 0..nx {
                for j in 0..nx {
                    let a = out[1 + nx + i * nx + j];
                    if !close(a, th[(i, j)], RTOL, hscale) {
                        // where forward mode and graph mode differ already without parameters
                        // (NaN against 0 through a zero partial at second order, say), the graph
                        // with parameters must give what the graph with the parameters as inputs
                        // gives, bit for bit
                        let n = nx + np;
                        let full = Graph::record(&point, |v| e.eval(v)).hessian().eval(&point);
                        let b = full.unwrap()[1 + n + i * n + j];
                        assert!(
                            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                            "case {case} {e:?} at x = {x:?}, p = {p:?}: H[{i}][{j}] = {a:e} with \
                             parameters, {b:e} with the parameters as inputs"
                        );
                        known += 1;
                        continue;
                    }
                    assert!(
                        close(a, th[(i, j)], RTOL, hscale),
                        "case {case} {e:?} at x = {x:?}, p = {p:?}: H[{i}][{j}] = {a:e} from the \
                         graph, {:e} from forward mode",
                        th[(i, j)]
                    );
                }
            }
        }
    }
    println!(
        "{compared} points, {guarded} guard errors (recorded again), {known} Hessian entries where \
         graph and forward mode differ as without parameters"
    );
    assert!(compared > 500, "only {compared} points compared");
    assert!(
        known * 20 < compared,
        "{known} Hessian entries differ from forward mode"
    );
    assert!(
        guarded > 0,
        "no guard failed: the points must cross branches"
    );
}

/// The gradient and Hessian with respect to `x` of a graph with parameters are, bit for bit, the
/// `x` parts of those of the same function recorded with the parameters as inputs (special values
/// included); forward mode on the graph with a dual parameter gives the `p` part.
#[test]
fn derivatives_with_respect_to_x_only_equal_the_x_part_of_the_full_gradient() {
    let mut rng = Rng::for_test("params_vs_inputs");
    for _ in 0..40 {
        let (nx, np) = (1 + rng.below(3), 1 + rng.below(3));
        let e = random_expr(nx + np, 4 + rng.below(10), &mut rng);
        let v0: Vec<f64> = (0..nx + np).map(|_| rng.uniform(0.2, 1.8)).collect();
        let g = Graph::record_with(&v0[..nx], &v0[nx..], |x, p| {
            let v: Vec<Sym> = x.iter().chain(p).copied().collect();
            e.eval(&v)
        });
        let (grad, hess) = (g.gradient(), g.hessian());
        let full_graph = Graph::record(&v0, |v| e.eval(v));
        let (full, full_hess) = (full_graph.gradient(), full_graph.hessian());
        for point in random_points(nx + np, 10, &mut rng) {
            let (x, p) = (&point[..nx], &point[nx..]);
            let (Ok(a), Ok(b)) = (grad.eval_with(x, p), full.eval(&point)) else {
                continue;
            };
            for j in 0..=nx {
                assert!(
                    a[j].to_bits() == b[j].to_bits() || (a[j].is_nan() && b[j].is_nan()),
                    "{e:?} at {point:?}: output {j}: {:e} with parameters, {:e} with inputs",
                    a[j],
                    b[j]
                );
            }
            // the Hessian with respect to x: the x block of the full one
            if let (Ok(a), Ok(b)) = (hess.eval_with(x, p), full_hess.eval(&point)) {
                let n = nx + np;
                for i in 0..nx {
                    for j in 0..nx {
                        let (u, v) = (a[1 + nx + i * nx + j], b[1 + n + i * n + j]);
                        assert!(
                            u.to_bits() == v.to_bits() || (u.is_nan() && v.is_nan()),
                            "{e:?} at {point:?}: H[{i}][{j}]: {u:e} with parameters, {v:e} with \
                             inputs"
                        );
                    }
                }
            }
            // forward mode on the function graph, along the first parameter
            let mut ev = g.program().evaluator::<Dual<f64, 1>>();
            let xd: Vec<Dual<f64, 1>> = x.iter().map(|&v| Dual::constant(v)).collect();
            let mut pd: Vec<Dual<f64, 1>> = p.iter().map(|&v| Dual::constant(v)).collect();
            pd[0] = Dual::new(p[0], [1.0]);
            let d = ev.eval_with(&xd, &pd).unwrap();
            let scale = b
                .iter()
                .filter(|v| v.is_finite())
                .fold(1.0f64, |m, v| m.max(v.abs()));
            assert!(
                close(d[0].eps[0], b[1 + nx], RTOL, scale),
                "{e:?} at {point:?}: ∂f/∂p0 = {:e} by forward mode, {:e} from the full gradient",
                d[0].eps[0],
                b[1 + nx]
            );
        }
    }
}

/// `gradient()`, `jacobian()` and `hessian()` differentiate with respect to `x` only, keep the
/// parameters (count and order, also one the function does not use) and the output layouts.
#[test]
fn derivative_graphs_keep_the_parameters_in_count_and_order() {
    // f(x; p) = p0·x0² + p1·x1 (p2 unused)
    let f = |x: &[Sym], p: &[Sym]| p[0] * x[0] * x[0] + p[1] * x[1];
    let g = Graph::record_with(&[1.0, 2.0], &[3.0, 4.0, 5.0], f);
    assert_eq!((g.num_inputs(), g.num_params(), g.num_outputs()), (2, 3, 1));
    let grad = g.gradient();
    let hess = g.hessian();
    let jac = Graph::record_vec_with(&[1.0, 2.0], &[3.0, 4.0, 5.0], |x, p| {
        vec![f(x, p), p[2] * x[0]]
    })
    .jacobian();
    for d in [&grad, &hess, &jac] {
        assert_eq!((d.num_inputs(), d.num_params()), (2, 3));
    }
    assert_eq!(grad.recorded_params(), &[3.0, 4.0, 5.0]);
    let (x, p) = ([1.5, -2.0], [2.0, -1.0, 7.0]);
    // f, 2·p0·x0, p1
    assert_eq!(
        grad.eval_with(&x, &p).unwrap(),
        vec![2.0 * 2.25 + 2.0, 6.0, -1.0]
    );
    // f, ∇f, H row by row
    assert_eq!(
        hess.eval_with(&x, &p).unwrap(),
        vec![6.5, 6.0, -1.0, 4.0, 0.0, 0.0, 0.0]
    );
    // y0, y1, then J row by row
    assert_eq!(
        jac.eval_with(&x, &p).unwrap(),
        vec![6.5, 10.5, 6.0, -1.0, 7.0, 0.0]
    );
}

/// A guard on a parameter is checked on new data: the label of the logistic loss chooses the
/// branch, so a point whose label differs from the recording's is a guard error, never the
/// recorded branch's number; the same label gives the `f64` function's value.
#[test]
fn a_guard_on_a_parameter_is_tripped_by_new_data() {
    let g = Graph::record_with(&[0.5, -0.25], &[1.0, 1.0], labelled);
    assert_eq!(g.num_guards(), 1);
    for grad in [g.gradient(), g.hessian()] {
        let w = [0.75, 0.5];
        // the same label: no error, the value of the f64 function
        let out = grad.eval_with(&w, &[-2.0, 1.0]).unwrap();
        assert_eq!(out[0], labelled(&w, &[-2.0, 1.0]));
        // another label: the guard on the label fails
        match grad.eval_with(&w, &[-2.0, 0.0]) {
            Err(GraphError::Guard {
                recorded, found, ..
            }) => {
                assert_ne!(recorded, found);
            }
            other => panic!("a label on the other branch gave {other:?}"),
        }
        // (NaN is not > 0.5: the other branch too)
        assert!(matches!(
            grad.eval_with(&w, &[-2.0, f64::NAN]),
            Err(GraphError::Guard { .. })
        ));
    }
    // a guard on the parameters alone is checked before any operation, also by an evaluator
    let mut ev = g.program().evaluator::<f64>();
    let mut out = [0.0];
    assert!(
        ev.eval_with_into(&[0.5, -0.25], &[3.0, 0.25], &mut out)
            .is_err()
    );
    ev.eval_with_into(&[0.5, -0.25], &[3.0, 0.75], &mut out)
        .unwrap();
    assert_eq!(out[0], labelled(&[0.5, -0.25], &[3.0, 0.75]));
}

/// Wrong parameter lengths are `GraphError::ParamLength`, and evaluating a graph with parameters
/// without them is `GraphError::MissingParams`, with messages that name what is wrong.
#[test]
fn wrong_parameter_lengths_are_graph_errors_with_clear_messages() {
    let g = Graph::record_with(&[1.0], &[2.0, 3.0, 4.0], |x, p| x[0] * p[0] + p[1] * p[2]);
    let err = g.eval(&[1.0]).unwrap_err();
    assert_eq!(err, GraphError::MissingParams { expected: 3 });
    let msg = err.to_string();
    assert!(msg.contains("3 parameters (p0, p1, p2)"), "{msg}");
    assert!(msg.contains("eval_with"), "{msg}");
    for found in [0, 2, 4] {
        let err = g.eval_with(&[1.0], &vec![1.0; found]).unwrap_err();
        assert_eq!(err, GraphError::ParamLength { expected: 3, found });
        let msg = err.to_string();
        assert!(
            msg.contains("3 parameters") && msg.contains(&format!("{found} parameter")),
            "{msg}"
        );
    }
    // the input length is checked first, then the parameters', then the output buffer's
    assert!(matches!(
        g.eval_with(&[1.0, 2.0], &[1.0]),
        Err(GraphError::InputLength { .. })
    ));
    let mut ev = g.program().evaluator::<f64>();
    let mut out = [0.0; 2];
    assert!(matches!(
        ev.eval_with_into(&[1.0], &[1.0], &mut out),
        Err(GraphError::ParamLength { .. })
    ));
    assert!(matches!(
        ev.eval_with_into(&[1.0], &[1.0, 2.0, 3.0], &mut out),
        Err(GraphError::OutputLength { .. })
    ));
    // a graph without parameters: no parameters allowed
    let h = Graph::record(&[1.0], |x| x[0].sin());
    assert_eq!(h.num_params(), 0);
    assert_eq!(
        h.eval_with(&[1.0], &[2.0]),
        Err(GraphError::ParamLength {
            expected: 0,
            found: 1
        })
    );
    assert_eq!(h.eval_with(&[1.0], &[]), h.eval(&[1.0]));
    // many parameters: the message names the range
    let big = Graph::record_with(&[1.0], &[1.0; 50], |x, p| x[0] * p[49]);
    assert!(
        big.eval(&[1.0])
            .unwrap_err()
            .to_string()
            .contains("p0 … p49")
    );
}

/// The evaluator runs a graph with parameters on `f32` (bit for bit the `f32` function: the same
/// operations in the same order) and on dual numbers.
#[test]
fn evaluators_with_parameters_run_on_f32_and_dual_numbers() {
    fn f<T: Float>(x: &[T], p: &[T]) -> T {
        (x[0] * p[0]).sin() + p[1] * x[1].exp() - (p[0] / x[1]).ln()
    }
    let g = Graph::record_with(&[0.5, 1.5], &[2.0, -1.0], f);
    let mut ev = g.program().evaluator::<f32>();
    let mut rng = Rng::for_test("params_f32");
    for _ in 0..50 {
        let x = [rng.uniform(0.1, 2.0) as f32, rng.uniform(0.1, 2.0) as f32];
        let p = [rng.uniform(0.1, 3.0) as f32, rng.uniform(-2.0, 2.0) as f32];
        let out = ev.eval_with(&x, &p).unwrap();
        assert_eq!(out[0].to_bits(), f(&x, &p).to_bits());
    }
    // dual numbers: the tangent along x0 is the gradient graph's ∂f/∂x0
    let grad = g.gradient();
    let mut ev = g.program().evaluator::<Dual<f64, 2>>();
    let (x, p) = ([0.25, 1.25], [1.5, 0.5]);
    let xd = [Dual::new(x[0], [1.0, 0.0]), Dual::new(x[1], [0.0, 1.0])];
    let pd = [Dual::constant(p[0]), Dual::constant(p[1])];
    let d = ev.eval_with(&xd, &pd).unwrap();
    let out = grad.eval_with(&x, &p).unwrap();
    assert_eq!(d[0].re, out[0]);
    for j in 0..2 {
        assert!(close(
            d[0].eps[j],
            out[1 + j],
            RTOL,
            out[1 + j].abs().max(1.0)
        ));
    }
}

/// A parameter is a leaf of its own: never folded into a constant, never merged with a constant
/// or another parameter of the same value; the listing names it `p{k}` and the header counts
/// parameters and constants.
#[test]
fn parameters_are_leaves_not_constants() {
    let g = Graph::record_with(&[1.0], &[2.0, 2.0], |x, p| {
        // p0·p1 is not folded (no constant node), p0 and p1 are not one node
        x[0] * (p[0] * p[1]) + x[0] * 2.0
    });
    assert_eq!(g.num_params(), 2);
    assert_eq!(g.num_constants(), 1); // the literal 2
    let listing = format!("{g}");
    assert!(
        listing.starts_with(
            "graph: 1 input, 2 parameters, 1 output, 4 operations, 0 guards, 1 constant"
        ),
        "{listing}"
    );
    assert!(
        listing.contains("v1 = p0") && listing.contains("v2 = p1"),
        "{listing}"
    );
    assert!(g.to_dot().contains("p0"));
    assert_eq!(
        g.eval_with(&[3.0], &[5.0, 7.0]).unwrap(),
        vec![3.0 * 35.0 + 6.0]
    );
}

/// The logistic-regression loss of the benchmarks (small): with the data captured, the gradient
/// graph holds a constant per datum; with the data as parameters, a handful of literals.
#[test]
fn data_as_parameters_keeps_the_constant_count_small() {
    let (m, d) = (40, 6);
    let mut rng = Rng::for_test("params_logistic");
    let data: Vec<f64> = (0..m * (d + 1))
        .map(|k| {
            if k % (d + 1) == d {
                (rng.unit() < 0.5) as u8 as f64
            } else {
                rng.uniform(-1.0, 1.0)
            }
        })
        .collect();
    let w0 = vec![0.1; d];
    let loss = |w: &[Sym], p: &[Sym]| {
        let mut s = None;
        for i in 0..m {
            let row = &p[i * (d + 1)..(i + 1) * (d + 1)];
            let z = (0..d).fold(
                w[0] * row[0],
                |a, j| if j == 0 { a } else { a + w[j] * row[j] },
            );
            let y = row[d];
            // log(1 + e^z) − y·z
            let t = (z.exp() + 1.0).ln() - y * z;
            s = Some(match s {
                None => t,
                Some(s) => s + t,
            });
        }
        s.unwrap()
    };
    let with_params = Graph::record_with(&w0, &data, loss).gradient();
    let data_syms = |w: &[Sym]| {
        let p: Vec<Sym> = data.iter().map(|&v| Sym::constant(v)).collect();
        loss(w, &p)
    };
    let baked = Graph::record(&w0, data_syms).gradient();
    assert!(
        with_params.num_constants() <= 10,
        "{}",
        with_params.num_constants()
    );
    assert!(
        baked.num_constants() >= m * d / 2,
        "{}",
        baked.num_constants()
    );
    // the same gradient, bit for bit, at the data
    let w = [0.3, -0.2, 0.1, 0.0, 0.5, -0.4];
    assert_eq!(
        with_params.eval_with(&w, &data).unwrap(),
        baked.eval(&w).unwrap()
    );
}

/// Sparsity patterns of a graph with parameters are with respect to `x`: a column per input,
/// parameters couple nothing.
#[test]
fn sparsity_patterns_of_a_graph_with_parameters_are_with_respect_to_x() {
    // y_i = p_i · x_i² + p_{i+1} · x_{i+1}: a banded Jacobian, a diagonal Hessian of the sum
    let n = 5;
    let g = Graph::record_vec_with(&vec![1.0; n], &vec![2.0; n + 1], |x, p| {
        (0..n - 1)
            .map(|i| p[i] * x[i] * x[i] + p[i + 1] * x[i + 1])
            .collect()
    });
    let jp = jacobian_pattern(&g);
    assert_eq!((jp.nrows(), jp.ncols()), (n - 1, n));
    let entries: Vec<_> = jp.entries().collect();
    let want: Vec<(usize, usize)> = (0..n)
        .flat_map(|j| [(j.wrapping_sub(1), j), (j, j)])
        .filter(|&(i, _)| i < n - 1)
        .collect();
    assert_eq!(entries, want);
    let s = Graph::record_with(&vec![1.0; n], &vec![2.0; n], |x, p| {
        (0..n).fold(p[0] * x[0] * x[0], |a, i| {
            if i == 0 {
                a
            } else {
                a + p[i] * x[i] * x[i] * p[0]
            }
        })
    });
    let hp = hessian_pattern(&s);
    assert_eq!(hp.ncols(), n);
    assert_eq!(
        hp.entries().collect::<Vec<_>>(),
        (0..n).map(|i| (i, i)).collect::<Vec<_>>()
    );
}

/// Sparse plans on graphs with parameters: `eval_with` gives the Jacobian (forward passes and
/// reverse sweeps) and the Hessian with respect to `x` at new data, equal to the dense derivative
/// graphs' entries; `eval` without the parameters is `MissingParams`, wrong lengths `ParamLength`.
#[test]
fn sparse_plans_evaluate_graphs_with_parameters() {
    use nilpotent::sparse::{Direction, HessianPlan, JacobianPlan, Order};
    let n = 12;
    let field = |x: &[Sym], p: &[Sym]| -> Vec<Sym> {
        (0..n - 1)
            .map(|i| p[i] * x[i] * x[i] - (x[i + 1] * p[n]).sin())
            .collect()
    };
    let g = Graph::record_vec_with(&vec![0.5; n], &vec![1.0; n + 1], field);
    let dense = g.jacobian();
    let mut rng = Rng::for_test("params_sparse");
    for direction in [Direction::Forward, Direction::Reverse] {
        let mut plan = JacobianPlan::with_options(&g, direction, Order::Best);
        assert!(matches!(
            plan.eval(&vec![0.5; n]),
            Err(GraphError::MissingParams { .. })
        ));
        assert!(matches!(
            plan.eval_with(&vec![0.5; n], &vec![1.0; n]),
            Err(GraphError::ParamLength { .. })
        ));
        for _ in 0..5 {
            let x = rng.vec(n, -2.0, 2.0);
            let p = rng.vec(n + 1, -2.0, 2.0);
            let want = dense.eval_with(&x, &p).unwrap();
            let (y, jac) = plan.eval_with(&x, &p).unwrap();
            assert_eq!(y, &want[..n - 1]);
            for i in 0..n - 1 {
                for j in 0..n {
                    let e = jac.get_entry(i, j).map_or(0.0, |e| e.into_value());
                    assert_eq!(e, want[n - 1 + i * n + j], "{direction:?} ({i}, {j})");
                }
            }
        }
    }
    let s = Graph::record_with(&vec![0.5; n], &vec![1.0; n], |x, p| {
        (1..n).fold(p[0] * x[0] * x[0], |a, i| a + p[i] * x[i] * x[i - 1].cos())
    });
    let dense = s.hessian();
    let mut plan = HessianPlan::new(&s);
    assert!(matches!(
        plan.eval(&vec![0.5; n]),
        Err(GraphError::MissingParams { .. })
    ));
    for _ in 0..5 {
        let x = rng.vec(n, -2.0, 2.0);
        let p = rng.vec(n, -2.0, 2.0);
        let want = dense.eval_with(&x, &p).unwrap();
        let (v, grad, h) = plan.eval_with(&x, &p).unwrap();
        assert_eq!(v, want[0]);
        assert_eq!(grad, &want[1..=n]);
        for i in 0..n {
            for j in 0..n {
                let e = h.get_entry(i, j).map_or(0.0, |e| e.into_value());
                let w = want[1 + n + i * n + j];
                let scale = w.abs().max(1.0);
                assert!(
                    close(e, w, RTOL, scale),
                    "H({i}, {j}) = {e:e} sparse, {w:e} dense"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sparse plans whose passes do not evaluate a derivative graph (run-time reverse sweeps over the
// rule table, for functions whose derivative rules branch): parameters are read from `p` there
// too, never differentiated, and the function's own guards are checked with them.
// ---------------------------------------------------------------------------------------------

/// The parameters as constants of the number type (the oracle's view of the same function).
fn consts<T: Float>(p: &[f64]) -> Vec<T> {
    p.iter().map(|&v| T::from(v).unwrap()).collect()
}

/// The entry (i, j) of a sparse matrix, 0 outside its pattern.
fn entry(m: &nalgebra_sparse::CscMatrix<f64>, i: usize, j: usize) -> f64 {
    m.get_entry(i, j).map_or(0.0, |e| e.into_value())
}

/// Branch-free, with kinks whose side the parameters decide: `abs` of a product with a parameter,
/// `max` and `min` against parameters, and factors computed from parameters alone (nodes that get
/// no adjoint). 3 rows, every column in row 1: a reverse plan, whose derivative rules branch, so
/// its sweeps run at run time over the rule table. `p` has n + 2 entries.
fn kinks_with<T: Float>(x: &[T], p: &[T]) -> Vec<T> {
    let n = x.len();
    let y0 = (0..n / 2).fold(T::zero(), |s, k| {
        s + (x[2 * k] * p[2 * k]).abs() * x[2 * k + 1]
    });
    let y1 = (0..n).fold(T::zero(), |s, i| {
        s + x[i].max(p[i]) + x[i].max(x[(i + 1) % n]) * p[n]
    });
    let y2 = (0..n / 2).fold(T::zero(), |s, k| {
        s + x[2 * k + 1].min(p[n + 1]) * x[2 * k] * (p[2 * k] * p[n]).sin()
    });
    vec![y0, y1, y2]
}

/// Points for [`kinks_with`] and [`kinked_sum_with`]: the recording point, random inputs and
/// parameters of both signs (both sides of every kink), and ties (x = p in a `max` and a `min`,
/// `abs` of −0 from a parameter −0).
fn kink_points(
    n: usize,
    np: usize,
    x0: &[f64],
    p0: &[f64],
    rng: &mut Rng,
) -> Vec<(Vec<f64>, Vec<f64>)> {
    let mut points = vec![(x0.to_vec(), p0.to_vec())];
    points.extend((0..4).map(|_| (rng.vec(n, -1.0, 1.0), rng.vec(np, -1.0, 1.0))));
    let (x, mut p) = (rng.vec(n, -1.0, 1.0), rng.vec(np, -1.0, 1.0));
    p[3] = x[3];
    p[np - 1] = x[5];
    p[6] = -0.0;
    points.push((x, p));
    points
}

/// A reverse Jacobian plan whose sweeps run at run time (the derivative rules of `abs`, `max`,
/// `min` branch) evaluated with parameters, at inputs and parameters on both sides of every kink:
/// the entries of the dense Jacobian graph of the same function with the parameters as constants
/// (recorded at each point, so that its rule guards hold), of forward mode on dual numbers (the
/// same), and of the forward plan with the parameters; bit for bit those of the Jacobian graph
/// with parameters wherever its rule guards hold, and where they fail (a derivative graph could
/// not have been used) the plan still evaluates. Serial and parallel bit for bit.
#[test]
fn reverse_jacobian_plans_read_the_parameters_in_their_run_time_sweeps() {
    use nilpotent::sparse::{Direction, JacobianPlan, Order};
    let n = 20;
    let x0: Vec<f64> = (0..n).map(|i| 1.0 + 0.1 * i as f64).collect();
    let p0 = vec![0.5; n + 2];
    let g = Graph::record_vec_with(&x0, &p0, kinks_with);
    assert_eq!(g.num_guards(), 0, "branch-free code records no guard");
    let jac_graph = g.jacobian();
    assert!(
        jac_graph.num_guards() > 0,
        "the derivative rules' branches are guards of derivative graphs"
    );
    let mut rng = Rng::for_test("params kinks");
    let points = kink_points(n, n + 2, &x0, &p0, &mut rng);
    let mut rule_guard_failed = 0;
    for direction in [Direction::Auto, Direction::Reverse] {
        let mut plan = JacobianPlan::with_options(&g, direction, Order::Best);
        assert_eq!(plan.direction(), Direction::Reverse);
        let mut forward = JacobianPlan::with_options(&g, Direction::Forward, Order::Best);
        for (x, p) in &points {
            let (y, jac) = plan
                .eval_with(x, p)
                .expect("no guard in a branch-free plan");
            let (y, jac) = (y.to_vec(), jac.clone());
            assert_eq!(y, kinks_with(x, p));
            let dense = Graph::record_vec(x, |xs| kinks_with(xs, &consts(p)))
                .jacobian()
                .eval(x)
                .unwrap();
            let (_, fwd_dense) = jacobian_with(|xs| kinks_with(xs, &consts(p)), x, Chunk::<8>);
            let (_, fwd) = forward.eval_with(x, p).unwrap();
            for i in 0..3 {
                for j in 0..n {
                    let e = entry(&jac, i, j);
                    let want = dense[3 + i * n + j];
                    let scale = want.abs().max(1.0);
                    assert!(
                        close(e, want, RTOL, scale),
                        "J({i}, {j}) = {e}, dense {want}"
                    );
                    assert!(
                        close(e, fwd_dense[(i, j)], RTOL, scale),
                        "J({i}, {j}) forward"
                    );
                    assert!(close(e, entry(fwd, i, j), RTOL, scale), "J({i}, {j}) plan");
                }
            }
            match jac_graph.eval_with(x, p) {
                Ok(out) => {
                    for i in 0..3 {
                        for j in 0..n {
                            assert_eq!(entry(&jac, i, j).to_bits(), out[3 + i * n + j].to_bits());
                        }
                    }
                }
                Err(e) => {
                    assert!(matches!(e, GraphError::Guard { .. }), "{e}");
                    rule_guard_failed += 1;
                }
            }
            #[cfg(feature = "rayon")]
            {
                let (py, pjac) = plan.par_eval_with(x, p).unwrap();
                assert_eq!(py, y.as_slice());
                let bits = |m: &nalgebra_sparse::CscMatrix<f64>| {
                    m.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                };
                assert_eq!(bits(pjac), bits(&jac));
            }
        }
    }
    assert!(
        rule_guard_failed > 0,
        "some points lie where the derivative graph's rule guards fail"
    );
}

/// Branch-free, with kinks the parameters move, for Hessians; `p` has n + 1 entries (factors
/// from parameters alone: `cos p[i + 1]`).
fn kinked_sum_with<T: Float>(x: &[T], p: &[T]) -> T {
    let n = x.len();
    (0..n - 2).fold(T::zero(), |s, i| {
        let m = x[i].max(x[i + 1] * p[i]);
        s + (x[i] * p[i]).abs() * x[i] * x[i + 1]
            + m * m
            + x[i].min(p[n]) * x[i + 2] * p[i + 1].cos()
    })
}

/// A Hessian plan whose passes are forward over a run-time reverse sweep (its gradient graph
/// would carry the rules' guards) evaluated with parameters: the value, gradient and Hessian of
/// the dense Hessian graph of the same function with the parameters as constants (recorded at
/// each point) and of forward over forward mode (`hessian_with`, the same); nothing outside the
/// pattern; where the Hessian graph with parameters fails a rule guard, the plan still evaluates.
/// Serial and parallel bit for bit.
#[test]
fn hessian_plans_read_the_parameters_in_their_run_time_passes() {
    use nilpotent::sparse::HessianPlan;
    let n = 16;
    let x0: Vec<f64> = (0..n).map(|i| 1.0 + 0.05 * i as f64).collect();
    let p0 = vec![0.5; n + 1];
    let g = Graph::record_with(&x0, &p0, kinked_sum_with);
    assert_eq!(g.num_guards(), 0, "branch-free code records no guard");
    assert!(
        g.gradient().num_guards() > 0,
        "the gradient graph carries rule guards"
    );
    let hess_graph = g.hessian();
    let mut plan = HessianPlan::new(&g);
    let pattern = plan.pattern().clone();
    let mut rng = Rng::for_test("params kinked Hessian");
    let mut rule_guard_failed = 0;
    for (x, p) in kink_points(n, n + 1, &x0, &p0, &mut rng) {
        let (v, grad, h) = plan
            .eval_with(&x, &p)
            .expect("no guard in a branch-free plan");
        let (v, grad, h) = (v, grad.to_vec(), h.clone());
        assert_eq!(v, kinked_sum_with(&x, &p));
        let dense = Graph::record(&x, |xs| kinked_sum_with(xs, &consts(&p)))
            .hessian()
            .eval(&x)
            .unwrap();
        let (fv, fgrad, fh) = hessian_with(|xs| kinked_sum_with(xs, &consts(&p)), &x, Chunk::<4>);
        assert_eq!(v, dense[0]);
        assert_eq!(v, fv);
        for i in 0..n {
            let scale = dense[1 + i].abs().max(1.0);
            assert!(close(grad[i], dense[1 + i], RTOL, scale), "∂f/∂x{i}");
            assert!(close(grad[i], fgrad[i], RTOL, scale), "∂f/∂x{i} forward");
        }
        for i in 0..n {
            for j in 0..n {
                let want = dense[1 + n + i * n + j];
                let scale = want.abs().max(1.0);
                if pattern.contains(i, j) {
                    let e = entry(&h, i, j);
                    assert!(
                        close(e, want, RTOL, scale),
                        "H({i}, {j}) = {e}, dense {want}"
                    );
                    assert!(close(e, fh[(i, j)], RTOL, scale), "H({i}, {j}) forward");
                } else {
                    assert_eq!(
                        (want, fh[(i, j)]),
                        (0.0, 0.0),
                        "H({i}, {j}) outside the pattern"
                    );
                }
            }
        }
        if let Err(e) = hess_graph.eval_with(&x, &p) {
            assert!(matches!(e, GraphError::Guard { .. }), "{e}");
            rule_guard_failed += 1;
        }
        #[cfg(feature = "rayon")]
        {
            let (pv, pgrad, ph) = plan.par_eval_with(&x, &p).unwrap();
            let bits = |m: &nalgebra_sparse::CscMatrix<f64>| {
                m.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            };
            assert_eq!((pv.to_bits(), pgrad), (v.to_bits(), grad.as_slice()));
            assert_eq!(bits(ph), bits(&h));
        }
    }
    assert!(
        rule_guard_failed > 0,
        "some points lie where the Hessian graph's rule guards fail"
    );
}

/// A branch on a parameter (a guard of the function) in plans of every kind — forward passes,
/// reverse sweeps from derivative graphs, run-time reverse sweeps, Hessian passes over the
/// gradient graph and over a run-time sweep: on the recorded side they evaluate, on the other
/// the error is the one the function's own graph gives with the same parameters (naming its
/// nodes), serially and in parallel.
#[test]
fn sparse_plans_check_the_functions_guards_with_the_parameters_on_every_path() {
    use nilpotent::sparse::{Direction, HessianPlan, JacobianPlan, Order};
    // `kinky` chooses the run-time sweeps (the rules of abs, max, min branch), the other one
    // derivative graphs (smooth rules)
    fn rows<T: Float>(x: &[T], p: &[T], kinky: bool) -> Vec<T> {
        let n = x.len();
        let s = if p[0] > T::zero() {
            T::one()
        } else {
            -T::one()
        };
        let term = |i: usize| {
            if kinky {
                (x[i] * p[1]).abs().max(x[(i + 1) % n])
            } else {
                (x[i] * p[1]).sin() * x[(i + 1) % n]
            }
        };
        vec![
            (0..n).fold(T::zero(), |a, i| a + term(i) * s),
            term(0) * x[1],
            term(n - 1) + x[0] * p[1],
        ]
    }
    let n = 8;
    let (x0, p0) = (vec![0.75; n], vec![1.0, 0.5]);
    let x: Vec<f64> = (0..n).map(|i| 0.3 - 0.1 * i as f64).collect();
    let (same, other) = ([2.0, -0.5], [-2.0, -0.5]);
    for kinky in [true, false] {
        let g = Graph::record_vec_with(&x0, &p0, |x, p| rows(x, p, kinky));
        assert_eq!(g.num_guards(), 1);
        assert_eq!(g.jacobian().num_guards() > 1, kinky);
        let want = g.eval_with(&x, &other).unwrap_err();
        assert!(matches!(want, GraphError::Guard { .. }));
        for direction in [Direction::Auto, Direction::Reverse, Direction::Forward] {
            let mut plan = JacobianPlan::with_options(&g, direction, Order::Best);
            let dense = g.jacobian().eval_with(&x, &same);
            let (y, jac) = plan.eval_with(&x, &same).unwrap();
            assert_eq!(y, rows(&x, &same, kinky).as_slice());
            if let Ok(dense) = dense {
                for i in 0..3 {
                    for j in 0..n {
                        let (e, w) = (entry(jac, i, j), dense[3 + i * n + j]);
                        assert!(close(e, w, RTOL, w.abs().max(1.0)), "J({i}, {j})");
                    }
                }
            }
            assert_eq!(
                plan.eval_with(&x, &other).unwrap_err(),
                want,
                "{direction:?}"
            );
            #[cfg(feature = "rayon")]
            assert_eq!(plan.par_eval_with(&x, &other).unwrap_err(), want);
        }
        let f = Graph::record_with(&x0, &p0, |x, p| {
            let y = rows(x, p, kinky);
            y[0] * y[1] + y[2]
        });
        assert_eq!(f.gradient().num_guards() > 1, kinky);
        let want = f.eval_with(&x, &other).unwrap_err();
        let mut plan = HessianPlan::new(&f);
        assert!(plan.eval_with(&x, &same).is_ok());
        assert_eq!(plan.eval_with(&x, &other).unwrap_err(), want);
        #[cfg(feature = "rayon")]
        assert_eq!(plan.par_eval_with(&x, &other).unwrap_err(), want);
    }
}

/// `eval` (and `par_eval`, `eval_fn`) on a plan of a graph with parameters is `MissingParams`
/// on every path — the run-time sweeps have no program of their own that would notice — and
/// `eval_with` with the wrong number of parameters `ParamLength`, with a wrong input length
/// `InputLength`; a plan of a graph without parameters takes `eval_with(&x, &[])` as `eval(&x)`.
#[test]
fn sparse_plans_of_graphs_with_parameters_need_them_on_every_path() {
    use nilpotent::sparse::{Direction, HessianPlan, JacobianPlan, Order};
    let n = 10;
    let (x, p) = (vec![0.5; n], vec![0.25; n + 2]);
    let kinky = Graph::record_vec_with(&x, &p, kinks_with);
    let smooth = Graph::record_vec_with(&x, &p, |x, p| {
        (0..3)
            .map(|k| (0..n).fold(x[k] * p[k], |s, i| s + (x[i] * p[i]).sin()))
            .collect()
    });
    let missing = GraphError::MissingParams { expected: n + 2 };
    let short = GraphError::ParamLength {
        expected: n + 2,
        found: n,
    };
    for g in [&kinky, &smooth] {
        for direction in [Direction::Reverse, Direction::Forward] {
            let mut plan = JacobianPlan::with_options(g, direction, Order::Best);
            assert_eq!(plan.eval(&x).unwrap_err(), missing, "{direction:?}");
            assert_eq!(plan.eval_with(&x, &p[..n]).unwrap_err(), short);
            assert!(matches!(
                plan.eval_with(&x[1..], &p),
                Err(GraphError::InputLength { .. })
            ));
            let r = plan.eval_fn(|x| x.to_vec(), &x, Chunk::<2>).map(|_| ());
            assert_eq!(r.unwrap_err(), missing);
            #[cfg(feature = "rayon")]
            {
                assert_eq!(plan.par_eval(&x).unwrap_err(), missing);
                assert_eq!(plan.par_eval_with(&x, &p[..n]).unwrap_err(), short);
            }
            assert!(plan.eval_with(&x, &p).is_ok());
        }
    }
    let missing = GraphError::MissingParams { expected: n + 1 };
    let kinky = Graph::record_with(&x, &vec![0.25; n + 1], kinked_sum_with);
    let smooth = Graph::record_with(&x, &vec![0.25; n + 1], |x, p| {
        (0..n).fold(x[0] * p[n], |s, i| s + (x[i] * p[i]).sin() * x[(i + 1) % n])
    });
    for g in [&kinky, &smooth] {
        let mut plan = HessianPlan::new(g);
        assert_eq!(plan.eval(&x).unwrap_err(), missing);
        assert_eq!(
            plan.eval_with(&x, &p).unwrap_err(),
            GraphError::ParamLength {
                expected: n + 1,
                found: n + 2
            }
        );
        #[cfg(feature = "rayon")]
        assert_eq!(plan.par_eval(&x).unwrap_err(), missing);
        assert!(plan.eval_with(&x, &p[..n + 1]).is_ok());
    }
    // without parameters, `eval_with(&x, &[])` is `eval(&x)`
    let g = Graph::record_vec(&x, |x| kinks_with(x, &consts(&p)));
    let mut plan = JacobianPlan::new(&g);
    let a = plan.eval(&x).map(|(y, j)| (y.to_vec(), j.clone())).unwrap();
    let b = plan
        .eval_with(&x, &[])
        .map(|(y, j)| (y.to_vec(), j.clone()))
        .unwrap();
    assert_eq!(a, b);
    assert!(matches!(
        plan.eval_with(&x, &[1.0]),
        Err(GraphError::ParamLength {
            expected: 0,
            found: 1
        })
    ));
}

// ---------------------------------------------------------------------------------------------
// `JacobianPlan::eval_fn_with`: the generic function itself with the parameters, on the plan of a
// graph recorded with parameters (before, only `eval_with` took them: `eval_fn` on such a plan
// was `MissingParams` and had no form with parameters).
// ---------------------------------------------------------------------------------------------

/// The duals of a chunk of 4 (`eval_fn_with(f, …, Chunk::<4>)`).
type D4 = Dual<f64, 4>;

/// Banded, smooth (a reverse plan sweeps derivative graphs): yᵢ = pᵢ·xᵢ² − sin(xᵢ₋₁·p_n)·xᵢ₊₁,
/// `p` has n + 1 entries.
fn banded_with<T: Float>(x: &[T], p: &[T]) -> Vec<T> {
    let n = x.len();
    (0..n)
        .map(|i| {
            let left = if i > 0 { x[i - 1] } else { p[n] };
            p[i] * x[i] * x[i] - (left * p[n]).sin() * x[(i + 1) % n]
        })
        .collect()
}

/// The bits of a sparse matrix's values.
fn bits(m: &nalgebra_sparse::CscMatrix<f64>) -> Vec<u64> {
    m.values().iter().map(|v| v.to_bits()).collect()
}

/// Checks `eval_fn_with` (and its in-place and parallel forms) of `f` on plans of `g` (recorded
/// from `f` with `np` parameters) in every direction: bit for bit the forward plan's `eval_with`
/// (the same forward passes, by the interpreter), close to the plan's own `eval_with`, the dense
/// Jacobian graph (where its rule guards hold) and forward mode on the function with the
/// parameters as constants; the same errors as `eval_with` for wrong lengths; `MissingParams` for
/// the forms without parameters.
fn check_eval_fn_with(
    g: &Graph,
    f: fn(&[D4], &[D4]) -> Vec<D4>,
    x0: &[f64],
    np: usize,
    rng: &mut Rng,
) {
    use nilpotent::sparse::{Direction, JacobianPlan, Order};
    let (n, m) = (g.num_inputs(), g.num_outputs());
    let f_inplace = |x: &[D4], p: &[D4], out: &mut [D4]| out.copy_from_slice(&f(x, p));
    let dense = g.jacobian();
    let p0 = vec![0.5; np];
    let points = kink_points(n, np, x0, &p0, rng);
    let mut forward = JacobianPlan::with_options(g, Direction::Forward, Order::Best);
    for direction in [Direction::Forward, Direction::Reverse, Direction::Auto] {
        let mut plan = JacobianPlan::with_options(g, direction, Order::Best);
        for (x, p) in &points {
            let (y, jac) = plan.eval_fn_with(f, x, p, Chunk::<4>).unwrap();
            let (y, jac) = (y.to_vec(), jac.clone());
            let (fy, fjac) = forward.eval_with(x, p).unwrap();
            assert_eq!(
                (
                    bits(&jac),
                    y.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                ),
                (bits(fjac), fy.iter().map(|v| v.to_bits()).collect()),
                "{direction:?}: eval_fn_with against the forward plan's eval_with"
            );
            assert_eq!(y, g.eval_with(x, p).unwrap());
            let (_, own) = plan.eval_with(x, p).unwrap();
            let own = own.clone();
            let (_, fwd_dense) = jacobian_with(|xs| f(xs, &consts(p)), x, Chunk::<4>);
            let graph_dense = dense.eval_with(x, p).ok();
            for i in 0..m {
                for j in 0..n {
                    let e = entry(&jac, i, j);
                    let want = fwd_dense[(i, j)];
                    let scale = want.abs().max(1.0);
                    assert!(
                        close(e, want, RTOL, scale),
                        "J({i}, {j}) = {e}, forward {want}"
                    );
                    assert!(
                        close(e, entry(&own, i, j), RTOL, scale),
                        "J({i}, {j}) eval_with"
                    );
                    if let Some(d) = &graph_dense {
                        assert!(close(e, d[m + i * n + j], RTOL, scale), "J({i}, {j}) graph");
                    }
                }
            }
            let (iy, ijac) = plan
                .eval_fn_inplace_with(f_inplace, x, p, Chunk::<4>)
                .unwrap();
            assert_eq!((iy, bits(ijac)), (y.as_slice(), bits(&jac)), "in place");
            #[cfg(feature = "rayon")]
            {
                let (py, pjac) = plan.par_eval_fn_with(f, x, p, Chunk::<4>).unwrap();
                assert_eq!((py, bits(pjac)), (y.as_slice(), bits(&jac)), "parallel");
                let (py, pjac) = plan
                    .par_eval_fn_inplace_with(f_inplace, x, p, Chunk::<4>)
                    .unwrap();
                assert_eq!(
                    (py, bits(pjac)),
                    (y.as_slice(), bits(&jac)),
                    "parallel in place"
                );
            }
        }
        // wrong lengths: the errors of eval_with, before f runs
        let (x, p) = &points[1];
        for (xs, ps) in [(&x[..], &p[..np - 1]), (&x[1..], &p[..]), (&x[..], &[][..])] {
            let want = plan.eval_with(xs, ps).map(|_| ()).unwrap_err();
            assert!(matches!(
                want,
                GraphError::ParamLength { .. } | GraphError::InputLength { .. }
            ));
            let got = plan.eval_fn_with(f, xs, ps, Chunk::<4>).map(|_| ());
            assert_eq!(got.unwrap_err(), want, "{direction:?}");
            let got = plan.eval_fn_inplace_with(f_inplace, xs, ps, Chunk::<4>);
            assert_eq!(got.map(|_| ()).unwrap_err(), want);
            #[cfg(feature = "rayon")]
            {
                let got = plan.par_eval_fn_with(f, xs, ps, Chunk::<4>).map(|_| ());
                assert_eq!(got.unwrap_err(), want);
                let got = plan.par_eval_fn_inplace_with(f_inplace, xs, ps, Chunk::<4>);
                assert_eq!(got.map(|_| ()).unwrap_err(), want);
            }
        }
        // the forms without parameters: MissingParams, never the recorded parameters
        let missing = GraphError::MissingParams { expected: np };
        let r = plan.eval_fn(|x| f(x, &consts(&p0)), x, Chunk::<4>);
        assert_eq!(r.map(|_| ()).unwrap_err(), missing);
        let r = plan.eval_fn_inplace(|x, out| f_inplace(x, &consts(&p0), out), x, Chunk::<4>);
        assert_eq!(r.map(|_| ()).unwrap_err(), missing);
        #[cfg(feature = "rayon")]
        {
            let r = plan.par_eval_fn(|x| f(x, &consts(&p0)), x, Chunk::<4>);
            assert_eq!(r.map(|_| ()).unwrap_err(), missing);
            let r = plan.par_eval_fn_inplace(|x, o| f_inplace(x, &consts(&p0), o), x, Chunk::<4>);
            assert_eq!(r.map(|_| ()).unwrap_err(), missing);
        }
    }
}

/// `eval_fn` on a plan built from a graph with parameters was `MissingParams` with no way to give
/// them: `eval_fn_with(f, &x, &p, chunk)` takes them, for a smooth banded function (reverse plans
/// sweep derivative graphs) and a kinked one (run-time sweeps), at random inputs and parameters
/// on both sides of every kink.
#[test]
fn eval_fn_on_a_sparse_plan_of_a_graph_with_parameters_takes_the_parameters() {
    let mut rng = Rng::for_test("eval_fn_with");
    let n = 24;
    let x0: Vec<f64> = (0..n).map(|i| 1.0 + 0.1 * i as f64).collect();
    let g = Graph::record_vec_with(&x0, &vec![0.5; n + 1], banded_with);
    check_eval_fn_with(&g, banded_with, &x0, n + 1, &mut rng);
    let g = Graph::record_vec_with(&x0, &vec![0.5; n + 2], kinks_with);
    check_eval_fn_with(&g, kinks_with, &x0, n + 2, &mut rng);
}

/// `eval_fn_with` checks the function's guards with the parameters before the function runs: a
/// branch on a parameter taken the other way is the error the graph gives (naming its nodes), in
/// every direction; on a graph without parameters `eval_fn_with(f, &x, &[], chunk)` is
/// `eval_fn(f, &x, chunk)` bit for bit, and parameters given to it are `ParamLength`.
#[test]
fn eval_fn_with_checks_a_guard_on_a_parameter_and_takes_no_parameters_for_a_graph_without() {
    use nilpotent::sparse::{Direction, JacobianPlan, Order};
    fn signed<T: Float>(x: &[T], p: &[T]) -> Vec<T> {
        let s = if p[0] > T::zero() { x[0] } else { -x[1] };
        (0..x.len() - 1)
            .map(|i| s * x[i] * p[1] + x[i + 1].sin())
            .collect()
    }
    let n = 8;
    let x: Vec<f64> = (0..n).map(|i| 0.3 - 0.1 * i as f64).collect();
    let g = Graph::record_vec_with(&vec![0.75; n], &[1.0, 0.5], signed);
    assert_eq!(g.num_guards(), 1);
    let (same, other) = ([2.0, -0.5], [-2.0, -0.5]);
    let want = g.eval_with(&x, &other).unwrap_err();
    assert!(matches!(want, GraphError::Guard { .. }));
    for direction in [Direction::Forward, Direction::Reverse] {
        let mut plan = JacobianPlan::with_options(&g, direction, Order::Best);
        let (y, _) = plan.eval_fn_with(signed, &x, &same, Chunk::<2>).unwrap();
        assert_eq!(y, signed(&x, &same).as_slice());
        let r = plan.eval_fn_with(signed, &x, &other, Chunk::<2>);
        assert_eq!(r.map(|_| ()).unwrap_err(), want, "{direction:?}");
        #[cfg(feature = "rayon")]
        assert_eq!(
            plan.par_eval_fn_with(signed, &x, &other, Chunk::<2>)
                .map(|_| ())
                .unwrap_err(),
            want
        );
    }
    let p = [0.5, 2.0];
    let h = Graph::record_vec(&x, |x| signed(x, &consts(&p)));
    let mut plan = JacobianPlan::new(&h);
    let (y, jac) = plan
        .eval_fn(|x| signed(x, &consts(&p)), &x, Chunk::<2>)
        .unwrap();
    let (y, jac) = (y.to_vec(), jac.clone());
    let (y2, jac2) = plan
        .eval_fn_with(|x, _| signed(x, &consts(&p)), &x, &[], Chunk::<2>)
        .unwrap();
    assert_eq!((y2, bits(jac2)), (y.as_slice(), bits(&jac)));
    let r = plan.eval_fn_with(|x, _| signed(x, &consts(&p)), &x, &[1.0], Chunk::<2>);
    assert_eq!(
        r.map(|_| ()).unwrap_err(),
        GraphError::ParamLength {
            expected: 0,
            found: 1
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Sparse plans of graphs with loop nodes over parameter rows (`sum_map` over a minibatch).
// ---------------------------------------------------------------------------------------------

/// Per output k, a `sum_map` over the rows [r₀ … r_{d−1}, r_d] of the parameters, reading xₖ and
/// xₖ₊₁ (cyclic): a cyclic bidiagonal Jacobian. `kinky` adds `abs` in the body (a derivative
/// rule that branches on the value, on both sides at random points).
fn loop_rows<T: Loops>(x: &[T], p: &[T], kinky: bool) -> Vec<T> {
    let d = x.len();
    (0..d)
        .map(|k| {
            sum_map(p, d + 1, |r| {
                let t = (x[k] * r[k] + x[(k + 1) % d] * r[d]).sin();
                if kinky { t + (x[k] * r[d]).abs() } else { t }
            })
        })
        .collect()
}

/// A scalar `sum_map` over the parameter rows with a cyclic tridiagonal Hessian.
fn loop_loss<T: Loops>(x: &[T], p: &[T], kinky: bool) -> T {
    let d = x.len();
    sum_map(p, d + 1, |r| {
        (0..d).fold(T::zero(), |s, k| {
            let e = x[k] * r[k] - x[(k + 1) % d] * r[d];
            if kinky { s + e * e.abs() } else { s + e * e }
        })
    })
}

/// Sparse plans of graphs whose loop nodes run over parameter rows: the patterns are those of the
/// unrolled graph (and sparse), and the Jacobians (every direction, `eval_with` and
/// `eval_fn_with`) and Hessians agree with the unrolled graph's dense derivatives and with
/// forward mode on the plain loop, at new inputs and new data (the same number of rows), without
/// a new recording.
#[test]
fn sparse_plans_work_on_graphs_with_loop_nodes_over_parameter_rows() {
    use nilpotent::sparse::{Direction, HessianPlan, JacobianPlan, Order};
    let mut rng = Rng::for_test("sparse loops params");
    let d = 7;
    let x0 = rng.vec(d, -1.0, 1.0);
    let p0 = rng.vec(5 * (d + 1), -1.0, 1.0);
    for kinky in [false, true] {
        let g = Graph::record_vec_with(&x0, &p0, |x, p| loop_rows(x, p, kinky));
        assert!(g.has_loops());
        let u = g.unrolled();
        assert!(!u.has_loops());
        let dense = u.jacobian();
        for direction in [Direction::Forward, Direction::Reverse, Direction::Auto] {
            let mut plan = JacobianPlan::with_options(&g, direction, Order::Best);
            assert_eq!(
                plan.pattern(),
                &jacobian_pattern(&u),
                "{kinky} {direction:?}"
            );
            assert_eq!(plan.pattern().nnz(), 2 * d);
            for _ in 0..3 {
                let x = rng.vec(d, -1.0, 1.0);
                let p = rng.vec(5 * (d + 1), -1.0, 1.0);
                let (y, jac) = plan.eval_with(&x, &p).unwrap();
                let (y, jac) = (y.to_vec(), jac.clone());
                assert_eq!(y, loop_rows(&x, &p, kinky));
                let (_, fwd) =
                    jacobian_with(|xs| loop_rows(xs, &consts(&p), kinky), &x, Chunk::<4>);
                let want = dense.eval_with(&x, &p).ok();
                let (fy, fjac) = plan
                    .eval_fn_with(|x, p| loop_rows(x, p, kinky), &x, &p, Chunk::<4>)
                    .unwrap();
                assert_eq!(fy, y.as_slice());
                for i in 0..d {
                    for j in 0..d {
                        let e = entry(&jac, i, j);
                        let scale = fwd[(i, j)].abs().max(1.0);
                        assert!(close(e, fwd[(i, j)], RTOL, scale), "J({i}, {j}) forward");
                        assert!(
                            close(entry(fjac, i, j), e, RTOL, scale),
                            "J({i}, {j}) eval_fn"
                        );
                        if let Some(w) = &want {
                            assert!(close(e, w[d + i * d + j], RTOL, scale), "J({i}, {j})");
                        }
                    }
                }
            }
        }
        let f = Graph::record_with(&x0, &p0, |x, p| loop_loss(x, p, kinky));
        assert!(f.has_loops());
        let u = f.unrolled();
        let mut plan = HessianPlan::new(&f);
        assert_eq!(plan.pattern(), &hessian_pattern(&u), "{kinky}");
        assert_eq!(plan.pattern().nnz(), 3 * d);
        for _ in 0..3 {
            let x = rng.vec(d, -1.0, 1.0);
            let p = rng.vec(5 * (d + 1), -1.0, 1.0);
            let (v, grad, h) = plan.eval_with(&x, &p).unwrap();
            let (fv, fgrad, fh) =
                hessian_with(|xs| loop_loss(xs, &consts(&p), kinky), &x, Chunk::<4>);
            assert_eq!(v, fv);
            for i in 0..d {
                let scale = fgrad[i].abs().max(1.0);
                assert!(close(grad[i], fgrad[i], RTOL, scale), "∂f/∂x{i}");
                for j in 0..d {
                    let scale = fh[(i, j)].abs().max(1.0);
                    assert!(
                        close(entry(h, i, j), fh[(i, j)], RTOL, scale),
                        "H({i}, {j})"
                    );
                }
            }
        }
    }
}
