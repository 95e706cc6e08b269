//! Errors and panics: wrong lengths, foreign and stale symbols, misuse.

use super::*;

// ---------------------------------------------------------------------------------------------
// 7. Errors and panics
// ---------------------------------------------------------------------------------------------

/// Wrong input and output lengths are errors (not panics, not numbers), with messages that give
/// both lengths.
#[test]
fn wrong_lengths_are_errors() {
    let g = Graph::record(&[2.0, 5.0], lecture).gradient();
    for x in [&[1.0][..], &[1.0, 2.0, 3.0], &[]] {
        let err = g.eval(x).unwrap_err();
        assert_eq!(
            err,
            GraphError::InputLength {
                expected: 2,
                found: x.len()
            }
        );
        assert_eq!(
            err.to_string(),
            format!(
                "the graph has 2 inputs but the input given has {} {}",
                x.len(),
                if x.len() == 1 { "value" } else { "values" }
            )
        );
    }
    let mut e = g.program().evaluator::<f64>();
    for len in [0, 2, 4] {
        let mut out = vec![0.0; len];
        let err = e.eval_into(&[1.0, 2.0], &mut out).unwrap_err();
        assert_eq!(
            err,
            GraphError::OutputLength {
                expected: 3,
                found: len
            }
        );
        assert!(
            err.to_string().contains("3 outputs")
                && err.to_string().contains(&format!("{len} entries"))
        );
        assert!(out.iter().all(|&v| v == 0.0), "nothing written");
    }
    // a wrong input is checked before the output buffer, and the evaluator still works after
    let mut out = [0.0; 3];
    assert!(matches!(
        e.eval_into(&[1.0], &mut out),
        Err(GraphError::InputLength { .. })
    ));
    e.eval_into(&[1.0, 0.0], &mut out).unwrap();
    assert_eq!(out[1], 1.0);
    // an error is a std::error::Error
    let boxed: Box<dyn std::error::Error> = Box::new(g.eval(&[]).unwrap_err());
    assert!(boxed.to_string().starts_with("the graph has 2 inputs"));
    // a guard error leaves the evaluator usable, and a failed evaluation writes nothing
    let g = Graph::record(&[1.0], |x| if x[0] > 0.0 { x[0] } else { -x[0] });
    let mut e = g.program().evaluator::<f64>();
    let mut out = [7.0];
    assert!(e.eval_into(&[-1.0], &mut out).is_err());
    assert_eq!(out, [7.0]);
    e.eval_into(&[3.0], &mut out).unwrap();
    assert_eq!(out, [3.0]);
}

/// `gradient()` and `hessian()` need exactly one output, and say so.
#[test]
fn gradient_of_several_outputs_panics_clearly() {
    let g = Graph::record_vec(&[1.0, 2.0], |x| vec![x[0] * x[1], x[0].sin()]);
    let msg = panics(|| g.gradient());
    assert!(
        msg.contains("2 outputs") && msg.contains("exactly one") && msg.contains("jacobian"),
        "{msg}"
    );
    let msg = panics(|| g.hessian());
    assert!(msg.contains("2 outputs"), "{msg}");
    let g = Graph::record_vec(&[1.0], |_| Vec::new());
    assert_eq!(g.num_outputs(), 0);
    assert!(panics(|| g.gradient()).contains("0 outputs"));
    // the Jacobian of no outputs is empty, not a panic
    assert_eq!(g.jacobian().eval(&[1.0]).unwrap(), Vec::<f64>::new());
}

/// A `Sym` of one recording used in another, or outside of any recording, panics with a message
/// that says what happened; the thread's recording state is clean afterwards.
#[test]
fn syms_of_another_recording_panic_clearly() {
    let leaked = Cell::new(None::<Sym>);
    let g = Graph::record(&[1.0], |x| {
        leaked.set(Some(x[0]));
        x[0].sin()
    });
    let old = leaked.get().unwrap();
    assert_eq!(
        (old.value(), old.node(), old.is_constant()),
        (1.0, Some(0), false)
    );

    // used in an operation of another recording
    let msg = panics(|| Graph::record(&[2.0], |x| x[0] + old));
    assert!(msg.contains("another graph recording"), "{msg}");
    let msg = panics(|| Graph::record(&[2.0], |x| x[0].atan2(old)));
    assert!(msg.contains("another graph recording"), "{msg}");
    // compared in another recording
    let msg = panics(|| Graph::record(&[2.0], |x| if x[0] < old { x[0] } else { old }));
    assert!(msg.contains("another graph recording"), "{msg}");
    // returned as the output of another recording
    let msg = panics(|| Graph::record(&[2.0], |_| old));
    assert!(msg.contains("another graph recording"), "{msg}");
    // alone, in another recording (the recording active is not its own)
    let msg = panics(|| Graph::record(&[2.0], |x| old.sin() + x[0]));
    assert!(msg.contains("another graph recording"), "{msg}");
    // outside of any recording
    let msg = panics(|| old.sin());
    assert!(msg.contains("outside of its recording"), "{msg}");
    let msg = panics(|| old * 2.0);
    assert!(msg.contains("outside of its recording"), "{msg}");
    let msg = panics(|| old.is_nan());
    assert!(msg.contains("outside of its recording"), "{msg}");

    // constants need no recording
    let c = Sym::constant(2.0);
    assert_eq!((c * 3.0).sin().value(), 6f64.sin());
    assert!(c.is_constant() && c.node().is_none());

    // after all these panics this thread records and evaluates as before
    assert_eq!(g.eval(&[0.5]).unwrap(), vec![0.5f64.sin()]);
    let again = Graph::record(&[2.0, 5.0], lecture);
    assert_eq!(again.len(), 5);
    assert_eq!(again.gradient().eval(&[2.0, 5.0]).unwrap()[1], 5.5);
    // and a panic inside the recorded function leaves no recording behind
    let msg = panics(|| Graph::record(&[1.0], |_| panic!("user panic")));
    assert_eq!(msg, "user panic");
    assert!(panics(|| old.cos()).contains("outside of its recording"));
    assert_eq!(
        Graph::record(&[3.0], |x| x[0] * x[0]).eval(&[4.0]).unwrap(),
        vec![16.0]
    );
}

/// A recording inside a recording: the inner one is independent (its numbers enter the outer one
/// as constants), and the outer one continues after it.
#[test]
fn nested_recordings_are_independent() {
    let g = Graph::record(&[1.0], |x| {
        let inner = Graph::record(&[2.0], |y| y[0] * y[0]);
        let nine = inner.eval(&[3.0]).unwrap()[0];
        x[0] * nine
    });
    assert_eq!(g.len(), 1);
    assert_eq!(g.eval(&[2.0]).unwrap(), vec![18.0]);
    // the outer recording's Sym inside the inner one panics
    let msg = panics(|| {
        drop(Graph::record(&[1.0], |x| {
            let outer = x[0];
            drop(Graph::record(&[2.0], |y| y[0] * outer));
            outer
        }))
    });
    assert!(msg.contains("another graph recording"), "{msg}");
    // both recordings ended while unwinding
    assert_eq!(Graph::record(&[3.0], |x| x[0].exp()).len(), 1);
}
