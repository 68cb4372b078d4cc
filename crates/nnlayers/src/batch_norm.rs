//! Batch normalisation (PyTorch's `BatchNorm1d` / `BatchNorm2d`, Keras's `BatchNormalization`):
//! each channel normalised by the batch's mean and variance in training, by running estimates
//! in evaluation, then scaled and shifted by learned parameters.

use crate::{Context, LayerSpec, Module, ShapeError};
use nnautograd::nntensor::{self as nt, Tensor};
use nnautograd::{Param, Var};
use std::sync::Mutex;

/// Batch normalisation over the channels of `(n, c)` (1-D) or `(n, c, h, w)` (2-D) inputs.
/// Built by [`BatchNorm1d::new`] and [`BatchNorm2d::new`].
///
/// Training normalises with the batch's statistics (the biased variance) and remembers them;
/// [`Module::update_state`] (which `fit` calls after each step) folds them into the running
/// mean and (unbiased) variance with `momentum` (PyTorch's rule: `running ← (1 − m)·running +
/// m·batch`, m = 0.1). Evaluation normalises with the running estimates. The running
/// statistics are parameters without gradients: saved with the model, untouched by optimizers,
/// and counted as non-trainable by `summary`.
///
/// ```
/// use nnlayers::{BatchNorm2d, Context, Module};
/// use nnautograd::{nntensor::{Rng, Tensor}, Tape};
/// let mut bn = BatchNorm2d::new(3);
/// let tape = Tape::new();
/// let x = tape.var(Tensor::from_fn([4, 3, 2, 2], { let mut r = Rng::seed_from(0); move || r.normal() }));
/// let y = bn.forward(x, &mut Context::train(Rng::seed_from(1)));
/// let mean = y.mean_axes(&[0, 2, 3], false).to_tensor();
/// assert!(mean.to_vec().iter().all(|m| m.abs() < 1e-5)); // normalised per channel
/// bn.update_state();
/// assert_ne!(bn.running_mean().value().to_vec(), vec![0.0; 3]);
/// ```
#[derive(Debug)]
pub struct BatchNorm {
    name: String,
    spatial: bool,
    eps: f32,
    momentum: f32,
    weight: Param,
    bias: Param,
    running_mean: Param,
    running_var: Param,
    /// The last training batch's mean and unbiased variance, until `update_state` uses them.
    pending: Mutex<Option<(Tensor, Tensor)>>,
}

/// Batch normalisation of `(n, features)` inputs.
pub struct BatchNorm1d;

impl BatchNorm1d {
    /// Over `features`, with PyTorch's defaults (eps 1e-5, momentum 0.1, scale 1, shift 0).
    #[allow(clippy::new_ret_no_self)] // a constructor of the shared batch-norm layer
    pub fn new(features: usize) -> BatchNorm {
        BatchNorm::with_options(features, false, 1e-5, 0.1)
    }
}

/// Batch normalisation of `(n, channels, h, w)` images.
pub struct BatchNorm2d;

impl BatchNorm2d {
    /// Over `channels`, with PyTorch's defaults (eps 1e-5, momentum 0.1, scale 1, shift 0).
    #[allow(clippy::new_ret_no_self)] // a constructor of the shared batch-norm layer
    pub fn new(channels: usize) -> BatchNorm {
        BatchNorm::with_options(channels, true, 1e-5, 0.1)
    }
}

impl BatchNorm {
    /// Over `channels` of 4-D inputs (`spatial`) or 2-D ones, with `eps` added to the variance
    /// and `momentum` for the running statistics. Panics for a negative or non-finite `eps` or
    /// a `momentum` outside `[0, 1]`.
    #[track_caller]
    pub fn with_options(channels: usize, spatial: bool, eps: f32, momentum: f32) -> BatchNorm {
        assert!(
            eps.is_finite() && eps >= 0.0,
            "BatchNorm: eps must be finite and >= 0, got {eps}"
        );
        assert!(
            (0.0..=1.0).contains(&momentum),
            "BatchNorm: momentum must be in [0, 1], got {momentum}"
        );
        BatchNorm {
            name: if spatial {
                "batch_norm2d"
            } else {
                "batch_norm1d"
            }
            .into(),
            spatial,
            eps,
            momentum,
            weight: Param::new(Tensor::ones([channels])),
            bias: Param::new(Tensor::zeros([channels])),
            running_mean: Param::new(Tensor::zeros([channels])),
            running_var: Param::new(Tensor::ones([channels])),
            pending: Mutex::new(None),
        }
    }

    /// The channels normalised.
    pub fn channels(&self) -> usize {
        self.weight.len()
    }

