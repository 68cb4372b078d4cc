//! The operations a tape records: one variant per differentiable op, holding the indices of its
//! input nodes and whatever its backward needs beyond the stored node values.

use crate::ParamId;
use nntensor::{Tensor, UnaryOp};

/// A recorded operation. Inputs are node indices on the same tape; every node's value is kept
/// until `backward`, so most variants need nothing else.
#[derive(Debug)]
pub(crate) enum Op {
    /// Data, a constant, or a leaf variable (whether it needs a gradient is on the node).
    Leaf,
    /// A parameter's shared array.
    Param(ParamId),
    Add(usize, usize),
    Sub(usize, usize),
    Mul(usize, usize),
    Div(usize, usize),
    /// An elementwise map of one input (activations, maths functions, scalar arithmetic).
    Unary(usize, UnaryOp),
    SumAll(usize),
    MeanAll(usize),
    MaxAll(usize),
    SumAxis(usize, usize),
    MeanAxis(usize, usize),
    MaxAxis(usize, usize),
    Softmax(usize, usize),
    LogSoftmax(usize, usize),
    Reshape(usize),
    Transpose(usize),
    SliceRows(usize, usize),
    GatherRows(usize, Vec<usize>),
    MatMul(usize, usize),
    /// `x·w + b` in one GEMM; `b` optional.
    Linear {
        x: usize,
        w: usize,
        b: Option<usize>,
    },
    /// A fused loss (softmax cross-entropy, squared error, BCE on logits): a scalar whose
    /// gradient with respect to `input`, `dinput`, the forward pass computed and saved.
    Loss {
        input: usize,
        dinput: Tensor,
    },
}
