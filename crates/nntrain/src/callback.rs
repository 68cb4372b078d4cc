//! Callbacks: code run after each batch and epoch, which can stop training.

use crate::checkpoint::{write_checkpoint, TrainerState};
use crate::TrainError;
use nnautograd::nntensor::Tensor;
use nnlayers::Sequential;
use nnoptim::Optimizer;
use std::path::PathBuf;

/// Whether training goes on after a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// Keep training.
    Continue,
    /// Stop after this epoch, for the given reason (reported in `History::stopped_early`).
    Stop(String),
}

/// What a callback sees at the end of an epoch.
pub struct EpochEnd<'a> {
    /// The epoch just finished, from 1.
    pub epoch: usize,
    /// The epoch's `loss`, metrics and `val_…` values.
    pub logs: &'a [(String, f64)],
    /// The network, to read or change its weights.
    pub network: &'a mut Sequential,
    pub(crate) optimizer: &'a dyn Optimizer,
    pub(crate) trainer: TrainerState,
}

impl EpochEnd<'_> {
    /// The value of one log entry (`"val_loss"`).
    pub fn log(&self, name: &str) -> Option<f64> {
        self.logs.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// The optimizer, e.g. to read its learning rate.
    pub fn optimizer(&self) -> &dyn Optimizer {
        self.optimizer
    }

    /// Writes a checkpoint (network, optimizer state, epochs done, compile settings) that
    /// [`crate::Model::resume`] continues from; atomically, so a crash leaves the old file or the new.
    pub fn save_checkpoint(&self, path: impl Into<PathBuf>) -> Result<(), TrainError> {
        write_checkpoint(&path.into(), self.network, self.optimizer, &self.trainer)
    }
}

/// What a callback sees when training begins.
#[derive(Debug, Clone)]
pub struct TrainBegin {
    /// The epoch training starts after: 0, or the epochs already done when resuming.
    pub first_epoch: usize,
    /// The epoch `fit` trains to (`FitOptions::epochs`).
    pub epochs: usize,
    /// Steps (batches) per epoch.
    pub steps_per_epoch: usize,
    /// Training rows.
    pub rows: usize,
    /// The Keras-style summary table, when the model knows its input shape.
    pub summary: Option<String>,
    /// Whether each epoch ends with a validation pass (`val_…` logs).
    pub validation: bool,
}

/// Code run during `fit`. Every method has a default that does nothing.
///
/// `Send` because `fit` runs its loop on one of rayon's threads (so that each step can hand half
/// of the batch to the other thread cheaply).
pub trait Callback: Send {
    /// Once, before the first epoch.
    fn on_train_begin(&mut self, _begin: &TrainBegin) {}

    /// After each training step, with its 1-based epoch and step and the batch's loss.
    fn on_batch_end(&mut self, _epoch: usize, _step: usize, _loss: f32) -> Control {
        Control::Continue
    }

    /// After each epoch (and its validation).
    fn on_epoch_end(&mut self, _end: &mut EpochEnd<'_>) -> Result<Control, TrainError> {
        Ok(Control::Continue)
    }

    /// Once training ends, however it ends without an error.
    fn on_train_end(&mut self, _network: &mut Sequential) {}
}

/// A borrowed callback works too, so its state can be read after `fit`
/// (e.g. `EarlyStopping::best_epoch`): pass `Box::new(&mut early_stopping)`.
impl<C: Callback + ?Sized> Callback for &mut C {
    fn on_train_begin(&mut self, begin: &TrainBegin) {
        (**self).on_train_begin(begin)
    }
    fn on_batch_end(&mut self, epoch: usize, step: usize, loss: f32) -> Control {
        (**self).on_batch_end(epoch, step, loss)
    }
    fn on_epoch_end(&mut self, end: &mut EpochEnd<'_>) -> Result<Control, TrainError> {
        (**self).on_epoch_end(end)
    }
    fn on_train_end(&mut self, network: &mut Sequential) {
        (**self).on_train_end(network)
    }
}

/// A callback from a closure run at each epoch's end (Keras's `LambdaCallback`).
///
/// ```
/// use nntrain::{Control, EpochCallback};
/// let _print = EpochCallback(|end: &mut nntrain::EpochEnd<'_>| {
///     println!("epoch {} loss {:?}", end.epoch, end.log("loss"));
///     Control::Continue
/// });
/// ```
pub struct EpochCallback<F>(pub F);

