#![doc = include_str!("../README.md")]

mod callback;
mod check;
mod checkpoint;
mod error;
mod group;
mod history;
mod loss;
mod metric;
mod model;
mod options;
mod parallel;
mod plan;
mod plot;
mod progress;
mod step;
mod weights;

pub use callback::{
    Callback, Control, EarlyStopping, EpochCallback, EpochEnd, ModelCheckpoint, TrainBegin,
};
pub use error::TrainError;
pub use group::{Gathered, GradientReduction, ProcessGroup};
pub use history::History;
pub use loss::{Loss, TargetKind};
pub use metric::Metric;
pub use model::{Evaluation, Model};
pub use options::{FitOptions, Verbosity};
pub use plot::plot_decision_boundary;
pub mod scores;
