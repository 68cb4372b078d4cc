//! Elementwise maps of one tensor: [`UnaryOp`], its forward [`unary`] and its chain rule
//! [`unary_backward`], and one named function per op.

use crate::cpu::elementwise as cpu;
use crate::{Storage, Tensor};

/// An elementwise map, named so that every backend can implement it (a closure could not run on
/// a GPU) and autograd can record it as one node kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnaryOp {
    /// `-x`.
    Neg,
    /// `e^x`.
    Exp,
    /// `ln x` (`-inf` at 0, NaN below).
    Log,
    /// `√x`.
    Sqrt,
    /// `|x|` (gradient 0 at 0, as in PyTorch).
    Abs,
    /// `1 / (1 + e^−x)`, stable for any input.
    Sigmoid,
    /// `tanh x`.
    Tanh,
    /// `max(x, 0)` (gradient 0 at 0, as in PyTorch).
    Relu,
    /// `ln(1 + e^x)`, as `max(x, 0) + ln(1 + e^−|x|)`: finite for any input.
    Softplus,
    /// `x` where positive, `slope·x` elsewhere.
    LeakyRelu(f32),
    /// `x` clamped into `[min, max]` (the gradient passes where `min ≤ x ≤ max`).
    Clamp {
        /// Lower bound.
        min: f32,
        /// Upper bound.
        max: f32,
    },
    /// `x^n` for an integer `n` (`x⁰` has gradient 0).
    Powi(i32),
    /// `x^p` for a real `p` (`x⁰` has gradient 0).
    Powf(f32),
    /// `x + s`.
    AddScalar(f32),
    /// `x · s`.
    MulScalar(f32),
    /// `x / s` (a true division, not a product with `1/s`).
    DivScalar(f32),
    /// `sin x`.
    Sin,
    /// `cos x`.
    Cos,
    /// `ln(1 + x)`, accurate for small `x`.
    Log1p,
    /// `eˣ − 1`, accurate for small `x`.
    Expm1,
    /// `1/√x`.
    Rsqrt,
    /// `1/x`.
    Reciprocal,
    /// `x²`.
    Square,
    /// −1, 0 or 1 by the sign of `x` (gradient 0).
    Sign,
    /// The error function `erf x`.
    Erf,
    /// GELU, exact: `x·Φ(x) = ½x·(1 + erf(x/√2))` (PyTorch's `gelu`).
    Gelu,
    /// GELU, tanh approximation: `½x·(1 + tanh(√(2/π)·(x + 0.044715x³)))` (PyTorch's
    /// `gelu(approximate="tanh")`).
    GeluTanh,
    /// SiLU (swish): `x·σ(x)`.
    Silu,
    /// ELU: `x` where positive, `α·(eˣ − 1)` elsewhere.
    Elu(f32),
    /// SELU: `λ·elu(x, α)` with PyTorch's α = 1.6732632, λ = 1.0507010.
    Selu,
    /// `x / (1 + |x|)`.
    Softsign,
    /// `ln σ(x) = −softplus(−x)`, stable for any input.
    LogSigmoid,
    /// `x` clamped into `[min, max]`; the gradient passes only strictly inside (PyTorch's
    /// `hardtanh`).
    Hardtanh {
        /// Lower bound.
        min: f32,
        /// Upper bound.
        max: f32,
    },
}

/// Panics (at the caller's line) for an op whose parameters make no sense.
#[track_caller]
fn check_op(op: UnaryOp) {
    match op {
        UnaryOp::Clamp { min, max } => {
            assert!(min <= max, "clamp: min {min} must not exceed max {max}")
        }
        UnaryOp::Hardtanh { min, max } => {
            assert!(min <= max, "hardtanh: min {min} must not exceed max {max}")
        }
        _ => {}
    }
}

/// `op` applied to every element of `t`. Panics (at the caller's line) for a `Clamp` whose
/// `min` exceeds its `max` or is NaN.
///
/// ```
/// use nntensor::{unary, Tensor, UnaryOp};
/// let t = Tensor::from_vec([2], vec![-1.0, 2.0]).unwrap();
/// assert_eq!(unary(UnaryOp::Relu, &t).to_vec(), vec![0.0, 2.0]);
/// ```
#[track_caller]
pub fn unary(op: UnaryOp, t: &Tensor) -> Tensor {
    check_op(op);
    match t.storage() {
        Storage::Cpu(x) => Tensor::cpu(t.shape_ref().clone(), cpu::unary(op, x)),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => {
            Tensor::gpu(t.shape_ref().clone(), crate::gpu::elementwise::unary(op, x))
        }
    }
}

