//! Every differentiable op checked against central finite differences with its inputs on the GPU
//! (feature `gpu`): the backward rules run the GPU kernels, the differences the GPU forwards.
//! Inputs stay away from kinks, as in `gradcheck_ops.rs`.
//!
//! Without an adapter the tests say so and pass, unless `NNFACADE_REQUIRE_GPU` is set (as
//! `.ci/run` does).
#![cfg(feature = "gpu")]

use nnautograd::{gradcheck, gradcheck_with, GradcheckOptions, Tape, Var};
use nntensor::{Device, Norm, Rng, Tensor};

fn gpu() -> Option<Device> {
    match Device::gpu() {
        Ok(d) => Some(d),
        Err(e) if std::env::var_os("NNFACADE_REQUIRE_GPU").is_some() => {
            panic!("NNFACADE_REQUIRE_GPU is set but: {e}")
        }
        Err(e) => {
            eprintln!("skipping the GPU gradient checks: {e}");
            None
        }
    }
}

fn rand_in(shape: &[usize], seed: u64, lo: f32, hi: f32, d: Device) -> Tensor {
    let mut rng = Rng::seed_from(seed);
    Tensor::from_fn(shape.to_vec(), || rng.uniform(lo, hi)).to(&d)
}

fn rand(shape: &[usize], seed: u64, d: Device) -> Tensor {
    rand_in(shape, seed, -1.0, 1.0, d)
}

/// Values in ±[0.2, 1): away from the kinks at 0.
fn away_from_zero(shape: &[usize], seed: u64, d: Device) -> Tensor {
    let mut rng = Rng::seed_from(seed);
    Tensor::from_fn(shape.to_vec(), || {
        let v = rng.uniform(0.2, 1.0);
        if rng.next_f32() < 0.5 {
            -v
        } else {
            v
        }
    })
    .to(&d)
}

/// Distinct magnitudes in ±[0.2, 1.4], at least 0.02 apart (more than gradcheck's step), in a
/// shuffled order: no near-ties for max, min or the infinity norm to jump between.
fn spaced(shape: &[usize], seed: u64, d: Device) -> Tensor {
    let n: usize = shape.iter().product();
    let mut rng = Rng::seed_from(seed);
    let order = rng.permutation(n);
    let values = order
        .iter()
        .map(|&k| {
            let v = 0.2 + 1.2 * k as f32 / n as f32;
            if k % 3 == 0 {
                -v
            } else {
                v
            }
        })
        .collect();
    Tensor::from_vec(shape.to_vec(), values).unwrap().to(&d)
}

