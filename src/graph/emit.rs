//! Rust source emission: a graph as a plain, straight-line Rust function ([`Graph::to_rust`]).

use core::fmt::Write;

use super::Graph;
use super::guard::Test;
use super::ir::Node;
use super::schedule::Schedule;
use crate::base::elementary::elementary;
use crate::base::rules::{Binary, Unary};
use crate::base::text::count;

/// The path of the graph module in emitted code.
const GRAPH: &str = "::nilpotent::graph";

/// Rust's keywords (strict and reserved, 2024 edition), which cannot name a function.
const KEYWORDS: [&str; 52] = [
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
];

/// Panics unless `name` is a plain Rust identifier that can name a function.
fn check_name(name: &str) {
    let mut chars = name.chars();
    let ok = match chars.next() {
        Some(c) if c == '_' || c.is_ascii_alphabetic() => {
            chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        }
        _ => false,
    };
    assert!(
        ok && name != "_" && !KEYWORDS.contains(&name),
        "nilpotent::graph::Graph::to_rust: {name:?} is not a Rust identifier that can name a \
         function (ASCII letters, digits and `_`, not starting with a digit, not a keyword)"
    );
}

/// A constant as a Rust expression of type `f64` that has exactly its bits.
fn constant(c: f64) -> String {
    if c.is_nan() {
        format!("f64::from_bits({:#018x})", c.to_bits())
    } else if c.is_infinite() {
        if c > 0.0 {
            "f64::INFINITY"
        } else {
            "f64::NEG_INFINITY"
        }
        .to_string()
    } else {
        // `{:?}` prints the shortest decimal that reads back as the same `f64` (`-0.0`, `1e-300`,
        // `0.1`), and Rust's literals are rounded correctly
        format!("{c:?}")
    }
}

/// The Rust expression that computes the unary rule `op` on the `f64` named `v{a}`, as the rule
/// table computes its value for `f64`: the operator for `Neg`, std's method for a `Float` entry
/// (`num_traits::Float` forwards to it), [`Elementary`](crate::Elementary)'s for the others.
/// Generated from the list of elementary functions.
fn unary_expr(op: Unary, a: u32) -> String {
    elementary!(unary_exprs, op, a)
}

/// The `match` of [`unary_expr`], one arm per unary entry, by its home.
macro_rules! unary_exprs {
    ([$op:ident, $a:ident] unary { $($(#[$doc:meta])* $u:ident $(($rep:literal))? $m:ident
        ($($p:ident: $pt:ty)?) $home:ident $jit:ident,)* } binary { $($b:tt)* }) => {
        match $op {
            $(Unary::$u $(($p))? => unary_exprs!(@$home $a, $m $(, $p)?),)*
        }
    };
    (@Neg $a:ident, $m:ident) => { format!("-v{}", $a) };
    (@Float $a:ident, $m:ident) => { format!("v{}.{}()", $a, stringify!($m)) };
    (@Float $a:ident, $m:ident, $p:ident) => { format!("v{}.{}({})", $a, stringify!($m), $p) };
    (@Elementary $a:ident, $m:ident) => {
        format!("::nilpotent::Elementary::{}(v{})", stringify!($m), $a)
    };
}
use unary_exprs;

/// Why [`Graph::try_to_rust`] cannot emit a graph: it applies a custom rule
/// ([`crate::custom`]) that has no Rust path for emitted code to call.
///
/// ```
/// let e = nilpotent::graph::NoRustPath { rule: "erf".to_string() };
/// assert!(e.to_string().contains("`erf`"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoRustPath {
    /// the name of the rule
    pub rule: String,
}

impl core::fmt::Display for NoRustPath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "the graph applies the custom rule `{}`, which has no Rust path for emitted code to \
             call (implement `rust_path` of its UnaryRule or GradientRule to name a function \
             `fn(f64) -> f64` or `fn(&[f64]) -> f64` that computes its value)",
            self.rule
        )
    }
}

impl std::error::Error for NoRustPath {}

