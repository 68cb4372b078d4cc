//! BatchNorm1d/BatchNorm2d against reference values made once with PyTorch
//! (`tests/fixtures/make_torch_batchnorm.py`, which wrote `tests/fixtures/torch_batchnorm.txt`):
//! the training forward, its gradients, the running statistics after one step, and the
//! evaluation forward; then the layer's gradient check, its file round trip and its summary.

use nnautograd::nntensor::{Rng, Tensor};
use nnautograd::{gradcheck, Tape};
use nnlayers::{BatchNorm1d, BatchNorm2d, Context, Module, Sequential};
use std::collections::HashMap;

type Case = HashMap<String, Vec<f64>>;

fn cases() -> Vec<(String, Case)> {
    let mut out: Vec<(String, Case)> = Vec::new();
    for line in include_str!("fixtures/torch_batchnorm.txt").lines() {
        let mut words = line.split_whitespace();
        let Some(key) = words.next() else { continue };
        if key == "case" {
            out.push((words.next().expect("a name").into(), Case::new()));
            continue;
        }
        let values = words.map(|w| w.parse().expect("a number")).collect();
        out.last_mut().expect("a case").1.insert(key.into(), values);
    }
    out
}

fn tensor(case: &Case, shape: &[usize], key: &str) -> Tensor {
    Tensor::from_vec(shape, case[key].iter().map(|&v| v as f32).collect()).unwrap()
}

#[track_caller]
fn assert_close(what: &str, got: &Tensor, want: &[f64]) {
    let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (&g, &w)) in got.to_vec().iter().zip(want).enumerate() {
        assert!(
            (g as f64 - w).abs() <= 1e-5 * scale,
            "{what}: element {i}: got {g}, PyTorch {w}"
        );
    }
}

#[test]
fn batch_norm_matches_pytorch_in_training_and_evaluation() {
    let all = cases();
    assert_eq!(all.len(), 2);
    for (name, case) in &all {
        let shape: Vec<usize> = case["xshape"].iter().map(|&v| v as usize).collect();
        let c = shape[1];
        let mut layer = if shape.len() == 4 {
            BatchNorm2d::new(c)
        } else {
            BatchNorm1d::new(c)
        };
        {
            let params = layer.parameters_mut();
            let mut it = params.into_iter();
            it.next().unwrap().set(tensor(case, &[c], "weight"));
            it.next().unwrap().set(tensor(case, &[c], "bias"));
        }
        let tape = Tape::new();
        let x = tape.var(tensor(case, &shape, "x"));
        let out = layer.forward(x, &mut Context::train(Rng::seed_from(0)));
        assert_close(&format!("{name} out"), &out.to_tensor(), &case["out"]);
        let gw = tape.constant(tensor(case, &shape, "gw"));
        let grads = (out * gw).sum().backward();
        assert_close(&format!("{name} dx"), grads.wrt(x).unwrap(), &case["dx"]);
        assert_close(
            &format!("{name} dweight"),
            grads.get(layer.weight()).unwrap(),
            &case["dweight"],
        );
        assert_close(
            &format!("{name} dbias"),
            grads.get(layer.bias()).unwrap(),
            &case["dbias"],
        );
        assert!(
            grads.get(layer.running_mean()).is_none(),
            "no gradient for statistics"
        );
        drop(grads);
        tape.reset();
        layer.update_state();
        assert_close(
            &format!("{name} running_mean"),
            layer.running_mean().value(),
            &case["running_mean"],
        );
        assert_close(
            &format!("{name} running_var"),
            layer.running_var().value(),
            &case["running_var"],
        );
        let x2 = tape.constant(tensor(case, &shape, "x2"));
        let eval = layer.forward(x2, &mut Context::eval());
        assert_close(
            &format!("{name} eval_out"),
            &eval.to_tensor(),
            &case["eval_out"],
        );
    }
}

#[test]
fn batch_norm_gradients_pass_gradcheck() {
    let mut rng = Rng::seed_from(3);
    let x = Tensor::from_fn([5, 2, 3, 3], || rng.uniform(-1.0, 1.0));
    let layer = BatchNorm2d::new(2);
    gradcheck(
        |_, v| layer.forward(v[0], &mut Context::train(Rng::seed_from(0))),
        &[x],
    )
    .unwrap();
}

#[test]
fn running_statistics_are_saved_loaded_and_counted_as_non_trainable() {
    let mut net = Sequential::new(0)
        .conv2d(1, 2, [3, 3])
        .batch_norm2d(2)
        .relu()
        .flatten()
        .linear(8, 3)
        .batch_norm1d(3);
    let summary = net.summary(&[1, 4, 4]).unwrap();
    assert!(
        summary.contains("batch_norm2d_1 (BatchNorm2d)"),
        "{summary}"
    );
    assert!(summary.contains("Non-trainable params: 10"), "{summary}");
    // One training pass and update moves the running statistics.
    let tape = Tape::new();
    let mut rng = Rng::seed_from(1);
    let x = tape.constant(Tensor::from_fn([6, 1, 4, 4], || rng.normal()));
    let _ = net.forward(x, &mut Context::train(Rng::seed_from(2)));
    tape.reset();
    net.update_state();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bn.nnf");
    net.save(&path).unwrap();
    let loaded = Sequential::load(&path).unwrap();
    let values = |s: &Sequential| -> Vec<Vec<f32>> {
        s.parameters().iter().map(|p| p.value().to_vec()).collect()
    };
    assert_eq!(values(&loaded), values(&net));
    assert_ne!(values(&net)[4], vec![0.0, 0.0], "the running mean moved");
    let probe = Tensor::from_fn([2, 1, 4, 4], || rng.normal());
    let run = |s: &Sequential| {
        let tape = Tape::new();
        s.forward(tape.constant(probe.clone()), &mut Context::eval())
            .to_tensor()
    };
    assert_eq!(run(&loaded), run(&net));
}
