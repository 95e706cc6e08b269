//! The speedup of rayon's passes on this machine: the dense 256 × 256 Jacobian of the benches'
//! `dense_map` (32 passes of `Dual<f64, 8>`), serial against `sparse::par_jacobian_with`, and a
//! plain rayon loop with no shared state as the machine's own ceiling. Each of 40 rounds times one
//! serial and one parallel call; the fastest of each is kept (the least disturbed by other work).
//!
//! ```sh
//! cargo run --release -p nilpotent-dev --features rayon --example rayon_speedup
//! ```

#[path = "../../benches/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Instant;

use nilpotent::sparse::par_jacobian_with;
use nilpotent::{Chunk, Dual, jacobian_with};
use rayon::prelude::*;

/// The fastest of `rounds` runs of `a` and of `b`, interleaved, in seconds.
fn fastest(rounds: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64) {
    let (mut ta, mut tb) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..rounds {
        let t = Instant::now();
        a();
        ta = ta.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        b();
        tb = tb.min(t.elapsed().as_secs_f64());
    }
    (ta, tb)
}

/// Independent work for the plain loop.
fn work(k: u64) -> f64 {
    (0..2_000_000u64).map(|i| ((i ^ k) as f64).sqrt()).sum()
}

fn main() {
    let n = 256;
    let x: Vec<f64> = (0..n).map(|i| 0.3 + 0.05 * ((i * 5) % 13) as f64).collect();
    let f = common::dense_map::<Dual<f64, 8>>;
    // the two give the same Jacobian, bit for bit
    assert_eq!(
        jacobian_with(f, &x, Chunk::<8>),
        par_jacobian_with(f, &x, Chunk::<8>)
    );
    let (serial, parallel) = fastest(
        40,
        || drop(black_box(jacobian_with(f, black_box(&x), Chunk::<8>))),
        || drop(black_box(par_jacobian_with(f, black_box(&x), Chunk::<8>))),
    );
    let (plain_serial, plain_parallel) = fastest(
        5,
        || {
            black_box((0..16u64).map(work).sum::<f64>());
        },
        || {
            black_box((0..16u64).into_par_iter().map(work).sum::<f64>());
        },
    );
    println!(
        "{} threads; dense {n} × {n} Jacobian: serial {:.2} ms, rayon {:.2} ms, speedup {:.2}; \
         a plain rayon loop: {:.2}",
        rayon::current_num_threads(),
        serial * 1e3,
        parallel * 1e3,
        serial / parallel,
        plain_serial / plain_parallel
    );
}
