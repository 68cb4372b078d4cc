//! The IDX file format (the format of MNIST), raw or gzip-compressed.
//!
//! An IDX file is: two zero bytes, an element type code, the number of dimensions `d`, then `d`
//! big-endian `u32` sizes, then the elements in row-major order, big-endian. Reading checks
//! each part before trusting the next, and never allocates for data the file does not hold: a
//! raw file's size is compared with the header before reading; a gzip stream is decompressed
//! into a buffer that grows only as real data arrives. Bytes after the data are an error.

use crate::DataError;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;

/// An IDX element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdxType {
    /// Unsigned byte (code 0x08): MNIST's pixels and labels.
    U8,
    /// Signed byte (0x09).
    I8,
    /// Big-endian `i16` (0x0B).
    I16,
    /// Big-endian `i32` (0x0C).
    I32,
    /// Big-endian `f32` (0x0D).
    F32,
    /// Big-endian `f64` (0x0E).
    F64,
}

impl IdxType {
    /// The type for a header code.
    pub fn from_code(code: u8) -> Option<IdxType> {
        Some(match code {
            0x08 => IdxType::U8,
            0x09 => IdxType::I8,
            0x0B => IdxType::I16,
            0x0C => IdxType::I32,
            0x0D => IdxType::F32,
            0x0E => IdxType::F64,
            _ => return None,
        })
    }

    /// The header code.
    pub fn code(self) -> u8 {
        match self {
            IdxType::U8 => 0x08,
            IdxType::I8 => 0x09,
            IdxType::I16 => 0x0B,
            IdxType::I32 => 0x0C,
            IdxType::F32 => 0x0D,
            IdxType::F64 => 0x0E,
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            IdxType::U8 | IdxType::I8 => 1,
            IdxType::I16 => 2,
            IdxType::I32 | IdxType::F32 => 4,
            IdxType::F64 => 8,
        }
    }

    /// The type's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            IdxType::U8 => "u8",
            IdxType::I8 => "i8",
            IdxType::I16 => "i16",
            IdxType::I32 => "i32",
            IdxType::F32 => "f32",
            IdxType::F64 => "f64",
        }
    }
}

/// The elements of an IDX array, in their stored type.
#[derive(Debug, Clone, PartialEq)]
pub enum IdxData {
    /// `u8` elements.
    U8(Vec<u8>),
    /// `i8` elements.
    I8(Vec<i8>),
    /// `i16` elements.
    I16(Vec<i16>),
    /// `i32` elements.
    I32(Vec<i32>),
    /// `f32` elements.
    F32(Vec<f32>),
    /// `f64` elements.
    F64(Vec<f64>),
}

/// An array read from (or to be written to) an IDX file.
///
/// ```
/// use nndata::{read_idx, write_idx, IdxArray, IdxData};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("labels-idx1-ubyte.gz");
/// let labels = IdxArray { dims: vec![3], data: IdxData::U8(vec![7, 2, 1]) };
/// write_idx(&path, &labels).unwrap();
/// assert_eq!(read_idx(&path).unwrap(), labels);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    /// The dimensions, outermost first.
    pub dims: Vec<usize>,
    /// The elements, row-major.
    pub data: IdxData,
}

