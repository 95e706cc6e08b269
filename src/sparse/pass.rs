//! One compressed forward pass over a graph program: inputs seeded with the unit tangents of a
//! range of colours, evaluated on `Dual<f64, W>` with the lane width W = the number of colours in
//! the range (1 to 8), or 12 or 16 for 9 to 16 colours, with its buffers kept between evaluations.

use super::sweep::Tape;
use crate::forward::Dual;
use crate::graph::{Evaluator, Graph, GraphError, Program};

/// The most colours one pass carries. One pass of 16 lanes costs less than two of 8 (the
/// interpreter's dispatch and the values are paid once): 9 to 16 colours take one pass.
pub(crate) const MAX_LANES: usize = 16;

/// The buffers of a pass of width `W`.
#[derive(Clone, Debug)]
pub(crate) struct Lanes<const W: usize> {
    /// the inputs: tangents seeded once, values written by each evaluation
    x: Vec<Dual<f64, W>>,
    /// the parameters (constants: no tangent), written by each evaluation with parameters
    p: Vec<Dual<f64, W>>,
    out: Vec<Dual<f64, W>>,
    work: Vec<Dual<f64, W>>,
}

impl<const W: usize> Lanes<W> {
    /// Input j gets tangent e_k where `colours[j] == first + k` (k < W).
    fn new(program: &Program, colours: &[usize], first: usize) -> Self {
        let x = colours
            .iter()
            .map(|&c| {
                let mut d = Dual::constant(0.0);
                if (first..first + W).contains(&c) {
                    d.eps[c - first] = 1.0;
                }
                d
            })
            .collect();
        Lanes {
            x,
            p: vec![Dual::constant(0.0); program.num_params()],
            out: vec![Dual::constant(0.0); program.num_outputs()],
            work: program.evaluator::<Dual<f64, W>>().into_work(),
        }
    }

    /// Evaluates the program at the inputs `x` and the parameters `p` (empty for a graph
    /// without parameters).
    fn run_with(&mut self, program: &Program, x: &[f64], p: &[f64]) -> Result<(), GraphError> {
        if x.len() != self.x.len() {
            return Err(GraphError::InputLength {
                expected: self.x.len(),
                found: x.len(),
            });
        }
        if p.len() != self.p.len() {
            return Err(GraphError::ParamLength {
                expected: self.p.len(),
                found: p.len(),
            });
        }
        for (d, &v) in self.x.iter_mut().zip(x) {
            d.re = v;
        }
        for (d, &v) in self.p.iter_mut().zip(p) {
            d.re = v;
        }
        let mut eval = Evaluator::from_work(program, core::mem::take(&mut self.work));
        let r = eval.eval_with_into(&self.x, &self.p, &mut self.out);
        self.work = eval.into_work();
        r
    }
}

/// A pass of width 1 to 8, 12 or 16 ([`MAX_LANES`]).
#[derive(Clone, Debug)]
pub(crate) enum Pass {
    W1(Lanes<1>),
    W2(Lanes<2>),
    W3(Lanes<3>),
    W4(Lanes<4>),
    W5(Lanes<5>),
    W6(Lanes<6>),
    W7(Lanes<7>),
    W8(Lanes<8>),
    W12(Lanes<12>),
    W16(Lanes<16>),
}

macro_rules! each {
    ($self:expr, $l:ident => $e:expr) => {
        match $self {
            Pass::W1($l) => $e,
            Pass::W2($l) => $e,
            Pass::W3($l) => $e,
            Pass::W4($l) => $e,
            Pass::W5($l) => $e,
            Pass::W6($l) => $e,
            Pass::W7($l) => $e,
            Pass::W8($l) => $e,
            Pass::W12($l) => $e,
            Pass::W16($l) => $e,
        }
    };
}

impl Pass {
    /// The passes for `num_colours` colours: ⌈num_colours / MAX_LANES⌉ of them, all of width
    /// [`MAX_LANES`] but the last, which takes the rest (its width rounded up to 12 or 16 above
    /// 8; the extra lanes are unseeded). Pass p covers colours `p·MAX_LANES ..`
    /// `p·MAX_LANES + MAX_LANES`.
    /// With no colour at all (no inputs), one pass of width 1 without seeds gives the values.
    pub(crate) fn plan(program: &Program, colours: &[usize], num_colours: usize) -> Vec<Pass> {
        (0..num_colours.max(1))
            .step_by(MAX_LANES)
            .map(|first| {
                let width = num_colours.saturating_sub(first).clamp(1, MAX_LANES);
                match width {
                    1 => Pass::W1(Lanes::new(program, colours, first)),
                    2 => Pass::W2(Lanes::new(program, colours, first)),
                    3 => Pass::W3(Lanes::new(program, colours, first)),
                    4 => Pass::W4(Lanes::new(program, colours, first)),
                    5 => Pass::W5(Lanes::new(program, colours, first)),
                    6 => Pass::W6(Lanes::new(program, colours, first)),
                    7 => Pass::W7(Lanes::new(program, colours, first)),
                    8 => Pass::W8(Lanes::new(program, colours, first)),
                    9..=12 => Pass::W12(Lanes::new(program, colours, first)),
                    _ => Pass::W16(Lanes::new(program, colours, first)),
                }
            })
            .collect()
    }

