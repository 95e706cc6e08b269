//! A graph that records itself again where its function branches the other way:
//! [`CachedGraph`].

use super::{Graph, GraphError, Sym};

/// Which graph of the recorded function a [`CachedGraph`] evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Value,
    Gradient,
    Jacobian,
    Hessian,
}

/// Records the function at an input.
type Recorder<'f> = Box<dyn Fn(&[f64]) -> Graph + 'f>;

/// One recording: the graph evaluated, and the answers its guards were recorded with (the key
/// that tells variants apart).
struct Variant {
    graph: Graph,
    key: Vec<u64>,
}

/// A function recorded as a graph on demand, again at each input where a recorded branch does
/// not hold, keeping a few recordings (*variants*) for the branches seen.
///
/// A [`Graph`] is recorded at one point and evaluates the branch taken there: at an input where
/// the function branches the other way it returns [`GraphError::Guard`], and the caller records
/// again. `CachedGraph` does that itself (as JAX's `jit` traces again for a new shape, this one
/// records again for a failed guard): [`eval`](CachedGraph::eval) evaluates the variants it
/// keeps, most recently used first; the first whose guards all hold gives the outputs; if none
/// does, it records the function at this input (and its derivative graph, for
/// [`gradient`](CachedGraph::gradient), [`jacobian`](CachedGraph::jacobian),
/// [`hessian`](CachedGraph::hessian)), keeps the new variant, and evaluates it. At most
/// [`max_variants`](CachedGraph::max_variants) variants are kept (4 unless set); beyond that the
/// least recently used is dropped. [`recordings`](CachedGraph::recordings) counts the recordings
/// made, so a loop can see how often its function changed branch.
///
/// Every value is the one a graph recorded at that input gives, bit for bit: a variant is used
/// only where all its guards hold (never a branch the function would not take).
///
/// ```
/// use nilpotent::Real;
/// use nilpotent::graph::CachedGraph;
///
/// fn relu_sq<T: Real>(x: &[T]) -> T {
///     if x[0] > 0.0 { x[0] * x[0] * x[1] } else { x[1] * 0.5 }
/// }
/// let mut grad = CachedGraph::new(relu_sq).gradient(); // outputs: f, ∂f/∂x₀, ∂f/∂x₁
/// assert_eq!(grad.eval(&[3.0, 2.0]).unwrap(), vec![18.0, 12.0, 9.0]); // records (1)
/// assert_eq!(grad.eval(&[1.0, 1.0]).unwrap(), vec![1.0, 2.0, 1.0]); // the same branch
/// assert_eq!(grad.eval(&[-1.0, 4.0]).unwrap(), vec![2.0, 0.0, 0.5]); // records (2)
/// assert_eq!(grad.eval(&[5.0, 1.0]).unwrap(), vec![25.0, 10.0, 25.0]); // kept: no recording
/// assert_eq!((grad.recordings(), grad.variants()), (2, 2));
/// ```
///
/// The cost: a miss (an input on a branch no kept variant has) evaluates each variant up to its
/// first failing guard, then records and derives (as [`Graph::record`] and [`Graph::gradient`]
/// do). Evaluating through the interpreter allocates its work slots at each call; for a branch
/// that never changes, a [`Graph`] and an [`Evaluator`](super::Evaluator) are cheaper.
pub struct CachedGraph<'f> {
    record: Recorder<'f>,
    kind: Kind,
    variants: Vec<Variant>,
    max_variants: usize,
    recordings: usize,
    n_inputs: Option<usize>,
}

impl<'f> CachedGraph<'f> {
    /// The scalar function `f: ℝⁿ → ℝ` (as given to [`Graph::record`]), recorded at the first
    /// input it is evaluated at; its outputs are `[f]`.
    pub fn new<F>(f: F) -> CachedGraph<'f>
    where
        F: Fn(&[Sym]) -> Sym + 'f,
    {
        Self::with_recorder(Box::new(move |x| Graph::record(x, &f)))
    }

    /// The function `f: ℝⁿ → ℝᵐ` (as given to [`Graph::record_vec`]); its outputs are `f`'s.
    pub fn new_vec<F>(f: F) -> CachedGraph<'f>
    where
        F: Fn(&[Sym]) -> Vec<Sym> + 'f,
    {
        Self::with_recorder(Box::new(move |x| Graph::record_vec(x, &f)))
    }

