//! The levenberg-marquardt adapter (feature `levenberg-marquardt`): the Jacobian against the
//! closed form and the solver's own finite differences, and fits recovering known parameters.

use levenberg_marquardt::{LeastSquaresProblem, LevenbergMarquardt, differentiate_numerically};
use nilpotent::optim::levenberg_marquardt::LeastSquares;
use nilpotent::optim::{Residuals, nalgebra034::DVector};
use num_traits::Float;

/// a·exp(−b·t) + c − y at the samples.
#[derive(Clone, Debug)]
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
            .map(|(&t, &y)| p[0] * (-p[1] * c(t)).exp() + p[2] - c(y))
            .collect()
    }
}

fn decay(a: f64, b: f64, c: f64) -> Decay {
    let t: Vec<f64> = (0..30).map(|i| i as f64 * 0.15).collect();
    let y = t.iter().map(|t| a * (-b * t).exp() + c).collect();
    Decay { t, y }
}

#[test]
fn residuals_params_and_jacobian() {
    let d = decay(2.0, 0.7, -0.3);
    let mut problem = LeastSquares::new(d.clone(), &[1.0, 1.0, 0.0]);
    assert_eq!(problem.x(), &[1.0, 1.0, 0.0]);
    problem.set_params(&DVector::from_vec(vec![1.5, 0.4, 0.2]));
    assert_eq!(problem.params().as_slice(), &[1.5, 0.4, 0.2]);
    let p = [1.5, 0.4, 0.2];
    assert_eq!(problem.residuals().unwrap().as_slice(), &d.eval(&p)[..]);
    let jac = problem.jacobian().unwrap();
    assert_eq!(jac.shape(), (30, 3));
    for (i, &t) in d.t.iter().enumerate() {
        let e = (-p[1] * t).exp();
        let expected = [e, -p[0] * t * e, 1.0];
        for j in 0..3 {
            assert!((jac[(i, j)] - expected[j]).abs() <= 1e-15 * (1.0 + expected[j].abs()));
        }
    }
    let numeric = differentiate_numerically(&mut problem).unwrap();
    assert!((numeric - &jac).abs().max() < 1e-6);
}

#[test]
fn levenberg_marquardt_recovers_noise_free_parameters() {
    for (truth, start) in [
        ([2.0, 0.7, -0.3], [1.0, 1.0, 0.0]),
        ([5.0, 2.0, 1.0], [1.0, 0.5, 0.0]),
    ] {
        let problem = LeastSquares::new(decay(truth[0], truth[1], truth[2]), &start);
        let (fit, report) = LevenbergMarquardt::new().minimize(problem);
        assert!(report.termination.was_successful(), "{report:?}");
        for (p, t) in fit.x().iter().zip(truth) {
            assert!((p - t).abs() < 1e-8, "{:?} vs {truth:?}", fit.x());
        }
    }
}

/// Issue 25: `Residuals::eval` did not accept `Real`, so data could not enter as plain numbers.
/// The same model with `T: Real` (`p[0] * (-p[1] * t).exp() + p[2] - y`, `t` and `y` plain `f64`)
/// has the closed-form Jacobian and levenberg-marquardt recovers the parameters.
#[test]
fn a_real_residual_function_works_unchanged_with_levenberg_marquardt() {
    struct RealDecay(Decay);
    impl Residuals for RealDecay {
        fn eval<T: nilpotent::Real>(&self, p: &[T]) -> Vec<T> {
            let d = &self.0;
            d.t.iter()
                .zip(&d.y)
                .map(|(&t, &y)| p[0] * (-p[1] * t).exp() + p[2] - y)
                .collect()
        }
    }
    let d = decay(2.0, 0.7, -0.3);
    let p = [1.5, 0.4, 0.2];
    let mut problem = LeastSquares::new(RealDecay(d.clone()), &p);
    assert_eq!(problem.residuals().unwrap().as_slice(), &d.eval(&p)[..]);
    let jac = problem.jacobian().unwrap();
    for (i, &t) in d.t.iter().enumerate() {
        let e = (-p[1] * t).exp();
        let expected = [e, -p[0] * t * e, 1.0];
        for j in 0..3 {
            assert!((jac[(i, j)] - expected[j]).abs() <= 1e-15 * (1.0 + expected[j].abs()));
        }
    }
    problem.set_params(&DVector::from_vec(vec![1.0, 1.0, 0.0]));
    let (fit, report) = LevenbergMarquardt::new().minimize(problem);
    assert!(report.termination.was_successful(), "{report:?}");
    for (p, t) in fit.x().iter().zip([2.0, 0.7, -0.3]) {
        assert!((p - t).abs() < 1e-8, "{:?}", fit.x());
    }
}
