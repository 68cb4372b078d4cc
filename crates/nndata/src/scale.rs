//! Scaling helpers: fitted on training data, applied unchanged to test data.

use crate::DataError;
use nntensor::{self as nt, Tensor};

/// Refuses to fit on no samples: the statistics would be NaN.
fn check_rows(x: &Tensor, who: &str) -> Result<(), DataError> {
    if x.ndim() >= 1 && x.shape()[0] > 0 {
        return Ok(());
    }
    Err(DataError::InvalidArgument(format!(
        "{who}::fit needs at least one sample, got shape {:?}: fit it on the training inputs (n, features) with n > 0",
        x.shape()
    )))
}

/// Checks that `x`'s features (all axes but the first) match the fitted statistics'.
#[track_caller]
fn check_features(x: &Tensor, fitted: &Tensor, who: &str) {
    // A trailing axis of 1 is the same features: targets fitted as (n,) and predictions (n, 1).
    let strip = |s: &[usize]| -> Vec<usize> {
        let mut s = s.to_vec();
        while s.last() == Some(&1) {
            s.pop();
        }
        s
    };
    assert!(
        x.ndim() >= 1 && strip(&x.shape()[1..]) == strip(fitted.shape()),
        "{who}: inputs of shape {:?} do not have the {:?} features it was fitted on",
        x.shape(),
        fitted.shape()
    );
}

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
/// let s = Standardizer::fit(&train).unwrap();
/// let scaled = s.transform(&train);
/// assert_eq!(scaled.as_slice().unwrap(), &[-1.0, 1.0]);
/// assert_eq!(s.inverse_transform(&scaled), train);
/// assert!(Standardizer::fit(&Tensor::zeros(vec![0, 3])).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Mean of each feature.
    pub mean: Tensor,
    /// Standard deviation of each feature (1 where a feature is constant, so it maps to 0).
    pub std: Tensor,
}

impl Standardizer {
    /// Fits on `x`, one statistic per feature (over the first axis); an error for no samples.
    pub fn fit(x: &Tensor) -> Result<Standardizer, DataError> {
        check_rows(x, "Standardizer")?;
        let mean = nt::mean_axis(x, 0);
        let var = nt::mean_axis(&nt::powi(&(x - &mean), 2), 0);
        let std = ones_where_zero(&nt::sqrt(&var));
        Ok(Standardizer { mean, std })
    }

    /// `(x − mean) / std`, feature by feature. Panics if `x` has other features than it was
    /// fitted on.
    #[track_caller]
    pub fn transform(&self, x: &Tensor) -> Tensor {
        check_features(x, &self.mean, "Standardizer::transform");
        &(x - &self.mean) / &self.std
    }

    /// Undoes [`Standardizer::transform`]: `x · std + mean` (to read scaled predictions of a
    /// regression in the targets' own units).
    #[track_caller]
    pub fn inverse_transform(&self, x: &Tensor) -> Tensor {
        check_features(x, &self.mean, "Standardizer::inverse_transform");
        &(x * &self.std) + &self.mean
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
    /// Fits on `x`; an error for no samples.
    pub fn fit(x: &Tensor) -> Result<MinMaxScaler, DataError> {
        check_rows(x, "MinMaxScaler")?;
        let min = -nt::max_axis(&-x, 0);
        let max = nt::max_axis(x, 0);
        Ok(MinMaxScaler { min, max })
    }

    /// `(x − min) / (max − min)` per feature (0 for a constant feature). Panics if `x` has
    /// other features than it was fitted on.
    #[track_caller]
    pub fn transform(&self, x: &Tensor) -> Tensor {
        check_features(x, &self.min, "MinMaxScaler::transform");
        let range = ones_where_zero(&(&self.max - &self.min));
        &(x - &self.min) / &range
    }

    /// Undoes [`MinMaxScaler::transform`]: `x · (max − min) + min`.
    #[track_caller]
    pub fn inverse_transform(&self, x: &Tensor) -> Tensor {
        check_features(x, &self.min, "MinMaxScaler::inverse_transform");
        let range = ones_where_zero(&(&self.max - &self.min));
        &(x * &range) + &self.min
    }
}
