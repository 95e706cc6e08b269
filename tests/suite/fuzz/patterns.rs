//! Sparse plans on random sparsity patterns, dense rows and columns included, against the dense
//! drivers and against the one-shot `sparse::jacobian`/`sparse::hessian`.
//!
//! A case draws m ≤ 8 outputs and n ≤ 10 inputs and a pattern: each entry with probability 0.15
//! or 0.4, often one dense row (an output of every input) and one dense column (an input of every
//! output), sometimes empty rows and columns. Output i is Σⱼ cᵢⱼ·φᵢⱼ(xⱼ) over its entries plus a
//! few products xⱼxₖ, φ from sin, x², x³, exp, tanh, |x| and max(x, c) — code without a branch of
//! its own (`abs` and `max` are operations; only their derivative rules choose). The scalar
//! function of the Hessian plans is Σᵢ yᵢ + ½y_r² for one row r (a dense row gives a dense
//! Hessian). The plans are built once at x₀ and evaluated at x₀ and five more points (two of
//! them with a coordinate on a kink: 0 for |x|, c for max(x, c)).
//!
//! | check | rule |
//! |---|---|
//! | `JacobianPlan` (`Forward`, `Reverse`, `Auto`) and `HessianPlan` `eval` | `Ok` at every point: branch-free code has no guards in any plan |
//! | their values | the `f64` function's, bit for bit |
//! | forward plan vs dense forward `jacobian` | equal as numbers (±0 alike) |
//! | reverse and `Auto` plans vs the tape `reverse::jacobian` and dense forward | 1e-12 of the larger (floor 1) |
//! | `HessianPlan` gradient and Hessian vs dense forward `gradient` and `hessian` | 1e-12 and 1e-10 of the larger (floor 1) |
//! | entries outside a plan's pattern | exactly 0 in the dense result |
//! | one-shot `sparse::jacobian`/`sparse::hessian` at x vs the `Auto`/Hessian plan built at x₀ | bit for bit |

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};

use nilpotent::graph::{Graph, Sym};
use nilpotent::sparse::{self, CscMatrix, Direction, HessianPlan, JacobianPlan, Order};
use nilpotent::{gradient, hessian, jacobian, reverse};
use num_traits::Float;

use super::common::{Rng, same_f64, same_value};
use super::{case_rng, env_u64};

/// Cases checked by default (debug build).
const DEFAULT_CASES: u64 = 40;
/// Jacobians by two routes (forward and reverse).
const JAC_RTOL: f64 = 1e-12;
/// Hessians by two routes (compressed forward over the gradient graph, nested duals).
const HESS_RTOL: f64 = 1e-10;

#[derive(Clone, Copy, Debug)]
enum Phi {
    Sin,
    Square,
    Cube,
    Exp,
    Tanh,
    Abs,
    Max(f64),
}

/// One output: its (input, φ, coefficient) terms and its products of two inputs.
type Row = (Vec<(usize, Phi, f64)>, Vec<(usize, usize)>);

#[derive(Clone, Debug)]
struct SparseFn {
    n: usize,
    /// per output: (input, φ, coefficient) terms and products of two inputs
    rows: Vec<Row>,
    /// the row squared in the scalar function
    square: usize,
    /// where the kinks are: (input, position)
    kinks: Vec<(usize, f64)>,
}

fn phi<T: Float>(p: Phi, x: T) -> T {
    match p {
        Phi::Sin => x.sin(),
        Phi::Square => x * x,
        Phi::Cube => x * x * x,
        Phi::Exp => x.exp(),
        Phi::Tanh => x.tanh(),
        Phi::Abs => x.abs(),
        Phi::Max(c) => x.max(T::from(c).unwrap()),
    }
}

fn outputs<T: Float>(f: &SparseFn, x: &[T]) -> Vec<T> {
    f.rows
        .iter()
        .map(|(terms, pairs)| {
            let mut y = T::zero();
            for &(j, p, c) in terms {
                y = y + T::from(c).unwrap() * phi(p, x[j]);
            }
            for &(j, k) in pairs {
                y = y + x[j] * x[k];
            }
            y
        })
        .collect()
}

fn scalar<T: Float>(f: &SparseFn, x: &[T]) -> T {
    let y = outputs(f, x);
    let half = T::from(0.5).unwrap();
    y.iter().fold(T::zero(), |s, &v| s + v) + half * y[f.square] * y[f.square]
}

