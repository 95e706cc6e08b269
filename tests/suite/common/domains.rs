//! The input domain of every entry of the rule table, keyed by the rule enums: one table for all
//! the modules that walk the table (the rule walk of `base::rules`, the nested walk of
//! `forward::nested_rules`, graph mode's walk in `graph`). In-domain samples are at least 0.1
//! from singularities; piecewise entries name their pieces so that samples near a jump or kink
//! can be redrawn.

use super::Rng;
use nilpotent::rules::{Binary, Unary};

/// A unary entry's inputs: a sampler and, for piecewise entries, a monotone "piece" function that
/// is constant exactly where the entry is smooth (samples whose ±2h neighbourhood crosses a jump or
/// kink are redrawn).
pub struct Domain1 {
    /// Draws an input.
    pub sample: fn(&mut Rng) -> f64,
    /// True on the range `sample` draws from (its closure), for points made otherwise (a sample
    /// moved, a point of another test).
    pub contains: fn(f64) -> bool,
    /// Constant exactly on each smooth piece (`None`: smooth everywhere).
    pub piece: Option<fn(f64) -> f64>,
}

/// The input domain of each unary entry. No `_` arm: a new entry must state its domain.
pub fn unary_domain(op: Unary) -> Domain1 {
    let smooth = |sample: fn(&mut Rng) -> f64, contains: fn(f64) -> bool| Domain1 {
        sample,
        contains,
        piece: None,
    };
    let piecewise =
        |sample: fn(&mut Rng) -> f64, contains: fn(f64) -> bool, piece: fn(f64) -> f64| Domain1 {
            sample,
            contains,
            piece: Some(piece),
        };
    match op {
        Unary::Neg | Unary::Sin | Unary::Cos | Unary::Atan | Unary::Asinh => {
            smooth(|r| r.uniform(-10.0, 10.0), |x| x.abs() <= 10.0)
        }
        Unary::ToDegrees | Unary::ToRadians => {
            smooth(|r| r.uniform(-10.0, 10.0), |x| x.abs() <= 10.0)
        }
        Unary::Exp | Unary::Exp2 | Unary::ExpM1 => {
            smooth(|r| r.uniform(-5.0, 5.0), |x| x.abs() <= 5.0)
        }
        Unary::Sinh | Unary::Cosh | Unary::Tanh => {
            smooth(|r| r.uniform(-5.0, 5.0), |x| x.abs() <= 5.0)
        }
        Unary::Erf | Unary::Erfc => smooth(|r| r.uniform(-5.0, 5.0), |x| x.abs() <= 5.0),
        // singular at 0
        Unary::Recip => smooth(|r| r.signed(0.2, 10.0), |x| (0.2..=10.0).contains(&x.abs())),
        Unary::Cbrt => smooth(|r| r.signed(0.1, 10.0), |x| (0.1..=10.0).contains(&x.abs())),
        Unary::Powi(_) => smooth(|r| r.signed(0.2, 3.0), |x| (0.2..=3.0).contains(&x.abs())),
        // defined for x > 0 only
        Unary::Sqrt | Unary::Ln | Unary::Log2 | Unary::Log10 => {
            smooth(|r| r.uniform(0.1, 10.0), |x| (0.1..=10.0).contains(&x))
        }
        Unary::Ln1p => smooth(|r| r.uniform(-0.9, 10.0), |x| (-0.9..=10.0).contains(&x)),
        // poles at ±π/2
        Unary::Tan => smooth(|r| r.uniform(-1.4, 1.4), |x| x.abs() <= 1.4),
        // singular at ±1
        Unary::Asin | Unary::Acos | Unary::Atanh => {
            smooth(|r| r.uniform(-0.9, 0.9), |x| x.abs() <= 0.9)
        }
        Unary::Acosh => smooth(|r| r.uniform(1.1, 10.0), |x| (1.1..=10.0).contains(&x)),
        // kink / jump at 0
        Unary::Abs | Unary::Signum => piecewise(
            |r| r.signed(0.05, 10.0),
            |x| (0.05..=10.0).contains(&x.abs()),
            f64::signum,
        ),
        // jumps at the integers (round: at the half-integers); each is its own monotone piece index
        Unary::Floor => piecewise(|r| r.uniform(-10.0, 10.0), |x| x.abs() <= 10.0, f64::floor),
        Unary::Ceil => piecewise(|r| r.uniform(-10.0, 10.0), |x| x.abs() <= 10.0, f64::ceil),
        Unary::Round => piecewise(|r| r.uniform(-10.0, 10.0), |x| x.abs() <= 10.0, f64::round),
        Unary::Trunc => piecewise(|r| r.uniform(-10.0, 10.0), |x| x.abs() <= 10.0, f64::trunc),
        Unary::Fract => piecewise(|r| r.uniform(-10.0, 10.0), |x| x.abs() <= 10.0, f64::trunc),
    }
}

