//! Higher-order forward mode: second and higher derivatives, Hessians and Hessian-vector products,
//! by nesting dual numbers (forward over forward).
//!
//! | they want | they call | passes (n inputs, chunk N) |
//! |---|---|---|
//! | f, f′, f″ of a scalar function | [`second_derivative`]`(f, x)` | 1 on `Dual<Dual<T, 1>, 1>` |
//! | … up to f‴ or f⁗ | [`third_derivative`], [`fourth_derivative`] | 1 on 3 or 4 nested levels |
//! | f, ∇f, ∇²f | [`hessian`]`(f, &x)`, [`hessian_with`]`(f, &x, Chunk::<N>)` | c(c+1)/2, c = ⌈n/N⌉ |
//! | f, ∇f, ∇²f·v | [`hvp`]`(f, &x, &v)`, [`hvp_with`]`(f, &x, &v, Chunk::<N>)` | c = ⌈n/N⌉ |
//!
//! ```
//! use nilpotent::{hessian, hvp, second_derivative};
//! use num_traits::Float;
//!
//! fn cube<T: Float>(x: T) -> T { x * x * x }
//! fn rosenbrock<T: Float>(x: &[T]) -> T {
//!     let (one, hundred) = (T::one(), T::from(100).unwrap());
//!     (one - x[0]).powi(2) + hundred * (x[1] - x[0] * x[0]).powi(2)
//! }
//!
//! assert_eq!(second_derivative(cube, 2.0), (8.0, 12.0, 12.0));
//! let (value, grad, h) = hessian(rosenbrock, &[1.0, 1.0]);
//! assert_eq!((value, grad), (0.0, vec![0.0, 0.0]));
//! assert_eq!((h[(0, 0)], h[(0, 1)], h[(1, 0)], h[(1, 1)]), (802.0, -400.0, -400.0, 200.0));
//! let (_, _, hv) = hvp(rosenbrock, &[1.0, 1.0], &[1.0, 0.0]);
//! assert_eq!(hv, vec![802.0, -400.0]);
//! ```
//!
//! # How nesting computes second derivatives
//!
//! A `Dual<Dual<T, 1>, 1>` is `a + b ε₁ + (c + d ε₁) ε₂` with ε₁² = ε₂² = 0 but ε₁ε₂ ≠ 0: the inner
//! type carries perturbation ε₁, the outer type ε₂. Seeding x + ε₁ + ε₂ and applying Taylor's
//! theorem twice,
//!
//! ```text
//! f(x + ε₁ + ε₂) = f(x) + f′(x) ε₁ + f′(x) ε₂ + f″(x) ε₁ε₂
//!                  └ y.re.re ┘ └ y.re.eps[0] ┘ └ y.eps[0].re ┘ └ y.eps[0].eps[0] ┘
//! ```
//!
//! With vector tangents, inputs seeded x_i + ε_a (inner lane a) and x_j + ε′_b (outer lane b) give
//! ∂²f/∂x_j∂x_i as `y.eps[b].eps[a]`; that is what [`hessian_with`] does, chunk pair by chunk pair.
//!
//! **Cost of deeper nesting.** k levels of `Dual<_, 1>` carry 2ᵏ numbers per value, one for each
//! subset of {ε₁, …, εₖ}, but a function of one variable has only k + 1 distinct Taylor
//! coefficients: every product of j distinct ε's holds the same f⁽ʲ⁾. A product costs 3ᵏ scalar
//! multiplications (each level multiplies three pairs of the level below), against (k+1)(k+2)/2
//! for a truncated Taylor series. For k = 2, 3, 4 that is 4, 8, 16 numbers and 9, 27, 81
//! multiplications per product, against 3, 4, 5 numbers and 6, 10, 15 multiplications. The
//! redundancy is the price of reusing the first-order type unchanged; up to the fourth order it is
//! small in absolute terms. (A Taylor-series type would be the tool for orders well beyond 4.)
//!
//! # Nesting derivative calls by hand, and perturbation confusion
//!
//! The drivers nest: a closure given to one driver may call another. Each call differentiates with
//! respect to its own variable, which must live on **its own level**, one dual level outside every
//! value that the closure captures from an enclosing call. The rule:
//!
//! * the inner call's point has the type of the outer level's values (`Dual<f64, 1>` below), so its
//!   variable is one level up (`Dual<Dual<f64, 1>, 1>`);
//! * a captured outer value `x` enters the inner computation as [`Dual::constant`]`(x)`: the inner
//!   perturbation does not act on it, while its own (outer) tangent rides along in the parts.
//!   (`inner * x` and `inner + x` with the outer value on the right do the same thing: a dual
//!   operated with a value of its part type treats it as a constant.)
//!
//! d/dx [x · d/dy (x + y)|_{y=1}] at x = 1 is 1 (the inner derivative is 1 whatever x is):
//!
//! ```
//! use nilpotent::{derivative, Dual};
//!
//! let (_, d) = derivative(
//!     |x: Dual<f64, 1>| {
//!         // inner level: the variable y is Dual<Dual<f64, 1>, 1>, x is lifted as a constant
//!         let (_, dy) = derivative(
//!             |y: Dual<Dual<f64, 1>, 1>| Dual::constant(x) + y,
//!             Dual::constant(1.0), // the point y = 1, a value of the outer level's type
//!         );
//!         x * dy // dy is a Dual<f64, 1>: its tangent is d/dx of the inner derivative (here 0)
//!     },
//!     1.0,
//! );
//! assert_eq!(d, 1.0);
//! ```
//!
//! d/dx [x · d/dy (x·y)|_{y=1}] at x = 4 is d/dx (x²) = 8:
//!
//! ```
//! use nilpotent::{derivative, Dual};
//!
//! let (_, d) = derivative(
//!     |x: Dual<f64, 1>| {
//!         let (_, dy) = derivative(
//!             |y: Dual<Dual<f64, 1>, 1>| Dual::constant(x) * y,
//!             Dual::constant(1.0),
//!         );
//!         x * dy
//!     },
//!     4.0,
//! );
//! assert_eq!(d, 8.0);
//! ```
//!
//! The Jacobian with respect to x of ∇_y(yᵀAx) = Ax is A (vector drivers nest the same way, here
//! with 8-lane chunks at both levels):
//!
//! ```
//! use nilpotent::{gradient, jacobian, Dual};
//!
//! let a = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
//! let (_, jac) = jacobian(
//!     |x: &[Dual<f64, 8>]| {
//!         let y0 = [Dual::constant(0.5), Dual::constant(-1.0)];
//!         let (_, grad_y) = gradient(
//!             |y: &[Dual<Dual<f64, 8>, 8>]| {
//!                 let mut s = Dual::constant(Dual::constant(0.0));
//!                 for i in 0..2 {
//!                     for j in 0..3 {
//!                         s += y[i] * Dual::constant(x[j] * a[i][j]);
//!                     }
//!                 }
//!                 s
//!             },
//!             &y0,
//!         );
//!         grad_y
//!     },
//!     &[1.0, 2.0, 3.0],
//! );
//! for i in 0..2 {
//!     for j in 0..3 {
//!         assert_eq!(jac[(i, j)], a[i][j]);
//!     }
//! }
//! ```
//!
//! ## What the types catch
//!
//! Because each level is its own type, using an outer value where an inner one is needed without
//! lifting it fails to compile: there is no `Dual<f64, 1> + Dual<Dual<f64, 1>, 1>`, and a slice
//! cannot mix the levels.
//!
//! ```compile_fail,E0277
//! use nilpotent::{derivative, Dual};
//! let _ = derivative(
//!     |x: Dual<f64, 1>| {
//!         // error: cannot add `Dual<Dual<f64, 1>, 1>` to `Dual<f64, 1>` (lift x first)
//!         let (_, dy) = derivative(|y: Dual<Dual<f64, 1>, 1>| x + y, Dual::constant(1.0));
//!         x * dy
//!     },
//!     1.0,
//! );
//! ```
//!
//! ```compile_fail,E0308
//! use nilpotent::{gradient, Dual};
//! use num_traits::Float;
//! fn g<T: Float>(v: &[T]) -> T { v[0] * v[1] }
//! let _ = gradient(
//!     |x: &[Dual<f64, 8>]| {
//!         // error: mismatched types in the array `[x[0], y[0]]` (write `Dual::constant(x[0])`)
//!         let (_, gy) = gradient(|y: &[Dual<Dual<f64, 8>, 8>]| g(&[x[0], y[0]]), &[Dual::constant(1.0)]);
//!         gy[0]
//!     },
//!     &[1.0],
//! );
//! ```
//!
//! ## What the types do not catch
//!
//! If the inner call is made **at the outer level's type** instead of one level up (its point a
//! plain `f64` while the captured `x` is a `Dual<f64, 1>`), the inner variable and the captured
//! value have the same type `Dual<f64, 1>` and share tangent lane 0. The program compiles and the
//! inner derivative silently includes the outer perturbation:
//!
//! ```
//! use nilpotent::{derivative, Dual};
//!
//! // WRONG: the inner point is 1.0 (an f64), so y is a Dual<f64, 1>, the same level as x.
//! let (_, confused) = derivative(
//!     |x: Dual<f64, 1>| {
//!         let (_, dy) = derivative(|y: Dual<f64, 1>| x + y, 1.0); // dy = 2, not 1
//!         x * dy
//!     },
//!     1.0,
//! );
//! assert_eq!(confused, 2.0); // perturbation confusion: the right answer is 1
//! ```
//!
//! Making this a compile error needs a fresh, unnameable tag per driver call, which Rust can only
//! express as a higher-ranked lifetime brand (`F: for<'id> Fn(Dual<'id, T>) -> Dual<'id, T>`, with
//! captured values of another brand refusing to mix). A lifetime-branded type is not `'static`, so
//! it could not be a `nalgebra` matrix element (`Scalar: 'static`) inside a differentiated
//! function; this crate keeps `Dual: 'static` and relies on the lifting rule above.

