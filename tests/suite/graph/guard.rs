//! Guards: the comparisons and branches a recording depends on, checked at every evaluation, with
//! errors in the user's words.

use super::*;

// ---------------------------------------------------------------------------------------------
// 3. Guards
// ---------------------------------------------------------------------------------------------

/// A guard's question without the place it was asked: `x[0] > 0.0 at src/f.rs:3:8 was true`
/// becomes `x[0] > 0.0 was true`.
fn without_location(q: &str) -> String {
    match q.find(" at ").map(|i| (i, q[i..].find(" was "))) {
        Some((i, Some(j))) => format!("{}{}", &q[..i], &q[i + j..]),
        _ => q.to_string(),
    }
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
            .all(|q| q.starts_with(&format!("x[0] > 0.0 at {}:", file!()))
                && q.ends_with(" was true")),
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
            .all(|q| q.starts_with(&format!("x[0] > 2.0 at {}:", file!()))
                && q.ends_with(" was true")),
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
