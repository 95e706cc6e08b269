//! nalgebra decompositions at singular, near-singular and regular matrices, in every mode.
//!
//! Each case draws a size k ∈ {2, 3, 4, 5}, a decomposition ([`Decomp`]: `try_inverse`,
//! `lu().solve`, `qr().solve`, `cholesky` of M·Mᵀ, `full_piv_lu().is_invertible()`,
//! `determinant`) and three matrices with exactly representable entries (small integers):
//! a regular one (diagonally dominant), a singular one (rank-deficient by construction: a column
//! copied or scaled by −2 into another, a zero row, a row the sum of two others, a rank-1 outer
//! product, the zero matrix) and a near-singular one (the singular one with 2⁻²⁰ added to one
//! entry). The function returns `[1, values…]` when the decomposition succeeds (`Some`, `true`)
//! and `[0]` when it does not (`None`, `false`), so the outcome is part of the values.
//!
//! At each matrix, with r the `f64` run: `Dual<f64, 2>` (random directions), nested
//! `Dual<Dual<f64, 1>, 1>`, the tape (`reverse::jacobian`) and a graph recorded there (its
//! recorded values and its `eval`) must all give r, outcome and values bit for bit (real parts;
//! every NaN equal). The graph recorded at each of the three matrices is evaluated at the two
//! others: `Ok(r)` bit for bit or `Err(GraphError::Guard)`, never another number (a graph
//! recorded at an invertible matrix and evaluated at a singular one must not return `[1, ±∞…]`),
//! and the JIT (feature `jit`; in a debug build for every 30th case) exactly as the interpreter.

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};

use nalgebra::{DMatrix, DVector, RealField};
use nilpotent::graph::{Graph, GraphError, Sym};
use nilpotent::{Dual, reverse};

use super::common::{Rng, same_f64};
use super::{case_rng, env_u64};

/// Cases checked by default (debug build).
const DEFAULT_CASES: u64 = 150;
/// In a debug build, Cranelift compiles the graphs of a 5×5 LU slowly: the JIT checks run for
/// every `JIT_EVERY_IN_DEBUG`-th case only (every case in a release build).
#[cfg(feature = "jit")]
const JIT_EVERY_IN_DEBUG: u64 = 30;

/// The decomposition a case applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Decomp {
    Inverse,
    LuSolve,
    QrSolve,
    Cholesky,
    IsInvertible,
    Determinant,
}

const DECOMPS: [Decomp; 6] = [
    Decomp::Inverse,
    Decomp::LuSolve,
    Decomp::QrSolve,
    Decomp::Cholesky,
    Decomp::IsInvertible,
    Decomp::Determinant,
];

/// `[1, entries…]` for `Some(m)`, `[0]` for `None`.
fn outcome<T: RealField + Copy>(m: Option<impl IntoIterator<Item = T>>) -> Vec<T> {
    match m {
        Some(m) => std::iter::once(T::one()).chain(m).collect(),
        None => vec![T::zero()],
    }
}

/// The decomposition of the k×k matrix `a` (column-major), written once for every field.
fn decomp<T: RealField + Copy>(which: Decomp, k: usize, a: &[T]) -> Vec<T> {
    let m = DMatrix::from_column_slice(k, k, a);
    let b = DVector::from_iterator(k, (0..k).map(|i| T::from_subset(&((i + 1) as f64))));
    match which {
        Decomp::Inverse => outcome(
            m.try_inverse()
                .map(|inv| inv.iter().copied().collect::<Vec<_>>()),
        ),
        Decomp::LuSolve => outcome(
            m.lu()
                .solve(&b)
                .map(|x| x.iter().copied().collect::<Vec<_>>()),
        ),
        Decomp::QrSolve => outcome(
            m.qr()
                .solve(&b)
                .map(|x| x.iter().copied().collect::<Vec<_>>()),
        ),
        Decomp::Cholesky => {
            let s = &m * m.transpose();
            outcome(
                s.cholesky()
                    .map(|c| c.l().iter().copied().collect::<Vec<_>>()),
            )
        }
        Decomp::IsInvertible => {
            if m.full_piv_lu().is_invertible() {
                vec![T::one()]
            } else {
                vec![T::zero()]
            }
        }
        Decomp::Determinant => vec![m.determinant()],
    }
}

fn int(rng: &mut Rng, lo: i64, hi: i64) -> f64 {
    rng.int(lo, hi) as f64
}

fn regular(rng: &mut Rng, k: usize) -> Vec<f64> {
    let mut a: Vec<f64> = (0..k * k).map(|_| int(rng, -3, 3)).collect();
    for i in 0..k {
        let s = if rng.below(2) == 0 { 1.0 } else { -1.0 };
        a[i * k + i] = s * (3.0 * k as f64 + int(rng, 0, 2));
    }
    a
}