impl Graph {
    /// The graph as the Rust source of a plain function
    /// `pub fn name(x: &[f64], out: &mut [f64]) -> Result<(), nilpotent::graph::GraphError>`
    /// that computes what [`Graph::eval`] computes, bit for bit, with the same errors: straight-line
    /// code, one `let` per node (named `v{i}`, as in the listing), std's `f64` methods for the
    /// elementary functions (but [`rules::max`](crate::rules::max) and
    /// [`rules::min`](crate::rules::min), which fix the sign of a tie of zeros), the guards as early returns, in the interpreter's order (a large graph
    /// is written in blocks of about √n statements that hand on the values read later: a function
    /// of thousands of `let`s in a row overflows rustc's stack in debug builds). Every path is
    /// fully qualified (`::nilpotent::graph::GraphError`, `::std::convert::TryInto::try_into`), so
    /// the source can be written to a file by a build script and `include!`d in any module of a
    /// crate that depends on nilpotent, in any edition (in edition 2015, the crate root declares
    /// `extern crate nilpotent;`, as it must there to name nilpotent's items; emitted code names
    /// `::std`, not `::core`, which a 2015 crate root does not hold):
    ///
    /// ```ignore
    /// // build.rs
    /// let g = nilpotent::graph::Graph::record(&[1.0, 2.0], f).gradient();
    /// let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("f_grad.rs");
    /// std::fs::write(out, g.to_rust("f_grad")).unwrap();
    ///
    /// // src/lib.rs
    /// include!(concat!(env!("OUT_DIR"), "/f_grad.rs"));
    /// ```
    ///
    /// The function checks the lengths of `x` and `out` first (the errors
    /// [`GraphError::InputLength`](super::GraphError::InputLength) and
    /// [`OutputLength`](super::GraphError::OutputLength)), then computes every node and checks
    /// every guard in the interpreter's order, so that the first guard that fails is the one the
    /// interpreter reports, with the same [`GraphError`](super::GraphError); `out` is written only
    /// on success. Wrap it in an [`Emitted`](super::Emitted) to use it through the
    /// [`Evaluate`](super::Evaluate) interface.
    ///
    /// ```
    /// use nilpotent::graph::Graph;
    /// use num_traits::Float;
    /// fn f<T: Float>(x: &[T]) -> T { x[0].ln() + x[0] * x[1] - x[1].sin() }
    /// let src = Graph::record(&[2.0, 5.0], f).gradient().to_rust("lecture_gradient");
    /// assert!(src.contains("pub fn lecture_gradient(x: &[f64], out: &mut [f64])"));
    /// assert!(src.contains("let v2 = v0.ln();"));
    /// ```
    ///
    /// Where the compiler could see a constant operand of an elementary function (an exponent of
    /// `powf`, a base of `log`, an argument of `atan2`, `hypot`, `max`, `min`, `%`, `rem_euclid`,
    /// `abs_sub`), the constant passes through [`core::hint::black_box`]: otherwise LLVM rewrites
    /// some such calls (`powf(x, 2.0)` as `x·x`, `powf(2.0, x)` as `exp2(x)`), which rounds
    /// differently from the call the interpreter makes for some inputs.
    ///
    /// Compile time grows with the graph (rustc and LLVM take seconds for a few thousand nodes,
    /// minutes for a hundred thousand): emit the graphs whose evaluation time matters.
    ///
    /// A custom rule ([`crate::custom`]) is emitted as a call of its Rust path
    /// ([`UnaryRule::rust_path`](crate::custom::UnaryRule::rust_path): `path(v1)`;
    /// [`GradientRule::rust_path`](crate::custom::GradientRule::rust_path): `path(&[v1, v2])`),
    /// which must be in scope where the source is `include!`d.
    ///
    /// # Panics
    /// If `name` is not a Rust identifier that can name a function, or if the graph applies a
    /// custom rule that has no Rust path (the message names the rule; [`Graph::try_to_rust`]
    /// returns that as an error instead).
    pub fn to_rust(&self, name: &str) -> String {
        self.try_to_rust(name)
            .unwrap_or_else(|e| panic!("nilpotent::graph::Graph::to_rust: {e}"))
    }

