//! `LayerSpec`: a built-in layer's configuration, as stored in model files.

use crate::{Activation, ActivationFn, Dropout, Embedding, Flatten, LayerNorm, Linear, Module};
use nnautograd::nntensor::Tensor;
use serde::{Deserialize, Serialize};

/// The configuration of a built-in layer: everything but its parameter values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LayerSpec {
    /// A [`Linear`] layer.
    Linear {
        /// Layer name.
        name: String,
        /// Input features.
        inputs: usize,
        /// Output features.
        outputs: usize,
        /// Whether it has a bias.
        bias: bool,
    },
    /// An [`Activation`] layer.
    Activation {
        /// Layer name.
        name: String,
        /// The function it applies.
        function: ActivationFn,
    },
    /// A [`Flatten`] layer.
    Flatten {
        /// Layer name.
        name: String,
    },
    /// A [`Dropout`] layer.
    Dropout {
        /// Layer name.
        name: String,
        /// Fraction of inputs zeroed in training.
        rate: f32,
    },
    /// A [`LayerNorm`] layer.
    LayerNorm {
        /// Layer name.
        name: String,
        /// The normalised trailing shape.
        normalized_shape: Vec<usize>,
        /// Added to the variance.
        eps: f32,
        /// Whether it has a learned scale and shift.
        affine: bool,
    },
    /// An [`Embedding`] layer.
    Embedding {
        /// Layer name.
        name: String,
        /// How many ids the table holds.
        count: usize,
        /// The length of each vector.
        dim: usize,
    },
}

impl LayerSpec {
    /// Builds the layer this spec describes (parameters zero-filled, to be loaded), or `None` if
    /// the spec's values are invalid (a dropout rate outside `[0, 1)`, an activation's parameter
    /// that is not finite or a hardtanh whose min exceeds its max, a layer norm over no axes or
    /// with a negative or non-finite eps).
    pub fn build(&self) -> Option<Box<dyn Module>> {
        let (mut layer, name): (Box<dyn Module>, &String) = match self {
            LayerSpec::Linear {
                name,
                inputs,
                outputs,
                bias,
            } => (Box::new(Linear::zeros(*inputs, *outputs, *bias)), name),
            LayerSpec::Activation { name, function } => {
                if !function.is_valid() {
                    return None;
                }
                (Box::new(Activation::new(*function)), name)
            }
            LayerSpec::Flatten { name } => (Box::new(Flatten::new()), name),
            LayerSpec::Dropout { name, rate } => {
                if !(0.0..1.0).contains(rate) {
                    return None;
                }
                (Box::new(Dropout::new(*rate)), name)
            }
            LayerSpec::LayerNorm {
                name,
                normalized_shape,
                eps,
                affine,
            } => {
                if normalized_shape.is_empty() || !(eps.is_finite() && *eps >= 0.0) {
                    return None;
                }
                // The element count was checked by parameter_count before anything is built.
                (
                    Box::new(LayerNorm::with_affine(normalized_shape, *eps, *affine)),
                    name,
                )
            }
            LayerSpec::Embedding { name, count, dim } => (
                Box::new(Embedding::from_weight(Tensor::zeros([*count, *dim]))),
                name,
            ),
        };
        layer.set_name(name.clone());
        Some(layer)
    }

    /// How many values this layer's parameters hold, computed without allocating them; `None` if
    /// a size is beyond what any layer could hold (over 2^31 features) or the count overflows.
    pub fn parameter_count(&self) -> Option<usize> {
        const MAX_FEATURES: usize = 1 << 31;
        match self {
            LayerSpec::Linear {
                inputs,
                outputs,
                bias,
                ..
            } => {
                if *inputs > MAX_FEATURES || *outputs > MAX_FEATURES {
                    return None;
                }
                inputs
                    .checked_mul(*outputs)?
                    .checked_add(if *bias { *outputs } else { 0 })
            }
            LayerSpec::LayerNorm {
                normalized_shape,
                affine,
                ..
            } => {
                let mut n = 1usize;
                for &d in normalized_shape {
                    if d > MAX_FEATURES {
                        return None;
                    }
                    n = n.checked_mul(d)?;
                }
                if n > MAX_FEATURES {
                    return None;
                }
                Some(if *affine { 2 * n } else { 0 })
            }
            LayerSpec::Embedding { count, dim, .. } => {
                if *count > MAX_FEATURES || *dim > MAX_FEATURES {
                    return None;
                }
                count.checked_mul(*dim)
            }
            _ => Some(0),
        }
    }
}
