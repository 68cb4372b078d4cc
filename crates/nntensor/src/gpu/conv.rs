//! Convolution (im2col, the tiled matrix product, col2im) and pooling on the GPU, NCHW.

use super::buffer::GpuBuffer;
use super::context::grid;
use super::linalg::{matmul, Operand};
use super::params::word;
use crate::ops::conv::Window;
use crate::ops::reduce_axes::Reduce;

/// The parameters of im2col.wgsl / col2im.wgsl for `total` threads.
fn conv_params(
    total: usize,
    [n, c, h, w]: [usize; 4],
    win: &Window,
    [oh, ow]: [usize; 2],
) -> Vec<u32> {
    [
        total,
        n,
        c,
        h,
        w,
        win.kernel[0],
        win.kernel[1],
        oh,
        ow,
        win.stride[0],
        win.stride[1],
        win.padding[0],
        win.padding[1],
        win.dilation[0],
        win.dilation[1],
    ]
    .iter()
    .map(|&v| word(v))
    .collect()
}

/// The parameters of the pooling kernels for `total` threads.
fn pool_params(
    total: usize,
    [_, _, h, w]: [usize; 4],
    win: &Window,
    [oh, ow]: [usize; 2],
) -> Vec<u32> {
    [
        total,
        h,
        w,
        win.kernel[0],
        win.kernel[1],
        oh,
        ow,
        win.stride[0],
        win.stride[1],
        win.padding[0],
        win.padding[1],
    ]
    .iter()
    .map(|&v| word(v))
    .collect()
}

fn im2col(x: &GpuBuffer, dims: [usize; 4], win: &Window, out_hw: [usize; 2]) -> GpuBuffer {
    let k = dims[1] * win.kernel[0] * win.kernel[1];
    let total = k * dims[0] * out_hw[0] * out_hw[1];
    let cols = GpuBuffer::uninit(&x.ctx, total);
    x.ctx.dispatch(
        "im2col",
        &conv_params(total, dims, win, out_hw),
        &[x.raw(), cols.raw()],
        grid(total),
    );
    cols
}

/// The convolution of `x` with `weight` `(o, c, kh, kw)` plus `bias`: `(n, o, oh, ow)`.
pub(crate) fn conv2d(
    x: &GpuBuffer,
    dims: [usize; 4],
    weight: &GpuBuffer,
    o: usize,
    bias: Option<&GpuBuffer>,
    win: &Window,
    out_hw: [usize; 2],
) -> GpuBuffer {
    let n = dims[0];
    let k = dims[1] * win.kernel[0] * win.kernel[1];
    let p = out_hw[0] * out_hw[1];
    let cols = im2col(x, dims, win, out_hw);
    let mat = matmul(
        Operand::rows(weight, o, k),
        Operand::rows(&cols, k, n * p),
        (1, o, k, n * p),
        None,
    );
    let out = super::layout::permute(&[o, n, p], &mat, &[1, 0, 2]);
    match bias {
        None => out,
        Some(b) => super::elementwise::binary(
            crate::BinaryOp::Add,
            (&[n, o, p], &out),
            (&[o, 1], b),
            &[n, o, p],
        ),
    }
}

/// The gradients of [`conv2d`]: `[dx, dweight, dbias]` as `need` asks.
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv2d_backward(
    x: &GpuBuffer,
    dims: [usize; 4],
    weight: &GpuBuffer,
    o: usize,
    g: &GpuBuffer,
    win: &Window,
    out_hw: [usize; 2],
    [need_x, need_w, need_b]: [bool; 3],
) -> [Option<GpuBuffer>; 3] {
    let n = dims[0];
    let k = dims[1] * win.kernel[0] * win.kernel[1];
    let p = out_hw[0] * out_hw[1];
    let gmat = super::layout::permute(&[n, o, p], g, &[1, 0, 2]);
    let dw = need_w.then(|| {
        let cols = im2col(x, dims, win, out_hw);
        matmul(
            Operand::rows(&gmat, o, n * p),
            Operand::transposed(&cols, k, n * p),
            (1, o, n * p, k),
            None,
        )
    });
    let dx = need_x.then(|| {
        let dcols = matmul(
            Operand::transposed(weight, o, k),
            Operand::rows(&gmat, o, n * p),
            (1, k, o, n * p),
            None,
        );
        let total = dims.iter().product();
        let dx = GpuBuffer::uninit(&x.ctx, total);
        x.ctx.dispatch(
            "col2im",
            &conv_params(total, dims, win, out_hw),
            &[dcols.raw(), dx.raw()],
            grid(total),
        );
        dx
    });
    let db = need_b.then(|| super::reduce::reduce(Ok(Reduce::Sum), &[o, n * p], &gmat, &[1]));
    [dx, dw, db]
}

/// Max pooling: the maxima and their first positions within each input plane.
pub(crate) fn max_pool2d(
    x: &GpuBuffer,
    dims: [usize; 4],
    win: &Window,
    out_hw: [usize; 2],
) -> (GpuBuffer, GpuBuffer) {
    let total = dims[0] * dims[1] * out_hw[0] * out_hw[1];
    let (vals, idx) = (
        GpuBuffer::uninit(&x.ctx, total),
        GpuBuffer::uninit(&x.ctx, total),
    );
    x.ctx.dispatch(
        "max_pool",
        &pool_params(total, dims, win, out_hw),
        &[x.raw(), vals.raw(), idx.raw()],
        grid(total),
    );
    (vals, idx)
}

/// The gradient of max pooling.
pub(crate) fn max_pool2d_backward(
    g: &GpuBuffer,
    idx: &GpuBuffer,
    dims: [usize; 4],
    win: &Window,
    out_hw: [usize; 2],
) -> GpuBuffer {
    let total = dims.iter().product();
    let dx = GpuBuffer::uninit(&g.ctx, total);
    let params = pool_params(total, dims, win, out_hw);
    g.ctx.dispatch(
        "max_pool_backward",
        &params,
        &[g.raw(), idx.raw(), dx.raw()],
        grid(total),
    );
    dx
}

/// Average pooling.
pub(crate) fn avg_pool2d(
    x: &GpuBuffer,
    dims: [usize; 4],
    win: &Window,
    out_hw: [usize; 2],
) -> GpuBuffer {
    let total = dims[0] * dims[1] * out_hw[0] * out_hw[1];
    let out = GpuBuffer::uninit(&x.ctx, total);
    x.ctx.dispatch(
        "avg_pool",
        &pool_params(total, dims, win, out_hw),
        &[x.raw(), out.raw()],
        grid(total),
    );
    out
}

/// The gradient of average pooling.
pub(crate) fn avg_pool2d_backward(
    g: &GpuBuffer,
    dims: [usize; 4],
    win: &Window,
    out_hw: [usize; 2],
) -> GpuBuffer {
    let total = dims.iter().product();
    let dx = GpuBuffer::uninit(&g.ctx, total);
    g.ctx.dispatch(
        "avg_pool_backward",
        &pool_params(total, dims, win, out_hw),
        &[g.raw(), dx.raw()],
        grid(total),
    );
    dx
}
