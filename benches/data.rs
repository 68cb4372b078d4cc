//! Data benchmarks: loading all 70,000 MNIST images (when `MNIST_DIR` is set), and gathering a
//! shuffled batch of 128 rows of 784 pixels.
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

criterion_group!(benches, mnist_load, batch_gather);
criterion_main!(benches);
