//! Random programs **with branches**, recorded once and evaluated at many points, every backend
//! against the others and against the `f64` program run fresh at each point.
//!
//! # The programs
//!
//! A [`Prog`] is plain data: `n` inputs (1–4), then 3–12 operations, each a rule-table entry
//! (`Unary::ALL`, `Binary::ALL`, `mul_add`, through the public `Float` API), a constant (0, −0,
//! ±1, 2, ½, ±∞, ±NaN), or a branch: `if c { v[a] } else { v[b] }` ([`Op::Select`]) or
//! `if c { u₁(v[a]) } else { u₂(v[a]) }` ([`Op::IfUnary`], only the taken arm computed), where the
//! condition `c` ([`Cond`]) is a comparison `< ≤ > ≥ == ≠` between two values or a value and a
//! constant, `is_zero()`, `is_sign_negative()`, `is_sign_positive()`, `is_nan()`, `is_finite()`
//! or `is_infinite()`. `max`/`min` take ±0 constants often, so that ±0 ties happen by
//! construction; the points take repeated and negated coordinates, so that comparisons of a value
//! with a copy tie. NaN comes from the constants, the special points and the ops (0/0, √−1,
//! ln −1, ∞ − ∞). [`prog`] interprets a program once, generically, so the same program runs on
//! `f64`, `Dual`, `Var` and `Sym`.
//!
//! # The checks
//!
//! Each program is recorded as a graph (`Graph::record_vec`) at a point x₀ (coordinates from a
//! grid of halves, uniform, or special values ±0, ±1, ±∞, ±NaN) and its Jacobian graph built;
//! both are evaluated at x₀ and at ten more points: x₀ with one coordinate replaced by a special
//! value, x₀ with one coordinate copied or negated into another (ties), and fresh points. At each
//! point x, with r the `f64` program run fresh at x:
//!
//! | check | rule |
//! |---|---|
//! | `Graph::eval(x)` | `Ok(r)` bit for bit, or `Err(GraphError::Guard)` — never another number |
//! | `Compiled::eval(x)` (JIT, feature `jit`), graph and Jacobian graph | exactly what the interpreter returns: the same values bit for bit, or the same error |
//! | the graph recorded afresh at x | its recorded values are r; its `eval(x)` is `Ok` (its guards hold at its own recording point) and equal to them; the graph recorded at x₀, where `Ok` at x, equal to it |
//! | forward `jacobian` (8 lanes) and `jacobian_with(Chunk::<1>)` | values r; the two give the same values bit for bit and the same Jacobian as numbers (±0 alike), except where the sign of a NaN is asked |
//! | tape `reverse::jacobian` | values r |
//! | the graph and the Jacobian graph evaluated on `Dual<f64, 4>` (`Evaluator`) | the same `Ok`/`Err` as in `f64`, real parts the `f64` outputs bit for bit |
//! | the Jacobian graph's values | where `Ok`, the graph's values at x |
//! | Jacobian graph vs forward vs tape | where every value of the program is finite, no guard fires and every mode has the values r: the same to 1e-8 of the larger and the path magnitude P (the sum over paths of the products of absolute local partials; floor 1); an entry finite in one mode and not in the other (the documented cancelled-tangent difference) is counted, not failed |
//! | `sparse::jacobian` and `sparse::hessian` at x₀ | no panic; the values of the graph at x₀ |
//!
//! "Bit for bit" counts every NaN equal to every NaN: neither the payload nor the **sign of a
//! NaN** is compared, because IEEE 754 and Rust leave them unspecified (x86 returns the first NaN
//! operand of `+`/`×`, the graph stores commutative operands in a canonical order, compilers
//! rewrite `(−a)·(−b)` to `a·b`). For the same reason, at a point where the `f64` program asks the
//! sign of a NaN (`is_sign_negative()` of a NaN), which branch it takes is not specified: there r
//! is no oracle for the graph, forward and tape values, and only the checks between the backends
//! and the recording remain (the interpreter, the JIT and a fresh recording must agree with each
//! other, and a graph's guards hold at its own recording point). These points are counted.
//!
//! **`max`/`min` at ±0 ties.** `f64::max(−0, +0)` is unspecified in Rust (LLVM returns either,
//! depending on the operand order and the surrounding code). The crate picks one answer for every
//! mode and backend; the oracle here uses the choice of IEEE 754-2019 `maximum`/`minimum`:
//! `max(±0, ∓0) = +0`, `min(±0, ∓0) = −0`, whatever the order ([`f64_max`], [`f64_min`]).
//!
//! `NILPOTENT_FUZZ_CASES` (programs), `NILPOTENT_FUZZ_FIRST`, `NILPOTENT_FUZZ_KEEP_GOING` and
//! `NILPOTENT_TEST_SEED` work as for the graphs of the differential fuzz test.

use std::any::TypeId;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};

use super::common::{Rng, apply_binary, apply_mul_add, apply_unary, same_f64};
use super::{case_rng, env_u64};
use nilpotent::graph::{Graph, GraphError, Sym};
use nilpotent::reverse;
use nilpotent::rules::{Binary, Unary};
use nilpotent::{Chunk, Dual, jacobian, jacobian_with, sparse};
use num_traits::{Euclid, Float};

