//! Loops as nodes: the body of a [`crate::loops`] combinator recorded once as a graph of its own
//! (one or more *variants*, one per branch taken), and the loop as one node of the graph that
//! runs it.
//!
//! A loop node `Node::Loop(k)` is the call `calls[k]` of its graph: its operands are the initial
//! state (c values), the data it reads (one or more sequences, read a window per iteration) and
//! the values of the enclosing computation the body uses (its *free* inputs: weights, a step
//! size). Each variant of the body is a [`Graph`] with the inputs `[state (c), window of each
//! sequence, free (f)]` and the outputs `[new state (c), sums (s), stacked (o), scattered
//! windows]`. The loop's results, read by `Node::LoopOut(loop, j)` nodes, are the final state,
//! the sums (added from +0 in the order of the iterations, as the plain loop of [`crate::loops`]
//! adds them), the stacked values of every iteration (iteration k at `c + s + k·o`), then the
//! accumulated arrays of the scattered windows (see [`Scatter`]).
//!
//! A scattered window is the transpose of a window read: iteration k adds its window of values
//! into `[k·stride, k·stride + size)` of an array. The reverse of a loop returns the adjoints of
//! the windows it reads this way, one array per sequence, so that the gradient of a loop over
//! overlapping windows (a stencil, Rosenbrock written with [`crate::sum_windows`]) is one loop and
//! not one addition per input outside it. Each entry of the array starts at −0 (the identity of
//! IEEE addition: `−0 + a = a` for every `a`, so the first contribution is kept as it is) and gets
//! the contributions of the iterations that touch it in the order the loop runs them, each added
//! on the right: `((−0 + a₁) + a₂) + …`. Entries no window touches stay −0 (the reverse of a loop
//! reads none of them).
//!
//! Branches: each iteration runs the first variant whose guards all hold. A variant is recorded,
//! while the loop is recorded, for every iteration that no variant recorded so far accepts (up to
//! [`MAX_VARIANTS`]); an evaluation at which no variant accepts an iteration is the error
//! [`GraphError::LoopGuard`], naming the iteration.

use std::sync::Arc;

use super::Graph;
use super::custom::CustomFn;
use super::guard::GraphError;
use super::ir::Node;
use super::program::{Evaluator, Value};
use super::record::Arg;
use super::sym::{self, Recording, Sym};
use crate::base::custom::{Custom, UnaryRule};
use crate::base::loops::LoopSpec;

/// The largest number of variants of a loop body (paths through its branches) a recording makes.
pub(crate) const MAX_VARIANTS: usize = 8;

/// One sequence a loop reads: iteration k reads the window `[k·stride, k·stride + size)` of its
/// `len` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) size: usize,
    pub(crate) stride: usize,
    pub(crate) len: usize,
    /// `None`: the values are `len` operands of the loop node; `Some(offset)`: they are the
    /// results `offset..offset + len` of another loop, whose loop node is the one operand here
    /// (the reverse of a loop reads the states its forward loop stacked, without a node each)
    pub(crate) from_loop: Option<usize>,
}

/// An array a loop accumulates into (the transpose of a [`Window`] read): iteration k adds its
/// `size` values (body outputs) to the entries `[k·stride, k·stride + size)` of an array of `len`
/// values that starts at −0 (see the [module documentation](self) for the order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Scatter {
    pub(crate) size: usize,
    pub(crate) stride: usize,
    pub(crate) len: usize,
}

impl Scatter {
    /// True if a window of one of the `n` iterations covers entry `e`.
    pub(crate) fn touches(&self, n: usize, e: usize) -> bool {
        if n == 0 || e >= self.len {
            return false;
        }
        // the last window that starts at or before e ends the latest of those
        let k = match self.stride {
            0 => 0,
            st => (e / st).min(n - 1),
        };
        e < k * self.stride + self.size
    }
}

/// A loop: its body's variants and its shape (see the [module documentation](self)).
#[derive(Debug)]
pub(crate) struct LoopDef {
    /// the body, one graph per path through its branches, in the order they are tried
    pub(crate) variants: Vec<Graph>,
    /// c: the length of the carried state
    pub(crate) state: usize,
    /// the sequences read, in the order of their windows among the body's inputs
    pub(crate) seqs: Vec<Window>,
    /// f: the number of free inputs
    pub(crate) free: usize,
    /// n: the number of iterations
    pub(crate) iterations: usize,
    /// s: the number of values summed over the iterations
    pub(crate) sums: usize,
    /// o: the number of values kept per iteration
    pub(crate) stacked: usize,
    /// the arrays accumulated into, in the order of their windows among the body's outputs (after
    /// the stacked values) and of the arrays among the results (after the stacked values)
    pub(crate) scatters: Vec<Scatter>,
    /// iterate k = n − 1, …, 0 instead of 0, …, n − 1 (the reverse sweep of a loop)
    pub(crate) reverse: bool,
    /// how an error names the failing iteration (a checkpointed fold's segments count the
    /// iterations of the loop they split)
    pub(crate) numbering: Numbering,
}

/// How a loop's error names its failing iteration k: `first + k`, or, for a loop over
/// `segment`-iteration segments of a checkpointed fold (whose body is the loop over one
/// segment, failing at its iteration i), `first + k·segment + i`: the iteration of the fold it
/// splits, as the fold itself would name it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Numbering {
    /// the number of the loop's first iteration
    pub(crate) first: usize,
    /// the segment length of a loop over segments (its body's loop is one segment), else 0
    pub(crate) segment: usize,
}

impl LoopDef {
    /// The total length of the windows (the body's inputs after the state).
    pub(crate) fn window_total(&self) -> usize {
        self.seqs.iter().map(|w| w.size).sum()
    }

    /// The number of the body's inputs.
    pub(crate) fn body_inputs(&self) -> usize {
        self.state + self.window_total() + self.free
    }

    /// The number of the body's outputs.
    pub(crate) fn body_outputs(&self) -> usize {
        self.state + self.sums + self.stacked + self.scatter_total()
    }

    /// The total size of the scattered windows (the body's outputs after the stacked values).
    pub(crate) fn scatter_total(&self) -> usize {
        self.scatters.iter().map(|w| w.size).sum()
    }

    /// The index of the first accumulated array among the loop's results (after the stacked
    /// values); the arrays follow one another.
    pub(crate) fn scatter_at(&self) -> usize {
        self.state + self.sums + self.iterations * self.stacked
    }

    /// The number of the values the loop reads (its operands, a sequence read from another
    /// loop counted by its values).
    pub(crate) fn num_args(&self) -> usize {
        self.state + self.seqs.iter().map(|w| w.len).sum::<usize>() + self.free
    }

