//! The JIT (feature `jit`): a graph compiled to native code at run time with Cranelift.
//!
//! The graph becomes one function
//! `fn(x: *const f64, out: *mut f64, found: *mut u64, work: *mut f64) -> u64`: straight-line code
//! over SSA values (Cranelift allocates the registers), the nodes in the graph's order, each guard
//! checked where the interpreter checks it (a failing one stores its answer in `*found` and returns
//! its index + 1), the outputs stored at the end, 0 returned. Values that live long are kept in
//! `work`, a work area on the heap (see [`spill_slots`]), so the machine stack frame stays small
//! whatever the size of the graph. A loop node whose body has one variant without guards is a loop
//! in this function's code (see `Gen::lower_loop`); any other calls back into Rust, which calls
//! its body's compiled variants once per iteration (`run_loop`).
//!
//! Bit for bit: `+`, `−`, `×`, `/`, `neg`, `sqrt`, `abs` and `recip` (`1/x`) are single IEEE
//! instructions, which round exactly as Rust's operators and methods do; `signum` is a
//! `copysign` and a select (as std's: `f64::NAN` for a NaN); `powi` with a constant exponent is the
//! repeated squaring of the runtime's `powi` (the same products in the same order); `⊙` is a
//! product with its bits cleared where a factor is 0, or the same bits by cheaper means where a
//! factor is a known constant or the `⊙` is on a short loop-carried chain (see `Gen::chain_mul`);
//! `neg` flips the sign bit with an `xor`. Every other function — `sin`, `exp`, `powf`, `max`,
//! `mul_add`, `round`, … — is a call, through a function pointer, of a small `extern "C"`
//! function that calls std's `f64` method, which is what the interpreter calls (for `max` and
//! `min`, the crate's [`rules::max`](crate::rules::max) and [`rules::min`](crate::rules::min)). No
//! operation is fused or reassociated (Cranelift does neither), and no fused multiply-add is used
//! but for `mul_add` nodes.

use core::cell::Cell;
use core::mem::{ManuallyDrop, MaybeUninit};
use std::fmt;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    AbiParam, BlockArg, InstBuilder, MemFlagsData, Signature, Type, Value as Val, types,
};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module};

use std::sync::Arc;

use super::guard::{GraphError, Test, Words};
use super::ir::Node;
use super::loops::{LoopDef, Window};
use super::schedule::Schedule;
use super::{Evaluate, Graph};
use crate::base::elementary::elementary;
use crate::base::observe::{Compare, Observe};
use crate::base::rules::{Binary, Unary};

/// Why a graph could not be compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompileError {
    /// Cranelift cannot generate code for this machine (its architecture or operating system is
    /// not supported, or a processor feature it needs is missing). The interpreter
    /// ([`Graph::program`]) works everywhere.
    UnsupportedHost(String),
    /// Cranelift failed to compile the function (a bug: please report it with the graph).
    Codegen(String),
    /// The graph applies a custom rule ([`crate::custom`]), which the JIT does not compile (it
    /// calls Rust code the JIT cannot see). The interpreter ([`Graph::program`]) evaluates it, and
    /// emitted Rust ([`Graph::to_rust`]) calls the rule's `rust_path`.
    ///
    /// ```
    /// use nilpotent::custom::{Custom, UnaryRule};
    /// use nilpotent::graph::{CompileError, Graph};
    /// #[derive(Clone, Copy)]
    /// struct Sq;
    /// impl UnaryRule for Sq {
    ///     fn name(&self) -> &'static str { "sq" }
    ///     fn value(&self, x: f64) -> f64 { x * x }
    ///     fn derivative<T: Custom>(&self, x: T) -> T { x + x }
    /// }
    /// let g = Graph::record(&[3.0], |x| x[0].custom(&Sq));
    /// assert_eq!(g.compile().unwrap_err(), CompileError::CustomRule { rule: "sq".into() });
    /// ```
    CustomRule {
        /// the rule's name
        rule: String,
    },
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompileError::UnsupportedHost(why) => write!(
                f,
                "this host is not supported by the JIT (Cranelift: {why}); use the interpreter \
                 (Graph::program) or emitted Rust (Graph::to_rust) instead"
            ),
            CompileError::Codegen(why) => write!(f, "Cranelift could not compile the graph: {why}"),
            CompileError::CustomRule { rule } => write!(
                f,
                "the graph applies the custom rule `{rule}`, which the JIT does not compile; use \
                 the interpreter (Graph::program) or emitted Rust (Graph::to_rust with the rule's \
                 rust_path) instead"
            ),
        }
    }
}

impl std::error::Error for CompileError {}

/// The compiled function: `x` has the graph's number of inputs, `out` its number of outputs,
/// `found` one writable `u64`, `work` the function's number of work slots (any pointer if none),
/// `p` the graph's number of parameters (read only by a graph with parameters); returns 0, or
/// k + 1 after storing guard k's answer in `*found`.
type RawFn = unsafe extern "C" fn(*const f64, *mut f64, *mut u64, *mut f64, *const f64) -> u64;

/// Work areas of up to this many `f64` slots are on the stack of [`Compiled::eval_into`] (2 KiB),
/// larger ones in the thread's work area: a thread-local access costs more than the evaluation of
/// a small graph.
const LOCAL_WORK: usize = 256;

thread_local! {
    /// The work area of the compiled functions evaluated on this thread: as long as the largest
    /// one's ([`Compiled::eval_into`] takes it out while it runs).
    static WORK: Cell<Vec<f64>> = const { Cell::new(Vec::new()) };
}

/// A graph compiled to native code by [`Graph::compile`] (feature `jit`). [`Compiled::eval`] and
/// [`Compiled::eval_into`] behave exactly like [`Graph::eval`] and the interpreter's
/// [`Evaluator::eval_into`](super::Evaluator::eval_into): the same outputs bit for bit (NaNs
/// aside, whose payload is not specified), the same errors. Calls take `&self` and allocate
/// nothing (but [`Compiled::eval`]'s result, a work area per thread, see below, and for a graph
/// with loop nodes the buffers of each loop's body, per call), and a `Compiled` can be shared
/// between threads.
///
/// A loop node ([`crate::sum_map`], [`crate::scan`], …) stays a loop, so the code does not grow
/// with the data. A loop whose body has one variant without guards (no branch) is a loop in the
/// machine code itself: the body's code inside the graph's, each window read where it is (at
/// k·stride of its sequence), the state and up to 8 sums in registers, the stacked values stored
/// at their place, the same operations in the same order as the interpreter. Any other loop (a
/// body with branches, or with a loop in it) runs through a call per iteration: each variant of
/// its body compiled as a function of its own, the first whose guards hold run, as the
/// interpreter tries them. [`Compiled::loops_in_code`] says which.
///
/// The values the code keeps for long (in a gradient graph, most of the function's, until the
/// reverse sweep reads them) live in a work area, not in the machine code's stack frame, so a
/// compiled graph of any size runs on a thread with a small stack (Rust's and rayon's default of
/// 2 MiB): up to 256 such values in a buffer on the stack of the call (2 KiB), more in a work area
/// on the heap that each thread keeps, as large as the largest a compiled function has needed on
/// it (8 bytes per value live at once), reused by every later call and freed when the thread
/// ends; the first call on a thread that needs more allocates it.
///
/// ```
/// # #[cfg(feature = "jit")] {
/// use nilpotent::graph::Graph;
/// use num_traits::Float;
/// fn f<T: Float>(x: &[T]) -> T { x[0].ln() + x[0] * x[1] - x[1].sin() }
/// let g = Graph::record(&[2.0, 5.0], f).gradient();
/// let compiled = g.compile().unwrap();
/// assert_eq!(compiled.eval(&[2.0, 5.0]).unwrap(), g.eval(&[2.0, 5.0]).unwrap());
/// # }
/// ```
pub struct Compiled {
    /// the graph's code, in pieces run one after the other (see [`CHUNK`]): the first piece,
    /// and the others
    first: RawFn,
    rest: Box<[RawFn]>,
    n_inputs: usize,
    n_params: usize,
    n_outputs: usize,
    /// per guard: the question and the answer at the recording point (for the error)
    guards: Vec<(Test, u64)>,
    /// per guard: its operands as the user wrote them and where (for the error)
    words: Box<[Words]>,
    code_size: usize,
    /// the number of `f64` slots of the work area the code keeps long-lived values in (and the
    /// loops' operands and results)
    n_work: usize,
    /// the loop nodes' loops, with their bodies compiled for those the code does not write as
    /// loops (the code calls [`run_loop`] with a pointer to one; their addresses are fixed: a
    /// boxed slice, never changed). Read by that code and by [`Compiled::loops_in_code`].
    loops: Box<[LoopRt]>,
    /// the graph, for the error of an iteration of a loop that no variant of its body accepts
    /// (made again by the interpreter: the error path only); `None` without loops called per
    /// iteration
    graph: Option<Box<Graph>>,
    /// owns the memory `func` points into; freed on drop
    module: ManuallyDrop<JITModule>,
}

// SAFETY: a `Compiled` is a pointer to finished, read-only machine code, plus the `JITModule`
// that owns that code. The module is never used after `Graph::compile` returns — no method of it
// is called through `&Compiled`, which exposes only `func` — until `Drop` frees its memory, with
// exclusive access. The code itself keeps no state: it reads `x`, writes `out` and `found` (all
// given by the caller), its own stack frame and the work area the caller passes (each thread's
// own, see `WORK`), and calls only the pure `extern "C"` functions
// of this module. So calls from several threads at once are independent (`Sync`), and the owner
// may move to, and drop in, another thread (`Send`): the module's parts are its memory
// allocations, a target description, symbol tables and boxed `Send` closures, none tied to the
// thread that made them.
#[allow(unsafe_code)]
unsafe impl Send for Compiled {}
#[allow(unsafe_code)]
unsafe impl Sync for Compiled {}

impl Drop for Compiled {
    fn drop(&mut self) {
        // SAFETY: `drop` has exclusive access, so no call of `func` is running and none can start
        // afterwards (`func` is private to this value); the module is taken exactly once.
        #[allow(unsafe_code)]
        unsafe {
            ManuallyDrop::take(&mut self.module).free_memory();
        }
    }
}

impl fmt::Debug for Compiled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compiled")
            .field("n_inputs", &self.n_inputs)
            .field("n_params", &self.n_params)
            .field("n_outputs", &self.n_outputs)
            .field("n_guards", &self.guards.len())
            .field("code_size", &self.code_size)
            .finish_non_exhaustive()
    }
}

impl Compiled {
    /// The number of inputs.
    pub fn num_inputs(&self) -> usize {
        self.n_inputs
    }

    /// The number of outputs.
    pub fn num_outputs(&self) -> usize {
        self.n_outputs
    }

    /// The size of the machine code, in bytes. Graph code is straight-line, so every evaluation
    /// runs through all of it: past the processor's instruction caches (some hundreds of
    /// kilobytes), evaluation is limited by fetching the code.
    pub fn code_size(&self) -> usize {
        self.code_size
    }

    /// The number of parameters (see [`Graph::record_with`]).
    pub fn num_params(&self) -> usize {
        self.n_params
    }

    /// How the graph's loop nodes ([`crate::sum_map`], [`crate::scan`], …) run: the number
    /// written as loops in the machine code itself (the body's code inside the graph's, its
    /// windows read where they are, its state in registers), and the number run by a loop in Rust
    /// that calls each variant of the body, compiled as a function of its own, once per iteration
    /// (a body with branches, a body with a loop in it, or a body of more than 4 096 nodes).
    ///
    /// ```
    /// # #[cfg(feature = "jit")] {
    /// use nilpotent::{graph::Graph, sum_map};
    /// let data = [1.0, 2.0, 3.0, 4.0];
    /// let g = Graph::record_with(&[0.5], &data, |w, p| sum_map(p, 2, |r| (w[0] * r[0] - r[1]).powi(2)));
    /// assert_eq!(g.compile().unwrap().loops_in_code(), (1, 0));
    /// # }
    /// ```
    pub fn loops_in_code(&self) -> (usize, usize) {
        let lowered = self.loops.iter().filter(|l| l.lowered.is_some()).count();
        (lowered, self.loops.len() - lowered)
    }

