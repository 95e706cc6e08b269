//! The elementary functions, declared once: the list every per-rule table of the crate is generated
//! from, and [`Elementary`], the trait of the functions [`Float`] lacks.
//!
//! `elementary!` holds one line per function of the rule table ([`Unary`], [`Binary`]). The
//! formulas are not here: each function's value and partials are one hand-written arm of
//! [`Unary::eval_for`] / [`Binary::eval_for`] in [`rules`](crate::rules). Everything else that
//! lists the rules is generated from this list, with exhaustive `match`es (a new entry that a
//! consumer cannot handle is a compile error, never a run-time panic):
//!
//! | generated from the list | where |
//! |---|---|
//! | the enums [`Unary`], [`Binary`], their `ALL`, `name()` and (crate-internal) `index()` | `base/rules.rs` |
//! | the [`Float`] methods of `Dual`, `Var` and `Sym` that apply a rule | `base/scalar.rs` |
//! | the inherent math methods of `Dual`, `Var` and `Sym` | `base/methods.rs` |
//! | the methods of [`Elementary`] (its impls: `f64`, `f32` here, `Dual`, `Var`, `Sym` in their modes) | here |
//! | the per-rule dispatch of the outer levels of nested dual numbers | `forward/dual/mod.rs` |
//! | the JIT's lowering of each unary rule (an instruction, or a call) | `graph/jit.rs` |
//! | the Rust that emitted code writes for each unary rule | `graph/emit.rs` |
//!
//! Columns of a unary entry: the variant (with the exponent `ALL` holds for `Powi`), the method
//! (its name is the rule's [`name`](Unary::name); its parameters beyond `self`), its **home**
//! (`Neg`: the operator `−x`; `Float`: a method of [`num_traits::Float`], which `f64` has
//! inherently too; `Elementary`: a method of [`Elementary`], whose `f64` value is `libm`'s) and its
//! **JIT lowering** (`inline`: Cranelift instructions, written by a method of the same name in
//! `graph/jit.rs`; `call`: a call of the `f64` function). A binary entry has the variant, its name
//! in listings (the operator for arithmetic), the method with its parameter name, and its home
//! (`Ops`: an operator, `Euclid`: `num_traits::Euclid`, `Float`).
//!
//! Written by hand, but exhaustive (the compiler lists them for a new entry): the binary arms of
//! the JIT (`graph/jit.rs`), the emitter (`graph/emit.rs`) and the sparsity pattern
//! (`sparse/pattern.rs`). Unary entries default to "nonlinear" in the sparsity pattern (always
//! right; list a new entry in `is_linear` there if its derivative is piecewise constant).
//!
//! A consumer is a `macro_rules!` invoked as `elementary!(path::to::consumer, extra tokens…)`: it
//! receives `[extra tokens…] unary { … } binary { … }` and matches the columns it needs.
//!
//! [`Unary`]: crate::rules::Unary
//! [`Binary`]: crate::rules::Binary
//! [`Unary::eval_for`]: crate::rules::Unary::eval_for
//! [`Binary::eval_for`]: crate::rules::Binary::eval_for

use num_traits::Float;

use super::custom::sealed::Sealed;
use super::rules::{Need, Unary};

