//! Memory promises, measured with a counting global allocator: reading hostile files allocates
//! only what the file justifies, and training holds no more memory after epoch 5 than after
//! epoch 1 (the tape and its buffers are freed or reused).
//!
//! One test function only: the allocator counts the whole process, so nothing may run beside it.
#![allow(unsafe_code)] // a GlobalAlloc is unsafe to implement; this one only counts and forwards

use nndata::{synthetic, Dataset};
use nnlayers::Sequential;
use nnoptim::Adam;
use nntrain::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(live, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak bytes allocated (above what was live before) while running `f`.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let out = f();
    (out, PEAK.load(Relaxed).saturating_sub(before))
}

#[test]
fn allocation_is_bounded_by_the_input_and_flat_across_epochs() {
    let dir = tempfile::tempdir().unwrap();

    // An IDX header claiming 4e9 images of 28×28 in a 10 kB file (raw and gzipped).
    let mut idx = vec![0, 0, 0x08, 3];
    for d in [4_000_000_000u32, 28, 28] {
        idx.extend_from_slice(&d.to_be_bytes());
    }
    idx.extend(std::iter::repeat_n(0u8, 10_000));
    std::fs::write(dir.path().join("huge-idx3-ubyte"), &idx).unwrap();
    let (result, peak) = peak_during(|| nndata::read_idx(dir.path().join("huge-idx3-ubyte")));
    assert!(result.is_err());
    assert!(
        peak < 1 << 20,
        "raw IDX header claiming 3.1 TB: peak allocation {peak} bytes"
    );
    let gz = gzip(&idx);
    std::fs::write(dir.path().join("huge-idx3-ubyte.gz"), &gz).unwrap();
    let (result, peak) = peak_during(|| nndata::read_idx(dir.path().join("huge-idx3-ubyte.gz")));
    assert!(result.is_err());
    assert!(
        peak < 4 << 20,
        "gzipped IDX header claiming 3.1 TB: peak allocation {peak} bytes"
    );

    // A model file whose header claims a 2^31 × 2^31 layer.
    let path = dir.path().join("model.nnf");
    Sequential::new(0).linear(4, 8).save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    // The safetensors header (8-byte length, then JSON): rewrite the layer's sizes in it.
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    let edited = header.replace(
        "\\\"inputs\\\":4,\\\"outputs\\\":8",
        "\\\"inputs\\\":2147483648,\\\"outputs\\\":2147483648",
    );
    assert_ne!(edited, header, "the layer sizes are in the header");
    let mut edited = edited.into_bytes();
    edited.resize(edited.len().next_multiple_of(8), b' ');
    let mut bytes_out = (edited.len() as u64).to_le_bytes().to_vec();
    bytes_out.extend_from_slice(&edited);
    bytes_out.extend_from_slice(&bytes[8 + n..]);
    let bytes = bytes_out;
    std::fs::write(&path, &bytes).unwrap();
    let (result, peak) = peak_during(|| Sequential::load(&path));
    assert!(result.is_err());
    assert!(
        peak < 1 << 20,
        "model file claiming a 2^62-weight layer: peak allocation {peak} bytes"
    );

    // Training: live memory at the end of each epoch must not grow after the first.
    let data: Dataset = synthetic::spirals(500, 3, 0.05, 1);
    let mut model = Model::new(
        Sequential::new(1)
            .linear(2, 64)
            .relu()
            .dropout(0.1)
            .linear(64, 3)
            .softmax(),
    );
    model.compile(
        Adam::new(0.01),
        Loss::SparseCategoricalCrossEntropy,
        &[Metric::Accuracy],
    );
    let mut live_after_epoch = Vec::new();
    let record = EpochCallback(|_: &mut EpochEnd<'_>| {
        live_after_epoch.push(LIVE.load(Relaxed));
        Control::Continue
    });
    let options = FitOptions {
        epochs: 6,
        batch_size: 32,
        verbosity: Verbosity::Silent,
        callbacks: vec![Box::new(record)],
        ..Default::default()
    };
    let history = model.fit(&data, options).unwrap();
    // History grows by a few numbers per epoch; allow 4 kB of growth in all.
    let first = live_after_epoch[0];
    for (epoch, &live) in live_after_epoch.iter().enumerate() {
        assert!(
            live <= first + 4096,
            "epoch {}: {live} bytes live, {first} after epoch 1: {live_after_epoch:?}",
            epoch + 1
        );
    }
    assert_eq!(history.epochs.len(), 6);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}