    /// Evaluates at `x`, writing the outputs into `out` (written only on success): the errors of
    /// the interpreter's [`Evaluator::eval_into`](super::Evaluator::eval_into), in the same cases
    /// ([`GraphError::MissingParams`] for a graph with parameters: see
    /// [`Compiled::eval_with_into`]).
    pub fn eval_into(&self, x: &[f64], out: &mut [f64]) -> Result<(), GraphError> {
        if self.n_params > 0 {
            return Err(GraphError::MissingParams {
                expected: self.n_params,
            });
        }
        self.eval_with_into(x, &[], out)
    }

    /// Evaluates at the inputs `x` and the parameters `p`, writing the outputs into `out` (written
    /// only on success): the interpreter's
    /// [`Evaluator::eval_with_into`](super::Evaluator::eval_with_into), on native code, with the
    /// same results and errors.
    pub fn eval_with_into(&self, x: &[f64], p: &[f64], out: &mut [f64]) -> Result<(), GraphError> {
        if x.len() != self.n_inputs {
            return Err(GraphError::InputLength {
                expected: self.n_inputs,
                found: x.len(),
            });
        }
        if p.len() != self.n_params {
            return Err(GraphError::ParamLength {
                expected: self.n_params,
                found: p.len(),
            });
        }
        if out.len() != self.n_outputs {
            return Err(GraphError::OutputLength {
                expected: self.n_outputs,
                found: out.len(),
            });
        }
        let mut found = 0u64;
        let status = self.status(x, p, out, &mut found);
        if status == LOOP_FAILED {
            return Err(self.loop_error(x, p));
        }
        if status == 0 {
            Ok(())
        } else {
            let k = (status - 1) as usize;
            let (test, expected) = self.guards[k];
            Err(self.words[k].error_at(k, test, expected, found, x, p))
        }
    }

    /// Runs the code on inputs of the right lengths (checked by the caller) with a work area:
    /// 0, [`LOOP_FAILED`], or guard k's index + 1 with its answer in `found`.
    #[inline]
    fn status(&self, x: &[f64], p: &[f64], out: &mut [f64], found: &mut u64) -> u64 {
        if self.n_work <= LOCAL_WORK {
            // a small work area on this function's stack (every slot the code reads it wrote
            // before: nothing needs initialising)
            let mut local = [MaybeUninit::<f64>::uninit(); LOCAL_WORK];
            self.run(x, p, out, found, local.as_mut_ptr().cast())
        } else {
            self.run_with_thread_work(x, p, out, found)
        }
    }

    /// The error of an evaluation whose code reported an iteration of a loop that no variant of
    /// its body accepts: the interpreter's, made by the interpreter (the same guards checked in
    /// the same order, so the same first error).
    #[cold]
    #[inline(never)]
    fn loop_error(&self, x: &[f64], p: &[f64]) -> GraphError {
        let g = self
            .graph
            .as_ref()
            .expect("nilpotent::graph: a loop failed in compiled code without loops (a bug)");
        match g.program().evaluator::<f64>().eval_with(x, p) {
            Err(e) => e,
            Ok(_) => panic!(
                "nilpotent::graph: a loop failed in compiled code but not in the interpreter (a bug)"
            ),
        }
    }

    /// [`Compiled::run`] with the thread's work area, taken out while the code runs (a thread
    /// being torn down, whose area is gone, makes one for the call). Out of line: it would make
    /// every call of a small graph pay for its registers.
    #[inline(never)]
    fn run_with_thread_work(&self, x: &[f64], p: &[f64], out: &mut [f64], found: &mut u64) -> u64 {
        let mut work = WORK.try_with(Cell::take).unwrap_or_default();
        if work.len() < self.n_work {
            work.resize(self.n_work, 0.0);
        }
        let status = self.run(x, p, out, found, work.as_mut_ptr());
        let _ = WORK.try_with(|w| w.set(work));
        status
    }

    /// Runs the code: its pieces in order until one returns a guard's failure. `x`, `p` and `out`
    /// have the lengths of the graph's inputs, parameters and outputs, `work` points to at least
    /// `n_work` `f64`s.
    #[inline]
    fn run(&self, x: &[f64], p: &[f64], out: &mut [f64], found: &mut u64, work: *mut f64) -> u64 {
        let (x, p, out) = (x.as_ptr(), p.as_ptr(), out.as_mut_ptr());
        // SAFETY: each piece of `funcs` was compiled by `Graph::compile` for exactly this
        // signature (five pointers, a `u64` result, the host's C calling convention, which is
        // Cranelift's default for the host ISA) and is alive as long as `self.module`, which
        // `self` owns. It reads `x[0..n_inputs]` and `p[0..n_params]` (`p` is not read when
        // `n_params` is 0), writes `out[0..n_outputs]` (the caller checked the three lengths;
        // only the last piece writes `out`, and only on success) and one `u64` at
        // `found`, and reads and writes `work[0..n_work]` (the caller's work area has at least
        // `n_work` slots; every slot is written, by this piece or an earlier one, before it is
        // read), nothing else; it cannot unwind (no code it calls panics).
        #[allow(unsafe_code)]
        let status = unsafe { (self.first)(x, out, found, work, p) };
        if status != 0 || self.rest.is_empty() {
            return status;
        }
        self.run_rest(x, p, out, found, work)
    }

    /// The pieces after the first, in order until one returns a guard's failure (see
    /// [`Compiled::run`]). Out of line: a graph in one piece does not pay for the loop.
    #[inline(never)]
    fn run_rest(
        &self,
        x: *const f64,
        p: *const f64,
        out: *mut f64,
        found: &mut u64,
        work: *mut f64,
    ) -> u64 {
        let mut status = 0;
        for f in &self.rest {
            // SAFETY: as for the first piece in `run`, whose caller's checks hold here
            #[allow(unsafe_code)]
            {
                status = unsafe { f(x, out, found, work, p) };
            }
            if status != 0 {
                break;
            }
        }
        status
    }

    /// Evaluates at `x` and returns the outputs: [`Graph::eval`], on native code.
    pub fn eval(&self, x: &[f64]) -> Result<Vec<f64>, GraphError> {
        let mut out = vec![0.0; self.n_outputs];
        self.eval_into(x, &mut out)?;
        Ok(out)
    }

    /// Evaluates at the inputs `x` and the parameters `p` and returns the outputs:
    /// [`Graph::eval_with`], on native code.
    pub fn eval_with(&self, x: &[f64], p: &[f64]) -> Result<Vec<f64>, GraphError> {
        let mut out = vec![0.0; self.n_outputs];
        self.eval_with_into(x, p, &mut out)?;
        Ok(out)
    }
}

impl Evaluate for Compiled {
    fn num_inputs(&self) -> usize {
        self.n_inputs
    }
    fn num_outputs(&self) -> usize {
        self.n_outputs
    }
    fn eval_into(&mut self, x: &[f64], out: &mut [f64]) -> Result<(), GraphError> {
        Compiled::eval_into(self, x, out)
    }
    fn num_params(&self) -> usize {
        self.n_params
    }
    fn eval_with_into(&mut self, x: &[f64], p: &[f64], out: &mut [f64]) -> Result<(), GraphError> {
        Compiled::eval_with_into(self, x, p, out)
    }
}

// ----- the functions compiled code calls: std's `f64` methods, as the interpreter calls them -----

type Fn1 = extern "C" fn(f64) -> f64;
type Fn2 = extern "C" fn(f64, f64) -> f64;
type Fn3 = extern "C" fn(f64, f64, f64) -> f64;
type Outcome1 = extern "C" fn(f64) -> u64;
type Outcome2 = extern "C" fn(f64, f64) -> u64;