use nalgebra::{DMatrix, Dim, Matrix, Scalar, StorageMut};
use num_traits::Float;

use crate::base::driver::check_len;
use crate::forward::chunked::{check_chunk, check_direction};
use crate::forward::{Chunk, DEFAULT_CHUNK, Dual, Forward};

/// The chunk width [`hessian`] and [`hvp`] use: [`DEFAULT_CHUNK`].
///
/// A pass of [`hessian_with`] on `Dual<Dual<T, N>, N>` carries (N + 1)² numbers per value and
/// computes an N × N block; [`hessian`] makes c(c+1)/2 passes with c = ⌈n/N⌉. The total work
/// scales like n² · (2N+1)²/N² (nearly independent of N for N ≥ 4), so a wide chunk mostly saves
/// per-pass overhead; for small n a chunk of at least n makes it a single pass. (A rough release
/// measurement with n = 32 and 64 found 8 as fast as or faster than 2, 4 and 16.)
pub const DEFAULT_HESSIAN_CHUNK: usize = DEFAULT_CHUNK;

/// One more nesting level for a seeded value: `s + 1·ε` with a fresh perturbation ε (the tangent of
/// the new level is the constant 1 of the level below).
#[inline]
fn perturb<D: Float>(s: D) -> Dual<D, 1> {
    Dual::new(s, [D::one()])
}

