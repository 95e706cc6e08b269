//! Compressed reverse sweeps over a recorded graph, with the local partials computed at run time
//! from the rule table (as the tape does), not recorded as a derivative graph.
//!
//! A derivative graph records the value-dependent choices of the derivative rules (the sign of
//! `abs`, a `max`/`min` choice, `powf`'s special cases) as guards, so it fails wherever one of
//! them comes out differently, even for a function without a single branch. Here the forward
//! pass evaluates every node's rule on `f64` (its value and its partials, whatever branch the
//! rule takes at this input), and the backward sweeps (one per row colour, each over the nodes
//! its rows depend on) push adjoints back through those numbers. The only guards are the
//! function's own, checked on its program, so an error names the function's nodes. The same
//! tape over dual numbers gives Hessian-vector products (forward over reverse).
//!
//! Parameters ([`Graph::record_with`]) are leaves read from `p` at each evaluation and never
//! differentiated: as in graph mode's derivative, a parameter, a constant and every node computed
//! from those alone get no adjoint (and their partials are never asked for).

use num_traits::Float;

use crate::base::rules::{self, Need};
use crate::graph::{Call, Graph, Node, Value};

/// The forward pass: the graph's nodes, and after [`Tape::forward`] their values at the input
/// and their local partials, in `T` (`f64` for Jacobians; dual numbers for Hessian-vector
/// products, forward over this reverse sweep).
#[derive(Clone, Debug)]
pub(crate) struct Tape<T = f64> {
    n_inputs: usize,
    n_params: usize,
    nodes: Vec<Node>,
    /// per node: whether it is passive (gets no adjoint): a constant and, in a graph with
    /// parameters, a parameter or a node computed from parameters and constants alone (no input
    /// reaches it), as in graph mode's derivative
    passive: Vec<bool>,
    calls: Vec<Call>,
    outputs: Vec<u32>,
    /// node i's partials (one per operand) are `partials[offsets[i]..offsets[i + 1]]`
    offsets: Vec<u32>,
    values: Vec<T>,
    partials: Vec<T>,
    /// the operands of a custom call
    scratch: Vec<T>,
}

impl<T: Value + Float> Tape<T> {
    /// The tape of `g`. Its custom rules ([`crate::custom`]) are evaluated with their gradient
    /// in `T` (`f64` only: the caller makes sure).
    pub(crate) fn new(g: &Graph) -> Tape<T> {
        if g.has_loops() {
            return Tape::new(&g.unrolled());
        }
        let nodes = g.nodes().to_vec();
        let calls = g.calls().to_vec();
        let mut offsets = Vec::with_capacity(nodes.len() + 1);
        let mut at = 0u32;
        let mut widest = 0;
        for node in &nodes {
            offsets.push(at);
            let k = node.args(&calls).len();
            widest = widest.max(k);
            at += k as u32;
        }
        offsets.push(at);
        let passive = if g.num_params() == 0 {
            nodes.iter().map(|n| matches!(n, Node::Const(_))).collect()
        } else {
            let mut passive = vec![false; nodes.len()];
            for (i, node) in nodes.iter().enumerate() {
                passive[i] = match node {
                    Node::Input(_) => false,
                    Node::Param(_) | Node::Const(_) => true,
                    _ => node.args(&calls).iter().all(|&a| passive[a as usize]),
                };
            }
            passive
        };
        Tape {
            n_inputs: g.num_inputs(),
            n_params: g.num_params(),
            passive,
            outputs: g.output_nodes().to_vec(),
            values: vec![T::zero(); nodes.len()],
            partials: vec![T::zero(); at as usize],
            scratch: vec![T::zero(); widest],
            offsets,
            nodes,
            calls,
        }
    }

