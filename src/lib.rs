//! # nilpotent: exact derivatives of generic `Float` code
//!
//! Write a numeric function once, generically over [`num_traits::Float`], and get its exact
//! derivatives — gradients, Jacobians, Jacobian-vector and vector-Jacobian products, Hessians — by
//! evaluating it on a different number type. No finite-difference step to tune, no symbolic
//! expression swell: automatic differentiation (AD) applies the chain rule to the computation itself,
//! one elementary operation at a time.
//!
//! ```
//! use nilpotent::{gradient, reverse};
//! use num_traits::Float;
//!
//! fn f<T: Float>(x: &[T]) -> T {
//!     x[0].ln() + x[0] * x[1] - x[1].sin()
//! }
//!
//! let (value, grad) = gradient(f, &[2.0, 5.0]);          // forward mode
//! assert!((value - 11.652071455223084).abs() < 1e-14);
//! assert_eq!(grad[0], 5.5);                               // ∂f/∂x₁ = 1/x₁ + x₂
//! assert!((grad[1] - 1.7163378145367738).abs() < 1e-14);  // ∂f/∂x₂ = x₁ − cos x₂
//!
//! let (_, grad_rev) = reverse::gradient(f, &[2.0, 5.0]); // reverse mode, same rules
//! assert_eq!(grad, grad_rev);
//! ```
//!
//! ## Dual numbers: forward mode
//!
//! Extend the reals by an element ε with ε² = 0 (it is *nilpotent* — hence the name). A dual number
//! is `a + bε`. Multiply two of them and the ε² term drops out:
//!
//! ```text
//! (a + a'ε)(b + b'ε) = ab + (a'b + ab')ε        — the product rule, for free
//! ```
//!
//! and for any smooth f, Taylor's expansion stops after the first-order term:
//!
//! ```text
//! f(a + a'ε) = f(a) + f'(a)·a' ε                — the chain rule, for free
//! ```
//!
//! So if every input carries a tangent (`x + ẋε`), every intermediate value of a program carries its
//! own derivative along ẋ, and the output is `f(x) + (∇f·ẋ)ε`. [`Dual<T, N>`](Dual) carries N
//! tangents at once (ε₁, …, ε_N with εᵢεⱼ = 0), so one evaluation yields N directional derivatives:
//! seed input i with the unit tangent eᵢ ([`Dual::variable`]) and the tangents of the output are
//! the partial derivatives.
//!
//! For the lecture example above, seeding ẋ = e₁ = (1, 0) gives the tangent trace
//!
//! ```text
//! v₋₁ = x₁ = 2            v̇₋₁ = 1
//! v₀  = x₂ = 5            v̇₀  = 0
//! v₁  = ln v₋₁ = 0.693    v̇₁  = v̇₋₁ / v₋₁ = 0.5
//! v₂  = v₋₁ × v₀ = 10     v̇₂  = v̇₋₁ v₀ + v₋₁ v̇₀ = 5
//! v₃  = sin v₀ = −0.959   v̇₃  = cos v₀ · v̇₀ = 0
//! v₄  = v₁ + v₂ = 10.693  v̇₄  = v̇₁ + v̇₂ = 5.5
//! v₅  = v₄ − v₃ = 11.652  v̇₅  = v̇₄ − v̇₃ = 5.5   = ∂f/∂x₁
//! ```
//!
//! `Dual<T, N>` implements [`Float`](num_traits::Float) (and `Num`, `NumCast`, `Signed`,
//! `FloatConst`, `Pow`, …) whenever `T` does, so generic code runs on it unchanged, and duals nest:
//! `Dual<Dual<f64, 1>, 1>` computes second derivatives.
//!
//! Drivers in [`forward`]: [`derivative`], [`gradient`] (in chunks of N inputs per pass),
//! [`gradient_fixed`] (one pass, no allocation, for arrays), [`jacobian`], [`jvp`] (J·r in one pass).
//!
//! ## The tape: reverse mode
//!
//! Forward mode costs one pass per N input directions. For a function of many inputs and one output
//! (a loss), reverse mode records the computation on a [tape](reverse::Tape) — each operation with its
//! local partial derivatives — and then sweeps it backward once, accumulating adjoints
//! `v̄ = ∂f/∂v` from the output to the inputs: the whole gradient for a small constant times the
//! cost of f. [`reverse::Var`] implements `Float` through the *same* rule table, so the same generic
//! function runs on it. Drivers: [`reverse::gradient`], [`reverse::vjp`] (Jᵀ·s),
//! [`reverse::jacobian`], and by forward over reverse ([`Dual`] values on the tape)
//! [`reverse::hvp`] and [`reverse::hessian`].
//!
//! ## The graph: reverse mode, recorded once
//!
//! The tape keeps numbers: its sweep gives the gradient at one point. [`graph::Graph::record`]
//! records the function as a computation graph of symbols ([`graph::Sym`], also a `Float`)
//! instead; reverse accumulation over that graph, with each partial taken from the rule table
//! evaluated on symbols, builds the gradient *as another graph* ([`graph::Graph::gradient`]), which
//! is evaluated at any input without recording again, printed as an SSA listing or Graphviz DOT,
//! and differentiated again ([`graph::Graph::hessian`]). Branches taken while recording become
//! guards: evaluating where one comes out differently is an error, never a wrong number.
//!
//! ```
//! use nilpotent::graph::Graph;
//! # use num_traits::Float;
//! # fn f<T: Float>(x: &[T]) -> T { x[0].ln() + x[0] * x[1] - x[1].sin() }
//! let grad = Graph::record(&[2.0, 5.0], f).gradient();
//! assert_eq!(grad.eval(&[2.0, 5.0]).unwrap()[1], 5.5);
//! assert_eq!(grad.eval(&[1.0, 0.0]).unwrap()[1], 1.0); // 1/x₁ + x₂ at another point
//! ```
//!
//! ## Sparse Jacobians and Hessians
//!
//! When most entries of a large Jacobian or Hessian are structurally zero, [`sparse`] reads the
//! pattern off the recorded graph, colours it (columns that share no row share a tangent lane),
//! and pays for the colours instead of the dimension: a banded Jacobian in one pass of as many
//! lanes as its bandwidth, a tridiagonal Hessian in three Hessian-vector products, whatever n is.
//! Results are [`nalgebra_sparse::CscMatrix`]; a plan evaluates repeatedly without allocating. With
//! the feature `rayon`, the independent passes of sparse and dense Jacobians and Hessians run on
//! several cores.
//!
//! ```
//! use nilpotent::sparse;
//! # use num_traits::Float;
//! fn f<T: Float>(x: &[T]) -> T {
//!     (1..x.len()).fold(T::zero(), |s, i| s + (x[i] - x[i - 1].powi(2)).powi(2))
//! }
//! let (_, _, h) = sparse::hessian(f, &vec![0.5; 10_000]);
//! assert_eq!(h.nnz(), 3 * 10_000 - 2); // from 3 Hessian-vector products
//! ```
//!
//! ## One table of rules
//!
//! [`rules`] lists every elementary function with its value and local partial derivative(s), each
//! with its formula in a comment. Every mode consumes it; no derivative formula is written twice.
//!
//! ## Conventions
//!
//! Where a function is not differentiable, or a derivative is infinite (the same in every mode —
//! forward, tape and graph — except where the table says so):
//!
//! | case | first order | second and higher order (nested duals, duals on the tape) |
//! |---|---|---|
//! | `==`, `<`, `max`/`min` choice | compare the value (real part) only | the same: the innermost value decides, so every level takes the branch the `f64` program takes |
//! | `max`/`min` tie | the average of the two tangents | the average at every order (the partials ½, ½ are constants) |
//! | `max`/`min` with NaN | as `f64`: the other argument, with its tangent | the other argument with all its derivatives |
//! | `abs` at ±0 | +1 at +0, −1 at −0 | second derivative 0 (the partial ±1 is a constant), so `d²/dx² abs(x)² = 2` at 0 |
//! | zero tangent lanes | stay exactly 0 even where the local derivative is ±∞ or NaN (`sqrt(0)`, `ln(0)`) | a lane counts as zero only if all its parts are zero, so a nested lane that carries a higher derivative is propagated |
//! | zero local derivative | contributes nothing, even against an infinite tangent (`floor(sqrt(x))`, `sqrt(x)·0` at 0, also in `mul_add`) | "zero" means zero at every order: a partial whose value is 0 but whose own derivative is not (y·xʸ⁻¹ at y = 0) is propagated |
//! | values | bit for bit the `f64` result (`powf(0, 2.5) = 0`, `powi(0, −1) = ∞`) | the innermost real part is the `f64` result bit for bit |
//! | `powi(x, 0)`, `powf(x, 0)` with a constant 0 | 1 with zero tangent | zero derivatives of every order |
//! | `powf(x, y)` with y varying | `xʸ ln x` term only where y's tangent is nonzero; 0 at x = 0 < y | exact at every order where the derivative is finite (`x^(x−1)`, `xˣ` at 1: f″ = 2, f‴ = 3); at x = 0 < y the exponent term is 0 at every order (exact below order y). At x = 0, y ≤ 1 xʸ has no second derivative and the mixed partial depends on the order of differentiation (d/dx ∂/∂y is the convention's 0, d/dy ∂/∂x the formula's ±∞ or NaN), so drivers that read different triangles of H differ there |
//! | `floor`, `ceil`, `round`, `trunc`, `signum` | zero tangent; `fract` passes it through | zero derivatives of every order; `fract`'s second derivative is the argument's |
//! | `%` | `a − trunc(a/b)·b`, tangent `a′ − trunc(a/b)·b′` | the same formula at every order (`trunc(a/b)` is piecewise constant) |
//! | `atan2(0, 0)`, `hypot(0, 0)` | zero partials | zero derivatives of every order (not differentiable there) |
//! | `is_nan`, `classify`, `to_f64`, … | value only | value only |
//! | `mul_add` | fused in every lane | fused in every lane of every level |
//! | tangents that cancel to exactly 0 before an infinite partial (`sqrt(x·y − y·x)`) | **forward and reverse differ**: forward sees the zero lane and gives 0 (exact); reverse (tape and graph) sees only the recorded operations and gives NaN (∞ − ∞) | the same difference: nested duals as forward, duals on the tape and graph Hessians as reverse |
//!
//! ## Nesting and perturbation confusion
//!
//! Each level of nesting is a different type, so the perturbations of an inner derivative and an
//! outer one cannot be mixed up by accident. A value of an outer level enters an inner computation
//! only as a constant: lift it with [`Dual::constant`]. See [`higher`] for the details.

