//! The Jacobian and Hessian drivers as [`Tape`] methods that write into the caller's buffers
//! (the free `reverse::*` functions run them on the thread's spare tape, see `spare.rs`).

use nalgebra::{DMatrix, Dim, Matrix, Scalar, StorageMut};
use num_traits::Float;

use super::{Tape, Var};
use crate::base::driver::{check_columns, check_len, check_outputs};
use crate::forward::Dual;
use crate::forward::{seed, unseed};

impl<T: Float + Scalar> Tape<T> {
    /// The values and Jacobian (m × n) of `f: ℝⁿ → ℝᵐ`: one recording, one backward sweep per
    /// output, on this tape (no allocation for the tape once it has grown; the result is new).
    ///
    /// ```
    /// use nilpotent::reverse::Tape;
    /// use num_traits::Float;
    /// fn polar<T: Float>(p: &[T]) -> Vec<T> { vec![p[0] * p[1].cos(), p[0] * p[1].sin()] }
    /// let mut tape = Tape::new();
    /// let (_, jac) = tape.jacobian(polar, &[2.0, 0.0]);
    /// assert_eq!((jac[(0, 0)], jac[(1, 1)]), (1.0, 2.0));
    /// ```
    pub fn jacobian<F>(&mut self, f: F, x: &[T]) -> (Vec<T>, DMatrix<T>)
    where
        F: FnOnce(&[Var<T>]) -> Vec<Var<T>>,
    {
        let ys = self.record(x, f);
        let mut jac = DMatrix::zeros(ys.len(), x.len());
        self.backward_rows(&ys, &mut jac);
        (ys.iter().map(Var::value).collect(), jac)
    }

    /// [`Tape::jacobian`] writing into the caller's buffers: the values into `values` (one entry
    /// per output) and the Jacobian into `jac` (outputs × inputs; any nalgebra matrix or view
    /// with mutable storage).
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use nilpotent::reverse::Tape;
    /// use num_traits::Float;
    /// fn polar<T: Float>(p: &[T]) -> Vec<T> { vec![p[0] * p[1].cos(), p[0] * p[1].sin()] }
    /// let mut tape = Tape::new();
    /// let (mut values, mut jac) = ([0.0; 2], DMatrix::zeros(2, 2));
    /// for r in [1.0, 2.0, 3.0] {
    ///     tape.jacobian_into(polar, &[r, 0.0], &mut values, &mut jac);
    ///     assert_eq!((values[0], jac[(1, 1)]), (r, r)); // ∂y/∂θ = r cos θ
    /// }
    /// ```
    ///
    /// # Panics
    /// If `jac` does not have one column per input (before `f` is called), or if `values` does
    /// not have one entry per output of `f` or `jac` one row per output (after recording). The
    /// message names the buffer, the expected and the found size.
    pub fn jacobian_into<F, R, C, S>(
        &mut self,
        f: F,
        x: &[T],
        values: &mut [T],
        jac: &mut Matrix<T, R, C, S>,
    ) where
        F: FnOnce(&[Var<T>]) -> Vec<Var<T>>,
        R: Dim,
        C: Dim,
        S: StorageMut<T, R, C>,
    {
        check_columns("Tape::jacobian_into", jac.ncols(), x.len());
        let ys = self.record(x, f);
        check_outputs("Tape::jacobian_into", values.len(), jac, ys.len(), x.len());
        for (v, y) in values.iter_mut().zip(&ys) {
            *v = y.value();
        }
        self.backward_rows(&ys, jac);
    }

    /// Row i of `jac` from a backward sweep seeded on output i.
    fn backward_rows<R, C, S>(&mut self, ys: &[Var<T>], jac: &mut Matrix<T, R, C, S>)
    where
        R: Dim,
        C: Dim,
        S: StorageMut<T, R, C>,
    {
        let n = jac.ncols();
        for (i, &y) in ys.iter().enumerate() {
            let adjoints = self.backward(y);
            for j in 0..n {
                // a constant output has no adjoints at all: its row is 0
                jac[(i, j)] = adjoints.get(j).copied().unwrap_or_else(T::zero);
            }
        }
    }
}

