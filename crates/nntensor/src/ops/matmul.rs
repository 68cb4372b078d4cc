//! Matrix products and their gradients.

use crate::cpu;
use crate::device::same_device;
use crate::{Storage, Tensor};

/// The matrix product under NumPy's `matmul` rules: `(m, k)·(k, n) → (m, n)`; batched
/// `(…, m, k)·(…, k, n) → (…, m, n)` with the batch axes broadcast (`(b, m, k)·(k, n)` folds the
/// batch into the rows, with no copy); a 1-D left operand is a row vector and a 1-D right
/// operand a column vector, whose axis is removed from the result. Panics (at the caller's line)
/// naming both shapes if they do not fit. On the CPU, large products run on rayon's threads (see
/// [`cpu`](crate::cpu)); results are bit-identical for any thread count.
///
/// ```
/// use nntensor::{matmul, Tensor};
/// let a = Tensor::from_vec([2, 2], vec![1., 2., 3., 4.]).unwrap();
/// let i = Tensor::from_vec([2, 2], vec![1., 0., 0., 1.]).unwrap();
/// assert_eq!(matmul(&a, &i), a);
/// let v = Tensor::from_vec([2], vec![1., 1.]).unwrap();
/// assert_eq!(matmul(&a, &v).to_vec(), vec![3., 7.]); // matrix · vector
/// assert_eq!(matmul(&v, &v).item(), 2.0);             // dot product
/// let batch = Tensor::ones([4, 1, 2, 3]);
/// assert_eq!(matmul(&batch, &Tensor::ones([5, 3, 6])).shape(), &[4, 5, 2, 6]);
/// ```
#[track_caller]
pub fn matmul(a: &Tensor, b: &Tensor) -> Tensor {
    same_device("matmul", a.device(), b.device());
    if is_direct(a.shape(), b.shape()) {
        check_matmul(a.shape(), b.shape());
        return match (a.storage(), b.storage()) {
            (Storage::Cpu(x), Storage::Cpu(y)) => {
                let (shape, data) = cpu::matmul(a.shape_ref(), x, b.shape_ref(), y);
                Tensor::cpu(shape, data)
            }
            #[cfg(feature = "gpu")]
            (Storage::Gpu(x), Storage::Gpu(y)) => {
                let shape = check_matmul(a.shape(), b.shape());
                let data = crate::gpu::linalg::matmul_direct(a.shape(), x, b.shape(), y);
                Tensor::gpu(crate::Shape::from(shape), data)
            }
            #[cfg(feature = "gpu")]
            _ => unreachable!("devices checked above"),
        };
    }
    let plan = BroadcastMatmul::new(a.shape(), b.shape());
    // A 1-D operand first takes its matrix shape (a row on the left, a column on the right).
    let as_matrix = |t: &Tensor, full: &[usize]| match t.ndim() {
        1 => t.clone().into_reshaped(&full[full.len() - 2..]),
        _ => t.clone(),
    };
    let a3 =
        crate::broadcast_to(&as_matrix(a, &plan.a_full), &plan.a_full).into_reshaped(plan.a3());
    let b3 =
        crate::broadcast_to(&as_matrix(b, &plan.b_full), &plan.b_full).into_reshaped(plan.b3());
    matmul(&a3, &b3).into_reshaped(plan.out.as_slice())
}

/// Whether the ranks take the direct kernels: 2-D·2-D, 3-D·3-D with one batch size, 3-D·2-D.
pub fn is_direct(a: &[usize], b: &[usize]) -> bool {
    matches!((a.len(), b.len()), (2, 2) | (3, 2)) || (a.len() == 3 && b.len() == 3 && a[0] == b[0])
}

/// How a NumPy-rules product runs as one batched product: both operands broadcast to a common
/// batch (`a_full`, `b_full`, each `batch + [rows, cols]`), flattened to `(B, m, k)` and
/// `(B, k, n)`, and the result shaped `out` (without the axes of 1-D operands).
#[derive(Debug, Clone, PartialEq)]
pub struct BroadcastMatmul {
    /// The left operand's shape after lifting a 1-D operand and broadcasting the batch.
    pub a_full: Vec<usize>,
    /// The right operand's, likewise.
    pub b_full: Vec<usize>,
    /// The result's shape.
    pub out: Vec<usize>,
    /// The broadcast batch size (the product of the batch axes).
    pub batch: usize,
}

