//! The tour example's numbers and printed text (`examples/tour.rs`, included here as a module so
//! that the test checks exactly what the example computes and prints, without a second copy).
//!
//! Oracles: the closed forms f = ln x₁ + x₁x₂ − sin x₂, ∇f = (1/x₁ + x₂, x₁ − cos x₂), the
//! lecture's tangent and adjoint tables, the closed-form Jacobian of g, and the dot-product
//! identity sᵀ(J·r) = (Jᵀ·s)ᵀr; at the lecture's point and at seeded random points.

// J[i][j], (J·r)[i], (Jᵀ·s)[j]: index loops read like the formulas they check.
#![allow(clippy::needless_range_loop)]

#[allow(dead_code)] // `main` and a few accessors are only used by the example binary
#[path = "../../../examples/tour.rs"]
mod tour_example;

use tour_example::{G_R, G_S, G_X, X};

/// The lecture's value f(2, 5) and ∂f/∂x₂ = 2 − cos 5, as printed in the course notes (17
/// significant digits, i.e. the f64 nearest to the exact value).
const F_25: f64 = 11.652071455223084;
const DF2_25: f64 = 1.7163378145367738;

/// The closed-form value of f.
fn f_exact(x: [f64; 2]) -> f64 {
    x[0].ln() + x[0] * x[1] - x[1].sin()
}

/// The closed-form Jacobian of g(x) = (x₁e^x₂ + x₃, sin(x₁x₃) − x₂²).
fn g_jacobian_exact(x: [f64; 3]) -> [[f64; 3]; 2] {
    let e = x[1].exp();
    let c = (x[0] * x[2]).cos();
    [[e, x[0] * e, 1.0], [x[2] * c, -2.0 * x[1], x[0] * c]]
}

/// SplitMix64: a small seeded generator for reproducible random points.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

#[test]
fn value_at_the_lecture_point() {
    let g = tour_example::gradients(X);
    // 1e-14: about 7 ulps at 11.65; the sum of three correctly rounded terms may differ from the
    // nearest f64 in the last bit or two.
    assert!(
        (g.value_forward - F_25).abs() < 1e-14,
        "{}",
        g.value_forward
    );
    assert!(
        (g.value_reverse - F_25).abs() < 1e-14,
        "{}",
        g.value_reverse
    );
    // Both modes compute the real part with the same f64 operations as the plain function
    // (convention: values bit for bit), so these are exact.
    assert_eq!(g.value_forward, f_exact(X));
    assert_eq!(g.value_reverse, f_exact(X));
}

#[test]
fn gradients_at_the_lecture_point() {
    let g = tour_example::gradients(X);
    for (name, grad) in [("forward", &g.forward), ("reverse", &g.reverse)] {
        // ∂f/∂x₁ = 1/2 + 5 is exact in binary and every step producing it is exact.
        assert_eq!(grad[0], 5.5, "{name}");
        // 1e-15: a few ulps at 1.7 (2 − cos 5 rounded once or twice).
        assert!((grad[1] - DF2_25).abs() < 1e-15, "{name}: {}", grad[1]);
        assert!((grad[1] - (2.0 - 5f64.cos())).abs() < 1e-15, "{name}");
    }
    assert_eq!(g.exact, [5.5, 2.0 - 5f64.cos()]);
}

#[test]
fn finite_difference_errors_are_below_their_bounds() {
    let g = tour_example::gradients(X);
    // Bounds: central differences reach ≈ ε^(2/3) ≈ 4e-11 relative in theory (observed 5.8e-11
    // and 4.1e-11 absolute on a gradient of size ≈ 5); Richardson O(h⁶) ≈ 1e-13 (observed 6.2e-14
    // and 1.4e-13). The bounds leave about 10× headroom and are far below what a wrong step rule
    // or a broken tableau would give (≥ 1e-8 and ≥ 1e-10 respectively).
    for e in g.errors(&g.central) {
        assert!(e < 1e-9, "central error {e}");
    }
    for e in g.errors(&g.richardson) {
        assert!(e < 1e-12, "Richardson error {e}");
    }
    // The errors are real errors, not zero by construction: a finite difference is not exact here.
    assert!(g.errors(&g.central).iter().any(|&e| e > 0.0));
}

