//! Fuzzes the IDX reader on raw and gzipped input: any bytes must give an array or an error,
//! never a panic, a hang or an allocation the input cannot justify.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(array) = nndata::decode_idx(data) {
        // What decodes must describe itself consistently.
        assert_eq!(array.dims.iter().product::<usize>(), array.len());
    }
});
