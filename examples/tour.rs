//! A tour of nilpotent on the lecture example f(x₁, x₂) = ln x₁ + x₁x₂ − sin x₂ at (2, 5):
//! the forward primal and tangent traces, the reverse adjoint trace, the gradient by forward mode,
//! reverse mode and finite differences side by side, J·r and Jᵀ·s of a small vector function, and
//! the lecture's last section, reverse mode on a graph: f recorded once, its gradient built as a
//! graph and evaluated at other points; and loops written once for every mode (`sum_map` over
//! rows of data, `fold` over time steps).
//!
//! Run with `cargo run --release --example tour`.
//!
//! Each section is computed by a function that returns its numbers ([`forward_trace`],
//! [`reverse_trace`], [`gradients`], [`products`], [`graph_section`], [`loops_section`]) and printed by [`report`];
//! `tests/suite/examples/tour.rs`
//! includes this file and asserts both the numbers and the printed text.

use std::fmt::Write as _;

use nalgebra::DMatrix;
use nilpotent::graph::Graph;
use nilpotent::numeric::{self, FiniteDiff};
use nilpotent::reverse::{self, Tape};
use nilpotent::{Dual, Real, fold, gradient, jacobian, jvp, sum_map};
use num_traits::Float;

/// The lecture's point (x₁, x₂).
pub const X: [f64; 2] = [2.0, 5.0];

/// The lecture's evaluation trace of f, step by step: `[v₋₁, v₀, v₁, v₂, v₃, v₄, v₅]` with
/// v₋₁ = x₁, v₀ = x₂, v₁ = ln v₋₁, v₂ = v₋₁·v₀, v₃ = sin v₀, v₄ = v₁ + v₂, v₅ = v₄ − v₃ = f.
/// Written once for any `Float`, so the same steps run on `f64`, on dual numbers (the tangent
/// trace) and on the tape (the adjoint trace), numbered as in the lecture.
pub fn steps<T: Float>(x: &[T]) -> [T; 7] {
    let (v_1, v0) = (x[0], x[1]);
    let v1 = v_1.ln();
    let v2 = v_1 * v0;
    let v3 = v0.sin();
    let v4 = v1 + v2;
    let v5 = v4 - v3;
    [v_1, v0, v1, v2, v3, v4, v5]
}

/// The lecture's function f(x₁, x₂) = ln x₁ + x₁x₂ − sin x₂ (the last step of [`steps`]).
pub fn f<T: Float>(x: &[T]) -> T {
    steps(x)[6]
}

/// A small vector function ℝ³ → ℝ² for J·r and Jᵀ·s:
/// g(x) = (x₁e^x₂ + x₃, sin(x₁x₃) − x₂²).
pub fn g<T: Float>(x: &[T]) -> Vec<T> {
    vec![x[0] * x[1].exp() + x[2], (x[0] * x[2]).sin() - x[1] * x[1]]
}

/// For each step of [`steps`]: its name, its operation, and the rule of its tangent.
pub const ROWS: [(&str, &str, &str); 7] = [
    ("v₋₁", "x₁", "ẋ₁"),
    ("v₀", "x₂", "ẋ₂"),
    ("v₁", "ln v₋₁", "v̇₋₁ / v₋₁"),
    ("v₂", "v₋₁ × v₀", "v̇₋₁·v₀ + v₋₁·v̇₀"),
    ("v₃", "sin v₀", "cos v₀ · v̇₀"),
    ("v₄", "v₁ + v₂", "v̇₁ + v̇₂"),
    ("v₅", "v₄ − v₃", "v̇₄ − v̇₃"),
];

/// The forward primal and tangent traces for one seed direction ẋ.
pub struct ForwardTrace {
    /// The seed ẋ = (ẋ₁, ẋ₂).
    pub seed: [f64; 2],
    /// The primal values v₋₁ … v₅.
    pub values: [f64; 7],
    /// The tangents v̇₋₁ … v̇₅ (v̇₅ is the directional derivative of f along ẋ).
    pub tangents: [f64; 7],
}

