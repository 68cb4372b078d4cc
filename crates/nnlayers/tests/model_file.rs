//! Model files: round trips and every way a file can be wrong, in format version 2 (safetensors,
//! what this build writes) and version 1 (the committed files in `tests/fixtures/v1`, written by
//! nnfacade before version 2; see the README there).

use nnautograd::nntensor::{Rng, Tensor};
use nnautograd::{StateDict, Tape};
use nnlayers::*;
use safetensors::tensor::{SafeTensors, TensorView};
use std::collections::HashMap;
use std::path::Path;

fn model() -> Sequential {
    Sequential::new(5)
        .flatten()
        .linear(12, 8)
        .relu()
        .dropout(0.25)
        .linear(8, 3)
        .softmax()
}

fn predict(model: &Sequential, x: &Tensor) -> Tensor {
    let tape = Tape::new();
    tape.no_grad(|| {
        model
            .forward(tape.constant(x.clone()), &mut Context::eval())
            .to_tensor()
    })
}

fn saved(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("model.nnf");
    model().save(&path).unwrap();
    path
}

fn load_err(path: &Path) -> String {
    Sequential::load(path).unwrap_err().to_string()
}

#[test]
fn save_then_load_predicts_identically_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path());
    let loaded = Sequential::load(&path).unwrap();
    let mut rng = Rng::seed_from(1);
    let x = Tensor::from_fn(vec![7, 3, 4], || rng.uniform(0.0, 1.0));
    let (a, b) = (predict(&model(), &x), predict(&loaded, &x));
    assert!(a
        .values()
        .iter()
        .zip(b.values().iter())
        .all(|(p, q)| p.to_bits() == q.to_bits()));
    let names: Vec<&str> = loaded.layers().iter().map(|l| l.name()).collect();
    assert_eq!(
        names,
        [
            "flatten_1",
            "linear_1",
            "relu_1",
            "dropout_1",
            "linear_2",
            "softmax_1"
        ]
    );
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn checkpoints_carry_named_states() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ckpt.nnf");
    let mut state = StateDict::default();
    state.set_integer("step", 42);
    state.set_float("lr", 0.001);
    state.set_tensor("m.0", Tensor::ones(vec![12, 8]));
    save_checkpoint(&path, &model(), &[("optimizer", &state)]).unwrap();
    let ckpt = load_checkpoint(&path).unwrap();
    assert_eq!(ckpt.state("optimizer"), Some(&state));
    assert!(load_err(&path).contains("this is a checkpoint file, expected a model file"));
}

#[test]
fn weights_of_another_architecture_are_refused_by_name_and_shape() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path());
    let mut wider = Sequential::new(0)
        .flatten()
        .linear(12, 9)
        .relu()
        .dropout(0.25)
        .linear(9, 3)
        .softmax();
    let before = wider.parameters()[0].value().clone();
    let err = wider.load_weights(&path).unwrap_err().to_string();
    assert!(
        err.contains(
            "parameter `linear_1.weight` has shape [12, 8] in the file but [12, 9] in the model"
        ),
        "{err}"
    );
    assert_eq!(
        wider.parameters()[0].value(),
        &before,
        "a failed load must leave the model unchanged"
    );
    let mut shorter = Sequential::new(0).linear(12, 8);
    assert!(shorter
        .load_weights(&path)
        .unwrap_err()
        .to_string()
        .contains("different architecture"));
    let mut same = Sequential::new(99)
        .flatten()
        .linear(12, 8)
        .relu()
        .dropout(0.25)
        .linear(8, 3)
        .softmax();
    same.load_weights(&path).unwrap();
    assert_eq!(
        same.parameters()[0].value(),
        model().parameters()[0].value()
    );
}

