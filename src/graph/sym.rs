//! [`Sym`], the symbolic scalar that records a graph: a value at the recording point and the node
//! that computes it.

use core::cell::RefCell;
use core::cmp::Ordering;
use core::fmt;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use num_traits::{Float, One, Pow};

use super::guard::{Origin, Test, Written};
use super::record::{Arg, Builder};
use crate::base::observe::{Compare, Observe};
use crate::base::rules::{Binary, Unary};
use crate::base::scalar::{impl_num_traits, impl_operators};

/// The node index of a constant [`Sym`] (no node).
const NONE: u32 = u32::MAX;

/// A scalar recorded into a [`Graph`](super::Graph): its value at the recording point, and the
/// graph node that computes it.
///
/// `Sym` implements [`Float`](num_traits::Float), the rest of the num-traits family and nalgebra's
/// `RealField`, like [`Dual`](crate::Dual) and [`Var`](crate::reverse::Var): a generic function
/// runs on it unchanged inside [`Graph::record`](super::Graph::record), and every operation adds
/// (or finds, or folds) a node. Constants (`Float::zero()`, `NumCast::from`, literals mixed in as
/// `f64`) are not nodes until they meet a recorded value.
///
/// Where generic code looks at a value — `==`, `<`, `max`/`min` in user code, `is_nan`, `to_f64`,
/// the sign of a zero — the answer is the value's at the recording point, and the graph keeps it as
/// a guard (see [`GraphError::Guard`](super::GraphError::Guard)).
#[derive(Clone, Copy, Debug)]
pub struct Sym {
    value: f64,
    node: u32,
    graph: u64,
}

thread_local! {
    /// The graphs being recorded on this thread, innermost last. Every operation on a `Sym` goes to
    /// the innermost one, which must be the `Sym`'s own.
    static RECORDING: RefCell<Vec<Builder>> = const { RefCell::new(Vec::new()) };
}

/// The id of the next recording (0 marks constants; 64 bits are never exhausted).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

#[cold]
#[inline(never)]
fn wrong_graph(graph: u64, active: Option<u64>) -> ! {
    match active {
        None => panic!(
            "nilpotent::graph: an operation on a recorded Sym (graph #{graph}) happened outside of \
             its recording; a Sym is only valid inside the closure passed to Graph::record"
        ),
        Some(active) => panic!(
            "nilpotent::graph: a Sym of another graph recording (#{graph}) was used in the current \
             recording (#{active}); create every Sym inside the closure passed to Graph::record"
        ),
    }
}

/// Runs `f` on the innermost recording, which must be `graph`. `f` never panics or calls user code
/// while the recording is borrowed; a wrong graph panics after the borrow has ended.
#[inline]
fn with_builder<R>(graph: u64, f: impl FnOnce(&mut Builder) -> R) -> R {
    let result = RECORDING.with(|r| {
        let mut r = r.borrow_mut();
        match r.last_mut() {
            Some(b) if b.id == graph => Ok(f(b)),
            Some(b) => Err(Some(b.id)),
            None => Err(None),
        }
    });
    result.unwrap_or_else(|active| wrong_graph(graph, active))
}

/// Runs `f` on the innermost recording with the operands `args` as nodes or constants there.
/// An operand is a constant, a value of the innermost recording, or — inside a loop body being
/// recorded — a value of an enclosing recording, which becomes an input of the body (of every
/// body between the two). Any other operand panics (after the borrow has ended).
#[inline]
fn with_operands<R>(args: &[Sym], ops: &mut [Arg], f: impl FnOnce(&mut Builder, &[Arg]) -> R) -> R {
    let result = RECORDING.with(|r| {
        let mut r = r.borrow_mut();
        let Some(top) = r.last().map(|b| b.id) else {
            let g = args.iter().find(|a| a.graph != 0).map_or(0, |a| a.graph);
            return Err((g, None));
        };
        for (k, a) in args.iter().enumerate() {
            ops[k] = a.arg();
            if a.graph != 0 && a.graph != top {
                match lift_into(&mut r, a) {
                    Some(i) => ops[k] = Arg::Node(i),
                    None => return Err((a.graph, Some(top))),
                }
            }
        }
        let b = r.last_mut().expect("the innermost recording");
        Ok(f(b, ops))
    });
    result.unwrap_or_else(|(graph, active)| wrong_graph(graph, active))
}