    /// The groups of the loop's operands, in order: the state, each sequence, the free values;
    /// each as its number of values and, for a sequence read from another loop, the offset in
    /// that loop's results (then the group is one operand: that loop's node).
    pub(crate) fn groups(&self) -> impl Iterator<Item = (usize, Option<usize>)> + '_ {
        core::iter::once((self.state, None))
            .chain(self.seqs.iter().map(|w| (w.len, w.from_loop)))
            .chain(core::iter::once((self.free, None)))
    }

    /// The number of the loop's results.
    pub(crate) fn num_results(&self) -> usize {
        self.scatter_at() + self.scatters.iter().map(|w| w.len).sum::<usize>()
    }

    /// True if an evaluation can fail inside the loop (a body with guards or several variants).
    pub(crate) fn has_guards(&self) -> bool {
        self.variants.len() > 1
            || self
                .variants
                .iter()
                .any(|g| g.num_guards() > 0 || g.has_loops())
    }

    /// Copies the windows of iteration `k` from the loop's operands `args` to the body's inputs
    /// `input` (after the state).
    #[inline]
    pub(crate) fn read_windows<X: Clone>(&self, args: &[X], k: usize, input: &mut [X]) {
        let (mut at, mut src) = (self.state, self.state);
        for w in &self.seqs {
            if w.size > 0 {
                let start = src + k * w.stride;
                input[at..at + w.size].clone_from_slice(&args[start..start + w.size]);
            }
            at += w.size;
            src += w.len;
        }
    }

    /// Sets the loop's accumulated arrays among `results` to −0, the additive identity (a `Dual`'s
    /// tangent too: −0 in every part).
    pub(crate) fn clear_scatters<T: Value>(&self, results: &mut [T]) {
        if self.scatters.is_empty() {
            return;
        }
        let neg_zero = T::from_constant(0.0).apply_unary(crate::base::rules::Unary::Neg);
        for r in &mut results[self.scatter_at()..] {
            *r = neg_zero;
        }
    }

    /// Adds iteration `k`'s scattered windows into the accumulated arrays among `results`:
    /// `value(j)` is the j-th scattered value (the body's output `c + s + o + j`); each entry
    /// becomes `entry + value`.
    #[inline]
    pub(crate) fn scatter_add<T: Value>(
        &self,
        k: usize,
        value: impl Fn(usize) -> T,
        results: &mut [T],
    ) {
        let (mut at, mut j) = (self.scatter_at(), 0);
        for w in &self.scatters {
            let first = at + k * w.stride;
            for m in 0..w.size {
                let e = first + m;
                results[e] = results[e].apply_binary(crate::base::rules::Binary::Add, value(j + m));
            }
            at += w.len;
            j += w.size;
        }
    }

    /// [`LoopDef::scatter_add`] with the scattered values in one slice (in order): the same
    /// additions in the same order, without an index per value (measured: 30 instructions per
    /// iteration fewer in the JIT's loop driver for a window of 2).
    #[inline]
    pub(crate) fn scatter_add_from<T: Value>(&self, k: usize, values: &[T], results: &mut [T]) {
        let (mut at, mut values) = (self.scatter_at(), values);
        for w in &self.scatters {
            let (v, rest) = values.split_at(w.size);
            let first = at + k * w.stride;
            for (r, &x) in results[first..first + w.size].iter_mut().zip(v) {
                *r = r.apply_binary(crate::base::rules::Binary::Add, x);
            }
            values = rest;
            at += w.len;
        }
    }

    /// The error of an evaluation whose step `t` no variant accepts, `e` the first variant's
    /// error: [`GraphError::LoopGuard`] naming the iteration as the loop's [`Numbering`] says.
    pub(crate) fn error_at(&self, t: usize, e: GraphError) -> GraphError {
        let k = self.numbering.first + self.iteration(t);
        match e {
            GraphError::LoopGuard {
                iteration,
                variants,
                first,
            } if self.numbering.segment > 0 => GraphError::LoopGuard {
                iteration: self.numbering.first
                    + self.iteration(t) * self.numbering.segment
                    + iteration,
                variants,
                first,
            },
            e => GraphError::LoopGuard {
                iteration: k,
                variants: self.variants.len(),
                first: e.to_string(),
            },
        }
    }

    /// The iteration run at step `t` (`t`-th in time).
    #[inline]
    pub(crate) fn iteration(&self, t: usize) -> usize {
        if self.reverse {
            self.iterations - 1 - t
        } else {
            t
        }
    }

    /// Runs the loop on values of `T`: `args` are the loop's operands, `evals` an evaluator of
    /// each variant, `input` and `out` buffers of the body's inputs and outputs, `results` the
    /// loop's results. `Err((t, e))` if no variant accepts the iteration run at step t (`e` is
    /// the first variant's error there); `input` then holds that iteration's inputs (its state,
    /// windows and free values), from which a caller records the variant it lacks.
    pub(crate) fn run<T: Value>(
        &self,
        args: &[T],
        evals: &mut [Evaluator<'_, T>],
        input: &mut [T],
        out: &mut [T],
        results: &mut [T],
        from: usize,
    ) -> Result<(), (usize, GraphError)> {
        let (c, s, o) = (self.state, self.sums, self.stacked);
        let w_total = self.window_total();
        let free_at = args.len() - self.free;
        input[c + w_total..].copy_from_slice(&args[free_at..]);
        if from == 0 {
            input[..c].copy_from_slice(&args[..c]);
            for r in &mut results[c..c + s] {
                *r = T::from_constant(0.0);
            }
            self.clear_scatters(results);
        }
        // (the fast path only for variants of the loop's shape, without parameters: any other is
        // rejected by `eval_into` below with its length error, as before)
        let (n_in, n_out) = (self.body_inputs(), self.body_outputs());
        if evals.iter().all(|e| {
            let p = e.program();
            p.kept_inputs_at().is_some()
                && p.num_params() == 0
                && p.num_inputs() == n_in
                && p.num_outputs() == n_out
        }) {
            return self.run_in_slots(args, evals, input, results, from);
        }
        for t in from..self.iterations {
            let k = self.iteration(t);
            self.read_windows(args, k, input);
            let mut first_error = None;
            let mut ok = false;
            for e in evals.iter_mut() {
                match e.eval_into(input, out) {
                    Ok(()) => {
                        ok = true;
                        break;
                    }
                    Err(err) => {
                        first_error.get_or_insert(err);
                    }
                }
            }
            if !ok {
                let e = first_error.unwrap_or(GraphError::LoopGuard {
                    iteration: k,
                    variants: 0,
                    first: "no variant".to_string(),
                });
                return Err((t, e));
            }
            input[..c].copy_from_slice(&out[..c]);
            for j in 0..s {
                results[c + j] =
                    results[c + j].apply_binary(crate::base::rules::Binary::Add, out[c + j]);
            }
            let at = c + s + k * o;
            results[at..at + o].copy_from_slice(&out[c + s..c + s + o]);
            self.scatter_add_from(k, &out[c + s + o..], results);
        }
        results[..c].copy_from_slice(&input[..c]);
        Ok(())
    }

    /// [`LoopDef::run`] with evaluators of programs that keep their inputs' slots
    /// ([`Graph::body_program`]), after `input` holds the state and the free values: the same
    /// operations in the same order, but the free values are written to each variant's slots
    /// once per run, each window straight from `args` to its slots, and the outputs read from
    /// the slots (no copy of the body's inputs or outputs per iteration).
    fn run_in_slots<T: Value>(
        &self,
        args: &[T],
        evals: &mut [Evaluator<'_, T>],
        input: &mut [T],
        results: &mut [T],
        from: usize,
    ) -> Result<(), (usize, GraphError)> {
        let (c, s, o) = (self.state, self.sums, self.stacked);
        let (w_total, n_in) = (self.window_total(), self.body_inputs());
        // the slot of each variant's first input (its inputs follow in order)
        let at_of = |e: &Evaluator<'_, T>| e.program().kept_inputs_at().unwrap_or(0);
        for e in evals.iter_mut() {
            let at = at_of(e);
            e.slots_mut()[at + c + w_total..at + n_in].copy_from_slice(&input[c + w_total..]);
        }
        for t in from..self.iterations {
            let k = self.iteration(t);
            let mut first_error = None;
            let mut ran = None;
            for (v, e) in evals.iter_mut().enumerate() {
                let base = at_of(e);
                let w = e.slots_mut();
                w[base..base + c].copy_from_slice(&input[..c]);
                let (mut at, mut src) = (base + c, c);
                for win in &self.seqs {
                    if win.size > 0 {
                        let start = src + k * win.stride;
                        w[at..at + win.size].copy_from_slice(&args[start..start + win.size]);
                    }
                    at += win.size;
                    src += win.len;
                }
                match e.exec() {
                    Ok(()) => {
                        ran = Some(v);
                        break;
                    }
                    Err(err) => {
                        first_error.get_or_insert(err);
                    }
                }
            }
            let Some(v) = ran else {
                // the windows went straight to the slots: copy this iteration's to `input` too,
                // which then holds all of the failing iteration's inputs, as `run` promises
                self.read_windows(args, k, input);
                let e = first_error.unwrap_or(GraphError::LoopGuard {
                    iteration: k,
                    variants: 0,
                    first: "no variant".to_string(),
                });
                return Err((t, e));
            };
            let e = &evals[v];
            let (outs, w) = (e.program().output_slots(), e.slots());
            for (x, &sl) in input[..c].iter_mut().zip(&outs[..c]) {
                *x = w[sl as usize];
            }
            for (r, &sl) in results[c..c + s].iter_mut().zip(&outs[c..c + s]) {
                *r = r.apply_binary(crate::base::rules::Binary::Add, w[sl as usize]);
            }
            let at = c + s + k * o;
            for (r, &sl) in results[at..at + o].iter_mut().zip(&outs[c + s..c + s + o]) {
                *r = w[sl as usize];
            }
            self.scatter_add(k, |j| w[outs[c + s + o + j] as usize], results);
        }
        results[..c].copy_from_slice(&input[..c]);
        Ok(())
    }
}

/// The rule a loop node's call names (never called: a loop node is run by its body).
#[derive(Clone, Copy)]
struct LoopRule;

impl UnaryRule for LoopRule {
    fn name(&self) -> &'static str {
        "loop"
    }
    fn value(&self, _: f64) -> f64 {
        unreachable!("nilpotent::graph: a loop node called as a custom rule (a bug)")
    }
    fn derivative<T: Custom>(&self, _: T) -> T {
        unreachable!("nilpotent::graph: a loop node differentiated as a custom rule (a bug)")
    }
}