/// `op` applied to every element of `t`, reusing its buffer.
///
/// ```
/// use nntensor::{unary_into, Tensor, UnaryOp};
/// let t = unary_into(UnaryOp::MulScalar(2.0), Tensor::ones([3]));
/// assert_eq!(t.to_vec(), vec![2.0; 3]);
/// ```
#[track_caller]
pub fn unary_into(op: UnaryOp, mut t: Tensor) -> Tensor {
    check_op(op);
    match t.storage_mut() {
        Storage::Cpu(x) => cpu::unary_inplace(op, x),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => *x = crate::gpu::elementwise::unary(op, x),
    }
    t
}

/// The chain rule through `y = op(x)`: `g ⊙ op′(x)`, computed in `g`'s buffer. `x` and `y` are the
/// op's stored input and output (each op's derivative reads whichever is cheaper). Panics (at the
/// caller's line) if the three shapes differ.
///
/// ```
/// use nntensor::{unary, unary_backward, Tensor, UnaryOp};
/// let x = Tensor::from_vec([2], vec![0.0, 1.0]).unwrap();
/// let y = unary(UnaryOp::Exp, &x);
/// let dx = unary_backward(UnaryOp::Exp, Tensor::ones([2]), &x, &y);
/// assert_eq!(dx, y); // d/dx eˣ = eˣ
/// ```
#[track_caller]
pub fn unary_backward(op: UnaryOp, mut g: Tensor, x: &Tensor, y: &Tensor) -> Tensor {
    assert!(
        g.shape() == x.shape() && x.shape() == y.shape(),
        "{op:?} backward: gradient {:?}, input {:?} and output {:?} must have one shape",
        g.shape(),
        x.shape(),
        y.shape()
    );
    crate::device::same_device("unary backward", g.device(), x.device());
    crate::device::same_device("unary backward", g.device(), y.device());
    match (g.storage_mut(), x.storage(), y.storage()) {
        (Storage::Cpu(g), Storage::Cpu(x), Storage::Cpu(y)) => cpu::unary_backward(op, g, x, y),
        #[cfg(feature = "gpu")]
        (Storage::Gpu(g), Storage::Gpu(x), Storage::Gpu(y)) => {
            *g = crate::gpu::elementwise::unary_backward(op, g, x, y)
        }
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
    g
}

/// `-x` elementwise.
///
/// ```
/// let t = nntensor::Tensor::ones([2]);
/// assert_eq!(nntensor::neg(&t).to_vec(), vec![-1.0, -1.0]);
/// ```
pub fn neg(t: &Tensor) -> Tensor {
    unary(UnaryOp::Neg, t)
}

/// `e^x` elementwise.
///
/// ```
/// let t = nntensor::Tensor::zeros([2]);
/// assert_eq!(nntensor::exp(&t).to_vec(), vec![1.0, 1.0]);
/// ```
pub fn exp(t: &Tensor) -> Tensor {
    unary(UnaryOp::Exp, t)
}

/// Natural logarithm elementwise (`-inf` at 0, NaN below).
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![1.0, 0.0]).unwrap();
/// assert_eq!(nntensor::log(&t).to_vec(), vec![0.0, f32::NEG_INFINITY]);
/// ```
pub fn log(t: &Tensor) -> Tensor {
    unary(UnaryOp::Log, t)
}

/// Square root elementwise.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![4.0, 9.0]).unwrap();
/// assert_eq!(nntensor::sqrt(&t).to_vec(), vec![2.0, 3.0]);
/// ```
pub fn sqrt(t: &Tensor) -> Tensor {
    unary(UnaryOp::Sqrt, t)
}

/// `x^n` elementwise for an integer power.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![2.0, -3.0]).unwrap();
/// assert_eq!(nntensor::powi(&t, 2).to_vec(), vec![4.0, 9.0]);
/// ```
pub fn powi(t: &Tensor, n: i32) -> Tensor {
    unary(UnaryOp::Powi(n), t)
}

/// `x^p` elementwise for a real power.
///
/// ```
/// let t = nntensor::Tensor::from_vec([1], vec![4.0]).unwrap();
/// assert_eq!(nntensor::powf(&t, 0.5).to_vec(), vec![2.0]);
/// ```
pub fn powf(t: &Tensor, p: f32) -> Tensor {
    unary(UnaryOp::Powf(p), t)
}

/// `|x|` elementwise.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![-2.0, 3.0]).unwrap();
/// assert_eq!(nntensor::abs(&t).to_vec(), vec![2.0, 3.0]);
/// ```
pub fn abs(t: &Tensor) -> Tensor {
    unary(UnaryOp::Abs, t)
}

