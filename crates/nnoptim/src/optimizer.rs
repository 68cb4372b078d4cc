//! The `Optimizer` trait and the per-parameter state slots optimizers share.

use crate::OptimError;
use nnautograd::nntensor::Tensor;
use nnautograd::{Grads, Param, StateDict};

/// Updates parameters from their gradients. One call of [`Optimizer::step`] is one update.
///
/// State (momentum buffers, moment estimates) is kept per parameter **position** in the slice
/// passed to `step`, so pass the same parameters in the same order every step (a model's
/// `parameters_mut()` does). Parameters without a gradient are left untouched, as in PyTorch.
pub trait Optimizer: Send {
    /// Applies one update to `params` using their gradients in `grads`.
    fn step(&mut self, params: &mut [&mut Param], grads: &Grads);

    /// The current learning rate.
    fn learning_rate(&self) -> f32;

    /// Sets the learning rate (schedules call this between epochs).
    fn set_learning_rate(&mut self, lr: f32);

    /// A short name (`sgd`, `rmsprop`, `adam`, `adamw`).
    fn name(&self) -> &'static str;

    /// Everything needed to resume exactly: step count, hyperparameters, buffers.
    fn state_dict(&self) -> StateDict;

    /// Restores a state saved by [`Optimizer::state_dict`] of the same optimizer type.
    fn load_state_dict(&mut self, state: &StateDict) -> Result<(), OptimError>;
}

/// One buffer per parameter position, created (zero-filled) on first use.
#[derive(Debug, Clone, Default)]
pub(crate) struct Slots {
    buffers: Vec<Option<Tensor>>,
}

impl Slots {
    /// The buffer of parameter `i` (`param`), zero-filled on first use, on the parameter's
    /// device (moved there once if the parameter moved, or the state was loaded from a file).
    #[track_caller]
    pub(crate) fn get(&mut self, i: usize, param: &Tensor) -> &mut Tensor {
        let (shape, device) = (param.shape(), param.device());
        if self.buffers.len() <= i {
            self.buffers.resize_with(i + 1, || None);
        }
        let buffer = self.buffers[i].get_or_insert_with(|| Tensor::zeros_on(shape, &device));
        if buffer.device() != device {
            *buffer = buffer.to(&device);
        }
        assert!(
            buffer.shape() == shape,
            "optimizer: parameter {i} has shape {shape:?} but its state has {:?}; pass the same parameters in the same order every step",
            buffer.shape()
        );
        buffer
    }

    /// Takes parameter `i`'s buffer out (as [`Slots::get`] makes it), to be [`Slots::put`] back.
    #[track_caller]
    pub(crate) fn take(&mut self, i: usize, param: &Tensor) -> Tensor {
        self.get(i, param);
        self.buffers[i].take().expect("created by get")
    }

    /// Puts back a buffer taken with [`Slots::take`].
    pub(crate) fn put(&mut self, i: usize, buffer: Tensor) {
        self.buffers[i] = Some(buffer);
    }

    /// Whether parameter `i` has a buffer yet.
    pub(crate) fn has(&self, i: usize) -> bool {
        self.buffers.get(i).is_some_and(|b| b.is_some())
    }

    /// Saves the buffers as `{prefix}.{i}` tensors.
    pub(crate) fn save(&self, prefix: &str, state: &mut StateDict) {
        for (i, buffer) in self.buffers.iter().enumerate() {
            if let Some(b) = buffer {
                state.set_tensor(&format!("{prefix}.{i}"), b.clone());
            }
        }
    }

    /// Loads the `{prefix}.{i}` tensors of `state`. Indices must be written canonically and be
    /// fewer than the state's tensors, so a damaged state cannot ask for a huge buffer list.
    pub(crate) fn load(prefix: &str, state: &StateDict) -> Result<Slots, OptimError> {
        let mut slots = Slots::default();
        for (name, tensor) in &state.tensors {
            let Some(index) = name.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) else {
                continue;
            };
            let i = slot_index(index, state.tensors.len()).ok_or_else(|| {
                OptimError::BadState(format!("tensor `{name}` has no valid slot index"))
            })?;
            if slots.buffers.len() <= i {
                slots.buffers.resize_with(i + 1, || None);
            }
            if slots.buffers[i].is_some() {
                return Err(OptimError::BadState(format!(
                    "tensor `{name}` appears twice"
                )));
            }
            slots.buffers[i] = Some(tensor.clone());
        }
        Ok(slots)
    }
}

