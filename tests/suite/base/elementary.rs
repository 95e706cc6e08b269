//! The error function, the entry that proved the checklist "adding an elementary function" (its line
//! in the list of elementary functions, its formula in the rule table, its input domain in the rule
//! walk): every mode and backend, every order, against independent oracles.
//!
//! * Values: `libm::erf` bit for bit in every mode (forward, tape, graph interpreter, emitted code's
//!   callee, JIT), at random points and at 0, −0, ±1, ±∞, NaN and large |x|.
//! * First derivatives: the closed form 2/√π·e^(−x²) at the special points, and central
//!   finite differences (two Richardson levels, computed on `libm::erf` alone) at random points.
//! * Second and third derivatives: the closed forms −2x·erf′(x) and (4x² − 2)·erf′(x) (nested dual
//!   numbers, forward over reverse, graph Hessians interpreted and compiled), and finite
//!   differences of the first derivative's closed form.
//!
//! The shared rule walks (`base::rules`, `forward::nested_rules`, `reverse::rules`, `graph::rules`,
//! the emitted and JIT snapshots of `graph::cases`) also cover `Unary::Erf`, through `Unary::ALL`.

use crate::common::{Rng, close, fd1, same_f64};
use nilpotent::graph::Graph;
use nilpotent::rules::Unary;
use nilpotent::{Dual, Elementary, reverse};
use num_traits::Float;
use std::f64::consts::FRAC_2_SQRT_PI;

/// erf′(x) = 2/√π · e^(−x²), the closed form (an oracle independent of the rule table's code path:
/// plain `f64` arithmetic).
fn d1(x: f64) -> f64 {
    FRAC_2_SQRT_PI * (-x * x).exp()
}

/// erf″(x) = −2x · erf′(x).
fn d2(x: f64) -> f64 {
    -2.0 * x * d1(x)
}

/// erf‴(x) = (4x² − 2) · erf′(x).
fn d3(x: f64) -> f64 {
    (4.0 * x * x - 2.0) * d1(x)
}

/// The special points of the issue: 0, −0, ±1, ±∞, NaN, large |x| (erf′ still finite at 6, an
/// underflow at 27), a tiny one.
const SPECIAL: [f64; 12] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    6.0,
    -6.0,
    27.0,
    -27.0,
    1e-300,
];

/// Random points: [`common::Rng`] (seeded) on (−5, 5), the domain of the rule walk.
fn random_points(salt: &str) -> Vec<f64> {
    let mut rng = Rng::for_test(salt);
    (0..300).map(|_| rng.uniform(-5.0, 5.0)).collect()
}

/// Every point the value and derivative checks visit.
fn all_points(salt: &str) -> Vec<f64> {
    let mut p = SPECIAL.to_vec();
    p.extend(random_points(salt));
    p
}

/// A relative comparison that accepts two NaN and two equal infinities; `floor` as in
/// [`common::close`].
fn agree(a: f64, b: f64, rtol: f64, floor: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || close(a, b, rtol, floor)
}

#[test]
fn erf_value_is_libm_bit_for_bit_in_every_mode() {
    for x in all_points("erf values") {
        let want = libm::erf(x);
        let f = <f64 as Elementary>::erf(x);
        assert!(same_f64(f, want), "f64: erf({x:e}) = {f:e}, libm {want:e}");
        let table = Unary::Erf.eval(x).0;
        assert!(same_f64(table, want), "Unary::Erf.eval({x:e}) = {table:e}");
        let d = Dual::<f64, 1>::variable(x, 0).erf().re;
        assert!(same_f64(d, want), "Dual: erf({x:e}) = {d:e}, libm {want:e}");
        let dd = Dual::<Dual<f64, 1>, 1>::variable(Dual::variable(x, 0), 0)
            .erf()
            .re
            .re;
        assert!(same_f64(dd, want), "nested Dual: erf({x:e}) = {dd:e}");
        let (r, _) = reverse::gradient(|v| v[0].erf(), &[x]);
        assert!(same_f64(r, want), "Var: erf({x:e}) = {r:e}, libm {want:e}");
        // the graph records one node whose value is computed on f64 (the recording point is
        // another point: the graph is evaluated at x)
        let g = Graph::record(&[0.5], |v| v[0].erf());
        let gi = g.eval(&[x]).unwrap()[0];
        assert!(
            same_f64(gi, want),
            "graph: erf({x:e}) = {gi:e}, libm {want:e}"
        );
        #[cfg(feature = "jit")]
        {
            let j = g.compile().unwrap().eval(&[x]).unwrap()[0];
            assert!(same_f64(j, want), "JIT: erf({x:e}) = {j:e}, libm {want:e}");
        }
        // f32: computed in f64, rounded once
        let x32 = x as f32;
        let want32 = libm::erf(f64::from(x32)) as f32;
        let v32 = Dual::<f32, 1>::variable(x32, 0).erf().re;
        assert!(
            v32.to_bits() == want32.to_bits() || (v32.is_nan() && want32.is_nan()),
            "Dual<f32>: erf({x32:e}) = {v32:e}, want {want32:e}"
        );
    }
}

