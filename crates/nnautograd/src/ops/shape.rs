//! Shape ops: reshape, transpose, and taking rows along the batch axis.

use crate::op::Op;
use crate::Var;
use nntensor as nt;

impl<'t> Var<'t> {
    /// The same values in a new shape with as many elements.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([2, 2], vec![1., 2., 3., 4.]).unwrap());
    /// let y = x.reshape(&[4]);
    /// assert_eq!(y.shape(), vec![4]);
    /// let g = (y * tape.constant(nntensor::Tensor::from_vec([4], vec![1., 2., 3., 4.]).unwrap())).sum().backward();
    /// assert_eq!(g.wrt(x).unwrap().shape(), &[2, 2]);
    /// assert_eq!(g.wrt(x).unwrap().to_vec(), vec![1., 2., 3., 4.]);
    /// ```
    #[track_caller]
    pub fn reshape(self, shape: &[usize]) -> Var<'t> {
        self.check();
        let value = nt::reshape(&self.value(), shape);
        Var::record(&[self], value, Op::Reshape(self.index))
    }

    /// Reverses the order of the axes, like NumPy's `.T` (the matrix transpose for 2-D).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([1, 2], vec![1., 2.]).unwrap());
    /// let y = x.transpose();
    /// assert_eq!(y.shape(), vec![2, 1]);
    /// let w = tape.constant(nntensor::Tensor::from_vec([2, 1], vec![3., 4.]).unwrap());
    /// assert_eq!((y * w).sum().backward().wrt(x).unwrap().to_vec(), vec![3., 4.]);
    /// ```
    #[track_caller]
    pub fn transpose(self) -> Var<'t> {
        self.check();
        self.map_unary(nt::transpose, Op::Transpose(self.index))
    }

    /// Rows `start..end` of the first axis.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([3, 1], vec![1., 2., 3.]).unwrap());
    /// let y = x.slice_rows(1, 3);
    /// assert_eq!(y.to_tensor().to_vec(), vec![2., 3.]);
    /// assert_eq!(y.sum().backward().wrt(x).unwrap().to_vec(), vec![0., 1., 1.]);
    /// ```
    #[track_caller]
    pub fn slice_rows(self, start: usize, end: usize) -> Var<'t> {
        self.check();
        let value = nt::slice_rows(&self.value(), start, end);
        Var::record(&[self], value, Op::SliceRows(self.index, start))
    }

    /// The rows `indices` of the first axis (repeats allowed; their gradients add up).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec(vec![2, 1], vec![5.0, 7.0]).unwrap());
    /// let g = x.gather_rows(&[1, 1, 0]).sum().backward();
    /// assert_eq!(g.wrt(x).unwrap().as_slice().unwrap(), &[1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn gather_rows(self, indices: &[usize]) -> Var<'t> {
        self.check();
        let value = nt::gather_rows(&self.value(), indices);
        // Keep the indices only when backward will need them.
        let op = if Var::needs_grad(&[self]) {
            Op::GatherRows(self.index, indices.to_vec())
        } else {
            Op::Leaf
        };
        Var::record(&[self], value, op)
    }
}
