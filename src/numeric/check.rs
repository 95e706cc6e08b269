//! Checking hand-written derivatives against forward-mode AD (the reference) and finite
//! differences (reported for information).

use core::fmt;

use nalgebra::{DMatrix, Scalar};
use num_traits::Float;

use super::FiniteDiff;
use crate::forward::Dual;
use crate::forward::{Chunk, gradient_with, jacobian_with};

/// Tolerances and finite-difference method of a derivative check; [`check_gradient`] and friends
/// use [`Checker::default`].
///
/// Entry k of a hand-written derivative `u` is compared with the AD value `a` of the same entry.
/// With `s` the largest |AD entry| in the same row (the whole gradient, or row i of a Jacobian):
///
/// ```text
/// relative error = |u − a| / max(|a|, floor·s)
/// passes        ⟺ |u − a| ≤ rtol·max(|a|, floor·s) + atol
/// ```
///
/// The floor keeps entries that are zero, or tiny next to the largest entry of their row, from
/// demanding an impossible relative accuracy: they are compared with `floor·s` instead. At an exact
/// stationary point (`s = 0`) only `atol` tolerates a hand-written value that is not exactly 0.
///
/// Defaults: `rtol = max(1e-6, √ε)` (1e-6 for f64, ≈ 3.5e-4 for f32: a correct hand-written
/// formula agrees with AD to a few ulps times the conditioning of the formula, far below 1e-6 in
/// f64, while a wrong formula is off by O(1)); `floor = 1e-3`; `atol = 0`; finite differences by
/// [`FiniteDiff::default`] (Richardson, O(h⁶)).
///
/// ```
/// use nilpotent::numeric::Checker;
/// use num_traits::Float;
/// fn f<T: Float>(x: &[T]) -> T { x[0] * x[1] }
/// let strict = Checker::default().with_rtol(1e-12);
/// assert!(strict.gradient(f, &[2.0, 3.0], &[3.0, 2.0]).passed());
/// assert!(!strict.gradient(f, &[2.0, 3.0], &[3.0, 2.0 + 1e-9]).passed());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Checker<T> {
    /// The relative tolerance of the hand-written value against AD.
    pub rtol: T,
    /// Entries are compared relative to at least `floor` times the largest |AD entry| of their row.
    pub floor: T,
    /// An absolute tolerance added to the relative one (0 by default).
    pub atol: T,
    /// The finite-difference method whose values are reported next to AD.
    pub fd: FiniteDiff<T>,
}

impl<T: Float> Default for Checker<T> {
    fn default() -> Self {
        let rtol = T::from(1e-6)
            .expect("1e-6 is representable")
            .max(T::epsilon().sqrt());
        Checker {
            rtol,
            floor: T::from(1e-3).expect("1e-3 is representable"),
            atol: T::zero(),
            fd: FiniteDiff::default(),
        }
    }
}

impl<T: Float> Checker<T> {
    /// The same checker with relative tolerance `rtol`.
    pub fn with_rtol(self, rtol: T) -> Self {
        Checker { rtol, ..self }
    }

    /// The same checker with floor `floor` (a fraction of the largest |AD entry| of a row).
    pub fn with_floor(self, floor: T) -> Self {
        Checker { floor, ..self }
    }

    /// The same checker with absolute tolerance `atol`.
    pub fn with_atol(self, atol: T) -> Self {
        Checker { atol, ..self }
    }

    /// The same checker with the finite-difference method `fd`.
    pub fn with_fd(self, fd: FiniteDiff<T>) -> Self {
        Checker { fd, ..self }
    }

    /// Checks a hand-written derivative `user` of `f: ℝ → ℝ` at `x`. See [`check_derivative`].
    pub fn derivative<F>(&self, f: F, x: T, user: T) -> CheckReport<T>
    where
        F: Fn(Dual<T, 1>) -> Dual<T, 1>,
    {
        let (_, ad) = crate::forward::derivative(&f, x);
        let fd = self.fd.derivative(|t| f(Dual::constant(t)).re, x);
        self.report(CheckKind::Derivative, vec![x], 1, 1, &[user], &[ad], &[fd])
    }

