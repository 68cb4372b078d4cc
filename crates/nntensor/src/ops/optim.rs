//! The optimizers' update rules as in-place ops on a parameter, its gradient and its state
//! buffers, so that each backend runs them where the parameters live. The coefficient structs
//! hold each rule's variants as numbers (multiplying by 1 and adding 0 leave a value unchanged),
//! so the CPU loops have no branches and vectorise. `nnoptim` derives them from its settings.

use crate::cpu::optim as cpu;
use crate::device::same_device;
use crate::{Storage, Tensor};

/// One SGD-with-momentum update: `g' = g + wd·p`, `b = keep·b + take·g'`,
/// `p −= lr·(gradient_part·g' + buffer_part·b)`.
///
/// PyTorch's first step (`b = g'`) is `keep = 0, take = 1`; later steps `keep = momentum, take =
/// 1 − dampening`; plain momentum is `gradient_part = 0, buffer_part = 1`, Nesterov's
/// `gradient_part = 1, buffer_part = momentum`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdStep {
    /// Learning rate.
    pub lr: f32,
    /// L2 penalty added to the gradient.
    pub weight_decay: f32,
    /// Weight of the old buffer.
    pub keep: f32,
    /// Weight of the new gradient in the buffer.
    pub take: f32,
    /// Weight of the gradient in the step.
    pub gradient_part: f32,
    /// Weight of the buffer in the step.
    pub buffer_part: f32,
}

/// One RMSprop update: `g' = g + wd·p`, `s = ρ·s + (1 − ρ)·g'²`, then with PyTorch's rule
/// `p −= lr·g'/(√s + ε)` and with Keras's `p −= lr·g'/√(s + ε)`. Centered RMSprop subtracts the
/// squared running mean of `g'` from `s` first; momentum accumulates the scaled step in a buffer
/// (Keras's buffer includes the learning rate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmsPropStep {
    /// Learning rate.
    pub lr: f32,
    /// Decay of the running averages (`alpha` in PyTorch, `rho` in Keras).
    pub rho: f32,
    /// ε of the denominator.
    pub eps: f32,
    /// L2 penalty added to the gradient.
    pub weight_decay: f32,
    /// Momentum coefficient (used when a momentum buffer is given).
    pub momentum: f32,
    /// Keras's rule instead of PyTorch's.
    pub keras_rule: bool,
}

/// One Adam/AdamW update: `p *= decay_factor` (AdamW's decoupled decay, else 1), `g' = g +
/// coupled_weight_decay·p` (Adam's L2 penalty, else 0), `m = β₁m + (1 − β₁)g'`,
/// `v = β₂v + (1 − β₂)g'²`, `p −= step_size·m / ((√v + eps_inside)/√bc₂ + eps_outside)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamStep {
    /// β₁.
    pub beta1: f32,
    /// β₂.
    pub beta2: f32,
    /// `lr / (1 − β₁ᵗ)`.
    pub step_size: f32,
    /// `√(1 − β₂ᵗ)`.
    pub bias_correction2_sqrt: f32,
    /// `1 − lr·wd` for AdamW, 1 for Adam.
    pub decay_factor: f32,
    /// `wd` for Adam, 0 for AdamW.
    pub coupled_weight_decay: f32,
    /// ε added to `√v` before the bias correction (Keras), else 0.
    pub eps_inside: f32,
    /// ε added after it (PyTorch), else 0.
    pub eps_outside: f32,
}

/// Panics (at the caller's line) unless `t` has the parameter's shape and device.
#[track_caller]
fn check(op: &str, what: &str, p: &Tensor, t: &Tensor) {
    assert!(
        t.shape() == p.shape(),
        "{op}: {what} has shape {:?} but the parameter has shape {:?}",
        t.shape(),
        p.shape()
    );
    same_device(op, p.device(), t.device());
}