/// Programs checked by default (`cargo test`, debug build).
const DEFAULT_PROGRAMS: u64 = 150;
/// In a debug build, Cranelift compiles slowly: the JIT checks run for every `JIT_EVERY_IN_DEBUG`-th
/// case only (every case in a release build).
pub const JIT_EVERY_IN_DEBUG: u64 = 8;

/// Whether case `case` compiles its graphs with the JIT (feature `jit`).
pub fn jit_case(case: u64) -> bool {
    !cfg!(debug_assertions) || case.is_multiple_of(JIT_EVERY_IN_DEBUG)
}

/// Derivatives by two modes (forward, reverse on the tape, reverse on the graph): relative to the
/// larger of the two and the path magnitude ([`path_magnitudes`]), floor 1.
const ROUTE_RTOL: f64 = 1e-8;
/// The most inputs of a program (the Jacobian graph is evaluated on `Dual<f64, MAX_INPUTS>`).
const MAX_INPUTS: usize = 4;

/// A comparison operator.
#[derive(Clone, Copy, Debug)]
pub enum Rel {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// The condition of a branch.
#[derive(Clone, Copy, Debug)]
pub enum Cond {
    /// `v[a] ∘ v[b]`
    Cmp(Rel, usize, usize),
    /// `v[a].is_zero()` (`num_traits::Zero`)
    IsZero(usize),
    /// `v[a].is_sign_negative()`
    SignNeg(usize),
    /// `v[a].is_sign_positive()`
    SignPos(usize),
    /// `v[a].is_nan()`
    IsNan(usize),
    /// `v[a].is_finite()`
    IsFinite(usize),
    /// `v[a].is_infinite()`
    IsInfinite(usize),
}

/// One operation; operands are indices of earlier values.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    /// `x[i]`
    Input(usize),
    /// `T::from(c)`
    Const(f64),
    /// a rule-table entry of one argument
    Unary(Unary, usize),
    /// a rule-table entry of two arguments
    Binary(Binary, usize, usize),
    /// `v[a].mul_add(v[b], v[c])`
    MulAdd(usize, usize, usize),
    /// `if c { v[a] } else { v[b] }`
    Select(Cond, usize, usize),
    /// `if c { u₁(v[a]) } else { u₂(v[a]) }`
    IfUnary(Cond, Unary, Unary, usize),
}

/// A program: `n` inputs (the first `n` ops are `Input(0..n)`), operations, outputs.
#[derive(Clone, Debug)]
pub struct Prog {
    pub n: usize,
    pub ops: Vec<Op>,
    pub outputs: Vec<usize>,
}

impl std::fmt::Display for Prog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "program with {} inputs, outputs {:?}:",
            self.n, self.outputs
        )?;
        for (i, op) in self.ops.iter().enumerate() {
            writeln!(f, "  v{i} = {op:?}")?;
        }
        Ok(())
    }
}

/// `max` of the `f64` oracle: `f64::max`, except at a ±0 tie, where it is +0 (IEEE 754-2019).
pub fn f64_max(a: f64, b: f64) -> f64 {
    if a == 0.0 && b == 0.0 {
        if a.is_sign_positive() { a } else { b }
    } else {
        a.max(b)
    }
}

/// `min` of the `f64` oracle: `f64::min`, except at a ±0 tie, where it is −0 (IEEE 754-2019).
pub fn f64_min(a: f64, b: f64) -> f64 {
    if a == 0.0 && b == 0.0 {
        if a.is_sign_negative() { a } else { b }
    } else {
        a.min(b)
    }
}

fn cond<T: Float>(c: Cond, v: &[T]) -> bool {
    match c {
        Cond::Cmp(rel, a, b) => {
            let (a, b) = (v[a], v[b]);
            match rel {
                Rel::Lt => a < b,
                Rel::Le => a <= b,
                Rel::Gt => a > b,
                Rel::Ge => a >= b,
                Rel::Eq => a == b,
                Rel::Ne => a != b,
            }
        }
        Cond::IsZero(a) => v[a].is_zero(),
        Cond::SignNeg(a) => v[a].is_sign_negative(),
        Cond::SignPos(a) => v[a].is_sign_positive(),
        Cond::IsNan(a) => v[a].is_nan(),
        Cond::IsFinite(a) => v[a].is_finite(),
        Cond::IsInfinite(a) => v[a].is_infinite(),
    }
}

