//! Weights trained elsewhere: a weights-only safetensors file, such as a PyTorch `state_dict`
//! saved with `safetensors.torch.save_file(model.state_dict(), path)`, loaded into a model built
//! in code by [`Sequential::load_weights`].
//!
//! **Matching.** Each tensor name is split at its last `.` into a layer key and a parameter
//! (`0.weight` → `0`, `weight`; `features.3.bias` → `features.3`, `bias`). Layers match by
//! the mapping given to [`Sequential::load_weights_mapped`] (file key → layer name); else by
//! name, if every key is one of the model's layer names; else by position, if every key is a
//! position in an `nn.Sequential` (numbers, `0` or `1.3`): the keys in numeric order match the
//! model's layers that have parameters, in order. PyTorch's
//! `nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))` has keys `0` and `2`, which
//! match `linear_1` and `linear_2`. Other keys (`fc1`, `encoder.proj`) say nothing reliable
//! about order, so they need the mapping: the error says so.
//!
//! **Layouts.** PyTorch's `Linear.weight` is `(out, in)` and ours is `(in, out)`: it is
//! transposed. The other layers share PyTorch's layouts and names: `Conv2d` `(out, in, kh, kw)`
//! and `bias`; batch normalisation's `weight`, `bias`, `running_mean`, `running_var` (its integer
//! `num_batches_tracked` is skipped); `LayerNorm`'s `weight` and `bias`; `Embedding`'s
//! `(count, dim)` `weight`. `F32`, `F64`, `F16` and `BF16` tensors are converted to `f32`.
//!
//! Nothing changes unless every parameter is found with its shape; otherwise the error lists
//! every missing, unexpected, mis-shaped and unreadable tensor, and the matching used.

use crate::{ModelFileError, Sequential};
use nnautograd::nntensor::{transpose, Tensor};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::Path;

/// One of the model's parameters, as the matching sees it.
struct Wanted {
    layer: String,
    kind: &'static str,
    param: &'static str,
    shape: Vec<usize>,
}

/// Compares names with runs of digits as numbers: `fc2` < `fc10`, `2` < `10`; names equal that
/// way (`02`, `2`) by their bytes, so the order is total.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    natural_cmp_digits(a, b).then_with(|| a.cmp(b))
}