#[test]
fn custom_layers_cannot_be_saved_and_say_so() {
    #[derive(Debug)]
    struct Square;
    impl Module for Square {
        fn kind(&self) -> &'static str {
            "square"
        }
        fn name(&self) -> &str {
            "square"
        }
        fn set_name(&mut self, _: String) {}
        fn forward<'t>(&self, x: nnautograd::Var<'t>, _: &mut Context) -> nnautograd::Var<'t> {
            x * x
        }
        fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, ShapeError> {
            Ok(input.to_vec())
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let err = Sequential::new(0)
        .add(Square)
        .save(dir.path().join("m.nnf"))
        .unwrap_err();
    assert!(err.to_string().contains("custom layer"), "{err}");
}

#[test]
fn a_missing_file_names_the_path() {
    let err = Sequential::load("/nonexistent/dir/model.nnf")
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/dir/model.nnf"), "{err}");
}

#[test]
fn state_section_names_must_be_usable() {
    let dir = tempfile::tempdir().unwrap();
    let state = StateDict::default();
    for bad in ["model", "a/b", ""] {
        let err =
            save_checkpoint(dir.path().join("c.nnf"), &model(), &[(bad, &state)]).unwrap_err();
        assert!(
            err.to_string().contains("cannot save a state section"),
            "{bad}: {err}"
        );
    }
    let err = save_checkpoint(
        dir.path().join("c.nnf"),
        &model(),
        &[("opt", &state), ("opt", &state)],
    )
    .unwrap_err();
    assert!(err.to_string().contains("must be unique"));
}

#[test]
fn a_layer_named_after_its_kind_loads_back_under_that_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.nnf");
    let mut layer = Linear::new(2, 2, &mut Rng::seed_from(0));
    layer.set_name("custom_dense".into());
    let mut m = Sequential::new(0);
    m.push(Box::new(layer));
    m.save(&path).unwrap();
    assert_eq!(
        Sequential::load(&path).unwrap().layers()[0].name(),
        "custom_dense"
    );
}

#[test]
fn concurrent_saves_to_one_path_never_tear_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.nnf");
    std::thread::scope(|s| {
        for seed in 0..4 {
            let path = path.clone();
            s.spawn(move || {
                for _ in 0..10 {
                    Sequential::new(seed).linear(30, 20).save(&path).unwrap();
                }
            });
        }
    });
    let loaded = Sequential::load(&path).unwrap();
    let candidates: Vec<Tensor> = (0..4)
        .map(|s| {
            Sequential::new(s).linear(30, 20).parameters()[0]
                .value()
                .clone()
        })
        .collect();
    assert!(candidates.contains(loaded.parameters()[0].value()));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left behind"
    );
}

#[test]
fn layer_norm_embedding_and_new_activations_survive_save_and_load() {
    let network = Sequential::new(11)
        .embedding(7, 4)
        .layer_norm(&[4])
        .activation(ActivationFn::Gelu)
        .flatten()
        .linear(12, 6)
        .activation(ActivationFn::Elu { alpha: 0.5 })
        .activation(ActivationFn::Hardtanh {
            min: -0.5,
            max: 0.5,
        })
        .layer_norm(&[6])
        .activation(ActivationFn::Identity)
        .linear(6, 2);
    // Train-like change to the norm's parameters, so loading must restore them.
    let mut network = network;
    for p in network.parameters_mut() {
        let bumped = p.value() * 1.1 + 0.01;
        p.set(bumped);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("text.nnf");
    network.save(&path).unwrap();
    let loaded = Sequential::load(&path).unwrap();
    let ids = Tensor::from_vec([2, 3], vec![0., 6., 2., 3., 3., 1.]).unwrap();
    let (a, b) = (predict(&network, &ids), predict(&loaded, &ids));
    assert_eq!(a, b);
    let kinds: Vec<&str> = loaded.layers().iter().map(|l| l.kind()).collect();
    assert_eq!(
        kinds,
        [
            "embedding",
            "layer_norm",
            "gelu",
            "flatten",
            "linear",
            "elu",
            "hardtanh",
            "layer_norm",
            "identity",
            "linear"
        ]
    );
    assert_eq!(loaded.parameter_count(), network.parameter_count());
}

fn v1_fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/v1")
        .join(name);
    std::fs::read(path).unwrap()
}

