//! What `particle` and `saddle` share: gradient descent with a step that adapts (the solver of the
//! original benchmark), generic over the number type so that it runs inside an outer derivative,
//! and the two modes of the inner and outer gradients.

use nilpotent::Real;

/// |v|
fn magnitude<S: Real>(v: &[S]) -> S {
    v.iter().map(|&x| x * x).sum::<S>().sqrt()
}

/// The argmin of f from x by gradient descent: the step η starts at 10⁻⁵, doubles after 10
/// accepted steps in a row and halves after a rejected one; stops when |∇f| ≤ 10⁻⁵ or a step
/// moves x by at most 10⁻⁵.
pub fn argmin<S: Real>(f: impl Fn(&[S]) -> S, g: impl Fn(&[S]) -> Vec<S>, x: &[S]) -> Vec<S> {
    let mut x = x.to_vec();
    let mut fx = f(&x);
    let mut gx = g(&x);
    let mut eta = S::cst(1e-5);
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
        let next: Vec<S> = x.iter().zip(&gx).map(|(&a, &b)| a - eta * b).collect();
        let moved: Vec<S> = x.iter().zip(&next).map(|(&a, &b)| a - b).collect();
        if magnitude(&moved) <= 1e-5 {
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
pub fn argmax<S: Real>(f: impl Fn(&[S]) -> S, g: impl Fn(&[S]) -> Vec<S>, x: &[S]) -> Vec<S> {
    argmin(|v| -f(v), |v| g(v).into_iter().map(|d| -d).collect(), x)
}
