//! Stochastic gradient descent with momentum, Nesterov momentum and weight decay.

use crate::optimizer::{check_kind, float, kind_code, Slots};
use crate::{OptimError, Optimizer};
use nnautograd::nntensor::{self as nt, SgdStep};
use nnautograd::{Grads, Param, StateDict};

/// SGD following **PyTorch's `torch.optim.SGD`** (defaults: no momentum, no weight decay):
///
/// ```text
/// g ← ∇ + weight_decay·p
/// b ← g                                   (first step)
/// b ← momentum·b + (1 − dampening)·g      (later steps)
/// g ← g + momentum·b  if nesterov, else b (when momentum ≠ 0)
/// p ← p − lr·g
/// ```
///
/// Keras's `SGD` differs in its momentum form (`v ← momentum·v − lr·g; p ← p + v`), which
/// equals this one for a constant learning rate and no dampening.
///
/// ```
/// use nnoptim::{Optimizer, Sgd};
/// use nnautograd::{nntensor::scalar, Param, Tape};
/// let mut w = Param::new(scalar(1.0));
/// let mut sgd = Sgd::new(0.1);
/// let tape = Tape::new();
/// let grads = (tape.param(&w) * 3.0).backward(); // ∇ = 3
/// sgd.step(&mut [&mut w], &grads);
/// assert!((w.value()[[]] - 0.7).abs() < 1e-7);
/// ```
#[derive(Debug, Clone)]
pub struct Sgd {
    /// Learning rate.
    pub lr: f32,
    /// Momentum factor (0 disables momentum).
    pub momentum: f32,
    /// Dampening of the momentum's gradient term.
    pub dampening: f32,
    /// L2 penalty added to the gradient.
    pub weight_decay: f32,
    /// Nesterov momentum (needs `momentum > 0` and `dampening == 0`).
    pub nesterov: bool,
    buffers: Slots,
}

impl Sgd {
    /// Plain SGD with learning rate `lr`.
    pub fn new(lr: f32) -> Self {
        Sgd {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            buffers: Slots::default(),
        }
    }

    /// SGD with classical momentum.
    pub fn with_momentum(lr: f32, momentum: f32) -> Self {
        Sgd {
            momentum,
            ..Sgd::new(lr)
        }
    }

    /// SGD with Nesterov momentum. Panics if `momentum` is not positive (PyTorch refuses it too).
    #[track_caller]
    pub fn nesterov(lr: f32, momentum: f32) -> Self {
        assert!(
            momentum > 0.0,
            "Sgd::nesterov: Nesterov momentum needs momentum > 0, got {momentum}"
        );
        Sgd {
            momentum,
            nesterov: true,
            ..Sgd::new(lr)
        }
    }

    /// The same optimizer with an L2 weight decay.
    pub fn with_weight_decay(self, weight_decay: f32) -> Self {
        Sgd {
            weight_decay,
            ..self
        }
    }

    /// The same optimizer with momentum dampening.
    pub fn with_dampening(self, dampening: f32) -> Self {
        Sgd { dampening, ..self }
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, params: &mut [&mut Param], grads: &Grads) {
        let (lr, momentum, dampening, wd, nesterov) = (
            self.lr,
            self.momentum,
            self.dampening,
            self.weight_decay,
            self.nesterov,
        );
        for (i, param) in params.iter_mut().enumerate() {
            let Some(grad) = grads.get(param) else {
                continue;
            };
            if momentum == 0.0 {
                nt::sgd_update(param.value_mut(), grad, lr, wd);
                continue;
            }
            let first = !self.buffers.has(i);
            let buf = self.buffers.get(i, param.value());
            // The variants as constants, so the loop has no branches and vectorises. The buffer
            // starts at zero, so the first step's `0·b + 1·g` is exactly PyTorch's `b = g`.
            let (keep, take) = if first {
                (0.0, 1.0)
            } else {
                (momentum, 1.0 - dampening)
            };
            let (gradient_part, buffer_part) = if nesterov {
                (1.0, momentum)
            } else {
                (0.0, 1.0)
            };
            let step = SgdStep {
                lr,
                weight_decay: wd,
                keep,
                take,
                gradient_part,
                buffer_part,
            };
            nt::sgd_momentum_update(param.value_mut(), grad, buf, step);
        }
    }

    fn learning_rate(&self) -> f32 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f32) {
        self.lr = lr;
    }

    fn name(&self) -> &'static str {
        "sgd"
    }

    fn state_dict(&self) -> StateDict {
        let mut s = StateDict::default();
        s.set_integer("kind", kind_code("sgd"));
        s.set_float("lr", self.lr as f64);
        s.set_float("momentum", self.momentum as f64);
        s.set_float("dampening", self.dampening as f64);
        s.set_float("weight_decay", self.weight_decay as f64);
        s.set_integer("nesterov", self.nesterov as u64);
        self.buffers.save("momentum_buffer", &mut s);
        s
    }

    fn load_state_dict(&mut self, state: &StateDict) -> Result<(), OptimError> {
        check_kind(state, "sgd")?;
        let missing = OptimError::MissingState {
            optimizer: "sgd",
            name: "nesterov",
        };
        // Parse everything first: on an error the optimizer is left as it was.
        *self = Sgd {
            lr: float(state, "sgd", "lr")? as f32,
            momentum: float(state, "sgd", "momentum")? as f32,
            dampening: float(state, "sgd", "dampening")? as f32,
            weight_decay: float(state, "sgd", "weight_decay")? as f32,
            nesterov: state.integer("nesterov").ok_or(missing)? != 0,
            buffers: Slots::load("momentum_buffer", state)?,
        };
        Ok(())
    }
}
