//! Sparse Jacobians and Hessians (`nilpotent::sparse`): patterns against dense derivatives of
//! random functions, every colouring against the definition of what it must guarantee, compressed
//! evaluation against dense drivers on banded, arrowhead, block-diagonal, random and grid
//! structures (n up to a few thousand), guards, and serial against parallel (feature `rayon`).
//!
//! Oracles. Jacobians: forward mode on the generic function (`jacobian_with`, `jvp`): the same
//! dual-number operations in the same order as the compressed passes, so entries must be *equal*
//! (`==`: as numbers, a zero's sign may differ). Hessians: forward over forward (`hessian_with`)
//! or forward over the tape (`reverse::hvp`), which add the same products in another order, so
//! entries agree to rounding (tolerances stated where used).

use crate::common;
use crate::common::functions::rosenbrock;

use common::{Rng, close, rel_err};
use nilpotent::graph::{Graph, GraphError, Sym};
use nilpotent::sparse::{
    self, Colouring, CscMatrix, Direction, HessianPlan, JacobianPlan, Order, Pattern,
    column_colouring, hessian_pattern, jacobian_pattern, row_colouring, star_colouring,
};
use nilpotent::{Chunk, hessian_with, jacobian_with, jvp, reverse};
use num_traits::Float;

// ---------------------------------------------------------------------------------------------
// Structures and the functions that have them
// ---------------------------------------------------------------------------------------------

/// For each output row, the inputs it depends on.
type Rows = Vec<Vec<usize>>;

fn banded(n: usize, half: usize) -> Rows {
    (0..n)
        .map(|i| (i.saturating_sub(half)..(i + half + 1).min(n)).collect())
        .collect()
}

/// Row 0 and column 0 full, and the diagonal.
fn arrowhead(n: usize) -> Rows {
    (0..n)
        .map(|i| if i == 0 { (0..n).collect() } else { vec![0, i] })
        .collect()
}

fn block_diagonal(n: usize, block: usize) -> Rows {
    (0..n)
        .map(|i| {
            let b = i / block * block;
            (b..(b + block).min(n)).collect()
        })
        .collect()
}

/// The diagonal and `per_row` random columns per row (`m` rows, `n` columns).
fn random_rows(m: usize, n: usize, per_row: usize, rng: &mut Rng) -> Rows {
    (0..m)
        .map(|i| {
            let mut r: Vec<usize> = (0..per_row).map(|_| rng.below(n)).collect();
            if i < n {
                r.push(i);
            }
            r.sort_unstable();
            r.dedup();
            r
        })
        .collect()
}

/// The 5-point stencil on an `a × b` grid (row-major numbering).
fn laplacian(a: usize, b: usize) -> Rows {
    (0..a * b)
        .map(|k| {
            let (i, j) = (k / b, k % b);
            let mut r = vec![k];
            if i > 0 {
                r.push(k - b);
            }
            if i + 1 < a {
                r.push(k + b);
            }
            if j > 0 {
                r.push(k - 1);
            }
            if j + 1 < b {
                r.push(k + 1);
            }
            r.sort_unstable();
            r
        })
        .collect()
}

/// A coefficient in [0.5, 1.5) from the indices (deterministic, never 0).
fn coef(i: usize, j: usize) -> f64 {
    0.5 + ((i * 7919 + j * 104_729) % 1000) as f64 / 1000.0
}

/// yᵢ = sin(Σⱼ aᵢⱼxⱼ) + Σⱼ bᵢⱼxⱼ² over the columns j of row i: ∂yᵢ/∂xⱼ = aᵢⱼ cos zᵢ + 2bᵢⱼxⱼ,
/// nonzero for generic x exactly on the structure.
fn structured<T: Float>(x: &[T], rows: &Rows) -> Vec<T> {
    rows.iter()
        .enumerate()
        .map(|(i, cols)| {
            let (mut z, mut q) = (T::zero(), T::zero());
            for &j in cols {
                z = z + T::from(coef(i, j)).unwrap() * x[j];
                q = q + T::from(coef(j, i) - 1.0).unwrap() * x[j] * x[j];
            }
            z.sin() + q
        })
        .collect()
}

/// [`structured`] writing its outputs into a slice (for `eval_fn_inplace`).
fn structured_inplace<T: Float>(x: &[T], out: &mut [T], rows: &Rows) {
    out.copy_from_slice(&structured(x, rows));
}

/// The pairs i < j of a Hessian structure.
type Edges = Vec<(usize, usize)>;

/// f = Σ₍ᵢ,ⱼ₎ sin(xᵢxⱼ + cᵢⱼ) + Σᵢ xᵢ³/6 + 1: its Hessian is nonzero exactly on the edges and the
/// diagonal (for generic x).
fn coupled<T: Float>(x: &[T], edges: &Edges) -> T {
    let mut s = T::one();
    for &(i, j) in edges {
        s = s + (x[i] * x[j] + T::from(coef(i, j)).unwrap()).sin();
    }
    for &v in x {
        s = s + v.powi(3) / T::from(6.0).unwrap();
    }
    s
}

fn edges_of(rows: &Rows) -> Edges {
    let mut e: Edges = rows
        .iter()
        .enumerate()
        .flat_map(|(i, r)| r.iter().filter(move |&&j| j > i).map(move |&j| (i, j)))
        .collect();
    e.sort_unstable();
    e.dedup();
    e
}

fn pattern_of(rows: &Rows, n: usize) -> Pattern {
    Pattern::from_entries(
        rows.len(),
        n,
        rows.iter()
            .enumerate()
            .flat_map(|(i, r)| r.iter().map(move |&j| (i, j))),
    )
}

fn hessian_structure(edges: &Edges, n: usize) -> Pattern {
    Pattern::from_entries(
        n,
        n,
        edges
            .iter()
            .flat_map(|&(i, j)| [(i, j), (j, i)])
            .chain((0..n).map(|i| (i, i))),
    )
}

fn entry(m: &CscMatrix<f64>, i: usize, j: usize) -> f64 {
    m.get_entry(i, j).expect("in range").into_value()
}

// ---------------------------------------------------------------------------------------------
// Colourings against their definitions (checkers written from the definitions, independently of
// the algorithms)
// ---------------------------------------------------------------------------------------------

/// Structural orthogonality of a column colouring: no row has two columns of one colour.
fn assert_columns_orthogonal(p: &Pattern, c: &Colouring) {
    assert_eq!(c.len(), p.ncols());
    let mut seen = vec![vec![]; p.nrows()];
    for (i, j) in p.entries() {
        assert!(
            !seen[i].contains(&c.colour(j)),
            "row {i}: two columns of colour {}",
            c.colour(j)
        );
        seen[i].push(c.colour(j));
    }
    assert_colour_count(c);
}

/// The same for rows: no column has two rows of one colour.
fn assert_rows_orthogonal(p: &Pattern, c: &Colouring) {
    assert_eq!(c.len(), p.nrows());
    for j in 0..p.ncols() {
        let mut colours: Vec<usize> = p.col(j).iter().map(|&i| c.colour(i)).collect();
        let k = colours.len();
        colours.sort_unstable();
        colours.dedup();
        assert_eq!(colours.len(), k, "column {j}: two rows of one colour");
    }
    assert_colour_count(c);
}

fn assert_colour_count(c: &Colouring) {
    let max = c.colours().iter().map(|&k| k + 1).max().unwrap_or(0);
    assert_eq!(c.num_colours(), max);
    for k in 0..max {
        assert!(c.colours().contains(&k), "colour {k} unused");
    }
    assert_ne!(c.order(), Order::Best);
}

/// A star colouring of a symmetric pattern: adjacent vertices differ, every path on four vertices
/// uses at least three colours, and (what the recovery relies on) every entry (i, j) is alone in
/// its colour in row i or in row j.
fn assert_star(p: &Pattern, c: &Colouring) {
    let n = p.ncols();
    let nb = |v: usize| p.col(v).iter().copied().filter(move |&w| w != v);
    for (i, j) in p.entries() {
        if i != j {
            assert_ne!(c.colour(i), c.colour(j), "adjacent {i}, {j} share a colour");
        }
    }
    for b in 0..n {
        for cc in nb(b) {
            for a in nb(b).filter(|&a| a != cc) {
                for d in nb(cc).filter(|&d| d != b && d != a) {
                    assert!(
                        !(c.colour(a) == c.colour(cc) && c.colour(b) == c.colour(d)),
                        "two-coloured path {a}–{b}–{cc}–{d}"
                    );
                }
            }
        }
    }
    let alone = |row: usize, col: usize| {
        p.col(row)
            .iter()
            .filter(|&&k| c.colour(k) == c.colour(col))
            .count()
            == 1
    };
    for (i, j) in p.entries() {
        assert!(
            alone(i, j) || alone(j, i),
            "entry ({i}, {j}) cannot be recovered"
        );
    }
    assert_colour_count(c);
}

