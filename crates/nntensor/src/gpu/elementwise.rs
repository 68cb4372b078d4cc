//! Elementwise kernels: maps, broadcasting binary ops and their gradients, `where`, fills and
//! strided copies (which carry every layout op).

use super::buffer::GpuBuffer;
use super::context::{grid, GpuContext};
use super::params::{broadcast_strides, check_rank, fw, push_dims, push_strides, word};
use crate::ops::binary::BinaryOp;
use crate::ops::unary::UnaryOp;
use std::sync::Arc;

/// A unary op as the kernel's code and its two float parameters.
pub(crate) fn unary_code(op: UnaryOp) -> (u32, f32, f32) {
    match op {
        UnaryOp::Neg => (0, 0.0, 0.0),
        UnaryOp::Exp => (1, 0.0, 0.0),
        UnaryOp::Log => (2, 0.0, 0.0),
        UnaryOp::Sqrt => (3, 0.0, 0.0),
        UnaryOp::Abs => (4, 0.0, 0.0),
        UnaryOp::Sigmoid => (5, 0.0, 0.0),
        UnaryOp::Tanh => (6, 0.0, 0.0),
        UnaryOp::Relu => (7, 0.0, 0.0),
        UnaryOp::Softplus => (8, 0.0, 0.0),
        UnaryOp::LeakyRelu(s) => (9, s, 0.0),
        UnaryOp::Clamp { min, max } => (10, min, max),
        UnaryOp::Powi(n) => (11, n as f32, 0.0),
        UnaryOp::Powf(q) => (12, q, 0.0),
        UnaryOp::AddScalar(s) => (13, s, 0.0),
        UnaryOp::MulScalar(s) => (14, s, 0.0),
        UnaryOp::DivScalar(s) => (15, s, 0.0),
        UnaryOp::Sin => (16, 0.0, 0.0),
        UnaryOp::Cos => (17, 0.0, 0.0),
        UnaryOp::Log1p => (18, 0.0, 0.0),
        UnaryOp::Expm1 => (19, 0.0, 0.0),
        UnaryOp::Rsqrt => (20, 0.0, 0.0),
        UnaryOp::Reciprocal => (21, 0.0, 0.0),
        UnaryOp::Square => (22, 0.0, 0.0),
        UnaryOp::Sign => (23, 0.0, 0.0),
        UnaryOp::Erf => (24, 0.0, 0.0),
        UnaryOp::Gelu => (25, 0.0, 0.0),
        UnaryOp::GeluTanh => (26, 0.0, 0.0),
        UnaryOp::Silu => (27, 0.0, 0.0),
        UnaryOp::Elu(alpha) => (28, alpha, 0.0),
        UnaryOp::Selu => (29, 0.0, 0.0),
        UnaryOp::Softsign => (30, 0.0, 0.0),
        UnaryOp::LogSigmoid => (31, 0.0, 0.0),
        UnaryOp::Hardtanh { min, max } => (32, min, max),
    }
}

/// A binary op's kernel code.
pub(crate) fn binary_code(op: BinaryOp) -> u32 {
    match op {
        BinaryOp::Add => 0,
        BinaryOp::Sub => 1,
        BinaryOp::Mul => 2,
        BinaryOp::Div => 3,
        BinaryOp::Maximum => 4,
        BinaryOp::Minimum => 5,
        BinaryOp::Pow => 6,
        BinaryOp::Eq => 7,
        BinaryOp::Ne => 8,
        BinaryOp::Lt => 9,
        BinaryOp::Le => 10,
        BinaryOp::Gt => 11,
        BinaryOp::Ge => 12,
    }
}

/// `op(x)` elementwise.
pub(crate) fn unary(op: UnaryOp, x: &GpuBuffer) -> GpuBuffer {
    let (code, a, b) = unary_code(op);
    let out = GpuBuffer::uninit(&x.ctx, x.len());
    x.ctx.dispatch(
        "unary",
        &[word(x.len()), code, fw(a), fw(b)],
        &[x.raw(), out.raw()],
        grid(x.len()),
    );
    out
}

/// `g ⊙ op′` from the input `x` and output `y`.
pub(crate) fn unary_backward(
    op: UnaryOp,
    g: &GpuBuffer,
    x: &GpuBuffer,
    y: &GpuBuffer,
) -> GpuBuffer {
    let (code, a, b) = unary_code(op);
    let out = GpuBuffer::uninit(&g.ctx, g.len());
    g.ctx.dispatch(
        "unary_backward",
        &[word(g.len()), code, fw(a), fw(b)],
        &[g.raw(), x.raw(), y.raw(), out.raw()],
        grid(g.len()),
    );
    out
}

/// The parameters binary.wgsl and binary_grad.wgsl share: `[n, op, flag, rank, dims[8],
/// a_strides[8], b_strides[8]]`, with `flag` the kernel's own word (strided, or the side).
fn broadcast_params(
    op: BinaryOp,
    flag: u32,
    (a_dims, b_dims): (&[usize], &[usize]),
    out: &[usize],
) -> Vec<u32> {
    let n: usize = out.iter().product();
    let mut params = vec![word(n), binary_code(op), flag, word(out.len())];
    push_dims(&mut params, out);
    push_strides(&mut params, &broadcast_strides(a_dims, out));
    push_strides(&mut params, &broadcast_strides(b_dims, out));
    params
}

