//! The table of elementary derivative rules: the only place in the crate where a derivative formula
//! is written.
//!
//! Every elementary function is an entry of [`Unary`] (one argument) or [`Binary`] (two arguments),
//! declared once in the crate's list of elementary functions (from which these enums and every
//! other per-rule table are generated); this file holds the formulas. The functions
//! [`Float`] lacks (`erf`, `erfc`) are applied through [`Elementary`](crate::Elementary).
//! Evaluating an entry at a point gives the function's value and its *local* partial derivative(s)
//! at that point, as plain numbers of any [`Float`] type:
//!
//! ```
//! use nilpotent::rules::{Binary, Unary};
//! let (value, d) = Unary::Sin.eval(0.0_f64);
//! assert_eq!((value, d), (0.0, 1.0)); // sin 0 = 0, cos 0 = 1
//! let (value, dx, dy) = Binary::Mul.eval(3.0_f64, 4.0);
//! assert_eq!((value, dx, dy), (12.0, 4.0, 3.0)); // ∂(xy)/∂x = y, ∂(xy)/∂y = x
//! ```
//!
//! Forward mode ([`Dual`](crate::Dual)) pushes tangents through these partials
//! (`ẏ = ∂f/∂x · ẋ + ∂f/∂y · ẏ`), reverse mode pushes adjoints back through the very same partials
//! (`x̄ += ∂f/∂x · v̄`). Neither mode knows a single formula of its own, so a rule fixed here is fixed
//! for both.
//!
//! # Conventions
//!
//! The value returned is always the one `T` itself computes (`x.sin()` for `Sin`, `x % y` for
//! `Rem`…), so the real part of a dual number is bit for bit the `f64` result. Where a function has
//! no derivative the table still returns a number, chosen as in the
//! [crate's conventions](crate#conventions):
//!
//! - rounding functions (`floor`, `ceil`, `round`, `trunc`, `signum`) have derivative 0;
//! - `abs` has derivative `signum(x)`: +1 at +0 and −1 at −0 (the sign bit decides), NaN at NaN
//!   (whatever its sign bit, which no backend computes reliably);
//! - `max`/`min` pass the derivative of the chosen argument, the average of both on a tie, and the
//!   non-NaN argument's when the other is NaN; their value at the tie of −0 and +0 is +0 for
//!   `max` and −0 for `min` ([`max`], [`min`]: `f64::max` leaves it unspecified);
//! - `atan2(0, 0)` and `hypot(0, 0)` have zero partials;
//! - `powf(x, y)`: the exponent's partial `xʸ ln x` is 0 at x = 0, y > 0; `∂x⁰/∂x` is 0 (a constant
//!   where x⁻¹ is not finite, elsewhere the expression `y xʸ⁻¹`, whose own derivative is needed for
//!   second derivatives).
//!
//! **Branches return expressions.** A partial is itself differentiated when `T` is a dual number
//! (second and higher derivatives), so a rule that branches on a value returns a constant only
//! where the exact partial is that constant on a whole neighbourhood (the piecewise-constant
//! partials of `abs`, `max`, `floor`, …) or where the partial has no finite derivative at all
//! (a convention, listed above). Everywhere else it returns the formula.
//!
//! A partial may be ±∞ or NaN (`sqrt` at 0, `ln` at 0, `acos` at 1). The table reports it as it is;
//! the two modes make sure that it only reaches lanes (forward) or adjoints (reverse) that are nonzero,
//! so that a singularity on one lane never poisons another.
//!
//! The tests in `tests/suite/base/rules.rs` walk [`Unary::ALL`] and [`Binary::ALL`] and compare each entry
//! with finite differences, in both modes.

use num_traits::Float;

use super::elementary::{elementary, through_f64};