/// The node of the innermost recording for `s`, a value of an enclosing one, if every recording
/// from there to the innermost is a loop body of the one before (`None` otherwise).
#[cold]
fn lift_into(r: &mut [Builder], s: &Sym) -> Option<u32> {
    let p = r.iter().rposition(|b| b.id == s.graph)?;
    for q in p + 1..r.len() {
        if r[q].lift.as_ref().map(|l| l.parent) != Some(r[q - 1].id) {
            return None;
        }
    }
    let mut node = s.node;
    for b in &mut r[p + 1..] {
        node = b.lift_node(node, s.value);
    }
    Some(node)
}

/// Runs `f` on the innermost recording (for the graph's own constructions, which call no user
/// code).
pub(crate) fn with_innermost<R>(f: impl FnOnce(&mut Builder) -> R) -> R {
    RECORDING.with(|r| {
        let mut r = r.borrow_mut();
        f(r.last_mut()
            .expect("nilpotent::graph: no recording (a bug)"))
    })
}

/// The id of the innermost recording on this thread, if any.
pub(crate) fn innermost() -> Option<u64> {
    RECORDING.with(|r| r.borrow().last().map(|b| b.id))
}

/// Starts the recording of a loop body inside the innermost recording: its inputs are `x0` (state
/// and windows), then the values `free` of the innermost recording (nodes and values) that a
/// body recorded before for the same loop uses. Returns the recording and the `Sym`s of `x0`.
pub(crate) fn start_body(x0: &[f64], free: &[(u32, f64)]) -> (Recording, Vec<Sym>) {
    let parent = innermost().expect("nilpotent::graph: a loop body outside of a recording");
    let id = NEXT_ID.fetch_add(1, AtomicOrdering::Relaxed);
    started(Builder::body(id, x0, parent, free), x0)
}

/// Starts a recording at `x0` whose new nodes have origin `level`; returns its id and the inputs.
pub(crate) fn start(x0: &[f64], level: u8) -> (Recording, Vec<Sym>) {
    let id = NEXT_ID.fetch_add(1, AtomicOrdering::Relaxed);
    let mut b = Builder::new(id, x0);
    b.level = level;
    started(b, x0)
}

/// [`start`] with the parameters `p0` (nodes after the inputs); returns the recording, the
/// inputs and the parameters.
pub(crate) fn start_with(x0: &[f64], p0: &[f64], level: u8) -> (Recording, Vec<Sym>, Vec<Sym>) {
    let id = NEXT_ID.fetch_add(1, AtomicOrdering::Relaxed);
    let mut b = Builder::with_params(id, x0, p0);
    b.level = level;
    let n = x0.len();
    let (rec, inputs) = started(b, x0);
    let params = p0
        .iter()
        .enumerate()
        .map(|(k, &v)| Sym {
            value: v,
            node: (n + k) as u32,
            graph: id,
        })
        .collect();
    (rec, inputs, params)
}

/// Makes `b` the innermost recording; returns it and the `Sym`s of its inputs.
fn started(b: Builder, x0: &[f64]) -> (Recording, Vec<Sym>) {
    let id = b.id;
    RECORDING.with(|r| r.borrow_mut().push(b));
    let inputs = x0
        .iter()
        .enumerate()
        .map(|(i, &v)| Sym {
            value: v,
            node: i as u32,
            graph: id,
        })
        .collect();
    (Recording { id, done: false }, inputs)
}

/// A recording in progress: ends it (removes it from the thread's list) when finished or dropped,
/// also when the recorded function panics.
pub(crate) struct Recording {
    id: u64,
    done: bool,
}

impl Recording {
    /// The id of this recording (for [`Sym::in_graph`]).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Runs `f` on this recording's builder (for the graph's own constructions, which call no user
    /// code).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Builder) -> R) -> R {
        with_builder(self.id, f)
    }

    /// Checks that this is the thread's innermost recording, the one `Sym` arithmetic records
    /// into. A construction that records with `Sym` operators (the derivative builder) takes its
    /// recording as an argument and checks it here, so that where it writes is in its signature.
    ///
    /// # Panics
    /// If another recording is innermost (a bug of the construction).
    pub(crate) fn expect_innermost(&self) {
        assert_eq!(
            innermost(),
            Some(self.id),
            "nilpotent::graph: a construction records into a recording that is not the innermost \
             one (a bug)"
        );
    }

    /// Ends the recording and returns what was recorded.
    pub(crate) fn finish(mut self) -> Builder {
        self.done = true;
        let b = RECORDING.with(|r| r.borrow_mut().pop());
        match b {
            Some(b) if b.id == self.id => b,
            _ => panic!("nilpotent::graph: graph recordings ended out of order"),
        }
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        if !self.done {
            // (the builder is dropped after the borrow: dropping it may drop the last handle on a
            // custom rule, whose `Drop` is user code)
            let _builder = RECORDING.with(|r| {
                let mut r = r.borrow_mut();
                if r.last().is_some_and(|b| b.id == self.id) {
                    r.pop()
                } else {
                    None
                }
            });
        }
    }
}

