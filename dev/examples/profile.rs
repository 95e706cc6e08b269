//! A driver for instruction-count profiling: runs one benchmark workload `reps` times, each call
//! behind `#[inline(never)]` and `black_box`, so that callgrind's counts can be divided per call.
//!
//! ```sh
//! cargo build --release --example profile          # (--features jit for the `*_jit` cases)
//! scripts/instructions.sh recurrence_nilpotent      # instructions per call, via callgrind
//! target/release/examples/profile --list            # the cases
//! ```
//!
//! The workloads are those of the benches (`benches/common/mod.rs`), with the same inputs.
//! Instruction counts do not vary between runs on a shared machine, unlike times; BENCHMARKS.md
//! uses them to attribute costs.

#[path = "../../benches/common/mod.rs"]
mod common;

/// The benches' emitted workloads (`Graph::to_rust`, `benches/generated/`).
mod emitted {
    include!("../../benches/generated/lecture_gradient.rs");
    include!("../../benches/generated/rosenbrock1024_gradient.rs");
    include!("../../benches/generated/rosenbrock32_hessian.rs");
}

use std::hint::black_box;

use common::{
    Nd, euler_recurrence, euler_recurrence_derivative_by_hand, lecture, lecture_grad_by_hand,
    rosenbrock,
};
use nalgebra::SVector;
use nilpotent::forward::Forward;
use nilpotent::graph::{Graph, Sym};
use nilpotent::reverse::{self, Tape, Var};
use nilpotent::sparse::{HessianPlan, JacobianPlan};
use nilpotent::{
    Chunk, Dual, derivative, gradient_fixed, gradient_into, gradient_with, hessian, hessian_with,
    hvp, jacobian_fixed, third_derivative,
};
use num_dual::{Dual64, DualSVec64};
use num_traits::Float;

const STEPS: usize = 10_000;

/// A num-dual gradient of `f` through the `Nd` adapter, as in `benches/gradient.rs`.
fn num_dual_gradient<const N: usize>(
    f: impl Fn(&[Nd<DualSVec64<N>>]) -> Nd<DualSVec64<N>>,
    x: [f64; N],
) -> (f64, SVector<f64, N>) {
    let x = SVector::<f64, N>::from_column_slice(&x);
    num_dual::gradient(
        |v: SVector<DualSVec64<N>, N>| {
            let v: [Nd<DualSVec64<N>>; N] = core::array::from_fn(|i| Nd(v[i]));
            f(&v).0
        },
        &x,
    )
}

#[inline(never)]
fn lecture_f64(x: [f64; 2]) -> f64 {
    lecture(&x)
}

#[inline(never)]
fn lecture_by_hand(x: [f64; 2]) -> (f64, [f64; 2]) {
    lecture_grad_by_hand(&x)
}

#[inline(never)]
fn lecture_nilpotent(x: [f64; 2]) -> (f64, [f64; 2]) {
    gradient_fixed(lecture, &x)
}

#[inline(never)]
fn lecture_num_dual(x: [f64; 2]) -> (f64, SVector<f64, 2>) {
    num_dual_gradient(lecture, x)
}

#[inline(never)]
fn recurrence_f64(x: f64) -> f64 {
    euler_recurrence(x, STEPS)
}

#[inline(never)]
fn recurrence_by_hand(x: f64) -> (f64, f64) {
    euler_recurrence_derivative_by_hand(x, STEPS)
}

#[inline(never)]
fn recurrence_nilpotent(x: f64) -> (f64, f64) {
    derivative(|v| euler_recurrence(v, STEPS), x)
}

#[inline(never)]
fn recurrence_num_dual(x: f64) -> (f64, f64) {
    num_dual::first_derivative(|v: Dual64| euler_recurrence(Nd(v), STEPS).0, x)
}

#[inline(never)]
fn rosenbrock_f64(x: &[f64]) -> f64 {
    rosenbrock(x)
}

#[inline(never)]
fn banded_f64(x: &[f64]) -> Vec<f64> {
    common::banded_map(x)
}

