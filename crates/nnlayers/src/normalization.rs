//! `Normalization`: a fixed per-feature standardisation inside the model, `(x − mean) / std`,
//! as Keras's `Normalization` layer after `adapt`. The statistics are saved with the model, so
//! a loaded model predicts on raw rows, scaled as in training.

use crate::{Context, LayerSpec, Module, ShapeError};
use nnautograd::nntensor::{self as nt, Tensor};
use nnautograd::Var;

/// Standardises each sample with fixed statistics (fitted on the training data, e.g. by
/// `nndata::Standardizer`): `(x − mean) / std`. No trainable parameters.
///
/// ```
/// use nnlayers::{Context, Module, Normalization};
/// use nnautograd::{nntensor::Tensor, Tape};
/// let mean = Tensor::from_vec([2], vec![10.0, 0.0]).unwrap();
/// let std = Tensor::from_vec([2], vec![2.0, 0.5]).unwrap();
/// let layer = Normalization::new(mean, std);
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::from_vec([1, 2], vec![14.0, 1.0]).unwrap());
/// assert_eq!(layer.forward(x, &mut Context::eval()).value().to_vec(), vec![2.0, 2.0]);
/// ```
#[derive(Debug, Clone)]
pub struct Normalization {
    name: String,
    mean: Tensor,
    std: Tensor,
    /// `1 / std`, computed once.
    inverse_std: Tensor,
}

impl Normalization {
    /// A layer subtracting `mean` and dividing by `std`, both of one sample's shape. Panics
    /// unless the shapes are equal, every mean is finite and every std finite and positive.
    #[track_caller]
    pub fn new(mean: Tensor, std: Tensor) -> Self {
        assert_eq!(
            mean.shape(),
            std.shape(),
            "Normalization: mean {:?} and std {:?} differ in shape",
            mean.shape(),
            std.shape()
        );
        assert!(
            mean.values().iter().all(|v| v.is_finite())
                && std.values().iter().all(|v| v.is_finite() && *v > 0.0),
            "Normalization: every mean must be finite and every std finite and positive"
        );
        let inverse_std = nt::reciprocal(&std);
        Normalization {
            name: "normalization".into(),
            mean,
            std,
            inverse_std,
        }
    }

    /// The mean subtracted.
    pub fn mean(&self) -> &Tensor {
        &self.mean
    }

    /// The standard deviation divided by.
    pub fn std(&self) -> &Tensor {
        &self.std
    }
}

impl Module for Normalization {
    fn kind(&self) -> &'static str {
        "normalization"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: String) {
        self.name = name;
    }
    fn forward<'t>(&self, x: Var<'t>, _ctx: &mut Context) -> Var<'t> {
        let device = x.value().device();
        let tape = x.tape();
        let mean = tape.constant(self.mean.to(&device));
        let inverse_std = tape.constant(self.inverse_std.to(&device));
        (x - mean) * inverse_std
    }
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, ShapeError> {
        if input != self.mean.shape() {
            return Err(ShapeError {
                layer: self.name.clone(),
                expected: self.mean.shape().to_vec(),
                actual: input.to_vec(),
                hint: "the statistics were fitted on samples of another shape".into(),
            });
        }
        Ok(input.to_vec())
    }
    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::Normalization {
            name: self.name.clone(),
            shape: self.mean.shape().to_vec(),
            mean: self.mean.to_vec(),
            std: self.std.to_vec(),
        })
    }
}
