//! The JIT ([`Graph::compile`], feature `jit`) against the interpreter, bit for bit: every rule of
//! the table (alone, with constant operands, and their gradient and Hessian graphs), random
//! expression graphs with their gradient and Hessian graphs, a function that asks every kind of
//! guard question (the errors must be the interpreter's), larger gradient and Hessian graphs, a
//! 20 000-node gradient graph (its compile time is printed), and a compiled function shared by
//! several threads.
#![cfg(feature = "jit")]

use crate::graph::cases as compiled_cases;

use std::time::Instant;

use crate::common::functions::logistic_rows;
use compiled_cases::{Rng, all_cases, random_cases, random_points, rosenbrock, same_result};
use nilpotent::graph::{Compiled, Evaluate, Graph, GraphError};

fn check(name: &str, g: &Graph, c: &Compiled, points: &[Vec<f64>]) -> usize {
    let mut errors = 0;
    for p in points {
        let want = g.eval(p);
        if let Err(why) = same_result(&c.eval(p), &want) {
            panic!("{name} at {p:?}: compiled {why}");
        }
        errors += want.is_err() as usize;
    }
    errors
}

#[test]
fn compiled_code_equals_the_interpreter_bit_for_bit() {
    let mut errors = 0;
    for case in all_cases() {
        let c = case.graph.compile().unwrap();
        errors += check(&case.name, &case.graph, &c, &case.points);
    }
    assert!(
        errors > 100,
        "only {errors} guard errors: the cases must cross branches"
    );
}

#[test]
fn more_random_expressions() {
    // other seeds than the emitted cases (the JIT needs no generated file)
    let seed = Rng::for_test("more_random_expressions").next_u64();
    for case in random_cases(150, seed) {
        let c = case.graph.compile().unwrap();
        check(&case.name, &case.graph, &c, &case.points);
    }
}

#[test]
fn lengths_are_checked_as_by_the_interpreter() {
    let g = Graph::record(&[1.0, 2.0], rosenbrock).gradient();
    let mut c = g.compile().unwrap();
    assert_eq!((c.num_inputs(), Evaluate::num_outputs(&c)), (2, 3));
    let mut out = [0.0; 3];
    let mut ev = g.program().evaluator::<f64>();
    for (x, m) in [
        (&[1.0][..], 3),
        (&[1.0, 2.0, 3.0][..], 3),
        (&[1.0, 2.0][..], 2),
        (&[1.0, 2.0][..], 4),
    ] {
        let mut a = vec![0.0; m];
        let mut b = vec![0.0; m];
        let want = ev.eval_into(x, &mut a);
        assert!(want.is_err());
        assert_eq!(c.eval_into(x, &mut b), want);
        assert_eq!(Evaluate::eval_into(&mut c, x, &mut b), want);
    }
    // a failed guard leaves the output untouched (as the interpreter does)
    let h = Graph::record(
        &[1.0],
        |x| {
            if x[0].is_sign_negative() { -x[0] } else { x[0] }
        },
    )
    .gradient();
    let ch = h.compile().unwrap();
    let mut out1 = [7.0; 2];
    assert!(matches!(
        ch.eval_into(&[-1.0], &mut out1),
        Err(GraphError::Guard { .. })
    ));
    assert_eq!(out1, [7.0; 2]);
    c.eval_into(&[1.0, 2.0], &mut out).unwrap();
    assert_eq!(out.to_vec(), g.eval(&[1.0, 2.0]).unwrap());
}

#[test]
fn a_20000_node_gradient_graph_compiles() {
    let x: Vec<f64> = (0..1200)
        .map(|i| 0.5 + 0.1 * ((i * 7) % 11) as f64)
        .collect();
    let g = Graph::record(&x, rosenbrock).gradient();
    assert!(g.num_nodes() >= 20_000, "{} nodes", g.num_nodes());
    let start = Instant::now();
    let c = g.compile().unwrap();
    // reported, not asserted (tests do not time): BENCHMARKS.md has the measurements
    eprintln!(
        "compiled a gradient graph of {} nodes ({} operations) in {:?}",
        g.num_nodes(),
        g.len(),
        start.elapsed()
    );
    let mut rng = Rng::for_test("a_20000_node_gradient_graph_compiles");
    let mut points = vec![x.clone()];
    points.extend((0..5).map(|_| rng.vec(x.len(), -2.0, 2.0)));
    check("rosenbrock1200_gradient", &g, &c, &points);
}

#[test]
fn a_compiled_function_is_shared_by_threads() {
    let x0: Vec<f64> = (0..16).map(|i| 0.25 * i as f64 - 1.0).collect();
    let g = Graph::record(&x0, rosenbrock).hessian();
    let c = g.compile().unwrap();
    let mut rng = Rng::for_test("a_compiled_function_is_shared_by_threads");
    let points = random_points(16, 200, &mut rng);
    let want: Vec<_> = points.iter().map(|p| g.eval(p)).collect();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (c, points, want) = (&c, &points, &want);
            s.spawn(move || {
                for _ in 0..20 {
                    for (k, p) in points.iter().enumerate().skip(t) {
                        same_result(&c.eval(p), &want[k]).unwrap();
                    }
                }
            });
        }
    });
    // moved to another thread, used and dropped there
    let handle = std::thread::spawn(move || c.eval(&points[0]));
    same_result(&handle.join().unwrap(), &want[0]).unwrap();
}

