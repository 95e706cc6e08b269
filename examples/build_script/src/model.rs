// The functions, written once, generically: the build script records them, the program compares
// the emitted code with the interpreter and the f64 function. (Included by both with `include!`.)

/// The lecture function f(x₁, x₂) = ln x₁ + x₁x₂ − sin x₂.
pub fn lecture<T: num_traits::Float>(x: &[T]) -> T {
    x[0].ln() + x[0] * x[1] - x[1].sin()
}

/// The extended Rosenbrock function.
pub fn rosenbrock<T: num_traits::Float>(x: &[T]) -> T {
    let c = T::from(100.0).unwrap();
    let mut s = T::zero();
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = T::one() - x[i];
        s = s + c * a * a + b * b;
    }
    s
}

/// The number of inputs of the Rosenbrock gradient emitted by the build script.
pub const N: usize = 64;

/// The point both graphs are recorded at.
pub fn rosenbrock_point() -> Vec<f64> {
    (0..N).map(|i| 0.5 + 0.1 * ((i * 7) % 11) as f64).collect()
}
