//! Losses: each a function of predictions (a `Var`) and targets, returning a scalar `Var`.
//!
//! Reductions: `Mean` averages over every element for MSE and binary cross-entropy (as PyTorch
//! and Keras do), and over samples for the categorical losses; `Sum` adds the same terms up.
//! Shapes are checked here and mismatches panic naming both shapes: the training loop validates
//! user data before it gets this far.

use nnautograd::nntensor::Tensor;
use nnautograd::Var;

/// Keras's clipping constant for losses on probabilities (`keras.backend.epsilon()`).
pub const PROBABILITY_EPSILON: f32 = 1e-7;

/// How per-element (or per-sample) losses are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reduction {
    /// Their mean (the default in PyTorch and Keras).
    #[default]
    Mean,
    /// Their sum.
    Sum,
    /// No reduction: the per-element (or, for the categorical losses, per-sample) terms, as
    /// PyTorch's `reduction="none"`.
    None,
}

pub(crate) fn reduce<'t>(terms: Var<'t>, reduction: Reduction, count: usize) -> Var<'t> {
    match reduction {
        Reduction::Mean => terms.sum() / count.max(1) as f32,
        Reduction::Sum => terms.sum(),
        Reduction::None => terms,
    }
}

/// The factor a fused loss multiplies its sum of `count` terms by (`None` has no fused form).
fn scale(reduction: Reduction, count: usize) -> f32 {
    match reduction {
        Reduction::Mean => 1.0 / count.max(1) as f32,
        Reduction::Sum | Reduction::None => 1.0,
    }
}

#[track_caller]
fn same_shape(loss: &str, pred: &Var<'_>, target: &Tensor) {
    let value = pred.value();
    assert!(
        value.shape() == target.shape(),
        "{loss}: predictions have shape {:?} but targets have shape {:?}",
        value.shape(),
        target.shape()
    );
}

#[track_caller]
fn rows(loss: &str, pred: &Var<'_>, labels: &[usize]) -> usize {
    let shape = pred.shape();
    assert!(
        shape.len() == 2 && shape[0] == labels.len(),
        "{loss}: predictions must be (batch, classes) with batch = {} labels, got shape {shape:?}",
        labels.len()
    );
    if let Some(&bad) = labels.iter().find(|&&l| l >= shape[1]) {
        panic!(
            "{loss}: label {bad} is out of range for {} classes",
            shape[1]
        );
    }
    shape[0]
}

/// Mean squared error `(pred − target)²`.
///
/// ```
/// use nnlayers::{mse, Reduction};
/// use nnautograd::{nntensor::Tensor, Tape};
/// let tape = Tape::new();
/// let pred = tape.var(Tensor::from_vec(vec![2], vec![1.0, 3.0]).unwrap());
/// let target = Tensor::from_vec(vec![2], vec![0.0, 1.0]).unwrap();
/// assert_eq!(mse(pred, &target, Reduction::Mean).item(), 2.5); // (1 + 4) / 2
/// ```
#[track_caller]
pub fn mse<'t>(pred: Var<'t>, target: &Tensor, reduction: Reduction) -> Var<'t> {
    same_shape("mse", &pred, target);
    if reduction == Reduction::None {
        return (pred - pred.tape().constant(target.clone())).square();
    }
    pred.squared_error(target, scale(reduction, target.len()))
}

/// Binary cross-entropy on probabilities: `−(t·ln p + (1 − t)·ln(1 − p))`, with `p` clipped to
/// `[1e-7, 1 − 1e-7]` as Keras's `binary_crossentropy` does (its TensorFlow backend also adds
/// 1e-7 inside each log; we only clip), so a saturated sigmoid gives a large loss, not infinity.
/// For raw scores use [`binary_cross_entropy_with_logits`], which is exact for any score.
#[track_caller]
pub fn binary_cross_entropy<'t>(probs: Var<'t>, target: &Tensor, reduction: Reduction) -> Var<'t> {
    same_shape("binary_cross_entropy", &probs, target);
    let p = probs.clamp(PROBABILITY_EPSILON, 1.0 - PROBABILITY_EPSILON);
    let t = probs.tape().constant(target.clone());
    let terms = -(t * p.log() + (1.0 - t) * (1.0 - p).log());
    reduce(terms, reduction, target.len())
}

