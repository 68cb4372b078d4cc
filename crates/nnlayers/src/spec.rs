//! `LayerSpec`: a built-in layer's configuration, as stored in model files.

use crate::{
    Activation, ActivationFn, AvgPool2d, BatchNorm, Conv2d, Dropout, Embedding, Flatten,
    GlobalAvgPool2d, LayerNorm, Linear, MaxPool2d, Module, Normalization,
};
use nnautograd::nntensor::Tensor;
use nnautograd::nntensor::{Conv2dSpec, Pool2dSpec};
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
    /// A 2-D convolution (weights `(out, in, kh, kw)`).
    Conv2d {
        /// Layer name.
        name: String,
        /// Input channels.
        in_channels: usize,
        /// Output channels.
        out_channels: usize,
        /// `[kh, kw]`.
        kernel: [usize; 2],
        /// Steps between kernel positions.
        stride: [usize; 2],
        /// Zeros on each side.
        padding: [usize; 2],
        /// Spacing between taps.
        dilation: [usize; 2],
        /// Whether it has a bias.
        bias: bool,
    },
    /// Max pooling.
    MaxPool2d {
        /// Layer name.
        name: String,
        /// The window.
        kernel: [usize; 2],
        /// Steps between windows.
        stride: [usize; 2],
        /// Padding on each side.
        padding: [usize; 2],
    },
    /// Average pooling.
    AvgPool2d {
        /// Layer name.
        name: String,
        /// The window.
        kernel: [usize; 2],
        /// Steps between windows.
        stride: [usize; 2],
        /// Padding on each side.
        padding: [usize; 2],
    },
    /// The mean of each channel over height and width.
    GlobalAvgPool2d {
        /// Layer name.
        name: String,
    },
    /// Batch normalisation.
    BatchNorm {
        /// Layer name.
        name: String,
        /// Channels (or features) normalised.
        channels: usize,
        /// Over `(n, c, h, w)` images (true) or `(n, c)` rows.
        spatial: bool,
        /// Added to the variance.
        eps: f32,
        /// Weight of each batch in the running statistics.
        momentum: f32,
    },
    /// A [`Normalization`] layer with its fixed statistics.
    Normalization {
        /// Layer name.
        name: String,
        /// One sample's shape.
        shape: Vec<usize>,
        /// The mean subtracted, one per value of a sample.
        mean: Vec<f32>,
        /// The standard deviation divided by.
        std: Vec<f32>,
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
            LayerSpec::Conv2d {
                name,
                in_channels,
                out_channels,
                kernel,
                stride,
                padding,
                dilation,
                bias,
            } => {
                if stride.contains(&0) || dilation.contains(&0) || kernel.contains(&0) {
                    return None;
                }
                let spec = Conv2dSpec {
                    stride: *stride,
                    padding: *padding,
                    dilation: *dilation,
                };
                let weight = Tensor::zeros([*out_channels, *in_channels, kernel[0], kernel[1]]);
                let bias = bias.then(|| Tensor::zeros([*out_channels]));
                (Box::new(Conv2d::from_parts(weight, bias, spec)), name)
            }
            LayerSpec::MaxPool2d {
                name,
                kernel,
                stride,
                padding,
            }
            | LayerSpec::AvgPool2d {
                name,
                kernel,
                stride,
                padding,
            } => {
                let fits = kernel
                    .iter()
                    .zip(padding)
                    .all(|(&k, &p)| k > 0 && 2 * p <= k)
                    && !stride.contains(&0);
                if !fits {
                    return None;
                }
                let spec = Pool2dSpec {
                    kernel: *kernel,
                    stride: *stride,
                    padding: *padding,
                };
                let layer = if matches!(self, LayerSpec::MaxPool2d { .. }) {
                    MaxPool2d::with_spec(spec)
                } else {
                    AvgPool2d::with_spec(spec)
                };
                (Box::new(layer), name)
            }
            LayerSpec::GlobalAvgPool2d { name } => (Box::new(GlobalAvgPool2d::new()), name),
            LayerSpec::BatchNorm {
                name,
                channels,
                spatial,
                eps,
                momentum,
            } => {
                if !(eps.is_finite() && *eps >= 0.0 && (0.0..=1.0).contains(momentum)) {
                    return None;
                }
                let layer = BatchNorm::with_options(*channels, *spatial, *eps, *momentum);
                (Box::new(layer), name)
            }
            LayerSpec::Normalization {
                name,
                shape,
                mean,
                std,
            } => {
                let n = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))?;
                let valid = n == mean.len()
                    && n == std.len()
                    && mean.iter().all(|v| v.is_finite())
                    && std.iter().all(|v| v.is_finite() && *v > 0.0);
                if !valid {
                    return None;
                }
                let mean = Tensor::from_vec(shape.clone(), mean.clone()).ok()?;
                let std = Tensor::from_vec(shape.clone(), std.clone()).ok()?;
                (Box::new(Normalization::new(mean, std)), name)
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
            LayerSpec::BatchNorm { channels, .. } => {
                if *channels > MAX_FEATURES {
                    return None;
                }
                channels.checked_mul(4)
            }
            LayerSpec::Conv2d {
                in_channels,
                out_channels,
                kernel,
                bias,
                ..
            } => {
                let sizes = [*in_channels, *out_channels, kernel[0], kernel[1]];
                if sizes.iter().any(|&d| d > MAX_FEATURES) {
                    return None;
                }
                let weights = sizes.iter().try_fold(1usize, |n, &d| n.checked_mul(d))?;
                let n = weights.checked_add(if *bias { *out_channels } else { 0 })?;
                (n <= MAX_FEATURES).then_some(n)
            }
            _ => Some(0),
        }
    }
}
