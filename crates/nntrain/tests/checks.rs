//! The mistakes of the Keras MNIST tutorial, and other bad data, each give a clear error.

use nnautograd::nntensor::{one_hot, Tensor};
use nndata::Dataset;
use nnlayers::Sequential;
use nnoptim::RmsProp;
use nntrain::*;

fn keras_mnist_model(loss: Loss) -> Model {
    let mut model = Model::new(
        Sequential::new(42)
            .linear(784, 32)
            .relu()
            .linear(32, 10)
            .softmax(),
    );
    model.compile(RmsProp::keras(), loss, &[Metric::Accuracy]);
    model
}

fn quiet<'a>() -> FitOptions<'a> {
    FitOptions {
        epochs: 1,
        batch_size: 128,
        verbosity: Verbosity::Silent,
        ..Default::default()
    }
}

fn labels(n: usize) -> Tensor {
    Tensor::from_vec([n], (0..n).map(|i| (i % 10) as f32).collect()).unwrap()
}

#[test]
fn images_not_flattened() {
    let mut model = keras_mnist_model(Loss::CategoricalCrossEntropy);
    let data = Dataset::new(
        Tensor::zeros(vec![600, 28, 28]),
        one_hot(&[3; 600], 10).unwrap(),
    )
    .unwrap();
    let err = model.fit(&data, quiet()).unwrap_err().to_string();
    assert_eq!(
        err,
        "training inputs have shape (600, 28, 28) but layer `linear_1` takes 784 features per sample: \
         flatten the images to (600, 784), or put a Flatten layer first"
    );
    let err = model
        .predict(&Tensor::zeros(vec![5, 28, 28]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("flatten the images to (5, 784)"), "{err}");
}

#[test]
fn integer_labels_into_categorical_cross_entropy() {
    let mut model = keras_mnist_model(Loss::CategoricalCrossEntropy);
    let data = Dataset::new(Tensor::zeros(vec![600, 784]), labels(600)).unwrap();
    let err = model.fit(&data, quiet()).unwrap_err().to_string();
    assert!(err.starts_with("training targets have shape (600,) but categorical_crossentropy needs one-hot rows of shape (600, 10)"), "{err}");
    assert!(err.contains("10-way output of layer `softmax_1`"), "{err}");
    assert!(
        err.contains("One-hot them") && err.contains("sparse categorical cross-entropy"),
        "{err}"
    );
}

#[test]
fn one_hot_rows_into_a_sparse_loss() {
    let mut model = keras_mnist_model(Loss::SparseCategoricalCrossEntropy);
    let data = Dataset::new(Tensor::zeros(vec![60, 784]), one_hot(&[1; 60], 10).unwrap()).unwrap();
    let err = model.fit(&data, quiet()).unwrap_err().to_string();
    assert!(
        err.contains("these look like one-hot rows")
            && err.contains("Loss::CategoricalCrossEntropy"),
        "{err}"
    );
}

#[test]
fn class_index_out_of_range_or_not_whole() {
    let mut model = keras_mnist_model(Loss::SparseCategoricalCrossEntropy);
    let mut y = labels(60);
    y[[7]] = 10.0;
    let err = model
        .fit(
            &Dataset::new(Tensor::zeros(vec![60, 784]), y.clone()).unwrap(),
            quiet(),
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("target 10 at row 7 is not a class index in 0..10"),
        "{err}"
    );
    y[[7]] = 2.5;
    let err = model
        .fit(
            &Dataset::new(Tensor::zeros(vec![60, 784]), y).unwrap(),
            quiet(),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("target 2.5 at row 7"), "{err}");
}

#[test]
fn different_numbers_of_inputs_and_targets() {
    let err = Dataset::new(Tensor::zeros(vec![60000, 784]), labels(59999))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "a dataset needs as many targets as inputs: got 60000 inputs and 59999 targets"
    );
}

#[test]
fn pixels_left_in_0_to_255_give_a_warning() {
    let mut model = keras_mnist_model(Loss::SparseCategoricalCrossEntropy);
    let x = Tensor::from_vec(
        [64, 784],
        (0..64 * 784)
            .map(|k| (((k / 784) * 31 + k % 784) % 256) as f32)
            .collect(),
    )
    .unwrap();
    let history = model
        .fit(&Dataset::new(x, labels(64)).unwrap(), quiet())
        .unwrap();
    assert!(
        history
            .warnings
            .iter()
            .any(|w| w.contains("raw pixel values") && w.contains("divide by 255")),
        "{:?}",
        history.warnings
    );
}

