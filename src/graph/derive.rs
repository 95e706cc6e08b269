//! Derivatives as graphs: reverse accumulation over a recorded graph, writing the adjoints into a
//! new graph, with every partial taken from the rule table evaluated on [`Sym`].
//!
//! The recorded graph is first replayed into a new recording (the same nodes, values and guards).
//! Then, from an output back to the inputs, each node's local partials are obtained by evaluating
//! its rule on the `Sym`s of its arguments — so the partials are graph expressions, built from the
//! same formulas every other mode uses, and any branch a rule takes becomes a guard — and the
//! adjoints are accumulated as `x̄ += ∂v/∂x ⊙ v̄` ([`rules::chain_mul`]: the zero-partial and
//! zero-adjoint conventions of the other modes, as an operation). A structurally zero partial or
//! adjoint (the constant 0) adds nothing at all.

use super::Graph;
use super::ir::Node;
use super::record::Arg;
use super::sym::{self, Recording, Sym};
use crate::base::rules::{self, Need};

impl Graph {
    /// The graph of the value and gradient: outputs `[f, ∂f/∂x₀, …, ∂f/∂xₙ₋₁]`.
    ///
    /// Built by reverse accumulation over this graph (one sweep), with every partial taken from
    /// the rule table. Its inputs are the same; it keeps every guard of this graph and adds those
    /// of the branches of the derivative rules (`abs`'s sign, a `max` choice, …) taken at the
    /// recording point.
    ///
    /// # Panics
    /// If the graph does not have exactly one output (see [`Graph::jacobian`]).
    pub fn gradient(&self) -> Graph {
        assert_eq!(
            self.num_outputs(),
            1,
            "Graph::gradient: the graph has {}; a gradient needs exactly one (use \
             Graph::jacobian for several)",
            crate::base::text::count(self.num_outputs(), "output", "outputs")
        );
        let (rec, syms) = self.replay();
        let y = self.output_nodes()[0];
        // (one sweep: a loop that only sums is not run twice, see `Graph::reverse_loop`)
        let adjoints = self.sweep_fusing(&rec, &syms, &[(y, Sym::constant(1.0))], true);
        let mut outputs = vec![syms[y as usize].arg()];
        outputs.extend(adjoints.iter().map(|a| a.map_or(Arg::Const(0.0), Sym::arg)));
        rec.finish().finish(&outputs)
    }

    /// The graph of the values and Jacobian: outputs `[y₀, …, yₘ₋₁, then J row by row]`, with
    /// `J[i][j] = ∂yᵢ/∂xⱼ` at output `m + i·n + j`. One reverse sweep per output.
    pub fn jacobian(&self) -> Graph {
        let (rec, syms) = self.replay();
        let mut outputs: Vec<Arg> = self
            .output_nodes()
            .iter()
            .map(|&y| syms[y as usize].arg())
            .collect();
        for &y in self.output_nodes() {
            let adjoints = self.sweep(&rec, &syms, y);
            outputs.extend(adjoints.iter().map(|a| a.map_or(Arg::Const(0.0), Sym::arg)));
        }
        rec.finish().finish(&outputs)
    }

    /// The graph of the value, gradient and Hessian: outputs `[f, ∇f (n), H row by row (n²)]`,
    /// `H[i][j] = ∂²f/∂xᵢ∂xⱼ` at output `1 + n + i·n + j`.
    ///
    /// The derivative of the gradient graph: one reverse sweep over [`Graph::gradient`] per
    /// component of ∇f. Row i gives the entries `j ≥ i`; the entries below the diagonal are the
    /// same nodes, so H is exactly symmetric. Entries that are structurally zero (no path from xⱼ
    /// through a nonlinear node to ∂f/∂xᵢ) are the constant 0 and cost nothing to evaluate.
    ///
    /// # Panics
    /// If the graph does not have exactly one output.
    pub fn hessian(&self) -> Graph {
        let g = self.gradient();
        let n = self.num_inputs();
        let (rec, syms) = g.replay();
        let mut outputs: Vec<Arg> = g
            .output_nodes()
            .iter()
            .map(|&y| syms[y as usize].arg())
            .collect();
        let mut h = vec![Arg::Const(0.0); n * n];
        for i in 0..n {
            let gi = g.output_nodes()[1 + i];
            let adjoints = g.sweep(&rec, &syms, gi);
            for j in i..n {
                let hij = adjoints[j].map_or(Arg::Const(0.0), Sym::arg);
                h[i * n + j] = hij;
                h[j * n + i] = hij;
            }
        }
        outputs.extend(h);
        rec.finish().finish(&outputs)
    }

