//! Datasets from the arrays users already have: rows as `Vec<Vec<f32>>`, an `ndarray` matrix,
//! and integer class labels of any integer type.

use crate::{DataError, Dataset};
use nntensor::ndarray::{Array1, Array2};
use nntensor::Tensor;

/// The largest class index an `f32` holds exactly (2^24).
const MAX_EXACT_INDEX: u64 = 1 << 24;

impl Dataset {
    /// A dataset from rows of features (`Vec<Vec<f32>>`, as from a hand-written loader) and one
    /// target per row; an error for rows of different lengths, naming the row.
    ///
    /// ```
    /// use nndata::Dataset;
    /// let data = Dataset::from_rows(&[vec![0.0, 1.0], vec![1.0, 0.0]], &[1.0, 0.0]).unwrap();
    /// assert_eq!(data.inputs().shape(), &[2, 2]);
    /// assert!(Dataset::from_rows(&[vec![0.0, 1.0], vec![1.0]], &[1.0, 0.0]).is_err());
    /// ```
    pub fn from_rows(rows: &[Vec<f32>], targets: &[f32]) -> Result<Dataset, DataError> {
        let width = rows.first().map_or(0, Vec::len);
        let mut values = Vec::with_capacity(rows.len() * width);
        for (i, row) in rows.iter().enumerate() {
            if row.len() != width {
                return Err(DataError::InvalidArgument(format!(
                    "row {i} has {} features but row 0 has {width}: every row needs the same features",
                    row.len()
                )));
            }
            values.extend_from_slice(row);
        }
        let x = Tensor::from_vec([rows.len(), width], values).expect("sizes match");
        Dataset::new(
            x,
            Tensor::from_vec([targets.len()], targets.to_vec()).expect("1-D"),
        )
    }

    /// A dataset from an `ndarray` matrix of features `(n, features)` and a vector of targets.
    ///
    /// ```
    /// use nndata::Dataset;
    /// use nntensor::ndarray::{array, Array1};
    /// let data = Dataset::from_array2(&array![[0.0, 1.0], [1.0, 0.0]], &Array1::from(vec![1.0, 0.0])).unwrap();
    /// assert_eq!(data.len(), 2);
    /// ```
    pub fn from_array2(x: &Array2<f32>, y: &Array1<f32>) -> Result<Dataset, DataError> {
        let (n, f) = x.dim();
        let x = Tensor::from_vec([n, f], x.iter().copied().collect()).expect("sizes match");
        let y = Tensor::from_vec([y.len()], y.to_vec()).expect("1-D");
        Dataset::new(x, y)
    }

    /// A dataset of inputs `x` and integer class labels of any integer type (`u32`, `i64`,
    /// `usize`, ...), stored as class indices `(n,)`; an error for a negative label or one too
    /// large to be an index, naming the row.
    ///
    /// ```
    /// use nndata::Dataset;
    /// use nntensor::Tensor;
    /// let x = Tensor::zeros(vec![3, 2]);
    /// let data = Dataset::from_labels(x.clone(), &[2i64, 0, 1]).unwrap();
    /// assert_eq!(data.targets().to_vec(), vec![2.0, 0.0, 1.0]);
    /// assert!(Dataset::from_labels(x, &[0i64, -1, 1]).is_err());
    /// ```
    pub fn from_labels<L>(x: Tensor, labels: &[L]) -> Result<Dataset, DataError>
    where
        L: Copy + std::fmt::Display + TryInto<u64>,
    {
        let mut y = Vec::with_capacity(labels.len());
        for (row, &label) in labels.iter().enumerate() {
            match label.try_into().ok() {
                Some(i) if i <= MAX_EXACT_INDEX => y.push(i as f32),
                _ => {
                    return Err(DataError::InvalidArgument(format!(
                        "label {label} at row {row} is not a class index: labels must be 0, 1, ..., classes − 1 (at most {MAX_EXACT_INDEX}); map them to indices first"
                    )))
                }
            }
        }
        Dataset::new(x, Tensor::from_vec([y.len()], y).expect("1-D"))
    }
}
