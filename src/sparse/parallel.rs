//! Dense Jacobians and Hessians with their passes on rayon's thread pool (feature `rayon`).

use nalgebra::{DMatrix, Scalar};
use num_traits::Float;
use rayon::prelude::*;

use crate::forward::Dual;
use crate::forward::{Chunk, seed, unseed};

/// [`jacobian_with`](crate::forward::jacobian_with) with its ⌈n/N⌉ passes (chunks of N columns) on rayon's
/// thread pool. Each pass is the serial driver's, so the values and the Jacobian are the same bit
/// for bit.
///
/// ```
/// use nilpotent::{jacobian_with, Chunk};
/// use nilpotent::sparse::par_jacobian_with;
/// use num_traits::Float;
///
/// fn g<T: Float>(x: &[T]) -> Vec<T> {
///     x.iter().map(|&v| x.iter().fold(v, |s, &w| s * w.cos())).collect()
/// }
/// let x: Vec<f64> = (0..40).map(|i| 0.1 * i as f64).collect();
/// assert_eq!(par_jacobian_with(g, &x, Chunk::<8>), jacobian_with(g, &x, Chunk::<8>));
/// ```
///
/// # Panics
/// If `N` is 0, or if `f` returns a different number of values in different passes.
pub fn par_jacobian_with<T, F, const N: usize>(
    f: F,
    x: &[T],
    chunk: Chunk<N>,
) -> (Vec<T>, DMatrix<T>)
where
    T: Float + Scalar + Send + Sync,
    F: Fn(&[Dual<T, N>]) -> Vec<Dual<T, N>> + Sync,
{
    assert!(
        N > 0,
        "par_jacobian_with: the chunk width must be at least 1"
    );
    let n = x.len();
    if n == 0 {
        return crate::forward::jacobian_with(f, x, chunk);
    }
    let xd: Vec<Dual<T, N>> = x.iter().map(|&xi| Dual::constant(xi)).collect();
    let starts: Vec<usize> = (0..n).step_by(N).collect();
    let ys: Vec<Vec<Dual<T, N>>> = starts
        .par_iter()
        .map_init(
            || xd.clone(),
            |xd, &start| {
                let end = (start + N).min(n);
                seed(xd, start, end);
                let y = f(xd);
                unseed(xd, start, end);
                y
            },
        )
        .collect();
    let m = ys[0].len();
    let values = ys[0].iter().map(|yi| yi.re).collect();
    let mut jac = DMatrix::zeros(m, n);
    for (&start, y) in starts.iter().zip(&ys) {
        assert_eq!(
            y.len(),
            m,
            "jacobian: f returned {} in one pass and {} in another",
            crate::base::text::count(m, "value", "values"),
            crate::base::text::count(y.len(), "value", "values")
        );
        let end = (start + N).min(n);
        for (i, yi) in y.iter().enumerate() {
            for j in start..end {
                jac[(i, j)] = yi.eps[j - start];
            }
        }
    }
    (values, jac)
}

/// [`hessian_with`](crate::forward::nested::hessian_with) with its c(c+1)/2 passes (pairs of chunks of N inputs,
/// c = ⌈n/N⌉) on rayon's thread pool. Each pass is the serial driver's, so the value, gradient and
/// Hessian are the same bit for bit.
///
/// ```
/// use nilpotent::{hessian_with, Chunk};
/// use nilpotent::sparse::par_hessian_with;
/// use num_traits::Float;
///
/// fn f<T: Float>(x: &[T]) -> T {
///     x.iter().fold(T::zero(), |s, &v| s + v.sin() * s.cos())
/// }
/// let x: Vec<f64> = (0..20).map(|i| 0.1 * i as f64).collect();
/// assert_eq!(par_hessian_with(f, &x, Chunk::<4>), hessian_with(f, &x, Chunk::<4>));
/// ```
///
/// # Panics
/// If `N` is 0.
pub fn par_hessian_with<T, F, const N: usize>(
    f: F,
    x: &[T],
    chunk: Chunk<N>,
) -> (T, Vec<T>, DMatrix<T>)
where
    T: Float + Scalar + Send + Sync,
    F: Fn(&[Dual<Dual<T, N>, N>]) -> Dual<Dual<T, N>, N> + Sync,
{
    assert!(
        N > 0,
        "par_hessian_with: the chunk width must be at least 1"
    );
    let n = x.len();
    if n == 0 {
        return crate::forward::nested::hessian_with(f, x, chunk);
    }
    let xd: Vec<Dual<Dual<T, N>, N>> = x
        .iter()
        .map(|&xi| Dual::constant(Dual::constant(xi)))
        .collect();
    // the pairs of chunks (I, J), J ≥ I, in the serial driver's order
    let pairs: Vec<(usize, usize)> = (0..n)
        .step_by(N)
        .flat_map(|si| (si..n).step_by(N).map(move |sj| (si, sj)))
        .collect();
    let ys: Vec<Dual<Dual<T, N>, N>> = pairs
        .par_iter()
        .map_init(
            || xd.clone(),
            |xd, &(si, sj)| {
                let (ei, ej) = ((si + N).min(n), (sj + N).min(n));
                // inner tangents: unit vectors of chunk I; outer: those of chunk J
                for (a, d) in xd[si..ei].iter_mut().enumerate() {
                    d.re.eps[a] = T::one();
                }
                for (b, d) in xd[sj..ej].iter_mut().enumerate() {
                    d.eps[b] = Dual::constant(T::one());
                }
                let y = f(xd);
                for d in xd[sj..ej].iter_mut() {
                    d.eps = [Dual::constant(T::zero()); N];
                }
                for d in xd[si..ei].iter_mut() {
                    d.re.eps = [T::zero(); N];
                }
                y
            },
        )
        .collect();
    let mut value = T::zero();
    let mut grad = vec![T::zero(); n];
    let mut h = DMatrix::zeros(n, n);
    for (&(si, sj), y) in pairs.iter().zip(&ys) {
        let (ei, ej) = ((si + N).min(n), (sj + N).min(n));
        if si == sj {
            if si == 0 {
                value = y.re.re;
            }
            grad[si..ei].copy_from_slice(&y.re.eps[..ei - si]);
        }
        for (b, outer) in y.eps[..ej - sj].iter().enumerate() {
            let j = sj + b;
            for (a, &hij) in outer.eps[..ei - si].iter().enumerate() {
                let i = si + a;
                if i <= j {
                    h[(i, j)] = hij;
                    h[(j, i)] = hij;
                }
            }
        }
    }
    (value, grad, h)
}
