//! Fixed training runs whose fingerprints must be the same natively and in WebAssembly.

use crate::playground::{Activation, Playground, Settings};
use crate::points::{Point, Preset};
use crate::state::quantize;

/// One fixed run's result.
#[derive(Debug, Clone, PartialEq)]
pub struct ParityRun {
    /// The run's name (preset, layers, activation).
    pub name: &'static str,
    /// [`Playground::fingerprint`] after training, folded with the probability grid's bits.
    pub fingerprint: u64,
    /// The loss on every point after training.
    pub loss: f32,
    /// The accuracy on every point after training.
    pub accuracy: f32,
    /// Whether every matrix product of the run takes nntensor's small-product path (plain
    /// multiply and add, in the same order on every platform). The larger products of the last
    /// run go to gemm-f32, whose x86-64 kernels use fused multiply-add (one rounding per
    /// multiply-add) where WebAssembly has none (two): its bits differ, its loss and accuracy
    /// agree to rounding.
    pub small_products_only: bool,
}

/// The fixed runs: the perceptron on cats and mice, and hidden layers with each activation on
/// XOR, circles and the spiral (every op the page's training reaches: linear layers, ReLU, tanh,
/// sigmoid, the loss, SGD and the probability grid), then one with products large enough for
/// gemm-f32.
pub fn parity_runs() -> Vec<ParityRun> {
    type Run = (
        &'static str,
        Preset,
        &'static [usize],
        Activation,
        f32,
        usize,
        bool,
    );
    let runs: [Run; 5] = [
        (
            "perceptron-cats-mice",
            Preset::CatsMice,
            &[],
            Activation::Tanh,
            0.1,
            10,
            true,
        ),
        (
            "xor-8-tanh",
            Preset::Xor,
            &[8],
            Activation::Tanh,
            0.3,
            10,
            true,
        ),
        (
            "circles-8-8-relu",
            Preset::Circles,
            &[8, 8],
            Activation::Relu,
            0.1,
            16,
            true,
        ),
        (
            "spiral-8-8-sigmoid",
            Preset::Spiral,
            &[8, 8],
            Activation::Sigmoid,
            0.5,
            10,
            true,
        ),
        (
            "spiral-16-16-relu",
            Preset::Spiral,
            &[16, 16],
            Activation::Relu,
            0.1,
            32,
            false,
        ),
    ];
    runs.into_iter()
        .map(
            |(name, preset, hidden, activation, learning_rate, batch_size, small)| {
                let settings = Settings {
                    hidden: hidden.to_vec(),
                    activation,
                    learning_rate,
                    batch_size,
                    seed: 11,
                };
                let mut play = Playground::new(settings).expect("valid settings");
                let points: Vec<Point> = preset
                    .generate(200, 0.2, 5)
                    .expect("valid preset")
                    .into_iter()
                    .map(quantize)
                    .collect();
                play.set_points(points).expect("valid points");
                play.train(300).expect("under the cap");
                // The probability field too: the page draws it.
                let grid = play.grid(16).expect("valid resolution");
                let mut hash = play.fingerprint();
                for v in grid {
                    hash = (hash ^ u64::from(v.to_bits())).wrapping_mul(0x0100_0000_01b3);
                }
                ParityRun {
                    name,
                    fingerprint: hash,
                    loss: play.loss(),
                    accuracy: play.accuracy(),
                    small_products_only: small,
                }
            },
        )
        .collect()
}
