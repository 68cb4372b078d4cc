//! Model files, format version 2: a [safetensors](https://huggingface.co/docs/safetensors) file.
//!
//! Every tensor is an `F32` safetensors tensor: the model's parameters as `model/<parameter>`
//! (e.g. `model/linear_1.weight`, in nnfacade's layout), a saved state's tensors as
//! `<section>/<tensor>` (e.g. `optimizer/m.0`). The string metadata (`__metadata__`) holds:
//!
//! | key | value |
//! | --- | --- |
//! | `format` | `nnfacade` |
//! | `format_version` | `2` |
//! | `kind` | `model` or `checkpoint` |
//! | `layers` | the architecture: a JSON array of [`LayerSpec`]s |
//! | `states` | a JSON array of `{name, integers, floats, tensors}`, floats as their `f64` bits |
//! | `crc32` | CRC-32 of `kind`, `layers`, `states`, then every tensor's name and bytes, by name |
//!
//! The safetensors crate checks the container (header size, offsets that tile the data exactly,
//! shapes that match the bytes, with overflow checks) before anything is read, so no allocation
//! exceeds the file's own size. It does not check the values: a flipped bit in a weight would
//! pass, so the CRC stays.

use crate::file::Parsed;
use crate::{LayerSpec, ModelFileError};
use nnautograd::nntensor::Tensor;
use nnautograd::StateDict;
use safetensors::tensor::{Dtype, SafeTensorError, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// The version this module writes.
pub(crate) const VERSION: u32 = 2;

/// A state section in the metadata: its numbers, and its tensors' names in order.
#[derive(Debug, Serialize, Deserialize)]
struct StateEntry {
    name: String,
    integers: Vec<(String, u64)>,
    /// `f64::to_bits`, so every value (infinities and NaN included) comes back exactly.
    floats: Vec<(String, u64)>,
    tensors: Vec<String>,
}

/// The checksum of everything the container does not check itself.
fn checksum(kind: &str, layers: &str, states: &str, tensors: &mut [(String, &[u8])]) -> u32 {
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    let mut hasher = crc32fast::Hasher::new();
    for part in [kind, layers, states] {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    for (name, data) in tensors.iter() {
        hasher.update(&(name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update(data);
    }
    hasher.finalize()
}

fn le_bytes(t: &Tensor) -> Vec<u8> {
    t.values().iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Encodes a model (and, for a checkpoint, its states) as a version-2 file.
pub(crate) fn encode(
    kind: &str,
    layers: &[LayerSpec],
    model: &[(String, &Tensor)],
    states: &[(&str, &StateDict)],
) -> Result<Vec<u8>, String> {
    let mut named: Vec<(String, &Tensor)> = model
        .iter()
        .map(|(n, t)| (format!("model/{n}"), *t))
        .collect();
    let mut entries = Vec::with_capacity(states.len());
    for (section, state) in states {
        named.extend(
            state
                .tensors
                .iter()
                .map(|(n, t)| (format!("{section}/{n}"), t)),
        );
        entries.push(StateEntry {
            name: section.to_string(),
            integers: state.integers.clone(),
            floats: state
                .floats
                .iter()
                .map(|(n, v)| (n.clone(), v.to_bits()))
                .collect(),
            tensors: state.tensors.iter().map(|(n, _)| n.clone()).collect(),
        });
    }
    let mut names: Vec<&str> = named.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!(
            "two tensors would be named `{}`: give the layers distinct names",
            pair[0]
        ));
    }
    let layers_json = serde_json::to_string(layers).map_err(|e| e.to_string())?;
    let states_json = serde_json::to_string(&entries).map_err(|e| e.to_string())?;
    let data: Vec<(String, Vec<u8>, Vec<usize>)> = named
        .iter()
        .map(|(n, t)| (n.clone(), le_bytes(t), t.shape().to_vec()))
        .collect();
    let mut for_crc: Vec<(String, &[u8])> = data
        .iter()
        .map(|(n, b, _)| (n.clone(), b.as_slice()))
        .collect();
    let crc = checksum(kind, &layers_json, &states_json, &mut for_crc);
    let metadata = [
        ("crc32", crc.to_string()),
        ("format", "nnfacade".to_string()),
        ("format_version", VERSION.to_string()),
        ("kind", kind.to_string()),
        ("layers", layers_json),
        ("states", states_json),
    ];
    Ok(container(&metadata, data))
}

/// A safetensors file of `F32` tensors, written here rather than by `safetensors::serialize`
/// so the bytes are the same on every run: that function writes the metadata from a `HashMap`,
/// in an order that changes from process to process. Keys go in sorted order, tensors sorted by
/// name (as safetensors orders them), the header padded with spaces to a multiple of 8 bytes.
fn container(metadata: &[(&str, String)], mut data: Vec<(String, Vec<u8>, Vec<usize>)>) -> Vec<u8> {
    use serde_json::{json, Map, Value};
    data.sort_by(|a, b| a.0.cmp(&b.0));
    let mut meta: Vec<&(&str, String)> = metadata.iter().collect();
    meta.sort_by_key(|(k, _)| *k);
    let meta: Map<String, Value> = meta
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
        .collect();
    let mut header = Map::new();
    header.insert("__metadata__".into(), Value::Object(meta));
    let mut offset = 0usize;
    for (name, bytes, shape) in &data {
        let end = offset + bytes.len();
        header.insert(
            name.clone(),
            json!({ "dtype": "F32", "shape": shape, "data_offsets": [offset, end] }),
        );
        offset = end;
    }
    let mut text = serde_json::to_vec(&Value::Object(header)).expect("strings and numbers");
    text.resize(text.len().next_multiple_of(8), b' ');
    let mut out = Vec::with_capacity(8 + text.len() + offset);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(&text);
    for (_, bytes, _) in &data {
        out.extend_from_slice(bytes);
    }
    out
}

/// Whether `bytes` look like a safetensors file: an 8-byte header length, then a JSON object.
pub(crate) fn looks_like_safetensors(bytes: &[u8]) -> bool {
    bytes.len() > 8 && bytes[8] == b'{'
}

/// Reads the container, turning its errors into ours. The tensors' data must end exactly at the
/// end of the file, checked here first with checked arithmetic: the safetensors crate adds the
/// offsets unchecked, which overflows (a panic in debug builds) for offsets near 2^64.
pub(crate) fn open<'a>(bytes: &'a [u8], path: &Path) -> Result<SafeTensors<'a>, ModelFileError> {
    if let Some(end) = declared_data_end(bytes) {
        match end {
            None => {
                return Err(ModelFileError::Corrupt {
                    path: path.into(),
                    detail: "the tensors' offsets overflow".into(),
                })
            }
            Some(end) if end != bytes.len() as u64 => {
                return Err(container_error(
                    SafeTensorError::MetadataIncompleteBuffer,
                    bytes,
                    path,
                ))
            }
            Some(_) => {}
        }
    }
    SafeTensors::deserialize(bytes).map_err(|e| container_error(e, bytes, path))
}

/// The string metadata of a container [`open`] accepted.
pub(crate) fn metadata(bytes: &[u8]) -> Option<HashMap<String, String>> {
    SafeTensors::read_metadata(bytes)
        .ok()
        .and_then(|(_, m)| m.metadata().clone())
        .map(|m| m.into_iter().collect())
}

fn container_error(e: SafeTensorError, bytes: &[u8], path: &Path) -> ModelFileError {
    let corrupt = |detail: String| ModelFileError::Corrupt {
        path: path.into(),
        detail,
    };
    let truncated = |detail: String| ModelFileError::Truncated {
        path: path.into(),
        detail,
    };
    let header_len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
    match e {
        SafeTensorError::InvalidHeaderLength => truncated(format!(
            "the safetensors header claims {header_len} bytes but only {} follow",
            bytes.len() - 8
        )),
        SafeTensorError::HeaderTooLarge => corrupt(format!(
            "a safetensors header of {header_len} bytes is larger than the format allows"
        )),
        SafeTensorError::MetadataIncompleteBuffer => match declared_data_end(bytes).flatten() {
            Some(end) if end > bytes.len() as u64 => truncated(format!(
                "the header describes {end} bytes but the file has {}",
                bytes.len()
            )),
            Some(end) => corrupt(format!(
                "{} unexpected bytes after the tensor data",
                bytes.len() as u64 - end
            )),
            None => corrupt("the tensors' offsets do not fill the file".into()),
        },
        other => corrupt(format!("the safetensors container is damaged: {other}")),
    }
}

/// Where the tensor data a header describes ends, from the file's start: `None` if the header
/// cannot be read that far (the container's own checks then say why), `Some(None)` if the
/// offsets overflow.
fn declared_data_end(bytes: &[u8]) -> Option<Option<u64>> {
    let n = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
    let header = bytes.get(8..8usize.checked_add(usize::try_from(n).ok()?)?)?;
    let map: HashMap<String, serde_json::Value> = serde_json::from_slice(header).ok()?;
    let mut end = 0u64;
    let mut total = Some(0u64);
    for (name, entry) in &map {
        if name != "__metadata__" {
            let offsets = entry.get("data_offsets")?;
            let (start, stop) = (offsets.get(0)?.as_u64()?, offsets.get(1)?.as_u64()?);
            end = end.max(stop);
            total = total.and_then(|t| t.checked_add(stop.checked_sub(start)?));
        }
    }
    Some(total.and_then(|_| end.checked_add(8)?.checked_add(n)))
}

/// Decodes a version-2 file whose container [`open`] accepted and whose metadata says
/// `format: nnfacade`.
pub(crate) fn decode(
    file: &SafeTensors<'_>,
    meta: &HashMap<String, String>,
    path: &Path,
) -> Result<Parsed, ModelFileError> {
    let corrupt = |detail: String| ModelFileError::Corrupt {
        path: path.into(),
        detail,
    };
    let field = |key: &str| {
        meta.get(key)
            .ok_or_else(|| corrupt(format!("the metadata has no `{key}`")))
    };
    let version: u32 = field("format_version")?
        .parse()
        .map_err(|_| corrupt("the format version is not a number".into()))?;
    if version > VERSION {
        return Err(ModelFileError::UnsupportedVersion {
            path: path.into(),
            found: version,
            supported: VERSION,
        });
    }
    if version != VERSION {
        return Err(corrupt(format!(
            "format version {version} is not a safetensors format (only {VERSION} is)"
        )));
    }
    let kind = field("kind")?;
    let (layers_json, states_json) = (field("layers")?, field("states")?);
    let stored_crc: u32 = field("crc32")?
        .parse()
        .map_err(|_| corrupt("the checksum is not a number".into()))?;
    let mut views: Vec<(String, TensorView<'_>)> = file.tensors();
    // By name, so the first damaged tensor an error names is the same on every run.
    views.sort_by(|a, b| a.0.cmp(&b.0));
    let mut for_crc: Vec<(String, &[u8])> =
        views.iter().map(|(n, v)| (n.clone(), v.data())).collect();
    if checksum(kind, layers_json, states_json, &mut for_crc) != stored_crc {
        return Err(corrupt(
            "checksum mismatch: the file was modified or damaged".into(),
        ));
    }
    let kind = match kind.as_str() {
        "model" => crate::file::KIND_MODEL,
        "checkpoint" => crate::file::KIND_CHECKPOINT,
        other => return Err(corrupt(format!("unknown file kind `{other}`"))),
    };
    let layers: Vec<LayerSpec> = serde_json::from_str(layers_json)
        .map_err(|e| corrupt(format!("the architecture cannot be decoded: {e}")))?;
    let entries: Vec<StateEntry> = serde_json::from_str(states_json)
        .map_err(|e| corrupt(format!("the saved states cannot be decoded: {e}")))?;

    let mut tensors: HashMap<String, Tensor> = HashMap::with_capacity(views.len());
    for (name, view) in views {
        if view.dtype() != Dtype::F32 {
            return Err(corrupt(format!(
                "tensor `{name}` is {:?}; nnfacade files hold F32",
                view.dtype()
            )));
        }
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        let tensor = Tensor::from_vec(view.shape().to_vec(), values)
            .map_err(|e| corrupt(format!("tensor `{name}`: {e}")))?;
        tensors.insert(name, tensor);
    }
    let mut states = Vec::with_capacity(entries.len());
    for entry in entries {
        let mut state = StateDict {
            integers: entry.integers,
            floats: entry
                .floats
                .into_iter()
                .map(|(n, bits)| (n, f64::from_bits(bits)))
                .collect(),
            tensors: Vec::with_capacity(entry.tensors.len()),
        };
        for name in entry.tensors {
            let full = format!("{}/{name}", entry.name);
            let tensor = tensors.remove(&full).ok_or_else(|| {
                corrupt(format!(
                    "section `{}` lists tensor `{name}` but the file has no `{full}`",
                    entry.name
                ))
            })?;
            state.tensors.push((name, tensor));
        }
        states.push((entry.name, state));
    }
    let mut model = Vec::with_capacity(tensors.len());
    let mut rest: Vec<(String, Tensor)> = tensors.into_iter().collect();
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, tensor) in rest {
        match name.strip_prefix("model/") {
            Some(param) => model.push((param.to_string(), tensor)),
            None => return Err(corrupt(format!("tensor `{name}` belongs to no section"))),
        }
    }
    Ok(Parsed {
        kind,
        layers,
        model,
        states,
    })
}
