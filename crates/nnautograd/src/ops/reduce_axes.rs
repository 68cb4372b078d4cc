//! Reductions over any set of axes (negative axes count from the end; no axes means all), with
//! `keepdim`, as PyTorch's `dim` / `keepdim` and NumPy's `axis` / `keepdims`; `max`/`min` along
//! one axis with their indices; `cumsum`.

use crate::op::Op;
use crate::Var;
use nntensor::{self as nt, Norm, Reduce};

impl<'t> Var<'t> {
    /// Records `reduce(op, self, axes, keepdim)`.
    #[track_caller]
    fn reduce_op(self, op: Reduce, axes: &[isize], keepdim: bool) -> Var<'t> {
        self.check();
        let value = nt::reduce(op, &self.value(), axes, keepdim);
        let node = Op::Reduce {
            input: self.index,
            op,
            axes: axes.to_vec(),
            keepdim,
        };
        Var::record(&[self], value, node)
    }

    /// Sum over `axes`, with `keepdim` (PyTorch's `x.sum(dim, keepdim)`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::ones([2, 3]));
    /// let s = x.sum_axes(&[-1], true);
    /// assert_eq!(s.shape(), vec![2, 1]);
    /// assert_eq!(s.sum().backward().wrt(x).unwrap().to_vec(), vec![1.; 6]);
    /// ```
    #[track_caller]
    pub fn sum_axes(self, axes: &[isize], keepdim: bool) -> Var<'t> {
        self.reduce_op(Reduce::Sum, axes, keepdim)
    }

    /// Mean over `axes`, with `keepdim` (PyTorch's `x.mean(dim, keepdim)`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::ones([2, 4]));
    /// let m = x.mean_axes(&[0, 1], false);
    /// assert_eq!(m.item(), 1.0);
    /// assert_eq!(m.backward().wrt(x).unwrap().to_vec(), vec![0.125; 8]);
    /// ```
    #[track_caller]
    pub fn mean_axes(self, axes: &[isize], keepdim: bool) -> Var<'t> {
        self.reduce_op(Reduce::Mean, axes, keepdim)
    }

    /// Product over `axes`, with `keepdim`; the gradient is the product of the others (exact
    /// with zeros).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([3], vec![2., 0., 5.]).unwrap());
    /// let p = x.prod(&[], false);
    /// assert_eq!(p.item(), 0.0);
    /// assert_eq!(p.backward().wrt(x).unwrap().to_vec(), vec![0., 10., 0.]);
    /// ```
    #[track_caller]
    pub fn prod(self, axes: &[isize], keepdim: bool) -> Var<'t> {
        self.reduce_op(Reduce::Prod, axes, keepdim)
    }

    /// Largest value over `axes`, with `keepdim` (PyTorch's `amax`: ties share the gradient).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([3], vec![1., 4., 4.]).unwrap());
    /// let m = x.amax(&[0], false);
    /// assert_eq!(m.item(), 4.0);
    /// assert_eq!(m.backward().wrt(x).unwrap().to_vec(), vec![0., 0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn amax(self, axes: &[isize], keepdim: bool) -> Var<'t> {
        self.reduce_op(Reduce::Max, axes, keepdim)
    }

    /// Smallest value over `axes`, with `keepdim` (PyTorch's `amin`: ties share the gradient).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([3], vec![1., 4., 0.]).unwrap());
    /// let m = x.amin(&[-1], false);
    /// assert_eq!(m.item(), 0.0);
    /// assert_eq!(m.backward().wrt(x).unwrap().to_vec(), vec![0., 0., 1.]);
    /// ```
    #[track_caller]
    pub fn amin(self, axes: &[isize], keepdim: bool) -> Var<'t> {
        self.reduce_op(Reduce::Min, axes, keepdim)
    }

    /// `ln Σ e^self` over `axes`, stable for any input, with `keepdim`; its gradient is the
    /// softmax over the same axes.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::zeros([2]));
    /// let l = x.logsumexp(&[0], false);
    /// assert_eq!(l.item(), 2f32.ln());
    /// assert_eq!(l.backward().wrt(x).unwrap().to_vec(), vec![0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn logsumexp(self, axes: &[isize], keepdim: bool) -> Var<'t> {
        self.reduce_op(Reduce::LogSumExp, axes, keepdim)
    }

    /// Variance over `axes`: `Σ (x − mean)² / (n − correction)`, with `keepdim` (PyTorch's
    /// `var(dim, correction=…, keepdim)`; its default correction is 1).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([2], vec![1., 3.]).unwrap());
    /// let v = x.var(&[0], 1.0, false);
    /// assert_eq!(v.item(), 2.0);
    /// assert_eq!(v.backward().wrt(x).unwrap().to_vec(), vec![-2., 2.]); // 2(x − mean)/(n − 1)
    /// ```
    #[track_caller]
    pub fn var(self, axes: &[isize], correction: f32, keepdim: bool) -> Var<'t> {
        self.reduce_op(Reduce::Var { correction }, axes, keepdim)
    }

    /// Standard deviation over `axes` (the root of [`Var::var`]), with `keepdim`.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([2], vec![1., 3.]).unwrap());
    /// let s = x.std(&[0], 0.0, false);
    /// assert_eq!(s.item(), 1.0);
    /// assert_eq!(s.backward().wrt(x).unwrap().to_vec(), vec![-0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn std(self, axes: &[isize], correction: f32, keepdim: bool) -> Var<'t> {
        self.reduce_op(Reduce::Std { correction }, axes, keepdim)
    }

    /// The L1, L2 or infinity norm over `axes`, with `keepdim` (PyTorch's
    /// `linalg.vector_norm`).
    ///
    /// ```
    /// use nntensor::Norm;
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([2], vec![3., -4.]).unwrap());
    /// let n = x.norm(Norm::L2, &[], false);
    /// assert_eq!(n.item(), 5.0);
    /// assert_eq!(n.backward().wrt(x).unwrap().to_vec(), vec![0.6, -0.8]);
    /// ```
    #[track_caller]
    pub fn norm(self, p: Norm, axes: &[isize], keepdim: bool) -> Var<'t> {
        self.reduce_op(Reduce::Norm(p), axes, keepdim)
    }

    /// Running sums along `axis` (negative allowed); the gradient is the running sums of `g`
    /// from the end.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([3], vec![1., 2., 3.]).unwrap());
    /// let c = x.cumsum(-1);
    /// assert_eq!(c.to_tensor().to_vec(), vec![1., 3., 6.]);
    /// assert_eq!(c.sum().backward().wrt(x).unwrap().to_vec(), vec![3., 2., 1.]);
    /// ```
    #[track_caller]
    pub fn cumsum(self, axis: isize) -> Var<'t> {
        self.check();
        let value = nt::cumsum(&self.value(), axis);
        Var::record(&[self], value, Op::Cumsum(self.index, axis))
    }

    /// The largest value along `axis` and its index, for each position of the other axes
    /// (PyTorch's `x.max(dim, keepdim)`): the gradient goes to that index (the first maximum).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([2, 2], vec![1., 5., 7., 2.]).unwrap());
    /// let (values, indices) = x.max_dim(-1, true);
    /// assert_eq!(values.shape(), vec![2, 1]);
    /// assert_eq!(indices, vec![1, 0]);
    /// assert_eq!(values.sum().backward().wrt(x).unwrap().to_vec(), vec![0., 1., 1., 0.]);
    /// ```
    #[track_caller]
    pub fn max_dim(self, axis: isize, keepdim: bool) -> (Var<'t>, Vec<usize>) {
        self.check();
        let axis = nt::normalize_axis("max_dim", self.value().ndim(), axis);
        let indices = nt::argmax_axis(&self.value(), axis);
        let values = self.max_axis(axis);
        (keep_axis(values, axis, keepdim), indices)
    }

    /// The smallest value along `axis` and its index (PyTorch's `x.min(dim, keepdim)`): the
    /// gradient goes to that index (the first minimum).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([3], vec![4., 1., 1.]).unwrap());
    /// let (value, index) = x.min_dim(0, false);
    /// assert_eq!((value.item(), index), (1.0, vec![1]));
    /// assert_eq!(value.backward().wrt(x).unwrap().to_vec(), vec![0., 1., 0.]);
    /// ```
    #[track_caller]
    pub fn min_dim(self, axis: isize, keepdim: bool) -> (Var<'t>, Vec<usize>) {
        let (values, indices) = (-self).max_dim(axis, keepdim);
        (-values, indices)
    }

    /// The index of the largest value along `axis` (the first on ties), for each position of the
    /// other axes in row-major order (PyTorch's `argmax(dim)`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.constant(nntensor::Tensor::from_vec([2, 3], vec![0., 5., 1., 9., 2., 9.]).unwrap());
    /// assert_eq!(x.argmax(-1), vec![1, 0]);
    /// ```
    #[track_caller]
    pub fn argmax(self, axis: isize) -> Vec<usize> {
        let value = self.value();
        let axis = nt::normalize_axis("argmax", value.ndim(), axis);
        nt::argmax_axis(&value, axis)
    }

    /// The index of the smallest value along `axis` (the first on ties; PyTorch's
    /// `argmin(dim)`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.constant(nntensor::Tensor::from_vec([3], vec![4., 1., 1.]).unwrap());
    /// assert_eq!(x.argmin(0), vec![1]);
    /// ```
    #[track_caller]
    pub fn argmin(self, axis: isize) -> Vec<usize> {
        let value = self.value();
        let axis = nt::normalize_axis("argmin", value.ndim(), axis);
        nt::argmax_axis(&nt::neg(&value), axis)
    }
}

/// `v` (reduced over `axis`) with that axis put back with size 1 when `keepdim`.
#[track_caller]
fn keep_axis(v: Var<'_>, axis: usize, keepdim: bool) -> Var<'_> {
    if !keepdim {
        return v;
    }
    let mut shape = v.shape();
    shape.insert(axis, 1);
    v.reshape(&shape)
}
