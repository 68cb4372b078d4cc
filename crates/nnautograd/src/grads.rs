//! Gradients returned by `backward`.

use crate::{Param, ParamId, Var};
use nntensor::Tensor;

/// The gradients of one backward pass: one per parameter (keyed by [`ParamId`]) and one per leaf
/// made with [`crate::Tape::var`]. A parameter or leaf the loss does not depend on has none.
#[derive(Debug, Default)]
pub struct Grads {
    pub(crate) params: Vec<(ParamId, Tensor)>,
    pub(crate) leaves: Vec<(usize, Tensor)>,
    pub(crate) tape_id: u64,
    pub(crate) generation: u32,
}

impl Grads {
    /// Gradients made outside a backward pass, one per parameter (for example received from
    /// another process in data-parallel training). They belong to no tape: `wrt` finds none.
    ///
    /// ```
    /// use nnautograd::{Grads, Param};
    /// use nntensor::Tensor;
    /// let w = Param::new(Tensor::ones([2]));
    /// let grads = Grads::from_parameters(vec![(w.id(), Tensor::from_vec([2], vec![0.5, 1.5]).unwrap())]);
    /// assert_eq!(grads.get(&w).unwrap().to_vec(), vec![0.5, 1.5]);
    /// ```
    pub fn from_parameters(params: Vec<(ParamId, Tensor)>) -> Grads {
        Grads {
            params,
            ..Grads::default()
        }
    }

    /// The gradient of `param`, if the loss depends on it.
    pub fn get(&self, param: &Param) -> Option<&Tensor> {
        self.get_by_id(param.id())
    }

    /// The gradient of the parameter with this id.
    pub fn get_by_id(&self, id: ParamId) -> Option<&Tensor> {
        self.params.iter().find(|(p, _)| *p == id).map(|(_, g)| g)
    }

    /// Removes and returns the gradient of the parameter with this id (no copy).
    pub fn take(&mut self, id: ParamId) -> Option<Tensor> {
        let pos = self.params.iter().position(|(p, _)| *p == id)?;
        Some(self.params.swap_remove(pos).1)
    }

    /// The gradient of a leaf made with [`crate::Tape::var`] during the forward pass that produced
    /// these gradients. Panics if `var` comes from another pass or tape.
    #[track_caller]
    pub fn wrt(&self, var: Var<'_>) -> Option<&Tensor> {
        assert!(
            var.tape.id() == self.tape_id && var.generation == self.generation,
            "Grads::wrt: this Var was not recorded in the forward pass these gradients come from"
        );
        self.leaves
            .iter()
            .find(|(i, _)| *i == var.index)
            .map(|(_, g)| g)
    }

    /// Every parameter gradient, in the order the backward pass reached them.
    pub fn iter(&self) -> impl Iterator<Item = (ParamId, &Tensor)> {
        self.params.iter().map(|(id, g)| (*id, g))
    }

    /// Every parameter gradient, mutably (for clipping or scaling in place).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (ParamId, &mut Tensor)> {
        self.params.iter_mut().map(|(id, g)| (*id, g))
    }

    /// Adds the parameter gradients of `other` into these, element by element, as when one batch's
    /// gradient is computed in parts (`self + other`, in that order). A parameter only `other` has
    /// is moved over. Large gradients are added on rayon's threads (outside
    /// [`nntensor::cpu::single_threaded`]); the sum is the same whatever the thread count. Panics if a parameter's two gradients differ in shape.
    ///
    /// ```
    /// use nnautograd::{Param, Tape};
    /// use nntensor::Tensor;
    /// let w = Param::new(Tensor::ones([2]));
    /// let pass = |x: f32| {
    ///     let tape = Tape::new();
    ///     (tape.param(&w) * x).sum().backward()
    /// };
    /// let mut grads = pass(2.0);
    /// grads.accumulate(pass(3.0));
    /// assert_eq!(grads.get(&w).unwrap().to_vec(), vec![5.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn accumulate(&mut self, other: Grads) {
        for (id, theirs) in other.params {
            let Some((_, ours)) = self.params.iter_mut().find(|(p, _)| *p == id) else {
                self.params.push((id, theirs));
                continue;
            };
            assert_eq!(
                ours.shape(),
                theirs.shape(),
                "Grads::accumulate: the two gradients of one parameter differ in shape"
            );
            *ours += &theirs;
        }
    }

    /// Number of parameter gradients.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether there are no parameter gradients.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }
}

impl Var<'_> {
    /// This leaf's gradient in `grads` (PyTorch's `x.grad`): the same as [`Grads::wrt`]. Panics if
    /// `grads` comes from another pass or tape.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::scalar(3.0));
    /// let grads = (x * x).backward();
    /// assert_eq!(x.grad(&grads).unwrap().item(), 6.0);
    /// ```
    #[track_caller]
    pub fn grad<'g>(&self, grads: &'g Grads) -> Option<&'g Tensor> {
        grads.wrt(*self)
    }
}

impl Param {
    /// This parameter's gradient in `grads` (PyTorch's `p.grad`): the same as [`Grads::get`].
    ///
    /// ```
    /// use nnautograd::{Param, Tape};
    /// let w = Param::new(nntensor::scalar(2.0));
    /// let tape = Tape::new();
    /// let grads = (tape.param(&w) * 5.0).backward();
    /// assert_eq!(w.grad(&grads).unwrap().item(), 5.0);
    /// ```
    pub fn grad<'g>(&self, grads: &'g Grads) -> Option<&'g Tensor> {
        grads.get(self)
    }
}
