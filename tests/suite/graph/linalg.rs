//! nalgebra on `Sym`.

use super::*;

// ---------------------------------------------------------------------------------------------
// 9. nalgebra
// ---------------------------------------------------------------------------------------------

/// ‖A v‖ for a 2×3 matrix A and a 3-vector v made of the inputs, plus the trace of AᵀA.
fn norm_of_product<T: nalgebra::RealField + Copy>(x: &[T]) -> T {
    let a = nalgebra::Matrix2x3::from_row_slice(&x[..6]);
    let v = nalgebra::Vector3::new(x[6], x[7], x[8]);
    (a * v).norm() + (a.transpose() * a).trace()
}

/// The determinant of a 4×4 matrix: LU with partial pivoting, whose pivot choices are guards.
fn det4<T: nalgebra::RealField + Copy>(x: &[T]) -> T {
    nalgebra::Matrix4::from_row_slice(x).determinant()
}

/// Code written over nalgebra's `RealField` records into a graph (`Sym` is a `RealField`), and the
/// graph gradient at other points matches forward mode (`nilpotent::gradient` on duals, which are
/// `RealField` too) within [`EXPR_RTOL`] of the largest entry (sums of many products, summed in
/// another order) and finite differences within [`FD_RTOL`].
#[test]
fn nalgebra_code_records_into_a_graph() {
    /// The three functions, callable on any `RealField` (a closure cannot be generic).
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Na {
        Det3,
        Norm,
        Det4,
    }
    impl Na {
        fn call<T: nalgebra::RealField + Copy>(self, x: &[T]) -> T {
            match self {
                Na::Det3 => det3(x),
                Na::Norm => norm_of_product(x),
                Na::Det4 => det4(x),
            }
        }
    }
    let mut rng = Rng::for_test("graph nalgebra");
    let (mut worst_fd, mut worst_modes) = (Worst::default(), Worst::default());
    for (f, n) in [(Na::Det3, 9), (Na::Norm, 9), (Na::Det4, 16)] {
        let x0 = rng.vec(n, -2.0, 2.0);
        let g = Graph::record(&x0, |x| f.call(x));
        let grad = g.gradient();
        if f == Na::Det4 {
            assert!(g.num_guards() > 0, "{f:?}: the pivoting is a branch");
        } else {
            // closed forms, no branch (nalgebra's 3×3 determinant is the cofactor formula)
            assert_eq!(grad.num_guards(), 0, "{f:?}:\n{g}");
        }
        for t in 0..20 {
            // the recording point, then points moved by up to 0.3 per coordinate
            let r = if t == 0 { 0.0 } else { 0.3 };
            let p: Vec<f64> = x0.iter().map(|&v| v + rng.uniform(-r, r)).collect();
            let out = match grad.eval(&p) {
                Ok(out) => out,
                Err(GraphError::Guard { .. }) => {
                    let again = Graph::record(&p, |x| f.call(x)).gradient();
                    again.eval(&p).unwrap()
                }
                Err(e) => panic!("{f:?}: {e}"),
            };
            assert!(same_f64(out[0], f.call(&p)), "{f:?} at {p:?}: value");
            let (_, fg) = gradient(|x| f.call(x), &p);
            let fdg = fd_gradient(|x| f.call(x), &p);
            let gscale = max_abs(fg.iter().copied()).max(1.0);
            for j in 0..n {
                let a = out[1 + j];
                worst_modes.note(rel_err(a, fg[j], gscale), || format!("{f:?} ∂{j}"));
                assert!(
                    close(a, fg[j], EXPR_RTOL, gscale),
                    "{f:?} ∂{j} at {p:?}: {a:e} vs forward {:e}",
                    fg[j]
                );
                let scale = out[0].abs().max(gscale);
                worst_fd.note(rel_err(a, fdg[j], scale), || format!("{f:?} ∂{j}"));
                assert!(close(a, fdg[j], FD_RTOL, scale), "{f:?} ∂{j} at {p:?}");
            }
        }
    }
    println!(
        "nalgebra: gradient vs forward {:.1e} at {} (tolerance {EXPR_RTOL:e}), vs finite \
         differences {:.1e} at {} (tolerance {FD_RTOL:e})",
        worst_modes.err, worst_modes.at, worst_fd.err, worst_fd.at
    );
}