    /// The graph of compressed reverse sweeps (for [`crate::sparse`]): outputs `[y₀, …, yₘ₋₁]` if
    /// `with_values`, then for each group of outputs `groups[k]` the entries `inputs[k]` of the
    /// gradient of their sum, in the order given. When no two outputs of a group depend on a
    /// common input, that gradient holds each output's gradient entries unmixed.
    ///
    /// # Panics
    /// If a group names an output or input that does not exist, or the two lists differ in length.
    pub(crate) fn compressed_reverse(
        &self,
        groups: &[Vec<usize>],
        inputs: &[Vec<usize>],
        with_values: bool,
    ) -> Graph {
        assert_eq!(groups.len(), inputs.len());
        let (rec, syms) = self.replay();
        let mut outputs: Vec<Arg> = Vec::new();
        if with_values {
            outputs.extend(self.output_nodes().iter().map(|&y| syms[y as usize].arg()));
        }
        let mut seeds = Vec::new();
        for (group, wanted) in groups.iter().zip(inputs) {
            seeds.clear();
            seeds.extend(group.iter().map(|&k| self.output_nodes()[k]));
            let adjoints = self.sweep_from(&rec, &syms, &seeds);
            outputs.extend(
                wanted
                    .iter()
                    .map(|&j| adjoints[j].map_or(Arg::Const(0.0), Sym::arg)),
            );
        }
        rec.finish().finish(&outputs)
    }

    /// Records this graph again into a new recording at the same point: the same nodes (each keeps
    /// its origin), values and guards; new nodes made afterwards get the next derivative order.
    /// Returns the recording and the `Sym` of each node.
    pub(crate) fn replay(&self) -> (Recording, Vec<Sym>) {
        let (n, np) = (self.num_inputs(), self.num_params());
        let (rec, inputs, params) =
            sym::start_with(&self.values()[..n], &self.values()[n..n + np], 0);
        // the replay, and room for a derivative a few times its size
        rec.with(|b| b.reserve(4 * self.nodes().len()));
        let syms = self.inline(&inputs, &params, super::loops::Mode::Stack, true);
        rec.with(|b| {
            // the nodes made from here on belong to the next derivative order
            b.level = self.level() + 1;
        });
        (rec, syms)
    }

    /// Reverse accumulation from node `y` (seed 1) in the recording `rec` that replays this graph
    /// (`syms[i]` is node i there). Returns the adjoint of each input, `None` where it is
    /// structurally zero.
    fn sweep(&self, rec: &Recording, syms: &[Sym], y: u32) -> Vec<Option<Sym>> {
        self.sweep_from(rec, syms, &[y])
    }

    /// [`Graph::sweep`] from several nodes at once, each seeded with 1: the adjoints of their sum.
    fn sweep_from(&self, rec: &Recording, syms: &[Sym], seeds: &[u32]) -> Vec<Option<Sym>> {
        let seeds: Vec<(u32, Sym)> = seeds.iter().map(|&y| (y, Sym::constant(1.0))).collect();
        self.sweep_seeded(rec, syms, &seeds)
    }

