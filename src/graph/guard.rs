//! Guards: the value-dependent decisions made while a graph was recorded, and the error an
//! evaluation returns when one of them comes out differently.
//!
//! A graph is recorded at one point x₀. Wherever the recorded code (or a derivative rule) looked at
//! a value to decide something — a comparison, a sign bit, `is_nan`, a conversion to an integer —
//! the graph keeps a guard: the question and the answer seen at x₀. Evaluating the graph at another
//! input asks every question again; if an answer differs, the recorded operations are not the ones
//! the function would perform there, and the evaluation returns [`GraphError::Guard`] instead of a
//! number. The caller records again at that input.

use core::fmt;

use crate::base::observe::{Compare, Observe};

/// The question a guard asks, about one or two nodes of the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Test {
    Observe(Observe, u32),
    Compare(Compare, u32, u32),
}

impl Test {
    /// The nodes the question is about.
    pub(crate) fn operands(self) -> ([u32; 2], usize) {
        match self {
            Test::Observe(_, a) => ([a, a], 1),
            Test::Compare(_, a, b) => ([a, b], 2),
        }
    }

    /// The same question about other nodes (`map` renumbers).
    pub(crate) fn map(self, mut map: impl FnMut(u32) -> u32) -> Test {
        match self {
            Test::Observe(o, a) => Test::Observe(o, map(a)),
            Test::Compare(c, a, b) => Test::Compare(c, map(a), map(b)),
        }
    }

    /// The question with the answer `outcome`, naming nodes with `name`.
    pub(crate) fn describe(self, outcome: u64, name: impl Fn(u32) -> String) -> String {
        match self {
            Test::Observe(o, a) => o.describe(&name(a), outcome),
            Test::Compare(c, a, b) => c.describe(&name(a), &name(b), outcome),
        }
    }
}

/// A recorded decision: a question and the answer seen at the recording point, and where in the
/// recorded code it was asked (two guards with the same question and answer are equal wherever
/// they were asked: the graph keeps the first).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Guard {
    pub(crate) test: Test,
    pub(crate) expected: u64,
    pub(crate) origin: Option<Origin>,
}

impl PartialEq for Guard {
    fn eq(&self, other: &Guard) -> bool {
        (self.test, self.expected) == (other.test, other.expected)
    }
}

impl Eq for Guard {}

impl core::hash::Hash for Guard {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        (self.test, self.expected).hash(state);
    }
}

/// A comparison as the user wrote it: `>` and `>=` are recorded as `<` and `<=` of the swapped
/// operands, `!=` as `==` with the answer negated; this puts them back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Written {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    PartialCmp,
}

/// Where a comparison was made in the recorded code (the caller of `<`, `>`, `==`, … on
/// [`Sym`](super::Sym), through `#[track_caller]`) and how it was written.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Origin {
    pub(crate) at: &'static core::panic::Location<'static>,
    pub(crate) written: Written,
}

impl Origin {
    /// The origin of a comparison written `written`, made by the caller.
    #[track_caller]
    #[inline]
    pub(crate) fn here(written: Written) -> Origin {
        Origin {
            at: core::panic::Location::caller(),
            written,
        }
    }
}

/// A guard in the user's words: its operands named as in the source (`x[0]`, `p[1]`, a constant,
/// a short expression of them) and where it was asked. Made once per guard when a graph is
/// lowered ([`Words::of`]); every backend reports a failed guard with it (emitted code through
/// the same constructors, [`GraphError::__compared_in_words`] and
/// [`GraphError::__observed_in_words`], with the words written into the code).
#[derive(Clone, Debug)]
pub(crate) struct Words {
    pub(crate) names: [String; 2],
    /// each operand that is an input (`Some((false, i))`) or a parameter (`Some((true, k))`):
    /// its value at the failing input is shown
    pub(crate) leaf: [Option<(bool, u32)>; 2],
    /// where the comparison was made (empty if not known: a question that is not a comparison)
    pub(crate) at: String,
    /// how the comparison was written ([`Written::code`]; `u8::MAX` if not known)
    pub(crate) written: u8,
}

/// The longest operand expression spelt out; a longer one is named by its node (`v12`).
const MAX_EXPRESSION: usize = 48;