/// The lowering of each unary rule, generated from the list of elementary functions: an entry
/// marked `inline` is written as instructions by the method of [`Gen`] of the same name (below);
/// one marked `call` calls an `extern "C"` function that computes it as the interpreter does
/// (std's `f64` method for a `Float` entry, [`Elementary`](crate::Elementary)'s for the others).
macro_rules! lower_unary {
    ([] unary { $($(#[$doc:meta])* $u:ident $(($rep:literal))? $m:ident ($($p:ident: $pt:ty)?)
        $home:ident $jit:ident,)* } binary { $($b:tt)* }) => {
        impl Gen<'_, '_> {
            /// The unary rule `op` applied to `x`.
            fn unary(&mut self, op: Unary, x: Val) -> Val {
                match op {
                    $(Unary::$u $(($p))? => lower_unary!(@$jit self, x, $home $m $(, $p)?),)*
                }
            }
        }
    };
    (@inline $g:ident, $x:ident, $home:ident $m:ident $(, $p:ident)?) => {
        $g.$m($x $(, $p)?)
    };
    (@call $g:ident, $x:ident, $home:ident $m:ident) => {{
        extern "C" fn f(x: f64) -> f64 {
            lower_unary!(@f64 $home $m x)
        }
        let sig = $g.sig1;
        $g.call(sig, f as Fn1 as usize, &[$x])
    }};
    (@f64 Neg $m:ident $x:ident) => { -$x };
    (@f64 Float $m:ident $x:ident) => { $x.$m() };
    (@f64 Elementary $m:ident $x:ident) => {
        <f64 as $crate::base::elementary::Elementary>::$m($x)
    };
}

elementary!(lower_unary);

/// The unary rules the JIT writes as instructions (marked `inline` in the list of elementary
/// functions; `powi` is with the other helpers above).
impl Gen<'_, '_> {
    /// `−x`: the sign bit flipped, as `fneg` does, but by an `xorpd` with the sign bit, which
    /// Cranelift keeps in a register for the negations that follow (its `fneg` makes the mask in
    /// a general register and moves it over each time: three instructions a negation).
    fn neg(&mut self, x: Val) -> Val {
        let sign = self.b.ins().f64const(-0.0);
        self.b.ins().bxor(x, sign)
    }
    fn sqrt(&mut self, x: Val) -> Val {
        self.b.ins().sqrt(x)
    }
    fn abs(&mut self, x: Val) -> Val {
        self.b.ins().fabs(x)
    }
    /// std's `signum`: NaN for a NaN, else 1 with the sign of x (inline: `abs`'s derivative, in
    /// every gradient graph of a function with `abs`)
    fn signum(&mut self, x: Val) -> Val {
        let one = self.b.ins().f64const(1.0);
        let signed = self.b.ins().fcopysign(one, x);
        let nan = self.b.ins().f64const(f64::NAN);
        let is_nan = self.b.ins().fcmp(FloatCC::Unordered, x, x);
        self.b.ins().select(is_nan, nan, signed)
    }
    /// std's `recip` is `1.0 / x`
    fn recip(&mut self, x: Val) -> Val {
        let one = self.b.ins().f64const(1.0);
        self.b.ins().fdiv(one, x)
    }
}

macro_rules! fn2 {
    ($($op:ident => |$x:ident, $y:ident| $e:expr),* $(,)?) => {
        /// The function compiled code calls for `op` (`+ − × /` are instructions instead).
        fn binary_fn(op: Binary) -> Fn2 {
            match op {
                $(Binary::$op => {
                    extern "C" fn f($x: f64, $y: f64) -> f64 {
                        $e
                    }
                    f as Fn2
                })*
            }
        }
    };
}

fn2! {
    Add => |x, y| x + y,
    Sub => |x, y| x - y,
    Mul => |x, y| x * y,
    Div => |x, y| x / y,
    Rem => |x, y| x % y,
    RemEuclid => |x, y| x.rem_euclid(y),
    Powf => |x, y| x.powf(y),
    Log => |x, y| x.log(y),
    Atan2 => |x, y| x.atan2(y),
    Hypot => |x, y| x.hypot(y),
    // not `f64::max`/`min`: their tie of −0 and +0 is unspecified (the crate's choice is
    // `rules::max`/`min`, which the interpreter and emitted code compute too)
    Max => |x, y| crate::base::rules::max(x, y),
    Min => |x, y| crate::base::rules::min(x, y),
    AbsSub => |x, y| {
        #[allow(deprecated)]
        let v = x.abs_sub(y);
        v
    },
}

extern "C" fn mul_add(x: f64, y: f64, z: f64) -> f64 {
    x.mul_add(y, z)
}

macro_rules! observe_fns {
    ($($o:ident),* $(,)?) => {
        /// The function compiled code calls for the guard question `o` (its outcome, exactly
        /// as the interpreter computes it).
        fn observe_fn(o: Observe) -> Outcome1 {
            match o {
                $(Observe::$o => {
                    extern "C" fn f(v: f64) -> u64 {
                        Observe::$o.outcome(v)
                    }
                    f as Outcome1
                })*
            }
        }
    };
}

observe_fns!(
    IsNan,
    IsInfinite,
    IsFinite,
    IsNormal,
    IsSubnormal,
    Class,
    SignBit,
    IsZero,
    AtLeastZero,
    Trunc,
    Exact
);

extern "C" fn order_outcome(a: f64, b: f64) -> u64 {
    Compare::Order.outcome(a, b)
}

// ----- loops -----

/// The status compiled code returns when an iteration of a loop has no variant of its body that
/// accepts it (the error is then made by the interpreter, see [`Compiled::loop_error`]).
const LOOP_FAILED: u64 = u64::MAX;

/// A loop node of compiled code: the loop, and either each variant of its body compiled on its
/// own (run by [`run_loop`], the fallback) or, for a loop [`lowered_in_ir`], the work slots of its
/// body's long-lived values (the body's code is then inside the graph's function).
struct LoopRt {
    def: Arc<LoopDef>,
    bodies: Vec<Compiled>,
    /// for a loop written as a loop in the graph's own code: the work slot of each node of its
    /// body whose value lives long (`NO_SLOT` for the others; see [`spill_slots`])
    lowered: Option<Vec<u32>>,
}

impl LoopRt {
    /// Runs the loop as the interpreter's [`LoopDef::run`] does (the same operations in the same
    /// order): `groups` are the values of its operand groups (the state, each sequence, the free
    /// values), `results` its results. False if an iteration has no variant that accepts it.
    fn run(&self, groups: &[&[f64]], results: &mut [f64]) -> bool {
        let def = &*self.def;
        let (c, s, o) = (def.state, def.sums, def.stacked);
        let w_total = def.window_total();
        let mut input = vec![0.0; def.body_inputs()];
        let mut out = vec![0.0; def.body_outputs()];
        input[..c].copy_from_slice(groups[0]);
        input[c + w_total..].copy_from_slice(groups[groups.len() - 1]);
        results[c..c + s].fill(0.0);
        def.clear_scatters(results);
        for t in 0..def.iterations {
            let k = def.iteration(t);
            let mut at = c;
            for (w, seq) in def.seqs.iter().zip(&groups[1..]) {
                if w.size > 0 {
                    let start = k * w.stride;
                    input[at..at + w.size].copy_from_slice(&seq[start..start + w.size]);
                }
                at += w.size;
            }
            let mut found = 0;
            if !self
                .bodies
                .iter()
                .any(|b| b.status(&input, &[], &mut out, &mut found) == 0)
            {
                return false;
            }
            if c > 0 {
                input[..c].copy_from_slice(&out[..c]);
            }
            for j in c..c + s {
                results[j] += out[j];
            }
            if o > 0 {
                let at = c + s + k * o;
                results[at..at + o].copy_from_slice(&out[c + s..c + s + o]);
            }
            def.scatter_add_from(k, &out[c + s + o..], results);
        }
        results[..c].copy_from_slice(&input[..c]);
        true
    }
}

/// The largest body (in nodes) of a loop written as a loop in the graph's own code: a larger one is
/// compiled as functions of its own, in pieces (see [`CHUNK`]), and run by [`run_loop`].
const LOWER_UP_TO: usize = CHUNK;

/// A loop written in the IR keeps up to this many sums in registers (as parameters of its
/// blocks); more are added in their result slots (a load, an add, a store per sum and iteration):
/// the gradient of the logistic loss adds 100 weights' adjoints per row, which as block
/// parameters cost the register allocator's moves between spill slots on every iteration, and
/// compile time.
const SUMS_IN_REGISTERS: usize = 8;

/// True if the loop `def` is written as a loop in the IR of the graph's function (see
/// [`Gen::lower_loop`]); false for the shapes left to the fallback, [`run_loop`] (each variant of
/// the body compiled as a function of its own, called per iteration from Rust).
///
/// Every field of [`LoopDef`] and of its windows is named here, and the patterns have no `..`: a
/// field added to either does not compile until this function says whether it knows it (a loop
/// whose shape it does not know must go to the fallback, which runs whatever `LoopDef::run` runs).
fn lowered_in_ir(def: &LoopDef) -> bool {
    let LoopDef {
        variants,
        state: _, // any: carried in block parameters
        seqs,
        free,
        iterations,
        sums: _,    // any: in block parameters, or added in their result slots
        stacked: _, // any: stored at their place
        scatters,
        reverse: _,   // either direction
        numbering: _, // (errors are the interpreter's: see `Compiled::loop_error`)
    } = def;
    // every scattered window of every iteration inside its array (added to without a check)
    let scatters_ok = scatters.iter().all(|w| {
        w.size == 0
            || *iterations == 0
            || (iterations - 1)
                .checked_mul(w.stride)
                .and_then(|a| a.checked_add(w.size))
                .is_some_and(|end| end <= w.len)
    });
    if !scatters_ok {
        return false;
    }
    // one variant without guards: no iteration can fail, no choice between variants
    let [body] = variants.as_slice() else {
        return false;
    };
    let body_ok = body.num_guards() == 0
        // no custom rules (not compiled) and no loops (nested: the inner loop is lowered where
        // the fallback compiles this body as a function of its own)
        && body.calls().is_empty()
        && body.num_params() == 0
        && body.num_inputs() == def.body_inputs()
        && body.output_nodes().len() == def.body_outputs()
        && body.nodes().len() <= LOWER_UP_TO;
    // every window of every iteration inside its sequence (the code reads them without a check;
    // an empty window, a `fold`'s step count, reads nothing)
    let windows_ok = seqs.iter().all(|w| {
        let Window {
            size,
            stride,
            len,
            from_loop: _, // read from the operands' values or from an earlier loop's results
        } = *w;
        size == 0
            || *iterations == 0
            || (iterations - 1)
                .checked_mul(stride)
                .and_then(|a| a.checked_add(size))
                .is_some_and(|end| end <= len)
    });
    let _ = free; // any number: read where they are (inputs, parameters, work slots)
    body_ok && windows_ok
}

/// The function compiled code calls for a loop node: `rt` is the loop, `groups` points to one
/// pointer per operand group (to its values), `results` to the loop's results. Returns 0, or 1
/// if an iteration has no variant of the body that accepts it.
extern "C" fn run_loop(rt: *const LoopRt, groups: *const *const f64, results: *mut f64) -> u64 {
    // SAFETY: the code passes a pointer to a `LoopRt` of the `Compiled` that runs it (alive as
    // long as the code); `groups` points to one pointer per operand group of its loop, each to as
    // many `f64`s as the group has values (the inputs, the parameters, or the work area, whose
    // lengths the caller of the code checked or made), and `results` to the loop's results in
    // the work area (`num_results` slots, written by nothing else while this runs).
    #[allow(unsafe_code)]
    let ok = unsafe {
        let rt = &*rt;
        let lens: Vec<usize> = rt.def.groups().map(|(len, _)| len).collect();
        let groups: Vec<&[f64]> = lens
            .iter()
            .enumerate()
            .map(|(g, &len)| core::slice::from_raw_parts(*groups.add(g), len))
            .collect();
        let results = core::slice::from_raw_parts_mut(results, rt.def.num_results());
        rt.run(&groups, results)
    };
    !ok as u64
}

/// Where a loop node's operands and results are in the work area (slot indices).
#[derive(Clone, Copy)]
struct LoopLayout {
    /// the loop's index in [`Compiled::loops`]
    rt: usize,
    /// its results
    results: u32,
    /// the operands that are not a slice of the inputs or parameters or an earlier loop's
    /// results, copied here
    staged: u32,
    /// one pointer per operand group
    pointers: u32,
}

// ----- code generation -----

/// Graphs of up to this many operations (nodes that make code: not inputs, parameters or
/// constants) are compiled with Cranelift's optimiser and its backtracking register allocator;
/// larger ones with the fast settings (see [`host_isa`]).
const OPTIMISE_UP_TO: usize = 2048;

/// The host's code generator, with the settings the JIT uses for code of `nodes` operations.
fn host_isa(nodes: usize) -> Result<cranelift_codegen::isa::OwnedTargetIsa, CompileError> {
    let mut flags = settings::builder();
    let set = |flags: &mut settings::Builder, name: &str, value: &str| {
        flags
            .set(name, value)
            .map_err(|e| CompileError::Codegen(format!("setting {name}: {e}")))
    };
    // Compile time is the JIT's cost, and graphs are large straight-line functions already
    // optimised where it matters (shared subexpressions, folded constants). On large graphs,
    // Cranelift's e-graph optimiser ("speed") and its backtracking register allocator cost 5 to 10
    // times the compile time of the fast settings for a few percent of run time (Rosenbrock
    // n = 1024, 17 000 nodes: 580 ms against 60 ms, 50 200 against 53 300 instructions per
    // evaluation), and their compile time grows faster than the graph (4 000 nodes: 73 ms
    // against 15 ms). On small graphs they cost little and pay: the Hessian of Rosenbrock
    // n = 32 (900 nodes) compiles in 9 ms and runs in 8.6× the time of the function, against 21×
    // with the fast settings (BENCHMARKS.md).
    if nodes <= OPTIMISE_UP_TO {
        set(&mut flags, "opt_level", "speed")?;
        set(&mut flags, "regalloc_algorithm", "backtracking")?;
    } else {
        set(&mut flags, "opt_level", "none")?;
        set(&mut flags, "regalloc_algorithm", "single_pass")?;
    }
    // code and callees are reached through absolute addresses (the JIT's memory is anywhere)
    set(&mut flags, "use_colocated_libcalls", "false")?;
    set(&mut flags, "is_pic", "false")?;
    // the register allocator's spill slots can make a frame larger than a page: probe it page by
    // page (the graph's long-lived values are in the work area, not in the frame)
    set(&mut flags, "enable_probestack", "true")?;
    set(&mut flags, "probestack_strategy", "inline")?;
    // the IR is made by the code below, not by users: skip the verifier's pass (compile time)
    set(&mut flags, "enable_verifier", "false")?;
    let isa = cranelift_native::builder()
        .map_err(|why| CompileError::UnsupportedHost(why.to_string()))?;
    isa.finish(settings::Flags::new(flags))
        .map_err(|e| CompileError::UnsupportedHost(e.to_string()))
}

const NO_SLOT: u32 = u32::MAX;

/// A graph of more nodes is compiled as several functions of this many nodes, called one after
/// the other, which hand on values in the work area (every value read in a later piece lives
/// there). Cranelift's fast register allocator gives every value it spills a stack slot of its
/// own, so a function's frame grows with its number of values (about 8 bytes per node): the
/// gradient graph of a function of 100 000 operations, in one function, overflowed a spawned
/// thread's 2 MiB stack. In pieces, the frame stays under some tens of kilobytes, and the cost
/// is a call per piece and the values of the last [`REGISTER_SPAN`] nodes of each piece stored
/// and loaded.
const CHUNK: usize = 4096;

/// A value read more than this many nodes after it is made lives in a slot of the work area
/// (stored once, loaded at each use) instead of a register. Register allocation time grows with the number of
/// values live at once, and faster than linearly: a gradient graph keeps most of the function's
/// values until the reverse sweep reads them, so without this its compile time would grow with the
/// square of the graph (Rosenbrock n = 1024, 17 000 nodes, with the backtracking allocator: 3.8 s
/// without, 0.13 s with). The interpreter keeps every value in memory; this keeps the short-lived
/// ones in registers.
const REGISTER_SPAN: usize = 32;

/// The work slot of each operation node whose value lives long (`NO_SLOT` for the others), and
/// the number of slots. A slot is reused once its value is dead (as the interpreter's work slots
/// are), so the work area holds the values live at once, not every value.
///
/// The work area is on the heap, passed in by [`Compiled::eval_into`], not in the machine stack
/// frame: the values live at once grow with the graph (the gradient graph of a function of
/// 100 000 operations keeps some 100 000 of them), and a frame that large overflowed the 2 MiB
/// stack of a spawned thread, which aborts the process.
fn spill_slots(g: &Graph, schedule: &Schedule, n_chunks: usize) -> (Vec<u32>, u32) {
    // the node after which each value is read for the last time (`n`: an output)
    slots_by_last_use(g, &schedule.last_use_node(), n_chunks)
}

/// The work slots of a loop body written in the graph's code (see [`Gen::lower_loop`]), numbered
/// from `first`, and their number: as [`spill_slots`], but a value that is one of the body's sums
/// or stacked outputs is added or stored where it is made, so only its reads by operations and
/// by the new state keep it alive.
fn body_spill_slots(def: &LoopDef, first: u32) -> (Vec<u32>, u32) {
    let body = &def.variants[0];
    let n = body.nodes().len();
    let mut last_use = vec![0; n];
    for (j, node) in body.nodes().iter().enumerate() {
        for &a in node.args(body.calls()).iter() {
            last_use[a as usize] = j;
        }
    }
    for &o in &body.output_nodes()[..def.state] {
        last_use[o as usize] = n;
    }
    let (mut slots, count) = slots_by_last_use(body, &last_use, 1);
    for s in slots.iter_mut().filter(|s| **s != NO_SLOT) {
        *s += first;
    }
    (slots, count)
}

/// The work slots of the values of `g` whose last use (the node after which each is read for
/// the last time, `n` for an output) is far, or in another of the `n_chunks` pieces: see
/// [`spill_slots`].
fn slots_by_last_use(g: &Graph, last_use: &[usize], n_chunks: usize) -> (Vec<u32>, u32) {
    let n = g.nodes().len();
    let mut slot = vec![NO_SLOT; n];
    let mut dies_at: Vec<Vec<u32>> = vec![Vec::new(); n + 1];
    let mut free: Vec<u32> = Vec::new();
    let mut n_slots = 0u32;
    // the piece of code (see `CHUNK`) that computes node `k` (that stores the outputs: `n`)
    let chunk_of = |k: usize| (k / CHUNK).min(n_chunks - 1);
    for i in 0..n {
        if g.nodes()[i].is_operation()
            && (last_use[i] > i + REGISTER_SPAN || chunk_of(last_use[i]) != chunk_of(i))
        {
            let s = free.pop().unwrap_or_else(|| {
                n_slots += 1;
                n_slots - 1
            });
            slot[i] = s;
            dies_at[last_use[i]].push(s);
        }
        // after node i and its guards, the slots read for the last time are free
        free.append(&mut dies_at[i]);
    }
    (slot, n_slots)
}

/// Generates the IR of the graph's function into `b`.
struct Gen<'a, 'b> {
    b: FunctionBuilder<'b>,
    g: &'a Graph,
    ptr: Type,
    x: Val,
    /// the parameters' pointer
    p: Val,
    /// the SSA value of each operation node kept in a register (inputs and constants are made at
    /// each use)
    vals: Vec<Option<Val>>,
    /// the work slot of each operation node whose value lives long (see [`spill_slots`])
    spill: Vec<u32>,
    /// the work area's address
    work: Val,
    /// `⊙` with vector masks (see [`Gen::chain_mul`])
    vector_masks: bool,
    /// the node being generated
    current: usize,
    /// the operands of recent `⊙`s (see [`Gen::operand_mask`])
    masks: Vec<Operand>,
    /// inside the body of a loop lowered in IR of at most [`LATENCY_BOUND_BODY`] operations: the
    /// operation nodes on the path from a state input to a state output, whose latency each
    /// iteration waits for (see [`carried_chain`]); empty for other bodies and the graph's own
    /// code
    carried: Vec<bool>,
    /// where each loop node's operands and results are in the work area
    layout: &'a [Option<LoopLayout>],
    /// the loops of the loop nodes (see [`LoopLayout::rt`])
    loops: &'a [LoopRt],
    /// inside the body of a loop lowered in IR ([`Gen::lower_loop`]): where each of the body's
    /// inputs is; empty for the graph's own code (its inputs are at `x`)
    body_inputs: Vec<Src>,
    /// the signature of [`run_loop`]
    sig_loop: cranelift_codegen::ir::SigRef,
    sig1: cranelift_codegen::ir::SigRef,
    sig2: cranelift_codegen::ir::SigRef,
    sig3: cranelift_codegen::ir::SigRef,
    outcome1: cranelift_codegen::ir::SigRef,
    outcome2: cranelift_codegen::ir::SigRef,
}

/// If the nodes `ops` are consecutive inputs (`true`) or parameters (`false`), and the first one's
/// index.
fn consecutive(g: &Graph, ops: &[u32]) -> Option<(bool, usize)> {
    let (input, start) = match g.nodes()[*ops.first()? as usize] {
        Node::Input(k) => (true, k),
        Node::Param(k) => (false, k),
        _ => return None,
    };
    let all = ops
        .iter()
        .enumerate()
        .all(|(j, &o)| match g.nodes()[o as usize] {
            Node::Input(k) => input && k == start + j as u32,
            Node::Param(k) => !input && k == start + j as u32,
            _ => false,
        });
    all.then_some((input, start as usize))
}

/// The layout of each node that is a loop, the loops, and the number of work slots.
type Layouts = (Vec<Option<LoopLayout>>, Vec<LoopRt>, usize);

/// The work-area layout of the loop nodes of `g`, whose other values take `n_slots` slots, with
/// each loop's body compiled: the layouts, the loops and the total number of slots.
fn loop_layouts(g: &Graph, n_slots: u32) -> Result<Layouts, CompileError> {
    let mut layout = vec![None; g.nodes().len()];
    let mut rts = Vec::new();
    let mut total = n_slots as usize;
    for (i, node) in g.nodes().iter().enumerate() {
        let Node::Loop(k) = *node else { continue };
        let def = g.loop_def(k).clone();
        let args = node.args(g.calls());
        let (mut at, mut staged) = (0, 0);
        let mut groups = 0;
        for (len, from) in def.groups() {
            let m = if from.is_some() { 1 } else { len };
            if from.is_none() && consecutive(g, &args[at..at + m]).is_none() {
                staged += len;
            }
            at += m;
            groups += 1;
        }
        let results = total;
        total += def.num_results();
        let staged_at = total;
        total += staged;
        let pointers = total;
        total += groups;
        let (bodies, lowered) = if lowered_in_ir(&def) {
            // the body's long-lived values in slots of their own (the body's code is inside this
            // function, see `Gen::lower_loop`)
            let (slots, n) = body_spill_slots(&def, total as u32);
            total += n as usize;
            (Vec::new(), Some(slots))
        } else {
            let bodies = def
                .variants
                .iter()
                .map(Graph::compile)
                .collect::<Result<Vec<_>, _>>()?;
            (bodies, None)
        };
        if total * 8 > i32::MAX as usize {
            return Err(CompileError::Codegen(format!(
                "{total} values in the work area: more than 2 GiB"
            )));
        }
        layout[i] = Some(LoopLayout {
            rt: rts.len(),
            results: results as u32,
            staged: staged_at as u32,
            pointers: pointers as u32,
        });
        rts.push(LoopRt {
            def,
            bodies,
            lowered,
        });
    }
    Ok((layout, rts, total))
}

/// Where an input of a loop body lowered in IR is (see [`Gen::lower_loop`]).
#[derive(Clone, Copy)]
enum Src {
    /// an SSA value (the state carried by the loop, a value of the enclosing code)
    Reg(Val),
    /// in memory at this address and byte offset (a window of a sequence read from an earlier
    /// loop's results, a work slot)
    Mem(Val, i32),
    /// in the inputs or parameters at this address and byte offset, which no code writes while
    /// it runs (a window of a sequence of inputs or parameters, an input, a parameter)
    Data(Val, i32),
    /// a constant (its bits)
    Const(u64),
}

/// An operand of a recent `⊙` (see [`Gen::operand_mask`]).
struct Operand {
    node: u32,
    /// its value in both lanes of a vector
    splat: Val,
    /// `== 0` in both lanes
    mask: Val,
    /// the node it was last used at
    used: usize,
}

/// The number of `⊙` operands whose splat and mask the generated code keeps in registers.
const KEPT_MASKS: usize = 2;

/// The most operations a loop body lowered in IR has for its `⊙`s on the carried chain to be
/// compiled with a branch ([`Gen::chain_mul_branching`]). A small body's iteration waits for its
/// chain; a large one has enough other work to hide the masks' latency, and a cold block per `⊙`
/// only adds code: the gradient of a `scan` of a 101-value state (a reverse body of some 500
/// operations, 10⁴ steps) took 9.6 ms with branches against 6.3 ms with masks, and with a
/// 21-value state (98 operations, 10⁵ steps) 9.4 against 7.2 ms.
const LATENCY_BOUND_BODY: usize = 32;

/// The nodes of a loop body with `state` state values that lie on a path from a state input to
/// a state output (the chain each iteration's state waits for: the adjoint's in a reverse loop),
/// if such a path goes through two `⊙` or more one after the other; else none. (With one `⊙`
/// per path the chain's other operations and the body's other work hide the mask's latency: a
/// `scan` of a 3-value state whose reverse body has 8 operations, one `⊙` on each path and `⊙`s
/// of structural zeros beside them, ran 0.63 ms with masks and 0.77 ms with branches, 10⁵ steps.)
fn carried_chain(body: &Graph, state: usize) -> Vec<bool> {
    let nodes = body.nodes();
    let calls = body.calls();
    // the most `⊙`s on a path from a state input to each node (None: no such path)
    let mut from_state: Vec<Option<usize>> = vec![None; nodes.len()];
    for (j, node) in nodes.iter().enumerate() {
        from_state[j] = match *node {
            Node::Input(k) => ((k as usize) < state).then_some(0),
            _ => node
                .args(calls)
                .iter()
                .filter_map(|&a| from_state[a as usize])
                .max()
                .map(|m| m + usize::from(matches!(node, Node::ChainMul(..)))),
        };
    }
    let outputs = &body.output_nodes()[..state];
    let longest = outputs.iter().filter_map(|&y| from_state[y as usize]).max();
    if longest.unwrap_or(0) < 2 {
        return Vec::new();
    }
    let mut to_state = vec![false; nodes.len()];
    for &y in outputs {
        to_state[y as usize] = true;
    }
    for j in (0..nodes.len()).rev() {
        if to_state[j] {
            for &a in nodes[j].args(calls).iter() {
                to_state[a as usize] = true;
            }
        }
    }
    from_state
        .iter()
        .zip(&to_state)
        .map(|(f, &t)| f.is_some() && t)
        .collect()
}

/// The byte offset of work slot `s` (a work area of more than 2³¹ bytes is refused by
/// [`Graph::compile`]).
fn slot_offset(s: u32) -> i32 {
    (s as usize * 8) as i32
}

/// The flags of a load from the inputs or parameters inside a loop written in the code: as
/// [`trusted`], and read-only while the code runs (no code writes `x` or `p`), so that Cranelift
/// may place the load where its value is used, with the arithmetic that uses it. Without this
/// the optimiser kept every load in its place and moved the arithmetic down to the first call
/// (`exp`), so that all of a row's loaded values were live at once, and spilled.
fn data() -> MemFlagsData {
    trusted().with_readonly().with_can_move()
}

fn trusted() -> MemFlagsData {
    // aligned (f64 slices), never trapping (lengths checked before the call)
    MemFlagsData::trusted()
}

impl Gen<'_, '_> {
    /// The value of node `i` at this point of the code.
    fn val(&mut self, i: u32) -> Val {
        match self.g.nodes()[i as usize] {
            // an input is loaded where it is used (a load is cheaper than keeping it in a register
            // or a spill slot across the whole function)
            Node::Input(k) => match self.body_inputs.get(k as usize) {
                Some(&src) => self.read(src),
                None => {
                    let x = self.x;
                    self.b.ins().load(types::F64, trusted(), x, (k as i32) * 8)
                }
            },
            // a parameter too
            Node::Param(k) => {
                let p = self.p;
                self.b.ins().load(types::F64, trusted(), p, (k as i32) * 8)
            }
            Node::Const(bits) => self.b.ins().f64const(f64::from_bits(bits)),
            // a loop's result is read from its slot where it is used (the loop's results keep
            // their slots to the end of the function)
            Node::LoopOut(l, j) => {
                let at = self.layout[l as usize].expect("a loop node").results + j;
                let work = self.work;
                self.b
                    .ins()
                    .load(types::F64, trusted(), work, slot_offset(at))
            }
            _ => match self.spill[i as usize] {
                NO_SLOT => self.vals[i as usize].expect("operands come before their uses"),
                s => {
                    let work = self.work;
                    self.b
                        .ins()
                        .load(types::F64, trusted(), work, slot_offset(s))
                }
            },
        }
    }

    /// The value at `src`.
    fn read(&mut self, src: Src) -> Val {
        match src {
            Src::Reg(v) => v,
            Src::Mem(at, offset) => self.b.ins().load(types::F64, trusted(), at, offset),
            Src::Data(at, offset) => self.b.ins().load(types::F64, data(), at, offset),
            Src::Const(bits) => self.b.ins().f64const(f64::from_bits(bits)),
        }
    }

    /// Where the value of node `i` of the graph being generated is, for the code of a loop body
    /// that reads it (its value made here if it is kept in a register).
    fn src(&mut self, i: u32) -> Src {
        match self.g.nodes()[i as usize] {
            Node::Input(k) => match self.body_inputs.get(k as usize) {
                Some(&src) => src,
                None => Src::Data(self.x, (k as i32) * 8),
            },
            Node::Param(k) => Src::Data(self.p, (k as i32) * 8),
            Node::Const(bits) => Src::Const(bits),
            _ => match self.spill[i as usize] {
                NO_SLOT => Src::Reg(self.val(i)),
                s => Src::Mem(self.work, slot_offset(s)),
            },
        }
    }

    /// A call of `f` (at its address) with `args`, of signature `sig`.
    fn call(&mut self, sig: cranelift_codegen::ir::SigRef, f: usize, args: &[Val]) -> Val {
        let callee = self.b.ins().iconst(self.ptr, f as i64);
        let call = self.b.ins().call_indirect(sig, callee, args);
        self.b.inst_results(call)[0]
    }

    /// `x⁻ⁿ`/`xⁿ` by the runtime's repeated squaring (`powi`'s algorithm: the same products in
    /// the same order, then one reciprocal for a negative exponent).
    fn powi(&mut self, x: Val, n: i32) -> Val {
        let mut pow = n.unsigned_abs();
        let mut a = x;
        let mut acc: Option<Val> = None; // 1, not yet multiplied
        loop {
            if pow & 1 != 0 {
                acc = Some(match acc {
                    // 1 · a is a (exactly, for every a but a signalling NaN, which is quieted)
                    None => a,
                    Some(m) => self.b.ins().fmul(m, a),
                });
            }
            pow >>= 1;
            if pow == 0 {
                break;
            }
            a = self.b.ins().fmul(a, a);
        }
        let m = match acc {
            Some(m) => m,
            None => self.b.ins().f64const(1.0),
        };
        if n < 0 {
            let one = self.b.ins().f64const(1.0);
            self.b.ins().fdiv(one, m)
        } else {
            m
        }
    }

    /// The operation node `node`.
    fn op(&mut self, node: Node) -> Val {
        match node {
            Node::Input(_) | Node::Param(_) | Node::Const(_) => unreachable!("not an operation"),
            Node::Custom(_) => unreachable!("refused by Graph::compile"),
            Node::Loop(_) => unreachable!("a loop node is a call (Gen::loop_call)"),
            Node::LoopOut(..) => unreachable!("read where it is used (Gen::val)"),
            Node::Unary(op, a) => {
                let x = self.val(a);
                self.unary(op, x)
            }
            Node::Binary(op, a, b) => {
                let (x, y) = (self.val(a), self.val(b));
                match op {
                    Binary::Add => self.b.ins().fadd(x, y),
                    Binary::Sub => self.b.ins().fsub(x, y),
                    Binary::Mul => self.b.ins().fmul(x, y),
                    Binary::Div => self.b.ins().fdiv(x, y),
                    Binary::Rem
                    | Binary::RemEuclid
                    | Binary::Powf
                    | Binary::Log
                    | Binary::Atan2
                    | Binary::Hypot
                    | Binary::Max
                    | Binary::Min
                    | Binary::AbsSub => {
                        let sig = self.sig2;
                        self.call(sig, binary_fn(op) as usize, &[x, y])
                    }
                }
            }
            Node::MulAdd(a, b, c) => {
                let (x, y, z) = (self.val(a), self.val(b), self.val(c));
                let sig = self.sig3;
                self.call(sig, mul_add as Fn3 as usize, &[x, y, z])
            }
            Node::ChainMul(a, b) => self.chain_mul(a, b),
        }
    }

    /// A pointer to the values of a group of a loop node's operands `ops` (`len` values, or for
    /// a sequence read from another loop the offset `from` in that loop's results): a slice of the
    /// inputs or parameters where the group is consecutive inputs or parameters, the earlier
    /// loop's results for a sequence read from them, else its values stored in the work area at
    /// `*staged` (which then moves past them); and true for a slice of the inputs or parameters
    /// (which no code writes).
    fn group_pointer(
        &mut self,
        ops: &[u32],
        len: usize,
        from: Option<usize>,
        staged: &mut u32,
    ) -> (Val, bool) {
        let work = self.work;
        match from {
            Some(off) => {
                let base = self.layout[ops[0] as usize].expect("a loop node").results;
                let ptr = self
                    .b
                    .ins()
                    .iadd_imm_s(work, i64::from(slot_offset(base + off as u32)));
                (ptr, false)
            }
            None => match consecutive(self.g, ops) {
                Some((true, start)) => (self.b.ins().iadd_imm_s(self.x, 8 * start as i64), true),
                Some((false, start)) => (self.b.ins().iadd_imm_s(self.p, 8 * start as i64), true),
                None => {
                    for (j, &o) in ops.iter().enumerate() {
                        let v = self.val(o);
                        self.b
                            .ins()
                            .store(trusted(), v, work, slot_offset(*staged + j as u32));
                    }
                    let ptr = self
                        .b
                        .ins()
                        .iadd_imm_s(work, i64::from(slot_offset(*staged)));
                    *staged += len as u32;
                    (ptr, false)
                }
            },
        }
    }

    /// The call of [`run_loop`] for the loop node `i` (a loop not [`lowered_in_ir`]): a pointer
    /// to each of its operand groups (see [`Gen::group_pointer`]) in the work area, then the call;
    /// returns its status (0 or 1).
    fn loop_call(&mut self, i: usize) -> Val {
        let g = self.g;
        let Node::Loop(k) = g.nodes()[i] else {
            unreachable!("a loop node")
        };
        let def = g.loop_def(k).clone();
        let lay = self.layout[i].expect("a loop node");
        let args = g.nodes()[i].args(g.calls());
        let work = self.work;
        let (mut at, mut staged) = (0, lay.staged);
        for (grp, (len, from)) in def.groups().enumerate() {
            let m = if from.is_some() { 1 } else { len };
            let ops = &args[at..at + m];
            at += m;
            let (ptr, _) = self.group_pointer(ops, len, from, &mut staged);
            self.b
                .ins()
                .store(trusted(), ptr, work, slot_offset(lay.pointers + grp as u32));
        }
        let rt = &self.loops[lay.rt] as *const LoopRt as usize;
        let rt = self.b.ins().iconst(self.ptr, rt as i64);
        let groups = self
            .b
            .ins()
            .iadd_imm_s(work, i64::from(slot_offset(lay.pointers)));
        let results = self
            .b
            .ins()
            .iadd_imm_s(work, i64::from(slot_offset(lay.results)));
        let sig = self.sig_loop;
        self.call(sig, run_loop as *const () as usize, &[rt, groups, results])
    }

    /// `x ⊙ y` for the nodes `a` and `b`: +0 if x == 0 or y == 0 (either sign), else x·y.
    ///
    /// Where the host has 128-bit vector registers (x86-64, AArch64), without a branch or a flag:
    /// the product with its bits cleared by the mask `x == 0 | y == 0`, the comparisons in lane 0
    /// of vector registers (`cmpeqpd`, `por`, `andnpd` on x86-64; a NaN compares unequal to 0, so
    /// it is multiplied), and an operand's splat and mask are reused by the `⊙`s that follow
    /// shortly (see [`Gen::operand_mask`]): a gradient graph multiplies one adjoint by every
    /// partial of its node in a row. The scalar comparisons, their flags and a select took some
    /// fifteen instructions and 60 bytes: the gradient of the logistic loss with the data as
    /// parameters (a `⊙` per datum, its partial a parameter, whose value may be 0) had twice the
    /// code of the same graph with the data as constants (whose nonzero partials make plain
    /// products), and ran 5 times slower.
    ///
    /// Two cases are cheaper: a factor that is a constant c with 1 ≤ |c| < ∞ known when the code
    /// is made ([`Gen::large_constant_factor`]: a reverse loop body's seed 1, or its product with
    /// a literal) makes `c·y + 0`, two instructions (one for c = 1); and a `⊙` on the carried chain
    /// of a small loop body is a product and a branch ([`Gen::chain_mul_branching`]). The
    /// Rosenbrock gradient over windows (n = 10⁵) took 62 instructions an entry with the first,
    /// against 75.
    fn chain_mul(&mut self, a: u32, b: u32) -> Val {
        if let Some((c, y)) = self.large_constant_factor(a, b) {
            // c ⊙ y = c·y + 0 for a constant c with 1 ≤ |c| < ∞: where y ≠ 0 (or NaN) the product
            // c·y is not 0 (|c·y| ≥ |y|: it does not underflow) and adding +0 leaves it as it is;
            // where y = ±0 it is ±0, and −0 + 0 = +0, as ⊙ gives
            let y = self.val(y);
            let product = if c == 1.0 {
                y
            } else {
                let c = self.b.ins().f64const(c);
                self.b.ins().fmul(c, y)
            };
            let zero = self.b.ins().f64const(0.0);
            return self.b.ins().fadd(product, zero);
        }
        if self.carried.get(self.current).copied().unwrap_or(false) {
            return self.chain_mul_branching(a, b);
        }
        if !self.vector_masks {
            let (x, y) = (self.val(a), self.val(b));
            let product = self.b.ins().fmul(x, y);
            let zero = self.b.ins().f64const(0.0);
            let x0 = self.b.ins().fcmp(FloatCC::Equal, x, zero);
            let y0 = self.b.ins().fcmp(FloatCC::Equal, y, zero);
            let either = self.b.ins().bor(x0, y0);
            return self.b.ins().select(either, zero, product);
        }
        let (xv, x0) = self.operand_mask(a);
        let (yv, y0) = self.operand_mask(b);
        let either = self.b.ins().bor(x0, y0);
        let mut little = MemFlagsData::new();
        little.set_endianness(cranelift_codegen::ir::Endianness::Little);
        let either = self.b.ins().bitcast(types::F64X2, little, either);
        let product = self.b.ins().fmul(xv, yv);
        let kept = self.b.ins().band_not(product, either);
        self.b.ins().extractlane(kept, 0)
    }

    /// For `a ⊙ b`, a factor that is a constant c with 1 ≤ |c| < ∞ (a literal of the function, a
    /// loop body's seed 1, their product), and the other factor's node.
    fn large_constant_factor(&self, a: u32, b: u32) -> Option<(f64, u32)> {
        let large = |c: f64| c.is_finite() && c.abs() >= 1.0;
        match (self.known(a, 2), self.known(b, 2)) {
            (Some(c), _) if large(c) => Some((c, b)),
            (_, Some(c)) if large(c) => Some((c, a)),
            _ => None,
        }
    }

    /// Node `x`'s value if it is known when the code is made: a constant, a loop body's input
    /// that is a constant, or (`depth` > 0) the product of two such (computed here as the code
    /// would: one IEEE multiplication).
    fn known(&self, x: u32, depth: u32) -> Option<f64> {
        match self.g.nodes()[x as usize] {
            Node::Const(bits) => Some(f64::from_bits(bits)),
            Node::Input(k) => match self.body_inputs.get(k as usize) {
                Some(&Src::Const(bits)) => Some(f64::from_bits(bits)),
                _ => None,
            },
            Node::Binary(Binary::Mul, a, b) if depth > 0 => {
                Some(self.known(a, depth - 1)? * self.known(b, depth - 1)?)
            }
            _ => None,
        }
    }

    /// `x ⊙ y` as [`Gen::chain_mul`], for a `⊙` on the carried chain of a small loop body (see
    /// [`carried_chain`], [`LATENCY_BOUND_BODY`]): the product `p = x·y`, and one comparison and
    /// branch, `p == 0` or `p` NaN, to a cold block that clears it where a factor is 0. Elsewhere
    /// `p` is the answer as is: a nonzero product has no factor 0, and a NaN product is the only
    /// one a factor 0 can make besides ±0. The branch is predicted, so the next iteration waits
    /// only for the multiplication, where the masked product adds the mask's `por` and `andnpd`
    /// (and a splat) to each `⊙` of the chain. The gradient of the logistic map (`s ← r·s·(1 − s)`,
    /// r = 3, 10⁴ steps; its reverse loop has two `⊙` a step on the adjoint's chain) ran 94–130 µs
    /// with masks and 54–64 µs this way. It is not used off the chain, where the masks are computed
    /// in parallel with the products: the gradient of the logistic loss over 100 weights (a hundred
    /// `⊙`s of one adjoint per row) ran 8 % slower with a branch each, with 5 % fewer instructions;
    /// and a branch is mispredicted wherever a factor is 0.
    fn chain_mul_branching(&mut self, a: u32, b: u32) -> Val {
        let (x, y) = (self.val(a), self.val(b));
        let product = self.b.ins().fmul(x, y);
        let zero = self.b.ins().f64const(0.0);
        let suspect = self.b.ins().fcmp(FloatCC::UnorderedOrEqual, product, zero);
        let clear = self.b.create_block();
        let join = self.b.create_block();
        let result = self.b.append_block_param(join, types::F64);
        self.b.set_cold_block(clear);
        self.b
            .ins()
            .brif(suspect, clear, &[], join, &[BlockArg::Value(product)]);
        self.b.switch_to_block(clear);
        let x0 = self.b.ins().fcmp(FloatCC::Equal, x, zero);
        let y0 = self.b.ins().fcmp(FloatCC::Equal, y, zero);
        let either = self.b.ins().bor(x0, y0);
        let cleared = self.b.ins().select(either, zero, product);
        self.b.ins().jump(join, &[BlockArg::Value(cleared)]);
        self.b.switch_to_block(join);
        // (the recent operands' splats and masks were made before the branch and still
        // dominate the code after it)
        result
    }

    /// Node `a`'s value in both lanes of a vector and the mask `a == 0` (all ones in a lane where
    /// it is ±0), for [`Gen::chain_mul`]: made again unless made or used within the last
    /// [`REGISTER_SPAN`] nodes of this piece of code (then the registers are reused; a few are
    /// kept, the most recently used).
    fn operand_mask(&mut self, a: u32) -> (Val, Val) {
        let now = self.current;
        let recent = |made: usize| now <= made + REGISTER_SPAN;
        if let Some(k) = self
            .masks
            .iter()
            .position(|m| m.node == a && recent(m.used))
        {
            let m = &mut self.masks[k];
            m.used = now;
            return (m.splat, m.mask);
        }
        let v = types::F64X2;
        let x = self.val(a);
        let splat = self.b.ins().splat(v, x);
        // (made at each use: kept, it is spilled and reloaded, which takes more code)
        let zero = self
            .b
            .func
            .dfg
            .constants
            .insert([0u8; 16].as_slice().into());
        let zero = self.b.ins().vconst(v, zero);
        let mask = self.b.ins().fcmp(FloatCC::Equal, splat, zero);
        let entry = Operand {
            node: a,
            splat,
            mask,
            used: now,
        };
        if self.masks.len() < KEPT_MASKS {
            self.masks.push(entry);
        } else if let Some(oldest) = self.masks.iter_mut().min_by_key(|m| m.used) {
            *oldest = entry;
        }
        (splat, mask)
    }

    /// Guard `k`'s answer (an `i64`), computed as [`Observe::outcome`] / [`Compare::outcome`].
    fn outcome(&mut self, test: Test) -> Val {
        let flag = |cg: &mut Self, cc: FloatCC, a: Val, b: Val| {
            let c = cg.b.ins().fcmp(cc, a, b);
            cg.b.ins().uextend(types::I64, c)
        };
        match test {
            Test::Observe(o, a) => {
                let v = self.val(a);
                match o {
                    Observe::IsNan => flag(self, FloatCC::Unordered, v, v),
                    Observe::IsZero => {
                        let zero = self.b.ins().f64const(0.0);
                        flag(self, FloatCC::Equal, v, zero)
                    }
                    Observe::AtLeastZero => {
                        let zero = self.b.ins().f64const(0.0);
                        flag(self, FloatCC::GreaterThanOrEqual, v, zero)
                    }
                    // the sign bit, 0 for every NaN (as `Observe::outcome`: a NaN's sign is not
                    // specified, and Cranelift rewrites (−a)·(−b) as a·b)
                    Observe::SignBit => {
                        let bits = self.b.ins().bitcast(types::I64, MemFlagsData::new(), v);
                        let sign = self.b.ins().ushr_imm_u(bits, 63);
                        let ordered = flag(self, FloatCC::Ordered, v, v);
                        self.b.ins().band(sign, ordered)
                    }
                    _ => {
                        let sig = self.outcome1;
                        self.call(sig, observe_fn(o) as usize, &[v])
                    }
                }
            }
            Test::Compare(c, a, b) => {
                let (x, y) = (self.val(a), self.val(b));
                match c {
                    Compare::Eq => flag(self, FloatCC::Equal, x, y),
                    Compare::Lt => flag(self, FloatCC::LessThan, x, y),
                    Compare::Le => flag(self, FloatCC::LessThanOrEqual, x, y),
                    Compare::Order => {
                        let sig = self.outcome2;
                        self.call(sig, order_outcome as Outcome2 as usize, &[x, y])
                    }
                }
            }
        }
    }
}

impl<'a> Gen<'a, '_> {
    /// The loop node `i` (a loop [`lowered_in_ir`]) written as a loop in this function's IR, the
    /// same operations in the same order as the interpreter's `LoopDef::run`:
    ///
    /// ```text
    ///     (state, sums) = (initial state, +0 each); t = 0
    /// head(t, state, sums):
    ///     if t < n { body } else { exit }
    /// body:
    ///     k = t (n − 1 − t for a reverse loop)
    ///     the body's operations: its state inputs the block's values, each window read at
    ///     k·stride of its sequence (no copy), the free values where they are
    ///     sums += the body's sums (in order); its stacked outputs stored at their place
    ///     jump head(t + 1, the body's new state, sums)
    /// exit:
    ///     the final state and the sums stored to the loop's results
    /// ```
    ///
    /// The body's values that live long go to the work slots [`loop_layouts`] gave them.
    fn lower_loop(&mut self, i: usize) {
        let g: &'a Graph = self.g;
        let Node::Loop(l) = g.nodes()[i] else {
            unreachable!("a loop node")
        };
        let def: &'a LoopDef = g.loop_def(l);
        let lay = self.layout[i].expect("a loop node");
        let body: &'a Graph = &def.variants[0];
        let body_spill = self.loops[lay.rt]
            .lowered
            .clone()
            .expect("a loop lowered in IR");
        let args = g.nodes()[i].args(g.calls());
        let (c, s, o, n) = (def.state, def.sums, def.stacked, def.iterations);
        let work = self.work;
        // before the loop: the initial state, each sequence's first value, where the free values are
        let init: Vec<Val> = args[..c].iter().map(|&a| self.val(a)).collect();
        let (mut at, mut staged) = (c, lay.staged);
        let mut bases = Vec::with_capacity(def.seqs.len());
        for w in &def.seqs {
            let m = if w.from_loop.is_some() { 1 } else { w.len };
            let ops = &args[at..at + m];
            at += m;
            bases.push(self.group_pointer(ops, w.len, w.from_loop, &mut staged));
        }
        let free: Vec<Src> = args[at..].iter().map(|&a| self.src(a)).collect();
        debug_assert_eq!(free.len(), def.free);
        // a free value computed in a register is stored once before the loop and loaded where
        // the body reads it: kept as an SSA value, Cranelift's optimiser moved its computation to
        // its uses inside the loop (the `1/Σ` of `ln Σ`'s derivative: a division per iteration)
        let free: Vec<Src> = free
            .into_iter()
            .map(|src| match src {
                Src::Reg(v) => {
                    let slot =
                        self.b
                            .create_sized_stack_slot(cranelift_codegen::ir::StackSlotData::new(
                                cranelift_codegen::ir::StackSlotKind::ExplicitSlot,
                                8,
                                3,
                            ));
                    let ptr = self.ptr;
                    self.b.ins().stack_store(ptr, v, slot, 0);
                    Src::Mem(self.b.ins().stack_addr(self.ptr, slot, 0), 0)
                }
                other => other,
            })
            .collect();

        // the sums in registers (block parameters), or for many of them in their result slots
        let r = if s <= SUMS_IN_REGISTERS { s } else { 0 };
        let head = self.b.create_block();
        self.b.append_block_param(head, types::I64);
        for _ in 0..c + r {
            self.b.append_block_param(head, types::F64);
        }
        let iteration = self.b.create_block();
        let exit = self.b.create_block();
        let t0 = self.b.ins().iconst(types::I64, 0);
        let zero = self.b.ins().f64const(0.0);
        if r < s {
            for j in 0..s {
                let at = slot_offset(lay.results + (c + j) as u32);
                self.b.ins().store(trusted(), zero, work, at);
            }
        }
        // the arrays of scattered windows start at −0 (as `LoopDef::clear_scatters`), written
        // by a loop of their own
        let arrays: usize = def.scatters.iter().map(|w| w.len).sum();
        if arrays > 0 {
            let first = slot_offset(lay.results + def.scatter_at() as u32);
            self.counted_loop(arrays, |cg, offset| {
                let neg_zero = cg.b.ins().f64const(-0.0);
                let entry = cg.b.ins().iadd(work, offset);
                cg.b.ins().store(trusted(), neg_zero, entry, first);
            });
        }
        let start: Vec<BlockArg> = core::iter::once(t0)
            .chain(init)
            .chain(core::iter::repeat_n(zero, r))
            .map(BlockArg::Value)
            .collect();
        self.b.ins().jump(head, &start);

        self.b.switch_to_block(head);
        let hp = self.b.block_params(head).to_vec();
        let t = hp[0];
        let more = self
            .b
            .ins()
            .icmp_imm_u(IntCC::UnsignedLessThan, t, n as i64);
        self.b.ins().brif(more, iteration, &[], exit, &[]);

        self.b.switch_to_block(iteration);
        let k = if def.reverse {
            let last = self.b.ins().iconst(types::I64, n as i64 - 1);
            self.b.ins().isub(last, t)
        } else {
            t
        };
        let mut inputs: Vec<Src> = Vec::with_capacity(def.body_inputs());
        inputs.extend(hp[1..=c].iter().map(|&v| Src::Reg(v)));
        for (w, &(base, read_only)) in def.seqs.iter().zip(&bases) {
            if w.size == 0 {
                continue;
            }
            let offset = self.b.ins().imul_imm_s(k, 8 * w.stride as i64);
            let row = self.b.ins().iadd(base, offset);
            let at = |j: usize| 8 * j as i32;
            if !read_only {
                inputs.extend((0..w.size).map(|j| Src::Mem(row, at(j))));
            } else {
                inputs.extend((0..w.size).map(|j| Src::Data(row, at(j))));
            }
        }
        inputs.extend(free);

        // the body's code, in the body's own numbering (the enclosing code's state put aside)
        let outer_vals = core::mem::replace(&mut self.vals, vec![None; body.nodes().len()]);
        let outer_spill = core::mem::replace(&mut self.spill, body_spill);
        let outer_masks = core::mem::take(&mut self.masks);
        let small = body.nodes().iter().filter(|n| n.is_operation()).count() <= LATENCY_BOUND_BODY;
        let carried = if small {
            carried_chain(body, c)
        } else {
            Vec::new()
        };
        let outer_carried = core::mem::replace(&mut self.carried, carried);
        let outer_inputs = core::mem::replace(&mut self.body_inputs, inputs);
        let outer_current = self.current;
        self.g = body;
        // the sums and stacked outputs each operation node is (added or stored where it is made)
        let mut feeds: Vec<Vec<usize>> = vec![Vec::new(); body.nodes().len()];
        let mut late = Vec::new();
        for (q, &y) in body.output_nodes().iter().enumerate().skip(c) {
            if body.nodes()[y as usize].is_operation() {
                feeds[y as usize].push(q);
            } else {
                late.push(q);
            }
        }
        // k·o·8: where iteration k's stacked values are, from the first iteration's
        let stacked_row = (o > 0).then(|| {
            let offset = self.b.ins().imul_imm_s(k, 8 * o as i64);
            self.b.ins().iadd(work, offset)
        });
        // each scattered output's array and place in its window, and where each array starts
        let mut scatter_of = Vec::with_capacity(def.scatter_total());
        let mut array_at = Vec::with_capacity(def.scatters.len());
        let mut first = def.scatter_at();
        for (a, w) in def.scatters.iter().enumerate() {
            scatter_of.extend((0..w.size).map(|j| (a, j)));
            array_at.push(first);
            first += w.len;
        }
        let mut sums_next: Vec<Option<Val>> = vec![None; r];
        let mut emit = |cg: &mut Self, q: usize, v: Val| {
            if q < c + r {
                sums_next[q - c] = Some(cg.b.ins().fadd(hp[1 + q], v));
            } else if q < c + s {
                let at = slot_offset(lay.results + q as u32);
                let sum = cg.b.ins().load(types::F64, trusted(), work, at);
                let sum = cg.b.ins().fadd(sum, v);
                cg.b.ins().store(trusted(), sum, work, at);
            } else if q < c + s + o {
                let row = stacked_row.expect("stacked outputs");
                // (result c + s + k·o + j is output q = c + s + j of iteration k)
                let at = slot_offset(lay.results + q as u32);
                cg.b.ins().store(trusted(), v, row, at);
            } else {
                // a scattered window's entry: `entry + v`, as `LoopDef::scatter_add_from`
                let (a, j) = scatter_of[q - c - s - o];
                let offset = cg.b.ins().imul_imm_s(k, 8 * def.scatters[a].stride as i64);
                let row = cg.b.ins().iadd(work, offset);
                let at = slot_offset(lay.results + (array_at[a] + j) as u32);
                let entry = cg.b.ins().load(types::F64, trusted(), row, at);
                let sum = cg.b.ins().fadd(entry, v);
                cg.b.ins().store(trusted(), sum, row, at);
            }
        };
        for (j, &node) in body.nodes().iter().enumerate() {
            if !node.is_operation() {
                continue;
            }
            self.current = j;
            let v = self.op(node);
            match self.spill[j] {
                NO_SLOT => self.vals[j] = Some(v),
                slot => {
                    self.b.ins().store(trusted(), v, work, slot_offset(slot));
                }
            }
            for &q in &feeds[j] {
                emit(self, q, v);
            }
        }
        for q in late {
            let v = self.val(body.output_nodes()[q]);
            emit(self, q, v);
        }
        let outs: Vec<Val> = body.output_nodes()[..c]
            .iter()
            .map(|&y| self.val(y))
            .collect();
        self.g = g;
        self.vals = outer_vals;
        self.spill = outer_spill;
        self.masks = outer_masks;
        self.carried = outer_carried;
        self.body_inputs = outer_inputs;
        self.current = outer_current;

        // the next iteration: t + 1, the new state, the sums kept in registers
        let mut next: Vec<BlockArg> = Vec::with_capacity(1 + c + r);
        let t1 = self.b.ins().iadd_imm_s(t, 1);
        next.push(BlockArg::Value(t1));
        next.extend(outs.iter().map(|&v| BlockArg::Value(v)));
        next.extend(
            sums_next
                .iter()
                .map(|v| BlockArg::Value(v.expect("every sum added"))),
        );
        self.b.ins().jump(head, &next);

        self.b.switch_to_block(exit);
        for (j, &v) in hp[1..=c + r].iter().enumerate() {
            self.b
                .ins()
                .store(trusted(), v, work, slot_offset(lay.results + j as u32));
        }
    }
}