impl Sym {
    /// A constant: no node, no graph needed.
    #[inline]
    pub fn constant(value: f64) -> Sym {
        Sym {
            value,
            node: NONE,
            graph: 0,
        }
    }

    /// The value at the recording point.
    ///
    /// This is for looking at a recording. To compute with the value (a conversion out of the
    /// graph), use `to_f64()`, which the graph keeps as a guard: the value read here is not, and
    /// `x.value().sin()` is a plain number outside the graph (call `x.sin()`).
    #[inline]
    pub fn value(&self) -> f64 {
        self.value
    }

    /// True for a constant (a value with no node).
    #[inline]
    pub fn is_constant(&self) -> bool {
        self.node == NONE
    }

    /// The index of this value's node in the graph being recorded (`None` for a constant).
    pub fn node(&self) -> Option<usize> {
        (!self.is_constant()).then_some(self.node as usize)
    }

    /// Panics unless this is a constant or a value of the recording `id`.
    pub(crate) fn check_graph(&self, id: u64) {
        if !self.is_constant() && self.graph != id {
            wrong_graph(self.graph, Some(id));
        }
    }

    /// The operand this `Sym` is while recording.
    pub(crate) fn arg(self) -> Arg {
        if self.is_constant() {
            Arg::Const(self.value)
        } else {
            Arg::Node(self.node)
        }
    }

    /// The `Sym` of an operand of the recording `graph` (`b` is its builder).
    pub(crate) fn from_arg(a: Arg, b: &Builder) -> Sym {
        match a {
            Arg::Const(c) => Sym::constant(c),
            Arg::Node(i) => Sym {
                value: b.values[i as usize],
                node: i,
                graph: b.id,
            },
        }
    }

    /// Applies `f` to the operands in the innermost recording, or folds when all are constants.
    #[inline]
    fn apply<const N: usize>(
        args: [Sym; N],
        f: impl FnOnce(&mut Builder, [Arg; N]) -> Arg,
        fold: impl FnOnce() -> f64,
    ) -> Sym {
        if args.iter().all(Sym::is_constant) {
            return Sym::constant(fold());
        }
        let mut ops = [Arg::Const(0.0); N];
        with_operands(&args, &mut ops, |b, ops| {
            let ops: [Arg; N] = ops.try_into().expect("N operands");
            let a = f(b, ops);
            Sym::from_arg(a, b)
        })
    }

    /// This value in the innermost recording: itself, or — inside a loop body — the body's input
    /// for a value of an enclosing recording.
    pub(crate) fn localize(self) -> Sym {
        if self.is_constant() {
            return self;
        }
        let mut ops = [Arg::Const(0.0)];
        with_operands(&[self], &mut ops, |b, ops| Sym::from_arg(ops[0], b))
    }

    #[inline]
    pub(crate) fn unary(self, op: Unary) -> Sym {
        Self::apply([self], |b, [a]| b.unary(op, a), || op.eval(self.value).0)
    }

    #[inline]
    pub(crate) fn binary(self, op: Binary, other: Sym) -> Sym {
        Self::apply(
            [self, other],
            |b, [x, y]| b.binary(op, x, y),
            || op.eval(self.value, other.value).0,
        )
    }

    #[inline]
    pub(crate) fn binary_const_rhs(self, op: Binary, other: f64) -> Sym {
        self.binary(op, Sym::constant(other))
    }

    #[inline]
    pub(crate) fn binary_const_lhs(op: Binary, this: f64, other: Sym) -> Sym {
        Sym::constant(this).binary(op, other)
    }

    /// `self·a + b` rounded once: one `mul_add` node.
    #[inline]
    fn fused_mul_add(self, a: Sym, b: Sym) -> Sym {
        Self::apply(
            [self, a, b],
            |bld, [x, y, z]| bld.mul_add(x, y, z),
            || crate::base::rules::mul_add(self.value, a.value, b.value).0,
        )
    }

