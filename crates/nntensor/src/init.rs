//! Seeded initializers: constants, uniform, normal, Glorot/Xavier and He.

use crate::{Rng, Tensor};

/// How to fill a new parameter tensor. Fans are computed from the shape by [`fans`].
///
/// The scaled initializers follow the `torch.nn.init` / Keras formulas; Keras's `glorot_normal` and
/// `he_normal` draw from a *truncated* normal instead, ours from a plain normal (as PyTorch does).
///
/// ```
/// use nntensor::{Init, Rng};
/// let w = Init::GlorotUniform.tensor(&[784, 32], &mut Rng::seed_from(0));
/// let limit = (6.0f32 / (784.0 + 32.0)).sqrt();
/// assert!(w.to_vec().iter().all(|x| x.abs() <= limit));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// All zeros.
    Zeros,
    /// All ones.
    Ones,
    /// Every element the same value.
    Constant(f32),
    /// Uniform in `[low, high)`.
    Uniform {
        /// Lower bound (inclusive).
        low: f32,
        /// Upper bound (exclusive).
        high: f32,
    },
    /// Normal with the given mean and standard deviation (the tutorials' `randn · 0.01` is `{0, 0.01}`).
    Normal {
        /// Mean.
        mean: f32,
        /// Standard deviation.
        std: f32,
    },
    /// Uniform in `±sqrt(6 / (fan_in + fan_out))` (Keras's default for Dense kernels).
    GlorotUniform,
    /// Normal with `std = sqrt(2 / (fan_in + fan_out))`.
    GlorotNormal,
    /// Uniform in `±sqrt(6 / fan_in)`.
    HeUniform,
    /// Normal with `std = sqrt(2 / fan_in)`.
    HeNormal,
}

/// `(fan_in, fan_out)` of a weight of `shape`, in Keras's layout: for 2-D `(in, out)` weights,
/// its two sizes; for 1-D, its length twice; for higher ranks `(…receptive field, in, out)`, the
/// last two axes times the receptive field. (PyTorch stores weights as `(out, in, …)`.)
pub fn fans(shape: &[usize]) -> (usize, usize) {
    match shape.len() {
        0 => (1, 1),
        1 => (shape[0], shape[0]),
        n => {
            let receptive: usize = shape[..n - 2].iter().product();
            (shape[n - 2] * receptive, shape[n - 1] * receptive)
        }
    }
}

impl Init {
    /// A new tensor of `shape` filled by this initializer, drawing from `rng`.
    pub fn tensor(&self, shape: &[usize], rng: &mut Rng) -> Tensor {
        let (fan_in, fan_out) = fans(shape);
        let (fan_in, fan_out) = (fan_in.max(1) as f32, fan_out.max(1) as f32);
        let uniform =
            |rng: &mut Rng, limit: f32| Tensor::from_fn(shape, || rng.uniform(-limit, limit));
        let normal = |rng: &mut Rng, mean: f32, std: f32| {
            Tensor::from_fn(shape, || mean + std * rng.normal())
        };
        match *self {
            Init::Zeros => Tensor::zeros(shape),
            Init::Ones => Tensor::ones(shape),
            Init::Constant(v) => Tensor::full(shape, v),
            Init::Uniform { low, high } => Tensor::from_fn(shape, || rng.uniform(low, high)),
            Init::Normal { mean, std } => normal(rng, mean, std),
            Init::GlorotUniform => uniform(rng, (6.0 / (fan_in + fan_out)).sqrt()),
            Init::GlorotNormal => normal(rng, 0.0, (2.0 / (fan_in + fan_out)).sqrt()),
            Init::HeUniform => uniform(rng, (6.0 / fan_in).sqrt()),
            Init::HeNormal => normal(rng, 0.0, (2.0 / fan_in).sqrt()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn std_of(t: &Tensor) -> f32 {
        let n = t.len() as f32;
        let values = t.to_vec();
        let mean = values.iter().sum::<f32>() / n;
        (values.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / n).sqrt()
    }

    #[test]
    fn scaled_initializers_have_their_documented_spread() {
        let mut rng = Rng::seed_from(5);
        let shape = [400, 300];
        let glorot_std = (2.0f32 / 700.0).sqrt();
        let he_std = (2.0f32 / 400.0).sqrt();
        // A uniform on ±L has std L/√3.
        let cases = [
            (Init::GlorotUniform, (6.0f32 / 700.0).sqrt() / 3f32.sqrt()),
            (Init::GlorotNormal, glorot_std),
            (Init::HeUniform, (6.0f32 / 400.0).sqrt() / 3f32.sqrt()),
            (Init::HeNormal, he_std),
            (
                Init::Normal {
                    mean: 0.0,
                    std: 0.01,
                },
                0.01,
            ),
        ];
        for (init, want) in cases {
            let got = std_of(&init.tensor(&shape, &mut rng));
            assert!(
                (got / want - 1.0).abs() < 0.02,
                "{init:?}: std {got}, want {want}"
            );
        }
    }

    #[test]
    fn same_seed_same_tensor() {
        let a = Init::HeNormal.tensor(&[10, 10], &mut Rng::seed_from(1));
        let b = Init::HeNormal.tensor(&[10, 10], &mut Rng::seed_from(1));
        assert_eq!(a, b);
    }

    #[test]
    fn fans_follow_the_keras_layout() {
        assert_eq!(fans(&[784, 32]), (784, 32));
        assert_eq!(fans(&[10]), (10, 10));
        assert_eq!(fans(&[3, 3, 8, 16]), (72, 144));
    }
}
