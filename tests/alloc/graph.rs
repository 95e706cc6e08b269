//! Allocation counts of graph evaluation (in the `alloc` test binary, which
//! installs a counting global allocator).
//!
//! A graph is recorded, its derivatives built and lowered once; an [`Evaluator`] made from the
//! program then evaluates at any input without allocating: on `f64`, `f32` and dual numbers, for
//! function, gradient, Jacobian and Hessian graphs, also when the evaluation stops at a failing
//! guard's check… except for the error itself, which carries two strings (counted separately).
//!
//! Only allocations made by the current thread while its `COUNTING` flag is set are counted, so the
//! test harness's own threads cannot disturb the count.

use nilpotent::Dual;
use nilpotent::custom::{Custom, GradientRule, UnaryRule};
use nilpotent::graph::{Graph, GraphError};
use num_traits::Float;

use crate::counting::allocations_in;

/// The chained Rosenbrock function.
fn rosenbrock<T: Float>(x: &[T]) -> T {
    let c100 = T::from(100.0).unwrap();
    x.windows(2).fold(T::zero(), |s, w| {
        let a = w[1] - w[0] * w[0];
        let b = T::one() - w[0];
        s + c100 * a * a + b * b
    })
}

/// A function with a guard in its gradient graph (`abs`, `max`) and every kind of instruction
/// (`mul_add`, a product used only by a sum, ⊙).
fn guarded<T: Float>(x: &[T]) -> T {
    x[0].abs().max(x[1]) * x[1].sqrt() + x[0].mul_add(x[1], x[2]) + x[2].sin() * x[0]
}

/// A custom rule of one operand, x³ (derivative generic).
#[derive(Clone, Copy)]
struct Cube;
impl UnaryRule for Cube {
    fn name(&self) -> &'static str {
        "cube"
    }
    fn value(&self, x: f64) -> f64 {
        x * x * x
    }
    fn derivative<T: Custom>(&self, x: T) -> T {
        T::from(3.0).unwrap() * x * x
    }
}

/// A custom rule of three operands, x₀x₁x₂ (gradient generic).
#[derive(Clone, Copy)]
struct Prod3;
impl GradientRule for Prod3 {
    fn name(&self) -> &'static str {
        "prod3"
    }
    fn value(&self, x: &[f64]) -> f64 {
        x[0] * x[1] * x[2]
    }
    fn gradient<T: Custom>(&self, x: &[T], g: &mut [T]) {
        g[0] = x[1] * x[2];
        g[1] = x[0] * x[2];
        g[2] = x[0] * x[1];
    }
}

fn with_custom_rules<T: Custom>(x: &[T]) -> T {
    T::custom_n(&Prod3, &[x[0].custom(&Cube), x[1], x[2]]) + x[1].custom(&Cube)
}

/// ℝ³ → ℝ²
fn field<T: Float>(x: &[T]) -> Vec<T> {
    vec![x[0] * x[1].sin() + x[2], (x[0] * x[2]).exp() - x[1]]
}

