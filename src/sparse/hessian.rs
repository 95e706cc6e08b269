//! Sparse Hessians: compressed Hessian-vector products (forward mode over reverse mode: the
//! gradient graph, or a reverse sweep at run time), recovered directly through a star colouring.

use nalgebra_sparse::CscMatrix;

use super::colour::{Colouring, Order, star_colouring};
use super::pass::{Entry, HvpPass, MAX_LANES, Pass};
use super::pattern::{Pattern, hessian_pattern};
use crate::graph::{Graph, GraphError, Program};

/// A reusable plan for the sparse Hessian of a recorded scalar function: its [pattern](Pattern), a
/// [star colouring](super::star_colouring) of it, and the compressed passes with their buffers.
///
/// Each pass evaluates the gradient of f on `Dual<f64, W>`, every input seeded with the unit
/// tangent of its colour: ∂f/∂xᵢ then carries (H·S)ᵢ,c = Σ over the inputs j of colour c of
/// ∂²f/∂xᵢ∂xⱼ in lane c (forward mode over reverse mode: W Hessian-vector products per pass).
/// The gradient is the gradient graph ([`Graph::gradient`]) where the derivative rules take no
/// value-dependent branch at the recording point; where they do (`abs`'s sign, a `max` choice),
/// a reverse sweep at run time with the local partials computed from the rule table on the dual
/// numbers, so those branches are taken anew at each input: a plan has no guards but the
/// function's own, and branch-free code evaluates everywhere. (A graph with
/// [custom rules](crate::custom) always uses the gradient graph, where those rules' derivatives
/// are recorded as operations: there the derivative rules' branches stay guards.) The star colouring guarantees that every entry hᵢⱼ is alone
/// in its colour in row i or in row j, so it is read off directly; both triangles come from the
/// same number, so the result is exactly symmetric.
///
/// ```
/// use nilpotent::graph::Graph;
/// use nilpotent::sparse::HessianPlan;
/// use num_traits::Float;
///
/// fn rosenbrock<T: Float>(x: &[T]) -> T {
///     let c = T::from(100.0).unwrap();
///     (0..x.len() - 1)
///         .map(|i| c * (x[i + 1] - x[i] * x[i]).powi(2) + (T::one() - x[i]).powi(2))
///         .fold(T::zero(), |s, t| s + t)
/// }
/// let x = vec![1.0; 1000];
/// let mut plan = HessianPlan::new(&Graph::record(&x, rosenbrock));
/// assert_eq!(plan.colouring().num_colours(), 3); // tridiagonal: 3 colours for any n
/// let (value, grad, h) = plan.eval(&x).unwrap();
/// assert_eq!((value, grad[500]), (0.0, 0.0));
/// assert_eq!(h.nnz(), 3 * 1000 - 2);
/// assert_eq!(h.get_entry(0, 0).unwrap().into_value(), 802.0);
/// assert_eq!(h.get_entry(0, 1).unwrap().into_value(), -400.0);
/// ```
#[derive(Clone, Debug)]
pub struct HessianPlan {
    pattern: Pattern,
    colouring: Colouring,
    /// the function's program (its guards are checked on it first, if it has any)
    program: Program,
    has_guards: bool,
    check_work: Vec<f64>,
    check_out: Vec<f64>,
    passes: Passes,
    maps: Vec<Vec<Entry>>,
    value: f64,
    gradient: Vec<f64>,
    hess: CscMatrix<f64>,
}

/// How the Hessian-vector products are computed.
#[derive(Clone, Debug)]
enum Passes {
    /// forward over a reverse sweep at run time
    Tape(Vec<HvpPass>),
    /// forward over the gradient graph (whose program outputs f, ∂f/∂x₀, …): for graphs with
    /// custom rules, whose second derivatives only a derivative graph has
    Graph(Program, Vec<Pass>),
}

impl HessianPlan {
    /// The plan for `g` (a scalar function recorded with [`Graph::record`]), with the best star
    /// colouring ([`Order::Best`]).
    ///
    /// # Panics
    /// If `g` does not have exactly one output.
    pub fn new(g: &Graph) -> HessianPlan {
        Self::with_order(g, Order::Best)
    }

