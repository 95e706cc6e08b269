//! The argmin adapter (feature `argmin`): its operators against closed forms, and solvers reaching
//! known minima, with `Vec<f64>` and nalgebra 0.34 parameters.

use argmin::core::{CostFunction, Executor, Gradient, Hessian, Jacobian, Operator, State};
use argmin::solver::gaussnewton::GaussNewton;
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::newton::Newton;
use argmin::solver::quasinewton::LBFGS;
use nilpotent::optim::argmin::{Problem, ResidualProblem};
use nilpotent::optim::nalgebra034::{DMatrix, DVector};
use nilpotent::optim::{Objective, Residuals, from_nalgebra034, to_nalgebra034};
use num_traits::Float;

struct Rosenbrock;
impl Objective for Rosenbrock {
    fn eval<T: Float>(&self, x: &[T]) -> T {
        let c = |v: f64| T::from(v).unwrap();
        (c(1.0) - x[0]).powi(2) + c(100.0) * (x[1] - x[0] * x[0]).powi(2)
    }
}

fn rosenbrock_gradient(x: &[f64]) -> Vec<f64> {
    vec![
        -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]),
        200.0 * (x[1] - x[0] * x[0]),
    ]
}

fn rosenbrock_hessian(x: &[f64]) -> [[f64; 2]; 2] {
    [
        [2.0 - 400.0 * x[1] + 1200.0 * x[0] * x[0], -400.0 * x[0]],
        [-400.0 * x[0], 200.0],
    ]
}

/// a·exp(−b·t) − y at the samples.
#[derive(Clone)]
struct Decay {
    t: Vec<f64>,
    y: Vec<f64>,
}
impl Residuals for Decay {
    fn eval<T: Float>(&self, p: &[T]) -> Vec<T> {
        let c = |v: f64| T::from(v).unwrap();
        self.t
            .iter()
            .zip(&self.y)
            .map(|(&t, &y)| p[0] * (-p[1] * c(t)).exp() - c(y))
            .collect()
    }
}

fn decay() -> Decay {
    let t: Vec<f64> = (0..12).map(|i| i as f64 * 0.25).collect();
    let y = t.iter().map(|t| 3.0 * (-0.5 * t).exp()).collect();
    Decay { t, y }
}

/// The closed-form Jacobian of `Decay` (rows: samples; columns: a, b).
fn decay_jacobian(d: &Decay, p: &[f64]) -> Vec<[f64; 2]> {
    d.t.iter()
        .map(|&t| [(-p[1] * t).exp(), -p[0] * t * (-p[1] * t).exp()])
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + b.abs())
}

const POINTS: [[f64; 2]; 3] = [[-1.2, 1.0], [0.3, -0.7], [2.0, 4.5]];

#[test]
fn problem_on_vec_matches_closed_forms() {
    let p = Problem::new(Rosenbrock);
    for x in POINTS {
        let x = x.to_vec();
        assert_eq!(p.cost(&x).unwrap(), Rosenbrock.eval(&x));
        let g = p.gradient(&x).unwrap();
        for (a, b) in g.iter().zip(rosenbrock_gradient(&x)) {
            assert!(close(*a, b), "{a} vs {b}");
        }
        let h = p.hessian(&x).unwrap();
        let e = rosenbrock_hessian(&x);
        assert_eq!(h.len(), 2);
        for i in 0..2 {
            for j in 0..2 {
                assert!(
                    close(h[i][j], e[i][j]),
                    "H[{i}][{j}] = {} vs {}",
                    h[i][j],
                    e[i][j]
                );
            }
        }
    }
}

#[test]
fn problem_on_nalgebra034_equals_problem_on_vec() {
    let (pv, pn) = (Problem::new(Rosenbrock), Problem::nalgebra(Rosenbrock));
    for x in POINTS {
        let xv = x.to_vec();
        let xn = DVector::from_column_slice(&x);
        assert_eq!(pn.cost(&xn).unwrap(), pv.cost(&xv).unwrap());
        assert_eq!(
            pn.gradient(&xn).unwrap().as_slice(),
            pv.gradient(&xv).unwrap()
        );
        let hn: DMatrix<f64> = pn.hessian(&xn).unwrap();
        let hv = pv.hessian(&xv).unwrap();
        for i in 0..2 {
            for j in 0..2 {
                assert_eq!(hn[(i, j)], hv[i][j]);
            }
        }
    }
}

