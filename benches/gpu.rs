//! GPU benchmarks (feature `gpu`): the matrix product at W1–W3's shapes and 4096³, and one fused
//! training step of W1's and W2's models (forward, backward and the optimizer update, the batch
//! already on the device), each timed to the GPU's completion.
//!
//! Run: `cargo bench --features gpu --bench gpu` (benches/gpu_check.sh runs it with the workloads
//! and prints the adapter). Throughput is in multiply-adds for the products: GFLOP/s = 2 × the
//! reported Gelem/s. Without an adapter it says so and exits.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nnfacade::autograd::Tape;
use nnfacade::prelude::*;
use nnfacade::tensor::{self as nt, gpu};
use std::hint::black_box;

fn device() -> Option<(Device, u32)> {
    match Device::gpu() {
        Ok(d @ Device::Gpu(index)) => {
            eprintln!("GPU benches on {}", d.gpu_info().expect("a GPU"));
            Some((d, index))
        }
        Ok(_) => None,
        Err(e) => {
            eprintln!("no GPU benches: {e}");
            None
        }
    }
}

fn random(shape: &[usize], seed: u64, device: &Device) -> Tensor {
    let mut rng = Rng::seed_from(seed);
    Tensor::from_fn(shape, || rng.uniform(-1.0, 1.0)).to(device)
}

fn products(c: &mut Criterion) {
    let Some((d, index)) = device() else { return };
    let software = d.gpu_info().is_some_and(|i| i.device_type == "Cpu");
    let mut group = c.benchmark_group("gpu_matmul");
    group.sample_size(10);
    let mut shapes = vec![
        (128, 784, 32),
        (128, 784, 512),
        (512, 512, 512),
        (1024, 1024, 1024),
    ];
    if !software {
        shapes.push((4096, 4096, 4096));
    }
    for (m, k, n) in shapes {
        let (a, b) = (random(&[m, k], 1, &d), random(&[k, n], 2, &d));
        group.throughput(Throughput::Elements((m * k * n) as u64));
        group.bench_function(
            BenchmarkId::from_parameter(format!("{m}x{k}x{n}")),
            |bench| {
                bench.iter(|| {
                    black_box(nt::matmul(&a, &b));
                    gpu::synchronize(index);
                })
            },
        );
    }
    group.finish();
}

/// One training step of an MLP on a batch of 128 already on the device: the layers' forward,
/// the fused softmax cross-entropy, backward, and the optimizer's fused update per parameter.
fn steps(c: &mut Criterion) {
    let Some((d, index)) = device() else { return };
    let mut group = c.benchmark_group("gpu_step");
    group.sample_size(10);
    for (name, hidden) in [
        ("w1_784_32_10", vec![32]),
        ("w2_784_512_512_10", vec![512, 512]),
    ] {
        let mut network = Sequential::new(0);
        let mut width = 784;
        for &h in &hidden {
            network = network.linear(width, h).relu();
            width = h;
        }
        let mut network = network.linear(width, 10);
        network.to(&d);
        let mut optimizer = Adam::new(1e-3);
        let x = random(&[128, 784], 3, &d);
        let labels: Vec<usize> = (0..128).map(|i| i % 10).collect();
        let tape = Tape::new();
        let mut ctx = Context::train(Rng::seed_from(0));
        group.bench_function(name, |bench| {
            bench.iter(|| {
                let out = network.forward(tape.constant(x.clone()), &mut ctx);
                let loss = out.sparse_softmax_cross_entropy(&labels);
                let grads = loss.backward();
                optimizer.step(&mut network.parameters_mut(), &grads);
                tape.reset();
                gpu::synchronize(index);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, products, steps);
criterion_main!(benches);
