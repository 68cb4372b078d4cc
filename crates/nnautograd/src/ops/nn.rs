//! Matrix products and the fused ops of neural networks: `linear` and softmax cross-entropy.

use crate::op::Op;
use crate::tape::NodeValue;
use crate::Var;
use nntensor::ndarray::{Axis, Ix1, Ix2, IxDyn};
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
        self.record_loss(loss, dlogits, requires_grad)
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
        self.record_loss(loss, dlogits, requires_grad)
    }
}

impl<'t> Var<'t> {
    /// Records a fused loss node: the loss value and its saved gradient.
    fn record_loss(self, loss: f32, dinput: Tensor, requires_grad: bool) -> Var<'t> {
        let op = Op::Loss {
            input: self.index,
            dinput,
        };
        self.tape
            .push(NodeValue::Owned(nt::scalar(loss)), op, requires_grad)
    }

    /// `scale · Σ (x − target)²` as one node (the squared-error loss; `scale = 1/n` gives the
    /// mean): one pass forward, and a saved gradient `2·scale·(x − target)` for backward,
    /// instead of four recorded ops.
    ///
    /// ```
    /// use nnautograd::Tape;
    /// use nntensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from_shape_vec(vec![2], vec![1.0, 3.0]).unwrap());
    /// let target = Tensor::from_shape_vec(vec![2], vec![0.0, 1.0]).unwrap();
    /// let loss = x.squared_error(&target, 0.5); // mean of 1 and 4
    /// assert_eq!(loss.item(), 2.5);
    /// assert_eq!(loss.backward().wrt(x).unwrap().as_slice().unwrap(), &[1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn squared_error(self, target: &Tensor, scale: f32) -> Var<'t> {
        self.fused_loss(
            "squared_error",
            target,
            |x, t| {
                let diff = x - t;
                (diff * diff, 2.0 * diff)
            },
            scale,
        )
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
        self.fused_loss(
            "binary_cross_entropy_with_logits",
            target,
            |x, t| {
                // One e^−|x| serves both softplus(x) and σ(x).
                let e = nt::exp_fast(-x.abs());
                let softplus = x.max(0.0) + nt::ln_1p_unit(e);
                let r = 1.0 / (1.0 + e);
                let sigmoid = if x >= 0.0 { r } else { e * r };
                (softplus - t * x, sigmoid - t)
            },
            scale,
        )
    }

    /// `scale · Σ term(x, t)` over elements, with gradient `scale · dterm(x, t)`, where `f`
    /// returns `(term, dterm)`. Sums in f64, in order.
    #[track_caller]
    fn fused_loss(
        self,
        name: &str,
        target: &Tensor,
        f: impl Fn(f32, f32) -> (f32, f32),
        scale: f32,
    ) -> Var<'t> {
        self.check();
        let (loss, dinput, requires_grad) = {
            let nodes = self.tape.nodes.borrow();
            let node = &nodes[self.index];
            let x = &node.value;
            assert!(
                x.shape() == target.shape(),
                "{name}: predictions have shape {:?} but targets have shape {:?}",
                x.shape(),
                target.shape()
            );
            let requires_grad = node.requires_grad && self.tape.is_grad_enabled();
            let mut d = Tensor::zeros(if requires_grad {
                x.raw_dim()
            } else {
                IxDyn(&[0])
            });
            let total = match (x.as_slice(), target.as_slice(), d.as_slice_mut()) {
                (Some(x), Some(t), Some(d)) => nt::wide(
                    #[inline(always)]
                    || fused_loss_slices(x, t, d, &f, scale),
                ),
                _ => {
                    // Other layouts: element by element.
                    let mut total = 0.0f64;
                    let mut grads = d.iter_mut();
                    nt::ndarray::Zip::from(&**x).and(target).for_each(|&x, &t| {
                        let (term, dterm) = f(x, t);
                        total += term as f64;
                        if let Some(d) = grads.next() {
                            *d = scale * dterm;
                        }
                    });
                    total
                }
            };
            let dinput = d;
            ((total * scale as f64) as f32, dinput, requires_grad)
        };
        self.record_loss(loss, dinput, requires_grad)
    }
}

/// Running sums of a fused loss: one 512-bit vector of `f32`.
const LOSS_LANES: usize = 16;

