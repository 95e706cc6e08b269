//! The schedule every backend runs a graph in: the order of its operations and guard checks, and
//! the liveness of its values. The interpreter ([`Program`](super::Program)), emitted Rust
//! ([`Graph::to_rust`]) and the JIT (`Graph::compile`) all read it, so they check the guards in
//! the same order (the first guard that fails is the same in all three) and agree on which values
//! are read when.
//!
//! The order is the graph's (SSA order is a topological order): every operation node, each guard
//! right after the last operation among its operands. The interpreter fuses some pairs of
//! operations into one instruction (`Program`'s fusion pass) and takes the liveness of its own
//! fused order from [`last_use`], the one liveness analysis of this module.

use super::ir::{Graph, Operands};

/// One step of evaluation: an operation, or the check of a guard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// compute the operation node `i`
    Op(usize),
    /// check the guard `k` of the graph
    Guard(usize),
}

/// The order in which a graph's operations run and its guards are checked, and the last step that
/// reads each node. Made by [`Schedule::of`]; read by the three backends.
#[derive(Clone, Debug)]
pub(crate) struct Schedule {
    /// the guards checked before any operation (on inputs, parameters and constants alone), in
    /// their order
    pub(crate) guards_first: Vec<usize>,
    /// for each node, the guards checked right after it, in their order (empty for a node that is
    /// not an operation)
    pub(crate) guards_after: Vec<Vec<usize>>,
    /// every step, in order: `guards_first`, then each operation node followed by
    /// `guards_after` of it
    pub(crate) steps: Vec<Step>,
    /// for each node, the last step that reads it (`Some(steps.len())` for an output, which is
    /// read after every step; `None` for a node nothing reads)
    pub(crate) last_use: Vec<Option<usize>>,
}

impl Schedule {
    /// The schedule of `g`: its order ([`guard_placement`], [`steps`]) and the liveness of its
    /// values in that order ([`last_use`]).
    pub(crate) fn of(g: &Graph) -> Schedule {
        let (guards_first, guards_after) = guard_placement(g);
        let steps = steps(g, &guards_first, &guards_after, |_| false);
        let last_use = last_use(g, &steps, |step| reads(g, step));
        Schedule {
            guards_first,
            guards_after,
            steps,
            last_use,
        }
    }

    /// For each node, the node after which it is read for the last time: the node of its last
    /// step (a guard counts as the operation it is checked after; a guard checked first, and a
    /// node nothing reads, as node 0), or `n` (the number of nodes) for an output.
    #[cfg(any(feature = "jit", test))]
    pub(crate) fn last_use_node(&self) -> Vec<usize> {
        let n = self.guards_after.len();
        let keep = self.steps.len();
        // the node each step is at
        let mut at = 0;
        let node_of: Vec<usize> = self
            .steps
            .iter()
            .map(|&s| {
                if let Step::Op(i) = s {
                    at = i;
                }
                at
            })
            .collect();
        self.last_use
            .iter()
            .map(|l| match *l {
                None => 0,
                Some(s) if s == keep => n,
                Some(s) => node_of[s],
            })
            .collect()
    }
}

/// Where evaluation checks each guard: right after the last operation among its operands, guards
/// on the same node in their order; those on inputs, parameters and constants alone before any
/// operation.
/// Every backend checks guards in this order, so the first guard that fails is the same in all.
///
/// Returns the guards checked first, and for each node the guards checked right after it.
pub(crate) fn guard_placement(g: &Graph) -> (Vec<usize>, Vec<Vec<usize>>) {
    let nodes = g.nodes();
    let mut guards_after: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut guards_first = Vec::new();
    for (k, guard) in g.guards().iter().enumerate() {
        let (ops, m) = guard.test.operands();
        let ready = ops[..m]
            .iter()
            .copied()
            .filter(|&o| nodes[o as usize].is_operation())
            .max();
        match ready {
            Some(o) => guards_after[o as usize].push(k),
            None => guards_first.push(k),
        }
    }
    (guards_first, guards_after)
}

/// The steps in order: the guards checked first, then every operation node (but those `skip`
/// says another step computes) followed by the guards checked after it.
pub(crate) fn steps(
    g: &Graph,
    guards_first: &[usize],
    guards_after: &[Vec<usize>],
    skip: impl Fn(usize) -> bool,
) -> Vec<Step> {
    let mut steps: Vec<Step> = guards_first.iter().map(|&k| Step::Guard(k)).collect();
    for (i, node) in g.nodes().iter().enumerate() {
        if node.is_operation() && !skip(i) {
            steps.push(Step::Op(i));
        }
        steps.extend(guards_after[i].iter().map(|&k| Step::Guard(k)));
    }
    steps
}

/// The nodes a step reads in the graph's own order: an operation's operands, a guard's.
pub(crate) fn reads<'g>(g: &'g Graph, step: &Step) -> Operands<'g> {
    match *step {
        Step::Op(i) => g.nodes()[i].args(g.calls()),
        Step::Guard(k) => {
            let (ops, m) = g.guards()[k].test.operands();
            Operands::Inline([ops[0], ops[1], 0], m)
        }
    }
}

