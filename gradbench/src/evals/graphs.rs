//! Derivative graphs recorded once per shape and kept for the rest of the run.
//!
//! An eval whose derivative is a graph (the data passed as the graph's parameters, so that a new
//! input of the same shape needs no new recording) records, differentiates and compiles it the
//! first time it sees a shape, outside the timed runs: that one-off work is reported as a timing
//! named `"record"` (not `"evaluate"`, so GradBench's score leaves it out, as it leaves out the C++
//! tools' `"prepare"`, where ADOL-C records its tape). A later input of the same shape is answered
//! from the kept graph, and its response has no `"record"` timing — unless the kept graph's guards
//! (the branches taken at its recording point, e.g. which entry a `max` picked) fail at the new
//! input: then the graph is recorded again at this input and replaces the kept one (the failed
//! run's time is dropped, the new recording's time is the `"record"` timing). A shape whose
//! graph cannot be recorded (the recording panics) is answered by the tape, now and later.
//!
//! The backend is the eval's choice unless the environment variable `NILPOTENT_GRADBENCH_MODE`
//! says `tape`, `interpreter` or `jit` (for measuring one mode against another; every eval that
//! uses this module also has a tape path).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use nilpotent::graph::{Evaluate, Graph, GraphError};

use crate::{Runs, timed, timed_ok};

/// How an eval computes its derivative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// the tape (`nilpotent::reverse`), recorded at every run
    Tape,
    /// a graph recorded once, run by the interpreter
    Interpreter,
    /// a graph recorded once, compiled to native code (Cranelift, the crate's feature `jit`)
    Jit,
}

impl Mode {
    /// The eval's `default`, or the mode `NILPOTENT_GRADBENCH_MODE` names (an error for any other
    /// value, rather than a silent default).
    pub fn chosen(default: Mode) -> Result<Mode, String> {
        match std::env::var("NILPOTENT_GRADBENCH_MODE").as_deref() {
            Err(_) | Ok("") => Ok(default),
            Ok("tape") => Ok(Mode::Tape),
            Ok("interpreter") => Ok(Mode::Interpreter),
            Ok("jit") => Ok(Mode::Jit),
            Ok(other) => Err(format!(
                "NILPOTENT_GRADBENCH_MODE = {other:?}: expected tape, interpreter or jit"
            )),
        }
    }
}

/// A kept derivative graph, ready to evaluate.
pub type Kept = Rc<RefCell<Box<dyn Evaluate>>>;

thread_local! {
    /// The graphs recorded so far, by eval, shape and mode (`None`: the shape's graph could not be
    /// recorded, the eval uses the tape for it).
    static KEPT: RefCell<HashMap<String, Option<Kept>>> = RefCell::new(HashMap::new());
}

/// What [`run_kept_with`] did (the default: nothing yet, so the tape).
#[derive(Default)]
struct Ran {
    /// one duration per run, or `None` if the graph could not be recorded for this shape (the
    /// recording panicked: e.g. a loop body whose derivative takes more paths through the branches
    /// of its rules than the crate allows): the eval then uses the tape for this shape, now and
    /// later
    times: Option<Vec<Duration>>,
    /// the time spent recording, differentiating and compiling for this input, if it happened
    /// (also when the recording failed)
    record: Option<Duration>,
}

/// An eval's gradient, answered by [`gradient`].
pub struct Gradient {
    /// the gradient (of the last run)
    pub g: Vec<f64>,
    /// one duration per run
    pub times: Vec<Duration>,
    /// the time spent recording, differentiating and compiling a graph for this input, if it
    /// happened (also when the recording failed)
    pub record: Option<Duration>,
}

/// The gradient at the inputs `x` of a function with parameters `p`, run and timed as `runs`
/// says, in the mode `default` unless `NILPOTENT_GRADBENCH_MODE` names another:
///
/// - `Interpreter` or `Jit`: by the graph kept under `key` (see [`run_kept_with`]), made by
///   `record(p)` (a gradient graph: its outputs are the value, then the gradient in `x`) if there
///   is none yet; every run first fills `p` by `params(x, p)` (pass `|_, _| {}` for parameters that
///   do not depend on `x`);
/// - `Tape`, or a graph mode for a shape whose graph could not be recorded: by `tape(g)`, which
///   writes the gradient into `g` (`x.len()` numbers), run and timed as `runs` says.
pub fn gradient(
    key: &str,
    default: Mode,
    record: impl Fn(&[f64]) -> Graph,
    (x, p): (&[f64], &mut [f64]),
    params: impl FnMut(&[f64], &mut [f64]),
    runs: Runs,
    mut tape: impl FnMut(&mut [f64]),
) -> Result<Gradient, String> {
    let mut g = vec![0.0; x.len()];
    let mut ran = Ran::default();
    let mode = Mode::chosen(default)?;
    if mode != Mode::Tape {
        let mut out = vec![0.0; 1 + x.len()];
        ran = run_kept_with(key, mode, record, (x, p), params, &mut out, runs)?;
        g.copy_from_slice(&out[1..]);
    }
    let times = match ran.times {
        Some(times) => times,
        None => timed(runs, || tape(&mut g)).1,
    };
    Ok(Gradient {
        g,
        times,
        record: ran.record,
    })
}

