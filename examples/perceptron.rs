//! Cats or mice? — a perceptron splitting two classes of 2-D points.
//!
//! Follows the perceptron tutorial: animals described by (standardised) height and weight, a
//! single neuron `sigmoid(w₁·height + w₂·weight + b)`, binary cross-entropy and gradient descent.
//! Shows a held-out test set, `evaluate`, and a plot of the learned decision boundary with the
//! points (`perceptron_boundary.svg`, or the path given as the first argument).
//!
//! Run: `cargo run --release --example perceptron [PLOT.svg]`. The last line is JSON.

use nnfacade::data::synthetic;
use nnfacade::prelude::*;
use nnfacade::train::plot_decision_boundary;

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
    let plot = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "perceptron_boundary.svg".into());
    // Separable setting: class centres at (−3, −3) and (3, 3), each coordinate with std 1.
    let animals = synthetic::two_classes(200, 6.0, 7);
    let (train, test) = animals.split(0.25, 1)?;
    let mut model = Model::new(Sequential::new(3).linear(2, 1).sigmoid());
    model.compile(Sgd::new(0.5), Loss::BinaryCrossEntropy, &[Metric::Accuracy]);
    let options = FitOptions {
        epochs: 100,
        batch_size: train.len(),
        verbosity: Verbosity::Silent,
        ..Default::default()
    };
    let history = model.fit(&train, options)?;
    let test_result = model.evaluate(&test)?;

    let p = model.network().parameters();
    let (w1, w2, b) = (
        p[0].value()[[0, 0]],
        p[0].value()[[1, 0]],
        p[1].value()[[0]],
    );
    println!(
        "learned neuron: sigmoid({w1:.3}·height + {w2:.3}·weight + {b:.3})  (1 = cat, 0 = mouse)"
    );
    let train_accuracy = history.last("accuracy").unwrap_or(f64::NAN);
    let test_accuracy = test_result.metric("accuracy").unwrap_or(f64::NAN);
    println!(
        "train accuracy {:.1}%, test accuracy {:.1}% ({} test animals)",
        train_accuracy * 100.0,
        test_accuracy * 100.0,
        test.len()
    );
    plot_decision_boundary(
        &model,
        &animals,
        &plot,
        "Cats (1) vs mice (0): learned boundary",
    )?;
    println!("decision boundary written to {plot}");
    println!(
        "{{\"example\":\"perceptron\",\"train_accuracy\":{train_accuracy},\"test_accuracy\":{test_accuracy},\"test_loss\":{},\"w\":[{w1},{w2}],\"b\":{b},\"plot\":\"{plot}\"}}",
        test_result.loss
    );
    Ok(())
}
