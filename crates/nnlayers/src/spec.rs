//! `LayerSpec`: a built-in layer's configuration, as stored in model files.

use crate::{Activation, ActivationFn, Dropout, Flatten, Linear, Module};
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
}

impl LayerSpec {
    /// Builds the layer this spec describes (parameters zero-filled, to be loaded), or `None` if
    /// the spec's values are invalid (a dropout rate outside `[0, 1)`).
    pub fn build(&self) -> Option<Box<dyn Module>> {
        let (mut layer, name): (Box<dyn Module>, &String) = match self {
            LayerSpec::Linear {
                name,
                inputs,
                outputs,
                bias,
            } => (Box::new(Linear::zeros(*inputs, *outputs, *bias)), name),
            LayerSpec::Activation { name, function } => {
                (Box::new(Activation::new(*function)), name)
            }
            LayerSpec::Flatten { name } => (Box::new(Flatten::new()), name),
            LayerSpec::Dropout { name, rate } => {
                if !(0.0..1.0).contains(rate) {
                    return None;
                }
                (Box::new(Dropout::new(*rate)), name)
            }
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
            _ => Some(0),
        }
    }
}
