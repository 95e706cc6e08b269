//! Graph mode (`nilpotent::graph`): a function recorded once as a graph, its gradient, Jacobian and
//! Hessian built as graphs, and all of them evaluated at points **other than the recording point**,
//! against independent oracles:
//!
//! * the `f64` function itself (values bit for bit, [`same_f64`]);
//! * forward mode (`nilpotent::gradient`, `hessian`, `jacobian`, `jvp`) and reverse mode
//!   (`reverse::gradient`, `hessian`, `jacobian`), freshly evaluated at the point;
//! * Richardson-extrapolated central differences (`tests/common`) of the function (gradients) or
//!   of the forward-mode gradient (Hessians).
//!
//! Where a point takes another branch than the recording point, evaluation must return
//! [`GraphError::Guard`], never a number; then a graph recorded at that point must match.
//!
//! Sections: the rule table at random points (1) and at the points where the conventions apply;
//! random expression graphs (2); one test per kind of guard (3); sharing, folding and the
//! IEEE-exact identities (4); DOT and the listing (5); Jacobians, Hessian symmetry and structure,
//! dual and `f32` evaluation (6); errors and panics (7); nalgebra code (9); a node-count report
//! (10). Allocation-free evaluation (8) is `tests/graph_alloc.rs`.
//!
//! Inputs come from the seeded generator of `tests/common` (seed overridable with
//! `NILPOTENT_TEST_SEED`); every failure message names the function and the point.
//! `cargo test --test graph -- --nocapture` prints the worst error seen against each oracle.

mod common;

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
/// tolerance of `tests/rule_table.rs` and `tests/nested_rule_table.rs`).
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
// 1. The rule table
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

/// Which arguments of a binary entry are inputs of the graph (the others are constants recorded
/// into it: the paths of `x.powf(2.5)`, `2.0.powf(y)`, `x % 3.0`, …).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Form {
    Inputs,
    ConstFirst(f64),
    ConstSecond(f64),
}

/// A table entry as a function of its graph inputs.
#[derive(Clone, Copy, Debug)]
struct Case {
    entry: Entry,
    form: Form,
}

impl Case {
    /// All arguments of the entry, for the inputs `v`.
    fn args(&self, v: &[f64]) -> Vec<f64> {
        match self.form {
            Form::Inputs => v.to_vec(),
            Form::ConstFirst(c) => vec![c, v[0]],
            Form::ConstSecond(c) => vec![v[0], c],
        }
    }

    /// The graph inputs among all arguments `a`.
    fn inputs(&self, a: &[f64]) -> Vec<f64> {
        match self.form {
            Form::Inputs => a.to_vec(),
            Form::ConstFirst(_) => vec![a[1]],
            Form::ConstSecond(_) => vec![a[0]],
        }
    }

    /// True if the arguments `a` are in the entry's domain, at least 2h from a jump or kink.
    fn ok(&self, a: &[f64]) -> bool {
        match self.entry {
            Entry::Unary(op) => unary_ok(op, a[0]),
            Entry::Binary(op) => binary_ok(op, a[0], a[1]),
            Entry::MulAdd => a.iter().all(|v| v.abs() <= 10.0),
        }
    }

    /// What decides the branches of the entry's rule: the smooth piece and the signs of the
    /// arguments. Equal signatures mean equal answers to every guard the rule can record.
    fn branch(&self, a: &[f64]) -> Vec<f64> {
        let mut s: Vec<f64> = a.iter().map(|v| v.signum()).collect();
        match self.entry {
            Entry::Unary(op) => s.extend(unary_domain(op).piece.map(|p| p(a[0]))),
            Entry::Binary(op) => s.extend(binary_domain(op).piece.map(|p| p(a[0], a[1]))),
            Entry::MulAdd => {}
        }
        s
    }
}

impl Func for Case {
    fn call<T: Float + Euclid + nilpotent::Elementary>(&self, v: &[T]) -> T {
        match (self.entry, self.form) {
            (Entry::Unary(op), _) => apply_unary(op, v[0]),
            (Entry::Binary(op), Form::Inputs) => apply_binary(op, v[0], v[1]),
            (Entry::Binary(op), Form::ConstFirst(c)) => apply_binary(op, k(c), v[0]),
            (Entry::Binary(op), Form::ConstSecond(c)) => apply_binary(op, v[0], k(c)),
            (Entry::MulAdd, _) => apply_mul_add(v[0], v[1], v[2]),
        }
    }
    /// `max`/`min` by the bits ([`f64_binary`]): `f64::max` leaves the tie of ±0 unspecified.
    fn value(&self, v: &[f64]) -> f64 {
        match (self.entry, self.form) {
            (Entry::Binary(op), Form::Inputs) => f64_binary(op, v[0], v[1]),
            (Entry::Binary(op), Form::ConstFirst(c)) => f64_binary(op, c, v[0]),
            (Entry::Binary(op), Form::ConstSecond(c)) => f64_binary(op, v[0], c),
            _ => self.call(v),
        }
    }
}

// The domains of `tests/rule_table.rs` (copied: test binaries do not share code but through
// `tests/common`), with predicates for points made by moving a sample.

/// A unary entry's inputs: a sampler and, for piecewise entries, a monotone "piece" function that
/// is constant exactly where the entry is smooth.
struct Domain1 {
    sample: fn(&mut Rng) -> f64,
    piece: Option<fn(f64) -> f64>,
}

/// The input domain of each unary entry. No `_` arm: a new entry must state its domain.
fn unary_domain(op: Unary) -> Domain1 {
    let smooth = |sample: fn(&mut Rng) -> f64| Domain1 {
        sample,
        piece: None,
    };
    let piecewise = |sample: fn(&mut Rng) -> f64, piece: fn(f64) -> f64| Domain1 {
        sample,
        piece: Some(piece),
    };
    match op {
        Unary::Neg | Unary::Sin | Unary::Cos | Unary::Atan | Unary::Asinh => {
            smooth(|r| r.uniform(-10.0, 10.0))
        }
        Unary::ToDegrees | Unary::ToRadians => smooth(|r| r.uniform(-10.0, 10.0)),
        Unary::Exp | Unary::Exp2 | Unary::ExpM1 => smooth(|r| r.uniform(-5.0, 5.0)),
        Unary::Sinh | Unary::Cosh | Unary::Tanh => smooth(|r| r.uniform(-5.0, 5.0)),
        Unary::Erf | Unary::Erfc => smooth(|r| r.uniform(-5.0, 5.0)),
        Unary::Recip => smooth(|r| r.signed(0.2, 10.0)),
        Unary::Cbrt => smooth(|r| r.signed(0.1, 10.0)),
        Unary::Powi(_) => smooth(|r| r.signed(0.2, 3.0)),
        Unary::Sqrt | Unary::Ln | Unary::Log2 | Unary::Log10 => smooth(|r| r.uniform(0.1, 10.0)),
        Unary::Ln1p => smooth(|r| r.uniform(-0.9, 10.0)),
        Unary::Tan => smooth(|r| r.uniform(-1.4, 1.4)),
        Unary::Asin | Unary::Acos | Unary::Atanh => smooth(|r| r.uniform(-0.9, 0.9)),
        Unary::Acosh => smooth(|r| r.uniform(1.1, 10.0)),
        Unary::Abs | Unary::Signum => piecewise(|r| r.signed(0.05, 10.0), f64::signum),
        Unary::Floor => piecewise(|r| r.uniform(-10.0, 10.0), f64::floor),
        Unary::Ceil => piecewise(|r| r.uniform(-10.0, 10.0), f64::ceil),
        Unary::Round => piecewise(|r| r.uniform(-10.0, 10.0), f64::round),
        Unary::Trunc => piecewise(|r| r.uniform(-10.0, 10.0), f64::trunc),
        Unary::Fract => piecewise(|r| r.uniform(-10.0, 10.0), f64::trunc),
    }
}

/// True if `x` is in the range [`unary_domain`] samples from and 2h from a jump or kink.
fn unary_ok(op: Unary, x: f64) -> bool {
    let a = x.abs();
    let in_range = match op {
        Unary::Neg | Unary::Sin | Unary::Cos | Unary::Atan | Unary::Asinh => a <= 10.0,
        Unary::ToDegrees | Unary::ToRadians => a <= 10.0,
        Unary::Exp | Unary::Exp2 | Unary::ExpM1 => a <= 5.0,
        Unary::Sinh | Unary::Cosh | Unary::Tanh | Unary::Erf | Unary::Erfc => a <= 5.0,
        Unary::Recip => (0.2..=10.0).contains(&a),
        Unary::Cbrt => (0.1..=10.0).contains(&a),
        Unary::Powi(_) => (0.2..=3.0).contains(&a),
        Unary::Sqrt | Unary::Ln | Unary::Log2 | Unary::Log10 => (0.1..=10.0).contains(&x),
        Unary::Ln1p => (-0.9..=10.0).contains(&x),
        Unary::Tan => a <= 1.4,
        Unary::Asin | Unary::Acos | Unary::Atanh => a <= 0.9,
        Unary::Acosh => (1.1..=10.0).contains(&x),
        Unary::Abs | Unary::Signum => (0.05..=10.0).contains(&a),
        Unary::Floor | Unary::Ceil | Unary::Round | Unary::Trunc | Unary::Fract => a <= 10.0,
    };
    let h = 2.0 * step(x);
    in_range
        && match unary_domain(op).piece {
            Some(p) => p(x - h) == p(x) && p(x + h) == p(x),
            None => true,
        }
}

/// A binary entry's inputs: a sampler of (x, y) and, for piecewise entries, a piece function
/// monotone in each argument.
struct Domain2 {
    sample: fn(&mut Rng) -> (f64, f64),
    piece: Option<fn(f64, f64) -> f64>,
}

/// The input domain of each binary entry. No `_` arm.
fn binary_domain(op: Binary) -> Domain2 {
    let smooth = |sample: fn(&mut Rng) -> (f64, f64)| Domain2 {
        sample,
        piece: None,
    };
    let piecewise = |sample: fn(&mut Rng) -> (f64, f64), piece: fn(f64, f64) -> f64| Domain2 {
        sample,
        piece: Some(piece),
    };
    match op {
        Binary::Add | Binary::Sub | Binary::Mul => {
            smooth(|r| (r.uniform(-10.0, 10.0), r.uniform(-10.0, 10.0)))
        }
        Binary::Div => smooth(|r| (r.uniform(-10.0, 10.0), r.signed(0.2, 10.0))),
        Binary::Rem => piecewise(
            |r| (r.uniform(-10.0, 10.0), r.signed(0.5, 5.0)),
            |x, y| (x / y).trunc(),
        ),
        Binary::RemEuclid => piecewise(
            |r| (r.uniform(-10.0, 10.0), r.signed(0.5, 5.0)),
            |x, y| x.div_euclid(y),
        ),
        Binary::Powf => smooth(|r| (r.uniform(0.2, 5.0), r.uniform(-3.0, 3.0))),
        Binary::Log => smooth(|r| (r.uniform(0.2, 10.0), r.signed(0.2, 2.0).exp())),
        Binary::Atan2 => smooth(|r| {
            let (rad, t) = (r.uniform(0.2, 5.0), r.uniform(-3.0, 3.0));
            (rad * t.sin(), rad * t.cos())
        }),
        Binary::Hypot => smooth(|r| {
            loop {
                let (x, y) = (r.uniform(-10.0, 10.0), r.uniform(-10.0, 10.0));
                if x.hypot(y) >= 0.2 {
                    return (x, y);
                }
            }
        }),
        Binary::Max | Binary::Min | Binary::AbsSub => piecewise(
            |r| (r.uniform(-10.0, 10.0), r.uniform(-10.0, 10.0)),
            |x, y| (x - y).signum(),
        ),
    }
}

/// True if (x, y) is in the range [`binary_domain`] samples from, with the ±2h box inside one
/// smooth piece.
fn binary_ok(op: Binary, x: f64, y: f64) -> bool {
    let box10 = x.abs() <= 10.0 && y.abs() <= 10.0;
    let in_range = match op {
        Binary::Add | Binary::Sub | Binary::Mul | Binary::Max | Binary::Min | Binary::AbsSub => {
            box10
        }
        Binary::Div => box10 && y.abs() >= 0.2,
        Binary::Rem | Binary::RemEuclid => box10 && (0.5..=5.0).contains(&y.abs()),
        Binary::Powf => (0.2..=5.0).contains(&x) && y.abs() <= 3.0,
        Binary::Log => (0.2..=10.0).contains(&x) && y > 0.0 && (0.2..=2.0).contains(&y.ln().abs()),
        Binary::Atan2 => (0.2..=5.0).contains(&x.hypot(y)) && x.atan2(y).abs() <= 3.0,
        Binary::Hypot => box10 && x.hypot(y) >= 0.2,
    };
    if !in_range {
        return false;
    }
    match binary_domain(op).piece {
        Some(p) => {
            let h = 2.0 * step(x.abs().max(y.abs()));
            let c = p(x, y);
            [(-h, -h), (-h, h), (h, -h), (h, h)]
                .iter()
                .all(|&(dx, dy)| p(x + dx, y + dy) == c)
        }
        None => true,
    }
}

/// Draws all arguments of `e` from its domain.
fn sample_args(e: Entry, rng: &mut Rng) -> Vec<f64> {
    match e {
        Entry::Unary(op) => loop {
            let x = (unary_domain(op).sample)(rng);
            if unary_ok(op, x) {
                return vec![x];
            }
        },
        Entry::Binary(op) => loop {
            let (x, y) = (binary_domain(op).sample)(rng);
            if binary_ok(op, x, y) {
                return vec![x, y];
            }
        },
        Entry::MulAdd => rng.vec(3, -10.0, 10.0),
    }
}