#[test]
fn forward_tangent_trace_seed_e1() {
    let t = tour_example::forward_trace(X, [1.0, 0.0]);
    assert_eq!(t.seed, [1.0, 0.0]);
    // v̇₋₁ = 1, v̇₀ = 0, v̇₁ = 1/2, v̇₂ = 1·5 + 2·0 = 5, v̇₃ = cos 5 · 0 = 0, v̇₄ = v̇₅ = 5.5: all
    // exact in binary and every step exact, so compared exactly.
    assert_eq!(t.tangents, [1.0, 0.0, 0.5, 5.0, 0.0, 5.5, 5.5]);
    assert_primal_trace(&t.values);
}

#[test]
fn forward_tangent_trace_seed_e2() {
    let t = tour_example::forward_trace(X, [0.0, 1.0]);
    assert_eq!(t.seed, [0.0, 1.0]);
    // v̇₋₁ = 0, v̇₀ = 1, v̇₁ = 0, v̇₂ = 0·5 + 2·1 = 2, v̇₃ = cos 5, v̇₄ = 2, v̇₅ = 2 − cos 5.
    assert_eq!(&t.tangents[..3], &[0.0, 1.0, 0.0]);
    assert_eq!(t.tangents[3], 2.0);
    // 1e-15: cos 5 ≈ 0.28; the rule's derivative of sin is cos, a few ulps at most.
    assert!((t.tangents[4] - 5f64.cos()).abs() < 1e-15);
    assert_eq!(t.tangents[5], 2.0);
    assert!((t.tangents[6] - DF2_25).abs() < 1e-15);
    assert_primal_trace(&t.values);
}

/// v₋₁ … v₅ at (2, 5), each equal bit for bit to the plain f64 computation (values convention).
fn assert_primal_trace(values: &[f64; 7]) {
    let (a, b) = (2.0f64, 5.0f64);
    let v = [
        a,
        b,
        a.ln(),
        a * b,
        b.sin(),
        a.ln() + a * b,
        a.ln() + a * b - b.sin(),
    ];
    assert_eq!(values, &v);
    assert!((values[6] - F_25).abs() < 1e-14);
}

#[test]
fn reverse_adjoint_trace() {
    let t = tour_example::reverse_trace(X);
    assert_primal_trace(&t.values);
    // v̄₅ = 1, v̄₄ = 1, v̄₃ = −1, v̄₂ = 1, v̄₁ = 1, x̄₂ = v̄₀ = v̄₂·v₋₁ + v̄₃·cos v₀ = 2 − cos 5,
    // x̄₁ = v̄₋₁ = v̄₁/v₋₁ + v̄₂·v₀ = 0.5 + 5.
    assert_eq!(t.adjoints[0], 5.5);
    // 1e-15: a few ulps at 1.7, as above.
    assert!((t.adjoints[1] - DF2_25).abs() < 1e-15, "{}", t.adjoints[1]);
    assert_eq!(&t.adjoints[2..], &[1.0, 1.0, -1.0, 1.0, 1.0]);
}

#[test]
fn jacobian_products_against_closed_forms() {
    let p = tour_example::products(G_X, G_R, G_S);
    let jac = g_jacobian_exact(G_X);
    // 1e-14 absolute on entries of size ≤ 4.2: a few ulps (AD evaluates the same closed forms
    // through the rule table, possibly in another order).
    const TOL: f64 = 1e-14;
    let x = G_X;
    let values = [x[0] * x[1].exp() + x[2], (x[0] * x[2]).sin() - x[1] * x[1]];
    for i in 0..2 {
        assert_eq!(p.values[i], values[i]);
        for j in 0..3 {
            assert!((p.jac[(i, j)] - jac[i][j]).abs() < TOL, "J[{i},{j}]");
        }
        let jr: f64 = (0..3).map(|j| jac[i][j] * G_R[j]).sum();
        assert!(
            (p.jr[i] - jr).abs() < TOL,
            "(J·r)[{i}] = {} vs {jr}",
            p.jr[i]
        );
    }
    for j in 0..3 {
        let jts: f64 = (0..2).map(|i| jac[i][j] * G_S[i]).sum();
        assert!(
            (p.jts[j] - jts).abs() < TOL,
            "(Jᵀ·s)[{j}] = {} vs {jts}",
            p.jts[j]
        );
    }
    assert_eq!((p.x, p.r, p.s), (G_X, G_R, G_S));
}

