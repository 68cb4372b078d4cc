//! Training on the GPU (feature `gpu`): W1's model for one epoch on MNIST against the CPU, every
//! optimizer and loss for a few steps on a small set, `evaluate`/`predict`/`save` from a
//! GPU-trained model, and memory that stays flat across epochs.
//!
//! Without an adapter the tests say so and pass, unless `NNFACADE_REQUIRE_GPU` is set (as
//! `.ci/run` does). The MNIST test needs `MNIST_DIR` (which `.ci/run` sets).
#![cfg(feature = "gpu")]

use nnautograd::nntensor::{Device, Tensor};
use nndata::{synthetic, Dataset};
use nnlayers::Sequential;
use nnoptim::{Adam, Optimizer, RmsProp, Sgd};
use nntrain::*;

fn gpu() -> Option<Device> {
    match Device::gpu() {
        Ok(d) => Some(d),
        Err(e) if std::env::var_os("NNFACADE_REQUIRE_GPU").is_some() => {
            panic!("NNFACADE_REQUIRE_GPU is set but: {e}")
        }
        Err(e) => {
            eprintln!("skipping the GPU tests: {e}");
            None
        }
    }
}

fn quiet<'a>(epochs: usize, batch_size: usize, device: Device) -> FitOptions<'a> {
    FitOptions {
        epochs,
        batch_size,
        seed: 7,
        verbosity: Verbosity::Silent,
        device: Some(device),
        ..Default::default()
    }
}

fn weights(model: &Model) -> Vec<f32> {
    model
        .network()
        .parameters()
        .iter()
        .flat_map(|p| p.value().to_vec())
        .collect()
}

/// W1 (784-32-10, RMSprop, batch 128) trained one epoch on each device: test accuracy within
/// 0.5 points (the bar; on lavapipe the two agree to the last digit shown).
#[test]
fn w1_one_epoch_on_the_gpu_matches_the_cpu() {
    let Some(d) = gpu() else { return };
    let Some(dir) = std::env::var_os("MNIST_DIR") else {
        eprintln!("skipping: MNIST_DIR is not set");
        return;
    };
    let data = nndata::mnist::load_with(
        dir,
        nndata::mnist::MnistOptions {
            one_hot: true,
            ..Default::default()
        },
    )
    .unwrap();
    let run = |device: Device| {
        let network = Sequential::new(42)
            .linear(784, 32)
            .relu()
            .linear(32, 10)
            .softmax();
        let mut model = Model::new(network);
        model.compile(
            RmsProp::keras(),
            Loss::CategoricalCrossEntropy,
            &[Metric::Accuracy],
        );
        model.fit(&data.train, quiet(1, 128, device)).unwrap();
        assert_eq!(model.device(), device);
        model.evaluate(&data.test).unwrap()
    };
    let cpu = run(Device::Cpu);
    let gpu = run(d);
    let (a_cpu, a_gpu) = (
        cpu.metric("accuracy").unwrap(),
        gpu.metric("accuracy").unwrap(),
    );
    eprintln!("W1, 1 epoch: CPU {a_cpu:.4}, GPU {a_gpu:.4}");
    assert!(a_gpu > 0.9, "the GPU run learned: {a_gpu}");
    assert!(
        (a_cpu - a_gpu).abs() <= 0.005,
        "CPU {a_cpu} and GPU {a_gpu} differ by more than 0.5 points"
    );
    assert!((cpu.loss - gpu.loss).abs() <= 1e-3 * cpu.loss.abs());
}

