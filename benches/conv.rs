//! Convolution and pooling benchmarks at W6's shapes (the Keras simple convnet, batch 128): each
//! conv's forward, its backward (weight and bias gradients; the input gradient too for the second
//! conv, as training needs), each with the ReLU and pooling after it as separate ops and as one,
//! and the max pooling forward and backward.
//!
//! Run: `cargo bench --bench conv`. Throughput is in multiply-adds of the forward product:
//! GFLOP/s = 2 × the reported Gelem/s (a backward does twice the forward's work when it computes
//! both gradients).

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use nnfacade::prelude::*;
use nnfacade::tensor::{self as nt, Conv2dSpec, Pool2dSpec};
use std::hint::black_box;

fn random(shape: &[usize], seed: u64) -> Tensor {
    let mut rng = Rng::seed_from(seed);
    Tensor::from_fn(shape, || rng.uniform(-1.0, 1.0))
}

fn convolutions(c: &mut Criterion) {
    let mut group = c.benchmark_group("conv2d");
    group.sample_size(10);
    // (name, input, weight, input gradient needed)
    let cases = [
        (
            "conv1_128x1x28x28_32x3x3",
            [128, 1, 28, 28],
            [32, 1, 3, 3],
            false,
        ),
        (
            "conv2_128x32x13x13_64x3x3",
            [128, 32, 13, 13],
            [64, 32, 3, 3],
            true,
        ),
    ];
    for (name, xs, ws, need_x) in cases {
        let (x, w, b) = (random(&xs, 1), random(&ws, 2), random(&[ws[0]], 3));
        let spec = Conv2dSpec::default();
        let y = nt::conv2d(&x, &w, Some(&b), spec);
        let macs = y.len() * ws[1] * ws[2] * ws[3];
        group.throughput(Throughput::Elements(macs as u64));
        group.bench_function(BenchmarkId::new("forward", name), |bench| {
            bench.iter(|| nt::conv2d(black_box(&x), &w, Some(&b), spec))
        });
        let g = random(y.shape(), 4);
        group.bench_function(BenchmarkId::new("backward", name), |bench| {
            bench.iter(|| nt::conv2d_backward(black_box(&x), &w, &g, spec, [need_x, true, true]))
        });
        // With the ReLU and 2×2 max pooling after it (as in W6): the convolution then the fused
        // ReLU + pooling, against the three as one op, forward and backward.
        let pool = Pool2dSpec::new([2, 2]);
        let need = [need_x, true, true];
        group.bench_function(BenchmarkId::new("then_relu_pool_forward", name), |bench| {
            bench.iter(|| nt::relu_max_pool2d(&nt::conv2d(black_box(&x), &w, Some(&b), spec), pool))
        });
        group.bench_function(BenchmarkId::new("relu_pool_fused_forward", name), |bench| {
            bench.iter(|| nt::conv2d_relu_max_pool2d(black_box(&x), &w, Some(&b), spec, pool))
        });
        let (yp, at) = nt::conv2d_relu_max_pool2d(&x, &w, Some(&b), spec, pool);
        let gp = random(yp.shape(), 8);
        group.bench_function(BenchmarkId::new("then_relu_pool_backward", name), |bench| {
            bench.iter(|| {
                let g = nt::relu_max_pool2d_backward(black_box(&gp), &yp, &at, y.shape(), pool);
                nt::conv2d_backward(&x, &w, &g, spec, need)
            })
        });
        group.bench_function(
            BenchmarkId::new("relu_pool_fused_backward", name),
            |bench| {
                bench.iter(|| {
                    nt::conv2d_relu_max_pool2d_backward(
                        &x,
                        &w,
                        black_box(&gp),
                        &yp,
                        &at,
                        spec,
                        pool,
                        need,
                    )
                })
            },
        );
    }
    group.finish();
}

fn pooling(c: &mut Criterion) {
    let mut group = c.benchmark_group("max_pool2d");
    group.sample_size(20);
    for (name, xs) in [
        ("pool1_128x32x26x26", [128, 32, 26, 26]),
        ("pool2_128x64x11x11", [128, 64, 11, 11]),
    ] {
        let x = random(&xs, 5);
        let spec = Pool2dSpec::new([2, 2]);
        let (y, at) = nt::max_pool2d(&x, spec);
        let g = random(y.shape(), 6);
        group.throughput(Throughput::Elements(x.len() as u64));
        group.bench_function(BenchmarkId::new("forward", name), |bench| {
            bench.iter(|| nt::max_pool2d(black_box(&x), spec))
        });
        group.bench_function(BenchmarkId::new("backward", name), |bench| {
            bench.iter(|| nt::max_pool2d_backward(black_box(&g), &at, x.shape(), spec))
        });
        // The ReLU before the pooling: as its own two passes, and fused into the pooling.
        let r = nt::relu(&x);
        group.bench_function(BenchmarkId::new("relu_forward", name), |bench| {
            bench.iter(|| nt::relu(black_box(&x)))
        });
        group.bench_function(BenchmarkId::new("relu_backward", name), |bench| {
            // In place in the incoming gradient's buffer, as training runs it (the copy is made
            // outside the timing).
            bench.iter_batched(
                || x.clone(),
                |g| nt::unary_backward(nt::UnaryOp::Relu, g, &x, &r),
                BatchSize::LargeInput,
            )
        });
        let (y, at) = nt::relu_max_pool2d(&x, spec);
        group.bench_function(BenchmarkId::new("relu_fused_forward", name), |bench| {
            bench.iter(|| nt::relu_max_pool2d(black_box(&x), spec))
        });
        group.bench_function(BenchmarkId::new("relu_fused_backward", name), |bench| {
            bench.iter(|| nt::relu_max_pool2d_backward(black_box(&g), &y, &at, x.shape(), spec))
        });
    }
    group.finish();
}

/// One training step of one W6 shard (64 images, one thread: what each core runs in `fit`):
/// forward in training mode, sparse softmax cross-entropy, backward. `fused` is the network's own
/// forward (each convolution, ReLU and max pooling as one op); `layer_by_layer` runs each layer's
/// forward in turn.
fn convnet_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("convnet_step");
    group.sample_size(20);
    let net = Sequential::new(1)
        .conv2d(1, 32, [3, 3])
        .relu()
        .max_pool2d([2, 2])
        .conv2d(32, 64, [3, 3])
        .relu()
        .max_pool2d([2, 2])
        .flatten()
        .dropout(0.5)
        .linear(1600, 10);
    let x = random(&[64, 1, 28, 28], 7);
    let labels: Vec<usize> = (0..64).map(|i| i % 10).collect();
    for fused in [true, false] {
        let name = if fused { "fused" } else { "layer_by_layer" };
        group.bench_function(name, |bench| {
            bench.iter(|| {
                nt::cpu::single_threaded(|| {
                    let tape = Tape::new();
                    let mut ctx = Context::train(Rng::seed_from(3));
                    let input = tape.constant(x.clone());
                    let logits = if fused {
                        net.forward(input, &mut ctx)
                    } else {
                        net.layers()
                            .iter()
                            .fold(input, |v, layer| layer.forward(v, &mut ctx))
                    };
                    black_box(logits.sparse_softmax_cross_entropy(&labels).backward())
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, convolutions, pooling, convnet_step);
criterion_main!(benches);
