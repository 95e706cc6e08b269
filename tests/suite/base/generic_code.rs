//! Written as a user writes: generic functions with plain `f64` literals (`T: Real`), closures that
//! capture data, `.sum()`, `T::PI()`, nalgebra imported next to (or instead of) `num_traits`, and
//! math methods called on concrete dual numbers, tape variables and graph symbols. Every
//! derivative is checked against its closed form (an oracle independent of the rule table), at
//! random points and at special ones.

use crate::common;

use common::{Rng, assert_close};
use nilpotent::graph::{Graph, Sym};
use nilpotent::reverse::{self, Var};
use nilpotent::{
    Dual, Literal, Real, Real32, derivative, gradient, hessian, jacobian, second_derivative,
    third_derivative,
};

use std::f64::consts::PI;

const RTOL: f64 = 1e-12;

/// A model with literals everywhere a user puts them: on the right of every operator, in a
/// comparison, `T::PI()`, a sum and a product over the inputs, `pow` with a plain exponent, and
/// plain numbers on the left (`1.0 - …`, `3.0 * a`, `2.0 / b`, `0.0 < a`).
fn model<T: Real>(x: &[T]) -> T {
    let (a, b) = (x[0], x[1]);
    let poly = 1.0 - a * b * 0.5 + 3.0 * a * a; // 3a² − ab/2 + 1
    let ratio = 2.0 / b; // 2/b
    let wave = (a * T::PI()).sin(); // sin(πa)
    let r2: T = x.iter().map(|&v| v * v).sum(); // a² + b²
    let p: T = x.iter().product(); // ab
    let branch = if 0.0 < a { a.pow(2.5) } else { -a }; // a^2.5 for a > 0, −a otherwise
    let mut acc = poly + ratio + wave + r2.sqrt() + p * 2.0;
    acc += branch;
    acc
}

/// The closed forms of `model`: value, gradient and Hessian.
fn model_exact(a: f64, b: f64) -> (f64, [f64; 2], [[f64; 2]; 2]) {
    let r = (a * a + b * b).sqrt();
    let pos = a > 0.0;
    let value = 3.0 * a * a - a * b / 2.0
        + 1.0
        + 2.0 / b
        + (PI * a).sin()
        + r
        + 2.0 * a * b
        + if pos { a.powf(2.5) } else { -a };
    let ga = 6.0 * a - b / 2.0
        + PI * (PI * a).cos()
        + a / r
        + 2.0 * b
        + if pos { 2.5 * a.powf(1.5) } else { -1.0 };
    let gb = -a / 2.0 - 2.0 / (b * b) + b / r + 2.0 * a;
    let r3 = r * r * r;
    let haa = 6.0 - PI * PI * (PI * a).sin() + b * b / r3 + if pos { 3.75 * a.sqrt() } else { 0.0 };
    let hab = -0.5 - a * b / r3 + 2.0;
    let hbb = 4.0 / (b * b * b) + a * a / r3;
    (value, [ga, gb], [[haa, hab], [hab, hbb]])
}

/// Random points on both sides of the branch, and special ones (a = 1 and a = −0.5 where sin(πa)
/// is ±0 or ±1, b = 1).
fn points(salt: &str) -> Vec<[f64; 2]> {
    let mut rng = Rng::for_test(salt);
    let mut p = vec![[1.0, 1.0], [-0.5, 1.0], [0.5, 2.0], [2.0, -1.5]];
    for _ in 0..20 {
        p.push([rng.uniform(-2.0, 2.0), rng.uniform(0.3, 3.0)]);
    }
    p
}

fn check_gradient(g: &[f64], exact: [f64; 2], what: &str) {
    assert_eq!(g.len(), 2, "{what}: the gradient has 2 entries");
    for i in 0..2 {
        assert_close(g[i], exact[i], RTOL, 1.0, &format!("{what}: ∂{i}"));
    }
}

#[test]
fn literals_on_f64_dual_and_nested_dual() {
    for [a, b] in points("literals forward") {
        let (value, grad, hess) = model_exact(a, b);
        let what = format!("model at ({a}, {b})");
        assert_close(model(&[a, b]), value, RTOL, 1.0, &what);

        let (v, g) = gradient(model, &[a, b]); // Dual<f64, 8>
        assert_close(v, value, RTOL, 1.0, &what);
        check_gradient(&g, grad, &format!("{what}, gradient"));

        let (v, g, h) = hessian(model, &[a, b]); // Dual<Dual<f64, 8>, 8>
        assert_close(v, value, RTOL, 1.0, &what);
        check_gradient(&g, grad, &format!("{what}, hessian's gradient"));
        for i in 0..2 {
            for j in 0..2 {
                assert_close(
                    h[(i, j)],
                    hess[i][j],
                    RTOL,
                    1.0,
                    &format!("{what}: H{i}{j}"),
                );
            }
        }
    }
}

#[test]
fn literals_on_the_tape() {
    for [a, b] in points("literals reverse") {
        let (value, grad, hess) = model_exact(a, b);
        let what = format!("model at ({a}, {b})");
        let (v, g) = reverse::gradient(model, &[a, b]); // Var<f64>
        assert_close(v, value, RTOL, 1.0, &what);
        check_gradient(&g, grad, &format!("{what}, reverse gradient"));

        let (v, g, h) = reverse::hessian(model, &[a, b]); // Var<Dual<f64, 8>>
        assert_close(v, value, RTOL, 1.0, &what);
        check_gradient(&g, grad, &format!("{what}, reverse hessian's gradient"));
        for i in 0..2 {
            for j in 0..2 {
                assert_close(
                    h[(i, j)],
                    hess[i][j],
                    RTOL,
                    1.0,
                    &format!("{what}: H{i}{j}"),
                );
            }
        }
    }
}

