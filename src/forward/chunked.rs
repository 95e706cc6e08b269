//! Chunked forward passes on buffers kept between calls: the [`Forward`] object, whose methods are
//! the forward drivers (`gradient`, `gradient_into`, `jacobian`, `jacobian_into`,
//! `jacobian_inplace_into`, `jvp`, `jvp_into`; on `Forward<Dual<T, N>, N>` also `hessian`,
//! `hessian_into`, `hvp`, `hvp_into`, in [`nested`](super::nested)). The free functions of
//! [`forward`](super) are shortcuts that run one call on a new object.

use ::nalgebra::{DMatrix, Dim, Matrix, Scalar, StorageMut};
use num_traits::Float;

use super::{Dual, seed, unseed};
use crate::base::driver::{Chunk, DEFAULT_CHUNK, check_columns, check_len, check_outputs};

/// A reusable forward-mode differentiator: the drivers of [`forward`](super) as methods, with the
/// seeded dual numbers kept between calls, as [`Tape`](crate::reverse::Tape) is for reverse mode.
///
/// Each method evaluates `f` on `Dual<T, N>` in ⌈n/N⌉ passes of `N` directions, `N` the chunk
/// width: [`DEFAULT_CHUNK`] from [`Forward::new`], or chosen with
/// [`Forward::with_chunk`]`(Chunk::<4>)`. The seeded inputs (and, for
/// [`jacobian_inplace_into`](Forward::jacobian_inplace_into), the dual outputs) live in the
/// object: the first call allocates them, later calls of the same size or smaller reuse them, so
/// the `_into` methods allocate nothing but what `f` itself allocates (a function returning a
/// `Vec` allocates it on every pass; [`Forward::gradient_into`],
/// [`Forward::jacobian_inplace_into`] and, on nested duals, `hessian_into` and `hvp_into`
/// allocate nothing at all). Results are bit for bit those of the free functions with the same
/// chunk width.
///
/// ```
/// use nalgebra::DMatrix;
/// use nilpotent::forward::Forward;
/// use num_traits::Float;
/// fn f<T: Float>(x: &[T]) -> T { x[0] * x[1].exp() }
/// fn g<T: Float>(x: &[T], out: &mut [T]) { out[0] = x[0] + x[1]; out[1] = x[0] * x[1]; }
///
/// let mut fwd = Forward::new(); // Forward<f64, 8>: 8 directions per pass
/// let (mut grad, mut values, mut jac) = ([0.0; 2], [0.0; 2], DMatrix::zeros(2, 2));
/// for step in 0..3 {
///     let x = [1.0 + step as f64, 0.0];
///     let value = fwd.gradient_into(f, &x, &mut grad); // no allocation after the first step
///     fwd.jacobian_inplace_into(g, &x, &mut values, &mut jac); // nor here
///     assert_eq!((value, grad, jac[(1, 1)]), (x[0], [1.0, x[0]], x[0]));
/// }
/// ```
///
/// Second order: a `Forward<Dual<T, N>, N>` (dual numbers over dual numbers, as a tape of dual
/// numbers for reverse mode) has `hessian`, `hessian_into`, `hvp` and `hvp_into`:
///
/// ```
/// use nalgebra::Matrix2;
/// use nilpotent::{Chunk, Dual, forward::Forward};
/// use num_traits::Float;
/// fn f<T: Float>(x: &[T]) -> T { x[0] * x[0] * x[1] } // H = [[2y, 2x], [2x, 0]]
/// let mut fwd: Forward<Dual<f64, 2>, 2> = Forward::with_chunk(Chunk::<2>); // 2 × 2 blocks of H
/// let (mut grad, mut h) = ([0.0; 2], Matrix2::zeros());
/// for y in [1.0, 2.0] {
///     let value = fwd.hessian_into(f, &[3.0, y], &mut grad, &mut h);
///     assert_eq!((value, grad, h[(0, 0)], h[(0, 1)]), (9.0 * y, [6.0 * y, 9.0], 2.0 * y, 6.0));
/// }
/// ```
///
/// A call with more inputs than any before grows the buffers (one allocation each). If `f`
/// panics, the object stays usable: every call reloads its buffers from `x`.
#[derive(Clone, Debug)]
pub struct Forward<T, const N: usize = DEFAULT_CHUNK> {
    /// The inputs as dual numbers, one chunk seeded at a time (constants between passes).
    pub(super) seeds: Vec<Dual<T, N>>,
    /// The outputs of a function that writes into a slice (`jacobian_inplace_into`).
    outputs: Vec<Dual<T, N>>,
    /// The inputs of a one-direction pass (`jvp`; on nested duals, `hvp`).
    pub(super) directions: Vec<Dual<T, 1>>,
}