// `deny`, not `forbid`: two places opt out, each with its reason and safety argument at the site:
// simba's `SimdValue` trait has two `unsafe fn` methods that `Dual` and `Var` must implement
// (`src/linalg.rs`, bodies are safe code), and the tape reaches its active recording through a
// thread-local raw pointer (`src/reverse/tape.rs`, `push_node` and its helpers), which a benchmark
// showed pays.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod approx_impls;
pub mod dual;
pub mod forward;
pub mod graph;
pub mod higher;
pub mod linalg;
pub mod linalg_reverse;
pub mod numeric;
#[cfg(any(feature = "argmin", feature = "levenberg-marquardt"))]
pub mod optim;
pub mod reverse;
pub mod rules;
mod scalar;
pub mod sparse;

pub use approx_impls::AllParts;
pub use dual::Dual;
pub use forward::{
    Chunk, DEFAULT_CHUNK, derivative, gradient, gradient_fixed, gradient_with, jacobian,
    jacobian_fixed, jacobian_with, jvp,
};
pub use forward::{
    gradient_into, gradient_with_into, jacobian_inplace, jacobian_inplace_into,
    jacobian_inplace_with_into, jacobian_into, jacobian_with_into,
};
pub use higher::{
    DEFAULT_HESSIAN_CHUNK, fourth_derivative, hessian, hessian_with, hvp, hvp_with,
    second_derivative, third_derivative,
};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