fn load_bytes_err(bytes: &[u8]) -> String {
    Sequential::from_bytes(bytes).unwrap_err().to_string()
}

/// The checksum version 2 keeps in its metadata, as `file_v2`'s documentation defines it.
fn v2_checksum(meta: &HashMap<String, String>, tensors: &mut [(String, &[u8])]) -> u32 {
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    let mut hasher = crc32fast::Hasher::new();
    for key in ["kind", "layers", "states"] {
        hasher.update(&(meta[key].len() as u64).to_le_bytes());
        hasher.update(meta[key].as_bytes());
    }
    for (name, data) in tensors.iter() {
        hasher.update(&(name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update(data);
    }
    hasher.finalize()
}

/// A version-2 file with its metadata edited and its checksum made valid again, so that only the
/// checks after the checksum can catch the edit.
fn rewrite_v2(bytes: &[u8], edit: impl FnOnce(&mut HashMap<String, String>)) -> Vec<u8> {
    let file = SafeTensors::deserialize(bytes).unwrap();
    let (_, metadata) = SafeTensors::read_metadata(bytes).unwrap();
    let mut meta: HashMap<String, String> =
        metadata.metadata().clone().unwrap().into_iter().collect();
    edit(&mut meta);
    let views: Vec<(String, TensorView<'_>)> = file.tensors();
    let mut for_crc: Vec<(String, &[u8])> =
        views.iter().map(|(n, v)| (n.clone(), v.data())).collect();
    let crc = v2_checksum(&meta, &mut for_crc);
    meta.insert("crc32".into(), crc.to_string());
    safetensors::serialize(views, Some(meta.into_iter().collect())).unwrap()
}

#[test]
fn the_file_is_safetensors_with_the_architecture_in_its_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(saved(dir.path())).unwrap();
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let mut names = file.names();
    names.sort();
    assert_eq!(
        names,
        [
            "model/linear_1.bias",
            "model/linear_1.weight",
            "model/linear_2.bias",
            "model/linear_2.weight"
        ]
    );
    let weight = file.tensor("model/linear_1.weight").unwrap();
    assert_eq!(weight.shape(), &[12, 8]);
    let values: Vec<f32> = weight
        .data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(values, model().parameters()[0].value().to_vec());
    let (_, metadata) = SafeTensors::read_metadata(&bytes).unwrap();
    let meta = metadata.metadata().clone().unwrap();
    assert_eq!(meta["format"], "nnfacade");
    assert_eq!(meta["format_version"], FORMAT_VERSION.to_string());
    assert_eq!(meta["kind"], "model");
    assert!(
        meta["layers"].contains("\"Linear\":{\"name\":\"linear_1\",\"inputs\":12,\"outputs\":8"),
        "{}",
        meta["layers"]
    );
}

#[test]
fn every_truncation_is_an_error_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    for bytes in [
        std::fs::read(saved(dir.path())).unwrap(),
        v1_fixture("model.nnf"),
    ] {
        for len in 0..bytes.len() {
            let msg = load_bytes_err(&bytes[..len]);
            assert!(
                msg.contains("truncated") || msg.contains("corrupt"),
                "length {len}: {msg}"
            );
        }
        let msg = load_bytes_err(&bytes[..bytes.len() - 100]);
        assert!(msg.contains("is truncated"), "{msg}");
    }
    let path = dir.path().join("cut.nnf");
    std::fs::write(&path, &std::fs::read(saved(dir.path())).unwrap()[..50]).unwrap();
    let msg = load_err(&path);
    assert!(
        msg.contains("cut.nnf") && msg.contains("is truncated"),
        "{msg}"
    );
}

#[test]
fn another_format_or_a_newer_version() {
    let msg = load_bytes_err(b"\x89PNG\r\n\x1a\n and then some more bytes to look like a file");
    assert!(msg.contains("not an nnfacade model file"), "{msg}");

    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(saved(dir.path())).unwrap();
    let newer = rewrite_v2(&bytes, |m| {
        m.insert("format_version".into(), "7".into());
    });
    let msg = load_bytes_err(&newer);
    assert!(
        msg.contains("format version 7 is newer than this build reads (up to 2)"),
        "{msg}"
    );

    let mut v1 = v1_fixture("model.nnf");
    v1[8..12].copy_from_slice(&7u32.to_le_bytes());
    let msg = load_bytes_err(&v1);
    assert!(
        msg.contains("format version 7 is newer than this build reads (up to 2)"),
        "{msg}"
    );
}

#[test]
fn flipped_bits_and_trailing_bytes_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    for (bytes, first) in [
        (std::fs::read(saved(dir.path())).unwrap(), 0),
        (v1_fixture("model.nnf"), 24),
    ] {
        for at in (first..bytes.len()).step_by(3) {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x10;
            assert!(
                Sequential::from_bytes(&damaged).is_err(),
                "a flipped bit at byte {at} of {} went unnoticed",
                bytes.len()
            );
        }
        let mut longer = bytes.clone();
        longer.extend_from_slice(&[0; 8]);
        let msg = load_bytes_err(&longer);
        assert!(
            msg.contains("corrupt") && msg.contains("8 unexpected bytes"),
            "{msg}"
        );
    }
}

