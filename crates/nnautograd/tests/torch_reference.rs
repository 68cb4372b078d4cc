//! Forward values and gradients of the elementwise ops, the reductions and the shape ops against reference values made once with
//! PyTorch (`tests/fixtures/make_torch_ops.py`, which wrote `tests/fixtures/torch_ops.txt`; the
//! test suite does not need PyTorch). For each op: `out = op(x[, y])`, and the gradient of
//! `Σ w ⊙ out` with respect to each input, compared within a few float32 rounding steps.

use nnautograd::{Tape, Var};
use nntensor::{Norm, Tensor};
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
        "sum_0" => x.sum_axes(&[0], false),
        "sum_-1_keep" => x.sum_axes(&[-1], true),
        "sum_all" => x.sum_axes(&[0, 1], false),
        "mean_1" => x.mean_axes(&[1], false),
        "mean_0_keep" => x.mean_axes(&[0], true),
        "prod_1" => x.prod(&[1], false),
        "amax_0" => x.amax(&[0], false),
        "amin_-1_keep" => x.amin(&[-1], true),
        "logsumexp_1" => x.logsumexp(&[1], false),
        "logsumexp_all" => x.logsumexp(&[], false),
        "var_1" => x.var(&[1], 1.0, false),
        "var_0_c0_keep" => x.var(&[0], 0.0, true),
        "std_1" => x.std(&[1], 1.0, false),
        "std_all_c0" => x.std(&[0, 1], 0.0, false),
        "norm_l1_1" => x.norm(Norm::L1, &[1], false),
        "norm_l2_all" => x.norm(Norm::L2, &[], false),
        "norm_inf_0" => x.norm(Norm::Inf, &[0], false),
        "cumsum_0" => x.cumsum(0),
        "cumsum_-1" => x.cumsum(-1),
        "max_dim_1" => x.max_dim(1, false).0,
        "min_dim_0_keep" => x.min_dim(0, true).0,
        "permute_2_0_1" => x.permute(&[2, 0, 1]),
        "transpose_0_-1" => x.transpose_axes(0, -1),
        "narrow_1_1_2" => x.narrow(1, 1, 2),
        "index_select_-1" => x.index_select(-1, &[3, 0, 3]),
        "flip_0_2" => x.flip(&[0, 2]),
        "squeeze_unsqueeze" => x.unsqueeze(1).squeeze(&[1]),
        "flatten_1_-1" => x.flatten_axes(1, -1),
        "expand" => x.narrow(2, 0, 1).expand(&[2, 3, 5]),
        "cat_self_1" => Var::cat(&[x, x.narrow(1, 0, 1) * 2.0], 1),
        "stack_self_-1" => Var::stack(&[x, x * 3.0], -1),
        "chunk_2_last" => x.chunk(2, -1)[1],
        "gather_2" => x.gather(2, &gather_index()),
        "scatter_add_2" => x.scatter_add(2, &gather_index(), y()),
        "repeat_2_1_2" => x.repeat(&[2, 1, 2]),
        "pad_1_2_0_1" => x.pad(&[(0, 0), (1, 2), (0, 1)], 0.5),
        "matmul_vec" => x.matmul(y()),
        "matmul_vec_left" => y().matmul(x),
        "matmul_broadcast" => x.matmul(y()),
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

/// The index of the gather and scatter cases (as in make_torch_ops.py).
fn gather_index() -> Tensor {
    let ids = [3., 0., 1., 1., 2., 0., 0., 0., 3., 2., 1., 3.];
    Tensor::from_vec([2, 3, 2], ids.to_vec()).unwrap()
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
    assert!(cases.len() >= 59, "the fixture lists {} ops", cases.len());
    for (name, case) in &cases {
        let tensor = |key: &str| {
            let v = &case[key];
            Tensor::from_vec([v.len()], v.clone()).unwrap()
        };
        let tape = Tape::new();
        let x = match case.get("shape") {
            Some(shape) => {
                let shape: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
                tape.var(Tensor::from_vec(shape, case["x"].clone()).unwrap())
            }
            None => tape.var(tensor("x")),
        };
        let y = case.get("y").map(|y| match case.get("yshape") {
            Some(shape) => {
                let shape: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
                tape.var(Tensor::from_vec(shape, y.clone()).unwrap())
            }
            None => tape.var(tensor("y")),
        });
        let out = apply(name, x, y);
        assert_close(name, "out", &out.to_tensor().to_vec(), &case["out"]);
        let w = Tensor::from_vec(out.shape(), case["w"].clone()).unwrap();
        let grads = (out * tape.constant(w)).sum().backward();
        let dx = x.grad(&grads).map(|g| g.to_vec()).unwrap_or_default();
        assert_close(name, "dx", &dx, &case["dx"]);
        if let Some(y) = y {
            let dy = y.grad(&grads).map(|g| g.to_vec()).unwrap_or_default();
            assert_close(name, "dy", &dy, &case["dy"]);
        }
    }
}
