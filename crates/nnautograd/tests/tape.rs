//! Tape semantics: accumulation, sharing, no-grad mode, stale handles.

use nnautograd::{Param, Tape};
use nntensor::{scalar, Tensor};

#[test]
fn a_value_used_twice_gets_both_gradients() {
    let tape = Tape::new();
    let x = tape.var(scalar(3.0));
    let y = x * x + x; // dy/dx = 2x + 1 = 7
    assert_eq!(y.backward().wrt(x).unwrap()[[]], 7.0);
}

#[test]
fn a_parameter_put_on_the_tape_twice_gets_one_summed_gradient() {
    let w = Param::new(scalar(2.0));
    let tape = Tape::new();
    let a = tape.param(&w);
    let b = tape.param(&w);
    let grads = (a * b).backward(); // w² → 2w
    assert_eq!(grads.len(), 1);
    assert_eq!(grads.get(&w).unwrap()[[]], 4.0);
}

#[test]
fn parameters_are_shared_not_copied() {
    let mut w = Param::new(Tensor::ones(vec![1000]));
    let tape = Tape::new();
    let v = tape.param(&w);
    assert_eq!(
        v.value().as_slice().unwrap().as_ptr(),
        w.value().as_slice().unwrap().as_ptr(),
        "the tape must read the parameter's own array"
    );
    let _ = v.sum().backward();
    let before = w.value().as_slice().unwrap().as_ptr();
    w.value_mut()[0] = 5.0; // the tape has let go: no copy
    assert_eq!(w.value().as_slice().unwrap().as_ptr(), before);
}

#[test]
fn updating_a_parameter_under_a_live_tape_copies_instead_of_corrupting_it() {
    let mut w = Param::new(scalar(1.0));
    let tape = Tape::new();
    let v = tape.param(&w);
    w.value_mut()[[]] = 9.0;
    assert_eq!(v.item(), 1.0);
    assert_eq!(w.value()[[]], 9.0);
}

#[test]
fn no_grad_records_no_graph_and_restores_after_panics() {
    let tape = Tape::new();
    let x = tape.var(scalar(1.0));
    let y = tape.no_grad(|| (x * 2.0).exp());
    assert!(!y.requires_grad());
    assert!(tape.is_grad_enabled());
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tape.no_grad(|| panic!("inside"))
    }));
    assert!(caught.is_err());
    assert!(
        tape.is_grad_enabled(),
        "no_grad must restore recording even when its closure panics"
    );
}

#[test]
fn data_gets_no_gradient() {
    let w = Param::new(Tensor::ones(vec![2, 1]));
    let tape = Tape::new();
    let x = tape.constant(Tensor::ones(vec![3, 2]));
    let grads = x.matmul(tape.param(&w)).sum().backward();
    assert_eq!(grads.len(), 1);
    assert_eq!(grads.get(&w).unwrap().as_slice().unwrap(), &[3.0, 3.0]);
}

#[test]
#[should_panic(expected = "used after its tape was consumed")]
fn a_var_used_after_backward_panics() {
    let tape = Tape::new();
    let x = tape.var(scalar(1.0));
    let _ = x.exp().backward();
    let _ = x.exp();
}

#[test]
#[should_panic(expected = "used after its tape was consumed")]
fn a_var_used_after_reset_panics() {
    let tape = Tape::new();
    let x = tape.var(scalar(1.0));
    tape.reset();
    let _ = x + x;
}

#[test]
#[should_panic(expected = "the loss must be a single value, got shape [2]")]
fn backward_of_a_vector_asks_for_a_reduction() {
    let tape = Tape::new();
    let _ = tape.var(Tensor::ones(vec![2])).exp().backward();
}

#[test]
#[should_panic(expected = "different tapes")]
fn mixing_tapes_panics() {
    let (t1, t2) = (Tape::new(), Tape::new());
    let _ = t1.var(scalar(1.0)) + t2.var(scalar(1.0));
}

#[test]
fn shape_panics_point_at_the_op_and_both_shapes() {
    let tape = Tape::new();
    let a = tape.var(Tensor::ones(vec![2, 3]));
    let b = tape.var(Tensor::ones(vec![4, 5]));
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| a.matmul(b))).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("matmul: inner dimensions differ: [2, 3] · [4, 5]"),
        "{msg}"
    );
}

#[test]
fn the_tape_is_reused_across_steps() {
    let w = Param::new(Tensor::ones(vec![4, 4]));
    let tape = Tape::new();
    for _ in 0..3 {
        let x = tape.constant(Tensor::ones(vec![2, 4]));
        let y = x.matmul(tape.param(&w)).relu().sum();
        assert_eq!(tape.len(), 5);
        let _ = y.backward();
        assert!(tape.is_empty());
    }
}

/// Runs `f`, which must panic, and returns the file and line the panic reports.
fn panic_location(f: impl FnOnce()) -> (String, u32) {
    use std::sync::{Arc, Mutex};
    let seen = Arc::new(Mutex::new(None));
    let seen_in_hook = Arc::clone(&seen);
    let this_thread = std::thread::current().id();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Tests run in parallel: ignore panics from other tests' threads.
        if std::thread::current().id() != this_thread {
            return;
        }
        let loc = info.location().unwrap();
        *seen_in_hook.lock().unwrap() = Some((loc.file().to_string(), loc.line()));
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    assert!(result.is_err(), "expected a panic");
    let seen = seen.lock().unwrap().clone().unwrap();
    seen
}

#[test]
fn shape_panics_report_the_callers_line() {
    let tape = Tape::new();
    let a = tape.var(Tensor::ones(vec![2, 3]));
    let b = tape.var(Tensor::ones(vec![4]));
    #[rustfmt::skip] // each closure must stay on the line that `line!()` reports
    let cases: Vec<(Box<dyn FnOnce()>, u32)> = vec![
        (Box::new(|| { let _ = a + b; }), line!()),
        (Box::new(|| { let _ = a.matmul(b); }), line!()),
        (Box::new(|| { let _ = a.reshape(&[5]); }), line!()),
        (Box::new(|| { let _ = a.sum_axis(2); }), line!()),
        (Box::new(|| { let _ = a.gather_rows(&[9]); }), line!()),
        (Box::new(|| { let _ = a.linear(b, None); }), line!()),
        (Box::new(|| { let _ = a.sparse_softmax_cross_entropy(&[0]); }), line!()),
    ];
    for (f, line) in cases {
        let (file, got) = panic_location(f);
        assert!(
            file.ends_with("tests/tape.rs"),
            "panic reported in {file}:{got}, not at the caller"
        );
        assert_eq!(got, line);
    }
}

#[test]
fn recording_while_a_value_is_borrowed_names_the_op() {
    let tape = Tape::new();
    let x = tape.var(Tensor::ones(vec![2]));
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _held = x.value();
        let _ = x.exp();
    }))
    .unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.starts_with("Exp: a value of this tape is still borrowed"),
        "{msg}"
    );
    assert!(msg.contains("to_tensor()"), "{msg}");
}