#[test]
fn residual_problem_matches_closed_forms() {
    let d = decay();
    let (rv, rn) = (
        ResidualProblem::new(d.clone()),
        ResidualProblem::nalgebra(d.clone()),
    );
    for p in [[1.0, 1.0], [3.0, 0.5], [-0.5, 2.0]] {
        let r = d.eval(&p);
        assert_eq!(rv.apply(&p.to_vec()).unwrap(), r);
        assert_eq!(
            rn.apply(&DVector::from_column_slice(&p))
                .unwrap()
                .as_slice(),
            &r[..]
        );
        let e = decay_jacobian(&d, &p);
        let jv = rv.jacobian(&p.to_vec()).unwrap();
        let jn = rn.jacobian(&DVector::from_column_slice(&p)).unwrap();
        assert_eq!((jv.len(), jn.shape()), (12, (12, 2)));
        for (i, row) in e.iter().enumerate() {
            for j in 0..2 {
                assert!(close(jv[i][j], row[j]), "J[{i}][{j}]");
                assert_eq!(jn[(i, j)], jv[i][j]);
            }
        }
        // ½‖r‖² and its gradient Jᵀr
        let half = 0.5 * r.iter().map(|v| v * v).sum::<f64>();
        assert_eq!(rv.cost(&p.to_vec()).unwrap(), half);
        let jtr: Vec<f64> = (0..2)
            .map(|j| e.iter().zip(&r).map(|(row, ri)| row[j] * ri).sum())
            .collect();
        let g = rv.gradient(&p.to_vec()).unwrap();
        let gn = rn.gradient(&DVector::from_column_slice(&p)).unwrap();
        for j in 0..2 {
            assert!(
                (g[j] - jtr[j]).abs() <= 1e-12 * (1.0 + jtr[j].abs()),
                "{g:?} vs {jtr:?}"
            );
            assert_eq!(gn[j], g[j]);
        }
    }
}

#[test]
fn lbfgs_reaches_the_minimum_of_rosenbrock() {
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7);
    let result = Executor::new(Problem::new(Rosenbrock), solver)
        .configure(|s| s.param(vec![-1.2, 1.0]).max_iters(100))
        .run()
        .unwrap();
    let x = result.state().get_best_param().unwrap();
    assert!(
        (x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6,
        "{x:?}"
    );
}

#[test]
fn newton_reaches_the_minimum_of_rosenbrock() {
    let result = Executor::new(Problem::nalgebra(Rosenbrock), Newton::<f64>::new())
        .configure(|s| s.param(DVector::from_vec(vec![-1.2, 1.0])).max_iters(8))
        .run()
        .unwrap();
    let x = result.state().get_param().unwrap();
    assert!(
        (x[0] - 1.0).abs() < 1e-12 && (x[1] - 1.0).abs() < 1e-12,
        "{x:?}"
    );
}

#[test]
fn gauss_newton_fits_noise_free_data() {
    let result = Executor::new(
        ResidualProblem::nalgebra(decay()),
        GaussNewton::<f64>::new(),
    )
    .configure(|s| s.param(DVector::from_vec(vec![1.0, 1.0])).max_iters(20))
    .run()
    .unwrap();
    let p = result.state().get_best_param().unwrap();
    assert!(
        (p[0] - 3.0).abs() < 1e-10 && (p[1] - 0.5).abs() < 1e-10,
        "{p:?}"
    );
}

#[test]
fn conversions_between_nalgebra_versions_round_trip() {
    let m = nalgebra::DMatrix::from_fn(3, 2, |i, j| (i * 10 + j) as f64);
    let m034 = to_nalgebra034(&m);
    assert_eq!(m034.shape(), (3, 2));
    assert_eq!(m034[(2, 1)], 21.0);
    assert_eq!(from_nalgebra034(&m034), m);
    let v = nalgebra::DVector::from_vec(vec![1.0, -2.0]);
    assert_eq!(to_nalgebra034(&v).as_slice(), v.as_slice());
    assert_eq!(from_nalgebra034(&to_nalgebra034(&v)), v);
}

