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
use std::collections::BTreeSet;

use super::Pattern;

/// The order in which a greedy colouring takes the vertices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Order {
    /// Index order.
    Natural,
    /// Decreasing degree in the conflict graph (ties in index order).
    LargestFirst,
    /// Smallest-last (Matula and Beck): repeatedly remove a vertex of smallest remaining degree
    /// (ties: the one whose degree last changed, or the smaller index), and colour in the reverse
    /// order of removal.
    SmallestLast,
    /// Dynamic: next the uncoloured vertex whose neighbours already have the most distinct colours
    /// (DSATUR; ties: larger degree, then smaller index). Finds the 5 colours of a 5-point stencil
    /// on every grid tried, where natural and largest-first order need 7 (smallest-last 5 to 7).
    SaturationDegree,
    /// Each of the orders above; the colouring with the fewest colours (on a tie, the first in the
    /// order listed). It stops early where no order can do better: as soon as a colouring
    /// reaches the lower bound (for columns, the largest number of entries in one row; for rows,
    /// in one column), and it abandons an order as soon as it needs as many colours as the best
    /// so far. Every order walks the conflicts (for columns: the columns of the rows of each
    /// column, Σ over rows of their count² steps); where one walk exceeds 2²⁶ ≈ 6.7·10⁷ steps,
    /// it colours in index order alone (the others cost one to three walks more each).
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
    column_colouring_within(p, order, usize::MAX).expect("no limit")
}

/// [`column_colouring`], abandoned (`None`) as soon as it needs more than `limit` colours.
pub(crate) fn column_colouring_within(
    p: &Pattern,
    order: Order,
    limit: usize,
) -> Option<Colouring> {
    colour_within(&Conflicts::intersection(p), order, Rule::Distance1, limit)
}

/// A distance-1 colouring of the rows of `p`: no two rows of one colour have an entry in the same
/// column. Its colours are the sweeps of a compressed reverse-mode Jacobian.
pub fn row_colouring(p: &Pattern, order: Order) -> Colouring {
    row_colouring_within(p, order, usize::MAX).expect("no limit")
}

/// [`row_colouring`], abandoned (`None`) as soon as it needs more than `limit` colours.
pub(crate) fn row_colouring_within(p: &Pattern, order: Order, limit: usize) -> Option<Colouring> {
    column_colouring_within(&p.transpose(), order, limit)
}

/// The fewest colours any column colouring of `p` can have: the largest number of entries in one
/// row (those columns are pairwise adjacent).
pub(crate) fn column_lower_bound(p: &Pattern) -> usize {
    let mut count = vec![0usize; p.nrows()];
    for (i, _) in p.entries() {
        count[i] += 1;
    }
    count.into_iter().max().unwrap_or(0)
}

/// The fewest colours any row colouring of `p` can have: the largest number of entries in one
/// column.
pub(crate) fn row_lower_bound(p: &Pattern) -> usize {
    (0..p.ncols()).map(|j| p.col(j).len()).max().unwrap_or(0)
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
    colour_within(&Conflicts::symmetric(p), order, Rule::Star, usize::MAX).expect("no limit")
}

/// What a vertex's colour must avoid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// the colours of its neighbours
    Distance1,
    /// also every colour that would make a path on four vertices two-coloured
    Star,
}

/// A conflict graph, its degrees (computed when an order needs them) and what a walk over all
/// its neighbourhoods costs.
struct Conflicts<'a> {
    kind: Kind<'a>,
    degree: std::cell::OnceCell<Vec<usize>>,
    /// no colouring has fewer colours (a clique's size)
    lower_bound: usize,
    /// the neighbours a walk over every vertex's neighbourhood visits (with repetitions)
    walk: usize,
}

/// The work (neighbours visited, [`Conflicts::walk`]) up to which [`Order::Best`] tries the
/// orders after the first; above it, a colouring in index order alone (each further order costs
/// one to three more walks, ~0.1 s each at this size).
const BEST_WALK_BUDGET: usize = 1 << 26;