#[test]
fn backends_switch_with_one_line() {
    fn run(e: &mut dyn Evaluate, x: &[f64]) -> Vec<f64> {
        e.eval(x).unwrap()
    }
    let g = Graph::record(&[2.0, 5.0], |x| x[0].ln() + x[0] * x[1] - x[1].sin()).gradient();
    let mut backends: Vec<Box<dyn Evaluate + '_>> = vec![
        Box::new(g.program().evaluator::<f64>()),
        Box::new(g.compile().unwrap()),
    ];
    let a = run(&mut backends[0], &[1.5, 0.5]);
    let b = run(&mut backends[1], &[1.5, 0.5]);
    assert_eq!(a, b);
}

/// A chain of `ops` operations whose every intermediate value the reverse sweep of its gradient
/// reads again: y ← sin(y·x₁ + cᵢ).
fn long_chain<T: num_traits::Float>(x: &[T], ops: usize) -> T {
    let mut y = x[0];
    for i in 0..ops / 3 {
        y = (y * x[1] + T::from(0.5 + i as f64 * 1e-6).unwrap()).sin();
    }
    y
}

/// Issue 20, item 5 ("the JIT aborts the process"): values that live long were kept in the
/// compiled function's stack frame, which grew with the graph's live set, so evaluating the
/// gradient graph of a long function overflowed a spawned thread's 2 MiB stack (the default of
/// Rust's threads and rayon's) and aborted the process with SIGSEGV/SIGABRT. Evaluated on a
/// thread with a 2 MiB stack, the compiled gradient graph equals the interpreter bit for bit.
///
/// (300 000 nodes: a few seconds in a release build, minutes in a debug build, where it is
/// ignored; `.ci/run` runs it with `--release`. `compiled_pieces_hand_on_values_and_guards` checks
/// the same code paths on a smaller graph in every build.)
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "minutes in a debug build: run with --release (as .ci/run does)"
)]
fn the_jit_aborts_the_process() {
    let x0 = [0.3, 0.7];
    let g = Graph::record(&x0, |x| long_chain(x, 100_000)).gradient();
    let start = Instant::now();
    let c = g.compile().unwrap();
    eprintln!(
        "compiled a gradient graph of {} nodes in {:?}",
        g.num_nodes(),
        start.elapsed()
    );
    let points = [vec![0.3, 0.7], vec![-1.25, 0.5], vec![2.0, -0.9]];
    let got = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || points.iter().map(|p| c.eval(p)).collect::<Vec<_>>())
        .unwrap()
        .join()
        .unwrap();
    let points = [vec![0.3, 0.7], vec![-1.25, 0.5], vec![2.0, -0.9]];
    for (p, got) in points.iter().zip(&got) {
        same_result(got, &g.eval(p)).unwrap_or_else(|why| panic!("at {p:?}: compiled {why}"));
    }
}

/// A graph of more than 4 096 nodes is compiled in pieces that hand on values in the work area:
/// a gradient graph of some 12 000 nodes (three pieces) whose guards (two comparisons) sit in
/// its second piece, and whose long-lived values fill more than the small work area on the stack, evaluated
/// on a 2 MiB thread where the guards hold and where they fail: the interpreter's outputs and
/// errors.
#[test]
fn compiled_pieces_hand_on_values_and_guards() {
    fn f<T: num_traits::Float>(x: &[T]) -> T {
        let y = long_chain(x, 4_000);
        let z = if y > T::zero() { y * x[0] } else { y - x[1] };
        // a second guard (`abs` itself has none since its derivative became `signum`)
        let a = if z < T::zero() { -z } else { z };
        a + a.sqrt()
    }
    let g = Graph::record(&[0.3, 0.7], f).gradient();
    assert!(g.num_nodes() > 2 * 4096, "{} nodes", g.num_nodes());
    assert!(g.num_guards() >= 2, "{} guards", g.num_guards());
    let c = g.compile().unwrap();
    let mut rng = Rng::for_test("compiled_pieces_hand_on_values_and_guards");
    let mut points = vec![vec![0.3, 0.7]];
    points.extend((0..40).map(|_| rng.vec(2, -2.0, 2.0)));
    let g2 = g.clone();
    let errors = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || check("pieces", &g2, &c, &points))
        .unwrap()
        .join()
        .unwrap();
    assert!(
        (1..40).contains(&errors),
        "{errors} guard errors: the points must cross the branches"
    );
}

