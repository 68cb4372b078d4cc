//! Binary elementwise arithmetic under NumPy broadcasting, the std operators on tensors, and
//! `unbroadcast` / `broadcast_to` for gradients.

use crate::cpu::elementwise as cpu;
use crate::device::same_device;
use crate::ops::unary::{unary_into, UnaryOp};
use crate::{Shape, Storage, Tensor};
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A binary elementwise op, named so that every backend can implement it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `a + b`.
    Add,
    /// `a − b`.
    Sub,
    /// `a · b`.
    Mul,
    /// `a / b`.
    Div,
    /// The larger of `a` and `b` (NaN if either is NaN, as PyTorch's `maximum`).
    Maximum,
    /// The smaller of `a` and `b` (NaN if either is NaN, as PyTorch's `minimum`).
    Minimum,
    /// `a` to the power `b`.
    Pow,
    /// 1 where `a == b`, else 0 (no gradient).
    Eq,
    /// 1 where `a != b`, else 0 (no gradient).
    Ne,
    /// 1 where `a < b`, else 0 (no gradient).
    Lt,
    /// 1 where `a <= b`, else 0 (no gradient).
    Le,
    /// 1 where `a > b`, else 0 (no gradient).
    Gt,
    /// 1 where `a >= b`, else 0 (no gradient).
    Ge,
}

impl BinaryOp {
    /// The op's name in panic messages.
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
            BinaryOp::Pow => "pow",
            BinaryOp::Eq => "eq",
            BinaryOp::Ne => "ne",
            BinaryOp::Lt => "lt",
            BinaryOp::Le => "le",
            BinaryOp::Gt => "gt",
            BinaryOp::Ge => "ge",
        }
    }

    /// Whether the op is a comparison (a 0/1 mask with no gradient).
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }
}

