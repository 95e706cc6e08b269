//! One evaluation interface over the backends: the interpreter, emitted Rust and the JIT.

use super::{Evaluator, Graph, GraphError};

/// A graph's function evaluated at `f64` inputs, whatever runs it: the interpreter
/// ([`Evaluator<f64>`](Evaluator)), emitted Rust source ([`Emitted`], from [`Graph::to_rust`]) or
/// native code compiled at run time (`Compiled`, from `Graph::compile`, feature `jit`). All three
/// give the same outputs bit for bit and the same errors, so code written against this trait
/// switches backends by changing the line that makes the evaluator:
///
/// ```
/// use nilpotent::graph::{Evaluate, Graph};
/// use num_traits::Float;
///
/// fn f<T: Float>(x: &[T]) -> T { x[0].ln() + x[0] * x[1] - x[1].sin() }
/// fn descend(grad: &mut impl Evaluate, x: &mut [f64]) {
///     let mut out = vec![0.0; grad.num_outputs()];
///     for _ in 0..10 {
///         grad.eval_into(x, &mut out).unwrap();
///         for (xi, gi) in x.iter_mut().zip(&out[1..]) {
///             *xi -= 0.01 * gi;
///         }
///     }
/// }
/// let g = Graph::record(&[2.0, 5.0], f).gradient();
/// let mut x = [2.0, 5.0];
/// descend(&mut g.program().evaluator::<f64>(), &mut x); // the interpreter
/// // descend(&mut g.compile().unwrap(), &mut x);        // the JIT (feature `jit`)
/// // descend(&mut Emitted::new(lecture_gradient, 2, 3), &mut x); // emitted, included source
/// ```
///
/// What each backend costs to make and to call, and when each pays: see the
/// [module documentation](super#backends-the-interpreter-emitted-rust-the-jit).
pub trait Evaluate {
    /// The number of inputs.
    fn num_inputs(&self) -> usize;
    /// The number of outputs.
    fn num_outputs(&self) -> usize;
    /// Evaluates at `x`, writing the outputs into `out`: an error, and no number, if a guard
    /// comes out differently at `x` than at the recording point, or if a length is wrong (as
    /// [`Graph::eval`]). `out` is written only on success.
    fn eval_into(&mut self, x: &[f64], out: &mut [f64]) -> Result<(), GraphError>;
    /// Evaluates at `x` and returns the outputs in a new vector.
    fn eval(&mut self, x: &[f64]) -> Result<Vec<f64>, GraphError> {
        let mut out = vec![0.0; self.num_outputs()];
        self.eval_into(x, &mut out)?;
        Ok(out)
    }
    /// The number of parameters (see [`Graph::record_with`]); 0 unless implemented.
    fn num_params(&self) -> usize {
        0
    }
    /// Evaluates at the inputs `x` and the parameters `p`, writing the outputs into `out`: as
    /// [`Evaluate::eval_into`], and [`GraphError::ParamLength`] if `p` does not have one value per
    /// parameter. (Without parameters: `eval_into` for an empty `p`.)
    fn eval_with_into(&mut self, x: &[f64], p: &[f64], out: &mut [f64]) -> Result<(), GraphError> {
        if !p.is_empty() {
            return Err(GraphError::ParamLength {
                expected: 0,
                found: p.len(),
            });
        }
        self.eval_into(x, out)
    }
    /// Evaluates at the inputs `x` and the parameters `p` and returns the outputs in a new vector.
    fn eval_with(&mut self, x: &[f64], p: &[f64]) -> Result<Vec<f64>, GraphError> {
        let mut out = vec![0.0; self.num_outputs()];
        self.eval_with_into(x, p, &mut out)?;
        Ok(out)
    }
}

impl Evaluate for Evaluator<'_, f64> {
    fn num_inputs(&self) -> usize {
        self.program().num_inputs()
    }
    fn num_outputs(&self) -> usize {
        self.program().num_outputs()
    }
    fn eval_into(&mut self, x: &[f64], out: &mut [f64]) -> Result<(), GraphError> {
        Evaluator::eval_into(self, x, out)
    }
    fn num_params(&self) -> usize {
        self.program().num_params()
    }
    fn eval_with_into(&mut self, x: &[f64], p: &[f64], out: &mut [f64]) -> Result<(), GraphError> {
        Evaluator::eval_with_into(self, x, p, out)
    }
}

impl<E: Evaluate + ?Sized> Evaluate for Box<E> {
    fn num_inputs(&self) -> usize {
        (**self).num_inputs()
    }
    fn num_outputs(&self) -> usize {
        (**self).num_outputs()
    }
    fn eval_into(&mut self, x: &[f64], out: &mut [f64]) -> Result<(), GraphError> {
        (**self).eval_into(x, out)
    }
    fn num_params(&self) -> usize {
        (**self).num_params()
    }
    fn eval_with_into(&mut self, x: &[f64], p: &[f64], out: &mut [f64]) -> Result<(), GraphError> {
        (**self).eval_with_into(x, p, out)
    }
}

/// The signature of a function emitted by [`Graph::to_rust`].
pub type EmittedFn = fn(&[f64], &mut [f64]) -> Result<(), GraphError>;