#[test]
fn erf_emitted_code_calls_the_elementary_trait() {
    // emitted code writes `::nilpotent::Elementary::erf(v0)`, whose callee is checked against
    // libm above; the snapshot test (tests/graph_emitted.rs, `rule_erf*`) runs it bit for bit
    // against the interpreter at the special values of tests/compiled_cases
    let g = Graph::record(&[0.5], |v| v[0].erf());
    let src = g.to_rust("erf_fn");
    assert!(
        src.contains("::nilpotent::Elementary::erf(v0)"),
        "emitted source does not call Elementary::erf:\n{src}"
    );
    let gg = g.gradient().to_rust("erf_gradient");
    assert!(
        gg.contains(".exp()"),
        "the gradient's emitted source should compute e^(−x²):\n{gg}"
    );
}

#[test]
fn erf_first_derivative_matches_closed_form_and_finite_differences_in_every_mode() {
    let g = Graph::record(&[0.5], |v| v[0].erf()).gradient();
    #[cfg(feature = "jit")]
    let compiled = g.compile().unwrap();
    let random = random_points("erf first derivative");
    for x in SPECIAL.iter().copied().chain(random.iter().copied()) {
        let want = d1(x);
        let check = |name: &str, d: f64| {
            assert!(
                agree(d, want, 1e-15, 1e-300),
                "{name}: erf′({x:e}) = {d:e}, closed form {want:e}"
            );
        };
        check("Dual", Dual::<f64, 1>::variable(x, 0).erf().eps[0]);
        check("derivative()", nilpotent::derivative(|t| t.erf(), x).1);
        check("Var", reverse::gradient(|v| v[0].erf(), &[x]).1[0]);
        check("graph gradient", g.eval(&[x]).unwrap()[1]);
        #[cfg(feature = "jit")]
        check("graph gradient, JIT", compiled.eval(&[x]).unwrap()[1]);
        let d32 = Dual::<f32, 1>::variable(x as f32, 0).erf().eps[0];
        let want32 = d1(f64::from(x as f32));
        assert!(
            agree(f64::from(d32), want32, 2e-6, 1e-30),
            "Dual<f32>: erf′({x:e}) = {d32:e}, closed form {want32:e}"
        );
    }
    // finite differences of libm's erf: an oracle that shares no code with the rule
    for &x in &random {
        let fd = fd1(libm::erf, x);
        let d = Dual::<f64, 1>::variable(x, 0).erf().eps[0];
        assert!(
            close(d, fd, 1e-8, 1.0),
            "erf′({x:e}) = {d:e}, finite differences {fd:e}"
        );
    }
}

#[test]
fn erf_second_and_third_derivatives_match_closed_forms_at_every_order_and_in_every_mode() {
    fn f<T: Float + Elementary>(x: &[T]) -> T {
        x[0].erf()
    }
    let h = Graph::record(&[0.5], |v| v[0].erf()).hessian();
    #[cfg(feature = "jit")]
    let compiled = h.compile().unwrap();
    let random = random_points("erf higher orders");
    for x in SPECIAL.iter().copied().chain(random.iter().copied()) {
        let (want2, want3) = (d2(x), d3(x));
        let check = |name: &str, d: f64, want: f64| {
            assert!(
                agree(d, want, 1e-14, 1e-300),
                "{name} at {x:e}: {d:e}, closed form {want:e}"
            );
        };
        // at ±∞ the closed forms are 0·∞; their limit is 0, which the chain rule's zero
        // convention gives (a derivative of exactly 0 does not multiply an infinite tangent)
        let (want2, want3) = if x.is_infinite() {
            (0.0, 0.0)
        } else {
            (want2, want3)
        };
        let (_, _, s) = nilpotent::second_derivative(|t| t.erf(), x);
        check("second_derivative", s, want2);
        let (_, t1, t2, t3) = nilpotent::third_derivative(|t| t.erf(), x);
        check("third_derivative f′", t1, d1(x));
        check("third_derivative f″", t2, want2);
        check("third_derivative f‴", t3, want3);
        let (_, _, hf) = nilpotent::hessian(f, &[x]);
        check("hessian (forward)", hf[(0, 0)], want2);
        let (_, _, hr) = reverse::hessian(f, &[x]);
        check("hessian (forward over reverse)", hr[(0, 0)], want2);
        check("graph hessian", h.eval(&[x]).unwrap()[2], want2);
        #[cfg(feature = "jit")]
        check("graph hessian, JIT", compiled.eval(&[x]).unwrap()[2], want2);
        // the interpreter on nested dual numbers (the value from the level below)
        let plain = Graph::record(&[0.5], |v| v[0].erf());
        let mut ev = plain.program().evaluator::<Dual<Dual<f64, 1>, 1>>();
        let mut out = [Dual::constant(Dual::constant(0.0))];
        ev.eval_into(&[Dual::variable(Dual::variable(x, 0), 0)], &mut out)
            .unwrap();
        check("interpreter on Dual<Dual>", out[0].eps[0].eps[0], want2);
        check("interpreter on Dual<Dual>, f′", out[0].re.eps[0], d1(x));
    }
    // finite differences of the first derivative's closed form
    for &x in &random {
        let fd = fd1(d1, x);
        let (_, _, s) = nilpotent::second_derivative(|t| t.erf(), x);
        assert!(
            close(s, fd, 1e-8, 1.0),
            "erf″({x:e}) = {s:e}, finite differences {fd:e}"
        );
    }
}