/// The list of the elementary functions (see the [module docs](self) for its columns and its
/// consumers). Adding a function: one entry here, its formula in the rule table, its input
/// domain in the tests (`tests/suite/common/domains.rs`, `unary_domain`).
macro_rules! elementary {
    ($($then:ident)::+ $(, $($arg:tt)*)?) => {
        $($then)::+! {
            [$($($arg)*)?]
            unary {
                //  variant   method          home        JIT
                /// −x
                Neg           neg()           Neg         inline,
                /// 1/x
                Recip         recip()         Float       inline,
                /// √x
                Sqrt          sqrt()          Float       inline,
                /// ∛x
                Cbrt          cbrt()          Float       call,
                /// eˣ
                Exp           exp()           Float       call,
                /// 2ˣ
                Exp2          exp2()          Float       call,
                /// eˣ − 1, accurate near 0
                ExpM1         exp_m1()        Float       call,
                /// ln x
                Ln            ln()            Float       call,
                /// log₂ x
                Log2          log2()          Float       call,
                /// log₁₀ x
                Log10         log10()         Float       call,
                /// ln(1 + x), accurate near 0
                Ln1p          ln_1p()         Float       call,
                /// sin x
                Sin           sin()           Float       call,
                /// cos x
                Cos           cos()           Float       call,
                /// tan x
                Tan           tan()           Float       call,
                /// arcsin x
                Asin          asin()          Float       call,
                /// arccos x
                Acos          acos()          Float       call,
                /// arctan x
                Atan          atan()          Float       call,
                /// sinh x
                Sinh          sinh()          Float       call,
                /// cosh x
                Cosh          cosh()          Float       call,
                /// tanh x
                Tanh          tanh()          Float       call,
                /// arsinh x
                Asinh         asinh()         Float       call,
                /// arcosh x
                Acosh         acosh()         Float       call,
                /// artanh x
                Atanh         atanh()         Float       call,
                /// |x|
                Abs           abs()           Float       inline,
                /// sign of x (±1, NaN for NaN)
                Signum        signum()        Float       inline,
                /// ⌊x⌋
                Floor         floor()         Float       call,
                /// ⌈x⌉
                Ceil          ceil()          Float       call,
                /// x rounded half away from zero
                Round         round()         Float       call,
                /// x rounded towards zero
                Trunc         trunc()         Float       call,
                /// x − trunc(x)
                Fract         fract()         Float       call,
                /// x in radians → degrees
                ToDegrees     to_degrees()    Float       call,
                /// x in degrees → radians
                ToRadians     to_radians()    Float       call,
                /// xⁿ for an integer n
                Powi(3)       powi(n: i32)    Float       inline,
                /// the error function erf x = 2/√π ∫₀ˣ e^(−t²) dt
                Erf           erf()           Elementary  call,
                /// the complementary error function erfc x = 1 − erf x, accurate where erf x ≈ 1
                Erfc          erfc()          Elementary  call,
            }
            binary {
                //  variant   name            method            home
                /// x + y
                Add           "+"             add(rhs)          Ops,
                /// x − y
                Sub           "−"             sub(rhs)          Ops,
                /// x · y
                Mul           "×"             mul(rhs)          Ops,
                /// x / y
                Div           "/"             div(rhs)          Ops,
                /// x % y = x − trunc(x/y)·y (the sign of x, as Rust's `%`)
                Rem           "%"             rem(rhs)          Ops,
                /// Euclidean remainder x − q·y with q = `div_euclid(x, y)`, never negative (as
                /// `f64::rem_euclid`)
                RemEuclid     "rem_euclid"    rem_euclid(v)     Euclid,
                /// xʸ
                Powf          "powf"          powf(n)           Float,
                /// log_y x = ln x / ln y
                Log           "log"           log(base)         Float,
                /// `x.atan2(y)`: the angle of the point whose abscissa is the *second* argument
                /// `y` and whose ordinate is the first argument `x` (Rust's argument order)
                Atan2         "atan2"         atan2(other)      Float,
                /// √(x² + y²) without overflow
                Hypot         "hypot"         hypot(other)      Float,
                /// the larger of x and y
                Max           "max"           max(other)        Float,
                /// the smaller of x and y
                Min           "min"           min(other)        Float,
                /// max(x − y, 0)
                AbsSub        "abs_sub"       abs_sub(other)    Float,
            }
        }
    };
}

pub(crate) use elementary;

