//! Graphs with parameters ([`Graph::record_with`]) for the backends to be checked on against the
//! interpreter: every rule of the table with a parameter in every operand position (a parameter
//! operand, both operands parameters, the parameter only in a guard), random expressions over
//! inputs and parameters, and a guard on a parameter (a label), each with its gradient and Hessian
//! graphs and evaluated at points that pair new inputs with new parameters.
//!
//! Deterministic (fixed seeds), like the rest of `compiled_cases`.
#![allow(dead_code)]

use nilpotent::graph::{Graph, GraphError, Sym};
use nilpotent::rules::{Binary, Unary};
use num_traits::{Float, Zero};

use super::{Rng, SPECIAL, apply_binary, apply_mul_add, apply_unary, random_expr, unary_ops};

/// A graph with parameters to check, under the name its emitted function has.
pub struct ParamCase {
    pub name: String,
    pub graph: Graph,
    /// the (inputs, parameters) to evaluate it at (the recording point first)
    pub points: Vec<(Vec<f64>, Vec<f64>)>,
}

/// A name for a unary rule in an identifier.
fn unary_name(op: Unary) -> String {
    match op {
        Unary::Powi(n) if n < 0 => format!("powi_m{}", -n),
        Unary::Powi(n) => format!("powi_{n}"),
        op => op.name().into(),
    }
}

/// The graph of `f(x; p)`, its gradient and its Hessian, each with `points`.
fn three(
    name: &str,
    x0: &[f64],
    p0: &[f64],
    f: impl FnOnce(&[Sym], &[Sym]) -> Sym,
    points: &[(Vec<f64>, Vec<f64>)],
) -> Vec<ParamCase> {
    let g = Graph::record_with(x0, p0, f);
    let mut all = vec![(x0.to_vec(), p0.to_vec())];
    all.extend(points.iter().cloned());
    let (grad, hess) = (g.gradient(), g.hessian());
    vec![
        ParamCase {
            name: name.to_string(),
            graph: g,
            points: all.clone(),
        },
        ParamCase {
            name: format!("{name}_gradient"),
            graph: grad,
            points: all.clone(),
        },
        ParamCase {
            name: format!("{name}_hessian"),
            graph: hess,
            points: all,
        },
    ]
}

/// Pairs of an input and a parameter: special values on both sides.
fn grid(nx: usize, np: usize, values: &[f64]) -> Vec<(Vec<f64>, Vec<f64>)> {
    let k = nx + np;
    let mut out = Vec::new();
    let mut idx = vec![0usize; k];
    loop {
        let v: Vec<f64> = idx.iter().map(|&i| values[i]).collect();
        out.push((v[..nx].to_vec(), v[nx..].to_vec()));
        let mut j = 0;
        while j < k {
            idx[j] += 1;
            if idx[j] < values.len() {
                break;
            }
            idx[j] = 0;
            j += 1;
        }
        if j == k {
            return out;
        }
    }
}

/// Every rule with a parameter in every operand position: `op(p₀)·x₀` (a unary rule on a
/// parameter), `op(x₀, p₀)` and `op(p₀, x₀)` (a parameter operand), `op(p₀, p₁)·x₀` (both operands
/// parameters), `mul_add` with parameters in each position, and `op(x₀, x₁)` whose sign is chosen
/// by a guard on `p₀` (the parameter only in a guard).
pub fn param_rule_cases() -> Vec<ParamCase> {
    let few = [
        0.0,
        -0.0,
        0.5,
        -2.5,
        1.0,
        3.0,
        1e-310,
        1e300,
        f64::INFINITY,
        f64::NAN,
    ];
    let mut cases = Vec::new();
    let pairs = grid(1, 1, &SPECIAL);
    for op in unary_ops() {
        let name = format!("param_{}", unary_name(op));
        let p0 = if op == Unary::Acosh { 1.5 } else { 0.5 };
        cases.extend(three(
            &format!("{name}_of_p"),
            &[0.7],
            &[p0],
            |x, p| apply_unary(op, p[0]) * x[0],
            &pairs,
        ));
    }
    let triples = grid(1, 2, &few);
    let guard_points = grid(2, 1, &few);
    for op in Binary::ALL {
        let name = format!("param_{}", super::op_name(op.name()));
        cases.extend(three(
            &format!("{name}_x_p"),
            &[0.7],
            &[1.3],
            |x, p| apply_binary(op, x[0], p[0]),
            &pairs,
        ));
        cases.extend(three(
            &format!("{name}_p_x"),
            &[0.7],
            &[1.3],
            |x, p| apply_binary(op, p[0], x[0]),
            &pairs,
        ));
        cases.extend(three(
            &format!("{name}_p_p"),
            &[0.7],
            &[1.3, 0.6],
            |x, p| apply_binary(op, p[0], p[1]) * x[0],
            &triples,
        ));
        cases.extend(three(
            &format!("{name}_guarded_by_p"),
            &[0.7, 1.3],
            &[0.5],
            |x, p| {
                let v = apply_binary(op, x[0], x[1]);
                if p[0] > Sym::zero() { v } else { -v }
            },
            &guard_points,
        ));
    }
    let mixed = grid(2, 1, &few);
    cases.extend(three(
        "param_mul_add_x_p_x",
        &[0.7, -0.4],
        &[1.3],
        |x, p| apply_mul_add(x[0], p[0], x[1]),
        &mixed,
    ));
    cases.extend(three(
        "param_mul_add_p_p_x",
        &[0.7],
        &[1.3, -0.4],
        |x, p| apply_mul_add(p[0], p[1], x[0]),
        &triples,
    ));
    cases.extend(three(
        "param_mul_add_x_x_p",
        &[0.7, -0.4],
        &[1.3],
        |x, p| apply_mul_add(x[0], x[1], p[0]),
        &mixed,
    ));
    cases
}

