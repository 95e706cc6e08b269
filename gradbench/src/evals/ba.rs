//! `ba`: bundle adjustment. Residuals: for each of p observations, the weighted reprojection error
//! (2 values) of a point (3 parameters) seen by a camera (11 parameters), with its weight w
//! (1 parameter), and the weight error 1 − w² per observation. The Jacobian (2p + p rows,
//! 11n + 3m + p columns) has 15 nonzeros in each reprojection row and one in each weight row:
//! each observation's 2×15 block comes from one forward pass of `Dual<f64, 15>` (the 15 inputs
//! seeded by hand), which is the sparse Jacobian's column colouring applied observation by
//! observation.

use nilpotent::{Dual, Real};
use serde_json::Value;

use crate::{Runs, Timed, done, json, timed};

/// camera parameters per camera
const NCAM: usize = 11;

/// a × b
fn cross<T: Real>(a: &[T], b: &[T]) -> [T; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// The point pt rotated by the axis-angle vector rot (Rodrigues' formula; to first order at a zero
/// angle).
fn rodrigues<T: Real>(rot: &[T], pt: &[T; 3]) -> [T; 3] {
    let sqtheta = rot[0] * rot[0] + rot[1] * rot[1] + rot[2] * rot[2];
    if sqtheta != 0.0 {
        let theta = sqtheta.sqrt();
        let (s, c) = theta.sin_cos();
        let inv = theta.recip();
        let w = [rot[0] * inv, rot[1] * inv, rot[2] * inv];
        let wxp = cross(&w, pt);
        let tmp = (w[0] * pt[0] + w[1] * pt[1] + w[2] * pt[2]) * (-c + 1.0);
        [0, 1, 2].map(|i| pt[i] * c + wxp[i] * s + w[i] * tmp)
    } else {
        let rxp = cross(rot, pt);
        [0, 1, 2].map(|i| pt[i] + rxp[i])
    }
}

/// The weighted reprojection error of one observation: v = [camera (11), point (3), weight].
pub fn reprojection<T: Real>(v: &[T], feat: [f64; 2]) -> [T; 2] {
    let (cam, x, w) = (&v[..NCAM], &v[NCAM..NCAM + 3], v[NCAM + 3]);
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
}

impl Problem {
    /// The 15 inputs and the feature of observation i (camera i mod n, point i mod m).
    fn observation(&self, i: usize) -> ([f64; 15], [f64; 2]) {
        let (c, pt) = (i % self.n, i % self.m);
        let mut v = [0.0; 15];
        v[..NCAM].copy_from_slice(&self.cams[c * NCAM..(c + 1) * NCAM]);
        v[NCAM..NCAM + 3].copy_from_slice(&self.xs[pt * 3..pt * 3 + 3]);
        v[NCAM + 3] = self.ws[i];
        (v, [self.feats[2 * i], self.feats[2 * i + 1]])
    }

    /// The residuals: reprojection errors (2p) and weight errors (p).
    fn objective(&self, reproj: &mut [f64], werr: &mut [f64]) {
        for i in 0..self.p {
            let (v, feat) = self.observation(i);
            let e = reprojection(&v, feat);
            reproj[2 * i] = e[0];
            reproj[2 * i + 1] = e[1];
        }
        for (o, &w) in werr.iter_mut().zip(&self.ws) {
            *o = weight_error(w);
        }
    }

    /// The Jacobian's nonzeros: per observation its 2×15 block row by row, then per observation
    /// the derivative of its weight error.
    fn jacobian(&self, blocks: &mut [f64], wd: &mut [f64]) {
        for i in 0..self.p {
            let (v, feat) = self.observation(i);
            let seeded: [Dual<f64, 15>; 15] = std::array::from_fn(|j| Dual::variable(v[j], j));
            let e = reprojection(&seeded, feat);
            let b = &mut blocks[30 * i..30 * (i + 1)];
            b[..15].copy_from_slice(&e[0].eps);
            b[15..].copy_from_slice(&e[1].eps);
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
    Ok(Problem {
        n,
        m,
        p,
        cams: cam.repeat(n),
        xs: x.repeat(m),
        ws: vec![w; p],
        feats: feat.repeat(p),
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
