//! Sparsity patterns, and their detection from a recorded graph.
//!
//! **Jacobian pattern.** Each node of the graph gets the set of inputs it depends on, propagated in
//! topological order as bitsets: an input is its own index, a constant the empty set, an operation
//! the union of its arguments' sets — except the piecewise-constant functions whose derivative is
//! zero everywhere (`floor`, `ceil`, `round`, `trunc`, `signum`, `powi(·, 0)`), which depend on
//! nothing as far as derivatives go. Row i of the pattern is the set of output i.
//!
//! **Hessian pattern.** A second derivative ∂²f/∂xᵢ∂xⱼ is nonzero only if xᵢ and xⱼ meet in a
//! nonlinear node on a path to the output. For each such node the sets of its arguments interact:
//! for `u·v` (and `mul_add`'s product) the inputs of u with those of v; for `u/v` the inputs of u
//! with those of v and those of v with themselves; for a nonlinear function of one argument
//! (`sin u`, `u²`, …) and for `powf`, `log`, `atan2`, `hypot` all inputs of the arguments with each
//! other. Linear nodes (`+`, `−`, negation, products with constants) and piecewise-linear ones
//! (`abs`, `max`, `min`, `%`, …, whose partials are piecewise constant) create no interaction.
//!
//! Both patterns are those of the branch recorded: guards (value-dependent decisions) are not
//! followed. Evaluating at an input where a guard comes out differently is an error, as for the
//! graph itself, so a pattern is never used where it might be wrong.

use nalgebra_sparse::pattern::SparsityPattern;

use crate::base::rules::{Binary, Unary};
use crate::graph::{Graph, LoopDef, Node};

/// Which entries of an `nrows × ncols` matrix may be nonzero (the *structural* nonzeros), stored
/// column by column with the row indices of each column sorted.
///
/// ```
/// use nilpotent::sparse::Pattern;
/// let p = Pattern::from_entries(3, 3, [(0, 0), (1, 1), (2, 1), (1, 1)]);
/// assert_eq!((p.nrows(), p.ncols(), p.nnz()), (3, 3, 3)); // duplicates count once
/// assert_eq!(p.col(1), &[1, 2]);
/// assert!(p.contains(2, 1) && !p.contains(1, 2));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    nrows: usize,
    ncols: usize,
    /// column j holds `rows[offsets[j]..offsets[j + 1]]`
    offsets: Vec<usize>,
    rows: Vec<usize>,
}

impl Pattern {
    /// The pattern with the given `(row, column)` entries (in any order; duplicates count once).
    ///
    /// # Panics
    /// If an entry is out of range.
    pub fn from_entries(
        nrows: usize,
        ncols: usize,
        entries: impl IntoIterator<Item = (usize, usize)>,
    ) -> Pattern {
        let mut cols: Vec<Vec<usize>> = vec![Vec::new(); ncols];
        for (i, j) in entries {
            assert!(
                i < nrows && j < ncols,
                "Pattern::from_entries: entry ({i}, {j}) is outside a {nrows} × {ncols} matrix"
            );
            cols[j].push(i);
        }
        Self::from_columns(nrows, cols)
    }

    /// The pattern whose column j holds the rows `cols[j]` (unsorted, possibly repeated).
    fn from_columns(nrows: usize, mut cols: Vec<Vec<usize>>) -> Pattern {
        let mut offsets = Vec::with_capacity(cols.len() + 1);
        offsets.push(0);
        let mut rows = Vec::with_capacity(cols.iter().map(Vec::len).sum());
        for c in &mut cols {
            c.sort_unstable();
            c.dedup();
            rows.extend_from_slice(c);
            offsets.push(rows.len());
        }
        Pattern {
            nrows,
            ncols: cols.len(),
            offsets,
            rows,
        }
    }

    /// Every entry of an `nrows × ncols` matrix.
    pub fn dense(nrows: usize, ncols: usize) -> Pattern {
        Pattern {
            nrows,
            ncols,
            offsets: (0..=ncols).map(|j| j * nrows).collect(),
            rows: (0..ncols).flat_map(|_| 0..nrows).collect(),
        }
    }

    /// The number of rows.
    pub fn nrows(&self) -> usize {
        self.nrows
    }

    /// The number of columns.
    pub fn ncols(&self) -> usize {
        self.ncols
    }