impl Graph {
    /// The JIT compiles graphs of the rule table's operations and loops: a custom rule
    /// ([`crate::custom`]) is [`CompileError::CustomRule`].
    fn check_compilable(&self) -> Result<(), CompileError> {
        match self.calls().iter().find(|c| c.body.is_none()) {
            Some(call) => Err(CompileError::CustomRule {
                rule: call.op.name().to_string(),
            }),
            None => Ok(()),
        }
    }

    /// True if the piece `chunk` (see [`CHUNK`]) holds no code: only inputs, parameters and
    /// constants, and no guard (a graph with 50 000 parameters starts with a dozen such pieces).
    fn piece_has_no_code(&self, schedule: &Schedule, chunk: usize) -> bool {
        let range = chunk * CHUNK..((chunk + 1) * CHUNK).min(self.nodes().len());
        (chunk > 0 || schedule.guards_first.is_empty())
            && self.nodes()[range.clone()]
                .iter()
                // (a loop's result is read where it is used: no code of its own)
                .all(|n| !n.is_operation() || matches!(n, Node::LoopOut(..)))
            && schedule.guards_after[range].iter().all(Vec::is_empty)
    }
}

impl Gen<'_, '_> {
    /// The code of the piece `chunk` (see [`CHUNK`]) in the schedule's order: the guards checked
    /// first (in the first piece), then each node and the guards checked after it. A guard that
    /// fails, or a loop iteration that fails, jumps to `fail`.
    fn piece(&mut self, schedule: &Schedule, chunk: usize, fail: cranelift_codegen::ir::Block) {
        if chunk == 0 {
            for &k in &schedule.guards_first {
                self.check_guard(k, fail);
            }
        }
        let g = self.g;
        let nodes = g.nodes().iter().zip(&schedule.guards_after).enumerate();
        for (i, (&node, after)) in nodes.skip(chunk * CHUNK).take(CHUNK) {
            let lowered = |cg: &Self| {
                let lay = cg.layout[i].expect("a loop node");
                cg.loops[lay.rt].lowered.is_some()
            };
            if let Node::Loop(_) = node
                && lowered(self)
            {
                // the loop in this function's code, its results to the work area
                self.lower_loop(i);
            } else if let Node::Loop(_) = node {
                // the loop runs, its results go to the work area; a failed iteration returns
                // LOOP_FAILED
                let status = self.loop_call(i);
                let zero = self.b.ins().iconst(types::I64, 0);
                self.fail_if(status, fail, LOOP_FAILED, zero);
            } else if node.is_operation() && !matches!(node, Node::LoopOut(..)) {
                self.current = i;
                let v = self.op(node);
                match self.spill[i] {
                    NO_SLOT => self.vals[i] = Some(v),
                    s => {
                        let work = self.work;
                        self.b.ins().store(trusted(), v, work, slot_offset(s));
                    }
                }
            }
            for &k in after {
                self.check_guard(k, fail);
            }
        }
    }

