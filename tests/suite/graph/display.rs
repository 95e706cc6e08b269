//! DOT and the listing of a graph.

use super::*;

// ---------------------------------------------------------------------------------------------
// 5. DOT and the listing
// ---------------------------------------------------------------------------------------------

/// Checks that `dot` is well formed: balanced braces outside quoted strings, every edge's
/// endpoints declared as nodes, one `subgraph cluster_k` for each k in `0..=orders` and no other.
fn check_dot(dot: &str, orders: Option<usize>, what: &str) {
    // (a derivative that makes no node of its own, as the constant gradient of a linear
    // function, has no cluster: callers pass the highest order that makes nodes)
    let mut depth = 0i64;
    let mut in_string = false;
    let mut escaped = false;
    for c in dot.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '{' if !in_string => depth += 1,
            '}' if !in_string => {
                depth -= 1;
                assert!(depth >= 0, "{what}: unbalanced braces\n{dot}");
            }
            _ => {}
        }
    }
    assert!(
        depth == 0 && !in_string,
        "{what}: unbalanced braces or quotes\n{dot}"
    );
    assert!(dot.starts_with("digraph") && dot.trim_end().ends_with('}'));
    let mut declared = BTreeSet::new();
    let mut edges = Vec::new();
    let mut clusters = BTreeMap::new();
    for line in dot.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("subgraph cluster_") {
            let k: usize = rest.trim_end_matches(" {").parse().unwrap();
            *clusters.entry(k).or_insert(0) += 1;
        } else if let Some((a, rest)) = line.split_once(" -> ") {
            let b = rest.split([' ', ';']).next().unwrap();
            edges.push((a.to_string(), b.to_string()));
        } else if let Some((name, _)) = line.split_once(" [")
            && name != "node"
        {
            assert!(
                declared.insert(name.to_string()),
                "{what}: {name} declared twice"
            );
        }
    }
    for (a, b) in &edges {
        assert!(
            declared.contains(a) && declared.contains(b),
            "{what}: edge {a} -> {b} has an undeclared endpoint\n{dot}"
        );
    }
    if let Some(orders) = orders {
        let want: BTreeMap<usize, i32> = (0..=orders).map(|k| (k, 1)).collect();
        assert_eq!(clusters, want, "{what}: clusters\n{dot}");
    }
}

/// Checks the listing: one `vK = …` line per node, numbered 0.., one `gK: …` line per guard and
/// one `yK = vJ` line per output, and the header's counts.
fn check_listing(g: &Graph, what: &str) {
    let listing = g.to_string();
    let nodes: Vec<&str> = listing.lines().filter(|l| l.starts_with('v')).collect();
    assert_eq!(nodes.len(), g.num_nodes(), "{what}:\n{listing}");
    for (i, l) in nodes.iter().enumerate() {
        assert!(l.starts_with(&format!("v{i} = ")), "{what}: line {l}");
    }
    let guards = listing.lines().filter(|l| l.starts_with('g')).count();
    assert_eq!(
        guards,
        g.num_guards() + 1,
        "{what}: the header and the guards"
    );
    let outputs = listing.lines().filter(|l| l.starts_with('y')).count();
    assert_eq!(outputs, g.num_outputs(), "{what}");
    let header = listing.lines().next().unwrap();
    assert_eq!(
        header,
        format!(
            "graph: {}, {}, {}, {}, {}",
            counted(g.num_inputs(), "input"),
            counted(g.num_outputs(), "output"),
            counted(g.len(), "operation"),
            counted(g.num_guards(), "guard"),
            // the constants, so that data baked into a graph shows (issue "Data as parameters")
            counted(g.num_constants(), "constant")
        )
    );
}