#[test]
fn literals_in_a_recorded_graph() {
    // recorded at a > 0: the comparison `0.0 < a` is a guard
    let g = Graph::record(&[0.7, 1.3], model::<Sym>).gradient();
    let h = Graph::record(&[0.7, 1.3], model::<Sym>).hessian();
    for [a, b] in points("literals graph") {
        let (value, grad, hess) = model_exact(a, b);
        let what = format!("graph of model at ({a}, {b})");
        let out = g.eval(&[a, b]);
        if a > 0.0 {
            let out = out.unwrap();
            assert_close(out[0], value, RTOL, 1.0, &what);
            check_gradient(&out[1..], grad, &what);
            let out = h.eval(&[a, b]).unwrap();
            for i in 0..2 {
                for j in 0..2 {
                    assert_close(out[3 + 2 * i + j], hess[i][j], RTOL, 1.0, &what);
                }
            }
        } else {
            // the branch recorded does not hold: an error, not a wrong number
            assert!(out.is_err(), "{what}: {out:?}");
        }
    }
}

#[test]
fn constants_sum_and_float_const() {
    fn f<T: Real>(x: &[T]) -> T {
        // T::E(), T::cst, a sum of references, a product, assignment forms with literals
        let mut s: T = x.iter().sum();
        s *= 2.0;
        s -= 1.0;
        s /= 4.0;
        let e = T::E() * T::cst(0.25);
        let q: T = x.iter().copied().product();
        s + e * q % 10.0
    }
    let x = [1.5, 2.5, -0.5];
    // s = ((Σx)·2 − 1)/4, ∂s/∂xᵢ = 1/2; the product term e/4·Πx (|·| < 10, so % leaves it)
    let q: f64 = x.iter().product();
    let (v, g) = gradient(f, &x);
    assert_close(
        v,
        ((3.5 * 2.0) - 1.0) / 4.0 + std::f64::consts::E / 4.0 * q,
        RTOL,
        1.0,
        "f",
    );
    for i in 0..3 {
        let dq = q / x[i];
        assert_close(g[i], 0.5 + std::f64::consts::E / 4.0 * dq, RTOL, 1.0, "∂f");
    }
    assert_eq!(<Dual<Dual<f64, 2>, 3>>::cst(0.5).re.re, 0.5);
    assert!(<Dual<Dual<f64, 2>, 3>>::cst(0.5).re.is_constant());
    assert_eq!(<Var<f64>>::cst(0.5).value(), 0.5);
    assert!(<Var<f64>>::cst(0.5).is_constant());
    assert!(Sym::cst(0.5).is_constant());
}

/// Plain `f64` arithmetic and comparisons inside a `T: Real` function compile and mean what they
/// mean for `f64` (`Real` puts no bound on `f64` itself, which would shadow `f64`'s own impls).
#[test]
fn plain_f64_arithmetic_next_to_real() {
    fn g<T: Real>(x: T, k: f64, n: usize) -> T {
        let h = k / 2.0 + 1.0 - 0.5 * k + k * k; // f64 ∘ literal, literal ∘ f64, f64 ∘ f64
        let mean = n as f64 / 2.0;
        if 2.0 < k && k != 7.5 && x > mean {
            x * h - mean
        } else {
            x
        }
    }
    let (v, d) = derivative(|x| g(x, 3.0, 4), 5.0);
    assert_eq!((v, d), (5.0 * 10.0 - 2.0, 10.0));
    assert_eq!(g(1.0, 3.0, 4), 1.0);
}

/// `|x| x[0] * k` with a captured `f64`: for the gradient (Dual<f64, 8>), the Hessian
/// (Dual<Dual<f64, 8>, 8>), the tape, and a plain number on the left of concrete types.
#[test]
fn closures_capture_data() {
    let k = 2.5;
    let data = [1.0, -2.0, 0.5];
    let x = [0.3, 1.7];
    let (_, g) = gradient(|x| x[0] * k + x[1] * x[1] * k, &x);
    assert_eq!(g, vec![k, 2.0 * k * x[1]]);
    let (_, g, h) = hessian(|x| x[0] * k + x[1] * x[1] * k, &x);
    assert_eq!(g, vec![k, 2.0 * k * x[1]]);
    assert_eq!((h[(0, 0)], h[(0, 1)], h[(1, 1)]), (0.0, 0.0, 2.0 * k));

    // a least-squares fit to data: Σ (x₀ + x₁ dᵢ − k)²
    let loss = |x: &[Dual<Dual<f64, 8>, 8>]| {
        data.iter()
            .map(|&d| (x[0] + x[1] * d - k).powi(2))
            .sum::<Dual<Dual<f64, 8>, 8>>()
    };
    let (_, _, h) = hessian(loss, &x);
    let sd: f64 = data.iter().sum();
    let sdd: f64 = data.iter().map(|d| d * d).sum();
    assert_eq!(
        (h[(0, 0)], h[(0, 1)], h[(1, 1)]),
        (6.0, 2.0 * sd, 2.0 * sdd)
    );

    // a plain number on the left, and comparisons with it, on concrete types at every depth
    let (_, g) = gradient(|x| 2.0 / x[0] + (1.0 - x[1]), &x);
    assert_close(g[0], -2.0 / (x[0] * x[0]), RTOL, 1.0, "d(2/x)");
    assert_eq!(g[1], -1.0);
    let (_, _, h) = hessian(|x| if 0.0 < x[0] { 2.0 / x[0] } else { x[0] }, &x);
    assert_close(h[(0, 0)], 4.0 / x[0].powi(3), RTOL, 1.0, "d²(2/x)");
    let (_, g) = reverse::gradient(|x| 2.0 / x[0] - 3.0 * x[1], &x);
    assert_close(g[0], -2.0 / (x[0] * x[0]), RTOL, 1.0, "reverse d(2/x)");
    assert_eq!(g[1], -3.0);
    let (_, _, h) = reverse::hessian(|x| 2.0 / x[0] + 1.0 - x[1] * k, &x);
    assert_close(h[(0, 0)], 4.0 / x[0].powi(3), RTOL, 1.0, "reverse d²(2/x)");
    let g = Graph::record(&x, |x| 2.0 / x[0] * k).gradient();
    let out = g.eval(&[0.5, 0.0]).unwrap();
    assert_eq!((out[0], out[1]), (10.0, -8.0 * k));
}

