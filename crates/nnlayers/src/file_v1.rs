//! Model files, format version 1 (nnfacade 0.1's own container), read so that no saved model
//! is lost; this build writes version 2 (safetensors, [`crate::file_v2`]).
//!
//! Layout (all integers little-endian):
//!
//! | bytes | what |
//! | --- | --- |
//! | 8 | magic `NNFACADE` |
//! | 4 | format version (1) |
//! | 4 | kind: 1 = model, 2 = checkpoint |
//! | 8 | header length `H` |
//! | `H` | header: layer specs, tensor names and shapes, state sections (serde + bincode 2) |
//! | … | every tensor's values as `f32`, in header order |
//! | 4 | CRC-32 of everything after the magic |
//!
//! Reading checks each part before trusting the next: the sizes of all tensors are computed from
//! the header and compared with the bytes actually present before any tensor is built, so a
//! damaged or hostile file cannot make us allocate more than its own size.

use crate::file::{Parsed, KIND_CHECKPOINT, KIND_MODEL};
use crate::{LayerSpec, ModelFileError};
use crc32fast::hash as crc32;
use nnautograd::nntensor::Tensor;
use nnautograd::StateDict;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The version this module reads.
const VERSION: u32 = 1;

/// The first bytes of every version-1 file.
pub(crate) const MAGIC: &[u8; 8] = b"NNFACADE";
const PREFIX_LEN: usize = 8 + 4 + 4 + 8;
/// Headers hold names and shapes only; anything larger is damage, not a model.
const MAX_HEADER_BYTES: usize = 16 << 20;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    layers: Vec<LayerSpec>,
    tensors: Vec<TensorEntry>,
    sections: Vec<Section>,
}

#[derive(Debug, Serialize, Deserialize)]
struct TensorEntry {
    name: String,
    shape: Vec<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Section {
    name: String,
    integers: Vec<(String, u64)>,
    floats: Vec<(String, f64)>,
}

fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard()
        .with_little_endian()
        .with_fixed_int_encoding()
        .with_limit::<MAX_HEADER_BYTES>()
}

