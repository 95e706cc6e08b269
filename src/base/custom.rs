//! Custom derivative rules: differentiate a function the crate does not know — a special function
//! with a known derivative, a black box with a known gradient — in every mode.
//!
//! A rule is a type (usually a unit struct) that gives the function's `f64` value and its
//! derivative, the derivative **written once, generically**. It is applied by one method,
//! [`x.custom(&rule)`](Custom::custom) (ℝ → ℝ, a [`UnaryRule`]) or
//! [`T::custom_n(&rule, &x)`](Custom::custom_n) (ℝⁿ → ℝ, a [`GradientRule`]), on every scalar type
//! of the crate: `f64`, `f32`, [`Dual`](crate::Dual) at any nesting depth, [`Var`](crate::reverse::Var)
//! (also `Var<Dual<..>>`, for Hessians by forward over reverse) and [`Sym`](crate::graph::Sym) (graph mode). Generic
//! code asks for it with the bound [`Custom`] (a [`Float`](num_traits::Float) with custom rules):
//!
//! ```
//! use nilpotent::custom::{Custom, UnaryRule};
//! use num_traits::Float;
//!
//! /// The error function (Abramowitz & Stegun 7.1.26 is enough for a demonstration; the crate
//! /// has erf built in, `x.erf()` with `nilpotent::Elementary`), with erf′(x) = 2/√π · e^(−x²).
//! #[derive(Clone, Copy)]
//! struct Erf;
//! impl UnaryRule for Erf {
//!     fn name(&self) -> &'static str {
//!         "erf"
//!     }
//!     fn value(&self, x: f64) -> f64 {
//!         let t = 1.0 / (1.0 + 0.3275911 * x.abs());
//!         let p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
//!             + t * (-1.453152027 + t * 1.061405429))));
//!         (1.0 - p * (-x * x).exp()).copysign(x)
//!     }
//!     fn derivative<T: Custom>(&self, x: T) -> T {
//!         // a literal in a rule: `T::lit` (see `Custom::lit` for why not `2.0 * x`)
//!         T::lit(2.0 / core::f64::consts::PI.sqrt()) * (-x * x).exp()
//!     }
//! }
//!
//! fn f<T: Custom>(x: &[T]) -> T {
//!     x[0].custom(&Erf) * x[1]
//! }
//! let x = [0.5, 3.0];
//! // forward, reverse, graph: the same rule
//! let (_, g) = nilpotent::gradient(f, &x);
//! let (_, r) = nilpotent::reverse::gradient(f, &x);
//! let gg = nilpotent::graph::Graph::record(&x, f).gradient().eval(&x).unwrap();
//! let d = 2.0 / core::f64::consts::PI.sqrt() * (-0.25f64).exp() * 3.0;
//! assert!((g[0] - d).abs() < 1e-15 && (r[0] - d).abs() < 1e-15 && (gg[1] - d).abs() < 1e-15);
//! // second derivatives: the derivative is differentiated too (−2x · erf′(x) · x₁)
//! let (_, _, h) = nilpotent::hessian(f, &x);
//! assert!((h[(0, 0)] - (-2.0 * 0.5 * d)).abs() < 1e-14);
//! ```
//!
//! # How each mode applies a rule
//!
//! | type | value | derivative |
//! |---|---|---|
//! | `f64`, `f32` | [`UnaryRule::value`] (for `f32`: computed in `f64`, then rounded) | — |
//! | `Dual<T, N>` | the rule applied at the level below (`T`), down to `f64` | [`UnaryRule::derivative`] evaluated in `T`, times each tangent ([`Dual::chain`](crate::Dual::chain)). Because it is evaluated in `T`, it carries its own derivatives: nested duals give second, third, … derivatives |
//! | `Var<T>` | the rule applied in `T` | one node whose partial is the derivative evaluated in `T` (`T = Dual<..>` gives forward over reverse) |
//! | `Sym` | a node of the graph that calls [`UnaryRule::value`] | [`Graph::gradient`](crate::graph::Graph::gradient) records `derivative::<Sym>` as ordinary nodes, so gradient graphs can be differentiated again (Hessian graphs) |
//!
//! The zero conventions of the other operations hold: a zero tangent lane stays zero even where
//! the derivative is ±∞ or NaN, and a derivative of exactly 0 gives a constant.
//!
//! # Black boxes: only an `f64` derivative
//!
//! When the derivative (or gradient) exists only as an `f64` function, implement
//! [`FirstOrderUnary`] or [`FirstOrderGradient`] and apply [`FirstOrder`]`(rule)`. First
//! derivatives then work in every mode (`Dual<f64, N>`, `Var<f64>`, gradient and Jacobian graphs,
//! the graph interpreter on `Dual<f64, N>`). Anything that needs a second derivative — nested
//! duals, `Var<Dual<..>>`, [`hessian`](crate::hessian), [`Graph::hessian`] — panics with a
//! message that names the rule, instead of returning a wrong number:
//!
//! ```should_panic
//! use nilpotent::custom::{Custom, FirstOrder, FirstOrderUnary};
//! #[derive(Clone)]
//! struct Cube;
//! impl FirstOrderUnary for Cube {
//!     fn name(&self) -> &'static str { "cube" }
//!     fn value(&self, x: f64) -> f64 { x * x * x }
//!     fn derivative(&self, x: f64) -> f64 { 3.0 * x * x }
//! }
//! let d = nilpotent::derivative(|x| x.custom(&FirstOrder(Cube)), 2.0);
//! assert_eq!(d, (8.0, 12.0)); // first order: fine
//! // panics: "the custom rule `cube` has its derivative as an f64 function only …"
//! nilpotent::second_derivative(|x| x.custom(&FirstOrder(Cube)), 2.0);
//! ```
//!
//! # Graph mode
//!
//! A custom node prints with the rule's name (`v2 = erf(v0)`, also in DOT); constant operands are
//! folded by calling the rule's value; two applications of the same **zero-sized** rule type to the
//! same operands are one node (a rule that carries data is never merged with another
//! application). Sparsity patterns treat a custom node as nonlinear in all its operands.
//!
//! - The interpreter evaluates custom nodes on `f64`, `f32` and `Dual<f64 | f32, N>` (forward mode
//!   on a graph, sparse Jacobians). On nested duals it panics naming the rule: differentiate the
//!   graph instead ([`Graph::hessian`]).
//! - [`Graph::to_rust`](crate::graph::Graph::to_rust) emits a call to
//!   [`UnaryRule::rust_path`] (`path(x)`, a `fn(f64) -> f64`) or [`GradientRule::rust_path`]
//!   (`path(&[x₀, …])`, a `fn(&[f64]) -> f64`); without a path it panics naming the rule (see
//!   [`Graph::try_to_rust`](crate::graph::Graph::try_to_rust)). The function at the path must
//!   compute exactly what `value` computes for the results to agree bit for bit. A black box's
//!   derivative nodes call [`FirstOrderUnary::derivative_rust_path`] /
//!   [`FirstOrderGradient::gradient_rust_path`].
//! - The JIT (feature `jit`) does not compile custom nodes: `Graph::compile` returns an error
//!   naming the rule.
//!
//! **Guards.** Branches inside `value` are not seen by the graph (it is one call); branches inside
//! `derivative` on `Sym` values become guards of the derivative graphs, as for any recorded code.
//! A rule whose value or derivative is piecewise is the user's business: give a derivative that is
//! right on each piece.
//!
//! [`Graph::hessian`]: crate::graph::Graph::hessian

