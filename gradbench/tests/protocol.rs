//! The protocol smoke test: the tool answers small inputs of every eval's shape, made here,
//! through its stdin/stdout, and the answers are checked against independent computations (closed
//! forms, other algorithms, central finite differences of the tool's own primal, the constants
//! GradBench's evals check against). No GradBench checkout is needed.

// The reference computations are written as index loops over the formulas' indices, on purpose:
// they should read like the formulas, not like the tool's code.
#![allow(clippy::needless_range_loop, clippy::too_many_arguments)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

/// The tool, running.
struct Tool {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    id: u64,
}

impl Tool {
    fn start() -> Tool {
        Tool::start_in(None)
    }

    /// The tool with its derivative mode set by `NILPOTENT_GRADBENCH_MODE` (`None`: each eval's
    /// own choice).
    fn start_in(mode: Option<&str>) -> Tool {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nilpotent-gradbench"));
        match mode {
            Some(m) => cmd.env("NILPOTENT_GRADBENCH_MODE", m),
            None => cmd.env_remove("NILPOTENT_GRADBENCH_MODE"),
        };
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("cannot start the tool");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Tool {
            child,
            stdin,
            stdout,
            id: 0,
        }
    }

    /// Sends `msg` with the next id; returns the response, whose id must be that id.
    fn send(&mut self, mut msg: Value) -> Value {
        let id = self.id;
        self.id += 1;
        msg["id"] = json!(id);
        writeln!(self.stdin, "{msg}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        let resp: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line:?} for {msg}"));
        assert_eq!(resp["id"], json!(id), "the response's id: {resp}");
        resp
    }

    /// `module.function(input)` with one run; its output. Checks the timings' shape.
    fn eval(&mut self, module: &str, function: &str, input: Value) -> Value {
        self.eval_recorded(module, function, input).0
    }

    /// `module.function(input)` with two runs: its output, and whether the response has a
    /// `"record"` timing (a derivative graph recorded for this input's shape). Checks the timings'
    /// shape: at most one `"record"`, first, then one `"evaluate"` per run.
    fn eval_recorded(&mut self, module: &str, function: &str, mut input: Value) -> (Value, bool) {
        if input.is_object() {
            input["min_runs"] = json!(2);
            input["min_seconds"] = json!(0.0);
        }
        let resp = self.send(
            json!({"kind": "evaluate", "module": module, "function": function,
                                    "input": input, "description": "smoke"}),
        );
        assert_eq!(resp["success"], json!(true), "{module}.{function}: {resp}");
        assert!(resp.get("error").is_none(), "{resp}");
        let mut timings = resp["timings"].as_array().expect("timings").as_slice();
        let recorded = timings
            .first()
            .is_some_and(|t| t["name"] == json!("record"));
        if recorded {
            assert!(timings[0]["nanoseconds"].is_u64(), "{resp}");
            timings = &timings[1..];
        }
        assert!(
            timings.len() >= if input.is_object() { 2 } else { 1 },
            "{module}.{function}: min_runs = 2 gave {} timings",
            timings.len()
        );
        for t in timings {
            assert_eq!(t["name"], json!("evaluate"));
            assert!(t["nanoseconds"].is_u64(), "integer nanoseconds: {t}");
        }
        (resp["output"].clone(), recorded)
    }

    fn num(&mut self, module: &str, function: &str, input: Value) -> f64 {
        let out = self.eval(module, function, input);
        out.as_f64()
            .unwrap_or_else(|| panic!("{module}.{function}: not a number: {out}"))
    }

    fn vec(&mut self, module: &str, function: &str, input: Value) -> Vec<f64> {
        floats(&self.eval(module, function, input))
    }
}

impl Drop for Tool {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// All the numbers of a JSON value, in order.
fn floats(v: &Value) -> Vec<f64> {
    match v {
        Value::Number(n) => vec![n.as_f64().unwrap()],
        Value::Array(a) => a.iter().flat_map(floats).collect(),
        _ => panic!("not numbers: {v}"),
    }
}

/// |a − b| ≤ tol·max(1, |b|), entry by entry.
fn close(what: &str, a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * y.abs().max(1.0),
            "{what}[{i}]: {x} vs {y} (tolerance {tol})\n{a:?}\n{b:?}"
        );
    }
}

/// Central differences of `f` at `x`, step 1e-6·max(1, |xᵢ|).
fn fd(f: &mut dyn FnMut(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let h = 1e-6 * x[i].abs().max(1.0);
            let mut p = x.to_vec();
            p[i] = x[i] + h;
            let fp = f(&p);
            p[i] = x[i] - h;
            let fm = f(&p);
            (fp - fm) / (2.0 * h)
        })
        .collect()
}

