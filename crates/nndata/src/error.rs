//! Errors reading data files and building datasets: each names the file and what to do.

use std::path::PathBuf;
use thiserror::Error;

/// What went wrong reading a data file or building a dataset.
#[derive(Debug, Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is empty.
    #[error("{path}: the file is empty (an interrupted download?)")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file does not start like an IDX file.
    #[error(
        "{path}: not an IDX file: the first two bytes are {found:02x?}, IDX files start with 00 00"
    )]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The bytes found.
        found: [u8; 2],
    },
    /// The element type code is not one IDX defines.
    #[error("{path}: unknown IDX element type 0x{code:02x} (known: 08 u8, 09 i8, 0b i16, 0c i32, 0d f32, 0e f64)")]
    UnknownType {
        /// The file.
        path: PathBuf,
        /// The code found.
        code: u8,
    },
    /// A dimension is zero or there are no dimensions.
    #[error("{path}: the header's dimensions {dims:?} describe no data (every dimension must be at least 1)")]
    BadDimensions {
        /// The file.
        path: PathBuf,
        /// The dimensions read.
        dims: Vec<u32>,
    },
    /// The file ends before the data its header describes.
    #[error("{path}: truncated: the header describes {expected} bytes of data ({dims:?} elements of {type_name}) but the file holds {actual}; re-download it")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Data bytes the header describes.
        expected: u64,
        /// Data bytes present.
        actual: u64,
        /// The header's dimensions.
        dims: Vec<u32>,
        /// The element type.
        type_name: &'static str,
    },
    /// A header whose dimensions multiply to more bytes than any file could hold.
    #[error("{path}: the header's dimensions {dims:?} describe more data than any file can hold; the file is damaged or not IDX")]
    OversizedHeader {
        /// The file.
        path: PathBuf,
        /// The dimensions read.
        dims: Vec<u32>,
    },
    /// A gzip file whose header describes more data than any gzip file of its size can hold.
    #[error("{path}: the header describes {expected} bytes of data, more than a {compressed}-byte gzip file can hold; the file is damaged")]
    ImpossibleSize {
        /// The file.
        path: PathBuf,
        /// Data bytes the header describes.
        expected: u64,
        /// The file's size.
        compressed: u64,
    },
    /// There are bytes after the data the header describes.
    #[error("{path}: {extra} unexpected bytes after the {expected} bytes of data the header describes; the file is damaged or not what its name says")]
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// Data bytes the header describes.
        expected: u64,
        /// Bytes beyond them.
        extra: u64,
    },
    /// The file is named `.gz` but is not gzip-compressed.
    #[error("{path}: the name ends in .gz but the file is not gzip-compressed (it starts with {found:02x?}, gzip starts with 1f 8b)")]
    NotGzip {
        /// The file.
        path: PathBuf,
        /// The first bytes found.
        found: Vec<u8>,
    },
    /// The gzip stream is damaged.
    #[error("{path}: the gzip stream is corrupt ({source}); re-download the file")]
    Gzip {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        source: std::io::Error,
    },
    /// A file MNIST needs was not found.
    #[error("MNIST file `{name}` not found in {dir} (looked for {tried}). Download the four files from a mirror such as https://ossci-datasets.s3.amazonaws.com/mnist/ into that directory (gzipped or not), or set MNIST_DIR to where they are")]
    MissingFile {
        /// The directory searched.
        dir: PathBuf,
        /// The file's base name.
        name: &'static str,
        /// The names tried.
        tried: String,
    },
    /// A download failed (cargo feature `download`).
    #[error("could not download {url}: {reason}. Check the network, try another mirror, or put the MNIST files in the data directory yourself")]
    Download {
        /// What was fetched.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// A downloaded file is not the expected file (cargo feature `download`).
    #[error("{url}: checksum mismatch (SHA-256 of the content {actual}, expected {expected}); the download was corrupted or the mirror serves another file. Nothing was saved")]
    Checksum {
        /// What was fetched.
        url: String,
        /// The expected SHA-256.
        expected: String,
        /// The SHA-256 found.
        actual: String,
    },
    /// Images and labels disagree in count.
    #[error("{images} holds {image_count} images but {labels} holds {label_count} labels; they must be the same set")]
    CountMismatch {
        /// The image file.
        images: PathBuf,
        /// Images in it.
        image_count: usize,
        /// The label file.
        labels: PathBuf,
        /// Labels in it.
        label_count: usize,
    },
    /// A label is outside the class range.
    #[error("{path}: label {label} at index {index} is outside 0..={max}")]
    LabelOutOfRange {
        /// The label file.
        path: PathBuf,
        /// The label.
        label: i64,
        /// Its position.
        index: usize,
        /// The largest valid label.
        max: usize,
    },
    /// A file holds a different kind of array than expected.
    #[error(
        "{path}: expected {expected}, found an IDX array of {type_name} with dimensions {dims:?}"
    )]
    UnexpectedArray {
        /// The file.
        path: PathBuf,
        /// What was expected.
        expected: &'static str,
        /// Its element type.
        type_name: &'static str,
        /// Its dimensions.
        dims: Vec<usize>,
    },
    /// Inputs and targets of a dataset disagree.
    #[error(
        "a dataset needs as many targets as inputs: got {inputs} inputs and {targets} targets"
    )]
    LengthMismatch {
        /// Rows of inputs.
        inputs: usize,
        /// Rows of targets.
        targets: usize,
    },
    /// A NumPy `.npy` or `.npz` file that cannot be read as f32 (damaged, truncated, another
    /// format, or a dtype f32 cannot hold).
    #[error("{path}: {detail}")]
    Numpy {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the array and element where there is one, and the fix.
        detail: String,
    },
    /// A CSV file that cannot be read as a table (ragged rows, missing or non-finite values,
    /// unknown columns).
    #[error("{path}: {detail}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the line and column where there is one, and the fix.
        detail: String,
    },
    /// A parameter is outside its valid range.
    #[error("{0}")]
    InvalidArgument(String),
}
