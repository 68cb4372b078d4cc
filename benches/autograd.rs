//! Autograd benchmarks: the fixed cost of one recorded op, and one training step's forward and
//! backward of the Keras tutorial's 784-32-10 MLP at batch 128, written directly on the tape.
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

criterion_group!(benches, per_op_overhead, mlp_step);
criterion_main!(benches);
