//! NumPy's files: `.npy` (`numpy.save`) and `.npz` (`numpy.savez`, `numpy.savez_compressed`)
//! read into f32 tensors and datasets, and f32 tensors written for NumPy, on the `ndarray-npy`
//! crate.
//!
//! Every float and integer dtype NumPy writes is read: float16/32/64, int8–int64, uint8–uint64
//! (and bool as 0/1), in either byte order and in C or Fortran order. Values become f32: an
//! integer that f32 cannot hold exactly, or a float64 beyond f32's range, is an error naming the
//! file, the array and the element, never a silently rounded label. A `.npy` header is checked
//! against the file's size before anything the size of the data is allocated; a `.npz` member is
//! read in full first, at most its declared size, which may not exceed what deflate can make of
//! its compressed bytes.
//!
//! ```
//! use nndata::numpy::{read_npy, write_npy};
//! use nntensor::Tensor;
//!
//! let dir = std::env::temp_dir().join(format!("nndata-npy-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("x.npy");
//! let x = Tensor::from_vec([2, 3], vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.5]).unwrap();
//! write_npy(&path, &x).unwrap(); // numpy.load(path) reads the same array
//! assert_eq!(read_npy(&path).unwrap(), x);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use crate::idx::write_atomically;
use crate::{DataError, Dataset};
use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use ndarray_npy::npy::header::Header;
use ndarray_npy::{NpzWriter, ReadNpyExt, ReadableElement, WriteNpyExt};
use nntensor::Tensor;
use std::fmt::Display;
use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::Path;

/// The longest header accepted. NumPy itself refuses more than 10,000 bytes by default.
const MAX_HEADER: usize = 65_536;

/// How many times its compressed size a `.npz` member may claim to hold (deflate's limit is
/// about 1,032).
const MAX_DEFLATE_RATIO: u64 = 1_100;

/// The array of a `.npy` file, as f32 in its shape.
pub fn read_npy(path: impl AsRef<Path>) -> Result<Tensor, DataError> {
    let path = path.as_ref();
    let file = File::open(path).map_err(io_error(path))?;
    let len = file.metadata().map_err(io_error(path))?.len();
    let place = Place { path, array: None };
    decode(BufReader::new(file), len, &place)
}

/// Every array of a `.npz` file (names without `.npy`), in the archive's order.
pub fn read_npz(path: impl AsRef<Path>) -> Result<Vec<(String, Tensor)>, DataError> {
    let path = path.as_ref();
    let mut archive = open_npz(path)?;
    let mut arrays = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let member = archive
            .by_index(index)
            .map_err(|e| npz_error(path, &e.to_string()))?;
        let name = array_name(member.name()).to_string();
        let tensor = read_member(member, path, &name)?;
        arrays.push((name, tensor));
    }
    Ok(arrays)
}

/// The array `name` (without `.npy`) of a `.npz` file.
pub fn read_npz_array(path: impl AsRef<Path>, name: &str) -> Result<Tensor, DataError> {
    let path = path.as_ref();
    let mut archive = open_npz(path)?;
    let names: Vec<String> = archive.file_names().map(str::to_string).collect();
    let Some(member) = names.iter().find(|n| array_name(n) == name) else {
        let known: Vec<&str> = names.iter().map(|n| array_name(n)).collect();
        return Err(DataError::Numpy {
            path: path.into(),
            detail: format!("no array `{name}` in the archive; it holds {known:?}"),
        });
    };
    let member = archive
        .by_name(member)
        .map_err(|e| npz_error(path, &e.to_string()))?;
    read_member(member, path, name)
}

/// A dataset from two `.npy` files: inputs `x` (one sample per row of the first axis) and
/// targets `y` (class indices, one-hot rows or regression values).
pub fn dataset_from_npy(
    x_path: impl AsRef<Path>,
    y_path: impl AsRef<Path>,
) -> Result<Dataset, DataError> {
    Dataset::new(read_npy(x_path)?, read_npy(y_path)?)
}

/// A dataset from two arrays of one `.npz` file, for example Keras's `mnist.npz` with
/// `("x_train", "y_train")`.
pub fn dataset_from_npz(
    path: impl AsRef<Path>,
    x_name: &str,
    y_name: &str,
) -> Result<Dataset, DataError> {
    let path = path.as_ref();
    Dataset::new(read_npz_array(path, x_name)?, read_npz_array(path, y_name)?)
}

/// Writes `tensor` as a `.npy` file of float32 (`<f4`, C order), atomically.
pub fn write_npy(path: impl AsRef<Path>, tensor: &Tensor) -> Result<(), DataError> {
    let path = path.as_ref();
    let mut bytes = Vec::new();
    to_array(tensor)
        .write_npy(&mut bytes)
        .map_err(|e| npz_error(path, &e.to_string()))?;
    write_atomically(path, &bytes)
}

