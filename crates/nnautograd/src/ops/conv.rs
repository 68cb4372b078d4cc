//! Convolution and pooling on NCHW images.

use crate::op::Op;
use crate::tape::NodeValue;
use crate::Var;
use nntensor::{self as nt, Conv2dSpec, Pool2dSpec};

impl<'t> Var<'t> {
    /// The 2-D convolution of `self` `(n, c, h, w)` with `weight` `(o, c, kh, kw)` plus `bias`
    /// (`o` values): `(n, o, oh, ow)` (PyTorch's `F.conv2d`). Panics (at the caller's line)
    /// naming both shapes if they do not fit.
    ///
    /// ```
    /// use nnautograd::Tape;
    /// use nntensor::{Conv2dSpec, Tensor};
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::ones([1, 1, 3, 3]));
    /// let w = tape.var(Tensor::ones([1, 1, 2, 2]));
    /// let y = x.conv2d(w, None, Conv2dSpec::default());
    /// assert_eq!(y.to_tensor().to_vec(), vec![4.0; 4]);
    /// assert_eq!(y.sum().backward().wrt(w).unwrap().to_vec(), vec![4.0; 4]);
    /// ```
    #[track_caller]
    pub fn conv2d(self, weight: Var<'t>, bias: Option<Var<'t>>, spec: Conv2dSpec) -> Var<'t> {
        self.check_pair(&weight, "conv2d");
        if let Some(b) = bias {
            self.check_pair(&b, "conv2d");
        }
        let (value, requires_grad) = {
            let nodes = self.tape.nodes.borrow();
            let (x, w) = (&nodes[self.index], &nodes[weight.index]);
            let b = bias.map(|b| &nodes[b.index]);
            let value = nt::conv2d(&x.value, &w.value, b.map(|n| &*n.value), spec);
            let any = x.requires_grad || w.requires_grad || b.is_some_and(|n| n.requires_grad);
            (value, any && self.tape.is_grad_enabled())
        };
        let op = Op::Conv2d {
            x: self.index,
            w: weight.index,
            b: bias.map(|b| b.index),
            spec: Box::new(spec),
        };
        self.tape.push(NodeValue::Owned(value), op, requires_grad)
    }

    /// `self.conv2d(weight, bias, conv).relu().max_pool2d(pool)` as one node: the same values
    /// and gradients bit for bit, on the CPU without the convolution's full-size output or its
    /// gradient (what `Sequential` runs on the CPU for a convolution, a ReLU and max pooling in
    /// a row; on the GPU the node runs the ops one by one).
    /// Panics (at the caller's line) naming the shapes if they do not fit.
    ///
    /// ```
    /// use nnautograd::Tape;
    /// use nntensor::{Conv2dSpec, Pool2dSpec, Tensor};
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from_vec([1, 1, 3, 3], (0..9).map(|v| v as f32 - 4.0).collect()).unwrap());
    /// let w = tape.var(Tensor::ones([1, 1, 2, 2]));
    /// let y = x.conv2d_relu_max_pool2d(w, None, Conv2dSpec::default(), Pool2dSpec::new([2, 2]));
    /// assert_eq!(y.item(), 8.0);
    /// assert_eq!(y.backward().wrt(w).unwrap().to_vec(), vec![0., 1., 3., 4.]);
    /// ```
    #[track_caller]
    pub fn conv2d_relu_max_pool2d(
        self,
        weight: Var<'t>,
        bias: Option<Var<'t>>,
        conv: Conv2dSpec,
        pool: Pool2dSpec,
    ) -> Var<'t> {
        self.check_pair(&weight, "conv2d_relu_max_pool2d");
        if let Some(b) = bias {
            self.check_pair(&b, "conv2d_relu_max_pool2d");
        }
        let (value, indices, requires_grad) = {
            let nodes = self.tape.nodes.borrow();
            let (x, w) = (&nodes[self.index], &nodes[weight.index]);
            let b = bias.map(|b| &nodes[b.index]);
            let (value, indices) =
                nt::conv2d_relu_max_pool2d(&x.value, &w.value, b.map(|n| &*n.value), conv, pool);
            let any = x.requires_grad || w.requires_grad || b.is_some_and(|n| n.requires_grad);
            (value, indices, any && self.tape.is_grad_enabled())
        };
        let op = Op::Conv2dReluMaxPool2d {
            x: self.index,
            w: weight.index,
            b: bias.map(|b| b.index),
            saved: Box::new((indices, conv, pool)),
        };
        self.tape.push(NodeValue::Owned(value), op, requires_grad)
    }

    /// Max pooling of `self` `(n, c, h, w)` (PyTorch's `F.max_pool2d`); the gradient goes to each
    /// window's first maximum.
    ///
    /// ```
    /// use nnautograd::Tape;
    /// use nntensor::{Pool2dSpec, Tensor};
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from_vec([1, 1, 2, 2], vec![1., 4., 3., 2.]).unwrap());
    /// let y = x.max_pool2d(Pool2dSpec::new([2, 2]));
    /// assert_eq!(y.item(), 4.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().to_vec(), vec![0., 1., 0., 0.]);
    /// ```
    #[track_caller]
    pub fn max_pool2d(self, spec: Pool2dSpec) -> Var<'t> {
        self.check();
        let (value, indices) = nt::max_pool2d(&self.value(), spec);
        let op = Op::MaxPool2d {
            input: self.index,
            saved: Box::new((indices, spec)),
        };
        Var::record(&[self], value, op)
    }

    /// `self.relu().max_pool2d(spec)` as one node: the same values and gradient bit for bit,
    /// without the ReLU's full-size output (what `Sequential` runs for a ReLU layer followed by
    /// max pooling).
    ///
    /// ```
    /// use nnautograd::Tape;
    /// use nntensor::{Pool2dSpec, Tensor};
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from_vec([1, 1, 2, 2], vec![-1., -4., 3., 2.]).unwrap());
    /// let y = x.relu_max_pool2d(Pool2dSpec::new([2, 2]));
    /// assert_eq!(y.item(), 3.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().to_vec(), vec![0., 0., 1., 0.]);
    /// ```
    #[track_caller]
    pub fn relu_max_pool2d(self, spec: Pool2dSpec) -> Var<'t> {
        self.check();
        let (value, indices) = nt::relu_max_pool2d(&self.value(), spec);
        let op = Op::ReluMaxPool2d {
            input: self.index,
            saved: Box::new((indices, spec)),
        };
        Var::record(&[self], value, op)
    }

    /// Average pooling of `self` `(n, c, h, w)` (PyTorch's `F.avg_pool2d`, padding counted in
    /// the mean).
    ///
    /// ```
    /// use nnautograd::Tape;
    /// use nntensor::{Pool2dSpec, Tensor};
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from_vec([1, 1, 2, 2], vec![1., 4., 3., 2.]).unwrap());
    /// let y = x.avg_pool2d(Pool2dSpec::new([2, 2]));
    /// assert_eq!(y.item(), 2.5);
    /// assert_eq!(y.backward().wrt(x).unwrap().to_vec(), vec![0.25; 4]);
    /// ```
    #[track_caller]
    pub fn avg_pool2d(self, spec: Pool2dSpec) -> Var<'t> {
        self.check();
        let value = nt::avg_pool2d(&self.value(), spec);
        Var::record(
            &[self],
            value,
            Op::AvgPool2d {
                input: self.index,
                spec,
            },
        )
    }
}
