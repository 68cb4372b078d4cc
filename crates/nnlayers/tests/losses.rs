//! Each loss against values computed by hand. The reference numbers come from this Python
//! (standard library only), which writes out the formulas PyTorch and Keras document:
//!
//! ```python
//! import math
//! p, t = [0.9, 0.2, 0.6], [1.0, 0.0, 1.0]
//! bce = -sum(ti*math.log(pi) + (1-ti)*math.log(1-pi) for pi, ti in zip(p, t)) / 3
//! x = [2.0, -1.0, 0.5]
//! sp = lambda v: max(v, 0) + math.log1p(math.exp(-abs(v)))
//! bce_logits = sum(sp(xi) - ti*xi for xi, ti in zip(x, t)) / 3
//! logits = [[1.0, 2.0, 0.5], [0.1, -0.3, 2.2]]; labels = [1, 2]
//! def ce(row, k): m = max(row); return -(row[k] - m - math.log(sum(math.exp(v - m) for v in row)))
//! sce = sum(ce(r, k) for r, k in zip(logits, labels)) / 2
//! probs = [[0.2, 0.7, 0.1], [0.3, 0.3, 0.4]]
//! cce = -(math.log(0.7) + math.log(0.4)) / 2
//! print(repr(bce), repr(bce_logits), repr(sce), repr(cce))
//! # 0.2797765635793423 0.3047555609137674 0.32523386000568083 0.6364828379064438
//! ```

use nnautograd::nntensor::{one_hot, Tensor};
use nnautograd::Tape;
use nnlayers::*;

fn t(shape: &[usize], v: &[f32]) -> Tensor {
    Tensor::from_vec(shape.to_vec(), v.to_vec()).unwrap()
}

fn close(got: f32, want: f64) {
    assert!(
        (got as f64 - want).abs() < 1e-6 * want.abs().max(1.0),
        "got {got}, want {want}"
    );
}

#[test]
fn mse_by_hand() {
    let tape = Tape::new();
    let pred = tape.var(t(&[2, 2], &[1.0, 2.0, 3.0, 4.0]));
    let target = t(&[2, 2], &[0.0, 2.0, 5.0, 4.5]);
    close(
        mse(pred, &target, Reduction::Mean).item(),
        (1.0 + 0.0 + 4.0 + 0.25) / 4.0,
    );
    close(mse(pred, &target, Reduction::Sum).item(), 5.25);
}

#[test]
fn binary_cross_entropy_by_hand() {
    let tape = Tape::new();
    let p = tape.var(t(&[3], &[0.9, 0.2, 0.6]));
    let target = t(&[3], &[1.0, 0.0, 1.0]);
    close(
        binary_cross_entropy(p, &target, Reduction::Mean).item(),
        0.2797765635793423,
    );
    let x = tape.var(t(&[3], &[2.0, -1.0, 0.5]));
    close(
        binary_cross_entropy_with_logits(x, &target, Reduction::Mean).item(),
        0.3047555609137674,
    );
}

#[test]
fn softmax_cross_entropies_by_hand() {
    let tape = Tape::new();
    let logits = tape.var(t(&[2, 3], &[1.0, 2.0, 0.5, 0.1, -0.3, 2.2]));
    let labels = [1, 2];
    let want = 0.32523386000568083;
    close(
        sparse_softmax_cross_entropy(logits, &labels, Reduction::Mean).item(),
        want,
    );
    close(
        softmax_cross_entropy(logits, &one_hot(&labels, 3).unwrap(), Reduction::Mean).item(),
        want,
    );
    close(
        softmax_cross_entropy(logits, &one_hot(&labels, 3).unwrap(), Reduction::Sum).item(),
        2.0 * want,
    );
}

#[test]
fn categorical_cross_entropies_by_hand() {
    let tape = Tape::new();
    let probs = tape.var(t(&[2, 3], &[0.2, 0.7, 0.1, 0.3, 0.3, 0.4]));
    let labels = [1, 2];
    let want = 0.6364828379064438;
    close(
        categorical_cross_entropy(probs, &one_hot(&labels, 3).unwrap(), Reduction::Mean).item(),
        want,
    );
    close(
        sparse_categorical_cross_entropy(probs, &labels, Reduction::Mean).item(),
        want,
    );
}

#[test]
fn categorical_losses_renormalise_rows_that_do_not_sum_to_one() {
    // Rows scaled by 2 and by 0.5: after Keras's renormalisation they are the rows above.
    let tape = Tape::new();
    let probs = tape.var(t(&[2, 3], &[0.4, 1.4, 0.2, 0.15, 0.15, 0.2]));
    let labels = [1, 2];
    let want = 0.6364828379064438;
    close(
        categorical_cross_entropy(probs, &one_hot(&labels, 3).unwrap(), Reduction::Mean).item(),
        want,
    );
    close(
        sparse_categorical_cross_entropy(probs, &labels, Reduction::Mean).item(),
        want,
    );
}