impl<T, const N: usize> Default for Forward<T, N> {
    /// [`Forward::with_chunk`] for the `N` of the type.
    fn default() -> Self {
        Self::with_chunk(Chunk)
    }
}

impl<T> Forward<T> {
    /// A forward differentiator with the default chunk width [`DEFAULT_CHUNK`] and no buffers yet
    /// (it allocates them at its first call).
    pub const fn new() -> Self {
        Self::with_chunk(Chunk)
    }
}

impl<T, const N: usize> Forward<T, N> {
    /// A forward differentiator with chunk width `N` (`Forward::with_chunk(Chunk::<4>)`: 4
    /// directions per pass on `Dual<T, 4>`) and no buffers yet.
    ///
    /// ```
    /// use nilpotent::{Chunk, forward::Forward};
    /// use num_traits::Float;
    /// fn sum_sq<T: Float>(x: &[T]) -> T { x.iter().fold(T::zero(), |s, &v| s + v * v) }
    /// let mut fwd = Forward::with_chunk(Chunk::<4>);
    /// let x: Vec<f64> = (0..13).map(|i| i as f64).collect();
    /// let (_, g) = fwd.gradient(sum_sq, &x); // 4 passes, the last one with 1 live lane
    /// assert_eq!(g[12], 24.0);
    /// ```
    pub const fn with_chunk(_chunk: Chunk<N>) -> Self {
        Forward {
            seeds: Vec::new(),
            outputs: Vec::new(),
            directions: Vec::new(),
        }
    }
}

/// Panics if the chunk width is 0 (`driver` names the call).
#[inline]
#[track_caller]
pub(super) fn check_chunk<const N: usize>(driver: &str) {
    assert!(N > 0, "{driver}: the chunk width must be at least 1");
}

/// Sets `buf` to the inputs `x` as constants, reusing its capacity.
#[inline]
pub(super) fn load<T: Float, const N: usize>(buf: &mut Vec<Dual<T, N>>, x: &[T]) {
    buf.clear();
    buf.extend(x.iter().map(|&xi| Dual::constant(xi)));
}

/// The passes of a chunked forward driver on the seeded inputs `xd` (already loaded, all
/// constants): seeds inputs `start..end` (N at a time) and calls `pass(seeded inputs, start,
/// end)`; once with `start == end == 0` for an empty input.
#[inline]
pub(super) fn passes<T: Float, const N: usize>(
    xd: &mut [Dual<T, N>],
    mut pass: impl FnMut(&[Dual<T, N>], usize, usize),
) {
    if xd.is_empty() {
        pass(xd, 0, 0);
        return;
    }
    let n = xd.len();
    for start in (0..n).step_by(N) {
        let end = (start + N).min(n);
        seed(xd, start, end);
        pass(xd, start, end);
        unseed(xd, start, end);
    }
}

