//! `scan` and `fold` on the tape in memory that does not grow with the number of steps.
//!
//! A loop written as a plain `for` on the tape records every operation of every step: the
//! gradient of a 10⁶-step integration keeps 10⁶ copies of the step (gigabytes). The tape's
//! [`Loops`](crate::Loops) hook runs [`scan`](crate::scan) and [`fold`](crate::fold) differently:
//!
//! 1. the state enters each step as fresh leaves (nodes without parents), and the step is
//!    recorded on the tape as usual;
//! 2. one backward sweep over the step's nodes only, with one adjoint lane per state component,
//!    gives the step's local Jacobians: `A = ∂s'/∂s` (towards the leaves) and `B = ∂s'/∂o`
//!    towards the nodes outside the step that it reads (captured parameters, the initial state);
//! 3. the step's nodes are cut off the tape again, and the running Jacobian of the state with
//!    respect to those outside nodes is updated, `J ← A·J + B` (forward accumulation over the
//!    steps: the chain rule in the order the steps run, so nothing about a step is kept);
//! 4. after the last step, each component of the final state is recorded as one node (a chain of
//!    two-parent nodes) whose partials are its row of `J`.
//!
//! Memory: one step's nodes, its `c` adjoint lanes and `J` (c × the outside nodes read), whatever
//! the number of steps; nothing is recomputed. Time per step: the recording, a sweep with `c`
//! lanes, and `c² × (outside nodes)` multiply-adds for `J`. The products follow the tape's zero
//! conventions (`crate::zero`: `⊙`), so the derivatives are the full tape's up to the order of the
//! additions (the chain rule is associated differently: not bit for bit).
//!
//! The plain loop (the full tape) is kept where this would not pay or not be exact: data rows that
//! are themselves recorded (`J` would gain columns at every step: quadratic time), a traced tape
//! (its table lists every node), loops that return sums or per-row values (`sum_map`,
//! `map_rows`, `sum_windows`: their tape grows with the rows anyway only in proportion to the
//! body, and their adjoints need no state), no iterations, an empty state, or no recording of `T`
//! active.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use num_traits::Float;

use super::tape::{self, SINK, TapeEntry};
use super::var::Var;
use crate::base::loops::LoopSpec;

/// A hasher for node indices (a multiplicative hash: the keys are `u32`s chosen by nobody
/// adversarial, and the map is looked up once per edge of every step).
#[derive(Default)]
struct NodeHasher(u64);

impl Hasher for NodeHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// The running Jacobian of the loop's state with respect to the nodes outside the loop's steps:
/// `jac[q·c + i] = ∂sᵢ/∂(node cols[q])`, column-major so that a new column is an append.
struct Outside<T> {
    c: usize,
    cols: Vec<u32>,
    col_of: HashMap<u32, usize, BuildHasherDefault<NodeHasher>>,
    jac: Vec<T>,
}

impl<T: Float> Outside<T> {
    fn column(&mut self, node: u32) -> usize {
        // a few columns (parameters, the initial state): a scan is faster than hashing
        if self.cols.len() <= 16 {
            if let Some(q) = self.cols.iter().position(|&n| n == node) {
                return q;
            }
        } else if let Some(&q) = self.col_of.get(&node) {
            return q;
        }
        let q = self.cols.len();
        self.cols.push(node);
        self.col_of.insert(node, q);
        self.jac.resize(self.jac.len() + self.c, T::zero());
        q
    }
}

/// `d ⊙ a` for one lane: for a plain float the product, or 0 where the adjoint is 0 (so an infinite
/// partial on a lane that does not reach the output adds no NaN, as the tape's sweep skips a node
/// with a zero adjoint); over dual numbers the `⊙` of `crate::zero`.
#[inline(always)]
fn lane<T: Float>(d: T, a: T) -> T {
    if const { crate::base::zero::plain::<T>() } {
        if a.is_zero() { T::zero() } else { d * a }
    } else {
        crate::base::zero::product(d, a)
    }
}

