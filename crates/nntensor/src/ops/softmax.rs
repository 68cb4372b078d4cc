//! Numerically stable softmax and log-softmax along one axis, and their backward passes.

use crate::cpu::softmax as cpu;
use crate::device::same_device;
use crate::{Storage, Tensor};

#[track_caller]
fn check_axis(op: &str, t: &Tensor, axis: usize) {
    assert!(
        axis < t.ndim(),
        "{op}: axis {axis} is out of range for shape {:?}",
        t.shape()
    );
}

/// Softmax along `axis`: `exp(x - max) / sum(exp(x - max))`, finite for any finite input.
///
/// ```
/// let t = nntensor::Tensor::from_vec([1, 2], vec![1e4, 1e4]).unwrap();
/// assert_eq!(nntensor::softmax(&t, 1).to_vec(), vec![0.5, 0.5]);
/// ```
#[track_caller]
pub fn softmax(t: &Tensor, axis: usize) -> Tensor {
    check_axis("softmax", t, axis);
    match t.storage() {
        Storage::Cpu(x) => Tensor::cpu(t.shape_ref().clone(), cpu::softmax(t.shape_ref(), x, axis)),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => Tensor::gpu(
            t.shape_ref().clone(),
            crate::gpu::reduce::softmax(t.shape(), x, axis, false),
        ),
    }
}

/// Log-softmax along `axis`: `x - max - ln(sum(exp(x - max)))`, finite for any finite input.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![0.0, 0.0]).unwrap();
/// let l = nntensor::log_softmax(&t, 0);
/// assert!((l[[0]] - (0.5f32).ln()).abs() < 1e-7);
/// ```
#[track_caller]
pub fn log_softmax(t: &Tensor, axis: usize) -> Tensor {
    check_axis("log_softmax", t, axis);
    match t.storage() {
        Storage::Cpu(x) => Tensor::cpu(
            t.shape_ref().clone(),
            cpu::log_softmax(t.shape_ref(), x, axis),
        ),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => Tensor::gpu(
            t.shape_ref().clone(),
            crate::gpu::reduce::softmax(t.shape(), x, axis, true),
        ),
    }
}

/// The gradient through `y = softmax(x, axis)` from its output: `y ⊙ (g − Σ_axis g ⊙ y)`.
///
/// ```
/// use nntensor::{softmax, softmax_backward, Tensor};
/// let y = softmax(&Tensor::zeros([1, 2]), 1);
/// // A gradient that raises every output equally changes nothing after normalising.
/// assert_eq!(softmax_backward(&Tensor::ones([1, 2]), &y, 1).to_vec(), vec![0.0, 0.0]);
/// ```
#[track_caller]
pub fn softmax_backward(g: &Tensor, y: &Tensor, axis: usize) -> Tensor {
    check_pair("softmax backward", g, y, axis);
    match (g.storage(), y.storage()) {
        (Storage::Cpu(gs), Storage::Cpu(ys)) => Tensor::cpu(
            g.shape_ref().clone(),
            cpu::softmax_backward(g.shape_ref(), gs, ys, axis),
        ),
        #[cfg(feature = "gpu")]
        (Storage::Gpu(gs), Storage::Gpu(ys)) => Tensor::gpu(
            g.shape_ref().clone(),
            crate::gpu::reduce::softmax_backward(g.shape(), gs, ys, axis, false),
        ),
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}

/// The gradient through `y = log_softmax(x, axis)` from its output: `g − exp(y) ⊙ Σ_axis g`.
///
/// ```
/// use nntensor::{log_softmax, log_softmax_backward, Tensor};
/// let y = log_softmax(&Tensor::zeros([1, 2]), 1);
/// let dx = log_softmax_backward(&Tensor::from_vec([1, 2], vec![1.0, 0.0]).unwrap(), &y, 1);
/// assert_eq!(dx.to_vec(), vec![0.5, -0.5]);
/// ```
#[track_caller]
pub fn log_softmax_backward(g: &Tensor, y: &Tensor, axis: usize) -> Tensor {
    check_pair("log_softmax backward", g, y, axis);
    match (g.storage(), y.storage()) {
        (Storage::Cpu(gs), Storage::Cpu(ys)) => Tensor::cpu(
            g.shape_ref().clone(),
            cpu::log_softmax_backward(g.shape_ref(), gs, ys, axis),
        ),
        #[cfg(feature = "gpu")]
        (Storage::Gpu(gs), Storage::Gpu(ys)) => Tensor::gpu(
            g.shape_ref().clone(),
            crate::gpu::reduce::softmax_backward(g.shape(), gs, ys, axis, true),
        ),
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}

#[track_caller]
fn check_pair(op: &str, g: &Tensor, y: &Tensor, axis: usize) {
    assert!(
        g.shape() == y.shape(),
        "{op}: gradient {:?} and output {:?} differ in shape",
        g.shape(),
        y.shape()
    );
    check_axis(op, y, axis);
    same_device(op, g.device(), y.device());
}
