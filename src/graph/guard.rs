//! Guards: the value-dependent decisions made while a graph was recorded, and the error an
//! evaluation returns when one of them comes out differently.
//!
//! A graph is recorded at one point x₀. Wherever the recorded code (or a derivative rule) looked at
//! a value to decide something — a comparison, a sign bit, `is_nan`, a conversion to an integer —
//! the graph keeps a guard: the question and the answer seen at x₀. Evaluating the graph at another
//! input asks every question again; if an answer differs, the recorded operations are not the ones
//! the function would perform there, and the evaluation returns [`GraphError::Guard`] instead of a
//! number. The caller records again at that input.

use core::cmp::Ordering;
use core::fmt;
use core::num::FpCategory;

/// What generic code learns about a single value when it branches on it or converts it out of the
/// number type. For dual numbers and the tape this is just the value; a graph records it as a guard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Observe {
    /// `is_nan()`
    IsNan,
    /// `is_infinite()`
    IsInfinite,
    /// `is_finite()`
    IsFinite,
    /// `is_normal()`
    IsNormal,
    /// `is_subnormal()`
    IsSubnormal,
    /// `classify()`: the floating-point category
    Class,
    /// the sign bit (`is_sign_positive()`, `is_sign_negative()`, `Signed::is_positive`, …); every
    /// NaN answers as the canonical NaN [`f64::NAN`] does (positive): a NaN's sign is not specified
    /// (IEEE 754 and Rust leave it open, and compilers rewrite `(−a)·(−b)` as `a·b`), so a guard
    /// that read it could pass in one backend and fail in another
    SignBit,
    /// `== 0` (nalgebra's `to_exp`, `sinc`, …: a branch at zero)
    IsZero,
    /// `>= 0` (nalgebra's `argument`, `try_sqrt`)
    AtLeastZero,
    /// the value truncated towards zero (conversions to integers: `to_i64()`, `to_usize()`, …)
    Trunc,
    /// the value itself, bit for bit (`to_f64()`, `to_f32()`, `integer_decode()`, values baked into
    /// constants)
    Exact,
}

impl Observe {
    /// The answer for the value `v`, as a number compared exactly (every NaN answers alike, also
    /// to [`Observe::SignBit`] and [`Observe::Exact`]: as [`f64::NAN`]).
    ///
    /// ```
    /// use nilpotent::graph::Observe;
    /// assert_eq!(Observe::SignBit.outcome(-0.0), 1);
    /// assert_eq!(Observe::SignBit.outcome(-f64::NAN), Observe::SignBit.outcome(f64::NAN));
    /// ```
    #[inline]
    pub fn outcome(self, v: f64) -> u64 {
        match self {
            Observe::IsNan => v.is_nan() as u64,
            Observe::IsInfinite => v.is_infinite() as u64,
            Observe::IsFinite => v.is_finite() as u64,
            Observe::IsNormal => v.is_normal() as u64,
            Observe::IsSubnormal => v.is_subnormal() as u64,
            Observe::Class => match v.classify() {
                FpCategory::Nan => 0,
                FpCategory::Infinite => 1,
                FpCategory::Zero => 2,
                FpCategory::Subnormal => 3,
                FpCategory::Normal => 4,
            },
            Observe::SignBit => (v.is_sign_negative() && !v.is_nan()) as u64,
            Observe::IsZero => (v == 0.0) as u64,
            Observe::AtLeastZero => (v >= 0.0) as u64,
            // −0 and +0 truncate to the same integer
            Observe::Trunc => canonical_bits(v.trunc() + 0.0),
            Observe::Exact => canonical_bits(v),
        }
    }

    /// The question about `operand` (a name, such as `v3`) with the answer `outcome`, in words:
    /// what [`GraphError::Guard`] reports.
    ///
    /// ```
    /// use nilpotent::graph::Observe;
    /// assert_eq!(Observe::IsNan.describe("v3", 0), "v3.is_nan() = false");
    /// ```
    pub fn describe(self, operand: &str, outcome: u64) -> String {
        let yes = outcome != 0;
        match self {
            Observe::IsNan => format!("{operand}.is_nan() = {yes}"),
            Observe::IsInfinite => format!("{operand}.is_infinite() = {yes}"),
            Observe::IsFinite => format!("{operand}.is_finite() = {yes}"),
            Observe::IsNormal => format!("{operand}.is_normal() = {yes}"),
            Observe::IsSubnormal => format!("{operand}.is_subnormal() = {yes}"),
            Observe::Class => {
                let class = ["NaN", "infinite", "zero", "subnormal", "normal"];
                format!("{operand} is {}", class[outcome as usize])
            }
            Observe::SignBit => format!("{operand}.is_sign_negative() = {yes}"),
            Observe::IsZero => format!("({operand} == 0) = {yes}"),
            Observe::AtLeastZero => format!("({operand} >= 0) = {yes}"),
            Observe::Trunc => format!("trunc({operand}) = {}", f64::from_bits(outcome)),
            Observe::Exact => format!("{operand} = {:e}", f64::from_bits(outcome)),
        }
    }
}

