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
    crate::rules::innermost::<T>() && core::mem::size_of::<T>() == core::mem::align_of::<T>()
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
    use crate::Dual;

    #[test]
    fn plain_is_exactly_the_primitive_floats() {
        assert!(plain::<f64>() || core::mem::align_of::<f64>() != 8);
        assert!(plain::<f32>());
        assert!(!plain::<Dual<f32, 1>>());
        assert!(!plain::<Dual<f64, 1>>());
        assert!(!plain::<crate::graph::Sym>());
        assert!(!plain::<crate::reverse::Var<f64>>());
    }

    /// Equal bit for bit, or both NaN: the sign and payload of a NaN that arithmetic produces are
    /// not specified (Miri, which `.ci/run` runs these tests under, picks them at random).
    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    /// On dual numbers over plain floats `x ⊙ y` is the product rule with the `f64` `⊙` in every
    /// product, `(a ⊙ b, a′ ⊙ b + a ⊙ b′)`, lane by lane, bit for bit up to the sign of a zero:
    /// also where a zero value meets ±∞ or NaN (the `∛` route) and against infinite tangents.
    #[test]
    fn product_is_the_product_rule_with_odot_in_every_product() {
        let odot = |a: f64, b: f64| crate::rules::chain_mul(a, b).0;
        let values = [
            0.0,
            -0.0,
            2.0,
            -0.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let tangents = [
            [1.0, 0.0, -2.0],
            [0.0, f64::INFINITY, 3.0],
            [-0.0, 0.0, f64::NAN],
        ];
        for &a in &values {
            for &b in &values {
                for ta in tangents {
                    for tb in tangents {
                        let p = product(Dual::<f64, 3>::new(a, ta), Dual::new(b, tb));
                        assert!(same(p.re, odot(a, b)), "{a} ⊙ {b}");
                        for i in 0..3 {
                            let want = odot(ta[i], b) + odot(a, tb[i]);
                            let got = p.eps[i];
                            assert!(
                                got == want || (got.is_nan() && want.is_nan()),
                                "({a}, {ta:?}) ⊙ ({b}, {tb:?}), lane {i}: {got} against {want}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// The value of `x ⊙ y` on dual numbers is the `f64` `x.re ⊙ y.re` bit for bit, on every
    /// pair of special values, with tangents that are zero, finite or not.
    #[test]
    fn product_real_part_is_the_f64_product() {
        let special = [
            0.0,
            -0.0,
            1.5,
            -2.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1e-300,
            -1e-300,
            f64::MIN_POSITIVE / 8.0,
        ];
        for &x in &special {
            for &y in &special {
                let f = crate::rules::chain_mul(x, y).0;
                for t in [0.0, 1.0, f64::INFINITY] {
                    let d = product(Dual::<f64, 1>::new(x, [t]), Dual::new(y, [-t]));
                    assert!(same(d.re, f), "{x:?} ⊙ {y:?}, tangents {t}");
                }
            }
        }
    }
}
