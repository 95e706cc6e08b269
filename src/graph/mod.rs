//! Graph mode: record a function once as a computation graph, build its derivatives as graphs,
//! and evaluate them at any input.
//!
//! Reverse mode on a [tape](crate::reverse::Tape) records the operations of one evaluation with
//! their partials as *numbers*: the sweep gives the gradient at that point and nothing else, and
//! the next point needs a new recording. Graph mode records the operations as a graph of
//! *symbols* ([`Sym`]), so the graph can be evaluated again at any input — and differentiated:
//! reverse accumulation over the graph, with each local partial taken from the rule table
//! evaluated on `Sym`, writes the gradient as a new graph, whose derivative in turn is the
//! Hessian. This is the last section of the lecture the crate grew out of, "Reverse Mode – Graph".
//!
//! ```
//! use nilpotent::graph::Graph;
//! use num_traits::Float;
//!
//! fn f<T: Float>(x: &[T]) -> T {
//!     x[0].ln() + x[0] * x[1] - x[1].sin()
//! }
//! let g = Graph::record(&[2.0, 5.0], f); // 2 inputs, 5 operations
//! assert_eq!((g.num_inputs(), g.num_outputs(), g.len()), (2, 1, 5));
//! let grad = g.gradient();               // outputs: f, ∂f/∂x₀, ∂f/∂x₁
//! let out = grad.eval(&[2.0, 5.0]).unwrap();
//! assert_eq!(out[1], 5.5);
//! let out = grad.eval(&[1.0, 0.0]).unwrap(); // any other input: no new recording
//! assert_eq!((out[1], out[2]), (1.0, 0.0)); // 1/x₀ + x₁, x₀ − cos x₁
//!
//! let h = g.hessian();                   // outputs: f, ∇f, H row by row
//! let out = h.eval(&[2.0, 5.0]).unwrap();
//! assert_eq!(out[3..], [-0.25, 1.0, 1.0, 5.0f64.sin()]);
//! ```
//!
//! # What a graph is
//!
//! A flat list of nodes in SSA form (each node is computed once, from earlier nodes): the inputs,
//! constants, and operations, every operation an entry of the rule table
//! ([`Unary`](crate::rules::Unary), [`Binary`](crate::rules::Binary), `mul_add`) or `⊙`
//! ([`rules::chain_mul`](crate::rules::chain_mul), the product derivative graphs multiply partials
//! and adjoints with), or a [custom rule](crate::custom) applied to any number of operands (a node
//! that calls the rule's `f64` value; derivative graphs record its derivative as ordinary nodes).
//! `Display` prints it as a listing (`v3 = sin v1`, `v4 = erf(v3)`), [`Graph::to_dot`] as a
//! Graphviz drawing. While recording, the graph
//!
//! - shares common subexpressions (an operation on the same operands is the same node; the operands
//!   of `+` and `×` are put in a canonical order first);
//! - folds operations on constants (by evaluating the rule on them);
//! - applies only the identities that hold for every IEEE value: `x·1 = x`, `x/1 = x`,
//!   `x + (−0) = x`, `x − (+0) = x`, `−(−x) = x`. Never `x·0 = 0`, `x − x = 0` or `x/x = 1`: they
//!   are false for ±∞ and NaN;
//!
//! and a finished graph keeps only what its outputs and guards need.
//!
//! # Branches: guards
//!
//! A graph is recorded at a point x₀ (values are computed alongside, as on the tape), so code that
//! branches on values records the branch it takes at x₀. Every such decision — a comparison, a
//! `max`/`min` choice inside a derivative rule, `is_nan`, a sign bit, a conversion to an integer
//! or out of the graph (`to_f64`) — is kept as a *guard*: the question and the answer seen at x₀.
//! A question about a NaN is answered as about [`f64::NAN`] (positive, one payload), in the
//! recording and in every backend: a NaN's sign and payload are not specified, and compilers
//! change them.
//! [`Graph::eval`] asks every question again and returns [`GraphError::Guard`] where an answer
//! differs, naming the guard; it never returns the number of a branch the function would not
//! take. Branch-free code has no guards, and the conventions of the other modes (zero lanes,
//! zero partials) are operations in the graph, not guards.
//!
//! ```
//! use nilpotent::graph::{Graph, GraphError};
//! use num_traits::Float;
//!
//! fn relu_sq<T: Float>(x: &[T]) -> T {
//!     if x[0] > T::zero() { x[0] * x[0] } else { T::zero() }
//! }
//! let g = Graph::record(&[3.0], relu_sq).gradient();
//! assert_eq!(g.eval(&[4.0]).unwrap(), vec![16.0, 8.0]); // the same branch
//! assert!(matches!(g.eval(&[-1.0]), Err(GraphError::Guard { .. }))); // the other one
//! ```
//!
//! # Data belongs in parameters
//!
//! A graph records a constant node for every `f64` its function captures, so data captured by the
//! closure — a data set, labels, a minibatch — is baked into the graph, into its derivative graphs
//! and into their emitted or compiled code, and new data means a new recording. Give data to the
//! graph as *parameters* instead: runtime inputs that are not differentiated
//! ([`Graph::record_with`], [`Graph::record_vec_with`]), read at each evaluation
//! ([`Graph::eval_with`], [`Evaluator::eval_with_into`], `Compiled::eval_with`, emitted
//! `fn name(x, p, out)`). Derivative graphs are with respect to the inputs `x` only and keep the
//! parameters; a branch on a parameter is a guard like any other, checked on the new data; a graph
//! with parameters evaluated without them is [`GraphError::MissingParams`].
//! [`Graph::num_constants`] (also in `Display`'s header) shows what a graph has baked in.
//!
//! With the data as parameters a graph keeps a handful of constants instead of one per datum and
//! gives the same outputs bit for bit; the interpreter is somewhat slower on it than on the baked
//! graph (the parameters are copied in at each call, and a partial that is a parameter is
//! multiplied by the adjoint with `⊙`, which keeps the zero-adjoint convention for any data, where
//! a baked finite constant allows a plain product). The measurements on the logistic-regression
//! gradient of the benchmarks are in BENCHMARKS.md, section "Graph mode", "Data as parameters", in
//! the repository. The training loop of `examples/training.rs` records its gradient once and
//! evaluates it on every minibatch.
//!
//! # Loops
//!
//! A plain `for` loop is unrolled: a loss over m rows records m copies of the row's expression. The
//! combinators of [`crate::loops`] ([`sum_map`](crate::sum_map), [`map_rows`](crate::map_rows),
//! [`sum_windows`](crate::sum_windows), [`scan`](crate::scan), [`fold`](crate::fold)) record the
//! body once, as a graph of its own, and the loop as one node, whatever the number of rows or
//! steps: the graph's size is the program's. Values the body uses from outside (weights, a step
//! size) become inputs of the body; rows may be parameters (data) or inputs. The interpreter runs
//! the body's program once per iteration, with the values of the plain loop bit for bit (sums are
//! added to +0 in the order of the iterations); [`Graph::unrolled`] expands every loop, the
//! reference they are tested against. Derivative graphs keep the loops: the reverse of a loop is a
//! loop over the body's vector-Jacobian product, run backwards over the states the forward loop
//! stacked, so the gradient of a `sum_map` over data has the same number of nodes for any number of
//! rows, and its Hessian is again a graph with loops, whose size does not grow with the number of
//! rows or steps either (the adjoints of a `scan`'s states come back as an array, read where it
//! is). A gradient runs a loop that only sums (a
//! `sum_map`, a `sum_windows`) once where the sum's adjoint does not depend on the sum (the loss is
//! the sum, plus or times terms of its own; not `ln Σ`): its reverse loop, which recomputes each
//! iteration's value anyway, keeps those values, and a loop adds them up in the forward order, so
//! the gradient graph's value is the function's bit for bit. Sparsity detection ([`crate::sparse`]) reads
//! through loop nodes without unrolling them. Emitted Rust and the JIT run loops as loops: emitted
//! Rust is a `for` loop calling one function per variant of the body; the JIT writes a loop whose
//! body has one variant without guards as a loop in its machine code (the body's code inline),
//! and compiles each variant of any other as a function of its own, called per iteration; both
//! give the interpreter's results bit for bit and its errors.
//!
//! A branch in the body on a value (the label test `if y > 0.5`) may go either way from row to
//! row: the body is recorded once per path taken while recording the loop (each such *variant* is
//! recorded at the first row that takes its path, at most 8), and each iteration runs the first
//! variant whose guards hold. A row that takes a path no variant took is
//! [`GraphError::LoopGuard`], naming the iteration — never a value. Its message names the body's
//! values as the body sees them: `row[j]` (an entry of the row), `window[j]` (of overlapping
//! windows), `state[i]`, and a value the body captured by its name in the function (`x[i]`,
//! `p[k]`; `captured[k]` inside a nested body), e.g. `iteration 1 of a loop … : guard g0 fails:
//! row[2] > 0.5 at src/model.rs:12:8 was true at recording, but here false (row[2] = 0)`. To
//! cover every row whatever the data, write the branch without a comparison:
//! `y·f(x) + (1 − y)·g(x)`.
//!
//! ```
//! use nilpotent::{Real, graph::Graph, sum_map};
//! // Σ over rows [x₀, x₁, y] of the logistic loss, the label tested with a branch
//! fn loss<T: Real>(w: &[T], rows: &[T]) -> T {
//!     sum_map(rows, 3, |r| {
//!         let z = w[0] * r[0] + w[1] * r[1];
//!         if r[2] > 0.5 { (T::one() + (-z).exp()).ln() } else { (T::one() + z.exp()).ln() }
//!     })
//! }
//! let rows = [0.5, 1.0, 1.0, -1.0, 0.5, 0.0, 2.0, -0.5, 1.0];
//! let g = Graph::record_with(&[0.1, 0.2], &rows, |w, p| loss(w, p));
//! let grad = g.gradient(); // loops too: its size does not depend on the number of rows
//! let out = grad.eval_with(&[0.3, -0.1], &rows).unwrap();
//! assert_eq!(out[0], loss(&[0.3, -0.1], &rows));
//! ```
//!
//! # When to use which mode
//!
//! | you have | use |
//! |---|---|
//! | the same derivative at many inputs, control flow that does not depend on the input (or rarely) | a graph: record once, evaluate many times ([`Program`] and [`Evaluator`] evaluate without allocating) |
//! | one-off derivatives, or code that branches on values everywhere | the tape ([`crate::reverse`]) or forward mode |
//! | a Hessian you will evaluate often | [`Graph::hessian`]: structural zeros cost nothing |
//!
//! # Evaluation
//!
//! [`Graph::program`] lowers a graph once into a flat list of instructions over a few work slots,
//! reused as soon as a value is dead; an [`Evaluator`] runs it for any [`Value`] type — `f64`,
//! `f32`, or dual numbers, which gives forward mode on the graph — without allocating. Values are
//! the `f64` function's bit for bit where the same operations run in the same order.