    /// The number of entries (structural nonzeros).
    pub fn nnz(&self) -> usize {
        self.rows.len()
    }

    /// The fraction of the matrix that is structurally nonzero (0 for an empty matrix).
    pub fn density(&self) -> f64 {
        let size = self.nrows * self.ncols;
        if size == 0 {
            0.0
        } else {
            self.nnz() as f64 / size as f64
        }
    }

    /// The rows of column `j`, sorted.
    ///
    /// # Panics
    /// If `j` is out of range.
    pub fn col(&self, j: usize) -> &[usize] {
        &self.rows[self.offsets[j]..self.offsets[j + 1]]
    }

    /// True if entry `(i, j)` is in the pattern.
    pub fn contains(&self, i: usize, j: usize) -> bool {
        j < self.ncols && self.col(j).binary_search(&i).is_ok()
    }

    /// Every entry `(row, column)`, column by column.
    pub fn entries(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.ncols).flat_map(move |j| self.col(j).iter().map(move |&i| (i, j)))
    }

    /// The pattern of the transposed matrix.
    pub fn transpose(&self) -> Pattern {
        let mut cols: Vec<Vec<usize>> = vec![Vec::new(); self.nrows];
        for (i, j) in self.entries() {
            cols[i].push(j);
        }
        // columns were visited in order, so each new column is already sorted
        let mut offsets = Vec::with_capacity(self.nrows + 1);
        offsets.push(0);
        let mut rows = Vec::with_capacity(self.nnz());
        for c in &cols {
            rows.extend_from_slice(c);
            offsets.push(rows.len());
        }
        Pattern {
            nrows: self.ncols,
            ncols: self.nrows,
            offsets,
            rows,
        }
    }

    /// True if the matrix is square and `(i, j)` is an entry exactly when `(j, i)` is.
    pub fn is_symmetric(&self) -> bool {
        self.nrows == self.ncols && *self == self.transpose()
    }

    /// The same pattern as nalgebra-sparse's compressed-column layout (major dimension: columns),
    /// the structure of a [`CscMatrix`](nalgebra_sparse::CscMatrix).
    pub fn to_sparsity_pattern(&self) -> SparsityPattern {
        SparsityPattern::try_from_offsets_and_indices(
            self.ncols,
            self.nrows,
            self.offsets.clone(),
            self.rows.clone(),
        )
        .expect("a Pattern is a valid compressed layout (sorted, in range)")
    }

    /// The column offsets (`ncols + 1` entries) and row indices.
    pub(crate) fn parts(&self) -> (&[usize], &[usize]) {
        (&self.offsets, &self.rows)
    }
}

/// The Jacobian pattern of a recorded graph: one row per output, one column per input; entry
/// `(i, j)` where output i depends on input j through operations whose derivative is not zero
/// everywhere. The pattern is that of the branch recorded (see the [module
/// documentation](super#patterns-and-guards)).
///
/// ```
/// use nilpotent::graph::Graph;
/// use nilpotent::sparse::jacobian_pattern;
/// use num_traits::Float;
///
/// fn g<T: Float>(x: &[T]) -> Vec<T> {
///     vec![x[0] * x[1], x[2].sin(), x[1].floor() + x[2]]
/// }
/// let p = jacobian_pattern(&Graph::record_vec(&[1.0, 2.0, 3.0], g));
/// let entries: Vec<_> = p.entries().collect(); // (row, column), column by column
/// assert_eq!(entries, [(0, 0), (0, 1), (1, 2), (2, 2)]); // floor has derivative 0
/// ```
pub fn jacobian_pattern(g: &Graph) -> Pattern {
    let (sets, set_of) = propagate(g, &mut Vec::new(), |_, _, _, _| {});
    let mut cols: Vec<Vec<usize>> = vec![Vec::new(); g.num_inputs()];
    for (k, &y) in g.output_nodes().iter().enumerate() {
        if let Some(id) = set_of[y as usize] {
            sets.get(id).for_each(|j| cols[j].push(k));
        }
    }
    Pattern::from_columns(g.num_outputs(), cols)
}