/// The backward sweep over one step's nodes (`nodes[..C]` are its leaves) with `C` adjoint lanes,
/// `adj[i·C + j]` the adjoint of local node i in lane j (seeded by the caller); adjoints that reach
/// a node outside the step go to its column of `next`.
fn backward_lanes<T: Float, const C: usize>(
    nodes: &[TapeEntry<T>],
    start: usize,
    adj: &mut [T],
    out: &mut Outside<T>,
    next: &mut Vec<T>,
) {
    let (adj, _) = adj.as_chunks_mut::<C>();
    for i in (C..nodes.len()).rev() {
        let TapeEntry { parents, partials } = nodes[i];
        let a = adj[i];
        if const { crate::base::zero::plain::<T>() } && a.iter().all(|v| v.is_zero()) {
            continue;
        }
        for (&p, &d) in parents.iter().zip(&partials) {
            if p == SINK {
                continue;
            }
            let target: &mut [T; C] = match (p as usize).checked_sub(start) {
                Some(l) => &mut adj[l],
                None => {
                    let q = out.column(p);
                    if next.len() < out.jac.len() {
                        next.resize(out.jac.len(), T::zero());
                    }
                    next.as_chunks_mut::<C>()
                        .0
                        .get_mut(q)
                        .expect("a column per outside node")
                }
            };
            for j in 0..C {
                target[j] = target[j] + lane(d, a[j]);
            }
        }
    }
}

/// [`backward_lanes`] for any number of lanes (`out.c`).
fn backward_lanes_any<T: Float>(
    nodes: &[TapeEntry<T>],
    start: usize,
    adj: &mut [T],
    out: &mut Outside<T>,
    next: &mut Vec<T>,
) {
    let c = out.c;
    for i in (c..nodes.len()).rev() {
        let TapeEntry { parents, partials } = nodes[i];
        // the parents are below i: their lanes are in `below`
        let (below, lanes) = adj.split_at_mut(i * c);
        let a = &lanes[..c];
        if const { crate::base::zero::plain::<T>() } && a.iter().all(|v| v.is_zero()) {
            continue;
        }
        for (&p, &d) in parents.iter().zip(&partials) {
            if p == SINK {
                continue;
            }
            let target = match (p as usize).checked_sub(start) {
                Some(l) => &mut below[l * c..(l + 1) * c],
                None => {
                    let q = out.column(p);
                    if next.len() < out.jac.len() {
                        next.resize(out.jac.len(), T::zero());
                    }
                    &mut next[q * c..(q + 1) * c]
                }
            };
            for (t, &aj) in target.iter_mut().zip(a) {
                *t = *t + lane(d, aj);
            }
        }
    }
}

