//! The lowered form of a graph: a flat list of instructions over a small array of work slots, and
//! the interpreter that runs it for any value type.

use super::Graph;
use super::guard::{GraphError, Test, Words};
use super::ir::{Node, Operands};
use super::schedule::{self, Schedule, Step};
use crate::base::observe::{Compare, Observe};
use crate::base::rules::{self, Binary, Unary};
use crate::forward::Dual;
use crate::graph::custom::CustomFn;
use num_traits::Float;
use std::sync::Arc;

use super::loops::LoopDef;

/// A value type a [`Program`] can be evaluated on: `f64`, `f32`, and dual numbers over them (so
/// that forward mode runs on a graph: J·r of a recorded function in one evaluation).
///
/// Every operation is the rule table's: the value of [`Unary::eval`] and [`Binary::eval`] for
/// plain floats, the full chain rule for dual numbers.
pub trait Value: Copy {
    /// The constant `c` (rounded to the type).
    fn from_constant(c: f64) -> Self;
    /// `op(self)`.
    fn apply_unary(self, op: Unary) -> Self;
    /// `op(self, y)`.
    fn apply_binary(self, op: Binary, y: Self) -> Self;
    /// `self·a + b` rounded once.
    fn apply_mul_add(self, a: Self, b: Self) -> Self;
    /// `self ⊙ y` ([`rules::chain_mul`]).
    fn apply_chain_mul(self, y: Self) -> Self;
    /// `self·y + z` with two roundings (the product, then the sum).
    #[inline(always)]
    fn apply_mul_then_add(self, y: Self, z: Self) -> Self {
        self.apply_binary(Binary::Mul, y)
            .apply_binary(Binary::Add, z)
    }
    /// `(self ⊙ y) + z`.
    #[inline(always)]
    fn apply_chain_mul_then_add(self, y: Self, z: Self) -> Self {
        self.apply_chain_mul(y).apply_binary(Binary::Add, z)
    }
    /// The (innermost) real value, which guards are checked on.
    fn real_part(&self) -> f64;
    /// True if every part (value and every derivative, at every level) is exactly zero: the
    /// structural test that tells a dual number over this type carries no tangent
    /// ([`Zero::is_zero`](num_traits::Zero::is_zero) answers for the value only). The default,
    /// `false`, is always safe.
    #[doc(hidden)]
    #[inline(always)]
    fn is_exactly_zero(&self) -> bool {
        false
    }
    /// A custom rule ([`crate::custom`]) applied to `args`. Implemented for `f64`, `f32` and dual
    /// numbers over them; the default panics, naming the rule.
    #[doc(hidden)]
    fn apply_custom(op: &CustomFn, args: &[Self]) -> Self {
        let _ = args;
        panic!(
            "nilpotent::graph: the custom rule `{}` cannot be evaluated on {}",
            op.name(),
            core::any::type_name::<Self>()
        )
    }
    /// The gradient of a custom rule at `args`, in this type (for the tangents of dual numbers
    /// over it). Implemented for `f64` and `f32`; the default panics, naming the rule.
    #[doc(hidden)]
    fn custom_gradient(op: &CustomFn, args: &[Self], grad: &mut [Self]) {
        let _ = (args, grad);
        panic!(
            "nilpotent::graph: the interpreter evaluates the custom rule `{}` on f64, f32 and dual \
             numbers over them (first derivatives), not on dual numbers over {} (nested dual \
             numbers); for higher derivatives build derivative graphs (Graph::gradient, \
             Graph::hessian) and evaluate those",
            op.name(),
            core::any::type_name::<Self>()
        )
    }
}

impl Value for f64 {
    #[inline(always)]
    fn from_constant(c: f64) -> f64 {
        c
    }
    #[inline(always)]
    fn apply_unary(self, op: Unary) -> f64 {
        op.eval(self).0
    }
    #[inline(always)]
    fn apply_binary(self, op: Binary, y: f64) -> f64 {
        op.eval(self, y).0
    }
    #[inline(always)]
    fn apply_mul_add(self, a: f64, b: f64) -> f64 {
        rules::mul_add(self, a, b).0
    }
    #[inline(always)]
    fn apply_chain_mul(self, y: f64) -> f64 {
        rules::chain_mul(self, y).0
    }
    #[inline(always)]
    fn is_exactly_zero(&self) -> bool {
        *self == 0.0
    }
    #[inline(always)]
    fn real_part(&self) -> f64 {
        *self
    }
    fn apply_custom(op: &CustomFn, args: &[f64]) -> f64 {
        op.value(args)
    }
    fn custom_gradient(op: &CustomFn, args: &[f64], grad: &mut [f64]) {
        op.gradient_f64(args, grad)
    }
}

impl Value for f32 {
    #[inline(always)]
    fn from_constant(c: f64) -> f32 {
        c as f32
    }
    #[inline(always)]
    fn apply_unary(self, op: Unary) -> f32 {
        op.eval(self).0
    }
    #[inline(always)]
    fn apply_binary(self, op: Binary, y: f32) -> f32 {
        op.eval(self, y).0
    }
    #[inline(always)]
    fn apply_mul_add(self, a: f32, b: f32) -> f32 {
        rules::mul_add(self, a, b).0
    }
    #[inline(always)]
    fn apply_chain_mul(self, y: f32) -> f32 {
        rules::chain_mul(self, y).0
    }
    #[inline(always)]
    fn is_exactly_zero(&self) -> bool {
        *self == 0.0
    }
    /// The value as `f64` (so a guard on `is_normal` or `classify` is checked on the `f64` value).
    #[inline(always)]
    fn real_part(&self) -> f64 {
        f64::from(*self)
    }
    /// Computed in `f64`, then rounded.
    fn apply_custom(op: &CustomFn, args: &[f32]) -> f32 {
        if let [x] = args {
            return op.value(&[f64::from(*x)]) as f32;
        }
        let x: Vec<f64> = args.iter().map(|&v| f64::from(v)).collect();
        op.value(&x) as f32
    }
    fn custom_gradient(op: &CustomFn, args: &[f32], grad: &mut [f32]) {
        let x: Vec<f64> = args.iter().map(|&v| f64::from(v)).collect();
        let mut g = vec![0.0; x.len()];
        op.gradient_f64(&x, &mut g);
        for (o, v) in grad.iter_mut().zip(g) {
            *o = v as f32;
        }
    }
}

