//! Autograd benchmarks: the fixed cost of one recorded op; the fused nodes on their own (`linear`,
//! the softmax cross-entropy, BCE with logits), each forward + backward; and one training step's
//! forward and backward of the Keras tutorial's 784-32-10 MLP at batch 128, on the tape.
//!
//! Run: `cargo bench --bench autograd`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use nnfacade::prelude::*;
use std::hint::black_box;

/// One elementwise op on a 1-element tensor, recorded on a reused tape, plus its backward.
fn per_op_overhead(c: &mut Criterion) {
    let tape = Tape::new();
    let mut group = c.benchmark_group("per_op");
    group.bench_function("exp_1elem_record_and_backward", |bench| {
        bench.iter(|| {
            let x = tape.var(nnfacade::tensor::scalar(black_box(0.5)));
            let y = x.exp();
            black_box(y.backward())
        })
    });
    let w = Param::new(nnfacade::tensor::scalar(0.5));
    group.bench_function("param_mul_1elem_record_and_backward", |bench| {
        bench.iter(|| {
            let x = tape.param(&w);
            black_box((x * x).backward())
        })
    });
    group.finish();
}

/// Forward + backward of 784 → 32 ReLU → 10 with softmax cross-entropy, batch 128.
fn mlp_step(c: &mut Criterion) {
    let mut rng = Rng::seed_from(42);
    let x = Init::Uniform {
        low: 0.0,
        high: 1.0,
    }
    .tensor(&[128, 784], &mut rng);
    let labels: Vec<usize> = (0..128).map(|_| rng.below(10)).collect();
    let w1 = Param::new(Init::GlorotUniform.tensor(&[784, 32], &mut rng));
    let b1 = Param::new(Tensor::zeros(vec![32]));
    let w2 = Param::new(Init::GlorotUniform.tensor(&[32, 10], &mut rng));
    let b2 = Param::new(Tensor::zeros(vec![10]));
    let tape = Tape::new();
    c.bench_function("mlp_784_32_10_batch128_forward_backward", |bench| {
        // The input batch is copied outside the timed part: a training loop gathers a fresh
        // batch and moves it onto the tape, which costs nothing.
        bench.iter_batched(
            || x.clone(),
            |x| {
                let input = tape.constant(x);
                let hidden = input.linear(tape.param(&w1), Some(tape.param(&b1))).relu();
                let logits = hidden.linear(tape.param(&w2), Some(tape.param(&b2)));
                black_box(logits.sparse_softmax_cross_entropy(&labels).backward())
            },
            BatchSize::LargeInput,
        )
    });
}

/// The fused nodes alone, forward + backward: `linear` of W1's first layer on one 64-row shard,
/// the sparse softmax cross-entropy of a 128×10 batch, and W4's BCE with logits on 1000 rows.
fn fused_nodes(c: &mut Criterion) {
    let mut rng = Rng::seed_from(7);
    let x = Init::Uniform {
        low: 0.0,
        high: 1.0,
    }
    .tensor(&[64, 784], &mut rng);
    let w = Param::new(Init::GlorotUniform.tensor(&[784, 32], &mut rng));
    let b = Param::new(Tensor::zeros(vec![32]));
    let logits = Init::Uniform {
        low: -3.0,
        high: 3.0,
    }
    .tensor(&[128, 10], &mut rng);
    let labels: Vec<usize> = (0..128).map(|_| rng.below(10)).collect();
    let z = Init::Uniform {
        low: -4.0,
        high: 4.0,
    }
    .tensor(&[1000, 1], &mut rng);
    let targets = Tensor::from_shape_fn(vec![1000, 1], |i| (i[0] % 2) as f32);
    let tape = Tape::new();
    let mut group = c.benchmark_group("fused");
    group.bench_function("linear_64x784x32_forward_backward", |bench| {
        bench.iter_batched(
            || x.clone(),
            |x| {
                let out = tape
                    .constant(x)
                    .linear(tape.param(&w), Some(tape.param(&b)));
                black_box(out.sum().backward())
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function(
        "sparse_softmax_cross_entropy_128x10_forward_backward",
        |bench| {
            bench.iter_batched(
                || logits.clone(),
                |l| black_box(tape.var(l).sparse_softmax_cross_entropy(&labels).backward()),
                BatchSize::SmallInput,
            )
        },
    );
    group.bench_function("bce_with_logits_1000_forward_backward", |bench| {
        bench.iter_batched(
            || z.clone(),
            |z| {
                let loss = tape.var(z).binary_cross_entropy_with_logits(&targets, 1e-3);
                black_box(loss.backward())
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, per_op_overhead, fused_nodes, mlp_step);
criterion_main!(benches);