/// The placeholder rule of a loop node's call.
pub(crate) fn loop_op() -> CustomFn {
    CustomFn::unary(&LoopRule)
}

/// Records the body at the state `state` and the windows `window` (values), with the free inputs
/// `free` known so far (nodes of the innermost recording and their values; the body may add to
/// them): one variant.
fn record_variant(
    spec: &LoopSpec<'_, Sym>,
    state: &[f64],
    window: &[f64],
    free: &mut Vec<(u32, f64)>,
) -> Graph {
    let c = state.len();
    let x0: Vec<f64> = state.iter().chain(window).copied().collect();
    let (rec, xs) = sym::start_body(&x0, free);
    let ys = (spec.body)(&xs[..c], &xs[c..]);
    let want = c + spec.sums + spec.stacked;
    assert!(
        ys.len() == want,
        "nilpotent::graph: a loop body returned {} values where the loop expects {want} (state \
         {c}, sums {}, stacked {})",
        ys.len(),
        spec.sums,
        spec.stacked
    );
    // a result that is a value of the enclosing computation becomes a free input
    let outputs: Vec<Arg> = ys.iter().map(|y| y.localize().arg()).collect();
    let mut b = rec.finish();
    let index = b.hoist_inputs();
    let outputs: Vec<Arg> = outputs
        .iter()
        .map(|&a| match a {
            Arg::Node(i) => Arg::Node(index[i as usize]),
            a => a,
        })
        .collect();
    let lift = b.lift.take().expect("a loop body's recording");
    free.clear();
    free.extend(
        lift.free
            .iter()
            .enumerate()
            .map(|(k, &outer)| (outer, b.values[x0.len() + k])),
    );
    b.finish(&outputs)
}

/// `g` with `total` inputs (the extra inputs, unused, take the values `extra`).
fn widen(g: &Graph, total: usize, extra: &[f64]) -> Graph {
    let n = g.num_inputs();
    if total == n {
        return g.clone();
    }
    let shift = (total - n) as u32;
    let map = |a: u32| if (a as usize) < n { a } else { a + shift };
    let mut nodes: Vec<Node> = g.nodes()[..n].to_vec();
    let mut values: Vec<f64> = g.values()[..n].to_vec();
    let mut origin: Vec<u8> = g.origin()[..n].to_vec();
    for (k, &v) in extra.iter().enumerate() {
        nodes.push(Node::Input((n + k) as u32));
        values.push(v);
        origin.push(0);
    }
    nodes.extend(g.nodes()[n..].iter().map(|node| node.map(map)));
    values.extend_from_slice(&g.values()[n..]);
    origin.extend_from_slice(&g.origin()[n..]);
    let mut calls = g.calls().to_vec();
    for call in &mut calls {
        for a in call.args.iter_mut() {
            *a = map(*a);
        }
    }
    let guards = g
        .guards()
        .iter()
        .map(|gd| super::guard::Guard {
            test: gd.test.map(map),
            expected: gd.expected,
            origin: gd.origin,
        })
        .collect();
    Graph::from_parts(
        total,
        nodes,
        values,
        origin,
        g.output_nodes().iter().map(|&o| map(o)).collect(),
        guards,
        g.level(),
    )
    .with_calls(calls)
}

/// The loop `spec` recorded as one node of the innermost recording (see [`crate::loops`]); `None`
/// (run as a plain loop) outside of a recording or for no iterations.
pub(crate) fn record_loop(spec: &LoopSpec<'_, Sym>) -> Option<Vec<Sym>> {
    sym::innermost()?;
    let n = spec.iterations;
    if n == 0 {
        return None;
    }
    let c = spec.init.len();
    let (s, o) = (spec.sums, spec.stacked);
    let init: Vec<Sym> = spec.init.iter().map(|x| x.localize()).collect();
    let seq: Vec<Sym> = spec.seq.iter().map(|x| x.localize()).collect();
    let seq_values: Vec<f64> = seq.iter().map(Sym::value).collect();
    let window = |k: usize| match spec.size {
        0 => &[][..],
        size => &seq_values[k * spec.stride..k * spec.stride + size],
    };
    let mut free: Vec<(u32, f64)> = Vec::new();
    let init_values: Vec<f64> = init.iter().map(Sym::value).collect();
    let mut variants = vec![record_variant(spec, &init_values, window(0), &mut free)];
    let mut def = LoopDef {
        variants: Vec::new(),
        state: c,
        seqs: vec![Window {
            size: spec.size,
            stride: spec.stride,
            len: seq.len(),
            from_loop: None,
        }],
        free: 0,
        iterations: n,
        sums: s,
        stacked: o,
        scatters: Vec::new(),
        reverse: false,
        numbering: Numbering::default(),
    };
    let mut results = vec![0.0; c + s + n * o];
    let mut input = vec![0.0; def.body_inputs()];
    let mut out = vec![0.0; c + s + o];
    let mut from = 0;
    loop {
        def.free = free.len();
        input.resize(def.body_inputs(), 0.0);
        let args: Vec<f64> = init_values
            .iter()
            .chain(&seq_values)
            .copied()
            .chain(free.iter().map(|f| f.1))
            .collect();
        // each variant reads the free inputs it knows (a prefix of them)
        let wide: Vec<Graph> = variants
            .iter()
            .map(|g| {
                let extra: Vec<f64> = free[g.num_inputs() - c - spec.size..]
                    .iter()
                    .map(|f| f.1)
                    .collect();
                widen(g, def.body_inputs(), &extra)
            })
            .collect();
        let mut evals: Vec<Evaluator<'_, f64>> =
            wide.iter().map(|g| g.program().evaluator()).collect();
        match def.run(&args, &mut evals, &mut input, &mut out, &mut results, from) {
            Ok(()) => {
                drop(evals);
                def.variants = wide;
                break;
            }
            Err((t, _)) => {
                assert!(
                    variants.len() < MAX_VARIANTS,
                    "nilpotent::graph: a loop body takes more than {MAX_VARIANTS} different paths \
                     through its branches (at iteration {t}); write the branch without a \
                     comparison on the data (for example with a product by an indicator that is \
                     data: y·f(x) + (1 − y)·g(x)), or record the loop unrolled"
                );
                // the state at iteration t is in `input`; record the path taken there
                let state: Vec<f64> = input[..c].to_vec();
                variants.push(record_variant(spec, &state, window(t), &mut free));
                from = t;
            }
        }
    }
    let names = body_names(&def, &free);
    def.variants = core::mem::take(&mut def.variants)
        .into_iter()
        .map(|g| g.with_input_names(Some(names.clone())))
        .collect();
    let def = Arc::new(def);
    let outputs = sym::with_innermost(|b| {
        let args: Box<[u32]> = init
            .iter()
            .chain(&seq)
            .map(|x| b.materialize(x.arg()))
            .chain(free.iter().map(|f| f.0))
            .collect();
        let (_, first) = b.add_loop(loop_op(), def, args, &results);
        (0..results.len())
            .map(|j| Sym::from_arg(Arg::Node(first + j as u32), b))
            .collect()
    });
    Some(outputs)
}

/// What messages call the inputs of a loop body: `state[i]`, the entries of its window `row[j]`
/// (`window[j]` where windows overlap or leave gaps, as in [`crate::sum_windows`]), and each free
/// input by its name in the enclosing recording where that is an input or a parameter of the
/// function (`x[i]`, `p[k]`), else `captured[k]` (a value computed outside the body, or an input
/// of an enclosing loop's body).
fn body_names(def: &LoopDef, free: &[(u32, f64)]) -> Arc<[String]> {
    let mut names: Vec<String> = (0..def.state).map(|i| format!("state[{i}]")).collect();
    for w in &def.seqs {
        let what = if w.stride == w.size { "row" } else { "window" };
        names.extend((0..w.size).map(|j| format!("{what}[{j}]")));
    }
    sym::with_innermost(|b| {
        for (k, &(outer, _)) in free.iter().enumerate() {
            names.push(match (b.lift.is_none(), b.nodes[outer as usize]) {
                (true, Node::Input(i)) => format!("x[{i}]"),
                (true, Node::Param(q)) => format!("p[{q}]"),
                _ => format!("captured[{k}]"),
            });
        }
    });
    names.into()
}

/// How [`Graph::inline`] records a loop node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// expanded into the operations of its iterations
    Unroll,
    /// as a loop node that also stacks the state before each iteration (when it has a state and
    /// depends on an input: the loop a reverse sweep reverses)
    Stack,
    /// a fold (a state, no sums, no stacked values) of more iterations than the segment length
    /// as an outer loop over segments of that length, whose body is the inner loop over one
    /// segment, followed by a loop over the remaining iterations (see
    /// [`Graph::with_checkpoints`]); other loops kept as they are
    Checkpoint(usize),
}