#[inline(never)]
fn rosenbrock2_nilpotent(x: [f64; 2]) -> (f64, [f64; 2]) {
    gradient_fixed(rosenbrock::<Dual<f64, 2>>, &x)
}

#[inline(never)]
fn rosenbrock2_num_dual(x: [f64; 2]) -> (f64, SVector<f64, 2>) {
    num_dual_gradient(rosenbrock, x)
}

#[inline(never)]
fn rosenbrock16_nilpotent(x: [f64; 16]) -> (f64, [f64; 16]) {
    gradient_fixed(rosenbrock::<Dual<f64, 16>>, &x)
}

/// Chunked forward mode over 64 inputs: ⌈64/N⌉ passes on `Dual<f64, N>`.
#[inline(never)]
fn rosenbrock64_chunked<const N: usize>(x: &[f64]) -> (f64, Vec<f64>) {
    gradient_with(rosenbrock::<Dual<f64, N>>, x, Chunk::<N>)
}

#[inline(never)]
fn rosenbrock_reverse(tape: &mut Tape<f64>, x: &[f64], g: &mut [f64]) -> f64 {
    tape.gradient_into(rosenbrock::<Var<f64>>, x, g)
}

#[inline(never)]
fn jacobian32_nilpotent(x: [f64; 32]) -> (Vec<f64>, nalgebra::DMatrix<f64>) {
    jacobian_fixed(common::dense_map::<Dual<f64, 32>>, &x)
}

#[inline(never)]
fn hessian8_reverse(x: &[f64]) -> (f64, Vec<f64>, nalgebra::DMatrix<f64>) {
    reverse::hessian_with(rosenbrock::<Var<Dual<f64, 8>>>, x, Chunk::<8>)
}

/// A scalar function of the elementary kind the nested cases differentiate (a product, a
/// quotient, exp, sin, ln, sqrt, tanh).
fn scalar_mix<T: Float>(x: T) -> T {
    let one = T::one();
    x.sin() * x.exp() + (x * x + one).ln() / (one + x.tanh()) - (x + one).sqrt()
}

#[inline(never)]
fn third_derivative_f64(x: f64) -> f64 {
    scalar_mix(x)
}

/// Nested forward mode, three levels: `Dual<Dual<Dual<f64, 1>, 1>, 1>`.
#[inline(never)]
fn third_derivative_nilpotent(x: f64) -> (f64, f64, f64, f64) {
    third_derivative(scalar_mix, x)
}

/// Forward over forward: `Dual<Dual<f64, 8>, 8>`, one pass for 8 inputs.
#[inline(never)]
fn hessian8_forward(x: &[f64]) -> (f64, Vec<f64>, nalgebra::DMatrix<f64>) {
    hessian(rosenbrock, x)
}

/// Forward over forward with chunks of `N` inputs: c(c+1)/2 passes on `Dual<Dual<f64, N>, N>`,
/// c = ⌈8/N⌉ (N = 1: one hyper-dual-style 2 × 2 block `Dual<Dual<f64, 1>, 1>` per pair i ≤ j).
#[inline(never)]
fn hessian8_forward_chunk<const N: usize>(x: &[f64]) -> (f64, Vec<f64>, nalgebra::DMatrix<f64>) {
    hessian_with(rosenbrock::<Dual<Dual<f64, N>, N>>, x, Chunk::<N>)
}

/// Forward mode in a loop, 19 inputs (3 passes of 8): the free `gradient_into`, which allocates
/// its seeded inputs on every call.
#[inline(never)]
fn forward19_free(x: &[f64], g: &mut [f64]) -> f64 {
    gradient_into(rosenbrock::<Dual<f64, 8>>, x, g)
}

/// The same on one reused `forward::Forward` (nothing allocated after its first call).
#[inline(never)]
fn forward19_object(fwd: &mut Forward<f64>, x: &[f64], g: &mut [f64]) -> f64 {
    fwd.gradient_into(rosenbrock::<Dual<f64, 8>>, x, g)
}

