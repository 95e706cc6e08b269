//! Issue "Loops as loops", graph side: the loop combinators (`sum_map`, `map_rows`,
//! `sum_windows`, `scan`, `fold`) recorded on `Sym` as one loop node, checked against the plain
//! `f64` loop (bit for bit: the same operations in the same order), against the unrolled graph
//! (`Graph::unrolled`), and their derivative graphs against the tape and finite differences.

use crate::common::functions::logistic_rows as logistic;
use nilpotent::graph::{Graph, GraphError};
use nilpotent::{Real, fold, map_rows, reverse, scan, sum_map, sum_windows};

/// A small deterministic generator (xorshift), values in [-1, 1).
pub(super) struct Rng(pub(super) u64);
impl Rng {
    pub(super) fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
    pub(super) fn vec(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.next()).collect()
    }
}

/// Bitwise equality, every NaN equal.
fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

// ---------------------------------------------------------------------------------------------
// the functions under test, generic over every number type

/// Logistic loss over rows [x (d), y] with labels 0/1, the label tested with a branch.
fn logistic_branch<T: Real>(w: &[T], rows: &[T]) -> T {
    let d = w.len();
    sum_map(rows, d + 1, |r| {
        let z = (0..d).fold(T::zero(), |s, j| s + w[j] * r[j]);
        if r[d] > 0.5 {
            (T::one() + (-z).exp()).ln()
        } else {
            (T::one() + z.exp()).ln()
        }
    })
}

/// The logistic map x ← a·x·(1 − x), k steps.
fn logistic_map<T: Real>(a: T, x0: T, k: usize) -> T {
    fold(&[x0], k, |s| vec![a * s[0] * (-s[0] + 1.0)])[0]
}

/// A driven recurrence over inputs u (2 per step), a state of 2.
fn driven<T: Real>(p: &[T], u: &[T]) -> Vec<T> {
    scan(&[p[0], p[1]], u, 2, |s, x| {
        vec![
            s[0] * p[2] + (s[1] * x[0]).sin(),
            s[1] * 0.9 + x[1] * s[0] - p[2] * x[0],
        ]
    })
}

/// Chained Rosenbrock over windows (x[k], x[k+1]).
fn rosenbrock<T: Real>(x: &[T]) -> T {
    sum_windows(x, 2, 1, |w| {
        (w[1] - w[0] * w[0]).powi(2) * 100.0 + (-w[0] + 1.0).powi(2)
    })
}

/// The plain loops, for the oracle: the same arithmetic with `for`.
fn logistic_branch_plain(w: &[f64], rows: &[f64]) -> f64 {
    let d = w.len();
    let mut acc = 0.0;
    for r in rows.chunks(d + 1) {
        let z = (0..d).fold(0.0, |s, j| s + w[j] * r[j]);
        acc += if r[d] > 0.5 {
            (1.0 + (-z).exp()).ln()
        } else {
            (1.0 + z.exp()).ln()
        };
    }
    acc
}

fn data(rng: &mut Rng, m: usize, d: usize) -> Vec<f64> {
    let mut rows = Vec::with_capacity(m * (d + 1));
    for k in 0..m {
        rows.extend(rng.vec(d));
        rows.push(if k % 3 == 0 { 1.0 } else { 0.0 });
    }
    rows
}

// ---------------------------------------------------------------------------------------------
// values: one loop node, bit for bit equal to the plain loop and to the unrolled graph

#[test]
fn sum_map_with_data_as_parameters_is_one_loop_node_equal_to_the_plain_loop_bit_for_bit() {
    let mut rng = Rng(7);
    let d = 4;
    let w = rng.vec(d);
    let rows = data(&mut rng, 50, d);
    let g = Graph::record_with(&w, &rows, logistic);
    let u = g.unrolled();
    assert!(!u.has_loops() && g.has_loops());
    assert!(g.len() < 10, "{} operations:\n{g}", g.len());
    assert!(u.len() > 50 * d);
    for _ in 0..5 {
        let w = rng.vec(d);
        let rows = data(&mut rng, 50, d);
        let want = logistic(&w, &rows);
        let got = g.eval_with(&w, &rows).unwrap();
        assert!(same(&got, &[want]), "{got:?} against {want}");
        assert!(same(&u.eval_with(&w, &rows).unwrap(), &got));
    }
    // the recorded value too
    assert!(same(&g.recorded_outputs(), &[logistic(&w, &rows)]));
}

#[test]
fn node_count_of_a_sum_map_does_not_grow_with_the_data() {
    let mut rng = Rng(11);
    let d = 10;
    let w = rng.vec(d);
    let mut counts = Vec::new();
    for m in [5, 50, 500] {
        let rows = data(&mut rng, m, d);
        let g = Graph::record_with(&w, &rows, logistic);
        counts.push(g.len());
    }
    assert_eq!(counts[0], counts[1]);
    assert_eq!(counts[1], counts[2]);
}

#[test]
fn scan_and_fold_record_one_loop_node_equal_to_the_plain_loop() {
    let g = Graph::record(&[3.7, 0.2], |p| logistic_map(p[0], p[1], 10_000));
    assert!(g.num_nodes() <= 50, "{} nodes", g.num_nodes());
    for (a, x0) in [(3.7, 0.2), (2.5, 0.9), (3.99, 0.5), (0.0, 0.0), (1.0, 1.0)] {
        let want = logistic_map(a, x0, 10_000);
        assert!(same(&g.eval(&[a, x0]).unwrap(), &[want]));
    }
    let mut rng = Rng(5);
    let p = [0.3, -0.2, 0.7];
    let u = rng.vec(2 * 40);
    let g = Graph::record_vec_with(&p, &u, driven);
    assert!(g.len() < 12, "{g}");
    for _ in 0..4 {
        let p = rng.vec(3);
        let u = rng.vec(80);
        let want = driven(&p, &u);
        assert!(same(&g.eval_with(&p, &u).unwrap(), &want));
        assert!(same(&g.unrolled().eval_with(&p, &u).unwrap(), &want));
    }
}

#[test]
fn map_rows_and_sum_windows_agree_with_the_plain_loop() {
    let mut rng = Rng(3);
    let x = rng.vec(9);
    let g = Graph::record(&x, rosenbrock);
    assert!(g.len() < 12, "{g}");
    for _ in 0..4 {
        let x = rng.vec(9);
        assert!(same(&g.eval(&x).unwrap(), &[rosenbrock(&x)]));
    }
    let rows = rng.vec(12);
    let g = Graph::record_vec(&rows, |r| map_rows(r, 3, |r| r[0] * r[1] - r[2].sin()));
    assert_eq!(g.num_outputs(), 4);
    let rows = rng.vec(12);
    let want = map_rows(&rows, 3, |r| r[0] * r[1] - r[2].sin());
    assert!(same(&g.eval(&rows).unwrap(), &want));
}

// ---------------------------------------------------------------------------------------------
// branches differing across rows

#[test]
fn a_branch_on_the_label_differing_across_rows_records_one_variant_per_path() {
    let mut rng = Rng(13);
    let d = 3;
    let w = rng.vec(d);
    let rows = data(&mut rng, 30, d);
    let g = Graph::record_with(&w, &rows, logistic_branch);
    for _ in 0..5 {
        let w = rng.vec(d);
        let rows = data(&mut rng, 30, d);
        let want = logistic_branch_plain(&w, &rows);
        assert!(same(&g.eval_with(&w, &rows).unwrap(), &[want]));
    }
    // the unrolled graph has one guard per row: it applies to the labels recorded
    let u = g.unrolled();
    assert!(u.num_guards() >= 30);
    let w2 = rng.vec(d);
    let want = logistic_branch_plain(&w2, &rows);
    assert!(same(&u.eval_with(&w2, &rows).unwrap(), &[want]));
    assert!(same(&g.eval_with(&w2, &rows).unwrap(), &[want]));
    // all labels 0: the same graph still applies (the variant for y ≤ 0.5)
    let mut rows0 = data(&mut rng, 30, d);
    for k in 0..30 {
        rows0[k * (d + 1) + d] = 0.0;
    }
    let want = logistic_branch_plain(&w, &rows0);
    assert!(same(&g.eval_with(&w, &rows0).unwrap(), &[want]));
}

#[test]
fn a_row_whose_branch_no_variant_took_is_an_error_naming_the_iteration() {
    let d = 2;
    // every label 1 at the recording: one variant only
    let rows = [0.5, 0.25, 1.0, -0.5, 0.75, 1.0, 0.1, 0.2, 1.0];
    let w = [0.3, -0.4];
    let g = Graph::record_with(&w, &rows, logistic_branch);
    let mut other = rows;
    other[2 * (d + 1) + d] = 0.0; // row 2 takes the other branch
    match g.eval_with(&w, &other) {
        Err(GraphError::LoopGuard { iteration, .. }) => assert_eq!(iteration, 2),
        r => panic!("expected a loop guard error at iteration 2, got {r:?}"),
    }
    let message = g.eval_with(&w, &other).unwrap_err().to_string();
    assert!(message.contains("iteration 2"), "{message}");
    // never a value
    assert!(g.unrolled().eval_with(&w, &other).is_err());
}

// ---------------------------------------------------------------------------------------------
// derivatives

