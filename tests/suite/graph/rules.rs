//! The rule table: every entry alone and with constant operands, at random points and at special
//! points, and the conventions function by function, in graph mode against forward mode, the tape
//! and finite differences.

use super::*;

// ---------------------------------------------------------------------------------------------
// 1. The rule table
// ---------------------------------------------------------------------------------------------

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

// Predicates for points made by moving a sample: the shared domains (`common::domains`) and
// their pieces.

/// True if `x` is in the range [`unary_domain`] samples from and 2h from a jump or kink.
fn unary_ok(op: Unary, x: f64) -> bool {
    let in_range = (unary_domain(op).contains)(x);
    let h = 2.0 * step(x);
    in_range
        && match unary_domain(op).piece {
            Some(p) => p(x - h) == p(x) && p(x + h) == p(x),
            None => true,
        }
}

/// True if (x, y) is in the range [`binary_domain`] samples from, with the ±2h box inside one
/// smooth piece.
fn binary_ok(op: Binary, x: f64, y: f64) -> bool {
    let in_range = (binary_domain(op).contains)(x, y);
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
/// quotients (the smooth and the kink points of `tests/suite/forward/nested_rules.rs`, merged).
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
/// `tests/suite/forward/nested_rules.rs::powf_at_zero_base_mixed_partial_depends_on_the_order`.
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
