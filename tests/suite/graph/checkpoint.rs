//! Issue "Loops as loops", item 5: checkpointing of folds and scans in graph-mode reverse.
//! `Graph::with_checkpoints(k)` splits a fold into segments; its derivative graphs store one
//! state per segment and recompute a segment's states in reverse. Checked against the stored
//! reverse (the derivative of the graph as recorded: bit for bit in the values and the state's
//! adjoints), against the tape and finite differences, and the values held by loops bounded.

use nilpotent::graph::Graph;
use nilpotent::{Real, fold, reverse, scan};

/// Bitwise equality.
fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

const STEPS: usize = 37; // prime: no segment length divides it (but 1 and 37)
const KS: [usize; 8] = [1, 2, 3, 5, 6, 12, 37, 100];

/// A nonlinear two-state recurrence with two parameters; inputs [x0, y0, a, b].
fn fold_fn<T: Real>(p: &[T]) -> T {
    let (a, b) = (p[2], p[3]);
    let s = fold(&[p[0], p[1]], STEPS, |s| {
        vec![
            s[0] + (a * s[1] - s[0] * s[0] * 0.1) * 0.05,
            s[1] + (b * s[0].sin() - s[1]) * 0.05,
        ]
    });
    s[0] * s[1] + s[0]
}

/// A scan over inputs: state x ← tanh(a·x + u_k); inputs [x0, a, u_0 … u_{STEPS-1}].
fn scan_fn<T: Real>(p: &[T]) -> T {
    let a = p[1];
    scan(&[p[0]], &p[2..], 1, |s, u| vec![(a * s[0] + u[0]).tanh()])[0]
}

fn points(n: usize) -> Vec<Vec<f64>> {
    (0..3)
        .map(|j| {
            (0..n)
                .map(|i| 0.3 + 0.2 * ((i * 7 + j * 3) % 5) as f64 - 0.1 * j as f64)
                .collect()
        })
        .collect()
}

fn finite_difference(f: impl Fn(&[f64]) -> f64, x: &[f64], i: usize) -> f64 {
    let h = 1e-6;
    let (mut a, mut b) = (x.to_vec(), x.to_vec());
    a[i] += h;
    b[i] -= h;
    (f(&a) - f(&b)) / (2.0 * h)
}

/// The checks shared by the fold and the scan: `state` inputs are those whose adjoints pass
/// through the state only (bit for bit), the others are summed over the iterations.
fn check(g: &Graph, f: impl Fn(&[f64]) -> f64, tape: impl Fn(&[f64]) -> Vec<f64>, state: &[usize]) {
    let n = g.num_inputs();
    let stored = g.gradient();
    for k in KS {
        let c = g.with_checkpoints(k);
        assert!(c.has_loops());
        let cg = c.gradient();
        for x in points(n) {
            let v = g.eval(&x).unwrap();
            assert!(same(&c.eval(&x).unwrap(), &v), "k = {k}: values differ");
            let (s, q) = (stored.eval(&x).unwrap(), cg.eval(&x).unwrap());
            assert_eq!(s[0].to_bits(), q[0].to_bits(), "k = {k}: value");
            if k == 1 || k >= STEPS {
                // one segment, or segments of one step: the sums are added in the same order
                assert!(
                    same(&q, &s),
                    "k = {k}: gradient differs from the stored reverse's"
                );
            }
            let t = tape(&x);
            for i in 0..n {
                if state.contains(&i) {
                    assert_eq!(s[1 + i].to_bits(), q[1 + i].to_bits(), "k = {k}: ∂/∂x{i}");
                }
                assert!(
                    close(q[1 + i], s[1 + i], 1e-13),
                    "k = {k}: ∂/∂x{i} {} vs {}",
                    q[1 + i],
                    s[1 + i]
                );
                assert!(close(q[1 + i], t[i], 1e-12), "k = {k}: ∂/∂x{i} vs tape");
                let fd = finite_difference(&f, &x, i);
                assert!(
                    close(q[1 + i], fd, 1e-6),
                    "k = {k}: ∂/∂x{i} {} vs fd {fd}",
                    q[1 + i]
                );
            }
        }
    }
}

