//! Gradients: the lecture function, extended Rosenbrock (n = 2 … 1024) and the lecture's
//! logistic-regression loss (d = 100 features, m = 500 samples), each against the plain f64
//! function, a hand-written gradient and num-dual on the same generic function.

mod common;

/// Emitted Rust of the bench workloads (`Graph::to_rust`; regenerated and checked fresh by
/// `tests/suite/graph/emit.rs`).
mod emitted {
    include!("generated/lecture_gradient.rs");
    include!("generated/rosenbrock1024_gradient.rs");
}

use std::hint::black_box;

use common::{Data, Nd, lecture, lecture_grad_by_hand, rosenbrock, rosenbrock_grad_by_hand};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nalgebra::{Const, SVector, U1};
use nilpotent::forward::Forward;
use nilpotent::graph::Graph;
use nilpotent::reverse::{Tape, Var};
use nilpotent::{Chunk, Dual, gradient_fixed, gradient_into, gradient_with, jacobian_inplace_into};
use num_dual::{Derivative, DualNum, DualSVec64, DualVec};

/// num-dual's best general path for many inputs: chunks of `N` inputs per pass on `DualSVec64<N>`,
/// seeded by hand (its own `gradient` needs the whole input as one static vector).
fn num_dual_gradient_chunked<const N: usize>(
    f: impl Fn(&[Nd<DualSVec64<N>>]) -> Nd<DualSVec64<N>>,
    x: &[f64],
    g: &mut [f64],
) -> f64 {
    let mut xd: Vec<Nd<DualSVec64<N>>> = x.iter().map(|&v| Nd(DualVec::from_re(v))).collect();
    let mut value = 0.0;
    for start in (0..x.len()).step_by(N) {
        let end = (start + N).min(x.len());
        for k in 0..end - start {
            xd[start + k] = Nd(DualVec::new(
                x[start + k],
                Derivative::derivative_generic(Const::<N>, U1, k),
            ));
        }
        let y = f(&xd).0;
        for k in start..end {
            xd[k] = Nd(DualVec::from_re(x[k]));
        }
        value = y.re;
        let eps = y.eps.unwrap_generic(Const::<N>, U1);
        g[start..end].copy_from_slice(&eps.as_slice()[..end - start]);
    }
    value
}

fn lecture_gradient(c: &mut Criterion) {
    let mut group = c.benchmark_group("lecture_gradient");
    let x = [2.0, 5.0];
    group.bench_function("f64_function", |b| b.iter(|| lecture(black_box(&x))));
    group.bench_function("by_hand", |b| {
        b.iter(|| lecture_grad_by_hand(black_box(&x)))
    });
    group.bench_function("nilpotent_forward_fixed", |b| {
        b.iter(|| gradient_fixed(lecture, black_box(&x)))
    });
    let mut tape = Tape::new();
    let mut g = [0.0; 2];
    group.bench_function("nilpotent_reverse", |b| {
        b.iter(|| {
            let v = tape.gradient_into(lecture::<Var<f64>>, black_box(&x), &mut g);
            (v, g)
        })
    });
    // graph mode: the gradient graph recorded once, evaluated by the interpreter (no allocation)
    let graph = Graph::record(&x, lecture).gradient();
    let mut eval = graph.program().evaluator::<f64>();
    let mut out = [0.0; 3];
    group.bench_function("nilpotent_graph", |b| {
        b.iter(|| eval.eval_into(black_box(&x), &mut out).map(|_| out))
    });
    // the same graph as emitted Rust, and compiled at run time
    group.bench_function("nilpotent_emitted", |b| {
        b.iter(|| emitted::lecture_gradient(black_box(&x), &mut out).map(|_| out))
    });
    #[cfg(feature = "jit")]
    {
        let jit = graph.compile().unwrap();
        group.bench_function("nilpotent_jit", |b| {
            b.iter(|| jit.eval_into(black_box(&x), &mut out).map(|_| out))
        });
    }
    let xs = SVector::<f64, 2>::from(x);
    group.bench_function("num_dual_adapter", |b| {
        b.iter(|| {
            num_dual::gradient(
                |v: SVector<DualSVec64<2>, 2>| lecture(&[Nd(v[0]), Nd(v[1])]).0,
                black_box(&xs),
            )
        })
    });
    group.bench_function("num_dual_native", |b| {
        b.iter(|| {
            num_dual::gradient(
                |v: SVector<DualSVec64<2>, 2>| v[0].ln() + v[0] * v[1] - v[1].sin(),
                black_box(&xs),
            )
        })
    });
    group.finish();
}

