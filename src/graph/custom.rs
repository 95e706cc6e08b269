//! `Sym`'s impl of [`Custom`]: a node that calls the rule's value (type-erased in a
//! [`CustomFn`]); derivative graphs record the rule's derivative on `Sym`.

use super::Sym;
use crate::base::custom::{BlackBox, Custom, GradientRule, UnaryRule, sealed};

/// A custom operation as the graph keeps it: the rule, type-erased, its derivative recorded on `Sym`.
pub(crate) type CustomFn = crate::base::custom::CustomFn<Sym>;

impl sealed::Sealed for Sym {}

/// A node that calls the rule's value; derivative graphs record its derivative on `Sym`.
impl Custom for Sym {
    /// The constant 0 (a recorded value carries a derivative).
    fn is_exactly_zero(&self) -> bool {
        self.is_constant() && self.value() == 0.0
    }

    fn custom<R: UnaryRule>(self, rule: &R) -> Sym {
        if self.is_constant() {
            return Sym::constant(rule.value(self.value()));
        }
        Sym::custom_node(CustomFn::unary(rule), &[self])
    }

    fn custom_n<R: GradientRule>(rule: &R, x: &[Sym]) -> Sym {
        if x.iter().all(Sym::is_constant) {
            let values: Vec<f64> = x.iter().map(Sym::value).collect();
            return Sym::constant(rule.value(&values));
        }
        Sym::custom_node(CustomFn::gradient(rule), x)
    }

    fn opaque_gradient<B: BlackBox>(f: &B, x: &[Sym], grad: &mut [Sym]) {
        for (i, o) in grad.iter_mut().enumerate() {
            *o = Sym::custom_node(f.entry(i), x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forward::Dual;
    use crate::graph::Graph;

    #[derive(Clone, Copy)]
    struct Sq;
    impl UnaryRule for Sq {
        fn name(&self) -> &'static str {
            "sq"
        }
        fn value(&self, x: f64) -> f64 {
            x * x
        }
        fn derivative<T: Custom>(&self, x: T) -> T {
            x + x
        }
    }

    #[derive(Clone, Copy)]
    struct Prod3;
    impl GradientRule for Prod3 {
        fn name(&self) -> &'static str {
            "prod3"
        }
        fn value(&self, x: &[f64]) -> f64 {
            x[0] * x[1] * x[2]
        }
        fn gradient<T: Custom>(&self, x: &[T], g: &mut [T]) {
            g[0] = x[1] * x[2];
            g[1] = x[0] * x[2];
            g[2] = x[0] * x[1];
        }
    }

    /// The interpreter reads a custom call's operand slots without bounds checks: exercised here
    /// on f64 and dual numbers, small enough for Miri (`cargo +nightly miri test --lib`).
    #[test]
    fn custom_instructions_on_the_interpreter() {
        let x = [1.5, -2.0, 0.5];
        let g = Graph::record(&x, |x| {
            Sym::custom_n(&Prod3, &[x[0].custom(&Sq), x[1], x[2]]) + x[1].custom(&Sq)
        });
        let h = g.hessian();
        let out = h.eval(&x).unwrap();
        // f = x₀²x₁x₂ + x₁²
        assert_eq!(out[0], 1.5 * 1.5 * -2.0 * 0.5 + 4.0);
        assert_eq!(
            out[1..4],
            [
                2.0 * 1.5 * -2.0 * 0.5,
                1.5 * 1.5 * 0.5 + 2.0 * -2.0,
                1.5 * 1.5 * -2.0
            ]
        );
        assert_eq!(
            out[4..7],
            [2.0 * -2.0 * 0.5, 2.0 * 1.5 * 0.5, 2.0 * 1.5 * -2.0]
        );
        let mut e = g.program().evaluator::<Dual<f64, 3>>();
        let xd: Vec<Dual<f64, 3>> = (0..3).map(|i| Dual::variable(x[i], i)).collect();
        let y = e.eval(&xd).unwrap();
        assert_eq!(y[0].eps, [out[1], out[2], out[3]]);
    }
}