use core::any::TypeId;
use core::fmt;
use std::sync::Arc;

use num_traits::Float;

/// A function ℝ → ℝ with a known derivative, written generically: apply it with
/// [`Custom::custom`].
///
/// The derivative is generic over [`Custom`] so that it can be evaluated on every scalar type —
/// on dual numbers it is differentiated in turn (higher derivatives), on `Sym` it is recorded into
/// derivative graphs. Write it with [`Float`](num_traits::Float) methods (and other custom rules, if it needs them).
///
/// The rule must be `Clone + Send + Sync + 'static` because graph mode keeps a copy of it in the
/// graph (a unit struct with `#[derive(Clone, Copy)]` is all it takes).
///
/// ```
/// use nilpotent::custom::{Custom, UnaryRule};
/// /// softplus(x) = ln(1 + eˣ), softplus′(x) = 1/(1 + e⁻ˣ)
/// #[derive(Clone, Copy)]
/// struct Softplus;
/// impl UnaryRule for Softplus {
///     fn name(&self) -> &'static str { "softplus" }
///     fn value(&self, x: f64) -> f64 { x.exp().ln_1p() }
///     fn derivative<T: Custom>(&self, x: T) -> T { T::one() / (T::one() + (-x).exp()) }
/// }
/// let (v, d) = nilpotent::derivative(|x| x.custom(&Softplus), 0.0);
/// assert_eq!((v, d), (2f64.ln(), 0.5));
/// ```
pub trait UnaryRule: Clone + Send + Sync + 'static {
    /// The function's name, shown in graph listings, DOT drawings, tape traces and messages.
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, UnaryRule};
    /// # #[derive(Clone, Copy)] struct Sq;
    /// # impl UnaryRule for Sq {
    /// #     fn name(&self) -> &'static str { "sq" }
    /// #     fn value(&self, x: f64) -> f64 { x * x }
    /// #     fn derivative<T: Custom>(&self, x: T) -> T { x + x }
    /// # }
    /// let g = nilpotent::graph::Graph::record(&[3.0], |x| x[0].custom(&Sq));
    /// assert!(g.to_string().contains("sq(v0)"));
    /// ```
    fn name(&self) -> &'static str;

    /// The value f(x) in `f64`.
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, UnaryRule};
    /// # #[derive(Clone, Copy)] struct Sq;
    /// # impl UnaryRule for Sq {
    /// #     fn name(&self) -> &'static str { "sq" }
    /// #     fn value(&self, x: f64) -> f64 { x * x }
    /// #     fn derivative<T: Custom>(&self, x: T) -> T { x + x }
    /// # }
    /// assert_eq!(3.0.custom(&Sq), Sq.value(3.0));
    /// ```
    fn value(&self, x: f64) -> f64;

    /// The derivative f′(x), for any scalar type.
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, UnaryRule};
    /// # #[derive(Clone, Copy)] struct Sq;
    /// # impl UnaryRule for Sq {
    /// #     fn name(&self) -> &'static str { "sq" }
    /// #     fn value(&self, x: f64) -> f64 { x * x }
    /// #     fn derivative<T: Custom>(&self, x: T) -> T { x + x }
    /// # }
    /// assert_eq!(Sq.derivative(3.0), 6.0);
    /// assert_eq!(nilpotent::second_derivative(|x| x.custom(&Sq), 3.0).2, 2.0);
    /// ```
    fn derivative<T: Custom>(&self, x: T) -> T;

    /// The path of a function `fn(f64) -> f64` that computes [`UnaryRule::value`], for
    /// [`Graph::to_rust`](crate::graph::Graph::to_rust) (which cannot call the rule itself:
    /// emitted code is compiled on its own). `None` (the default): graphs with this rule cannot
    /// be emitted.
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, UnaryRule};
    /// pub fn sq(x: f64) -> f64 { x * x }
    /// #[derive(Clone, Copy)] struct Sq;
    /// impl UnaryRule for Sq {
    ///     fn name(&self) -> &'static str { "sq" }
    ///     fn value(&self, x: f64) -> f64 { sq(x) }
    ///     fn derivative<T: Custom>(&self, x: T) -> T { x + x }
    ///     fn rust_path(&self) -> Option<&'static str> { Some("crate::sq") }
    /// }
    /// let src = nilpotent::graph::Graph::record(&[3.0], |x| x[0].custom(&Sq)).to_rust("f");
    /// assert!(src.contains("crate::sq(v0)"));
    /// ```
    fn rust_path(&self) -> Option<&'static str> {
        None
    }
}