/// The Hessian pattern of a recorded scalar function: entry `(i, j)` (and `(j, i)`) where inputs i
/// and j meet in a nonlinear node on a path to the output (see the [module
/// documentation](super#patterns-and-guards)). Symmetric, both triangles stored.
///
/// ```
/// use nilpotent::graph::Graph;
/// use nilpotent::sparse::hessian_pattern;
/// use num_traits::Float;
///
/// fn f<T: Float>(x: &[T]) -> T {
///     x[0] * x[1] + x[2].sin() + x[3] // x₀x₁ couples 0 and 1; sin x₂ is nonlinear in x₂; x₃ is linear
/// }
/// let p = hessian_pattern(&Graph::record(&[1.0, 2.0, 3.0, 4.0], f));
/// let entries: Vec<_> = p.entries().collect();
/// assert_eq!(entries, [(1, 0), (0, 1), (2, 2)]);
/// ```
///
/// # Panics
/// If the graph does not have exactly one output.
pub fn hessian_pattern(g: &Graph) -> Pattern {
    assert_eq!(
        g.num_outputs(),
        1,
        "sparse::hessian_pattern: the graph has {} outputs; a Hessian needs exactly one",
        g.num_outputs()
    );
    let n = g.num_inputs();
    let interactions = interaction_sets(g);
    let cols = interactions
        .iter()
        .map(|w| {
            let mut c = Vec::new();
            w.for_each(|j| c.push(j));
            c
        })
        .collect();
    Pattern::from_columns(n, cols)
}

/// For each input i, the inputs that meet input i in a nonlinear node on a path to an output
/// (any number of outputs).
fn interaction_sets(g: &Graph) -> Vec<Window> {
    let n = g.num_inputs();
    // interactions[i]: the inputs that meet input i in a nonlinear node
    let mut interactions: Vec<Window> = vec![Window::default(); n];
    propagate(g, &mut interactions, |interactions, sets, node, args| {
        // for i in a: interactions[i] ∪= b
        let mut interact = |a: Option<SetId>, b: Option<SetId>| {
            if let (Some(a), Some(b)) = (a, b) {
                let b = sets.get(b);
                sets.get(a).for_each(|i| interactions[i].union_with(b));
            }
        };
        let a = args.first().copied().flatten();
        let b = args.get(1).copied().flatten();
        match node {
            Node::Input(_) | Node::Param(_) | Node::Const(_) => {}
            // (a loop's interactions are met by `propagate`, iteration by iteration)
            Node::Loop(_) | Node::LoopOut(..) => {}
            Node::Unary(op, _) => {
                if !is_linear(op) {
                    interact(a, a);
                }
            }
            Node::Binary(op, _, _) => match op {
                Binary::Add
                | Binary::Sub
                | Binary::Rem
                | Binary::RemEuclid
                | Binary::Max
                | Binary::Min
                | Binary::AbsSub => {}
                Binary::Mul => {
                    interact(a, b);
                    interact(b, a);
                }
                Binary::Div => {
                    interact(a, b);
                    interact(b, a);
                    interact(b, b);
                }
                Binary::Powf | Binary::Log | Binary::Atan2 | Binary::Hypot => {
                    for p in [a, b] {
                        for q in [a, b] {
                            interact(p, q);
                        }
                    }
                }
            },
            Node::MulAdd(..) | Node::ChainMul(..) => {
                interact(a, b);
                interact(b, a);
            }
            // a custom rule: nonlinear in all its operands (its derivative is not known here):
            // every input of one operand meets every input of every operand
            Node::Custom(_) => {
                let mut all = Window::default();
                for s in args.iter().flatten() {
                    all.union_with(sets.get(*s));
                }
                all.for_each(|i| interactions[i].union_with(&all));
            }
        }
    });
    interactions
}

/// What the sparsity analysis knows of a loop's body (all its variants together): the body
/// inputs each output depends on, and the pairs of inputs that meet in a nonlinear node.
struct BodyPattern {
    deps: Vec<Vec<usize>>,
    pairs: Vec<(usize, usize)>,
}