//!
//! # Backends: the interpreter, emitted Rust, the JIT
//!
//! One graph, three ways to run it at `f64` inputs, all with the same results bit for bit and the
//! same errors (the guards are checked in the same order and report the same [`GraphError`]), all
//! behind one trait, [`Evaluate`], so that switching is one line:
//!
//! ```ignore
//! let mut grad = g.gradient();
//! let mut e = grad.program().evaluator::<f64>();            // the interpreter
//! let mut e = grad.compile()?;                              // the JIT (feature `jit`)
//! let mut e = Emitted::of(&grad, my_gradient);              // emitted Rust, `include!`d
//! e.eval_into(&x, &mut out)?;                               // the same call for all three
//! ```
//!
//! | backend | made by | cost to make | cost per call |
//! |---|---|---|---|
//! | interpreter | [`Graph::program`], [`Program::evaluator`] | lowering, linear in the number of nodes: the cheapest | one dispatch and slot traffic per instruction: the slowest calls |
//! | JIT (feature `jit`) | `Graph::compile` | Cranelift, at run time, linear in the number of nodes | native code, elementary functions called through pointers |
//! | emitted Rust | [`Graph::to_rust`], written by a build script and `include!`d | rustc and LLVM, at build time: the most expensive | native code optimised by LLVM: the fastest calls |
//!
//! The interpreter pays for graphs evaluated a few hundred times or fewer, or recorded again
//! often (code whose branches change with the input), and it runs on any [`Value`] type (`f32`,
//! dual numbers), which the other two do not. The JIT pays once a graph is evaluated more often than
//! its compile time divided by the time it saves per call — a few thousand calls for gradient
//! graphs — and when the function is known only at run time. Emitted Rust pays when the function
//! is known when the program is built: the fastest calls, at the price of build time (keep it to
//! graphs of up to some tens of thousands of nodes: rustc's time grows faster than the graph).
//! The measured costs (per node to make, per call against the `f64` function, on the lecture
//! example, Rosenbrock and a Hessian) are in BENCHMARKS.md, section "Graph mode", in the
//! repository.
//!
//! Bit for bit: every backend computes each node with the operation the interpreter uses —
//! IEEE arithmetic and std's `f64` methods (which is what the rule table's values are for `f64`),
//! without fusing or reassociating anything (a fused multiply-add only for `mul_add` nodes) —
//! and `tests/suite/graph/emit.rs` and `tests/suite/graph/jit.rs` check it on every rule at special
//! values, on random expressions and on gradient and Hessian graphs. NaN payloads are not
//! specified (by IEEE 754 or by Rust), so "bit for bit" counts every NaN as equal.

