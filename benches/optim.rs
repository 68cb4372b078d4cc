//! Optimizer steps on 400k parameters (a 784×512 layer and its bias, W2's first layer): the fused,
//! in-place elementwise update each optimizer runs once per training step.
//!
//! Run: `cargo bench --bench optim`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nnfacade::autograd::Grads;
use nnfacade::prelude::*;
use std::hint::black_box;

/// A 784×512 weight and a 512 bias with gradients from one real backward pass.
fn layer_and_grads() -> ([Param; 2], Grads) {
    let mut rng = Rng::seed_from(1);
    let params = [
        Param::new(Init::GlorotUniform.tensor(&[784, 512], &mut rng)),
        Param::new(Tensor::zeros(vec![512])),
    ];
    let x = Init::Uniform {
        low: 0.0,
        high: 1.0,
    }
    .tensor(&[8, 784], &mut rng);
    let tape = Tape::new();
    let out = tape
        .constant(x)
        .linear(tape.param(&params[0]), Some(tape.param(&params[1])));
    let grads = (out * out).mean().backward();
    (params, grads)
}

fn steps(c: &mut Criterion) {
    let mut group = c.benchmark_group("optimizer_step_401920_params");
    group.throughput(Throughput::Elements(784 * 512 + 512));
    let optimizers: [(&str, Box<dyn Optimizer>); 4] = [
        ("sgd", Box::new(Sgd::new(0.01))),
        ("sgd_momentum", Box::new(Sgd::with_momentum(0.01, 0.9))),
        ("rmsprop_keras", Box::new(RmsProp::keras())),
        ("adam", Box::new(Adam::new(1e-3))),
    ];
    for (name, mut optimizer) in optimizers {
        let ([mut w, mut b], grads) = layer_and_grads();
        group.bench_function(name, |bench| {
            bench.iter(|| optimizer.step(&mut [&mut w, &mut b], black_box(&grads)))
        });
    }
    group.finish();
}

criterion_group!(benches, steps);
criterion_main!(benches);
