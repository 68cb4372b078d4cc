//! Model files and checkpoints.
//!
//! Layout (all integers little-endian):
//!
//! | bytes | what |
//! | --- | --- |
//! | 8 | magic `NNFACADE` |
//! | 4 | format version (`FORMAT_VERSION`) |
//! | 4 | kind: 1 = model, 2 = checkpoint |
//! | 8 | header length `H` |
//! | `H` | header: layer specs, tensor names and shapes, state sections (serde + bincode 2) |
//! | … | every tensor's values as `f32`, in header order |
//! | 4 | CRC-32 of everything after the magic |
//!
//! Reading checks each part before trusting the next: the sizes of all tensors are computed from
//! the header and compared with the bytes actually present before any tensor or layer is built,
//! so a damaged or hostile file cannot make us allocate more than its own size. Writing goes to
//! a temporary file in the same directory, synced, then renamed over the target: a crash leaves
//! the old file or the new one, never half of one.

use crate::crc32::crc32;
use crate::{LayerSpec, ModelFileError, Sequential};
use nnautograd::nntensor::Tensor;
use nnautograd::StateDict;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

const MAGIC: &[u8; 8] = b"NNFACADE";
/// The newest file format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const KIND_MODEL: u32 = 1;
const KIND_CHECKPOINT: u32 = 2;
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

/// A model saved together with named states (an optimizer's, a training loop's), to resume training.
#[derive(Debug)]
pub struct Checkpoint {
    /// The model, architecture and weights.
    pub model: Sequential,
    /// The states saved beside it, by section name (e.g. `"optimizer"`).
    pub states: Vec<(String, StateDict)>,
}

impl Checkpoint {
    /// The state saved under `section`.
    pub fn state(&self, section: &str) -> Option<&StateDict> {
        self.states
            .iter()
            .find(|(n, _)| n == section)
            .map(|(_, s)| s)
    }
}

impl Sequential {
    /// Saves the architecture and weights to `path`, atomically (temporary file, then rename).
    ///
    /// ```
    /// use nnlayers::Sequential;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("model.nnf");
    /// let model = Sequential::new(1).linear(3, 2).relu();
    /// model.save(&path).unwrap();
    /// let loaded = Sequential::load(&path).unwrap();
    /// assert_eq!(loaded.parameters()[0].value(), model.parameters()[0].value());
    /// assert_eq!(loaded.layers()[1].name(), "relu_1");
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ModelFileError> {
        write_file(path.as_ref(), KIND_MODEL, self, &[])
    }

    /// Loads a model saved by [`Sequential::save`], rebuilding its architecture.
    pub fn load(path: impl AsRef<Path>) -> Result<Sequential, ModelFileError> {
        read_file(path.as_ref(), KIND_MODEL).map(|c| c.model)
    }

    /// Decodes a model file held in memory (the bytes [`Sequential::save`] writes), with every
    /// check [`Sequential::load`] makes; errors name the source as `<memory>`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Sequential, ModelFileError> {
        decode(bytes, Path::new("<memory>"), KIND_MODEL).map(|c| c.model)
    }

    /// Loads the weights of a saved model into this one, which must have the same parameters
    /// (names and shapes); on any error this model is left unchanged.
    pub fn load_weights(&mut self, path: impl AsRef<Path>) -> Result<(), ModelFileError> {
        let path = path.as_ref();
        let saved = Sequential::load(path)?;
        copy_weights(path, &saved, self)
    }
}

/// Saves `model` with named states beside it (atomically).
pub fn save_checkpoint(
    path: impl AsRef<Path>,
    model: &Sequential,
    states: &[(&str, &StateDict)],
) -> Result<(), ModelFileError> {
    write_file(path.as_ref(), KIND_CHECKPOINT, model, states)
}

/// Decodes a checkpoint held in memory, with every check [`load_checkpoint`] makes.
pub fn checkpoint_from_bytes(bytes: &[u8]) -> Result<Checkpoint, ModelFileError> {
    decode(bytes, Path::new("<memory>"), KIND_CHECKPOINT)
}

/// Loads a checkpoint written by [`save_checkpoint`].
pub fn load_checkpoint(path: impl AsRef<Path>) -> Result<Checkpoint, ModelFileError> {
    read_file(path.as_ref(), KIND_CHECKPOINT)
}

