//! The IDX reader: round trips of every element type, and one test per defect.

use flate2::write::GzEncoder;
use nndata::*;
use std::io::Write;
use std::path::{Path, PathBuf};

fn arrays() -> Vec<IdxArray> {
    vec![
        IdxArray {
            dims: vec![2, 3],
            data: IdxData::U8(vec![0, 1, 2, 253, 254, 255]),
        },
        IdxArray {
            dims: vec![4],
            data: IdxData::I8(vec![-128, -1, 0, 127]),
        },
        IdxArray {
            dims: vec![1, 2, 2],
            data: IdxData::I16(vec![-32768, -2, 3, 32767]),
        },
        IdxArray {
            dims: vec![3],
            data: IdxData::I32(vec![i32::MIN, 0, i32::MAX]),
        },
        IdxArray {
            dims: vec![2, 2],
            data: IdxData::F32(vec![-1.5, 0.0, 3.25, f32::MAX]),
        },
        IdxArray {
            dims: vec![2],
            data: IdxData::F64(vec![std::f64::consts::PI, -1e300]),
        },
    ]
}

#[test]
fn every_element_type_round_trips_raw_and_gzipped() {
    let dir = tempfile::tempdir().unwrap();
    for (i, array) in arrays().into_iter().enumerate() {
        for name in [format!("a{i}-idx"), format!("a{i}-idx.gz")] {
            let path = dir.path().join(name);
            write_idx(&path, &array).unwrap();
            assert_eq!(read_idx(&path).unwrap(), array, "{}", path.display());
        }
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn err(path: &Path) -> String {
    read_idx(path).unwrap_err().to_string()
}

/// A valid u8 file of 2×3 images.
fn good() -> Vec<u8> {
    encode_idx(&IdxArray {
        dims: vec![2, 3],
        data: IdxData::U8(vec![1, 2, 3, 4, 5, 6]),
    })
}

#[test]
fn bad_magic() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = good();
    bytes[0] = 0x50;
    let msg = err(&write(dir.path(), "x-idx", &bytes));
    assert!(
        msg.contains("not an IDX file") && msg.contains("x-idx"),
        "{msg}"
    );
}

#[test]
fn unknown_type_code() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = good();
    bytes[2] = 0x07;
    assert!(err(&write(dir.path(), "x", &bytes)).contains("unknown IDX element type 0x07"));
}

#[test]
fn zero_dimension() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = good();
    bytes[4..8].copy_from_slice(&0u32.to_be_bytes());
    assert!(err(&write(dir.path(), "x", &bytes)).contains("describe no data"));
}

#[test]
fn truncated_data_raw_and_gzipped() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = good();
    let short = &bytes[..bytes.len() - 2];
    let msg = err(&write(dir.path(), "x", short));
    assert!(
        msg.contains("truncated: the header describes 6 bytes") && msg.contains("holds 4"),
        "{msg}"
    );
    let msg = err(&write(dir.path(), "x.gz", &gzip(short)));
    assert!(msg.contains("truncated"), "{msg}");
    // Cut inside the dimension header.
    assert!(err(&write(dir.path(), "y", &bytes[..6])).contains("truncated"));
}

#[test]
fn header_claiming_billions_of_images_in_a_small_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = vec![0, 0, 0x08, 3];
    for d in [4_000_000_000u32, 28, 28] {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend(std::iter::repeat_n(7u8, 10_000));
    let msg = err(&write(dir.path(), "huge-idx3-ubyte", &bytes));
    assert!(
        msg.contains("truncated: the header describes 3136000000000 bytes"),
        "{msg}"
    );
    // Gzipped, a claim beyond deflate's 1032:1 ratio is refused before reading.
    let msg = err(&write(dir.path(), "huge-idx3-ubyte.gz", &gzip(&bytes)));
    assert!(
        msg.contains("more than a") && msg.contains("gzip file can hold"),
        "{msg}"
    );
    // A plausible claim the stream does not back up: the buffer grows only with the data there.
    let mut modest = vec![0, 0, 0x08, 1];
    modest.extend_from_slice(&50_000u32.to_be_bytes());
    modest.extend(std::iter::repeat_n(7u8, 10_000));
    let msg = err(&write(dir.path(), "modest-idx1-ubyte.gz", &gzip(&modest)));
    assert!(
        msg.contains("truncated") && msg.contains("holds 10000"),
        "{msg}"
    );
}

#[test]
fn trailing_bytes_raw_and_gzipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = good();
    bytes.extend_from_slice(&[9, 9, 9]);
    assert!(err(&write(dir.path(), "x", &bytes)).contains("3 unexpected bytes after the 6 bytes"));
    assert!(err(&write(dir.path(), "x.gz", &gzip(&bytes))).contains("3 unexpected bytes"));
}

#[test]
fn corrupt_gzip_stream() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = gzip(&good());
    let mid = gz.len() / 2;
    for b in &mut gz[10..mid] {
        *b ^= 0x5a;
    }
    let msg = err(&write(dir.path(), "x.gz", &gz));
    assert!(
        msg.contains("gzip stream is corrupt")
            || msg.contains("not an IDX file")
            || msg.contains("truncated"),
        "{msg}"
    );
    // A gzip whose checksum trailer is wrong.
    let mut gz = gzip(&good());
    let n = gz.len();
    gz[n - 6] ^= 0xff;
    assert!(err(&write(dir.path(), "y.gz", &gz)).contains("gzip stream is corrupt"));
}

#[test]
fn not_gzip_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let msg = err(&write(
        dir.path(),
        "train-images-idx3-ubyte.gz",
        b"<html>404 Not Found</html>",
    ));
    assert!(msg.contains("not gzip-compressed"), "{msg}");
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    assert!(err(&write(dir.path(), "x", b"")).contains("the file is empty"));
}

#[test]
fn missing_file_names_the_path() {
    let msg = err(Path::new("/no/such/dir/t10k-labels-idx1-ubyte"));
    assert!(msg.contains("/no/such/dir/t10k-labels-idx1-ubyte"), "{msg}");
}

#[test]
#[should_panic(expected = "cannot describe")]
fn arrays_that_cannot_be_idx_files_are_refused_when_written() {
    let _ = encode_idx(&IdxArray {
        dims: vec![0],
        data: IdxData::U8(vec![]),
    });
}

#[test]
fn dimensions_whose_product_overflows_any_integer() {
    // Found by the `idx` fuzz target: 255 dimensions of 2^32 − 1 each.
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = vec![0, 0, 0x0d, 255];
    for _ in 0..255 {
        bytes.extend_from_slice(&u32::MAX.to_be_bytes());
    }
    assert!(
        err(&write(dir.path(), "x", &bytes)).contains("describe more data than any file can hold")
    );
    assert!(err(&write(dir.path(), "x.gz", &gzip(&bytes)))
        .contains("describe more data than any file can hold"));
}