/// A small deterministic pseudo-random sequence in [0, 1).
fn rand(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

#[test]
fn the_tool_answers_the_protocol_messages() {
    let mut t = Tool::start();
    let r = t.send(json!({"kind": "start", "eval": "hello"}));
    assert_eq!(r["tool"], json!("nilpotent"));
    for m in [
        "hello", "lse", "llsq", "det", "ode", "kmeans", "gmm", "particle", "saddle", "ba", "lstm",
        "ht",
    ] {
        let r = t.send(json!({"kind": "define", "module": m}));
        assert_eq!(r["success"], json!(true), "define {m}: {r}");
    }
    let r = t.send(json!({"kind": "define", "module": "nonesuch"}));
    assert_eq!(r["success"], json!(false));
    assert!(r["error"].as_str().unwrap().contains("nonesuch"), "{r}");
    // an unknown kind and an analysis are answered with the id alone
    let r = t.send(json!({"kind": "analysis", "of": 3, "valid": true}));
    assert_eq!(r.as_object().unwrap().len(), 1, "{r}");
    let r = t.send(json!({"kind": "something-new"}));
    assert_eq!(r.as_object().unwrap().len(), 1, "{r}");
    // bad input: a failed evaluate naming the problem, and the tool goes on
    let r = t.send(
        json!({"kind": "evaluate", "module": "lse", "function": "primal",
                          "input": {"y": [1.0]}}),
    );
    assert_eq!(r["success"], json!(false));
    assert!(r["error"].as_str().unwrap().contains("\"x\""), "{r}");
    let r = t.send(
        json!({"kind": "evaluate", "module": "det", "function": "primal",
                          "input": {"A": [1.0, 2.0, 3.0], "ell": 2}}),
    );
    assert_eq!(r["success"], json!(false));
    assert!(r["error"].as_str().unwrap().contains("ell"), "{r}");
    assert_eq!(t.num("hello", "square", json!(3.0)), 9.0);
}

#[test]
fn hello_double_is_the_derivative_of_square() {
    let mut t = Tool::start();
    for x in [1.0, -2.5, 64.0] {
        assert_eq!(t.num("hello", "square", json!(x)), x * x);
        assert_eq!(t.num("hello", "double", json!(x)), 2.0 * x);
    }
}

/// log Σ exp(xᵢ) and its gradient, the softmax, computed here (shifted by the largest entry).
fn lse_reference(x: &[f64]) -> (f64, Vec<f64>) {
    let m = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = x.iter().map(|v| (v - m).exp()).sum();
    (m + s.ln(), x.iter().map(|v| (v - m).exp() / s).collect())
}

#[test]
fn lse_against_the_softmax() {
    for mode in MODES {
        let mut t = Tool::start_in(mode);
        let x: Vec<f64> = rand(50, 1).iter().map(|v| 40.0 * v - 20.0).collect();
        let (want_y, softmax) = lse_reference(&x);
        let y = t.num("lse", "primal", json!({ "x": x }));
        close("lse", &[y], &[want_y], 1e-14);
        let g = t.vec("lse", "gradient", json!({ "x": x }));
        close(&format!("∇lse ({mode:?})"), &g, &softmax, 1e-14);
    }
}

#[test]
fn lse_a_second_input_of_the_same_shape_is_answered_from_the_kept_graph_wherever_its_largest_entry_is()
 {
    for mode in MODES {
        let mut t = Tool::start_in(mode);
        let graph = mode != Some("tape");
        // the largest entry (the shift, a parameter of the kept graph) moves from input to input,
        // and so far that every exponential overflows or underflows unless the shift follows it
        let inputs: Vec<(Vec<f64>, bool)> = [800.0, 801.0, -800.0, 0.0]
            .into_iter()
            .enumerate()
            .map(|(i, offset)| {
                let mut x: Vec<f64> = rand(9, 10 + i as u64)
                    .iter()
                    .map(|v| offset + 4.0 * v)
                    .collect();
                x[2 * i] = offset + 10.0;
                (x, i == 0)
            })
            .chain([
                (rand(5, 20), true),
                (vec![-750.0, -751.0, -760.0, -749.5, -800.0], false),
            ])
            .collect();
        for (i, (x, new)) in inputs.into_iter().enumerate() {
            let (g, recorded) = t.eval_recorded("lse", "gradient", json!({ "x": x }));
            assert_eq!(
                recorded,
                graph && new,
                "input {i} (n = {}, {mode:?}): recorded a graph",
                x.len()
            );
            close(
                &format!("∇lse, input {i} ({mode:?})"),
                &floats(&g),
                &lse_reference(&x).1,
                1e-14,
            );
        }
    }
}

/// llsq's value and gradient at x with n points, from the residuals and the normal equations
/// (the polynomial by Horner's rule, another order than the tool's powers).
fn llsq_reference(x: &[f64], n: usize) -> (f64, Vec<f64>) {
    let residuals: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let ti = -1.0 + 2.0 * i as f64 / (n as f64 - 1.0);
            let poly = x.iter().rev().fold(0.0, |acc, &c| acc * ti + c);
            let s = if ti > 0.0 {
                1.0
            } else if ti < 0.0 {
                -1.0
            } else {
                0.0
            };
            (ti, s - poly)
        })
        .collect();
    let y = 0.5 * residuals.iter().map(|r| r.1 * r.1).sum::<f64>();
    let g = (0..x.len())
        .map(|j| {
            -residuals
                .iter()
                .map(|(ti, r)| r * ti.powi(j as i32))
                .sum::<f64>()
        })
        .collect();
    (y, g)
}

/// The derivative modes the evals with a kept graph answer in (the eval's own choice, then each
/// mode by name).
const MODES: [Option<&str>; 4] = [None, Some("jit"), Some("interpreter"), Some("tape")];

#[test]
fn llsq_against_the_normal_equations_gradient() {
    for mode in MODES {
        let mut t = Tool::start_in(mode);
        let (n, m) = (9, 5);
        let x = rand(m, 2);
        let (want_y, want_g) = llsq_reference(&x, n);
        let y = t.num("llsq", "primal", json!({"x": x, "n": n}));
        close("llsq", &[y], &[want_y], 1e-13);
        let g = t.vec("llsq", "gradient", json!({"x": x, "n": n}));
        close(&format!("∇llsq ({mode:?})"), &g, &want_g, 1e-13);
    }
}

#[test]
fn llsq_a_second_input_of_the_same_shape_is_answered_from_the_kept_graph_another_shape_is_recorded()
{
    for mode in MODES {
        let mut t = Tool::start_in(mode);
        let graph = mode != Some("tape");
        // (x, n, whether this input's shape is new to the tool)
        let inputs = [
            (rand(5, 2), 9, true),
            (rand(5, 3), 9, false),
            (rand(5, 4), 12, true),
            (rand(7, 5), 12, true),
            (rand(5, 6), 9, false),
            (rand(7, 7), 12, false),
        ];
        for (i, (x, n, new)) in inputs.into_iter().enumerate() {
            let (g, recorded) = t.eval_recorded("llsq", "gradient", json!({"x": x, "n": n}));
            assert_eq!(
                recorded,
                graph && new,
                "input {i} (m = {}, n = {n}, {mode:?}): recorded a graph",
                x.len()
            );
            close(
                &format!("∇llsq, input {i} ({mode:?})"),
                &floats(&g),
                &llsq_reference(&x, n).1,
                1e-13,
            );
        }
    }
}