/// A function ℝⁿ → ℝ with a known gradient, written generically: apply it with
/// [`Custom::custom_n`].
///
/// As for [`UnaryRule`], the gradient is generic over [`Custom`], so it is differentiated in turn
/// (Hessians) and recorded into derivative graphs.
///
/// ```
/// use nilpotent::custom::{Custom, GradientRule};
/// /// log-sum-exp, whose gradient is the softmax
/// #[derive(Clone, Copy)]
/// struct LogSumExp;
/// impl GradientRule for LogSumExp {
///     fn name(&self) -> &'static str { "logsumexp" }
///     fn value(&self, x: &[f64]) -> f64 {
///         let m = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
///         m + x.iter().map(|&xi| (xi - m).exp()).sum::<f64>().ln()
///     }
///     fn gradient<T: Custom>(&self, x: &[T], grad: &mut [T]) {
///         let s = x.iter().fold(T::zero(), |s, &xi| s + xi.exp());
///         for (g, &xi) in grad.iter_mut().zip(x) {
///             *g = xi.exp() / s;
///         }
///     }
/// }
/// let (v, g) = nilpotent::gradient(|x| Custom::custom_n(&LogSumExp, x), &[0.0, 0.0]);
/// assert_eq!((v, g[0], g[1]), (2f64.ln(), 0.5, 0.5));
/// ```
pub trait GradientRule: Clone + Send + Sync + 'static {
    /// The function's name (listings, drawings, traces, messages).
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, GradientRule};
    /// # #[derive(Clone, Copy)] struct Dot2;
    /// # impl GradientRule for Dot2 {
    /// #     fn name(&self) -> &'static str { "dot2" }
    /// #     fn value(&self, x: &[f64]) -> f64 { x[0] * x[1] }
    /// #     fn gradient<T: Custom>(&self, x: &[T], g: &mut [T]) { g[0] = x[1]; g[1] = x[0]; }
    /// # }
    /// let g = nilpotent::graph::Graph::record(&[1.0, 2.0], |x| Custom::custom_n(&Dot2, x));
    /// assert!(g.to_string().contains("dot2(v0, v1)"));
    /// ```
    fn name(&self) -> &'static str;

    /// The value f(x) in `f64`.
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, GradientRule};
    /// # #[derive(Clone, Copy)] struct Dot2;
    /// # impl GradientRule for Dot2 {
    /// #     fn name(&self) -> &'static str { "dot2" }
    /// #     fn value(&self, x: &[f64]) -> f64 { x[0] * x[1] }
    /// #     fn gradient<T: Custom>(&self, x: &[T], g: &mut [T]) { g[0] = x[1]; g[1] = x[0]; }
    /// # }
    /// assert_eq!(f64::custom_n(&Dot2, &[2.0, 3.0]), 6.0);
    /// ```
    fn value(&self, x: &[f64]) -> f64;

    /// Writes ∇f(x) into `grad` (of the same length as `x`), for any scalar type.
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, GradientRule};
    /// # #[derive(Clone, Copy)] struct Dot2;
    /// # impl GradientRule for Dot2 {
    /// #     fn name(&self) -> &'static str { "dot2" }
    /// #     fn value(&self, x: &[f64]) -> f64 { x[0] * x[1] }
    /// #     fn gradient<T: Custom>(&self, x: &[T], g: &mut [T]) { g[0] = x[1]; g[1] = x[0]; }
    /// # }
    /// let (_, _, h) = nilpotent::hessian(|x| Custom::custom_n(&Dot2, x), &[2.0, 3.0]);
    /// assert_eq!((h[(0, 1)], h[(0, 0)]), (1.0, 0.0));
    /// ```
    fn gradient<T: Custom>(&self, x: &[T], grad: &mut [T]);

    /// The path of a function `fn(&[f64]) -> f64` that computes [`GradientRule::value`], for
    /// [`Graph::to_rust`](crate::graph::Graph::to_rust); `None` (the default): graphs with this
    /// rule cannot be emitted.
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, GradientRule};
    /// pub fn dot2(x: &[f64]) -> f64 { x[0] * x[1] }
    /// #[derive(Clone, Copy)] struct Dot2;
    /// impl GradientRule for Dot2 {
    ///     fn name(&self) -> &'static str { "dot2" }
    ///     fn value(&self, x: &[f64]) -> f64 { dot2(x) }
    ///     fn gradient<T: Custom>(&self, x: &[T], g: &mut [T]) { g[0] = x[1]; g[1] = x[0]; }
    ///     fn rust_path(&self) -> Option<&'static str> { Some("crate::dot2") }
    /// }
    /// let g = nilpotent::graph::Graph::record(&[1.0, 2.0], |x| Custom::custom_n(&Dot2, x));
    /// assert!(g.to_rust("f").contains("crate::dot2(&[v0, v1])"));
    /// ```
    fn rust_path(&self) -> Option<&'static str> {
        None
    }
}

