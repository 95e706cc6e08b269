//! The graph IR: the nodes ([`Node`]: inputs, parameters, constants, operations in SSA order),
//! the custom and loop calls ([`Call`]) and the [`Graph`] that holds them with its outputs, guards
//! and recorded values. This file is the only one that sees `Graph`'s fields: the builder
//! (`record.rs`) makes a graph through [`Graph::from_parts`], and the schedule, the backends
//! (interpreter, emitted Rust, JIT), the derivative builder, the listing and the sparsity analysis
//! read it through the traversal helpers below.

use std::sync::{Arc, OnceLock};

use super::custom::CustomFn;
use super::guard::Guard;
use super::program::Program;
use crate::base::rules::{Binary, Unary};

/// One node of a graph. Every operation is an entry of the rule table ([`Unary`], [`Binary`]),
/// [`rules::mul_add`] or [`rules::chain_mul`]; arguments are indices of earlier nodes, so the list
/// is in topological order by construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Node {
    /// the i-th input
    Input(u32),
    /// the k-th parameter: a runtime input that is not differentiated (data); a leaf like an
    /// input, never folded into or merged with a constant
    Param(u32),
    /// a constant (its bits, so that the node can be hashed)
    Const(u64),
    Unary(Unary, u32),
    Binary(Binary, u32, u32),
    /// `x·a + b` rounded once
    MulAdd(u32, u32, u32),
    /// `x ⊙ y` ([`rules::chain_mul`]): the product derivative graphs multiply partials by adjoints
    /// with, exactly 0 where a factor is exactly 0
    ChainMul(u32, u32),
    /// a custom rule ([`crate::custom`]): the call `calls[k]` of the graph, which holds the rule
    /// and its operands (any number of them)
    Custom(u32),
    /// a loop ([`crate::loops`]): the call `calls[k]` of the graph, whose operands are the loop's
    /// (initial state, data, captured values) and whose `body` is the recorded loop. Its results
    /// are read by `LoopOut` nodes; the node itself has no value.
    Loop(u32),
    /// result `j` of the loop node `l` (final state, sums, then the stacked values)
    LoopOut(u32, u32),
}

/// The application of a custom rule in a graph: the rule and its operands (earlier nodes).
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub(crate) op: CustomFn,
    pub(crate) args: Box<[u32]>,
    /// the loop of a `Node::Loop` (then `op` is a placeholder that is never called)
    pub(crate) body: Option<std::sync::Arc<super::loops::LoopDef>>,
}

/// The operands of a node: up to three inline, or a custom call's list.
pub(crate) enum Operands<'a> {
    Inline([u32; 3], usize),
    Call(&'a [u32]),
}

impl core::ops::Deref for Operands<'_> {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        match self {
            Operands::Inline(a, k) => &a[..*k],
            Operands::Call(a) => a,
        }
    }
}

impl Node {
    /// The arguments (indices of earlier nodes); `calls` are the graph's custom calls.
    pub(crate) fn args<'a>(&self, calls: &'a [Call]) -> Operands<'a> {
        match *self {
            Node::Input(_) | Node::Param(_) | Node::Const(_) => Operands::Inline([0; 3], 0),
            Node::Unary(_, a) => Operands::Inline([a, 0, 0], 1),
            Node::Binary(_, a, b) | Node::ChainMul(a, b) => Operands::Inline([a, b, 0], 2),
            Node::MulAdd(a, b, c) => Operands::Inline([a, b, c], 3),
            Node::Custom(k) | Node::Loop(k) => Operands::Call(&calls[k as usize].args),
            Node::LoopOut(l, _) => Operands::Inline([l, 0, 0], 1),
        }
    }

    /// The same operation on renumbered arguments (a custom call is renumbered with its list of
    /// calls).
    pub(crate) fn map(self, mut map: impl FnMut(u32) -> u32) -> Node {
        match self {
            Node::Input(_) | Node::Param(_) | Node::Const(_) | Node::Custom(_) | Node::Loop(_) => {
                self
            }
            Node::LoopOut(l, j) => Node::LoopOut(map(l), j),
            Node::Unary(op, a) => Node::Unary(op, map(a)),
            Node::Binary(op, a, b) => Node::Binary(op, map(a), map(b)),
            Node::MulAdd(a, b, c) => Node::MulAdd(map(a), map(b), map(c)),
            Node::ChainMul(a, b) => Node::ChainMul(map(a), map(b)),
        }
    }

    /// True for an operation (not an input, a parameter or a constant).
    pub(crate) fn is_operation(&self) -> bool {
        !matches!(self, Node::Input(_) | Node::Param(_) | Node::Const(_))
    }
}

/// A function recorded as a computation graph: see the [module documentation](crate::graph).
#[derive(Clone, Debug)]
pub struct Graph {
    n_inputs: usize,
    /// the number of parameters: nodes `n_inputs..n_inputs + n_params` are `Node::Param`
    n_params: usize,
    nodes: Vec<Node>,
    /// the value of each node at the recording point
    values: Vec<f64>,
    /// 0 for a node of the recorded function, k for a node first made by the k-th derivative
    origin: Vec<u8>,
    outputs: Vec<u32>,
    guards: Vec<Guard>,
    /// 0 for a recorded function, k for the graph of its k-th derivative
    order: u8,
    /// the custom calls ([`crate::custom`]): `Node::Custom(k)` is `calls[k]`
    calls: Vec<Call>,
    program: OnceLock<Program>,
    /// the graph lowered as a loop body (its inputs' slots never reused; see
    /// [`Graph::body_program`])
    body_program: OnceLock<Program>,
    /// what messages call each input (a loop body's: `state[0]`, `row[2]`, `x[1]`, …); `None`:
    /// `x[i]`
    input_names: Option<Arc<[String]>>,
}

