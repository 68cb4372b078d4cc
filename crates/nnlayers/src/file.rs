//! Model files and checkpoints.
//!
//! This build writes format version 2: a [safetensors](https://huggingface.co/docs/safetensors)
//! file whose tensors PyTorch, Candle, Burn and Python's `safetensors` read directly, with the
//! architecture and saved states as JSON in its metadata ([`crate::file_v2`] has the layout). It
//! reads version 2 and version 1, nnfacade 0.1's own container ([`crate::file_v1`]), so no
//! saved model is lost. [`Sequential::load_weights`] also takes a weights-only safetensors file,
//! such as a PyTorch `state_dict` saved with `safetensors.torch.save_file`
//! ([`crate::torch_weights`]).
//!
//! Reading checks each part before trusting the next, and never allocates more than the file's
//! own size: the container's sizes first, then the checksum, then the architecture's parameter
//! count against the tensors present, and only then are layers built. Writing goes through
//! [`write_atomically`]: a crash leaves the old file or the new one, never half of one.

use crate::{file_v1, file_v2, torch_weights, LayerSpec, ModelFileError, Sequential};
use nnautograd::nntensor::Tensor;
use nnautograd::StateDict;
use std::collections::HashMap;
use std::path::Path;

/// The newest file format this build writes and reads.
pub const FORMAT_VERSION: u32 = file_v2::VERSION;
pub(crate) const KIND_MODEL: u32 = 1;
pub(crate) const KIND_CHECKPOINT: u32 = 2;

/// What a decoder found in a file, before any layer is built.
pub(crate) struct Parsed {
    /// [`KIND_MODEL`] or [`KIND_CHECKPOINT`].
    pub kind: u32,
    /// The architecture.
    pub layers: Vec<LayerSpec>,
    /// The model's parameters by name (e.g. `linear_1.weight`), in any order.
    pub model: Vec<(String, Tensor)>,
    /// The saved states, complete.
    pub states: Vec<(String, StateDict)>,
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

    /// The bytes [`Sequential::save`] writes, in memory.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ModelFileError> {
        encode_file(Path::new("<memory>"), KIND_MODEL, self, &[])
    }

    /// Decodes a model file held in memory (the bytes [`Sequential::save`] writes), with every
    /// check [`Sequential::load`] makes; errors name the source as `<memory>`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Sequential, ModelFileError> {
        decode(bytes, Path::new("<memory>"), KIND_MODEL).map(|c| c.model)
    }

    /// Loads the weights of a saved model into this one, which must have the same parameters
    /// (names and shapes); on any error this model is left unchanged.
    ///
    /// `path` may also be a weights-only safetensors file, such as a PyTorch `state_dict` saved
    /// with `safetensors.torch.save_file`: its tensors are matched to this model's layers
    /// (`nn.Sequential`'s position keys `0`, `2`, … in order, or this model's layer names;
    /// other keys need [`Sequential::load_weights_mapped`]), with PyTorch's `Linear` weights
    /// transposed from `(out, in)`; an error lists every missing, unexpected and mis-shaped
    /// tensor, and leaves this model unchanged.
    pub fn load_weights(&mut self, path: impl AsRef<Path>) -> Result<(), ModelFileError> {
        self.load_weights_mapped(path, &[])
    }

    /// [`Sequential::load_weights`] for a weights-only file whose layer keys are neither
    /// positions nor this model's layer names (a custom PyTorch module's `fc1`, `fc2`): `mapping`
    /// pairs each file key with a layer name, `&[("fc1", "linear_1"), ("fc2", "linear_2")]`.
    pub fn load_weights_mapped(
        &mut self,
        path: impl AsRef<Path>,
        mapping: &[(&str, &str)],
    ) -> Result<(), ModelFileError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(io_error(path))?;
        if file_v2::looks_like_safetensors(&bytes) {
            let container = file_v2::open(&bytes, path)?;
            let meta = file_v2::metadata(&bytes).unwrap_or_default();
            if !is_ours(&meta) {
                return torch_weights::load(self, &container, path, mapping);
            }
        }
        let saved = decode(&bytes, path, KIND_MODEL)?.model;
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

/// The bytes [`save_checkpoint`] writes, in memory.
pub fn checkpoint_to_bytes(
    model: &Sequential,
    states: &[(&str, &StateDict)],
) -> Result<Vec<u8>, ModelFileError> {
    encode_file(Path::new("<memory>"), KIND_CHECKPOINT, model, states)
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
    let bytes = encode_file(path, kind, model, states)?;
    write_atomically(path, &bytes)
}

/// A model (or checkpoint) file's bytes; `path` only names it in errors.
fn encode_file(
    path: &Path,
    kind: u32,
    model: &Sequential,
    states: &[(&str, &StateDict)],
) -> Result<Vec<u8>, ModelFileError> {
    let mut layers = Vec::new();
    for layer in model.layers() {
        layers.push(layer.spec().ok_or_else(|| ModelFileError::Unsavable {
            layer: layer.name().to_string(),
        })?);
    }
    for (i, (section, _)) in states.iter().enumerate() {
        let clash = states[..i].iter().any(|(s, _)| s == section);
        if !usable_section_name(section) || clash {
            return Err(ModelFileError::CannotSave {
                path: path.into(),
                detail: format!("cannot save a state section named `{section}`: names must be unique, non-empty, not `model`, and without `/`"),
            });
        }
    }
    let parameters: Vec<(String, &Tensor)> = model
        .named_parameters()
        .into_iter()
        .map(|(n, p)| (n, p.value()))
        .collect();
    file_v2::encode(kind_name(kind), &layers, &parameters, states).map_err(|detail| {
        ModelFileError::CannotSave {
            path: path.into(),
            detail,
        }
    })
}

