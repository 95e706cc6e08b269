//! nalgebra's decompositions on dual numbers in an optimised build: `try_inverse`, LU, QR,
//! Cholesky, SVD and the symmetric eigendecomposition of a `DMatrix`, differentiated by
//! `nilpotent::gradient` (8 lanes, `Dual<f64, 8>`).
//!
//! ```sh
//! cargo run --release -p nilpotent-dev --example nalgebra_decompositions
//! scripts/compile_time.sh 3 1200 nalgebra_decompositions   # its compile time
//! ```
//!
//! A compile test first, which CI builds in release mode: the unrolled 4 × 4 inverse of
//! `try_inverse` on `Dual<f64, 8>` (every `DMatrix` inverse instantiates it, whatever the size at
//! run time) made rustc 1.95 crash inside LLVM's register coalescer when every operation of a
//! dual number was compiled inline with all the special cases of its chain rule. It then checks
//! every gradient against central finite differences of the `f64` function (relative error below
//! 1e-6) and its value against the `f64` function bit for bit, at a 4 × 4 matrix (the unrolled
//! inverse) and a 5 × 5 one (LU). `dev/examples/nalgebra_compile_time.rs` is the same with 1, 4, 8 and
//! 16 lanes, nested forward mode and forward over reverse (a build of minutes).

#[path = "decompositions/mod.rs"]
mod decompositions;

use decompositions::*;
use nilpotent::gradient;

/// The gradient of `$f` by `nilpotent::gradient` (8 lanes), against finite differences.
macro_rules! check_gradient {
    ($name:literal, $f:ident, $x:expr) => {{
        let x: &[f64] = $x;
        let value = $f::<f64>(x);
        let (v, g) = gradient($f, x);
        // the real parts are the f64 computation, bit for bit
        assert_eq!(v.to_bits(), value.to_bits(), "{}: value", $name);
        assert_close($name, &g, &finite_gradient($f::<f64>, x), 1e-6);
        println!(
            "{:>9} n = {}: value {value:.6}, gradient ok",
            $name,
            x.len()
        );
    }};
}

fn main() {
    for n in [4, 5] {
        let x = point(n);
        check_gradient!("inverse", inverse, &x);
        check_gradient!("lu", lu, &x);
        check_gradient!("qr", qr, &x);
        check_gradient!("cholesky", cholesky, &x);
        check_gradient!("svd", svd, &x);
        check_gradient!("eigen", eigen, &x);
    }
}
