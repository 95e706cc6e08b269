//! Rosenbrock Hessian, n = 8 and 32: forward over reverse (duals on the tape), forward over forward
//! (nested duals), num-dual's `hessian` (second-order dual vectors), a hand-written Hessian and the
//! plain f64 function.

mod common;

/// Emitted Rust of the Hessian graph for n = 32 (`Graph::to_rust`; regenerated and checked fresh
/// by `tests/suite/graph/emit.rs`).
mod emitted {
    include!("generated/rosenbrock32_hessian.rs");
}

use std::hint::black_box;

use common::{Nd, rosenbrock, rosenbrock_hessian_by_hand};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nalgebra::SVector;
use nilpotent::graph::Graph;
use nilpotent::reverse::{self, Var};
use nilpotent::{Chunk, Dual};
use num_dual::Dual2SVec64;

fn bench_n<const N: usize>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
) {
    let x: Vec<f64> = (0..N).map(|i| 0.5 + 0.1 * ((i * 7) % 11) as f64).collect();
    let mut h = vec![0.0; N * N];
    group.bench_with_input(BenchmarkId::new("f64_function", N), &x, |b, x| {
        b.iter(|| rosenbrock(black_box(x)))
    });
    group.bench_with_input(BenchmarkId::new("by_hand", N), &x, |b, x| {
        b.iter(|| rosenbrock_hessian_by_hand(black_box(x), &mut h))
    });
    group.bench_with_input(
        BenchmarkId::new("nilpotent_forward_over_reverse_chunk8", N),
        &x,
        |b, x| {
            b.iter(|| {
                reverse::hessian_with(rosenbrock::<Var<Dual<f64, 8>>>, black_box(x), Chunk::<8>)
            })
        },
    );
    group.bench_with_input(
        BenchmarkId::new("nilpotent_forward_over_forward_chunk8", N),
        &x,
        |b, x| {
            b.iter(|| {
                nilpotent::hessian_with(
                    rosenbrock::<Dual<Dual<f64, 8>, 8>>,
                    black_box(x),
                    Chunk::<8>,
                )
            })
        },
    );
    group.bench_with_input(
        BenchmarkId::new("nilpotent_forward_over_forward_chunk4", N),
        &x,
        |b, x| {
            b.iter(|| {
                nilpotent::hessian_with(
                    rosenbrock::<Dual<Dual<f64, 4>, 4>>,
                    black_box(x),
                    Chunk::<4>,
                )
            })
        },
    );
    let graph = Graph::record(&x, rosenbrock).hessian();
    let mut eval = graph.program().evaluator::<f64>();
    let mut out = vec![0.0; 1 + N + N * N];
    group.bench_with_input(BenchmarkId::new("nilpotent_graph", N), &x, |b, x| {
        b.iter(|| eval.eval_into(black_box(x), &mut out).map(|_| out[0]))
    });
    if N == 32 {
        group.bench_with_input(BenchmarkId::new("nilpotent_emitted", N), &x, |b, x| {
            b.iter(|| emitted::rosenbrock32_hessian(black_box(x), &mut out).map(|_| out[0]))
        });
    }
    #[cfg(feature = "jit")]
    {
        let jit = graph.compile().unwrap();
        group.bench_with_input(BenchmarkId::new("nilpotent_jit", N), &x, |b, x| {
            b.iter(|| jit.eval_into(black_box(x), &mut out).map(|_| out[0]))
        });
    }
    let xs = SVector::<f64, N>::from_column_slice(&x);
    group.bench_with_input(BenchmarkId::new("num_dual_hessian", N), &xs, |b, xs| {
        b.iter(|| {
            num_dual::hessian(
                |v: SVector<Dual2SVec64<N>, N>| {
                    let v: [Nd<Dual2SVec64<N>>; N] = core::array::from_fn(|i| Nd(v[i]));
                    rosenbrock(&v).0
                },
                black_box(xs),
            )
        })
    });
}

fn rosenbrock_hessian(c: &mut Criterion) {
    let mut group = c.benchmark_group("rosenbrock_hessian");
    bench_n::<8>(&mut group);
    bench_n::<32>(&mut group);
    group.finish();
}

criterion_group! { name = benches; config = common::config(); targets = rosenbrock_hessian }
criterion_main!(benches);
