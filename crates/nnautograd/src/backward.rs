//! The backward pass: one reverse walk over the tape and one `match` with every op's gradient.
//!
//! For each node, `g` is ∂loss/∂(node value). Each arm turns it into the gradients of the node's
//! inputs and adds them into their slots; inputs that need no gradient are skipped before any work.

use crate::op::Op;
use crate::tape::Node;
use crate::{Grads, Tape, Var};
use nntensor::ndarray::{Axis, Ix2, Ix3, IxDyn, Zip};
use nntensor::{self as nt, unbroadcast, Tensor};

impl<'t> Var<'t> {
    /// Computes the gradient of this one-element value (a loss) with respect to every parameter
    /// and leaf variable it depends on, then clears the tape: every `Var` on it becomes stale.
    ///
    /// Panics if the value has more than one element (reduce it with `sum` or `mean` first).
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
            Tensor::ones(value.raw_dim())
        };
        self.backward_with(seed)
    }

    /// Like [`Var::backward`] but starting from `seed` = ∂loss/∂self, of this value's shape.
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

/// Adds `g` into input `j`'s gradient slot.
fn accumulate(slots: &mut [Option<Tensor>], j: usize, g: Tensor) {
    match &mut slots[j] {
        Some(existing) => *existing += &g,
        empty => *empty = Some(g),
    }
}

/// `g ⊙ f(x)` elementwise, for the unary ops whose derivative depends on one stored value.
fn times(g: Tensor, x: &Tensor, f: impl Fn(f32) -> f32) -> Tensor {
    let mut g = g;
    match (g.as_slice_mut(), x.as_slice()) {
        (Some(gs), Some(xs)) if gs.len() == xs.len() => nt::wide(
            #[inline(always)]
            || {
                for (g, &x) in gs.iter_mut().zip(xs) {
                    *g *= f(x);
                }
            },
        ),
        _ => Zip::from(&mut g).and(x).for_each(|g, &x| *g *= f(x)),
    }
    g
}