    /// Evaluates the program at the inputs `x` and the parameters `p` (empty for a graph
    /// without parameters; an error if a guard comes out differently, or a length is wrong).
    ///
    /// `#[inline]`, as are the plans' `eval`s that call it: the interpreter instantiated for
    /// ten lane widths is most of this module's machine code, and an inline function is
    /// compiled where it is used, so a build that never evaluates a sparse plan does not compile
    /// it (nilpotent's own release build: 10 s → 5 s).
    #[inline]
    pub(crate) fn run_with(
        &mut self,
        program: &Program,
        x: &[f64],
        p: &[f64],
    ) -> Result<(), GraphError> {
        each!(self, l => l.run_with(program, x, p))
    }

    /// Output k's value.
    pub(crate) fn value(&self, k: usize) -> f64 {
        each!(self, l => l.out[k].re)
    }

    /// The values of the outputs `first..first + values.len()`, into `values`.
    pub(crate) fn values_into(&self, first: usize, values: &mut [f64]) {
        each!(self, l => {
            for (v, o) in values.iter_mut().zip(&l.out[first..]) {
                *v = o.re;
            }
        })
    }

    /// For each entry of `map`: `dst[pos] = ` the tangent of output `output` in lane `lane`.
    pub(crate) fn gather(&self, map: &[Entry], dst: &mut [f64]) {
        each!(self, l => {
            for e in map {
                dst[e.pos] = l.out[e.output].eps[e.lane];
            }
        })
    }
}

/// Where an entry of a sparse result comes from: `values[pos]` is output `output`'s tangent in
/// lane `lane` of one pass.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    pub(crate) pos: usize,
    pub(crate) output: usize,
    pub(crate) lane: usize,
}

/// The buffers of a pass of Hessian-vector products of width `W`, forward over a reverse sweep
/// at run time: the inputs seeded with the unit tangents of W colours, the function's tape in
/// `Dual<f64, W>` (values and local partials), and the adjoints, whose tangents are then
/// (H·S)ᵢ,c. The rules' branches (`abs`'s sign, a `max` choice) are taken at each input anew, so
/// the pass has no guards but the function's own (checked by the caller).
#[derive(Clone, Debug)]
pub(crate) struct HvpLanes<const W: usize> {
    x: Vec<Dual<f64, W>>,
    /// the parameters (constants: no tangent), written by each evaluation with parameters
    p: Vec<Dual<f64, W>>,
    tape: Tape<Dual<f64, W>>,
    adj: Vec<Dual<f64, W>>,
}

impl<const W: usize> HvpLanes<W> {
    fn new(g: &Graph, colours: &[usize], first: usize) -> Self {
        let x = colours
            .iter()
            .map(|&c| {
                let mut d = Dual::constant(0.0);
                if (first..first + W).contains(&c) {
                    d.eps[c - first] = 1.0;
                }
                d
            })
            .collect();
        let tape = Tape::new(g);
        HvpLanes {
            x,
            p: vec![Dual::constant(0.0); g.num_params()],
            adj: vec![Dual::constant(0.0); tape.len()],
            tape,
        }
    }

    fn run(&mut self, x: &[f64], p: &[f64]) {
        for (d, &v) in self.x.iter_mut().zip(x) {
            d.re = v;
        }
        for (d, &v) in self.p.iter_mut().zip(p) {
            d.re = v;
        }
        self.tape.forward(&self.x, &self.p);
        self.tape.gradient(&mut self.adj);
    }
}

/// A pass of Hessian-vector products of width 1 to 8, 12 or 16 ([`MAX_LANES`]).
#[derive(Clone, Debug)]
pub(crate) enum HvpPass {
    W1(HvpLanes<1>),
    W2(HvpLanes<2>),
    W3(HvpLanes<3>),
    W4(HvpLanes<4>),
    W5(HvpLanes<5>),
    W6(HvpLanes<6>),
    W7(HvpLanes<7>),
    W8(HvpLanes<8>),
    W12(HvpLanes<12>),
    W16(HvpLanes<16>),
}

