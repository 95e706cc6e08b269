//! The conventions (the table on the crate's front page, `src/lib.rs`) hold identically in
//! reverse mode.
//!
//! Each test carries the name of the convention (the same name as the forward-mode test) and
//! compares the tape's value and gradient with what forward mode (`Dual`, through
//! `nilpotent::gradient`) gives on the same input, besides the pinned value itself. "The same"
//! means: values bit for bit, partials equal as numbers (or both NaN).

use crate::common;

use common::{Rng, same_f64, same_value};
use nilpotent::reverse::{self, Tape, Var};
use nilpotent::{Dual, gradient};
use num_traits::{Float, ToPrimitive};

/// Reverse and forward value and gradient of the generic function `$f` at `$x`; asserts that the
/// two modes agree (values bit for bit, partials as numbers or both NaN) and returns the reverse
/// result.
macro_rules! both {
    ($f:expr, $x:expr) => {{
        let x: &[f64] = &$x;
        let (rv, rg) = reverse::gradient(|v| $f(v), x);
        let (fv, fg) = gradient(|v| $f(v), x);
        assert!(
            same_f64(rv, fv),
            "{} at {:?}: reverse value {rv:e}, forward value {fv:e}",
            stringify!($f),
            x
        );
        assert!(
            rg.iter().zip(&fg).all(|(&a, &b)| same_value(a, b)),
            "{} at {:?}: reverse gradient {rg:?}, forward gradient {fg:?}",
            stringify!($f),
            x
        );
        (rv, rg)
    }};
}

/// The second derivative of the one-variable generic function `$f` at `$x` by forward over
/// reverse (`reverse::hvp`) and by forward over forward (`Dual<Dual<f64, 1>, 1>`); asserts they
/// agree and returns it.
macro_rules! second {
    ($f:expr, $x:expr) => {{
        let x: f64 = $x;
        let (_, _, hv) = reverse::hvp(|v| $f(v), &[x], &[1.0]);
        let xx = [Dual::<Dual<f64, 1>, 1>::new(
            Dual::new(x, [1.0]),
            [Dual::new(1.0, [0.0])],
        )];
        let ff = $f(&xx).eps[0].eps[0];
        assert!(
            same_value(hv[0], ff),
            "{}''({x:e}): forward over reverse {}, forward over forward {ff}",
            stringify!($f),
            hv[0]
        );
        hv[0]
    }};
}

fn max2<T: Float>(x: &[T]) -> T {
    x[0].max(x[1])
}
fn min2<T: Float>(x: &[T]) -> T {
    x[0].min(x[1])
}

#[test]
fn compare_real_part_only() {
    let mut rng = Rng::new(0xC0_0001);
    for _ in 0..200 {
        let (a, b) = (rng.uniform(-5.0, 5.0), rng.uniform(-5.0, 5.0));
        // inside a recording: a recorded variable against a constant of the same value, and two
        // variables, compare exactly as their values do
        let mut tape = Tape::new();
        tape.record(&[a, b], |v| {
            let twin = Var::constant(a);
            let moved = v[0] * 1.0; // another node, same value
            assert!(v[0] == twin && moved == v[0] && moved == twin);
            assert_eq!(v[0].partial_cmp(&twin), Some(core::cmp::Ordering::Equal));
            assert_eq!(v[0] < v[1], a < b);
            assert_eq!(v[0] > v[1], a > b);
            assert_eq!(v[0] == v[1], a == b);
            assert_eq!(v[0].partial_cmp(&v[1]), a.partial_cmp(&b));
            assert_eq!(v[0] <= twin, a <= a);
            v[0]
        });
        // the max/min choice is made on the values: the chosen argument gets the whole derivative
        let (m, g) = both!(max2, [a, b]);
        assert_eq!(m, a.max(b));
        assert_eq!(g, if a > b { [1.0, 0.0] } else { [0.0, 1.0] });
        let (m, g) = both!(min2, [a, b]);
        assert_eq!(m, a.min(b));
        assert_eq!(g, if a < b { [1.0, 0.0] } else { [0.0, 1.0] });
        // generic code that branches on a comparison takes the f64 branch in both modes
        fn branchy<T: Float>(x: &[T]) -> T {
            if x[0] < x[1] {
                x[0] * x[1]
            } else {
                x[0] - x[1].sin()
            }
        }
        let (_, g) = both!(branchy, [a, b]);
        let expected = if a < b { [b, a] } else { [1.0, -b.cos()] };
        assert_eq!(g, expected);
    }
}