/// Evaluates the graph kept under `key` for `mode` (`Interpreter` or `Jit`) at the inputs `x` and
/// parameters `p` into `out`, as `runs` says: made by `record(p)` if there is none yet, or made
/// again if a guard of the kept one fails at `x` and `p`. Every run (timed) first fills `p` by
/// `params(x, p)`, then evaluates the graph at `x` and `p` (lse's shift, the largest xᵢ, is such a
/// parameter); a recording, if one is needed, is `record(p)` after `p` was filled.
fn run_kept_with(
    key: &str,
    mode: Mode,
    record: impl Fn(&[f64]) -> Graph,
    (x, p): (&[f64], &mut [f64]),
    mut params: impl FnMut(&[f64], &mut [f64]),
    out: &mut [f64],
    runs: Runs,
) -> Result<Ran, String> {
    params(x, p);
    let key = format!("{key} {mode:?}");
    let mut recorded = None;
    loop {
        let graph = match KEPT.with(|m| m.borrow().get(&key).cloned()) {
            Some(Some(g)) => g,
            Some(None) => {
                return Ok(Ran {
                    times: None,
                    record: recorded,
                });
            }
            None => {
                let start = Instant::now();
                let g = make(&key, mode, || record(p))?;
                recorded = Some(start.elapsed());
                KEPT.with(|m| m.borrow_mut().insert(key.clone(), g));
                continue;
            }
        };
        let mut graph = graph.borrow_mut();
        match timed_ok(runs, || {
            params(x, p);
            graph.eval_with_into(x, p, out)
        }) {
            Ok(times) => {
                return Ok(Ran {
                    times: Some(times),
                    record: recorded,
                });
            }
            Err(GraphError::Guard { .. } | GraphError::LoopGuard { .. }) if recorded.is_none() => {
                // the kept graph branches otherwise here: record it again at this input
                KEPT.with(|m| m.borrow_mut().remove(&key));
            }
            Err(e) => return Err(format!("the derivative graph: {e}")),
        }
    }
}

/// Records the graph and makes its evaluator for `mode`; `None` if the recording panicked (the
/// panic's message goes to stderr).
///
/// With `NILPOTENT_GRADBENCH_VERBOSE` set (not empty), one line on stderr says what was made: the
/// graph's operations and, for the JIT, the code's size and how many of its loop nodes run as
/// loops in the code against how many call a compiled body once per iteration
/// (`Compiled::loops_in_code`).
fn make(key: &str, mode: Mode, record: impl Fn() -> Graph) -> Result<Option<Kept>, String> {
    let start = Instant::now();
    let Ok(graph) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(record)) else {
        note(&format!(
            "{key}: the recording panicked, the tape answers this shape"
        ));
        return Ok(None);
    };
    let (ops, recorded) = (graph.len(), start.elapsed());
    let eval: Box<dyn Evaluate> = match mode {
        Mode::Jit => {
            let start = Instant::now();
            let compiled = graph
                .compile()
                .map_err(|e| format!("the derivative graph does not compile: {e}"))?;
            let (in_code, called) = compiled.loops_in_code();
            note(&format!(
                "{key}: {ops} operations, {} B of code, loops in the code {in_code}, called per \
                 iteration {called}; recorded and differentiated in {:.3} s, compiled in {:.3} s",
                compiled.code_size(),
                recorded.as_secs_f64(),
                start.elapsed().as_secs_f64()
            ));
            Box::new(compiled)
        }
        // an interpreter's evaluator borrows its program: the graph is kept for the rest of the
        // process (one per shape)
        Mode::Interpreter => {
            note(&format!(
                "{key}: {ops} operations, interpreter; recorded and differentiated in {:.3} s",
                recorded.as_secs_f64()
            ));
            Box::new(Box::leak(Box::new(graph)).program().evaluator::<f64>())
        }
        Mode::Tape => return Err("the tape keeps no graph".into()),
    };
    Ok(Some(Rc::new(RefCell::new(eval))))
}

/// Writes `what` to stderr if `NILPOTENT_GRADBENCH_VERBOSE` is set and not empty.
fn note(what: &str) {
    if std::env::var_os("NILPOTENT_GRADBENCH_VERBOSE").is_some_and(|v| !v.is_empty()) {
        eprintln!("nilpotent-gradbench: {what}");
    }
}
