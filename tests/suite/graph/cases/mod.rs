//! The graphs the compiled backends (emitted Rust, the JIT) are checked on against the
//! interpreter, and the points they are evaluated at. Shared by `tests/suite/graph/emit.rs` (whose
//! emitted functions are generated from these graphs into `tests/generated/emitted.rs`) and
//! `tests/suite/graph/jit.rs`.
//!
//! Everything here is deterministic (fixed seeds): the generated file must come out the same on
//! every run.
#![allow(dead_code)]

use nilpotent::graph::{Graph, GraphError, Sym};
use nilpotent::rules::{Binary, Unary};
use num_traits::{Float, NumCast};

pub(crate) use crate::common;
pub use common::{Rng, apply_binary, apply_mul_add, apply_unary, functions::rosenbrock};

/// A graph to check, under the name its emitted function has.
pub struct Case {
    pub name: String,
    pub graph: Graph,
    /// the points to evaluate it at (the recording point first)
    pub points: Vec<Vec<f64>>,
}

/// Values where functions and guards change behaviour: signed zeros, ±1, subnormals, huge values,
/// the infinities and NaN, and ordinary values of both signs.
pub const SPECIAL: [f64; 22] = [
    0.0,
    -0.0,
    0.5,
    -0.5,
    1.0,
    -1.0,
    1.5,
    2.0,
    -2.5,
    3.0,
    0.25,
    1e-310,
    -1e-310,
    1e-20,
    1e300,
    -1e300,
    710.0,
    -745.5,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    12.75,
];

/// The exponents `powi` is checked with.
pub const POWI: [i32; 9] = [-3, -2, -1, 0, 1, 2, 3, 5, 12];

/// Every unary entry of the rule table (`powi` with each exponent of [`POWI`]).
pub fn unary_ops() -> Vec<Unary> {
    let mut ops: Vec<Unary> = Unary::ALL
        .iter()
        .copied()
        .filter(|op| !matches!(op, Unary::Powi(_)))
        .collect();
    ops.extend(POWI.iter().map(|&n| Unary::Powi(n)));
    ops
}

/// A name for a rule in a Rust identifier.
pub fn op_name(name: &str) -> String {
    match name {
        "+" => "add".into(),
        "−" => "sub".into(),
        "×" => "mul".into(),
        "/" => "div".into(),
        "%" => "rem".into(),
        n => n.into(),
    }
}

fn unary_name(op: Unary) -> String {
    match op {
        Unary::Powi(n) if n < 0 => format!("powi_m{}", -n),
        Unary::Powi(n) => format!("powi_{n}"),
        op => op.name().into(),
    }
}

/// A point in the domain of `op` to record at.
fn unary_point(op: Unary) -> f64 {
    match op {
        Unary::Acosh => 1.5,
        _ => 0.5,
    }
}

/// The graph of `f`, its gradient and its Hessian, each with `points`.
fn three(name: &str, x0: &[f64], f: impl FnOnce(&[Sym]) -> Sym, points: &[Vec<f64>]) -> Vec<Case> {
    let g = Graph::record(x0, f);
    let mut all = vec![x0.to_vec()];
    all.extend(points.iter().cloned());
    let (grad, hess) = (g.gradient(), g.hessian());
    vec![
        Case {
            name: name.to_string(),
            graph: g,
            points: all.clone(),
        },
        Case {
            name: format!("{name}_gradient"),
            graph: grad,
            points: all.clone(),
        },
        Case {
            name: format!("{name}_hessian"),
            graph: hess,
            points: all,
        },
    ]
}