fn rosenbrock_gradient(c: &mut Criterion) {
    let mut group = c.benchmark_group("rosenbrock_gradient");
    // one pass of width n, without allocating: nilpotent's `gradient_fixed` and num-dual's own
    // `gradient`, which takes the whole input as one static vector
    rosenbrock_static::<2>(&mut group);
    rosenbrock_static::<16>(&mut group);
    for n in [2usize, 16, 64, 100, 256, 1000, 1024] {
        let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.1 * ((i * 7) % 11) as f64).collect();
        let mut g = vec![0.0; n];
        group.bench_with_input(BenchmarkId::new("f64_function", n), &x, |b, x| {
            b.iter(|| rosenbrock(black_box(x)))
        });
        group.bench_with_input(BenchmarkId::new("by_hand", n), &x, |b, x| {
            b.iter(|| rosenbrock_grad_by_hand(black_box(x), &mut g))
        });
        group.bench_with_input(
            BenchmarkId::new("nilpotent_forward_chunk8", n),
            &x,
            |b, x| b.iter(|| gradient_with(rosenbrock::<Dual<f64, 8>>, black_box(x), Chunk::<8>)),
        );
        group.bench_with_input(
            BenchmarkId::new("nilpotent_forward_chunk16", n),
            &x,
            |b, x| b.iter(|| gradient_with(rosenbrock::<Dual<f64, 16>>, black_box(x), Chunk::<16>)),
        );
        let mut tape = Tape::new();
        group.bench_with_input(BenchmarkId::new("nilpotent_reverse", n), &x, |b, x| {
            b.iter(|| tape.gradient_into(rosenbrock::<Var<f64>>, black_box(x), &mut g))
        });
        group.bench_with_input(BenchmarkId::new("num_dual_chunk8", n), &x, |b, x| {
            b.iter(|| num_dual_gradient_chunked::<8>(rosenbrock, black_box(x), &mut g))
        });
        let graph = Graph::record(&x, rosenbrock).gradient();
        let mut eval = graph.program().evaluator::<f64>();
        let mut out = vec![0.0; n + 1];
        group.bench_with_input(BenchmarkId::new("nilpotent_graph", n), &x, |b, x| {
            b.iter(|| eval.eval_into(black_box(x), &mut out).map(|_| out[0]))
        });
        if n == 1024 {
            group.bench_with_input(BenchmarkId::new("nilpotent_emitted", n), &x, |b, x| {
                b.iter(|| emitted::rosenbrock1024_gradient(black_box(x), &mut out).map(|_| out[0]))
            });
        }
        #[cfg(feature = "jit")]
        {
            let jit = graph.compile().unwrap();
            group.bench_with_input(BenchmarkId::new("nilpotent_jit", n), &x, |b, x| {
                b.iter(|| jit.eval_into(black_box(x), &mut out).map(|_| out[0]))
            });
        }
    }
    group.finish();
}

fn rosenbrock_static<const N: usize>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
) {
    let x = SVector::<f64, N>::from_fn(|i, _| 0.5 + 0.1 * ((i * 7) % 11) as f64);
    let xa: [f64; N] = core::array::from_fn(|i| x[i]);
    group.bench_with_input(
        BenchmarkId::new("nilpotent_forward_fixed", N),
        &xa,
        |b, xa| b.iter(|| gradient_fixed(rosenbrock::<Dual<f64, N>>, black_box(xa))),
    );
    group.bench_with_input(BenchmarkId::new("num_dual_static", N), &x, |b, x| {
        b.iter(|| {
            num_dual::gradient(
                |v: SVector<DualSVec64<N>, N>| {
                    let v: [Nd<DualSVec64<N>>; N] = core::array::from_fn(|i| Nd(v[i]));
                    rosenbrock(&v).0
                },
                black_box(x),
            )
        })
    });
}

