//! Sparse Jacobians: a plan (pattern, colouring, passes and their buffers) built once from a
//! recorded graph and evaluated at any input.

use nalgebra_sparse::CscMatrix;

use std::sync::OnceLock;

use super::colour::{
    Colouring, Order, column_colouring, column_colouring_within, column_lower_bound, row_colouring,
    row_colouring_within, row_lower_bound,
};
use super::pass::{Entry, MAX_LANES, Pass};
use super::pattern::{Pattern, jacobian_pattern};
use super::sweep::{Sweep, Tape};
use crate::forward::Chunk;
use crate::forward::Dual;
use crate::graph::{Evaluator, Graph, GraphError, Program};

/// How a [`JacobianPlan`] compresses the Jacobian.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Forward mode over a column colouring: one tangent lane per colour, up to 16 lanes per pass
    /// (`Dual<f64, W>`).
    Forward,
    /// Reverse mode over a row colouring: one reverse sweep per colour, from the sum of the
    /// outputs of that colour, up to 16 per pass. The sweeps are a derivative graph in `f64`
    /// where the derivative rules take no value-dependent branch at the recording point
    /// (constant partials then fold away); where they do (`abs`'s sign, a `max`/`min` choice),
    /// which a derivative graph would keep as guards, one forward pass computes every node's
    /// local partials at the input from the rule table (as the tape does) and the sweeps run
    /// over those numbers: branch-free code evaluates everywhere. Pays when there are far fewer
    /// rows than columns.
    Reverse,
    /// The cheaper of the two by a cost model in units of one `f64` evaluation of the graph: a
    /// forward pass of W lanes costs about 1 + W/3; reverse mode about 2 for the forward pass
    /// with its partials plus 1 per sweep of up to 16 lanes (each row is swept once, and rows of
    /// one colour share no work). So a Jacobian with few rows, or whose rows need few colours,
    /// goes reverse; a banded square one (5 colours either way: 2.7 against 3) forward.
    Auto,
}

/// A reusable plan for the sparse Jacobian of a recorded graph `ℝⁿ → ℝᵐ`: its [pattern](Pattern),
/// a [colouring](Colouring) of its columns (and rows), and the compressed passes with their
/// buffers. Built once; [`JacobianPlan::eval`] then gives the values and the Jacobian at any input
/// without allocating. The generic-function forms keep their seeded inputs in the plan after
/// their first call: [`JacobianPlan::eval_fn`] then allocates only the function's own `Vec`
/// result per pass, [`JacobianPlan::eval_fn_inplace`] nothing.
///
/// ```
/// use nilpotent::graph::Graph;
/// use nilpotent::sparse::JacobianPlan;
/// use num_traits::Float;
///
/// // yᵢ = xᵢ² − xᵢ₋₁·xᵢ₊₁: a tridiagonal Jacobian, 3 colours whatever n is
/// fn g<T: Float>(x: &[T]) -> Vec<T> {
///     let n = x.len();
///     (0..n)
///         .map(|i| {
///             let left = if i > 0 { x[i - 1] } else { T::one() };
///             let right = if i + 1 < n { x[i + 1] } else { T::one() };
///             x[i] * x[i] - left * right
///         })
///         .collect()
/// }
/// let x0 = vec![1.0; 100];
/// let mut plan = JacobianPlan::new(&Graph::record_vec(&x0, g));
/// assert_eq!(plan.colouring().num_colours(), 3);
/// assert_eq!(plan.num_passes(), 1); // one pass of Dual<f64, 3>
///
/// let x: Vec<f64> = (0..100).map(|i| i as f64).collect();
/// let (y, jac) = plan.eval(&x).unwrap();
/// assert_eq!(y[5], 25.0 - 4.0 * 6.0);
/// assert_eq!(jac.nnz(), 3 * 100 - 2);
/// let row5: Vec<f64> = (4..7).map(|j| jac.get_entry(5, j).unwrap().into_value()).collect();
/// assert_eq!(row5, vec![-6.0, 10.0, -4.0]); // ∂y₅/∂x₄ = −x₆, ∂y₅/∂x₅ = 2x₅, ∂y₅/∂x₆ = −x₄
/// ```
#[derive(Clone, Debug)]
pub struct JacobianPlan {
    pattern: Pattern,
    /// the colourings, made when needed: the one of the plan's direction when it is built, the
    /// other only if it could win ([`Direction::Auto`]) or when asked for
    columns: OnceLock<Colouring>,
    rows: OnceLock<Colouring>,
    order: Order,
    direction: Direction,
    /// the function's program (forward passes, and the guard check of `eval_fn`)
    program: Program,
    has_guards: bool,
    /// forward passes and, for each, the entries it gives
    passes: Vec<Pass>,
    maps: Vec<Vec<Entry>>,
    /// reverse mode: the sweeps
    reverse: Option<Reverse>,
    /// the colour of the column of each entry (for `eval_fn`; made on its first call)
    entry_colours: OnceLock<Vec<usize>>,
    /// f64 buffers for the guard check of `eval_fn`
    check_work: Vec<f64>,
    check_out: Vec<f64>,
    /// the seeded inputs (and outputs) of the passes of `eval_fn` and `eval_fn_inplace`, for the
    /// chunk width of the last call; made on the first call
    fn_buffers: Option<Box<dyn FnBuffers>>,
    values: Vec<f64>,
    jac: CscMatrix<f64>,
}