    /// Checks a hand-written gradient `user` of `f: ℝⁿ → ℝ` at `x`. See [`check_gradient`].
    ///
    /// # Panics
    /// If `user` and `x` have different lengths.
    pub fn gradient<F>(&self, f: F, x: &[T], user: &[T]) -> CheckReport<T>
    where
        F: Fn(&[Dual<T, 1>]) -> Dual<T, 1>,
    {
        assert_eq!(
            user.len(),
            x.len(),
            "check_gradient: the hand-written gradient has {}; expected {}, one per entry of x",
            crate::base::text::count(user.len(), "entry", "entries"),
            x.len()
        );
        let (_, ad) = gradient_with(&f, x, Chunk::<1>);
        let fd = self.fd.gradient(|xs| f(&constants(xs)).re, x);
        self.report(CheckKind::Gradient, x.to_vec(), 1, x.len(), user, &ad, &fd)
    }

    /// Checks a hand-written Jacobian `user` (m × n, `user[(i, j)] = ∂fᵢ/∂xⱼ`) of
    /// `f: ℝⁿ → ℝᵐ` at `x`. See [`check_jacobian`].
    ///
    /// # Panics
    /// If `user` is not m × n.
    pub fn jacobian<F>(&self, f: F, x: &[T], user: &DMatrix<T>) -> CheckReport<T>
    where
        T: Scalar,
        F: Fn(&[Dual<T, 1>]) -> Vec<Dual<T, 1>>,
    {
        let (values, ad) = jacobian_with(&f, x, Chunk::<1>);
        let (m, n) = (values.len(), x.len());
        assert!(
            user.nrows() == m && user.ncols() == n,
            "check_jacobian: the hand-written Jacobian is {}×{}; expected {m}×{n}, as f has {} and x \
             has {}",
            user.nrows(),
            user.ncols(),
            crate::base::text::count(m, "output", "outputs"),
            crate::base::text::count(n, "entry", "entries")
        );
        let fd = self.fd.jacobian(
            |xs| f(&constants(xs)).into_iter().map(|y| y.re).collect(),
            x,
        );
        let row_major = |a: &DMatrix<T>| -> Vec<T> {
            (0..m)
                .flat_map(|i| (0..n).map(move |j| (i, j)))
                .map(|ij| a[ij])
                .collect()
        };
        self.report(
            CheckKind::Jacobian,
            x.to_vec(),
            m,
            n,
            &row_major(user),
            &row_major(&ad),
            &row_major(&fd),
        )
    }

    /// Builds the report from row-major `rows × cols` arrays.
    #[allow(clippy::too_many_arguments)]
    fn report(
        &self,
        kind: CheckKind,
        x: Vec<T>,
        rows: usize,
        cols: usize,
        user: &[T],
        ad: &[T],
        fd: &[T],
    ) -> CheckReport<T> {
        let mut entries = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            let row = i * cols..(i + 1) * cols;
            let s = ad[row.clone()]
                .iter()
                .fold(T::zero(), |m, a| m.max(a.abs()));
            for k in row {
                let scale = ad[k].abs().max(self.floor * s);
                let diff = (user[k] - ad[k]).abs();
                entries.push(CheckEntry {
                    row: i,
                    col: k - i * cols,
                    user: user[k],
                    ad: ad[k],
                    fd: fd[k],
                    rel_error: ratio(diff, scale),
                    fd_rel_error: ratio((fd[k] - ad[k]).abs(), scale),
                    passed: diff <= self.rtol * scale + self.atol,
                });
            }
        }
        CheckReport {
            kind,
            x,
            entries,
            checker: *self,
        }
    }
}

/// `d / s`, with 0/0 = 0 (exact agreement with a zero reference) and d/0 = ∞.
fn ratio<T: Float>(d: T, s: T) -> T {
    if d.is_zero() {
        T::zero()
    } else if s.is_zero() {
        T::infinity()
    } else {
        d / s
    }
}

