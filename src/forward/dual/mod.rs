//! Dual numbers: forward-mode automatic differentiation.
//!
//! A dual number `a + b₁ε₁ + … + b_Nε_N` carries a real part `a` and `N` tangents `bᵢ`, with the
//! algebra εᵢεⱼ = 0 for all i, j (in particular ε² = 0). Taylor's theorem then makes every smooth
//! function exact on its first-order part:
//!
//! ```text
//! f(a + bε) = f(a) + f'(a)·b ε            (the ε² term and everything after it vanish)
//! ```
//!
//! so evaluating a program on `x + ẋε` yields `f(x) + f'(x)·ẋ ε`: the value and a directional
//! derivative at once. With `N` tangent slots one evaluation yields `N` directional derivatives.
//!
//! The derivative of each elementary function comes from [`crate::rules`]; this module only applies
//! the chain rule lane by lane:
//!
//! ```text
//! f(x):     v = f(x.re),     eps[i] = f'(x.re) · x.eps[i]
//! f(x, y):  v = f(x.re, y.re), eps[i] = ∂ₓf · x.eps[i] + ∂ᵧf · y.eps[i]
//! ```
//!
//! **Zero lanes stay zero.** If a local derivative is ±∞ or NaN (`sqrt` at 0, `ln` at 0), a lane whose
//! incoming tangent is exactly zero keeps a zero tangent instead of `0·∞ = NaN`. So a function
//! evaluated at a singular point with respect to a variable it does not depend on gets the right
//! answer 0, and one singular lane never poisons another. Symmetrically, an exactly zero local
//! derivative (`floor`, the losing side of `max`, a product with 0) contributes nothing, even
//! against an infinite or NaN incoming tangent: `floor(sqrt(x))` at 0 has tangent 0, not `0·∞`.
//! These tests are made once per operation; the lane loop stays branch-free in the ordinary case.
//!
//! **Comparisons look at the real part only** (`==`, `<`, `max`/`min`, `is_nan`, …), because generic
//! code branches on values, and a branch taken must be the one the `f64` program takes.
//!
//! **Nesting.** `Dual<Dual<f64, 1>, 1>` is a dual number whose parts are dual numbers; it computes
//! second derivatives. Each level has its own type, so perturbations of different levels can never
//! be confused by accident; a value of an outer level enters an inner computation through
//! [`Dual::constant`] (see the crate documentation).

mod num;
mod ops;

use core::cmp::Ordering;
use core::fmt;

use num_traits::Float;

use crate::base::elementary::elementary;
use crate::base::rules::{Binary, Unary, innermost};

/// A dual number `re + eps[0]·ε₀ + … + eps[N−1]·ε_{N−1}` with εᵢεⱼ = 0: a value and `N` tangents.
///
/// `Dual<T, N>` implements [`Float`] whenever `T` does, so generic numeric code runs on it unchanged
/// and returns derivatives alongside values:
///
/// ```
/// use nilpotent::Dual;
/// use num_traits::Float;
///
/// fn f<T: Float>(x: &[T]) -> T {
///     x[0].ln() + x[0] * x[1] - x[1].sin()
/// }
/// // seed x₁ with ε₀ and x₂ with ε₁: the two tangents of the result are ∂f/∂x₁ and ∂f/∂x₂
/// let x: [Dual<f64, 2>; 2] = [Dual::variable(2.0, 0), Dual::variable(5.0, 1)];
/// let y = f(&x);
/// assert!((y.re - 11.652071455223084).abs() < 1e-14);
/// assert_eq!(y.eps[0], 5.5);
/// assert!((y.eps[1] - 1.7163378145367738).abs() < 1e-14);
/// println!("{y:.3}"); // 11.652 + [5.500, 1.716]ε
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Dual<T, const N: usize> {
    /// The real part: the value of the computation.
    ///
    /// A plain number without the derivative: `x.re.sin()` is `f64::sin` and silently drops the
    /// tangents. Call the method on the dual number, `x.sin()` (an inherent method, no import
    /// needed; see [`crate::methods`]).
    pub re: T,
    /// The tangents: `eps[i]` is the derivative of the value along the i-th seed direction.
    pub eps: [T; N],
}