/// A function ℝ → ℝ whose derivative is known only as an `f64` function (a black box): apply it
/// as [`FirstOrder`]`(rule)`. First derivatives in every mode; second and higher ones panic,
/// naming the rule.
///
/// ```
/// use nilpotent::custom::{Custom, FirstOrder, FirstOrderUnary};
/// #[derive(Clone)]
/// struct Cube;
/// impl FirstOrderUnary for Cube {
///     fn name(&self) -> &'static str { "cube" }
///     fn value(&self, x: f64) -> f64 { x * x * x }
///     fn derivative(&self, x: f64) -> f64 { 3.0 * x * x }
/// }
/// let (_, g) = nilpotent::reverse::gradient(|x| x[0].custom(&FirstOrder(Cube)), &[2.0]);
/// assert_eq!(g[0], 12.0);
/// ```
pub trait FirstOrderUnary: Clone + Send + Sync + 'static {
    /// The function's name (listings, messages); its derivative is shown as `name′`.
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, FirstOrder, FirstOrderUnary};
    /// # #[derive(Clone)] struct Cube;
    /// # impl FirstOrderUnary for Cube {
    /// #     fn name(&self) -> &'static str { "cube" }
    /// #     fn value(&self, x: f64) -> f64 { x * x * x }
    /// #     fn derivative(&self, x: f64) -> f64 { 3.0 * x * x }
    /// # }
    /// let g = nilpotent::graph::Graph::record(&[2.0], |x| x[0].custom(&FirstOrder(Cube)));
    /// assert!(g.gradient().to_string().contains("cube′(v0)"));
    /// ```
    fn name(&self) -> &'static str;

    /// The value f(x).
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, FirstOrder, FirstOrderUnary};
    /// # #[derive(Clone)] struct Cube;
    /// # impl FirstOrderUnary for Cube {
    /// #     fn name(&self) -> &'static str { "cube" }
    /// #     fn value(&self, x: f64) -> f64 { x * x * x }
    /// #     fn derivative(&self, x: f64) -> f64 { 3.0 * x * x }
    /// # }
    /// assert_eq!(2.0.custom(&FirstOrder(Cube)), 8.0);
    /// ```
    fn value(&self, x: f64) -> f64;

    /// The derivative f′(x).
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, FirstOrder, FirstOrderUnary};
    /// # #[derive(Clone)] struct Cube;
    /// # impl FirstOrderUnary for Cube {
    /// #     fn name(&self) -> &'static str { "cube" }
    /// #     fn value(&self, x: f64) -> f64 { x * x * x }
    /// #     fn derivative(&self, x: f64) -> f64 { 3.0 * x * x }
    /// # }
    /// assert_eq!(nilpotent::derivative(|x| x.custom(&FirstOrder(Cube)), 2.0).1, 12.0);
    /// ```
    fn derivative(&self, x: f64) -> f64;

    /// The path of a function `fn(f64) -> f64` that computes [`FirstOrderUnary::value`], for
    /// [`Graph::to_rust`](crate::graph::Graph::to_rust) (as [`UnaryRule::rust_path`]).
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, FirstOrder, FirstOrderUnary};
    /// pub fn cube(x: f64) -> f64 { x * x * x }
    /// pub fn cube_d(x: f64) -> f64 { 3.0 * x * x }
    /// #[derive(Clone)] struct Cube;
    /// impl FirstOrderUnary for Cube {
    ///     fn name(&self) -> &'static str { "cube" }
    ///     fn value(&self, x: f64) -> f64 { cube(x) }
    ///     fn derivative(&self, x: f64) -> f64 { cube_d(x) }
    ///     fn rust_path(&self) -> Option<&'static str> { Some("crate::cube") }
    ///     fn derivative_rust_path(&self) -> Option<&'static str> { Some("crate::cube_d") }
    /// }
    /// let g = nilpotent::graph::Graph::record(&[2.0], |x| x[0].custom(&FirstOrder(Cube)));
    /// assert!(g.to_rust("f").contains("crate::cube(v0)"));
    /// assert!(g.gradient().to_rust("df").contains("crate::cube_d(v0)"));
    /// ```
    fn rust_path(&self) -> Option<&'static str> {
        None
    }

    /// The path of a function `fn(f64) -> f64` that computes [`FirstOrderUnary::derivative`], for
    /// emitting derivative graphs (see [`FirstOrderUnary::rust_path`] for an example).
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, FirstOrder, FirstOrderUnary};
    /// # #[derive(Clone)] struct Cube;
    /// # impl FirstOrderUnary for Cube {
    /// #     fn name(&self) -> &'static str { "cube" }
    /// #     fn value(&self, x: f64) -> f64 { x * x * x }
    /// #     fn derivative(&self, x: f64) -> f64 { 3.0 * x * x }
    /// #     fn rust_path(&self) -> Option<&'static str> { Some("crate::cube") }
    /// # }
    /// // without it, a gradient graph of the rule cannot be emitted
    /// let g = nilpotent::graph::Graph::record(&[2.0], |x| x[0].custom(&FirstOrder(Cube)));
    /// assert_eq!(g.gradient().try_to_rust("df").unwrap_err().rule, "cube′");
    /// ```
    fn derivative_rust_path(&self) -> Option<&'static str> {
        None
    }
}

