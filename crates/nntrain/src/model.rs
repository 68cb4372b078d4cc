//! `Model`: a `Sequential` network with an optimizer, a loss and metrics, trained by `fit`.

use crate::callback::{Control, EpochEnd, TrainBegin};
use crate::checkpoint::{write_checkpoint, TrainerState};
use crate::group::ProcessGroup;
use crate::metric::Running;
use crate::parallel::{self, RootDecision};
use crate::plan::Plan;
use crate::progress::Progress;
use crate::step::{self, StepResult, StepSpec, SHARDS};
use crate::weights;
use crate::{check, FitOptions, History, Loss, Metric, TrainError, Verbosity};
use nnautograd::nntensor::{self as nt, Device, Rng, Tensor};
use nnautograd::Tape;
use nndata::Dataset;
use nnlayers::{ActivationFn, Context, Sequential};
use nnoptim::Optimizer;
use std::path::Path;
use std::time::Instant;

/// Rows per forward pass in `evaluate` and `predict` (no gradients, so larger is cheaper).
const INFERENCE_BATCH: usize = 1024;

/// The optimizer, loss and metrics set by [`Model::compile`].
struct Compiled {
    optimizer: Box<dyn Optimizer>,
    loss: Loss,
    metrics: Vec<Metric>,
}

/// The loss and metrics of [`Model::evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The mean loss.
    pub loss: f64,
    /// Each metric's value, by name.
    pub metrics: Vec<(String, f64)>,
}

impl Evaluation {
    /// One metric's value (`"accuracy"`).
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }
}

/// A trainable model in the Keras style.
///
/// ```
/// use nntrain::{FitOptions, Loss, Metric, Model, Verbosity};
/// use nnlayers::Sequential;
/// use nnoptim::Sgd;
/// use nndata::synthetic;
///
/// let mut model = Model::new(Sequential::new(0).linear(2, 4).tanh().linear(4, 1).sigmoid());
/// model.compile(Sgd::new(0.5), Loss::BinaryCrossEntropy, &[Metric::Accuracy]);
/// let data = synthetic::xor_table();
/// let options = FitOptions { epochs: 2000, batch_size: 4, verbosity: Verbosity::Silent, ..Default::default() };
/// let history = model.fit(&data, options).unwrap();
/// assert_eq!(history.last("accuracy"), Some(1.0));
/// ```
pub struct Model {
    network: Sequential,
    input_shape: Option<Vec<usize>>,
    compiled: Option<Compiled>,
    epochs_done: usize,
    /// One tape per shard of a training step (see `step.rs`), kept to reuse their capacity.
    tapes: Vec<Tape>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("network", &self.network)
            .field("input_shape", &self.input_shape)
            .field(
                "compiled",
                &self
                    .compiled
                    .as_ref()
                    .map(|c| (c.optimizer.name(), c.loss, c.metrics.clone())),
            )
            .field("epochs_done", &self.epochs_done)
            .finish()
    }
}

impl Model {
    /// A model around `network`. The per-sample input shape is taken from a first `Linear`
    /// layer; set it with [`Model::with_input_shape`] otherwise (e.g. before a `Flatten`).
    pub fn new(network: Sequential) -> Model {
        let input_shape = network.layers().first().and_then(|l| match l.spec() {
            Some(nnlayers::LayerSpec::Linear { inputs, .. }) => Some(vec![inputs]),
            _ => None,
        });
        Model {
            network,
            input_shape,
            compiled: None,
            epochs_done: 0,
            tapes: (0..SHARDS).map(|_| Tape::new()).collect(),
        }
    }

    /// The same model with a declared per-sample input shape (for `summary`).
    pub fn with_input_shape(mut self, shape: &[usize]) -> Model {
        self.input_shape = Some(shape.to_vec());
        self
    }

    /// Sets the optimizer, the loss and the metrics to report.
    pub fn compile(&mut self, optimizer: impl Optimizer + 'static, loss: Loss, metrics: &[Metric]) {
        self.compile_boxed(Box::new(optimizer), loss, metrics);
    }

    /// [`Model::compile`] with an already boxed optimizer (e.g. chosen at run time).
    pub fn compile_boxed(&mut self, optimizer: Box<dyn Optimizer>, loss: Loss, metrics: &[Metric]) {
        self.compiled = Some(Compiled {
            optimizer,
            loss,
            metrics: metrics.to_vec(),
        });
    }

    /// Moves the model's parameters (and, at its next step, the optimizer's state) to `device`,
    /// as PyTorch's `model.to(device)`.
    ///
    /// ```
    /// use nntrain::Model;
    /// use nnlayers::{Linear, Sequential};
    /// use nnautograd::nntensor::{Device, Rng};
    /// let mut model = Model::new(Sequential::new(0).add(Linear::new(2, 1, &mut Rng::seed_from(0))));
    /// model.to(&Device::Cpu);
    /// assert_eq!(model.device(), Device::Cpu);
    /// ```
    pub fn to(&mut self, device: &Device) -> &mut Self {
        self.network.to(device);
        self
    }