#[test]
fn colourings_are_structurally_orthogonal_on_random_patterns() {
    let mut rng = Rng::for_test("colourings");
    for trial in 0..40 {
        let (m, n) = (1 + rng.below(120), 1 + rng.below(120));
        let per_row = rng.below(6);
        let rows = random_rows(m, n, per_row, &mut rng);
        let p = pattern_of(&rows, n);
        // symmetric: the structure and its transpose, on n × n
        let sym_rows = random_rows(n, n, rng.below(4), &mut rng);
        let sym = hessian_structure(&edges_of(&symmetrise(&sym_rows)), n);
        for order in Order::ALL.into_iter().chain([Order::Best]) {
            let c = column_colouring(&p, order);
            assert_columns_orthogonal(&p, &c);
            let r = row_colouring(&p, order);
            assert_rows_orthogonal(&p, &r);
            let s = star_colouring(&sym, order);
            assert_star(&sym, &s);
            if order == Order::Best {
                // the best is never worse than any order
                for o in Order::ALL {
                    assert!(c.num_colours() <= column_colouring(&p, o).num_colours());
                    assert!(s.num_colours() <= star_colouring(&sym, o).num_colours());
                }
            }
        }
        let _ = trial;
    }
}

/// Rows i → j and j → i (a symmetric structure from any).
fn symmetrise(rows: &Rows) -> Rows {
    let mut s = rows.clone();
    for (i, r) in rows.iter().enumerate() {
        for &j in r {
            s[j].push(i);
        }
    }
    s
}

#[test]
fn colour_counts_of_known_structures() {
    // banded with half-bandwidth b: 2b + 1 columns of a row must differ, and greedy reaches it
    for half in 0..5 {
        let p = pattern_of(&banded(300, half), 300);
        let c = column_colouring(&p, Order::Natural);
        assert_columns_orthogonal(&p, &c);
        assert_eq!(c.num_colours(), 2 * half + 1);
    }
    // 5-point stencil: its columns within distance 2 conflict; 5 colours suffice (and are needed:
    // a row has 5 entries), found by the saturation order where the static ones take 5 to 7
    for (a, b) in [(3, 3), (12, 12), (37, 23), (50, 50)] {
        let p = pattern_of(&laplacian(a, b), a * b);
        let c = column_colouring(&p, Order::Best);
        assert_columns_orthogonal(&p, &c);
        assert_eq!(c.num_colours(), 5, "{a} × {b}");
        let c = column_colouring(&p, Order::SaturationDegree);
        assert_eq!(c.num_colours(), 5, "{a} × {b}");
    }
    // star colourings: a path needs 3, a star 2, a complete block its size
    let path = hessian_structure(&edges_of(&banded(500, 1)), 500);
    let c = star_colouring(&path, Order::Best);
    assert_star(&path, &c);
    assert_eq!(c.num_colours(), 3);
    let star = hessian_structure(&edges_of(&arrowhead(500)), 500);
    let c = star_colouring(&star, Order::Best);
    assert_star(&star, &c);
    assert_eq!(c.num_colours(), 2);
    let blocks = hessian_structure(&edges_of(&block_diagonal(500, 7)), 500);
    let c = star_colouring(&blocks, Order::Best);
    assert_star(&blocks, &c);
    assert_eq!(c.num_colours(), 7);
    // a dense row makes every column conflict with every other; rows of a short wide matrix
    let p = pattern_of(&arrowhead(200), 200);
    assert_eq!(column_colouring(&p, Order::Best).num_colours(), 200);
    let wide = pattern_of(&(0..3).map(|_| (0..400).collect()).collect(), 400);
    assert_eq!(row_colouring(&wide, Order::Best).num_colours(), 3);
}

#[test]
fn empty_and_degenerate_colourings() {
    let p = Pattern::from_entries(0, 0, []);
    assert_eq!(column_colouring(&p, Order::Best).num_colours(), 0);
    assert_eq!(star_colouring(&p, Order::Best).num_colours(), 0);
    let p = Pattern::from_entries(4, 3, []);
    let c = column_colouring(&p, Order::Best);
    assert_eq!((c.num_colours(), c.colours()), (1, &[0, 0, 0][..]));
    assert_eq!(Pattern::dense(3, 2).nnz(), 6);
    assert!(Pattern::dense(3, 3).is_symmetric());
}

#[test]
fn pattern_api() {
    let p = Pattern::from_entries(2, 3, [(1, 2), (0, 0), (1, 0), (0, 0)]);
    assert_eq!((p.nrows(), p.ncols(), p.nnz()), (2, 3, 3));
    assert_eq!(p.entries().collect::<Vec<_>>(), [(0, 0), (1, 0), (1, 2)]);
    assert_eq!(p.col(1), &[] as &[usize]);
    assert!((p.density() - 0.5).abs() < 1e-15);
    let t = p.transpose();
    assert_eq!(t.entries().collect::<Vec<_>>(), [(0, 0), (0, 1), (2, 1)]);
    assert_eq!(t.transpose(), p);
    assert!(!p.is_symmetric());
    let sp = p.to_sparsity_pattern();
    assert_eq!((sp.major_dim(), sp.minor_dim(), sp.nnz()), (3, 2, 3));
    assert_eq!(Pattern::from_entries(0, 0, []).density(), 0.0);
}

#[test]
#[should_panic(expected = "outside a 2 × 2 matrix")]
fn pattern_entries_in_range() {
    Pattern::from_entries(2, 2, [(2, 0)]);
}

/// No inputs, no outputs, constant outputs: plans still evaluate (values only, empty matrices).
#[test]
fn degenerate_plans() {
    use nilpotent::graph::Sym;
    let g = Graph::record_vec(&[], |_| vec![Sym::constant(2.0)]);
    let mut plan = JacobianPlan::new(&g);
    let (y, jac) = plan.eval(&[]).unwrap();
    assert_eq!((y, jac.nrows(), jac.ncols()), (&[2.0][..], 1, 0));
    let g = Graph::record_vec(&[1.0, 2.0], |_| vec![]);
    for direction in [Direction::Forward, Direction::Reverse, Direction::Auto] {
        let mut plan = JacobianPlan::with_options(&g, direction, Order::Best);
        assert_eq!(plan.direction(), Direction::Forward);
        let (y, jac) = plan.eval(&[3.0, 4.0]).unwrap();
        assert_eq!((y.len(), jac.nrows(), jac.ncols()), (0, 0, 2));
    }
    let g = Graph::record_vec(&[1.0, 2.0], |x| vec![x[0], Sym::constant(1.0), x[0] * x[1]]);
    for direction in [Direction::Forward, Direction::Reverse] {
        let mut plan = JacobianPlan::with_options(&g, direction, Order::Best);
        let (y, jac) = plan.eval(&[3.0, 4.0]).unwrap();
        assert_eq!(y, &[3.0, 1.0, 12.0]);
        assert_eq!(
            jac.triplet_iter()
                .map(|(i, j, &v)| (i, j, v))
                .collect::<Vec<_>>(),
            [(0, 0, 1.0), (2, 0, 4.0), (2, 1, 3.0)]
        );
    }
    let g = Graph::record(&[], |_| Sym::constant(5.0));
    let (v, grad, h) = HessianPlan::new(&g)
        .eval(&[])
        .map(|(v, g, h)| (v, g.to_vec(), h.clone()))
        .unwrap();
    assert_eq!((v, grad.len(), h.nnz()), (5.0, 0, 0));
    let g = Graph::record(&[1.0, 2.0], |x| x[0] + x[1]); // linear: an empty Hessian pattern
    let mut plan = HessianPlan::new(&g);
    assert_eq!(plan.pattern().nnz(), 0);
    assert_eq!(plan.eval(&[5.0, 6.0]).unwrap().1, &[1.0, 1.0]);
}

#[test]
fn plans_can_go_to_other_threads() {
    fn check<T: Send + Sync + Clone + std::fmt::Debug>() {}
    check::<JacobianPlan>();
    check::<HessianPlan>();
    check::<Pattern>();
    check::<Colouring>();
}

#[test]
#[should_panic(expected = "not square and symmetric")]
fn star_colouring_needs_a_symmetric_pattern() {
    star_colouring(&Pattern::from_entries(2, 2, [(0, 1)]), Order::Natural);
}

// ---------------------------------------------------------------------------------------------
// Patterns against dense derivatives
// ---------------------------------------------------------------------------------------------

#[test]
fn patterns_of_structured_functions_are_exact() {
    let mut rng = Rng::for_test("exact patterns");
    let n = 60;
    let x = rng.vec(n, -1.0, 1.0);
    let structures = [
        banded(n, 2),
        arrowhead(n),
        block_diagonal(n, 6),
        random_rows(n, n, 3, &mut rng),
    ];
    for rows in &structures {
        let g = Graph::record_vec(&x, |x| structured(x, rows));
        assert_eq!(jacobian_pattern(&g), pattern_of(rows, n));
        let edges = edges_of(&symmetrise(rows));
        let f = Graph::record(&x, |x| coupled(x, &edges));
        assert_eq!(hessian_pattern(&f), hessian_structure(&edges, n));
    }
    let r = Graph::record(&x, rosenbrock);
    assert_eq!(
        hessian_pattern(&r),
        hessian_structure(&edges_of(&banded(n, 1)), n)
    );
}

/// A random program of rule-table operations over `n` inputs, for pattern soundness.
#[derive(Clone, Copy, Debug)]
enum Op {
    Unary(u8, usize),
    Binary(u8, usize, usize),
    MulAdd(usize, usize, usize),
    Const(f64),
}