/// det A by Gaussian elimination with partial pivoting (another algorithm than the tool's).
fn lu_det(a: &[f64], n: usize) -> f64 {
    let mut a = a.to_vec();
    let mut det = 1.0;
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| a[i * n + c].abs().total_cmp(&a[j * n + c].abs()))
            .unwrap();
        if p != c {
            for k in 0..n {
                a.swap(c * n + k, p * n + k);
            }
            det = -det;
        }
        det *= a[c * n + c];
        for r in c + 1..n {
            let f = a[r * n + c] / a[c * n + c];
            for k in c..n {
                a[r * n + k] -= f * a[c * n + k];
            }
        }
    }
    det
}

#[test]
fn det_against_elimination_and_finite_differences() {
    let mut t = Tool::start();
    for ell in [1, 2, 4, 5] {
        let a = rand(ell * ell, ell as u64);
        let y = t.num("det", "primal", json!({"A": a, "ell": ell}));
        close("det", &[y], &[lu_det(&a, ell)], 1e-12);
        let g = t.vec("det", "gradient", json!({"A": a, "ell": ell}));
        // det is affine in each entry: central differences are exact up to rounding
        let want = fd(&mut |p| lu_det(p, ell), &a);
        close("∇det", &g, &want, 1e-8);
    }
}

/// y(2) of the ODE after s classic Runge–Kutta steps from 0, written here as the textbook step
/// over whole vectors (k₁ = f(y), k₂ = f(y + h/2·k₁), …), another order than the tool's.
fn rk4_reference(x: &[f64], s: usize) -> Vec<f64> {
    let h = 2.0 / s as f64;
    let f = |y: &[f64]| -> Vec<f64> {
        (0..x.len())
            .map(|i| if i == 0 { x[0] } else { x[i] * y[i - 1] })
            .collect()
    };
    let axpy = |y: &[f64], a: f64, k: &[f64]| -> Vec<f64> {
        y.iter().zip(k).map(|(yi, ki)| yi + a * ki).collect()
    };
    let mut y = vec![0.0; x.len()];
    for _ in 0..s {
        let k1 = f(&y);
        let k2 = f(&axpy(&y, h / 2.0, &k1));
        let k3 = f(&axpy(&y, h / 2.0, &k2));
        let k4 = f(&axpy(&y, h, &k3));
        for i in 0..y.len() {
            y[i] += h / 6.0 * (k1[i] + 2.0 * (k2[i] + k3[i]) + k4[i]);
        }
    }
    y
}

#[test]
fn ode_against_the_exact_solution_and_finite_differences() {
    let n = 4;
    let x: Vec<f64> = rand(n, 3).iter().map(|v| 0.5 + v).collect();
    // exact solution of y₀′ = x₀, yᵢ′ = xᵢ yᵢ₋₁ from 0: yᵣ(2) = x₀·Πᵢ≤ᵣ xᵢ · 2^(r+1)/(r+1)!
    let mut exact = Vec::new();
    let (mut prod, mut pow, mut fact) = (1.0, 1.0, 1.0);
    for (r, &xr) in x.iter().enumerate() {
        prod *= xr;
        pow *= 2.0;
        fact *= (r + 1) as f64;
        exact.push(prod * pow / fact);
    }
    for mode in MODES {
        let mut t = Tool::start_in(mode);
        let y = t.vec("ode", "primal", json!({"x": x, "s": 200}));
        close("ode", &y, &exact, 1e-9);
        for s in [1, 3, 10] {
            let y = t.vec("ode", "primal", json!({"x": x, "s": s}));
            close(&format!("ode, s = {s}"), &y, &rk4_reference(&x, s), 1e-14);
            let g = t.vec("ode", "gradient", json!({"x": x, "s": s}));
            let want = fd(&mut |p| *rk4_reference(p, s).last().unwrap(), &x);
            close(&format!("∇ode, s = {s} ({mode:?})"), &g, &want, 1e-8);
        }
    }
}

#[test]
fn ode_a_second_input_of_the_same_shape_is_answered_from_the_kept_graph_another_shape_is_recorded()
{
    for mode in MODES {
        let mut t = Tool::start_in(mode);
        let graph = mode != Some("tape");
        // (n, s, seed, whether this input's shape is new to the tool)
        let inputs = [
            (6, 5, 1, true),
            (6, 5, 2, false),
            (6, 7, 3, true),
            (9, 5, 4, true),
            (6, 5, 5, false),
        ];
        for (i, (n, s, seed, new)) in inputs.into_iter().enumerate() {
            let x: Vec<f64> = rand(n, seed).iter().map(|v| 0.5 + v).collect();
            let (g, recorded) = t.eval_recorded("ode", "gradient", json!({"x": x, "s": s}));
            assert_eq!(
                recorded,
                graph && new,
                "input {i} (n = {n}, s = {s}, {mode:?}): recorded a graph"
            );
            let want = fd(&mut |p| *rk4_reference(p, s).last().unwrap(), &x);
            close(
                &format!("∇ode, input {i} ({mode:?})"),
                &floats(&g),
                &want,
                1e-8,
            );
        }
    }
}

