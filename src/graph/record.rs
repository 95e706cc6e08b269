//! The graph under construction: nodes in SSA order, hash-consed, with constant folding and the
//! IEEE-exact identities, the values at the recording point, and the guards.

use core::hash::{BuildHasherDefault, Hasher};
use std::collections::{HashMap, HashSet};

use super::Graph;
use super::guard::{Guard, Origin, Test};
use super::ir::{Call, Node};
use crate::base::rules::{self, Binary, Unary};
use crate::graph::custom::CustomFn;

/// An operand while recording: a constant (not yet a node) or a node.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Arg {
    Const(f64),
    Node(u32),
}

/// A small multiplicative hash for node keys (integers only; the default SipHash costs more than
/// the rest of recording an operation, and nothing here needs resistance to chosen inputs).
#[derive(Default)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_i32(&mut self, i: i32) {
        self.write_u64(i as u32 as u64);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_isize(&mut self, i: isize) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxBuild = BuildHasherDefault<FxHasher>;

/// A graph being recorded.
pub(crate) struct Builder {
    /// the recording's id (every [`Sym`](super::Sym) carries the id of its recording)
    pub(crate) id: u64,
    pub(crate) n_inputs: usize,
    /// the number of parameters (nodes `n_inputs..n_inputs + n_params`)
    pub(crate) n_params: usize,
    pub(crate) nodes: Vec<Node>,
    /// the value of every node at the recording point
    pub(crate) values: Vec<f64>,
    /// 0 for nodes of the recorded function, k for nodes first made by the k-th derivative
    pub(crate) origin: Vec<u8>,
    /// the origin given to new nodes
    pub(crate) level: u8,
    table: HashMap<Node, u32, FxBuild>,
    pub(crate) guards: Vec<Guard>,
    guard_set: HashSet<Guard, FxBuild>,
    /// the custom calls (`Node::Custom(k)` is `calls[k]`)
    pub(crate) calls: Vec<Call>,
    /// the node of each call of a zero-sized rule, by rule type and operands (shared
    /// subexpressions; a rule that carries data is never merged)
    call_table: HashMap<(core::any::TypeId, Box<[u32]>), u32>,
    /// for the body of a loop being recorded: how values of the enclosing recording become inputs
    pub(crate) lift: Option<Lift>,
    /// loop nodes whose results are read from another loop node instead (see
    /// [`Builder::alias_loop`])
    aliases: Vec<(u32, u32)>,
}

/// The values of the enclosing recording a loop body uses (its free inputs): each becomes an input
/// of the body, made the first time the body uses it.
pub(crate) struct Lift {
    /// the enclosing recording's id
    pub(crate) parent: u64,
    /// the body's input for each node of the enclosing recording used so far
    map: HashMap<u32, u32, FxBuild>,
    /// the nodes of the enclosing recording used, in the order of their inputs
    pub(crate) free: Vec<u32>,
    /// the index of the first free input (after the state and the windows)
    first: u32,
}

impl Builder {
    /// A graph with the inputs `x0` (nodes `0..n`) and nothing else.
    pub(crate) fn new(id: u64, x0: &[f64]) -> Builder {
        Builder::with_params(id, x0, &[])
    }

    /// A graph with the inputs `x0` (nodes `0..n`), the parameters `p0` (nodes `n..n + p0.len()`)
    /// and nothing else.
    pub(crate) fn with_params(id: u64, x0: &[f64], p0: &[f64]) -> Builder {
        let n = x0.len();
        assert!(
            n < u32::MAX as usize / 2,
            "nilpotent::graph: {n} inputs are more than a graph can hold"
        );
        assert!(
            p0.len() < u32::MAX as usize / 2 - n,
            "nilpotent::graph: {} parameters are more than a graph can hold",
            p0.len()
        );
        let mut b = Builder {
            id,
            n_inputs: n,
            n_params: p0.len(),
            nodes: Vec::with_capacity(n + 16),
            values: Vec::with_capacity(n + 16),
            origin: Vec::with_capacity(n + 16),
            level: 0,
            table: HashMap::default(),
            guards: Vec::new(),
            guard_set: HashSet::default(),
            calls: Vec::new(),
            call_table: HashMap::new(),
            lift: None,
            aliases: Vec::new(),
        };
        for (i, &v) in x0.iter().enumerate() {
            b.node(Node::Input(i as u32), v);
        }
        for (k, &v) in p0.iter().enumerate() {
            b.node(Node::Param(k as u32), v);
        }
        b
    }

