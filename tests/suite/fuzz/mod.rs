//! Differential fuzz test: random expression graphs over the whole rule table, differentiated in
//! every mode and compared with finite differences and with each other.
//!
//! # The graphs
//!
//! A graph ([`Expr`]) is plain data: a list of [`Node`]s, each an input, a constant or an operation
//! on earlier nodes, and the indices of 1 to 3 outputs. [`eval`] evaluates it on any [`Scalar`]
//! (`f64`, `Dual<f64, N>`, nested duals, `Var<f64>`, `Var<Dual<f64, N>>`) through the public API
//! (`tests/suite/common`'s `apply_unary`/`apply_binary`/`apply_mul_add`, operators, `Pow<f64>`). On
//! failure the sample is printed as a Rust function with its point, ready for a regression test.
//!
//! [`generate`] draws 2–6 inputs uniform in [−1.5, 1.5] and adds 10–40 operations: every entry of
//! `Unary::ALL` (`powi` with exponents −3…5 and 7), every entry of `Binary::ALL`, `mul_add`,
//! constants (0 and simple values, or random ones), and the mixed scalar forms `x ∘ c` and `c ∘ x`
//! for `+ − × / %` (`Dual ∘ f64`, `f64 ∘ Dual`, `Var ∘ f64`, `f64 ∘ Var`) and `Pow::pow(x, c)` with
//! c ∈ {0, 1, 2, 3, −1, −2, ±½, 1.5, 2.5, −1.5}. The graph is built at its point, node by node: a
//! candidate is kept only if its value is finite with |v| ≤ [`MAX_VALUE`] and its argument is at
//! least [`GEN_RADIUS`] from the op's nearest kink, jump or singularity ([`radius`]). Restricted
//! domains are reached through guards, short compositions of table entries in the
//! `ln(1 + x²)` style (positive: `1 + a²`, `eᵃ`, `hypot(a, c)`, `cosh a`, `½ + |a|`; (−1, 1):
//! `0.9·tanh a`, `0.8·sin a`, `a/(1 + a²)`, `cos a / 1.25`; …). Operands favour recent nodes (deep
//! chains) and nodes whose derivative depends on more inputs; each output is finally combined with
//! nodes carrying the inputs it misses, so that (almost) every entry of J and most of H are nonzero.
//!
//! # The rejection rule
//!
//! A sample is rejected (counted, not checked) if any of these holds:
//!
//! 1. **near a kink or singularity** ([`smooth_near`]): every node is evaluated at the point and at
//!    every point of the finite-difference stencil x ± t·eⱼ, t ∈ {h, h/2, h/4},
//!    h = 1e-3·max(1, maxᵢ|xᵢ|). With Δ the largest move of a node's arguments over the stencil and
//!    R its radius at the point (the distance of the arguments to the nearest point where the op
//!    is not smooth: a kink or jump of abs, signum, floor, ceil, round, trunc, fract, %, rem_euclid,
//!    max, min, abs_sub, the branch cut and origin of atan2, the origin of hypot, a pole or branch
//!    point of recip, /, ln, log, sqrt, cbrt, powf, tan, asin, acos, atanh, acosh, negative
//!    powi; 1 for entire functions such as exp and sin, ∞ for polynomial ops), the rule requires
//!    R ≥ max(1e-3, 16·Δ): the stencil stays on one smooth piece, and singularities are 16 stencil
//!    widths away, so the O(h⁶) Richardson error stays far below the tolerances;
//! 2. **out of range**: a value at a stencil point is not finite or exceeds [`MAX_VALUE`];
//! 3. **finite differences not converged** ([`oracle`]): the Richardson differences with h and with
//!    h/2 differ by more than a tenth of the tolerance of the check they serve. A per-node rule
//!    cannot see every case: compositions such as `sin(u)²⁴` or `hypot((120·x)⁵, c)` have complex
//!    singularities a few steps away although each node is far from its own (the 100 000-graph
//!    run found such samples with FD errors up to 4e-5, where a 50-digit evaluation confirmed AD).
//!
//! # The checks, their tolerances and why
//!
//! | check | tolerance | why |
//! |---|---|---|
//! | every value of every driver vs the plain `f64` evaluation | bit for bit | the crate's promise |
//! | `gradient_fixed`, `jacobian` vs Richardson FD (`fd_jacobian`) | 1e-7, floor 1 | FD error ≲ 1e-8 after the rejection rule; rounding ≈ ε·1e4/h ≈ 1e-9 absolute with values ≤ 1e4 |
//! | `hessian` vs FD of the forward gradient | 1e-6, floor max(1, ‖∇f‖∞) | the same, one order higher |
//! | `gradient`, `gradient_with` 1/2/3, `jacobian_with` 2, row k of `jacobian` vs `gradient_fixed` | exact | every tangent lane does the same arithmetic whatever the chunk |
//! | `jvp` vs J·r, `reverse::gradient`/`jacobian` vs forward, `vjp` vs Jᵀ·s, sᵀ(J r) vs (Jᵀ s)ᵀ r | 1e-12 of the path magnitude | two routes to one derivative, different rounding |
//! | gradient of `hessian(_with 2)`/`hvp(_with 2)` vs `gradient(_with 2)` | exact | documented in `hessian_with` (except the `rem_euclid` defect below) |
//! | gradient of `reverse::hessian(_with 3)`/`hvp` vs `reverse::gradient` | 1e-12 of the path magnitude | the real parts of the adjoints |
//! | `hessian_with 2`, `hvp_with 2` vs the default chunk; `hvp` vs H·v | 1e-10 of the second-order path magnitude | second derivatives by two routes |
//! | `reverse::hessian(_with 3)` vs `hessian`, `reverse::hvp` vs `hvp` | 1e-10 of the second-order path magnitude | forward over reverse vs forward over forward |
//!
//! **Path magnitudes** ([`path_magnitudes`]): an AD derivative ∂yᵢ/∂xⱼ is a sum over the paths from
//! xⱼ to yᵢ of products of local partials, so two routes to it differ by rounding of order
//! ε·depth·Pᵢⱼ, where Pᵢⱼ is that sum with every partial replaced by its absolute value. When the
//! products cancel (`log_x(x)`, whose derivative 0 is computed as 1/(x ln x) − ln x/(x ln² x)), the
//! derivative itself is no scale for the rounding, P is: the comparisons are relative to
//! max(|a|, |b|, P). The second-order checks use the analogous Q (the Hessian propagated with
//! absolute local first and second partials, the latter enlarged by Cauchy's estimate |φ′|/R for
//! the rounding inside the rule's own formula). The worst errors seen are ~1e-15 of these scales
//! (with a floor of max(1, |H|), or Q without the Cauchy term, a rounding difference in the
//! `hypot` second partial 1/h − x²/h³ came within a factor 2 of 1e-10, or failed).
//!
//! The documented difference between the modes — tangents that cancel to exactly 0 before an
//! infinite local partial give 0 forward and NaN in reverse — is counted separately, not failed
//! (the rejection rule keeps infinite partials out, so it is not expected to occur).
//!
//! # Known defect
//!
//! `hessian`/`hvp` (nested duals) return a gradient a few ulps off `gradient_with`'s when the graph
//! contains `rem_euclid`, against `hessian_with`'s documentation: the rule `Binary::RemEuclid`
//! evaluates its value on the inner dual numbers as `(a % b) + |b|` (`div_rem_euclid`), whose inner
//! tangent rounds differently from the first-order a′ − q·b′. Minimal reproduction:
//! `f(x) = (x₀x₁).rem_euclid(sin x₁)` at (−1, 1.1), where q = ⌊x₀x₁/sin x₁⌋ = −2:
//! ∂f/∂x₁ = x₀ − q cos x₁ = −0.0928077571488453828 (50 digits, mpmath); `gradient` (and
//! `gradient_with`, `reverse::gradient`) give −0.09280775714884537 (0.8 ulp off), `hessian`'s
//! gradient −0.09280775714884543 (3.2 ulp off).
//! For such graphs that one check is made to 1e-12 of the path magnitude instead of exactly.
//!
//! # Running
//!
//! `cargo test --test suite fuzz::` checks [`DEFAULT_CASES`] graphs (a few seconds in a debug build).
//! `NILPOTENT_FUZZ_CASES=100000 cargo test --release --test suite fuzz:: -- --nocapture` runs longer and
//! prints a summary (graphs generated, rejected by reason, checks per mode, worst error per check
//! kind and where). Each case has its own generator seeded from the base seed
//! (`NILPOTENT_TEST_SEED`, see `tests/suite/common`) and its index, so a failing case reruns alone with
//! `NILPOTENT_FUZZ_FIRST=<case> NILPOTENT_FUZZ_CASES=1`; `NILPOTENT_FUZZ_KEEP_GOING=1` reports
//! every failing case instead of stopping at the first.
//!
//! # Branches, decompositions, sparsity patterns
//!
//! Three more tests, in `tests/suite/fuzz/`, look where the graphs above cannot: at branches and at the
//! special values this test's rejection rule keeps out.
//!
//! - [`branchy`]: random programs with branches (comparisons, `is_zero`, sign tests, `max`/`min`
//!   ties, NaN-producing operations), recorded once and evaluated at many points: the
//!   interpreter, the JIT, a fresh recording, forward mode, the tape and derivative graphs on dual
//!   numbers against the `f64` program run fresh at each point — the same number bit for bit, or
//!   a guard error, never a different number;
//! - [`decompositions`]: nalgebra's `try_inverse`, `lu().solve`, `qr().solve`, `cholesky`,
//!   `full_piv_lu().is_invertible()` and `determinant` at singular, near-singular and regular
//!   matrices in every mode;
//! - [`patterns`]: sparse Jacobian and Hessian plans on random sparsity patterns (dense rows and
//!   columns included) against the dense drivers and the one-shot `sparse::jacobian`/`hessian`.
//!
//! They take the same knobs (`NILPOTENT_FUZZ_CASES`, `NILPOTENT_FUZZ_FIRST`,
//! `NILPOTENT_FUZZ_KEEP_GOING`, `NILPOTENT_TEST_SEED`), print what they checked, and with
//! `NILPOTENT_FUZZ_KEEP_GOING` every failure classified by check (and, for the programs, by what
//! the point met: a ±0 tie, `is_zero` of 0, the sign of a NaN asked). Run one alone with its name:
//! `NILPOTENT_FUZZ_CASES=100000 cargo test --release --features jit --test suite fuzz::branchy --
//! --nocapture`.