impl<T: Value + Float, const N: usize> Value for Dual<T, N> {
    #[inline(always)]
    fn from_constant(c: f64) -> Self {
        Dual::constant(T::from_constant(c))
    }
    /// The rule table's entry; a function [`Float`] lacks takes its value from the level below
    /// (as [`Elementary`](crate::Elementary) does), so that nested dual numbers keep its derivatives.
    #[inline(always)]
    fn apply_unary(self, op: Unary) -> Self {
        if op.float_lacks() {
            let d = op.eval_for(self.re, rules::Need::DERIVATIVE).1;
            self.chain(self.re.apply_unary(op), d)
        } else {
            self.unary(op)
        }
    }
    #[inline(always)]
    fn apply_binary(self, op: Binary, y: Self) -> Self {
        self.binary(op, y)
    }
    #[inline(always)]
    fn apply_mul_add(self, a: Self, b: Self) -> Self {
        num_traits::Float::mul_add(self, a, b)
    }
    #[inline(always)]
    fn apply_chain_mul(self, y: Self) -> Self {
        rules::chain_mul(self, y).0
    }
    #[inline(always)]
    fn real_part(&self) -> f64 {
        self.re.real_part()
    }
    #[inline(always)]
    fn is_exactly_zero(&self) -> bool {
        self.re.is_exactly_zero() && self.eps.iter().all(T::is_exactly_zero)
    }
    /// The value at the level below, the tangents from the gradient there (first derivatives:
    /// the level below must be `f64` or `f32`). A rule of one operand allocates nothing; one of
    /// several allocates two buffers.
    fn apply_custom(op: &CustomFn, args: &[Self]) -> Self {
        let tangent_free = args.iter().all(|d| d.eps.iter().all(T::is_exactly_zero));
        if let [x] = args {
            let v = T::apply_custom(op, &[x.re]);
            if tangent_free {
                return Dual::constant(v);
            }
            let mut d = [T::zero()];
            T::custom_gradient(op, &[x.re], &mut d);
            return x.chain(v, d[0]);
        }
        let re: Vec<T> = args.iter().map(|d| d.re).collect();
        let v = T::apply_custom(op, &re);
        if tangent_free {
            return Dual::constant(v);
        }
        let mut grad = vec![T::zero(); args.len()];
        T::custom_gradient(op, &re, &mut grad);
        crate::forward::sum_of_chains(v, args, &grad)
    }
}

/// What an instruction does. The arithmetic that derivative graphs are made of has codes of its
/// own, so the interpreter reaches it with one dispatch instead of two (the operation is still the
/// rule table's: `Binary::Add.eval`, folded for the constant entry).
#[derive(Clone, Copy, Debug)]
#[repr(u8)]
enum Code {
    Add,
    Sub,
    Mul,
    Neg,
    Unary(Unary),
    Binary(Binary),
    MulAdd,
    ChainMul,
    /// `a·b + c` with two roundings (a product used only by a sum: one dispatch instead of two)
    MulThenAdd,
    /// `(a ⊙ b) + c`, the accumulation step of derivative graphs (`x̄ += ∂v/∂x ⊙ v̄`)
    ChainMulThenAdd,
    /// check guard `dst` (a question about slot `a`)
    Observe(Observe),
    /// check guard `dst` (a comparison of slots `a` and `b`)
    Compare(Compare),
    /// the custom call `calls[a]` of the program (its rule and operand slots)
    Custom,
    /// run the loop `loops[a]` of the program (its results go to the evaluator's buffer for it)
    Loop,
    /// result `b` of the loop `loops[a]`
    LoopOut,
    /// A chain of `MulThenAdd`s, each adding to the one before (`Σ xⱼ·yⱼ` written as a fold):
    /// `acc = slots[c]`, then `acc = x·y + acc` for each slot pair `(x, y)` of `pairs[a..a + b]`
    /// in order, then `slots[dst] = acc` (see `superinstructions`)
    MulThenAddChain,
    /// The same chain of `ChainMulThenAdd`s: `acc = (x ⊙ y) + acc`
    ChainMulThenAddChain,
    /// A `MulThenAddChain` over consecutive slots (a window and the weights of a loop body):
    /// `(x₀, y₀) = pairs[a]`, and the pairs are `(x₀ + j, y₀ + j)` for `j` in `0..b`
    MulThenAddStrided,
    /// A `ChainMulThenAddChain` over consecutive slots, as `MulThenAddStrided`
    ChainMulThenAddStrided,
    /// A run of `ChainMul`s by the same right operand (a vector-Jacobian product's adjoint spread
    /// over the factors of a sum): `slots[d] = slots[x] ⊙ slots[c]` for each pair `(d, x)` of
    /// `pairs[a..a + b]` in order
    ChainMulRun,
}

/// One instruction: `slots[dst] = code(slots[a], slots[b], slots[c])`, or a guard check.
#[derive(Clone, Copy, Debug)]
struct Instr {
    code: Code,
    dst: u32,
    a: u32,
    b: u32,
    c: u32,
}

/// A graph lowered for evaluation: its operations and guard checks in one flat list, in
/// topological order, over work slots that are reused as soon as a value is dead (so the working
/// set stays small), with the constants in slots of their own. Built once by [`Graph::program`];
/// evaluated by an [`Evaluator`] for any [`Value`] type without allocating.
///
/// Runs of operations that dominate loop bodies and derivative graphs (a dot product written as
/// a fold, `Σ xⱼ·yⱼ`; the accumulations `x̄ += ∂v/∂x ⊙ v̄`; one adjoint spread over the factors of a
/// sum) are *superinstructions*: one dispatch for the run, with the same operations in the same
/// order, so the results are the same bits as one dispatch per operation (and as emitted Rust
/// and the JIT, which run the operations one by one).
#[derive(Clone, Debug)]
pub struct Program {
    n_slots: usize,
    consts: Box<[(u32, f64)]>,
    /// the slot each input is written to (`u32::MAX` for an input nothing reads)
    input_slots: Box<[u32]>,
    /// the parameters' slots: `param_base..param_base + n_params`, right after the constants and,
    /// like them, never reused, so that evaluation copies the parameters in with one
    /// `copy_from_slice` (one slot per parameter, read or not)
    param_base: usize,
    n_params: usize,
    code: Box<[Instr]>,
    output_slots: Box<[u32]>,
    /// per guard: the question (on graph nodes), the answer at the recording point, and its
    /// operands as the user wrote them and where (for the error)
    guards: Box<[(Test, u64, Words)]>,
    /// the custom calls: the rule and the slots of its operands
    calls: Box<[(CustomFn, Box<[u32]>)]>,
    /// the loops: the loop and the slots of its operands
    loops: Box<[LoopSlots]>,
    /// `Some(first)` if no input's slot is reused and input `i` is in slot `first + i` (a loop
    /// body's program: the loop writes the values that do not change between iterations once
    /// per run, and each window in one piece)
    kept_inputs_at: Option<u32>,
    /// the slot pairs the superinstructions run over (see [`Code::MulThenAddChain`])
    pairs: Box<[[u32; 2]]>,
    /// per loop, per variant of its body, a program of the body to run instead of its cached
    /// one ([`Graph::body_program`]); empty but for [`Graph::program_without_superinstructions`]
    bodies: Box<[Box<[Program]>]>,
}

const UNUSED: u32 = u32::MAX;

/// A loop of a program: the loop, the slots of its operands, per group of its operands (see
/// `LoopDef::groups`) true if the group's values are in consecutive slots (data as parameters:
/// the loop copies them in one piece), and `Some(first)` if all of its operands are, from slot
/// `first` on (the loop then reads them where they are, with no copy; both filled in at the end
/// of `Program::lower`).
type LoopSlots = (Arc<LoopDef>, Box<[u32]>, Box<[bool]>, Option<u32>);

impl Program {
    /// Lowers `g`.
    pub(crate) fn new(g: &Graph) -> Program {
        Self::lower(g, false, true)
    }

    /// Lowers `g` as a loop body: the same instructions as [`Program::new`], but every input has
    /// a slot, the inputs' slots follow each other in order, and they are never reused.
    pub(crate) fn with_inputs_kept(g: &Graph) -> Program {
        Self::lower(g, true, true)
    }

    /// Lowers `g` without superinstructions, and the bodies of its loops (at any depth) too: the
    /// same operations in the same order as [`Program::new`]'s, one dispatch each.
    fn without_superinstructions(g: &Graph, inputs_kept: bool) -> Program {
        let mut p = Self::lower(g, inputs_kept, false);
        p.bodies = p
            .loops
            .iter()
            .map(|(def, _, _, _)| {
                def.variants
                    .iter()
                    .map(|v| Self::without_superinstructions(v, true))
                    .collect()
            })
            .collect();
        p
    }