    /// The plan for `g` with the given colouring order.
    ///
    /// # Panics
    /// If `g` does not have exactly one output.
    pub fn with_order(g: &Graph, order: Order) -> HessianPlan {
        let n = g.num_inputs();
        let pattern = hessian_pattern(g);
        let colouring = star_colouring(&pattern, order);
        let program = Program::new(g);
        let gradient = g.gradient();
        // the gradient graph where its rules add no guard (the faster passes: its program's few
        // work slots stay in cache, where the tape keeps every node's value and partials);
        // else the tape, which has none (a graph with custom rules has only the gradient graph)
        let passes = if gradient.num_guards() > g.num_guards() && g.calls().is_empty() {
            Passes::Tape(HvpPass::plan(
                g,
                colouring.colours(),
                colouring.num_colours(),
            ))
        } else {
            let gradient = Program::new(&gradient);
            let passes = Pass::plan(&gradient, colouring.colours(), colouring.num_colours());
            Passes::Graph(gradient, passes)
        };
        let num_passes = match &passes {
            Passes::Tape(p) => p.len(),
            Passes::Graph(_, p) => p.len(),
        };
        let mut maps = vec![Vec::new(); num_passes];
        let colour = |v: usize| colouring.colour(v);
        // unique[pos]: the colour of entry pos's row is the only one of its kind in its column
        // (= row, by symmetry)
        let (offsets, rows) = pattern.parts();
        let mut unique = vec![false; pattern.nnz()];
        let mut count = vec![0usize; colouring.num_colours()];
        for j in 0..n {
            let col = offsets[j]..offsets[j + 1];
            for &i in &rows[col.clone()] {
                count[colour(i)] += 1;
            }
            for pos in col.clone() {
                unique[pos] = count[colour(rows[pos])] == 1;
            }
            for &i in &rows[col] {
                count[colour(i)] = 0;
            }
        }
        let position = |i: usize, j: usize| {
            offsets[j] + rows[offsets[j]..offsets[j + 1]].partition_point(|&r| r < i)
        };
        for (pos, (i, j)) in pattern.entries().enumerate() {
            // the pair {a, b}, a ≤ b, decides for both triangles (so h is exactly symmetric):
            // read h_ab from row a of H·S if b is alone in its colour there, else from row b
            let (a, b) = (i.min(j), i.max(j));
            let (row, c) = if unique[position(b, a)] {
                (a, colour(b))
            } else {
                assert!(
                    unique[position(a, b)],
                    "nilpotent::sparse: the colouring is not a star colouring (a bug)"
                );
                (b, colour(a))
            };
            maps[c / MAX_LANES].push(Entry {
                pos,
                output: 1 + row,
                lane: c % MAX_LANES,
            });
        }
        let hess = CscMatrix::try_from_pattern_and_values(
            pattern.to_sparsity_pattern(),
            vec![0.0; pattern.nnz()],
        )
        .expect("the values match the pattern");
        HessianPlan {
            pattern,
            colouring,
            has_guards: g.num_guards() > 0,
            check_work: program.evaluator::<f64>().into_work(),
            check_out: vec![0.0; 1],
            program,
            passes,
            maps,
            value: 0.0,
            gradient: vec![0.0; n],
            hess,
        }
    }

    /// The Hessian's sparsity pattern (n × n, symmetric).
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// The star colouring of the inputs.
    pub fn colouring(&self) -> &Colouring {
        &self.colouring
    }

    /// The number of passes per [`HessianPlan::eval`]: ⌈colours / 16⌉, each a forward and a
    /// reverse sweep on dual numbers of up to 16 lanes.
    pub fn num_passes(&self) -> usize {
        match &self.passes {
            Passes::Tape(p) => p.len(),
            Passes::Graph(_, p) => p.len(),
        }
    }

    /// The value, gradient and Hessian at `x`; an error if a guard of the graph (or of its
    /// gradient) comes out differently at `x` than where it was recorded, or if `x` has the wrong
    /// length. A graph with parameters is evaluated with [`HessianPlan::eval_with`]: here it is
    /// [`GraphError::MissingParams`]. Allocates nothing.
    #[inline]
    pub fn eval(&mut self, x: &[f64]) -> Result<(f64, &[f64], &CscMatrix<f64>), GraphError> {
        self.no_params()?;
        self.eval_with(x, &[])
    }

