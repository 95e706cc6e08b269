//! Colourings: which columns (or rows) of a sparse matrix can share one evaluation pass.
//!
//! **Columns of a Jacobian** (forward mode): two columns may share a colour when no row has an
//! entry in both (they are *structurally orthogonal*). Seeding each input with the unit tangent of
//! its colour then gives, in each output's tangent lane c, the entry of the one column of colour c
//! that output depends on. This is a distance-1 colouring of the column intersection graph (columns
//! adjacent when they share a row).
//!
//! **Rows of a Jacobian** (reverse mode): the same for the transpose. Two rows share a colour when
//! no column has an entry in both; one reverse sweep from the sum of the outputs of a colour then
//! gives each of those rows. Pays when there are far fewer rows than columns (m ≪ n).
//!
//! **Hessians** (star colouring): H is symmetric, so an entry h_ij may be read either from row i of
//! H·S (if j is the only column of its colour in row i) or from row j (if i is the only one of its
//! colour in row j). A *star colouring* of the adjacency graph of H (a distance-1 colouring in which
//! every path on four vertices uses at least three colours: every two-coloured subgraph is a union
//! of stars) guarantees one of the two for every entry, so H is recovered directly from the
//! compressed products, with fewer colours than a distance-1 colouring of H's columns would need:
//! a tridiagonal Hessian needs 3.
//!
//! Every colouring is greedy: vertices are taken in an [`Order`] and each gets the smallest colour
//! its constraints allow. [`Order::Best`] tries each order and keeps the fewest colours.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::Pattern;

/// The order in which a greedy colouring takes the vertices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Order {
    /// Index order.
    Natural,
    /// Decreasing degree in the conflict graph (ties in index order).
    LargestFirst,
    /// Smallest-last (Matula and Beck): repeatedly remove a vertex of smallest remaining degree,
    /// and colour in the reverse order of removal.
    SmallestLast,
    /// Dynamic: next the uncoloured vertex whose neighbours already have the most distinct colours
    /// (DSATUR; ties: larger degree, then smaller index). Finds the 5 colours of a 5-point stencil,
    /// where the static orders need 7.
    SaturationDegree,
    /// Each of the orders above; the colouring with the fewest colours (on a tie, the first in the
    /// order listed).
    Best,
}

impl Order {
    /// The orders [`Order::Best`] tries, in its order of preference.
    pub const ALL: [Order; 4] = [
        Order::Natural,
        Order::LargestFirst,
        Order::SmallestLast,
        Order::SaturationDegree,
    ];
}

/// A colour (0, 1, …) for each column, row or vertex.
///
/// ```
/// use nilpotent::sparse::{column_colouring, Order, Pattern};
/// // a tridiagonal 4 × 4 pattern: columns 0 and 3 share no row
/// let p = Pattern::from_entries(4, 4, (0..4usize).flat_map(|i| {
///     (i.saturating_sub(1)..(i + 2).min(4)).map(move |j| (i, j))
/// }));
/// let c = column_colouring(&p, Order::Natural);
/// assert_eq!(c.colours(), &[0, 1, 2, 0]);
/// assert_eq!(c.num_colours(), 3);
/// assert_eq!(c.groups(), vec![vec![0, 3], vec![1], vec![2]]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Colouring {
    colours: Vec<usize>,
    num_colours: usize,
    order: Order,
}

impl Colouring {
    /// The number of colours (0 when there is nothing to colour).
    pub fn num_colours(&self) -> usize {
        self.num_colours
    }

    /// The colour of each vertex (column, row or input).
    pub fn colours(&self) -> &[usize] {
        &self.colours
    }

    /// The colour of vertex `v`.
    pub fn colour(&self, v: usize) -> usize {
        self.colours[v]
    }

    /// The number of vertices coloured.
    pub fn len(&self) -> usize {
        self.colours.len()
    }

    /// True if there was nothing to colour.
    pub fn is_empty(&self) -> bool {
        self.colours.is_empty()
    }

    /// The order that made this colouring (never [`Order::Best`]: the order that won).
    pub fn order(&self) -> Order {
        self.order
    }

