//! Reductions over any set of axes with `keepdim` and negative axes (NumPy's and PyTorch's
//! rules), their gradients, and `cumsum`.

use crate::cpu::reduce_axes as cpu;
use crate::device::same_device;
use crate::{Shape, Storage, Tensor};

/// Which norm [`norm`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Norm {
    /// `Σ |x|`.
    L1,
    /// `√(Σ x²)`.
    L2,
    /// `max |x|`.
    Inf,
}

/// A reduction over some axes, named so that every backend can implement it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reduce {
    /// Sum (accumulated in f64).
    Sum,
    /// Mean.
    Mean,
    /// Product.
    Prod,
    /// Largest value (NaN if any is); the gradient is shared by ties (PyTorch's `amax`).
    Max,
    /// Smallest value (NaN if any is); the gradient is shared by ties (PyTorch's `amin`).
    Min,
    /// `ln Σ eˣ`, stable for any input.
    LogSumExp,
    /// Variance `Σ (x − mean)² / (n − correction)` (`correction = 1`: PyTorch's default).
    Var {
        /// Subtracted from the count (Bessel's correction is 1).
        correction: f32,
    },
    /// Standard deviation, the root of [`Reduce::Var`].
    Std {
        /// Subtracted from the count (Bessel's correction is 1).
        correction: f32,
    },
    /// A vector norm over the axes.
    Norm(Norm),
}

impl Reduce {
    /// The reduction's name in panic messages (PyTorch's name for it).
    pub fn name(self) -> &'static str {
        match self {
            Reduce::Sum => "sum",
            Reduce::Mean => "mean",
            Reduce::Prod => "prod",
            Reduce::Max => "amax",
            Reduce::Min => "amin",
            Reduce::LogSumExp => "logsumexp",
            Reduce::Var { .. } => "var",
            Reduce::Std { .. } => "std",
            Reduce::Norm(_) => "norm",
        }
    }
}

/// `axes` as sorted, distinct indices into `ndim` axes, with `-1` the last axis; all axes when
/// `axes` is empty. Panics (at the caller's line) naming the op for an axis out of range or
/// given twice.
#[track_caller]
pub fn normalize_axes(op: &str, ndim: usize, axes: &[isize]) -> Vec<usize> {
    if axes.is_empty() {
        return (0..ndim).collect();
    }
    let mut out: Vec<usize> = axes.iter().map(|&a| normalize_axis(op, ndim, a)).collect();
    out.sort_unstable();
    if out.windows(2).any(|w| w[0] == w[1]) {
        panic!("{op}: axes {axes:?} name the same axis twice");
    }
    out
}

/// One axis as an index into `ndim` axes, with `-1` the last. Panics (at the caller's line) if
/// it is out of range.
#[track_caller]
pub fn normalize_axis(op: &str, ndim: usize, axis: isize) -> usize {
    let n = ndim as isize;
    if axis < -n || axis >= n {
        panic!(
            "{op}: axis {axis} is out of range for a tensor with {ndim} axes (use {}..{})",
            -n,
            n.max(1) - 1
        );
    }
    (if axis < 0 { axis + n } else { axis }) as usize
}

