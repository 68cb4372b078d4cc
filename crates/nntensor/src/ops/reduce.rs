//! Reductions: sum, mean, max (over everything or one axis), argmax, and the gradient of a max.

use crate::cpu::reduce as cpu;
#[cfg(feature = "gpu")]
use crate::Reduce;
use crate::{scalar, Shape, Storage, Tensor};

#[track_caller]
fn check_axis(op: &str, t: &Tensor, axis: usize) {
    assert!(
        axis < t.ndim(),
        "{op}: axis {axis} is out of range for a tensor of shape {:?}",
        t.shape()
    );
}

/// A reduction of every element of a GPU tensor, as a 0-d GPU tensor.
#[cfg(feature = "gpu")]
fn gpu_all(op: Reduce, t: &Tensor, x: &crate::gpu::GpuBuffer) -> Tensor {
    let out = crate::gpu::reduce::reduce(Ok(op), &[t.len()], x, &[0]);
    Tensor::gpu(Shape::from([]), out)
}

/// `t`'s shape without `axis`.
fn without_axis(t: &Tensor, axis: usize) -> Shape {
    let mut dims = t.shape().to_vec();
    dims.remove(axis);
    Shape::from(dims)
}

/// Sum of all elements, as a 0-dimensional tensor.
///
/// ```
/// let t = nntensor::Tensor::ones([2, 3]);
/// assert_eq!(nntensor::sum_all(&t).item(), 6.0);
/// ```
pub fn sum_all(t: &Tensor) -> Tensor {
    match t.storage() {
        Storage::Cpu(x) => scalar(cpu::sum_all(t.shape_ref(), x)),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => gpu_all(Reduce::Sum, t, x),
    }
}

/// Mean of all elements, as a 0-dimensional tensor (NaN for an empty tensor).
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![1.0, 2.0]).unwrap();
/// assert_eq!(nntensor::mean_all(&t).item(), 1.5);
/// ```
pub fn mean_all(t: &Tensor) -> Tensor {
    match t.storage() {
        Storage::Cpu(x) => scalar(cpu::sum_all(t.shape_ref(), x) / t.len() as f32),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => gpu_all(Reduce::Mean, t, x),
    }
}

/// Largest element, as a 0-dimensional tensor. Panics on an empty tensor.
///
/// ```
/// let t = nntensor::Tensor::from_vec([3], vec![1.0, 5.0, 2.0]).unwrap();
/// assert_eq!(nntensor::max_all(&t).item(), 5.0);
/// ```
#[track_caller]
pub fn max_all(t: &Tensor) -> Tensor {
    assert!(!t.is_empty(), "max_all: the tensor is empty");
    match t.storage() {
        Storage::Cpu(x) => scalar(cpu::max_all(x)),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => gpu_all(Reduce::Max, t, x),
    }
}

/// Sums over `axis`, removing it.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2, 2], vec![1., 2., 3., 4.]).unwrap();
/// assert_eq!(nntensor::sum_axis(&t, 0).to_vec(), vec![4., 6.]);
/// ```
#[track_caller]
pub fn sum_axis(t: &Tensor, axis: usize) -> Tensor {
    check_axis("sum_axis", t, axis);
    match t.storage() {
        Storage::Cpu(x) => {
            Tensor::cpu(without_axis(t, axis), cpu::sum_axis(t.shape_ref(), x, axis))
        }
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => Tensor::gpu(
            without_axis(t, axis),
            crate::gpu::reduce::reduce(Ok(Reduce::Sum), t.shape(), x, &[axis]),
        ),
    }
}

/// Means over `axis`, removing it.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2, 2], vec![1., 2., 3., 4.]).unwrap();
/// assert_eq!(nntensor::mean_axis(&t, 1).to_vec(), vec![1.5, 3.5]);
/// ```
#[track_caller]
pub fn mean_axis(t: &Tensor, axis: usize) -> Tensor {
    check_axis("mean_axis", t, axis);
    let n = t.shape()[axis] as f32;
    sum_axis(t, axis) / n
}

