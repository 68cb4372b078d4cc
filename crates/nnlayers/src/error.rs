//! Errors of this crate: shapes that do not fit a layer, and model files that cannot be read.

use std::path::PathBuf;
use thiserror::Error;

/// Writes a per-sample shape the way Keras prints it, with `None` for the batch axis.
pub fn shape_text(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("(None, {})", dims.join(", "))
}

/// A shape that does not fit a layer, found before any maths runs.
#[derive(Debug, Error, Clone, PartialEq)]
#[error("layer `{layer}` expects inputs of shape {}, got {}: {hint}", shape_text(.expected), shape_text(.actual))]
pub struct ShapeError {
    /// The layer's name (e.g. `linear_1`).
    pub layer: String,
    /// The per-sample shape it takes (without the batch axis).
    pub expected: Vec<usize>,
    /// The per-sample shape it was given.
    pub actual: Vec<usize>,
    /// What to do about it.
    pub hint: String,
}

/// Why a model file could not be written or read.
#[derive(Debug, Error)]
pub enum ModelFileError {
    /// The operating system refused (missing file, permissions, disk full…).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is neither a safetensors file nor a version-1 nnfacade file.
    #[error(
        "{path}: not an nnfacade model file (neither a safetensors file nor one starting with the bytes `NNFACADE`)"
    )]
    NotAModelFile {
        /// The file.
        path: PathBuf,
    },
    /// Written by a newer nnfacade.
    #[error("{path}: model file format version {found} is newer than this build reads (up to {supported}); upgrade nnfacade")]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// The file is a model where a checkpoint was expected, or the other way round.
    #[error("{path}: this is a {found} file, expected a {expected} file")]
    WrongKind {
        /// The file.
        path: PathBuf,
        /// What the caller asked for.
        expected: &'static str,
        /// What the file holds.
        found: &'static str,
    },
    /// The file ends before the data its header describes.
    #[error("{path}: the file is truncated: {detail} (was it copied or written completely?)")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// What is missing.
        detail: String,
    },
    /// The contents are damaged or inconsistent.
    #[error("{path}: the file is corrupt: {detail}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A parameter in the file does not fit the model it is loaded into.
    #[error("{path}: parameter `{name}` has shape {found:?} in the file but {expected:?} in the model; the file was saved from a different architecture")]
    ShapeMismatch {
        /// The file.
        path: PathBuf,
        /// The parameter (e.g. `linear_1.weight`).
        name: String,
        /// Its shape in the model.
        expected: Vec<usize>,
        /// Its shape in the file.
        found: Vec<usize>,
    },
    /// The model and the file list different parameters.
    #[error("{path}: {detail}; the file was saved from a different architecture")]
    ArchitectureMismatch {
        /// The file.
        path: PathBuf,
        /// Which parameters differ.
        detail: String,
    },
    /// A safetensors file of weights only (no nnfacade architecture in its metadata), such as a
    /// PyTorch `state_dict`, asked to rebuild a model.
    #[error("{path}: a safetensors file of weights only (no nnfacade architecture in its metadata, as PyTorch's save_file writes): build the model in code, then call Sequential::load_weights on this file")]
    WeightsOnly {
        /// The file.
        path: PathBuf,
    },
    /// A weights-only file (a PyTorch `state_dict`) whose tensors do not fit the model.
    #[error("{path}: the weights do not fit this model: {detail}")]
    StateDictMismatch {
        /// The file.
        path: PathBuf,
        /// The missing, unexpected and mis-shaped tensors, and how they were matched.
        detail: String,
    },
    /// What was asked to be saved cannot be written as a file (clashing names, say).
    #[error("{path}: cannot save: {detail}")]
    CannotSave {
        /// The file.
        path: PathBuf,
        /// Why, and what to change.
        detail: String,
    },
    /// The model has a layer that cannot be written to a file.
    #[error("layer `{layer}` is a custom layer without a saved form (Module::spec returns None); only built-in layers can be saved")]
    Unsavable {
        /// The layer's name.
        layer: String,
    },
}