    fn with_recorder(record: Recorder<'f>) -> CachedGraph<'f> {
        CachedGraph {
            record,
            kind: Kind::Value,
            variants: Vec::new(),
            max_variants: 4,
            recordings: 0,
            n_inputs: None,
        }
    }

    /// Evaluates the gradient graph instead ([`Graph::gradient`]: outputs `f, ∂f/∂x₀, …`; `f`
    /// scalar). Variants kept so far are dropped.
    pub fn gradient(self) -> CachedGraph<'f> {
        self.of(Kind::Gradient)
    }

    /// Evaluates the Jacobian graph instead ([`Graph::jacobian`]). Variants kept so far are
    /// dropped.
    pub fn jacobian(self) -> CachedGraph<'f> {
        self.of(Kind::Jacobian)
    }

    /// Evaluates the Hessian graph instead ([`Graph::hessian`]: outputs `f`, `∇f`, then `H` row
    /// by row; `f` scalar). Variants kept so far are dropped.
    pub fn hessian(self) -> CachedGraph<'f> {
        self.of(Kind::Hessian)
    }

    fn of(mut self, kind: Kind) -> CachedGraph<'f> {
        self.kind = kind;
        self.variants.clear();
        self
    }

    /// Keeps at most `k` variants (at least 1; 4 unless set): with more branches in use than
    /// variants kept, the least recently used is dropped and recorded again when needed.
    ///
    /// # Panics
    ///
    /// If `k` is 0 (a `CachedGraph` keeps the variant it evaluates).
    pub fn max_variants(mut self, k: usize) -> CachedGraph<'f> {
        assert!(
            k > 0,
            "CachedGraph::max_variants(0): a CachedGraph keeps at least the variant it evaluates"
        );
        self.max_variants = k;
        self.variants.truncate(k);
        self
    }

    /// The number of recordings made so far (one per miss: an input where no kept variant's
    /// guards held).
    pub fn recordings(&self) -> usize {
        self.recordings
    }

    /// The number of variants kept now (at most [`max_variants`](CachedGraph::max_variants)).
    pub fn variants(&self) -> usize {
        self.variants.len()
    }

    /// The variant used last (the graph evaluated: the function's, or its derivative graph), if
    /// any: to print, draw, emit or compile it.
    pub fn current(&self) -> Option<&Graph> {
        self.variants.first().map(|v| &v.graph)
    }

    /// The outputs at `x`, from the first kept variant whose guards all hold at `x`, or from a new
    /// recording at `x`. Errors: [`GraphError::InputLength`] if `x` does not have as many values
    /// as the first input evaluated; [`GraphError::Guard`] only if a graph recorded at `x` does
    /// not hold at `x` itself (a function that gives different answers to the same question).
    pub fn eval(&mut self, x: &[f64]) -> Result<Vec<f64>, GraphError> {
        if let Some(n) = self.n_inputs
            && n != x.len()
        {
            return Err(GraphError::InputLength {
                expected: n,
                found: x.len(),
            });
        }
        for k in 0..self.variants.len() {
            match self.variants[k].graph.eval(x) {
                Ok(out) => {
                    // most recently used first
                    self.variants[..=k].rotate_right(1);
                    return Ok(out);
                }
                Err(GraphError::Guard { .. } | GraphError::LoopGuard { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        let graph = (self.record)(x);
        self.recordings += 1;
        self.n_inputs = Some(graph.num_inputs());
        let key = graph.guards().iter().map(|g| g.expected).collect();
        let graph = match self.kind {
            Kind::Value => graph,
            Kind::Gradient => graph.gradient(),
            Kind::Jacobian => graph.jacobian(),
            Kind::Hessian => graph.hessian(),
        };
        let out = graph.eval(x)?;
        if self.variants.len() == self.max_variants {
            self.variants.pop();
        }
        self.variants.insert(0, Variant { graph, key });
        Ok(out)
    }

    /// The answers the guards of each kept variant's function graph were recorded with, most
    /// recently used first: what tells the variants apart (each is the list of a graph's guards'
    /// answers, as [`Observe::outcome`](super::Observe::outcome) and
    /// [`Compare::outcome`](super::Compare::outcome) number them).
    pub fn keys(&self) -> impl Iterator<Item = &[u64]> {
        self.variants.iter().map(|v| v.key.as_slice())
    }
}

impl core::fmt::Debug for CachedGraph<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CachedGraph")
            .field("kind", &self.kind)
            .field("variants", &self.variants.len())
            .field("max_variants", &self.max_variants)
            .field("recordings", &self.recordings)
            .finish()
    }
}
