//! A long scalar recurrence: 10⁴ Euler steps xₙ₊₁ = xₙ + h·xₙ(1 − xₙ), its derivative with respect
//! to x₀ by `Dual<f64, 1>`, by num-dual's `Dual64`, by hand, and the f64 function.

mod common;

use std::hint::black_box;

use common::{Nd, euler_recurrence, euler_recurrence_derivative_by_hand};
use criterion::{Criterion, criterion_group, criterion_main};
use nilpotent::derivative;
use num_dual::Dual64;

const STEPS: usize = 10_000;

fn recurrence(c: &mut Criterion) {
    let mut group = c.benchmark_group("recurrence_derivative");
    let x = 0.3;
    group.bench_function("f64_function", |b| {
        b.iter(|| euler_recurrence(black_box(x), STEPS))
    });
    group.bench_function("by_hand", |b| {
        b.iter(|| euler_recurrence_derivative_by_hand(black_box(x), STEPS))
    });
    group.bench_function("nilpotent_dual1", |b| {
        b.iter(|| derivative(|v| euler_recurrence(v, STEPS), black_box(x)))
    });
    group.bench_function("num_dual_dual64", |b| {
        b.iter(|| {
            num_dual::first_derivative(|v: Dual64| euler_recurrence(Nd(v), STEPS).0, black_box(x))
        })
    });
    group.finish();
}

criterion_group! { name = benches; config = common::config(); targets = recurrence }
criterion_main!(benches);
