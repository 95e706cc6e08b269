//! What `particle` and `saddle` share: gradient descent with a step that adapts (the solver of the
//! original benchmark), generic over the number type so that it runs inside an outer derivative,
//! and the two modes of the inner and outer gradients.
//!
//! The points are arrays of a fixed size (`[S; N]`: 1 in `particle`, 2 in `saddle`), so an
//! iteration allocates nothing. The stopping tests (|∇f| ≤ 10⁻⁵, a step of at most 10⁻⁵) are
//! decisions, not part of the derivative: they are made on the values (`f64`), as the comparisons
//! of the number types make them, so that nested dual numbers do not carry tangents through the
//! norms and a tape does not record them.

use nilpotent::Real;

/// The value of `x`: its `f64`, the number every comparison of the crate's types looks at.
#[inline(always)]
fn value<S: Real>(x: S) -> f64 {
    x.to_f64()
        .expect("the number types of these evals have an f64 value")
}

/// |v| of the values of v.
#[inline(always)]
fn magnitude<S: Real, const N: usize>(v: &[S; N]) -> f64 {
    v.iter()
        .map(|&x| {
            let x = value(x);
            x * x
        })
        .sum::<f64>()
        .sqrt()
}

/// |u − v| of the values of u and v.
#[inline(always)]
fn distance<S: Real, const N: usize>(u: &[S; N], v: &[S; N]) -> f64 {
    u.iter()
        .zip(v)
        .map(|(&a, &b)| {
            let d = value(a) - value(b);
            d * d
        })
        .sum::<f64>()
        .sqrt()
}

/// The argmin of f from x by gradient descent: the step η starts at 10⁻⁵, doubles after 10
/// accepted steps in a row and halves after a rejected one; stops when |∇f| ≤ 10⁻⁵ or a step
/// moves x by at most 10⁻⁵.
#[inline(always)]
pub fn argmin<S: Real, const N: usize>(
    f: impl Fn(&[S; N]) -> S,
    g: impl Fn(&[S; N]) -> [S; N],
    x: [S; N],
) -> [S; N] {
    let mut x = x;
    let mut fx = f(&x);
    let mut gx = g(&x);
    let mut eta = 1e-5;
    let mut i = 0;
    loop {
        if magnitude(&gx) <= 1e-5 {
            return x;
        }
        if i == 10 {
            eta *= 2.0;
            i = 0;
            continue;
        }
        let next: [S; N] = core::array::from_fn(|j| x[j] - gx[j] * eta);
        if distance(&x, &next) <= 1e-5 {
            return x;
        }
        let fnext = f(&next);
        if fnext < fx {
            gx = g(&next);
            x = next;
            fx = fnext;
            i += 1;
        } else {
            eta /= 2.0;
            i = 0;
        }
    }
}

/// The argmax of f from x: the argmin of −f.
#[inline(always)]
pub fn argmax<S: Real, const N: usize>(
    f: impl Fn(&[S; N]) -> S,
    g: impl Fn(&[S; N]) -> [S; N],
    x: [S; N],
) -> [S; N] {
    argmin(|v| -f(v), |v| g(v).map(|d| -d), x)
}