#[test]
fn stable_variants_stay_finite_for_huge_logits() {
    let tape = Tape::new();
    let logits = tape.var(t(&[2, 2], &[1e4, -1e4, -1e4, 1e4]));
    let targets = t(&[2, 2], &[0.0, 1.0, 1.0, 0.0]);
    // Every prediction is wrong. BCE-with-logits: each of the 4 elements costs softplus(x) − t·x
    // = 1e4 (x = 1e4, t = 0, or x = −1e4, t = 1), mean 1e4. Softmax CE: each row's logit gap is 2e4.
    close(
        binary_cross_entropy_with_logits(logits, &targets, Reduction::Mean).item(),
        1e4,
    );
    close(
        softmax_cross_entropy(logits, &targets, Reduction::Mean).item(),
        2e4,
    );
    close(
        sparse_softmax_cross_entropy(logits, &[1, 0], Reduction::Mean).item(),
        2e4,
    );
    let grads = sparse_softmax_cross_entropy(logits, &[1, 0], Reduction::Mean).backward();
    assert!(grads
        .wrt(logits)
        .unwrap()
        .values()
        .iter()
        .all(|g| g.is_finite()));
    // Saturated probabilities are clipped, as in Keras: large but finite.
    let tape = Tape::new();
    let p = tape.var(t(&[1], &[1.0]));
    let bce = binary_cross_entropy(p, &t(&[1], &[0.0]), Reduction::Mean);
    assert!(bce.item().is_finite() && bce.item() > 15.0);
}

#[test]
fn reduction_none_gives_the_terms_whose_mean_and_sum_the_others_give() {
    use nnautograd::nntensor::{one_hot, Rng, Tensor};
    use nnautograd::Tape;
    let mut rng = Rng::seed_from(7);
    let logits = Tensor::from_fn([5, 3], || rng.uniform(-2.0, 2.0));
    let labels = [0, 2, 1, 1, 0];
    let targets = one_hot(&labels, 3).unwrap();
    let probs01 = Tensor::from_fn([5, 3], || rng.uniform(0.0, 1.0));
    let tape = Tape::new();
    let x = tape.var(logits.clone());
    /// The sum of a loss's output under one reduction.
    type SummedLoss<'a> = Box<dyn Fn(Reduction) -> f32 + 'a>;
    let cases: Vec<(&str, SummedLoss<'_>, usize)> = vec![
        (
            "mse",
            Box::new(|r| mse(x, &probs01, r).to_tensor().to_vec().iter().sum::<f32>()),
            15,
        ),
        (
            "bce_with_logits",
            Box::new(|r| {
                binary_cross_entropy_with_logits(x, &probs01, r)
                    .to_tensor()
                    .to_vec()
                    .iter()
                    .sum()
            }),
            15,
        ),
        (
            "softmax_cross_entropy",
            Box::new(|r| {
                softmax_cross_entropy(x, &targets, r)
                    .to_tensor()
                    .to_vec()
                    .iter()
                    .sum()
            }),
            5,
        ),
        (
            "sparse_softmax_cross_entropy",
            Box::new(|r| {
                sparse_softmax_cross_entropy(x, &labels, r)
                    .to_tensor()
                    .to_vec()
                    .iter()
                    .sum()
            }),
            5,
        ),
    ];
    for (name, loss, count) in cases {
        let (none, sum, mean) = (
            loss(Reduction::None),
            loss(Reduction::Sum),
            loss(Reduction::Mean),
        );
        assert!(
            (none - sum).abs() < 1e-4,
            "{name}: terms add to {none}, Sum gives {sum}"
        );
        assert!(
            (none / count as f32 - mean).abs() < 1e-5,
            "{name}: mean {mean}"
        );
    }
}

#[test]
fn categorical_cross_entropy_without_reduction_gives_one_term_per_sample() {
    use nnautograd::nntensor::{one_hot, Tensor};
    use nnautograd::Tape;
    let tape = Tape::new();
    let probs = tape.var(Tensor::from_vec([2, 2], vec![0.5, 0.5, 0.25, 0.75]).unwrap());
    let targets = one_hot(&[0, 1], 2).unwrap();
    let terms = categorical_cross_entropy(probs, &targets, Reduction::None);
    assert_eq!(terms.shape(), vec![2]);
    let want = [-(0.5f32.ln()), -(0.75f32.ln())];
    for (g, w) in terms.to_tensor().to_vec().iter().zip(want) {
        assert!((g - w).abs() < 1e-6);
    }
}

#[test]
#[should_panic(expected = "LayerNorm: normalized_shape must name at least one trailing axis")]
fn a_layer_norm_over_no_axes_is_refused() {
    let _ = nnlayers::LayerNorm::new(&[], 1e-5);
}
