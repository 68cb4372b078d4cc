//! Every differentiable op checked against central finite differences.
//!
//! Each test names the derivative being checked. Inputs stay away from kinks (ReLU at 0, |x| at 0,
//! clamp bounds, ties in max) where the derivative does not exist.

use nnautograd::{gradcheck, Tape, Var};
use nntensor::{Rng, Tensor};

fn rand(shape: &[usize], seed: u64) -> Tensor {
    let mut rng = Rng::seed_from(seed);
    Tensor::from_fn(shape.to_vec(), || rng.uniform(-1.0, 1.0))
}

/// Values in [lo, hi) (for log, sqrt, powf, division).
fn rand_in(shape: &[usize], seed: u64, lo: f32, hi: f32) -> Tensor {
    let mut rng = Rng::seed_from(seed);
    Tensor::from_fn(shape.to_vec(), || rng.uniform(lo, hi))
}

/// `f` applied to every element (test data only).
fn map(t: &Tensor, f: impl Fn(f32) -> f32) -> Tensor {
    Tensor::from_vec(t.shape(), t.to_vec().into_iter().map(f).collect()).unwrap()
}

/// Values at least 0.1 away from 0 (for relu, abs, leaky relu).
fn away_from_zero(shape: &[usize], seed: u64) -> Tensor {
    map(&rand(shape, seed), |x| {
        if x.abs() < 0.1 {
            x + 0.2f32.copysign(x)
        } else {
            x
        }
    })
}

