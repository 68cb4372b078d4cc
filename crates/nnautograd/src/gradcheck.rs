//! A public finite-difference gradient checker, for users' own functions as much as for our ops.

use crate::{Tape, Var};
use nntensor::{Rng, Tensor};
use std::fmt;

/// Step and tolerances of [`gradcheck_with`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradcheckOptions {
    /// Half-width `h` of the central difference `(f(x+h) − f(x−h)) / 2h`.
    pub step: f32,
    /// Absolute tolerance on each gradient element.
    pub abs_tol: f64,
    /// Tolerance relative to the larger of the analytic and numeric magnitudes.
    pub rel_tol: f64,
}

impl Default for GradcheckOptions {
    /// `step = 1e-2`, `abs_tol = 1e-4`, `rel_tol = 1e-3`: tuned for `f32` forwards with values
    /// around 1; a 0.5 % error in a backward rule fails, f32 rounding in `f(x±h)` does not.
    /// Inputs near a function's singularities (`ln` near 0) need a smaller step.
    fn default() -> Self {
        GradcheckOptions {
            step: 1e-2,
            abs_tol: 1e-4,
            rel_tol: 1e-3,
        }
    }
}

/// The first gradient element where backward and finite differences disagree.
#[derive(Debug, Clone, PartialEq)]
pub struct GradcheckError {
    /// Which input (position in the `inputs` slice).
    pub input: usize,
    /// The element's index within that input.
    pub index: Vec<usize>,
    /// The gradient from `backward`.
    pub analytic: f64,
    /// The central-difference estimate.
    pub numeric: f64,
    /// How many elements disagreed in all.
    pub mismatches: usize,
}

impl fmt::Display for GradcheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gradient mismatch at input {} index {:?}: backward gives {:.6e}, finite differences give {:.6e} \
             ({} element(s) disagree)",
            self.input, self.index, self.analytic, self.numeric, self.mismatches
        )
    }
}

impl std::error::Error for GradcheckError {}

/// Checks the gradients `backward` gives for `f` at `inputs` against central finite differences,
/// with [`GradcheckOptions::default`].
///
/// `f` receives the inputs as leaf variables on a fresh tape and returns a value of any shape;
/// the check differentiates a fixed random weighting of that value's elements (so every output
/// element is checked, not just their sum). Differences of `f` are accumulated in `f64`.
///
/// ```
/// use nnautograd::{gradcheck, Tape, Var};
/// use nntensor::Tensor;
/// let x = Tensor::from_vec(vec![3], vec![0.3, -0.7, 1.1]).unwrap();
/// // d/dx of x·tanh(x)
/// gradcheck(|_tape: &Tape, v: &[Var]| v[0] * v[0].tanh(), &[x]).unwrap();
/// ```
pub fn gradcheck<F>(f: F, inputs: &[Tensor]) -> Result<(), GradcheckError>
where
    F: for<'t> Fn(&'t Tape, &[Var<'t>]) -> Var<'t>,
{
    gradcheck_with(GradcheckOptions::default(), f, inputs)
}

/// [`gradcheck`] with explicit step and tolerances.
pub fn gradcheck_with<F>(
    options: GradcheckOptions,
    f: F,
    inputs: &[Tensor],
) -> Result<(), GradcheckError>
where
    F: for<'t> Fn(&'t Tape, &[Var<'t>]) -> Var<'t>,
{
    // Analytic: backward through Σ w ⊙ f(inputs).
    let tape = Tape::new();
    let vars: Vec<Var<'_>> = inputs.iter().map(|t| tape.var(t.clone())).collect();
    let out = f(&tape, &vars);
    let out_shape = out.shape();
    let mut rng = Rng::seed_from(0x6772_6164); // "grad"
                                               // The weights and perturbed inputs live where the inputs do, so the check runs on any device.
    let device = inputs.first().map_or(nntensor::Device::Cpu, Tensor::device);
    let weights = Tensor::from_fn(out_shape, || rng.uniform(0.5, 1.5)).into_device(&device);
    let grads = (out * tape.constant(weights.clone())).sum().backward();
    let analytic: Vec<Vec<f32>> = vars
        .iter()
        .zip(inputs)
        .map(|(&v, t)| {
            grads
                .wrt(v)
                .map(|g| g.to_vec())
                .unwrap_or_else(|| vec![0.0; t.len()])
        })
        .collect();

    let weight_values = weights.to_vec();
    // Numeric: the same weighted sum, evaluated in f64 at x ± h for each element.
    let weighted = |inputs: &[Tensor]| -> f64 {
        let tape = Tape::new();
        tape.no_grad(|| {
            let vars: Vec<Var<'_>> = inputs.iter().map(|t| tape.constant(t.clone())).collect();
            let out = f(&tape, &vars);
            let value = out.value().to_vec();
            value
                .iter()
                .zip(&weight_values)
                .map(|(&y, &w)| y as f64 * w as f64)
                .sum()
        })
    };
    let mut first: Option<GradcheckError> = None;
    let mut mismatches = 0;
    let mut work: Vec<Tensor> = inputs.to_vec();
    for (input, grad) in analytic.iter().enumerate() {
        let values = inputs[input].to_vec();
        let shape = inputs[input].shape().to_vec();
        let mut at = |values: &[f32]| -> f64 {
            work[input] = Tensor::from_vec(shape.as_slice(), values.to_vec())
                .expect("same length as the input")
                .into_device(&device);
            weighted(&work)
        };
        let mut perturbed = values.clone();
        for (k, &x) in values.iter().enumerate() {
            perturbed[k] = x + options.step;
            let plus = at(&perturbed);
            perturbed[k] = x - options.step;
            let minus = at(&perturbed);
            perturbed[k] = x;
            // The step actually taken in f32 may differ from `step`: divide by the real one.
            let h = ((x + options.step) as f64 - (x - options.step) as f64) / 2.0;
            let numeric = (plus - minus) / (2.0 * h);
            let analytic = grad[k] as f64;
            let tol = options.abs_tol + options.rel_tol * analytic.abs().max(numeric.abs());
            // Written so that a NaN on either side counts as a mismatch.
            let agrees = (analytic - numeric).abs() <= tol;
            if !agrees {
                mismatches += 1;
                first.get_or_insert(GradcheckError {
                    input,
                    index: unravel(k, &shape),
                    analytic,
                    numeric,
                    mismatches: 0,
                });
            }
        }
        work[input] = inputs[input].clone();
    }
    match first {
        Some(err) => Err(GradcheckError { mismatches, ..err }),
        None => Ok(()),
    }
}

/// The multi-index of row-major offset `k` in `shape`.
fn unravel(mut k: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (i, &size) in shape.iter().enumerate().rev() {
        index[i] = k % size;
        k /= size;
    }
    index
}