/// Logistic sigmoid `1 / (1 + e^-x)` elementwise, stable for any input.
///
/// ```
/// let t = nntensor::Tensor::from_vec([3], vec![0.0, -1e4, 1e4]).unwrap();
/// assert_eq!(nntensor::sigmoid(&t).to_vec(), vec![0.5, 0.0, 1.0]);
/// ```
pub fn sigmoid(t: &Tensor) -> Tensor {
    unary(UnaryOp::Sigmoid, t)
}

/// Hyperbolic tangent elementwise.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![0.0, 1e4]).unwrap();
/// assert_eq!(nntensor::tanh(&t).to_vec(), vec![0.0, 1.0]);
/// ```
pub fn tanh(t: &Tensor) -> Tensor {
    unary(UnaryOp::Tanh, t)
}

/// `max(x, 0)` elementwise.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![-2.0, 3.0]).unwrap();
/// assert_eq!(nntensor::relu(&t).to_vec(), vec![0.0, 3.0]);
/// ```
pub fn relu(t: &Tensor) -> Tensor {
    unary(UnaryOp::Relu, t)
}

/// `x` for positive inputs, `slope·x` otherwise.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![-2.0, 3.0]).unwrap();
/// assert_eq!(nntensor::leaky_relu(&t, 0.5).to_vec(), vec![-1.0, 3.0]);
/// ```
pub fn leaky_relu(t: &Tensor, slope: f32) -> Tensor {
    unary(UnaryOp::LeakyRelu(slope), t)
}

/// `ln(1 + e^x)` elementwise, computed as `max(x, 0) + ln(1 + e^−|x|)` so it is finite for any input.
///
/// ```
/// let t = nntensor::Tensor::from_vec([3], vec![0.0, 1e4, -1e4]).unwrap();
/// let s = nntensor::softplus(&t);
/// assert!((s[[0]] - 2f32.ln()).abs() < 1e-7);
/// assert_eq!(s[[1]], 1e4);
/// assert_eq!(s[[2]], 0.0);
/// ```
pub fn softplus(t: &Tensor) -> Tensor {
    unary(UnaryOp::Softplus, t)
}

/// Clamps every value into `[min, max]`. Panics if `min > max` or either bound is NaN.
///
/// ```
/// let t = nntensor::Tensor::from_vec([3], vec![-2.0, 0.5, 3.0]).unwrap();
/// assert_eq!(nntensor::clamp(&t, 0.0, 1.0).to_vec(), vec![0.0, 0.5, 1.0]);
/// ```
#[track_caller]
pub fn clamp(t: &Tensor, min: f32, max: f32) -> Tensor {
    unary(UnaryOp::Clamp { min, max }, t)
}

/// `sin x` elementwise.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![0.0, std::f32::consts::FRAC_PI_2]).unwrap();
/// assert_eq!(nntensor::sin(&t).to_vec(), vec![0.0, 1.0]);
/// ```
pub fn sin(t: &Tensor) -> Tensor {
    unary(UnaryOp::Sin, t)
}

/// `cos x` elementwise.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![0.0, std::f32::consts::PI]).unwrap();
/// assert_eq!(nntensor::cos(&t).to_vec(), vec![1.0, -1.0]);
/// ```
pub fn cos(t: &Tensor) -> Tensor {
    unary(UnaryOp::Cos, t)
}

/// `ln(1 + x)` elementwise, accurate for small `x` (PyTorch's `log1p`).
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![0.0, 1e-10]).unwrap();
/// assert_eq!(nntensor::log1p(&t).to_vec(), vec![0.0, 1e-10]);
/// ```
pub fn log1p(t: &Tensor) -> Tensor {
    unary(UnaryOp::Log1p, t)
}

/// `eˣ − 1` elementwise, accurate for small `x` (PyTorch's `expm1`).
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![0.0, 1e-10]).unwrap();
/// assert_eq!(nntensor::expm1(&t).to_vec(), vec![0.0, 1e-10]);
/// ```
pub fn expm1(t: &Tensor) -> Tensor {
    unary(UnaryOp::Expm1, t)
}

/// `1/√x` elementwise.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![4.0, 0.25]).unwrap();
/// assert_eq!(nntensor::rsqrt(&t).to_vec(), vec![0.5, 2.0]);
/// ```
pub fn rsqrt(t: &Tensor) -> Tensor {
    unary(UnaryOp::Rsqrt, t)
}

