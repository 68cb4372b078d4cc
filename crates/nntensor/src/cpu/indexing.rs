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
