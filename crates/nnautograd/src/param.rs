//! Trainable parameters: an id and a shared array the tape reads without copying.

use nntensor::Tensor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

static NEXT_PARAM_ID: AtomicU64 = AtomicU64::new(0);

/// A process-unique identifier of a [`Param`], used to look up its gradient in [`crate::Grads`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamId(u64);

/// A trainable tensor. Putting it on a tape ([`crate::Tape::param`]) shares its array (a
/// reference-count increment, no copy); once the tape has let go (after `backward` or `reset`),
/// [`Param::value_mut`] updates it in place.
///
/// ```
/// use nnautograd::{Param, Tape};
/// let mut w = Param::new(nntensor::scalar(3.0));
/// let tape = Tape::new();
/// let x = tape.param(&w);
/// let grads = (x * x).backward();
/// assert_eq!(grads.get(&w).unwrap()[[]], 6.0); // d(w²)/dw = 2w
/// w.value_mut()[[]] -= 0.1 * 6.0;             // the tape has let go: updated in place
/// assert!((w.value()[[]] - 2.4).abs() < 1e-6);
/// ```
#[derive(Debug)]
pub struct Param {
    id: ParamId,
    value: Arc<Tensor>,
}

impl Param {
    /// A new parameter holding `value`, with a fresh id.
    pub fn new(value: Tensor) -> Self {
        Param {
            id: ParamId(NEXT_PARAM_ID.fetch_add(1, Ordering::Relaxed)),
            value: Arc::new(value),
        }
    }

    /// This parameter's id.
    pub fn id(&self) -> ParamId {
        self.id
    }

    /// The current value.
    pub fn value(&self) -> &Tensor {
        &self.value
    }

    /// The value, for updating in place. If a live tape still shares it, the value is copied first
    /// (copy-on-write), so a recorded forward pass never sees its inputs change.
    pub fn value_mut(&mut self) -> &mut Tensor {
        Arc::make_mut(&mut self.value)
    }

    /// Replaces the value. Panics if the shape differs: a parameter's shape is fixed.
    #[track_caller]
    pub fn set(&mut self, value: Tensor) {
        assert_eq!(
            value.shape(),
            self.value.shape(),
            "Param::set: new value has shape {:?}, the parameter has shape {:?}",
            value.shape(),
            self.value.shape()
        );
        self.value = Arc::new(value);
    }

    /// The parameter's shape.
    pub fn shape(&self) -> &[usize] {
        self.value.shape()
    }

    /// Number of scalar values in the parameter.
    pub fn len(&self) -> usize {
        self.value.len()
    }

    /// Whether the parameter holds no values.
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    /// A new handle to the shared array, for the tape.
    pub(crate) fn shared(&self) -> Arc<Tensor> {
        Arc::clone(&self.value)
    }
}

impl Clone for Param {
    /// A parameter with the same values and a **new id** (the array is shared until either side writes).
    fn clone(&self) -> Self {
        Param {
            id: ParamId(NEXT_PARAM_ID.fetch_add(1, Ordering::Relaxed)),
            value: Arc::clone(&self.value),
        }
    }
}