#[test]
fn checkpointed_fold_gradient_equals_stored_reverse_tape_and_finite_differences() {
    let g = Graph::record(&[0.5, 0.4, 1.0, 0.7], fold_fn);
    let tape = |x: &[f64]| reverse::gradient(fold_fn, x).1;
    check(&g, fold_fn::<f64>, tape, &[0, 1]);
}

#[test]
fn checkpointed_scan_gradient_equals_stored_reverse_tape_and_finite_differences() {
    let x0: Vec<f64> = (0..STEPS + 2).map(|i| 0.1 * (i % 4) as f64 + 0.2).collect();
    let g = Graph::record(&x0, scan_fn);
    let tape = |x: &[f64]| reverse::gradient(scan_fn, x).1;
    let state: Vec<usize> = std::iter::once(0).chain(2..STEPS + 2).collect();
    check(&g, scan_fn::<f64>, tape, &state);
}

#[test]
fn checkpointed_fold_hessian_equals_stored_reverse_and_tape() {
    let g = Graph::record(&[0.5, 0.4, 1.0, 0.7], fold_fn);
    let stored = g.hessian();
    for k in KS {
        let h = g.with_checkpoints(k).hessian();
        for x in points(4) {
            let (s, q) = (stored.eval(&x).unwrap(), h.eval(&x).unwrap());
            let (_, _, t) = reverse::hessian(fold_fn, &x);
            assert_eq!(s[0].to_bits(), q[0].to_bits());
            for i in 0..4 {
                for j in 0..4 {
                    let (a, b) = (q[5 + i * 4 + j], s[5 + i * 4 + j]);
                    assert!(close(a, b, 1e-12), "k = {k}: H[{i}][{j}] {a} vs {b}");
                    assert!(close(a, t[(i, j)], 1e-11), "k = {k}: H[{i}][{j}] vs tape");
                }
            }
        }
    }
}

#[test]
fn checkpointed_reverse_stores_a_bounded_number_of_states() {
    let steps = 10_000;
    let f = |p: &[nilpotent::graph::Sym]| {
        fold(&[p[0], p[1]], steps, |s| {
            vec![s[0] + s[1] * 0.001, s[1] - p[2] * s[0] * 0.001]
        })[0]
    };
    let g = Graph::record(&[1.0, 0.0, 1.0], f);
    let stored = g.gradient().stored_loop_values();
    assert!(stored >= 2 * steps, "stored reverse holds {stored}");
    for k in [1usize, 10, 100, 1000, 20_000] {
        let seg = steps.div_ceil(k);
        let held = g.with_checkpoints(k).gradient().stored_loop_values();
        // q ≤ k checkpoints, one segment's states, the remainder's, of 2 values; plus the final
        // states and parameter sums of the few loop nodes
        let bound = 2 * (k.min(steps) + 2 * seg) + 64;
        assert!(held <= bound, "k = {k}: {held} values held, bound {bound}");
        if (10..=1000).contains(&k) {
            assert!(held * 5 < stored, "k = {k}: {held} vs {stored}");
        }
    }
}

#[test]
#[should_panic(expected = "the number of checkpoints is 0")]
fn zero_checkpoints_is_an_error_naming_them() {
    let g = Graph::record(&[0.5, 0.4, 1.0, 0.7], fold_fn);
    let _ = g.with_checkpoints(0);
}

#[cfg(feature = "jit")]
#[test]
fn checkpointed_gradient_runs_bit_for_bit_in_the_jit() {
    let g = Graph::record(&[0.5, 0.4, 1.0, 0.7], fold_fn);
    for k in [3, 6] {
        let cg = g.with_checkpoints(k).gradient();
        let jit = cg.compile().expect("the checkpointed gradient compiles");
        for x in points(4) {
            assert!(
                same(&jit.eval(&x).unwrap(), &cg.eval(&x).unwrap()),
                "k = {k}"
            );
        }
    }
}