/// Result `j` of a loop of `n` iterations whose `o` stacked values per iteration got the `c`
/// states appended (its accumulated arrays, after the stacked values, move by `n·c`).
fn stacked_index(j: usize, c: usize, s: usize, o: usize, n: usize) -> usize {
    if j < c + s {
        j
    } else if j < c + s + n * o {
        let r = j - c - s;
        c + s + (r / o) * (o + c) + r % o
    } else {
        j + n * c
    }
}

/// A graph with the outputs `extra` inserted before its output `at` (its program made anew).
fn with_outputs(g: &Graph, at: usize, extra: impl Iterator<Item = u32>) -> Graph {
    let mut outputs = g.output_nodes()[..at].to_vec();
    outputs.extend(extra);
    outputs.extend_from_slice(&g.output_nodes()[at..]);
    Graph::from_parts(
        g.num_inputs(),
        g.nodes().to_vec(),
        g.values().to_vec(),
        g.origin().to_vec(),
        outputs,
        g.guards().to_vec(),
        g.level(),
    )
    .with_calls(g.calls().to_vec())
    .with_params(g.num_params())
    .with_input_names(g.input_names())
}

impl LoopDef {
    /// The same loop that also stacks the state before each iteration after its stacked values
    /// (iteration k's state at `c + s + k·(o + c) + o`; the accumulated arrays follow).
    fn with_stacked_states(&self) -> LoopDef {
        let c = self.state as u32;
        let at = self.state + self.sums + self.stacked;
        LoopDef {
            variants: self
                .variants
                .iter()
                .map(|g| with_outputs(g, at, 0..c))
                .collect(),
            seqs: self.seqs.clone(),
            scatters: self.scatters.clone(),
            stacked: self.stacked + self.state,
            ..*self
        }
    }

    /// The loop's results at the operand values `args` (in `f64`), or the iteration no variant
    /// accepts.
    pub(crate) fn run_f64(&self, args: &[f64]) -> Result<Vec<f64>, (usize, GraphError)> {
        let mut evals: Vec<Evaluator<'_, f64>> = self
            .variants
            .iter()
            .map(|g| g.body_program().evaluator())
            .collect();
        let mut input = vec![0.0; self.body_inputs()];
        let mut out = vec![0.0; self.body_outputs()];
        let mut results = vec![0.0; self.num_results()];
        self.run(args, &mut evals, &mut input, &mut out, &mut results, 0)?;
        Ok(results)
    }
}

impl Clone for LoopDef {
    fn clone(&self) -> LoopDef {
        LoopDef {
            variants: self.variants.clone(),
            seqs: self.seqs.clone(),
            scatters: self.scatters.clone(),
            ..*self
        }
    }
}

/// What [`Graph::inline`] keeps of a loop node: its results in the new recording and their
/// values, and `Some(o)` if it stacks the states after its `o` stacked values.
struct Replayed {
    outs: Vec<Sym>,
    values: Vec<f64>,
    stacked: Option<usize>,
    state: usize,
    sums: usize,
    iterations: usize,
}

impl Replayed {
    /// The index in `outs` of result `j` of the loop as it was.
    fn index(&self, j: usize) -> usize {
        match self.stacked {
            Some(o) => stacked_index(j, self.state, self.sums, o, self.iterations),
            None => j,
        }
    }
}

impl Graph {
    /// True if the graph has a loop node (recorded by a combinator of [`crate::loops`]).
    pub fn has_loops(&self) -> bool {
        self.nodes().iter().any(|n| matches!(n, Node::Loop(_)))
    }

    /// The loop of a loop node's call.
    pub(crate) fn loop_def(&self, k: u32) -> &Arc<LoopDef> {
        self.calls()[k as usize]
            .body
            .as_ref()
            .expect("a loop node's call has a body")
    }

    /// The same function with every loop node expanded into the operations of its iterations:
    /// the graph a plain `for` loop records. Its values are this graph's bit for bit (the same
    /// operations in the same order: sums are added from +0 in the order of the iterations, and a
    /// derivative graph's windows of adjoints into their arrays from −0 in the order its reverse
    /// loop runs them), so it is the reference a loop node is checked against; every iteration's
    /// branch is a guard of the unrolled graph (where a loop node picks the variant of its body
    /// for each iteration).
    /// A graph without loops is returned as it is (a copy).
    ///
    /// ```
    /// use nilpotent::{graph::Graph, sum_map};
    /// let data = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    /// let g = Graph::record_with(&[0.5], &data, |w, p| sum_map(p, 2, |r| (w[0] * r[0] - r[1]).powi(2)));
    /// let u = g.unrolled();
    /// assert!(u.len() > g.len()); // 3 copies of the row's expression
    /// assert_eq!(g.eval_with(&[0.7], &data).unwrap(), u.eval_with(&[0.7], &data).unwrap());
    /// ```
    pub fn unrolled(&self) -> Graph {
        if !self.has_loops() {
            return self.clone();
        }
        let (n, np) = (self.num_inputs(), self.num_params());
        let (rec, inputs, params) =
            sym::start_with(&self.values()[..n], &self.values()[n..n + np], self.level());
        let syms = self.inline(&inputs, &params, Mode::Unroll, true);
        rec.with(|b| b.level = self.level());
        let outputs: Vec<Arg> = self
            .output_nodes()
            .iter()
            .map(|&o| syms[o as usize].arg())
            .collect();
        rec.finish().finish(&outputs)
    }

    /// The same function with every long fold (a loop with a state and no sums or per-iteration
    /// outputs: [`crate::fold`], [`crate::scan`]) split into about `checkpoints` segments, so
    /// that the reverse sweep of its derivative graphs ([`Graph::gradient`], [`Graph::hessian`],
    /// …) stores one state per segment instead of one per iteration and recomputes a segment's
    /// states from its checkpoint when it reverses it (√n checkpointing with `checkpoints = √n`).
    ///
    /// A fold of `n` iterations becomes an outer loop over `q = n / L` segments of
    /// `L = ⌈n / checkpoints⌉` iterations (its body the inner loop over one segment), then a loop
    /// over the `n mod L` remaining iterations. The reverse sweep then holds at once about
    /// `q + 2·L` states (`q ≤ checkpoints` checkpoints, one segment's states, the remainder's),
    /// see [`Graph::stored_loop_values`], and runs each iteration's step twice (the forward sweep
    /// and the recomputation): a recomputation factor of 2 in the steps' cost. The operations
    /// and their order are the same, so values are this graph's bit for bit, and so are the
    /// adjoints of the state; the adjoints of values the step reads every iteration (its
    /// parameters) are summed per segment, then over the segments, so they may differ from the
    /// stored reverse's in the last bits. Loops of at most `L` iterations, loops inside loop
    /// bodies and other loops are kept as they are. A step whose branch no recorded variant of
    /// the body takes is the same [`GraphError::LoopGuard`] as without checkpoints, naming the
    /// fold's step (not the segment's).
    ///
    /// ```
    /// use nilpotent::{fold, graph::Graph};
    /// let g = Graph::record(&[1.0, 0.5], |p| fold(&[p[0]], 1000, |s| vec![s[0] - 0.001 * p[1] * s[0]])[0]);
    /// let c = g.with_checkpoints(32);
    /// let (gs, gc) = (g.gradient(), c.gradient());
    /// assert!(gc.stored_loop_values() < gs.stored_loop_values() / 10);
    /// assert_eq!(gs.eval(&[1.0, 0.5]).unwrap()[..2], gc.eval(&[1.0, 0.5]).unwrap()[..2]);
    /// ```
    ///
    /// # Panics
    /// If `checkpoints` is 0.
    pub fn with_checkpoints(&self, checkpoints: usize) -> Graph {
        assert!(
            checkpoints > 0,
            "Graph::with_checkpoints: the number of checkpoints is 0; it must be at least 1"
        );
        if !self.has_loops() {
            return self.clone();
        }
        let (n, np) = (self.num_inputs(), self.num_params());
        let (rec, inputs, params) =
            sym::start_with(&self.values()[..n], &self.values()[n..n + np], self.level());
        let mut seen = std::collections::HashMap::new();
        for node in self.nodes() {
            if let Node::Loop(k) = *node {
                let it = self.loop_def(k).iterations;
                seen.insert(k, it.div_ceil(checkpoints).max(1));
            }
        }
        // one segment length for every loop: that of the longest
        let seg = seen.values().copied().max().unwrap_or(1);
        let syms = self.inline(&inputs, &params, Mode::Checkpoint(seg), true);
        rec.with(|b| b.level = self.level());
        let outputs: Vec<Arg> = self
            .output_nodes()
            .iter()
            .map(|&o| syms[o as usize].arg())
            .collect();
        rec.finish().finish(&outputs)
    }