/// Issue "Data as parameters": compiled code of graphs with parameters (every rule with a
/// parameter in every operand position, random expressions over inputs and parameters, a guard on
/// a label) equals the interpreter bit for bit at new inputs with new parameters, errors included;
/// wrong parameter lengths and missing parameters are the interpreter's `GraphError`s.
#[test]
fn compiled_code_with_parameters_equals_the_interpreter_bit_for_bit() {
    use compiled_cases::params::{all_param_cases, interpret};
    let mut errors = 0;
    for case in all_param_cases() {
        let mut c = case.graph.compile().unwrap();
        assert_eq!(
            (c.num_params(), Evaluate::num_params(&c)),
            (case.graph.num_params(), case.graph.num_params())
        );
        for point in &case.points {
            let want = interpret(&case.graph, point);
            if let Err(why) = same_result(&c.eval_with(&point.0, &point.1), &want) {
                panic!("{} at {point:?}: compiled {why}", case.name);
            }
            errors += want.is_err() as usize;
        }
        let (x, p) = &case.points[0];
        assert_eq!(c.eval(x), case.graph.eval(x));
        assert!(matches!(c.eval(x), Err(GraphError::MissingParams { .. })));
        let mut out = vec![0.0; case.graph.num_outputs()];
        let mut ev = case.graph.program().evaluator::<f64>();
        for bad in [p.len() + 1, p.len() - 1] {
            let q = vec![0.5; bad];
            let want = ev.eval_with_into(x, &q, &mut out);
            assert!(matches!(want, Err(GraphError::ParamLength { .. })));
            assert_eq!(c.eval_with_into(x, &q, &mut out), want);
            assert_eq!(Evaluate::eval_with_into(&mut c, x, &q, &mut out), want);
        }
    }
    assert!(
        errors > 100,
        "only {errors} guard errors: the cases must cross branches"
    );
}

/// `Σₖ pₖ·xₖ·w` with `w = x[n]`: its gradient has `x̄ₖ = pₖ ⊙ w`, the `⊙` of a parameter and one
/// shared value, in a row (as a gradient graph multiplies an adjoint by every partial of its node).
fn weighted_sum<T: num_traits::Float>(x: &[T], p: &[T]) -> T {
    let (xs, w) = x.split_at(p.len());
    xs.iter()
        .zip(p)
        .fold(T::zero(), |acc, (&xk, &pk)| acc + pk * xk * w[0])
}

/// Issue "Data as parameters" (the JIT with parameters took 856 µs against 135 µs with the data
/// as constants, and twice the code): `⊙` is now compiled with vector masks, an operand's mask
/// reused by the `⊙`s that follow. It must still be `⊙` bit for bit — +0 where a factor is ±0,
/// even against ±∞ and NaN; the product, with its sign, elsewhere (an underflow to −0 of nonzero
/// factors stays −0) — against the interpreter and the closed form `x̄ₖ = pₖ ⊙ w`, on a small
/// graph (compiled with Cranelift's optimiser) and a large one (without), with zeros, infinities
/// and NaNs for the shared factor `w` and for the parameters.
#[test]
fn jit_chain_mul_with_parameters_is_odot_bit_for_bit() {
    let odot = |a: f64, b: f64| if a == 0.0 || b == 0.0 { 0.0 } else { a * b };
    let specials = [
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1e-300,
        -1e-300,
        3.0,
        -0.5,
    ];
    for n in [40, 700] {
        let x0: Vec<f64> = (0..=n).map(|k| 0.5 + k as f64).collect();
        let p0: Vec<f64> = (0..n).map(|k| 1.0 + k as f64).collect();
        let g = Graph::record_with(&x0, &p0, weighted_sum).gradient();
        assert_eq!(n > 40, g.num_nodes() > 2048, "one graph on each side");
        let c = g.compile().unwrap();
        for (i, &w) in specials.iter().enumerate() {
            let mut x = x0.clone();
            x[n] = w;
            // every special value among the parameters, each next to each other
            let p: Vec<f64> = (0..n).map(|k| specials[(k + i) % specials.len()]).collect();
            let want = g.eval_with(&x, &p);
            if let Err(why) = same_result(&c.eval_with(&x, &p), &want) {
                panic!("n = {n}, w = {w}: compiled {why}");
            }
            let out = want.unwrap();
            for k in 0..n {
                let (got, closed) = (out[1 + k], odot(p[k], w));
                assert!(
                    got.to_bits() == closed.to_bits() || (got.is_nan() && closed.is_nan()),
                    "n = {n}: ∂f/∂x{k} = {got:e} against p ⊙ w = {closed:e} (p = {}, w = {w})",
                    p[k]
                );
            }
        }
    }
}

/// The logistic loss of `m` rows of `d` features with the data read from `data` (the rows, then
/// the labels): captured by the closure, the data are constants of the graph; passed as `p`,
/// parameters. The same operations in the same order either way.
fn logistic<T: num_traits::Float>(w: &[T], data: &[T], m: usize, d: usize) -> T {
    let (rows, labels) = data.split_at(m * d);
    let mut loss = T::zero();
    for (row, &y) in rows.chunks_exact(d).zip(labels) {
        let z = w[1..]
            .iter()
            .zip(row)
            .fold(w[0], |z, (&wj, &xj)| z + wj * xj);
        let q = T::one() / (T::one() + (-z).exp());
        loss = loss
            - if y > T::from(0.5).unwrap() {
                q.ln()
            } else {
                (T::one() - q).ln()
            };
    }
    loss
}