impl Words {
    /// The words of guard `guard` of `g`.
    pub(crate) fn of(g: &super::Graph, guard: &Guard) -> Words {
        let (ops, m) = guard.test.operands();
        let name = |a: u32| super::display::spelt_out(g, a, MAX_EXPRESSION);
        let leaf = |a: u32| match g.nodes()[a as usize] {
            super::Node::Input(i) => Some((false, i)),
            super::Node::Param(k) => Some((true, k)),
            _ => None,
        };
        let names = [
            name(ops[0]),
            if m > 1 { name(ops[1]) } else { String::new() },
        ];
        Words {
            names,
            leaf: [leaf(ops[0]), if m > 1 { leaf(ops[1]) } else { None }],
            at: guard.origin.map(|o| place(o.at)).unwrap_or_default(),
            written: guard.origin.map_or(u8::MAX, |o| o.written.code()),
        }
    }

    /// The error for guard `index`, the question `test` (whose operands `self` names) with the
    /// answer `expected` at the recording point and `found` here; `values` are the operands'
    /// values here.
    #[cold]
    #[inline(never)]
    pub(crate) fn error(
        &self,
        index: usize,
        test: Test,
        expected: u64,
        found: u64,
        values: [f64; 2],
    ) -> GraphError {
        let shown = |i: usize| self.leaf[i].map(|_| values[i]);
        match test {
            Test::Compare(c, ..) => GraphError::__compared_in_words(
                index,
                c,
                [&self.names[0], &self.names[1]],
                &self.at,
                self.written,
                expected,
                found,
                [shown(0), shown(1)],
            ),
            Test::Observe(o, _) => {
                GraphError::__observed_in_words(index, o, &self.names[0], expected, found, shown(0))
            }
        }
    }

    /// [`Words::error`] where the operands' values are not at hand (compiled code): those to show
    /// (inputs and parameters) are read from the inputs `x` and the parameters `p`.
    #[cold]
    #[inline(never)]
    #[cfg_attr(not(feature = "jit"), allow(dead_code))]
    pub(crate) fn error_at(
        &self,
        index: usize,
        test: Test,
        expected: u64,
        found: u64,
        x: &[f64],
        p: &[f64],
    ) -> GraphError {
        let value = |l: Option<(bool, u32)>| match l {
            Some((false, i)) => x[i as usize],
            Some((true, k)) => p[k as usize],
            None => f64::NAN,
        };
        let values = [value(self.leaf[0]), value(self.leaf[1])];
        self.error(index, test, expected, found, values)
    }
}

impl Written {
    /// The code of the written form, for [`GraphError::__compared_in_words`].
    pub(crate) fn code(self) -> u8 {
        self as u8
    }

    fn from_code(code: u8) -> Option<Written> {
        use Written::*;
        [Lt, Le, Gt, Ge, Eq, Ne, PartialCmp]
            .get(code as usize)
            .copied()
    }
}

impl GraphError {
    /// The error for guard `index`, the comparison `compare` of the operands `names` (as the
    /// user wrote them: `x[0]`, `0.0`), made at `at` (a source location, or empty) and written
    /// as `written` (a code of the crate's, `u8::MAX` if not known), which answered `expected`
    /// at the recording point and `found` here; `values` are the operands' values here, for
    /// those to show (inputs and parameters). Used by every backend, emitted code included; not
    /// part of the API.
    #[doc(hidden)]
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    pub fn __compared_in_words(
        index: usize,
        compare: Compare,
        names: [&str; 2],
        at: &str,
        written: u8,
        expected: u64,
        found: u64,
        values: [Option<f64>; 2],
    ) -> GraphError {
        use core::fmt::Write as _;
        let [a, b] = names;
        let written = Written::from_code(written)
            .filter(|&w| (compare == Compare::Order) == (w == Written::PartialCmp));
        // two strings, each allocated once at its final size (an error path, but a cheap one)
        let room = a.len() + b.len() + at.len() + 48;
        // the operands in the order the message names them (source order for `>`, `>=`)
        let mut order = [0, 1];
        let (mut recorded, mut now) = (String::with_capacity(room), String::with_capacity(room));
        let at = |s: &mut String| {
            if !at.is_empty() {
                let _ = write!(s, " at {at}");
            }
        };
        match written {
            Some(Written::PartialCmp) => {
                let _ = write!(recorded, "{a}.partial_cmp(&{b})");
                at(&mut recorded);
                let _ = write!(recorded, " was {}", order_name(expected));
                now.push_str(order_name(found));
            }
            Some(w) => {
                // operands in source order, the operator as written
                if matches!(w, Written::Gt | Written::Ge) {
                    order = [1, 0];
                }
                let (l, r, sym, negate) = match w {
                    Written::Lt => (a, b, "<", false),
                    Written::Le => (a, b, "<=", false),
                    Written::Gt => (b, a, ">", false),
                    Written::Ge => (b, a, ">=", false),
                    Written::Eq => (a, b, "==", false),
                    _ => (a, b, "!=", true),
                };
                let yes = |v: u64| (v != 0) != negate;
                let _ = write!(recorded, "{l} {sym} {r}");
                at(&mut recorded);
                let _ = write!(recorded, " was {}", yes(expected));
                let _ = write!(now, "{}", yes(found));
            }
            None => {
                compare.write(&mut recorded, a, b, expected);
                at(&mut recorded);
                compare.write(&mut now, a, b, found);
            }
        }
        // the values of the operands that are inputs or parameters: `(x[0] = -1, p[1] = 2)`
        let mut first = true;
        for (k, &i) in order.iter().enumerate() {
            let (name, v) = (names[i], values[i]);
            let shown_before = k == 1 && values[order[0]].is_some() && names[order[0]] == name;
            if let Some(v) = v
                && !shown_before
            {
                let _ = write!(now, "{}{name} = {v}", if first { " (" } else { ", " });
                first = false;
            }
        }
        if !first {
            now.push(')');
        }
        GraphError::guard(index, recorded, now)
    }