    /// Reverse accumulation into the recording `rec`, which replays this graph (`syms[i]` is node
    /// i there), from the nodes `seeds` with their adjoints: the adjoint of each input, `None`
    /// where it is structurally zero. The partials and products are recorded with `Sym`
    /// arithmetic, which writes to the innermost recording: `rec` must be it (checked).
    pub(crate) fn sweep_seeded(
        &self,
        rec: &Recording,
        syms: &[Sym],
        seeds: &[(u32, Sym)],
    ) -> Vec<Option<Sym>> {
        self.sweep_fusing(rec, syms, seeds, false)
    }

    /// [`Graph::sweep_seeded`]; with `fuse`, for the only sweep of a recording: a loop that only
    /// sums gets its sums from its reverse loop where it can (see `Graph::reverse_loop`).
    fn sweep_fusing(
        &self,
        rec: &Recording,
        syms: &[Sym],
        seeds: &[(u32, Sym)],
        fuse: bool,
    ) -> Vec<Option<Sym>> {
        rec.expect_innermost();
        let Some(top) = seeds.iter().map(|s| s.0).max() else {
            return vec![None; self.num_inputs()];
        };
        // with parameters: the nodes that do not depend on an input (computed from parameters and
        // constants alone) get no adjoint, as constants get none
        let passive = self.passive();
        let active = |k: u32| passive.as_ref().is_none_or(|p| !p[k as usize]);
        let mut adj: Vec<Option<Sym>> = vec![None; top as usize + 1];
        for &(y, a) in seeds {
            // a node that is two seeded outputs is seeded twice (the sum counts it twice)
            let slot = &mut adj[y as usize];
            *slot = Some(match *slot {
                None => a,
                Some(s) => s + a,
            });
        }
        // the adjoints of the results of each loop met (its `LoopOut` nodes)
        let mut loop_adj: std::collections::HashMap<u32, Vec<Option<Sym>>> = Default::default();
        for i in (0..=top as usize).rev() {
            if let Node::Loop(k) = self.nodes()[i] {
                if let Some(res) = loop_adj.remove(&(i as u32)) {
                    self.reverse_loop(
                        rec,
                        i,
                        k,
                        syms,
                        &res,
                        &active,
                        &mut adj,
                        &mut loop_adj,
                        fuse,
                    );
                }
                continue;
            }
            let Some(a) = adj[i] else { continue };
            let s = |k: u32| syms[k as usize];
            match self.nodes()[i] {
                Node::Input(_) | Node::Param(_) | Node::Const(_) => {}
                Node::Unary(op, x) => {
                    if active(x) {
                        let (_, d) = op.eval_for(s(x), Need::DERIVATIVE);
                        accumulate(&mut adj, x, d, a);
                    }
                }
                Node::Binary(op, x, z) => {
                    let need = Need {
                        value: false,
                        dx: !s(x).is_constant() && active(x),
                        dy: !s(z).is_constant() && active(z),
                    };
                    let (_, dx, dz) = op.eval_for(s(x), s(z), need);
                    if need.dx {
                        accumulate(&mut adj, x, dx, a);
                    }
                    if need.dy {
                        accumulate(&mut adj, z, dz, a);
                    }
                }
                Node::MulAdd(x, m, b) => {
                    let (_, dx, dm, db) = rules::mul_add(s(x), s(m), s(b));
                    for (k, d) in [(x, dx), (m, dm), (b, db)] {
                        if active(k) {
                            accumulate(&mut adj, k, d, a);
                        }
                    }
                }
                Node::ChainMul(x, z) => {
                    // the partials of x ⊙ z (`rules::chain_mul`), without computing its value on
                    // `Sym` (which would record the value's zero tests as guards)
                    let (dx, dz) = (s(z), s(x));
                    for (k, d) in [(x, dx), (z, dz)] {
                        if active(k) {
                            accumulate(&mut adj, k, d, a);
                        }
                    }
                }
                Node::Loop(_) => unreachable!("handled above"),
                Node::LoopOut(l, j) => {
                    if active(l) {
                        let Node::Loop(k) = self.nodes()[l as usize] else {
                            unreachable!("a loop's result reads a loop node")
                        };
                        let n = self.loop_def(k).num_results();
                        let res = loop_adj.entry(l).or_insert_with(|| vec![None; n]);
                        let slot = &mut res[j as usize];
                        *slot = Some(match *slot {
                            None => a,
                            Some(s) => s + a,
                        });
                    }
                }
                Node::Custom(k) => {
                    // the rule's derivative, recorded on `Sym` as ordinary nodes
                    let call = &self.calls()[k as usize];
                    let args: Vec<Sym> = call.args.iter().map(|&x| s(x)).collect();
                    let mut partials = vec![Sym::constant(0.0); args.len()];
                    call.op.gradient_sym(&args, &mut partials);
                    for (&x, &d) in call.args.iter().zip(&partials) {
                        if !s(x).is_constant() && active(x) {
                            accumulate(&mut adj, x, d, a);
                        }
                    }
                }
            }
        }
        adj.truncate(self.num_inputs());
        adj.resize(self.num_inputs(), None);
        adj
    }