    /// [`Graph::to_rust`], with an error instead of a panic where a custom rule has no Rust path.
    ///
    /// ```
    /// use nilpotent::custom::{Custom, UnaryRule};
    /// use nilpotent::graph::Graph;
    /// #[derive(Clone, Copy)]
    /// struct Sq;
    /// impl UnaryRule for Sq {
    ///     fn name(&self) -> &'static str { "sq" }
    ///     fn value(&self, x: f64) -> f64 { x * x }
    ///     fn derivative<T: Custom>(&self, x: T) -> T { x + x }
    /// }
    /// let g = Graph::record(&[3.0], |x| x[0].custom(&Sq));
    /// let e = g.try_to_rust("f").unwrap_err();
    /// assert_eq!(e.rule, "sq");
    /// ```
    ///
    /// # Panics
    /// If `name` is not a Rust identifier that can name a function.
    pub fn try_to_rust(&self, name: &str) -> Result<String, NoRustPath> {
        check_name(name);
        let custom_calls = self.custom_calls()?;
        let nodes = self.nodes();
        let schedule = Schedule::of(self);
        let (guards_first, guards_after) = (&schedule.guards_first, &schedule.guards_after);
        let mut s = String::new();
        let w = &mut s;
        self.write_signature(w, name);
        // the statements: inputs and constants first (as the interpreter fills its slots), then
        // the guards on them alone, then every operation with the guards placed after it
        let mut stmts: Vec<Stmt> = Vec::with_capacity(nodes.len() + self.guards().len());
        // the loops' bodies, as functions of their own after this one
        let mut bodies = String::new();
        self.leaf_statements(&mut stmts);
        // (from here on, statement `first_step + s` is the schedule's step `s`)
        let first_step = stmts.len();
        for &k in guards_first {
            stmts.push(self.guard_stmt(k));
        }
        let is_const = |a: u32| matches!(nodes[a as usize], Node::Const(_));
        // an operand the optimiser must not see as a constant (see the docs above)
        let opaque = |a: u32| {
            if is_const(a) {
                format!("::std::hint::black_box(v{a})")
            } else {
                format!("v{a}")
            }
        };
        for (i, node) in nodes.iter().enumerate() {
            let e = match *node {
                Node::Input(_) | Node::Param(_) | Node::Const(_) => continue,
                Node::Loop(k) => {
                    let code = self.loop_stmt(name, i, k, &mut bodies)?;
                    stmts.push(Stmt::new(Some(i as u32), code));
                    continue;
                }
                Node::LoopOut(l, j) => format!("v{l}[{j}]"),
                Node::Unary(op, a) => unary_expr(op, a),
                Node::Binary(op, a, b) => match op {
                    Binary::Add => format!("v{a} + v{b}"),
                    Binary::Sub => format!("v{a} - v{b}"),
                    Binary::Mul => format!("v{a} * v{b}"),
                    Binary::Div => format!("v{a} / v{b}"),
                    Binary::Rem => format!("{} % {}", opaque(a), opaque(b)),
                    // the crate's max/min (`f64::max` leaves the tie of −0 and +0 unspecified)
                    Binary::Max | Binary::Min => {
                        format!(
                            "::nilpotent::rules::{}({}, {})",
                            op.name(),
                            opaque(a),
                            opaque(b)
                        )
                    }
                    Binary::RemEuclid
                    | Binary::Powf
                    | Binary::Log
                    | Binary::Atan2
                    | Binary::Hypot
                    | Binary::AbsSub => {
                        format!("{}.{}({})", opaque(a), op.name(), opaque(b))
                    }
                },
                Node::MulAdd(a, b, c) => format!("v{a}.mul_add(v{b}, v{c})"),
                Node::ChainMul(a, b) => {
                    format!("if v{a} == 0.0 || v{b} == 0.0 {{ 0.0 }} else {{ v{a} * v{b} }}")
                }
                Node::Custom(k) => custom_calls[k as usize].clone(),
            };
            stmts.push(Stmt::new(Some(i as u32), format!("let v{i} = {e};")));
            for &k in &guards_after[i] {
                stmts.push(self.guard_stmt(k));
            }
        }
        write_chunked(w, &stmts, first_step, &schedule);
        for (k, &o) in self.output_nodes().iter().enumerate() {
            let _ = writeln!(w, "    out[{k}] = v{o};");
        }
        let _ = writeln!(w, "    ::std::result::Result::Ok(())\n}}");
        s.push_str(&bodies);
        Ok(s)
    }