/// A tensor of `shape` with `g[lane]` placed at the first maximum of each lane of `x` along `axis`.
fn route_to_max(x: &Tensor, g: &Tensor, axis: Option<usize>) -> Tensor {
    let mut out = Tensor::zeros(x.raw_dim());
    match axis {
        None => {
            let max = x.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            if let Some(pos) = x.iter().position(|&v| v == max) {
                out.as_slice_mut().expect("fresh array")[pos] =
                    g.iter().next().copied().unwrap_or(0.0);
            }
        }
        Some(axis) => {
            let argmax = nt::argmax_axis(x, axis);
            Zip::from(out.lanes_mut(Axis(axis)))
                .and(&argmax)
                .and(g)
                .for_each(|mut lane, &k, &gv| lane[k] = gv);
        }
    }
    out
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
        nt::zip_broadcast("mul backward", &g, y, |g, y| g * y)
    }
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
        let mut d = std::mem::take(dinput);
        let g = g.iter().next().copied().expect("a loss has one value");
        match d.as_slice_mut() {
            Some(d) => d.iter_mut().for_each(|d| *d *= g),
            None => d *= g,
        }
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
            let g_over_b = nt::zip_broadcast("div backward", &g, val(b), |g, y| g / y);
            if needs(b) {
                let gb = nt::zip_broadcast("div backward", &g_over_b, out, |q, o| -q * o);
                accumulate(slots, b, unbroadcast(gb, val(b).shape()));
            }
            if needs(a) {
                accumulate(slots, a, unbroadcast(g_over_b, val(a).shape()));
            }
        }
        &Op::AddScalar(a) => accumulate(slots, a, g),
        &Op::MulScalar(a, s) => accumulate(slots, a, g * s),
        &Op::DivScalar(a, s) => accumulate(slots, a, g / s),
        &Op::Neg(a) => accumulate(slots, a, -g),
        &Op::Exp(a) => accumulate(slots, a, times(g, out, |y| y)),
        &Op::Log(a) => accumulate(slots, a, times(g, val(a), |x| 1.0 / x)),
        &Op::Sqrt(a) => accumulate(slots, a, times(g, out, |y| 0.5 / y)),
        &Op::Powi(a, 0) => accumulate(slots, a, g * 0.0),
        &Op::Powi(a, n) => accumulate(slots, a, times(g, val(a), |x| n as f32 * x.powi(n - 1))),
        &Op::Powf(a, 0.0) => accumulate(slots, a, g * 0.0),
        &Op::Powf(a, p) => accumulate(slots, a, times(g, val(a), |x| p * x.powf(p - 1.0))),
        &Op::Abs(a) => accumulate(
            slots,
            a,
            times(g, val(a), |x| {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }),
        ),
        &Op::Sigmoid(a) => accumulate(slots, a, times(g, out, |y| y * (1.0 - y))),
        &Op::Tanh(a) => accumulate(slots, a, times(g, out, |y| 1.0 - y * y)),
        &Op::Relu(a) => accumulate(
            slots,
            a,
            times(g, val(a), |x| if x > 0.0 { 1.0 } else { 0.0 }),
        ),
        &Op::Softplus(a) => accumulate(slots, a, times(g, val(a), nt::sigmoid_scalar)),
        &Op::LeakyRelu(a, s) => accumulate(
            slots,
            a,
            times(g, val(a), |x| if x > 0.0 { 1.0 } else { s }),
        ),
        &Op::Clamp(a, lo, hi) => accumulate(
            slots,
            a,
            times(
                g,
                val(a),
                |x| if (lo..=hi).contains(&x) { 1.0 } else { 0.0 },
            ),
        ),
        &Op::SumAll(a) => accumulate(slots, a, Tensor::from_elem(val(a).raw_dim(), g[[]])),
        &Op::MeanAll(a) => {
            let x = val(a);
            accumulate(
                slots,
                a,
                Tensor::from_elem(x.raw_dim(), g[[]] / x.len() as f32),
            )
        }
        &Op::MaxAll(a) => accumulate(slots, a, route_to_max(val(a), &g, None)),
        &Op::SumAxis(a, axis) | &Op::MeanAxis(a, axis) => {
            let x = val(a);
            let mut gx = g
                .insert_axis(Axis(axis))
                .broadcast(x.raw_dim())
                .expect("reduced shape")
                .to_owned();
            if matches!(nodes[i].op, Op::MeanAxis(..)) {
                gx /= x.shape()[axis] as f32;
            }
            accumulate(slots, a, gx)
        }
        &Op::MaxAxis(a, axis) => accumulate(slots, a, route_to_max(val(a), &g, Some(axis))),
        &Op::Softmax(a, axis) => {
            // dx = y ⊙ (g − Σ_axis g ⊙ y)
            let dot = (&g * out).sum_axis(Axis(axis)).insert_axis(Axis(axis));
            let mut gx = g - &dot;
            gx *= out;
            accumulate(slots, a, gx)
        }
        &Op::LogSoftmax(a, axis) => {
            // dx = g − softmax(x) ⊙ Σ_axis g, and softmax(x) = exp(out)
            let total = g.sum_axis(Axis(axis)).insert_axis(Axis(axis));
            let mut gx = g;
            Zip::from(&mut gx)
                .and(out)
                .and_broadcast(&total)
                .for_each(|g, &y, &s| *g -= y.exp() * s);
            accumulate(slots, a, gx)
        }
        &Op::Reshape(a) => {
            let shape = val(a).shape();
            let gx = if g.is_standard_layout() {
                g.into_shape_with_order(shape).expect("same element count")
            } else {
                nt::reshape(&g, shape)
            };
            accumulate(slots, a, gx)
        }
        &Op::Transpose(a) => accumulate(slots, a, nt::transpose(&g)),
        &Op::SliceRows(a, start) => {
            let mut gx = Tensor::zeros(val(a).raw_dim());
            let rows = g.shape()[0];
            gx.slice_axis_mut(Axis(0), (start..start + rows).into())
                .assign(&g);
            accumulate(slots, a, gx)
        }
        Op::GatherRows(a, indices) => accumulate(
            slots,
            *a,
            nt::scatter_add_rows(&g, indices, val(*a).shape()),
        ),
        &Op::MatMul(a, b) => matmul_backward(slots, val(a), val(b), g, a, needs(a), b, needs(b)),
        &Op::Linear { x, w, b } => {
            let g2 = g
                .view()
                .into_dimensionality::<Ix2>()
                .expect("linear output is 2-D");
            let x2 = val(x)
                .view()
                .into_dimensionality::<Ix2>()
                .expect("checked in forward");
            let w2 = val(w)
                .view()
                .into_dimensionality::<Ix2>()
                .expect("checked in forward");
            if needs(w) {
                accumulate(slots, w, nt::matmul_2d(x2.t(), g2).into_dyn());
            }
            if let Some(b) = b.filter(|&b| needs(b)) {
                accumulate(slots, b, nt::sum_rows(g2).into_dyn());
            }
            if needs(x) {
                accumulate(slots, x, nt::matmul_2d(g2, w2.t()).into_dyn());
            }
        }
        Op::Loss { .. } => unreachable!("handled before the match"),
    }
}

