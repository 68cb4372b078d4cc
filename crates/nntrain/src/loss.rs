//! The losses `compile` accepts, and how each reads its targets.

use nnautograd::nntensor::Tensor;
use nnautograd::Var;
use nnlayers::{self as layers, Reduction};

/// A training loss, named as in Keras. Losses on probabilities expect the model to end in the
/// matching activation (softmax or sigmoid); the `…WithLogits` / `Softmax…` variants expect raw
/// scores. When a model ends in a softmax (or sigmoid) and the loss is the matching
/// cross-entropy on probabilities, training computes the fused, stable loss on the scores before
/// that activation, as Keras does: the same value, without the rounding of `ln(softmax)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// Mean squared error; targets have the output's shape.
    MeanSquaredError,
    /// Binary cross-entropy on probabilities; targets 0/1 of the output's shape.
    BinaryCrossEntropy,
    /// Binary cross-entropy on logits; targets 0/1 of the output's shape.
    BinaryCrossEntropyWithLogits,
    /// Categorical cross-entropy on probabilities; targets one-hot rows `(n, classes)`.
    CategoricalCrossEntropy,
    /// Categorical cross-entropy on logits (softmax fused in); targets one-hot rows.
    SoftmaxCrossEntropy,
    /// Categorical cross-entropy on probabilities; targets class indices `(n,)`.
    SparseCategoricalCrossEntropy,
    /// Categorical cross-entropy on logits; targets class indices `(n,)` (PyTorch's `CrossEntropyLoss`).
    SparseSoftmaxCrossEntropy,
}

/// How a loss reads its targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// Values of the output's shape.
    SameAsOutput,
    /// One-hot (or probability) rows `(n, classes)`.
    OneHot,
    /// Class indices `(n,)` or `(n, 1)`.
    ClassIndices,
}

impl Loss {
    /// Keras's name for the loss.
    pub fn name(self) -> &'static str {
        match self {
            Loss::MeanSquaredError => "mean_squared_error",
            Loss::BinaryCrossEntropy => "binary_crossentropy",
            Loss::BinaryCrossEntropyWithLogits => "binary_crossentropy_from_logits",
            Loss::CategoricalCrossEntropy => "categorical_crossentropy",
            Loss::SoftmaxCrossEntropy => "categorical_crossentropy_from_logits",
            Loss::SparseCategoricalCrossEntropy => "sparse_categorical_crossentropy",
            Loss::SparseSoftmaxCrossEntropy => "sparse_categorical_crossentropy_from_logits",
        }
    }

    /// How this loss reads its targets.
    pub fn target_kind(self) -> TargetKind {
        match self {
            Loss::MeanSquaredError
            | Loss::BinaryCrossEntropy
            | Loss::BinaryCrossEntropyWithLogits => TargetKind::SameAsOutput,
            Loss::CategoricalCrossEntropy | Loss::SoftmaxCrossEntropy => TargetKind::OneHot,
            Loss::SparseCategoricalCrossEntropy | Loss::SparseSoftmaxCrossEntropy => {
                TargetKind::ClassIndices
            }
        }
    }

    /// A stable code for checkpoints.
    pub(crate) fn code(self) -> u64 {
        self as u64
    }

    /// The loss with this checkpoint code.
    pub(crate) fn from_code(code: u64) -> Option<Loss> {
        [
            Loss::MeanSquaredError,
            Loss::BinaryCrossEntropy,
            Loss::BinaryCrossEntropyWithLogits,
            Loss::CategoricalCrossEntropy,
            Loss::SoftmaxCrossEntropy,
            Loss::SparseCategoricalCrossEntropy,
            Loss::SparseSoftmaxCrossEntropy,
        ]
        .into_iter()
        .find(|l| l.code() == code)
    }

    /// The batch mean of each sample's loss times its weight (`weights`, `(n,)`, on the output's
    /// device): a sample's loss is the mean over its elements, as Keras's.
    pub(crate) fn compute_weighted<'t>(
        self,
        output: Var<'t>,
        targets: &Tensor,
        labels: &[usize],
        weights: &Tensor,
    ) -> Var<'t> {
        let mut per_sample = self.reduced(output, targets, labels, Reduction::None);
        while per_sample.shape().len() > 1 {
            let last = per_sample.shape().len() - 1;
            per_sample = per_sample.mean_axis(last);
        }
        (per_sample * output.tape().constant(weights.clone())).mean()
    }

    /// The mean loss of `output` against `targets` (`labels` holds them as indices for sparse losses).
    pub(crate) fn compute<'t>(
        self,
        output: Var<'t>,
        targets: &Tensor,
        labels: &[usize],
    ) -> Var<'t> {
        self.reduced(output, targets, labels, Reduction::Mean)
    }

    /// The loss of `output` against `targets`, reduced as `reduction` says.
    fn reduced<'t>(
        self,
        output: Var<'t>,
        targets: &Tensor,
        labels: &[usize],
        reduction: Reduction,
    ) -> Var<'t> {
        match self {
            Loss::MeanSquaredError => layers::mse(output, targets, reduction),
            Loss::BinaryCrossEntropy => layers::binary_cross_entropy(output, targets, reduction),
            Loss::BinaryCrossEntropyWithLogits => {
                layers::binary_cross_entropy_with_logits(output, targets, reduction)
            }
            Loss::CategoricalCrossEntropy => {
                layers::categorical_cross_entropy(output, targets, reduction)
            }
            Loss::SoftmaxCrossEntropy => layers::softmax_cross_entropy(output, targets, reduction),
            Loss::SparseCategoricalCrossEntropy => {
                layers::sparse_categorical_cross_entropy(output, labels, reduction)
            }
            Loss::SparseSoftmaxCrossEntropy => {
                layers::sparse_softmax_cross_entropy(output, labels, reduction)
            }
        }
    }
}
