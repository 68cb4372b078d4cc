//! Shape and layout: reshape, transpose, one-hot, and taking or placing rows along the batch
//! axis.

use crate::cpu::layout as cpu;
use crate::{Shape, Storage, Tensor, TensorError};

/// A 0-dimensional tensor holding one value.
///
/// ```
/// let s = nntensor::scalar(2.0);
/// assert_eq!(s.shape(), &[] as &[usize]);
/// assert_eq!(s.item(), 2.0);
/// ```
pub fn scalar(value: f32) -> Tensor {
    Tensor::full([], value)
}

/// A copy of `t` with a new shape holding the same number of elements (row-major order). To
/// reshape without a copy, move the tensor: [`Tensor::into_reshaped`].
///
/// ```
/// let t = nntensor::Tensor::zeros([2, 3]);
/// assert_eq!(nntensor::reshape(&t, &[3, 2]).shape(), &[3, 2]);
/// ```
#[track_caller]
pub fn reshape(t: &Tensor, shape: &[usize]) -> Tensor {
    t.clone().into_reshaped(shape)
}

/// Reverses the order of the axes (the matrix transpose for 2-D), as a new row-major tensor.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2, 3], vec![1., 2., 3., 4., 5., 6.]).unwrap();
/// let tt = nntensor::transpose(&t);
/// assert_eq!(tt.shape(), &[3, 2]);
/// assert_eq!(tt.to_vec(), vec![1., 4., 2., 5., 3., 6.]);
/// ```
pub fn transpose(t: &Tensor) -> Tensor {
    let shape: Vec<usize> = t.shape().iter().rev().copied().collect();
    match t.storage() {
        Storage::Cpu(x) => Tensor::cpu(Shape::from(shape), cpu::transpose(t.shape_ref(), x)),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => Tensor::gpu(
            Shape::from(shape),
            crate::gpu::layout::permute(t.shape(), x, &[1, 0]),
        ),
    }
}

/// One-hot rows `(labels.len(), classes)` with a 1 in column `labels[i]` of row `i`.
///
/// Labels come from users, so a label outside `0..classes` is an error, not a panic.
///
/// ```
/// let t = nntensor::one_hot(&[2, 0], 3).unwrap();
/// assert_eq!(t.to_vec(), vec![0., 0., 1., 1., 0., 0.]);
/// assert!(nntensor::one_hot(&[3], 3).is_err());
/// ```
pub fn one_hot(labels: &[usize], classes: usize) -> Result<Tensor, TensorError> {
    let mut out = vec![0.0; labels.len() * classes];
    for (position, &label) in labels.iter().enumerate() {
        if label >= classes {
            return Err(TensorError::LabelOutOfRange {
                label,
                position,
                classes,
            });
        }
        out[position * classes + label] = 1.0;
    }
    Ok(Tensor::cpu(Shape::from([labels.len(), classes]), out))
}

/// Elements per row of the first axis (the product of the other sizes).
fn row_len(shape: &[usize]) -> usize {
    shape[1..].iter().product()
}

/// Rows `start..end` of the first axis, copied into a new tensor.
///
/// ```
/// let t = nntensor::Tensor::from_vec([3, 1], vec![1., 2., 3.]).unwrap();
/// assert_eq!(nntensor::slice_rows(&t, 1, 3).to_vec(), vec![2., 3.]);
/// ```
#[track_caller]
pub fn slice_rows(t: &Tensor, start: usize, end: usize) -> Tensor {
    assert!(
        t.ndim() >= 1 && start <= end && end <= t.shape()[0],
        "slice_rows: rows {start}..{end} are out of range for shape {:?}",
        t.shape()
    );
    let mut shape = t.shape().to_vec();
    shape[0] = end - start;
    let n = row_len(t.shape());
    match t.storage() {
        Storage::Cpu(x) => Tensor::cpu(Shape::from(shape), x[start * n..end * n].to_vec()),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => Tensor::gpu(
            Shape::from(shape.clone()),
            crate::gpu::layout::narrow(t.shape(), x, 0, start, shape[0]),
        ),
    }
}