impl BodyPattern {
    fn of(def: &LoopDef) -> BodyPattern {
        let n_in = def.body_inputs();
        let n_out = def.body_outputs();
        let mut deps: Vec<Window> = vec![Window::default(); n_out];
        let mut pairs: Vec<Window> = vec![Window::default(); n_in];
        for v in &def.variants {
            let p = jacobian_pattern(v);
            for (i, j) in p.entries() {
                let w = Window {
                    lo: j / 64,
                    words: vec![1u64 << (j % 64)],
                };
                deps[i].union_with(&w);
            }
            for (a, w) in interaction_sets(v).iter().enumerate() {
                pairs[a].union_with(w);
            }
        }
        let list = |w: &Window| {
            let mut l = Vec::new();
            w.for_each(|j| l.push(j));
            l
        };
        BodyPattern {
            deps: deps.iter().map(list).collect(),
            pairs: pairs
                .iter()
                .enumerate()
                .flat_map(|(a, w)| list(w).into_iter().map(move |b| (a, b)))
                .collect(),
        }
    }
}

/// The input sets of a loop's results, iteration by iteration, from the sets of its operands
/// `operand` (one per value read, in the order of [`LoopDef::groups`]), meeting the pairs of the
/// body's nonlinear nodes in `interactions` (when it is not empty).
fn loop_sets(def: &LoopDef, operand: &[Window], interactions: &mut [Window]) -> Vec<Window> {
    let body = BodyPattern::of(def);
    let (c, s, o) = (def.state, def.sums, def.stacked);
    let mut results = vec![Window::default(); def.num_results()];
    let mut input = vec![Window::default(); def.body_inputs()];
    input[..c].clone_from_slice(&operand[..c]);
    let free_at = operand.len() - def.free;
    let w_total = def.window_total();
    input[c + w_total..].clone_from_slice(&operand[free_at..]);
    let mut out = vec![Window::default(); def.body_outputs()];
    for t in 0..def.iterations {
        let k = def.iteration(t);
        def.read_windows(operand, k, &mut input);
        if !interactions.is_empty() {
            for &(a, b) in &body.pairs {
                let w = &input[b];
                input[a].for_each(|i| interactions[i].union_with(w));
            }
        }
        for (j, dep) in body.deps.iter().enumerate() {
            let mut w = Window::default();
            for &i in dep {
                w.union_with(&input[i]);
            }
            out[j] = w;
        }
        input[..c].clone_from_slice(&out[..c]);
        for j in 0..s {
            results[c + j].union_with(&out[c + j]);
        }
        results[c + s + k * o..c + s + (k + 1) * o].clone_from_slice(&out[c + s..c + s + o]);
        // a scattered window: each entry of the array depends on every window added into it
        let (mut at, mut j) = (def.scatter_at(), c + s + o);
        for w in &def.scatters {
            for m in 0..w.size {
                results[at + k * w.stride + m].union_with(&out[j + m]);
            }
            at += w.len;
            j += w.size;
        }
    }
    results[..c].clone_from_slice(&input[..c]);
    results
}

/// True for the functions of one argument whose derivative is piecewise constant (so that their
/// second derivative is zero wherever it exists), including those whose derivative is 0.
fn is_linear(op: Unary) -> bool {
    matches!(
        op,
        Unary::Neg
            | Unary::Abs
            | Unary::Fract
            | Unary::ToDegrees
            | Unary::ToRadians
            | Unary::Powi(0 | 1)
    ) || has_zero_derivative(op)
}

/// True for the functions whose derivative is 0 everywhere (by the rule table's conventions at
/// their jumps): nothing depends on their argument.
fn has_zero_derivative(op: Unary) -> bool {
    matches!(
        op,
        Unary::Floor | Unary::Ceil | Unary::Round | Unary::Trunc | Unary::Signum | Unary::Powi(0)
    )
}

