//! "Is this number 15?" — logistic regression, the first tutorial.
//!
//! Follows the logistic-regression tutorial: ten numbers (15, 72, 15, 31, 15, 1002, 15, 32, 15,
//! 16), a model `p = sigmoid(w·x + b)` on the raw number, binary cross-entropy, and plain
//! full-batch gradient descent. Shows `Model`, `compile`, `fit` and `predict` on the smallest
//! possible problem, and that the learned boundary `x = −b/w` lands between 15 and 16.
//!
//! Run: `cargo run --release --example is_fifteen`. The last line is JSON.

use nnfacade::data::synthetic;
use nnfacade::prelude::*;

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
    let data = synthetic::is_fifteen();
    let mut model = Model::new(Sequential::new(0).linear(1, 1).sigmoid());
    model.compile(Sgd::new(1.0), Loss::BinaryCrossEntropy, &[Metric::Accuracy]);
    let options = FitOptions {
        epochs: 1000,
        batch_size: 10,
        verbosity: Verbosity::Silent,
        ..Default::default()
    };
    let history = model.fit(&data, options)?;

    let params = model.network().parameters();
    let (w, b) = (params[0].value()[[0, 0]], params[1].value()[[0]]);
    println!(
        "learned p = sigmoid({w:.4}·x + {b:.4}); boundary at x = {:.3}",
        -b / w
    );
    let probabilities = model.predict(data.inputs())?;
    for (x, p) in data
        .inputs()
        .to_vec()
        .into_iter()
        .zip(probabilities.to_vec())
    {
        println!(
            "  {x:>6}  →  p(is 15) = {p:.4}  {}",
            if p > 0.5 { "yes" } else { "no" }
        );
    }
    let accuracy = history.last("accuracy").unwrap_or(f64::NAN);
    println!("training accuracy: {:.1}%", accuracy * 100.0);
    println!(
        "{{\"example\":\"is_fifteen\",\"w\":{w},\"b\":{b},\"boundary\":{},\"train_accuracy\":{accuracy},\"final_loss\":{}}}",
        -b / w,
        history.last("loss").unwrap_or(f64::NAN)
    );
    Ok(())
}