/// Third derivatives: `Dual<Dual<Dual<f64, 1>, 1>, 1>` is `Real` too.
#[test]
fn literals_at_depth_three() {
    fn f<T: Real>(x: T) -> T {
        x.pow(2.5) * 2.0 + T::cst(1.0) / x - 3.0
    }
    let mut rng = Rng::for_test("depth three");
    for x in [1.0, 0.25, 4.0]
        .into_iter()
        .chain((0..10).map(|_| rng.uniform(0.1, 5.0)))
    {
        let (v, d1, d2, d3) = third_derivative(f, x);
        assert_close(v, 2.0 * x.powf(2.5) + 1.0 / x - 3.0, RTOL, 1.0, "f");
        assert_close(d1, 5.0 * x.powf(1.5) - 1.0 / (x * x), RTOL, 1.0, "f'");
        assert_close(d2, 7.5 * x.sqrt() + 2.0 / x.powi(3), RTOL, 1.0, "f''");
        assert_close(d3, 3.75 / x.sqrt() - 6.0 / x.powi(4), RTOL, 1.0, "f'''");
    }
}

/// The `f32` sibling.
#[test]
fn real32() {
    fn f<T: Real32>(x: &[T]) -> T {
        let s: T = x.iter().map(|&v| v * v * 0.5).sum();
        s + x[0] * 3.0 - T::cst(1.0) / x[1]
    }
    let (v, g) = gradient(f, &[2.0_f32, 4.0]);
    assert_eq!(v, 2.0 + 8.0 + 6.0 - 0.25);
    assert_eq!(g, vec![2.0 + 3.0, 4.0 + 1.0 / 16.0]);
    let (_, g) = reverse::gradient(f, &[2.0_f32, 4.0]);
    assert_eq!(g, vec![5.0, 4.0625]);
}

/// Only nalgebra's `RealField` imported: math methods on a `Dual`, a `Var` and a `Sym` are
/// inherent, so they resolve, and they carry the derivative.
mod realfield_only {
    use super::common::{Rng, assert_close};
    use nalgebra::RealField;
    use nilpotent::Dual;
    use nilpotent::graph::Graph;
    use nilpotent::reverse;

    #[test]
    fn math_methods_without_num_traits() {
        let mut rng = Rng::for_test("realfield only");
        for x in [1.0, 0.5, 3.0]
            .into_iter()
            .chain((0..10).map(|_| rng.uniform(0.1, 4.0)))
        {
            let d = Dual::<f64, 1>::variable(x, 0);
            let y = d.ln() + d.sin() * d.sqrt() - Dual::<f64, 1>::pi().cos() * d.exp();
            let exact = 1.0 / x + x.cos() * x.sqrt() + x.sin() / (2.0 * x.sqrt()) + x.exp();
            assert_close(y.eps[0], exact, 1e-12, 1.0, "d/dx via inherent methods");
            // the same on the tape and in a graph
            let (_, g) = reverse::gradient(|v| v[0].ln() + v[0].sin() * v[0].sqrt(), &[x]);
            let e2 = 1.0 / x + x.cos() * x.sqrt() + x.sin() / (2.0 * x.sqrt());
            assert_close(g[0], e2, 1e-12, 1.0, "reverse");
            let gr = Graph::record(&[x], |v| v[0].ln() + v[0].sin() * v[0].sqrt()).gradient();
            assert_close(gr.eval(&[x]).unwrap()[1], e2, 1e-12, 1.0, "graph");
        }
        // RealField's own methods still work where they do not collide (pi above)
        assert_eq!(Dual::<f64, 1>::two_pi().re, std::f64::consts::TAU);
    }

    /// nalgebra code over `RealField`, a log-determinant, with only `RealField` imported.
    #[test]
    fn nalgebra_matrix_code() {
        use nalgebra::Matrix2;
        let t = Dual::<f64, 1>::variable(0.5, 0);
        // det [[2 + t, t], [1, 3]] = 6 + 2t, log det' = 2 / (6 + 2t)
        let m = Matrix2::new(t + 2.0, t, Dual::constant(1.0), Dual::constant(3.0));
        let ld = m.determinant().ln();
        assert_close(ld.eps[0], 2.0 / 7.0, 1e-14, 1.0, "d log det");
    }
}

/// Both `Float` and `ComplexField` imported: every call on a concrete type is the inherent
/// method, never E0034.
mod float_and_complexfield {
    use super::common::{Rng, assert_close};
    use nalgebra::ComplexField;
    use nilpotent::Dual;
    use nilpotent::graph::Graph;
    use nilpotent::reverse::{self, Var};
    use num_traits::Float;