/// Every value of the program at `x`, on any number type.
pub fn prog_all<T: Float + Euclid + nilpotent::Elementary + 'static>(p: &Prog, x: &[T]) -> Vec<T> {
    let is_f64 = TypeId::of::<T>() == TypeId::of::<f64>();
    let mut v: Vec<T> = Vec::with_capacity(p.ops.len());
    for &op in &p.ops {
        let y = match op {
            Op::Input(i) => x[i],
            Op::Const(c) => T::from(c).expect("an f64 constant converts"),
            Op::Unary(u, a) => apply_unary(u, v[a]),
            // the oracle's deterministic choice at ±0 ties (see the module documentation)
            Op::Binary(b @ (Binary::Max | Binary::Min), a, c) if is_f64 => {
                let (a, c) = (v[a].to_f64().unwrap(), v[c].to_f64().unwrap());
                let r = if b == Binary::Max {
                    f64_max(a, c)
                } else {
                    f64_min(a, c)
                };
                T::from(r).unwrap()
            }
            Op::Binary(b, a, c) => apply_binary(b, v[a], v[c]),
            Op::MulAdd(a, b, c) => apply_mul_add(v[a], v[b], v[c]),
            Op::Select(c, a, b) => {
                if cond(c, &v) {
                    v[a]
                } else {
                    v[b]
                }
            }
            Op::IfUnary(c, u1, u2, a) => {
                if cond(c, &v) {
                    apply_unary(u1, v[a])
                } else {
                    apply_unary(u2, v[a])
                }
            }
        };
        v.push(y);
    }
    v
}

/// The program's outputs at `x`.
pub fn prog<T: Float + Euclid + nilpotent::Elementary + 'static>(p: &Prog, x: &[T]) -> Vec<T> {
    let v = prog_all(p, x);
    p.outputs.iter().map(|&o| v[o]).collect()
}

/// What the `f64` run at a point met, for classifying failures: a ±0 tie in `max`/`min`,
/// `is_zero()` asked of a zero, the sign of a NaN asked, `abs` of a NaN, a NaN value.
fn features(p: &Prog, v: &[f64]) -> String {
    let (nan_sign, tie) = f64_run_flags(p, v);
    // `is_zero()` asked of a value 0 (where a structural test answers otherwise)
    let is_zero = p.ops.iter().any(|op| match op {
        Op::Select(Cond::IsZero(a), ..) | Op::IfUnary(Cond::IsZero(a), ..) => v[*a] == 0.0,
        _ => false,
    });
    let nan = v.iter().any(|x| x.is_nan());
    // `abs` of a NaN: its derivative rule asks the NaN's sign
    let abs_nan = p.ops.iter().any(|op| match *op {
        Op::Unary(Unary::Abs, a) => v[a].is_nan(),
        Op::IfUnary(c, u1, u2, a) => {
            (if cond(c, v) { u1 } else { u2 }) == Unary::Abs && v[a].is_nan()
        }
        _ => false,
    });
    let mut f = Vec::new();
    for (on, name) in [
        (tie, "±0 tie"),
        (is_zero, "is_zero of 0"),
        (nan_sign, "NaN sign asked"),
        (abs_nan, "abs of NaN"),
        (nan, "NaN value"),
    ] {
        if on {
            f.push(name);
        }
    }
    if f.is_empty() {
        "none".into()
    } else {
        f.join(" + ")
    }
}

/// The path magnitudes of the program at the point where its values are `v`: for each value and
/// input, the sum over the paths from the input to the value of the products of the absolute
/// local partials (rule table, `f64`). Two routes to a derivative differ by rounding of order
/// ε·depth·P, also where the derivative itself cancels to 0.
fn path_magnitudes(p: &Prog, v: &[f64]) -> Vec<Vec<f64>> {
    let mut pm: Vec<Vec<f64>> = Vec::with_capacity(p.ops.len());
    let comb = |terms: &[(f64, &Vec<f64>)]| -> Vec<f64> {
        (0..p.n)
            .map(|k| terms.iter().map(|(d, q)| d.abs() * q[k]).sum())
            .collect()
    };
    for &op in &p.ops {
        let row = match op {
            Op::Input(i) => (0..p.n).map(|k| if k == i { 1.0 } else { 0.0 }).collect(),
            Op::Const(_) => vec![0.0; p.n],
            Op::Unary(u, a) => comb(&[(u.eval(v[a]).1, &pm[a])]),
            Op::Binary(b, a, c) => {
                let (_, da, dc) = b.eval(v[a], v[c]);
                comb(&[(da, &pm[a]), (dc, &pm[c])])
            }
            Op::MulAdd(a, b, c) => {
                let (_, da, db, dc) = nilpotent::rules::mul_add(v[a], v[b], v[c]);
                comb(&[(da, &pm[a]), (db, &pm[b]), (dc, &pm[c])])
            }
            Op::Select(c, a, b) => pm[if cond(c, v) { a } else { b }].clone(),
            Op::IfUnary(c, u1, u2, a) => {
                let u = if cond(c, v) { u1 } else { u2 };
                comb(&[(u.eval(v[a]).1, &pm[a])])
            }
        };
        pm.push(row);
    }
    pm
}

/// Whether the `f64` run at `x` asked the sign of a NaN (its branch is then unspecified), and
/// whether it met a ±0 tie in `max`/`min`.
fn f64_run_flags(p: &Prog, v: &[f64]) -> (bool, bool) {
    let mut nan_sign = false;
    let mut tie = false;
    for op in &p.ops {
        match *op {
            Op::Select(c, ..) | Op::IfUnary(c, ..) => {
                if let Cond::SignNeg(a) | Cond::SignPos(a) = c {
                    nan_sign |= v[a].is_nan();
                }
            }
            Op::Binary(Binary::Max | Binary::Min, a, b) => {
                tie |= v[a] == 0.0 && v[b] == 0.0 && v[a].to_bits() != v[b].to_bits();
            }
            _ => {}
        }
    }
    (nan_sign, tie)
}

