#![doc = include_str!("../README.md")]

mod adam;
mod clip;
mod error;
mod optimizer;
mod rmsprop;
mod schedule;
mod sgd;

pub use adam::Adam;
pub use clip::{clip_grad_norm, clip_grad_value};
pub use error::OptimError;
pub use optimizer::{check_state_shapes, optimizer_from_state, Optimizer};
pub use rmsprop::{RmsProp, RmsPropRule};
pub use schedule::{CosineAnnealing, ExponentialDecay, Schedule, StepDecay};
pub use sgd::Sgd;