    /// A loop body's recording: the inputs `x0` (state and windows), then the free inputs
    /// `free` (nodes of the recording `parent`, with their values), which a body recorded earlier
    /// for the same loop uses; more are added as the body uses them.
    pub(crate) fn body(id: u64, x0: &[f64], parent: u64, free: &[(u32, f64)]) -> Builder {
        let mut b = Builder::new(id, x0);
        b.lift = Some(Lift {
            parent,
            map: HashMap::default(),
            free: Vec::new(),
            first: x0.len() as u32,
        });
        for &(outer, v) in free {
            b.lift_node(outer, v);
        }
        b
    }

    /// The body's input for the node `outer` of the enclosing recording, whose value is `value`
    /// (made on first use).
    pub(crate) fn lift_node(&mut self, outer: u32, value: f64) -> u32 {
        let lift = self
            .lift
            .as_mut()
            .expect("nilpotent::graph: a value lifted into a recording that is not a loop body");
        if let Some(&i) = lift.map.get(&outer) {
            return i;
        }
        let index = lift.first + lift.free.len() as u32;
        lift.free.push(outer);
        let i = self.node(Node::Input(index), value);
        self.lift.as_mut().map(|l| l.map.insert(outer, i));
        i
    }

    /// The loop `body` applied to the operands `args` (a new node, never merged with another),
    /// and its results with their values: returns the loop node and the node of result 0 (the
    /// others follow it).
    pub(crate) fn add_loop(
        &mut self,
        op: CustomFn,
        body: std::sync::Arc<super::loops::LoopDef>,
        args: Box<[u32]>,
        values: &[f64],
    ) -> (u32, u32) {
        let k = self.calls.len() as u32;
        self.calls.push(Call {
            op,
            args,
            body: Some(body),
        });
        let l = self.node(Node::Loop(k), 0.0);
        let first = self.nodes.len() as u32;
        for (j, &v) in values.iter().enumerate() {
            self.node(Node::LoopOut(l, j as u32), v);
        }
        (l, first)
    }