/// Columns `start..end` of a Jacobian from the tangents of one pass's outputs.
#[inline]
fn write_columns<T, R, C, S, const N: usize>(
    jac: &mut Matrix<T, R, C, S>,
    y: &[Dual<T, N>],
    start: usize,
    end: usize,
) where
    T: Float + Scalar,
    R: Dim,
    C: Dim,
    S: StorageMut<T, R, C>,
{
    // column by column (the matrix is column-major): one bounds check per column
    for (b, j) in (start..end).enumerate() {
        for (dst, yi) in jac.column_mut(j).iter_mut().zip(y) {
            *dst = yi.eps[b];
        }
    }
}

/// Panics unless a later pass returned as many values as the first.
#[inline]
#[track_caller]
fn same_outputs(driver: &str, first: usize, now: usize) {
    if now != first {
        panic!(
            "{driver}: f returned {} in one pass and {} in another",
            crate::base::text::count(first, "value", "values"),
            crate::base::text::count(now, "value", "values")
        );
    }
}

/// Panics unless the direction `r` (named `name`) has one entry per input.
#[inline]
#[track_caller]
pub(super) fn check_direction(driver: &str, name: &str, found: usize, inputs: usize) {
    assert!(
        found == inputs,
        "{driver}: the direction {name} has {}; expected {inputs}, one per entry of x",
        crate::base::text::count(found, "entry", "entries"),
    );
}

impl<T: Float, const N: usize> Forward<T, N> {
    /// The value and gradient of `f: ℝⁿ → ℝ`, in ⌈n/N⌉ passes (the gradient is a new `Vec`; see
    /// [`Forward::gradient_into`]).
    ///
    /// ```
    /// use nilpotent::forward::Forward;
    /// use num_traits::Float;
    /// fn f<T: Float>(x: &[T]) -> T { x[0].ln() + x[0] * x[1] - x[1].sin() }
    /// let mut fwd = Forward::new();
    /// let (value, grad) = fwd.gradient(f, &[2.0, 5.0]);
    /// assert_eq!((value, grad.clone()), nilpotent::gradient(f, &[2.0, 5.0]));
    /// assert_eq!(grad[0], 5.5);
    /// ```
    ///
    /// # Panics
    /// If `N` is 0.
    pub fn gradient<F>(&mut self, f: F, x: &[T]) -> (T, Vec<T>)
    where
        F: Fn(&[Dual<T, N>]) -> Dual<T, N>,
    {
        let mut grad = vec![T::zero(); x.len()];
        let value = self.gradient_into_named("Forward::gradient", f, x, &mut grad);
        (value, grad)
    }

    /// [`Forward::gradient`] writing the gradient into `grad` (one entry per input); returns the
    /// value. Allocates nothing once the object has seen an input this long.
    ///
    /// # Panics
    /// If `N` is 0 or `grad.len() != x.len()`, before `f` is called.
    pub fn gradient_into<F>(&mut self, f: F, x: &[T], grad: &mut [T]) -> T
    where
        F: Fn(&[Dual<T, N>]) -> Dual<T, N>,
    {
        self.gradient_into_named("Forward::gradient_into", f, x, grad)
    }

    /// [`Forward::gradient_into`], its panics naming `driver`.
    #[track_caller]
    pub(super) fn gradient_into_named<F>(
        &mut self,
        driver: &str,
        f: F,
        x: &[T],
        grad: &mut [T],
    ) -> T
    where
        F: Fn(&[Dual<T, N>]) -> Dual<T, N>,
    {
        check_chunk::<N>(driver);
        check_len(driver, "grad", grad.len(), x.len(), "one per input");
        load(&mut self.seeds, x);
        let mut value = T::zero();
        passes(&mut self.seeds, |xd, start, end| {
            let y = f(xd);
            if start == 0 {
                value = y.re;
            }
            grad[start..end].copy_from_slice(&y.eps[..end - start]);
        });
        value
    }