/// Writes named tensors as a `.npz` file of float32 arrays, deflate-compressed if `compressed`
/// (as `numpy.savez_compressed`), atomically.
pub fn write_npz(
    path: impl AsRef<Path>,
    arrays: &[(&str, &Tensor)],
    compressed: bool,
) -> Result<(), DataError> {
    let path = path.as_ref();
    let cursor = Cursor::new(Vec::new());
    let mut npz = if compressed {
        NpzWriter::new_compressed(cursor)
    } else {
        NpzWriter::new(cursor)
    };
    for (name, tensor) in arrays {
        npz.add_array(*name, &to_array(tensor))
            .map_err(|e| npz_error(path, &e.to_string()))?;
    }
    let bytes = npz
        .finish()
        .map_err(|e| npz_error(path, &e.to_string()))?
        .into_inner();
    write_atomically(path, &bytes)
}

/// Where an array comes from, for error messages.
struct Place<'a> {
    path: &'a Path,
    array: Option<&'a str>,
}

impl Place<'_> {
    /// An error about this array.
    fn error(&self, detail: String) -> DataError {
        let detail = match self.array {
            Some(name) => format!("array `{name}`: {detail}"),
            None => detail,
        };
        DataError::Numpy {
            path: self.path.into(),
            detail,
        }
    }
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> DataError + '_ {
    move |source| DataError::Io {
        path: path.into(),
        source,
    }
}

fn npz_error(path: &Path, detail: &str) -> DataError {
    DataError::Numpy {
        path: path.into(),
        detail: detail.to_string(),
    }
}

/// `x_train.npy` → `x_train`.
fn array_name(member: &str) -> &str {
    member.strip_suffix(".npy").unwrap_or(member)
}

fn open_npz(path: &Path) -> Result<zip::ZipArchive<BufReader<File>>, DataError> {
    let file = File::open(path).map_err(io_error(path))?;
    zip::ZipArchive::new(BufReader::new(file)).map_err(|e| DataError::Numpy {
        path: path.into(),
        detail: format!("not a readable .npz (zip) archive: {e}"),
    })
}

/// One `.npz` member: its bytes read in full (at most what the archive declares, and no more
/// than deflate could expand its compressed bytes to), then decoded.
fn read_member<R: Read>(
    member: zip::read::ZipFile<'_, R>,
    path: &Path,
    name: &str,
) -> Result<Tensor, DataError> {
    let place = Place {
        path,
        array: Some(name),
    };
    let declared = member.size();
    let limit = member
        .compressed_size()
        .saturating_mul(MAX_DEFLATE_RATIO)
        .max(MAX_HEADER as u64);
    if declared > limit {
        return Err(place.error(format!(
            "the archive claims {declared} bytes from {} compressed bytes, more than deflate can hold; the file is damaged",
            member.compressed_size()
        )));
    }
    let mut bytes = Vec::new();
    member
        .take(declared.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| place.error(format!("cannot decompress it: {e}")))?;
    if bytes.len() as u64 != declared {
        return Err(place.error(format!(
            "the archive declares {declared} bytes but the member holds {}; the file is damaged",
            bytes.len()
        )));
    }
    let len = bytes.len() as u64;
    decode(Cursor::new(bytes), len, &place)
}

