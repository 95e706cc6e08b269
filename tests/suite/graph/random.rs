//! Random expression graphs: their gradient, Jacobian and Hessian graphs at points other than the
//! recording point, against the `f64` function, forward mode, the tape and finite differences.

use super::*;

// ---------------------------------------------------------------------------------------------
// 2. Random expression graphs
// ---------------------------------------------------------------------------------------------

/// Random expressions generated.
const EXPRESSIONS: usize = 80;
/// Points near the recording point each expression's graphs are evaluated at.
const EXPR_POINTS: usize = 5;

/// A random expression: `n` inputs (values 0..n), then one value per step; the output is the sum
/// of the values no later step uses (so nothing is dead).
#[derive(Clone, Debug)]
struct Expr {
    n: usize,
    steps: Vec<Step>,
}

/// The transforms a rule's operands get.
fn pres(e: Entry) -> [Pre; 3] {
    use Pre::*;
    match e {
        Entry::Unary(op) => [
            match op {
                Unary::Recip
                | Unary::Sqrt
                | Unary::Cbrt
                | Unary::Ln
                | Unary::Log2
                | Unary::Log10
                | Unary::Ln1p => Pos,
                Unary::Tan | Unary::Asin | Unary::Acos | Unary::Atanh => Unit,
                Unary::Acosh => Above1,
                Unary::Exp | Unary::Exp2 | Unary::ExpM1 | Unary::Sinh | Unary::Cosh => Bnd,
                Unary::ToDegrees => Tiny,
                // slopes |n·aⁿ⁻¹| of a few units at most
                Unary::Powi(n) if n < 0 => Above1,
                Unary::Powi(n) if n > 3 => Unit,
                Unary::Powi(_) => Bnd,
                _ => Id,
            },
            Id,
            Id,
        ],
        Entry::Binary(op) => match op {
            Binary::Add | Binary::Sub | Binary::Max | Binary::Min | Binary::AbsSub => [Id, Id, Id],
            Binary::Mul => [Bnd, Bnd, Id],
            Binary::Div | Binary::Rem | Binary::RemEuclid | Binary::Atan2 => [Id, Pos, Id],
            Binary::Hypot => [Bnd, Pos, Id],
            Binary::Powf => [Pos, Unit, Id],
            Binary::Log => [Pos, Base, Id],
        },
        Entry::MulAdd => [Bnd, Bnd, Id],
    }
}

impl Expr {
    /// The values of every input and step at `x`, and the output.
    fn values<T: Float + Euclid + nilpotent::Elementary>(&self, x: &[T]) -> (Vec<T>, T) {
        let mut v: Vec<T> = x.to_vec();
        let arg = |v: &[T], o: Operand| {
            let a = match o.src {
                Src::Value(i) => v[i],
                Src::Const(c) => k(c),
            };
            o.pre.apply(a)
        };
        let mut used = vec![false; self.n + self.steps.len()];
        for s in &self.steps {
            let r = match *s {
                Step::Unary(op, a) => apply_unary(op, arg(&v, a)),
                Step::Binary(op, a, b) => apply_binary(op, arg(&v, a), arg(&v, b)),
                Step::MulAdd(a, b, c) => apply_mul_add(arg(&v, a), arg(&v, b), arg(&v, c)),
            };
            for o in operands(s) {
                if let Src::Value(i) = o.src {
                    used[i] = true;
                }
            }
            v.push(r);
        }
        let mut out = T::zero();
        for (i, &val) in v.iter().enumerate().skip(self.n) {
            if !used[i] {
                out = out + val;
            }
        }
        (v, out)
    }

    /// The piece every piecewise step is on at `x` (floor of its argument, sign of a difference,
    /// quotient of a remainder…): where these are the same at every point of a finite-difference
    /// stencil, the expression is smooth there.
    fn pieces(&self, x: &[f64]) -> Vec<f64> {
        let (v, _) = self.values(x);
        let arg = |o: Operand| {
            let a = match o.src {
                Src::Value(i) => v[i],
                Src::Const(c) => c,
            };
            o.pre.apply(a)
        };
        let mut p = Vec::new();
        for s in &self.steps {
            match *s {
                Step::Unary(op, a) => {
                    let a = arg(a);
                    if let Some(piece) = unary_domain(op).piece {
                        p.push(piece(a));
                    }
                }
                Step::Binary(op, a, b) => {
                    if let Some(piece) = binary_domain(op).piece {
                        p.push(piece(arg(a), arg(b)));
                    }
                }
                Step::MulAdd(..) => {}
            }
        }
        p
    }

    /// True if the expression is smooth on the finite-difference stencil around `x`.
    fn smooth_around(&self, x: &[f64]) -> bool {
        let here = self.pieces(x);
        let h = step(max_abs(x.iter().copied()));
        (0..x.len()).all(|j| {
            [-h, -h / 2.0, -h / 4.0, h / 4.0, h / 2.0, h]
                .iter()
                .all(|&t| {
                    let mut y = x.to_vec();
                    y[j] += t;
                    self.pieces(&y) == here
                })
        })
    }
}