/// A Hessian-vector product by forward over forward: `Dual<Dual<f64, 8>, 1>`, two passes for 16
/// inputs.
#[inline(never)]
fn hvp16_forward(x: &[f64], v: &[f64]) -> (f64, Vec<f64>, Vec<f64>) {
    hvp(rosenbrock, x, v)
}

/// The input of the Rosenbrock and Jacobian cases (the benches' formula).
fn point<const N: usize>() -> [f64; N] {
    core::array::from_fn(|i| 0.5 + 0.1 * ((i * 7) % 11) as f64)
}

const CASES: &[&str] = &[
    "lecture_f64",
    "lecture_by_hand",
    "lecture_nilpotent",
    "lecture_num_dual",
    "recurrence_f64",
    "recurrence_by_hand",
    "recurrence_nilpotent",
    "recurrence_num_dual",
    "rosenbrock2_f64",
    "rosenbrock2_nilpotent",
    "rosenbrock2_num_dual",
    "rosenbrock16_f64",
    "rosenbrock16_nilpotent",
    "rosenbrock64_f64",
    "rosenbrock64_chunk8",
    "rosenbrock64_chunk16",
    "rosenbrock64_reverse",
    "rosenbrock1024_f64",
    "rosenbrock1024_reverse",
    "jacobian32_f64",
    "jacobian32_nilpotent",
    "hessian8_f64",
    "hessian8_reverse",
    "lecture_graph",
    "rosenbrock1024_graph",
    "hessian32_f64",
    "hessian32_graph",
    "record1024_graph",
    "gradient1024_graph",
    "logistic_f64",
    "logistic_reverse",
    "logistic_graph",
    "logistic_params_graph",
    "logistic_jit",
    "logistic_params_jit",
    "logistic_loop_f64",
    "logistic_loop_graph",
    "logistic_loop_jit",
    "logistic_map_f64",
    "logistic_map_graph",
    "logistic_map_jit",
    "jacobian32_graph",
    "hessian8_graph",
    "rosenbrock1024_by_hand",
    "hessian32_by_hand",
    "lecture_emitted",
    "rosenbrock1024_emitted",
    "hessian32_emitted",
    "lecture_jit",
    "rosenbrock1024_jit",
    "hessian32_jit",
    "compile1024_jit",
    "sparse_rosenbrock10k_f64",
    "sparse_rosenbrock10k_hessian",
    "sparse_banded10k_f64",
    "sparse_banded10k_graph",
    "sparse_banded10k_fn",
    "hessian8_forward",
    "hessian8_forward_chunk1",
    "hessian8_forward_chunk2",
    "hessian8_forward_chunk4",
    "hvp16_forward",
    "forward19_free",
    "forward19_object",
    "third_derivative_f64",
    "third_derivative_nilpotent",
];

/// The logistic loss over rows [x (d), y] with `sum_map` (examples/loops_graph.rs): recorded in
/// graph mode as one loop node.
fn logistic_loop<T: nilpotent::Real>(w: &[T], rows: &[T]) -> T {
    let d = w.len();
    nilpotent::sum_map(rows, d + 1, |r| {
        let z = (0..d).fold(T::zero(), |s, j| s + w[j] * r[j]);
        let y = r[d];
        y * (T::one() + (-z).exp()).ln() + (-y + 1.0) * (T::one() + z.exp()).ln()
    })
}

/// The steps of the logistic map of the `logistic_map_*` cases (dev/examples/loops_graph.rs).
const LOGISTIC_MAP_STEPS: usize = 10_000;

/// The logistic map `s ← a·s·(1 − s)` from `x0`, `k` steps, as a `fold` (one loop node in graph
/// mode; the cases run its gradient graph).
fn logistic_map<T: nilpotent::Real>(a: T, x0: T, k: usize) -> T {
    nilpotent::fold(&[x0], k, |s| vec![a * s[0] * (-s[0] + 1.0)])[0]
}

