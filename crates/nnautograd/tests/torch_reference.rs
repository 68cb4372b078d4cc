//! Forward values and gradients of the elementwise ops against reference values made once with
//! PyTorch (`tests/fixtures/make_torch_ops.py`, which wrote `tests/fixtures/torch_ops.txt`; the
//! test suite does not need PyTorch). For each op: `out = op(x[, y])`, and the gradient of
//! `Σ w ⊙ out` with respect to each input, compared within a few float32 rounding steps.

use nnautograd::{Tape, Var};
use nntensor::Tensor;
use std::collections::HashMap;

/// One op's block of the fixture: line name → values.
type Case = HashMap<String, Vec<f32>>;

fn cases() -> Vec<(String, Case)> {
    let text = include_str!("fixtures/torch_ops.txt");
    let mut out: Vec<(String, Case)> = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(key) = words.next() else { continue };
        if key == "op" {
            out.push((words.next().expect("op name").to_string(), Case::new()));
            continue;
        }
        let values: Vec<f32> = words
            .map(|w| w.parse::<f64>().expect("a number") as f32)
            .collect();
        out.last_mut()
            .expect("a line after `op NAME`")
            .1
            .insert(key.to_string(), values);
    }
    out
}

/// Our op called `name`, on one or two inputs.
fn apply<'t>(name: &str, x: Var<'t>, y: Option<Var<'t>>) -> Var<'t> {
    let y = || y.expect("a binary op needs y");
    match name {
        "sin" => x.sin(),
        "cos" => x.cos(),
        "log1p" => x.log1p(),
        "expm1" => x.expm1(),
        "rsqrt" => x.rsqrt(),
        "reciprocal" => x.reciprocal(),
        "square" => x.square(),
        "sign" => x.sign(),
        "erf" => x.erf(),
        "gelu" => x.gelu(),
        "gelu_tanh" => x.gelu_tanh(),
        "silu" => x.silu(),
        "elu" => x.elu(0.7),
        "selu" => x.selu(),
        "softsign" => x.softsign(),
        "log_sigmoid" => x.log_sigmoid(),
        "hardtanh" => x.hardtanh(-1.0, 1.5),
        "maximum" => x.maximum(y()),
        "minimum" => x.minimum(y()),
        "pow" => x.pow(y()),
        other => panic!("the fixture has an op this test does not know: {other}"),
    }
}

fn assert_close(op: &str, what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{op} {what}: lengths differ");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let tol = 4e-6 * w.abs().max(1.0);
        assert!(
            (g - w).abs() <= tol,
            "{op} {what}[{i}]: got {g}, PyTorch gives {w} (difference {})",
            (g - w).abs()
        );
    }
}

#[test]
fn elementwise_ops_match_pytorch() {
    let cases = cases();
    assert!(cases.len() >= 20, "the fixture lists {} ops", cases.len());
    for (name, case) in &cases {
        let tensor = |key: &str| {
            let v = &case[key];
            Tensor::from_vec([v.len()], v.clone()).unwrap()
        };
        let tape = Tape::new();
        let x = tape.var(tensor("x"));
        let y = case.contains_key("y").then(|| tape.var(tensor("y")));
        let out = apply(name, x, y);
        assert_close(name, "out", &out.to_tensor().to_vec(), &case["out"]);
        let grads = (out * tape.constant(tensor("w"))).sum().backward();
        let dx = x.grad(&grads).map(|g| g.to_vec()).unwrap_or_default();
        assert_close(name, "dx", &dx, &case["dx"]);
        if let Some(y) = y {
            let dy = y.grad(&grads).map(|g| g.to_vec()).unwrap_or_default();
            assert_close(name, "dy", &dy, &case["dy"]);
        }
    }
}
