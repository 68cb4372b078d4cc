//! Fuzzes the model-file and checkpoint decoders (format version 2 on safetensors, and version 1):
//! any bytes must give a model or an error, never a panic or an allocation the input cannot
//! justify; and whatever loads must save again and load back with the same layers, parameters
//! (bit for bit) and states.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nnlayers::{checkpoint_from_bytes, checkpoint_to_bytes, Sequential};

fn parameter_bits(model: &Sequential) -> Vec<(String, Vec<usize>, Vec<u32>)> {
    model
        .named_parameters()
        .into_iter()
        .map(|(n, p)| {
            let bits = p.value().to_vec().iter().map(|v| v.to_bits()).collect();
            (n, p.shape().to_vec(), bits)
        })
        .collect()
}

fn specs(model: &Sequential) -> Vec<Option<nnlayers::LayerSpec>> {
    model.layers().iter().map(|l| l.spec()).collect()
}

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = Sequential::from_bytes(data) {
        let bytes = model.to_bytes().expect("a model that loads must save");
        let again = Sequential::from_bytes(&bytes).expect("what we save must load");
        assert_eq!(specs(&again), specs(&model));
        assert_eq!(parameter_bits(&again), parameter_bits(&model));
    }
    if let Ok(checkpoint) = checkpoint_from_bytes(data) {
        let states: Vec<(&str, &nnlayers::nnautograd::StateDict)> = checkpoint
            .states
            .iter()
            .map(|(n, s)| (n.as_str(), s))
            .collect();
        let bytes = checkpoint_to_bytes(&checkpoint.model, &states)
            .expect("a checkpoint that loads must save");
        let again = checkpoint_from_bytes(&bytes).expect("what we save must load");
        assert_eq!(parameter_bits(&again.model), parameter_bits(&checkpoint.model));
        assert_eq!(specs(&again.model), specs(&checkpoint.model));
        for ((name_a, a), (name_b, b)) in again.states.iter().zip(&checkpoint.states) {
            assert_eq!(name_a, name_b);
            assert_eq!(a.integers, b.integers);
            let float_bits = |s: &nnlayers::nnautograd::StateDict| -> Vec<(String, u64)> {
                s.floats.iter().map(|(n, v)| (n.clone(), v.to_bits())).collect()
            };
            assert_eq!(float_bits(a), float_bits(b));
            assert_eq!(a.tensors.len(), b.tensors.len());
        }
        assert_eq!(again.states.len(), checkpoint.states.len());
    }
});