    #[test]
    fn no_ambiguity() {
        let mut rng = Rng::for_test("float and complexfield");
        for _ in 0..10 {
            let (x, y) = (rng.uniform(0.2, 0.9), rng.uniform(0.2, 3.0));
            let d = Dual::<f64, 2>::variable(x, 0);
            let e = Dual::<f64, 2>::variable(y, 1);
            let z = d.sin() * e.ln() + d.powi(3) - d.hypot(e) + d.atan2(e) + d.asin()
                - e.powf(d).abs()
                + d.mul_add(e, d).sqrt()
                + d.max(e).tanh();
            // the traits' own functions, where asked for by path
            let w = Float::exp(d) + ComplexField::modulus(e);
            assert!(z.is_finite() && !z.is_nan() && z.is_sign_positive() == (z.re >= 0.0));
            let h = (x * x + y * y).sqrt();
            let dx =
                x.cos() * y.ln() + 3.0 * x * x - x / h + y / h / h + 1.0 / (1.0 - x * x).sqrt()
                    - y.powf(x) * y.ln()
                    + 0.5 * (1.0 + y) / (x * y + x).sqrt()
                    + if x > y { 1.0 - x.tanh().powi(2) } else { 0.0 };
            let dy = x.sin() / y - y / h - x / h / h - x * y.powf(x - 1.0)
                + 0.5 * x / (x * y + x).sqrt()
                + if y > x { 1.0 - y.tanh().powi(2) } else { 0.0 };
            assert_close(z.eps[0], dx, 1e-12, 1.0, "∂z/∂x");
            assert_close(z.eps[1], dy, 1e-12, 1.0, "∂z/∂y");
            assert_eq!(w.eps, [x.exp(), 1.0]);

            let (_, g) = reverse::gradient(|v: &[Var<f64>]| v[0].sin() * v[1].ln(), &[x, y]);
            assert_close(g[0], x.cos() * y.ln(), 1e-12, 1.0, "reverse ∂x");
            assert_close(g[1], x.sin() / y, 1e-12, 1.0, "reverse ∂y");
            let gr = Graph::record(&[x, y], |v| v[0].sin() * v[1].ln()).gradient();
            let out = gr.eval(&[x, y]).unwrap();
            assert_close(out[1], x.cos() * y.ln(), 1e-12, 1.0, "graph ∂x");
            assert_close(out[2], x.sin() / y, 1e-12, 1.0, "graph ∂y");
        }
    }
}

/// The special points of the conventions through the inherent methods: the same numbers as
/// through `Float` (they forward to it).
#[test]
fn inherent_methods_at_special_points() {
    use num_traits::Float;
    let zero = Dual::<f64, 1>::variable(0.0, 0);
    let neg_zero = Dual::<f64, 1>::variable(-0.0, 0);
    assert_eq!(zero.abs().eps[0], 1.0);
    assert_eq!(neg_zero.abs().eps[0], -1.0);
    assert_eq!(zero.sqrt().re, 0.0);
    assert!(zero.sqrt().eps[0].is_infinite());
    // a lane with zero tangent stays zero at the singular point
    assert_eq!(Dual::<f64, 1>::constant(0.0).sqrt().eps[0], 0.0);
    let one = Dual::<f64, 1>::variable(1.0, 0);
    assert_eq!(one.max(one).eps[0], 1.0); // tie: the average of equal tangents
    assert_eq!(one.max(Dual::constant(1.0)).eps[0], 0.5);
    assert_eq!(zero.atan2(Dual::constant(0.0)).eps[0], 0.0);
    for x in [-2.0, -0.5, 0.0, 0.5, 1.0, 3.0] {
        let d = Dual::<f64, 1>::variable(x, 0);
        for (inh, tr) in [
            (d.floor(), Float::floor(d)),
            (d.signum(), Float::signum(d)),
            (d.exp_m1(), Float::exp_m1(d)),
            (d.ln_1p(), Float::ln_1p(d)),
            (d.cbrt(), Float::cbrt(d)),
            (
                d.clamp(Dual::constant(-1.0), Dual::constant(1.0)),
                Float::clamp(d, Dual::constant(-1.0), Dual::constant(1.0)),
            ),
            (
                d.copysign(Dual::constant(-1.0)),
                Float::copysign(d, Dual::constant(-1.0)),
            ),
        ] {
            assert!(
                inh.re.to_bits() == tr.re.to_bits()
                    && (inh.eps[0].to_bits() == tr.eps[0].to_bits()
                        || inh.eps[0].is_nan() && tr.eps[0].is_nan()),
                "{inh} vs {tr} at {x}"
            );
        }
    }
}

/// Functions bounded on `Float` only keep working everywhere, next to `Real` ones.
#[test]
fn float_bound_still_works() {
    use num_traits::Float;
    fn f<T: Float>(x: &[T]) -> T {
        x[0].ln() + x[0] * x[1] - x[1].sin()
    }
    let (_, g) = gradient(f, &[2.0, 5.0]);
    assert_eq!(g[0], 5.5);
    let (_, g2) = reverse::gradient(f, &[2.0, 5.0]);
    assert_eq!(g, g2);
    let (_, j) = jacobian(|x| vec![f(x), x[0] * 2.0], &[2.0, 5.0]);
    assert_eq!(j[(1, 0)], 2.0);
    assert_eq!(derivative(|x| x * 3.0 + 1.0, 2.0), (7.0, 3.0));
    assert_eq!(second_derivative(|x| x * x * 3.0, 2.0), (12.0, 12.0, 6.0));
}

// ---------------------------------------------------------------- issue 25: one style everywhere

/// A model with a branch, as a user writes it: the comparison's line is kept for the message.
fn branchy<T: Real>(x: &[T]) -> T {
    if x[0] > 0.0 { x[0] * x[1] } else { x[1] - x[0] } // BRANCH
}