mod cached;
mod custom;
mod derive;
mod display;
mod emit;
mod evaluate;
mod guard;
mod ir;
#[cfg(feature = "jit")]
mod jit;
mod loops;
mod nalgebra;
mod program;
mod record;
mod scalar;
mod schedule;
mod sym;

pub use crate::base::observe::{Compare, Observe};
pub use cached::CachedGraph;
pub use emit::NoRustPath;
pub use evaluate::{Emitted, EmittedFn, EmittedWithFn, Evaluate};
pub use guard::GraphError;
#[cfg(feature = "jit")]
pub use jit::{CompileError, Compiled};
pub use program::{Evaluator, Program, Value};
pub use sym::Sym;

pub use ir::Graph;
pub(crate) use ir::{Call, Node};
pub(crate) use loops::LoopDef;

impl Graph {
    /// Records `f: ℝⁿ → ℝ` evaluated at `x0` (n = `x0.len()` inputs, one output). `f` is a generic
    /// function passed by name, or a closure, run once on [`Sym`] values.
    ///
    /// ```
    /// use nilpotent::graph::Graph;
    /// use num_traits::Float;
    /// fn sigmoid<T: Float>(x: &[T]) -> T { T::one() / (T::one() + (-x[0]).exp()) }
    /// let g = Graph::record(&[0.0], sigmoid);
    /// assert_eq!(g.eval(&[0.0]).unwrap(), vec![0.5]);
    /// let g2 = Graph::record(&[1.0, 2.0], |x| x[0] * x[1] + sigmoid(x));
    /// assert_eq!(g2.num_inputs(), 2);
    /// ```
    pub fn record<F>(x0: &[f64], f: F) -> Graph
    where
        F: FnOnce(&[Sym]) -> Sym,
    {
        Self::record_vec(x0, |x| vec![f(x)])
    }