#[test]
fn dot_product_check() {
    let p = tour_example::products(G_X, G_R, G_S);
    // 1e-13 relative: both sides are sums of a few products of O(1) numbers, each a few ulps off.
    let scale = p.dot_jr.abs().max(1.0);
    assert!(
        (p.dot_jr - p.dot_jts).abs() < 1e-13 * scale,
        "sᵀ(J·r) = {}, (Jᵀ·s)ᵀr = {}",
        p.dot_jr,
        p.dot_jts
    );
    // and both equal the closed form sᵀ J r
    let jac = g_jacobian_exact(G_X);
    let exact: f64 = (0..2)
        .map(|i| G_S[i] * (0..3).map(|j| jac[i][j] * G_R[j]).sum::<f64>())
        .sum();
    assert!((p.dot_jr - exact).abs() < 1e-13 * scale);
}

/// The tour's computations at seeded random points against the closed forms, so that the numbers
/// above are not right only at the lecture's point.
#[test]
fn tour_functions_at_random_points() {
    let mut rng = SplitMix(0x5eed_70a7);
    for case in 0..200 {
        // x₁ in [0.5, 5] keeps ln and its derivatives moderate for the finite differences.
        let x = [rng.uniform(0.5, 5.0), rng.uniform(-10.0, 10.0)];
        let g = tour_example::gradients(x);
        let scale = g.exact[0].abs().max(g.exact[1].abs()).max(1.0);
        assert_eq!(g.value_forward, f_exact(x), "case {case}");
        assert_eq!(g.value_reverse, f_exact(x), "case {case}");
        for (name, grad) in [("forward", &g.forward), ("reverse", &g.reverse)] {
            // 4e-16·scale ≈ 2 ulps of the largest component: AD is exact to rounding.
            for e in g.errors(grad) {
                assert!(e <= 4e-16 * scale, "case {case} {name} {x:?}: error {e}");
            }
        }
        // Finite differences, relative to the gradient's size: central ≤ 1e-9 and Richardson
        // ≤ 2e-12. Observed maxima over these 200 points: 7.3e-11 and 2.2e-13 (the higher
        // derivatives of ln x₁ grow as x₁ → 0.5), so the bounds leave about 10× headroom.
        for e in g.errors(&g.central) {
            assert!(e <= 1e-9 * scale, "case {case} central {x:?}: error {e}");
        }
        for e in g.errors(&g.richardson) {
            assert!(
                e <= 2e-12 * scale,
                "case {case} Richardson {x:?}: error {e}"
            );
        }

        let ft1 = tour_example::forward_trace(x, [1.0, 0.0]);
        let ft2 = tour_example::forward_trace(x, [0.0, 1.0]);
        let rt = tour_example::reverse_trace(x);
        // The tangents of v₅ along e₁, e₂ and the input adjoints are the gradient.
        assert_eq!(ft1.tangents[6], g.forward[0], "case {case}");
        assert_eq!(ft2.tangents[6], g.forward[1], "case {case}");
        assert_eq!(&rt.adjoints[..2], &g.reverse[..], "case {case}");
        // Adjoints of the intermediate steps do not depend on the point: v̄₁ = v̄₂ = v̄₄ = v̄₅ = 1,
        // v̄₃ = −1.
        assert_eq!(&rt.adjoints[2..], &[1.0, 1.0, -1.0, 1.0, 1.0]);

        let gx = [
            rng.uniform(-2.0, 2.0),
            rng.uniform(-2.0, 2.0),
            rng.uniform(-2.0, 2.0),
        ];
        let r = [
            rng.uniform(-1.0, 1.0),
            rng.uniform(-1.0, 1.0),
            rng.uniform(-1.0, 1.0),
        ];
        let s = [rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)];
        let p = tour_example::products(gx, r, s);
        let jac = g_jacobian_exact(gx);
        // 1e-14 + 1e-15·|entry|: |J| ≤ 2e² ≈ 15 here, a few ulps.
        for i in 0..2 {
            for j in 0..3 {
                let tol = 1e-14 + 1e-15 * jac[i][j].abs();
                assert!((p.jac[(i, j)] - jac[i][j]).abs() < tol, "case {case}");
            }
            let jr: f64 = (0..3).map(|j| jac[i][j] * r[j]).sum();
            assert!((p.jr[i] - jr).abs() < 1e-13, "case {case}");
        }
        for j in 0..3 {
            let jts: f64 = (0..2).map(|i| jac[i][j] * s[i]).sum();
            assert!((p.jts[j] - jts).abs() < 1e-13, "case {case}");
        }
        // Dot-product test, 1e-12 relative to the magnitudes summed (the project's bar for forward/reverse consistency).
        let mag: f64 = (0..2)
            .map(|i| (s[i] * p.jr[i]).abs())
            .sum::<f64>()
            .max(1e-300);
        assert!(
            (p.dot_jr - p.dot_jts).abs() <= 1e-12 * mag,
            "case {case}: {} vs {}",
            p.dot_jr,
            p.dot_jts
        );
    }
}

