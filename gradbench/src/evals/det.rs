//! `det`: the determinant of an ℓ×ℓ matrix by expansion in minors (ℓ! products, as the eval
//! prescribes). Gradient by the tape (reverse mode): ℓ² inputs, one output.

use nilpotent::Real;
use nilpotent::reverse::Tape;
use serde_json::Value;

use crate::{Runs, Timed, done, json, timed};

/// The determinant of the minor of `a` (n×n, row-major) with the m rows listed from `r[n]` and the
/// m columns listed from `c[n]` (each list linked through `r`/`c`, ending at n).
fn det_of_minor<T: Real>(a: &[T], n: usize, m: usize, r: &mut [usize], c: &mut [usize]) -> T {
    let r0 = r[n];
    let mut cj = c[n];
    if m == 1 {
        return a[r0 * n + cj];
    }
    let mut det = T::zero();
    let mut positive = true;
    // remove row r0 from the list of rows
    r[n] = r[r0];
    let mut cj1 = n;
    for _ in 0..m {
        let m0j = a[r0 * n + cj];
        // remove column cj from the list of columns
        c[cj1] = c[cj];
        let sub = det_of_minor(a, n, m - 1, r, c);
        // put it back
        c[cj1] = cj;
        if positive {
            det += m0j * sub;
        } else {
            det -= m0j * sub;
        }
        cj1 = cj;
        cj = c[cj];
        positive = !positive;
    }
    r[n] = r0;
    det
}

/// det A for A of ℓ×ℓ, row-major.
pub fn det<T: Real>(a: &[T], ell: usize) -> T {
    let mut r: Vec<usize> = (1..=ell + 1).collect();
    let mut c = r.clone();
    r[ell] = 0;
    c[ell] = 0;
    det_of_minor(a, ell, ell, &mut r, &mut c)
}

/// Runs `det.function` on `input`.
pub fn evaluate(function: &str, input: &Value) -> Result<Timed, String> {
    let a = json::vec(json::field(input, "A")?, "A")?;
    let ell = json::int(json::field(input, "ell")?, "ell")?;
    if ell == 0 || a.len() != ell * ell {
        return Err(format!(
            "A has {} entries; expected ell² = {} (ell = {ell}, at least 1)",
            a.len(),
            ell * ell
        ));
    }
    let runs = Runs::of(input);
    match function {
        "primal" => {
            let (y, times) = timed(runs, || det(&a, ell));
            done(y, times)
        }
        "gradient" => {
            let mut tape = Tape::new();
            let mut g = vec![0.0; a.len()];
            let (_, times) = timed(runs, || {
                tape.gradient_into(|v| det(v, ell), &a, &mut g);
            });
            done(g, times)
        }
        _ => Err(super::no_function(function, &["primal", "gradient"])),
    }
}
