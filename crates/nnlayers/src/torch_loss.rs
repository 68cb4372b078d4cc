//! Losses as PyTorch's `torch.nn.functional` has them: `nll_loss` and `cross_entropy` with class
//! weights, `ignore_index` and label smoothing, `l1_loss`, `smooth_l1_loss`, `huber_loss`,
//! `kl_div`, and BCE on logits with `pos_weight`. Targets of the regression losses are tape
//! values, so a gradient can flow into them too (use `tape.constant(t)` for plain data).

use crate::loss::{reduce, Reduction};
use nnautograd::nntensor::{self as nt, Tensor};
use nnautograd::Var;

/// Options of [`cross_entropy`] and [`nll_loss`] (PyTorch's `weight`, `ignore_index` and
/// `label_smoothing`).
#[derive(Debug, Clone, Default)]
pub struct ClassLossOptions<'a> {
    /// A weight per class (`classes` values): each sample's term is scaled by its class's weight,
    /// and a mean divides by the sum of the weights used.
    pub weight: Option<&'a Tensor>,
    /// Samples with this label add nothing, and do not count in a mean.
    pub ignore_index: Option<usize>,
    /// ε in `[0, 1]`: the target becomes `(1 − ε)·onehot + ε/classes` (cross-entropy only).
    pub label_smoothing: f32,
}

/// Per-sample weights and the one-hot mask of `labels`, both from the options; panics naming the
/// loss for a label out of range or a weight of the wrong length.
#[track_caller]
fn class_terms(
    loss: &str,
    shape: &[usize],
    labels: &[usize],
    options: &ClassLossOptions<'_>,
) -> (Vec<f32>, Tensor) {
    assert!(
        shape.len() == 2 && shape[0] == labels.len(),
        "{loss}: input must be (batch, classes) with batch = {} labels, got shape {shape:?}",
        labels.len()
    );
    let classes = shape[1];
    let class_weight: Vec<f32> = match options.weight {
        Some(w) => {
            assert!(
                w.shape() == [classes],
                "{loss}: weight has shape {:?}, expected ({classes},) for {classes} classes",
                w.shape()
            );
            w.to_vec()
        }
        None => vec![1.0; classes],
    };
    let mut sample_weight = Vec::with_capacity(labels.len());
    let mut mask = vec![0.0; labels.len() * classes];
    for (i, &label) in labels.iter().enumerate() {
        if options.ignore_index == Some(label) {
            sample_weight.push(0.0);
            continue;
        }
        assert!(
            label < classes,
            "{loss}: label {label} at row {i} is out of range for {classes} classes"
        );
        sample_weight.push(class_weight[label]);
        mask[i * classes + label] = 1.0;
    }
    let mask = Tensor::from_vec([labels.len(), classes], mask).expect("n × classes");
    (sample_weight, mask)
}

/// Reduces per-sample `terms` as PyTorch's class losses do: a mean divides by the total weight
/// of the samples not ignored.
fn reduce_weighted<'t>(terms: Var<'t>, reduction: Reduction, total_weight: f32) -> Var<'t> {
    match reduction {
        Reduction::Mean => terms.sum() / total_weight,
        other => reduce(terms, other, 1),
    }
}

/// Negative log-likelihood of log-probabilities `(batch, classes)` against class indices:
/// `−weight[y]·log_probs[i, y]` per sample (PyTorch's `F.nll_loss`). Label smoothing does not
/// apply here.
///
/// ```
/// use nnlayers::{nll_loss, ClassLossOptions, Reduction};
/// use nnautograd::{nntensor::Tensor, Tape};
/// let tape = Tape::new();
/// let log_probs = tape.var(Tensor::from_vec([2, 2], vec![-0.1, -2.0, -3.0, -0.5]).unwrap());
/// let loss = nll_loss(log_probs, &[0, 1], &ClassLossOptions::default(), Reduction::Mean);
/// assert!((loss.item() - 0.3).abs() < 1e-6);
/// ```
#[track_caller]
pub fn nll_loss<'t>(
    log_probs: Var<'t>,
    labels: &[usize],
    options: &ClassLossOptions<'_>,
    reduction: Reduction,
) -> Var<'t> {
    let (weights, mask) = class_terms("nll_loss", &log_probs.shape(), labels, options);
    let tape = log_probs.tape();
    let w = Tensor::from_vec([labels.len(), 1], weights.clone()).expect("one per sample");
    let device = log_probs.value().device();
    let picked = (log_probs * tape.constant((&mask * &w).into_device(&device))).sum_axis(1);
    reduce_weighted(-picked, reduction, weights.iter().sum())
}