#[test]
fn gradient_of_a_loop_graph_agrees_with_the_tape() {
    let mut rng = Rng(17);
    let d = 3;
    let w = rng.vec(d);
    let rows = data(&mut rng, 20, d);
    let g = Graph::record_with(&w, &rows, logistic_branch).gradient();
    for _ in 0..4 {
        let w = rng.vec(d);
        let rows = data(&mut rng, 20, d);
        let out = g.eval_with(&w, &rows).unwrap();
        let (v, grad) = reverse::gradient(
            |w| {
                let r: Vec<_> = rows.iter().map(|&x| nilpotent::Literal::cst(x)).collect();
                logistic_branch(w, &r)
            },
            &w,
        );
        assert!(close(out[0], v, 1e-14));
        for j in 0..d {
            assert!(
                close(out[1 + j], grad[j], 1e-13),
                "{out:?} against {grad:?}"
            );
        }
    }
}

#[test]
fn wrong_width_panics_naming_both_numbers() {
    let r = std::panic::catch_unwind(|| {
        Graph::record(&[1.0, 2.0, 3.0], |x| sum_map(x, 2, |r| r[0] * r[1]))
    });
    let e = r.unwrap_err();
    let msg = e.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("3") && msg.contains("width = 2"), "{msg}");
}

#[test]
fn a_step_returning_a_state_of_another_length_panics_naming_both() {
    let r = std::panic::catch_unwind(|| {
        Graph::record(&[1.0, 2.0], |x| {
            scan(&[x[0]], &[x[1]], 1, |s, u| vec![s[0], u[0]])[0]
        })
    });
    let e = r.unwrap_err();
    let msg = e.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("returned 2") && msg.contains("state of 1"),
        "{msg}"
    );
}