fn random_program(n: usize, len: usize, rng: &mut Rng) -> Vec<Op> {
    let mut ops = Vec::new();
    for k in 0..len {
        let avail = n + k;
        // bias towards recent values so that the program is deep, not only wide
        let pick = |rng: &mut Rng| {
            if rng.below(3) == 0 {
                rng.below(avail)
            } else {
                avail - 1 - rng.below(avail.min(4))
            }
        };
        ops.push(match rng.below(10) {
            0..=3 => Op::Unary(rng.below(12) as u8, pick(rng)),
            4..=7 => Op::Binary(rng.below(9) as u8, pick(rng), pick(rng)),
            8 => Op::MulAdd(pick(rng), pick(rng), pick(rng)),
            _ => Op::Const(rng.uniform(-1.0, 1.0)),
        });
    }
    ops
}

/// Runs the program; the outputs are its last `m` values. Every operation is defined (and
/// differentiable, but at kinks) on all reals and keeps values in a moderate range.
fn run_program<T: Float>(ops: &[Op], m: usize, x: &[T]) -> Vec<T> {
    let mut v: Vec<T> = x.to_vec();
    let c = |a: f64| T::from(a).unwrap();
    for op in ops {
        let r = match *op {
            Op::Unary(k, a) => {
                let a = v[a];
                match k {
                    0 => a.sin(),
                    1 => a.tanh(),
                    2 => a * a,
                    3 => -a,
                    4 => a.abs(),
                    5 => a.floor(),
                    6 => a.atan(),
                    7 => (a * c(0.5)).exp().tanh(),
                    8 => (a * a + c(1.0)).sqrt(),
                    9 => a.powi(3).tanh(),
                    10 => (a.cos() + c(2.0)).ln(),
                    _ => a * c(3.0),
                }
            }
            Op::Binary(k, a, b) => {
                let (a, b) = (v[a], v[b]);
                match k {
                    0 => a + b,
                    1 => a - b,
                    2 => (a * b).tanh(),
                    3 => a / (b * b + c(1.0)),
                    4 => a.max(b),
                    5 => a.min(b),
                    6 => a.hypot(b + c(0.5)),
                    7 => a.atan2(b + c(2.0)),
                    _ => (a.abs() + c(0.5)).powf(b.tanh()),
                }
            }
            Op::MulAdd(a, b, d) => v[a].mul_add(v[b].tanh(), v[d]),
            Op::Const(k) => c(k),
        };
        v.push(r);
    }
    v[v.len() - m..].to_vec()
}

/// Every nonzero of the dense Jacobian and Hessian of random programs is in the detected pattern,
/// at the recording point and elsewhere (the programs do not branch, so one pattern holds
/// everywhere). Tightness, over these programs with the default seed: 82 % of the Jacobian
/// pattern's entries and 72 % of the Hessian pattern's are nonzero at a random point. The rest are
/// structural entries that evaluate to 0: the side of a `max`/`min` not chosen, a product with a
/// `floor` that is 0, `x − x`, a kink of `abs`. The test checks 70 % and 60 % (a margin for other
/// seeds), so a pattern that grew looser would fail it.
#[test]
fn patterns_contain_every_nonzero_of_random_programs() {
    let mut rng = Rng::for_test("pattern soundness");
    let (n, m) = (6, 3);
    let (mut jac_nonzeros, mut jac_pattern) = (0usize, 0usize);
    let (mut hess_nonzeros, mut hess_pattern) = (0usize, 0usize);
    for _ in 0..60 {
        let ops = random_program(n, 20, &mut rng);
        let x0 = rng.vec(n, -1.5, 1.5);
        let g = Graph::record_vec(&x0, |x| run_program(&ops, m, x));
        let p = jacobian_pattern(&g);
        let f = Graph::record(&x0, |x| run_program(&ops, 1, x)[0]);
        let h = hessian_pattern(&f);
        assert!(h.is_symmetric());
        for x in [x0.clone(), rng.vec(n, -1.5, 1.5), rng.vec(n, -1.5, 1.5)] {
            let (_, jac) = jacobian_with(|x| run_program(&ops, m, x), &x, Chunk::<6>);
            for i in 0..m {
                for j in 0..n {
                    if jac[(i, j)] != 0.0 {
                        jac_nonzeros += 1;
                        assert!(
                            p.contains(i, j),
                            "J({i}, {j}) = {} not in pattern: {ops:?}",
                            jac[(i, j)]
                        );
                    }
                }
            }
            jac_pattern += p.nnz();
            let (_, _, hd) = hessian_with(|x| run_program(&ops, 1, x)[0], &x, Chunk::<6>);
            for i in 0..n {
                for j in 0..n {
                    if hd[(i, j)] != 0.0 {
                        hess_nonzeros += 1;
                        assert!(
                            h.contains(i, j),
                            "H({i}, {j}) = {} not in pattern: {ops:?}",
                            hd[(i, j)]
                        );
                    }
                }
            }
            hess_pattern += h.nnz();
        }
    }
    let jac_tight = jac_nonzeros as f64 / jac_pattern as f64;
    let hess_tight = hess_nonzeros as f64 / hess_pattern as f64;
    assert!(jac_tight > 0.7, "Jacobian patterns are loose: {jac_tight}");
    assert!(hess_tight > 0.6, "Hessian patterns are loose: {hess_tight}");
}

// ---------------------------------------------------------------------------------------------
// Compressed evaluation against dense drivers
// ---------------------------------------------------------------------------------------------

/// The sparse Jacobian equals forward mode on the generic function: all of it for n ≤ 200,
/// `samples` random columns (each in full) beyond.
fn check_jacobian(
    rows: &Rows,
    n: usize,
    x: &[f64],
    jac: &CscMatrix<f64>,
    y: &[f64],
    samples: usize,
    rng: &mut Rng,
) {
    let m = rows.len();
    assert_eq!((jac.nrows(), jac.ncols(), y.len()), (m, n, m));
    assert_eq!(y, structured(x, rows).as_slice());
    let columns: Vec<usize> = if n <= 200 {
        (0..n).collect()
    } else {
        (0..samples)
            .map(|_| rng.below(n))
            .chain([0, n - 1])
            .collect()
    };
    let dense = (n <= 200).then(|| jacobian_with(|x| structured(x, rows), x, Chunk::<8>).1);
    for &j in &columns {
        let col: Vec<f64> = match &dense {
            Some(d) => d.column(j).iter().copied().collect(),
            None => {
                let e: Vec<f64> = (0..n).map(|k| if k == j { 1.0 } else { 0.0 }).collect();
                jvp(|x| structured(x, rows), x, &e).1
            }
        };
        for (i, &want) in col.iter().enumerate() {
            assert!(
                entry(jac, i, j) == want,
                "J({i}, {j}): {} vs {want}",
                entry(jac, i, j)
            );
        }
    }
}

#[test]
fn sparse_jacobians_equal_forward_mode_on_many_structures() {
    let mut rng = Rng::for_test("sparse jacobians");
    for n in [1, 2, 13, 150, 400] {
        let x = rng.vec(n, -1.0, 1.0);
        let mut structures = vec![
            ("banded", banded(n, 2)),
            ("block-diagonal", block_diagonal(n, 5)),
            ("random", random_rows(n, n, 3, &mut rng)),
        ];
        if n <= 150 {
            // dense row and column: n colours either way (kept small)
            structures.push(("arrowhead", arrowhead(n)));
        }
        for (name, rows) in &structures {
            let g = Graph::record_vec(&x, |x| structured(x, rows));
            let mut plan = JacobianPlan::new(&g);
            assert_eq!(plan.pattern(), &pattern_of(rows, n), "{name}");
            assert_columns_orthogonal(plan.pattern(), plan.column_colouring());
            // a new input: the plan is for every input, not only the recording point
            let x1 = rng.vec(n, -1.0, 1.0);
            let (y, jac) = plan.eval(&x1).unwrap();
            check_jacobian(rows, n, &x1, jac, y, 8, &mut rng);
            // the generic function's own passes: the same numbers
            let (y2, jac2) = plan
                .eval_fn(|x| structured(x, rows), &x1, Chunk::<4>)
                .unwrap();
            check_jacobian(rows, n, &x1, jac2, y2, 8, &mut rng);
            // and written into a slice: the same bits as eval_fn
            let (y2, jac2) = (y2.to_vec(), jac2.clone());
            let (y3, jac3) = plan
                .eval_fn_inplace(|x, out| structured_inplace(x, out, rows), &x1, Chunk::<4>)
                .unwrap();
            assert_eq!((y3, jac3), (y2.as_slice(), &jac2), "{name}");
        }
        // the one-call driver
        let rows = banded(n, 2);
        let (y, jac) = sparse::jacobian(|x| structured(x, &rows), &x);
        check_jacobian(&rows, n, &x, &jac, &y, 8, &mut rng);
    }
    // a few thousand inputs
    let n = 3000;
    let x = rng.vec(n, -1.0, 1.0);
    let rows = banded(n, 2);
    let (y, jac) = sparse::jacobian(|x| structured(x, &rows), &x);
    check_jacobian(&rows, n, &x, &jac, &y, 8, &mut rng);
}

