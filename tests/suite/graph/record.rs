//! Recording: sharing, constant folding, identities and dead code.

use super::*;

// ---------------------------------------------------------------------------------------------
// 4. Sharing, folding, identities, dead code
// ---------------------------------------------------------------------------------------------

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