/// The inputs each node depends on, propagated forwards over the nodes on a path to an output
/// (through operations whose derivative is not zero everywhere); `visit` sees each such operation
/// with the sets of its arguments before they may be released. Returns the sets and the set of
/// each node, kept for the outputs (`None`: the empty set, or a node released or not needed).
fn propagate(
    g: &Graph,
    interactions: &mut Vec<Window>,
    mut visit: impl FnMut(&mut Vec<Window>, &SetArena, Node, &[Option<SetId>]),
) -> (SetArena, Vec<Option<SetId>>) {
    {
        let nodes = g.nodes();
        let n = nodes.len();
        // 1. the nodes an output depends on (backwards), and the last node that reads each
        let mut live = vec![false; n];
        for &y in g.output_nodes() {
            live[y as usize] = true;
        }
        const FOREVER: u32 = u32::MAX;
        let mut last_use = vec![0u32; n];
        for &y in g.output_nodes() {
            last_use[y as usize] = FOREVER;
        }
        for v in (0..n).rev() {
            if !live[v] || matches!(nodes[v], Node::Unary(op, _) if has_zero_derivative(op)) {
                continue;
            }
            for &a in nodes[v].args(g.calls()).iter() {
                let a = a as usize;
                live[a] = true;
                if last_use[a] == 0 {
                    // the first reader met going backwards is the last one
                    last_use[a] = v as u32;
                }
            }
        }
        // 2. the sets, forwards. `set_of[v]` holds one reference to v's set; a node that reads an
        // argument for the last time takes that reference over, so a set read once (a running sum)
        // is extended in place and sums accumulate in linear time.
        let mut sets = SetArena::default();
        let mut set_of: Vec<Option<SetId>> = vec![None; n];
        let mut arg_sets: Vec<Option<SetId>> = Vec::new();
        // the sets of each loop's results
        let mut loop_results: std::collections::HashMap<usize, Vec<Option<SetId>>> =
            Default::default();
        for v in 0..n {
            if !live[v] {
                continue;
            }
            set_of[v] = match nodes[v] {
                Node::Loop(k) => {
                    let def = g.calls()[k as usize].body.as_ref().expect("a loop's body");
                    let ops = &g.calls()[k as usize].args;
                    // the set of every value the loop reads (its operands are not released: a
                    // loop reads them all)
                    let mut operand: Vec<Window> = Vec::with_capacity(def.num_args());
                    let mut at = 0;
                    for (len, from) in def.groups() {
                        match from {
                            None => {
                                for &a in &ops[at..at + len] {
                                    operand.push(
                                        set_of[a as usize]
                                            .map_or_else(Window::default, |s| sets.get(s).clone()),
                                    );
                                }
                                at += len;
                            }
                            Some(off) => {
                                let r = &loop_results[&(ops[at] as usize)];
                                for x in &r[off..off + len] {
                                    operand.push(
                                        x.map_or_else(Window::default, |s| sets.get(s).clone()),
                                    );
                                }
                                at += 1;
                            }
                        }
                    }
                    let results = loop_sets(def, &operand, interactions);
                    let ids = results.iter().map(|w| sets.copy_of(w)).collect();
                    loop_results.insert(v, ids);
                    None
                }
                Node::LoopOut(l, j) => {
                    loop_results[&(l as usize)][j as usize].map(|s| sets.share(s))
                }
                Node::Input(i) => Some(sets.singleton(i as usize)),
                // a parameter is not differentiated: like a constant, it depends on no input
                Node::Param(_) | Node::Const(_) => None,
                Node::Unary(op, _) if has_zero_derivative(op) => None,
                node => {
                    let args = node.args(g.calls());
                    let k = args.len();
                    arg_sets.clear();
                    arg_sets.extend(args.iter().map(|&a| set_of[a as usize]));
                    visit(interactions, &sets, node, &arg_sets);
                    let mut acc: Option<SetId> = None;
                    for idx in 0..k {
                        if args[..idx].contains(&args[idx]) {
                            continue; // the same argument twice (x·x)
                        }
                        let a = args[idx] as usize;
                        let s = if last_use[a] == v as u32 {
                            set_of[a].take()
                        } else {
                            set_of[a].map(|s| sets.share(s))
                        };
                        if let Some(s) = s {
                            acc = Some(match acc {
                                None => s,
                                Some(t) => sets.union(t, s),
                            });
                        }
                    }
                    acc
                }
            };
        }
        (sets, set_of)
    }
}

/// A set of inputs as a bitset over a window of 64-bit words: `words[k]` holds inputs
/// `64·(lo + k) .. 64·(lo + k + 1)`. Sets of nearby inputs (the usual case in sparse problems)
/// take a word or two whatever the number of inputs.
#[derive(Clone, Debug, Default)]
struct Window {
    lo: usize,
    words: Vec<u64>,
}

impl Window {
    fn for_each(&self, mut f: impl FnMut(usize)) {
        for (k, &w) in self.words.iter().enumerate() {
            let mut w = w;
            while w != 0 {
                f((self.lo + k) * 64 + w.trailing_zeros() as usize);
                w &= w - 1;
            }
        }
    }

