//! Loops as nodes: the body of a [`crate::loops`] combinator recorded once as a graph of its own
//! (one or more *variants*, one per branch taken), and the loop as one node of the graph that
//! runs it.
//!
//! A loop node `Node::Loop(k)` is the call `calls[k]` of its graph: its operands are the initial
//! state (c values), the data it reads (one or more sequences, read a window per iteration) and
//! the values of the enclosing computation the body uses (its *free* inputs: weights, a step
//! size). Each variant of the body is a [`Graph`] with the inputs `[state (c), window of each
//! sequence, free (f)]` and the outputs `[new state (c), sums (s), stacked (o)]`. The loop's
//! results, read by `Node::LoopOut(loop, j)` nodes, are the final state, the sums (added from +0 in
//! the order of the iterations, as the plain loop of [`crate::loops`] adds them) and the stacked
//! values of every iteration (iteration k at `c + s + k·o`).
//!
//! Branches: each iteration runs the first variant whose guards all hold. A variant is recorded,
//! while the loop is recorded, for every iteration that no variant recorded so far accepts (up to
//! [`MAX_VARIANTS`]); an evaluation at which no variant accepts an iteration is the error
//! [`GraphError::LoopGuard`], naming the iteration.

use std::sync::Arc;

use super::Graph;
use super::guard::GraphError;
use super::program::{Evaluator, Value};
use super::record::{Arg, Node};
use super::sym::{self, Sym};
use crate::custom::{Custom, CustomFn, UnaryRule};
use crate::loops::LoopSpec;

/// The largest number of variants of a loop body (paths through its branches) a recording makes.
pub(crate) const MAX_VARIANTS: usize = 8;

/// One sequence a loop reads: iteration k reads the window `[k·stride, k·stride + size)` of its
/// `len` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) size: usize,
    pub(crate) stride: usize,
    pub(crate) len: usize,
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
    /// iterate k = n − 1, …, 0 instead of 0, …, n − 1 (the reverse sweep of a loop)
    pub(crate) reverse: bool,
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
        self.state + self.sums + self.stacked
    }

    /// The number of the loop node's operands.
    pub(crate) fn num_args(&self) -> usize {
        self.state + self.seqs.iter().map(|w| w.len).sum::<usize>() + self.free
    }

    /// The number of the loop's results.
    pub(crate) fn num_results(&self) -> usize {
        self.state + self.sums + self.iterations * self.stacked
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
    pub(crate) fn read_windows<X: Copy>(&self, args: &[X], k: usize, input: &mut [X]) {
        let (mut at, mut src) = (self.state, self.state);
        for w in &self.seqs {
            if w.size > 0 {
                let start = src + k * w.stride;
                input[at..at + w.size].copy_from_slice(&args[start..start + w.size]);
            }
            at += w.size;
            src += w.len;
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
    /// loop's results. `Err((k, e))` if no variant accepts iteration k (`e` is the first
    /// variant's error there).
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
                return Err((t, first_error.expect("a loop has a variant")));
            }
            input[..c].copy_from_slice(&out[..c]);
            for j in 0..s {
                results[c + j] = results[c + j].apply_binary(crate::rules::Binary::Add, out[c + j]);
            }
            let at = c + s + k * o;
            results[at..at + o].copy_from_slice(&out[c + s..c + s + o]);
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
    let n = g.n_inputs;
    if total == n {
        return g.clone();
    }
    let shift = (total - n) as u32;
    let map = |a: u32| if (a as usize) < n { a } else { a + shift };
    let mut nodes: Vec<Node> = g.nodes[..n].to_vec();
    let mut values: Vec<f64> = g.values[..n].to_vec();
    let mut origin: Vec<u8> = g.origin[..n].to_vec();
    for (k, &v) in extra.iter().enumerate() {
        nodes.push(Node::Input((n + k) as u32));
        values.push(v);
        origin.push(0);
    }
    nodes.extend(g.nodes[n..].iter().map(|node| node.map(map)));
    values.extend_from_slice(&g.values[n..]);
    origin.extend_from_slice(&g.origin[n..]);
    let mut calls = g.calls.clone();
    for call in &mut calls {
        for a in call.args.iter_mut() {
            *a = map(*a);
        }
    }
    let guards = g
        .guards
        .iter()
        .map(|gd| super::guard::Guard {
            test: gd.test.map(map),
            expected: gd.expected,
        })
        .collect();
    Graph::from_parts(
        total,
        nodes,
        values,
        origin,
        g.outputs.iter().map(|&o| map(o)).collect(),
        guards,
        g.order,
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
        }],
        free: 0,
        iterations: n,
        sums: s,
        stacked: o,
        reverse: false,
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
                let extra: Vec<f64> = free[g.n_inputs - c - spec.size..]
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
    let def = Arc::new(def);
    let outputs = sym::with_innermost(|b| {
        let args: Box<[u32]> = init
            .iter()
            .chain(&seq)
            .map(|x| b.materialize(x.arg()))
            .chain(free.iter().map(|f| f.0))
            .collect();
        let first = b.add_loop(loop_op(), def, args, &results);
        (0..results.len())
            .map(|j| Sym::from_arg(Arg::Node(first + j as u32), b))
            .collect()
    });
    Some(outputs)
}

impl Graph {
    /// True if the graph has a loop node (see [`crate::loops`]).
    pub fn has_loops(&self) -> bool {
        self.nodes.iter().any(|n| matches!(n, Node::Loop(_)))
    }

