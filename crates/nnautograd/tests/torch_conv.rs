//! Forward values and gradients of conv2d, max_pool2d and avg_pool2d against reference values made
//! once with PyTorch (`tests/fixtures/make_torch_conv.py`, which wrote
//! `tests/fixtures/torch_conv.txt`; the test suite does not need PyTorch): for each case,
//! `out = op(x[, w, b])` and the gradients of `Σ gw ⊙ out`, within a few float32 rounding steps
//! of the values' scale.

use nnautograd::Tape;
use nntensor::{Conv2dSpec, Pool2dSpec, Tensor};
use std::collections::HashMap;

/// One case of the fixture: line name → numbers.
type Case = HashMap<String, Vec<f64>>;

fn cases() -> Vec<(String, Case)> {
    let mut out: Vec<(String, Case)> = Vec::new();
    for line in include_str!("fixtures/torch_conv.txt").lines() {
        let mut words = line.split_whitespace();
        let Some(key) = words.next() else { continue };
        if key == "case" {
            out.push((words.next().expect("a name").to_string(), Case::new()));
            continue;
        }
        if key == "kind" {
            let kind = match words.next() {
                Some("conv2d") => 0.0,
                Some("max_pool2d") => 1.0,
                Some("avg_pool2d") => 2.0,
                other => panic!("unknown kind {other:?}"),
            };
            out.last_mut()
                .expect("a case")
                .1
                .insert(key.into(), vec![kind]);
            continue;
        }
        let values = words.map(|w| w.parse().expect("a number")).collect();
        out.last_mut().expect("a case").1.insert(key.into(), values);
    }
    out
}

fn tensor(case: &Case, shape: &[usize], key: &str) -> Tensor {
    let values = case[key].iter().map(|&v| v as f32).collect();
    Tensor::from_vec(shape, values).unwrap()
}

fn dims(case: &Case, key: &str) -> Vec<usize> {
    case[key].iter().map(|&v| v as usize).collect()
}

#[track_caller]
fn assert_close(what: &str, got: &Tensor, want: &[f64]) {
    let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    assert_eq!(got.len(), want.len(), "{what}: element count");
    for (i, (&g, &w)) in got.to_vec().iter().zip(want).enumerate() {
        assert!(
            (g as f64 - w).abs() <= 2e-6 * scale,
            "{what}: element {i}: got {g}, PyTorch {w}"
        );
    }
}

#[test]
fn convolutions_and_pooling_match_pytorch() {
    let all = cases();
    assert_eq!(all.len(), 8, "every case of the fixture is read");
    for (name, case) in &all {
        let p = dims(case, "params");
        let xshape = dims(case, "xshape");
        let tape = Tape::new();
        let x = tape.var(tensor(case, &xshape, "x"));
        let (out, extra) = match case["kind"][0] as u8 {
            0 => {
                let wshape = dims(case, "wshape");
                let w = tape.var(tensor(case, &wshape, "w"));
                let b = tape.var(tensor(case, &[wshape[0]], "b"));
                let spec = Conv2dSpec {
                    stride: [p[0], p[1]],
                    padding: [p[2], p[3]],
                    dilation: [p[4], p[5]],
                };
                (x.conv2d(w, Some(b), spec), Some((w, b)))
            }
            kind => {
                let spec = Pool2dSpec {
                    kernel: [p[0], p[1]],
                    stride: [p[2], p[3]],
                    padding: [p[4], p[5]],
                };
                let out = if kind == 1 {
                    x.max_pool2d(spec)
                } else {
                    x.avg_pool2d(spec)
                };
                (out, None)
            }
        };
        assert_close(&format!("{name} forward"), &out.to_tensor(), &case["out"]);
        let gw = tape.constant(tensor(case, &out.shape(), "gw"));
        let grads = (out * gw).sum().backward();
        assert_close(&format!("{name} dx"), grads.wrt(x).unwrap(), &case["dx"]);
        if let Some((w, b)) = extra {
            assert_close(&format!("{name} dw"), grads.wrt(w).unwrap(), &case["dw"]);
            assert_close(&format!("{name} db"), grads.wrt(b).unwrap(), &case["db"]);
        }
    }
}
