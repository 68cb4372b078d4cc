//! Scaling helpers: fitted on training data, applied unchanged to test data.

use nntensor::ndarray::Axis;
use nntensor::Tensor;

/// Per-feature mean and standard deviation, fitted on training inputs `(n, features…)`.
///
/// ```
/// use nndata::Standardizer;
/// use nntensor::Tensor;
/// let train = Tensor::from_shape_vec(vec![2, 1], vec![1.0, 3.0]).unwrap();
/// let s = Standardizer::fit(&train);
/// assert_eq!(s.transform(&train).as_slice().unwrap(), &[-1.0, 1.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Mean of each feature.
    pub mean: Tensor,
    /// Standard deviation of each feature (1 where a feature is constant, so it maps to 0).
    pub std: Tensor,
}

impl Standardizer {
    /// Fits on `x`, one statistic per feature (over the first axis). Panics on an empty `x`.
    #[track_caller]
    pub fn fit(x: &Tensor) -> Standardizer {
        assert!(
            x.ndim() >= 1 && x.shape()[0] > 0,
            "Standardizer::fit: no samples (shape {:?})",
            x.shape()
        );
        let mean = x.mean_axis(Axis(0)).expect("non-empty");
        let var = x.map_axis(Axis(0), |lane| {
            let m = lane.mean().unwrap_or(0.0);
            lane.iter().map(|v| (v - m) * (v - m)).sum::<f32>() / lane.len() as f32
        });
        let std = var.mapv(|v| if v > 0.0 { v.sqrt() } else { 1.0 });
        Standardizer { mean, std }
    }

    /// `(x − mean) / std`, feature by feature.
    pub fn transform(&self, x: &Tensor) -> Tensor {
        (x - &self.mean) / &self.std
    }
}

/// Per-feature minimum and maximum, fitted on training inputs, to scale features into `[0, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MinMaxScaler {
    /// Minimum of each feature.
    pub min: Tensor,
    /// Maximum of each feature.
    pub max: Tensor,
}

impl MinMaxScaler {
    /// Fits on `x`. Panics on an empty `x`.
    #[track_caller]
    pub fn fit(x: &Tensor) -> MinMaxScaler {
        assert!(
            x.ndim() >= 1 && x.shape()[0] > 0,
            "MinMaxScaler::fit: no samples (shape {:?})",
            x.shape()
        );
        let min = x.fold_axis(Axis(0), f32::INFINITY, |&m, &v| m.min(v));
        let max = x.fold_axis(Axis(0), f32::NEG_INFINITY, |&m, &v| m.max(v));
        MinMaxScaler { min, max }
    }

    /// `(x − min) / (max − min)` per feature (0 for a constant feature).
    pub fn transform(&self, x: &Tensor) -> Tensor {
        let range = (&self.max - &self.min).mapv(|r| if r > 0.0 { r } else { 1.0 });
        (x - &self.min) / range
    }
}