/// The shape after reducing `axes`: removed, or kept with size 1.
fn reduced_shape(shape: &[usize], axes: &[usize], keepdim: bool) -> Shape {
    let dims: Vec<usize> = shape
        .iter()
        .enumerate()
        .filter_map(|(i, &d)| match (axes.contains(&i), keepdim) {
            (false, _) => Some(d),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect();
    Shape::from(dims)
}

/// Panics (at the caller's line) if `op` cannot reduce an empty set of values.
#[track_caller]
fn check_non_empty(op: Reduce, t: &Tensor, axes: &[usize]) {
    let needs_values = matches!(op, Reduce::Max | Reduce::Min);
    if needs_values && axes.iter().any(|&a| t.shape()[a] == 0) {
        panic!(
            "{}: cannot reduce an empty axis of shape {:?} (no values to compare)",
            op.name(),
            t.shape()
        );
    }
}

/// `op` over `axes` of `t` (negative axes count from the end; no axes means all), keeping the
/// reduced axes with size 1 when `keepdim` (NumPy's `keepdims`).
///
/// ```
/// use nntensor::{reduce, Reduce, Tensor};
/// let t = Tensor::from_vec([2, 3], vec![1., 2., 3., 4., 5., 6.]).unwrap();
/// assert_eq!(reduce(Reduce::Sum, &t, &[-1], false).to_vec(), vec![6., 15.]);
/// assert_eq!(reduce(Reduce::Max, &t, &[0], true).shape(), &[1, 3]);
/// assert_eq!(reduce(Reduce::Prod, &t, &[], false).item(), 720.0);
/// ```
#[track_caller]
pub fn reduce(op: Reduce, t: &Tensor, axes: &[isize], keepdim: bool) -> Tensor {
    let axes = normalize_axes(op.name(), t.ndim(), axes);
    check_non_empty(op, t, &axes);
    let out = reduced_shape(t.shape(), &axes, keepdim);
    match t.storage() {
        Storage::Cpu(x) => Tensor::cpu(out, cpu::reduce(op, t.shape_ref(), x, &axes)),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => {
            Tensor::gpu(out, crate::gpu::reduce::reduce(Ok(op), t.shape(), x, &axes))
        }
    }
}

/// The gradient of `y = reduce(op, x, axes, keepdim)` given `g = ∂loss/∂y` (of `y`'s shape):
/// `∂loss/∂x`, of `x`'s shape.
///
/// ```
/// use nntensor::{reduce, reduce_backward, Reduce, Tensor};
/// let x = Tensor::from_vec([3], vec![1., 2., 4.]).unwrap();
/// let y = reduce(Reduce::Prod, &x, &[0], false);
/// let dx = reduce_backward(Reduce::Prod, &Tensor::ones([]), &x, &y, &[0], false);
/// assert_eq!(dx.to_vec(), vec![8., 4., 2.]); // the product of the others
/// ```
#[track_caller]
pub fn reduce_backward(
    op: Reduce,
    g: &Tensor,
    x: &Tensor,
    y: &Tensor,
    axes: &[isize],
    keepdim: bool,
) -> Tensor {
    let axes = normalize_axes(op.name(), x.ndim(), axes);
    let out = reduced_shape(x.shape(), &axes, keepdim);
    assert!(
        g.shape() == out.dims() && y.shape() == out.dims(),
        "{} backward: gradient {:?} and output {:?} must have the reduced shape {out:?}",
        op.name(),
        g.shape(),
        y.shape()
    );
    same_device("reduce backward", x.device(), g.device());
    same_device("reduce backward", x.device(), y.device());
    match (x.storage(), y.storage(), g.storage()) {
        (Storage::Cpu(xs), Storage::Cpu(ys), Storage::Cpu(gs)) => Tensor::cpu(
            x.shape_ref().clone(),
            cpu::reduce_backward(op, x.shape_ref(), xs, &axes, ys, gs),
        ),
        #[cfg(feature = "gpu")]
        (Storage::Gpu(xs), Storage::Gpu(ys), Storage::Gpu(gs)) => Tensor::gpu(
            x.shape_ref().clone(),
            crate::gpu::reduce::reduce_backward(op, x.shape(), xs, &axes, ys, gs),
        ),
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}

/// Sum over `axes` (negative allowed; none means all), with `keepdim`.
///
/// ```
/// let t = nntensor::Tensor::ones([2, 3, 4]);
/// assert_eq!(nntensor::sum_axes(&t, &[0, -1], true).shape(), &[1, 3, 1]);
/// ```
#[track_caller]
pub fn sum_axes(t: &Tensor, axes: &[isize], keepdim: bool) -> Tensor {
    reduce(Reduce::Sum, t, axes, keepdim)
}

/// Mean over `axes` (negative allowed; none means all), with `keepdim`.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2, 2], vec![1., 2., 3., 4.]).unwrap();
/// assert_eq!(nntensor::mean_axes(&t, &[-2], false).to_vec(), vec![2., 3.]);
/// ```
#[track_caller]
pub fn mean_axes(t: &Tensor, axes: &[isize], keepdim: bool) -> Tensor {
    reduce(Reduce::Mean, t, axes, keepdim)
}

/// Product over `axes` (negative allowed; none means all), with `keepdim`.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2, 2], vec![1., 2., 3., 4.]).unwrap();
/// assert_eq!(nntensor::prod(&t, &[1], false).to_vec(), vec![2., 12.]);
/// ```
#[track_caller]
pub fn prod(t: &Tensor, axes: &[isize], keepdim: bool) -> Tensor {
    reduce(Reduce::Prod, t, axes, keepdim)
}

/// Largest value over `axes` (PyTorch's `amax`), with `keepdim`.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2, 2], vec![1., 5., 3., 2.]).unwrap();
/// assert_eq!(nntensor::amax(&t, &[0], false).to_vec(), vec![3., 5.]);
/// ```
#[track_caller]
pub fn amax(t: &Tensor, axes: &[isize], keepdim: bool) -> Tensor {
    reduce(Reduce::Max, t, axes, keepdim)
}

/// Smallest value over `axes` (PyTorch's `amin`), with `keepdim`.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2, 2], vec![1., 5., 3., 2.]).unwrap();
/// assert_eq!(nntensor::amin(&t, &[-1], false).to_vec(), vec![1., 2.]);
/// ```
#[track_caller]
pub fn amin(t: &Tensor, axes: &[isize], keepdim: bool) -> Tensor {
    reduce(Reduce::Min, t, axes, keepdim)
}

/// `ln Σ eˣ` over `axes`, stable for any input, with `keepdim`.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![1000., 1000.]).unwrap();
/// let l = nntensor::logsumexp(&t, &[0], false).item();
/// assert!((l - (1000.0 + 2f32.ln())).abs() < 1e-3);
/// ```
#[track_caller]
pub fn logsumexp(t: &Tensor, axes: &[isize], keepdim: bool) -> Tensor {
    reduce(Reduce::LogSumExp, t, axes, keepdim)
}

/// Variance over `axes`: `Σ (x − mean)² / (n − correction)` (PyTorch's `var`, whose default
/// correction is 1), with `keepdim`.
///
/// ```
/// let t = nntensor::Tensor::from_vec([4], vec![1., 2., 3., 4.]).unwrap();
/// assert_eq!(nntensor::var(&t, &[0], 1.0, false).item(), 5.0 / 3.0);
/// assert_eq!(nntensor::var(&t, &[0], 0.0, false).item(), 1.25);
/// ```
#[track_caller]
pub fn var(t: &Tensor, axes: &[isize], correction: f32, keepdim: bool) -> Tensor {
    reduce(Reduce::Var { correction }, t, axes, keepdim)
}

/// Standard deviation over `axes` (the root of [`var`]; PyTorch's `std`), with `keepdim`.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2], vec![1., 3.]).unwrap();
/// assert_eq!(nntensor::std_dev(&t, &[0], 0.0, false).item(), 1.0);
/// ```
#[track_caller]
pub fn std_dev(t: &Tensor, axes: &[isize], correction: f32, keepdim: bool) -> Tensor {
    reduce(Reduce::Std { correction }, t, axes, keepdim)
}

/// The L1, L2 or infinity norm over `axes` (PyTorch's `linalg.vector_norm`), with `keepdim`.
///
/// ```
/// use nntensor::{norm, Norm, Tensor};
/// let t = Tensor::from_vec([2], vec![3., -4.]).unwrap();
/// assert_eq!(norm(&t, Norm::L2, &[], false).item(), 5.0);
/// assert_eq!(norm(&t, Norm::L1, &[], false).item(), 7.0);
/// assert_eq!(norm(&t, Norm::Inf, &[], false).item(), 4.0);
/// ```
#[track_caller]
pub fn norm(t: &Tensor, p: Norm, axes: &[isize], keepdim: bool) -> Tensor {
    reduce(Reduce::Norm(p), t, axes, keepdim)
}

/// Running sums along `axis` (negative allowed), the same shape as `t`.
///
/// ```
/// let t = nntensor::Tensor::from_vec([2, 3], vec![1., 2., 3., 4., 5., 6.]).unwrap();
/// assert_eq!(nntensor::cumsum(&t, -1).to_vec(), vec![1., 3., 6., 4., 9., 15.]);
/// ```
#[track_caller]
pub fn cumsum(t: &Tensor, axis: isize) -> Tensor {
    let axis = normalize_axis("cumsum", t.ndim(), axis);
    match t.storage() {
        Storage::Cpu(x) => Tensor::cpu(
            t.shape_ref().clone(),
            cpu::cumsum(t.shape_ref(), x, axis, false),
        ),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => Tensor::gpu(
            t.shape_ref().clone(),
            crate::gpu::reduce::cumsum(t.shape(), x, axis, false),
        ),
    }
}

/// The gradient of [`cumsum`] along `axis`: running sums of `g` from the end.
///
/// ```
/// let g = nntensor::Tensor::ones([3]);
/// assert_eq!(nntensor::cumsum_backward(&g, 0).to_vec(), vec![3., 2., 1.]);
/// ```
#[track_caller]
pub fn cumsum_backward(g: &Tensor, axis: isize) -> Tensor {
    let axis = normalize_axis("cumsum backward", g.ndim(), axis);
    match g.storage() {
        Storage::Cpu(x) => Tensor::cpu(
            g.shape_ref().clone(),
            cpu::cumsum(g.shape_ref(), x, axis, true),
        ),
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => Tensor::gpu(
            g.shape_ref().clone(),
            crate::gpu::reduce::cumsum(g.shape(), x, axis, true),
        ),
    }
}