use crate::common;

// The branchy programs, nalgebra decompositions and sparsity patterns of the extended fuzz test.
mod branchy;
mod decompositions;
mod patterns;

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Add, Div, Mul, Rem, Sub};
use std::panic::{self, AssertUnwindSafe};

use common::{
    Rng, Worst, apply_binary, apply_mul_add, apply_unary, fd_jacobian, fd_jacobian_step, rel_err,
    same_f64, same_value, step,
};
use nilpotent::reverse::{self, Var};
use nilpotent::rules::{self, Binary, Unary};
use nilpotent::{
    Chunk, Dual, gradient, gradient_fixed, gradient_with, hessian, hessian_with, hvp, hvp_with,
    jacobian, jacobian_with, jvp,
};
use num_traits::{Euclid, Float, Pow};

// ---------------------------------------------------------------------------------------------
// Parameters of the generator, of the rejection rule and of the oracles
// ---------------------------------------------------------------------------------------------

/// Graphs checked by default (`cargo test`, debug build); `NILPOTENT_FUZZ_CASES` overrides it.
const DEFAULT_CASES: u64 = 1500;
/// Every value, at the point and at every finite-difference stencil point, stays within ±this.
const MAX_VALUE: f64 = 1e4;
/// The generator adds a node only if its argument is at least this far from the op's nearest
/// kink, jump or singularity (see [`radius`]); the rejection rule then checks the real margin.
const GEN_RADIUS: f64 = 0.05;
/// Rejection rule: the radius of every node must exceed `STENCIL_RATIO` times the distance its
/// arguments move over the finite-difference stencil …
const STENCIL_RATIO: f64 = 16.0;
/// … and be at least this (an argument that does not move at all must still not sit on a kink).
const MIN_RADIUS: f64 = 1e-3;
/// The radius given to entire functions (exp, sin, …): the argument may move by 1/16 over the
/// stencil, which keeps the O(Δ⁶) Richardson error of e.g. exp below 1e-12 relative.
const ENTIRE_SCALE: f64 = 1.0;

/// AD against Richardson finite differences, first derivatives.
const FD_RTOL: f64 = 1e-7;
/// AD Hessian against Richardson differences of the AD gradient.
const FD_HESS_RTOL: f64 = 1e-6;
/// The floor of the finite-difference comparisons (see the module documentation).
const FD_FLOOR: f64 = 1.0;
/// The same first derivative by two different routes (forward against reverse, J·r against the
/// Jacobian times r, the dot-product test): only the rounding differs. Relative to the largest of
/// the two values and the path magnitude P ([`path_magnitudes`]).
const ROUTE_RTOL: f64 = 1e-12;
/// The same second derivative by two different routes (forward over forward against forward over
/// reverse, H·v against H times v, other chunk widths), relative to the largest of the two values
/// and the second-order path magnitude Q.
const SECOND_RTOL: f64 = 1e-10;

/// Exponents drawn for `powi`.
const POWI_EXPONENTS: [i32; 10] = [-3, -2, -1, 0, 1, 2, 3, 4, 5, 7];
/// Exponents drawn for `powf` with a constant exponent (`Pow<f64>`), including 0 and 1.
const POWF_EXPONENTS: [f64; 11] = [0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, 1.5, 2.5, -0.5, -1.5];
/// The operators that have mixed forms `Dual ∘ f64`, `f64 ∘ Dual`, `Var ∘ f64`, `f64 ∘ Var`.
const OPERATORS: [Binary; 5] = [
    Binary::Add,
    Binary::Sub,
    Binary::Mul,
    Binary::Div,
    Binary::Rem,
];

// ---------------------------------------------------------------------------------------------
// The number types and their mixed scalar forms
// ---------------------------------------------------------------------------------------------

/// A number type the graphs are evaluated on, with the mixed forms it offers: an operator with a
/// constant of its scalar type on either side, and `powf` with a constant exponent.
///
/// `Dual<f64, N>` and `Var<f64>` have all of them as written (`x + 1.5`, `1.5 + x`,
/// `Pow::pow(x, 1.5)`). The nested types have `x ∘ c` with `c` of their scalar type
/// (`Dual<Dual<f64, M>, N> ∘ Dual<f64, M>`, `Var<Dual<f64, N>> ∘ Dual<f64, N>`), but no operator
/// with the constant on the left and no `Pow<f64>`: there the constant enters as a constant of
/// the type itself (`Self::constant(c) ∘ x`, `x.powf(Self::constant(c))`), the same function by
/// another path.
trait Scalar: Float + Euclid + nilpotent::Elementary {
    /// `self ∘ c`
    fn op_const(self, op: Binary, c: f64) -> Self;
    /// `c ∘ x`
    fn const_op(c: f64, op: Binary, x: Self) -> Self;
    /// `self^c`
    fn pow_const(self, c: f64) -> Self;
}

/// `a ∘ b` for the five operators that have mixed forms.
fn arith<A, B, O>(op: Binary, a: A, b: B) -> O
where
    A: Add<B, Output = O> + Sub<B, Output = O> + Mul<B, Output = O>,
    A: Div<B, Output = O> + Rem<B, Output = O>,
{
    match op {
        Binary::Add => a + b,
        Binary::Sub => a - b,
        Binary::Mul => a * b,
        Binary::Div => a / b,
        Binary::Rem => a % b,
        _ => unreachable!("{op:?} has no operator form"),
    }
}

impl Scalar for f64 {
    fn op_const(self, op: Binary, c: f64) -> Self {
        arith(op, self, c)
    }
    fn const_op(c: f64, op: Binary, x: Self) -> Self {
        arith(op, c, x)
    }
    fn pow_const(self, c: f64) -> Self {
        self.powf(c)
    }
}

impl<const N: usize> Scalar for Dual<f64, N> {
    fn op_const(self, op: Binary, c: f64) -> Self {
        arith(op, self, c)
    }
    fn const_op(c: f64, op: Binary, x: Self) -> Self {
        arith(op, c, x)
    }
    fn pow_const(self, c: f64) -> Self {
        Pow::pow(self, c)
    }
}

impl<const M: usize, const N: usize> Scalar for Dual<Dual<f64, M>, N> {
    fn op_const(self, op: Binary, c: f64) -> Self {
        arith(op, self, Dual::<f64, M>::constant(c))
    }
    fn const_op(c: f64, op: Binary, x: Self) -> Self {
        arith(op, Dual::constant(Dual::constant(c)), x)
    }
    fn pow_const(self, c: f64) -> Self {
        self.powf(Dual::constant(Dual::constant(c)))
    }
}

impl Scalar for Var<f64> {
    fn op_const(self, op: Binary, c: f64) -> Self {
        arith(op, self, c)
    }
    fn const_op(c: f64, op: Binary, x: Self) -> Self {
        arith(op, c, x)
    }
    fn pow_const(self, c: f64) -> Self {
        Pow::pow(self, c)
    }
}

impl<const N: usize> Scalar for Var<Dual<f64, N>> {
    fn op_const(self, op: Binary, c: f64) -> Self {
        arith(op, self, Dual::<f64, N>::constant(c))
    }
    fn const_op(c: f64, op: Binary, x: Self) -> Self {
        arith(op, Var::constant(Dual::constant(c)), x)
    }
    fn pow_const(self, c: f64) -> Self {
        self.powf(Var::constant(Dual::constant(c)))
    }
}

// ---------------------------------------------------------------------------------------------
// Graphs as plain data, and their generic evaluation
// ---------------------------------------------------------------------------------------------

/// One node of a graph; operands are indices of earlier nodes.
#[derive(Clone, Copy, Debug)]
enum Node {
    /// the input `x[i]`
    Input(usize),
    /// a constant, `T::from(c)`
    Const(f64),
    /// a rule-table entry of one argument, through the `Float` method
    Unary(Unary, usize),
    /// a rule-table entry of two arguments, through the operator or `Float` method
    Binary(Binary, usize, usize),
    /// `a.mul_add(b, c)`
    MulAdd(usize, usize, usize),
    /// `a ∘ c` with an `f64` constant on the right (mixed form)
    OpConst(Binary, usize, f64),
    /// `c ∘ a` with an `f64` constant on the left (mixed form)
    ConstOp(Binary, f64, usize),
    /// `a^c` with a constant `f64` exponent (`Pow<f64>`)
    PowConst(usize, f64),
}

/// A graph: `inputs` inputs (nodes `0..inputs` are `Input(0..inputs)`), then operations, and the
/// indices of the output nodes.
#[derive(Clone, Debug)]
struct Expr {
    inputs: usize,
    nodes: Vec<Node>,
    outputs: Vec<usize>,
}