    /// Records `f: ℝⁿ → ℝᵐ` evaluated at `x0`; its outputs are the returned values, in order.
    ///
    /// ```
    /// use nilpotent::graph::Graph;
    /// use num_traits::Float;
    /// fn polar<T: Float>(p: &[T]) -> Vec<T> { vec![p[0] * p[1].cos(), p[0] * p[1].sin()] }
    /// let g = Graph::record_vec(&[2.0, 0.0], polar);
    /// assert_eq!(g.num_outputs(), 2);
    /// let jac = g.jacobian().eval(&[2.0, 0.0]).unwrap(); // [x, y, ∂x/∂r, ∂x/∂θ, ∂y/∂r, ∂y/∂θ]
    /// assert_eq!(jac, vec![2.0, 0.0, 1.0, -0.0, 0.0, 2.0]);
    /// ```
    ///
    /// # Panics
    /// If `f` returns a `Sym` of another recording, or panics itself (the recording is then
    /// abandoned).
    pub fn record_vec<F>(x0: &[f64], f: F) -> Graph
    where
        F: FnOnce(&[Sym]) -> Vec<Sym>,
    {
        let (rec, inputs) = sym::start(x0, 0);
        let ys = f(&inputs);
        let id = rec.id();
        for y in &ys {
            y.check_graph(id);
        }
        let outputs: Vec<_> = ys.iter().map(|y| y.arg()).collect();
        rec.finish().finish(&outputs)
    }

