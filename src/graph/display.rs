//! Seeing a graph: the SSA listing (`Display`) and Graphviz DOT ([`Graph::to_dot`]).

use core::fmt::{self, Write};

use super::Graph;
use super::ir::{Call, Node};
use crate::base::rules::{Binary, Unary};
use crate::base::text::count;

/// The operation of `node` applied to operands named by `name`, as in the listing: `sin v1`,
/// `v0 × v1`, `powf(v2, v3)`.
fn expression(node: Node, calls: &[Call], name: impl Fn(u32) -> String) -> String {
    match node {
        Node::Input(i) => format!("x{i}"),
        Node::Param(k) => format!("p{k}"),
        Node::Const(bits) => format!("{}", f64::from_bits(bits)),
        Node::Unary(Unary::Neg, a) => format!("−{}", name(a)),
        Node::Unary(Unary::Powi(k), a) => format!("powi({}, {k})", name(a)),
        Node::Unary(op, a) => format!("{} {}", op.name(), name(a)),
        Node::Binary(op, a, b) => match op {
            Binary::Add | Binary::Sub | Binary::Mul | Binary::Div | Binary::Rem => {
                format!("{} {} {}", name(a), op.name(), name(b))
            }
            _ => format!("{}({}, {})", op.name(), name(a), name(b)),
        },
        Node::MulAdd(a, b, c) => format!("mul_add({}, {}, {})", name(a), name(b), name(c)),
        Node::ChainMul(a, b) => format!("{} ⊙ {}", name(a), name(b)),
        Node::Custom(k) => {
            let call = &calls[k as usize];
            let args: Vec<String> = call.args.iter().map(|&a| name(a)).collect();
            format!("{}({})", call.op.name(), args.join(", "))
        }
        Node::Loop(k) => {
            let call = &calls[k as usize];
            let def = call.body.as_ref().expect("a loop's body");
            // the operands: state, sequences, free values (a long sequence abbreviated)
            let list = |from: usize, len: usize| -> String {
                let a = &call.args[from..from + len];
                if a.len() <= 6 {
                    a.iter().map(|&x| name(x)).collect::<Vec<_>>().join(", ")
                } else {
                    format!(
                        "{}, {}, …, {} ({len})",
                        name(a[0]),
                        name(a[1]),
                        name(a[len - 1])
                    )
                }
            };
            let mut at = def.state;
            let mut parts = vec![format!("state [{}]", list(0, def.state))];
            for w in &def.seqs {
                match w.from_loop {
                    None => {
                        parts.push(format!(
                            "windows of {} step {} of [{}]",
                            w.size,
                            w.stride,
                            list(at, w.len)
                        ));
                        at += w.len;
                    }
                    Some(off) => {
                        parts.push(format!(
                            "windows of {} step {} of the results of {} from [{off}]",
                            w.size,
                            w.stride,
                            name(call.args[at])
                        ));
                        at += 1;
                    }
                }
            }
            parts.push(format!("free [{}]", list(at, def.free)));
            for w in &def.scatters {
                parts.push(format!(
                    "adds windows of {} step {} into {} results",
                    w.size, w.stride, w.len
                ));
            }
            format!(
                "loop{k}{}({} iterations; {})",
                if def.reverse { " reversed" } else { "" },
                def.iterations,
                parts.join("; ")
            )
        }
        Node::LoopOut(l, j) => format!("{}[{j}]", name(l)),
    }
}