    /// The values and Jacobian (m × n, `jac[(i, j)] = ∂fᵢ/∂xⱼ`) of `f: ℝⁿ → ℝᵐ`, in ⌈n/N⌉
    /// passes (the results are new; see [`Forward::jacobian_into`]).
    ///
    /// ```
    /// use nilpotent::forward::Forward;
    /// use num_traits::Float;
    /// fn polar<T: Float>(p: &[T]) -> Vec<T> { vec![p[0] * p[1].cos(), p[0] * p[1].sin()] }
    /// let mut fwd = Forward::new();
    /// let (_, jac) = fwd.jacobian(polar, &[2.0, 0.0]);
    /// assert_eq!((jac[(0, 0)], jac[(1, 1)]), (1.0, 2.0));
    /// ```
    ///
    /// # Panics
    /// If `N` is 0, or if `f` returns a different number of values in different passes.
    pub fn jacobian<F>(&mut self, f: F, x: &[T]) -> (Vec<T>, DMatrix<T>)
    where
        T: Scalar,
        F: Fn(&[Dual<T, N>]) -> Vec<Dual<T, N>>,
    {
        self.jacobian_named("Forward::jacobian", f, x)
    }

    /// [`Forward::jacobian`], its panics naming `driver`.
    #[track_caller]
    pub(super) fn jacobian_named<F>(&mut self, driver: &str, f: F, x: &[T]) -> (Vec<T>, DMatrix<T>)
    where
        T: Scalar,
        F: Fn(&[Dual<T, N>]) -> Vec<Dual<T, N>>,
    {
        check_chunk::<N>(driver);
        let n = x.len();
        let mut values = Vec::new();
        let mut jac = DMatrix::zeros(0, n);
        load(&mut self.seeds, x);
        passes(&mut self.seeds, |xd, start, end| {
            let y = f(xd);
            if start == 0 {
                values = y.iter().map(|yi| yi.re).collect();
                if end == n {
                    // one pass: the matrix straight from the tangents, without zeroing it first
                    jac = DMatrix::from_fn(y.len(), n, |i, j| y[i].eps[j]);
                    return;
                }
                jac = DMatrix::zeros(y.len(), n);
            } else {
                same_outputs(driver, values.len(), y.len());
            }
            write_columns(&mut jac, &y, start, end);
        });
        (values, jac)
    }

    /// [`Forward::jacobian`] writing into the caller's buffers: the values `f(x)` into `values`
    /// (one per output) and the Jacobian into `jac` (outputs × inputs: a `DMatrix`, an `SMatrix`
    /// or a mutable view). Allocates only what `f` allocates (its returned `Vec`, once per pass)
    /// once the object has seen an input this long; [`Forward::jacobian_inplace_into`] takes a
    /// function that writes into a slice and allocates nothing.
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use nilpotent::forward::Forward;
    /// use num_traits::Float;
    /// fn polar<T: Float>(p: &[T]) -> Vec<T> { vec![p[0] * p[1].cos(), p[0] * p[1].sin()] }
    /// let mut fwd = Forward::new();
    /// let (mut values, mut jac) = ([0.0; 2], DMatrix::zeros(2, 2));
    /// for r in [1.0, 2.0, 3.0] {
    ///     fwd.jacobian_into(polar, &[r, 0.0], &mut values, &mut jac);
    ///     assert_eq!((values[0], jac[(1, 1)]), (r, r)); // ∂y/∂θ = r cos θ
    /// }
    /// ```
    ///
    /// # Panics
    /// If `N` is 0 or `jac` does not have one column per input (before `f` is called); if
    /// `values` does not have one entry per output of `f` or `jac` one row per output (after the
    /// first pass); if `f` returns a different number of values in different passes. The message
    /// names the buffer, the expected and the found size.
    pub fn jacobian_into<F, R, C, S>(
        &mut self,
        f: F,
        x: &[T],
        values: &mut [T],
        jac: &mut Matrix<T, R, C, S>,
    ) where
        T: Scalar,
        F: Fn(&[Dual<T, N>]) -> Vec<Dual<T, N>>,
        R: Dim,
        C: Dim,
        S: StorageMut<T, R, C>,
    {
        self.jacobian_into_named("Forward::jacobian_into", f, x, values, jac)
    }