    /// Records `f(x; p): ℝⁿ → ℝ` with the parameters `p` evaluated at `(x0, p0)`: `x` are the
    /// inputs (what derivative graphs differentiate with respect to), `p` the parameters —
    /// runtime inputs that are not differentiated: data, labels, a minibatch, a step size. A graph
    /// records a constant node for every `f64` its function captures, so data captured in the
    /// closure is baked into the graph (and into its derivatives, emitted code and compiled code)
    /// and a new data set means a new recording; data passed as parameters is read at each
    /// evaluation ([`Graph::eval_with`]), so one recording serves every data set of the same
    /// shape.
    ///
    /// ```
    /// use nilpotent::graph::Graph;
    /// // least squares of a line through the data points (t, y) = (p[2k], p[2k + 1])
    /// let data = [0.0, 1.0, 1.0, 3.0, 2.0, 5.0];
    /// let g = Graph::record_with(&[0.0, 0.0], &data, |x, p| {
    ///     let r = |k: usize| x[0] * p[2 * k] + x[1] - p[2 * k + 1];
    ///     (1..3).fold(r(0) * r(0), |s, k| s + r(k) * r(k))
    /// });
    /// assert_eq!((g.num_inputs(), g.num_params(), g.num_constants()), (2, 6, 0));
    /// let grad = g.gradient(); // with respect to x only; the same 6 parameters
    /// assert_eq!((grad.num_outputs(), grad.num_params()), (3, 6));
    /// // the line y = 2t + 1 fits these points exactly: the gradient is 0 there
    /// assert_eq!(grad.eval_with(&[2.0, 1.0], &data).unwrap(), vec![0.0, 0.0, 0.0]);
    /// // other data, the same graph
    /// let out = grad.eval_with(&[2.0, 1.0], &[0.0, 1.0, 1.0, 3.0, 2.0, 6.0]).unwrap();
    /// assert_eq!(out, vec![1.0, -4.0, -2.0]);
    /// // without the parameters: an error, never a default
    /// assert!(grad.eval(&[2.0, 1.0]).is_err());
    /// ```
    ///
    /// # Panics
    /// As [`Graph::record`].
    pub fn record_with<F>(x0: &[f64], p0: &[f64], f: F) -> Graph
    where
        F: FnOnce(&[Sym], &[Sym]) -> Sym,
    {
        Self::record_vec_with(x0, p0, |x, p| vec![f(x, p)])
    }

    /// Records `f(x; p): ℝⁿ → ℝᵐ` with the parameters `p` evaluated at `(x0, p0)` (see
    /// [`Graph::record_with`]); its outputs are the returned values, in order.
    ///
    /// # Panics
    /// As [`Graph::record_vec`].
    pub fn record_vec_with<F>(x0: &[f64], p0: &[f64], f: F) -> Graph
    where
        F: FnOnce(&[Sym], &[Sym]) -> Vec<Sym>,
    {
        let (rec, inputs, params) = sym::start_with(x0, p0, 0);
        let ys = f(&inputs, &params);
        let id = rec.id();
        for y in &ys {
            y.check_graph(id);
        }
        let outputs: Vec<_> = ys.iter().map(|y| y.arg()).collect();
        rec.finish().finish(&outputs)
    }

    /// The outputs at `x`, or an error naming the first guard that comes out differently at `x`
    /// than at the recording point (then record again at `x`), or an input of the wrong length.
    /// A graph with parameters is evaluated with [`Graph::eval_with`]: here it is the error
    /// [`GraphError::MissingParams`].
    ///
    /// This allocates the result and a work buffer; for repeated evaluation without allocation
    /// keep an [`Evaluator`] (`g.program().evaluator::<f64>()`).
    pub fn eval(&self, x: &[f64]) -> Result<Vec<f64>, GraphError> {
        self.program().evaluator::<f64>().eval(x)
    }

    /// The outputs at the inputs `x` and the parameters `p` (see [`Graph::record_with`]): the
    /// errors of [`Graph::eval`], and [`GraphError::ParamLength`] if `p` does not have one value
    /// per parameter. The guards are checked on the new parameters as on the new inputs: a branch
    /// on the data that comes out differently is a [`GraphError::Guard`].
    ///
    /// This allocates the result and a work buffer; for repeated evaluation without allocation
    /// keep an [`Evaluator`] and call [`Evaluator::eval_with_into`].
    pub fn eval_with(&self, x: &[f64], p: &[f64]) -> Result<Vec<f64>, GraphError> {
        self.program().evaluator::<f64>().eval_with(x, p)
    }
}