/// Cross-entropy of logits `(batch, classes)` against class indices, with class weights,
/// `ignore_index` and label smoothing (PyTorch's `F.cross_entropy`):
/// `(1 − ε)·nll(log_softmax(x)) + ε·Σ_c weight[c]·(−log_softmax(x)_c) / classes` per sample.
///
/// ```
/// use nnlayers::{cross_entropy, ClassLossOptions, Reduction};
/// use nnautograd::{nntensor::Tensor, Tape};
/// let tape = Tape::new();
/// let logits = tape.var(Tensor::zeros([1, 4]));
/// let options = ClassLossOptions { label_smoothing: 0.1, ..Default::default() };
/// let loss = cross_entropy(logits, &[2], &options, Reduction::Mean);
/// assert!((loss.item() - 4f32.ln()).abs() < 1e-6); // uniform logits: ln 4 whatever ε
/// ```
#[track_caller]
pub fn cross_entropy<'t>(
    logits: Var<'t>,
    labels: &[usize],
    options: &ClassLossOptions<'_>,
    reduction: Reduction,
) -> Var<'t> {
    let shape = logits.shape();
    let (weights, mask) = class_terms("cross_entropy", &shape, labels, options);
    let eps = options.label_smoothing;
    assert!(
        (0.0..=1.0).contains(&eps),
        "cross_entropy: label_smoothing must be in [0, 1], got {eps}"
    );
    let tape = logits.tape();
    let log_p = logits.log_softmax(1);
    let w = Tensor::from_vec([labels.len(), 1], weights.clone()).expect("one per sample");
    let device = logits.value().device();
    let nll = -(log_p * tape.constant((&mask * &w).into_device(&device))).sum_axis(1);
    let terms = if eps > 0.0 {
        let classes = shape[1];
        let class_weight = options
            .weight
            .cloned()
            .unwrap_or_else(|| Tensor::ones([classes]));
        // Ignored samples add nothing to the smoothing term either.
        let kept: Vec<f32> = labels
            .iter()
            .map(|&l| {
                if options.ignore_index == Some(l) {
                    0.0
                } else {
                    1.0
                }
            })
            .collect();
        let kept = Tensor::from_vec([labels.len(), 1], kept).expect("one per sample");
        let smooth_weight = (&class_weight
            .to(&nt::Device::Cpu)
            .into_reshaped([1, classes])
            * &kept)
            .into_device(&device);
        let smooth = -(log_p * tape.constant(smooth_weight)).sum_axis(1) / classes as f32;
        nll * (1.0 - eps) + smooth * eps
    } else {
        nll
    };
    reduce_weighted(terms, reduction, weights.iter().sum())
}

/// Panics (at the caller's line) unless `pred` and `target` have one shape.
#[track_caller]
fn same_shape(loss: &str, pred: &Var<'_>, target: &Var<'_>) {
    let (p, t) = (pred.shape(), target.shape());
    assert!(
        p == t,
        "{loss}: predictions have shape {p:?} but targets have shape {t:?}"
    );
}

/// Mean absolute error `|pred − target|` (PyTorch's `F.l1_loss`).
///
/// ```
/// use nnlayers::{l1_loss, Reduction};
/// use nnautograd::{nntensor::Tensor, Tape};
/// let tape = Tape::new();
/// let pred = tape.var(Tensor::from_vec([2], vec![1.0, -1.0]).unwrap());
/// let target = tape.constant(Tensor::zeros([2]));
/// assert_eq!(l1_loss(pred, target, Reduction::Sum).item(), 2.0);
/// ```
#[track_caller]
pub fn l1_loss<'t>(pred: Var<'t>, target: Var<'t>, reduction: Reduction) -> Var<'t> {
    same_shape("l1_loss", &pred, &target);
    let n = pred.value().len();
    reduce((pred - target).abs(), reduction, n)
}

/// Smooth L1: `½d²/β` where `|d| < β`, `|d| − ½β` elsewhere, for `d = pred − target` (PyTorch's
/// `F.smooth_l1_loss`; `beta = 0` is the L1 loss).
///
/// ```
/// use nnlayers::{smooth_l1_loss, Reduction};
/// use nnautograd::{nntensor::Tensor, Tape};
/// let tape = Tape::new();
/// let pred = tape.var(Tensor::from_vec([2], vec![0.5, 3.0]).unwrap());
/// let target = tape.constant(Tensor::zeros([2]));
/// assert_eq!(smooth_l1_loss(pred, target, 1.0, Reduction::None).to_tensor().to_vec(), vec![0.125, 2.5]);
/// ```
#[track_caller]
pub fn smooth_l1_loss<'t>(
    pred: Var<'t>,
    target: Var<'t>,
    beta: f32,
    reduction: Reduction,
) -> Var<'t> {
    same_shape("smooth_l1_loss", &pred, &target);
    assert!(beta >= 0.0, "smooth_l1_loss: beta must be ≥ 0, got {beta}");
    let d = pred - target;
    let n = d.value().len();
    let terms = if beta == 0.0 {
        d.abs()
    } else {
        let inside = nt::lt(&nt::abs(&d.value()), &nt::scalar(beta));
        (d.square() * (0.5 / beta)).where_cond(&inside, d.abs() - 0.5 * beta)
    };
    reduce(terms, reduction, n)
}

