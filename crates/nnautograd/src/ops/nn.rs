//! Matrix products and the fused ops of neural networks: `linear` and softmax cross-entropy.

use crate::op::Op;
use crate::tape::NodeValue;
use crate::Var;
use nntensor::{self as nt, Tensor};

impl<'t> Var<'t> {
    /// Matrix product under NumPy's `matmul` rules (PyTorch's `torch.matmul`, `@`): `(m, k)·(k,
    /// n)`, batched `(…, m, k)·(…, k, n)` with the batch axes broadcast, and 1-D operands as a
    /// row (left) or column (right) vector whose axis the result drops. `(b, m, k)·(b, k, n)`
    /// and `(b, m, k)·(k, n)` take one fused kernel; other batch shapes broadcast first, and their
    /// gradients are summed back.
    ///
    /// ```
    /// use nntensor::Tensor;
    /// let tape = nnautograd::Tape::new();
    /// let a = tape.var(Tensor::from_vec([1, 2], vec![1., 2.]).unwrap());
    /// let b = tape.var(Tensor::from_vec([2, 1], vec![3., 4.]).unwrap());
    /// let c = a.matmul(b);
    /// assert_eq!(c.item(), 11.0);
    /// let g = c.sum().backward();
    /// assert_eq!(g.wrt(a).unwrap().to_vec(), vec![3., 4.]); // ∂/∂a = bᵀ
    /// assert_eq!(g.wrt(b).unwrap().to_vec(), vec![1., 2.]); // ∂/∂b = aᵀ
    /// ```
    #[track_caller]
    pub fn matmul(self, other: Var<'t>) -> Var<'t> {
        self.check_pair(&other, "matmul");
        let (a, b) = (self.shape(), other.shape());
        if !nt::is_direct(&a, &b) {
            let plan = nt::BroadcastMatmul::new(&a, &b);
            let lift = |v: Var<'t>, full: &[usize], three: [usize; 3]| {
                // A 1-D operand first takes its matrix shape, then the broadcast batch.
                let rows_cols = [full[full.len() - 2], full[full.len() - 1]];
                v.reshape(&rows_cols_with(v.shape(), rows_cols))
                    .expand(full)
                    .reshape(&three)
            };
            let a3 = lift(self, &plan.a_full, plan.a3());
            let b3 = lift(other, &plan.b_full, plan.b3());
            return a3.matmul(b3).reshape(&plan.out);
        }
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
    /// assert!(y.value().values().iter().all(|&v| v == 3.0));
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
            let value = nt::linear(&x.value, &wn.value, bn.map(|n| &*n.value));
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
        let want_grad = self.loss_wants_grad();
        let (loss, dlogits) = nt::softmax_cross_entropy(&self.value(), targets, want_grad);
        self.record_loss(loss, dlogits, want_grad)
    }

    /// Mean softmax cross-entropy of logits `(n, classes)` against class indices (`n` labels):
    /// the same as [`Var::softmax_cross_entropy`] with one-hot targets, without building them.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let logits = tape.var(nntensor::Tensor::zeros([1, 2]));
    /// let loss = logits.sparse_softmax_cross_entropy(&[1]);
    /// assert!((loss.item() - 2f32.ln()).abs() < 1e-6);
    /// assert_eq!(loss.backward().wrt(logits).unwrap().to_vec(), vec![0.5, -0.5]); // softmax − onehot
    /// ```
    #[track_caller]
    pub fn sparse_softmax_cross_entropy(self, labels: &[usize]) -> Var<'t> {
        let want_grad = self.loss_wants_grad();
        let (loss, dlogits) = nt::sparse_softmax_cross_entropy(&self.value(), labels, want_grad);
        self.record_loss(loss, dlogits, want_grad)
    }
}

impl<'t> Var<'t> {
    /// Whether a fused loss of this value needs its gradient (checks the handle first).
    #[track_caller]
    fn loss_wants_grad(&self) -> bool {
        self.check();
        self.tape.is_grad_enabled() && self.tape.nodes.borrow()[self.index].requires_grad
    }

    /// Records a fused loss node: the loss value and the gradient its op computed with it.
    fn record_loss(self, loss: Tensor, dinput: Option<Tensor>, requires_grad: bool) -> Var<'t> {
        let op = Op::Loss {
            input: self.index,
            dinput: dinput.unwrap_or_else(|| Tensor::zeros([0])),
        };
        self.tape.push(NodeValue::Owned(loss), op, requires_grad)
    }

    /// `scale · Σ (x − target)²` as one node (the squared-error loss; `scale = 1/n` gives the
    /// mean): one pass forward, and a saved gradient `2·scale·(x − target)` for backward,
    /// instead of four recorded ops.
    ///
    /// ```
    /// use nnautograd::Tape;
    /// use nntensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from_vec(vec![2], vec![1.0, 3.0]).unwrap());
    /// let target = Tensor::from_vec(vec![2], vec![0.0, 1.0]).unwrap();
    /// let loss = x.squared_error(&target, 0.5); // mean of 1 and 4
    /// assert_eq!(loss.item(), 2.5);
    /// assert_eq!(loss.backward().wrt(x).unwrap().as_slice().unwrap(), &[1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn squared_error(self, target: &Tensor, scale: f32) -> Var<'t> {
        let want_grad = self.loss_wants_grad();
        let (loss, dx) = nt::squared_error(&self.value(), target, scale, want_grad);
        self.record_loss(loss, dx, want_grad)
    }

    /// `scale · Σ softplus(x) − target·x`, binary cross-entropy on logits `x`, as one node (with
    /// `scale = 1/n`, PyTorch's `BCEWithLogitsLoss`): finite for any logit, and a saved gradient
    /// `scale·(sigmoid(x) − target)` for backward instead of five recorded ops.
    ///
    /// ```
    /// use nnautograd::Tape;
    /// use nntensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::zeros(vec![1]));
    /// let loss = x.binary_cross_entropy_with_logits(&Tensor::ones(vec![1]), 1.0);
    /// assert!((loss.item() - 2f32.ln()).abs() < 1e-6);
    /// assert_eq!(loss.backward().wrt(x).unwrap()[[0]], -0.5);
    /// ```
    #[track_caller]
    pub fn binary_cross_entropy_with_logits(self, target: &Tensor, scale: f32) -> Var<'t> {
        let want_grad = self.loss_wants_grad();
        let (loss, dx) =
            nt::binary_cross_entropy_with_logits(&self.value(), target, scale, want_grad);
        self.record_loss(loss, dx, want_grad)
    }
}

/// `shape` made `rows_cols` when it has one axis (a 1-D operand of a product), unchanged
/// otherwise.
fn rows_cols_with(shape: Vec<usize>, rows_cols: [usize; 2]) -> Vec<usize> {
    if shape.len() == 1 {
        rows_cols.to_vec()
    } else {
        shape
    }
}