    /// The number of values the loop nodes of this graph hold at once when it is evaluated: each
    /// loop node's results (its final state, sums, and the values it keeps per iteration, such as
    /// the states a reverse sweep reads), plus the most any loop body holds at once. For the
    /// gradient of a graph with a fold of n steps of a state of c values this is about n·c, and
    /// about (checkpoints + 2·n / checkpoints)·c after [`Graph::with_checkpoints`].
    pub fn stored_loop_values(&self) -> usize {
        let mut own = 0;
        let mut inner = 0;
        for node in self.nodes() {
            if let Node::Loop(k) = *node {
                let def = self.loop_def(k);
                own += def.num_results();
                for v in &def.variants {
                    inner = inner.max(v.stored_loop_values());
                }
            }
        }
        own + inner
    }

    /// Records the nodes of this graph into the innermost recording, on the inputs `inputs` and
    /// the parameters `params` (`Sym`s there), with its guards; returns the `Sym` of each node
    /// (of a kept loop node: its node; of an expanded one: a placeholder). Loop nodes are recorded
    /// as `mode` says. With `levels`, each node keeps its origin (the nodes of an expanded loop
    /// take the loop node's).
    pub(crate) fn inline(
        &self,
        inputs: &[Sym],
        params: &[Sym],
        mode: Mode,
        levels: bool,
    ) -> Vec<Sym> {
        let mut syms: Vec<Sym> = Vec::with_capacity(self.nodes().len());
        // the loops recorded so far
        let mut loops: std::collections::HashMap<u32, Replayed> = Default::default();
        let passive = if mode == Mode::Stack {
            self.passive()
        } else {
            None
        };
        for (i, node) in self.nodes().iter().enumerate() {
            if levels {
                let level = self.origin()[i];
                sym::with_innermost(|b| b.level = level);
            }
            let s = |k: u32| syms[k as usize];
            let v = match *node {
                Node::Input(k) => inputs[k as usize],
                Node::Param(k) => params[k as usize],
                Node::Const(bits) => {
                    // a constant stays a constant to the rules (folding, structural zeros), but
                    // its node is made now, so that it keeps its origin if an output or a guard
                    // uses it later
                    let c = f64::from_bits(bits);
                    sym::with_innermost(|b| b.materialize(Arg::Const(c)));
                    Sym::constant(c)
                }
                Node::Unary(op, a) => s(a).unary(op),
                Node::Binary(op, a, b) => s(a).binary(op, s(b)),
                Node::MulAdd(a, b, c) => num_traits::Float::mul_add(s(a), s(b), s(c)),
                Node::ChainMul(a, b) => s(a).chain_mul(s(b)),
                Node::Custom(k) => {
                    let call = &self.calls()[k as usize];
                    let args: Vec<Sym> = call.args.iter().map(|&a| s(a)).collect();
                    Sym::custom_node(call.op.clone(), &args)
                }
                Node::Loop(k) => {
                    let def = self.loop_def(k);
                    let ops = &self.calls()[k as usize].args;
                    // the operands in the new recording, their values (one per value read), and
                    // the sequences read from other loops as those are recorded now
                    let mut op_syms: Vec<Sym> = Vec::with_capacity(ops.len());
                    let mut val_syms: Vec<Sym> = Vec::new();
                    let mut vals: Vec<f64> = Vec::with_capacity(def.num_args());
                    let mut seqs = def.seqs.clone();
                    let mut at = 0;
                    for (q, (len, from)) in def.groups().enumerate() {
                        match from {
                            None => {
                                for &e in &ops[at..at + len] {
                                    op_syms.push(s(e));
                                    vals.push(s(e).value());
                                    if mode == Mode::Unroll {
                                        val_syms.push(s(e));
                                    }
                                }
                                at += len;
                            }
                            Some(off) => {
                                let f = &loops[&ops[at]];
                                let w = &mut seqs[q - 1];
                                // the window in the results as recorded now
                                let first = f.index(off);
                                // (a window of the stacked values moves with the states
                                // stacked after each iteration's; one of the accumulated
                                // arrays, which follow them, only shifts)
                                if let Some(o) = f.stacked
                                    && off < f.state + f.sums + f.iterations * o
                                {
                                    assert!(
                                        w.stride == o && w.size <= o,
                                        "nilpotent::graph: a loop reads another's results \
                                         across its iterations (a bug)"
                                    );
                                    w.stride = o + f.state;
                                    w.len = match def.iterations {
                                        0 => 0,
                                        n => (n - 1) * w.stride + w.size,
                                    };
                                }
                                w.from_loop = Some(first);
                                for r in first..first + w.len {
                                    vals.push(f.values[r]);
                                    if mode == Mode::Unroll {
                                        val_syms.push(f.outs[r]);
                                    }
                                }
                                op_syms.push(s(ops[at]));
                                at += 1;
                            }
                        }
                    }
                    if mode == Mode::Unroll {
                        let outs = expand(def, &val_syms);
                        let values = outs.iter().map(Sym::value).collect();
                        loops.insert(
                            i as u32,
                            Replayed {
                                outs,
                                values,
                                stacked: None,
                                state: def.state,
                                sums: def.sums,
                                iterations: def.iterations,
                            },
                        );
                        Sym::constant(0.0)
                    } else if let Mode::Checkpoint(seg) = mode
                        && def.segmentable(seg)
                    {
                        let (node, outs, values) = add_segmented(def, &op_syms, &vals, seg);
                        loops.insert(
                            i as u32,
                            Replayed {
                                outs,
                                values,
                                stacked: None,
                                state: def.state,
                                sums: 0,
                                iterations: def.iterations,
                            },
                        );
                        node
                    } else {
                        let active = passive.as_ref().is_none_or(|p| !p[i]);
                        let stack = mode == Mode::Stack && def.state > 0 && active;
                        let same = seqs == def.seqs;
                        let def2: Arc<LoopDef> = match (stack, same) {
                            (false, true) => def.clone(),
                            _ => {
                                let d = LoopDef {
                                    seqs,
                                    ..(**def).clone()
                                };
                                Arc::new(if stack { d.with_stacked_states() } else { d })
                            }
                        };
                        let values = def2.run_f64(&vals).unwrap_or_else(|(t, e)| {
                            panic!(
                                "nilpotent::graph: a loop fails at iteration {t} at its recorded \
                                 values ({e}; a bug)"
                            )
                        });
                        let (node, outs) = add_loop(def2, &op_syms, &values);
                        loops.insert(
                            i as u32,
                            Replayed {
                                outs,
                                values,
                                stacked: stack.then_some(def.stacked),
                                state: def.state,
                                sums: def.sums,
                                iterations: def.iterations,
                            },
                        );
                        node
                    }
                }
                Node::LoopOut(l, j) => {
                    let r = &loops[&l];
                    r.outs[r.index(j as usize)]
                }
            };
            syms.push(v);
        }
        sym::with_innermost(|b| {
            for g in self.guards() {
                let test = g.test.map(|k| b.materialize(syms[k as usize].arg()));
                b.guard_at(test, g.expected, g.origin);
            }
        });
        syms
    }
}

/// The loop `def` as a node of the innermost recording on the operands `args`, its results having
/// the values `values`; returns the `Sym` of the loop node and of each result.
pub(crate) fn add_loop(def: Arc<LoopDef>, args: &[Sym], values: &[f64]) -> (Sym, Vec<Sym>) {
    sym::with_innermost(|b| {
        let ops: Box<[u32]> = args.iter().map(|x| b.materialize(x.arg())).collect();
        let (node, first) = b.add_loop(loop_op(), def, ops, values);
        let outs = (0..values.len())
            .map(|j| Sym::from_arg(Arg::Node(first + j as u32), b))
            .collect();
        (Sym::from_arg(Arg::Node(node), b), outs)
    })
}

