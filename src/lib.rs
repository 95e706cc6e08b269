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
//! ```toml
//! [dependencies]
//! nilpotent = "0.1"
//! ```
//!
//! nilpotent re-exports the versions of [`num_traits`] and [`nalgebra`] it is built with
//! (`nilpotent::num_traits::Float`, `nilpotent::nalgebra::DMatrix`), so a program needs no
//! dependency of its own on them, and one that has one should ask for the same versions
//! (num-traits 0.2, nalgebra 0.35): a matrix of another nalgebra version is another type.
//!
//! ## Which module for what
//!
//! The crate root re-exports the forward-mode drivers, the nested (higher-order) drivers, the loop
//! combinators and the traits a generic function is bounded on, so most programs import from
//! `nilpotent` directly. The modules:
//!
//! | module | what | use it when |
//! |---|---|---|
//! | [`forward`] (re-exported at the root), [`dual`] | [`Dual<T, N>`](Dual) and its drivers: [`gradient`], [`gradient_fixed`], [`jacobian`], [`jvp`], their `_into`/`_with` forms, the reusable [`Forward`] with the same methods as the tape | few inputs (≲ 30), or J·r |
//! | [`higher`] (re-exported at the root) | nested duals: [`hessian`], [`hvp`], [`second_derivative`], …, and the nesting rules | second and higher derivatives in forward mode |
//! | [`reverse`] | the tape's [`Var`](reverse::Var), [`Tape`](reverse::Tape) and its drivers (`gradient`, `vjp`, `jacobian`, `hvp`, `hessian`) | many inputs and one output (a loss), Jᵀ·s, Hessians by forward over reverse |
//! | [`graph`] | [`Graph`](graph::Graph) recorded once from [`Sym`](graph::Sym), derivative graphs, the interpreter, emitted Rust, the JIT (feature `jit`) | the same derivative at many inputs; generated code |
//! | [`loops`] (re-exported at the root) | [`sum_map`], [`map_rows`], [`sum_windows`], [`scan`], [`fold`] | a loss over rows of data, a stencil, a recurrence, a time integration: written once for every mode |
//! | [`sparse`] | sparsity patterns, colourings, [`JacobianPlan`](sparse::JacobianPlan), [`HessianPlan`](sparse::HessianPlan); with feature `rayon`, parallel passes | large Jacobians or Hessians that are mostly structural zeros |
//! | [`custom`] | custom derivative rules applied in every mode | a function the rule table does not have |
//! | [`numeric`] | finite differences, [`numeric::check_gradient`] | checking a hand-written derivative |
//! | [`linalg`], [`linalg_reverse`] | nalgebra's `RealField` for the number types, [`linalg::RealLinalg`] | matrix code: determinants, solves, decompositions |
//! | [`real`], [`methods`], [`approx_impls`] | the [`Real`] bound (plain numbers in generic code), inherent math methods, `approx` comparisons | writing the generic function |
//! | [`rules`], [`Elementary`] | the table of elementary functions and their partial derivatives; the functions `Float` lacks (`erf`, `erfc`) | reading what a derivative is, or the conventions' code; the error function in generic code (`T: Float + Elementary`) |
//! | `optim` (features `argmin`, `levenberg-marquardt`) | problem types for argmin and levenberg-marquardt | optimisers |
//!
//! The README shows one snippet per mode; the sections below are the reference, and the
//! [Conventions](#conventions) table at the end says what every mode does where a function is not
//! differentiable. Measurements (forward against reverse mode, the graph backends, sparse plans,
//! compile times) are in BENCHMARKS.md in the repository, and a maintainer's guide to the code in its
//! ARCHITECTURE.md.
//!
//!
//! ## Plain numbers in generic code: [`Real`]
//!
//! Bound on [`Real`] instead of `Float` to write numbers as they are: `x * 3.0`, `x + k` (an `f64`
//! variable), `x > 0.0`, `x.pow(2.5)`, `T::cst(0.5)` for a named constant, `T::PI()`, `.sum()`.
//! Every driver accepts such a function, as it accepts one bounded on `Float` (which keeps
//! working everywhere). Plain numbers go on either side (`2.0 / x`, `1.0 - x`, `0.0 < x`), and
//! plain `f64` arithmetic in the same function (`k * k`, `n as f64 / 2.0`) keeps its meaning (the
//! [`real`] module shows how).
//!
//! ```
//! use nilpotent::{Real, hessian};
//!
//! fn rosenbrock<T: Real>(x: &[T]) -> T {
//!     (-x[0] + 1.0).powi(2) + (x[1] - x[0] * x[0]).powi(2) * 100.0
//! }
//! let (_, _, h) = hessian(rosenbrock, &[1.0, 1.0]);
//! assert_eq!((h[(0, 0)], h[(0, 1)], h[(1, 1)]), (802.0, -400.0, 200.0));
//! ```
//!
//! Data and literals mix in directly, on either side of an operator:
//!
//! ```rust
//! use nilpotent::{Real, gradient, hessian};
//!
//! fn energy<T: Real>(x: &[T], k: f64) -> T {
//!     let stretch = (x[0] - 1.0).powi(2) * (0.5 * k);  // literals and data mix in directly
//!     let bend = if x[1] > 0.0 { x[1].pow(2.5) } else { -x[1] * 2.0 };
//!     stretch + bend + 1.0 / (x[0] * x[0] + 1.0)          // a number on the left too
//! }
//! let k = 4.0;
//! let (_, grad) = gradient(|x| energy(x, k), &[2.0, 1.0]);
//! assert_eq!(grad[1], 2.5);                             // d/dx x^2.5 at 1
//! let (_, _, h) = hessian(|x| energy(x, k) * 3.0, &[2.0, 1.0]);
//! assert_eq!(h[(1, 1)], 3.0 * 3.75);
//! ```
//!
//! On a concrete type (`Dual`, the tape's [`Var`](reverse::Var), the graph's
//! [`Sym`](graph::Sym)) the math functions are inherent methods: `x.ln()` needs no trait import
//! and is not ambiguous when both `Float` and nalgebra's `ComplexField` are imported
//! ([`methods`]). **Careful with the real part:** `x.re` is a plain number, so `x.re.sin()` is the
//! sine of the value *without* its derivative; write `x.sin()`.
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
//! The tape records every operation and can print it. For the lecture example above, recorded in
//! the lecture's order and swept once ([`Tape::set_tracing`](reverse::Tape::set_tracing),
//! `tape.record(…)`, `tape.backward(y)`, `println!("{:.3}", tape.trace())`):
//!
//! ```text
//! v     operation   value    adjoint v̄
//! v₋₁   x₁          2.000    5.500
//! v₀    x₂          5.000    1.716
//! v₁    ln v₋₁      0.693    1.000
//! v₂    v₋₁ × v₀    10.000   1.000
//! v₃    sin v₀      -0.959   -1.000
//! v₄    v₁ + v₂     10.693   1.000
//! v₅    v₄ − v₃     11.652   1.000
//! ```
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
//! **Data belongs in parameters.** A graph records a constant node for every `f64` its function
//! captures: data captured by the closure (a data set, labels, a minibatch) is baked into the graph,
//! its derivatives and their compiled code, and new data means a new recording. Pass data as
//! parameters instead — runtime inputs that are not differentiated — and record once
//! ([`graph::Graph::record_with`]):
//!
//! ```rust
//! use nilpotent::graph::Graph;
//! # let (w0, batch0, batch1) = ([0.0; 2], [1.0, 2.0, 0.5, 1.0], [3.0, 1.0, -1.0, 0.0]);
//! // least squares of y ≈ w₀ + w₁t over the points (t, y) in p
//! let grad = Graph::record_with(&w0, &batch0, |w, p| {
//!     let r = |k: usize| w[0] + w[1] * p[2 * k] - p[2 * k + 1];
//!     r(0) * r(0) + r(1) * r(1)
//! })
//! .gradient();                                   // ∂/∂w only; the same parameters
//! let g0 = grad.eval_with(&w0, &batch0).unwrap(); // [loss, ∂/∂w₀, ∂/∂w₁]
//! let g1 = grad.eval_with(&w0, &batch1).unwrap(); // new data, no new recording
//! assert_eq!(grad.num_constants(), 0);            // nothing from the data is baked in
//! assert!(grad.eval(&w0).is_err());               // parameters are never defaulted
//! # let _ = (g0, g1);
//! ```
//!
//! **Three backends** run the same graph with the same results bit for bit and the same guard
//! errors, behind one trait ([`graph::Evaluate`]): the interpreter (no set-up cost, any
//! [`graph::Value`] type), the JIT (feature `jit`: Cranelift at run time) and emitted Rust (a build
//! script writes the source, the crate `include!`s it; `examples/build_script/` in the repository
//! does it). When each pays is in the [`graph`] module's documentation.
//!
//! ```rust
//! use nilpotent::graph::{Evaluate, Graph};
//! use nilpotent::num_traits::Float; // re-exported: no second dependency to add
//!
//! fn rosenbrock<T: Float>(x: &[T]) -> T {
//!     let c = T::from(100.0).unwrap();
//!     (0..x.len() - 1).fold(T::zero(), |s, i| {
//!         let (a, b) = (x[i + 1] - x[i] * x[i], T::one() - x[i]);
//!         s + c * a * a + b * b
//!     })
//! }
//! let x = vec![0.5; 16];
//! let grad = Graph::record(&x, rosenbrock).gradient();
//!
//! // 1. the interpreter: no set-up cost
//! let mut backend: Box<dyn Evaluate + '_> = Box::new(grad.program().evaluator::<f64>());
//! // 2. the JIT (feature `jit`): Cranelift compiles the graph at run time
//! #[cfg(feature = "jit")]
//! let mut backend: Box<dyn Evaluate> = Box::new(grad.compile().unwrap());
//! // 3. emitted Rust: a build script writes the source, the crate includes it
//! //      build.rs:   std::fs::write(out_dir.join("grad.rs"), grad.to_rust("rosenbrock_gradient"))
//! //      src/lib.rs: include!(concat!(env!("OUT_DIR"), "/grad.rs"));
//! //      then:       let mut backend = Emitted::of(&grad, rosenbrock_gradient);
//! let source = grad.to_rust("rosenbrock_gradient");
//! assert!(source.starts_with("/// `rosenbrock_gradient`"));
//!
//! let mut out = vec![0.0; grad.num_outputs()];
//! backend.eval_into(&x, &mut out).unwrap(); // f, then ∂f/∂x₀ … ∂f/∂x₁₅
//! assert_eq!(out, grad.eval(&x).unwrap());
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
//! ## Hessians and second derivatives
//!
//! [`hessian`] nests dual numbers (forward over forward, `Dual<Dual<f64, 8>, 8>`) and returns the
//! value, gradient and an exactly symmetric Hessian; [`hvp`] gives H·v in one pass per chunk of
//! the gradient. [`reverse::hessian`] and [`reverse::hvp`] put dual numbers on the tape (forward
//! over reverse): H·v for one recording and one sweep, whatever n is. [`second_derivative`],
//! [`third_derivative`] and [`fourth_derivative`] do scalar functions; [`graph::Graph::hessian`]
//! builds the Hessian as a graph; [`sparse::hessian`] colours a sparse one.
//!
//! ```
//! use nilpotent::{Real, hessian, hvp, reverse};
//! fn f<T: Real>(x: &[T]) -> T { x[0] * x[0] * x[1] + x[1].exp() }
//! let x = [3.0, 0.0];
//! let (_, _, h) = hessian(f, &x);                      // [[2y, 2x], [2x, eʸ]]
//! assert_eq!((h[(0, 0)], h[(0, 1)], h[(1, 1)]), (0.0, 6.0, 1.0));
//! let (_, _, hv) = hvp(f, &x, &[1.0, 0.0]);            // first column
//! let (_, _, hv_rev) = reverse::hvp(f, &x, &[1.0, 0.0]);
//! assert_eq!((hv.clone(), hv_rev), (vec![0.0, 6.0], vec![0.0, 6.0]));
//! ```
//!
//! ## Reusing a tape, and results written into your buffers
//!
//! The free functions of [`reverse`] reuse a spare tape that each thread keeps (one per scalar
//! type), so only a thread's first call pays for growing it. In a loop (an optimiser, a training
//! run) you can also keep one [`Tape`](reverse::Tape) and call its methods: a recording reuses
//! the buffers of the last one, so once the tape has grown to the function's size nothing is
//! allocated. [`Tape::gradient_into`](reverse::Tape::gradient_into),
//! [`Tape::jacobian_into`](reverse::Tape::jacobian_into) and, on a tape of dual numbers,
//! [`Tape::hessian_into`](reverse::Tape::hessian_into) write into the caller's buffers; forward
//! mode has the same methods on a reused [`Forward`] (and [`Forward::jacobian_inplace_into`] for a function
//! that writes its outputs into a slice), which keeps its seeded inputs between calls; the free
//! [`gradient_into`], [`jacobian_into`] and [`jacobian_inplace`] are shortcuts for one call.
//!
//! ```
//! use nilpotent::{Real, reverse::Tape};
//! fn loss<T: Real>(w: &[T]) -> T { w.iter().map(|&wi| (wi - 1.0).powi(2)).sum() }
//!
//! let mut tape = Tape::new();
//! let (mut w, mut grad) = (vec![0.0; 4], vec![0.0; 4]);
//! for _ in 0..100 {
//!     tape.gradient_into(loss, &w, &mut grad);
//!     for (wi, gi) in w.iter_mut().zip(&grad) {
//!         *wi -= 0.1 * gi;
//!     }
//! }
//! assert!(w.iter().all(|&wi| (wi - 1.0).abs() < 1e-9));
//! ```
//!
//! ## Optimisers: argmin and levenberg-marquardt
//!
//! With the cargo feature `argmin` or `levenberg-marquardt`, `nilpotent::optim` turns one
//! generic objective or residual function into argmin's cost, gradient, Hessian and Jacobian
//! operators, or into a `LeastSquaresProblem` whose Jacobian comes from forward mode. Those
//! crates use nalgebra 0.34; the adapters convert internally and re-export that version as
//! `nilpotent::optim::nalgebra034`, so no second nalgebra is needed by hand. See
//! `examples/argmin_rosenbrock.rs` and `examples/lm_curve_fit.rs`.
//!
//! ## nalgebra
//!
//! `Dual`, `Var` and `Sym` implement nalgebra's `RealField` ([`linalg`], [`linalg_reverse`]), so
//! matrix code written over `T: RealField` — determinants, solves, decompositions, norms — runs on
//! them and returns derivatives; Jacobians and Hessians come back as [`nalgebra::DMatrix`]. Build
//! matrices from the input slice (`DMatrix::from_column_slice`), or use
//! [`linalg::gradient_svector`] and [`linalg::gradient_dvector`] for functions of nalgebra
//! vectors. In a function bounded on `RealField`, the math methods are `ComplexField`'s (bound on
//! `RealField` alone, or write `Float::sin(x)` if you bound on both); constants come from
//! `nalgebra::convert`. For plain-number literals *and* decompositions in one function, bound on
//! [`linalg::RealLinalg`] (`Real` plus `T::cholesky(a)`, `T::try_inverse(a)`, `T::solve(a, b)`,
//! … on plain matrices): no two traits then define `exp` (`T: Real + RealField` is ambiguous,
//! E0034). Matrix products alone need only `Real`.
//!
//! ```
//! use nilpotent::nalgebra::{DMatrix, RealField};
//! use nilpotent::reverse;
//!
//! // ∂ log det(A) / ∂A = A⁻ᵀ
//! fn log_det<T: RealField + Copy>(a: &[T]) -> T {
//!     DMatrix::from_column_slice(2, 2, a).determinant().ln()
//! }
//! let (_, grad) = reverse::gradient(log_det, &[4.0_f64, 1.0, 0.5, 3.0]); // column-major 2×2
//! assert!((grad[0] - 3.0 / 11.5).abs() < 1e-15);
//! ```
//!
//! ## Checking derivatives: [`numeric`]
//!
//! [`numeric`] has finite differences with step control (`numeric::gradient`, Richardson
//! extrapolation by default) and a gradient checker for hand-written derivatives:
//! [`numeric::check_gradient`] compares yours with AD and with finite differences and prints a
//! table of the entries that disagree.
//!
//! ```
//! use nilpotent::{Real, numeric};
//! fn f<T: Real>(x: &[T]) -> T { x[0].exp() * x[1] * x[1] }
//! let x = [0.5, 2.0];
//! let mine = [0.5f64.exp() * 4.0, 0.5f64.exp() * 2.0];     // ∂f/∂x₂ is wrong: 2eˣ¹x₂ = 4e^½
//! let report = numeric::check_gradient(f, &x, &mine);
//! assert!(!report.passed());
//! println!("{report}");
//! assert!((numeric::gradient(f, &x)[1] - 4.0 * 0.5f64.exp()).abs() < 1e-9);
//! ```
//!
//! ## Data and constants
//!
//! **Data** (measurements, parameters, a stiffness `k`) stays plain `f64` and enters through a
//! closure: `gradient(|x| loss(x, &data), &x0)`. With `T: Real`, `x * k` and `x - data[i]` mix the
//! `f64` in directly; with `T: Float`, convert it: `T::from(k).unwrap()`
//! ([`NumCast`](num_traits::NumCast)) or `num_traits::cast(k).unwrap()`. Every such value is a
//! constant: it carries no derivative.
//!
//! ```
//! use nilpotent::{Real, gradient, hessian};
//! fn loss<T: Real>(w: &[T], xs: &[f64], ys: &[f64]) -> T {
//!     xs.iter().zip(ys).map(|(&x, &y)| (w[0] * x + w[1] - y).powi(2)).sum::<T>() * 0.5
//! }
//! let (xs, ys) = ([0.0, 1.0, 2.0], [1.0, 3.0, 5.0]);
//! let (value, grad) = gradient(|w| loss(w, &xs, &ys), &[2.0, 1.0]);
//! assert_eq!((value, grad), (0.0, vec![0.0, 0.0]));      // y = 2x + 1 fits exactly
//! let (_, _, h) = hessian(|w| loss(w, &xs, &ys), &[2.0, 1.0]);
//! assert_eq!((h[(0, 0)], h[(0, 1)], h[(1, 1)]), (5.0, 3.0, 3.0)); // Σx², Σx, n
//! ```
//!
//! **Constants** in generic code: `T::cst(0.5)` with `T: Real` ([`Literal::cst`]), `T::PI()` and
//! friends ([`FloatConst`](num_traits::FloatConst)), `T::zero()`, `T::one()`; in code over
//! nalgebra's `RealField`, `nalgebra::convert(0.5)` and `T::pi()`. To read a value out (for
//! printing or a stopping test), `x.to_f64()`, `nalgebra::try_convert(x)` (`None` for a number
//! that carries a derivative) or the field/method of the concrete type (`x.re`, `x.value()`).
//!
//! **Values of an outer level** inside a nested derivative enter as constants of the inner level
//! through [`Dual::constant`] (see [`higher`]); a plain `f64` is a constant at every level.
//!
//! ## One table of rules
//!
//! [`rules`] lists every elementary function with its value and local partial derivative(s), each
//! with its formula in a comment. Every mode consumes it; no derivative formula is written twice.
//!
//! ## Custom rules
//!
//! A function the table does not have — a special function with a known derivative, a black box
//! with a known gradient — is a [`custom`] rule: its `f64` value and its derivative, written once
//! generically, applied as `x.custom(&rule)` (ℝ → ℝ) or `T::custom_n(&rule, &x)` (ℝⁿ → ℝ) in
//! forward, reverse and graph mode alike, at any order:
//!
//! ```
//! use nilpotent::custom::{Custom, UnaryRule};
//! #[derive(Clone, Copy)]
//! struct Softplus; // ln(1 + eˣ), derivative 1/(1 + e⁻ˣ)
//! impl UnaryRule for Softplus {
//!     fn name(&self) -> &'static str { "softplus" }
//!     fn value(&self, x: f64) -> f64 { x.exp().ln_1p() }
//!     fn derivative<T: Custom>(&self, x: T) -> T { T::one() / (T::one() + (-x).exp()) }
//! }
//! fn f<T: Custom>(x: &[T]) -> T { x[0].custom(&Softplus) * x[1] }
//! assert_eq!(nilpotent::gradient(f, &[0.0, 2.0]).1, vec![1.0, 2f64.ln()]);
//! assert_eq!(nilpotent::reverse::hessian(f, &[0.0, 2.0]).2[(0, 0)], 0.5); // softplus″(0)·2
//! ```
//!
//! ## Conventions
//!
//! Where a function is not differentiable, or a derivative is infinite, nilpotent does the following
//! (the same in every mode — forward, tape and graph — except where the table says so; each has a
//! named test). This table is the one place the conventions are written down; the README links
//! here.
//!
//! | case | first order | second and higher order (nested duals, duals on the tape) |
//! |---|---|---|
//! | `==`, `<`, `max`/`min` choice | compare the value (real part) only | the same: the innermost value decides, so every level takes the branch the `f64` program takes |
//! | `max`/`min` tie | the average of the two tangents; the value of a tie of −0 and +0 is +0 for `max`, −0 for `min`, in either order (IEEE 754-2019 `maximumNumber`/`minimumNumber`: `rules::max`/`rules::min`), in every mode and backend (`f64::max` leaves it unspecified, and compiled code does not always give the same zero) | the average at every order (the partials ½, ½ are constants); the same zero at every level |
//! | `max`/`min` with NaN | as `f64`: the other argument, with its tangent | the other argument with all its derivatives |
//! | `abs` at ±0 and NaN | `signum(x)`: +1 at +0, −1 at −0; NaN at every NaN, whatever its sign bit (which no backend computes reliably) | second derivative 0 (`signum` is piecewise constant), so `d²/dx² abs(x)² = 2` at 0 |
//! | zero tangent lanes | stay exactly 0 even where the local derivative is ±∞ or NaN (`sqrt(0)`, `ln(0)`) | decided by the values: a lane is multiplied by the product rule with this rule in every product (`(a + a′ε)·(b + b′ε)` → `a·b + (a′·b + a·b′)ε`, each `·` zero where a factor is 0), so a lane whose value is 0 keeps its higher derivatives, and its value is the first-order one (0 against ±∞, never NaN) |
//! | zero local derivative | contributes nothing, even against an infinite tangent (`floor(sqrt(x))`, `sqrt(x)·0` at 0, also in `mul_add`) | the same rule by the values: a partial whose value is 0 but whose own derivative is not (y·xʸ⁻¹ at y = 0) is propagated; against an infinite tangent or adjoint its value is 0 and its derivative the product rule's ±∞ or NaN (∂²(√x·y)/∂x∂y = +∞ at x = 0 in every mode; the graph's `⊙` nodes evaluated on dual numbers do the same) |
//! | values | bit for bit the `f64` result (`powf(0, 2.5) = 0`, `powi(0, −1) = ∞`; `max`/`min` at a tie of ±0: see above) | the innermost real part is the `f64` result bit for bit |
//! | `powi(x, 0)`, `powf(x, 0)` with a constant 0 | 1 with zero tangent | zero derivatives of every order |
//! | `powf(x, y)` with y varying | `xʸ ln x` term only where y's tangent is nonzero; 0 at x = 0 < y | exact at every order where the derivative is finite (`x^(x−1)`, `xˣ` at 1: f″ = 2, f‴ = 3); at x = 0 < y the exponent term is 0 at every order (exact below order y). At x = 0, y ≤ 1 xʸ has no second derivative and the mixed partial depends on the order of differentiation (d/dx ∂/∂y is the convention's 0, d/dy ∂/∂x the formula's ±∞ or NaN), so drivers that read different triangles of H differ there |
//! | `floor`, `ceil`, `round`, `trunc`, `signum` | zero tangent; `fract` passes it through | zero derivatives of every order; `fract`'s second derivative is the argument's |
//! | `%` | `a − trunc(a/b)·b`, tangent `a′ − trunc(a/b)·b′` | the same formula at every order (`trunc(a/b)` is piecewise constant) |
//! | `atan2(0, 0)`, `hypot(0, 0)` | zero partials | zero derivatives of every order (not differentiable there) |
//! | `is_nan`, `classify`, `to_f64`, … | value only | value only |
//! | `is_sign_negative`, `is_sign_positive`, `Signed::is_negative`, … of a NaN | **graph mode differs**: forward and tape: the sign bit of the value, as `f64` answers (not specified for a NaN out of arithmetic: compilers rewrite `(−a)·(−b)` as `a·b`); graph mode: every NaN answers as `f64::NAN`, positive, in the recording and every backend (`to_f64` gives `f64::NAN` too), so that a guard never depends on a NaN's sign | the same |
//! | `is_zero` (`Zero`) | the value only, as `f64` (±0 is zero, NaN is not; a tangent does not make it nonzero), so generic code and nalgebra's singularity tests (`try_inverse`, LU/QR solves, `is_invertible`) take the `f64` branch; graph mode records it as a guard. The rules' own zero tests (above) are separate | the innermost value only |
//! | `mul_add` | fused in every lane | fused in every lane of every level |
//! | `erf`, `erfc` ([`Elementary`]: functions `Float` lacks) | value: `libm`'s `f64` function in every mode and backend (`f32`: computed in `f64`, rounded once); derivative ∓2/√π·e^(−x²), 0 at ±∞. `rules::Unary::eval` computes the value through `f64`, so on a dual number it panics (naming `Elementary`) instead of dropping its derivatives | dual numbers and the tape take the value from the level below and the derivative from the table there: exact at every order; at ±∞ every higher derivative is the limit 0 (zero local derivative, above) |
//! | tangents that cancel to exactly 0 before an infinite partial (`sqrt(x·y − y·x)`) | **forward and reverse differ**: forward sees the zero lane and gives 0 (exact); reverse (tape and graph) sees only the recorded operations and gives NaN (∞ − ∞) | the same difference: nested duals as forward, duals on the tape and graph Hessians as reverse |
//! | graph parameters (`Graph::record_with`) | not differentiated: derivative graphs are with respect to `x` only, and a node computed from parameters and constants alone gets no adjoint; a branch on a parameter is a guard, checked on the new data; a graph with parameters evaluated without them is `GraphError::MissingParams` (never the recorded values); lengths are checked in the order x, p, out; sparse plans take them in `eval_with`/`par_eval_with` on every path (their run-time reverse sweeps read them as leaves with zero adjoint) and in `JacobianPlan::eval_fn_with` (and its `_inplace_with`, `par_` forms), whose function gets them as dual numbers with zero tangents, bit for bit `eval_with`'s results with its errors; `eval`, `par_eval`, `eval_fn` (and its forms without parameters) on such a plan are `MissingParams` | the same at every order (`hessian()` is with respect to `x`); dual numbers given as parameters to an evaluator carry their tangents (forward mode with respect to the data) |
//! | loops (`sum_map`, `map_rows`, `sum_windows`, `scan`, `fold`) | each is the plain `for` loop it stands for (a sum starts from 0 and adds the rows in order): values bit for bit that loop's in every mode, forward derivatives too; the tape runs `scan` and `fold` step by step with the state's Jacobian accumulated in the order of the steps (memory independent of the number of steps), so its derivatives are the unrolled loop's up to rounding; no rows is no iterations (`sum_map` gives 0, `scan` its `init`); width 0 only without rows (`fold` counts steps) | the same; on the tape's dual numbers the Jacobian's products follow the rule for zero factors above |
//! | loops in graph mode (`sum_map`, `map_rows`, `sum_windows`, `scan`, `fold` on `Sym`) | one loop node, its body recorded once; values bit for bit the plain loop's (sums added to +0 in the order of the iterations; `Graph::unrolled` is the reference); a value-dependent branch in the body: one recorded variant of the body per path taken while recording (at most 8, beyond that a panic asking for the branch without a comparison on the data, e.g. `y·f + (1 − y)·g`); each iteration runs the first variant whose guards hold, and an iteration no variant accepts is `GraphError::LoopGuard` naming the iteration, never a value; no rows: a plain loop (nothing recorded) | derivative graphs keep the loops (a reverse loop over the body's vector-Jacobian product, one per variant and per path through the derivative rules' branches, over the states the forward loop stacked); adjoints over the iterations are summed in the reverse loop's order, so derivative values agree with the unrolled graph's to rounding, not bit for bit. A gradient graph's value output is the function's bit for bit, also where the gradient takes a sum's values from its reverse loop instead of running the forward loop (a sum whose adjoint does not depend on it): they are added up in the forward order. The adjoints of a sequence's windows (`sum_windows` over `x`, rows that are inputs) are added inside the reverse loop into one array per sequence (the transpose of the window read; the derivative graph's size does not grow with the data): each entry starts at −0 (so the first contribution is kept as it is) and gets, in the reverse loop's order (the last window first), each touching iteration's contribution, itself summed in that body's reverse sweep; the same order in the interpreter, emitted Rust, the JIT and `Graph::unrolled` of the derivative graph (bit for bit), and the unrolled function's gradient bit for bit where each window contributes one term to an entry (Rosenbrock), to rounding otherwise; an entry no window reads has the adjoint +0 (structural); Hessians read such an array's adjoint back as windows |
//! | a symmetric matrix through Cholesky (`nalgebra`'s `cholesky`, `linalg::RealLinalg::cholesky`) | only the lower triangle is read: the derivative with respect to `Aᵢⱼ` is 0 above the diagonal, and below it carries both `Aᵢⱼ` and `Aⱼᵢ` (for `log det A`: `2 (A⁻¹)ᵢⱼ` below, `(A⁻¹)ᵢᵢ` on the diagonal, not the textbook `A⁻ᵀ`; the same for every symmetric direction). For `A⁻ᵀ`, go through LU or symmetrise first | the same at every order (test `literals_and_decompositions_in_one_bound`) |
//! | checkpointed reverse of a fold or scan in graph mode (`Graph::with_checkpoints(k)`) | segments of ⌈n/k⌉ steps; values and the adjoints that flow through the state (initial values, a scan's data) bit for bit those of the stored reverse (`g.gradient()`); the adjoints of values every step reads (parameters) are summed per segment, then over the segments, so they may differ from the stored reverse's in the last bits (equal when k = 1 or k ≥ n) | the same for the Hessian of the checkpointed graph |
//!
//! ## Nesting and perturbation confusion
//!
//! Each level of nesting is a different type, so the perturbations of an inner derivative and an
//! outer one cannot be mixed up by accident. A value of an outer level enters an inner computation
//! only as a constant: lift it with [`Dual::constant`]. See [`higher`] for the details.