/// The forward traces at `x` for the seed `seed`: one pass of [`steps`] on `Dual<f64, 1>` with
/// the inputs seeded `xᵢ + ẋᵢε`.
pub fn forward_trace(x: [f64; 2], seed: [f64; 2]) -> ForwardTrace {
    let input = [Dual::new(x[0], [seed[0]]), Dual::new(x[1], [seed[1]])];
    let v = steps(&input);
    ForwardTrace {
        seed,
        values: v.map(|d| d.re),
        tangents: v.map(|d| d.eps[0]),
    }
}

/// The reverse trace: the tape's printed table and each node's value and adjoint.
pub struct ReverseTrace {
    /// The tape's own table ([`Tape::trace`]), four decimals.
    pub table: String,
    /// The values v₋₁ … v₅ as recorded.
    pub values: [f64; 7],
    /// The adjoints v̄₋₁ … v̄₅ = ∂f/∂vᵢ after one backward sweep from v₅ (x̄₁ = v̄₋₁, x̄₂ = v̄₀).
    pub adjoints: [f64; 7],
}

/// Records [`steps`] at `x` on a tape with tracing on and sweeps backward once from v₅.
pub fn reverse_trace(x: [f64; 2]) -> ReverseTrace {
    let mut tape = Tape::new();
    tape.set_tracing(true);
    let v = tape.record(&x, steps);
    tape.backward(v[6]);
    ReverseTrace {
        table: format!("{:.4}", tape.trace()),
        values: v.map(|vi| vi.value()),
        adjoints: v.map(|vi| tape.adjoint(vi)),
    }
}

/// The value and gradient of f by four methods, and the closed-form gradient.
pub struct Gradients {
    /// f(x) by forward mode.
    pub value_forward: f64,
    /// f(x) by reverse mode.
    pub value_reverse: f64,
    /// ∇f = (1/x₁ + x₂, x₁ − cos x₂).
    pub exact: [f64; 2],
    /// `gradient` (forward mode, `Dual<f64, 8>`).
    pub forward: Vec<f64>,
    /// `reverse::gradient` (one recording, one sweep).
    pub reverse: Vec<f64>,
    /// Central differences, O(h²).
    pub central: Vec<f64>,
    /// Richardson-extrapolated central differences, O(h⁶) (`numeric::gradient`).
    pub richardson: Vec<f64>,
}