fn generate(rng: &mut Rng) -> SparseFn {
    let m = 1 + rng.below(8);
    let n = 1 + rng.below(10);
    let p = if rng.below(2) == 0 { 0.15 } else { 0.4 };
    let dense_row = (rng.below(3) == 0).then(|| rng.below(m));
    let dense_col = (rng.below(3) == 0).then(|| rng.below(n));
    let mut kinks = Vec::new();
    let mut rows = Vec::new();
    for i in 0..m {
        let mut terms = Vec::new();
        for j in 0..n {
            if dense_row == Some(i) || dense_col == Some(j) || rng.unit() < p {
                let ph = match rng.below(7) {
                    0 => Phi::Sin,
                    1 => Phi::Square,
                    2 => Phi::Cube,
                    3 => Phi::Exp,
                    4 => Phi::Tanh,
                    5 => {
                        kinks.push((j, 0.0));
                        Phi::Abs
                    }
                    _ => {
                        let c = rng.int(-2, 2) as f64 * 0.5;
                        kinks.push((j, c));
                        Phi::Max(c)
                    }
                };
                terms.push((j, ph, rng.int(-3, 3) as f64 * 0.5 + 0.25));
            }
        }
        let mut pairs = Vec::new();
        while rng.below(10) < 3 {
            pairs.push((rng.below(n), rng.below(n)));
        }
        rows.push((terms, pairs));
    }
    SparseFn {
        n,
        square: rng.below(m),
        rows,
        kinks,
    }
}

fn entry(a: &CscMatrix<f64>, i: usize, j: usize) -> Option<f64> {
    a.get_entry(i, j).map(|e| e.into_value())
}

fn close(a: f64, b: f64, rtol: f64) -> bool {
    (a - b).abs() <= rtol * a.abs().max(b.abs()).max(1.0) || (a.is_nan() && b.is_nan())
}

type Failure = (&'static str, String);

/// A sparse matrix against a dense one: in-pattern entries by `cmp`, out-of-pattern ones exactly 0.
fn compare(
    what: &'static str,
    sp: &CscMatrix<f64>,
    dense: &nalgebra::DMatrix<f64>,
    cmp: impl Fn(f64, f64) -> bool,
    fails: &mut Vec<Failure>,
) {
    if (sp.nrows(), sp.ncols()) != dense.shape() {
        fails.push((
            what,
            format!(
                "shape {:?} vs {:?}",
                (sp.nrows(), sp.ncols()),
                dense.shape()
            ),
        ));
        return;
    }
    for i in 0..sp.nrows() {
        for j in 0..sp.ncols() {
            let d = dense[(i, j)];
            match entry(sp, i, j) {
                Some(s) if !cmp(s, d) => {
                    fails.push((what, format!("({i}, {j}): sparse {s:e} vs dense {d:e}")));
                }
                None if d != 0.0 => fails.push((
                    "a nonzero outside the pattern",
                    format!("{what}: ({i}, {j}) = {d:e} is not in the pattern"),
                )),
                _ => {}
            }
        }
    }
}

fn same_vec(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| same_f64(x, y))
}

fn same_csc(a: &CscMatrix<f64>, b: &CscMatrix<f64>) -> bool {
    a.pattern() == b.pattern()
        && a.values()
            .iter()
            .zip(b.values())
            .all(|(&x, &y)| same_f64(x, y))
}

fn check_point(
    f: &SparseFn,
    plans: &mut [(Direction, JacobianPlan)],
    hplan: &mut HessianPlan,
    x: &[f64],
    fails: &mut Vec<Failure>,
) {
    let r = outputs::<f64>(f, x);
    let (_, jf) = jacobian(|s| outputs(f, s), x);
    let (_, jt) = reverse::jacobian(|s| outputs(f, s), x);
    let one_shot = panic::catch_unwind(AssertUnwindSafe(|| {
        sparse::jacobian(|s: &[Sym]| outputs(f, s), x)
    }));
    for (dir, plan) in plans.iter_mut() {
        let dir = *dir;
        let res = plan.eval(x);
        let (y, jac) = match res {
            Ok((y, jac)) => (y.to_vec(), jac.clone()),
            Err(e) => {
                fails.push((
                    match dir {
                        Direction::Forward => "Forward Jacobian plan: an error on branch-free code",
                        Direction::Reverse => "Reverse Jacobian plan: an error on branch-free code",
                        _ => "Auto Jacobian plan: an error on branch-free code",
                    },
                    format!("{e}"),
                ));
                continue;
            }
        };
        if !same_vec(&y, &r) {
            fails.push((
                "Jacobian plan values vs f64",
                format!("{dir:?}: {y:?} vs {r:?}"),
            ));
        }
        match dir {
            Direction::Forward => compare(
                "forward plan vs dense forward",
                &jac,
                &jf,
                same_value,
                fails,
            ),
            _ => {
                compare(
                    "reverse/auto plan vs tape",
                    &jac,
                    &jt,
                    |a, b| close(a, b, JAC_RTOL),
                    fails,
                );
                compare(
                    "reverse/auto plan vs dense forward",
                    &jac,
                    &jf,
                    |a, b| close(a, b, JAC_RTOL),
                    fails,
                );
            }
        }
        if dir == Direction::Auto {
            match &one_shot {
                Err(_) => fails.push(("sparse::jacobian panics", String::new())),
                Ok((oy, oj)) => {
                    if !same_vec(oy, &y) || !same_csc(oj, &jac) {
                        fails.push((
                            "one-shot sparse::jacobian vs the Auto plan",
                            format!("values {oy:?} vs {y:?}"),
                        ));
                    }
                }
            }
        }
    }

    let v = scalar::<f64>(f, x);
    let (_, gf) = gradient(|s| scalar(f, s), x);
    let (_, _, hf) = hessian(|s| scalar(f, s), x);
    let (hv, hg, hh) = match hplan.eval(x) {
        Ok((hv, hg, hh)) => (hv, hg.to_vec(), hh.clone()),
        Err(e) => {
            fails.push(("Hessian plan: an error on branch-free code", format!("{e}")));
            return;
        }
    };
    if !same_f64(hv, v) {
        fails.push(("Hessian plan value vs f64", format!("{hv:?} vs {v:?}")));
    }
    for (j, (&a, &b)) in hg.iter().zip(&gf).enumerate() {
        if !close(a, b, JAC_RTOL) {
            fails.push((
                "Hessian plan gradient vs forward",
                format!("∂{j}: {a:e} vs {b:e}"),
            ));
        }
    }
    compare(
        "Hessian plan vs dense forward hessian",
        &hh,
        &hf,
        |a, b| close(a, b, HESS_RTOL),
        fails,
    );
    match panic::catch_unwind(AssertUnwindSafe(|| {
        sparse::hessian(|s: &[Sym]| scalar(f, s), x)
    })) {
        Err(_) => fails.push(("sparse::hessian panics", String::new())),
        Ok((ov, og, oh)) => {
            if !same_f64(ov, hv) || !same_vec(&og, &hg) || !same_csc(&oh, &hh) {
                fails.push((
                    "one-shot sparse::hessian vs the Hessian plan",
                    format!("value {ov:?} vs {hv:?}, gradient {og:?} vs {hg:?}"),
                ));
            }
        }
    }
}

