#![doc = include_str!("../README.md")]

mod broadcast;
mod error;
mod fastmath;
mod init;
mod layout;
mod matmul;
mod reduce;
mod rng;
mod softmax;
mod unary;
mod wide;

/// The tensor type of nnfacade: a dynamically-shaped, row-major `f32` array from `ndarray`.
pub type Tensor = ndarray::ArrayD<f32>;

pub use broadcast::{broadcast_shape, unbroadcast, zip_broadcast};
pub use error::TensorError;
pub use fastmath::{exp_fast, ln_1p_unit};
pub use init::{fans, Init};
pub use layout::{
    gather_rows, one_hot, reshape, scalar, scatter_add_rows, slice_rows, tensor_from_vec, transpose,
};
pub use matmul::{batched_matmul, gemm, matmul, matmul_2d, single_threaded, PARALLEL_MIN_MACS};
pub use ndarray;
pub use reduce::{
    argmax_axis, max_all, max_axis, mean_all, mean_axis, sum_all, sum_axis, sum_rows,
};
pub use rng::Rng;
pub use softmax::{log_softmax, softmax};
pub use unary::{
    abs, clamp, exp, leaky_relu, log, neg, powf, powi, relu, sigmoid, sigmoid_scalar, softplus,
    sqrt, tanh,
};
pub use wide::wide;
