//! The optimizers' updates, one dispatch per parameter, in place on the device.

use super::buffer::GpuBuffer;
use super::context::grid;
use super::params::{fw, word};
use crate::ops::optim::{AdamStep, RmsPropStep, SgdStep};

/// `p -= lr·(g + wd·p)`.
pub(crate) fn sgd(p: &GpuBuffer, g: &GpuBuffer, lr: f32, weight_decay: f32) {
    p.ctx.dispatch(
        "sgd",
        &[word(p.len()), fw(lr), fw(weight_decay)],
        &[p.raw(), g.raw()],
        grid(p.len()),
    );
}

/// SGD with momentum.
pub(crate) fn sgd_momentum(p: &GpuBuffer, g: &GpuBuffer, buffer: &GpuBuffer, s: SgdStep) {
    p.ctx.dispatch(
        "sgd_momentum",
        &[
            word(p.len()),
            fw(s.lr),
            fw(s.weight_decay),
            fw(s.keep),
            fw(s.take),
            fw(s.gradient_part),
            fw(s.buffer_part),
        ],
        &[p.raw(), g.raw(), buffer.raw()],
        grid(p.len()),
    );
}

/// RMSprop, centred when `grad_avg` is given, with momentum when `buffer` is.
pub(crate) fn rmsprop(
    p: &GpuBuffer,
    g: &GpuBuffer,
    square_avg: &GpuBuffer,
    grad_avg: Option<&GpuBuffer>,
    buffer: Option<&GpuBuffer>,
    s: RmsPropStep,
) {
    let (dummy_a, dummy_b);
    let avg = match grad_avg {
        Some(a) => a,
        None => {
            dummy_a = GpuBuffer::uninit(&p.ctx, 1);
            &dummy_a
        }
    };
    let buf = match buffer {
        Some(b) => b,
        None => {
            dummy_b = GpuBuffer::uninit(&p.ctx, 1);
            &dummy_b
        }
    };
    p.ctx.dispatch(
        "rmsprop",
        &[
            word(p.len()),
            fw(s.lr),
            fw(s.rho),
            fw(s.eps),
            fw(s.weight_decay),
            fw(s.momentum),
            u32::from(s.keras_rule),
            u32::from(grad_avg.is_some()),
            u32::from(buffer.is_some()),
        ],
        &[p.raw(), g.raw(), square_avg.raw(), avg.raw(), buf.raw()],
        grid(p.len()),
    );
}

/// Adam or AdamW.
pub(crate) fn adam(p: &GpuBuffer, g: &GpuBuffer, m: &GpuBuffer, v: &GpuBuffer, s: AdamStep) {
    p.ctx.dispatch(
        "adam",
        &[
            word(p.len()),
            fw(s.beta1),
            fw(s.beta2),
            fw(s.step_size),
            fw(s.bias_correction2_sqrt),
            fw(s.decay_factor),
            fw(s.coupled_weight_decay),
            fw(s.eps_inside),
            fw(s.eps_outside),
        ],
        &[p.raw(), g.raw(), m.raw(), v.raw()],
        grid(p.len()),
    );
}