/// Reads one `.npy` stream of `total` bytes.
fn decode<R: Read>(mut reader: R, total: u64, place: &Place<'_>) -> Result<Tensor, DataError> {
    // A read cut short is a truncated file; any other failure is the system's error.
    let truncated = |what: &'static str| {
        move |e: std::io::Error| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => {
                place.error(format!("truncated: the file ends inside {what}"))
            }
            _ => DataError::Io {
                path: place.path.into(),
                source: e,
            },
        }
    };
    // The fixed prefix: magic string, version, header length.
    let mut prefix = vec![0u8; 8];
    reader
        .read_exact(&mut prefix)
        .map_err(truncated("the .npy prefix"))?;
    if &prefix[..6] != b"\x93NUMPY" {
        return Err(place.error(format!(
            "not a .npy array: it starts with {:02x?}, .npy files start with \\x93NUMPY (save it with numpy.save)",
            &prefix[..6]
        )));
    }
    let len_bytes = match prefix[6] {
        1 => 2,
        2 | 3 => 4,
        major => {
            return Err(place.error(format!(
                ".npy format version {major}.{} is not one of 1.0, 2.0, 3.0",
                prefix[7]
            )))
        }
    };
    let mut len_field = vec![0u8; len_bytes];
    reader
        .read_exact(&mut len_field)
        .map_err(truncated("the .npy prefix"))?;
    let header_len = len_field
        .iter()
        .rev()
        .fold(0usize, |acc, &b| (acc << 8) | b as usize);
    let prefix_len = 8 + len_bytes;
    if header_len > MAX_HEADER {
        return Err(place.error(format!(
            "the header claims {header_len} bytes, more than the {MAX_HEADER} accepted; the file is damaged"
        )));
    }
    if (prefix_len + header_len) as u64 > total {
        return Err(place.error("truncated: the file ends inside the header".into()));
    }
    let mut header_bytes = vec![0u8; header_len];
    reader
        .read_exact(&mut header_bytes)
        .map_err(truncated("the header"))?;
    check_nesting(&header_bytes, place)?;
    prefix.extend_from_slice(&len_field);
    prefix.extend_from_slice(&header_bytes);
    let header = Header::from_reader(&mut Cursor::new(&prefix))
        .map_err(|e| place.error(format!("its header cannot be read: {e}")))?;
    // A plain dtype is a Python string literal, `'<f4'`; a structured one is a list.
    let literal = header.type_descriptor.to_string();
    let Some(descr) = ['\'', '"']
        .iter()
        .find_map(|&q| literal.strip_prefix(q)?.strip_suffix(q))
        .map(str::to_string)
    else {
        return Err(place.error(format!(
            "a structured dtype ({literal}) cannot become one f32 array; save each field as its own array"
        )));
    };
    let dtype = Dtype::parse(&descr)
        .filter(Dtype::becomes_f32)
        .ok_or_else(|| unsupported(&descr, place))?;
    let elements = header
        .shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .ok_or_else(|| place.error(format!("its shape {:?} overflows", header.shape)))?;
    let expected = elements
        .checked_mul(dtype.size as u64)
        .ok_or_else(|| place.error(format!("its shape {:?} overflows", header.shape)))?;
    // ndarray's own limit (it counts the non-zero axes), so (0, 2⁶³) is refused, not a panic.
    let nonzero = header
        .shape
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(dtype.size as u64, |acc, &d| acc.checked_mul(d as u64))
        .filter(|&bytes| bytes <= isize::MAX as u64);
    if nonzero.is_none() {
        return Err(place.error(format!(
            "its shape {:?} is larger than any array can be; the file is damaged",
            header.shape
        )));
    }
    let present = total - prefix.len() as u64;
    if expected != present {
        let how = if expected > present {
            "truncated"
        } else {
            "too long"
        };
        return Err(place.error(format!(
            "{how}: the header describes {expected} bytes of data (shape {:?}, dtype {descr}) but {present} follow it",
            header.shape
        )));
    }
    // The sizes agree: read the values through ndarray-npy, from the start of the stream.
    let stream = Cursor::new(prefix).chain(reader);
    let values = match (dtype.kind, dtype.size) {
        (b'f', 2) => read_f16(stream, expected as usize, &dtype, place)?,
        (b'f', 4) => read_as::<f32>(stream, place, Some)?,
        (b'f', 8) => read_as::<f64>(stream, place, |v| {
            let f = v as f32;
            (f.is_finite() || !v.is_finite()).then_some(f)
        })?,
        (b'i', 1) => read_as::<i8>(stream, place, |v| Some(v as f32))?,
        (b'i', 2) => read_as::<i16>(stream, place, |v| Some(v as f32))?,
        (b'i', 4) => read_as::<i32>(stream, place, |v| exact(v as i128))?,
        (b'i', 8) => read_as::<i64>(stream, place, |v| exact(v as i128))?,
        (b'u', 1) => read_as::<u8>(stream, place, |v| Some(v as f32))?,
        (b'u', 2) => read_as::<u16>(stream, place, |v| Some(v as f32))?,
        (b'u', 4) => read_as::<u32>(stream, place, |v| exact(v as i128))?,
        (b'u', 8) => read_as::<u64>(stream, place, |v| exact(v as i128))?,
        (b'b', 1) => read_as::<bool>(stream, place, |v| Some(if v { 1.0 } else { 0.0 }))?,
        _ => return Err(unsupported(&descr, place)),
    };
    Tensor::from_vec(header.shape.clone(), values)
        .map_err(|e| place.error(format!("shape {:?}: {e}", header.shape)))
}

/// `v` as f32 if f32 holds it exactly.
fn exact(v: i128) -> Option<f32> {
    let f = v as f32;
    (f as i128 == v).then_some(f)
}

/// Refuses headers nested deeper than any array header is (a guard for the literal parser).
fn check_nesting(header: &[u8], place: &Place<'_>) -> Result<(), DataError> {
    let mut depth = 0usize;
    for &b in header {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > 8 {
            return Err(place.error(
                "its header is nested deeper than an array's header can be; the file is damaged"
                    .into(),
            ));
        }
    }
    Ok(())
}