    /// Lowers `g`, reusing the slots of dead inputs unless `inputs_kept`, with superinstructions
    /// if `fuse_runs`: the passes in order.
    fn lower(g: &Graph, inputs_kept: bool, fuse_runs: bool) -> Program {
        // 1. the order (shared with the other backends), with the fused pairs made one step
        let schedule = Schedule::of(g);
        let uses = use_counts(g);
        let (absorbed, fused) = fuse(g, &uses);
        let steps = schedule::steps(g, &schedule.guards_first, &schedule.guards_after, |i| {
            absorbed[i]
        });
        // 2. liveness in that order
        let last_use = schedule::last_use(g, &steps, |step| fused_reads(g, &fused, step));
        // 3. slots and instructions
        let mut lowered = Lowered::slots_of_leaves(g);
        let input_slots = lowered.input_slots(g, &last_use, inputs_kept);
        lowered.constant_tails(g);
        let code = lowered.instructions(g, &steps, &fused, &last_use, inputs_kept);
        // 4. runs of instructions that one dispatch can do (same operations, same order)
        let (code, pairs) = if fuse_runs {
            superinstructions(&code)
        } else {
            (code, Vec::new())
        };
        let Lowered {
            slot,
            consts,
            param_base,
            n_slots,
            calls,
            mut loops,
            ..
        } = lowered;
        let n_slots = n_slots as usize;
        // 5. the interpreter reads and writes slots without bounds checks: check every index once
        verify(&code, &calls, &loops, &pairs, n_slots);
        let kept_inputs_at = kept_inputs_at(&input_slots, param_base + g.num_params(), n_slots)
            .filter(|_| inputs_kept);
        mark_consecutive_groups(&mut loops);
        Program {
            n_slots,
            consts: consts.into_boxed_slice(),
            input_slots: input_slots.into_boxed_slice(),
            param_base,
            n_params: g.num_params(),
            code: code.into_boxed_slice(),
            output_slots: g.output_nodes().iter().map(|&o| slot[o as usize]).collect(),
            guards: g
                .guards()
                .iter()
                .map(|k| (k.test, k.expected, Words::of(g, k)))
                .collect(),
            calls: calls.into_boxed_slice(),
            loops: loops.into_boxed_slice(),
            kept_inputs_at,
            pairs: pairs.into_boxed_slice(),
            bodies: Box::new([]),
        }
    }

    /// The code of an operation node.
    fn code_of(node: Node) -> Code {
        match node {
            Node::Unary(Unary::Neg, _) => Code::Neg,
            Node::Unary(op, _) => Code::Unary(op),
            Node::Binary(Binary::Add, _, _) => Code::Add,
            Node::Binary(Binary::Sub, _, _) => Code::Sub,
            Node::Binary(Binary::Mul, _, _) => Code::Mul,
            Node::Binary(op, _, _) => Code::Binary(op),
            Node::MulAdd(..) => Code::MulAdd,
            Node::ChainMul(..) => Code::ChainMul,
            Node::Custom(_) => Code::Custom,
            Node::Loop(_) => Code::Loop,
            Node::LoopOut(..) => Code::LoopOut,
            Node::Input(_) | Node::Param(_) | Node::Const(_) => {
                unreachable!("not an operation")
            }
        }
    }

    /// The largest number of operands of a custom call (0 without one).
    /// The slot of each output.
    pub(crate) fn output_slots(&self) -> &[u32] {
        &self.output_slots
    }

    /// `Some(first)` if no input's slot is reused and input `i` is in slot `first + i` (see
    /// [`Program::with_inputs_kept`]).
    pub(crate) fn kept_inputs_at(&self) -> Option<usize> {
        self.kept_inputs_at.map(|s| s as usize)
    }

    fn max_custom_args(&self) -> usize {
        self.calls.iter().map(|c| c.1.len()).max().unwrap_or(0)
    }

    /// The number of inputs.
    pub fn num_inputs(&self) -> usize {
        self.input_slots.len()
    }

    /// The number of parameters (see [`Graph::record_with`]).
    pub fn num_params(&self) -> usize {
        self.n_params
    }

    /// The number of outputs.
    pub fn num_outputs(&self) -> usize {
        self.output_slots.len()
    }

    /// The number of work slots an evaluation uses (constants included): the working set, usually
    /// far below the number of nodes.
    pub fn num_slots(&self) -> usize {
        self.n_slots
    }

    /// The number of instructions (operations and guard checks; a superinstruction, which runs
    /// a chain of operations with one dispatch, counts once).
    pub fn len(&self) -> usize {
        self.code.len()
    }

    /// True if the program has no instructions (every output is an input or a constant).
    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// An evaluator of this program on values of type `T`, with its work slots allocated once.
    pub fn evaluator<T: Value>(&self) -> Evaluator<'_, T> {
        // the slots, then room for the operands of a custom call (none without one)
        let mut work = vec![T::from_constant(0.0); self.n_slots + self.max_custom_args()];
        for &(s, c) in &self.consts {
            work[s as usize] = T::from_constant(c);
        }
        Evaluator {
            program: self,
            work,
            loops: self.loop_works(),
        }
    }

    /// The buffers of each loop, with an evaluator of each variant of its body.
    fn loop_works<T: Value>(&self) -> Vec<LoopWork<'_, T>> {
        self.loops
            .iter()
            .enumerate()
            .map(|(k, (def, _, _, _))| LoopWork::new(def, self.bodies.get(k).map(|b| &b[..])))
            .collect()
    }

    /// The error for guard `k`, which answered `found`.
    #[cold]
    #[inline(never)]
    fn guard_error(&self, k: usize, found: u64, values: [f64; 2]) -> GraphError {
        let (test, expected, ref words) = self.guards[k];
        words.error(k, test, expected, found, values)
    }
}

impl Graph {
    /// The graph lowered without superinstructions (nor in the bodies of its loops): the same
    /// operations in the same order as [`Graph::program`]'s, each with a dispatch of its own. For
    /// tests that superinstructions change no bit; not cached.
    #[doc(hidden)]
    pub fn program_without_superinstructions(&self) -> Program {
        Program::without_superinstructions(self, false)
    }
}

/// The number of times each node is read: by operations, guards and as an output.
fn use_counts(g: &Graph) -> Vec<u32> {
    let mut uses = vec![0u32; g.nodes().len()];
    for node in g.nodes() {
        for &a in node.args(g.calls()).iter() {
            uses[a as usize] += 1;
        }
    }
    for guard in g.guards() {
        let (ops, m) = guard.test.operands();
        for &o in &ops[..m] {
            uses[o as usize] += 1;
        }
    }
    for &o in g.output_nodes() {
        uses[o as usize] += 1;
    }
    uses
}

/// A sum computed together with the product it adds: its code and its three operands.
type Fused = Option<(Code, [u32; 3])>;