#[test]
fn dot_and_listing_are_well_formed() {
    fn guarded<T: Float>(x: &[T]) -> T {
        let s = x[0].abs().max(x[1]) * x[0].sin();
        if s < k(1.5) {
            s.mul_add(x[1], x[0])
        } else {
            s.powf(x[1])
        }
    }
    let x: Vec<f64> = (0..5).map(|i| 0.2 * i as f64 + 0.1).collect();
    // per case: the highest order whose derivative makes nodes, for order 0, 1, 2 (None: not
    // checked, see `dot_clusters_name_the_derivative_order_that_made_the_nodes`)
    let cases: Vec<(&str, Graph, [Option<usize>; 3])> = vec![
        (
            "lecture",
            Graph::record(&[2.0, 5.0], lecture),
            [Some(0), Some(1), Some(2)],
        ),
        (
            "Rosenbrock",
            Graph::record(&x, rosenbrock),
            [Some(0), Some(1), Some(2)],
        ),
        (
            "guarded",
            Graph::record(&[0.5, 0.75], guarded),
            [Some(0), Some(1), Some(2)],
        ),
        (
            "sine of a product",
            Graph::record(&[1.0, 2.0], |v| (v[0] * v[1]).sin()),
            [Some(0), Some(1), Some(2)],
        ),
        (
            "linear, huge and NaN constants",
            Graph::record(&[1.0], |v| v[0] * 1e300 + f64::NAN),
            [Some(0), Some(0), None],
        ),
    ];
    for (name, g, clusters) in &cases {
        for (order, graph) in [(0, g.clone()), (1, g.gradient()), (2, g.hessian())] {
            let what = format!("{name}, order {order}");
            check_dot(&graph.to_dot(), clusters[order], &what);
            check_listing(&graph, &what);
        }
    }
    // the lecture's listing, exactly as in the lecture
    let g = Graph::record(&[2.0, 5.0], lecture);
    let lines: Vec<String> = g
        .to_string()
        .lines()
        .skip(1)
        .map(|l| l.split('#').next().unwrap().trim().to_string())
        .collect();
    assert_eq!(
        lines,
        [
            "v0 = x0",
            "v1 = x1",
            "v2 = ln v0",
            "v3 = v0 × v1",
            "v4 = v2 + v3",
            "v5 = sin v1",
            "v6 = v4 − v5",
            "y0 = v6"
        ]
    );
    // the guard diamonds of the DOT drawing are the listing's guards
    let g = Graph::record(&[0.5, 0.75], guarded).gradient();
    let diamonds = g
        .to_dot()
        .lines()
        .filter(|l| l.contains("shape=diamond"))
        .count();
    assert_eq!(diamonds, g.num_guards());
}

/// A chain of `n` operations (sine of a multiply-add, each with its own constant, so nothing is
/// shared or folded away).
fn chain<T: Float>(x: &[T], n: usize) -> T {
    let mut y = x[0];
    for i in 0..n / 3 {
        y = (y * x[1] + k(i as f64 + 0.5)).sin();
    }
    y
}

/// Checks that each node line of `g`'s listing sits under the section header of the DOT
/// cluster that draws it (the listing's sections against an independent oracle, the drawing).
fn check_listing_sections(g: &Graph, what: &str) {
    let dot = g.to_dot();
    let mut cluster_of = vec![usize::MAX; g.num_nodes()];
    let mut cluster = 0;
    let mut label = BTreeMap::new();
    for line in dot.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("subgraph cluster_") {
            cluster = rest.trim_end_matches(" {").parse().unwrap();
        } else if let Some(rest) = line.strip_prefix("label=\"") {
            label.insert(cluster, rest.trim_end_matches("\";").to_string());
        } else if !line.contains(" -> ")
            && let Some((name, _)) = line.split_once(" [label=")
            && let Some(i) = name.strip_prefix('v')
        {
            cluster_of[i.parse::<usize>().unwrap()] = cluster;
        }
    }
    let listing = g.to_string();
    // (a graph without derivative nodes is listed without section headers)
    let headed = listing.lines().any(|l| l.starts_with("# "));
    let mut section = (!headed).then(|| "function".to_string());
    let mut node = 0;
    for line in listing.lines() {
        if let Some(name) = line.strip_prefix("# ") {
            section = Some(name.to_string());
        } else if line.starts_with('v') {
            assert_eq!(
                section.as_deref(),
                Some(label[&cluster_of[node]].as_str()),
                "{what}: the section of v{node}"
            );
            node += 1;
        }
    }
    assert_eq!(node, g.num_nodes(), "{what}");
}

