//! `Var`'s impl of [`Custom`]: one tape node whose partials are the rule's derivative evaluated in
//! the scalar type.

use super::Var;
use crate::base::custom::{
    BlackBox, Custom, GradientRule, UnaryRule, no_second_derivative, sealed,
};

impl<T> sealed::Sealed for Var<T> {}

/// One node (several for more than two operands) whose partials are the derivative evaluated in
/// `T`.
impl<T: Custom + 'static> Custom for Var<T> {
    /// The constant 0 (a recorded variable carries a derivative).
    fn is_exactly_zero(&self) -> bool {
        self.is_constant() && self.value().is_exactly_zero()
    }

    fn custom<R: UnaryRule>(self, rule: &R) -> Self {
        let v = self.value().custom(rule);
        if self.is_constant() {
            return Var::constant(v);
        }
        let d = rule.derivative(self.value());
        Var::record_custom(&[self], v, &[d], rule.name())
    }

    fn custom_n<R: GradientRule>(rule: &R, x: &[Self]) -> Self {
        let values: Vec<T> = x.iter().map(|v| v.value()).collect();
        let v = T::custom_n(rule, &values);
        if x.iter().all(Var::is_constant) {
            return Var::constant(v);
        }
        let mut grad = vec![T::zero(); x.len()];
        rule.gradient(&values, &mut grad);
        Var::record_custom(x, v, &grad, rule.name())
    }

    fn opaque_gradient<B: BlackBox>(f: &B, x: &[Self], grad: &mut [Self]) {
        if !x.iter().all(Var::is_constant) {
            no_second_derivative(
                f.name(),
                &format!(
                    "its derivative recorded on {} (a tape inside a derivative)",
                    core::any::type_name::<Self>()
                ),
            )
        }
        let values: Vec<T> = x.iter().map(|v| v.value()).collect();
        let mut g = vec![T::zero(); x.len()];
        T::opaque_gradient(f, &values, &mut g);
        for (o, v) in grad.iter_mut().zip(g) {
            *o = Var::constant(v);
        }
    }
}
