//! `Sequential::load_weights` on weights-only safetensors files, as PyTorch's
//! `safetensors.torch.save_file(model.state_dict(), path)` writes them: names matched to layers,
//! `Linear` weights transposed, and every kind of mismatch listed. The files are made here with
//! the safetensors crate (the format Python writes; `tests/python_safetensors.rs` checks Python's
//! own files).

use nnautograd::nntensor::Tensor;
use nnlayers::Sequential;
use safetensors::tensor::{Dtype, TensorView};
use std::path::{Path, PathBuf};

/// `(name, dtype, shape, little-endian bytes)`.
type Entry = (String, Dtype, Vec<usize>, Vec<u8>);

fn f32_entry(name: &str, shape: &[usize], values: &[f32]) -> Entry {
    let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    (name.to_string(), Dtype::F32, shape.to_vec(), bytes)
}

/// Values 0, 1, 2, ... scaled, so every element is distinct.
fn counting(n: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|i| i as f32 * scale).collect()
}

fn write(dir: &Path, entries: &[Entry]) -> PathBuf {
    let views: Vec<(String, TensorView<'_>)> = entries
        .iter()
        .map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    let path = dir.join("state_dict.safetensors");
    std::fs::write(&path, safetensors::serialize(views, None).unwrap()).unwrap();
    path
}

/// PyTorch's `nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))`, weights `(out, in)`.
fn torch_mlp() -> Vec<Entry> {
    vec![
        f32_entry("0.weight", &[3, 4], &counting(12, 0.5)),
        f32_entry("0.bias", &[3], &[0.1, 0.2, 0.3]),
        f32_entry("2.weight", &[2, 3], &counting(6, -0.25)),
        f32_entry("2.bias", &[2], &[1.0, -1.0]),
    ]
}

fn mlp() -> Sequential {
    Sequential::new(3)
        .linear(4, 3)
        .relu()
        .linear(3, 2)
        .softmax()
}

#[test]
fn pytorch_linear_weights_are_matched_in_order_and_transposed() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &torch_mlp());
    let mut model = mlp();
    model.load_weights(&path).unwrap();
    let p = model.parameters();
    // PyTorch's weight[o][i] is our weight[i][o].
    let torch_w = counting(12, 0.5);
    let ours = p[0].value().to_vec();
    assert_eq!(p[0].shape(), &[4, 3]);
    for o in 0..3 {
        for i in 0..4 {
            assert_eq!(ours[i * 3 + o], torch_w[o * 4 + i]);
        }
    }
    assert_eq!(p[1].value().to_vec(), vec![0.1, 0.2, 0.3]);
    assert_eq!(p[2].shape(), &[3, 2]);
    assert_eq!(p[3].value().to_vec(), vec![1.0, -1.0]);
}

#[test]
fn our_own_layer_names_match_by_name() {
    let dir = tempfile::tempdir().unwrap();
    // Written in nnfacade's names but PyTorch's layout, in scrambled order.
    let entries = vec![
        f32_entry("linear_2.bias", &[2], &[5.0, 6.0]),
        f32_entry("linear_1.weight", &[3, 4], &counting(12, 1.0)),
        f32_entry("linear_2.weight", &[2, 3], &counting(6, 1.0)),
        f32_entry("linear_1.bias", &[3], &[1.0, 2.0, 3.0]),
    ];
    let mut model = mlp();
    model.load_weights(write(dir.path(), &entries)).unwrap();
    assert_eq!(model.parameters()[3].value().to_vec(), vec![5.0, 6.0]);
}

#[test]
fn keys_sort_as_numbers_so_layer_10_comes_after_layer_2() {
    // Twelve Linear layers: PyTorch keys 0, 2, ..., 22 (ReLUs between); "10" < "2" as text.
    let dir = tempfile::tempdir().unwrap();
    let mut model = Sequential::new(0);
    let mut entries = Vec::new();
    for k in 0..12 {
        model = model.linear(2, 2).relu();
        let marker = k as f32;
        entries.push(f32_entry(
            &format!("{}.weight", 2 * k),
            &[2, 2],
            &[marker; 4],
        ));
        entries.push(f32_entry(&format!("{}.bias", 2 * k), &[2], &[marker; 2]));
    }
    model.load_weights(write(dir.path(), &entries)).unwrap();
    for (k, p) in model.parameters().iter().enumerate() {
        assert!(
            p.value().to_vec().iter().all(|&v| v == (k / 2) as f32),
            "parameter {k}"
        );
    }
}

