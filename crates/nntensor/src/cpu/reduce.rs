//! Reduction kernels: whole-tensor and per-axis sums, means and maxima, argmax, column sums of
//! 2-D views, and `unbroadcast`'s sums.

use super::view;
use crate::Shape;
use ndarray::{Axis, IxDyn};

/// Sum of all elements (ndarray's pairwise-blocked sum).
pub(crate) fn sum_all(shape: &Shape, x: &[f32]) -> f32 {
    view(shape, x).sum()
}

/// Largest element (`-inf` for none; NaN is skipped unless every element is NaN).
pub(crate) fn max_all(x: &[f32]) -> f32 {
    x.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v))
}

/// Sums over `axis`, removing it.
pub(crate) fn sum_axis(shape: &Shape, x: &[f32], axis: usize) -> Vec<f32> {
    super::into_vec(view(shape, x).sum_axis(Axis(axis)))
}

/// Maximum over `axis`, removing it.
pub(crate) fn max_axis(shape: &Shape, x: &[f32], axis: usize) -> Vec<f32> {
    let max = view(shape, x).fold_axis(Axis(axis), f32::NEG_INFINITY, |&m, &v| m.max(v));
    super::into_vec(max)
}

/// Index of the largest value along `axis` (the first one on ties, a non-NaN over NaN), in
/// row-major order of the reduced shape.
pub(crate) fn argmax_axis(shape: &Shape, x: &[f32], axis: usize) -> Vec<usize> {
    let best = view(shape, x).map_axis(Axis(axis), |lane| {
        let mut best = 0;
        for (i, &v) in lane.iter().enumerate() {
            if v > lane[best] || (lane[best].is_nan() && !v.is_nan()) {
                best = i;
            }
        }
        best
    });
    best.iter().copied().collect()
}

/// The gradient of a maximum: `g` placed at the first maximum of `x` (over everything when `axis`
/// is `None`, else of each lane along `axis`), zeros elsewhere.
pub(crate) fn max_backward(shape: &Shape, x: &[f32], g: &[f32], axis: Option<usize>) -> Vec<f32> {
    let mut out = super::zeroed(x.len());
    match axis {
        None => {
            let max = max_all(x);
            if let Some(pos) = x.iter().position(|&v| v == max) {
                out[pos] = g.first().copied().unwrap_or(0.0);
            }
        }
        Some(axis) => {
            let argmax = argmax_axis(shape, x, axis);
            let mut out_view = super::view_mut(shape, &mut out);
            for ((mut lane, &k), &gv) in out_view
                .lanes_mut(Axis(axis))
                .into_iter()
                .zip(&argmax)
                .zip(g)
            {
                lane[k] = gv;
            }
        }
    }
    out
}

/// `grad` (of shape `grad_shape`) summed down to `shape`, which broadcasts to it (checked by the
/// caller): leading axes summed away, size-1 axes summed and kept.
pub(crate) fn unbroadcast(grad_shape: &Shape, grad: &[f32], shape: &[usize]) -> Vec<f32> {
    let extra = grad_shape.ndim() - shape.len();
    let mut out = if extra > 0 {
        sum_leading_axes(grad_shape, grad, extra)
    } else {
        view(grad_shape, grad).to_owned()
    };
    for (axis, &size) in shape.iter().enumerate() {
        if size == 1 && out.shape()[axis] != 1 {
            out = out.sum_axis(Axis(axis)).insert_axis(Axis(axis));
        }
    }
    super::into_vec(out)
}

/// Sums away the first `count` axes, as one row-sum over a `(leading, rest)` view.
fn sum_leading_axes(shape: &Shape, data: &[f32], count: usize) -> ndarray::ArrayD<f32> {
    let rest = &shape[count..];
    let leading: usize = shape[..count].iter().product();
    let width: usize = rest.iter().product();
    let rows = ndarray::ArrayView2::from_shape((leading, width), data).expect("row-major");
    sum_rows(rows)
        .into_shape_with_order(IxDyn(rest))
        .expect("same length")
}

/// Sums the rows of a 2-D view into one row: `out[j] = Σᵢ t[i, j]`, adding whole rows in order
/// (vectorised over `j`). The bias gradient of a dense layer is this sum.
///
/// ```
/// let t = ndarray::array![[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]];
/// assert_eq!(nntensor::cpu::sum_rows(t.view()).to_vec(), vec![9.0, 12.0]);
/// ```
pub fn sum_rows(t: ndarray::ArrayView2<'_, f32>) -> ndarray::Array1<f32> {
    if let Some(data) = t.as_slice() {
        return ndarray::Array1::from_vec(sum_rows_slice(data, t.ncols()));
    }
    let mut acc = ndarray::Array1::zeros(t.ncols());
    for row in t.rows() {
        acc += &row;
    }
    acc
}

/// [`sum_rows`] of a row-major matrix of `cols` columns in a slice.
pub(crate) fn sum_rows_slice(data: &[f32], cols: usize) -> Vec<f32> {
    let mut sums = super::zeroed(cols);
    match cols {
        0 => {}
        // A few columns of many rows (a tiny layer's bias gradient): eight rows at a time into
        // eight sets of running sums, so the additions vectorise and do not form one chain.
        1 => sum_narrow_rows::<1, 8>(data, &mut sums),
        2 => sum_narrow_rows::<2, 16>(data, &mut sums),
        3 => sum_narrow_rows::<3, 24>(data, &mut sums),
        4 => sum_narrow_rows::<4, 32>(data, &mut sums),
        5 => sum_narrow_rows::<5, 40>(data, &mut sums),
        6 => sum_narrow_rows::<6, 48>(data, &mut sums),
        7 => sum_narrow_rows::<7, 56>(data, &mut sums),
        // The usual gradient: one pass over memory, rows added in order.
        _ => {
            for row in data.chunks_exact(cols) {
                for (sum, &x) in sums.iter_mut().zip(row) {
                    *sum += x;
                }
            }
        }
    }
    sums
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