/// The value, first and second derivatives `(f(x), f′(x), f″(x))` of a scalar function, in one
/// pass on `Dual<Dual<T, 1>, 1>` (4 numbers per value, see the [module docs](self) for the cost).
///
/// ```
/// use nilpotent::second_derivative;
/// use num_traits::Float;
/// fn f<T: Float>(x: T) -> T { x.powi(3) }
/// assert_eq!(second_derivative(f, 2.0), (8.0, 12.0, 12.0));
/// // closures work too; the parameter type is inferred
/// let (_, _, d2) = second_derivative(|x| x.sin(), 0.5f64);
/// assert_eq!(d2, -0.5f64.sin());
/// ```
#[inline]
pub fn second_derivative<T, F>(f: F, x: T) -> (T, T, T)
where
    T: Float,
    F: Fn(Dual<Dual<T, 1>, 1>) -> Dual<Dual<T, 1>, 1>,
{
    let y = f(perturb(Dual::variable(x, 0)));
    (y.re.re, y.re.eps[0], y.eps[0].eps[0])
}

/// The value and the first three derivatives `(f, f′, f″, f‴)` at `x`, in one pass on three nested
/// levels `Dual<Dual<Dual<T, 1>, 1>, 1>` (8 numbers per value for 4 distinct coefficients, see the
/// [module docs](self)).
///
/// ```
/// use nilpotent::third_derivative;
/// use num_traits::Float;
/// fn f<T: Float>(x: T) -> T { x.powi(3) }
/// assert_eq!(third_derivative(f, 2.0), (8.0, 12.0, 12.0, 6.0));
/// ```
#[inline]
pub fn third_derivative<T, F>(f: F, x: T) -> (T, T, T, T)
where
    T: Float,
    F: Fn(Dual<Dual<Dual<T, 1>, 1>, 1>) -> Dual<Dual<Dual<T, 1>, 1>, 1>,
{
    let y = f(perturb(perturb(Dual::variable(x, 0))));
    (
        y.re.re.re,
        y.re.re.eps[0],
        y.re.eps[0].eps[0],
        y.eps[0].eps[0].eps[0],
    )
}

