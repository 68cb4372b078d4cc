#![doc = include_str!("../README.md")]

/// Tensor maths: the [`Tensor`](nntensor::Tensor) type, matmul, broadcasting, initializers.
pub use nntensor as tensor;

/// Reverse-mode autograd: [`Tape`](nnautograd::Tape), [`Var`](nnautograd::Var), [`Param`](nnautograd::Param), `gradcheck`.
pub use nnautograd as autograd;

/// The names most programs need, in one `use nnfacade::prelude::*;`.
pub mod prelude {
    pub use nnautograd::{gradcheck, Grads, Param, ParamId, Tape, Var};
    pub use nntensor::{Init, Rng, Tensor};
}