/// The line of `branchy`'s comparison in this file (found in the source, not hard-coded).
fn branch_line() -> String {
    let src = include_str!("generic_code.rs");
    let line = src
        .lines()
        .position(|l| l.contains("} // BRANCH") && l.contains("if x[0] > 0.0"))
        .unwrap()
        + 1;
    format!("{}:{line}:", file!())
}

/// Issue 25: "a guard failure reads `guard g0 fails: recorded (v2 < v0) = true` for the source
/// `x[0] > 0.0`: operands swapped, a constant node the user never named". Now it reads as
/// written, where it was written, with the input's value: in the function's graph, in its
/// derivative graphs, on every evaluator.
#[test]
fn guard_failures_read_in_the_users_words() {
    let want_recorded = format!("x[0] > 0.0 at {}", branch_line());
    let check = |err: nilpotent::graph::GraphError, what: &str| {
        let msg = err.to_string();
        let (recorded, found) = match err {
            nilpotent::graph::GraphError::Guard {
                recorded, found, ..
            } => (recorded, found),
            other => panic!("{what}: {other:?}"),
        };
        assert!(
            recorded.starts_with(&want_recorded) && recorded.ends_with(" was true"),
            "{what}: {recorded}"
        );
        assert_eq!(found, "false (x[0] = -1)", "{what}");
        assert!(
            msg.contains("was true at recording, but here false (x[0] = -1)"),
            "{what}: {msg}"
        );
        // no internal node numbers
        assert!(!msg.contains("v0") && !msg.contains("v2"), "{what}: {msg}");
    };
    let g = Graph::record(&[1.0, 2.0], branchy::<Sym>);
    let at = [-1.0, 2.0];
    check(g.eval(&at).unwrap_err(), "function graph");
    check(g.gradient().eval(&at).unwrap_err(), "gradient graph");
    check(g.hessian().eval(&at).unwrap_err(), "Hessian graph");
    check(
        g.program()
            .evaluator::<Dual<f64, 2>>()
            .eval(&[Dual::variable(-1.0, 0), Dual::variable(2.0, 1)])
            .unwrap_err(),
        "interpreter on dual numbers",
    );
    #[cfg(feature = "jit")]
    check(g.compile().unwrap().eval(&at).unwrap_err(), "JIT");
    // the node-number form stays in the listing, under the guard's name, with the place
    let listing = g.to_string();
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("g0: (") && l.contains(&branch_line())),
        "{listing}"
    );
    // the other comparisons, in source order with the operator as written
    let h = Graph::record(&[1.0, 2.0], |x: &[Sym]| {
        if 2.0 <= x[1] && x[0] != x[1] {
            x[0]
        } else {
            x[1]
        }
    });
    let msg = h.eval(&[1.0, 1.5]).unwrap_err().to_string();
    assert!(
        msg.contains("2.0 <= x[1] at ") && msg.contains("(x[1] = 1.5)"),
        "{msg}"
    );
    let msg = h.eval(&[2.0, 2.0]).unwrap_err().to_string();
    assert!(
        msg.contains("x[0] != x[1] at ") && msg.contains("x[0] = 2, x[1] = 2"),
        "{msg}"
    );
}

/// A guard inside a loop body names the body's inputs by what they are to the user — `row[j]`
/// (an entry of the row of `sum_map`), `window[j]` (of overlapping windows), `state[i]` (of
/// `fold`/`scan`), and a value the body captured by its name in the function (`x[i]`, `p[k]`) or,
/// inside a nested body, `captured[k]` — instead of the body's own inputs `x[i]` (which read as
/// the function's inputs); in the function graph, its gradient graph and every evaluator.
#[test]
fn guards_inside_loop_bodies_name_rows_states_and_captured_values() {
    use nilpotent::{fold, sum_map, sum_windows};
    let check = |err: nilpotent::graph::GraphError, iteration: usize, want: &[&str], what: &str| {
        let msg = err.to_string();
        match err {
            nilpotent::graph::GraphError::LoopGuard { iteration: k, .. } => {
                assert_eq!(k, iteration, "{what}: {msg}")
            }
            other => panic!("{what}: {other:?}"),
        }
        for w in want {
            assert!(msg.contains(w), "{what}: {w:?} not in {msg}");
        }
        // the advice once, at the end
        assert_eq!(
            msg.matches("record the graph again").count(),
            1,
            "{what}: {msg}"
        );
    };
    // a row entry against a literal; the data as parameters
    let loss = |w: &[Sym], rows: &[Sym]| {
        sum_map(rows, 2, |r| {
            if r[1] > 0.5 {
                (w[0] * r[0]).exp()
            } else {
                w[0] * r[0]
            }
        })
    };
    let g = Graph::record_with(&[0.5], &[1.0, 1.0, 2.0, 1.0], loss);
    let rows = [1.0, 1.0, 2.0, 0.0];
    let want = [
        "row[1] > 0.5 at ",
        "was true at recording, but here false (row[1] = 0)",
    ];
    check(g.eval_with(&[0.5], &rows).unwrap_err(), 1, &want, "sum_map");
    check(
        g.gradient().eval_with(&[0.5], &rows).unwrap_err(),
        1,
        &want,
        "sum_map, gradient graph",
    );
    #[cfg(feature = "jit")]
    check(
        g.compile().unwrap().eval_with(&[0.5], &rows).unwrap_err(),
        1,
        &want,
        "sum_map, JIT",
    );
    // the state against a captured input; a captured parameter
    let halve = |x: &[Sym], p: &[Sym]| {
        fold(&[x[0]], 3, |s| {
            vec![if s[0] > x[1] { s[0] * 0.5 } else { s[0] * p[0] }]
        })[0]
    };
    let g = Graph::record_with(&[8.0, 1.0], &[2.0], halve);
    let want = ["state[0] > x[1] at ", "(state[0] = 0.5, x[1] = 1)"];
    check(
        g.eval_with(&[0.5, 1.0], &[2.0]).unwrap_err(),
        0,
        &want,
        "fold",
    );
    check(
        g.gradient().eval_with(&[0.5, 1.0], &[2.0]).unwrap_err(),
        0,
        &want,
        "fold, gradient graph",
    );
    let g = Graph::record_with(&[8.0], &[1.0], |x: &[Sym], p: &[Sym]| {
        fold(&[x[0]], 3, |s| {
            vec![if s[0] > p[0] { s[0] * 0.5 } else { s[0] }]
        })[0]
    });
    let want = ["state[0] > p[0] at ", "(state[0] = 0.5, p[0] = 1)"];
    check(
        g.eval_with(&[0.5], &[1.0]).unwrap_err(),
        0,
        &want,
        "fold, parameter",
    );
    // overlapping windows
    let g = Graph::record(&[1.0, 2.0, 3.0], |x: &[Sym]| {
        sum_windows(x, 2, 1, |w| if w[1] > w[0] { w[1] - w[0] } else { w[0] })
    });
    let want = [
        "window[1] > window[0] at ",
        "(window[1] = 1, window[0] = 3)",
    ];
    check(
        g.eval(&[1.0, 3.0, 1.0]).unwrap_err(),
        1,
        &want,
        "sum_windows",
    );
    // a nested body: the outer body's state is captured by the inner one (one step, so that
    // only the inner body's `true` path is recorded)
    let g = Graph::record_with(&[0.0], &[1.0, 2.0], |x: &[Sym], rows: &[Sym]| {
        fold(&[x[0]], 1, |s| {
            vec![sum_map(rows, 1, |r| if r[0] > s[0] { r[0] } else { s[0] })]
        })[0]
    });
    let want = [
        "iteration 0 of a loop",
        "iteration 0 of a loop",
        "row[0] > captured[0] at ",
        "(row[0] = 1, captured[0] = 5)",
    ];
    check(
        g.eval_with(&[5.0], &[1.0, 2.0]).unwrap_err(),
        0,
        &want,
        "nested",
    );
}