/// The compressed reverse sweeps of a plan in reverse mode.
#[derive(Clone, Debug)]
enum Reverse {
    /// Derivative graphs of up to `MAX_LANES` sweeps each: where the derivative rules take no
    /// value-dependent branch at the recording point (the graph's partials are then expressions
    /// valid at every input), the faster way: constant partials and adjoints fold away.
    Graphs(Vec<GraphSweeps>),
    /// Where they do (`abs`'s sign, a `max` choice), which a derivative graph would keep as
    /// guards: one forward pass that computes the partials at each input, then the sweeps.
    Tape(Box<Tape>, Vec<Sweep>),
}

impl Reverse {
    /// The number of programs of sweeps, or of sweeps over the tape.
    fn len(&self) -> usize {
        match self {
            Reverse::Graphs(s) => s.len(),
            Reverse::Tape(_, s) => s.len(),
        }
    }
}

/// One program of compressed reverse sweeps and its buffers.
#[derive(Clone, Debug)]
struct GraphSweeps {
    program: Program,
    work: Vec<f64>,
    out: Vec<f64>,
    /// (position in the Jacobian's values, output of the program)
    map: Vec<(usize, usize)>,
    /// whether the first m outputs are the function's values
    has_values: bool,
}

impl GraphSweeps {
    fn run_with(&mut self, x: &[f64], p: &[f64]) -> Result<(), GraphError> {
        let mut eval = Evaluator::from_work(&self.program, core::mem::take(&mut self.work));
        let r = eval.eval_with_into(x, p, &mut self.out);
        self.work = eval.into_work();
        r
    }

    /// The programs for the row colouring `rows` of `pattern`, or `None` if they have guards
    /// that `g` does not (branches of the derivative rules).
    fn plan(g: &Graph, pattern: &Pattern, rows: &Colouring) -> Option<Vec<GraphSweeps>> {
        // each sweep outputs only the entries of its rows (no two rows of a colour share a
        // column), so the programs output nnz values in all
        let m = g.num_outputs();
        let groups = rows.groups();
        let pt = pattern.transpose(); // column i: the columns of row i
        let inputs: Vec<Vec<usize>> = groups
            .iter()
            .map(|group| {
                let mut cols: Vec<usize> = group
                    .iter()
                    .flat_map(|&i| pt.col(i).iter().copied())
                    .collect();
                cols.sort_unstable();
                cols
            })
            .collect();
        let mut sweeps = Vec::new();
        for (b, (block, wanted)) in groups
            .chunks(MAX_LANES)
            .zip(inputs.chunks(MAX_LANES))
            .enumerate()
        {
            let graph = g.compressed_reverse(block, wanted, b == 0);
            if graph.num_guards() > g.num_guards() {
                return None;
            }
            let program = Program::new(&graph);
            sweeps.push(GraphSweeps {
                work: program.evaluator::<f64>().into_work(),
                out: vec![0.0; program.num_outputs()],
                program,
                map: Vec::new(),
                has_values: b == 0,
            });
        }
        // where colour c's entries start in its program's outputs (after the values in the
        // first program)
        let mut start = vec![0; groups.len()];
        for (b, block) in inputs.chunks(MAX_LANES).enumerate() {
            let mut at = if b == 0 { m } else { 0 };
            for (k, cols) in block.iter().enumerate() {
                start[b * MAX_LANES + k] = at;
                at += cols.len();
            }
        }
        for (pos, (i, j)) in pattern.entries().enumerate() {
            let c = rows.colour(i);
            let k = inputs[c].binary_search(&j).expect("a column of the row");
            sweeps[c / MAX_LANES].map.push((pos, start[c] + k));
        }
        Some(sweeps)
    }
}

/// The estimated cost of forward passes over `colours` colours (see [`Direction::Auto`]).
fn forward_cost(colours: usize) -> f64 {
    (0..colours.max(1))
        .step_by(MAX_LANES)
        .map(|first| 1.0 + (colours - first).min(MAX_LANES) as f64 / 3.0)
        .sum()
}

