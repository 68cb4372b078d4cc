//! Indexing and rearranging along axes: `permute`, `narrow`, `index_select`, `flip`, `cat`,
//! `stack`, and the gradients that need a kernel (`narrow_backward`, `index_add`). Negative axes
//! count from the end, as in PyTorch.

use crate::cpu::indexing as cpu;
use crate::device::same_device;
use crate::ops::reduce_axes::{normalize_axes, normalize_axis};
use crate::{Shape, Storage, Tensor};
use std::borrow::Borrow;

/// The axes of `t` in the order `axes` (a permutation; negative allowed), as a new row-major
/// tensor (PyTorch's `permute`, NumPy's `transpose(axes)`).
///
/// ```
/// let t = nntensor::Tensor::from_vec([2, 3], vec![1., 2., 3., 4., 5., 6.]).unwrap();
/// let p = nntensor::permute(&t, &[-1, 0]);
/// assert_eq!(p.shape(), &[3, 2]);
/// assert_eq!(p.to_vec(), vec![1., 4., 2., 5., 3., 6.]);
/// ```
#[track_caller]
pub fn permute(t: &Tensor, axes: &[isize]) -> Tensor {
    let perm: Vec<usize> = axes
        .iter()
        .map(|&a| normalize_axis("permute", t.ndim(), a))
        .collect();
    let mut sorted = perm.clone();
    sorted.sort_unstable();
    assert!(
        sorted == (0..t.ndim()).collect::<Vec<_>>(),
        "permute: {axes:?} is not a permutation of the {} axes of shape {:?}",
        t.ndim(),
        t.shape()
    );
    let shape: Vec<usize> = perm.iter().map(|&p| t.shape()[p]).collect();
    match t.storage() {
        Storage::Cpu(x) => Tensor::cpu(Shape::from(shape), cpu::permute(t.shape_ref(), x, &perm)),
    }
}

/// Entries `start..start + len` along `axis` (PyTorch's `narrow`, or slicing `x[..., a:b]`).
/// Panics (at the caller's line) if the range does not fit.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2, 3], vec![1., 2., 3., 4., 5., 6.]).unwrap();
/// assert_eq!(nntensor::narrow(&t, -1, 1, 2).to_vec(), vec![2., 3., 5., 6.]);
/// ```
#[track_caller]
pub fn narrow(t: &Tensor, axis: isize, start: usize, len: usize) -> Tensor {
    let axis = normalize_axis("narrow", t.ndim(), axis);
    assert!(
        start
            .checked_add(len)
            .is_some_and(|end| end <= t.shape()[axis]),
        "narrow: entries {start}..{} are out of range for axis {axis} of shape {:?}",
        start.saturating_add(len),
        t.shape()
    );
    let mut shape = t.shape().to_vec();
    shape[axis] = len;
    match t.storage() {
        Storage::Cpu(x) => Tensor::cpu(
            Shape::from(shape),
            cpu::narrow(t.shape_ref(), x, axis, start, len),
        ),
    }
}

/// The gradient of [`narrow`]: a zero tensor of `shape` with `g` at `start..` along `axis`.
///
/// ```
/// let g = nntensor::Tensor::ones([1, 2]);
/// assert_eq!(nntensor::narrow_backward(&g, 1, 1, &[1, 4]).to_vec(), vec![0., 1., 1., 0.]);
/// ```
#[track_caller]
pub fn narrow_backward(g: &Tensor, axis: isize, start: usize, shape: &[usize]) -> Tensor {
    let axis = normalize_axis("narrow backward", shape.len(), axis);
    let fits = g.ndim() == shape.len()
        && (0..shape.len()).all(|i| i == axis || g.shape()[i] == shape[i])
        && start + g.shape()[axis] <= shape[axis];
    assert!(
        fits,
        "narrow backward: gradient {:?} does not fit at {start} along axis {axis} of {shape:?}",
        g.shape()
    );
    let out = Shape::from(shape);
    match g.storage() {
        Storage::Cpu(x) => {
            let data = cpu::narrow_backward(g.shape_ref(), x, axis, start, &out);
            Tensor::cpu(out, data)
        }
    }
}

/// The entries `indices` along `axis`, in that order (repeats allowed; PyTorch's
/// `index_select`). Panics (at the caller's line) naming an index out of range.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2, 3], vec![1., 2., 3., 4., 5., 6.]).unwrap();
/// assert_eq!(nntensor::index_select(&t, 1, &[2, 0, 2]).to_vec(), vec![3., 1., 3., 6., 4., 6.]);
/// ```
#[track_caller]
pub fn index_select(t: &Tensor, axis: isize, indices: &[usize]) -> Tensor {
    let axis = normalize_axis("index_select", t.ndim(), axis);
    if let Some(&bad) = indices.iter().find(|&&i| i >= t.shape()[axis]) {
        panic!(
            "index_select: index {bad} is out of range for axis {axis} of shape {:?}",
            t.shape()
        );
    }
    let mut shape = t.shape().to_vec();
    shape[axis] = indices.len();
    match t.storage() {
        Storage::Cpu(x) => Tensor::cpu(
            Shape::from(shape),
            cpu::index_select(t.shape_ref(), x, axis, indices),
        ),
    }
}