/// Three branches, chosen by comparisons of the inputs.
fn three_branches<T: Real>(x: &[T]) -> T {
    if x[0] > 0.0 {
        x[0] * x[0] * x[1]
    } else if x[1] > x[0] * -2.0 {
        (x[1] * 0.5).sin() - x[0]
    } else {
        x[0].exp() * x[1]
    }
}

/// The branch `three_branches` takes at `x` (computed in f64, independently of the graph).
fn branch_of(x: &[f64]) -> usize {
    if x[0] > 0.0 {
        0
    } else if x[1] > -2.0 * x[0] {
        1
    } else {
        2
    }
}

/// Issue 25: "graphs with branches need hand-written re-recording (11 lines in the trial)".
/// `CachedGraph` records again where a guard fails: evaluated across the three branches of a
/// function, in random order, every value is the f64 program's, every gradient and Hessian
/// forward mode's (another mode), and it records once per branch while the variants fit, once
/// per change of branch with a single variant.
#[test]
fn a_cached_graph_records_itself_again_across_branches() {
    use nilpotent::graph::CachedGraph;
    let mut rng = Rng::for_test("cached graph");
    let points: Vec<[f64; 2]> = (0..60)
        .map(|_| [rng.uniform(-2.0, 2.0), rng.uniform(-3.0, 3.0)])
        .collect();
    let branches: std::collections::HashSet<usize> = points.iter().map(|p| branch_of(p)).collect();
    assert_eq!(branches.len(), 3, "the points cover the three branches");
    let changes = 1 + points
        .windows(2)
        .filter(|w| branch_of(&w[0]) != branch_of(&w[1]))
        .count();

    let mut value = CachedGraph::new(three_branches::<Sym>);
    let mut grad = CachedGraph::new(three_branches::<Sym>).gradient();
    let mut hess = CachedGraph::new(three_branches::<Sym>).hessian();
    let mut single = CachedGraph::new(three_branches::<Sym>)
        .gradient()
        .max_variants(1);
    for x in &points {
        let what = format!("at {x:?} (branch {})", branch_of(x));
        let want = three_branches(x);
        assert_eq!(value.eval(x).unwrap(), vec![want], "{what}");
        let (v, g) = gradient(three_branches, x);
        let out = grad.eval(x).unwrap();
        assert_eq!(out[0], want, "{what}");
        assert_close(v, want, RTOL, 1.0, &what);
        check_gradient(&out[1..], [g[0], g[1]], &what);
        assert_eq!(single.eval(x).unwrap(), out, "{what}: one variant");
        let (_, _, h) = hessian(three_branches, x);
        let out = hess.eval(x).unwrap();
        for i in 0..2 {
            for j in 0..2 {
                assert_close(
                    out[3 + 2 * i + j],
                    h[(i, j)],
                    RTOL,
                    1.0,
                    &format!("{what}: H{i}{j}"),
                );
            }
        }
    }
    for c in [&value, &grad, &hess] {
        assert_eq!((c.recordings(), c.variants()), (3, 3), "{c:?}");
        let keys: std::collections::HashSet<&[u64]> = c.keys().collect();
        assert_eq!(keys.len(), 3, "three variants, three sets of answers");
    }
    assert_eq!((single.recordings(), single.variants()), (changes, 1));
    // the input length is fixed by the first input
    assert_eq!(
        value.eval(&[1.0]),
        Err(nilpotent::graph::GraphError::InputLength {
            expected: 2,
            found: 1
        })
    );
}

