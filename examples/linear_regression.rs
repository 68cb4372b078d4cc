//! y = 2x + 1 — linear regression by per-sample stochastic gradient descent.
//!
//! Follows the linear-regression tutorial: 10,000 points `x = i mod 100`, `y = 2x + 1`, a model
//! `y = w·x + b` starting from `w = b = 0`, squared error, and SGD with
//! learning rate 1e-4 on one sample at a time, reshuffled every epoch, for 10 epochs. Shows a
//! user callback printing the loss, `w` and `b` after every epoch.
//!
//! Run: `cargo run --release --example linear_regression`. The last line is JSON.

use nnfacade::data::synthetic;
use nnfacade::prelude::*;
use nnfacade::train::{Control, EpochCallback, EpochEnd};

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
    let data = synthetic::line(2.0, 1.0, 10_000, 100, 0.0, 0);
    let mut model = Model::new(Sequential::new(0).linear_with(1, 1, Init::Zeros, Init::Zeros));
    model.compile(Sgd::new(1e-4), Loss::MeanSquaredError, &[]);
    let report = EpochCallback(|end: &mut EpochEnd<'_>| {
        let p = end.network.parameters();
        println!(
            "epoch {:>2}: loss {:.6}  w = {:.5}  b = {:.5}",
            end.epoch,
            end.log("loss").unwrap_or(f64::NAN),
            p[0].value()[[0, 0]],
            p[1].value()[[0]]
        );
        Control::Continue
    });
    let options = FitOptions {
        epochs: 10,
        batch_size: 1,
        seed: 1,
        verbosity: Verbosity::Silent,
        callbacks: vec![Box::new(report)],
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let history = model.fit(&data, options)?;
    let seconds = started.elapsed().as_secs_f64();

    let p = model.network().parameters();
    let (w, b) = (p[0].value()[[0, 0]], p[1].value()[[0]]);
    println!(
        "learned y = {w:.4}·x + {b:.4} (truth: y = 2x + 1) in {:.2} s, {:.2} µs per step",
        seconds,
        seconds * 1e6 / 100_000.0
    );
    println!(
        "{{\"example\":\"linear_regression\",\"w\":{w},\"b\":{b},\"final_loss\":{},\"epochs\":10,\"us_per_step\":{}}}",
        history.last("loss").unwrap_or(f64::NAN),
        seconds * 1e6 / 100_000.0
    );
    Ok(())
}