/// A binary entry's inputs: a sampler of (x, y) and, for piecewise entries, a piece function
/// monotone in each argument (so that equal values at the corners of the ±2h box mean no jump
/// inside it).
pub struct Domain2 {
    /// Draws an input pair.
    pub sample: fn(&mut Rng) -> (f64, f64),
    /// True on the region `sample` draws from (its closure).
    pub contains: fn(f64, f64) -> bool,
    /// Constant exactly on each smooth piece (`None`: smooth everywhere).
    pub piece: Option<fn(f64, f64) -> f64>,
}

/// The input domain of each binary entry. No `_` arm.
pub fn binary_domain(op: Binary) -> Domain2 {
    let smooth = |sample: fn(&mut Rng) -> (f64, f64), contains: fn(f64, f64) -> bool| Domain2 {
        sample,
        contains,
        piece: None,
    };
    let piecewise = |sample: fn(&mut Rng) -> (f64, f64),
                     contains: fn(f64, f64) -> bool,
                     piece: fn(f64, f64) -> f64| Domain2 {
        sample,
        contains,
        piece: Some(piece),
    };
    fn box10(x: f64, y: f64) -> bool {
        x.abs() <= 10.0 && y.abs() <= 10.0
    }
    match op {
        Binary::Add | Binary::Sub | Binary::Mul => {
            smooth(|r| (r.uniform(-10.0, 10.0), r.uniform(-10.0, 10.0)), box10)
        }
        Binary::Div => smooth(
            |r| (r.uniform(-10.0, 10.0), r.signed(0.2, 10.0)),
            |x, y| box10(x, y) && y.abs() >= 0.2,
        ),
        // jumps where x/y is an integer; the quotient is the piece index
        Binary::Rem => piecewise(
            |r| (r.uniform(-10.0, 10.0), r.signed(0.5, 5.0)),
            |x, y| box10(x, y) && (0.5..=5.0).contains(&y.abs()),
            |x, y| (x / y).trunc(),
        ),
        Binary::RemEuclid => piecewise(
            |r| (r.uniform(-10.0, 10.0), r.signed(0.5, 5.0)),
            |x, y| box10(x, y) && (0.5..=5.0).contains(&y.abs()),
            |x, y| x.div_euclid(y),
        ),
        // x > 0 (ln x in ∂/∂y)
        Binary::Powf => smooth(
            |r| (r.uniform(0.2, 5.0), r.uniform(-3.0, 3.0)),
            |x, y| (0.2..=5.0).contains(&x) && y.abs() <= 3.0,
        ),
        // x > 0, base y ∈ [0.135, 7.4] with |ln y| ≥ 0.2 (log base 1 is singular, and so is base 0:
        // y ≥ 0.135 keeps 13 steps h ≤ 1e-2 between the sample and 0)
        Binary::Log => smooth(
            |r| (r.uniform(0.2, 10.0), r.signed(0.2, 2.0).exp()),
            |x, y| (0.2..=10.0).contains(&x) && y > 0.0 && (0.2..=2.0).contains(&y.ln().abs()),
        ),
        // polar sample: radius ≥ 0.2, angle ≥ 0.14 from the branch cut at ±π
        Binary::Atan2 => smooth(
            |r| {
                let (rad, t) = (r.uniform(0.2, 5.0), r.uniform(-3.0, 3.0));
                (rad * t.sin(), rad * t.cos())
            },
            |x, y| (0.2..=5.0).contains(&x.hypot(y)) && x.atan2(y).abs() <= 3.0,
        ),
        // away from the origin
        Binary::Hypot => smooth(
            |r| loop {
                let (x, y) = (r.uniform(-10.0, 10.0), r.uniform(-10.0, 10.0));
                if x.hypot(y) >= 0.2 {
                    return (x, y);
                }
            },
            |x, y| box10(x, y) && x.hypot(y) >= 0.2,
        ),
        // kink on the diagonal x = y
        Binary::Max | Binary::Min | Binary::AbsSub => piecewise(
            |r| (r.uniform(-10.0, 10.0), r.uniform(-10.0, 10.0)),
            box10,
            |x, y| (x - y).signum(),
        ),
    }
}