#[test]
fn a_header_claiming_huge_layers_is_refused_without_allocating() {
    // The one Linear layer claims 2^31 × 2^31 weights but the tensors are tiny; the checksum is
    // valid, so the parameter count, not the checksum, must catch it.
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(saved(dir.path())).unwrap();
    let bad = rewrite_v2(&good, |m| {
        let layers = m["layers"].replace(
            "\"inputs\":12,\"outputs\":8",
            "\"inputs\":2147483648,\"outputs\":2147483648",
        );
        assert_ne!(layers, m["layers"]);
        m.insert("layers".into(), layers);
    });
    let msg = load_bytes_err(&bad);
    assert!(msg.contains("the layers declare"), "{msg}");

    // Version 1: inflate the fixed-width u64 inputs=12 / outputs=8 of linear_1, fix the CRC.
    let mut v1 = v1_fixture("model.nnf");
    let needle: Vec<u8> = [12u64.to_le_bytes(), 8u64.to_le_bytes()].concat();
    let at = v1
        .windows(16)
        .position(|w| w == needle.as_slice())
        .expect("linear_1 spec in header");
    v1[at..at + 8].copy_from_slice(&(1u64 << 31).to_le_bytes());
    v1[at + 8..at + 16].copy_from_slice(&(1u64 << 31).to_le_bytes());
    let body_end = v1.len() - 4;
    let crc = crc32fast::hash(&v1[8..body_end]);
    v1[body_end..].copy_from_slice(&crc.to_le_bytes());
    let msg = load_bytes_err(&v1);
    assert!(msg.contains("the layers declare"), "{msg}");
}

#[test]
fn layers_that_do_not_fit_each_other_are_refused() {
    // Rewrite linear_1 from (4 → 8) to (3 → 10): 40 values either way, so only the chain check
    // (linear_2 takes 8 features) can catch it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.nnf");
    Sequential::new(0)
        .linear(4, 8)
        .relu()
        .linear(8, 3)
        .save(&path)
        .unwrap();
    let bad = rewrite_v2(&std::fs::read(&path).unwrap(), |m| {
        let layers =
            m["layers"].replace("\"inputs\":4,\"outputs\":8", "\"inputs\":3,\"outputs\":10");
        m.insert("layers".into(), layers);
    });
    let expected = "layer `linear_2` takes 8 features but `linear_1` before it gives 10";
    let msg = load_bytes_err(&bad);
    assert!(msg.contains(expected), "{msg}");

    let mut v1 = v1_fixture("chain.nnf");
    let needle: Vec<u8> = [4u64.to_le_bytes(), 8u64.to_le_bytes()].concat();
    let at = v1.windows(16).position(|w| w == needle.as_slice()).unwrap();
    v1[at..at + 8].copy_from_slice(&3u64.to_le_bytes());
    v1[at + 8..at + 16].copy_from_slice(&10u64.to_le_bytes());
    let body_end = v1.len() - 4;
    let crc = crc32fast::hash(&v1[8..body_end]);
    v1[body_end..].copy_from_slice(&crc.to_le_bytes());
    let msg = load_bytes_err(&v1);
    assert!(msg.contains(expected), "{msg}");
}