    /// For a graph with parameters, whether each node is passive: a parameter, a constant, or
    /// computed from those alone (no input reaches it, so its derivative with respect to `x` is
    /// structurally zero). `None` without parameters (then only constants are passive, and the
    /// sweep sees those as constant `Sym`s).
    pub(crate) fn passive(&self) -> Option<Vec<bool>> {
        if self.num_params() == 0 {
            return None;
        }
        let mut passive = vec![false; self.nodes().len()];
        for (i, node) in self.nodes().iter().enumerate() {
            passive[i] = match node {
                Node::Input(_) => false,
                Node::Param(_) | Node::Const(_) => true,
                _ => node.args(self.calls()).iter().all(|&a| passive[a as usize]),
            };
        }
        Some(passive)
    }
}

/// `adj[x] += d ⊙ a`, where a structurally zero contribution (the constant 0) adds nothing.
pub(crate) fn accumulate(adj: &mut [Option<Sym>], x: u32, d: Sym, a: Sym) {
    if d.is_constant() && d.value() == 0.0 {
        return;
    }
    let c = d.chain_mul(a);
    if c.is_constant() && c.value() == 0.0 {
        return;
    }
    let slot = &mut adj[x as usize];
    *slot = Some(match *slot {
        None => c,
        Some(s) => s + c,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The derivative builder records into the recording its signature names: given one that is
    /// not the innermost (where `Sym` arithmetic would write), it stops instead of writing the
    /// derivative into another graph.
    #[test]
    #[should_panic(expected = "not the innermost")]
    fn the_derivative_builder_writes_only_to_the_recording_it_is_given() {
        let g = Graph::record(&[2.0, 3.0], |x| x[0] * x[1].sin());
        let (rec, syms) = g.replay();
        let (_inner, _) = sym::start(&[1.0], 0);
        let y = g.output_nodes()[0];
        let _ = g.sweep_seeded(&rec, &syms, &[(y, Sym::constant(1.0))]);
    }

    /// The same sweep with its recording innermost: the gradient, against the closed form.
    #[test]
    fn the_derivative_builder_records_into_the_recording_it_is_given() {
        let g = Graph::record(&[2.0, 3.0], |x| x[0] * x[1].sin());
        let (rec, syms) = g.replay();
        let y = g.output_nodes()[0];
        let adj = g.sweep_seeded(&rec, &syms, &[(y, Sym::constant(1.0))]);
        let outputs: Vec<Arg> = adj
            .iter()
            .map(|a| a.map_or(Arg::Const(0.0), Sym::arg))
            .collect();
        let grad = rec.finish().finish(&outputs);
        let out = grad.eval(&[0.5, -1.25]).unwrap();
        // to rounding, not bits: Miri, which runs the library's tests in CI, gives `sin` and `cos`
        // an error of a few ulps that differs from call to call
        let want = [(-1.25f64).sin(), 0.5 * (-1.25f64).cos()];
        assert_eq!(out.len(), 2);
        for (o, w) in out.iter().zip(want) {
            assert!((o - w).abs() <= 1e-14 * w.abs(), "{o} against {w}");
        }
    }
}