impl Func for Expr {
    fn call<T: Float + Euclid + nilpotent::Elementary>(&self, x: &[T]) -> T {
        self.values(x).1
    }
}

/// Every entry of the table, as the generator draws them.
fn all_entries() -> Vec<Entry> {
    let mut v: Vec<Entry> = unary_entries().into_iter().map(Entry::Unary).collect();
    v.extend(Binary::ALL.map(Entry::Binary));
    v.push(Entry::MulAdd);
    v
}

/// A random expression of `n` inputs and `len` steps, recorded at `x0`: every step an entry of
/// the table on earlier values (recent ones preferred, so that chains are deep) or constants,
/// redrawn while its value at `x0` is not finite or larger than 20 in magnitude.
fn random_expr(n: usize, len: usize, x0: &[f64], rng: &mut Rng) -> Expr {
    let entries = all_entries();
    let mut e = Expr {
        n,
        steps: Vec::new(),
    };
    let mut vals = x0.to_vec();
    while e.steps.len() < len {
        let entry = entries[rng.below(entries.len())];
        let pre = pres(entry);
        let arity = match entry {
            Entry::Unary(_) => 1,
            Entry::Binary(_) => 2,
            Entry::MulAdd => 3,
        };
        let mut ops = [Operand {
            pre: Pre::Id,
            src: Src::Const(0.0),
        }; 3];
        for (j, o) in ops.iter_mut().enumerate().take(arity) {
            let m = vals.len();
            let src = if j > 0 && rng.below(4) == 0 {
                Src::Const((rng.uniform(-3.0, 3.0) * 4.0).round() / 4.0)
            } else if rng.below(2) == 0 {
                Src::Value(m - 1 - rng.below(m.min(4)))
            } else {
                Src::Value(rng.below(m))
            };
            *o = Operand { pre: pre[j], src };
        }
        let step = match entry {
            Entry::Unary(op) => Step::Unary(op, ops[0]),
            Entry::Binary(op) => Step::Binary(op, ops[0], ops[1]),
            Entry::MulAdd => Step::MulAdd(ops[0], ops[1], ops[2]),
        };
        e.steps.push(step);
        let (v, _) = e.values(x0);
        let last = v[v.len() - 1];
        if last.is_finite() && last.abs() <= 20.0 {
            vals.push(last);
        } else {
            e.steps.pop();
        }
    }
    e
}