/// The k-means cost and direction computed here: each point's closest centroid by a plain
/// search (the first of equally close ones), the cost the sum of those squared distances, the
/// direction the step from each centroid to the mean of its points (the closed form of J·H⁻¹: the
/// gradient 2·Σ(cⱼ − pᵢ) over the cluster, the Hessian diagonal 2·|cluster|).
fn kmeans_reference(points: &[Vec<f64>], centroids: &[Vec<f64>]) -> (f64, Vec<f64>) {
    let (k, d) = (centroids.len(), centroids[0].len());
    let nearest = |p: &[f64]| {
        (0..k)
            .map(|j| {
                (0..d)
                    .map(|l| (p[l] - centroids[j][l]).powi(2))
                    .sum::<f64>()
            })
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap()
    };
    let cost: f64 = points.iter().map(|p| nearest(p).1).sum();
    let mut sums = vec![vec![0.0; d]; k];
    let mut counts = vec![0.0; k];
    for p in points {
        let j = nearest(p).0;
        counts[j] += 1.0;
        for l in 0..d {
            sums[j][l] += p[l];
        }
    }
    let dir = (0..k)
        .flat_map(|j| (0..d).map(move |l| (j, l)))
        .map(|(j, l)| centroids[j][l] - sums[j][l] / counts[j])
        .collect();
    (cost, dir)
}

/// Checks the tool's k-means cost and direction against [`kmeans_reference`], to the
/// tolerances `(cost, dir)`.
fn kmeans_check(
    t: &mut Tool,
    what: &str,
    points: &[Vec<f64>],
    centroids: &[Vec<f64>],
    (cost_tol, dir_tol): (f64, f64),
) {
    let input = json!({"points": points, "centroids": centroids});
    let (cost, dir) = kmeans_reference(points, centroids);
    let got = t.num("kmeans", "cost", input.clone());
    close(&format!("{what} cost"), &[got], &[cost], cost_tol);
    let got = t.vec("kmeans", "dir", input);
    close(&format!("{what} dir"), &got, &dir, dir_tol);
}

#[test]
fn kmeans_direction_is_the_step_to_the_cluster_means() {
    // shapes around the tool's blocks of 8 or 16 centroids measured side by side: fewer than a
    // block, one block, one more, several and a partial one; d from 1 to 16
    for mode in [None, Some("tape")] {
        let mut t = Tool::start_in(mode);
        for (n, k, d) in [
            (40, 3, 2),
            (30, 8, 1),
            (60, 9, 3),
            (200, 17, 8),
            (300, 40, 16),
        ] {
            let pts = rand(n * d, (n + k + d) as u64);
            let points: Vec<Vec<f64>> = pts.chunks(d).map(|r| r.to_vec()).collect();
            // as GradBench makes them: every cluster has at least its own point
            let centroids: Vec<Vec<f64>> = points[n - k..].to_vec();
            let what = format!("kmeans n={n} k={k} d={d} mode {mode:?}");
            kmeans_check(&mut t, &what, &points, &centroids, (1e-14, 1e-13));
        }
    }
}

#[test]
fn kmeans_chooses_the_first_of_equally_close_centroids_in_every_mode() {
    // centroids (j, 0) for j < 10 and points halfway between two neighbours: each such point is
    // as close to centroid j as to j + 1 and belongs to j (as in GradBench's reference), also
    // between 7 and 8, where blocks of 8 centroids meet (the tool's unit test covers every block
    // boundary of both widths); the centroids' own points keep every cluster nonempty
    let k = 10;
    let centroids: Vec<Vec<f64>> = (0..k).map(|j| vec![j as f64, 0.0]).collect();
    let mut points = centroids.clone();
    for j in 0..k - 1 {
        points.push(vec![j as f64 + 0.5, 0.0]);
    }
    points.push(vec![7.5, 0.0]);
    // the halfway points all belong to the lower centroid: each centroid below 9 moves by the
    // mean of its offsets, 0.5 / 2 (7: 1.0 / 3), and 9 stays
    let (_, dir) = kmeans_reference(&points, &centroids);
    assert_eq!(dir[0], -0.25);
    assert!((dir[14] + 1.0 / 3.0).abs() < 1e-15, "{}", dir[14]);
    assert_eq!(dir[18], 0.0);
    for mode in [None, Some("tape")] {
        let mut t = Tool::start_in(mode);
        kmeans_check(
            &mut t,
            &format!("kmeans ties, mode {mode:?}"),
            &points,
            &centroids,
            (1e-15, 1e-15),
        );
    }
}

/// The GMM log-posterior written plainly: Q built as a matrix, the log-density of each point
/// summed by log-sum-exp, the Wishart prior term by term.
fn gmm_naive(
    d: usize,
    k: usize,
    xs: &[Vec<f64>],
    alpha: &[f64],
    mu: &[Vec<f64>],
    q: &[Vec<f64>],
    l: &[Vec<f64>],
    m: i64,
    gamma: f64,
) -> f64 {
    let lse = |v: &[f64]| {
        let a = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        a + v.iter().map(|x| (x - a).exp()).sum::<f64>().ln()
    };
    let qmat = |j: usize| {
        let mut m = vec![vec![0.0; d]; d];
        let mut idx = 0;
        for c in 0..d {
            m[c][c] = q[j][c].exp();
            for r in c + 1..d {
                m[r][c] = l[j][idx];
                idx += 1;
            }
        }
        m
    };
    let n = xs.len() as f64;
    let mut total = -n * d as f64 * 0.5 * (2.0 * std::f64::consts::PI).ln() - n * lse(alpha);
    for x in xs {
        let beta: Vec<f64> = (0..k)
            .map(|j| {
                let qm = qmat(j);
                let v: Vec<f64> = (0..d)
                    .map(|r| (0..d).map(|c| qm[r][c] * (x[c] - mu[j][c])).sum())
                    .collect();
                alpha[j] + q[j].iter().sum::<f64>() - 0.5 * v.iter().map(|a| a * a).sum::<f64>()
            })
            .collect();
        total += lse(&beta);
    }
    let dof = (d as i64 + m + 1) as f64;
    let mut lgd = 0.25 * (d * (d - 1)) as f64 * std::f64::consts::PI.ln();
    for jj in 1..=d {
        lgd += libm::lgamma(0.5 * dof + 0.5 * (1.0 - jj as f64));
    }
    let c = dof * d as f64 * (gamma.ln() - 0.5 * 2f64.ln()) - lgd;
    for j in 0..k {
        let qm = qmat(j);
        let frob: f64 = qm.iter().flatten().map(|a| a * a).sum();
        total += -(0.5 * gamma * gamma * frob - m as f64 * q[j].iter().sum::<f64>()) + c;
    }
    total
}