#[test]
fn conv_batch_norm_and_float_types_load_with_num_batches_tracked_skipped() {
    // nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2))
    let dir = tempfile::tempdir().unwrap();
    let conv_w: Vec<f64> = (0..18).map(|i| i as f64 / 7.0).collect();
    let half_bias: Vec<u8> = [0.5f32, -2.0]
        .iter()
        .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
        .collect();
    let bf16_mean: Vec<u8> = [0.25f32, 3.0]
        .iter()
        .flat_map(|&v| half::bf16::from_f32(v).to_le_bytes())
        .collect();
    let entries = vec![
        (
            "0.weight".to_string(),
            Dtype::F64,
            vec![2, 1, 3, 3],
            conv_w.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ),
        ("0.bias".to_string(), Dtype::F16, vec![2], half_bias),
        f32_entry("1.weight", &[2], &[1.5, 2.5]),
        f32_entry("1.bias", &[2], &[0.0, 0.1]),
        (
            "1.running_mean".to_string(),
            Dtype::BF16,
            vec![2],
            bf16_mean,
        ),
        f32_entry("1.running_var", &[2], &[4.0, 9.0]),
        (
            "1.num_batches_tracked".to_string(),
            Dtype::I64,
            vec![],
            100i64.to_le_bytes().to_vec(),
        ),
        f32_entry("4.weight", &[2, 8], &counting(16, 0.1)),
        f32_entry("4.bias", &[2], &[0.0, 0.0]),
    ];
    let mut model = Sequential::new(0)
        .conv2d(1, 2, [3, 3])
        .batch_norm2d(2)
        .relu()
        .flatten()
        .linear(8, 2);
    model.load_weights(write(dir.path(), &entries)).unwrap();
    let p = model.parameters();
    let expected: Vec<f32> = conv_w.iter().map(|&v| v as f32).collect();
    assert_eq!(p[0].value().to_vec(), expected);
    assert_eq!(p[1].value().to_vec(), vec![0.5, -2.0]);
    assert_eq!(p[4].value().to_vec(), vec![0.25, 3.0]);
    assert_eq!(p[5].value().to_vec(), vec![4.0, 9.0]);
    assert_eq!(p[6].shape(), &[8, 2]);
}

#[test]
fn every_missing_unexpected_and_misshaped_tensor_is_listed_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let entries = vec![
        // Already in (in, out): PyTorch would have written (3, 4).
        f32_entry("0.weight", &[4, 3], &counting(12, 1.0)),
        f32_entry("0.bias", &[3], &[0.1, 0.2, 0.3]),
        f32_entry("2.weight", &[2, 3], &counting(6, 1.0)),
        f32_entry("2.extra", &[2], &[1.0, 1.0]),
        (
            "2.ids".to_string(),
            Dtype::I32,
            vec![1],
            7i32.to_le_bytes().to_vec(),
        ),
    ];
    let mut model = mlp();
    let before: Vec<Tensor> = model
        .parameters()
        .iter()
        .map(|p| p.value().clone())
        .collect();
    let err = model
        .load_weights(write(dir.path(), &entries))
        .unwrap_err()
        .to_string();
    for needle in [
        "state_dict.safetensors",
        "missing: `2.bias` for `linear_2.bias`",
        "unexpected: `2.extra`, `2.ids`",
        "`0.weight` is (4, 3) in the file, `linear_1.weight` needs (3, 4) (PyTorch's Linear weight is (out, in))",
        "0 → linear_1, 2 → linear_2",
        "left unchanged",
    ] {
        assert!(err.contains(needle), "`{needle}` not in: {err}");
    }
    let after: Vec<Tensor> = model
        .parameters()
        .iter()
        .map(|p| p.value().clone())
        .collect();
    assert_eq!(before, after);

    // A file for a smaller network: the layer with no key left is named.
    let mut bigger = Sequential::new(0)
        .linear(4, 3)
        .relu()
        .linear(3, 2)
        .linear(2, 2);
    let err = bigger
        .load_weights(write(dir.path(), &torch_mlp()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`linear_3.weight` (no layer key left in the file for `linear_3`)"),
        "{err}"
    );
}

#[test]
fn a_damaged_weights_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &torch_mlp());
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.safetensors");
    for len in [9, 20, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&cut, &bytes[..len]).unwrap();
        let err = mlp().load_weights(&cut).unwrap_err().to_string();
        assert!(
            err.contains("cut.safetensors") && err.contains("truncated"),
            "{len}: {err}"
        );
    }
}

#[test]
fn named_modules_need_a_mapping_and_load_with_one() {
    // A custom nn.Module with self.fc1 and self.fc2: names say nothing reliable about order.
    let dir = tempfile::tempdir().unwrap();
    let entries: Vec<Entry> = torch_mlp()
        .into_iter()
        .map(|(n, d, s, b)| (n.replace("0.", "fc1.").replace("2.", "fc2."), d, s, b))
        .collect();
    let path = write(dir.path(), &entries);
    let mut model = mlp();
    let err = model.load_weights(&path).unwrap_err().to_string();
    assert!(
        err.contains("neither positions in an nn.Sequential")
            && err.contains("load_weights_mapped"),
        "{err}"
    );
    model
        .load_weights_mapped(&path, &[("fc1", "linear_1"), ("fc2", "linear_2")])
        .unwrap();
    assert_eq!(model.parameters()[3].value().to_vec(), vec![1.0, -1.0]);
}