impl<F: FnMut(&mut EpochEnd<'_>) -> Control + Send> Callback for EpochCallback<F> {
    fn on_epoch_end(&mut self, end: &mut EpochEnd<'_>) -> Result<Control, TrainError> {
        Ok((self.0)(end))
    }
}

/// Stops training when a monitored value stops improving, and optionally restores the weights
/// of the best epoch (Keras's `EarlyStopping`).
#[derive(Debug, Clone)]
pub struct EarlyStopping {
    /// The log entry to watch (default `val_loss`).
    pub monitor: String,
    /// Epochs without improvement to wait before stopping.
    pub patience: usize,
    /// The smallest change that counts as an improvement.
    pub min_delta: f64,
    /// Whether larger is better (default: true for names containing `acc`, false otherwise).
    pub maximize: bool,
    /// Put back the best epoch's weights when training ends.
    pub restore_best_weights: bool,
    best: Option<f64>,
    best_epoch: usize,
    best_weights: Option<Vec<Tensor>>,
    waited: usize,
}

impl EarlyStopping {
    /// Watches `monitor` with the given patience; larger is better for accuracies.
    pub fn new(monitor: &str, patience: usize) -> Self {
        EarlyStopping {
            monitor: monitor.to_string(),
            patience,
            min_delta: 0.0,
            maximize: monitor.contains("acc"),
            restore_best_weights: false,
            best: None,
            best_epoch: 0,
            best_weights: None,
            waited: 0,
        }
    }

    /// The same callback, restoring the best weights at the end.
    pub fn restore_best_weights(self) -> Self {
        EarlyStopping {
            restore_best_weights: true,
            ..self
        }
    }

    /// The epoch (from 1) with the best monitored value so far.
    pub fn best_epoch(&self) -> usize {
        self.best_epoch
    }
}

impl Callback for EarlyStopping {
    fn on_epoch_end(&mut self, end: &mut EpochEnd<'_>) -> Result<Control, TrainError> {
        let Some(value) = end.log(&self.monitor) else {
            return Err(TrainError::InvalidOption(format!(
                "EarlyStopping monitors `{}` but the logs hold {:?}; validate (validation_data or validation_split) to get val_ entries",
                self.monitor,
                end.logs.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>()
            )));
        };
        let improved = match self.best {
            // A NaN or infinite value is never an improvement, and never the best.
            _ if !value.is_finite() => false,
            None => true,
            Some(best) if self.maximize => value > best + self.min_delta,
            Some(best) => value < best - self.min_delta,
        };
        if improved {
            self.best = Some(value);
            self.best_epoch = end.epoch;
            self.waited = 0;
            if self.restore_best_weights {
                self.best_weights = Some(
                    end.network
                        .parameters()
                        .iter()
                        .map(|p| p.value().clone())
                        .collect(),
                );
            }
            return Ok(Control::Continue);
        }
        self.waited += 1;
        if self.waited >= self.patience {
            return Ok(Control::Stop(format!(
                "early stopping: `{}` has not improved for {} epochs (best {:.6} at epoch {})",
                self.monitor,
                self.waited,
                self.best.unwrap_or(f64::NAN),
                self.best_epoch
            )));
        }
        Ok(Control::Continue)
    }

    fn on_train_end(&mut self, network: &mut Sequential) {
        if let Some(best) = self.best_weights.take() {
            for (param, value) in network.parameters_mut().into_iter().zip(best) {
                param.set(value);
            }
        }
    }
}

/// Writes a resumable checkpoint every `every` epochs (Keras's `ModelCheckpoint` with
/// `save_freq` in epochs), atomically: a crash mid-write leaves the previous checkpoint intact.
#[derive(Debug, Clone)]
pub struct ModelCheckpoint {
    /// The checkpoint file (overwritten each time).
    pub path: PathBuf,
    /// Epochs between checkpoints.
    pub every: usize,
}

impl ModelCheckpoint {
    /// A checkpoint at `path` after every `every` epochs.
    pub fn new(path: impl Into<PathBuf>, every: usize) -> Self {
        ModelCheckpoint {
            path: path.into(),
            every: every.max(1),
        }
    }
}

impl Callback for ModelCheckpoint {
    fn on_epoch_end(&mut self, end: &mut EpochEnd<'_>) -> Result<Control, TrainError> {
        if end.epoch.is_multiple_of(self.every) {
            end.save_checkpoint(self.path.clone())?;
        }
        Ok(Control::Continue)
    }
}
