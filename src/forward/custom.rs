//! `Dual`'s impl of [`Custom`]: the rule's value at the level below, and its derivative evaluated
//! there (so that it carries its own derivatives) times each tangent.

use num_traits::Float;

use super::Dual;
use crate::base::custom::{
    BlackBox, Custom, GradientRule, UnaryRule, no_second_derivative, sealed,
};

impl<T, const N: usize> sealed::Sealed for Dual<T, N> {}

/// True if every tangent of `x` is exactly zero (all its parts, at every level).
#[inline]
fn tangent_free<T: Custom, const N: usize>(x: &Dual<T, N>) -> bool {
    x.eps.iter().all(Custom::is_exactly_zero)
}

/// The value at the level below, and the derivative evaluated there (so that it carries its own
/// derivatives) times each tangent.
impl<T: Custom, const N: usize> Custom for Dual<T, N> {
    #[inline]
    fn is_exactly_zero(&self) -> bool {
        self.re.is_exactly_zero() && tangent_free(self)
    }

    #[inline]
    fn custom<R: UnaryRule>(self, rule: &R) -> Self {
        let v = self.re.custom(rule);
        if tangent_free(&self) {
            return Dual::constant(v);
        }
        self.chain(v, rule.derivative(self.re))
    }

    fn custom_n<R: GradientRule>(rule: &R, x: &[Self]) -> Self {
        let re: Vec<T> = x.iter().map(|d| d.re).collect();
        let v = T::custom_n(rule, &re);
        if x.iter().all(tangent_free) {
            return Dual::constant(v);
        }
        let mut grad = vec![T::zero(); x.len()];
        rule.gradient(&re, &mut grad);
        sum_of_chains(v, x, &grad)
    }

    fn opaque_gradient<B: BlackBox>(f: &B, x: &[Self], grad: &mut [Self]) {
        if !x.iter().all(tangent_free) {
            no_second_derivative(
                f.name(),
                &format!(
                    "its derivative evaluated on {} (nested dual numbers, or dual numbers on a \
                     tape)",
                    core::any::type_name::<Self>()
                ),
            )
        }
        let re: Vec<T> = x.iter().map(|d| d.re).collect();
        let mut g = vec![T::zero(); x.len()];
        T::opaque_gradient(f, &re, &mut g);
        for (o, v) in grad.iter_mut().zip(g) {
            *o = Dual::constant(v);
        }
    }
}

/// `value + Σᵢ grad[i]·x[i].eps`, each term with the zero conventions of [`Dual::chain`].
pub(crate) fn sum_of_chains<T: Float, const N: usize>(
    value: T,
    x: &[Dual<T, N>],
    grad: &[T],
) -> Dual<T, N> {
    let mut eps = [T::zero(); N];
    for (xi, &gi) in x.iter().zip(grad) {
        let term = xi.chain(T::zero(), gi);
        for (e, t) in eps.iter_mut().zip(term.eps) {
            *e = *e + t;
        }
    }
    Dual::new(value, eps)
}
