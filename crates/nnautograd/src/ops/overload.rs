//! Operator overloading, so `a * b + c` and `x * 2.0` need no `&`, `?` or method calls.

use crate::Var;
use std::ops::{Add, Div, Mul, Neg, Sub};

impl<'t> Add for Var<'t> {
    type Output = Var<'t>;
    #[track_caller]
    fn add(self, rhs: Var<'t>) -> Var<'t> {
        self.broadcast_op(rhs, nntensor::BinaryOp::Add)
    }
}

impl<'t> Sub for Var<'t> {
    type Output = Var<'t>;
    #[track_caller]
    fn sub(self, rhs: Var<'t>) -> Var<'t> {
        self.broadcast_op(rhs, nntensor::BinaryOp::Sub)
    }
}

impl<'t> Mul for Var<'t> {
    type Output = Var<'t>;
    #[track_caller]
    fn mul(self, rhs: Var<'t>) -> Var<'t> {
        self.broadcast_op(rhs, nntensor::BinaryOp::Mul)
    }
}

impl<'t> Div for Var<'t> {
    type Output = Var<'t>;
    #[track_caller]
    fn div(self, rhs: Var<'t>) -> Var<'t> {
        self.broadcast_op(rhs, nntensor::BinaryOp::Div)
    }
}

impl<'t> Neg for Var<'t> {
    type Output = Var<'t>;
    #[track_caller]
    fn neg(self) -> Var<'t> {
        self.neg_var()
    }
}

impl<'t> Add<f32> for Var<'t> {
    type Output = Var<'t>;
    #[track_caller]
    fn add(self, rhs: f32) -> Var<'t> {
        self.add_scalar(rhs)
    }
}

impl<'t> Sub<f32> for Var<'t> {
    type Output = Var<'t>;
    #[track_caller]
    fn sub(self, rhs: f32) -> Var<'t> {
        self.add_scalar(-rhs)
    }
}

impl<'t> Mul<f32> for Var<'t> {
    type Output = Var<'t>;
    #[track_caller]
    fn mul(self, rhs: f32) -> Var<'t> {
        self.mul_scalar(rhs)
    }
}

impl<'t> Div<f32> for Var<'t> {
    type Output = Var<'t>;
    #[track_caller]
    fn div(self, rhs: f32) -> Var<'t> {
        self.div_scalar(rhs)
    }
}

impl<'t> Add<Var<'t>> for f32 {
    type Output = Var<'t>;
    #[track_caller]
    fn add(self, rhs: Var<'t>) -> Var<'t> {
        rhs.add_scalar(self)
    }
}

impl<'t> Sub<Var<'t>> for f32 {
    type Output = Var<'t>;
    #[track_caller]
    fn sub(self, rhs: Var<'t>) -> Var<'t> {
        rhs.neg_var().add_scalar(self)
    }
}

impl<'t> Mul<Var<'t>> for f32 {
    type Output = Var<'t>;
    #[track_caller]
    fn mul(self, rhs: Var<'t>) -> Var<'t> {
        rhs.mul_scalar(self)
    }
}

impl<'t> Div<Var<'t>> for f32 {
    type Output = Var<'t>;
    #[track_caller]
    fn div(self, rhs: Var<'t>) -> Var<'t> {
        rhs.powi(-1).mul_scalar(self)
    }
}