/// Every case of the table: each unary entry (`Powi` with several exponents), each binary entry
/// with both arguments as inputs and with either one a recorded constant, and `mul_add`.
fn table_cases(rng: &mut Rng) -> Vec<Case> {
    let mut cases: Vec<Case> = unary_entries()
        .into_iter()
        .map(|op| Case {
            entry: Entry::Unary(op),
            form: Form::Inputs,
        })
        .collect();
    for op in Binary::ALL {
        let a = sample_args(Entry::Binary(op), rng);
        for form in [
            Form::Inputs,
            Form::ConstFirst(a[0]),
            Form::ConstSecond(a[1]),
        ] {
            cases.push(Case {
                entry: Entry::Binary(op),
                form,
            });
        }
    }
    cases.push(Case {
        entry: Entry::MulAdd,
        form: Form::Inputs,
    });
    cases
}

/// Draws graph inputs for `case` (the constant arguments fixed): in the same branch as `like`
/// (a point near it, moved by up to 0.05 per coordinate) or anywhere in the domain.
fn draw_inputs(case: &Case, like: Option<&[f64]>, rng: &mut Rng) -> Vec<f64> {
    for _ in 0..10_000 {
        let v = match like {
            Some(p) => p.iter().map(|&x| x + rng.uniform(-0.05, 0.05)).collect(),
            None => case.inputs(&sample_args(case.entry, rng)),
        };
        let a = case.args(&v);
        if case.ok(&a) && like.is_none_or(|p| case.branch(&case.args(p)) == case.branch(&a)) {
            return v;
        }
    }
    panic!("{case:?}: no point found near {like:?}")
}

/// The rule table through graph gradients and Hessians: every entry recorded at random in-domain
/// points, each graph evaluated at the recording point, at points in the same branch (which must
/// give numbers) and at points anywhere in the domain (numbers, or a guard error where the graph
/// has guards: then recorded again there); every result against the `f64` function, forward and
/// reverse mode and finite differences.
#[test]
fn rule_table_gradients_and_hessians_at_other_points() {
    let mut rng = Rng::for_test("graph rule table");
    let mut t = Tally::default();
    let mut guarded_cases = BTreeSet::new();
    for case in table_cases(&mut rng) {
        for _ in 0..CASES {
            let x0 = draw_inputs(&case, None, &mut rng);
            let g = Graph::record(&x0, |x| case.call(x));
            let grad = g.gradient();
            let hess = g.hessian();
            assert_eq!(
                g.num_guards(),
                0,
                "{case:?}: branch-free code, but the function graph has guards:\n{g}"
            );
            if hess.num_guards() > 0 {
                guarded_cases.insert(format!("{case:?}"));
            }
            let mut points = vec![(x0.clone(), true)];
            for _ in 0..NEAR {
                points.push((draw_inputs(&case, Some(&x0), &mut rng), true));
            }
            for _ in 0..FAR {
                points.push((draw_inputs(&case, None, &mut rng), false));
            }
            for (p, same_branch) in points {
                let what = || format!("{case:?} recorded at {x0:?}, evaluated at {p:?}");
                let value = g.eval(&p).expect("the function graph has no guards");
                assert!(same_f64(value[0], case.call(&p)), "{}: value", what());
                for (graph, is_hessian) in [(&grad, false), (&hess, true)] {
                    let out = match graph.eval(&p) {
                        Ok(out) => {
                            if p != x0 {
                                t.moved += 1;
                            }
                            out
                        }
                        Err(GraphError::Guard { .. }) => {
                            assert!(
                                !same_branch,
                                "{}: a guard fails in the branch of the recording point",
                                what()
                            );
                            t.guarded += 1;
                            let again = Graph::record(&p, |x| case.call(x));
                            let again = if is_hessian {
                                again.hessian()
                            } else {
                                again.gradient()
                            };
                            again
                                .eval(&p)
                                .expect("a graph evaluates at its recording point")
                        }
                        Err(e) => panic!("{}: {e}", what()),
                    };
                    if is_hessian {
                        check_hessian_output(&case, &p, &out, &what, &mut t);
                    } else {
                        check_gradient_output(&case, &p, &out, &what, &mut t);
                    }
                }
            }
        }
    }
    t.report("rule table");
    println!("  cases whose Hessian graph has guards: {guarded_cases:?}");
}

// ---------------------------------------------------------------------------------------------
// 1b. The rule table at special points
// ---------------------------------------------------------------------------------------------

/// The special arguments of every unary entry (in and out of its domain: NaN where the entry is
/// NaN must be NaN in every mode).
const UNARY_SPECIAL: [f64; 10] = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 2.5, -1.5];

/// Special points of the binary entries: zeros, ±1, ties, the origin, exponents 0 and 1, integer
/// quotients (the smooth and the kink points of `tests/nested_rule_table.rs`, merged).
const BINARY_SPECIAL: [[f64; 2]; 22] = [
    [0.0, 0.0],
    [-0.0, 0.0],
    [0.0, -0.0],
    [1.0, 1.0],
    [-1.0, -1.0],
    [0.0, 1.0],
    [1.0, 0.0],
    [-1.0, 1.0],
    [1.0, -1.0],
    [2.0, 2.0],
    [2.5, 2.5],
    [0.0, 2.5],
    [2.0, 1.0],
    [0.5, 0.5],
    [0.5, 1.0],
    [0.5, 0.0],
    [2.0, 0.0],
    [3.0, -1.5],
    [-1.0, 2.0],
    [1.0, 2.0],
    [0.0, 0.5],
    [1.0, 0.5],
];

const MUL_ADD_SPECIAL: [[f64; 3]; 6] = [
    [0.0, 0.0, 0.0],
    [1.0, 1.0, 1.0],
    [-1.0, 1.0, 0.0],
    [0.0, 1.0, -1.0],
    [1.0, -1.0, 1.0],
    [0.0, 0.0, 1.0],
];

/// The one special point where the graph's Hessian differs from every other mode, with the value
/// the graph gives: `x.log(y)` at (0, ½), ∂²/∂y², where f = ln 0 / ln ½ = +∞.
///
/// Not a defect of the graph: its second derivative is a reverse sweep over the gradient graph,
/// and reverse accumulation distributes an infinite adjoint over the paths before summing them.
/// Here ∂f/∂y = −ln x / (y·ln y·ln y) has the adjoint −∞ on its denominator, which reaches y
/// through `y × ln y` (−∞ after the product) and through `ln y` (+∞): ∞ − ∞ = NaN. Forward mode,
/// and the tape's Hessian (forward over reverse: forward at the second level), sum the finite
/// partials of the denominator first and multiply by the infinite one once: +∞. The same thing
/// at first order is the documented difference of the two modes: `reverse::gradient` of
/// `sqrt(x² − x)` at x = 1 is NaN where `gradient` gives +∞ (see
/// [`graph_is_reverse_accumulation_for_infinite_adjoints`]).
fn reverse_second_level_exception(name: &str, p: &[f64], i: usize, j: usize) -> Option<f64> {
    (name == "Log" && p == [0.0, 0.5] && (i, j) == (1, 1)).then_some(f64::NAN)
}

/// Evaluates `f`'s gradient and Hessian graphs, recorded at `r`, at the special point `p`, and
/// compares them with forward and reverse mode at `p` as numbers ([`same_value`]: +0 = −0,
/// NaN = NaN). Returns false if guards fail in both (the graphs do not apply at `p`); pushes
/// every disagreement into `bad`.
fn compare_at_special<F: Func>(
    f: &F,
    name: &str,
    r: &[f64],
    p: &[f64],
    bad: &mut Vec<String>,
    order_dependent: &mut usize,
) -> bool {
    let n = p.len();
    let g = Graph::record(r, |x| f.call(x));
    // each graph evaluates, or fails a guard (only away from its recording point)
    let eval = |graph: Graph| match graph.eval(p) {
        Ok(out) => Some(out),
        Err(GraphError::Guard { .. }) => {
            assert_ne!(
                r, p,
                "{name}: a graph fails a guard at its own recording point"
            );
            None
        }
        Err(e) => panic!("{name}: {e}"),
    };
    let (grad, hess) = (eval(g.gradient()), eval(g.hessian()));
    let value = f.value(p);
    for out in grad.iter().chain(&hess) {
        assert!(
            same_f64(out[0], value),
            "{name} recorded at {r:?}, at {p:?}: graph value {:e}, f64 {value:e}",
            out[0]
        );
    }
    if let (Some(grad), Some(hess)) = (&grad, &hess) {
        assert!(
            (1..=n).all(|j| same_f64(hess[j], grad[j])),
            "{name}: the Hessian graph's gradient differs from the gradient graph's"
        );
    }
    let (_, fg, rg) = first_order(f, p);
    let (fh, rh) = second_order(f, p);
    let at = |s: String| format!("{name} recorded at {r:?}, at {p:?}: {s}");
    // Hessians: as numbers, or within rounding (HESS_RTOL) of the largest finite entry
    let scale = max_abs(fh.iter().copied().filter(|v| v.is_finite())).max(1.0);
    let same_h = |a: f64, b: f64| {
        same_value(a, b) || (a.is_finite() && b.is_finite() && close(a, b, HESS_RTOL, scale))
    };
    for j in 0..n {
        if let Some(grad) = &grad {
            let gj = grad[1 + j];
            if !same_value(gj, fg[j]) || !same_value(gj, rg[j]) {
                bad.push(at(format!(
                    "∂f/∂x{j} = {gj:e} from the graph, {:e} forward, {:e} reverse",
                    fg[j], rg[j]
                )));
            }
        }
        let Some(hess) = &hess else { continue };
        for i in 0..n {
            let hij = hess[1 + n + i * n + j];
            assert_eq!(
                hij.to_bits(),
                hess[1 + n + j * n + i].to_bits(),
                "{name}: symmetry"
            );
            if i > j {
                continue;
            }
            // the graph's H[i][j], i ≤ j, is d/dxⱼ of ∂f/∂xᵢ; the same order from forward mode
            // (hvp along eᵢ, entry j) and from forward over reverse (hvp along eⱼ, entry i)
            let mut e = vec![0.0; n];
            e[i] = 1.0;
            let fo = hvp(|x| f.call(x), p, &e).2[j];
            let mut e = vec![0.0; n];
            e[j] = 1.0;
            let ro = reverse::hvp(|x| f.call(x), p, &e).2[i];
            let what = at(format!("H[{i}][{j}]"));
            if let Some(pinned) = reverse_second_level_exception(name, p, i, j) {
                // see there: the other modes agree on another number, the graph gives this one
                assert!(same_f64(hij, pinned), "{what}: {hij:e}, pinned {pinned:e}");
                assert!(
                    same_h(fo, ro) && !same_h(hij, fo),
                    "{what}: the exception is stale"
                );
                continue;
            }
            if !same_h(hij, fo) || !same_h(hij, ro) {
                bad.push(format!(
                    "{what} = {hij:e} from the graph; in its order {fo:e} from forward mode \
                     (hvp), {ro:e} from forward over reverse; drivers {:e}, {:e}",
                    fh[(i, j)],
                    rh[(i, j)]
                ));
            } else if !same_h(hij, fh[(i, j)]) || !same_h(hij, rh[(i, j)]) {
                // the Hessian drivers read the other triangle (d/dxᵢ of ∂f/∂xⱼ), which differs
                // where f is not twice differentiable (README: powf at x = 0, y ≤ 1)
                *order_dependent += 1;
            }
        }
    }
    grad.is_some() || hess.is_some()
}