fn check(f: impl for<'t> Fn(&'t Tape, &[Var<'t>]) -> Var<'t>, inputs: Vec<Tensor>) {
    if let Err(e) = gradcheck(f, &inputs) {
        panic!("{e}");
    }
}

/// The broadcasting patterns every binary op is checked on: same shape, scalar, row, column,
/// rank-extending, and both sides broadcast.
fn broadcast_cases() -> Vec<(Vec<usize>, Vec<usize>)> {
    vec![
        (vec![3, 4], vec![3, 4]),
        (vec![3, 4], vec![]),
        (vec![], vec![3, 4]),
        (vec![3, 4], vec![4]),
        (vec![3, 4], vec![1, 4]),
        (vec![3, 4], vec![3, 1]),
        (vec![2, 3, 4], vec![3, 4]),
        (vec![3, 1], vec![1, 4]),
        (vec![2, 1, 4], vec![3, 1]),
    ]
}

#[test]
fn add_sub_mul_div_under_every_broadcast() {
    for (i, (sa, sb)) in broadcast_cases().into_iter().enumerate() {
        let a = rand(&sa, i as u64);
        let b = rand_in(&sb, 100 + i as u64, 0.5, 1.5); // divisor away from 0
        check(|_, v| v[0] + v[1], vec![a.clone(), b.clone()]); // ∂/∂a = 1, ∂/∂b = 1 (summed over broadcast)
        check(|_, v| v[0] - v[1], vec![a.clone(), b.clone()]); // ∂/∂b = −1
        check(|_, v| v[0] * v[1], vec![a.clone(), b.clone()]); // ∂/∂a = b, ∂/∂b = a
        check(|_, v| v[0] / v[1], vec![a.clone(), b.clone()]); // ∂/∂a = 1/b, ∂/∂b = −a/b²
    }
}

#[test]
fn scalar_arithmetic_and_operators() {
    let x = rand_in(&[2, 3], 1, 0.5, 1.5);
    check(|_, v| v[0] + 2.5, vec![x.clone()]);
    check(|_, v| 2.5 - v[0], vec![x.clone()]);
    check(|_, v| v[0] * -3.0, vec![x.clone()]);
    check(|_, v| v[0] / 4.0, vec![x.clone()]);
    check(|_, v| v[0].div_scalar(3.0), vec![x.clone()]);
    check(|_, v| 2.0 / v[0], vec![x.clone()]); // ∂/∂x 2/x = −2/x²
    check(|_, v| -v[0], vec![x]);
}

#[test]
fn unary_maths() {
    let x = rand(&[3, 4], 2);
    let pos = rand_in(&[3, 4], 3, 0.5, 2.0);
    check(|_, v| v[0].exp(), vec![x.clone()]); // e^x
    check(|_, v| v[0].log(), vec![pos.clone()]); // 1/x
    check(|_, v| v[0].sqrt(), vec![pos.clone()]); // 1/(2√x)
    check(|_, v| v[0].powi(3), vec![x.clone()]); // 3x²
    check(|_, v| v[0].powi(-2), vec![pos.clone()]); // −2x⁻³
    check(|_, v| v[0].powf(1.5), vec![pos.clone()]); // 1.5·x^0.5
    check(|_, v| v[0].abs(), vec![away_from_zero(&[3, 4], 4)]); // sign(x)
}

#[test]
fn activations() {
    let x = rand_in(&[3, 4], 5, -3.0, 3.0);
    check(|_, v| v[0].sigmoid(), vec![x.clone()]); // σ(1 − σ)
    check(|_, v| v[0].softplus(), vec![x.clone()]); // σ(x)
    check(|_, v| v[0].tanh(), vec![x.clone()]); // 1 − tanh²
    let xz = away_from_zero(&[3, 4], 6);
    check(|_, v| v[0].relu(), vec![xz.clone()]); // 1 if x > 0
    check(|_, v| v[0].leaky_relu(0.1), vec![xz.clone()]); // 1 or 0.1
                                                          // Clamp to [−0.5, 0.5]: values at least 0.05 away from either bound.
    let xc = map(&x, |v| {
        if (v.abs() - 0.5).abs() < 0.05 {
            v * 1.3
        } else {
            v
        }
    });
    check(|_, v| v[0].clamp(-0.5, 0.5), vec![xc]); // 1 inside, 0 outside
}

#[test]
fn reductions() {
    let x = rand(&[3, 4, 2], 7);
    check(|_, v| v[0].sum(), vec![x.clone()]);
    check(|_, v| v[0].mean(), vec![x.clone()]);
    check(|_, v| v[0].max(), vec![x.clone()]); // 1 at the argmax (values are distinct)
    for axis in 0..3 {
        check(|_, v| v[0].sum_axis(axis), vec![x.clone()]);
        check(|_, v| v[0].mean_axis(axis), vec![x.clone()]);
        check(|_, v| v[0].max_axis(axis), vec![x.clone()]);
    }
}

#[test]
fn softmax_and_log_softmax_along_each_axis() {
    let x = rand_in(&[3, 5], 8, -2.0, 2.0);
    for axis in 0..2 {
        check(|_, v| v[0].softmax(axis), vec![x.clone()]); // y ⊙ (g − Σ g ⊙ y)
        check(|_, v| v[0].log_softmax(axis), vec![x.clone()]); // g − softmax · Σ g
    }
}

#[test]
fn shape_ops() {
    let x = rand(&[4, 3], 9);
    check(|_, v| v[0].reshape(&[2, 6]), vec![x.clone()]);
    check(|_, v| v[0].transpose(), vec![x.clone()]);
    check(|_, v| v[0].transpose(), vec![rand(&[2, 3, 4], 30)]); // 3-D: reverses all axes
    check(|_, v| v[0].transpose() * v[0].transpose(), vec![x.clone()]);
    check(|_, v| v[0].slice_rows(1, 3), vec![x.clone()]);
    check(|_, v| v[0].gather_rows(&[3, 0, 3, 1]), vec![x]); // repeated rows add up
}

#[test]
fn matmul_2d_batched_and_mixed() {
    // (m,k)·(k,n): ∂/∂a = g·bᵀ, ∂/∂b = aᵀ·g
    check(
        |_, v| v[0].matmul(v[1]),
        vec![rand(&[3, 4], 10), rand(&[4, 2], 11)],
    );
    check(
        |_, v| v[0].matmul(v[1]),
        vec![rand(&[1, 5], 12), rand(&[5, 1], 13)],
    );
    check(
        |_, v| v[0].matmul(v[1]),
        vec![rand(&[2, 3, 4], 14), rand(&[2, 4, 5], 15)],
    );
    check(
        |_, v| v[0].matmul(v[1]),
        vec![rand(&[2, 3, 4], 16), rand(&[4, 5], 17)],
    );
    // A transposed operand inside the graph.
    check(
        |_, v| v[0].transpose().matmul(v[1]),
        vec![rand(&[4, 3], 18), rand(&[4, 2], 19)],
    );
}

#[test]
fn fused_linear() {
    let x = rand(&[5, 4], 20);
    let w = rand(&[4, 3], 21);
    let b = rand(&[3], 22);
    // ∂/∂x = g·Wᵀ, ∂/∂W = xᵀ·g, ∂/∂b = Σ_rows g
    check(
        |_, v| v[0].linear(v[1], Some(v[2])),
        vec![x.clone(), w.clone(), b],
    );
    check(|_, v| v[0].linear(v[1], None), vec![x, w]);
}

#[test]
fn fused_softmax_cross_entropy() {
    let logits = rand_in(&[4, 5], 23, -3.0, 3.0);
    let labels = [0usize, 4, 2, 2];
    let one_hot = nntensor::one_hot(&labels, 5).unwrap();
    let mut rng = Rng::seed_from(24);
    let soft = nntensor::softmax(&Tensor::from_fn(vec![4, 5], || rng.uniform(-1.0, 1.0)), 1);
    // ∂/∂logits = (softmax − targets) / n
    check(
        |_, v| v[0].softmax_cross_entropy(&one_hot),
        vec![logits.clone()],
    );
    check(
        |_, v| v[0].softmax_cross_entropy(&soft),
        vec![logits.clone()],
    );
    check(
        |_, v| v[0].sparse_softmax_cross_entropy(&labels),
        vec![logits.clone()],
    );
    // Targets whose rows do not sum to 1 (weighted classes): ∂/∂logits = (softmax·Σt − t) / n.
    let doubled = &one_hot * 2.0;
    check(
        |_, v| v[0].softmax_cross_entropy(&doubled),
        vec![logits.clone()],
    );
    // Scaled after the loss: the upstream gradient must multiply the saved one.
    check(
        |_, v| v[0].sparse_softmax_cross_entropy(&labels) * 3.0,
        vec![logits],
    );
}

#[test]
fn fused_ops_match_their_unfused_forms() {
    let tape = Tape::new();
    let x = tape.constant(rand(&[6, 4], 25));
    let w = tape.constant(rand(&[4, 3], 26));
    let b = tape.constant(rand(&[3], 27));
    let fused = x.linear(w, Some(b)).to_tensor();
    let plain = (x.matmul(w) + b).to_tensor();
    for (f, p) in fused.to_vec().iter().zip(plain.to_vec().iter()) {
        assert!((f - p).abs() < 1e-6);
    }
    let labels = [1usize, 0, 2, 2, 1, 0];
    let logits = x.linear(w, Some(b));
    let fused = logits.sparse_softmax_cross_entropy(&labels).item();
    let targets = tape.constant(nntensor::one_hot(&labels, 3).unwrap());
    let plain = -(targets * logits.log_softmax(1)).sum().item() / 6.0;
    assert!((fused - plain).abs() < 1e-6, "{fused} vs {plain}");
}

#[test]
fn gradcheck_catches_a_missing_gradient_term() {
    // x·detach(x): backward sees only one of the two terms of d(x²)/dx = 2x.
    let x = rand_in(&[3], 28, 0.5, 1.5);
    let err = gradcheck(|_, v| v[0] * v[0].detach(), &[x]).unwrap_err();
    assert_eq!(err.mismatches, 3);
    assert!((err.numeric / err.analytic - 2.0).abs() < 0.05, "{err}");
}

#[test]
fn stable_losses_stay_finite_for_huge_logits() {
    let tape = Tape::new();
    let logits =
        tape.var(Tensor::from_vec(vec![2, 3], vec![1e4, -1e4, 0.0, -1e4, 1e4, 5e3]).unwrap());
    let loss = logits.sparse_softmax_cross_entropy(&[0, 0]);
    assert!((loss.item() - 1e4).abs() < 1.0, "{}", loss.item()); // row 0: 0, row 1: 2e4; mean 1e4
    let g = loss.backward();
    assert!(g
        .wrt(logits)
        .unwrap()
        .to_vec()
        .iter()
        .all(|v| v.is_finite()));
    let tape = Tape::new();
    let x = tape.var(Tensor::from_vec(vec![2], vec![1e4, -1e4]).unwrap());
    let s = x.sigmoid();
    assert_eq!(s.to_tensor().as_slice().unwrap(), &[1.0, 0.0]);
    assert!(x
        .log_softmax(0)
        .value()
        .to_vec()
        .iter()
        .all(|v| v.is_finite()));
}

#[test]
fn matmul_3d_by_2d_of_an_operand_made_from_a_permuted_array() {
    // A (2, 3, 4) operand built from a permuted (4, 3, 2) ndarray array: the conversion lays it
    // out row-major, so the product equals the one of the same values built directly.
    let stored = rand(&[4, 3, 2], 31).to_ndarray();
    let permuted = stored.clone().permuted_axes(vec![2, 1, 0]);
    assert!(!permuted.is_standard_layout());
    let a = Tensor::from(permuted.clone());
    let direct = Tensor::from(permuted.as_standard_layout().into_owned());
    assert_eq!(a, direct);
    let b = rand(&[4, 5], 32);
    check(
        move |tape, v| tape.constant(a.clone()).matmul(v[0]),
        vec![b],
    );
}

#[test]
fn max_sends_the_gradient_to_the_first_of_tied_maxima() {
    let tape = Tape::new();
    let x = tape.var(Tensor::from_vec(vec![2, 3], vec![1.0, 5.0, 5.0, 7.0, 7.0, 0.0]).unwrap());
    let g = x.max().backward();
    assert_eq!(
        g.wrt(x).unwrap().as_slice().unwrap(),
        &[0., 0., 0., 1., 0., 0.]
    );
    let tape = Tape::new();
    let x = tape.var(Tensor::from_vec(vec![2, 3], vec![1.0, 5.0, 5.0, 7.0, 7.0, 0.0]).unwrap());
    let g = x.max_axis(1).sum().backward();
    assert_eq!(
        g.wrt(x).unwrap().as_slice().unwrap(),
        &[0., 1., 0., 1., 0., 0.]
    );
}

#[test]
fn backward_with_a_seed_weights_each_output() {
    let tape = Tape::new();
    let x = tape.var(Tensor::from_vec(vec![3], vec![1.0, 2.0, 3.0]).unwrap());
    let y = x * x; // dy/dx = 2x
    let seed = Tensor::from_vec(vec![3], vec![1.0, 0.0, -1.0]).unwrap();
    let g = y.backward_with(seed);
    assert_eq!(g.wrt(x).unwrap().as_slice().unwrap(), &[2.0, 0.0, -6.0]);
}

#[test]
fn power_zero_has_zero_gradient_even_at_zero() {
    let tape = Tape::new();
    let x = tape.var(Tensor::zeros(vec![2]));
    let g = (x.powi(0) + x.powf(0.0)).sum().backward();
    assert_eq!(g.wrt(x).unwrap().as_slice().unwrap(), &[0.0, 0.0]);
}

#[test]
fn fused_squared_error_and_bce_with_logits() {
    let x = rand_in(&[4, 3], 25, -3.0, 3.0);
    let target = rand_in(&[4, 3], 26, -1.0, 1.0);
    let probs = rand_in(&[4, 3], 27, 0.0, 1.0);
    // ∂/∂x of s·Σ(x − t)² = 2s(x − t); of s·Σ softplus(x) − t·x = s(sigmoid(x) − t)
    for scale in [1.0, 1.0 / 12.0] {
        check(|_, v| v[0].squared_error(&target, scale), vec![x.clone()]);
        check(
            |_, v| v[0].binary_cross_entropy_with_logits(&probs, scale),
            vec![x.clone()],
        );
    }
    // The fused ops agree with the same losses written as separate ops.
    let tape = Tape::new();
    let xv = tape.var(x.clone());
    let fused = xv.squared_error(&target, 0.25).item();
    let composed = ((xv - tape.constant(target.clone())).powi(2).sum() * 0.25).item();
    assert!((fused - composed).abs() <= 1e-5 * composed.abs());
    let fused = xv.binary_cross_entropy_with_logits(&probs, 0.25).item();
    let t = tape.constant(probs.clone());
    let composed = ((xv.softplus() - t * xv).sum() * 0.25).item();
    assert!((fused - composed).abs() <= 1e-5 * composed.abs());
}

#[test]
fn more_maths_functions() {
    let x = rand(&[3, 4], 40);
    check(|_, v| v[0].sin(), vec![x.clone()]); // cos x
    check(|_, v| v[0].cos(), vec![x.clone()]); // −sin x
    check(|_, v| v[0].expm1(), vec![x.clone()]); // eˣ
    check(|_, v| v[0].square(), vec![x.clone()]); // 2x
    check(|_, v| v[0].erf(), vec![x.clone()]); // 2/√π·e^(−x²)
    check(|_, v| v[0].log1p(), vec![rand_in(&[3, 4], 41, -0.5, 2.0)]); // 1/(1 + x)
    let positive = rand_in(&[3, 4], 42, 0.3, 3.0);
    check(|_, v| v[0].rsqrt(), vec![positive.clone()]); // −½·x^(−3/2)
    check(|_, v| v[0].reciprocal(), vec![positive]); // −1/x²
    check(|_, v| v[0].sign(), vec![away_from_zero(&[3, 4], 43)]); // 0
}

#[test]
fn more_activations() {
    let x = rand_in(&[3, 4], 44, -3.0, 3.0);
    check(|_, v| v[0].gelu(), vec![x.clone()]); // Φ(x) + x·φ(x)
    check(|_, v| v[0].gelu_tanh(), vec![x.clone()]); // the tanh form's derivative
    check(|_, v| v[0].silu(), vec![x.clone()]); // σ(x)·(1 + x·(1 − σ(x)))
    check(|_, v| v[0].softsign(), vec![x.clone()]); // 1/(1 + |x|)²
    check(|_, v| v[0].log_sigmoid(), vec![x.clone()]); // σ(−x)
    let xz = away_from_zero(&[3, 4], 45);
    check(|_, v| v[0].elu(0.7), vec![xz.clone()]); // 1, or 0.7·eˣ
    check(|_, v| v[0].selu(), vec![xz]); // λ, or λα·eˣ
                                         // Hardtanh on [−0.5, 0.5]: values at least 0.05 away from either bound.
    let xh = map(&x, |v| {
        if (v.abs() - 0.5).abs() < 0.05 {
            v * 1.3
        } else {
            v
        }
    });
    check(|_, v| v[0].hardtanh(-0.5, 0.5), vec![xh]); // 1 strictly inside, 0 outside
}

#[test]
fn maximum_minimum_pow_where_under_every_broadcast() {
    for (i, (sa, sb)) in broadcast_cases().into_iter().enumerate() {
        // a on the grid 0.2k + 0.05 and b on 0.2k + 0.15: every pair that broadcasting meets
        // is at least 0.1 apart, so no finite-difference step crosses a tie.
        let a = map(&rand(&sa, 50 + i as u64), |v| {
            (v * 5.0).round() * 0.2 + 0.05
        });
        let b = map(&rand(&sb, 60 + i as u64), |v| {
            (v * 5.0).round() * 0.2 + 0.15
        });
        check(|_, v| v[0].maximum(v[1]), vec![a.clone(), b.clone()]); // the larger side's g
        check(|_, v| v[0].minimum(v[1]), vec![a.clone(), b.clone()]); // the smaller side's g
        let base = rand_in(&sa, 70 + i as u64, 0.5, 2.0);
        let exponent = rand_in(&sb, 80 + i as u64, -1.5, 2.5);
        // ∂/∂a = b·a^(b−1), ∂/∂b = aᵇ·ln a
        check(|_, v| v[0].pow(v[1]), vec![base, exponent]);
        let cond = map(
            &rand(&sa, 90 + i as u64),
            |v| if v > 0.0 { 1.0 } else { 0.0 },
        );
        check(
            move |_, v| v[0].where_cond(&cond, v[1]),
            vec![a.clone(), b.clone()],
        ); // g where picked, 0 elsewhere
    }
    let x = rand(&[3, 4], 99);
    let mask = map(&rand(&[4], 98), |v| if v > 0.0 { 1.0 } else { 0.0 });
    check(move |_, v| v[0].masked_fill(&mask, 2.0), vec![x]); // g where not filled
}

#[test]
fn comparisons_are_masks_without_gradient() {
    let tape = Tape::new();
    let a = tape.var(Tensor::from_vec([3], vec![1., 2., 3.]).unwrap());
    let b = tape.var(Tensor::from_vec([3], vec![2., 2., 2.]).unwrap());
    for (mask, want) in [
        (a.eq(b), [0., 1., 0.]),
        (a.ne(b), [1., 0., 1.]),
        (a.lt(b), [1., 0., 0.]),
        (a.le(b), [1., 1., 0.]),
        (a.gt(b), [0., 0., 1.]),
        (a.ge(b), [0., 1., 1.]),
    ] {
        assert_eq!(mask.to_tensor().to_vec(), want.to_vec());
        assert!(!mask.requires_grad());
    }
}

#[test]
fn reductions_over_any_axes() {
    use nntensor::Norm;
    // Distinct values (no ties on a max) away from zero (no kink in |x|).
    let x = map(&rand(&[2, 3, 4], 100), |v| v + 0.05f32.copysign(v));
    for (axes, keepdim) in [
        (vec![0], false),
        (vec![-1], true),
        (vec![0, 2], false),
        (vec![1, -1], true),
        (vec![], false),
    ] {
        let a = axes.clone();
        check(move |_, v| v[0].sum_axes(&a, keepdim), vec![x.clone()]); // 1
        let a = axes.clone();
        check(move |_, v| v[0].mean_axes(&a, keepdim), vec![x.clone()]); // 1/n
        let a = axes.clone();
        check(move |_, v| v[0].prod(&a, keepdim), vec![x.clone()]); // product of the others
        let a = axes.clone();
        check(move |_, v| v[0].amax(&a, keepdim), vec![x.clone()]); // 1 at the max
        let a = axes.clone();
        check(move |_, v| v[0].amin(&a, keepdim), vec![x.clone()]); // 1 at the min
        let a = axes.clone();
        check(move |_, v| v[0].logsumexp(&a, keepdim), vec![x.clone()]); // softmax
        let a = axes.clone();
        check(move |_, v| v[0].var(&a, 1.0, keepdim), vec![x.clone()]); // 2(x − m)/(n − 1)
        let a = axes.clone();
        check(move |_, v| v[0].std(&a, 0.0, keepdim), vec![x.clone()]); // (x − m)/(n·σ)
        for p in [Norm::L1, Norm::L2, Norm::Inf] {
            let a = axes.clone();
            check(move |_, v| v[0].norm(p, &a, keepdim), vec![x.clone()]); // sign, x/‖x‖, sign at max
        }
    }
    for axis in [0, 1, -1] {
        check(move |_, v| v[0].cumsum(axis), vec![x.clone()]); // suffix sums of g
        check(move |_, v| v[0].max_dim(axis, true).0, vec![x.clone()]); // 1 at the index
        check(move |_, v| v[0].min_dim(axis, false).0, vec![x.clone()]); // 1 at the index
    }
}

#[test]
#[should_panic(expected = "sum: axis 2 is out of range for a tensor with 2 axes (use -2..1)")]
fn an_axis_out_of_range_names_the_op_and_the_range() {
    let tape = Tape::new();
    let _ = tape.var(Tensor::ones([2, 3])).sum_axes(&[2], false);
}

#[test]
#[should_panic(expected = "name the same axis twice")]
fn an_axis_given_twice_is_refused() {
    let tape = Tape::new();
    let _ = tape.var(Tensor::ones([2, 3])).sum_axes(&[1, -1], false);
}

#[test]
fn rearranging_and_indexing_along_axes() {
    use nnautograd::Var;
    let x = rand(&[2, 3, 4], 110);
    check(|_, v| v[0].permute(&[2, 0, 1]), vec![x.clone()]); // the inverse permutation
    check(|_, v| v[0].transpose_axes(1, -1), vec![x.clone()]); // swapped back
    check(|_, v| v[0].unsqueeze(-1).squeeze(&[]), vec![x.clone()]); // reshaped back
    check(|_, v| v[0].flatten_axes(0, 1), vec![x.clone()]); // reshaped back
    check(|_, v| v[0].narrow(2, 1, 2), vec![x.clone()]); // g placed back, zeros elsewhere
    check(|_, v| v[0].index_select(1, &[2, 0, 2]), vec![x.clone()]); // repeats add up
    check(|_, v| v[0].flip(&[0, -1]), vec![x.clone()]); // flipped back
    check(
        |_, v| v[0].narrow(0, 0, 1).expand(&[3, 3, 4]),
        vec![x.clone()],
    ); // summed back
    check(|_, v| v[0].chunk(2, -1)[1], vec![x.clone()]); // the second half's g
    let y = rand(&[2, 1, 4], 111);
    check(|_, v| Var::cat(&[v[0], v[1], v[0]], 1), vec![x.clone(), y]); // each part's slice
    check(|_, v| Var::stack(&[v[0], v[0] * 2.0], 1), vec![x]); // 1 + 2
}

#[test]
fn gather_scatter_repeat_pad_and_numpy_matmul() {
    let x = rand(&[2, 3, 4], 140);
    let index = Tensor::from_vec(
        [2, 2, 4],
        vec![
            2., 0., 1., 2., 0., 0., 2., 1., 1., 1., 0., 2., 2., 2., 1., 0.,
        ],
    )
    .unwrap();
    let i = index.clone();
    check(move |_, v| v[0].gather(1, &i), vec![x.clone()]); // scattered back, repeats adding
    let src = rand(&[2, 2, 4], 141);
    let i = index.clone();
    check(
        move |_, v| v[0].scatter_add(1, &i, v[1]),
        vec![x.clone(), src],
    ); // g to the base, g gathered to the source
    check(|_, v| v[0].repeat(&[2, 1, 1, 3]), vec![x.clone()]); // summed over the tiles
    check(
        |_, v| v[0].pad(&[(1, 0), (0, 2), (1, 1)], 3.0),
        vec![x.clone()],
    ); // the inner part
       // NumPy matmul rules: vectors on either side, and broadcast batch axes.
    for (sa, sb) in [
        (vec![4], vec![4]),
        (vec![3, 4], vec![4]),
        (vec![4], vec![4, 2]),
        (vec![2, 3, 4], vec![4]),
        (vec![5, 1, 3, 4], vec![2, 4, 2]),
        (vec![1, 3, 4], vec![2, 4, 5]),
    ] {
        let (a, b) = (rand(&sa, 142), rand(&sb, 143));
        check(|_, v| v[0].matmul(v[1]), vec![a, b]); // g·bᵀ and aᵀ·g, summed over broadcasts
    }
}

#[test]
fn tensor_matmul_follows_the_same_numpy_rules_as_the_tape() {
    for (sa, sb) in [
        (vec![4], vec![4]),
        (vec![3, 4], vec![4]),
        (vec![4], vec![4, 2]),
        (vec![5, 1, 3, 4], vec![2, 4, 2]),
    ] {
        let (a, b) = (rand(&sa, 150), rand(&sb, 151));
        let tape = Tape::new();
        let want = tape
            .constant(a.clone())
            .matmul(tape.constant(b.clone()))
            .to_tensor();
        assert_eq!(nntensor::matmul(&a, &b), want, "{sa:?} · {sb:?}");
    }
}

#[test]
fn edge_cases_follow_pytorch() {
    let tape = Tape::new();
    // A constant row has std 0 and a zero gradient (not 0/0).
    let x = tape.var(Tensor::full([1, 3], 2.0));
    let g = x.std(&[1], 1.0, false).sum().backward();
    assert_eq!(g.wrt(x).unwrap().to_vec(), vec![0.0; 3]);
    // NaN propagates through logsumexp and the infinity norm.
    let nan = Tensor::from_vec([3], vec![1.0, f32::NAN, f32::NEG_INFINITY]).unwrap();
    assert!(nntensor::logsumexp(&nan, &[], false).item().is_nan());
    assert!(nntensor::norm(&nan, nntensor::Norm::Inf, &[], false)
        .item()
        .is_nan());
    // flip over no axes changes nothing; squeeze keeps an axis whose size is not 1.
    let t = Tensor::from_vec([1, 2], vec![1., 2.]).unwrap();
    assert_eq!(nntensor::flip(&t, &[]), t);
    let v = tape.constant(t.clone());
    assert_eq!(v.squeeze(&[1]).shape(), vec![1, 2]);
    assert_eq!(v.squeeze(&[0, 1]).shape(), vec![2]);
}

/// Distinct values at least 0.02 apart in a shuffled order: no near-ties in a pooling window.
fn spaced(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let order = Rng::seed_from(seed).permutation(n);
    let values = order
        .iter()
        .map(|&k| -1.0 + 2.0 * k as f32 / n as f32)
        .collect();
    Tensor::from_vec(shape.to_vec(), values).unwrap()
}

#[test]
fn conv2d_wrt_input_weight_and_bias_for_strides_padding_and_dilation() {
    use nntensor::Conv2dSpec;
    let specs = [
        Conv2dSpec::default(),
        Conv2dSpec {
            stride: [2, 1],
            padding: [1, 2],
            dilation: [1, 1],
        },
        Conv2dSpec {
            stride: [1, 2],
            padding: [2, 0],
            dilation: [2, 1],
        },
    ];
    for (i, spec) in specs.into_iter().enumerate() {
        let x = rand(&[2, 3, 6, 5], 300 + i as u64);
        let w = rand(&[4, 3, 3, 2], 310 + i as u64);
        let b = rand(&[4], 320 + i as u64);
        // ∂/∂x: the kernel flipped and slid over g (col2im); ∂/∂w: g against the patches;
        // ∂/∂b: Σ g over batch and positions.
        check(
            move |_, v| v[0].conv2d(v[1], Some(v[2]), spec),
            vec![x, w, b],
        );
    }
}

#[test]
fn max_and_avg_pool_route_and_share_the_gradient() {
    use nntensor::Pool2dSpec;
    let x = spaced(&[2, 2, 5, 6], 330);
    for spec in [
        Pool2dSpec::new([2, 2]),
        Pool2dSpec {
            kernel: [3, 2],
            stride: [1, 2],
            padding: [1, 1],
        },
    ] {
        // max: g to each window's maximum; avg: g / (kh·kw) to every tap of the window.
        check(move |_, v| v[0].max_pool2d(spec), vec![x.clone()]);
        check(move |_, v| v[0].avg_pool2d(spec), vec![x.clone()]);
    }
}

#[test]
fn relu_then_max_pool_routes_the_gradient_through_both() {
    use nntensor::Pool2dSpec;
    // Spaced values pushed 0.02 away from ReLU's kink at 0, twice the difference step (about
    // half the inputs are negative).
    let x = spaced(&[2, 2, 5, 6], 331).to_vec();
    let away = |v: f32| v + if v < 0.0 { -0.02 } else { 0.02 };
    let x = Tensor::from_vec([2, 2, 5, 6], x.into_iter().map(away).collect()).unwrap();
    for spec in [
        Pool2dSpec::new([2, 2]),
        Pool2dSpec {
            kernel: [3, 2],
            stride: [1, 2],
            padding: [1, 1],
        },
    ] {
        check(move |_, v| v[0].relu_max_pool2d(spec), vec![x.clone()]);
    }
}

#[test]
fn conv_relu_max_pool_in_one_node_routes_the_gradient_through_all_three() {
    use nntensor::{Conv2dSpec, Pool2dSpec};
    // Spaced inputs (0.04 apart) pushed 0.02 from 0, through weights that each read one input
    // tap scaled by 0.75 to 1.5: the convolution's outputs stay 0.03 apart within a plane and
    // 0.015 from ReLU's kink, more than a difference step (0.01) moves them, so no window's
    // maximum and no ReLU changes side in f(x ± h). The zero weights are checked too (in the
    // 3×3 case below their gradients read the neighbours and the padding).
    let x = spaced(&[2, 2, 4, 6], 332).to_vec();
    let away = |v: f32| v + if v < 0.0 { -0.02 } else { 0.02 };
    let x = Tensor::from_vec([2, 2, 4, 6], x.into_iter().map(away).collect()).unwrap();
    let w = Tensor::from_vec([2, 2, 1, 1], vec![1.5, 0.0, 0.0, -1.0]).unwrap();
    let b = Tensor::zeros([2]);
    let overlapping = Pool2dSpec {
        kernel: [3, 2],
        stride: [1, 2],
        padding: [1, 1],
    };
    for pool in [Pool2dSpec::new([2, 2]), overlapping] {
        let conv = Conv2dSpec::default();
        check(
            move |_, v| v[0].conv2d_relu_max_pool2d(v[1], Some(v[2]), conv, pool),
            vec![x.clone(), w.clone(), b.clone()],
        );
    }
    // 3×3, padded and strided: each output channel reads the centre tap of one input channel.
    let conv = Conv2dSpec {
        stride: [1, 2],
        padding: [1, 1],
        dilation: [1, 1],
    };
    let mut w3 = vec![0.0f32; 3 * 2 * 9];
    for (o, c, scale) in [(0, 0, 1.5), (1, 1, -1.0), (2, 0, -0.75)] {
        w3[(o * 2 + c) * 9 + 4] = scale;
    }
    let w3 = Tensor::from_vec([3, 2, 3, 3], w3).unwrap();
    check(
        move |_, v| v[0].conv2d_relu_max_pool2d(v[1], Some(v[2]), conv, Pool2dSpec::new([2, 2])),
        vec![x.clone(), w3.clone(), Tensor::zeros([3])],
    );
}
