//! The MNIST loader: on files in the MNIST layout made here, and on the real MNIST when
//! `MNIST_DIR` points at it (CI sets it).

use nndata::mnist::{self, MnistOptions};
use nndata::*;
use std::path::Path;

fn images(n: usize, seed: u8) -> IdxArray {
    IdxArray {
        dims: vec![n, 28, 28],
        data: IdxData::U8((0..n * 784).map(|i| (i as u8).wrapping_mul(seed)).collect()),
    }
}

fn labels(values: &[u8]) -> IdxArray {
    IdxArray {
        dims: vec![values.len()],
        data: IdxData::U8(values.to_vec()),
    }
}

/// Writes a small MNIST-layout set; `dotted` uses the `train-images.idx3-ubyte` naming.
fn make(dir: &Path, dotted: bool, gz: bool, test_labels: &[u8]) {
    let name = |split: &str, what: &str, rank: &str| {
        let base = if dotted {
            format!("{split}-{what}.{rank}-ubyte")
        } else {
            format!("{split}-{what}-{rank}-ubyte")
        };
        if gz {
            base + ".gz"
        } else {
            base
        }
    };
    write_idx(dir.join(name("train", "images", "idx3")), &images(5, 3)).unwrap();
    write_idx(
        dir.join(name("train", "labels", "idx1")),
        &labels(&[0, 1, 2, 3, 9]),
    )
    .unwrap();
    write_idx(dir.join(name("t10k", "images", "idx3")), &images(3, 5)).unwrap();
    write_idx(
        dir.join(name("t10k", "labels", "idx1")),
        &labels(test_labels),
    )
    .unwrap();
}

#[test]
fn both_naming_schemes_gzipped_or_not() {
    for (dotted, gz) in [(false, true), (true, false), (false, false), (true, true)] {
        let dir = tempfile::tempdir().unwrap();
        make(dir.path(), dotted, gz, &[4, 5, 6]);
        let m = mnist::load(dir.path()).unwrap();
        assert_eq!(m.train.inputs().shape(), &[5, 784]);
        assert_eq!(m.test.targets().as_slice().unwrap(), &[4.0, 5.0, 6.0]);
        assert!(m
            .train
            .inputs()
            .values()
            .iter()
            .all(|&p| (0.0..=1.0).contains(&p)));
        assert_eq!(m.train.inputs()[[0, 1]], 3.0 / 255.0);
    }
}

#[test]
fn unflattened_and_one_hot_on_request() {
    let dir = tempfile::tempdir().unwrap();
    make(dir.path(), false, true, &[4, 5, 6]);
    let m = mnist::load_with(
        dir.path(),
        MnistOptions {
            flatten: false,
            one_hot: true,
            classes: 10,
        },
    )
    .unwrap();
    assert_eq!(m.train.inputs().shape(), &[5, 28, 28]);
    assert_eq!(m.test.targets().shape(), &[3, 10]);
    assert_eq!(m.test.targets()[[1, 5]], 1.0);
}

#[test]
fn count_mismatch_between_images_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    make(dir.path(), false, false, &[4, 5]);
    let msg = mnist::load(dir.path()).unwrap_err().to_string();
    assert!(
        msg.contains("holds 3 images but") && msg.contains("holds 2 labels"),
        "{msg}"
    );
}

#[test]
fn label_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    make(dir.path(), false, false, &[4, 12, 6]);
    let msg = mnist::load(dir.path()).unwrap_err().to_string();
    assert!(
        msg.contains("label 12 at index 1 is outside 0..=9"),
        "{msg}"
    );
}

#[test]
fn missing_file_says_which_where_and_how_to_get_it() {
    let dir = tempfile::tempdir().unwrap();
    make(dir.path(), false, false, &[4, 5, 6]);
    std::fs::remove_file(dir.path().join("t10k-images-idx3-ubyte")).unwrap();
    let msg = mnist::load(dir.path()).unwrap_err().to_string();
    assert!(msg.contains("`t10k-images` not found in"), "{msg}");
    assert!(msg.contains("t10k-images.idx3-ubyte.gz"), "{msg}");
    assert!(msg.contains("Download the four files"), "{msg}");
}

#[test]
fn real_mnist_when_available() {
    let Some(dir) = std::env::var_os("MNIST_DIR") else {
        eprintln!("MNIST_DIR is not set: skipping the real-MNIST check");
        return;
    };
    let m = mnist::load(&dir).unwrap();
    assert_eq!(m.train.inputs().shape(), &[60000, 784]);
    assert_eq!(m.test.inputs().shape(), &[10000, 784]);
    // The first training image is a 5, the first test image a 7 (as every MNIST tutorial shows).
    assert_eq!(m.train.targets()[0], 5.0);
    assert_eq!(m.test.targets()[0], 7.0);
    let counts = (0..10).map(|c| {
        m.train
            .targets()
            .values()
            .iter()
            .filter(|&&l| l == c as f32)
            .count()
    });
    assert_eq!(counts.sum::<usize>(), 60000);
    assert!(m
        .train
        .inputs()
        .values()
        .iter()
        .all(|&p| (0.0..=1.0).contains(&p)));
    // Pixel sums (in 0..255 units) of known images, computed from the raw files with Python:
    // sum(gzip.open(f).read()[16 + 784·i : 16 + 784·(i+1)]).
    let pixel_sum = |x: &nntensor::Tensor, row: usize| -> f64 {
        (0..784).map(|j| (x[[row, j]] * 255.0).round() as f64).sum()
    };
    assert_eq!(pixel_sum(m.train.inputs(), 0), 27525.0);
    assert_eq!(pixel_sum(m.train.inputs(), 1), 31095.0);
    assert_eq!(pixel_sum(m.test.inputs(), 0), 18454.0);
    assert_eq!(pixel_sum(m.test.inputs(), 1), 28850.0);
}
