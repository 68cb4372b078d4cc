//! Reductions: sum, mean, max (over everything or one axis) and argmax.

use crate::Tensor;
use ndarray::{Axis, IxDyn};

#[track_caller]
fn check_axis(op: &str, t: &Tensor, axis: usize) {
    assert!(
        axis < t.ndim(),
        "{op}: axis {axis} is out of range for a tensor of shape {:?}",
        t.shape()
    );
}

/// Sum of all elements, as a 0-dimensional tensor.
///
/// ```
/// let t = nntensor::Tensor::ones(vec![2, 3]);
/// assert_eq!(nntensor::sum_all(&t).into_iter().next(), Some(6.0));
/// ```
pub fn sum_all(t: &Tensor) -> Tensor {
    Tensor::from_elem(IxDyn(&[]), t.sum())
}

/// Mean of all elements, as a 0-dimensional tensor (NaN for an empty tensor).
pub fn mean_all(t: &Tensor) -> Tensor {
    Tensor::from_elem(IxDyn(&[]), t.sum() / t.len() as f32)
}

/// Largest element, as a 0-dimensional tensor. Panics on an empty tensor.
#[track_caller]
pub fn max_all(t: &Tensor) -> Tensor {
    assert!(!t.is_empty(), "max_all: the tensor is empty");
    Tensor::from_elem(IxDyn(&[]), t.fold(f32::NEG_INFINITY, |m, &x| m.max(x)))
}

/// Sums over `axis`, removing it.
///
/// ```
/// let t = nntensor::Tensor::from_shape_vec(vec![2, 2], vec![1., 2., 3., 4.]).unwrap();
/// assert_eq!(nntensor::sum_axis(&t, 0).as_slice().unwrap(), &[4., 6.]);
/// ```
#[track_caller]
pub fn sum_axis(t: &Tensor, axis: usize) -> Tensor {
    check_axis("sum_axis", t, axis);
    t.sum_axis(Axis(axis))
}

/// Sums the rows of a 2-D view into one row: `out[j] = Σᵢ t[i, j]`, adding whole rows in order
/// (vectorised over `j`). The bias gradient of a dense layer is this sum.
///
/// ```
/// let t = ndarray::array![[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]];
/// assert_eq!(nntensor::sum_rows(t.view()).to_vec(), vec![9.0, 12.0]);
/// ```
pub fn sum_rows(t: ndarray::ArrayView2<'_, f32>) -> ndarray::Array1<f32> {
    let mut acc = ndarray::Array1::zeros(t.ncols());
    match (t.as_slice(), acc.as_slice_mut()) {
        // A few columns of many rows (a tiny layer's bias gradient): eight rows at a time into
        // eight sets of running sums, so the additions vectorise and do not form one chain.
        (Some(data), Some(sums)) if !sums.is_empty() && sums.len() < 8 => match sums.len() {
            1 => sum_narrow_rows::<1, 8>(data, sums),
            2 => sum_narrow_rows::<2, 16>(data, sums),
            3 => sum_narrow_rows::<3, 24>(data, sums),
            4 => sum_narrow_rows::<4, 32>(data, sums),
            5 => sum_narrow_rows::<5, 40>(data, sums),
            6 => sum_narrow_rows::<6, 48>(data, sums),
            _ => sum_narrow_rows::<7, 56>(data, sums),
        },
        // Row-major (the usual gradient): one pass over memory, rows added in order.
        (Some(data), Some(sums)) if !sums.is_empty() => {
            for row in data.chunks_exact(sums.len()) {
                for (sum, &x) in sums.iter_mut().zip(row) {
                    *sum += x;
                }
            }
        }
        _ => {
            for row in t.rows() {
                acc += &row;
            }
        }
    }
    acc
}

/// Column sums of row-major `data` with `N` columns, where `W = 8·N`: rows `i ≡ r (mod 8)` go
/// into set `r`, the last `len mod W` elements into set 0, and the sets are added in order.
fn sum_narrow_rows<const N: usize, const W: usize>(data: &[f32], sums: &mut [f32]) {
    let mut sets = [0.0f32; W];
    let mut blocks = data.chunks_exact(W);
    for block in &mut blocks {
        for (set, &x) in sets.iter_mut().zip(block) {
            *set += x;
        }
    }
    for row in blocks.remainder().chunks_exact(N) {
        for (set, &x) in sets.iter_mut().zip(row) {
            *set += x;
        }
    }
    for (j, sum) in sums.iter_mut().enumerate() {
        *sum = sets[j..].iter().step_by(N).sum();
    }
}

/// Means over `axis`, removing it.
#[track_caller]
pub fn mean_axis(t: &Tensor, axis: usize) -> Tensor {
    check_axis("mean_axis", t, axis);
    let n = t.shape()[axis] as f32;
    t.sum_axis(Axis(axis)) / n
}

/// Maximum over `axis`, removing it. Panics if that axis is empty.
#[track_caller]
pub fn max_axis(t: &Tensor, axis: usize) -> Tensor {
    check_axis("max_axis", t, axis);
    assert!(
        t.shape()[axis] > 0,
        "max_axis: axis {axis} of shape {:?} is empty",
        t.shape()
    );
    t.fold_axis(Axis(axis), f32::NEG_INFINITY, |&m, &x| m.max(x))
}

/// Index of the largest value along `axis` (the first one on ties), with that axis removed.
///
/// ```
/// let t = nntensor::Tensor::from_shape_vec(vec![2, 3], vec![0., 5., 1., 9., 2., 9.]).unwrap();
/// assert_eq!(nntensor::argmax_axis(&t, 1).as_slice().unwrap(), &[1, 0]);
/// ```
#[track_caller]
pub fn argmax_axis(t: &Tensor, axis: usize) -> ndarray::ArrayD<usize> {
    check_axis("argmax_axis", t, axis);
    assert!(
        t.shape()[axis] > 0,
        "argmax_axis: axis {axis} of shape {:?} is empty",
        t.shape()
    );
    t.map_axis(Axis(axis), |lane| {
        let mut best = 0;
        for (i, &x) in lane.iter().enumerate() {
            if x > lane[best] || (lane[best].is_nan() && !x.is_nan()) {
                best = i;
            }
        }
        best
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_rows_matches_a_plain_sum_for_narrow_and_wide_rows() {
        for cols in 1..=9 {
            for rows in [0, 1, 5, 8, 9, 17, 1001] {
                let t = ndarray::Array2::from_shape_fn((rows, cols), |(i, j)| {
                    ((i * 7 + j * 3) % 11) as f32 - 5.0 + 0.25 * j as f32
                });
                let got = sum_rows(t.view());
                for j in 0..cols {
                    let want: f64 = (0..rows).map(|i| t[[i, j]] as f64).sum();
                    assert!(
                        (got[j] as f64 - want).abs() < 1e-3,
                        "{rows}x{cols}: column {j} sums to {}, want {want}",
                        got[j]
                    );
                }
            }
        }
        // A transposed (column-major) view takes the general path.
        let t = ndarray::Array2::from_shape_fn((3, 40), |(i, j)| (i + j) as f32);
        let want: Vec<f32> = (0..3)
            .map(|i| (0..40).map(|j| (i + j) as f32).sum())
            .collect();
        assert_eq!(sum_rows(t.t()).to_vec(), want);
    }
}