/// The value of one node, given the values `v` of all earlier nodes and the inputs `x`.
fn eval_node<T: Scalar>(node: Node, v: &[T], x: &[T]) -> T {
    match node {
        Node::Input(i) => x[i],
        Node::Const(c) => T::from(c).expect("an f64 constant converts"),
        Node::Unary(op, a) => apply_unary(op, v[a]),
        Node::Binary(op, a, b) => apply_binary(op, v[a], v[b]),
        Node::MulAdd(a, b, c) => apply_mul_add(v[a], v[b], v[c]),
        Node::OpConst(op, a, c) => v[a].op_const(op, c),
        Node::ConstOp(op, c, a) => T::const_op(c, op, v[a]),
        Node::PowConst(a, c) => v[a].pow_const(c),
    }
}

/// The values of all nodes.
fn eval_all<T: Scalar>(e: &Expr, x: &[T]) -> Vec<T> {
    let mut v = Vec::with_capacity(e.nodes.len());
    for &node in &e.nodes {
        let y = eval_node(node, &v, x);
        v.push(y);
    }
    v
}

/// The graph as a function ℝⁿ → ℝᵐ, on any of the number types.
fn eval<T: Scalar>(e: &Expr, x: &[T]) -> Vec<T> {
    let v = eval_all(e, x);
    e.outputs.iter().map(|&o| v[o]).collect()
}

/// The operands of a node (at most three).
fn operands(node: Node) -> ([usize; 3], usize) {
    match node {
        Node::Input(_) | Node::Const(_) => ([0; 3], 0),
        Node::Unary(_, a) | Node::OpConst(_, a, _) | Node::ConstOp(_, _, a) => ([a, 0, 0], 1),
        Node::PowConst(a, _) => ([a, 0, 0], 1),
        Node::Binary(_, a, b) => ([a, b, 0], 2),
        Node::MulAdd(a, b, c) => ([a, b, c], 3),
    }
}

// ---------------------------------------------------------------------------------------------
// Where each op stops being smooth: the radius of a node
// ---------------------------------------------------------------------------------------------

/// Distance from `a` to the nearest integer.
fn to_integer(a: f64) -> f64 {
    (a - a.round()).abs()
}

/// Distance from `a` to the nearest nonzero integer (the jumps of `trunc` and `fract`).
fn to_nonzero_integer(a: f64) -> f64 {
    if a.abs() < 1.0 {
        1.0 - a.abs()
    } else {
        to_integer(a)
    }
}

/// Distance in the plane from (a, b) to the jumps of `a % b` (the lines a = k·b, k a nonzero
/// integer, or any integer for the Euclidean remainder) and to b = 0.
fn rem_radius(a: f64, b: f64, euclid: bool) -> f64 {
    let q = a / b;
    let mut r = b.abs();
    for k in [q.floor(), q.ceil(), -1.0, 1.0] {
        if k != 0.0 || euclid {
            r = r.min((a - k * b).abs() / (1.0 + k * k).sqrt());
        }
    }
    r
}

/// How far the argument of a one-argument op may move before the op stops being smooth (a kink,
/// jump, pole or branch point), in the argument's own units; `ENTIRE_SCALE` for entire functions,
/// ∞ for polynomials. Negative or NaN outside the domain.
fn unary_radius(op: Unary, a: f64) -> f64 {
    match op {
        Unary::Neg | Unary::ToDegrees | Unary::ToRadians => f64::INFINITY,
        Unary::Powi(n) if n >= 0 => f64::INFINITY,
        Unary::Powi(_) | Unary::Recip | Unary::Cbrt | Unary::Abs | Unary::Signum => a.abs(),
        Unary::Sqrt | Unary::Ln | Unary::Log2 | Unary::Log10 => a,
        Unary::Ln1p => 1.0 + a,
        Unary::Exp | Unary::Exp2 | Unary::ExpM1 | Unary::Sin | Unary::Cos => ENTIRE_SCALE,
        // tanh has poles at ±iπ/2, atan and asinh branch points at ±i: all at distance ≥ 1
        Unary::Sinh | Unary::Cosh | Unary::Tanh | Unary::Atan | Unary::Asinh => ENTIRE_SCALE,
        Unary::Erf | Unary::Erfc => ENTIRE_SCALE,
        Unary::Tan => {
            let half_pi = std::f64::consts::FRAC_PI_2;
            let k = ((a - half_pi) / std::f64::consts::PI).round();
            (a - half_pi - k * std::f64::consts::PI).abs()
        }
        Unary::Asin | Unary::Acos | Unary::Atanh => 1.0 - a.abs(),
        Unary::Acosh => a - 1.0,
        Unary::Floor | Unary::Ceil => to_integer(a),
        Unary::Round => (a - a.floor() - 0.5).abs(),
        Unary::Trunc | Unary::Fract => to_nonzero_integer(a),
    }
}

/// [`unary_radius`] for two-argument ops: the distance in the (a, b) plane.
fn binary_radius(op: Binary, a: f64, b: f64) -> f64 {
    match op {
        Binary::Add | Binary::Sub | Binary::Mul => f64::INFINITY,
        Binary::Div => b.abs(),
        Binary::Rem => rem_radius(a, b, false),
        Binary::RemEuclid => rem_radius(a, b, true),
        // branch point at a = 0; in the exponent entire
        Binary::Powf => a.min(ENTIRE_SCALE),
        // ln a / ln b: branch points a = 0, b = 0, pole b = 1
        Binary::Log => a.min(b).min((b - 1.0).abs()),
        // a.atan2(b) is the angle of the point (b, a): cut along a = 0, b < 0, and the origin
        Binary::Atan2 => {
            if b >= 0.0 {
                a.hypot(b)
            } else {
                a.abs()
            }
        }
        Binary::Hypot => a.hypot(b),
        Binary::Max | Binary::Min | Binary::AbsSub => (a - b).abs() / std::f64::consts::SQRT_2,
    }
}

/// The radius of a node at the point where its operands have the values `v` (see
/// [`unary_radius`]).
fn radius(node: Node, v: &[f64]) -> f64 {
    match node {
        Node::Input(_) | Node::Const(_) | Node::MulAdd(..) => f64::INFINITY,
        Node::Unary(op, a) => unary_radius(op, v[a]),
        Node::Binary(op, a, b) => binary_radius(op, v[a], v[b]),
        Node::OpConst(op, a, c) => binary_radius(op, v[a], c),
        Node::ConstOp(op, c, a) => binary_radius(op, c, v[a]),
        Node::PowConst(a, c) => {
            if c.fract() != 0.0 {
                v[a]
            } else if c < 0.0 {
                v[a].abs()
            } else {
                f64::INFINITY
            }
        }
    }
}

/// Why a sample was rejected.
enum Reject {
    /// a value at a stencil point is not finite or exceeds `MAX_VALUE`
    Range,
    /// a node is too close to a kink, jump or singularity for the stencil
    Kink(Node),
    /// the finite differences with the default step and with half of it disagree
    Unconverged,
}

/// Finite and within ±`MAX_VALUE`.
fn in_range(v: f64) -> bool {
    v.abs() <= MAX_VALUE
}