    /// The number of nodes.
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Evaluates every node at the inputs `x` and the parameters `p` (one value each: the caller
    /// checks), with its partials. The values are the interpreter's bit for bit (both are the
    /// rule table's).
    pub(crate) fn forward(&mut self, x: &[T], p: &[T]) {
        debug_assert_eq!(x.len(), self.n_inputs);
        debug_assert_eq!(p.len(), self.n_params);
        let v = &mut self.values;
        for (i, node) in self.nodes.iter().enumerate() {
            let at = self.offsets[i] as usize;
            let d = &mut self.partials[at..];
            v[i] = match *node {
                Node::Input(k) => x[k as usize],
                Node::Param(k) => p[k as usize],
                Node::Const(bits) => T::from_constant(f64::from_bits(bits)),
                Node::Loop(_) | Node::LoopOut(..) => unreachable!("loops are unrolled first"),
                // a function `Float` lacks (erf) takes its value from the level below, as the
                // interpreter does, so that dual numbers keep its derivatives
                Node::Unary(op, a) if op.float_lacks() => {
                    d[0] = op.eval_for(v[a as usize], Need::DERIVATIVE).1;
                    v[a as usize].apply_unary(op)
                }
                Node::Unary(op, a) => {
                    let (y, da) = op.eval(v[a as usize]);
                    d[0] = da;
                    y
                }
                Node::Binary(op, a, b) => {
                    // what graph mode's derivative asks for (a passive operand's partial is
                    // never used), so that the numbers are the same
                    let need = Need {
                        value: true,
                        dx: !self.passive[a as usize],
                        dy: !self.passive[b as usize],
                    };
                    let (y, da, db) = op.eval_for(v[a as usize], v[b as usize], need);
                    d[0] = da;
                    d[1] = db;
                    y
                }
                Node::MulAdd(a, b, c) => {
                    let (y, da, db, dc) =
                        rules::mul_add(v[a as usize], v[b as usize], v[c as usize]);
                    (d[0], d[1], d[2]) = (da, db, dc);
                    y
                }
                Node::ChainMul(a, b) => {
                    let (y, da, db) = rules::chain_mul(v[a as usize], v[b as usize]);
                    (d[0], d[1]) = (da, db);
                    y
                }
                Node::Custom(k) => {
                    let call = &self.calls[k as usize];
                    let args = &mut self.scratch[..call.args.len()];
                    for (s, &a) in args.iter_mut().zip(call.args.iter()) {
                        *s = v[a as usize];
                    }
                    T::custom_gradient(&call.op, args, &mut d[..args.len()]);
                    T::apply_custom(&call.op, args)
                }
            };
        }
    }

    /// The value of output `k` after [`Tape::forward`].
    pub(crate) fn output(&self, k: usize) -> T {
        self.values[self.outputs[k] as usize]
    }

    /// The gradient of output 0 at the input of the last [`Tape::forward`], into `adj` (one
    /// entry per node; the first `n` are the inputs'): one reverse sweep with the adjoints in
    /// `T`. Over dual numbers seeded with directions, the tangents of the result are
    /// Hessian-vector products. Adjoints are accumulated as `x̄ += ∂v/∂x ⊙ v̄` in reverse node
    /// order, operands in order, as graph mode's gradient does: the same products and sums.
    pub(crate) fn gradient(&self, adj: &mut [T]) {
        adj.fill(T::zero());
        adj[self.outputs[0] as usize] = T::one();
        // Only an adjoint or a partial that is exactly zero in every part is skipped:
        // `is_zero` answers for the value alone, and over dual numbers a zero value may carry a
        // second derivative (d²/dx² of max(x, y)² at x = 0 > y is 2, from the adjoint 2·max = 0
        // with tangent 2); `⊙` then keeps it.
        for i in (0..self.nodes.len()).rev() {
            let a = adj[i];
            if a.is_exactly_zero() {
                continue;
            }
            let p = self.offsets[i] as usize;
            for (k, &x) in self.nodes[i].args(&self.calls).iter().enumerate() {
                if self.passive[x as usize] {
                    continue;
                }
                let d = self.partials[p + k];
                if d.is_exactly_zero() {
                    continue; // nothing to add (graph mode leaves a zero partial out too)
                }
                let c = rules::chain_mul(d, a).0;
                adj[x as usize] = adj[x as usize] + c;
            }
        }
    }
}

/// The backward sweep of a block of up to 16 row colours: one pass over the nodes in reverse
/// order, carrying for each node one adjoint per colour whose rows depend on it (found when the
/// plan is built: most nodes of a function with structure serve the rows of one colour only), so
/// that every row is swept once, rows of one colour share no work, and nothing is spent on
/// adjoints that are structurally 0.
#[derive(Clone, Debug)]
pub(crate) struct Sweep {
    /// per node: the colours of the block that reach it (bit k: colour k)
    mask: Vec<u16>,
    /// per node: where its adjoints start in `adj` (one per bit of its mask, in colour order)
    start: Vec<u32>,
    adj: Vec<f64>,
    /// the adjoints seeded with 1 (the outputs of each colour)
    seeds: Vec<u32>,
    /// (position in the Jacobian's values, index into `adj`)
    map: Vec<(usize, u32)>,
}

impl Sweep {
    /// The sweep over `tape` for the outputs `groups[k]` of each colour k of the block (at most
    /// 16), giving the entries `entries` (position in the Jacobian's values, colour k of the
    /// block, input j).
    pub(crate) fn new(
        tape: &Tape<f64>,
        groups: &[Vec<usize>],
        entries: Vec<(usize, usize, u32)>,
    ) -> Sweep {
        assert!(groups.len() <= 16, "a sweep carries at most 16 colours");
        let n = tape.len();
        let mut mask = vec![0u16; n];
        for (k, group) in groups.iter().enumerate() {
            for &o in group {
                mask[tape.outputs[o] as usize] |= 1 << k;
            }
        }
        for i in (0..n).rev() {
            let m = mask[i];
            if m == 0 {
                continue;
            }
            for &a in tape.nodes[i].args(&tape.calls).iter() {
                if !tape.passive[a as usize] {
                    mask[a as usize] |= m;
                }
            }
        }
        let mut start = Vec::with_capacity(n);
        let mut at = 0u32;
        for &m in &mask {
            start.push(at);
            at += m.count_ones();
        }
        let slot = |node: usize, k: usize| -> u32 {
            debug_assert!(mask[node] & (1 << k) != 0);
            start[node] + (mask[node] & ((1u16 << k) - 1)).count_ones()
        };
        let seeds = groups
            .iter()
            .enumerate()
            .flat_map(|(k, group)| group.iter().map(move |&o| (k, o)))
            .map(|(k, o)| slot(tape.outputs[o] as usize, k))
            .collect();
        let map = entries
            .into_iter()
            .map(|(pos, k, j)| (pos, slot(j as usize, k)))
            .collect();
        Sweep {
            adj: vec![0.0; at as usize],
            mask,
            start,
            seeds,
            map,
        }
    }

