//! Activation layers: ReLU, LeakyReLU, Sigmoid, Tanh and Softmax, as one layer type.

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
}

impl ActivationFn {
    /// The lower-case name used for layer names (`relu_1`).
    pub fn kind(&self) -> &'static str {
        match self {
            ActivationFn::Relu => "relu",
            ActivationFn::LeakyRelu { .. } => "leaky_relu",
            ActivationFn::Sigmoid => "sigmoid",
            ActivationFn::Tanh => "tanh",
            ActivationFn::Softmax => "softmax",
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
