//! MNIST and every dataset in its layout (Fashion-MNIST, KMNIST): four IDX files in a directory.

use crate::{read_idx, DataError, Dataset, IdxArray, IdxData};
use nntensor::Tensor;
use std::path::{Path, PathBuf};

/// How to shape what [`load_with`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MnistOptions {
    /// Images as `(n, 784)` rows (true, the default) or `(n, 28, 28)` (false).
    pub flatten: bool,
    /// Targets as one-hot rows `(n, classes)` instead of class indices `(n,)`.
    pub one_hot: bool,
    /// Number of classes; labels must lie in `0..classes` (10 for MNIST and Fashion-MNIST).
    pub classes: usize,
}

impl Default for MnistOptions {
    fn default() -> Self {
        MnistOptions {
            flatten: true,
            one_hot: false,
            classes: 10,
        }
    }
}

/// The training and test sets: pixels as `f32` in `[0, 1]`, targets as class indices (stored as
/// `f32`) or one-hot rows.
#[derive(Debug, Clone)]
pub struct Mnist {
    /// 60,000 training images for MNIST.
    pub train: Dataset,
    /// 10,000 test images for MNIST.
    pub test: Dataset,
}

/// Loads MNIST from `dir` with [`MnistOptions::default`]: images `(n, 784)` in `[0, 1]`, labels `(n,)`.
///
/// Each file is found under either common name (`train-images-idx3-ubyte` or
/// `train-images.idx3-ubyte`), gzipped or not.
///
/// ```no_run
/// let mnist = nndata::mnist::load("data/mnist").unwrap();
/// assert_eq!(mnist.train.inputs().shape(), &[60000, 784]);
/// ```
pub fn load(dir: impl AsRef<Path>) -> Result<Mnist, DataError> {
    load_with(dir, MnistOptions::default())
}

/// Loads MNIST (or a dataset in its layout) from `dir`, shaped by `options`.
pub fn load_with(dir: impl AsRef<Path>, options: MnistOptions) -> Result<Mnist, DataError> {
    let dir = dir.as_ref();
    if options.classes == 0 {
        return Err(DataError::InvalidArgument(
            "MnistOptions::classes must be at least 1".into(),
        ));
    }
    let train = load_split(dir, "train", options)?;
    let test = load_split(dir, "t10k", options)?;
    Ok(Mnist { train, test })
}

/// The path of `{split}-{kind}` in `dir` under any of the common names, or an error listing them.
pub fn find_file(dir: &Path, split: &str, kind: &'static str) -> Result<PathBuf, DataError> {
    let (what, rank) = if kind == "images" {
        ("images", "idx3")
    } else {
        ("labels", "idx1")
    };
    let candidates = [
        format!("{split}-{what}-{rank}-ubyte"),
        format!("{split}-{what}-{rank}-ubyte.gz"),
        format!("{split}-{what}.{rank}-ubyte"),
        format!("{split}-{what}.{rank}-ubyte.gz"),
    ];
    candidates
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| DataError::MissingFile {
            dir: dir.to_path_buf(),
            name: if split == "train" {
                if kind == "images" {
                    "train-images"
                } else {
                    "train-labels"
                }
            } else if kind == "images" {
                "t10k-images"
            } else {
                "t10k-labels"
            },
            tried: candidates.join(", "),
        })
}

fn load_split(dir: &Path, split: &str, options: MnistOptions) -> Result<Dataset, DataError> {
    let images_path = find_file(dir, split, "images")?;
    let labels_path = find_file(dir, split, "labels")?;
    let images = read_idx(&images_path)?;
    let labels = read_idx(&labels_path)?;
    let unexpected =
        |path: &Path, expected: &'static str, array: &IdxArray| DataError::UnexpectedArray {
            path: path.into(),
            expected,
            type_name: array.element_type().name(),
            dims: array.dims.clone(),
        };
    let IdxData::U8(pixels) = &images.data else {
        return Err(unexpected(
            &images_path,
            "u8 images of shape (n, rows, cols)",
            &images,
        ));
    };
    if images.dims.len() != 3 {
        return Err(unexpected(
            &images_path,
            "u8 images of shape (n, rows, cols)",
            &images,
        ));
    }
    let IdxData::U8(label_bytes) = &labels.data else {
        return Err(unexpected(&labels_path, "u8 labels of shape (n,)", &labels));
    };
    if labels.dims.len() != 1 {
        return Err(unexpected(&labels_path, "u8 labels of shape (n,)", &labels));
    }
    let (n, rows, cols) = (images.dims[0], images.dims[1], images.dims[2]);
    if labels.dims[0] != n {
        return Err(DataError::CountMismatch {
            images: images_path,
            image_count: n,
            labels: labels_path,
            label_count: labels.dims[0],
        });
    }
    if let Some((index, &label)) = label_bytes
        .iter()
        .enumerate()
        .find(|(_, &l)| l as usize >= options.classes)
    {
        return Err(DataError::LabelOutOfRange {
            path: labels_path,
            label: label as i64,
            index,
            max: options.classes - 1,
        });
    }
    // Divided, as Keras does (`x / 255.0`), rather than multiplied by 1/255: one ulp apart.
    let values: Vec<f32> = pixels.iter().map(|&p| p as f32 / 255.0).collect();
    let shape = if options.flatten {
        vec![n, rows * cols]
    } else {
        vec![n, rows, cols]
    };
    let x = Tensor::from_vec(shape, values).expect("length checked by the IDX reader");
    let y = if options.one_hot {
        let classes: Vec<usize> = label_bytes.iter().map(|&l| l as usize).collect();
        nntensor::one_hot(&classes, options.classes).expect("labels checked above")
    } else {
        Tensor::from_vec(vec![n], label_bytes.iter().map(|&l| l as f32).collect())
            .expect("n labels")
    };
    Dataset::new(x, y)
}