/// Plain SGD in place: `p −= lr·(g + weight_decay·p)`.
///
/// ```
/// use nntensor::{sgd_update, Tensor};
/// let mut p = Tensor::ones([2]);
/// sgd_update(&mut p, &Tensor::full([2], 2.0), 0.1, 0.0);
/// assert_eq!(p.to_vec(), vec![0.8, 0.8]);
/// ```
#[track_caller]
pub fn sgd_update(p: &mut Tensor, g: &Tensor, lr: f32, weight_decay: f32) {
    check("sgd_update", "the gradient", p, g);
    match (p.storage_mut(), g.storage()) {
        (Storage::Cpu(p), Storage::Cpu(g)) => cpu::sgd(p, g, lr, weight_decay),
        #[cfg(feature = "gpu")]
        (Storage::Gpu(p), Storage::Gpu(g)) => crate::gpu::optim::sgd(p, g, lr, weight_decay),
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}

/// SGD with momentum in place (see [`SgdStep`]).
///
/// ```
/// use nntensor::{sgd_momentum_update, SgdStep, Tensor};
/// let (mut p, mut b) = (Tensor::ones([1]), Tensor::zeros([1]));
/// let step = SgdStep { lr: 0.5, weight_decay: 0.0, keep: 0.0, take: 1.0, gradient_part: 0.0, buffer_part: 1.0 };
/// sgd_momentum_update(&mut p, &Tensor::ones([1]), &mut b, step);
/// assert_eq!((p.item(), b.item()), (0.5, 1.0));
/// ```
#[track_caller]
pub fn sgd_momentum_update(p: &mut Tensor, g: &Tensor, buffer: &mut Tensor, step: SgdStep) {
    check("sgd_momentum_update", "the gradient", p, g);
    check("sgd_momentum_update", "the momentum buffer", p, buffer);
    match (p.storage_mut(), g.storage(), buffer.storage_mut()) {
        (Storage::Cpu(p), Storage::Cpu(g), Storage::Cpu(b)) => cpu::sgd_momentum(p, g, b, step),
        #[cfg(feature = "gpu")]
        (Storage::Gpu(p), Storage::Gpu(g), Storage::Gpu(b)) => {
            crate::gpu::optim::sgd_momentum(p, g, b, step)
        }
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}

/// RMSprop in place (see [`RmsPropStep`]), centered when `grad_avg` is given and with momentum
/// when `buffer` is.
///
/// ```
/// use nntensor::{rmsprop_update, RmsPropStep, Tensor};
/// let (mut p, mut s) = (Tensor::ones([1]), Tensor::zeros([1]));
/// let step = RmsPropStep { lr: 0.1, rho: 0.0, eps: 0.0, weight_decay: 0.0, momentum: 0.0, keras_rule: false };
/// rmsprop_update(&mut p, &Tensor::full([1], 3.0), &mut s, None, None, step);
/// assert_eq!(s.item(), 9.0);
/// assert!((p.item() - 0.9).abs() < 1e-7); // 1 − 0.1·3/√9
/// ```
#[track_caller]
pub fn rmsprop_update(
    p: &mut Tensor,
    g: &Tensor,
    square_avg: &mut Tensor,
    grad_avg: Option<&mut Tensor>,
    buffer: Option<&mut Tensor>,
    step: RmsPropStep,
) {
    check("rmsprop_update", "the gradient", p, g);
    check("rmsprop_update", "the square average", p, square_avg);
    if let Some(avg) = &grad_avg {
        check("rmsprop_update", "the gradient average", p, avg);
    }
    if let Some(buffer) = &buffer {
        check("rmsprop_update", "the momentum buffer", p, buffer);
    }
    #[cfg(feature = "gpu")]
    if let Storage::Gpu(pb) = p.storage() {
        fn on_gpu(t: &Tensor) -> &crate::gpu::GpuBuffer {
            match t.storage() {
                Storage::Gpu(b) => b,
                Storage::Cpu(_) => unreachable!("devices checked above"),
            }
        }
        let ab = grad_avg.as_deref().map(on_gpu);
        let bb = buffer.as_deref().map(on_gpu);
        crate::gpu::optim::rmsprop(pb, on_gpu(g), on_gpu(square_avg), ab, bb, step);
        return;
    }
    let grad_avg = grad_avg.map(|t| match t.storage_mut() {
        Storage::Cpu(data) => data.as_mut_slice(),
        #[cfg(feature = "gpu")]
        Storage::Gpu(_) => unreachable!("devices checked above"),
    });
    let buffer = buffer.map(|t| match t.storage_mut() {
        Storage::Cpu(data) => data.as_mut_slice(),
        #[cfg(feature = "gpu")]
        Storage::Gpu(_) => unreachable!("devices checked above"),
    });
    match (p.storage_mut(), g.storage(), square_avg.storage_mut()) {
        (Storage::Cpu(p), Storage::Cpu(g), Storage::Cpu(s)) => {
            cpu::rmsprop(p, g, s, grad_avg, buffer, step)
        }
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}

/// Adam or AdamW in place (see [`AdamStep`]).
///
/// ```
/// use nntensor::{adam_update, AdamStep, Tensor};
/// let (mut p, mut m, mut v) = (Tensor::ones([1]), Tensor::zeros([1]), Tensor::zeros([1]));
/// let (b1, b2, lr) = (0.9f32, 0.999f32, 0.1f32);
/// let step = AdamStep {
///     beta1: b1, beta2: b2, step_size: lr / (1.0 - b1), bias_correction2_sqrt: (1.0 - b2).sqrt(),
///     decay_factor: 1.0, coupled_weight_decay: 0.0, eps_inside: 0.0, eps_outside: 1e-8,
/// };
/// adam_update(&mut p, &Tensor::full([1], 5.0), &mut m, &mut v, step);
/// assert!((p.item() - 0.9).abs() < 1e-5); // Adam's first step moves by lr
/// ```
#[track_caller]
pub fn adam_update(p: &mut Tensor, g: &Tensor, m: &mut Tensor, v: &mut Tensor, step: AdamStep) {
    check("adam_update", "the gradient", p, g);
    check("adam_update", "the first moment", p, m);
    check("adam_update", "the second moment", p, v);
    match (
        p.storage_mut(),
        g.storage(),
        m.storage_mut(),
        v.storage_mut(),
    ) {
        (Storage::Cpu(p), Storage::Cpu(g), Storage::Cpu(m), Storage::Cpu(v)) => {
            cpu::adam(p, g, m, v, step)
        }
        #[cfg(feature = "gpu")]
        (Storage::Gpu(p), Storage::Gpu(g), Storage::Gpu(m), Storage::Gpu(v)) => {
            crate::gpu::optim::adam(p, g, m, v, step)
        }
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}

/// The sum of squares of every element, accumulated in f64 in row-major order (the same value on
/// every run): the square of the L2 norm that gradient clipping measures.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![3.0, 4.0]).unwrap();
/// assert_eq!(nntensor::sum_squares(&t), 25.0);
/// ```
pub fn sum_squares(t: &Tensor) -> f64 {
    match t.storage() {
        Storage::Cpu(x) => x.iter().map(|&v| (v as f64) * (v as f64)).sum(),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => crate::gpu::linalg::sum_squares(x).read()[0] as f64,
    }
}
