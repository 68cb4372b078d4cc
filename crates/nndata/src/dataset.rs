//! `Dataset`: inputs and targets row by row, split, shuffled and batched from a seed.

use crate::DataError;
use nntensor::{gather_rows, slice_rows, Rng, Tensor};

/// Inputs and targets with one row per sample (the first axis). Targets are a tensor: class
/// indices `(n,)` (stored as `f32`), one-hot rows `(n, classes)`, or regression values.
///
/// ```
/// use nndata::Dataset;
/// use nntensor::Tensor;
/// let x = Tensor::from_shape_fn(vec![10, 2], |i| i[0] as f32);
/// let y = Tensor::from_shape_fn(vec![10], |i| (i[0] % 2) as f32);
/// let data = Dataset::new(x, y).unwrap();
/// let sizes: Vec<usize> = data.batches(4, Some(7), false).map(|b| b.len()).collect();
/// assert_eq!(sizes, [4, 4, 2]);
/// let (train, val) = data.split(0.2, 1).unwrap();
/// assert_eq!((train.len(), val.len()), (8, 2));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    x: Tensor,
    y: Tensor,
}

/// One batch: rows of inputs and targets gathered into contiguous tensors.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Inputs, `(batch, …)`.
    pub x: Tensor,
    /// Targets, `(batch, …)`.
    pub y: Tensor,
}

