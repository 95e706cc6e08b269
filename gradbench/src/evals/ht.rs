//! `ht`: hand tracking. A skinned hand model (22 bones, each vertex a weighted blend of the bones'
//! transforms) posed by 26 parameters θ; the residuals are the differences between observed
//! points and their corresponding model points (a vertex in `simple`, a point given by two
//! barycentric coordinates u on a triangle in `complicated`). The Jacobian (3 rows per point;
//! columns: θ, and in `complicated` the point's own u₀, u₁ first) by forward mode in one pass:
//! `Dual<f64, 26>` (simple) or `Dual<f64, 28>` (complicated), where every point's u₀ shares lane
//! 26 and every u₁ lane 27 — each residual depends on its own u only, so the lanes do not mix
//! (the column colouring of the sparse u-block).

use nilpotent::{Dual, Real};
use serde_json::Value;

use crate::{Runs, Timed, done, json, timed};

/// A 4×4 matrix, row-major.
type M4<T> = [T; 16];

/// a·b for 4×4 matrices.
fn mul4<T: Real>(a: &M4<T>, b: &M4<T>) -> M4<T> {
    std::array::from_fn(|k| {
        let (r, c) = (k / 4, k % 4);
        a[4 * r] * b[c]
            + a[4 * r + 1] * b[4 + c]
            + a[4 * r + 2] * b[8 + c]
            + a[4 * r + 3] * b[12 + c]
    })
}

/// A vertex: its homogeneous rest position, and its (bone, weight) pairs with nonzero weight.
type Vertex = ([f64; 4], Vec<(usize, f64)>);

/// The input of `ht`: θ, the points' barycentric coordinates u (in `complicated`), the hand.
type HtInput = (Vec<f64>, Option<Vec<f64>>, Hand);

/// The hand model and the observed points.
struct Hand {
    parents: Vec<Option<usize>>,
    base_relatives: Vec<M4<f64>>,
    inverse_base_absolutes: Vec<M4<f64>>,
    vertices: Vec<Vertex>,
    triangles: Vec<[usize; 3]>,
    mirrored: bool,
    correspondences: Vec<usize>,
    points: Vec<[f64; 3]>,
}

/// The rotation of Euler angles (x, z, y order of the parameters): Rz·Ry·Rx, as a 4×4 transform.
fn euler<T: Real>(xzy: [T; 3]) -> M4<T> {
    let (tx, ty, tz) = (xzy[0], xzy[2], xzy[1]);
    let (sx, cx) = tx.sin_cos();
    let (sy, cy) = ty.sin_cos();
    let (sz, cz) = tz.sin_cos();
    let (o, z) = (T::one(), T::zero());
    let rx = [o, z, z, z, z, cx, -sx, z, z, sx, cx, z, z, z, z, o];
    let ry = [cy, z, sy, z, z, o, z, z, -sy, z, cy, z, z, z, z, o];
    let rz = [cz, -sz, z, z, sz, cz, z, z, z, z, o, z, z, z, z, o];
    mul4(&mul4(&rz, &ry), &rx)
}