/// Parses a slot index written as `usize::to_string` would, below `limit`.
pub(crate) fn slot_index(text: &str, limit: usize) -> Option<usize> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    let i: usize = if canonical {
        text.parse().ok()?
    } else {
        return None;
    };
    (i < limit).then_some(i)
}

/// Checks that every `{prefix}.{i}` tensor of an optimizer state has the shape of parameter
/// `i` of `params`: call it before training on a state loaded from a file.
///
/// ```
/// use nnoptim::{check_state_shapes, Adam, Optimizer};
/// use nnautograd::{nntensor::Tensor, Param, Tape};
/// let mut w = Param::new(Tensor::zeros(vec![3]));
/// let mut adam = Adam::new(0.1);
/// let grads = Tape::new().param(&w).sum().backward();
/// adam.step(&mut [&mut w], &grads);
/// let state = adam.state_dict();
/// assert!(check_state_shapes(&state, &[&w]).is_ok());
/// let other = Param::new(Tensor::zeros(vec![4]));
/// assert!(check_state_shapes(&state, &[&other]).is_err());
/// ```
pub fn check_state_shapes(state: &StateDict, params: &[&Param]) -> Result<(), OptimError> {
    for (name, tensor) in &state.tensors {
        let index = name
            .rsplit_once('.')
            .and_then(|(_, i)| slot_index(i, params.len()));
        let Some(i) = index else {
            return Err(OptimError::BadState(format!(
                "tensor `{name}` belongs to no parameter of this model ({} parameters)",
                params.len()
            )));
        };
        if tensor.shape() != params[i].shape() {
            return Err(OptimError::BadState(format!(
                "tensor `{name}` has shape {:?} but parameter {i} has shape {:?}",
                tensor.shape(),
                params[i].shape()
            )));
        }
    }
    Ok(())
}

/// Reads a float hyperparameter from a saved state.
pub(crate) fn float(
    state: &StateDict,
    optimizer: &'static str,
    name: &'static str,
) -> Result<f64, OptimError> {
    state
        .float(name)
        .ok_or(OptimError::MissingState { optimizer, name })
}

/// Checks that a saved state belongs to `optimizer`.
pub(crate) fn check_kind(state: &StateDict, optimizer: &'static str) -> Result<(), OptimError> {
    let found = state
        .integers
        .iter()
        .find(|(n, _)| n == "kind")
        .map(|(_, k)| *k);
    let expected = kind_code(optimizer);
    match found {
        Some(k) if k == expected => Ok(()),
        _ => Err(OptimError::WrongOptimizer {
            expected: optimizer,
        }),
    }
}

/// A stable numeric code per optimizer type, stored as the `kind` integer of its state.
pub(crate) fn kind_code(optimizer: &str) -> u64 {
    match optimizer {
        "sgd" => 1,
        "rmsprop" => 2,
        "adam" => 3,
        "adamw" => 4,
        _ => 0,
    }
}

/// Rebuilds the optimizer that saved `state` (its type, hyperparameters and buffers), e.g. to
/// resume training from a checkpoint.
///
/// ```
/// use nnoptim::{optimizer_from_state, Optimizer, RmsProp};
/// let saved = RmsProp::keras().with_momentum(0.5).state_dict();
/// let opt = optimizer_from_state(&saved).unwrap();
/// assert_eq!(opt.name(), "rmsprop");
/// assert_eq!(opt.state_dict(), saved);
/// ```
pub fn optimizer_from_state(state: &StateDict) -> Result<Box<dyn Optimizer>, OptimError> {
    let mut optimizer: Box<dyn Optimizer> = match state.integer("kind") {
        Some(1) => Box::new(crate::Sgd::new(0.0)),
        Some(2) => Box::new(crate::RmsProp::new(0.0)),
        Some(3) => Box::new(crate::Adam::new(0.0)),
        Some(4) => Box::new(crate::Adam::adamw(0.0, 0.0)),
        _ => return Err(OptimError::UnknownOptimizer),
    };
    optimizer.load_state_dict(state)?;
    Ok(optimizer)
}