/// The parameters α of [`gmm_case`] from `seed`.
fn gmm_alpha(k: usize, seed: u64) -> Vec<f64> {
    rand(k, seed + 1)
}

/// The index of the largest entry.
fn argmax(v: &[f64]) -> usize {
    (0..v.len()).fold(0, |m, i| if v[i] > v[m] { i } else { m })
}

/// gmm at d, k, n (the points random from `data_seed`, the parameters from `seed`, m = 2,
/// γ = 1.5) through the tool: the objective against [`gmm_naive`], the gradient against its central
/// differences. Returns whether the jacobian's response recorded a graph.
fn gmm_case(
    t: &mut Tool,
    (d, k, n): (usize, usize, usize),
    data_seed: u64,
    seed: u64,
    what: &str,
) -> bool {
    let (m, gamma) = (2, 1.5);
    let ld = d * (d - 1) / 2;
    let rows =
        |v: Vec<f64>, w: usize| -> Vec<Vec<f64>> { v.chunks(w).map(|r| r.to_vec()).collect() };
    let xs = rows(rand(n * d, data_seed), d);
    let alpha = gmm_alpha(k, seed);
    let mu = rows(rand(k * d, seed + 2), d);
    let q = rows(rand(k * d, seed + 3).iter().map(|v| v - 0.5).collect(), d);
    let l = rows(rand(k * ld, seed + 4).iter().map(|v| v - 0.5).collect(), ld);
    let input = |alpha: &[f64], mu: &[Vec<f64>], q: &[Vec<f64>], l: &[Vec<f64>]| {
        json!({"d": d, "k": k, "n": n, "x": xs, "m": m, "gamma": gamma, "alpha": alpha,
               "mu": mu, "q": q, "l": l})
    };
    let y = t.num("gmm", "objective", input(&alpha, &mu, &q, &l));
    close(
        &format!("gmm {what}"),
        &[y],
        &[gmm_naive(d, k, &xs, &alpha, &mu, &q, &l, m, gamma)],
        1e-12,
    );
    let (jac, recorded) = t.eval_recorded("gmm", "jacobian", input(&alpha, &mu, &q, &l));
    let keys: Vec<&String> = jac.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 4, "exactly alpha, mu, q, l: {jac}");
    let theta: Vec<f64> = [alpha.clone(), mu.concat(), q.concat(), l.concat()].concat();
    let split = |p: &[f64]| {
        (
            p[..k].to_vec(),
            rows(p[k..k + k * d].to_vec(), d),
            rows(p[k + k * d..k + 2 * k * d].to_vec(), d),
            rows(p[k + 2 * k * d..].to_vec(), ld),
        )
    };
    let want = fd(
        &mut |p| {
            let (a, mu, q, l) = split(p);
            gmm_naive(d, k, &xs, &a, &mu, &q, &l, m, gamma)
        },
        &theta,
    );
    let got: Vec<f64> = ["alpha", "mu", "q", "l"]
        .iter()
        .flat_map(|key| floats(&jac[*key]))
        .collect();
    close(&format!("∇gmm {what}"), &got, &want, 1e-7);
    recorded
}

#[test]
fn gmm_against_a_plain_formula_and_finite_differences() {
    for mode in MODES {
        let mut t = Tool::start_in(mode);
        // the 6 points fall nearest to different components: the shift of each point's
        // log-sum-exp (a max) is taken at different components
        let recorded = gmm_case(&mut t, (3, 2, 6), 5, 5, &format!("({mode:?})"));
        assert_eq!(recorded, mode != Some("tape"), "{mode:?}: recorded a graph");
    }
}

#[test]
fn gmm_a_second_input_of_the_same_shape_is_answered_from_the_kept_graph_unless_its_branches_differ()
{
    let mut t = Tool::start();
    // k·(d(d − 1)/2 + 4d) = 3·(3 + 12) = 45: a compiled graph
    let shape = (3, 3, 6);
    assert!(gmm_case(&mut t, shape, 5, 5, "first"));
    // other points, the same parameters: the kept graph
    assert!(!gmm_case(&mut t, shape, 15, 5, "other points"));
    // other parameters: the gradient of the prior's log-sum-exp of α follows the largest αⱼ, a
    // branch of the graph: recorded again where the largest is another, kept where it is the same
    let first = argmax(&gmm_alpha(3, 5));
    let mut seen = [false; 2];
    for seed in 20..40 {
        let other = argmax(&gmm_alpha(3, seed)) != first;
        if seen[other as usize] {
            continue;
        }
        seen[other as usize] = true;
        let recorded = gmm_case(&mut t, shape, 5, seed, &format!("parameters from {seed}"));
        assert_eq!(
            recorded, other,
            "parameters from seed {seed}: recorded again"
        );
        if other {
            // the graph recorded here is now the kept one
            let first = argmax(&gmm_alpha(3, seed));
            let same = (40..60)
                .find(|&s| argmax(&gmm_alpha(3, s)) == first)
                .unwrap();
            assert!(!gmm_case(&mut t, shape, 5, same, "the same branch again"));
            break;
        }
    }
    assert!(seen[1], "no seed gave another largest α");
}

/// The numbers of a gmm jacobian, in the order alpha, mu, q, l.
fn gmm_flat(jac: &Value) -> Vec<f64> {
    ["alpha", "mu", "q", "l"]
        .iter()
        .flat_map(|key| floats(&jac[*key]))
        .collect()
}