/// Superinstructions: a product (or ⊙) whose only use is one sum is computed by the sum's
/// instruction, with the same two roundings. Returns, for each node, whether another instruction
/// computes it (`absorbed`), and for each sum that absorbs a product its fused code and operands.
fn fuse(g: &Graph, uses: &[u32]) -> (Vec<bool>, Vec<Fused>) {
    let nodes = g.nodes();
    let n = nodes.len();
    let mut absorbed = vec![false; n];
    let mut fused: Vec<Fused> = vec![None; n];
    for (i, node) in nodes.iter().enumerate() {
        if let Node::Binary(Binary::Add, p, q) = *node {
            for (m, other) in [(p, q), (q, p)] {
                let code = match nodes[m as usize] {
                    Node::Binary(Binary::Mul, x, y) => Some((Code::MulThenAdd, x, y)),
                    Node::ChainMul(x, y) => Some((Code::ChainMulThenAdd, x, y)),
                    _ => None,
                };
                if let Some((code, x, y)) = code
                    && uses[m as usize] == 1
                    && !absorbed[m as usize]
                {
                    absorbed[m as usize] = true;
                    fused[i] = Some((code, [x, y, other]));
                    break;
                }
            }
        }
    }
    (absorbed, fused)
}

/// The nodes a step of the fused order reads (a fused sum reads the product's operands).
fn fused_reads<'g>(g: &'g Graph, fused: &[Fused], step: &Step) -> Operands<'g> {
    match *step {
        Step::Op(i) => match fused[i] {
            Some((_, args)) => Operands::Inline(args, 3),
            None => g.nodes()[i].args(g.calls()),
        },
        Step::Guard(_) => schedule::reads(g, step),
    }
}

/// The shortest run of instructions made one superinstruction: a superinstruction is a call
/// (out of the dispatch loop), which costs more than the dispatches it saves on shorter runs
/// (measured with runs of 2 on the gradient of Rosenbrock, n = 1024: 260 080 → 313 276
/// instructions per evaluation).
const MIN_RUN: usize = 4;

/// Superinstructions: runs of consecutive instructions that one dispatch does, with the same
/// operations in the same order (so every value type gets the same bits):
/// - a chain of `MulThenAdd`s (or of `ChainMulThenAdd`s) in which each instruction adds to the
///   result of the one before, in the same slot, and reads it only there: a value read anywhere
///   else keeps its slot (lowering frees a slot only after its value's last read), so a chain
///   never runs past a read of its partial sum (see [`Code::MulThenAddChain`]);
/// - a run of `ChainMul`s by the same right operand, up to and including the first that writes
///   that operand's slot (see [`Code::ChainMulRun`]).
///
/// Returns the new code and the slot pairs the superinstructions read.
fn superinstructions(code: &[Instr]) -> (Vec<Instr>, Vec<[u32; 2]>) {
    let mut out = Vec::with_capacity(code.len());
    let mut pairs: Vec<[u32; 2]> = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let first = code[i];
        let (chain, end) = match first.code {
            Code::MulThenAdd | Code::ChainMulThenAdd => {
                let same =
                    |c: Code| core::mem::discriminant(&c) == core::mem::discriminant(&first.code);
                let mut j = i + 1;
                while j < code.len() && same(code[j].code) && {
                    let (prev, cur) = (code[j - 1], code[j]);
                    cur.c == prev.dst && cur.dst == cur.c && cur.a != cur.c && cur.b != cur.c
                } {
                    j += 1;
                }
                let chain = if matches!(first.code, Code::MulThenAdd) {
                    Code::MulThenAddChain
                } else {
                    Code::ChainMulThenAddChain
                };
                (Some(chain), j)
            }
            Code::ChainMul => {
                let y = first.b;
                let mut j = i;
                while j < code.len() && matches!(code[j].code, Code::ChainMul) && code[j].b == y {
                    j += 1;
                    if code[j - 1].dst == y {
                        break;
                    }
                }
                (Some(Code::ChainMulRun), j)
            }
            _ => (None, i + 1),
        };
        match chain {
            Some(mut c) if end - i >= MIN_RUN => {
                let at = pairs.len() as u32;
                let run = &code[i..end];
                let strided = run
                    .windows(2)
                    .all(|p| p[1].a == p[0].a + 1 && p[1].b == p[0].b + 1);
                match c {
                    Code::ChainMulRun => pairs.extend(run.iter().map(|x| [x.dst, x.a])),
                    _ if strided => {
                        pairs.push([first.a, first.b]);
                        c = match c {
                            Code::MulThenAddChain => Code::MulThenAddStrided,
                            _ => Code::ChainMulThenAddStrided,
                        };
                    }
                    _ => pairs.extend(run.iter().map(|x| [x.a, x.b])),
                }
                let last = code[end - 1];
                out.push(Instr {
                    code: c,
                    dst: last.dst,
                    a: at,
                    b: (end - i) as u32,
                    c: match c {
                        Code::ChainMulRun => first.b,
                        _ => first.c,
                    },
                });
                i = end;
            }
            _ => {
                out.push(first);
                i += 1;
            }
        }
    }
    (out, pairs)
}

/// Constants (their bits) and the slots made for them (see [`Lowered::constant_tails`]).
type ConstantTail = (Box<[u64]>, Box<[u32]>);

/// The state of slot assignment while lowering: each node's slot, the free slots, and what the
/// instructions refer to besides slots (the custom calls and loops).
struct Lowered {
    /// the slot of each node (`UNUSED` until it has one)
    slot: Vec<u32>,
    consts: Vec<(u32, f64)>,
    param_base: usize,
    n_slots: u32,
    /// the slots of dead values, to be reused
    free: Vec<u32>,
    calls: Vec<(CustomFn, Box<[u32]>)>,
    loops: Vec<LoopSlots>,
    /// the index in `loops` of each loop node
    loop_index: Vec<u32>,
    /// the step at which each node's slot was freed (operands read twice are freed once)
    freed_at: Vec<usize>,
    /// loops whose constant operands from the `.1`-th on have slots of their own, `.2` (see
    /// [`Lowered::constant_tails`])
    tails: Vec<(usize, usize, Box<[u32]>)>,
}