/// The loop `def` on the operands `args`, expanded into the innermost recording: every iteration
/// the operations of the variant whose guards hold at the recorded values. Returns the results.
fn expand(def: &LoopDef, args: &[Sym]) -> Vec<Sym> {
    let (c, s, o) = (def.state, def.sums, def.stacked);
    let w_total = def.window_total();
    let mut results = vec![Sym::constant(0.0); def.num_results()];
    for r in &mut results[def.scatter_at()..] {
        *r = Sym::constant(-0.0);
    }
    let mut input: Vec<Sym> = vec![Sym::constant(0.0); def.body_inputs()];
    input[..c].copy_from_slice(&args[..c]);
    let free_at = args.len() - def.free;
    input[c + w_total..].copy_from_slice(&args[free_at..]);
    let mut evals: Vec<Evaluator<'_, f64>> = def
        .variants
        .iter()
        .map(|g| g.program().evaluator())
        .collect();
    let mut values = vec![0.0; def.body_inputs()];
    let mut out = vec![0.0; def.body_outputs()];
    for t in 0..def.iterations {
        let k = def.iteration(t);
        def.read_windows(args, k, &mut input);
        for (v, x) in values.iter_mut().zip(&input) {
            *v = x.value();
        }
        let variant = evals
            .iter_mut()
            .position(|e| e.eval_into(&values, &mut out).is_ok())
            .unwrap_or_else(|| {
                panic!(
                    "nilpotent::graph: no variant of a loop body accepts iteration {k} at the \
                     recorded values (a bug)"
                )
            });
        let ys = def.variants[variant].inline(&input, &[], Mode::Unroll, false);
        let ys: Vec<Sym> = def.variants[variant]
            .output_nodes()
            .iter()
            .map(|&y| ys[y as usize])
            .collect();
        input[..c].copy_from_slice(&ys[..c]);
        for j in 0..s {
            results[c + j] += ys[c + j];
        }
        results[c + s + k * o..c + s + (k + 1) * o].copy_from_slice(&ys[c + s..c + s + o]);
        // the accumulated arrays: −0 + a is a, the rules' exact identity (no node)
        let (mut at, mut j) = (def.scatter_at(), c + s + o);
        for w in &def.scatters {
            for m in 0..w.size {
                let e = at + k * w.stride + m;
                results[e] += ys[j + m];
            }
            at += w.len;
            j += w.size;
        }
    }
    results[..c].copy_from_slice(&input[..c]);
    results
}

/// Where the reverse of a loop finds things among its body's inputs:
/// `[λ (c) | the loop's windows | the state (c, if c > 0) | the stacked values' adjoints (o, if
/// any) | the windows of the accumulated arrays' adjoints (those with any) | free (f) | the sums'
/// adjoints (s)]`.
struct Layout {
    c: usize,
    /// the total size of the loop's windows
    windows: usize,
    /// the state's window
    states: usize,
    /// the stacked values' adjoints' window, if the reverse reads them
    adj_stacked: Option<usize>,
    /// the windows of the accumulated arrays' adjoints the reverse reads: (offset among the
    /// body's scattered outputs, size, offset among the reverse body's inputs); the adjoint of a
    /// scattered window is a window of its array's adjoint
    adj_scatter: Vec<(usize, usize, usize)>,
    /// the free values
    free: usize,
    /// the free inputs whose adjoint is wanted (indices among the free values)
    free_active: Vec<usize>,
    /// the windows whose adjoint is wanted: (offset among the windows, size)
    seq_active: Vec<(usize, usize)>,
}

/// The vector-Jacobian product of the body variant `v` (of a loop with `sums` sums and
/// `stacked` stacked values) as a graph with the inputs of the reverse loop's body (see
/// [`Layout`]), recorded at `x0`: outputs the adjoint of the state, of the wanted free inputs,
/// then, with `values`, the variant's own sums (the values the forward loop adds up, which the
/// reverse loop then keeps per iteration: see [`Graph::reverse_loop`]), and the adjoints of the
/// wanted windows (which the reverse loop scatters into arrays).
fn record_vjp(
    v: &Graph,
    lay: &Layout,
    sums: usize,
    stacked: usize,
    values: bool,
    x0: &[f64],
) -> Graph {
    let (c, w) = (lay.c, lay.windows);
    let f = v.num_inputs() - c - w;
    let (rec, xs) = sym::start(x0, 0);
    let mut vin: Vec<Sym> = Vec::with_capacity(v.num_inputs());
    vin.extend_from_slice(&xs[lay.states..lay.states + c]);
    vin.extend_from_slice(&xs[c..c + w]);
    vin.extend_from_slice(&xs[lay.free..lay.free + f]);
    let vs = v.inline(&vin, &[], Mode::Stack, false);
    let mut seeds: Vec<(u32, Sym)> = Vec::new();
    seeds.extend((0..c).map(|j| (v.output_nodes()[j], xs[j])));
    for j in 0..sums {
        seeds.push((v.output_nodes()[c + j], xs[lay.free + f + j]));
    }
    if let Some(at) = lay.adj_stacked {
        for j in 0..stacked {
            seeds.push((v.output_nodes()[c + sums + j], xs[at + j]));
        }
    }
    for &(off, size, at) in &lay.adj_scatter {
        for m in 0..size {
            seeds.push((v.output_nodes()[c + sums + stacked + off + m], xs[at + m]));
        }
    }
    let a = v.sweep_seeded(&rec, &vs, &seeds);
    let z = |x: Option<Sym>| x.map_or(Arg::Const(0.0), Sym::arg);
    let mut outputs: Vec<Arg> = (0..c).map(|j| z(a[j])).collect();
    outputs.extend(lay.free_active.iter().map(|&j| z(a[c + w + j])));
    if values {
        let node = |j: usize| v.output_nodes()[c + j] as usize;
        outputs.extend((0..sums).map(|j| vs[node(j)].arg()));
    }
    for &(off, size) in &lay.seq_active {
        outputs.extend((off..off + size).map(|m| z(a[c + m])));
    }
    rec.finish().finish(&outputs)
}

impl LoopDef {
    /// True if [`Mode::Checkpoint`] splits this loop into segments of `seg` iterations: a forward
    /// loop with a state, no sums and no stacked values, reading only its own operands, of more
    /// than `seg` iterations.
    fn segmentable(&self, seg: usize) -> bool {
        self.state > 0
            && self.sums == 0
            && self.stacked == 0
            && self.scatters.is_empty()
            && !self.reverse
            && self.iterations > seg
            && self.seqs.iter().all(|w| w.from_loop.is_none())
    }
}

/// The fold `def` (see [`LoopDef::segmentable`]) on the operands `ops` (values `vals`) recorded
/// into the innermost recording as `q = n / seg` segments — an outer loop of `q` iterations
/// whose body is the inner loop of `seg` iterations — then a loop of the `n mod seg` remaining
/// iterations (if any) from the outer loop's final state. The same operations in the same order
/// as `def`, so the same values bit for bit; a reverse sweep then stacks one state per segment
/// (the outer loop's) and, in the reverse of a segment, recomputes that segment's states from
/// its checkpoint. Returns the last loop node, its results and their values.
fn add_segmented(
    def: &LoopDef,
    ops: &[Sym],
    vals: &[f64],
    seg: usize,
) -> (Sym, Vec<Sym>, Vec<f64>) {
    let (c, n, f) = (def.state, def.iterations, def.free);
    let (q, r) = (n / seg, n % seg);
    // the steps of the fold one iteration of `def` makes (more than 1 if `def` is itself a loop
    // over segments)
    let steps = def.numbering.segment.max(1);
    // the values of a segment's window of each sequence
    let seg_len = |w: &Window| {
        if w.size == 0 || w.len == 0 {
            0
        } else {
            (seg - 1) * w.stride + w.size
        }
    };
    let inner = LoopDef {
        variants: def.variants.clone(),
        scatters: Vec::new(),
        seqs: def
            .seqs
            .iter()
            .map(|w| Window {
                len: seg_len(w),
                ..*w
            })
            .collect(),
        iterations: seg,
        // (numbered within its segment: the loop over segments adds the segment's first)
        numbering: Numbering {
            first: 0,
            ..def.numbering
        },
        ..*def
    };
    // the outer body, recorded at the first segment's values
    let mut x0: Vec<f64> = vals[..c].to_vec();
    let mut at = c;
    for w in &def.seqs {
        x0.extend_from_slice(&vals[at..at + seg_len(w)]);
        at += w.len;
    }
    x0.extend_from_slice(&vals[vals.len() - f..]);
    let inner_vals = inner.run_f64(&x0).unwrap_or_else(|(t, e)| {
        panic!(
            "nilpotent::graph: a loop fails at iteration {t} at its recorded values ({e}; a bug)"
        )
    });
    let (rec, xs) = sym::start(&x0, 0);
    let (_, inner_outs) = add_loop(Arc::new(inner), &xs, &inner_vals);
    let body_out: Vec<Arg> = inner_outs[..c].iter().map(|x| x.arg()).collect();
    let body = rec.finish().finish(&body_out);
    let outer = LoopDef {
        variants: vec![body],
        scatters: Vec::new(),
        seqs: def
            .seqs
            .iter()
            .map(|w| Window {
                size: seg_len(w),
                stride: seg * w.stride,
                ..*w
            })
            .collect(),
        iterations: q,
        numbering: Numbering {
            segment: seg * steps,
            ..def.numbering
        },
        ..*def
    };
    let values = outer.run_f64(vals).unwrap_or_else(|(t, e)| {
        panic!("nilpotent::graph: a loop fails at segment {t} at its recorded values ({e}; a bug)")
    });
    let (node, outs) = add_loop(Arc::new(outer), ops, &values);
    if r == 0 {
        return (node, outs, values);
    }
    // the remaining iterations: the windows from iteration q·seg on
    let mut r_ops: Vec<Sym> = outs[..c].to_vec();
    let mut r_vals: Vec<f64> = values[..c].to_vec();
    let mut seqs = Vec::with_capacity(def.seqs.len());
    let mut at = c;
    for w in &def.seqs {
        let shift = (q * seg * w.stride).min(w.len);
        r_ops.extend_from_slice(&ops[at + shift..at + w.len]);
        r_vals.extend_from_slice(&vals[at + shift..at + w.len]);
        seqs.push(Window {
            len: w.len - shift,
            ..*w
        });
        at += w.len;
    }
    r_ops.extend_from_slice(&ops[ops.len() - f..]);
    r_vals.extend_from_slice(&vals[vals.len() - f..]);
    let rest = LoopDef {
        variants: def.variants.clone(),
        scatters: Vec::new(),
        seqs,
        iterations: r,
        numbering: Numbering {
            first: def.numbering.first + q * seg * steps,
            ..def.numbering
        },
        ..*def
    };
    let values = rest.run_f64(&r_vals).unwrap_or_else(|(t, e)| {
        panic!(
            "nilpotent::graph: a loop fails at iteration {t} at its recorded values ({e}; a bug)"
        )
    });
    let (node, outs) = add_loop(Arc::new(rest), &r_ops, &values);
    (node, outs, values)
}

