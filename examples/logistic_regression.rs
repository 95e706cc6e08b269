//! Logistic regression trained by gradient descent, with the gradient from reverse mode.
//!
//! The lecture's objective for weights ω = (w₀, w₁, w₂):
//!
//! ```text
//! L(ω) = Σᵢ l(yᵢ, ŷᵢ) + λ‖ω‖²,   l(y, ŷ) = −[y ln ŷ + (1 − y) ln(1 − ŷ)],
//! ŷ = σ(z) = 1 / (1 + e^(−z)),   z = w₀ + w₁x₁ + w₂x₂
//! ```
//!
//! written once, generically over `T: Float` ([`objective`]), and minimised by ω ← ω − η∇L(ω) on a
//! synthetic data set drawn from a known logistic model (a seeded generator, so every run prints
//! the same numbers). The gradient of each epoch comes from one recording and one backward sweep on
//! a reused [`Tape`] (`gradient_into`: no allocation per epoch). Before training, the reverse
//! gradient is checked against forward mode, finite differences and the closed form.
//!
//! Run with `cargo run --release --example logistic_regression [-- EPOCHS]` (default 500).
//! The loss table goes to stdout; a progress line goes to stderr (a `\r`-updated line on a
//! terminal, a line per quarter of the run otherwise).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use nilpotent::gradient;
use nilpotent::numeric;
use nilpotent::reverse::Tape;
use num_traits::Float;

/// One training example: features (x₁, x₂) and label y ∈ {0, 1}.
#[derive(Clone, Copy, Debug)]
struct Sample {
    x: [f64; 2],
    y: f64,
}

/// `v` as a `T`.
fn c<T: Float>(v: f64) -> T {
    T::from(v).unwrap()
}

/// z = w₀ + w₁x₁ + w₂x₂.
fn logit<T: Float>(w: &[T], x: [f64; 2]) -> T {
    w[0] + w[1] * c(x[0]) + w[2] * c(x[1])
}

