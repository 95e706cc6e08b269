//! `ba`: bundle adjustment. Residuals: for each of p observations, the weighted reprojection error
//! (2 values) of a point (3 parameters) seen by a camera (11 parameters), with its weight w
//! (1 parameter), and the weight error 1 − w² per observation. The Jacobian (2p + p rows,
//! 11n + 3m + p columns) has 15 nonzeros in each reprojection row and one in each weight row:
//! each observation's 2×15 block comes from one forward pass of `Dual<f64, 16>` (the 15 inputs
//! seeded by hand), which is the sparse Jacobian's column colouring applied observation by
//! observation.

use nilpotent::{Dual, Real};
use serde_json::Value;

use crate::{Runs, Timed, done, json, timed};

/// camera parameters per camera
const NCAM: usize = 11;

/// Tangent lanes of the Jacobian's dual numbers: the 15 inputs of an observation, and one unused.
/// 16 lanes fill 4 AVX registers; 15 took 3, a half and a single lane, with shuffles between them
/// (on ba1: 1 867 → 1 778 instructions per observation, 5.7 → 5.5 ms).
const LANES: usize = 16;

/// a × b
// Inlined (here and in `rodrigues`, `reprojection`), and no array `map`: out of line, on a dual
// number of 15 lanes (128 bytes) every argument and result went through memory; `cross` and the
// closure of `[0, 1, 2].map` were 37 % of the Jacobian's instructions, called once per
// observation (ba1: 3 638 → 2 737 instructions per observation, 18 → 7.8 ms).
#[inline(always)]
fn cross<T: Real>(a: &[T], b: &[T]) -> [T; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// The point pt rotated by the axis-angle vector rot (Rodrigues' formula; to first order at a zero
/// angle).
#[inline(always)]
fn rodrigues<T: Real>(rot: &[T], pt: &[T; 3]) -> [T; 3] {
    let sqtheta = rot[0] * rot[0] + rot[1] * rot[1] + rot[2] * rot[2];
    if sqtheta != 0.0 {
        let theta = sqtheta.sqrt();
        let (s, c) = theta.sin_cos();
        let inv = theta.recip();
        let w = [rot[0] * inv, rot[1] * inv, rot[2] * inv];
        let wxp = cross(&w, pt);
        let tmp = (w[0] * pt[0] + w[1] * pt[1] + w[2] * pt[2]) * (-c + 1.0);
        [
            pt[0] * c + wxp[0] * s + w[0] * tmp,
            pt[1] * c + wxp[1] * s + w[1] * tmp,
            pt[2] * c + wxp[2] * s + w[2] * tmp,
        ]
    } else {
        let rxp = cross(rot, pt);
        [pt[0] + rxp[0], pt[1] + rxp[1], pt[2] + rxp[2]]
    }
}

/// The weighted reprojection error of one observation: of the point `x` (3 values) seen by the
/// camera `cam` (11), with weight `w`, against the feature `feat`.
#[inline(always)]
pub fn reprojection<T: Real>(cam: &[T; NCAM], x: &[T; 3], w: T, feat: [f64; 2]) -> [T; 2] {
    let xo = [x[0] - cam[3], x[1] - cam[4], x[2] - cam[5]];
    let xc = rodrigues(&cam[..3], &xo);
    let p = [xc[0] / xc[2], xc[1] / xc[2]];
    let rsq = p[0] * p[0] + p[1] * p[1];
    let l = cam[9] * rsq + cam[10] * rsq * rsq + 1.0;
    [
        w * ((p[0] * l) * cam[6] + cam[7] - feat[0]),
        w * ((p[1] * l) * cam[6] + cam[8] - feat[1]),
    ]
}

/// The weight error 1 − w².
pub fn weight_error<T: Real>(w: T) -> T {
    -(w * w) + 1.0
}

/// A bundle-adjustment problem (the eval's replicated camera, point, weight and feature).
struct Problem {
    n: usize,
    m: usize,
    p: usize,
    cams: Vec<f64>,
    xs: Vec<f64>,
    ws: Vec<f64>,
    feats: Vec<f64>,
    /// per observation its camera and point (i mod n, i mod m), as the eval defines them: made
    /// once per input, as `manual` makes its `obs` array when it reads the input
    obs: Vec<[u32; 2]>,
}

impl Problem {
    /// The camera, point, weight and feature of observation i.
    #[inline(always)]
    fn observation(&self, i: usize) -> (&[f64; NCAM], &[f64; 3], f64, [f64; 2]) {
        let [c, pt] = self.obs[i].map(|k| k as usize);
        (
            self.cams[c * NCAM..][..NCAM].try_into().unwrap(),
            self.xs[pt * 3..][..3].try_into().unwrap(),
            self.ws[i],
            [self.feats[2 * i], self.feats[2 * i + 1]],
        )
    }

    /// The residuals: reprojection errors (2p) and weight errors (p); compiled for AVX2 and FMA
    /// where the processor has them ([`avx2_fma`](super::avx2_fma)). Measured on ba1: the
    /// Jacobian 2 737 → 1 867 instructions per observation, 7.8 → 5.6 ms; the objective
    /// 285 → 245, 1.08 → 0.99 ms (with 16 lanes, the wider registers hold 4 tangents where SSE2's
    /// hold 2).
    fn objective(&self, reproj: &mut [f64], werr: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        if super::avx2_fma() {
            // SAFETY: the processor has AVX2 and FMA (`avx2_fma`)
            return unsafe { self.objective_avx2(reproj, werr) };
        }
        self.objective_body(reproj, werr)
    }

    /// [`Problem::objective`] compiled for AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn objective_avx2(&self, reproj: &mut [f64], werr: &mut [f64]) {
        self.objective_body(reproj, werr)
    }

    /// [`Problem::objective`], compiled inline into each caller.
    #[inline(always)]
    fn objective_body(&self, reproj: &mut [f64], werr: &mut [f64]) {
        for (i, e) in reproj.chunks_exact_mut(2).enumerate().take(self.p) {
            let (cam, x, w, feat) = self.observation(i);
            e.copy_from_slice(&reprojection(cam, x, w, feat));
        }
        for (o, &w) in werr.iter_mut().zip(&self.ws) {
            *o = weight_error(w);
        }
    }

    /// The Jacobian's nonzeros: per observation its 2×15 block row by row, then per observation
    /// the derivative of its weight error.
    fn jacobian(&self, blocks: &mut [f64], wd: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        if super::avx2_fma() {
            // SAFETY: the processor has AVX2 and FMA (`avx2_fma`)
            return unsafe { self.jacobian_avx2(blocks, wd) };
        }
        self.jacobian_body(blocks, wd)
    }

    /// [`Problem::jacobian`] compiled for AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn jacobian_avx2(&self, blocks: &mut [f64], wd: &mut [f64]) {
        self.jacobian_body(blocks, wd)
    }

    /// [`Problem::jacobian`], compiled inline into each caller.
    #[inline(always)]
    fn jacobian_body(&self, blocks: &mut [f64], wd: &mut [f64]) {
        for (i, b) in blocks.chunks_exact_mut(30).enumerate().take(self.p) {
            let (cam, x, w, feat) = self.observation(i);
            // inputs 0–10 the camera, 11–13 the point, 14 the weight
            let cam: [Dual<f64, LANES>; NCAM] = std::array::from_fn(|j| Dual::variable(cam[j], j));
            let x: [Dual<f64, LANES>; 3] = std::array::from_fn(|j| Dual::variable(x[j], NCAM + j));
            let e = reprojection(&cam, &x, Dual::variable(w, NCAM + 3), feat);
            b[..15].copy_from_slice(&e[0].eps[..15]);
            b[15..].copy_from_slice(&e[1].eps[..15]);
        }
        for (o, &w) in wd.iter_mut().zip(&self.ws) {
            *o = nilpotent::derivative(weight_error, w).1;
        }
    }
}

