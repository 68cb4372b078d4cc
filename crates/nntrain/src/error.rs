//! Errors of the training loop: data that does not fit the model, and training that goes wrong.

use thiserror::Error;

/// Why `fit`, `evaluate`, `predict` or a model file operation failed.
#[derive(Debug, Error)]
pub enum TrainError {
    /// The ranks of a data-parallel `fit` disagree (model, options or data), or rank 0 stopped
    /// with an error.
    #[error("data-parallel training: {0}")]
    Distributed(String),
    /// `fit` or `evaluate` was called before `compile`.
    #[error("the model is not compiled: call model.compile(optimizer, loss, metrics) before fit or evaluate")]
    NotCompiled,
    /// The inputs do not fit the model's first layers.
    #[error("{data} have shape {shape} but {detail}")]
    InputShape {
        /// Which data (`training inputs`, `validation inputs`, `inputs to predict`).
        data: &'static str,
        /// The data's full shape, as text.
        shape: String,
        /// The layer, what it takes, and the fix.
        detail: String,
    },
    /// The targets do not fit the model's output and the loss.
    #[error("{data} have shape {shape} but {detail}")]
    TargetShape {
        /// Which data (`training targets`, `validation targets`).
        data: &'static str,
        /// The data's full shape, as text.
        shape: String,
        /// What the loss needs, and the fix.
        detail: String,
    },
    /// Inputs and targets have different numbers of rows.
    #[error("{inputs} input rows but {targets} target rows: every sample needs one target")]
    RowMismatch {
        /// Input rows.
        inputs: usize,
        /// Target rows.
        targets: usize,
    },
    /// A NaN or infinity in the data.
    #[error("{data} contain {value} at row {row} (column {column}); clean or drop that row first (models never see NaN or infinity)")]
    NonFiniteData {
        /// Which data.
        data: &'static str,
        /// The value found.
        value: f32,
        /// Its row.
        row: usize,
        /// Its flat column within the row.
        column: usize,
    },
    /// The loss became NaN or infinite: training stopped before the update that would spread it.
    #[error("training diverged: the loss became {value} at epoch {epoch}, step {step} of {steps}; lower the learning rate, check the data, or clip the gradients")]
    NonFiniteLoss {
        /// Epoch, from 1.
        epoch: usize,
        /// Step within the epoch, from 1.
        step: usize,
        /// Steps per epoch.
        steps: usize,
        /// The loss value.
        value: f32,
    },
    /// An option is out of range.
    #[error("{0}")]
    InvalidOption(String),
    /// A data problem from `nndata`.
    #[error(transparent)]
    Data(#[from] nndata::DataError),
    /// A model file problem.
    #[error(transparent)]
    ModelFile(#[from] nnlayers::ModelFileError),
    /// A checkpoint whose optimizer state cannot be restored.
    #[error("{path}: {source}")]
    Optimizer {
        /// The checkpoint.
        path: std::path::PathBuf,
        /// What is wrong.
        source: nnoptim::OptimError,
    },
    /// A checkpoint without the training-loop state this build writes.
    #[error("{path}: not a training checkpoint (it has no `{section}` section); was it saved with Model::save instead?")]
    NotACheckpoint {
        /// The file.
        path: std::path::PathBuf,
        /// The missing section.
        section: &'static str,
    },
    /// Writing a history or plot failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// `(60000, 28, 28)`.
pub(crate) fn shape_string(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    }
}