#[test]
fn version_1_files_still_load() {
    let loaded = Sequential::from_bytes(&v1_fixture("model.nnf")).unwrap();
    let mut rng = Rng::seed_from(1);
    let x = Tensor::from_fn(vec![7, 3, 4], || rng.uniform(0.0, 1.0));
    assert_eq!(
        predict(&model(), &x).to_vec(),
        predict(&loaded, &x).to_vec()
    );
    let ckpt = checkpoint_from_bytes(&v1_fixture("checkpoint.nnf")).unwrap();
    let mut state = StateDict::default();
    state.set_integer("step", 42);
    state.set_float("lr", 0.001);
    state.set_tensor("m.0", Tensor::ones(vec![12, 8]));
    assert_eq!(ckpt.state("optimizer"), Some(&state));
    // Saved again, it is a version-2 file with the same contents.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upgraded.nnf");
    save_checkpoint(&path, &ckpt.model, &[("optimizer", &state)]).unwrap();
    let again = load_checkpoint(&path).unwrap();
    assert_eq!(again.state("optimizer"), Some(&state));
    assert_eq!(
        predict(&again.model, &x).to_vec(),
        predict(&loaded, &x).to_vec()
    );
}

#[test]
fn states_keep_every_float_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.nnf");
    let mut state = StateDict::default();
    for (i, v) in [
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.1,
        -0.0,
        f64::MIN_POSITIVE,
        1e300,
    ]
    .into_iter()
    .enumerate()
    {
        state.set_float(&format!("f{i}"), v);
    }
    state.set_integer("big", u64::MAX);
    save_checkpoint(&path, &model(), &[("loop", &state)]).unwrap();
    let back = load_checkpoint(&path).unwrap();
    let floats = &back.state("loop").unwrap().floats;
    for ((_, a), (_, b)) in floats.iter().zip(&state.floats) {
        assert_eq!(a.to_bits(), b.to_bits());
    }
    assert_eq!(back.state("loop").unwrap().integers, state.integers);
}

#[test]
fn a_weights_only_file_is_not_a_model() {
    // What PyTorch's save_file writes: tensors, no nnfacade metadata.
    let w = vec![0u8; 4 * 6];
    let view = TensorView::new(safetensors::Dtype::F32, vec![2, 3], &w).unwrap();
    let bytes = safetensors::serialize([("0.weight", view)], None).unwrap();
    let msg = load_bytes_err(&bytes);
    assert!(
        msg.contains("weights only") && msg.contains("load_weights"),
        "{msg}"
    );
}

#[test]
fn saving_into_a_missing_directory_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("runs");
    let err = model()
        .save(missing.join("model.nnf"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("does not exist") && err.contains("runs"),
        "{err}"
    );
}

#[test]
fn the_same_model_always_gives_the_same_bytes() {
    // (safetensors::serialize would not: it writes the metadata from a HashMap.)
    let mut state = StateDict::default();
    state.set_float("lr", 0.5);
    state.set_tensor("m.0", Tensor::ones(vec![2]));
    let first = checkpoint_to_bytes(&model(), &[("optimizer", &state)]).unwrap();
    for _ in 0..20 {
        assert_eq!(
            checkpoint_to_bytes(&model(), &[("optimizer", &state)]).unwrap(),
            first
        );
    }
    assert_eq!(&first[8..24], b"{\"__metadata__\":");
}

