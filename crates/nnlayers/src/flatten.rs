//! `Flatten`: each sample's values in one row, `(n, d1, d2, …) → (n, d1·d2·…)`.

use crate::{Context, LayerSpec, Module, ShapeError};
use nnautograd::Var;

/// Flattens each sample: `(n, 28, 28)` becomes `(n, 784)`.
///
/// ```
/// use nnlayers::{Context, Flatten, Module};
/// use nnautograd::{nntensor::Tensor, Tape};
/// assert_eq!(Flatten::new().output_shape(&[28, 28]).unwrap(), vec![784]);
/// let tape = Tape::new();
/// let y = Flatten::new().forward(tape.constant(Tensor::zeros(vec![2, 28, 28])), &mut Context::eval());
/// assert_eq!(y.shape(), vec![2, 784]);
/// ```
#[derive(Debug, Clone)]
pub struct Flatten {
    name: String,
}

impl Flatten {
    /// A flatten layer.
    pub fn new() -> Self {
        Flatten {
            name: "flatten".into(),
        }
    }
}

impl Default for Flatten {
    fn default() -> Self {
        Flatten::new()
    }
}

impl Module for Flatten {
    fn kind(&self) -> &'static str {
        "flatten"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: String) {
        self.name = name;
    }
    fn forward<'t>(&self, x: Var<'t>, _ctx: &mut Context) -> Var<'t> {
        let shape = x.shape();
        if shape.len() == 2 {
            return x;
        }
        let rows = shape.first().copied().unwrap_or(1);
        x.reshape(&[rows, shape.iter().skip(1).product()])
    }
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, ShapeError> {
        Ok(vec![input.iter().product()])
    }
    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::Flatten {
            name: self.name.clone(),
        })
    }
}
