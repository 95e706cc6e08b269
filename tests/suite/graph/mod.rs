//! Graph mode (`nilpotent::graph`): a function recorded once as a graph, its gradient, Jacobian and
//! Hessian built as graphs, and all of them evaluated at points **other than the recording point**,
//! against independent oracles:
//!
//! * the `f64` function itself (values bit for bit, [`same_f64`]);
//! * forward mode (`nilpotent::gradient`, `hessian`, `jacobian`, `jvp`) and reverse mode
//!   (`reverse::gradient`, `hessian`, `jacobian`), freshly evaluated at the point;
//! * Richardson-extrapolated central differences (`tests/suite/common`) of the function (gradients) or
//!   of the forward-mode gradient (Hessians).
//!
//! Where a point takes another branch than the recording point, evaluation must return
//! [`GraphError::Guard`], never a number; then a graph recorded at that point must match.
//!
//! The submodules, by subject: the rule table at random points and at the points where the
//! conventions apply ([`rules`]); random expression graphs ([`random`]); one test per kind of guard
//! ([`guard`]); sharing, folding and the IEEE-exact identities ([`record`]); DOT and the listing
//! ([`display`]); Jacobians, Hessian symmetry and structure, dual and `f32` evaluation
//! ([`derive`]); errors and panics ([`errors`]); nalgebra code ([`linalg`]); a node-count report
//! ([`node_counts`]). This file holds what several of them use. Allocation-free evaluation is
//! `tests/alloc/graph.rs`.
//!
//! The backends: emitted Rust in [`emit`], the JIT in `jit` (feature `jit`), what splits them in
//! [`backends`]; the graphs they share are in [`cases`]. Loops, parameters and checkpointing are
//! [`loops`], [`params`] and [`checkpoint`].
//!
//! Inputs come from the seeded generator of `tests/suite/common` (seed overridable with
//! `NILPOTENT_TEST_SEED`); every failure message names the function and the point.
//! `cargo test --test suite graph:: -- --nocapture` prints the worst error seen against each oracle.

mod backends;
pub(crate) mod cases;
mod checkpoint;
mod emit;
#[cfg(feature = "jit")]
mod jit;
mod loops;
mod params;
mod superinstructions;

use crate::common;
use crate::common::domains::{binary_domain, unary_domain};
use crate::common::functions::{lecture, rosenbrock};

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use common::{
    Rng, Worst, apply_binary, apply_mul_add, apply_unary, close, f64_binary, fd_gradient,
    fd_jacobian, rel_err, same_f32, same_f64, same_value, step, ulps,
};
use nalgebra::DMatrix;
use nilpotent::graph::{Graph, GraphError, Sym};
use nilpotent::reverse;
use nilpotent::rules::{Binary, Unary};
use nilpotent::{Dual, gradient, hessian, hvp, jacobian, jvp};
use num_traits::{Euclid, Float};

// ---------------------------------------------------------------------------------------------
// Tolerances
// ---------------------------------------------------------------------------------------------

/// Graph gradients against forward and reverse mode at the same point, in units in the last place
/// (equal numbers, +0 and −0 included, are 0 ulps apart).
///
/// The gradient graph evaluates the same rule-table formulas on `f64` as the other modes; for one
/// entry of the table they are the same operations in the same order (the identities the graph
/// applies, x·1 and the like, are exact), so the results are expected bit for bit. A few ulps leave
/// room for a reassociated sum of adjoints, nothing more: a wrong partial is off by O(1).
const GRAD_ULPS: u64 = 4;

/// Graph Hessians against forward mode (nested duals) and reverse mode (forward over reverse),
/// relative to max(|a|, |b|, max |H|, 1).
///
/// The three build the second derivatives from the same rules but in different orders (nested
/// dual products, a reverse sweep over the gradient graph, the tape's averaged triangles), each
/// entry a sum of a few products of rule partials: rounding differences of a few ε relative to
/// the largest term, which the scale bounds; 1e-12 is ≈ 4500 ε and a wrong term is O(1).
const HESS_RTOL: f64 = 1e-12;

/// Gradients against finite differences of the function, and Hessians against finite differences
/// of the forward-mode gradient, relative to max(|a|, |b|, |differenced quantity|, 1) (the
/// tolerance of `tests/suite/base/rules.rs` and `tests/suite/forward/nested_rules.rs`).
///
/// Two Richardson levels: truncation error O(h⁶) with h = 1e-3·max(1, |x|) and every sample at
/// least 2h from a jump and ≥ 0.05 from a singularity; rounding error ≈ 10·ε·|g|/h ≈ 2e-12·|g|.
/// A wrong rule is an O(1) error.
const FD_RTOL: f64 = 1e-8;