/// Issue "Data as parameters": the JIT's code for the logistic-regression gradient with the data
/// as parameters was twice that with the data as constants (8.1 against 4.0 MB at m = 500,
/// d = 100), each partial that is a datum making a `⊙` of some 60 bytes where a nonzero constant
/// makes a plain product. Now within a quarter of it (measured: 1.08× at m = 500; here m = 40),
/// and the two compute the same gradient bit for bit.
#[test]
fn jit_code_with_data_as_parameters_is_not_twice_that_with_data_as_constants() {
    let (m, d) = (40, 100);
    let mut rng = Rng::for_test("jit_code_with_data_as_parameters");
    let mut data: Vec<f64> = (0..m * d).map(|_| rng.uniform(-1.0, 1.0)).collect();
    data.extend((0..m).map(|i| (i % 3 == 0) as u8 as f64));
    let w: Vec<f64> = (0..=d).map(|j| 0.01 * ((j % 5) as f64 - 2.0)).collect();
    let baked = Graph::record(&w, |v| {
        let c: Vec<_> = data
            .iter()
            .map(|&v| nilpotent::graph::Sym::constant(v))
            .collect();
        logistic(v, &c, m, d)
    })
    .gradient();
    let params = Graph::record_with(&w, &data, |v, p| logistic(v, p, m, d)).gradient();
    assert!(baked.num_constants() > m * d && params.num_constants() < 10);
    let (cb, cp) = (baked.compile().unwrap(), params.compile().unwrap());
    let w1: Vec<f64> = w.iter().map(|v| v + 0.003).collect();
    assert_eq!(cb.eval(&w1).unwrap(), cp.eval_with(&w1, &data).unwrap());
    let ratio = cp.code_size() as f64 / cb.code_size() as f64;
    assert!(
        ratio <= 1.25,
        "code with the data as parameters: {} bytes, {ratio:.2}× the {} with the data as constants",
        cp.code_size(),
        cb.code_size()
    );
}

/// Issue "Loops as loops": the JIT runs a loop node as a loop (the body's variants compiled as
/// functions of their own, called per iteration), not unrolled: the code of the logistic loss's
/// gradient over `sum_map` with the data as parameters has the same size for 20 and 400 rows,
/// its outputs are the interpreter's bit for bit, and a row that no recorded variant of the body
/// accepts is the interpreter's `LoopGuard` error, naming the same iteration.
#[test]
fn jit_runs_loop_nodes_as_loops_bit_for_bit() {
    use compiled_cases::params::loop_logistic;
    let d = 4;
    let w = [0.5, -0.25, 1.0, 0.125];
    let mut rng = Rng::for_test("jit_runs_loop_nodes_as_loops");
    let rows = |rng: &mut Rng, m: usize| -> Vec<f64> {
        let mut r = Vec::new();
        for k in 0..m {
            r.extend((0..d).map(|_| rng.uniform(-1.0, 1.0)));
            r.push((k % 3 == 0) as u8 as f64);
        }
        r
    };
    let mut sizes = Vec::new();
    for m in [20, 400] {
        let p0 = rows(&mut rng, m);
        let g = Graph::record_with(&w, &p0, loop_logistic).gradient();
        assert!(g.has_loops());
        let c = g.compile().unwrap();
        sizes.push(c.code_size());
        for _ in 0..3 {
            let x: Vec<f64> = (0..d).map(|_| rng.uniform(-2.0, 2.0)).collect();
            let p = rows(&mut rng, m);
            let want = g.eval_with(&x, &p);
            assert!(want.is_ok());
            if let Err(why) = same_result(&c.eval_with(&x, &p), &want) {
                panic!("m = {m}: compiled {why}");
            }
        }
        let mut p = rows(&mut rng, m);
        p[7 * (d + 1) + d] = -1.0; // row 7: the branch no variant took
        let want = g.eval_with(&w, &p);
        assert!(
            matches!(want, Err(GraphError::LoopGuard { iteration: 7, .. })),
            "{want:?}"
        );
        assert_eq!(c.eval_with(&w, &p), want);
    }
    assert_eq!(sizes[0], sizes[1], "the code does not grow with the rows");
}

// ----- loops written as loops in the machine code (issue "Loops as loops") -----

/// A sum over rows of three of the inputs (the rows are inputs: the gradient has a value per row
/// entry, stacked by the reverse loop).
fn rows_of_inputs<T: nilpotent::Real>(x: &[T]) -> T {
    nilpotent::sum_map(&x[2..], 3, |r| {
        (x[0] * r[0] - r[1] * x[1]).sin() * r[2] + r[1]
    })
}

/// A sum over rows of values computed from the inputs (a sequence that is neither inputs nor
/// parameters: its values are copied to the work area before the loop).
fn rows_computed<T: nilpotent::Real>(x: &[T]) -> T {
    let rows: Vec<T> = x.iter().map(|&v| v * 2.0 - 1.0).collect();
    nilpotent::sum_map(&rows, 2, |r| r[0] * r[1] + (r[1] * x[0]).cos())
}

/// Windows whose stride differs from their size: of 3 entries 2 apart over the inputs
/// (overlapping), and of 2 entries 3 apart over the parameters (gaps).
fn strided<T: nilpotent::Real>(x: &[T], p: &[T]) -> T {
    let a = nilpotent::sum_windows(x, 3, 2, |w| w[0] * w[1] - (w[2] * p[0]).exp());
    let b = nilpotent::sum_windows(p, 2, 3, |w| (w[0] * x[0] + w[1]).tanh());
    a * b + a
}

/// A state, a sum and values kept per step in one evaluation: a `fold` over a step count (no
/// data), a `map_rows` over the parameters (one value per row), and a `scan` of two states over
/// the inputs after the first two, one row per input (so 1 or 2 iterations for 3 or 4 inputs).
fn state_sums_stacked<T: nilpotent::Real>(x: &[T], p: &[T]) -> T {
    let f = nilpotent::fold(&[x[0] * 0.25 + 0.5], 3, |s| {
        vec![p[0] * s[0] * (-s[0] + 1.0)]
    })[0];
    let m = nilpotent::map_rows(&p[1..], 2, |r| r[0] * x[1] - r[1]);
    let s = nilpotent::scan(&[x[0], x[1]], &x[2..], 1, |s, u| {
        vec![s[0] * u[0] + s[1] * p[0], (s[1] - u[0]).sin() + s[0] * x[1]]
    });
    let weighted = m.iter().zip(x).fold(T::zero(), |a, (&v, &xi)| a + v * xi);
    f + weighted + s[0] * s[1]
}