#[test]
fn max_tie_averages() {
    let mut rng = Rng::new(0xC0_0002);
    for t in [0.0, -0.0, 1.0, -3.5]
        .into_iter()
        .chain((0..50).map(|_| rng.uniform(-10.0, 10.0)))
    {
        let (m, g) = both!(max2, [t, t]);
        assert_eq!(m.to_bits(), t.max(t).to_bits());
        assert_eq!(g, [0.5, 0.5], "max tie at {t}");
        // max(2x, y) at a tie of values: ½·2 and ½
        fn scaled<T: Float>(x: &[T]) -> T {
            (x[0] + x[0]).max(x[1])
        }
        let (_, g) = both!(scaled, [t, 2.0 * t]);
        assert_eq!(g, [1.0, 0.5], "max(2x, y) tie at {t}");
        // x.max(x): both halves reach x, derivative 1
        fn self_max<T: Float>(x: &[T]) -> T {
            x[0].max(x[0])
        }
        assert_eq!(both!(self_max, [t]).1, [1.0]);
    }
}

#[test]
fn min_tie_averages() {
    let mut rng = Rng::new(0xC0_0003);
    for t in [0.0, -0.0, 1.0, -3.5]
        .into_iter()
        .chain((0..50).map(|_| rng.uniform(-10.0, 10.0)))
    {
        let (m, g) = both!(min2, [t, t]);
        assert_eq!(m.to_bits(), t.min(t).to_bits());
        assert_eq!(g, [0.5, 0.5], "min tie at {t}");
        fn scaled<T: Float>(x: &[T]) -> T {
            (x[0] + x[0]).min(x[1])
        }
        let (_, g) = both!(scaled, [t, 2.0 * t]);
        assert_eq!(g, [1.0, 0.5], "min(2x, y) tie at {t}");
    }
}

#[test]
fn max_min_nan_returns_other() {
    let mut rng = Rng::new(0xC0_0004);
    for _ in 0..50 {
        let a = rng.uniform(-10.0, 10.0);
        let nan = f64::NAN;
        assert_eq!(both!(max2, [a, nan]), (a, vec![1.0, 0.0]), "max(a, NaN)");
        assert_eq!(both!(max2, [nan, a]), (a, vec![0.0, 1.0]), "max(NaN, a)");
        assert_eq!(both!(min2, [a, nan]), (a, vec![1.0, 0.0]), "min(a, NaN)");
        assert_eq!(both!(min2, [nan, a]), (a, vec![0.0, 1.0]), "min(NaN, a)");
        // a NaN constant (not recorded) loses too
        fn max_nan_const<T: Float>(x: &[T]) -> T {
            x[0].max(T::nan())
        }
        fn min_nan_const<T: Float>(x: &[T]) -> T {
            T::nan().min(x[0])
        }
        assert_eq!(both!(max_nan_const, [a]), (a, vec![1.0]));
        assert_eq!(both!(min_nan_const, [a]), (a, vec![1.0]));
    }
}

