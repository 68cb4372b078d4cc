//! Devices and storage: the seam where a backend plugs in.
//!
//! A [`Tensor`](crate::Tensor) is a shape plus a [`Storage`]: one enum variant per backend compiled
//! into this build. Every op in `nntensor` matches on its operands' storage once and calls that
//! backend's kernel, so the crates above never see which device holds a value. A backend that is
//! not compiled in is not a variant: it costs nothing, not even a branch.

use std::fmt;

/// Where a tensor's elements live and its ops run.
///
/// ```
/// use nntensor::{Device, Tensor};
/// let x = Tensor::ones([2, 3]);
/// assert_eq!(x.device(), Device::Cpu);
/// let y = x.to(&Device::Cpu); // a copy on the same device
/// assert_eq!(y, x);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Device {
    /// Host memory and the CPU kernels of [`crate::cpu`] (AVX-512 or AVX2 when the CPU has them).
    #[default]
    Cpu,
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => write!(f, "cpu"),
        }
    }
}

/// A tensor's elements, held by one backend. The shape lives beside it in the
/// [`Tensor`](crate::Tensor); every backend stores the elements densely in row-major order.
///
/// ```
/// use nntensor::{Storage, Tensor};
/// let x = Tensor::from_vec([2], vec![1.0, 2.0]).unwrap();
/// match x.storage() {
///     Storage::Cpu(data) => assert_eq!(data, &[1.0, 2.0]),
/// }
/// ```
#[derive(Clone, PartialEq)]
pub enum Storage {
    /// Host memory: the elements in row-major order.
    Cpu(Vec<f32>),
}

impl Storage {
    /// The device this storage belongs to.
    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
        }
    }

    /// Number of elements held.
    pub fn len(&self) -> usize {
        match self {
            Storage::Cpu(data) => data.len(),
        }
    }

    /// Whether no elements are held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Storage::Cpu(data) => f.debug_tuple("Cpu").field(&data.len()).finish(),
        }
    }
}

/// Panics (at the caller's line) unless every operand of `op` lives on the same device.
#[track_caller]
pub(crate) fn same_device(op: &str, a: Device, b: Device) {
    if a != b {
        panic!(
            "{op}: operands live on different devices ({a} and {b}); move one with .to(&device)"
        );
    }
}