/// `1/x` elementwise.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![4.0, -0.5]).unwrap();
/// assert_eq!(nntensor::reciprocal(&t).to_vec(), vec![0.25, -2.0]);
/// ```
pub fn reciprocal(t: &Tensor) -> Tensor {
    unary(UnaryOp::Reciprocal, t)
}

/// `x²` elementwise.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![3.0, -0.5]).unwrap();
/// assert_eq!(nntensor::square(&t).to_vec(), vec![9.0, 0.25]);
/// ```
pub fn square(t: &Tensor) -> Tensor {
    unary(UnaryOp::Square, t)
}

/// −1, 0 or 1 by the sign of each element (NaN stays NaN).
///
/// ```
/// let t = nntensor::Tensor::from_vec([3], vec![-2.0, 0.0, 5.0]).unwrap();
/// assert_eq!(nntensor::sign(&t).to_vec(), vec![-1.0, 0.0, 1.0]);
/// ```
pub fn sign(t: &Tensor) -> Tensor {
    unary(UnaryOp::Sign, t)
}

/// The error function elementwise.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![0.0, 10.0]).unwrap();
/// assert_eq!(nntensor::erf(&t).to_vec(), vec![0.0, 1.0]);
/// ```
pub fn erf(t: &Tensor) -> Tensor {
    unary(UnaryOp::Erf, t)
}

/// GELU elementwise, exact: `½x·(1 + erf(x/√2))` (PyTorch's `gelu`).
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![0.0, 10.0]).unwrap();
/// assert_eq!(nntensor::gelu(&t).to_vec(), vec![0.0, 10.0]);
/// ```
pub fn gelu(t: &Tensor) -> Tensor {
    unary(UnaryOp::Gelu, t)
}

/// GELU elementwise, tanh approximation (PyTorch's `gelu(approximate="tanh")`).
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![0.0, 10.0]).unwrap();
/// assert_eq!(nntensor::gelu_tanh(&t).to_vec(), vec![0.0, 10.0]);
/// ```
pub fn gelu_tanh(t: &Tensor) -> Tensor {
    unary(UnaryOp::GeluTanh, t)
}

/// SiLU (swish) elementwise: `x·σ(x)`.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![0.0, 100.0]).unwrap();
/// assert_eq!(nntensor::silu(&t).to_vec(), vec![0.0, 100.0]);
/// ```
pub fn silu(t: &Tensor) -> Tensor {
    unary(UnaryOp::Silu, t)
}

/// SELU elementwise: `λ·x` where positive, `λα·(eˣ − 1)` elsewhere (α = 1.6732632, λ = 1.0507010).
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![0.0, 1.0]).unwrap();
/// assert_eq!(nntensor::selu(&t).to_vec(), vec![0.0, 1.050_701]);
/// ```
pub fn selu(t: &Tensor) -> Tensor {
    unary(UnaryOp::Selu, t)
}

/// `x / (1 + |x|)` elementwise.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![1.0, -3.0]).unwrap();
/// assert_eq!(nntensor::softsign(&t).to_vec(), vec![0.5, -0.75]);
/// ```
pub fn softsign(t: &Tensor) -> Tensor {
    unary(UnaryOp::Softsign, t)
}

/// `ln σ(x)` elementwise, stable for any input.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![0.0, 1e4]).unwrap();
/// assert_eq!(nntensor::log_sigmoid(&t).to_vec(), vec![-std::f32::consts::LN_2, 0.0]);
/// ```
pub fn log_sigmoid(t: &Tensor) -> Tensor {
    unary(UnaryOp::LogSigmoid, t)
}

/// ELU elementwise: `x` where positive, `alpha·(eˣ − 1)` elsewhere.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![2.0, -1e4]).unwrap();
/// assert_eq!(nntensor::elu(&t, 1.0).to_vec(), vec![2.0, -1.0]);
/// ```
pub fn elu(t: &Tensor, alpha: f32) -> Tensor {
    unary(UnaryOp::Elu(alpha), t)
}

/// Clamps into `[min, max]` elementwise; unlike [`clamp`], the gradient passes only strictly
/// inside the interval (PyTorch's `hardtanh`). Panics if `min > max`.
///
/// ```
/// let t = nntensor::Tensor::from_vec([3], vec![-2.0, 0.5, 3.0]).unwrap();
/// assert_eq!(nntensor::hardtanh(&t, -1.0, 1.0).to_vec(), vec![-1.0, 0.5, 1.0]);
/// ```
#[track_caller]
pub fn hardtanh(t: &Tensor, min: f32, max: f32) -> Tensor {
    unary(UnaryOp::Hardtanh { min, max }, t)
}