/// Every rule of the table, alone, with its gradient and Hessian graphs: unary entries at every
/// special value, binary entries and `mul_add` on a grid of special values, and binary entries
/// with a constant operand on either side (the form the optimiser could rewrite).
pub fn rule_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let singles: Vec<Vec<f64>> = SPECIAL.iter().map(|&v| vec![v]).collect();
    for op in unary_ops() {
        let name = format!("rule_{}", unary_name(op));
        cases.extend(three(
            &name,
            &[unary_point(op)],
            |x| apply_unary(op, x[0]),
            &singles,
        ));
    }
    let mut pairs = Vec::new();
    for &a in &SPECIAL {
        for &b in &SPECIAL {
            pairs.push(vec![a, b]);
        }
    }
    for op in Binary::ALL {
        let name = format!("rule_{}", op_name(op.name()));
        cases.extend(three(
            &name,
            &[0.7, 1.3],
            |x| apply_binary(op, x[0], x[1]),
            &pairs,
        ));
        // a constant operand, which the compiler of emitted code sees (only the elementary
        // functions: arithmetic with a constant is exact, however it is rewritten)
        if matches!(op, Binary::Add | Binary::Sub | Binary::Mul | Binary::Div) {
            continue;
        }
        for c in [2.0, 0.5, -1.0, 0.0] {
            let tag = format!("{c}").replace('-', "m").replace('.', "p");
            let k = || <Sym as NumCast>::from(c).unwrap();
            let mut right = three(
                &format!("{name}_x_c{tag}"),
                &[0.7],
                |x| apply_binary(op, x[0], k()),
                &singles,
            );
            let mut left = three(
                &format!("{name}_c{tag}_x"),
                &[0.7],
                |x| apply_binary(op, k(), x[0]),
                &singles,
            );
            // the function and its gradient (the Hessian adds nothing here)
            right.truncate(2);
            left.truncate(2);
            cases.extend(right);
            cases.extend(left);
        }
    }
    let mut triples = Vec::new();
    let few = [0.0, -0.0, 1.5, -2.0, 1e300, f64::INFINITY, f64::NAN, 1e-310];
    for &a in &few {
        for &b in &few {
            for &c in &few {
                triples.push(vec![a, b, c]);
            }
        }
    }
    cases.extend(three(
        "rule_mul_add",
        &[0.7, 1.3, -0.4],
        |x| apply_mul_add(x[0], x[1], x[2]),
        &triples,
    ));
    cases
}

/// An entry of a random expression.
#[derive(Clone, Copy, Debug)]
enum Op {
    Unary(Unary),
    Binary(Binary),
    MulAdd,
}

/// A random expression: steps over the inputs and earlier steps, the last one the result.
#[derive(Clone, Debug)]
pub struct Expr {
    n: usize,
    steps: Vec<(Op, [usize; 3], Option<f64>)>,
}

impl Expr {
    /// Evaluates the expression (on `Sym` to record it, on `f64` to compare).
    pub fn eval<T: Float + nilpotent::Elementary>(&self, x: &[T]) -> T {
        let mut v: Vec<T> = x.to_vec();
        for &(op, [a, b, c], k) in &self.steps {
            // an optional constant second operand
            let y = match k {
                Some(k) => T::from(k).unwrap(),
                None => v[b],
            };
            let r = match op {
                Op::Unary(u) => apply_unary(u, v[a]),
                Op::Binary(bop) => apply_binary_float(bop, v[a], y),
                Op::MulAdd => apply_mul_add(v[a], y, v[c]),
            };
            v.push(r);
        }
        *v.last().unwrap()
    }
}

/// [`apply_binary`] for any `Float` (`rem_euclid` by its definition, which is `f64`'s).
fn apply_binary_float<T: Float>(op: Binary, x: T, y: T) -> T {
    match op {
        Binary::RemEuclid => {
            let r = x % y;
            if r < T::zero() { r + y.abs() } else { r }
        }
        Binary::Add => x + y,
        Binary::Sub => x - y,
        Binary::Mul => x * y,
        Binary::Div => x / y,
        Binary::Rem => x % y,
        Binary::Powf => x.powf(y),
        Binary::Log => x.log(y),
        Binary::Atan2 => x.atan2(y),
        Binary::Hypot => x.hypot(y),
        Binary::Max => x.max(y),
        Binary::Min => x.min(y),
        #[allow(deprecated)]
        Binary::AbsSub => x.abs_sub(y),
    }
}