    /// The check of guard `k`: its answer, compared with the recorded one; where they differ, a
    /// jump to `fail` with the guard's index + 1 and the answer.
    fn check_guard(&mut self, k: usize, fail: cranelift_codegen::ir::Block) {
        let guard = self.g.guards()[k];
        let answer = self.outcome(guard.test);
        let differs = self
            .b
            .ins()
            .icmp_imm_u(IntCC::NotEqual, answer, guard.expected as i64);
        self.fail_if(differs, fail, k as u64 + 1, answer);
    }

    /// Where `cond` is nonzero, a jump to `fail` with the status `status` and the value `found`
    /// (the function returns them); the code goes on in a new block otherwise.
    fn fail_if(&mut self, cond: Val, fail: cranelift_codegen::ir::Block, status: u64, found: Val) {
        let status = self.b.ins().iconst(types::I64, status as i64);
        let next = self.b.create_block();
        self.b.ins().brif(
            cond,
            fail,
            &[BlockArg::Value(status), BlockArg::Value(found)],
            next,
            &[],
        );
        self.b.switch_to_block(next);
    }

    /// Stores the outputs to `out` (in the last piece). A run of outputs that are consecutive
    /// results of one loop (a gradient read off a loop's array of window adjoints) is copied by
    /// a loop in the code, not one load and store each: the code's size does not grow with it.
    fn store_outputs(&mut self, out: Val) {
        let g = self.g;
        let outs = g.output_nodes();
        let mut k = 0;
        while k < outs.len() {
            let run = loop_results_run(g, &outs[k..]);
            if run >= COPY_RUN {
                let Node::LoopOut(l, j) = g.nodes()[outs[k] as usize] else {
                    unreachable!("a run of a loop's results")
                };
                let from = self.layout[l as usize].expect("a loop node").results + j;
                self.copy_results(from, out, k, run);
                k += run;
            } else {
                let v = self.val(outs[k]);
                self.b.ins().store(trusted(), v, out, (k as i32) * 8);
                k += 1;
            }
        }
    }

