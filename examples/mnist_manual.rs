//! MNIST with a hand-written training loop on the tape: what `fit` does, step by step.
//!
//! The same model as `mnist_mlp` (784 → 32 ReLU → 10, RMSprop with Keras's defaults, batch 128,
//! 5 epochs, seed 42), without `Model`: batches come from `Dataset::batches`, the forward pass is
//! written on a `Tape` (`linear`, `relu`, `linear`), the loss is the fused softmax cross-entropy
//! on class indices, `backward` returns the gradients and the optimizer steps. For users who want
//! to see under the hood, or to write a loop `fit` does not cover.
//!
//! Run: `cargo run --release --example mnist_manual -- [--data DIR]` (default `$MNIST_DIR`).
//! The last line is JSON.

use nnfacade::data::mnist;
use nnfacade::prelude::*;
use nnfacade::tensor::argmax_axis;
use std::time::Instant;

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = match (args.next().as_deref(), args.next()) {
        (Some("--data"), Some(dir)) => dir,
        _ => std::env::var("MNIST_DIR")
            .map_err(|_| "pass --data DIR or set MNIST_DIR to the MNIST files")?,
    };
    let data = mnist::load(&dir)?; // images (n, 784) in [0, 1], labels (n,) as class indices
    let seed = 42;
    let mut rng = Rng::seed_from(seed);
    let mut w1 = Param::new(Init::GlorotUniform.tensor(&[784, 32], &mut rng));
    let mut b1 = Param::new(Tensor::zeros(vec![32]));
    let mut w2 = Param::new(Init::GlorotUniform.tensor(&[32, 10], &mut rng));
    let mut b2 = Param::new(Tensor::zeros(vec![10]));
    let mut optimizer = RmsProp::keras();
    let tape = Tape::new();

    let epochs = 5;
    let mut seconds = Vec::new();
    for epoch in 1..=epochs {
        let started = Instant::now();
        let (mut loss_sum, mut seen) = (0.0f64, 0usize);
        for batch in data.train.batches(128, Some(rng.next_u64()), false) {
            let labels: Vec<usize> = batch.y.values().iter().map(|&l| l as usize).collect();
            // Forward: the parameters are shared with the tape, not copied.
            let x = tape.constant(batch.x);
            let hidden = x.linear(tape.param(&w1), Some(tape.param(&b1))).relu();
            let logits = hidden.linear(tape.param(&w2), Some(tape.param(&b2)));
            let loss = logits.sparse_softmax_cross_entropy(&labels);
            loss_sum += loss.item() as f64 * labels.len() as f64;
            seen += labels.len();
            // Backward: fresh gradients every step (nothing to zero), then one optimizer step.
            let grads = loss.backward();
            optimizer.step(&mut [&mut w1, &mut b1, &mut w2, &mut b2], &grads);
        }
        seconds.push(started.elapsed().as_secs_f64());
        println!(
            "epoch {epoch}/{epochs}: loss {:.4} ({:.2} s)",
            loss_sum / seen as f64,
            seconds[epoch - 1]
        );
    }

    // Test accuracy, without recording a graph.
    let correct = tape.no_grad(|| {
        let x = tape.constant(data.test.inputs().clone());
        let logits = x
            .linear(tape.param(&w1), Some(tape.param(&b1)))
            .relu()
            .linear(tape.param(&w2), Some(tape.param(&b2)));
        let predicted = argmax_axis(&logits.value(), 1);
        predicted
            .iter()
            .zip(data.test.targets().values().iter())
            .filter(|(p, &t)| **p == t as usize)
            .count()
    });
    tape.reset();
    let accuracy = correct as f64 / data.test.len() as f64;
    let mut later = seconds[1..].to_vec();
    later.sort_by(f64::total_cmp);
    println!("test accuracy {:.2}%", accuracy * 100.0);
    println!(
        "{{\"example\":\"mnist_manual\",\"test_accuracy\":{accuracy},\"epochs\":{epochs},\"seconds_per_epoch\":{},\"seed\":{seed}}}",
        later[later.len() / 2]
    );
    Ok(())
}
