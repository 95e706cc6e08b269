//! The interpreter's superinstructions (one dispatch for a chain of `x·y + acc`, of
//! `(x ⊙ y) + acc`, or a run of `x ⊙ ȳ` by one adjoint) change no bit: every program is compared
//! with the same graph lowered without them (`Graph::program_without_superinstructions`, which
//! runs one dispatch per operation, in loop bodies too) bit for bit, on `f64`, `f32` and dual
//! numbers, at random points and at 0, −0, ±∞ and NaN in a weight or a row; values against the
//! plain `f64` function too (the same operations in the same order), gradients against the tape.

use super::loops::Rng;
use crate::common::functions::logistic_rows as logistic;
use nilpotent::custom::{Custom, UnaryRule};
use nilpotent::graph::{Graph, Program, Value};
use nilpotent::{Dual, Real, reverse, scan, sum_map};

/// Rows of `d` features and a 0/1 label.
fn data(rng: &mut Rng, m: usize, d: usize) -> Vec<f64> {
    let mut rows = Vec::with_capacity(m * (d + 1));
    for k in 0..m {
        rows.extend(rng.vec(d));
        rows.push(if k % 3 == 0 { 1.0 } else { 0.0 });
    }
    rows
}

/// The bits of every part of a value (the value and each tangent, at every level).
trait Bits: Value {
    fn bits(&self, into: &mut Vec<u64>);
    fn lift(x: f64, k: usize) -> Self;
}
impl Bits for f64 {
    fn bits(&self, into: &mut Vec<u64>) {
        into.push(self.to_bits());
    }
    fn lift(x: f64, _: usize) -> f64 {
        x
    }
}
impl Bits for f32 {
    fn bits(&self, into: &mut Vec<u64>) {
        into.push(u64::from(self.to_bits()));
    }
    fn lift(x: f64, _: usize) -> f32 {
        x as f32
    }
}
impl Bits for Dual<f64, 2> {
    fn bits(&self, into: &mut Vec<u64>) {
        into.push(self.re.to_bits());
        into.extend(self.eps.iter().map(|e| e.to_bits()));
    }
    /// Tangents that differ per value (`k` is the value's index), so every lane is exercised.
    fn lift(x: f64, k: usize) -> Self {
        Dual::new(
            x,
            [
                1.0 / (k as f64 + 1.0),
                if k.is_multiple_of(2) { 0.0 } else { -1.5 },
            ],
        )
    }
}

/// Both programs evaluated on `T` at `(x, p)`: the outputs' bits, or the error's text.
fn run<T: Bits>(program: &Program, x: &[f64], p: &[f64]) -> Result<Vec<u64>, String> {
    let xs: Vec<T> = x.iter().enumerate().map(|(k, &v)| T::lift(v, k)).collect();
    let ps: Vec<T> = p
        .iter()
        .enumerate()
        .map(|(k, &v)| T::lift(v, k + 7))
        .collect();
    let out = program
        .evaluator::<T>()
        .eval_with(&xs, &ps)
        .map_err(|e| format!("{e:?} / {e}"))?;
    let mut bits = Vec::new();
    for o in &out {
        o.bits(&mut bits);
    }
    Ok(bits)
}

/// The graph's program and the one without superinstructions give the same bits (or the same
/// error) on `f64`, `f32` and `Dual<f64, 2>` at `(x, p)`; returns the `f64` outputs.
fn same_with_and_without(g: &Graph, x: &[f64], p: &[f64]) -> Result<Vec<f64>, String> {
    let (fused, plain) = (g.program(), g.program_without_superinstructions());
    assert_eq!(
        run::<f64>(fused, x, p),
        run::<f64>(&plain, x, p),
        "f64 at {x:?}, {p:?}"
    );
    assert_eq!(
        run::<f32>(fused, x, p),
        run::<f32>(&plain, x, p),
        "f32 at {x:?}, {p:?}"
    );
    assert_eq!(
        run::<Dual<f64, 2>>(fused, x, p),
        run::<Dual<f64, 2>>(&plain, x, p),
        "Dual<f64, 2> at {x:?}, {p:?}"
    );
    run::<f64>(fused, x, p).map(|b| b.into_iter().map(f64::from_bits).collect())
}

