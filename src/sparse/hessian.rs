//! Sparse Hessians: compressed Hessian-vector products (forward mode over the gradient graph),
//! recovered directly through a star colouring.

use nalgebra_sparse::CscMatrix;

use super::colour::{Colouring, Order, star_colouring};
use super::pass::{Entry, MAX_LANES, Pass};
use super::pattern::{Pattern, hessian_pattern};
use crate::graph::{Graph, GraphError, Program};

/// A reusable plan for the sparse Hessian of a recorded scalar function: its [pattern](Pattern), a
/// [star colouring](super::star_colouring) of it, and the compressed passes with their buffers.
///
/// Each pass evaluates the gradient graph ([`Graph::gradient`]) on `Dual<f64, W>`, every input
/// seeded with the unit tangent of its colour: output 1 + i then carries (H·S)ᵢ,c = Σ over the
/// inputs j of colour c of ∂²f/∂xᵢ∂xⱼ in lane c (forward mode over the reverse-built gradient: W
/// Hessian-vector products per pass). The star colouring guarantees that every entry hᵢⱼ is alone
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
    /// the gradient graph's program: outputs f, ∂f/∂x₀, …
    program: Program,
    passes: Vec<Pass>,
    maps: Vec<Vec<Entry>>,
    value: f64,
    gradient: Vec<f64>,
    hess: CscMatrix<f64>,
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
        let program = Program::new(&g.gradient());
        let passes = Pass::plan(&program, colouring.colours(), colouring.num_colours());
        let mut maps = vec![Vec::new(); passes.len()];
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

    /// The number of passes per [`HessianPlan::eval`]: ⌈colours / 8⌉ evaluations of the gradient
    /// graph on dual numbers of up to 8 lanes.
    pub fn num_passes(&self) -> usize {
        self.passes.len()
    }

    /// The value, gradient and Hessian at `x`; an error if a guard of the graph (or of its
    /// gradient) comes out differently at `x` than where it was recorded, or if `x` has the wrong
    /// length. Allocates nothing.
    #[inline]
    pub fn eval(&mut self, x: &[f64]) -> Result<(f64, &[f64], &CscMatrix<f64>), GraphError> {
        for p in &mut self.passes {
            p.run(&self.program, x)?;
        }
        Ok(self.collect())
    }

    /// [`HessianPlan::eval`] for a graph recorded with parameters
    /// ([`Graph::record_with`](crate::graph::Graph::record_with)): the value, gradient and
    /// Hessian with respect to `x` at the inputs `x` and the parameters `p` (the pattern is with
    /// respect to `x`). The errors of `eval`, and [`GraphError::ParamLength`] if `p` does not have
    /// one value per parameter (`eval` on a graph with parameters is
    /// [`GraphError::MissingParams`]). Allocates nothing.
    #[inline]
    pub fn eval_with(
        &mut self,
        x: &[f64],
        p: &[f64],
    ) -> Result<(f64, &[f64], &CscMatrix<f64>), GraphError> {
        for pass in &mut self.passes {
            pass.run_with(&self.program, x, p)?;
        }
        Ok(self.collect())
    }

    /// [`HessianPlan::eval`] with the passes run on rayon's thread pool: the same results bit for
    /// bit.
    #[cfg(feature = "rayon")]
    #[inline]
    pub fn par_eval(&mut self, x: &[f64]) -> Result<(f64, &[f64], &CscMatrix<f64>), GraphError> {
        use rayon::prelude::*;
        let program = &self.program;
        self.passes
            .par_iter_mut()
            .try_for_each(|p| p.run(program, x))?;
        Ok(self.collect())
    }

    fn collect(&mut self) -> (f64, &[f64], &CscMatrix<f64>) {
        let dst = self.hess.values_mut();
        for (p, map) in self.passes.iter().zip(&self.maps) {
            p.gather(map, dst);
        }
        self.value = self.passes[0].value(0);
        self.passes[0].values_into(1, &mut self.gradient);
        (self.value, &self.gradient, &self.hess)
    }
}