/// The value and the first four derivatives `(f, f′, f″, f‴, f⁗)` at `x`, in one pass on four nested
/// levels (16 numbers per value for 5 distinct coefficients, see the [module docs](self)).
///
/// ```
/// use nilpotent::fourth_derivative;
/// use num_traits::Float;
/// fn f<T: Float>(x: T) -> T { x.powi(4) }
/// assert_eq!(fourth_derivative(f, 1.0), (1.0, 4.0, 12.0, 24.0, 24.0));
/// ```
#[inline]
#[allow(clippy::type_complexity)]
pub fn fourth_derivative<T, F>(f: F, x: T) -> (T, T, T, T, T)
where
    T: Float,
    F: Fn(Dual<Dual<Dual<Dual<T, 1>, 1>, 1>, 1>) -> Dual<Dual<Dual<Dual<T, 1>, 1>, 1>, 1>,
{
    let y = f(perturb(perturb(perturb(Dual::variable(x, 0)))));
    (
        y.re.re.re.re,
        y.re.re.re.eps[0],
        y.re.re.eps[0].eps[0],
        y.re.eps[0].eps[0].eps[0],
        y.eps[0].eps[0].eps[0].eps[0],
    )
}

/// The value, gradient and Hessian (`h[(i, j)] = ∂²f/∂xᵢ∂xⱼ`, an n × n `DMatrix`) of
/// `f: ℝⁿ → ℝ`, with chunks of [`DEFAULT_HESSIAN_CHUNK`] inputs; see [`hessian_with`].
///
/// For n = 32 and the default chunk of 8 this makes **10** evaluations of `f` on
/// `Dual<Dual<T, 8>, 8>`.
///
/// ```
/// use nilpotent::hessian;
/// use num_traits::Float;
/// fn f<T: Float>(x: &[T]) -> T { x[0] * x[0] * x[1] + x[1].exp() }
/// let (value, grad, h) = hessian(f, &[3.0, 0.0]);
/// assert_eq!(value, 1.0);
/// assert_eq!(grad, vec![0.0, 10.0]);
/// assert_eq!((h[(0, 0)], h[(0, 1)], h[(1, 0)], h[(1, 1)]), (0.0, 6.0, 6.0, 1.0));
/// ```
pub fn hessian<T, F>(f: F, x: &[T]) -> (T, Vec<T>, DMatrix<T>)
where
    T: Float + Scalar,
    F: Fn(
        &[Dual<Dual<T, DEFAULT_HESSIAN_CHUNK>, DEFAULT_HESSIAN_CHUNK>],
    ) -> Dual<Dual<T, DEFAULT_HESSIAN_CHUNK>, DEFAULT_HESSIAN_CHUNK>,
{
    hessian_with(f, x, Chunk::<DEFAULT_HESSIAN_CHUNK>)
}