/// `common::Data::loss` with the data read from the parameters `p` (the m × d features row by
/// row, then the m labels): the same operations in the same order (examples/data_as_parameters.rs).
fn loss_params<T: Float>(w: &[T], p: &[T], m: usize, d: usize) -> T {
    let (features, labels) = p.split_at(m * d);
    let lambda = T::from(1e-3).unwrap();
    let mut loss = T::zero();
    for (row, &y) in features.chunks_exact(d).zip(labels) {
        let mut z = w[0];
        for (wj, &xj) in w[1..].iter().zip(row) {
            z = z + *wj * xj;
        }
        let p = T::one() / (T::one() + (-z).exp());
        loss = loss
            - if y > T::from(0.5).unwrap() {
                p.ln()
            } else {
                (T::one() - p).ln()
            };
    }
    let mut reg = T::zero();
    for &wj in w {
        reg = reg + wj * wj;
    }
    loss + lambda * reg
}

/// The gradient graph of Rosenbrock (n = 1024), or of another function: recorded once, outside the
/// measured loop.
fn graph_of(f: fn(&[Sym]) -> Sym, x: &[f64], hessian: bool) -> Graph {
    let g = Graph::record(x, f);
    let d = if hessian { g.hessian() } else { g.gradient() };
    eprintln!(
        "graph: {} operations, derivative graph: {} operations, program: {} instructions, {} slots",
        g.len(),
        d.len(),
        d.program().len(),
        d.program().num_slots()
    );
    d
}

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_else(|| "--list".to_string());
    if case == "--list" {
        println!(
            "usage: profile CASE [REPS]; cases:\n  {}",
            CASES.join("\n  ")
        );
        return;
    }
    let reps: usize = match args.next() {
        Some(r) => r
            .parse()
            .unwrap_or_else(|_| panic!("REPS must be a whole number, got {r:?}")),
        None => 1000,
    };
    let lec = [2.0, 5.0];
    let x2: [f64; 2] = point();
    let x16: [f64; 16] = point();
    let x1024: Vec<f64> = (0..1024)
        .map(|i| 0.5 + 0.1 * ((i * 7) % 11) as f64)
        .collect();
    let x32: [f64; 32] = point();
    let x8: [f64; 8] = point();
    let v16: [f64; 16] = core::array::from_fn(|i| if i % 2 == 0 { 1.0 } else { -0.5 });
    let mut grad = vec![0.0; 1024];
    let mut tape = Tape::new();
    let mut fwd = Forward::new();
    // graph cases: record and lower once, before the loop
    // the logistic-regression loss of the benches (d = 100 features, m = 500 samples)
    let data = common::Data::new(500, 100);
    let w: Vec<f64> = (0..101).map(|j| 0.01 * ((j % 5) as f64 - 2.0)).collect();
    let mut gw = vec![0.0; w.len()];
    // the same data as parameters (the features row by row, then the labels)
    let logistic_params: Vec<f64> = data.features.iter().chain(&data.labels).copied().collect();
    // the same data as rows [x (d), y] for `logistic_loop` (d = 100 weights, m = 500 rows)
    let loop_rows: Vec<f64> = (0..data.labels.len())
        .flat_map(|k| {
            let d = data.d;
            data.features[k * d..(k + 1) * d]
                .iter()
                .chain(core::iter::once(&data.labels[k]))
                .copied()
        })
        .collect();
    let loop_w = &w[..data.d];
    let graph = match case.as_str() {
        "logistic_loop_graph" | "logistic_loop_jit" => {
            Some(Graph::record_with(loop_w, &loop_rows, logistic_loop).gradient())
        }
        "logistic_map_graph" | "logistic_map_jit" => Some(
            Graph::record(&[3.7, 0.2], |p| {
                logistic_map(p[0], p[1], LOGISTIC_MAP_STEPS)
            })
            .gradient(),
        ),
        "lecture_graph" | "lecture_jit" => Some(graph_of(lecture, &lec, false)),
        "rosenbrock1024_graph" | "rosenbrock1024_jit" | "compile1024_jit" => {
            Some(graph_of(rosenbrock, &x1024, false))
        }
        "hessian32_graph" | "hessian32_jit" => Some(graph_of(rosenbrock, &x32, true)),
        "hessian8_graph" => Some(graph_of(rosenbrock, &x8, true)),
        "logistic_graph" | "logistic_jit" => Some(Graph::record(&w, |v| data.loss(v)).gradient()),
        "logistic_params_graph" | "logistic_params_jit" => Some(
            Graph::record_with(&w, &logistic_params, |v, q| {
                loss_params(v, q, data.labels.len(), data.d)
            })
            .gradient(),
        ),
        "jacobian32_graph" => Some(Graph::record_vec(&x32, common::dense_map).jacobian()),
        _ => None,
    };
    #[cfg(feature = "jit")]
    let jit = match case.as_str() {
        "lecture_jit"
        | "rosenbrock1024_jit"
        | "hessian32_jit"
        | "logistic_jit"
        | "logistic_params_jit"
        | "logistic_loop_jit"
        | "logistic_map_jit" => Some(graph.as_ref().expect("made above").compile().unwrap()),
        _ => None,
    };
    let mut hess = vec![0.0; 32 * 32];
    let mut out_lec = [0.0; 3];
    let mut out1024 = vec![0.0; 1025];
    let mut out32 = vec![0.0; 1 + 32 + 32 * 32];
    let mut evaluator = graph.as_ref().map(|g| g.program().evaluator::<f64>());
    // sparse cases (n = 10 000): the plan is built once, before the loop
    let x10k: Vec<f64> = (0..10_000)
        .map(|i| 0.5 + 0.1 * ((i * 7) % 11) as f64)
        .collect();
    let mut hessian_plan = (case == "sparse_rosenbrock10k_hessian")
        .then(|| HessianPlan::new(&Graph::record(&x10k, rosenbrock)));
    let mut jacobian_plan = matches!(
        case.as_str(),
        "sparse_banded10k_graph" | "sparse_banded10k_fn"
    )
    .then(|| JacobianPlan::new(&Graph::record_vec(&x10k, common::banded_map)));
    if let Some(p) = &hessian_plan {
        eprintln!(
            "Hessian: {} colours, {} passes",
            p.colouring().num_colours(),
            p.num_passes()
        );
    }
    if let Some(p) = &jacobian_plan {
        eprintln!(
            "Jacobian: {} colours, {} passes, {:?}",
            p.colouring().num_colours(),
            p.num_passes(),
            p.direction()
        );
    }
    let mut out = vec![0.0; graph.as_ref().map_or(0, |g| g.num_outputs())];
    // every result goes whole through `black_box`, so no part of the work can be dropped as unused
    for _ in 0..reps {
        match case.as_str() {
            "lecture_f64" => {
                black_box(lecture_f64(black_box(lec)));
            }
            "lecture_by_hand" => {
                black_box(lecture_by_hand(black_box(lec)));
            }
            "lecture_nilpotent" => {
                black_box(lecture_nilpotent(black_box(lec)));
            }
            "lecture_num_dual" => {
                black_box(lecture_num_dual(black_box(lec)));
            }
            "recurrence_f64" => {
                black_box(recurrence_f64(black_box(0.3)));
            }
            "recurrence_by_hand" => {
                black_box(recurrence_by_hand(black_box(0.3)));
            }
            "recurrence_nilpotent" => {
                black_box(recurrence_nilpotent(black_box(0.3)));
            }
            "recurrence_num_dual" => {
                black_box(recurrence_num_dual(black_box(0.3)));
            }
            "rosenbrock2_f64" => {
                black_box(rosenbrock_f64(black_box(&x2)));
            }
            "rosenbrock2_nilpotent" => {
                black_box(rosenbrock2_nilpotent(black_box(x2)));
            }
            "rosenbrock2_num_dual" => {
                black_box(rosenbrock2_num_dual(black_box(x2)));
            }
            "rosenbrock16_f64" => {
                black_box(rosenbrock_f64(black_box(&x16)));
            }
            "rosenbrock16_nilpotent" => {
                black_box(rosenbrock16_nilpotent(black_box(x16)));
            }
            "rosenbrock64_f64" => {
                black_box(rosenbrock_f64(black_box(&x1024[..64])));
            }
            "rosenbrock64_chunk8" => {
                black_box(rosenbrock64_chunked::<8>(black_box(&x1024[..64])));
            }
            "rosenbrock64_chunk16" => {
                black_box(rosenbrock64_chunked::<16>(black_box(&x1024[..64])));
            }
            "rosenbrock64_reverse" => {
                black_box(rosenbrock_reverse(
                    &mut tape,
                    black_box(&x1024[..64]),
                    &mut grad[..64],
                ));
            }
            "rosenbrock1024_f64" => {
                black_box(rosenbrock_f64(black_box(&x1024)));
            }
            "rosenbrock1024_reverse" => {
                black_box(rosenbrock_reverse(&mut tape, black_box(&x1024), &mut grad));
            }
            "jacobian32_f64" => {
                black_box(common::dense_map(black_box(&x32[..])));
            }
            "jacobian32_nilpotent" => {
                black_box(jacobian32_nilpotent(black_box(x32)));
            }
            "hessian8_f64" => {
                black_box(rosenbrock_f64(black_box(&x8)));
            }
            "hessian8_reverse" => {
                black_box(hessian8_reverse(black_box(&x8)));
            }
            "record1024_graph" => {
                black_box(Graph::record(black_box(&x1024), rosenbrock).len());
            }
            "gradient1024_graph" => {
                black_box(
                    Graph::record(black_box(&x1024), rosenbrock)
                        .gradient()
                        .len(),
                );
            }
            "hessian32_f64" => {
                black_box(rosenbrock_f64(black_box(&x32)));
            }
            "logistic_loop_f64" => {
                black_box(logistic_loop(black_box(loop_w), black_box(&loop_rows)));
            }
            "logistic_loop_graph" => {
                let ev = evaluator.as_mut().expect("made above");
                let r = ev.eval_with_into(black_box(loop_w), black_box(&loop_rows), &mut out);
                black_box(r.is_ok());
                black_box(&out);
            }
            #[cfg(feature = "jit")]
            "logistic_loop_jit" => {
                let c = jit.as_ref().expect("made above");
                let r = c.eval_with_into(black_box(loop_w), black_box(&loop_rows), &mut out);
                black_box(r.is_ok());
                black_box(&out);
            }
            "logistic_map_f64" => {
                black_box(logistic_map(
                    black_box(3.7),
                    black_box(0.2),
                    LOGISTIC_MAP_STEPS,
                ));
            }
            "logistic_map_graph" => {
                let ev = evaluator.as_mut().expect("made above");
                black_box(ev.eval_into(black_box(&[3.7, 0.2]), &mut out).is_ok());
                black_box(&out);
            }
            #[cfg(feature = "jit")]
            "logistic_map_jit" => {
                let c = jit.as_ref().expect("made above");
                black_box(c.eval_into(black_box(&[3.7, 0.2]), &mut out).is_ok());
                black_box(&out);
            }
            "logistic_f64" => {
                black_box(data.loss(black_box(&w)));
            }
            "logistic_reverse" => {
                black_box(tape.gradient_into(
                    |v: &[Var<f64>]| data.loss(v),
                    black_box(&w),
                    &mut gw,
                ));
            }
            "lecture_graph"
            | "rosenbrock1024_graph"
            | "hessian32_graph"
            | "hessian8_graph"
            | "logistic_graph"
            | "jacobian32_graph" => {
                let x: &[f64] = match case.as_str() {
                    "lecture_graph" => &lec,
                    "rosenbrock1024_graph" => &x1024,
                    "hessian8_graph" => &x8,
                    "logistic_graph" => &w,
                    _ => &x32,
                };
                let ev = evaluator.as_mut().expect("made above");
                black_box(ev.eval_into(black_box(x), &mut out).is_ok());
                black_box(&out);
            }
            "logistic_params_graph" => {
                let ev = evaluator.as_mut().expect("made above");
                let r = ev.eval_with_into(black_box(&w), black_box(&logistic_params), &mut out);
                black_box(r.is_ok());
                black_box(&out);
            }
            #[cfg(feature = "jit")]
            "logistic_jit" | "logistic_params_jit" => {
                let c = jit.as_ref().expect("made above");
                let p: &[f64] = if case == "logistic_jit" {
                    &[]
                } else {
                    &logistic_params
                };
                let r = c.eval_with_into(black_box(&w), black_box(p), &mut out);
                black_box(r.is_ok());
                black_box(&out);
            }
            "rosenbrock1024_by_hand" => {
                black_box(common::rosenbrock_grad_by_hand(
                    black_box(&x1024),
                    &mut grad,
                ));
            }
            "hessian32_by_hand" => {
                common::rosenbrock_hessian_by_hand(black_box(&x32), &mut hess);
                black_box(&hess);
            }
            "lecture_emitted" => {
                black_box(emitted::lecture_gradient(black_box(&lec), &mut out_lec).is_ok());
                black_box(&out_lec);
            }
            "rosenbrock1024_emitted" => {
                let r = emitted::rosenbrock1024_gradient(black_box(&x1024), &mut out1024);
                black_box(r.is_ok());
                black_box(&out1024);
            }
            "hessian32_emitted" => {
                let r = emitted::rosenbrock32_hessian(black_box(&x32), &mut out32);
                black_box(r.is_ok());
                black_box(&out32);
            }
            #[cfg(feature = "jit")]
            "lecture_jit" | "rosenbrock1024_jit" | "hessian32_jit" => {
                let x: &[f64] = match case.as_str() {
                    "lecture_jit" => &lec,
                    "rosenbrock1024_jit" => &x1024,
                    _ => &x32,
                };
                let c = jit.as_ref().expect("made above");
                black_box(c.eval_into(black_box(x), &mut out).is_ok());
                black_box(&out);
            }
            #[cfg(feature = "jit")]
            "compile1024_jit" => {
                let g = graph.as_ref().expect("made above");
                black_box(g.compile().unwrap().code_size());
            }
            "sparse_rosenbrock10k_f64" => {
                black_box(rosenbrock_f64(black_box(&x10k)));
            }
            "sparse_rosenbrock10k_hessian" => {
                let p = hessian_plan.as_mut().expect("made above");
                black_box(p.eval(black_box(&x10k)).is_ok());
            }
            "sparse_banded10k_f64" => {
                black_box(banded_f64(black_box(&x10k)));
            }
            "sparse_banded10k_graph" => {
                let p = jacobian_plan.as_mut().expect("made above");
                black_box(p.eval(black_box(&x10k)).is_ok());
            }
            "sparse_banded10k_fn" => {
                let p = jacobian_plan.as_mut().expect("made above");
                black_box(
                    p.eval_fn(common::banded_map, black_box(&x10k), Chunk::<5>)
                        .is_ok(),
                );
            }
            "hessian8_forward_chunk1" => {
                black_box(hessian8_forward_chunk::<1>(black_box(&x8)));
            }
            "hessian8_forward_chunk2" => {
                black_box(hessian8_forward_chunk::<2>(black_box(&x8)));
            }
            "hessian8_forward_chunk4" => {
                black_box(hessian8_forward_chunk::<4>(black_box(&x8)));
            }
            "hessian8_forward" => {
                black_box(hessian8_forward(black_box(&x8)));
            }
            "hvp16_forward" => {
                black_box(hvp16_forward(black_box(&x16), black_box(&v16)));
            }
            "forward19_free" => {
                black_box(forward19_free(black_box(&x1024[..19]), &mut grad[..19]));
            }
            "forward19_object" => {
                black_box(forward19_object(
                    &mut fwd,
                    black_box(&x1024[..19]),
                    &mut grad[..19],
                ));
            }
            "third_derivative_f64" => {
                black_box(third_derivative_f64(black_box(0.3)));
            }
            "third_derivative_nilpotent" => {
                black_box(third_derivative_nilpotent(black_box(0.3)));
            }
            other => panic!(
                "unknown case {other:?} (the `*_jit` cases need `--features jit`); `profile \
                 --list` lists the cases"
            ),
        }
        black_box(&grad);
    }
}