/// `scan`/`fold` with bounded memory on the tape (see the module); `None` runs the plain loop.
pub(crate) fn record_loop<T: Float + 'static>(spec: &LoopSpec<'_, Var<T>>) -> Option<Vec<Var<T>>> {
    let c = spec.init.len();
    if c == 0 || spec.sums != 0 || spec.stacked != 0 || spec.iterations == 0 {
        return None;
    }
    if spec.seq.iter().any(|v| !v.is_constant()) {
        return None;
    }
    let (id, _, tracing) = tape::active_recording::<T>()?;
    if tracing || spec.init.iter().any(|v| !v.is_constant() && v.tape != id) {
        // a variable of another recording: the plain loop reports it where it is used
        return None;
    }
    let plain = const { crate::base::zero::plain::<T>() };
    let mut out = Outside {
        c,
        cols: Vec::new(),
        col_of: HashMap::default(),
        jac: Vec::new(),
    };
    let mut values: Vec<T> = spec.init.iter().map(Var::value).collect();
    for (i, v) in spec.init.iter().enumerate() {
        if !v.is_constant() {
            let q = out.column(v.index);
            out.jac[q * c + i] = T::one();
        }
    }
    let mut nodes: Vec<TapeEntry<T>> = Vec::new();
    let mut adj: Vec<T> = Vec::new();
    let mut next: Vec<T> = Vec::new();
    let mut leaves: Vec<Var<T>> = Vec::with_capacity(c);
    for k in 0..spec.iterations {
        let (_, start, _) = tape::active_recording::<T>()?;
        leaves.clear();
        leaves.extend(values.iter().map(|&v| tape::push_leaf(v)));
        let window = match spec.size {
            0 => &[][..], // fold: no data (and `seq` is empty)
            size => &spec.seq[k * spec.stride..k * spec.stride + size],
        };
        let new_state = (spec.body)(&leaves, window);
        // (the combinators' body checks the state's length)
        debug_assert_eq!(new_state.len(), c);
        tape::cut_nodes::<T>(start, &mut nodes);
        let to_local = |index: u32| (index as usize).checked_sub(start);
        // the new J: B (the step's partials towards outside nodes) first, then + A·J
        next.clear();
        next.resize(out.jac.len(), T::zero());
        adj.clear();
        adj.resize(nodes.len() * c, T::zero());
        for (j, v) in new_state.iter().enumerate() {
            if v.is_constant() {
                continue;
            }
            if v.tape != id {
                tape::foreign_variable(v.tape, id);
            }
            match to_local(v.index) {
                Some(l) => adj[l * c + j] = adj[l * c + j] + T::one(),
                None => {
                    let q = out.column(v.index);
                    next.resize(out.jac.len(), T::zero());
                    next[q * c + j] = next[q * c + j] + T::one();
                }
            }
        }
        // the sweep over the step's nodes above its leaves, c lanes at a time (a fixed number
        // of lanes for small states: a 10⁴-step Lorenz fold took 2.3× the plain loop's tape with
        // the lanes as slices)
        match c {
            1 => backward_lanes::<T, 1>(&nodes, start, &mut adj, &mut out, &mut next),
            2 => backward_lanes::<T, 2>(&nodes, start, &mut adj, &mut out, &mut next),
            3 => backward_lanes::<T, 3>(&nodes, start, &mut adj, &mut out, &mut next),
            4 => backward_lanes::<T, 4>(&nodes, start, &mut adj, &mut out, &mut next),
            _ => backward_lanes_any(&nodes, start, &mut adj, &mut out, &mut next),
        }
        // + A·J, A[j][i] = the adjoint of leaf i in lane j
        for q in 0..out.cols.len() {
            for i in 0..c {
                let jqi = out.jac[q * c + i];
                if plain && jqi.is_zero() {
                    continue;
                }
                for j in 0..c {
                    let aji = adj[i * c + j];
                    if plain && aji.is_zero() {
                        continue;
                    }
                    next[q * c + j] = next[q * c + j] + crate::base::zero::product(aji, jqi);
                }
            }
        }
        core::mem::swap(&mut out.jac, &mut next);
        for (v, s) in values.iter_mut().zip(&new_state) {
            *v = s.value();
        }
    }
    // the final state: one node (chain) per component, its partials a row of J
    let args: Vec<Var<T>> = out
        .cols
        .iter()
        .map(|&n| Var::recorded(T::zero(), n, id))
        .collect();
    let mut row = vec![T::zero(); out.cols.len()];
    let result = (0..c)
        .map(|i| {
            for (q, r) in row.iter_mut().enumerate() {
                *r = out.jac[q * c + i];
            }
            Var::record_custom(&args, values[i], &row, "loop")
        })
        .collect();
    Some(result)
}

#[cfg(test)]
mod tests {
    use crate::reverse::{self, Tape};
    use crate::{fold, scan};

    /// The step's nodes are cut off the tape (the unsafe copy of `tape::cut_nodes`, which Miri
    /// checks through `cargo miri test --lib`), nested loops included, and the gradient is the
    /// plain loop's.
    #[test]
    fn a_fold_is_cut_off_the_tape_step_by_step_with_the_plain_loops_gradient() {
        let f = |x: &[reverse::Var<f64>]| {
            let s = fold(&[x[0], x[1]], 6, |s| {
                let t = scan(&[s[1]], &[], 1, |t, _| t.to_vec())[0];
                let u = fold(&[t], 2, |u| vec![u[0] * x[2]])[0];
                vec![s[0] * 0.5 + u, s[0].sin()]
            });
            s[0] + s[1] * 3.0
        };
        let plain = |x: &[reverse::Var<f64>]| {
            let mut s = vec![x[0], x[1]];
            for _ in 0..6 {
                let u = s[1] * x[2] * x[2];
                s = vec![s[0] * 0.5 + u, s[0].sin()];
            }
            s[0] + s[1] * 3.0
        };
        let x = [0.3, -0.7, 0.9];
        let mut tape = Tape::new();
        let y = tape.record(&x, f);
        assert!(tape.len() <= 3 + 2 * 3, "{} nodes", tape.len());
        let g = tape.backward(y).to_vec();
        let (v, gp) = reverse::gradient(plain, &x);
        // Bit for bit equal in a native build (tests/suite/base/loops.rs checks that); Miri, which this test
        // is for, gives `sin` a random error of a few ulps per call, so the two runs are compared
        // to rounding here.
        assert!(
            (y.value() - v).abs() <= 1e-14 * v.abs().max(1.0),
            "{} vs {v}",
            y.value()
        );
        for (a, b) in g.iter().zip(&gp) {
            assert!((a - b).abs() <= 1e-14 * b.abs().max(1.0), "{g:?} vs {gp:?}");
        }
    }
}