impl Gradients {
    /// `(name, gradient)` for each method, in the printed order.
    pub fn methods(&self) -> [(&'static str, &[f64]); 4] {
        [
            ("forward (Dual<f64, 8>)", &self.forward),
            ("reverse (tape)", &self.reverse),
            ("central differences", &self.central),
            ("Richardson, O(h⁶)", &self.richardson),
        ]
    }

    /// |gᵢ − ∂f/∂xᵢ| for each component of `g`.
    pub fn errors(&self, g: &[f64]) -> [f64; 2] {
        [(g[0] - self.exact[0]).abs(), (g[1] - self.exact[1]).abs()]
    }
}

/// Value and gradient of f at `x` by forward mode, reverse mode, central differences and
/// Richardson extrapolation.
pub fn gradients(x: [f64; 2]) -> Gradients {
    let (value_forward, forward) = gradient(f, &x);
    let (value_reverse, reverse) = reverse::gradient(f, &x);
    Gradients {
        value_forward,
        value_reverse,
        exact: [1.0 / x[0] + x[1], x[0] - x[1].cos()],
        forward,
        reverse,
        central: FiniteDiff::central().gradient(f, &x),
        richardson: numeric::gradient(f, &x),
    }
}

/// J, J·r and Jᵀ·s of [`g`], and the two sides of the dot-product check sᵀ(J·r) = (Jᵀ·s)ᵀr.
pub struct Products {
    /// The point.
    pub x: [f64; 3],
    /// g(x).
    pub values: Vec<f64>,
    /// The 2 × 3 Jacobian by forward mode.
    pub jac: DMatrix<f64>,
    /// The direction r of J·r.
    pub r: [f64; 3],
    /// J·r by forward mode (one pass of `Dual<f64, 1>`).
    pub jr: Vec<f64>,
    /// The weights s of Jᵀ·s.
    pub s: [f64; 2],
    /// Jᵀ·s by reverse mode (one sweep).
    pub jts: Vec<f64>,
    /// sᵀ(J·r).
    pub dot_jr: f64,
    /// (Jᵀ·s)ᵀr.
    pub dot_jts: f64,
}

/// J·r by forward mode, Jᵀ·s by reverse mode and the full Jacobian of [`g`] at `x`.
pub fn products(x: [f64; 3], r: [f64; 3], s: [f64; 2]) -> Products {
    let (values, jac) = jacobian(g, &x);
    let (_, jr) = jvp(g, &x, &r);
    let (_, jts) = reverse::vjp(g, &x, &s);
    let dot_jr = s.iter().zip(&jr).map(|(a, b)| a * b).sum();
    let dot_jts = r.iter().zip(&jts).map(|(a, b)| a * b).sum();
    Products {
        x,
        values,
        jac,
        r,
        jr,
        s,
        jts,
        dot_jr,
        dot_jts,
    }
}

/// The point, direction and weights of the tour's section 4.
pub const G_X: [f64; 3] = [1.0, 0.5, 2.0];
/// The direction r of J·r in section 4.
pub const G_R: [f64; 3] = [1.0, -1.0, 0.5];
/// The weights s of Jᵀ·s in section 4.
pub const G_S: [f64; 2] = [2.0, -1.0];

/// The points section 5 evaluates the gradient graph at (the first is the recording point).
pub const GRAPH_POINTS: [[f64; 2]; 3] = [[2.0, 5.0], [1.0, 0.0], [0.5, -2.0]];

/// Section 5: f recorded once as a graph at [`X`], its gradient as a graph, and that graph
/// evaluated at [`GRAPH_POINTS`].
pub struct GraphSection {
    /// The SSA listing of the gradient graph (function and derivative nodes).
    pub listing: String,
    /// Operations of the function graph and of the gradient graph.
    pub sizes: (usize, usize),
    /// `[f, ∂f/∂x₁, ∂f/∂x₂]` at each of [`GRAPH_POINTS`], by the gradient graph.
    pub values: Vec<[f64; 3]>,
}

/// Records f at [`X`], builds its gradient graph and evaluates it at [`GRAPH_POINTS`].
pub fn graph_section() -> GraphSection {
    let graph = Graph::record(&X, f);
    let grad = graph.gradient();
    let values = GRAPH_POINTS
        .iter()
        .map(|x| {
            let out = grad
                .eval(x)
                .expect("f has no branches, so its graph has no guard to fail");
            [out[0], out[1], out[2]]
        })
        .collect();
    GraphSection {
        listing: format!("{grad:.4}"),
        sizes: (graph.len(), grad.len()),
        values,
    }
}

/// The data of section 6: rows (aₖ, bₖ).
pub const ROWS_AB: [f64; 8] = [0.0, 1.0, 1.0, 2.5, 2.0, 5.0, 3.0, 7.5];
/// The point (w₁, w₂) of section 6.
pub const W: [f64; 2] = [2.0, 0.5];
/// The decay rate θ, initial value y₀, step h and number of steps of section 6's `fold`.
pub const DECAY: (f64, f64, f64, usize) = (0.5, 2.0, 1e-3, 1000);

/// The least-squares loss L(w) = Σₖ (w₁aₖ + w₂ − bₖ)² over the rows (aₖ, bₖ) of `data`, written
/// once with [`sum_map`]: the row's expression is the loop's body, the weights are captured.
pub fn least_squares<T: Real>(w: &[T], data: &[T]) -> T {
    sum_map(data, 2, |r| (w[0] * r[0] + w[1] - r[1]).powi(2))
}

/// Explicit Euler for y' = −θy: `steps` steps of `y ← y − h·θ·y` from y₀, written with [`fold`].
/// `x = (θ, y₀)`.
pub fn decay<T: Real>(x: &[T], h: f64, steps: usize) -> T {
    fold(&[x[1]], steps, |y| vec![y[0] - x[0] * y[0] * h])[0]
}

/// Section 6: loops written once, run in every mode.
pub struct LoopsSection {
    /// L(W) and ∇L(W) by forward mode, the tape and the gradient graph.
    pub loss: [[f64; 3]; 3],
    /// y after the steps and ∂y/∂θ, ∂y/∂y₀ on the tape.
    pub decay: [f64; 3],
    /// The tape's number of nodes for the decay written with `fold` and as a plain `for` loop.
    pub tape_nodes: (usize, usize),
}

/// Computes section 6.
pub fn loops_section() -> LoopsSection {
    let data = ROWS_AB;
    let (lf, gf) = gradient(|w| least_squares(w, &data.map(Dual::constant)), &W);
    let (lr, gr) = reverse::gradient(|w| least_squares(w, &data.map(reverse::Var::constant)), &W);
    let graph = Graph::record_with(&W, &data, least_squares).gradient();
    let lg = graph.eval_with(&W, &data).expect("no branch: no guard");
    let (theta, y0, h, steps) = DECAY;
    let x = [theta, y0];
    let mut tape = Tape::new();
    let y = tape.record(&x, |v| decay(v, h, steps));
    let with_fold = tape.len();
    let dy = tape.backward(y).to_vec();
    let mut plain = Tape::new();
    plain.record(&x, |v| {
        let mut y = v[1];
        for _ in 0..steps {
            y = y - v[0] * y * h;
        }
        y
    });
    LoopsSection {
        loss: [
            [lf, gf[0], gf[1]],
            [lr, gr[0], gr[1]],
            [lg[0], lg[1], lg[2]],
        ],
        decay: [y.value(), dy[0], dy[1]],
        tape_nodes: (with_fold, plain.len()),
    }
}

/// `s` left-aligned in `width` columns, counting combining marks (the dot of v̇) as zero width so
/// that the tables line up.
fn pad(s: &str, width: usize) -> String {
    let shown = s
        .chars()
        .filter(|c| !('\u{0300}'..='\u{036f}').contains(c))
        .count();
    format!("{s}{}", " ".repeat(width.saturating_sub(shown)))
}

/// The whole tour as text (what `main` prints).
pub fn report() -> String {
    let mut out = String::new();
    let w = &mut out;
    let x = X;
    // Writing to a String cannot fail.
    let _ = writeln!(
        w,
        "nilpotent tour — f(x₁, x₂) = ln x₁ + x₁x₂ − sin x₂ at (x₁, x₂) = ({}, {})\n",
        x[0], x[1]
    );

    let _ = writeln!(w, "1. Forward mode: primal trace and tangent trace");
    for (seed, name) in [
        ([1.0, 0.0], "ẋ = e₁ = (1, 0): tangents are ∂/∂x₁"),
        ([0.0, 1.0], "ẋ = e₂ = (0, 1): tangents are ∂/∂x₂"),
    ] {
        let t = forward_trace(x, seed);
        let _ = writeln!(w, "\n   seed {name}");
        let _ = writeln!(
            w,
            "   {} {} {:>9}   {} {:>9}",
            pad("v", 4),
            pad("primal", 10),
            "value",
            pad("tangent", 18),
            "value"
        );
        for (i, (v, op, dop)) in ROWS.iter().enumerate() {
            let _ = writeln!(
                w,
                "   {} {} {:>9.4}   {} {:>9.4}",
                pad(v, 4),
                pad(op, 10),
                t.values[i],
                pad(dop, 18),
                t.tangents[i]
            );
        }
    }
    let _ = writeln!(w);

    let _ = writeln!(
        w,
        "2. Reverse mode: one recording, one backward sweep (adjoint v̄ᵢ = ∂f/∂vᵢ)\n"
    );
    for line in reverse_trace(x).table.lines() {
        let _ = writeln!(w, "   {line}");
    }
    let _ = writeln!(w, "\n   x̄₁ = v̄₋₁ = ∂f/∂x₁ and x̄₂ = v̄₀ = ∂f/∂x₂\n");

    let _ = writeln!(
        w,
        "3. Value and gradient: AD vs finite differences\n   \
         (error = distance from the closed form ∇f = (1/x₁ + x₂, x₁ − cos x₂))\n"
    );
    let gr = gradients(x);
    let _ = writeln!(
        w,
        "   value f({}, {}) = {:.15} (forward), {:.15} (reverse)",
        x[0], x[1], gr.value_forward, gr.value_reverse
    );
    let _ = writeln!(
        w,
        "   {:<22} {:>20} {:>10} {:>20} {:>10}",
        "method", "∂f/∂x₁", "error", "∂f/∂x₂", "error"
    );
    for (name, g) in gr.methods() {
        let e = gr.errors(g);
        let _ = writeln!(
            w,
            "   {name:<22} {:>20.15} {:>10.1e} {:>20.15} {:>10.1e}",
            g[0], e[0], g[1], e[1]
        );
    }
    let _ = writeln!(w);

    let p = products(G_X, G_R, G_S);
    let _ = writeln!(
        w,
        "4. A vector function g(x) = (x₁e^x₂ + x₃, sin(x₁x₃) − x₂²) at x = ({}, {}, {})\n",
        p.x[0], p.x[1], p.x[2]
    );
    let _ = writeln!(w, "   g(x) = [{:.6}, {:.6}]", p.values[0], p.values[1]);
    let _ = writeln!(w, "   J (forward, 1 pass of Dual<f64, 8>) =");
    for i in 0..p.jac.nrows() {
        let row: Vec<String> = (0..p.jac.ncols())
            .map(|j| format!("{:>10.6}", p.jac[(i, j)]))
            .collect();
        let _ = writeln!(w, "      [{}]", row.join(" "));
    }
    let _ = writeln!(
        w,
        "   J·r  for r = {:?}  (forward, one pass of Dual<f64, 1>): [{:.6}, {:.6}]",
        p.r, p.jr[0], p.jr[1]
    );
    let _ = writeln!(
        w,
        "   Jᵀ·s for s = {:?}        (reverse, one sweep):          [{:.6}, {:.6}, {:.6}]",
        p.s, p.jts[0], p.jts[1], p.jts[2]
    );
    let _ = writeln!(
        w,
        "   check: sᵀ(J·r) = {:.15}, (Jᵀ·s)ᵀr = {:.15}",
        p.dot_jr, p.dot_jts
    );
    let _ = writeln!(w);

    let gs = graph_section();
    let _ = writeln!(
        w,
        "5. Reverse mode on a graph: f recorded once, its gradient built as a graph\n   \
         ({} operations for f, {} for f and ∇f; vᵢ = node i, xᵢ = input i)\n",
        gs.sizes.0, gs.sizes.1
    );
    for line in gs.listing.lines().skip(1) {
        let _ = writeln!(w, "   {line}");
    }
    let _ = writeln!(w, "\n   the same graph at other points (no new recording):");
    for (x, v) in GRAPH_POINTS.iter().zip(&gs.values) {
        let _ = writeln!(
            w,
            "   at ({:>4}, {:>4}): f = {:>10.6}, ∇f = ({:>9.6}, {:>9.6})",
            x[0], x[1], v[0], v[1], v[2]
        );
    }
    let _ = writeln!(w);

    let ls = loops_section();
    let _ = writeln!(
        w,
        "6. Loops written once: sum_map over rows of data, fold over steps\n\n   \
         L(w) = Σₖ (w₁aₖ + w₂ − bₖ)² over the rows (a, b) = {:?}:\n   \
         sum_map(data, 2, |r| (w[0] * r[0] + w[1] - r[1]).powi(2)) at w = ({}, {})",
        ROWS_AB.chunks(2).map(|r| (r[0], r[1])).collect::<Vec<_>>(),
        W[0],
        W[1]
    );
    for (name, v) in ["forward", "tape", "graph"].iter().zip(&ls.loss) {
        let _ = writeln!(
            w,
            "   {name:<8} L = {:.6}, ∇L = ({:.6}, {:.6})",
            v[0], v[1], v[2]
        );
    }
    let (theta, y0, h, steps) = DECAY;
    let _ = writeln!(
        w,
        "\n   y' = −θy by {steps} Euler steps: fold(&[y₀], {steps}, |y| vec![y[0] - θ·y[0]·h]) at \
         θ = {theta}, y₀ = {y0}, h = {h}\n   \
         y = {:.9}, ∂y/∂θ = {:.9}, ∂y/∂y₀ = {:.9} (tape)\n   \
         tape nodes: {} with fold (its steps are not kept), {} as a for loop",
        ls.decay[0], ls.decay[1], ls.decay[2], ls.tape_nodes.0, ls.tape_nodes.1
    );
    out
}

fn main() {
    print!("{}", report());
}
