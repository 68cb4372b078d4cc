//! Indexing and rearranging along axes: `permute`, `narrow`, `index_select`, `flip`, `cat`,
//! `stack`, and the gradients that need a kernel (`narrow_backward`, `index_add`). Negative axes
//! count from the end, as in PyTorch.

use crate::cpu::indexing as cpu;
use crate::device::same_device;
#[cfg(feature = "gpu")]
use crate::gpu::layout as gpu;
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
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => Tensor::gpu(Shape::from(shape), gpu::permute(t.shape(), x, &perm)),
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
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => Tensor::gpu(
            Shape::from(shape),
            gpu::narrow(t.shape(), x, axis, start, len),
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
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => {
            let data = gpu::narrow_backward(g.shape(), x, axis, start, &out);
            Tensor::gpu(out, data)
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
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => Tensor::gpu(
            Shape::from(shape),
            gpu::index_select(t.shape(), x, axis, indices),
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
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => {
            let data = gpu::index_add(g.shape(), x, axis, indices, &out);
            Tensor::gpu(out, data)
        }
    }
}

/// `t` reversed along each of `axes` (PyTorch's `flip`; no axes, no change); its own gradient.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2, 2], vec![1., 2., 3., 4.]).unwrap();
/// assert_eq!(nntensor::flip(&t, &[-1]).to_vec(), vec![2., 1., 4., 3.]);
/// ```
#[track_caller]
pub fn flip(t: &Tensor, axes: &[isize]) -> Tensor {
    if axes.is_empty() {
        return t.clone();
    }
    let axes = normalize_axes("flip", t.ndim(), axes);
    match t.storage() {
        Storage::Cpu(x) => Tensor::cpu(t.shape_ref().clone(), cpu::flip(t.shape_ref(), x, &axes)),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => Tensor::gpu(t.shape_ref().clone(), gpu::flip(t.shape(), x, &axes)),
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
    for t in tensors {
        same_device("cat", first.device(), t.borrow().device());
    }
    match first.storage() {
        Storage::Cpu(_) => {
            let parts: Vec<(&Shape, &[f32])> = tensors
                .iter()
                .map(|t| {
                    (
                        t.borrow().shape_ref(),
                        t.borrow().as_slice().expect("on the CPU"),
                    )
                })
                .collect();
            Tensor::cpu(Shape::from(shape), cpu::cat(&parts, axis))
        }
        #[cfg(feature = "gpu")]
        Storage::Gpu(_) => {
            let parts: Vec<(&[usize], &crate::gpu::GpuBuffer)> = tensors
                .iter()
                .map(|t| match t.borrow().storage() {
                    Storage::Gpu(x) => (t.borrow().shape(), x),
                    Storage::Cpu(_) => unreachable!("devices checked above"),
                })
                .collect();
            let data = gpu::cat(&parts, axis, &shape);
            Tensor::gpu(Shape::from(shape), data)
        }
    }
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

/// The whole-number ids of `index`, each checked to be below `bound`; panics (at the caller's
/// line) naming the op and the first bad id.
#[track_caller]
fn whole_ids(op: &str, index: &Tensor, bound: usize) -> Vec<usize> {
    index
        .values()
        .iter()
        .enumerate()
        .map(|(k, &v)| {
            if !(v >= 0.0 && v.fract() == 0.0 && (v as usize) < bound) {
                panic!("{op}: index {v} at position {k} is not a whole number in 0..{bound}");
            }
            v as usize
        })
        .collect()
}

/// Panics (at the caller's line) unless `index` has `t`'s rank and, on every axis but `axis`,
/// at most `t`'s size (PyTorch's rule for `gather` and `scatter_add`).
#[track_caller]
fn check_index(op: &str, t: &Tensor, index: &Tensor, axis: usize) {
    let fits = index.ndim() == t.ndim()
        && (0..t.ndim()).all(|a| a == axis || index.shape()[a] <= t.shape()[a]);
    assert!(
        fits,
        "{op}: index of shape {:?} does not fit shape {:?} along axis {axis}",
        index.shape(),
        t.shape()
    );
}

/// `out[p] = t[p with p[axis] = index[p]]` for every position `p` of `index` (PyTorch's
/// `torch.gather`, NumPy's `take_along_axis`); ids are whole-number values of `index`.
///
/// ```
/// use nntensor::{gather, Tensor};
/// let t = Tensor::from_vec([2, 3], vec![1., 2., 3., 4., 5., 6.]).unwrap();
/// let index = Tensor::from_vec([2, 1], vec![2., 0.]).unwrap();
/// assert_eq!(gather(&t, 1, &index).to_vec(), vec![3., 4.]);
/// ```
#[track_caller]
pub fn gather(t: &Tensor, axis: isize, index: &Tensor) -> Tensor {
    let axis = normalize_axis("gather", t.ndim(), axis);
    check_index("gather", t, index, axis);
    let ids = whole_ids("gather", index, t.shape()[axis]);
    match t.storage() {
        Storage::Cpu(x) => Tensor::cpu(
            index.shape_ref().clone(),
            cpu::gather(t.shape_ref(), x, axis, index.shape_ref(), &ids),
        ),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => {
            let offsets = cpu::along_axis_offsets(t.shape(), index.shape(), axis, &ids);
            let data = crate::gpu::indexing::take_offsets(x, &offsets);
            Tensor::gpu(index.shape_ref().clone(), data)
        }
    }
}

/// `t` with `src[p]` added at `p with p[axis] = index[p]` for every position `p` of `index`
/// (PyTorch's `scatter_add`; `src` has `index`'s shape): the gradient of [`gather`] when `t` is
/// zeros.
///
/// ```
/// use nntensor::{scatter_add, Tensor};
/// let index = Tensor::from_vec([1, 3], vec![0., 2., 0.]).unwrap();
/// let src = Tensor::from_vec([1, 3], vec![1., 2., 3.]).unwrap();
/// assert_eq!(scatter_add(&Tensor::zeros([1, 4]), 1, &index, &src).to_vec(), vec![4., 0., 2., 0.]);
/// ```
#[track_caller]
pub fn scatter_add(t: &Tensor, axis: isize, index: &Tensor, src: &Tensor) -> Tensor {
    let axis = normalize_axis("scatter_add", t.ndim(), axis);
    check_index("scatter_add", t, index, axis);
    assert!(
        src.shape() == index.shape(),
        "scatter_add: src has shape {:?} but index has shape {:?}",
        src.shape(),
        index.shape()
    );
    same_device("scatter_add", t.device(), src.device());
    let ids = whole_ids("scatter_add", index, t.shape()[axis]);
    match (t.storage(), src.storage()) {
        (Storage::Cpu(x), Storage::Cpu(s)) => Tensor::cpu(
            t.shape_ref().clone(),
            cpu::scatter_add(t.shape_ref(), x, axis, index.shape_ref(), &ids, s),
        ),
        #[cfg(feature = "gpu")]
        (Storage::Gpu(x), Storage::Gpu(s)) => {
            let dest = cpu::along_axis_offsets(t.shape(), index.shape(), axis, &ids);
            let data = crate::gpu::indexing::scatter_add(Some(x), s, &dest, t.len());
            Tensor::gpu(t.shape_ref().clone(), data)
        }
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}

/// `t` tiled `counts[i]` times along axis `i` (PyTorch's `repeat`, NumPy's `tile`); extra
/// leading counts add new leading axes.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![1., 2.]).unwrap();
/// let r = nntensor::repeat(&t, &[2, 2]);
/// assert_eq!(r.shape(), &[2, 4]);
/// assert_eq!(r.to_vec(), vec![1., 2., 1., 2., 1., 2., 1., 2.]);
/// ```
#[track_caller]
pub fn repeat(t: &Tensor, counts: &[usize]) -> Tensor {
    assert!(
        counts.len() >= t.ndim(),
        "repeat: {} counts for shape {:?}: give at least one per axis",
        counts.len(),
        t.shape()
    );
    let mut lifted = vec![1; counts.len() - t.ndim()];
    lifted.extend_from_slice(t.shape());
    let shape = Shape::from(lifted);
    let out: Vec<usize> = shape.iter().zip(counts).map(|(&s, &c)| s * c).collect();
    match t.storage() {
        Storage::Cpu(x) => Tensor::cpu(Shape::from(out), cpu::repeat(&shape, x, counts)),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => Tensor::gpu(Shape::from(out), gpu::repeat(&shape, x, counts)),
    }
}

/// The gradient of [`repeat`]: `g` summed over the tiles, back to `shape`.
///
/// ```
/// let g = nntensor::Tensor::ones([2, 4]);
/// assert_eq!(nntensor::repeat_backward(&g, &[2], &[2, 2]).to_vec(), vec![4., 4.]);
/// ```
#[track_caller]
pub fn repeat_backward(g: &Tensor, shape: &[usize], counts: &[usize]) -> Tensor {
    let mut lifted = vec![1; counts.len().saturating_sub(shape.len())];
    lifted.extend_from_slice(shape);
    let want: Vec<usize> = lifted.iter().zip(counts).map(|(&s, &c)| s * c).collect();
    assert!(
        g.shape() == want.as_slice(),
        "repeat backward: gradient {:?} does not match {shape:?} repeated {counts:?}",
        g.shape()
    );
    // (c0·s0, c1·s1, …) seen as (c0, s0, c1, s1, …), summed over the counts' axes.
    let split: Vec<usize> = lifted
        .iter()
        .zip(counts)
        .flat_map(|(&s, &c)| [c, s])
        .collect();
    let count_axes: Vec<isize> = (0..counts.len()).map(|i| 2 * i as isize).collect();
    let summed = crate::sum_axes(&g.clone().into_reshaped(split), &count_axes, false);
    summed.into_reshaped(shape)
}

/// `t` padded with `value`: `widths[i] = (before, after)` entries on axis `i` (NumPy's `pad` with
/// `mode="constant"`; PyTorch's `F.pad` lists the last axis first). Panics unless there is one
/// pair per axis.
///
/// ```
/// let t = nntensor::Tensor::from_vec([1, 2], vec![1., 2.]).unwrap();
/// let p = nntensor::pad(&t, &[(0, 1), (1, 0)], 0.0);
/// assert_eq!(p.shape(), &[2, 3]);
/// assert_eq!(p.to_vec(), vec![0., 1., 2., 0., 0., 0.]);
/// ```
#[track_caller]
pub fn pad(t: &Tensor, widths: &[(usize, usize)], value: f32) -> Tensor {
    assert!(
        widths.len() == t.ndim(),
        "pad: {} (before, after) pairs for shape {:?}: give one per axis",
        widths.len(),
        t.shape()
    );
    let out: Vec<usize> = t
        .shape()
        .iter()
        .zip(widths)
        .map(|(&s, &(b, a))| s + b + a)
        .collect();
    let out = Shape::from(out);
    let before: Vec<usize> = widths.iter().map(|&(b, _)| b).collect();
    match t.storage() {
        Storage::Cpu(x) => {
            let data = cpu::pad(t.shape_ref(), x, &before, &out, value);
            Tensor::cpu(out, data)
        }
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => {
            let data = gpu::pad(t.shape(), x, &before, &out, value);
            Tensor::gpu(out, data)
        }
    }
}

/// The gradient of [`pad`]: the part of `g` where the input was placed, of `shape`.
///
/// ```
/// let g = nntensor::Tensor::from_vec([3], vec![1., 2., 3.]).unwrap();
/// assert_eq!(nntensor::pad_backward(&g, &[(1, 1)], &[1]).to_vec(), vec![2.]);
/// ```
#[track_caller]
pub fn pad_backward(g: &Tensor, widths: &[(usize, usize)], shape: &[usize]) -> Tensor {
    let want: Vec<usize> = shape
        .iter()
        .zip(widths)
        .map(|(&s, &(b, a))| s + b + a)
        .collect();
    assert!(
        widths.len() == shape.len() && g.shape() == want.as_slice(),
        "pad backward: gradient {:?} does not match {shape:?} padded by {widths:?}",
        g.shape()
    );
    let before: Vec<usize> = widths.iter().map(|&(b, _)| b).collect();
    let shape = Shape::from(shape);
    match g.storage() {
        Storage::Cpu(x) => {
            let data = cpu::unpad(g.shape_ref(), x, &before, &shape);
            Tensor::cpu(shape, data)
        }
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => {
            let data = gpu::unpad(g.shape(), x, &before, &shape);
            Tensor::gpu(shape, data)
        }
    }
}
