//! Derivative graphs: Jacobians, the Hessian's structure, evaluation on dual numbers and `f32`.

use super::*;

// ---------------------------------------------------------------------------------------------
// 6. Jacobians, Hessian structure, dual and f32 evaluation
// ---------------------------------------------------------------------------------------------

/// ℝ³ → ℝ³, every output depending on two or three inputs.
fn field<T: Float>(x: &[T]) -> Vec<T> {
    vec![
        x[0] * x[1].sin(),
        x[1].exp() + x[2] * x[0],
        (x[0] * x[2]).atan() - x[1].powi(3) / (T::one() + x[2] * x[2]),
    ]
}

/// `Graph::record_vec` + `jacobian()` at points other than the recording point, against
/// `nilpotent::jacobian`, `reverse::jacobian` ([`EXPR_RTOL`] of the row's largest entry: sums of
/// several products) and finite differences ([`FD_RTOL`]).
#[test]
fn jacobian_graph_matches_forward_reverse_and_finite_differences() {
    let mut rng = Rng::for_test("graph jacobian");
    let x0 = [0.3, -0.4, 1.2];
    let g = Graph::record_vec(&x0, field);
    assert_eq!((g.num_inputs(), g.num_outputs(), g.num_guards()), (3, 3, 0));
    assert_eq!(g.recording_point(), &x0);
    assert_eq!(g.recorded_outputs(), field(&x0));
    let jac = g.jacobian();
    assert_eq!(jac.num_outputs(), 3 + 9);
    let (mut worst_modes, mut worst_fd) = (Worst::default(), Worst::default());
    for _ in 0..20 {
        let p = rng.vec(3, -2.0, 2.0);
        let out = jac.eval(&p).unwrap();
        let values = field(&p);
        for i in 0..3 {
            assert!(same_f64(out[i], values[i]), "y{i} at {p:?}");
            assert!(same_f64(g.eval(&p).unwrap()[i], values[i]));
        }
        let (_, fj) = jacobian(field, &p);
        let (_, rj) = reverse::jacobian(field, &p);
        let fdj = fd_jacobian(field, &p);
        for i in 0..3 {
            // each entry is a sum of a few products, summed in another order by each mode
            let row = max_abs((0..3).map(|j| fj[(i, j)])).max(1.0);
            for j in 0..3 {
                let a = out[3 + i * 3 + j];
                for b in [fj[(i, j)], rj[(i, j)]] {
                    worst_modes.note(rel_err(a, b, row), || format!("J[{i}][{j}] at {p:?}"));
                    assert!(
                        close(a, b, EXPR_RTOL, row),
                        "J[{i}][{j}] at {p:?}: {a:e} vs {b:e}"
                    );
                }
                let scale = values[i].abs().max(row);
                worst_fd.note(rel_err(a, fdj[i][j], scale), || {
                    format!("J[{i}][{j}] at {p:?}")
                });
                assert!(close(a, fdj[i][j], FD_RTOL, scale), "J[{i}][{j}] at {p:?}");
            }
        }
    }
    println!(
        "Jacobian: vs forward/reverse {:.1e} (tolerance {EXPR_RTOL:e}), vs finite differences \
         {:.1e} at {} (tolerance {FD_RTOL:e})",
        worst_modes.err, worst_fd.err, worst_fd.at
    );
    // one output: the Jacobian graph is the gradient graph's numbers
    let g = Graph::record(&[2.0, 5.0], lecture);
    assert_eq!(
        g.jacobian().eval(&[1.0, 3.0]).unwrap(),
        g.gradient().eval(&[1.0, 3.0]).unwrap()
    );
    // two outputs that are one node: shared
    let g = Graph::record_vec(&[1.0, 2.0], |x| vec![x[0] * x[1], x[1] * x[0], x[0]]);
    assert_eq!(g.len(), 1);
    assert_eq!(
        g.jacobian().eval(&[3.0, 4.0]).unwrap(),
        [12.0, 12.0, 3.0, 4.0, 3.0, 4.0, 3.0, 1.0, 0.0]
    );
}

