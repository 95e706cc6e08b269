//! Conventions that concern several modes at once, pinned in each of them, one test per defect
//! that broke one, named after it: the zero-partial convention through `mul_add`, and the
//! documented difference between forward mode (exact) and reverse and graph mode (NaN) on
//! tangents that cancel. Each expected value is a closed form or the other mode's result.

use nilpotent::reverse::{self, Var};
use nilpotent::{Dual, gradient, gradient_fixed};
use num_traits::Float;

// ----- 3. forward mul_add and the zero-partial convention ---------------------------------------

/// ∇ of `sqrt(x).mul_add(0, y)` at x = 0 is [0, 1], as for `sqrt(x)·0 + y` and in reverse mode: the
/// zero partial 0 of the product term meets the infinite tangent of sqrt at 0 (forward gave NaN).
#[test]
fn mul_add_zero_partial_convention() {
    fn fused<T: Float>(x: &[T]) -> T {
        x[0].sqrt().mul_add(T::zero(), x[1])
    }
    fn fused_other_order<T: Float>(x: &[T]) -> T {
        T::zero().mul_add(x[0].sqrt(), x[1])
    }
    fn unfused<T: Float>(x: &[T]) -> T {
        x[0].sqrt() * T::zero() + x[1]
    }
    let x = [0.0, 3.0];
    for f in [fused::<Dual<f64, 2>>, fused_other_order, unfused] {
        assert_eq!(gradient_fixed(f, &x).1, [0.0, 1.0]);
    }
    for f in [fused::<Dual<f64, 8>>, fused_other_order, unfused] {
        assert_eq!(gradient(f, &x).1, vec![0.0, 1.0]);
    }
    for f in [fused::<Var<f64>>, fused_other_order, unfused] {
        assert_eq!(reverse::gradient(f, &x).1, vec![0.0, 1.0]);
    }
    // an ordinary point is unchanged: ∂/∂x (√x·a + y) = a/(2√x) with a = 2
    let g = gradient_fixed(
        |v: &[Dual<f64, 2>]| v[0].sqrt().mul_add(Dual::constant(2.0), v[1]),
        &[4.0, 3.0],
    );
    assert_eq!(g.1, [0.5, 1.0]);
}

// ----- 4. cancelled tangents: a documented difference between the modes ------------------------

/// `sqrt(x·y − y·x) + x`: the argument of sqrt is 0 with tangents that cancel to exactly 0. Forward
/// mode sees those zero lanes and keeps them 0 (the zero-lane rule): ∇ = [1, 0], which is exact
/// (the function is x). Reverse mode sees only the graph: the adjoint ∞ of sqrt's argument reaches
/// x and y through both products with opposite signs, ∞ − ∞ = NaN. Pinned in both modes, as
/// documented in the conventions table.
#[test]
fn cancelled_tangents_forward_is_exact() {
    fn f<T: Float>(v: &[T]) -> T {
        (v[0] * v[1] - v[1] * v[0]).sqrt() + v[0]
    }
    assert_eq!(gradient_fixed(f, &[2.0, 3.0]).1, [1.0, 0.0]);
    assert_eq!(gradient(f, &[2.0, 3.0]).1, vec![1.0, 0.0]);
}

/// The reverse-mode side of [`cancelled_tangents_forward_is_exact`].
#[test]
fn cancelled_tangents_reverse_is_nan() {
    fn f<T: Float>(v: &[T]) -> T {
        (v[0] * v[1] - v[1] * v[0]).sqrt() + v[0]
    }
    let (value, g) = reverse::gradient(f, &[2.0, 3.0]);
    assert_eq!(value, 2.0);
    assert!(g[0].is_nan() && g[1].is_nan(), "{g:?}");
}

/// Graph mode is reverse accumulation over a graph: it gives what the tape gives.
#[test]
fn cancelled_tangents_graph_is_nan() {
    fn f<T: Float>(v: &[T]) -> T {
        (v[0] * v[1] - v[1] * v[0]).sqrt() + v[0]
    }
    let g = nilpotent::graph::Graph::record(&[2.0, 3.0], f).gradient();
    let out = g.eval(&[2.0, 3.0]).unwrap();
    assert_eq!(out[0], 2.0);
    assert!(out[1].is_nan() && out[2].is_nan(), "{out:?}");
}