impl Batch {
    /// Samples in the batch.
    pub fn len(&self) -> usize {
        self.x.shape()[0]
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Dataset {
    /// A dataset of inputs `x` and targets `y`, which must have the same number of rows.
    pub fn new(x: Tensor, y: Tensor) -> Result<Dataset, DataError> {
        let rows = |t: &Tensor| t.shape().first().copied();
        match (rows(&x), rows(&y)) {
            (Some(a), Some(b)) if a == b => Ok(Dataset { x, y }),
            (a, b) => Err(DataError::LengthMismatch {
                inputs: a.unwrap_or(0),
                targets: b.unwrap_or(0),
            }),
        }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.x.shape()[0]
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The inputs.
    pub fn inputs(&self) -> &Tensor {
        &self.x
    }

    /// The targets.
    pub fn targets(&self) -> &Tensor {
        &self.y
    }

    /// Inputs and targets, by value.
    pub fn into_parts(self) -> (Tensor, Tensor) {
        (self.x, self.y)
    }

    /// The samples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        Dataset {
            x: gather_rows(&self.x, indices),
            y: gather_rows(&self.y, indices),
        }
    }

    /// A seeded random split into `(1 − fraction, fraction)` of the samples, e.g. for validation.
    pub fn split(&self, fraction: f64, seed: u64) -> Result<(Dataset, Dataset), DataError> {
        if !(0.0..1.0).contains(&fraction) {
            return Err(DataError::InvalidArgument(format!(
                "split fraction must be in [0, 1), got {fraction}"
            )));
        }
        let order = Rng::seed_from(seed).permutation(self.len());
        let held_out = ((self.len() as f64) * fraction).round() as usize;
        let (keep, hold) = order.split_at(self.len() - held_out);
        Ok((self.subset(keep), self.subset(hold)))
    }

    /// A seeded random split into `(1 − fraction, fraction)` that keeps each class's share in
    /// both parts (scikit-learn's `train_test_split(..., stratify=y)`): each class's samples
    /// are shuffled and `round(fraction · count)` of them held out. Targets must be class
    /// indices `(n,)` or `(n, 1)`.
    ///
    /// ```
    /// use nndata::Dataset;
    /// use nntensor::Tensor;
    /// // 8 samples of class 0, 2 of class 1: a 50 % split keeps one of each class's halves.
    /// let y: Vec<f32> = (0..10).map(|i| if i < 8 { 0.0 } else { 1.0 }).collect();
    /// let data = Dataset::new(Tensor::zeros(vec![10, 1]), Tensor::from_vec(vec![10], y).unwrap()).unwrap();
    /// let (a, b) = data.stratified_split(0.5, 3).unwrap();
    /// assert_eq!(b.targets().to_vec().iter().filter(|&&c| c == 1.0).count(), 1);
    /// assert_eq!((a.len(), b.len()), (5, 5));
    /// ```
    pub fn stratified_split(
        &self,
        fraction: f64,
        seed: u64,
    ) -> Result<(Dataset, Dataset), DataError> {
        if !(0.0..1.0).contains(&fraction) {
            return Err(DataError::InvalidArgument(format!(
                "split fraction must be in [0, 1), got {fraction}"
            )));
        }
        let n = self.len();
        let shape = self.y.shape();
        if !(shape.len() == 1 || shape == [n, 1]) {
            return Err(DataError::InvalidArgument(format!(
                "a stratified split needs class indices of shape ({n},), got targets of shape {shape:?}"
            )));
        }
        let labels = self.y.to_vec();
        let mut classes: std::collections::BTreeMap<u64, Vec<usize>> = Default::default();
        for (i, &label) in labels.iter().enumerate() {
            if !(label >= 0.0 && label.fract() == 0.0) {
                return Err(DataError::InvalidArgument(format!(
                    "a stratified split needs class indices, but row {i} has target {label}"
                )));
            }
            classes.entry(label as u64).or_default().push(i);
        }
        let mut rng = Rng::seed_from(seed);
        let (mut keep, mut hold) = (Vec::new(), Vec::new());
        for rows in classes.values() {
            let order = rng.permutation(rows.len());
            let held = ((rows.len() as f64) * fraction).round() as usize;
            let (k, h) = order.split_at(rows.len() - held);
            keep.extend(k.iter().map(|&j| rows[j]));
            hold.extend(h.iter().map(|&j| rows[j]));
        }
        keep.sort_unstable();
        hold.sort_unstable();
        Ok((self.subset(&keep), self.subset(&hold)))
    }

    /// The last `fraction` of the samples, in order, held out (Keras's `validation_split`: the
    /// first `floor(n · (1 − fraction))` samples are kept for training).
    pub fn split_last(&self, fraction: f64) -> Result<(Dataset, Dataset), DataError> {
        if !(0.0..1.0).contains(&fraction) {
            return Err(DataError::InvalidArgument(format!(
                "validation split must be in [0, 1), got {fraction}"
            )));
        }
        // Keras: split_at = floor(n · (1 − validation_split)), computed in f64.
        let cut = ((self.len() as f64) * (1.0 - fraction)).floor() as usize;
        let part = |a, b| Dataset {
            x: slice_rows(&self.x, a, b),
            y: slice_rows(&self.y, a, b),
        };
        Ok((part(0, cut), part(cut, self.len())))
    }

    /// Batches of `batch_size` samples: in order, or shuffled by a permutation drawn from `shuffle`
    /// (a seed; use a different one each epoch). The last partial batch is kept unless `drop_last`.
    /// Panics if `batch_size` is 0.
    #[track_caller]
    pub fn batches(&self, batch_size: usize, shuffle: Option<u64>, drop_last: bool) -> Batches<'_> {
        assert!(
            batch_size > 0,
            "Dataset::batches: batch_size must be at least 1"
        );
        let order = shuffle.map(|seed| Rng::seed_from(seed).permutation(self.len()));
        Batches {
            data: self,
            order,
            batch_size,
            drop_last,
            next: 0,
        }
    }
}

/// The iterator returned by [`Dataset::batches`].
#[derive(Debug)]
pub struct Batches<'a> {
    data: &'a Dataset,
    order: Option<Vec<usize>>,
    batch_size: usize,
    drop_last: bool,
    next: usize,
}

impl Batches<'_> {
    /// Number of batches this iterator yields in all.
    pub fn count_total(&self) -> usize {
        let n = self.data.len();
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }
}

impl Iterator for Batches<'_> {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        let n = self.data.len();
        let start = self.next;
        let end = start.saturating_add(self.batch_size).min(n);
        if start >= n || (self.drop_last && end - start < self.batch_size) {
            return None;
        }
        self.next = end;
        Some(match &self.order {
            Some(order) => {
                let rows = &order[start..end];
                Batch {
                    x: gather_rows(&self.data.x, rows),
                    y: gather_rows(&self.data.y, rows),
                }
            }
            None => Batch {
                x: slice_rows(&self.data.x, start, end),
                y: slice_rows(&self.data.y, start, end),
            },
        })
    }
}
