//! RMSprop, with PyTorch's or Keras's update rule.

use crate::optimizer::{check_kind, float, kind_code, Slots};
use crate::{OptimError, Optimizer};
use nnautograd::nntensor::{self as nt, RmsPropStep};
use nnautograd::{Grads, Param, StateDict};

/// Whose RMSprop update rule to follow. They differ in two places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RmsPropRule {
    /// `torch.optim.RMSprop`: `p ← p − lr·g / (√s + ε)`; with momentum, `b ← μ·b + g/(√s + ε)`,
    /// `p ← p − lr·b`.
    PyTorch,
    /// `keras.optimizers.RMSprop`: `p ← p − lr·g / √(s + ε)` (**ε inside the square root**);
    /// with momentum, `b ← μ·b + lr·g/√(s + ε)`, `p ← p − b` (the learning rate inside the buffer).
    Keras,
}

/// RMSprop: scale each gradient by a running root-mean-square of its past values.
///
/// ```text
/// s ← ρ·s + (1 − ρ)·g²                 (s starts at 0)
/// centered: a ← ρ·a + (1 − ρ)·g,  s̃ = s − a²;  otherwise s̃ = s
/// then the rule's update (see RmsPropRule)
/// ```
///
/// [`RmsProp::new`] takes PyTorch's defaults (ρ 0.99, ε 1e-8); [`RmsProp::keras`] takes
/// Keras's (lr 0.001, ρ 0.9, ε 1e-7, ε inside the root), which the Keras MNIST tutorial uses.
///
/// ```
/// use nnoptim::{Optimizer, RmsProp};
/// use nnautograd::{nntensor::scalar, Param, Tape};
/// let mut w = Param::new(scalar(1.0));
/// let mut opt = RmsProp::keras();
/// let tape = Tape::new();
/// let grads = (tape.param(&w) * 2.0).backward(); // ∇ = 2, so s = 0.1·4 = 0.4
/// opt.step(&mut [&mut w], &grads);
/// let expected = 1.0 - 0.001 * 2.0 / (0.4f32 + 1e-7).sqrt();
/// assert!((w.value()[[]] - expected).abs() < 1e-7);
/// ```
#[derive(Debug, Clone)]
pub struct RmsProp {
    /// Learning rate.
    pub lr: f32,
    /// Decay of the running mean square (PyTorch's `alpha`, Keras's `rho`).
    pub rho: f32,
    /// Added for numerical stability (where, depends on `rule`).
    pub eps: f32,
    /// Momentum factor (0 disables it).
    pub momentum: f32,
    /// Subtract the running mean of the gradient from the mean square.
    pub centered: bool,
    /// L2 penalty added to the gradient (PyTorch's `weight_decay`).
    pub weight_decay: f32,
    /// Whose update rule to follow.
    pub rule: RmsPropRule,
    square_avg: Slots,
    grad_avg: Slots,
    momentum_buffer: Slots,
}

impl RmsProp {
    /// PyTorch's RMSprop: learning rate `lr`, ρ 0.99, ε 1e-8, ε outside the square root.
    pub fn new(lr: f32) -> Self {
        RmsProp {
            lr,
            rho: 0.99,
            eps: 1e-8,
            momentum: 0.0,
            centered: false,
            weight_decay: 0.0,
            rule: RmsPropRule::PyTorch,
            square_avg: Slots::default(),
            grad_avg: Slots::default(),
            momentum_buffer: Slots::default(),
        }
    }

    /// Keras's RMSprop defaults: lr 0.001, ρ 0.9, ε 1e-7, ε inside the square root.
    pub fn keras() -> Self {
        RmsProp {
            rho: 0.9,
            eps: 1e-7,
            rule: RmsPropRule::Keras,
            ..RmsProp::new(0.001)
        }
    }

    /// The same optimizer with learning rate `lr`.
    pub fn with_lr(self, lr: f32) -> Self {
        RmsProp { lr, ..self }
    }

