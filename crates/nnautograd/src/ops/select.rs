//! Elementwise selection: `maximum`, `minimum`, `pow` with a tensor exponent, comparisons
//! (masks), `where_cond` and `masked_fill`.

use crate::op::Op;
use crate::Var;
use nntensor::{self as nt, BinaryOp, Tensor};

impl<'t> Var<'t> {
    /// The elementwise larger of `self` and `other`, with broadcasting (PyTorch's `torch.maximum`); at a tie the gradient is split evenly.
    ///
    /// ```
    /// use nntensor::Tensor;
    /// let tape = nnautograd::Tape::new();
    /// let a = tape.var(Tensor::from_vec([3], vec![1., 5., 2.]).unwrap());
    /// let b = tape.var(Tensor::from_vec([3], vec![3., 2., 2.]).unwrap());
    /// let y = a.maximum(b);
    /// assert_eq!(y.to_tensor().to_vec(), vec![3., 5., 2.]);
    /// assert_eq!(y.sum().backward().wrt(a).unwrap().to_vec(), vec![0., 1., 0.5]);
    /// ```
    #[track_caller]
    pub fn maximum(self, other: Var<'t>) -> Var<'t> {
        self.broadcast_op(other, BinaryOp::Maximum)
    }

    /// The elementwise smaller of `self` and `other`, with broadcasting (PyTorch's `torch.minimum`); at a tie the gradient is split evenly.
    ///
    /// ```
    /// use nntensor::Tensor;
    /// let tape = nnautograd::Tape::new();
    /// let a = tape.var(Tensor::from_vec([3], vec![1., 5., 2.]).unwrap());
    /// let b = tape.var(Tensor::from_vec([3], vec![3., 2., 2.]).unwrap());
    /// let y = a.minimum(b);
    /// assert_eq!(y.to_tensor().to_vec(), vec![1., 2., 2.]);
    /// assert_eq!(y.sum().backward().wrt(a).unwrap().to_vec(), vec![1., 0., 0.5]);
    /// ```
    #[track_caller]
    pub fn minimum(self, other: Var<'t>) -> Var<'t> {
        self.broadcast_op(other, BinaryOp::Minimum)
    }

    /// `self` to the power `other` elementwise, with broadcasting (PyTorch's `torch.pow` with a tensor exponent); gradients flow to both.
    ///
    /// ```
    /// use nntensor::Tensor;
    /// let tape = nnautograd::Tape::new();
    /// let a = tape.var(Tensor::from_vec([3], vec![2., 9., 1.]).unwrap());
    /// let b = tape.var(Tensor::from_vec([3], vec![3., 0.5, 2.]).unwrap());
    /// let y = a.pow(b);
    /// assert_eq!(y.to_tensor().to_vec(), vec![8., 3., 1.]);
    /// assert_eq!(y.sum().backward().wrt(a).unwrap().to_vec(), vec![12., 1.0 / 6.0, 2.]);
    /// ```
    #[track_caller]
    pub fn pow(self, other: Var<'t>) -> Var<'t> {
        self.broadcast_op(other, BinaryOp::Pow)
    }

    /// A mask: 1 where `self == other`, 0 elsewhere, with broadcasting. It is a constant on the
    /// tape (no gradient flows through a comparison); use it with [`Var::where_cond`],
    /// [`Var::masked_fill`] or as a factor.
    #[track_caller]
    pub fn eq(self, other: Var<'t>) -> Var<'t> {
        self.broadcast_op(other, BinaryOp::Eq)
    }

    /// A mask: 1 where `self != other`, 0 elsewhere, with broadcasting. It is a constant on the
    /// tape (no gradient flows through a comparison); use it with [`Var::where_cond`],
    /// [`Var::masked_fill`] or as a factor.
    #[track_caller]
    pub fn ne(self, other: Var<'t>) -> Var<'t> {
        self.broadcast_op(other, BinaryOp::Ne)
    }

    /// A mask: 1 where `self < other`, 0 elsewhere, with broadcasting. It is a constant on the
    /// tape (no gradient flows through a comparison); use it with [`Var::where_cond`],
    /// [`Var::masked_fill`] or as a factor.
    #[track_caller]
    pub fn lt(self, other: Var<'t>) -> Var<'t> {
        self.broadcast_op(other, BinaryOp::Lt)
    }

    /// A mask: 1 where `self <= other`, 0 elsewhere, with broadcasting. It is a constant on the
    /// tape (no gradient flows through a comparison); use it with [`Var::where_cond`],
    /// [`Var::masked_fill`] or as a factor.
    #[track_caller]
    pub fn le(self, other: Var<'t>) -> Var<'t> {
        self.broadcast_op(other, BinaryOp::Le)
    }

    /// A mask: 1 where `self > other`, 0 elsewhere, with broadcasting. It is a constant on the
    /// tape (no gradient flows through a comparison); use it with [`Var::where_cond`],
    /// [`Var::masked_fill`] or as a factor.
    #[track_caller]
    pub fn gt(self, other: Var<'t>) -> Var<'t> {
        self.broadcast_op(other, BinaryOp::Gt)
    }

    /// A mask: 1 where `self >= other`, 0 elsewhere, with broadcasting. It is a constant on the
    /// tape (no gradient flows through a comparison); use it with [`Var::where_cond`],
    /// [`Var::masked_fill`] or as a factor.
    #[track_caller]
    pub fn ge(self, other: Var<'t>) -> Var<'t> {
        self.broadcast_op(other, BinaryOp::Ge)
    }

    /// `self` where `cond` is non-zero, `other` elsewhere, all broadcast together (PyTorch's
    /// `torch.where(cond, self, other)`); the gradient goes to whichever side was picked.
    ///
    /// ```
    /// use nntensor::Tensor;
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(Tensor::from_vec([3], vec![-1., 2., -3.]).unwrap());
    /// let zero = tape.constant(nntensor::scalar(0.0));
    /// let positive = x.gt(zero).to_tensor();
    /// let y = x.where_cond(&positive, zero); // relu, written by hand
    /// assert_eq!(y.to_tensor().to_vec(), vec![0., 2., 0.]);
    /// assert_eq!(y.sum().backward().wrt(x).unwrap().to_vec(), vec![0., 1., 0.]);
    /// ```
    #[track_caller]
    pub fn where_cond(self, cond: &Tensor, other: Var<'t>) -> Var<'t> {
        self.check_pair(&other, "where_cond");
        let value = nt::where_cond(cond, &self.value(), &other.value());
        let op = if Var::needs_grad(&[self, other]) {
            Op::Where {
                cond: Box::new(cond.clone()),
                a: self.index,
                b: other.index,
            }
        } else {
            Op::Leaf
        };
        Var::record(&[self, other], value, op)
    }

    /// `self` with `value` wherever `mask` is non-zero (`mask` broadcasts to this shape; PyTorch's
    /// `masked_fill`); no gradient flows to the filled places.
    ///
    /// ```
    /// use nntensor::Tensor;
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(Tensor::from_vec([3], vec![1., 2., 3.]).unwrap());
    /// let mask = Tensor::from_vec([3], vec![0., 1., 0.]).unwrap();
    /// let y = x.masked_fill(&mask, -1.0);
    /// assert_eq!(y.to_tensor().to_vec(), vec![1., -1., 3.]);
    /// assert_eq!(y.sum().backward().wrt(x).unwrap().to_vec(), vec![1., 0., 1.]);
    /// ```
    #[track_caller]
    pub fn masked_fill(self, mask: &Tensor, value: f32) -> Var<'t> {
        let shape = self.shape();
        let filled = self.tape.constant(nt::scalar(value)).where_cond(mask, self);
        assert!(
            filled.shape() == shape,
            "masked_fill: mask {:?} does not broadcast to the value's shape {shape:?}",
            mask.shape()
        );
        filled
    }
}
