//! `fit` end to end: convergence, early stopping, checkpoints, determinism, divergence.

use nnautograd::nntensor::Tensor;
use nndata::{synthetic, Dataset};
use nnlayers::Sequential;
use nnoptim::{Adam, Optimizer, RmsProp, Sgd};
use nntrain::*;

fn quiet<'a>(epochs: usize, batch_size: usize) -> FitOptions<'a> {
    FitOptions {
        epochs,
        batch_size,
        verbosity: Verbosity::Silent,
        ..Default::default()
    }
}

fn weights(model: &Model) -> Vec<u32> {
    model
        .network()
        .parameters()
        .iter()
        .flat_map(|p| {
            p.value()
                .values()
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn fit_learns_xor() {
    let mut model = Model::new(
        Sequential::new(1)
            .linear(2, 8)
            .tanh()
            .linear(8, 1)
            .sigmoid(),
    );
    model.compile(
        Adam::new(0.05),
        Loss::BinaryCrossEntropy,
        &[Metric::Accuracy],
    );
    let history = model.fit(&synthetic::xor_table(), quiet(300, 4)).unwrap();
    assert_eq!(history.last("accuracy"), Some(1.0));
    let p = model.predict(synthetic::xor_table().inputs()).unwrap();
    assert!(
        p[[0, 0]] < 0.2 && p[[1, 0]] > 0.8 && p[[2, 0]] > 0.8 && p[[3, 0]] < 0.2,
        "{p}"
    );
}

#[test]
fn fit_learns_the_line() {
    let data = synthetic::line(2.0, 1.0, 1000, 10, 0.0, 0);
    let mut model = Model::new(Sequential::new(0).linear(1, 1));
    model.compile(
        Sgd::new(0.01),
        Loss::MeanSquaredError,
        &[Metric::MeanAbsoluteError],
    );
    let history = model.fit(&data, quiet(30, 10)).unwrap();
    let w = model.network().parameters()[0].value()[[0, 0]];
    let b = model.network().parameters()[1].value()[[0]];
    assert!(
        (w - 2.0).abs() < 0.01 && (b - 1.0).abs() < 0.05,
        "w {w}, b {b}"
    );
    assert!(history.last("mae").unwrap() < 0.05);
    let losses = history.get("loss").unwrap();
    assert!(losses[29] < losses[0] / 100.0);
}

#[test]
fn targets_of_shape_n_fit_a_one_output_model() {
    let x = Tensor::from_vec([20, 1], (0..20).map(|i| i as f32 / 20.0).collect()).unwrap();
    let y = Tensor::from_vec([20], (0..20).map(|i| 3.0 * i as f32 / 20.0).collect()).unwrap();
    let mut model = Model::new(Sequential::new(0).linear(1, 1));
    model.compile(Sgd::new(0.5), Loss::MeanSquaredError, &[]);
    let h = model
        .fit(&Dataset::new(x, y).unwrap(), quiet(200, 20))
        .unwrap();
    assert!(h.last("loss").unwrap() < 1e-4);
}

#[test]
fn validation_split_and_early_stopping_restore_the_best_weights() {
    // A net that overfits a noisy line: validation loss bottoms out, then rises.
    let data = synthetic::line(0.5, 0.0, 60, 60, 8.0, 3);
    let x = data.inputs() / 60.0;
    let data = Dataset::new(x, data.targets().clone()).unwrap();
    let mut model = Model::new(
        Sequential::new(2)
            .linear(1, 64)
            .tanh()
            .linear(64, 64)
            .tanh()
            .linear(64, 1),
    );
    model.compile(Adam::new(0.01), Loss::MeanSquaredError, &[]);
    let mut best_weights: Vec<u32> = Vec::new();
    let mut best = f64::INFINITY;
    let record = EpochCallback(|end: &mut EpochEnd<'_>| {
        let v = end.log("val_loss").unwrap();
        if v < best {
            best = v;
            best_weights = end
                .network
                .parameters()
                .iter()
                .flat_map(|p| {
                    p.value()
                        .values()
                        .iter()
                        .map(|x| x.to_bits())
                        .collect::<Vec<_>>()
                })
                .collect();
        }
        Control::Continue
    });
    let options = FitOptions {
        validation_split: 0.25,
        shuffle: false,
        callbacks: vec![
            Box::new(record),
            Box::new(EarlyStopping::new("val_loss", 5).restore_best_weights()),
        ],
        ..quiet(400, 15)
    };
    let history = model.fit(&data, options).unwrap();
    assert!(
        history
            .stopped_early
            .as_deref()
            .unwrap_or("")
            .starts_with("early stopping"),
        "{:?}",
        history.stopped_early
    );
    assert!(history.epochs.len() < 400);
    assert_eq!(
        weights(&model),
        best_weights,
        "the best epoch's weights must be restored"
    );
}

#[test]
fn a_run_checkpointed_after_epoch_2_of_4_resumes_to_the_same_weights() {
    let data = synthetic::spirals(60, 3, 0.05, 5);
    let build = || {
        let mut m = Model::new(
            Sequential::new(9)
                .linear(2, 16)
                .relu()
                .dropout(0.1)
                .linear(16, 3)
                .softmax(),
        );
        m.compile(
            RmsProp::keras().with_lr(0.01),
            Loss::SparseCategoricalCrossEntropy,
            &[Metric::Accuracy],
        );
        m
    };
    let options = || FitOptions {
        seed: 11,
        ..quiet(4, 16)
    };
    let mut uninterrupted = build();
    uninterrupted.fit(&data, options()).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ckpt.nnf");
    let mut first = build();
    let checkpoint = ModelCheckpoint::new(&path, 2);
    let stop_after_2 = EpochCallback(|end: &mut EpochEnd<'_>| {
        if end.epoch == 2 {
            Control::Stop("simulated crash".into())
        } else {
            Control::Continue
        }
    });
    first
        .fit(
            &data,
            FitOptions {
                callbacks: vec![Box::new(checkpoint), Box::new(stop_after_2)],
                ..options()
            },
        )
        .unwrap();
    drop(first);

    let mut resumed = Model::resume(&path).unwrap();
    assert_eq!(resumed.epochs_done(), 2);
    let history = resumed.fit(&data, options()).unwrap();
    assert_eq!(history.epochs, vec![3, 4]);
    assert_eq!(weights(&resumed), weights(&uninterrupted));
}

#[test]
fn same_seed_same_run_bit_for_bit_on_one_and_several_threads() {
    let data = synthetic::spirals(100, 3, 0.05, 1);
    let run = |threads: usize| {
        let pool = rayon_pool(threads);
        pool.install(|| {
            let mut m = Model::new(
                Sequential::new(4)
                    .linear(2, 256)
                    .relu()
                    .dropout(0.2)
                    .linear(256, 3)
                    .softmax(),
            );
            m.compile(
                Adam::new(0.01),
                Loss::SparseCategoricalCrossEntropy,
                &[Metric::Accuracy],
            );
            let h = m
                .fit(
                    &data,
                    FitOptions {
                        seed: 3,
                        ..quiet(3, 128)
                    },
                )
                .unwrap();
            (
                weights(&m),
                h.get("loss")
                    .unwrap()
                    .iter()
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>(),
            )
        })
    };
    let one = run(1);
    assert_eq!(run(2), one);
    assert_eq!(run(3), one);
}

fn rayon_pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

#[test]
fn a_diverging_run_stops_naming_the_epoch_and_step() {
    let data = synthetic::line(2.0, 1.0, 100, 100, 0.0, 0);
    let mut model = Model::new(Sequential::new(0).linear(1, 1));
    model.compile(Sgd::new(10.0), Loss::MeanSquaredError, &[]);
    let err = model.fit(&data, quiet(5, 10)).unwrap_err().to_string();
    assert!(
        err.starts_with("training diverged: the loss became inf at epoch 1, step"),
        "{err}"
    );
    assert!(err.contains("lower the learning rate"), "{err}");
}

#[test]
fn history_exports_csv_and_json() {
    let mut model = Model::new(Sequential::new(1).linear(2, 1).sigmoid());
    model.compile(Sgd::new(0.1), Loss::BinaryCrossEntropy, &[Metric::Accuracy]);
    let data = synthetic::two_classes(20, 6.0, 0);
    let h = model
        .fit(
            &data,
            FitOptions {
                validation_data: Some(&data),
                ..quiet(2, 8)
            },
        )
        .unwrap();
    let csv = h.to_csv();
    assert!(
        csv.starts_with("epoch,loss,accuracy,val_loss,val_accuracy\n1,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3);
    assert!(
        h.to_json().starts_with("{\"epoch\":[1,2],\"loss\":["),
        "{}",
        h.to_json()
    );
    let dir = tempfile::tempdir().unwrap();
    h.save_csv(dir.path().join("h.csv")).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("h.csv")).unwrap(),
        csv
    );
}

#[test]
fn evaluate_matches_the_validation_numbers() {
    let data = synthetic::two_classes(50, 4.0, 2);
    let mut model = Model::new(Sequential::new(1).linear(2, 1).sigmoid());
    model.compile(Sgd::new(0.1), Loss::BinaryCrossEntropy, &[Metric::Accuracy]);
    let h = model
        .fit(
            &data,
            FitOptions {
                validation_data: Some(&data),
                ..quiet(3, 10)
            },
        )
        .unwrap();
    let e = model.evaluate(&data).unwrap();
    assert!((e.loss - h.last("val_loss").unwrap()).abs() < 1e-9);
    assert_eq!(e.metric("accuracy"), h.last("val_accuracy"));
}

#[test]
fn binary_accuracy_on_a_logits_loss_thresholds_the_scores_at_zero() {
    // No final sigmoid: the outputs are scores, positive for class 1.
    let data = synthetic::two_classes(50, 8.0, 3);
    let mut model = Model::new(Sequential::new(0).linear(2, 1));
    model.compile(
        Sgd::new(0.5),
        Loss::BinaryCrossEntropyWithLogits,
        &[Metric::Accuracy],
    );
    let h = model.fit(&data, quiet(50, 100)).unwrap();
    assert!(
        h.last("accuracy").unwrap() > 0.97,
        "{:?}",
        h.get("accuracy")
    );
}

#[test]
fn early_stopping_state_can_be_read_after_fit() {
    let data = synthetic::two_classes(40, 4.0, 1);
    let mut model = Model::new(Sequential::new(1).linear(2, 1).sigmoid());
    model.compile(Sgd::new(0.1), Loss::BinaryCrossEntropy, &[]);
    let mut stopper = EarlyStopping::new("val_loss", 3);
    model
        .fit(
            &data,
            FitOptions {
                validation_data: Some(&data),
                callbacks: vec![Box::new(&mut stopper)],
                ..quiet(20, 10)
            },
        )
        .unwrap();
    assert!(stopper.best_epoch() >= 1);
}

/// `fit` splits a 128-row batch into two shards run on separate tapes (and threads); the step it
/// takes must be the step of the whole batch's mean loss, computed here on one tape.
#[test]
fn a_sharded_step_is_the_whole_batch_step() {
    use nnautograd::Tape;
    use nnlayers::{sparse_softmax_cross_entropy, Context, Reduction};
    let data = synthetic::spirals(50, 3, 0.05, 7); // 150 rows: batches of 128 (2 shards) and 22 (1)
    let network = || Sequential::new(8).linear(2, 16).relu().linear(16, 3);
    let mut model = Model::new(network().softmax());
    model.compile(Sgd::new(0.5), Loss::SparseCategoricalCrossEntropy, &[]);
    let options = FitOptions {
        shuffle: false,
        ..quiet(1, 128)
    };
    model.fit(&data, options).unwrap();

    let mut manual = network();
    let mut sgd = Sgd::new(0.5);
    for (start, end) in [(0, 128), (128, 150)] {
        let rows: Vec<usize> = (start..end).collect();
        let (x, y) = data.subset(&rows).into_parts();
        let labels: Vec<usize> = y.values().iter().map(|&v| v as usize).collect();
        let tape = Tape::new();
        let out = manual.forward(tape.constant(x), &mut Context::eval());
        let grads = sparse_softmax_cross_entropy(out, &labels, Reduction::Mean).backward();
        sgd.step(&mut manual.parameters_mut(), &grads);
    }
    let trained = model.network().parameters();
    for (got, want) in trained.iter().zip(manual.parameters()) {
        for (g, w) in got
            .value()
            .values()
            .iter()
            .zip(want.value().values().iter())
        {
            assert!((g - w).abs() <= 1e-6, "sharded {g} vs whole batch {w}");
        }
    }
}

#[test]
fn on_train_begin_sees_the_plan_once_before_the_first_batch() {
    #[derive(Default)]
    struct Recorder {
        begins: Vec<TrainBegin>,
        batches_before_begin: usize,
        batches: usize,
    }
    impl Callback for Recorder {
        fn on_train_begin(&mut self, begin: &TrainBegin) {
            self.batches_before_begin = self.batches;
            self.begins.push(begin.clone());
        }
        fn on_batch_end(&mut self, _epoch: usize, _step: usize, _loss: f32) -> Control {
            self.batches += 1;
            Control::Continue
        }
    }
    let mut model = Model::new(
        Sequential::new(1)
            .linear(2, 4)
            .tanh()
            .linear(4, 1)
            .sigmoid(),
    );
    model.compile(Sgd::new(0.1), Loss::BinaryCrossEntropy, &[]);
    let mut recorder = Recorder::default();
    let data = synthetic::two_classes(10, 4.0, 3);
    let options = FitOptions {
        callbacks: vec![Box::new(&mut recorder)],
        validation_split: 0.2,
        ..quiet(3, 3)
    };
    model.fit(&data, options).unwrap();
    assert_eq!(recorder.begins.len(), 1);
    let begin = &recorder.begins[0];
    // 20 rows, 16 kept for training: ceil(16 / 3) = 6 steps per epoch.
    assert_eq!(
        (
            begin.first_epoch,
            begin.epochs,
            begin.rows,
            begin.steps_per_epoch
        ),
        (0, 3, 16, 6)
    );
    assert!(begin.validation);
    assert!(begin
        .summary
        .as_deref()
        .unwrap()
        .contains("Total params: 17"));
    assert_eq!(recorder.batches_before_begin, 0);
    assert_eq!(recorder.batches, 18);
}
