#[path = "../benches/common/mod.rs"]
mod common;
use nilpotent::graph::Graph;
fn main() {
    let x: Vec<f64> = (0..1024)
        .map(|i| 0.5 + 0.1 * ((i * 7) % 11) as f64)
        .collect();
    let g = Graph::record(&x, common::rosenbrock).gradient();
    let s = format!("{g}");
    let mut h = std::collections::BTreeMap::new();
    for line in s.lines().filter(|l| l.starts_with('v')) {
        let rhs = line
            .split(" = ")
            .nth(1)
            .unwrap()
            .split("   #")
            .next()
            .unwrap()
            .trim()
            .to_string();
        let key: String = rhs
            .split_whitespace()
            .map(|t| {
                if t.starts_with('v') {
                    "v".to_string()
                } else {
                    t.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        *h.entry(key).or_insert(0) += 1;
    }
    let mut v: Vec<_> = h.into_iter().collect();
    v.sort_by_key(|e| -e.1);
    for (k, c) in v.iter().take(20) {
        println!("{c:6} {k}");
    }
    let lines: Vec<&str> = s.lines().collect();
    for l in &lines[1020..1050] {
        println!("{l}");
    }
    for l in &lines[9220..9260] {
        println!("{l}");
    }
}