    /// The Rust call of each custom call of the graph (an empty string for a loop node's
    /// placeholder, which `loop_stmt` emits), or the rule that has no Rust path.
    fn custom_calls(&self) -> Result<Vec<String>, NoRustPath> {
        let mut custom_calls = Vec::with_capacity(self.calls().len());
        for call in self.calls() {
            if call.body.is_some() {
                // a loop node's placeholder (emitted by `loop_stmt`)
                custom_calls.push(String::new());
                continue;
            }
            let args: Vec<String> = call.args.iter().map(|a| format!("v{a}")).collect();
            match call.op.rust_call(&args) {
                Some(code) => custom_calls.push(code),
                None => {
                    return Err(NoRustPath {
                        rule: call.op.name().to_string(),
                    });
                }
            }
        }
        Ok(custom_calls)
    }

    /// The function's doc comment and signature, and the checks of the lengths of `x`, `p` and
    /// `out` (the interpreter's errors, in its order).
    fn write_signature(&self, w: &mut String, name: &str) {
        let n_in = self.num_inputs();
        let n_out = self.output_nodes().len();
        // (writing to a String cannot fail)
        let _ = writeln!(
            w,
            "/// `{name}`: a graph of {}, {}, {} and {}, as Rust source\n/// (emitted by \
             `nilpotent::graph::Graph::to_rust`). Writes the outputs to `out`, or returns the \
             error\n/// `Graph::eval` returns.",
            match self.num_params() {
                0 => count(n_in, "input", "inputs").to_string(),
                np => format!(
                    "{}, {}",
                    count(n_in, "input", "inputs"),
                    count(np, "parameter", "parameters")
                ),
            },
            count(n_out, "output", "outputs"),
            count(self.len(), "operation", "operations"),
            count(self.guards().len(), "guard", "guards")
        );
        // a graph with parameters takes them between the inputs and the outputs
        let p_arg = if self.num_params() > 0 {
            "p: &[f64], "
        } else {
            ""
        };
        let _ = writeln!(
            w,
            "#[allow(clippy::all, clippy::pedantic, deprecated, unused, non_snake_case)]\n\
             pub fn {name}(x: &[f64], {p_arg}out: &mut [f64]) -> ::std::result::Result<(), \
             {GRAPH}::GraphError> {{"
        );
        let _ = writeln!(
            w,
            "    let x: &[f64; {n_in}] = match ::std::convert::TryInto::try_into(x) {{\n        \
             ::std::result::Result::Ok(x) => x,\n        \
             ::std::result::Result::Err(_) => {{\n            \
             return ::std::result::Result::Err({GRAPH}::GraphError::InputLength {{ expected: \
             {n_in}, found: x.len() }});\n        }}\n    }};"
        );
        if self.num_params() > 0 {
            self.emit_param_check(w);
        }
        let _ = writeln!(
            w,
            "    let out: &mut [f64; {n_out}] = match ::std::convert::TryInto::try_into(&mut *out) {{\n        \
             ::std::result::Result::Ok(out) => out,\n        \
             ::std::result::Result::Err(_) => {{\n            \
             return ::std::result::Result::Err({GRAPH}::GraphError::OutputLength {{ expected: \
             {n_out}, found: out.len() }});\n        }}\n    }};"
        );
    }

