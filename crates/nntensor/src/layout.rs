//! Shape and layout: reshape, transpose, one-hot, and taking rows along the batch axis.

use crate::{Tensor, TensorError};
use ndarray::{Axis, IxDyn};

/// A copy of `t` with a new shape holding the same number of elements (row-major order).
///
/// ```
/// let t = nntensor::Tensor::zeros(vec![2, 3]);
/// assert_eq!(nntensor::reshape(&t, &[3, 2]).shape(), &[3, 2]);
/// ```
#[track_caller]
pub fn reshape(t: &Tensor, shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    assert!(
        n == t.len(),
        "reshape: cannot reshape {:?} ({} elements) into {shape:?} ({n} elements)",
        t.shape(),
        t.len()
    );
    match t.as_slice() {
        Some(data) => Tensor::from_shape_vec(IxDyn(shape), data.to_vec()),
        None => Tensor::from_shape_vec(IxDyn(shape), t.iter().copied().collect()),
    }
    .expect("element count checked above")
}

/// Reverses the order of the axes (the matrix transpose for 2-D), as a new row-major tensor.
///
/// ```
/// let t = nntensor::Tensor::from_shape_vec(vec![1, 2], vec![1., 2.]).unwrap();
/// assert_eq!(nntensor::transpose(&t).shape(), &[2, 1]);
/// ```
pub fn transpose(t: &Tensor) -> Tensor {
    t.t().as_standard_layout().into_owned()
}

/// One-hot rows `(labels.len(), classes)` with a 1 in column `labels[i]` of row `i`.
///
/// Labels come from users, so a label outside `0..classes` is an error, not a panic.
///
/// ```
/// let t = nntensor::one_hot(&[2, 0], 3).unwrap();
/// assert_eq!(t.as_slice().unwrap(), &[0., 0., 1., 1., 0., 0.]);
/// assert!(nntensor::one_hot(&[3], 3).is_err());
/// ```
pub fn one_hot(labels: &[usize], classes: usize) -> Result<Tensor, TensorError> {
    let mut out = Tensor::zeros(IxDyn(&[labels.len(), classes]));
    for (position, &label) in labels.iter().enumerate() {
        if label >= classes {
            return Err(TensorError::LabelOutOfRange {
                label,
                position,
                classes,
            });
        }
        out[[position, label]] = 1.0;
    }
    Ok(out)
}

/// Rows `start..end` of the first axis, copied into a new tensor.
///
/// ```
/// let t = nntensor::Tensor::from_shape_vec(vec![3, 1], vec![1., 2., 3.]).unwrap();
/// assert_eq!(nntensor::slice_rows(&t, 1, 3).as_slice().unwrap(), &[2., 3.]);
/// ```
#[track_caller]
pub fn slice_rows(t: &Tensor, start: usize, end: usize) -> Tensor {
    assert!(
        t.ndim() >= 1 && start <= end && end <= t.shape()[0],
        "slice_rows: rows {start}..{end} are out of range for shape {:?}",
        t.shape()
    );
    t.slice_axis(Axis(0), (start..end).into()).to_owned()
}

/// The rows `indices` of the first axis, gathered into one contiguous tensor (repeats allowed).
///
/// Copies each row with one slice copy when `t` is row-major; no per-row allocation.
///
/// ```
/// let t = nntensor::Tensor::from_shape_vec(vec![3, 2], vec![0., 1., 2., 3., 4., 5.]).unwrap();
/// let g = nntensor::gather_rows(&t, &[2, 0]);
/// assert_eq!(g.as_slice().unwrap(), &[4., 5., 0., 1.]);
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
    let Some(data) = t.as_slice() else {
        return t.select(Axis(0), indices);
    };
    let row_len: usize = t.shape()[1..].iter().product();
    let mut out = Vec::with_capacity(indices.len() * row_len);
    for (n, &i) in indices.iter().enumerate() {
        // Shuffled rows are far apart in memory: ask for a later row while copying this one.
        if let Some(&ahead) = indices.get(n + PREFETCH_ROWS_AHEAD) {
            prefetch(&data[ahead * row_len..(ahead + 1) * row_len]);
        }
        out.extend_from_slice(&data[i * row_len..(i + 1) * row_len]);
    }
    Tensor::from_shape_vec(IxDyn(&shape), out).expect("length matches shape")
}

/// How many rows ahead [`gather_rows`] prefetches.
const PREFETCH_ROWS_AHEAD: usize = 4;

/// Hints the CPU to start loading every cache line of `data` (a no-op off x86-64).
#[inline]
fn prefetch(data: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    for line in data.chunks(16) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        #[allow(unsafe_code)]
        // SAFETY: a prefetch is only a hint: it reads nothing into the program and never faults,
        // and the pointer comes from a live slice. SSE is part of every x86-64 CPU.
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast::<i8>())
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

/// Adds each row of `rows` into row `indices[i]` of a zero tensor of `shape`: the gradient of `gather_rows`.
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
    let mut out = Tensor::zeros(IxDyn(shape));
    for (row, &i) in rows.outer_iter().zip(indices) {
        let mut target = out.index_axis_mut(Axis(0), i);
        target += &row;
    }
    out
}

/// Builds a tensor of `shape` from `data` (row-major), or says why the lengths differ.
///
/// ```
/// assert!(nntensor::tensor_from_vec(&[2, 2], vec![1.0; 4]).is_ok());
/// assert!(nntensor::tensor_from_vec(&[2, 2], vec![1.0; 3]).is_err());
/// ```
pub fn tensor_from_vec(shape: &[usize], data: Vec<f32>) -> Result<Tensor, TensorError> {
    let expected: usize = shape.iter().product();
    if expected != data.len() {
        return Err(TensorError::DataLength {
            shape: shape.to_vec(),
            expected,
            actual: data.len(),
        });
    }
    Ok(Tensor::from_shape_vec(IxDyn(shape), data).expect("length checked"))
}

/// A 0-dimensional tensor holding one value.
pub fn scalar(value: f32) -> Tensor {
    Tensor::from_elem(IxDyn(&[]), value)
}