/// [`hessian`] with a chosen chunk width `N`: the value, gradient and (exactly symmetric) Hessian,
/// from c(c+1)/2 evaluations of `f` on `Dual<Dual<T, N>, N>`, c = ⌈n/N⌉.
///
/// The inputs are split into c chunks of N. For each pair of chunks I ≤ J, one evaluation seeds the
/// inner tangents with the unit vectors of chunk I and the outer tangents with those of chunk J,
/// and reads the block ∂²f/∂x_J∂x_I from the ε_I·ε′_J parts. Pairs J < I are not evaluated: their
/// blocks are the mirror images. In a diagonal pair (I = J) the entries below the diagonal are not
/// read either, so `h[(i, j)]` and `h[(j, i)]` are the same number: H is symmetric exactly, not up
/// to rounding. The value and the gradient come from the real parts of the diagonal passes, equal
/// to what [`gradient_with`](crate::gradient_with) with the same `N` returns — bit for bit, except
/// through `rem_euclid`: its value is `x % y`, plus `|y|` where that is negative, so on the inner
/// level its tangent is rounded twice (`(x′ − trunc(x/y)·y′) ± y′`) where the first-order rule
/// rounds once (`x′ − q·y′`), and the gradient may differ in the last bits (3 ulps seen).
///
/// | n | N | evaluations |
/// |---|---|---|
/// | 32 | 8 | 10 (4 chunks: 4 diagonal + 6 off-diagonal pairs, against 16 for all pairs) |
/// | 32 | 4 | 36 |
/// | 13 | 6 | 6 |
/// | n ≤ N | N | 1 |
///
/// ```
/// use nilpotent::{hessian_with, Chunk};
/// use num_traits::Float;
/// fn sum_cubes<T: Float>(x: &[T]) -> T { x.iter().fold(T::zero(), |s, &v| s + v * v * v) }
/// let x: Vec<f64> = (0..13).map(|i| i as f64).collect();
/// let (_, _, h) = hessian_with(sum_cubes, &x, Chunk::<6>); // 3 chunks, 6 evaluations
/// assert_eq!(h[(12, 12)], 72.0);
/// assert_eq!(h[(3, 12)], 0.0);
/// ```
///
/// # Panics
/// If `N` is 0.
pub fn hessian_with<T, F, const N: usize>(
    f: F,
    x: &[T],
    _chunk: Chunk<N>,
) -> (T, Vec<T>, DMatrix<T>)
where
    T: Float + Scalar,
    F: Fn(&[Dual<Dual<T, N>, N>]) -> Dual<Dual<T, N>, N>,
{
    let n = x.len();
    let mut grad = vec![T::zero(); n];
    let mut h = DMatrix::zeros(n, n);
    let value =
        Forward::with_chunk(Chunk::<N>).hessian_into_named("hessian_with", f, x, &mut grad, &mut h);
    (value, grad, h)
}

/// The value, gradient and Hessian-vector product `∇²f(x)·v` of `f: ℝⁿ → ℝ`, in ⌈n/8⌉ passes
/// ([`DEFAULT_HESSIAN_CHUNK`]); see [`hvp_with`].
///
/// This is the forward-over-forward `hvp`: its cost grows with n (like a [`gradient`](crate::gradient)
/// on twice as many lanes), but it never forms H. The Hessian-vector product whose cost does not
/// depend on n — one pass, forward over reverse — is the reverse-mode `reverse::hvp`, which comes
/// with the tape.
///
/// ```
/// use nilpotent::hvp;
/// use num_traits::Float;
/// fn f<T: Float>(x: &[T]) -> T { x[0] * x[0] * x[1] + x[1].exp() }
/// // H = [[2x₁, 2x₀], [2x₀, eˣ¹]] = [[0, 6], [6, 1]] at (3, 0)
/// let (value, grad, hv) = hvp(f, &[3.0, 0.0], &[1.0, 2.0]);
/// assert_eq!((value, grad, hv), (1.0, vec![0.0, 10.0], vec![12.0, 8.0]));
/// ```
///
/// # Panics
/// If `v` and `x` have different lengths.
pub fn hvp<T, F>(f: F, x: &[T], v: &[T]) -> (T, Vec<T>, Vec<T>)
where
    T: Float,
    F: Fn(&[Dual<Dual<T, DEFAULT_HESSIAN_CHUNK>, 1>]) -> Dual<Dual<T, DEFAULT_HESSIAN_CHUNK>, 1>,
{
    hvp_with(f, x, v, Chunk::<DEFAULT_HESSIAN_CHUNK>)
}

