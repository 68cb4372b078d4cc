//! Round trips with Python's `safetensors` package (and numpy): our model files read in Python
//! with identical values and metadata, and a state_dict written in Python loaded here with
//! identical values. Skipped without them, unless NNFACADE_REQUIRE_SAFETENSORS is set (`.ci/run`
//! installs both and sets it, so CI cannot pass without running these).

use nnautograd::nntensor::Tensor;
use nnautograd::StateDict;
use nnlayers::{save_checkpoint, Sequential};
use std::path::Path;
use std::process::Command;

/// Whether python3 imports safetensors and numpy; panics if not and the variable is set.
fn python_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import safetensors.numpy, numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("NNFACADE_REQUIRE_SAFETENSORS").is_none(),
            "NNFACADE_REQUIRE_SAFETENSORS is set but python3 cannot import safetensors and numpy (pip install safetensors numpy)"
        );
        eprintln!("skipped: python3 with safetensors and numpy not found");
    }
    ok
}

/// Runs `script` with `args`; its stdout parsed as JSON.
fn python(script: &str, args: &[&Path]) -> serde_json::Value {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn bits(t: &Tensor) -> Vec<u64> {
    t.to_vec().iter().map(|v| v.to_bits() as u64).collect()
}

fn json_bits(v: &serde_json::Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap())
        .collect()
}

const READ_OURS: &str = r#"
import json, sys
from safetensors import safe_open
from safetensors.numpy import load_file
tensors = load_file(sys.argv[1])
with safe_open(sys.argv[1], "np") as f:
    metadata = f.metadata()
print(json.dumps({
    "tensors": {k: {"dtype": str(v.dtype), "shape": list(v.shape), "bits": v.view("uint32").ravel().tolist()}
                for k, v in tensors.items()},
    "metadata": metadata,
}))
"#;

#[test]
fn python_reads_our_files_with_identical_values() {
    if !python_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model = Sequential::new(7)
        .conv2d(1, 2, [3, 3])
        .batch_norm2d(2)
        .relu()
        .flatten()
        .linear(8, 3)
        .softmax();
    let mut state = StateDict::default();
    state.set_integer("step", 3);
    state.set_tensor("m.0", Tensor::full(vec![2, 1, 3, 3], 0.5));
    let path = dir.path().join("ckpt.nnf");
    save_checkpoint(&path, &model, &[("optimizer", &state)]).unwrap();
    let read = python(READ_OURS, &[&path]);
    let tensors = read["tensors"].as_object().unwrap();
    assert_eq!(tensors.len(), model.parameters().len() + 1);
    for (name, param) in model.named_parameters() {
        let t = &tensors[&format!("model/{name}")];
        assert_eq!(t["dtype"], "float32", "{name}");
        let shape: Vec<usize> = t["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(shape, param.shape(), "{name}");
        assert_eq!(json_bits(&t["bits"]), bits(param.value()), "{name}");
    }
    assert_eq!(
        json_bits(&tensors["optimizer/m.0"]["bits"]),
        bits(&Tensor::full(vec![2, 1, 3, 3], 0.5))
    );
    let meta = &read["metadata"];
    assert_eq!(meta["format"], "nnfacade");
    assert_eq!(meta["kind"], "checkpoint");
    let layers: serde_json::Value = serde_json::from_str(meta["layers"].as_str().unwrap()).unwrap();
    assert_eq!(layers.as_array().unwrap().len(), 6);
}

const WRITE_STATE_DICT: &str = r#"
import json, sys
import numpy as np
from safetensors.numpy import save_file
rng = np.random.default_rng(0)
state = {
    "0.weight": rng.standard_normal((3, 4)),                      # float64
    "0.bias": rng.standard_normal(3).astype(np.float16),
    "2.weight": rng.standard_normal((2, 3)).astype(np.float32),
    "2.bias": rng.standard_normal(2).astype(np.float32),
}
save_file(state, sys.argv[1])
print(json.dumps({k: {"shape": list(v.shape), "bits": v.astype(np.float32).view("uint32").ravel().tolist()}
                  for k, v in state.items()}))
"#;

#[test]
fn a_state_dict_written_by_python_loads_with_identical_values() {
    if !python_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state_dict.safetensors");
    let written = python(WRITE_STATE_DICT, &[&path]);
    let mut model = Sequential::new(0).linear(4, 3).relu().linear(3, 2);
    model.load_weights(&path).unwrap();
    let p = model.parameters();
    // Linear weights come back transposed: compare against the transpose of Python's.
    let transpose = |bits: Vec<u64>, rows: usize, cols: usize| -> Vec<u64> {
        (0..cols)
            .flat_map(|c| (0..rows).map(move |r| (r, c)))
            .map(|(r, c)| bits[r * cols + c])
            .collect()
    };
    assert_eq!(
        bits(p[0].value()),
        transpose(json_bits(&written["0.weight"]["bits"]), 3, 4)
    );
    assert_eq!(bits(p[1].value()), json_bits(&written["0.bias"]["bits"]));
    assert_eq!(
        bits(p[2].value()),
        transpose(json_bits(&written["2.weight"]["bits"]), 2, 3)
    );
    assert_eq!(bits(p[3].value()), json_bits(&written["2.bias"]["bits"]));
}
