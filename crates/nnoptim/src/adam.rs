//! Adam and AdamW.

use crate::optimizer::{check_kind, float, kind_code, slot_index, Slots};
use crate::{OptimError, Optimizer};
use nnautograd::nntensor::{self as nt, AdamStep};
use nnautograd::{Grads, Param, StateDict};

/// Adam (Kingma & Ba, 2015) following **PyTorch's `torch.optim.Adam`/`AdamW`**, with a step
/// count `t` per parameter (a parameter first updated late is bias-corrected from its own first
/// step, as in PyTorch):
///
/// ```text
/// Adam:  g ← ∇ + weight_decay·p          AdamW: p ← p·(1 − lr·weight_decay), g ← ∇
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
///
/// Keras's `Adam` adds ε to `√v` before the bias correction
/// (`p ← p − lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m/(√v + ε)`), which is PyTorch's rule with ε divided by
/// `√(1 − β₂ᵗ)`; its default ε is 1e-7 where PyTorch's is 1e-8, and its `weight_decay` is
/// decoupled. [`Adam::keras`] sets Keras's defaults and its ε placement.
///
/// ```
/// use nnoptim::{Adam, Optimizer};
/// use nnautograd::{nntensor::scalar, Param, Tape};
/// let mut w = Param::new(scalar(1.0));
/// let mut adam = Adam::new(0.1);
/// let tape = Tape::new();
/// let grads = (tape.param(&w) * 5.0).backward();
/// adam.step(&mut [&mut w], &grads);
/// // The first Adam step moves each weight by about lr, whatever the gradient's size.
/// assert!((w.value()[[]] - 0.9).abs() < 1e-6);
/// ```
#[derive(Debug, Clone)]
pub struct Adam {
    /// Learning rate.
    pub lr: f32,
    /// Decay of the first moment.
    pub beta1: f32,
    /// Decay of the second moment.
    pub beta2: f32,
    /// Added to the denominator for stability.
    pub eps: f32,
    /// Weight decay: an L2 term in the gradient (Adam) or decoupled shrinkage (AdamW).
    pub weight_decay: f32,
    /// Decoupled weight decay (AdamW, Loshchilov & Hutter 2019).
    pub decoupled: bool,
    /// ε added before the bias correction, as Keras does.
    pub keras_epsilon: bool,
    steps: Vec<u64>,
    m: Slots,
    v: Slots,
}

impl Adam {
    /// PyTorch's Adam: betas (0.9, 0.999), ε 1e-8, no weight decay.
    pub fn new(lr: f32) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled: false,
            keras_epsilon: false,
            steps: Vec::new(),
            m: Slots::default(),
            v: Slots::default(),
        }
    }

    /// Keras's Adam defaults: lr 0.001, betas (0.9, 0.999), ε 1e-7 added before bias correction.
    pub fn keras() -> Self {
        Adam {
            eps: 1e-7,
            keras_epsilon: true,
            ..Adam::new(0.001)
        }
    }

    /// PyTorch's AdamW: decoupled weight decay (PyTorch's default is 0.01).
    pub fn adamw(lr: f32, weight_decay: f32) -> Self {
        Adam {
            weight_decay,
            decoupled: true,
            ..Adam::new(lr)
        }
    }

    /// The same optimizer with learning rate `lr`.
    pub fn with_lr(self, lr: f32) -> Self {
        Adam { lr, ..self }
    }

    /// The same optimizer with weight decay (L2 for Adam, decoupled for AdamW).
    pub fn with_weight_decay(self, weight_decay: f32) -> Self {
        Adam {
            weight_decay,
            ..self
        }
    }

    /// The same optimizer with moment decays `beta1`, `beta2`.
    pub fn with_betas(self, beta1: f32, beta2: f32) -> Self {
        Adam {
            beta1,
            beta2,
            ..self
        }
    }

    /// The same optimizer with ε `eps`.
    pub fn with_eps(self, eps: f32) -> Self {
        Adam { eps, ..self }
    }

    /// Updates applied so far to the parameter most often updated.
    pub fn steps(&self) -> u64 {
        self.steps.iter().copied().max().unwrap_or(0)
    }
}