/// [`hvp`] with a chosen chunk width `N`: ⌈n/N⌉ passes on `Dual<Dual<T, N>, 1>`.
///
/// Every input carries the outer tangent vᵢ (one lane, the same in every pass); the inner tangents
/// are the unit vectors of a chunk of N inputs. The result's parts are then
///
/// ```text
/// y.re.re = f,   y.re.eps[a] = ∂f/∂x_{s+a},   y.eps[0].re = ∇f·v,   y.eps[0].eps[a] = (H·v)_{s+a}
/// ```
///
/// so each pass yields N entries of the gradient and N entries of H·v, with 2(N + 1) numbers per
/// value.
///
/// ```
/// use nilpotent::{hvp_with, Chunk};
/// use num_traits::Float;
/// fn sum_cubes<T: Float>(x: &[T]) -> T { x.iter().fold(T::zero(), |s, &v| s + v * v * v) }
/// let x = [1.0, 2.0, 3.0];
/// let (_, _, hv) = hvp_with(sum_cubes, &x, &[1.0, 1.0, 1.0], Chunk::<2>); // 2 passes
/// assert_eq!(hv, vec![6.0, 12.0, 18.0]); // H = diag(6xᵢ)
/// ```
///
/// # Panics
/// If `v` and `x` have different lengths, or if `N` is 0.
pub fn hvp_with<T, F, const N: usize>(
    f: F,
    x: &[T],
    v: &[T],
    _chunk: Chunk<N>,
) -> (T, Vec<T>, Vec<T>)
where
    T: Float,
    F: Fn(&[Dual<Dual<T, N>, 1>]) -> Dual<Dual<T, N>, 1>,
{
    // the message says `hvp` (the name users know) for both hvp and hvp_with
    check_direction("hvp", "v", v.len(), x.len());
    let n = x.len();
    let mut grad = vec![T::zero(); n];
    let mut hv = vec![T::zero(); n];
    let value =
        Forward::with_chunk(Chunk::<N>).hvp_into_named("hvp_with", f, x, v, &mut grad, &mut hv);
    (value, grad, hv)
}

/// Second order on a [`Forward`] of dual numbers: `Forward<Dual<T, N>, N>` keeps the inputs of
/// [`hessian_with`] (`Dual<Dual<T, N>, N>`) and of [`hvp_with`] (`Dual<Dual<T, N>, 1>`) between
/// calls, as a [`Tape`](crate::reverse::Tape) of dual numbers does for reverse mode.
impl<T: Float + Scalar, const N: usize> Forward<Dual<T, N>, N> {
    /// The value, gradient and Hessian of `f: ℝⁿ → ℝ` by forward over forward, as
    /// [`hessian_with`] with chunk width `N`: c(c+1)/2 passes on `Dual<Dual<T, N>, N>`,
    /// c = ⌈n/N⌉, H exactly symmetric. The results are new; see [`Forward::hessian_into`].
    ///
    /// ```
    /// use nilpotent::{Dual, forward::Forward};
    /// use num_traits::Float;
    /// fn f<T: Float>(x: &[T]) -> T { x[0] * x[0] * x[1] + x[1].exp() }
    /// let mut fwd: Forward<Dual<f64, 8>> = Forward::new(); // chunks of 8 on both levels
    /// let (value, grad, h) = fwd.hessian(f, &[3.0, 0.0]);
    /// assert_eq!((value, grad.clone(), h.clone()), nilpotent::hessian(f, &[3.0, 0.0]));
    /// assert_eq!((h[(0, 0)], h[(0, 1)], h[(1, 1)]), (0.0, 6.0, 1.0));
    /// ```
    ///
    /// # Panics
    /// If `N` is 0.
    pub fn hessian<F>(&mut self, f: F, x: &[T]) -> (T, Vec<T>, DMatrix<T>)
    where
        F: Fn(&[Dual<Dual<T, N>, N>]) -> Dual<Dual<T, N>, N>,
    {
        let n = x.len();
        let mut grad = vec![T::zero(); n];
        let mut h = DMatrix::zeros(n, n);
        let value = self.hessian_into_named("Forward::hessian", f, x, &mut grad, &mut h);
        (value, grad, h)
    }