/// Node `a` of `g` as the user wrote it, for messages: `x[0]`, `p[1]`, `0.5`, or a short
/// expression of them (`x[0] * x[1]`); an expression longer than `max` characters (or nested
/// deeper than four operations) is named by its node, `v12`.
pub(crate) fn spelt_out(g: &Graph, a: u32, max: usize) -> String {
    fn go(g: &Graph, a: u32, depth: u32) -> Option<String> {
        Some(match g.nodes()[a as usize] {
            Node::Input(i) => g.input_name(i),
            Node::Param(k) => format!("p[{k}]"),
            Node::Const(bits) => format!("{:?}", f64::from_bits(bits)),
            _ if depth == 0 => return None,
            node => {
                let failed = core::cell::Cell::new(false);
                let e = expression(node, g.calls(), |b| {
                    go(g, b, depth - 1).unwrap_or_else(|| {
                        failed.set(true);
                        String::new()
                    })
                });
                if failed.get() {
                    return None;
                }
                match node {
                    Node::Binary(..) | Node::ChainMul(..) if depth < 4 => format!("({e})"),
                    _ => e,
                }
            }
        })
    }
    match go(g, a, 4) {
        Some(e) if e.chars().count() <= max => e,
        _ => format!("v{a}"),
    }
}

/// The operation alone (a node's label in the drawing).
fn operation(node: Node, calls: &[Call]) -> String {
    match node {
        Node::Input(i) => format!("x{i}"),
        Node::Param(k) => format!("p{k}"),
        Node::Const(bits) => format!("{}", f64::from_bits(bits)),
        Node::Unary(Unary::Powi(k), _) => format!("powi {k}"),
        Node::Unary(op, _) => op.name().to_string(),
        Node::Binary(op, _, _) => op.name().to_string(),
        Node::MulAdd(..) => "mul_add".to_string(),
        Node::ChainMul(..) => "⊙".to_string(),
        Node::Custom(k) => calls[k as usize].op.name().to_string(),
        Node::Loop(k) => format!("loop{k}"),
        Node::LoopOut(_, j) => format!("[{j}]"),
    }
}

fn v(i: u32) -> String {
    format!("v{i}")
}

/// What a node's origin is called in the listing and the drawing.
fn part(origin: u8) -> String {
    match origin {
        0 => "function".to_string(),
        1 => "first derivative".to_string(),
        2 => "second derivative".to_string(),
        k => format!("derivative of order {k}"),
    }
}