/// `f32` graph gradients against forward mode's `f32` gradient, relative to max(|∇f|, 1): each
/// entry a sum of ≤ 3 products of rule partials, rounded in `f32` and summed in another order by
/// each mode, so a few ε_f32 = 1.2e-7 of the largest entry; 1e-6 ≈ 8 ε_f32, a wrong partial is
/// O(1).
const F32_RTOL: f64 = 1e-6;

/// Random recordings per entry of the rule table (each evaluated at the recording point,
/// [`NEAR`] points in the same branch and [`FAR`] points anywhere in the domain).
const CASES: usize = 16;
const NEAR: usize = 2;
const FAR: usize = 2;

// ---------------------------------------------------------------------------------------------
// Test functions generic over the number type
// ---------------------------------------------------------------------------------------------

/// A function ℝⁿ → ℝ generic over the number type, so that one value (say, an entry of the rule
/// table) runs on `f64`, `Sym`, dual numbers and tape variables alike (a closure cannot be
/// generic).
trait Func {
    fn call<T: Float + Euclid + nilpotent::Elementary>(&self, x: &[T]) -> T;
    /// The `f64` oracle: [`Func::call`] on `f64`, where that is the crate's value (see [`Case`]).
    fn value(&self, x: &[f64]) -> f64 {
        self.call(x)
    }
}

/// A named generic function as a [`Func`].
macro_rules! func {
    ($name:ident, |$x:ident| $body:expr) => {
        #[derive(Clone, Copy, Debug)]
        struct $name;
        impl Func for $name {
            fn call<T: Float + Euclid + nilpotent::Elementary>(&self, $x: &[T]) -> T {
                $body
            }
        }
    };
}

/// The constant `c` in any `Float` type.
fn k<T: Float>(c: f64) -> T {
    T::from(c).unwrap()
}

/// `f`'s value and gradient by forward mode and by reverse mode at `p`; asserts that both values
/// are the `f64` function's bit for bit.
fn first_order<F: Func>(f: &F, p: &[f64]) -> (f64, Vec<f64>, Vec<f64>) {
    let value = f.value(p);
    let (fv, fg) = gradient(|x| f.call(x), p);
    let (rv, rg) = reverse::gradient(|x| f.call(x), p);
    assert!(same_f64(fv, value) && same_f64(rv, value));
    (value, fg, rg)
}

/// `f`'s Hessian by forward mode (nested duals) and by reverse mode (forward over reverse).
fn second_order<F: Func>(f: &F, p: &[f64]) -> (DMatrix<f64>, DMatrix<f64>) {
    let (_, _, fh) = hessian(|x| f.call(x), p);
    let (_, _, rh) = reverse::hessian(|x| f.call(x), p);
    (fh, rh)
}

/// The Hessian by finite differences of the forward-mode gradient (an oracle independent of the
/// graph), as rows.
fn fd_hessian<F: Func>(f: &F, p: &[f64]) -> Vec<Vec<f64>> {
    fd_jacobian(|x| gradient(|v| f.call(v), x).1, p)
}

fn max_abs(v: impl IntoIterator<Item = f64>) -> f64 {
    v.into_iter().fold(0.0, |m, a| m.max(a.abs()))
}

/// The worst errors seen against each oracle, printed at the end of a test (`--nocapture`).
#[derive(Default)]
struct Tally {
    grad_fwd_ulps: u64,
    grad_rev_ulps: u64,
    grad_fd: Worst,
    hess_fwd: Worst,
    hess_rev: Worst,
    hess_fd: Worst,
    /// evaluations at points other than the recording point that returned numbers
    moved: usize,
    /// evaluations that returned a guard error (and were checked by recording again)
    guarded: usize,
}

impl Tally {
    fn report(&self, test: &str) {
        println!(
            "{test}: {} evaluations away from the recording point, {} guard errors re-recorded",
            self.moved, self.guarded
        );
        println!(
            "  gradient vs forward {} ulps, vs reverse {} ulps (tolerance {GRAD_ULPS}); vs finite \
             differences {:.1e} at {} (tolerance {FD_RTOL:e})",
            self.grad_fwd_ulps, self.grad_rev_ulps, self.grad_fd.err, self.grad_fd.at
        );
        println!(
            "  Hessian vs forward {:.1e} at {}, vs reverse {:.1e} at {} (tolerance {HESS_RTOL:e}); \
             vs finite differences {:.1e} at {} (tolerance {FD_RTOL:e})",
            self.hess_fwd.err,
            self.hess_fwd.at,
            self.hess_rev.err,
            self.hess_rev.at,
            self.hess_fd.err,
            self.hess_fd.at
        );
    }
}

