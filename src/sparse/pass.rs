//! One compressed forward pass over a graph program: inputs seeded with the unit tangents of a
//! range of colours, evaluated on `Dual<f64, W>` with the lane width W = the number of colours in
//! the range (1 to [`MAX_LANES`]), with its buffers kept between evaluations.

use crate::Dual;
use crate::graph::{Evaluator, GraphError, Program};

/// The most colours one pass carries (the crate's default chunk width: two AVX registers of f64).
pub(crate) const MAX_LANES: usize = crate::forward::DEFAULT_CHUNK;

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

    fn run(&mut self, program: &Program, x: &[f64]) -> Result<(), GraphError> {
        if x.len() != self.x.len() {
            return Err(GraphError::InputLength {
                expected: self.x.len(),
                found: x.len(),
            });
        }
        for (d, &v) in self.x.iter_mut().zip(x) {
            d.re = v;
        }
        let mut eval = Evaluator::from_work(program, core::mem::take(&mut self.work));
        let r = eval.eval_into(&self.x, &mut self.out);
        self.work = eval.into_work();
        r
    }

    /// [`Lanes::run`] with the parameters `p` (of a graph recorded with parameters).
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

/// A pass of any width from 1 to [`MAX_LANES`].
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
        }
    };
}

impl Pass {
    /// The passes for `num_colours` colours: ⌈num_colours / MAX_LANES⌉ of them, all of width
    /// [`MAX_LANES`] but the last, which takes the rest. Pass p covers colours
    /// `p·MAX_LANES .. p·MAX_LANES + width`.
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
                    _ => Pass::W8(Lanes::new(program, colours, first)),
                }
            })
            .collect()
    }

    /// Evaluates the program at `x` (an error if a guard comes out differently).
    ///
    /// `#[inline]`, as are the plans' `eval`s that call it: the interpreter instantiated for
    /// eight lane widths is most of this module's machine code, and an inline function is
    /// compiled where it is used, so a build that never evaluates a sparse plan does not compile
    /// it (nilpotent's own release build: 10 s → 5 s).
    #[inline]
    pub(crate) fn run(&mut self, program: &Program, x: &[f64]) -> Result<(), GraphError> {
        each!(self, l => l.run(program, x))
    }

    /// [`Pass::run`] with the parameters `p`.
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