    /// Moves the inputs (made in any order while a loop body was recorded) to the front, in the
    /// order of their indices; returns the new index of every node.
    pub(crate) fn hoist_inputs(&mut self) -> Vec<u32> {
        let n = self.nodes.len();
        let mut inputs: Vec<(u32, usize)> = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            if let Node::Input(k) = *node {
                inputs.push((k, i));
            }
        }
        inputs.sort_unstable();
        let mut order: Vec<usize> = inputs.iter().map(|&(_, i)| i).collect();
        order.extend((0..n).filter(|&i| !matches!(self.nodes[i], Node::Input(_))));
        let mut index = vec![0u32; n];
        for (new, &old) in order.iter().enumerate() {
            index[old] = new as u32;
        }
        self.nodes = order
            .iter()
            .map(|&old| self.nodes[old].map(|a| index[a as usize]))
            .collect();
        self.values = order.iter().map(|&old| self.values[old]).collect();
        self.origin = order.iter().map(|&old| self.origin[old]).collect();
        for call in &mut self.calls {
            for a in call.args.iter_mut() {
                *a = index[*a as usize];
            }
        }
        for g in &mut self.guards {
            g.test = g.test.map(|a| index[a as usize]);
        }
        self.guard_set = self.guards.iter().copied().collect();
        self.table.clear();
        self.call_table.clear();
        self.n_inputs = inputs.len();
        index
    }

    /// Makes room for `additional` more nodes without rehashing.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.nodes.reserve(additional);
        self.values.reserve(additional);
        self.origin.reserve(additional);
        self.table.reserve(additional);
    }

    /// The node `node` with value `value`: an existing equal node, or a new one.
    fn node(&mut self, node: Node, value: f64) -> u32 {
        let next = self.nodes.len() as u32;
        // an input, a parameter and a loop's result are made once each (nothing to share): not
        // hashed, which was half the time of recording a loss over 50 000 rows of data as
        // parameters (5 million parameter nodes)
        let index = match node {
            Node::Input(_) | Node::Param(_) | Node::LoopOut(..) => next,
            _ => *self.table.entry(node).or_insert(next),
        };
        if index == next {
            assert!(
                next < u32::MAX - 1,
                "nilpotent::graph: the graph is full ({next} nodes)"
            );
            self.nodes.push(node);
            self.values.push(value);
            self.origin.push(self.level);
        }
        index
    }

    /// The node of an operand (a constant becomes a node).
    pub(crate) fn materialize(&mut self, a: Arg) -> u32 {
        match a {
            Arg::Node(i) => i,
            Arg::Const(c) => self.node(Node::Const(c.to_bits()), c),
        }
    }

    /// `op(a)`: folded if `a` is a constant; `−(−x)` is `x`, `powi(x, 1)` is `x` (exact for
    /// every x, ±0, ±∞ and NaN included: the derivative of `powi(x, 2)` makes it).
    pub(crate) fn unary(&mut self, op: Unary, a: Arg) -> Arg {
        let x = match a {
            Arg::Const(c) => return Arg::Const(op.eval(c).0),
            Arg::Node(x) => x,
        };
        if let (Unary::Neg, Node::Unary(Unary::Neg, inner)) = (op, self.nodes[x as usize]) {
            return Arg::Node(inner);
        }
        if op == Unary::Powi(1) {
            return Arg::Node(x);
        }
        let v = op.eval(self.values[x as usize]).0;
        Arg::Node(self.node(Node::Unary(op, x), v))
    }

    /// `op(a, b)`: folded if both are constants; the IEEE-exact identities `x·1 = 1·x = x`,
    /// `x/1 = x`, `x + (−0) = (−0) + x = x`, `x − (+0) = x` (and none that is not exact for every
    /// x, such as `x·0 = 0`, `x − x = 0` or `x/x = 1`, which are false for ±∞ and NaN); the
    /// operands of `+` and `×` in a canonical order, so that `a + b` and `b + a` are one node.
    pub(crate) fn binary(&mut self, op: Binary, a: Arg, b: Arg) -> Arg {
        match (a, b) {
            (Arg::Const(x), Arg::Const(y)) => return Arg::Const(op.eval(x, y).0),
            (x, Arg::Const(c)) | (Arg::Const(c), x) if op == Binary::Mul && c == 1.0 => {
                return x;
            }
            (x, Arg::Const(c)) if op == Binary::Div && c == 1.0 => return x,
            (x, Arg::Const(c)) | (Arg::Const(c), x)
                if op == Binary::Add && c == 0.0 && c.is_sign_negative() =>
            {
                return x;
            }
            (x, Arg::Const(c)) if op == Binary::Sub && c == 0.0 && c.is_sign_positive() => {
                return x;
            }
            _ => {}
        }
        let (mut x, mut y) = (self.materialize(a), self.materialize(b));
        if matches!(op, Binary::Add | Binary::Mul) && x > y {
            core::mem::swap(&mut x, &mut y);
        }
        // the value in the stored order, as the backends compute it (with two NaN operands, x86
        // returns the first one: the recorded value must be that one)
        let v = op.eval(self.values[x as usize], self.values[y as usize]).0;
        Arg::Node(self.node(Node::Binary(op, x, y), v))
    }

    /// `x·a + b` rounded once (folded if all three are constants).
    pub(crate) fn mul_add(&mut self, x: Arg, a: Arg, b: Arg) -> Arg {
        if let (Arg::Const(x), Arg::Const(a), Arg::Const(b)) = (x, a, b) {
            return Arg::Const(rules::mul_add(x, a, b).0);
        }
        let (mut x, mut a, b) = (
            self.materialize(x),
            self.materialize(a),
            self.materialize(b),
        );
        if x > a {
            core::mem::swap(&mut x, &mut a);
        }
        // in the stored order (see `binary`)
        let vals = &self.values;
        let v = rules::mul_add(vals[x as usize], vals[a as usize], vals[b as usize]).0;
        Arg::Node(self.node(Node::MulAdd(x, a, b), v))
    }

    /// `a ⊙ b`: exactly 0 if either is the constant 0; the other operand if one is the constant 1,
    /// its negation if one is −1; a plain product if one is another finite nonzero constant (then
    /// the two agree for every value of the other).
    pub(crate) fn chain_mul(&mut self, a: Arg, b: Arg) -> Arg {
        match (a, b) {
            (Arg::Const(x), Arg::Const(y)) => return Arg::Const(rules::chain_mul(x, y).0),
            (_, Arg::Const(c)) | (Arg::Const(c), _) if c == 0.0 => return Arg::Const(0.0),
            // x·(−1) is −x exactly (for every x but NaN, whose sign is not specified)
            (x, Arg::Const(c)) | (Arg::Const(c), x) if c == -1.0 => {
                return self.unary(Unary::Neg, x);
            }
            (x, Arg::Const(c)) | (Arg::Const(c), x) if c.is_finite() => {
                return self.binary(Binary::Mul, x, Arg::Const(c));
            }
            _ => {}
        }
        let (mut x, mut y) = (self.materialize(a), self.materialize(b));
        if x > y {
            core::mem::swap(&mut x, &mut y);
        }
        // in the stored order (see `binary`)
        let v = rules::chain_mul(self.values[x as usize], self.values[y as usize]).0;
        Arg::Node(self.node(Node::ChainMul(x, y), v))
    }

    /// The custom rule `op` applied to `args`, whose value `v` the caller computed (the rule is
    /// user code, which may record a graph of its own: it must not run while the recording is
    /// borrowed): the constant `v` if all are constants; the existing node for the same
    /// zero-sized rule on the same operands.
    pub(crate) fn custom(&mut self, op: &CustomFn, args: &[Arg], v: f64) -> Arg {
        if args.iter().all(|a| matches!(a, Arg::Const(_))) {
            return Arg::Const(v);
        }
        let operands: Box<[u32]> = args.iter().map(|&a| self.materialize(a)).collect();
        if let Some(key) = op.key()
            && let Some(&i) = self.call_table.get(&(key, operands.clone()))
        {
            return Arg::Node(i);
        }
        let k = self.calls.len() as u32;
        self.calls.push(Call {
            op: op.clone(),
            args: operands.clone(),
            body: None,
        });
        let i = self.node(Node::Custom(k), v);
        if let Some(key) = op.key() {
            self.call_table.insert((key, operands), i);
        }
        Arg::Node(i)
    }

    /// Records the decision `test` with the answer `expected` (once: an equal guard is kept only
    /// the first time).
    pub(crate) fn guard(&mut self, test: Test, expected: u64) {
        self.guard_at(test, expected, None);
    }

    /// [`Builder::guard`] for a decision made at `origin` in the recorded code.
    pub(crate) fn guard_at(&mut self, test: Test, expected: u64, origin: Option<Origin>) {
        let g = Guard {
            test,
            expected,
            origin,
        };
        if self.guard_set.insert(g) {
            self.guards.push(g);
        }
    }

    /// The finished graph with the given outputs, without the nodes that neither an output nor a
    /// guard needs (the inputs and parameters are always kept: they are the graph's interface).
    /// Its derivative order is the current `level` (0 for a recorded function).
    /// From [`Builder::finish`] on, the results of the loop node `from` are read from the loop
    /// node `to` (a later node, which does not depend on `from`, whose results start with the same
    /// values): every `LoopOut(from, j)` becomes `LoopOut(to, j)`, and the nodes are put in an
    /// order where each comes after its operands again. `from` is then read by nothing and left
    /// out (a gradient's forward loop whose sums its reverse loop computes, see
    /// [`Graph::reverse_loop`](super::Graph::reverse_loop)).
    pub(crate) fn alias_loop(&mut self, from: u32, to: u32) {
        debug_assert!(from < to, "an alias to an earlier loop");
        self.aliases.push((from, to));
    }

    /// True if one of the nodes `of` depends on the node `on` (is it, or has it among its
    /// operands' operands), where the results of a loop aliased by [`Builder::alias_loop`]
    /// depend on what they will be read from: two sums whose adjoints each need the other's value
    /// (`a·b + a`) cannot both be read from their reverse loops, which would then wait on each
    /// other.
    pub(crate) fn depends_on(&self, on: u32, of: impl Iterator<Item = usize>) -> bool {
        let alias: HashMap<u32, u32, FxBuild> = self.aliases.iter().copied().collect();
        let mut seen = vec![false; self.nodes.len()];
        let mut stack: Vec<u32> = of.map(|x| x as u32).collect();
        while let Some(x) = stack.pop() {
            if x == on {
                return true;
            }
            if std::mem::replace(&mut seen[x as usize], true) {
                continue;
            }
            match self.nodes[x as usize] {
                Node::LoopOut(l, _) if alias.contains_key(&l) => stack.push(alias[&l]),
                node => stack.extend(node.args(&self.calls).iter()),
            }
        }
        false
    }

    /// The aliases of [`Builder::alias_loop`] applied to the nodes, which are then renumbered in
    /// an order where each comes after its operands (a depth-first post-order from the first node
    /// on: the same order where no alias moves a node); returns the new number of each node.
    fn apply_aliases(&mut self) -> Vec<u32> {
        let alias: HashMap<u32, u32, FxBuild> = self.aliases.iter().copied().collect();
        for node in &mut self.nodes {
            if let Node::LoopOut(l, j) = *node
                && let Some(&to) = alias.get(&l)
            {
                *node = Node::LoopOut(to, j);
            }
        }
        let n = self.nodes.len();
        const UNSEEN: u32 = u32::MAX;
        let mut index = vec![UNSEEN; n];
        let mut order: Vec<u32> = Vec::with_capacity(n);
        // (node, operands visited so far): an explicit stack, as chains can be long
        let mut stack: Vec<(u32, usize)> = Vec::new();
        // the nodes on the stack (one met again there would be a cycle)
        let mut open = vec![false; n];
        for root in 0..n as u32 {
            if index[root as usize] != UNSEEN {
                continue;
            }
            open[root as usize] = true;
            stack.push((root, 0));
            while let Some(&mut (x, ref mut next)) = stack.last_mut() {
                let args = self.nodes[x as usize].args(&self.calls);
                let mut unseen = None;
                while *next < args.len() {
                    let a = args[*next];
                    *next += 1;
                    if index[a as usize] == UNSEEN {
                        unseen = Some(a);
                        break;
                    }
                }
                match unseen {
                    Some(a) => {
                        assert!(
                            !std::mem::replace(&mut open[a as usize], true),
                            "nilpotent::graph: a loop aliased to one that depends on it (a bug)"
                        );
                        stack.push((a, 0));
                    }
                    None => {
                        stack.pop();
                        index[x as usize] = order.len() as u32;
                        order.push(x);
                    }
                }
            }
        }
        let nodes: Vec<Node> = order
            .iter()
            .map(|&x| self.nodes[x as usize].map(|a| index[a as usize]))
            .collect();
        self.values = order.iter().map(|&x| self.values[x as usize]).collect();
        self.origin = order.iter().map(|&x| self.origin[x as usize]).collect();
        self.nodes = nodes;
        for call in &mut self.calls {
            call.args = call.args.iter().map(|&a| index[a as usize]).collect();
        }
        for g in &mut self.guards {
            g.test = g.test.map(|a| index[a as usize]);
        }
        self.aliases.clear();
        index
    }

    pub(crate) fn finish(mut self, outputs: &[Arg]) -> Graph {
        let mut outputs: Vec<u32> = outputs.iter().map(|&a| self.materialize(a)).collect();
        if !self.aliases.is_empty() {
            let index = self.apply_aliases();
            for o in &mut outputs {
                *o = index[*o as usize];
            }
        }
        let n = self.nodes.len();
        let mut live = vec![false; n];
        live[..self.n_inputs + self.n_params].fill(true);
        for &o in &outputs {
            live[o as usize] = true;
        }
        // a loop whose body checks guards is kept as the unrolled loop's guards would be
        for (i, node) in self.nodes.iter().enumerate() {
            if let Node::Loop(k) = *node
                && self.calls[k as usize]
                    .body
                    .as_ref()
                    .is_some_and(|b| b.has_guards())
            {
                live[i] = true;
            }
        }
        for g in &self.guards {
            let (ops, k) = g.test.operands();
            for &o in &ops[..k] {
                live[o as usize] = true;
            }
        }
        for i in (0..n).rev() {
            if live[i] {
                for &a in self.nodes[i].args(&self.calls).iter() {
                    live[a as usize] = true;
                }
            }
        }
        if live.iter().all(|&l| l) {
            // nothing to remove (the usual case for a recorded function): keep the vectors
            return Graph::from_parts(
                self.n_inputs,
                self.nodes,
                self.values,
                self.origin,
                outputs,
                self.guards,
                self.level,
            )
            .with_calls(self.calls)
            .with_params(self.n_params);
        }
        let mut index = vec![u32::MAX; n];
        let mut nodes = Vec::with_capacity(n);
        let mut values = Vec::with_capacity(n);
        let mut origin = Vec::with_capacity(n);
        let mut calls = Vec::new();
        for i in 0..n {
            if live[i] {
                index[i] = nodes.len() as u32;
                let node = match self.nodes[i] {
                    Node::Custom(k) | Node::Loop(k) => {
                        let call = &self.calls[k as usize];
                        calls.push(Call {
                            op: call.op.clone(),
                            args: call.args.iter().map(|&a| index[a as usize]).collect(),
                            body: call.body.clone(),
                        });
                        let k = calls.len() as u32 - 1;
                        match self.nodes[i] {
                            Node::Loop(_) => Node::Loop(k),
                            _ => Node::Custom(k),
                        }
                    }
                    node => node,
                };
                nodes.push(node.map(|a| index[a as usize]));
                values.push(self.values[i]);
                origin.push(self.origin[i]);
            }
        }
        let guards = self
            .guards
            .iter()
            .map(|g| Guard {
                test: g.test.map(|a| index[a as usize]),
                ..*g
            })
            .collect();
        Graph::from_parts(
            self.n_inputs,
            nodes,
            values,
            origin,
            outputs.iter().map(|&o| index[o as usize]).collect(),
            guards,
            self.level,
        )
        .with_calls(calls)
        .with_params(self.n_params)
    }
}