    /// The statements of the inputs, parameters and constants the code reads as variables (see
    /// `read_outside_slices`), first, as the interpreter fills its slots.
    fn leaf_statements(&self, stmts: &mut Vec<Stmt>) {
        let nodes = self.nodes();
        let read = self.read_outside_slices();
        for (i, node) in nodes.iter().enumerate() {
            if !read[i] {
                continue;
            }
            let code = match *node {
                Node::Input(k) => format!("let v{i} = x[{k}];"),
                Node::Param(k) => format!("let v{i} = p[{k}];"),
                Node::Const(bits) => format!("let v{i}: f64 = {};", constant(f64::from_bits(bits))),
                _ => continue,
            };
            stmts.push(Stmt::new(Some(i as u32), code));
        }
    }

    /// The check of the parameters' length (after the inputs', before the outputs', as the
    /// interpreter checks them).
    fn emit_param_check(&self, w: &mut String) {
        let n_p = self.num_params();
        let _ = writeln!(
            w,
            "    let p: &[f64; {n_p}] = match ::std::convert::TryInto::try_into(p) {{\n        \
             ::std::result::Result::Ok(p) => p,\n        \
             ::std::result::Result::Err(_) => {{\n            \
             return ::std::result::Result::Err({GRAPH}::GraphError::ParamLength {{ expected: \
             {n_p}, found: p.len() }});\n        }}\n    }};"
        );
    }

    /// The check of guard `k`: its outcome, compared with the recorded one, and the interpreter's
    /// error if they differ (one `match`, which opens no scope for the statements after it).
    fn guard_stmt(&self, k: usize) -> Stmt {
        let g = self.guards()[k];
        let expected = g.expected;
        // the interpreter's error, in the user's words (`Words`), written into the code
        let w = super::guard::Words::of(self, &g);
        let shown = |i: usize, a: u32| match w.leaf[i] {
            Some(_) => format!("::std::option::Option::Some(v{a})"),
            None => "::std::option::Option::None".to_string(),
        };
        let (outcome, error) = match g.test {
            Test::Observe(o, a) => (
                format!("{GRAPH}::Observe::{o:?}.outcome(v{a})"),
                format!(
                    "{GRAPH}::GraphError::__observed_in_words({k}, {GRAPH}::Observe::{o:?}, \
                     {:?}, {expected:#x}, found, {})",
                    w.names[0],
                    shown(0, a)
                ),
            ),
            Test::Compare(c, a, b) => (
                format!("{GRAPH}::Compare::{c:?}.outcome(v{a}, v{b})"),
                format!(
                    "{GRAPH}::GraphError::__compared_in_words({k}, {GRAPH}::Compare::{c:?}, \
                     [{:?}, {:?}], {:?}, {}, {expected:#x}, found, [{}, {}])",
                    w.names[0],
                    w.names[1],
                    w.at,
                    w.written,
                    shown(0, a),
                    shown(1, b)
                ),
            ),
        };
        let code = format!(
            "match {outcome} {{\n    {expected:#x} => {{}}\n    found => return \
             ::std::result::Result::Err({error}),\n}}"
        );
        Stmt::new(None, code)
    }
}

/// A loop's results up to this many are an array on the stack of the emitted function, more a
/// `Vec`.
const RESULTS_ON_STACK: usize = 4096;

impl Graph {
    /// The sequence of `len` operands `ops` read by a loop as a slice of the inputs or the
    /// parameters (`x[a..b]`, `p[a..b]`), if they are consecutive inputs or parameters.
    fn as_slice(&self, ops: &[u32]) -> Option<String> {
        let first = *ops.first()?;
        let (name, start) = match self.nodes()[first as usize] {
            Node::Input(k) => ("x", k),
            Node::Param(k) => ("p", k),
            _ => return None,
        };
        let consecutive = ops.iter().enumerate().all(|(j, &o)| {
            matches!(
                (self.nodes()[o as usize], name),
                (Node::Input(k), "x") | (Node::Param(k), "p") if k == start + j as u32
            )
        });
        consecutive.then(|| format!("{name}[{start}..{}]", start as usize + ops.len()))
    }

