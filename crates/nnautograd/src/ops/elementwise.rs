//! Elementwise ops: broadcasting arithmetic, scalar arithmetic and activations.

use crate::op::Op;
use crate::Var;
use nntensor as nt;

impl<'t> Var<'t> {
    /// `self + other` with NumPy broadcasting: the `+` operator.
    #[track_caller]
    pub(crate) fn add_var(self, other: Var<'t>) -> Var<'t> {
        self.binary(
            other,
            "add",
            |a, b| nt::zip_broadcast("add", a, b, |x, y| x + y),
            Op::Add,
        )
    }

    /// `self - other` with NumPy broadcasting (also the `-` operator).
    #[track_caller]
    pub(crate) fn sub_var(self, other: Var<'t>) -> Var<'t> {
        self.binary(
            other,
            "sub",
            |a, b| nt::zip_broadcast("sub", a, b, |x, y| x - y),
            Op::Sub,
        )
    }

    /// `self * other` elementwise with NumPy broadcasting (also the `*` operator).
    #[track_caller]
    pub(crate) fn mul_var(self, other: Var<'t>) -> Var<'t> {
        self.binary(
            other,
            "mul",
            |a, b| nt::zip_broadcast("mul", a, b, |x, y| x * y),
            Op::Mul,
        )
    }

    /// `self / other` elementwise with NumPy broadcasting (also the `/` operator).
    #[track_caller]
    pub(crate) fn div_var(self, other: Var<'t>) -> Var<'t> {
        self.binary(
            other,
            "div",
            |a, b| nt::zip_broadcast("div", a, b, |x, y| x / y),
            Op::Div,
        )
    }

    /// `self + s` for a number `s`.
    #[track_caller]
    pub fn add_scalar(self, s: f32) -> Var<'t> {
        self.unary(|a| a.mapv(|x| x + s), Op::AddScalar)
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
        self.unary(|a| a.mapv(|x| x * s), |i| Op::MulScalar(i, s))
    }

    /// `-self` (also the unary `-` operator).
    #[track_caller]
    pub(crate) fn neg_var(self) -> Var<'t> {
        self.unary(nt::neg, Op::Neg)
    }

    /// `e^self`.
    #[track_caller]
    pub fn exp(self) -> Var<'t> {
        self.unary(nt::exp, Op::Exp)
    }

    /// Natural logarithm.
    #[track_caller]
    pub fn log(self) -> Var<'t> {
        self.unary(nt::log, Op::Log)
    }

    /// Square root.
    #[track_caller]
    pub fn sqrt(self) -> Var<'t> {
        self.unary(nt::sqrt, Op::Sqrt)
    }

    /// `self^n` for an integer `n`.
    #[track_caller]
    pub fn powi(self, n: i32) -> Var<'t> {
        self.unary(|a| nt::powi(a, n), |i| Op::Powi(i, n))
    }

    /// `self^p` for a real `p`.
    #[track_caller]
    pub fn powf(self, p: f32) -> Var<'t> {
        self.unary(|a| nt::powf(a, p), |i| Op::Powf(i, p))
    }

    /// `|self|` (gradient 0 at 0, as in PyTorch).
    #[track_caller]
    pub fn abs(self) -> Var<'t> {
        self.unary(nt::abs, Op::Abs)
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
        self.unary(nt::sigmoid, Op::Sigmoid)
    }

    /// Hyperbolic tangent.
    #[track_caller]
    pub fn tanh(self) -> Var<'t> {
        self.unary(nt::tanh, Op::Tanh)
    }

    /// `max(self, 0)` (gradient 0 at 0, as in PyTorch).
    #[track_caller]
    pub fn relu(self) -> Var<'t> {
        self.unary(nt::relu, Op::Relu)
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
        self.unary(nt::softplus, Op::Softplus)
    }

    /// `self` where positive, `slope · self` elsewhere.
    #[track_caller]
    pub fn leaky_relu(self, slope: f32) -> Var<'t> {
        self.unary(|a| nt::leaky_relu(a, slope), |i| Op::LeakyRelu(i, slope))
    }

    /// Clamps into `[min, max]`; the gradient passes where `min ≤ x ≤ max` (as in PyTorch).
    #[track_caller]
    pub fn clamp(self, min: f32, max: f32) -> Var<'t> {
        self.unary(|a| nt::clamp(a, min, max), |i| Op::Clamp(i, min, max))
    }

    /// The same value, cut off from the graph: no gradient flows back through it.
    #[track_caller]
    pub fn detach(self) -> Var<'t> {
        self.check();
        let value = self.to_tensor();
        self.tape.constant(value)
    }
}