/// The loop that adds up, in the order of the iterations (k = 0, …, n − 1, from +0, as a forward
/// loop's sums are), the `s = sums.len()` values per iteration that the reverse loop `r_node`
/// keeps from its result `at` on (`results` its results' values): the sums of the forward loop
/// `forward` (node of `rec`, the innermost recording, whose sums have the values `sums`), bit for
/// bit. The recording then reads the forward loop's sums from this loop (see
/// [`Graph::reverse_loop`]).
fn add_value_sum(
    rec: &Recording,
    forward: u32,
    sums: &[f64],
    r_node: Sym,
    at: usize,
    n: usize,
    results: &[f64],
) {
    let s = sums.len();
    let kept = &results[at..at + n * s];
    // the body: each value as it is (a sum of each)
    let (body_rec, xs) = sym::start(&kept[..s], 0);
    let outs: Vec<Arg> = xs.iter().map(|x| x.arg()).collect();
    let body = body_rec.finish().finish(&outs);
    let def = LoopDef {
        variants: vec![body],
        state: 0,
        seqs: vec![Window {
            size: s,
            stride: s,
            len: n * s,
            from_loop: Some(at),
        }],
        free: 0,
        iterations: n,
        sums: s,
        stacked: 0,
        scatters: Vec::new(),
        reverse: false,
        numbering: Numbering::default(),
    };
    let values = def.run_f64(kept).unwrap_or_else(|(t, e)| {
        panic!(
            "nilpotent::graph: a loop fails at iteration {t} at its recorded values ({e}; a bug)"
        )
    });
    let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
    assert!(
        values.iter().zip(sums).all(|(&a, &b)| same(a, b)),
        "nilpotent::graph: the values a reverse loop keeps do not add up to its forward loop's \
         sums ({values:?} against {sums:?}; a bug)"
    );
    let (node, _) = add_loop(Arc::new(def), &[r_node], &values);
    let node = node.node().expect("a loop node") as u32;
    rec.with(|b| b.alias_loop(forward, node));
}

/// If `adjoints` are consecutive results of one loop node of `rec` (the innermost recording),
/// results `first..first + adjoints.len()`: that loop node and `first`.
fn loop_results(rec: &Recording, adjoints: &[Option<Sym>]) -> Option<(Sym, usize)> {
    let nodes: Vec<usize> = adjoints
        .iter()
        .map(|a| a.and_then(|a| a.node()))
        .collect::<Option<_>>()?;
    let (&q, _) = nodes.split_first()?;
    rec.with(|b| {
        let Node::LoopOut(l, first) = b.nodes[q] else {
            return None;
        };
        let consecutive = nodes
            .iter()
            .enumerate()
            .all(|(e, &x)| b.nodes[x] == Node::LoopOut(l, first + e as u32));
        consecutive.then_some((l, first as usize))
    })
    .map(|(l, first)| (node_sym(l), first))
}

/// The `Sym` of node `x` of the innermost recording.
fn node_sym(x: u32) -> Sym {
    sym::with_innermost(|b| Sym::from_arg(Arg::Node(x), b))
}