#[test]
fn banded_jacobian_needs_its_bandwidth_in_colours() {
    let n = 200;
    let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
    for half in [1, 2, 4, 10] {
        let rows = banded(n, half);
        let g = Graph::record_vec(&x, |x| structured(x, &rows));
        let plan = JacobianPlan::with_options(&g, Direction::Forward, Order::Best);
        assert_eq!(plan.colouring().num_colours(), 2 * half + 1);
        assert_eq!(plan.num_passes(), (2 * half + 1).div_ceil(16));
        // reverse mode's rows need as many: the cost model keeps up to 5 colours forward (one
        // pass of 5 lanes: 2.7 against 3), and takes 9 or more in reverse (see `Direction::Auto`)
        let plan = JacobianPlan::new(&g);
        assert_eq!(plan.row_colouring().num_colours(), 2 * half + 1);
        let reverse = if half < 4 {
            Direction::Forward
        } else {
            Direction::Reverse
        };
        assert_eq!(plan.direction(), reverse, "half-bandwidth {half}");
    }
}

/// A 2-D Laplacian-like map (5-point stencil with a cubic term): 5 colours on any grid.
fn grid_map<T: Float>(x: &[T], a: usize, b: usize) -> Vec<T> {
    let c = |v: f64| T::from(v).unwrap();
    (0..a * b)
        .map(|k| {
            let (i, j) = (k / b, k % b);
            let mut y = c(4.0) * x[k] + x[k].powi(3);
            if i > 0 {
                y = y - x[k - b];
            }
            if i + 1 < a {
                y = y - x[k + b];
            }
            if j > 0 {
                y = y - x[k - 1] * c(0.5 + 0.1 * j as f64);
            }
            if j + 1 < b {
                y = y - x[k + 1];
            }
            y
        })
        .collect()
}

#[test]
fn laplacian_jacobian_in_five_colours() {
    let mut rng = Rng::for_test("laplacian");
    for (a, b) in [(2, 2), (3, 3), (10, 12), (50, 60)] {
        let n = a * b;
        let x = rng.vec(n, -1.0, 1.0);
        let g = Graph::record_vec(&x, |x| grid_map(x, a, b));
        let mut plan = JacobianPlan::new(&g);
        assert!(plan.colouring().num_colours() <= 5, "{a} × {b}");
        assert_eq!(plan.num_passes(), 1);
        assert_eq!(plan.pattern(), &pattern_of(&laplacian(a, b), n));
        let (_, jac) = plan.eval(&x).unwrap();
        let columns: Vec<usize> = if n <= 200 {
            (0..n).collect()
        } else {
            (0..30).map(|_| rng.below(n)).collect()
        };
        for j in columns {
            let e: Vec<f64> = (0..n).map(|k| if k == j { 1.0 } else { 0.0 }).collect();
            let (_, col) = jvp(|x| grid_map(x, a, b), &x, &e);
            for (i, &want) in col.iter().enumerate() {
                assert!(entry(jac, i, j) == want, "J({i}, {j})");
            }
        }
    }
}

/// Reverse mode over a row colouring: few rows, many columns. Reverse sweeps add the same
/// products as forward mode in another order, so entries agree to rounding: each is a·cos z + 2bx
/// with |a|, |b| < 1.5 and |x| ≤ 1, a sum of two terms of size ≤ 3, so 1e-15 absolute is a few
/// ulps of the terms.
#[test]
fn reverse_mode_over_row_colourings() {
    let mut rng = Rng::for_test("reverse sparse");
    let n = 200;
    let x = rng.vec(n, -1.0, 1.0);
    let cases: Vec<(Rows, Option<usize>)> = vec![
        // dense rows: each its own colour
        ((0..3).map(|_| (0..n).collect()).collect(), Some(3)),
        // 40 sparse rows: far fewer row colours than column colours
        (random_rows(40, n, 20, &mut rng), None),
        // 20 dense rows: 2 backward sweeps of up to 16 lanes
        ((0..20).map(|_| (0..n).collect()).collect(), Some(20)),
    ];
    for (rows, colours) in &cases {
        let g = Graph::record_vec(&x, |x| structured(x, rows));
        let mut plan = JacobianPlan::new(&g);
        assert_eq!(plan.direction(), Direction::Reverse);
        assert_rows_orthogonal(plan.pattern(), plan.row_colouring());
        if let Some(c) = colours {
            assert_eq!(plan.colouring().num_colours(), *c);
            assert_eq!(plan.num_passes(), c.div_ceil(16));
        }
        let x1 = rng.vec(n, -1.0, 1.0);
        let (y, jac) = plan.eval(&x1).unwrap();
        assert_eq!(y, structured(&x1, rows).as_slice());
        let mut forward = JacobianPlan::with_options(&g, Direction::Forward, Order::Best);
        let (_, want) = forward.eval(&x1).unwrap();
        assert_eq!(jac.pattern(), want.pattern());
        for (a, b) in jac.values().iter().zip(want.values()) {
            assert!(close(*a, *b, 1e-15, 1.0), "{a} vs {b}");
        }
    }
    // a banded square Jacobian plus one dense row (a global constraint): every column conflicts
    // with every other (n colours forward, a complete intersection graph that is walked, not
    // stored), the rows need 6 (the dense one and 5 for the band): reverse
    let n = 500;
    let mut rows = banded(n, 2);
    rows[0] = (0..n).collect();
    let x = rng.vec(n, -1.0, 1.0);
    let g = Graph::record_vec(&x, |x| structured(x, &rows));
    let mut plan = JacobianPlan::new(&g);
    assert_eq!(plan.column_colouring().num_colours(), n);
    assert_eq!(plan.row_colouring().num_colours(), 6);
    assert_eq!(
        (plan.direction(), plan.num_passes()),
        (Direction::Reverse, 1)
    );
    let (_, jac) = plan.eval(&x).unwrap();
    for j in [0, 1, 2, 250, n - 1] {
        let e: Vec<f64> = (0..n).map(|k| if k == j { 1.0 } else { 0.0 }).collect();
        let (_, col) = jvp(|x| structured(x, &rows), &x, &e);
        for (i, &want) in col.iter().enumerate() {
            assert!(close(entry(jac, i, j), want, 1e-15, 1.0), "J({i}, {j})");
        }
    }
    // explicitly reverse on a square banded problem, too
    let rows = banded(300, 3);
    let x = rng.vec(300, -1.0, 1.0);
    let g = Graph::record_vec(&x, |x| structured(x, &rows));
    let mut plan = JacobianPlan::with_options(&g, Direction::Reverse, Order::Natural);
    assert_eq!(plan.colouring().num_colours(), 7);
    let (_, jac) = plan.eval(&x).unwrap();
    let (_, dense) = jacobian_with(|x| structured(x, &rows), &x, Chunk::<8>);
    for (i, j) in pattern_of(&rows, 300).entries() {
        assert!(close(entry(jac, i, j), dense[(i, j)], 1e-15, 1.0));
    }
}

/// The sparse Hessian against forward over the tape (`reverse::hvp`, one column per call) for
/// sampled columns, or forward over forward for all of it when n ≤ 60. The entries are sums of
/// up to (degree + 2) terms of size ≤ 3 (|x| ≤ 1, coefficients < 1.5) added in another order:
/// 1e-14 absolute is ~30 ulps of such a sum.
fn check_hessian(edges: &Edges, n: usize, x: &[f64], plan: &mut HessianPlan, rng: &mut Rng) {
    let (value, grad, h) = plan.eval(x).unwrap();
    assert_eq!((h.nrows(), h.ncols(), grad.len()), (n, n, n));
    assert_eq!(value, coupled(x, edges));
    // H is exactly symmetric: both triangles are the same number
    for (i, j, v) in h.triplet_iter() {
        assert_eq!(v.to_bits(), entry(h, j, i).to_bits());
    }
    let tol = |a: f64, b: f64| close(a, b, 1e-14, 1.0);
    if n <= 60 {
        let (_, g, hd) = hessian_with(|x| coupled(x, edges), x, Chunk::<8>);
        for i in 0..n {
            assert!(tol(grad[i], g[i]));
            for j in 0..n {
                assert!(
                    tol(entry(h, i, j), hd[(i, j)]),
                    "H({i}, {j}): {} vs {}",
                    entry(h, i, j),
                    hd[(i, j)]
                );
            }
        }
        return;
    }
    for j in (0..6).map(|_| rng.below(n)).chain([0, n - 1]) {
        let e: Vec<f64> = (0..n).map(|k| if k == j { 1.0 } else { 0.0 }).collect();
        let (_, g, col) = reverse::hvp(|x| coupled(x, edges), x, &e);
        for i in 0..n {
            assert!(tol(grad[i], g[i]));
            assert!(
                tol(entry(h, i, j), col[i]),
                "H({i}, {j}): {} vs {}",
                entry(h, i, j),
                col[i]
            );
        }
    }
}

#[test]
fn sparse_hessians_on_many_structures() {
    let mut rng = Rng::for_test("sparse hessians");
    for n in [1, 2, 13, 60, 300] {
        let x = rng.vec(n, -1.0, 1.0);
        let structures = [
            ("banded", banded(n, 2)),
            ("arrowhead", arrowhead(n)),
            ("block-diagonal", block_diagonal(n, 5)),
            ("random", random_rows(n, n, 2, &mut rng)),
        ];
        for (name, rows) in &structures {
            let edges = edges_of(&symmetrise(rows));
            let g = Graph::record(&x, |x| coupled(x, &edges));
            let mut plan = HessianPlan::new(&g);
            assert_eq!(plan.pattern(), &hessian_structure(&edges, n), "{name}");
            assert_star(plan.pattern(), plan.colouring());
            if *name == "arrowhead" {
                assert!(plan.colouring().num_colours() <= 2);
            }
            let x1 = rng.vec(n, -1.0, 1.0);
            check_hessian(&edges, n, &x1, &mut plan, &mut rng);
        }
    }
    // a few thousand inputs, through the one-call driver
    let n = 3000;
    let x = rng.vec(n, -1.0, 1.0);
    let edges = edges_of(&banded(n, 2));
    let (value, grad, h) = sparse::hessian(|x| coupled(x, &edges), &x);
    assert_eq!(value, coupled(&x, &edges));
    assert_eq!(h.nnz(), hessian_structure(&edges, n).nnz());
    for j in [0, 1, 1234, n - 1] {
        let e: Vec<f64> = (0..n).map(|k| if k == j { 1.0 } else { 0.0 }).collect();
        let (_, g, col) = reverse::hvp(|x| coupled(x, &edges), &x, &e);
        for i in 0..n {
            assert!(close(grad[i], g[i], 1e-14, 1.0));
            assert!(close(entry(&h, i, j), col[i], 1e-14, 1.0), "H({i}, {j})");
        }
    }
}