#[test]
fn abs_at_signed_zero() {
    fn abs<T: Float>(x: &[T]) -> T {
        x[0].abs()
    }
    fn abs_squared<T: Float>(x: &[T]) -> T {
        let a = x[0].abs();
        a * a
    }
    fn abs_neg_square<T: Float>(x: &[T]) -> T {
        (-(x[0] * x[0])).abs()
    }
    let (v, g) = both!(abs, [0.0]);
    assert_eq!((v.to_bits(), g), (0.0f64.to_bits(), vec![1.0]));
    let (v, g) = both!(abs, [-0.0]);
    assert_eq!((v.to_bits(), g), (0.0f64.to_bits(), vec![-1.0]));
    for z in [0.0, -0.0] {
        // the sign-bit convention keeps these second derivatives right at 0
        assert_eq!(second!(abs_squared, z), 2.0, "d²/dx² |x|² at {z}");
        assert_eq!(second!(abs_neg_square, z), 2.0, "d²/dx² |−x²| at {z}");
        assert_eq!(both!(abs_squared, [z]).1, [0.0]);
    }
    // away from 0: the sign of x
    let mut rng = Rng::new(0xC0_0005);
    for _ in 0..50 {
        let x = rng.signed(1e-300, 10.0);
        assert_eq!(both!(abs, [x]).1, [x.signum()]);
        assert_eq!(second!(abs_squared, x), 2.0);
    }
}

#[test]
fn sqrt_at_zero_constant_stays_zero() {
    // a constant: no node, no tape, value 0 and nothing to propagate
    let c = Var::constant(0.0).sqrt();
    assert!(c.is_constant());
    assert_eq!(c.value(), 0.0);
    let d = Dual::<f64, 2>::constant(0.0).sqrt();
    assert_eq!(d.eps, [0.0, 0.0]);

    // sqrt of a constant inside a function of x: the gradient is that of the rest
    fn with_const_sqrt<T: Float>(x: &[T]) -> T {
        x[0] * T::zero().sqrt() + x[0]
    }
    assert_eq!(both!(with_const_sqrt, [3.0]), (3.0, vec![1.0]));

    // the singular partial (+∞) reaches only the variable it belongs to: ∂/∂x₁ stays finite
    fn sqrt_plus<T: Float>(x: &[T]) -> T {
        x[0].sqrt() + x[1]
    }
    let (_, g) = both!(sqrt_plus, [0.0, 2.0]);
    assert_eq!(g, [f64::INFINITY, 1.0]);

    // a dead branch: sqrt(x₀) at 0 computed but not reaching the output (reverse: its node's
    // adjoint is 0 and the sweep skips it; forward: x₁'s lane through sqrt is 0 and stays 0)
    fn dead_sqrt<T: Float>(x: &[T]) -> T {
        let _dead = x[0].sqrt();
        x[1] * x[1]
    }
    let (_, g) = both!(dead_sqrt, [0.0, 3.0]);
    assert_eq!(g, [0.0, 6.0]);
}

#[test]
fn powf_zero_base_value_is_f64() {
    fn powf_25<T: Float>(x: &[T]) -> T {
        x[0].powf(T::from(2.5).unwrap())
    }
    fn powf_xy<T: Float>(x: &[T]) -> T {
        x[0].powf(x[1])
    }
    fn powi_m1<T: Float>(x: &[T]) -> T {
        x[0].powi(-1)
    }
    // powf(0, 2.5) = 0 (not NaN), ∂/∂x = 2.5·0^1.5 = 0
    let (v, g) = both!(powf_25, [0.0]);
    assert_eq!((v.to_bits(), g), (0.0f64.powf(2.5).to_bits(), vec![0.0]));
    // with a variable exponent: ∂/∂y = 0ʸ ln 0 is taken as its limit 0 for y > 0
    let (v, g) = both!(powf_xy, [0.0, 2.5]);
    assert_eq!((v, g), (0.0, vec![0.0, 0.0]));
    // powi(0, −1) = +∞, with derivative −∞
    let (v, g) = both!(powi_m1, [0.0]);
    assert_eq!((v, g), (f64::INFINITY, vec![f64::NEG_INFINITY]));
    // powf(−2, 3.0) = −8 (not NaN); a constant exponent gives ∂/∂x = 3·4 = 12
    fn powf_3<T: Float>(x: &[T]) -> T {
        x[0].powf(T::from(3.0).unwrap())
    }
    let (v, g) = both!(powf_3, [-2.0]);
    assert_eq!(
        (v.to_bits(), g),
        ((-2.0f64).powf(3.0).to_bits(), vec![12.0])
    );
    assert_eq!(v, -8.0);
}

