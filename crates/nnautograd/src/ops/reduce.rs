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
    /// assert!(s.backward().wrt(x).unwrap().values().iter().all(|&g| g == 1.0));
    /// ```
    #[track_caller]
    pub fn sum(self) -> Var<'t> {
        self.check();
        self.map_unary(nt::sum_all, Op::SumAll(self.index))
    }

    /// Mean of all elements (a 0-dimensional result).
    #[track_caller]
    pub fn mean(self) -> Var<'t> {
        self.check();
        self.map_unary(nt::mean_all, Op::MeanAll(self.index))
    }

    /// Largest element (a 0-dimensional result); the gradient goes to the first largest element.
    #[track_caller]
    pub fn max(self) -> Var<'t> {
        self.check();
        let value = nt::max_all(&self.value());
        Var::record(&[self], value, Op::MaxAll(self.index))
    }

    /// Sum over `axis`, removing it.
    #[track_caller]
    pub fn sum_axis(self, axis: usize) -> Var<'t> {
        self.check();
        let value = nt::sum_axis(&self.value(), axis);
        Var::record(&[self], value, Op::SumAxis(self.index, axis))
    }

    /// Mean over `axis`, removing it.
    #[track_caller]
    pub fn mean_axis(self, axis: usize) -> Var<'t> {
        self.check();
        let value = nt::mean_axis(&self.value(), axis);
        Var::record(&[self], value, Op::MeanAxis(self.index, axis))
    }

    /// Maximum over `axis`, removing it; the gradient goes to the first largest element of each lane.
    #[track_caller]
    pub fn max_axis(self, axis: usize) -> Var<'t> {
        self.check();
        let value = nt::max_axis(&self.value(), axis);
        Var::record(&[self], value, Op::MaxAxis(self.index, axis))
    }

    /// Stable softmax along `axis`.
    #[track_caller]
    pub fn softmax(self, axis: usize) -> Var<'t> {
        self.check();
        let value = nt::softmax(&self.value(), axis);
        Var::record(&[self], value, Op::Softmax(self.index, axis))
    }

    /// Stable log-softmax along `axis`.
    #[track_caller]
    pub fn log_softmax(self, axis: usize) -> Var<'t> {
        self.check();
        let value = nt::log_softmax(&self.value(), axis);
        Var::record(&[self], value, Op::LogSoftmax(self.index, axis))
    }
}
