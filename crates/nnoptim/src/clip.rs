//! Gradient clipping, applied to `Grads` between `backward` and `step`.

use nnautograd::nntensor as nt;
use nnautograd::Grads;

/// Scales all gradients together so their global L2 norm is at most `max_norm`, by
/// `max_norm / (norm + 1e-6)` as PyTorch's `clip_grad_norm_` does. Returns the norm before clipping.
///
/// ```
/// use nnautograd::{nntensor::Tensor, Param, Tape};
/// let w = Param::new(Tensor::from_vec(vec![2], vec![0.0, 0.0]).unwrap());
/// let tape = Tape::new();
/// let x = tape.param(&w);
/// let mut grads = (x * tape.constant(Tensor::from_vec(vec![2], vec![3.0, 4.0]).unwrap())).sum().backward();
/// let norm = nnoptim::clip_grad_norm(&mut grads, 1.0);
/// assert_eq!(norm, 5.0);
/// let g = grads.get(&w).unwrap();
/// assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6);
/// ```
pub fn clip_grad_norm(grads: &mut Grads, max_norm: f32) -> f32 {
    // Sum of squares in f64, in a fixed order: the same norm on every run.
    let total: f64 = grads.iter().map(|(_, g)| nt::sum_squares(g)).sum();
    let norm = total.sqrt() as f32;
    let scale = max_norm / (norm + 1e-6);
    if scale < 1.0 {
        for (_, g) in grads.iter_mut() {
            *g *= scale;
        }
    }
    norm
}

/// Clamps every gradient element into `[−limit, limit]` (PyTorch's `clip_grad_value_`). Panics
/// (at the caller's line) if `limit` is negative or NaN.
#[track_caller]
pub fn clip_grad_value(grads: &mut Grads, limit: f32) {
    for (_, g) in grads.iter_mut() {
        *g = nt::clamp(g, -limit, limit);
    }
}