// `deny`, not `forbid`: four places opt out, each with `#[allow(unsafe_code)]`, its reason and
// its safety argument at the site: simba's `unsafe fn` trait methods (`base/linalg.rs`, safe
// bodies), the tape's active recording behind a thread-local raw pointer (`reverse/tape.rs`), the
// interpreter's unchecked slot access (`graph/program.rs`) and calls into JIT-compiled code
// (`graph/jit.rs`). ARCHITECTURE.md lists them with their arguments.
#![deny(unsafe_code)]
#![warn(missing_docs)]

// The layers (see ARCHITECTURE.md): base ← modes (forward, reverse, graph) ← analyses (sparse,
// numeric) ← adapters (optim). A module imports only from layers to its left; `reverse` and `graph`
// do not import each other; `scripts/layers.sh` checks it in CI.
mod base;

pub mod forward;
pub mod graph;
pub mod reverse;

pub mod numeric;
pub mod sparse;

#[cfg(any(feature = "argmin", feature = "levenberg-marquardt"))]
pub mod optim;

// The public paths of the modules that live in a layer's folder.
#[doc(inline)]
pub use base::approx_eq as approx_impls;
#[doc(inline)]
pub use base::{custom, loops, methods, real, rules};
#[doc(inline)]
pub use forward::dual;
#[doc(inline)]
pub use forward::nalgebra as linalg;
#[doc(inline)]
pub use forward::nested as higher;
#[doc(inline)]
pub use reverse::nalgebra as linalg_reverse;

pub use approx_impls::AllParts;
pub use base::elementary::Elementary;
pub use custom::{Custom, GradientRule, UnaryRule};
pub use dual::Dual;
pub use forward::{
    Chunk, DEFAULT_CHUNK, Forward, derivative, gradient, gradient_fixed, gradient_with, jacobian,
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
pub use loops::{Loops, fold, map_rows, scan, sum_map, sum_windows};
pub use real::{Literal, Real, Real32};

/// The nalgebra version nilpotent implements `RealField` for and returns matrices of.
pub use nalgebra;
/// The num-traits version nilpotent implements (`Float`, `FloatConst`, `Pow`, …).
pub use num_traits;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