/// A function ℝⁿ → ℝ whose gradient is known only as an `f64` function (a black box, such as a
/// solver with an adjoint): apply it as [`FirstOrder`]`(rule)` with [`Custom::custom_n`]. First
/// derivatives in every mode; second and higher ones panic, naming the rule.
///
/// In graph mode each component of the gradient is a node of its own that calls
/// [`FirstOrderGradient::gradient`] and keeps one entry: a gradient graph calls the black box's
/// gradient n times per evaluation (the tape and dual numbers call it once).
///
/// ```
/// use nilpotent::custom::{Custom, FirstOrder, FirstOrderGradient};
/// #[derive(Clone)]
/// struct Norm2;
/// impl FirstOrderGradient for Norm2 {
///     fn name(&self) -> &'static str { "norm2" }
///     fn value(&self, x: &[f64]) -> f64 { x.iter().map(|v| v * v).sum() }
///     fn gradient(&self, x: &[f64], g: &mut [f64]) {
///         for (g, v) in g.iter_mut().zip(x) { *g = 2.0 * v; }
///     }
/// }
/// let (_, g) = nilpotent::reverse::gradient(|x| Custom::custom_n(&FirstOrder(Norm2), x), &[1.0, 2.0]);
/// assert_eq!(g, vec![2.0, 4.0]);
/// ```
pub trait FirstOrderGradient: Clone + Send + Sync + 'static {
    /// The function's name (listings, messages); the gradient's entries are shown as `∂ᵢname`.
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, FirstOrder, FirstOrderGradient};
    /// # #[derive(Clone)] struct Norm2;
    /// # impl FirstOrderGradient for Norm2 {
    /// #     fn name(&self) -> &'static str { "norm2" }
    /// #     fn value(&self, x: &[f64]) -> f64 { x.iter().map(|v| v * v).sum() }
    /// #     fn gradient(&self, x: &[f64], g: &mut [f64]) { for (g, v) in g.iter_mut().zip(x) { *g = 2.0 * v; } }
    /// # }
    /// let g = nilpotent::graph::Graph::record(&[1.0, 2.0], |x| Custom::custom_n(&FirstOrder(Norm2), x));
    /// assert!(g.gradient().to_string().contains("∂1 norm2(v0, v1)"));
    /// ```
    fn name(&self) -> &'static str;

    /// The value f(x).
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, FirstOrder, FirstOrderGradient};
    /// # #[derive(Clone)] struct Norm2;
    /// # impl FirstOrderGradient for Norm2 {
    /// #     fn name(&self) -> &'static str { "norm2" }
    /// #     fn value(&self, x: &[f64]) -> f64 { x.iter().map(|v| v * v).sum() }
    /// #     fn gradient(&self, x: &[f64], g: &mut [f64]) { for (g, v) in g.iter_mut().zip(x) { *g = 2.0 * v; } }
    /// # }
    /// assert_eq!(f64::custom_n(&FirstOrder(Norm2), &[1.0, 2.0]), 5.0);
    /// ```
    fn value(&self, x: &[f64]) -> f64;

    /// Writes ∇f(x) into `grad` (of the same length as `x`).
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, FirstOrder, FirstOrderGradient};
    /// # #[derive(Clone)] struct Norm2;
    /// # impl FirstOrderGradient for Norm2 {
    /// #     fn name(&self) -> &'static str { "norm2" }
    /// #     fn value(&self, x: &[f64]) -> f64 { x.iter().map(|v| v * v).sum() }
    /// #     fn gradient(&self, x: &[f64], g: &mut [f64]) { for (g, v) in g.iter_mut().zip(x) { *g = 2.0 * v; } }
    /// # }
    /// let (_, g) = nilpotent::gradient(|x| Custom::custom_n(&FirstOrder(Norm2), x), &[1.0, 2.0]);
    /// assert_eq!(g, vec![2.0, 4.0]);
    /// ```
    fn gradient(&self, x: &[f64], grad: &mut [f64]);

    /// The path of a function `fn(&[f64]) -> f64` that computes [`FirstOrderGradient::value`],
    /// for [`Graph::to_rust`](crate::graph::Graph::to_rust) (as [`GradientRule::rust_path`]).
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, FirstOrder, FirstOrderGradient};
    /// pub fn norm2(x: &[f64]) -> f64 { x.iter().map(|v| v * v).sum() }
    /// pub fn norm2_grad(x: &[f64], g: &mut [f64]) {
    ///     for (g, v) in g.iter_mut().zip(x) { *g = 2.0 * v; }
    /// }
    /// #[derive(Clone)] struct Norm2;
    /// impl FirstOrderGradient for Norm2 {
    ///     fn name(&self) -> &'static str { "norm2" }
    ///     fn value(&self, x: &[f64]) -> f64 { norm2(x) }
    ///     fn gradient(&self, x: &[f64], g: &mut [f64]) { norm2_grad(x, g) }
    ///     fn rust_path(&self) -> Option<&'static str> { Some("crate::norm2") }
    ///     fn gradient_rust_path(&self) -> Option<&'static str> { Some("crate::norm2_grad") }
    /// }
    /// let g = nilpotent::graph::Graph::record(&[1.0, 2.0], |x| Custom::custom_n(&FirstOrder(Norm2), x));
    /// assert!(g.to_rust("f").contains("crate::norm2(&[v0, v1])"));
    /// assert!(g.gradient().to_rust("df").contains("crate::norm2_grad(&[v0, v1], &mut g)"));
    /// ```
    fn rust_path(&self) -> Option<&'static str> {
        None
    }

    /// The path of a function `fn(&[f64], &mut [f64])` that computes
    /// [`FirstOrderGradient::gradient`], for emitting derivative graphs (each entry of the gradient
    /// is a call that keeps one entry, as in the interpreter; see
    /// [`FirstOrderGradient::rust_path`] for an example).
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, FirstOrder, FirstOrderGradient};
    /// # #[derive(Clone)] struct Norm2;
    /// # impl FirstOrderGradient for Norm2 {
    /// #     fn name(&self) -> &'static str { "norm2" }
    /// #     fn value(&self, x: &[f64]) -> f64 { x.iter().map(|v| v * v).sum() }
    /// #     fn gradient(&self, x: &[f64], g: &mut [f64]) { for (g, v) in g.iter_mut().zip(x) { *g = 2.0 * v; } }
    /// #     fn rust_path(&self) -> Option<&'static str> { Some("crate::norm2") }
    /// # }
    /// let g = nilpotent::graph::Graph::record(&[1.0, 2.0], |x| Custom::custom_n(&FirstOrder(Norm2), x));
    /// // without it, a gradient graph of the rule cannot be emitted
    /// assert_eq!(g.gradient().try_to_rust("df").unwrap_err().rule, "∂0 norm2");
    /// ```
    fn gradient_rust_path(&self) -> Option<&'static str> {
        None
    }
}

/// A black-box rule ([`FirstOrderUnary`] or [`FirstOrderGradient`]) made applicable by
/// [`Custom::custom`] / [`Custom::custom_n`]: its derivative is the rule's `f64` derivative, and
/// has no derivative of its own.
///
/// ```
/// use nilpotent::custom::{Custom, FirstOrder, FirstOrderUnary};
/// #[derive(Clone)]
/// struct Cube;
/// impl FirstOrderUnary for Cube {
///     fn name(&self) -> &'static str { "cube" }
///     fn value(&self, x: f64) -> f64 { x * x * x }
///     fn derivative(&self, x: f64) -> f64 { 3.0 * x * x }
/// }
/// let y = nilpotent::Dual::<f64, 1>::variable(2.0, 0).custom(&FirstOrder(Cube));
/// assert_eq!((y.re, y.eps[0]), (8.0, 12.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct FirstOrder<R>(pub R);