impl Lowered {
    /// Slots for the leaves that are never reused: constants first, then the parameters in their
    /// order (see `Program::param_base`).
    fn slots_of_leaves(g: &Graph) -> Lowered {
        let nodes = g.nodes();
        let n = nodes.len();
        let mut slot = vec![UNUSED; n];
        let mut consts = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            if let Node::Const(bits) = *node {
                slot[i] = consts.len() as u32;
                consts.push((slot[i], f64::from_bits(bits)));
            }
        }
        let param_base = consts.len();
        for k in 0..g.num_params() {
            slot[g.num_inputs() + k] = (param_base + k) as u32;
        }
        Lowered {
            slot,
            consts,
            param_base,
            n_slots: (param_base + g.num_params()) as u32,
            free: Vec::new(),
            calls: Vec::new(),
            loops: Vec::new(),
            loop_index: vec![u32::MAX; n],
            freed_at: vec![usize::MAX; n],
            tails: Vec::new(),
        }
    }

    /// Copies of constants in the slots right after the last one taken, for a loop whose
    /// operands are in consecutive slots up to it but for a tail of constants (the gradient of a
    /// loss over data as parameters: the data, then the weights as inputs, then the seed 1): the
    /// loop then reads all of its operands where they are, with no copy. Made for the first such
    /// loop, and shared by every other loop with the same operands up to the same slot and the
    /// same constants after them. Call before any slot is reused.
    fn constant_tails(&mut self, g: &Graph) {
        let nodes = g.nodes();
        let end = self.n_slots; // the next slot taken
        debug_assert!(self.free.is_empty());
        // the constants given slots, and those slots
        let mut made: Option<ConstantTail> = None;
        for (i, node) in nodes.iter().enumerate() {
            let Node::Loop(k) = *node else { continue };
            if g.loop_def(k).groups().any(|(_, from)| from.is_some()) {
                continue;
            }
            let args = node.args(g.calls());
            let t = args
                .iter()
                .rposition(|&o| !matches!(nodes[o as usize], Node::Const(_)))
                .map_or(0, |t| t + 1);
            if t == 0 || t == args.len() {
                continue;
            }
            let slot = |o: u32| self.slot[o as usize];
            let ends_here = slot(args[t - 1]).checked_add(1) == Some(end)
                && args[..t]
                    .windows(2)
                    .all(|p| slot(p[1]) == slot(p[0]).wrapping_add(1));
            if !ends_here {
                continue;
            }
            let bits: Box<[u64]> = args[t..]
                .iter()
                .map(|&o| match nodes[o as usize] {
                    Node::Const(b) => b,
                    _ => unreachable!(),
                })
                .collect();
            let slots = match &made {
                Some((b, s)) if *b == bits => s.clone(),
                Some(_) => continue,
                None => {
                    let s: Box<[u32]> = bits
                        .iter()
                        .map(|&b| {
                            let s = self.take();
                            self.consts.push((s, f64::from_bits(b)));
                            s
                        })
                        .collect();
                    made = Some((bits, s.clone()));
                    s
                }
            };
            self.tails.push((i, t, slots));
        }
    }

    /// A free slot, or a new one.
    fn take(&mut self) -> u32 {
        self.free.pop().unwrap_or_else(|| {
            self.n_slots += 1;
            self.n_slots - 1
        })
    }

    /// The slot of each input (`UNUSED` for one nothing reads; a loop body's inputs all get a
    /// slot, in order: a window is copied in one piece).
    fn input_slots(
        &mut self,
        g: &Graph,
        last_use: &[Option<usize>],
        inputs_kept: bool,
    ) -> Vec<u32> {
        let mut input_slots = vec![UNUSED; g.num_inputs()];
        for (i, s) in input_slots.iter_mut().enumerate() {
            if last_use[i].is_some() || inputs_kept {
                *s = self.take();
                self.slot[i] = *s;
            }
        }
        input_slots
    }

    /// The instruction of each step, each result in a slot freed by a dead value where there is
    /// one.
    fn instructions(
        &mut self,
        g: &Graph,
        steps: &[Step],
        fused: &[Fused],
        last_use: &[Option<usize>],
        inputs_kept: bool,
    ) -> Vec<Instr> {
        let nodes = g.nodes();
        let mut code = Vec::with_capacity(steps.len());
        for (s, step) in steps.iter().enumerate() {
            let args = fused_reads(g, fused, step);
            let m = args.len();
            let mut a = [0u32; 3];
            if let Step::Op(i) = *step
                && let Node::Custom(k) = nodes[i]
            {
                // the operands' slots go to the call's list, `a` is the call's index
                let slots: Box<[u32]> = args.iter().map(|&o| self.slot[o as usize]).collect();
                self.calls.push((g.calls()[k as usize].op.clone(), slots));
                a[0] = self.calls.len() as u32 - 1;
            } else if let Step::Op(i) = *step
                && let Node::Loop(k) = nodes[i]
            {
                // the operands' slots go to the loop's list, `a` is the loop's index (a sequence
                // read from another loop's results: that loop's index)
                let mut slots: Box<[u32]> = args
                    .iter()
                    .map(|&o| match nodes[o as usize] {
                        Node::Loop(_) => self.loop_index[o as usize],
                        _ => self.slot[o as usize],
                    })
                    .collect();
                if let Some((_, t, tail)) = self.tails.iter().find(|x| x.0 == i) {
                    slots[*t..].copy_from_slice(tail);
                }
                self.loops
                    .push((g.loop_def(k).clone(), slots, Box::new([]), None));
                self.loop_index[i] = self.loops.len() as u32 - 1;
                a[0] = self.loop_index[i];
            } else if let Step::Op(i) = *step
                && let Node::LoopOut(l, j) = nodes[i]
            {
                a = [self.loop_index[l as usize], j, 0];
            } else {
                for j in 0..m {
                    a[j] = self.slot[args[j] as usize];
                }
            }
            // free the slots whose value is read for the last time here (before the result is
            // placed, so that it may take one of them)
            for j in 0..m {
                let o = args[j] as usize;
                // (an operand read twice is freed once; a loop's long operand list is checked
                // with a mark per node, not by a scan)
                let first = if m <= 3 {
                    args[..j].iter().all(|&p| p as usize != o)
                } else {
                    self.freed_at[o] != s
                };
                if first
                    && last_use[o] == Some(s)
                    && !matches!(nodes[o], Node::Const(_) | Node::Param(_))
                    && !(inputs_kept && o < g.num_inputs())
                {
                    self.free.push(self.slot[o]);
                    self.freed_at[o] = s;
                }
            }
            let (code_of, dst) = match *step {
                Step::Op(i) => {
                    let dst = self.take();
                    self.slot[i] = dst;
                    let c = match (fused[i], nodes[i]) {
                        (Some((code, _)), _) => code,
                        (None, node) => Program::code_of(node),
                    };
                    (c, dst)
                }
                Step::Guard(k) => {
                    let c = match g.guards()[k].test {
                        Test::Observe(o, _) => Code::Observe(o),
                        Test::Compare(c, _, _) => Code::Compare(c),
                    };
                    (c, k as u32)
                }
            };
            code.push(Instr {
                code: code_of,
                dst,
                a: a[0],
                b: a[1],
                c: a[2],
            });
        }
        code
    }
}

/// Checks that every slot index of `code` is below `n_slots` (and every loop's reference to an
/// earlier loop's results in range): the interpreter then reads and writes slots without bounds
/// checks.
///
/// # Panics
/// On an index out of range (a bug of the lowering).
fn verify(
    code: &[Instr],
    calls: &[(CustomFn, Box<[u32]>)],
    loops: &[LoopSlots],
    pairs: &[[u32; 2]],
    n_slots: usize,
) {
    for ins in code {
        if let Code::MulThenAddStrided | Code::ChainMulThenAddStrided = ins.code {
            let (at, len) = (ins.a as usize, ins.b as usize);
            let ok = at < pairs.len()
                && pairs[at]
                    .iter()
                    .all(|&s| (s as usize).checked_add(len).is_some_and(|e| e <= n_slots))
                && (ins.c as usize) < n_slots
                && (ins.dst as usize) < n_slots;
            assert!(ok, "nilpotent::graph: a slot index is out of range (a bug)");
            continue;
        }
        if let Code::MulThenAddChain | Code::ChainMulThenAddChain | Code::ChainMulRun = ins.code {
            let (at, len) = (ins.a as usize, ins.b as usize);
            let ok = at.checked_add(len).is_some_and(|end| end <= pairs.len())
                && pairs[at..at + len]
                    .iter()
                    .flatten()
                    .all(|&s| (s as usize) < n_slots)
                && (ins.c as usize) < n_slots
                && (ins.dst as usize) < n_slots;
            assert!(ok, "nilpotent::graph: a slot index is out of range (a bug)");
            continue;
        }
        if let Code::Loop = ins.code {
            let (def, slots, _, _) = &loops[ins.a as usize];
            let mut at = 0;
            let mut ok = true;
            for (len, from) in def.groups() {
                match from {
                    None => {
                        ok &= slots[at..at + len].iter().all(|&s| (s as usize) < n_slots);
                        at += len;
                    }
                    Some(off) => {
                        // an earlier loop with the results read
                        let f = slots[at];
                        ok &= f < ins.a && off + len <= loops[f as usize].0.num_results();
                        at += 1;
                    }
                }
            }
            ok &= at == slots.len();
            assert!(ok, "nilpotent::graph: a slot index is out of range (a bug)");
            continue;
        }
        if let Code::LoopOut = ins.code {
            let (def, _, _, _) = &loops[ins.a as usize];
            let ok = (ins.b as usize) < def.num_results() && (ins.dst as usize) < n_slots;
            assert!(ok, "nilpotent::graph: a slot index is out of range (a bug)");
            continue;
        }
        if let Code::Custom = ins.code {
            let ok = calls[ins.a as usize]
                .1
                .iter()
                .all(|&s| (s as usize) < n_slots)
                && (ins.dst as usize) < n_slots;
            assert!(ok, "nilpotent::graph: a slot index is out of range (a bug)");
            continue;
        }
        let (reads, writes) = match ins.code {
            Code::Unary(_) | Code::Neg => (1, true),
            Code::MulAdd | Code::MulThenAdd | Code::ChainMulThenAdd => (3, true),
            Code::Observe(_) => (1, false),
            Code::Compare(_) => (2, false),
            _ => (2, true),
        };
        let ok = [ins.a, ins.b, ins.c][..reads]
            .iter()
            .all(|&s| (s as usize) < n_slots)
            && (!writes || (ins.dst as usize) < n_slots);
        assert!(ok, "nilpotent::graph: a slot index is out of range (a bug)");
    }
}