const SPECIAL: [f64; 5] = [0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];

/// Random points of `n` values in [−1.5, 1.5], each special value everywhere, and each entry in
/// turn a special value among random ones.
fn points_with_specials(rng: &mut Rng, n: usize) -> Vec<Vec<f64>> {
    let random = |rng: &mut Rng| -> Vec<f64> { (0..n).map(|_| rng.uniform(-1.5, 1.5)).collect() };
    let mut points: Vec<Vec<f64>> = (0..3).map(|_| random(rng)).collect();
    points.extend(SPECIAL.iter().map(|&s| vec![s; n]));
    for k in 0..n {
        let mut v = random(rng);
        v[k] = SPECIAL[k % SPECIAL.len()];
        points.push(v);
    }
    points
}

/// `g` compiled: every loop node written as a loop in the code if `all_in_code`; at every input
/// point with every parameter point, the interpreter's result bit for bit (and, where
/// `unrolled` is given, the unrolled graph's: the same operations in the same order).
fn check_loops_in_code(
    name: &str,
    g: &Graph,
    all_in_code: bool,
    unrolled: Option<&Graph>,
    xs: &[Vec<f64>],
    ps: &[Vec<f64>],
) {
    assert!(g.has_loops(), "{name}: a graph with loops");
    let c = g.compile().unwrap();
    let (in_code, called) = c.loops_in_code();
    assert!(
        in_code >= 1,
        "{name}: no loop written in the code ({called} called)"
    );
    if all_in_code {
        assert_eq!(called, 0, "{name}: {called} loops called per iteration");
    }
    for x in xs {
        for p in ps {
            let want = g.eval_with(x, p);
            if let Err(why) = same_result(&c.eval_with(x, p), &want) {
                panic!("{name} at x = {x:?}, p = {p:?}: compiled {why}");
            }
            if let Some(u) = unrolled
                && let Err(why) = same_result(&u.eval_with(x, p), &want)
            {
                panic!("{name} at x = {x:?}, p = {p:?}: unrolled {why}");
            }
        }
    }
}

/// Issue "Loops as loops": the JIT ran every loop node through a call from its code into Rust
/// (`run_loop`), which copied each iteration's windows and called the body's own function, and
/// added the sums outside the body's code. A loop of one body variant is now a loop in the code.
/// Its results are the interpreter's bit for bit, with the state carried and sums and stacked
/// values kept together, in forward and reverse loops (derivative graphs), windows of stride ≠
/// size, the data as parameters and as inputs, 1 and 2 iterations, at random points and at 0,
/// −0, ±∞ and NaN in every input and every datum.
#[test]
fn jit_loops_in_code_are_the_interpreter_bit_for_bit() {
    let mut rng = Rng::for_test("jit_loops_in_code");
    let no_params = [Vec::new()];

    // sum_map over parameters: the function, its gradient (reverse loop, sums), its Hessian
    let d = 3;
    let mut rows0 = Vec::new();
    for k in 0..5 {
        rows0.extend((0..d).map(|_| rng.uniform(-1.0, 1.0)));
        rows0.push((k % 2) as f64);
    }
    let f = Graph::record_with(&[0.5, -0.25, 1.0], &rows0, logistic_rows);
    let (xs, ps) = (
        points_with_specials(&mut rng, d),
        points_with_specials(&mut rng, rows0.len()),
    );
    check_loops_in_code("logistic", &f, true, Some(&f.unrolled()), &xs, &ps);
    let grad = f.gradient();
    check_loops_in_code("logistic gradient", &grad, true, None, &xs, &ps);
    check_loops_in_code("logistic Hessian", &f.hessian(), false, None, &xs, &ps[..6]);

    // rows that are inputs (the gradient stacks a value per row entry)
    let x0: Vec<f64> = (0..11).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let f = Graph::record(&x0, rows_of_inputs);
    let xs = points_with_specials(&mut rng, x0.len());
    check_loops_in_code(
        "rows of inputs",
        &f,
        true,
        Some(&f.unrolled()),
        &xs,
        &no_params,
    );
    check_loops_in_code(
        "rows of inputs, gradient",
        &f.gradient(),
        true,
        None,
        &xs,
        &no_params,
    );

    // rows computed from the inputs
    let x0: Vec<f64> = (0..6).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let f = Graph::record(&x0, rows_computed);
    let xs = points_with_specials(&mut rng, x0.len());
    check_loops_in_code(
        "rows computed",
        &f,
        true,
        Some(&f.unrolled()),
        &xs,
        &no_params,
    );
    check_loops_in_code(
        "rows computed, gradient",
        &f.gradient(),
        true,
        None,
        &xs,
        &no_params,
    );

    // windows of stride ≠ size, over the inputs and over the parameters
    let (x0, p0) = (
        (0..9).map(|_| rng.uniform(-1.0, 1.0)).collect::<Vec<_>>(),
        (0..8).map(|_| rng.uniform(-1.0, 1.0)).collect::<Vec<_>>(),
    );
    let f = Graph::record_with(&x0, &p0, strided);
    let (xs, ps) = (
        points_with_specials(&mut rng, x0.len()),
        points_with_specials(&mut rng, p0.len()),
    );
    check_loops_in_code("strided windows", &f, true, Some(&f.unrolled()), &xs, &ps);
    check_loops_in_code(
        "strided windows, gradient",
        &f.gradient(),
        true,
        None,
        &xs,
        &ps,
    );

    // state, sums and stacked values; reverse loops reading the states the forward loop stacked;
    // 1 and 2 iterations of the scan
    let p0 = vec![3.2, 0.5, -0.25, 1.0, 0.75];
    for n_in in [3, 4] {
        let x0: Vec<f64> = (0..n_in).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let f = Graph::record_with(&x0, &p0, state_sums_stacked);
        let (xs, ps) = (
            points_with_specials(&mut rng, n_in),
            points_with_specials(&mut rng, p0.len()),
        );
        let name = format!("state, sums, stacked ({} scan steps)", n_in - 2);
        check_loops_in_code(&name, &f, true, Some(&f.unrolled()), &xs, &ps);
        let grad = f.gradient();
        check_loops_in_code(&format!("{name}, gradient"), &grad, true, None, &xs, &ps);
    }

    // a driven recurrence over the parameters (`scan` with a captured input) and its gradient
    let u0: Vec<f64> = (0..8).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let f = Graph::record_with(&[0.3, -0.2, 0.8], &u0, compiled_cases::params::loop_driven);
    let (xs, ps) = (
        points_with_specials(&mut rng, 3),
        points_with_specials(&mut rng, u0.len()),
    );
    check_loops_in_code("driven scan", &f, true, Some(&f.unrolled()), &xs, &ps);
    check_loops_in_code("driven scan, gradient", &f.gradient(), true, None, &xs, &ps);
}