    /// The vertices of each colour, in increasing order.
    pub fn groups(&self) -> Vec<Vec<usize>> {
        let mut groups = vec![Vec::new(); self.num_colours];
        for (v, &c) in self.colours.iter().enumerate() {
            groups[c].push(v);
        }
        groups
    }
}

/// A distance-1 colouring of the columns of `p`: no two columns of one colour have an entry in the
/// same row. Its colours are the passes (lanes) of a compressed forward-mode Jacobian.
pub fn column_colouring(p: &Pattern, order: Order) -> Colouring {
    let adj = Adjacency::intersection(p);
    colour(&adj, order, Rule::Distance1)
}

/// A distance-1 colouring of the rows of `p`: no two rows of one colour have an entry in the same
/// column. Its colours are the sweeps of a compressed reverse-mode Jacobian.
pub fn row_colouring(p: &Pattern, order: Order) -> Colouring {
    let adj = Adjacency::intersection(&p.transpose());
    colour(&adj, order, Rule::Distance1)
}

/// A star colouring of the symmetric pattern `p` (a Hessian's): a distance-1 colouring of its
/// adjacency graph in which every path on four vertices uses at least three colours, so that the
/// Hessian is recovered directly from one Hessian-vector product per colour.
///
/// # Panics
/// If `p` is not square and symmetric.
pub fn star_colouring(p: &Pattern, order: Order) -> Colouring {
    assert!(
        p.is_symmetric(),
        "sparse::star_colouring: the pattern ({} × {}) is not square and symmetric",
        p.nrows(),
        p.ncols()
    );
    let adj = Adjacency::symmetric(p);
    colour(&adj, order, Rule::Star)
}

/// What a vertex's colour must avoid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// the colours of its neighbours
    Distance1,
    /// also every colour that would make a path on four vertices two-coloured
    Star,
}

/// A conflict graph: neighbour lists, sorted, without self-loops.
struct Adjacency {
    offsets: Vec<usize>,
    nbrs: Vec<usize>,
}

impl Adjacency {
    fn of(&self, v: usize) -> &[usize] {
        &self.nbrs[self.offsets[v]..self.offsets[v + 1]]
    }

    fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    fn degree(&self, v: usize) -> usize {
        self.offsets[v + 1] - self.offsets[v]
    }

    /// The column intersection graph of `p`: columns adjacent when some row has both.
    fn intersection(p: &Pattern) -> Adjacency {
        let rows = p.transpose(); // column i of `rows` lists the columns of row i
        let n = p.ncols();
        let mut stamp = vec![usize::MAX; n];
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        let mut nbrs = Vec::new();
        for j in 0..n {
            let start = nbrs.len();
            for &i in p.col(j) {
                for &k in rows.col(i) {
                    if k != j && stamp[k] != j {
                        stamp[k] = j;
                        nbrs.push(k);
                    }
                }
            }
            nbrs[start..].sort_unstable();
            offsets.push(nbrs.len());
        }
        Adjacency { offsets, nbrs }
    }

    /// The adjacency graph of a symmetric pattern (its off-diagonal entries).
    fn symmetric(p: &Pattern) -> Adjacency {
        let n = p.ncols();
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        let mut nbrs = Vec::with_capacity(p.nnz());
        for j in 0..n {
            nbrs.extend(p.col(j).iter().copied().filter(|&i| i != j));
            offsets.push(nbrs.len());
        }
        Adjacency { offsets, nbrs }
    }
}

const NONE: usize = usize::MAX;

