//! Activation functions beyond ReLU and sigmoid: GELU, SiLU, ELU, SELU, softsign, log-sigmoid
//! and hardtanh.

use crate::Var;
use nntensor::UnaryOp;

impl<'t> Var<'t> {
    /// GELU, exact: `½x·(1 + erf(x/√2))` (PyTorch's `F.gelu`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(0.0));
    /// let y = x.gelu();
    /// assert_eq!(y.item(), 0.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 0.5);
    /// ```
    #[track_caller]
    pub fn gelu(self) -> Var<'t> {
        self.unary_op(UnaryOp::Gelu)
    }

    /// GELU, tanh approximation (PyTorch's `F.gelu(x, approximate="tanh")`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(0.0));
    /// let y = x.gelu_tanh();
    /// assert_eq!(y.item(), 0.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 0.5);
    /// ```
    #[track_caller]
    pub fn gelu_tanh(self) -> Var<'t> {
        self.unary_op(UnaryOp::GeluTanh)
    }

    /// SiLU (swish): `x·σ(x)` (PyTorch's `F.silu`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(0.0));
    /// let y = x.silu();
    /// assert_eq!(y.item(), 0.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 0.5);
    /// ```
    #[track_caller]
    pub fn silu(self) -> Var<'t> {
        self.unary_op(UnaryOp::Silu)
    }

    /// SELU: `λ·x` where positive, `λα·(eˣ − 1)` elsewhere (PyTorch's `F.selu`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(1.0));
    /// let y = x.selu();
    /// assert_eq!(y.item(), 1.050_701);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 1.050_701);
    /// ```
    #[track_caller]
    pub fn selu(self) -> Var<'t> {
        self.unary_op(UnaryOp::Selu)
    }

    /// `x / (1 + |x|)` (PyTorch's `F.softsign`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(1.0));
    /// let y = x.softsign();
    /// assert_eq!(y.item(), 0.5);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 0.25);
    /// ```
    #[track_caller]
    pub fn softsign(self) -> Var<'t> {
        self.unary_op(UnaryOp::Softsign)
    }

    /// `ln σ(x)`, stable for any input (PyTorch's `F.logsigmoid`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(0.0));
    /// let y = x.log_sigmoid();
    /// assert_eq!(y.item(), -std::f32::consts::LN_2);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 0.5);
    /// ```
    #[track_caller]
    pub fn log_sigmoid(self) -> Var<'t> {
        self.unary_op(UnaryOp::LogSigmoid)
    }

    /// ELU: `self` where positive, `alpha·(e^self − 1)` elsewhere (PyTorch's `F.elu`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(0.0));
    /// let y = x.elu(1.0);
    /// assert_eq!(y.item(), 0.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 1.0); // alpha·e⁰ at 0
    /// ```
    #[track_caller]
    pub fn elu(self, alpha: f32) -> Var<'t> {
        self.unary_op(UnaryOp::Elu(alpha))
    }

    /// Clamps into `[min, max]`; the gradient passes only strictly inside (PyTorch's
    /// `F.hardtanh`). Panics if `min > max`.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([3], vec![-2.0, 0.5, 1.0]).unwrap());
    /// let y = x.hardtanh(-1.0, 1.0);
    /// assert_eq!(y.to_tensor().to_vec(), vec![-1.0, 0.5, 1.0]);
    /// assert_eq!(y.sum().backward().wrt(x).unwrap().to_vec(), vec![0.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn hardtanh(self, min: f32, max: f32) -> Var<'t> {
        self.unary_op(UnaryOp::Hardtanh { min, max })
    }
}