/// The SSA listing: a header, one line per node (`v3 = sin v1`, with its value at the recording
/// point), the guards with the answers recorded, and the outputs. A precision (`{:.4}`) applies to
/// the values.
///
/// ```
/// use nilpotent::graph::Graph;
/// use num_traits::Float;
/// fn f<T: Float>(x: &[T]) -> T { x[0].ln() + x[0] * x[1] - x[1].sin() }
/// let listing = format!("{:.3}", Graph::record(&[2.0, 5.0], f));
/// assert!(listing.contains("v2 = ln v0"));
/// assert!(listing.contains("v6 = v4 − v5"));
/// assert!(listing.contains("y0 = v6"));
/// ```
impl fmt::Display for Graph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let precision = f.precision();
        let value = |x: f64| match precision {
            Some(p) => format!("{x:.p$}"),
            None => format!("{x}"),
        };
        let params = match self.num_params() {
            0 => String::new(),
            k => format!(", {}", count(k, "parameter", "parameters")),
        };
        writeln!(
            f,
            "graph: {}{params}, {}, {}, {}, {}",
            count(self.num_inputs(), "input", "inputs"),
            count(self.num_outputs(), "output", "outputs"),
            count(self.len(), "operation", "operations"),
            count(self.guards().len(), "guard", "guards"),
            count(self.num_constants(), "constant", "constants")
        )?;
        let lines: Vec<String> = self
            .nodes()
            .iter()
            .enumerate()
            .map(|(i, &node)| format!("v{i} = {}", expression(node, self.calls(), v)))
            .collect();
        let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        // Whether the graph holds derivative nodes at all, decided once (not per line: the
        // listing stays linear in the number of nodes).
        let has_derivatives = self.origin().iter().any(|&o| o > 0);
        let mut last_part = None;
        for (i, line) in lines.iter().enumerate() {
            let origin = self.origin()[i];
            if has_derivatives && last_part != Some(origin) {
                writeln!(f, "# {}", part(origin))?;
                last_part = Some(origin);
            }
            let pad = width - line.chars().count();
            writeln!(
                f,
                "{line}{}   # {}",
                " ".repeat(pad),
                value(self.values()[i])
            )?;
        }
        for (k, g) in self.guards().iter().enumerate() {
            write!(f, "g{k}: {}", g.test.describe(g.expected, v))?;
            match g.origin {
                // where the recorded code made the comparison
                Some(o) => writeln!(f, "   # {}", super::guard::place(o.at))?,
                None => writeln!(f)?,
            }
        }
        let names = self.output_names();
        for (k, &o) in self.output_nodes().iter().enumerate() {
            match &names {
                Some(n) => writeln!(f, "y{k} = v{o}   # {}", n[k])?,
                None => writeln!(f, "y{k} = v{o}")?,
            }
        }
        // the loops' bodies: inputs [state, windows, free], outputs [state, sums, stacked,
        // scattered windows]
        for (i, node) in self.nodes().iter().enumerate() {
            if let Node::Loop(k) = *node {
                let def = self.calls()[k as usize]
                    .body
                    .as_ref()
                    .expect("a loop's body");
                for (v, body) in def.variants.iter().enumerate() {
                    writeln!(
                        f,
                        "loop{k} (v{i}) body, variant {v} of {}: inputs [state {}, windows {}, \
                         free {}], outputs [state {}, sums {}, stacked {}{}]",
                        def.variants.len(),
                        def.state,
                        def.window_total(),
                        def.free,
                        def.state,
                        def.sums,
                        def.stacked,
                        match def.scatter_total() {
                            0 => String::new(),
                            t => format!(", scattered {t}"),
                        }
                    )?;
                    let inner = match precision {
                        Some(p) => format!("{body:.p$}"),
                        None => format!("{body}"),
                    };
                    for line in inner.lines() {
                        writeln!(f, "    {line}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl Graph {
    /// The graph in Graphviz's DOT language: inputs, constants and operations as boxes (an
    /// operation labelled with its rule), edges from operands to results (numbered where the
    /// order matters), guards as diamonds, outputs as ellipses. The nodes of the function and of
    /// each derivative order are drawn in separate clusters. Render with `dot -Tsvg`.
    ///
    /// ```
    /// use nilpotent::graph::Graph;
    /// use num_traits::Float;
    /// let g = Graph::record(&[1.0], |x| x[0].sin() * x[0]).gradient();
    /// let dot = g.to_dot();
    /// assert!(dot.starts_with("digraph"));
    /// assert!(dot.contains("cluster_1")); // the derivative's nodes
    /// ```
    pub fn to_dot(&self) -> String {
        let mut s = String::new();
        let _ = self.write_dot(&mut s);
        s
    }

    fn write_dot(&self, s: &mut String) -> fmt::Result {
        writeln!(s, "digraph nilpotent {{")?;
        writeln!(s, "  rankdir=LR;")?;
        writeln!(s, "  node [shape=box, fontname=\"Helvetica\"];")?;
        let levels = self.origin().iter().copied().max().unwrap_or(0);
        for level in 0..=levels {
            writeln!(s, "  subgraph cluster_{level} {{")?;
            writeln!(s, "    label=\"{}\";", part(level))?;
            for (i, &node) in self.nodes().iter().enumerate() {
                if self.origin()[i] != level {
                    continue;
                }
                let (label, style) = match node {
                    Node::Input(_) => (
                        format!("v{i}\\n{}", operation(node, self.calls())),
                        ", style=bold",
                    ),
                    Node::Param(_) => (
                        format!("v{i}\\n{}", operation(node, self.calls())),
                        ", style=\"bold,dashed\"",
                    ),
                    Node::Const(_) => (operation(node, self.calls()), ", shape=plaintext"),
                    _ => (format!("v{i}\\n{}", operation(node, self.calls())), ""),
                };
                writeln!(s, "    v{i} [label=\"{}\"{style}];", escape(&label))?;
            }
            writeln!(s, "  }}")?;
        }
        for (i, node) in self.nodes().iter().enumerate() {
            let args = node.args(self.calls());
            let ordered = matches!(
                node,
                Node::Binary(op, _, _) if !matches!(op, Binary::Add | Binary::Mul)
            ) || matches!(node, Node::MulAdd(..) | Node::Custom(_));
            for (j, &a) in args.iter().enumerate() {
                if ordered {
                    writeln!(s, "  v{a} -> v{i} [label=\"{}\"];", j + 1)?;
                } else {
                    writeln!(s, "  v{a} -> v{i};")?;
                }
            }
        }
        for (k, g) in self.guards().iter().enumerate() {
            let label = format!("g{k}: {}", g.test.describe(g.expected, v));
            writeln!(
                s,
                "  g{k} [shape=diamond, label=\"{}\", color=red];",
                escape(&label)
            )?;
            let (ops, m) = g.test.operands();
            for &o in &ops[..m] {
                writeln!(s, "  v{o} -> g{k} [style=dashed, color=red];")?;
            }
        }
        let names = self.output_names();
        for (k, &o) in self.output_nodes().iter().enumerate() {
            let label = match &names {
                Some(n) => format!("y{k} = {}", n[k]),
                None => format!("y{k}"),
            };
            writeln!(s, "  y{k} [shape=ellipse, label=\"{}\"];", escape(&label))?;
            writeln!(s, "  v{o} -> y{k};")?;
        }
        // what the shapes and symbols mean
        let mut legend = String::from(
            "legend\\lbold box: input xᵢ (vᵢ)\\ldashed box: parameter pₖ\\lplain text: \
             constant\\lbox: operation (edge numbers: operand order)\\lellipse: output",
        );
        if !self.guards().is_empty() {
            legend.push_str("\\lred diamond: guard (a decision checked at each evaluation)");
        }
        if self.nodes().iter().any(|n| matches!(n, Node::ChainMul(..))) {
            legend.push_str(
                "\\la ⊙ b: a·b, but exactly 0 where a factor is 0\\l  (a zero adjoint stays \
                 zero through ±∞ and NaN partials)",
            );
        }
        writeln!(
            s,
            "  legend [shape=note, fontsize=10, label=\"{legend}\\l\"];"
        )?;
        writeln!(s, "}}")
    }

    /// What each output is, where the graph's shape tells: `f` (or `f₀ … fₘ₋₁`) for a recorded
    /// function, then `∂f/∂x₀ …` (`∂fᵢ/∂xⱼ` row by row) for a gradient or Jacobian graph, then
    /// `Hᵢⱼ` row by row for a Hessian graph; `None` for other shapes (a derivative of order 3 or
    /// more, a Jacobian of a Jacobian).
    fn output_names(&self) -> Option<Vec<String>> {
        let (n, outs) = (self.num_inputs(), self.output_nodes().len());
        let sub = |i: usize| -> String {
            i.to_string()
                .chars()
                .map(|c| char::from_u32('₀' as u32 + c.to_digit(10).unwrap()).unwrap())
                .collect()
        };
        match self.level() {
            0 => Some(if outs == 1 {
                vec!["f".to_string()]
            } else {
                (0..outs).map(|i| format!("f{}", sub(i))).collect()
            }),
            1 if outs % (1 + n) == 0 => {
                let m = outs / (1 + n);
                let f = |i: usize| {
                    if m == 1 {
                        "f".to_string()
                    } else {
                        format!("f{}", sub(i))
                    }
                };
                let mut names: Vec<String> = (0..m).map(f).collect();
                for i in 0..m {
                    for j in 0..n {
                        names.push(format!("∂{}/∂x{}", f(i), sub(j)));
                    }
                }
                Some(names)
            }
            2 if outs == 1 + n + n * n => {
                let mut names = vec!["f".to_string()];
                names.extend((0..n).map(|j| format!("∂f/∂x{}", sub(j))));
                for i in 0..n {
                    for j in 0..n {
                        names.push(format!("H{}{}", sub(i), sub(j)));
                    }
                }
                Some(names)
            }
            _ => None,
        }
    }
}

/// `text` for a DOT string literal.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace("\\\\n", "\\n")
}