    /// The same optimizer with momentum.
    pub fn with_momentum(self, momentum: f32) -> Self {
        RmsProp { momentum, ..self }
    }

    /// The same optimizer, centered (normalised by the gradient's running variance).
    pub fn with_centered(self, centered: bool) -> Self {
        RmsProp { centered, ..self }
    }

    /// The same optimizer with an L2 weight decay added to the gradient (PyTorch's
    /// `weight_decay`; Keras's `weight_decay` is decoupled, applied to the weights directly).
    pub fn with_weight_decay(self, weight_decay: f32) -> Self {
        RmsProp {
            weight_decay,
            ..self
        }
    }

    /// The same optimizer with ε `eps`.
    pub fn with_eps(self, eps: f32) -> Self {
        RmsProp { eps, ..self }
    }
}

impl Optimizer for RmsProp {
    fn step(&mut self, params: &mut [&mut Param], grads: &Grads) {
        let (lr, rho, eps, mu, wd, rule) = (
            self.lr,
            self.rho,
            self.eps,
            self.momentum,
            self.weight_decay,
            self.rule,
        );
        for (i, param) in params.iter_mut().enumerate() {
            let Some(grad) = grads.get(param) else {
                continue;
            };
            let step = RmsPropStep {
                lr,
                rho,
                eps,
                weight_decay: wd,
                momentum: mu,
                keras_rule: rule == RmsPropRule::Keras,
            };
            let mut sq = self.square_avg.take(i, param.value());
            let mut avg = self.centered.then(|| self.grad_avg.take(i, param.value()));
            let mut buf = (mu != 0.0).then(|| self.momentum_buffer.take(i, param.value()));
            nt::rmsprop_update(
                param.value_mut(),
                grad,
                &mut sq,
                avg.as_mut(),
                buf.as_mut(),
                step,
            );
            self.square_avg.put(i, sq);
            if let Some(avg) = avg {
                self.grad_avg.put(i, avg);
            }
            if let Some(buf) = buf {
                self.momentum_buffer.put(i, buf);
            }
        }
    }

    fn learning_rate(&self) -> f32 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f32) {
        self.lr = lr;
    }

    fn name(&self) -> &'static str {
        "rmsprop"
    }

    fn state_dict(&self) -> StateDict {
        let mut s = StateDict::default();
        s.set_integer("kind", kind_code("rmsprop"));
        for (name, v) in [
            ("lr", self.lr),
            ("rho", self.rho),
            ("eps", self.eps),
            ("momentum", self.momentum),
            ("weight_decay", self.weight_decay),
        ] {
            s.set_float(name, v as f64);
        }
        s.set_integer("centered", self.centered as u64);
        s.set_integer("keras_rule", (self.rule == RmsPropRule::Keras) as u64);
        self.square_avg.save("square_avg", &mut s);
        self.grad_avg.save("grad_avg", &mut s);
        self.momentum_buffer.save("momentum_buffer", &mut s);
        s
    }

    fn load_state_dict(&mut self, state: &StateDict) -> Result<(), OptimError> {
        check_kind(state, "rmsprop")?;
        let int = |name: &'static str| {
            state.integer(name).ok_or(OptimError::MissingState {
                optimizer: "rmsprop",
                name,
            })
        };
        // Parse everything first: on an error the optimizer is left as it was.
        *self = RmsProp {
            lr: float(state, "rmsprop", "lr")? as f32,
            rho: float(state, "rmsprop", "rho")? as f32,
            eps: float(state, "rmsprop", "eps")? as f32,
            momentum: float(state, "rmsprop", "momentum")? as f32,
            weight_decay: float(state, "rmsprop", "weight_decay")? as f32,
            centered: int("centered")? != 0,
            rule: if int("keras_rule")? != 0 {
                RmsPropRule::Keras
            } else {
                RmsPropRule::PyTorch
            },
            square_avg: Slots::load("square_avg", state)?,
            grad_avg: Slots::load("grad_avg", state)?,
            momentum_buffer: Slots::load("momentum_buffer", state)?,
        };
        Ok(())
    }
}
