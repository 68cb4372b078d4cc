//! Matrix products and the fused ops of neural networks: `linear` and softmax cross-entropy.

use crate::op::Op;
use crate::tape::NodeValue;
use crate::Var;
use nntensor::ndarray::{Axis, Ix1, Ix2};
use nntensor::{self as nt, Tensor};

impl<'t> Var<'t> {
    /// Matrix product: `(m, k)·(k, n)`, batched `(b, m, k)·(b, k, n)`, or `(b, m, k)·(k, n)`.
    #[track_caller]
    pub fn matmul(self, other: Var<'t>) -> Var<'t> {
        self.check_pair(&other, "matmul");
        let value = nt::matmul(&self.value(), &other.value());
        Var::record(&[self, other], value, Op::MatMul(self.index, other.index))
    }

    /// The fused dense layer `self · w + b` for `self` of shape `(n, in)`, `w` of `(in, out)` and
    /// `b` of `(out,)`. **The weight is `(in, out)`, as in Keras's `Dense` kernel; PyTorch's
    /// `F.linear` takes `(out, in)` and transposes it.**: one GEMM into an output pre-filled with the bias. Its backward computes
    /// `dW = selfᵀ·g` on a transposed view, `db` as column sums, and `dx` only when `self` needs it.
    ///
    /// ```
    /// use nnautograd::Tape;
    /// use nntensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.constant(Tensor::ones(vec![4, 3]));
    /// let w = tape.var(Tensor::ones(vec![3, 2]));
    /// let b = tape.var(Tensor::zeros(vec![2]));
    /// let y = x.linear(w, Some(b));
    /// assert_eq!(y.shape(), vec![4, 2]);
    /// assert!(y.value().iter().all(|&v| v == 3.0));
    /// ```
    #[track_caller]
    pub fn linear(self, w: Var<'t>, b: Option<Var<'t>>) -> Var<'t> {
        self.check_pair(&w, "linear");
        if let Some(b) = b {
            self.check_pair(&b, "linear");
        }
        let (value, requires_grad) = {
            let nodes = self.tape.nodes.borrow();
            let (x, wn) = (&nodes[self.index], &nodes[w.index]);
            let bn = b.map(|b| &nodes[b.index]);
            let value = linear_forward(&x.value, &wn.value, bn.map(|n| &*n.value));
            let any = x.requires_grad || wn.requires_grad || bn.is_some_and(|n| n.requires_grad);
            (value, any && self.tape.is_grad_enabled())
        };
        let op = Op::Linear {
            x: self.index,
            w: w.index,
            b: b.map(|b| b.index),
        };
        self.tape.push(NodeValue::Owned(value), op, requires_grad)
    }

    /// Mean softmax cross-entropy of logits `(n, classes)` against target distributions of the same
    /// shape (one-hot rows or probabilities): `−Σ targets · log_softmax(self) / n`. Stable for any
    /// finite logits; its gradient is `(softmax − targets) / n`.
    ///
    /// ```
    /// use nnautograd::Tape;
    /// use nntensor::Tensor;
    /// let tape = Tape::new();
    /// let logits = tape.var(Tensor::zeros(vec![1, 4]));
    /// let targets = nntensor::one_hot(&[2], 4).unwrap();
    /// let loss = logits.softmax_cross_entropy(&targets);
    /// assert!((loss.item() - 4f32.ln()).abs() < 1e-6);
    /// ```
    #[track_caller]
    pub fn softmax_cross_entropy(self, targets: &Tensor) -> Var<'t> {
        self.check();
        let (loss, dlogits, requires_grad) = {
            let nodes = self.tape.nodes.borrow();
            let node = &nodes[self.index];
            let logits = &node.value;
            assert!(
                logits.ndim() == 2 && logits.shape() == targets.shape(),
                "softmax_cross_entropy: logits {:?} and targets {:?} must both be (batch, classes)",
                logits.shape(),
                targets.shape()
            );
            let requires_grad = node.requires_grad && self.tape.is_grad_enabled();
            let (loss, dlogits) = sce_forward(logits, requires_grad, |row, visit| {
                for (c, &t) in targets.index_axis(Axis(0), row).iter().enumerate() {
                    visit(c, t);
                }
            });
            (loss, dlogits, requires_grad)
        };
        self.record_cross_entropy(loss, dlogits, requires_grad)
    }

    /// Mean softmax cross-entropy of logits `(n, classes)` against class indices (`n` labels):
    /// the same as [`Var::softmax_cross_entropy`] with one-hot targets, without building them.
    #[track_caller]
    pub fn sparse_softmax_cross_entropy(self, labels: &[usize]) -> Var<'t> {
        self.check();
        let (loss, dlogits, requires_grad) = {
            let nodes = self.tape.nodes.borrow();
            let node = &nodes[self.index];
            let logits = &node.value;
            assert!(
                logits.ndim() == 2 && logits.shape()[0] == labels.len(),
                "sparse_softmax_cross_entropy: logits {:?} need shape (batch, classes) with batch = {} labels",
                logits.shape(),
                labels.len()
            );
            let classes = logits.shape()[1];
            if let Some(&bad) = labels.iter().find(|&&l| l >= classes) {
                panic!("sparse_softmax_cross_entropy: label {bad} is out of range for {classes} classes");
            }
            let requires_grad = node.requires_grad && self.tape.is_grad_enabled();
            let (loss, dlogits) =
                sce_forward(logits, requires_grad, |row, visit| visit(labels[row], 1.0));
            (loss, dlogits, requires_grad)
        };
        self.record_cross_entropy(loss, dlogits, requires_grad)
    }
}