// One #[test] only: the numbers are easy to read, and no other test of this binary allocates
// concurrently on this thread anyway.
#[test]
fn graph_evaluation_does_not_allocate() {
    // the counter works: a Vec allocates once, and is seen
    assert_eq!(
        allocations_in(|| drop(std::hint::black_box(vec![1u8; 16]))),
        1
    );

    let n = 50;
    let mut x: Vec<f64> = (0..n).map(|i| 0.5 + 0.01 * i as f64).collect();
    let g = Graph::record(&x, rosenbrock);
    let (grad, hess) = (g.gradient(), Graph::record(&x[..8], rosenbrock).hessian());
    let mut checksum = 0.0;

    // gradient graph on f64: 100 evaluations at moving points, none allocates, and the results
    // are a fresh evaluation's (the reused work slots keep nothing stale)
    let program = grad.program();
    let mut eval = program.evaluator::<f64>();
    let mut out = vec![0.0; 1 + n];
    let count = allocations_in(|| {
        for step in 0..100 {
            x[step % n] += 1e-3;
            eval.eval_into(&x, &mut out).unwrap();
            checksum += out[0] + out[1 + step % n];
        }
    });
    assert_eq!(count, 0, "allocations in 100 gradient-graph evaluations");
    assert_eq!(out, grad.eval(&x).unwrap());

    // the function graph, on f64 and f32
    let mut eval = g.program().evaluator::<f64>();
    let mut out1 = [0.0];
    let xf: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let mut eval32 = g.program().evaluator::<f32>();
    let mut out32 = [0.0f32];
    let count = allocations_in(|| {
        for _ in 0..100 {
            eval.eval_into(&x, &mut out1).unwrap();
            eval32.eval_into(&xf, &mut out32).unwrap();
            checksum += out1[0] + f64::from(out32[0]);
        }
    });
    assert_eq!(count, 0, "allocations in 200 function-graph evaluations");

    // the Hessian graph (n = 8: 1 + 8 + 64 outputs)
    let mut eval = hess.program().evaluator::<f64>();
    let mut outh = vec![0.0; 1 + 8 + 64];
    let mut xh = x[..8].to_vec();
    let count = allocations_in(|| {
        for step in 0..100 {
            xh[step % 8] -= 1e-3;
            eval.eval_into(&xh, &mut outh).unwrap();
            checksum += outh[9 + step % 64];
        }
    });
    assert_eq!(count, 0, "allocations in 100 Hessian-graph evaluations");

    // forward mode on the gradient graph (Dual<f64, 2>: H·v for two directions)
    let mut eval = grad.program().evaluator::<Dual<f64, 2>>();
    let xd: Vec<Dual<f64, 2>> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| Dual::new(v, [(i % 2) as f64, 1.0]))
        .collect();
    let mut outd = vec![Dual::constant(0.0); 1 + n];
    let count = allocations_in(|| {
        for _ in 0..100 {
            eval.eval_into(&xd, &mut outd).unwrap();
            checksum += outd[1].eps[0];
        }
    });
    assert_eq!(count, 0, "allocations in 100 dual evaluations");

    // a Jacobian graph, and a gradient graph with guards checked on every evaluation
    let jac = Graph::record_vec(&[0.3, 0.4, 0.5], field).jacobian();
    let mut ej = jac.program().evaluator::<f64>();
    let mut outj = [0.0; 2 + 6];
    let gg = Graph::record(&[0.5, 1.5, 0.25], guarded).gradient();
    assert!(gg.num_guards() > 0);
    let mut eg = gg.program().evaluator::<f64>();
    let mut outg = [0.0; 4];
    let count = allocations_in(|| {
        for step in 0..100 {
            let t = step as f64 * 1e-3;
            ej.eval_into(&[0.3 + t, 0.4, 0.5 - t], &mut outj).unwrap();
            eg.eval_into(&[0.5 + t, 1.5, 0.25], &mut outg).unwrap();
            checksum += outj[4] + outg[1];
        }
    });
    assert_eq!(
        count, 0,
        "allocations in 200 Jacobian and guarded evaluations"
    );

    // wrong lengths are reported without allocating; a failing guard allocates only its error
    // (the question and the two answers, in words)
    let count = allocations_in(|| {
        let r = eg.eval_into(&[0.5, 1.5], &mut outg);
        assert!(matches!(r, Err(GraphError::InputLength { .. })));
        let r = eg.eval_into(&[0.5, 1.5, 0.25], &mut outg[..2]);
        assert!(matches!(r, Err(GraphError::OutputLength { .. })));
    });
    assert_eq!(count, 0, "allocations of the length errors");
    let mut err = None;
    let count = allocations_in(|| err = Some(eg.eval_into(&[2.0, 1.5, 0.25], &mut outg)));
    assert!(matches!(err, Some(Err(GraphError::Guard { .. }))));
    // the error's two descriptions of the question, formatted from the operands' names: a
    // handful of small strings (7 today), not a copy of anything the size of the graph
    assert!(count <= 8, "{count} allocations for a guard error");
    drop(err);
    // and the evaluator works as before after the error
    let count = allocations_in(|| eg.eval_into(&[0.5, 1.5, 0.25], &mut outg).unwrap());
    assert_eq!(count, 0);
    assert_eq!(outg.to_vec(), gg.eval(&[0.5, 1.5, 0.25]).unwrap());

    // custom rules (crate::custom): their operands go to room at the end of the work buffer, on
    // f64 for function, gradient and Hessian graphs, and on dual numbers for a rule of one operand
    let xc = [0.5, 1.5, 0.25];
    let gc = Graph::record(&xc, with_custom_rules);
    let hc = gc.hessian();
    let mut ec = hc.program().evaluator::<f64>();
    let mut outc = vec![0.0; 1 + 3 + 9];
    let gcd = Graph::record(&xc[..2], |x| x[0].custom(&Cube) * x[1]);
    let mut ecd = gcd.program().evaluator::<Dual<f64, 2>>();
    let xd = [Dual::new(0.5, [1.0, 0.0]), Dual::new(1.5, [0.0, 1.0])];
    let mut outcd = [Dual::constant(0.0)];
    let count = allocations_in(|| {
        for step in 0..100 {
            let t = step as f64 * 1e-3;
            ec.eval_into(&[0.5 + t, 1.5, 0.25 - t], &mut outc).unwrap();
            ecd.eval_into(&xd, &mut outcd).unwrap();
            checksum += outc[5] + outcd[0].eps[0];
        }
    });
    assert_eq!(count, 0, "allocations in 200 evaluations with custom rules");
    assert_eq!(outc, hc.eval(&[0.599, 1.5, 0.151]).unwrap());
    assert!(checksum.is_finite());
}
