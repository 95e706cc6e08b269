//! What generic code asks a value: [`Observe`] (one value: is it NaN, its sign bit, its integer
//! part, …) and [`Compare`] (two values: `<`, `==`, …). Every number type answers these through one
//! method, so a branch in user code is a question with a recorded answer: dual numbers and the
//! tape answer with the value, the graph keeps the question and its answer as a guard.

use core::cmp::Ordering;
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
    /// what [`GraphError::Guard`](crate::graph::GraphError::Guard) reports.
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
    /// what [`GraphError::Guard`](crate::graph::GraphError::Guard) reports.
    ///
    /// ```
    /// use nilpotent::graph::Compare;
    /// assert_eq!(Compare::Lt.describe("v1", "v4", 1), "(v1 < v4) = true");
    /// ```
    pub fn describe(self, a: &str, b: &str, outcome: u64) -> String {
        let mut s = String::new();
        self.write(&mut s, a, b, outcome);
        s
    }

    /// [`Compare::describe`], appended to `s`.
    pub(crate) fn write(self, s: &mut String, a: &str, b: &str, outcome: u64) {
        use core::fmt::Write as _;
        let yes = outcome != 0;
        let _ = match self {
            Compare::Eq => write!(s, "({a} == {b}) = {yes}"),
            Compare::Lt => write!(s, "({a} < {b}) = {yes}"),
            Compare::Le => write!(s, "({a} <= {b}) = {yes}"),
            Compare::Order => write!(s, "{a} {} {b}", order_symbol(outcome)),
        };
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