#[test]
fn nan_in_the_data_is_reported_with_its_row() {
    let mut model = keras_mnist_model(Loss::SparseCategoricalCrossEntropy);
    let mut x = Tensor::zeros(vec![64, 784]);
    x[[41, 300]] = f32::NAN;
    let err = model
        .fit(&Dataset::new(x, labels(64)).unwrap(), quiet())
        .unwrap_err()
        .to_string();
    assert_eq!(err, "training inputs contain NaN at row 41 (column 300); clean or drop that row first (models never see NaN or infinity)");
}

#[test]
fn fit_before_compile() {
    let mut model = Model::new(Sequential::new(0).linear(2, 1));
    let data = Dataset::new(Tensor::zeros(vec![4, 2]), Tensor::zeros(vec![4, 1])).unwrap();
    assert!(model
        .fit(&data, quiet())
        .unwrap_err()
        .to_string()
        .contains("call model.compile"));
}

#[test]
fn summary_is_the_keras_table() {
    let model = keras_mnist_model(Loss::CategoricalCrossEntropy);
    let s = model.summary().unwrap();
    assert!(s.contains("Total params: 25,450"), "{s}");
    let flat = Model::new(Sequential::new(0).flatten().linear(784, 10)).with_input_shape(&[28, 28]);
    assert!(flat.summary().unwrap().contains("(None, 784)"));
}

#[test]
fn nan_is_refused_by_evaluate_and_predict_too() {
    let model = keras_mnist_model(Loss::SparseCategoricalCrossEntropy);
    let mut x = Tensor::zeros(vec![8, 784]);
    x[[5, 3]] = f32::INFINITY;
    let err = model
        .evaluate(&Dataset::new(x.clone(), labels(8)).unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("contain inf at row 5 (column 3)"), "{err}");
    let err = model.predict(&x).unwrap_err().to_string();
    assert!(err.contains("contain inf at row 5 (column 3)"), "{err}");
}

#[test]
fn empty_inputs_and_sets() {
    let model = keras_mnist_model(Loss::SparseCategoricalCrossEntropy);
    assert_eq!(
        model.predict(&Tensor::zeros(vec![0, 784])).unwrap().shape(),
        &[0, 10]
    );
    let empty = Dataset::new(Tensor::zeros(vec![0, 784]), labels(0)).unwrap();
    assert!(model
        .evaluate(&empty)
        .unwrap_err()
        .to_string()
        .contains("empty"));
    let mut model = keras_mnist_model(Loss::SparseCategoricalCrossEntropy);
    let data = Dataset::new(Tensor::zeros(vec![8, 784]), labels(8)).unwrap();
    let err = model
        .fit(
            &data,
            FitOptions {
                validation_data: Some(&empty),
                ..quiet()
            },
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("the validation set is empty"), "{err}");
}

#[test]
fn metrics_that_do_not_fit_the_loss_are_refused() {
    let mut model = Model::new(Sequential::new(42).linear(784, 10).softmax());
    model.compile(
        RmsProp::keras(),
        Loss::CategoricalCrossEntropy,
        &[Metric::SparseCategoricalAccuracy],
    );
    let data = Dataset::new(Tensor::zeros(vec![8, 784]), one_hot(&[1; 8], 10).unwrap()).unwrap();
    let err = model.fit(&data, quiet()).unwrap_err().to_string();
    assert!(
        err.contains(
            "metric `sparse_categorical_accuracy` cannot be computed with categorical_crossentropy"
        ),
        "{err}"
    );
}

#[test]
fn asking_for_no_more_epochs_than_done_is_an_error() {
    let mut model = keras_mnist_model(Loss::SparseCategoricalCrossEntropy);
    let data = Dataset::new(Tensor::zeros(vec![8, 784]), labels(8)).unwrap();
    model
        .fit(
            &data,
            FitOptions {
                epochs: 2,
                ..quiet()
            },
        )
        .unwrap();
    let err = model
        .fit(
            &data,
            FitOptions {
                epochs: 2,
                ..quiet()
            },
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("already trained 2 epochs"), "{err}");
    assert_eq!(
        model
            .fit(
                &data,
                FitOptions {
                    epochs: 3,
                    ..quiet()
                }
            )
            .unwrap()
            .epochs,
        vec![3]
    );
}

#[test]
fn a_softmax_before_a_logits_loss_gives_a_warning() {
    let mut model = Model::new(Sequential::new(42).linear(784, 10).softmax());
    model.compile(RmsProp::keras(), Loss::SparseSoftmaxCrossEntropy, &[]);
    let data = Dataset::new(Tensor::zeros(vec![8, 784]), labels(8)).unwrap();
    let h = model.fit(&data, quiet()).unwrap();
    assert!(
        h.warnings
            .iter()
            .any(|w| w.contains("expects raw scores (logits)")),
        "{:?}",
        h.warnings
    );
}