/// A random expression of `len` steps over `n` inputs (every entry of the table may appear; the
/// smooth arithmetic more often, so that expressions stay mostly finite).
pub fn random_expr(n: usize, len: usize, rng: &mut Rng) -> Expr {
    let unary = unary_ops();
    let mut steps = Vec::new();
    for i in 0..len {
        let avail = n + i;
        let pick = |rng: &mut Rng| {
            // prefer recent values, so that the expression is deep
            if avail > 3 && rng.unit() < 0.6 {
                avail - 1 - rng.below(3)
            } else {
                rng.below(avail)
            }
        };
        let r = rng.unit();
        let op = if r < 0.35 {
            Op::Binary([Binary::Add, Binary::Sub, Binary::Mul, Binary::Div][rng.below(4)])
        } else if r < 0.6 {
            Op::Binary(Binary::ALL[rng.below(Binary::ALL.len())])
        } else if r < 0.95 {
            Op::Unary(unary[rng.below(unary.len())])
        } else {
            Op::MulAdd
        };
        let k = if rng.unit() < 0.15 {
            Some([2.0, 0.5, -1.5, 3.0, 0.0][rng.below(5)])
        } else {
            None
        };
        steps.push((op, [pick(rng), pick(rng), pick(rng)], k));
    }
    Expr { n, steps }
}

/// Random points: ordinary values mostly, special values sometimes.
pub fn random_points(n: usize, count: usize, rng: &mut Rng) -> Vec<Vec<f64>> {
    (0..count)
        .map(|_| {
            (0..n)
                .map(|_| {
                    if rng.unit() < 0.15 {
                        SPECIAL[rng.below(SPECIAL.len())]
                    } else {
                        rng.uniform(-3.0, 3.0)
                    }
                })
                .collect()
        })
        .collect()
}

/// Random expression graphs with their gradient and Hessian graphs (recorded at a random point).
pub fn random_cases(count: usize, seed: u64) -> Vec<Case> {
    let mut rng = Rng::new(seed);
    let mut cases = Vec::new();
    for k in 0..count {
        let n = 1 + rng.below(3);
        let e = random_expr(n, 4 + rng.below(10), &mut rng);
        let x0: Vec<f64> = (0..n).map(|_| rng.uniform(0.2, 1.8)).collect();
        let points = random_points(n, 40, &mut rng);
        cases.extend(three(&format!("random_{k}"), &x0, |x| e.eval(x), &points));
    }
    cases
}

/// A function that asks every kind of guard question: `is_nan`, `is_infinite`, `is_finite`,
/// `is_normal`, `is_subnormal`, `classify`, the sign bit, `== 0`, `>= 0`, a conversion to an
/// integer and to `f64`, `<`, `<=`, `==` and `partial_cmp` (and, in its derivative graphs, the
/// rules' own guards: `abs`'s sign, `max`'s choice).
pub fn guarded<T: Float>(x: &[T]) -> T {
    let (a, b) = (x[0], x[1]);
    let mut s = a * b + a.abs() + a.max(b);
    if a.is_nan() {
        s = s + a;
    }
    if b.is_infinite() {
        s = s - b;
    }
    if (a * b).is_finite() {
        s = s * a;
    }
    if b.is_normal() {
        s = s + b.sin();
    }
    if a.is_subnormal() {
        s = s - a;
    }
    if let core::num::FpCategory::Zero = (a - b).classify() {
        s = s * T::from(2.0).unwrap();
    }
    if b.is_sign_negative() {
        s = -s;
    }
    if a == T::zero() {
        s = s + T::one();
    }
    if b >= T::zero() {
        s = s + b * b;
    }
    let k = a.to_i64().unwrap_or(0);
    s = s + T::from(k).unwrap() * b;
    if b.to_f64() == Some(2.0) {
        s = s + T::one();
    }
    if a < b {
        s = s + a;
    }
    if a <= b * T::from(0.5).unwrap() {
        s = s - b;
    }
    if a == b {
        s = s + T::one();
    }
    match a.partial_cmp(&(b - T::one())) {
        Some(core::cmp::Ordering::Less) => s + a,
        _ => s - a,
    }
}

