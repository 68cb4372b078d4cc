//! The operations a tape records: one variant per differentiable op, holding the indices of its
//! input nodes and whatever its backward needs beyond the stored node values.

use crate::ParamId;
use nntensor::{BinaryOp, Reduce, Tensor, UnaryOp};

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
    /// A broadcasting binary op whose gradient `nntensor::binary_backward` computes (maximum,
    /// minimum, pow).
    Binary(usize, usize, BinaryOp),
    /// A reduction over `axes` (as the user gave them: negative allowed).
    Reduce {
        input: usize,
        op: Reduce,
        axes: Vec<isize>,
        keepdim: bool,
    },
    /// The axes in a new order.
    Permute(usize, Vec<usize>),
    /// Broadcast up to a larger shape.
    Expand(usize),
    /// Entries `start..` along `axis` (the output's length).
    Narrow {
        input: usize,
        axis: isize,
        start: usize,
    },
    /// Entries `indices` along `axis`.
    IndexSelect {
        input: usize,
        axis: isize,
        indices: Vec<usize>,
    },
    /// Reversed along the axes.
    Flip(usize, Vec<isize>),
    /// `input[p with p[axis] = index[p]]` (the index boxed, as for `ScatterAdd`).
    Gather {
        input: usize,
        axis: isize,
        index: Box<Tensor>,
    },
    /// `input` with `src` added at the positions `index` names along `axis` (boxed: the
    /// largest variant sets every node's size).
    ScatterAdd {
        input: usize,
        src: usize,
        axis: isize,
        index: Box<Tensor>,
    },
    /// Tiled `counts` times per axis.
    Repeat {
        input: usize,
        counts: Vec<usize>,
    },
    /// Padded by `(before, after)` entries per axis.
    Pad {
        input: usize,
        widths: Vec<(usize, usize)>,
    },
    /// Inputs joined along an axis.
    Cat {
        inputs: Vec<usize>,
        axis: usize,
    },
    /// Running sums along an axis.
    Cumsum(usize, isize),
    /// `a` where `cond` is non-zero, else `b` (broadcast together).
    Where {
        cond: Box<Tensor>,
        a: usize,
        b: usize,
    },
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
    /// A 2-D convolution of `x` with `w`, plus `b` (the geometry boxed, as for `MaxPool2d`).
    Conv2d {
        x: usize,
        w: usize,
        b: Option<usize>,
        spec: Box<nntensor::Conv2dSpec>,
    },
    /// Max pooling, with each window's maximum position from the forward (boxed: the largest
    /// variant sets the size of every node, which the tiny-step workloads copy per op).
    MaxPool2d {
        input: usize,
        saved: Box<(Tensor, nntensor::Pool2dSpec)>,
    },
    /// ReLU then max pooling in one node ([`Var::relu_max_pool2d`](crate::Var::relu_max_pool2d)),
    /// with the forward's maximum positions; the pooled values are the node's own value.
    ReluMaxPool2d {
        input: usize,
        saved: Box<(Tensor, nntensor::Pool2dSpec)>,
    },
    /// A convolution, ReLU and max pooling in one node
    /// ([`Var::conv2d_relu_max_pool2d`](crate::Var::conv2d_relu_max_pool2d)), with the forward's
    /// maximum positions and both geometries; the pooled values are the node's own value.
    Conv2dReluMaxPool2d {
        x: usize,
        w: usize,
        b: Option<usize>,
        saved: Box<(Tensor, nntensor::Conv2dSpec, nntensor::Pool2dSpec)>,
    },
    /// Average pooling.
    AvgPool2d {
        input: usize,
        spec: nntensor::Pool2dSpec,
    },
    /// A fused loss (softmax cross-entropy, squared error, BCE on logits): a scalar whose
    /// gradient with respect to `input`, `dinput`, the forward pass computed and saved.
    Loss {
        input: usize,
        dinput: Tensor,
    },
}

impl Op {
    /// The op's name, for panic messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Op::Unary(_, op) => format!("{op:?}"),
            Op::Binary(_, _, op) => op.name().to_string(),
            other => {
                let text = format!("{other:?}");
                text.split(['(', ' ', '{'])
                    .next()
                    .unwrap_or("op")
                    .to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_node_op_stays_small() {
        // Every recorded node holds an `Op`; the tiny-step workloads (W4, W5) copy one per op.
        // The largest variant is the fused loss (its input and its saved gradient, a `Tensor`,
        // whose size depends on the backends compiled in): any variant larger than that boxes
        // what it saves.
        let limit = std::mem::size_of::<nntensor::Tensor>() + 16;
        assert!(
            std::mem::size_of::<super::Op>() <= limit,
            "Op is {} bytes, more than {limit}",
            std::mem::size_of::<super::Op>()
        );
    }
}