impl IdxArray {
    /// The element type.
    pub fn element_type(&self) -> IdxType {
        match self.data {
            IdxData::U8(_) => IdxType::U8,
            IdxData::I8(_) => IdxType::I8,
            IdxData::I16(_) => IdxType::I16,
            IdxData::I32(_) => IdxType::I32,
            IdxData::F32(_) => IdxType::F32,
            IdxData::F64(_) => IdxType::F64,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.data {
            IdxData::U8(v) => v.len(),
            IdxData::I8(v) => v.len(),
            IdxData::I16(v) => v.len(),
            IdxData::I32(v) => v.len(),
            IdxData::F32(v) => v.len(),
            IdxData::F64(v) => v.len(),
        }
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements as `f32`, each multiplied by `scale` (e.g. `1/255` for pixels).
    pub fn to_f32(&self, scale: f32) -> Vec<f32> {
        match &self.data {
            IdxData::U8(v) => v.iter().map(|&x| x as f32 * scale).collect(),
            IdxData::I8(v) => v.iter().map(|&x| x as f32 * scale).collect(),
            IdxData::I16(v) => v.iter().map(|&x| x as f32 * scale).collect(),
            IdxData::I32(v) => v.iter().map(|&x| x as f32 * scale).collect(),
            IdxData::F32(v) => v.iter().map(|&x| x * scale).collect(),
            IdxData::F64(v) => v.iter().map(|&x| (x * scale as f64) as f32).collect(),
        }
    }
}

/// Decodes an IDX array held in memory, raw or gzip-compressed (recognised by its content);
/// errors name the source as `<memory>`. The same checks as [`read_idx`] apply.
///
/// ```
/// use nndata::{decode_idx, encode_idx, IdxArray, IdxData};
/// let array = IdxArray { dims: vec![2], data: IdxData::I16(vec![-3, 7]) };
/// assert_eq!(decode_idx(&encode_idx(&array)).unwrap(), array);
/// assert!(decode_idx(b"not idx").is_err());
/// ```
pub fn decode_idx(bytes: &[u8]) -> Result<IdxArray, DataError> {
    let path = Path::new("<memory>");
    if bytes.is_empty() {
        return Err(DataError::Empty { path: path.into() });
    }
    let len = bytes.len() as u64;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        read_stream(path, MultiGzDecoder::new(bytes), None, Some(len))
    } else {
        read_stream(path, bytes, Some(len), None)
    }
}

/// Reads an IDX file, raw or gzip-compressed (recognised by its content, not its name).
pub fn read_idx(path: impl AsRef<Path>) -> Result<IdxArray, DataError> {
    let path = path.as_ref();
    let io = |source| DataError::Io {
        path: path.into(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    if file_len == 0 {
        return Err(DataError::Empty { path: path.into() });
    }
    let mut start = [0u8; 2];
    let got = read_up_to(&mut file, &mut start).map_err(io)?;
    let is_gzip = got == 2 && start == [0x1f, 0x8b];
    let named_gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    if named_gz && !is_gzip {
        return Err(DataError::NotGzip {
            path: path.into(),
            found: start[..got].to_vec(),
        });
    }
    let prefix = std::io::Cursor::new(start[..got].to_vec());
    if is_gzip {
        let stream = MultiGzDecoder::new(BufReader::new(prefix.chain(file)));
        read_stream(path, stream, None, Some(file_len))
    } else {
        read_stream(
            path,
            BufReader::new(prefix.chain(file)),
            Some(file_len),
            None,
        )
    }
}

/// Reads as many bytes as are available into `buf`, up to its length.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Parses an IDX stream. `raw_len` is the file's size when the stream is uncompressed.
fn read_stream(
    path: &Path,
    mut reader: impl Read,
    raw_len: Option<u64>,
    gzip_len: Option<u64>,
) -> Result<IdxArray, DataError> {
    let gzip = gzip_len.is_some();
    let read_err = |source: std::io::Error| {
        if gzip
            && source.kind() != std::io::ErrorKind::NotFound
            && source.kind() != std::io::ErrorKind::PermissionDenied
        {
            DataError::Gzip {
                path: path.into(),
                source,
            }
        } else {
            DataError::Io {
                path: path.into(),
                source,
            }
        }
    };
    let mut header = [0u8; 4];
    let got = read_up_to(&mut reader, &mut header).map_err(read_err)?;
    if got >= 2 && header[..2] != [0, 0] {
        return Err(DataError::BadMagic {
            path: path.into(),
            found: [header[0], header[1]],
        });
    }
    if got < 4 {
        return Err(DataError::Truncated {
            path: path.into(),
            expected: 4,
            actual: got as u64,
            dims: vec![],
            type_name: "header",
        });
    }
    let element = IdxType::from_code(header[2]).ok_or(DataError::UnknownType {
        path: path.into(),
        code: header[2],
    })?;
    let ndims = header[3] as usize;
    let mut dim_bytes = vec![0u8; 4 * ndims];
    let got = read_up_to(&mut reader, &mut dim_bytes).map_err(read_err)?;
    if got < dim_bytes.len() {
        return Err(DataError::Truncated {
            path: path.into(),
            expected: dim_bytes.len() as u64,
            actual: got as u64,
            dims: vec![],
            type_name: "dimension header",
        });
    }
    let dims: Vec<u32> = dim_bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if dims.is_empty() || dims.contains(&0) {
        return Err(DataError::BadDimensions {
            path: path.into(),
            dims,
        });
    }
    // Up to 255 dimensions of up to 2^32 each: the product can overflow any integer, so check it.
    let expected = dims
        .iter()
        .try_fold(element.size() as u128, |acc, &d| acc.checked_mul(d as u128))
        .ok_or_else(|| DataError::OversizedHeader {
            path: path.into(),
            dims: dims.clone(),
        })?;
    let header_len = 4 + 4 * ndims as u64;
    let truncated = |actual: u64| DataError::Truncated {
        path: path.into(),
        expected: expected.min(u64::MAX as u128) as u64,
        actual,
        dims: dims.clone(),
        type_name: element.name(),
    };
    if let Some(len) = raw_len {
        let actual = len - header_len;
        if (actual as u128) < expected {
            return Err(truncated(actual));
        }
        if actual as u128 > expected {
            return Err(DataError::TrailingBytes {
                path: path.into(),
                expected: expected as u64,
                extra: actual - expected as u64,
            });
        }
    }
    // Deflate expands at most 1032:1, so a gzip file cannot hold more than that.
    if let Some(compressed) = gzip_len {
        let limit = (compressed as u128) * 1032 + 1024;
        if expected > limit {
            return Err(DataError::ImpossibleSize {
                path: path.into(),
                expected: expected.min(u64::MAX as u128) as u64,
                compressed,
            });
        }
    }
    let expected = u64::try_from(expected).map_err(|_| truncated(0))?;
    let expected_len = usize::try_from(expected).map_err(|_| truncated(0))?;
    // Read at most one byte more than the header describes; the buffer grows with the data actually present.
    let mut bytes = Vec::with_capacity(
        raw_len
            .map_or(1 << 20, |_| expected_len)
            .min(expected_len.saturating_add(1)),
    );
    reader
        .by_ref()
        .take(expected.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if (bytes.len() as u64) < expected {
        return Err(truncated(bytes.len() as u64));
    }
    if bytes.len() as u64 > expected {
        let mut rest = Vec::new();
        reader
            .take(1 << 20)
            .read_to_end(&mut rest)
            .map_err(read_err)?;
        return Err(DataError::TrailingBytes {
            path: path.into(),
            expected,
            extra: 1 + rest.len() as u64,
        });
    }
    let dims: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
    Ok(IdxArray {
        dims,
        data: decode(element, bytes),
    })
}

fn decode(element: IdxType, bytes: Vec<u8>) -> IdxData {
    match element {
        IdxType::U8 => IdxData::U8(bytes),
        IdxType::I8 => IdxData::I8(bytes.into_iter().map(|b| b as i8).collect()),
        IdxType::I16 => IdxData::I16(
            bytes
                .chunks_exact(2)
                .map(|c| i16::from_be_bytes([c[0], c[1]]))
                .collect(),
        ),
        IdxType::I32 => IdxData::I32(
            bytes
                .chunks_exact(4)
                .map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        IdxType::F32 => IdxData::F32(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        IdxType::F64 => IdxData::F64(
            bytes
                .chunks_exact(8)
                .map(|c| f64::from_be_bytes(c.try_into().expect("8 bytes")))
                .collect(),
        ),
    }
}

/// Encodes an array as IDX bytes (uncompressed). Panics if the array cannot be an IDX file:
/// no dimensions, a zero dimension, more than 255 dimensions, one over `u32::MAX`, or
/// dimensions that do not match the element count.
#[track_caller]
pub fn encode_idx(array: &IdxArray) -> Vec<u8> {
    let dims = &array.dims;
    assert!(
        !dims.is_empty()
            && dims.len() <= 255
            && dims.iter().all(|&d| d > 0 && d <= u32::MAX as usize)
            && dims.iter().product::<usize>() == array.len(),
        "encode_idx: dimensions {dims:?} cannot describe {} elements in an IDX file (1 to 255 dimensions, each 1..=u32::MAX)",
        array.len()
    );
    let mut out = vec![0, 0, array.element_type().code(), dims.len() as u8];
    for &d in dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    match &array.data {
        IdxData::U8(v) => out.extend_from_slice(v),
        IdxData::I8(v) => out.extend(v.iter().map(|&x| x as u8)),
        IdxData::I16(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
        IdxData::I32(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
        IdxData::F32(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
        IdxData::F64(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
    }
    out
}

/// Writes an IDX file, gzip-compressed if the name ends in `.gz`, atomically: to a temporary
/// file unique to the call, synced, then renamed over `path`. Panics if the array cannot be an
/// IDX file (see [`encode_idx`]).
#[track_caller]
pub fn write_idx(path: impl AsRef<Path>, array: &IdxArray) -> Result<(), DataError> {
    let path = path.as_ref();
    let raw = encode_idx(array);
    let io = |source| DataError::Io {
        path: path.into(),
        source,
    };
    let bytes = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
    {
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&raw).map_err(io)?;
        gz.finish().map_err(io)?
    } else {
        raw
    };
    write_atomically(path, &bytes)
}

/// Writes `bytes` to `path` atomically ([`nntensor::file::write_atomically`]), naming `path`
/// in the error.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    nntensor::file::write_atomically(path, bytes).map_err(|source| DataError::Io {
        path: path.into(),
        source,
    })
}