    /// [`Forward::jacobian_into`], its panics naming `driver`.
    #[track_caller]
    pub(super) fn jacobian_into_named<F, R, C, S>(
        &mut self,
        driver: &str,
        f: F,
        x: &[T],
        values: &mut [T],
        jac: &mut Matrix<T, R, C, S>,
    ) where
        T: Scalar,
        F: Fn(&[Dual<T, N>]) -> Vec<Dual<T, N>>,
        R: Dim,
        C: Dim,
        S: StorageMut<T, R, C>,
    {
        check_chunk::<N>(driver);
        check_columns(driver, jac.ncols(), x.len());
        load(&mut self.seeds, x);
        passes(&mut self.seeds, |xd, start, end| {
            let y = f(xd);
            if start == 0 {
                check_outputs(driver, values.len(), jac, y.len(), x.len());
                for (v, yi) in values.iter_mut().zip(&y) {
                    *v = yi.re;
                }
            } else {
                same_outputs(driver, values.len(), y.len());
            }
            write_columns(jac, &y, start, end);
        });
    }

    /// The values and Jacobian (m × n) of a function that writes its m outputs into a slice,
    /// `g(x, out)` with `out.len() == m`; before each pass `out` is set to 0, so an output that
    /// `g` does not write is 0 with zero derivative. The results are new; see
    /// [`Forward::jacobian_inplace_into`].
    ///
    /// # Panics
    /// If `N` is 0.
    pub fn jacobian_inplace<G>(&mut self, g: G, x: &[T], m: usize) -> (Vec<T>, DMatrix<T>)
    where
        T: Scalar,
        G: Fn(&[Dual<T, N>], &mut [Dual<T, N>]),
    {
        let mut values = vec![T::zero(); m];
        let mut jac = DMatrix::zeros(m, x.len());
        self.jacobian_inplace_into_named("Forward::jacobian_inplace", g, x, &mut values, &mut jac);
        (values, jac)
    }

    /// [`Forward::jacobian_inplace`] writing into the caller's buffers: `values` (its length is
    /// the number of outputs m, the length of the slice `g` writes into) and `jac` (m × n).
    /// Allocates nothing once the object has seen a function this size (n inputs, m outputs).
    ///
    /// ```
    /// use nalgebra::Matrix2;
    /// use nilpotent::forward::Forward;
    /// use num_traits::Float;
    /// fn g<T: Float>(x: &[T], out: &mut [T]) {
    ///     out[0] = x[0] * x[1];
    ///     out[1] = x[0].sin();
    /// }
    /// let mut fwd = Forward::new();
    /// let (mut values, mut jac) = ([0.0; 2], Matrix2::zeros());
    /// fwd.jacobian_inplace_into(g, &[2.0, 5.0], &mut values, &mut jac);
    /// assert_eq!((values[0], jac[(0, 1)]), (10.0, 2.0));
    /// ```
    ///
    /// # Panics
    /// If `N` is 0 or `jac` is not m × n (before `g` is called).
    pub fn jacobian_inplace_into<G, R, C, S>(
        &mut self,
        g: G,
        x: &[T],
        values: &mut [T],
        jac: &mut Matrix<T, R, C, S>,
    ) where
        T: Scalar,
        G: Fn(&[Dual<T, N>], &mut [Dual<T, N>]),
        R: Dim,
        C: Dim,
        S: StorageMut<T, R, C>,
    {
        self.jacobian_inplace_into_named("Forward::jacobian_inplace_into", g, x, values, jac)
    }

