//! GPU memory stays flat when the same work repeats (feature `gpu`). Its own test binary: the
//! counts are per process, and other tests running beside it would allocate too.
#![cfg(feature = "gpu")]

use nntensor::{self as nt, Device, Rng, Tensor};

fn random(shape: &[usize], seed: u64) -> Tensor {
    let mut rng = Rng::seed_from(seed);
    Tensor::from_fn(shape, || rng.uniform(-1.0, 1.0))
}

/// Dropped tensors' buffers are reused: repeating the same work creates no new buffers.
#[test]
fn memory_stays_flat_when_work_repeats() {
    let d = match Device::gpu() {
        Ok(d) => d,
        Err(e) if std::env::var_os("NNFACADE_REQUIRE_GPU").is_some() => panic!("{e}"),
        Err(e) => return eprintln!("skipping: {e}"),
    };
    let Device::Gpu(index) = d else {
        unreachable!()
    };
    let work = || {
        let a = random(&[64, 32], 130).to(&d);
        let w = random(&[32, 16], 131).to(&d);
        let y = nt::relu(&nt::matmul(&a, &w));
        nt::sum_all(&y).item()
    };
    work();
    let before = nt::gpu::memory(index);
    for _ in 0..5 {
        work();
    }
    let after = nt::gpu::memory(index);
    assert_eq!(
        after.buffers_created, before.buffers_created,
        "{before:?} → {after:?}"
    );
}
