//! `sin_cos` of a dual number, which now evaluates its value's `sin_cos` once for both results
//! (it made two evaluations, `x.sin()` and `x.cos()`, and, on wide dual numbers, stayed out of line
//! with its two results passed through memory). The oracle: the two separate operations of the
//! rule table (`sin`, `cos`), which must give the same bits, at every nesting level, at special
//! values and special tangents; and the closed form (sin x, cos x; tangents cos x·ẋ and −sin x·ẋ)
//! at the first level.

use nilpotent::Dual;
use num_traits::Float;

/// The bits of every part of a (possibly nested) dual number, in order.
trait Bits {
    fn bits(&self, out: &mut Vec<u64>);
}

impl Bits for f64 {
    fn bits(&self, out: &mut Vec<u64>) {
        out.push(self.to_bits());
    }
}

impl Bits for f32 {
    fn bits(&self, out: &mut Vec<u64>) {
        out.push(u64::from(self.to_bits()));
    }
}

impl<T: Bits, const N: usize> Bits for Dual<T, N> {
    fn bits(&self, out: &mut Vec<u64>) {
        self.re.bits(out);
        for e in &self.eps {
            e.bits(out);
        }
    }
}

fn bits_of<T: Bits>(x: &T) -> Vec<u64> {
    let mut v = Vec::new();
    x.bits(&mut v);
    v
}

/// `x.sin_cos()` against `(x.sin(), x.cos())`, bit for bit.
fn check<T: Float + Bits + core::fmt::Debug>(x: T) {
    let (s, c) = x.sin_cos();
    assert_eq!(bits_of(&s), bits_of(&x.sin()), "sin_cos().0 of {x:?}");
    assert_eq!(bits_of(&c), bits_of(&x.cos()), "sin_cos().1 of {x:?}");
}

const VALUES: [f64; 12] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    core::f64::consts::FRAC_PI_2,
    3.0,
    1e300,
    5e-324,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    -0.758453,
];

const TANGENTS: [f64; 6] = [0.0, 1.0, -2.5, f64::INFINITY, f64::NAN, -0.0];

#[test]
fn sin_cos_with_one_sincos_not_two_is_sin_and_cos_bit_for_bit() {
    for (k, &v) in VALUES.iter().enumerate() {
        // narrow and wide (16 lanes: the out-of-line special cases of `wide`) tangents
        let t = |i: usize| TANGENTS[(k + i) % TANGENTS.len()];
        check(Dual::<f64, 3>::new(v, [t(0), t(1), t(2)]));
        check(Dual::<f64, 16>::new(v, core::array::from_fn(t)));
        check(Dual::<f32, 4>::new(
            v as f32,
            core::array::from_fn(|i| t(i) as f32),
        ));
        // second and third order
        let inner = |i: usize| Dual::<f64, 2>::new(t(i), [t(i + 1), t(i + 2)]);
        check(Dual::<Dual<f64, 2>, 2>::new(
            Dual::new(v, [t(3), t(4)]),
            [inner(0), inner(1)],
        ));
        let d1 = |a: f64, b: f64| Dual::<f64, 1>::new(a, [b]);
        check(Dual::<Dual<Dual<f64, 1>, 1>, 1>::new(
            Dual::new(d1(v, t(0)), [d1(t(1), t(2))]),
            [Dual::new(d1(t(3), t(4)), [d1(t(5), 1.0)])],
        ));

        // the closed form at the first level, for an ordinary tangent
        let x = Dual::<f64, 2>::new(v, [1.0, -2.5]);
        let (s, c) = x.sin_cos();
        // (a zero partial gives +0 tangents by the crate's convention, where e·(−0) is −0)
        let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
        assert!(same(s.re, v.sin()) && same(c.re, v.cos()), "values at {v}");
        for (i, &e) in [1.0, -2.5].iter().enumerate() {
            assert!(same(s.eps[i], e * v.cos()), "d sin at {v}, lane {i}");
            assert!(same(c.eps[i], e * -v.sin()), "d cos at {v}, lane {i}");
        }
    }
}