/// log det(A) through the Cholesky factor, with literals and `ln` as a user writes them.
fn log_det_cholesky<T: nilpotent::linalg::RealLinalg>(a: &[T], n: usize) -> T {
    let l = T::cholesky(nalgebra::DMatrix::from_column_slice(n, n, a)).unwrap();
    l.diagonal().iter().map(|d| d.ln()).sum::<T>() * 2.0
}

/// log |det(A)| through LU, the same style.
fn log_det_lu<T: nilpotent::linalg::RealLinalg>(a: &[T], n: usize) -> T {
    T::determinant(&nalgebra::DMatrix::from_column_slice(n, n, a))
        .abs()
        .ln()
}

/// Issue 25: "`T: Real + RealField` makes `exp`, `ln`, `powi`, `max`, `min`, `sqrt` ambiguous
/// (E0034)". `RealLinalg` gives literals and the decompositions in one bound: the log-determinant
/// through Cholesky and through LU, forward and reverse, against the closed form from the f64
/// inverse (textbook A⁻ᵀ through LU; its lower-triangle form through Cholesky, as documented).
#[test]
fn literals_and_decompositions_in_one_bound() {
    let n = 3;
    let mut rng = Rng::for_test("realLinalg");
    for _ in 0..5 {
        // A = B Bᵀ + n I: symmetric positive definite
        let b = nalgebra::DMatrix::from_fn(n, n, |_, _| rng.uniform(-1.0, 1.0));
        let a = &b * b.transpose() + nalgebra::DMatrix::identity(n, n) * n as f64;
        let inv = a.clone().try_inverse().unwrap();
        let exact = a.determinant().ln();
        let x = a.as_slice().to_vec();
        let (v, g_chol) = reverse::gradient(|a| log_det_cholesky(a, n), &x);
        let (v_fwd, g_chol_fwd) = gradient(|a| log_det_cholesky(a, n), &x);
        let (v_lu, g_lu) = reverse::gradient(|a| log_det_lu(a, n), &x);
        for (got, what) in [(v, "cholesky"), (v_fwd, "cholesky, forward"), (v_lu, "lu")] {
            assert_close(got, exact, RTOL, 1.0, what);
        }
        for j in 0..n {
            for i in 0..n {
                let k = i + j * n; // column-major (i, j)
                let textbook = inv[(j, i)]; // (A⁻ᵀ)ᵢⱼ
                assert_close(g_lu[k], textbook, 1e-10, 1.0, &format!("LU ({i}, {j})"));
                let lower = match i.cmp(&j) {
                    std::cmp::Ordering::Greater => 2.0 * inv[(i, j)],
                    std::cmp::Ordering::Equal => inv[(i, i)],
                    std::cmp::Ordering::Less => 0.0,
                };
                assert_close(
                    g_chol[k],
                    lower,
                    1e-10,
                    1.0,
                    &format!("Cholesky ({i}, {j})"),
                );
                assert_close(g_chol_fwd[k], lower, 1e-10, 1.0, &format!("fwd ({i}, {j})"));
            }
        }
    }
}

/// A two-layer perceptron in the same style: matrix products, literals, `tanh`, `max` with
/// `T::cst`, and a solve; its gradient (reverse) against the f64 program's central differences.
#[test]
fn an_mlp_with_literals_and_a_solve() {
    use nalgebra::DMatrix;
    use nilpotent::linalg::RealLinalg;
    fn loss<T: RealLinalg>(w: &[T], xs: &DMatrix<f64>, ys: &[f64]) -> T {
        let w1 = DMatrix::from_column_slice(3, 2, &w[..6]);
        let w2 = DMatrix::from_column_slice(1, 3, &w[6..9]);
        let x = xs.map(T::cst);
        let h = (&w1 * &x).map(|v| (v * 0.5).tanh() + v.max(T::cst(0.0)) * 0.1);
        let out = &w2 * &h;
        // a ridge term through a solve: (I + W1ᵀW1)⁻¹ 1
        let m = DMatrix::identity(2, 2) + w1.transpose() * &w1;
        let s = T::solve(m, &DMatrix::from_element(2, 1, T::cst(1.0))).unwrap();
        let fit: T = out.iter().zip(ys).map(|(&o, &y)| (o - y).powi(2)).sum();
        fit / ys.len() as f64 + s.iter().copied().sum::<T>() * 0.01
    }
    let xs = DMatrix::from_column_slice(2, 4, &[0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]);
    let ys = [0.0, 1.0, 1.0, 0.0];
    let w: Vec<f64> = (0..9).map(|i| ((i * 7 % 5) as f64 - 2.0) * 0.3).collect();
    let (v, g) = reverse::gradient(|w| loss(w, &xs, &ys), &w);
    assert_eq!(v, loss(&w, &xs, &ys));
    for k in 0..w.len() {
        let h = 1e-6;
        let (mut up, mut down) = (w.clone(), w.clone());
        up[k] += h;
        down[k] -= h;
        let fd = (loss(&up, &xs, &ys) - loss(&down, &xs, &ys)) / (2.0 * h);
        assert_close(g[k], fd, 1e-6, 1e-8, &format!("∂/∂w{k}"));
    }
}

