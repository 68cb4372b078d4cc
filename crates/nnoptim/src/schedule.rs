//! Learning-rate schedules: a function of the epoch, applied with `set_learning_rate`.

/// A learning rate as a function of the epoch (counted from 0).
///
/// ```
/// use nnoptim::{Optimizer, Schedule, Sgd, StepDecay};
/// let schedule = StepDecay { initial: 0.1, step_size: 10, gamma: 0.5 };
/// let mut sgd = Sgd::new(0.1);
/// sgd.set_learning_rate(schedule.learning_rate(25));
/// assert_eq!(sgd.learning_rate(), 0.025);
/// ```
pub trait Schedule {
    /// The learning rate for `epoch`.
    fn learning_rate(&self, epoch: usize) -> f32;
}

/// Multiplies the rate by `gamma` every `step_size` epochs (PyTorch's `StepLR`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepDecay {
    /// Rate at epoch 0.
    pub initial: f32,
    /// Epochs between decays.
    pub step_size: usize,
    /// Factor applied at each decay.
    pub gamma: f32,
}

impl Schedule for StepDecay {
    fn learning_rate(&self, epoch: usize) -> f32 {
        self.initial * self.gamma.powi((epoch / self.step_size.max(1)) as i32)
    }
}

/// Multiplies the rate by `gamma` every epoch (PyTorch's `ExponentialLR`; Keras's
/// `ExponentialDecay` of the same name decays per step, by `gamma` every `decay_steps`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExponentialDecay {
    /// Rate at epoch 0.
    pub initial: f32,
    /// Factor per epoch.
    pub gamma: f32,
}

impl Schedule for ExponentialDecay {
    fn learning_rate(&self, epoch: usize) -> f32 {
        self.initial * self.gamma.powi(epoch as i32)
    }
}

/// Cosine annealing from `initial` to `minimum` over `period` epochs, then held at `minimum`
/// (PyTorch's `CosineAnnealingLR` for its first half-period).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CosineAnnealing {
    /// Rate at epoch 0.
    pub initial: f32,
    /// Rate at and after epoch `period`.
    pub minimum: f32,
    /// Epochs to anneal over.
    pub period: usize,
}

impl Schedule for CosineAnnealing {
    fn learning_rate(&self, epoch: usize) -> f32 {
        let t = epoch.min(self.period) as f64 / self.period.max(1) as f64;
        let cos = (1.0 + (std::f64::consts::PI * t).cos()) / 2.0;
        (self.minimum as f64 + (self.initial - self.minimum) as f64 * cos) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_match_their_formulas() {
        let step = StepDecay {
            initial: 1.0,
            step_size: 3,
            gamma: 0.1,
        };
        assert_eq!(
            [0, 2, 3, 6].map(|e| step.learning_rate(e)),
            [1.0, 1.0, 0.1, 0.1f32.powi(2)]
        );
        let exp = ExponentialDecay {
            initial: 2.0,
            gamma: 0.5,
        };
        assert_eq!(exp.learning_rate(3), 0.25);
        let cos = CosineAnnealing {
            initial: 1.0,
            minimum: 0.0,
            period: 4,
        };
        assert_eq!(cos.learning_rate(0), 1.0);
        assert!((cos.learning_rate(2) - 0.5).abs() < 1e-7);
        assert_eq!(cos.learning_rate(4), 0.0);
        assert_eq!(cos.learning_rate(9), 0.0);
    }
}