/// The Hessian graph is exactly symmetric (bitwise) by construction, and its structural zeros are
/// the constant 0: Rosenbrock's Hessian is tridiagonal, and the entries |i − j| > 1 are exactly 0
/// at every input, even where the others are ±∞ or NaN.
#[test]
fn hessian_is_symmetric_and_keeps_structural_zeros() {
    let mut rng = Rng::for_test("graph hessian structure");
    let n = 8;
    let x0: Vec<f64> = rng.vec(n, -1.5, 1.5);
    let h = Graph::record(&x0, rosenbrock).hessian();
    assert_eq!(h.num_outputs(), 1 + n + n * n);
    let mut points: Vec<Vec<f64>> = (0..10).map(|_| rng.vec(n, -3.0, 3.0)).collect();
    points.push(vec![f64::INFINITY; n]);
    points.push(vec![f64::NAN; n]);
    points.push(
        (0..n)
            .map(|i| if i % 2 == 0 { 1e200 } else { -1e200 })
            .collect(),
    );
    let mut worst = Worst::default();
    for p in &points {
        let out = h.eval(p).unwrap();
        let hij = |i: usize, j: usize| out[1 + n + i * n + j];
        let finite = p.iter().all(|v| v.is_finite() && v.abs() < 1e10);
        let (_, _, fh) = hessian(rosenbrock, p);
        for i in 0..n {
            for j in 0..n {
                assert_eq!(
                    hij(i, j).to_bits(),
                    hij(j, i).to_bits(),
                    "symmetry at {p:?}"
                );
                if i.abs_diff(j) > 1 {
                    assert!(
                        same_f64(hij(i, j), 0.0),
                        "H[{i}][{j}] = {:e} at {p:?}",
                        hij(i, j)
                    );
                } else if finite {
                    let scale = max_abs(fh.iter().copied()).max(1.0);
                    worst.note(rel_err(hij(i, j), fh[(i, j)], scale), || format!("{p:?}"));
                    assert!(close(hij(i, j), fh[(i, j)], HESS_RTOL, scale));
                }
            }
        }
    }
    // a dense Hessian is symmetric bit for bit too (the two triangles are one node)
    let g = Graph::record(&[0.3, 0.7, -0.2], |x| {
        (x[0] * x[1] * x[2]).sin() + x[0].exp() * x[1].powi(3) / (x[2] * x[2] + 1.0)
    })
    .hessian();
    for _ in 0..20 {
        let p = rng.vec(3, -2.0, 2.0);
        let out = g.eval(&p).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                assert_eq!(out[4 + i * 3 + j].to_bits(), out[4 + j * 3 + i].to_bits());
            }
        }
    }
    println!(
        "Rosenbrock Hessian vs forward: {:.1e} (tolerance {HESS_RTOL:e})",
        worst.err
    );
}

/// Evaluating the function graph on dual numbers is forward mode on the graph: the tangents are
/// J·r, compared with `nilpotent::jvp` (`Dual<f64, 1>`, one direction) and with three directions
/// at once (`Dual<f64, 3>`); the gradient graph on duals gives H·v, compared with
/// `nilpotent::hvp`. Values bit for bit; tangents within [`GRAD_ULPS`] (the same dual arithmetic
/// on the same operations), ∇f within [`EXPR_RTOL`] and H·v within [`HESS_RTOL`].
#[test]
fn dual_evaluation_is_forward_mode_on_the_graph() {
    let mut rng = Rng::for_test("graph duals");
    let g = Graph::record_vec(&[0.3, -0.4, 1.2], field);
    let program = g.program();
    assert_eq!((program.num_inputs(), program.num_outputs()), (3, 3));
    let mut e1 = program.evaluator::<Dual<f64, 1>>();
    let mut e3 = program.evaluator::<Dual<f64, 3>>();
    let close_ulps = |a: f64, b: f64| same_value(a, b) || ulps(a, b) <= GRAD_ULPS;
    for _ in 0..20 {
        let p = rng.vec(3, -2.0, 2.0);
        let dirs: [[f64; 3]; 3] = core::array::from_fn(|_| rng.direction::<3>());
        let x1: Vec<Dual<f64, 1>> = (0..3).map(|i| Dual::new(p[i], [dirs[0][i]])).collect();
        let y1 = e1.eval(&x1).unwrap();
        let (values, jr) = jvp(field, &p, &dirs[0]);
        for i in 0..3 {
            assert!(same_f64(y1[i].re, values[i]));
            assert!(close_ulps(y1[i].eps[0], jr[i]), "J·r at {p:?}");
        }
        let x3: Vec<Dual<f64, 3>> = (0..3)
            .map(|i| Dual::new(p[i], [dirs[0][i], dirs[1][i], dirs[2][i]]))
            .collect();
        let y3 = e3.eval(&x3).unwrap();
        for (lane, dir) in dirs.iter().enumerate() {
            let (_, jr) = jvp(field, &p, dir);
            for i in 0..3 {
                assert!(same_f64(y3[i].re, values[i]));
                assert!(close_ulps(y3[i].eps[lane], jr[i]), "lane {lane} at {p:?}");
            }
        }
    }
    // the function graph on nested duals: forward over forward, second derivatives along a line
    let g = Graph::record(&[0.7, -0.2], |x| {
        (x[0].sin() * x[1]).exp() + x[0].powi(3) / x[1]
    });
    let mut e = g.program().evaluator::<Dual<Dual<f64, 1>, 1>>();
    let line = |t: f64| [0.3 + t, 1.1 - 2.0 * t];
    let h = |x: &[f64]| (x[0].sin() * x[1]).exp() + x[0].powi(3) / x[1];
    for t in [0.0, 0.25, -0.6] {
        let p = line(t);
        let xd = [
            Dual::new(Dual::new(p[0], [1.0]), [Dual::new(1.0, [0.0])]),
            Dual::new(Dual::new(p[1], [-2.0]), [Dual::new(-2.0, [0.0])]),
        ];
        let y = e.eval(&xd).unwrap()[0];
        fn along<T: Float>(s: T) -> T {
            let x = [s + k(0.3), k::<T>(1.1) - s * k(2.0)];
            (x[0].sin() * x[1]).exp() + x[0].powi(3) / x[1]
        }
        let (v, d1, d2) = nilpotent::second_derivative(along, t);
        assert!(same_f64(y.re.re, h(&p)) && same_f64(y.re.re, v));
        assert!(close_ulps(y.re.eps[0], d1) && close_ulps(y.eps[0].re, d1));
        assert!(
            close(y.eps[0].eps[0], d2, HESS_RTOL, d2.abs().max(1.0)),
            "f'' at {t}"
        );
    }
    // the gradient graph on duals: (∇f, H·v)
    let x: Vec<f64> = rng.vec(6, -1.0, 1.0);
    let grad = Graph::record(&x, rosenbrock).gradient();
    let mut e = grad.program().evaluator::<Dual<f64, 1>>();
    for _ in 0..10 {
        let p = rng.vec(6, -2.0, 2.0);
        let v = rng.vec(6, -1.0, 1.0);
        let xd: Vec<Dual<f64, 1>> = (0..6).map(|i| Dual::new(p[i], [v[i]])).collect();
        let out = e.eval(&xd).unwrap();
        let (value, g, hv) = hvp(rosenbrock, &p, &v);
        assert!(same_f64(out[0].re, value));
        let scale = max_abs(hv.iter().copied()).max(1.0);
        // ∇f by reverse accumulation on the graph, by forward mode in hvp: sums of several
        // products in two orders (EXPR_RTOL of the largest entry)
        let gscale = max_abs(g.iter().copied()).max(1.0);
        for i in 0..6 {
            assert!(close(out[1 + i].re, g[i], EXPR_RTOL, gscale), "∇f at {p:?}");
            assert!(
                close(out[1 + i].eps[0], hv[i], HESS_RTOL, scale),
                "H·v at {p:?}"
            );
        }
    }
}