    /// The error for guard `index`, the question `observe` about `name` (as the user wrote it),
    /// which answered `expected` at the recording point and `found` here; `value` is the
    /// operand's value here if it is to be shown (an input or a parameter). Used by every
    /// backend, emitted code included; not part of the API.
    #[doc(hidden)]
    #[cold]
    #[inline(never)]
    pub fn __observed_in_words(
        index: usize,
        observe: Observe,
        name: &str,
        expected: u64,
        found: u64,
        value: Option<f64>,
    ) -> GraphError {
        // a method call on an expression: `(x[0] + x[1]).is_nan()`
        let operand = if name.contains(' ') {
            format!("({name})")
        } else {
            name.to_string()
        };
        let now = observe.describe(&operand, found);
        GraphError::guard(
            index,
            observe.describe(&operand, expected),
            match value {
                Some(v) => format!("{now} ({name} = {v})"),
                None => now,
            },
        )
    }
}

/// Where a comparison was made: `src/model.rs:12:8`, or `nilpotent's src/rules.rs` for one
/// made by the crate itself (a derivative rule's branch), not by the recorded code (without a
/// line: it would mean nothing to the user, and code emitted from the graph would change with
/// every edit of the crate).
pub(crate) fn place(at: &core::panic::Location<'_>) -> String {
    // this file is `<the crate's source directory>graph/guard.rs`
    let own = file!().strip_suffix("graph/guard.rs").unwrap_or("src/");
    if !own.is_empty() && at.file().starts_with(own) {
        format!("nilpotent's {}", at.file())
    } else {
        format!("{}:{}:{}", at.file(), at.line(), at.column())
    }
}

/// `a.partial_cmp(&b)`'s answer, by its code ([`Compare::outcome`]).
fn order_name(code: u64) -> &'static str {
    ["Some(Less)", "Some(Equal)", "Some(Greater)", "None"][code as usize]
}

/// Why a graph could not be evaluated at an input.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GraphError {
    /// A decision taken while recording (a comparison, a sign, a rounding, a conversion — in the
    /// recorded function or in a derivative rule) comes out differently at this input: the graph's
    /// operations are not the ones the function performs here. Record the graph again at this
    /// input.
    Guard {
        /// the guard's number (its position in the graph's listing)
        index: usize,
        /// the question and the answer seen at the recording point, e.g. `(v3 < v1) = true`
        recorded: String,
        /// the same question with the answer at this input
        found: String,
    },
    /// The input does not have one value per input of the graph.
    InputLength {
        /// the graph's number of inputs
        expected: usize,
        /// the length of the input given
        found: usize,
    },
    /// The output buffer does not have one entry per output of the graph.
    OutputLength {
        /// the graph's number of outputs
        expected: usize,
        /// the length of the buffer given
        found: usize,
    },
    /// The parameters given do not have one value per parameter of the graph (see
    /// [`Graph::record_with`](super::Graph::record_with)).
    ParamLength {
        /// the graph's number of parameters
        expected: usize,
        /// the number of parameters given
        found: usize,
    },
    /// The graph has parameters and was evaluated without them (`eval(&x)` or `eval_into`
    /// instead of `eval_with(&x, &p)` or `eval_with_into`): a parameter never takes a default
    /// value, not even the one it was recorded with.
    MissingParams {
        /// the graph's number of parameters (`p0` to `p{expected − 1}`, all missing)
        expected: usize,
    },
    /// An iteration of a loop ([`crate::loops`]) takes a path through the loop body's branches
    /// that none of the paths recorded for the body takes (each recorded path, a *variant* of the
    /// body, is tried in turn and one of its guards fails). Record the graph again at this input,
    /// or write the branch without a comparison on the data.
    LoopGuard {
        /// the iteration (the row, counted from 0)
        iteration: usize,
        /// the number of recorded variants of the body
        variants: usize,
        /// why the first variant does not apply, in words
        first: String,
    },
}