/// Issue 25: "the README quick start does not compile as pasted (`use num_traits::Float` needs
/// the crate's re-export or a dependency the snippet does not add)". Every Rust block of the
/// README that is compiled imports only from `nilpotent` (which re-exports num-traits and
/// nalgebra) and `std`/`core`: the one dependency its `[dependencies]` snippet adds.
#[test]
fn readme_snippets_compile_with_the_one_dependency_they_declare() {
    let readme = include_str!("../../../README.md");
    let mut in_rust = false;
    let mut checked = 0;
    for (i, line) in readme.lines().enumerate() {
        let t = line.trim_start();
        if let Some(lang) = t.strip_prefix("```") {
            in_rust = !in_rust
                && (lang == "rust" || lang.starts_with("rust,") && !lang.contains("ignore"));
            continue;
        }
        if in_rust && let Some(path) = t.strip_prefix("use ") {
            let root = path.split("::").next().unwrap().trim_start_matches('{');
            assert!(
                ["nilpotent", "std", "core"].contains(&root),
                "README line {}: `{t}` needs a dependency the README does not add",
                i + 1
            );
            checked += 1;
        }
    }
    assert!(checked >= 5, "the README's imports were found ({checked})");
}

/// The panic message of `f`.
fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap()
}

/// Issue 25: "several length checks still print `assert_eq!`'s `left/right` (`jvp`, `vjp`,
/// `hvp`, `Tape::gradient_into`)". Each says in words what was wrong, and only that.
#[test]
fn length_errors_say_what_was_wrong_without_left_and_right() {
    fn g<T: Real>(x: &[T]) -> Vec<T> {
        vec![x[0] * x[1], x[0] + 1.0]
    }
    fn f<T: Real>(x: &[T]) -> T {
        x[0] * x[1]
    }
    let x = [1.0, 2.0];
    let cases: Vec<(&str, String)> = vec![
        (
            "jvp",
            panic_message(|| drop(nilpotent::jvp(g, &x, &[1.0, 0.0, 0.0]))),
        ),
        ("vjp", panic_message(|| drop(reverse::vjp(g, &x, &[1.0])))),
        ("hvp", panic_message(|| drop(nilpotent::hvp(f, &x, &[1.0])))),
        ("hvp", panic_message(|| drop(reverse::hvp(f, &x, &[1.0])))),
        (
            "gradient_into",
            panic_message(|| {
                let mut tape = reverse::Tape::new();
                let mut grad = [0.0; 3];
                tape.gradient_into(f, &x, &mut grad);
            }),
        ),
    ];
    for (name, msg) in cases {
        assert!(msg.starts_with(&format!("{name}: ")), "{msg}");
        assert!(msg.contains("expected 2, one per"), "{msg}");
        assert!(
            !msg.contains("left") && !msg.contains("right"),
            "{name}: {msg}"
        );
    }
}

/// Issue 25: "DOT drawings name outputs only `y0…yN` (nothing says f, ∂f/∂x₀, H₀₁), constants
/// are bare text, `⊙` has no legend". The drawing and the listing name each output by what it
/// is, and the drawing has a legend (with `⊙` where the graph has one).
#[test]
fn drawings_name_the_outputs_and_explain_their_symbols() {
    fn f<T: Real>(x: &[T]) -> T {
        x[0] * x[1] + x[0].sin() * 2.0
    }
    let g = Graph::record(&[1.0, 2.0], f::<Sym>);
    let grad = g.gradient();
    let hess = g.hessian();
    let dot = grad.to_dot();
    for name in ["y0 = f", "y1 = ∂f/∂x₀", "y2 = ∂f/∂x₁"] {
        assert!(dot.contains(name), "{name}\n{dot}");
    }
    assert!(dot.contains("legend [shape=note"), "{dot}");
    let has_chain_mul = grad.to_string().contains('⊙');
    assert_eq!(dot.contains("a ⊙ b:"), has_chain_mul, "{dot}");
    let dot = hess.to_dot();
    for name in ["y3 = H₀₀", "y4 = H₀₁", "y6 = H₁₁"] {
        assert!(dot.contains(name), "{name}\n{dot}");
    }
    // the names are the outputs' order: H₀₁ is ∂²f/∂x₀∂x₁ = 1 here (an independent closed form)
    let out = hess.eval(&[1.0, 2.0]).unwrap();
    assert_eq!(out[4], 1.0);
    assert!(hess.to_string().contains("# H₀₁"), "{hess}");
    let vector = Graph::record_vec(&[1.0, 2.0], |x: &[Sym]| vec![x[0] * x[1], x[0] + x[1]]);
    let dot = vector.jacobian().to_dot();
    assert!(
        dot.contains("y1 = f₁") && dot.contains("y5 = ∂f₁/∂x₁"),
        "{dot}"
    );
}

/// Issue 25: "listings keep `powi(v5, 1)`". The derivative of `powi(x, 2)` is `2·x`, not
/// `2·powi(x, 1)`, in the graph; its values are forward mode's (powi(x, 1) = x exactly, also at
/// ±0, ±∞ and NaN).
#[test]
fn listings_drop_powi_of_one() {
    fn f<T: Real>(x: &[T]) -> T {
        x[0].powi(2) * x[1] + x[1].powi(3)
    }
    let h = Graph::record(&[1.5, -2.0], f::<Sym>).hessian();
    let listing = h.to_string();
    assert!(!listing.contains(", 1)"), "{listing}");
    for x in [
        [1.5, -2.0],
        [0.0, -0.0],
        [f64::INFINITY, 1.0],
        [-3.0, f64::NAN],
    ] {
        let out = h.eval(&x).unwrap();
        let (v, g, hf) = hessian(f, &x);
        let want = [
            v,
            g[0],
            g[1],
            hf[(0, 0)],
            hf[(0, 1)],
            hf[(1, 0)],
            hf[(1, 1)],
        ];
        for (o, w) in out.iter().zip(want) {
            // (equal as numbers: the graph's Hessian is reverse over reverse, forward mode's
            // forward over forward; the sign of a zero may differ between the two orders)
            assert!(
                o == &w || o.is_nan() && w.is_nan(),
                "{x:?}: {out:?} vs {want:?}"
            );
        }
    }
}