/// The largest `k` in `low..=high` with `ok(k)`, for `ok` true up to some point and false after
/// it (`None` if `ok(low)` is false).
fn largest_within(low: usize, high: usize, ok: impl Fn(usize) -> bool) -> Option<usize> {
    if low > high || !ok(low) {
        return None;
    }
    let (mut lo, mut hi) = (low, high); // ok(lo); the answer is in lo..=hi
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if ok(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Some(lo)
}

/// The estimated cost of reverse sweeps over `colours` colours (see [`Direction::Auto`]).
fn reverse_cost(colours: usize) -> f64 {
    colours.div_ceil(MAX_LANES) as f64 + 2.0
}

impl JacobianPlan {
    /// The plan for `g` (recorded with [`Graph::record_vec`]), with the best colouring
    /// ([`Order::Best`]) and [`Direction::Auto`].
    pub fn new(g: &Graph) -> JacobianPlan {
        Self::with_options(g, Direction::Auto, Order::Best)
    }

    /// The plan for `g` with the given direction and colouring order.
    ///
    /// Only the colouring of the direction used is made: with [`Direction::Forward`] the rows are
    /// never coloured (nor the columns with [`Direction::Reverse`], until
    /// [`JacobianPlan::eval_fn`] needs them). [`Direction::Auto`] first colours the direction
    /// whose lower bound (the largest number of entries in a row, for the columns; in a column,
    /// for the rows) costs less, then the other only if its lower bound can still beat that,
    /// abandoning it as soon as it needs too many colours. So a Jacobian with one dense row
    /// (whose columns all conflict) goes reverse without colouring its columns.
    pub fn with_options(g: &Graph, direction: Direction, order: Order) -> JacobianPlan {
        let m = g.num_outputs();
        let pattern = jacobian_pattern(g);
        let (columns, rows) = (OnceLock::new(), OnceLock::new());
        let direction = match direction {
            // no output, nothing to sweep from: forward passes (which also check the guards)
            _ if m == 0 => Direction::Forward,
            Direction::Auto => {
                let (low_c, low_r) = (column_lower_bound(&pattern), row_lower_bound(&pattern));
                if forward_cost(low_c) <= reverse_cost(low_r) {
                    let c = column_colouring(&pattern, order);
                    // reverse wins only with fewer than this costs
                    let cost = forward_cost(c.num_colours());
                    let _ = columns.set(c);
                    let limit = largest_within(low_r, pattern.nrows(), |r| reverse_cost(r) < cost);
                    match limit.and_then(|r| row_colouring_within(&pattern, order, r)) {
                        Some(r) => {
                            let _ = rows.set(r);
                            Direction::Reverse
                        }
                        None => Direction::Forward,
                    }
                } else {
                    let r = row_colouring(&pattern, order);
                    // forward wins with this cost or less
                    let cost = reverse_cost(r.num_colours());
                    let _ = rows.set(r);
                    let limit = largest_within(low_c, pattern.ncols(), |c| forward_cost(c) <= cost);
                    match limit.and_then(|c| column_colouring_within(&pattern, order, c)) {
                        Some(c) => {
                            let _ = columns.set(c);
                            Direction::Forward
                        }
                        None => Direction::Reverse,
                    }
                }
            }
            d => d,
        };
        let program = Program::new(g);
        let (_, row_of) = pattern.parts();
        let (mut passes, mut maps, mut reverse) = (Vec::new(), Vec::new(), None);
        match direction {
            Direction::Forward => {
                let columns = columns.get_or_init(|| column_colouring(&pattern, order));
                passes = Pass::plan(&program, columns.colours(), columns.num_colours());
                maps = vec![Vec::new(); passes.len()];
                for (pos, (j, &i)) in pattern.entries().map(|(_, j)| j).zip(row_of).enumerate() {
                    let c = columns.colour(j);
                    maps[c / MAX_LANES].push(Entry {
                        pos,
                        output: i,
                        lane: c % MAX_LANES,
                    });
                }
            }
            _ => {
                let rows = rows.get_or_init(|| row_colouring(&pattern, order));
                if let Some(sweeps) = GraphSweeps::plan(g, &pattern, rows) {
                    reverse = Some(Reverse::Graphs(sweeps));
                }
            }
        }
        if direction == Direction::Reverse && reverse.is_none() {
            // one forward pass with the partials, then one backward sweep per block of up to
            // MAX_LANES row colours; no two rows of a colour share a column, so colour c's
            // adjoints hold each of its rows' entries unmixed
            {
                let rows = rows.get().expect("coloured above");
                let t = Tape::new(g);
                let groups = rows.groups();
                let mut entries = vec![Vec::new(); groups.len().div_ceil(MAX_LANES)];
                for (pos, (i, j)) in pattern.entries().enumerate() {
                    let c = rows.colour(i);
                    entries[c / MAX_LANES].push((pos, c % MAX_LANES, j as u32));
                }
                let sweeps = groups
                    .chunks(MAX_LANES)
                    .zip(entries)
                    .map(|(block, entries)| Sweep::new(&t, block, entries))
                    .collect();
                reverse = Some(Reverse::Tape(Box::new(t), sweeps));
            }
        }
        let check_work = program.evaluator::<f64>().into_work();
        let jac = CscMatrix::try_from_pattern_and_values(
            pattern.to_sparsity_pattern(),
            vec![0.0; pattern.nnz()],
        )
        .expect("the values match the pattern");
        JacobianPlan {
            pattern,
            columns,
            rows,
            order,
            direction,
            has_guards: g.num_guards() > 0,
            passes,
            maps,
            reverse,
            entry_colours: OnceLock::new(),
            check_work,
            check_out: vec![0.0; m],
            fn_buffers: None,
            values: vec![0.0; m],
            jac,
            program,
        }
    }

    /// The Jacobian's sparsity pattern (m × n).
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// The colouring the plan evaluates with: of the columns in forward mode, of the rows in
    /// reverse mode.
    pub fn colouring(&self) -> &Colouring {
        match self.direction {
            Direction::Reverse => self.row_colouring(),
            _ => self.column_colouring(),
        }
    }

    /// The colouring of the columns (forward mode; also used by [`JacobianPlan::eval_fn`]). A
    /// plan in reverse mode colours its columns on the first call of this or of `eval_fn`.
    pub fn column_colouring(&self) -> &Colouring {
        self.columns
            .get_or_init(|| column_colouring(&self.pattern, self.order))
    }

    /// The colouring of the rows (reverse mode). A plan in forward mode colours its rows on the
    /// first call of this.
    pub fn row_colouring(&self) -> &Colouring {
        self.rows
            .get_or_init(|| row_colouring(&self.pattern, self.order))
    }

    /// [`Direction::Forward`] or [`Direction::Reverse`] (never `Auto`: what it chose).
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The number of passes per [`JacobianPlan::eval`]: ⌈colours / 16⌉ (each carries up to 16
    /// colours, as tangent lanes of a forward pass, or as the adjoint lanes of a backward sweep
    /// in reverse mode, where one forward pass over the function comes first).
    pub fn num_passes(&self) -> usize {
        match self.direction {
            Direction::Reverse => self.reverse.as_ref().map_or(0, Reverse::len),
            _ => self.passes.len(),
        }
    }

    /// The values `g(x)` and the Jacobian at `x`; an error if a guard of the graph comes out
    /// differently at `x` than where it was recorded (the pattern is that branch's), or if `x`
    /// has the wrong length. A graph with parameters is evaluated with
    /// [`JacobianPlan::eval_with`]: here it is [`GraphError::MissingParams`]. Allocates nothing.
    #[inline]
    pub fn eval(&mut self, x: &[f64]) -> Result<(&[f64], &CscMatrix<f64>), GraphError> {
        self.no_params()?;
        self.eval_with(x, &[])
    }

    /// [`JacobianPlan::eval`] for a graph recorded with parameters
    /// ([`Graph::record_vec_with`](crate::graph::Graph::record_vec_with)): the values and the
    /// Jacobian with respect to `x` at the inputs `x` and the parameters `p`; the pattern is with
    /// respect to `x` (parameters are not differentiated). The errors of `eval`, and
    /// [`GraphError::ParamLength`] if `p` does not have one value per parameter (`eval` on a graph
    /// with parameters is [`GraphError::MissingParams`]). Allocates nothing.
    ///
    /// ```
    /// use nilpotent::graph::Graph;
    /// use nilpotent::sparse::JacobianPlan;
    /// // yᵢ = pᵢ·xᵢ² − xᵢ₊₁: the data p is a parameter
    /// let g = Graph::record_vec_with(&[1.0; 4], &[1.0; 3], |x, p| {
    ///     (0..3).map(|i| p[i] * x[i] * x[i] - x[i + 1]).collect()
    /// });
    /// let mut plan = JacobianPlan::new(&g);
    /// let (y, jac) = plan.eval_with(&[1.0, 2.0, 3.0, 4.0], &[2.0, 3.0, 4.0]).unwrap();
    /// assert_eq!(y, &[0.0, 9.0, 32.0]);
    /// assert_eq!(jac.get_entry(1, 1).unwrap().into_value(), 12.0); // 2·p₁·x₁
    /// assert!(plan.eval(&[1.0; 4]).is_err()); // the parameters are missing
    /// ```
    #[inline]
    pub fn eval_with(
        &mut self,
        x: &[f64],
        p: &[f64],
    ) -> Result<(&[f64], &CscMatrix<f64>), GraphError> {
        match self.direction {
            Direction::Reverse => {
                self.check_with(x, p)?;
                match self.reverse.as_mut().expect("reverse mode has sweeps") {
                    Reverse::Graphs(sweeps) => {
                        for s in sweeps {
                            s.run_with(x, p)?;
                        }
                    }
                    Reverse::Tape(tape, sweeps) => {
                        tape.forward(x, p);
                        for s in sweeps {
                            s.run(tape);
                        }
                    }
                }
            }
            _ => {
                for pass in &mut self.passes {
                    pass.run_with(&self.program, x, p)?;
                }
            }
        }
        Ok(self.collect())
    }

    /// [`JacobianPlan::eval`] with the independent passes (or blocks of sweeps) run on rayon's
    /// thread pool: the same results bit for bit.
    #[cfg(feature = "rayon")]
    #[inline]
    pub fn par_eval(&mut self, x: &[f64]) -> Result<(&[f64], &CscMatrix<f64>), GraphError> {
        self.no_params()?;
        self.par_eval_with(x, &[])
    }

    /// [`JacobianPlan::eval_with`] with the independent passes (or blocks of sweeps) run on
    /// rayon's thread pool: the same results bit for bit.
    #[cfg(feature = "rayon")]
    #[inline]
    pub fn par_eval_with(
        &mut self,
        x: &[f64],
        p: &[f64],
    ) -> Result<(&[f64], &CscMatrix<f64>), GraphError> {
        use rayon::prelude::*;
        match self.direction {
            Direction::Reverse => {
                self.check_with(x, p)?;
                match self.reverse.as_mut().expect("reverse mode has sweeps") {
                    Reverse::Graphs(sweeps) => {
                        sweeps.par_iter_mut().try_for_each(|s| s.run_with(x, p))?
                    }
                    Reverse::Tape(tape, sweeps) => {
                        tape.forward(x, p);
                        let tape: &Tape = tape;
                        sweeps.par_iter_mut().for_each(|s| s.run(tape));
                    }
                }
            }
            _ => {
                let program = &self.program;
                self.passes
                    .par_iter_mut()
                    .try_for_each(|pass| pass.run_with(program, x, p))?;
            }
        }
        Ok(self.collect())
    }

    /// The values and the Jacobian from the passes just run.
    fn collect(&mut self) -> (&[f64], &CscMatrix<f64>) {
        let dst = self.jac.values_mut();
        match self.direction {
            Direction::Reverse => match self.reverse.as_ref().expect("reverse mode has sweeps") {
                Reverse::Graphs(sweeps) => {
                    for s in sweeps {
                        for &(pos, k) in &s.map {
                            dst[pos] = s.out[k];
                        }
                        if s.has_values {
                            let m = self.values.len();
                            self.values.copy_from_slice(&s.out[..m]);
                        }
                    }
                }
                Reverse::Tape(tape, sweeps) => {
                    for s in sweeps {
                        s.gather(dst);
                    }
                    for (k, v) in self.values.iter_mut().enumerate() {
                        *v = tape.output(k);
                    }
                }
            },
            _ => {
                for (p, map) in self.passes.iter().zip(&self.maps) {
                    p.gather(map, dst);
                }
                self.passes[0].values_into(0, &mut self.values);
            }
        }
        (&self.values, &self.jac)
    }

    /// The values and the Jacobian at `x` by forward passes of the generic function `f` itself
    /// (compiled code, usually faster than the graph's interpreter) on `Dual<f64, N>`, seeded with
    /// the column colouring, ⌈colours / N⌉ passes. `f` must be the function the graph was recorded
    /// from (at another number type: pass it by name).
    ///
    /// Guards: if the recording has any, the graph is evaluated at `x` first (in `f64`) to check
    /// them, and an error is returned where one comes out differently, as [`JacobianPlan::eval`]
    /// does; a recording without guards has no branch to check, and `f` runs alone. A graph
    /// recorded with parameters is [`GraphError::MissingParams`] here (`f` takes no parameters;
    /// use [`JacobianPlan::eval_fn_with`]).
    ///
    /// Allocation: the first call with a given `N` allocates the seeded inputs of every pass
    /// (n dual numbers each), which the plan then keeps (a call with another `N` replaces them);
    /// later calls allocate nothing of their own. `f` returns a `Vec`, so it allocates its result
    /// once per pass; for a function that writes its outputs into a slice instead, use
    /// [`JacobianPlan::eval_fn_inplace`], which allocates nothing after its first call.
    ///
    /// ```
    /// use nilpotent::graph::Graph;
    /// use nilpotent::sparse::JacobianPlan;
    /// use nilpotent::Chunk;
    /// use num_traits::Float;
    ///
    /// fn g<T: Float>(x: &[T]) -> Vec<T> {
    ///     (0..x.len()).map(|i| x[i].sin() * x[(i + 1) % x.len()]).collect()
    /// }
    /// let x = vec![0.5; 50];
    /// let mut plan = JacobianPlan::new(&Graph::record_vec(&x, g));
    /// let from_graph = plan.eval(&x).unwrap().1.clone();
    /// let (_, jac) = plan.eval_fn(g, &x, Chunk::<4>).unwrap();
    /// assert_eq!(jac, &from_graph);
    /// ```
    ///
    /// # Panics
    /// If `N` is 0, or if `f` returns a different number of values than the graph has outputs.
    pub fn eval_fn<F, const N: usize>(
        &mut self,
        f: F,
        x: &[f64],
        chunk: Chunk<N>,
    ) -> Result<(&[f64], &CscMatrix<f64>), GraphError>
    where
        F: Fn(&[Dual<f64, N>]) -> Vec<Dual<f64, N>>,
    {
        self.no_params()?;
        self.eval_fn_with(|x, _| f(x), x, &[], chunk)
    }

    /// [`JacobianPlan::eval_fn`] for a graph recorded with parameters
    /// ([`Graph::record_vec_with`](crate::graph::Graph::record_vec_with)): `f(x, p)` is the
    /// function the graph was recorded from, here on `Dual<f64, N>`, its parameters `p` given as
    /// dual numbers with zero tangents (they are not differentiated), so a generic
    /// `fn f<T: Float>(x: &[T], p: &[T]) -> Vec<T>` is passed by name to both. The values and the
    /// Jacobian with respect to `x` at `x` and `p`: the same results as
    /// [`JacobianPlan::eval_with`] and the same errors ([`GraphError::InputLength`],
    /// [`GraphError::ParamLength`], a guard that comes out differently at `x` and `p`), checked
    /// before `f` runs. The plan keeps the dual parameters with the seeded inputs, so a call
    /// allocates no more than [`JacobianPlan::eval_fn`]. A graph without parameters takes `&[]`.
    ///
    /// ```
    /// use nilpotent::graph::Graph;
    /// use nilpotent::sparse::JacobianPlan;
    /// use nilpotent::Chunk;
    /// use num_traits::Float;
    ///
    /// // yᵢ = pᵢ·sin(xᵢ)·xᵢ₊₁ (cyclic): the weights p are data, recorded as parameters
    /// fn g<T: Float>(x: &[T], p: &[T]) -> Vec<T> {
    ///     (0..x.len()).map(|i| p[i] * x[i].sin() * x[(i + 1) % x.len()]).collect()
    /// }
    /// let (x, p) = (vec![0.5; 50], vec![2.0; 50]);
    /// let mut plan = JacobianPlan::new(&Graph::record_vec_with(&x, &p, g));
    /// let p: Vec<f64> = (0..50).map(|i| i as f64).collect(); // new data, no new recording
    /// let from_graph = plan.eval_with(&x, &p).unwrap().1.clone();
    /// let (y, jac) = plan.eval_fn_with(g, &x, &p, Chunk::<4>).unwrap();
    /// assert_eq!(y[3], 3.0 * 0.5f64.sin() * 0.5);
    /// assert_eq!(jac, &from_graph);
    /// assert!(plan.eval_fn_with(g, &x, &p[1..], Chunk::<4>).is_err()); // one parameter short
    /// ```
    ///
    /// # Panics
    /// If `N` is 0, or if `f` returns a different number of values than the graph has outputs.
    pub fn eval_fn_with<F, const N: usize>(
        &mut self,
        f: F,
        x: &[f64],
        p: &[f64],
        _chunk: Chunk<N>,
    ) -> Result<(&[f64], &CscMatrix<f64>), GraphError>
    where
        F: Fn(&[Dual<f64, N>], &[Dual<f64, N>]) -> Vec<Dual<f64, N>>,
    {
        self.check_with(x, p)?;
        let (fn_passes, params, mut out) = self.fn_passes::<N>(x, p);
        for pass in fn_passes.iter() {
            let y = f(&pass.x, params);
            out.store(pass.first, &y);
        }
        Ok((&self.values, &self.jac))
    }

    /// [`JacobianPlan::eval_fn`] for a function that writes its m outputs into a slice instead of
    /// returning a `Vec` (`f(x, out)` with `out.len() == m`, as in
    /// [`jacobian_inplace`](crate::jacobian_inplace)): before each pass `out` is set to 0, so an
    /// output that `f` does not write is 0 with zero derivative. The first call with a given `N`
    /// allocates the seeded inputs and the outputs of every pass, which the plan keeps; later
    /// calls allocate nothing (unless `f` itself does). The same results as
    /// [`JacobianPlan::eval_fn`] on the same function bit for bit.
    ///
    /// ```
    /// use nilpotent::graph::Graph;
    /// use nilpotent::sparse::JacobianPlan;
    /// use nilpotent::Chunk;
    /// use num_traits::Float;
    ///
    /// // yᵢ = sin(xᵢ)·xᵢ₊₁ (cyclic), written into a slice
    /// fn g<T: Float>(x: &[T], out: &mut [T]) {
    ///     for (i, o) in out.iter_mut().enumerate() {
    ///         *o = x[i].sin() * x[(i + 1) % x.len()];
    ///     }
    /// }
    /// let x = vec![0.5; 50];
    /// let graph = Graph::record_vec(&x, |x| {
    ///     let mut out = vec![x[0]; x.len()];
    ///     g(x, &mut out);
    ///     out
    /// });
    /// let mut plan = JacobianPlan::new(&graph);
    /// let from_graph = plan.eval(&x).unwrap().1.clone();
    /// let (y, jac) = plan.eval_fn_inplace(g, &x, Chunk::<4>).unwrap();
    /// assert_eq!(y[0], 0.5f64.sin() * 0.5);
    /// assert_eq!(jac, &from_graph);
    /// ```
    ///
    /// # Panics
    /// If `N` is 0.
    pub fn eval_fn_inplace<F, const N: usize>(
        &mut self,
        f: F,
        x: &[f64],
        chunk: Chunk<N>,
    ) -> Result<(&[f64], &CscMatrix<f64>), GraphError>
    where
        F: Fn(&[Dual<f64, N>], &mut [Dual<f64, N>]),
    {
        self.no_params()?;
        self.eval_fn_inplace_with(|x, _, out| f(x, out), x, &[], chunk)
    }

    /// [`JacobianPlan::eval_fn_inplace`] for a graph recorded with parameters: `f(x, p, out)`,
    /// its parameters given as in [`JacobianPlan::eval_fn_with`] (dual numbers with zero
    /// tangents, kept by the plan). The same results and errors as [`JacobianPlan::eval_with`];
    /// allocates nothing after its first call with a given `N` (unless `f` itself does).
    ///
    /// # Panics
    /// If `N` is 0.
    pub fn eval_fn_inplace_with<F, const N: usize>(
        &mut self,
        f: F,
        x: &[f64],
        p: &[f64],
        _chunk: Chunk<N>,
    ) -> Result<(&[f64], &CscMatrix<f64>), GraphError>
    where
        F: Fn(&[Dual<f64, N>], &[Dual<f64, N>], &mut [Dual<f64, N>]),
    {
        self.check_with(x, p)?;
        let (fn_passes, params, mut out) = self.fn_passes::<N>(x, p);
        for pass in fn_passes.iter_mut() {
            pass.run_inplace(&f, params);
            out.store(pass.first, &pass.y);
        }
        Ok((&self.values, &self.jac))
    }

    /// [`JacobianPlan::eval_fn`] with the passes run on rayon's thread pool: the same results bit
    /// for bit. Each pass's `f` allocates its result (on the thread that runs it); the plan keeps
    /// the seeded inputs, as [`JacobianPlan::eval_fn`] does.
    #[cfg(feature = "rayon")]
    pub fn par_eval_fn<F, const N: usize>(
        &mut self,
        f: F,
        x: &[f64],
        chunk: Chunk<N>,
    ) -> Result<(&[f64], &CscMatrix<f64>), GraphError>
    where
        F: Fn(&[Dual<f64, N>]) -> Vec<Dual<f64, N>> + Sync,
    {
        self.no_params()?;
        self.par_eval_fn_with(|x, _| f(x), x, &[], chunk)
    }

    /// [`JacobianPlan::eval_fn_with`] with the passes run on rayon's thread pool: the same
    /// results bit for bit.
    #[cfg(feature = "rayon")]
    pub fn par_eval_fn_with<F, const N: usize>(
        &mut self,
        f: F,
        x: &[f64],
        p: &[f64],
        _chunk: Chunk<N>,
    ) -> Result<(&[f64], &CscMatrix<f64>), GraphError>
    where
        F: Fn(&[Dual<f64, N>], &[Dual<f64, N>]) -> Vec<Dual<f64, N>> + Sync,
    {
        use rayon::prelude::*;
        self.check_with(x, p)?;
        let (fn_passes, params, mut out) = self.fn_passes::<N>(x, p);
        fn_passes
            .par_iter_mut()
            .for_each(|pass| pass.y = f(&pass.x, params));
        for pass in fn_passes.iter() {
            out.store(pass.first, &pass.y);
        }
        Ok((&self.values, &self.jac))
    }

    /// [`JacobianPlan::eval_fn_inplace`] with the passes run on rayon's thread pool: the same
    /// results bit for bit.
    #[cfg(feature = "rayon")]
    pub fn par_eval_fn_inplace<F, const N: usize>(
        &mut self,
        f: F,
        x: &[f64],
        chunk: Chunk<N>,
    ) -> Result<(&[f64], &CscMatrix<f64>), GraphError>
    where
        F: Fn(&[Dual<f64, N>], &mut [Dual<f64, N>]) + Sync,
    {
        self.no_params()?;
        self.par_eval_fn_inplace_with(|x, _, out| f(x, out), x, &[], chunk)
    }

    /// [`JacobianPlan::eval_fn_inplace_with`] with the passes run on rayon's thread pool: the
    /// same results bit for bit.
    #[cfg(feature = "rayon")]
    pub fn par_eval_fn_inplace_with<F, const N: usize>(
        &mut self,
        f: F,
        x: &[f64],
        p: &[f64],
        _chunk: Chunk<N>,
    ) -> Result<(&[f64], &CscMatrix<f64>), GraphError>
    where
        F: Fn(&[Dual<f64, N>], &[Dual<f64, N>], &mut [Dual<f64, N>]) + Sync,
    {
        use rayon::prelude::*;
        self.check_with(x, p)?;
        let (fn_passes, params, mut out) = self.fn_passes::<N>(x, p);
        fn_passes
            .par_iter_mut()
            .for_each(|pass| pass.run_inplace(&f, params));
        for pass in fn_passes.iter() {
            out.store(pass.first, &pass.y);
        }
        Ok((&self.values, &self.jac))
    }

    /// [`GraphError::MissingParams`] if the graph has parameters (for the forms without them).
    fn no_params(&self) -> Result<(), GraphError> {
        super::pass::no_params(&self.program)
    }

    /// Checks the lengths of `x` and `p` and, if the recording has guards, the guards at `x` and
    /// `p` (on the function's own program, so that an error names its nodes).
    fn check_with(&mut self, x: &[f64], p: &[f64]) -> Result<(), GraphError> {
        super::pass::check_point(
            &self.program,
            self.pattern.ncols(),
            self.has_guards,
            &mut self.check_work,
            &mut self.check_out,
            x,
            p,
        )
    }

    /// The kept passes of width `N` of the generic-function path (made on the first call with
    /// this `N`), with `x` written into their inputs, the parameters `p` as dual numbers (zero
    /// tangents), and where their results go. `x` and `p` have been checked.
    #[allow(clippy::type_complexity)]
    fn fn_passes<const N: usize>(
        &mut self,
        x: &[f64],
        p: &[f64],
    ) -> (&mut [FnPass<N>], &[Dual<f64, N>], FnOutput<'_>) {
        assert!(
            N > 0,
            "JacobianPlan::eval_fn: the chunk width must be at least 1"
        );
        let m = self.values.len();
        let fresh = match &mut self.fn_buffers {
            Some(b) => b.as_any_mut().downcast_mut::<FnPasses<N>>().is_none(),
            None => true,
        };
        let (pattern, order) = (&self.pattern, self.order);
        let columns = self
            .columns
            .get_or_init(|| column_colouring(pattern, order));
        let entry_colours = self
            .entry_colours
            .get_or_init(|| pattern.entries().map(|(_, j)| columns.colour(j)).collect());
        if fresh {
            let colours = columns.colours();
            let passes = (0..columns.num_colours().max(1))
                .step_by(N)
                .map(|first| FnPass {
                    first,
                    x: colours
                        .iter()
                        .map(|&c| {
                            let mut d = Dual::constant(0.0);
                            if (first..first + N).contains(&c) {
                                d.eps[c - first] = 1.0;
                            }
                            d
                        })
                        .collect(),
                    y: Vec::new(),
                    m,
                })
                .collect();
            self.fn_buffers = Some(Box::new(FnPasses::<N> {
                passes,
                params: vec![Dual::constant(0.0); self.program.num_params()],
            }));
        }
        let FnPasses { passes, params } = self
            .fn_buffers
            .as_mut()
            .and_then(|b| b.as_any_mut().downcast_mut::<FnPasses<N>>())
            .expect("made above");
        for pass in passes.iter_mut() {
            for (d, &v) in pass.x.iter_mut().zip(x) {
                d.re = v;
            }
        }
        for (d, &v) in params.iter_mut().zip(p) {
            d.re = v;
        }
        let (_, rows) = self.pattern.parts();
        let out = FnOutput {
            values: &mut self.values,
            jac: self.jac.values_mut(),
            rows,
            entry_colours,
        };
        (passes, params, out)
    }
}

/// The buffers of one pass of the generic-function path: the inputs, seeded once with the unit
/// tangents of the colours `first..first + N` (each call writes only their values), and the
/// outputs of the in-place form (and of the parallel one, which keeps `f`'s result here).
#[derive(Clone, Debug)]
struct FnPass<const N: usize> {
    first: usize,
    x: Vec<Dual<f64, N>>,
    y: Vec<Dual<f64, N>>,
    /// the number of outputs
    m: usize,
}

impl<const N: usize> FnPass<N> {
    /// `f(x, p, y)` with `y` set to 0 first (m values; allocated on the first call only).
    fn run_inplace<F>(&mut self, f: &F, p: &[Dual<f64, N>])
    where
        F: Fn(&[Dual<f64, N>], &[Dual<f64, N>], &mut [Dual<f64, N>]),
    {
        self.y.clear();
        self.y.resize(self.m, Dual::constant(0.0));
        f(&self.x, p, &mut self.y);
    }
}

/// The passes of the generic-function path for one chunk width `N`, and the parameters they
/// share (dual numbers with zero tangents; empty for a graph without parameters).
#[derive(Clone, Debug)]
struct FnPasses<const N: usize> {
    passes: Vec<FnPass<N>>,
    params: Vec<Dual<f64, N>>,
}

/// The kept passes of the generic-function path, whatever their chunk width (a type parameter of
/// the call, not of the plan).
trait FnBuffers: core::any::Any + Send + Sync + core::fmt::Debug {
    fn clone_box(&self) -> Box<dyn FnBuffers>;
    fn as_any_mut(&mut self) -> &mut dyn core::any::Any;
}

impl<const N: usize> FnBuffers for FnPasses<N> {
    fn clone_box(&self) -> Box<dyn FnBuffers> {
        Box::new(self.clone())
    }
    fn as_any_mut(&mut self) -> &mut dyn core::any::Any {
        self
    }
}

impl Clone for Box<dyn FnBuffers> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// Where the generic-function path's results go.
struct FnOutput<'a> {
    values: &'a mut [f64],
    jac: &'a mut [f64],
    rows: &'a [usize],
    entry_colours: &'a [usize],
}

impl FnOutput<'_> {
    /// Stores the entries of the colours `first..first + N` (and the values, from the first pass).
    ///
    /// # Panics
    /// If `y` does not have one value per output.
    fn store<const N: usize>(&mut self, first: usize, y: &[Dual<f64, N>]) {
        assert_eq!(
            y.len(),
            self.values.len(),
            "JacobianPlan::eval_fn: f returned {}; expected {}, one per output of the graph",
            crate::base::text::count(y.len(), "value", "values"),
            self.values.len()
        );
        if first == 0 {
            for (v, yi) in self.values.iter_mut().zip(y) {
                *v = yi.re;
            }
        }
        for (pos, (&c, &i)) in self.entry_colours.iter().zip(self.rows).enumerate() {
            if (first..first + N).contains(&c) {
                self.jac[pos] = y[i].eps[c - first];
            }
        }
    }
}