/// The rejection rule (see the module documentation): evaluates every node at the point and at
/// every point of the finite-difference stencil `x ± t·eⱼ`, `t ∈ {h, h/2, h/4}`, exactly as
/// `fd_jacobian` does, and checks the values and the radius of every node.
fn smooth_near(e: &Expr, x: &[f64]) -> Result<(), Reject> {
    let centre = eval_all::<f64>(e, x);
    if !centre.iter().all(|&v| in_range(v)) {
        return Err(Reject::Range);
    }
    let h = step(x.iter().fold(0.0_f64, |m, v| m.max(v.abs())));
    let mut moved = vec![0.0_f64; e.nodes.len()];
    let mut buf = x.to_vec();
    for j in 0..x.len() {
        for t in [h, h / 2.0, h / 4.0, -h, -h / 2.0, -h / 4.0] {
            buf[j] = x[j] + t;
            let vals = eval_all::<f64>(e, &buf);
            for (i, (&v, &c)) in vals.iter().zip(&centre).enumerate() {
                if !in_range(v) {
                    return Err(Reject::Range);
                }
                moved[i] = moved[i].max((v - c).abs());
            }
        }
        buf[j] = x[j];
    }
    for &node in &e.nodes {
        let r = radius(node, &centre);
        if r == f64::INFINITY {
            continue;
        }
        let (ops, count) = operands(node);
        let d = ops[..count].iter().fold(0.0_f64, |m, &a| m.max(moved[a]));
        if !(r >= MIN_RADIUS && r >= STENCIL_RATIO * d) {
            return Err(Reject::Kink(node));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

/// A region an operand is mapped into by a guard (a short composition of table entries).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Domain {
    Any,
    Positive,
    NonZero,
    AboveOne,
    LogBase,
    OpenUnit,
    AboveMinusOne,
    TanSafe,
    Moderate,
}

fn unary_domain(op: Unary) -> Domain {
    match op {
        Unary::Sqrt | Unary::Ln | Unary::Log2 | Unary::Log10 => Domain::Positive,
        Unary::Recip | Unary::Cbrt => Domain::NonZero,
        Unary::Powi(n) if n < 0 => Domain::NonZero,
        Unary::Ln1p => Domain::AboveMinusOne,
        Unary::Asin | Unary::Acos | Unary::Atanh => Domain::OpenUnit,
        Unary::Acosh => Domain::AboveOne,
        Unary::Tan => Domain::TanSafe,
        Unary::Exp | Unary::Exp2 | Unary::ExpM1 | Unary::Sinh | Unary::Cosh => Domain::Moderate,
        _ => Domain::Any,
    }
}

fn binary_domains(op: Binary) -> (Domain, Domain) {
    match op {
        Binary::Div | Binary::Rem | Binary::RemEuclid => (Domain::Any, Domain::NonZero),
        Binary::Powf => (Domain::Positive, Domain::Moderate),
        Binary::Log => (Domain::Positive, Domain::LogBase),
        _ => (Domain::Any, Domain::Any),
    }
}

/// Builds a graph node by node while tracking its values at the point `x`.
struct Gen<'a> {
    rng: &'a mut Rng,
    x: Vec<f64>,
    nodes: Vec<Node>,
    vals: Vec<f64>,
    /// the inputs each node's derivative depends on (bit i: input i), see [`live_mask`]
    live: Vec<u32>,
    /// candidate nodes not added (their argument too close to a kink or out of range)
    discarded: u64,
}

/// The inputs on which a node's derivative depends at the generator's point: those of its
/// operands, except that piecewise-constant ops depend on none and `max`, `min`, `abs_sub` on
/// those of the branch taken.
fn live_mask(node: Node, vals: &[f64], live: &[u32]) -> u32 {
    match node {
        Node::Input(i) => 1 << i,
        Node::Const(_) => 0,
        Node::Unary(
            Unary::Signum
            | Unary::Floor
            | Unary::Ceil
            | Unary::Round
            | Unary::Trunc
            | Unary::Powi(0),
            _,
        ) => 0,
        Node::PowConst(_, 0.0) => 0,
        Node::Binary(Binary::Max, a, b) => live[if vals[a] > vals[b] { a } else { b }],
        Node::Binary(Binary::Min, a, b) => live[if vals[a] < vals[b] { a } else { b }],
        Node::Binary(Binary::AbsSub, a, b) if vals[a] < vals[b] => 0,
        _ => {
            let (ops, count) = operands(node);
            ops[..count].iter().fold(0, |m, &a| m | live[a])
        }
    }
}

impl Gen<'_> {
    /// Adds `node` if its value is finite and moderate and its argument is at least `GEN_RADIUS`
    /// inside the op's smooth region.
    fn push(&mut self, node: Node) -> Option<usize> {
        let v = eval_node(node, &self.vals, &self.x);
        if in_range(v) && radius(node, &self.vals) >= GEN_RADIUS {
            let live = live_mask(node, &self.vals, &self.live);
            self.live.push(live);
            self.nodes.push(node);
            self.vals.push(v);
            Some(self.nodes.len() - 1)
        } else {
            self.discarded += 1;
            None
        }
    }

    fn coin(&mut self, percent: usize) -> bool {
        self.rng.below(100) < percent
    }

    /// A node: half the time one of the last four (deep chains), otherwise any.
    fn draw(&mut self) -> usize {
        let len = self.nodes.len();
        if self.coin(50) {
            len - 1 - self.rng.below(len.min(4))
        } else {
            self.rng.below(len)
        }
    }

    /// An operand: of two drawn nodes, the one whose derivative depends on more inputs.
    fn operand(&mut self) -> usize {
        let (a, b) = (self.draw(), self.draw());
        if self.live[b].count_ones() > self.live[a].count_ones() {
            b
        } else {
            a
        }
    }

    /// Makes node `o` depend on every input (up to a few tries): combines it with nodes that carry
    /// the missing inputs, by smooth entries. Returns the last node of the combination.
    fn cover(&mut self, mut o: usize) -> usize {
        let all = (1u32 << self.x.len()) - 1;
        for _ in 0..8 {
            let missing = all & !self.live[o];
            if missing == 0 {
                break;
            }
            let carriers: Vec<usize> = (0..self.nodes.len())
                .filter(|&i| self.live[i] & missing != 0)
                .collect();
            let c = carriers[self.rng.below(carriers.len())];
            let node = match self.rng.below(6) {
                0 => Node::Binary(Binary::Add, o, c),
                1 => Node::Binary(Binary::Mul, o, c),
                2 => Node::Binary(Binary::Sub, c, o),
                3 => Node::Binary(Binary::Hypot, o, c),
                4 => Node::Binary(Binary::Atan2, o, c),
                _ => Node::MulAdd(c, o, o),
            };
            if let Some(i) = self.push(node) {
                o = i;
            }
        }
        o
    }

    /// A constant: a simple one (0 included) or a random one.
    fn constant(&mut self) -> f64 {
        const SIMPLE: [f64; 9] = [0.0, 0.5, 1.0, 2.0, 3.0, -1.0, -0.5, 0.25, 1.5];
        if self.coin(50) {
            SIMPLE[self.rng.below(SIMPLE.len())]
        } else {
            self.rng.signed(0.25, 3.0)
        }
    }

    /// A node ≥ 1 (or > 0) computed from `a`.
    fn positive(&mut self, a: usize) -> Option<usize> {
        match self.rng.below(6) {
            0 => {
                let one = self.push(Node::Const(1.0))?;
                self.push(Node::MulAdd(a, a, one))
            }
            1 => self.push(Node::Unary(Unary::Exp, a)),
            2 => {
                let c = self.rng.uniform(0.5, 1.5);
                let c = self.push(Node::Const(c))?;
                self.push(Node::Binary(Binary::Hypot, a, c))
            }
            3 => self.push(Node::Unary(Unary::Cosh, a)),
            4 => {
                let t = self.push(Node::Binary(Binary::Mul, a, a))?;
                self.push(Node::OpConst(Binary::Add, t, 1.0))
            }
            _ => {
                let t = self.push(Node::Unary(Unary::Abs, a))?;
                self.push(Node::ConstOp(Binary::Add, 0.5, t))
            }
        }
    }

    /// Maps `a` into `domain` with a few table entries (or returns it unchanged for `Any`).
    fn guard(&mut self, domain: Domain, a: usize) -> Option<usize> {
        match domain {
            Domain::Any => Some(a),
            Domain::Positive => self.positive(a),
            Domain::NonZero => {
                let p = self.positive(a)?;
                if self.coin(50) {
                    self.push(Node::Unary(Unary::Neg, p))
                } else {
                    Some(p)
                }
            }
            Domain::AboveOne => {
                let p = self.positive(a)?;
                let c = self.rng.uniform(1.1, 2.0);
                self.push(Node::OpConst(Binary::Add, p, c))
            }
            Domain::LogBase => {
                let p = self.guard(Domain::AboveOne, a)?;
                if self.coin(50) {
                    self.push(Node::Unary(Unary::Recip, p))
                } else {
                    Some(p)
                }
            }
            Domain::OpenUnit => match self.rng.below(4) {
                0 => {
                    let t = self.push(Node::Unary(Unary::Tanh, a))?;
                    self.push(Node::ConstOp(Binary::Mul, 0.9, t))
                }
                1 => {
                    let t = self.push(Node::Unary(Unary::Sin, a))?;
                    self.push(Node::OpConst(Binary::Mul, t, 0.8))
                }
                2 => {
                    let one = self.push(Node::Const(1.0))?;
                    let d = self.push(Node::MulAdd(a, a, one))?;
                    self.push(Node::Binary(Binary::Div, a, d))
                }
                _ => {
                    let t = self.push(Node::Unary(Unary::Cos, a))?;
                    self.push(Node::OpConst(Binary::Div, t, 1.25))
                }
            },
            Domain::AboveMinusOne => {
                if self.coin(50) {
                    self.push(Node::Binary(Binary::Mul, a, a))
                } else {
                    let t = self.push(Node::Unary(Unary::Exp, a))?;
                    self.push(Node::OpConst(Binary::Sub, t, 0.5))
                }
            }
            Domain::TanSafe => match self.rng.below(3) {
                0 => {
                    let t = self.push(Node::Unary(Unary::Atan, a))?;
                    self.push(Node::OpConst(Binary::Mul, t, 0.9))
                }
                1 => self.push(Node::Unary(Unary::Tanh, a)),
                _ => self.push(Node::Unary(Unary::Sin, a)),
            },
            Domain::Moderate => match self.rng.below(4) {
                0 => self.push(Node::Unary(Unary::Sin, a)),
                1 => {
                    let t = self.push(Node::Unary(Unary::Tanh, a))?;
                    self.push(Node::ConstOp(Binary::Mul, 2.0, t))
                }
                2 => self.push(Node::Unary(Unary::Atan, a)),
                _ => self.push(Node::Unary(Unary::Cos, a)),
            },
        }
    }

    fn add_unary(&mut self) -> Option<usize> {
        // powi with a tenth of the draws (its exponents are many), the other entries alike
        let powi = Unary::Powi(POWI_EXPONENTS[self.rng.below(POWI_EXPONENTS.len())]);
        let op = if self.coin(10) {
            powi
        } else {
            match Unary::ALL[self.rng.below(Unary::ALL.len())] {
                Unary::Powi(_) => powi,
                op => op,
            }
        };
        let a = self.operand();
        let domain = unary_domain(op);
        if domain == Domain::Any || self.coin(70) {
            let tried = self.push(Node::Unary(op, a));
            if tried.is_some() || domain == Domain::Any {
                return tried;
            }
        }
        let a = self.guard(domain, a)?;
        self.push(Node::Unary(op, a))
    }

    fn add_binary(&mut self) -> Option<usize> {
        let op = Binary::ALL[self.rng.below(Binary::ALL.len())];
        let a = self.operand();
        let b = if self.coin(12) {
            let c = self.constant();
            self.push(Node::Const(c))?
        } else {
            self.operand()
        };
        let (da, db) = binary_domains(op);
        let any = (da, db) == (Domain::Any, Domain::Any);
        if any || self.coin(70) {
            let tried = self.push(Node::Binary(op, a, b));
            if tried.is_some() || any {
                return tried;
            }
        }
        let a = self.guard(da, a)?;
        let b = self.guard(db, b)?;
        self.push(Node::Binary(op, a, b))
    }

    fn add_mul_add(&mut self) -> Option<usize> {
        let (a, b, c) = (self.operand(), self.operand(), self.operand());
        self.push(Node::MulAdd(a, b, c))
    }

    fn add_op_const(&mut self) -> Option<usize> {
        let op = OPERATORS[self.rng.below(OPERATORS.len())];
        let (a, c) = (self.operand(), self.constant());
        self.push(Node::OpConst(op, a, c))
    }

    fn add_const_op(&mut self) -> Option<usize> {
        let op = OPERATORS[self.rng.below(OPERATORS.len())];
        let (c, a) = (self.constant(), self.operand());
        if let Some(i) = self.push(Node::ConstOp(op, c, a)) {
            return Some(i);
        }
        if matches!(op, Binary::Div | Binary::Rem) {
            let a = self.guard(Domain::NonZero, a)?;
            return self.push(Node::ConstOp(op, c, a));
        }
        None
    }

    fn add_pow_const(&mut self) -> Option<usize> {
        let c = POWF_EXPONENTS[self.rng.below(POWF_EXPONENTS.len())];
        let a = self.operand();
        if self.coin(70)
            && let Some(i) = self.push(Node::PowConst(a, c))
        {
            return Some(i);
        }
        let domain = if c.fract() != 0.0 {
            Domain::Positive
        } else if c < 0.0 {
            Domain::NonZero
        } else {
            Domain::Any
        };
        let a = self.guard(domain, a)?;
        self.push(Node::PowConst(a, c))
    }
}