    /// For each node, whether the emitted code reads it as a variable: every node, but inputs and
    /// parameters read only as parts of a loop's sequence that is a slice of `x` or `p` (a
    /// minibatch of 50 000 data would otherwise be 50 000 `let`s for the compiler to see through).
    fn read_outside_slices(&self) -> Vec<bool> {
        let n = self.nodes().len();
        let mut read = vec![false; n];
        for (i, node) in self.nodes().iter().enumerate() {
            match *node {
                Node::Input(_) | Node::Param(_) | Node::Const(_) => {}
                Node::Loop(k) => {
                    let def = self.loop_def(k);
                    let args = node.args(self.calls());
                    let mut at = 0;
                    for (g, (len, from)) in def.groups().enumerate() {
                        let is_seq = g > 0 && g <= def.seqs.len();
                        let m = if from.is_some() { 1 } else { len };
                        let ops = &args[at..at + m];
                        if !(is_seq && from.is_none() && self.as_slice(ops).is_some()) {
                            for &o in ops.iter() {
                                read[o as usize] = true;
                            }
                        }
                        at += m;
                    }
                }
                _ => {
                    for &a in node.args(self.calls()).iter() {
                        read[a as usize] = true;
                    }
                }
            }
            let _ = i;
        }
        for g in self.guards() {
            let (ops, m) = g.test.operands();
            for &o in &ops[..m] {
                read[o as usize] = true;
            }
        }
        for &o in self.output_nodes() {
            read[o as usize] = true;
        }
        // a node that is not an input or a parameter is always defined (its own statement)
        for (r, node) in read.iter_mut().zip(self.nodes()) {
            if !matches!(node, Node::Input(_) | Node::Param(_)) {
                *r = true;
            }
        }
        read
    }