impl GraphError {
    /// The error for guard `index` (used by evaluators; `recorded` and `found` are its question
    /// with the two answers, in words).
    pub fn guard(index: usize, recorded: String, found: String) -> GraphError {
        GraphError::Guard {
            index,
            recorded,
            found,
        }
    }
}

impl GraphError {
    /// The error for guard `index`, the question `observe` about `operand` (a name, such as `v3`),
    /// which answered `expected` at the recording point and `found` here (the outcomes of
    /// [`Observe::outcome`]). Code emitted by [`Graph::to_rust`](super::Graph::to_rust) reports
    /// failed guards with it.
    #[cold]
    #[inline(never)]
    pub fn observed(
        index: usize,
        observe: Observe,
        operand: &str,
        expected: u64,
        found: u64,
    ) -> GraphError {
        GraphError::guard(
            index,
            observe.describe(operand, expected),
            observe.describe(operand, found),
        )
    }

    /// The error for guard `index`, the comparison `compare` of `a` and `b` (names, such as
    /// `v3`), which answered `expected` at the recording point and `found` here (the outcomes of
    /// [`Compare::outcome`]). Code emitted by [`Graph::to_rust`](super::Graph::to_rust) reports
    /// failed guards with it.
    #[cold]
    #[inline(never)]
    pub fn compared(
        index: usize,
        compare: Compare,
        a: &str,
        b: &str,
        expected: u64,
        found: u64,
    ) -> GraphError {
        GraphError::guard(
            index,
            compare.describe(a, b, expected),
            compare.describe(a, b, found),
        )
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GraphError::Guard {
                index,
                recorded,
                found,
            } => write!(
                f,
                "guard g{index} fails: {recorded} at recording, but here {found}; the recorded \
                 function takes another branch at this input (record the graph again here, or \
                 evaluate through a CachedGraph, which does)"
            ),
            GraphError::InputLength { expected, found } => write!(
                f,
                "the graph has {} but the input given has {}",
                crate::base::text::count(*expected, "input", "inputs"),
                crate::base::text::count(*found, "value", "values")
            ),
            GraphError::OutputLength { expected, found } => write!(
                f,
                "the graph has {} but the output buffer has {}",
                crate::base::text::count(*expected, "output", "outputs"),
                crate::base::text::count(*found, "entry", "entries")
            ),
            GraphError::ParamLength { expected, found } => write!(
                f,
                "the graph has {} but {} given",
                crate::base::text::count(*expected, "parameter", "parameters"),
                match found {
                    1 => "1 parameter value was".to_string(),
                    k => format!("{k} parameter values were"),
                }
            ),
            GraphError::LoopGuard {
                iteration,
                variants,
                first,
            } => write!(
                f,
                "iteration {iteration} of a loop takes a path through the loop body's branches \
                 that none of its {} takes: {first}",
                crate::base::text::count(*variants, "recorded variant", "recorded variants")
            ),
            GraphError::MissingParams { expected } => write!(
                f,
                "the graph's {} ({}) {} not given: a graph recorded with parameters is \
                 evaluated with eval_with(&x, &p) or eval_with_into(&x, &p, &mut out)",
                crate::base::text::count(*expected, "parameter", "parameters"),
                match expected {
                    1 => "p0".to_string(),
                    2 => "p0, p1".to_string(),
                    3 => "p0, p1, p2".to_string(),
                    k => format!("p0 … p{}", k - 1),
                },
                if *expected == 1 { "was" } else { "were" }
            ),
        }
    }
}

impl std::error::Error for GraphError {}