#[test]
fn powi_zero_exponent() {
    fn p0<T: Float>(x: &[T]) -> T {
        x[0].powi(0)
    }
    let mut rng = Rng::new(0xC0_0006);
    for x in [0.0, -0.0, f64::INFINITY, f64::NAN]
        .into_iter()
        .chain((0..50).map(|_| rng.uniform(-10.0, 10.0)))
    {
        let (v, g) = both!(p0, [x]);
        assert_eq!((v, g), (1.0, vec![0.0]), "powi({x}, 0)");
        assert_eq!(second!(p0, x), 0.0);
    }
}

#[test]
fn powf_zero_exponent() {
    fn p0<T: Float>(x: &[T]) -> T {
        x[0].powf(T::zero())
    }
    fn pxy<T: Float>(x: &[T]) -> T {
        x[0].powf(x[1])
    }
    let mut rng = Rng::new(0xC0_0007);
    for x in [0.0, -0.0]
        .into_iter()
        .chain((0..50).map(|_| rng.uniform(0.1, 10.0)))
    {
        assert_eq!(both!(p0, [x]), (1.0, vec![0.0]), "powf({x}, 0)");
        // a variable exponent at 0: ∂/∂x = 0, ∂/∂y = x⁰ ln x = ln x (−∞ at x = 0, as in both modes)
        let (v, g) = both!(pxy, [x, 0.0]);
        assert_eq!((v, g[0], g[1]), (1.0, 0.0, x.ln()), "powf({x}, y = 0)");
    }
}

#[test]
fn powf_dual_exponent() {
    fn pxy<T: Float>(x: &[T]) -> T {
        x[0].powf(x[1])
    }
    fn p_const3<T: Float>(x: &[T]) -> T {
        x[0].powf(T::from(3.0).unwrap())
    }
    let mut rng = Rng::new(0xC0_0008);
    for _ in 0..100 {
        let (x, y) = (rng.uniform(0.1, 5.0), rng.uniform(-3.0, 3.0));
        let (v, g) = both!(pxy, [x, y]);
        assert_eq!(v, x.powf(y));
        // closed forms; the rule computes exactly these expressions
        assert_eq!(g[0], y * x.powf(y - 1.0));
        assert_eq!(g[1], x.powf(y) * x.ln());
        // at x = 0 < y the exponent term is its limit 0
        let (_, g) = both!(pxy, [0.0, y.abs() + 0.5]);
        assert_eq!(g[1], 0.0);
    }
    // a negative base: a constant exponent never computes xʸ ln x (no NaN); a variable exponent
    // gets its own (NaN) partial, which does not leak into ∂/∂x
    let (v, g) = both!(p_const3, [-2.0]);
    assert_eq!((v, g), (-8.0, vec![12.0]));
    let (v, g) = both!(pxy, [-2.0, 3.0]);
    assert_eq!((v, g[0]), (-8.0, 12.0));
    assert!(g[1].is_nan());
}

