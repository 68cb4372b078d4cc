//! Training checkpoints: the network, the optimizer's state and the training loop's own state.

use crate::{Loss, Metric, TrainError};
use nnautograd::StateDict;
use nnlayers::Sequential;
use nnoptim::Optimizer;
use std::path::Path;

/// What the training loop needs to continue exactly: epochs done and the compile settings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TrainerState {
    pub(crate) epochs_done: usize,
    pub(crate) loss: Loss,
    pub(crate) metrics: Vec<Metric>,
}

impl TrainerState {
    pub(crate) fn to_state(&self) -> StateDict {
        let mut s = StateDict::default();
        s.set_integer("epochs_done", self.epochs_done as u64);
        s.set_integer("loss", self.loss.code());
        s.set_integer("metric_count", self.metrics.len() as u64);
        for (i, m) in self.metrics.iter().enumerate() {
            s.set_integer(&format!("metric.{i}"), m.code());
        }
        s
    }

    pub(crate) fn from_state(path: &Path, s: &StateDict) -> Result<TrainerState, TrainError> {
        let bad = || TrainError::NotACheckpoint {
            path: path.into(),
            section: "trainer",
        };
        let epochs_done = s.integer("epochs_done").ok_or_else(bad)? as usize;
        let loss = s
            .integer("loss")
            .and_then(Loss::from_code)
            .ok_or_else(bad)?;
        let count = s.integer("metric_count").ok_or_else(bad)?.min(64);
        let metrics = (0..count)
            .map(|i| {
                s.integer(&format!("metric.{i}"))
                    .and_then(Metric::from_code)
                    .ok_or_else(bad)
            })
            .collect::<Result<_, _>>()?;
        Ok(TrainerState {
            epochs_done,
            loss,
            metrics,
        })
    }
}

pub(crate) fn write_checkpoint(
    path: &Path,
    network: &Sequential,
    optimizer: &dyn Optimizer,
    trainer: &TrainerState,
) -> Result<(), TrainError> {
    let optimizer_state = optimizer.state_dict();
    let trainer_state = trainer.to_state();
    nnlayers::save_checkpoint(
        path,
        network,
        &[("optimizer", &optimizer_state), ("trainer", &trainer_state)],
    )?;
    Ok(())
}
