//! Sparse against dense: the banded Jacobian (bandwidth 5) and the Rosenbrock Hessian
//! (tridiagonal) at n = 1 000 and 10 000, each against the plain f64 function; with the feature
//! `rayon`, the dense 256 × 256 Jacobian serial and on rayon's pool.
//!
//! ```sh
//! cargo bench --bench sparse                    # sparse and dense
//! cargo bench --bench sparse --features rayon   # and the parallel cases
//! ```
//!
//! The dense drivers run at n = 1 000 only (at 10 000 one call takes seconds).

mod common;

use std::hint::black_box;

use common::{banded_map, rosenbrock};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nilpotent::graph::Graph;
use nilpotent::reverse::{self, Var};
use nilpotent::sparse::{HessianPlan, JacobianPlan};
use nilpotent::{Chunk, Dual, jacobian_with};

fn point(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.5 + 0.1 * ((i * 7) % 11) as f64).collect()
}

fn banded_jacobian(c: &mut Criterion) {
    let mut group = c.benchmark_group("sparse_banded_jacobian");
    for n in [1000, 10_000] {
        let x = point(n);
        group.bench_with_input(BenchmarkId::new("f64_function", n), &x, |b, x| {
            b.iter(|| banded_map(black_box(x)))
        });
        let mut plan = JacobianPlan::new(&Graph::record_vec(&x, banded_map));
        eprintln!(
            "banded n = {n}: {} colours, {} pass(es), {:?}",
            plan.colouring().num_colours(),
            plan.num_passes(),
            plan.direction()
        );
        group.bench_with_input(BenchmarkId::new("sparse_graph", n), &x, |b, x| {
            b.iter(|| plan.eval(black_box(x)).map(|(y, _)| y[0]))
        });
        group.bench_with_input(BenchmarkId::new("sparse_function", n), &x, |b, x| {
            b.iter(|| {
                plan.eval_fn(banded_map::<Dual<f64, 5>>, black_box(x), Chunk::<5>)
                    .map(|(y, _)| y[0])
            })
        });
        if n <= 1000 {
            group.bench_with_input(BenchmarkId::new("dense_forward_chunk8", n), &x, |b, x| {
                b.iter(|| jacobian_with(banded_map::<Dual<f64, 8>>, black_box(x), Chunk::<8>))
            });
        }
    }
    group.finish();
}

fn rosenbrock_hessian(c: &mut Criterion) {
    let mut group = c.benchmark_group("sparse_rosenbrock_hessian");
    for n in [1000, 10_000] {
        let x = point(n);
        group.bench_with_input(BenchmarkId::new("f64_function", n), &x, |b, x| {
            b.iter(|| rosenbrock(black_box(x)))
        });
        let mut plan = HessianPlan::new(&Graph::record(&x, rosenbrock));
        eprintln!(
            "Rosenbrock n = {n}: {} colours, {} pass(es)",
            plan.colouring().num_colours(),
            plan.num_passes()
        );
        group.bench_with_input(BenchmarkId::new("sparse_graph", n), &x, |b, x| {
            b.iter(|| plan.eval(black_box(x)).map(|(v, _, _)| v))
        });
        if n <= 1000 {
            group.bench_with_input(
                BenchmarkId::new("dense_forward_over_reverse_chunk8", n),
                &x,
                |b, x| {
                    b.iter(|| {
                        reverse::hessian_with(
                            rosenbrock::<Var<Dual<f64, 8>>>,
                            black_box(x),
                            Chunk::<8>,
                        )
                    })
                },
            );
        }
    }
    group.finish();
}

#[cfg(feature = "rayon")]
fn parallel(c: &mut Criterion) {
    use common::dense_map;
    use nilpotent::sparse::par_jacobian_with;
    let mut group = c.benchmark_group("rayon_dense_jacobian");
    let n = 256;
    let x: Vec<f64> = (0..n).map(|i| 0.3 + 0.05 * ((i * 5) % 13) as f64).collect();
    group.bench_with_input(BenchmarkId::new("f64_function", n), &x, |b, x| {
        b.iter(|| dense_map(black_box(x)))
    });
    group.bench_with_input(BenchmarkId::new("serial_chunk8", n), &x, |b, x| {
        b.iter(|| jacobian_with(dense_map::<Dual<f64, 8>>, black_box(x), Chunk::<8>))
    });
    group.bench_with_input(BenchmarkId::new("rayon_chunk8", n), &x, |b, x| {
        b.iter(|| par_jacobian_with(dense_map::<Dual<f64, 8>>, black_box(x), Chunk::<8>))
    });
    group.finish();
}

#[cfg(feature = "rayon")]
criterion_group! { name = benches; config = common::config(); targets = banded_jacobian, rosenbrock_hessian, parallel }
#[cfg(not(feature = "rayon"))]
criterion_group! { name = benches; config = common::config(); targets = banded_jacobian, rosenbrock_hessian }
criterion_main!(benches);