impl<R: FirstOrderUnary> UnaryRule for FirstOrder<R> {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn value(&self, x: f64) -> f64 {
        self.0.value(x)
    }
    fn derivative<T: Custom>(&self, x: T) -> T {
        let mut d = [T::zero()];
        T::opaque_gradient(&UnaryBox(&self.0), &[x], &mut d);
        d[0]
    }
    fn rust_path(&self) -> Option<&'static str> {
        self.0.rust_path()
    }
}

impl<R: FirstOrderGradient> GradientRule for FirstOrder<R> {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn value(&self, x: &[f64]) -> f64 {
        self.0.value(x)
    }
    fn gradient<T: Custom>(&self, x: &[T], grad: &mut [T]) {
        T::opaque_gradient(&GradientBox(&self.0), x, grad);
    }
    fn rust_path(&self) -> Option<&'static str> {
        self.0.rust_path()
    }
}

/// Only the crate's number types are [`Custom`]: each mode implements `Sealed` for its type.
pub(crate) mod sealed {
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for f32 {}
}

/// A [`Float`](num_traits::Float) that custom rules apply to: `f64`, `f32`, [`Dual`](crate::Dual) over a `Custom` type (any
/// nesting depth), [`Var`](crate::reverse::Var) over a `Custom` type, and [`Sym`](crate::graph::Sym). Bound generic
/// code on it to call a rule (it cannot be implemented outside the crate).
///
/// ```
/// use nilpotent::custom::{Custom, UnaryRule};
/// # #[derive(Clone, Copy)] struct Sq;
/// # impl UnaryRule for Sq {
/// #     fn name(&self) -> &'static str { "sq" }
/// #     fn value(&self, x: f64) -> f64 { x * x }
/// #     fn derivative<T: Custom>(&self, x: T) -> T { x + x }
/// # }
/// fn f<T: Custom>(x: &[T]) -> T {
///     x[0].custom(&Sq) + x[1] // every Float method is available too
/// }
/// assert_eq!(nilpotent::gradient(f, &[3.0, 1.0]).1, vec![6.0, 1.0]);
/// ```
pub trait Custom: Float + sealed::Sealed {
    /// Applies the rule ℝ → ℝ to `self`.
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, UnaryRule};
    /// # #[derive(Clone, Copy)] struct Sq;
    /// # impl UnaryRule for Sq {
    /// #     fn name(&self) -> &'static str { "sq" }
    /// #     fn value(&self, x: f64) -> f64 { x * x }
    /// #     fn derivative<T: Custom>(&self, x: T) -> T { x + x }
    /// # }
    /// use nilpotent::Dual;
    /// let y = Dual::<f64, 1>::variable(3.0, 0).custom(&Sq);
    /// assert_eq!((y.re, y.eps[0]), (9.0, 6.0));
    /// ```
    fn custom<R: UnaryRule>(self, rule: &R) -> Self;

    /// Applies the rule ℝⁿ → ℝ to `x`.
    ///
    /// ```
    /// # use nilpotent::custom::{Custom, GradientRule};
    /// # #[derive(Clone, Copy)] struct Dot2;
    /// # impl GradientRule for Dot2 {
    /// #     fn name(&self) -> &'static str { "dot2" }
    /// #     fn value(&self, x: &[f64]) -> f64 { x[0] * x[1] }
    /// #     fn gradient<T: Custom>(&self, x: &[T], g: &mut [T]) { g[0] = x[1]; g[1] = x[0]; }
    /// # }
    /// let (v, g) = nilpotent::reverse::gradient(|x| Custom::custom_n(&Dot2, x), &[2.0, 3.0]);
    /// assert_eq!((v, g), (6.0, vec![3.0, 2.0]));
    /// ```
    fn custom_n<R: GradientRule>(rule: &R, x: &[Self]) -> Self;

    /// A constant of this type from a plain `f64` number: how a rule's derivative writes a
    /// literal, `T::lit(2.0) * x` (for the `f32` types, rounded to `f32`).
    ///
    /// A derivative is written once for every type the rule meets, the `f32` ones included, so
    /// Rust cannot let `2.0 * x` or `x * 2.0` through in it: `f32 * f64` is not an operation,
    /// and the [`Real`](crate::Real) bound that allows `f64` literals is not implied by
    /// `Custom` (it does not hold for `f32`):
    ///
    /// ```compile_fail,E0277
    /// use nilpotent::custom::{Custom, UnaryRule};
    /// #[derive(Clone, Copy)]
    /// struct Sq;
    /// impl UnaryRule for Sq {
    ///     fn name(&self) -> &'static str { "sq" }
    ///     fn value(&self, x: f64) -> f64 { x * x }
    ///     fn derivative<T: Custom>(&self, x: T) -> T { x * 2.0 } // E0277: write T::lit(2.0) * x
    /// }
    /// ```
    ///
    /// With `T::lit` it compiles, and the literal is a constant in every mode (no tape node, no
    /// tangent):
    ///
    /// ```
    /// use nilpotent::custom::{Custom, UnaryRule};
    /// #[derive(Clone, Copy)]
    /// struct Sq;
    /// impl UnaryRule for Sq {
    ///     fn name(&self) -> &'static str { "sq" }
    ///     fn value(&self, x: f64) -> f64 { x * x }
    ///     fn derivative<T: Custom>(&self, x: T) -> T { T::lit(2.0) * x }
    /// }
    /// let (_, g) = nilpotent::gradient(|x| x[0].custom(&Sq), &[3.0]);
    /// let (_, _, h) = nilpotent::hessian(|x| x[0].custom(&Sq), &[3.0]);
    /// let (_, g32) = nilpotent::gradient(|x| x[0].custom(&Sq), &[3.0_f32]);
    /// assert_eq!((g[0], h[(0, 0)], g32[0]), (6.0, 2.0, 6.0));
    /// ```
    #[inline]
    fn lit(x: f64) -> Self {
        <Self as num_traits::NumCast>::from(x)
            .expect("nilpotent: every number type of the crate converts from an f64")
    }

    /// The gradient of a black box known only in `f64` (see [`FirstOrder`]): exact where no
    /// derivative of it is needed, a panic naming the rule where one is.
    #[doc(hidden)]
    fn opaque_gradient<B: BlackBox>(f: &B, x: &[Self], grad: &mut [Self]);

    /// True if `self` is exactly zero in every part (value and every derivative, at every
    /// level): the structural test a dual number over this type needs to know that a tangent is
    /// absent ([`Zero::is_zero`](num_traits::Zero::is_zero) answers for the value only).
    #[doc(hidden)]
    fn is_exactly_zero(&self) -> bool;
}

