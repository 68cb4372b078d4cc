//! Data benchmarks: loading all 70,000 MNIST images (when `MNIST_DIR` is set), gathering a
//! shuffled batch of 128 rows of 784 pixels, and reading a 100 MB CSV table (throughput in
//! bytes per second: issue 17 asks for at least 100 MB/s).
//!
//! Run: `MNIST_DIR=$PWD/../shared/data/mnist cargo bench --bench data` (an absolute path: cargo runs
//! benches in benches/).

use criterion::{criterion_group, criterion_main, Criterion};
use nnfacade::data::{mnist, Dataset};
use nnfacade::tensor::{Rng, Tensor};
use std::hint::black_box;

fn mnist_load(c: &mut Criterion) {
    let Some(dir) = std::env::var_os("MNIST_DIR") else {
        eprintln!("MNIST_DIR is not set: skipping mnist_load");
        return;
    };
    let mut group = c.benchmark_group("mnist");
    group.sample_size(10);
    group.bench_function("load_70000_images", |b| {
        b.iter(|| black_box(mnist::load(&dir).unwrap()))
    });
    group.finish();
}

fn batch_gather(c: &mut Criterion) {
    let mut rng = Rng::seed_from(0);
    let x = Tensor::from_fn(vec![60000, 784], || rng.next_f32());
    let y = Tensor::from_fn(vec![60000], || rng.below(10) as f32);
    let data = Dataset::new(x, y).unwrap();
    c.bench_function("epoch_of_shuffled_batches_128x784", |b| {
        b.iter(|| {
            data.batches(128, Some(1), false)
                .map(|batch| black_box(batch.len()))
                .sum::<usize>()
        })
    });
}

/// A table like a user's: 12 numeric columns of varied widths, one text column of 5 categories,
/// a text target of 3 classes; about 100 MB.
fn csv_table() -> Vec<u8> {
    let mut rng = Rng::seed_from(7);
    let mut text = String::from("f0,f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11,colour,species\n");
    let colours = ["red", "green", "blue", "grey", "black"];
    let species = ["adelie", "chinstrap", "gentoo"];
    while text.len() < 100_000_000 {
        for f in 0..12 {
            let v = rng.uniform(-1000.0, 1000.0);
            match f % 3 {
                0 => text.push_str(&format!("{v:.3},")),
                1 => text.push_str(&format!("{},", v as i32)),
                _ => text.push_str(&format!("{v},")),
            }
        }
        text.push_str(colours[rng.below(5)]);
        text.push(',');
        text.push_str(species[rng.below(3)]);
        text.push('\n');
    }
    text.into_bytes()
}

fn csv_read(c: &mut Criterion) {
    use nnfacade::data::csv::{csv_from_bytes, CsvOptions};
    let table = csv_table();
    let mut group = c.benchmark_group("csv");
    group.sample_size(10);
    group.throughput(criterion::Throughput::Bytes(table.len() as u64));
    group.bench_function("read_100MB_table", |b| {
        b.iter(|| {
            let data = csv_from_bytes(
                &table,
                std::path::Path::new("bench.csv"),
                &CsvOptions::default(),
            )
            .unwrap();
            black_box(data.dataset.len())
        })
    });
    group.finish();
}

criterion_group!(benches, mnist_load, batch_gather, csv_read);
criterion_main!(benches);
