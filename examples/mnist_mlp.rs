//! MNIST with the Keras tutorial's model: the main example.
//!
//! Follows the Keras MNIST tutorial: images flattened to 784 values in [0, 1], `Dense(32, relu)`,
//! `Dense(10, softmax)`, RMSprop with Keras's defaults, categorical cross-entropy on one-hot
//! labels, batch 128, 5 epochs, the test set as validation data, seed 42. Shows the whole
//! Keras-style workflow: `summary`, `compile`, `fit` with a progress bar, `evaluate`, `save`, and
//! the learning curves.
//!
//! Run: `cargo run --release --example mnist_mlp -- [--data DIR] [--epochs N] [--batch-size N]
//! [--hidden 32 | 512,512] [--optimizer rmsprop|adam|sgd] [--lr X] [--seed N] [--save PATH]
//! [--plot PATH] [--mirror URL] [--device cpu|gpu|gpu:N] [--dashboard [HOST:PORT]] [--quiet]`.
//! `--dashboard` serves a live page of the training curves (nnplay's `Dashboard`, default
//! 127.0.0.1:6006) while `fit` runs, and keeps it up until Enter when run in a terminal.
//! `--device gpu` needs a
//! build with the `gpu` feature (`cargo run --release --features gpu --example mnist_mlp --
//! --device gpu`) and a Vulkan, Metal or DirectX 12 driver: docs/gpu.md. The data directory is `--data`, else `$MNIST_DIR`,
//! else the platform's cache directory; built with `--features download`, missing files are
//! fetched there from the mirror (default: the one torchvision uses) and checked by SHA-256.
//! The last line is JSON.

use nnfacade::data::mnist::{Mnist, MnistOptions};
use nnfacade::prelude::*;
use std::time::Instant;

struct Args {
    data: Option<String>,
    epochs: usize,
    batch_size: usize,
    hidden: Vec<usize>,
    optimizer: String,
    lr: Option<f32>,
    seed: u64,
    save: Option<String>,
    plot: Option<String>,
    mirror: Option<String>,
    device: String,
    dashboard: Option<String>,
    quiet: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        data: std::env::var("MNIST_DIR").ok().filter(|d| !d.is_empty()),
        epochs: 5,
        batch_size: 128,
        hidden: vec![32],
        optimizer: "rmsprop".into(),
        lr: None,
        seed: 42,
        save: None,
        plot: None,
        mirror: None,
        device: "cpu".into(),
        dashboard: None,
        quiet: false,
    };
    let mut it = std::env::args().skip(1).peekable();
    while let Some(flag) = it.next() {
        if flag == "--quiet" {
            args.quiet = true;
            continue;
        }
        if flag == "--dashboard" {
            // An address may follow; without one, TensorBoard's 127.0.0.1:6006.
            let address = match it.next_if(|next| !next.starts_with("--")) {
                Some(address) => address,
                None => nnplay::DEFAULT_DASHBOARD_ADDRESS.to_string(),
            };
            args.dashboard = Some(address);
            continue;
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| {
            v.parse::<usize>()
                .map_err(|_| format!("{flag}: `{v}` is not a whole number"))
        };
        match flag.as_str() {
            "--data" => args.data = Some(value),
            "--epochs" => args.epochs = number(&value)?,
            "--batch-size" => args.batch_size = number(&value)?,
            "--hidden" => args.hidden = value.split(',').map(number).collect::<Result<_, _>>()?,
            "--optimizer" => args.optimizer = value,
            "--lr" => {
                args.lr = Some(
                    value
                        .parse()
                        .map_err(|_| format!("--lr: `{value}` is not a number"))?,
                )
            }
            "--seed" => {
                args.seed = value
                    .parse()
                    .map_err(|_| format!("--seed: `{value}` is not a whole number"))?
            }
            "--save" => args.save = Some(value),
            "--plot" => args.plot = Some(value),
            "--mirror" => args.mirror = Some(value),
            "--device" => args.device = value,
            other => return Err(format!("unknown option {other}: see examples/mnist_mlp.rs")),
        }
    }
    Ok(args)
}

fn optimizer(name: &str, lr: Option<f32>) -> Result<Box<dyn Optimizer>, String> {
    Ok(match name {
        "rmsprop" => Box::new(RmsProp::keras().with_lr(lr.unwrap_or(0.001))),
        "adam" => Box::new(Adam::keras().with_lr(lr.unwrap_or(0.001))),
        "sgd" => Box::new(Sgd::new(lr.unwrap_or(0.01))),
        other => {
            return Err(format!(
                "unknown optimizer `{other}`: use rmsprop, adam or sgd"
            ))
        }
    })
}