/// Checks the outputs `[f, ∇f]` of a gradient graph evaluated at `p` against the `f64` function,
/// forward and reverse mode, and finite differences.
fn check_gradient_output<F: Func>(
    f: &F,
    p: &[f64],
    out: &[f64],
    what: &dyn Fn() -> String,
    t: &mut Tally,
) {
    let n = p.len();
    assert_eq!(out.len(), 1 + n);
    let (value, fg, rg) = first_order(f, p);
    assert!(
        same_f64(out[0], value),
        "{}: graph value {:e}, f64 gives {value:e}",
        what(),
        out[0]
    );
    for j in 0..n {
        let g = out[1 + j];
        for (oracle, want, worst) in [
            ("forward", fg[j], &mut t.grad_fwd_ulps),
            ("reverse", rg[j], &mut t.grad_rev_ulps),
        ] {
            let d = if same_value(g, want) {
                0
            } else {
                ulps(g, want)
            };
            *worst = (*worst).max(d);
            assert!(
                d <= GRAD_ULPS,
                "{}: ∂f/∂x{j} = {g:e} from the graph, {want:e} from {oracle} mode ({d} ulps)",
                what()
            );
        }
    }
    let fdg = fd_gradient(|x| f.call(x), p);
    for j in 0..n {
        let scale = value.abs().max(1.0);
        t.grad_fd.note(rel_err(out[1 + j], fdg[j], scale), || {
            format!("{} ∂{j}", what())
        });
        assert!(
            close(out[1 + j], fdg[j], FD_RTOL, scale),
            "{}: ∂f/∂x{j} = {:e} from the graph, finite differences give {:e}",
            what(),
            out[1 + j],
            fdg[j]
        );
    }
}