#[test]
fn gmm_records_a_graph_for_small_bodies_and_uses_the_tape_for_large_ones() {
    let mut t = Tool::start();
    let mut tape = Tool::start_in(Some("tape"));
    // (d, k, whether a graph is recorded): w = k·(d(d − 1)/2 + 4d) ≤ 3000 with k ≤ 10, or
    // w ≤ 1000 with k ≤ 25
    for (d, k, graph) in [
        (3, 2, true),    // w = 30
        (20, 10, true),  // 10·(190 + 80) = 2700
        (22, 10, false), // 10·(231 + 88) = 3190
        (2, 25, true),   // 25·(1 + 8) = 225
        (10, 25, false), // 25·(45 + 40) = 2125 > 1000
        (2, 26, false),  // k > 25 (26·9 = 234)
    ] {
        let input = gmm_gradbench_like(d, k, 3, 90 + d as u64);
        let (got, recorded) = t.eval_recorded("gmm", "jacobian", input.clone());
        assert_eq!(recorded, graph, "d = {d}, k = {k}: recorded a graph");
        let want = gmm_flat(&tape.eval("gmm", "jacobian", input));
        // the tape's gradient (checked against central differences above), to rounding
        close(
            &format!("∇gmm d = {d}, k = {k}"),
            &gmm_flat(&got),
            &want,
            1e-10,
        );
    }
}

/// GradBench's gmm input at d, k, n (as its eval makes them: points and α, q, l normal, μ uniform;
/// here from a fixed pseudo-random sequence).
fn gmm_gradbench_like(d: usize, k: usize, n: usize, seed: u64) -> Value {
    let ld = d * (d - 1) / 2;
    // a sum of 12 uniforms, less 6: close enough to a standard normal
    let normal = |len: usize, seed: u64| -> Vec<f64> {
        rand(12 * len, seed)
            .chunks(12)
            .map(|c| c.iter().sum::<f64>() - 6.0)
            .collect()
    };
    let rows =
        |v: Vec<f64>, w: usize| -> Vec<Vec<f64>> { v.chunks(w).map(|r| r.to_vec()).collect() };
    json!({"d": d, "k": k, "n": n, "m": 0, "gamma": 1.0, "x": rows(normal(n * d, seed), d),
           "alpha": normal(k, seed + 1), "mu": rows(rand(k * d, seed + 2), d),
           "q": rows(normal(k * d, seed + 3), d), "l": rows(normal(k * ld, seed + 4), ld)})
}

#[test]
fn gmm_answers_by_the_tape_where_the_derivative_of_the_max_takes_too_many_paths_for_a_graph() {
    // d = 10, k = 50, n = 1000 as GradBench makes them: the derivative of the per-point
    // log-sum-exp's max takes more than the 32 paths a loop body may have, and the recording
    // panics (seen at 787 to 951 points in GradBench's workloads 10_50, 10_100, 20_50, 20_100)
    let input = gmm_gradbench_like(10, 50, 1000, 70);
    let other = gmm_gradbench_like(10, 50, 1000, 80);
    let mut tape = Tool::start_in(Some("tape"));
    let want = gmm_flat(&tape.eval("gmm", "jacobian", input.clone()));
    let want_other = gmm_flat(&tape.eval("gmm", "jacobian", other.clone()));
    let mut t = Tool::start_in(Some("jit"));
    let (got, recorded) = t.eval_recorded("gmm", "jacobian", input);
    // the failed attempt's time is reported; the answer is the tape's
    assert!(recorded, "the attempt to record is reported");
    assert_eq!(gmm_flat(&got), want, "the tape's gradient, bit for bit");
    // the shape is remembered: no second attempt
    let (got, recorded) = t.eval_recorded("gmm", "jacobian", other);
    assert!(!recorded, "no second attempt at this shape");
    assert_eq!(
        gmm_flat(&got),
        want_other,
        "the tape's gradient, bit for bit"
    );
}

#[test]
fn ba_against_a_rotation_matrix_and_finite_differences() {
    let mut t = Tool::start();
    let cam = [0.1, -0.2, 0.3, 0.5, 0.2, -1.0, 2.0, 0.1, -0.1, 0.01, 0.002];
    let x = [0.3, -0.4, 5.0];
    let (w, feat) = (0.7, [0.2, -0.3]);
    let (n, m, p) = (2, 3, 5);
    let input = |cam: &[f64], x: &[f64], w: f64| json!({"n": n, "m": m, "p": p, "cam": cam, "x": x, "w": w, "feat": feat});
    // the reprojection with the rotation matrix R = I + sin θ K + (1 − cos θ) K²
    let reproj = |cam: &[f64], x: &[f64], w: f64| -> [f64; 2] {
        let th = (cam[0] * cam[0] + cam[1] * cam[1] + cam[2] * cam[2]).sqrt();
        let k = [cam[0] / th, cam[1] / th, cam[2] / th];
        let km = [[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]];
        let mut r = [[0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                let k2: f64 = (0..3).map(|l| km[i][l] * km[l][j]).sum();
                r[i][j] =
                    if i == j { 1.0 } else { 0.0 } + th.sin() * km[i][j] + (1.0 - th.cos()) * k2;
            }
        }
        let xo = [x[0] - cam[3], x[1] - cam[4], x[2] - cam[5]];
        let xc: Vec<f64> = (0..3)
            .map(|i| (0..3).map(|j| r[i][j] * xo[j]).sum())
            .collect();
        let (u, v) = (xc[0] / xc[2], xc[1] / xc[2]);
        let rsq = u * u + v * v;
        let dist = 1.0 + cam[9] * rsq + cam[10] * rsq * rsq;
        [
            w * (u * dist * cam[6] + cam[7] - feat[0]),
            w * (v * dist * cam[6] + cam[8] - feat[1]),
        ]
    };
    let obj = t.eval("ba", "objective", input(&cam, &x, w));
    let e = reproj(&cam, &x, w);
    close(
        "ba reprojection",
        &floats(&obj["reproj_error"]["elements"]),
        &e,
        1e-12,
    );
    assert_eq!(obj["reproj_error"]["repeated"], json!(p));
    close(
        "ba weight error",
        &[obj["w_err"]["element"].as_f64().unwrap()],
        &[1.0 - w * w],
        1e-15,
    );
    let jac = t.eval("ba", "jacobian", input(&cam, &x, w));
    let v: Vec<f64> = cam.iter().chain(&x).chain([&w]).copied().collect();
    let mut want = Vec::new();
    for row in 0..2 {
        want.extend(fd(&mut |q| reproj(&q[..11], &q[11..14], q[14])[row], &v));
    }
    want.push(-2.0 * w);
    close("ba jacobian values", &floats(&jac["vals"]), &want, 1e-7);
    let rows: Vec<f64> = (0..30)
        .map(|r| 15.0 * r as f64)
        .chain([31.0 * p as f64])
        .collect();
    close("ba jacobian rows", &floats(&jac["rows"]), &rows, 0.0);
    let c0: Vec<f64> = (0..11)
        .map(|c| c as f64)
        .chain([22.0, 23.0, 24.0, 31.0])
        .collect();
    let cols: Vec<f64> = c0
        .iter()
        .chain(&c0)
        .copied()
        .chain([(11 * n + 3 * m + p - 1) as f64])
        .collect();
    close("ba jacobian cols", &floats(&jac["cols"]), &cols, 0.0);
}