/// One sample: a graph, the point, the directions of J·r, Jᵀ·s and H·v, and the output whose
/// gradient and Hessian are checked.
#[derive(Clone, Debug)]
struct Sample {
    expr: Expr,
    x: Vec<f64>,
    r: Vec<f64>,
    s: Vec<f64>,
    v: Vec<f64>,
    k: usize,
}

/// Draws a sample (see the module documentation for the distribution).
fn generate(rng: &mut Rng, discarded: &mut u64) -> Sample {
    let n = rng.int(2, 6) as usize;
    let x: Vec<f64> = (0..n).map(|_| rng.uniform(-1.5, 1.5)).collect();
    let target = n + rng.int(10, 40) as usize;
    let mut g = Gen {
        rng,
        x: x.clone(),
        nodes: (0..n).map(Node::Input).collect(),
        vals: x.clone(),
        live: (0..n).map(|i| 1 << i).collect(),
        discarded: 0,
    };
    let mut tries = 0;
    while g.nodes.len() < target && tries < 20 * target {
        tries += 1;
        let _ = match g.rng.below(100) {
            0..=39 => g.add_unary(),
            40..=71 => g.add_binary(),
            72..=77 => g.add_mul_add(),
            78..=85 => g.add_op_const(),
            86..=93 => g.add_const_op(),
            _ => g.add_pow_const(),
        };
    }
    // the last node and up to two others, each made to depend on every input
    let m = g.rng.int(1, 3) as usize;
    let last = g.nodes.len() - 1;
    let mut outputs = vec![g.cover(last)];
    for _ in 1..m {
        let o = n + g.rng.below(g.nodes.len() - n);
        outputs.push(g.cover(o));
    }
    *discarded += g.discarded;
    let nodes = g.nodes;
    let r = rng.vec(n, -1.0, 1.0);
    let s = rng.vec(m, -1.0, 1.0);
    let v = rng.vec(n, -1.0, 1.0);
    let k = rng.below(m);
    Sample {
        expr: Expr {
            inputs: n,
            nodes,
            outputs,
        },
        x,
        r,
        s,
        v,
        k,
    }
}

// ---------------------------------------------------------------------------------------------
// Readable form: the graph as a Rust function
// ---------------------------------------------------------------------------------------------

fn symbol(op: Binary) -> &'static str {
    match op {
        Binary::Add => "+",
        Binary::Sub => "-",
        Binary::Mul => "*",
        Binary::Div => "/",
        Binary::Rem => "%",
        _ => unreachable!("{op:?} has no operator form"),
    }
}

/// An `f64` literal that reads back to the same number.
fn lit(c: f64) -> String {
    if c.is_sign_negative() {
        format!("({c:?})")
    } else {
        format!("{c:?}")
    }
}

/// The right-hand side of a node, as Rust code.
fn node_label(node: Node) -> String {
    match node {
        Node::Input(i) => format!("x[{i}]"),
        Node::Const(c) => format!("T::from({c:?}).unwrap()"),
        Node::Unary(Unary::Neg, a) => format!("-v{a}"),
        Node::Unary(Unary::Powi(n), a) => format!("v{a}.powi({n})"),
        Node::Unary(op, a) => format!("v{a}.{}()", op.name()),
        Node::Binary(
            op @ (Binary::Add | Binary::Sub | Binary::Mul | Binary::Div | Binary::Rem),
            a,
            b,
        ) => format!("v{a} {} v{b}", symbol(op)),
        Node::Binary(Binary::RemEuclid, a, b) => format!("Euclid::rem_euclid(&v{a}, &v{b})"),
        Node::Binary(op, a, b) => format!("v{a}.{}(v{b})", op.name()),
        Node::MulAdd(a, b, c) => format!("v{a}.mul_add(v{b}, v{c})"),
        Node::OpConst(op, a, c) => format!("v{a} {} {}", symbol(op), lit(c)),
        Node::ConstOp(op, c, a) => format!("{} {} v{a}", lit(c), symbol(op)),
        Node::PowConst(a, c) => format!("Pow::pow(v{a}, {})", lit(c)),
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "// written for T = Dual<f64, N> or Var<f64> (the f64 mixed forms); \
             #[allow(deprecated)] for abs_sub"
        )?;
        writeln!(
            f,
            "fn f<T: Float + Euclid + Pow<f64, Output = T>>(x: &[T]) -> Vec<T> {{ // {} inputs",
            self.inputs
        )?;
        for (i, &node) in self.nodes.iter().enumerate() {
            writeln!(f, "    let v{i} = {};", node_label(node))?;
        }
        let outs: Vec<String> = self.outputs.iter().map(|o| format!("v{o}")).collect();
        writeln!(f, "    vec![{}]", outs.join(", "))?;
        write!(f, "}}")
    }
}

impl fmt::Display for Sample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.expr)?;
        writeln!(f, "let x = {:?};", self.x)?;
        writeln!(f, "let r = {:?}; // J·r", self.r)?;
        writeln!(f, "let s = {:?}; // Jᵀ·s", self.s)?;
        writeln!(f, "let v = {:?}; // H·v", self.v)?;
        write!(f, "// gradient and Hessian of output {}", self.k)
    }
}

// ---------------------------------------------------------------------------------------------
// Bookkeeping: checks made and worst errors per kind
// ---------------------------------------------------------------------------------------------

/// The kinds of checks; see `KINDS` for names, modes and tolerances.
#[derive(Clone, Copy)]
enum Kind {
    ValueForward,
    ValueReverse,
    ValueFof,
    ValueFor,
    FdGradient,
    FdJacobian,
    FdHessian,
    ForwardRoutes,
    Jvp,
    ReverseGradient,
    ReverseJacobian,
    Vjp,
    Dot,
    FofGradient,
    FofRoutes,
    FofHvp,
    ForGradient,
    ForHessian,
    ForHvp,
}

/// (name, mode, tolerance) of each kind, in the order of [`Kind`].
const KINDS: [(&str, &str, &str); 19] = [
    ("values of the forward drivers", "forward", "bit for bit"),
    ("values of the tape drivers", "reverse", "bit for bit"),
    ("values of hessian/hvp", "fwd∘fwd", "bit for bit"),
    ("values of reverse::hessian/hvp", "fwd∘rev", "bit for bit"),
    ("gradient_fixed vs FD", "forward", "1e-7, floor 1"),
    ("jacobian vs FD", "forward", "1e-7, floor 1"),
    (
        "hessian vs FD of the gradient",
        "fwd∘fwd",
        "1e-6, floor |g|,1",
    ),
    (
        "gradient(_with)/jacobian(_with) vs gradient_fixed",
        "forward",
        "exact",
    ),
    ("jvp vs J·r", "forward", "1e-12 of paths"),
    (
        "reverse::gradient vs gradient_fixed",
        "reverse",
        "1e-12 of paths",
    ),
    ("reverse::jacobian vs jacobian", "reverse", "1e-12 of paths"),
    ("reverse::vjp vs Jᵀ·s", "reverse", "1e-12 of paths"),
    (
        "dot product sᵀ(J r) vs (Jᵀ s)ᵀ r",
        "reverse",
        "1e-12 of paths",
    ),
    (
        "gradient of hessian/hvp vs gradient_with",
        "fwd∘fwd",
        "exact (see rem_euclid)",
    ),
    (
        "hessian_with 2, hvp_with 2 vs chunk 8",
        "fwd∘fwd",
        "1e-10 of paths",
    ),
    ("hvp vs H·v", "fwd∘fwd", "1e-10 of paths"),
    (
        "gradient of reverse::hessian/hvp vs tape",
        "fwd∘rev",
        "1e-12 of paths",
    ),
    (
        "reverse::hessian(_with 3) vs hessian",
        "fwd∘rev",
        "1e-10 of paths",
    ),
    ("reverse::hvp vs hvp", "fwd∘rev", "1e-10 of paths"),
];

#[derive(Default)]
struct Tally {
    count: u64,
    worst: Worst,
}