/// Whether the operations of a dual number over the part type `T` are forced inline in optimised
/// builds: true for a part type no larger than an `f64` (`f64`, `f32`: the innermost level of every
/// nesting), false for a part type that is itself a dual number (the outer levels of
/// `Dual<Dual<f64, N>, M>`).
///
/// At the innermost level an operation and its rule-table entry fold to a few float instructions
/// once the entry is a constant, and a call would cost more than the code: that is the hot path of
/// first-order code (`Dual<f64, N>`), and it stays forced inline. At an outer level an operation
/// is a body of operations of the level below; forcing those inline at every level copies the
/// branches of the chain rule (ordinary lanes, zero partial, infinite partial) into each other
/// level by level, so the code grows exponentially with the depth: a third derivative of one 8-arm
/// function compiled for minutes. Outer levels are instead left to the optimiser's cost model (see
/// BENCHMARKS.md, "Compile time", for the measurements).
///
/// The entries of `Dual` that apply the rule table (`unary`, `binary`, `binary_const_rhs`,
/// `binary_const_lhs`, `fused_mul_add`) are each a forced-inline dispatcher:
///
/// ```text
/// if const { innermost::<T>() } { body(op, …) }               // forced inline, as before
/// else { let f: fn(…) -> Self = outlined::<{ index of op }>; f(…) }
///                                // outlined::<I>: #[inline] fn, body(ALL[I], …)
/// ```
///
/// `if const` compiles only the branch taken. The outer branch calls through a function pointer
/// on purpose: rustc's MIR inliner runs before monomorphisation, where the `if const` is not yet
/// decided, and would inline the small `outlined` forwarder straight back into the dispatcher,
/// so that every caller again got the forced body (measured: the benchmark example still took
/// more than 7 minutes of CPU). A call through a `fn` pointer is not inlined by the MIR inliner,
/// while LLVM sees a direct call (the pointer is a constant) of an `#[inline]` function, which it
/// inlines where its cost model says it pays. There is one such function per rule (its index in
/// `Unary::ALL` or `Binary::ALL` a const parameter; the `match` that picks it folds away in the
/// caller, where the rule is a constant), so the rule still folds inside it: constant partials
/// skip their zero and ∞ tests, and cheap rules are small enough to be inlined. (Measured
/// against one function per type taking the rule as an argument: nested run time 10–27 % lower,
/// compile time of the benchmark example 8 → 13.5 s. `#[inline(never)]` instead of the pointer
/// bounds compile time as well, but was slower still at run time.)
///
/// The tape's `Var<T>` keeps its entries forced at every level: its body is one rule of `T` plus a
/// node on the tape, and the operations of `T` it calls are `Dual`'s dispatchers, so a `Var` level
/// adds one level of forced code, not a chain of them. Forward over reverse (`Var<Dual<f64, 8>>`,
/// the reverse-mode Hessian) was measured 1.5 times slower with `Var` outlined too; keeping it
/// forced costs its part of the benchmark example about 5 s of CPU, as before this change.
///
/// An 8-byte dual number such as `Dual<f32, 1>` counts as innermost too: forcing then reaches one
/// level further, which stays small.
///
/// Independently of the level, tangents of 64 bytes or more (8 or more `f64` lanes) compile the
/// special cases of the chain rule smaller (`wide` in `src/dual/mod.rs`): with every case copied
/// into each operation, rustc 1.95 crashed on nalgebra's unrolled 4 × 4 inverse of `Dual<f64, 8>`.
#[inline(always)]
pub(crate) const fn innermost<T>() -> bool {
    core::mem::size_of::<T>() <= core::mem::size_of::<f64>()
}

/// Converts an `f64` constant to `T` (used for 0.5, 2, 3, ln 2, … in the formulas below).
#[inline(always)]
fn c<T: Float>(x: f64) -> T {
    T::from(x).expect("a small f64 constant is representable in every Float type")
}

elementary!(declare_rules);

