//! Numerically stable softmax and log-softmax along one axis.

use crate::fastmath::exp_fast;
use crate::Tensor;
use ndarray::Axis;

/// Softmax along `axis`: `exp(x - max) / sum(exp(x - max))`, finite for any finite input.
///
/// ```
/// let t = nntensor::Tensor::from_shape_vec(vec![1, 2], vec![1e4, 1e4]).unwrap();
/// assert_eq!(nntensor::softmax(&t, 1).as_slice().unwrap(), &[0.5, 0.5]);
/// ```
#[track_caller]
pub fn softmax(t: &Tensor, axis: usize) -> Tensor {
    assert!(
        axis < t.ndim(),
        "softmax: axis {axis} is out of range for shape {:?}",
        t.shape()
    );
    let mut out = t.clone();
    for mut lane in out.lanes_mut(Axis(axis)) {
        let max = lane.fold(f32::NEG_INFINITY, |m, &x| m.max(x));
        let mut sum = 0.0;
        lane.mapv_inplace(|x| {
            let e = exp_fast(x - max);
            sum += e;
            e
        });
        let inv = 1.0 / sum;
        lane.mapv_inplace(|e| e * inv);
    }
    out
}

/// Log-softmax along `axis`: `x - max - ln(sum(exp(x - max)))`, finite for any finite input.
///
/// ```
/// let t = nntensor::Tensor::from_shape_vec(vec![2], vec![0.0, 0.0]).unwrap();
/// let l = nntensor::log_softmax(&t, 0);
/// assert!((l[[0]] - (0.5f32).ln()).abs() < 1e-7);
/// ```
#[track_caller]
pub fn log_softmax(t: &Tensor, axis: usize) -> Tensor {
    assert!(
        axis < t.ndim(),
        "log_softmax: axis {axis} is out of range for shape {:?}",
        t.shape()
    );
    let mut out = t.clone();
    for mut lane in out.lanes_mut(Axis(axis)) {
        let max = lane.fold(f32::NEG_INFINITY, |m, &x| m.max(x));
        let sum: f32 = lane.iter().map(|&x| exp_fast(x - max)).sum();
        let shift = max + sum.ln();
        lane.mapv_inplace(|x| x - shift);
    }
    out
}
