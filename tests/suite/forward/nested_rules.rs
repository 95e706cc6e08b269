//! Walks the whole rule table ([`Unary::ALL`] with `Powi(n)` for several `n`, [`Binary::ALL`] and
//! `mul_add`) at **second and third order**, through the public API (operators and `Float`
//! methods), in every way the crate nests:
//!
//! * forward over forward: `Dual<Dual<f64, 1>, 1>` and `Dual<Dual<Dual<f64, 1>, 1>, 1>` along a
//!   direction (one-variable restrictions, also [`second_derivative`] and [`third_derivative`]), and
//!   full Hessians ([`hessian`] on `Dual<Dual<f64, 8>, 8>`, [`hessian_with`] on
//!   `Dual<Dual<f64, 2>, 2>`), so that the mixed partials of the binary entries are exercised;
//! * forward over reverse: [`reverse::hessian`] and [`reverse::hvp`] (the function runs on
//!   `Var<Dual<f64, N>>`), and a third-order directional derivative from a tape of
//!   `Dual<Dual<f64, 1>, 1>` values.
//!
//! # The oracle
//!
//! Second derivatives are compared with central finite differences (two Richardson levels,
//! `tests/suite/common`) **of the first derivative computed by plain forward mode** (`Dual<f64, N>`,
//! itself checked against finite differences of the function by `tests/suite/base/rules.rs`), and third
//! derivatives with finite differences of the second derivative computed by nested duals. The
//! modes are also compared with each other (forward over forward against forward over reverse, and
//! the second-order parts of a third-order result against the second-order result).
//!
//! Points: random in-domain points (the domains of `tests/suite/base/rules.rs`: samples at least 2h
//! from jumps and kinks and ≥ 0.1 from singularities), and special points: 0, ±0, ±1, ±½, ±2,
//! exponents 0 and 1, ties x = y, the origin. Where the function is smooth on a neighbourhood of
//! the point, finite differences are the oracle. Where it is not differentiable (a kink or jump:
//! `abs` at ±0, `floor` at an integer, `max`/`min` ties, `rem` where x/y is an integer, `atan2` and
//! `hypot` at the origin, `powf` at x = 0) differences across the kink mean nothing; there the
//! documented convention is checked instead (README "Conventions", `src/rules.rs`): the first
//! derivative the convention prescribes, zero higher derivatives where the convention's partial is
//! a constant, no NaN where the convention gives a number, and the same numbers in every mode.
//!
//! Why special points matter: a rule that branches on a value and returns a constant where the
//! exact partial's own derivative is not zero is right at first order and wrong under nesting.
//! Random points never hit such a value exactly; the special points do.
//!
//! Inputs come from a seeded generator (seed overridable with `NILPOTENT_TEST_SEED`); every failure
//! message names the entry and the point. `cargo test --test suite forward::nested_rules -- --nocapture`
//! prints the worst relative error seen against each oracle.
//!
//! One point is not twice differentiable and its result is a documented convention that depends on
//! the order of differentiation: [`powf_at_zero_base_mixed_partial_depends_on_the_order`].

use crate::common;
use crate::common::domains::{binary_domain, unary_domain};

use std::ops::{Add, Div, Mul, Rem, Sub};

use common::{
    Rng, Worst, apply_binary, apply_mul_add, apply_unary, f64_binary, rel_err, richardson,
};
use common::{same_f64, same_value, step};
use nalgebra::DMatrix;
use nilpotent::Elementary;
use nilpotent::reverse::{self, Tape, Var};
use nilpotent::rules::{Binary, Unary};
use nilpotent::{
    Chunk, DEFAULT_CHUNK, Dual, derivative, gradient, hessian, hessian_with, hvp,
    second_derivative, third_derivative,
};
use num_traits::{Euclid, Float};

/// Random points per table entry in each random-point test. Each point costs about 60 function
/// evaluations on the various number types; with 53 entries the whole file runs in about 1.5 s
/// in a debug build on two cores (≈ 0.9 s of CPU time).
const CASES: usize = 200;

/// Tolerance of a second (third) derivative against finite differences of the first (second),
/// relative to max(|result|, |oracle|, |differenced derivative|, 1).
///
/// The Richardson estimate (step [`H_FD`]) has truncation error O(h⁶·g⁽⁷⁾) for the differenced
/// derivative g; every sample is ≥ 2h from a jump and ≥ 0.1 from a singularity, so (h/0.1)⁶ =
/// 1e-12 times modest constants. Its rounding error is ≈ 10·ε·|g|/h ≈ 2e-12·|g| (hence |g| in the
/// scale), plus ≲ 1e-11·|g′| from rounding x + t for |x| ≤ 10. A wrong rule (a missing
/// term, a constant instead of an expression) is an O(1) error, so 1e-8 separates the two by
/// orders of magnitude. The worst errors seen are ≈ 1e-11 (printed with `--nocapture`).
const RTOL_FD: f64 = 1e-8;

/// The step of every finite difference: 1e-3 whatever the point.
///
/// All points have coordinates of magnitude ≤ 10, so a step proportional to the point (as
/// `common::step`) buys nothing against rounding here (see [`RTOL_FD`]), while it would bring
/// the differences of `log` at x ≈ 10 with a base y ≈ 0.14 within h = 1e-2 of the singularity at
/// y = 0 (an O((h/y)⁶) ≈ 1e-7 truncation error).
const H_FD: f64 = 1e-3;

/// Tolerance between two modes (forward over forward against forward over reverse, chunk widths,
/// a second-order result against the second-order parts of a third-order one), relative to the
/// larger of the compared derivative and the derivatives one order lower at the point (max |Hᵢⱼ|
/// and max |∂ᵢf| for a Hessian entry; |f‴|, |f″| and |f′| for a third derivative).
///
/// Both sides evaluate the same rules on the same values, but in a different order (a Hessian
/// entry comes from d/dx ∂f/∂y on one side and from the average of d/dx ∂f/∂y and d/dy ∂f/∂x on the
/// other; H·v is (a·v + b·v) on one side and (a + b)·v on the other): a few roundings of the terms
/// that a derivative sums. Those terms are of the size of the result or of the lower derivatives:
/// asin″(x) = x/(1 − x²)^{3/2} at x ≈ 1e-4 is the sum −(1 + x) + (1 − x) scaled by asin′³, terms
/// ≈ 1e4 times the result. So: a few ulps of that scale; 1e-12 (≈ 4500 ε) is still 4 orders below
/// [`RTOL_FD`].
const RTOL_MODES: f64 = 1e-12;

/// The exponents for which `Unary::Powi(n)` is walked besides the `Powi(3)` of `Unary::ALL`.
const POWI_EXPONENTS: [i32; 7] = [-3, -2, -1, 0, 1, 2, 4];

/// The special arguments tried for every unary entry (classified by [`unary_point_kind`]).
const UNARY_SPECIAL: [f64; 8] = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0];

type D1 = Dual<f64, 1>;
type D2 = Dual<Dual<f64, 1>, 1>;
type D3 = Dual<Dual<Dual<f64, 1>, 1>, 1>;
/// The value type of `reverse::hessian` (forward over reverse, 8 lanes).
type DH = Dual<f64, DEFAULT_CHUNK>;

// ---------------------------------------------------------------------------------------------
// Entries and how to apply them
// ---------------------------------------------------------------------------------------------

/// One entry of the rule table, as a function of `arity()` arguments.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Entry {
    Unary(Unary),
    Binary(Binary),
    MulAdd,
}

impl Entry {
    /// The number of arguments.
    fn arity(self) -> usize {
        match self {
            Entry::Unary(_) => 1,
            Entry::Binary(_) => 2,
            Entry::MulAdd => 3,
        }
    }
}

/// Applies an entry through the public API of `F` (see `tests/suite/common`: operators, `Float`
/// methods, `Euclid::rem_euclid`, `Float::mul_add`).
fn apply_entry<F: Float + Euclid + Elementary>(e: Entry, a: &[F]) -> F {
    match e {
        Entry::Unary(op) => apply_unary(op, a[0]),
        Entry::Binary(op) => apply_binary(op, a[0], a[1]),
        Entry::MulAdd => apply_mul_add(a[0], a[1], a[2]),
    }
}

