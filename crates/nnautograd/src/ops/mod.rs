//! Forward constructors: each op computes its value with `nntensor` and records a node.

mod elementwise;
mod nn;
mod overload;
mod reduce;
mod shape;

use crate::op::Op;
use crate::tape::NodeValue;
use crate::Var;
use nntensor::Tensor;

impl<'t> Var<'t> {
    /// Records `f(self)` as a node whose op is `op(self.index)`.
    #[track_caller]
    pub(crate) fn unary(
        self,
        f: impl FnOnce(&Tensor) -> Tensor,
        op: impl FnOnce(usize) -> Op,
    ) -> Var<'t> {
        self.check();
        let (value, requires_grad) = {
            let nodes = self.tape.nodes.borrow();
            let node = &nodes[self.index];
            (
                f(&node.value),
                node.requires_grad && self.tape.is_grad_enabled(),
            )
        };
        self.tape
            .push(NodeValue::Owned(value), op(self.index), requires_grad)
    }

    /// Records `f(self, other)` as a node whose op is `op(self.index, other.index)`.
    #[track_caller]
    pub(crate) fn binary(
        self,
        other: Var<'t>,
        name: &str,
        f: impl FnOnce(&Tensor, &Tensor) -> Tensor,
        op: impl FnOnce(usize, usize) -> Op,
    ) -> Var<'t> {
        self.check_pair(&other, name);
        let (value, requires_grad) = {
            let nodes = self.tape.nodes.borrow();
            let (a, b) = (&nodes[self.index], &nodes[other.index]);
            (
                f(&a.value, &b.value),
                (a.requires_grad || b.requires_grad) && self.tape.is_grad_enabled(),
            )
        };
        self.tape.push(
            NodeValue::Owned(value),
            op(self.index, other.index),
            requires_grad,
        )
    }
}