/// A random expression over inputs and parameters (its first `nx` variables are the inputs).
pub fn random_param_cases(count: usize, seed: u64) -> Vec<ParamCase> {
    let mut rng = Rng::new(seed);
    let mut cases = Vec::new();
    for k in 0..count {
        let nx = 1 + rng.below(3);
        let np = 1 + rng.below(3);
        let e = random_expr(nx + np, 4 + rng.below(10), &mut rng);
        let x0: Vec<f64> = (0..nx).map(|_| rng.uniform(0.2, 1.8)).collect();
        let p0: Vec<f64> = (0..np).map(|_| rng.uniform(0.2, 1.8)).collect();
        let points: Vec<(Vec<f64>, Vec<f64>)> = super::random_points(nx + np, 40, &mut rng)
            .into_iter()
            .map(|v| (v[..nx].to_vec(), v[nx..].to_vec()))
            .collect();
        cases.extend(three(
            &format!("param_random_{k}"),
            &x0,
            &p0,
            |x, p| {
                let v: Vec<Sym> = x.iter().chain(p).copied().collect();
                e.eval(&v)
            },
            &points,
        ));
    }
    cases
}

/// A loss with a branch on a label (a parameter): `y·log σ(w·t) + (1 − y)·log(1 − σ(w·t))`,
/// written with `if y > 0.5`, so that the label decides the branch and is a guard.
pub fn labelled<T: Float>(w: &[T], p: &[T]) -> T {
    let (t, y) = (p[0], p[1]);
    let z = w[0] * t + w[1];
    let s = T::one() / (T::one() + (-z).exp());
    if y > T::from(0.5).unwrap() {
        -s.ln()
    } else {
        -(T::one() - s).ln()
    }
}

/// [`labelled`] and its derivative graphs, evaluated with labels on both sides of the branch.
pub fn label_cases() -> Vec<ParamCase> {
    let mut points = Vec::new();
    for w0 in [-1.0, 0.5, 2.0] {
        for t in [-2.0, 0.0, 1.5] {
            for y in [0.0, 1.0, 0.5, f64::NAN] {
                points.push((vec![w0, 0.25], vec![t, y]));
            }
        }
    }
    three(
        "param_labelled",
        &[0.5, -0.25],
        &[1.0, 1.0],
        labelled,
        &points,
    )
}

/// A loss over rows `[t (d), y]` of the parameters by `sum_map`, with a three-way branch on the
/// label: recorded with labels 0 and 1 only (two variants of the body), so a row labelled −1 is
/// the error naming its iteration.
pub fn loop_logistic<T: nilpotent::Real>(w: &[T], rows: &[T]) -> T {
    let d = w.len();
    nilpotent::sum_map(rows, d + 1, |r| {
        let z = (0..d).fold(T::zero(), |s, j| s + w[j] * r[j]);
        if r[d] > 0.5 {
            (T::one() + (-z).exp()).ln()
        } else if r[d] < -0.5 {
            z * z
        } else {
            (T::one() + z.exp()).ln()
        }
    })
}

/// A driven recurrence: the state `(x₀, x₁)` stepped by `scan` over the parameters two at a time,
/// with the input `x₂` captured by the step.
pub fn loop_driven<T: nilpotent::Real>(x: &[T], u: &[T]) -> T {
    let s = nilpotent::scan(&[x[0], x[1]], u, 2, |s, v| {
        vec![
            s[0] * x[2] + (s[1] * v[0]).sin(),
            s[1] * 0.9 + v[1] * s[0] - x[2] * v[0],
        ]
    });
    s[0] + s[1] * s[1]
}