/// Generates [`Unary`] and [`Binary`] from the list of the elementary functions: the enums, their
/// `ALL` (in the list's order) and `name`, and `index` (the position in `ALL`).
macro_rules! declare_rules {
    ([] unary { $($(#[$udoc:meta])* $u:ident $(($rep:literal))? $um:ident ($($p:ident: $pt:ty)?)
        $uhome:ident $jit:ident,)* }
     binary { $($(#[$bdoc:meta])* $b:ident $bname:literal $bm:ident ($arg:ident) $bhome:ident,)* }) => {
        /// Elementary functions of one argument.
        ///
        /// [`Unary::eval`] returns `(f(x), f'(x))`. [`Unary::Powi`] carries its integer exponent.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Unary {
            $($(#[$udoc])* $u $(($pt))?,)*
        }

        /// Elementary functions of two arguments.
        ///
        /// [`Binary::eval`] returns `(f(x, y), ∂f/∂x, ∂f/∂y)`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Binary {
            $($(#[$bdoc])* $b,)*
        }

        /// The positions of the unary entries in `Unary::ALL`.
        #[allow(dead_code)]
        enum UnaryIndex {
            $($u,)*
        }

        impl Unary {
            /// Every entry of the table (with a representative exponent for `Powi`; the tests also
            /// sweep other exponents).
            pub const ALL: [Unary; [$(stringify!($u)),*].len()] = [$(Unary::$u $(($rep))?,)*];

            /// The function's name as a method of [`Float`] (or of
            /// [`Elementary`](crate::Elementary)), used in traces and test messages.
            pub fn name(self) -> &'static str {
                match self {
                    $(Unary::$u { .. } => stringify!($um),)*
                }
            }

            /// The position of the entry in [`Unary::ALL`] (any exponent for `Powi`).
            pub(crate) const fn index(self) -> usize {
                match self {
                    $(Unary::$u { .. } => UnaryIndex::$u as usize,)*
                }
            }

            /// True for the functions [`Float`] lacks (home `Elementary`): a type with
            /// derivatives takes their value from the level below, never from [`Unary::eval`].
            pub(crate) const fn float_lacks(self) -> bool {
                match self {
                    $(Unary::$u { .. } => declare_rules!(@lacks $uhome),)*
                }
            }
        }

        impl Binary {
            /// Every entry of the table.
            pub const ALL: [Binary; [$(stringify!($b)),*].len()] = [$(Binary::$b,)*];

            /// The function's name: the operator for arithmetic, otherwise the [`Float`] method.
            pub fn name(self) -> &'static str {
                match self {
                    $(Binary::$b => $bname,)*
                }
            }
        }
    };
    (@lacks Elementary) => { true };
    (@lacks $home:ident) => { false };
}
use declare_rules;

impl Unary {
    /// `(f(x), f'(x))`: the value exactly as `T` computes it, and the local derivative.
    ///
    /// For the functions [`Float`] lacks ([`Unary::Erf`]: those of [`Elementary`](crate::Elementary)) the value is
    /// `libm`'s `f64` function, rounded to `T`: this is for plain floats (`f64`, `f32`). A type
    /// that carries derivatives applies them through [`Elementary`](crate::Elementary) (which takes the value from
    /// the level below and only the derivative from here); asked for the value here, such a type
    /// panics rather than drop its derivatives.
    #[inline(always)]
    pub fn eval<T: Float>(self, x: T) -> (T, T) {
        self.eval_for(x, Need::ALL)
    }

    /// [`Unary::eval`] for a caller that uses only some of the results: the value may be skipped
    /// (returned as 0) where `need.value` is false (`need.dy` is not looked at).
    ///
    /// Only the entries whose value is not a [`Float`] method look at `need` (`Erf`): graph mode
    /// builds derivatives by evaluating these rules on its symbolic type, which asks for the
    /// derivative alone, and so do [`Elementary`](crate::Elementary)'s impls for dual numbers and the tape.
    #[inline(always)]
    pub fn eval_for<T: Float>(self, x: T, need: Need) -> (T, T) {
        match self {
            // d(−x) = −1
            Unary::Neg => (-x, -T::one()),
            // d(1/x) = −1/x² = −v²
            Unary::Recip => {
                let v = x.recip();
                (v, -(v * v))
            }
            // d√x = 1/(2√x)   (+∞ at 0)
            Unary::Sqrt => {
                let v = x.sqrt();
                (v, (v + v).recip())
            }
            // d∛x = 1/(3∛x²)   (+∞ at 0)
            Unary::Cbrt => {
                let v = x.cbrt();
                (v, (c::<T>(3.0) * v * v).recip())
            }
            // d eˣ = eˣ
            Unary::Exp => {
                let v = x.exp();
                (v, v)
            }
            // d 2ˣ = 2ˣ ln 2
            Unary::Exp2 => {
                let v = x.exp2();
                (v, v * c::<T>(core::f64::consts::LN_2))
            }
            // d(eˣ − 1) = eˣ
            Unary::ExpM1 => (x.exp_m1(), x.exp()),
            // d ln x = 1/x
            Unary::Ln => (x.ln(), x.recip()),
            // d log₂ x = 1/(x ln 2)
            Unary::Log2 => (x.log2(), (x * c::<T>(core::f64::consts::LN_2)).recip()),
            // d log₁₀ x = 1/(x ln 10)
            Unary::Log10 => (x.log10(), (x * c::<T>(core::f64::consts::LN_10)).recip()),
            // d ln(1 + x) = 1/(1 + x)
            Unary::Ln1p => (x.ln_1p(), (T::one() + x).recip()),
            // d sin x = cos x   (the pair with `Cos`: `sin_cos`)
            Unary::Sin => {
                let (s, co) = x.sin_cos();
                (s, co)
            }
            // d cos x = −sin x
            Unary::Cos => {
                let (s, co) = x.sin_cos();
                (co, -s)
            }
            // d tan x = 1 + tan² x   (= sec² x, without a cos that can round to 0)
            Unary::Tan => {
                let v = x.tan();
                (v, T::one() + v * v)
            }
            // d arcsin x = 1/√(1 − x²) = 1/√((1 − x)(1 + x))   (+∞ at ±1)
            Unary::Asin => (x.asin(), ((T::one() - x) * (T::one() + x)).sqrt().recip()),
            // d arccos x = −1/√(1 − x²)   (−∞ at ±1)
            Unary::Acos => (x.acos(), -((T::one() - x) * (T::one() + x)).sqrt().recip()),
            // d arctan x = 1/(1 + x²)
            Unary::Atan => (x.atan(), (T::one() + x * x).recip()),
            // d sinh x = cosh x
            Unary::Sinh => (x.sinh(), x.cosh()),
            // d cosh x = sinh x
            Unary::Cosh => (x.cosh(), x.sinh()),
            // d tanh x = sech² x = (1/cosh x)²   (1 − tanh² x cancels to 0 for |x| ≳ 19, where
            // sech² x ≈ 4e^(−2|x|) is still far above the underflow threshold)
            Unary::Tanh => {
                let s = x.cosh().recip();
                (x.tanh(), s * s)
            }
            // d arsinh x = 1/√(x² + 1)   (hypot keeps it finite for huge |x|)
            Unary::Asinh => (x.asinh(), x.hypot(T::one()).recip()),
            // d arcosh x = 1/√(x² − 1) = 1/(√(x − 1) √(x + 1))   (+∞ at 1)
            Unary::Acosh => (
                x.acosh(),
                ((x - T::one()).sqrt() * (x + T::one()).sqrt()).recip(),
            ),
            // d artanh x = 1/(1 − x²) = 1/((1 − x)(1 + x))   (+∞ at ±1)
            Unary::Atanh => (x.atanh(), ((T::one() - x) * (T::one() + x)).recip()),
            // d|x| = signum x: +1 for x ≥ +0, −1 for x ≤ −0 (the sign bit decides at ±0), NaN at
            // NaN. Not a branch on the sign bit: a NaN's sign is not specified (compilers rewrite
            // (−a)·(−b) as a·b), so a derivative that read it would differ between backends;
            // `signum` is NaN for every NaN, and piecewise constant (derivative 0) elsewhere.
            Unary::Abs => (x.abs(), x.signum()),
            // piecewise constant: derivative 0 (also at the jumps, by convention)
            Unary::Signum => (x.signum(), T::zero()),
            Unary::Floor => (x.floor(), T::zero()),
            Unary::Ceil => (x.ceil(), T::zero()),
            Unary::Round => (x.round(), T::zero()),
            Unary::Trunc => (x.trunc(), T::zero()),
            // d(x − trunc x) = 1
            Unary::Fract => (x.fract(), T::one()),
            // d(180x/π) = 180/π
            Unary::ToDegrees => (x.to_degrees(), c(180.0 / core::f64::consts::PI)),
            // d(πx/180) = π/180
            Unary::ToRadians => (x.to_radians(), c(core::f64::consts::PI / 180.0)),
            // d xⁿ = n xⁿ⁻¹;  x⁰ = 1 has derivative 0 everywhere (also at x = 0)
            Unary::Powi(n) => {
                let v = x.powi(n);
                let d = match n {
                    0 => T::zero(),
                    1 => T::one(),
                    _ => match n.checked_sub(1) {
                        Some(m) => c::<T>(n as f64) * x.powi(m),
                        // n = i32::MIN: n − 1 does not fit in an i32, use xⁿ⁻¹ = xⁿ/x
                        None => c::<T>(n as f64) * (v / x),
                    },
                };
                (v, d)
            }
            // d erf x = 2/√π · e^(−x²)
            Unary::Erf => (
                through_f64(x, need, libm::erf, "erf"),
                c::<T>(core::f64::consts::FRAC_2_SQRT_PI) * (-(x * x)).exp(),
            ),
            // d erfc x = −2/√π · e^(−x²)
            Unary::Erfc => (
                through_f64(x, need, libm::erfc, "erfc"),
                -(c::<T>(core::f64::consts::FRAC_2_SQRT_PI) * (-(x * x)).exp()),
            ),
        }
    }
}

impl Binary {
    /// `(f(x, y), ∂f/∂x, ∂f/∂y)`: the value exactly as `T` computes it, and the local partials.
    #[inline(always)]
    pub fn eval<T: Float>(self, x: T, y: T) -> (T, T, T) {
        self.eval_for(x, y, Need::ALL)
    }

    /// [`Binary::eval`] for a caller that uses only some of the results: those not in `need` may be
    /// skipped and returned as 0.
    ///
    /// Only the entries with a value-dependent branch that serves one result alone look at `need`
    /// (`Powf`, `RemEuclid`). Graph mode builds derivatives by evaluating these rules on its
    /// symbolic type, where every branch becomes a guard; asking only for what it uses keeps a
    /// branch that serves an unused partial (the exponent's partial of `x.powf(2.5)`) from adding
    /// a guard that could fail where nothing depends on it. Dual numbers and the tape ask for
    /// everything (`need` is then a constant and the tests fold away).
    #[inline(always)]
    pub fn eval_for<T: Float>(self, x: T, y: T, need: Need) -> (T, T, T) {
        let (zero, one) = (T::zero(), T::one());
        let half = c::<T>(0.5);
        match self {
            // ∂(x + y) = (1, 1)
            Binary::Add => (x + y, one, one),
            // ∂(x − y) = (1, −1)
            Binary::Sub => (x - y, one, -one),
            // ∂(xy) = (y, x)
            Binary::Mul => (x * y, y, x),
            // ∂(x/y) = (1/y, −x/y²) = (1/y, −v/y)
            Binary::Div => {
                let v = x / y;
                let r = y.recip();
                (v, r, -v * r)
            }
            // x % y = x − trunc(x/y)·y:  ∂ = (1, −trunc(x/y))
            Binary::Rem => (x % y, one, -(x / y).trunc()),
            // rem_euclid(x, y) = x − q·y with q = div_euclid(x, y) piecewise constant: ∂ = (1, −q)
            Binary::RemEuclid => {
                if need.value || need.dy {
                    let (q, r) = div_rem_euclid(x, y);
                    (r, one, -q)
                } else {
                    (zero, one, zero)
                }
            }
            // ∂xʸ/∂x = y xʸ⁻¹;  ∂xʸ/∂y = xʸ ln x.
            //
            // Both partials stay expressions wherever they are finite, also where their value is 0:
            // under nesting (second derivatives) a partial's own derivative is needed, and at
            // y = 0 that of y xʸ⁻¹ is y'·x⁻¹ ≠ 0. Only where the expression has no finite value is
            // a constant used:
            // - ∂/∂x at y = 0 where x⁻¹ is not finite (x = 0, tiny subnormal x, NaN): y xʸ⁻¹ would be
            //   0·∞ or NaN; x⁰ = 1 for every x, so 0;
            // - ∂/∂y at x = 0 < y: xʸ ln x would be 0·(−∞); the limit is 0, and so are all its
            //   derivatives that are finite there (those of order < y), so a constant 0 is exact.
            Binary::Powf => {
                let v = x.powf(y);
                let dx = if !need.dx {
                    zero
                } else {
                    let p = x.powf(y - one);
                    if y == zero && !p.is_finite() {
                        zero
                    } else {
                        y * p
                    }
                };
                let dy = if !need.dy || (x == zero && y > zero) {
                    zero
                } else {
                    v * x.ln()
                };
                (v, dx, dy)
            }
            // log_y x = ln x / ln y:  ∂ = (1/(x ln y), −ln x/(y ln² y))
            Binary::Log => {
                let (lx, ly) = (x.ln(), y.ln());
                (x.log(y), (x * ly).recip(), -lx / (y * ly * ly))
            }
            // v = x.atan2(y) = angle of the point (y, x):  ∂ = (y/r², −x/r²), r = hypot(x, y);
            // (0, 0) at the origin. Dividing by r twice avoids overflow of x² + y².
            Binary::Atan2 => {
                let v = x.atan2(y);
                let r = x.hypot(y);
                if r == zero {
                    (v, zero, zero)
                } else {
                    (v, y / r / r, -(x / r / r))
                }
            }
            // ∂hypot(x, y) = (x/h, y/h);  (0, 0) at the origin
            Binary::Hypot => {
                let h = x.hypot(y);
                if h == zero {
                    (h, zero, zero)
                } else {
                    (h, x / h, y / h)
                }
            }
            // the chosen argument's derivative; both halves on a tie; the non-NaN one if the other
            // is NaN. The value is chosen by comparison, never by `T::max`/`T::min` on `f64`, which
            // leave the tie of −0 and +0 unspecified (and LLVM lowers it differently in different
            // places): max(−0, +0) = +0 and min(−0, +0) = −0 in either order (see [`max`]).
            Binary::Max => {
                if y.is_nan() || x > y {
                    (x, one, zero)
                } else if x.is_nan() || x < y {
                    (y, zero, one)
                } else {
                    (tie(x, y, need, false), half, half)
                }
            }
            Binary::Min => {
                if y.is_nan() || x < y {
                    (x, one, zero)
                } else if x.is_nan() || x > y {
                    (y, zero, one)
                } else {
                    (tie(x, y, need, true), half, half)
                }
            }
            // max(x − y, 0):  (1, −1) above, (0, 0) below, the average (½, −½) at x = y
            #[allow(deprecated)]
            Binary::AbsSub => {
                let v = x.abs_sub(y);
                if x > y {
                    (v, one, -one)
                } else if x < y {
                    (v, zero, zero)
                } else {
                    (v, half, -half)
                }
            }
        }
    }
}

/// The results of [`Binary::eval_for`] a caller uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Need {
    /// the value f(x, y)
    pub value: bool,
    /// the partial ∂f/∂x
    pub dx: bool,
    /// the partial ∂f/∂y
    pub dy: bool,
}

impl Need {
    /// Every result (what [`Binary::eval`] asks for).
    pub const ALL: Need = Need {
        value: true,
        dx: true,
        dy: true,
    };

    /// The partial of a unary entry alone (∂f/∂x, no value).
    pub const DERIVATIVE: Need = Need {
        value: false,
        dx: true,
        dy: false,
    };
}

/// The value of `max`/`min` at a tie `x == y` (neither NaN). Equal values of one sign are the same
/// number: `T`'s own `max`/`min` (for a dual number, the rule again one level down, so that every
/// level averages its tangents). −0 against +0: +0 for `max`, −0 for `min` (`is_min`), computed as
/// the average `x/2 + y/2` (for `min`, the negated average of the negations), which is that zero,
/// with the average of the tangents at every level (as the chain rule forms it, `½·ẋ + ½·ẏ`). Skipped (0) where the value is not needed: on a graph's symbolic
/// type, the sign test would add a guard to a derivative graph that does not use the value.
#[inline(always)]
fn tie<T: Float>(x: T, y: T, need: Need, is_min: bool) -> T {
    let half = c::<T>(0.5);
    if !need.value {
        T::zero()
    } else if x.is_sign_negative() == y.is_sign_negative() {
        if is_min { x.min(y) } else { x.max(y) }
    } else if is_min {
        -((-x) * half + (-y) * half)
    } else {
        x * half + y * half
    }
}

/// The larger of `x` and `y`, as every mode and backend of this crate computes `max` (the value of
/// [`Binary::Max`]): the non-NaN argument if one is NaN, and +0 for −0 against +0 in either order
/// (the IEEE 754-2019 `maximumNumber`). `f64::max` leaves the sign of that tie unspecified, and
/// compiled code does not always give the same one; code emitted by
/// [`Graph::to_rust`](crate::graph::Graph::to_rust) calls this function instead.
///
/// ```
/// use nilpotent::rules::max;
/// assert!(max(-0.0_f64, 0.0).is_sign_positive() && max(0.0_f64, -0.0).is_sign_positive());
/// assert_eq!(max(f64::NAN, 2.0), 2.0);
/// ```
#[inline]
pub fn max<T: Float>(x: T, y: T) -> T {
    Binary::Max.eval(x, y).0
}

/// The smaller of `x` and `y`, as every mode and backend of this crate computes `min` (the value of
/// [`Binary::Min`]): the non-NaN argument if one is NaN, and −0 for −0 against +0 in either order
/// (the IEEE 754-2019 `minimumNumber`); see [`max`].
///
/// ```
/// use nilpotent::rules::min;
/// assert!(min(-0.0_f64, 0.0).is_sign_negative() && min(0.0_f64, -0.0).is_sign_negative());
/// assert_eq!(min(2.0, f64::NAN), 2.0);
/// ```
#[inline]
pub fn min<T: Float>(x: T, y: T) -> T {
    Binary::Min.eval(x, y).0
}

/// The entries [`Unary::Sin`] and [`Unary::Cos`] at `x`, `[(sin x, cos x), (cos x, −sin x)]`, from
/// one `sin_cos` of `x`: a dual number's `sin_cos` takes both rules from one call. (The entries
/// themselves do not call this: `Sin`'s would make the negation it does not need, a node of its
/// own in a recording.)
///
/// ```
/// use nilpotent::rules::{Unary, sin_cos};
/// assert_eq!(sin_cos(0.5_f64), [Unary::Sin.eval(0.5), Unary::Cos.eval(0.5)]);
/// ```
#[inline(always)]
pub fn sin_cos<T: Float>(x: T) -> [(T, T); 2] {
    // d sin x = cos x
    // d cos x = −sin x
    let (s, co) = x.sin_cos();
    [(s, co), (co, -s)]
}

/// `(div_euclid(x, y), rem_euclid(x, y))` for any [`Float`], computed exactly as `f64` does.
#[inline(always)]
pub fn div_rem_euclid<T: Float>(x: T, y: T) -> (T, T) {
    let zero = T::zero();
    let r = x % y;
    let q = (x / y).trunc();
    if r < zero {
        let q = if y > zero { q - T::one() } else { q + T::one() };
        (q, r + y.abs())
    } else {
        (q, r)
    }
}

/// `x ⊙ y`, the product the chain rule multiplies a partial by a tangent or an adjoint with: `x·y`,
/// except that it is exactly 0 where either factor is exactly zero, even against ±∞ or NaN.
/// `(value, ∂/∂x, ∂/∂y) = (x ⊙ y, y, x)`.
///
/// This is the zero-lane and zero-partial convention as an operation: forward mode applies it lane
/// by lane inside [`Dual::chain`](crate::Dual::chain), the tape by skipping zero adjoints and
/// leaving out zero partials, and graph mode writes it into derivative graphs as a node, so that
/// every mode gives `∂/∂x (√x·y) = 0` at x = 0, y = 0. "Zero" is decided by the values: on dual
/// numbers (a derivative graph evaluated on them) the product is left out only where one
/// factor's value is 0 and the other's is ±∞ or NaN; against a finite factor a zero one is
/// multiplied, so its own derivatives are kept (the real part is the `f64` `x.re ⊙ y.re` bit for
/// bit either way).
#[inline(always)]
pub fn chain_mul<T: Float>(x: T, y: T) -> (T, T, T) {
    (crate::base::zero::product(x, y), y, x)
}

/// `x·y + z` rounded once: `(value, ∂/∂x, ∂/∂y, ∂/∂z) = (fma(x, y, z), y, x, 1)`.
#[inline(always)]
pub fn mul_add<T: Float>(x: T, y: T, z: T) -> (T, T, T, T) {
    (x.mul_add(y, z), y, x, T::one())
}