/// The `f64` gradient of a black box (implemented by the crate for [`FirstOrder`]'s rules).
#[doc(hidden)]
pub trait BlackBox {
    /// the rule's name
    fn name(&self) -> &'static str;
    /// the gradient in `f64`
    fn gradient(&self, x: &[f64], grad: &mut [f64]);
    /// entry `i` of the gradient as a graph operation
    fn entry<S: Custom>(&self, i: usize) -> CustomFn<S>;
}

struct UnaryBox<'a, R>(&'a R);
struct GradientBox<'a, R>(&'a R);

impl<R: FirstOrderUnary> BlackBox for UnaryBox<'_, R> {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn gradient(&self, x: &[f64], grad: &mut [f64]) {
        grad[0] = self.0.derivative(x[0]);
    }
    fn entry<S: Custom>(&self, _: usize) -> CustomFn<S> {
        CustomFn(Arc::new(BoxEntry {
            rule: UnaryBoxOwned(self.0.clone()),
            i: 0,
            name: format!("{}′", self.0.name()),
        }))
    }
}

impl<R: FirstOrderGradient> BlackBox for GradientBox<'_, R> {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn gradient(&self, x: &[f64], grad: &mut [f64]) {
        self.0.gradient(x, grad);
    }
    fn entry<S: Custom>(&self, i: usize) -> CustomFn<S> {
        CustomFn(Arc::new(BoxEntry {
            rule: GradientBoxOwned(self.0.clone()),
            i,
            name: format!("∂{i} {}", self.0.name()),
        }))
    }
}

#[derive(Clone)]
struct UnaryBoxOwned<R>(R);
#[derive(Clone)]
struct GradientBoxOwned<R>(R);

/// A black box's gradient in `f64`, owned (kept in a graph).
trait OwnedBox: Send + Sync + 'static {
    fn rule_name(&self) -> &'static str;
    fn gradient(&self, x: &[f64], grad: &mut [f64]);
    /// Rust source for entry `i` of the gradient at `args`, if the rule has a path for it.
    fn rust_call(&self, i: usize, args: &[String]) -> Option<String>;
}
impl<R: FirstOrderUnary> OwnedBox for UnaryBoxOwned<R> {
    fn rule_name(&self) -> &'static str {
        self.0.name()
    }
    fn gradient(&self, x: &[f64], grad: &mut [f64]) {
        grad[0] = self.0.derivative(x[0]);
    }
    fn rust_call(&self, _: usize, args: &[String]) -> Option<String> {
        self.0
            .derivative_rust_path()
            .map(|p| format!("{p}({})", args[0]))
    }
}
impl<R: FirstOrderGradient> OwnedBox for GradientBoxOwned<R> {
    fn rule_name(&self) -> &'static str {
        self.0.name()
    }
    fn gradient(&self, x: &[f64], grad: &mut [f64]) {
        self.0.gradient(x, grad);
    }
    fn rust_call(&self, i: usize, args: &[String]) -> Option<String> {
        self.0.gradient_rust_path().map(|p| {
            format!(
                "{{ let mut g = [0.0f64; {}]; {p}(&[{}], &mut g); g[{i}] }}",
                args.len(),
                args.join(", ")
            )
        })
    }
}

/// Entry `i` of a black box's gradient, as a graph operation without a derivative.
struct BoxEntry<B> {
    rule: B,
    i: usize,
    name: String,
}

/// The panic of every mode when a black box's derivative would have to be differentiated.
#[cold]
#[inline(never)]
pub(crate) fn no_second_derivative(rule: &str, on: &str) -> ! {
    panic!(
        "nilpotent::custom: the custom rule `{rule}` has its derivative as an f64 function only \
         (FirstOrder), so it has first derivatives but no second or higher ones; {on} asks for \
         one. Give the derivative generically (UnaryRule or GradientRule) to get higher \
         derivatives"
    )
}

/// A custom operation as a graph keeps it: a rule, type-erased.
trait Erased<S>: Send + Sync {
    fn name(&self) -> &str;
    fn value(&self, x: &[f64]) -> f64;
    fn gradient_f64(&self, x: &[f64], grad: &mut [f64]);
    fn gradient_sym(&self, x: &[S], grad: &mut [S]);
    /// the rule's type, for a zero-sized rule (all its values are the same rule)
    fn key(&self) -> Option<TypeId>;
    /// a call of the rule's Rust path on the operands, if it has one
    fn rust_call(&self, args: &[String]) -> Option<String>;
}

struct ErasedUnary<R>(R);
struct ErasedGradient<R>(R);

impl<R: UnaryRule, S: Custom> Erased<S> for ErasedUnary<R> {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn value(&self, x: &[f64]) -> f64 {
        self.0.value(x[0])
    }
    fn gradient_f64(&self, x: &[f64], grad: &mut [f64]) {
        grad[0] = self.0.derivative(x[0]);
    }
    fn gradient_sym(&self, x: &[S], grad: &mut [S]) {
        grad[0] = self.0.derivative(x[0]);
    }
    fn key(&self) -> Option<TypeId> {
        (size_of::<R>() == 0).then(TypeId::of::<Self>)
    }
    fn rust_call(&self, args: &[String]) -> Option<String> {
        self.0.rust_path().map(|p| format!("{p}({})", args[0]))
    }
}