impl Optimizer for Adam {
    fn step(&mut self, params: &mut [&mut Param], grads: &Grads) {
        let (b1, b2, eps, wd, lr) = (self.beta1, self.beta2, self.eps, self.weight_decay, self.lr);
        let (decoupled, keras_eps, decay) = (self.decoupled, self.keras_epsilon, 1.0 - lr * wd);
        if self.steps.len() < params.len() {
            self.steps.resize(params.len(), 0);
        }
        for (i, param) in params.iter_mut().enumerate() {
            let Some(grad) = grads.get(param) else {
                continue;
            };
            self.steps[i] = self.steps[i].saturating_add(1);
            let t = self.steps[i].min(i32::MAX as u64) as i32;
            // Bias corrections in f64, as PyTorch computes them (Python floats).
            let bc1 = 1.0 - (b1 as f64).powi(t);
            let bc2_sqrt = ((1.0 - (b2 as f64).powi(t)).sqrt()) as f32;
            let step_size = (lr as f64 / bc1) as f32;
            let mut m = self.m.take(i, param.value());
            let v = self.v.get(i, param.value());
            // The variants as constants, so the loop has no branches and vectorises: multiplying
            // by 1 and adding 0 leave a value unchanged.
            let (decay_factor, coupled_wd) = if decoupled { (decay, 0.0) } else { (1.0, wd) };
            let (eps_inside, eps_outside) = if keras_eps { (eps, 0.0) } else { (0.0, eps) };
            let step = AdamStep {
                beta1: b1,
                beta2: b2,
                step_size,
                bias_correction2_sqrt: bc2_sqrt,
                decay_factor,
                coupled_weight_decay: coupled_wd,
                eps_inside,
                eps_outside,
            };
            nt::adam_update(param.value_mut(), grad, &mut m, v, step);
            self.m.put(i, m);
        }
    }

    fn learning_rate(&self) -> f32 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f32) {
        self.lr = lr;
    }

    fn name(&self) -> &'static str {
        if self.decoupled {
            "adamw"
        } else {
            "adam"
        }
    }

    fn state_dict(&self) -> StateDict {
        let mut s = StateDict::default();
        s.set_integer("kind", kind_code(self.name()));
        for (i, &t) in self.steps.iter().enumerate() {
            s.set_integer(&format!("step.{i}"), t);
        }
        for (name, v) in [
            ("lr", self.lr),
            ("beta1", self.beta1),
            ("beta2", self.beta2),
            ("eps", self.eps),
            ("weight_decay", self.weight_decay),
        ] {
            s.set_float(name, v as f64);
        }
        s.set_integer("keras_epsilon", self.keras_epsilon as u64);
        self.m.save("exp_avg", &mut s);
        self.v.save("exp_avg_sq", &mut s);
        s
    }

    fn load_state_dict(&mut self, state: &StateDict) -> Result<(), OptimError> {
        let name = self.name();
        check_kind(state, name)?;
        let int = |n: &'static str| {
            state.integer(n).ok_or(OptimError::MissingState {
                optimizer: name,
                name: n,
            })
        };
        let mut steps = Vec::new();
        for (key, t) in &state.integers {
            let Some(index) = key.strip_prefix("step.") else {
                continue;
            };
            let i = slot_index(index, state.integers.len())
                .ok_or_else(|| OptimError::BadState(format!("`{key}` has no valid slot index")))?;
            if steps.len() <= i {
                steps.resize(i + 1, 0);
            }
            steps[i] = *t;
        }
        // Parse everything first: on an error the optimizer is left as it was.
        *self = Adam {
            lr: float(state, name, "lr")? as f32,
            beta1: float(state, name, "beta1")? as f32,
            beta2: float(state, name, "beta2")? as f32,
            eps: float(state, name, "eps")? as f32,
            weight_decay: float(state, name, "weight_decay")? as f32,
            decoupled: self.decoupled,
            keras_epsilon: int("keras_epsilon")? != 0,
            steps,
            m: Slots::load("exp_avg", state)?,
            v: Slots::load("exp_avg_sq", state)?,
        };
        Ok(())
    }
}