    /// [`Forward::jacobian_inplace_into`], its panics naming `driver`.
    #[track_caller]
    pub(super) fn jacobian_inplace_into_named<G, R, C, S>(
        &mut self,
        driver: &str,
        g: G,
        x: &[T],
        values: &mut [T],
        jac: &mut Matrix<T, R, C, S>,
    ) where
        T: Scalar,
        G: Fn(&[Dual<T, N>], &mut [Dual<T, N>]),
        R: Dim,
        C: Dim,
        S: StorageMut<T, R, C>,
    {
        check_chunk::<N>(driver);
        let m = values.len();
        check_columns(driver, jac.ncols(), x.len());
        check_outputs(driver, m, jac, m, x.len());
        let out = &mut self.outputs;
        out.clear();
        out.resize(m, Dual::constant(T::zero()));
        load(&mut self.seeds, x);
        passes(&mut self.seeds, |xd, start, end| {
            out.fill(Dual::constant(T::zero()));
            g(xd, out);
            if start == 0 {
                for (v, yi) in values.iter_mut().zip(out.iter()) {
                    *v = yi.re;
                }
            }
            write_columns(jac, out, start, end);
        });
    }

    /// The values `f(x)` and the Jacobian-vector product `J(x)·r` of `f: ℝⁿ → ℝᵐ`, in one pass
    /// on `Dual<T, 1>` (whatever `N`: one direction needs one lane).
    ///
    /// ```
    /// use nilpotent::forward::Forward;
    /// use num_traits::Float;
    /// fn g<T: Float>(x: &[T]) -> Vec<T> { vec![x[0] * x[1], x[0].sin()] }
    /// let mut fwd: Forward<f64> = Forward::new();
    /// let (values, jr) = fwd.jvp(g, &[2.0, 3.0], &[1.0, 0.0]); // first column of J
    /// assert_eq!((values[0], jr[0], jr[1]), (6.0, 3.0, 2.0f64.cos()));
    /// ```
    ///
    /// # Panics
    /// If `r` and `x` have different lengths.
    pub fn jvp<F>(&mut self, f: F, x: &[T], r: &[T]) -> (Vec<T>, Vec<T>)
    where
        F: Fn(&[Dual<T, 1>]) -> Vec<Dual<T, 1>>,
    {
        self.jvp_named("Forward::jvp", f, x, r)
    }

    /// [`Forward::jvp`], its panics naming `driver`.
    #[track_caller]
    pub(super) fn jvp_named<F>(&mut self, driver: &str, f: F, x: &[T], r: &[T]) -> (Vec<T>, Vec<T>)
    where
        F: Fn(&[Dual<T, 1>]) -> Vec<Dual<T, 1>>,
    {
        check_direction(driver, "r", r.len(), x.len());
        self.load_directions(x, r);
        let y = f(&self.directions);
        y.iter().map(|yi| (yi.re, yi.eps[0])).unzip()
    }

    /// [`Forward::jvp`] writing the values into `values` and `J·r` into `jr` (one entry per
    /// output each). Allocates only what `f` allocates once the object has seen an input this
    /// long.
    ///
    /// # Panics
    /// If `r` and `x` have different lengths (before `f` is called), or if `values` or `jr` does
    /// not have one entry per output of `f`.
    pub fn jvp_into<F>(&mut self, f: F, x: &[T], r: &[T], values: &mut [T], jr: &mut [T])
    where
        F: Fn(&[Dual<T, 1>]) -> Vec<Dual<T, 1>>,
    {
        const DRIVER: &str = "Forward::jvp_into";
        check_direction(DRIVER, "r", r.len(), x.len());
        self.load_directions(x, r);
        let y = f(&self.directions);
        check_len(DRIVER, "values", values.len(), y.len(), "one per output");
        check_len(DRIVER, "jr", jr.len(), y.len(), "one per output");
        for ((v, d), yi) in values.iter_mut().zip(jr.iter_mut()).zip(&y) {
            *v = yi.re;
            *d = yi.eps[0];
        }
    }

    /// Sets the one-direction inputs to `xᵢ + rᵢε`, reusing their capacity.
    fn load_directions(&mut self, x: &[T], r: &[T]) {
        self.directions.clear();
        self.directions
            .extend(x.iter().zip(r).map(|(&xi, &ri)| Dual::new(xi, [ri])));
    }
}