    /// The loop of a loop node's call.
    pub(crate) fn loop_def(&self, k: u32) -> &Arc<LoopDef> {
        self.calls[k as usize]
            .body
            .as_ref()
            .expect("a loop node's call has a body")
    }

    /// The same function with every loop node expanded into the operations of its iterations:
    /// the graph a plain `for` loop records. Its values are this graph's bit for bit (the same
    /// operations in the same order: sums are added from +0 in the order of the iterations), so
    /// it is the reference a loop node is checked against; every iteration's branch is a guard of
    /// the unrolled graph (where a loop node picks the variant of its body for each iteration).
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
        let (n, np) = (self.n_inputs, self.n_params);
        let (rec, inputs, params) =
            sym::start_with(&self.values[..n], &self.values[n..n + np], self.order);
        let syms = self.inline(&inputs, &params, true, true);
        rec.with(|b| b.level = self.order);
        let outputs: Vec<Arg> = self
            .outputs
            .iter()
            .map(|&o| syms[o as usize].arg())
            .collect();
        let mut g = rec.finish().finish(&outputs);
        g.order = self.order;
        g
    }

    /// Records the nodes of this graph into the innermost recording, on the inputs `inputs` and
    /// the parameters `params` (`Sym`s there), with its guards; returns the `Sym` of each node.
    /// Loop nodes are expanded if `unroll` (the variant each iteration takes is the one whose
    /// guards hold at the recorded values), kept as loop nodes otherwise. With `levels`, each node
    /// keeps its origin (the nodes of an expanded loop take the loop node's).
    pub(crate) fn inline(
        &self,
        inputs: &[Sym],
        params: &[Sym],
        unroll: bool,
        levels: bool,
    ) -> Vec<Sym> {
        let mut syms: Vec<Sym> = Vec::with_capacity(self.nodes.len());
        // the results of the loops expanded so far
        let mut expanded: std::collections::HashMap<u32, Vec<Sym>> = Default::default();
        for (i, node) in self.nodes.iter().enumerate() {
            if levels {
                let level = self.origin[i];
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
                    let call = &self.calls[k as usize];
                    let args: Vec<Sym> = call.args.iter().map(|&a| s(a)).collect();
                    Sym::custom_node(call.op.clone(), &args)
                }
                Node::Loop(k) => {
                    let def = self.loop_def(k);
                    let args: Vec<Sym> =
                        self.calls[k as usize].args.iter().map(|&a| s(a)).collect();
                    if unroll {
                        expanded.insert(i as u32, expand(def, &args));
                        Sym::constant(0.0)
                    } else {
                        // the results' values are this graph's
                        let first = i + 1;
                        let count = def.num_results();
                        let values: Vec<f64> = (0..count)
                            .map(|j| self.result_value(i as u32, j, first))
                            .collect();
                        let outs = add_loop(def.clone(), &args, &values);
                        expanded.insert(i as u32, outs);
                        Sym::constant(0.0)
                    }
                }
                Node::LoopOut(l, j) => expanded[&l][j as usize],
            };
            syms.push(v);
        }
        sym::with_innermost(|b| {
            for g in &self.guards {
                let test = g.test.map(|k| b.materialize(syms[k as usize].arg()));
                b.guard(test, g.expected);
            }
        });
        syms
    }

    /// The value of result `j` of the loop node `l` (the `LoopOut` nodes follow the loop node,
    /// from `first`; a result no node reads any more has the value NaN: never read).
    fn result_value(&self, l: u32, j: usize, first: usize) -> f64 {
        let k = first + j;
        if k < self.nodes.len() && self.nodes[k] == Node::LoopOut(l, j as u32) {
            return self.values[k];
        }
        // after dead results were removed: search
        self.nodes[first..]
            .iter()
            .position(|n| *n == Node::LoopOut(l, j as u32))
            .map_or(f64::NAN, |p| self.values[first + p])
    }
}

/// The loop `def` as a node of the innermost recording on the operands `args`, its results having
/// the values `values`; returns the `Sym` of each result.
pub(crate) fn add_loop(def: Arc<LoopDef>, args: &[Sym], values: &[f64]) -> Vec<Sym> {
    let args: Vec<Sym> = args.iter().map(|x| x.localize()).collect();
    sym::with_innermost(|b| {
        let ops: Box<[u32]> = args.iter().map(|x| b.materialize(x.arg())).collect();
        let first = b.add_loop(loop_op(), def, ops, values);
        (0..values.len())
            .map(|j| Sym::from_arg(Arg::Node(first + j as u32), b))
            .collect()
    })
}

/// The loop `def` on the operands `args`, expanded into the innermost recording: every iteration
/// the operations of the variant whose guards hold at the recorded values. Returns the results.
fn expand(def: &LoopDef, args: &[Sym]) -> Vec<Sym> {
    let (c, s, o) = (def.state, def.sums, def.stacked);
    let w_total = def.window_total();
    let mut results = vec![Sym::constant(0.0); def.num_results()];
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
        let ys = def.variants[variant].inline(&input, &[], true, false);
        let ys: Vec<Sym> = def.variants[variant]
            .outputs
            .iter()
            .map(|&y| ys[y as usize])
            .collect();
        input[..c].copy_from_slice(&ys[..c]);
        for j in 0..s {
            results[c + j] += ys[c + j];
        }
        results[c + s + k * o..c + s + (k + 1) * o].copy_from_slice(&ys[c + s..]);
    }
    results[..c].copy_from_slice(&input[..c]);
    results
}