/// Decodes a version-1 file (it starts with [`MAGIC`]); `path` only names it in errors.
pub(crate) fn decode(bytes: &[u8], path: &Path) -> Result<Parsed, ModelFileError> {
    let corrupt = |detail: String| ModelFileError::Corrupt {
        path: path.into(),
        detail,
    };
    let truncated = |detail: String| ModelFileError::Truncated {
        path: path.into(),
        detail,
    };

    if !bytes.starts_with(MAGIC) {
        return Err(ModelFileError::NotAModelFile { path: path.into() });
    }
    if bytes.len() < PREFIX_LEN + 4 {
        return Err(truncated(format!(
            "{} bytes is shorter than the {}-byte file prefix",
            bytes.len(),
            PREFIX_LEN + 4
        )));
    }
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let version = u32_at(8);
    if version > crate::file::FORMAT_VERSION {
        return Err(ModelFileError::UnsupportedVersion {
            path: path.into(),
            found: version,
            supported: crate::file::FORMAT_VERSION,
        });
    }
    if version != VERSION {
        return Err(corrupt(format!(
            "format version {version} is not written in this container (only {VERSION} is)"
        )));
    }
    let kind = u32_at(12);
    if kind != KIND_MODEL && kind != KIND_CHECKPOINT {
        return Err(corrupt(format!("unknown file kind {kind}")));
    }
    let header_len = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    let available = (bytes.len() - PREFIX_LEN - 4) as u64;
    if header_len > available {
        return Err(truncated(format!(
            "the header claims {header_len} bytes but only {available} follow"
        )));
    }
    let header_len = header_len as usize;
    if header_len > MAX_HEADER_BYTES {
        return Err(corrupt(format!(
            "a header of {header_len} bytes is larger than any model's"
        )));
    }
    let body_end = bytes.len() - 4;
    let checksum_ok = crc32(&bytes[MAGIC.len()..body_end]) == u32_at(body_end);
    let header_bytes = &bytes[PREFIX_LEN..PREFIX_LEN + header_len];
    let header: Header = match bincode::serde::decode_from_slice(header_bytes, bincode_config()) {
        Ok((header, used)) if used == header_len => header,
        Ok(_) => {
            return Err(corrupt(
                "the header is shorter than its stated length".into(),
            ))
        }
        Err(e) if checksum_ok => return Err(corrupt(format!("the header cannot be decoded: {e}"))),
        Err(_) => {
            return Err(corrupt(
                "checksum mismatch: the file was modified or damaged".into(),
            ))
        }
    };

    // Every tensor's size, checked against the bytes present before anything is allocated.
    let mut shapes = Vec::with_capacity(header.tensors.len());
    let mut data_bytes: u64 = 0;
    for entry in &header.tensors {
        let mut count: u64 = 1;
        let mut shape = Vec::with_capacity(entry.shape.len());
        for &d in &entry.shape {
            count = count.checked_mul(d).ok_or_else(|| {
                corrupt(format!(
                    "tensor `{}` has an impossible shape {:?}",
                    entry.name, entry.shape
                ))
            })?;
            shape.push(usize::try_from(d).map_err(|_| {
                corrupt(format!(
                    "tensor `{}` is too large for this machine",
                    entry.name
                ))
            })?);
        }
        data_bytes = count
            .checked_mul(4)
            .and_then(|b| data_bytes.checked_add(b))
            .ok_or_else(|| corrupt("tensor sizes overflow".into()))?;
        shapes.push(shape);
    }
    let present = (body_end - PREFIX_LEN - header_len) as u64;
    if present < data_bytes {
        return Err(truncated(format!(
            "the header describes {data_bytes} bytes of tensor data but only {present} are present"
        )));
    }
    if present > data_bytes {
        return Err(corrupt(format!(
            "{} unexpected bytes after the tensor data",
            present - data_bytes
        )));
    }
    if !checksum_ok {
        return Err(corrupt(
            "checksum mismatch: the file was modified or damaged".into(),
        ));
    }

    for (i, entry) in header.tensors.iter().enumerate() {
        if header.tensors[..i].iter().any(|e| e.name == entry.name) {
            return Err(corrupt(format!("tensor `{}` appears twice", entry.name)));
        }
    }
    let mut tensors = Vec::with_capacity(header.tensors.len());
    let mut offset = PREFIX_LEN + header_len;
    for (entry, shape) in header.tensors.iter().zip(shapes) {
        let n: usize = shape.iter().product();
        let values: Vec<f32> = bytes[offset..offset + 4 * n]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        offset += 4 * n;
        let tensor = Tensor::from_vec(shape, values)
            .map_err(|e| corrupt(format!("tensor `{}`: {e}", entry.name)))?;
        tensors.push((entry.name.clone(), tensor));
    }

    let mut model: Vec<(String, Tensor)> = Vec::new();
    let mut states: Vec<(String, StateDict)> = header
        .sections
        .into_iter()
        .map(|s| {
            (
                s.name,
                StateDict {
                    integers: s.integers,
                    floats: s.floats,
                    tensors: Vec::new(),
                },
            )
        })
        .collect();
    for (name, tensor) in tensors {
        if let Some(param) = name.strip_prefix("model/") {
            model.push((param.to_string(), tensor));
            continue;
        }
        let (section, tensor_name) = name
            .split_once('/')
            .ok_or_else(|| corrupt(format!("tensor `{name}` belongs to no section")))?;
        let state = states
            .iter_mut()
            .find(|(s, _)| s == section)
            .ok_or_else(|| corrupt(format!("tensor `{name}` belongs to no section")))?;
        state.1.tensors.push((tensor_name.to_string(), tensor));
    }
    Ok(Parsed {
        kind,
        layers: header.layers,
        model,
        states,
    })
}
