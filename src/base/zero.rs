//! The rules' own zero tests: the product `x ⊙ y` with which the chain rule multiplies a partial by
//! a tangent or an adjoint (the zero-lane and zero-partial conventions), defined so that it is
//! right at every nesting level.
//!
//! [`Zero::is_zero`](num_traits::Zero::is_zero) answers the value question, as `f64` does (a
//! dual number is zero when its real part is, whatever its tangents; graph mode records the
//! question as a guard), because that is what generic code and nalgebra ask it. A generic
//! `Float` cannot tell whether a dual number *below* it carries tangents (every query sees the
//! real part only), so the rules cannot skip a factor merely because its value is 0: a partial
//! with value 0 may carry a second derivative (`∂(xy)/∂x = y` at y = 0 carries `∂²/∂x∂y = 1`).
//! Instead, on dual numbers, `⊙` is the product rule with `⊙` in every product:
//!
//! ```text
//! (a + a′ε) ⊙ (b + b′ε) = a ⊙ b + (a′ ⊙ b + a ⊙ b′)ε,    a ⊙ b = 0 if a = 0 or b = 0 (plain floats)
//! ```
//!
//! so its value is the `f64` `a ⊙ b` bit for bit (0 for 0 against ±∞ or NaN, where `a·b` would
//! be NaN), and a zero factor's own derivatives are kept (against an infinite factor they give
//! ±∞ or NaN: ∂²(√x·y)/∂x∂y at x = 0 is +∞ in every mode). This is exactly how graph mode
//! differentiates its `⊙` nodes again. [`plain`] tells the levels where the structural test is
//! the value test, which keep their shorter code.

use num_traits::Float;

/// True if `T` is a plain float (`f64`, `f32`), whose [`Zero::is_zero`](num_traits::Zero::is_zero)
/// sees all of it: at most 8 bytes with its size equal to its alignment (`Dual<f32, 1>` has the
/// size of `f64` but the alignment of `f32`). `false` is always correct, only slower (on targets
/// where `f64` is aligned to 4 bytes, `f64` takes the general code: the same values, tangent
/// lanes possibly differing in the sign of a zero).
#[inline(always)]
pub(crate) const fn plain<T>() -> bool {
    crate::base::rules::innermost::<T>() && core::mem::size_of::<T>() == core::mem::align_of::<T>()
}

/// True if one of `x`, `y` has value 0 and the other ±∞ or NaN: where `x ⊙ y` is 0 while `x·y`
/// is NaN.
#[inline(always)]
pub(crate) fn singular<T: Float>(x: T, y: T) -> bool {
    (x.is_zero() && !y.is_finite()) || (y.is_zero() && !x.is_finite())
}

/// `x ⊙ y` (see the module): for plain floats `x·y`, or +0 if either factor is 0; otherwise
/// `x·y` with its value made +0 where a factor's value is 0, and at a [`singular`] pair the
/// product rule's derivatives with the value 0.
#[inline(always)]
pub(crate) fn product<T: Float>(x: T, y: T) -> T {
    if const { plain::<T>() } {
        if x.is_zero() || y.is_zero() {
            T::zero()
        } else {
            x * y
        }
    } else if x.is_zero() {
        if y.is_finite() {
            // x·y is ±0 here: + (+0) makes it +0, as the f64 rule gives
            x * y + T::zero()
        } else {
            zero_times(x, y)
        }
    } else if y.is_zero() {
        if x.is_finite() {
            x * y + T::zero()
        } else {
            zero_times(y, x)
        }
    } else {
        x * y
    }
}

/// `z ⊙ w` where `z`'s value is 0 and `w`'s is ±∞ or NaN: the value +0 and the derivatives
/// `z′ ⊙ w` (the term `z ⊙ w′` is 0), without forming `0·∞`. `∛z` is exactly that for `w = +∞`:
/// value ±0, derivative `z′ ⊙ (+∞)` (∛ has derivative +∞ at 0, and a zero lane stays zero);
/// negated for `w = −∞`, and `∛z − ∛z` (lanes ∞ − ∞ = NaN where `z′ ≠ 0`) for NaN. Exact where
/// the level below `z` is a plain float (second derivatives); at deeper levels the derivatives of
/// order three and more at such a point are those of ∛ (±∞ or NaN, as the product rule's are).
#[cold]
#[inline(never)]
fn zero_times<T: Float>(z: T, w: T) -> T {
    let c = z.cbrt();
    if w.is_nan() {
        // on purpose: the value 0 − 0 = +0, the lanes ∞ − ∞ = NaN where z′ ≠ 0 (0 where z′ = 0)
        #[allow(clippy::eq_op)]
        let nan_lanes = c - c;
        nan_lanes
    } else if w.is_sign_negative() {
        -c + T::zero()
    } else {
        c + T::zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_is_exactly_the_primitive_floats() {
        assert!(plain::<f64>() || core::mem::align_of::<f64>() != 8);
        assert!(plain::<f32>());
    }
}