/// `line` with runs of whitespace collapsed to single spaces, so that the text checks below do not
/// depend on column widths.
fn squash(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Section 5: the gradient graph, recorded at (2, 5), evaluated there and at other points, against
/// the closed forms (values bit for bit: the graph runs the same f64 operations in the same order
/// as `f_exact`; gradients to 2 ulps).
#[test]
fn graph_section_against_closed_forms() {
    let gs = tour_example::graph_section();
    assert_eq!(gs.sizes.0, 5, "ln, ×, +, sin, −");
    assert!(
        gs.sizes.1 <= 4 * gs.sizes.0,
        "cheap gradient: {:?}",
        gs.sizes
    );
    for (x, v) in tour_example::GRAPH_POINTS.iter().zip(&gs.values) {
        assert_eq!(v[0].to_bits(), f_exact(*x).to_bits(), "f at {x:?}");
        let grad = [1.0 / x[0] + x[1], x[0] - x[1].cos()];
        for k in 0..2 {
            let tol = 2.0 * f64::EPSILON * grad[k].abs().max(1.0);
            assert!(
                (v[1 + k] - grad[k]).abs() <= tol,
                "∂f/∂x{} at {x:?}: {}",
                k + 1,
                v[1 + k]
            );
        }
    }
}

/// Section 6 (loops written once): the least-squares loss and gradient against the closed forms
/// Σ rₖ², 2Σ rₖaₖ, 2Σ rₖ in three modes (values bit for bit: the same loop), the Euler decay
/// against y₀(1 − θh)ⁿ and its derivatives, and the tape of the `fold` against the `for` loop's.
#[test]
fn loops_section_against_closed_forms() {
    let ls = tour_example::loops_section();
    let (w, d) = (tour_example::W, tour_example::ROWS_AB);
    let mut exact = [0.0; 3];
    for r in d.chunks(2) {
        let res = w[0] * r[0] + w[1] - r[1];
        exact[0] += res * res;
        exact[1] += 2.0 * res * r[0];
        exact[2] += 2.0 * res;
    }
    for v in &ls.loss {
        assert_eq!(v[0].to_bits(), ls.loss[0][0].to_bits(), "{:?}", ls.loss);
        for k in 0..3 {
            assert!(
                (v[k] - exact[k]).abs() <= 1e-14 * exact[k].abs().max(1.0),
                "{:?} vs {exact:?}",
                ls.loss
            );
        }
    }
    let (theta, y0, h, n) = tour_example::DECAY;
    let q = 1.0 - theta * h;
    let exact = [
        y0 * q.powi(n as i32),
        -y0 * n as f64 * h * q.powi(n as i32 - 1),
        q.powi(n as i32),
    ];
    for k in 0..3 {
        assert!(
            (ls.decay[k] - exact[k]).abs() <= 1e-12 * exact[k].abs(),
            "{:?} vs {exact:?}",
            ls.decay
        );
    }
    // the tape of the fold: the 2 inputs and one node per input; the for loop's: 3 per step
    assert_eq!(ls.tape_nodes, (2 + 1, 2 + 3 * n), "{:?}", ls.tape_nodes);
}

#[test]
fn printed_report_contains_every_table() {
    let text = tour_example::report();
    let lines: Vec<String> = text.lines().map(squash).collect();
    let has = |needle: &str| lines.iter().any(|l| l.contains(needle));
    for header in [
        "1. Forward mode: primal trace and tangent trace",
        "seed ẋ = e₁ = (1, 0)",
        "seed ẋ = e₂ = (0, 1)",
        "2. Reverse mode",
        "3. Value and gradient",
        "4. A vector function",
        "5. Reverse mode on a graph",
        "6. Loops written once",
    ] {
        assert!(has(header), "missing {header:?} in\n{text}");
    }
    // forward tables: the last row of each seed
    assert!(has("v₅ v₄ − v₃ 11.6521 v̇₄ − v̇₃ 5.5000"), "{text}");
    assert!(has("v₅ v₄ − v₃ 11.6521 v̇₄ − v̇₃ 1.7163"), "{text}");
    assert!(has("v₁ ln v₋₁ 0.6931 v̇₋₁ / v₋₁ 0.5000"), "{text}");
    // reverse table: header, inputs' adjoints and v̄₃ = −1
    assert!(has("v operation value adjoint v̄"), "{text}");
    assert!(has("v₋₁ x₁ 2.0000 5.5000"), "{text}");
    assert!(has("v₀ x₂ 5.0000 1.7163"), "{text}");
    assert!(has("v₃ sin v₀ -0.9589 -1.0000"), "{text}");
    // the side-by-side table: value and one row per method
    assert!(has(
        "value f(2, 5) = 11.652071455223084 (forward), 11.652071455223084 (reverse)"
    ));
    assert!(has(
        "forward (Dual<f64, 8>) 5.500000000000000 0.0e0 1.716337814536774 0.0e0"
    ));
    assert!(has(
        "reverse (tape) 5.500000000000000 0.0e0 1.716337814536774 0.0e0"
    ));
    assert!(has("central differences 5.5000000000"), "{text}");
    assert!(has("Richardson, O(h⁶) 5.4999999999"), "{text}");
    // section 4
    assert!(has("g(x) = [3.648721, 0.659297]"), "{text}");
    assert!(has("[ 1.648721 1.648721 1.000000]"), "{text}");
    assert!(has("[4.129736, 4.297443, 2.416147]"), "{text}");
    assert!(has(
        "check: sᵀ(J·r) = 1.040367091367856, (Jᵀ·s)ᵀr = 1.040367091367856"
    ));
    // section 5: the gradient graph's listing and its values at the recording point
    assert!(has("v2 = ln v0 # 0.6931"), "{text}");
    assert!(has("y1 = v"), "{text}");
    assert!(
        has("at ( 2, 5): f = 11.652071, ∇f = ( 5.500000, 1.716338)"),
        "{text}"
    );
    // section 6
    assert!(
        has("tape L = 1.500000, ∇L = (-8.000000, -4.000000)"),
        "{text}"
    );
    assert!(
        has("graph L = 1.500000, ∇L = (-8.000000, -4.000000)"),
        "{text}"
    );
    assert!(has("tape nodes: 3 with fold"), "{text}");
    // the number of table rows: 2 × 7 forward rows and 7 reverse rows start with a v-label
    let rows = lines
        .iter()
        .filter(|l| l.starts_with("v₋₁ x₁") || l.starts_with("v₅ v₄ − v₃"))
        .count();
    assert_eq!(rows, 6, "{text}");
}
