//! Seeded synthetic datasets from the classic tutorials, and two harder 2-D problems.

use crate::Dataset;
use nntensor::{Rng, Tensor};

fn dataset(x: Vec<f32>, features: usize, y: Vec<f32>, outputs: usize) -> Dataset {
    let n = y.len() / outputs;
    let x = Tensor::from_vec(vec![n, features], x).expect("generator sizes");
    let y = Tensor::from_vec(vec![n, outputs], y).expect("generator sizes");
    Dataset::new(x, y).expect("same number of rows")
}

/// The logistic-regression tutorial's "is this number 15?" set: the ten numbers
/// 15, 72, 15, 31, 15, 1002, 15, 32, 15, 16 as inputs `(10, 1)`, targets 1 for 15 and 0 otherwise.
///
/// ```
/// let data = nndata::synthetic::is_fifteen();
/// assert_eq!(nntensor::sum_all(data.targets()).item(), 5.0);
/// ```
pub fn is_fifteen() -> Dataset {
    let numbers = [15.0, 72.0, 15.0, 31.0, 15.0, 1002.0, 15.0, 32.0, 15.0, 16.0];
    let labels = numbers
        .iter()
        .map(|&x| if x == 15.0 { 1.0 } else { 0.0 })
        .collect();
    dataset(numbers.to_vec(), 1, labels, 1)
}

/// The four XOR patterns `(0,0) (0,1) (1,0) (1,1)` with targets `0 1 1 0`, shape `(4, 2)` / `(4, 1)`.
pub fn xor_table() -> Dataset {
    dataset(
        vec![0., 0., 0., 1., 1., 0., 1., 1.],
        2,
        vec![0., 1., 1., 0.],
        1,
    )
}

/// `n` random 0/1 pairs and their XOR.
pub fn xor(n: usize, seed: u64) -> Dataset {
    let mut rng = Rng::seed_from(seed);
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let (a, b) = (rng.below(2), rng.below(2));
        x.extend([a as f32, b as f32]);
        y.push((a ^ b) as f32);
    }
    dataset(x, 2, y, 1)
}

/// Points on the line `y = w·x + b`: `x = i mod x_period` for `i` in `0..count` (integers, in
/// order, as in the linear-regression tutorial), plus Gaussian noise of standard deviation `noise`.
///
/// ```
/// let data = nndata::synthetic::line(2.0, 1.0, 10_000, 100, 0.0, 0);
/// assert_eq!(data.len(), 10_000);
/// assert_eq!(data.targets()[[150, 0]], 2.0 * 50.0 + 1.0);
/// ```
pub fn line(w: f32, b: f32, count: usize, x_period: usize, noise: f32, seed: u64) -> Dataset {
    let mut rng = Rng::seed_from(seed);
    let period = x_period.max(1);
    let x: Vec<f32> = (0..count).map(|i| (i % period) as f32).collect();
    let y = x
        .iter()
        .map(|&x| {
            w * x
                + b
                + if noise > 0.0 {
                    noise * rng.normal()
                } else {
                    0.0
                }
        })
        .collect();
    dataset(x, 1, y, 1)
}

/// "Cats and mice": two Gaussian clouds in 2-D (standardised height and weight), `n` animals
/// of each kind, interleaved. Mice (target 0) are centred at `(−s/2, −s/2)`, cats (target 1) at
/// `(s/2, s/2)`, each coordinate with standard deviation 1, where `s = separation` (so the
/// centres are `s·√2` apart): from about 6 up the classes are separable in practice, below 2
/// they overlap heavily.
pub fn two_classes(n: usize, separation: f32, seed: u64) -> Dataset {
    let mut rng = Rng::seed_from(seed);
    let half = separation / 2.0;
    let mut x = Vec::with_capacity(4 * n);
    let mut y = Vec::with_capacity(2 * n);
    for _ in 0..n {
        for (class, centre) in [(0.0, -half), (1.0, half)] {
            x.extend([centre + rng.normal(), centre + rng.normal()]);
            y.push(class);
        }
    }
    dataset(x, 2, y, 1)
}

/// Interleaved spirals: `classes` arms of `n` points each in 2-D, targets are class indices `(n·classes,)`.
pub fn spirals(n: usize, classes: usize, noise: f32, seed: u64) -> Dataset {
    let mut rng = Rng::seed_from(seed);
    let mut x = Vec::with_capacity(2 * n * classes);
    let mut y = Vec::with_capacity(n * classes);
    for i in 0..n {
        for class in 0..classes {
            let r = i as f32 / n as f32;
            let angle = class as f32 * std::f32::consts::TAU / classes as f32
                + 4.0 * r
                + noise * rng.normal();
            x.extend([r * angle.cos(), r * angle.sin()]);
            y.push(class as f32);
        }
    }
    let count = y.len();
    let x = Tensor::from_vec(vec![count, 2], x).expect("sizes");
    Dataset::new(x, Tensor::from_vec(vec![count], y).expect("sizes")).expect("rows")
}

/// Two interleaving half-moons (`n` points each), targets 0/1 of shape `(2n, 1)`.
pub fn moons(n: usize, noise: f32, seed: u64) -> Dataset {
    let mut rng = Rng::seed_from(seed);
    let mut x = Vec::with_capacity(4 * n);
    let mut y = Vec::with_capacity(2 * n);
    for i in 0..n {
        let t = std::f32::consts::PI * i as f32 / (n.max(2) - 1) as f32;
        x.extend([
            t.cos() + noise * rng.normal(),
            t.sin() + noise * rng.normal(),
        ]);
        y.push(0.0);
        x.extend([
            1.0 - t.cos() + noise * rng.normal(),
            0.5 - t.sin() + noise * rng.normal(),
        ]);
        y.push(1.0);
    }
    dataset(x, 2, y, 1)
}
