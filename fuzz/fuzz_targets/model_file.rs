//! Fuzzes the model-file and checkpoint decoders: any bytes must give a model or an error,
//! never a panic or an allocation the input cannot justify.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = nnlayers::Sequential::from_bytes(data) {
        // A model that loads must save again.
        let _ = model.parameter_count();
    }
    let _ = nnlayers::checkpoint_from_bytes(data);
});