/// Every optimizer and loss: the same few steps on both devices give the same weights (within
/// the GPU's reduction tolerance).
#[test]
fn every_optimizer_and_loss_trains_alike_on_both_devices() {
    let Some(d) = gpu() else { return };
    let blobs = synthetic::spirals(64, 3, 0.1, 3);
    let one_hot = Dataset::new(
        blobs.inputs().clone(),
        nnautograd::nntensor::one_hot(
            &blobs
                .targets()
                .to_vec()
                .iter()
                .map(|&v| v as usize)
                .collect::<Vec<_>>(),
            3,
        )
        .unwrap(),
    )
    .unwrap();
    let optimizers: [fn() -> Box<dyn Optimizer>; 5] = [
        || Box::new(Sgd::new(0.1)),
        || Box::new(Sgd::with_momentum(0.05, 0.9)),
        || Box::new(RmsProp::keras()),
        || Box::new(RmsProp::new(0.01).with_momentum(0.5).with_centered(true)),
        || Box::new(Adam::adamw(0.01, 0.01)),
    ];
    let cases = [
        (Loss::CategoricalCrossEntropy, &one_hot, true),
        (Loss::SparseCategoricalCrossEntropy, &blobs, true),
        (Loss::MeanSquaredError, &one_hot, false),
    ];
    for (k, make) in optimizers.iter().enumerate() {
        for (loss, data, softmax) in cases {
            let run = |device: Device| {
                let mut net = Sequential::new(3)
                    .linear(2, 8)
                    .tanh()
                    .dropout(0.25)
                    .linear(8, 3);
                if softmax {
                    net = net.softmax();
                }
                let mut model = Model::new(net);
                model.compile_boxed(make(), loss, &[Metric::Accuracy]);
                model.fit(data, quiet(2, 16, device)).unwrap();
                weights(&model)
            };
            let (c, g) = (run(Device::Cpu), run(d));
            for (i, (c, g)) in c.iter().zip(&g).enumerate() {
                assert!(
                    (c - g).abs() <= 1e-4 * c.abs() + 1e-5,
                    "optimizer {k}, {loss:?}: weight {i}: cpu {c}, gpu {g}"
                );
            }
        }
    }
}

/// A GPU-trained model evaluates, predicts and saves as its CPU copy does; the file is the same
/// bytes.
#[test]
fn a_gpu_trained_model_evaluates_predicts_and_saves_like_the_cpu() {
    let Some(d) = gpu() else { return };
    let data = synthetic::spirals(24, 2, 0.1, 5);
    let mut model = Model::new(
        // With batch normalisation: its running statistics train, save and evaluate there too.
        Sequential::new(1)
            .linear(2, 6)
            .batch_norm1d(6)
            .relu()
            .linear(6, 2)
            .softmax(),
    );
    model.compile(
        Adam::new(0.01),
        Loss::SparseCategoricalCrossEntropy,
        &[Metric::Accuracy],
    );
    model.fit(&data, quiet(3, 8, d)).unwrap();
    let on_gpu = (
        model.evaluate(&data).unwrap(),
        model.predict(data.inputs()).unwrap(),
    );
    assert_eq!(
        on_gpu.1.device(),
        Device::Cpu,
        "predict returns host memory"
    );
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("gpu.nnf"), dir.path().join("cpu.nnf"));
    model.save(&a).unwrap();
    model.to(&Device::Cpu);
    assert_eq!(model.device(), Device::Cpu);
    model.save(&b).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let on_cpu = (
        model.evaluate(&data).unwrap(),
        model.predict(data.inputs()).unwrap(),
    );
    assert!((on_gpu.0.loss - on_cpu.0.loss).abs() <= 1e-5);
    assert_eq!(on_gpu.0.metrics, on_cpu.0.metrics);
    for (g, c) in on_gpu.1.to_vec().iter().zip(on_cpu.1.to_vec()) {
        assert!((g - c).abs() <= 1e-5, "predict: gpu {g}, cpu {c}");
    }
    // And back: a loaded file trains on the GPU again.
    let mut loaded = Model::load(&b).unwrap();
    loaded.compile(Adam::new(0.01), Loss::SparseCategoricalCrossEntropy, &[]);
    loaded.to(&d);
    let x: Tensor = data.inputs().clone();
    assert_eq!(loaded.predict(&x).unwrap().shape(), &[48, 2]);
}