/// [`check`] with a smaller step, for functions curved enough that the default step's
/// truncation error exceeds the tolerance (var and std over three elements), on either device.
#[track_caller]
fn check_fine(
    what: &str,
    f: impl for<'t> Fn(&'t Tape, &[Var<'t>]) -> Var<'t>,
    inputs: Vec<Tensor>,
) {
    let options = GradcheckOptions {
        step: 2e-3,
        ..Default::default()
    };
    if let Err(e) = gradcheck_with(options, f, &inputs) {
        panic!("{what}: {e}");
    }
}

#[track_caller]
fn check(what: &str, f: impl for<'t> Fn(&'t Tape, &[Var<'t>]) -> Var<'t>, inputs: Vec<Tensor>) {
    if let Err(e) = gradcheck(f, &inputs) {
        panic!("{what}: {e}");
    }
}

#[test]
fn elementwise_maps() {
    let Some(d) = gpu() else { return };
    let x = rand(&[3, 5], 1, d);
    let pos = rand_in(&[3, 5], 2, 0.3, 2.0, d);
    let kinked = away_from_zero(&[3, 5], 3, d);
    check("exp", |_, v| v[0].exp(), vec![x.clone()]);
    check("log", |_, v| v[0].log(), vec![pos.clone()]);
    check("sqrt", |_, v| v[0].sqrt(), vec![pos.clone()]);
    check("rsqrt", |_, v| v[0].rsqrt(), vec![pos.clone()]);
    check("reciprocal", |_, v| v[0].reciprocal(), vec![pos.clone()]);
    check("powf", |_, v| v[0].powf(1.7), vec![pos.clone()]);
    check("powi", |_, v| v[0].powi(3), vec![x.clone()]);
    check("abs", |_, v| v[0].abs(), vec![kinked.clone()]);
    check("relu", |_, v| v[0].relu(), vec![kinked.clone()]);
    check(
        "leaky_relu",
        |_, v| v[0].leaky_relu(0.1),
        vec![kinked.clone()],
    );
    check("clamp", |_, v| v[0].clamp(-0.5, 0.5), vec![kinked.clone()]);
    check(
        "hardtanh",
        |_, v| v[0].hardtanh(-0.5, 0.5),
        vec![kinked.clone()],
    );
    check("sigmoid", |_, v| v[0].sigmoid(), vec![x.clone()]);
    check("tanh", |_, v| v[0].tanh(), vec![x.clone()]);
    check("softplus", |_, v| v[0].softplus(), vec![x.clone()]);
    check("sin", |_, v| v[0].sin(), vec![x.clone()]);
    check("cos", |_, v| v[0].cos(), vec![x.clone()]);
    check("log1p", |_, v| v[0].log1p(), vec![pos.clone()]);
    check("expm1", |_, v| v[0].expm1(), vec![x.clone()]);
    check("square", |_, v| v[0].square(), vec![x.clone()]);
    check("erf", |_, v| v[0].erf(), vec![x.clone()]);
    check("gelu", |_, v| v[0].gelu(), vec![x.clone()]);
    check("gelu_tanh", |_, v| v[0].gelu_tanh(), vec![x.clone()]);
    check("silu", |_, v| v[0].silu(), vec![x.clone()]);
    check("elu", |_, v| v[0].elu(0.8), vec![kinked.clone()]);
    check("selu", |_, v| v[0].selu(), vec![kinked.clone()]);
    check("softsign", |_, v| v[0].softsign(), vec![kinked.clone()]);
    check("log_sigmoid", |_, v| v[0].log_sigmoid(), vec![x.clone()]);
    check(
        "scalars",
        |_, v| (v[0] * 2.0 + 1.0) / 3.0 - v[0].mul_scalar(0.5),
        vec![x.clone()],
    );
}

#[test]
fn binary_ops_under_broadcasting() {
    let Some(d) = gpu() else { return };
    let cases: [(&[usize], &[usize]); 5] = [
        (&[3, 4], &[3, 4]),
        (&[3, 4], &[]),
        (&[3, 4], &[4]),
        (&[3, 1], &[1, 4]),
        (&[2, 3, 4], &[3, 1]),
    ];
    for (k, (sa, sb)) in cases.iter().enumerate() {
        let a = rand_in(sa, 10 + k as u64, 0.5, 1.5, d);
        let b = rand_in(sb, 20 + k as u64, 0.5, 1.5, d);
        let both = vec![a.clone(), b.clone()];
        check("add", |_, v| v[0] + v[1], both.clone());
        check("sub", |_, v| v[0] - v[1], both.clone());
        check("mul", |_, v| v[0] * v[1], both.clone());
        check("div", |_, v| v[0] / v[1], both.clone());
        check("pow", |_, v| v[0].pow(v[1]), both.clone());
    }
    // maximum/minimum away from ties.
    let a = rand(&[3, 4], 30, d);
    let b = (&a + &nntensor::scalar(0.3)).to(&d);
    let b = nntensor::mul(&b, &rand_in(&[3, 4], 31, 0.5, 1.5, d));
    check(
        "maximum",
        |_, v| v[0].maximum(v[1]),
        vec![a.clone(), b.clone()],
    );
    check(
        "minimum",
        |_, v| v[0].minimum(v[1]),
        vec![a.clone(), b.clone()],
    );
    let cond = nntensor::gt(&rand(&[3, 4], 32, d), &nntensor::scalar(0.0));
    check(
        "where_cond",
        move |_, v| v[0].where_cond(&cond, v[1]),
        vec![a, b],
    );
}

#[test]
fn reductions() {
    let Some(d) = gpu() else { return };
    let x = rand_in(&[3, 4, 5], 40, 0.5, 1.5, d);
    let signed = spaced(&[3, 4, 5], 41, d);
    let positive = nntensor::abs(&signed);
    for axes in [&[][..], &[0], &[-1], &[0, 2]] {
        check(
            "sum_axes",
            |_, v| v[0].sum_axes(axes, false),
            vec![x.clone()],
        );
        check(
            "mean_axes",
            |_, v| v[0].mean_axes(axes, true),
            vec![x.clone()],
        );
        check("prod", |_, v| v[0].prod(axes, false), vec![x.clone()]);
        check("amax", |_, v| v[0].amax(axes, false), vec![signed.clone()]);
        check("amin", |_, v| v[0].amin(axes, false), vec![signed.clone()]);
        check(
            "logsumexp",
            |_, v| v[0].logsumexp(axes, false),
            vec![x.clone()],
        );
        check_fine("var", |_, v| v[0].var(axes, 1.0, false), vec![x.clone()]);
        check_fine("std", |_, v| v[0].std(axes, 0.0, false), vec![x.clone()]);
        check(
            "norm L1",
            |_, v| v[0].norm(Norm::L1, axes, false),
            vec![signed.clone()],
        );
        check(
            "norm L2",
            |_, v| v[0].norm(Norm::L2, axes, false),
            vec![signed.clone()],
        );
        check(
            "norm inf",
            |_, v| v[0].norm(Norm::Inf, axes, false),
            vec![signed.clone()],
        );
    }
    check("sum", |_, v| v[0].sum(), vec![x.clone()]);
    check("mean", |_, v| v[0].mean(), vec![x.clone()]);
    check("max", |_, v| v[0].max(), vec![signed.clone()]);
    check("sum_axis", |_, v| v[0].sum_axis(1), vec![x.clone()]);
    check("mean_axis", |_, v| v[0].mean_axis(2), vec![x.clone()]);
    check("max_axis", |_, v| v[0].max_axis(0), vec![signed.clone()]);
    check(
        "max_dim",
        |_, v| v[0].max_dim(1, true).0,
        vec![signed.clone()],
    );
    check(
        "prod of magnitudes",
        |_, v| v[0].prod(&[1], false),
        vec![positive.clone()],
    );
    check("cumsum", |_, v| v[0].cumsum(-1), vec![x.clone()]);
    check("softmax", |_, v| v[0].softmax(1), vec![x.clone()]);
    check("log_softmax", |_, v| v[0].log_softmax(2), vec![x.clone()]);
}

#[test]
fn products_and_losses() {
    let Some(d) = gpu() else { return };
    let a = rand(&[4, 3], 50, d);
    let b = rand(&[3, 5], 51, d);
    check(
        "matmul",
        |_, v| v[0].matmul(v[1]),
        vec![a.clone(), b.clone()],
    );
    let a3 = rand(&[2, 4, 3], 52, d);
    let b3 = rand(&[2, 3, 5], 53, d);
    check(
        "batched matmul",
        |_, v| v[0].matmul(v[1]),
        vec![a3.clone(), b3],
    );
    check(
        "matmul 3-D·2-D",
        |_, v| v[0].matmul(v[1]),
        vec![a3, b.clone()],
    );
    let bias = rand(&[5], 54, d);
    check(
        "linear",
        |_, v| v[0].linear(v[1], Some(v[2])),
        vec![a.clone(), b.clone(), bias],
    );
    let logits = rand(&[4, 5], 55, d);
    let labels = vec![0, 3, 4, 1];
    let one_hot = nntensor::one_hot(&labels, 5).unwrap().to(&d);
    check(
        "softmax_cross_entropy",
        move |_, v| v[0].softmax_cross_entropy(&one_hot),
        vec![logits.clone()],
    );
    check(
        "sparse_softmax_cross_entropy",
        move |_, v| v[0].sparse_softmax_cross_entropy(&labels),
        vec![logits.clone()],
    );
    let targets = rand_in(&[4, 5], 56, 0.0, 1.0, d);
    let t = targets.clone();
    check(
        "squared_error",
        move |_, v| v[0].squared_error(&t, 0.25),
        vec![logits.clone()],
    );
    check(
        "binary_cross_entropy_with_logits",
        move |_, v| v[0].binary_cross_entropy_with_logits(&targets, 0.25),
        vec![logits],
    );
}

#[test]
fn layout_and_indexing() {
    let Some(d) = gpu() else { return };
    let x = rand(&[3, 4, 5], 60, d);
    let y = rand(&[3, 2, 5], 61, d);
    check("permute", |_, v| v[0].permute(&[2, 0, 1]), vec![x.clone()]);
    check(
        "transpose_axes",
        |_, v| v[0].transpose_axes(0, 2),
        vec![x.clone()],
    );
    check("narrow", |_, v| v[0].narrow(1, 1, 2), vec![x.clone()]);
    check(
        "index_select",
        |_, v| v[0].index_select(2, &[4, 0, 4]),
        vec![x.clone()],
    );
    check("flip", |_, v| v[0].flip(&[0, 2]), vec![x.clone()]);
    check(
        "cat",
        |_, v| Var::cat(&[v[0], v[1]], 1),
        vec![x.clone(), y.clone()],
    );
    check(
        "stack",
        |_, v| Var::stack(&[v[0], v[0]], 0),
        vec![x.clone()],
    );
    check("repeat", |_, v| v[0].repeat(&[2, 1, 1, 2]), vec![x.clone()]);
    check(
        "pad",
        |_, v| v[0].pad(&[(1, 0), (0, 2), (1, 1)], 0.5),
        vec![x.clone()],
    );
    check("expand", |_, v| v[0].expand(&[3, 3, 2, 5]), vec![y.clone()]);
    check("reshape", |_, v| v[0].reshape(&[12, 5]), vec![x.clone()]);
    let index = Tensor::from_vec([3, 2, 1], vec![0., 3., 1., 1., 2., 0.])
        .unwrap()
        .to(&d);
    let i2 = index.clone();
    check(
        "gather",
        move |_, v| v[0].gather(1, &index),
        vec![x.clone()],
    );
    let src = rand(&[3, 2, 1], 62, d);
    check(
        "scatter_add",
        move |_, v| v[0].scatter_add(1, &i2, v[1]),
        vec![x.clone(), src],
    );
    let rows = rand(&[6, 4], 63, d);
    check(
        "slice_rows",
        |_, v| v[0].slice_rows(1, 4),
        vec![rows.clone()],
    );
    check(
        "gather_rows",
        |_, v| v[0].gather_rows(&[5, 0, 5, 2]),
        vec![rows],
    );
}

#[test]
fn convolution_and_pooling() {
    use nntensor::{Conv2dSpec, Pool2dSpec};
    let Some(d) = gpu() else { return };
    let spec = Conv2dSpec {
        stride: [2, 1],
        padding: [1, 2],
        dilation: [1, 2],
    };
    let x = rand(&[2, 3, 6, 5], 70, d);
    let w = rand(&[4, 3, 3, 2], 71, d);
    let b = rand(&[4], 72, d);
    check(
        "conv2d",
        move |_, v| v[0].conv2d(v[1], Some(v[2]), spec),
        vec![x, w, b],
    );
    let img = spaced(&[2, 2, 5, 6], 73, d);
    for pool in [
        Pool2dSpec::new([2, 2]),
        Pool2dSpec {
            kernel: [3, 2],
            stride: [1, 2],
            padding: [1, 1],
        },
    ] {
        check(
            "max_pool2d",
            move |_, v| v[0].max_pool2d(pool),
            vec![img.clone()],
        );
        check(
            "relu_max_pool2d",
            move |_, v| v[0].relu_max_pool2d(pool),
            vec![img.clone()],
        );
        check(
            "avg_pool2d",
            move |_, v| v[0].avg_pool2d(pool),
            vec![img.clone()],
        );
    }
}

#[test]
fn conv_relu_max_pool_in_one_node() {
    use nntensor::{Conv2dSpec, Pool2dSpec};
    let Some(d) = gpu() else { return };
    // As on the CPU (gradcheck_ops.rs): spaced inputs (0.2 or more from 0, 0.025 apart), each
    // output channel one input tap scaled, so no maximum and no ReLU changes side within a
    // difference step.
    let x = spaced(&[2, 2, 4, 6], 74, d);
    let mut w = vec![0.0f32; 3 * 2 * 9];
    for (o, c, scale) in [(0, 0, 1.5), (1, 1, -1.0), (2, 0, -0.75)] {
        w[(o * 2 + c) * 9 + 4] = scale;
    }
    let w = Tensor::from_vec([3, 2, 3, 3], w).unwrap().to(&d);
    let b = Tensor::zeros([3]).to(&d);
    let conv = Conv2dSpec {
        stride: [1, 2],
        padding: [1, 1],
        dilation: [1, 1],
    };
    check(
        "conv2d_relu_max_pool2d",
        move |_, v| v[0].conv2d_relu_max_pool2d(v[1], Some(v[2]), conv, Pool2dSpec::new([2, 2])),
        vec![x, w, b],
    );
}
