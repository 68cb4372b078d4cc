//! Weights trained in PyTorch, used here: the tutorial's MNIST MLP (784 → 32 ReLU → 10) trained
//! with PyTorch and saved with `safetensors.torch.save_file(model.state_dict(), path)`, loaded
//! into the same network built with nnfacade, and evaluated on the MNIST test set.
//!
//! The file and the script that made it are in `examples/data/pytorch_mlp/`
//! (`train_with_pytorch.py`, run once by hand; CI does not install PyTorch). `reference.json`
//! beside it holds PyTorch's test accuracy and its probabilities for the first 8 test images:
//! this example checks that ours agree.
//!
//! `load_weights` matches PyTorch's `0.weight`, `0.bias`, `2.weight`, `2.bias` (indices in its
//! `nn.Sequential`, where `nn.ReLU` takes index 1) to our `linear_1` and `linear_2` in order, and
//! transposes each weight: PyTorch stores `Linear.weight` as `(out, in)`, nnfacade as `(in, out)`.
//! PyTorch's model ends in logits (its loss applies the softmax); ours adds the softmax layer,
//! which has no parameters.
//!
//! Run: `cargo run --release --example from_pytorch -- [--weights FILE] [--data DIR]`
//! (default: the committed file, and `$MNIST_DIR`). The last line is JSON.

use nnfacade::data::mnist;
use nnfacade::prelude::*;
use nnfacade::tensor::argmax_axis;

const DEFAULT_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/data/pytorch_mlp"
);

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
    let mut weights = format!("{DEFAULT_DIR}/mnist_mlp.safetensors");
    let mut data_dir = std::env::var("MNIST_DIR").ok();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--weights" => weights = value,
            "--data" => data_dir = Some(value),
            other => {
                return Err(
                    format!("unknown option {other}: use --weights FILE, --data DIR").into(),
                )
            }
        }
    }
    let data_dir = data_dir.ok_or("pass --data DIR or set MNIST_DIR to the MNIST files")?;

    let mut network = Sequential::new(0)
        .linear(784, 32)
        .relu()
        .linear(32, 10)
        .softmax();
    network.load_weights(&weights)?;
    println!("loaded {weights}");
    let model = Model::new(network);
    println!("{}", model.summary()?);

    let test = mnist::load(&data_dir)?.test;
    let probabilities = model.predict(test.inputs())?;
    let predicted = argmax_axis(&probabilities, 1);
    let correct = predicted
        .iter()
        .zip(test.targets().values().iter())
        .filter(|(p, &t)| **p == t as usize)
        .count();
    let accuracy = correct as f64 / test.len() as f64;
    println!("test accuracy {:.2}%", accuracy * 100.0);

    // PyTorch's own figures for the committed file.
    let reference: Option<serde_json::Value> =
        std::fs::read_to_string(format!("{DEFAULT_DIR}/reference.json"))
            .ok()
            .filter(|_| weights == format!("{DEFAULT_DIR}/mnist_mlp.safetensors"))
            .map(|text| serde_json::from_str(&text))
            .transpose()?;
    let (mut torch_accuracy, mut max_difference) = (f64::NAN, f64::NAN);
    if let Some(reference) = reference {
        torch_accuracy = reference["test_accuracy"]
            .as_f64()
            .ok_or("reference.json: no test_accuracy")?;
        let rows = reference["first_8_probabilities"]
            .as_array()
            .ok_or("reference.json: no probabilities")?;
        let ours = probabilities.to_vec();
        max_difference = 0.0;
        for (i, row) in rows.iter().enumerate() {
            for (j, p) in row
                .as_array()
                .ok_or("reference.json: a row is not a list")?
                .iter()
                .enumerate()
            {
                let theirs = p.as_f64().ok_or("reference.json: not a number")?;
                max_difference = max_difference.max((ours[i * 10 + j] as f64 - theirs).abs());
            }
        }
        println!(
            "PyTorch's test accuracy {:.2}%; largest difference from its probabilities on 8 test images {max_difference:.2e}",
            torch_accuracy * 100.0
        );
    }
    println!(
        "{{\"example\":\"from_pytorch\",\"test_accuracy\":{accuracy},\"torch_test_accuracy\":{torch_accuracy},\"max_probability_difference\":{max_difference}}}"
    );
    Ok(())
}
