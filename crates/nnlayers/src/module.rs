//! The `Module` trait every layer implements, and the forward-pass `Context`.

use crate::{LayerSpec, ShapeError};
use nnautograd::nntensor::Rng;
use nnautograd::{Param, Var};

/// Whether a forward pass is training (dropout active) and the random stream it draws from.
#[derive(Debug, Clone)]
pub struct Context {
    training: bool,
    rng: Rng,
}

impl Context {
    /// A training pass: dropout is active and draws its masks from `rng`.
    pub fn train(rng: Rng) -> Self {
        Context {
            training: true,
            rng,
        }
    }

    /// An inference pass: dropout is the identity.
    pub fn eval() -> Self {
        Context {
            training: false,
            rng: Rng::seed_from(0),
        }
    }

    /// Whether this is a training pass.
    pub fn is_training(&self) -> bool {
        self.training
    }

    /// The random stream for this pass (dropout masks).
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }
}

/// A layer: a function of one input with (possibly) trainable parameters.
///
/// Shapes in [`Module::output_shape`] are **per sample** (without the batch axis), as Keras prints
/// them; `forward` takes and returns batched values.
pub trait Module: Send + Sync + std::fmt::Debug {
    /// The layer type in lower case (`linear`, `relu`); names are made from it (`linear_1`).
    fn kind(&self) -> &'static str;

    /// The layer's name, used in every error message and parameter name.
    fn name(&self) -> &str;

    /// Renames the layer ([`crate::Sequential`] numbers its layers this way).
    fn set_name(&mut self, name: String);

    /// Applies the layer to a batch.
    fn forward<'t>(&self, x: Var<'t>, ctx: &mut Context) -> Var<'t>;

    /// The per-sample output shape for a per-sample input shape, or why that input does not fit.
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, ShapeError>;

    /// The trainable parameters, in a fixed order.
    fn parameters(&self) -> Vec<&Param> {
        Vec::new()
    }

    /// The trainable parameters, mutably, in the same order.
    fn parameters_mut(&mut self) -> Vec<&mut Param> {
        Vec::new()
    }

    /// Names of the parameters (`weight`, `bias`), in the same order.
    fn parameter_names(&self) -> Vec<&'static str> {
        Vec::new()
    }

    /// The layer's configuration, for model files; `None` for a layer that cannot be saved.
    fn spec(&self) -> Option<LayerSpec> {
        None
    }

    /// How many of [`Module::parameters`]' values are not trained (BatchNorm's running
    /// statistics), for `summary`.
    fn non_trainable_count(&self) -> usize {
        0
    }

    /// Whether the layer needs a whole batch in one forward pass (BatchNorm's statistics): `fit`
    /// then runs each batch as one shard.
    fn needs_whole_batch(&self) -> bool {
        false
    }

    /// Applies what training forward passes gathered (BatchNorm folds the last batch's
    /// statistics into its running estimates). `fit` calls it after each optimizer step; a
    /// hand-written training loop calls [`Sequential::update_state`](crate::Sequential::update_state).
    fn update_state(&mut self) {}
}
