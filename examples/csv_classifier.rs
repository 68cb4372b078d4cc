//! Your own table: train an MLP on a CSV file given on the command line, and print its test
//! metrics and confusion matrix.
//!
//! `nndata::csv::read_csv` types each column (numbers, or text categories one-hot encoded),
//! turns a text target into class indices, and fills missing cells when asked; the rows are
//! split 80/20 with each class's share kept in both parts (`Dataset::stratified_split`); the
//! features' mean and standard deviation, fitted on the training part, become the model's first
//! layer (`Normalization`, so the saved model takes raw rows); a 16-unit ReLU MLP is trained
//! with Adam on sparse categorical cross-entropy; `nntrain::scores` gives the test confusion matrix, per-class
//! precision, recall and F1 (and ROC AUC for two classes).
//!
//! Run: `cargo run --release --example csv_classifier -- [FILE] [--target COLUMN]
//! [--ignore COLUMN]... [--fill mean|VALUE] [--epochs N] [--seed N] [--save MODEL]`. Without a file it reads
//! the Palmer penguins (`examples/data/penguins/penguins.csv`, target `species`, missing values
//! filled with column means). The last line is JSON.

use nnfacade::data::csv::{read_csv, Column, CsvOptions, Missing};
use nnfacade::data::Standardizer;
use nnfacade::prelude::*;
use nnfacade::tensor::argmax_axis;
use nnfacade::train::scores::{roc_auc, ConfusionMatrix};

const PENGUINS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/data/penguins/penguins.csv"
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

struct Args {
    file: String,
    options: CsvOptions,
    epochs: usize,
    seed: u64,
    save: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        file: PENGUINS.to_string(),
        options: CsvOptions {
            missing: Missing::Mean,
            ..Default::default()
        },
        epochs: 100,
        seed: 42,
        save: None,
    };
    let mut target = None;
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        let mut value = || given.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--target" => target = Some(value()?),
            "--ignore" => args.options.ignore.push(Column::Name(value()?)),
            "--fill" => {
                let v = value()?;
                args.options.missing = match v.as_str() {
                    "mean" => Missing::Mean,
                    "error" => Missing::Error,
                    number => Missing::Fill(number.parse().map_err(|_| {
                        format!("--fill takes mean, error or a number, not {number}")
                    })?),
                };
            }
            "--epochs" => args.epochs = value()?.parse().map_err(|e| format!("--epochs: {e}"))?,
            "--seed" => args.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--save" => args.save = Some(value()?),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            file => args.file = file.to_string(),
        }
    }
    args.options.targets = match (target, args.file == PENGUINS) {
        (Some(t), _) => vec![Column::Name(t)],
        (None, true) => vec![Column::from("species")],
        (None, false) => Vec::new(), // the last column
    };
    Ok(args)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let table = read_csv(&args.file, &args.options)?;
    let classes = table
        .classes()
        .ok_or_else(|| {
            format!(
                "the target `{}` is numeric: csv_classifier predicts classes, so choose a text column with --target",
                table.target_names[0]
            )
        })?
        .to_vec();
    let shown = if args.file == PENGUINS {
        "examples/data/penguins/penguins.csv"
    } else {
        &args.file
    };
    println!(
        "{shown}: {} rows, {} features after encoding ({}), {} classes of `{}`: {:?}",
        table.dataset.len(),
        table.feature_names.len(),
        table.feature_names.join(", "),
        classes.len(),
        table.target_names[0],
        classes
    );

    let (train, test) = table.dataset.stratified_split(0.2, args.seed)?;
    let scaler = Standardizer::fit(train.inputs())?;

    let features = table.feature_names.len();
    let network = Sequential::new(args.seed)
        .normalization(&scaler.mean, &scaler.std)
        .linear(features, 16)
        .relu()
        .linear(16, classes.len())
        .softmax();
    let mut model = Model::new(network);
    model.compile(
        Adam::new(0.01),
        Loss::SparseCategoricalCrossEntropy,
        &[Metric::Accuracy],
    );
    let options = FitOptions {
        epochs: args.epochs,
        batch_size: 16,
        seed: args.seed,
        verbosity: Verbosity::Silent,
        ..Default::default()
    };
    let history = model.fit(&train, options)?;
    println!(
        "trained {} epochs on {} rows: loss {:.4}, accuracy {:.4}",
        args.epochs,
        train.len(),
        history.last("loss").unwrap_or(f64::NAN),
        history.last("accuracy").unwrap_or(f64::NAN)
    );

    let probabilities = model.predict(test.inputs())?;
    let predicted = argmax_axis(&probabilities, 1);
    let truth: Vec<usize> = test
        .targets()
        .to_vec()
        .iter()
        .map(|&c| c as usize)
        .collect();
    let matrix = ConfusionMatrix::from_labels(&truth, &predicted, classes.len())?;
    println!(
        "\ntest set, {} rows:\n{}",
        test.len(),
        matrix.table(&classes)
    );
    println!(
        "accuracy {:.4}, macro precision {:.4}, macro recall {:.4}, macro F1 {:.4}",
        matrix.accuracy(),
        matrix.macro_precision(),
        matrix.macro_recall(),
        matrix.macro_f1()
    );
    if let Some(path) = &args.save {
        model.save(path)?;
        println!("model saved to {path} (it takes raw rows: the scaling is its first layer)");
    }
    let mut auc = String::from("null");
    if classes.len() == 2 {
        let scores: Vec<f32> = probabilities.to_vec().chunks(2).map(|p| p[1]).collect();
        let positive: Vec<bool> = truth.iter().map(|&t| t == 1).collect();
        let value = roc_auc(&scores, &positive)?;
        println!("ROC AUC ({} as positive) {value:.4}", classes[1]);
        auc = value.to_string();
    }
    println!(
        "{{\"example\":\"csv_classifier\",\"rows\":{},\"features\":{features},\"classes\":{},\"test_rows\":{},\"test_accuracy\":{},\"macro_f1\":{},\"roc_auc\":{auc}}}",
        table.dataset.len(),
        classes.len(),
        test.len(),
        matrix.accuracy(),
        matrix.macro_f1()
    );
    Ok(())
}
