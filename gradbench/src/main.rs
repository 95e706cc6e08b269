//! A GradBench tool for nilpotent.
//!
//! GradBench's evals send one JSON message per line on stdin (`start`, `define`, `evaluate`,
//! `analysis`); this program answers each with one JSON line on stdout. An `evaluate` runs the
//! eval's function at least `min_runs` times and until the summed run time reaches `min_seconds`,
//! and reports one `{"name": "evaluate", "nanoseconds": …}` timing per run (JSON parsing and
//! printing are not timed). See `README.md` next to this package's manifest.

mod evals;
mod json;

use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How many times to run a function: `min_runs` runs, and more until `min_seconds` have passed.
#[derive(Clone, Copy, Debug)]
pub struct Runs {
    /// the least number of runs
    pub min_runs: usize,
    /// the least summed run time
    pub min_seconds: f64,
}

impl Runs {
    /// The `min_runs` and `min_seconds` fields of an input (defaults 1 and 0 where absent: the
    /// `hello` eval sends a bare number).
    pub fn of(input: &Value) -> Runs {
        Runs {
            min_runs: input
                .get("min_runs")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .max(1) as usize,
            min_seconds: input
                .get("min_seconds")
                .and_then(Value::as_f64)
                .unwrap_or(0.0),
        }
    }
}

/// The output of the last run and one duration per run.
pub struct Timed {
    /// the output of the last run, as JSON
    pub output: Value,
    /// one duration per run
    pub times: Vec<Duration>,
    /// the time taken, before the runs, to record (and compile) a derivative graph for this input's
    /// shape, when it was recorded for this input (reported as a `"record"` timing, which
    /// GradBench's score does not count)
    pub record: Option<Duration>,
}

/// Runs `f` as `runs` says, timing each run: the last run's result and one duration per run.
pub fn timed<O>(runs: Runs, mut f: impl FnMut() -> O) -> (O, Vec<Duration>) {
    let mut times = Vec::new();
    let mut total = Duration::ZERO;
    let limit = Duration::from_secs_f64(runs.min_seconds.max(0.0));
    loop {
        let start = Instant::now();
        let last = std::hint::black_box(f());
        let t = start.elapsed();
        times.push(t);
        total += t;
        if times.len() >= runs.min_runs && total >= limit {
            return (last, times);
        }
    }
}

/// Runs `f` as `runs` says, timing each run, but stops at the first run that fails: one duration
/// per run, or that run's error.
pub fn timed_ok<E>(runs: Runs, mut f: impl FnMut() -> Result<(), E>) -> Result<Vec<Duration>, E> {
    let mut times = Vec::new();
    let mut total = Duration::ZERO;
    let limit = Duration::from_secs_f64(runs.min_seconds.max(0.0));
    loop {
        let start = Instant::now();
        std::hint::black_box(f())?;
        let t = start.elapsed();
        times.push(t);
        total += t;
        if times.len() >= runs.min_runs && total >= limit {
            return Ok(times);
        }
    }
}

/// An evaluate's result: `output` and the run times.
pub fn done(output: impl Into<Value>, times: Vec<Duration>) -> Result<Timed, String> {
    Ok(Timed {
        output: output.into(),
        times,
        record: None,
    })
}

/// An evaluate's result when a derivative graph was kept or recorded for it: `output`, the run
/// times and the recording's time if it happened for this input.
pub fn done_recorded(
    output: impl Into<Value>,
    times: Vec<Duration>,
    record: Option<Duration>,
) -> Result<Timed, String> {
    Ok(Timed {
        output: output.into(),
        times,
        record,
    })
}

/// The answer to one message.
fn answer(msg: &Value) -> Value {
    let id = msg.get("id").cloned().unwrap_or(Value::Null);
    match msg.get("kind").and_then(Value::as_str) {
        Some("start") => json!({"id": id, "tool": "nilpotent"}),
        Some("define") => {
            let module = msg.get("module").and_then(Value::as_str).unwrap_or("");
            if evals::MODULES.contains(&module) {
                json!({"id": id, "success": true})
            } else {
                json!({"id": id, "success": false,
                       "error": format!("nilpotent-gradbench: no module named {module:?} (it has {})",
                                        evals::MODULES.join(", "))})
            }
        }
        Some("evaluate") => {
            let module = msg.get("module").and_then(Value::as_str).unwrap_or("");
            let function = msg.get("function").and_then(Value::as_str).unwrap_or("");
            let input = msg.get("input").cloned().unwrap_or(Value::Null);
            // an eval's bad input or a bug must not take the process down: it is a failed evaluate
            let result = std::panic::catch_unwind(|| evals::evaluate(module, function, &input));
            match result {
                Ok(Ok(t)) => {
                    if let Some(e) = json::non_finite(&t.output) {
                        return json!({"id": id, "success": false,
                                      "error": format!("{module}.{function}: the output has a non-finite number ({e})")});
                    }
                    let timings: Vec<Value> = t
                        .record
                        .iter()
                        .map(|d| json!({"name": "record", "nanoseconds": d.as_nanos() as u64}))
                        .chain(t.times.iter().map(
                            |d| json!({"name": "evaluate", "nanoseconds": d.as_nanos() as u64}),
                        ))
                        .collect();
                    json!({"id": id, "success": true, "output": t.output, "timings": timings})
                }
                Ok(Err(e)) => json!({"id": id, "success": false, "error": e}),
                Err(p) => {
                    let what = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "a panic".into());
                    json!({"id": id, "success": false, "error": format!("{module}.{function} panicked: {what}")})
                }
            }
        }
        _ => json!({"id": id}),
    }
}

fn main() {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in stdin.lock().lines() {
        let line = line.expect("nilpotent-gradbench: cannot read stdin");
        if line.trim().is_empty() {
            continue;
        }
        let reply = match serde_json::from_str::<Value>(&line) {
            Ok(msg) => answer(&msg),
            Err(e) => {
                json!({"error": format!("nilpotent-gradbench: a line that is not JSON: {e}")})
            }
        };
        serde_json::to_writer(&mut out, &reply).expect("nilpotent-gradbench: cannot write stdout");
        out.write_all(b"\n")
            .expect("nilpotent-gradbench: cannot write stdout");
        out.flush()
            .expect("nilpotent-gradbench: cannot write stdout");
    }
}
