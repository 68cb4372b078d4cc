//! Errors for tensor construction from user data.

use thiserror::Error;

/// What went wrong building a tensor from data the user handed in.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TensorError {
    /// The number of values does not fit the requested shape.
    #[error("cannot build a tensor of shape {shape:?} ({expected} values) from {actual} values")]
    DataLength {
        /// Requested shape.
        shape: Vec<usize>,
        /// Values that shape holds.
        expected: usize,
        /// Values that were supplied.
        actual: usize,
    },
    /// A class label is outside `0..classes`.
    #[error(
        "label {label} at position {position} is out of range for {classes} classes \
         (labels must be class indices 0..{classes})"
    )]
    LabelOutOfRange {
        /// The offending label.
        label: usize,
        /// Its index in the label list.
        position: usize,
        /// Number of classes.
        classes: usize,
    },
}