fn unsupported(descr: &str, place: &Place<'_>) -> DataError {
    place.error(format!(
        "dtype `{descr}` cannot become f32 (float16/32/64, int8-64, uint8-64 and bool can); convert it in NumPy first, e.g. `a.astype(numpy.float32)`"
    ))
}

/// A NumPy type descriptor such as `<f4`: byte order, kind and size in bytes.
struct Dtype {
    big_endian: bool,
    kind: u8,
    size: usize,
}

impl Dtype {
    fn parse(descr: &str) -> Option<Dtype> {
        let bytes = descr.as_bytes();
        let (&order, rest) = bytes.split_first()?;
        let (&kind, digits) = rest.split_first()?;
        if !matches!(order, b'<' | b'>' | b'|' | b'=') {
            return None;
        }
        // Exactly the digits NumPy writes: `<f4`, not `<f+4` or `<f04`.
        if digits.is_empty() || digits[0] == b'0' || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let size: usize = std::str::from_utf8(digits).ok()?.parse().ok()?;
        Some(Dtype {
            big_endian: order == b'>',
            kind,
            size,
        })
    }

    /// Whether its values can become f32 (floats, integers, bool; not complex, text or objects).
    fn becomes_f32(&self) -> bool {
        matches!(
            (self.kind, self.size),
            (b'f', 2 | 4 | 8) | (b'i' | b'u', 1 | 2 | 4 | 8) | (b'b', 1)
        )
    }
}

/// The values of an array of element type `T`, each converted by `to_f32` (`None`: it does not
/// fit, an error naming the element).
fn read_as<T: ReadableElement + Display + Copy>(
    stream: impl Read,
    place: &Place<'_>,
    to_f32: impl Fn(T) -> Option<f32>,
) -> Result<Vec<f32>, DataError> {
    let array = ArrayD::<T>::read_npy(stream)
        .map_err(|e| place.error(format!("its data cannot be read: {e}")))?;
    // `iter` walks the logical (C) order, also for Fortran-ordered files.
    array
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            to_f32(v).ok_or_else(|| {
                place.error(format!(
                    "element {i} ({v}) cannot be held exactly by f32; convert the array in NumPy first if rounding is meant"
                ))
            })
        })
        .collect()
}

/// The values of a float16 array (which `ndarray-npy` does not read): converted exactly.
fn read_f16(
    mut stream: impl Read,
    bytes: usize,
    dtype: &Dtype,
    place: &Place<'_>,
) -> Result<Vec<f32>, DataError> {
    let header = Header::from_reader(&mut stream)
        .map_err(|e| place.error(format!("its header cannot be read: {e}")))?;
    let mut raw = vec![0u8; bytes];
    stream
        .read_exact(&mut raw)
        .map_err(|e| place.error(format!("its data cannot be read: {e}")))?;
    let values: Vec<f32> = raw
        .chunks_exact(2)
        .map(|c| {
            let bits = if dtype.big_endian {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_le_bytes([c[0], c[1]])
            };
            f16_to_f32(bits)
        })
        .collect();
    if !header.layout.is_fortran() {
        return Ok(values);
    }
    // Fortran order: element (i, j, …) is stored with the first axis fastest.
    let fortran = ArrayD::from_shape_vec(IxDyn(&header.shape).f(), values)
        .map_err(|e| place.error(format!("shape {:?}: {e}", header.shape)))?;
    Ok(fortran.iter().copied().collect())
}

/// IEEE half precision to single, exactly.
fn f16_to_f32(bits: u16) -> f32 {
    let sign = ((bits >> 15) as u32) << 31;
    let exponent = ((bits >> 10) & 0x1f) as u32;
    let mantissa = (bits & 0x3ff) as u32;
    let magnitude = match exponent {
        // Zero and subnormals: ±mantissa × 2⁻²⁴ (−0 stays −0).
        0 => return sign_of(bits) * (mantissa as f32 * 2f32.powi(-24)),
        // Infinity and NaN.
        0x1f => 0x7f80_0000 | (mantissa << 13),
        _ => ((exponent + 127 - 15) << 23) | (mantissa << 13),
    };
    f32::from_bits(sign | magnitude)
}

fn sign_of(bits: u16) -> f32 {
    if bits & 0x8000 != 0 {
        -1.0
    } else {
        1.0
    }
}

/// `tensor` as an ndarray array in its shape.
fn to_array(tensor: &Tensor) -> ArrayD<f32> {
    ArrayD::from_shape_vec(IxDyn(tensor.shape()), tensor.to_vec())
        .expect("a tensor's values fill its shape")
}