/// Issue "Loops as loops": the benchmark's loop — the logistic loss's gradient over `sum_map`
/// with the data as parameters — is written as a loop in the code (not called per iteration),
/// its code does not grow with the rows, and it equals the interpreter bit for bit.
#[test]
fn jit_writes_the_logistic_gradients_loop_in_its_code() {
    let mut rng = Rng::for_test("jit_writes_the_logistic_gradient_loop");
    let d = 20;
    let w: Vec<f64> = (0..d).map(|j| 0.01 * ((j % 5) as f64 - 2.0)).collect();
    let mut sizes = Vec::new();
    for m in [10, 300] {
        let mut rows = Vec::new();
        for k in 0..m {
            rows.extend((0..d).map(|_| rng.uniform(-1.0, 1.0)));
            rows.push((k % 3 == 0) as u8 as f64);
        }
        let g = Graph::record_with(&w, &rows, logistic_rows).gradient();
        let c = g.compile().unwrap();
        let (in_code, called) = c.loops_in_code();
        assert!(
            in_code >= 1 && called == 0,
            "{in_code} in the code, {called} called"
        );
        sizes.push(c.code_size());
        let x: Vec<f64> = (0..d).map(|_| rng.uniform(-2.0, 2.0)).collect();
        let want = g.eval_with(&x, &rows);
        assert!(want.is_ok());
        if let Err(why) = same_result(&c.eval_with(&x, &rows), &want) {
            panic!("m = {m}: compiled {why}");
        }
    }
    assert_eq!(sizes[0], sizes[1], "the code does not grow with the rows");
}

/// The gradient of Rosenbrock over windows (`sum_windows`): its loops are written in the code,
/// the window adjoints added into their array there, and its n outputs (consecutive results of
/// the reverse loop) copied by a loop, so the code's size does not grow with n (it was one load
/// and store per output: 36 MB at n = 10⁶); values bit for bit the interpreter's. (A graph of
/// more than 4 096 nodes is compiled in pieces, and only pieces with code count: from n ≈ 2 000
/// on, the loops' piece and the outputs' piece.)
#[test]
fn jit_code_of_a_gradient_over_windows_does_not_grow_with_n() {
    fn rosenbrock_windows<T: nilpotent::Real>(x: &[T]) -> T {
        nilpotent::sum_windows(x, 2, 1, |w| {
            (w[1] - w[0] * w[0]).powi(2) * 100.0 + (-w[0] + 1.0).powi(2)
        })
    }
    let mut rng = Rng::for_test("jit_code_of_a_gradient_over_windows");
    let mut sizes = Vec::new();
    for n in [4000, 40000] {
        let x: Vec<f64> = (0..n).map(|_| rng.uniform(-2.0, 2.0)).collect();
        let g = Graph::record(&x, rosenbrock_windows).gradient();
        let c = g.compile().unwrap();
        assert_eq!(c.loops_in_code(), (2, 0), "n = {n}");
        sizes.push(c.code_size());
        for _ in 0..3 {
            let x: Vec<f64> = (0..n).map(|_| rng.uniform(-2.0, 2.0)).collect();
            if let Err(why) = same_result(&c.eval(&x), &g.eval(&x)) {
                panic!("n = {n}: compiled {why}");
            }
        }
    }
    assert_eq!(sizes[0], sizes[1], "the code does not grow with n");
}

