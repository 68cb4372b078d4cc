//! Elementwise ops: broadcasting arithmetic, scalar arithmetic and activations.

use crate::op::Op;
use crate::Var;
use nntensor::{self as nt, BinaryOp, Tensor, UnaryOp};

impl<'t> Var<'t> {
    /// `self ∘ other` elementwise with NumPy broadcasting; the operators call this.
    #[track_caller]
    pub(crate) fn broadcast_op(self, other: Var<'t>, op: BinaryOp) -> Var<'t> {
        self.check_pair(&other, op.name());
        let value = nt::binary(op, &self.value(), &other.value());
        if op.is_comparison() {
            // A mask: no gradient flows through a comparison.
            return self.tape.constant(value);
        }
        let (a, b) = (self.index, other.index);
        let node = match op {
            BinaryOp::Add => Op::Add(a, b),
            BinaryOp::Sub => Op::Sub(a, b),
            BinaryOp::Mul => Op::Mul(a, b),
            BinaryOp::Div => Op::Div(a, b),
            other_op => Op::Binary(a, b, other_op),
        };
        Var::record(&[self, other], value, node)
    }

    /// Records `op(self)`, an elementwise map, as one node.
    #[track_caller]
    pub(crate) fn unary_op(self, op: UnaryOp) -> Var<'t> {
        self.check();
        let value = nt::unary(op, &self.value());
        Var::record(&[self], value, Op::Unary(self.index, op))
    }

