#![doc = include_str!("../README.md")]

/// Tensor maths: the [`Tensor`](nntensor::Tensor) type, matmul, broadcasting, initializers.
pub use nntensor as tensor;

/// Reverse-mode autograd: [`Tape`](nnautograd::Tape), [`Var`](nnautograd::Var), [`Param`](nnautograd::Param), `gradcheck`.
pub use nnautograd as autograd;

/// Layers, losses and model files: [`Sequential`](nnlayers::Sequential), [`Linear`](nnlayers::Linear), `save`/`load`.
pub use nnlayers as layers;

/// Optimizers, clipping and schedules: [`Sgd`](nnoptim::Sgd), [`RmsProp`](nnoptim::RmsProp), [`Adam`](nnoptim::Adam).
pub use nnoptim as optim;

/// Datasets: the MNIST / IDX reader, synthetic tutorial sets, [`Dataset`](nndata::Dataset) and batching.
pub use nndata as data;

/// The Keras-like training loop: [`Model`](nntrain::Model), `compile`, `fit`, `evaluate`, `predict`, callbacks.
pub use nntrain as train;

/// The names most programs need, in one `use nnfacade::prelude::*;`.
pub mod prelude {
    pub use nnautograd::{gradcheck, Grads, Param, ParamId, Tape, Var};
    pub use nndata::{Batch, Dataset};
    pub use nnlayers::{Context, Linear, Module, Reduction, Sequential};
    pub use nnoptim::Schedule;
    pub use nnoptim::{Adam, Optimizer, RmsProp, Sgd};
    pub use nntensor::{Device, Init, Rng, Tensor};
    pub use nntrain::{
        EarlyStopping, FitOptions, History, Loss, Metric, Model, ModelCheckpoint, Verbosity,
    };
}
