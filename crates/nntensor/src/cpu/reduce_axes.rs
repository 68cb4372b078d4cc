//! Reductions over any set of axes, and `cumsum`: the input is rearranged into rows (the kept
//! axes outside, the reduced ones inside, row-major), each row reduces to one value, and
//! gradients come back through the same rows.

use super::view;
use crate::ops::reduce_axes::{Norm, Reduce};
use crate::Shape;
use ndarray::{ArrayViewD, IxDyn};

/// Kept axes in order, then the reduced ones.
fn rows_permutation(ndim: usize, axes: &[usize]) -> Vec<usize> {
    (0..ndim)
        .filter(|a| !axes.contains(a))
        .chain(axes.iter().copied())
        .collect()
}

fn is_identity(perm: &[usize]) -> bool {
    perm.iter().enumerate().all(|(i, &p)| i == p)
}

/// `x` rearranged so that `axes` come last: row `i` holds the elements that reduce to output
/// element `i` (row-major over the kept axes). Returns the rows and the permutation used.
fn to_rows(shape: &Shape, x: &[f32], axes: &[usize]) -> (Vec<f32>, Vec<usize>) {
    let perm = rows_permutation(shape.ndim(), axes);
    if is_identity(&perm) {
        return (x.to_vec(), perm);
    }
    let permuted = view(shape, x).permuted_axes(perm.clone());
    (permuted.iter().copied().collect(), perm)
}

/// The inverse of [`to_rows`]: rows in the permuted layout back in `shape`'s row-major order.
fn from_rows(shape: &Shape, rows: Vec<f32>, perm: &[usize]) -> Vec<f32> {
    if is_identity(perm) {
        return rows;
    }
    let permuted_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let mut inverse = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inverse[p] = i;
    }
    let permuted =
        ArrayViewD::from_shape(IxDyn(&permuted_shape), &rows).expect("rows of the shape");
    permuted.permuted_axes(inverse).iter().copied().collect()
}

/// Elements per row: the product of the reduced axes' sizes.
fn row_len(shape: &Shape, axes: &[usize]) -> usize {
    axes.iter().map(|&a| shape[a]).product()
}

/// Sum of a row in f64, in order.
fn sum64(row: &[f32]) -> f64 {
    row.iter().map(|&v| v as f64).sum()
}

/// The reduction of one row (`n` elements).
fn reduce_row(op: Reduce, row: &[f32]) -> f32 {
    let n = row.len() as f64;
    match op {
        Reduce::Sum => sum64(row) as f32,
        Reduce::Mean => (sum64(row) / n) as f32,
        Reduce::Prod => row.iter().map(|&v| v as f64).product::<f64>() as f32,
        Reduce::Max => row.iter().fold(f32::NEG_INFINITY, |m, &v| {
            if v.is_nan() || m.is_nan() {
                f32::NAN
            } else {
                m.max(v)
            }
        }),
        Reduce::Min => row.iter().fold(f32::INFINITY, |m, &v| {
            if v.is_nan() || m.is_nan() {
                f32::NAN
            } else {
                m.min(v)
            }
        }),
        Reduce::LogSumExp => {
            if row.iter().any(|v| v.is_nan()) {
                return f32::NAN;
            }
            let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            if max.is_infinite() {
                return max;
            }
            let sum: f64 = row.iter().map(|&v| ((v - max) as f64).exp()).sum();
            (max as f64 + sum.ln()) as f32
        }
        Reduce::Var { correction } => variance(row, correction) as f32,
        Reduce::Std { correction } => variance(row, correction).sqrt() as f32,
        Reduce::Norm(Norm::L1) => row.iter().map(|&v| v.abs() as f64).sum::<f64>() as f32,
        Reduce::Norm(Norm::L2) => row
            .iter()
            .map(|&v| (v as f64) * (v as f64))
            .sum::<f64>()
            .sqrt() as f32,
        Reduce::Norm(Norm::Inf) => row.iter().fold(0.0f32, |m, &v| {
            if v.is_nan() || m.is_nan() {
                f32::NAN
            } else {
                m.max(v.abs())
            }
        }),
    }
}

/// `Σ (x − mean)² / (n − correction)`, in f64.
fn variance(row: &[f32], correction: f32) -> f64 {
    let n = row.len() as f64;
    let mean = sum64(row) / n;
    let squares: f64 = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum();
    squares / (n - correction as f64).max(0.0)
}

/// `op` over `axes` of `x`: one value per position of the kept axes, in row-major order.
pub(crate) fn reduce(op: Reduce, shape: &Shape, x: &[f32], axes: &[usize]) -> Vec<f32> {
    let (rows, _) = to_rows(shape, x, axes);
    let n = row_len(shape, axes);
    let outer: usize = (0..shape.ndim())
        .filter(|a| !axes.contains(a))
        .map(|a| shape[a])
        .product();
    (0..outer)
        .map(|i| reduce_row(op, &rows[i * n..(i + 1) * n]))
        .collect()
}