impl<R: GradientRule, S: Custom> Erased<S> for ErasedGradient<R> {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn value(&self, x: &[f64]) -> f64 {
        self.0.value(x)
    }
    fn gradient_f64(&self, x: &[f64], grad: &mut [f64]) {
        self.0.gradient(x, grad);
    }
    fn gradient_sym(&self, x: &[S], grad: &mut [S]) {
        self.0.gradient(x, grad);
    }
    fn key(&self) -> Option<TypeId> {
        (size_of::<R>() == 0).then(TypeId::of::<Self>)
    }
    fn rust_call(&self, args: &[String]) -> Option<String> {
        self.0
            .rust_path()
            .map(|p| format!("{p}(&[{}])", args.join(", ")))
    }
}

impl<B: OwnedBox, S> Erased<S> for BoxEntry<B> {
    fn name(&self) -> &str {
        &self.name
    }
    fn value(&self, x: &[f64]) -> f64 {
        let mut g = vec![0.0; x.len()];
        self.rule.gradient(x, &mut g);
        g[self.i]
    }
    fn gradient_f64(&self, _: &[f64], _: &mut [f64]) {
        no_second_derivative(
            self.rule.rule_name(),
            "forward mode on a graph that contains its derivative (a gradient graph evaluated on \
             dual numbers)",
        )
    }
    fn gradient_sym(&self, _: &[S], _: &mut [S]) {
        no_second_derivative(
            self.rule.rule_name(),
            "the derivative of a graph that contains its derivative (Graph::hessian, or \
             Graph::gradient of a gradient graph)",
        )
    }
    fn key(&self) -> Option<TypeId> {
        None
    }
    fn rust_call(&self, args: &[String]) -> Option<String> {
        self.rule.rust_call(self.i, args)
    }
}

/// A custom operation as a graph keeps it (a rule, type-erased and shared). Not constructed by
/// users: graph mode makes one when a rule is applied to its symbol type `S` (the graph's
/// [`Sym`](crate::graph::Sym)), whose values the rule's derivative is recorded on.
#[doc(hidden)]
pub struct CustomFn<S: 'static>(Arc<dyn Erased<S>>);

impl<S> Clone for CustomFn<S> {
    fn clone(&self) -> Self {
        CustomFn(Arc::clone(&self.0))
    }
}

// A graph stays `UnwindSafe` and `RefUnwindSafe`, as it was before custom rules: the graph only
// calls a rule through `&self`, and a rule is `Sync`, so any state it changes is behind a lock or
// an atomic (which a panic leaves consistent or poisoned, never half-written and unnoticed).
impl<S> std::panic::UnwindSafe for CustomFn<S> {}
impl<S> std::panic::RefUnwindSafe for CustomFn<S> {}

impl<S> fmt::Debug for CustomFn<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CustomFn({})", self.name())
    }
}

impl<S: Custom> CustomFn<S> {
    pub(crate) fn unary<R: UnaryRule>(rule: &R) -> Self {
        CustomFn(Arc::new(ErasedUnary(rule.clone())))
    }
    pub(crate) fn gradient<R: GradientRule>(rule: &R) -> Self {
        CustomFn(Arc::new(ErasedGradient(rule.clone())))
    }
}

impl<S> CustomFn<S> {
    /// The rule's name.
    pub fn name(&self) -> &str {
        self.0.name()
    }
    /// The value at `x`.
    pub(crate) fn value(&self, x: &[f64]) -> f64 {
        self.0.value(x)
    }
    /// The gradient at `x` in `f64` (panics for a black box's derivative).
    pub(crate) fn gradient_f64(&self, x: &[f64], grad: &mut [f64]) {
        self.0.gradient_f64(x, grad)
    }
    /// The gradient at `x` recorded into the active graph (panics for a black box's derivative).
    pub(crate) fn gradient_sym(&self, x: &[S], grad: &mut [S]) {
        self.0.gradient_sym(x, grad)
    }
    /// Equal keys: the same rule (`None`: compare by identity only).
    pub(crate) fn key(&self) -> Option<TypeId> {
        self.0.key()
    }
    /// Rust source calling the rule on the operands, if it has a Rust path.
    pub(crate) fn rust_call(&self, args: &[String]) -> Option<String> {
        self.0.rust_call(args)
    }
}

impl Custom for f64 {
    #[inline]
    fn is_exactly_zero(&self) -> bool {
        *self == 0.0
    }

    #[inline]
    fn custom<R: UnaryRule>(self, rule: &R) -> f64 {
        rule.value(self)
    }
    #[inline]
    fn custom_n<R: GradientRule>(rule: &R, x: &[f64]) -> f64 {
        rule.value(x)
    }
    #[inline]
    fn opaque_gradient<B: BlackBox>(f: &B, x: &[f64], grad: &mut [f64]) {
        f.gradient(x, grad)
    }
}

/// Computed in `f64`, then rounded to `f32`.
impl Custom for f32 {
    #[inline]
    fn is_exactly_zero(&self) -> bool {
        *self == 0.0
    }

    #[inline]
    fn custom<R: UnaryRule>(self, rule: &R) -> f32 {
        rule.value(f64::from(self)) as f32
    }
    fn custom_n<R: GradientRule>(rule: &R, x: &[f32]) -> f32 {
        let x: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        rule.value(&x) as f32
    }
    fn opaque_gradient<B: BlackBox>(f: &B, x: &[f32], grad: &mut [f32]) {
        let x: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let mut g = vec![0.0; x.len()];
        f.gradient(&x, &mut g);
        for (o, v) in grad.iter_mut().zip(g) {
            *o = v as f32;
        }
    }
}