    /// The statement `let v{i} = …;` of the loop node `i` (the call `k`): a `for` loop over its
    /// iterations that calls a function per variant of its body (written to `bodies`), tries the
    /// variants in order as the interpreter does, and leaves the loop's results (final state,
    /// sums, stacked values, accumulated arrays) in the array or `Vec` `v{i}`, which `LoopOut`
    /// nodes index.
    fn loop_stmt(
        &self,
        name: &str,
        i: usize,
        k: u32,
        bodies: &mut String,
    ) -> Result<String, NoRustPath> {
        let def = self.loop_def(k);
        let args = self.nodes()[i].args(self.calls());
        let (c, s, o, n) = (def.state, def.sums, def.stacked, def.iterations);
        let (b_in, b_out, r) = (def.body_inputs(), def.body_outputs(), def.num_results());
        let wt = def.window_total();
        let body_names: Vec<String> = (0..def.variants.len())
            .map(|j| format!("{name}_loop{i}_v{j}"))
            .collect();
        for (g, body) in def.variants.iter().zip(&body_names) {
            bodies.push('\n');
            bodies.push_str(&g.try_to_rust(body)?);
        }
        let mut w = String::new();
        let zeros = |len: usize| {
            if len <= RESULTS_ON_STACK {
                format!("[0.0f64; {len}]")
            } else {
                format!("::std::vec![0.0f64; {len}]")
            }
        };
        let _ = writeln!(w, "let v{i} = {{");
        let _ = writeln!(w, "    let mut results = {};", zeros(r));
        if !def.scatters.is_empty() {
            // the accumulated arrays start at −0 (−0 + a is a: the first window is kept as it is)
            let _ = writeln!(w, "    results[{}..].fill(-0.0f64);", def.scatter_at());
        }
        let _ = writeln!(w, "    let mut input = [0.0f64; {b_in}];");
        let _ = writeln!(w, "    let mut body = [0.0f64; {b_out}];");
        // the operands: the state, the sequences (slices), the free values
        let mut at = 0;
        let mut seqs = Vec::new();
        for (g, (len, from)) in def.groups().enumerate() {
            let m = if from.is_some() { 1 } else { len };
            let ops = &args[at..at + m];
            at += m;
            if g == 0 {
                for (j, &a) in ops.iter().enumerate() {
                    let _ = writeln!(w, "    input[{j}] = v{a};");
                }
            } else if g <= def.seqs.len() {
                let q = g - 1;
                let seq = match from {
                    Some(off) => format!("&v{}[{off}..{}]", ops[0], off + len),
                    None => match self.as_slice(ops) {
                        Some(slice) => format!("&{slice}"),
                        None => {
                            let vs: Vec<String> = ops.iter().map(|a| format!("v{a}")).collect();
                            let _ =
                                writeln!(w, "    let s{q}: [f64; {len}] = [{}];", vs.join(", "));
                            format!("&s{q}")
                        }
                    },
                };
                let _ = writeln!(w, "    let seq{q}: &[f64] = {seq};");
                seqs.push(q);
            } else {
                for (j, &a) in ops.iter().enumerate() {
                    let _ = writeln!(w, "    input[{}] = v{a};", c + wt + j);
                }
            }
        }
        let _ = writeln!(w, "    for t in 0..{n}usize {{");
        if def.reverse {
            let _ = writeln!(w, "        let k = {} - t;", n - 1);
        } else {
            let _ = writeln!(w, "        let k = t;");
        }
        let mut to = c;
        for (q, win) in def.seqs.iter().enumerate() {
            if win.size > 0 {
                let _ = writeln!(
                    w,
                    "        input[{to}..{}].copy_from_slice(&seq{q}[k * {}..k * {} + {}]);",
                    to + win.size,
                    win.stride,
                    win.stride,
                    win.size
                );
            }
            to += win.size;
        }
        // the variants in order: the first whose guards hold; none is the interpreter's error
        // (numbered as the interpreter numbers it, see `LoopDef::error_at`: a loop over a
        // checkpointed fold's segments names the fold's iteration)
        let first = match def.numbering.first {
            0 => String::new(),
            f => format!("{f} + "),
        };
        let mut call = format!(
            "return ::std::result::Result::Err({GRAPH}::GraphError::LoopGuard {{ iteration: \
             {first}k, variants: {}, first: ::std::string::ToString::to_string(&e0) }})",
            def.variants.len()
        );
        if def.numbering.segment > 0 {
            call = format!(
                "match e0 {{ {GRAPH}::GraphError::LoopGuard {{ iteration: i, variants: v, first: f \
                 }} => return ::std::result::Result::Err({GRAPH}::GraphError::LoopGuard {{ \
                 iteration: {first}k * {} + i, variants: v, first: f }}), e0 => {call} }}",
                def.numbering.segment
            );
        }
        for (j, body) in body_names.iter().enumerate().rev() {
            let err = if j == 0 { "e0" } else { "_" };
            call = format!(
                "match {body}(&input, &mut body) {{ ::std::result::Result::Ok(()) => {{}} \
                 ::std::result::Result::Err({err}) => {call} }}"
            );
        }
        let _ = writeln!(w, "        {call}");
        if c > 0 {
            let _ = writeln!(w, "        input[..{c}].copy_from_slice(&body[..{c}]);");
        }
        for j in c..c + s {
            let _ = writeln!(w, "        results[{j}] = results[{j}] + body[{j}];");
        }
        if o > 0 {
            let _ = writeln!(
                w,
                "        results[{} + k * {o}..{} + k * {o} + {o}].copy_from_slice(&body[{}..{}]);",
                c + s,
                c + s,
                c + s,
                c + s + o
            );
        }
        // each scattered window added into its array, entry by entry (the interpreter's order)
        let (mut at, mut j) = (def.scatter_at(), c + s + o);
        for win in &def.scatters {
            let _ = writeln!(
                w,
                "        for m in 0..{}usize {{ let e = {at} + k * {} + m; results[e] = results[e] \
                 + body[{j} + m]; }}",
                win.size, win.stride
            );
            at += win.len;
            j += win.size;
        }
        let _ = writeln!(w, "    }}");
        if c > 0 {
            let _ = writeln!(w, "    results[..{c}].copy_from_slice(&input[..{c}]);");
        }
        let _ = writeln!(w, "    results\n}};");
        let _ = seqs;
        Ok(w)
    }
}