    /// Where the model's parameters live.
    pub fn device(&self) -> Device {
        self.network.device()
    }

    /// The network.
    pub fn network(&self) -> &Sequential {
        &self.network
    }

    /// The network, mutably.
    pub fn network_mut(&mut self) -> &mut Sequential {
        &mut self.network
    }

    /// The optimizer, once compiled.
    pub fn optimizer(&self) -> Option<&dyn Optimizer> {
        self.compiled.as_ref().map(|c| c.optimizer.as_ref())
    }

    /// The loss set by `compile`.
    pub fn loss(&self) -> Option<Loss> {
        self.compiled.as_ref().map(|c| c.loss)
    }

    /// A warning when the final layer and the loss disagree about probabilities vs scores.
    fn activation_warning(&self, loss: Loss) -> Option<String> {
        let last = self.network.layers().last().and_then(|l| match l.spec() {
            Some(nnlayers::LayerSpec::Activation { function, .. }) => Some(function),
            _ => None,
        });
        let ends_in_probabilities =
            matches!(last, Some(ActivationFn::Softmax | ActivationFn::Sigmoid));
        let on_logits = matches!(
            loss,
            Loss::BinaryCrossEntropyWithLogits
                | Loss::SoftmaxCrossEntropy
                | Loss::SparseSoftmaxCrossEntropy
        );
        let on_probabilities = matches!(
            loss,
            Loss::BinaryCrossEntropy
                | Loss::CategoricalCrossEntropy
                | Loss::SparseCategoricalCrossEntropy
        );
        if ends_in_probabilities && on_logits {
            Some(format!("warning: the model ends in a softmax/sigmoid but {} expects raw scores (logits): remove the final activation, or use the loss on probabilities", loss.name()))
        } else if !ends_in_probabilities && on_probabilities {
            Some(format!("warning: {} expects probabilities but the model does not end in a softmax/sigmoid: add one, or use the loss on logits", loss.name()))
        } else {
            None
        }
    }

    /// Epochs trained so far (a resumed model continues from here).
    pub fn epochs_done(&self) -> usize {
        self.epochs_done
    }

    /// The Keras-style summary table (needs the input shape: see [`Model::with_input_shape`]).
    pub fn summary(&self) -> Result<String, TrainError> {
        let shape = self.input_shape.as_ref().ok_or_else(|| {
            TrainError::InvalidOption("summary needs the input shape: the first layer is not Linear, so use Model::with_input_shape".into())
        })?;
        self.network
            .summary(shape)
            .map_err(|e| TrainError::InputShape {
                data: "declared inputs",
                shape: crate::error::shape_string(shape),
                detail: e.to_string(),
            })
    }

    /// Checks inputs and targets of a dataset; returns targets reshaped for the loss if needed.
    fn check_dataset(
        &self,
        loss: Loss,
        data: &Dataset,
        inputs: &'static str,
        targets: &'static str,
    ) -> Result<Option<Tensor>, TrainError> {
        let output = check::inputs(&self.network, inputs, data.inputs())?;
        check::finite(inputs, data.inputs())?;
        check::finite(targets, data.targets())?;
        check::targets(&self.network, loss, &output, targets, data.targets())
    }

    /// [`Model::fit`] on plain arrays, as Keras's `model.fit(x, y)`: inputs `x` `(n, …)` and
    /// targets `y` with one row per sample; an error if their row counts differ.
    ///
    /// ```
    /// use nntrain::{FitOptions, Loss, Model, Verbosity};
    /// use nnlayers::Sequential;
    /// use nnoptim::Sgd;
    /// use nnautograd::nntensor::Tensor;
    /// let x = Tensor::from_vec([4, 1], vec![0.0, 1.0, 2.0, 3.0]).unwrap();
    /// let y = Tensor::from_vec([4], vec![1.0, 3.0, 5.0, 7.0]).unwrap();
    /// let mut model = Model::new(Sequential::new(0).linear(1, 1));
    /// model.compile(Sgd::new(0.05), Loss::MeanSquaredError, &[]);
    /// let options = FitOptions { epochs: 300, batch_size: 4, verbosity: Verbosity::Silent, ..Default::default() };
    /// model.fit_arrays(&x, &y, options).unwrap();
    /// let bad = Tensor::zeros(vec![3]);
    /// let options = FitOptions { verbosity: Verbosity::Silent, ..Default::default() };
    /// assert!(model.fit_arrays(&x, &bad, options).unwrap_err().to_string().contains("4 input rows but 3 target rows"));
    /// ```
    pub fn fit_arrays(
        &mut self,
        x: &Tensor,
        y: &Tensor,
        options: FitOptions<'_>,
    ) -> Result<History, TrainError> {
        let rows = |t: &Tensor| t.shape().first().copied().unwrap_or(0);
        if rows(x) != rows(y) || x.ndim() == 0 || y.ndim() == 0 {
            return Err(TrainError::RowMismatch {
                inputs: rows(x),
                targets: rows(y),
            });
        }
        let data = Dataset::new(x.clone(), y.clone())?;
        self.fit(&data, options)
    }