    /// Copies the `m` work slots from `from` on to `out[k..k + m]`, by a loop in the code.
    fn copy_results(&mut self, from: u32, out: Val, k: usize, m: usize) {
        let work = self.work;
        self.counted_loop(m, |cg, offset| {
            let src = cg.b.ins().iadd(work, offset);
            let v =
                cg.b.ins()
                    .load(types::F64, trusted(), src, slot_offset(from));
            let dst = cg.b.ins().iadd(out, offset);
            cg.b.ins().store(trusted(), v, dst, (k as i32) * 8);
        });
    }

    /// A loop in the code over e = 0, …, m − 1: `body` writes the code of one iteration, given
    /// the byte offset 8·e; the code goes on after the loop.
    fn counted_loop(&mut self, m: usize, body: impl FnOnce(&mut Self, Val)) {
        let head = self.b.create_block();
        self.b.append_block_param(head, types::I64);
        let iteration = self.b.create_block();
        let done = self.b.create_block();
        let e0 = self.b.ins().iconst(types::I64, 0);
        self.b.ins().jump(head, &[BlockArg::Value(e0)]);
        self.b.switch_to_block(head);
        let e = self.b.block_params(head)[0];
        let more = self
            .b
            .ins()
            .icmp_imm_u(IntCC::UnsignedLessThan, e, m as i64);
        self.b.ins().brif(more, iteration, &[], done, &[]);
        self.b.switch_to_block(iteration);
        let offset = self.b.ins().imul_imm_s(e, 8);
        body(self, offset);
        let e1 = self.b.ins().iadd_imm_s(e, 1);
        self.b.ins().jump(head, &[BlockArg::Value(e1)]);
        self.b.switch_to_block(done);
    }
}

