//! Reading the evals' inputs and writing their outputs.

use serde_json::Value;

/// `input[key]`, or an error naming the missing key.
pub fn field<'a>(input: &'a Value, key: &str) -> Result<&'a Value, String> {
    input
        .get(key)
        .ok_or_else(|| format!("the input has no field {key:?}"))
}

/// A number.
pub fn num(v: &Value, what: &str) -> Result<f64, String> {
    v.as_f64()
        .ok_or_else(|| format!("{what} is not a number: {}", short(v)))
}

/// A non-negative integer.
pub fn int(v: &Value, what: &str) -> Result<usize, String> {
    v.as_u64()
        .map(|u| u as usize)
        .ok_or_else(|| format!("{what} is not a non-negative integer: {}", short(v)))
}

/// An array of numbers.
pub fn vec(v: &Value, what: &str) -> Result<Vec<f64>, String> {
    let a = v
        .as_array()
        .ok_or_else(|| format!("{what} is not an array: {}", short(v)))?;
    a.iter()
        .enumerate()
        .map(|(i, x)| num(x, &format!("{what}[{i}]")))
        .collect()
}

/// An array of arrays of numbers, all of one length, flattened row by row: (values, rows, width).
pub fn matrix(v: &Value, what: &str) -> Result<(Vec<f64>, usize, usize), String> {
    let a = v
        .as_array()
        .ok_or_else(|| format!("{what} is not an array: {}", short(v)))?;
    let mut out = Vec::new();
    let mut width = None;
    for (i, row) in a.iter().enumerate() {
        let r = vec(row, &format!("{what}[{i}]"))?;
        match width {
            None => width = Some(r.len()),
            Some(w) if w != r.len() => {
                return Err(format!(
                    "{what}[{i}] has {} entries, {what}[0] has {w}",
                    r.len()
                ));
            }
            _ => {}
        }
        out.extend(r);
    }
    Ok((out, a.len(), width.unwrap_or(0)))
}

/// `xs` as rows of `width` numbers.
pub fn rows(xs: &[f64], width: usize) -> Value {
    if width == 0 {
        return Value::Array(Vec::new());
    }
    Value::Array(xs.chunks(width).map(|r| Value::from(r.to_vec())).collect())
}

/// A short rendering of a value for error messages.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!("{}…", &s[..60])
    } else {
        s
    }
}

/// Where `v` holds a NaN or an infinity (serde_json would write `null`): its path.
pub fn non_finite(v: &Value) -> Option<String> {
    fn walk(v: &Value, path: &mut String) -> bool {
        match v {
            Value::Null => true,
            Value::Array(a) => a.iter().enumerate().any(|(i, x)| {
                let n = path.len();
                path.push_str(&format!("[{i}]"));
                let bad = walk(x, path);
                if !bad {
                    path.truncate(n);
                }
                bad
            }),
            Value::Object(o) => o.iter().any(|(k, x)| {
                let n = path.len();
                path.push_str(&format!(".{k}"));
                let bad = walk(x, path);
                if !bad {
                    path.truncate(n);
                }
                bad
            }),
            _ => false,
        }
    }
    let mut path = String::from("output");
    walk(v, &mut path).then_some(path)
}