#[test]
fn floor_has_zero_tangent() {
    fn floor<T: Float>(x: &[T]) -> T {
        x[0].floor()
    }
    fn ceil<T: Float>(x: &[T]) -> T {
        x[0].ceil()
    }
    fn round<T: Float>(x: &[T]) -> T {
        x[0].round()
    }
    fn trunc<T: Float>(x: &[T]) -> T {
        x[0].trunc()
    }
    fn signum<T: Float>(x: &[T]) -> T {
        x[0].signum()
    }
    let mut rng = Rng::new(0xC0_0009);
    let special = [
        0.0,
        -0.0,
        1.0,
        -2.0,
        0.5,
        -2.5,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];
    for x in special
        .into_iter()
        .chain((0..50).map(|_| rng.uniform(-10.0, 10.0)))
    {
        let cases: [(f64, Vec<f64>, f64); 5] = [
            {
                let (v, g) = both!(floor, [x]);
                (v, g, x.floor())
            },
            {
                let (v, g) = both!(ceil, [x]);
                (v, g, x.ceil())
            },
            {
                let (v, g) = both!(round, [x]);
                (v, g, x.round())
            },
            {
                let (v, g) = both!(trunc, [x]);
                (v, g, x.trunc())
            },
            {
                let (v, g) = both!(signum, [x]);
                (v, g, x.signum())
            },
        ];
        for (v, g, expected) in cases {
            assert!(v.to_bits() == expected.to_bits() || (v.is_nan() && expected.is_nan()));
            assert_eq!(g, [0.0], "at {x}");
        }
    }
}

#[test]
fn fract_passes_tangent() {
    fn fract<T: Float>(x: &[T]) -> T {
        x[0].fract()
    }
    let mut rng = Rng::new(0xC0_000A);
    for x in [0.0, -0.0, 2.0, -2.0]
        .into_iter()
        .chain((0..50).map(|_| rng.uniform(-10.0, 10.0)))
    {
        let (v, g) = both!(fract, [x]);
        assert_eq!(v.to_bits(), x.fract().to_bits());
        assert_eq!(g, [1.0], "fract at {x}");
    }
    let c = Var::constant(2.75).fract();
    assert!(c.is_constant());
    assert_eq!(c.value(), 0.75);
}

#[test]
fn rem_tangent() {
    fn rem<T: Float>(x: &[T]) -> T {
        x[0] % x[1]
    }
    let mut rng = Rng::new(0xC0_000B);
    for _ in 0..200 {
        let (a, b) = (rng.uniform(-20.0, 20.0), rng.signed(0.1, 5.0));
        let (v, g) = both!(rem, [a, b]);
        assert_eq!(v.to_bits(), (a % b).to_bits());
        assert_eq!(g, [1.0, -(a / b).trunc()], "{a} % {b}");
        // an f64 constant on either side
        let (_, g) = reverse::gradient(|x| x[0] % b, &[a]);
        assert_eq!(g, [1.0]);
        let (_, g) = reverse::gradient(|x| a % x[0], &[b]);
        assert_eq!(g, [-(a / b).trunc()]);
    }
}

#[test]
fn atan2_origin_zero_partials() {
    fn atan2<T: Float>(x: &[T]) -> T {
        x[0].atan2(x[1])
    }
    for (y, x) in [(0.0, 0.0), (0.0, -0.0), (-0.0, 0.0), (-0.0, -0.0)] {
        let (v, g) = both!(atan2, [y, x]);
        assert_eq!(v.to_bits(), y.atan2(x).to_bits(), "atan2({y}, {x})");
        assert_eq!(g, [0.0, 0.0], "atan2({y}, {x})");
    }
}

#[test]
fn hypot_origin_zero_partials() {
    fn hypot<T: Float>(x: &[T]) -> T {
        x[0].hypot(x[1])
    }
    for (a, b) in [(0.0, 0.0), (0.0, -0.0), (-0.0, 0.0), (-0.0, -0.0)] {
        let (v, g) = both!(hypot, [a, b]);
        assert_eq!(v.to_bits(), a.hypot(b).to_bits(), "hypot({a}, {b})");
        assert_eq!(g, [0.0, 0.0], "hypot({a}, {b})");
    }
}

