//! Gradients through every layer and every loss, checked against finite differences.

use nnautograd::nntensor::{one_hot, Rng, Tensor};
use nnautograd::{gradcheck, Param, Tape};
use nnlayers::*;

/// `f` applied to every element (test data only).
fn map(t: &Tensor, f: impl Fn(f32) -> f32) -> Tensor {
    Tensor::from_vec(t.shape(), t.to_vec().into_iter().map(f).collect()).unwrap()
}

fn rand(shape: &[usize], seed: u64, lo: f32, hi: f32) -> Tensor {
    let mut rng = Rng::seed_from(seed);
    Tensor::from_fn(shape.to_vec(), || rng.uniform(lo, hi))
}

#[test]
fn linear_layer_gradients() {
    // Checked through the functional op the layer calls, with the layer's own weights as inputs.
    let layer = Linear::new(4, 3, &mut Rng::seed_from(1));
    let w = layer.weight().value().clone();
    let b = layer.bias().unwrap().value().clone();
    let x = rand(&[5, 4], 2, -1.0, 1.0);
    gradcheck(|_, v| v[0].linear(v[1], Some(v[2])), &[x.clone(), w, b]).unwrap();
    // And the layer itself: its forward equals the functional op.
    let tape = Tape::new();
    let via_layer = layer
        .forward(tape.constant(x.clone()), &mut Context::eval())
        .to_tensor();
    let direct = tape
        .constant(x)
        .linear(
            tape.param(layer.weight()),
            Some(tape.param(layer.bias().unwrap())),
        )
        .to_tensor();
    assert_eq!(via_layer, direct);
}

#[test]
fn layer_parameter_gradients_match_finite_differences() {
    // d(loss)/d(weight) through Sequential, compared element by element with central differences
    // computed by perturbing the Param itself.
    let mut model = Sequential::new(3)
        .linear(4, 5)
        .tanh()
        .linear(5, 3)
        .sigmoid();
    let x = rand(&[6, 4], 4, -1.0, 1.0);
    let y = rand(&[6, 3], 5, 0.0, 1.0);
    let loss_of = |model: &Sequential| -> f64 {
        let tape = Tape::new();
        let out = model.forward(tape.constant(x.clone()), &mut Context::eval());
        binary_cross_entropy(out, &y, Reduction::Mean).item() as f64
    };
    let tape = Tape::new();
    let out = model.forward(tape.constant(x.clone()), &mut Context::eval());
    let grads = binary_cross_entropy(out, &y, Reduction::Mean).backward();
    let analytic: Vec<Tensor> = model
        .parameters()
        .iter()
        .map(|p| grads.get(p).unwrap().clone())
        .collect();
    let h = 1e-2f32;
    for (pi, grad) in analytic.iter().enumerate() {
        for idx in 0..grad.len() {
            let perturb = |model: &mut Sequential, delta: f32| {
                let mut params: Vec<&mut Param> = model.parameters_mut();
                params[pi].value_mut().as_slice_mut().unwrap()[idx] += delta;
            };
            perturb(&mut model, h);
            let plus = loss_of(&model);
            perturb(&mut model, -2.0 * h);
            let minus = loss_of(&model);
            perturb(&mut model, h);
            let numeric = (plus - minus) / (2.0 * h as f64);
            let a = grad.as_slice().unwrap()[idx] as f64;
            assert!(
                (a - numeric).abs() <= 1e-4 + 1e-3 * a.abs().max(numeric.abs()),
                "param {pi}[{idx}]: {a} vs {numeric}"
            );
        }
    }
}

