//! The backend seam stays where it is: above `nntensor`, no crate loops over tensor elements or
//! reaches into ndarray or a backend's storage; they call `nntensor`'s ops, which dispatch on the
//! storage. This test reads the upper crates' sources and fails naming the file, the line and
//! the pattern when one of them starts doing that work itself (move the loop into an `nntensor`
//! op instead; docs/contributing.md, "Add an op").

use std::fs;
use std::path::{Path, PathBuf};

/// The crates that must run on any backend, relative to this crate's directory.
const UPPER_CRATES: [&str; 5] = ["nnautograd", "nnlayers", "nnoptim", "nntrain", "nnplay"];

/// What only `nntensor` may write: ndarray's types and element loops, a backend's storage, and
/// the CPU backend's vector kernels.
const FORBIDDEN: [&str; 9] = [
    "ndarray",
    "Zip::",
    ".mapv(",
    ".mapv_inplace(",
    "as_slice_mut(",
    "storage_mut(",
    "Storage::",
    "cpu::wide",
    "exp_fast",
];

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `(line number, pattern)` of each forbidden pattern in `source`, outside comments.
fn violations(source: &str) -> Vec<(usize, &'static str)> {
    let mut found = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for pattern in FORBIDDEN {
            if code.contains(pattern) {
                found.push((i + 1, pattern));
            }
        }
    }
    found
}

#[test]
fn upper_crates_call_nntensor_ops_instead_of_looping_over_elements() {
    let crates_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut report = Vec::new();
    for name in UPPER_CRATES {
        let mut files = Vec::new();
        rust_files(&crates_dir.join(name).join("src"), &mut files);
        assert!(!files.is_empty(), "no sources found for {name}");
        for file in files {
            let source = fs::read_to_string(&file).expect("readable source");
            for (line, pattern) in violations(&source) {
                report.push(format!("{}:{line}: `{pattern}`", file.display()));
            }
        }
    }
    assert!(
        report.is_empty(),
        "crates above nntensor must call nntensor ops, not loop over ndarray or a backend's \
         storage:\n{}",
        report.join("\n")
    );
}

#[test]
fn the_scan_finds_a_loop_and_skips_comments() {
    let source =
        "let a = 1;\nZip::from(&mut g).for_each(|g| *g *= 2.0);\n// t.mapv(f) in a comment\n";
    assert_eq!(violations(source), vec![(2, "Zip::")]);
}