/// softplus(z) = ln(1 + eᶻ), evaluated without overflow or cancellation: for z > 0 as
/// z + ln_1p(e^(−z)), otherwise as ln_1p(eᶻ). Both forms are the same smooth function, and the
/// exponential's argument is never positive, so e^(·) ∈ (0, 1] cannot overflow and `ln_1p` keeps
/// full precision where eᶻ is tiny (a naive ln(1 + eᶻ) returns 0 for z < −37 and ∞ for z > 709).
///
/// Why a branch and not the one-liner max(z, 0) + ln_1p(e^(−|z|)): that form has kinks in `max`
/// and `abs` at z = 0 whose derivatives cancel only if both take the same one-sided slope.
/// nilpotent's conventions (the Conventions table on the crate's front page) average the tangent of `max` at a tie (½) and take `abs`'s
/// slope from the sign bit (+1 at +0), so at z = 0 exactly AD would give ½ − ½ = 0 instead of
/// σ(0) = ½ — and z = 0 for every sample at the usual start ω = 0. The branch compares real parts
/// only, and both branches have the derivative σ(z) everywhere, so the tangent is right at 0 too.
fn softplus<T: Float>(z: T) -> T {
    if z > T::zero() {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// The cross-entropy of label y for a logit z, in the stable form
/// l = −[y ln σ(z) + (1 − y) ln(1 − σ(z))] = softplus(z) − y·z,
/// using ln σ(z) = −softplus(−z), ln(1 − σ(z)) = −softplus(z) and softplus(−z) = softplus(z) − z.
/// It never forms ŷ = σ(z), so there is no ln 0 when ŷ rounds to 0 or 1.
fn cross_entropy<T: Float>(y: f64, z: T) -> T {
    softplus(z) - c::<T>(y) * z
}

/// The objective L(ω) = Σᵢ l(yᵢ, σ(zᵢ)) + λ‖ω‖² (the bias w₀ is penalised too, as in the
/// lecture's formula). Generic: it runs on `f64`, on dual numbers and on the tape.
fn objective<T: Float>(w: &[T], data: &[Sample], lambda: f64) -> T {
    let data_term = data
        .iter()
        .fold(T::zero(), |acc, s| acc + cross_entropy(s.y, logit(w, s.x)));
    let norm2 = w.iter().fold(T::zero(), |acc, &wi| acc + wi * wi);
    data_term + c::<T>(lambda) * norm2
}

/// σ(z) = 1/(1 + e^(−z)) without overflow in e^(−z) (for predictions and the closed form).
fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// The hand-derived gradient ∇L = Σᵢ (σ(zᵢ) − yᵢ)·(1, x₁ᵢ, x₂ᵢ) + 2λω: an independent oracle.
fn closed_form_gradient(w: &[f64], data: &[Sample], lambda: f64) -> Vec<f64> {
    let mut g: Vec<f64> = w.iter().map(|wi| 2.0 * lambda * wi).collect();
    for s in data {
        let r = sigmoid(logit(w, s.x)) - s.y;
        g[0] += r;
        g[1] += r * s.x[0];
        g[2] += r * s.x[1];
    }
    g
}

/// The fraction of samples whose label is predicted correctly (ŷ ≥ ½ ⇔ z ≥ 0 predicts 1).
fn accuracy(w: &[f64], data: &[Sample]) -> f64 {
    let correct = data
        .iter()
        .filter(|s| (logit(w, s.x) >= 0.0) == (s.y == 1.0))
        .count();
    correct as f64 / data.len() as f64
}

/// SplitMix64: a tiny seeded generator, so the data set is the same on every run and machine.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1): 53 random bits, never exactly 0 (safe for ln).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// A standard normal deviate (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// `n` samples with features ~ N(0, 1.5²) each and labels drawn from the logistic model with
/// weights `w_true`: y = 1 with probability σ(w₀ + w₁x₁ + w₂x₂). The classes overlap near the line
/// w₀ + w₁x₁ + w₂x₂ = 0, so no classifier is perfect.
fn synthetic_data(n: usize, w_true: &[f64], seed: u64) -> Vec<Sample> {
    let mut rng = SplitMix(seed);
    (0..n)
        .map(|_| {
            let x = [1.5 * rng.normal(), 1.5 * rng.normal()];
            let y = if rng.uniform() < sigmoid(logit(w_true, x)) {
                1.0
            } else {
                0.0
            };
            Sample { x, y }
        })
        .collect()
}

/// ‖a − b‖∞ / ‖b‖∞.
fn rel_diff(a: &[f64], b: &[f64]) -> f64 {
    let num = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    let den = b.iter().fold(0.0f64, |m, y| m.max(y.abs()));
    num / den
}

/// Compares the reverse-mode gradient at `w` with forward mode, Richardson finite differences and
/// the closed form; prints the agreement and panics if it is not within the stated tolerances.
fn check_gradient_at(tape: &mut Tape<f64>, w: &[f64], data: &[Sample], lambda: f64) {
    let mut rev = vec![0.0; w.len()];
    tape.gradient_into(|v| objective(v, data, lambda), w, &mut rev);
    let (_, fwd) = gradient(|v| objective(v, data, lambda), w);
    let fd = numeric::gradient(|v| objective(v, data, lambda), w);
    let exact = closed_form_gradient(w, data, lambda);
    let (e_fwd, e_fd, e_cf) = (
        rel_diff(&rev, &fwd),
        rel_diff(&rev, &fd),
        rel_diff(&rev, &exact),
    );
    println!(
        "  at ω = [{:.2}, {:.2}, {:.2}]: ∇L = [{:.6}, {:.6}, {:.6}]\n    differs from forward \
         mode by {e_fwd:.1e}, finite differences by {e_fd:.1e}, the closed form by {e_cf:.1e}",
        w[0], w[1], w[2], rev[0], rev[1], rev[2]
    );
    // Tolerances (relative to ‖∇L‖∞): the AD gradients and the closed form are sums of 400 terms
    // accumulated in different orders, so they may differ by a few hundred ulps of ‖∇L‖∞ in the
    // worst case: 1e-13 (observed ≤ 6e-16). Richardson differences of L (≈ 300, smooth) reach
    // ≈ 1e-12 relative here (observed ≤ 1.2e-12): 1e-10, while a wrong derivative rule or the
    // kinked softplus at z = 0 would be off by O(1).
    assert!(e_fwd < 1e-13, "reverse and forward gradients disagree");
    assert!(e_cf < 1e-13, "reverse gradient and closed form disagree");
    assert!(
        e_fd < 1e-10,
        "reverse gradient and finite differences disagree"
    );
}

/// Reports progress on stderr: a `\r`-updated line (at most every 100 ms) when stderr is a
/// terminal, otherwise one plain line per quarter of the run, so a redirected log stays readable.
struct Progress {
    total: usize,
    start: Instant,
    last: Instant,
    terminal: bool,
    next_quarter: usize,
}

impl Progress {
    fn new(total: usize) -> Self {
        let now = Instant::now();
        Progress {
            total,
            start: now,
            last: now,
            terminal: std::io::stderr().is_terminal(),
            next_quarter: 1,
        }
    }

    fn update(&mut self, epoch: usize, loss: f64) {
        let done = epoch + 1;
        let elapsed = self.start.elapsed().as_secs_f64();
        let line = format!(
            "epoch {done}/{} ({:.0}%), L = {loss:.6}, {elapsed:.2} s",
            self.total,
            100.0 * done as f64 / self.total as f64
        );
        if self.terminal {
            if self.last.elapsed() >= Duration::from_millis(100) || done == self.total {
                self.last = Instant::now();
                eprint!("\r\x1b[2K{line}");
                let _ = std::io::stderr().flush();
            }
        } else if done * 4 >= self.next_quarter * self.total {
            self.next_quarter += 1;
            eprintln!("progress: {line}");
        }
    }

    /// Clears the `\r` line before something is printed on stdout (which may share the terminal).
    fn clear(&self) {
        if self.terminal {
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        }
    }
}

fn main() {
    let epochs: usize = match std::env::args().nth(1) {
        None => 500,
        Some(a) => a.parse().unwrap_or_else(|_| {
            panic!("the number of epochs must be a positive integer, got {a:?}")
        }),
    };
    assert!(epochs > 0, "the number of epochs must be at least 1");
    let w_true = [-0.5, 2.0, -1.5];
    let n = 400;
    let data = synthetic_data(n, &w_true, 0x6c6f_6769_7374_6963);
    let lambda = 0.5;
    let eta = 2e-3;
    let positives = data.iter().filter(|s| s.y == 1.0).count();

    println!("Logistic regression: L(ω) = Σᵢ l(yᵢ, ŷᵢ) + λ‖ω‖², ŷ = σ(w₀ + w₁x₁ + w₂x₂)");
    println!(
        "data: {n} points, x ~ N(0, 1.5²)², y ~ Bernoulli(σ(ω*·(1, x))) with ω* = {w_true:?} \
         ({positives} positive)"
    );
    println!("λ = {lambda}, η = {eta}, {epochs} epochs of full-batch gradient descent\n");

    // One tape for the whole run, reused by every epoch without allocating. The number of nodes
    // depends on ω (softplus records 4 nodes for z > 0 and 2 otherwise), so the capacity is
    // reserved up front for the worst case instead of growing during training: per sample 4 nodes
    // for z, ≤ 4 for softplus, 3 for − y·z and the sum; 8 for λ‖ω‖²; 3 inputs.
    let capacity = 11 * n + 11;
    let mut tape = Tape::<f64>::with_capacity(capacity);

    println!("Gradient check (relative differences ‖Δ‖∞/‖∇L‖∞ of the reverse-mode gradient):");
    for w in [[0.0, 0.0, 0.0], [0.3, -0.7, 1.1]] {
        check_gradient_at(&mut tape, &w, &data, lambda);
    }
    // At ω = 0 every zᵢ is exactly 0, the point where a kinked softplus would go wrong.
    println!(
        "  (at ω = 0, every ŷᵢ = ½ and ∂L/∂w₀ = Σᵢ(½ − yᵢ) = {} − {positives} = {})\n",
        n / 2,
        n as f64 / 2.0 - positives as f64
    );

    let mut w = [0.0; 3];
    let mut grad = [0.0; 3];
    let every = (epochs / 20).max(1);
    let mut progress = Progress::new(epochs);
    println!(
        "{:>6}  {:>14}  {:>10}  {:>28}",
        "epoch", "L(ω)", "‖∇L‖", "ω"
    );
    for epoch in 0..epochs {
        let loss = tape.gradient_into(|v| objective(v, &data, lambda), &w, &mut grad);
        if epoch % every == 0 {
            let gnorm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
            progress.clear();
            println!(
                "{epoch:>6}  {loss:>14.8}  {gnorm:>10.3e}  [{:>8.5}, {:>8.5}, {:>8.5}]",
                w[0], w[1], w[2]
            );
        }
        for (wi, gi) in w.iter_mut().zip(&grad) {
            *wi -= eta * gi;
        }
        progress.update(epoch, loss);
    }
    progress.clear();

    let final_loss = objective(&w, &data, lambda);
    let final_grad = closed_form_gradient(&w, &data, lambda);
    let gnorm = final_grad.iter().map(|g| g * g).sum::<f64>().sqrt();
    println!(
        "{epochs:>6}  {final_loss:>14.8}  {gnorm:>10.3e}  [{:>8.5}, {:>8.5}, {:>8.5}]\n",
        w[0], w[1], w[2]
    );
    println!("final ω  = [{:.5}, {:.5}, {:.5}]", w[0], w[1], w[2]);
    println!(
        "true ω*  = [{:.5}, {:.5}, {:.5}] (the model that generated the labels)",
        w_true[0], w_true[1], w_true[2]
    );
    println!(
        "training accuracy: {:.2}% (ω* itself: {:.2}%)",
        100.0 * accuracy(&w, &data),
        100.0 * accuracy(&w_true, &data)
    );
    println!(
        "tape: {} nodes in the last recording ({} reserved, {} bytes per node)",
        tape.len(),
        capacity,
        Tape::<f64>::bytes_per_node()
    );
    assert!(
        tape.len() <= capacity,
        "the tape outgrew its reserved capacity"
    );
}
