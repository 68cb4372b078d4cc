//! The mistakes a Keras user makes first, each met with an error (or warning) that names the
//! fix: one 1-D row to predict, NaN at predict time, a validation split that leaves nothing, class
//! indices fed to MSE with a 10-way output, accuracy on a regression, a batch larger than the
//! data, and a save into a missing directory.

use nnautograd::nntensor::Tensor;
use nndata::Dataset;
use nnlayers::Sequential;
use nnoptim::{Adam, Sgd};
use nntrain::*;

fn quiet<'a>(epochs: usize, batch_size: usize) -> FitOptions<'a> {
    FitOptions {
        epochs,
        batch_size,
        verbosity: Verbosity::Silent,
        ..Default::default()
    }
}

fn classifier() -> Model {
    let mut model = Model::new(
        Sequential::new(1)
            .linear(4, 8)
            .relu()
            .linear(8, 10)
            .softmax(),
    );
    model.compile(
        Adam::new(0.01),
        Loss::SparseCategoricalCrossEntropy,
        &[Metric::Accuracy],
    );
    model
}

fn indices(n: usize) -> Tensor {
    Tensor::from_vec([n], (0..n).map(|i| (i % 10) as f32).collect()).unwrap()
}

#[test]
fn predicting_one_1d_row_says_reshape_to_1_n() {
    let e = classifier()
        .predict(&Tensor::zeros(vec![4]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("this is one sample of 4: reshape it to (1, 4)"),
        "{e}"
    );
}

#[test]
fn nan_in_predict_or_evaluate_does_not_talk_about_training() {
    let model = classifier();
    let mut x = vec![0.0; 8];
    x[5] = f32::NAN;
    let x = Tensor::from_vec([2, 4], x).unwrap();
    let e = model.predict(&x).unwrap_err().to_string();
    assert!(
        e.contains("inputs to predict contain NaN at row 1 (column 1)"),
        "{e}"
    );
    assert!(!e.contains("training"), "{e}");
    let data = Dataset::new(x, indices(2)).unwrap();
    let e = model.evaluate(&data).unwrap_err().to_string();
    assert!(
        e.contains("evaluation inputs contain NaN") && !e.contains("training"),
        "{e}"
    );
}

#[test]
fn a_validation_split_that_leaves_nothing_names_the_split() {
    let data = Dataset::new(Tensor::zeros(vec![10, 4]), indices(10)).unwrap();
    let mut options = quiet(1, 4);
    options.validation_split = 0.95;
    let e = classifier().fit(&data, options).unwrap_err().to_string();
    assert!(
        e.contains("validation_split 0.95 of 10 rows leaves no training rows"),
        "{e}"
    );
}

#[test]
fn class_indices_fed_to_mse_or_bce_point_to_the_sparse_loss() {
    let data = Dataset::new(Tensor::zeros(vec![20, 4]), indices(20)).unwrap();
    for loss in [Loss::MeanSquaredError, Loss::BinaryCrossEntropy] {
        let mut model = classifier();
        model.compile(Sgd::new(0.1), loss, &[]);
        let e = model.fit(&data, quiet(1, 5)).unwrap_err().to_string();
        assert!(
            e.contains("10-way output of layer `softmax_1`")
                && e.contains("Loss::SparseCategoricalCrossEntropy"),
            "{e}"
        );
    }
}

#[test]
fn accuracy_on_a_regression_is_refused() {
    let x = Tensor::from_vec([4, 1], vec![0.0, 1.0, 2.0, 3.0]).unwrap();
    let y = Tensor::from_vec([4], vec![1.0, 3.0, 5.0, 7.0]).unwrap();
    let mut model = Model::new(Sequential::new(0).linear(1, 1));
    model.compile(Sgd::new(0.01), Loss::MeanSquaredError, &[Metric::Accuracy]);
    let e = model
        .fit_arrays(&x, &y, quiet(1, 4))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("accuracy is for classifiers, but the training targets hold 3")
            && e.contains("MeanAbsoluteError"),
        "{e}"
    );
    // 0/1 targets (one-hot rows with MSE) keep their binary accuracy.
    let y01 = Tensor::from_vec([4], vec![0.0, 1.0, 1.0, 0.0]).unwrap();
    model.fit_arrays(&x, &y01, quiet(1, 4)).unwrap();
}

#[test]
fn a_batch_larger_than_the_data_warns() {
    let data = Dataset::new(Tensor::zeros(vec![10, 4]), indices(10)).unwrap();
    let history = classifier().fit(&data, quiet(1, 128)).unwrap();
    assert!(
        history
            .warnings
            .iter()
            .any(|w| w.contains("batch_size 128 is larger than the 10 training rows")),
        "{:?}",
        history.warnings
    );
}

#[test]
fn saving_into_a_missing_directory_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let e = classifier()
        .save(dir.path().join("runs").join("model.nnf"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not exist: create it first"), "{e}");
}
