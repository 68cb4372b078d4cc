//! MNIST with the Keras "simple MNIST convnet": the step every tutorial takes after the MLP.
//!
//! Images as (1, 28, 28) in [0, 1] (NCHW: batch, channels, height, width, PyTorch's layout) →
//! Conv 32 3×3 ReLU → MaxPool 2 → Conv 64 3×3 ReLU → MaxPool 2 → Flatten (1600) → Dropout 0.5 →
//! Dense 10 softmax; Adam with Keras's defaults, categorical cross-entropy, batch 128, the test
//! set as validation data, seed 42. Keras trains it 15 epochs to about 99 %.
//!
//! Run: `cargo run --release --example mnist_cnn -- [--data DIR] [--epochs N] [--batch-size N]
//! [--seed N] [--save PATH] [--device cpu|gpu|gpu:N] [--quiet]` (`--device gpu` needs the `gpu`
//! feature: docs/gpu.md). The data directory is `--data`, else `$MNIST_DIR`. The last line is
//! JSON.

use nnfacade::data::mnist::MnistOptions;
use nnfacade::prelude::*;

struct Args {
    data: Option<String>,
    epochs: usize,
    batch_size: usize,
    seed: u64,
    save: Option<String>,
    device: String,
    quiet: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        data: std::env::var("MNIST_DIR").ok().filter(|d| !d.is_empty()),
        epochs: 12,
        batch_size: 128,
        seed: 42,
        save: None,
        device: "cpu".into(),
        quiet: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--quiet" {
            args.quiet = true;
            continue;
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: `{v}` is not a whole number"))
        };
        match flag.as_str() {
            "--data" => args.data = Some(value),
            "--epochs" => args.epochs = number(&value)? as usize,
            "--batch-size" => args.batch_size = number(&value)? as usize,
            "--seed" => args.seed = number(&value)?,
            "--save" => args.save = Some(value),
            "--device" => args.device = value,
            other => return Err(format!("unknown option {other}: see examples/mnist_cnn.rs")),
        }
    }
    Ok(args)
}

/// A set of (n, 28, 28) images as (n, 1, 28, 28).
fn with_channel_axis(data: Dataset) -> Result<Dataset, Box<dyn std::error::Error>> {
    let (x, y) = data.into_parts();
    let n = x.shape()[0];
    Ok(Dataset::new(x.into_reshaped([n, 1, 28, 28]), y)?)
}

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
    let args = parse_args()?;
    let device = Device::from_name(&args.device)?;
    #[cfg(feature = "gpu")]
    if let Some(info) = device.gpu_info() {
        println!("training on {info}");
    }
    let dir = args.data.as_deref().ok_or(
        "MNIST not found: pass --data DIR or set MNIST_DIR to a directory holding the four MNIST files",
    )?;
    let options = MnistOptions {
        flatten: false,
        one_hot: true,
        ..Default::default()
    };
    let data = nnfacade::data::mnist::load_with(dir, options)?;
    let (train, test) = (
        with_channel_axis(data.train)?,
        with_channel_axis(data.test)?,
    );
    println!(
        "loaded MNIST from {dir}: {} training and {} test images of shape (1, 28, 28)",
        train.len(),
        test.len()
    );

    let network = Sequential::new(args.seed)
        .conv2d(1, 32, [3, 3])
        .relu()
        .max_pool2d([2, 2])
        .conv2d(32, 64, [3, 3])
        .relu()
        .max_pool2d([2, 2])
        .flatten()
        .dropout(0.5)
        .linear(1600, 10)
        .softmax();
    let mut model = Model::new(network).with_input_shape(&[1, 28, 28]);
    println!("{}", model.summary()?);
    model.compile(
        Adam::keras(),
        Loss::CategoricalCrossEntropy,
        &[Metric::Accuracy],
    );
    let fit = FitOptions {
        epochs: args.epochs,
        batch_size: args.batch_size,
        seed: args.seed,
        validation_data: Some(&test),
        verbosity: if args.quiet {
            Verbosity::Silent
        } else {
            Verbosity::ProgressBar
        },
        device: Some(device),
        ..Default::default()
    };
    let history = model.fit(&train, fit)?;
    let result = model.evaluate(&test)?;
    let accuracy = result.metric("accuracy").unwrap_or(f64::NAN);
    let mut later: Vec<f64> = history.seconds.iter().skip(1).copied().collect();
    if later.is_empty() {
        later = history.seconds.clone();
    }
    later.sort_by(f64::total_cmp);
    let seconds_per_epoch = later[later.len() / 2];
    println!(
        "test accuracy {:.2}%, test loss {:.4}, {:.2} s per epoch",
        accuracy * 100.0,
        result.loss,
        seconds_per_epoch
    );
    if let Some(path) = &args.save {
        model.save(path)?;
        println!("model saved to {path}");
    }
    println!(
        "{{\"example\":\"mnist_cnn\",\"test_accuracy\":{accuracy},\"test_loss\":{},\"epochs\":{},\"seconds_per_epoch\":{seconds_per_epoch},\"seed\":{},\"batch_size\":{},\"device\":\"{}\"}}",
        result.loss,
        history.epochs.len(),
        args.seed,
        args.batch_size,
        device
    );
    Ok(())
}