impl<T: Float, const N: usize> Dual<T, N> {
    /// A dual number with the given real part and tangents.
    ///
    /// Seeding `x` with a direction `r` (`Dual::new(x_i, [r_i])` for each input) makes every
    /// result carry the directional derivative along `r`.
    #[inline]
    pub fn new(re: T, eps: [T; N]) -> Self {
        Dual { re, eps }
    }

    /// A constant: real part `re`, all tangents zero.
    #[inline]
    pub fn constant(re: T) -> Self {
        Dual {
            re,
            eps: [T::zero(); N],
        }
    }

    /// The i-th independent variable: real part `re`, tangent eᵢ (1 in slot `i`, 0 elsewhere).
    ///
    /// # Panics
    /// If `i >= N`.
    #[inline]
    pub fn variable(re: T, i: usize) -> Self {
        assert!(
            i < N,
            "Dual::variable: index {i} is out of range for a dual number with {}",
            crate::base::text::count(N, "tangent slot", "tangent slots")
        );
        let mut d = Self::constant(re);
        d.eps[i] = T::one();
        d
    }

    /// Applies a function of one argument whose value at `self.re` is `value` and whose derivative
    /// there is `derivative`: `value + derivative·eps ε`.
    ///
    /// This is the chain rule that every elementary function of this crate goes through; use it to
    /// differentiate a function the crate does not know (a special function with a known
    /// derivative). Lanes with a zero tangent stay exactly zero even if `derivative` is ±∞ or NaN;
    /// a `derivative` of exactly zero gives a constant even against an infinite or NaN tangent
    /// (`floor(sqrt(x))` at 0, `sqrt(x)·0`): an exactly zero partial means "does not depend on".
    /// Over dual numbers (`T` itself a dual number) each lane is `eps ⊙ derivative` decided by the
    /// values: the product rule, with the value 0 where a zero value meets ±∞ or NaN, so that a
    /// zero value that carries a higher derivative passes it on.
    ///
    /// ```
    /// use nilpotent::Dual;
    /// // the error function, with erf'(x) = 2/√π · e^(−x²), given value and derivative at x = 0.5
    /// let x = Dual::<f64, 2>::new(0.5, [1.0, 0.0]);
    /// let (v, d) = (0.5204998778130465, 2.0 / core::f64::consts::PI.sqrt() * (-0.25f64).exp());
    /// let y = x.chain(v, d);
    /// assert_eq!(y.eps, [d, 0.0]);
    /// ```
    // Forced inlining (here and in `chain2`, `unary`, `binary*`) is for optimised builds only. In an
    // unoptimised build nothing is folded afterwards, so forcing it nests a full copy of the rule
    // table into every operator of every nesting level: `exp` on `Dual<Dual<Dual<Dual<f64, 1>, 1>,
    // 1>, 1>` became one 8 MB function whose stack frame overflowed a 2 MB test thread.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub fn chain(self, value: T, derivative: T) -> Self {
        let mut eps = self.eps;
        if finite_nonzero(derivative) {
            // the ordinary case: one test
            for e in eps.iter_mut() {
                *e = *e * derivative;
            }
        } else if !const { crate::base::zero::plain::<T>() } {
            // over dual numbers a zero value does not mean a zero number: see `crate::zero`
            for e in eps.iter_mut() {
                *e = crate::base::zero::product(*e, derivative);
            }
        } else if derivative.is_zero() {
            // no dependence: a constant, even if some incoming tangent is ±∞ or NaN
            return Self::constant(value);
        } else if const { wide::<T, N>() } {
            eps = scaled_nonzero(&[eps], derivative);
        } else {
            for e in eps.iter_mut() {
                *e = scale_nonzero(*e, derivative);
            }
        }
        Dual { re: value, eps }
    }

    /// Applies a function of two arguments with value `value` and partials `dx`, `dy` at
    /// `(self.re, other.re)`: `value + (dx·self.eps + dy·other.eps) ε`, with the zero-lane rule of
    /// [`Dual::chain`].
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub fn chain2(self, other: Self, value: T, dx: T, dy: T) -> Self {
        // the ordinary case first, with one test for both partials
        self.chain2_known(other, value, dx, dy, both_finite_nonzero(dx, dy))
    }

    /// [`Dual::chain2`] where the caller has established whether both partials are finite and
    /// nonzero (`ordinary`); `false` is always correct, only slower.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn chain2_known(self, other: Self, value: T, dx: T, dy: T, ordinary: bool) -> Self {
        if !ordinary && !const { crate::base::zero::plain::<T>() } {
            // over dual numbers a zero value does not mean a zero number: see `crate::zero`
            let mut eps = self.eps;
            for (e, o) in eps.iter_mut().zip(other.eps.iter()) {
                *e = crate::base::zero::product(*e, dx) + crate::base::zero::product(*o, dy);
            }
            return Dual { re: value, eps };
        }
        if !ordinary {
            if const { wide::<T, N>() } {
                // the same cases with one copy of `chain` and the infinite/NaN lanes out of line:
                // see `wide`
                let dy_zero = dy.is_zero();
                if dy_zero || dx.is_zero() {
                    let (x, d) = if dy_zero { (self, dx) } else { (other, dy) };
                    return x.chain(value, d);
                }
                if !(dx.is_finite() && dy.is_finite()) {
                    let eps = scaled_nonzero2(&[self.eps, other.eps], dx, dy);
                    return Dual { re: value, eps };
                }
            } else {
                if dy.is_zero() {
                    return self.chain(value, dx);
                }
                if dx.is_zero() {
                    return other.chain(value, dy);
                }
                if !(dx.is_finite() && dy.is_finite()) {
                    let mut eps = self.eps;
                    for (e, o) in eps.iter_mut().zip(other.eps.iter()) {
                        *e = scale_nonzero(*e, dx) + scale_nonzero(*o, dy);
                    }
                    return Dual { re: value, eps };
                }
            }
        }
        let mut eps = self.eps;
        for (e, o) in eps.iter_mut().zip(other.eps.iter()) {
            *e = *e * dx + *o * dy;
        }
        Dual { re: value, eps }
    }

    /// `(sin x, cos x)` from one `sin_cos` of the value: the rule table's `Sin` and `Cos`
    /// ([`rules::sin_cos`](crate::rules::sin_cos)). The same numbers as `(x.sin(), x.cos())`, bit
    /// for bit, at every nesting level; where the two were separate operations, a nested dual
    /// number computed its value's `sin_cos` twice.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub(crate) fn sin_cos_once(self) -> (Self, Self) {
        let [(s, ds), (c, dc)] = crate::base::rules::sin_cos(self.re);
        (self.chain(s, ds), self.chain(c, dc))
    }

    // The four entries below apply the rule table. Each forces its body inline only at the
    // innermost level (`T` = `f64`/`f32`); at outer levels it calls an `#[inline]` function of
    // its own, one per rule (so the rule still folds into it), reached by a function pointer, so
    // that nested dual numbers compile in seconds instead of minutes: see
    // `crate::rules::innermost`.

    /// Applies an entry of the rule table.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub(crate) fn unary(self, op: Unary) -> Self {
        if const { innermost::<T>() } {
            self.unary_body(op)
        } else {
            let outlined: fn(Self, i32) -> Self = elementary!(per_unary_rule, op, unary_outlined);
            let n = if let Unary::Powi(n) = op { n } else { 0 };
            outlined(self, n)
        }
    }

    /// [`Dual::unary`] at an outer level, one function per rule (`Unary::ALL[RULE]`, with
    /// exponent `n` for `Powi`), so that the rule folds into it.
    #[inline]
    fn unary_outlined<const RULE: usize>(self, n: i32) -> Self {
        self.unary_body(unary_at(RULE, n))
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn unary_body(self, op: Unary) -> Self {
        let (v, d) = op.eval(self.re);
        self.chain(v, d)
    }

    /// Applies an entry of the rule table to two dual numbers.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub(crate) fn binary(self, op: Binary, other: Self) -> Self {
        if const { innermost::<T>() } {
            self.binary_body(op, other)
        } else {
            let outlined: fn(Self, Self) -> Self =
                elementary!(per_binary_rule, op, binary_outlined);
            outlined(self, other)
        }
    }

    /// [`Dual::binary`] at an outer level, one function per rule (`Binary::ALL[RULE]`).
    #[inline]
    fn binary_outlined<const RULE: usize>(self, other: Self) -> Self {
        self.binary_body(Binary::ALL[RULE], other)
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn binary_body(self, op: Binary, other: Self) -> Self {
        let (v, dx, dy) = op.eval(self.re, other.re);
        // A product's partials are its factors, and a finite nonzero product xy has finite
        // nonzero factors: one test of the value, no extra product (`op` is a constant once
        // inlined, so this folds away for every other entry).
        let ordinary = if op == Binary::Mul {
            finite_nonzero(v)
        } else {
            both_finite_nonzero(dx, dy)
        };
        self.chain2_known(other, v, dx, dy, ordinary)
    }

    /// Applies an entry of the rule table to a dual number and a constant on the right.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub(crate) fn binary_const_rhs(self, op: Binary, other: T) -> Self {
        if const { innermost::<T>() } {
            self.binary_const_rhs_body(op, other)
        } else {
            let outlined: fn(Self, T) -> Self =
                elementary!(per_binary_rule, op, binary_const_rhs_outlined);
            outlined(self, other)
        }
    }

    #[inline]
    fn binary_const_rhs_outlined<const RULE: usize>(self, other: T) -> Self {
        self.binary_const_rhs_body(Binary::ALL[RULE], other)
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn binary_const_rhs_body(self, op: Binary, other: T) -> Self {
        let (v, dx, _) = op.eval(self.re, other);
        self.chain(v, dx)
    }

    /// Applies an entry of the rule table to a constant on the left and a dual number.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub(crate) fn binary_const_lhs(op: Binary, this: T, other: Self) -> Self {
        if const { innermost::<T>() } {
            Self::binary_const_lhs_body(op, this, other)
        } else {
            let outlined: fn(T, Self) -> Self =
                elementary!(per_binary_rule, op, binary_const_lhs_outlined);
            outlined(this, other)
        }
    }

    #[inline]
    fn binary_const_lhs_outlined<const RULE: usize>(this: T, other: Self) -> Self {
        Self::binary_const_lhs_body(Binary::ALL[RULE], this, other)
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn binary_const_lhs_body(op: Binary, this: T, other: Self) -> Self {
        let (v, _, dy) = op.eval(this, other.re);
        other.chain(v, dy)
    }
}