/// Binary cross-entropy on logits: `softplus(x) − t·x`, which equals BCE of `sigmoid(x)` and is
/// finite and exact for any logit (PyTorch's `BCEWithLogitsLoss`).
///
/// ```
/// use nnlayers::{binary_cross_entropy_with_logits, Reduction};
/// use nnautograd::{nntensor::Tensor, Tape};
/// let tape = Tape::new();
/// let logits = tape.var(Tensor::from_vec(vec![2], vec![1e4, -1e4]).unwrap());
/// let t = Tensor::from_vec(vec![2], vec![0.0, 0.0]).unwrap();
/// assert_eq!(binary_cross_entropy_with_logits(logits, &t, Reduction::Sum).item(), 1e4);
/// ```
#[track_caller]
pub fn binary_cross_entropy_with_logits<'t>(
    logits: Var<'t>,
    target: &Tensor,
    reduction: Reduction,
) -> Var<'t> {
    same_shape("binary_cross_entropy_with_logits", &logits, target);
    if reduction == Reduction::None {
        return logits.softplus() - logits.tape().constant(target.clone()) * logits;
    }
    logits.binary_cross_entropy_with_logits(target, scale(reduction, target.len()))
}

/// Categorical cross-entropy on probabilities `(batch, classes)` against one-hot (or soft) targets
/// of the same shape: `−Σ t·ln p` per sample. As in Keras, each row of `probs` is rescaled to sum
/// to 1 and clipped to `[1e-7, 1 − 1e-7]` first.
#[track_caller]
pub fn categorical_cross_entropy<'t>(
    probs: Var<'t>,
    target: &Tensor,
    reduction: Reduction,
) -> Var<'t> {
    same_shape("categorical_cross_entropy", &probs, target);
    let shape = probs.shape();
    assert!(
        shape.len() == 2,
        "categorical_cross_entropy: predictions must be (batch, classes), got {shape:?}"
    );
    let row_sums = probs.sum_axis(1).reshape(&[shape[0], 1]);
    let p = (probs / row_sums).clamp(PROBABILITY_EPSILON, 1.0 - PROBABILITY_EPSILON);
    let t = probs.tape().constant(target.clone());
    reduce(-(t * p.log()).sum_axis(1), reduction, shape[0])
}

/// Categorical cross-entropy on logits, fused with the softmax: exact and stable for any logits,
/// and cheaper than `softmax` followed by [`categorical_cross_entropy`].
#[track_caller]
pub fn softmax_cross_entropy<'t>(
    logits: Var<'t>,
    target: &Tensor,
    reduction: Reduction,
) -> Var<'t> {
    same_shape("softmax_cross_entropy", &logits, target);
    if reduction == Reduction::None {
        let t = logits.tape().constant(target.clone());
        return -(t * logits.log_softmax(1)).sum_axis(1);
    }
    let mean = logits.softmax_cross_entropy(target);
    match reduction {
        Reduction::Sum => mean * target.shape()[0] as f32,
        _ => mean,
    }
}

/// Sparse categorical cross-entropy on probabilities `(batch, classes)` against class indices:
/// `−ln p[label]` per sample, rows renormalised and `p` clipped as in [`categorical_cross_entropy`].
#[track_caller]
pub fn sparse_categorical_cross_entropy<'t>(
    probs: Var<'t>,
    labels: &[usize],
    reduction: Reduction,
) -> Var<'t> {
    let n = rows("sparse_categorical_cross_entropy", &probs, labels);
    let classes = probs.shape()[1];
    let one_hot = nnautograd::nntensor::one_hot(labels, classes).expect("labels checked above");
    // Rows rescaled to sum to 1 first, as in categorical_cross_entropy and Keras.
    let row_sums = probs.sum_axis(1).reshape(&[n, 1]);
    let one_hot = one_hot.into_device(&probs.value().device());
    let picked = (probs / row_sums * probs.tape().constant(one_hot)).sum_axis(1);
    let terms = -picked
        .clamp(PROBABILITY_EPSILON, 1.0 - PROBABILITY_EPSILON)
        .log();
    reduce(terms, reduction, n)
}

/// Sparse categorical cross-entropy on logits, fused with the softmax (PyTorch's `CrossEntropyLoss`).
///
/// ```
/// use nnlayers::{sparse_softmax_cross_entropy, Reduction};
/// use nnautograd::{nntensor::Tensor, Tape};
/// let tape = Tape::new();
/// let logits = tape.var(Tensor::zeros(vec![2, 10]));
/// let loss = sparse_softmax_cross_entropy(logits, &[3, 7], Reduction::Mean);
/// assert!((loss.item() - 10f32.ln()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn sparse_softmax_cross_entropy<'t>(
    logits: Var<'t>,
    labels: &[usize],
    reduction: Reduction,
) -> Var<'t> {
    let n = rows("sparse_softmax_cross_entropy", &logits, labels);
    if reduction == Reduction::None {
        let classes = logits.shape()[1];
        let one_hot = nnautograd::nntensor::one_hot(labels, classes).expect("labels checked above");
        let one_hot = one_hot.into_device(&logits.value().device());
        return -(logits.log_softmax(1) * logits.tape().constant(one_hot)).sum_axis(1);
    }
    let mean = logits.sparse_softmax_cross_entropy(labels);
    match reduction {
        Reduction::Sum => mean * n as f32,
        _ => mean,
    }
}
