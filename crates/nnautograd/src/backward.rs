//! The backward pass: one reverse walk over the tape and one `match` with every op's gradient.
//!
//! For each node, `g` is ∂loss/∂(node value). Each arm turns it into the gradients of the node's
//! inputs and adds them into their slots; inputs that need no gradient are skipped before any work.

use crate::op::Op;
use crate::tape::Node;
use crate::{Grads, Tape, Var};
use nntensor::{self as nt, unbroadcast, Tensor};

impl<'t> Var<'t> {
    /// Computes the gradient of this one-element value (a loss) with respect to every parameter
    /// and leaf variable it depends on, then clears the tape: every `Var` on it becomes stale.
    ///
    /// Panics if the value has more than one element (reduce it with `sum` or `mean` first).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(3.0));
    /// let grads = (x * x).backward();
    /// assert_eq!(grads.wrt(x).unwrap().item(), 6.0);
    /// ```
    #[track_caller]
    pub fn backward(self) -> Grads {
        self.check();
        let seed = {
            let value = self.value();
            assert!(
                value.len() == 1,
                "backward: the loss must be a single value, got shape {:?}; reduce it with .sum() or .mean() first",
                value.shape()
            );
            Tensor::full_on(value.shape_ref().clone(), 1.0, &value.device())
        };
        self.backward_with(seed)
    }

    /// Like [`Var::backward`] but starting from `seed` = ∂loss/∂self, of this value's shape.
    ///
    /// ```
    /// use nntensor::Tensor;
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(Tensor::from_vec([2], vec![1., 2.]).unwrap());
    /// let seed = Tensor::from_vec([2], vec![10., 1.]).unwrap();
    /// let g = (x * x).backward_with(seed);
    /// assert_eq!(g.wrt(x).unwrap().to_vec(), vec![20., 4.]); // seed ⊙ 2x
    /// ```
    #[track_caller]
    pub fn backward_with(self, seed: Tensor) -> Grads {
        self.check();
        {
            let value = self.value();
            assert!(
                seed.shape() == value.shape(),
                "backward_with: seed shape {:?} differs from the value's shape {:?}",
                seed.shape(),
                value.shape()
            );
        }
        let tape: &Tape = self.tape;
        let mut nodes = std::mem::take(&mut *tape.nodes.borrow_mut());
        let mut grads = Grads {
            tape_id: tape.id(),
            generation: self.generation,
            ..Grads::default()
        };
        let mut slots = std::mem::take(&mut *tape.slots.borrow_mut());
        slots.resize_with(self.index + 1, || None);
        slots[self.index] = Some(seed);
        for i in (0..=self.index).rev() {
            let Some(g) = slots[i].take() else { continue };
            if nodes[i].requires_grad {
                backward_node(&mut nodes, &mut slots, &mut grads, i, g);
            }
        }
        slots.clear();
        *tape.slots.borrow_mut() = slots;
        tape.finish_generation(nodes);
        grads
    }
}

/// A layer op's `[dx, dw, db]` added into the slots of its input `x`, weight `w` and bias `b`
/// (the weight's first, then the bias's, then the input's: a fixed order of additions).
fn accumulate_layer(
    slots: &mut [Option<Tensor>],
    [x, w]: [usize; 2],
    b: Option<usize>,
    [dx, dw, db]: [Option<Tensor>; 3],
) {
    if let Some(dw) = dw {
        accumulate(slots, w, dw);
    }
    if let (Some(b), Some(db)) = (b, db) {
        accumulate(slots, b, db);
    }
    if let Some(dx) = dx {
        accumulate(slots, x, dx);
    }
}

/// Adds `g` into input `j`'s gradient slot.
fn accumulate(slots: &mut [Option<Tensor>], j: usize, g: Tensor) {
    match &mut slots[j] {
        Some(existing) => *existing += &g,
        empty => *empty = Some(g),
    }
}

/// `g` for each of two inputs that need it: cloned only when both do.
fn share(g: Tensor, need_a: bool, need_b: bool) -> (Option<Tensor>, Option<Tensor>) {
    match (need_a, need_b) {
        (true, true) => (Some(g.clone()), Some(g)),
        (true, false) => (Some(g), None),
        (false, true) => (None, Some(g)),
        (false, false) => (None, None),
    }
}

/// `g ⊙ y`, in place when the shapes already match, broadcasting `y` otherwise.
fn mul_broadcast(g: Tensor, y: &Tensor) -> Tensor {
    if g.shape() == y.shape() {
        let mut g = g;
        g *= y;
        g
    } else {
        nt::mul(&g, y)
    }
}

/// The gradient of a reduction over `axis` (its shape without that axis) spread back over the
/// input's shape.
fn spread_over_axis(g: Tensor, axis: usize, shape: &[usize]) -> Tensor {
    let mut kept = g.shape().to_vec();
    kept.insert(axis, 1);
    nt::broadcast_to(&g.into_reshaped(kept), shape)
}