/// `g`'s entries along `axis` added into entries `indices` of a zero tensor of `shape` (PyTorch's
/// `index_add` into zeros): the gradient of [`index_select`].
///
/// ```
/// let g = nntensor::Tensor::ones([1, 3]);
/// assert_eq!(nntensor::index_add(&g, 1, &[2, 0, 2], &[1, 3]).to_vec(), vec![1., 0., 2.]);
/// ```
#[track_caller]
pub fn index_add(g: &Tensor, axis: isize, indices: &[usize], shape: &[usize]) -> Tensor {
    let axis = normalize_axis("index_add", shape.len(), axis);
    let fits = g.ndim() == shape.len()
        && g.shape()[axis] == indices.len()
        && (0..shape.len()).all(|i| i == axis || g.shape()[i] == shape[i]);
    assert!(
        fits,
        "index_add: gradient {:?} does not fit {} indices along axis {axis} of {shape:?}",
        g.shape(),
        indices.len()
    );
    if let Some(&bad) = indices.iter().find(|&&i| i >= shape[axis]) {
        panic!("index_add: index {bad} is out of range for axis {axis} of shape {shape:?}");
    }
    let out = Shape::from(shape);
    match g.storage() {
        Storage::Cpu(x) => {
            let data = cpu::index_add(g.shape_ref(), x, axis, indices, &out);
            Tensor::cpu(out, data)
        }
    }
}

/// `t` reversed along each of `axes` (PyTorch's `flip`); its own gradient.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2, 2], vec![1., 2., 3., 4.]).unwrap();
/// assert_eq!(nntensor::flip(&t, &[-1]).to_vec(), vec![2., 1., 4., 3.]);
/// ```
#[track_caller]
pub fn flip(t: &Tensor, axes: &[isize]) -> Tensor {
    let axes = normalize_axes("flip", t.ndim(), axes);
    match t.storage() {
        Storage::Cpu(x) => Tensor::cpu(t.shape_ref().clone(), cpu::flip(t.shape_ref(), x, &axes)),
    }
}

/// The tensors joined along `axis` (PyTorch's `torch.cat`): every other size must agree.
/// Panics (at the caller's line) naming the shapes if they do not, or if `tensors` is empty.
///
/// ```
/// use nntensor::{cat, Tensor};
/// let joined = cat(&[Tensor::zeros([1, 2]), Tensor::ones([2, 2])], 0);
/// assert_eq!(joined.shape(), &[3, 2]);
/// assert_eq!(joined.to_vec(), vec![0., 0., 1., 1., 1., 1.]);
/// ```
#[track_caller]
pub fn cat<T: Borrow<Tensor>>(tensors: &[T], axis: isize) -> Tensor {
    let Some(first) = tensors.first().map(Borrow::borrow) else {
        panic!("cat: no tensors to join");
    };
    let axis = normalize_axis("cat", first.ndim(), axis);
    let fits = |t: &Tensor| {
        t.ndim() == first.ndim()
            && t.shape()
                .iter()
                .zip(first.shape())
                .enumerate()
                .all(|(i, (a, b))| i == axis || a == b)
    };
    if !tensors.iter().all(|t| fits(t.borrow())) {
        let shapes: Vec<&[usize]> = tensors.iter().map(|t| t.borrow().shape()).collect();
        panic!("cat: shapes {shapes:?} cannot be joined along axis {axis}");
    }
    let mut shape = first.shape().to_vec();
    shape[axis] = tensors.iter().map(|t| t.borrow().shape()[axis]).sum();
    let mut parts = Vec::with_capacity(tensors.len());
    for t in tensors {
        let t = t.borrow();
        same_device("cat", first.device(), t.device());
        match t.storage() {
            Storage::Cpu(x) => parts.push((t.shape_ref(), x.as_slice())),
        }
    }
    Tensor::cpu(Shape::from(shape), cpu::cat(&parts, axis))
}

/// The tensors, all of one shape, stacked along a new `axis` (PyTorch's `torch.stack`; `axis`
/// may be `ndim`, or negative counting from `ndim + 1`).
///
/// ```
/// use nntensor::{stack, Tensor};
/// let s = stack(&[Tensor::zeros([2]), Tensor::ones([2])], -1);
/// assert_eq!(s.shape(), &[2, 2]);
/// assert_eq!(s.to_vec(), vec![0., 1., 0., 1.]);
/// ```
#[track_caller]
pub fn stack<T: Borrow<Tensor>>(tensors: &[T], axis: isize) -> Tensor {
    let Some(first) = tensors.first().map(Borrow::borrow) else {
        panic!("stack: no tensors to stack");
    };
    let axis = normalize_axis("stack", first.ndim() + 1, axis);
    if let Some(other) = tensors
        .iter()
        .map(Borrow::borrow)
        .find(|t| t.shape() != first.shape())
    {
        panic!(
            "stack: every tensor needs one shape, got {:?} and {:?}",
            first.shape(),
            other.shape()
        );
    }
    let mut shape = first.shape().to_vec();
    shape.insert(axis, 1);
    let lifted: Vec<Tensor> = tensors
        .iter()
        .map(|t| t.borrow().clone().into_reshaped(shape.as_slice()))
        .collect();
    cat(&lifted, axis as isize)
}