#[test]
fn rosenbrock_hessian_in_three_colours_for_any_n() {
    for n in [1, 2, 3, 4, 5, 8, 100, 2001] {
        let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.1 * ((i * 7) % 11) as f64).collect();
        let mut plan = HessianPlan::new(&Graph::record(&x, rosenbrock));
        // a path of 4 or more vertices needs 3 (of 3, 2: both ends share one)
        let colours = plan.colouring().num_colours();
        assert!(
            colours <= 3 && (n < 4 || colours == 3),
            "n = {n}: {colours} colours"
        );
        assert_eq!(plan.num_passes(), 1);
        let (_, _, h) = plan.eval(&x).unwrap();
        // (n = 1: no term, the constant 0)
        assert_eq!(h.nnz(), if n == 1 { 0 } else { 3 * n - 2 });
        // by hand: h_ii = 1200xᵢ² − 400xᵢ₊₁ + 2 (i < n−1) + 200 (i > 0), h_i,i+1 = −400xᵢ
        // (the same few terms in another order: 1e-13 relative is a few ulps of 1200xᵢ²)
        for i in 0..n {
            let mut d = 0.0;
            if i + 1 < n {
                d += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
                assert_eq!(entry(h, i, i + 1), -400.0 * x[i]);
            }
            if i > 0 {
                d += 200.0;
            }
            assert!(
                close(entry(h, i, i), d, 1e-13, 1.0),
                "h_{i}{i}: {} vs {d}",
                entry(h, i, i)
            );
        }
    }
}

/// On random programs the compressed Hessian agrees with forward over forward: the gradient
/// graph's dependencies stay inside the detected pattern, so no colour group mixes entries. The
/// programs' values and partials are O(1) but products of partials through 20 operations can
/// reach ~10², so the tolerance is 1e-12 of max(|entry|, 1).
#[test]
fn compressed_hessians_of_random_programs() {
    let mut rng = Rng::for_test("random hessians");
    let n = 8;
    let mut worst: f64 = 0.0;
    for _ in 0..40 {
        let ops = random_program(n, 25, &mut rng);
        let x = rng.vec(n, -1.5, 1.5);
        let g = Graph::record(&x, |x| run_program(&ops, 1, x)[0]);
        let mut plan = HessianPlan::new(&g);
        assert_star(plan.pattern(), plan.colouring());
        let (_, grad, h) = plan.eval(&x).unwrap();
        let (_, g2, hd) = hessian_with(|x| run_program(&ops, 1, x)[0], &x, Chunk::<8>);
        for i in 0..n {
            worst = worst.max(rel_err(grad[i], g2[i], 1.0));
            for j in 0..n {
                worst = worst.max(rel_err(entry(h, i, j), hd[(i, j)], 1.0));
            }
        }
    }
    assert!(worst <= 1e-12, "worst relative difference {worst:e}");
}

// ---------------------------------------------------------------------------------------------
// Guards
// ---------------------------------------------------------------------------------------------

/// Two branches with different patterns: x₀x₁ (and x₂ linear) on one side, x₂x₃ on the other.
/// The plan keeps the generic-function path's seeded inputs between calls (for the chunk width
/// of the last call): reused at new inputs, replaced for another width, cloned with the plan, it
/// gives the same bits as a fresh plan; the in-place form the same as the `Vec` one, and an output
/// the function does not write is 0 with zero derivative.
#[test]
fn eval_fn_reuses_its_buffers_bit_identically() {
    let mut rng = Rng::for_test("eval_fn buffers");
    let n = 150;
    let x0 = rng.vec(n, -1.0, 1.0);
    let rows = banded(n, 4); // 9 colours: 3 passes of 4 lanes, 2 of 8
    let g = Graph::record_vec(&x0, |x| structured(x, &rows));
    let mut plan = JacobianPlan::new(&g);
    assert_eq!(plan.column_colouring().num_colours(), 9);
    let fresh = |x: &[f64]| -> (Vec<f64>, CscMatrix<f64>) {
        let mut p = JacobianPlan::new(&g);
        let (y, jac) = p.eval_fn(|x| structured(x, &rows), x, Chunk::<4>).unwrap();
        (y.to_vec(), jac.clone())
    };
    for step in 0..4 {
        let x = rng.vec(n, -1.0, 1.0);
        let want = fresh(&x);
        let (y, jac) = plan
            .eval_fn(|x| structured(x, &rows), &x, Chunk::<4>)
            .unwrap();
        assert_eq!((y, jac), (want.0.as_slice(), &want.1), "step {step}");
        let (y, jac) = plan
            .eval_fn_inplace(|x, out| structured_inplace(x, out, &rows), &x, Chunk::<4>)
            .unwrap();
        assert_eq!((y, jac), (want.0.as_slice(), &want.1), "step {step}");
        // another width replaces the buffers; the entries are the same numbers
        let (y, jac) = plan
            .eval_fn(|x| structured(x, &rows), &x, Chunk::<8>)
            .unwrap();
        assert_eq!(y, want.0.as_slice(), "step {step}");
        assert_eq!(jac.values(), want.1.values(), "step {step}");
        // a clone keeps them
        let mut copy = plan.clone();
        let (y, jac) = copy
            .eval_fn(|x| structured(x, &rows), &x, Chunk::<8>)
            .unwrap();
        assert_eq!((y, jac), (want.0.as_slice(), &want.1), "step {step}");
    }
    // an output not written: 0 with zero derivative, even right after a call that wrote it (the
    // outputs are reset before each pass)
    let x = rng.vec(n, -1.0, 1.0);
    for _ in 0..2 {
        let (y, jac) = plan
            .eval_fn_inplace(|x, out| structured_inplace(x, out, &rows), &x, Chunk::<4>)
            .unwrap();
        assert!(y[3] != 0.0 && jac.get_entry(3, 3).unwrap().into_value() != 0.0);
        let (y, jac) = plan
            .eval_fn_inplace(
                |x, out| {
                    let mut full = structured(x, &rows);
                    full.truncate(3);
                    out[..3].copy_from_slice(&full);
                },
                &x,
                Chunk::<4>,
            )
            .unwrap();
        assert_eq!(y[3..], vec![0.0; n - 3][..]);
        assert!((3..n).all(|i| jac.get_entry(i, i).unwrap().into_value() == 0.0));
    }
}

fn branchy<T: Float>(x: &[T]) -> Vec<T> {
    if x[0] > T::zero() {
        vec![x[0] * x[1] + x[2], x[1].sin()]
    } else {
        vec![x[2] * x[3], x[1].sin()]
    }
}

#[test]
fn guards_are_respected() {
    let x0 = [1.0, 2.0, 3.0, 4.0];
    let g = Graph::record_vec(&x0, branchy);
    assert!(g.num_guards() > 0);
    let p = jacobian_pattern(&g);
    assert_eq!(
        p.entries().collect::<Vec<_>>(),
        [(0, 0), (0, 1), (1, 1), (0, 2)]
    );
    let same = [0.5, -1.0, 2.0, 7.0];
    let other = [-0.5, -1.0, 2.0, 7.0];
    for direction in [Direction::Forward, Direction::Reverse] {
        let mut plan = JacobianPlan::with_options(&g, direction, Order::Best);
        let (y, jac) = plan.eval(&same).unwrap();
        assert_eq!(y, branchy(&same).as_slice());
        assert_eq!(entry(jac, 0, 0), -1.0);
        // across the branch: an error, never a Jacobian of the wrong pattern
        assert!(matches!(plan.eval(&other), Err(GraphError::Guard { .. })));
        assert!(matches!(
            plan.eval_fn(branchy, &other, Chunk::<2>),
            Err(GraphError::Guard { .. })
        ));
        assert!(plan.eval_fn(branchy, &same, Chunk::<2>).is_ok());
        // a wrong length is an error too
        assert!(matches!(
            plan.eval(&[1.0]),
            Err(GraphError::InputLength { .. })
        ));
        assert!(matches!(
            plan.eval_fn(branchy, &[1.0], Chunk::<2>),
            Err(GraphError::InputLength { .. })
        ));
        let branchy_inplace = |x: &[_], out: &mut [_]| out.copy_from_slice(&branchy(x));
        assert!(matches!(
            plan.eval_fn_inplace(branchy_inplace, &other, Chunk::<2>),
            Err(GraphError::Guard { .. })
        ));
        assert!(matches!(
            plan.eval_fn_inplace(branchy_inplace, &[1.0], Chunk::<2>),
            Err(GraphError::InputLength { .. })
        ));
        assert!(
            plan.eval_fn_inplace(branchy_inplace, &same, Chunk::<2>)
                .is_ok()
        );
    }
    // Hessians: the guards of the function (the branch), not those of its derivative rules
    // (abs's derivative, signum, is a node: no guard): d²/dx₂² (|x₂|·x₂) = 2·signum(x₂)
    fn f<T: Float>(x: &[T]) -> T {
        let s = x[0] * x[1];
        if s > T::one() {
            s.sin() + x[2].abs() * x[2]
        } else {
            s * x[2]
        }
    }
    let g = Graph::record(&x0[..3], f);
    let mut plan = HessianPlan::new(&g);
    // abs changes sign: no guard
    let (v, _, h) = plan.eval(&[1.0, 2.0, -3.0]).unwrap();
    assert_eq!(v, f(&[1.0, 2.0, -3.0]));
    assert_eq!(entry(h, 2, 2), -2.0);
    let err = plan.eval(&[0.1, 2.0, 3.0]).unwrap_err(); // the branch changes
    assert_eq!(err, g.eval(&[0.1, 2.0, 3.0]).unwrap_err());
    let (v, _, h) = plan.eval(&[1.5, 2.0, 0.5]).unwrap();
    assert_eq!(v, f(&[1.5, 2.0, 0.5]));
    assert_eq!(entry(h, 2, 2), 2.0);
}

