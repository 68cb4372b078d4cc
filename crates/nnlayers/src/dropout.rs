//! `Dropout`: zeroes a random fraction of inputs in training, scaling the rest up.

use crate::{Context, LayerSpec, Module, ShapeError};
use nnautograd::nntensor::Tensor;
use nnautograd::Var;

/// Inverted dropout (as in Keras and PyTorch): in training each input is zeroed with probability
/// `rate` and the survivors are scaled by `1 / (1 − rate)`; in inference it is the identity.
/// Masks come from the [`Context`]'s random stream, so a seeded run is reproducible.
///
/// ```
/// use nnlayers::{Context, Dropout, Module};
/// use nnautograd::{nntensor::{Rng, Tensor}, Tape};
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::ones(vec![1, 1000]));
/// let y = Dropout::new(0.5).forward(x, &mut Context::train(Rng::seed_from(1)));
/// let kept = y.value().values().iter().filter(|&&v| v == 2.0).count();
/// assert!((400..600).contains(&kept));
/// let same = Dropout::new(0.5).forward(x, &mut Context::eval());
/// assert!(same.value().values().iter().all(|&v| v == 1.0));
/// ```
#[derive(Debug, Clone)]
pub struct Dropout {
    name: String,
    rate: f32,
}

impl Dropout {
    /// Dropout with probability `rate` of zeroing each input. Panics unless `0 ≤ rate < 1`.
    #[track_caller]
    pub fn new(rate: f32) -> Self {
        assert!(
            (0.0..1.0).contains(&rate),
            "Dropout: rate must be in [0, 1), got {rate}"
        );
        Dropout {
            name: "dropout".into(),
            rate,
        }
    }

    /// The probability of zeroing an input.
    pub fn rate(&self) -> f32 {
        self.rate
    }
}

impl Module for Dropout {
    fn kind(&self) -> &'static str {
        "dropout"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: String) {
        self.name = name;
    }
    fn forward<'t>(&self, x: Var<'t>, ctx: &mut Context) -> Var<'t> {
        if !ctx.is_training() || self.rate == 0.0 {
            return x;
        }
        let keep = 1.0 - self.rate;
        let scale = 1.0 / keep;
        let shape = x.shape().to_vec();
        let len = shape.iter().product();
        let mask = Tensor::from_vec(shape, ctx.rng().keep_mask(len, keep, scale))
            .expect("a mask of the input's length");
        // Drawn on the CPU from the context's generator on every device, so a seed gives the same
        // masks on the GPU as on the CPU.
        let mask = mask.into_device(&x.value().device());
        x * x.tape().constant(mask)
    }
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, ShapeError> {
        Ok(input.to_vec())
    }
    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::Dropout {
            name: self.name.clone(),
            rate: self.rate,
        })
    }
}