impl Graph {
    /// The reverse sweep through the loop node `i` (`calls[k]`) of this graph, replayed into the
    /// recording `rec` (`syms`; the innermost one), whose results have the adjoints `res`: records the reverse
    /// loop — its body the vector-Jacobian product of the body's variants, iterating backwards
    /// over the states the replay stacked — and adds the adjoints of the loop's operands to `adj`
    /// (and, for a sequence read from another loop's results, to that loop's `loop_adj`).
    ///
    /// With `fuse`, a loop without a state that only sums (a [`crate::sum_map`]) and whose
    /// reverse loop does not depend on its results (the sums' adjoints are not computed from the
    /// sums: a loss that is the sum itself, plus terms of its own) is not run twice: the reverse
    /// loop, which recomputes each iteration's forward pass anyway, also keeps each iteration's
    /// values, and a loop over those adds them up in the forward loop's order (from +0, k = 0, …,
    /// n − 1: its sums bit for bit). The recording then reads the forward loop's sums from that
    /// loop ([`Builder::alias_loop`](super::record::Builder::alias_loop)), and the forward loop,
    /// read by nothing, is left out of the graph.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn reverse_loop(
        &self,
        rec: &Recording,
        i: usize,
        k: u32,
        syms: &[Sym],
        res: &[Option<Sym>],
        active: &dyn Fn(u32) -> bool,
        adj: &mut [Option<Sym>],
        loop_adj: &mut std::collections::HashMap<u32, Vec<Option<Sym>>>,
        fuse: bool,
    ) {
        let def = self.loop_def(k);
        let ops = &self.calls()[k as usize].args;
        let (c, s, o, n, f) = (def.state, def.sums, def.stacked, def.iterations, def.free);
        let one = Sym::constant(1.0);
        let is_active = |x: u32| active(x) && !syms[x as usize].is_constant();
        if n == 0 {
            for j in 0..c {
                if let Some(a) = res[j]
                    && is_active(ops[j])
                {
                    super::derive::accumulate(adj, ops[j], one, a);
                }
            }
            return;
        }
        // the loop as replayed (with the states stacked), its operands and its results' values
        let ln = syms[i].node().expect("a replayed loop node") as u32;
        let (fdef, fops, fvals) = rec.with(|b| {
            let Node::Loop(kk) = b.nodes[ln as usize] else {
                unreachable!("a replayed loop node")
            };
            let d = b.calls[kk as usize].body.clone().expect("a loop's body");
            let vals = b.values[ln as usize + 1..ln as usize + 1 + d.num_results()].to_vec();
            (d, b.calls[kk as usize].args.to_vec(), vals)
        });
        assert!(
            c == 0 || fdef.stacked == o + c,
            "nilpotent::graph: a loop to reverse without its states (a bug)"
        );
        // which operands need an adjoint, group by group (in this graph's numbering)
        let mut seq_ops: Vec<(usize, Option<usize>)> = Vec::new(); // (first operand, from_loop)
        let mut at = c;
        for w in &def.seqs {
            seq_ops.push((at, w.from_loop));
            at += if w.from_loop.is_some() { 1 } else { w.len };
        }
        let free_at = at;
        let free_active: Vec<usize> = (0..f).filter(|&j| is_active(ops[free_at + j])).collect();
        let mut seq_active: Vec<(usize, usize)> = Vec::new();
        let mut active_seqs: Vec<usize> = Vec::new();
        let mut woff = 0;
        for (q, w) in def.seqs.iter().enumerate() {
            let (first, from) = seq_ops[q];
            let act = match from {
                Some(_) => active(ops[first]),
                None => ops[first..first + w.len].iter().any(|&x| is_active(x)),
            };
            if act && w.size > 0 {
                seq_active.push((woff, w.size));
                active_seqs.push(q);
            }
            woff += w.size;
        }
        let windows = woff;
        let scat_at = def.scatter_at();
        let has_adj_stacked = o > 0 && res[c + s..scat_at].iter().any(Option::is_some);
        let states = c + windows;
        let mut at = states + if c > 0 { c } else { 0 };
        let adj_stacked = has_adj_stacked.then_some(at);
        if has_adj_stacked {
            at += o;
        }
        // the accumulated arrays with an adjoint: (their first result, their scatter)
        let mut adj_scatter = Vec::new();
        let mut scattered: Vec<(usize, Scatter)> = Vec::new();
        let (mut first, mut off) = (scat_at, 0);
        for w in &def.scatters {
            if res[first..first + w.len].iter().any(Option::is_some) {
                adj_scatter.push((off, w.size, at));
                scattered.push((first, *w));
                at += w.size;
            }
            first += w.len;
            off += w.size;
        }
        let lay = Layout {
            c,
            windows,
            states,
            adj_stacked,
            adj_scatter,
            free: at,
            free_active,
            seq_active,
        };
        // the reverse loop's operands (in the innermost recording) and their values
        let zero = Sym::constant(0.0);
        let mut r_ops: Vec<Sym> = (0..c).map(|j| res[j].unwrap_or(zero)).collect();
        let mut r_vals: Vec<f64> = r_ops.iter().map(Sym::value).collect();
        let mut seqs = fdef.seqs.clone();
        let mut fat = c;
        for w in &fdef.seqs {
            match w.from_loop {
                None => {
                    for &x in &fops[fat..fat + w.len] {
                        let sx = node_sym(x);
                        r_vals.push(sx.value());
                        r_ops.push(sx);
                    }
                    fat += w.len;
                }
                Some(off) => {
                    let x = fops[fat];
                    r_ops.push(node_sym(x));
                    rec.with(|b| {
                        let at = x as usize + 1 + off;
                        r_vals.extend_from_slice(&b.values[at..at + w.len]);
                    });
                    fat += 1;
                }
            }
        }
        if c > 0 {
            let w = Window {
                size: c,
                stride: o + c,
                len: (n - 1) * (o + c) + c,
                from_loop: Some(c + s + o),
            };
            r_ops.push(syms[i]);
            r_vals.extend_from_slice(&fvals[c + s + o..c + s + o + w.len]);
            seqs.push(w);
        }
        // a sequence of adjoints: read from the loop whose consecutive results they are, where
        // they are (the adjoints of a fold's states in a Hessian, which the reverse of the
        // gradient's reverse loop accumulates into an array: one operand, not one per step), or
        // as operands
        let mut adjoint_seq = |adjoints: &[Option<Sym>], size: usize, stride: usize| {
            let len = adjoints.len();
            match loop_results(rec, adjoints) {
                Some((l, first)) => {
                    r_ops.push(l);
                    rec.with(|b| {
                        let at = l.node().expect("a loop node") + 1 + first;
                        r_vals.extend_from_slice(&b.values[at..at + len]);
                    });
                    seqs.push(Window {
                        size,
                        stride,
                        len,
                        from_loop: Some(first),
                    });
                }
                None => {
                    for a in adjoints {
                        let a = a.unwrap_or(zero);
                        r_vals.push(a.value());
                        r_ops.push(a);
                    }
                    seqs.push(Window {
                        size,
                        stride,
                        len,
                        from_loop: None,
                    });
                }
            }
        };
        if has_adj_stacked {
            adjoint_seq(&res[c + s..c + s + n * o], o, o);
        }
        // the adjoint of a scattered window is the window of its array's adjoint
        for &(first, w) in &scattered {
            adjoint_seq(&res[first..first + w.len], w.size, w.stride);
        }
        for &x in &fops[fat..fat + f] {
            let sx = node_sym(x);
            r_vals.push(sx.value());
            r_ops.push(sx);
        }
        for j in 0..s {
            let a = res[c + j].unwrap_or(zero);
            r_vals.push(a.value());
            r_ops.push(a);
        }
        // keep the forward values in the reverse loop (see above): a loop that only sums, whose
        // reverse loop's operands do not depend on it
        let fuse = fuse
            && c == 0
            && s > 0
            && o == 0
            && def.scatters.is_empty()
            && !def.reverse
            && !def.has_guards()
            && rec.with(|b| !b.depends_on(ln, r_ops.iter().filter_map(Sym::node)));
        // the windows' adjoints, each sequence's accumulated into an array of its length
        let scatters = active_seqs
            .iter()
            .map(|&q| {
                let w = def.seqs[q];
                Scatter {
                    size: w.size,
                    stride: w.stride,
                    len: w.len,
                }
            })
            .collect();
        let mut rdef = LoopDef {
            variants: Vec::new(),
            state: c,
            seqs,
            free: f + s,
            iterations: n,
            sums: lay.free_active.len(),
            stacked: if fuse { s } else { 0 },
            scatters,
            reverse: !def.reverse,
            // (its errors name the forward loop's iterations)
            numbering: def.numbering,
        };
        // the variants: the vector-Jacobian product of the body's variant each iteration takes,
        // recorded at the first iteration no variant recorded so far accepts
        let mut input = vec![0.0; rdef.body_inputs()];
        let mut out = vec![0.0; rdef.body_outputs()];
        let mut results = vec![0.0; rdef.num_results()];
        let mut from = 0;
        loop {
            let mut evals: Vec<Evaluator<'_, f64>> = rdef
                .variants
                .iter()
                .map(|g| g.program().evaluator())
                .collect();
            match rdef.run(
                &r_vals,
                &mut evals,
                &mut input,
                &mut out,
                &mut results,
                from,
            ) {
                Ok(()) => break,
                Err((t, _)) => {
                    drop(evals);
                    assert!(
                        rdef.variants.len() < 4 * MAX_VARIANTS,
                        "nilpotent::graph: the derivative of a loop body takes more than {} \
                         paths through the branches of its derivative rules (at iteration {}); \
                         write the body without them or record the loop unrolled",
                        4 * MAX_VARIANTS,
                        rdef.iteration(t)
                    );
                    // the forward variant of this iteration
                    let mut vin: Vec<f64> = input[states..states + c].to_vec();
                    vin.extend_from_slice(&input[c..c + windows]);
                    vin.extend_from_slice(&input[lay.free..lay.free + f]);
                    let v = def
                        .variants
                        .iter()
                        .position(|g| g.program().evaluator::<f64>().eval(&vin).is_ok())
                        .unwrap_or_else(|| {
                            panic!(
                                "nilpotent::graph: no variant of a loop body accepts iteration \
                                 {} at its recorded values (a bug)",
                                rdef.iteration(t)
                            )
                        });
                    let g = record_vjp(&def.variants[v], &lay, s, o, fuse, &input);
                    rdef.variants.push(g);
                    from = t;
                }
            }
        }
        let (rdef_scatter_at, rdef_scatters) = (rdef.scatter_at(), rdef.scatters.clone());
        let kept_at = rdef.state + rdef.sums;
        let (r_node, rout) = add_loop(Arc::new(rdef), &r_ops, &results);
        if fuse {
            add_value_sum(rec, ln, &fvals[..s], r_node, kept_at, n, &results);
        }
        // the adjoints of the operands
        for j in 0..c {
            if is_active(ops[j]) {
                super::derive::accumulate(adj, ops[j], one, rout[j]);
            }
        }
        for (idx, &j) in lay.free_active.iter().enumerate() {
            super::derive::accumulate(adj, ops[free_at + j], one, rout[c + idx]);
        }
        // each entry a window touched: its accumulated adjoint (the array's other entries are −0
        // and read by nothing)
        let mut arr = rdef_scatter_at;
        for (&q, sc) in active_seqs.iter().zip(&rdef_scatters) {
            let (first, from) = seq_ops[q];
            for e in (0..sc.len).filter(|&e| sc.touches(n, e)) {
                let a = rout[arr + e];
                match from {
                    None => {
                        if is_active(ops[first + e]) {
                            super::derive::accumulate(adj, ops[first + e], one, a);
                        }
                    }
                    Some(off) => {
                        let src = ops[first];
                        let Node::Loop(k2) = self.nodes()[src as usize] else {
                            unreachable!("a sequence read from a loop")
                        };
                        let nr = self.loop_def(k2).num_results();
                        let slot =
                            &mut loop_adj.entry(src).or_insert_with(|| vec![None; nr])[off + e];
                        *slot = Some(match *slot {
                            None => a,
                            Some(x) => x + a,
                        });
                    }
                }
            }
            arr += sc.len;
        }
    }
}