fn copy_weights(path: &Path, from: &Sequential, to: &mut Sequential) -> Result<(), ModelFileError> {
    let source = from.named_parameters();
    let target: Vec<(String, Vec<usize>)> = to
        .named_parameters()
        .into_iter()
        .map(|(n, p)| (n, p.shape().to_vec()))
        .collect();
    let names = |v: &[(String, Vec<usize>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    let source_shapes: Vec<(String, Vec<usize>)> = source
        .iter()
        .map(|(n, p)| (n.clone(), p.shape().to_vec()))
        .collect();
    if names(&source_shapes) != names(&target) {
        return Err(ModelFileError::ArchitectureMismatch {
            path: path.into(),
            detail: format!(
                "the file holds parameters {:?}, the model has {:?}",
                names(&source_shapes),
                names(&target)
            ),
        });
    }
    for ((name, found), (_, expected)) in source_shapes.iter().zip(&target) {
        if found != expected {
            return Err(ModelFileError::ShapeMismatch {
                path: path.into(),
                name: name.clone(),
                expected: expected.clone(),
                found: found.clone(),
            });
        }
    }
    for ((_, src), dst) in source.iter().zip(to.parameters_mut()) {
        dst.set(src.value().clone());
    }
    Ok(())
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> ModelFileError + '_ {
    move |source| ModelFileError::Io {
        path: path.into(),
        source,
    }
}

fn write_file(
    path: &Path,
    kind: u32,
    model: &Sequential,
    states: &[(&str, &StateDict)],
) -> Result<(), ModelFileError> {
    let mut layers = Vec::new();
    for layer in model.layers() {
        layers.push(layer.spec().ok_or_else(|| ModelFileError::Unsavable {
            layer: layer.name().to_string(),
        })?);
    }
    let mut tensors: Vec<(String, &Tensor)> = model
        .named_parameters()
        .into_iter()
        .map(|(n, p)| (format!("model/{n}"), p.value()))
        .collect();
    let mut sections = Vec::new();
    for (i, (section, _)) in states.iter().enumerate() {
        let clash = states[..i].iter().any(|(s, _)| s == section);
        if section.is_empty() || *section == "model" || section.contains('/') || clash {
            return Err(ModelFileError::Corrupt {
                path: path.into(),
                detail: format!("cannot save a state section named `{section}`: names must be unique, non-empty, not `model`, and without `/`"),
            });
        }
    }
    for (section, state) in states {
        sections.push(Section {
            name: section.to_string(),
            integers: state.integers.clone(),
            floats: state.floats.clone(),
        });
        tensors.extend(
            state
                .tensors
                .iter()
                .map(|(n, t)| (format!("{section}/{n}"), t)),
        );
    }
    let header = Header {
        layers,
        tensors: tensors
            .iter()
            .map(|(n, t)| TensorEntry {
                name: n.clone(),
                shape: t.shape().iter().map(|&d| d as u64).collect(),
            })
            .collect(),
        sections,
    };
    let header_bytes = bincode::serde::encode_to_vec(&header, bincode_config()).map_err(|e| {
        ModelFileError::Corrupt {
            path: path.into(),
            detail: format!("cannot encode the header: {e}"),
        }
    })?;
    let data_len: usize = tensors.iter().map(|(_, t)| t.len() * 4).sum();
    let mut bytes = Vec::with_capacity(PREFIX_LEN + header_bytes.len() + data_len + 4);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&kind.to_le_bytes());
    bytes.extend_from_slice(&(header_bytes.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&header_bytes);
    for (_, t) in &tensors {
        for v in t.to_vec() {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    let crc = crc32(&bytes[MAGIC.len()..]);
    bytes.extend_from_slice(&crc.to_le_bytes());
    write_atomically(path, &bytes)
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, and renames it over `path`.
///
/// The temporary name is unique within the process (a counter) and the file is created with
/// `create_new`, so two threads saving the same path never share a temporary file and a planted
/// file or link at that name is never written through.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ModelFileError> {
    static NEXT_TMP: AtomicU64 = AtomicU64::new(0);
    let io = |source| ModelFileError::Io {
        path: path.into(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().ok_or_else(|| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path names no file",
        ))
    })?;
    let (tmp, mut file) = loop {
        let n = NEXT_TMP.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(
            ".{}.tmp-{}-{n}",
            file_name.to_string_lossy(),
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => break (tmp, file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io(e)),
        }
    };
    let result = (|| {
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable where the platform lets a directory be opened and synced.
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        io(source)
    })
}

fn kind_name(kind: u32) -> &'static str {
    if kind == KIND_MODEL {
        "model"
    } else {
        "checkpoint"
    }
}

fn read_file(path: &Path, expected_kind: u32) -> Result<Checkpoint, ModelFileError> {
    let bytes = std::fs::read(path).map_err(io_error(path))?;
    decode(&bytes, path, expected_kind)
}

/// Decodes a model (or checkpoint) file held in memory; `path` only names it in errors.
fn decode(bytes: &[u8], path: &Path, expected_kind: u32) -> Result<Checkpoint, ModelFileError> {
    let corrupt = |detail: String| ModelFileError::Corrupt {
        path: path.into(),
        detail,
    };
    let truncated = |detail: String| ModelFileError::Truncated {
        path: path.into(),
        detail,
    };

    let magic_len = bytes.len().min(MAGIC.len());
    if bytes[..magic_len] != MAGIC[..magic_len] || bytes.is_empty() {
        if bytes.is_empty() {
            return Err(truncated("the file is empty".into()));
        }
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
    if version > FORMAT_VERSION {
        return Err(ModelFileError::UnsupportedVersion {
            path: path.into(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version == 0 {
        return Err(corrupt("format version 0 does not exist".into()));
    }
    let kind = u32_at(12);
    if kind != KIND_MODEL && kind != KIND_CHECKPOINT {
        return Err(corrupt(format!("unknown file kind {kind}")));
    }
    if kind != expected_kind {
        return Err(ModelFileError::WrongKind {
            path: path.into(),
            expected: kind_name(expected_kind),
            found: kind_name(kind),
        });
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

    // Layers: their parameter sizes must add up to the model tensors present, before building them.
    let mut declared: u64 = 0;
    for spec in &header.layers {
        let n = spec
            .parameter_count()
            .ok_or_else(|| corrupt("a layer's parameter count overflows".into()))?;
        declared = declared
            .checked_add(n as u64)
            .ok_or_else(|| corrupt("parameter counts overflow".into()))?;
    }
    let model_values: u64 = header
        .tensors
        .iter()
        .zip(&shapes)
        .filter(|(e, _)| e.name.starts_with("model/"))
        .map(|(_, s)| s.iter().product::<usize>() as u64)
        .sum();
    if declared != model_values {
        return Err(corrupt(format!(
            "the layers declare {declared} parameter values but the file holds {model_values}"
        )));
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

    check_layer_chain(&header.layers).map_err(corrupt)?;
    let mut saved = Sequential::new(0);
    for spec in &header.layers {
        let layer = spec
            .build()
            .ok_or_else(|| corrupt(format!("invalid layer configuration {spec:?}")))?;
        saved.push_as_named(layer);
    }
    let mut by_name: Vec<(String, Tensor)> = Vec::new();
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
            by_name.push((param.to_string(), tensor));
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
    let names: Vec<String> = saved
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let file_names: Vec<String> = by_name.iter().map(|(n, _)| n.clone()).collect();
    if names != file_names {
        return Err(corrupt(format!(
            "the layers have parameters {names:?} but the file holds {file_names:?}"
        )));
    }
    for (param, (name, value)) in saved.parameters_mut().into_iter().zip(by_name) {
        if param.shape() != value.shape() {
            return Err(ModelFileError::ShapeMismatch {
                path: path.into(),
                name,
                expected: param.shape().to_vec(),
                found: value.shape().to_vec(),
            });
        }
        param.set(value);
    }
    Ok(Checkpoint {
        model: saved,
        states,
    })
}

/// Checks that consecutive dense layers fit: each `Linear` (and a 1-D `LayerNorm`) takes as many
/// features as the last one before it gives (layers in between keep the width; `Flatten` and
/// `Embedding` forget it).
fn check_layer_chain(layers: &[LayerSpec]) -> Result<(), String> {
    let mut width: Option<(usize, &str)> = None;
    for spec in layers {
        match spec {
            LayerSpec::Linear {
                name,
                inputs,
                outputs,
                ..
            } => {
                if let Some((w, previous)) = width {
                    if w != *inputs {
                        return Err(format!("layer `{name}` takes {inputs} features but `{previous}` before it gives {w}"));
                    }
                }
                width = Some((*outputs, name));
            }
            // An embedding adds an axis, so the width after it is its vectors' length only
            // per position: forget it, as after Flatten.
            // An image layer changes the per-sample shape to one with several axes: forget the
            // width, as after Flatten (the shapes are checked when data meets the model).
            LayerSpec::Flatten { .. }
            | LayerSpec::Embedding { .. }
            | LayerSpec::Conv2d { .. }
            | LayerSpec::MaxPool2d { .. }
            | LayerSpec::AvgPool2d { .. }
            | LayerSpec::GlobalAvgPool2d { .. } => width = None,
            LayerSpec::BatchNorm {
                name,
                channels,
                spatial: false,
                ..
            } => {
                if let Some((w, previous)) = width {
                    if w != *channels {
                        return Err(format!(
                            "layer `{name}` normalises {channels} features but `{previous}` before it gives {w}"
                        ));
                    }
                }
            }
            LayerSpec::BatchNorm { .. } => width = None,
            LayerSpec::LayerNorm {
                name,
                normalized_shape,
                ..
            } => {
                if let (Some((w, previous)), [last]) = (width, normalized_shape.as_slice()) {
                    if w != *last {
                        return Err(format!(
                            "layer `{name}` normalises {last} features but `{previous}` before it gives {w}"
                        ));
                    }
                }
            }
            LayerSpec::Activation { .. } | LayerSpec::Dropout { .. } => {}
        }
    }
    Ok(())
}