/// The rotation by an angle-axis vector (the identity below an angle of 10⁻⁴).
fn angle_axis<T: Real>(a: [T; 3]) -> [[T; 3]; 3] {
    let norm = (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt();
    let (o, z) = (T::one(), T::zero());
    if norm < 1e-4 {
        return [[o, z, z], [z, o, z], [z, z, o]];
    }
    let (x, y, w) = (a[0] / norm, a[1] / norm, a[2] / norm);
    let (s, c) = norm.sin_cos();
    let omc = -c + 1.0;
    [
        [
            x * x + (-(x * x) + 1.0) * c,
            x * y * omc - w * s,
            x * w * omc + y * s,
        ],
        [
            x * y * omc + w * s,
            y * y + (-(y * y) + 1.0) * c,
            y * w * omc - x * s,
        ],
        [
            x * w * omc - y * s,
            w * y * omc + x * s,
            w * w + (-(w * w) + 1.0) * c,
        ],
    ]
}

impl Hand {
    /// The posed positions of all vertices for parameters θ.
    fn vertices<T: Real>(&self, theta: &[T]) -> Vec<[T; 3]> {
        let nb = self.parents.len();
        // pose parameters: per bone (from the 4th column on) three Euler angles, from θ
        let mut pose = vec![[T::zero(); 3]; nb + 3];
        let (mut it, mut ip) = (6, 5);
        for _finger in 0..5 {
            for i in 2..=4 {
                pose[ip][0] = theta[it];
                it += 1;
                if i == 2 {
                    pose[ip][1] = theta[it];
                    it += 1;
                }
                ip += 1;
            }
            ip += 1;
        }
        let cst = |m: &M4<f64>| m.map(T::cst);
        let mut absolutes: Vec<M4<T>> = Vec::with_capacity(nb);
        for b in 0..nb {
            let relative = mul4(&cst(&self.base_relatives[b]), &euler(pose[b + 3]));
            let absolute = match self.parents[b] {
                None => relative,
                Some(p) => mul4(&absolutes[p], &relative),
            };
            absolutes.push(absolute);
        }
        let transforms: Vec<M4<T>> = absolutes
            .iter()
            .zip(&self.inverse_base_absolutes)
            .map(|(a, inv)| mul4(a, &cst(inv)))
            .collect();
        let r = angle_axis([theta[0], theta[1], theta[2]]);
        let t = [theta[3], theta[4], theta[5]];
        let sign = if self.mirrored { -1.0 } else { 1.0 };
        self.vertices
            .iter()
            .map(|(p, bones)| {
                let mut v = [T::zero(); 3];
                for &(b, w) in bones {
                    let m = &transforms[b];
                    for (i, vi) in v.iter_mut().enumerate() {
                        let row = m[4 * i] * p[0]
                            + m[4 * i + 1] * p[1]
                            + m[4 * i + 2] * p[2]
                            + m[4 * i + 3] * p[3];
                        *vi += row * w;
                    }
                }
                v[0] *= sign;
                std::array::from_fn(|i| r[i][0] * v[0] + r[i][1] * v[1] + r[i][2] * v[2] + t[i])
            })
            .collect()
    }

    /// The residuals (3 per point): observed minus model point.
    fn residuals<T: Real>(&self, theta: &[T], us: Option<&[T]>) -> Vec<T> {
        let v = self.vertices(theta);
        let mut err = Vec::with_capacity(3 * self.points.len());
        for (i, (&c, p)) in self.correspondences.iter().zip(&self.points).enumerate() {
            for j in 0..3 {
                let model = match us {
                    None => v[c][j],
                    Some(us) => {
                        let [a, b, d] = self.triangles[c];
                        let (u0, u1) = (us[2 * i], us[2 * i + 1]);
                        u0 * v[a][j] + u1 * v[b][j] + (-u0 - u1 + 1.0) * v[d][j]
                    }
                };
                err.push(-model + p[j]);
            }
        }
        err
    }
}

/// Reads the eval's input: (θ, us if complicated, the hand).
fn read(input: &Value) -> Result<HtInput, String> {
    let theta = json::vec(json::field(input, "theta")?, "theta")?;
    if theta.len() != 26 {
        return Err(format!("theta has {} entries; expected 26", theta.len()));
    }
    let (us, nu, wu) = json::matrix(json::field(input, "us")?, "us")?;
    let data = json::field(input, "data")?;
    let model = json::field(data, "model")?;
    let ints = |v: &Value, what: &str| -> Result<Vec<i64>, String> {
        v.as_array()
            .ok_or(format!("{what} is not an array"))?
            .iter()
            .map(|x| x.as_i64().ok_or(format!("{what} holds a non-integer: {x}")))
            .collect()
    };
    let correspondences: Vec<usize> =
        ints(json::field(data, "correspondences")?, "correspondences")?
            .into_iter()
            .map(|c| c as usize)
            .collect();
    let (pts, npts, dp) = json::matrix(json::field(data, "points")?, "points")?;
    let parents = ints(json::field(model, "parents")?, "parents")?;
    let nb = parents.len();
    let mats = |key: &str| -> Result<Vec<M4<f64>>, String> {
        let a = json::field(model, key)?
            .as_array()
            .ok_or(format!("{key} is not an array"))?;
        a.iter()
            .enumerate()
            .map(|(b, m)| {
                let (v, r, c) = json::matrix(m, &format!("{key}[{b}]"))?;
                if (r, c) != (4, 4) {
                    return Err(format!("{key}[{b}] is {r}×{c}; expected 4×4"));
                }
                Ok(std::array::from_fn(|k| v[k]))
            })
            .collect()
    };
    let base_relatives = mats("base_relatives")?;
    let inverse_base_absolutes = mats("inverse_base_absolutes")?;
    let (pos, nv, dv) = json::matrix(json::field(model, "base_positions")?, "base_positions")?;
    let (w, nw, wb) = json::matrix(json::field(model, "weights")?, "weights")?;
    let (tri, _, dt) = json::matrix(json::field(model, "triangles")?, "triangles")?;
    let mirrored = json::field(model, "is_mirrored")?
        .as_bool()
        .ok_or("is_mirrored is not a boolean")?;
    if nb != 22
        || base_relatives.len() != nb
        || inverse_base_absolutes.len() != nb
        || dv != 4
        || nw != nv
        || wb != nb
        || dt != 3
        || dp != 3
        || npts != correspondences.len()
        || (nu != 0 && (nu != npts || wu != 2))
        || parents.iter().enumerate().any(|(b, &p)| p >= b as i64)
    {
        return Err(format!(
            "inconsistent hand: {} parents (22, each before its bone), {} base_relatives, {} inverse_base_absolutes, base_positions \
             {nv}×{dv} (×4), weights {nw}×{wb} (vertices × bones), triangles ×{dt} (3), points {npts}×{dp} \
             (×3) for {} correspondences, us {nu}×{wu} (none, or 2 per point)",
            nb,
            base_relatives.len(),
            inverse_base_absolutes.len(),
            correspondences.len()
        ));
    }
    let triangles: Vec<[usize; 3]> = tri
        .chunks(3)
        .map(|t| [t[0] as usize, t[1] as usize, t[2] as usize])
        .collect();
    let limit = if nu == 0 { nv } else { triangles.len() };
    if let Some(c) = correspondences.iter().find(|&&c| c >= limit) {
        return Err(format!(
            "correspondence {c} is out of range ({limit} {})",
            if nu == 0 { "vertices" } else { "triangles" }
        ));
    }
    if triangles.iter().flatten().any(|&v| v >= nv) {
        return Err(format!(
            "a triangle names a vertex beyond the {nv} vertices"
        ));
    }
    let vertices = (0..nv)
        .map(|v| {
            let p = [pos[4 * v], pos[4 * v + 1], pos[4 * v + 2], pos[4 * v + 3]];
            let bones = (0..nb)
                .filter(|&b| w[v * nb + b] != 0.0)
                .map(|b| (b, w[v * nb + b]))
                .collect();
            (p, bones)
        })
        .collect();
    let hand = Hand {
        parents: parents
            .iter()
            .map(|&p| (p >= 0).then_some(p as usize))
            .collect(),
        base_relatives,
        inverse_base_absolutes,
        vertices,
        triangles,
        mirrored,
        correspondences,
        points: pts.chunks(3).map(|p| [p[0], p[1], p[2]]).collect(),
    };
    Ok((theta, (nu != 0).then_some(us), hand))
}

/// Runs `ht.function` on `input`.
pub fn evaluate(function: &str, input: &Value) -> Result<Timed, String> {
    let (theta, us, hand) = read(input)?;
    let runs = Runs::of(input);
    match function {
        "objective" => {
            let (y, times) = timed(runs, || hand.residuals(&theta, us.as_deref()));
            done(y, times)
        }
        "jacobian" => match us {
            None => {
                let (j, times) = timed(runs, || {
                    let seeded: Vec<Dual<f64, 26>> =
                        (0..26).map(|i| Dual::variable(theta[i], i)).collect();
                    hand.residuals(&seeded, None)
                });
                done(j.iter().map(|r| r.eps.to_vec()).collect::<Vec<_>>(), times)
            }
            Some(us) => {
                let (j, times) = timed(runs, || {
                    let seeded: Vec<Dual<f64, 28>> =
                        (0..26).map(|i| Dual::variable(theta[i], i)).collect();
                    let su: Vec<Dual<f64, 28>> = us
                        .iter()
                        .enumerate()
                        .map(|(k, &u)| Dual::variable(u, 26 + k % 2))
                        .collect();
                    hand.residuals(&seeded, Some(&su))
                });
                // columns: u₀, u₁ (of the row's own point), then θ
                let rows: Vec<Vec<f64>> = j
                    .iter()
                    .map(|r| {
                        [r.eps[26], r.eps[27]]
                            .into_iter()
                            .chain(r.eps[..26].iter().copied())
                            .collect()
                    })
                    .collect();
                done(rows, times)
            }
        },
        _ => Err(super::no_function(function, &["objective", "jacobian"])),
    }
}