impl<'t> Var<'t> {
    /// Records a softmax cross-entropy node: the loss value and its saved gradient.
    fn record_cross_entropy(self, loss: f32, dlogits: Tensor, requires_grad: bool) -> Var<'t> {
        let op = Op::SoftmaxCrossEntropy {
            logits: self.index,
            dlogits,
        };
        self.tape
            .push(NodeValue::Owned(nt::scalar(loss)), op, requires_grad)
    }
}

/// `x · w + b` with `b` pre-filled into the output and one GEMM with `beta = 1`.
#[track_caller]
pub(crate) fn linear_forward(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Tensor {
    let (Ok(x2), Ok(w2)) = (
        x.view().into_dimensionality::<Ix2>(),
        w.view().into_dimensionality::<Ix2>(),
    ) else {
        panic!(
            "linear: input {:?} and weight {:?} must both be 2-D: (batch, in) and (in, out)",
            x.shape(),
            w.shape()
        );
    };
    assert!(
        x2.ncols() == w2.nrows(),
        "linear: input {:?} has {} features but the weight {:?} expects {}",
        x.shape(),
        x2.ncols(),
        w.shape(),
        w2.nrows()
    );
    let out_features = w2.ncols();
    let mut out = match b {
        Some(b) => {
            let b1 = b
                .view()
                .into_dimensionality::<Ix1>()
                .ok()
                .filter(|b| b.len() == out_features);
            let Some(b1) = b1 else {
                panic!(
                    "linear: bias {:?} must have shape ({out_features},) for weight {:?}",
                    b.shape(),
                    w.shape()
                );
            };
            b1.broadcast((x2.nrows(), out_features))
                .expect("same width")
                .to_owned()
        }
        None => nt::ndarray::Array2::zeros((x2.nrows(), out_features)),
    };
    let beta = if b.is_some() { 1.0 } else { 0.0 };
    nt::gemm(1.0, x2, w2, beta, out.view_mut());
    out.into_dyn()
}

/// Shared forward of both softmax cross-entropies. `targets(row, visit)` calls `visit(class, weight)`
/// for each non-zero target of a row. Returns the mean loss and, if asked, `(softmax − targets) / n`.
fn sce_forward(
    logits: &Tensor,
    want_grad: bool,
    targets: impl Fn(usize, &mut dyn FnMut(usize, f32)),
) -> (f32, Tensor) {
    let n = logits.shape()[0];
    let log_probs = nt::log_softmax(logits, 1);
    let mut total = 0.0f64;
    for row in 0..n {
        targets(row, &mut |c, t| {
            if t != 0.0 {
                total -= (t * log_probs[[row, c]]) as f64;
            }
        });
    }
    let inv_n = 1.0 / n as f32;
    let dlogits = if want_grad {
        // ∂/∂logits of −Σ_c t_c·log_softmax_c = softmax·Σ_c t_c − t, per row, over n.
        let mut d = log_probs;
        for row in 0..n {
            let mut target_sum = 0.0;
            targets(row, &mut |_, t| target_sum += t);
            d.index_axis_mut(Axis(0), row)
                .mapv_inplace(|lp| lp.exp() * target_sum * inv_n);
            targets(row, &mut |c, t| d[[row, c]] -= t * inv_n);
        }
        d
    } else {
        Tensor::zeros(nt::ndarray::IxDyn(&[0]))
    };
    ((total / n as f64) as f32, dlogits)
}