// ---------------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------------

const CONSTANTS: [f64; 10] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    2.0,
    0.5,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    -f64::NAN,
];

const SPECIALS: [f64; 8] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    -f64::NAN,
];

/// An operand: mostly one of the last few values.
fn operand(rng: &mut Rng, len: usize) -> usize {
    if rng.below(3) > 0 {
        len - 1 - rng.below(len.min(4))
    } else {
        rng.below(len)
    }
}

fn gen_cond(rng: &mut Rng, ops: &mut Vec<Op>) -> Cond {
    let len = ops.len();
    let a = operand(rng, len);
    match rng.below(10) {
        0..=3 => {
            let rel = [Rel::Lt, Rel::Le, Rel::Gt, Rel::Ge, Rel::Eq, Rel::Ne][rng.below(6)];
            let b = if rng.below(3) == 0 {
                // against a constant (0, −0, ±1, … as its own op)
                ops.push(Op::Const(CONSTANTS[rng.below(CONSTANTS.len())]));
                ops.len() - 1
            } else {
                operand(rng, len)
            };
            Cond::Cmp(rel, a, b)
        }
        4 | 5 => Cond::IsZero(a),
        6 => Cond::SignNeg(a),
        7 => Cond::SignPos(a),
        8 => Cond::IsNan(a),
        _ => {
            if rng.below(2) == 0 {
                Cond::IsFinite(a)
            } else {
                Cond::IsInfinite(a)
            }
        }
    }
}

fn gen_unary(rng: &mut Rng) -> Unary {
    Unary::ALL[rng.below(Unary::ALL.len())]
}

/// A random program.
pub fn generate(rng: &mut Rng) -> Prog {
    let n = 1 + rng.below(MAX_INPUTS);
    let mut ops: Vec<Op> = (0..n).map(Op::Input).collect();
    let count = 3 + rng.below(10);
    for _ in 0..count {
        let len = ops.len();
        let op = match rng.below(23) {
            20 => {
                // the sign of a NaN: (−a)·(−b), (−a) + (−b) or b + a, then a sign question on it
                // (directly, or in `abs`'s derivative)
                let (a, b) = (operand(rng, len), operand(rng, len));
                let p = match rng.below(3) {
                    0 | 1 => {
                        ops.push(Op::Unary(Unary::Neg, a));
                        ops.push(Op::Unary(Unary::Neg, b));
                        let bin = if rng.below(2) == 0 {
                            Binary::Mul
                        } else {
                            Binary::Add
                        };
                        Op::Binary(bin, ops.len() - 2, ops.len() - 1)
                    }
                    _ => Op::Binary(Binary::Add, b, a),
                };
                ops.push(p);
                let p = ops.len() - 1;
                match rng.below(3) {
                    0 => Op::Unary(Unary::Abs, p),
                    1 => Op::Select(Cond::SignNeg(p), operand(rng, len), p),
                    _ => Op::IfUnary(Cond::SignPos(p), gen_unary(rng), Unary::Abs, p),
                }
            }
            21 | 22 => {
                // an infinite partial at a value 0 whose tangent is not 0: u(a·b), u singular at 0
                let (a, b) = (operand(rng, len), operand(rng, len));
                ops.push(Op::Binary(Binary::Mul, a, b));
                let q = ops.len() - 1;
                let u = [
                    Unary::Sqrt,
                    Unary::Cbrt,
                    Unary::Ln,
                    Unary::Recip,
                    Unary::Powi(-1),
                ][rng.below(5)];
                Op::Unary(u, q)
            }
            0..=3 => Op::Unary(gen_unary(rng), operand(rng, len)),
            4..=6 => {
                let b = Binary::ALL[rng.below(Binary::ALL.len())];
                Op::Binary(b, operand(rng, len), operand(rng, len))
            }
            7 | 8 => {
                // max/min, often against ±0 or a copy: ties by construction
                let b = if rng.below(2) == 0 {
                    Binary::Max
                } else {
                    Binary::Min
                };
                let a = operand(rng, len);
                let c = match rng.below(3) {
                    0 => {
                        ops.push(Op::Const(if rng.below(2) == 0 { 0.0 } else { -0.0 }));
                        ops.len() - 1
                    }
                    1 => {
                        // a copy of a through −(−a): the same value
                        ops.push(Op::Unary(Unary::Neg, a));
                        ops.push(Op::Unary(Unary::Neg, ops.len() - 1));
                        ops.len() - 1
                    }
                    _ => operand(rng, len),
                };
                if rng.below(2) == 0 {
                    Op::Binary(b, a, c)
                } else {
                    Op::Binary(b, c, a)
                }
            }
            9 => Op::MulAdd(operand(rng, len), operand(rng, len), operand(rng, len)),
            10 | 11 => Op::Const(CONSTANTS[rng.below(CONSTANTS.len())]),
            12 => {
                // a NaN-producing op on a fresh negative or zero constant: 0/0, √−1, ln −1
                let (c, op) = match rng.below(3) {
                    0 => (0.0, None),
                    1 => (-1.0, Some(Unary::Sqrt)),
                    _ => (-1.0, Some(Unary::Ln)),
                };
                let a = operand(rng, len);
                ops.push(Op::Const(c));
                let k = ops.len() - 1;
                match op {
                    // a·0/0: NaN that depends on the inputs
                    None => {
                        ops.push(Op::Binary(Binary::Mul, a, k));
                        Op::Binary(Binary::Div, ops.len() - 1, k)
                    }
                    // u(a·0 − 1)
                    Some(u) => {
                        ops.push(Op::Binary(Binary::Mul, a, k));
                        ops.push(Op::Binary(Binary::Add, ops.len() - 1, k));
                        Op::Unary(u, ops.len() - 1)
                    }
                }
            }
            13..=16 => {
                let c = gen_cond(rng, &mut ops);
                let len = ops.len();
                Op::Select(c, operand(rng, len), operand(rng, len))
            }
            _ => {
                let c = gen_cond(rng, &mut ops);
                let len = ops.len();
                Op::IfUnary(c, gen_unary(rng), gen_unary(rng), operand(rng, len))
            }
        };
        ops.push(op);
    }
    let last = ops.len() - 1;
    let mut outputs = vec![last];
    for _ in 0..rng.below(3) {
        let o = n + rng.below(ops.len() - n);
        if !outputs.contains(&o) {
            outputs.push(o);
        }
    }
    Prog { n, ops, outputs }
}