/// `op(a, b)` broadcast to `out`.
#[track_caller]
pub(crate) fn binary(
    op: BinaryOp,
    (a_dims, a): (&[usize], &GpuBuffer),
    (b_dims, b): (&[usize], &GpuBuffer),
    out: &[usize],
) -> GpuBuffer {
    check_rank(op.name(), out);
    let n: usize = out.iter().product();
    let result = GpuBuffer::uninit(&a.ctx, n);
    let direct = a_dims == out && b_dims == out;
    let params = broadcast_params(op, u32::from(!direct), (a_dims, b_dims), out);
    a.ctx.dispatch(
        "binary",
        &params,
        &[a.raw(), b.raw(), result.raw()],
        grid(n),
    );
    result
}

/// One side's gradient (`side` 0 for `a`, 1 for `b`) of a maximum, minimum or power, in the
/// broadcast shape `out`.
pub(crate) fn binary_grad(
    op: BinaryOp,
    side: u32,
    g: &GpuBuffer,
    (a_dims, a): (&[usize], &GpuBuffer),
    (b_dims, b): (&[usize], &GpuBuffer),
    out: &[usize],
) -> GpuBuffer {
    check_rank(op.name(), out);
    let n: usize = out.iter().product();
    let result = GpuBuffer::uninit(&g.ctx, n);
    let params = broadcast_params(op, side, (a_dims, b_dims), out);
    g.ctx.dispatch(
        "binary_grad",
        &params,
        &[g.raw(), a.raw(), b.raw(), result.raw()],
        grid(n),
    );
    result
}

/// `cond ≠ 0 ? t : f`, all broadcast to `out`.
pub(crate) fn where_cond(
    (c_dims, c): (&[usize], &GpuBuffer),
    (t_dims, t): (&[usize], &GpuBuffer),
    (f_dims, f): (&[usize], &GpuBuffer),
    out: &[usize],
) -> GpuBuffer {
    check_rank("where_cond", out);
    let n: usize = out.iter().product();
    let result = GpuBuffer::uninit(&c.ctx, n);
    let mut params = vec![word(n), word(out.len())];
    push_dims(&mut params, out);
    push_strides(&mut params, &broadcast_strides(c_dims, out));
    push_strides(&mut params, &broadcast_strides(t_dims, out));
    push_strides(&mut params, &broadcast_strides(f_dims, out));
    c.ctx.dispatch(
        "where_cond",
        &params,
        &[c.raw(), t.raw(), f.raw(), result.raw()],
        grid(n),
    );
    result
}

/// A new buffer of `len` copies of `value`.
pub(crate) fn full(ctx: &Arc<GpuContext>, len: usize, value: f32) -> GpuBuffer {
    let out = GpuBuffer::uninit(ctx, len);
    ctx.dispatch("fill", &[word(len), fw(value)], &[out.raw()], grid(len));
    out
}

/// A strided view of a buffer: an element offset and one stride per axis of the copy's grid.
#[derive(Debug, Clone)]
pub(crate) struct View {
    /// Element offset of index 0.
    pub(crate) offset: isize,
    /// Element strides, one per axis of the grid (negative to walk backwards, 0 to repeat).
    pub(crate) strides: Vec<isize>,
}

impl View {
    /// The row-major layout of `dims` itself.
    pub(crate) fn row_major(dims: &[usize]) -> View {
        View {
            offset: 0,
            strides: super::params::row_major(dims),
        }
    }
}

/// `dst[dst_view(i)] = src[src_view(i)]` for every index `i` of the grid `dims`.
#[track_caller]
pub(crate) fn copy(
    src: &GpuBuffer,
    src_view: &View,
    dims: &[usize],
    dst: &GpuBuffer,
    dst_view: &View,
) {
    check_rank("copy", dims);
    let n: usize = dims.iter().product();
    if n == 0 {
        return;
    }
    let offset = |o: isize| word(usize::try_from(o).expect("view offsets are not negative"));
    let mut params = vec![
        word(n),
        word(dims.len()),
        offset(src_view.offset),
        offset(dst_view.offset),
    ];
    push_dims(&mut params, dims);
    push_strides(&mut params, &src_view.strides);
    push_strides(&mut params, &dst_view.strides);
    src.ctx
        .dispatch("copy", &params, &[src.raw(), dst.raw()], grid(n));
}

/// A new row-major buffer of the grid `dims` read from `src` through `view`.
#[track_caller]
pub(crate) fn gather_view(src: &GpuBuffer, view: &View, dims: &[usize]) -> GpuBuffer {
    let n: usize = dims.iter().product();
    let out = GpuBuffer::uninit(&src.ctx, n);
    copy(src, view, dims, &out, &View::row_major(dims));
    out
}
