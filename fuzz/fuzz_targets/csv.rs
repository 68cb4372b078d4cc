//! Fuzzes the CSV table reader: any bytes must give a dataset or an error, never a panic; a
//! dataset has as many target rows as feature rows and only finite values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nndata::csv::{csv_from_bytes, CategoryEncoding, CsvOptions, Missing};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let plain = CsvOptions::default();
    let filled = CsvOptions {
        has_header: false,
        missing: Missing::Mean,
        categories: CategoryEncoding::Index,
        ..Default::default()
    };
    for options in [plain, filled] {
        if let Ok(table) = csv_from_bytes(data, Path::new("fuzz.csv"), &options) {
            let (x, y) = (table.dataset.inputs(), table.dataset.targets());
            assert_eq!(x.shape()[0], y.shape()[0]);
            assert_eq!(x.shape()[1], table.feature_names.len());
            assert!(x.to_vec().iter().chain(y.to_vec().iter()).all(|v| v.is_finite()));
        }
    }
});
