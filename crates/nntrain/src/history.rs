//! `History`: the loss and metrics of every epoch, exportable as CSV or JSON.

use crate::TrainError;
use std::path::Path;

/// What `fit` measured, per epoch: `loss`, each metric, and `val_…` versions when validating.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Epoch numbers, from 1.
    pub epochs: Vec<usize>,
    /// Each series by name, one value per epoch, in the order first seen.
    pub series: Vec<(String, Vec<f64>)>,
    /// Seconds each epoch took (training and validation).
    pub seconds: Vec<f64>,
    /// Warnings about the data or the build, also printed unless silent.
    pub warnings: Vec<String>,
    /// Why training stopped before the last epoch, if it did (e.g. early stopping).
    pub stopped_early: Option<String>,
}

impl History {
    /// The values of one series (`"loss"`, `"val_accuracy"`), if recorded.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        self.series
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The last value of one series.
    pub fn last(&self, name: &str) -> Option<f64> {
        self.get(name).and_then(|v| v.last().copied())
    }

    /// Appends one epoch's values.
    pub(crate) fn push(&mut self, epoch: usize, logs: &[(String, f64)], seconds: f64) {
        self.epochs.push(epoch);
        self.seconds.push(seconds);
        for (name, value) in logs {
            match self.series.iter_mut().find(|(n, _)| n == name) {
                Some((_, values)) => values.push(*value),
                None => self.series.push((name.clone(), vec![*value])),
            }
        }
    }

    /// The history as CSV: a header `epoch,loss,…`, then one row per epoch.
    ///
    /// ```
    /// let mut h = nntrain::History::default();
    /// h.epochs = vec![1, 2];
    /// h.series = vec![("loss".into(), vec![0.5, 0.25])];
    /// assert_eq!(h.to_csv(), "epoch,loss\n1,0.5\n2,0.25\n");
    /// ```
    pub fn to_csv(&self) -> String {
        let mut out = String::from("epoch");
        for (name, _) in &self.series {
            out.push(',');
            out.push_str(name);
        }
        out.push('\n');
        for (row, epoch) in self.epochs.iter().enumerate() {
            out.push_str(&epoch.to_string());
            for (_, values) in &self.series {
                out.push(',');
                if let Some(v) = values.get(row) {
                    out.push_str(&v.to_string());
                }
            }
            out.push('\n');
        }
        out
    }

    /// The history as a JSON object: `{"epoch": [...], "loss": [...], ...}` (non-finite values as `null`).
    pub fn to_json(&self) -> String {
        let list = |values: Vec<String>| format!("[{}]", values.join(","));
        let mut fields = vec![format!(
            "\"epoch\":{}",
            list(self.epochs.iter().map(|e| e.to_string()).collect())
        )];
        for (name, values) in &self.series {
            let values = values
                .iter()
                .map(|v| {
                    if v.is_finite() {
                        v.to_string()
                    } else {
                        "null".into()
                    }
                })
                .collect();
            fields.push(format!("\"{}\":{}", name.replace('"', "'"), list(values)));
        }
        format!("{{{}}}", fields.join(","))
    }

    /// Writes [`History::to_csv`] to `path`.
    pub fn save_csv(&self, path: impl AsRef<Path>) -> Result<(), TrainError> {
        write(path.as_ref(), &self.to_csv())
    }

    /// Writes [`History::to_json`] to `path`.
    pub fn save_json(&self, path: impl AsRef<Path>) -> Result<(), TrainError> {
        write(path.as_ref(), &self.to_json())
    }
}

pub(crate) fn write(path: &Path, text: &str) -> Result<(), TrainError> {
    nnlayers::write_atomically(path, text.as_bytes()).map_err(|e| match e {
        nnlayers::ModelFileError::Io { path, source } => TrainError::Io { path, source },
        other => TrainError::ModelFile(other),
    })
}
