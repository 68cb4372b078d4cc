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
            BinaryOp::Maximum => $kernel($($args),*, maximum),
            BinaryOp::Minimum => $kernel($($args),*, minimum),
            BinaryOp::Pow => $kernel($($args),*, f32::powf),
            BinaryOp::Eq => $kernel($($args),*, |x, y| mask(x == y)),
            BinaryOp::Ne => $kernel($($args),*, |x, y| mask(x != y)),
            BinaryOp::Lt => $kernel($($args),*, |x, y| mask(x < y)),
            BinaryOp::Le => $kernel($($args),*, |x, y| mask(x <= y)),
            BinaryOp::Gt => $kernel($($args),*, |x, y| mask(x > y)),
            BinaryOp::Ge => $kernel($($args),*, |x, y| mask(x >= y)),
        }
    };
}

/// 1.0 for true, 0.0 for false.
#[inline]
fn mask(b: bool) -> f32 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// The larger of `x` and `y`, NaN if either is.
#[inline]
fn maximum(x: f32, y: f32) -> f32 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x > y {
        x
    } else {
        y
    }
}

/// The smaller of `x` and `y`, NaN if either is.
#[inline]
fn minimum(x: f32, y: f32) -> f32 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x < y {
        x
    } else {
        y
    }
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

/// `f(x)` for every element, into a new buffer (written once, never zeroed first).
#[inline(always)]
pub(crate) fn map(x: &[f32], f: impl Fn(f32) -> f32) -> Vec<f32> {
    let mut out = Vec::with_capacity(x.len());
    wide(
        #[inline(always)]
        || out.extend(x.iter().map(|&x| f(x))),
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

/// `f(a, b)` for every pair of elements (equal lengths), into a new buffer (written once, never
/// zeroed first).
#[inline(always)]
fn zip(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> Vec<f32> {
    debug_assert_eq!(a.len(), b.len());
    let mut out = Vec::with_capacity(a.len());
    wide(
        #[inline(always)]
        || out.extend(a.iter().zip(b).map(|(&a, &b)| f(a, b))),
    );
    out
}

/// `op` applied to every element.
pub(crate) fn unary(op: UnaryOp, x: &[f32]) -> Vec<f32> {
    if op == UnaryOp::Relu && x.len() >= ONE_PASS_MIN {
        // A CNN's ReLU on a conv layer's output (W6: 5.5 MB per shard): one read and one write,
        // where copy-then-map passes twice over memory (the copy was 4.7 % of a W6 step).
        let mut out = Vec::with_capacity(x.len());
        super::wide(
            #[inline(always)]
            || out.extend(x.iter().map(|v| v.max(0.0))),
        );
        return out;
    }
    let mut out = x.to_vec();
    unary_inplace(op, &mut out);
    out
}

/// Elements from which [`unary`] maps a ReLU in one pass. Small tensors keep copy-then-map: in
/// one pass W4's tiny ones cost 6.6 % more instructions (docs/performance.md).
const ONE_PASS_MIN: usize = 1 << 16;

/// `x = op(x)` for every element. One loop per op, so each is vectorised on its own.
pub(crate) fn unary_inplace(op: UnaryOp, x: &mut [f32]) {
    match op {
        UnaryOp::Neg => map_inplace(x, |v| -v),
        UnaryOp::Exp => map_inplace(x, f32::exp),
        UnaryOp::Log => map_inplace(x, f32::ln),
        UnaryOp::Sqrt => map_inplace(x, f32::sqrt),
        UnaryOp::Abs => map_inplace(x, f32::abs),
        UnaryOp::Sigmoid => map_inplace(x, sigmoid_scalar),
        // libm's tanh, not the platform's: the same bits natively and in WebAssembly (glibc's
        // and Rust's libm round differently in the last place for some inputs).
        UnaryOp::Tanh => map_inplace(x, libm::tanhf),
        UnaryOp::Relu => map_inplace(x, |v| v.max(0.0)),
        UnaryOp::Softplus => map_inplace(x, |v| v.max(0.0) + ln_1p_unit(exp_fast(-v.abs()))),
        UnaryOp::LeakyRelu(s) => map_inplace(x, |v| if v > 0.0 { v } else { s * v }),
        UnaryOp::Clamp { min, max } => map_inplace(x, |v| v.clamp(min, max)),
        UnaryOp::Powi(n) => map_inplace(x, |v| v.powi(n)),
        UnaryOp::Powf(p) => map_inplace(x, |v| v.powf(p)),
        UnaryOp::AddScalar(s) => map_inplace(x, |v| v + s),
        UnaryOp::MulScalar(s) => map_inplace(x, |v| v * s),
        UnaryOp::DivScalar(s) => map_inplace(x, |v| v / s),
        UnaryOp::Sin => map_inplace(x, f32::sin),
        UnaryOp::Cos => map_inplace(x, f32::cos),
        UnaryOp::Log1p => map_inplace(x, f32::ln_1p),
        UnaryOp::Expm1 => map_inplace(x, f32::exp_m1),
        UnaryOp::Rsqrt => map_inplace(x, |v| 1.0 / v.sqrt()),
        UnaryOp::Reciprocal => map_inplace(x, |v| 1.0 / v),
        UnaryOp::Square => map_inplace(x, |v| v * v),
        UnaryOp::Sign => map_inplace(x, sign),
        UnaryOp::Erf => map_inplace(x, libm::erff),
        UnaryOp::Gelu => map_inplace(x, gelu),
        UnaryOp::GeluTanh => map_inplace(x, |v| gelu_tanh(v).0),
        UnaryOp::Silu => map_inplace(x, |v| v * sigmoid_scalar(v)),
        UnaryOp::Elu(alpha) => map_inplace(x, |v| elu(v, alpha)),
        UnaryOp::Selu => map_inplace(x, |v| SELU_SCALE * elu(v, SELU_ALPHA)),
        UnaryOp::Softsign => map_inplace(x, |v| v / (1.0 + v.abs())),
        UnaryOp::LogSigmoid => map_inplace(x, |v| v.min(0.0) - ln_1p_unit(exp_fast(-v.abs()))),
        UnaryOp::Hardtanh { min, max } => map_inplace(x, |v| v.clamp(min, max)),
    }
}

/// SELU's α and λ, as PyTorch defines them.
const SELU_ALPHA: f32 = 1.673_263_2;
const SELU_SCALE: f32 = 1.050_701;

/// `√(2/π)`, for the tanh approximation of GELU.
const SQRT_2_OVER_PI: f32 = 0.797_884_6;

/// `1/√(2π)`, the standard normal density at 0.
const INV_SQRT_2PI: f32 = 0.398_942_3;

/// −1, 0 or 1 by the sign of `x`; NaN for NaN (PyTorch's `sign`).
#[inline]
fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x * 0.0
    }
}

/// `x` where positive, `α·(eˣ − 1)` elsewhere.
#[inline]
fn elu(x: f32, alpha: f32) -> f32 {
    if x > 0.0 {
        x
    } else {
        alpha * x.exp_m1()
    }
}

/// Exact GELU: `½x·(1 + erf(x/√2))`.
#[inline]
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// The tanh approximation of GELU and the tanh it used: `(½x·(1 + t), t)` with
/// `t = tanh(√(2/π)·(x + 0.044715x³))`.
#[inline]
fn gelu_tanh(x: f32) -> (f32, f32) {
    let t = libm::tanhf(SQRT_2_OVER_PI * (x + 0.044_715 * x * x * x));
    (0.5 * x * (1.0 + t), t)
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
        UnaryOp::Sin => zip_inplace(g, x, |g, x| g * x.cos()),
        UnaryOp::Cos => zip_inplace(g, x, |g, x| g * -x.sin()),
        UnaryOp::Log1p => zip_inplace(g, x, |g, x| g / (1.0 + x)),
        UnaryOp::Expm1 => zip_inplace(g, y, |g, y| g * (y + 1.0)),
        // d/dx x^(−½) = −½·x^(−3/2) = −½·y³.
        UnaryOp::Rsqrt => zip_inplace(g, y, |g, y| g * (-0.5 * y * y * y)),
        UnaryOp::Reciprocal => zip_inplace(g, y, |g, y| g * -(y * y)),
        UnaryOp::Square => zip_inplace(g, x, |g, x| g * (2.0 * x)),
        UnaryOp::Sign => map_inplace(g, |g| g * 0.0),
        UnaryOp::Erf => zip_inplace(g, x, |g, x| {
            g * (std::f32::consts::FRAC_2_SQRT_PI * (-x * x).exp())
        }),
        // Φ(x) + x·φ(x).
        UnaryOp::Gelu => zip_inplace(g, x, |g, x| {
            let cdf = 0.5 * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2));
            g * (cdf + x * INV_SQRT_2PI * (-0.5 * x * x).exp())
        }),
        UnaryOp::GeluTanh => zip_inplace(g, x, |g, x| {
            let t = gelu_tanh(x).1;
            let inner = SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044_715 * x * x);
            g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * inner)
        }),
        // σ(x)·(1 + x·(1 − σ(x))).
        UnaryOp::Silu => zip_inplace(g, x, |g, x| {
            let s = sigmoid_scalar(x);
            g * (s * (1.0 + x * (1.0 - s)))
        }),
        UnaryOp::Elu(alpha) => {
            zip_inplace(g, x, |g, x| g * if x > 0.0 { 1.0 } else { alpha * x.exp() })
        }
        UnaryOp::Selu => zip_inplace(g, x, |g, x| {
            g * SELU_SCALE * if x > 0.0 { 1.0 } else { SELU_ALPHA * x.exp() }
        }),
        UnaryOp::Softsign => zip_inplace(g, x, |g, x| {
            let d = 1.0 + x.abs();
            g / (d * d)
        }),
        // d/dx ln σ(x) = 1 − σ(x) = σ(−x).
        UnaryOp::LogSigmoid => zip_inplace(g, x, |g, x| g * sigmoid_scalar(-x)),
        UnaryOp::Hardtanh { min, max } => {
            zip_inplace(g, x, |g, x| g * if x > min && x < max { 1.0 } else { 0.0 })
        }
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
        return binary_assign_same_shape(op, a, b);
    }
    if b.len() == 1 {
        return binary_assign_scalar(op, a, b[0]);
    }
    let bv = view(b_shape, b);
    let bv = bv.broadcast(a_shape.ix()).expect("broadcast shape checked");
    let mut av = view_mut(a_shape, a);
    each_op!(op, zip_views_inplace, &mut av, &bv)
}