/// The inputs as constant dual numbers: evaluating on them gives the `T` values bit for bit.
fn constants<T: Float>(xs: &[T]) -> Vec<Dual<T, 1>> {
    xs.iter().map(|&v| Dual::constant(v)).collect()
}

/// Checks a hand-written derivative `user` ≈ f′(x) of a scalar function against forward-mode AD,
/// with [`Checker::default`] tolerances.
///
/// ```
/// use nilpotent::numeric::check_derivative;
/// use num_traits::Float;
/// fn f<T: Float>(x: T) -> T { x.sin() * x }
/// let x = 0.7;
/// assert!(check_derivative(f, x, x.cos() * x + x.sin()).passed());
/// assert!(!check_derivative(f, x, x.cos() * x).passed());
/// ```
pub fn check_derivative<T, F>(f: F, x: T, user: T) -> CheckReport<T>
where
    T: Float,
    F: Fn(Dual<T, 1>) -> Dual<T, 1>,
{
    Checker::default().derivative(f, x, user)
}

/// Checks a hand-written gradient `user` ≈ ∇f(x) against forward-mode AD, with
/// [`Checker::default`] tolerances (relative 1e-6 in f64), and reports finite differences too.
///
/// **Passing the function.** Write `f` once over any `Float` and pass it by name:
/// `check_gradient(f, &x, &g)`. The checker evaluates it only on `Dual<T, 1>`: with a seeded
/// tangent for AD, and on constant dual numbers for finite differences, whose real parts are the
/// `T` results bit for bit (a convention of [`Dual`]). So one generic function is enough, and a
/// closure `|x| f(x, p)` works as well. (A function written only for `f64` cannot be checked
/// against AD; use [`FiniteDiff`] for it.)
///
/// The cost is n passes on `Dual<T, 1>` for AD and 6n for finite differences (Richardson), each
/// about twice the cost of `f`.
///
/// ```
/// use nilpotent::numeric::check_gradient;
/// use num_traits::Float;
///
/// fn f<T: Float>(x: &[T]) -> T { x[0].exp() * x[1] * x[1] }
/// // hand-written gradient, with a bug in the second entry
/// fn grad(x: &[f64]) -> Vec<f64> { vec![x[0].exp() * x[1] * x[1], x[0].exp() * x[1]] }
///
/// let x = [0.5, 2.0];
/// let report = check_gradient(f, &x, &grad(&x));
/// assert!(!report.passed());
/// assert_eq!(report.failures().map(|e| e.col).collect::<Vec<_>>(), vec![1]);
/// println!("{report}"); // a table naming ∂f/∂x[1], its three values and the relative error
/// ```
///
/// In a quickcheck property, return [`CheckReport::result`]: quickcheck prints the table of a
/// failing case.
///
/// # Panics
/// If `user` and `x` have different lengths.
pub fn check_gradient<T, F>(f: F, x: &[T], user: &[T]) -> CheckReport<T>
where
    T: Float,
    F: Fn(&[Dual<T, 1>]) -> Dual<T, 1>,
{
    Checker::default().gradient(f, x, user)
}

/// Checks a hand-written Jacobian `user` (m × n, `user[(i, j)] = ∂fᵢ/∂xⱼ`) of `f: ℝⁿ → ℝᵐ`
/// against forward-mode AD, with [`Checker::default`] tolerances (the floor is per row).
/// The function is passed as for [`check_gradient`].
///
/// ```
/// use nalgebra::DMatrix;
/// use nilpotent::numeric::check_jacobian;
/// use num_traits::Float;
/// fn c<T: Float>(x: &[T]) -> Vec<T> { vec![x[0] * x[1], x[0] + x[1].sin()] }
/// let x = [1.5, 0.5];
/// let jac = DMatrix::from_row_slice(2, 2, &[x[1], x[0], 1.0, x[1].cos()]);
/// check_jacobian(c, &x, &jac).assert_ok();
/// ```
///
/// # Panics
/// If `user` is not m × n.
pub fn check_jacobian<T, F>(f: F, x: &[T], user: &DMatrix<T>) -> CheckReport<T>
where
    T: Float + Scalar,
    F: Fn(&[Dual<T, 1>]) -> Vec<Dual<T, 1>>,
{
    Checker::default().jacobian(f, x, user)
}