impl BroadcastMatmul {
    /// The plan for operands of shapes `a` and `b`. Panics (at the caller's line) naming both
    /// shapes if they do not fit.
    #[track_caller]
    pub fn new(a: &[usize], b: &[usize]) -> BroadcastMatmul {
        assert!(
            !a.is_empty() && !b.is_empty(),
            "matmul: operands need at least one axis, got shapes {a:?} and {b:?}"
        );
        let a2: Vec<usize> = if a.len() == 1 {
            vec![1, a[0]]
        } else {
            a.to_vec()
        };
        let b2: Vec<usize> = if b.len() == 1 {
            vec![b[0], 1]
        } else {
            b.to_vec()
        };
        let (m, k) = (a2[a2.len() - 2], a2[a2.len() - 1]);
        let (k2, n) = (b2[b2.len() - 2], b2[b2.len() - 1]);
        assert!(
            k == k2,
            "matmul: inner dimensions differ: {a:?} · {b:?} needs {k} == {k2}"
        );
        let Some(batch) = crate::broadcast_shape(&a2[..a2.len() - 2], &b2[..b2.len() - 2]) else {
            panic!("matmul: batch axes of {a:?} and {b:?} do not broadcast");
        };
        let mut out = batch.clone();
        if a.len() > 1 {
            out.push(m);
        }
        if b.len() > 1 {
            out.push(n);
        }
        let with = |rows: usize, cols: usize| {
            let mut s = batch.clone();
            s.extend([rows, cols]);
            s
        };
        BroadcastMatmul {
            a_full: with(m, k),
            b_full: with(k, n),
            out,
            batch: batch.iter().product(),
        }
    }

    /// `(B, m, k)`.
    pub fn a3(&self) -> [usize; 3] {
        let r = self.a_full.len();
        [self.batch, self.a_full[r - 2], self.a_full[r - 1]]
    }

    /// `(B, k, n)`.
    pub fn b3(&self) -> [usize; 3] {
        let r = self.b_full.len();
        [self.batch, self.b_full[r - 2], self.b_full[r - 1]]
    }
}

/// The gradients of `out = matmul(a, b)` given `g = ∂loss/∂out`: `(g·bᵀ, aᵀ·g)`, each computed
/// only if asked for (on the CPU, on transposed views: no copy of `a` or `b`).
///
/// ```
/// use nntensor::{matmul_backward, Tensor};
/// let a = Tensor::ones([2, 3]);
/// let b = Tensor::ones([3, 4]);
/// let (da, db) = matmul_backward(&a, &b, &Tensor::ones([2, 4]), true, false);
/// assert_eq!(da.unwrap().to_vec(), vec![4.0; 6]);
/// assert!(db.is_none());
/// ```
#[track_caller]
pub fn matmul_backward(
    a: &Tensor,
    b: &Tensor,
    g: &Tensor,
    need_a: bool,
    need_b: bool,
) -> (Option<Tensor>, Option<Tensor>) {
    let out = check_matmul(a.shape(), b.shape());
    assert!(
        g.shape() == out.as_slice(),
        "matmul backward: gradient {:?} does not match the product's shape {out:?}",
        g.shape()
    );
    same_device("matmul backward", a.device(), b.device());
    same_device("matmul backward", a.device(), g.device());
    match (a.storage(), b.storage(), g.storage()) {
        (Storage::Cpu(x), Storage::Cpu(y), Storage::Cpu(gs)) => {
            let (da, db) = cpu::matmul_backward(
                (a.shape_ref(), x),
                (b.shape_ref(), y),
                (g.shape_ref(), gs),
                need_a,
                need_b,
            );
            (
                da.map(|d| Tensor::cpu(a.shape_ref().clone(), d)),
                db.map(|d| Tensor::cpu(b.shape_ref().clone(), d)),
            )
        }
        #[cfg(feature = "gpu")]
        (Storage::Gpu(x), Storage::Gpu(y), Storage::Gpu(gs)) => {
            let (da, db) = crate::gpu::linalg::matmul_backward_direct(
                (a.shape(), x),
                (b.shape(), y),
                gs,
                [need_a, need_b],
            );
            (
                da.map(|d| Tensor::gpu(a.shape_ref().clone(), d)),
                db.map(|d| Tensor::gpu(b.shape_ref().clone(), d)),
            )
        }
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}

/// The product's shape, or a panic (at the caller's line) naming both operand shapes.
#[track_caller]
fn check_matmul(a: &[usize], b: &[usize]) -> Vec<usize> {
    let (inner_a, inner_b, out) = match (a.len(), b.len()) {
        (2, 2) => (a[1], b[0], vec![a[0], b[1]]),
        (3, 3) => {
            assert!(
                a[0] == b[0],
                "matmul: batch sizes differ: {a:?} · {b:?} needs {} == {}",
                a[0],
                b[0]
            );
            (a[2], b[1], vec![a[0], a[1], b[2]])
        }
        (3, 2) => (a[2], b[0], vec![a[0], a[1], b[1]]),
        _ => panic!(
            "matmul: expected 2-D·2-D, 3-D·3-D or 3-D·2-D operands, got shapes {a:?} and {b:?}"
        ),
    };
    assert!(
        inner_a == inner_b,
        "matmul: inner dimensions differ: {a:?} · {b:?} needs {inner_a} == {inner_b}"
    );
    out
}
