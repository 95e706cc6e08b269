//! A dense nonlinear map ℝⁿ → ℝⁿ (n = 8, 32): its Jacobian by forward mode (chunks of 8, and one
//! pass of width n), reverse mode (one sweep per row), num-dual, by hand, and the f64 function.

mod common;

use std::hint::black_box;

use common::{Nd, dense_map, dense_map_jacobian_by_hand};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nalgebra::{DVector, SVector};
use nilpotent::graph::Graph;
use nilpotent::reverse::{self, Var};
use nilpotent::{Chunk, Dual, jacobian_fixed, jacobian_with};
use num_dual::DualSVec64;

fn bench_n<const N: usize>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
) {
    let xv: Vec<f64> = (0..N).map(|i| 0.3 + 0.05 * ((i * 5) % 13) as f64).collect();
    let x: [f64; N] = xv.clone().try_into().unwrap();
    let mut jac = vec![0.0; N * N];
    group.bench_with_input(BenchmarkId::new("f64_function", N), &xv, |b, x| {
        b.iter(|| dense_map(black_box(x)))
    });
    group.bench_with_input(BenchmarkId::new("by_hand", N), &xv, |b, x| {
        b.iter(|| dense_map_jacobian_by_hand(black_box(x), &mut jac))
    });
    group.bench_with_input(
        BenchmarkId::new("nilpotent_forward_chunk8", N),
        &xv,
        |b, x| b.iter(|| jacobian_with(dense_map::<Dual<f64, 8>>, black_box(x), Chunk::<8>)),
    );
    group.bench_with_input(
        BenchmarkId::new("nilpotent_forward_fixed", N),
        &x,
        |b, x| b.iter(|| jacobian_fixed(dense_map::<Dual<f64, N>>, black_box(x))),
    );
    group.bench_with_input(BenchmarkId::new("nilpotent_reverse", N), &xv, |b, x| {
        b.iter(|| reverse::jacobian(dense_map::<Var<f64>>, black_box(x)))
    });
    let graph = Graph::record_vec(&xv, dense_map).jacobian();
    let mut eval = graph.program().evaluator::<f64>();
    let mut out = vec![0.0; N + N * N];
    group.bench_with_input(BenchmarkId::new("nilpotent_graph", N), &xv, |b, x| {
        b.iter(|| eval.eval_into(black_box(x), &mut out).map(|_| out[0]))
    });
    #[cfg(feature = "jit")]
    {
        let jit = graph.compile().unwrap();
        group.bench_with_input(BenchmarkId::new("nilpotent_jit", N), &xv, |b, x| {
            b.iter(|| jit.eval_into(black_box(x), &mut out).map(|_| out[0]))
        });
    }
    let xs = SVector::<f64, N>::from_column_slice(&xv);
    group.bench_with_input(BenchmarkId::new("num_dual_jacobian", N), &xs, |b, xs| {
        b.iter(|| {
            num_dual::jacobian(
                |v: SVector<DualSVec64<N>, N>| {
                    let v: [Nd<DualSVec64<N>>; N] = core::array::from_fn(|i| Nd(v[i]));
                    let y = dense_map(&v);
                    DVector::from_iterator(N, y.into_iter().map(|e| e.0))
                },
                black_box(xs),
            )
        })
    });
}

fn dense_jacobian(c: &mut Criterion) {
    let mut group = c.benchmark_group("dense_jacobian");
    bench_n::<8>(&mut group);
    bench_n::<32>(&mut group);
    group.finish();
}

criterion_group! { name = benches; config = common::config(); targets = dense_jacobian }
criterion_main!(benches);