#[test]
fn two_layers_with_one_name_cannot_be_saved() {
    let mut m = Sequential::new(0);
    for _ in 0..2 {
        let mut layer = Linear::new(2, 2, &mut Rng::seed_from(0));
        layer.set_name("dense".into());
        m.push(Box::new(layer));
    }
    let err = m.to_bytes().unwrap_err().to_string();
    assert!(
        err.contains("cannot save: two tensors would be named `model/dense.bias`"),
        "{err}"
    );
}

#[test]
fn offsets_near_2_pow_64_and_unsavable_section_names_are_corrupt() {
    let header = format!(
        "{{\"x\":{{\"dtype\":\"U8\",\"shape\":[{m}],\"data_offsets\":[0,{m}]}}}}",
        m = u64::MAX
    );
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&[0; 16]);
    let msg = load_bytes_err(&bytes);
    assert!(msg.contains("corrupt") && msg.contains("overflow"), "{msg}");

    // A checkpoint whose state is named `model` would load but could not be saved again.
    let mut state = StateDict::default();
    state.set_integer("step", 1);
    let good = checkpoint_to_bytes(&model(), &[("optimizer", &state)]).unwrap();
    let bad = rewrite_v2(&good, |m| {
        let states = m["states"].replace("\"name\":\"optimizer\"", "\"name\":\"model\"");
        m.insert("states".into(), states);
    });
    let msg = checkpoint_from_bytes(&bad).unwrap_err().to_string();
    assert!(msg.contains("a saved state is named `model`"), "{msg}");
}

#[test]
fn a_normalization_layer_is_saved_with_its_statistics() {
    let mean = Tensor::from_vec([3], vec![10.0, -2.0, 0.5]).unwrap();
    let std = Tensor::from_vec([3], vec![4.0, 0.25, 1.0]).unwrap();
    let network = Sequential::new(2)
        .normalization(&mean, &std)
        .linear(3, 2)
        .softmax();
    let bytes = network.to_bytes().unwrap();
    let loaded = Sequential::from_bytes(&bytes).unwrap();
    let raw = Tensor::from_vec([2, 3], vec![12.0, -2.5, 0.0, 3.0, 1.0, 9.0]).unwrap();
    assert_eq!(
        predict(&network, &raw).to_vec(),
        predict(&loaded, &raw).to_vec()
    );
    assert_eq!(loaded.layers()[0].kind(), "normalization");
    assert_eq!(loaded.parameter_count(), network.parameter_count());
    // A zero std in the file is refused, not divided by.
    let bad = rewrite_v2(&bytes, |m| {
        let layers = m["layers"].replace("\"std\":[4.0,0.25,1.0]", "\"std\":[4.0,0.0,1.0]");
        assert_ne!(layers, m["layers"]);
        m.insert("layers".into(), layers);
    });
    let msg = load_bytes_err(&bad);
    assert!(msg.contains("invalid layer configuration"), "{msg}");
    // It must fit the layer after it.
    let wrong = rewrite_v2(&bytes, |m| {
        let layers = m["layers"]
            .replace("\"shape\":[3]", "\"shape\":[1]")
            .replace("\"mean\":[10.0,-2.0,0.5]", "\"mean\":[10.0]")
            .replace("\"std\":[4.0,0.25,1.0]", "\"std\":[4.0]");
        m.insert("layers".into(), layers);
    });
    let msg = load_bytes_err(&wrong);
    assert!(
        msg.contains("takes 3 features but `normalization_1` before it gives 1"),
        "{msg}"
    );
}

#[test]
fn a_header_claiming_a_terabyte_tensor_is_truncation_not_an_allocation() {
    let header = format!(
        "{{\"model/linear_1.weight\":{{\"dtype\":\"F32\",\"shape\":[{n}],\"data_offsets\":[0,{b}]}}}}",
        n = 1u64 << 38,
        b = 1u64 << 40
    );
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&[0; 64]);
    let msg = load_bytes_err(&bytes);
    assert!(
        msg.contains("is truncated") && msg.contains("1099511627"),
        "{msg}"
    );
}