fn coordinate(rng: &mut Rng) -> f64 {
    match rng.below(20) {
        0..=12 => {
            let v = rng.int(-4, 4) as f64 * 0.5;
            if v == 0.0 && rng.below(2) == 0 {
                -0.0
            } else {
                v
            }
        }
        13..=16 => rng.uniform(-3.0, 3.0),
        _ => SPECIALS[rng.below(SPECIALS.len())],
    }
}

fn gen_point(rng: &mut Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| coordinate(rng)).collect()
}

/// x₀ and ten more points: specials, ties, fresh points.
fn points(rng: &mut Rng, x0: &[f64]) -> Vec<Vec<f64>> {
    let n = x0.len();
    let mut pts = vec![x0.to_vec()];
    for _ in 0..4 {
        let mut x = x0.to_vec();
        x[rng.below(n)] = SPECIALS[rng.below(SPECIALS.len())];
        pts.push(x);
    }
    for _ in 0..2 {
        let mut x = x0.to_vec();
        let (i, j) = (rng.below(n), rng.below(n));
        x[j] = if rng.below(2) == 0 { x[i] } else { -x[i] };
        pts.push(x);
    }
    for _ in 0..4 {
        pts.push(gen_point(rng, n));
    }
    pts
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| same_f64(x, y))
}

fn re<const N: usize>(v: &[Dual<f64, N>]) -> Vec<f64> {
    v.iter().map(|d| d.re).collect()
}