impl<T: Float + Scalar, const N: usize> Tape<Dual<T, N>> {
    /// The value, gradient and Hessian of `f: ℝⁿ → ℝ` by forward over reverse on this tape of
    /// `Var<Dual<T, N>>`: ⌈n/N⌉ recordings, each giving N columns of H in one backward sweep (as
    /// [`reverse::hessian_with`](super::hessian_with), which uses a tape kept by the thread).
    ///
    /// The two triangles come from different sweeps and may differ in the last bits; the result
    /// is made exactly symmetric by averaging `(H + Hᵀ)/2`.
    ///
    /// ```
    /// use nilpotent::{Dual, reverse::Tape};
    /// use num_traits::Float;
    /// fn f<T: Float>(x: &[T]) -> T { x[0] * x[0] * x[1] } // H = [[2y, 2x], [2x, 0]]
    /// let mut tape: Tape<Dual<f64, 2>> = Tape::new(); // 2 columns of H per recording
    /// let (value, grad, h) = tape.hessian(f, &[3.0, 2.0]);
    /// assert_eq!((value, grad), (18.0, vec![12.0, 9.0]));
    /// assert_eq!((h[(0, 0)], h[(0, 1)], h[(1, 1)]), (4.0, 6.0, 0.0));
    /// ```
    ///
    /// # Panics
    /// If `N` is 0.
    pub fn hessian<F>(&mut self, f: F, x: &[T]) -> (T, Vec<T>, DMatrix<T>)
    where
        F: Fn(&[Var<Dual<T, N>>]) -> Var<Dual<T, N>>,
    {
        let n = x.len();
        let mut grad = vec![T::zero(); n];
        let mut h = DMatrix::zeros(n, n);
        let value = self.hessian_into(f, x, &mut grad, &mut h);
        (value, grad, h)
    }

    /// [`Tape::hessian`] writing the gradient into `grad` (one entry per input) and the Hessian
    /// into `hess` (n × n, any nalgebra matrix or view with mutable storage); returns the value.
    /// Once the tape has grown to the function's size, it allocates only what `f` allocates.
    ///
    /// ```
    /// use nalgebra::Matrix2;
    /// use nilpotent::{Dual, reverse::Tape};
    /// use num_traits::Float;
    /// fn f<T: Float>(x: &[T]) -> T { x[0] * x[0] * x[1] }
    /// let mut tape: Tape<Dual<f64, 2>> = Tape::new();
    /// let (mut grad, mut h) = ([0.0; 2], Matrix2::zeros());
    /// for y in [1.0, 2.0] {
    ///     let value = tape.hessian_into(f, &[3.0, y], &mut grad, &mut h);
    ///     assert_eq!((value, h[(0, 0)]), (9.0 * y, 2.0 * y));
    /// }
    /// ```
    ///
    /// # Panics
    /// If `N` is 0, `grad.len() != x.len()` or `hess` is not n × n (before `f` is called).
    pub fn hessian_into<F, R, C, S>(
        &mut self,
        f: F,
        x: &[T],
        grad: &mut [T],
        hess: &mut Matrix<T, R, C, S>,
    ) -> T
    where
        F: Fn(&[Var<Dual<T, N>>]) -> Var<Dual<T, N>>,
        R: Dim,
        C: Dim,
        S: StorageMut<T, R, C>,
    {
        assert!(
            N > 0,
            "reverse::hessian_with: the chunk width must be at least 1"
        );
        let n = x.len();
        check_len("Tape::hessian_into", "grad", grad.len(), n, "one per input");
        if hess.shape() != (n, n) {
            panic!(
                "Tape::hessian_into: `hess` must be {n} × {n} (inputs × inputs) but is {} × {}",
                hess.nrows(),
                hess.ncols()
            );
        }
        // the seeded inputs live in the tape between calls (taken out while `record` borrows it)
        let mut xd = core::mem::take(&mut self.seeds);
        xd.clear();
        xd.extend(x.iter().map(|&xi| Dual::constant(xi)));
        let mut start = 0;
        let value = loop {
            let end = (start + N).min(n);
            seed(&mut xd, start, end);
            let y = self.record(&xd, &f);
            unseed(&mut xd, start, end);
            let adjoints = self.backward(y);
            for i in 0..n {
                // a constant output has no adjoints: its gradient and Hessian are 0
                let a = adjoints
                    .get(i)
                    .copied()
                    .unwrap_or_else(|| Dual::constant(T::zero()));
                grad[i] = a.re;
                for j in start..end {
                    hess[(i, j)] = a.eps[j - start];
                }
            }
            start = end;
            if start >= n {
                break y.value().re;
            }
        };
        self.seeds = xd;
        let half = T::from(0.5).unwrap();
        for i in 0..n {
            for j in 0..i {
                let s = (hess[(i, j)] + hess[(j, i)]) * half;
                hess[(i, j)] = s;
                hess[(j, i)] = s;
            }
        }
        value
    }
}