    /// The backward sweep over the partials of the last [`Tape::forward`]. Adjoints are
    /// accumulated as `x̄ += ∂v/∂x ⊙ v̄` in reverse node order, operands in order, as graph
    /// mode's derivative does: the same products and sums. A node whose adjoint is 0 passes
    /// nothing on (also where a partial is ±∞ or NaN: the zero-adjoint convention).
    pub(crate) fn run(&mut self, tape: &Tape<f64>) {
        let adj = &mut self.adj;
        adj.fill(0.0);
        for &s in &self.seeds {
            adj[s as usize] += 1.0;
        }
        for i in (0..self.mask.len()).rev() {
            let m = self.mask[i];
            if m == 0 {
                continue;
            }
            let p = tape.offsets[i] as usize;
            let args = tape.nodes[i].args(&tape.calls);
            let (mut bits, mut r) = (m, self.start[i] as usize);
            while bits != 0 {
                let below = (bits & bits.wrapping_neg()) - 1; // the colours before this one
                bits &= bits - 1;
                let a = adj[r];
                r += 1;
                if a == 0.0 {
                    continue;
                }
                for (q, &x) in args.iter().enumerate() {
                    let x = x as usize;
                    if tape.passive[x] {
                        continue;
                    }
                    let d = tape.partials[p + q];
                    if d != 0.0 {
                        // d ⊙ a with both nonzero, into x's adjoint of this colour
                        let at =
                            self.start[x] as usize + (self.mask[x] & below).count_ones() as usize;
                        adj[at] += d * a;
                    }
                }
            }
        }
    }

    /// The Jacobian entries of the last [`Sweep::run`], into `dst`.
    pub(crate) fn gather(&self, dst: &mut [f64]) {
        for &(pos, k) in &self.map {
            dst[pos] = self.adj[k as usize];
        }
    }
}
