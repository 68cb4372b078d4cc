//! Keras's `sample_weight` and `class_weight`: checked against the training data and combined
//! into one loss weight per training sample.

use crate::loss::TargetKind;
use crate::{FitOptions, Loss, TrainError};
use nnautograd::nntensor::{self as nt, Tensor};
use nndata::Dataset;

/// One weight per row of `train` (the first `train.len()` of `full_rows` rows, as
/// `validation_split` keeps them), or `None` when neither option is given. Errors name the
/// option, the row and the fix.
pub(crate) fn combined(
    options: &FitOptions<'_>,
    loss: Loss,
    train: &Dataset,
    full_rows: usize,
) -> Result<Option<Tensor>, TrainError> {
    if options.sample_weight.is_none() && options.class_weight.is_none() {
        return Ok(None);
    }
    let n = train.len();
    let mut weights = vec![1.0f32; n];
    if let Some(sample) = options.sample_weight {
        let given = sample.shape();
        if !(given.len() == 1 || (given.len() == 2 && given[1] == 1)) || given[0] != full_rows {
            return Err(TrainError::InvalidOption(format!(
                "sample_weight has shape {given:?} but needs one weight per training sample, shape ({full_rows},)"
            )));
        }
        let values = sample.values();
        weights.copy_from_slice(&values[..n]);
    }
    if let Some(per_class) = options.class_weight {
        let classes = classes_of(loss, train.targets())?;
        for (row, &c) in classes.iter().enumerate() {
            let w = per_class.get(c).ok_or_else(|| {
                TrainError::InvalidOption(format!(
                    "class_weight has {} entries but training sample {row} is of class {c}: give one weight per class",
                    per_class.len()
                ))
            })?;
            weights[row] *= w;
        }
    }
    if let Some((row, w)) = weights
        .iter()
        .enumerate()
        .find(|(_, w)| !(w.is_finite() && **w >= 0.0))
    {
        return Err(TrainError::InvalidOption(format!(
            "the loss weight of training sample {row} is {w}: sample_weight and class_weight must be finite and not negative"
        )));
    }
    if weights.iter().all(|&w| w == 0.0) {
        return Err(TrainError::InvalidOption(
            "every training sample has loss weight 0: nothing would be learned".into(),
        ));
    }
    Ok(Some(Tensor::from_vec([n], weights).expect("one per row")))
}

/// Each training sample's class: its index, the 1 of its one-hot row, or its 0/1 target.
fn classes_of(loss: Loss, targets: &Tensor) -> Result<Vec<usize>, TrainError> {
    let not_classes = |detail: &str| {
        TrainError::InvalidOption(format!(
            "class_weight needs classes, but {detail}: use sample_weight for a regression"
        ))
    };
    match loss.target_kind() {
        TargetKind::ClassIndices => Ok(targets.values().iter().map(|&v| v as usize).collect()),
        TargetKind::OneHot => Ok(nt::argmax_axis(targets, targets.ndim() - 1)),
        TargetKind::SameAsOutput => {
            let values = targets.values();
            let per_row = values.len() / targets.shape()[0].max(1);
            if per_row != 1 {
                return Err(not_classes(&format!(
                    "{} trains {per_row} outputs per sample",
                    loss.name()
                )));
            }
            values
                .iter()
                .map(|&v| match v {
                    0.0 => Ok(0),
                    1.0 => Ok(1),
                    other => Err(not_classes(&format!("a target is {other}, not 0 or 1"))),
                })
                .collect()
        }
    }
}