fn colour(adj: &Adjacency, order: Order, rule: Rule) -> Colouring {
    if order == Order::Best {
        let mut best: Option<Colouring> = None;
        for o in Order::ALL {
            let c = colour(adj, o, rule);
            if best.as_ref().is_none_or(|b| c.num_colours < b.num_colours) {
                best = Some(c);
            }
        }
        return best.expect("Order::ALL is not empty");
    }
    let n = adj.len();
    let mut greedy = Greedy {
        adj,
        rule,
        colours: vec![NONE; n],
        forbidden: Vec::new(),
    };
    match order {
        Order::Natural => (0..n).for_each(|v| greedy.colour(v)),
        Order::LargestFirst => {
            let mut vs: Vec<usize> = (0..n).collect();
            vs.sort_by_key(|&v| (Reverse(adj.degree(v)), v));
            vs.into_iter().for_each(|v| greedy.colour(v));
        }
        Order::SmallestLast => smallest_last(adj)
            .into_iter()
            .for_each(|v| greedy.colour(v)),
        Order::SaturationDegree => {
            // lazy max-heap of (distinct neighbour colours, degree, smallest index first)
            let mut seen: Vec<Vec<usize>> = vec![Vec::new(); n];
            let mut heap: BinaryHeap<(usize, usize, Reverse<usize>)> =
                (0..n).map(|v| (0, adj.degree(v), Reverse(v))).collect();
            while let Some((sat, _, Reverse(v))) = heap.pop() {
                if greedy.colours[v] != NONE || sat != seen[v].len() {
                    continue; // stale
                }
                greedy.colour(v);
                let c = greedy.colours[v];
                for &w in adj.of(v) {
                    if greedy.colours[w] == NONE && !seen[w].contains(&c) {
                        seen[w].push(c);
                        heap.push((seen[w].len(), adj.degree(w), Reverse(w)));
                    }
                }
            }
        }
        Order::Best => unreachable!(),
    }
    let num_colours = greedy.colours.iter().map(|&c| c + 1).max().unwrap_or(0);
    Colouring {
        colours: greedy.colours,
        num_colours,
        order,
    }
}

/// Smallest-last order: vertices removed one at a time, each of smallest remaining degree (ties:
/// smallest index), returned in the reverse order of removal.
fn smallest_last(adj: &Adjacency) -> Vec<usize> {
    let n = adj.len();
    let mut degree: Vec<usize> = (0..n).map(|v| adj.degree(v)).collect();
    let mut removed = vec![false; n];
    let mut heap: BinaryHeap<Reverse<(usize, usize)>> =
        (0..n).map(|v| Reverse((degree[v], v))).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse((d, v))) = heap.pop() {
        if removed[v] || d != degree[v] {
            continue;
        }
        removed[v] = true;
        order.push(v);
        for &w in adj.of(v) {
            if !removed[w] {
                degree[w] -= 1;
                heap.push(Reverse((degree[w], w)));
            }
        }
    }
    order.reverse();
    order
}

struct Greedy<'a> {
    adj: &'a Adjacency,
    rule: Rule,
    colours: Vec<usize>,
    /// `forbidden[c] == v` while colouring v: colour c is not allowed
    forbidden: Vec<usize>,
}

impl Greedy<'_> {
    fn forbid(&mut self, c: usize, v: usize) {
        if c >= self.forbidden.len() {
            self.forbidden.resize(c + 1, NONE);
        }
        self.forbidden[c] = v;
    }

    /// Gives v the smallest colour its rule allows.
    fn colour(&mut self, v: usize) {
        let adj = self.adj;
        for &w in adj.of(v) {
            let cw = self.colours[w];
            if cw != NONE {
                self.forbid(cw, v);
            }
            if self.rule == Rule::Distance1 {
                continue;
            }
            // Star colouring (Gebremedhin, Manne and Pothen 2005, algorithm 4.1). Invariant: the
            // coloured neighbours of an uncoloured vertex have distinct colours, so v cannot be
            // the middle of a two-coloured path; what remains is a path v–w–x–y with
            // colour(v) = colour(x) and colour(w) = colour(y).
            for &x in adj.of(w) {
                let cx = self.colours[x];
                if x == v || cx == NONE {
                    continue;
                }
                if cw == NONE {
                    // keep the invariant for w: v must differ from w's coloured neighbours
                    self.forbid(cx, v);
                } else if adj.of(x).iter().any(|&y| y != w && self.colours[y] == cw) {
                    self.forbid(cx, v);
                }
            }
        }
        let mut c = 0;
        while c < self.forbidden.len() && self.forbidden[c] == v {
            c += 1;
        }
        self.colours[v] = c;
    }
}