/// Every query of `Var` answers as `f64` does on the value (recorded or constant alike).
fn assert_queries_match(v: Var<f64>, x: f64) {
    assert_eq!(v.is_nan(), x.is_nan(), "{x:e}");
    assert_eq!(v.is_infinite(), x.is_infinite(), "{x:e}");
    assert_eq!(v.is_finite(), x.is_finite(), "{x:e}");
    assert_eq!(v.is_normal(), x.is_normal(), "{x:e}");
    assert_eq!(v.is_subnormal(), x.is_subnormal(), "{x:e}");
    assert_eq!(v.classify(), x.classify(), "{x:e}");
    assert_eq!(v.is_sign_positive(), x.is_sign_positive(), "{x:e}");
    assert_eq!(v.is_sign_negative(), x.is_sign_negative(), "{x:e}");
    assert_eq!(Float::integer_decode(v), Float::integer_decode(x), "{x:e}");
    assert_eq!(v.to_f64().map(f64::to_bits), Some(x.to_bits()), "{x:e}");
    assert_eq!(v.to_i64(), x.to_i64(), "{x:e}");
    assert_eq!(v.to_u8(), x.to_u8(), "{x:e}");
    assert_eq!(
        v.to_f32().map(f32::to_bits),
        x.to_f32().map(f32::to_bits),
        "{x:e}"
    );
    let d = Dual::<f64, 1>::variable(x, 0);
    assert_eq!(
        (
            d.is_nan(),
            d.is_finite(),
            d.is_sign_negative(),
            d.classify()
        ),
        (
            v.is_nan(),
            v.is_finite(),
            v.is_sign_negative(),
            v.classify()
        ),
        "{x:e}: forward vs reverse"
    );
}

#[test]
fn queries_use_value() {
    let mut rng = Rng::new(0xC0_000C);
    let special = [
        0.0,
        -0.0,
        1.5,
        -7.25,
        1e-310, // subnormal
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        3e9,
    ];
    let xs: Vec<f64> = special
        .into_iter()
        .chain((0..50).map(|_| rng.uniform(-1e3, 1e3)))
        .collect();
    for &x in &xs {
        assert_queries_match(Var::constant(x), x);
    }
    let mut tape = Tape::new();
    tape.record(&xs, |v| {
        for (&vi, &x) in v.iter().zip(&xs) {
            assert!(!vi.is_constant());
            assert_queries_match(vi, x);
        }
        v[0]
    });
}

#[test]
fn mul_add_is_fused() {
    fn fma<T: Float>(x: &[T]) -> T {
        x[0].mul_add(x[1], x[2])
    }
    // 0.1·10 rounds to 1 exactly, so the unfused result is 0; fused, it is 2⁻⁵⁴ ≈ 5.55e-17
    let p = [0.1, 10.0, -1.0];
    assert_ne!(p[0].mul_add(p[1], p[2]), p[0] * p[1] + p[2]);
    let (v, g) = both!(fma, p);
    assert_eq!(v.to_bits(), p[0].mul_add(p[1], p[2]).to_bits());
    assert_eq!(g, [10.0, 0.1, 1.0]);
    // random points
    let mut rng = Rng::new(0xC0_000D);
    for _ in 0..100 {
        let q = [
            rng.uniform(-5.0, 5.0),
            rng.uniform(-5.0, 5.0),
            rng.uniform(-5.0, 5.0),
        ];
        let (v, g) = both!(fma, q);
        assert_eq!(v.to_bits(), q[0].mul_add(q[1], q[2]).to_bits());
        assert_eq!(g, [q[1], q[0], 1.0]);
    }
    // forward over reverse: the value of a Var<Dual> mul_add is fused in its tangent lane too,
    // as forward mode's is: ε = fma(x', a, fma(x, a', b')) = fma(0.1, 10, −1) here
    let xd = [
        Dual::new(0.1, [0.1]),
        Dual::new(10.0, [0.0]),
        Dual::new(-1.0, [-1.0]),
    ];
    let forward = xd[0].mul_add(xd[1], xd[2]);
    assert_eq!(forward.eps[0], 0.1f64.mul_add(10.0, -1.0));
    let mut tape = Tape::new();
    let y = tape.record(&xd, |v| v[0].mul_add(v[1], v[2]));
    assert_eq!(y.value().re.to_bits(), forward.re.to_bits());
    assert_eq!(y.value().eps[0].to_bits(), forward.eps[0].to_bits());
}
