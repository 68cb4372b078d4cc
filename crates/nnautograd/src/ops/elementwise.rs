//! Elementwise ops: broadcasting arithmetic, scalar arithmetic and activations.

use crate::op::Op;
use crate::Var;
use nntensor::{self as nt, Tensor};

impl<'t> Var<'t> {
    /// `self ∘ other` elementwise with NumPy broadcasting; the operators call this.
    #[track_caller]
    pub(crate) fn broadcast_op(
        self,
        other: Var<'t>,
        name: &str,
        f: fn(f32, f32) -> f32,
        op: Op,
    ) -> Var<'t> {
        self.check_pair(&other, name);
        let value = nt::zip_broadcast(name, &self.value(), &other.value(), f);
        Var::record(&[self, other], value, op)
    }

    /// `self + s` for a number `s`.
    #[track_caller]
    pub fn add_scalar(self, s: f32) -> Var<'t> {
        self.check();
        self.map_unary(|a| a.mapv(|x| x + s), Op::AddScalar(self.index))
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
        self.map_unary(|a| a.mapv(|x| x * s), Op::MulScalar(self.index, s))
    }

    /// `self / s` for a number `s` (a true division, not a multiplication by `1/s`).
    #[track_caller]
    pub fn div_scalar(self, s: f32) -> Var<'t> {
        self.check();
        self.map_unary(|a| a.mapv(|x| x / s), Op::DivScalar(self.index, s))
    }

    /// `-self`: the unary `-` operator.
    #[track_caller]
    pub(crate) fn neg_var(self) -> Var<'t> {
        self.check();
        self.map_unary(nt::neg, Op::Neg(self.index))
    }

    /// `e^self`.
    #[track_caller]
    pub fn exp(self) -> Var<'t> {
        self.check();
        self.map_unary(nt::exp, Op::Exp(self.index))
    }

    /// Natural logarithm.
    #[track_caller]
    pub fn log(self) -> Var<'t> {
        self.check();
        self.map_unary(nt::log, Op::Log(self.index))
    }

    /// Square root.
    #[track_caller]
    pub fn sqrt(self) -> Var<'t> {
        self.check();
        self.map_unary(nt::sqrt, Op::Sqrt(self.index))
    }

    /// `self^n` for an integer `n` (`x^0` has gradient 0 everywhere, as in PyTorch).
    #[track_caller]
    pub fn powi(self, n: i32) -> Var<'t> {
        self.check();
        self.map_unary(|a| nt::powi(a, n), Op::Powi(self.index, n))
    }

    /// `self^p` for a real `p` (`x^0` has gradient 0 everywhere, as in PyTorch).
    #[track_caller]
    pub fn powf(self, p: f32) -> Var<'t> {
        self.check();
        self.map_unary(|a| nt::powf(a, p), Op::Powf(self.index, p))
    }

    /// `|self|` (gradient 0 at 0, as in PyTorch).
    #[track_caller]
    pub fn abs(self) -> Var<'t> {
        self.check();
        self.map_unary(nt::abs, Op::Abs(self.index))
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
        self.map_unary(nt::sigmoid, Op::Sigmoid(self.index))
    }

    /// Hyperbolic tangent.
    #[track_caller]
    pub fn tanh(self) -> Var<'t> {
        self.check();
        self.map_unary(nt::tanh, Op::Tanh(self.index))
    }

    /// `max(self, 0)` (gradient 0 at 0, as in PyTorch).
    #[track_caller]
    pub fn relu(self) -> Var<'t> {
        self.check();
        self.map_unary(nt::relu, Op::Relu(self.index))
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
        self.map_unary(nt::softplus, Op::Softplus(self.index))
    }

    /// `self` where positive, `slope · self` elsewhere.
    #[track_caller]
    pub fn leaky_relu(self, slope: f32) -> Var<'t> {
        self.check();
        self.map_unary(
            |a| nt::leaky_relu(a, slope),
            Op::LeakyRelu(self.index, slope),
        )
    }

    /// Clamps into `[min, max]`; the gradient passes where `min ≤ x ≤ max` (as in PyTorch).
    /// Panics if `min > max`.
    #[track_caller]
    pub fn clamp(self, min: f32, max: f32) -> Var<'t> {
        self.check();
        let value = nt::clamp(&self.value(), min, max);
        Var::record(&[self], value, Op::Clamp(self.index, min, max))
    }

    /// The same value, cut off from the graph: no gradient flows back through it.
    #[track_caller]
    pub fn detach(self) -> Var<'t> {
        self.check();
        let value: Tensor = self.to_tensor();
        self.tape.constant(value)
    }
}