fn backward_node(
    nodes: &mut [Node],
    slots: &mut [Option<Tensor>],
    grads: &mut Grads,
    i: usize,
    g: Tensor,
) {
    // A fused loss's saved gradient is used once: scale it in place, no copy.
    if let Op::Loss { input, dinput } = &mut nodes[i].op {
        let mut d = std::mem::replace(dinput, Tensor::zeros([0]));
        d *= &g;
        accumulate(slots, *input, d);
        return;
    }
    let nodes: &[Node] = nodes;
    let needs = |j: usize| nodes[j].requires_grad;
    let val = |j: usize| -> &Tensor { &nodes[j].value };
    let out = val(i);
    match &nodes[i].op {
        Op::Leaf => grads.leaves.push((i, g)),
        Op::Param(id) => match grads.params.iter_mut().find(|(p, _)| p == id) {
            Some((_, existing)) => *existing += &g,
            None => grads.params.push((*id, g)),
        },
        &Op::Add(a, b) | &Op::Sub(a, b) => {
            let negate_b = matches!(nodes[i].op, Op::Sub(..));
            let (ga, gb) = share(g, needs(a), needs(b));
            if let Some(gb) = gb {
                let gb = unbroadcast(gb, val(b).shape());
                accumulate(slots, b, if negate_b { -gb } else { gb });
            }
            if let Some(ga) = ga {
                accumulate(slots, a, unbroadcast(ga, val(a).shape()));
            }
        }
        &Op::Mul(a, b) => {
            // ∂/∂a = g·b, ∂/∂b = g·a; the last side that needs it reuses g's buffer.
            let (ga, gb) = share(g, needs(a), needs(b));
            if let Some(gb) = gb {
                accumulate(
                    slots,
                    b,
                    unbroadcast(mul_broadcast(gb, val(a)), val(b).shape()),
                );
            }
            if let Some(ga) = ga {
                accumulate(
                    slots,
                    a,
                    unbroadcast(mul_broadcast(ga, val(b)), val(a).shape()),
                );
            }
        }
        &Op::Div(a, b) => {
            // out = a / b: ∂/∂a = g / b, ∂/∂b = −g·a/b² = −(g / b)·out.
            let g_over_b = nt::div(&g, val(b));
            if needs(b) {
                let gb = -nt::mul(&g_over_b, out);
                accumulate(slots, b, unbroadcast(gb, val(b).shape()));
            }
            if needs(a) {
                accumulate(slots, a, unbroadcast(g_over_b, val(a).shape()));
            }
        }
        &Op::Unary(a, op) => accumulate(slots, a, nt::unary_backward(op, g, val(a), out)),
        &Op::Binary(a, b, op) => {
            let (ga, gb) = nt::binary_backward(op, &g, val(a), val(b), [needs(a), needs(b)]);
            if let Some(ga) = ga {
                accumulate(slots, a, unbroadcast(ga, val(a).shape()));
            }
            if let Some(gb) = gb {
                accumulate(slots, b, unbroadcast(gb, val(b).shape()));
            }
        }
        Op::Reduce {
            input,
            op,
            axes,
            keepdim,
        } => accumulate(
            slots,
            *input,
            nt::reduce_backward(*op, &g, val(*input), out, axes, *keepdim),
        ),
        Op::Permute(a, perm) => {
            let mut inverse = vec![0isize; perm.len()];
            for (i, &p) in perm.iter().enumerate() {
                inverse[p] = i as isize;
            }
            accumulate(slots, *a, nt::permute(&g, &inverse))
        }
        &Op::Expand(a) => accumulate(slots, a, unbroadcast(g, val(a).shape())),
        &Op::Narrow { input, axis, start } => accumulate(
            slots,
            input,
            nt::narrow_backward(&g, axis, start, val(input).shape()),
        ),
        Op::IndexSelect {
            input,
            axis,
            indices,
        } => accumulate(
            slots,
            *input,
            nt::index_add(&g, *axis, indices, val(*input).shape()),
        ),
        Op::Flip(a, axes) => accumulate(slots, *a, nt::flip(&g, axes)),
        Op::Gather { input, axis, index } => {
            let zeros = val(*input).zeros_like();
            accumulate(slots, *input, nt::scatter_add(&zeros, *axis, index, &g))
        }
        Op::ScatterAdd {
            input,
            src,
            axis,
            index,
        } => {
            if needs(*src) {
                accumulate(slots, *src, nt::gather(&g, *axis, index));
            }
            if needs(*input) {
                accumulate(slots, *input, g);
            }
        }
        Op::Repeat { input, counts } => accumulate(
            slots,
            *input,
            nt::repeat_backward(&g, val(*input).shape(), counts),
        ),
        Op::Pad { input, widths } => accumulate(
            slots,
            *input,
            nt::pad_backward(&g, widths, val(*input).shape()),
        ),
        Op::Cat { inputs, axis } => {
            let mut start = 0;
            for &j in inputs {
                let len = val(j).shape()[*axis];
                if needs(j) {
                    accumulate(slots, j, nt::narrow(&g, *axis as isize, start, len));
                }
                start += len;
            }
        }
        &Op::Cumsum(a, axis) => accumulate(slots, a, nt::cumsum_backward(&g, axis)),
        Op::Where { cond, a, b } => {
            let zero = nt::scalar(0.0);
            if needs(*a) {
                let ga = nt::where_cond(cond, &g, &zero);
                accumulate(slots, *a, unbroadcast(ga, val(*a).shape()));
            }
            if needs(*b) {
                let gb = nt::where_cond(cond, &zero, &g);
                accumulate(slots, *b, unbroadcast(gb, val(*b).shape()));
            }
        }
        &Op::SumAll(a) => accumulate(slots, a, nt::broadcast_to(&g, val(a).shape())),
        &Op::MeanAll(a) => {
            let x = val(a);
            accumulate(slots, a, nt::broadcast_to(&(g / x.len() as f32), x.shape()))
        }
        &Op::MaxAll(a) => accumulate(slots, a, nt::max_backward(val(a), &g, None)),
        &Op::SumAxis(a, axis) => accumulate(slots, a, spread_over_axis(g, axis, val(a).shape())),
        &Op::MeanAxis(a, axis) => {
            let x = val(a);
            let gx = spread_over_axis(g, axis, x.shape()) / x.shape()[axis] as f32;
            accumulate(slots, a, gx)
        }
        &Op::MaxAxis(a, axis) => accumulate(slots, a, nt::max_backward(val(a), &g, Some(axis))),
        &Op::Softmax(a, axis) => accumulate(slots, a, nt::softmax_backward(&g, out, axis)),
        &Op::LogSoftmax(a, axis) => accumulate(slots, a, nt::log_softmax_backward(&g, out, axis)),
        &Op::Reshape(a) => accumulate(slots, a, g.into_reshaped(val(a).shape())),
        &Op::Transpose(a) => accumulate(slots, a, nt::transpose(&g)),
        &Op::SliceRows(a, start) => accumulate(slots, a, nt::embed_rows(&g, start, val(a).shape())),
        Op::GatherRows(a, indices) => accumulate(
            slots,
            *a,
            nt::scatter_add_rows(&g, indices, val(*a).shape()),
        ),
        &Op::MatMul(a, b) => {
            let (da, db) = nt::matmul_backward(val(a), val(b), &g, needs(a), needs(b));
            if let Some(da) = da {
                accumulate(slots, a, da);
            }
            if let Some(db) = db {
                accumulate(slots, b, db);
            }
        }
        &Op::Linear { x, w, b } => {
            let need_b = b.is_some_and(needs);
            let [dx, dw, db] =
                nt::linear_backward(val(x), val(w), &g, [needs(x), needs(w), need_b]);
            accumulate_layer(slots, [x, w], b, [dx, dw, db]);
        }
        Op::Conv2d { x, w, b, spec } => {
            let (x, w, b, spec) = (*x, *w, *b, **spec);
            let need_b = b.is_some_and(needs);
            let [dx, dw, db] =
                nt::conv2d_backward(val(x), val(w), &g, spec, [needs(x), needs(w), need_b]);
            accumulate_layer(slots, [x, w], b, [dx, dw, db]);
        }
        Op::Conv2dReluMaxPool2d { x, w, b, saved } => {
            let (x, w, b) = (*x, *w, *b);
            let (indices, conv, pool) = &**saved;
            let need_b = b.is_some_and(needs);
            let [dx, dw, db] = nt::conv2d_relu_max_pool2d_backward(
                val(x),
                val(w),
                &g,
                out,
                indices,
                *conv,
                *pool,
                [needs(x), needs(w), need_b],
            );
            accumulate_layer(slots, [x, w], b, [dx, dw, db]);
        }
        Op::MaxPool2d { input, saved } => accumulate(
            slots,
            *input,
            nt::max_pool2d_backward(&g, &saved.0, val(*input).shape(), saved.1),
        ),
        Op::ReluMaxPool2d { input, saved } => accumulate(
            slots,
            *input,
            nt::relu_max_pool2d_backward(&g, out, &saved.0, val(*input).shape(), saved.1),
        ),
        Op::AvgPool2d { input, spec } => accumulate(
            slots,
            *input,
            nt::avg_pool2d_backward(&g, val(*input).shape(), *spec),
        ),
        Op::Loss { .. } => unreachable!("handled before the match"),
    }
}