fn logistic_regression_gradient(c: &mut Criterion) {
    let mut group = c.benchmark_group("logistic_regression_gradient");
    group.sample_size(20);
    let data = Data::new(500, 100);
    let w: Vec<f64> = (0..101).map(|j| 0.01 * ((j % 5) as f64 - 2.0)).collect();
    let mut g = vec![0.0; w.len()];
    group.bench_function("f64_function", |b| b.iter(|| data.loss(black_box(&w))));
    group.bench_function("by_hand", |b| {
        b.iter(|| data.loss_grad_by_hand(black_box(&w), &mut g))
    });
    group.bench_function("nilpotent_forward_chunk8", |b| {
        b.iter(|| gradient_with(|v: &[Dual<f64, 8>]| data.loss(v), black_box(&w), Chunk::<8>))
    });
    let mut tape = Tape::new();
    group.bench_function("nilpotent_reverse", |b| {
        b.iter(|| tape.gradient_into(|v: &[Var<f64>]| data.loss(v), black_box(&w), &mut g))
    });
    group.bench_function("num_dual_chunk8", |b| {
        b.iter(|| num_dual_gradient_chunked::<8>(|v| data.loss(v), black_box(&w), &mut g))
    });
    let graph = Graph::record(&w, |v| data.loss(v)).gradient();
    let mut eval = graph.program().evaluator::<f64>();
    let mut out = vec![0.0; w.len() + 1];
    group.bench_function("nilpotent_graph", |b| {
        b.iter(|| eval.eval_into(black_box(&w), &mut out).map(|_| out[0]))
    });
    // (no emitted column: the gradient graph has 258 000 nodes, too large a function for rustc
    // to compile in reasonable time; BENCHMARKS.md)
    #[cfg(feature = "jit")]
    {
        let jit = graph.compile().unwrap();
        group.bench_function("nilpotent_jit", |b| {
            b.iter(|| jit.eval_into(black_box(&w), &mut out).map(|_| out[0]))
        });
    }
    group.finish();
}

/// Graph mode's one-time costs: recording Rosenbrock (n = 1024, 8184 operations) with sharing,
/// folding and the identities, building its gradient graph, and lowering that to a program.
fn graph_construction(c: &mut Criterion) {
    let mut group = c.benchmark_group("graph_construction");
    let x: Vec<f64> = (0..1024)
        .map(|i| 0.5 + 0.1 * ((i * 7) % 11) as f64)
        .collect();
    group.bench_function("record_rosenbrock_1024", |b| {
        b.iter(|| Graph::record(black_box(&x), rosenbrock).len())
    });
    let g = Graph::record(&x, rosenbrock);
    group.bench_function("gradient_graph_rosenbrock_1024", |b| {
        b.iter(|| black_box(&g).gradient().len())
    });
    let grad = g.gradient();
    group.bench_function("lower_gradient_rosenbrock_1024", |b| {
        b.iter(|| black_box(&grad).clone().program().len())
    });
    group.finish();
}

/// n residuals of n inputs, written into a slice: `out[i] = xᵢ·xᵢ₊₁ − xᵢ` (cyclic).
fn residuals<T: common::Real>(x: &[T], out: &mut [T]) {
    let n = x.len();
    for i in 0..n {
        out[i] = x[i] * x[(i + 1) % n] - x[i];
    }
}

/// Forward mode in a loop: the free `_into` drivers (seeded inputs allocated per call) against one
/// reused `forward::Forward` (nothing allocated after its first call), same chunk width (8).
fn forward_reuse(c: &mut Criterion) {
    let mut group = c.benchmark_group("forward_reuse");
    for n in [4usize, 19, 64] {
        let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.1 * ((i * 7) % 11) as f64).collect();
        let mut g = vec![0.0; n];
        group.bench_with_input(BenchmarkId::new("gradient_into_free", n), &x, |b, x| {
            b.iter(|| gradient_into(rosenbrock::<Dual<f64, 8>>, black_box(x), &mut g))
        });
        let mut fwd = Forward::new();
        group.bench_with_input(BenchmarkId::new("gradient_into_object", n), &x, |b, x| {
            b.iter(|| fwd.gradient_into(rosenbrock::<Dual<f64, 8>>, black_box(x), &mut g))
        });
        let mut values = vec![0.0; n];
        let mut jac = nalgebra::DMatrix::zeros(n, n);
        group.bench_with_input(
            BenchmarkId::new("jacobian_inplace_into_free", n),
            &x,
            |b, x| b.iter(|| jacobian_inplace_into(residuals, black_box(x), &mut values, &mut jac)),
        );
        group.bench_with_input(
            BenchmarkId::new("jacobian_inplace_into_object", n),
            &x,
            |b, x| {
                b.iter(|| fwd.jacobian_inplace_into(residuals, black_box(x), &mut values, &mut jac))
            },
        );
    }
    group.finish();
}

criterion_group! { name = benches; config = common::config(); targets = lecture_gradient, rosenbrock_gradient, logistic_regression_gradient, graph_construction, forward_reuse }
criterion_main!(benches);
