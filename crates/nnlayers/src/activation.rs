//! Activation layers (ReLU, LeakyReLU, Sigmoid, Tanh, Softmax, GELU, SiLU, ELU, SELU, Softsign,
//! Softplus, LogSigmoid, Hardtanh) and the identity, as one layer type.

use crate::{Context, LayerSpec, Module, ShapeError};
use nnautograd::Var;
use serde::{Deserialize, Serialize};

/// Which function an [`Activation`] layer applies, elementwise (softmax: over the last axis).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum ActivationFn {
    /// `max(x, 0)`.
    Relu,
    /// `x` if positive, else `slope · x`.
    LeakyRelu {
        /// Slope for negative inputs (Keras's default is 0.3, PyTorch's 0.01).
        slope: f32,
    },
    /// `1 / (1 + e^−x)`.
    Sigmoid,
    /// `tanh(x)`.
    Tanh,
    /// `e^x / Σ e^x` over the last axis (each sample's scores become probabilities).
    Softmax,
    /// GELU, exact (PyTorch's `nn.GELU()`).
    Gelu,
    /// GELU, tanh approximation (PyTorch's `nn.GELU(approximate="tanh")`).
    GeluTanh,
    /// SiLU / swish: `x·σ(x)`.
    Silu,
    /// ELU: `x` where positive, `alpha·(eˣ − 1)` elsewhere.
    Elu {
        /// The negative saturation value (PyTorch's and Keras's default is 1).
        alpha: f32,
    },
    /// SELU.
    Selu,
    /// `x / (1 + |x|)`.
    Softsign,
    /// `ln(1 + eˣ)`.
    Softplus,
    /// `ln σ(x)`.
    LogSigmoid,
    /// `x` clamped into `[min, max]` (PyTorch's `nn.Hardtanh`).
    Hardtanh {
        /// Lower bound.
        min: f32,
        /// Upper bound.
        max: f32,
    },
    /// The input unchanged (PyTorch's `nn.Identity`).
    Identity,
}

impl ActivationFn {
    /// Whether the function's parameters make sense: finite, and a hardtanh's `min ≤ max`.
    pub fn is_valid(&self) -> bool {
        match *self {
            ActivationFn::LeakyRelu { slope } => slope.is_finite(),
            ActivationFn::Elu { alpha } => alpha.is_finite(),
            ActivationFn::Hardtanh { min, max } => min.is_finite() && max.is_finite() && min <= max,
            _ => true,
        }
    }

    /// The lower-case name used for layer names (`relu_1`).
    pub fn kind(&self) -> &'static str {
        match self {
            ActivationFn::Relu => "relu",
            ActivationFn::LeakyRelu { .. } => "leaky_relu",
            ActivationFn::Sigmoid => "sigmoid",
            ActivationFn::Tanh => "tanh",
            ActivationFn::Softmax => "softmax",
            ActivationFn::Gelu => "gelu",
            ActivationFn::GeluTanh => "gelu_tanh",
            ActivationFn::Silu => "silu",
            ActivationFn::Elu { .. } => "elu",
            ActivationFn::Selu => "selu",
            ActivationFn::Softsign => "softsign",
            ActivationFn::Softplus => "softplus",
            ActivationFn::LogSigmoid => "log_sigmoid",
            ActivationFn::Hardtanh { .. } => "hardtanh",
            ActivationFn::Identity => "identity",
        }
    }
}

/// A parameter-free layer applying an [`ActivationFn`].
///
/// ```
/// use nnlayers::{Activation, Context, Module};
/// use nnautograd::{nntensor::Tensor, Tape};
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::from_vec(vec![1, 2], vec![-1.0, 2.0]).unwrap());
/// let y = Activation::relu().forward(x, &mut Context::eval());
/// assert_eq!(y.value().as_slice().unwrap(), &[0.0, 2.0]);
/// ```
#[derive(Debug, Clone)]
pub struct Activation {
    name: String,
    function: ActivationFn,
}

impl Activation {
    /// A layer applying `function`.
    pub fn new(function: ActivationFn) -> Self {
        Activation {
            name: function.kind().to_string(),
            function,
        }
    }

    /// ReLU.
    pub fn relu() -> Self {
        Activation::new(ActivationFn::Relu)
    }

    /// Leaky ReLU with the given negative slope.
    pub fn leaky_relu(slope: f32) -> Self {
        Activation::new(ActivationFn::LeakyRelu { slope })
    }

    /// Sigmoid.
    pub fn sigmoid() -> Self {
        Activation::new(ActivationFn::Sigmoid)
    }

    /// Tanh.
    pub fn tanh() -> Self {
        Activation::new(ActivationFn::Tanh)
    }

    /// Softmax over the last axis.
    pub fn softmax() -> Self {
        Activation::new(ActivationFn::Softmax)
    }

    /// GELU, exact.
    pub fn gelu() -> Self {
        Activation::new(ActivationFn::Gelu)
    }

    /// SiLU (swish).
    pub fn silu() -> Self {
        Activation::new(ActivationFn::Silu)
    }

    /// A layer that passes its input through unchanged (PyTorch's `nn.Identity`).
    ///
    /// ```
    /// use nnlayers::{Activation, Context, Module};
    /// use nnautograd::{nntensor::Tensor, Tape};
    /// let tape = Tape::new();
    /// let x = tape.constant(Tensor::ones([2, 3]));
    /// let y = Activation::identity().forward(x, &mut Context::eval());
    /// assert_eq!(y.to_tensor(), Tensor::ones([2, 3]));
    /// ```
    pub fn identity() -> Self {
        Activation::new(ActivationFn::Identity)
    }

    /// The function this layer applies.
    pub fn function(&self) -> ActivationFn {
        self.function
    }
}

impl Module for Activation {
    fn kind(&self) -> &'static str {
        self.function.kind()
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: String) {
        self.name = name;
    }
    fn forward<'t>(&self, x: Var<'t>, _ctx: &mut Context) -> Var<'t> {
        match self.function {
            ActivationFn::Relu => x.relu(),
            ActivationFn::LeakyRelu { slope } => x.leaky_relu(slope),
            ActivationFn::Sigmoid => x.sigmoid(),
            ActivationFn::Tanh => x.tanh(),
            ActivationFn::Softmax => {
                let last = x.value().ndim().saturating_sub(1);
                x.softmax(last)
            }
            ActivationFn::Gelu => x.gelu(),
            ActivationFn::GeluTanh => x.gelu_tanh(),
            ActivationFn::Silu => x.silu(),
            ActivationFn::Elu { alpha } => x.elu(alpha),
            ActivationFn::Selu => x.selu(),
            ActivationFn::Softsign => x.softsign(),
            ActivationFn::Softplus => x.softplus(),
            ActivationFn::LogSigmoid => x.log_sigmoid(),
            ActivationFn::Hardtanh { min, max } => x.hardtanh(min, max),
            ActivationFn::Identity => x,
        }
    }
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, ShapeError> {
        Ok(input.to_vec())
    }
    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::Activation {
            name: self.name.clone(),
            function: self.function,
        })
    }
}
