//! Errors restoring an optimizer's saved state.

use thiserror::Error;

/// Why a saved optimizer state could not be restored.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum OptimError {
    /// The state was saved by another optimizer type.
    #[error("the saved optimizer state does not belong to a `{expected}` optimizer")]
    WrongOptimizer {
        /// The optimizer asked to load it.
        expected: &'static str,
    },
    /// The state is damaged or does not fit the parameters.
    #[error("the saved optimizer state is invalid: {0}")]
    BadState(String),
    /// The state names no optimizer this build knows.
    #[error("the saved state does not name a known optimizer (sgd, rmsprop, adam, adamw)")]
    UnknownOptimizer,
    /// A value the optimizer needs is missing.
    #[error("the saved `{optimizer}` state has no `{name}`")]
    MissingState {
        /// The optimizer.
        optimizer: &'static str,
        /// The missing value.
        name: &'static str,
    },
}