#[derive(Default)]
struct Stats {
    generated: u64,
    rejected_range: u64,
    rejected_kink: u64,
    rejected_unconverged: u64,
    /// gradients of the nested passes compared to `ROUTE_RTOL` instead of exactly (`rem_euclid`)
    relaxed: u64,
    checked: u64,
    checked_nodes: u64,
    rejected_at: BTreeMap<String, u64>,
    discarded: u64,
    /// forward 0 against reverse NaN where tangents cancelled before an infinite partial
    cancelled: u64,
    ops: BTreeMap<String, u64>,
    /// Jacobian entries checked, and how many of them are nonzero
    jacobian_entries: (u64, u64),
    /// Hessian entries checked, and how many of them are nonzero
    hessian_entries: (u64, u64),
    tallies: Vec<Tally>,
    case: u64,
}

impl Stats {
    fn new() -> Self {
        Stats {
            tallies: (0..KINDS.len()).map(|_| Tally::default()).collect(),
            ..Stats::default()
        }
    }

    fn reject(&mut self, why: Reject) {
        match why {
            Reject::Range => self.rejected_range += 1,
            Reject::Unconverged => self.rejected_unconverged += 1,
            Reject::Kink(node) => {
                self.rejected_kink += 1;
                let key = op_key(node).unwrap_or_default();
                *self.rejected_at.entry(key).or_default() += 1;
            }
        }
    }

    /// Counts the nodes of a checked graph, per entry.
    fn cover(&mut self, e: &Expr) {
        self.checked += 1;
        self.checked_nodes += e.nodes.len() as u64;
        for &node in &e.nodes {
            if let Some(key) = op_key(node) {
                *self.ops.entry(key).or_default() += 1;
            }
        }
    }

    fn note(&mut self, kind: Kind, err: f64, what: &dyn Fn() -> String) {
        let case = self.case;
        let t = &mut self.tallies[kind as usize];
        t.count += 1;
        t.worst.note(err, || format!("case {case}: {}", what()));
    }

    fn fail(kind: Kind, what: &dyn Fn() -> String, detail: String) -> String {
        format!(
            "{} ({}): {}: {detail}",
            KINDS[kind as usize].0,
            KINDS[kind as usize].1,
            what()
        )
    }

    /// `got` and `want` bit for bit (NaN equal to NaN).
    fn bits(
        &mut self,
        kind: Kind,
        got: f64,
        want: f64,
        what: &dyn Fn() -> String,
    ) -> Result<(), String> {
        self.note(kind, if same_f64(got, want) { 0.0 } else { 1.0 }, what);
        if same_f64(got, want) {
            Ok(())
        } else {
            Err(Self::fail(
                kind,
                what,
                format!("{got:?} is not bit for bit the f64 value {want:?}"),
            ))
        }
    }

    /// `got == want` as numbers (+0 = −0, NaN = NaN).
    fn exact(
        &mut self,
        kind: Kind,
        got: f64,
        want: f64,
        what: &dyn Fn() -> String,
    ) -> Result<(), String> {
        self.note(kind, rel_err(got, want, f64::MIN_POSITIVE), what);
        if same_value(got, want) {
            Ok(())
        } else {
            Err(Self::fail(kind, what, format!("{got:e} ≠ {want:e}")))
        }
    }

    /// |got − want| ≤ rtol·max(|got|, |want|, floor).
    fn close(
        &mut self,
        kind: Kind,
        got: f64,
        want: f64,
        rtol: f64,
        floor: f64,
        what: &dyn Fn() -> String,
    ) -> Result<(), String> {
        let err = rel_err(got, want, floor.max(f64::MIN_POSITIVE));
        self.note(kind, err, what);
        if err <= rtol {
            Ok(())
        } else {
            Err(Self::fail(
                kind,
                what,
                format!("{got:e} vs {want:e}: relative error {err:e} > {rtol:e} (floor {floor:e})"),
            ))
        }
    }

    /// [`Stats::close`] for a forward-mode `fwd` against a reverse-mode `rev`, where forward 0
    /// against reverse NaN is the documented cancelled-tangent difference: counted, not failed.
    fn across(
        &mut self,
        kind: Kind,
        rev: f64,
        fwd: f64,
        rtol: f64,
        floor: f64,
        what: &dyn Fn() -> String,
    ) -> Result<(), String> {
        if fwd == 0.0 && rev.is_nan() {
            self.cancelled += 1;
            return Ok(());
        }
        self.close(kind, rev, fwd, rtol, floor, what)
    }
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

fn fixed<const N: usize>(e: &Expr, k: usize, x: &[f64]) -> (f64, Vec<f64>) {
    let x: [f64; N] = x.try_into().expect("N inputs");
    let (value, grad) = gradient_fixed(|p: &[Dual<f64, N>]| eval(e, p)[k], &x);
    (value, grad.to_vec())
}

/// `gradient_fixed` for the 2 to 6 inputs of the generator.
fn gradient_fixed_n(e: &Expr, k: usize, x: &[f64]) -> (f64, Vec<f64>) {
    match x.len() {
        2 => fixed::<2>(e, k, x),
        3 => fixed::<3>(e, k, x),
        4 => fixed::<4>(e, k, x),
        5 => fixed::<5>(e, k, x),
        6 => fixed::<6>(e, k, x),
        n => unreachable!("the generator draws 2 to 6 inputs, not {n}"),
    }
}

/// Σ|aᵢbᵢ|: the scale of the terms of the dot product of a and b.
fn abs_dot(a: impl Iterator<Item = f64>, b: &[f64]) -> f64 {
    a.zip(b).map(|(p, q)| (p * q).abs()).sum::<f64>()
}

/// max|aᵢ|, at least 1: the floor for comparing two ways of computing the entries of a.
fn max_scale<'a>(a: impl IntoIterator<Item = &'a f64>) -> f64 {
    a.into_iter().fold(1.0, |m, v| m.max(v.abs()))
}

/// The finite-difference oracle of a sample.
struct Oracle {
    /// Richardson differences of f: `jfd[i][j]` ≈ ∂yᵢ/∂xⱼ
    jacobian: Vec<Vec<f64>>,
    /// Richardson differences of the forward-mode gradient of output k: `hfd[i][j]` ≈ ∂²y_k/∂xᵢ∂xⱼ
    hessian: Vec<Vec<f64>>,
}

/// True if two difference tables agree to `rtol` relative (entries below `floor` absolute).
fn converged(a: &[Vec<f64>], b: &[Vec<f64>], rtol: f64, floor: f64) -> bool {
    a.iter()
        .flatten()
        .zip(b.iter().flatten())
        .all(|(&p, &q)| rel_err(p, q, floor) <= rtol)
}

/// Computes the oracle with the default step h, and again with h/2: where the two differ by more
/// than a tenth of the tolerance of the check they serve, the differences have not converged
/// (the function is not smooth enough at the scale h) and the sample is rejected.
fn oracle(smp: &Sample) -> Result<Oracle, Reject> {
    let (e, x, k) = (&smp.expr, &smp.x[..], smp.k);
    let half = step(x.iter().fold(0.0_f64, |m, v| m.max(v.abs()))) / 2.0;
    let f = |p: &[f64]| eval::<f64>(e, p);
    let jacobian = fd_jacobian(f, x);
    if !converged(
        &jacobian,
        &fd_jacobian_step(f, x, half),
        FD_RTOL / 10.0,
        FD_FLOOR,
    ) {
        return Err(Reject::Unconverged);
    }
    let grad = |p: &[f64]| gradient(|q| eval(e, q)[k], p).1;
    let gscale = max_scale(&grad(x));
    let hessian = fd_jacobian(grad, x);
    if !converged(
        &hessian,
        &fd_jacobian_step(grad, x, half),
        FD_HESS_RTOL / 10.0,
        gscale,
    ) {
        return Err(Reject::Unconverged);
    }
    Ok(Oracle { jacobian, hessian })
}

/// The first and second local partials of a node with respect to its operand slots (a node such
/// as `Mul(a, a)` has two slots on the same operand): `(first[p], second[p][q])`. They are the
/// rule table's partials, evaluated on `Dual<f64, 3>` with one tangent per slot, so that the
/// partials' own tangents are the second partials.
fn local_partials(node: Node, v: &[f64]) -> ([f64; 3], [[f64; 3]; 3]) {
    let var = |a: usize, slot: usize| Dual::<f64, 3>::variable(v[a], slot);
    let c = Dual::<f64, 3>::constant;
    let parts: Vec<Dual<f64, 3>> = match node {
        Node::Input(_) | Node::Const(_) => vec![],
        Node::Unary(op, a) => vec![op.eval_for(var(a, 0), rules::Need::DERIVATIVE).1],
        Node::Binary(op, a, b) => {
            let (_, da, db) = op.eval(var(a, 0), var(b, 1));
            vec![da, db]
        }
        Node::MulAdd(a, b, d) => {
            let (_, da, db, dd) = rules::mul_add(var(a, 0), var(b, 1), var(d, 2));
            vec![da, db, dd]
        }
        Node::OpConst(op, a, k) => vec![op.eval(var(a, 0), c(k)).1],
        Node::ConstOp(op, k, a) => vec![op.eval(c(k), var(a, 0)).2],
        Node::PowConst(a, k) => vec![Binary::Powf.eval(var(a, 0), c(k)).1],
    };
    let mut first = [0.0; 3];
    let mut second = [[0.0; 3]; 3];
    for (p, d) in parts.iter().enumerate() {
        first[p] = d.re;
        second[p] = d.eps;
    }
    (first, second)
}

