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
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([4], vec![1., 2., 3., 6.]).unwrap());
    /// let m = x.mean();
    /// assert_eq!(m.item(), 3.0);
    /// assert_eq!(m.backward().wrt(x).unwrap().to_vec(), vec![0.25; 4]);
    /// ```
    #[track_caller]
    pub fn mean(self) -> Var<'t> {
        self.check();
        self.map_unary(nt::mean_all, Op::MeanAll(self.index))
    }

    /// Largest element (a 0-dimensional result); the gradient goes to the first largest element.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([3], vec![1., 7., 7.]).unwrap());
    /// let m = x.max();
    /// assert_eq!(m.item(), 7.0);
    /// assert_eq!(m.backward().wrt(x).unwrap().to_vec(), vec![0., 1., 0.]);
    /// ```
    #[track_caller]
    pub fn max(self) -> Var<'t> {
        self.check();
        let value = nt::max_all(&self.value());
        Var::record(&[self], value, Op::MaxAll(self.index))
    }

    /// Sum over `axis`, removing it.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([2, 2], vec![1., 2., 3., 4.]).unwrap());
    /// let s = x.sum_axis(0);
    /// assert_eq!(s.to_tensor().to_vec(), vec![4., 6.]);
    /// assert_eq!(s.sum().backward().wrt(x).unwrap().to_vec(), vec![1.; 4]);
    /// ```
    #[track_caller]
    pub fn sum_axis(self, axis: usize) -> Var<'t> {
        self.check();
        let value = nt::sum_axis(&self.value(), axis);
        Var::record(&[self], value, Op::SumAxis(self.index, axis))
    }

    /// Mean over `axis`, removing it.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([2, 2], vec![1., 2., 3., 4.]).unwrap());
    /// let m = x.mean_axis(1);
    /// assert_eq!(m.to_tensor().to_vec(), vec![1.5, 3.5]);
    /// assert_eq!(m.sum().backward().wrt(x).unwrap().to_vec(), vec![0.5; 4]);
    /// ```
    #[track_caller]
    pub fn mean_axis(self, axis: usize) -> Var<'t> {
        self.check();
        let value = nt::mean_axis(&self.value(), axis);
        Var::record(&[self], value, Op::MeanAxis(self.index, axis))
    }

    /// Maximum over `axis`, removing it; the gradient goes to the first largest element of each lane.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([2, 2], vec![1., 4., 3., 2.]).unwrap());
    /// let m = x.max_axis(1);
    /// assert_eq!(m.to_tensor().to_vec(), vec![4., 3.]);
    /// assert_eq!(m.sum().backward().wrt(x).unwrap().to_vec(), vec![0., 1., 1., 0.]);
    /// ```
    #[track_caller]
    pub fn max_axis(self, axis: usize) -> Var<'t> {
        self.check();
        let value = nt::max_axis(&self.value(), axis);
        Var::record(&[self], value, Op::MaxAxis(self.index, axis))
    }

    /// Stable softmax along `axis`.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::zeros([1, 2]));
    /// let p = x.softmax(1);
    /// assert_eq!(p.to_tensor().to_vec(), vec![0.5, 0.5]);
    /// // The outputs always sum to 1, so a uniform push changes nothing.
    /// assert_eq!(p.sum().backward().wrt(x).unwrap().to_vec(), vec![0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn softmax(self, axis: usize) -> Var<'t> {
        self.check();
        let value = nt::softmax(&self.value(), axis);
        Var::record(&[self], value, Op::Softmax(self.index, axis))
    }

    /// Stable log-softmax along `axis`.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::zeros([1, 2]));
    /// let l = x.log_softmax(1);
    /// assert!((l.to_tensor()[[0, 0]] - 0.5f32.ln()).abs() < 1e-7);
    /// assert_eq!(l.sum().backward().wrt(x).unwrap().to_vec(), vec![0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn log_softmax(self, axis: usize) -> Var<'t> {
        self.check();
        let value = nt::log_softmax(&self.value(), axis);
        Var::record(&[self], value, Op::LogSoftmax(self.index, axis))
    }
}
