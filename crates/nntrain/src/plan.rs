//! How `fit` and `evaluate` run the network: as written, or with the final softmax/sigmoid
//! folded into the loss (as Keras does for the matching cross-entropy), and the forward pass
//! that follows the plan.

use crate::Loss;
use nnautograd::nntensor::{self as nt, Tensor};
use nnautograd::Var;
use nnlayers::{ActivationFn, Context, LayerSpec, Sequential};

/// The loss a step computes and the final activation it folded into that loss.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub(crate) loss: Loss,
    /// The final activation moved into the loss, applied separately for metrics.
    pub(crate) folded: Option<ActivationFn>,
}

impl Plan {
    /// The plan for `network` trained with `loss`: a final softmax before (sparse) categorical
    /// cross-entropy, or a final sigmoid before binary cross-entropy, is folded into a stable
    /// loss on logits.
    pub(crate) fn new(network: &Sequential, loss: Loss) -> Plan {
        let last = network.layers().last().and_then(|l| match l.spec() {
            Some(LayerSpec::Activation { function, .. }) => Some(function),
            _ => None,
        });
        match (last, loss) {
            (Some(ActivationFn::Softmax), Loss::CategoricalCrossEntropy) => Plan {
                loss: Loss::SoftmaxCrossEntropy,
                folded: last,
            },
            (Some(ActivationFn::Softmax), Loss::SparseCategoricalCrossEntropy) => Plan {
                loss: Loss::SparseSoftmaxCrossEntropy,
                folded: last,
            },
            (Some(ActivationFn::Sigmoid), Loss::BinaryCrossEntropy) => Plan {
                loss: Loss::BinaryCrossEntropyWithLogits,
                folded: last,
            },
            _ => Plan { loss, folded: None },
        }
    }

    /// Runs the network (without a folded final activation) on the tape.
    pub(crate) fn forward<'t>(
        self,
        network: &Sequential,
        x: Var<'t>,
        ctx: &mut Context,
    ) -> Var<'t> {
        let count = network.layers().len();
        let used = if self.folded.is_some() {
            count - 1
        } else {
            count
        };
        network.forward_first(used, x, ctx)
    }

    /// The model's outputs from what [`Plan::forward`] returned: the folded activation applied.
    pub(crate) fn outputs(self, raw: &Tensor) -> Tensor {
        match self.folded {
            Some(ActivationFn::Softmax) => nt::softmax(raw, raw.ndim() - 1),
            Some(ActivationFn::Sigmoid) => nt::sigmoid(raw),
            _ => raw.clone(),
        }
    }
}