/// What was checked; decides how entries are named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckKind {
    /// f′(x) of `f: ℝ → ℝ`: one entry, named `f'(x)`.
    Derivative,
    /// ∇f of `f: ℝⁿ → ℝ`: entries named `∂f/∂x[j]`.
    Gradient,
    /// The Jacobian of `f: ℝⁿ → ℝᵐ`: entries named `∂f[i]/∂x[j]`.
    Jacobian,
}

/// One entry of a derivative check.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CheckEntry<T> {
    /// The output index i (0 for a derivative or a gradient).
    pub row: usize,
    /// The input index j.
    pub col: usize,
    /// The hand-written value.
    pub user: T,
    /// The value by forward-mode AD: the reference.
    pub ad: T,
    /// The finite-difference value (for information).
    pub fd: T,
    /// |user − AD| / max(|AD|, floor·s) (see [`Checker`]).
    pub rel_error: T,
    /// |FD − AD| on the same scale (for information: large values suggest that `f` is not smooth
    /// near x or that the finite-difference step does not suit it).
    pub fd_rel_error: T,
    /// Whether the hand-written value is within tolerance of AD.
    pub passed: bool,
}

/// The result of a derivative check: one [`CheckEntry`] per entry, row-major, and the settings.
///
/// `Display` prints a table like a test failure message, naming the wrong entries and by how much.
/// [`passed`](Self::passed) tells whether all entries pass, [`assert_ok`](Self::assert_ok) panics
/// with the table otherwise, and [`result`](Self::result) returns it as an error (for quickcheck
/// properties, or `?` in tests returning `Result`).
#[derive(Clone, Debug, PartialEq)]
pub struct CheckReport<T> {
    /// What was checked.
    pub kind: CheckKind,
    /// The point.
    pub x: Vec<T>,
    /// The entries, row-major (for a Jacobian, all of row 0 first).
    pub entries: Vec<CheckEntry<T>>,
    /// The tolerances and finite-difference method used.
    pub checker: Checker<T>,
}

impl<T: Float> CheckReport<T> {
    /// True if every hand-written entry is within tolerance of AD.
    pub fn passed(&self) -> bool {
        self.entries.iter().all(|e| e.passed)
    }

    /// The entries that fail.
    pub fn failures(&self) -> impl Iterator<Item = &CheckEntry<T>> {
        self.entries.iter().filter(|e| !e.passed)
    }

    /// The largest relative error of a hand-written entry (0 for no entries; NaN entries count as
    /// failures but not here).
    pub fn max_rel_error(&self) -> T {
        self.entries
            .iter()
            .fold(T::zero(), |m, e| m.max(e.rel_error))
    }

    /// The name of an entry: `f'(x)`, `∂f/∂x[j]` or `∂f[i]/∂x[j]`.
    pub fn entry_name(&self, e: &CheckEntry<T>) -> String {
        match self.kind {
            CheckKind::Derivative => "f'(x)".to_string(),
            CheckKind::Gradient => format!("∂f/∂x[{}]", e.col),
            CheckKind::Jacobian => format!("∂f[{}]/∂x[{}]", e.row, e.col),
        }
    }
}

impl<T: Float + fmt::Display + fmt::LowerExp> CheckReport<T> {
    /// `Ok(())` if the check passed, otherwise the report's table as a [`CheckFailure`].
    ///
    /// quickcheck 1 treats `Result<(), E: Debug>` as a property result, so a property can return
    /// this directly (no quickcheck dependency is needed in nilpotent):
    ///
    /// ```
    /// use nilpotent::numeric::{check_gradient, CheckFailure};
    /// use num_traits::Float;
    /// fn f<T: Float>(x: &[T]) -> T { x[0].sin() * x[1] }
    /// fn prop(a: f64, b: f64) -> Result<(), CheckFailure> {
    ///     let x = [a % 10.0, b % 10.0];
    ///     check_gradient(f, &x, &[x[0].cos() * x[1], x[0].sin()]).result()
    /// }
    /// // quickcheck::quickcheck(prop as fn(f64, f64) -> Result<(), CheckFailure>);
    /// assert!(prop(0.3, 2.0).is_ok());
    /// ```
    pub fn result(&self) -> Result<(), CheckFailure> {
        if self.passed() {
            Ok(())
        } else {
            Err(CheckFailure(self.to_string()))
        }
    }

