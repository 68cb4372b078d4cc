//! `LayerNorm`: normalisation over each sample's last axes, with a learned scale and shift.

use crate::{Context, LayerSpec, Module, ShapeError};
use nnautograd::nntensor::Tensor;
use nnautograd::{Param, Var};

/// Layer normalisation over the last `normalized_shape.len()` axes of each sample (PyTorch's
/// `nn.LayerNorm`): `(x − mean) / √(var + eps) · weight + bias`, with the biased variance, the
/// weight starting at 1 and the bias at 0.
///
/// ```
/// use nnlayers::{Context, LayerNorm, Module};
/// use nnautograd::{nntensor::Tensor, Tape};
/// let norm = LayerNorm::new(&[4], 1e-5);
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::from_vec([1, 4], vec![1., 2., 3., 4.]).unwrap());
/// let y = norm.forward(x, &mut Context::eval()).to_tensor();
/// assert!(y.to_vec().iter().sum::<f32>().abs() < 1e-5); // mean 0
/// assert!((y[[0, 3]] - 1.3416).abs() < 1e-3);          // unit variance
/// ```
#[derive(Debug)]
pub struct LayerNorm {
    name: String,
    normalized_shape: Vec<usize>,
    eps: f32,
    weight: Option<Param>,
    bias: Option<Param>,
}

impl LayerNorm {
    /// A layer norm over trailing axes of sizes `normalized_shape`, with a learned scale and shift.
    #[track_caller]
    pub fn new(normalized_shape: &[usize], eps: f32) -> Self {
        LayerNorm::with_affine(normalized_shape, eps, true)
    }

    /// A layer norm with (`affine: true`) or without a learned scale and shift. Panics if
    /// `normalized_shape` is empty or `eps` is not a finite number ≥ 0.
    #[track_caller]
    pub fn with_affine(normalized_shape: &[usize], eps: f32, affine: bool) -> Self {
        assert!(
            !normalized_shape.is_empty(),
            "LayerNorm: normalized_shape must name at least one trailing axis"
        );
        assert!(
            eps.is_finite() && eps >= 0.0,
            "LayerNorm: eps must be a finite number ≥ 0, got {eps}"
        );
        LayerNorm {
            name: "layer_norm".into(),
            normalized_shape: normalized_shape.to_vec(),
            eps,
            weight: affine.then(|| Param::new(Tensor::ones(normalized_shape))),
            bias: affine.then(|| Param::new(Tensor::zeros(normalized_shape))),
        }
    }

    /// The normalised trailing shape.
    pub fn normalized_shape(&self) -> &[usize] {
        &self.normalized_shape
    }
}

impl Module for LayerNorm {
    fn kind(&self) -> &'static str {
        "layer_norm"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: String) {
        self.name = name;
    }
    fn forward<'t>(&self, x: Var<'t>, _ctx: &mut Context) -> Var<'t> {
        let shape = x.shape();
        let k = self.normalized_shape.len();
        assert!(
            shape.len() > k && shape[shape.len() - k..] == self.normalized_shape[..],
            "{}: input {shape:?} must end in the normalised shape {:?}",
            self.name,
            self.normalized_shape
        );
        let axes: Vec<isize> = (1..=k as isize).map(|i| -i).collect();
        let mean = x.mean_axes(&axes, true);
        let centred = x - mean;
        let var = centred.square().mean_axes(&axes, true);
        let normalised = centred * var.add_scalar(self.eps).rsqrt();
        match (&self.weight, &self.bias) {
            (Some(w), Some(b)) => normalised * x.tape().param(w) + x.tape().param(b),
            _ => normalised,
        }
    }
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, ShapeError> {
        let k = self.normalized_shape.len();
        if input.len() < k || input[input.len() - k..] != self.normalized_shape[..] {
            return Err(ShapeError {
                layer: self.name.clone(),
                expected: self.normalized_shape.clone(),
                actual: input.to_vec(),
                hint: format!(
                    "the input's last axes must be {:?}: build the layer with the sizes of \
                     the input's trailing axes",
                    self.normalized_shape
                ),
            });
        }
        Ok(input.to_vec())
    }
    fn parameters(&self) -> Vec<&Param> {
        self.weight.iter().chain(self.bias.iter()).collect()
    }
    fn parameters_mut(&mut self) -> Vec<&mut Param> {
        self.weight.iter_mut().chain(self.bias.iter_mut()).collect()
    }
    fn parameter_names(&self) -> Vec<&'static str> {
        if self.weight.is_some() {
            vec!["weight", "bias"]
        } else {
            Vec::new()
        }
    }
    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::LayerNorm {
            name: self.name.clone(),
            normalized_shape: self.normalized_shape.clone(),
            eps: self.eps,
            affine: self.weight.is_some(),
        })
    }
}