/// The tallies of one run.
#[derive(Default)]
struct Stats {
    programs: u64,
    points: u64,
    graph_ok: u64,
    graph_guard: u64,
    jacobian_graph_ok: u64,
    jacobian_graph_guard: u64,
    nan_sign_points: u64,
    tie_points: u64,
    derivative_entries: u64,
    derivative_nonfinite_differences: u64,
    worst_route: f64,
    jit_compared: u64,
    guards: u64,
    failures: BTreeMap<&'static str, (u64, String)>,
    /// (check, what the failing point and the recording point met) → failing points
    classes: BTreeMap<(&'static str, String), u64>,
}

/// A failed check: its name (the classification) and the details.
type Failure = (&'static str, String);

fn fmt_point(x: &[f64]) -> String {
    let parts: Vec<String> = x
        .iter()
        .map(|v| {
            if v.is_nan() {
                if v.is_sign_negative() {
                    "-NAN".into()
                } else {
                    "NAN".into()
                }
            } else {
                format!("{v:?}")
            }
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

struct Recorded {
    g: Graph,
    jg: Graph,
    /// the JIT's code of both (in a debug build only for some programs: see [`jit_case`])
    #[cfg(feature = "jit")]
    jit: Option<(nilpotent::graph::Compiled, nilpotent::graph::Compiled)>,
}

fn record(p: &Prog, x0: &[f64], jit: bool) -> Result<Recorded, Failure> {
    let r = panic::catch_unwind(AssertUnwindSafe(|| {
        let g = Graph::record_vec(x0, |s: &[Sym]| prog(p, s));
        let jg = g.jacobian();
        (g, jg)
    }));
    let (g, jg) = r.map_err(|e| ("recording or the Jacobian graph panics", panic_text(&e)))?;
    #[cfg(feature = "jit")]
    let jit = if jit {
        let gc = g
            .compile()
            .map_err(|e| ("the JIT refuses the graph", format!("{e}")))?;
        let jgc = jg
            .compile()
            .map_err(|e| ("the JIT refuses the Jacobian graph", format!("{e}")))?;
        Some((gc, jgc))
    } else {
        None
    };
    #[cfg(not(feature = "jit"))]
    let _ = jit;
    Ok(Recorded {
        g,
        jg,
        #[cfg(feature = "jit")]
        jit,
    })
}

fn panic_text(e: &Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic".into())
}

fn fmt_result(r: &Result<Vec<f64>, GraphError>) -> String {
    match r {
        Ok(v) => fmt_point(v),
        Err(e) => format!("Err({e})"),
    }
}

/// `Ok` with the oracle's values, or a guard error.
fn ok_or_guard(r: &Result<Vec<f64>, GraphError>, want: Option<&[f64]>) -> Result<(), String> {
    match r {
        Ok(v) => match want {
            Some(w) if !same(v, w) => Err(format!(
                "{} where the f64 program gives {}",
                fmt_point(v),
                fmt_point(w)
            )),
            _ => Ok(()),
        },
        Err(GraphError::Guard { .. }) => Ok(()),
        Err(e) => Err(format!("an error other than a guard: {e}")),
    }
}

/// The same result from two backends: the same values bit for bit, or the same error.
fn same_result(a: &Result<Vec<f64>, GraphError>, b: &Result<Vec<f64>, GraphError>) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => same(a, b),
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

fn check_point(p: &Prog, rec: &Recorded, x: &[f64], st: &mut Stats) -> Vec<Failure> {
    let mut fails: Vec<Failure> = Vec::new();
    let m = p.outputs.len();
    let n = p.n;
    let all = prog_all::<f64>(p, x);
    let r: Vec<f64> = p.outputs.iter().map(|&o| all[o]).collect();
    let (nan_sign, tie) = f64_run_flags(p, &all);
    st.nan_sign_points += nan_sign as u64;
    st.tie_points += tie as u64;
    let oracle = (!nan_sign).then_some(r.as_slice());

    // the graph recorded at x₀: interpreter, JIT, dual numbers
    let gv = rec.g.eval(x);
    match &gv {
        Ok(_) => st.graph_ok += 1,
        Err(_) => st.graph_guard += 1,
    }
    if let Err(e) = ok_or_guard(&gv, oracle) {
        fails.push(("graph (interpreter) vs the f64 program", e));
    }
    let xd: Vec<Dual<f64, MAX_INPUTS>> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| Dual::variable(v, i))
        .collect();
    let gd = rec
        .g
        .program()
        .evaluator::<Dual<f64, MAX_INPUTS>>()
        .eval(&xd);
    let gd_re = gd.as_ref().map(|v| re(v)).map_err(Clone::clone);
    if !same_result(&gd_re, &gv) {
        fails.push((
            "graph on Dual: real parts vs f64 evaluation",
            format!("{} vs {}", fmt_result(&gd_re), fmt_result(&gv)),
        ));
    }
    #[cfg(feature = "jit")]
    if let Some((gc, _)) = &rec.jit {
        let jv = gc.eval(x);
        st.jit_compared += 1;
        if !same_result(&jv, &gv) {
            fails.push((
                "JIT vs interpreter (graph)",
                format!("JIT {} vs interpreter {}", fmt_result(&jv), fmt_result(&gv)),
            ));
        }
    }

    // the graph recorded afresh at x
    match panic::catch_unwind(AssertUnwindSafe(|| {
        Graph::record_vec(x, |s: &[Sym]| prog(p, s))
    })) {
        Err(e) => fails.push(("recording panics", panic_text(&e))),
        Ok(fg) => {
            let recorded = fg.recorded_outputs();
            if let Some(w) = oracle
                && !same(&recorded, w)
            {
                fails.push((
                    "fresh recording's values vs the f64 program",
                    format!("{} vs {}", fmt_point(&recorded), fmt_point(w)),
                ));
            }
            let fv = fg.eval(x);
            match &fv {
                Ok(v) if same(v, &recorded) => {}
                _ => fails.push((
                    "a graph evaluated at its own recording point: not Ok(recorded values)",
                    format!("{} vs recorded {}", fmt_result(&fv), fmt_point(&recorded)),
                )),
            }
            if let Ok(v) = &gv
                && !same(v, &recorded)
            {
                fails.push((
                    "graph recorded at x0 (Ok at x) vs graph recorded at x",
                    format!("{} vs {}", fmt_point(v), fmt_point(&recorded)),
                ));
            }
        }
    }

    // forward mode, two chunk widths, and the tape
    let f8 = panic::catch_unwind(AssertUnwindSafe(|| jacobian(|s| prog(p, s), x)));
    let f1 = panic::catch_unwind(AssertUnwindSafe(|| {
        jacobian_with(|s| prog(p, s), x, Chunk::<1>)
    }));
    let tape = panic::catch_unwind(AssertUnwindSafe(|| reverse::jacobian(|s| prog(p, s), x)));
    let (f8, f1, tape) = match (f8, f1, tape) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (a, b, c) => {
            for (name, e) in [
                ("forward", a.err()),
                ("forward chunk 1", b.err()),
                ("tape", c.err()),
            ] {
                if let Some(e) = e {
                    fails.push(("a driver panics", format!("{name}: {}", panic_text(&e))));
                }
            }
            return fails;
        }
    };
    if let Some(w) = oracle {
        if !same(&f8.0, w) {
            fails.push((
                "forward values vs the f64 program",
                format!("{} vs {}", fmt_point(&f8.0), fmt_point(w)),
            ));
        }
        if !same(&tape.0, w) {
            fails.push((
                "tape values vs the f64 program",
                format!("{} vs {}", fmt_point(&tape.0), fmt_point(w)),
            ));
        }
    }
    let j8: Vec<f64> = f8.1.transpose().iter().copied().collect(); // row-major
    let j1: Vec<f64> = f1.1.transpose().iter().copied().collect();
    // the sign of a zero derivative is not specified across chunk widths (the lanes of one pass
    // add the other inputs' zero contributions): the Jacobians are compared as numbers
    let same_numbers = j8.len() == j1.len()
        && j8
            .iter()
            .zip(&j1)
            .all(|(&a, &b)| super::common::same_value(a, b));
    // (where the program asks the sign of a NaN, its branch is unspecified in every mode)
    if !nan_sign && (!same(&f8.0, &f1.0) || !same_numbers) {
        fails.push((
            "forward: chunk 8 vs chunk 1",
            format!(
                "values {} vs {}, J {} vs {}",
                fmt_point(&f8.0),
                fmt_point(&f1.0),
                fmt_point(&j8),
                fmt_point(&j1)
            ),
        ));
    }

    // the Jacobian graph: interpreter, JIT, dual numbers
    let jv = rec.jg.eval(x);
    match &jv {
        Ok(_) => st.jacobian_graph_ok += 1,
        Err(_) => st.jacobian_graph_guard += 1,
    }
    if let Err(GraphError::InputLength { .. } | GraphError::OutputLength { .. }) = &jv {
        fails.push((
            "Jacobian graph: an error other than a guard",
            fmt_result(&jv),
        ));
    }
    #[cfg(feature = "jit")]
    if let Some((_, jgc)) = &rec.jit {
        let jj = jgc.eval(x);
        if !same_result(&jj, &jv) {
            fails.push((
                "JIT vs interpreter (Jacobian graph)",
                format!("JIT {} vs interpreter {}", fmt_result(&jj), fmt_result(&jv)),
            ));
        }
    }
    let jd = rec
        .jg
        .program()
        .evaluator::<Dual<f64, MAX_INPUTS>>()
        .eval(&xd);
    let jd_re = jd.as_ref().map(|v| re(v)).map_err(Clone::clone);
    if !same_result(&jd_re, &jv) {
        fails.push((
            "Jacobian graph on Dual: real parts vs f64 evaluation",
            format!("{} vs {}", fmt_result(&jd_re), fmt_result(&jv)),
        ));
    }
    if let Ok(o) = &jv {
        match &gv {
            Ok(v) if same(&o[..m], v) => {}
            _ => fails.push((
                "Jacobian graph's values vs the graph's",
                format!("{} vs {}", fmt_point(&o[..m]), fmt_result(&gv)),
            )),
        }
        // derivatives by three routes, where every value is finite
        // (only where every mode has the f64 program's values: elsewhere a value check failed)
        let values_agree =
            matches!(&gv, Ok(v) if same(v, &r)) && same(&f8.0, &r) && same(&tape.0, &r);
        if values_agree && !nan_sign && all.iter().all(|v| v.is_finite()) {
            let jgraph = &o[m..];
            let jt: Vec<f64> = tape.1.transpose().iter().copied().collect();
            let pm = path_magnitudes(p, &all);
            for i in 0..m {
                let row = |j: &[f64]| j[i * n..(i + 1) * n].to_vec();
                let rows = [row(jgraph), row(&j8), row(&jt)];
                let paths = &pm[p.outputs[i]];
                let entries = rows[0].iter().zip(&rows[1]).zip(&rows[2]).enumerate();
                for (k, ((&a0, &a1), &a2)) in entries {
                    let vals = [a0, a1, a2];
                    st.derivative_entries += 1;
                    if !vals.iter().all(|v| v.is_finite()) {
                        if !(vals.iter().all(|v| v.is_nan()) || vals.iter().all(|&v| v == vals[0]))
                        {
                            st.derivative_nonfinite_differences += 1;
                        }
                        continue;
                    }
                    // relative to the path magnitude (rounding of two routes), floor 1
                    let scale = paths[k].max(1.0);
                    if !scale.is_finite() {
                        continue;
                    }
                    for (a, b, what) in [
                        (vals[0], vals[1], "Jacobian graph vs forward"),
                        (vals[2], vals[1], "tape vs forward"),
                        (vals[0], vals[2], "Jacobian graph vs tape"),
                    ] {
                        let err = (a - b).abs() / scale.max(a.abs()).max(b.abs());
                        st.worst_route = st.worst_route.max(err);
                        if err > ROUTE_RTOL {
                            fails.push((
                                "derivatives by two modes differ",
                                format!("∂y{i}/∂x{k}: {what}: {a:e} vs {b:e}"),
                            ));
                        }
                    }
                }
            }
        }
    }
    fails
}

/// The one-shot sparse drivers at the recording point: no panic, the graph's values.
fn check_sparse(p: &Prog, rec: &Recorded, x0: &[f64]) -> Vec<Failure> {
    let mut fails = Vec::new();
    let want = rec.g.eval(x0);
    match panic::catch_unwind(AssertUnwindSafe(|| {
        sparse::jacobian(|s: &[Sym]| prog(p, s), x0)
    })) {
        Err(e) => fails.push((
            "sparse::jacobian panics at its recording point",
            panic_text(&e),
        )),
        Ok((y, _)) => {
            if !matches!(&want, Ok(w) if same(&y, w)) {
                fails.push((
                    "sparse::jacobian values vs the graph's",
                    format!("{} vs {}", fmt_point(&y), fmt_result(&want)),
                ));
            }
        }
    }
    match panic::catch_unwind(AssertUnwindSafe(|| {
        sparse::hessian(|s: &[Sym]| prog(p, s)[0], x0)
    })) {
        Err(e) => fails.push((
            "sparse::hessian panics at its recording point",
            panic_text(&e),
        )),
        Ok((v, _, _)) => {
            if !matches!(&want, Ok(w) if same_f64(v, w[0])) {
                fails.push((
                    "sparse::hessian value vs the graph's",
                    format!("{v:?} vs {}", fmt_result(&want)),
                ));
            }
        }
    }
    fails
}

fn count_guards(g: &Graph) -> u64 {
    g.num_guards() as u64
}

#[test]
fn branchy_programs_agree_in_every_backend_and_mode() {
    let cases = env_u64("NILPOTENT_FUZZ_CASES").unwrap_or(DEFAULT_PROGRAMS);
    let first = env_u64("NILPOTENT_FUZZ_FIRST").unwrap_or(0);
    let keep_going = std::env::var("NILPOTENT_FUZZ_KEEP_GOING").is_ok();
    let base = Rng::for_test("fuzz branchy").next_u64();
    let mut st = Stats::default();
    let mut failing_cases = 0u64;
    for case in first..first + cases {
        let mut rng = case_rng(base, case);
        let p = generate(&mut rng);
        let x0 = gen_point(&mut rng, p.n);
        let pts = points(&mut rng, &x0);
        st.programs += 1;
        let mut fails: Vec<Failure> = Vec::new();
        let mut at = String::new();
        match record(&p, &x0, jit_case(case)) {
            Err(f) => fails.push(f),
            Ok(rec) => {
                st.guards += count_guards(&rec.g);
                for x in &pts {
                    st.points += 1;
                    let f = check_point(&p, &rec, x, &mut st);
                    if !f.is_empty() && at.is_empty() {
                        at = fmt_point(x);
                    }
                    if !f.is_empty() {
                        let feat = format!(
                            "point: {}; x0: {}",
                            features(&p, &prog_all::<f64>(&p, x)),
                            features(&p, &prog_all::<f64>(&p, &x0))
                        );
                        let mut names: Vec<&'static str> = f.iter().map(|f| f.0).collect();
                        names.dedup();
                        for name in names {
                            *st.classes.entry((name, feat.clone())).or_default() += 1;
                        }
                    }
                    fails.extend(f);
                }
                fails.extend(check_sparse(&p, &rec, &x0));
            }
        }
        if fails.is_empty() {
            continue;
        }
        failing_cases += 1;
        let mut report = format!(
            "case {case} (base seed {base:#x}; rerun with NILPOTENT_FUZZ_FIRST={case} \
             NILPOTENT_FUZZ_CASES=1), recorded at x0 = {}, first failing point {at}\n{p}",
            fmt_point(&x0)
        );
        let mut seen = Vec::new();
        for (name, msg) in &fails {
            if !seen.contains(name) {
                seen.push(name);
                let _ = writeln!(report, "  FAILED {name}: {msg}");
                let e = st.failures.entry(name).or_insert((0, String::new()));
                e.0 += 1;
                if e.1.is_empty() {
                    e.1 = report.clone();
                }
            }
        }
        if keep_going {
            eprintln!("{report}");
        } else {
            panic!("{report}");
        }
    }
    println!(
        "branchy: base seed {base:#x}, programs {first}..{}: {} programs ({} guards recorded), {} \
         points; graph Ok {} / guard {}; Jacobian graph Ok {} / guard {}; JIT comparisons {}; \
         points where the f64 program asks a NaN's sign {}; points with a ±0 tie in max/min {}; \
         derivative entries compared {} (worst {:.2e} of tolerance {ROUTE_RTOL:e}), finite in one \
         mode and not in another {}",
        first + cases,
        st.programs,
        st.guards,
        st.points,
        st.graph_ok,
        st.graph_guard,
        st.jacobian_graph_ok,
        st.jacobian_graph_guard,
        st.jit_compared,
        st.nan_sign_points,
        st.tie_points,
        st.derivative_entries,
        st.worst_route,
        st.derivative_nonfinite_differences,
    );
    for (name, (count, example)) in &st.failures {
        println!("FAILURES {name}: {count} programs; first:\n{example}");
    }
    for ((name, feat), count) in &st.classes {
        println!("failing points: {count:>7}  {name}  [{feat}]");
    }
    assert_eq!(failing_cases, 0, "{failing_cases} failing programs");
}
