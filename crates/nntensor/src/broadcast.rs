//! NumPy broadcasting for binary ops, and `unbroadcast`, its inverse for gradients.

use crate::Tensor;
use ndarray::{Axis, IxDyn, Zip};

/// The broadcast shape of `a` and `b` under NumPy rules, or `None` if they are incompatible.
///
/// Shapes are aligned at their last axis; each pair of sizes must be equal or contain a 1.
///
/// ```
/// use nntensor::broadcast_shape;
/// assert_eq!(broadcast_shape(&[4, 1, 3], &[5, 1]), Some(vec![4, 5, 3]));
/// assert_eq!(broadcast_shape(&[2, 3], &[4]), None);
/// ```
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let ndim = a.len().max(b.len());
    let mut out = vec![0; ndim];
    for i in 0..ndim {
        let da = if i < ndim - a.len() {
            1
        } else {
            a[i - (ndim - a.len())]
        };
        let db = if i < ndim - b.len() {
            1
        } else {
            b[i - (ndim - b.len())]
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// Applies `f` elementwise to `a` and `b` broadcast together; `op` names the operation in panics.
///
/// Panics (reporting the caller's line) if the shapes do not broadcast.
///
/// ```
/// use nntensor::{zip_broadcast, Tensor};
/// let a = Tensor::from_shape_vec(vec![2, 2], vec![1., 2., 3., 4.]).unwrap();
/// let row = Tensor::from_shape_vec(vec![2], vec![10., 20.]).unwrap();
/// let sum = zip_broadcast("add", &a, &row, |x, y| x + y);
/// assert_eq!(sum.as_slice().unwrap(), &[11., 22., 13., 24.]);
/// ```
#[track_caller]
pub fn zip_broadcast(op: &str, a: &Tensor, b: &Tensor, f: impl Fn(f32, f32) -> f32) -> Tensor {
    if a.shape() == b.shape() {
        return Zip::from(a).and(b).map_collect(|&x, &y| f(x, y));
    }
    let Some(shape) = broadcast_shape(a.shape(), b.shape()) else {
        panic!(
            "{op}: shapes {:?} and {:?} do not broadcast (sizes must match or be 1, aligned at the last axis)",
            a.shape(),
            b.shape()
        );
    };
    let av = a
        .broadcast(IxDyn(&shape))
        .expect("checked by broadcast_shape");
    let bv = b
        .broadcast(IxDyn(&shape))
        .expect("checked by broadcast_shape");
    Zip::from(&av).and(&bv).map_collect(|&x, &y| f(x, y))
}

/// Sums `grad` down to `shape`: the inverse of broadcasting `shape` up to `grad.shape()`.
///
/// Leading axes that broadcasting added are summed away; axes where `shape` has size 1 are summed
/// and kept. Panics if `shape` does not broadcast to `grad`'s shape.
///
/// ```
/// use nntensor::{unbroadcast, Tensor};
/// let g = Tensor::ones(vec![3, 2]);
/// assert_eq!(unbroadcast(g.clone(), &[2]).as_slice().unwrap(), &[3., 3.]);
/// assert_eq!(unbroadcast(g, &[3, 1]).shape(), &[3, 1]);
/// ```
#[track_caller]
pub fn unbroadcast(grad: Tensor, shape: &[usize]) -> Tensor {
    if grad.shape() == shape {
        return grad;
    }
    let extra = grad.ndim().checked_sub(shape.len());
    let valid = extra.is_some_and(|extra| {
        shape
            .iter()
            .enumerate()
            .all(|(i, &s)| s == 1 || s == grad.shape()[i + extra])
    });
    if !valid {
        panic!(
            "unbroadcast: shape {shape:?} does not broadcast to gradient shape {:?}",
            grad.shape()
        );
    }
    let extra = grad.ndim() - shape.len();
    let mut out = grad;
    if extra > 0 {
        out = sum_leading_axes(out, extra);
    }
    for (axis, &size) in shape.iter().enumerate() {
        if size == 1 && out.shape()[axis] != 1 {
            out = out.sum_axis(Axis(axis)).insert_axis(Axis(axis));
        }
    }
    out
}

/// Sums away the first `count` axes: as one row-sum over a `(leading, rest)` view when `t` is
/// row-major (contiguous, vectorised), axis by axis otherwise.
fn sum_leading_axes(t: Tensor, count: usize) -> Tensor {
    let rest: Vec<usize> = t.shape()[count..].to_vec();
    let leading: usize = t.shape()[..count].iter().product();
    let width: usize = rest.iter().product();
    match t.view().into_shape_with_order((leading, width)) {
        Ok(rows) => crate::sum_rows(rows)
            .into_shape_with_order(IxDyn(&rest))
            .expect("same length"),
        Err(_) => (0..count).fold(t, |acc, _| acc.sum_axis(Axis(0))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive_unbroadcast(grad: &Tensor, shape: &[usize]) -> Tensor {
        // Sum each gradient element into the input element it was broadcast from.
        let mut out = Tensor::zeros(IxDyn(shape));
        let extra = grad.ndim() - shape.len();
        for (idx, &g) in grad.indexed_iter() {
            let src: Vec<usize> = shape
                .iter()
                .enumerate()
                .map(|(i, &s)| if s == 1 { 0 } else { idx[i + extra] })
                .collect();
            out[IxDyn(&src)] += g;
        }
        out
    }

    /// An output shape and an input shape that broadcasts to it.
    fn shapes() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
        prop::collection::vec(1usize..4, 0..4)
            .prop_flat_map(|full| {
                let n = full.len();
                (Just(full), 0..=n, prop::collection::vec(any::<bool>(), n))
            })
            .prop_map(|(full, keep, ones)| {
                let start = full.len() - keep;
                let input: Vec<usize> = (start..full.len())
                    .map(|i| if ones[i] { 1 } else { full[i] })
                    .collect();
                (full, input)
            })
    }

    proptest! {
        #[test]
        fn unbroadcast_matches_naive_sum((full, input) in shapes(), seed in any::<u64>()) {
            let mut rng = crate::Rng::seed_from(seed);
            let grad = Tensor::from_shape_fn(IxDyn(&full), |_| rng.uniform(-1.0, 1.0));
            let fast = unbroadcast(grad.clone(), &input);
            let slow = naive_unbroadcast(&grad, &input);
            prop_assert_eq!(fast.shape(), &input[..]);
            for (x, y) in fast.iter().zip(slow.iter()) {
                prop_assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()));
            }
        }

        #[test]
        fn broadcast_shape_is_symmetric_and_absorbs_input((full, input) in shapes()) {
            prop_assert_eq!(broadcast_shape(&full, &input), Some(full.clone()));
            prop_assert_eq!(broadcast_shape(&input, &full), Some(full.clone()));
        }

        #[test]
        fn zip_broadcast_matches_explicit_broadcast((full, input) in shapes(), seed in any::<u64>()) {
            let mut rng = crate::Rng::seed_from(seed);
            let a = Tensor::from_shape_fn(IxDyn(&full), |_| rng.uniform(-1.0, 1.0));
            let b = Tensor::from_shape_fn(IxDyn(&input), |_| rng.uniform(-1.0, 1.0));
            let got = zip_broadcast("sub", &b, &a, |x, y| x - y);
            let b_full = b.broadcast(IxDyn(&full)).unwrap();
            for ((g, x), y) in got.iter().zip(b_full.iter()).zip(a.iter()) {
                prop_assert_eq!(*g, x - y);
            }
        }
    }

    #[test]
    #[should_panic(expected = "add: shapes [2, 3] and [4] do not broadcast")]
    fn incompatible_shapes_panic_with_both_shapes() {
        let _ = zip_broadcast(
            "add",
            &Tensor::zeros(IxDyn(&[2, 3])),
            &Tensor::zeros(IxDyn(&[4])),
            |x, y| x + y,
        );
    }
}
