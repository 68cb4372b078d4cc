//! Matrix products and their gradients.

use crate::cpu;
use crate::device::same_device;
use crate::{Storage, Tensor};

/// `a · b` for 2-D tensors, or a batched product for 3-D ones.
///
/// Shapes: `(m, k)·(k, n) → (m, n)`; `(b, m, k)·(b, k, n) → (b, m, n)`; `(b, m, k)·(k, n) →
/// (b, m, n)`. Panics (at the caller's line) naming both shapes if they do not fit. On the CPU,
/// large products run on rayon's threads (see [`cpu`](crate::cpu)); results are bit-identical
/// for any thread count.
///
/// ```
/// use nntensor::{matmul, Tensor};
/// let a = Tensor::from_vec([2, 2], vec![1., 2., 3., 4.]).unwrap();
/// let i = Tensor::from_vec([2, 2], vec![1., 0., 0., 1.]).unwrap();
/// assert_eq!(matmul(&a, &i), a);
/// ```
#[track_caller]
pub fn matmul(a: &Tensor, b: &Tensor) -> Tensor {
    check_matmul(a.shape(), b.shape());
    same_device("matmul", a.device(), b.device());
    match (a.storage(), b.storage()) {
        (Storage::Cpu(x), Storage::Cpu(y)) => {
            let (shape, data) = cpu::matmul(a.shape_ref(), x, b.shape_ref(), y);
            Tensor::cpu(shape, data)
        }
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
