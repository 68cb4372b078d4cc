//! The PyTorch-style losses against reference values made once with PyTorch 2.15
//! (`crates/nnautograd/tests/fixtures/make_torch_ops.py losses`, which wrote
//! `tests/fixtures/torch_losses.txt`; the test suite does not need PyTorch): the loss value and
//! the gradient of `Σ w ⊙ loss` with respect to the input and, for the regression losses, the
//! target.

use nnautograd::nntensor::Tensor;
use nnautograd::{Tape, Var};
use nnlayers::{
    bce_with_logits_pos_weight, cross_entropy, huber_loss, kl_div, l1_loss, mse, nll_loss,
    smooth_l1_loss, ClassLossOptions, Reduction,
};
use std::collections::HashMap;

const LABELS: [usize; 3] = [2, 0, 3];

fn cases() -> Vec<(String, HashMap<String, Vec<f32>>)> {
    let mut out: Vec<(String, HashMap<String, Vec<f32>>)> = Vec::new();
    for line in include_str!("fixtures/torch_losses.txt").lines() {
        let mut words = line.split_whitespace();
        let Some(key) = words.next() else { continue };
        if key == "op" {
            out.push((words.next().expect("a name").to_string(), HashMap::new()));
            continue;
        }
        let values = words.map(|w| w.parse::<f64>().expect("a number") as f32);
        let case = &mut out.last_mut().expect("a line after `op NAME`").1;
        case.insert(key.to_string(), values.collect());
    }
    out
}

fn apply<'t>(name: &str, x: Var<'t>, y: Option<Var<'t>>) -> Var<'t> {
    let class_weight = Tensor::from_vec([4], vec![0.5, 1.0, 2.0, 1.5]).unwrap();
    let weighted = ClassLossOptions {
        weight: Some(&class_weight),
        ..Default::default()
    };
    let y = || y.expect("a pair loss needs y");
    let none = ClassLossOptions::default();
    match name {
        "nll_mean" => nll_loss(x, &LABELS, &none, Reduction::Mean),
        "nll_weight_ignore" => {
            let options = ClassLossOptions {
                ignore_index: Some(0),
                ..weighted
            };
            nll_loss(x, &LABELS, &options, Reduction::Mean)
        }
        "ce_mean" => cross_entropy(x, &LABELS, &none, Reduction::Mean),
        "ce_weight_smooth" => {
            let options = ClassLossOptions {
                label_smoothing: 0.2,
                ..weighted
            };
            cross_entropy(x, &LABELS, &options, Reduction::Mean)
        }
        "ce_ignore_sum" => {
            let options = ClassLossOptions {
                ignore_index: Some(3),
                ..Default::default()
            };
            cross_entropy(x, &LABELS, &options, Reduction::Sum)
        }
        "ce_smooth_none" => {
            let options = ClassLossOptions {
                label_smoothing: 0.1,
                ..Default::default()
            };
            cross_entropy(x, &LABELS, &options, Reduction::None)
        }
        "l1_mean" => l1_loss(x, y(), Reduction::Mean),
        "smooth_l1_none" => smooth_l1_loss(x, y(), 0.7, Reduction::None),
        "huber_mean" => huber_loss(x, y(), 0.8, Reduction::Mean),
        // mse takes its target as data: this case checks its `None` reduction.
        "mse_none" => mse(x, &y().to_tensor(), Reduction::None),
        "kl_div_sum" => kl_div(x.log_softmax(1), y().softmax(1), false, Reduction::Sum),
        "kl_div_log_target_none" => {
            kl_div(x.log_softmax(1), y().log_softmax(1), true, Reduction::None)
        }
        "bce_pos_weight_mean" => {
            bce_with_logits_pos_weight(x, y().sigmoid(), &class_weight, Reduction::Mean)
        }
        other => panic!("the fixture has a loss this test does not know: {other}"),
    }
}

fn assert_close(loss: &str, what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{loss} {what}: lengths differ");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 4e-6 * w.abs().max(1.0),
            "{loss} {what}[{i}]: got {g}, PyTorch gives {w}"
        );
    }
}

#[test]
fn losses_match_pytorch() {
    let cases = cases();
    assert!(
        cases.len() >= 13,
        "the fixture lists {} losses",
        cases.len()
    );
    for (name, case) in &cases {
        let shape: Vec<usize> = case["shape"].iter().map(|&d| d as usize).collect();
        let tape = Tape::new();
        let x = tape.var(Tensor::from_vec(shape.as_slice(), case["x"].clone()).unwrap());
        let y = case
            .get("y")
            .map(|y| tape.var(Tensor::from_vec(shape.as_slice(), y.clone()).unwrap()));
        let loss = apply(name, x, y);
        assert_close(name, "loss", &loss.to_tensor().to_vec(), &case["out"]);
        let w = Tensor::from_vec(loss.shape(), case["w"].clone()).unwrap();
        let grads = (loss * tape.constant(w)).sum().backward();
        let dx = x.grad(&grads).map(|g| g.to_vec()).unwrap_or_default();
        assert_close(name, "dx", &dx, &case["dx"]);
        if let Some(y) = y {
            let dy = y.grad(&grads).map(|g| g.to_vec()).unwrap_or_default();
            let want_dy = &case["dy"];
            // mse takes its target as data: no gradient reaches it.
            if name != "mse_none" {
                assert_close(name, "dy", &dy, want_dy);
            }
        }
    }
}