/// Checks the outputs `[f, ∇f, H]` of a Hessian graph evaluated at `p`: exact symmetry, and H
/// against forward and reverse mode and finite differences of the forward gradient.
fn check_hessian_output<F: Func>(
    f: &F,
    p: &[f64],
    out: &[f64],
    what: &dyn Fn() -> String,
    t: &mut Tally,
) {
    let n = p.len();
    assert_eq!(out.len(), 1 + n + n * n);
    let value = f.value(p);
    assert!(same_f64(out[0], value), "{}: Hessian graph value", what());
    let h = |i: usize, j: usize| out[1 + n + i * n + j];
    let (fh, rh) = second_order(f, p);
    let scale = max_abs(fh.iter().copied()).max(1.0);
    let fdh = fd_hessian(f, p);
    let gscale = max_abs(out[1..=n].iter().copied()).max(1.0);
    for i in 0..n {
        for j in 0..n {
            assert_eq!(
                h(i, j).to_bits(),
                h(j, i).to_bits(),
                "{}: H is not exactly symmetric at ({i}, {j})",
                what()
            );
            for (oracle, want, worst) in [
                ("forward", fh[(i, j)], &mut t.hess_fwd),
                ("reverse", rh[(i, j)], &mut t.hess_rev),
            ] {
                let ok = same_value(h(i, j), want) || close(h(i, j), want, HESS_RTOL, scale);
                worst.note(rel_err(h(i, j), want, scale), || {
                    format!("{} H[{i}][{j}]", what())
                });
                assert!(
                    ok,
                    "{}: H[{i}][{j}] = {:e} from the graph, {want:e} from {oracle} mode",
                    what(),
                    h(i, j)
                );
            }
            t.hess_fd.note(rel_err(h(i, j), fdh[i][j], gscale), || {
                format!("{} H[{i}][{j}]", what())
            });
            assert!(
                close(h(i, j), fdh[i][j], FD_RTOL, gscale),
                "{}: H[{i}][{j}] = {:e} from the graph, finite differences of the gradient give \
                 {:e}",
                what(),
                h(i, j),
                fdh[i][j]
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shared by several of the submodules below
// ---------------------------------------------------------------------------------------------

/// The exponents for which `Unary::Powi(n)` is walked (besides the `Powi(3)` of `Unary::ALL`).
const POWI_EXPONENTS: [i32; 9] = [-5, -2, -1, 0, 1, 2, 4, 7, 12];

fn unary_entries() -> Vec<Unary> {
    let mut v = Unary::ALL.to_vec();
    for n in POWI_EXPONENTS {
        if !v.contains(&Unary::Powi(n)) {
            v.push(Unary::Powi(n));
        }
    }
    v
}

/// One entry of the rule table.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Entry {
    Unary(Unary),
    Binary(Binary),
    MulAdd,
}

/// Graph gradients of composite functions (random expressions, Jacobians, nalgebra code) against
/// the tape and forward mode at the same point, relative to max(|a|, |b|, max |∇f|, 1).
///
/// Both compute every partial with the same rule, but sum the contributions to an adjoint in
/// different orders and groupings: the graph shares repeated subexpressions (one node where the
/// tape has two), and forward mode sums along the other direction. An expression of ≤ 40
/// operations on values ≤ 20 in magnitude has adjoints that are sums of tens of products, each
/// rounded: a few hundred ε relative to the largest gradient entry at most. 1e-12 ≈ 4500 ε; a
/// wrong or missing contribution is O(1).
const EXPR_RTOL: f64 = 1e-12;

/// A transform applied to an operand to keep it in a rule's domain, and its value and slope
/// tame: every step multiplies derivatives by a few units at most, so that derivatives of all
/// orders stay moderate and finite differences (whose error grows with the seventh derivative)
/// stay accurate.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Pre {
    /// the operand itself
    Id,
    /// a² + ½ ≥ ½ (logarithms, roots, reciprocals, divisors, bases)
    Pos,
    /// 0.8·sin a ∈ [−0.8, 0.8] (asin, acos, atanh, tan, exponents)
    Unit,
    /// atan a ∈ (−π/2, π/2) (exponentials and products)
    Bnd,
    /// a² + 1.25 ≥ 1.25 (acosh)
    Above1,
    /// a² + 2 ≥ 2 (the base of `log`)
    Base,
    /// a/50 (to_degrees, whose slope 57 would otherwise compound)
    Tiny,
}

impl Pre {
    fn apply<T: Float>(self, a: T) -> T {
        match self {
            Pre::Id => a,
            Pre::Pos => a * a + k(0.5),
            Pre::Unit => a.sin() * k(0.8),
            Pre::Bnd => a.atan(),
            Pre::Above1 => a * a + k(1.25),
            Pre::Base => a * a + k(2.0),
            Pre::Tiny => a / k(50.0),
        }
    }
}

/// An operand: an input, an earlier step's value, or a constant (transformed by a [`Pre`]).
#[derive(Clone, Copy, Debug)]
enum Src {
    Value(usize),
    Const(f64),
}

#[derive(Clone, Copy, Debug)]
struct Operand {
    pre: Pre,
    src: Src,
}

#[derive(Clone, Copy, Debug)]
enum Step {
    Unary(Unary, Operand),
    Binary(Binary, Operand, Operand),
    MulAdd(Operand, Operand, Operand),
}

fn operands(s: &Step) -> Vec<Operand> {
    match *s {
        Step::Unary(_, a) => vec![a],
        Step::Binary(_, a, b) => vec![a, b],
        Step::MulAdd(a, b, c) => vec![a, b, c],
    }
}

/// The outputs of the function, gradient and Hessian graphs of the generic function `$f` at `p`,
/// by the `f64` function and forward mode (`gradient`, `hessian`): `[f], [f, ∇f], [f, ∇f, H]`.
macro_rules! oracle {
    ($f:expr) => {
        |p: &[f64]| -> [Vec<f64>; 3] {
            let v = $f(p);
            let (_, g) = gradient(|x| $f(x), p);
            let (_, _, h) = hessian(|x| $f(x), p);
            let mut gv = vec![v];
            gv.extend(&g);
            let mut hv = gv.clone();
            for i in 0..p.len() {
                for j in 0..p.len() {
                    hv.push(h[(i, j)]);
                }
            }
            [vec![v], gv, hv]
        }
    };
}

/// The function, gradient and Hessian graphs of `f` recorded at `x0`.
fn three(x0: &[f64], f: impl FnOnce(&[Sym]) -> Sym) -> [Graph; 3] {
    let g = Graph::record(x0, f);
    let (grad, hess) = (g.gradient(), g.hessian());
    [g, grad, hess]
}

/// Checks a guard error of `g` at `p`: the error names a guard whose question, with the answer
/// recorded and the one found, appears in the error's `Display`; the listing of `g` has the
/// same guard line. Returns the recorded question.
fn expect_guard(g: &Graph, p: &[f64], what: &str) -> String {
    match g.eval(p) {
        Err(
            ref err @ GraphError::Guard {
                index,
                ref recorded,
                ref found,
            },
        ) => {
            assert_ne!(recorded, found, "{what}");
            assert!(index < g.num_guards(), "{what}: guard g{index}");
            let msg = err.to_string();
            assert!(
                msg.contains(&format!("guard g{index} fails"))
                    && msg.contains(recorded.as_str())
                    && msg.contains(found.as_str()),
                "{what}: the message does not name the guard: {msg}"
            );
            // the error speaks the user's words (`x[0] > 0.0 at src/f.rs:3:8 was true`), the
            // listing has the guard in node numbers, under the same name
            let line = format!("g{index}: ");
            assert!(
                g.to_string().lines().any(|l| l.starts_with(&line)),
                "{what}: no line `{line}` in the listing\n{g}"
            );
            assert!(
                !recorded.contains(&format!("v{}", g.num_inputs())),
                "{what}: an internal node number in {recorded}"
            );
            recorded.clone()
        }
        other => panic!("{what}: expected a guard error, got {other:?}\n{g}"),
    }
}

/// Evaluates the three graphs at each point: where `ok[level]` numbers equal to `oracle`'s
/// (values bit for bit, gradients within [`GRAD_ULPS`], Hessians within [`HESS_RTOL`]), else a
/// guard error. Returns the recorded questions of the errors seen.
fn sweep(
    name: &str,
    graphs: &[Graph; 3],
    oracle: impl Fn(&[f64]) -> [Vec<f64>; 3],
    points: &[(&[f64], [bool; 3])],
) -> Vec<String> {
    let mut questions = Vec::new();
    for &(p, ok) in points {
        let want = oracle(p);
        for level in 0..3 {
            let what = format!("{name}, graph of order {level}, at {p:?}");
            if !ok[level] {
                questions.push(expect_guard(&graphs[level], p, &what));
                continue;
            }
            let out = graphs[level]
                .eval(p)
                .unwrap_or_else(|e| panic!("{what}: {e}\n{}", graphs[level]));
            assert_eq!(out.len(), want[level].len());
            let n = p.len();
            for (i, (&a, &b)) in out.iter().zip(&want[level]).enumerate() {
                let good = if i == 0 {
                    same_f64(a, b)
                } else if i <= n {
                    same_value(a, b) || ulps(a, b) <= GRAD_ULPS
                } else {
                    same_value(a, b) || close(a, b, HESS_RTOL, 1.0)
                };
                assert!(good, "{what}: output {i} = {a:e}, expected {b:e}");
            }
        }
    }
    questions
}

/// A logistic-regression loss over fixed data: Σ ln(1 + exp(−yᵢ ⟨w, aᵢ⟩)).
fn logistic_loss<T: Float>(w: &[T]) -> T {
    let n = w.len();
    (0..8).fold(T::zero(), |s, i| {
        let y = if i % 3 == 0 { -1.0 } else { 1.0 };
        let dot = (0..n).fold(T::zero(), |d, j| {
            d + w[j] * k(((i * 7 + j * 3) % 11) as f64 / 5.0 - 1.0)
        });
        s + (T::one() + (dot * k(-y)).exp()).ln()
    })
}

/// The operations of the graph of `f` recorded at `x0`.
fn ops(x0: &[f64], f: impl FnOnce(&[Sym]) -> Sym) -> usize {
    Graph::record(x0, f).len()
}

/// The message of a panic payload.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => p
            .downcast::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

thread_local! {
    /// Set while this thread runs a closure expected to panic (its message is checked, not
    /// printed).
    static EXPECTING_PANIC: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, expects it to panic, and returns the panic's message. The panic is not printed: the
/// process's panic hook is wrapped once so that it stays silent on a thread inside `panics` and
/// prints every other panic (a failing test's) as before.
fn panics<R>(f: impl FnOnce() -> R) -> String {
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !EXPECTING_PANIC.with(Cell::get) {
                default(info);
            }
        }));
    });
    EXPECTING_PANIC.with(|e| e.set(true));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    EXPECTING_PANIC.with(|e| e.set(false));
    match outcome {
        Ok(_) => panic!("expected a panic"),
        Err(payload) => panic_message(payload),
    }
}

/// det of the 3×3 matrix with rows (x₀, x₁, x₂), (x₃, x₄, x₅), (x₆, x₇, x₈), through nalgebra.
fn det3<T: nalgebra::RealField + Copy>(x: &[T]) -> T {
    nalgebra::Matrix3::from_row_slice(x).determinant()
}

/// "1 input", "2 inputs": the listing's header counts in words.
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

mod derive;
mod display;
mod errors;
mod guard;
mod linalg;
mod node_counts;
mod random;
mod record;
mod rules;