#[test]
fn activation_and_shape_layers() {
    let x = map(&rand(&[3, 4], 6, -2.0, 2.0), |v| {
        if v.abs() < 0.1 {
            v + 0.3
        } else {
            v
        }
    });
    for layer in [
        Activation::relu(),
        Activation::leaky_relu(0.2),
        Activation::sigmoid(),
        Activation::tanh(),
        Activation::softmax(),
    ] {
        gradcheck(
            |_, v| layer.forward(v[0], &mut Context::eval()),
            std::slice::from_ref(&x),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", layer.name()));
    }
    let images = rand(&[2, 3, 4], 7, -1.0, 1.0);
    gradcheck(
        |_, v| Flatten::new().forward(v[0], &mut Context::eval()),
        &[images],
    )
    .unwrap();
}

#[test]
fn dropout_gradient_uses_the_same_mask() {
    // The mask is drawn from the context's stream: re-create the same stream for every evaluation.
    let x = rand(&[4, 6], 8, -1.0, 1.0);
    let layer = Dropout::new(0.3);
    gradcheck(
        |_, v| layer.forward(v[0], &mut Context::train(Rng::seed_from(9))),
        &[x],
    )
    .unwrap();
}

#[test]
fn every_loss() {
    let probs = rand(&[4, 3], 10, 0.3, 0.7); // away from 0 and 1, where ln(p) and ln(1 − p) curve sharply
    let targets01 = map(&rand(&[4, 3], 11, 0.0, 1.0), f32::round);
    let logits = rand(&[4, 3], 12, -3.0, 3.0);
    let labels = [2usize, 0, 1, 1];
    let onehot = one_hot(&labels, 3).unwrap();
    let soft = rand(&[4, 3], 13, -1.0, 1.0);
    for reduction in [Reduction::Mean, Reduction::Sum] {
        gradcheck(
            |_, v| mse(v[0], &soft, reduction),
            std::slice::from_ref(&logits),
        )
        .unwrap();
        gradcheck(
            |_, v| binary_cross_entropy(v[0], &targets01, reduction),
            std::slice::from_ref(&probs),
        )
        .unwrap();
        gradcheck(
            |_, v| binary_cross_entropy_with_logits(v[0], &targets01, reduction),
            std::slice::from_ref(&logits),
        )
        .unwrap();
        gradcheck(
            |_, v| categorical_cross_entropy(v[0], &onehot, reduction),
            std::slice::from_ref(&probs),
        )
        .unwrap();
        gradcheck(
            |_, v| softmax_cross_entropy(v[0], &onehot, reduction),
            std::slice::from_ref(&logits),
        )
        .unwrap();
        gradcheck(
            |_, v| sparse_categorical_cross_entropy(v[0], &labels, reduction),
            std::slice::from_ref(&probs),
        )
        .unwrap();
        gradcheck(
            |_, v| sparse_softmax_cross_entropy(v[0], &labels, reduction),
            std::slice::from_ref(&logits),
        )
        .unwrap();
    }
}

/// Panics with the mismatch unless `f`'s gradients agree with finite differences.
fn check(
    f: impl for<'t> Fn(&'t Tape, &[nnautograd::Var<'t>]) -> nnautograd::Var<'t>,
    inputs: Vec<Tensor>,
) {
    if let Err(e) = gradcheck(f, &inputs) {
        panic!("{e}");
    }
}

#[test]
fn pytorch_style_losses() {
    use nnlayers::{
        bce_with_logits_pos_weight, cross_entropy, huber_loss, kl_div, l1_loss, nll_loss,
        smooth_l1_loss, ClassLossOptions,
    };
    let logits = rand(&[4, 3], 120, -2.0, 2.0);
    let labels = [2, 0, 1, 2];
    let weight = Tensor::from_vec([3], vec![0.5, 1.5, 2.0]).unwrap();
    let options = ClassLossOptions {
        weight: Some(&weight),
        ignore_index: Some(1),
        label_smoothing: 0.15,
    };
    for reduction in [Reduction::Mean, Reduction::Sum, Reduction::None] {
        let o = options.clone();
        check(
            move |_, v| cross_entropy(v[0], &labels, &o, reduction),
            vec![logits.clone()],
        ); // (1 − ε)(softmax − onehot)·w + ε·smoothing
        let o = options.clone();
        check(
            move |_, v| nll_loss(v[0].log_softmax(1), &labels, &o, reduction),
            vec![logits.clone()],
        );
    }
    // Pairs at least 0.05 away from the kinks of |d| (0) and of the Huber/smooth-L1 switch.
    let pred = rand(&[3, 4], 121, -2.0, 2.0);
    let target = map(&pred, |v| v + if v > 0.0 { 0.3 } else { -1.1 });
    for reduction in [Reduction::Mean, Reduction::None] {
        check(
            move |_, v| l1_loss(v[0], v[1], reduction),
            vec![pred.clone(), target.clone()],
        ); // ±1 to each side
        check(
            move |_, v| smooth_l1_loss(v[0], v[1], 0.7, reduction),
            vec![pred.clone(), target.clone()],
        ); // d/β inside, ±1 outside
        check(
            move |_, v| huber_loss(v[0], v[1], 0.8, reduction),
            vec![pred.clone(), target.clone()],
        ); // d inside, ±δ outside
        check(
            move |_, v| kl_div(v[0].log_softmax(1), v[1].softmax(1), false, reduction),
            vec![pred.clone(), target.clone()],
        );
        check(
            move |_, v| kl_div(v[0].log_softmax(1), v[1].log_softmax(1), true, reduction),
            vec![pred.clone(), target.clone()],
        );
        let pos_weight = Tensor::from_vec([4], vec![0.5, 1.0, 2.0, 3.0]).unwrap();
        check(
            move |_, v| bce_with_logits_pos_weight(v[0], v[1].sigmoid(), &pos_weight, reduction),
            vec![pred.clone(), target.clone()],
        );
    }
}

#[test]
fn layer_norm_embedding_and_the_new_activations() {
    use nnautograd::Var;
    // LayerNorm over the last axis and over the last two, parameters included.
    for shape in [vec![4], vec![3, 4]] {
        let norm = LayerNorm::new(&shape, 1e-5);
        let (w, b) = (rand(&shape, 130, 0.5, 1.5), rand(&shape, 131, -0.5, 0.5));
        let mut full = vec![2];
        full.extend_from_slice(&shape);
        let x = rand(&full, 132, -2.0, 2.0);
        let eps = 1e-5;
        let axes: Vec<isize> = (1..=shape.len() as isize).map(|i| -i).collect();
        check(
            move |_, v: &[Var<'_>]| {
                let centred = v[0] - v[0].mean_axes(&axes, true);
                let var = centred.square().mean_axes(&axes, true);
                centred * var.add_scalar(eps).rsqrt() * v[1] + v[2]
            },
            vec![x.clone(), w, b],
        );
        // The layer itself equals that formula with its initial weight 1 and bias 0.
        let tape = Tape::new();
        let got = norm
            .forward(tape.constant(x.clone()), &mut Context::eval())
            .to_tensor();
        let mean = nnautograd::nntensor::mean_axes(&x, &[-1], true);
        if shape.len() == 1 {
            let centred = &x - &mean;
            let var = nnautograd::nntensor::mean_axes(
                &nnautograd::nntensor::square(&centred),
                &[-1],
                true,
            );
            let want = &centred * &nnautograd::nntensor::rsqrt(&(var + eps));
            for (g, w) in got.to_vec().iter().zip(want.to_vec()) {
                assert!((g - w).abs() < 1e-5);
            }
        }
    }
    // Embedding: gradients reach the rows that were looked up, repeats adding up.
    let table = Embedding::new(5, 3, &mut Rng::seed_from(9));
    let tape = Tape::new();
    let ids = tape.constant(Tensor::from_vec([2, 2], vec![1., 4., 1., 0.]).unwrap());
    let out = table.forward(ids, &mut Context::eval());
    assert_eq!(out.shape(), vec![2, 2, 3]);
    let grads = out.sum().backward();
    let g = table.weight().grad(&grads).unwrap().to_vec();
    assert_eq!(&g[3..6], &[2., 2., 2.]); // id 1 twice
    assert_eq!(&g[6..9], &[0., 0., 0.]); // id 2 never
                                         // Each new activation layer is its Var op.
    let x = rand(&[3, 4], 133, -2.0, 2.0);
    for function in [
        ActivationFn::Gelu,
        ActivationFn::GeluTanh,
        ActivationFn::Silu,
        ActivationFn::Elu { alpha: 0.5 },
        ActivationFn::Selu,
        ActivationFn::Softsign,
        ActivationFn::Softplus,
        ActivationFn::LogSigmoid,
        ActivationFn::Hardtanh {
            min: -1.0,
            max: 1.0,
        },
        ActivationFn::Identity,
    ] {
        let layer = Activation::new(function);
        let tape = Tape::new();
        let got = layer
            .forward(tape.constant(x.clone()), &mut Context::eval())
            .to_tensor();
        let v = tape.constant(x.clone());
        let want = match function {
            ActivationFn::Gelu => v.gelu(),
            ActivationFn::GeluTanh => v.gelu_tanh(),
            ActivationFn::Silu => v.silu(),
            ActivationFn::Elu { alpha } => v.elu(alpha),
            ActivationFn::Selu => v.selu(),
            ActivationFn::Softsign => v.softsign(),
            ActivationFn::Softplus => v.softplus(),
            ActivationFn::LogSigmoid => v.log_sigmoid(),
            ActivationFn::Hardtanh { min, max } => v.hardtanh(min, max),
            _ => v,
        }
        .to_tensor();
        assert_eq!(got, want, "{function:?}");
    }
}

#[test]
#[should_panic(expected = "embedding: id 5 at position 1 is not a whole number in 0..5")]
fn an_embedding_id_out_of_range_names_the_layer() {
    let table = Embedding::new(5, 3, &mut Rng::seed_from(9));
    let tape = Tape::new();
    let ids = tape.constant(Tensor::from_vec([2], vec![1., 5.]).unwrap());
    let _ = table.forward(ids, &mut Context::eval());
}

#[test]
fn sequential_runs_conv_relu_and_max_pooling_as_one_op_with_the_same_bits() {
    // Conv → ReLU → MaxPool → Flatten → Linear against the layers one by one: with and without
    // the convolution's bias, padded and strided, and the ReLU + pooling pair alone (no
    // convolution before it).
    let mut rng = Rng::seed_from(4);
    let padded = Conv2d::new(2, 3, [3, 3], &mut rng)
        .without_bias()
        .with_stride([1, 2])
        .with_padding(Padding::Same);
    let nets = [
        (
            Sequential::new(5)
                .conv2d(2, 3, [3, 3])
                .relu()
                .max_pool2d([2, 2]),
            2,
        ),
        (Sequential::new(5).add(padded).relu().max_pool2d([2, 2]), 2),
        (Sequential::new(5).relu().max_pool2d([2, 2]), 1),
    ];
    let x = rand(&[4, 2, 8, 6], 6, -1.0, 1.0);
    for (net, saved_nodes) in nets {
        let features: usize = net.output_shape(&[2, 8, 6]).unwrap().iter().product();
        let net = net.flatten().linear(features, 2);
        let run = |fused: bool| {
            let tape = Tape::new();
            let input = tape.var(x.clone());
            let out = if fused {
                net.forward(input, &mut Context::eval())
            } else {
                net.layers()
                    .iter()
                    .fold(input, |v, layer| layer.forward(v, &mut Context::eval()))
            };
            let nodes = tape.len();
            let values = out.to_tensor().to_vec();
            let grads = out.square().sum().backward();
            let dx = grads.wrt(input).unwrap().to_vec();
            let dparams: Vec<Vec<f32>> = net
                .parameters()
                .iter()
                .map(|p| grads.get(p).unwrap().to_vec())
                .collect();
            (values, dx, dparams, nodes)
        };
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let (fused, unfused) = (run(true), run(false));
        assert_eq!(
            fused.3 + saved_nodes,
            unfused.3,
            "fused layers are one node"
        );
        assert_eq!(bits(&fused.0), bits(&unfused.0), "outputs");
        assert_eq!(bits(&fused.1), bits(&unfused.1), "input gradient");
        assert_eq!(fused.2.len(), unfused.2.len());
        for (a, b) in fused.2.iter().zip(&unfused.2) {
            assert_eq!(bits(a), bits(b), "parameter gradient");
        }
    }
    let net = Sequential::new(5)
        .conv2d(2, 3, [3, 3])
        .relu()
        .max_pool2d([2, 2]);
    // Stopping between the ReLU and the pooling runs the ReLU alone.
    let tape = Tape::new();
    let relu_out = net.forward_first(2, tape.constant(x.clone()), &mut Context::eval());
    assert_eq!(relu_out.shape(), &[4, 3, 6, 4]);
}