enum Kind<'a> {
    /// The column intersection graph of `cols` (columns adjacent when they share a row), walked
    /// through the rows instead of stored: its edges can far outnumber the pattern's entries (one
    /// dense row makes it complete), so it takes O(nnz) memory and the time of a walk, with
    /// neighbours seen once per shared row.
    Intersection { cols: &'a Pattern, rows: Pattern },
    /// The adjacency graph of a symmetric pattern: its off-diagonal entries.
    Symmetric(&'a Pattern),
}

impl<'a> Conflicts<'a> {
    fn intersection(cols: &'a Pattern) -> Conflicts<'a> {
        let rows = cols.transpose(); // column i of `rows` lists the columns of row i
        let counts = (0..rows.ncols()).map(|i| rows.col(i).len());
        Conflicts {
            lower_bound: counts.clone().max().unwrap_or(0),
            walk: counts.map(|k| k * k).fold(0usize, usize::saturating_add),
            kind: Kind::Intersection { cols, rows },
            degree: std::cell::OnceCell::new(),
        }
    }

    fn symmetric(p: &'a Pattern) -> Conflicts<'a> {
        Conflicts {
            kind: Kind::Symmetric(p),
            degree: std::cell::OnceCell::new(),
            lower_bound: usize::from(p.nnz() > 0),
            walk: p.nnz(),
        }
    }

    fn len(&self) -> usize {
        match &self.kind {
            Kind::Intersection { cols, .. } => cols.ncols(),
            Kind::Symmetric(p) => p.ncols(),
        }
    }

    /// The degree of each vertex (one walk over the neighbourhoods, the first time).
    fn degree(&self) -> &[usize] {
        self.degree.get_or_init(|| match &self.kind {
            Kind::Intersection { .. } => {
                let n = self.len();
                let mut stamp = vec![usize::MAX; n];
                (0..n)
                    .map(|v| {
                        let mut d = 0;
                        self.for_each(v, |w| {
                            if stamp[w] != v {
                                stamp[w] = v;
                                d += 1;
                            }
                        });
                        d
                    })
                    .collect()
            }
            Kind::Symmetric(p) => (0..p.ncols())
                .map(|v| p.col(v).len() - usize::from(p.contains(v, v)))
                .collect(),
        })
    }

    /// Calls `f` for each neighbour of `v` (more than once for a neighbour that shares several
    /// rows with `v` in an intersection graph).
    #[inline]
    fn for_each(&self, v: usize, mut f: impl FnMut(usize)) {
        match &self.kind {
            Kind::Intersection { cols, rows } => {
                for &i in cols.col(v) {
                    for &w in rows.col(i) {
                        if w != v {
                            f(w);
                        }
                    }
                }
            }
            Kind::Symmetric(p) => {
                for &w in p.col(v) {
                    if w != v {
                        f(w);
                    }
                }
            }
        }
    }

    /// The neighbours of `v`, for the star rule (symmetric patterns only; they include `v` itself
    /// where the diagonal is an entry, which the callers skip).
    fn adjacent(&self, v: usize) -> &[usize] {
        match &self.kind {
            Kind::Symmetric(p) => p.col(v),
            Kind::Intersection { .. } => unreachable!("the star rule is for symmetric patterns"),
        }
    }
}

const NONE: usize = usize::MAX;

/// A colouring of `g` in `order`, or `None` as soon as it needs more than `limit` colours.
fn colour_within(g: &Conflicts<'_>, order: Order, rule: Rule, limit: usize) -> Option<Colouring> {
    if order != Order::Best {
        return colour(g, order, rule, limit);
    }
    let mut best: Option<Colouring> = None;
    for o in Order::ALL {
        if o != Order::Natural && g.walk > BEST_WALK_BUDGET {
            break;
        }
        // only strictly fewer colours than the best so far can win
        let within = best.as_ref().map_or(limit, |b| b.num_colours - 1);
        if let Some(c) = colour(g, o, rule, within) {
            best = Some(c);
        }
        if best
            .as_ref()
            .is_some_and(|b| b.num_colours <= g.lower_bound)
        {
            break; // optimal: no order can do better
        }
    }
    best
}

/// Greedy colouring of `g` in `order` (not `Best`), abandoned as soon as a vertex needs a colour
/// beyond the first `limit`.
fn colour(g: &Conflicts<'_>, order: Order, rule: Rule, limit: usize) -> Option<Colouring> {
    let n = g.len();
    if n > 0 && limit == 0 {
        return None;
    }
    let mut greedy = Greedy {
        g,
        rule,
        colours: vec![NONE; n],
        forbidden: Vec::new(),
        limit,
    };
    match order {
        Order::Natural => {
            for v in 0..n {
                greedy.colour(v)?;
            }
        }
        Order::LargestFirst => {
            let degree = g.degree();
            let mut vs: Vec<usize> = (0..n).collect();
            vs.sort_by_key(|&v| (Reverse(degree[v]), v));
            for v in vs {
                greedy.colour(v)?;
            }
        }
        Order::SmallestLast => {
            for v in smallest_last(g) {
                greedy.colour(v)?;
            }
        }
        Order::SaturationDegree => {
            // the distinct colours around each vertex as a bitset (at most `limit` bits), and the
            // uncoloured vertices ordered by (their number, degree, smallest index first): one
            // entry per vertex, so O(n) memory whatever the number of edges
            let degree = g.degree();
            let mut seen: Vec<Vec<u64>> = vec![Vec::new(); n];
            let mut sat = vec![0usize; n];
            let mut queue: BTreeSet<(usize, usize, Reverse<usize>)> =
                (0..n).map(|v| (0, degree[v], Reverse(v))).collect();
            while let Some((_, _, Reverse(v))) = queue.pop_last() {
                let c = greedy.colour(v)?;
                let (word, bit) = (c / 64, 1u64 << (c % 64));
                let colours = &greedy.colours;
                g.for_each(v, |w| {
                    if colours[w] != NONE {
                        return;
                    }
                    let set = &mut seen[w];
                    if set.len() <= word {
                        set.resize(word + 1, 0);
                    }
                    if set[word] & bit == 0 {
                        set[word] |= bit;
                        queue.remove(&(sat[w], degree[w], Reverse(w)));
                        sat[w] += 1;
                        queue.insert((sat[w], degree[w], Reverse(w)));
                    }
                });
            }
        }
        Order::Best => unreachable!("handled by colour_within"),
    }
    let num_colours = greedy.colours.iter().map(|&c| c + 1).max().unwrap_or(0);
    Some(Colouring {
        colours: greedy.colours,
        num_colours,
        order,
    })
}

/// Smallest-last order: vertices removed one at a time, each of smallest remaining degree,
/// returned in the reverse order of removal. Buckets of vertices by remaining degree (doubly
/// linked lists), so that each edge costs O(1).
fn smallest_last(g: &Conflicts<'_>) -> Vec<usize> {
    let n = g.len();
    let mut degree = g.degree().to_vec();
    let max_degree = degree.iter().copied().max().unwrap_or(0);
    // head[d]: the first vertex of degree d; next/prev: the lists
    let (mut head, mut next, mut prev) = (vec![NONE; max_degree + 1], vec![NONE; n], vec![NONE; n]);
    let push = |v: usize, d: usize, head: &mut [usize], next: &mut [usize], prev: &mut [usize]| {
        next[v] = head[d];
        prev[v] = NONE;
        if head[d] != NONE {
            prev[head[d]] = v;
        }
        head[d] = v;
    };
    let unlink =
        |v: usize, d: usize, head: &mut [usize], next: &mut [usize], prev: &mut [usize]| {
            if prev[v] != NONE {
                next[prev[v]] = next[v];
            } else {
                head[d] = next[v];
            }
            if next[v] != NONE {
                prev[next[v]] = prev[v];
            }
        };
    for v in (0..n).rev() {
        push(v, degree[v], &mut head, &mut next, &mut prev);
    }
    let mut removed = vec![false; n];
    let mut stamp = vec![NONE; n];
    let mut order = Vec::with_capacity(n);
    let mut low = 0; // no vertex has a smaller degree than this
    for _ in 0..n {
        while head[low] == NONE {
            low += 1;
        }
        let v = head[low];
        unlink(v, low, &mut head, &mut next, &mut prev);
        removed[v] = true;
        order.push(v);
        g.for_each(v, |w| {
            if !removed[w] && stamp[w] != v {
                stamp[w] = v;
                unlink(w, degree[w], &mut head, &mut next, &mut prev);
                degree[w] -= 1;
                push(w, degree[w], &mut head, &mut next, &mut prev);
            }
        });
        low = low.saturating_sub(1);
    }
    order.reverse();
    order
}

/// Marks colour `c` as not allowed for vertex `v`.
#[inline]
fn forbid(forbidden: &mut Vec<usize>, c: usize, v: usize) {
    if c >= forbidden.len() {
        forbidden.resize(c + 1, NONE);
    }
    forbidden[c] = v;
}

struct Greedy<'a, 'p> {
    g: &'a Conflicts<'p>,
    rule: Rule,
    colours: Vec<usize>,
    /// `forbidden[c] == v` while colouring v: colour c is not allowed
    forbidden: Vec<usize>,
    /// the number of colours allowed
    limit: usize,
}

impl Greedy<'_, '_> {
    /// Gives v the smallest colour its rule allows and returns it; `None` if that colour is
    /// beyond the limit.
    fn colour(&mut self, v: usize) -> Option<usize> {
        let (g, colours, forbidden) = (self.g, &self.colours, &mut self.forbidden);
        g.for_each(v, |w| {
            if colours[w] != NONE {
                forbid(forbidden, colours[w], v);
            }
        });
        if self.rule == Rule::Star {
            // Star colouring (Gebremedhin, Manne and Pothen 2005, algorithm 4.1). Invariant: the
            // coloured neighbours of an uncoloured vertex have distinct colours, so v cannot be
            // the middle of a two-coloured path; what remains is a path v–w–x–y with
            // colour(v) = colour(x) and colour(w) = colour(y).
            for &w in g.adjacent(v) {
                if w == v {
                    continue;
                }
                let cw = colours[w];
                for &x in g.adjacent(w) {
                    let cx = colours[x];
                    if x == v || x == w || cx == NONE || forbidden.get(cx) == Some(&v) {
                        continue; // nothing to forbid, or forbidden already
                    }
                    if cw == NONE {
                        // keep the invariant for w: v must differ from w's coloured neighbours
                        forbid(forbidden, cx, v);
                    } else if g
                        .adjacent(x)
                        .iter()
                        .any(|&y| y != w && y != x && colours[y] == cw)
                    {
                        forbid(forbidden, cx, v);
                    }
                }
            }
        }
        let mut c = 0;
        while c < self.forbidden.len() && self.forbidden[c] == v {
            c += 1;
        }
        if c >= self.limit {
            return None;
        }
        self.colours[v] = c;
        Some(c)
    }
}