/// Huber: `½d²` where `|d| ≤ δ`, `δ·(|d| − ½δ)` elsewhere, for `d = pred − target` (PyTorch's
/// `F.huber_loss`).
///
/// ```
/// use nnlayers::{huber_loss, Reduction};
/// use nnautograd::{nntensor::Tensor, Tape};
/// let tape = Tape::new();
/// let pred = tape.var(Tensor::from_vec([2], vec![0.5, 3.0]).unwrap());
/// let target = tape.constant(Tensor::zeros([2]));
/// assert_eq!(huber_loss(pred, target, 2.0, Reduction::None).to_tensor().to_vec(), vec![0.125, 4.0]);
/// ```
#[track_caller]
pub fn huber_loss<'t>(pred: Var<'t>, target: Var<'t>, delta: f32, reduction: Reduction) -> Var<'t> {
    same_shape("huber_loss", &pred, &target);
    assert!(delta > 0.0, "huber_loss: delta must be > 0, got {delta}");
    let d = pred - target;
    let n = d.value().len();
    let inside = nt::le(&nt::abs(&d.value()), &nt::scalar(delta));
    let terms = (d.square() * 0.5).where_cond(&inside, (d.abs() - 0.5 * delta) * delta);
    reduce(terms, reduction, n)
}

/// Kullback–Leibler divergence of `target` from the distribution whose log-probabilities are
/// `input`: `target·(ln target − input)` elementwise, 0 where `target = 0` (PyTorch's
/// `F.kl_div`; with `log_target`, the target is given as log-probabilities). PyTorch's
/// `batchmean` is `Sum` divided by the batch size.
///
/// ```
/// use nnlayers::{kl_div, Reduction};
/// use nnautograd::{nntensor::Tensor, Tape};
/// let tape = Tape::new();
/// let same = Tensor::from_vec([2], vec![0.25f32.ln(), 0.75f32.ln()]).unwrap();
/// let input = tape.var(same.clone());
/// let target = tape.constant(nnautograd::nntensor::exp(&same));
/// assert!(kl_div(input, target, false, Reduction::Sum).item().abs() < 1e-7);
/// ```
#[track_caller]
pub fn kl_div<'t>(
    input: Var<'t>,
    target: Var<'t>,
    log_target: bool,
    reduction: Reduction,
) -> Var<'t> {
    same_shape("kl_div", &input, &target);
    let n = input.value().len();
    let terms = if log_target {
        target.exp() * (target - input)
    } else {
        // t·ln t with 0·ln 0 = 0: take the log of t where t > 0 and of 1 elsewhere.
        let positive = nt::gt(&target.value(), &nt::scalar(0.0));
        let safe_log = target
            .where_cond(&positive, input.tape().constant(nt::scalar(1.0)))
            .log();
        target * (safe_log - input)
    };
    reduce(terms, reduction, n)
}

/// Binary cross-entropy on logits with a weight on the positive class (PyTorch's
/// `F.binary_cross_entropy_with_logits(..., pos_weight=…)`):
/// `pos_weight·t·softplus(−x) + (1 − t)·softplus(x)`, finite for any logit. `pos_weight`
/// broadcasts against the logits (one value per class, say).
///
/// ```
/// use nnlayers::{bce_with_logits_pos_weight, Reduction};
/// use nnautograd::{nntensor::Tensor, Tape};
/// let tape = Tape::new();
/// let logits = tape.var(Tensor::zeros([2]));
/// let target = tape.constant(Tensor::from_vec([2], vec![1.0, 0.0]).unwrap());
/// let loss = bce_with_logits_pos_weight(logits, target, &Tensor::full([1], 3.0), Reduction::None);
/// let terms = loss.to_tensor().to_vec();
/// assert!((terms[0] - 3.0 * 2f32.ln()).abs() < 1e-6 && (terms[1] - 2f32.ln()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn bce_with_logits_pos_weight<'t>(
    logits: Var<'t>,
    target: Var<'t>,
    pos_weight: &Tensor,
    reduction: Reduction,
) -> Var<'t> {
    same_shape("bce_with_logits_pos_weight", &logits, &target);
    let n = logits.value().len();
    let pw = logits.tape().constant(pos_weight.clone());
    let terms = pw * target * (-logits).softplus() + (1.0 - target) * logits.softplus();
    reduce(terms, reduction, n)
}
