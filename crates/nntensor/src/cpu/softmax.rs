//! Numerically stable softmax and log-softmax along one axis, and their backward passes.

use super::fastmath::exp_fast;
use super::{into_vec, view};
use crate::Shape;
use ndarray::{Axis, Zip};

/// Softmax along `axis`: `exp(x - max) / sum(exp(x - max))`, finite for any finite input.
pub(crate) fn softmax(shape: &Shape, x: &[f32], axis: usize) -> Vec<f32> {
    let mut out = view(shape, x).to_owned();
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
    into_vec(out)
}

/// Log-softmax along `axis`: `x - max - ln(sum(exp(x - max)))`, finite for any finite input.
pub(crate) fn log_softmax(shape: &Shape, x: &[f32], axis: usize) -> Vec<f32> {
    let mut out = view(shape, x).to_owned();
    for mut lane in out.lanes_mut(Axis(axis)) {
        let max = lane.fold(f32::NEG_INFINITY, |m, &x| m.max(x));
        let sum: f32 = lane.iter().map(|&x| exp_fast(x - max)).sum();
        let shift = max + sum.ln();
        lane.mapv_inplace(|x| x - shift);
    }
    into_vec(out)
}

/// Softmax's backward from its output `y`: `y ⊙ (g − Σ_axis g ⊙ y)`.
pub(crate) fn softmax_backward(shape: &Shape, g: &[f32], y: &[f32], axis: usize) -> Vec<f32> {
    let (g, y) = (view(shape, g), view(shape, y));
    let dot = (&g * &y).sum_axis(Axis(axis)).insert_axis(Axis(axis));
    let mut gx = &g - &dot;
    gx *= &y;
    into_vec(gx)
}

/// Log-softmax's backward from its output `y`: `g − softmax(x) ⊙ Σ_axis g`, where
/// `softmax(x) = exp(y)`.
pub(crate) fn log_softmax_backward(shape: &Shape, g: &[f32], y: &[f32], axis: usize) -> Vec<f32> {
    let (g, y) = (view(shape, g), view(shape, y));
    let total = g.sum_axis(Axis(axis)).insert_axis(Axis(axis));
    let mut gx = g.to_owned();
    Zip::from(&mut gx)
        .and(&y)
        .and_broadcast(&total)
        .for_each(|g, &y, &s| *g -= y.exp() * s);
    into_vec(gx)
}