/// A zero tensor of `shape` with `rows` placed at rows `start..` of its first axis: the gradient
/// of [`slice_rows`].
///
/// ```
/// let g = nntensor::Tensor::ones([1, 2]);
/// assert_eq!(nntensor::embed_rows(&g, 1, &[3, 2]).to_vec(), vec![0., 0., 1., 1., 0., 0.]);
/// ```
#[track_caller]
pub fn embed_rows(rows: &Tensor, start: usize, shape: &[usize]) -> Tensor {
    assert!(
        rows.ndim() >= 1
            && rows.ndim() == shape.len()
            && rows.shape()[1..] == shape[1..]
            && start + rows.shape()[0] <= shape[0],
        "embed_rows: rows of shape {:?} do not fit at row {start} of shape {shape:?}",
        rows.shape()
    );
    let n = row_len(shape);
    match rows.storage() {
        Storage::Cpu(x) => {
            let mut out = vec![0.0; shape.iter().product()];
            out[start * n..start * n + x.len()].copy_from_slice(x);
            Tensor::cpu(Shape::from(shape), out)
        }
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => Tensor::gpu(
            Shape::from(shape),
            crate::gpu::layout::narrow_backward(rows.shape(), x, 0, start, shape),
        ),
    }
}

/// The rows `indices` of the first axis, gathered into one contiguous tensor (repeats allowed).
///
/// Copies each row with one slice copy; no per-row allocation.
///
/// ```
/// let t = nntensor::Tensor::from_vec([3, 2], vec![0., 1., 2., 3., 4., 5.]).unwrap();
/// let g = nntensor::gather_rows(&t, &[2, 0]);
/// assert_eq!(g.to_vec(), vec![4., 5., 0., 1.]);
/// ```
#[track_caller]
pub fn gather_rows(t: &Tensor, indices: &[usize]) -> Tensor {
    assert!(
        t.ndim() >= 1,
        "gather_rows: cannot take rows of a 0-dimensional tensor"
    );
    let rows = t.shape()[0];
    if let Some(&bad) = indices.iter().find(|&&i| i >= rows) {
        panic!(
            "gather_rows: row {bad} is out of range for shape {:?}",
            t.shape()
        );
    }
    let mut shape = t.shape().to_vec();
    shape[0] = indices.len();
    match t.storage() {
        Storage::Cpu(x) => Tensor::cpu(
            Shape::from(shape),
            cpu::gather_rows(x, row_len(t.shape()), indices),
        ),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => Tensor::gpu(
            Shape::from(shape),
            crate::gpu::layout::index_select(t.shape(), x, 0, indices),
        ),
    }
}

/// Adds each row of `rows` into row `indices[i]` of a zero tensor of `shape`: the gradient of
/// [`gather_rows`].
///
/// ```
/// let g = nntensor::Tensor::ones([3, 1]);
/// assert_eq!(nntensor::scatter_add_rows(&g, &[1, 1, 0], &[2, 1]).to_vec(), vec![1., 2.]);
/// ```
#[track_caller]
pub fn scatter_add_rows(rows: &Tensor, indices: &[usize], shape: &[usize]) -> Tensor {
    assert!(
        rows.ndim() >= 1
            && !shape.is_empty()
            && rows.shape()[0] == indices.len()
            && rows.shape()[1..] == shape[1..],
        "scatter_add_rows: {} rows of shape {:?} do not fit target shape {shape:?}",
        indices.len(),
        rows.shape()
    );
    if let Some(&bad) = indices.iter().find(|&&i| i >= shape[0]) {
        panic!("scatter_add_rows: row {bad} is out of range for target shape {shape:?}");
    }
    match rows.storage() {
        Storage::Cpu(x) => Tensor::cpu(
            Shape::from(shape),
            cpu::scatter_add_rows(x, row_len(shape), indices, shape[0]),
        ),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => Tensor::gpu(
            Shape::from(shape),
            crate::gpu::layout::index_add(rows.shape(), x, 0, indices, shape),
        ),
    }
}
