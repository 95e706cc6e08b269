//! What every mode's drivers share: the chunk width of forward passes ([`Chunk`],
//! [`DEFAULT_CHUNK`], used by forward mode and by reverse and sparse drivers that run forward
//! passes) and the length checks of buffers passed in, whose panics name the driver, the buffer
//! and both lengths.

use nalgebra::{Dim, Matrix};

/// The number of tangent slots the forward drivers ([`gradient`](crate::gradient), [`jacobian`](crate::jacobian)) use per pass.
///
/// Eight `f64` lanes fill two AVX registers (or one AVX-512 register), and cost about as much as the
/// book-keeping of a pass for small functions; for `n < 8` inputs prefer [`gradient_fixed`](crate::gradient_fixed) or
/// [`gradient_with`](crate::gradient_with) with a narrower [`Chunk`].
pub const DEFAULT_CHUNK: usize = 8;

/// A chunk width, chosen by the caller: `gradient_with(f, &x, Chunk::<4>)` evaluates `f` on
/// `Dual<T, 4>` and so computes 4 partial derivatives per pass.
#[derive(Clone, Copy, Debug, Default)]
pub struct Chunk<const N: usize>;

/// "1 entry", "2 entries".
pub(crate) fn entries(n: usize) -> crate::base::text::Count {
    crate::base::text::count(n, "entry", "entries")
}

/// "1 column", "2 columns".
fn columns(n: usize) -> crate::base::text::Count {
    crate::base::text::count(n, "column", "columns")
}

/// Panics unless the buffer `buf` of `driver` has `expected` entries (`per` says why).
#[track_caller]
pub(crate) fn check_len(driver: &str, buf: &str, found: usize, expected: usize, per: &str) {
    if found != expected {
        panic!(
            "{driver}: `{buf}` must have {} ({per}) but has {}",
            entries(expected),
            entries(found)
        );
    }
}

/// Panics unless a Jacobian buffer has one column per input.
#[track_caller]
pub(crate) fn check_columns(driver: &str, found: usize, inputs: usize) {
    if found != inputs {
        panic!(
            "{driver}: `jac` must have {} (one per input) but has {found}",
            columns(inputs)
        );
    }
}

/// Panics unless `values` has one entry per output and `jac` one row per output (and one column
/// per input).
#[track_caller]
pub(crate) fn check_outputs<T, R, C, S>(
    driver: &str,
    values: usize,
    jac: &Matrix<T, R, C, S>,
    outputs: usize,
    inputs: usize,
) where
    R: Dim,
    C: Dim,
    S: nalgebra::RawStorage<T, R, C>,
{
    check_len(driver, "values", values, outputs, "one per output");
    if jac.shape() != (outputs, inputs) {
        panic!(
            "{driver}: `jac` must be {outputs} × {inputs} (outputs × inputs) but is {} × {}",
            jac.nrows(),
            jac.ncols()
        );
    }
}