// calling `eval` from generic code: the caller's bound is the trait's, `Real`
fn rosenbrock_fn<T: nilpotent::Real>(x: &[T]) -> T {
    Rosenbrock.eval(x)
}
fn decay_fn<T: nilpotent::Real>(p: &[T]) -> Vec<T> {
    decay().eval(p)
}
nilpotent::objective!(
    /// Rosenbrock through the macro.
    RosenbrockByMacro = rosenbrock_fn
);
nilpotent::optim::residuals!(pub(crate) DecayByMacro = decay_fn);

#[test]
fn macros_define_the_same_problems() {
    let (a, b) = (Problem::new(Rosenbrock), Problem::new(RosenbrockByMacro));
    let (c, d) = (
        ResidualProblem::new(decay()),
        ResidualProblem::new(DecayByMacro),
    );
    for x in POINTS {
        let x = x.to_vec();
        assert_eq!(b.cost(&x).unwrap(), a.cost(&x).unwrap());
        assert_eq!(b.gradient(&x).unwrap(), a.gradient(&x).unwrap());
        assert_eq!(b.hessian(&x).unwrap(), a.hessian(&x).unwrap());
        assert_eq!(d.apply(&x).unwrap(), c.apply(&x).unwrap());
        assert_eq!(d.jacobian(&x).unwrap(), c.jacobian(&x).unwrap());
    }
}

/// Rosenbrock as the README writes it: `T: Real`, plain numbers, no `T::from(…).unwrap()`.
fn rosenbrock_real<T: nilpotent::Real>(x: &[T]) -> T {
    (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
}
nilpotent::optim::objective!(RosenbrockReal = rosenbrock_real);

/// Issue 25: "a `fn rosenbrock<T: Real>` must be rewritten with `T::from(100.0).unwrap()`" for
/// `objective!` and `Objective::eval`. Now it is given as written: its cost, gradient and Hessian
/// are the closed forms' and argmin's L-BFGS and Newton reach the minimum (1, 1).
#[test]
fn a_real_rosenbrock_works_unchanged_with_argmin() {
    /// the same function implemented by hand on the trait, with data as fields
    struct Scaled {
        a: f64,
        b: f64,
    }
    impl Objective for Scaled {
        fn eval<T: nilpotent::Real>(&self, x: &[T]) -> T {
            (self.a - x[0]).powi(2) + self.b * (x[1] - x[0] * x[0]).powi(2)
        }
    }
    let by_hand = Problem::new(Scaled { a: 1.0, b: 100.0 });
    let p = Problem::new(RosenbrockReal);
    for x in POINTS {
        let x = x.to_vec();
        let exact = (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        assert!(close(p.cost(&x).unwrap(), exact));
        assert!(close(by_hand.cost(&x).unwrap(), exact));
        for g in [p.gradient(&x).unwrap(), by_hand.gradient(&x).unwrap()] {
            for (a, b) in g.iter().zip(rosenbrock_gradient(&x)) {
                assert!(close(*a, b), "{a} vs {b}");
            }
        }
        let (h, e) = (p.hessian(&x).unwrap(), rosenbrock_hessian(&x));
        for i in 0..2 {
            for j in 0..2 {
                assert!(close(h[i][j], e[i][j]), "H[{i}][{j}]");
            }
        }
    }
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7);
    let result = Executor::new(p, solver)
        .configure(|s| s.param(vec![-1.2, 1.0]).max_iters(100))
        .run()
        .unwrap();
    let x = result.state().get_best_param().unwrap();
    assert!(
        (x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6,
        "{x:?}"
    );
    let result = Executor::new(Problem::nalgebra(RosenbrockReal), Newton::<f64>::new())
        .configure(|s| s.param(DVector::from_vec(vec![-1.2, 1.0])).max_iters(8))
        .run()
        .unwrap();
    let x = result.state().get_param().unwrap();
    assert!(
        (x[0] - 1.0).abs() < 1e-12 && (x[1] - 1.0).abs() < 1e-12,
        "{x:?}"
    );
}
