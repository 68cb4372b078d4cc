#![doc = include_str!("../README.md")]

mod activation;
mod batch_norm;
mod conv;
mod dropout;
mod embedding;
mod error;
mod file;
mod file_v1;
mod file_v2;
mod flatten;
mod layer_norm;
mod linear;
mod loss;
mod module;
mod normalization;
mod sequential;
mod spec;
mod torch_loss;
mod torch_weights;

pub use activation::{Activation, ActivationFn};
pub use batch_norm::{BatchNorm, BatchNorm1d, BatchNorm2d};
pub use conv::{AvgPool2d, Conv2d, GlobalAvgPool2d, MaxPool2d, Padding, Pool2d};
pub use dropout::Dropout;
pub use embedding::Embedding;
pub use error::{shape_text, ModelFileError, ShapeError};
pub use file::{
    checkpoint_from_bytes, checkpoint_to_bytes, load_checkpoint, save_checkpoint, write_atomically,
    Checkpoint, FORMAT_VERSION,
};
pub use flatten::Flatten;
pub use layer_norm::LayerNorm;
pub use linear::Linear;
pub use loss::{
    binary_cross_entropy, binary_cross_entropy_with_logits, categorical_cross_entropy, mse,
    softmax_cross_entropy, sparse_categorical_cross_entropy, sparse_softmax_cross_entropy,
    Reduction, PROBABILITY_EPSILON,
};
pub use module::{Context, Module};
pub use nnautograd;
pub use normalization::Normalization;
pub use sequential::Sequential;
pub use spec::LayerSpec;
pub use torch_loss::{
    bce_with_logits_pos_weight, cross_entropy, huber_loss, kl_div, l1_loss, nll_loss,
    smooth_l1_loss, ClassLossOptions,
};
