//! `StateDict`: named numbers and tensors, the portable form of an optimizer's or trainer's state.

use nntensor::Tensor;

/// Named integers, floats and tensors: what an optimizer (or a training loop) needs to resume
/// exactly. Model files store it beside the model's parameters.
///
/// ```
/// use nnautograd::StateDict;
/// let mut s = StateDict::default();
/// s.set_integer("step", 3);
/// s.set_float("lr", 1e-3);
/// assert_eq!(s.integer("step"), Some(3));
/// assert_eq!(s.float("lr"), Some(1e-3));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateDict {
    /// Exact integers (step counts, RNG states).
    pub integers: Vec<(String, u64)>,
    /// Real numbers (hyperparameters).
    pub floats: Vec<(String, f64)>,
    /// Tensors (moment estimates, momentum buffers).
    pub tensors: Vec<(String, Tensor)>,
}

impl StateDict {
    /// Sets (or replaces) an integer.
    pub fn set_integer(&mut self, name: &str, value: u64) {
        set(&mut self.integers, name, value);
    }

    /// Sets (or replaces) a float.
    pub fn set_float(&mut self, name: &str, value: f64) {
        set(&mut self.floats, name, value);
    }

    /// Sets (or replaces) a tensor.
    pub fn set_tensor(&mut self, name: &str, value: Tensor) {
        set(&mut self.tensors, name, value);
    }

    /// The integer called `name`.
    pub fn integer(&self, name: &str) -> Option<u64> {
        get(&self.integers, name).copied()
    }

    /// The float called `name`.
    pub fn float(&self, name: &str) -> Option<f64> {
        get(&self.floats, name).copied()
    }

    /// The tensor called `name`.
    pub fn tensor(&self, name: &str) -> Option<&Tensor> {
        get(&self.tensors, name)
    }
}

fn set<T>(list: &mut Vec<(String, T)>, name: &str, value: T) {
    match list.iter_mut().find(|(n, _)| n == name) {
        Some((_, slot)) => *slot = value,
        None => list.push((name.to_string(), value)),
    }
}

fn get<'a, T>(list: &'a [(String, T)], name: &str) -> Option<&'a T> {
    list.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}
