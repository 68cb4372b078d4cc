//! Model files: round trips and every way a file can be wrong.

use nnautograd::nntensor::{Rng, Tensor};
use nnautograd::{StateDict, Tape};
use nnlayers::*;
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
fn every_truncation_is_an_error_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(saved(dir.path())).unwrap();
    let path = dir.path().join("cut.nnf");
    for len in 0..bytes.len() {
        std::fs::write(&path, &bytes[..len]).unwrap();
        let msg = load_err(&path);
        assert!(
            msg.contains("truncated") || msg.contains("corrupt"),
            "length {len}: {msg}"
        );
    }
    std::fs::write(&path, &bytes[..bytes.len() - 100]).unwrap();
    assert!(
        load_err(&path).contains("is truncated"),
        "{}",
        load_err(&path)
    );
}

#[test]
fn another_format_or_a_newer_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(saved(dir.path())).unwrap();
    let path = dir.path().join("other.nnf");
    std::fs::write(
        &path,
        b"\x89PNG\r\n\x1a\n and then some more bytes to look like a file",
    )
    .unwrap();
    assert!(load_err(&path).contains("not an nnfacade model file"));
    bytes[8..12].copy_from_slice(&7u32.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let msg = load_err(&path);
    assert!(
        msg.contains("format version 7 is newer than this build reads (up to 1)"),
        "{msg}"
    );
}

#[test]
fn flipped_bits_and_trailing_bytes_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(saved(dir.path())).unwrap();
    let path = dir.path().join("bad.nnf");
    for at in (24..bytes.len()).step_by(7) {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x10;
        std::fs::write(&path, &damaged).unwrap();
        assert!(
            Sequential::load(&path).is_err(),
            "a flipped bit at byte {at} went unnoticed"
        );
    }
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0; 8]);
    std::fs::write(&path, &longer).unwrap();
    assert!(load_err(&path).contains("corrupt"));
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
fn a_header_claiming_huge_layers_is_refused_without_allocating() {
    // Hand-build a file whose one Linear layer claims 2^31 × 2^31 weights but whose tensors are tiny.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.nnf");
    let good = std::fs::read(saved(dir.path())).unwrap();
    // Find the encoded inputs=12 / outputs=8 of linear_1 (fixed-width u64 little-endian) and inflate them.
    let needle: Vec<u8> = [12u64.to_le_bytes(), 8u64.to_le_bytes()].concat();
    let at = good
        .windows(16)
        .position(|w| w == needle.as_slice())
        .expect("linear_1 spec in header");
    let mut bad = good.clone();
    bad[at..at + 8].copy_from_slice(&(1u64 << 31).to_le_bytes());
    bad[at + 8..at + 16].copy_from_slice(&(1u64 << 31).to_le_bytes());
    // Fix the checksum so the size checks, not the CRC, must catch it.
    let body_end = bad.len() - 4;
    let crc = crc32(&bad[8..body_end]);
    bad[body_end..].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(&path, &bad).unwrap();
    let msg = load_err(&path);
    assert!(msg.contains("the layers declare"), "{msg}");
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
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
    let mut bytes = std::fs::read(&path).unwrap();
    let needle: Vec<u8> = [4u64.to_le_bytes(), 8u64.to_le_bytes()].concat();
    let at = bytes
        .windows(16)
        .position(|w| w == needle.as_slice())
        .unwrap();
    bytes[at..at + 8].copy_from_slice(&3u64.to_le_bytes());
    bytes[at + 8..at + 16].copy_from_slice(&10u64.to_le_bytes());
    let body_end = bytes.len() - 4;
    let crc = crc32(&bytes[8..body_end]);
    bytes[body_end..].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let msg = load_err(&path);
    assert!(
        msg.contains("layer `linear_2` takes 8 features but `linear_1` before it gives 10"),
        "{msg}"
    );
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