// ---------------------------------------------------------------------------------------------
// Serial and parallel (feature `rayon`)
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "rayon")]
mod parallel {
    use super::*;
    use nalgebra::DMatrix;
    use nilpotent::sparse::{par_hessian_with, par_jacobian_with};

    fn bits(m: &CscMatrix<f64>) -> Vec<u64> {
        m.values().iter().map(|v| v.to_bits()).collect()
    }

    fn bits_dense(m: &DMatrix<f64>) -> Vec<u64> {
        m.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn parallel_sparse_passes_are_bit_identical() {
        let mut rng = Rng::for_test("parallel sparse");
        let n = 300;
        let x = rng.vec(n, -1.0, 1.0);
        // 37 column colours: 3 forward passes (16, 16 and 5 lanes)
        let rows = banded(n, 18);
        let g = Graph::record_vec(&x, |x| structured(x, &rows));
        let mut plan = JacobianPlan::with_options(&g, Direction::Forward, Order::Best);
        assert_eq!(plan.num_passes(), 3);
        let (y, jac) = plan.eval(&x).unwrap();
        let (y, jac) = (y.to_vec(), bits(jac));
        let (py, pjac) = plan.par_eval(&x).unwrap();
        assert_eq!((py, bits(pjac)), (y.as_slice(), jac.clone()));
        let (_, fjac) = plan
            .eval_fn(|x| structured(x, &rows), &x, Chunk::<4>)
            .unwrap();
        let fjac = bits(fjac);
        let (_, pfjac) = plan
            .par_eval_fn(|x| structured(x, &rows), &x, Chunk::<4>)
            .unwrap();
        assert_eq!(bits(pfjac), fjac);
        let (_, pfjac) = plan
            .par_eval_fn_inplace(|x, out| structured_inplace(x, out, &rows), &x, Chunk::<4>)
            .unwrap();
        assert_eq!(bits(pfjac), fjac);
        // reverse: 40 dense rows, 3 backward sweeps
        let rows: Rows = (0..40).map(|_| (0..n).collect()).collect();
        let g = Graph::record_vec(&x, |x| structured(x, &rows));
        let mut plan = JacobianPlan::new(&g);
        assert_eq!(
            (plan.direction(), plan.num_passes()),
            (Direction::Reverse, 3)
        );
        let jac = bits(plan.eval(&x).unwrap().1);
        assert_eq!(bits(plan.par_eval(&x).unwrap().1), jac);
        // Hessian: blocks of 20, 20 colours, 2 passes
        let edges = edges_of(&block_diagonal(n, 20));
        let g = Graph::record(&x, |x| coupled(x, &edges));
        let mut plan = HessianPlan::new(&g);
        assert_eq!(plan.num_passes(), 2);
        let (v, grad, h) = plan.eval(&x).unwrap();
        let (v, grad, h) = (v, grad.to_vec(), bits(h));
        let (pv, pgrad, ph) = plan.par_eval(&x).unwrap();
        assert_eq!(
            (pv.to_bits(), pgrad, bits(ph)),
            (v.to_bits(), grad.as_slice(), h)
        );
        // guards fail the same way in parallel
        let g = Graph::record_vec(&[1.0, 2.0, 3.0, 4.0], branchy);
        let mut plan = JacobianPlan::new(&g);
        let serial = plan.eval(&[-1.0, 2.0, 3.0, 4.0]).unwrap_err();
        assert_eq!(plan.par_eval(&[-1.0, 2.0, 3.0, 4.0]).unwrap_err(), serial);
    }

    #[test]
    fn parallel_dense_drivers_are_bit_identical() {
        let mut rng = Rng::for_test("parallel dense");
        let n = 70;
        let x = rng.vec(n, -1.0, 1.0);
        let rows = random_rows(n, n, 20, &mut rng);
        let f = |x: &[_]| structured(x, &rows);
        let (y, jac) = jacobian_with(f, &x, Chunk::<8>);
        let (py, pjac) = par_jacobian_with(f, &x, Chunk::<8>);
        assert_eq!(y, py);
        assert_eq!(bits_dense(&jac), bits_dense(&pjac));
        let edges = edges_of(&symmetrise(&rows));
        let h = |x: &[_]| coupled(x, &edges);
        let (v, g, hd) = hessian_with(h, &x, Chunk::<8>);
        let (pv, pg, phd) = par_hessian_with(h, &x, Chunk::<8>);
        assert_eq!((v.to_bits(), g), (pv.to_bits(), pg));
        assert_eq!(bits_dense(&hd), bits_dense(&phd));
        // n = 0 and a remainder chunk
        let squares = |x: &[nilpotent::Dual<f64, 8>]| x.iter().map(|&v| v * v).collect::<Vec<_>>();
        assert_eq!(
            par_jacobian_with(squares, &[], Chunk::<8>),
            jacobian_with(squares, &[], Chunk::<8>)
        );
        let x = rng.vec(13, -1.0, 1.0);
        let rows = banded(13, 3);
        let f = |x: &[_]| structured(x, &rows);
        assert_eq!(
            par_jacobian_with(f, &x, Chunk::<4>),
            jacobian_with(f, &x, Chunk::<4>)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Issue 20, item 7: colourings that go quadratic and waste work
// ---------------------------------------------------------------------------------------------

/// y₀ = Σ xᵢ, yᵢ = xᵢ² (i ≥ 1): one dense row, so the column intersection graph is complete (n
/// colours forward) while the rows need 2.
fn arrow<T: Float>(x: &[T]) -> Vec<T> {
    let mut y = vec![x.iter().fold(T::zero(), |s, &v| s + v)];
    y.extend(x[1..].iter().map(|&v| v * v));
    y
}

/// yᵢ = x₀·xᵢ + xᵢ (i ≥ 1): one dense column, so the row intersection graph is complete (m
/// colours in reverse) while the columns need 2.
fn fan<T: Float>(x: &[T]) -> Vec<T> {
    x[1..].iter().map(|&v| x[0] * v + v).collect()
}

/// The cost model of `Direction::Auto` as documented: a forward pass of W ≤ 16 lanes costs
/// 1 + W/3, reverse mode ⌈colours/16⌉ + 2.
fn documented_costs(columns: usize, rows: usize) -> (f64, f64) {
    let forward = (0..columns.max(1))
        .step_by(16)
        .map(|first| 1.0 + (columns - first).min(16) as f64 / 3.0)
        .sum();
    (forward, rows.div_ceil(16) as f64 + 2.0)
}

/// The plan's direction and colouring are those the full colourings (every order, both
/// directions, nothing abandoned) give: pruning by lower bounds and abandoning colourings only
/// saves work. The structures are random (both directions win sometimes), plus the arrowhead and
/// its transpose.
#[test]
fn colourings_go_quadratic_and_waste_work_pruning_changes_no_choice() {
    let mut rng = Rng::for_test("pruned colourings");
    let mut seen = [0usize; 2];
    let mut cases: Vec<(Rows, usize)> = (0..60)
        .map(|_| {
            let (m, n) = (1 + rng.below(60), 1 + rng.below(60));
            let per_row = rng.below(2 + n / 3);
            (random_rows(m, n, per_row, &mut rng), n)
        })
        .collect();
    cases.push((arrowhead(50), 50));
    cases.push(((1..50).map(|i| vec![0, i]).collect(), 50));
    for (rows, n) in &cases {
        let x = rng.vec(*n, -1.0, 1.0);
        let g = Graph::record_vec(&x, |x| structured(x, rows));
        let p = jacobian_pattern(&g);
        let (c, r) = (
            column_colouring(&p, Order::Best),
            row_colouring(&p, Order::Best),
        );
        let (fc, rc) = documented_costs(c.num_colours(), r.num_colours());
        let want = if rc < fc {
            Direction::Reverse
        } else {
            Direction::Forward
        };
        let plan = JacobianPlan::new(&g);
        assert_eq!(plan.direction(), want, "{rows:?}");
        seen[usize::from(want == Direction::Reverse)] += 1;
        assert_eq!(
            plan.colouring(),
            if want == Direction::Reverse { &r } else { &c }
        );
        // the other colouring, made on demand, is the full one too
        assert_eq!(plan.column_colouring(), &c);
        assert_eq!(plan.row_colouring(), &r);
        for d in [Direction::Forward, Direction::Reverse] {
            let plan = JacobianPlan::with_options(&g, d, Order::Best);
            let want = if d == Direction::Reverse { &r } else { &c };
            assert_eq!(plan.colouring(), want);
        }
    }
    assert!(
        seen[0] > 5 && seen[1] > 5,
        "both directions chosen: {seen:?}"
    );
}

/// The arrowhead at n = 100 000: the columns form a clique of n (5·10⁹ column pairs), the rows
/// need 2 colours. The plan must go reverse by the lower bounds alone, without walking the
/// column pairs (before: minutes and gigabytes at n = 10 000); and the transposed structure (a
/// dense column) forward without walking the row pairs. Entries against the closed forms.
#[test]
fn colourings_go_quadratic_and_waste_work() {
    let n = 100_000;
    let x: Vec<f64> = (0..n).map(|i| 0.5 + (i as f64 * 0.37).sin()).collect();
    let g = Graph::record_vec(&x, arrow);
    for plan in [
        JacobianPlan::new(&g),
        JacobianPlan::with_options(&g, Direction::Reverse, Order::Best),
    ] {
        let mut plan = plan;
        assert_eq!(plan.direction(), Direction::Reverse);
        assert_eq!((plan.colouring().num_colours(), plan.num_passes()), (2, 1));
        let (y, jac) = plan.eval(&x).unwrap();
        assert_eq!(y[7], x[7] * x[7]);
        assert_eq!(jac.nnz(), 2 * n - 1);
        for j in [0, 1, 777, n - 1] {
            assert_eq!(entry(jac, 0, j), 1.0);
            if j > 0 {
                assert_eq!(entry(jac, j, j), 2.0 * x[j]);
            }
        }
    }
    let g = Graph::record_vec(&x, fan);
    let mut plan = JacobianPlan::new(&g);
    assert_eq!(plan.direction(), Direction::Forward);
    assert_eq!((plan.colouring().num_colours(), plan.num_passes()), (2, 1));
    let (_, jac) = plan.eval(&x).unwrap();
    for i in [1, 2, 5000, n - 1] {
        assert_eq!(entry(jac, i - 1, 0), x[i]);
        assert_eq!(entry(jac, i - 1, i), x[0] + 1.0);
    }
    // forward asked on the arrowhead: n colours, found in index order (the lower bound: no other
    // order is tried), ⌈n/16⌉ passes; entries against the closed forms
    let n = 3000;
    let g = Graph::record_vec(&x[..n], arrow);
    let mut plan = JacobianPlan::with_options(&g, Direction::Forward, Order::Best);
    assert_eq!(plan.colouring().num_colours(), n);
    assert_eq!(plan.colouring().order(), Order::Natural);
    assert_eq!(plan.num_passes(), n.div_ceil(16));
    let (_, jac) = plan.eval(&x[..n]).unwrap();
    for j in [0, 1, 1234, n - 1] {
        assert_eq!(entry(jac, 0, j), 1.0);
        if j > 0 {
            assert_eq!(entry(jac, j, j), 2.0 * x[j]);
        }
    }
}

/// 9 to 16 colours take one pass (of 12 or 16 lanes), and its entries are those of passes of 8
/// lanes (the generic function on `Dual<f64, 8>`: the same operations lane by lane) bit for bit.
#[test]
fn colourings_go_quadratic_and_waste_work_one_pass_for_up_to_16_colours() {
    let mut rng = Rng::for_test("16 lanes");
    let n = 400;
    for half in [4, 5, 7] {
        let rows = banded(n, half);
        let x = rng.vec(n, -1.0, 1.0);
        let g = Graph::record_vec(&x, |x| structured(x, &rows));
        let mut plan = JacobianPlan::with_options(&g, Direction::Forward, Order::Best);
        assert_eq!(plan.colouring().num_colours(), 2 * half + 1);
        assert_eq!(plan.num_passes(), 1);
        let (y, jac) = plan.eval(&x).unwrap();
        let (y, jac) = (y.to_vec(), jac.clone());
        let (y8, jac8) = plan
            .eval_fn(|x| structured(x, &rows), &x, Chunk::<8>)
            .unwrap();
        assert_eq!(y8, y.as_slice());
        let bits = |m: &CscMatrix<f64>| m.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(jac8), bits(&jac));
        let (_, dense) = jacobian_with(|x| structured(x, &rows), &x, Chunk::<8>);
        for (i, j) in pattern_of(&rows, n).entries() {
            assert_eq!(entry(&jac, i, j), dense[(i, j)]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Issue 20, item 8: spurious guard errors in reverse Jacobian plans
// ---------------------------------------------------------------------------------------------

/// Branch-free, with kinks: `abs`, `max`, `min`. 3 rows, every column in row 1: reverse mode.
fn kinks<T: Float>(x: &[T]) -> Vec<T> {
    let n = x.len();
    let half = T::from(0.5).unwrap();
    let y0 = (0..n / 2).fold(T::zero(), |s, k| s + x[2 * k].abs() * x[2 * k + 1]);
    let y1 = (0..n).fold(T::zero(), |s, i| s + x[i].max(x[(i + 1) % n]));
    let y2 = (0..n / 2).fold(T::zero(), |s, k| s + x[2 * k + 1].min(half) * x[2 * k]);
    vec![y0, y1, y2]
}

/// A plan in reverse mode on branch-free code with `abs`, `max` and `min` evaluates at inputs on
/// both sides of every switch (before: `GraphError::Guard` naming a node of an internal
/// derivative graph), serially and in parallel, with the entries of forward mode (the dense
/// driver on `Dual`) and of the forward plan: each entry here is a single product or a sum of
/// ones and halves, so they are equal as numbers. At the recording point's side, where graph
/// mode's Jacobian graph evaluates too, the entries are that graph's bit for bit.
#[test]
fn spurious_guard_errors_in_reverse_jacobian_plans() {
    let n = 40;
    let x0: Vec<f64> = (0..n).map(|i| 1.0 + 0.1 * i as f64).collect(); // all kinks on one side
    let g = Graph::record_vec(&x0, kinks);
    assert_eq!(g.num_guards(), 0, "branch-free code records no guard");
    let jac_graph = g.jacobian();
    let mut rng = Rng::for_test("kinks");
    let mut points = vec![x0.clone(), rng.vec(n, 0.1, 2.0)];
    points.extend((0..3).map(|_| rng.vec(n, -1.0, 1.0))); // both sides of abs, max, min
    let mut tie = rng.vec(n, -1.0, 1.0);
    tie[3] = tie[4]; // a max tie (½ each) and a min tie (x₅ = ½)
    tie[5] = 0.5;
    tie[6] = -0.0; // abs at −0: sign bit, −1
    points.push(tie);
    let p = jacobian_pattern(&g);
    for direction in [Direction::Auto, Direction::Reverse] {
        let mut plan = JacobianPlan::with_options(&g, direction, Order::Best);
        assert_eq!(plan.direction(), Direction::Reverse);
        let mut forward = JacobianPlan::with_options(&g, Direction::Forward, Order::Best);
        for x in &points {
            let (y, jac) = plan.eval(x).expect("no guard in a branch-free plan");
            let (y, jac) = (y.to_vec(), jac.clone());
            assert_eq!(y, kinks(x));
            let (_, dense) = jacobian_with(kinks, x, Chunk::<8>);
            let (_, fwd) = forward.eval(x).unwrap();
            for (i, j) in p.entries() {
                assert_eq!(entry(&jac, i, j), dense[(i, j)], "J({i}, {j}) at {x:?}");
                assert_eq!(entry(&jac, i, j), entry(fwd, i, j));
            }
            #[cfg(feature = "rayon")]
            {
                let (py, pjac) = plan.par_eval(x).unwrap();
                assert_eq!(py, y.as_slice());
                let bits =
                    |m: &CscMatrix<f64>| m.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(pjac), bits(&jac));
            }
            if x.iter().all(|&v| v > 0.6) {
                // graph mode's Jacobian graph (its rule guards hold on this side)
                let out = jac_graph.eval(x).unwrap();
                for (i, j) in p.entries() {
                    assert_eq!(entry(&jac, i, j).to_bits(), out[3 + i * n + j].to_bits());
                }
            }
        }
    }
}

/// [`structured`] with kinks: yᵢ = sin(Σⱼ aᵢⱼ|xⱼ|) + Σⱼ bᵢⱼ·max(xⱼ, xᵢ)·xⱼ (|xⱼ| shared by every
/// row of column j).
fn kinked_structured<T: Float>(x: &[T], rows: &Rows) -> Vec<T> {
    let abs: Vec<T> = x.iter().map(|v| v.abs()).collect();
    rows.iter()
        .enumerate()
        .map(|(i, cols)| {
            let (mut z, mut q) = (T::zero(), T::zero());
            for &j in cols {
                z = z + T::from(coef(i, j)).unwrap() * abs[j];
                q = q + T::from(coef(j, i) - 1.0).unwrap() * x[j].max(x[i % x.len()]) * x[j];
            }
            z.sin() + q
        })
        .collect()
}

/// The same on random structures with 17 to 40 row colours (two or three sweeps of up to 16),
/// with nodes shared by rows of different colours (|xⱼ|, xᵢ in every max), against the dense
/// forward driver and the forward plan at inputs of mixed signs: sums of up to 20 terms of size
/// ≤ 3 added in another order, so 1e-14 absolute.
#[test]
fn spurious_guard_errors_in_reverse_jacobian_plans_on_random_structures() {
    let mut rng = Rng::for_test("kinked structures");
    for _ in 0..6 {
        let (m, n) = (40 + rng.below(20), 120);
        let mut rows = random_rows(m, n, 12, &mut rng);
        for r in rows.iter_mut().take(17 + rng.below(20)) {
            r.push(0); // a dense-ish column: these rows need a colour each
            r.sort_unstable();
            r.dedup();
        }
        let x0 = rng.vec(n, 0.5, 1.0);
        let g = Graph::record_vec(&x0, |x| kinked_structured(x, &rows));
        assert_eq!(g.num_guards(), 0);
        let mut plan = JacobianPlan::with_options(&g, Direction::Reverse, Order::Best);
        assert!(
            plan.num_passes() >= 2,
            "{} colours",
            plan.colouring().num_colours()
        );
        let mut forward = JacobianPlan::with_options(&g, Direction::Forward, Order::Best);
        for x in [x0.clone(), rng.vec(n, -1.0, 1.0), rng.vec(n, -1.0, 1.0)] {
            let (y, jac) = plan.eval(&x).expect("no guard in a branch-free plan");
            let (y, jac) = (y.to_vec(), jac.clone());
            assert_eq!(y, kinked_structured(&x, &rows));
            let (_, dense) = jacobian_with(|x| kinked_structured(x, &rows), &x, Chunk::<8>);
            let (_, fwd) = forward.eval(&x).unwrap();
            for (i, j) in plan.pattern().entries() {
                let v = entry(&jac, i, j);
                assert!(
                    close(v, dense[(i, j)], 1e-14, 1.0),
                    "J({i}, {j}): {v} vs {}",
                    dense[(i, j)]
                );
                assert!(close(v, entry(fwd, i, j), 1e-14, 1.0));
            }
            #[cfg(feature = "rayon")]
            {
                let bits =
                    |m: &CscMatrix<f64>| m.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(plan.par_eval(&x).unwrap().1), bits(&jac));
            }
        }
    }
}

/// A real branch of the function still fails in a reverse plan, serially and in parallel, with
/// the error evaluating the function's own graph gives (naming its nodes, which its listing
/// shows), not one about a node of an internal graph.
#[test]
fn spurious_guard_errors_in_reverse_jacobian_plans_name_the_users_nodes() {
    // `branchy` (smooth on each branch), and one with kinks too (whose reverse sweeps compute
    // the partials at run time)
    fn branchy_kinked<T: Float>(x: &[T]) -> Vec<T> {
        let y = branchy(x);
        vec![y[0] * x[3].abs(), y[1].max(x[2])]
    }
    let x0 = [1.0, 2.0, 3.0, 4.0];
    let other = [-0.5, -1.0, 2.0, 7.0];
    for (f, direction) in [branchy::<Sym> as fn(&[Sym]) -> Vec<Sym>, branchy_kinked]
        .into_iter()
        .flat_map(|f| {
            [Direction::Auto, Direction::Reverse, Direction::Forward].map(move |d| (f, d))
        })
    {
        let g = Graph::record_vec(&x0, f);
        let want = g.eval(&other).unwrap_err();
        assert!(matches!(want, GraphError::Guard { .. }));
        let listing = g.to_string();
        let mut plan = JacobianPlan::with_options(&g, direction, Order::Best);
        assert!(plan.eval(&x0).is_ok());
        let err = plan.eval(&other).unwrap_err();
        assert_eq!(err, want, "{direction:?}");
        #[cfg(feature = "rayon")]
        assert_eq!(plan.par_eval(&other).unwrap_err(), want);
        // it speaks of the user's inputs (issue 25: `x[0] > 0.0`, not node numbers), and a node
        // it names (an expression too long to spell out) is one of the listing's
        let message = err.to_string();
        assert!(message.contains("x["), "{message}");
        for named in message
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.starts_with('v') && w[1..].parse::<u32>().is_ok())
        {
            assert!(
                listing.contains(&format!("{named} =")),
                "{message}\n{listing}"
            );
        }
    }
}

/// Branch-free, with kinks, for Hessians: `abs`, `max`, `min` in nonlinear terms.
fn kinked_sum<T: Float>(x: &[T]) -> T {
    let half = T::from(0.5).unwrap();
    (0..x.len() - 2).fold(T::zero(), |s, i| {
        let m = x[i].max(x[i + 1]);
        s + x[i].abs() * x[i] * x[i + 1] + m * m + x[i].min(half) * x[i + 2]
    })
}

/// The same defect in Hessian plans (their passes used the gradient graph, which carries the
/// derivative rules' guards): branch-free code with `abs`, `max` and `min` evaluates at inputs
/// on both sides of every switch, serially and in parallel (bit-identical), against forward over
/// forward (`hessian_with`, dense). The entries are sums of a few terms of size ≤ 4 added in
/// another order: 1e-14 absolute is a few ulps.
#[test]
fn spurious_guard_errors_in_hessian_plans() {
    let n = 30;
    let x0: Vec<f64> = (0..n).map(|i| 1.0 + 0.05 * i as f64).collect();
    let g = Graph::record(&x0, kinked_sum);
    assert_eq!(g.num_guards(), 0, "branch-free code records no guard");
    let mut plan = HessianPlan::new(&g);
    let mut rng = Rng::for_test("kinked Hessian");
    let mut points = vec![x0.clone()];
    points.extend((0..4).map(|_| rng.vec(n, -1.0, 1.0)));
    let mut tie = rng.vec(n, -1.0, 1.0);
    tie[3] = tie[4]; // a max tie
    tie[7] = 0.5; // a min tie
    tie[9] = -0.0; // abs at −0
    points.push(tie);
    let p = plan.pattern().clone();
    for x in &points {
        let (v, grad, h) = plan.eval(x).expect("no guard in a branch-free plan");
        let (v, grad, h) = (v, grad.to_vec(), h.clone());
        let (dv, dgrad, dh) = hessian_with(kinked_sum, x, Chunk::<4>);
        assert_eq!(v, dv);
        assert_eq!(v, kinked_sum(x));
        for i in 0..n {
            assert!(close(grad[i], dgrad[i], 1e-15, 1.0), "∂f/∂x{i}");
        }
        for i in 0..n {
            for j in 0..n {
                let want = dh[(i, j)];
                if p.contains(i, j) {
                    assert!(
                        close(entry(&h, i, j), want, 1e-14, 1.0),
                        "H({i}, {j}) at {x:?}"
                    );
                } else {
                    assert_eq!(want, 0.0, "H({i}, {j}) outside the pattern");
                }
            }
        }
        #[cfg(feature = "rayon")]
        {
            let (pv, pgrad, ph) = plan.par_eval(x).unwrap();
            let bits =
                |m: &CscMatrix<f64>| m.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!((pv.to_bits(), pgrad), (v.to_bits(), grad.as_slice()));
            assert_eq!(bits(ph), bits(&h));
        }
    }
}

/// Hessian plans over run-time sweeps dropped second derivatives behind a zero adjoint: the
/// sweep skipped every adjoint whose *value* is 0 (`is_zero`, which on dual numbers answers for
/// the value alone), but over dual numbers such an adjoint may carry a tangent.
/// f = max(x₀, x₁)² + x₀·|x₀|·x₂ at x₀ = ±0 > x₁: the adjoint of the max is 2·max = 0 with tangent 2 in x₀'s lane,
/// so ∂²f/∂x₀² = 2 + 2·signum(x₀)·x₂; checked against forward over forward mode and against the
/// Hessian graph recorded at the point.
#[test]
fn hessian_plans_keep_second_derivatives_behind_a_zero_adjoint() {
    fn f<T: Float>(x: &[T]) -> T {
        let m = x[0].max(x[1]);
        m * m + x[0] * x[0].abs() * x[2]
    }
    let g = Graph::record(&[1.0, 0.5, 2.0], f);
    assert!(
        g.gradient().num_guards() > g.num_guards(),
        "a plan over run-time sweeps"
    );
    let mut plan = HessianPlan::new(&g);
    for x in [[0.0, -1.0, 3.0], [-0.0, -1.0, 3.0], [0.0, -0.5, -2.0]] {
        let (_, grad, h) = plan.eval(&x).unwrap();
        let (grad, h) = (grad.to_vec(), h.clone());
        let (_, fgrad, fh) = hessian_with(f, &x, Chunk::<3>);
        let dense = Graph::record(&x, f).hessian().eval(&x).unwrap();
        assert_eq!(grad, fgrad);
        let h00 = 2.0 + 2.0 * 1f64.copysign(x[0]) * x[2];
        for i in 0..3 {
            for j in 0..3 {
                assert_eq!(entry(&h, i, j), fh[(i, j)], "H({i}, {j}) at {x:?}");
                assert_eq!(
                    entry(&h, i, j),
                    dense[4 + 3 * i + j],
                    "H({i}, {j}) at {x:?}"
                );
            }
        }
        assert_eq!(entry(&h, 0, 0), h00, "at {x:?}");
    }
}