    /// `self + s` for a number `s`.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(2.0));
    /// let y = x.add_scalar(3.0);
    /// assert_eq!(y.item(), 5.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 1.0);
    /// ```
    #[track_caller]
    pub fn add_scalar(self, s: f32) -> Var<'t> {
        self.check();
        self.unary_op(UnaryOp::AddScalar(s))
    }

    /// `self · s` for a number `s`.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(2.0));
    /// let g = x.mul_scalar(3.0).backward();
    /// assert_eq!(g.wrt(x).unwrap()[[]], 3.0);
    /// ```
    #[track_caller]
    pub fn mul_scalar(self, s: f32) -> Var<'t> {
        self.check();
        self.unary_op(UnaryOp::MulScalar(s))
    }

    /// `self / s` for a number `s` (a true division, not a multiplication by `1/s`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(3.0));
    /// let y = x.div_scalar(2.0);
    /// assert_eq!(y.item(), 1.5);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 0.5);
    /// ```
    #[track_caller]
    pub fn div_scalar(self, s: f32) -> Var<'t> {
        self.check();
        self.unary_op(UnaryOp::DivScalar(s))
    }

    /// `-self`: the unary `-` operator.
    #[track_caller]
    pub(crate) fn neg_var(self) -> Var<'t> {
        self.check();
        self.unary_op(UnaryOp::Neg)
    }

    /// `e^self`.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(0.0));
    /// let y = x.exp();
    /// assert_eq!(y.item(), 1.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 1.0); // eˣ
    /// ```
    #[track_caller]
    pub fn exp(self) -> Var<'t> {
        self.check();
        self.unary_op(UnaryOp::Exp)
    }

    /// Natural logarithm.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(2.0));
    /// let y = x.log();
    /// assert_eq!(y.item(), 2f32.ln());
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 0.5); // 1/x
    /// ```
    #[track_caller]
    pub fn log(self) -> Var<'t> {
        self.check();
        self.unary_op(UnaryOp::Log)
    }

    /// Square root.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(4.0));
    /// let y = x.sqrt();
    /// assert_eq!(y.item(), 2.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 0.25); // 1/(2√x)
    /// ```
    #[track_caller]
    pub fn sqrt(self) -> Var<'t> {
        self.check();
        self.unary_op(UnaryOp::Sqrt)
    }

    /// `self^n` for an integer `n` (`x^0` has gradient 0 everywhere, as in PyTorch).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(3.0));
    /// let y = x.powi(2);
    /// assert_eq!(y.item(), 9.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 6.0); // 2x
    /// ```
    #[track_caller]
    pub fn powi(self, n: i32) -> Var<'t> {
        self.check();
        self.unary_op(UnaryOp::Powi(n))
    }

    /// `self^p` for a real `p` (`x^0` has gradient 0 everywhere, as in PyTorch).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(4.0));
    /// let y = x.powf(0.5);
    /// assert_eq!(y.item(), 2.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 0.25); // ½·x^(−½)
    /// ```
    #[track_caller]
    pub fn powf(self, p: f32) -> Var<'t> {
        self.check();
        self.unary_op(UnaryOp::Powf(p))
    }

    /// `|self|` (gradient 0 at 0, as in PyTorch).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([3], vec![-2., 0., 3.]).unwrap());
    /// let y = x.abs();
    /// assert_eq!(y.to_tensor().to_vec(), vec![2., 0., 3.]);
    /// assert_eq!(y.sum().backward().wrt(x).unwrap().to_vec(), vec![-1., 0., 1.]);
    /// ```
    #[track_caller]
    pub fn abs(self) -> Var<'t> {
        self.check();
        self.unary_op(UnaryOp::Abs)
    }

    /// Logistic sigmoid, stable for any input.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(0.0));
    /// let y = x.sigmoid();
    /// assert_eq!(y.item(), 0.5);
    /// assert_eq!(y.backward().wrt(x).unwrap()[[]], 0.25); // σ(1 − σ)
    /// ```
    #[track_caller]
    pub fn sigmoid(self) -> Var<'t> {
        self.check();
        self.unary_op(UnaryOp::Sigmoid)
    }

    /// Hyperbolic tangent.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(0.0));
    /// let y = x.tanh();
    /// assert_eq!(y.item(), 0.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 1.0); // 1 − tanh²
    /// ```
    #[track_caller]
    pub fn tanh(self) -> Var<'t> {
        self.check();
        self.unary_op(UnaryOp::Tanh)
    }

    /// `max(self, 0)` (gradient 0 at 0, as in PyTorch).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([2], vec![-1., 2.]).unwrap());
    /// let y = x.relu();
    /// assert_eq!(y.to_tensor().to_vec(), vec![0., 2.]);
    /// assert_eq!(y.sum().backward().wrt(x).unwrap().to_vec(), vec![0., 1.]);
    /// ```
    #[track_caller]
    pub fn relu(self) -> Var<'t> {
        self.check();
        self.unary_op(UnaryOp::Relu)
    }

    /// `ln(1 + e^self)`, stable for any input; its derivative is `sigmoid(self)`.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(0.0));
    /// let g = x.softplus().backward();
    /// assert_eq!(g.wrt(x).unwrap()[[]], 0.5);
    /// ```
    #[track_caller]
    pub fn softplus(self) -> Var<'t> {
        self.check();
        self.unary_op(UnaryOp::Softplus)
    }

    /// `self` where positive, `slope · self` elsewhere.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([2], vec![-1., 2.]).unwrap());
    /// let y = x.leaky_relu(0.1);
    /// assert_eq!(y.to_tensor().to_vec(), vec![-0.1, 2.]);
    /// assert_eq!(y.sum().backward().wrt(x).unwrap().to_vec(), vec![0.1, 1.]);
    /// ```
    #[track_caller]
    pub fn leaky_relu(self, slope: f32) -> Var<'t> {
        self.check();
        self.unary_op(UnaryOp::LeakyRelu(slope))
    }

    /// Clamps into `[min, max]`; the gradient passes where `min ≤ x ≤ max` (as in PyTorch).
    /// Panics if `min > max`.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([3], vec![-2., 0.5, 3.]).unwrap());
    /// let y = x.clamp(0.0, 1.0);
    /// assert_eq!(y.to_tensor().to_vec(), vec![0., 0.5, 1.]);
    /// assert_eq!(y.sum().backward().wrt(x).unwrap().to_vec(), vec![0., 1., 0.]);
    /// ```
    #[track_caller]
    pub fn clamp(self, min: f32, max: f32) -> Var<'t> {
        self.check();
        let value = nt::clamp(&self.value(), min, max);
        Var::record(
            &[self],
            value,
            Op::Unary(self.index, UnaryOp::Clamp { min, max }),
        )
    }

    /// The same value, cut off from the graph: no gradient flows back through it.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(3.0));
    /// let y = x * x.detach(); // the detached factor counts as a constant
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 3.0);
    /// ```
    #[track_caller]
    pub fn detach(self) -> Var<'t> {
        self.check();
        let value: Tensor = self.to_tensor();
        self.tape.constant(value)
    }
}