    /// self ∪= other
    fn union_with(&mut self, other: &Window) {
        if other.words.is_empty() {
            return;
        }
        if self.words.is_empty() {
            self.lo = other.lo;
            self.words.clear();
            self.words.extend_from_slice(&other.words);
            return;
        }
        let lo = self.lo.min(other.lo);
        let hi = (self.lo + self.words.len()).max(other.lo + other.words.len());
        if lo < self.lo {
            let grow = self.lo - lo;
            self.words.splice(0..0, core::iter::repeat_n(0, grow));
            self.lo = lo;
        }
        self.words.resize(hi - self.lo, 0);
        let off = other.lo - self.lo;
        for (d, &s) in self.words[off..].iter_mut().zip(&other.words) {
            *d |= s;
        }
    }

    /// True if other ⊆ self.
    fn contains_all(&self, other: &Window) -> bool {
        other.words.iter().enumerate().all(|(k, &w)| {
            let at = other.lo + k;
            if w == 0 {
                return true;
            }
            if at < self.lo || at >= self.lo + self.words.len() {
                return false;
            }
            self.words[at - self.lo] & w == w
        })
    }
}

type SetId = u32;

/// Reference-counted sets, so that an operation on one non-constant argument (most unary
/// operations, a sum with a constant) shares its argument's set instead of copying it, and
/// released sets lend their buffers to new ones.
#[derive(Default)]
struct SetArena {
    sets: Vec<Window>,
    refs: Vec<u32>,
    free: Vec<SetId>,
}

impl SetArena {
    fn get(&self, id: SetId) -> &Window {
        &self.sets[id as usize]
    }

    fn alloc(&mut self) -> SetId {
        match self.free.pop() {
            Some(id) => {
                self.refs[id as usize] = 1;
                id
            }
            None => {
                self.sets.push(Window::default());
                self.refs.push(1);
                (self.sets.len() - 1) as SetId
            }
        }
    }

    /// A new set equal to `w` (`None` if it is empty).
    fn copy_of(&mut self, w: &Window) -> Option<SetId> {
        if w.words.iter().all(|&x| x == 0) {
            return None;
        }
        let id = self.alloc();
        let s = &mut self.sets[id as usize];
        s.lo = w.lo;
        s.words.clear();
        s.words.extend_from_slice(&w.words);
        Some(id)
    }

    fn singleton(&mut self, i: usize) -> SetId {
        let id = self.alloc();
        let w = &mut self.sets[id as usize];
        w.lo = i / 64;
        w.words.clear();
        w.words.push(1u64 << (i % 64));
        id
    }

    /// Another reference to `id`.
    fn share(&mut self, id: SetId) -> SetId {
        self.refs[id as usize] += 1;
        id
    }

    fn release(&mut self, id: SetId) {
        let r = &mut self.refs[id as usize];
        *r -= 1;
        if *r == 0 {
            self.free.push(id);
        }
    }

    /// `(&mut sets[a], &sets[b])` for a ≠ b.
    fn pair(&mut self, a: SetId, b: SetId) -> (&mut Window, &Window) {
        let (a, b) = (a as usize, b as usize);
        if a < b {
            let (lo, hi) = self.sets.split_at_mut(b);
            (&mut lo[a], &hi[0])
        } else {
            let (lo, hi) = self.sets.split_at_mut(a);
            (&mut hi[0], &lo[b])
        }
    }

    /// `t ∪ s`, given one reference to each (both are given up); returns one reference to the
    /// union. A set held by the caller alone is extended in place.
    fn union(&mut self, t: SetId, s: SetId) -> SetId {
        if t == s {
            self.release(s);
            return t;
        }
        let (own, other) = if self.refs[t as usize] == 1 {
            (t, s)
        } else if self.refs[s as usize] == 1 {
            (s, t)
        } else if self.get(t).contains_all(self.get(s)) {
            self.release(s);
            return t;
        } else if self.get(s).contains_all(self.get(t)) {
            self.release(t);
            return s;
        } else {
            // both shared: a new set
            let id = self.alloc();
            let (w, a) = self.pair(id, t);
            w.lo = a.lo;
            w.words.clear();
            w.words.extend_from_slice(&a.words);
            let (w, b) = self.pair(id, s);
            w.union_with(b);
            self.release(t);
            self.release(s);
            return id;
        };
        let (w, o) = self.pair(own, other);
        w.union_with(o);
        self.release(other);
        own
    }
}