impl Graph {
    pub(crate) fn from_parts(
        n_inputs: usize,
        nodes: Vec<Node>,
        values: Vec<f64>,
        origin: Vec<u8>,
        outputs: Vec<u32>,
        guards: Vec<Guard>,
        order: u8,
    ) -> Graph {
        Graph {
            n_inputs,
            n_params: 0,
            nodes,
            values,
            origin,
            outputs,
            guards,
            order,
            calls: Vec::new(),
            program: OnceLock::new(),
            body_program: OnceLock::new(),
            input_names: None,
        }
    }

    /// The graph whose inputs messages call `names` (`None`: `x[i]`).
    pub(crate) fn with_input_names(mut self, names: Option<Arc<[String]>>) -> Graph {
        debug_assert!(names.as_ref().is_none_or(|n| n.len() == self.n_inputs));
        self.input_names = names;
        self
    }

    /// The names of the inputs set by [`Graph::with_input_names`].
    pub(crate) fn input_names(&self) -> Option<Arc<[String]>> {
        self.input_names.clone()
    }

    /// What messages call input `i`: `x[i]`, or the name a loop body gives it.
    pub(crate) fn input_name(&self, i: u32) -> String {
        match &self.input_names {
            Some(names) => names[i as usize].clone(),
            None => format!("x[{i}]"),
        }
    }

    /// The graph with the custom calls `calls` (those its `Node::Custom` nodes refer to).
    pub(crate) fn with_calls(mut self, calls: Vec<Call>) -> Graph {
        self.calls = calls;
        self
    }

    /// The graph with `n_params` parameters (its nodes `n_inputs..n_inputs + n_params` are
    /// `Node::Param(0..n_params)`).
    pub(crate) fn with_params(mut self, n_params: usize) -> Graph {
        self.n_params = n_params;
        self
    }
}

impl Graph {
    /// The number of inputs.
    pub fn num_inputs(&self) -> usize {
        self.n_inputs
    }

    /// The number of parameters (0 for a graph recorded by [`Graph::record`] or
    /// [`Graph::record_vec`]): runtime inputs that are not differentiated, given to
    /// [`Graph::eval_with`].
    pub fn num_params(&self) -> usize {
        self.n_params
    }

    /// The number of constant nodes: the literals of the function and the values computed from
    /// them — and any data the function captured instead of taking it as parameters (see
    /// [`Graph::record_with`]), which this count shows.
    pub fn num_constants(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n, Node::Const(_)))
            .count()
    }

    /// The number of outputs.
    pub fn num_outputs(&self) -> usize {
        self.outputs.len()
    }

    /// The number of operations (nodes that are neither inputs nor constants).
    pub fn len(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_operation()).count()
    }

    /// True if the graph has no operations (every output is an input or a constant).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of nodes: inputs, parameters, constants and operations.
    pub fn num_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// 0 for a recorded function, 1 for its gradient or Jacobian graph, 2 for its Hessian graph.
    pub fn derivative_order(&self) -> usize {
        usize::from(self.order)
    }

    /// The number of guards (decisions that evaluation checks).
    pub fn num_guards(&self) -> usize {
        self.guards.len()
    }

    /// The point the graph was recorded at.
    pub fn recording_point(&self) -> &[f64] {
        &self.values[..self.n_inputs]
    }

    /// The parameters the graph was recorded with (empty without parameters).
    pub fn recorded_params(&self) -> &[f64] {
        &self.values[self.n_inputs..self.n_inputs + self.n_params]
    }

    /// The outputs at the recording point (computed while recording, no evaluation).
    pub fn recorded_outputs(&self) -> Vec<f64> {
        self.outputs
            .iter()
            .map(|&o| self.values[o as usize])
            .collect()
    }

    /// The graph lowered for evaluation (made on first use and kept).
    pub fn program(&self) -> &Program {
        self.program.get_or_init(|| Program::new(self))
    }

    /// The graph lowered for evaluation as a loop body: like [`Graph::program`] (the same
    /// operations in the same order), but no input's slot is reused, so that a loop writes the
    /// values that do not change between iterations once per run (made on first use and kept).
    pub(crate) fn body_program(&self) -> &Program {
        self.body_program
            .get_or_init(|| Program::with_inputs_kept(self))
    }

    /// The nodes in topological order (for the sparsity analysis of [`crate::sparse`]).
    pub(crate) fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The custom calls (`Node::Custom(k)` is `calls()[k]`).
    pub(crate) fn calls(&self) -> &[Call] {
        &self.calls
    }

    /// The guards, in the order they were recorded.
    pub(crate) fn guards(&self) -> &[Guard] {
        &self.guards
    }

    /// The value of each node at the recording point.
    pub(crate) fn values(&self) -> &[f64] {
        &self.values
    }

    /// For each node, 0 if it belongs to the recorded function, k if the k-th derivative made it.
    pub(crate) fn origin(&self) -> &[u8] {
        &self.origin
    }

    /// The derivative order as recorded (see [`Graph::derivative_order`]).
    pub(crate) fn level(&self) -> u8 {
        self.order
    }

    /// The node of each output.
    pub(crate) fn output_nodes(&self) -> &[u32] {
        &self.outputs
    }
}
