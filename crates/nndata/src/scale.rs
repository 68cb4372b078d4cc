//! Scaling helpers: fitted on training data, applied unchanged to test data.

use nntensor::{self as nt, Tensor};

/// `t` with every zero replaced by one (a constant feature's spread, so it scales to 0).
fn ones_where_zero(t: &Tensor) -> Tensor {
    let values = t
        .to_vec()
        .into_iter()
        .map(|v| if v > 0.0 { v } else { 1.0 });
    Tensor::from_vec(t.shape(), values.collect()).expect("same length")
}

/// Per-feature mean and standard deviation, fitted on training inputs `(n, features…)`.
///
/// ```
/// use nndata::Standardizer;
/// use nntensor::Tensor;
/// let train = Tensor::from_vec(vec![2, 1], vec![1.0, 3.0]).unwrap();
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
        let mean = nt::mean_axis(x, 0);
        let var = nt::mean_axis(&nt::powi(&(x - &mean), 2), 0);
        let std = ones_where_zero(&nt::sqrt(&var));
        Standardizer { mean, std }
    }

    /// `(x − mean) / std`, feature by feature.
    pub fn transform(&self, x: &Tensor) -> Tensor {
        &(x - &self.mean) / &self.std
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
        let min = -nt::max_axis(&-x, 0);
        let max = nt::max_axis(x, 0);
        MinMaxScaler { min, max }
    }

    /// `(x − min) / (max − min)` per feature (0 for a constant feature).
    pub fn transform(&self, x: &Tensor) -> Tensor {
        let range = ones_where_zero(&(&self.max - &self.min));
        &(x - &self.min) / &range
    }
}