/// Up to this many statements, a function is written without blocks.
const FLAT: usize = 256;

/// One statement of an emitted function: the node it defines (if any) and its code.
struct Stmt {
    defines: Option<u32>,
    code: String,
}

impl Stmt {
    fn new(defines: Option<u32>, code: String) -> Stmt {
        Stmt { defines, code }
    }
}

/// Writes the statements in blocks of about √n, each block a `let (…) = { …; (…) };` that hands on
/// the values later blocks and the outputs read. The statements from `first_step` on are the steps
/// of `schedule`, whose liveness says which block reads a value last.
///
/// Every `let` opens a scope that lasts to the end of its block, and rustc's debug information
/// nests them: a function of 18 000 `let`s in a row overflows rustc's stack when compiled with
/// debug information (the default `dev` profile). In blocks, the nesting is at most about 2√n
/// deep, and the optimised code is the same. (Functions of up to [`FLAT`] statements are written
/// without blocks.)
fn write_chunked(w: &mut String, stmts: &[Stmt], first_step: usize, schedule: &Schedule) {
    if stmts.len() <= FLAT {
        for st in stmts {
            for line in st.code.lines() {
                let _ = writeln!(w, "    {line}");
            }
        }
        return;
    }
    let size = (stmts.len() as f64).sqrt().ceil().max(64.0) as usize;
    // the block of each statement, and the last block that reads each node
    let block_of = |s: usize| s / size;
    const OUTPUT: usize = usize::MAX;
    let keep = schedule.steps.len(); // an output's "step": read after every statement
    debug_assert_eq!(stmts.len() - first_step, keep, "one statement per step");
    let last_read: Vec<usize> = schedule
        .last_use
        .iter()
        .map(|l| match *l {
            None => 0,
            Some(s) if s == keep => OUTPUT,
            Some(s) => block_of(first_step + s),
        })
        .collect();
    for (b, block) in stmts.chunks(size).enumerate() {
        let exports: Vec<u32> = block
            .iter()
            .filter_map(|st| st.defines)
            .filter(|&d| last_read[d as usize] > b)
            .collect();
        let names: String = exports.iter().map(|d| format!("v{d}, ")).collect();
        let names = names.trim_end();
        let _ = if exports.is_empty() {
            writeln!(w, "    {{")
        } else {
            writeln!(w, "    let ({names}) = {{")
        };
        for st in block {
            for line in st.code.lines() {
                let _ = writeln!(w, "        {line}");
            }
        }
        let _ = if exports.is_empty() {
            writeln!(w, "    }}")
        } else {
            writeln!(w, "        ({names})\n    }};")
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for ok in ["f", "_f", "grad_2", "F"] {
            check_name(ok);
        }
        for bad in ["", "_", "2f", "fn", "a-b", "é", "self", "a b"] {
            let r = std::panic::catch_unwind(|| check_name(bad));
            assert!(r.is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn constants_read_back_exactly() {
        for c in [
            0.0,
            -0.0,
            0.1,
            1.0 / 3.0,
            -2.5e-300,
            f64::MIN_POSITIVE / 3.0,
            f64::MAX,
            f64::MIN,
            5e-324,
        ] {
            assert_eq!(constant(c).parse::<f64>().unwrap().to_bits(), c.to_bits());
        }
        assert_eq!(constant(f64::INFINITY), "f64::INFINITY");
        assert!(constant(f64::NAN).starts_with("f64::from_bits(0x"));
    }
}