/// `Some(first)` if input `i` is in slot `first + i` for every input (`first` is `after_params`
/// without inputs), all below `n_slots`.
fn kept_inputs_at(input_slots: &[u32], after_params: usize, n_slots: usize) -> Option<u32> {
    let first = input_slots.first().map_or(after_params, |&s| s as usize);
    let in_order = input_slots
        .iter()
        .enumerate()
        .all(|(i, &s)| s as usize == first + i && first + i < n_slots);
    in_order.then_some(first as u32)
}

/// For each loop, per group of its operands, whether the group's values are in consecutive slots
/// (the loop then copies them in one piece).
fn mark_consecutive_groups(loops: &mut [LoopSlots]) {
    for (def, slots, blocks, whole) in loops {
        let all_values = def.groups().all(|(_, from)| from.is_none());
        *whole = (all_values && !slots.is_empty() && slots.windows(2).all(|p| p[1] == p[0] + 1))
            .then(|| slots[0]);
        let mut at = 0;
        *blocks = def
            .groups()
            .map(|(len, from)| match from {
                None => {
                    let group = &slots[at..at + len];
                    at += len;
                    group.windows(2).all(|p| p[1] == p[0] + 1)
                }
                Some(_) => {
                    at += 1;
                    false
                }
            })
            .collect();
    }
}

/// Runs the loop `loops[a]` of `p` on the slots `w` (out of line: the dispatch loop stays lean).
#[inline(never)]
fn run_loop<'p, T: Value>(
    p: &'p Program,
    a: usize,
    w: &[T],
    loops: &mut [LoopWork<'p, T>],
) -> Result<(), GraphError> {
    let (def, slots, blocks, whole) = &p.loops[a];
    let (before, rest) = loops.split_at_mut(a);
    let lw = &mut rest[0];
    let (mut at, mut to) = (0, 0);
    // (operands in consecutive slots are read where they are, not copied)
    let groups = if whole.is_some() {
        None
    } else {
        Some(def.groups())
    };
    for ((len, from), &block) in groups.into_iter().flatten().zip(blocks.iter()) {
        match from {
            None if block && len > 0 => {
                let first = slots[at] as usize;
                lw.args[to..to + len].copy_from_slice(&w[first..first + len]);
                at += len;
            }
            None => {
                for (x, &sl) in lw.args[to..to + len].iter_mut().zip(&slots[at..at + len]) {
                    *x = w[sl as usize];
                }
                at += len;
            }
            Some(off) => {
                let f = &before[slots[at] as usize].results;
                lw.args[to..to + len].copy_from_slice(&f[off..off + len]);
                at += 1;
            }
        }
        to += len;
    }
    let LoopWork {
        evals,
        args,
        input,
        out,
        results,
    } = lw;
    let args = match *whole {
        Some(first) => &w[first as usize..first as usize + slots.len()],
        None => &args[..],
    };
    def.run(args, evals, input, out, results, 0)
        .map_err(|(t, e)| def.error_at(t, e))
}

/// A chain superinstruction: `acc = w[init]`, then `acc = step(w[x], w[y], acc)` for each pair
/// `(x, y)` in order; returns `acc`.
#[inline(never)]
fn run_chain<T: Value>(w: &[T], pairs: &[[u32; 2]], init: usize, step: impl Fn(T, T, T) -> T) -> T {
    let mut acc = w[init];
    for &[x, y] in pairs {
        // SAFETY: every slot of a superinstruction's pairs is below `w.len()` (`w` is the
        // program's slots; checked once in `Program::new` by `verify`, as for every instruction).
        #[allow(unsafe_code)]
        let (x, y) = unsafe { (*w.get_unchecked(x as usize), *w.get_unchecked(y as usize)) };
        acc = step(x, y, acc);
    }
    acc
}

/// A chain superinstruction over consecutive slots: [`run_chain`] over the pairs
/// `(x + j, y + j)`, `j` in `0..n`.
#[inline(never)]
fn run_strided<T: Value>(
    w: &[T],
    [x, y]: [u32; 2],
    n: usize,
    init: usize,
    step: impl Fn(T, T, T) -> T,
) -> T {
    let (x, y) = (x as usize, y as usize);
    let mut acc = w[init];
    for (&x, &y) in w[x..x + n].iter().zip(&w[y..y + n]) {
        acc = step(x, y, acc);
    }
    acc
}

/// A run of `ChainMul`s by the slot `y`: `w[d] = w[x] ⊙ w[y]` for each pair `(d, x)` in order,
/// `w[y]` read once (no pair but the last writes it, see `superinstructions`).
#[inline(never)]
fn run_chain_mul<T: Value>(w: &mut [T], pairs: &[[u32; 2]], y: usize) {
    let y = w[y];
    for &[d, x] in pairs {
        // SAFETY: as in `run_chain`.
        #[allow(unsafe_code)]
        unsafe {
            let v = w.get_unchecked(x as usize).apply_chain_mul(y);
            *w.get_unchecked_mut(d as usize) = v;
        }
    }
}

/// Evaluates a [`Program`] on values of type `T`, reusing its work slots: after it is made, an
/// evaluation allocates nothing.
///
/// ```
/// use nilpotent::graph::Graph;
/// use num_traits::Float;
/// fn f<T: Float>(x: &[T]) -> T { x[0].ln() + x[0] * x[1] - x[1].sin() }
///
/// let g = Graph::record(&[2.0, 5.0], f).gradient(); // outputs: f, ∂f/∂x₀, ∂f/∂x₁
/// let program = g.program();
/// let mut eval = program.evaluator::<f64>();
/// let mut out = [0.0; 3];
/// for x1 in [5.0, 6.0, 7.0] {
///     eval.eval_into(&[2.0, x1], &mut out).unwrap();
///     assert_eq!(out[1], 0.5 + x1); // ∂f/∂x₀ = 1/x₀ + x₁
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Evaluator<'p, T> {
    program: &'p Program,
    /// the program's slots, then room for the operands of a custom call
    work: Vec<T>,
    /// the buffers of each loop of the program
    loops: Vec<LoopWork<'p, T>>,
}