/// Rosenbrock over windows of the inputs (a sequence that is the inputs), plus the logistic map
/// as a `fold` of 5 steps (no data: a step count) with the parameter as its rate, and the rows of
/// the parameters mapped (`map_rows`, one value per row) and weighted by the inputs.
pub fn loop_mixed<T: nilpotent::Real>(x: &[T], p: &[T]) -> T {
    let r = nilpotent::sum_windows(x, 2, 1, |w| {
        (w[1] - w[0] * w[0]).powi(2) * 100.0 + (-w[0] + 1.0).powi(2)
    });
    let m = nilpotent::fold(&[x[0] * 0.1 + 0.5], 5, |s| {
        vec![p[0] * s[0] * (-s[0] + 1.0)]
    })[0];
    let rows = nilpotent::map_rows(&p[1..], 2, |row| (row[0] * x[1]).tanh() + row[1]);
    let weighted = rows
        .iter()
        .zip(x)
        .fold(T::zero(), |acc, (&v, &xi)| acc + v * xi);
    r + m + weighted
}

/// A `sum_map` inside a `scan`'s step (nested loops).
pub fn loop_nested<T: nilpotent::Real>(x: &[T], xs: &[T]) -> T {
    let s = nilpotent::scan(&[x[0]], xs, 3, |s, row| {
        let inner = nilpotent::sum_map(row, 1, |v| (v[0] * x[1] + s[0]).sin());
        vec![s[0] * 0.5 + inner]
    });
    s[0]
}

/// Windows of the inputs of several shapes — a stencil of 3 with stride 2 (overlapping), single
/// entries 3 apart (gaps), pairs 5 apart — and pairs of a sequence interleaving inputs and
/// parameters: the reverse loops of the gradient add the windows' adjoints into one array per
/// sequence (issue "Loops as loops": the gradient of a loop over windows stays a loop).
pub fn loop_windows<T: nilpotent::Real>(x: &[T], p: &[T]) -> T {
    let a = nilpotent::sum_windows(x, 3, 2, |w| (w[0] * w[1] - w[2]).sin() + w[1] * w[1] * w[2]);
    let b = nilpotent::sum_windows(x, 1, 3, |w| (w[0] * p[0]).sin() * w[0]);
    let c = nilpotent::sum_windows(x, 2, 5, |w| (w[0] - w[1]).powi(2));
    let seq: Vec<T> = x.iter().zip(p).flat_map(|(&u, &v)| [u, v]).collect();
    let d = nilpotent::sum_windows(&seq, 2, 2, |w| (w[0] * w[1]).exp() * x[0]);
    a + b + c + d
}

/// A fold of 21 steps whose branch changes at the first state ≤ 0 (recorded at 5: one path).
pub fn loop_countdown<T: nilpotent::Real>(x: &[T], p: &[T]) -> T {
    nilpotent::fold(&[x[0]], 21, |s| {
        vec![if s[0] > 0.0 {
            s[0] - p[0] * 0.2
        } else {
            s[0] * 2.0
        }]
    })[0]
}