/// The LSTM loss written plainly (the benchmark's definition), for finite differences.
fn lstm_naive(
    l: usize,
    b: usize,
    main: &[f64],
    extra: &[f64],
    state: &[f64],
    seq: &[Vec<f64>],
) -> f64 {
    let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
    let mut st = state.to_vec();
    let mut total = 0.0;
    for t in 0..seq.len() - 1 {
        let mut inp: Vec<f64> = (0..b).map(|i| seq[t][i] * extra[i]).collect();
        for layer in 0..l {
            let p = &main[8 * b * layer..];
            for i in 0..b {
                let (h, c) = (st[2 * b * layer + i], st[2 * b * layer + b + i]);
                let f = sig(inp[i] * p[i] + p[4 * b + i]);
                let ig = sig(h * p[b + i] + p[5 * b + i]);
                let o = sig(inp[i] * p[2 * b + i] + p[6 * b + i]);
                let ch = (h * p[3 * b + i] + p[7 * b + i]).tanh();
                let c2 = c * f + ig * ch;
                st[2 * b * layer + b + i] = c2;
                st[2 * b * layer + i] = o * c2.tanh();
            }
            inp = st[2 * b * layer..2 * b * layer + b].to_vec();
        }
        let y: Vec<f64> = (0..b)
            .map(|i| inp[i] * extra[b + i] + extra[2 * b + i])
            .collect();
        let lse = (y.iter().map(|v| v.exp()).sum::<f64>() + 2.0).ln();
        total += (0..b).map(|i| seq[t + 1][i] * (y[i] - lse)).sum::<f64>();
    }
    -total / ((seq.len() - 1) * b) as f64
}

/// An lstm input: the JSON, the main and extra parameters, the state and the sequence.
type LstmInput = (Value, Vec<f64>, Vec<f64>, Vec<f64>, Vec<Vec<f64>>);

/// An lstm input of l layers, b bits, c characters (seeded by `seed`).
fn lstm_input(l: usize, b: usize, c: usize, seed: u64) -> LstmInput {
    let rows =
        |v: Vec<f64>, w: usize| -> Vec<Vec<f64>> { v.chunks(w).map(|r| r.to_vec()).collect() };
    let main = rand(2 * l * 4 * b, seed);
    let extra = rand(3 * b, seed + 1);
    let state = rand(2 * l * b, seed + 2);
    let seq: Vec<Vec<f64>> = rows(rand(c * b, seed + 3).iter().map(|v| v.round()).collect(), b);
    let input = json!({"main_params": rows(main.clone(), 4 * b), "extra_params": rows(extra.clone(), b),
                       "state": rows(state.clone(), b), "sequence": seq});
    (input, main, extra, state, seq)
}

/// Central differences of [`lstm_naive`] in the main and extra parameters.
fn lstm_fd(
    l: usize,
    b: usize,
    main: &[f64],
    extra: &[f64],
    state: &[f64],
    seq: &[Vec<f64>],
) -> Vec<f64> {
    let params: Vec<f64> = [main, extra].concat();
    let nm = main.len();
    fd(
        &mut |p| lstm_naive(l, b, &p[..nm], &p[nm..], state, seq),
        &params,
    )
}

#[test]
fn lstm_against_a_plain_loop_and_finite_differences() {
    for mode in MODES {
        let mut t = Tool::start_in(mode);
        let (l, b, c) = (2, 3, 5);
        let (input, main, extra, state, seq) = lstm_input(l, b, c, 10);
        let y = t.num("lstm", "objective", input.clone());
        close(
            "lstm",
            &[y],
            &[lstm_naive(l, b, &main, &extra, &state, &seq)],
            1e-13,
        );
        let g = t.vec("lstm", "jacobian", input);
        let want = lstm_fd(l, b, &main, &extra, &state, &seq);
        close(&format!("∇lstm ({mode:?})"), &g, &want, 1e-7);
    }
}

#[test]
fn lstm_a_second_input_of_the_same_shape_is_answered_from_the_kept_graph_another_shape_is_recorded()
{
    for mode in MODES {
        let mut t = Tool::start_in(mode);
        let graph = mode != Some("tape");
        // (l, b, c, seed, whether this input's shape is new to the tool)
        let inputs = [
            (2, 3, 5, 20, true),
            (2, 3, 5, 30, false),
            (2, 3, 6, 40, true),
            (1, 3, 5, 50, true),
            (2, 3, 5, 60, false),
        ];
        for (l, b, c, seed, new) in inputs {
            let (input, main, extra, state, seq) = lstm_input(l, b, c, seed);
            let (g, recorded) = t.eval_recorded("lstm", "jacobian", input);
            assert_eq!(
                recorded,
                graph && new,
                "l = {l}, b = {b}, c = {c}, seed {seed} ({mode:?}): recorded a graph"
            );
            close(
                &format!("∇lstm, l = {l}, c = {c}, seed {seed} ({mode:?})"),
                &floats(&g),
                &lstm_fd(l, b, &main, &extra, &state, &seq),
                1e-7,
            );
        }
    }
}