/// The shortest run of outputs [`Gen::store_outputs`] copies by a loop.
const COPY_RUN: usize = 16;

/// The number of operations of `g` that make code of their own: not the reads of a loop's
/// results (`LoopOut`, a load where the result is used, made by its user's code), plus one per
/// output stored on its own (a load and a store; a run [`Gen::store_outputs`] copies by a loop
/// counts as none). The gradient of the Rosenbrock function over windows at n = 10⁶ has 10⁶ reads
/// and a dozen operations: counted as 10⁶ operations, it was compiled with the fast settings,
/// which keep the loops' sums and counters on the stack: 15 ms per evaluation, now 7.9–8.5 ms
/// (`loops_compiled`).
fn code_operations(g: &Graph) -> usize {
    let ops = g
        .nodes()
        .iter()
        .filter(|n| n.is_operation() && !matches!(n, Node::LoopOut(..)))
        .count();
    let outs = g.output_nodes();
    let (mut k, mut stored) = (0, 0);
    while k < outs.len() {
        let run = loop_results_run(g, &outs[k..]);
        if run >= COPY_RUN {
            k += run;
        } else {
            stored += 1;
            k += 1;
        }
    }
    ops + stored
}

/// The number of outputs at the start of `outs` that are consecutive results of one loop
/// (`LoopOut(l, j)`, `LoopOut(l, j + 1)`, …).
fn loop_results_run(g: &Graph, outs: &[u32]) -> usize {
    let Some(&first) = outs.first() else { return 0 };
    let Node::LoopOut(l, j) = g.nodes()[first as usize] else {
        return 0;
    };
    outs.iter()
        .enumerate()
        .take_while(|&(m, &o)| g.nodes()[o as usize] == Node::LoopOut(l, j + m as u32))
        .count()
}