/// Maximum over `axis`, removing it. Panics if that axis is empty.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2, 2], vec![1., 4., 3., 2.]).unwrap();
/// assert_eq!(nntensor::max_axis(&t, 1).to_vec(), vec![4., 3.]);
/// ```
#[track_caller]
pub fn max_axis(t: &Tensor, axis: usize) -> Tensor {
    check_axis("max_axis", t, axis);
    assert!(
        t.shape()[axis] > 0,
        "max_axis: axis {axis} of shape {:?} is empty",
        t.shape()
    );
    match t.storage() {
        Storage::Cpu(x) => {
            Tensor::cpu(without_axis(t, axis), cpu::max_axis(t.shape_ref(), x, axis))
        }
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => Tensor::gpu(
            without_axis(t, axis),
            crate::gpu::reduce::reduce(Ok(Reduce::Max), t.shape(), x, &[axis]),
        ),
    }
}

/// Index of the largest value along `axis` (the first one on ties), for each position of the
/// other axes in row-major order: for `(n, classes)` scores and `axis = 1`, one class per row.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2, 3], vec![0., 5., 1., 9., 2., 9.]).unwrap();
/// assert_eq!(nntensor::argmax_axis(&t, 1), vec![1, 0]);
/// ```
#[track_caller]
pub fn argmax_axis(t: &Tensor, axis: usize) -> Vec<usize> {
    check_axis("argmax_axis", t, axis);
    assert!(
        t.shape()[axis] > 0,
        "argmax_axis: axis {axis} of shape {:?} is empty",
        t.shape()
    );
    match t.storage() {
        Storage::Cpu(x) => cpu::argmax_axis(t.shape_ref(), x, axis),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => {
            let arg = crate::gpu::reduce::reduce(
                Err(crate::gpu::reduce::Extra::ArgMax),
                t.shape(),
                x,
                &[axis],
            );
            arg.read().into_iter().map(|i| i as usize).collect()
        }
    }
}

/// The gradient of [`max_all`] (`axis = None`) or [`max_axis`]: `g` routed to the first maximum
/// of `x` (of each lane along `axis`), zeros elsewhere. `g` has the max's shape.
///
/// ```
/// use nntensor::{max_backward, scalar, Tensor};
/// let x = Tensor::from_vec([3], vec![1.0, 5.0, 5.0]).unwrap();
/// assert_eq!(max_backward(&x, &scalar(2.0), None).to_vec(), vec![0.0, 2.0, 0.0]);
/// ```
#[track_caller]
pub fn max_backward(x: &Tensor, g: &Tensor, axis: Option<usize>) -> Tensor {
    let want = match axis {
        None => Vec::new(),
        Some(axis) => {
            check_axis("max backward", x, axis);
            assert!(
                x.shape()[axis] > 0,
                "max backward: axis {axis} of shape {:?} is empty",
                x.shape()
            );
            without_axis(x, axis).to_vec()
        }
    };
    assert!(
        g.shape() == want.as_slice(),
        "max backward: gradient {:?} does not fit input {:?} reduced over {axis:?}",
        g.shape(),
        x.shape()
    );
    crate::device::same_device("max backward", x.device(), g.device());
    match (x.storage(), g.storage()) {
        (Storage::Cpu(xs), Storage::Cpu(gs)) => Tensor::cpu(
            x.shape_ref().clone(),
            cpu::max_backward(x.shape_ref(), xs, gs, axis),
        ),
        #[cfg(feature = "gpu")]
        (Storage::Gpu(xs), Storage::Gpu(gs)) => {
            use crate::gpu::reduce::{lanes, reduce, route, Extra};
            let (lanes, axes) = match axis {
                None => ((1, x.len(), 1), (0..x.ndim()).collect::<Vec<_>>()),
                Some(axis) => (lanes(x.shape(), axis), vec![axis]),
            };
            let arg = reduce(Err(Extra::ArgMax), x.shape(), xs, &axes);
            Tensor::gpu(x.shape_ref().clone(), route(gs, &arg, lanes))
        }
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}