#[test]
fn particle_and_saddle_find_the_published_optima_in_all_four_nestings() {
    let mut t = Tool::start();
    for f in ["rr", "ff", "fr", "rf"] {
        // the values GradBench's evals check against (evals/particle, evals/saddle)
        let w = t.num("particle", f, json!({"w": 0.0}));
        close(&format!("particle {f}"), &[w], &[0.2071918746486116], 1e-6);
        let s = t.vec("saddle", f, json!({"start": [1.0, 1.0]}));
        close(
            &format!("saddle {f}"),
            &s,
            &[8.246324826140356e-06; 4],
            1e-9,
        );
    }
}

/// A hand of 22 bones in a chain: base relatives are small rotations about z plus a shift (or the
/// identity), inverse base absolutes the identity, 6 vertices blended from two bones each.
fn hand_input(theta: &[f64], us: Option<&[f64]>, identity: bool) -> Value {
    let nb = 22;
    let rel = |b: usize| -> Vec<Vec<f64>> {
        if identity {
            return (0..4)
                .map(|r| (0..4).map(|c| if r == c { 1.0 } else { 0.0 }).collect())
                .collect();
        }
        let a = 0.1 * (b as f64 + 1.0);
        vec![
            vec![a.cos(), -a.sin(), 0.0, 0.3],
            vec![a.sin(), a.cos(), 0.0, 0.1],
            vec![0.0, 0.0, 1.0, -0.2],
            vec![0.0, 0.0, 0.0, 1.0],
        ]
    };
    let eye: Vec<Vec<f64>> = (0..4)
        .map(|r| (0..4).map(|c| if r == c { 1.0 } else { 0.0 }).collect())
        .collect();
    let nv = 6;
    let pos: Vec<Vec<f64>> = rand(3 * nv, 20)
        .chunks(3)
        .map(|p| vec![p[0], p[1], p[2], 1.0])
        .collect();
    let weights: Vec<Vec<f64>> = (0..nv)
        .map(|v| {
            (0..nb)
                .map(|b| {
                    if b == 3 + 3 * v {
                        0.25
                    } else if b == 4 + 3 * v {
                        0.75
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    let points: Vec<Vec<f64>> = rand(9, 21).chunks(3).map(|p| p.to_vec()).collect();
    json!({
        "theta": theta,
        "us": us.map(|u| u.chunks(2).map(|c| c.to_vec()).collect::<Vec<_>>()).unwrap_or_default(),
        "data": {
            "model": {
                "bone_count": nb,
                "bone_names": (0..nb).map(|b| format!("b{b}")).collect::<Vec<_>>(),
                "parents": (0..nb as i64).map(|b| b - 1).collect::<Vec<_>>(),
                "base_relatives": (0..nb).map(rel).collect::<Vec<_>>(),
                "inverse_base_absolutes": vec![eye; nb],
                "base_positions": pos,
                "weights": weights,
                "triangles": [[0, 1, 2], [3, 4, 5], [1, 3, 5]],
                "is_mirrored": false,
            },
            "correspondences": if us.is_some() { vec![2, 0, 1] } else { vec![5, 0, 3] },
            "points": points,
        },
    })
}

#[test]
fn ht_against_the_rest_pose_and_finite_differences() {
    let mut t = Tool::start();
    // at θ = 0 but a translation, with identity transforms, the model points are the base
    // positions moved by the translation
    let mut theta0 = vec![0.0; 26];
    theta0[3..6].copy_from_slice(&[0.5, -1.0, 2.0]);
    let input = hand_input(&theta0, None, true);
    let pos = floats(&input["data"]["model"]["base_positions"]);
    let pts = floats(&input["data"]["points"]);
    let want: Vec<f64> = [5usize, 0, 3]
        .iter()
        .enumerate()
        .flat_map(|(i, &c)| (0..3).map(move |j| (i, c, j)))
        .map(|(i, c, j)| pts[3 * i + j] - (pos[4 * c + j] + theta0[3 + j]))
        .collect();
    close(
        "ht rest pose",
        &t.vec("ht", "objective", input),
        &want,
        1e-14,
    );
    // posed: the Jacobian against central differences of the tool's objective
    let theta: Vec<f64> = rand(26, 22).iter().map(|v| v - 0.5).collect();
    let us = rand(6, 23).iter().map(|v| 0.5 * v).collect::<Vec<_>>();
    for variant in [None, Some(us.as_slice())] {
        let jac = t.eval("ht", "jacobian", hand_input(&theta, variant, false));
        let jac: Vec<Vec<f64>> = jac.as_array().unwrap().iter().map(floats).collect();
        assert_eq!(jac.len(), 9);
        let off = if variant.is_some() { 2 } else { 0 };
        for row in &jac {
            assert_eq!(row.len(), 26 + off);
        }
        for k in 0..9 {
            let mut f = |p: &[f64]| t.vec("ht", "objective", hand_input(p, variant, false))[k];
            let want = fd(&mut f, &theta);
            close(&format!("ht ∂r{k}/∂θ"), &jac[k][off..], &want, 1e-7);
        }
        if let Some(us) = variant {
            // row k of point i = k / 3 depends on that point's u only
            for k in 0..9 {
                let i = k / 3;
                let mut f = |q: &[f64]| {
                    let mut u = us.to_vec();
                    u[2 * i] = q[0];
                    u[2 * i + 1] = q[1];
                    t.vec("ht", "objective", hand_input(&theta, Some(&u), false))[k]
                };
                let want = fd(&mut f, &us[2 * i..2 * i + 2]);
                close(&format!("ht ∂r{k}/∂u"), &jac[k][..2], &want, 1e-7);
            }
        }
    }
}