#[test]
fn checkpointed_gradient_emitted_rust_keeps_the_nested_loops() {
    let g = Graph::record(&[0.5, 0.4, 1.0, 0.7], fold_fn);
    let loops = |g: &Graph| g.to_rust("f").matches("for ").count();
    let (stored, ckpt) = (
        loops(&g.gradient()),
        loops(&g.with_checkpoints(6).gradient()),
    );
    // forward and reverse loop; then segments, each segment's loop inside, the remainder
    assert!(ckpt > stored, "{ckpt} loops checkpointed, {stored} stored");
}

/// A scan over data given as parameters, its step with a branch on the data (two body variants).
fn scan_data<T: Real>(w: &[T], data: &[T]) -> T {
    scan(&[w[0]], data, 2, |s, r| {
        let z = if r[1] > 0.5 {
            w[1] * r[0]
        } else {
            -(w[1] * r[0])
        };
        vec![(s[0] * 0.9 + z).sin()]
    })[0]
}

#[test]
fn checkpointed_scan_over_parameters_with_branches_equals_stored_reverse_and_tape() {
    let data: Vec<f64> = (0..2 * STEPS)
        .map(|i| {
            if i % 2 == 1 {
                ((i / 2) % 3) as f64 * 0.4
            } else {
                0.1 * (i % 7) as f64
            }
        })
        .collect();
    let g = Graph::record_with(&[0.3, 0.8], &data, scan_data);
    let stored = g.gradient();
    for k in KS {
        let cg = g.with_checkpoints(k).gradient();
        for w in [[0.3, 0.8], [-0.2, 1.1]] {
            let (s, q) = (
                stored.eval_with(&w, &data).unwrap(),
                cg.eval_with(&w, &data).unwrap(),
            );
            assert_eq!(
                s[..2].iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                q[..2].iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                "k = {k}"
            );
            let (_, t) = reverse::gradient(
                |v| {
                    let d: Vec<_> = data
                        .iter()
                        .map(|&x| nilpotent::reverse::Var::constant(x))
                        .collect();
                    scan_data(v, &d)
                },
                &w,
            );
            assert!(
                close(q[2], s[2], 1e-13) && close(q[2], t[1], 1e-12),
                "k = {k}: {} {} {}",
                q[2],
                s[2],
                t[1]
            );
            assert!(close(q[1], t[0], 1e-12), "k = {k}");
        }
    }
}

/// A fold whose branch changes at the step where the state crosses 0: recorded at 5 (one path
/// for all 21 steps), it fails at the first step whose state is ≤ 0.
fn countdown<T: Real>(x: &[T]) -> T {
    fold(&[x[0]], 21, |s| {
        vec![if s[0] > 0.0 { s[0] - 0.1 } else { s[0] * 2.0 }]
    })[0]
}

/// A checkpointed fold names a failing iteration as the fold does (it named the iteration
/// within its segment, inside a message about the segment): the same error as the graph
/// without checkpoints, for the function and its gradient, in the interpreter, the JIT and
/// emitted-Rust-equivalent code paths, failing in the first step, a middle segment, and the
/// remainder after the last whole segment.
#[test]
fn a_failing_iteration_of_a_checkpointed_fold_is_numbered_as_in_the_fold() {
    let g = Graph::record(&[5.0], countdown);
    let grad = g.gradient();
    for (x, step) in [(-1.0, 0), (1.25, 13), (1.95, 20), (0.35, 4)] {
        let want = g.eval(&[x]).unwrap_err().to_string();
        assert!(
            want.starts_with(&format!("iteration {step} of a loop")),
            "{want}"
        );
        let want_grad = grad.eval(&[x]).unwrap_err().to_string();
        for k in [1, 2, 4, 5, 6, 21, 50] {
            let c = g.with_checkpoints(k);
            let got = c.eval(&[x]).unwrap_err().to_string();
            assert_eq!(got, want, "{k} checkpoints");
            let got = c.gradient().eval(&[x]).unwrap_err().to_string();
            assert_eq!(got, want_grad, "{k} checkpoints, gradient");
            #[cfg(feature = "jit")]
            {
                let got = c.compile().unwrap().eval(&[x]).unwrap_err().to_string();
                assert_eq!(got, want, "{k} checkpoints, JIT");
            }
        }
    }
}
