//! Layout ops as strided copies: permutes, slices and their gradients, flips, joins, tiling and
//! padding; and the index-driven gathers and scatters.

use super::buffer::GpuBuffer;
use super::elementwise::{copy, full, gather_view, View};
use super::params::row_major;
use super::reduce::lanes;

/// `x` (of `dims`) with its axes in the order `perm`.
#[track_caller]
pub(crate) fn permute(dims: &[usize], x: &GpuBuffer, perm: &[usize]) -> GpuBuffer {
    let strides = row_major(dims);
    let view = View {
        offset: 0,
        strides: perm.iter().map(|&p| strides[p]).collect(),
    };
    let out: Vec<usize> = perm.iter().map(|&p| dims[p]).collect();
    gather_view(x, &view, &out)
}

/// Entries `start..start + len` of `axis`.
#[track_caller]
pub(crate) fn narrow(
    dims: &[usize],
    x: &GpuBuffer,
    axis: usize,
    start: usize,
    len: usize,
) -> GpuBuffer {
    let strides = row_major(dims);
    let view = View {
        offset: start as isize * strides[axis],
        strides,
    };
    let mut out = dims.to_vec();
    out[axis] = len;
    gather_view(x, &view, &out)
}

/// Zeros of `out`, with `g` (of `g_dims`) written at `start` along `axis`.
#[track_caller]
pub(crate) fn narrow_backward(
    g_dims: &[usize],
    g: &GpuBuffer,
    axis: usize,
    start: usize,
    out: &[usize],
) -> GpuBuffer {
    let result = full(&g.ctx, out.iter().product(), 0.0);
    let strides = row_major(out);
    let dst = View {
        offset: start as isize * strides[axis],
        strides,
    };
    copy(g, &View::row_major(g_dims), g_dims, &result, &dst);
    result
}

/// `x` reversed along `axes`.
#[track_caller]
pub(crate) fn flip(dims: &[usize], x: &GpuBuffer, axes: &[usize]) -> GpuBuffer {
    let mut strides = row_major(dims);
    let mut offset = 0isize;
    for &a in axes {
        if dims[a] > 0 {
            offset += (dims[a] as isize - 1) * strides[a];
        }
        strides[a] = -strides[a];
    }
    gather_view(x, &View { offset, strides }, dims)
}

/// The parts joined along `axis` into `out`.
#[track_caller]
pub(crate) fn cat(parts: &[(&[usize], &GpuBuffer)], axis: usize, out: &[usize]) -> GpuBuffer {
    let ctx = &parts[0].1.ctx;
    let result = GpuBuffer::uninit(ctx, out.iter().product());
    let strides = row_major(out);
    let mut at = 0usize;
    for &(dims, x) in parts {
        let dst = View {
            offset: at as isize * strides[axis],
            strides: strides.clone(),
        };
        copy(x, &View::row_major(dims), dims, &result, &dst);
        at += dims[axis];
    }
    result
}

/// `x` of `dims` tiled `counts` times along each axis (as many counts as axes).
#[track_caller]
pub(crate) fn repeat(dims: &[usize], x: &GpuBuffer, counts: &[usize]) -> GpuBuffer {
    // The grid (c0, s0, c1, s1, …) read with strides (0, st0, 0, st1, …): its row-major order
    // is the tiling.
    let strides = row_major(dims);
    let grid: Vec<usize> = dims
        .iter()
        .zip(counts)
        .flat_map(|(&s, &c)| [c, s])
        .collect();
    let view = View {
        offset: 0,
        strides: strides.iter().flat_map(|&st| [0, st]).collect(),
    };
    gather_view(x, &view, &grid)
}

/// `x` of `dims` inside a border: `before[i]` values of `value` before it along axis `i`, `out`
/// the padded shape.
#[track_caller]
pub(crate) fn pad(
    dims: &[usize],
    x: &GpuBuffer,
    before: &[usize],
    out: &[usize],
    value: f32,
) -> GpuBuffer {
    let result = full(&x.ctx, out.iter().product(), value);
    let strides = row_major(out);
    let offset = before
        .iter()
        .zip(&strides)
        .map(|(&b, &s)| b as isize * s)
        .sum();
    copy(
        x,
        &View::row_major(dims),
        dims,
        &result,
        &View { offset, strides },
    );
    result
}

/// The inside of a padded `g` (of `g_dims`): the gradient of [`pad`].
#[track_caller]
pub(crate) fn unpad(
    g_dims: &[usize],
    g: &GpuBuffer,
    before: &[usize],
    shape: &[usize],
) -> GpuBuffer {
    let strides = row_major(g_dims);
    let offset = before
        .iter()
        .zip(&strides)
        .map(|(&b, &s)| b as isize * s)
        .sum();
    gather_view(g, &View { offset, strides }, shape)
}

/// `x`'s entries `indices` along `axis`.
pub(crate) fn index_select(
    dims: &[usize],
    x: &GpuBuffer,
    axis: usize,
    indices: &[usize],
) -> GpuBuffer {
    super::indexing::take(x, indices, lanes(dims, axis))
}

/// Zeros of `out` with `g`'s entries `j` along `axis` added at `indices[j]`, in order.
pub(crate) fn index_add(
    g_dims: &[usize],
    g: &GpuBuffer,
    axis: usize,
    indices: &[usize],
    out: &[usize],
) -> GpuBuffer {
    let (outer, _, inner) = lanes(g_dims, axis);
    let rows = out[axis];
    let mut dest = Vec::with_capacity(g.len());
    for o in 0..outer {
        for &r in indices {
            for i in 0..inner {
                dest.push((o * rows + r) * inner + i);
            }
        }
    }
    super::indexing::scatter_add(None, g, &dest, out.iter().product())
}
