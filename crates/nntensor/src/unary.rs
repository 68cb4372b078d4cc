//! Elementwise maps of one tensor (activations and maths functions).

use crate::fastmath::{exp_fast, ln_1p_unit};
use crate::wide::wide;
use crate::Tensor;

/// Numerically stable logistic sigmoid of one value: never evaluates `exp` of a large positive number.
#[inline]
pub fn sigmoid_scalar(x: f32) -> f32 {
    // e^−|x| never overflows; the select (not a branch) lets loops of it vectorise.
    let e = exp_fast(-x.abs());
    let r = 1.0 / (1.0 + e);
    if x >= 0.0 {
        r
    } else {
        e * r
    }
}

/// `e^x` elementwise.
///
/// ```
/// let t = nntensor::Tensor::zeros(vec![2]);
/// assert_eq!(nntensor::exp(&t).as_slice().unwrap(), &[1.0, 1.0]);
/// ```
pub fn exp(t: &Tensor) -> Tensor {
    t.mapv(f32::exp)
}

/// Natural logarithm elementwise (`-inf` at 0, NaN below).
pub fn log(t: &Tensor) -> Tensor {
    t.mapv(f32::ln)
}

/// Square root elementwise.
pub fn sqrt(t: &Tensor) -> Tensor {
    t.mapv(f32::sqrt)
}

/// `x^n` elementwise for an integer power.
pub fn powi(t: &Tensor, n: i32) -> Tensor {
    t.mapv(|x| x.powi(n))
}

/// `x^p` elementwise for a real power.
pub fn powf(t: &Tensor, p: f32) -> Tensor {
    t.mapv(|x| x.powf(p))
}

/// `-x` elementwise.
pub fn neg(t: &Tensor) -> Tensor {
    map_wide(t, |x| -x)
}

/// `|x|` elementwise.
pub fn abs(t: &Tensor) -> Tensor {
    map_wide(t, f32::abs)
}

/// Logistic sigmoid `1 / (1 + e^-x)` elementwise, stable for any input.
///
/// ```
/// let t = nntensor::Tensor::from_shape_vec(vec![3], vec![0.0, -1e4, 1e4]).unwrap();
/// assert_eq!(nntensor::sigmoid(&t).as_slice().unwrap(), &[0.5, 0.0, 1.0]);
/// ```
pub fn sigmoid(t: &Tensor) -> Tensor {
    map_wide(t, sigmoid_scalar)
}

/// Hyperbolic tangent elementwise.
pub fn tanh(t: &Tensor) -> Tensor {
    t.mapv(f32::tanh)
}

/// `max(x, 0)` elementwise.
///
/// ```
/// let t = nntensor::Tensor::from_shape_vec(vec![2], vec![-2.0, 3.0]).unwrap();
/// assert_eq!(nntensor::relu(&t).as_slice().unwrap(), &[0.0, 3.0]);
/// ```
pub fn relu(t: &Tensor) -> Tensor {
    map_wide(t, |x| x.max(0.0))
}

/// `x` for positive inputs, `slope·x` otherwise.
pub fn leaky_relu(t: &Tensor, slope: f32) -> Tensor {
    map_wide(t, |x| if x > 0.0 { x } else { slope * x })
}

/// `ln(1 + e^x)` elementwise, computed as `max(x, 0) + ln(1 + e^−|x|)` so it is finite for any input.
///
/// ```
/// let t = nntensor::Tensor::from_shape_vec(vec![3], vec![0.0, 1e4, -1e4]).unwrap();
/// let s = nntensor::softplus(&t);
/// assert!((s[[0]] - 2f32.ln()).abs() < 1e-7);
/// assert_eq!(s[[1]], 1e4);
/// assert_eq!(s[[2]], 0.0);
/// ```
pub fn softplus(t: &Tensor) -> Tensor {
    map_wide(t, |x| x.max(0.0) + ln_1p_unit(exp_fast(-x.abs())))
}

/// `t.mapv(f)`, vectorised with [`wide`] when `t` is in standard (row-major) layout.
fn map_wide(t: &Tensor, f: impl Fn(f32) -> f32) -> Tensor {
    match t.as_slice() {
        Some(src) => {
            let mut out = vec![0.0; src.len()];
            wide(
                #[inline(always)]
                || {
                    for (out, &x) in out.iter_mut().zip(src) {
                        *out = f(x);
                    }
                },
            );
            Tensor::from_shape_vec(t.raw_dim(), out).expect("one output per input")
        }
        None => t.mapv(f),
    }
}

/// Clamps every value into `[min, max]`. Panics if `min > max` or either bound is NaN.
#[track_caller]
pub fn clamp(t: &Tensor, min: f32, max: f32) -> Tensor {
    assert!(min <= max, "clamp: min {min} must not exceed max {max}");
    map_wide(t, |x| x.clamp(min, max))
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
        let t = Tensor::from_shape_vec(vec![values.len()], values.clone()).unwrap();
        let (s, p) = (sigmoid(&t), softplus(&t));
        for (i, &x) in values.iter().enumerate() {
            let want_p = x.max(0.0) + ln_1p_unit(exp_fast(-x.abs()));
            assert_eq!(
                s[[i]].to_bits(),
                sigmoid_scalar(x).to_bits(),
                "sigmoid({x})"
            );
            assert_eq!(p[[i]].to_bits(), want_p.to_bits(), "softplus({x})");
        }
        // A transposed view takes the element-by-element path and agrees too.
        let t2 = Tensor::from_shape_vec(vec![17, 59], values[..1003].to_vec()).unwrap();
        let st = sigmoid(&t2.t().to_owned());
        assert_eq!(st, sigmoid(&t2).t());
    }
}
