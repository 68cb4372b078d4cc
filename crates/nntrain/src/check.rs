//! Checks of user data at the boundary of `fit`, `evaluate` and `predict`, before any maths runs.

use crate::error::shape_string;
use crate::loss::TargetKind;
use crate::{Loss, TrainError};
use nnautograd::nntensor::Tensor;
use nnlayers::Sequential;

/// Checks that `x` fits the network; returns the per-sample output shape.
pub(crate) fn inputs(
    network: &Sequential,
    data: &'static str,
    x: &Tensor,
) -> Result<Vec<usize>, TrainError> {
    let shape = x.shape();
    if shape.is_empty() {
        return Err(TrainError::InputShape {
            data,
            shape: "()".into(),
            detail: "inputs need a first axis of samples".into(),
        });
    }
    let sample = &shape[1..];
    if shape.len() == 1 {
        if let Err(e) = network.output_shape(sample) {
            if e.expected == shape {
                return Err(TrainError::InputShape {
                    data,
                    shape: shape_string(shape),
                    detail: format!(
                        "layer `{layer}` takes samples of {n} features and this is one sample of {n}: reshape it to (1, {n}) (x.into_reshaped([1, {n}]))",
                        layer = e.layer,
                        n = shape[0]
                    ),
                });
            }
        }
    }
    network.output_shape(sample).map_err(|e| {
        let takes: usize = e.expected.iter().product();
        let given: usize = sample.iter().product();
        let detail = if sample.len() > 1 && takes == given && e.expected.len() == 1 {
            format!(
                "layer `{}` takes {takes} features per sample: flatten the images to ({}, {takes}), or put a Flatten layer first",
                e.layer, shape[0]
            )
        } else {
            format!("layer `{}` takes samples of shape {} ({} per sample given): {}", e.layer, shape_string(&e.expected), shape_string(sample), e.hint)
        };
        TrainError::InputShape { data, shape: shape_string(shape), detail }
    })
}

/// Checks that `y` fits the loss and the network's per-sample output shape `output`.
/// Returns the targets reshaped to what the loss reads (a `(n,)` target for a 1-output model
/// becomes `(n, 1)`).
pub(crate) fn targets(
    network: &Sequential,
    loss: Loss,
    output: &[usize],
    data: &'static str,
    y: &Tensor,
) -> Result<Option<Tensor>, TrainError> {
    let shape = y.shape();
    let n = shape.first().copied().unwrap_or(0);
    let last = network
        .layers()
        .last()
        .map(|l| l.name().to_string())
        .unwrap_or_else(|| "the model".into());
    let err = |detail: String| TrainError::TargetShape {
        data,
        shape: shape_string(shape),
        detail,
    };
    match loss.target_kind() {
        TargetKind::SameAsOutput => {
            if shape.get(1..) == Some(output) {
                return Ok(None);
            }
            if shape.len() == 1 && output == [1] {
                return Ok(Some(y.clone().into_reshaped([n, 1])));
            }
            let classes = output.last().copied().unwrap_or(0);
            let indices = (shape.len() == 1 || shape == [n, 1])
                && output.len() == 1
                && classes > 1
                && y.values()
                    .iter()
                    .all(|&v| v >= 0.0 && v.fract() == 0.0 && (v as usize) < classes);
            if indices {
                return Err(err(format!(
                    "{} compares targets with the {classes}-way output of layer `{last}` element by element, and these are class indices: \
                     use Loss::SparseCategoricalCrossEntropy (class indices), or one-hot them (nntensor::one_hot) for {}",
                    loss.name(),
                    loss.name()
                )));
            }
            Err(err(format!(
                "{} compares them with the output of layer `{last}`, of shape {}: give targets of shape {}",
                loss.name(),
                shape_string(&[&[n][..], output].concat()),
                shape_string(&[&[n][..], output].concat())
            )))
        }
        TargetKind::OneHot => {
            let classes = output.last().copied().unwrap_or(0);
            if output.len() == 1 && shape == [n, classes] {
                return Ok(None);
            }
            let looks_like_indices = shape.len() == 1 || shape == [n, 1];
            if looks_like_indices {
                return Err(err(format!(
                    "{} needs one-hot rows of shape ({n}, {classes}) to match the {classes}-way output of layer `{last}`: \
                     these are class indices. One-hot them (nntensor::one_hot, or MnistOptions {{ one_hot: true, .. }}), \
                     or use sparse categorical cross-entropy (Loss::SparseCategoricalCrossEntropy)",
                    loss.name()
                )));
            }
            Err(err(format!("{} needs one-hot rows of shape ({n}, {classes}) to match the output of layer `{last}`", loss.name())))
        }
        TargetKind::ClassIndices => {
            let classes = output.last().copied().unwrap_or(0);
            if output.len() != 1 {
                return Err(err(format!(
                    "{} needs a model output of shape (n, classes); layer `{last}` gives {}",
                    loss.name(),
                    shape_string(output)
                )));
            }
            if shape.len() == 2 && shape[1] == classes && classes > 1 {
                return Err(err(format!(
                    "{} needs class indices of shape ({n},): these look like one-hot rows. \
                     Use categorical cross-entropy (Loss::CategoricalCrossEntropy), or give the index of each row's 1",
                    loss.name()
                )));
            }
            if !(shape.len() == 1 || shape == [n, 1]) {
                return Err(err(format!(
                    "{} needs class indices of shape ({n},)",
                    loss.name()
                )));
            }
            if let Some((row, &v)) = y
                .values()
                .iter()
                .enumerate()
                .find(|(_, &v)| !(v >= 0.0 && v.fract() == 0.0 && (v as usize) < classes))
            {
                return Err(err(format!(
                    "target {v} at row {row} is not a class index in 0..{classes} (the {classes}-way output of layer `{last}`)"
                )));
            }
            Ok(None)
        }
    }
}

/// The first NaN or infinity in `t`, reported with its row.
pub(crate) fn finite(data: &'static str, t: &Tensor) -> Result<(), TrainError> {
    let row_len: usize = t.shape().iter().skip(1).product::<usize>().max(1);
    let values = t.values();
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(TrainError::NonFiniteData {
            data,
            value: values[i],
            row: i / row_len,
            column: i % row_len,
        }),
    }
}

/// A warning when inputs look like raw 0..255 pixels.
pub(crate) fn pixel_warning(x: &Tensor) -> Option<String> {
    let values = x.values();
    let max = values.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let bytes_like =
        max > 1.0 && max <= 255.0 && values.iter().all(|&v| v >= 0.0 && v.fract() == 0.0);
    bytes_like.then(|| {
        format!(
            "warning: the inputs look like raw pixel values (whole numbers from 0 to {max}); \
             scale them to [0, 1] (divide by 255) for faster, stabler training"
        )
    })
}

/// Class indices of a batch of targets, for sparse losses and metrics.
pub(crate) fn labels(y: &Tensor) -> Vec<usize> {
    y.values().iter().map(|&v| v as usize).collect()
}
