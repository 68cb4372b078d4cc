//! Indexing kernels along one axis and axis permutations, on ndarray views of row-major data.

use super::{into_vec, view};
use crate::Shape;
use ndarray::{Axis, Slice};

/// The axes of `x` in the order `perm`, copied into row-major order.
pub(crate) fn permute(shape: &Shape, x: &[f32], perm: &[usize]) -> Vec<f32> {
    view(shape, x)
        .permuted_axes(perm.to_vec())
        .iter()
        .copied()
        .collect()
}

/// Elements `start..start + len` along `axis`.
pub(crate) fn narrow(shape: &Shape, x: &[f32], axis: usize, start: usize, len: usize) -> Vec<f32> {
    let v = view(shape, x);
    let part = v.slice_axis(Axis(axis), Slice::from(start..start + len));
    part.iter().copied().collect()
}

/// A zero tensor of `out` with `g` placed at `start..` along `axis`.
pub(crate) fn narrow_backward(
    g_shape: &Shape,
    g: &[f32],
    axis: usize,
    start: usize,
    out: &Shape,
) -> Vec<f32> {
    let mut data = vec![0.0; out.elem_count()];
    let mut target = super::view_mut(out, &mut data);
    let len = g_shape[axis];
    target
        .slice_axis_mut(Axis(axis), Slice::from(start..start + len))
        .assign(&view(g_shape, g));
    data
}

/// The entries `indices` along `axis` (repeats allowed).
pub(crate) fn index_select(shape: &Shape, x: &[f32], axis: usize, indices: &[usize]) -> Vec<f32> {
    into_vec(view(shape, x).select(Axis(axis), indices))
}

/// `g`'s entries along `axis` added into entries `indices` of a zero tensor of `out`.
pub(crate) fn index_add(
    g_shape: &Shape,
    g: &[f32],
    axis: usize,
    indices: &[usize],
    out: &Shape,
) -> Vec<f32> {
    let mut data = vec![0.0; out.elem_count()];
    let mut target = super::view_mut(out, &mut data);
    let g = view(g_shape, g);
    for (k, &i) in indices.iter().enumerate() {
        let mut lane = target.index_axis_mut(Axis(axis), i);
        lane += &g.index_axis(Axis(axis), k);
    }
    data
}

/// `x` reversed along each of `axes`.
pub(crate) fn flip(shape: &Shape, x: &[f32], axes: &[usize]) -> Vec<f32> {
    let mut v = view(shape, x);
    for &a in axes {
        v.invert_axis(Axis(a));
    }
    v.iter().copied().collect()
}

/// The views joined along `axis` (shapes checked by the caller).
pub(crate) fn cat(parts: &[(&Shape, &[f32])], axis: usize) -> Vec<f32> {
    let views: Vec<_> = parts.iter().map(|(s, x)| view(s, x)).collect();
    into_vec(ndarray::concatenate(Axis(axis), &views).expect("shapes checked"))
}

/// Row-major strides of `shape`.
fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// For each position of `index_shape` in row-major order, the offset in a tensor of `shape`
/// (whose other axes match) of the element at that position with its `axis` coordinate replaced
/// by `ids[position]`.
pub(crate) fn along_axis_offsets(
    shape: &[usize],
    index_shape: &[usize],
    axis: usize,
    ids: &[usize],
) -> Vec<usize> {
    let (src, idx) = (strides(shape), strides(index_shape));
    ids.iter()
        .enumerate()
        .map(|(flat, &id)| {
            let mut offset = 0;
            for a in 0..index_shape.len() {
                let coord = if a == axis {
                    id
                } else {
                    (flat / idx[a]) % index_shape[a]
                };
                offset += coord * src[a];
            }
            offset
        })
        .collect()
}

/// `out[p] = x[p with p[axis] = ids[p]]` for every position `p` of `index_shape`.
pub(crate) fn gather(
    shape: &Shape,
    x: &[f32],
    axis: usize,
    index_shape: &Shape,
    ids: &[usize],
) -> Vec<f32> {
    along_axis_offsets(shape, index_shape, axis, ids)
        .into_iter()
        .map(|o| x[o])
        .collect()
}

/// `out = x`, then `out[p with p[axis] = ids[p]] += src[p]` for every position `p` of `src`.
pub(crate) fn scatter_add(
    shape: &Shape,
    x: &[f32],
    axis: usize,
    index_shape: &Shape,
    ids: &[usize],
    src: &[f32],
) -> Vec<f32> {
    let mut out = x.to_vec();
    for (o, &v) in along_axis_offsets(shape, index_shape, axis, ids)
        .into_iter()
        .zip(src)
    {
        out[o] += v;
    }
    out
}

/// `x` tiled `counts[i]` times along axis `i` (`counts` as long as `shape`).
pub(crate) fn repeat(shape: &Shape, x: &[f32], counts: &[usize]) -> Vec<f32> {
    // View x as (1, s0, 1, s1, …), broadcast to (c0, s0, c1, s1, …): row-major order of that is
    // the tiling.
    let lifted: Vec<usize> = shape.iter().flat_map(|&s| [1, s]).collect();
    let wide: Vec<usize> = shape
        .iter()
        .zip(counts)
        .flat_map(|(&s, &c)| [c, s])
        .collect();
    let v = ndarray::ArrayViewD::from_shape(ndarray::IxDyn(&lifted), x).expect("same elements");
    let b = v
        .broadcast(ndarray::IxDyn(&wide))
        .expect("size-1 axes broadcast");
    b.iter().copied().collect()
}

/// `x` placed inside a tensor of `out` filled with `value`, starting at `before[i]` on axis `i`.
pub(crate) fn pad(shape: &Shape, x: &[f32], before: &[usize], out: &Shape, value: f32) -> Vec<f32> {
    let mut data = vec![value; out.elem_count()];
    let mut target = super::view_mut(out, &mut data);
    let mut region = target.view_mut();
    for (a, (&b, &s)) in before.iter().zip(shape.iter()).enumerate() {
        region.slice_axis_inplace(Axis(a), Slice::from(b..b + s));
    }
    region.assign(&view(shape, x));
    data
}

/// The gradient of [`pad`]: the region of `g` (shaped `out`) where `x` was placed.
pub(crate) fn unpad(out: &Shape, g: &[f32], before: &[usize], shape: &Shape) -> Vec<f32> {
    let mut region = view(out, g);
    for (a, (&b, &s)) in before.iter().zip(shape.iter()).enumerate() {
        region.slice_axis_inplace(Axis(a), Slice::from(b..b + s));
    }
    region.iter().copied().collect()
}
