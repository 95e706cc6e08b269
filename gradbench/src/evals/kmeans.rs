//! `kmeans`: the cost Σᵢ minⱼ |cⱼ − pᵢ|² of centroids c for points p, and the Newton direction
//! J·H⁻¹ of the cost in c. H is diagonal (each point's term depends on one centroid, as a sum of
//! squares over coordinates), so H·1 = diag H: one Hessian-vector product with v = 1 by forward
//! over reverse (`Var<Dual<f64, 1>>`) gives the gradient and the Hessian diagonal in one recording
//! and one sweep.

use nilpotent::reverse::Tape;
use nilpotent::{Dual, Real};
use serde_json::Value;

use crate::{Runs, Timed, done, json, timed};

/// Σᵢ minⱼ |cⱼ − pᵢ|² for points (rows of d) and centroids c (rows of d). The closest centroid of
/// each point is chosen on the values (a choice has no derivative), and its distance computed on
/// `T`, so a recording holds one distance per point rather than k.
pub fn cost<T: Real>(points: &[f64], d: usize, c: &[T]) -> T {
    let values: Vec<f64> = c.iter().map(|v| v.to_f64().unwrap_or(f64::NAN)).collect();
    let mut total = T::zero();
    for p in points.chunks_exact(d) {
        let mut best = f64::INFINITY;
        let mut closest = 0;
        for (j, cj) in values.chunks_exact(d).enumerate() {
            let dist: f64 = cj.iter().zip(p).map(|(a, b)| (a - b) * (a - b)).sum();
            if dist < best {
                best = dist;
                closest = j;
            }
        }
        let cj = &c[closest * d..(closest + 1) * d];
        let mut dist = T::zero();
        for (&a, &b) in cj.iter().zip(p) {
            let e = a - b;
            dist += e * e;
        }
        total += dist;
    }
    total
}

/// J·H⁻¹ (H diagonal) at centroids c, written into `dir`.
pub fn dir(tape: &mut Tape<Dual<f64, 1>>, points: &[f64], d: usize, c: &[f64], dir: &mut [f64]) {
    let seeded: Vec<Dual<f64, 1>> = c.iter().map(|&ci| Dual::new(ci, [1.0])).collect();
    let y = tape.record(&seeded, |v| cost(points, d, v));
    let adj = tape.backward(y);
    for (o, a) in dir.iter_mut().zip(adj) {
        *o = a.re / a.eps[0];
    }
}

/// Runs `kmeans.function` on `input`.
pub fn evaluate(function: &str, input: &Value) -> Result<Timed, String> {
    let (points, n, d) = json::matrix(json::field(input, "points")?, "points")?;
    let (c, k, dc) = json::matrix(json::field(input, "centroids")?, "centroids")?;
    if n == 0 || k == 0 || d == 0 || dc != d {
        return Err(format!(
            "{n} points of dimension {d} and {k} centroids of dimension {dc}: need at least one of \
             each, of one dimension (at least 1)"
        ));
    }
    let runs = Runs::of(input);
    match function {
        "cost" => {
            let (y, times) = timed(runs, || cost(&points, d, &c));
            done(y, times)
        }
        "dir" => {
            let mut tape = Tape::new();
            let mut out = vec![0.0; c.len()];
            let (_, times) = timed(runs, || dir(&mut tape, &points, d, &c, &mut out));
            done(json::rows(&out, d), times)
        }
        _ => Err(super::no_function(function, &["cost", "dir"])),
    }
}