/// Graphs with loop nodes (issue "Loops as loops") and their derivative graphs (reverse loops,
/// stacked states read from the forward loop), at new inputs and data; the branch cases include a
/// row no recorded variant takes.
pub fn loop_cases() -> Vec<ParamCase> {
    let mut rng = Rng::new(0x6c6f_6f70);
    let mut cases = Vec::new();
    let d = 3;
    let rows = |rng: &mut Rng, labels: &[f64]| -> Vec<f64> {
        let mut r = Vec::new();
        for &y in labels {
            r.extend((0..d).map(|_| rng.uniform(-1.0, 1.0)));
            r.push(y);
        }
        r
    };
    let p0 = rows(&mut rng, &[1.0, 0.0, 0.0, 1.0, 1.0, 0.0]);
    let mut points = Vec::new();
    for labels in [
        [0.0, 1.0, 1.0, 0.0, 1.0, 1.0],
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        [0.0, 1.0, -1.0, 0.0, 1.0, 1.0],
        [f64::NAN, 0.0, 0.0, 1.0, 1.0, 0.0],
    ] {
        let w: Vec<f64> = (0..d).map(|_| rng.uniform(-2.0, 2.0)).collect();
        points.push((w, rows(&mut rng, &labels)));
    }
    cases.extend(three(
        "loop_logistic",
        &[0.5, -0.25, 1.0],
        &p0,
        loop_logistic,
        &points,
    ));
    let u0: Vec<f64> = (0..8).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let points: Vec<_> = (0..4)
        .map(|_| {
            let x: Vec<f64> = (0..3).map(|_| rng.uniform(-1.0, 1.0)).collect();
            (x, (0..8).map(|_| rng.uniform(-1.0, 1.0)).collect())
        })
        .collect();
    cases.extend(three(
        "loop_driven",
        &[0.3, -0.2, 0.8],
        &u0,
        loop_driven,
        &points,
    ));
    let points: Vec<_> = (0..4)
        .map(|_| {
            let x: Vec<f64> = (0..4).map(|_| rng.uniform(-1.5, 1.5)).collect();
            let mut p = vec![rng.uniform(2.5, 3.9)];
            p.extend((0..6).map(|_| rng.uniform(-1.0, 1.0)));
            (x, p)
        })
        .collect();
    let mut q0 = vec![3.2];
    q0.extend((0..6).map(|k| 0.1 * k as f64 - 0.2));
    cases.extend(three(
        "loop_mixed",
        &[0.5, 1.5, -0.5, 1.0],
        &q0,
        loop_mixed,
        &points,
    ));
    let xs0: Vec<f64> = (0..9).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let points: Vec<_> = (0..3)
        .map(|_| {
            let x: Vec<f64> = (0..2).map(|_| rng.uniform(-1.0, 1.0)).collect();
            (x, (0..9).map(|_| rng.uniform(-1.0, 1.0)).collect())
        })
        .collect();
    cases.extend(three(
        "loop_nested",
        &[0.2, 0.7],
        &xs0,
        loop_nested,
        &points,
    ));
    let points: Vec<_> = (0..3)
        .map(|_| {
            let x: Vec<f64> = (0..7).map(|_| rng.uniform(-1.5, 1.5)).collect();
            (x, (0..3).map(|_| rng.uniform(-1.0, 1.0)).collect())
        })
        .chain([0.0, 1.0, -1.0].map(|v| (vec![v; 7], vec![0.5, -v, v])))
        .collect();
    cases.extend(three(
        "loop_windows",
        &[0.5, -0.3, 1.2, 0.8, -1.1, 0.1, 0.6],
        &[0.7, -0.4, 1.3],
        loop_windows,
        &points,
    ));
    // a branch on the row every recorded row takes the same way (its gradient panicked: the
    // reverse loop checked the variants' guards at zero windows, not at the iteration's row),
    // evaluated with rows on that path and with a row on the other (the error)
    let points = vec![
        (vec![-1.25], vec![0.7, 0.2, -1.5, 2.5]),
        (vec![3.0], vec![2.0, 1.0, -0.5, 3.0]),
        (vec![0.5], vec![2.0, -1.0, -0.5, 3.0]),
        (vec![0.5], vec![2.0, 1.0, -0.5, -3.0]),
    ];
    cases.extend(three(
        "loop_branch_one_path",
        &[0.5],
        &[2.0, 1.0, -0.5, 3.0],
        loop_branch_on_row,
        &points,
    ));
    // a checkpointed fold (segments of 6 steps, then 3) whose branch changes where the state
    // crosses 0: every backend names the failing step as the fold does (in the first segment,
    // a middle one, the remainder), for the function and its gradient
    let g = Graph::record_with(&[5.0], &[0.5], loop_countdown).with_checkpoints(4);
    let points: Vec<(Vec<f64>, Vec<f64>)> = [5.0, 1.25, 1.95, -1.0, 0.35]
        .iter()
        .map(|&x| (vec![x], vec![0.5]))
        .collect();
    cases.push(ParamCase {
        name: "loop_checkpointed_gradient".to_string(),
        graph: g.gradient(),
        points: points.clone(),
    });
    cases.push(ParamCase {
        name: "loop_checkpointed".to_string(),
        graph: g,
        points,
    });
    cases
}

/// The example: `x₀ + Σ_rows (z² if r₁ > 0 else |z|)`, `z = x₀·r₀ − r₁`.
pub fn loop_branch_on_row<T: nilpotent::Real>(x: &[T], p: &[T]) -> T {
    x[0] + nilpotent::sum_map(p, 2, |r| {
        let z = x[0] * r[0] - r[1];
        if r[1] > 0.0 { z * z } else { z.abs() }
    })
}

/// Every case with parameters, in a fixed order.
pub fn all_param_cases() -> Vec<ParamCase> {
    let mut cases = param_rule_cases();
    cases.extend(random_param_cases(16, 0x7061_7261_6d73));
    cases.extend(label_cases());
    cases.extend(loop_cases());
    cases
}

/// The interpreter's result for a case at a point.
pub fn interpret(g: &Graph, point: &(Vec<f64>, Vec<f64>)) -> Result<Vec<f64>, GraphError> {
    g.eval_with(&point.0, &point.1)
}