/// Reads the eval's input.
fn problem(input: &Value) -> Result<Problem, String> {
    let n = json::int(json::field(input, "n")?, "n")?;
    let m = json::int(json::field(input, "m")?, "m")?;
    let p = json::int(json::field(input, "p")?, "p")?;
    let cam = json::vec(json::field(input, "cam")?, "cam")?;
    let x = json::vec(json::field(input, "x")?, "x")?;
    let w = json::num(json::field(input, "w")?, "w")?;
    let feat = json::vec(json::field(input, "feat")?, "feat")?;
    if n == 0 || m == 0 || p == 0 || cam.len() != NCAM || x.len() != 3 || feat.len() != 2 {
        return Err(format!(
            "n = {n}, m = {m}, p = {p} (each at least 1), cam has {} entries (11), x {} (3), \
             feat {} (2)",
            cam.len(),
            x.len(),
            feat.len()
        ));
    }
    if u32::try_from(n.max(m)).is_err() {
        return Err(format!(
            "n = {n}, m = {m}: at most {} cameras and points",
            u32::MAX
        ));
    }
    Ok(Problem {
        n,
        m,
        p,
        cams: cam.repeat(n),
        xs: x.repeat(m),
        ws: vec![w; p],
        feats: feat.repeat(p),
        obs: (0..p).map(|i| [(i % n) as u32, (i % m) as u32]).collect(),
    })
}