/// Evaluating on `f32`: the function graph gives the `f32` function's values bit for bit (the
/// same operations in `f32`, the constants rounded to `f32` as `T::from` rounds them), and the
/// gradient graph forward mode's `f32` gradient within [`F32_RTOL`].
#[test]
fn f32_evaluation_matches_the_f32_function() {
    let mut rng = Rng::for_test("graph f32");
    let x0 = [0.3, -0.4, 1.2];
    let g = Graph::record_vec(&x0, field);
    let grad = Graph::record(&x0, lecture_like).gradient();
    let mut e = g.program().evaluator::<f32>();
    let mut eg = grad.program().evaluator::<f32>();
    let mut out = [0.0f32; 3];
    let mut worst = Worst::default();
    for _ in 0..50 {
        let p: Vec<f32> = rng.vec(3, 0.1, 2.0).iter().map(|&v| v as f32).collect();
        e.eval_into(&p, &mut out).unwrap();
        let want = field(&p);
        for i in 0..3 {
            assert!(
                same_f32(out[i], want[i]),
                "y{i} at {p:?}: {} vs {}",
                out[i],
                want[i]
            );
        }
        let o = eg.eval(&p).unwrap();
        assert!(same_f32(o[0], lecture_like(&p)));
        let (_, fg) = gradient(lecture_like, &p);
        let scale = max_abs(fg.iter().map(|&v| f64::from(v))).max(1.0);
        for i in 0..3 {
            let (a, b) = (f64::from(o[1 + i]), f64::from(fg[i]));
            worst.note(rel_err(a, b, scale), || format!("∂{i} at {p:?}"));
            assert!(
                close(a, b, F32_RTOL, scale),
                "∂{i} at {p:?}: {a:e} vs {b:e}"
            );
        }
    }
    println!(
        "f32 gradient vs forward f32: {:.1e} (tolerance {F32_RTOL:e})",
        worst.err
    );
}

/// A smooth function of three inputs with constants that are not exact in `f32`.
fn lecture_like<T: Float>(x: &[T]) -> T {
    x[0].ln() * k(0.1) + x[0] * x[1] - x[1].sin() * x[2].sqrt() + (x[2] * k(1.3)).exp()
}