/// Whether a layer key is a position in (nested) `nn.Sequential`s: numbers joined by dots.
fn is_position(key: &str) -> bool {
    key.split('.')
        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

fn natural_cmp_digits(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let digits = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (digits(a), digits(b));
                let trim = |s: &[u8]| {
                    let zeros = s.iter().take_while(|&&c| c == b'0').count();
                    s[zeros..].to_vec()
                };
                let (ta, tb) = (trim(&a[..na]), trim(&b[..nb]));
                let order = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(&tb));
                if order != Ordering::Equal {
                    return order;
                }
                a = &a[na..];
                b = &b[nb..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

/// The tensor's values as `f32`, or why not.
fn to_f32(view: &TensorView<'_>) -> Result<Vec<f32>, String> {
    let data = view.data();
    let values: Vec<f32> = match view.dtype() {
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect(),
        Dtype::F64 => {
            let wide: Vec<f64> = data
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect();
            if let Some(v) = wide
                .iter()
                .find(|v| v.is_finite() && v.abs() > f32::MAX as f64)
            {
                return Err(format!("holds {v}, beyond the range of f32"));
            }
            wide.into_iter().map(|v| v as f32).collect()
        }
        Dtype::F16 => data
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        Dtype::BF16 => data
            .chunks_exact(2)
            .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        other => return Err(format!("is {other:?}, not a floating-point tensor")),
    };
    Ok(values)
}

fn shape_text(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("({})", dims.join(", "))
}

/// Loads the weights-only `file` into `model` (see the module documentation).
pub(crate) fn load(
    model: &mut Sequential,
    file: &SafeTensors<'_>,
    path: &Path,
    mapping: &[(&str, &str)],
) -> Result<(), ModelFileError> {
    let wanted: Vec<Wanted> = model
        .layers()
        .iter()
        .flat_map(|l| {
            l.parameter_names()
                .into_iter()
                .zip(l.parameters())
                .map(|(param, p)| Wanted {
                    layer: l.name().to_string(),
                    kind: l.kind(),
                    param,
                    shape: p.shape().to_vec(),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let mut layers: Vec<&str> = Vec::new();
    for w in &wanted {
        if layers.last() != Some(&w.layer.as_str()) {
            layers.push(&w.layer);
        }
    }

    let mut unexpected: Vec<String> = Vec::new();
    let mut keys: Vec<&str> = Vec::new();
    let mut names: Vec<&str> = file.names();
    names.sort_by(|a, b| natural_cmp(a, b));
    for name in &names {
        if name.ends_with(".num_batches_tracked") {
            continue;
        }
        match name.rsplit_once('.') {
            Some((key, _)) => {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            None => unexpected.push(format!("`{name}`")),
        }
    }
    let by_name = !keys.is_empty() && keys.iter().all(|k| layers.contains(k));
    let by_position = !keys.is_empty() && keys.iter().all(|k| is_position(k));
    let (key_of, matching): (HashMap<&str, &str>, String) = if !mapping.is_empty() {
        let map = mapping.iter().map(|&(key, layer)| (layer, key)).collect();
        (map, "by the mapping given".to_string())
    } else if by_name {
        (
            keys.iter().map(|k| (*k, *k)).collect(),
            "by layer name".to_string(),
        )
    } else if by_position {
        let pairs: Vec<String> = layers
            .iter()
            .zip(&keys)
            .map(|(l, k)| format!("{k} → {l}"))
            .collect();
        (
            layers.iter().copied().zip(keys.iter().copied()).collect(),
            format!(
                "by position, the file's layer keys to the model's layers with parameters: {}",
                pairs.join(", ")
            ),
        )
    } else {
        return Err(ModelFileError::StateDictMismatch {
            path: path.into(),
            detail: format!(
                "its layer keys {keys:?} are neither positions in an nn.Sequential (0, 2, ...) nor this model's layer names {layers:?}: say which is which with Sequential::load_weights_mapped(path, &[(\"{}\", \"{}\"), ...]); the model was left unchanged",
                keys.first().copied().unwrap_or("fc1"),
                layers.first().copied().unwrap_or("linear_1")
            ),
        });
    };

    let mut missing = Vec::new();
    let mut misshaped = Vec::new();
    let mut unreadable = Vec::new();
    let mut used: Vec<String> = Vec::new();
    let mut values = Vec::with_capacity(wanted.len());
    for w in &wanted {
        let ours = format!("{}.{}", w.layer, w.param);
        let Some(key) = key_of.get(w.layer.as_str()) else {
            missing.push(format!(
                "`{ours}` (no layer key left in the file for `{}`)",
                w.layer
            ));
            continue;
        };
        let theirs = format!("{key}.{}", w.param);
        let Ok(view) = file.tensor(&theirs) else {
            missing.push(format!("`{theirs}` for `{ours}`"));
            continue;
        };
        used.push(theirs.clone());
        let transposed = w.kind == "linear" && w.param == "weight";
        let file_shape = view.shape().to_vec();
        let expected: Vec<usize> = if transposed {
            w.shape.iter().rev().copied().collect()
        } else {
            w.shape.clone()
        };
        if file_shape != expected {
            let layout = if transposed {
                " (PyTorch's Linear weight is (out, in))"
            } else {
                ""
            };
            misshaped.push(format!(
                "`{theirs}` is {} in the file, `{ours}` needs {}{layout}",
                shape_text(&file_shape),
                shape_text(&expected)
            ));
            continue;
        }
        match to_f32(&view) {
            Ok(v) => {
                let t = Tensor::from_vec(file_shape, v).expect("shape checked by safetensors");
                values.push(if transposed { transpose(&t) } else { t });
            }
            Err(why) => unreadable.push(format!("`{theirs}` {why}")),
        }
    }
    for name in &names {
        let skipped = name.ends_with(".num_batches_tracked");
        if !skipped && name.contains('.') && !used.iter().any(|u| u == name) {
            unexpected.push(format!("`{name}`"));
        }
    }
    if missing.is_empty() && misshaped.is_empty() && unreadable.is_empty() && unexpected.is_empty()
    {
        for (param, value) in model.parameters_mut().into_iter().zip(values) {
            param.set(value);
        }
        return Ok(());
    }
    let mut parts = Vec::new();
    for (label, list) in [
        ("missing", &missing),
        ("unexpected", &unexpected),
        ("mis-shaped", &misshaped),
        ("unreadable", &unreadable),
    ] {
        if !list.is_empty() {
            parts.push(format!("{label}: {}", list.join(", ")));
        }
    }
    Err(ModelFileError::StateDictMismatch {
        path: path.into(),
        detail: format!(
            "{} (tensors matched {matching}); the model was left unchanged",
            parts.join("; ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;
    use std::cmp::Ordering;

    #[test]
    fn digits_compare_as_numbers() {
        assert_eq!(natural_cmp("2", "10"), Ordering::Less);
        assert_eq!(natural_cmp("fc10", "fc2"), Ordering::Greater);
        assert_eq!(natural_cmp("layer.02", "layer.2"), Ordering::Less);
        assert_eq!(natural_cmp("a", "b"), Ordering::Less);
        let mut keys = vec!["10.weight", "2.weight", "0.bias"];
        keys.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(keys, ["0.bias", "2.weight", "10.weight"]);
    }
}