/// A comparison of two values, as generic code makes it (`==`, `<`, `<=`, `partial_cmp`); `>` and
/// `>=` are `<` and `<=` with the operands swapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compare {
    /// `a == b`
    Eq,
    /// `a < b`
    Lt,
    /// `a <= b`
    Le,
    /// `a.partial_cmp(&b)`
    Order,
}

impl Compare {
    /// The answer for the values `a`, `b`, as a number compared exactly.
    #[inline]
    pub fn outcome(self, a: f64, b: f64) -> u64 {
        match self {
            Compare::Eq => (a == b) as u64,
            Compare::Lt => (a < b) as u64,
            Compare::Le => (a <= b) as u64,
            Compare::Order => order_code(a.partial_cmp(&b)),
        }
    }

    /// The comparison of `a` and `b` (names, such as `v3`) with the answer `outcome`, in words:
    /// what [`GraphError::Guard`] reports.
    ///
    /// ```
    /// use nilpotent::graph::Compare;
    /// assert_eq!(Compare::Lt.describe("v1", "v4", 1), "(v1 < v4) = true");
    /// ```
    pub fn describe(self, a: &str, b: &str, outcome: u64) -> String {
        let yes = outcome != 0;
        match self {
            Compare::Eq => format!("({a} == {b}) = {yes}"),
            Compare::Lt => format!("({a} < {b}) = {yes}"),
            Compare::Le => format!("({a} <= {b}) = {yes}"),
            Compare::Order => format!("{a} {} {b}", order_symbol(outcome)),
        }
    }
}

fn order_code(o: Option<Ordering>) -> u64 {
    match o {
        Some(Ordering::Less) => 0,
        Some(Ordering::Equal) => 1,
        Some(Ordering::Greater) => 2,
        None => 3,
    }
}

fn order_symbol(code: u64) -> &'static str {
    ["<", "==", ">", "is unordered with"][code as usize]
}

/// The bits of `v`, with every NaN mapped to one pattern (NaN payloads are not specified).
fn canonical_bits(v: f64) -> u64 {
    canonical(v).to_bits()
}

/// `v`, with every NaN replaced by [`f64::NAN`] (positive, the quiet NaN of Rust's constant): the
/// value a guard's question is asked about, and the value the recording answers with.
#[inline]
pub(crate) fn canonical(v: f64) -> f64 {
    if v.is_nan() { f64::NAN } else { v }
}

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

    /// The error every backend returns when guard `index`, this question with the answer
    /// `expected` at the recording point, answers `found` (nodes are named `v{i}`, as in the
    /// listing).
    #[cold]
    #[inline(never)]
    pub(crate) fn error(self, index: usize, expected: u64, found: u64) -> GraphError {
        match self {
            Test::Observe(o, a) => {
                GraphError::observed(index, o, &format!("v{a}"), expected, found)
            }
            Test::Compare(c, a, b) => GraphError::compared(
                index,
                c,
                &format!("v{a}"),
                &format!("v{b}"),
                expected,
                found,
            ),
        }
    }
}

/// A recorded decision: a question and the answer seen at the recording point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Guard {
    pub(crate) test: Test,
    pub(crate) expected: u64,
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
                "guard g{index} fails: recorded {recorded}, but here {found}; the recorded \
                 function takes another branch at this input (record the graph again here)"
            ),
            GraphError::InputLength { expected, found } => write!(
                f,
                "the graph has {} but the input given has {}",
                crate::text::count(*expected, "input", "inputs"),
                crate::text::count(*found, "value", "values")
            ),
            GraphError::OutputLength { expected, found } => write!(
                f,
                "the graph has {} but the output buffer has {}",
                crate::text::count(*expected, "output", "outputs"),
                crate::text::count(*found, "entry", "entries")
            ),
            GraphError::ParamLength { expected, found } => write!(
                f,
                "the graph has {} but {} given",
                crate::text::count(*expected, "parameter", "parameters"),
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
                 that none of its {} takes ({first}); record the graph again at this input",
                crate::text::count(*variants, "recorded variant", "recorded variants")
            ),
            GraphError::MissingParams { expected } => write!(
                f,
                "the graph's {} ({}) {} not given: a graph recorded with parameters is \
                 evaluated with eval_with(&x, &p) or eval_with_into(&x, &p, &mut out)",
                crate::text::count(*expected, "parameter", "parameters"),
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