/// Liveness: for each node, the last of `steps` that reads it (`reads` says what a step reads), or
/// `Some(steps.len())` for an output of `g` (read after every step), or `None` if nothing reads it.
pub(crate) fn last_use<'a>(
    g: &Graph,
    steps: &[Step],
    reads: impl Fn(&Step) -> Operands<'a>,
) -> Vec<Option<usize>> {
    let mut last_use = vec![None::<usize>; g.nodes().len()];
    for (s, step) in steps.iter().enumerate() {
        for &o in reads(step).iter() {
            last_use[o as usize] = Some(s);
        }
    }
    let keep = steps.len(); // "read after every step"
    for &o in g.output_nodes() {
        last_use[o as usize] = Some(keep);
    }
    last_use
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::loops::sum_map;
    use crate::base::real::Real;
    use crate::graph::Sym;

    /// A function with guards on operations, a guard on an input alone (checked first), a loop
    /// over the parameters (with a branch in its body if `branch`), and parameters; its derivative
    /// graphs add the guards of the derivative rules.
    fn f<T: Real>(x: &[T], p: &[T], branch: bool) -> T {
        let s = (x[0] * x[1]).sin() + x[2].exp() * x[0] * p[0];
        let t = if x[2] > T::zero() { s * s } else { s };
        let u = if x[1] < p[1] { t.abs() } else { t.max(x[0]) };
        u + sum_map(p, 2, |r| {
            let z = x[0] * r[0] - r[1];
            if branch && r[1] < T::zero() {
                z.abs()
            } else {
                z * z
            }
        })
    }

    fn graphs() -> Vec<Graph> {
        let x = [0.5, -1.5, 0.25];
        let p = [2.0, 1.5, -0.5, 3.0];
        let g = Graph::record_with(&x, &p, |x: &[Sym], p: &[Sym]| f(x, p, false));
        let branchy = Graph::record_with(&x, &p, |x: &[Sym], p: &[Sym]| f(x, p, true));
        vec![
            g.gradient(),
            g.hessian(),
            branchy.unrolled().hessian(),
            branchy,
        ]
    }

    /// The order: every operation once, in the graph's order; every guard once, after the last
    /// operation among its operands (first if it has none), guards on the same node in their order.
    #[test]
    fn every_backend_checks_guards_right_after_their_last_operand() {
        for g in graphs() {
            assert!(g.num_guards() > 0);
            let sch = Schedule::of(&g);
            let ops: Vec<usize> = sch
                .steps
                .iter()
                .filter_map(|s| match *s {
                    Step::Op(i) => Some(i),
                    Step::Guard(_) => None,
                })
                .collect();
            let want: Vec<usize> = (0..g.num_nodes())
                .filter(|&i| g.nodes()[i].is_operation())
                .collect();
            assert_eq!(ops, want);
            let mut seen = vec![false; g.num_guards()];
            let mut last_guard_at = None;
            for (s, step) in sch.steps.iter().enumerate() {
                let Step::Guard(k) = *step else { continue };
                assert!(!seen[k], "guard {k} checked twice");
                seen[k] = true;
                // the operation the guard must follow: the last among its operands
                let (o, m) = g.guards()[k].test.operands();
                let ready = o[..m]
                    .iter()
                    .filter(|&&a| g.nodes()[a as usize].is_operation())
                    .max();
                let before = sch.steps[..s].iter().rev().find_map(|st| match *st {
                    Step::Op(i) => Some(i as u32),
                    Step::Guard(_) => None,
                });
                assert_eq!(before, ready.copied(), "guard {k}");
                // guards after the same node, or first, in their order
                if let Some((at, j)) = last_guard_at
                    && at == before
                {
                    assert!(j < k);
                }
                last_guard_at = Some((before, k));
            }
            assert!(seen.iter().all(|&s| s), "every guard is checked");
        }
    }

    /// Liveness, against its definition read off the steps backwards: the last step whose
    /// operands include the node; an output after every step.
    #[test]
    fn liveness_is_the_last_step_that_reads_a_value() {
        for g in graphs() {
            let sch = Schedule::of(&g);
            for o in 0..g.num_nodes() as u32 {
                let want = if g.output_nodes().contains(&o) {
                    Some(sch.steps.len())
                } else {
                    (0..sch.steps.len())
                        .rev()
                        .find(|&s| reads(&g, &sch.steps[s]).contains(&o))
                };
                assert_eq!(sch.last_use[o as usize], want, "node {o}");
            }
        }
    }

    /// The JIT's liveness by node (which decides which values it keeps in registers), against its
    /// definition on the graph: the largest index of a node that reads the value or of a node
    /// after which a guard on it is checked; the number of nodes for an output; 0 if nothing
    /// reads it (or only guards checked first).
    #[test]
    fn liveness_by_node_is_the_last_reading_node_or_guard_position() {
        for g in graphs() {
            let sch = Schedule::of(&g);
            let n = g.num_nodes();
            let mut want = vec![0usize; n];
            for (i, node) in g.nodes().iter().enumerate() {
                for &a in node.args(g.calls()).iter() {
                    want[a as usize] = want[a as usize].max(i);
                }
                for &k in &sch.guards_after[i] {
                    let (ops, m) = g.guards()[k].test.operands();
                    for &o in &ops[..m] {
                        want[o as usize] = want[o as usize].max(i);
                    }
                }
            }
            for &o in g.output_nodes() {
                want[o as usize] = n;
            }
            assert_eq!(sch.last_use_node(), want);
        }
    }
}