/// The broadcast shape of `a` and `b` under NumPy rules, or `None` if they are incompatible.
///
/// Shapes are aligned at their last axis; each pair of sizes must be equal or contain a 1.
///
/// ```
/// use nntensor::broadcast_shape;
/// assert_eq!(broadcast_shape(&[4, 1, 3], &[5, 1]), Some(vec![4, 5, 3]));
/// assert_eq!(broadcast_shape(&[2, 3], &[4]), None);
/// ```
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let ndim = a.len().max(b.len());
    let size = |s: &[usize], i: usize| {
        if i < ndim - s.len() {
            1
        } else {
            s[i - (ndim - s.len())]
        }
    };
    (0..ndim)
        .map(|i| match (size(a, i), size(b, i)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// The broadcast shape of two operands of `op`, or a panic at the caller's line naming both.
#[track_caller]
fn broadcast_or_panic(op: &str, a: &[usize], b: &[usize]) -> Shape {
    if a == b {
        return Shape::from(a);
    }
    match broadcast_shape(a, b) {
        Some(shape) => Shape::from(shape),
        None => panic!(
            "{op}: shapes {a:?} and {b:?} do not broadcast (sizes must match or be 1, aligned at \
             the last axis)"
        ),
    }
}

/// `op(a, b)` elementwise with NumPy broadcasting. Panics (at the caller's line) naming the op
/// and both shapes if they do not broadcast.
///
/// ```
/// use nntensor::{binary, BinaryOp, Tensor};
/// let a = Tensor::from_vec([2, 2], vec![1., 2., 3., 4.]).unwrap();
/// let row = Tensor::from_vec([2], vec![10., 20.]).unwrap();
/// assert_eq!(binary(BinaryOp::Add, &a, &row).to_vec(), vec![11., 22., 13., 24.]);
/// ```
#[track_caller]
pub fn binary(op: BinaryOp, a: &Tensor, b: &Tensor) -> Tensor {
    let out = broadcast_or_panic(op.name(), a.shape(), b.shape());
    let (a, b) = (lift(a, b.device()), lift(b, a.device()));
    same_device(op.name(), a.device(), b.device());
    match (a.storage(), b.storage()) {
        (Storage::Cpu(x), Storage::Cpu(y)) => {
            let data = cpu::binary(op, (a.shape_ref(), x), (b.shape_ref(), y), &out);
            Tensor::cpu(out, data)
        }
        #[cfg(feature = "gpu")]
        (Storage::Gpu(x), Storage::Gpu(y)) => {
            let data = crate::gpu::elementwise::binary(op, (a.shape(), x), (b.shape(), y), &out);
            Tensor::gpu(out, data)
        }
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}

/// `t` itself, or (PyTorch's rule for 0-d CPU tensors) a one-element CPU tensor copied to the
/// GPU that the other operand lives on, so that `&x * &scalar(2.0)` works on any device.
fn lift(t: &Tensor, other: crate::Device) -> std::borrow::Cow<'_, Tensor> {
    if t.len() == 1 && t.device() == crate::Device::Cpu && other != crate::Device::Cpu {
        std::borrow::Cow::Owned(t.to(&other))
    } else {
        std::borrow::Cow::Borrowed(t)
    }
}

/// `a = op(a, b)` in place, `b` broadcast to `a`'s shape. Panics (at the caller's line) if `b`
/// does not broadcast to exactly `a`'s shape.
///
/// ```
/// use nntensor::{binary_assign, BinaryOp, Tensor};
/// let mut a = Tensor::ones([2, 2]);
/// binary_assign(BinaryOp::Mul, &mut a, &Tensor::from_vec([2], vec![2., 3.]).unwrap());
/// assert_eq!(a.to_vec(), vec![2., 3., 2., 3.]);
/// ```
#[track_caller]
pub fn binary_assign(op: BinaryOp, a: &mut Tensor, b: &Tensor) {
    // On the CPU, equal shapes (a gradient added into its slot) need no broadcast worked out, nor
    // does a one-element `b` of no more axes than `a` (the loss's seed scaling a saved gradient),
    // which broadcasts to `a`'s shape as it is.
    if a.shape() == b.shape() || (b.len() == 1 && b.ndim() <= a.ndim()) {
        match (a.storage_mut(), b.storage()) {
            (Storage::Cpu(x), Storage::Cpu(y)) if x.len() == y.len() => {
                return cpu::binary_assign_same_shape(op, x, y)
            }
            (Storage::Cpu(x), Storage::Cpu(y)) => return cpu::binary_assign_scalar(op, x, y[0]),
            #[cfg(feature = "gpu")]
            _ => {}
        }
    }
    let out = broadcast_or_panic(op.name(), a.shape(), b.shape());
    assert!(
        out.dims() == a.shape(),
        "{} in place: {:?} does not broadcast to the target's shape {:?}",
        op.name(),
        b.shape(),
        a.shape()
    );
    let b = lift(b, a.device());
    same_device(op.name(), a.device(), b.device());
    let a_shape = a.shape_ref().clone();
    match (a.storage_mut(), b.storage()) {
        (Storage::Cpu(x), Storage::Cpu(y)) => {
            cpu::binary_assign(op, (&a_shape, x), (b.shape_ref(), y))
        }
        #[cfg(feature = "gpu")]
        (Storage::Gpu(x), Storage::Gpu(y)) => {
            *x = crate::gpu::elementwise::binary(op, (&a_shape, x), (b.shape(), y), &a_shape)
        }
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}

/// `a + b` with broadcasting.
///
/// ```
/// let a = nntensor::Tensor::ones([2]);
/// assert_eq!(nntensor::add(&a, &a).to_vec(), vec![2.0, 2.0]);
/// ```
#[track_caller]
pub fn add(a: &Tensor, b: &Tensor) -> Tensor {
    binary(BinaryOp::Add, a, b)
}

/// `a − b` with broadcasting.
///
/// ```
/// let a = nntensor::Tensor::ones([2]);
/// assert_eq!(nntensor::sub(&a, &a).to_vec(), vec![0.0, 0.0]);
/// ```
#[track_caller]
pub fn sub(a: &Tensor, b: &Tensor) -> Tensor {
    binary(BinaryOp::Sub, a, b)
}

/// `a · b` elementwise with broadcasting.
///
/// ```
/// let a = nntensor::Tensor::full([2], 3.0);
/// assert_eq!(nntensor::mul(&a, &a).to_vec(), vec![9.0, 9.0]);
/// ```
#[track_caller]
pub fn mul(a: &Tensor, b: &Tensor) -> Tensor {
    binary(BinaryOp::Mul, a, b)
}

/// `a / b` elementwise with broadcasting.
///
/// ```
/// let a = nntensor::Tensor::full([2], 3.0);
/// assert_eq!(nntensor::div(&a, &nntensor::scalar(2.0)).to_vec(), vec![1.5, 1.5]);
/// ```
#[track_caller]
pub fn div(a: &Tensor, b: &Tensor) -> Tensor {
    binary(BinaryOp::Div, a, b)
}

/// The elementwise larger of `a` and `b`, with broadcasting (NaN if either is NaN).
///
/// ```
/// let a = nntensor::Tensor::from_vec([2], vec![1., 5.]).unwrap();
/// let b = nntensor::Tensor::from_vec([2], vec![3., 2.]).unwrap();
/// assert_eq!(nntensor::maximum(&a, &b).to_vec(), vec![3., 5.]);
/// ```
#[track_caller]
pub fn maximum(a: &Tensor, b: &Tensor) -> Tensor {
    binary(BinaryOp::Maximum, a, b)
}

/// The elementwise smaller of `a` and `b`, with broadcasting (NaN if either is NaN).
///
/// ```
/// let a = nntensor::Tensor::from_vec([2], vec![1., 5.]).unwrap();
/// let b = nntensor::Tensor::from_vec([2], vec![3., 2.]).unwrap();
/// assert_eq!(nntensor::minimum(&a, &b).to_vec(), vec![1., 2.]);
/// ```
#[track_caller]
pub fn minimum(a: &Tensor, b: &Tensor) -> Tensor {
    binary(BinaryOp::Minimum, a, b)
}

/// `a` to the power `b` elementwise, with broadcasting (PyTorch's `pow` with a tensor exponent).
///
/// ```
/// let a = nntensor::Tensor::from_vec([2], vec![2., 9.]).unwrap();
/// let b = nntensor::Tensor::from_vec([2], vec![3., 0.5]).unwrap();
/// assert_eq!(nntensor::pow(&a, &b).to_vec(), vec![8., 3.]);
/// ```
#[track_caller]
pub fn pow(a: &Tensor, b: &Tensor) -> Tensor {
    binary(BinaryOp::Pow, a, b)
}

/// 1 where `a == b`, 0 elsewhere, with broadcasting: a mask for `where_cond` or `masked_fill`.
///
/// ```
/// let a = nntensor::Tensor::from_vec([2], vec![1., 2.]).unwrap();
/// let b = nntensor::Tensor::from_vec([2], vec![1., 3.]).unwrap();
/// assert_eq!(nntensor::eq(&a, &b).to_vec(), vec![1., 0.]);
/// ```
#[track_caller]
pub fn eq(a: &Tensor, b: &Tensor) -> Tensor {
    binary(BinaryOp::Eq, a, b)
}

/// 1 where `a != b`, 0 elsewhere, with broadcasting.
///
/// ```
/// let a = nntensor::Tensor::from_vec([2], vec![1., 2.]).unwrap();
/// let b = nntensor::Tensor::from_vec([2], vec![1., 3.]).unwrap();
/// assert_eq!(nntensor::ne(&a, &b).to_vec(), vec![0., 1.]);
/// ```
#[track_caller]
pub fn ne(a: &Tensor, b: &Tensor) -> Tensor {
    binary(BinaryOp::Ne, a, b)
}

/// 1 where `a < b`, 0 elsewhere, with broadcasting.
///
/// ```
/// let a = nntensor::Tensor::from_vec([2], vec![1., 3.]).unwrap();
/// let b = nntensor::Tensor::from_vec([2], vec![2., 2.]).unwrap();
/// assert_eq!(nntensor::lt(&a, &b).to_vec(), vec![1., 0.]);
/// ```
#[track_caller]
pub fn lt(a: &Tensor, b: &Tensor) -> Tensor {
    binary(BinaryOp::Lt, a, b)
}

/// 1 where `a <= b`, 0 elsewhere, with broadcasting.
///
/// ```
/// let a = nntensor::Tensor::from_vec([2], vec![2., 3.]).unwrap();
/// let b = nntensor::Tensor::from_vec([2], vec![2., 2.]).unwrap();
/// assert_eq!(nntensor::le(&a, &b).to_vec(), vec![1., 0.]);
/// ```
#[track_caller]
pub fn le(a: &Tensor, b: &Tensor) -> Tensor {
    binary(BinaryOp::Le, a, b)
}

/// 1 where `a > b`, 0 elsewhere, with broadcasting.
///
/// ```
/// let a = nntensor::Tensor::from_vec([2], vec![1., 3.]).unwrap();
/// let b = nntensor::Tensor::from_vec([2], vec![2., 2.]).unwrap();
/// assert_eq!(nntensor::gt(&a, &b).to_vec(), vec![0., 1.]);
/// ```
#[track_caller]
pub fn gt(a: &Tensor, b: &Tensor) -> Tensor {
    binary(BinaryOp::Gt, a, b)
}

/// 1 where `a >= b`, 0 elsewhere, with broadcasting.
///
/// ```
/// let a = nntensor::Tensor::from_vec([2], vec![2., 1.]).unwrap();
/// let b = nntensor::Tensor::from_vec([2], vec![2., 2.]).unwrap();
/// assert_eq!(nntensor::ge(&a, &b).to_vec(), vec![1., 0.]);
/// ```
#[track_caller]
pub fn ge(a: &Tensor, b: &Tensor) -> Tensor {
    binary(BinaryOp::Ge, a, b)
}

/// The gradients of `out = op(a, b)` for [`BinaryOp::Maximum`], [`BinaryOp::Minimum`] and
/// [`BinaryOp::Pow`], given `g = ∂loss/∂out` of the broadcast shape: `(∂/∂a, ∂/∂b)`, each of `g`'s
/// shape (reduce them with [`unbroadcast`]) and computed only if asked for. Ties of a maximum or
/// minimum split the gradient evenly, and `∂(aᵇ)/∂b` is 0 where `a = 0` and `b ≥ 0`, as in
/// PyTorch. Panics for other ops (their gradients are compositions: see `nnautograd`).
///
/// ```
/// use nntensor::{binary_backward, BinaryOp, Tensor};
/// let a = Tensor::from_vec([3], vec![1., 5., 2.]).unwrap();
/// let b = Tensor::from_vec([3], vec![3., 2., 2.]).unwrap();
/// let (ga, gb) = binary_backward(BinaryOp::Maximum, &Tensor::ones([3]), &a, &b, [true, true]);
/// assert_eq!(ga.unwrap().to_vec(), vec![0., 1., 0.5]);
/// assert_eq!(gb.unwrap().to_vec(), vec![1., 0., 0.5]);
/// ```
#[track_caller]
pub fn binary_backward(
    op: BinaryOp,
    g: &Tensor,
    a: &Tensor,
    b: &Tensor,
    [need_a, need_b]: [bool; 2],
) -> (Option<Tensor>, Option<Tensor>) {
    assert!(
        matches!(op, BinaryOp::Maximum | BinaryOp::Minimum | BinaryOp::Pow),
        "binary_backward: {} has no elementwise backward kernel",
        op.name()
    );
    let out = broadcast_or_panic(op.name(), a.shape(), b.shape());
    assert!(
        out.dims() == g.shape(),
        "{} backward: gradient {:?} does not match the broadcast shape {out:?}",
        op.name(),
        g.shape()
    );
    same_device(op.name(), a.device(), b.device());
    same_device(op.name(), a.device(), g.device());
    match (g.storage(), a.storage(), b.storage()) {
        #[cfg(feature = "gpu")]
        (Storage::Gpu(gs), Storage::Gpu(xs), Storage::Gpu(ys)) => {
            let side = |s: u32| {
                let d = crate::gpu::elementwise::binary_grad(
                    op,
                    s,
                    gs,
                    (a.shape(), xs),
                    (b.shape(), ys),
                    &out,
                );
                Tensor::gpu(out.clone(), d)
            };
            (need_a.then(|| side(0)), need_b.then(|| side(1)))
        }
        #[cfg(feature = "gpu")]
        (Storage::Gpu(_), _, _) | (_, Storage::Gpu(_), _) | (_, _, Storage::Gpu(_)) => {
            unreachable!("devices checked above")
        }
        (Storage::Cpu(gs), Storage::Cpu(xs), Storage::Cpu(ys)) => {
            let (ga, gb) = cpu::binary_backward(
                op,
                (&out, gs),
                (a.shape_ref(), xs),
                (b.shape_ref(), ys),
                [need_a, need_b],
            );
            (
                ga.map(|d| Tensor::cpu(out.clone(), d)),
                gb.map(|d| Tensor::cpu(out.clone(), d)),
            )
        }
    }
}

/// `on_true` where `cond` is non-zero, `on_false` elsewhere, all three broadcast together
/// (PyTorch's `torch.where(cond, on_true, on_false)`). Panics (at the caller's line) naming the
/// shapes if they do not broadcast.
///
/// ```
/// use nntensor::{where_cond, scalar, Tensor};
/// let x = Tensor::from_vec([3], vec![-1., 2., -3.]).unwrap();
/// let positive = nntensor::gt(&x, &scalar(0.0));
/// assert_eq!(where_cond(&positive, &x, &scalar(0.0)).to_vec(), vec![0., 2., 0.]);
/// ```
#[doc(alias = "where")]
#[track_caller]
pub fn where_cond(cond: &Tensor, on_true: &Tensor, on_false: &Tensor) -> Tensor {
    let values = broadcast_or_panic("where_cond", on_true.shape(), on_false.shape());
    let out = broadcast_or_panic("where_cond", cond.shape(), &values);
    let (on_true, on_false) = (lift(on_true, cond.device()), lift(on_false, cond.device()));
    same_device("where_cond", cond.device(), on_true.device());
    same_device("where_cond", cond.device(), on_false.device());
    match (cond.storage(), on_true.storage(), on_false.storage()) {
        #[cfg(feature = "gpu")]
        (Storage::Gpu(c), Storage::Gpu(t), Storage::Gpu(f)) => {
            let data = crate::gpu::elementwise::where_cond(
                (cond.shape(), c),
                (on_true.shape(), t),
                (on_false.shape(), f),
                &out,
            );
            Tensor::gpu(out, data)
        }
        #[cfg(feature = "gpu")]
        (Storage::Gpu(_), _, _) | (_, Storage::Gpu(_), _) | (_, _, Storage::Gpu(_)) => {
            unreachable!("devices checked above")
        }
        (Storage::Cpu(c), Storage::Cpu(t), Storage::Cpu(f)) => {
            let data = cpu::where_cond(
                (cond.shape_ref(), c),
                (on_true.shape_ref(), t),
                (on_false.shape_ref(), f),
                &out,
            );
            Tensor::cpu(out, data)
        }
    }
}

/// `t` with `value` wherever `mask` is non-zero (`mask` broadcasts to `t`'s shape; PyTorch's
/// `masked_fill`).
///
/// ```
/// let t = nntensor::Tensor::from_vec([3], vec![1., 2., 3.]).unwrap();
/// let mask = nntensor::Tensor::from_vec([3], vec![0., 1., 0.]).unwrap();
/// assert_eq!(nntensor::masked_fill(&t, &mask, -1.0).to_vec(), vec![1., -1., 3.]);
/// ```
#[track_caller]
pub fn masked_fill(t: &Tensor, mask: &Tensor, value: f32) -> Tensor {
    let out = where_cond(mask, &crate::scalar(value), t);
    assert!(
        out.shape() == t.shape(),
        "masked_fill: mask {:?} does not broadcast to the tensor's shape {:?}",
        mask.shape(),
        t.shape()
    );
    out
}

/// Sums `grad` down to `shape`: the inverse of broadcasting `shape` up to `grad.shape()`.
///
/// Leading axes that broadcasting added are summed away; axes where `shape` has size 1 are summed
/// and kept. Panics if `shape` does not broadcast to `grad`'s shape.
///
/// ```
/// use nntensor::{unbroadcast, Tensor};
/// let g = Tensor::ones([3, 2]);
/// assert_eq!(unbroadcast(g.clone(), &[2]).to_vec(), vec![3., 3.]);
/// assert_eq!(unbroadcast(g, &[3, 1]).shape(), &[3, 1]);
/// ```
#[track_caller]
pub fn unbroadcast(grad: Tensor, shape: &[usize]) -> Tensor {
    if grad.shape() == shape {
        return grad;
    }
    let extra = grad.ndim().checked_sub(shape.len());
    let valid = extra.is_some_and(|extra| {
        shape
            .iter()
            .enumerate()
            .all(|(i, &s)| s == 1 || s == grad.shape()[i + extra])
    });
    if !valid {
        panic!(
            "unbroadcast: shape {shape:?} does not broadcast to gradient shape {:?}",
            grad.shape()
        );
    }
    match grad.storage() {
        Storage::Cpu(data) => {
            let out = crate::cpu::reduce::unbroadcast(grad.shape_ref(), data, shape);
            Tensor::cpu(Shape::from(shape), out)
        }
        #[cfg(feature = "gpu")]
        Storage::Gpu(data) => {
            let extra = grad.ndim() - shape.len();
            let axes: Vec<usize> = (0..grad.ndim())
                .filter(|&i| i < extra || (shape[i - extra] == 1 && grad.shape()[i] != 1))
                .collect();
            let out = crate::gpu::reduce::reduce(Ok(crate::Reduce::Sum), grad.shape(), data, &axes);
            Tensor::gpu(Shape::from(shape), out)
        }
    }
}

/// `t` repeated along new leading axes and along its size-1 axes to `shape` (NumPy's
/// `broadcast_to`, as a new tensor). Panics if `t` does not broadcast to `shape`.
///
/// ```
/// use nntensor::{broadcast_to, Tensor};
/// let row = Tensor::from_vec([1, 2], vec![1., 2.]).unwrap();
/// assert_eq!(broadcast_to(&row, &[2, 2]).to_vec(), vec![1., 2., 1., 2.]);
/// ```
#[track_caller]
pub fn broadcast_to(t: &Tensor, shape: &[usize]) -> Tensor {
    let out = broadcast_or_panic("broadcast_to", t.shape(), shape);
    assert!(
        out.dims() == shape,
        "broadcast_to: {:?} does not broadcast to {shape:?}",
        t.shape()
    );
    match t.storage() {
        Storage::Cpu(data) if data.len() == 1 => Tensor::full(out, data[0]),
        Storage::Cpu(data) => {
            let view = crate::cpu::view(t.shape_ref(), data);
            let wide = view.broadcast(out.ix()).expect("checked above");
            Tensor::cpu(out, wide.iter().copied().collect())
        }
        #[cfg(feature = "gpu")]
        Storage::Gpu(data) => {
            let view = crate::gpu::elementwise::View {
                offset: 0,
                strides: crate::gpu::params::broadcast_strides(t.shape(), &out),
            };
            Tensor::gpu(
                out.clone(),
                crate::gpu::elementwise::gather_view(data, &view, &out),
            )
        }
    }
}

impl Add for &Tensor {
    type Output = Tensor;
    #[track_caller]
    fn add(self, other: &Tensor) -> Tensor {
        binary(BinaryOp::Add, self, other)
    }
}

impl Sub for &Tensor {
    type Output = Tensor;
    #[track_caller]
    fn sub(self, other: &Tensor) -> Tensor {
        binary(BinaryOp::Sub, self, other)
    }
}

impl Mul for &Tensor {
    type Output = Tensor;
    #[track_caller]
    fn mul(self, other: &Tensor) -> Tensor {
        binary(BinaryOp::Mul, self, other)
    }
}

impl Div for &Tensor {
    type Output = Tensor;
    #[track_caller]
    fn div(self, other: &Tensor) -> Tensor {
        binary(BinaryOp::Div, self, other)
    }
}

impl AddAssign<&Tensor> for Tensor {
    /// `self += other`, `other` broadcast to `self`'s shape.
    #[track_caller]
    fn add_assign(&mut self, other: &Tensor) {
        binary_assign(BinaryOp::Add, self, other)
    }
}

impl SubAssign<&Tensor> for Tensor {
    #[track_caller]
    fn sub_assign(&mut self, other: &Tensor) {
        binary_assign(BinaryOp::Sub, self, other)
    }
}

impl MulAssign<&Tensor> for Tensor {
    #[track_caller]
    fn mul_assign(&mut self, other: &Tensor) {
        binary_assign(BinaryOp::Mul, self, other)
    }
}

impl DivAssign<&Tensor> for Tensor {
    #[track_caller]
    fn div_assign(&mut self, other: &Tensor) {
        binary_assign(BinaryOp::Div, self, other)
    }
}

impl Neg for Tensor {
    type Output = Tensor;
    /// `-self`, in this tensor's buffer.
    fn neg(self) -> Tensor {
        unary_into(UnaryOp::Neg, self)
    }
}

impl Add<f32> for Tensor {
    type Output = Tensor;
    fn add(self, s: f32) -> Tensor {
        unary_into(UnaryOp::AddScalar(s), self)
    }
}

impl Mul<f32> for Tensor {
    type Output = Tensor;
    /// `self · s`, in this tensor's buffer.
    fn mul(self, s: f32) -> Tensor {
        unary_into(UnaryOp::MulScalar(s), self)
    }
}

impl Div<f32> for Tensor {
    type Output = Tensor;
    /// `self / s`, in this tensor's buffer.
    fn div(self, s: f32) -> Tensor {
        unary_into(UnaryOp::DivScalar(s), self)
    }
}

impl Neg for &Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        crate::ops::unary::unary(UnaryOp::Neg, self)
    }
}

impl Add<f32> for &Tensor {
    type Output = Tensor;
    fn add(self, s: f32) -> Tensor {
        crate::ops::unary::unary(UnaryOp::AddScalar(s), self)
    }
}

impl Mul<f32> for &Tensor {
    type Output = Tensor;
    fn mul(self, s: f32) -> Tensor {
        crate::ops::unary::unary(UnaryOp::MulScalar(s), self)
    }
}

impl Div<f32> for &Tensor {
    type Output = Tensor;
    fn div(self, s: f32) -> Tensor {
        crate::ops::unary::unary(UnaryOp::DivScalar(s), self)
    }
}

impl MulAssign<f32> for Tensor {
    fn mul_assign(&mut self, s: f32) {
        let t = std::mem::replace(self, Tensor::zeros([0]));
        *self = unary_into(UnaryOp::MulScalar(s), t);
    }
}

impl DivAssign<f32> for Tensor {
    fn div_assign(&mut self, s: f32) {
        let t = std::mem::replace(self, Tensor::zeros([0]));
        *self = unary_into(UnaryOp::DivScalar(s), t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rng;
    use proptest::prelude::*;

    fn naive_unbroadcast(grad: &Tensor, shape: &[usize]) -> Tensor {
        // Sum each gradient element into the input element it was broadcast from.
        let grad = grad.to_ndarray();
        let mut out = ndarray::ArrayD::<f32>::zeros(shape);
        let extra = grad.ndim() - shape.len();
        for (idx, &g) in grad.indexed_iter() {
            let src: Vec<usize> = shape
                .iter()
                .enumerate()
                .map(|(i, &s)| if s == 1 { 0 } else { idx[i + extra] })
                .collect();
            out[ndarray::IxDyn(&src)] += g;
        }
        Tensor::from(out)
    }

    fn random(shape: &[usize], rng: &mut Rng) -> Tensor {
        Tensor::from_fn(shape, || rng.uniform(-1.0, 1.0))
    }

    /// An output shape and an input shape that broadcasts to it.
    fn shapes() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
        prop::collection::vec(1usize..4, 0..4)
            .prop_flat_map(|full| {
                let n = full.len();
                (Just(full), 0..=n, prop::collection::vec(any::<bool>(), n))
            })
            .prop_map(|(full, keep, ones)| {
                let start = full.len() - keep;
                let input: Vec<usize> = (start..full.len())
                    .map(|i| if ones[i] { 1 } else { full[i] })
                    .collect();
                (full, input)
            })
    }

    proptest! {
        #[test]
        fn unbroadcast_matches_naive_sum((full, input) in shapes(), seed in any::<u64>()) {
            let mut rng = Rng::seed_from(seed);
            let grad = random(&full, &mut rng);
            let fast = unbroadcast(grad.clone(), &input);
            let slow = naive_unbroadcast(&grad, &input);
            prop_assert_eq!(fast.shape(), &input[..]);
            for (x, y) in fast.to_vec().iter().zip(slow.to_vec()) {
                prop_assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()));
            }
        }

        /// In place, every input that broadcasts to the target (one-element inputs of any rank
        /// up to the target's included, the loss seed's fast path) gives the out-of-place bits.
        #[test]
        fn in_place_matches_out_of_place((full, input) in shapes(), seed in any::<u64>()) {
            let mut rng = Rng::seed_from(seed);
            let (a, b) = (random(&full, &mut rng), random(&input, &mut rng));
            for op in [BinaryOp::Add, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Maximum] {
                let mut in_place = a.clone();
                binary_assign(op, &mut in_place, &b);
                prop_assert_eq!(in_place, binary(op, &a, &b));
            }
        }

        #[test]
        fn broadcast_shape_is_symmetric_and_absorbs_input((full, input) in shapes()) {
            prop_assert_eq!(broadcast_shape(&full, &input), Some(full.clone()));
            prop_assert_eq!(broadcast_shape(&input, &full), Some(full.clone()));
        }

        #[test]
        fn binary_matches_explicit_broadcast((full, input) in shapes(), seed in any::<u64>()) {
            let mut rng = Rng::seed_from(seed);
            let a = random(&full, &mut rng);
            let b = random(&input, &mut rng);
            let got = sub(&b, &a);
            let b_full = broadcast_to(&b, &full);
            for ((g, x), y) in got.to_vec().iter().zip(b_full.to_vec()).zip(a.to_vec()) {
                prop_assert_eq!(*g, x - y);
            }
            let mut in_place = a.clone();
            in_place -= &b;
            prop_assert_eq!(in_place, &a - &b_full);
        }
    }

    #[test]
    #[should_panic(expected = "add: shapes [2, 3] and [4] do not broadcast")]
    fn incompatible_shapes_panic_with_both_shapes() {
        let _ = &Tensor::zeros([2, 3]) + &Tensor::zeros([4]);
    }

    #[test]
    #[should_panic(expected = "add in place: [2, 3] does not broadcast to the target's shape [3]")]
    fn in_place_ops_keep_the_target_shape() {
        let mut a = Tensor::zeros([3]);
        a += &Tensor::zeros([2, 3]);
    }

    #[test]
    #[should_panic(expected = "does not broadcast to the target's shape")]
    fn in_place_refuses_a_one_element_input_of_more_axes() {
        // [1, 1] with [3] broadcasts to [1, 3], which is not the target's shape.
        let mut a = Tensor::ones([3]);
        binary_assign(BinaryOp::Mul, &mut a, &Tensor::ones([1, 1]));
    }
}
