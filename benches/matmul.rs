//! Matrix-multiply benchmarks: the shapes of the MNIST MLPs and two square sizes, on the default
//! thread pool and on one thread, plus the small sizes that set `PARALLEL_MIN_MACS`.
//!
//! Run: `cargo bench --bench matmul`. Throughput is reported in elements = multiply-adds, so
//! GFLOP/s = 2 × the reported Gelem/s.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nnfacade::tensor::ndarray::{Array2, ArrayView2};
use nnfacade::tensor::{gemm, matmul_2d, Rng};
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
        (128, 784, 32),
        (128, 784, 512),
        (512, 512, 512),
        (1024, 1024, 1024),
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

/// The backward GEMMs of a dense layer read one operand transposed: (784×128)ᵀ·(128×32) and
/// (128×32)·(784×32)ᵀ.
fn transposed(c: &mut Criterion) {
    let mut group = c.benchmark_group("matmul_transposed");
    let x = random(128, 784, 3);
    let g = random(128, 32, 4);
    let w = random(784, 32, 5);
    group.throughput(Throughput::Elements(128 * 784 * 32));
    group.bench_function("xT_g_784x128x32", |bench| {
        bench.iter(|| matmul_2d(black_box(x.t()), black_box(g.view())))
    });
    group.bench_function("g_wT_128x32x784", |bench| {
        bench.iter(|| matmul_2d(black_box(g.view()), black_box(w.t())))
    });
    group.finish();
}

/// Where the rayon split starts to pay: the same product on one thread and split across the pool
/// for sizes around `PARALLEL_MIN_MACS` (2^20 multiply-adds, about 100³).
fn threshold(c: &mut Criterion) {
    let single = one_thread_pool();
    let mut group = c.benchmark_group("matmul_threshold");
    for &size in &[32usize, 48, 64, 96, 128] {
        let (a, b) = (random(size, size, 6), random(size, size, 7));
        let mut out = Array2::<f32>::zeros((size, size));
        group.throughput(Throughput::Elements((size * size * size) as u64));
        group.bench_function(BenchmarkId::new("one_thread", size), |bench| {
            single.install(|| bench.iter(|| gemm(1.0, a.view(), b.view(), 0.0, out.view_mut())))
        });
        group.bench_function(BenchmarkId::new("row_split", size), |bench| {
            bench.iter(|| split_rows(a.view(), b.view(), &mut out))
        });
    }
    group.finish();
}

/// Always splits the rows in two across rayon, whatever the size (what `gemm` does above the threshold).
fn split_rows(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>, out: &mut Array2<f32>) {
    let half = a.nrows() / 2;
    let (a_top, a_bottom) = a.split_at(nnfacade::tensor::ndarray::Axis(0), half);
    let (c_top, c_bottom) = out
        .view_mut()
        .split_at(nnfacade::tensor::ndarray::Axis(0), half);
    rayon::join(
        || nnfacade::tensor::ndarray::linalg::general_mat_mul(1.0, &a_top, &b, 0.0, &mut { c_top }),
        || {
            nnfacade::tensor::ndarray::linalg::general_mat_mul(1.0, &a_bottom, &b, 0.0, &mut {
                c_bottom
            })
        },
    );
}

criterion_group!(benches, shapes, transposed, threshold);
criterion_main!(benches);