/// `(value, gradient)` by the tape, the data as constants.
fn tape_gradient(
    f: impl Fn(&[reverse::Var<f64>], &[reverse::Var<f64>]) -> reverse::Var<f64>,
    w: &[f64],
    p: &[f64],
) -> (f64, Vec<f64>) {
    reverse::gradient(
        |w| {
            let p: Vec<_> = p.iter().map(|&v| nilpotent::Literal::cst(v)).collect();
            f(w, &p)
        },
        w,
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn superinstructions_change_no_bit_of_the_logistic_gradient_at_random_points() {
    let mut rng = Rng(0x5eed);
    for (d, m) in [(1, 1), (2, 3), (7, 5), (40, 9)] {
        let (w, rows) = (rng.vec(d), data(&mut rng, m, d));
        let f = Graph::record_with(&w, &rows, logistic);
        let (g, h) = (f.gradient(), f.hessian());
        for _ in 0..4 {
            let (w, rows) = (rng.vec(d), data(&mut rng, m, d));
            let got = same_with_and_without(&g, &w, &rows).unwrap();
            // the value: the plain f64 loop, bit for bit (the same operations in the same order)
            assert_eq!(got[0].to_bits(), logistic(&w, &rows).to_bits());
            let (v, grad) = tape_gradient(logistic, &w, &rows);
            assert!(close(got[0], v));
            for j in 0..d {
                assert!(close(got[1 + j], grad[j]), "{got:?} against {grad:?}");
            }
            same_with_and_without(&f, &w, &rows).unwrap();
            same_with_and_without(&h, &w, &rows).unwrap();
        }
    }
}

#[test]
fn superinstructions_change_no_bit_with_zero_minus_zero_infinities_or_nan_in_a_weight_or_a_row() {
    let mut rng = Rng(42);
    let (d, m) = (5, 4);
    let (w0, rows0) = (rng.vec(d), data(&mut rng, m, d));
    let f = Graph::record_with(&w0, &rows0, logistic);
    let g = f.gradient();
    let specials = [0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
    let mut checked = 0;
    for s in specials {
        for j in 0..d {
            let mut w = w0.clone();
            w[j] = s;
            for graph in [&f, &g] {
                same_with_and_without(graph, &w, &rows0).unwrap();
            }
            checked += 1;
        }
        for k in 0..rows0.len() {
            let mut rows = rows0.clone();
            rows[k] = s;
            for graph in [&f, &g] {
                same_with_and_without(graph, &w0, &rows).unwrap();
            }
            checked += 1;
        }
        // every weight special at once (the ⊙ convention: 0 against ±∞ or NaN)
        let w = vec![s; d];
        same_with_and_without(&g, &w, &rows0).unwrap();
    }
    assert_eq!(checked, specials.len() * (d + rows0.len()));
}

/// `Σ aⱼ·bⱼ` from +0 over the first `n` pairs of `x = [a₀, b₀, a₁, b₁, …]`.
fn dot<T: Real>(x: &[T], n: usize) -> T {
    (0..n).fold(T::zero(), |s, j| s + x[2 * j] * x[2 * j + 1])
}

/// Chains shorter than 4 are left to one dispatch per operation (a superinstruction is a call,
/// which costs more than the dispatches it saves there: measured on the gradient of Rosenbrock,
/// whose sums are chains of 2).
const SHORTEST_FUSED: usize = 4;

#[test]
fn superinstructions_change_no_bit_on_chains_of_length_one_to_six() {
    let mut rng = Rng(3);
    for n in 1..=6 {
        let x = rng.vec(2 * n);
        let g = Graph::record(&x, |x| dot(x, n));
        let grad = g.gradient();
        let (fused, plain) = (
            g.program().len(),
            g.program_without_superinstructions().len(),
        );
        assert_eq!(plain, n);
        assert_eq!(fused, if n >= SHORTEST_FUSED { 1 } else { n });
        for x in [rng.vec(2 * n), vec![0.0; 2 * n], vec![-0.0; 2 * n]] {
            let got = same_with_and_without(&g, &x, &[]).unwrap();
            assert_eq!(got[0].to_bits(), dot(&x, n).to_bits());
            same_with_and_without(&grad, &x, &[]).unwrap();
        }
        // the same chains as a loop body
        let w = rng.vec(n);
        let rows = rng.vec(3 * n);
        fn typed<T: Real>(w: &[T], rows: &[T]) -> T {
            let n = w.len();
            sum_map(rows, n, |r| (0..n).fold(T::zero(), |s, j| s + w[j] * r[j]))
        }
        let l = Graph::record_with(&w, &rows, typed);
        let got = same_with_and_without(&l, &w, &rows).unwrap();
        assert_eq!(got[0].to_bits(), typed(&w, &rows).to_bits());
        same_with_and_without(&l.gradient(), &w, &rows).unwrap();
    }
}

/// `s₄ = Σ_{j<4} aⱼbⱼ`, `s₈ = s₄ + Σ_{4≤j<8} aⱼbⱼ`: the partial sum `s₄` is read again
/// (`s₈·s₄`).
fn partial_read_twice<T: Real>(x: &[T]) -> Vec<T> {
    let s4 = dot(x, 4);
    let s8 = (4..8).fold(s4, |s, j| s + x[2 * j] * x[2 * j + 1]);
    vec![s8 * s4]
}

#[test]
fn a_chain_whose_partial_sum_is_read_elsewhere_is_not_fused_past_that_read() {
    let mut rng = Rng(9);
    let x = rng.vec(16);
    let g = Graph::record_vec(&x, partial_read_twice);
    // two chains of four (s₄, then s₈ from s₄) and the product: not one chain of eight
    assert_eq!(g.program_without_superinstructions().len(), 9);
    assert_eq!(g.program().len(), 3);
    for x in [rng.vec(16), rng.vec(16), vec![0.0; 16]] {
        let got = same_with_and_without(&g, &x, &[]).unwrap();
        assert_eq!(got[0].to_bits(), partial_read_twice(&x)[0].to_bits());
        same_with_and_without(&g.gradient(), &x, &[]).unwrap();
    }
    // and as both outputs: the partial sum is an output of its own
    let both = Graph::record_vec(&x, |x| {
        let s4 = dot(x, 4);
        vec![(4..8).fold(s4, |s, j| s + x[2 * j] * x[2 * j + 1]), s4]
    });
    assert_eq!(both.program().len(), 2);
    let got = same_with_and_without(&both, &x, &[]).unwrap();
    assert_eq!(got[0].to_bits(), dot(&x, 8).to_bits());
    assert_eq!(got[1].to_bits(), dot(&x, 4).to_bits());
}

/// 3x, a custom rule.
#[derive(Clone, Copy)]
struct Triple;
impl UnaryRule for Triple {
    fn name(&self) -> &'static str {
        "triple"
    }
    fn value(&self, x: f64) -> f64 {
        3.0 * x
    }
    fn derivative<T: Custom>(&self, _: T) -> T {
        T::from(3.0).unwrap()
    }
}

#[test]
fn superinstructions_keep_guard_errors_custom_calls_and_nested_loops_identical() {
    // a branch on the label (guards inside the body): the error at a row no variant took
    fn branch<T: Real>(w: &[T], rows: &[T]) -> T {
        let d = w.len();
        sum_map(rows, d + 1, |r| {
            let z = (0..d).fold(T::zero(), |s, j| s + w[j] * r[j]);
            if z > 0.0 {
                (T::one() + (-z).exp()).ln()
            } else {
                z.tanh()
            }
        })
    }
    let mut rng = Rng(17);
    let d = 4;
    let w = vec![0.5; d];
    let rows: Vec<f64> = (0..3 * (d + 1)).map(|k| (k % 5) as f64 * 0.25).collect();
    let g = Graph::record_with(&w, &rows, branch);
    let grad = g.gradient();
    let w_neg = vec![-0.5; d];
    for graph in [&g, &grad] {
        same_with_and_without(graph, &w, &rows).unwrap();
        let err = same_with_and_without(graph, &w_neg, &rows).unwrap_err();
        assert!(err.contains("LoopGuard"), "{err}");
    }
    // a custom rule inside a chain's operands
    fn with_custom<T: Real + Custom>(x: &[T]) -> T {
        x[0].custom(&Triple) * x[1] + x[2] * x[3] + x[4].custom(&Triple) * x[5]
    }
    let x = rng.vec(6);
    let c = Graph::record(&x, with_custom);
    for x in [rng.vec(6), vec![0.0; 6]] {
        let got = same_with_and_without(&c, &x, &[]).unwrap();
        assert_eq!(got[0].to_bits(), with_custom(&x).to_bits());
        same_with_and_without(&c.gradient(), &x, &[]).unwrap();
    }
    // a sum_map inside a scan step, its chains in the inner body
    fn nested<T: Real>(p: &[T], xs: &[T]) -> T {
        let s = scan(&[p[0]], xs, 3, |s, row| {
            let inner = sum_map(row, 3, |v| v[0] * p[1] + v[1] * p[2] + v[2] * s[0]);
            vec![s[0] * 0.5 + inner.sin()]
        });
        s[0]
    }
    let (p, xs) = (rng.vec(3), rng.vec(12));
    let n = Graph::record_with(&p, &xs, nested);
    for _ in 0..3 {
        let (p, xs) = (rng.vec(3), rng.vec(12));
        let got = same_with_and_without(&n, &p, &xs).unwrap();
        assert_eq!(got[0].to_bits(), nested(&p, &xs).to_bits());
        same_with_and_without(&n.gradient(), &p, &xs).unwrap();
    }
}

/// Two losses over the same data and weights, weighted 2 and 1 in the sum: the reverse loops'
/// seeds (the constants 2 and 1, read after the data and the weights) differ; one loop reads its
/// seed from a slot made for it right after the weights, the other copies its operands.
fn two_losses<T: Real>(w: &[T], rows: &[T]) -> T {
    let d = w.len();
    let squares = sum_map(rows, d + 1, |r| {
        let z = (0..d).fold(T::zero(), |s, j| s + w[j] * r[j]);
        (z - r[d]) * (z - r[d])
    });
    logistic(w, rows) * 2.0 + squares
}

#[test]
fn loops_reading_the_data_in_place_get_their_constant_operands_right() {
    let mut rng = Rng(77);
    let d = 3;
    let (w, rows) = (rng.vec(d), data(&mut rng, 4, d));
    let g = Graph::record_with(&w, &rows, two_losses).gradient();
    for _ in 0..3 {
        let (w, rows) = (rng.vec(d), data(&mut rng, 4, d));
        let got = same_with_and_without(&g, &w, &rows).unwrap();
        let (v, grad) = tape_gradient(two_losses, &w, &rows);
        assert!(close(got[0], v));
        for j in 0..d {
            assert!(close(got[1 + j], grad[j]), "{got:?} against {grad:?}");
        }
    }
}