/// [`guarded`] and its derivative graphs, evaluated on a grid that crosses every branch.
pub fn guard_cases() -> Vec<Case> {
    let grid = [
        -3.0,
        -1.0,
        -0.0,
        0.0,
        1e-310,
        0.5,
        1.0,
        1.5,
        2.0,
        3.0,
        1e308,
        f64::INFINITY,
        f64::NAN,
    ];
    let mut points = Vec::new();
    for &a in &grid {
        for &b in &grid {
            points.push(vec![a, b]);
        }
    }
    let mut cases = three("guarded", &[1.5, 2.0], guarded, &points);
    cases.extend(three("guarded_other", &[-1.0, 0.5], guarded, &points));
    // nalgebra's singularity test (`determinant().is_zero()`: an `== 0` guard), recorded at an
    // invertible and at a singular matrix, evaluated at both kinds
    let matrices = [
        vec![1.0, 2.0, 3.0, 4.0],
        vec![1.0, 2.0, 2.0, 4.0],
        vec![0.0, 0.0, 0.0, 0.0],
        vec![2.0, -1.0, -4.0, 2.0],
        vec![0.5, 0.0, 0.0, -0.0],
        vec![3.0, 1.0, 1.0, 3.0],
    ];
    cases.extend(three(
        "inverse_entry",
        &[1.0, 2.0, 3.0, 4.0],
        inverse_entry,
        &matrices,
    ));
    cases.extend(three(
        "inverse_entry_singular",
        &[1.0, 2.0, 2.0, 4.0],
        inverse_entry,
        &matrices,
    ));
    cases
}

/// The (0, 0) entry of the inverse of the 2×2 matrix `x` (row-major), or −1 where nalgebra's
/// `try_inverse` finds it singular (`determinant().is_zero()`, a guard in graph mode).
pub fn inverse_entry(x: &[Sym]) -> Sym {
    nalgebra::Matrix2::new(x[0], x[1], x[2], x[3])
        .try_inverse()
        .map_or(Sym::constant(-1.0), |inv| inv[(0, 0)])
}

/// Larger graphs: the Rosenbrock gradient (n = 64) and Hessian (n = 8).
pub fn larger_cases(rng: &mut Rng) -> Vec<Case> {
    let x64: Vec<f64> = (0..64).map(|i| 0.5 + 0.1 * ((i * 7) % 11) as f64).collect();
    let x8: Vec<f64> = x64[..8].to_vec();
    let mut p64 = vec![x64.clone()];
    p64.extend((0..20).map(|_| rng.vec(64, -2.0, 2.0)));
    let mut p8 = vec![x8.clone()];
    p8.extend((0..20).map(|_| rng.vec(8, -2.0, 2.0)));
    vec![
        Case {
            name: "rosenbrock64_gradient".into(),
            graph: Graph::record(&x64, rosenbrock).gradient(),
            points: p64,
        },
        Case {
            name: "rosenbrock8_hessian".into(),
            graph: Graph::record(&x8, rosenbrock).hessian(),
            points: p8,
        },
    ]
}

/// Graphs with parameters (`Graph::record_with`).
pub mod params;

/// Every case, in a fixed order.
pub fn all_cases() -> Vec<Case> {
    let mut cases = rule_cases();
    cases.extend(random_cases(24, 0x636f_6d70_696c_6564));
    cases.extend(guard_cases());
    cases.extend(larger_cases(&mut Rng::new(17)));
    cases
}

/// Bit-for-bit equality of two evaluations: the same outputs (equal bits, or both NaN: a NaN's
/// payload is not specified, by IEEE 754 or Rust), or the same error.
pub fn same_result(
    a: &Result<Vec<f64>, GraphError>,
    b: &Result<Vec<f64>, GraphError>,
) -> Result<(), String> {
    match (a, b) {
        (Ok(x), Ok(y)) => {
            if x.len() != y.len() {
                return Err(format!("{} outputs against {}", x.len(), y.len()));
            }
            for (k, (&u, &v)) in x.iter().zip(y).enumerate() {
                if !(u.to_bits() == v.to_bits() || (u.is_nan() && v.is_nan())) {
                    return Err(format!(
                        "output {k}: {u:e} ({:#x}) against {v:e} ({:#x})",
                        u.to_bits(),
                        v.to_bits()
                    ));
                }
            }
            Ok(())
        }
        (Err(e), Err(f)) if e == f => Ok(()),
        _ => Err(format!("{a:?} against {b:?}")),
    }
}
