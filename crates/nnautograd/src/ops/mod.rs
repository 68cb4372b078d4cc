//! Forward constructors: each op computes its value with `nntensor`, called directly from the
//! `#[track_caller]` method so a shape panic reports the user's line, then records a node.

mod activation;
mod conv;
mod elementwise;
mod indexing;
mod maths;
mod nn;
mod overload;
mod reduce;
mod reduce_axes;
mod select;
mod shape;

use crate::op::Op;
use crate::tape::NodeValue;
use crate::Var;
use nntensor::Tensor;

impl<'t> Var<'t> {
    /// Whether a gradient must flow back through a node made from these inputs.
    pub(crate) fn needs_grad(inputs: &[Var<'t>]) -> bool {
        let tape = inputs[0].tape;
        if !tape.is_grad_enabled() {
            return false;
        }
        let nodes = tape.nodes.borrow();
        inputs.iter().any(|v| nodes[v.index].requires_grad)
    }

    /// Records `value`, computed from `inputs`, as a node made by `op`.
    #[track_caller]
    pub(crate) fn record(inputs: &[Var<'t>], value: Tensor, op: Op) -> Var<'t> {
        let requires_grad = Var::needs_grad(inputs);
        inputs[0]
            .tape
            .push(NodeValue::Owned(value), op, requires_grad)
    }

    /// Records `f(self)`, an elementwise map that cannot fail, as a node made by `op`.
    #[track_caller]
    pub(crate) fn map_unary(self, f: impl FnOnce(&Tensor) -> Tensor, op: Op) -> Var<'t> {
        let value = f(&self.value());
        Var::record(&[self], value, op)
    }
}