    /// [`Forward::hessian`] writing the gradient into `grad` (one entry per input) and the
    /// Hessian into `hess` (n × n, any nalgebra matrix or view with mutable storage; every entry
    /// is written); returns the value. Allocates nothing once the object has seen an input this
    /// long.
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
        F: Fn(&[Dual<Dual<T, N>, N>]) -> Dual<Dual<T, N>, N>,
        R: Dim,
        C: Dim,
        S: StorageMut<T, R, C>,
    {
        self.hessian_into_named("Forward::hessian_into", f, x, grad, hess)
    }

    /// [`Forward::hessian_into`], its panics naming `driver`.
    #[track_caller]
    pub(super) fn hessian_into_named<F, R, C, S>(
        &mut self,
        driver: &str,
        f: F,
        x: &[T],
        grad: &mut [T],
        h: &mut Matrix<T, R, C, S>,
    ) -> T
    where
        F: Fn(&[Dual<Dual<T, N>, N>]) -> Dual<Dual<T, N>, N>,
        R: Dim,
        C: Dim,
        S: StorageMut<T, R, C>,
    {
        check_chunk::<N>(driver);
        let n = x.len();
        check_len(driver, "grad", grad.len(), n, "one per input");
        if h.shape() != (n, n) {
            panic!(
                "{driver}: `hess` must be {n} × {n} (inputs × inputs) but is {} × {}",
                h.nrows(),
                h.ncols()
            );
        }
        let xd = &mut self.seeds;
        xd.clear();
        xd.extend(x.iter().map(|&xi| Dual::constant(Dual::constant(xi))));
        if n == 0 {
            return f(xd).re.re;
        }
        let mut value = T::zero();
        for start_i in (0..n).step_by(N) {
            let end_i = (start_i + N).min(n);
            // inner tangents: unit vectors of chunk I
            for (a, d) in xd[start_i..end_i].iter_mut().enumerate() {
                d.re.eps[a] = T::one();
            }
            for start_j in (start_i..n).step_by(N) {
                let end_j = (start_j + N).min(n);
                // outer tangents: unit vectors of chunk J (constants of the inner level)
                for (b, d) in xd[start_j..end_j].iter_mut().enumerate() {
                    d.eps[b] = Dual::constant(T::one());
                }
                let y = f(xd);
                for d in xd[start_j..end_j].iter_mut() {
                    d.eps = [Dual::constant(T::zero()); N];
                }
                if start_j == start_i {
                    if start_i == 0 {
                        value = y.re.re;
                    }
                    grad[start_i..end_i].copy_from_slice(&y.re.eps[..end_i - start_i]);
                }
                // y.eps[b].eps[a] = ∂²f/∂x_{start_j+b}∂x_{start_i+a}; keep i ≤ j only and mirror it
                for (b, outer) in y.eps[..end_j - start_j].iter().enumerate() {
                    let j = start_j + b;
                    for (a, &hij) in outer.eps[..end_i - start_i].iter().enumerate() {
                        let i = start_i + a;
                        if i <= j {
                            h[(i, j)] = hij;
                            h[(j, i)] = hij;
                        }
                    }
                }
            }
            for d in xd[start_i..end_i].iter_mut() {
                d.re.eps = [T::zero(); N];
            }
        }
        value
    }
}

