//! Elementwise maths functions beyond the basic ones: trigonometry, `log1p`/`expm1`, powers
//! and reciprocals, `sign` and `erf`.

use crate::Var;
use nntensor::UnaryOp;

impl<'t> Var<'t> {
    /// `sin self`; its derivative is `cos self`.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(0.0));
    /// let y = x.sin();
    /// assert_eq!(y.item(), 0.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 1.0);
    /// ```
    #[track_caller]
    pub fn sin(self) -> Var<'t> {
        self.unary_op(UnaryOp::Sin)
    }

    /// `cos self`; its derivative is `−sin self`.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(0.0));
    /// let y = x.cos();
    /// assert_eq!(y.item(), 1.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 0.0);
    /// ```
    #[track_caller]
    pub fn cos(self) -> Var<'t> {
        self.unary_op(UnaryOp::Cos)
    }

    /// `ln(1 + self)`, accurate for small values; its derivative is `1/(1 + self)`.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(1.0));
    /// let y = x.log1p();
    /// assert_eq!(y.item(), std::f32::consts::LN_2);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 0.5);
    /// ```
    #[track_caller]
    pub fn log1p(self) -> Var<'t> {
        self.unary_op(UnaryOp::Log1p)
    }

    /// `e^self − 1`, accurate for small values; its derivative is `e^self`.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(0.0));
    /// let y = x.expm1();
    /// assert_eq!(y.item(), 0.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 1.0);
    /// ```
    #[track_caller]
    pub fn expm1(self) -> Var<'t> {
        self.unary_op(UnaryOp::Expm1)
    }

    /// `1/√self`; its derivative is `−½·self^(−3/2)`.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(4.0));
    /// let y = x.rsqrt();
    /// assert_eq!(y.item(), 0.5);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), -0.0625);
    /// ```
    #[track_caller]
    pub fn rsqrt(self) -> Var<'t> {
        self.unary_op(UnaryOp::Rsqrt)
    }

    /// `1/self`; its derivative is `−1/self²`.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(2.0));
    /// let y = x.reciprocal();
    /// assert_eq!(y.item(), 0.5);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), -0.25);
    /// ```
    #[track_caller]
    pub fn reciprocal(self) -> Var<'t> {
        self.unary_op(UnaryOp::Reciprocal)
    }

    /// `self²`; its derivative is `2·self`.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(3.0));
    /// let y = x.square();
    /// assert_eq!(y.item(), 9.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 6.0);
    /// ```
    #[track_caller]
    pub fn square(self) -> Var<'t> {
        self.unary_op(UnaryOp::Square)
    }

    /// −1, 0 or 1 by the sign of each element; no gradient flows (it is 0 everywhere, as in PyTorch).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(-2.0));
    /// let y = x.sign();
    /// assert_eq!(y.item(), -1.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), 0.0);
    /// ```
    #[track_caller]
    pub fn sign(self) -> Var<'t> {
        self.unary_op(UnaryOp::Sign)
    }

    /// The error function; its derivative is `2/√π · e^(−self²)`.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(0.0));
    /// let y = x.erf();
    /// assert_eq!(y.item(), 0.0);
    /// assert_eq!(y.backward().wrt(x).unwrap().item(), std::f32::consts::FRAC_2_SQRT_PI);
    /// ```
    #[track_caller]
    pub fn erf(self) -> Var<'t> {
        self.unary_op(UnaryOp::Erf)
    }
}
