//! The fused ops of neural networks: the dense layer `x·w + b` and its gradients, and losses
//! that return their gradient with their value (softmax cross-entropy, squared error, binary
//! cross-entropy on logits), so autograd records each as one node.

use crate::cpu::nn as cpu;
use crate::device::same_device;
use crate::{scalar, Shape, Storage, Tensor};

/// A loss value (a 0-dimensional tensor) and, when asked for, its gradient with respect to the
/// loss's input.
pub type LossAndGrad = (Tensor, Option<Tensor>);

/// Checks `linear`'s shapes; returns `(n, in, out)`.
#[track_caller]
fn linear_dims(x: &Tensor, w: &Tensor) -> (usize, usize, usize) {
    let (&[n, in_features], &[w_in, out_features]) = (x.shape(), w.shape()) else {
        panic!(
            "linear: input {:?} and weight {:?} must both be 2-D: (batch, in) and (in, out)",
            x.shape(),
            w.shape()
        );
    };
    assert!(
        in_features == w_in,
        "linear: input {:?} has {in_features} features but the weight {:?} expects {w_in}",
        x.shape(),
        w.shape()
    );
    (n, in_features, out_features)
}

/// The dense layer `x · w + b` for `x` of shape `(n, in)`, `w` of `(in, out)` (Keras's `Dense`
/// kernel layout) and `b` of `(out,)`: one GEMM into an output pre-filled with the bias.
///
/// ```
/// use nntensor::{linear, Tensor};
/// let y = linear(&Tensor::ones([4, 3]), &Tensor::ones([3, 2]), Some(&Tensor::full([2], 0.5)));
/// assert_eq!(y.shape(), &[4, 2]);
/// assert!(y.to_vec().iter().all(|&v| v == 3.5));
/// ```
#[track_caller]
pub fn linear(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Tensor {
    let (n, in_features, out_features) = linear_dims(x, w);
    if let Some(b) = b {
        assert!(
            b.shape() == [out_features],
            "linear: bias {:?} must have shape ({out_features},) for weight {:?}",
            b.shape(),
            w.shape()
        );
        same_device("linear", x.device(), b.device());
    }
    same_device("linear", x.device(), w.device());
    let out = Shape::from([n, out_features]);
    match (x.storage(), w.storage(), b.map(Tensor::storage)) {
        (Storage::Cpu(xs), Storage::Cpu(ws), None) => Tensor::cpu(
            out,
            cpu::linear((n, in_features, xs), (out_features, ws), None),
        ),
        (Storage::Cpu(xs), Storage::Cpu(ws), Some(Storage::Cpu(bs))) => Tensor::cpu(
            out,
            cpu::linear((n, in_features, xs), (out_features, ws), Some(bs)),
        ),
        #[cfg(feature = "gpu")]
        (Storage::Gpu(xs), Storage::Gpu(ws), bias) => {
            let bias = bias.map(|b| match b {
                Storage::Gpu(b) => b,
                Storage::Cpu(_) => unreachable!("devices checked above"),
            });
            let dims = (n, in_features, out_features);
            Tensor::gpu(out, crate::gpu::linalg::linear(xs, ws, bias, dims))
        }
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}

/// The gradients of [`linear`] given `g = ∂loss/∂out` of shape `(n, out)`: `[dx, dw, db]` =
/// `[g·wᵀ, xᵀ·g, Σ_rows g]`, each computed only where `need` says so.
///
/// ```
/// use nntensor::{linear_backward, Tensor};
/// let (x, w) = (Tensor::ones([4, 3]), Tensor::ones([3, 2]));
/// let [dx, dw, db] = linear_backward(&x, &w, &Tensor::ones([4, 2]), [false, true, true]);
/// assert!(dx.is_none());
/// assert_eq!(dw.unwrap().to_vec(), vec![4.0; 6]);
/// assert_eq!(db.unwrap().to_vec(), vec![4.0, 4.0]);
/// ```
#[track_caller]
pub fn linear_backward(x: &Tensor, w: &Tensor, g: &Tensor, need: [bool; 3]) -> [Option<Tensor>; 3] {
    let (n, in_features, out_features) = linear_dims(x, w);
    assert!(
        g.shape() == [n, out_features],
        "linear backward: gradient {:?} does not match the output ({n}, {out_features})",
        g.shape()
    );
    same_device("linear backward", x.device(), w.device());
    same_device("linear backward", x.device(), g.device());
    match (x.storage(), w.storage(), g.storage()) {
        (Storage::Cpu(xs), Storage::Cpu(ws), Storage::Cpu(gs)) => {
            let [dx, dw, db] =
                cpu::linear_backward((n, in_features, xs), (out_features, ws), gs, need);
            [
                dx.map(|d| Tensor::cpu(x.shape_ref().clone(), d)),
                dw.map(|d| Tensor::cpu(w.shape_ref().clone(), d)),
                db.map(|d| Tensor::cpu(Shape::from([out_features]), d)),
            ]
        }
        #[cfg(feature = "gpu")]
        (Storage::Gpu(xs), Storage::Gpu(ws), Storage::Gpu(gs)) => {
            let dims = (n, in_features, out_features);
            let [dx, dw, db] = crate::gpu::linalg::linear_backward(xs, ws, gs, dims, need);
            [
                dx.map(|d| Tensor::gpu(x.shape_ref().clone(), d)),
                dw.map(|d| Tensor::gpu(w.shape_ref().clone(), d)),
                db.map(|d| Tensor::gpu(Shape::from([out_features]), d)),
            ]
        }
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}

/// Mean softmax cross-entropy of logits `(n, classes)` against target distributions of the same
/// shape (one-hot rows or probabilities): `−Σ targets · log_softmax(logits) / n`, stable for any
/// finite logits, and (if `want_grad`) its gradient `(softmax − targets) / n`.
///
/// ```
/// use nntensor::{one_hot, softmax_cross_entropy, Tensor};
/// let (loss, grad) = softmax_cross_entropy(&Tensor::zeros([1, 4]), &one_hot(&[2], 4).unwrap(), true);
/// assert!((loss.item() - 4f32.ln()).abs() < 1e-6);
/// assert_eq!(grad.unwrap().to_vec(), vec![0.25, 0.25, -0.75, 0.25]);
/// ```
#[track_caller]
pub fn softmax_cross_entropy(logits: &Tensor, targets: &Tensor, want_grad: bool) -> LossAndGrad {
    assert!(
        logits.ndim() == 2 && logits.shape() == targets.shape(),
        "softmax_cross_entropy: logits {:?} and targets {:?} must both be (batch, classes)",
        logits.shape(),
        targets.shape()
    );
    same_device("softmax_cross_entropy", logits.device(), targets.device());
    let (n, classes) = (logits.shape()[0], logits.shape()[1]);
    match (logits.storage(), targets.storage()) {
        (Storage::Cpu(x), Storage::Cpu(t)) => {
            let (loss, grad) =
                cpu::softmax_cross_entropy((n, classes, x), want_grad, |row, visit| {
                    for (c, &weight) in t[row * classes..(row + 1) * classes].iter().enumerate() {
                        visit(c, weight);
                    }
                });
            (
                scalar(loss),
                grad.map(|d| Tensor::cpu(logits.shape_ref().clone(), d)),
            )
        }
        #[cfg(feature = "gpu")]
        (Storage::Gpu(x), Storage::Gpu(t)) => {
            let (loss, grad) =
                crate::gpu::linalg::softmax_cross_entropy(x, t, (n, classes), false, want_grad);
            (
                Tensor::gpu(Shape::from([]), loss),
                grad.map(|d| Tensor::gpu(logits.shape_ref().clone(), d)),
            )
        }
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}

/// Mean softmax cross-entropy of logits `(n, classes)` against class indices (`n` labels): the
/// same as [`softmax_cross_entropy`] with one-hot targets, without building them. Panics (at the
/// caller's line) if a label is not below `classes`.
///
/// ```
/// use nntensor::{sparse_softmax_cross_entropy, Tensor};
/// let (loss, grad) = sparse_softmax_cross_entropy(&Tensor::zeros([1, 2]), &[1], false);
/// assert!((loss.item() - 2f32.ln()).abs() < 1e-6);
/// assert!(grad.is_none());
/// ```
#[track_caller]
pub fn sparse_softmax_cross_entropy(
    logits: &Tensor,
    labels: &[usize],
    want_grad: bool,
) -> LossAndGrad {
    assert!(
        logits.ndim() == 2 && logits.shape()[0] == labels.len(),
        "sparse_softmax_cross_entropy: logits {:?} need shape (batch, classes) with batch = {} labels",
        logits.shape(),
        labels.len()
    );
    let (n, classes) = (logits.shape()[0], logits.shape()[1]);
    if let Some(&bad) = labels.iter().find(|&&l| l >= classes) {
        panic!("sparse_softmax_cross_entropy: label {bad} is out of range for {classes} classes");
    }
    match logits.storage() {
        Storage::Cpu(x) => {
            let (loss, grad) =
                cpu::softmax_cross_entropy((n, classes, x), want_grad, |row, visit| {
                    visit(labels[row], 1.0)
                });
            (
                scalar(loss),
                grad.map(|d| Tensor::cpu(logits.shape_ref().clone(), d)),
            )
        }
        #[cfg(feature = "gpu")]
        Storage::Gpu(x) => {
            let words: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
            let labels = crate::gpu::GpuBuffer::upload_u32(&x.ctx, &words);
            let (loss, grad) = crate::gpu::linalg::softmax_cross_entropy(
                x,
                &labels,
                (n, classes),
                true,
                want_grad,
            );
            (
                Tensor::gpu(Shape::from([]), loss),
                grad.map(|d| Tensor::gpu(logits.shape_ref().clone(), d)),
            )
        }
    }
}

/// `scale · Σ (x − target)²` (the squared-error loss; `scale = 1/n` gives the mean) in one pass,
/// and (if `want_grad`) its gradient `2·scale·(x − target)`.
///
/// ```
/// use nntensor::{squared_error, Tensor};
/// let x = Tensor::from_vec([2], vec![1.0, 3.0]).unwrap();
/// let t = Tensor::from_vec([2], vec![0.0, 1.0]).unwrap();
/// let (loss, grad) = squared_error(&x, &t, 0.5, true);
/// assert_eq!(loss.item(), 2.5);
/// assert_eq!(grad.unwrap().to_vec(), vec![1.0, 2.0]);
/// ```
#[track_caller]
pub fn squared_error(x: &Tensor, target: &Tensor, scale: f32, want_grad: bool) -> LossAndGrad {
    elementwise_loss(
        "squared_error",
        x,
        target,
        want_grad,
        (0, scale),
        |x, t, d| cpu::squared_error(x, t, d, scale),
    )
}

/// `scale · Σ softplus(x) − target·x`, binary cross-entropy on logits `x` (with `scale = 1/n`,
/// PyTorch's `BCEWithLogitsLoss`) in one pass, finite for any logit, and (if `want_grad`) its
/// gradient `scale·(sigmoid(x) − target)`.
///
/// ```
/// use nntensor::{binary_cross_entropy_with_logits, Tensor};
/// let (loss, grad) =
///     binary_cross_entropy_with_logits(&Tensor::zeros([1]), &Tensor::ones([1]), 1.0, true);
/// assert!((loss.item() - 2f32.ln()).abs() < 1e-6);
/// assert_eq!(grad.unwrap().to_vec(), vec![-0.5]);
/// ```
#[track_caller]
pub fn binary_cross_entropy_with_logits(
    x: &Tensor,
    target: &Tensor,
    scale: f32,
    want_grad: bool,
) -> LossAndGrad {
    elementwise_loss(
        "binary_cross_entropy_with_logits",
        x,
        target,
        want_grad,
        (1, scale),
        |x, t, d| cpu::binary_cross_entropy_with_logits(x, t, d, scale),
    )
}

/// Shape checks and dispatch of the elementwise losses; `kernel(x, t, d)` returns the loss and
/// fills `d` (empty when no gradient is wanted).
#[track_caller]
fn elementwise_loss(
    name: &str,
    x: &Tensor,
    target: &Tensor,
    want_grad: bool,
    gpu_loss: (u32, f32),
    kernel: impl FnOnce(&[f32], &[f32], &mut [f32]) -> f64,
) -> LossAndGrad {
    assert!(
        x.shape() == target.shape(),
        "{name}: predictions have shape {:?} but targets have shape {:?}",
        x.shape(),
        target.shape()
    );
    same_device(name, x.device(), target.device());
    #[cfg(not(feature = "gpu"))]
    let _ = gpu_loss;
    match (x.storage(), target.storage()) {
        (Storage::Cpu(xs), Storage::Cpu(ts)) => {
            let mut d = crate::cpu::zeroed(if want_grad { xs.len() } else { 0 });
            let loss = kernel(xs, ts, &mut d);
            (
                scalar(loss as f32),
                want_grad.then(|| Tensor::cpu(x.shape_ref().clone(), d)),
            )
        }
        #[cfg(feature = "gpu")]
        (Storage::Gpu(xs), Storage::Gpu(ts)) => {
            let (kind, scale) = gpu_loss;
            let (loss, grad) = crate::gpu::linalg::pointwise_loss(kind, xs, ts, scale, want_grad);
            (
                Tensor::gpu(Shape::from([]), loss),
                grad.map(|d| Tensor::gpu(x.shape_ref().clone(), d)),
            )
        }
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}