/// Loads MNIST from `dir` (or the default directory), fetching missing files first.
#[cfg(feature = "download")]
fn load(
    dir: Option<&str>,
    mirror: Option<&str>,
    options: MnistOptions,
) -> Result<(Mnist, String), Box<dyn std::error::Error>> {
    use nnfacade::data::download::{default_dir, load_or_download, DEFAULT_MIRROR};
    let dir = dir
        .map(std::path::PathBuf::from)
        .unwrap_or_else(default_dir);
    let data = load_or_download(&dir, mirror.unwrap_or(DEFAULT_MIRROR), options)?;
    Ok((data, dir.display().to_string()))
}

/// Loads MNIST from `dir`; this build cannot fetch it.
#[cfg(not(feature = "download"))]
fn load(
    dir: Option<&str>,
    _mirror: Option<&str>,
    options: MnistOptions,
) -> Result<(Mnist, String), Box<dyn std::error::Error>> {
    let dir = dir.ok_or(
        "MNIST not found: pass --data DIR or set MNIST_DIR to a directory holding the four MNIST files, \
         or build with --features download to fetch them (cargo run --release --features download --example mnist_mlp)",
    )?;
    Ok((
        nnfacade::data::mnist::load_with(dir, options)?,
        dir.to_string(),
    ))
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
    let loading = Instant::now();
    let (data, dir) = load(
        args.data.as_deref(),
        args.mirror.as_deref(),
        MnistOptions {
            one_hot: true,
            ..Default::default()
        },
    )?;
    println!(
        "loaded MNIST from {dir}: {} training and {} test images in {:.2} s",
        data.train.len(),
        data.test.len(),
        loading.elapsed().as_secs_f64()
    );

    let mut network = Sequential::new(args.seed);
    let mut width = 784;
    for &h in &args.hidden {
        network = network.linear(width, h).relu();
        width = h;
    }
    let mut model = Model::new(network.linear(width, 10).softmax());
    println!("{}", model.summary()?);
    model.compile_boxed(
        optimizer(&args.optimizer, args.lr)?,
        Loss::CategoricalCrossEntropy,
        &[Metric::Accuracy],
    );

    let dashboard = match &args.dashboard {
        Some(address) => {
            let dashboard = nnplay::Dashboard::serve(address)?;
            println!("dashboard: {}", dashboard.url());
            Some(dashboard)
        }
        None => None,
    };
    let mut callbacks: Vec<Box<dyn nnfacade::train::Callback>> = Vec::new();
    if let Some(dashboard) = &dashboard {
        callbacks.push(Box::new(dashboard.callback()));
    }
    let options = FitOptions {
        callbacks,
        epochs: args.epochs,
        batch_size: args.batch_size,
        seed: args.seed,
        validation_data: Some(&data.test),
        verbosity: if args.quiet {
            Verbosity::Silent
        } else {
            Verbosity::ProgressBar
        },
        device: Some(device),
        ..Default::default()
    };
    let history = model.fit(&data.train, options)?;
    let test = model.evaluate(&data.test)?;
    let accuracy = test.metric("accuracy").unwrap_or(f64::NAN);
    // Median seconds per epoch over epochs 2.. (the first includes warm-up), as BENCHMARKS.md times it.
    let mut later: Vec<f64> = history.seconds.iter().skip(1).copied().collect();
    if later.is_empty() {
        later = history.seconds.clone();
    }
    later.sort_by(f64::total_cmp);
    let seconds_per_epoch = later[later.len() / 2];
    println!(
        "test accuracy {:.2}%, test loss {:.4}, {:.3} s per epoch",
        accuracy * 100.0,
        test.loss,
        seconds_per_epoch
    );
    if let Some(path) = &args.save {
        model.save(path)?;
        println!("model saved to {path}");
    }
    if let Some(path) = &args.plot {
        history.plot_svg(path, "MNIST MLP: learning curves")?;
        println!("learning curves written to {path}");
    }
    if let Some(dashboard) = &dashboard {
        use std::io::IsTerminal;
        if std::io::stdin().is_terminal() {
            println!(
                "the dashboard stays at {}: press Enter to quit",
                dashboard.url()
            );
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
        }
    }
    let hidden: Vec<String> = args.hidden.iter().map(|h| h.to_string()).collect();
    println!(
        "{{\"example\":\"mnist_mlp\",\"test_accuracy\":{accuracy},\"test_loss\":{},\"epochs\":{},\"seconds_per_epoch\":{seconds_per_epoch},\"seed\":{},\"hidden\":[{}],\"optimizer\":\"{}\",\"batch_size\":{},\"device\":\"{}\"}}",
        test.loss,
        history.epochs.len(),
        args.seed,
        hidden.join(","),
        args.optimizer,
        args.batch_size,
        device
    );
    Ok(())
}