/// The loops the JIT does not write in its code — a body with branches (several variants), a
/// body with a loop in it (the inner loop is written in the code of the body's own function) —
/// still run through the call per iteration, bit for bit the interpreter's, with its errors.
#[test]
fn jit_loops_it_does_not_write_in_its_code_still_run_through_the_call() {
    use compiled_cases::params::{loop_logistic, loop_nested};
    let mut rng = Rng::for_test("jit_loops_it_does_not_write_in_its_code");
    let d = 3;
    let mut rows = Vec::new();
    for k in 0..6 {
        rows.extend((0..d).map(|_| rng.uniform(-1.0, 1.0)));
        rows.push((k % 2) as f64);
    }
    let f = Graph::record_with(&[0.5, -0.25, 1.0], &rows, loop_logistic);
    let xs = points_with_specials(&mut rng, d);
    for (name, g) in [
        ("branching body", f.clone()),
        ("branching body, gradient", f.gradient()),
    ] {
        let c = g.compile().unwrap();
        assert!(c.loops_in_code().1 >= 1, "{name}: {:?}", c.loops_in_code());
        for x in &xs {
            let want = g.eval_with(x, &rows);
            if let Err(why) = same_result(&c.eval_with(x, &rows), &want) {
                panic!("{name} at {x:?}: compiled {why}");
            }
        }
        // a row on a path no variant was recorded for: the interpreter's error, same iteration
        let mut p = rows.clone();
        p[4 * (d + 1) + d] = -1.0;
        let want = g.eval_with(&xs[0], &p);
        assert!(
            matches!(want, Err(GraphError::LoopGuard { iteration: 4, .. })),
            "{name}: {want:?}"
        );
        assert_eq!(c.eval_with(&xs[0], &p), want, "{name}");
    }

    let xs0: Vec<f64> = (0..9).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let f = Graph::record_with(&[0.2, 0.7], &xs0, loop_nested);
    let (xs, ps) = (
        points_with_specials(&mut rng, 2),
        points_with_specials(&mut rng, 9),
    );
    for (name, g) in [
        ("nested loops", f.clone()),
        ("nested loops, gradient", f.gradient()),
    ] {
        let c = g.compile().unwrap();
        assert!(c.loops_in_code().1 >= 1, "{name}: {:?}", c.loops_in_code());
        for x in &xs {
            for p in &ps {
                let want = g.eval_with(x, p);
                if let Err(why) = same_result(&c.eval_with(x, p), &want) {
                    panic!("{name} at {x:?}, {p:?}: compiled {why}");
                }
            }
        }
    }
}

/// Literal factors, ±∞ and ±0 among them, and loops whose reverse loops get a constant seed (1,
/// and ∞) that their bodies multiply adjoints by.
fn literal_factors<T: nilpotent::Real>(x: &[T], p: &[T]) -> T {
    let a = x[0] * 2.5 + x[1] * f64::INFINITY + x[2] * -0.0 + x[0] * x[1] * -3.0;
    let b = nilpotent::sum_map(p, 2, |r| (r[0] * x[1]) * 0.5 - r[1] * x[2] * 4.0 + x[0]);
    let c = nilpotent::sum_map(p, 2, |r| r[0] * x[2] + r[1]);
    a + b + c * f64::INFINITY
}

/// A `⊙` by a constant factor (a seed 1 or ∞ a loop body reads, a literal of the function) in
/// compiled code is the interpreter's bit for bit, at 0, −0, ±∞ and NaN in every input and
/// datum, in straight-line code and in loops written in the code, in gradients and Hessians. (A
/// mask left out of such a product gives NaN for ∞ ⊙ 0 where the interpreter gives 0: this test
/// fails then.)
#[test]
fn jit_chain_mul_by_a_constant_factor_is_odot_bit_for_bit() {
    let mut rng = Rng::for_test("jit_chain_mul_by_a_constant");
    let (x0, p0) = (vec![0.5, -0.75, 1.25], vec![0.3, -0.6, 0.9, 1.2]);
    let f = Graph::record_with(&x0, &p0, literal_factors);
    let (xs, ps) = (
        points_with_specials(&mut rng, x0.len()),
        points_with_specials(&mut rng, p0.len()),
    );
    check_loops_in_code(
        "literal factors, gradient",
        &f.gradient(),
        true,
        None,
        &xs,
        &ps,
    );
    check_loops_in_code(
        "literal factors, Hessian",
        &f.hessian(),
        false,
        None,
        &xs,
        &ps[..4],
    );
}

/// `s ← s·aₖ·bₖ` over the rows `(aₖ, bₖ)` of the parameters `p`, from `s₀ = x₀`: its
/// gradient's reverse loop carries the adjoint through two `⊙` a step, one after the other,
/// `s̄ₖ = (s̄ₖ₊₁ ⊙ bₖ) ⊙ aₖ` (the chain the next iteration waits for).
fn product_scan<T: nilpotent::Real>(x: &[T], p: &[T]) -> T {
    nilpotent::scan(&[x[0]], p, 2, |s, r| vec![s[0] * r[0] * r[1]])[0]
}

