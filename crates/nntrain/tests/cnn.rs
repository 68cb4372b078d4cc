//! Convolutional models through `Model`: the Keras summary, the layout errors at the `fit` and
//! `predict` boundary, training on a small image task, and a saved model that loads to the same
//! predictions.

use nnautograd::nntensor::{Rng, Tensor};
use nndata::Dataset;
use nnlayers::Sequential;
use nnoptim::Adam;
use nntrain::*;

/// A small convnet on (1, 8, 8) images.
fn convnet(seed: u64) -> Model {
    let network = Sequential::new(seed)
        .conv2d(1, 4, [3, 3])
        .relu()
        .max_pool2d([2, 2])
        .flatten()
        .dropout(0.25)
        .linear(36, 2)
        .softmax();
    Model::new(network).with_input_shape(&[1, 8, 8])
}

/// Images with a bright vertical bar (class 1) or horizontal bar (class 0), plus noise.
fn bars(n: usize, seed: u64) -> Dataset {
    let mut rng = Rng::seed_from(seed);
    let mut x = Vec::with_capacity(n * 64);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % 2;
        let at = 1 + rng.below(6);
        for r in 0..8 {
            for c in 0..8 {
                let on = if class == 1 { c == at } else { r == at };
                x.push(if on { 1.0 } else { 0.0 } + 0.1 * rng.uniform(-1.0, 1.0));
            }
        }
        y.push(class as f32);
    }
    Dataset::new(
        Tensor::from_vec([n, 1, 8, 8], x).unwrap(),
        Tensor::from_vec([n], y).unwrap(),
    )
    .unwrap()
}

#[test]
fn summary_prints_the_keras_table_for_a_cnn() {
    let summary = convnet(0).summary().unwrap();
    for line in [
        "conv2d_1 (Conv2d)",
        "(None, 4, 6, 6)",
        "(None, 4, 3, 3)",
        "(None, 36)",
        "Total params: 114",
    ] {
        assert!(summary.contains(line), "missing {line:?} in\n{summary}");
    }
}

#[test]
fn images_in_the_wrong_layout_or_rank_are_errors_naming_the_fix() {
    let mut model = convnet(0);
    model.compile(Adam::new(0.01), Loss::SparseCategoricalCrossEntropy, &[]);
    let nhwc = Dataset::new(Tensor::zeros([4, 8, 8, 1]), Tensor::zeros([4])).unwrap();
    let err = model
        .fit(&nhwc, FitOptions::default())
        .unwrap_err()
        .to_string();
    eprintln!("{err}");
    assert!(
        err.contains("conv2d_1") && err.contains("(4, 8, 8, 1)") && err.contains("permute"),
        "{err}"
    );
    let flat = Tensor::zeros([4, 64]);
    let err = model.predict(&flat).unwrap_err().to_string();
    assert!(
        err.contains("reshape") && err.contains("(batch, 1, 8, 8)"),
        "{err}"
    );
    let channels = Tensor::zeros([4, 3, 8, 8]);
    let err = model.predict(&channels).unwrap_err().to_string();
    assert!(
        err.contains("1 input channels") && err.contains("3"),
        "{err}"
    );
    let tiny = Tensor::zeros([4, 1, 2, 2]);
    let err = model.predict(&tiny).unwrap_err().to_string();
    assert!(err.contains("does not fit 2×2 images"), "{err}");
}

#[test]
fn a_convnet_learns_bars_and_saves_and_loads() {
    let data = bars(200, 1);
    let mut model = convnet(3);
    model.compile(
        Adam::new(0.01),
        Loss::SparseCategoricalCrossEntropy,
        &[Metric::Accuracy],
    );
    let options = FitOptions {
        epochs: 15,
        batch_size: 20,
        verbosity: Verbosity::Silent,
        ..Default::default()
    };
    model.fit(&data, options).unwrap();
    let test = bars(100, 2);
    let accuracy = model.evaluate(&test).unwrap().metric("accuracy").unwrap();
    assert!(accuracy >= 0.95, "accuracy {accuracy}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cnn.nnf");
    model.save(&path).unwrap();
    let loaded = Model::load(&path).unwrap();
    assert_eq!(
        loaded.predict(test.inputs()).unwrap(),
        model.predict(test.inputs()).unwrap()
    );
    assert_eq!(
        loaded.network().layers()[0].spec(),
        model.network().layers()[0].spec()
    );
}

#[test]
fn a_convnet_with_batch_norm_trains_and_evaluates_with_running_statistics() {
    let data = bars(200, 4);
    let network = Sequential::new(5)
        .conv2d(1, 4, [3, 3])
        .batch_norm2d(4)
        .relu()
        .max_pool2d([2, 2])
        .flatten()
        .linear(36, 2)
        .softmax();
    let mut model = Model::new(network).with_input_shape(&[1, 8, 8]);
    assert!(model.summary().unwrap().contains("Non-trainable params: 8"));
    model.compile(
        Adam::new(0.01),
        Loss::SparseCategoricalCrossEntropy,
        &[Metric::Accuracy],
    );
    let options = FitOptions {
        epochs: 10,
        batch_size: 100,
        verbosity: Verbosity::Silent,
        ..Default::default()
    };
    model.fit(&data, options).unwrap();
    let running_var = model.network().parameters()[5].value().to_vec();
    assert!(
        running_var.iter().all(|&v| v > 0.0 && v != 1.0),
        "{running_var:?}"
    );
    let accuracy = model
        .evaluate(&bars(100, 6))
        .unwrap()
        .metric("accuracy")
        .unwrap();
    assert!(accuracy >= 0.95, "accuracy {accuracy}");
}