/// `Self::$f::<i>` for the rule `$op`, `i` its index in [`Unary::ALL`] (`per_unary_rule`) or
/// [`Binary::ALL`] (`per_binary_rule`): a constant once `op` is, so that the match folds away in the
/// caller. Generated from the list of elementary functions: invoked as
/// `elementary!(per_unary_rule, op, f)`.
macro_rules! per_unary_rule {
    ([$op:expr, $f:ident] unary { $($(#[$doc:meta])* $u:ident $(($rep:literal))? $m:ident
        ($($p:ident: $pt:ty)?) $home:ident $jit:ident,)* } binary { $($b:tt)* }) => {
        match $op {
            $(Unary::$u { .. } => Self::$f::<{ Unary::$u $(($rep))?.index() }>,)*
        }
    };
}

/// See [`per_unary_rule`].
macro_rules! per_binary_rule {
    ([$op:expr, $f:ident] unary { $($u:tt)* }
     binary { $($(#[$doc:meta])* $b:ident $name:literal $m:ident ($arg:ident) $home:ident,)* }) => {
        match $op {
            $(Binary::$b => Self::$f::<{ Binary::$b as usize }>,)*
        }
    };
}
use {per_binary_rule, per_unary_rule};

/// The rule `Unary::ALL[i]`, with exponent `n` if it is `Powi`: the inverse of [`Unary::index`].
#[inline(always)]
const fn unary_at(i: usize, n: i32) -> Unary {
    match Unary::ALL[i] {
        Unary::Powi(_) => Unary::Powi(n),
        op => op,
    }
}

/// True if `d` is finite and nonzero: a partial that needs none of the special cases of the
/// chain rule (zero partial, ±∞ or NaN partial). `false` is always safe, only slower.
///
/// At the innermost level (`f64`, `f32`, and `Dual<f32, 1>` through its real part: types whose
/// `to_f64` is exact) this is one integer comparison of the bits shifted left by one (the sign
/// dropped, as `lea -1(,%r,2)`): ±0 wraps to the maximum, ±∞ and NaN are at or above the bound,
/// every finite nonzero number (subnormals included) below it. That is four instructions
/// (`movq`, `lea`, `cmp`, `jcc`) against the eleven of `is_normal` (which also has to set
/// subnormals apart, for nothing here); a type without an `f64` value (`to_f64` = `None`) takes
/// the slow path. At outer levels (`T` a dual number) the test is `is_normal` of the real part,
/// as before: `to_f64` there would be the same number, but on a graph-mode `Sym` it would record
/// an exact-value guard where `is_normal` records a normality guard.
#[inline(always)]
pub(super) fn finite_nonzero<T: Float>(d: T) -> bool {
    if const { innermost::<T>() } {
        match d.to_f64() {
            Some(x) => {
                (x.to_bits() << 1).wrapping_sub(1) < (f64::INFINITY.to_bits() << 1).wrapping_sub(1)
            }
            None => false,
        }
    } else {
        d.is_normal()
    }
}

/// True if both `dx` and `dy` are finite and nonzero, by one test at the innermost level: a
/// finite nonzero product `dx·dy` has finite nonzero factors (a zero factor gives 0 or NaN, an
/// infinite one ±∞ or NaN). The converse fails only where the product over- or underflows, which
/// then takes the (always correct) slow path.
#[inline(always)]
pub(super) fn both_finite_nonzero<T: Float>(dx: T, dy: T) -> bool {
    if const { innermost::<T>() } {
        finite_nonzero(dx * dy)
    } else {
        dx.is_normal() && dy.is_normal()
    }
}

/// True if the tangents of `Dual<T, N>` take 64 bytes or more (8 or more `f64` lanes): then the
/// special cases of the chain rule are compiled smaller, in [`Dual::chain`] and `chain2_known`.
///
/// Every operation on dual numbers is compiled inline at the innermost level, with the branches of
/// its chain rule: an ordinary branch, and special cases for a zero partial (one operand does not
/// count) and for an infinite or NaN one (zero lanes stay zero). On 8 lanes of `f64` each branch is
/// 8 multiplications and more, held in 4 SSE registers per operand, and nalgebra's unrolled 4 × 4
/// inverse (`do_inverse4`, compiled into every `DMatrix::try_inverse`) is about 300 such operations
/// in one function: with every branch copied into each, stable rustc 1.95 (LLVM 22) crashed with a
/// segmentation fault in the register coalescer on `DMatrix::<Dual<f64, 8>>::try_inverse`
/// (`dev/examples/nalgebra_decompositions.rs`; not with AVX, where 8 lanes take 2 registers, nor
/// with 4 lanes). For wide tangents the zero-partial case therefore applies one copy of `chain` to
/// the operand that counts (instead of one copy per operand), and the lanes of an infinite or NaN
/// partial are computed out of line ([`scaled_nonzero`], [`scaled_nonzero2`]). The results are the
/// same operations in the same order, bit for bit; narrower duals compile exactly as before.
const fn wide<T, const N: usize>() -> bool {
    core::mem::size_of::<[T; N]>() >= 64
}

/// [`scale_nonzero`] in every lane of `eps[0]`: the tangents of [`Dual::chain`] for an infinite
/// or NaN partial `d`.
///
/// Out of line and cold, like [`scaled_nonzero2`], for wide tangents ([`wide`]): a partial is ±∞
/// or NaN only at a singular point, and inlined these per-lane selects were the largest special
/// case of an operation. The argument is an
/// array built for the call (`&[eps]`), so that only that copy, made on the cold path, has its
/// address taken, and the operands on the ordinary path stay in registers.
#[cold]
#[inline(never)]
fn scaled_nonzero<T: Float, const N: usize>(eps: &[[T; N]; 1], d: T) -> [T; N] {
    eps[0].map(|e| scale_nonzero(e, d))
}

/// `scale_nonzero(x, dx) + scale_nonzero(y, dy)` in every lane of `xy = [x, y]`: the tangents of
/// [`Dual::chain2`] where a partial is ±∞ or NaN (out of line and cold, see [`scaled_nonzero`]).
#[cold]
#[inline(never)]
fn scaled_nonzero2<T: Float, const N: usize>(xy: &[[T; N]; 2], dx: T, dy: T) -> [T; N] {
    let mut eps = xy[0];
    for (e, o) in eps.iter_mut().zip(xy[1].iter()) {
        *e = scale_nonzero(*e, dx) + scale_nonzero(*o, dy);
    }
    eps
}

/// `d·e`, except that an exactly zero `e` gives exactly zero whatever `d` is (even ±∞ or NaN).
#[inline(always)]
fn scale_nonzero<T: Float>(e: T, d: T) -> T {
    if e.is_zero() { e } else { e * d }
}

/// The constant 0.
impl<T: Float, const N: usize> Default for Dual<T, N> {
    fn default() -> Self {
        Self::constant(T::zero())
    }
}

/// Equality of the real parts (the tangents are not compared), consistent with [`PartialOrd`].
impl<T: Float, const N: usize> PartialEq for Dual<T, N> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.re == other.re
    }
}

/// Order of the real parts (the tangents are not compared), consistent with [`PartialEq`].
impl<T: Float, const N: usize> PartialOrd for Dual<T, N> {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.re.partial_cmp(&other.re)
    }
}

/// `re + [eps₀, eps₁, …]ε`; a precision (`{:.3}`) applies to every part.
///
/// ```
/// use nilpotent::Dual;
/// let y = Dual::new(11.652071455223084, [5.5, 1.7163378145367738]);
/// assert_eq!(format!("{y:.3}"), "11.652 + [5.500, 1.716]ε");
/// ```
impl<T: fmt::Display, const N: usize> fmt::Display for Dual<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let part = |f: &mut fmt::Formatter<'_>, x: &T| match f.precision() {
            Some(p) => write!(f, "{x:.p$}"),
            None => write!(f, "{x}"),
        };
        part(f, &self.re)?;
        f.write_str(" + [")?;
        for (i, e) in self.eps.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            part(f, e)?;
        }
        f.write_str("]ε")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `is_zero` is the value question, as `f64` answers it (±0 is zero, NaN is not), whatever
    /// the tangents: on every combination of special parts (±0, ±∞, NaN, subnormals, ordinary
    /// numbers) in the real part and one tangent, and on pseudo-random bit patterns, for `f64`
    /// and `f32` parts and for a nested dual number (whose value is its innermost real part).
    #[test]
    fn is_zero_is_the_value_question() {
        use num_traits::Zero;
        let special = [
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::MIN_POSITIVE / 4.0,
            -f64::MIN_POSITIVE / 4.0,
            1.0,
            -2.5,
            f64::MAX,
        ];
        for &re in &special {
            for &e in &special {
                for lane in 0..3 {
                    let mut d = Dual::<f64, 3>::constant(re);
                    d.eps[lane] = e;
                    assert_eq!(d.is_zero(), re == 0.0, "{re:?} {e:?} {lane}");
                    let mut f = Dual::<f32, 3>::constant(re as f32);
                    f.eps[lane] = e as f32;
                    assert_eq!(f.is_zero(), re as f32 == 0.0, "{re:?} {e:?} {lane} (f32)");
                    let mut n = Dual::<Dual<f64, 1>, 2>::constant(Dual::new(re, [e]));
                    n.eps[lane % 2] = Dual::new(e, [re]);
                    assert_eq!(n.is_zero(), re == 0.0, "{re:?} {e:?} {lane} (nested)");
                }
            }
        }
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // about one part in four is ±0, so that zero values occur
            match state % 8 {
                0 => 0.0,
                1 => -0.0,
                _ => f64::from_bits(state),
            }
        };
        let mut zeros = 0;
        for _ in 0..100_000 {
            let d = Dual::<f64, 2>::new(next(), [next(), next()]);
            assert_eq!(d.is_zero(), d.re == 0.0, "{d:?}");
            zeros += usize::from(d.is_zero() && d.eps != [0.0; 2]);
        }
        assert!(
            zeros > 1000,
            "zero values with nonzero tangents occurred {zeros} times"
        );
    }

    /// The per-rule functions of the outer levels are found by index: every rule must map to its
    /// own index in `ALL` and back.
    #[test]
    fn rule_indices_round_trip() {
        for (i, &op) in Unary::ALL.iter().enumerate() {
            assert_eq!(op.index(), i, "{op:?}");
            assert_eq!(unary_at(i, 3), op);
        }
        assert_eq!(unary_at(Unary::Powi(-7).index(), -7), Unary::Powi(-7));
        for (i, &op) in Binary::ALL.iter().enumerate() {
            assert_eq!(op as usize, i, "{op:?}");
        }
    }
}