#[test]
fn nested_loops_a_sum_map_inside_a_scan_step() {
    fn f<T: Real>(p: &[T], xs: &[T]) -> T {
        let s = scan(&[p[0]], xs, 3, |s, row| {
            let inner = sum_map(row, 1, |v| (v[0] * p[1] + s[0]).sin());
            vec![s[0] * 0.5 + inner]
        });
        s[0]
    }
    let mut rng = Rng(23);
    let p = rng.vec(2);
    let xs = rng.vec(12);
    let g = Graph::record_with(&p, &xs, f);
    for _ in 0..3 {
        let p = rng.vec(2);
        let xs = rng.vec(12);
        assert!(same(&g.eval_with(&p, &xs).unwrap(), &[f(&p, &xs)]));
        assert!(same(
            &g.unrolled().eval_with(&p, &xs).unwrap(),
            &[f(&p, &xs)]
        ));
        // the gradient keeps both loops (the inner one reversed inside the outer reverse)
        check_gradient(&g, f, &p, &xs);
        let h = g.hessian().eval_with(&p, &xs).unwrap();
        let hu = g.unrolled().hessian().eval_with(&p, &xs).unwrap();
        for j in 0..h.len() {
            assert!(close(h[j], hu[j], 1e-12), "{h:?} against {hu:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// derivative graphs keep the loops

/// `(value, gradient)` by the tape, data captured as constants.
fn tape_gradient(
    f: impl Fn(&[reverse::Var<f64>], &[reverse::Var<f64>]) -> reverse::Var<f64>,
    x: &[f64],
    p: &[f64],
) -> (f64, Vec<f64>) {
    reverse::gradient(
        |x| {
            let p: Vec<_> = p.iter().map(|&v| nilpotent::Literal::cst(v)).collect();
            f(x, &p)
        },
        x,
    )
}

/// Central differences of the graph's first output along each input.
fn finite_differences(g: &Graph, x: &[f64], p: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|j| {
            let h = 1e-6 * x[j].abs().max(1.0);
            let (mut a, mut b) = (x.to_vec(), x.to_vec());
            a[j] += h;
            b[j] -= h;
            (g.eval_with(&a, p).unwrap()[0] - g.eval_with(&b, p).unwrap()[0]) / (2.0 * h)
        })
        .collect()
}

/// `grad` (a gradient of `g` at `x`) against the tape's gradient of `f` (to 1e-12) and central
/// differences of `g` (to 1e-5).
fn gradient_is_the_tapes_and_differences(
    g: &Graph,
    f: &impl Fn(&[reverse::Var<f64>], &[reverse::Var<f64>]) -> reverse::Var<f64>,
    x: &[f64],
    p: &[f64],
    grad: &[f64],
) {
    let (_, want) = tape_gradient(f, x, p);
    let fd = finite_differences(g, x, p);
    for j in 0..x.len() {
        assert!(
            close(grad[j], want[j], 1e-12),
            "∂{j}: {} against the tape's {}",
            grad[j],
            want[j]
        );
        assert!(
            close(grad[j], fd[j], 1e-5),
            "∂{j}: {} against differences {}",
            grad[j],
            fd[j]
        );
    }
}

fn check_gradient(
    g: &Graph,
    f: impl Fn(&[reverse::Var<f64>], &[reverse::Var<f64>]) -> reverse::Var<f64>,
    x: &[f64],
    p: &[f64],
) {
    let grad = g.gradient();
    assert!(
        grad.has_loops(),
        "the gradient graph keeps the loops:\n{grad}"
    );
    let out = grad.eval_with(x, p).unwrap();
    let (v, _) = tape_gradient(&f, x, p);
    assert!(close(out[0], v, 1e-14), "{} against {v}", out[0]);
    gradient_is_the_tapes_and_differences(g, &f, x, p, &out[1..]);
    // and the unrolled gradient: the same values up to the order of the adjoint sums
    let u = g.unrolled().gradient().eval_with(x, p).unwrap();
    for j in 0..out.len() {
        assert!(close(out[j], u[j], 1e-12), "{out:?} against {u:?}");
    }
}

#[test]
fn gradient_graph_of_sum_map_keeps_the_loop_with_the_same_node_count_for_any_data_size() {
    let mut rng = Rng(29);
    let d = 5;
    let w = rng.vec(d);
    let mut counts = Vec::new();
    for m in [5, 50, 500] {
        let rows = data(&mut rng, m, d);
        let g = Graph::record_with(&w, &rows, logistic);
        let grad = g.gradient();
        counts.push(grad.len());
        check_gradient(&g, logistic, &rng.vec(d), &rows);
    }
    assert_eq!(counts[0], counts[1]);
    assert_eq!(counts[1], counts[2]);
}

#[test]
fn gradient_of_scan_and_fold_runs_the_step_backwards() {
    let g = Graph::record(&[3.7, 0.2], |p| logistic_map(p[0], p[1], 1000));
    let grad = g.gradient();
    assert!(
        grad.num_nodes() <= 60,
        "{} nodes:\n{grad}",
        grad.num_nodes()
    );
    for (a, x0) in [(3.2, 0.3), (2.5, 0.7), (1.0, 0.5)] {
        let small = Graph::record(&[a, x0], |p| logistic_map(p[0], p[1], 30));
        check_gradient(&small, |x, _| logistic_map(x[0], x[1], 30), &[a, x0], &[]);
        let out = grad.eval(&[a, x0]).unwrap();
        let (_, want) = reverse::gradient(|x| logistic_map(x[0], x[1], 1000), &[a, x0]);
        for j in 0..2 {
            assert!(close(out[1 + j], want[j], 1e-9), "{out:?} against {want:?}");
        }
    }
    let mut rng = Rng(31);
    let p = [0.3, -0.2, 0.7];
    let u = rng.vec(2 * 12);
    let g = Graph::record_with(&p, &u, |p, u| {
        let s = driven(p, u);
        s[0] * s[1]
    });
    check_gradient(
        &g,
        |p, u| {
            let s = driven(p, u);
            s[0] * s[1]
        },
        &rng.vec(3),
        &u,
    );
}

#[test]
fn gradient_of_sum_windows_over_the_inputs_accumulates_overlapping_windows() {
    let mut rng = Rng(37);
    let x = rng.vec(7);
    let g = Graph::record(&x, rosenbrock);
    for x in [rng.vec(7), vec![0.0; 7], vec![1.0; 7], vec![-1.0; 7]] {
        check_gradient(&g, |x, _| rosenbrock(x), &x, &[]);
    }
    let rows = rng.vec(12);
    let g = Graph::record(&rows, |r| {
        map_rows(r, 3, |r| r[0] * r[1] - r[2].sin())
            .iter()
            .enumerate()
            .fold(nilpotent::graph::Sym::constant(0.0), |s, (k, &v)| {
                s + v * (k as f64 + 1.0)
            })
    });
    let mapped = |r: &[reverse::Var<f64>], _: &[reverse::Var<f64>]| {
        map_rows(r, 3, |r| r[0] * r[1] - r[2].sin())
            .iter()
            .enumerate()
            .fold(reverse::Var::constant(0.0), |s, (k, &v)| {
                s + v * (k as f64 + 1.0)
            })
    };
    check_gradient(&g, mapped, &rng.vec(12), &[]);
}

#[test]
fn gradient_with_branches_differing_across_rows_uses_one_vjp_per_variant() {
    let mut rng = Rng(41);
    let d = 3;
    let w = rng.vec(d);
    let rows = data(&mut rng, 25, d);
    let g = Graph::record_with(&w, &rows, logistic_branch);
    for _ in 0..3 {
        let rows = data(&mut rng, 25, d);
        check_gradient(&g, logistic_branch, &rng.vec(d), &rows);
    }
}

#[test]
fn hessian_of_a_loop_graph_agrees_with_the_unrolled_hessian() {
    let mut rng = Rng(43);
    let d = 3;
    let w = rng.vec(d);
    let rows = data(&mut rng, 20, d);
    let g = Graph::record_with(&w, &rows, logistic);
    let h = g.hessian();
    assert!(h.has_loops());
    let hu = g.unrolled().hessian();
    let x = rng.vec(d);
    let (a, b) = (
        h.eval_with(&x, &rows).unwrap(),
        hu.eval_with(&x, &rows).unwrap(),
    );
    for j in 0..a.len() {
        assert!(close(a[j], b[j], 1e-12), "{a:?} against {b:?}");
    }
    let x = rng.vec(5);
    let g = Graph::record(&x, rosenbrock);
    let (a, b) = (
        g.hessian().eval(&x).unwrap(),
        g.unrolled().hessian().eval(&x).unwrap(),
    );
    for j in 0..a.len() {
        assert!(close(a[j], b[j], 1e-12), "{a:?} against {b:?}");
    }
    let g = Graph::record(&[3.2, 0.3], |p| logistic_map(p[0], p[1], 20));
    let (a, b) = (
        g.hessian().eval(&[3.1, 0.4]).unwrap(),
        g.unrolled().hessian().eval(&[3.1, 0.4]).unwrap(),
    );
    for j in 0..a.len() {
        assert!(close(a[j], b[j], 1e-9), "{a:?} against {b:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// sparsity detection sees through loop nodes

#[test]
fn sparsity_patterns_of_loop_graphs_equal_those_of_the_unrolled_graphs() {
    use nilpotent::sparse::{HessianPlan, hessian_pattern, jacobian_pattern};
    let mut rng = Rng(47);
    let x = rng.vec(12);
    let g = Graph::record(&x, rosenbrock);
    let (p, pu) = (hessian_pattern(&g), hessian_pattern(&g.unrolled()));
    assert_eq!(
        p.entries().collect::<Vec<_>>(),
        pu.entries().collect::<Vec<_>>()
    );
    // tridiagonal: the Hessian plan of the loop graph still finds 3 colours
    let mut plan = HessianPlan::new(&g);
    assert_eq!(plan.colouring().num_colours(), 3);
    let (v, grad, h) = plan.eval(&x).unwrap();
    let hd = g.unrolled().hessian().eval(&x).unwrap();
    assert!(close(v, hd[0], 1e-14));
    for j in 0..12 {
        assert!(close(grad[j], hd[1 + j], 1e-12));
    }
    for (i, j, &hij) in h.triplet_iter() {
        assert!(close(hij, hd[1 + 12 + i * 12 + j], 1e-12));
    }
    // a Jacobian: map_rows over the inputs (one row per output), a scan, nested loops
    let rows = rng.vec(12);
    let g = Graph::record_vec(&rows, |r| map_rows(r, 3, |r| r[0] * r[1] - r[2].sin()));
    let (p, pu) = (jacobian_pattern(&g), jacobian_pattern(&g.unrolled()));
    assert_eq!(
        p.entries().collect::<Vec<_>>(),
        pu.entries().collect::<Vec<_>>()
    );
    assert_eq!(p.nnz(), 12);
    let u = rng.vec(8);
    let g = Graph::record_vec(&u, |u| driven(&[u[0], u[1], u[2]], &u[2..]));
    let (p, pu) = (jacobian_pattern(&g), jacobian_pattern(&g.unrolled()));
    assert_eq!(
        p.entries().collect::<Vec<_>>(),
        pu.entries().collect::<Vec<_>>()
    );
    let g = Graph::record(&u, |u| logistic_map(u[0], u[1], 10) * u[3]);
    let (p, pu) = (hessian_pattern(&g), hessian_pattern(&g.unrolled()));
    assert_eq!(
        p.entries().collect::<Vec<_>>(),
        pu.entries().collect::<Vec<_>>()
    );
}

// ---------------------------------------------------------------------------------------------
// other evaluators of loop graphs

#[test]
fn forward_mode_on_a_loop_graph_evaluated_on_dual_numbers_agrees_with_its_gradient_graph() {
    use nilpotent::Dual;
    let mut rng = Rng(53);
    let p = [0.3, -0.2, 0.7];
    let u = rng.vec(2 * 10);
    let g = Graph::record_with(&p, &u, |p, u| {
        let s = driven(p, u);
        s[0] * s[1]
    });
    let grad = g.gradient().eval_with(&p, &u).unwrap();
    let mut e = g.program().evaluator::<Dual<f64, 3>>();
    let x: Vec<Dual<f64, 3>> = (0..3)
        .map(|j| {
            let mut eps = [0.0; 3];
            eps[j] = 1.0;
            Dual::new(p[j], eps)
        })
        .collect();
    let pd: Vec<Dual<f64, 3>> = u.iter().map(|&v| Dual::constant(v)).collect();
    let out = e.eval_with(&x, &pd).unwrap();
    assert!(same(&[out[0].re], &grad[..1]));
    for j in 0..3 {
        assert!(
            close(out[0].eps[j], grad[1 + j], 1e-13),
            "{out:?} against {grad:?}"
        );
    }
}

/// Emitted Rust keeps a loop a `for` loop (its results against the interpreter's, bit for bit,
/// in tests/suite/graph/emit.rs with the loop cases of tests/suite/graph/cases).
#[test]
fn emitted_rust_of_a_loop_graph_keeps_the_loops() {
    let g = Graph::record(&[0.5, 0.25, 0.75], rosenbrock).gradient();
    let src = g.to_rust("f");
    assert_eq!(src.matches("for t in 0..").count(), 2, "{src}");
    assert!(!g.unrolled().to_rust("f").contains("for t in"));
}

#[cfg(feature = "jit")]
#[test]
fn the_jit_runs_loop_graphs_with_the_interpreters_results_bit_for_bit() {
    let mut rng = Rng(59);
    let d = 3;
    let w = rng.vec(d);
    let rows = data(&mut rng, 15, d);
    let g = Graph::record_with(&w, &rows, logistic_branch).gradient();
    let c = g.compile().unwrap();
    for _ in 0..3 {
        let w = rng.vec(d);
        assert!(same(
            &c.eval_with(&w, &rows).unwrap(),
            &g.eval_with(&w, &rows).unwrap()
        ));
    }
}

/// Hinge loss Σ max(0, 1 − y·z) with labels ±1: the derivative rule of `max` branches per row
/// (and at a tie, 1 − y·z = 0, takes the average of the two sides).
fn hinge<T: Real>(w: &[T], rows: &[T]) -> T {
    let d = w.len();
    sum_map(rows, d + 1, |r| {
        let z = (0..d).fold(T::zero(), |s, j| s + w[j] * r[j]);
        (-(r[d] * z) + 1.0).max(T::zero())
    })
}

#[test]
fn gradient_of_a_body_whose_derivative_rule_branches_per_row_at_ties_and_both_sides() {
    // rows [x0, x1, y]; at w = (1, 0): margins 1 − y·x0 = 0 (a tie), > 0 and < 0
    let rows = [
        1.0, 0.5, 1.0, 0.5, -1.0, 1.0, 2.0, 0.25, 1.0, -1.0, 2.0, 1.0, 3.0, 1.0, -1.0,
    ];
    let g = Graph::record_with(&[1.0, 0.0], &rows, hinge);
    // the reverse loop has one variant per path through max's derivative rule
    let listing = g.gradient().to_string();
    assert!(listing.contains("variant 2 of 3"), "{listing}");
    for w in [[1.0, 0.0], [0.0, 0.0], [-1.0, 1.0], [0.3, -0.7]] {
        let out = g.gradient().eval_with(&w, &rows).unwrap();
        let (v, want) = tape_gradient(hinge, &w, &rows);
        assert!(same(&out[..1], &[v]), "{out:?} against {v}");
        for j in 0..2 {
            assert!(
                close(out[1 + j], want[j], 1e-14),
                "{out:?} against {want:?}"
            );
        }
    }
}

#[test]
fn sum_map_over_rows_that_are_inputs_gives_every_rows_adjoint() {
    let mut rng = Rng(61);
    let d = 2;
    let f = |x: &[reverse::Var<f64>], _: &[reverse::Var<f64>]| logistic(&x[..d], &x[d..]);
    let mut x = rng.vec(d);
    x.extend(data(&mut rng, 6, d));
    let g = Graph::record(&x, |x| logistic(&x[..d], &x[d..]));
    let mut x2 = rng.vec(d);
    x2.extend(data(&mut rng, 6, d));
    check_gradient(&g, f, &x2, &[]);
    check_gradient(&g, f, &vec![0.0; x.len()], &[]);
}

#[test]
fn hessian_graph_of_loops_agrees_with_nested_dual_numbers_at_random_and_special_points() {
    let mut rng = Rng(67);
    let n = 6;
    let g = Graph::record(&rng.vec(n), rosenbrock).hessian();
    assert!(g.has_loops());
    let nested = |x: &[f64]| nilpotent::hessian(rosenbrock, x);
    let logistic_nested = |x: &[f64]| nilpotent::hessian(|x| logistic_map(x[0], x[1], 25), x);
    for x in [rng.vec(n), vec![0.0; n], vec![1.0; n], vec![-1.0; n]] {
        let out = g.eval(&x).unwrap();
        let (v, grad, h) = nested(&x);
        assert!(close(out[0], v, 1e-14));
        for i in 0..n {
            assert!(close(out[1 + i], grad[i], 1e-13));
            for j in 0..n {
                assert!(
                    close(out[1 + n + i * n + j], h[(i, j)], 1e-12),
                    "H[{i}][{j}]"
                );
            }
        }
    }
    let g = Graph::record(&[3.3, 0.4], |p| logistic_map(p[0], p[1], 25)).hessian();
    for x in [[3.3, 0.4], [2.0, 0.5], [1.0, 0.0], [-1.0, 1.0]] {
        let out = g.eval(&x).unwrap();
        let (v, grad, h) = logistic_nested(&x);
        assert!(close(out[0], v, 1e-14));
        for i in 0..2 {
            assert!(close(out[1 + i], grad[i], 1e-9), "{out:?} against {grad:?}");
            for j in 0..2 {
                assert!(
                    close(out[3 + i * 2 + j], h[(i, j)], 1e-9),
                    "{out:?} against {h}"
                );
            }
        }
    }
}

/// Issue 23 (the interpreter's speed on loop nodes): a loop body's inputs stay in fixed slots
/// (the free values written once per run, the state and the windows per iteration), so a body
/// whose state comes back swapped, whose free values are read after many temporaries, and that
/// reads windows of two sizes must still give the plain `f64` loop bit for bit, at points other
/// than the recording point, for values and through the gradient graph (checked against the
/// gradient of the unrolled graph).
#[test]
fn loop_body_inputs_kept_in_fixed_slots_give_the_plain_loop_bit_for_bit() {
    fn f<T: Real>(x: &[T]) -> Vec<T> {
        let (a, b) = (x[0], x[1]);
        let seq = &x[4..];
        // the state (s0, s1) comes back swapped; a, b are free, b read after all temporaries
        let s = fold(&[x[2], x[3]], 5, |s| {
            let t = (s[0] * a).sin() + (s[1] - a).exp() * T::from(0.25).unwrap();
            vec![s[1], t.tanh() + b]
        });
        let m = sum_windows(seq, 3, 2, |w| w[0] * w[2] * a - w[1] * b + s[0]);
        vec![s[0], s[1], m]
    }
    let mut rng = Rng(23);
    let x0 = rng.vec(4 + 9);
    let g = Graph::record_vec(&x0, f);
    let grad = g.jacobian();
    let unrolled = g.unrolled().jacobian();
    let mut e = g.program().evaluator::<f64>();
    let mut eg = grad.program().evaluator::<f64>();
    let mut eu = unrolled.program().evaluator::<f64>();
    for _ in 0..5 {
        let x = rng.vec(4 + 9);
        assert!(same(&e.eval(&x).unwrap(), &f(&x)), "values at {x:?}");
        // twice with the same evaluator: nothing left over from the previous run
        assert!(
            same(&e.eval(&x).unwrap(), &f(&x)),
            "values at {x:?} (again)"
        );
        let (j, ju) = (eg.eval(&x).unwrap(), eu.eval(&x).unwrap());
        for (p, q) in j.iter().zip(&ju) {
            assert!(
                (p - q).abs() <= 1e-13 * q.abs().max(1.0),
                "{p} vs {q} at {x:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Issue 23: the gradient of a loop whose body branches panicked ("no variant of a loop body
// accepts iteration 1 at its recorded values (a bug)"): the reverse loop looked for the forward
// variant of its first iteration at zero windows instead of that iteration's row, because the
// body's fast path writes the windows straight to the evaluators' slots and left `input` without
// them. Each function below is checked against forward mode on `f64` (the data as constants),
// central differences, the unrolled graph and, with the `jit` feature, the compiled graph.

/// The example: a branch on the row's data (`r[1] > 0`).
fn branch_on_row<T: Real>(x: &[T], p: &[T]) -> T {
    x[0] + sum_map(p, 2, |r| {
        let z = x[0] * r[0] - r[1];
        if r[1] > 0.0 { z * z } else { z.abs() }
    })
}

/// A branch on a value the body captures (`x[0]`), not on the row.
fn branch_on_captured<T: Real>(x: &[T], p: &[T]) -> T {
    sum_map(p, 2, |r| {
        let z = x[0] * r[0] - r[1] * x[1];
        if x[0] > 0.0 {
            z * z * x[1]
        } else {
            (z * x[1]).sin()
        }
    })
}

/// A `scan` whose step branches on its state.
fn scan_branch_on_state<T: Real>(x: &[T], u: &[T]) -> T {
    let s = scan(&[x[0], x[1]], u, 1, |s, u| {
        if s[0] > 0.0 {
            vec![s[0] * 0.5 - u[0] * s[1], s[1] * 0.9 + u[0]]
        } else {
            vec![(s[0] * s[1]).sin() + u[0], s[1] - s[0] * 0.25]
        }
    });
    s[0] * s[1]
}

/// A `fold` whose step branches on its state.
fn fold_branch_on_state<T: Real>(x: &[T], _: &[T]) -> T {
    let s = fold(&[x[0], x[1]], 13, |s| {
        if s[0] > s[1] {
            vec![s[0] * 0.5 - s[1] * 0.25, s[1] * 1.1 + 0.1]
        } else {
            vec![s[0] * s[0] * 0.5 + s[1], s[1] * 0.75]
        }
    });
    s[0] + s[1] * s[1]
}

/// Forward mode on `f64` (`nilpotent::gradient`, or `nilpotent::hessian`), the data as constants.
macro_rules! forward {
    ($driver:ident, $f:ident, $x:expr, $p:expr) => {
        nilpotent::$driver(
            |x| {
                let p: Vec<_> = $p.iter().map(|&v| nilpotent::Literal::cst(v)).collect();
                $f(x, &p)
            },
            $x,
        )
    };
}

/// The gradient graph of `g` at (x, p) against forward mode's `want`, central differences of
/// `g`, the gradient of `u` (the function unrolled, recorded where its guards hold at p) and
/// the compiled gradient graph (bit for bit); `g`'s values against `u`'s, bit for bit (the same
/// operations in the same order).
fn check_branching_gradient(g: &Graph, u: &Graph, x: &[f64], p: &[f64], want: (f64, Vec<f64>)) {
    let grad = g.gradient();
    assert!(grad.has_loops(), "the gradient graph keeps the loops");
    let out = grad.eval_with(x, p).unwrap();
    assert!(
        close(out[0], want.0, 1e-14),
        "{} against {}",
        out[0],
        want.0
    );
    let fd = finite_differences(g, x, p);
    for j in 0..x.len() {
        assert!(
            close(out[1 + j], want.1[j], 1e-12),
            "∂{j}: {} against forward mode's {}",
            out[1 + j],
            want.1[j]
        );
        assert!(
            close(out[1 + j], fd[j], 1e-5),
            "∂{j}: {} against differences {}",
            out[1 + j],
            fd[j]
        );
    }
    assert!(same(
        &g.eval_with(x, p).unwrap(),
        &u.eval_with(x, p).unwrap()
    ));
    let ug = u.gradient().eval_with(x, p).unwrap();
    for j in 0..out.len() {
        assert!(close(out[j], ug[j], 1e-12), "{out:?} against {ug:?}");
    }
    #[cfg(feature = "jit")]
    assert!(same(
        &grad.compile().unwrap().eval_with(x, p).unwrap(),
        &out
    ));
}

/// The Hessian graph of `g` (the derivative of its gradient graph) at (x, p) against forward
/// mode's nested duals `want` and the unrolled graph's Hessian; compiled, bit for bit.
fn check_branching_hessian(
    g: &Graph,
    x: &[f64],
    p: &[f64],
    want: (f64, Vec<f64>, nalgebra::DMatrix<f64>),
) {
    let h = g.hessian();
    assert!(h.has_loops(), "the Hessian graph keeps the loops");
    let out = h.eval_with(x, p).unwrap();
    let n = x.len();
    assert!(
        close(out[0], want.0, 1e-14),
        "{} against {}",
        out[0],
        want.0
    );
    for j in 0..n {
        assert!(
            close(out[1 + j], want.1[j], 1e-12),
            "{out:?} against {want:?}"
        );
    }
    for a in 0..n {
        for b in 0..n {
            let v = out[1 + n + a * n + b];
            assert!(
                close(v, want.2[(a, b)], 1e-10),
                "∂²{a}{b}: {v} against forward mode's {}",
                want.2[(a, b)]
            );
        }
    }
    let hu = g.unrolled().hessian().eval_with(x, p).unwrap();
    for j in 0..out.len() {
        assert!(close(out[j], hu[j], 1e-12), "{out:?} against {hu:?}");
    }
    #[cfg(feature = "jit")]
    assert!(same(&h.compile().unwrap().eval_with(x, p).unwrap(), &out));
}

#[test]
fn gradient_of_a_loop_whose_body_branches_panicked() {
    let p = [2.0, 1.0, -0.5, 3.0];
    let g = Graph::record_with(&[0.5], &p, branch_on_row);
    for x in [[0.5], [-1.25], [3.0]] {
        check_branching_gradient(
            &g,
            &g.unrolled(),
            &x,
            &p,
            forward!(gradient, branch_on_row, &x, &p),
        );
    }
    // new rows, every one on the recorded path
    let q = [0.7, 0.2, -1.5, 2.5];
    check_branching_gradient(
        &g,
        &g.unrolled(),
        &[0.5],
        &q,
        forward!(gradient, branch_on_row, &[0.5], &q),
    );
}

#[test]
fn gradient_of_a_loop_whose_body_branches_panicked_with_rows_taking_both_branches() {
    let p = [2.0, 1.0, -0.5, -3.0, 1.5, 0.25, 0.75, -2.0];
    let g = Graph::record_with(&[0.5], &p, branch_on_row);
    for x in [[0.5], [-1.25], [3.0]] {
        check_branching_gradient(
            &g,
            &g.unrolled(),
            &x,
            &p,
            forward!(gradient, branch_on_row, &x, &p),
        );
    }
    // the first row (the reverse loop's last iteration) and the last one on the other path
    let p = [2.0, -1.0, -0.5, -3.0, 1.5, 0.25, 0.75, 2.0];
    let g = Graph::record_with(&[0.5], &p, branch_on_row);
    check_branching_gradient(
        &g,
        &g.unrolled(),
        &[0.5],
        &p,
        forward!(gradient, branch_on_row, &[0.5], &p),
    );
}

#[test]
fn gradient_of_a_loop_whose_body_branches_panicked_on_a_captured_value() {
    let p = [2.0, 1.0, -0.5, 3.0, 0.25, -1.0];
    for x in [[0.5, 1.5], [-0.75, 0.5]] {
        let g = Graph::record_with(&x, &p, branch_on_captured);
        check_branching_gradient(
            &g,
            &g.unrolled(),
            &x,
            &p,
            forward!(gradient, branch_on_captured, &x, &p),
        );
        // the captured value on the other side: no variant takes that path, an error
        let other = [-x[0], x[1]];
        for h in [g.clone(), g.gradient(), g.hessian()] {
            assert!(
                matches!(h.eval_with(&other, &p), Err(GraphError::LoopGuard { .. })),
                "{:?}",
                h.eval_with(&other, &p)
            );
        }
    }
}

#[test]
fn gradient_of_a_loop_whose_body_branches_panicked_in_scan_and_fold_on_the_state() {
    let u = [0.5, -1.0, 2.0, 0.25, -0.5, 1.5, -2.0, 0.75];
    for x in [[1.0, 0.5], [-0.5, 0.25], [0.2, -1.5]] {
        let g = Graph::record_with(&x, &u, scan_branch_on_state);
        check_branching_gradient(
            &g,
            &g.unrolled(),
            &x,
            &u,
            forward!(gradient, scan_branch_on_state, &x, &u),
        );
    }
    // every step on one path (the reverse loop's first iteration found no variant)
    let small = [0.01, 0.02, 0.005, 0.015, 0.01, 0.02, 0.01, 0.005];
    let x = [10.0, 0.1];
    let g = Graph::record_with(&x, &small, scan_branch_on_state);
    let want = forward!(gradient, scan_branch_on_state, &x, &small);
    check_branching_gradient(&g, &g.unrolled(), &x, &small, want);
    for x in [[1.0, 0.5], [0.25, 0.75], [-0.5, -0.25], [1e5, 0.0]] {
        let g = Graph::record_with(&x, &[], fold_branch_on_state);
        check_branching_gradient(
            &g,
            &g.unrolled(),
            &x,
            &[],
            forward!(gradient, fold_branch_on_state, &x, &[]),
        );
    }
}

#[test]
fn hessian_of_a_loop_whose_body_branches_panicked() {
    let p = [2.0, 1.0, -0.5, 3.0];
    let g = Graph::record_with(&[0.5], &p, branch_on_row);
    check_branching_hessian(&g, &[0.5], &p, forward!(hessian, branch_on_row, &[0.5], &p));
    let p = [2.0, 1.0, -0.5, -3.0, 1.5, 0.25, 0.75, -2.0];
    let g = Graph::record_with(&[0.5], &p, branch_on_row);
    check_branching_hessian(&g, &[0.5], &p, forward!(hessian, branch_on_row, &[0.5], &p));
    let x = [0.5, 1.5];
    let g = Graph::record_with(&x, &p, branch_on_captured);
    check_branching_hessian(&g, &x, &p, forward!(hessian, branch_on_captured, &x, &p));
    let u = [0.5, -1.0, 2.0, 0.25, -0.5, 1.5, -2.0, 0.75];
    for x in [[1.0, 0.5], [0.2, -1.5]] {
        let g = Graph::record_with(&x, &u, scan_branch_on_state);
        check_branching_hessian(&g, &x, &u, forward!(hessian, scan_branch_on_state, &x, &u));
    }
    let x = [1.0, 0.5];
    let g = Graph::record_with(&x, &[], fold_branch_on_state);
    check_branching_hessian(
        &g,
        &x,
        &[],
        forward!(hessian, fold_branch_on_state, &x, &[]),
    );
}

#[test]
fn gradient_of_a_loop_whose_body_branches_panicked_with_rows_switching_branches_at_evaluation() {
    // recorded with every row on one path: a row on the other is an error, never a number
    let p = [2.0, 1.0, -0.5, 3.0];
    let g = Graph::record_with(&[0.5], &p, branch_on_row);
    let (grad, hess) = (g.gradient(), g.hessian());
    for q in [[2.0, -1.0, -0.5, 3.0], [2.0, 1.0, -0.5, -3.0]] {
        for h in [&g, &grad, &hess] {
            assert!(
                matches!(h.eval_with(&[0.5], &q), Err(GraphError::LoopGuard { .. })),
                "{:?}",
                h.eval_with(&[0.5], &q)
            );
        }
        #[cfg(feature = "jit")]
        assert!(matches!(
            grad.compile().unwrap().eval_with(&[0.5], &q),
            Err(GraphError::LoopGuard { .. })
        ));
    }
    // recorded with both paths: rows may switch, each takes its own variant
    let p = [2.0, 1.0, -0.5, -3.0, 1.5, 0.25];
    let g = Graph::record_with(&[0.5], &p, branch_on_row);
    let hess = g.hessian();
    for q in [
        [2.0, -1.0, -0.5, 3.0, 1.5, -0.25],
        [0.5, 2.0, 0.25, 1.0, -1.0, 0.5],
        [-1.0, -2.0, 1.0, -0.5, 0.75, -1.5],
    ] {
        for x in [[0.5], [-1.5]] {
            let u = Graph::record_with(&x, &q, branch_on_row).unrolled();
            check_branching_gradient(&g, &u, &x, &q, forward!(gradient, branch_on_row, &x, &q));
            let want: (f64, Vec<f64>, nalgebra::DMatrix<f64>) =
                forward!(hessian, branch_on_row, &x, &q);
            let out = hess.eval_with(&x, &q).unwrap();
            assert!(
                close(out[2], want.2[(0, 0)], 1e-10),
                "{out:?} against {want:?}"
            );
        }
    }
}

#[test]
fn gradient_of_a_checkpointed_loop_whose_body_branches_panicked() {
    let u: Vec<f64> = (0..24).map(|k| ((k * 7 % 11) as f64 - 5.0) * 0.3).collect();
    for x in [[1.0, 0.5], [-0.5, 0.25], [0.2, -1.5]] {
        let g = Graph::record_with(&x, &u, scan_branch_on_state);
        let want = forward!(gradient, scan_branch_on_state, &x, &u);
        for k in [2, 5] {
            let c = g.with_checkpoints(k);
            assert!(same(
                &c.eval_with(&x, &u).unwrap(),
                &g.eval_with(&x, &u).unwrap()
            ));
            check_branching_gradient(&c, &g.unrolled(), &x, &u, want.clone());
            let want_h = forward!(hessian, scan_branch_on_state, &x, &u);
            check_branching_hessian(&c, &x, &u, want_h);
        }
    }
    for x in [[1.0, 0.5], [-0.5, -0.25]] {
        let g = Graph::record_with(&x, &[], fold_branch_on_state);
        let c = g.with_checkpoints(3);
        assert!(same(
            &c.eval_with(&x, &[]).unwrap(),
            &g.eval_with(&x, &[]).unwrap()
        ));
        check_branching_gradient(
            &c,
            &g.unrolled(),
            &x,
            &[],
            forward!(gradient, fold_branch_on_state, &x, &[]),
        );
    }
}

/// Nested loops with branches: a `sum_map` whose body branches on its row inside a `scan` step
/// that branches on its state.
fn nested_branches<T: Real>(x: &[T], xs: &[T]) -> T {
    let s = scan(&[x[0]], xs, 4, |s, row| {
        let inner = sum_map(row, 2, |v| {
            let z = v[0] * x[1] + s[0];
            if v[1] > 0.0 { z.sin() } else { z * z * 0.5 }
        });
        if s[0] > 0.0 {
            vec![s[0] * 0.5 + inner]
        } else {
            vec![inner - s[0] * s[0]]
        }
    });
    s[0]
}

#[test]
fn gradient_of_nested_loops_whose_bodies_branch_panicked() {
    // every inner row on one path, and rows on both
    for xs in [
        [
            0.5, 1.0, -0.25, 2.0, 0.75, 0.5, 1.5, 0.25, -1.0, 3.0, 0.2, 1.0,
        ],
        [
            0.5, 1.0, -0.25, -2.0, 0.75, 0.5, 1.5, -0.25, -1.0, 3.0, 0.2, -1.0,
        ],
    ] {
        for x in [[0.5, 1.5], [-0.75, 0.5]] {
            let g = Graph::record_with(&x, &xs, nested_branches);
            check_branching_gradient(
                &g,
                &g.unrolled(),
                &x,
                &xs,
                forward!(gradient, nested_branches, &x, &xs),
            );
            check_branching_hessian(&g, &x, &xs, forward!(hessian, nested_branches, &x, &xs));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Issue 23, "Rosenbrock gradient with the sum written over windows of x: node count independent
// of n": the reverse of a loop over overlapping windows returned each iteration's window adjoints
// as stacked results and added the overlapping ones outside the loop (one addition per input,
// 3n − 1 operations); it now adds them inside the reverse loop into one array per sequence (the
// transpose of the window read), starting from −0, in the order the reverse loop runs (the last
// window first).

/// A body that reads every entry of its window several times and couples them (nonlinear), for
/// windows of any size.
fn window_body<T: Real>(w: &[T]) -> T {
    let last = w[w.len() - 1];
    let mut acc = (w[0] * w[0] - last).sin();
    for (j, &v) in w.iter().enumerate() {
        acc = acc + (v * (j as f64 + 0.5)).cos() * w[0] + v * v;
    }
    acc
}

/// The window shapes under test: (size, stride) and an input length they tile.
const WINDOW_SHAPES: [(usize, usize, usize); 8] = [
    (2, 1, 7), // Rosenbrock's: overlapping by one
    (3, 1, 7), // a stencil of 3
    (3, 2, 7), // a stencil of 3, stride 2 (overlapping by one)
    (2, 2, 8), // stride = size: no overlap
    (2, 3, 8), // stride > size: an entry in no window (its adjoint zero)
    (1, 1, 5), // windows of one entry
    (1, 2, 7), // windows of one entry, every other entry
    (3, 3, 9), // stride = size = 3
];

/// The functions under test, by case: `0..8` a window shape of [`WINDOW_SHAPES`] over the inputs
/// (case 0: Rosenbrock); 8: Rosenbrock with its constants as parameters; 9: windows of 3 over
/// the parameters, the inputs captured; 10: windows of 3 over a sequence interleaving inputs and
/// parameters, one input also captured; 11: Rosenbrock plus a product of two inputs (adjoints from
/// outside the loop too).
fn windows_case<T: Real>(case: usize, x: &[T], p: &[T]) -> T {
    match case {
        0 => rosenbrock(x),
        1..8 => {
            let (size, stride, _) = WINDOW_SHAPES[case];
            sum_windows(x, size, stride, window_body)
        }
        8 => sum_windows(x, 2, 1, |w| {
            (w[1] - w[0] * w[0]).powi(2) * p[0] + (p[1] - w[0]).powi(2)
        }),
        9 => sum_windows(p, 3, 2, |w| (x[0] * w[0] + x[1] * w[1] * w[2]).tanh()),
        10 => {
            let seq: Vec<T> = x.iter().zip(p).flat_map(|(&a, &b)| [a, b]).collect();
            sum_windows(&seq, 3, 1, |w| window_body(w) * x[0])
        }
        11 => rosenbrock(x) + x[1] * x[2],
        _ => unreachable!(),
    }
}

/// (inputs, parameters) lengths of each case of [`windows_case`].
fn windows_case_len(case: usize) -> (usize, usize) {
    match case {
        0..8 => (WINDOW_SHAPES[case].2, 0),
        8 => (6, 2),
        9 => (2, 9),
        10 => (4, 4),
        11 => (5, 0),
        _ => unreachable!(),
    }
}

#[test]
fn gradient_of_a_loop_over_overlapping_windows_has_a_node_count_independent_of_n() {
    // the gradient's operations besides its outputs' reads of the loops' results (each output
    // is a node): the forward loop, its sum, the reverse loop — whatever n
    for (size, stride) in [(2, 1), (3, 1), (3, 2)] {
        let mut counts = Vec::new();
        for n in [10, 1000, 100_000] {
            // the nearest length the windows tile
            let n = size + (n - size) / stride * stride;
            let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.01 * (i % 7) as f64).collect();
            let g = if (size, stride) == (2, 1) {
                Graph::record(&x, rosenbrock)
            } else {
                Graph::record(&x, |x| sum_windows(x, size, stride, window_body))
            };
            let grad = g.gradient();
            assert!(grad.has_loops());
            assert_eq!(grad.num_outputs(), n + 1);
            counts.push(grad.len() - grad.num_outputs());
            if n < 20 {
                // against the unrolled gradient (a check that the count is of a right graph)
                let want = g.unrolled().gradient().eval(&x).unwrap();
                let got = grad.eval(&x).unwrap();
                for j in 0..got.len() {
                    assert!(close(got[j], want[j], 1e-13), "{got:?} against {want:?}");
                }
            }
        }
        assert_eq!(
            counts[0], counts[1],
            "windows of {size} step {stride}: {counts:?}"
        );
        assert_eq!(
            counts[1], counts[2],
            "windows of {size} step {stride}: {counts:?}"
        );
        assert!(
            counts[0] <= 3,
            "windows of {size} step {stride}: {counts:?}"
        );
    }
}

/// The points of a case: the recording point (random), random points and the special points 0,
/// 1 and −1 (the parameters random).
fn windows_points(rng: &mut Rng, case: usize) -> Vec<(Vec<f64>, Vec<f64>)> {
    let (n, np) = windows_case_len(case);
    let mut pts = vec![(rng.vec(n), rng.vec(np)), (rng.vec(n), rng.vec(np))];
    for v in [0.0, 1.0, -1.0] {
        pts.push((vec![v; n], rng.vec(np)));
    }
    pts
}

#[test]
fn gradient_of_a_loop_over_overlapping_windows_agrees_with_the_tape_and_differences() {
    let mut rng = Rng(71);
    for case in 0..12 {
        let pts = windows_points(&mut rng, case);
        let (x0, p0) = &pts[0];
        let g = Graph::record_with(x0, p0, |x, p| windows_case(case, x, p));
        let grad = g.gradient();
        let u = grad.unrolled();
        for (x, p) in &pts {
            // the tape, central differences and the unrolled function's gradient
            check_gradient(&g, |x, p| windows_case(case, x, p), x, p);
            // the unrolled gradient graph: the same operations in the same order, bit for bit
            let out = grad.eval_with(x, p).unwrap();
            assert!(
                same(&out, &u.eval_with(x, p).unwrap()),
                "case {case} at {x:?}"
            );
            if let Some(&(size, stride, n)) = WINDOW_SHAPES.get(case)
                && stride > size
            {
                // an entry in no window: its adjoint is exactly +0 (a structural zero)
                for e in (0..n).filter(|e| e % stride >= size) {
                    assert_eq!(
                        out[1 + e].to_bits(),
                        0.0f64.to_bits(),
                        "case {case}, x[{e}]"
                    );
                }
            }
        }
    }
}

/// Where the reverse loop adds the overlapping windows' adjoints in the order of the unrolled
/// gradient — the last window first, each window's single contribution to an entry as the
/// unrolled sweep makes it — the two gradients are equal bit for bit: Rosenbrock (its window's
/// second entry is read once) and a window of one entry.
#[test]
fn gradient_of_rosenbrock_over_windows_equals_the_unrolled_gradient_bit_for_bit() {
    let mut rng = Rng(73);
    for case in [0, 5, 6] {
        let pts = windows_points(&mut rng, case);
        let g = Graph::record_with(&pts[0].0, &pts[0].1, |x, p| windows_case(case, x, p));
        let (grad, ugrad) = (g.gradient(), g.unrolled().gradient());
        for (x, p) in &pts {
            let (a, b) = (
                grad.eval_with(x, p).unwrap(),
                ugrad.eval_with(x, p).unwrap(),
            );
            assert!(same(&a, &b), "case {case} at {x:?}: {a:?} against {b:?}");
        }
    }
}

#[test]
fn hessian_of_a_loop_over_overlapping_windows_agrees_with_the_tape_and_differences() {
    use nilpotent::Literal;
    let mut rng = Rng(79);
    for case in 0..12 {
        let pts = windows_points(&mut rng, case);
        let (x0, p0) = &pts[0];
        let g = Graph::record_with(x0, p0, |x, p| windows_case(case, x, p));
        let (grad, h) = (g.gradient(), g.hessian());
        assert!(h.has_loops(), "case {case}");
        let (hu, uh) = (h.unrolled(), g.unrolled().hessian());
        let n = x0.len();
        for (x, p) in &pts {
            let out = h.eval_with(x, p).unwrap();
            // the unrolled Hessian graph bit for bit, the unrolled function's Hessian to rounding
            assert!(same(&out, &hu.eval_with(x, p).unwrap()), "case {case}");
            let want_u = uh.eval_with(x, p).unwrap();
            // the tape (forward over reverse), the data as constants
            let (v, gt, ht) = reverse::hessian(
                |x| {
                    let p: Vec<_> = p.iter().map(|&v| Literal::cst(v)).collect();
                    windows_case(case, x, &p)
                },
                x,
            );
            assert!(close(out[0], v, 1e-14), "case {case}");
            for i in 0..n {
                assert!(close(out[1 + i], gt[i], 1e-12), "case {case}: ∂{i}");
                // central differences of the gradient graph along x[j]
                let hj = 1e-6;
                for j in 0..n {
                    let hij = out[1 + n + i * n + j];
                    assert!(
                        close(hij, ht[(i, j)], 1e-11),
                        "case {case}: H[{i}][{j}] {hij} against the tape's {}",
                        ht[(i, j)]
                    );
                    assert!(close(hij, want_u[1 + n + i * n + j], 1e-12), "case {case}");
                    let (mut a, mut b) = (x.clone(), x.clone());
                    a[j] += hj;
                    b[j] -= hj;
                    let fd = (grad.eval_with(&a, p).unwrap()[1 + i]
                        - grad.eval_with(&b, p).unwrap()[1 + i])
                        / (2.0 * hj);
                    assert!(
                        close(hij, fd, 1e-5),
                        "case {case}: H[{i}][{j}] {hij} against differences {fd}"
                    );
                }
            }
        }
    }
}

/// The gradient and Hessian graphs of the window cases in the JIT: the interpreter's results bit
/// for bit (the Rust-driven loop adds the windows into the arrays in the interpreter's order).
#[cfg(feature = "jit")]
#[test]
fn the_jit_adds_overlapping_windows_adjoints_as_the_interpreter_bit_for_bit() {
    let mut rng = Rng(83);
    for case in 0..12 {
        let pts = windows_points(&mut rng, case);
        let g = Graph::record_with(&pts[0].0, &pts[0].1, |x, p| windows_case(case, x, p));
        for d in [g.gradient(), g.hessian()] {
            let c = d.compile().unwrap();
            // the loops, arrays of window adjoints included, are written in the code
            assert_eq!(
                c.loops_in_code().1,
                0,
                "case {case}: a loop through the call"
            );
            for (x, p) in &pts {
                let (a, b) = (c.eval_with(x, p).unwrap(), d.eval_with(x, p).unwrap());
                assert!(same(&a, &b), "case {case} at {x:?}: {a:?} against {b:?}");
            }
        }
    }
}

/// Sparsity through a reverse loop's scattered windows: the Jacobian pattern of a gradient graph
/// (each entry of the arrays depends on every window added into it) is the unrolled gradient's,
/// for every window shape; and the Hessian plan of Rosenbrock over windows still finds 3 colours
/// (tridiagonal) with its values those of the Hessian graph.
#[test]
fn sparsity_pattern_of_a_gradient_graph_sees_through_its_scattered_windows() {
    use nilpotent::sparse::{HessianPlan, jacobian_pattern};
    let mut rng = Rng(89);
    for case in 0..12 {
        let pts = windows_points(&mut rng, case);
        let g = Graph::record_with(&pts[0].0, &pts[0].1, |x, p| windows_case(case, x, p));
        let (p, pu) = (
            jacobian_pattern(&g.gradient()),
            jacobian_pattern(&g.unrolled().gradient()),
        );
        assert_eq!(
            p.entries().collect::<Vec<_>>(),
            pu.entries().collect::<Vec<_>>(),
            "case {case}"
        );
    }
    let x = rng.vec(40);
    let g = Graph::record(&x, rosenbrock);
    let mut plan = HessianPlan::new(&g);
    assert_eq!(plan.colouring().num_colours(), 3);
    let (_, _, h) = plan.eval(&x).unwrap();
    let hd = g.hessian().eval(&x).unwrap();
    for (i, j, &hij) in h.triplet_iter() {
        assert!(close(hij, hd[1 + 40 + i * 40 + j], 1e-12));
    }
}

/// Forward mode over gradient graphs whose reverse loops add windows into arrays: dual numbers
/// through the arrays (which start at −0 in the value and in every tangent, the additive identity
/// of a dual number) give the unrolled gradient graph's values bit for bit and its tangents equal
/// (`==`). Not bit for bit in the tangents: in the loop the reverse body multiplies by the sum's
/// adjoint λ = 1 as a value (`d ⊙ λ`, whose tangent `d′ ⊙ 1 + d ⊙ 0` is +0 where `d′` is −0),
/// where the unrolled graph has folded the constant 1 away (`d′` kept as −0).
#[test]
fn forward_mode_over_a_gradient_with_scattered_windows_equals_its_unrolled_graph() {
    use nilpotent::Dual;
    let mut rng = Rng(97);
    for case in [0, 1, 2, 4, 6, 10, 11] {
        let pts = windows_points(&mut rng, case);
        let g = Graph::record_with(&pts[0].0, &pts[0].1, |x, p| windows_case(case, x, p));
        let grad = g.gradient();
        let u = grad.unrolled();
        let mut e = grad.program().evaluator::<Dual<f64, 2>>();
        let mut eu = u.program().evaluator::<Dual<f64, 2>>();
        for (x, p) in &pts {
            // two directions: every other input, and −x[1] (tangents of either sign, and zeros)
            let xd: Vec<Dual<f64, 2>> = x
                .iter()
                .enumerate()
                .map(|(j, &v)| {
                    let d0 = if j % 2 == 0 { 1.0 } else { 0.0 };
                    let d1 = if j == 1 { -1.0 } else { -0.0 };
                    Dual::new(v, [d0, d1])
                })
                .collect();
            let pd: Vec<Dual<f64, 2>> = p.iter().map(|&v| Dual::constant(v)).collect();
            let (a, b) = (
                e.eval_with(&xd, &pd).unwrap(),
                eu.eval_with(&xd, &pd).unwrap(),
            );
            for (a, b) in a.iter().zip(&b) {
                assert!(
                    same(&[a.re], &[b.re]) && a.eps == b.eps,
                    "case {case} at {x:?}: {a:?} against {b:?}"
                );
            }
        }
    }
}

/// A reverse loop with a state and an array of window adjoints (the reverse of a `scan` over
/// inputs), replayed for the Hessian with its states stacked before its arrays (whose results then
/// move): the Hessian against the tape (forward over reverse), central differences of the
/// gradient graph and the unrolled Hessian graph (bit for bit), at random and special points.
#[test]
fn hessian_of_a_scan_over_inputs_reverses_a_loop_with_a_state_and_window_adjoints() {
    fn f<T: Real>(x: &[T]) -> T {
        let s = driven(&[x[0], x[1], x[2]], &x[3..]);
        s[0] * s[1]
    }
    let mut rng = Rng(101);
    let n = 3 + 2 * 4;
    let g = Graph::record(&rng.vec(n), f);
    let (grad, h) = (g.gradient(), g.hessian());
    assert!(h.has_loops());
    let hu = h.unrolled();
    for x in [
        rng.vec(n),
        rng.vec(n),
        vec![0.0; n],
        vec![1.0; n],
        vec![-1.0; n],
    ] {
        let out = h.eval(&x).unwrap();
        assert!(same(&out, &hu.eval(&x).unwrap()));
        let (v, gt, ht) = reverse::hessian(f, &x);
        assert!(close(out[0], v, 1e-14));
        for i in 0..n {
            assert!(close(out[1 + i], gt[i], 1e-12), "∂{i}");
            for j in 0..n {
                let hij = out[1 + n + i * n + j];
                assert!(
                    close(hij, ht[(i, j)], 1e-11),
                    "H[{i}][{j}] {hij} against {}",
                    ht[(i, j)]
                );
                let e = 1e-6;
                let (mut a, mut b) = (x.clone(), x.clone());
                a[j] += e;
                b[j] -= e;
                let fd =
                    (grad.eval(&a).unwrap()[1 + i] - grad.eval(&b).unwrap()[1 + i]) / (2.0 * e);
                assert!(
                    close(hij, fd, 1e-5),
                    "H[{i}][{j}] {hij} against differences {fd}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// a gradient runs a sum over rows once: the reverse loop keeps the values, a loop adds them up

/// The loop nodes of `g` (not of its bodies) that read windows of `width` of the values listed,
/// counted in its listing.
fn loops_reading_windows_of(g: &Graph, width: usize) -> usize {
    g.to_string()
        .lines()
        .filter(|l| {
            l.starts_with('v') && l.contains(&format!("windows of {width} step {width} of ["))
        })
        .count()
}

/// The function value, gradient and Hessian checks of a fused gradient graph: the value is the
/// function graph's bit for bit (the sums are added in the same order), the gradient the tape's
/// to rounding and central differences', and the Jacobian of the gradient graph (a sweep that
/// goes back through the loop adding up the kept values) is the gradient, then the Hessian.
fn check_fused(
    g: &Graph,
    f: impl Fn(&[reverse::Var<f64>], &[reverse::Var<f64>]) -> reverse::Var<f64>,
    x: &[f64],
    p: &[f64],
) {
    let grad = g.gradient();
    let want = g.eval_with(x, p).unwrap()[0];
    let out = grad.eval_with(x, p).unwrap();
    assert!(
        same(&out[..1], &[want]),
        "{} against the function's {want}",
        out[0]
    );
    #[cfg(feature = "jit")]
    {
        let jit = grad.compile().unwrap().eval_with(x, p).unwrap();
        assert!(same(&jit, &out), "JIT {jit:?} against {out:?}");
    }
    if !want.is_finite() {
        return;
    }
    gradient_is_the_tapes_and_differences(g, &f, x, p, &out[1..]);
    let n = x.len();
    let jac = grad.jacobian().eval_with(x, p).unwrap();
    let hess = g.hessian().eval_with(x, p).unwrap();
    let m = 1 + n; // the gradient graph's outputs: [f, ∇f]
    assert!(same(&jac[..m], &out), "{:?} against {out:?}", &jac[..m]);
    for j in 0..n {
        // row 0 of the Jacobian: ∂f/∂x through the loop adding up the kept values
        assert!(
            close(jac[m + j], out[1 + j], 1e-12),
            "{} against {}",
            jac[m + j],
            out[1 + j]
        );
        for i in 0..n {
            let (a, b) = (jac[m + (1 + i) * n + j], hess[1 + n + i * n + j]);
            assert!(close(a, b, 1e-12), "H[{i}][{j}]: {a} against {b}");
        }
    }
}

#[test]
fn a_gradient_runs_a_sum_map_once_and_its_value_is_the_functions_bit_for_bit() {
    let mut rng = Rng(71);
    let d = 4;
    let rows = data(&mut rng, 40, d);
    // the loss alone, plus a term of its own, times a weight: the sum's adjoint does not depend
    // on the sum, so one loop over the rows
    fn plus<T: Real>(w: &[T], rows: &[T]) -> T {
        logistic(w, rows) + w[0] * w[1]
    }
    fn times<T: Real>(w: &[T], rows: &[T]) -> T {
        logistic(w, rows) * w[2]
    }
    let points = [
        rng.vec(d),
        vec![0.0; d],
        vec![1.0, -1.0, 1.0, -1.0],
        vec![-0.0, 0.5, -0.5, 2.0],
    ];
    for (name, f) in [
        (
            "logistic",
            logistic::<nilpotent::graph::Sym> as fn(&[_], &[_]) -> _,
        ),
        ("plus", plus),
        ("times", times),
    ] {
        let g = Graph::record_with(&points[0], &rows, f);
        let grad = g.gradient();
        assert_eq!(loops_reading_windows_of(&g, d + 1), 1, "{name}");
        assert_eq!(
            loops_reading_windows_of(&grad, d + 1),
            1,
            "{name}: one loop over the rows:\n{grad}"
        );
        let fv = match name {
            "logistic" => logistic::<reverse::Var<f64>>,
            "plus" => plus,
            _ => times,
        };
        for x in &points {
            check_fused(&g, fv, x, &rows);
        }
        // a NaN datum: the value is NaN in both
        let mut bad = rows.clone();
        bad[3] = f64::NAN;
        check_fused(&g, fv, &points[0], &bad);
    }
}

#[test]
fn a_sum_whose_adjoint_depends_on_it_keeps_its_forward_loop() {
    // ln(Σ …): the sum's adjoint is 1/Σ, computed from the forward loop's result, which the
    // reverse loop then reads; so the forward loop stays
    fn log_loss<T: Real>(w: &[T], rows: &[T]) -> T {
        logistic(w, rows).ln()
    }
    let mut rng = Rng(73);
    let d = 3;
    let rows = data(&mut rng, 25, d);
    let x = rng.vec(d);
    let g = Graph::record_with(&x, &rows, log_loss);
    let grad = g.gradient();
    assert_eq!(loops_reading_windows_of(&grad, d + 1), 2, "{grad}");
    check_fused(&g, log_loss, &x, &rows);
    check_fused(&g, log_loss, &[0.0, 1.0, -1.0], &rows);
}

#[test]
fn sums_over_rows_that_are_inputs_and_over_windows_run_once_in_a_gradient() {
    let mut rng = Rng(79);
    // the rows are the inputs: every row gets its adjoint, and the value is the function's
    let g = Graph::record(&rng.vec(12), |x| {
        sum_map(x, 3, |r| (r[0] * r[1]).sin() + r[2] * r[2] * r[0])
    });
    assert_eq!(loops_reading_windows_of(&g.gradient(), 3), 1);
    let on_rows = |x: &[reverse::Var<f64>], _: &[reverse::Var<f64>]| {
        sum_map(x, 3, |r| (r[0] * r[1]).sin() + r[2] * r[2] * r[0])
    };
    for x in [rng.vec(12), vec![0.0; 12], vec![1.0; 12], vec![-1.0; 12]] {
        check_fused(&g, on_rows, &x, &[]);
    }
    // overlapping windows (Rosenbrock) and two sums in one function
    let two = |x: &[reverse::Var<f64>], _: &[reverse::Var<f64>]| {
        rosenbrock(x) + sum_map(x, 2, |r| r[0] * r[1].exp())
    };
    let g = Graph::record(&rng.vec(6), |x| {
        rosenbrock(x) + sum_map(x, 2, |r| r[0] * r[1].exp())
    });
    let listing = g.gradient().to_string();
    let forward = listing
        .lines()
        .filter(|l| l.starts_with('v') && l.contains(" = loop") && !l.contains("reversed"))
        .count();
    // two loops adding up kept values, no forward loop over the inputs
    assert_eq!(forward, 2, "{listing}");
    assert_eq!(listing.matches("of the results of").count(), 2, "{listing}");
    for x in [
        rng.vec(6),
        vec![0.0; 6],
        vec![1.0; 6],
        vec![-1.0, 1.0, -1.0, 1.0, 0.0, -0.0],
    ] {
        check_fused(&g, two, &x, &[]);
    }
}

#[test]
fn two_sums_whose_adjoints_need_each_others_value_are_not_both_run_once() {
    // a·b + a: a's adjoint is b + 1 and b's is a, so at most one of them can take its value from
    // its reverse loop (both would make each reverse loop wait on the other's)
    fn two<T: Real>(x: &[T], p: &[T]) -> T {
        let a = sum_windows(x, 3, 2, |w| w[0] * w[1] - (w[2] * p[0]).exp());
        let b = sum_windows(p, 2, 3, |w| (w[0] * x[0] + w[1]).tanh());
        a * b + a
    }
    let mut rng = Rng(83);
    let (x, p) = (rng.vec(9), rng.vec(8));
    let g = Graph::record_with(&x, &p, two);
    let listing = g.gradient().to_string();
    assert_eq!(listing.matches("of the results of").count(), 1, "{listing}");
    for x in [rng.vec(9), vec![0.0; 9], vec![1.0; 9], vec![-1.0; 9]] {
        check_fused(&g, two, &x, &p);
    }
}

#[test]
fn hessian_of_a_fold_and_a_scan_has_a_node_count_independent_of_the_steps() {
    // the adjoints of the states come back from the reverse of the gradient's reverse loop as an
    // array, read where it is: the Hessian graph is the same size for 5, 50 and 500 steps
    let mut rng = Rng(89);
    let mut sizes = Vec::new();
    for k in [5, 50, 500] {
        // (points where the map converges: the derivatives stay finite over 500 steps)
        let g = Graph::record(&[2.5, 0.4], |p| logistic_map(p[0], p[1], k));
        let h = g.hessian();
        sizes.push(h.len());
        // against nested dual numbers and the unrolled graph's Hessian
        let nested = |x: &[f64]| nilpotent::hessian(|x| logistic_map(x[0], x[1], k), x);
        let hu = g.unrolled().hessian();
        for x in [[2.5, 0.4], [2.0, 0.5], [1.0, 0.0], [0.0, 1.0], [-0.5, 0.3]] {
            let out = h.eval(&x).unwrap();
            let u = hu.eval(&x).unwrap();
            let (_, _, nh) = nested(&x);
            for i in 0..2 {
                for j in 0..2 {
                    let (a, b) = (out[3 + i * 2 + j], nh[(i, j)]);
                    assert!(close(a, b, 1e-9), "k = {k}, H[{i}][{j}]: {a} against {b}");
                }
            }
            for (a, b) in out.iter().zip(&u) {
                assert!(
                    close(*a, *b, 1e-9),
                    "k = {k}: {out:?} against the unrolled {u:?}"
                );
            }
        }
    }
    assert!(sizes.iter().all(|&s| s == sizes[0]), "fold: {sizes:?}");
    // a scan of two states over data (the parameters), its final states summed
    let mut sizes = Vec::new();
    for k in [4, 40, 400] {
        let u = rng.vec(2 * k);
        let f = |p: &[_], u: &[_]| {
            let s = driven(p, u);
            s[0] * s[1] + s[0]
        };
        let g = Graph::record_with(&[0.3, -0.2, 0.5], &u, f);
        let h = g.hessian();
        sizes.push(h.len());
        let hu = g.unrolled().hessian();
        for p in [rng.vec(3), vec![0.0; 3], vec![1.0, -1.0, 0.5]] {
            let (a, b) = (h.eval_with(&p, &u).unwrap(), hu.eval_with(&p, &u).unwrap());
            for (x, y) in a.iter().zip(&b) {
                assert!(
                    close(*x, *y, 1e-9),
                    "k = {k}: {a:?} against the unrolled {b:?}"
                );
            }
            // and a third derivative through it: the Hessian graph's gradient of H₀₀ against
            // central differences of H₀₀
            let h00 = |p: &[f64]| h.eval_with(p, &u).unwrap()[4];
            let g3 = Graph::record_with(&p, &u, |x, q| {
                let s = driven(x, q);
                s[0] * s[1] + s[0]
            })
            .hessian();
            let t = g3.jacobian().eval_with(&p, &u).unwrap();
            let m = g3.num_outputs();
            for j in 0..3 {
                let hstep = 1e-5;
                let (mut a, mut b) = (p.clone(), p.clone());
                a[j] += hstep;
                b[j] -= hstep;
                let fd = (h00(&a) - h00(&b)) / (2.0 * hstep);
                // row of output 4 (H₀₀) of the Jacobian of the Hessian graph
                let d = t[m + 4 * 3 + j];
                assert!(close(d, fd, 1e-5), "k = {k}: ∂H₀₀/∂p{j} {d} against {fd}");
            }
        }
    }
    assert!(sizes.iter().all(|&s| s == sizes[0]), "scan: {sizes:?}");
}