/// Runs `ba.function` on `input`.
pub fn evaluate(function: &str, input: &Value) -> Result<Timed, String> {
    let pb = problem(input)?;
    let runs = Runs::of(input);
    let (n, m, p) = (pb.n, pb.m, pb.p);
    match function {
        "objective" => {
            let mut reproj = vec![0.0; 2 * p];
            let mut werr = vec![0.0; p];
            let (_, times) = timed(runs, || pb.objective(&mut reproj, &mut werr));
            let out = serde_json::json!({
                "reproj_error": {"elements": [reproj[0], reproj[1]], "repeated": p},
                "w_err": {"element": werr[0], "repeated": p},
            });
            done(out, times)
        }
        "jacobian" => {
            let mut blocks = vec![0.0; 30 * p];
            let mut wd = vec![0.0; p];
            let (_, times) = timed(runs, || pb.jacobian(&mut blocks, &mut wd));
            // the compressed form of the CSR matrix: its first 30 row starts, column indices and
            // values (observation 0's two rows), then the last of each
            let rows: Vec<usize> = (0..30).map(|r| 15 * r).chain([31 * p]).collect();
            let row_cols: Vec<usize> = (0..NCAM)
                .chain((0..3).map(|j| NCAM * n + j))
                .chain([NCAM * n + 3 * m])
                .collect();
            let cols: Vec<usize> = row_cols
                .iter()
                .chain(&row_cols)
                .copied()
                .chain([NCAM * n + 3 * m + p - 1])
                .collect();
            let vals: Vec<f64> = blocks[..30].iter().copied().chain([wd[p - 1]]).collect();
            done(
                serde_json::json!({"rows": rows, "cols": cols, "vals": vals}),
                times,
            )
        }
        _ => Err(super::no_function(function, &["objective", "jacobian"])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A problem whose cameras, points, weights and features all differ (the eval's replicate
    /// one of each), camera 1 with a zero rotation (the first-order branch of `rodrigues`).
    fn varied(n: usize, m: usize, p: usize) -> Problem {
        let wave = |k: usize, scale: f64| ((k as f64 * 0.37).sin() + 1.3) * scale;
        let mut cams: Vec<f64> = (0..NCAM * n).map(|k| wave(k, 0.5)).collect();
        for c in 0..n {
            let cam = &mut cams[c * NCAM..(c + 1) * NCAM];
            cam[..3].iter_mut().for_each(|r| *r *= 0.2); // rotations of 0.1–0.5 rad
            cam[5] = -20.0 - c as f64; // the camera behind the points: x_c[2] about 20
            cam[6] = 400.0 + c as f64; // focal length
        }
        cams[NCAM..NCAM + 3].fill(0.0);
        // the indices as the eval's input makes them (`problem`), the values replaced
        let input = serde_json::json!({
            "n": n, "m": m, "p": p, "cam": vec![0.0; NCAM], "x": vec![0.0; 3], "w": 1.0,
            "feat": vec![0.0; 2],
        });
        let mut pb = problem(&input).unwrap();
        pb.cams = cams;
        pb.xs = (0..3 * m).map(|k| wave(k + 7, 2.0)).collect();
        pb.ws = (0..p).map(|i| wave(i + 3, 0.4)).collect();
        pb.feats = (0..2 * p).map(|k| wave(k + 11, 100.0)).collect();
        pb
    }

    /// The objective and the Jacobian as dispatched (compiled for AVX2 and FMA on a processor
    /// that has them) against the same code compiled for the baseline target: the same bits.
    #[test]
    fn the_avx2_build_and_the_baseline_build_agree_bit_for_bit() {
        let pb = varied(3, 5, 17);
        let (mut r1, mut w1, mut r2, mut w2) =
            (vec![0.0; 34], vec![0.0; 17], vec![0.0; 34], vec![0.0; 17]);
        pb.objective(&mut r1, &mut w1);
        pb.objective_body(&mut r2, &mut w2);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&r1), bits(&r2), "reprojection errors");
        assert_eq!(bits(&w1), bits(&w2), "weight errors");
        let (mut b1, mut d1, mut b2, mut d2) =
            (vec![0.0; 510], vec![0.0; 17], vec![0.0; 510], vec![0.0; 17]);
        pb.jacobian(&mut b1, &mut d1);
        pb.jacobian_body(&mut b2, &mut d2);
        assert_eq!(bits(&b1), bits(&b2), "Jacobian blocks");
        assert_eq!(bits(&d1), bits(&d2), "weight-error derivatives");
        assert!(r1.iter().chain(&b1).all(|x| x.is_finite()), "{r1:?} {b1:?}");
    }

    /// Each observation's block against central differences of the `f64` reprojection at that
    /// observation's own camera (i mod n), point (i mod m), weight and feature, read from the
    /// problem's arrays without the precomputed indices.
    #[test]
    fn each_block_is_its_own_observations_derivative_by_central_differences() {
        let pb = varied(3, 5, 17);
        let (mut blocks, mut wd) = (vec![0.0; 510], vec![0.0; 17]);
        pb.jacobian(&mut blocks, &mut wd);
        for i in 0..pb.p {
            let (c, pt) = (i % pb.n, i % pb.m);
            let mut v = [0.0; 15];
            v[..NCAM].copy_from_slice(&pb.cams[c * NCAM..(c + 1) * NCAM]);
            v[NCAM..NCAM + 3].copy_from_slice(&pb.xs[pt * 3..pt * 3 + 3]);
            v[14] = pb.ws[i];
            let feat = [pb.feats[2 * i], pb.feats[2 * i + 1]];
            let f = |v: &[f64; 15]| {
                reprojection(
                    v[..NCAM].try_into().unwrap(),
                    v[NCAM..14].try_into().unwrap(),
                    v[14],
                    feat,
                )
            };
            for j in 0..15 {
                let h = 1e-6 * v[j].abs().max(1.0);
                let (mut up, mut down) = (v, v);
                up[j] += h;
                down[j] -= h;
                let (fu, fd) = (f(&up), f(&down));
                for r in 0..2 {
                    let want = (fu[r] - fd[r]) / (2.0 * h);
                    let got = blocks[30 * i + 15 * r + j];
                    assert!(
                        (got - want).abs() <= 1e-6 * want.abs().max(1.0),
                        "observation {i}, row {r}, input {j}: {got} against {want}"
                    );
                }
            }
            assert_eq!(wd[i], -2.0 * pb.ws[i], "weight error of observation {i}");
        }
    }

    /// More cameras than a `u32` index holds: an error naming n, before anything is allocated.
    #[test]
    fn more_cameras_than_a_u32_index_holds_is_an_error_naming_n() {
        let input = serde_json::json!({
            "n": 1u64 << 32, "m": 2, "p": 3, "cam": vec![0.0; 11], "x": vec![0.0; 3], "w": 1.0,
            "feat": vec![0.0; 2],
        });
        let e = problem(&input).err().expect("an error");
        assert!(e.contains("n = 4294967296"), "{e}");
    }
}