/// `a = op(a, b)` elementwise for two slices of the same length.
pub(crate) fn binary_assign_same_shape(op: BinaryOp, a: &mut [f32], b: &[f32]) {
    if a.len() >= PARALLEL_MIN_ELEMENTS && super::gemm::may_use_threads() {
        a.par_chunks_mut(CHUNK)
            .zip(b.par_chunks(CHUNK))
            .for_each(|(a, b)| each_op!(op, zip_inplace, a, b));
    } else {
        each_op!(op, zip_inplace, a, b);
    }
}

/// `a = op(a, y)` for every element of `a`.
pub(crate) fn binary_assign_scalar(op: BinaryOp, a: &mut [f32], y: f32) {
    each_op!(op, map_inplace_left, a, y)
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

/// The gradients of a maximum, minimum or power (see `nntensor::binary_backward`), each of the
/// broadcast shape `out`.
pub(crate) fn binary_backward(
    op: BinaryOp,
    (out, g): (&Shape, &[f32]),
    (a_shape, a): (&Shape, &[f32]),
    (b_shape, b): (&Shape, &[f32]),
    [need_a, need_b]: [bool; 2],
) -> (Option<Vec<f32>>, Option<Vec<f32>>) {
    let g = view(out, g);
    let a = view(a_shape, a);
    let b = view(b_shape, b);
    let a = a.broadcast(out.ix()).expect("broadcast shape checked");
    let b = b.broadcast(out.ix()).expect("broadcast shape checked");
    let side = |f: &dyn Fn(f32, f32, f32) -> f32| {
        let d = Zip::from(&g)
            .and(&a)
            .and(&b)
            .map_collect(|&g, &x, &y| f(g, x, y));
        super::into_vec(d)
    };
    // A tie sends half the gradient each way, as PyTorch does.
    let pick = |wins: bool, tie: bool| {
        if tie {
            0.5
        } else if wins {
            1.0
        } else {
            0.0
        }
    };
    match op {
        BinaryOp::Maximum => (
            need_a.then(|| side(&|g, x, y| g * pick(x > y, x == y))),
            need_b.then(|| side(&|g, x, y| g * pick(y > x, x == y))),
        ),
        BinaryOp::Minimum => (
            need_a.then(|| side(&|g, x, y| g * pick(x < y, x == y))),
            need_b.then(|| side(&|g, x, y| g * pick(y < x, x == y))),
        ),
        BinaryOp::Pow => (
            need_a.then(|| {
                side(&|g, x, y| {
                    if y == 0.0 {
                        0.0
                    } else {
                        g * y * x.powf(y - 1.0)
                    }
                })
            }),
            need_b.then(|| {
                side(&|g, x, y| {
                    if x == 0.0 && y >= 0.0 {
                        0.0
                    } else {
                        g * x.powf(y) * x.ln()
                    }
                })
            }),
        ),
        _ => unreachable!("checked by the caller"),
    }
}

/// `on_true` where `cond` is non-zero, else `on_false`, all broadcast to `out`.
pub(crate) fn where_cond(
    (c_shape, c): (&Shape, &[f32]),
    (t_shape, t): (&Shape, &[f32]),
    (f_shape, f): (&Shape, &[f32]),
    out: &Shape,
) -> Vec<f32> {
    let c = view(c_shape, c);
    let t = view(t_shape, t);
    let f = view(f_shape, f);
    let (c, t, f) = (
        c.broadcast(out.ix()).expect("broadcast shape checked"),
        t.broadcast(out.ix()).expect("broadcast shape checked"),
        f.broadcast(out.ix()).expect("broadcast shape checked"),
    );
    let picked = Zip::from(&c)
        .and(&t)
        .and(&f)
        .map_collect(|&c, &t, &f| if c != 0.0 { t } else { f });
    super::into_vec(picked)
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

    #[test]
    fn relu_in_one_pass_equals_the_in_place_map_bit_for_bit() {
        // Long enough for the one-pass path, with an odd tail and the special values.
        let values: Vec<f32> = (0..ONE_PASS_MIN + 13)
            .map(|i| ((i % 977) as f32 - 488.0) * 0.37)
            .chain([
                0.0,
                -0.0,
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                -1e-40,
            ])
            .collect();
        let got = unary(UnaryOp::Relu, &values);
        let mut want = values.clone();
        unary_inplace(UnaryOp::Relu, &mut want);
        assert_eq!(got.len(), values.len());
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g.to_bits(), w.to_bits(), "relu({}) at {i}", values[i]);
        }
    }
}