/// True for the ops whose partials are analytic functions computed by formulas (their second
/// partials may come out of a cancellation inside the rule, as 1/h − x²/h³ for `hypot`); false
/// for polynomial ops and for ops whose partials are piecewise constant (`abs`, `max`, `floor`,
/// `%`, …).
fn analytic(node: Node) -> bool {
    match node {
        Node::Unary(op, _) => !matches!(
            op,
            Unary::Neg
                | Unary::Abs
                | Unary::Signum
                | Unary::Floor
                | Unary::Ceil
                | Unary::Round
                | Unary::Trunc
                | Unary::Fract
                | Unary::ToDegrees
                | Unary::ToRadians
        ),
        Node::Binary(op, _, _) => matches!(
            op,
            Binary::Div | Binary::Powf | Binary::Log | Binary::Atan2 | Binary::Hypot
        ),
        Node::ConstOp(op, _, _) => op == Binary::Div,
        Node::PowConst(..) => true,
        _ => false,
    }
}

/// Path magnitudes: the scales against which two AD routes to the same derivative are compared.
///
/// An AD derivative ∂yᵢ/∂xⱼ is a sum over the paths from xⱼ to yᵢ of products of local partials, so
/// two routes to it differ by rounding of order ε·(depth)·Pᵢⱼ, where Pᵢⱼ is that sum with every
/// local partial replaced by its absolute value (the Jacobian of the graph propagated with
/// |partials|), however much the products cancel. Likewise for the Hessian of output k: Qₖ is the
/// Hessian propagated with |first| and |second| local partials, for a node φ(a, b):
/// Q = Σ |φₚ| Qₚ + Σ (|φₚq| + E) Pₚ Pqᵀ, where E = Σ|φₚ|/R bounds the terms from which a rule
/// computes its second partials (Cauchy's estimate: φ′ analytic on the disc of radius R = the
/// node's [`radius`] has second derivatives ≲ |φ′|/R; a second partial such as 1/h − x²/h³ of
/// `hypot` is small only by cancellation). Returns P (m × n) and Qₖ (n × n).
fn path_magnitudes(e: &Expr, x: &[f64], k: usize) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let v = eval_all::<f64>(e, x);
    let n = x.len();
    let mut p: Vec<Vec<f64>> = Vec::with_capacity(e.nodes.len());
    let mut q: Vec<Vec<Vec<f64>>> = Vec::with_capacity(e.nodes.len());
    for &node in &e.nodes {
        let (ops, count) = operands(node);
        let (first, second) = local_partials(node, &v);
        let terms = if analytic(node) {
            first.iter().map(|d| d.abs()).sum::<f64>() / radius(node, &v)
        } else {
            0.0
        };
        let mut pi = vec![0.0; n];
        let mut qi = vec![vec![0.0; n]; n];
        if let Node::Input(i) = node {
            pi[i] = 1.0;
        }
        for s in 0..count {
            let (d, a) = (first[s].abs(), ops[s]);
            for i in 0..n {
                pi[i] += d * p[a][i];
                for j in 0..n {
                    qi[i][j] += d * q[a][i][j];
                }
            }
            for t in 0..count {
                let (dd, b) = (second[s][t].abs() + terms, ops[t]);
                for i in 0..n {
                    for j in 0..n {
                        qi[i][j] += dd * p[a][i] * p[b][j];
                    }
                }
            }
        }
        p.push(pi);
        q.push(qi);
    }
    let first = e.outputs.iter().map(|&o| p[o].clone()).collect();
    (first, q[e.outputs[k]].clone())
}

/// Runs every driver on the sample and makes every check; the first failed check is returned.
fn check_sample(smp: &Sample, fd: &Oracle, st: &mut Stats) -> Result<(), String> {
    let e = &smp.expr;
    let (x, r, s, v, k) = (&smp.x[..], &smp.r[..], &smp.s[..], &smp.v[..], smp.k);
    let (n, m) = (x.len(), e.outputs.len());
    // the plain f64 evaluation, the finite-difference oracle, the path magnitudes
    let y = eval::<f64>(e, x);
    let fk = y[k];
    let jfd = &fd.jacobian;
    let (paths, hpaths) = path_magnitudes(e, x, k);
    let pk = &paths[k];
    let f_k = |p: &[Dual<f64, 8>]| eval(e, p)[k];

    // ----- forward mode -----
    let (val, g) = gradient_fixed_n(e, k, x);
    let gscale = max_scale(&g);
    st.bits(Kind::ValueForward, val, fk, &|| "gradient_fixed".into())?;
    for j in 0..n {
        let what = || format!("∂y{k}/∂x{j}");
        st.close(Kind::FdGradient, g[j], jfd[k][j], FD_RTOL, FD_FLOOR, &what)?;
    }
    let (val8, g8) = gradient(f_k, x);
    let (val1, g1) = gradient_with(|p| eval(e, p)[k], x, Chunk::<1>);
    let (val2, g2) = gradient_with(|p| eval(e, p)[k], x, Chunk::<2>);
    let (val3, g3) = gradient_with(|p| eval(e, p)[k], x, Chunk::<3>);
    for (name, value, grad) in [
        ("gradient", val8, &g8),
        ("gradient_with 1", val1, &g1),
        ("gradient_with 2", val2, &g2),
        ("gradient_with 3", val3, &g3),
    ] {
        st.bits(Kind::ValueForward, value, fk, &|| name.into())?;
        for j in 0..n {
            let what = || format!("{name} ∂y{k}/∂x{j}");
            st.exact(Kind::ForwardRoutes, grad[j], g[j], &what)?;
        }
    }
    let (yj, jac) = jacobian(|p| eval(e, p), x);
    let (yj2, jac2) = jacobian_with(|p| eval(e, p), x, Chunk::<2>);
    st.jacobian_entries.0 += jac.len() as u64;
    st.jacobian_entries.1 += jac.iter().filter(|&&d| d != 0.0).count() as u64;
    for i in 0..m {
        st.bits(Kind::ValueForward, yj[i], y[i], &|| {
            format!("jacobian y{i}")
        })?;
        st.bits(Kind::ValueForward, yj2[i], y[i], &|| {
            format!("jacobian_with 2 y{i}")
        })?;
        for j in 0..n {
            let what = || format!("∂y{i}/∂x{j}");
            st.close(
                Kind::FdJacobian,
                jac[(i, j)],
                jfd[i][j],
                FD_RTOL,
                FD_FLOOR,
                &what,
            )?;
            let what = || format!("jacobian_with 2 ∂y{i}/∂x{j}");
            st.exact(Kind::ForwardRoutes, jac2[(i, j)], jac[(i, j)], &what)?;
        }
    }
    for j in 0..n {
        let what = || format!("jacobian row {k} vs gradient_fixed, x{j}");
        st.exact(Kind::ForwardRoutes, jac[(k, j)], g[j], &what)?;
    }
    let (yr, jr) = jvp(|p| eval(e, p), x, r);
    for i in 0..m {
        st.bits(Kind::ValueForward, yr[i], y[i], &|| format!("jvp y{i}"))?;
        let want: f64 = (0..n).map(|j| jac[(i, j)] * r[j]).sum();
        let floor = abs_dot(paths[i].iter().copied(), r);
        let what = || format!("(J·r){i}");
        st.close(Kind::Jvp, jr[i], want, ROUTE_RTOL, floor, &what)?;
    }

    // ----- reverse mode -----
    let (rval, rg) = reverse::gradient(|p| eval(e, p)[k], x);
    st.bits(Kind::ValueReverse, rval, fk, &|| "reverse::gradient".into())?;
    for j in 0..n {
        let what = || format!("∂y{k}/∂x{j}");
        st.across(Kind::ReverseGradient, rg[j], g[j], ROUTE_RTOL, pk[j], &what)?;
    }
    let (ry, rjac) = reverse::jacobian(|p| eval(e, p), x);
    for i in 0..m {
        st.bits(Kind::ValueReverse, ry[i], y[i], &|| {
            format!("reverse::jacobian y{i}")
        })?;
        for j in 0..n {
            let (got, want) = (rjac[(i, j)], jac[(i, j)]);
            let what = || format!("∂y{i}/∂x{j}");
            let floor = paths[i][j];
            st.across(Kind::ReverseJacobian, got, want, ROUTE_RTOL, floor, &what)?;
        }
    }
    let (vy, jts) = reverse::vjp(|p| eval(e, p), x, s);
    for i in 0..m {
        st.bits(Kind::ValueReverse, vy[i], y[i], &|| {
            format!("reverse::vjp y{i}")
        })?;
    }
    for j in 0..n {
        let want: f64 = (0..m).map(|i| jac[(i, j)] * s[i]).sum();
        let floor = abs_dot((0..m).map(|i| paths[i][j]), s);
        let what = || format!("(Jᵀ·s){j}");
        st.across(Kind::Vjp, jts[j], want, ROUTE_RTOL, floor, &what)?;
    }
    let lhs: f64 = s.iter().zip(&jr).map(|(a, b)| a * b).sum();
    let rhs: f64 = jts.iter().zip(r).map(|(a, b)| a * b).sum();
    let mut floor = 0.0;
    for i in 0..m {
        for j in 0..n {
            floor += (s[i] * paths[i][j] * r[j]).abs();
        }
    }
    let what = || "sᵀ(J r) vs (Jᵀ s)ᵀ r".to_string();
    st.close(Kind::Dot, lhs, rhs, ROUTE_RTOL, floor, &what)?;

    // ----- forward over forward -----
    let (hval, hg, h) = hessian(|p| eval(e, p)[k], x);
    let (hval2, hg2, h2) = hessian_with(|p| eval(e, p)[k], x, Chunk::<2>);
    let (pval, pg, hv) = hvp(|p| eval(e, p)[k], x, v);
    let (pval2, pg2, hv2) = hvp_with(|p| eval(e, p)[k], x, v, Chunk::<2>);
    for (name, value) in [
        ("hessian", hval),
        ("hessian_with 2", hval2),
        ("hvp", pval),
        ("hvp_with 2", pval2),
    ] {
        st.bits(Kind::ValueFof, value, fk, &|| name.into())?;
    }
    // The real parts of the nested passes are the first-order passes of the same chunk width
    // (`hessian_with` documents the gradient as equal to `gradient_with`'s), so exactly equal.
    //
    // Known defect (reported, not fixed here): with `rem_euclid` in the graph they are not. In a
    // nested pass the rule `Binary::RemEuclid` computes its value on the inner dual numbers by
    // `div_rem_euclid`, i.e. `(a % b) + |b|`, whose inner tangent (a′ − trunc(a/b)·b′) + sgn(b)·b′
    // rounds differently from the first-order a′ − q·b′: a few ulps. For such graphs the gradients
    // are compared as two routes to the same derivative instead (`ROUTE_RTOL`, path floor).
    let rem_euclid = e
        .nodes
        .iter()
        .any(|node| matches!(node, Node::Binary(Binary::RemEuclid, ..)));
    for j in 0..n {
        for (name, got, want) in [
            ("hessian", hg[j], g8[j]),
            ("hessian_with 2", hg2[j], g2[j]),
            ("hvp", pg[j], g8[j]),
            ("hvp_with 2", pg2[j], g2[j]),
        ] {
            let what = || format!("{name} ∂y{k}/∂x{j}");
            if rem_euclid {
                st.relaxed += 1;
                st.close(Kind::FofGradient, got, want, ROUTE_RTOL, pk[j], &what)?;
            } else {
                st.exact(Kind::FofGradient, got, want, &what)?;
            }
        }
    }
    st.hessian_entries.0 += h.len() as u64;
    st.hessian_entries.1 += h.iter().filter(|&&d| d != 0.0).count() as u64;
    let hfd = &fd.hessian;
    for i in 0..n {
        for j in 0..n {
            let what = || format!("∂²y{k}/∂x{i}∂x{j}");
            st.close(
                Kind::FdHessian,
                h[(i, j)],
                hfd[i][j],
                FD_HESS_RTOL,
                gscale,
                &what,
            )?;
            let what = || format!("hessian_with 2 ∂²y{k}/∂x{i}∂x{j}");
            st.close(
                Kind::FofRoutes,
                h2[(i, j)],
                h[(i, j)],
                SECOND_RTOL,
                hpaths[i][j],
                &what,
            )?;
        }
    }
    let mut hv_floor = vec![0.0; n];
    for i in 0..n {
        let want: f64 = (0..n).map(|j| h[(i, j)] * v[j]).sum();
        hv_floor[i] = abs_dot(hpaths[i].iter().copied(), v);
        let what = || format!("(H·v){i}");
        st.close(Kind::FofHvp, hv[i], want, SECOND_RTOL, hv_floor[i], &what)?;
        let what = || format!("hvp_with 2 (H·v){i}");
        st.close(
            Kind::FofRoutes,
            hv2[i],
            hv[i],
            SECOND_RTOL,
            hv_floor[i],
            &what,
        )?;
    }

    // ----- forward over reverse -----
    let (qval, qg, qh) = reverse::hessian(|p| eval(e, p)[k], x);
    let (qval3, qg3, qh3) = reverse::hessian_with(|p| eval(e, p)[k], x, Chunk::<3>);
    let (wval, wg, whv) = reverse::hvp(|p| eval(e, p)[k], x, v);
    for (name, value) in [
        ("reverse::hessian", qval),
        ("reverse::hessian_with 3", qval3),
        ("reverse::hvp", wval),
    ] {
        st.bits(Kind::ValueFor, value, fk, &|| name.into())?;
    }
    for j in 0..n {
        for (name, got) in [
            ("reverse::hessian", qg[j]),
            ("reverse::hessian_with 3", qg3[j]),
            ("reverse::hvp", wg[j]),
        ] {
            let what = || format!("{name} ∂y{k}/∂x{j}");
            st.close(Kind::ForGradient, got, rg[j], ROUTE_RTOL, pk[j], &what)?;
        }
    }
    for i in 0..n {
        for j in 0..n {
            let what = || format!("reverse::hessian ∂²y{k}/∂x{i}∂x{j}");
            st.across(
                Kind::ForHessian,
                qh[(i, j)],
                h[(i, j)],
                SECOND_RTOL,
                hpaths[i][j],
                &what,
            )?;
            let what = || format!("reverse::hessian_with 3 ∂²y{k}/∂x{i}∂x{j}");
            st.across(
                Kind::ForHessian,
                qh3[(i, j)],
                h[(i, j)],
                SECOND_RTOL,
                hpaths[i][j],
                &what,
            )?;
        }
        let what = || format!("(H·v){i}");
        st.across(Kind::ForHvp, whv[i], hv[i], SECOND_RTOL, hv_floor[i], &what)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The driver
// ---------------------------------------------------------------------------------------------

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| s.trim().parse().ok())
}