/// Writes `bytes` to `path` atomically (`nntensor::file::write_atomically`: a temporary
/// file beside it, synced, renamed over it, the directory synced), naming `path` in the error.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ModelFileError> {
    nnautograd::nntensor::file::write_atomically(path, bytes).map_err(io_error(path))
}

fn kind_name(kind: u32) -> &'static str {
    if kind == KIND_MODEL {
        "model"
    } else {
        "checkpoint"
    }
}

/// Whether a state section may have this name (it prefixes its tensors' names: `name/tensor`).
fn usable_section_name(name: &str) -> bool {
    !name.is_empty() && name != "model" && !name.contains('/')
}

fn is_ours(meta: &HashMap<String, String>) -> bool {
    meta.get("format").is_some_and(|f| f == "nnfacade")
}

fn read_file(path: &Path, expected_kind: u32) -> Result<Checkpoint, ModelFileError> {
    let bytes = std::fs::read(path).map_err(io_error(path))?;
    decode(&bytes, path, expected_kind)
}

/// Decodes a model (or checkpoint) file held in memory, of either version; `path` only names
/// it in errors.
fn decode(bytes: &[u8], path: &Path, expected_kind: u32) -> Result<Checkpoint, ModelFileError> {
    let parsed = if bytes.starts_with(file_v1::MAGIC) {
        file_v1::decode(bytes, path)?
    } else if file_v2::looks_like_safetensors(bytes) {
        let container = file_v2::open(bytes, path)?;
        let meta = file_v2::metadata(bytes).unwrap_or_default();
        if !is_ours(&meta) {
            return Err(ModelFileError::WeightsOnly { path: path.into() });
        }
        file_v2::decode(&container, &meta, path)?
    } else if bytes.len() < 9 || file_v1::MAGIC.starts_with(bytes) {
        return Err(ModelFileError::Truncated {
            path: path.into(),
            detail: format!("{} bytes is shorter than any model file", bytes.len()),
        });
    } else {
        return Err(ModelFileError::NotAModelFile { path: path.into() });
    };
    if parsed.kind != expected_kind {
        return Err(ModelFileError::WrongKind {
            path: path.into(),
            expected: kind_name(expected_kind),
            found: kind_name(parsed.kind),
        });
    }
    assemble(parsed, path)
}

/// Builds the model a decoder found: the layers' parameter count must equal the values present
/// before any layer is built (so a damaged architecture cannot make us allocate), the layers
/// must fit each other, and every parameter must be present once with its layer's shape.
fn assemble(parsed: Parsed, path: &Path) -> Result<Checkpoint, ModelFileError> {
    let corrupt = |detail: String| ModelFileError::Corrupt {
        path: path.into(),
        detail,
    };
    for (i, (name, _)) in parsed.states.iter().enumerate() {
        if !usable_section_name(name) || parsed.states[..i].iter().any(|(n, _)| n == name) {
            return Err(corrupt(format!(
                "a saved state is named `{name}`: names are unique, non-empty, not `model`, and without `/`"
            )));
        }
    }
    let mut declared: u64 = 0;
    for spec in &parsed.layers {
        let n = spec
            .parameter_count()
            .ok_or_else(|| corrupt("a layer's parameter count overflows".into()))?;
        declared = declared
            .checked_add(n as u64)
            .ok_or_else(|| corrupt("parameter counts overflow".into()))?;
    }
    let present: u64 = parsed.model.iter().map(|(_, t)| t.len() as u64).sum();
    if declared != present {
        return Err(corrupt(format!(
            "the layers declare {declared} parameter values but the file holds {present}"
        )));
    }
    check_layer_chain(&parsed.layers).map_err(corrupt)?;
    let mut saved = Sequential::new(0);
    for spec in &parsed.layers {
        let layer = spec
            .build()
            .ok_or_else(|| corrupt(format!("invalid layer configuration {spec:?}")))?;
        saved.push_as_named(layer);
    }
    let names: Vec<String> = saved
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let mut file_names: Vec<&str> = parsed.model.iter().map(|(n, _)| n.as_str()).collect();
    file_names.sort_unstable();
    let mut expected: Vec<&str> = names.iter().map(String::as_str).collect();
    expected.sort_unstable();
    if expected != file_names {
        return Err(corrupt(format!(
            "the layers have parameters {names:?} but the file holds {file_names:?}"
        )));
    }
    let mut values: HashMap<String, Tensor> = parsed.model.into_iter().collect();
    for (name, param) in names.iter().zip(saved.parameters_mut()) {
        let value = values.remove(name).expect("names checked above");
        if param.shape() != value.shape() {
            return Err(ModelFileError::ShapeMismatch {
                path: path.into(),
                name: name.clone(),
                expected: param.shape().to_vec(),
                found: value.shape().to_vec(),
            });
        }
        param.set(value);
    }
    Ok(Checkpoint {
        model: saved,
        states: parsed.states,
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
            LayerSpec::Normalization { name, shape, .. } => match shape.as_slice() {
                [features] => {
                    if let Some((w, previous)) = width {
                        if w != *features {
                            return Err(format!(
                                "layer `{name}` normalises {features} features but `{previous}` before it gives {w}"
                            ));
                        }
                    }
                    width = Some((*features, name));
                }
                _ => width = None,
            },
            LayerSpec::Activation { .. } | LayerSpec::Dropout { .. } => {}
        }
    }
    Ok(())
}
