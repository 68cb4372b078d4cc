//! `Linear`: the dense layer `y = x·W + b` (Keras calls it `Dense`).

use crate::{Context, LayerSpec, Module, ShapeError};
use nnautograd::nntensor::{Init, Rng};
use nnautograd::{Param, Var};

/// A dense layer `y = x·W + b`, with `W` of shape `(inputs, outputs)` and `b` of `(outputs,)`.
///
/// Defaults follow Keras's `Dense`: Glorot-uniform weights, zero bias. The tutorials' small
/// random init is `Linear::with_init(.., Init::Normal { mean: 0.0, std: 0.01 }, Init::Zeros, ..)`.
///
/// ```
/// use nnlayers::{Context, Linear, Module};
/// use nnautograd::{nntensor::{Rng, Tensor}, Tape};
/// let layer = Linear::new(784, 32, &mut Rng::seed_from(0));
/// assert_eq!(layer.output_shape(&[784]).unwrap(), vec![32]);
/// let tape = Tape::new();
/// let y = layer.forward(tape.constant(Tensor::zeros(vec![128, 784])), &mut Context::eval());
/// assert_eq!(y.shape(), vec![128, 32]);
/// ```
#[derive(Debug)]
pub struct Linear {
    name: String,
    weight: Param,
    bias: Option<Param>,
}

impl Linear {
    /// A layer with Glorot-uniform weights and a zero bias (Keras's defaults).
    pub fn new(inputs: usize, outputs: usize, rng: &mut Rng) -> Self {
        Linear::with_init(inputs, outputs, Init::GlorotUniform, Init::Zeros, true, rng)
    }

    /// A layer with chosen initializers; `bias: false` leaves the bias out.
    pub fn with_init(
        inputs: usize,
        outputs: usize,
        weight: Init,
        bias_init: Init,
        bias: bool,
        rng: &mut Rng,
    ) -> Self {
        let weight = Param::new(weight.tensor(&[inputs, outputs], rng));
        let bias = bias.then(|| Param::new(bias_init.tensor(&[outputs], rng)));
        Linear {
            name: "linear".into(),
            weight,
            bias,
        }
    }

    /// A zero-filled layer, for loading saved values into.
    pub fn zeros(inputs: usize, outputs: usize, bias: bool) -> Self {
        Linear::with_init(
            inputs,
            outputs,
            Init::Zeros,
            Init::Zeros,
            bias,
            &mut Rng::seed_from(0),
        )
    }

    /// Input features.
    pub fn inputs(&self) -> usize {
        self.weight.shape()[0]
    }

    /// Output features.
    pub fn outputs(&self) -> usize {
        self.weight.shape()[1]
    }

    /// The weight `(inputs, outputs)`.
    pub fn weight(&self) -> &Param {
        &self.weight
    }

    /// The bias `(outputs,)`, if any.
    pub fn bias(&self) -> Option<&Param> {
        self.bias.as_ref()
    }

    /// The weight, mutably (e.g. to set it by hand).
    pub fn weight_mut(&mut self) -> &mut Param {
        &mut self.weight
    }

    /// The bias, mutably.
    pub fn bias_mut(&mut self) -> Option<&mut Param> {
        self.bias.as_mut()
    }
}

impl Module for Linear {
    fn kind(&self) -> &'static str {
        "linear"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: String) {
        self.name = name;
    }
    fn forward<'t>(&self, x: Var<'t>, _ctx: &mut Context) -> Var<'t> {
        let tape = x.tape();
        x.linear(
            tape.param(&self.weight),
            self.bias.as_ref().map(|b| tape.param(b)),
        )
    }
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, ShapeError> {
        if input == [self.inputs()] {
            return Ok(vec![self.outputs()]);
        }
        let features: usize = input.iter().product();
        let hint = if input.len() > 1 && features == self.inputs() {
            let dims: Vec<String> = input.iter().map(|d| d.to_string()).collect();
            format!(
                "flatten each sample to {} values (reshape the data from (n, {}) to (n, {})), or put a Flatten layer first",
                self.inputs(),
                dims.join(", "),
                self.inputs()
            )
        } else {
            format!(
                "give this layer {} features per sample, or change its input size",
                self.inputs()
            )
        };
        Err(ShapeError {
            layer: self.name.clone(),
            expected: vec![self.inputs()],
            actual: input.to_vec(),
            hint,
        })
    }
    fn parameters(&self) -> Vec<&Param> {
        std::iter::once(&self.weight)
            .chain(self.bias.as_ref())
            .collect()
    }
    fn parameters_mut(&mut self) -> Vec<&mut Param> {
        std::iter::once(&mut self.weight)
            .chain(self.bias.as_mut())
            .collect()
    }
    fn parameter_names(&self) -> Vec<&'static str> {
        if self.bias.is_some() {
            vec!["weight", "bias"]
        } else {
            vec!["weight"]
        }
    }
    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::Linear {
            name: self.name.clone(),
            inputs: self.inputs(),
            outputs: self.outputs(),
            bias: self.bias.is_some(),
        })
    }
}