#[test]
fn erf_zero_tangent_lane_stays_zero_at_nan() {
    // a lane whose tangent is 0 stays exactly 0 even where the derivative is NaN
    for x in [f64::NAN, f64::INFINITY, 0.0] {
        let y = Dual::<f64, 2>::new(x, [1.0, 0.0]).erf();
        assert_eq!(
            y.eps[1].to_bits(),
            0.0f64.to_bits(),
            "erf({x}): lane 1 = {}",
            y.eps[1]
        );
        assert!(agree(y.eps[0], d1(x), 1e-15, 1e-300));
    }
}

#[test]
fn erf_in_generic_code_through_the_elementary_bound() {
    /// The standard normal CDF Φ(x) = ½(1 + erf(x/√2)), Φ′ = e^(−x²/2)/√(2π).
    fn phi<T: Float + Elementary>(x: &[T]) -> T {
        let half = T::from(0.5).unwrap();
        half * (T::one() + (x[0] / T::from(2.0).unwrap().sqrt()).erf())
    }
    let pdf = |x: f64| (-x * x / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    for x in [-2.0, -0.3, 0.0, 0.7, 3.0] {
        let (v, g) = nilpotent::gradient(phi, &[x]);
        assert!(same_f64(v, phi(&[x])));
        let (vr, gr) = reverse::gradient(phi, &[x]);
        let gg = Graph::record(&[x], phi).gradient().eval(&[x]).unwrap();
        let (vs, gs, hs) = nilpotent::sparse::hessian(phi, &[x]);
        for (name, val, d) in [
            ("forward", v, g[0]),
            ("reverse", vr, gr[0]),
            ("graph", gg[0], gg[1]),
            ("sparse", vs, gs[0]),
        ] {
            assert!(same_f64(val, v), "{name}: Φ({x}) = {val}, f64 {v}");
            assert!(close(d, pdf(x), 1e-15, 1e-300), "{name}: Φ′({x}) = {d}");
        }
        let h = hs.get_entry(0, 0).unwrap().into_value();
        assert!(
            close(h, -x * pdf(x), 1e-14, 1e-300),
            "sparse: Φ″({x}) = {h}"
        );
    }
}

#[test]
#[should_panic(expected = "Dual<f64, 2> through nilpotent::Elementary")]
fn erf_rule_table_value_on_a_dual_number_panics_instead_of_dropping_its_derivatives() {
    // `Unary::eval` computes erf through f64, for plain floats; a dual number must go through
    // `Elementary` (which takes the value from the level below)
    let _ = Unary::Erf.eval(Dual::<f64, 2>::variable(0.5, 0));
}

#[test]
fn erf_is_listed_in_the_rule_table_with_its_name() {
    assert!(Unary::ALL.contains(&Unary::Erf));
    assert_eq!(Unary::Erf.name(), "erf");
    let g = Graph::record(&[0.5], |v| v[0].erf());
    assert!(format!("{g}").contains("erf v0"), "{g}");
}

/// erfc, added after erf through the checklist alone (its list entry, its formula, its input
/// domain): libm's value bit for bit and the closed forms erfc′ = −erf′, erfc″ = −erf″ in every
/// mode, at the special and random points.
#[test]
fn erfc_matches_libm_and_the_closed_forms_in_every_mode() {
    let g = Graph::record(&[0.5], |v| v[0].erfc());
    let (gg, gh) = (g.gradient(), g.hessian());
    #[cfg(feature = "jit")]
    let (cg, ch) = (gg.compile().unwrap(), gh.compile().unwrap());
    for x in all_points("erfc") {
        let want = libm::erfc(x);
        let (want1, want2) = (-d1(x), if x.is_infinite() { 0.0 } else { -d2(x) });
        let y = Dual::<f64, 1>::variable(x, 0).erfc();
        let (rv, rg) = reverse::gradient(|v| v[0].erfc(), &[x]);
        let (_, _, s) = nilpotent::second_derivative(|t| t.erfc(), x);
        let (_, _, hr) = reverse::hessian(|v| v[0].erfc(), &[x]);
        for (name, v) in [
            ("Dual", y.re),
            ("Var", rv),
            ("graph", g.eval(&[x]).unwrap()[0]),
            ("f64", <f64 as Elementary>::erfc(x)),
        ] {
            assert!(
                same_f64(v, want),
                "{name}: erfc({x:e}) = {v:e}, libm {want:e}"
            );
        }
        let mut firsts = vec![
            ("Dual", y.eps[0]),
            ("Var", rg[0]),
            ("graph gradient", gg.eval(&[x]).unwrap()[1]),
        ];
        let mut seconds = vec![
            ("nested Dual", s),
            ("forward over reverse", hr[(0, 0)]),
            ("graph hessian", gh.eval(&[x]).unwrap()[2]),
        ];
        #[cfg(feature = "jit")]
        {
            firsts.push(("JIT gradient", cg.eval(&[x]).unwrap()[1]));
            seconds.push(("JIT hessian", ch.eval(&[x]).unwrap()[2]));
        }
        for (name, d) in firsts {
            assert!(
                agree(d, want1, 1e-15, 1e-300),
                "{name}: erfc′({x:e}) = {d:e}, closed form {want1:e}"
            );
        }
        for (name, d) in seconds {
            assert!(
                agree(d, want2, 1e-14, 1e-300),
                "{name}: erfc″({x:e}) = {d:e}, closed form {want2:e}"
            );
        }
    }
    // finite differences of libm's erfc
    for x in random_points("erfc finite differences") {
        let fd = fd1(libm::erfc, x);
        let d = Dual::<f64, 1>::variable(x, 0).erfc().eps[0];
        assert!(
            close(d, fd, 1e-8, 1.0),
            "erfc′({x:e}) = {d:e}, finite differences {fd:e}"
        );
    }
}

/// Regression: the sparse plans' sweep evaluated erf's rule-table value on dual numbers (a panic
/// naming `Elementary`, found by the fuzz tests); it takes the value from the level below now.
#[test]
fn sparse_plans_with_erf_panicked_on_their_dual_number_sweep() {
    // hypot's derivative adds a guard, which sends the Hessian plan to its tape sweep; two rows
    // of four columns send the Jacobian plan to its reverse sweep
    fn f<T: Float + Elementary>(x: &[T]) -> T {
        (x[0] * x[1]).erf() + x[2].erfc() * x[0] + x[3].hypot(x[1])
    }
    fn g<T: Float + Elementary>(x: &[T]) -> Vec<T> {
        vec![
            (x[0] * x[1] * x[2] * x[3]).erf(),
            (x[0] + x[1] + x[2] + x[3]).erfc(),
        ]
    }
    let x = [0.3, -0.7, 1.1, 0.4];
    let (v, grad, h) = nilpotent::sparse::hessian(f, &x);
    let (vd, gd, hd) = nilpotent::hessian(f, &x);
    assert!(same_f64(v, vd));
    for i in 0..4 {
        assert!(
            close(grad[i], gd[i], 1e-15, 1e-300),
            "∂{i}: {} vs {}",
            grad[i],
            gd[i]
        );
        for j in 0..4 {
            let s = h.get_entry(i, j).map_or(0.0, |e| e.into_value());
            assert!(
                close(s, hd[(i, j)], 1e-14, 1e-300),
                "H[{i},{j}]: {s} vs {}",
                hd[(i, j)]
            );
        }
    }
    let (y, jac) = nilpotent::sparse::jacobian(g, &x);
    let (yd, jd) = nilpotent::jacobian(g, &x);
    for i in 0..2 {
        assert!(same_f64(y[i], yd[i]));
        for j in 0..4 {
            let s = jac.get_entry(i, j).map_or(0.0, |e| e.into_value());
            assert!(
                close(s, jd[(i, j)], 1e-15, 1e-300),
                "J[{i},{j}]: {s} vs {}",
                jd[(i, j)]
            );
        }
    }
}