/// Gradients of `out = a·b` for the three supported rank pairs: `da = g·bᵀ`, `db = aᵀ·g`.
#[allow(clippy::too_many_arguments)]
fn matmul_backward(
    slots: &mut [Option<Tensor>],
    a: &Tensor,
    b: &Tensor,
    g: Tensor,
    ia: usize,
    need_a: bool,
    ib: usize,
    need_b: bool,
) {
    match (a.ndim(), b.ndim()) {
        (2, 2) => {
            let (a2, b2) = (
                a.view().into_dimensionality::<Ix2>().unwrap(),
                b.view().into_dimensionality::<Ix2>().unwrap(),
            );
            let g2 = g.view().into_dimensionality::<Ix2>().unwrap();
            if need_a {
                accumulate(slots, ia, nt::matmul_2d(g2, b2.t()).into_dyn());
            }
            if need_b {
                accumulate(slots, ib, nt::matmul_2d(a2.t(), g2).into_dyn());
            }
        }
        (3, 3) => {
            let (a3, b3) = (
                a.view().into_dimensionality::<Ix3>().unwrap(),
                b.view().into_dimensionality::<Ix3>().unwrap(),
            );
            let g3 = g.view().into_dimensionality::<Ix3>().unwrap();
            if need_a {
                accumulate(
                    slots,
                    ia,
                    nt::batched_matmul(g3, b3.permuted_axes([0, 2, 1])).into_dyn(),
                );
            }
            if need_b {
                accumulate(
                    slots,
                    ib,
                    nt::batched_matmul(a3.permuted_axes([0, 2, 1]), g3).into_dyn(),
                );
            }
        }
        _ => {
            // (batch, m, k)·(k, n): fold the batch into rows, as the forward did.
            let (batch, m, k) = (a.shape()[0], a.shape()[1], a.shape()[2]);
            let n = b.shape()[1];
            let g = if g.is_standard_layout() {
                g
            } else {
                g.as_standard_layout().into_owned()
            };
            let g2 = g.into_shape_with_order((batch * m, n)).expect("row-major");
            let b2 = b.view().into_dimensionality::<Ix2>().unwrap();
            if need_b {
                let a_std = a.as_standard_layout();
                let a2 = a_std
                    .view()
                    .into_shape_with_order((batch * m, k))
                    .expect("row-major");
                accumulate(slots, ib, nt::matmul_2d(a2.t(), g2.view()).into_dyn());
            }
            if need_a {
                let ga = nt::matmul_2d(g2.view(), b2.t());
                accumulate(
                    slots,
                    ia,
                    ga.into_shape_with_order(IxDyn(&[batch, m, k]))
                        .expect("same length"),
                );
            }
        }
    }
}
