//! Elementwise CPU kernels over row-major slices, vectorised with [`wide`], and broadcasting
//! through ndarray views when shapes differ.

use super::fastmath::{exp_fast, ln_1p_unit};
use super::{view, view_mut, wide, CHUNK, PARALLEL_MIN_ELEMENTS};
use crate::ops::binary::BinaryOp;
use crate::ops::unary::UnaryOp;
use crate::Shape;
use ndarray::Zip;
use rayon::prelude::*;

/// Calls `$kernel(args…, f)` with `f` the closure of the binary op `$op`, so that each op gets a
/// loop of its own (a function pointer would not inline).
macro_rules! each_op {
    ($op:expr, $kernel:ident, $($args:expr),*) => {
        match $op {
            BinaryOp::Add => $kernel($($args),*, |x, y| x + y),
            BinaryOp::Sub => $kernel($($args),*, |x, y| x - y),
            BinaryOp::Mul => $kernel($($args),*, |x, y| x * y),
            BinaryOp::Div => $kernel($($args),*, |x, y| x / y),
        }
    };
}

/// Numerically stable logistic sigmoid of one value: never evaluates `exp` of a large positive
/// number.
#[inline]
pub(crate) fn sigmoid_scalar(x: f32) -> f32 {
    // e^−|x| never overflows; the select (not a branch) lets loops of it vectorise.
    let e = exp_fast(-x.abs());
    let r = 1.0 / (1.0 + e);
    if x >= 0.0 {
        r
    } else {
        e * r
    }
}

/// `f(x)` for every element, into a new buffer.
#[inline(always)]
pub(crate) fn map(x: &[f32], f: impl Fn(f32) -> f32) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    wide(
        #[inline(always)]
        || {
            for (out, &x) in out.iter_mut().zip(x) {
                *out = f(x);
            }
        },
    );
    out
}

/// `x = f(x)` for every element.
#[inline(always)]
pub(crate) fn map_inplace(x: &mut [f32], f: impl Fn(f32) -> f32) {
    wide(
        #[inline(always)]
        || {
            for x in x.iter_mut() {
                *x = f(*x);
            }
        },
    )
}

/// `a = f(a, b)` for every pair of elements (equal lengths).
#[inline(always)]
pub(crate) fn zip_inplace(a: &mut [f32], b: &[f32], f: impl Fn(f32, f32) -> f32) {
    debug_assert_eq!(a.len(), b.len());
    wide(
        #[inline(always)]
        || {
            for (a, &b) in a.iter_mut().zip(b) {
                *a = f(*a, b);
            }
        },
    )
}

