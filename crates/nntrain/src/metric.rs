//! Metrics reported during training and evaluation, accumulated over batches.

use crate::loss::TargetKind;
use crate::Loss;
use nnautograd::nntensor::Tensor;

/// A metric to report beside the loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Accuracy of the kind the loss implies (categorical, sparse or binary), as Keras's `"accuracy"`.
    Accuracy,
    /// Argmax of the output equals argmax of one-hot targets.
    CategoricalAccuracy,
    /// Argmax of the output equals the class-index target.
    SparseCategoricalAccuracy,
    /// Output above 0.5 agrees with the 0/1 target.
    BinaryAccuracy,
    /// Mean squared error.
    MeanSquaredError,
    /// Mean absolute error.
    MeanAbsoluteError,
}

impl Metric {
    /// The name shown in logs and history (`accuracy`, `mse`, `mae`).
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::CategoricalAccuracy => "categorical_accuracy",
            Metric::SparseCategoricalAccuracy => "sparse_categorical_accuracy",
            Metric::BinaryAccuracy => "binary_accuracy",
            Metric::MeanSquaredError => "mse",
            Metric::MeanAbsoluteError => "mae",
        }
    }

    /// `Accuracy` made concrete for `loss` (its name stays `accuracy`, as in Keras).
    pub(crate) fn resolve(self, loss: Loss) -> Metric {
        match (self, loss.target_kind()) {
            (Metric::Accuracy, TargetKind::OneHot) => Metric::CategoricalAccuracy,
            (Metric::Accuracy, TargetKind::ClassIndices) => Metric::SparseCategoricalAccuracy,
            (Metric::Accuracy, TargetKind::SameAsOutput) => Metric::BinaryAccuracy,
            (m, _) => m,
        }
    }

    /// A stable code for checkpoints.
    pub(crate) fn code(self) -> u64 {
        self as u64
    }

    /// The metric with this checkpoint code.
    pub(crate) fn from_code(code: u64) -> Option<Metric> {
        [
            Metric::Accuracy,
            Metric::CategoricalAccuracy,
            Metric::SparseCategoricalAccuracy,
            Metric::BinaryAccuracy,
            Metric::MeanSquaredError,
            Metric::MeanAbsoluteError,
        ]
        .into_iter()
        .find(|m| m.code() == code)
    }

    /// This batch's `(sum, count)` contribution for a model trained with `loss`; the metric is
    /// Σsum / Σcount over the epoch. `probs` are the model's outputs (probabilities where the
    /// model ends in softmax or sigmoid).
    pub(crate) fn batch_sum(
        self,
        loss: Loss,
        probs: &Tensor,
        targets: &Tensor,
        labels: &[usize],
    ) -> (f64, usize) {
        let argmax = |t: &Tensor| nnautograd::nntensor::argmax_axis(t, t.ndim() - 1);
        match self.resolve(loss) {
            Metric::Accuracy => unreachable!("resolve never returns Accuracy"),
            Metric::CategoricalAccuracy => {
                let hits = argmax(probs)
                    .iter()
                    .zip(argmax(targets).iter())
                    .filter(|(a, b)| a == b)
                    .count();
                (hits as f64, probs.shape()[0])
            }
            Metric::SparseCategoricalAccuracy => {
                let hits = argmax(probs)
                    .iter()
                    .zip(labels)
                    .filter(|(a, b)| a == b)
                    .count();
                (hits as f64, labels.len())
            }
            Metric::BinaryAccuracy => {
                // Outputs are scores, not probabilities, when the loss is on logits: threshold at 0.
                let threshold = if loss == Loss::BinaryCrossEntropyWithLogits {
                    0.0
                } else {
                    0.5
                };
                let hits = probs
                    .values()
                    .iter()
                    .zip(targets.values().iter())
                    .filter(|(&p, &t)| (p > threshold) == (t > 0.5))
                    .count();
                (hits as f64, probs.len())
            }
            kind @ (Metric::MeanSquaredError | Metric::MeanAbsoluteError) => {
                if targets.shape() != probs.shape() {
                    // Class-index targets have no per-output value to compare with.
                    return (0.0, 0);
                }
                let sum: f64 = probs
                    .values()
                    .iter()
                    .zip(targets.values().iter())
                    .map(|(&p, &t)| {
                        let d = (p - t) as f64;
                        if kind == Metric::MeanSquaredError {
                            d * d
                        } else {
                            d.abs()
                        }
                    })
                    .sum();
                (sum, probs.len())
            }
        }
    }
}

/// Sum and count of one metric over an epoch.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Running {
    sum: f64,
    count: usize,
}

impl Running {
    pub(crate) fn add(&mut self, (sum, count): (f64, usize)) {
        self.sum += sum;
        self.count += count;
    }

    pub(crate) fn value(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else {
            self.sum / self.count as f64
        }
    }
}