/// What an evaluator keeps for one loop: an evaluator of each variant of its body, the body's
/// inputs and outputs, the loop's operands and results.
#[derive(Clone, Debug)]
struct LoopWork<'p, T> {
    evals: Vec<Evaluator<'p, T>>,
    args: Vec<T>,
    input: Vec<T>,
    out: Vec<T>,
    results: Vec<T>,
}

impl<'p, T: Value> LoopWork<'p, T> {
    /// The buffers of the loop `def`, running `bodies` if given (a program of each variant),
    /// else each variant's cached program.
    fn new(def: &'p LoopDef, bodies: Option<&'p [Program]>) -> Self {
        let zero = T::from_constant(0.0);
        LoopWork {
            evals: match bodies {
                Some(b) => b.iter().map(|p| p.evaluator()).collect(),
                None => def
                    .variants
                    .iter()
                    .map(|g| g.body_program().evaluator())
                    .collect(),
            },
            args: vec![zero; def.num_args()],
            input: vec![zero; def.body_inputs()],
            out: vec![zero; def.body_outputs()],
            results: vec![zero; def.num_results()],
        }
    }
}

impl<'p, T> Evaluator<'p, T> {
    /// The program this evaluator runs.
    pub fn program(&self) -> &'p Program {
        self.program
    }
}

impl<'p, T: Value> Evaluator<'p, T> {
    /// An evaluator of `program` that works in `work`, a buffer taken from
    /// [`Evaluator::into_work`] of an evaluator of the same program (so that an owner of a
    /// `Program` can keep its buffers without borrowing itself; no allocation). The constants are
    /// written again, so any buffer of the right length gives the same results.
    ///
    /// # Panics
    /// If `work` does not have one entry per slot (the unchecked slot access relies on it).
    pub(crate) fn from_work(program: &'p Program, mut work: Vec<T>) -> Self {
        assert_eq!(
            work.len(),
            program.n_slots + program.max_custom_args(),
            "nilpotent::graph: a work buffer of another program (a bug)"
        );
        for &(s, c) in &program.consts {
            work[s as usize] = T::from_constant(c);
        }
        Evaluator {
            program,
            work,
            loops: program.loop_works(),
        }
    }

    /// The work buffer, for [`Evaluator::from_work`].
    pub(crate) fn into_work(self) -> Vec<T> {
        self.work
    }

    /// Evaluates the program at `x`, writing the outputs into `out`. An error, and no number, if a
    /// guard comes out differently at `x` than at the recording point, or if a length is wrong;
    /// for a program with parameters, [`GraphError::MissingParams`] (see
    /// [`Evaluator::eval_with_into`]).
    pub fn eval_into(&mut self, x: &[T], out: &mut [T]) -> Result<(), GraphError> {
        if self.program.n_params != 0 {
            return Err(GraphError::MissingParams {
                expected: self.program.n_params,
            });
        }
        self.eval_with_into(x, &[], out)
    }

    /// Evaluates the program at the inputs `x` and the parameters `params` (see
    /// [`Graph::record_with`]), writing the outputs into `out`: [`Evaluator::eval_into`] with the
    /// parameters, and [`GraphError::ParamLength`] if `params` does not have one value per
    /// parameter. The parameters are values of `T` like the inputs (for dual numbers, their
    /// tangents give derivatives with respect to the parameters by forward mode).
    ///
    /// ```
    /// use nilpotent::graph::Graph;
    /// // y = a·x² with the parameter a; the derivative graph keeps it
    /// let g = Graph::record_with(&[1.0], &[3.0], |x, p| p[0] * x[0] * x[0]).gradient();
    /// let mut eval = g.program().evaluator::<f64>();
    /// let mut out = [0.0; 2];
    /// for a in [1.0, 2.0, 5.0] {
    ///     eval.eval_with_into(&[2.0], &[a], &mut out).unwrap();
    ///     assert_eq!(out, [4.0 * a, 4.0 * a]); // a·x², 2a·x at x = 2
    /// }
    /// ```
    pub fn eval_with_into(
        &mut self,
        x: &[T],
        params: &[T],
        out: &mut [T],
    ) -> Result<(), GraphError> {
        let p = self.program;
        if x.len() != p.input_slots.len() {
            return Err(GraphError::InputLength {
                expected: p.input_slots.len(),
                found: x.len(),
            });
        }
        if params.len() != p.n_params {
            return Err(GraphError::ParamLength {
                expected: p.n_params,
                found: params.len(),
            });
        }
        if out.len() != p.output_slots.len() {
            return Err(GraphError::OutputLength {
                expected: p.output_slots.len(),
                found: out.len(),
            });
        }
        let w = &mut self.work[..p.n_slots];
        for (&s, &xi) in p.input_slots.iter().zip(x) {
            if s != UNUSED {
                w[s as usize] = xi;
            }
        }
        w[p.param_base..p.param_base + p.n_params].copy_from_slice(params);
        self.exec()?;
        let w = &self.work[..p.n_slots];
        for (o, &s) in out.iter_mut().zip(&p.output_slots) {
            *o = w[s as usize];
        }
        Ok(())
    }

    /// The work slots (a loop writes its body's inputs here; see
    /// [`Program::kept_inputs_at`]).
    pub(crate) fn slots_mut(&mut self) -> &mut [T] {
        &mut self.work[..self.program.n_slots]
    }

    /// The work slots (the outputs are read here by a loop; see [`Program::output_slots`]).
    pub(crate) fn slots(&self) -> &[T] {
        &self.work[..self.program.n_slots]
    }