    /// Trains the model on `train` as `options` say, and returns the loss and metrics per epoch.
    ///
    /// Before any step runs, the data is checked against the model: shapes (naming the layer and
    /// the fix), target encoding against the loss, NaN/inf (naming the row). The same seed gives
    /// bit-identical weights and history on every run, whatever the number of threads.
    pub fn fit(&mut self, train: &Dataset, options: FitOptions<'_>) -> Result<History, TrainError> {
        // On a thread of rayon's pool, a step's `rayon::join` hands the second shard to the other
        // thread directly; from outside the pool each join parks this thread and wakes it again
        // (W1: 0.0785-0.0795 s/epoch against 0.0819-0.0863 in alternating runs).
        let group = options.group;
        let mut started = false;
        let result = rayon::scope(|_| self.fit_on_pool(train, options, &mut started));
        match (result, group) {
            // Refused before the ranks met: tell them, so none waits for this one.
            (Err(e), Some(group)) if !started => Err(parallel::refuse_start(group, e)),
            (result, _) => result,
        }
    }

    /// [`Model::fit`]'s body.
    fn fit_on_pool(
        &mut self,
        train: &Dataset,
        mut options: FitOptions<'_>,
        started: &mut bool,
    ) -> Result<History, TrainError> {
        let compiled = self.compiled.as_ref().ok_or(TrainError::NotCompiled)?;
        let (loss, metrics) = (compiled.loss, compiled.metrics.clone());
        let full_rows = train.len();
        if options.batch_size == 0 {
            return Err(TrainError::InvalidOption(
                "batch_size must be at least 1".into(),
            ));
        }
        if options.epochs <= self.epochs_done {
            return Err(TrainError::InvalidOption(format!(
                "epochs = {} but this model has already trained {} epochs: `epochs` is the total to reach \
                 (as Keras's `epochs` with `initial_epoch`), so ask for more than {}",
                options.epochs, self.epochs_done, self.epochs_done
            )));
        }
        check_metrics(loss, &metrics)?;
        if !(0.0..1.0).contains(&options.validation_split) {
            return Err(TrainError::InvalidOption(format!(
                "validation_split must be in [0, 1), got {}",
                options.validation_split
            )));
        }
        let held_out;
        let (train, validation) = match options.validation_data {
            Some(v) => (train, Some(v)),
            None if options.validation_split > 0.0 => {
                held_out = train.split_last(options.validation_split)?;
                (&held_out.0, Some(&held_out.1))
            }
            None => (train, None),
        };
        let split = options.validation_split;
        // (Keras's rule holds out ceil(n · split) rows, at least one: only the training side
        // can end up empty.)
        if options.validation_data.is_none() && split > 0.0 {
            let (kept, held) = (train.len(), validation.map_or(0, |v| v.len()));
            if kept == 0 && held > 0 {
                return Err(TrainError::InvalidOption(format!(
                    "validation_split {split} of {held} rows leaves no training rows: lower it (Keras keeps the first floor(n · (1 − split)) rows for training)"
                )));
            }
        }
        if train.is_empty() {
            return Err(TrainError::InvalidOption(
                "the training set is empty".into(),
            ));
        }
        if validation.is_some_and(|v| v.is_empty()) {
            return Err(TrainError::InvalidOption(
                "the validation set is empty (validation_data has no rows, or validation_split leaves none)".into(),
            ));
        }
        let reshaped = self.check_dataset(loss, train, "training inputs", "training targets")?;
        check_accuracy_targets(loss, &metrics, train.targets(), "training targets")?;
        let reshaped_train;
        let train = match reshaped {
            Some(y) => {
                reshaped_train = Dataset::new(train.inputs().clone(), y)?;
                &reshaped_train
            }
            None => train,
        };
        let mut validation_owned = None;
        if let Some(v) = validation {
            if let Some(y) =
                self.check_dataset(loss, v, "validation inputs", "validation targets")?
            {
                validation_owned = Some(Dataset::new(v.inputs().clone(), y)?);
            }
        }
        let validation = validation_owned.as_ref().or(validation);
        let sample_weights = weights::combined(&options, loss, train, full_rows)?;

        let group = options.group;
        let is_root = group.is_none_or(|g| g.rank() == 0);
        if !is_root {
            // Rank 0 alone prints.
            options.verbosity = Verbosity::Silent;
        }
        let mut history = History::default();
        if cfg!(debug_assertions) {
            history.warnings.push("warning: nntrain was built without optimisations (a debug build); training runs 10-50x slower. Build with --release".into());
        }
        history
            .warnings
            .extend(check::pixel_warning(train.inputs()));
        history.warnings.extend(self.activation_warning(loss));
        if options.batch_size > train.len() {
            history.warnings.push(format!(
                "warning: batch_size {} is larger than the {} training rows: each epoch is one step on the whole set",
                options.batch_size,
                train.len()
            ));
        }
        if options.verbosity != Verbosity::Silent {
            for w in &history.warnings {
                eprintln!("{w}");
            }
        }

        if let Some(device) = &options.device {
            self.network.to(device);
        }
        let device = self.network.device();
        if let Some(group) = group {
            if device != Device::Cpu || self.network.needs_whole_batch() {
                return Err(TrainError::Distributed(
                    "data-parallel fit needs a model on the CPU without batch normalisation (its statistics need the whole batch on one rank); \
                     train on one process instead"
                        .into(),
                ));
            }
            let fingerprint = self.fingerprint(train, validation, &options, group.size());
            *started = true;
            parallel::start(group, &fingerprint, &mut self.network)?;
        }
        let parts = if group.is_some() {
            // A data-parallel step always splits, never by the rank count.
            match options.micro_shards {
                0 => GROUP_MICRO_SHARDS,
                m => m,
            }
        } else {
            options.micro_shards
        };
        let slots = parts.max(SHARDS);
        if self.tapes.len() < slots {
            self.tapes.resize_with(slots, Tape::new);
        }
        let device_train = on_device(train, device)?;
        let plan = Plan::new(&self.network, loss);
        let steps = train.len().div_ceil(options.batch_size);
        let mut progress = Progress::new(options.verbosity, steps);
        let first_epoch = self.epochs_done;
        if is_root && !options.callbacks.is_empty() {
            let begin = TrainBegin {
                first_epoch,
                epochs: options.epochs,
                steps_per_epoch: steps,
                rows: train.len(),
                summary: self.summary().ok(),
                validation: validation.is_some(),
            };
            for callback in &mut options.callbacks {
                callback.on_train_begin(&begin);
            }
        }
        for epoch in first_epoch..options.epochs {
            let started = Instant::now();
            progress.begin_epoch(epoch + 1, options.epochs);
            // Each epoch's randomness depends only on (seed, epoch): a resumed run repeats it exactly.
            let mut epoch_rng = Rng::seed_from(
                options.seed ^ (epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            let shuffle = options.shuffle.then(|| epoch_rng.next_u64());
            let order: Vec<usize> = match shuffle {
                Some(seed) => Rng::seed_from(seed).permutation(train.len()),
                None => (0..train.len()).collect(),
            };
            let mut contexts: Vec<Context> = (0..slots)
                .map(|_| Context::train(epoch_rng.fork()))
                .collect();
            let mut running_loss = Running::default();
            let mut running: Vec<Running> = vec![Running::default(); metrics.len()];
            for (step, rows) in order.chunks(options.batch_size).enumerate() {
                let n = rows.len();
                let spec = StepSpec {
                    network: &self.network,
                    plan,
                    loss,
                    metrics: &metrics,
                    device,
                    device_data: device_train.as_ref(),
                    sample_weights: sample_weights.as_ref(),
                };
                let StepResult {
                    loss: value,
                    grads,
                    metric_sums,
                } = match group {
                    Some(group) => parallel::step(
                        spec,
                        train,
                        rows,
                        parts,
                        group,
                        options.reduction,
                        &mut self.tapes,
                        &mut contexts,
                    ),
                    None => step::reduce(step::forward_backward(
                        spec,
                        train,
                        &step::split(&spec, rows, parts),
                        n,
                        &mut self.tapes,
                        &mut contexts,
                    )),
                };
                if !value.is_finite() && options.stop_on_non_finite_loss {
                    // Callbacks still end (early stopping restores its best weights), on rank 0.
                    if is_root {
                        for callback in &mut options.callbacks {
                            callback.on_train_end(&mut self.network);
                        }
                    }
                    if let Some(group) = group {
                        parallel::broadcast_weights(group, &mut self.network);
                    }
                    return Err(TrainError::NonFiniteLoss {
                        epoch: epoch + 1,
                        step: step + 1,
                        steps,
                        value,
                    });
                }
                for (r, sums) in running.iter_mut().zip(metric_sums) {
                    r.add(sums);
                }
                let compiled = self.compiled.as_mut().expect("checked above");
                step::apply(compiled.optimizer.as_mut(), &mut self.network, &grads);
                running_loss.add((value as f64 * n as f64, n));
                let logs = epoch_logs(&running_loss, &metrics, &running);
                progress.batch(step + 1, &logs);
                if is_root {
                    for callback in &mut options.callbacks {
                        if let Control::Stop(reason) =
                            callback.on_batch_end(epoch + 1, step + 1, value)
                        {
                            history.stopped_early = Some(reason);
                        }
                    }
                }
                if let Some(group) = group {
                    let ours = match history.stopped_early {
                        Some(_) => RootDecision::Stop,
                        None => RootDecision::Continue,
                    };
                    if parallel::agree(group, ours) == RootDecision::Stop && !is_root {
                        history.stopped_early = Some("rank 0 stopped training".into());
                    }
                }
                if history.stopped_early.is_some() {
                    break;
                }
            }
            let mut logs = epoch_logs(&running_loss, &metrics, &running);
            if let Some(v) = validation {
                let batch_size = options.batch_size.max(INFERENCE_BATCH);
                let eval = self.evaluate_with(v, plan, &metrics, batch_size, group)?;
                logs.push(("val_loss".into(), eval.loss));
                logs.extend(
                    eval.metrics
                        .into_iter()
                        .map(|(n, v)| (format!("val_{n}"), v)),
                );
            }
            // An epoch cut short by a batch callback is not done: resuming repeats it.
            if history.stopped_early.is_none() {
                self.epochs_done = epoch + 1;
            }
            history.push(epoch + 1, &logs, started.elapsed().as_secs_f64());
            progress.end_epoch(&logs);
            let compiled = self.compiled.as_ref().expect("checked above");
            let trainer = TrainerState {
                epochs_done: self.epochs_done,
                loss,
                metrics: metrics.clone(),
            };
            let mut end = EpochEnd {
                epoch: epoch + 1,
                logs: &logs,
                network: &mut self.network,
                optimizer: compiled.optimizer.as_ref(),
                trainer,
            };
            let mut failure = None;
            if is_root {
                for callback in &mut options.callbacks {
                    match callback.on_epoch_end(&mut end) {
                        Ok(Control::Stop(reason)) => {
                            history.stopped_early.get_or_insert(reason);
                        }
                        Ok(Control::Continue) => {}
                        Err(e) => {
                            failure = Some(e);
                            break;
                        }
                    }
                }
            }
            if let Some(group) = group {
                let ours = match (&failure, &history.stopped_early) {
                    (Some(_), _) => RootDecision::Failed,
                    (None, Some(_)) => RootDecision::Stop,
                    (None, None) => RootDecision::Continue,
                };
                let decided = parallel::agree(group, ours);
                match decided {
                    RootDecision::Failed if !is_root => {
                        return Err(TrainError::Distributed(format!(
                            "rank 0 stopped with an error at the end of epoch {} (a callback failed; rank 0 reports it)",
                            epoch + 1
                        )))
                    }
                    RootDecision::Stop if !is_root => {
                        history
                            .stopped_early
                            .get_or_insert("rank 0 stopped training".into());
                    }
                    _ => {}
                }
                if decided != RootDecision::Failed {
                    // Rank 0's epoch-end callbacks may have changed its weights.
                    parallel::broadcast_weights(group, &mut self.network);
                }
            }
            if let Some(e) = failure {
                return Err(e);
            }
            if let Some(reason) = &history.stopped_early {
                if options.verbosity != Verbosity::Silent {
                    println!("{reason}");
                }
                break;
            }
        }
        if is_root {
            for callback in &mut options.callbacks {
                callback.on_train_end(&mut self.network);
            }
        }
        if let Some(group) = group {
            // Rank 0's callbacks may have changed the weights (restoring the best ones).
            parallel::broadcast_weights(group, &mut self.network);
        }
        Ok(history)
    }

    /// What every rank of a data-parallel `fit` must agree on, one `name: value` per line: the
    /// layers and their parameters' shapes, loss, metrics, optimizer and its state, the options
    /// that shape the run, and a hash of the training data.
    fn fingerprint(
        &self,
        train: &Dataset,
        validation: Option<&Dataset>,
        options: &FitOptions<'_>,
        ranks: usize,
    ) -> String {
        let mut lines = Vec::new();
        for (name, param) in self.network.named_parameters() {
            lines.push(format!(
                "parameter {name}: shape {:?}",
                param.value().shape()
            ));
        }
        if let Some(compiled) = &self.compiled {
            lines.push(format!("loss: {:?}", compiled.loss));
            lines.push(format!("metrics: {:?}", compiled.metrics));
            let state = compiled.optimizer.state_dict();
            lines.push(format!("optimizer: {}", compiled.optimizer.name()));
            lines.push(format!("optimizer integers: {:?}", state.integers));
            lines.push(format!("optimizer floats: {:?}", state.floats));
            let mut hash = Fnv::default();
            for (name, t) in &state.tensors {
                hash.bytes(name.as_bytes());
                hash.floats(&t.to_vec());
            }
            lines.push(format!("optimizer tensors: {:016x}", hash.0));
        }
        lines.push(format!("epochs done: {}", self.epochs_done));
        lines.push(format!("epochs: {}", options.epochs));
        lines.push(format!("batch_size: {}", options.batch_size));
        lines.push(format!("shuffle: {}", options.shuffle));
        lines.push(format!("seed: {}", options.seed));
        lines.push(format!("validation_split: {}", options.validation_split));
        lines.push(format!("micro_shards: {}", options.micro_shards));
        lines.push(format!("reduction: {:?}", options.reduction));
        lines.push(format!("ranks: {ranks}"));
        lines.push(format!(
            "training data: {} rows, inputs {:?}, targets {:?}",
            train.len(),
            train.inputs().shape(),
            train.targets().shape()
        ));
        let mut hash = Fnv::default();
        hash.floats(&train.inputs().to_vec());
        hash.floats(&train.targets().to_vec());
        lines.push(format!("training data hash: {:016x}", hash.0));
        if let Some(v) = validation {
            let mut hash = Fnv::default();
            hash.floats(&v.inputs().to_vec());
            hash.floats(&v.targets().to_vec());
            lines.push(format!(
                "validation data: {} rows, inputs {:?}, hash {:016x}",
                v.len(),
                v.inputs().shape(),
                hash.0
            ));
        }
        lines.join("\n")
    }

    /// The loss and metrics on `data`, computed without gradients and without dropout.
    pub fn evaluate(&self, data: &Dataset) -> Result<Evaluation, TrainError> {
        self.evaluate_on(data, None)
    }

    /// [`Model::evaluate`] computed by every rank of `group` together: each rank runs its
    /// consecutive share of the batches, the ranks exchange each batch's sums, and every rank
    /// adds them in batch order. Every rank gets the numbers `evaluate` gives in one process,
    /// bit for bit, whatever the rank count. Every rank must call it with the same data; a rank
    /// whose data or model is refused ends the call on every rank with an error.
    pub fn evaluate_across(
        &self,
        data: &Dataset,
        group: &dyn ProcessGroup,
    ) -> Result<Evaluation, TrainError> {
        self.evaluate_on(data, Some(group))
    }

    fn evaluate_on(
        &self,
        data: &Dataset,
        group: Option<&dyn ProcessGroup>,
    ) -> Result<Evaluation, TrainError> {
        let checked = self.checked_for_evaluation(data);
        let reshaped = match group {
            // Every rank learns whether every rank may go on, so none waits for a rank that left.
            Some(group) => parallel::all_ok(group, checked)?,
            None => checked?,
        };
        let owned;
        let data = match reshaped {
            Some(y) => {
                owned = Dataset::new(data.inputs().clone(), y)?;
                &owned
            }
            None => data,
        };
        let compiled = self.compiled.as_ref().ok_or(TrainError::NotCompiled)?;
        self.evaluate_with(
            data,
            Plan::new(&self.network, compiled.loss),
            &compiled.metrics,
            INFERENCE_BATCH,
            group,
        )
    }

    /// `evaluate`'s checks on `data`; its targets reshaped where the loss needs that.
    fn checked_for_evaluation(&self, data: &Dataset) -> Result<Option<Tensor>, TrainError> {
        let compiled = self.compiled.as_ref().ok_or(TrainError::NotCompiled)?;
        if data.is_empty() {
            return Err(TrainError::InvalidOption(
                "the evaluation set is empty".into(),
            ));
        }
        check_metrics(compiled.loss, &compiled.metrics)?;
        let reshaped = self.check_dataset(
            compiled.loss,
            data,
            "evaluation inputs",
            "evaluation targets",
        )?;
        check_accuracy_targets(
            compiled.loss,
            &compiled.metrics,
            data.targets(),
            "evaluation targets",
        )?;
        Ok(reshaped)
    }

    /// The loss and metrics over `data` in batches of `batch_size`: with a group, each rank
    /// computes its share of the batches and the batch sums are exchanged; either way they are
    /// added in batch order.
    fn evaluate_with(
        &self,
        data: &Dataset,
        plan: Plan,
        metrics: &[Metric],
        batch_size: usize,
        group: Option<&dyn ProcessGroup>,
    ) -> Result<Evaluation, TrainError> {
        let batches = data.len().div_ceil(batch_size);
        let sums = match group {
            None => self.batch_sums(data, plan, metrics, batch_size)?,
            Some(group) => {
                let (lo, hi) = parallel::owned(batches, group.rank(), group.size());
                let rows: Vec<usize> =
                    (lo * batch_size..(hi * batch_size).min(data.len())).collect();
                let mine = if rows.is_empty() {
                    Vec::new()
                } else {
                    self.batch_sums(&data.subset(&rows), plan, metrics, batch_size)?
                };
                parallel::gather_batch_sums(group, &mine, batches, 1 + metrics.len())?
            }
        };
        let mut running = vec![Running::default(); 1 + metrics.len()];
        for batch in sums {
            for (r, sum) in running.iter_mut().zip(batch) {
                r.add(sum);
            }
        }
        Ok(Evaluation {
            loss: running[0].value(),
            metrics: metrics
                .iter()
                .zip(&running[1..])
                .map(|(m, r)| (m.name().to_string(), r.value()))
                .collect(),
        })
    }

    /// Each batch's loss sum and metric sums (with their counts), the loss first.
    fn batch_sums(
        &self,
        data: &Dataset,
        plan: Plan,
        metrics: &[Metric],
        batch_size: usize,
    ) -> Result<Vec<Vec<(f64, usize)>>, TrainError> {
        let compiled_loss = self.compiled.as_ref().ok_or(TrainError::NotCompiled)?.loss;
        let tape = Tape::new();
        let mut ctx = Context::eval();
        let mut sums = Vec::with_capacity(data.len().div_ceil(batch_size));
        tape.no_grad(|| {
            let device = self.network.device();
            for batch in data.batches(batch_size, None, false) {
                let labels = check::labels(&batch.y);
                let x = batch.x.into_device(&device);
                let raw = plan.forward(&self.network, tape.constant(x), &mut ctx);
                let targets = batch.y.on(&device);
                let loss = plan.loss.compute(raw, &targets, &labels).item();
                let mut row = Vec::with_capacity(1 + metrics.len());
                row.push((loss as f64 * labels.len() as f64, labels.len()));
                let outputs = plan.outputs(&raw.value());
                for m in metrics {
                    row.push(m.batch_sum(compiled_loss, &outputs, &batch.y, &labels));
                }
                sums.push(row);
                tape.reset();
            }
        });
        Ok(sums)
    }

    /// The model's outputs for inputs `x` (probabilities where it ends in softmax or sigmoid),
    /// computed in batches without gradients or dropout, on the model's device; the result is in
    /// host memory (as Keras returns arrays).
    pub fn predict(&self, x: &Tensor) -> Result<Tensor, TrainError> {
        let output = check::inputs(&self.network, "inputs to predict", x)?;
        if x.shape()[0] == 0 {
            return Ok(Tensor::zeros([&[0][..], &output].concat()));
        }
        check::finite("inputs to predict", x)?;
        let tape = Tape::new();
        let mut ctx = Context::eval();
        let n = x.shape()[0];
        let device = self.network.device();
        let mut parts = Vec::with_capacity(n.div_ceil(INFERENCE_BATCH));
        tape.no_grad(|| {
            for start in (0..n).step_by(INFERENCE_BATCH) {
                let rows = nt::slice_rows(x, start, (start + INFERENCE_BATCH).min(n));
                let rows = rows.into_device(&device);
                parts.push(
                    self.network
                        .forward(tape.constant(rows), &mut ctx)
                        .to_tensor()
                        .into_device(&Device::Cpu),
                );
                tape.reset();
            }
        });
        if parts.len() == 1 {
            return Ok(parts.pop().expect("one part"));
        }
        Ok(nt::cat(&parts, 0))
    }

    /// Saves the network (architecture and weights) to `path`, atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), TrainError> {
        Ok(self.network.save(path)?)
    }

    /// Loads a network saved by [`Model::save`]; compile it before training.
    pub fn load(path: impl AsRef<Path>) -> Result<Model, TrainError> {
        Ok(Model::new(Sequential::load(path)?))
    }

    /// Saves a resumable checkpoint: network, optimizer state, epochs done, loss and metrics.
    pub fn save_checkpoint(&self, path: impl AsRef<Path>) -> Result<(), TrainError> {
        let compiled = self.compiled.as_ref().ok_or(TrainError::NotCompiled)?;
        let trainer = TrainerState {
            epochs_done: self.epochs_done,
            loss: compiled.loss,
            metrics: compiled.metrics.clone(),
        };
        write_checkpoint(
            path.as_ref(),
            &self.network,
            compiled.optimizer.as_ref(),
            &trainer,
        )
    }

    /// A compiled model from a checkpoint, ready to `fit` on: training continues from the next
    /// epoch. With the same options (and seed) it reproduces the uninterrupted run exactly, for
    /// checkpoints written at the end of an epoch; callbacks that keep state (early stopping's
    /// patience counter) start afresh.
    pub fn resume(path: impl AsRef<Path>) -> Result<Model, TrainError> {
        let path = path.as_ref();
        let checkpoint = nnlayers::load_checkpoint(path)?;
        let optimizer_state = checkpoint
            .state("optimizer")
            .ok_or(TrainError::NotACheckpoint {
                path: path.into(),
                section: "optimizer",
            })?;
        let trainer_state = checkpoint
            .state("trainer")
            .ok_or(TrainError::NotACheckpoint {
                path: path.into(),
                section: "trainer",
            })?;
        let optimizer = nnoptim::optimizer_from_state(optimizer_state).map_err(|source| {
            TrainError::Optimizer {
                path: path.into(),
                source,
            }
        })?;
        nnoptim::check_state_shapes(optimizer_state, &checkpoint.model.parameters()).map_err(
            |source| TrainError::Optimizer {
                path: path.into(),
                source,
            },
        )?;
        let trainer = TrainerState::from_state(path, trainer_state)?;
        let mut model = Model::new(checkpoint.model);
        model.compiled = Some(Compiled {
            optimizer,
            loss: trainer.loss,
            metrics: trainer.metrics,
        });
        model.epochs_done = trainer.epochs_done;
        Ok(model)
    }
}

/// The training set copied to `device` once, when that is a GPU and the inputs fit in one of its
/// kernels' bindings (at most 1 GiB, to leave room for the model); `None` otherwise, and each
/// step then copies its rows from the host.
fn on_device(train: &Dataset, device: Device) -> Result<Option<Dataset>, TrainError> {
    let bytes = (train.inputs().len() * 4) as u64;
    if bytes > device_binding_limit(device).min(1 << 30) {
        return Ok(None);
    }
    let x = train.inputs().to(&device);
    let y = train.targets().to(&device);
    Ok(Some(Dataset::new(x, y)?))
}

/// The largest tensor one kernel of `device` can read, in bytes; 0 for the CPU (nothing to copy).
fn device_binding_limit(device: Device) -> u64 {
    match device {
        Device::Cpu => 0,
        #[cfg(feature = "gpu")]
        Device::Gpu(index) => nt::gpu::max_tensor_bytes(index),
    }
}

/// Refuses an accuracy on a regression: with mean squared error, `Accuracy` means binary
/// accuracy (outputs above 0.5 against 0/1 targets), which targets other than 0 and 1 make
/// meaningless.
fn check_accuracy_targets(
    loss: Loss,
    metrics: &[Metric],
    targets: &Tensor,
    data: &str,
) -> Result<(), TrainError> {
    let wants_accuracy = metrics
        .iter()
        .any(|m| matches!(m, Metric::Accuracy | Metric::BinaryAccuracy));
    if loss != Loss::MeanSquaredError || !wants_accuracy {
        return Ok(());
    }
    let values = targets.values();
    if let Some((i, v)) = values
        .iter()
        .enumerate()
        .find(|(_, &v)| v != 0.0 && v != 1.0)
    {
        return Err(TrainError::InvalidOption(format!(
            "accuracy is for classifiers, but the {data} hold {v} (value {i}): a regression. Use Metric::MeanAbsoluteError or Metric::MeanSquaredError (and nntrain::scores::r2_score), or for classes a cross-entropy loss"
        )));
    }
    Ok(())
}

/// Refuses metrics that cannot be computed from the targets this loss reads.
fn check_metrics(loss: Loss, metrics: &[Metric]) -> Result<(), TrainError> {
    use crate::loss::TargetKind::{ClassIndices, OneHot, SameAsOutput};
    for &m in metrics {
        let fits = match m.resolve(loss) {
            Metric::SparseCategoricalAccuracy => loss.target_kind() == ClassIndices,
            Metric::CategoricalAccuracy => loss.target_kind() == OneHot,
            Metric::BinaryAccuracy => loss.target_kind() == SameAsOutput,
            Metric::MeanSquaredError | Metric::MeanAbsoluteError => {
                loss.target_kind() != ClassIndices
            }
            Metric::Accuracy => true,
        };
        if !fits {
            return Err(TrainError::InvalidOption(format!(
                "metric `{}` cannot be computed with {} (its targets are {:?}); Metric::Accuracy picks the kind that fits",
                m.name(),
                loss.name(),
                loss.target_kind()
            )));
        }
    }
    Ok(())
}

fn epoch_logs(loss: &Running, metrics: &[Metric], running: &[Running]) -> Vec<(String, f64)> {
    let mut logs = vec![("loss".to_string(), loss.value())];
    logs.extend(
        metrics
            .iter()
            .zip(running)
            .map(|(m, r)| (m.name().to_string(), r.value())),
    );
    logs
}

/// The micro-shards of a data-parallel step when `FitOptions::micro_shards` is 0: enough for up
/// to 8 ranks to have work (more ranks need `micro_shards` set).
const GROUP_MICRO_SHARDS: usize = 8;

/// FNV-1a over bytes, for the fingerprint of a data-parallel run (not cryptographic: it catches
/// ranks that load different data by mistake).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Adds `bytes`.
    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// Adds the bits of `values`, four bytes at a time.
    fn floats(&mut self, values: &[f32]) {
        for v in values {
            self.0 = (self.0 ^ v.to_bits() as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
}