/// Every entry of the table at its special points: the graph, recorded at the point itself and
/// recorded at an ordinary point and evaluated there, gives the numbers of forward and reverse
/// mode (where those two agree), for the gradient and the Hessian.
#[test]
fn rule_table_at_special_points_matches_other_modes() {
    let mut bad = Vec::new();
    let mut evaluated = 0;
    let mut order_dependent = 0;
    for op in unary_entries() {
        let case = Case {
            entry: Entry::Unary(op),
            form: Form::Inputs,
        };
        for x in UNARY_SPECIAL {
            for r in [x, 0.75, -0.75, 1.25] {
                evaluated += compare_at_special(
                    &case,
                    &format!("{op:?}"),
                    &[r],
                    &[x],
                    &mut bad,
                    &mut order_dependent,
                ) as usize;
            }
        }
    }
    for op in Binary::ALL {
        let case = Case {
            entry: Entry::Binary(op),
            form: Form::Inputs,
        };
        for p in BINARY_SPECIAL {
            for r in [p, [0.75, 1.25], [1.25, 0.75], [-0.75, 1.25]] {
                evaluated += compare_at_special(
                    &case,
                    &format!("{op:?}"),
                    &r,
                    &p,
                    &mut bad,
                    &mut order_dependent,
                ) as usize;
            }
        }
    }
    let case = Case {
        entry: Entry::MulAdd,
        form: Form::Inputs,
    };
    for p in MUL_ADD_SPECIAL {
        for r in [p, [0.5, -1.5, 2.0]] {
            evaluated +=
                compare_at_special(&case, "mul_add", &r, &p, &mut bad, &mut order_dependent)
                    as usize;
        }
    }
    println!(
        "special points: {evaluated} graph evaluations compared ({order_dependent} Hessian \
         entries where the drivers' triangle differs from the graph's order)"
    );
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// 1c. The conventions, function by function
// ---------------------------------------------------------------------------------------------

func!(SqrtTimesY, |x| x[0].sqrt() * x[1]);
func!(SqrtPlusY, |x| x[0].sqrt() + x[1]);
func!(FloorSqrt, |x| x[0].sqrt().floor() + x[1]);
func!(SqrtTimesZero, |x| x[0].sqrt() * T::zero() + x[1]);
func!(MulAddSqrt, |x| x[0].sqrt().mul_add(x[1], x[2]));
func!(MulAddConstZero, |x| x[0].sqrt().mul_add(T::zero(), x[1]));
func!(AbsOf, |x| x[0].abs());
func!(AbsSquared, |x| x[0].abs() * x[0].abs());
func!(MaxOf, |x| x[0].max(x[1]));
func!(MinOf, |x| x[0].min(x[1]));
func!(MaxScaled, |x| (x[0] * k(2.0)).max(x[1] * k(3.0)));
func!(MaxSelf, |x| x[0].max(x[0]) * x[1]);
func!(MaxNan, |x| x[0].max(T::nan()) + x[1].min(T::nan()));
func!(PowfConstZero, |x| x[0].powf(T::zero()));
func!(PowfConstOne, |x| x[0].powf(T::one()));
func!(PowfXY, |x| x[0].powf(x[1]));
func!(PowiZero, |x| x[0].powi(0) * x[1]);
func!(PowiMinusOne, |x| x[0].powi(-1));
func!(Atan2Of, |x| x[0].atan2(x[1]));
func!(HypotOf, |x| x[0].hypot(x[1]));
func!(RemOf, |x| x[0] % x[1]);
func!(FractOf, |x| x[0].fract() * x[1]);

/// Checks `f`'s graph gradient at `p`, recorded at `p` and at each point of `others` (where no
/// guard fails), against the convention's `want` (as numbers) and against forward and reverse
/// mode ([`compare_at_special`], also for the Hessian).
fn check_convention<F: Func>(f: &F, name: &str, p: &[f64], others: &[&[f64]], want: &[f64]) {
    let mut bad = Vec::new();
    let mut order = 0;
    let mut applied = 0;
    for r in std::iter::once(p).chain(others.iter().copied()) {
        applied += compare_at_special(f, name, r, p, &mut bad, &mut order) as usize;
        if let Ok(out) = Graph::record(r, |x| f.call(x)).gradient().eval(p) {
            for (j, (&g, &w)) in out[1..].iter().zip(want).enumerate() {
                assert!(
                    same_value(g, w),
                    "{name} recorded at {r:?}, at {p:?}: ∂f/∂x{j} = {g:e}, the convention gives {w:e}"
                );
            }
        }
    }
    assert!(applied >= 1);
    assert!(bad.is_empty(), "{name} at {p:?}: {bad:#?}");
}

/// The conventions of README "Conventions" hold in graph mode, with the numbers of the other
/// modes: zero lanes and zero partials (`⊙` nodes, not guards), `abs` at ±0, `max`/`min` ties and
/// NaN, `powf`/`powi` exponents 0 and 1, `atan2`/`hypot` at the origin, `%` and `fract` at jumps.
/// Each is evaluated by a graph recorded at the point and by graphs recorded elsewhere.
#[test]
fn conventions_hold_in_graph_mode() {
    let inf = f64::INFINITY;
    check_convention(
        &SqrtTimesY,
        "sqrt(x)·y",
        &[0.0, 0.0],
        &[&[1.0, 2.0]],
        &[0.0, 0.0],
    );
    check_convention(
        &SqrtTimesY,
        "sqrt(x)·y",
        &[0.0, 1.0],
        &[&[1.0, 2.0]],
        &[inf, 0.0],
    );
    check_convention(
        &SqrtPlusY,
        "sqrt(x) + y",
        &[0.0, 1.0],
        &[&[4.0, 2.0]],
        &[inf, 1.0],
    );
    check_convention(
        &FloorSqrt,
        "floor(sqrt(x)) + y",
        &[0.0, 1.0],
        &[&[2.5, 1.0]],
        &[0.0, 1.0],
    );
    check_convention(
        &SqrtTimesZero,
        "sqrt(x)·0 + y",
        &[0.0, 1.0],
        &[&[2.0, 1.0]],
        &[0.0, 1.0],
    );
    check_convention(
        &MulAddSqrt,
        "mul_add(sqrt x, y, z)",
        &[0.0, 0.0, 1.0],
        &[&[4.0, 2.0, 1.0]],
        &[0.0, 0.0, 1.0],
    );
    check_convention(
        &MulAddConstZero,
        "mul_add(sqrt x, 0, y)",
        &[0.0, 1.0],
        &[&[4.0, 1.0]],
        &[0.0, 1.0],
    );
    check_convention(&AbsOf, "abs", &[0.0], &[&[2.0]], &[1.0]);
    check_convention(&AbsOf, "abs", &[-0.0], &[&[-2.0]], &[-1.0]);
    check_convention(&AbsSquared, "abs²", &[0.0], &[&[2.0]], &[0.0]);
    check_convention(&AbsSquared, "abs²", &[-0.0], &[&[-2.0]], &[0.0]);
    for t in [0.0, 1.0, -2.5] {
        let others: [&[f64]; 2] = [&[1.0, 2.0], &[2.0, 1.0]];
        check_convention(&MaxOf, "max", &[t, t], &others, &[0.5, 0.5]);
        check_convention(&MinOf, "min", &[t, t], &others, &[0.5, 0.5]);
    }
    check_convention(
        &MaxScaled,
        "max(2x, 3y)",
        &[3.0, 2.0],
        &[&[0.0, 1.0]],
        &[1.0, 1.5],
    );
    check_convention(
        &MaxSelf,
        "max(x, x)·y",
        &[2.0, 3.0],
        &[&[-1.0, 1.0]],
        &[3.0, 2.0],
    );
    check_convention(
        &MaxNan,
        "max(x, NaN) + min(y, NaN)",
        &[2.0, 3.0],
        &[],
        &[1.0, 1.0],
    );
    check_convention(&PowfConstZero, "powf(x, 0)", &[0.0], &[&[2.0]], &[0.0]);
    check_convention(&PowfConstOne, "powf(x, 1)", &[0.0], &[&[2.0]], &[1.0]);
    check_convention(
        &PowfXY,
        "powf(x, y)",
        &[0.0, 0.0],
        &[&[2.0, 0.0]],
        &[0.0, -inf],
    );
    check_convention(
        &PowfXY,
        "powf(x, y)",
        &[2.0, 0.0],
        &[&[3.0, 0.0]],
        &[0.0, 2f64.ln()],
    );
    check_convention(
        &PowfXY,
        "powf(x, y)",
        &[0.0, 2.5],
        &[&[0.0, 1.0]],
        &[0.0, 0.0],
    );
    check_convention(
        &PowfXY,
        "powf(x, y)",
        &[0.0, 1.0],
        &[&[0.0, 3.0]],
        &[1.0, 0.0],
    );
    check_convention(
        &PowfXY,
        "powf(x, y)",
        &[1.0, 0.0],
        &[&[2.0, 0.0]],
        &[0.0, 0.0],
    );
    check_convention(
        &PowiZero,
        "powi(x, 0)·y",
        &[0.0, 2.0],
        &[&[3.0, 1.0]],
        &[0.0, 1.0],
    );
    check_convention(&PowiMinusOne, "powi(x, −1)", &[0.0], &[&[2.0]], &[-inf]);
    for p in [[0.0, 0.0], [-0.0, 0.0], [0.0, -0.0]] {
        check_convention(&Atan2Of, "atan2", &p, &[&[1.0, 2.0]], &[0.0, 0.0]);
        check_convention(&HypotOf, "hypot", &p, &[&[1.0, 2.0]], &[0.0, 0.0]);
    }
    check_convention(
        &RemOf,
        "x % y",
        &[2.0, 1.0],
        &[&[2.5, 1.0], &[-3.5, 2.0]],
        &[1.0, -2.0],
    );
    check_convention(&RemOf, "x % y", &[3.0, -1.5], &[&[0.5, 1.0]], &[1.0, 2.0]);
    check_convention(
        &FractOf,
        "fract(x)·y",
        &[2.0, 3.0],
        &[&[0.5, 1.0]],
        &[3.0, 0.0],
    );

    // second derivatives: abs² has 2 at ±0 (the partial ±1 is a constant), powf(x, 0) and
    // powi(x, 0) have zero second derivatives, also at 0
    for (p, want) in [(0.0, 2.0), (-0.0, 2.0), (3.0, 2.0)] {
        let h = Graph::record(&[p], |x| AbsSquared.call(x)).hessian();
        assert_eq!(h.eval(&[p]).unwrap()[2], want, "d²/dx² abs(x)² at {p}");
    }
    for p in [0.0, 2.0] {
        let h = Graph::record(&[p], |x| PowfConstZero.call(x)).hessian();
        assert_eq!(
            h.eval(&[p]).unwrap(),
            vec![1.0, 0.0, 0.0],
            "powf(x, 0) at {p}"
        );
    }
}

/// Where f is not twice differentiable the mixed partial depends on the order of differentiation
/// (README "Conventions", powf at x = 0, y ≤ 1). The graph's H[i][j] = H[j][i] is d/dxⱼ of
/// ∂f/∂xᵢ for i ≤ j (a sweep over the gradient graph's output i), the order `hvp` along eᵢ and
/// `reverse::hvp` along eⱼ read: pinned here with the values of
/// `tests/nested_rule_table.rs::powf_at_zero_base_mixed_partial_depends_on_the_order`.
#[test]
fn powf_at_zero_base_mixed_partial_is_read_in_the_graphs_order() {
    fn xy<F: Float>(v: &[F]) -> F {
        v[0].powf(v[1])
    }
    fn yx<F: Float>(v: &[F]) -> F {
        v[1].powf(v[0])
    }
    let inf = f64::INFINITY;
    // per y: d/dx ∂f/∂y (the ∂/∂y convention differentiated) and d/dy ∂f/∂x (the formula's)
    for (y, dx_of_dy, dy_of_dx) in [(0.0, inf, 0.0), (0.5, 0.0, f64::NAN), (1.0, 0.0, -inf)] {
        // x^y with inputs (x, y): H₀₁ = d/dy ∂f/∂x; with inputs (y, x): H₀₁ = d/dx ∂f/∂y
        let h = Graph::record(&[0.0, y], xy)
            .hessian()
            .eval(&[0.0, y])
            .unwrap();
        assert!(
            same_value(h[4], dy_of_dx),
            "x^y at (0, {y}): H₀₁ = {:e}",
            h[4]
        );
        assert!(
            same_value(h[5], dy_of_dx),
            "x^y at (0, {y}): H₁₀ = {:e}",
            h[5]
        );
        let h = Graph::record(&[y, 0.0], yx)
            .hessian()
            .eval(&[y, 0.0])
            .unwrap();
        assert!(
            same_value(h[4], dx_of_dy),
            "swapped, at ({y}, 0): H₀₁ = {:e}",
            h[4]
        );
        // the same order from forward mode and forward over reverse
        assert!(same_value(hvp(xy, &[0.0, y], &[1.0, 0.0]).2[1], dy_of_dx));
        assert!(same_value(
            reverse::hvp(xy, &[0.0, y], &[0.0, 1.0]).2[0],
            dy_of_dx
        ));
    }
}

/// The graph's derivatives are reverse accumulation: an infinite adjoint is distributed over the
/// paths before they are summed, so where contributions of opposite signs meet it gives NaN, as
/// the tape does and forward mode does not (README "Conventions", last row, and the exception
/// pinned in [`reverse_second_level_exception`]).
#[test]
fn graph_is_reverse_accumulation_for_infinite_adjoints() {
    fn f<T: Float>(x: &[T]) -> T {
        (x[0] * x[0] - x[0]).sqrt()
    }
    fn cancel<T: Float>(x: &[T]) -> T {
        (x[0] * x[1] - x[1] * x[0]).sqrt()
    }
    // d/dx √(x² − x) at 1: the argument's derivative is 1, sqrt's partial +∞
    assert_eq!(gradient(f, &[1.0]).1[0], f64::INFINITY);
    assert!(reverse::gradient(f, &[1.0]).1[0].is_nan());
    let out = Graph::record(&[2.0], f).gradient().eval(&[1.0]).unwrap();
    assert!(out[1].is_nan(), "graph: {out:?}");
    // the README's example: tangents that cancel to exactly 0 (x·y and y·x are one node here)
    let g = Graph::record(&[1.0, 2.0], cancel);
    assert_eq!(g.len(), 3, "x·y, (x·y) − (x·y), sqrt:\n{g}");
    let out = g.gradient().eval(&[1.0, 2.0]).unwrap();
    let (rv, rg) = reverse::gradient(cancel, &[1.0, 2.0]);
    assert!(same_f64(out[0], rv) && out[1].is_nan() && out[2].is_nan() && rg[0].is_nan());
    assert_eq!(gradient(cancel, &[1.0, 2.0]).1, vec![0.0, 0.0]);
    // at second order: x.log(y) at (0, ½), ∂²/∂y²
    fn log<T: Float>(x: &[T]) -> T {
        x[0].log(x[1])
    }
    let out = Graph::record(&[2.0, 3.0], log)
        .hessian()
        .eval(&[0.0, 0.5])
        .unwrap();
    assert!(out[6].is_nan(), "graph: {out:?}");
    assert_eq!(hessian(log, &[0.0, 0.5]).2[(1, 1)], f64::INFINITY);
    assert_eq!(reverse::hessian(log, &[0.0, 0.5]).2[(1, 1)], f64::INFINITY);
}

// ---------------------------------------------------------------------------------------------
// 2. Random expression graphs
// ---------------------------------------------------------------------------------------------

/// Random expressions generated.
const EXPRESSIONS: usize = 80;
/// Points near the recording point each expression's graphs are evaluated at.
const EXPR_POINTS: usize = 5;

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

/// A random expression: `n` inputs (values 0..n), then one value per step; the output is the sum
/// of the values no later step uses (so nothing is dead).
#[derive(Clone, Debug)]
struct Expr {
    n: usize,
    steps: Vec<Step>,
}

/// The transforms a rule's operands get.
fn pres(e: Entry) -> [Pre; 3] {
    use Pre::*;
    match e {
        Entry::Unary(op) => [
            match op {
                Unary::Recip
                | Unary::Sqrt
                | Unary::Cbrt
                | Unary::Ln
                | Unary::Log2
                | Unary::Log10
                | Unary::Ln1p => Pos,
                Unary::Tan | Unary::Asin | Unary::Acos | Unary::Atanh => Unit,
                Unary::Acosh => Above1,
                Unary::Exp | Unary::Exp2 | Unary::ExpM1 | Unary::Sinh | Unary::Cosh => Bnd,
                Unary::ToDegrees => Tiny,
                // slopes |n·aⁿ⁻¹| of a few units at most
                Unary::Powi(n) if n < 0 => Above1,
                Unary::Powi(n) if n > 3 => Unit,
                Unary::Powi(_) => Bnd,
                _ => Id,
            },
            Id,
            Id,
        ],
        Entry::Binary(op) => match op {
            Binary::Add | Binary::Sub | Binary::Max | Binary::Min | Binary::AbsSub => [Id, Id, Id],
            Binary::Mul => [Bnd, Bnd, Id],
            Binary::Div | Binary::Rem | Binary::RemEuclid | Binary::Atan2 => [Id, Pos, Id],
            Binary::Hypot => [Bnd, Pos, Id],
            Binary::Powf => [Pos, Unit, Id],
            Binary::Log => [Pos, Base, Id],
        },
        Entry::MulAdd => [Bnd, Bnd, Id],
    }
}

impl Expr {
    /// The values of every input and step at `x`, and the output.
    fn values<T: Float + Euclid + nilpotent::Elementary>(&self, x: &[T]) -> (Vec<T>, T) {
        let mut v: Vec<T> = x.to_vec();
        let arg = |v: &[T], o: Operand| {
            let a = match o.src {
                Src::Value(i) => v[i],
                Src::Const(c) => k(c),
            };
            o.pre.apply(a)
        };
        let mut used = vec![false; self.n + self.steps.len()];
        for s in &self.steps {
            let r = match *s {
                Step::Unary(op, a) => apply_unary(op, arg(&v, a)),
                Step::Binary(op, a, b) => apply_binary(op, arg(&v, a), arg(&v, b)),
                Step::MulAdd(a, b, c) => apply_mul_add(arg(&v, a), arg(&v, b), arg(&v, c)),
            };
            for o in operands(s) {
                if let Src::Value(i) = o.src {
                    used[i] = true;
                }
            }
            v.push(r);
        }
        let mut out = T::zero();
        for (i, &val) in v.iter().enumerate().skip(self.n) {
            if !used[i] {
                out = out + val;
            }
        }
        (v, out)
    }

    /// The piece every piecewise step is on at `x` (floor of its argument, sign of a difference,
    /// quotient of a remainder…): where these are the same at every point of a finite-difference
    /// stencil, the expression is smooth there.
    fn pieces(&self, x: &[f64]) -> Vec<f64> {
        let (v, _) = self.values(x);
        let arg = |o: Operand| {
            let a = match o.src {
                Src::Value(i) => v[i],
                Src::Const(c) => c,
            };
            o.pre.apply(a)
        };
        let mut p = Vec::new();
        for s in &self.steps {
            match *s {
                Step::Unary(op, a) => {
                    let a = arg(a);
                    if let Some(piece) = unary_domain(op).piece {
                        p.push(piece(a));
                    }
                }
                Step::Binary(op, a, b) => {
                    if let Some(piece) = binary_domain(op).piece {
                        p.push(piece(arg(a), arg(b)));
                    }
                }
                Step::MulAdd(..) => {}
            }
        }
        p
    }

    /// True if the expression is smooth on the finite-difference stencil around `x`.
    fn smooth_around(&self, x: &[f64]) -> bool {
        let here = self.pieces(x);
        let h = step(max_abs(x.iter().copied()));
        (0..x.len()).all(|j| {
            [-h, -h / 2.0, -h / 4.0, h / 4.0, h / 2.0, h]
                .iter()
                .all(|&t| {
                    let mut y = x.to_vec();
                    y[j] += t;
                    self.pieces(&y) == here
                })
        })
    }
}

fn operands(s: &Step) -> Vec<Operand> {
    match *s {
        Step::Unary(_, a) => vec![a],
        Step::Binary(_, a, b) => vec![a, b],
        Step::MulAdd(a, b, c) => vec![a, b, c],
    }
}

impl Func for Expr {
    fn call<T: Float + Euclid + nilpotent::Elementary>(&self, x: &[T]) -> T {
        self.values(x).1
    }
}

/// Every entry of the table, as the generator draws them.
fn all_entries() -> Vec<Entry> {
    let mut v: Vec<Entry> = unary_entries().into_iter().map(Entry::Unary).collect();
    v.extend(Binary::ALL.map(Entry::Binary));
    v.push(Entry::MulAdd);
    v
}

/// A random expression of `n` inputs and `len` steps, recorded at `x0`: every step an entry of
/// the table on earlier values (recent ones preferred, so that chains are deep) or constants,
/// redrawn while its value at `x0` is not finite or larger than 20 in magnitude.
fn random_expr(n: usize, len: usize, x0: &[f64], rng: &mut Rng) -> Expr {
    let entries = all_entries();
    let mut e = Expr {
        n,
        steps: Vec::new(),
    };
    let mut vals = x0.to_vec();
    while e.steps.len() < len {
        let entry = entries[rng.below(entries.len())];
        let pre = pres(entry);
        let arity = match entry {
            Entry::Unary(_) => 1,
            Entry::Binary(_) => 2,
            Entry::MulAdd => 3,
        };
        let mut ops = [Operand {
            pre: Pre::Id,
            src: Src::Const(0.0),
        }; 3];
        for (j, o) in ops.iter_mut().enumerate().take(arity) {
            let m = vals.len();
            let src = if j > 0 && rng.below(4) == 0 {
                Src::Const((rng.uniform(-3.0, 3.0) * 4.0).round() / 4.0)
            } else if rng.below(2) == 0 {
                Src::Value(m - 1 - rng.below(m.min(4)))
            } else {
                Src::Value(rng.below(m))
            };
            *o = Operand { pre: pre[j], src };
        }
        let step = match entry {
            Entry::Unary(op) => Step::Unary(op, ops[0]),
            Entry::Binary(op) => Step::Binary(op, ops[0], ops[1]),
            Entry::MulAdd => Step::MulAdd(ops[0], ops[1], ops[2]),
        };
        e.steps.push(step);
        let (v, _) = e.values(x0);
        let last = v[v.len() - 1];
        if last.is_finite() && last.abs() <= 20.0 {
            vals.push(last);
        } else {
            e.steps.pop();
        }
    }
    e
}

/// Random expression graphs: every entry of the table, 2–6 inputs, 20–40 operations. Each graph
/// (function, gradient and, for every third expression, Hessian) is evaluated at points near the
/// recording point: where it returns numbers, they are the `f64` function's (value, bit for bit),
/// the tape's and forward mode's (gradient, [`EXPR_RTOL`]) and finite differences' where the
/// expression is smooth around the point ([`FD_RTOL`]); where it returns a guard error, a graph
/// recorded at that point gives the same checks.
#[test]
fn random_expressions_match_tape_forward_and_finite_differences() {
    let mut rng = Rng::for_test("graph random expressions");
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let (mut grad_tape, mut grad_fwd, mut grad_fd, mut hess_fwd) = (
        Worst::default(),
        Worst::default(),
        Worst::default(),
        Worst::default(),
    );
    let (mut moved, mut guarded, mut fd_checked, mut nodes, mut guards) = (0, 0, 0, 0, 0);
    for e_index in 0..EXPRESSIONS {
        let n = 2 + rng.below(5);
        let x0 = rng.vec(n, -2.0, 2.0);
        let len = 20 + rng.below(21);
        let e = random_expr(n, len, &x0, &mut rng);
        for s in &e.steps {
            seen.insert(match s {
                Step::Unary(op, _) => format!("{op:?}"),
                Step::Binary(op, _, _) => format!("{op:?}"),
                Step::MulAdd(..) => "MulAdd".to_string(),
            });
        }
        let g = Graph::record(&x0, |x| e.call(x));
        assert_eq!(
            g.num_guards(),
            0,
            "expression {e_index}: branch-free, but\n{g}"
        );
        nodes += g.len();
        let grad = g.gradient();
        guards += grad.num_guards();
        let hess = (e_index % 3 == 0).then(|| g.hessian());
        // the values computed while recording are the interpreter's at the recording point
        for gr in [Some(&g), Some(&grad), hess.as_ref()].into_iter().flatten() {
            let (rec, ev) = (gr.recorded_outputs(), gr.eval(&x0).unwrap());
            assert!(rec.iter().zip(&ev).all(|(&a, &b)| same_f64(a, b)), "{e:?}");
            assert_eq!(gr.recording_point(), x0.as_slice());
        }
        let mut points = vec![x0.clone()];
        for j in 0..EXPR_POINTS {
            let r = [0.01, 0.05, 0.2, 0.5, 1.0][j % 5];
            points.push(x0.iter().map(|&v| v + rng.uniform(-r, r)).collect());
        }
        for p in points {
            let what = || format!("expression {e_index} {e:?}\nrecorded at {x0:?}, at {p:?}");
            let short = || format!("expression {e_index} at {p:?}");
            let value = e.call(&p);
            let out = g.eval(&p).expect("no guards in the function graph");
            assert!(same_f64(out[0], value), "{}: value", what());
            let out = match grad.eval(&p) {
                Ok(out) => {
                    moved += (p != x0) as usize;
                    out
                }
                Err(GraphError::Guard { .. }) => {
                    assert_ne!(p, x0, "{}: a guard fails at the recording point", what());
                    guarded += 1;
                    let again = Graph::record(&p, |x| e.call(x)).gradient();
                    again
                        .eval(&p)
                        .expect("a graph evaluates at its recording point")
                }
                Err(err) => panic!("{}: {err}", what()),
            };
            assert!(same_f64(out[0], value), "{}: gradient graph value", what());
            let (tv, tg) = reverse::gradient(|x| e.call(x), &p);
            let (_, fg) = gradient(|x| e.call(x), &p);
            assert!(same_f64(tv, value));
            let scale = max_abs(tg.iter().copied()).max(1.0);
            let smooth = e.smooth_around(&p);
            let fdg = smooth.then(|| fd_gradient(|x| e.call(x), &p));
            fd_checked += smooth as usize;
            for j in 0..n {
                let a = out[1 + j];
                for (oracle, b, worst) in [
                    ("the tape", tg[j], &mut grad_tape),
                    ("forward mode", fg[j], &mut grad_fwd),
                ] {
                    worst.note(rel_err(a, b, scale), || format!("{} ∂{j}", short()));
                    assert!(
                        close(a, b, EXPR_RTOL, scale),
                        "{}: ∂f/∂x{j} = {a:e} from the graph, {b:e} from {oracle}",
                        what()
                    );
                }
                if let Some(fdg) = &fdg {
                    let s = value.abs().max(scale);
                    grad_fd.note(rel_err(a, fdg[j], s), || format!("{} ∂{j}", short()));
                    assert!(
                        close(a, fdg[j], FD_RTOL, s),
                        "{}: ∂f/∂x{j} = {a:e} from the graph, finite differences give {:e}",
                        what(),
                        fdg[j]
                    );
                }
            }
            if let Some(hess) = &hess {
                let out = match hess.eval(&p) {
                    Ok(out) => out,
                    Err(GraphError::Guard { .. }) => {
                        guarded += 1;
                        let again = Graph::record(&p, |x| e.call(x)).hessian();
                        again.eval(&p).unwrap()
                    }
                    Err(err) => panic!("{}: {err}", what()),
                };
                let (_, _, fh) = hessian(|x| e.call(x), &p);
                let hscale = max_abs(fh.iter().copied()).max(1.0);
                for i in 0..n {
                    for j in 0..n {
                        let a = out[1 + n + i * n + j];
                        assert_eq!(a.to_bits(), out[1 + n + j * n + i].to_bits());
                        hess_fwd.note(rel_err(a, fh[(i, j)], hscale), || {
                            format!("{} H[{i}][{j}]", short())
                        });
                        assert!(
                            close(a, fh[(i, j)], EXPR_RTOL, hscale),
                            "{}: H[{i}][{j}] = {a:e} from the graph, {:e} from forward mode",
                            what(),
                            fh[(i, j)]
                        );
                    }
                }
            }
        }
    }
    let missing: Vec<String> = all_entries()
        .iter()
        .map(|e| match e {
            Entry::Unary(op) => format!("{op:?}"),
            Entry::Binary(op) => format!("{op:?}"),
            Entry::MulAdd => "MulAdd".to_string(),
        })
        .filter(|name| !seen.contains(name))
        .collect();
    assert!(missing.is_empty(), "entries never generated: {missing:?}");
    println!(
        "random expressions: {EXPRESSIONS} graphs, {nodes} operations, {guards} guards in the \
         gradient graphs; {moved} gradient evaluations away from the recording point, {guarded} \
         guard errors re-recorded, {fd_checked} points smooth enough for finite differences"
    );
    for (name, w, tol) in [
        ("gradient vs tape", &grad_tape, EXPR_RTOL),
        ("gradient vs forward", &grad_fwd, EXPR_RTOL),
        ("gradient vs finite differences", &grad_fd, FD_RTOL),
        ("Hessian vs forward", &hess_fwd, EXPR_RTOL),
    ] {
        println!("  {name}: {:.1e} (tolerance {tol:e}) at {}", w.err, w.at);
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Guards
// ---------------------------------------------------------------------------------------------

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

/// A guard's question without the place it was asked: `x[0] > 0.0 at src/f.rs:3:8 was true`
/// becomes `x[0] > 0.0 was true`.
fn without_location(q: &str) -> String {
    match q.find(" at ").map(|i| (i, q[i..].find(" was "))) {
        Some((i, Some(j))) => format!("{}{}", &q[..i], &q[i + j..]),
        _ => q.to_string(),
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

const ALL_OK: [bool; 3] = [true, true, true];
const ALL_FAIL: [bool; 3] = [false, false, false];
/// the function graph evaluates, its derivatives fail a guard of a derivative rule
const RULE_FAILS: [bool; 3] = [true, false, false];

/// A branch in user code (`if x > 0`): the function graph has the guard, and so have its
/// derivatives; evaluation across the switch (also at 0 and −0) is an error, away from it the
/// numbers of the function and forward mode.
#[test]
fn guard_user_branch() {
    fn relu_sq<T: Float>(x: &[T]) -> T {
        if x[0] > T::zero() {
            x[0] * x[0] * x[1]
        } else {
            x[1]
        }
    }
    let g = three(&[3.0, 1.0], relu_sq);
    assert_eq!(g.each_ref().map(|g| g.num_guards()), [1, 1, 1]);
    let q = sweep(
        "relu_sq",
        &g,
        oracle!(relu_sq),
        &[
            (&[4.0, 2.0], ALL_OK),
            (&[0.5, -1.0], ALL_OK),
            (&[-1.0, 2.0], ALL_FAIL),
            (&[0.0, 2.0], ALL_FAIL),
            (&[-0.0, 2.0], ALL_FAIL),
            (&[f64::NAN, 2.0], ALL_FAIL),
        ],
    );
    // issue 25: guard failures read in the user's words: `x > 0` (kept as `0 < x` in the
    // graph), its operands as written and where it was written, not internal node numbers
    assert!(
        q.iter()
            .all(|q| q.starts_with("x[0] > 0.0 at tests/graph.rs:") && q.ends_with(" was true")),
        "{q:?}"
    );
    // recorded in the other branch: the other way round
    let g = three(&[-2.0, 1.0], relu_sq);
    sweep(
        "relu_sq",
        &g,
        oracle!(relu_sq),
        &[
            (&[-1.0, 2.0], ALL_OK),
            (&[0.0, 2.0], ALL_OK),
            (&[1.0, 2.0], ALL_FAIL),
        ],
    );
}

/// `max`/`min` in user code: the function graph has no guard (the value is a `max` node, right on
/// both sides), the gradient and Hessian graphs have the rule's choice as guards.
#[test]
fn guard_max_min_choice_in_the_rule() {
    fn f<T: Float>(x: &[T]) -> T {
        x[0].max(x[1]) * x[2] + x[0].min(x[1])
    }
    let g = three(&[1.0, 2.0, 3.0], f);
    assert_eq!(g[0].num_guards(), 0, "{}", g[0]);
    assert!(g[1].num_guards() > 0 && g[2].num_guards() >= g[1].num_guards());
    let q = sweep(
        "max/min",
        &g,
        oracle!(f),
        &[
            (&[0.0, 5.0, 1.0], ALL_OK),
            (&[-3.0, -2.5, 2.0], ALL_OK),
            (&[3.0, 2.0, 1.0], RULE_FAILS),
            (&[2.0, 2.0, 1.0], RULE_FAILS),
        ],
    );
    assert!(
        q.iter().all(|q| q.contains("x[0]") && q.contains("x[1]")),
        "{q:?}"
    );
    // recorded at a tie: the tie is the branch (½, ½), a point off the tie fails
    let g = three(&[2.0, 2.0, 3.0], f);
    sweep(
        "max/min at a tie",
        &g,
        oracle!(f),
        &[(&[-1.0, -1.0, 5.0], ALL_OK), (&[2.0, 2.5, 3.0], RULE_FAILS)],
    );
}

/// `abs`: no guard in any of the three graphs. The derivative is `signum(x)`, a node (+1 at +0, −1
/// at −0, NaN at every NaN): it asks no question about a sign bit, which a NaN does not answer
/// reliably (issue 20.3), so one recording serves both sides of 0.
#[test]
fn abs_derivative_is_signum_without_guard() {
    fn f<T: Float>(x: &[T]) -> T {
        x[0].abs() * x[1]
    }
    for x0 in [[2.0, 3.0], [-0.0, 3.0]] {
        let g = three(&x0, f);
        assert_eq!(g.each_ref().map(|g| g.num_guards()), [0, 0, 0]);
        let q = sweep(
            "abs",
            &g,
            oracle!(f),
            &[
                (&[5.0, 1.0], ALL_OK),
                (&[0.0, 1.0], ALL_OK),
                (&[-0.0, 1.0], ALL_OK),
                (&[-1.0, 1.0], ALL_OK),
                (&[-4.0, 2.0], ALL_OK),
            ],
        );
        assert!(q.is_empty(), "{q:?}");
    }
}

/// Rounding (`floor`, `ceil`, `round`, `trunc`, `signum`) is a value node with derivative 0 (a
/// constant, not a branch): no guard in any of the three graphs, and the numbers are right on
/// every piece, far from the recording point.
#[test]
fn rounding_is_a_node_without_guards() {
    fn f<T: Float>(x: &[T]) -> T {
        x[0].floor() * x[1]
            + x[1].round() * x[0]
            + x[0].ceil()
            + x[1].trunc() * x[1]
            + x[0].signum() * x[1]
    }
    let g = three(&[0.3, 1.2], f);
    assert_eq!(g.each_ref().map(|g| g.num_guards()), [0, 0, 0]);
    sweep(
        "rounding",
        &g,
        oracle!(f),
        &[
            (&[2.7, -3.6], ALL_OK),
            (&[-1.5, 0.5], ALL_OK),
            (&[-0.3, 2.0], ALL_OK),
            (&[7.0, -2.5], ALL_OK),
            (&[0.0, 0.0], ALL_OK),
        ],
    );
}

/// `is_finite` and `is_nan` branches: guards on the question, in the function graph.
#[test]
fn guard_is_finite_and_is_nan() {
    fn ratio<T: Float>(x: &[T]) -> T {
        let r = x[0] / x[1];
        if r.is_finite() { r } else { T::zero() }
    }
    let g = three(&[1.0, 2.0], ratio);
    let q = sweep(
        "is_finite",
        &g,
        oracle!(ratio),
        &[
            (&[3.0, 4.0], ALL_OK),
            (&[1.0, 0.0], ALL_FAIL),
            (&[0.0, 0.0], ALL_FAIL),
        ],
    );
    assert!(
        q.iter().all(|q| q.ends_with(".is_finite() = true")),
        "{q:?}"
    );
    fn root<T: Float>(x: &[T]) -> T {
        let s = x[0].sqrt();
        if s.is_nan() { T::zero() } else { s * x[1] }
    }
    let g = three(&[4.0, 1.0], root);
    let q = sweep(
        "is_nan",
        &g,
        oracle!(root),
        &[(&[9.0, 2.0], ALL_OK), (&[-1.0, 1.0], ALL_FAIL)],
    );
    assert!(q.iter().all(|q| q.ends_with(".is_nan() = false")), "{q:?}");
}

/// `to_f64()` bakes the value into a constant: a guard on the exact value (bits: −0 is not +0);
/// `to_i64()` on the truncated value (−0.5 and 0.5 both truncate to 0).
#[test]
fn guard_conversions() {
    fn baked<T: Float>(x: &[T]) -> T {
        x[0] * T::from(x[0].to_f64().unwrap()).unwrap() + x[1]
    }
    let g = three(&[2.0, 1.0], baked);
    let q = sweep(
        "to_f64",
        &g,
        oracle!(baked),
        &[
            (&[2.0, 5.0], ALL_OK),
            (&[3.0, 1.0], ALL_FAIL),
            (&[2.0000000000000004, 1.0], ALL_FAIL),
        ],
    );
    assert!(q.iter().all(|q| q == "x[0] = 2e0"), "{q:?}");
    let g = three(&[0.0, 1.0], baked);
    sweep(
        "to_f64 at 0",
        &g,
        oracle!(baked),
        &[(&[0.0, 3.0], ALL_OK), (&[-0.0, 1.0], ALL_FAIL)],
    );

    fn power<T: Float>(x: &[T]) -> T {
        x[0].powi(x[0].to_i64().unwrap() as i32) * x[1]
    }
    let g = three(&[2.5, 1.0], power);
    let q = sweep(
        "to_i64",
        &g,
        oracle!(power),
        &[
            (&[2.9, 2.0], ALL_OK),
            (&[2.0, 2.0], ALL_OK),
            (&[3.1, 1.0], ALL_FAIL),
            (&[1.9, 1.0], ALL_FAIL),
            (&[-2.5, 1.0], ALL_FAIL),
        ],
    );
    assert!(q.iter().all(|q| q == "trunc(x[0]) = 2"), "{q:?}");
    let g = three(&[0.5, 1.0], power);
    sweep(
        "to_i64 near 0",
        &g,
        oracle!(power),
        &[
            (&[-0.5, 2.0], ALL_OK),
            (&[-0.0, 2.0], ALL_OK),
            (&[1.5, 1.0], ALL_FAIL),
        ],
    );
}

/// `partial_cmp`: one guard with four answers (less, equal, greater, unordered).
#[test]
fn guard_partial_cmp() {
    fn gap<T: Float>(x: &[T]) -> T {
        match x[0].partial_cmp(&x[1]) {
            Some(core::cmp::Ordering::Less) => x[1] - x[0],
            Some(core::cmp::Ordering::Greater) => (x[0] - x[1]) * x[0],
            Some(core::cmp::Ordering::Equal) => x[0].sin(),
            None => T::nan(),
        }
    }
    for (x0, same, others) in [
        (
            [1.0, 2.0],
            [0.0, 5.0],
            [[2.0, 1.0], [1.0, 1.0], [f64::NAN, 1.0]],
        ),
        (
            [2.0, 1.0],
            [5.0, 0.0],
            [[1.0, 2.0], [1.0, 1.0], [1.0, f64::NAN]],
        ),
        (
            [1.0, 1.0],
            [-3.0, -3.0],
            [[1.0, 2.0], [2.0, 1.0], [f64::NAN, f64::NAN]],
        ),
    ] {
        let g = three(&x0, gap);
        assert_eq!(g[0].num_guards(), 1);
        let mut points: Vec<(&[f64], [bool; 3])> = vec![(&same, ALL_OK)];
        points.extend(others.iter().map(|p| (p.as_slice(), ALL_FAIL)));
        let q = sweep("partial_cmp", &g, oracle!(gap), &points);
        let order = ["Some(Less)", "Some(Greater)", "Some(Equal)"]
            [(x0[0] >= x0[1]) as usize + (x0[0] == x0[1]) as usize];
        assert!(
            q.iter()
                .all(|q| without_location(q) == format!("x[0].partial_cmp(&x[1]) was {order}")),
            "{q:?}"
        );
    }
}

/// Comparisons with constants (`x > 2`, `x == 1`): the constant becomes a node the guard compares
/// with.
#[test]
fn guard_comparisons_with_constants() {
    fn f<T: Float>(x: &[T]) -> T {
        if x[0] > k(2.0) {
            x[0] * x[1]
        } else if x[0] == T::one() {
            x[1].exp()
        } else {
            x[0] * x[0]
        }
    }
    let g = three(&[3.0, 1.0], f);
    assert!(
        g[0].to_string().lines().any(|l| l.starts_with("v2 = 2 ")),
        "{}",
        g[0]
    );
    let q = sweep(
        "x > 2",
        &g,
        oracle!(f),
        &[
            (&[5.0, 2.0], ALL_OK),
            (&[1.5, 1.0], ALL_FAIL),
            (&[2.0, 1.0], ALL_FAIL),
        ],
    );
    // as written, where it was written (in the function and its derivative graphs)
    assert!(
        q.iter()
            .all(|q| q.starts_with("x[0] > 2.0 at tests/graph.rs:") && q.ends_with(" was true")),
        "{q:?}"
    );
    let g = three(&[1.0, 1.0], f);
    assert_eq!(g[0].num_guards(), 2, "{}", g[0]);
    let q = sweep(
        "x == 1",
        &g,
        oracle!(f),
        &[
            (&[1.0, 7.0], ALL_OK),
            (&[1.5, 1.0], ALL_FAIL),
            (&[3.0, 1.0], ALL_FAIL),
        ],
    );
    assert!(
        q.iter()
            .any(|q| without_location(q) == "x[0] == 1.0 was true"),
        "{q:?}"
    );
}

/// `powf` with a varying exponent: the rule branches at y = 0 (∂/∂x is 0 where x⁻¹ is not
/// finite) and at x = 0 < y (∂/∂y is 0): guards of the derivative graphs only.
#[test]
fn guard_powf_exponent_zero_in_the_rule() {
    fn f<T: Float>(x: &[T]) -> T {
        x[0].powf(x[1])
    }
    // y = 0, x ≠ 0: ∂/∂x = y·x^(y−1) (an expression), ∂/∂y = ln x
    let g = three(&[2.0, 0.0], f);
    assert_eq!(g[0].num_guards(), 0);
    let q = sweep(
        "powf at y = 0",
        &g,
        oracle!(f),
        &[
            (&[3.0, 0.0], ALL_OK),
            (&[2.0, 0.5], RULE_FAILS),
            (&[0.0, 0.0], RULE_FAILS),
        ],
    );
    assert!(
        q.iter()
            .any(|q| q.contains("==") && q.ends_with("was true")),
        "{q:?}"
    );
    // x = 0, y = 0: ∂/∂x is the constant 0 (x⁻¹ = ∞), ∂/∂y = 1·ln 0 = −∞
    let g = three(&[0.0, 0.0], f);
    let want = [vec![1.0], vec![1.0, 0.0, f64::NEG_INFINITY]];
    assert_eq!(g[1].eval(&[0.0, 0.0]).unwrap(), want[1]);
    let q = sweep(
        "powf at (0, 0)",
        &g,
        |p| {
            // the mixed partial is order-dependent at x = 0: H in the graph's order, from hvp
            let mut o = oracle!(f)(p);
            let rows = [hvp(f, p, &[1.0, 0.0]).2, hvp(f, p, &[0.0, 1.0]).2];
            o[2].truncate(3);
            o[2].extend([rows[0][0], rows[0][1], rows[0][1], rows[1][1]]);
            o
        },
        &[(&[0.0, 0.0], ALL_OK), (&[1.0, 0.0], [true, false, false])],
    );
    // (x⁻¹ is finite at x = 1 too, but x == 0 is asked first)
    assert!(
        q.iter()
            .all(|q| without_location(q) == "x[0] == 0.0 was true"),
        "{q:?}"
    );
    // x = 0 < y: ∂/∂y is the constant 0
    let g = three(&[0.0, 2.0], f);
    sweep(
        "powf at (0, 2)",
        &g,
        oracle!(f),
        &[(&[0.0, 3.0], ALL_OK), (&[1.0, 2.0], RULE_FAILS)],
    );
}

/// Every other question generic code can ask of a value: `is_infinite`, `is_normal`,
/// `is_subnormal`, `classify`, the sign bit (`is_sign_negative`, `Signed::is_positive`,
/// `RealField::is_sign_positive`), `<=`/`>=`, `!=`, `integer_decode` (the exact value), and the
/// order against 0 of nalgebra's `try_sqrt`. Each graph is evaluated where the answer is the
/// same (the `f64` function's value) and where it differs (a guard error whose message and listing
/// line carry the question).
#[test]
fn guard_every_question_kind() {
    type F = fn(&[Sym]) -> Sym;
    type G = fn(&[f64]) -> f64;
    macro_rules! both {
        (|$x:ident| $body:expr) => {{
            fn f<T: Float + nalgebra::RealField + num_traits::Signed>($x: &[T]) -> T {
                $body
            }
            (f::<Sym> as F, f::<f64> as G)
        }};
    }
    /// name, the function on `Sym` and on `f64`, the recording point, a point with the same
    /// answer, a point with another answer, and the end of the recorded question
    type Asked = (
        &'static str,
        (F, G),
        Vec<f64>,
        Vec<f64>,
        Vec<f64>,
        &'static str,
    );
    let cases: Vec<Asked> = vec![
        (
            "is_infinite",
            both!(|x| if Float::is_infinite(Float::exp(x[0])) {
                T::zero()
            } else {
                Float::exp(x[0])
            }),
            vec![1.0],
            vec![2.0],
            vec![1000.0],
            ".is_infinite() = false",
        ),
        (
            "is_normal",
            both!(|x| if Float::is_normal(x[0]) {
                x[0] * k(2.0)
            } else {
                x[0]
            }),
            vec![1.0],
            vec![-3.0],
            vec![0.0],
            "x[0].is_normal() = true",
        ),
        (
            "is_subnormal",
            both!(|x| if Float::is_subnormal(x[0]) {
                x[0]
            } else {
                -x[0]
            }),
            vec![1e-310],
            vec![2e-310],
            vec![1.0],
            "x[0].is_subnormal() = true",
        ),
        (
            "classify",
            both!(|x| match Float::classify(x[0]) {
                core::num::FpCategory::Normal => x[0],
                _ => -x[0],
            }),
            vec![1.0],
            vec![5.0],
            vec![0.0],
            "x[0] is normal",
        ),
        (
            "is_sign_negative",
            both!(|x| if Float::is_sign_negative(x[0]) {
                -x[0]
            } else {
                x[0] * k(3.0)
            }),
            vec![1.0],
            vec![0.0],
            vec![-0.0],
            "x[0].is_sign_negative() = false",
        ),
        (
            "Signed::is_positive",
            both!(|x| if num_traits::Signed::is_positive(&x[0]) {
                x[0]
            } else {
                T::one()
            }),
            vec![-2.0],
            vec![-0.0],
            vec![0.0],
            "x[0].is_sign_negative() = true",
        ),
        (
            "RealField::is_sign_positive",
            both!(|x| if nalgebra::RealField::is_sign_positive(&x[0]) {
                x[0]
            } else {
                -x[0]
            }),
            vec![2.0],
            vec![3.0],
            vec![-3.0],
            "x[0].is_sign_negative() = false",
        ),
        (
            "<=",
            both!(|x| if x[0] <= x[1] { x[1] - x[0] } else { x[0] }),
            vec![1.0, 1.0],
            vec![0.0, 2.0],
            vec![2.0, 1.0],
            "x[0] <= x[1] was true",
        ),
        (
            ">=",
            both!(|x| if x[0] >= x[1] { x[1] - x[0] } else { x[0] }),
            vec![1.0, 1.0],
            vec![2.0, 2.0],
            vec![1.0, 2.0],
            "x[0] >= x[1] was true",
        ),
        (
            "!=",
            both!(|x| if x[0] != x[1] { x[0] * x[1] } else { x[0] }),
            vec![1.0, 2.0],
            vec![3.0, 2.0],
            vec![2.0, 2.0],
            "x[0] != x[1] was true",
        ),
        (
            "integer_decode",
            both!(|x| {
                let (_, exponent, _) = Float::integer_decode(x[0]);
                x[0] * k(f64::from(exponent))
            }),
            vec![1.5],
            vec![1.5],
            vec![1.25],
            "x[0] = 1.5e0",
        ),
        (
            "try_sqrt (x >= 0)",
            both!(|x| match nalgebra::ComplexField::try_sqrt(x[0]) {
                Some(r) => r * x[0],
                None => T::zero(),
            }),
            vec![4.0],
            vec![9.0],
            vec![-1.0],
            "(x[0] >= 0) = true",
        ),
    ];
    for (name, (f_sym, f64_fn), x0, same, other, question) in cases {
        let g = Graph::record(&x0, f_sym);
        assert!(g.num_guards() >= 1, "{name}:\n{g}");
        for p in [&x0, &same] {
            let out = g.eval(p).unwrap_or_else(|e| panic!("{name} at {p:?}: {e}"));
            assert!(same_f64(out[0], f64_fn(p)), "{name} at {p:?}");
        }
        let q = expect_guard(&g, &other, name);
        assert!(without_location(&q).ends_with(question), "{name}: {q}");
    }
}

/// nalgebra's `sinc` (and `to_exp`) decide on `x == 0`, `argument` (and `try_sqrt`) on `x >= 0`,
/// and the graph keeps exactly that question as the guard (`Observe::IsZero`,
/// `Observe::AtLeastZero`): a graph recorded at x = 1 evaluates at x = −1, where `sinc` takes the
/// same branch (x ≠ 0) and its value is sin(−1)/(−1) = 0.8414709848078965 (the `f64` function's),
/// and `argument` recorded at 1 evaluates at 0, where it is 0 on the same branch (x ≥ 0).
#[test]
fn zero_order_guards_ask_the_question_the_code_asks() {
    use nalgebra::ComplexField;
    let g = Graph::record(&[1.0], |x| x[0].sinc());
    assert_eq!(g.eval(&[-1.0]).unwrap(), vec![ComplexField::sinc(-1.0f64)]);
    let g = Graph::record(&[1.0], |x| x[0].argument() + x[0]);
    assert_eq!(g.eval(&[0.0]).unwrap(), vec![0.0]);
}

/// Branch-free code has no guards in any of its graphs.
#[test]
fn branch_free_code_has_no_guards() {
    let x: Vec<f64> = (0..6).map(|i| 0.3 * i as f64 - 0.5).collect();
    for (name, g) in [
        ("lecture", Graph::record(&[2.0, 5.0], lecture)),
        ("Rosenbrock", Graph::record(&x, rosenbrock)),
        ("logistic loss", Graph::record(&x, logistic_loss)),
        (
            "sigmoid",
            Graph::record(&[0.3], |v| (v[0].exp() + 1.0).recip()),
        ),
    ] {
        assert_eq!(
            [
                g.num_guards(),
                g.gradient().num_guards(),
                g.hessian().num_guards()
            ],
            [0, 0, 0],
            "{name}"
        );
    }
}

/// The lecture's function: ln x₀ + x₀x₁ − sin x₁.
fn lecture<T: Float>(x: &[T]) -> T {
    x[0].ln() + x[0] * x[1] - x[1].sin()
}

/// The chained Rosenbrock function Σ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²: its Hessian is tridiagonal.
fn rosenbrock<T: Float>(x: &[T]) -> T {
    let c100 = k::<T>(100.0);
    x.windows(2).fold(T::zero(), |s, w| {
        let a = w[1] - w[0] * w[0];
        let b = T::one() - w[0];
        s + c100 * a * a + b * b
    })
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

// ---------------------------------------------------------------------------------------------
// 4. Sharing, folding, identities, dead code
// ---------------------------------------------------------------------------------------------

/// The operations of the graph of `f` recorded at `x0`.
fn ops(x0: &[f64], f: impl FnOnce(&[Sym]) -> Sym) -> usize {
    Graph::record(x0, f).len()
}

/// The only output of a one-output graph, at `x`.
fn eval1(g: &Graph, x: &[f64]) -> f64 {
    let out = g.eval(x).unwrap();
    assert_eq!(out.len(), 1);
    out[0]
}

/// A repeated subexpression is one node; `a + b` and `b + a` (and `a·b`, `b·a`) are one node.
#[test]
fn common_subexpressions_are_shared() {
    // sin x₀, sin x₀·x₁ and the sum: 3 operations, not 5
    assert_eq!(
        ops(&[1.0, 2.0], |x| x[0].sin() * x[1] + x[0].sin() * x[1]),
        3
    );
    assert_eq!(ops(&[1.0, 2.0], |x| (x[0] + x[1]) * (x[1] + x[0])), 2);
    assert_eq!(ops(&[1.0, 2.0], |x| (x[0] * x[1]) - (x[1] * x[0])), 2);
    // − and / are not commutative: both orders are nodes
    assert_eq!(ops(&[1.0, 2.0], |x| (x[0] - x[1]) * (x[1] - x[0])), 3);
    assert_eq!(ops(&[1.0, 2.0], |x| (x[0] / x[1]) + (x[1] / x[0])), 3);
    // the same rule with a different constant is another node; with the same constant the same
    assert_eq!(ops(&[1.0], |x| x[0].powi(2) + x[0].powi(3)), 3);
    assert_eq!(ops(&[1.0], |x| x[0].powi(2) + x[0].powi(2)), 2);
    assert_eq!(ops(&[1.0], |x| x[0] * 2.0 + x[0] * 3.0), 3);
    assert_eq!(ops(&[1.0], |x| x[0] * 2.0 + 2.0 * x[0]), 2);
    // a loop that recomputes the same value
    let g = Graph::record(&[0.5, 0.25], |x| {
        (0..10).fold(Sym::constant(0.0), |s, _| s + (x[0] * x[1]).exp())
    });
    // x₀x₁, exp, and 10 additions: the first, (+0) + e, stays (+0 is not an identity: −0 + 0 = +0)
    assert_eq!(g.len(), 2 + 10, "{g}");
    assert_eq!(
        eval1(&g, &[0.5, 0.25]),
        (0..10).fold(0.0, |s, _| s + (0.125f64).exp())
    );
}

/// Constants fold (rule evaluated on them); only the IEEE-exact identities apply.
#[test]
fn constants_fold_and_only_exact_identities_apply() {
    // (2 + 3)·x is one multiplication by the folded 5
    let g = Graph::record(&[1.5], |x| (Sym::constant(2.0) + 3.0) * x[0]);
    assert_eq!(g.len(), 1);
    assert!(
        g.to_string().lines().any(|l| l.starts_with("v1 = 5 ")),
        "{g}"
    );
    assert_eq!(eval1(&g, &[4.0]), 20.0);
    assert_eq!(
        ops(&[1.0], |x| x[0]
            * (k::<Sym>(2.0).sqrt() * k::<Sym>(3.0).exp())),
        1
    );

    let inf = f64::INFINITY;
    // x·0 stays a multiplication: NaN at ±∞ and NaN, −0 for negative x
    let g = Graph::record(&[2.0], |x| x[0] * 0.0);
    assert_eq!(g.len(), 1);
    assert!(eval1(&g, &[inf]).is_nan());
    assert!(same_f64(eval1(&g, &[-3.0]), -0.0));
    assert_eq!(ops(&[2.0], |x| x[0] * Sym::constant(0.0) + 0.0 * x[0]), 2);
    // constants are nodes by their bits: x·0 and x·(−0) are two products (+0 and −0 at x = 1)
    let g = Graph::record(&[2.0], |x| x[0] * 0.0 - x[0] * (-0.0));
    assert_eq!(g.len(), 3, "{g}");
    assert!(same_f64(eval1(&g, &[1.0]), 0.0), "0 − (−0) = +0");
    assert!(same_f64(eval1(&g, &[-1.0]), -0.0), "(−0) − (+0) = −0");
    // x − x stays (NaN at ∞), x/x stays (NaN at 0)
    let g = Graph::record(&[2.0], |x| x[0] - x[0]);
    assert_eq!(g.len(), 1);
    assert!(eval1(&g, &[inf]).is_nan());
    let g = Graph::record(&[2.0], |x| x[0] / x[0]);
    assert_eq!(g.len(), 1);
    assert!(eval1(&g, &[0.0]).is_nan());
    assert_eq!(eval1(&g, &[5.0]), 1.0);
    // x·1, 1·x, x/1, x + (−0), (−0) + x, x − (+0), −(−x): x itself (no operation at all)
    for (name, f) in [
        ("x·1", (|x: &[Sym]| x[0] * 1.0) as fn(&[Sym]) -> Sym),
        ("1·x", |x| 1.0 * x[0]),
        ("x/1", |x| x[0] / 1.0),
        ("x + (−0)", |x| x[0] + (-0.0)),
        ("(−0) + x", |x| -0.0 + x[0]),
        ("x − (+0)", |x| x[0] - 0.0),
        ("−(−x)", |x| -(-x[0])),
        ("x·one()", |x| x[0] * <Sym as num_traits::One>::one()),
    ] {
        let g = Graph::record(&[2.0], f);
        assert_eq!(g.len(), 0, "{name}:\n{g}");
        assert!(g.is_empty());
        for v in [-0.0, 0.0, inf, -1.5] {
            assert!(same_f64(eval1(&g, &[v]), v), "{name} at {v}");
        }
    }
    // but x + (+0) and x − (−0) are operations: −0 + 0 = +0
    for (name, f) in [
        ("x + 0", (|x: &[Sym]| x[0] + 0.0) as fn(&[Sym]) -> Sym),
        ("0 + x", |x| 0.0 + x[0]),
        ("x + zero()", |x| x[0] + <Sym as num_traits::Zero>::zero()),
        ("x − (−0)", |x| x[0] - (-0.0)),
    ] {
        let g = Graph::record(&[2.0], f);
        assert_eq!(g.len(), 1, "{name}:\n{g}");
        assert!(same_f64(eval1(&g, &[-0.0]), 0.0), "{name} at −0");
        assert!(same_f64(eval1(&g, &[3.0]), 3.0), "{name} at 3");
    }
    // neither are x·(−1) → −x, 0 − x → −x, x − x → 0 for a recorded x
    assert_eq!(ops(&[2.0], |x| 0.0 - x[0]), 1);
    let g = Graph::record(&[2.0], |x| 0.0 - x[0]);
    assert!(
        same_f64(eval1(&g, &[0.0]), 0.0),
        "0 − 0 = +0, −0 would be wrong"
    );
}

/// An intermediate nothing uses is not in the graph (also when it is used only by other dead
/// intermediates); the derivative graphs keep only what their outputs need.
#[test]
fn dead_code_is_removed() {
    let g = Graph::record(&[1.0, 2.0], |x| {
        let unused = x[0].exp() * x[1].ln();
        let _also = unused.sin();
        x[0] * x[1]
    });
    assert_eq!(g.len(), 1, "{g}");
    assert_eq!(g.num_nodes(), 3);
    assert!(!g.to_string().contains("exp"), "{g}");
    // no inputs at all, and an output that is an input: no operations
    let g = Graph::record(&[], |_| Sym::constant(3.0));
    assert_eq!((g.num_inputs(), g.len(), g.num_nodes()), (0, 0, 1));
    assert_eq!(g.eval(&[]).unwrap(), vec![3.0]);
    assert_eq!(g.gradient().eval(&[]).unwrap(), vec![3.0]);
    assert_eq!(g.hessian().eval(&[]).unwrap(), vec![3.0]);
    let g = Graph::record(&[1.0, 2.0], |x| x[1]);
    assert!(g.is_empty());
    assert_eq!(g.gradient().eval(&[3.0, 4.0]).unwrap(), vec![4.0, 0.0, 1.0]);
    assert_eq!(g.hessian().eval(&[3.0, 4.0]).unwrap()[3..], [0.0; 4]);
    // an input nothing uses stays an input
    let g = Graph::record(&[1.0, 2.0, 3.0], |x| x[2].sin());
    assert_eq!((g.num_inputs(), g.num_nodes(), g.len()), (3, 4, 1));
    assert_eq!(
        g.gradient().eval(&[5.0, 6.0, 0.0]).unwrap(),
        vec![0.0, 0.0, 0.0, 1.0]
    );
    // the gradient of a linear function needs none of the function's nodes but the output
    let g = Graph::record(&[1.0, 2.0], |x| x[0] * 3.0 - x[1]).gradient();
    assert_eq!(g.len(), 2, "{g}");
    assert_eq!(g.eval(&[1.0, 1.0]).unwrap(), vec![2.0, 3.0, -1.0]);
    // a guard keeps its operands alive although no output uses them
    let g = Graph::record(&[1.0], |x| if x[0].exp() > 2.0 { x[0] } else { -x[0] });
    assert_eq!((g.num_guards(), g.len()), (1, 1), "{g}");
    assert!(g.to_string().contains("exp v0"), "{g}");
}

// ---------------------------------------------------------------------------------------------
// 5. DOT and the listing
// ---------------------------------------------------------------------------------------------

/// Checks that `dot` is well formed: balanced braces outside quoted strings, every edge's
/// endpoints declared as nodes, one `subgraph cluster_k` for each k in `0..=orders` and no other.
fn check_dot(dot: &str, orders: Option<usize>, what: &str) {
    // (a derivative that makes no node of its own, as the constant gradient of a linear
    // function, has no cluster: callers pass the highest order that makes nodes)
    let mut depth = 0i64;
    let mut in_string = false;
    let mut escaped = false;
    for c in dot.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '{' if !in_string => depth += 1,
            '}' if !in_string => {
                depth -= 1;
                assert!(depth >= 0, "{what}: unbalanced braces\n{dot}");
            }
            _ => {}
        }
    }
    assert!(
        depth == 0 && !in_string,
        "{what}: unbalanced braces or quotes\n{dot}"
    );
    assert!(dot.starts_with("digraph") && dot.trim_end().ends_with('}'));
    let mut declared = BTreeSet::new();
    let mut edges = Vec::new();
    let mut clusters = BTreeMap::new();
    for line in dot.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("subgraph cluster_") {
            let k: usize = rest.trim_end_matches(" {").parse().unwrap();
            *clusters.entry(k).or_insert(0) += 1;
        } else if let Some((a, rest)) = line.split_once(" -> ") {
            let b = rest.split([' ', ';']).next().unwrap();
            edges.push((a.to_string(), b.to_string()));
        } else if let Some((name, _)) = line.split_once(" [")
            && name != "node"
        {
            assert!(
                declared.insert(name.to_string()),
                "{what}: {name} declared twice"
            );
        }
    }
    for (a, b) in &edges {
        assert!(
            declared.contains(a) && declared.contains(b),
            "{what}: edge {a} -> {b} has an undeclared endpoint\n{dot}"
        );
    }
    if let Some(orders) = orders {
        let want: BTreeMap<usize, i32> = (0..=orders).map(|k| (k, 1)).collect();
        assert_eq!(clusters, want, "{what}: clusters\n{dot}");
    }
}

/// Checks the listing: one `vK = …` line per node, numbered 0.., one `gK: …` line per guard and
/// one `yK = vJ` line per output, and the header's counts.
fn check_listing(g: &Graph, what: &str) {
    let listing = g.to_string();
    let nodes: Vec<&str> = listing.lines().filter(|l| l.starts_with('v')).collect();
    assert_eq!(nodes.len(), g.num_nodes(), "{what}:\n{listing}");
    for (i, l) in nodes.iter().enumerate() {
        assert!(l.starts_with(&format!("v{i} = ")), "{what}: line {l}");
    }
    let guards = listing.lines().filter(|l| l.starts_with('g')).count();
    assert_eq!(
        guards,
        g.num_guards() + 1,
        "{what}: the header and the guards"
    );
    let outputs = listing.lines().filter(|l| l.starts_with('y')).count();
    assert_eq!(outputs, g.num_outputs(), "{what}");
    let header = listing.lines().next().unwrap();
    assert_eq!(
        header,
        format!(
            "graph: {}, {}, {}, {}, {}",
            counted(g.num_inputs(), "input"),
            counted(g.num_outputs(), "output"),
            counted(g.len(), "operation"),
            counted(g.num_guards(), "guard"),
            // the constants, so that data baked into a graph shows (issue "Data as parameters")
            counted(g.num_constants(), "constant")
        )
    );
}

#[test]
fn dot_and_listing_are_well_formed() {
    fn guarded<T: Float>(x: &[T]) -> T {
        let s = x[0].abs().max(x[1]) * x[0].sin();
        if s < k(1.5) {
            s.mul_add(x[1], x[0])
        } else {
            s.powf(x[1])
        }
    }
    let x: Vec<f64> = (0..5).map(|i| 0.2 * i as f64 + 0.1).collect();
    // per case: the highest order whose derivative makes nodes, for order 0, 1, 2 (None: not
    // checked, see `dot_clusters_name_the_derivative_order_that_made_the_nodes`)
    let cases: Vec<(&str, Graph, [Option<usize>; 3])> = vec![
        (
            "lecture",
            Graph::record(&[2.0, 5.0], lecture),
            [Some(0), Some(1), Some(2)],
        ),
        (
            "Rosenbrock",
            Graph::record(&x, rosenbrock),
            [Some(0), Some(1), Some(2)],
        ),
        (
            "guarded",
            Graph::record(&[0.5, 0.75], guarded),
            [Some(0), Some(1), Some(2)],
        ),
        (
            "sine of a product",
            Graph::record(&[1.0, 2.0], |v| (v[0] * v[1]).sin()),
            [Some(0), Some(1), Some(2)],
        ),
        (
            "linear, huge and NaN constants",
            Graph::record(&[1.0], |v| v[0] * 1e300 + f64::NAN),
            [Some(0), Some(0), None],
        ),
    ];
    for (name, g, clusters) in &cases {
        for (order, graph) in [(0, g.clone()), (1, g.gradient()), (2, g.hessian())] {
            let what = format!("{name}, order {order}");
            check_dot(&graph.to_dot(), clusters[order], &what);
            check_listing(&graph, &what);
        }
    }
    // the lecture's listing, exactly as in the lecture
    let g = Graph::record(&[2.0, 5.0], lecture);
    let lines: Vec<String> = g
        .to_string()
        .lines()
        .skip(1)
        .map(|l| l.split('#').next().unwrap().trim().to_string())
        .collect();
    assert_eq!(
        lines,
        [
            "v0 = x0",
            "v1 = x1",
            "v2 = ln v0",
            "v3 = v0 × v1",
            "v4 = v2 + v3",
            "v5 = sin v1",
            "v6 = v4 − v5",
            "y0 = v6"
        ]
    );
    // the guard diamonds of the DOT drawing are the listing's guards
    let g = Graph::record(&[0.5, 0.75], guarded).gradient();
    let diamonds = g
        .to_dot()
        .lines()
        .filter(|l| l.contains("shape=diamond"))
        .count();
    assert_eq!(diamonds, g.num_guards());
}

/// A chain of `n` operations (sine of a multiply-add, each with its own constant, so nothing is
/// shared or folded away).
fn chain<T: Float>(x: &[T], n: usize) -> T {
    let mut y = x[0];
    for i in 0..n / 3 {
        y = (y * x[1] + k(i as f64 + 0.5)).sin();
    }
    y
}

/// Checks that each node line of `g`'s listing sits under the section header of the DOT
/// cluster that draws it (the listing's sections against an independent oracle, the drawing).
fn check_listing_sections(g: &Graph, what: &str) {
    let dot = g.to_dot();
    let mut cluster_of = vec![usize::MAX; g.num_nodes()];
    let mut cluster = 0;
    let mut label = BTreeMap::new();
    for line in dot.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("subgraph cluster_") {
            cluster = rest.trim_end_matches(" {").parse().unwrap();
        } else if let Some(rest) = line.strip_prefix("label=\"") {
            label.insert(cluster, rest.trim_end_matches("\";").to_string());
        } else if !line.contains(" -> ")
            && let Some((name, _)) = line.split_once(" [label=")
            && let Some(i) = name.strip_prefix('v')
        {
            cluster_of[i.parse::<usize>().unwrap()] = cluster;
        }
    }
    let listing = g.to_string();
    // (a graph without derivative nodes is listed without section headers)
    let headed = listing.lines().any(|l| l.starts_with("# "));
    let mut section = (!headed).then(|| "function".to_string());
    let mut node = 0;
    for line in listing.lines() {
        if let Some(name) = line.strip_prefix("# ") {
            section = Some(name.to_string());
        } else if line.starts_with('v') {
            assert_eq!(
                section.as_deref(),
                Some(label[&cluster_of[node]].as_str()),
                "{what}: the section of v{node}"
            );
            node += 1;
        }
    }
    assert_eq!(node, g.num_nodes(), "{what}");
}

/// Issue 20, item 6 ("quadratic listing"): `Display for Graph` asked, for every line, whether any
/// node of the graph is a derivative node, so listing a graph took time quadratic in its size
/// (160 000 nodes: 10 s). A gradient graph of ≈ 200 000 nodes is listed correctly: one line per
/// node, each under the section of its DOT cluster.
#[test]
fn quadratic_listing_of_a_large_gradient_graph() {
    let g = Graph::record(&[0.3, 0.7], |x| chain(x, 67_000)).gradient();
    assert!(g.num_nodes() > 190_000, "{} nodes", g.num_nodes());
    check_listing(&g, "large gradient graph");
    check_listing_sections(&g, "large gradient graph");
    // and the small cases, whose sections are easier to read when this fails
    for g in [
        Graph::record(&[2.0, 5.0], lecture),
        Graph::record(&[2.0, 5.0], lecture).gradient(),
        Graph::record(&[2.0, 5.0], lecture).hessian(),
    ] {
        check_listing_sections(&g, &format!("lecture, order {}", g.derivative_order()));
    }
}

/// Times the listing and the DOT drawing of gradient graphs of about 40 000 and 160 000 nodes
/// (issue 20, "quadratic listing"; prints, asserts nothing about time):
/// `cargo test --release --test graph listing_time -- --ignored --nocapture`.
#[test]
#[ignore = "prints timings"]
fn listing_time() {
    for ops in [13_400, 53_400] {
        let g = Graph::record(&[0.3, 0.7], |x| chain(x, ops)).gradient();
        let t = std::time::Instant::now();
        let listing = g.to_string();
        let listed = t.elapsed();
        let t = std::time::Instant::now();
        let dot = g.to_dot();
        let drawn = t.elapsed();
        println!(
            "{} nodes: listing {listed:?} ({} bytes), DOT {drawn:?} ({} bytes)",
            g.num_nodes(),
            listing.len(),
            dot.len()
        );
    }
}

/// The DOT clusters (and the listing's section headers) name the derivative order that first made
/// each node (`origin`: "0 for a node of the recorded function, k for a node first made by the
/// k-th derivative"). Two cases where they do not:
///
/// 1. When the gradient graph has no node of its own (the gradient of x₀x₁ is (x₁, x₀), two
///    inputs), the Hessian's new nodes — the constants 0 = ∂²f/∂x₀² and 1 = ∂²f/∂x₀∂x₁, made by
///    the sweep over the gradient graph — are drawn in `cluster_1` "first derivative" instead of
///    `cluster_2` "second derivative": `Graph::replay` gives new nodes the level one above the
///    highest origin present, not the derivative order of the graph it replays.
/// 2. A constant output of the function (`v1 = 3` in the function graph of `|_| 3`) is listed
///    under "# first derivative" in its gradient graph: `replay` turns constant nodes into
///    `Sym::constant`s, and the output re-materialises it at the derivative's level.
#[test]
fn dot_clusters_name_the_derivative_order_that_made_the_nodes() {
    let h = Graph::record(&[1.0, 2.0], |v| v[0] * v[1]).hessian();
    assert!(h.to_dot().contains("subgraph cluster_2"), "{}", h.to_dot());
    assert!(h.to_string().contains("# second derivative"), "{h}");
    assert!(!h.to_string().contains("# first derivative"), "{h}");

    let g = Graph::record(&[1.0], |_| Sym::constant(3.0)).gradient();
    let listing = g.to_string();
    let function_part = listing.split("# first derivative").next().unwrap();
    assert!(
        function_part.contains("v1 = 3"),
        "the function's constant output:\n{listing}"
    );
}

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

// ---------------------------------------------------------------------------------------------
// 7. Errors and panics
// ---------------------------------------------------------------------------------------------

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

/// Wrong input and output lengths are errors (not panics, not numbers), with messages that give
/// both lengths.
#[test]
fn wrong_lengths_are_errors() {
    let g = Graph::record(&[2.0, 5.0], lecture).gradient();
    for x in [&[1.0][..], &[1.0, 2.0, 3.0], &[]] {
        let err = g.eval(x).unwrap_err();
        assert_eq!(
            err,
            GraphError::InputLength {
                expected: 2,
                found: x.len()
            }
        );
        assert_eq!(
            err.to_string(),
            format!(
                "the graph has 2 inputs but the input given has {} {}",
                x.len(),
                if x.len() == 1 { "value" } else { "values" }
            )
        );
    }
    let mut e = g.program().evaluator::<f64>();
    for len in [0, 2, 4] {
        let mut out = vec![0.0; len];
        let err = e.eval_into(&[1.0, 2.0], &mut out).unwrap_err();
        assert_eq!(
            err,
            GraphError::OutputLength {
                expected: 3,
                found: len
            }
        );
        assert!(
            err.to_string().contains("3 outputs")
                && err.to_string().contains(&format!("{len} entries"))
        );
        assert!(out.iter().all(|&v| v == 0.0), "nothing written");
    }
    // a wrong input is checked before the output buffer, and the evaluator still works after
    let mut out = [0.0; 3];
    assert!(matches!(
        e.eval_into(&[1.0], &mut out),
        Err(GraphError::InputLength { .. })
    ));
    e.eval_into(&[1.0, 0.0], &mut out).unwrap();
    assert_eq!(out[1], 1.0);
    // an error is a std::error::Error
    let boxed: Box<dyn std::error::Error> = Box::new(g.eval(&[]).unwrap_err());
    assert!(boxed.to_string().starts_with("the graph has 2 inputs"));
    // a guard error leaves the evaluator usable, and a failed evaluation writes nothing
    let g = Graph::record(&[1.0], |x| if x[0] > 0.0 { x[0] } else { -x[0] });
    let mut e = g.program().evaluator::<f64>();
    let mut out = [7.0];
    assert!(e.eval_into(&[-1.0], &mut out).is_err());
    assert_eq!(out, [7.0]);
    e.eval_into(&[3.0], &mut out).unwrap();
    assert_eq!(out, [3.0]);
}

/// `gradient()` and `hessian()` need exactly one output, and say so.
#[test]
fn gradient_of_several_outputs_panics_clearly() {
    let g = Graph::record_vec(&[1.0, 2.0], |x| vec![x[0] * x[1], x[0].sin()]);
    let msg = panics(|| g.gradient());
    assert!(
        msg.contains("2 outputs") && msg.contains("exactly one") && msg.contains("jacobian"),
        "{msg}"
    );
    let msg = panics(|| g.hessian());
    assert!(msg.contains("2 outputs"), "{msg}");
    let g = Graph::record_vec(&[1.0], |_| Vec::new());
    assert_eq!(g.num_outputs(), 0);
    assert!(panics(|| g.gradient()).contains("0 outputs"));
    // the Jacobian of no outputs is empty, not a panic
    assert_eq!(g.jacobian().eval(&[1.0]).unwrap(), Vec::<f64>::new());
}

/// A `Sym` of one recording used in another, or outside of any recording, panics with a message
/// that says what happened; the thread's recording state is clean afterwards.
#[test]
fn syms_of_another_recording_panic_clearly() {
    let leaked = Cell::new(None::<Sym>);
    let g = Graph::record(&[1.0], |x| {
        leaked.set(Some(x[0]));
        x[0].sin()
    });
    let old = leaked.get().unwrap();
    assert_eq!(
        (old.value(), old.node(), old.is_constant()),
        (1.0, Some(0), false)
    );

    // used in an operation of another recording
    let msg = panics(|| Graph::record(&[2.0], |x| x[0] + old));
    assert!(msg.contains("another graph recording"), "{msg}");
    let msg = panics(|| Graph::record(&[2.0], |x| x[0].atan2(old)));
    assert!(msg.contains("another graph recording"), "{msg}");
    // compared in another recording
    let msg = panics(|| Graph::record(&[2.0], |x| if x[0] < old { x[0] } else { old }));
    assert!(msg.contains("another graph recording"), "{msg}");
    // returned as the output of another recording
    let msg = panics(|| Graph::record(&[2.0], |_| old));
    assert!(msg.contains("another graph recording"), "{msg}");
    // alone, in another recording (the recording active is not its own)
    let msg = panics(|| Graph::record(&[2.0], |x| old.sin() + x[0]));
    assert!(msg.contains("another graph recording"), "{msg}");
    // outside of any recording
    let msg = panics(|| old.sin());
    assert!(msg.contains("outside of its recording"), "{msg}");
    let msg = panics(|| old * 2.0);
    assert!(msg.contains("outside of its recording"), "{msg}");
    let msg = panics(|| old.is_nan());
    assert!(msg.contains("outside of its recording"), "{msg}");

    // constants need no recording
    let c = Sym::constant(2.0);
    assert_eq!((c * 3.0).sin().value(), 6f64.sin());
    assert!(c.is_constant() && c.node().is_none());

    // after all these panics this thread records and evaluates as before
    assert_eq!(g.eval(&[0.5]).unwrap(), vec![0.5f64.sin()]);
    let again = Graph::record(&[2.0, 5.0], lecture);
    assert_eq!(again.len(), 5);
    assert_eq!(again.gradient().eval(&[2.0, 5.0]).unwrap()[1], 5.5);
    // and a panic inside the recorded function leaves no recording behind
    let msg = panics(|| Graph::record(&[1.0], |_| panic!("user panic")));
    assert_eq!(msg, "user panic");
    assert!(panics(|| old.cos()).contains("outside of its recording"));
    assert_eq!(
        Graph::record(&[3.0], |x| x[0] * x[0]).eval(&[4.0]).unwrap(),
        vec![16.0]
    );
}

/// A recording inside a recording: the inner one is independent (its numbers enter the outer one
/// as constants), and the outer one continues after it.
#[test]
fn nested_recordings_are_independent() {
    let g = Graph::record(&[1.0], |x| {
        let inner = Graph::record(&[2.0], |y| y[0] * y[0]);
        let nine = inner.eval(&[3.0]).unwrap()[0];
        x[0] * nine
    });
    assert_eq!(g.len(), 1);
    assert_eq!(g.eval(&[2.0]).unwrap(), vec![18.0]);
    // the outer recording's Sym inside the inner one panics
    let msg = panics(|| {
        drop(Graph::record(&[1.0], |x| {
            let outer = x[0];
            drop(Graph::record(&[2.0], |y| y[0] * outer));
            outer
        }))
    });
    assert!(msg.contains("another graph recording"), "{msg}");
    // both recordings ended while unwinding
    assert_eq!(Graph::record(&[3.0], |x| x[0].exp()).len(), 1);
}

// ---------------------------------------------------------------------------------------------
// 9. nalgebra
// ---------------------------------------------------------------------------------------------

/// det of the 3×3 matrix with rows (x₀, x₁, x₂), (x₃, x₄, x₅), (x₆, x₇, x₈), through nalgebra.
fn det3<T: nalgebra::RealField + Copy>(x: &[T]) -> T {
    nalgebra::Matrix3::from_row_slice(x).determinant()
}

/// ‖A v‖ for a 2×3 matrix A and a 3-vector v made of the inputs, plus the trace of AᵀA.
fn norm_of_product<T: nalgebra::RealField + Copy>(x: &[T]) -> T {
    let a = nalgebra::Matrix2x3::from_row_slice(&x[..6]);
    let v = nalgebra::Vector3::new(x[6], x[7], x[8]);
    (a * v).norm() + (a.transpose() * a).trace()
}

/// The determinant of a 4×4 matrix: LU with partial pivoting, whose pivot choices are guards.
fn det4<T: nalgebra::RealField + Copy>(x: &[T]) -> T {
    nalgebra::Matrix4::from_row_slice(x).determinant()
}

/// Code written over nalgebra's `RealField` records into a graph (`Sym` is a `RealField`), and the
/// graph gradient at other points matches forward mode (`nilpotent::gradient` on duals, which are
/// `RealField` too) within [`EXPR_RTOL`] of the largest entry (sums of many products, summed in
/// another order) and finite differences within [`FD_RTOL`].
#[test]
fn nalgebra_code_records_into_a_graph() {
    /// The three functions, callable on any `RealField` (a closure cannot be generic).
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Na {
        Det3,
        Norm,
        Det4,
    }
    impl Na {
        fn call<T: nalgebra::RealField + Copy>(self, x: &[T]) -> T {
            match self {
                Na::Det3 => det3(x),
                Na::Norm => norm_of_product(x),
                Na::Det4 => det4(x),
            }
        }
    }
    let mut rng = Rng::for_test("graph nalgebra");
    let (mut worst_fd, mut worst_modes) = (Worst::default(), Worst::default());
    for (f, n) in [(Na::Det3, 9), (Na::Norm, 9), (Na::Det4, 16)] {
        let x0 = rng.vec(n, -2.0, 2.0);
        let g = Graph::record(&x0, |x| f.call(x));
        let grad = g.gradient();
        if f == Na::Det4 {
            assert!(g.num_guards() > 0, "{f:?}: the pivoting is a branch");
        } else {
            // closed forms, no branch (nalgebra's 3×3 determinant is the cofactor formula)
            assert_eq!(grad.num_guards(), 0, "{f:?}:\n{g}");
        }
        for t in 0..20 {
            // the recording point, then points moved by up to 0.3 per coordinate
            let r = if t == 0 { 0.0 } else { 0.3 };
            let p: Vec<f64> = x0.iter().map(|&v| v + rng.uniform(-r, r)).collect();
            let out = match grad.eval(&p) {
                Ok(out) => out,
                Err(GraphError::Guard { .. }) => {
                    let again = Graph::record(&p, |x| f.call(x)).gradient();
                    again.eval(&p).unwrap()
                }
                Err(e) => panic!("{f:?}: {e}"),
            };
            assert!(same_f64(out[0], f.call(&p)), "{f:?} at {p:?}: value");
            let (_, fg) = gradient(|x| f.call(x), &p);
            let fdg = fd_gradient(|x| f.call(x), &p);
            let gscale = max_abs(fg.iter().copied()).max(1.0);
            for j in 0..n {
                let a = out[1 + j];
                worst_modes.note(rel_err(a, fg[j], gscale), || format!("{f:?} ∂{j}"));
                assert!(
                    close(a, fg[j], EXPR_RTOL, gscale),
                    "{f:?} ∂{j} at {p:?}: {a:e} vs forward {:e}",
                    fg[j]
                );
                let scale = out[0].abs().max(gscale);
                worst_fd.note(rel_err(a, fdg[j], scale), || format!("{f:?} ∂{j}"));
                assert!(close(a, fdg[j], FD_RTOL, scale), "{f:?} ∂{j} at {p:?}");
            }
        }
    }
    println!(
        "nalgebra: gradient vs forward {:.1e} at {} (tolerance {EXPR_RTOL:e}), vs finite \
         differences {:.1e} at {} (tolerance {FD_RTOL:e})",
        worst_modes.err, worst_modes.at, worst_fd.err, worst_fd.at
    );
}

// ---------------------------------------------------------------------------------------------
// 10. Node counts
// ---------------------------------------------------------------------------------------------

/// Operations in the function, gradient and Hessian graphs of a few test functions (printed with
/// `--nocapture`), and the cheap-gradient principle: the gradient graph (which contains the
/// function) has at most 5 times the function graph's operations.
#[test]
fn node_count_report_and_cheap_gradient() {
    let mut rng = Rng::for_test("graph node counts");
    let rosen_x = rng.vec(16, -1.0, 1.0);
    let det_x = rng.vec(9, -1.0, 1.0);
    let logistic_x = rng.vec(5, -1.0, 1.0);
    let cases: [(&str, Graph); 4] = [
        ("lecture (n = 2)", Graph::record(&[2.0, 5.0], lecture)),
        ("Rosenbrock (n = 16)", Graph::record(&rosen_x, rosenbrock)),
        ("3×3 determinant (n = 9)", Graph::record(&det_x, det3)),
        (
            "logistic loss (n = 5, 8 samples)",
            Graph::record(&logistic_x, logistic_loss),
        ),
    ];
    println!(
        "{:<34} {:>8} {:>9} {:>8} {:>7} {:>9}",
        "function", "f ops", "∇f ops", "H ops", "∇f / f", "H slots"
    );
    for (name, g) in &cases {
        let (grad, hess) = (g.gradient(), g.hessian());
        let ratio = grad.len() as f64 / g.len() as f64;
        println!(
            "{name:<34} {:>8} {:>9} {:>8} {ratio:>7.2} {:>9}",
            g.len(),
            grad.len(),
            hess.len(),
            hess.program().num_slots()
        );
        assert!(
            grad.len() <= 5 * g.len(),
            "{name}: the gradient graph has {} operations, the function {}",
            grad.len(),
            g.len()
        );
        // the gradient graph contains the function's operations, the Hessian graph the gradient's
        assert!(g.len() <= grad.len() && grad.len() <= hess.len());
        // the programs run every operation once (fused pairs count once) and check every guard
        assert!(grad.program().len() <= grad.len() + grad.num_guards());
    }
}

/// "1 input", "2 inputs": the listing's header counts in words.
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
