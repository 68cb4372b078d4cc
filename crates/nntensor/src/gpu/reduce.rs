//! Reductions over any axes (one work group per output, a fixed tree: no atomics), their
//! gradients, running sums, softmax along an axis, and the routing of a max's gradient.

use super::buffer::GpuBuffer;
use super::context::{grid, groups_for};
use super::params::{check_rank, fw, push_dims, push_strides, row_major, word};
use crate::ops::reduce_axes::{Norm, Reduce};

/// The reductions the kernel computes besides [`Reduce`]'s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Extra {
    /// Index of the first maximum (as f32).
    ArgMax,
    /// `Σ x²`.
    SumSquares,
}

/// A reduction's kernel code and its correction (var/std).
pub(crate) fn reduce_code(op: Result<Reduce, Extra>) -> (u32, f32) {
    match op {
        Ok(Reduce::Sum) => (0, 0.0),
        Ok(Reduce::Mean) => (1, 0.0),
        Ok(Reduce::Prod) => (2, 0.0),
        Ok(Reduce::Max) => (3, 0.0),
        Ok(Reduce::Min) => (4, 0.0),
        Ok(Reduce::LogSumExp) => (5, 0.0),
        Ok(Reduce::Var { correction }) => (6, correction),
        Ok(Reduce::Std { correction }) => (7, correction),
        Ok(Reduce::Norm(Norm::L1)) => (8, 0.0),
        Ok(Reduce::Norm(Norm::L2)) => (9, 0.0),
        Ok(Reduce::Norm(Norm::Inf)) => (10, 0.0),
        Err(Extra::ArgMax) => (11, 0.0),
        Err(Extra::SumSquares) => (13, 0.0),
    }
}

/// The parameters shared by `reduce` and `reduce_backward`, and the number of rows.
#[track_caller]
fn row_params(op: Result<Reduce, Extra>, dims: &[usize], axes: &[usize]) -> (Vec<u32>, usize) {
    check_rank("reduce", dims);
    let strides = row_major(dims);
    let kept: Vec<usize> = (0..dims.len()).filter(|a| !axes.contains(a)).collect();
    let kept_dims: Vec<usize> = kept.iter().map(|&a| dims[a]).collect();
    let kept_strides: Vec<isize> = kept.iter().map(|&a| strides[a]).collect();
    let red_dims: Vec<usize> = axes.iter().map(|&a| dims[a]).collect();
    let red_strides: Vec<isize> = axes.iter().map(|&a| strides[a]).collect();
    let rows: usize = kept_dims.iter().product();
    let n_red: usize = red_dims.iter().product();
    let (code, correction) = reduce_code(op);
    let mut params = vec![
        word(rows),
        code,
        word(n_red),
        word(kept.len()),
        word(axes.len()),
        fw(correction),
    ];
    push_dims(&mut params, &kept_dims);
    push_strides(&mut params, &kept_strides);
    push_dims(&mut params, &red_dims);
    push_strides(&mut params, &red_strides);
    (params, rows)
}

/// `op` over `axes` (sorted, distinct) of a row-major tensor of `dims`: one value per
/// combination of the other axes, in their row-major order.
#[track_caller]
pub(crate) fn reduce(
    op: Result<Reduce, Extra>,
    dims: &[usize],
    x: &GpuBuffer,
    axes: &[usize],
) -> GpuBuffer {
    let (params, rows) = row_params(op, dims, axes);
    let out = GpuBuffer::uninit(&x.ctx, rows);
    x.ctx
        .dispatch("reduce", &params, &[x.raw(), out.raw()], groups_for(rows));
    out
}

/// The gradient of `y = op(x)` over `axes`, from `g` (one value per row, like `y`).
#[track_caller]
pub(crate) fn reduce_backward(
    op: Reduce,
    dims: &[usize],
    x: &GpuBuffer,
    axes: &[usize],
    y: &GpuBuffer,
    g: &GpuBuffer,
) -> GpuBuffer {
    let (params, rows) = row_params(Ok(op), dims, axes);
    let out = GpuBuffer::uninit(&x.ctx, x.len());
    x.ctx.dispatch(
        "reduce_backward",
        &params,
        &[x.raw(), y.raw(), g.raw(), out.raw()],
        groups_for(rows),
    );
    out
}

/// `(outer, len, inner)` of `dims` around `axis`.
pub(crate) fn lanes(dims: &[usize], axis: usize) -> (usize, usize, usize) {
    let outer = dims[..axis].iter().product();
    let inner = dims[axis + 1..].iter().product();
    (outer, dims[axis], inner)
}

/// Running sums along `axis` (from the end when `reverse`).
pub(crate) fn cumsum(dims: &[usize], x: &GpuBuffer, axis: usize, reverse: bool) -> GpuBuffer {
    let (outer, len, inner) = lanes(dims, axis);
    let out = GpuBuffer::uninit(&x.ctx, x.len());
    let lines = outer * inner;
    x.ctx.dispatch(
        "cumsum",
        &[
            word(lines),
            word(len),
            word(inner.max(1)),
            u32::from(reverse),
        ],
        &[x.raw(), out.raw()],
        grid(lines),
    );
    out
}

/// Softmax (or log-softmax when `log`) along `axis`.
pub(crate) fn softmax(dims: &[usize], x: &GpuBuffer, axis: usize, log: bool) -> GpuBuffer {
    let (outer, len, inner) = lanes(dims, axis);
    let out = GpuBuffer::uninit(&x.ctx, x.len());
    let lines = outer * inner;
    x.ctx.dispatch(
        "softmax",
        &[word(lines), word(len), word(inner.max(1)), u32::from(log)],
        &[x.raw(), out.raw()],
        grid(lines),
    );
    out
}

/// The gradient through softmax (or log-softmax) along `axis` from its output `y`.
pub(crate) fn softmax_backward(
    dims: &[usize],
    g: &GpuBuffer,
    y: &GpuBuffer,
    axis: usize,
    log: bool,
) -> GpuBuffer {
    let (outer, len, inner) = lanes(dims, axis);
    let out = GpuBuffer::uninit(&g.ctx, g.len());
    let lines = outer * inner;
    g.ctx.dispatch(
        "softmax_backward",
        &[word(lines), word(len), word(inner.max(1)), u32::from(log)],
        &[g.raw(), y.raw(), out.raw()],
        grid(lines),
    );
    out
}

/// `g` of each lane (of `(outer, len, inner)`) placed at the lane's position `arg`, zeros
/// elsewhere.
pub(crate) fn route(
    g: &GpuBuffer,
    arg: &GpuBuffer,
    (outer, len, inner): (usize, usize, usize),
) -> GpuBuffer {
    let n = outer * len * inner;
    let out = GpuBuffer::uninit(&g.ctx, n);
    g.ctx.dispatch(
        "route",
        &[word(n), word(len), word(inner.max(1))],
        &[g.raw(), arg.raw(), out.raw()],
        grid(n),
    );
    out
}