    /// The running mean (one value per channel).
    pub fn running_mean(&self) -> &Param {
        &self.running_mean
    }

    /// The running (unbiased) variance.
    pub fn running_var(&self) -> &Param {
        &self.running_var
    }

    /// The learned scale γ.
    pub fn weight(&self) -> &Param {
        &self.weight
    }

    /// The learned shift β.
    pub fn bias(&self) -> &Param {
        &self.bias
    }

    fn broadcast_shape(&self) -> Vec<usize> {
        if self.spatial {
            vec![1, self.channels(), 1, 1]
        } else {
            vec![1, self.channels()]
        }
    }
}

impl Module for BatchNorm {
    fn kind(&self) -> &'static str {
        if self.spatial {
            "batch_norm2d"
        } else {
            "batch_norm1d"
        }
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: String) {
        self.name = name;
    }
    fn forward<'t>(&self, x: Var<'t>, ctx: &mut Context) -> Var<'t> {
        let tape = x.tape();
        let shape = self.broadcast_shape();
        let axes: &[isize] = if self.spatial { &[0, 2, 3] } else { &[0] };
        let normalised = if ctx.is_training() {
            let mean = x.mean_axes(axes, true);
            let var = x.var(axes, 0.0, true);
            let dims = x.shape();
            let count: usize = axes.iter().map(|&a| dims[a as usize]).product();
            let unbiased = count as f32 / (count.max(2) - 1) as f32;
            let c = self.channels();
            let batch_var =
                nt::unary(nt::UnaryOp::MulScalar(unbiased), &var.value()).into_reshaped([c]);
            *self.pending.lock().expect("batch-norm statistics") =
                Some((mean.to_tensor().into_reshaped([c]), batch_var));
            (x - mean) * var.add_scalar(self.eps).rsqrt()
        } else {
            let mean = tape.constant(
                self.running_mean
                    .value()
                    .clone()
                    .into_reshaped(shape.as_slice()),
            );
            let var = self
                .running_var
                .value()
                .clone()
                .into_reshaped(shape.as_slice());
            let inv_std = nt::rsqrt(&nt::unary(nt::UnaryOp::AddScalar(self.eps), &var));
            (x - mean) * tape.constant(inv_std)
        };
        normalised * tape.param(&self.weight).reshape(&shape)
            + tape.param(&self.bias).reshape(&shape)
    }
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, ShapeError> {
        let c = self.channels();
        let fits = match input {
            [ch] => !self.spatial && *ch == c,
            [ch, _, _] => self.spatial && *ch == c,
            _ => false,
        };
        if fits {
            return Ok(input.to_vec());
        }
        let (expected, hint) = if self.spatial {
            (
                vec![
                    c,
                    input.get(1).copied().unwrap_or(0),
                    input.get(2).copied().unwrap_or(0),
                ],
                format!("BatchNorm2d takes (batch, {c}, height, width) images"),
            )
        } else {
            (vec![c], format!("BatchNorm1d takes (batch, {c}) rows"))
        };
        Err(ShapeError {
            layer: self.name.clone(),
            expected,
            actual: input.to_vec(),
            hint,
        })
    }
    fn parameters(&self) -> Vec<&Param> {
        vec![
            &self.weight,
            &self.bias,
            &self.running_mean,
            &self.running_var,
        ]
    }
    fn parameters_mut(&mut self) -> Vec<&mut Param> {
        vec![
            &mut self.weight,
            &mut self.bias,
            &mut self.running_mean,
            &mut self.running_var,
        ]
    }
    fn parameter_names(&self) -> Vec<&'static str> {
        vec!["weight", "bias", "running_mean", "running_var"]
    }
    fn non_trainable_count(&self) -> usize {
        2 * self.channels()
    }
    fn needs_whole_batch(&self) -> bool {
        true
    }
    fn update_state(&mut self) {
        let Some((mean, var)) = self
            .pending
            .get_mut()
            .expect("batch-norm statistics")
            .take()
        else {
            return;
        };
        let m = self.momentum;
        let blend = |running: &Tensor, batch: &Tensor| {
            let kept = nt::unary(nt::UnaryOp::MulScalar(1.0 - m), running);
            let new = nt::unary(nt::UnaryOp::MulScalar(m), &batch.to(&running.device()));
            &kept + &new
        };
        let new_mean = blend(self.running_mean.value(), &mean);
        let new_var = blend(self.running_var.value(), &var);
        self.running_mean.set(new_mean);
        self.running_var.set(new_var);
    }
    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::BatchNorm {
            name: self.name.clone(),
            channels: self.channels(),
            spatial: self.spatial,
            eps: self.eps,
            momentum: self.momentum,
        })
    }
}