/// The gradient of one row: `d[j] = g · ∂op/∂x[j]`, given the row, the output `y` and `g`.
fn backward_row(op: Reduce, row: &[f32], y: f32, g: f32, d: &mut [f32]) {
    let n = row.len() as f32;
    match op {
        Reduce::Sum => d.iter_mut().for_each(|d| *d = g),
        Reduce::Mean => d.iter_mut().for_each(|d| *d = g / n),
        Reduce::Prod => {
            // The product of the others: prefix · suffix products, exact even with zeros.
            let mut prefix = 1.0f64;
            for (d, &x) in d.iter_mut().zip(row) {
                *d = prefix as f32;
                prefix *= x as f64;
            }
            let mut suffix = 1.0f64;
            for (d, &x) in d.iter_mut().zip(row).rev() {
                *d = ((*d as f64) * suffix * g as f64) as f32;
                suffix *= x as f64;
            }
        }
        Reduce::Max | Reduce::Min => {
            // Ties share the gradient evenly, as PyTorch's amax/amin do.
            let ties = row.iter().filter(|&&x| x == y).count().max(1) as f32;
            for (d, &x) in d.iter_mut().zip(row) {
                *d = if x == y { g / ties } else { 0.0 };
            }
        }
        Reduce::LogSumExp => {
            for (d, &x) in d.iter_mut().zip(row) {
                *d = g * (x - y).exp();
            }
        }
        Reduce::Var { correction } | Reduce::Std { correction } => {
            let mean = (sum64(row) / row.len() as f64) as f32;
            let denom = (n - correction).max(0.0);
            let scale = match op {
                Reduce::Var { .. } => 2.0 * g / denom,
                // A constant row has std 0: its gradient is 0, as in PyTorch.
                _ if y == 0.0 => 0.0,
                _ => g / (denom * y),
            };
            for (d, &x) in d.iter_mut().zip(row) {
                *d = scale * (x - mean);
            }
        }
        Reduce::Norm(Norm::L1) => {
            for (d, &x) in d.iter_mut().zip(row) {
                *d = g * if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                };
            }
        }
        Reduce::Norm(Norm::L2) => {
            for (d, &x) in d.iter_mut().zip(row) {
                *d = if y == 0.0 { 0.0 } else { g * x / y };
            }
        }
        Reduce::Norm(Norm::Inf) => {
            let ties = row.iter().filter(|&&x| x.abs() == y).count().max(1) as f32;
            for (d, &x) in d.iter_mut().zip(row) {
                *d = if x.abs() == y && y > 0.0 {
                    g * x.signum() / ties
                } else {
                    0.0
                };
            }
        }
    }
}

/// The gradient of `y = op(x)` over `axes`: `g` and `y` have one value per row.
pub(crate) fn reduce_backward(
    op: Reduce,
    shape: &Shape,
    x: &[f32],
    axes: &[usize],
    y: &[f32],
    g: &[f32],
) -> Vec<f32> {
    let (rows, perm) = to_rows(shape, x, axes);
    let n = row_len(shape, axes);
    let mut d = vec![0.0; rows.len()];
    if n > 0 {
        for (i, (row, d)) in rows.chunks_exact(n).zip(d.chunks_exact_mut(n)).enumerate() {
            backward_row(op, row, y[i], g[i], d);
        }
    }
    from_rows(shape, d, &perm)
}

/// Running sums along `axis` (the same shape), in order along the axis.
pub(crate) fn cumsum(shape: &Shape, x: &[f32], axis: usize, reverse: bool) -> Vec<f32> {
    let (mut rows, perm) = to_rows(shape, x, &[axis]);
    let n = shape[axis];
    if n > 0 {
        for row in rows.chunks_exact_mut(n) {
            let mut total = 0.0f32;
            if reverse {
                for v in row.iter_mut().rev() {
                    total += *v;
                    *v = total;
                }
            } else {
                for v in row.iter_mut() {
                    total += *v;
                    *v = total;
                }
            }
        }
    }
    from_rows(shape, rows, &perm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_for_any_axes() {
        let shape = Shape::from([2, 3, 4]);
        let x: Vec<f32> = (0..24).map(|i| i as f32).collect();
        for axes in [
            vec![0],
            vec![1],
            vec![2],
            vec![0, 2],
            vec![2, 0],
            vec![0, 1, 2],
        ] {
            let mut sorted = axes.clone();
            sorted.sort();
            let (rows, perm) = to_rows(&shape, &x, &sorted);
            assert_eq!(from_rows(&shape, rows, &perm), x, "axes {axes:?}");
        }
    }
}
