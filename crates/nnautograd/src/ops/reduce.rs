//! Reductions and softmax.

use crate::op::Op;
use crate::Var;
use nntensor as nt;

impl<'t> Var<'t> {
    /// Sum of all elements (a 0-dimensional result).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::ones(vec![2, 3]));
    /// let s = x.sum();
    /// assert_eq!(s.item(), 6.0);
    /// assert!(s.backward().wrt(x).unwrap().iter().all(|&g| g == 1.0));
    /// ```
    #[track_caller]
    pub fn sum(self) -> Var<'t> {
        self.unary(nt::sum_all, Op::SumAll)
    }

    /// Mean of all elements (a 0-dimensional result).
    #[track_caller]
    pub fn mean(self) -> Var<'t> {
        self.unary(nt::mean_all, Op::MeanAll)
    }

    /// Largest element (a 0-dimensional result); the gradient goes to the first largest element.
    #[track_caller]
    pub fn max(self) -> Var<'t> {
        self.unary(nt::max_all, Op::MaxAll)
    }

    /// Sum over `axis`, removing it.
    #[track_caller]
    pub fn sum_axis(self, axis: usize) -> Var<'t> {
        self.unary(|a| nt::sum_axis(a, axis), |i| Op::SumAxis(i, axis))
    }

    /// Mean over `axis`, removing it.
    #[track_caller]
    pub fn mean_axis(self, axis: usize) -> Var<'t> {
        self.unary(|a| nt::mean_axis(a, axis), |i| Op::MeanAxis(i, axis))
    }

    /// Maximum over `axis`, removing it; the gradient goes to the first largest element of each lane.
    #[track_caller]
    pub fn max_axis(self, axis: usize) -> Var<'t> {
        self.unary(|a| nt::max_axis(a, axis), |i| Op::MaxAxis(i, axis))
    }

    /// Stable softmax along `axis`.
    #[track_caller]
    pub fn softmax(self, axis: usize) -> Var<'t> {
        self.unary(|a| nt::softmax(a, axis), |i| Op::Softmax(i, axis))
    }

    /// Stable log-softmax along `axis`.
    #[track_caller]
    pub fn log_softmax(self, axis: usize) -> Var<'t> {
        self.unary(|a| nt::log_softmax(a, axis), |i| Op::LogSoftmax(i, axis))
    }
}