macro_rules! each_hvp {
    ($self:expr, $l:ident => $e:expr) => {
        match $self {
            HvpPass::W1($l) => $e,
            HvpPass::W2($l) => $e,
            HvpPass::W3($l) => $e,
            HvpPass::W4($l) => $e,
            HvpPass::W5($l) => $e,
            HvpPass::W6($l) => $e,
            HvpPass::W7($l) => $e,
            HvpPass::W8($l) => $e,
            HvpPass::W12($l) => $e,
            HvpPass::W16($l) => $e,
        }
    };
}

impl HvpPass {
    /// The passes for `num_colours` colours, as [`Pass::plan`] makes them.
    pub(crate) fn plan(g: &Graph, colours: &[usize], num_colours: usize) -> Vec<HvpPass> {
        (0..num_colours.max(1))
            .step_by(MAX_LANES)
            .map(|first| {
                let width = num_colours.saturating_sub(first).clamp(1, MAX_LANES);
                match width {
                    1 => HvpPass::W1(HvpLanes::new(g, colours, first)),
                    2 => HvpPass::W2(HvpLanes::new(g, colours, first)),
                    3 => HvpPass::W3(HvpLanes::new(g, colours, first)),
                    4 => HvpPass::W4(HvpLanes::new(g, colours, first)),
                    5 => HvpPass::W5(HvpLanes::new(g, colours, first)),
                    6 => HvpPass::W6(HvpLanes::new(g, colours, first)),
                    7 => HvpPass::W7(HvpLanes::new(g, colours, first)),
                    8 => HvpPass::W8(HvpLanes::new(g, colours, first)),
                    9..=12 => HvpPass::W12(HvpLanes::new(g, colours, first)),
                    _ => HvpPass::W16(HvpLanes::new(g, colours, first)),
                }
            })
            .collect()
    }

    /// The value, the gradient and the Hessian-vector products at the inputs `x` and the
    /// parameters `p` (whose lengths the caller has checked; `p` is empty without parameters).
    #[inline]
    pub(crate) fn run(&mut self, x: &[f64], p: &[f64]) {
        each_hvp!(self, l => l.run(x, p))
    }

    /// The function's value.
    pub(crate) fn value(&self) -> f64 {
        each_hvp!(self, l => l.tape.output(0).re)
    }

    /// The gradient, into `grad`.
    pub(crate) fn gradient_into(&self, grad: &mut [f64]) {
        each_hvp!(self, l => {
            for (g, a) in grad.iter_mut().zip(&l.adj) {
                *g = a.re;
            }
        })
    }

    /// For each entry of `map`: `dst[pos] = ` lane `lane` of (H·S) in row `output - 1`.
    pub(crate) fn gather(&self, map: &[Entry], dst: &mut [f64]) {
        each_hvp!(self, l => {
            for e in map {
                dst[e.pos] = l.adj[e.output - 1].eps[e.lane];
            }
        })
    }
}

/// [`GraphError::MissingParams`] if `program` has parameters: what a plan's forms without
/// parameters (`eval`, `par_eval`, `eval_fn` and its forms) answer for such a graph.
pub(crate) fn no_params(program: &Program) -> Result<(), GraphError> {
    match program.num_params() {
        0 => Ok(()),
        expected => Err(GraphError::MissingParams { expected }),
    }
}

/// What every plan checks before it evaluates at the inputs `x` and the parameters `p`: their
/// lengths (`n` inputs, `program`'s parameters) and, if the function has guards, its guards at
/// `(x, p)`, on its own `program` so that an error names its nodes (`work` and `out` are the
/// plan's buffers for that evaluation).
pub(crate) fn check_point(
    program: &Program,
    n: usize,
    has_guards: bool,
    work: &mut Vec<f64>,
    out: &mut [f64],
    x: &[f64],
    p: &[f64],
) -> Result<(), GraphError> {
    if x.len() != n {
        return Err(GraphError::InputLength {
            expected: n,
            found: x.len(),
        });
    }
    let np = program.num_params();
    if p.len() != np {
        return Err(GraphError::ParamLength {
            expected: np,
            found: p.len(),
        });
    }
    if has_guards {
        let mut eval = Evaluator::from_work(program, core::mem::take(work));
        let r = eval.eval_with_into(x, p, out);
        *work = eval.into_work();
        r?;
    }
    Ok(())
}
