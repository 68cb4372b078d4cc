//! GPU memory stays flat across epochs (feature `gpu`): after the first epoch, later ones
//! create no new buffers. Its own test binary, so that nothing else allocates on the device
//! meanwhile.
#![cfg(feature = "gpu")]

use nnautograd::nntensor::Device;
use nndata::synthetic;
use nnlayers::Sequential;
use nnoptim::RmsProp;
use nntrain::*;

#[test]
fn gpu_memory_stays_flat_across_epochs() {
    let d = match Device::gpu() {
        Ok(d) => d,
        Err(e) if std::env::var_os("NNFACADE_REQUIRE_GPU").is_some() => panic!("{e}"),
        Err(e) => return eprintln!("skipping: {e}"),
    };
    let Device::Gpu(index) = d else {
        unreachable!()
    };
    let data = synthetic::spirals(100, 3, 0.1, 9);
    let mut model = Model::new(
        Sequential::new(2)
            .linear(2, 16)
            .relu()
            .dropout(0.1)
            .linear(16, 3)
            .softmax(),
    );
    model.compile(
        RmsProp::keras(),
        Loss::SparseCategoricalCrossEntropy,
        &[Metric::Accuracy],
    );
    let options = |epochs| FitOptions {
        epochs,
        batch_size: 32,
        verbosity: Verbosity::Silent,
        device: Some(d),
        validation_data: Some(&data),
        ..Default::default()
    };
    model.fit(&data, options(1)).unwrap();
    let after_one = nnautograd::nntensor::gpu::memory(index);
    model.fit(&data, options(4)).unwrap();
    let after_four = nnautograd::nntensor::gpu::memory(index);
    assert_eq!(
        after_four.buffers_created, after_one.buffers_created,
        "epochs 2-4 created buffers: {after_one:?} → {after_four:?}"
    );
    assert_eq!(after_four.in_use_bytes, after_one.in_use_bytes);
}