/// The sum of `f(x, t).0` over row-major slices, writing `scale · f(x, t).1` into `d` (when `d`
/// is not empty), in one pass simple enough to vectorise: the terms go into [`LOSS_LANES`]
/// running sums (element `i` into sum `i % LOSS_LANES`), added in order at the end, so the
/// result depends only on the inputs. Always inlined, so that the [`nt::wide`] around its call
/// compiles it for wide vectors.
#[inline(always)]
fn fused_loss_slices(
    x: &[f32],
    t: &[f32],
    d: &mut [f32],
    f: &impl Fn(f32, f32) -> (f32, f32),
    scale: f32,
) -> f64 {
    let mut lanes = [0.0f32; LOSS_LANES];
    let (mut x_chunks, mut t_chunks) = (x.chunks_exact(LOSS_LANES), t.chunks_exact(LOSS_LANES));
    if d.is_empty() {
        for (xs, ts) in (&mut x_chunks).zip(&mut t_chunks) {
            for ((lane, &x), &t) in lanes.iter_mut().zip(xs).zip(ts) {
                *lane += f(x, t).0;
            }
        }
    } else {
        let mut d_chunks = d.chunks_exact_mut(LOSS_LANES);
        for ((xs, ts), ds) in (&mut x_chunks).zip(&mut t_chunks).zip(&mut d_chunks) {
            let (xs, ts): (&[f32; LOSS_LANES], &[f32; LOSS_LANES]) =
                (xs.try_into().unwrap(), ts.try_into().unwrap());
            let mut terms = [0.0f32; LOSS_LANES];
            let mut dterms = [0.0f32; LOSS_LANES];
            for i in 0..LOSS_LANES {
                (terms[i], dterms[i]) = f(xs[i], ts[i]);
            }
            for i in 0..LOSS_LANES {
                lanes[i] += terms[i];
                ds[i] = scale * dterms[i];
            }
        }
        let rest = x_chunks.remainder().iter().zip(t_chunks.remainder());
        for ((&x, &t), d) in rest.zip(d_chunks.into_remainder()) {
            *d = scale * f(x, t).1;
        }
    }
    let rest = x_chunks.remainder().iter().zip(t_chunks.remainder());
    for (lane, (&x, &t)) in lanes.iter_mut().zip(rest) {
        *lane += f(x, t).0;
    }
    lanes.iter().map(|&lane| lane as f64).sum()
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
            // The bias in the first row, then the filled part copied onto the rest, doubling
            // each time (a broadcast view's iterator, or a copy per row, costs far more when
            // rows are narrow).
            let total = x2.nrows() * out_features;
            let mut data = vec![0.0; total];
            if total > 0 {
                for (out, &b) in data.iter_mut().zip(&b1) {
                    *out = b;
                }
                let mut filled = out_features;
                while filled < total {
                    let count = filled.min(total - filled);
                    data.copy_within(..count, filled);
                    filled += count;
                }
            }
            nt::ndarray::Array2::from_shape_vec((x2.nrows(), out_features), data)
                .expect("rows × out_features elements")
        }
        None => nt::ndarray::Array2::zeros((x2.nrows(), out_features)),
    };
    let beta = if b.is_some() { 1.0 } else { 0.0 };
    nt::gemm(1.0, x2, w2, beta, out.view_mut());
    out.into_dyn()
}

/// Shared forward of both softmax cross-entropies. `targets(row, visit)` calls `visit(class, weight)`
/// for each non-zero target of a row. Returns the mean loss and, if asked, `(softmax − targets) / n`.
/// One pass over each row's memory: its exponentials (into the gradient's row, where they
/// vectorise), their sum, its loss terms, then its gradient.
fn sce_forward(
    logits: &Tensor,
    want_grad: bool,
    targets: impl Fn(usize, &mut dyn FnMut(usize, f32)),
) -> (f32, Tensor) {
    let (n, classes) = (logits.shape()[0], logits.shape()[1]);
    let logits = logits.as_standard_layout();
    let x = logits.as_slice().expect("standard layout");
    let inv_n = 1.0 / n as f32;
    // The gradient, or one row of scratch space when no gradient is wanted.
    let mut d = vec![0.0f32; if want_grad { n * classes } else { classes }];
    let mut total = 0.0f64;
    nt::wide(
        #[inline(always)]
        || {
            for (row, xs) in x.chunks_exact(classes.max(1)).enumerate() {
                let ds = if want_grad {
                    &mut d[row * classes..(row + 1) * classes]
                } else {
                    &mut d[..]
                };
                let max = xs.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
                for (e, &v) in ds.iter_mut().zip(xs) {
                    *e = nt::exp_fast(v - max);
                }
                let sum: f32 = ds.iter().sum();
                // log_softmax(x)_c = x_c − shift.
                let shift = max + sum.ln();
                let mut target_sum = 0.0;
                targets(row, &mut |c, t| {
                    if t != 0.0 {
                        total -= (t * (xs[c] - shift)) as f64;
                    }
                    target_sum += t;
                });
                if want_grad {
                    // ∂/∂logits of −Σ_c t_c·log_softmax_c = softmax·Σ_c t_c − t, over n.
                    let scale = target_sum * inv_n / sum;
                    for e in ds.iter_mut() {
                        *e *= scale;
                    }
                    targets(row, &mut |c, t| ds[c] -= t * inv_n);
                }
            }
        },
    );
    let dlogits = if want_grad {
        Tensor::from_shape_vec(IxDyn(&[n, classes]), d).expect("n × classes gradients")
    } else {
        Tensor::zeros(IxDyn(&[0]))
    };
    ((total / n as f64) as f32, dlogits)
}