    /// Panics with the report's table unless every entry passed.
    #[track_caller]
    pub fn assert_ok(&self) {
        if !self.passed() {
            panic!("{self}");
        }
    }
}

/// A failed check's report text; `Debug` and `Display` both print it as is (so that quickcheck and
/// `unwrap` show a readable table).
#[derive(Clone, PartialEq, Eq)]
pub struct CheckFailure(pub String);

impl fmt::Debug for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CheckFailure {}

impl<T: Float + fmt::Display + fmt::LowerExp> fmt::Display for CheckReport<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            CheckKind::Derivative => "derivative",
            CheckKind::Gradient => "gradient",
            CheckKind::Jacobian => "Jacobian",
        };
        let n_fail = self.failures().count();
        let x: Vec<String> = self.x.iter().map(|v| v.to_string()).collect();
        let rtol = self.checker.rtol;
        if n_fail == 0 {
            writeln!(
                f,
                "{what} check passed: {} with AD within rtol = {rtol:.1e} at x = [{}]",
                match self.entries.len() {
                    1 => "the 1 entry agrees".to_string(),
                    n => format!("all {n} entries agree"),
                },
                x.join(", ")
            )?;
        } else {
            writeln!(
                f,
                "{what} check FAILED: {n_fail} of {} disagree with AD (rtol = {rtol:.1e}) at x = [{}]",
                crate::base::text::count(self.entries.len(), "entry", "entries"),
                x.join(", ")
            )?;
        }
        let names: Vec<String> = self.entries.iter().map(|e| self.entry_name(e)).collect();
        let w = names
            .iter()
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
            .max(5);
        let fd_name = format!("finite diff O(h^{})", self.checker.fd.error_order());
        writeln!(
            f,
            "  {:<w$}  {:>16}  {:>16}  {:>10}  {:>19}  {:>10}",
            "entry", "hand-written", "AD (reference)", "rel. error", fd_name, "FD vs AD"
        )?;
        for (e, name) in self.entries.iter().zip(&names) {
            let pad = w - name.chars().count();
            writeln!(
                f,
                "  {name}{:pad$}  {:>16.8e}  {:>16.8e}  {:>10.1e}  {:>19.8e}  {:>10.1e}  {}",
                "",
                e.user,
                e.ad,
                e.rel_error,
                e.fd,
                e.fd_rel_error,
                if e.passed { "ok" } else { "WRONG" }
            )?;
        }
        for (e, name) in self.entries.iter().zip(&names).filter(|(e, _)| !e.passed) {
            writeln!(
                f,
                "  {name} is wrong: hand-written {} but AD gives {} (off by {:.3e}, relative error {:.1e})",
                e.user,
                e.ad,
                e.user - e.ad,
                e.rel_error
            )?;
        }
        let fd_warn = T::epsilon().sqrt().sqrt();
        let fd_max = self.entries.iter().fold(T::zero(), |m, e| {
            // NaN (FD evaluated outside the domain of f) wins, so the note says so
            if m.is_nan() || e.fd_rel_error.is_nan() {
                T::nan()
            } else {
                m.max(e.fd_rel_error)
            }
        });
        if self
            .entries
            .iter()
            .any(|e| e.fd_rel_error > fd_warn || e.fd_rel_error.is_nan())
        {
            writeln!(
                f,
                "  note: finite differences differ from AD by up to {fd_max:.1e} (relative): f may not be \
                 smooth within one step of x, or the step does not suit it; AD is the reference"
            )?;
        }
        Ok(())
    }
}