/// The generator of case `case`: independent of every other case, so that one case can be rerun
/// alone (`NILPOTENT_FUZZ_FIRST=case NILPOTENT_FUZZ_CASES=1`).
fn case_rng(base: u64, case: u64) -> Rng {
    let mut rng = Rng::new(base ^ case.wrapping_mul(0xd1b5_4a32_d192_ed03));
    rng.next_u64();
    rng
}

fn op_key(node: Node) -> Option<String> {
    Some(match node {
        Node::Input(_) | Node::Const(_) => return None,
        Node::Unary(Unary::Powi(n), _) => format!("powi({n})"),
        Node::Unary(op, _) => op.name().to_string(),
        Node::Binary(op, _, _) => format!("{op:?}"),
        Node::MulAdd(..) => "mul_add".to_string(),
        Node::OpConst(op, _, _) => format!("x {} c", symbol(op)),
        Node::ConstOp(op, _, _) => format!("c {} x", symbol(op)),
        Node::PowConst(_, c) => format!("pow(x, {c:?})"),
    })
}

#[test]
fn differential_fuzz() {
    let cases = env_u64("NILPOTENT_FUZZ_CASES").unwrap_or(DEFAULT_CASES);
    let first = env_u64("NILPOTENT_FUZZ_FIRST").unwrap_or(0);
    let keep_going = std::env::var("NILPOTENT_FUZZ_KEEP_GOING").is_ok();
    let base = Rng::for_test("fuzz").next_u64();
    let mut st = Stats::new();
    let mut failures = Vec::new();
    for case in first..first + cases {
        st.case = case;
        let mut rng = case_rng(base, case);
        let smp = generate(&mut rng, &mut st.discarded);
        st.generated += 1;
        // the rejection rule, the oracle and the checks (a panic in a driver prints the sample)
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| -> Result<(), String> {
            let fd = match smooth_near(&smp.expr, &smp.x).and_then(|()| oracle(&smp)) {
                Ok(fd) => fd,
                Err(why) => {
                    st.reject(why);
                    return Ok(());
                }
            };
            st.cover(&smp.expr);
            check_sample(&smp, &fd, &mut st)
        }));
        let header = format!(
            "case {case} (base seed {base:#x}; rerun with NILPOTENT_FUZZ_FIRST={case} \
             NILPOTENT_FUZZ_CASES=1)"
        );
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(msg)) => {
                let report = format!("{header}\n{msg}\n{smp}");
                if keep_going {
                    eprintln!("FAILED {report}\n");
                    failures.push(report);
                } else {
                    panic!("{report}");
                }
            }
            Err(payload) => {
                eprintln!("{header}: a driver panicked on\n{smp}");
                panic::resume_unwind(payload);
            }
        }
    }
    print_summary(&st);
    assert!(failures.is_empty(), "{} failing cases", failures.len());
}

fn print_summary(st: &Stats) {
    println!(
        "fuzz: {} graphs generated, {} rejected ({} near a kink or singularity, {} out of range, \
         {} finite differences not converged), {} checked ({:.1} nodes on average); {} candidate \
         nodes discarded while generating; {} cancelled-tangent differences; {} nested-pass \
         gradient entries compared to 1e-12 instead of exactly (rem_euclid)",
        st.generated,
        st.rejected_range + st.rejected_kink + st.rejected_unconverged,
        st.rejected_kink,
        st.rejected_range,
        st.rejected_unconverged,
        st.checked,
        st.checked_nodes as f64 / st.checked.max(1) as f64,
        st.discarded,
        st.cancelled,
        st.relaxed,
    );
    let mut per_mode: BTreeMap<&str, u64> = BTreeMap::new();
    for (t, (_, mode, _)) in st.tallies.iter().zip(KINDS) {
        *per_mode.entry(mode).or_default() += t.count;
    }
    println!("checks per mode: {per_mode:?}");
    println!(
        "nonzero derivatives: {} of {} Jacobian entries, {} of {} Hessian entries",
        st.jacobian_entries.1, st.jacobian_entries.0, st.hessian_entries.1, st.hessian_entries.0
    );
    println!(
        "{:<52} {:>10} {:>22} {:>11}  worst at",
        "check", "count", "tolerance", "worst"
    );
    for (t, (name, _, tol)) in st.tallies.iter().zip(KINDS) {
        println!(
            "{name:<52} {:>10} {tol:>22} {:>11.3e}  {}",
            t.count, t.worst.err, t.worst.at
        );
    }
    let mut rej: Vec<_> = st.rejected_at.iter().collect();
    rej.sort_by(|a, b| b.1.cmp(a.1));
    println!("rejections by node: {:?}", &rej[..rej.len().min(12)]);
    println!("op coverage (nodes in checked graphs): {:?}", st.ops);
}