/// The `f64` oracle of an entry: [`apply_entry`] on `f64`, but `max`/`min` by the bits
/// ([`f64_binary`]: `f64::max` leaves the tie of ±0 unspecified).
fn f64_entry(e: Entry, a: &[f64]) -> f64 {
    match e {
        Entry::Binary(op) => f64_binary(op, a[0], a[1]),
        _ => apply_entry(e, a),
    }
}

/// Every unary entry: `Unary::ALL` and `Powi(n)` for each of [`POWI_EXPONENTS`].
fn unary_entries() -> Vec<Unary> {
    let mut v = Unary::ALL.to_vec();
    for n in POWI_EXPONENTS {
        if !v.contains(&Unary::Powi(n)) {
            v.push(Unary::Powi(n));
        }
    }
    v
}

/// How a one-variable restriction of a binary or `mul_add` entry holds its other arguments fixed.
#[derive(Clone, Copy, Debug)]
enum Form {
    /// Every other argument is `F::from(c)`, a number with zero tangents (for `powf` with a constant
    /// exponent this takes the constant-operand path `binary_const_rhs`).
    FromConstant,
    /// `t ∘ c` with `c` of the part type (`Dual<D, N> ∘ D`, `Var<T> ∘ T`): the operator forms with a
    /// plain scalar right operand. Only for `+ − × / %`, variable on the left.
    PartOperator,
}

/// `t ∘ c` through the operator with a right operand of the part type `S`, for the entries that
/// have one (`+ − × / %`). No `_` arm.
fn apply_part_operator<F, S>(op: Binary, t: F, c: S) -> Option<F>
where
    F: Add<S, Output = F> + Sub<S, Output = F> + Mul<S, Output = F>,
    F: Div<S, Output = F> + Rem<S, Output = F>,
{
    match op {
        Binary::Add => Some(t + c),
        Binary::Sub => Some(t - c),
        Binary::Mul => Some(t * c),
        Binary::Div => Some(t / c),
        Binary::Rem => Some(t % c),
        Binary::RemEuclid
        | Binary::Powf
        | Binary::Log
        | Binary::Atan2
        | Binary::Hypot
        | Binary::Max
        | Binary::Min
        | Binary::AbsSub => None,
    }
}

/// True if `form` exists for argument `k` of `e`.
fn form_applies(e: Entry, k: usize, form: Form) -> bool {
    match (form, e) {
        (Form::FromConstant, _) => e.arity() > 1,
        (Form::PartOperator, Entry::Binary(op)) => {
            k == 0 && apply_part_operator(op, 0.0, 1.0).is_some()
        }
        (Form::PartOperator, _) => false,
    }
}

