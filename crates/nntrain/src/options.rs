//! `FitOptions`: everything `fit` can be told, with Keras's defaults.

use crate::{Callback, GradientReduction, ProcessGroup};
use nnautograd::nntensor::Device;
use nnautograd::nntensor::Tensor;
use nndata::Dataset;

/// How much `fit` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// Nothing.
    Silent,
    /// A progress bar, redrawn in place on a terminal; one line per epoch otherwise (Keras's 1).
    #[default]
    ProgressBar,
    /// One line per epoch (Keras's 2).
    OneLinePerEpoch,
}

/// Options of [`crate::Model::fit`]. Build with struct update syntax:
/// `FitOptions { epochs: 5, batch_size: 128, ..Default::default() }`.
pub struct FitOptions<'a> {
    /// Passes over the training data (Keras's default: 1).
    pub epochs: usize,
    /// Samples per gradient step (Keras's default: 32).
    pub batch_size: usize,
    /// Reshuffle the training data every epoch (default: true).
    pub shuffle: bool,
    /// Seeds shuffling and dropout: the same seed gives the same run, bit for bit.
    pub seed: u64,
    /// Data to evaluate on after each epoch.
    pub validation_data: Option<&'a Dataset>,
    /// Fraction of the training data, taken from its end before shuffling, to validate on
    /// instead (Keras's `validation_split`); ignored when `validation_data` is given.
    pub validation_split: f64,
    /// A weight per training sample (Keras's `sample_weight`), a tensor `(n,)`: each sample's
    /// loss is multiplied by its weight before the batch mean (the mean over the batch's rows,
    /// as Keras's `sum_over_batch_size`). With `validation_split`, the weights of the rows kept
    /// for training are used. Metrics stay unweighted, as Keras's `metrics`.
    pub sample_weight: Option<&'a Tensor>,
    /// A weight per class (Keras's `class_weight`), indexed by class: each sample's loss is
    /// multiplied by its class's weight (and by its `sample_weight`, if given too). The class of
    /// a sample is its class index, the 1 of a one-hot row, or a 0/1 binary target.
    pub class_weight: Option<&'a [f32]>,
    /// What to print.
    pub verbosity: Verbosity,
    /// Called after each batch and epoch; can stop training.
    pub callbacks: Vec<Box<dyn Callback + 'a>>,
    /// Stop with an error naming the epoch and step when the loss becomes NaN or infinite (default: true).
    pub stop_on_non_finite_loss: bool,
    /// Where to train: `None` (the default) trains where the model's parameters are; `Some(d)`
    /// moves the model to `d` first (it stays there: `evaluate`, `predict` and `save` work from
    /// any device). On a GPU the training set is copied there once when it fits (up to 1 GiB of
    /// inputs) and each step gathers its rows there; otherwise each step copies its batch.
    pub device: Option<Device>,
    /// How many parts each batch is split into for forward and backward (each runs on its own
    /// thread, or in a data-parallel `fit` on the rank that owns it), their gradients added in
    /// part order. 0 (the default) picks by batch size: two parts of at least 32 rows, else one;
    /// in a data-parallel `fit`, 0 means 8 parts (so up to 8 ranks have work).
    /// The weights depend on this number, not on the threads or ranks that run the parts: a
    /// data-parallel `fit` on any number of ranks equals a single-process one with the same
    /// non-zero `micro_shards`, bit for bit (0 means different splits in the two).
    pub micro_shards: usize,
    /// Train data-parallel across the processes of this group (`nndist` makes one over MPI):
    /// each rank computes its share of every batch, and every rank applies the same update.
    /// Rank 0 alone prints and calls the callbacks (checkpoints, plots). Needs the CPU and a
    /// network without batch normalisation. `None` (the default): this process alone.
    pub group: Option<&'a dyn ProcessGroup>,
    /// How a data-parallel `fit` combines the ranks' gradients (default: the rank-count
    /// independent [`GradientReduction::OrderedGather`]).
    pub reduction: GradientReduction,
}

impl Default for FitOptions<'_> {
    fn default() -> Self {
        FitOptions {
            epochs: 1,
            batch_size: 32,
            shuffle: true,
            seed: 0,
            validation_data: None,
            validation_split: 0.0,
            sample_weight: None,
            class_weight: None,
            verbosity: Verbosity::default(),
            callbacks: Vec::new(),
            stop_on_non_finite_loss: true,
            device: None,
            micro_shards: 0,
            group: None,
            reduction: GradientReduction::default(),
        }
    }
}

impl std::fmt::Debug for FitOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FitOptions")
            .field("epochs", &self.epochs)
            .field("batch_size", &self.batch_size)
            .field("shuffle", &self.shuffle)
            .field("seed", &self.seed)
            .field("validation_data", &self.validation_data.map(|d| d.len()))
            .field("validation_split", &self.validation_split)
            .field("verbosity", &self.verbosity)
            .field("callbacks", &self.callbacks.len())
            .field("device", &self.device)
            .field("micro_shards", &self.micro_shards)
            .field("group", &self.group.map(|g| (g.rank(), g.size())))
            .field("reduction", &self.reduction)
            .finish()
    }
}