/// The signature of a function emitted by [`Graph::to_rust`] for a graph with parameters
/// (`fn name(x: &[f64], p: &[f64], out: &mut [f64])`).
pub type EmittedWithFn = fn(&[f64], &[f64], &mut [f64]) -> Result<(), GraphError>;

/// A function emitted by [`Graph::to_rust`] (and compiled into the program with `include!`),
/// seen through the [`Evaluate`] interface. The function checks the lengths of its arguments
/// itself; the numbers given here are what [`Evaluate::num_inputs`] and
/// [`Evaluate::num_outputs`] report.
///
/// ```
/// use nilpotent::graph::{Emitted, Evaluate, GraphError};
/// // what `Graph::record(&[0.0, 0.0], |x| vec![x[0] * x[1]]).to_rust("product")` emits, in short
/// fn product(x: &[f64], out: &mut [f64]) -> Result<(), GraphError> {
///     out[0] = x[0] * x[1];
///     Ok(())
/// }
/// let mut e = Emitted::new(product, 2, 1);
/// assert_eq!(e.eval(&[3.0, 4.0]).unwrap(), vec![12.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Emitted {
    f: EmittedFn,
    /// the function of a graph with parameters, and their number
    with: Option<(EmittedWithFn, usize)>,
    n_inputs: usize,
    n_outputs: usize,
}

/// The `EmittedFn` of an `Emitted` made from a function with parameters (never called: `with` is
/// called instead).
fn has_params(_: &[f64], _: &mut [f64]) -> Result<(), GraphError> {
    unreachable!("nilpotent::graph::Emitted: a function with parameters is called with them")
}

impl Emitted {
    /// The emitted function `f` of a graph with `n_inputs` inputs and `n_outputs` outputs.
    pub fn new(f: EmittedFn, n_inputs: usize, n_outputs: usize) -> Emitted {
        Emitted {
            f,
            with: None,
            n_inputs,
            n_outputs,
        }
    }

    /// The emitted function `f` of a graph with `n_inputs` inputs, `n_params` parameters and
    /// `n_outputs` outputs (what [`Graph::to_rust`] emits for a graph with parameters).
    ///
    /// ```
    /// use nilpotent::graph::{Emitted, Evaluate, GraphError};
    /// fn scaled(x: &[f64], p: &[f64], out: &mut [f64]) -> Result<(), GraphError> {
    ///     out[0] = p[0] * x[0];
    ///     Ok(())
    /// }
    /// let mut e = Emitted::with_params(scaled, 1, 1, 1);
    /// assert_eq!(e.eval_with(&[3.0], &[2.0]).unwrap(), vec![6.0]);
    /// assert!(e.eval(&[3.0]).is_err()); // the parameter is missing
    /// ```
    pub fn with_params(
        f: EmittedWithFn,
        n_inputs: usize,
        n_params: usize,
        n_outputs: usize,
    ) -> Emitted {
        Emitted {
            f: has_params,
            with: Some((f, n_params)),
            n_inputs,
            n_outputs,
        }
    }

    /// The emitted function `f` of the graph `g`, which has parameters (its numbers of inputs,
    /// parameters and outputs).
    pub fn of_with(g: &Graph, f: EmittedWithFn) -> Emitted {
        Emitted::with_params(f, g.num_inputs(), g.num_params(), g.num_outputs())
    }

    /// The emitted function `f` of the graph `g` (its numbers of inputs and outputs).
    pub fn of(g: &Graph, f: EmittedFn) -> Emitted {
        Emitted::new(f, g.num_inputs(), g.num_outputs())
    }

    /// The function (of a graph without parameters).
    ///
    /// # Panics
    /// If it was made by [`Emitted::with_params`] (see [`Emitted::function_with`]).
    pub fn function(&self) -> EmittedFn {
        assert!(
            self.with.is_none(),
            "nilpotent::graph::Emitted::function: this function takes parameters \
             (Emitted::function_with)"
        );
        self.f
    }

    /// The function of a graph with parameters (`None` for one made by [`Emitted::new`]).
    pub fn function_with(&self) -> Option<EmittedWithFn> {
        self.with.map(|(f, _)| f)
    }
}

impl Evaluate for Emitted {
    fn num_inputs(&self) -> usize {
        self.n_inputs
    }
    fn num_outputs(&self) -> usize {
        self.n_outputs
    }
    fn eval_into(&mut self, x: &[f64], out: &mut [f64]) -> Result<(), GraphError> {
        match self.with {
            None => (self.f)(x, out),
            Some((_, n_params)) => Err(GraphError::MissingParams { expected: n_params }),
        }
    }
    fn num_params(&self) -> usize {
        self.with.map_or(0, |(_, n)| n)
    }
    fn eval_with_into(&mut self, x: &[f64], p: &[f64], out: &mut [f64]) -> Result<(), GraphError> {
        match self.with {
            Some((f, _)) => f(x, p, out),
            None if p.is_empty() => (self.f)(x, out),
            None => Err(GraphError::ParamLength {
                expected: 0,
                found: p.len(),
            }),
        }
    }
}