    /// [`HessianPlan::eval`] for a graph recorded with parameters
    /// ([`Graph::record_with`](crate::graph::Graph::record_with)): the value, gradient and
    /// Hessian with respect to `x` at the inputs `x` and the parameters `p` (the pattern is with
    /// respect to `x`). The errors of `eval`, and [`GraphError::ParamLength`] if `p` does not have
    /// one value per parameter (`eval` on a graph with parameters is
    /// [`GraphError::MissingParams`]). Allocates nothing.
    ///
    /// ```
    /// use nilpotent::graph::Graph;
    /// use nilpotent::sparse::HessianPlan;
    /// // f = Σ pᵢ·|xᵢ|³: the weights p are parameters
    /// let g = Graph::record_with(&[1.0; 3], &[1.0; 3], |x, p| {
    ///     (0..3).map(|i| p[i] * x[i].abs().powi(3)).reduce(|s, t| s + t).unwrap()
    /// });
    /// let mut plan = HessianPlan::new(&g);
    /// // the point is on the other side of abs's kink in x₁ than the recording
    /// let (f, grad, h) = plan.eval_with(&[1.0, -1.0, 2.0], &[2.0, 3.0, 4.0]).unwrap();
    /// assert_eq!(f, 2.0 + 3.0 + 4.0 * 8.0);
    /// assert_eq!(grad, &[6.0, -9.0, 48.0]); // 3pᵢ·xᵢ·|xᵢ|
    /// assert_eq!(h.get_entry(1, 1).unwrap().into_value(), 18.0); // 6pᵢ·|xᵢ|
    /// assert_eq!(h.get_entry(2, 2).unwrap().into_value(), 48.0);
    /// assert!(plan.eval(&[1.0; 3]).is_err()); // the parameters are missing
    /// ```
    #[inline]
    pub fn eval_with(
        &mut self,
        x: &[f64],
        p: &[f64],
    ) -> Result<(f64, &[f64], &CscMatrix<f64>), GraphError> {
        self.check_with(x, p)?;
        match &mut self.passes {
            Passes::Tape(passes) => passes.iter_mut().for_each(|pass| pass.run(x, p)),
            Passes::Graph(program, passes) => {
                for pass in passes {
                    pass.run_with(program, x, p)?;
                }
            }
        }
        Ok(self.collect())
    }

    /// [`GraphError::MissingParams`] if the graph has parameters (for the forms without them).
    fn no_params(&self) -> Result<(), GraphError> {
        super::pass::no_params(&self.program)
    }

    /// Checks the lengths of `x` and `p` and, if the function has guards, its guards at `x` and
    /// `p` (on its own program, so that an error names its nodes).
    fn check_with(&mut self, x: &[f64], p: &[f64]) -> Result<(), GraphError> {
        super::pass::check_point(
            &self.program,
            self.gradient.len(),
            self.has_guards,
            &mut self.check_work,
            &mut self.check_out,
            x,
            p,
        )
    }

    /// [`HessianPlan::eval`] with the passes run on rayon's thread pool: the same results bit for
    /// bit.
    #[cfg(feature = "rayon")]
    #[inline]
    pub fn par_eval(&mut self, x: &[f64]) -> Result<(f64, &[f64], &CscMatrix<f64>), GraphError> {
        self.no_params()?;
        self.par_eval_with(x, &[])
    }

    /// [`HessianPlan::eval_with`] with the passes run on rayon's thread pool: the same results
    /// bit for bit.
    #[cfg(feature = "rayon")]
    #[inline]
    pub fn par_eval_with(
        &mut self,
        x: &[f64],
        p: &[f64],
    ) -> Result<(f64, &[f64], &CscMatrix<f64>), GraphError> {
        use rayon::prelude::*;
        self.check_with(x, p)?;
        match &mut self.passes {
            Passes::Tape(passes) => passes.par_iter_mut().for_each(|pass| pass.run(x, p)),
            Passes::Graph(program, passes) => {
                let program = &*program;
                passes
                    .par_iter_mut()
                    .try_for_each(|pass| pass.run_with(program, x, p))?
            }
        }
        Ok(self.collect())
    }

    fn collect(&mut self) -> (f64, &[f64], &CscMatrix<f64>) {
        let dst = self.hess.values_mut();
        match &self.passes {
            Passes::Tape(passes) => {
                for (p, map) in passes.iter().zip(&self.maps) {
                    p.gather(map, dst);
                }
                self.value = passes[0].value();
                passes[0].gradient_into(&mut self.gradient);
            }
            Passes::Graph(_, passes) => {
                for (p, map) in passes.iter().zip(&self.maps) {
                    p.gather(map, dst);
                }
                self.value = passes[0].value(0);
                passes[0].values_into(1, &mut self.gradient);
            }
        }
        (self.value, &self.gradient, &self.hess)
    }
}
