//! Whole models written by hand on the tape: their gradients checked, and plain gradient
//! descent shown to lower the loss.

use nnautograd::{gradcheck, Param, Tape, Var};
use nntensor::{Rng, Tensor};

/// The "is this number 15?" data from the logistic-regression tutorial.
fn is_fifteen_data() -> (Tensor, Tensor) {
    let xs = [15., 72., 15., 31., 15., 1002., 15., 32., 15., 16.];
    let ys: Vec<f32> = xs
        .iter()
        .map(|&x| if x == 15.0 { 1.0 } else { 0.0 })
        .collect();
    // Scale as the tutorial does before training: x / 100.
    let x = Tensor::from_vec(vec![10, 1], xs.iter().map(|x| x / 100.0).collect()).unwrap();
    (x, Tensor::from_vec(vec![10, 1], ys).unwrap())
}

/// Binary cross-entropy of probabilities `p` against 0/1 targets `t`.
fn bce<'t>(p: Var<'t>, t: Var<'t>) -> Var<'t> {
    -(t * p.log() + (1.0 - t) * (1.0 - p).log()).mean()
}

#[test]
fn logistic_regression_gradients_and_descent() {
    let (x, y) = is_fifteen_data();
    let w = Tensor::from_vec(vec![1, 1], vec![-0.3]).unwrap();
    let b = Tensor::from_vec(vec![1], vec![0.1]).unwrap();
    let yc = y.clone();
    gradcheck(
        move |tape, v| {
            bce(
                (v[0].matmul(v[1]) + v[2]).sigmoid(),
                tape.constant(yc.clone()),
            )
        },
        &[x.clone(), w.clone(), b.clone()],
    )
    .unwrap();

    let (mut w, mut b) = (Param::new(w), Param::new(b));
    let tape = Tape::new();
    let mut losses = vec![];
    for _ in 0..300 {
        let p = tape
            .constant(x.clone())
            .linear(tape.param(&w), Some(tape.param(&b)))
            .sigmoid();
        let loss = bce(p, tape.constant(y.clone()));
        losses.push(loss.item());
        let grads = loss.backward();
        let (gw, gb) = (grads.get(&w).unwrap() * 0.5, grads.get(&b).unwrap() * 0.5);
        *w.value_mut() -= &gw;
        *b.value_mut() -= &gb;
    }
    assert!(
        losses[299] < 0.8 * losses[0],
        "loss went {} → {}",
        losses[0],
        losses[299]
    );
    assert!(
        losses.windows(2).all(|p| p[1] <= p[0] + 1e-6),
        "plain GD on a convex loss must not go up"
    );
}

/// The 2-2-1 sigmoid network: sigmoid(sigmoid(x·W1 + b1)·W2 + b2).
fn net<'t>(x: Var<'t>, p: &[Var<'t>]) -> Var<'t> {
    x.linear(p[0], Some(p[1]))
        .sigmoid()
        .linear(p[2], Some(p[3]))
        .sigmoid()
}

/// The 2-2-1 sigmoid XOR network of the tutorials: gradients checked through the whole net.
#[test]
fn xor_network_gradients_and_descent() {
    let x = Tensor::from_vec(vec![4, 2], vec![0., 0., 0., 1., 1., 0., 1., 1.]).unwrap();
    let y = Tensor::from_vec(vec![4, 1], vec![0., 1., 1., 0.]).unwrap();
    let mut rng = Rng::seed_from(1);
    let w1 = Tensor::from_fn(vec![2, 2], || rng.uniform(-1.0, 1.0));
    let b1 = Tensor::zeros(vec![2]);
    let w2 = Tensor::from_fn(vec![2, 1], || rng.uniform(-1.0, 1.0));
    let b2 = Tensor::zeros(vec![1]);

    let (xc, yc) = (x.clone(), y.clone());
    gradcheck(
        move |tape, v| bce(net(tape.constant(xc.clone()), v), tape.constant(yc.clone())),
        &[w1.clone(), b1.clone(), w2.clone(), b2.clone()],
    )
    .unwrap();

    let mut params: Vec<Param> = [w1, b1, w2, b2].into_iter().map(Param::new).collect();
    let tape = Tape::new();
    let mut first = None;
    let mut last = 0.0;
    for _ in 0..400 {
        let vars: Vec<Var<'_>> = params.iter().map(|p| tape.param(p)).collect();
        let loss = bce(
            net(tape.constant(x.clone()), &vars),
            tape.constant(y.clone()),
        );
        last = loss.item();
        first.get_or_insert(last);
        let grads = loss.backward();
        for p in &mut params {
            let g = grads.get(p).unwrap() * 2.0;
            *p.value_mut() -= &g;
        }
    }
    assert!(
        last < first.unwrap(),
        "loss went {} → {last}",
        first.unwrap()
    );
}

/// The same MLP forward/backward as the benchmark (784-32-10 at batch 128), checked for shape
/// and against the unfused path.
#[test]
fn mlp_fused_and_unfused_gradients_agree() {
    let mut rng = Rng::seed_from(2);
    let mut t = |shape: Vec<usize>| Tensor::from_fn(shape, || rng.uniform(-0.1, 0.1));
    let (x, w1, b1, w2, b2) = (
        t(vec![16, 20]),
        t(vec![20, 8]),
        t(vec![8]),
        t(vec![8, 3]),
        t(vec![3]),
    );
    let labels: Vec<usize> = (0..16).map(|i| i % 3).collect();
    let params: Vec<Param> = [w1, b1, w2, b2].into_iter().map(Param::new).collect();
    let run = |fused: bool| -> Vec<Tensor> {
        let tape = Tape::new();
        let v: Vec<Var<'_>> = params.iter().map(|p| tape.param(p)).collect();
        let x = tape.constant(x.clone());
        let loss = if fused {
            x.linear(v[0], Some(v[1]))
                .relu()
                .linear(v[2], Some(v[3]))
                .sparse_softmax_cross_entropy(&labels)
        } else {
            let logits = (x.matmul(v[0]) + v[1]).relu().matmul(v[2]) + v[3];
            let targets = tape.constant(nntensor::one_hot(&labels, 3).unwrap());
            -(targets * logits.log_softmax(1)).sum() / 16.0
        };
        let grads = loss.backward();
        params
            .iter()
            .map(|p| grads.get(p).unwrap().clone())
            .collect()
    };
    for (f, u) in run(true).iter().zip(run(false)) {
        assert_eq!(f.shape(), u.shape());
        for (a, b) in f.values().iter().zip(u.values().iter()) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }
}