/// A singular matrix, rank-deficient by construction, and how it was made.
fn singular(rng: &mut Rng, k: usize) -> (Vec<f64>, &'static str) {
    let mut a: Vec<f64> = (0..k * k).map(|_| int(rng, -3, 3)).collect();
    let i = rng.below(k);
    let j = (i + 1 + rng.below(k - 1)) % k;
    let kind = match rng.below(6) {
        0 => {
            for r in 0..k {
                a[j * k + r] = a[i * k + r];
            }
            "a column copied"
        }
        1 => {
            for r in 0..k {
                a[j * k + r] = -2.0 * a[i * k + r];
            }
            "a column scaled by -2"
        }
        2 => {
            for c in 0..k {
                a[c * k + i] = 0.0;
            }
            "a zero row"
        }
        3 if k >= 3 => {
            let l = (0..k).find(|&l| l != i && l != j).unwrap();
            for c in 0..k {
                a[c * k + j] = a[c * k + i] + a[c * k + l];
            }
            "a row the sum of two others"
        }
        4 => {
            let u: Vec<f64> = (0..k).map(|_| int(rng, -2, 2)).collect();
            let v: Vec<f64> = (0..k).map(|_| int(rng, -2, 2)).collect();
            for c in 0..k {
                for r in 0..k {
                    a[c * k + r] = u[r] * v[c];
                }
            }
            "rank 1"
        }
        _ => {
            a.iter_mut().for_each(|x| *x = 0.0);
            "zero"
        }
    };
    (a, kind)
}

fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| same_f64(x, y))
}

fn fmt(r: &Result<Vec<f64>, GraphError>) -> String {
    match r {
        Ok(v) => format!("{v:?}"),
        Err(e) => format!("Err({e})"),
    }
}

type Failure = (&'static str, String);

/// Every mode at the matrix `a`; returns the graph recorded there.
fn check_at(
    which: Decomp,
    k: usize,
    a: &[f64],
    rng: &mut Rng,
    fails: &mut Vec<Failure>,
) -> Option<Graph> {
    let r = decomp::<f64>(which, k, a);
    let d: Vec<Dual<f64, 2>> = a
        .iter()
        .map(|&v| Dual::new(v, [int(rng, -2, 2), int(rng, -2, 2)]))
        .collect();
    let dv: Vec<f64> = decomp(which, k, &d).iter().map(|x| x.re).collect();
    if !same(&dv, &r) {
        fails.push(("Dual real parts vs f64", format!("{dv:?} vs {r:?}")));
    }
    let nd: Vec<Dual<Dual<f64, 1>, 1>> = a
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let t = if i == 0 { 1.0 } else { 0.0 };
            Dual::new(Dual::new(v, [t]), [Dual::new(t, [0.0])])
        })
        .collect();
    let ndv: Vec<f64> = decomp(which, k, &nd).iter().map(|x| x.re.re).collect();
    if !same(&ndv, &r) {
        fails.push(("nested Dual real parts vs f64", format!("{ndv:?} vs {r:?}")));
    }
    match panic::catch_unwind(AssertUnwindSafe(|| {
        reverse::jacobian(|s| decomp(which, k, s), a)
    })) {
        Ok((tv, _)) => {
            if !same(&tv, &r) {
                fails.push(("tape values vs f64", format!("{tv:?} vs {r:?}")));
            }
        }
        Err(_) => fails.push(("tape panics", String::new())),
    }
    match panic::catch_unwind(AssertUnwindSafe(|| {
        Graph::record_vec(a, |s: &[Sym]| decomp(which, k, s))
    })) {
        Ok(g) => {
            let rec = g.recorded_outputs();
            if !same(&rec, &r) {
                fails.push(("graph recorded values vs f64", format!("{rec:?} vs {r:?}")));
            }
            let ev = g.eval(a);
            if !matches!(&ev, Ok(v) if same(v, &rec)) {
                fails.push((
                    "graph evaluated at its own recording point",
                    format!("{} vs {rec:?}", fmt(&ev)),
                ));
            }
            Some(g)
        }
        Err(_) => {
            fails.push(("recording panics", String::new()));
            None
        }
    }
}

/// The graph recorded at one matrix, evaluated at another: `Ok(f64)` or a guard error; its JIT
/// code (`jit`, feature `jit`) exactly as the interpreter.
fn check_cross(
    g: &Graph,
    #[cfg(feature = "jit")] jit: Option<&nilpotent::graph::Compiled>,
    which: Decomp,
    k: usize,
    a: &[f64],
    fails: &mut Vec<Failure>,
) -> bool {
    let r = decomp::<f64>(which, k, a);
    let ev = g.eval(a);
    match &ev {
        Ok(v) if !same(v, &r) => fails.push((
            "graph recorded at another matrix vs f64: a different number, not a guard error",
            format!("{v:?} where f64 gives {r:?}"),
        )),
        Err(GraphError::Guard { .. }) | Ok(_) => {}
        Err(e) => fails.push(("graph: an error other than a guard", format!("{e}"))),
    }
    #[cfg(feature = "jit")]
    if let Some(c) = jit {
        let jv = c.eval(a);
        let agree = match (&jv, &ev) {
            (Ok(x), Ok(y)) => same(x, y),
            (Err(x), Err(y)) => x == y,
            _ => false,
        };
        if !agree {
            fails.push((
                "JIT vs interpreter",
                format!("{} vs {}", fmt(&jv), fmt(&ev)),
            ));
        }
    }
    ev.is_ok()
}