#[test]
fn sparse_plans_on_random_patterns_agree_with_dense_drivers() {
    let cases = env_u64("NILPOTENT_FUZZ_CASES").unwrap_or(DEFAULT_CASES);
    let first = env_u64("NILPOTENT_FUZZ_FIRST").unwrap_or(0);
    let keep_going = std::env::var("NILPOTENT_FUZZ_KEEP_GOING").is_ok();
    let base = Rng::for_test("fuzz patterns").next_u64();
    let mut failing = 0u64;
    let mut classes: BTreeMap<&'static str, (u64, String)> = BTreeMap::new();
    let (mut points, mut nnz, mut entries, mut dense_rows_cols) = (0u64, 0u64, 0u64, 0u64);
    for case in first..first + cases {
        let mut rng = case_rng(base, case);
        let f = generate(&mut rng);
        let n = f.n;
        let m = f.rows.len();
        let x0: Vec<f64> = (0..n).map(|_| rng.uniform(-2.0, 2.0)).collect();
        let g = Graph::record_vec(&x0, |s: &[Sym]| outputs(&f, s));
        let gh = Graph::record(&x0, |s: &[Sym]| scalar(&f, s));
        let mut plans: Vec<(Direction, JacobianPlan)> =
            [Direction::Forward, Direction::Reverse, Direction::Auto]
                .into_iter()
                .map(|d| (d, JacobianPlan::with_options(&g, d, Order::Best)))
                .collect();
        let mut hplan = HessianPlan::new(&gh);
        let pat = plans[0].1.pattern();
        nnz += pat.nnz() as u64;
        entries += (m * n) as u64;
        dense_rows_cols += f.rows.iter().any(|(t, _)| t.len() == n) as u64;
        let mut pts = vec![x0.clone()];
        for t in 0..5 {
            let mut x: Vec<f64> = (0..n).map(|_| rng.uniform(-2.0, 2.0)).collect();
            if t < 2 && !f.kinks.is_empty() {
                let (j, c) = f.kinks[rng.below(f.kinks.len())];
                x[j] = c;
            }
            pts.push(x);
        }
        let mut fails = Vec::new();
        for x in &pts {
            points += 1;
            let mut fl = Vec::new();
            check_point(&f, &mut plans, &mut hplan, x, &mut fl);
            fails.extend(
                fl.into_iter()
                    .map(|(c, msg)| (c, format!("at {x:?}: {msg}"))),
            );
        }
        if fails.is_empty() {
            continue;
        }
        failing += 1;
        let mut report = format!(
            "case {case} (base seed {base:#x}; rerun with NILPOTENT_FUZZ_FIRST={case} \
             NILPOTENT_FUZZ_CASES=1): {m}×{n}, recorded at {x0:?}\n{f:?}\n"
        );
        let mut seen = Vec::new();
        for (check, msg) in &fails {
            if !seen.contains(check) {
                seen.push(check);
                report += &format!("  FAILED {check}: {msg}\n");
            }
        }
        for check in seen {
            let e = classes.entry(check).or_insert((0, String::new()));
            e.0 += 1;
            if e.1.is_empty() {
                e.1 = report.clone();
            }
        }
        if keep_going {
            eprintln!("{report}");
        } else {
            panic!("{report}");
        }
    }
    println!(
        "patterns: base seed {base:#x}, cases {first}..{}: {points} points, {nnz} of {entries} \
         Jacobian entries in the patterns, {dense_rows_cols} cases with a dense row",
        first + cases
    );
    for (check, (count, example)) in &classes {
        println!("FAILURES {check}: {count} cases; first:\n{example}");
    }
    assert_eq!(failing, 0, "{failing} failing cases");
}