impl<T: Float, const N: usize> Forward<Dual<T, N>, N> {
    /// The value, gradient and Hessian-vector product `∇²f(x)·v` of `f: ℝⁿ → ℝ`, as
    /// [`hvp_with`] with chunk width `N`: ⌈n/N⌉ passes on `Dual<Dual<T, N>, 1>`. The results are
    /// new; see [`Forward::hvp_into`].
    ///
    /// ```
    /// use nilpotent::{Dual, forward::Forward};
    /// use num_traits::Float;
    /// fn f<T: Float>(x: &[T]) -> T { x[0] * x[0] * x[1] + x[1].exp() }
    /// let mut fwd: Forward<Dual<f64, 8>> = Forward::new();
    /// let (value, grad, hv) = fwd.hvp(f, &[3.0, 0.0], &[1.0, 2.0]);
    /// assert_eq!((value, grad, hv), (1.0, vec![0.0, 10.0], vec![12.0, 8.0]));
    /// ```
    ///
    /// # Panics
    /// If `v` and `x` have different lengths, or if `N` is 0.
    pub fn hvp<F>(&mut self, f: F, x: &[T], v: &[T]) -> (T, Vec<T>, Vec<T>)
    where
        F: Fn(&[Dual<Dual<T, N>, 1>]) -> Dual<Dual<T, N>, 1>,
    {
        let n = x.len();
        let mut grad = vec![T::zero(); n];
        let mut hv = vec![T::zero(); n];
        let value = self.hvp_into_named("Forward::hvp", f, x, v, &mut grad, &mut hv);
        (value, grad, hv)
    }

    /// [`Forward::hvp`] writing the gradient into `grad` and `H·v` into `hv` (one entry per
    /// input each); returns the value. Allocates nothing once the object has seen an input this
    /// long.
    ///
    /// # Panics
    /// If `v`, `grad` or `hv` does not have one entry per input, or if `N` is 0 (before `f` is
    /// called).
    pub fn hvp_into<F>(&mut self, f: F, x: &[T], v: &[T], grad: &mut [T], hv: &mut [T]) -> T
    where
        F: Fn(&[Dual<Dual<T, N>, 1>]) -> Dual<Dual<T, N>, 1>,
    {
        self.hvp_into_named("Forward::hvp_into", f, x, v, grad, hv)
    }

    /// [`Forward::hvp_into`], its panics naming `driver`.
    #[track_caller]
    pub(super) fn hvp_into_named<F>(
        &mut self,
        driver: &str,
        f: F,
        x: &[T],
        v: &[T],
        grad: &mut [T],
        hv: &mut [T],
    ) -> T
    where
        F: Fn(&[Dual<Dual<T, N>, 1>]) -> Dual<Dual<T, N>, 1>,
    {
        let n = x.len();
        check_direction(driver, "v", v.len(), n);
        check_chunk::<N>(driver);
        check_len(driver, "grad", grad.len(), n, "one per input");
        check_len(driver, "hv", hv.len(), n, "one per input");
        let xd = &mut self.directions;
        xd.clear();
        xd.extend(
            x.iter()
                .zip(v)
                .map(|(&xi, &vi)| Dual::new(Dual::constant(xi), [Dual::constant(vi)])),
        );
        if n == 0 {
            return f(xd).re.re;
        }
        let mut value = T::zero();
        for start in (0..n).step_by(N) {
            let end = (start + N).min(n);
            for (a, d) in xd[start..end].iter_mut().enumerate() {
                d.re.eps[a] = T::one();
            }
            let y = f(xd);
            for d in xd[start..end].iter_mut() {
                d.re.eps = [T::zero(); N];
            }
            if start == 0 {
                value = y.re.re;
            }
            grad[start..end].copy_from_slice(&y.re.eps[..end - start]);
            hv[start..end].copy_from_slice(&y.eps[0].eps[..end - start]);
        }
        value
    }
}