/// Random expression graphs: every entry of the table, 2–6 inputs, 20–40 operations. Each graph
/// (function, gradient and, for every third expression, Hessian) is evaluated at points near the
/// recording point: where it returns numbers, they are the `f64` function's (value, bit for bit),
/// the tape's and forward mode's (gradient, [`EXPR_RTOL`]) and finite differences' where the
/// expression is smooth around the point ([`FD_RTOL`]); where it returns a guard error, a graph
/// recorded at that point gives the same checks.
#[test]
fn random_expressions_match_tape_forward_and_finite_differences() {
    let mut rng = Rng::for_test("graph random expressions");
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let (mut grad_tape, mut grad_fwd, mut grad_fd, mut hess_fwd) = (
        Worst::default(),
        Worst::default(),
        Worst::default(),
        Worst::default(),
    );
    let (mut moved, mut guarded, mut fd_checked, mut nodes, mut guards) = (0, 0, 0, 0, 0);
    for e_index in 0..EXPRESSIONS {
        let n = 2 + rng.below(5);
        let x0 = rng.vec(n, -2.0, 2.0);
        let len = 20 + rng.below(21);
        let e = random_expr(n, len, &x0, &mut rng);
        for s in &e.steps {
            seen.insert(match s {
                Step::Unary(op, _) => format!("{op:?}"),
                Step::Binary(op, _, _) => format!("{op:?}"),
                Step::MulAdd(..) => "MulAdd".to_string(),
            });
        }
        let g = Graph::record(&x0, |x| e.call(x));
        assert_eq!(
            g.num_guards(),
            0,
            "expression {e_index}: branch-free, but\n{g}"
        );
        nodes += g.len();
        let grad = g.gradient();
        guards += grad.num_guards();
        let hess = (e_index % 3 == 0).then(|| g.hessian());
        // the values computed while recording are the interpreter's at the recording point
        for gr in [Some(&g), Some(&grad), hess.as_ref()].into_iter().flatten() {
            let (rec, ev) = (gr.recorded_outputs(), gr.eval(&x0).unwrap());
            assert!(rec.iter().zip(&ev).all(|(&a, &b)| same_f64(a, b)), "{e:?}");
            assert_eq!(gr.recording_point(), x0.as_slice());
        }
        let mut points = vec![x0.clone()];
        for j in 0..EXPR_POINTS {
            let r = [0.01, 0.05, 0.2, 0.5, 1.0][j % 5];
            points.push(x0.iter().map(|&v| v + rng.uniform(-r, r)).collect());
        }
        for p in points {
            let what = || format!("expression {e_index} {e:?}\nrecorded at {x0:?}, at {p:?}");
            let short = || format!("expression {e_index} at {p:?}");
            let value = e.call(&p);
            let out = g.eval(&p).expect("no guards in the function graph");
            assert!(same_f64(out[0], value), "{}: value", what());
            let out = match grad.eval(&p) {
                Ok(out) => {
                    moved += (p != x0) as usize;
                    out
                }
                Err(GraphError::Guard { .. }) => {
                    assert_ne!(p, x0, "{}: a guard fails at the recording point", what());
                    guarded += 1;
                    let again = Graph::record(&p, |x| e.call(x)).gradient();
                    again
                        .eval(&p)
                        .expect("a graph evaluates at its recording point")
                }
                Err(err) => panic!("{}: {err}", what()),
            };
            assert!(same_f64(out[0], value), "{}: gradient graph value", what());
            let (tv, tg) = reverse::gradient(|x| e.call(x), &p);
            let (_, fg) = gradient(|x| e.call(x), &p);
            assert!(same_f64(tv, value));
            let scale = max_abs(tg.iter().copied()).max(1.0);
            let smooth = e.smooth_around(&p);
            let fdg = smooth.then(|| fd_gradient(|x| e.call(x), &p));
            fd_checked += smooth as usize;
            for j in 0..n {
                let a = out[1 + j];
                for (oracle, b, worst) in [
                    ("the tape", tg[j], &mut grad_tape),
                    ("forward mode", fg[j], &mut grad_fwd),
                ] {
                    worst.note(rel_err(a, b, scale), || format!("{} ∂{j}", short()));
                    assert!(
                        close(a, b, EXPR_RTOL, scale),
                        "{}: ∂f/∂x{j} = {a:e} from the graph, {b:e} from {oracle}",
                        what()
                    );
                }
                if let Some(fdg) = &fdg {
                    let s = value.abs().max(scale);
                    grad_fd.note(rel_err(a, fdg[j], s), || format!("{} ∂{j}", short()));
                    assert!(
                        close(a, fdg[j], FD_RTOL, s),
                        "{}: ∂f/∂x{j} = {a:e} from the graph, finite differences give {:e}",
                        what(),
                        fdg[j]
                    );
                }
            }
            if let Some(hess) = &hess {
                let out = match hess.eval(&p) {
                    Ok(out) => out,
                    Err(GraphError::Guard { .. }) => {
                        guarded += 1;
                        let again = Graph::record(&p, |x| e.call(x)).hessian();
                        again.eval(&p).unwrap()
                    }
                    Err(err) => panic!("{}: {err}", what()),
                };
                let (_, _, fh) = hessian(|x| e.call(x), &p);
                let hscale = max_abs(fh.iter().copied()).max(1.0);
                for i in 0..n {
                    for j in 0..n {
                        let a = out[1 + n + i * n + j];
                        assert_eq!(a.to_bits(), out[1 + n + j * n + i].to_bits());
                        hess_fwd.note(rel_err(a, fh[(i, j)], hscale), || {
                            format!("{} H[{i}][{j}]", short())
                        });
                        assert!(
                            close(a, fh[(i, j)], EXPR_RTOL, hscale),
                            "{}: H[{i}][{j}] = {a:e} from the graph, {:e} from forward mode",
                            what(),
                            fh[(i, j)]
                        );
                    }
                }
            }
        }
    }
    let missing: Vec<String> = all_entries()
        .iter()
        .map(|e| match e {
            Entry::Unary(op) => format!("{op:?}"),
            Entry::Binary(op) => format!("{op:?}"),
            Entry::MulAdd => "MulAdd".to_string(),
        })
        .filter(|name| !seen.contains(name))
        .collect();
    assert!(missing.is_empty(), "entries never generated: {missing:?}");
    println!(
        "random expressions: {EXPRESSIONS} graphs, {nodes} operations, {guards} guards in the \
         gradient graphs; {moved} gradient evaluations away from the recording point, {guarded} \
         guard errors re-recorded, {fd_checked} points smooth enough for finite differences"
    );
    for (name, w, tol) in [
        ("gradient vs tape", &grad_tape, EXPR_RTOL),
        ("gradient vs forward", &grad_fwd, EXPR_RTOL),
        ("gradient vs finite differences", &grad_fd, FD_RTOL),
        ("Hessian vs forward", &hess_fwd, EXPR_RTOL),
    ] {
        println!("  {name}: {:.1e} (tolerance {tol:e}) at {}", w.err, w.at);
    }
}