    /// Runs the program's instructions on the slots as they are (inputs and parameters already
    /// written; no length checks: for a loop, which checked them once per run).
    pub(crate) fn exec(&mut self) -> Result<(), GraphError> {
        let p = self.program;
        let (w, scratch) = self.work.split_at_mut(p.n_slots);
        let loops = &mut self.loops;
        for ins in &p.code {
            let (a, b, c) = (ins.a as usize, ins.b as usize, ins.c as usize);
            // SAFETY: every slot index of every instruction is below `p.n_slots` (checked once in
            // `Program::new`, and a `Program` cannot be changed afterwards), and `w` has exactly
            // `p.n_slots` entries (the first part of `work`, which has `p.n_slots` entries and
            // room for a custom call's operands after them: made so in `Program::evaluator`,
            // checked in `Evaluator::from_work`; `work` is private and never resized). Unchecked access is measured to pay: 22.4 → 15.6 instructions per node on
            // the gradient of Rosenbrock (n = 1024; callgrind, BENCHMARKS.md).
            #[allow(unsafe_code)]
            let r = |i: usize| unsafe { *w.get_unchecked(i) };
            let v = match ins.code {
                Code::Add => r(a).apply_binary(Binary::Add, r(b)),
                Code::Sub => r(a).apply_binary(Binary::Sub, r(b)),
                Code::Mul => r(a).apply_binary(Binary::Mul, r(b)),
                Code::Neg => r(a).apply_unary(Unary::Neg),
                Code::Unary(op) => r(a).apply_unary(op),
                Code::Binary(op) => r(a).apply_binary(op, r(b)),
                Code::MulAdd => r(a).apply_mul_add(r(b), r(c)),
                Code::ChainMul => r(a).apply_chain_mul(r(b)),
                Code::MulThenAdd => r(a).apply_mul_then_add(r(b), r(c)),
                Code::ChainMulThenAdd => r(a).apply_chain_mul_then_add(r(b), r(c)),
                // (the superinstructions out of line: the dispatch loop stays as lean as without
                // them, measured on straight-line programs)
                Code::MulThenAddChain => run_chain(w, &p.pairs[a..a + b], c, |x, y, acc| {
                    x.apply_mul_then_add(y, acc)
                }),
                Code::ChainMulThenAddChain => run_chain(w, &p.pairs[a..a + b], c, |x, y, acc| {
                    x.apply_chain_mul_then_add(y, acc)
                }),
                Code::MulThenAddStrided => run_strided(w, p.pairs[a], b, c, |x, y, acc| {
                    x.apply_mul_then_add(y, acc)
                }),
                Code::ChainMulThenAddStrided => run_strided(w, p.pairs[a], b, c, |x, y, acc| {
                    x.apply_chain_mul_then_add(y, acc)
                }),
                Code::ChainMulRun => {
                    run_chain_mul(w, &p.pairs[a..a + b], c);
                    continue;
                }
                Code::Custom => {
                    let (op, slots) = &p.calls[a];
                    let args = &mut scratch[..slots.len()];
                    for (x, &sl) in args.iter_mut().zip(slots.iter()) {
                        *x = r(sl as usize);
                    }
                    T::apply_custom(op, args)
                }
                Code::Loop => {
                    run_loop(p, a, w, loops)?;
                    continue;
                }
                Code::LoopOut => loops[a].results[b],
                Code::Observe(o) => {
                    let k = ins.dst as usize;
                    let found = o.outcome(r(a).real_part());
                    if found != p.guards[k].1 {
                        return Err(p.guard_error(k, found, [r(a).real_part(); 2]));
                    }
                    continue;
                }
                Code::Compare(cmp) => {
                    let k = ins.dst as usize;
                    let found = cmp.outcome(r(a).real_part(), r(b).real_part());
                    if found != p.guards[k].1 {
                        let values = [r(a).real_part(), r(b).real_part()];
                        return Err(p.guard_error(k, found, values));
                    }
                    continue;
                }
            };
            // SAFETY: as above (`dst` of an operation is a slot index below `p.n_slots`).
            #[allow(unsafe_code)]
            unsafe {
                *w.get_unchecked_mut(ins.dst as usize) = v;
            }
        }
        Ok(())
    }

    /// Evaluates the program at `x` and returns the outputs (a new vector; see
    /// [`Evaluator::eval_into`] to reuse one).
    pub fn eval(&mut self, x: &[T]) -> Result<Vec<T>, GraphError> {
        let mut out = vec![T::from_constant(0.0); self.program.num_outputs()];
        self.eval_into(x, &mut out)?;
        Ok(out)
    }

    /// Evaluates the program at the inputs `x` and the parameters `params` and returns the
    /// outputs (a new vector; see [`Evaluator::eval_with_into`] to reuse one).
    pub fn eval_with(&mut self, x: &[T], params: &[T]) -> Result<Vec<T>, GraphError> {
        let mut out = vec![T::from_constant(0.0); self.program.num_outputs()];
        self.eval_with_into(x, params, &mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_traits::Float;

    fn f<T: Float>(x: &[T]) -> T {
        let s = (x[0] * x[1]).sin() + x[2].exp() * x[0];
        if x[2] > T::zero() { s * s } else { s }
    }

    /// Evaluation reads and writes work slots without bounds checks: exercised here on every kind
    /// of instruction (operations, fused ones, guards) and two value types, small enough to run
    /// under Miri (`cargo +nightly miri test --lib`), which checks each access.
    #[test]
    fn unchecked_slots_on_a_hessian_graph() {
        let x = [0.5, -1.5, 0.25];
        let h = Graph::record(&x, f).hessian();
        let program = h.program();
        assert!(program.num_slots() < h.num_nodes());
        let mut eval = program.evaluator::<f64>();
        let mut out = vec![0.0; h.num_outputs()];
        eval.eval_into(&x, &mut out).unwrap();
        // (the same operations in the same order, but Miri perturbs transcendental functions by
        // a few ulps on purpose: not bit for bit here)
        assert!((out[0] - f(&x)).abs() <= 1e-14);
        // forward mode on the graph: the outputs' tangents along e₀
        let mut dual = program.evaluator::<Dual<f64, 1>>();
        let xd = [
            Dual::new(x[0], [1.0]),
            Dual::constant(x[1]),
            Dual::constant(x[2]),
        ];
        let d = dual.eval(&xd).unwrap();
        // the tangent of f along e₀ is ∂f/∂x₀, which is also output 1
        assert!((d[0].eps[0] - out[1]).abs() <= 1e-12 * out[1].abs().max(1.0));
        // across the branch: a guard error, not a number
        assert!(eval.eval_into(&[0.5, -1.5, -0.25], &mut out).is_err());
    }
}

#[cfg(test)]
mod superinstruction_tests {
    use super::*;

    /// The logistic loss over rows [x (d), y] (the issue's benchmark, `dev/examples/loops_graph.rs`).
    fn logistic<T: crate::base::real::Real>(w: &[T], rows: &[T]) -> T {
        let d = w.len();
        crate::base::loops::sum_map(rows, d + 1, |r| {
            let z = (0..d).fold(T::zero(), |s, j| s + w[j] * r[j]);
            let y = r[d];
            y * (T::one() + (-z).exp()).ln() + (-y + 1.0) * (T::one() + z.exp()).ln()
        })
    }

    /// The instructions the interpreter dispatches per row of the logistic gradient (d = 100):
    /// the dot product and the adjoint spread over the weights are one instruction each, so a
    /// change that stops fusing them (327 dispatches per row before) fails here. And the loop over
    /// the rows reads the data where it is, with no copy per call.
    #[test]
    fn the_logistic_gradient_loop_bodies_are_fused() {
        let d = 100;
        let w: Vec<f64> = (0..d).map(|j| 0.01 * j as f64 - 0.5).collect();
        let rows: Vec<f64> = (0..3 * (d + 1)).map(|k| (k as f64 * 0.37).sin()).collect();
        let g = Graph::record_with(&w, &rows, logistic).gradient();
        let (fused, plain) = (g.program(), g.program_without_superinstructions());
        let bodies = |p: &Program| -> Vec<usize> {
            p.loops
                .iter()
                .flat_map(|(def, ..)| def.variants.iter().map(|v| v.body_program().len()))
                .collect()
        };
        // one loop over the rows (the reverse loop, which also keeps each row's value: 4 more
        // instructions), then the loop adding those up (its body outputs its input); the forward
        // loop (111 instructions) is not run
        let unfused: Vec<usize> = plain.bodies.iter().flatten().map(Program::len).collect();
        assert_eq!(unfused, [220, 0]);
        let dispatched = bodies(fused);
        assert!(
            dispatched.len() == 2 && dispatched[0] <= 32 && dispatched[1] == 0,
            "{dispatched:?} instructions per row"
        );
        // the loop over the rows reads them where they are; the other reads the values the first
        // kept (m values copied per call)
        let whole: Vec<bool> = fused.loops.iter().map(|l| l.3.is_some()).collect();
        assert_eq!(
            whole,
            [true, false],
            "the loop over the rows copies its operands"
        );
    }
}