/// `f(a, b)` for every pair of elements (equal lengths), into a new buffer.
#[inline(always)]
fn zip(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> Vec<f32> {
    let mut out = vec![0.0; a.len()];
    wide(
        #[inline(always)]
        || {
            for ((out, &a), &b) in out.iter_mut().zip(a).zip(b) {
                *out = f(a, b);
            }
        },
    );
    out
}

/// `op` applied to every element.
pub(crate) fn unary(op: UnaryOp, x: &[f32]) -> Vec<f32> {
    let mut out = x.to_vec();
    unary_inplace(op, &mut out);
    out
}

/// `x = op(x)` for every element. One loop per op, so each is vectorised on its own.
pub(crate) fn unary_inplace(op: UnaryOp, x: &mut [f32]) {
    match op {
        UnaryOp::Neg => map_inplace(x, |v| -v),
        UnaryOp::Exp => map_inplace(x, f32::exp),
        UnaryOp::Log => map_inplace(x, f32::ln),
        UnaryOp::Sqrt => map_inplace(x, f32::sqrt),
        UnaryOp::Abs => map_inplace(x, f32::abs),
        UnaryOp::Sigmoid => map_inplace(x, sigmoid_scalar),
        UnaryOp::Tanh => map_inplace(x, f32::tanh),
        UnaryOp::Relu => map_inplace(x, |v| v.max(0.0)),
        UnaryOp::Softplus => map_inplace(x, |v| v.max(0.0) + ln_1p_unit(exp_fast(-v.abs()))),
        UnaryOp::LeakyRelu(s) => map_inplace(x, |v| if v > 0.0 { v } else { s * v }),
        UnaryOp::Clamp { min, max } => map_inplace(x, |v| v.clamp(min, max)),
        UnaryOp::Powi(n) => map_inplace(x, |v| v.powi(n)),
        UnaryOp::Powf(p) => map_inplace(x, |v| v.powf(p)),
        UnaryOp::AddScalar(s) => map_inplace(x, |v| v + s),
        UnaryOp::MulScalar(s) => map_inplace(x, |v| v * s),
        UnaryOp::DivScalar(s) => map_inplace(x, |v| v / s),
    }
}

/// `g = g ⊙ op′`, the chain rule through `y = op(x)`, in place. Each op's derivative reads the
/// stored input `x` or output `y`, whichever is cheaper.
pub(crate) fn unary_backward(op: UnaryOp, g: &mut [f32], x: &[f32], y: &[f32]) {
    match op {
        UnaryOp::Neg => map_inplace(g, |g| -g),
        UnaryOp::Exp => zip_inplace(g, y, |g, y| g * y),
        UnaryOp::Log => zip_inplace(g, x, |g, x| g * (1.0 / x)),
        UnaryOp::Sqrt => zip_inplace(g, y, |g, y| g * (0.5 / y)),
        UnaryOp::Abs => zip_inplace(g, x, |g, x| {
            g * if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        }),
        UnaryOp::Sigmoid => zip_inplace(g, y, |g, y| g * (y * (1.0 - y))),
        UnaryOp::Tanh => zip_inplace(g, y, |g, y| g * (1.0 - y * y)),
        UnaryOp::Relu => zip_inplace(g, x, |g, x| g * if x > 0.0 { 1.0 } else { 0.0 }),
        UnaryOp::Softplus => zip_inplace(g, x, |g, x| g * sigmoid_scalar(x)),
        UnaryOp::LeakyRelu(s) => zip_inplace(g, x, |g, x| g * if x > 0.0 { 1.0 } else { s }),
        UnaryOp::Clamp { min, max } => zip_inplace(g, x, |g, x| {
            g * if (min..=max).contains(&x) { 1.0 } else { 0.0 }
        }),
        // x⁰ has gradient 0 everywhere, as in PyTorch.
        UnaryOp::Powi(0) => map_inplace(g, |g| g * 0.0),
        UnaryOp::Powi(n) => zip_inplace(g, x, |g, x| g * (n as f32 * x.powi(n - 1))),
        UnaryOp::Powf(0.0) => map_inplace(g, |g| g * 0.0),
        UnaryOp::Powf(p) => zip_inplace(g, x, |g, x| g * (p * x.powf(p - 1.0))),
        UnaryOp::AddScalar(_) => {}
        UnaryOp::MulScalar(s) => map_inplace(g, |g| g * s),
        UnaryOp::DivScalar(s) => map_inplace(g, |g| g / s),
    }
}

/// `op(a, b)` with `b` broadcast to `out` (the broadcast shape, checked by the caller).
pub(crate) fn binary(
    op: BinaryOp,
    (a_shape, a): (&Shape, &[f32]),
    (b_shape, b): (&Shape, &[f32]),
    out: &Shape,
) -> Vec<f32> {
    if a_shape == b_shape {
        return each_op!(op, zip, a, b);
    }
    if b.len() == 1 && a_shape == out {
        let y = b[0];
        return each_op!(op, map_left, a, y);
    }
    if a.len() == 1 && b_shape == out {
        let x = a[0];
        return each_op!(op, map_right, x, b);
    }
    let (av, bv) = (view(a_shape, a), view(b_shape, b));
    let av = av.broadcast(out.ix()).expect("broadcast shape checked");
    let bv = bv.broadcast(out.ix()).expect("broadcast shape checked");
    each_op!(op, zip_views, av, bv)
}

#[inline(always)]
fn map_left(a: &[f32], y: f32, f: impl Fn(f32, f32) -> f32) -> Vec<f32> {
    map(a, |x| f(x, y))
}

#[inline(always)]
fn map_right(x: f32, b: &[f32], f: impl Fn(f32, f32) -> f32) -> Vec<f32> {
    map(b, |y| f(x, y))
}

fn zip_views(
    a: ndarray::ArrayViewD<'_, f32>,
    b: ndarray::ArrayViewD<'_, f32>,
    f: impl Fn(f32, f32) -> f32,
) -> Vec<f32> {
    let out = Zip::from(&a).and(&b).map_collect(|&x, &y| f(x, y));
    super::into_vec(out)
}

/// `a = op(a, b)` with `b` broadcast to `a`'s shape (checked by the caller). Large same-shape
/// operands are split into fixed-size chunks on rayon's threads when the caller may use them.
pub(crate) fn binary_assign(
    op: BinaryOp,
    (a_shape, a): (&Shape, &mut [f32]),
    (b_shape, b): (&Shape, &[f32]),
) {
    if a_shape == b_shape {
        if a.len() >= PARALLEL_MIN_ELEMENTS && super::gemm::may_use_threads() {
            a.par_chunks_mut(CHUNK)
                .zip(b.par_chunks(CHUNK))
                .for_each(|(a, b)| each_op!(op, zip_inplace, a, b));
        } else {
            each_op!(op, zip_inplace, a, b);
        }
        return;
    }
    if b.len() == 1 {
        let y = b[0];
        return each_op!(op, map_inplace_left, a, y);
    }
    let bv = view(b_shape, b);
    let bv = bv.broadcast(a_shape.ix()).expect("broadcast shape checked");
    let mut av = view_mut(a_shape, a);
    each_op!(op, zip_views_inplace, &mut av, &bv)
}

#[inline(always)]
fn map_inplace_left(a: &mut [f32], y: f32, f: impl Fn(f32, f32) -> f32) {
    map_inplace(a, |x| f(x, y))
}

fn zip_views_inplace(
    a: &mut ndarray::ArrayViewMutD<'_, f32>,
    b: &ndarray::ArrayViewD<'_, f32>,
    f: impl Fn(f32, f32) -> f32,
) {
    a.zip_mut_with(b, |x, &y| *x = f(*x, y));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_maps_equal_the_scalar_functions_bit_for_bit() {
        // Values across the whole range, in a length that leaves a remainder for every width.
        let values: Vec<f32> = (0..1003)
            .map(|i| (i as f32 - 501.0) * 0.23)
            .chain([
                0.0,
                -0.0,
                1e-30,
                -1e-30,
                88.0,
                -104.0,
                f32::NAN,
                f32::INFINITY,
            ])
            .collect();
        let (s, p) = (
            unary(UnaryOp::Sigmoid, &values),
            unary(UnaryOp::Softplus, &values),
        );
        for (i, &x) in values.iter().enumerate() {
            let want_p = x.max(0.0) + ln_1p_unit(exp_fast(-x.abs()));
            assert_eq!(s[i].to_bits(), sigmoid_scalar(x).to_bits(), "sigmoid({x})");
            assert_eq!(p[i].to_bits(), want_p.to_bits(), "softplus({x})");
        }
    }
}
