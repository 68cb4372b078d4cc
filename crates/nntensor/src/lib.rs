#![doc = include_str!("../README.md")]

pub mod cpu;
mod device;
mod error;
pub mod file;
#[cfg(feature = "gpu")]
pub mod gpu;
mod init;
mod ops;
mod rng;
mod tensor;

pub use device::{Device, Storage};
pub use error::TensorError;
pub use init::{fans, Init};
pub use ndarray;
pub use ops::binary::{
    add, binary, binary_assign, binary_backward, broadcast_shape, broadcast_to, div, eq, ge, gt,
    le, lt, masked_fill, maximum, minimum, mul, ne, pow, sub, unbroadcast, where_cond, BinaryOp,
};
pub use ops::conv::{
    avg_pool2d, avg_pool2d_backward, conv2d, conv2d_backward, conv2d_relu_max_pool2d,
    conv2d_relu_max_pool2d_backward, max_pool2d, max_pool2d_backward, relu_max_pool2d,
    relu_max_pool2d_backward, Conv2dSpec, Pool2dSpec,
};
pub use ops::indexing::{
    cat, flip, gather, index_add, index_select, narrow, narrow_backward, pad, pad_backward,
    permute, repeat, repeat_backward, scatter_add, stack,
};
pub use ops::layout::{
    embed_rows, gather_rows, one_hot, reshape, scalar, scatter_add_rows, slice_rows, transpose,
};
pub use ops::matmul::{is_direct, matmul, matmul_backward, BroadcastMatmul};
pub use ops::nn::{
    binary_cross_entropy_with_logits, linear, linear_backward, softmax_cross_entropy,
    sparse_softmax_cross_entropy, squared_error, LossAndGrad,
};
pub use ops::optim::{
    adam_update, rmsprop_update, sgd_momentum_update, sgd_update, sum_squares, AdamStep,
    RmsPropStep, SgdStep,
};
pub use ops::reduce::{
    argmax_axis, max_all, max_axis, max_backward, mean_all, mean_axis, sum_all, sum_axis,
};
pub use ops::reduce_axes::{
    amax, amin, cumsum, cumsum_backward, logsumexp, mean_axes, norm, normalize_axes,
    normalize_axis, prod, reduce, reduce_backward, std_dev, sum_axes, var, Norm, Reduce,
};
pub use ops::softmax::{log_softmax, log_softmax_backward, softmax, softmax_backward};
pub use ops::unary::{
    abs, clamp, cos, elu, erf, exp, expm1, gelu, gelu_tanh, hardtanh, leaky_relu, log, log1p,
    log_sigmoid, neg, powf, powi, reciprocal, relu, rsqrt, selu, sigmoid, sign, silu, sin,
    softplus, softsign, sqrt, square, tanh, unary, unary_backward, unary_into, UnaryOp,
};
pub use rng::Rng;
pub use tensor::{Shape, Tensor};