/// The restriction `t ↦ e(p₀, …, t, …)` (t in slot `k`, the other arguments the constants `p[j]`)
/// evaluated at `t` of type `F`; `part` lifts a constant to the part type `S` of `F` for
/// [`Form::PartOperator`].
fn apply_restricted<F, S>(e: Entry, p: &[f64], k: usize, form: Form, t: F, part: fn(f64) -> S) -> F
where
    F: Float
        + Euclid
        + nilpotent::Elementary
        + Add<S, Output = F>
        + Sub<S, Output = F>
        + Mul<S, Output = F>,
    F: Div<S, Output = F> + Rem<S, Output = F>,
{
    match (form, e) {
        (Form::PartOperator, Entry::Binary(op)) => {
            assert_eq!(k, 0, "the part-operator form has the variable on the left");
            apply_part_operator(op, t, part(p[1])).expect("form_applies was checked")
        }
        _ => {
            let args: Vec<F> = (0..p.len())
                .map(|j| if j == k { t } else { F::from(p[j]).unwrap() })
                .collect();
            apply_entry(e, &args)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Directional derivatives of every order
// ---------------------------------------------------------------------------------------------

/// `p + u·ε` on `Dual<f64, 1>`: g(t) = e(p + t·u) gives (g, g′) at t = 0.
fn along1(e: Entry, p: &[f64], u: &[f64]) -> D1 {
    let a: Vec<D1> = p.iter().zip(u).map(|(&x, &d)| D1::new(x, [d])).collect();
    apply_entry(e, &a)
}

/// Second-order seeds `x + u·ε₁ + u·ε₂` on `Dual<Dual<f64, 1>, 1>`: the result's parts are
/// `re.re = g`, `re.eps[0] = eps[0].re = g′`, `eps[0].eps[0] = g″` for g(t) = e(p + t·u). With one
/// argument and u = 1 these are exactly the seeds of [`second_derivative`].
fn along2(e: Entry, p: &[f64], u: &[f64]) -> D2 {
    let a: Vec<D2> = p
        .iter()
        .zip(u)
        .map(|(&x, &d)| D2::new(D1::new(x, [d]), [D1::constant(d)]))
        .collect();
    apply_entry(e, &a)
}

/// Third-order seeds `x + u·(ε₁ + ε₂ + ε₃)` on three nested levels: `eps[0].eps[0].eps[0] = g‴`,
/// and each of the three second-order parts is g″.
fn along3(e: Entry, p: &[f64], u: &[f64]) -> D3 {
    let a: Vec<D3> = p
        .iter()
        .zip(u)
        .map(|(&x, &d)| {
            let inner = D2::new(D1::new(x, [d]), [D1::constant(d)]);
            D3::new(inner, [D2::constant(D1::constant(d))])
        })
        .collect();
    apply_entry(e, &a)
}

/// (g′, g″, g‴) of g(t) = e(p + t·u) by forward over forward over reverse: one recording on a tape
/// of `Dual<Dual<f64, 1>, 1>` values seeded `x + u(ε₁ + ε₂)`, one backward sweep. The adjoint of
/// input i is ∂ᵢe at the seeded point, whose parts are ∂ᵢe, (∇∂ᵢe·u) and uᵀ∇²(∂ᵢe)u; summing them
/// against u gives g′, g″ and g‴.
fn reverse_along(e: Entry, p: &[f64], u: &[f64]) -> (f64, f64, f64) {
    let a: Vec<D2> = p
        .iter()
        .zip(u)
        .map(|(&x, &d)| D2::new(D1::new(x, [d]), [D1::constant(d)]))
        .collect();
    let mut tape = Tape::new();
    let y = tape.record(&a, |v| apply_entry(e, v));
    let adj = tape.backward(y);
    let mut g = (0.0, 0.0, 0.0);
    for (ai, &d) in adj.iter().zip(u) {
        g.0 += d * ai.re.re;
        g.1 += d * ai.eps[0].re;
        g.2 += d * ai.eps[0].eps[0];
    }
    g
}

/// p + t·u.
fn shifted(p: &[f64], u: &[f64], t: f64) -> Vec<f64> {
    p.iter().zip(u).map(|(x, d)| x + t * d).collect()
}

/// The largest |entry| of a matrix.
fn max_abs(h: &DMatrix<f64>) -> f64 {
    h.iter().fold(0.0_f64, |m, v| m.max(v.abs()))
}

/// The largest |entry| of a vector.
fn max_abs_vec(v: &[f64]) -> f64 {
    v.iter().fold(0.0_f64, |m, x| m.max(x.abs()))
}

/// The derivative at 0 of `g` by Richardson-extrapolated central differences with step [`H_FD`].
fn fd(g: impl FnMut(f64) -> f64) -> f64 {
    richardson(g, H_FD)
}

/// The Hessian estimate jac[i][j] = ∂(∂ᵢf)/∂xⱼ: central differences (step [`H_FD`]) of the
/// gradient computed by plain forward mode, one Richardson estimate per entry.
fn fd_hessian(forward_gradient: impl Fn(&[f64]) -> Vec<f64>, p: &[f64]) -> Vec<Vec<f64>> {
    let n = p.len();
    let mut jac = vec![vec![0.0; n]; n];
    for j in 0..n {
        let mut ej = vec![0.0; n];
        ej[j] = 1.0;
        for (i, row) in jac.iter_mut().enumerate() {
            row[j] = fd(|s| forward_gradient(&shifted(p, &ej, s))[i]);
        }
    }
    jac
}

// ---------------------------------------------------------------------------------------------
// Book-keeping
// ---------------------------------------------------------------------------------------------

/// The worst relative error seen against each oracle, and the number of checks made.
#[derive(Default)]
struct Tally {
    fd2: Worst,
    fd3: Worst,
    modes: Worst,
    checks: usize,
}

impl Tally {
    /// `a` (from AD) against the finite-difference oracle `b` for a second derivative, relative
    /// to max(|a|, |b|, floor) with floor = max(|differenced derivative|, 1) (see [`RTOL_FD`]).
    #[track_caller]
    fn fd2(&mut self, a: f64, b: f64, differenced: f64, what: impl Fn() -> String) {
        let floor = differenced.abs().max(1.0);
        let err = rel_err(a, b, floor);
        self.fd2.note(err, &what);
        self.checks += 1;
        assert!(
            err <= RTOL_FD,
            "{}: AD gives {a:e}, finite differences of the first derivative give {b:e} \
             (relative error {err:.2e}, tolerance {RTOL_FD:e})",
            what()
        );
    }

    /// The same for a third derivative (the oracle differences the second derivative).
    #[track_caller]
    fn fd3(&mut self, a: f64, b: f64, differenced: f64, what: impl Fn() -> String) {
        let floor = differenced.abs().max(1.0);
        let err = rel_err(a, b, floor);
        self.fd3.note(err, &what);
        self.checks += 1;
        assert!(
            err <= RTOL_FD,
            "{}: AD gives {a:e}, finite differences of the second derivative give {b:e} \
             (relative error {err:.2e}, tolerance {RTOL_FD:e})",
            what()
        );
    }

    /// Two modes' results `a` and `b` agree within [`RTOL_MODES`] relative to
    /// max(|a|, |b|, scale). Both must be finite.
    #[track_caller]
    fn modes(&mut self, a: f64, b: f64, scale: f64, what: impl Fn() -> String) {
        assert!(
            a.is_finite() && b.is_finite(),
            "{}: {a:e} vs {b:e} (not finite)",
            what()
        );
        let err = if a == b {
            0.0
        } else {
            rel_err(a, b, scale.abs().max(f64::MIN_POSITIVE))
        };
        self.modes.note(err, &what);
        self.checks += 1;
        assert!(
            err <= RTOL_MODES,
            "{}: {a:e} vs {b:e} (relative error {err:.2e}, tolerance {RTOL_MODES:e})",
            what()
        );
    }

    /// An exact expectation from a documented convention (or a closed form): equal as numbers
    /// (+0 = −0), so in particular not NaN.
    #[track_caller]
    fn exact(&mut self, got: f64, want: f64, what: impl Fn() -> String) {
        self.checks += 1;
        assert!(got == want, "{}: {got:e}, expected {want:e}", what());
    }

    /// The value of every mode is the `f64` result bit for bit.
    #[track_caller]
    fn value(&mut self, got: f64, want: f64, what: impl Fn() -> String) {
        self.checks += 1;
        assert!(
            same_f64(got, want),
            "{}: value {got:e}, f64 gives {want:e}",
            what()
        );
    }

    /// Prints the number of checks and the worst errors (visible with `--nocapture`).
    fn report(&self, test: &str) {
        println!(
            "{test}: {} checks; worst relative error: second order vs FD {:.2e} at {}; \
             third order vs FD {:.2e} at {}; between modes {:.2e} at {}",
            self.checks,
            self.fd2.err,
            self.fd2.at,
            self.fd3.err,
            self.fd3.at,
            self.modes.err,
            self.modes.at
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The checks at one point
// ---------------------------------------------------------------------------------------------

/// Checks entry `e` at a point `p` where it is smooth on a neighbourhood (the ±2h box):
///
/// * the Hessian from forward over forward (`hessian`, chunk 8, and `hessian_with`, chunk 2) and
///   from forward over reverse (`reverse::hessian`) against finite differences of the forward
///   gradient (`gradient`, `Dual<f64, 8>`), and against each other; values bit for bit, gradients
///   against the forward gradient;
/// * H·v from `reverse::hvp` and from `hvp` (forward over forward) along `v` and along each unit
///   vector, against the Hessian;
/// * along the direction `u`: g″ from `Dual<Dual<f64, 1>, 1>` against finite differences of g′ from
///   `Dual<f64, 1>` and against uᵀHu; g‴ from three levels against finite differences of g″; all
///   second-order parts of the third-order result, and the tape of `Dual<Dual<f64, 1>, 1>`, against
///   the two-level results.
fn check_smooth(e: Entry, p: &[f64], u: &[f64], v: &[f64], t: &mut Tally) {
    let n = p.len();
    let at = || format!("{e:?} at {p:?}");
    let value = f64_entry(e, p);
    let forward_gradient = |q: &[f64]| gradient(|a| apply_entry(e, a), q).1;
    let grad = forward_gradient(p);
    let gscale = max_abs_vec(&grad);

    // Hessians in three ways
    let (vf, gf, hf) = hessian(|a| apply_entry(e, a), p);
    let (vf2, gf2, hf2) = hessian_with(|a| apply_entry(e, a), p, Chunk::<2>);
    let (vr, gr, hr) = reverse::hessian(|a| apply_entry(e, a), p);
    for (name, val) in [("hessian", vf), ("hessian_with<2>", vf2), ("reverse", vr)] {
        t.value(val, value, || format!("{} ({name})", at()));
    }
    for i in 0..n {
        for (name, g) in [
            ("hessian", &gf),
            ("hessian_with<2>", &gf2),
            ("reverse", &gr),
        ] {
            t.modes(g[i], grad[i], gscale, || {
                format!("{}: ∂{i} from {name} vs gradient", at())
            });
        }
    }
    let jac = fd_hessian(forward_gradient, p);
    // second-order mode comparisons: relative to the largest second or first derivative
    let hscale = max_abs(&hf).max(gscale);
    for i in 0..n {
        for j in 0..n {
            let what = |name: &str| format!("{}: H[{i}][{j}] ({name})", at());
            t.fd2(hf[(i, j)], jac[i][j], grad[i], || what("hessian"));
            t.fd2(hr[(i, j)], jac[i][j], grad[i], || what("reverse::hessian"));
            t.modes(hf2[(i, j)], hf[(i, j)], hscale, || {
                what("hessian_with<2> vs hessian")
            });
            t.modes(hr[(i, j)], hf[(i, j)], hscale, || {
                what("reverse::hessian vs hessian")
            });
        }
    }

    // H·v by forward over reverse and by forward over forward, along v and each unit vector
    let mut dirs: Vec<Vec<f64>> = vec![v.to_vec()];
    for k in 0..n {
        let mut ek = vec![0.0; n];
        ek[k] = 1.0;
        dirs.push(ek);
    }
    for d in &dirs {
        let dscale = d.iter().map(|x| x.abs()).sum::<f64>();
        let (vh, gh, hv) = reverse::hvp(|a| apply_entry(e, a), p, d);
        let (vh2, gh2, hv2) = hvp(|a| apply_entry(e, a), p, d);
        for (name, val, g, hd) in [("reverse::hvp", vh, &gh, &hv), ("hvp", vh2, &gh2, &hv2)] {
            t.value(val, value, || format!("{} ({name})", at()));
            for i in 0..n {
                t.modes(g[i], grad[i], gscale, || {
                    format!("{}: ∂{i} from {name}", at())
                });
                let want: f64 = (0..n).map(|j| hf[(i, j)] * d[j]).sum();
                t.modes(hd[i], want, hscale * dscale, || {
                    format!("{}: (H·{d:?})[{i}] {name} vs hessian", at())
                });
            }
        }
    }

    // along u: second and third order, forward over forward and over reverse
    let g1 = along1(e, p, u).eps[0];
    let r2 = along2(e, p, u);
    let r3 = along3(e, p, u);
    let at_u = || format!("{} along {u:?}", at());
    let uscale = u.iter().map(|x| x.abs()).sum::<f64>();
    t.value(r2.re.re, value, || format!("{} (2 levels)", at_u()));
    t.value(r3.re.re.re, value, || format!("{} (3 levels)", at_u()));
    for (name, got) in [
        ("inner g′, 2 levels", r2.re.eps[0]),
        ("outer g′, 2 levels", r2.eps[0].re),
        ("g′, 3 levels", r3.re.re.eps[0]),
    ] {
        t.modes(got, g1, gscale * uscale, || format!("{}: {name}", at_u()));
    }
    let g2 = r2.eps[0].eps[0];
    let fd_g2 = fd(|s| along1(e, &shifted(p, u, s), u).eps[0]);
    t.fd2(g2, fd_g2, g1, || format!("{}: g″", at_u()));
    let uhu: f64 = (0..n)
        .map(|i| (0..n).map(|j| u[i] * hf[(i, j)] * u[j]).sum::<f64>())
        .sum();
    let s2 = hscale * uscale * uscale;
    t.modes(g2, uhu, s2, || format!("{}: g″ vs uᵀHu", at_u()));
    for (name, got) in [
        ("ε₁ε₂", r3.re.eps[0].eps[0]),
        ("ε₁ε₃", r3.eps[0].re.eps[0]),
        ("ε₂ε₃", r3.eps[0].eps[0].re),
    ] {
        t.modes(got, g2, s2, || {
            format!("{}: g″ from the {name} part of 3 levels", at_u())
        });
    }
    let g3 = r3.eps[0].eps[0].eps[0];
    let fd_g3 = fd(|s| along2(e, &shifted(p, u, s), u).eps[0].eps[0]);
    t.fd3(g3, fd_g3, g2, || format!("{}: g‴", at_u()));
    let (rg1, rg2, rg3) = reverse_along(e, p, u);
    t.modes(rg1, g1, gscale * uscale, || {
        format!("{}: g′ on the tape", at_u())
    });
    t.modes(rg2, g2, s2, || format!("{}: g″ on the tape", at_u()));
    let s3 = g3.abs().max(g2.abs()).max(g1.abs());
    t.modes(rg3, g3, s3, || format!("{}: g‴ on the tape", at_u()));
}

/// Checks the one-variable restriction `t ↦ e(…, t, …)` (argument `k`, the others constant in the
/// given `form`) at `p[k]`, where it is smooth: f″ from [`second_derivative`] against finite
/// differences of [`derivative`] (`Dual<f64, 1>` with the same form), f‴ from [`third_derivative`]
/// against finite differences of f″, and forward over reverse (`reverse::hessian`, `reverse::hvp`)
/// against f″.
fn check_restriction_smooth(e: Entry, p: &[f64], k: usize, form: Form, t: &mut Tally) {
    let at = || format!("{e:?} at {p:?}, argument {k} varying, others {form:?}");
    let x = p[k];
    let value = f64_entry(e, p);
    let first = |s: f64| derivative(|a: D1| apply_restricted(e, p, k, form, a, |c| c), s);
    let second =
        |s: f64| second_derivative(|a: D2| apply_restricted(e, p, k, form, a, D1::constant), s);
    let (v1, d1) = first(x);
    let (v2, d1_2, d2) = second(x);
    let (v3, d1_3, d2_3, d3) = third_derivative(
        |a: D3| apply_restricted(e, p, k, form, a, |c| D2::constant(D1::constant(c))),
        x,
    );
    for (name, v) in [("1 level", v1), ("2 levels", v2), ("3 levels", v3)] {
        t.value(v, value, || format!("{} ({name})", at()));
    }
    t.modes(d1_2, d1, d1, || format!("{}: f′ (2 levels)", at()));
    t.modes(d1_3, d1, d1, || format!("{}: f′ (3 levels)", at()));
    let s2 = d2.abs().max(d1.abs());
    t.fd2(d2, fd(|s| first(x + s).1), d1, || format!("{}: f″", at()));
    t.modes(d2_3, d2, s2, || format!("{}: f″ (3 levels)", at()));
    t.fd3(d3, fd(|s| second(x + s).2), d2, || format!("{}: f‴", at()));
    let (vr, gr, hr) = reverse::hessian(
        |a| apply_restricted(e, p, k, form, a[0], DH::constant),
        &[x],
    );
    t.value(vr, value, || format!("{} (reverse::hessian)", at()));
    t.modes(gr[0], d1, d1, || format!("{}: f′ (reverse::hessian)", at()));
    t.modes(hr[(0, 0)], d2, s2, || {
        format!("{}: f″ (reverse::hessian)", at())
    });
    let (_, _, hv) = reverse::hvp(
        |a| apply_restricted(e, p, k, form, a[0], D1::constant),
        &[x],
        &[1.0],
    );
    t.modes(hv[0], d2, s2, || format!("{}: f″ (reverse::hvp)", at()));
}

/// Checks entry `e` at a point `p` where it is not differentiable but the convention prescribes the
/// gradient `want` through partials that are constant near `p` (piecewise-constant partials,
/// zero partials at the origin): every mode gives the value bit for bit and exactly `want` (no NaN),
/// and all second and third derivatives (Hessians, H·v, directional, restrictions) are exactly 0.
fn check_kink(e: Entry, p: &[f64], want: &[f64], u: &[f64], t: &mut Tally) {
    let n = p.len();
    let at = || format!("{e:?} at {p:?} (convention)");
    let value = f64_entry(e, p);
    let (v0, g0) = gradient(|a| apply_entry(e, a), p);
    let (vf, gf, hf) = hessian(|a| apply_entry(e, a), p);
    let (vf2, gf2, hf2) = hessian_with(|a| apply_entry(e, a), p, Chunk::<2>);
    let (vr, gr, hr) = reverse::hessian(|a| apply_entry(e, a), p);
    let (vh, gh, hv) = reverse::hvp(|a| apply_entry(e, a), p, u);
    let results = [
        ("gradient", v0, &g0, None),
        ("hessian", vf, &gf, Some(&hf)),
        ("hessian_with<2>", vf2, &gf2, Some(&hf2)),
        ("reverse::hessian", vr, &gr, Some(&hr)),
    ];
    for (name, val, g, hm) in results {
        t.value(val, value, || format!("{} ({name})", at()));
        for i in 0..n {
            t.exact(g[i], want[i], || format!("{}: ∂{i} ({name})", at()));
            if let Some(hm) = hm {
                for j in 0..n {
                    t.exact(hm[(i, j)], 0.0, || {
                        format!("{}: H[{i}][{j}] ({name})", at())
                    });
                }
            }
        }
    }
    let (vh2, gh2, hv2) = hvp(|a| apply_entry(e, a), p, u);
    for (name, val, g, hd) in [("reverse::hvp", vh, &gh, &hv), ("hvp", vh2, &gh2, &hv2)] {
        t.value(val, value, || format!("{} ({name})", at()));
        for i in 0..n {
            t.exact(g[i], want[i], || format!("{}: ∂{i} ({name})", at()));
            t.exact(hd[i], 0.0, || format!("{}: (H·u)[{i}] ({name})", at()));
        }
    }
    // along u: g′ = ∇·u by the convention (summed in the order the chain rule sums), g″ = g‴ = 0
    let g1 = (0..n).fold(0.0, |s, i| s + u[i] * want[i]);
    let r2 = along2(e, p, u);
    let r3 = along3(e, p, u);
    let (rg1, rg2, rg3) = reverse_along(e, p, u);
    let at_u = || format!("{} along {u:?}", at());
    let firsts = [
        ("inner g′, 2 levels", r2.re.eps[0]),
        ("outer g′, 2 levels", r2.eps[0].re),
        ("g′, 3 levels", r3.re.re.eps[0]),
        ("g′ on the tape", rg1),
    ];
    for (name, got) in firsts {
        t.modes(got, g1, 1.0, || format!("{}: {name}", at_u()));
    }
    let highers = [
        ("g″, 2 levels", r2.eps[0].eps[0]),
        ("g″ (ε₁ε₂), 3 levels", r3.re.eps[0].eps[0]),
        ("g″ (ε₂ε₃), 3 levels", r3.eps[0].eps[0].re),
        ("g‴, 3 levels", r3.eps[0].eps[0].eps[0]),
        ("g″ on the tape", rg2),
        ("g‴ on the tape", rg3),
    ];
    for (name, got) in highers {
        t.exact(got, 0.0, || format!("{}: {name}", at_u()));
    }
    // one-variable restrictions with the other arguments constant
    for (k, &wk) in want.iter().enumerate() {
        for form in [Form::FromConstant, Form::PartOperator] {
            if form_applies(e, k, form) {
                check_restriction_kink(e, p, k, form, wk, t);
            }
        }
    }
}

/// The restriction of [`check_kink`] to argument `k`: f′ = `want`, f″ = f‴ = 0 in every mode.
fn check_restriction_kink(e: Entry, p: &[f64], k: usize, form: Form, want: f64, t: &mut Tally) {
    let at = || format!("{e:?} at {p:?}, argument {k} varying, others {form:?} (convention)");
    let x = p[k];
    let value = f64_entry(e, p);
    let (v1, d1) = derivative(|a: D1| apply_restricted(e, p, k, form, a, |c| c), x);
    let (v2, d1_2, d2) =
        second_derivative(|a: D2| apply_restricted(e, p, k, form, a, D1::constant), x);
    let (v3, d1_3, d2_3, d3) = third_derivative(
        |a: D3| apply_restricted(e, p, k, form, a, |c| D2::constant(D1::constant(c))),
        x,
    );
    let (vr, gr, hr) = reverse::hessian(
        |a| apply_restricted(e, p, k, form, a[0], DH::constant),
        &[x],
    );
    for (name, v) in [("1", v1), ("2", v2), ("3", v3), ("reverse", vr)] {
        t.value(v, value, || format!("{} ({name})", at()));
    }
    for (name, d) in [("1", d1), ("2", d1_2), ("3", d1_3), ("reverse", gr[0])] {
        t.exact(d, want, || format!("{}: f′ ({name})", at()));
    }
    for (name, d) in [
        ("f″ 2", d2),
        ("f″ 3", d2_3),
        ("f‴ 3", d3),
        ("f″ reverse", hr[(0, 0)]),
    ] {
        t.exact(d, 0.0, || format!("{}: {name}", at()));
    }
}

// ---------------------------------------------------------------------------------------------
// In-domain inputs (the shared domains of `common::domains`)
// ---------------------------------------------------------------------------------------------

/// Draws an in-domain point for `e`, with the ±2h neighbourhood (h = [`step`] of the largest
/// coordinate) inside one smooth piece.
fn sample(e: Entry, rng: &mut Rng) -> Vec<f64> {
    loop {
        match e {
            Entry::Unary(op) => {
                let d = unary_domain(op);
                let (draw, piece) = (d.sample, d.piece);
                let x = draw(rng);
                let h = 2.0 * step(x);
                match piece {
                    Some(pc) if pc(x - h) != pc(x) || pc(x + h) != pc(x) => continue,
                    _ => return vec![x],
                }
            }
            Entry::Binary(op) => {
                let d = binary_domain(op);
                let (draw, piece) = (d.sample, d.piece);
                let (x, y) = draw(rng);
                let h = 2.0 * step(x.abs().max(y.abs()));
                if let Some(pc) = piece {
                    let c = pc(x, y);
                    let corners = [(-h, -h), (-h, h), (h, -h), (h, h)];
                    if corners.iter().any(|&(dx, dy)| pc(x + dx, y + dy) != c) {
                        continue;
                    }
                }
                return vec![x, y];
            }
            Entry::MulAdd => return rng.vec(3, -10.0, 10.0),
        }
    }
}

/// A random direction with entries in [−1, 1).
fn direction(n: usize, rng: &mut Rng) -> Vec<f64> {
    rng.vec(n, -1.0, 1.0)
}

// ---------------------------------------------------------------------------------------------
// Special points
// ---------------------------------------------------------------------------------------------

/// What a special point is for an entry.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// smooth on a neighbourhood: finite differences are the oracle
    Smooth,
    /// a kink or jump where the convention prescribes these partials (constant nearby)
    Kink([f64; 2]),
    /// outside the domain or at a singularity (infinite derivative): not checked here
    Outside,
}

/// Classifies the special argument `x` of a unary entry. No `_` arm.
fn unary_point_kind(op: Unary, x: f64) -> Kind {
    let integer = x == x.trunc();
    let smooth_if = |ok: bool| if ok { Kind::Smooth } else { Kind::Outside };
    match op {
        Unary::Neg
        | Unary::Exp
        | Unary::Exp2
        | Unary::ExpM1
        | Unary::Sin
        | Unary::Cos
        | Unary::Atan
        | Unary::Sinh
        | Unary::Cosh
        | Unary::Tanh
        | Unary::Asinh
        | Unary::ToDegrees
        | Unary::ToRadians
        | Unary::Erf
        | Unary::Erfc => Kind::Smooth,
        // poles at ±π/2, 0.43 beyond the special points
        Unary::Tan => Kind::Smooth,
        Unary::Recip | Unary::Cbrt => smooth_if(x != 0.0),
        Unary::Sqrt | Unary::Ln | Unary::Log2 | Unary::Log10 => smooth_if(x > 0.0),
        Unary::Ln1p => smooth_if(x > -1.0),
        Unary::Asin | Unary::Acos | Unary::Atanh => smooth_if(x.abs() < 1.0),
        Unary::Acosh => smooth_if(x > 1.0),
        Unary::Powi(n) => smooth_if(x != 0.0 || n >= 0),
        // ±1 by the sign bit at ±0 (README: "abs at ±0")
        Unary::Abs if x == 0.0 => Kind::Kink([if x.is_sign_negative() { -1.0 } else { 1.0 }, 0.0]),
        Unary::Abs => Kind::Smooth,
        Unary::Signum if x == 0.0 => Kind::Kink([0.0; 2]),
        Unary::Signum => Kind::Smooth,
        Unary::Floor | Unary::Ceil if integer => Kind::Kink([0.0; 2]),
        Unary::Floor | Unary::Ceil => Kind::Smooth,
        Unary::Round if x.fract().abs() == 0.5 => Kind::Kink([0.0; 2]),
        Unary::Round => Kind::Smooth,
        // trunc is 0 on (−1, 1): smooth at 0, jumps at the other integers
        Unary::Trunc if integer && x != 0.0 => Kind::Kink([0.0; 2]),
        Unary::Trunc => Kind::Smooth,
        // fract = x − trunc x: derivative 1 by convention at the jumps
        Unary::Fract if integer && x != 0.0 => Kind::Kink([1.0, 0.0]),
        Unary::Fract => Kind::Smooth,
    }
}

/// The special points of a binary entry where it is smooth on a neighbourhood: zeros, ±1, ties,
/// `powf` exponents 0 and 1 and base 1, `log` at x = 1 and x = y. No `_` arm.
fn binary_smooth_points(op: Binary) -> Vec<[f64; 2]> {
    match op {
        Binary::Add | Binary::Sub | Binary::Mul => vec![
            [0.0, 0.0],
            [1.0, 1.0],
            [-1.0, -1.0],
            [0.0, 1.0],
            [1.0, 0.0],
            [-1.0, 1.0],
        ],
        Binary::Div => vec![
            [0.0, 1.0],
            [1.0, 1.0],
            [-1.0, -1.0],
            [1.0, -1.0],
            [0.0, -1.0],
            [2.0, 2.0],
        ],
        // x/y in (−1, 1) or strictly between two integers
        Binary::Rem => vec![[0.0, 1.0], [0.0, -1.0], [0.5, 1.0], [1.0, 2.0], [-1.0, 2.0]],
        Binary::RemEuclid => vec![[0.5, 1.0], [-0.5, 1.0], [1.0, 2.0], [0.5, -1.0]],
        Binary::Powf => vec![
            [1.0, 0.0],
            [1.0, 1.0],
            [2.0, 0.0],
            [2.0, 1.0],
            [0.5, 0.0],
            [0.5, 1.0],
            [1.0, -1.0],
            [1.0, 0.5],
            [1.0, 2.0],
            [2.0, 2.0],
            [0.5, 0.5],
            [3.0, -1.0],
        ],
        Binary::Log => vec![
            [1.0, 2.0],
            [2.0, 2.0],
            [0.5, 0.5],
            [1.0, 0.5],
            [3.0, 3.0],
            [2.0, 0.5],
        ],
        // (0, −1) is on the branch cut and left out
        Binary::Atan2 => vec![
            [1.0, 1.0],
            [-1.0, -1.0],
            [0.0, 1.0],
            [1.0, 0.0],
            [-1.0, 0.0],
            [1.0, -1.0],
            [2.0, 2.0],
        ],
        Binary::Hypot => vec![
            [1.0, 1.0],
            [-1.0, -1.0],
            [0.0, 1.0],
            [1.0, 0.0],
            [-1.0, 1.0],
            [2.0, 2.0],
        ],
        Binary::Max | Binary::Min | Binary::AbsSub => {
            vec![[0.0, 1.0], [1.0, 0.0], [-1.0, 1.0], [1.0, -1.0]]
        }
    }
}

/// The special points of a binary entry where it is not differentiable but has constant
/// conventional partials nearby, with those partials (README "Conventions", `src/rules.rs`).
/// No `_` arm.
fn binary_kink_points(op: Binary) -> Vec<([f64; 2], [f64; 2])> {
    let ties = [
        [0.0, 0.0],
        [1.0, 1.0],
        [-1.0, -1.0],
        [2.5, 2.5],
        [0.0, -0.0],
    ];
    match op {
        // max/min: the average of the two tangents on a tie
        Binary::Max | Binary::Min => ties.iter().map(|&p| (p, [0.5, 0.5])).collect(),
        // abs_sub = max(x − y, 0): (½, −½) at x = y
        Binary::AbsSub => ties.iter().map(|&p| (p, [0.5, -0.5])).collect(),
        // x % y where x/y is a nonzero integer: ∂ = (1, −trunc(x/y))
        Binary::Rem => [
            [1.0, 1.0],
            [-1.0, -1.0],
            [2.5, 2.5],
            [2.0, 1.0],
            [-1.0, 1.0],
            [3.0, -1.5],
        ]
        .iter()
        .map(|&[x, y]| ([x, y], [1.0, -(x / y).trunc()]))
        .collect(),
        // rem_euclid jumps where x/y is an integer (also 0): ∂ = (1, −div_euclid(x, y))
        Binary::RemEuclid => [
            [0.0, 1.0],
            [1.0, 1.0],
            [-1.0, 1.0],
            [2.0, -1.0],
            [0.0, -1.0],
        ]
        .iter()
        .map(|&[x, y]| ([x, y], [1.0, -f64::div_euclid(x, y)]))
        .collect(),
        // zero partials at the origin
        Binary::Atan2 | Binary::Hypot => [[0.0, 0.0], [-0.0, 0.0], [0.0, -0.0]]
            .iter()
            .map(|&p| (p, [0.0, 0.0]))
            .collect(),
        Binary::Add | Binary::Sub | Binary::Mul | Binary::Div | Binary::Powf | Binary::Log => {
            Vec::new()
        }
    }
}

/// Special points of `mul_add` (smooth everywhere): zeros, ±1, zero partials.
const MUL_ADD_POINTS: [[f64; 3]; 6] = [
    [0.0, 0.0, 0.0],
    [1.0, 1.0, 1.0],
    [-1.0, 1.0, 0.0],
    [0.0, 1.0, -1.0],
    [1.0, -1.0, 1.0],
    [0.0, 0.0, 1.0],
];

/// Checks `e` at the smooth point `p` ([`check_smooth`] along random directions) and each of its
/// one-variable restrictions in every constant-operand form that applies.
fn check_smooth_with_restrictions(e: Entry, p: &[f64], rng: &mut Rng, t: &mut Tally) {
    let (u, v) = (direction(p.len(), rng), direction(p.len(), rng));
    check_smooth(e, p, &u, &v, t);
    for k in 0..p.len() {
        for form in [Form::FromConstant, Form::PartOperator] {
            if form_applies(e, k, form) {
                check_restriction_smooth(e, p, k, form, t);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

/// Every unary entry at [`CASES`] random in-domain points: f″ and f‴ by nested duals and f″ by
/// forward over reverse against finite differences of f′ and f″, and against each other.
#[test]
fn unary_entries_second_and_third_order_match_finite_differences_at_random_points() {
    let mut rng = Rng::for_test("nested unary random");
    let mut t = Tally::default();
    for op in unary_entries() {
        for _ in 0..CASES {
            let p = sample(Entry::Unary(op), &mut rng);
            check_smooth(
                Entry::Unary(op),
                &p,
                &[1.0],
                &[rng.uniform(-2.0, 2.0)],
                &mut t,
            );
        }
    }
    t.report("unary, random points");
}

/// Every unary entry at 0, ±0, ±½, ±1, ±2 where it is smooth (finite differences), and at its kinks
/// and jumps (`abs` at ±0, `signum` at 0, `floor`/`ceil` at integers, `round` at ±½, `trunc` and
/// `fract` at nonzero integers): the documented first derivative and zero higher derivatives in
/// every mode.
#[test]
fn unary_entries_at_special_points_match_finite_differences_or_conventions() {
    let mut t = Tally::default();
    let (mut smooth, mut kinks) = (0, 0);
    for op in unary_entries() {
        for x in UNARY_SPECIAL {
            match unary_point_kind(op, x) {
                Kind::Smooth => {
                    check_smooth(Entry::Unary(op), &[x], &[1.0], &[-1.5], &mut t);
                    smooth += 1;
                }
                Kind::Kink(d) => {
                    check_kink(Entry::Unary(op), &[x], &d[..1], &[1.0], &mut t);
                    check_kink(Entry::Unary(op), &[x], &d[..1], &[-0.75], &mut t);
                    kinks += 1;
                }
                Kind::Outside => {}
            }
        }
    }
    // guards against the classification silently dropping points
    assert!(
        smooth > 200 && kinks >= 20,
        "{smooth} smooth points, {kinks} kinks"
    );
    t.report(&format!(
        "unary, {smooth} smooth special points and {kinks} kinks"
    ));
}

/// Every binary entry at [`CASES`] random in-domain points: Hessians (forward over forward in two
/// chunk widths, forward over reverse), H·v, and second and third derivatives along random
/// directions, against finite differences and against each other; and every one-variable
/// restriction with the other argument constant (`F::from(c)`, and `t ∘ c` with `c` of the part
/// type for `+ − × / %`).
#[test]
fn binary_entries_hessians_and_third_order_match_finite_differences_at_random_points() {
    let mut rng = Rng::for_test("nested binary random");
    let mut t = Tally::default();
    for op in Binary::ALL {
        for _ in 0..CASES {
            let p = sample(Entry::Binary(op), &mut rng);
            check_smooth_with_restrictions(Entry::Binary(op), &p, &mut rng, &mut t);
        }
    }
    t.report("binary, random points");
}

/// Every binary entry at its smooth special points (zeros, ±1, ties x = y of `hypot`, `atan2`,
/// `log`, `powf`; `powf` with exponent 0 or 1 and base 1; `log` of 1), as in the random-point test.
#[test]
fn binary_entries_at_smooth_special_points_match_finite_differences() {
    let mut rng = Rng::for_test("nested binary special");
    let mut t = Tally::default();
    let mut points = 0;
    for op in Binary::ALL {
        for p in binary_smooth_points(op) {
            check_smooth_with_restrictions(Entry::Binary(op), &p, &mut rng, &mut t);
            points += 1;
        }
    }
    t.report(&format!("binary, {points} smooth special points"));
}

/// One-variable restrictions that are smooth where the two-argument entry is not: `x.powf(c)` with
/// an integer exponent c ∈ {0, 1, 2, 3} at x ∈ {−1, −½, 0} (a polynomial in x), and `0.powf(y)` at
/// y ∈ {½, 1, 2, 3} (identically 0 near y > 0).
#[test]
fn powf_restrictions_smooth_in_one_argument_match_finite_differences() {
    let mut t = Tally::default();
    let powf = Entry::Binary(Binary::Powf);
    for x in [-1.0, -0.5, 0.0] {
        for c in [0.0, 1.0, 2.0, 3.0] {
            check_restriction_smooth(powf, &[x, c], 0, Form::FromConstant, &mut t);
        }
    }
    for y in [0.5, 1.0, 2.0, 3.0] {
        check_restriction_smooth(powf, &[0.0, y], 1, Form::FromConstant, &mut t);
    }
    t.report("powf restrictions");
}

/// Every binary entry at its kinks and jumps: `max`/`min`/`abs_sub` ties (also 0 vs −0), `rem`
/// and `rem_euclid` where x/y is an integer, `atan2` and `hypot` at the origin (with signed zeros):
/// the documented partials in every mode, exactly and never NaN, and all higher derivatives 0
/// (Hessians, H·v, along two directions, one-variable restrictions).
#[test]
fn binary_entries_at_kinks_follow_conventions_at_every_order() {
    let mut rng = Rng::for_test("nested binary kinks");
    let mut t = Tally::default();
    let mut points = 0;
    for op in Binary::ALL {
        for (p, want) in binary_kink_points(op) {
            for _ in 0..2 {
                let u = direction(2, &mut rng);
                check_kink(Entry::Binary(op), &p, &want, &u, &mut t);
            }
            points += 1;
        }
    }
    assert!(points >= 25, "only {points} kink points");
    t.report(&format!("binary, {points} kinks"));
}

/// `mul_add` at [`CASES`] random points and at its special points: 3 × 3 Hessians, H·v, second
/// and third derivatives along random directions, and the restrictions to each argument with the
/// other two constant.
#[test]
fn mul_add_second_and_third_order_match_finite_differences() {
    let mut rng = Rng::for_test("nested mul_add");
    let mut t = Tally::default();
    for _ in 0..CASES {
        let p = sample(Entry::MulAdd, &mut rng);
        check_smooth_with_restrictions(Entry::MulAdd, &p, &mut rng, &mut t);
    }
    for p in MUL_ADD_POINTS {
        check_smooth_with_restrictions(Entry::MulAdd, &p, &mut rng, &mut t);
    }
    t.report("mul_add");
}

/// `powf` with both arguments moving, at points where the exponent is 0 or 1 (or the base 1):
/// `x.powf(x)` at 1, `x.powf(x − 1)` at 1 (exponent 0), `x.powf(2 − x)` at 1 (exponent 1),
/// `x.powf(1 − x)` at 1 and 2, `x.powf(log₂ x)` at 1 and 2, `(x + 1).powf(x)` at 0 (exponent 0,
/// base 1): f″ and f‴ from [`second_derivative`] and [`third_derivative`] against finite
/// differences, f″ from forward over reverse against nested duals.
#[test]
fn powf_with_moving_exponent_zero_or_one_matches_finite_differences() {
    type Composite = (
        &'static str,
        fn(D1) -> D1,
        fn(D2) -> D2,
        fn(D3) -> D3,
        fn(Var<DH>) -> Var<DH>,
    );
    fn self_power<F: Float>(x: F) -> F {
        x.powf(x)
    }
    fn exponent_x_minus_1<F: Float>(x: F) -> F {
        x.powf(x - F::one())
    }
    fn exponent_2_minus_x<F: Float>(x: F) -> F {
        x.powf(F::from(2.0).unwrap() - x)
    }
    fn exponent_1_minus_x<F: Float>(x: F) -> F {
        x.powf(F::one() - x)
    }
    fn exponent_log2<F: Float>(x: F) -> F {
        x.powf(x.log2())
    }
    fn base_x_plus_1<F: Float>(x: F) -> F {
        (x + F::one()).powf(x)
    }
    let cases: [(Composite, &[f64]); 6] = [
        (
            ("x^x", self_power, self_power, self_power, self_power),
            &[1.0],
        ),
        (
            (
                "x^(x−1)",
                exponent_x_minus_1,
                exponent_x_minus_1,
                exponent_x_minus_1,
                exponent_x_minus_1,
            ),
            &[1.0],
        ),
        (
            (
                "x^(2−x)",
                exponent_2_minus_x,
                exponent_2_minus_x,
                exponent_2_minus_x,
                exponent_2_minus_x,
            ),
            &[1.0],
        ),
        (
            (
                "x^(1−x)",
                exponent_1_minus_x,
                exponent_1_minus_x,
                exponent_1_minus_x,
                exponent_1_minus_x,
            ),
            &[1.0, 2.0],
        ),
        (
            (
                "x^(log₂ x)",
                exponent_log2,
                exponent_log2,
                exponent_log2,
                exponent_log2,
            ),
            &[1.0, 2.0],
        ),
        (
            (
                "(x+1)^x",
                base_x_plus_1,
                base_x_plus_1,
                base_x_plus_1,
                base_x_plus_1,
            ),
            &[0.0],
        ),
    ];
    let mut t = Tally::default();
    for ((name, f1, f2, f3, fr), points) in cases {
        for &x in points {
            let at = || format!("{name} at {x}");
            let first = |s: f64| derivative(f1, s);
            let second = |s: f64| second_derivative(f2, s);
            let (v1, d1) = first(x);
            let (v2, d1_2, d2) = second(x);
            let (v3, d1_3, d2_3, d3) = third_derivative(f3, x);
            t.value(v2, v1, || format!("{} (2 levels)", at()));
            t.value(v3, v1, || format!("{} (3 levels)", at()));
            t.modes(d1_2, d1, d1, || format!("{}: f′ (2 levels)", at()));
            t.modes(d1_3, d1, d1, || format!("{}: f′ (3 levels)", at()));
            let s2 = d2.abs().max(d1.abs());
            t.fd2(d2, fd(|s| first(x + s).1), d1, || format!("{}: f″", at()));
            t.modes(d2_3, d2, s2, || format!("{}: f″ (3 levels)", at()));
            t.fd3(d3, fd(|s| second(x + s).2), d2, || format!("{}: f‴", at()));
            let (vr, gr, hr) = reverse::hessian(|a| fr(a[0]), &[x]);
            t.value(vr, v1, || format!("{} (reverse)", at()));
            t.modes(gr[0], d1, d1, || format!("{}: f′ (reverse)", at()));
            t.modes(hr[(0, 0)], d2, s2, || format!("{}: f″ (reverse)", at()));
        }
    }
    t.report("powf with a moving exponent");
}

/// `x.powf(c)` with the constant exponent `F::from(c)` (the constant-operand path).
fn powf_constant<F: Float>(x: F, c: f64) -> F {
    x.powf(F::from(c).unwrap())
}

/// `powf` at base x = 0 with exponent y ∈ {0, ½, 1, 2, 3}: not differentiable as a function of
/// (x, y) (x < 0 gives NaN for non-integer y). What the conventions and exact one-sided values fix,
/// in every mode (`hessian`, `hessian_with`, `reverse::hessian`, `reverse::hvp`, restrictions):
///
/// * the value 0ʸ bit for bit;
/// * ∂/∂x: 0 at y = 0 (README: `powf(x, 0)` is 1 with zero tangent), y·0ʸ⁻¹ = +∞, 1, 0, 0 for
///   y = ½, 1, 2, 3 (exact; +∞ "reported as it is");
/// * ∂/∂y = 0 for y > 0 (rules.rs: the exponent partial xʸ ln x is 0 at x = 0 < y), and
///   ∂²/∂y² = 0 there, since that partial is 0 for every exponent near y;
/// * ∂²/∂x² = y(y − 1)·0ʸ⁻² = 0, −∞, 0, 2, 0 (x ↦ xʸ is a polynomial for integer y; −∞ is the
///   one-sided value for y = ½), and the x-restriction with a constant exponent gives the same
///   f′, f″ and f‴ = y(y−1)(y−2)·0ʸ⁻³ = 0, +∞, 0, 0, 6;
/// * ∂²/∂x∂y = 0 for y ∈ {2, 3} (one-sided limit of xʸ⁻¹(1 + y ln x)).
#[test]
fn powf_at_zero_base_follows_conventions() {
    let mut t = Tally::default();
    let inf = f64::INFINITY;
    // (y, ∂/∂x, ∂²/∂x², third x-derivative)
    let table = [
        (0.0, 0.0, 0.0, 0.0),
        (0.5, inf, -inf, inf),
        (1.0, 1.0, 0.0, 0.0),
        (2.0, 0.0, 2.0, 0.0),
        (3.0, 0.0, 0.0, 6.0),
    ];
    let powf = Entry::Binary(Binary::Powf);
    for (y, dx, dxx, dxxx) in table {
        let p = [0.0, y];
        let at = |what: &str| format!("powf at (0, {y}): {what}");
        let value = 0.0_f64.powf(y);
        let (vf, gf, hf) = hessian(|a| apply_entry(powf, a), &p);
        let (vf2, gf2, hf2) = hessian_with(|a| apply_entry(powf, a), &p, Chunk::<2>);
        let (vr, gr, hr) = reverse::hessian(|a| apply_entry(powf, a), &p);
        for (name, val, g, h) in [
            ("hessian", vf, &gf, &hf),
            ("hessian_with<2>", vf2, &gf2, &hf2),
            ("reverse::hessian", vr, &gr, &hr),
        ] {
            t.value(val, value, || at(name));
            t.exact(g[0], dx, || at(&format!("∂/∂x ({name})")));
            t.exact(h[(0, 0)], dxx, || at(&format!("∂²/∂x² ({name})")));
            if y > 0.0 {
                t.exact(g[1], 0.0, || at(&format!("∂/∂y ({name})")));
                t.exact(h[(1, 1)], 0.0, || at(&format!("∂²/∂y² ({name})")));
            }
            if y >= 2.0 {
                t.exact(h[(0, 1)], 0.0, || at(&format!("∂²/∂x∂y ({name})")));
                t.exact(h[(1, 0)], 0.0, || at(&format!("∂²/∂y∂x ({name})")));
            }
        }
        // H·eₓ: its x-component is ∂²/∂x²; H·e_y: its y-component is ∂²/∂y²
        let (_, _, hx) = reverse::hvp(|a| apply_entry(powf, a), &p, &[1.0, 0.0]);
        t.exact(hx[0], dxx, || at("(H·eₓ)ₓ (reverse::hvp)"));
        if y > 0.0 {
            let (_, _, hy) = reverse::hvp(|a| apply_entry(powf, a), &p, &[0.0, 1.0]);
            t.exact(hy[1], 0.0, || at("(H·e_y)_y (reverse::hvp)"));
        }
        if y >= 2.0 {
            let (_, _, hy) = reverse::hvp(|a| apply_entry(powf, a), &p, &[0.0, 1.0]);
            t.exact(hx[1], 0.0, || at("(H·eₓ)_y (reverse::hvp)"));
            t.exact(hy[0], 0.0, || at("(H·e_y)ₓ (reverse::hvp)"));
        }
        // the x-restriction with a constant exponent, x.powf(c): f′, f″, f‴ in every mode
        let (v3, d1, d2, d3) = third_derivative(|a: D3| powf_constant(a, y), 0.0);
        let (v2, d1_2, d2_2) = second_derivative(|a: D2| powf_constant(a, y), 0.0);
        let (vr1, gr1, hr1) = reverse::hessian(|a| powf_constant(a[0], y), &[0.0]);
        for (name, v) in [("3 levels", v3), ("2 levels", v2), ("reverse", vr1)] {
            t.value(v, value, || at(&format!("x.powf(c) value ({name})")));
        }
        for (name, d) in [("3 levels", d1), ("2 levels", d1_2), ("reverse", gr1[0])] {
            t.exact(d, dx, || at(&format!("x.powf(c): f′ ({name})")));
        }
        for (name, d) in [
            ("3 levels", d2),
            ("2 levels", d2_2),
            ("reverse", hr1[(0, 0)]),
        ] {
            t.exact(d, dxx, || at(&format!("x.powf(c): f″ ({name})")));
        }
        t.exact(d3, dxxx, || at("x.powf(c): f‴"));
    }
    t.report("powf at base 0");
}

/// The mixed partial ∂²(xʸ)/∂x∂y at base x = 0 for y ∈ {0, ½, 1}, where xʸ has no second
/// derivative: a documented convention (README, "Conventions"), pinned here in every mode.
///
/// The exact mixed partial is ∂/∂x (xʸ ln x) = xʸ⁻¹(1 + y ln x), whose one-sided limit at x → 0⁺ is
/// +∞ for y = 0 (1/x) and −∞ for y = ½ and y = 1, while ∂/∂y (y xʸ⁻¹) at x = 0 jumps with y. The
/// rule keeps its first-order conventions there (∂/∂y = 0 at x = 0 < y, ∂/∂x = 0 at x = y = 0), as
/// constants whose derivatives are 0, and the formula for the other partial, whose derivative is
/// ±∞ or NaN. So the result depends on which partial is differentiated: d/dx ∂f/∂y is 0 (y > 0) and
/// d/dy ∂f/∂x is the formula's (−∞ at y = 1, NaN at y = ½); at y = 0 it is the other way round
/// (d/dx ∂f/∂y = +∞, d/dy ∂f/∂x = 0). Each driver reads one of the two, or averages both
/// (`reverse::hessian`): the inner (or taped) variable differentiates the partial taken by the outer
/// one, so `hessian` of `x^y` reads d/dx ∂f/∂y for H₀₁, `hvp` along eₓ reads d/dy ∂f/∂x for
/// (H·eₓ)_y, and `reverse::hvp` the other way round, as listed below.
/// The property that does hold — the same numbers in every mode wherever the second derivative
/// exists (y ≥ 2, and every other point) — is checked by the other tests of this file.
#[test]
fn powf_at_zero_base_mixed_partial_depends_on_the_order() {
    fn xy<F: Float>(v: &[F]) -> F {
        v[0].powf(v[1])
    }
    fn yx<F: Float>(v: &[F]) -> F {
        v[1].powf(v[0])
    }
    let inf = f64::INFINITY;
    // per y: d/dx ∂f/∂y (the ∂/∂y convention differentiated) and d/dy ∂f/∂x (the formula's)
    for (y, dx_of_dy, dy_of_dx) in [(0.0, inf, 0.0), (0.5, 0.0, f64::NAN), (1.0, 0.0, -inf)] {
        let (p, q) = ([0.0, y], [y, 0.0]);
        let (ex, ey) = ([1.0, 0.0], [0.0, 1.0]);
        let pinned = [
            ("hessian of x^y", hessian(xy, &p).2[(0, 1)], dx_of_dy),
            (
                "hessian of x^y, swapped",
                hessian(yx, &q).2[(0, 1)],
                dy_of_dx,
            ),
            ("(H·eₓ)_y from hvp", hvp(xy, &p, &ex).2[1], dy_of_dx),
            ("(H·e_y)ₓ from hvp", hvp(xy, &p, &ey).2[0], dx_of_dy),
            (
                "(H·eₓ)_y from reverse::hvp",
                reverse::hvp(xy, &p, &ex).2[1],
                dx_of_dy,
            ),
            (
                "(H·e_y)ₓ from reverse::hvp",
                reverse::hvp(xy, &p, &ey).2[0],
                dy_of_dx,
            ),
            // the average of both triangles
            (
                "reverse::hessian of x^y",
                reverse::hessian(xy, &p).2[(0, 1)],
                (dx_of_dy + dy_of_dx) / 2.0,
            ),
        ];
        for (name, h01, want) in pinned {
            assert!(
                same_value(h01, want),
                "∂²(xʸ)/∂x∂y at (0, {y}): {name} gives {h01:e}, documented {want:e}"
            );
        }
    }
}
