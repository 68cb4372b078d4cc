//! Keras's `sample_weight` and `class_weight` in `fit`: each sample's loss times its weight,
//! averaged over the batch; the two options agree with each other; bad weights are errors.

use nnautograd::nntensor::Tensor;
use nndata::Dataset;
use nnlayers::Sequential;
use nnoptim::Sgd;
use nntrain::*;

fn data() -> Dataset {
    let x = Tensor::from_vec([4, 2], vec![0.5, 1.0, -1.0, 0.2, 0.3, -0.7, 1.5, 0.1]).unwrap();
    let y = Tensor::from_vec([4], vec![0.0, 1.0, 1.0, 2.0]).unwrap();
    Dataset::new(x, y).unwrap()
}

fn model(lr: f32) -> Model {
    let mut model = Model::new(Sequential::new(5).linear(2, 3).softmax());
    model.compile(Sgd::new(lr), Loss::SparseCategoricalCrossEntropy, &[]);
    model
}

fn options<'a>(sample: Option<&'a Tensor>, class: Option<&'a [f32]>) -> FitOptions<'a> {
    FitOptions {
        epochs: 1,
        batch_size: 4,
        shuffle: false,
        sample_weight: sample,
        class_weight: class,
        verbosity: Verbosity::Silent,
        ..Default::default()
    }
}

#[test]
fn the_loss_is_the_batch_mean_of_weighted_sample_losses() {
    let weights = Tensor::from_vec([4], vec![1.0, 0.0, 2.0, 0.5]).unwrap();
    let mut m = model(0.0);
    let p = m.predict(data().inputs()).unwrap().to_vec();
    let losses: Vec<f64> = [0usize, 1, 1, 2]
        .iter()
        .enumerate()
        .map(|(i, &c)| -(p[i * 3 + c] as f64).ln())
        .collect();
    let expected = (losses[0] + 2.0 * losses[2] + 0.5 * losses[3]) / 4.0;
    let history = m.fit(&data(), options(Some(&weights), None)).unwrap();
    let got = history.last("loss").unwrap();
    assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
    // Unweighted, for comparison: the plain mean.
    let plain = model(0.0).fit(&data(), options(None, None)).unwrap();
    let mean = losses.iter().sum::<f64>() / 4.0;
    assert!((plain.last("loss").unwrap() - mean).abs() < 1e-6);
}

#[test]
fn class_weight_equals_the_matching_sample_weight_bit_for_bit() {
    let per_class = [1.0, 3.0, 0.5];
    let as_samples = Tensor::from_vec([4], vec![1.0, 3.0, 3.0, 0.5]).unwrap();
    let mut a = model(0.5);
    let mut b = model(0.5);
    a.fit(&data(), options(None, Some(&per_class))).unwrap();
    b.fit(&data(), options(Some(&as_samples), None)).unwrap();
    let bits = |m: &Model| -> Vec<u32> {
        m.network()
            .parameters()
            .iter()
            .flat_map(|p| p.value().to_vec())
            .map(f32::to_bits)
            .collect()
    };
    assert_eq!(bits(&a), bits(&b));
    // Weights of 1 train as unweighted, to rounding.
    let mut c = model(0.5);
    let mut d = model(0.5);
    c.fit(&data(), options(Some(&Tensor::ones(vec![4])), None))
        .unwrap();
    d.fit(&data(), options(None, None)).unwrap();
    for (x, y) in c
        .network()
        .parameters()
        .iter()
        .zip(d.network().parameters())
    {
        for (u, v) in x.value().to_vec().iter().zip(y.value().to_vec()) {
            assert!((u - v).abs() < 1e-6);
        }
    }
}

#[test]
fn bad_weights_are_errors_naming_the_option() {
    let short = Tensor::ones(vec![3]);
    let e = model(0.1)
        .fit(&data(), options(Some(&short), None))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "sample_weight has shape [3] but needs one weight per training sample, shape (4,)"
        ),
        "{e}"
    );
    let negative = Tensor::from_vec([4], vec![1.0, -1.0, 1.0, 1.0]).unwrap();
    let e = model(0.1)
        .fit(&data(), options(Some(&negative), None))
        .unwrap_err()
        .to_string();
    assert!(e.contains("training sample 1 is -1"), "{e}");
    let e = model(0.1)
        .fit(&data(), options(None, Some(&[1.0, 1.0])))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("class_weight has 2 entries but training sample 3 is of class 2"),
        "{e}"
    );
    let zeros = Tensor::zeros(vec![4]);
    let e = model(0.1)
        .fit(&data(), options(Some(&zeros), None))
        .unwrap_err()
        .to_string();
    assert!(e.contains("weight 0"), "{e}");
    // class_weight on a regression.
    let x = Tensor::from_vec([2, 1], vec![0.0, 1.0]).unwrap();
    let y = Tensor::from_vec([2], vec![0.5, 2.0]).unwrap();
    let mut reg = Model::new(Sequential::new(0).linear(1, 1));
    reg.compile(Sgd::new(0.1), Loss::MeanSquaredError, &[]);
    let e = reg
        .fit(
            &Dataset::new(x, y).unwrap(),
            options(None, Some(&[1.0, 2.0])),
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("class_weight needs classes, but a target is 0.5"),
        "{e}"
    );
}

#[test]
fn with_validation_split_the_kept_rows_weights_are_used() {
    // Holding out the last row with validation_split trains as the first three rows alone with
    // the first three weights, bit for bit.
    let weights = Tensor::from_vec([4], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    let mut o = options(Some(&weights), None);
    o.validation_split = 0.25;
    let mut split = model(0.1);
    split.fit(&data(), o).unwrap();
    let first3 = data().subset(&[0, 1, 2]);
    let w3 = Tensor::from_vec([3], vec![1.0, 2.0, 3.0]).unwrap();
    let mut alone = model(0.1);
    alone.fit(&first3, options(Some(&w3), None)).unwrap();
    let bits = |m: &Model| -> Vec<u32> {
        m.network()
            .parameters()
            .iter()
            .flat_map(|p| p.value().to_vec())
            .map(f32::to_bits)
            .collect()
    };
    assert_eq!(bits(&split), bits(&alone));
}