    /// The custom rule `op` applied to `args` ([`crate::custom`]): a node that calls the rule,
    /// or a constant if every operand is one. The rule's value (user code, which may record a
    /// graph of its own) is computed before the recording is borrowed.
    pub(crate) fn custom_node(op: crate::graph::custom::CustomFn, args: &[Sym]) -> Sym {
        let values: Vec<f64> = args.iter().map(|a| a.value).collect();
        let v = op.value(&values);
        if args.iter().all(Sym::is_constant) {
            return Sym::constant(v);
        }
        let mut ops = vec![Arg::Const(0.0); args.len()];
        with_operands(args, &mut ops, |b, ops| {
            let a = b.custom(&op, ops, v);
            Sym::from_arg(a, b)
        })
    }

    /// `self ⊙ other` ([`rules::chain_mul`](crate::rules::chain_mul)).
    #[inline]
    pub(crate) fn chain_mul(self, other: Sym) -> Sym {
        Self::apply(
            [self, other],
            |b, [x, y]| b.chain_mul(x, y),
            || crate::base::rules::chain_mul(self.value, other.value).0,
        )
    }

    /// The value, for a branch or conversion that asks `what` of it: the graph keeps the answer as
    /// a guard (nothing is kept for a constant). A NaN is returned as [`f64::NAN`], the NaN the
    /// guard asks about: its sign and payload are not specified, every backend may compute another
    /// one, and the guard accepts them all, so the recorded branch (`is_sign_negative()` is false)
    /// and a converted value (`to_f64()`) must not depend on them either.
    #[inline]
    pub(crate) fn observe(&self, what: Observe) -> f64 {
        let v = crate::base::observe::canonical(self.value);
        if !self.is_constant() {
            let expected = what.outcome(v);
            let mut ops = [Arg::Const(0.0)];
            with_operands(&[*self], &mut ops, |b, ops| {
                if let Arg::Node(x) = ops[0] {
                    b.guard(Test::Observe(what, x), expected)
                }
            });
        }
        v
    }

    /// Records the comparison `op(self, other)` with its answer at the recording point, written
    /// `written` by the caller.
    #[track_caller]
    fn compare(&self, op: Compare, other: &Sym, written: Written) -> u64 {
        let answer = op.outcome(self.value, other.value);
        if !(self.is_constant() && other.is_constant()) {
            let origin = Origin::here(written);
            let mut ops = [Arg::Const(0.0); 2];
            with_operands(&[*self, *other], &mut ops, |b, ops| {
                let (x, y) = (b.materialize(ops[0]), b.materialize(ops[1]));
                b.guard_at(Test::Compare(op, x, y), answer, Some(origin));
            });
        }
        answer
    }
}

impl_num_traits!([] Sym, f64);
impl_operators!([] Sym, f64, [] Sym, f64);

/// xʸ with a constant `f64` exponent.
impl Pow<f64> for Sym {
    type Output = Sym;
    fn pow(self, y: f64) -> Sym {
        self.binary_const_rhs(Binary::Powf, y)
    }
}

/// The constant 0.
impl Default for Sym {
    fn default() -> Sym {
        Sym::constant(0.0)
    }
}

/// Compares the values at the recording point; the graph keeps the answer as a guard.
impl PartialEq for Sym {
    #[track_caller]
    fn eq(&self, other: &Sym) -> bool {
        self.compare(Compare::Eq, other, Written::Eq) != 0
    }
    // `!=` is recorded as `==`, but remembered as written (for the guard's message)
    #[allow(clippy::partialeq_ne_impl)]
    #[track_caller]
    fn ne(&self, other: &Sym) -> bool {
        self.compare(Compare::Eq, other, Written::Ne) == 0
    }
}

/// Orders the values at the recording point; the graph keeps the answer as a guard (`>` and `>=`
/// are kept as `<` and `<=` of the swapped operands).
impl PartialOrd for Sym {
    #[track_caller]
    fn partial_cmp(&self, other: &Sym) -> Option<Ordering> {
        match self.compare(Compare::Order, other, Written::PartialCmp) {
            0 => Some(Ordering::Less),
            1 => Some(Ordering::Equal),
            2 => Some(Ordering::Greater),
            _ => None,
        }
    }
    #[track_caller]
    fn lt(&self, other: &Sym) -> bool {
        self.compare(Compare::Lt, other, Written::Lt) != 0
    }
    #[track_caller]
    fn le(&self, other: &Sym) -> bool {
        self.compare(Compare::Le, other, Written::Le) != 0
    }
    #[track_caller]
    fn gt(&self, other: &Sym) -> bool {
        other.compare(Compare::Lt, self, Written::Gt) != 0
    }
    #[track_caller]
    fn ge(&self, other: &Sym) -> bool {
        other.compare(Compare::Le, self, Written::Ge) != 0
    }
}

/// The value at the recording point (with the formatter's precision).
impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}
