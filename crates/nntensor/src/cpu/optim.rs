//! The elementwise loops of the optimizers' updates: over flat slices (vectorised as wide as the
//! CPU allows: [`wide`]), and on rayon's threads in fixed-size chunks when the parameter is
//! large. Each element's arithmetic is the same whichever thread runs it, so results do not
//! depend on the thread count.

use super::{wide, CHUNK, PARALLEL_MIN_ELEMENTS};
use crate::ops::optim::{AdamStep, RmsPropStep, SgdStep};
use rayon::prelude::*;

/// `f(p, g)` for every element of a parameter and its gradient.
fn update2<F>(p: &mut [f32], g: &[f32], f: F)
where
    F: Fn(&mut f32, f32) + Sync,
{
    let serial = |p: &mut [f32], g: &[f32]| {
        wide(
            #[inline(always)]
            || {
                for (p, &g) in p.iter_mut().zip(g) {
                    f(p, g);
                }
            },
        )
    };
    if p.len() < PARALLEL_MIN_ELEMENTS {
        serial(p, g);
    } else {
        p.par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .for_each(|(p, g)| serial(p, g));
    }
}

/// `f(p, g, s)` for every element of a parameter, its gradient and one state buffer.
fn update3<F>(p: &mut [f32], g: &[f32], s: &mut [f32], f: F)
where
    F: Fn(&mut f32, f32, &mut f32) + Sync,
{
    let serial = |p: &mut [f32], g: &[f32], s: &mut [f32]| {
        wide(
            #[inline(always)]
            || {
                for ((p, &g), s) in p.iter_mut().zip(g).zip(s) {
                    f(p, g, s);
                }
            },
        )
    };
    if p.len() < PARALLEL_MIN_ELEMENTS {
        serial(p, g, s);
    } else {
        p.par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .zip(s.par_chunks_mut(CHUNK))
            .for_each(|((p, g), s)| serial(p, g, s));
    }
}

/// `f(p, g, a, b)` for every element of a parameter, its gradient and two state buffers.
fn update4<F>(p: &mut [f32], g: &[f32], a: &mut [f32], b: &mut [f32], f: F)
where
    F: Fn(&mut f32, f32, &mut f32, &mut f32) + Sync,
{
    let serial = |p: &mut [f32], g: &[f32], a: &mut [f32], b: &mut [f32]| {
        wide(
            #[inline(always)]
            || {
                for (((p, &g), a), b) in p.iter_mut().zip(g).zip(a).zip(b) {
                    f(p, g, a, b);
                }
            },
        )
    };
    if p.len() < PARALLEL_MIN_ELEMENTS {
        serial(p, g, a, b);
    } else {
        p.par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .zip(a.par_chunks_mut(CHUNK))
            .zip(b.par_chunks_mut(CHUNK))
            .for_each(|(((p, g), a), b)| serial(p, g, a, b));
    }
}

/// Plain SGD with weight decay: `p −= lr·(g + wd·p)`.
pub(crate) fn sgd(p: &mut [f32], g: &[f32], lr: f32, weight_decay: f32) {
    update2(p, g, |p, g| *p -= lr * (g + weight_decay * *p));
}

/// SGD with a momentum buffer (see [`SgdStep`]).
pub(crate) fn sgd_momentum(p: &mut [f32], g: &[f32], buffer: &mut [f32], step: SgdStep) {
    let SgdStep {
        lr,
        weight_decay,
        keep,
        take,
        gradient_part,
        buffer_part,
    } = step;
    update3(p, g, buffer, |p, g, b| {
        let g = g + weight_decay * *p;
        *b = keep * *b + take * g;
        *p -= lr * (gradient_part * g + buffer_part * *b);
    });
}

/// RMSprop (see [`RmsPropStep`]): without centering or momentum in one fused pass, otherwise
/// element by element with the running mean of `grad_avg` and the momentum `buffer`.
pub(crate) fn rmsprop(
    p: &mut [f32],
    g: &[f32],
    square_avg: &mut [f32],
    mut grad_avg: Option<&mut [f32]>,
    mut buffer: Option<&mut [f32]>,
    step: RmsPropStep,
) {
    let RmsPropStep {
        lr,
        rho,
        eps,
        weight_decay,
        momentum,
        keras_rule,
    } = step;
    if grad_avg.is_none() && buffer.is_none() {
        // Both rules as one branch-free formula (adding 0 changes nothing), so the loop
        // vectorises.
        let (eps_inside, eps_outside) = if keras_rule { (eps, 0.0) } else { (0.0, eps) };
        update3(p, g, square_avg, |p, g, s| {
            let g = g + weight_decay * *p;
            *s = rho * *s + (1.0 - rho) * g * g;
            *p -= lr * g / ((*s + eps_inside).sqrt() + eps_outside);
        });
        return;
    }
    for (k, (p, &g)) in p.iter_mut().zip(g).enumerate() {
        let g = g + weight_decay * *p;
        let s = &mut square_avg[k];
        *s = rho * *s + (1.0 - rho) * g * g;
        let mut mean_square = *s;
        if let Some(avg) = grad_avg.as_deref_mut() {
            let a = &mut avg[k];
            *a = rho * *a + (1.0 - rho) * g;
            mean_square -= *a * *a;
        }
        let scaled = if keras_rule {
            g / (mean_square + eps).sqrt()
        } else {
            g / (mean_square.sqrt() + eps)
        };
        match buffer.as_deref_mut() {
            Some(b) if keras_rule => {
                let b = &mut b[k];
                *b = momentum * *b + lr * scaled;
                *p -= *b;
            }
            Some(b) => {
                let b = &mut b[k];
                *b = momentum * *b + scaled;
                *p -= lr * *b;
            }
            None => *p -= lr * scaled,
        }
    }
}

/// Adam / AdamW (see [`AdamStep`]).
pub(crate) fn adam(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], step: AdamStep) {
    let AdamStep {
        beta1: b1,
        beta2: b2,
        step_size,
        bias_correction2_sqrt: bc2_sqrt,
        decay_factor,
        coupled_weight_decay: coupled_wd,
        eps_inside,
        eps_outside,
    } = step;
    update4(p, g, m, v, |p, g, m, v| {
        *p *= decay_factor;
        let g = g + coupled_wd * *p;
        *m = b1 * *m + (1.0 - b1) * g;
        *v = b2 * *v + (1.0 - b2) * g * g;
        let denom = (v.sqrt() + eps_inside) / bc2_sqrt + eps_outside;
        *p -= step_size * *m / denom;
    });
}
