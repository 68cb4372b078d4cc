#![doc = include_str!("../README.md")]

mod backward;
mod gradcheck;
mod grads;
mod op;
mod ops;
mod param;
mod state;
mod tape;

pub use gradcheck::{gradcheck, gradcheck_with, GradcheckError, GradcheckOptions};
pub use grads::Grads;
pub use nntensor;
pub use nntensor::Tensor;
pub use param::{Param, ParamId};
pub use state::StateDict;
pub use tape::{Tape, Var};