/// Issue 20, item 6 ("quadratic listing"): `Display for Graph` asked, for every line, whether any
/// node of the graph is a derivative node, so listing a graph took time quadratic in its size
/// (160 000 nodes: 10 s). A gradient graph of ≈ 200 000 nodes is listed correctly: one line per
/// node, each under the section of its DOT cluster.
#[test]
fn quadratic_listing_of_a_large_gradient_graph() {
    let g = Graph::record(&[0.3, 0.7], |x| chain(x, 67_000)).gradient();
    assert!(g.num_nodes() > 190_000, "{} nodes", g.num_nodes());
    check_listing(&g, "large gradient graph");
    check_listing_sections(&g, "large gradient graph");
    // and the small cases, whose sections are easier to read when this fails
    for g in [
        Graph::record(&[2.0, 5.0], lecture),
        Graph::record(&[2.0, 5.0], lecture).gradient(),
        Graph::record(&[2.0, 5.0], lecture).hessian(),
    ] {
        check_listing_sections(&g, &format!("lecture, order {}", g.derivative_order()));
    }
}

/// Times the listing and the DOT drawing of gradient graphs of about 40 000 and 160 000 nodes
/// (issue 20, "quadratic listing"; prints, asserts nothing about time):
/// `cargo test --release --test suite listing_time -- --ignored --nocapture`.
#[test]
#[ignore = "prints timings"]
fn listing_time() {
    for ops in [13_400, 53_400] {
        let g = Graph::record(&[0.3, 0.7], |x| chain(x, ops)).gradient();
        let t = std::time::Instant::now();
        let listing = g.to_string();
        let listed = t.elapsed();
        let t = std::time::Instant::now();
        let dot = g.to_dot();
        let drawn = t.elapsed();
        println!(
            "{} nodes: listing {listed:?} ({} bytes), DOT {drawn:?} ({} bytes)",
            g.num_nodes(),
            listing.len(),
            dot.len()
        );
    }
}

/// The DOT clusters (and the listing's section headers) name the derivative order that first made
/// each node (`origin`: "0 for a node of the recorded function, k for a node first made by the
/// k-th derivative"). Two cases where they do not:
///
/// 1. When the gradient graph has no node of its own (the gradient of x₀x₁ is (x₁, x₀), two
///    inputs), the Hessian's new nodes — the constants 0 = ∂²f/∂x₀² and 1 = ∂²f/∂x₀∂x₁, made by
///    the sweep over the gradient graph — are drawn in `cluster_1` "first derivative" instead of
///    `cluster_2` "second derivative": `Graph::replay` gives new nodes the level one above the
///    highest origin present, not the derivative order of the graph it replays.
/// 2. A constant output of the function (`v1 = 3` in the function graph of `|_| 3`) is listed
///    under "# first derivative" in its gradient graph: `replay` turns constant nodes into
///    `Sym::constant`s, and the output re-materialises it at the derivative's level.
#[test]
fn dot_clusters_name_the_derivative_order_that_made_the_nodes() {
    let h = Graph::record(&[1.0, 2.0], |v| v[0] * v[1]).hessian();
    assert!(h.to_dot().contains("subgraph cluster_2"), "{}", h.to_dot());
    assert!(h.to_string().contains("# second derivative"), "{h}");
    assert!(!h.to_string().contains("# first derivative"), "{h}");

    let g = Graph::record(&[1.0], |_| Sym::constant(3.0)).gradient();
    let listing = g.to_string();
    let function_part = listing.split("# first derivative").next().unwrap();
    assert!(
        function_part.contains("v1 = 3"),
        "the function's constant output:\n{listing}"
    );
}