/// The elementary functions of the rule table that [`Float`] lacks: [`erf`](Elementary::erf) and
/// [`erfc`](Elementary::erfc) (generated from the list: one provided method per entry whose home is
/// `Elementary`).
/// Implemented for `f64`, `f32`, [`Dual`](crate::Dual) over an `Elementary` type (any nesting
/// depth), [`Var`](crate::reverse::Var) over an `Elementary` type and
/// [`Sym`](crate::graph::Sym); it cannot be implemented outside the crate. Generic code bounds on
/// it next to `Float` (or [`Real`](crate::Real)); on a concrete number type the same functions
/// are inherent methods, callable without importing the trait:
///
/// ```
/// use nilpotent::{Dual, Elementary};
/// use num_traits::Float;
///
/// fn gauss_cdf<T: Float + Elementary>(x: T) -> T {
///     let half = T::from(0.5).unwrap();
///     half * (T::one() + (x / T::from(2.0).unwrap().sqrt()).erf())
/// }
/// let (v, d) = nilpotent::derivative(gauss_cdf, 0.0);
/// assert_eq!(v, 0.5);
/// assert!((d - 1.0 / (2.0 * std::f64::consts::PI).sqrt()).abs() < 1e-16);
/// let x = Dual::<f64, 1>::variable(1.0, 0);
/// assert_eq!(x.erf().re, libm::erf(1.0)); // inherent: no import needed
/// ```
///
/// The `f64` value is `libm`'s (the same function in every mode and backend: interpreter, emitted
/// Rust, JIT); `f32` computes it in `f64` and rounds once. Dual numbers and the tape take the value
/// from the level below and the derivative from the rule table, so nested dual numbers give every
/// order of derivative.
pub trait Elementary: Float + Sealed {
    /// Applies the rule `op` of the table: the value from the level below (down to `f64`, where
    /// it is `libm`'s for the functions `Float` lacks), the derivative from the rule table.
    #[doc(hidden)]
    fn elementary(self, op: Unary) -> Self;

    elementary!(super::elementary::trait_methods);
}

/// The provided methods of [`Elementary`]: one per unary entry whose home is `Elementary`.
macro_rules! trait_methods {
    ([] unary { $($(#[$doc:meta])* $v:ident $(($rep:literal))? $m:ident ($($p:ident: $pt:ty)?)
        $home:ident $jit:ident,)* } binary { $($rest:tt)* }) => {
        $(trait_methods!(@$home $(#[$doc])* $v $m);)*
    };
    (@Elementary $(#[$doc:meta])* $v:ident $m:ident) => {
        $(#[$doc])*
        #[inline]
        fn $m(self) -> Self {
            self.elementary(Unary::$v)
        }
    };
    (@$home:ident $($rest:tt)*) => {};
}
use trait_methods;

impl Elementary for f64 {
    /// The rule table's value ([`Unary::eval`]), which is `libm`'s for the functions `Float` lacks.
    #[inline]
    fn elementary(self, op: Unary) -> f64 {
        op.eval(self).0
    }
}

impl Elementary for f32 {
    /// The rule table's value: for the functions `Float` lacks, computed in `f64` and rounded.
    #[inline]
    fn elementary(self, op: Unary) -> f32 {
        op.eval(self).0
    }
}

/// The value in `T` of a function that [`Float`] lacks (`f`, an `f64` function: `libm`'s), for a
/// plain float type `T` (`f64`, `f32`): computed in `f64` and rounded to `T`; 0 where `need` does
/// not ask for the value.
///
/// A type that carries derivatives (a dual number, `Sym`) applies these functions through
/// [`Elementary`], which takes the value from the level below and never asks the rule table for
/// it: going through `f64` here would drop its derivatives, so such a type panics instead.
#[inline]
pub(crate) fn through_f64<T: Float>(x: T, need: Need, f: fn(f64) -> f64, name: &str) -> T {
    if !need.value {
        return T::zero();
    }
    assert!(
        super::rules::innermost::<T>(),
        "nilpotent::rules: Unary::eval computes `{name}` through f64, for plain floats only; apply \
         it to {} through nilpotent::Elementary",
        core::any::type_name::<T>()
    );
    let v = x.to_f64().map_or(f64::NAN, f);
    T::from(v).unwrap_or_else(T::nan)
}
