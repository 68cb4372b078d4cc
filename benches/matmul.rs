//! Matrix-multiply benchmarks: the shapes of W1-W4 (forward, and the transposed ones backward
//! uses) and W3's, on the default thread pool and on one thread, plus the sizes that set
//! `PARALLEL_MIN_MACS`.
//!
//! Run: `cargo bench --bench matmul`. Throughput is reported in elements = multiply-adds, so
//! GFLOP/s = 2 × the reported Gelem/s.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nnfacade::tensor::cpu::{gemm, matmul_2d};
use nnfacade::tensor::ndarray::Array2;
use nnfacade::tensor::Rng;
use std::hint::black_box;

fn random(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    let mut rng = Rng::seed_from(seed);
    Array2::from_shape_simple_fn((rows, cols), || rng.uniform(-1.0, 1.0))
}

fn one_thread_pool() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("thread pool")
}

fn shapes(c: &mut Criterion) {
    let single = one_thread_pool();
    let mut group = c.benchmark_group("matmul");
    for &(m, k, n) in &[
        (64, 784, 32),      // W1 forward, one shard of a 128-row batch
        (128, 784, 32),     // W1 forward, whole batch
        (64, 784, 512),     // W2 first layer, one shard
        (64, 512, 512),     // W2 second layer, one shard
        (128, 784, 512),    // W3
        (512, 512, 512),    // W3
        (1024, 1024, 1024), // W3
        (1000, 2, 2),       // W4 forward (direct loop)
    ] {
        let (a, b) = (random(m, k, 1), random(k, n, 2));
        group.throughput(Throughput::Elements((m * k * n) as u64));
        if m * k * n >= 1 << 28 {
            group.sample_size(20);
        }
        let id = format!("{m}x{k}x{n}");
        group.bench_function(BenchmarkId::new("default_threads", &id), |bench| {
            bench.iter(|| matmul_2d(black_box(a.view()), black_box(b.view())))
        });
        group.bench_function(BenchmarkId::new("one_thread", &id), |bench| {
            single.install(|| bench.iter(|| matmul_2d(black_box(a.view()), black_box(b.view()))))
        });
    }
    group.finish();
}

/// The backward GEMMs of a dense layer read one operand transposed: the weight gradient xᵀ·g and
/// the input gradient g·Wᵀ, for W1's layer on one shard and W2's first two layers on one shard,
/// plus W4's weight gradient (a direct loop).
fn transposed(c: &mut Criterion) {
    let mut group = c.benchmark_group("matmul_transposed");
    for &(rows, inputs, outputs) in &[(64, 784, 32), (64, 784, 512), (64, 512, 512), (1000, 2, 2)] {
        let x = random(rows, inputs, 3);
        let g = random(rows, outputs, 4);
        let w = random(inputs, outputs, 5);
        group.throughput(Throughput::Elements((rows * inputs * outputs) as u64));
        group.bench_function(
            BenchmarkId::new("xT_g", format!("{inputs}x{rows}x{outputs}")),
            |bench| bench.iter(|| matmul_2d(black_box(x.t()), black_box(g.view()))),
        );
        group.bench_function(
            BenchmarkId::new("g_wT", format!("{rows}x{outputs}x{inputs}")),
            |bench| bench.iter(|| matmul_2d(black_box(g.view()), black_box(w.t()))),
        );
    }
    group.finish();
}

/// Where threading the kernel starts to pay: the same product on one thread and on the pool, for
/// sizes around `PARALLEL_MIN_MACS` (2^21 multiply-adds, 128³).
fn threshold(c: &mut Criterion) {
    let single = one_thread_pool();
    let mut group = c.benchmark_group("matmul_threshold");
    for &size in &[48usize, 64, 96, 128, 160, 192] {
        let (a, b) = (random(size, size, 6), random(size, size, 7));
        let mut out = Array2::<f32>::zeros((size, size));
        group.throughput(Throughput::Elements((size * size * size) as u64));
        group.bench_function(BenchmarkId::new("one_thread", size), |bench| {
            single.install(|| bench.iter(|| gemm(1.0, a.view(), b.view(), 0.0, out.view_mut())))
        });
        group.bench_function(BenchmarkId::new("default_threads", size), |bench| {
            bench.iter(|| gemm(1.0, a.view(), b.view(), 0.0, out.view_mut()))
        });
    }
    group.finish();
}

criterion_group!(benches, shapes, transposed, threshold);
criterion_main!(benches);