/// A derivative graph is a graph like any other: the Jacobian of a gradient graph is the Hessian
/// (all n² entries from their own sweeps, so equal to [`Graph::hessian`]'s within rounding, not
/// bit for bit), and Jacobians of Hessian graphs give third and fourth derivatives, compared at
/// points other than the recording point with `third_derivative`/`fourth_derivative` (nested
/// duals, [`HESS_RTOL`] of the largest derivative) and with finite differences of the nested-dual
/// second (third) derivative ([`FD_RTOL`]).
#[test]
fn derivatives_of_derivative_graphs_are_higher_derivatives() {
    fn f<T: Float>(x: &[T]) -> T {
        (x[0].sin() * x[0]).exp() + x[0].powi(4) / (x[0] * x[0] + k(1.0))
    }
    fn f1<T: Float>(x: T) -> T {
        f(&[x])
    }
    let h = Graph::record(&[0.7], f).hessian(); // [f, f′, f″]
    let third = h.jacobian(); // [f, f′, f″, f′, f″, f‴]
    let fourth = third.jacobian(); // … and the last output f⁗
    assert_eq!((third.num_outputs(), fourth.num_outputs()), (6, 12));
    assert!(fourth.to_dot().contains("derivative of order 4"));
    for x in [-1.3, -0.2, 0.3, 0.7, 1.9] {
        let o3 = third.eval(&[x]).unwrap();
        let o4 = fourth.eval(&[x]).unwrap();
        let (v, d1, d2, d3) = nilpotent::third_derivative(f1, x);
        let (_, _, _, _, d4) = nilpotent::fourth_derivative(f1, x);
        assert!(same_f64(o3[0], v) && same_f64(o4[0], v));
        let scale = [d1, d2, d3, d4].iter().fold(1.0f64, |m, d| m.max(d.abs()));
        for (got, want, what) in [
            (o3[1], d1, "f′"),
            (o3[2], d2, "f″"),
            (o3[5], d3, "f‴"),
            (o4[11], d4, "f⁗"),
        ] {
            assert!(
                close(got, want, HESS_RTOL, scale),
                "{what}({x}): {got:e} vs {want:e}"
            );
        }
        let fd3 = common::fd1(|t| nilpotent::second_derivative(f1, t).2, x);
        let fd4 = common::fd1(|t| nilpotent::third_derivative(f1, t).3, x);
        assert!(
            close(o3[5], fd3, FD_RTOL, scale),
            "f‴({x}): {:e} vs {fd3:e}",
            o3[5]
        );
        assert!(
            close(o4[11], fd4, FD_RTOL, scale),
            "f⁗({x}): {:e} vs {fd4:e}",
            o4[11]
        );
    }
    // n = 2: the Jacobian of the gradient graph is the Hessian
    let g = Graph::record(&[0.3, 0.4], |x| {
        (x[0] * x[1]).sin() + x[0].exp() * x[1].powi(3)
    });
    let (jh, hh) = (g.gradient().jacobian(), g.hessian());
    for p in [[1.0, 2.0], [-0.5, 0.25], [2.0, -1.5]] {
        let (a, b) = (jh.eval(&p).unwrap(), hh.eval(&p).unwrap());
        // [f, ∇f, ∇f, H] against [f, ∇f, H]
        assert_eq!(a[..3], b[..3]);
        assert_eq!(a[3..5], b[1..3]);
        let scale = max_abs(b[3..].iter().copied()).max(1.0);
        for i in 0..4 {
            assert!(close(a[5 + i], b[3 + i], HESS_RTOL, scale), "H at {p:?}");
        }
    }
}

/// Graphs are `Send + Sync`: one graph is evaluated from several threads at once, and recordings
/// on different threads are independent (each thread has its own recording state).
#[test]
fn graphs_are_shared_across_threads_and_recordings_are_per_thread() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Graph>();
    assert_send_sync::<nilpotent::graph::Program>();
    let g = Graph::record(&[2.0, 5.0], lecture).gradient();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let g = &g;
                s.spawn(move || {
                    // a recording of this thread's own, interleaved with evaluations of g
                    let own = Graph::record(&[t as f64 + 1.0], |x| x[0] * x[0]).gradient();
                    let mut e = g.program().evaluator::<f64>();
                    let mut out = [0.0; 3];
                    for i in 0..50 {
                        let x0 = 1.0 + 0.01 * (i + t) as f64;
                        e.eval_into(&[x0, 2.0], &mut out).unwrap();
                        assert_eq!(out[1], 1.0 / x0 + 2.0);
                    }
                    own.eval(&[3.0]).unwrap()
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), vec![9.0, 6.0]);
        }
    });
    // a Sym taken to another thread is outside of any recording there
    let _ = Graph::record(&[1.0], |x| {
        let y = x[0];
        let msg = std::thread::scope(|s| s.spawn(move || panics(|| y + 1.0)).join().unwrap());
        assert!(msg.contains("outside of its recording"), "{msg}");
        x[0]
    });
}