/// The entry points of the functions `ids` of `module`, finalized.
fn entry_points(module: &JITModule, ids: &[cranelift_module::FuncId]) -> Vec<RawFn> {
    ids.iter()
        .map(|&id| {
            let code = module.get_finalized_function(id);
            // SAFETY: `code` is the entry of a function defined by `Graph::compile`, finalized
            // (executable) and owned by `module`, which the returned `Compiled` keeps until it is
            // dropped. Its signature is `(ptr, ptr, ptr, ptr, ptr) -> i64` in the host's default
            // calling convention, which is the C convention `RawFn` names (`extern "C"`,
            // pointer-sized arguments, a 64-bit integer result).
            #[allow(unsafe_code)]
            unsafe {
                core::mem::transmute::<*const u8, RawFn>(code)
            }
        })
        .collect()
}

impl Graph {
    /// Compiles the graph to native code at run time with Cranelift (feature `jit`). The result
    /// evaluates exactly like [`Graph::eval`] — the same outputs bit for bit, the same errors for
    /// the same inputs — at the speed of compiled code: see [`Compiled`], and the costs of the
    /// backends at [`Evaluate`].
    ///
    /// Compiling takes time linear in the number of nodes (measured: see BENCHMARKS.md, section
    /// "Graph mode", in the repository); it pays once the function is evaluated often.
    ///
    /// ```
    /// use nilpotent::graph::Graph;
    /// use num_traits::Float;
    /// fn rosenbrock<T: Float>(x: &[T]) -> T {
    ///     let c = T::from(100.0).unwrap();
    ///     (0..x.len() - 1)
    ///         .map(|i| c * (x[i + 1] - x[i] * x[i]).powi(2) + (T::one() - x[i]).powi(2))
    ///         .fold(T::zero(), |a, b| a + b)
    /// }
    /// let h = Graph::record(&[0.5; 8], rosenbrock).hessian();
    /// let compiled = h.compile().unwrap();
    /// let x = [1.5, -0.5, 0.25, 1.0, 2.0, 0.0, -1.0, 0.75];
    /// assert_eq!(compiled.eval(&x).unwrap(), h.eval(&x).unwrap());
    /// ```
    ///
    /// # Errors
    /// [`CompileError::UnsupportedHost`] where Cranelift has no code generator for this machine
    /// (the interpreter and emitted Rust work everywhere); [`CompileError::CustomRule`] if the
    /// graph applies a custom rule ([`crate::custom`]).
    pub fn compile(&self) -> Result<Compiled, CompileError> {
        self.check_compilable()?;
        // the graph's nodes in pieces of `CHUNK`, one function each (see `CHUNK`)
        let n = self.nodes().len();
        let n_chunks = n.div_ceil(CHUNK).max(1);
        let schedule = Schedule::of(self);
        let (mut spill_of, n_slots) = spill_slots(self, &schedule, n_chunks);
        if n_slots as usize * 8 > i32::MAX as usize {
            return Err(CompileError::Codegen(format!(
                "{n_slots} values live at once: more than 2 GiB of work area"
            )));
        }
        // the loops' operands and results after the values (see `LoopLayout`)
        let (layout, loops, n_work) = loop_layouts(self, n_slots)?;
        let loops = loops.into_boxed_slice();
        // the code's size: the graph's operations and those of the bodies of the loops written
        // in its code (inputs, parameters and constants make no code: the logistic loss's
        // gradient with 50 000 data as parameters has some hundred operations)
        let operations = |g: &Graph| g.nodes().iter().filter(|n| n.is_operation()).count();
        let lowered: usize = loops
            .iter()
            .filter(|rt| rt.lowered.is_some())
            .map(|rt| operations(&rt.def.variants[0]))
            .sum();
        let isa = host_isa(code_operations(self) + lowered)?;
        // (the JIT compiles for the host, the machine this crate was built for)
        let vector_masks = cfg!(any(target_arch = "x86_64", target_arch = "aarch64"));
        let call_conv = isa.default_call_conv();
        let mut module = JITModule::new(JITBuilder::with_isa(
            isa,
            cranelift_module::default_libcall_names(),
        ));
        let frontend = module.target_config();
        let ptr = frontend.pointer_type();
        let codegen = |e: &dyn fmt::Display| CompileError::Codegen(e.to_string());
        let signature = |params: &[Type], ret: Type| {
            let mut s = Signature::new(call_conv);
            s.params.extend(params.iter().map(|&t| AbiParam::new(t)));
            s.returns.push(AbiParam::new(ret));
            s
        };
        let f64_ = types::F64;
        let mut ctx = module.make_context();
        let mut fctx = FunctionBuilderContext::new();
        let mut ids = Vec::with_capacity(n_chunks);
        let mut code_size = 0;
        // the SSA value of each node kept in a register, in the function being generated
        let mut vals: Vec<Option<Val>> = vec![None; n];
        for chunk in 0..n_chunks {
            let last = chunk + 1 == n_chunks;
            // a piece of only inputs, parameters and constants has no code: skipped
            if !last && self.piece_has_no_code(&schedule, chunk) {
                continue;
            }
            let sig = &mut ctx.func.signature;
            sig.params.extend([AbiParam::new(ptr); 5]);
            sig.returns.push(AbiParam::new(types::I64));
            let id = module
                .declare_function(
                    &format!("nilpotent_graph_{chunk}"),
                    Linkage::Local,
                    &ctx.func.signature,
                )
                .map_err(|e| codegen(&e))?;
            ids.push(id);
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            b.switch_to_block(entry);
            let params = b.block_params(entry).to_vec();
            let (x, out, found, work, p) = (params[0], params[1], params[2], params[3], params[4]);
            // where a failing guard goes: store its answer, return its index + 1
            let fail = b.create_block();
            b.append_block_param(fail, types::I64); // index + 1
            b.append_block_param(fail, types::I64); // answer
            let sig1 = b.import_signature(signature(&[f64_], f64_));
            let sig2 = b.import_signature(signature(&[f64_, f64_], f64_));
            let sig3 = b.import_signature(signature(&[f64_, f64_, f64_], f64_));
            let outcome1 = b.import_signature(signature(&[f64_], types::I64));
            let outcome2 = b.import_signature(signature(&[f64_, f64_], types::I64));
            let sig_loop = b.import_signature(signature(&[ptr, ptr, ptr], types::I64));
            let mut cg = Gen {
                b,
                g: self,
                ptr,
                x,
                p,
                vals: core::mem::take(&mut vals),
                spill: core::mem::take(&mut spill_of),
                work,
                vector_masks,
                current: 0,
                masks: Vec::with_capacity(KEPT_MASKS),
                carried: Vec::new(),
                layout: &layout,
                loops: &loops,
                body_inputs: Vec::new(),
                sig_loop,
                sig1,
                sig2,
                sig3,
                outcome1,
                outcome2,
            };
            cg.piece(&schedule, chunk, fail);
            if last {
                cg.store_outputs(out);
            }
            let ok = cg.b.ins().iconst(types::I64, 0);
            cg.b.ins().return_(&[ok]);
            vals = cg.vals;
            spill_of = cg.spill;
            let mut b = cg.b;
            b.switch_to_block(fail);
            let fp = b.block_params(fail).to_vec();
            b.ins().store(trusted(), fp[1], found, 0);
            b.ins().return_(&[fp[0]]);
            b.seal_all_blocks();
            b.finalize(frontend);
            module
                .define_function(id, &mut ctx)
                .map_err(|e| codegen(&format!("{e:?}")))?;
            code_size += ctx.compiled_code().map_or(0, |c| c.code_buffer().len());
            module.clear_context(&mut ctx);
        }
        module.finalize_definitions().map_err(|e| codegen(&e))?;
        let mut funcs = entry_points(&module, &ids);
        let first = funcs.remove(0);
        Ok(Compiled {
            first,
            rest: funcs.into_boxed_slice(),
            n_inputs: self.num_inputs(),
            n_params: self.num_params(),
            n_outputs: self.output_nodes().len(),
            guards: self.guards().iter().map(|g| (g.test, g.expected)).collect(),
            words: self.guards().iter().map(|g| Words::of(self, g)).collect(),
            code_size,
            n_work,
            // (a loop written in the code cannot fail: only the called ones need the graph)
            graph: loops
                .iter()
                .any(|l| l.lowered.is_none())
                .then(|| Box::new(self.clone())),
            loops,
            module: ManuallyDrop::new(module),
        })
    }
}