/// Issue "Loops as loops" (the logistic map's derivative 4.8× a plain loop: two masked `⊙`s a
/// step on the adjoint's chain): a `⊙` on the carried chain of a small loop body with two `⊙`s
/// one after the other is compiled as the product and a branch, taken where the product is ±0 or
/// NaN, to code that clears it where a factor is 0. It must still be `⊙` bit for bit, also where
/// the chain takes that branch: an adjoint that becomes +0 at a datum 0 and stays 0 against ∞ and
/// NaN later; a NaN or ∞ datum; a product that underflows to ±0 from nonzero factors (kept, with
/// its sign); −0 — against the closed form `∂f/∂x₀ = (…((1 ⊙ bₙ₋₁) ⊙ aₙ₋₁) … ⊙ b₀) ⊙ a₀` and
/// the interpreter, with the loops in the code.
#[test]
fn jit_odot_on_a_loops_carried_chain_is_odot_bit_for_bit() {
    let odot = |a: f64, b: f64| if a == 0.0 || b == 0.0 { 0.0 } else { a * b };
    let (inf, nan) = (f64::INFINITY, f64::NAN);
    let sequences: [&[f64]; 9] = [
        &[1.5, -2.0, 0.75, 3.0],
        &[inf, 2.0, 0.0, 3.0],
        &[nan, -0.0, 2.0, 0.5],
        &[2.0, nan, 3.0, -1.0],
        &[-inf, 0.5, 4.0, inf],
        &[1e-200, -1e-200, 5.0, 2.0],
        &[-1e-200, 1e-200, 1e-200, 3.0],
        &[0.0, inf, -inf, nan],
        &[-0.0, 1.0, 1.0, -0.0],
    ];
    for p in sequences {
        let f = Graph::record_with(&[1.25], p, product_scan);
        let g = f.gradient();
        let c = g.compile().unwrap();
        assert_eq!(
            c.loops_in_code(),
            (2, 0),
            "p = {p:?}: the forward and the reverse loop in the code"
        );
        for x0 in [1.25, -0.0, 0.0, inf, nan, 1e-200] {
            let want = g.eval_with(&[x0], p);
            if let Err(why) = same_result(&c.eval_with(&[x0], p), &want) {
                panic!("p = {p:?}, x₀ = {x0}: compiled {why}");
            }
            let closed = p
                .chunks(2)
                .rev()
                .fold(1.0, |a, r| odot(odot(a, r[1]), r[0]));
            let got = want.unwrap()[1];
            assert!(
                got.to_bits() == closed.to_bits() || (got.is_nan() && closed.is_nan()),
                "p = {p:?}, x₀ = {x0}: ∂f/∂x₀ = {got:e} against the closed form {closed:e}"
            );
        }
    }
}

/// The literal factors of [`literal_squares`].
const LITERALS: [f64; 10] = [
    1.0,
    -1.0,
    2.5,
    -3.0,
    1e300,
    f64::MAX,
    0.5,
    -0.75,
    1e-300,
    -f64::MIN_POSITIVE,
];

/// `Σₖ cₖ·(3xₖ)²` for the literals cₖ of [`LITERALS`], each term a loop over the window `xₖ` of
/// the inputs: each reverse loop's body multiplies its seed 1 (a free value of the body that is a
/// constant) by cₖ, and that by the square's partial `2·3xₖ` with a `⊙`; the window's adjoint,
/// 3 times that, is added to −0, so that the sign of a zero shows.
fn literal_squares<T: nilpotent::Real>(x: &[T]) -> T {
    LITERALS.iter().enumerate().fold(T::zero(), |acc, (k, &c)| {
        acc + nilpotent::sum_windows(&x[k..k + 1], 1, 1, |w| (w[0] * 3.0).powi(2) * c)
    })
}

/// A `⊙` by a constant c with 1 ≤ |c| < ∞ known when the code is made (the seed 1 of a reverse
/// loop's body, its product with a literal) is compiled as `c·y + 0`, without zero tests: it must
/// be `c ⊙ y` bit for bit, for y = ±0 (+0, where c·y is −0 for one sign), ±∞, NaN, and values
/// whose products underflow or overflow; the other constants (|c| < 1, where c·y can underflow to
/// a signed 0 that `⊙` keeps) keep the masked product — against the interpreter and the closed
/// form `∂f/∂xₖ = −0 + 3·(cₖ ⊙ 2·3xₖ)`, with the loops in the code.
#[test]
fn jit_odot_by_a_large_constant_is_odot_bit_for_bit() {
    let odot = |a: f64, b: f64| if a == 0.0 || b == 0.0 { 0.0 } else { a * b };
    let n = LITERALS.len();
    let g = Graph::record(&vec![1.0; n], literal_squares).gradient();
    let c = g.compile().unwrap();
    assert_eq!(c.loops_in_code().1, 0, "the loops in the code");
    for y in [
        1.25,
        0.0,
        -0.0,
        1e-170,
        -1e-300,
        -5e-324,
        1e300,
        -1e300,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ] {
        let x = vec![y; n];
        let want = g.eval(&x);
        if let Err(why) = same_result(&c.eval(&x), &want) {
            panic!("y = {y}: compiled {why}");
        }
        let out = want.unwrap();
        for (k, &ck) in LITERALS.iter().enumerate() {
            let (got, closed) = (out[1 + k], -0.0 + 3.0 * odot(ck, 2.0 * (3.0 * y)));
            assert!(
                got.to_bits() == closed.to_bits() || (got.is_nan() && closed.is_nan()),
                "y = {y}: ∂f/∂x{k} = {got:e} against −0 + 3·({ck:e} ⊙ 6y) = {closed:e}"
            );
        }
    }
}