fn run() {
    let cases = env_u64("NILPOTENT_FUZZ_CASES").unwrap_or(DEFAULT_CASES);
    let first = env_u64("NILPOTENT_FUZZ_FIRST").unwrap_or(0);
    let keep_going = std::env::var("NILPOTENT_FUZZ_KEEP_GOING").is_ok();
    let base = Rng::for_test("fuzz decompositions").next_u64();
    let mut failing = 0u64;
    let mut classes: BTreeMap<(Decomp, &'static str, &'static str), (u64, String)> =
        BTreeMap::new();
    let mut outcomes: BTreeMap<(Decomp, &'static str, bool), u64> = BTreeMap::new();
    let mut cross = [0u64; 2];
    for case in first..first + cases {
        let mut rng = case_rng(base, case);
        let k = 2 + rng.below(4);
        let which = DECOMPS[rng.below(DECOMPS.len())];
        let reg = regular(&mut rng, k);
        let (sing, kind) = singular(&mut rng, k);
        let mut near = sing.clone();
        near[rng.below(k * k)] += 2f64.powi(-20);
        let mats = [
            ("regular", reg),
            ("singular", sing),
            ("near-singular", near),
        ];
        let mut fails_by: Vec<(&'static str, Failure)> = Vec::new();
        let mut graphs = Vec::new();
        for (name, a) in &mats {
            let mut f = Vec::new();
            let g = check_at(which, k, a, &mut rng, &mut f);
            let r = decomp::<f64>(which, k, a);
            let succeeded = if which == Decomp::Determinant {
                r[0] != 0.0
            } else {
                r[0] == 1.0
            };
            *outcomes.entry((which, name, succeeded)).or_default() += 1;
            fails_by.extend(f.into_iter().map(|f| (*name, f)));
            graphs.push(g);
        }
        for (gi, g) in graphs.iter().enumerate() {
            let Some(g) = g else { continue };
            #[cfg(feature = "jit")]
            let jit = if !cfg!(debug_assertions) || case.is_multiple_of(JIT_EVERY_IN_DEBUG) {
                match g.compile() {
                    Ok(c) => Some(c),
                    Err(e) => {
                        fails_by.push((mats[gi].0, ("the JIT refuses the graph", format!("{e}"))));
                        None
                    }
                }
            } else {
                None
            };
            for (ai, (name, a)) in mats.iter().enumerate() {
                if ai != gi {
                    let mut f = Vec::new();
                    let ok = check_cross(
                        g,
                        #[cfg(feature = "jit")]
                        jit.as_ref(),
                        which,
                        k,
                        a,
                        &mut f,
                    );
                    cross[ok as usize] += 1;
                    fails_by.extend(f.into_iter().map(|(c, m)| {
                        (
                            *name,
                            (c, format!("recorded at the {} matrix: {m}", mats[gi].0)),
                        )
                    }));
                }
            }
        }
        if fails_by.is_empty() {
            continue;
        }
        failing += 1;
        let mut report = format!(
            "case {case} (base seed {base:#x}; rerun with NILPOTENT_FUZZ_FIRST={case} \
             NILPOTENT_FUZZ_CASES=1): {which:?}, {k}×{k}, singular matrix: {kind}\n"
        );
        for (name, a) in &mats {
            report += &format!("  {name} (column-major): {a:?}\n");
        }
        for (name, (check, msg)) in &fails_by {
            report += &format!("  FAILED at the {name} matrix: {check}: {msg}\n");
        }
        for (name, (check, _)) in &fails_by {
            let e = classes
                .entry((which, name, check))
                .or_insert((0, String::new()));
            e.0 += 1;
            if e.1.is_empty() {
                e.1 = report.clone();
            }
        }
        if keep_going {
            eprintln!("{report}");
        } else {
            panic!("{report}");
        }
    }
    println!(
        "decompositions: base seed {base:#x}, cases {first}..{}: outcomes (decomposition, \
         matrix, succeeded or nonzero determinant) {outcomes:?}; graphs evaluated at another matrix: {} Ok, {} guard \
         errors",
        first + cases,
        cross[1],
        cross[0]
    );
    for ((which, name, check), (count, example)) in &classes {
        println!("FAILURES {which:?} at the {name} matrix: {check}: {count}; first:\n{example}");
    }
    assert_eq!(failing, 0, "{failing} failing cases");
}

#[test]
fn decompositions_at_singular_matrices_agree_in_every_mode() {
    // nested duals through nalgebra's unrolled 4×4 inverse need more than a test thread's stack
    // in a debug build (see the `linalg` module documentation)
    let t = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(run)
        .expect("a thread");
    if let Err(e) = t.join() {
        panic::resume_unwind(e);
    }
}
