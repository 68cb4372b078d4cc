//! The arena tape and the `Var` handles that point into it.

use crate::op::Op;
use crate::Param;
use nntensor::Tensor;
use std::cell::{Cell, Ref, RefCell};
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

static NEXT_TAPE_ID: AtomicU64 = AtomicU64::new(0);

/// A node's value: owned by the tape, or shared with a [`Param`] (no copy).
#[derive(Debug)]
pub(crate) enum NodeValue {
    Owned(Tensor),
    Shared(Arc<Tensor>),
}

impl Deref for NodeValue {
    type Target = Tensor;
    fn deref(&self) -> &Tensor {
        match self {
            NodeValue::Owned(t) => t,
            NodeValue::Shared(t) => t,
        }
    }
}

/// One recorded value and the op that made it.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) value: NodeValue,
    pub(crate) op: Op,
    pub(crate) requires_grad: bool,
}

/// A reverse-mode autograd tape: a flat arena of nodes in the order they were computed.
///
/// Push order is a topological order, so `backward` is one reverse walk: no graph search, no
/// hashing, no per-node reference counts. After `backward` (or [`Tape::reset`]) the nodes are
/// cleared, the capacity kept for the next step, and every [`Var`] made so far becomes stale:
/// using one panics.
///
/// ```
/// use nnautograd::Tape;
/// use nntensor::scalar;
/// let tape = Tape::new();
/// let x = tape.var(scalar(2.0));
/// let y = x * x * 3.0 + 1.0; // 3x² + 1
/// assert_eq!(y.item(), 13.0);
/// let grads = y.backward();
/// assert_eq!(grads.wrt(x).unwrap()[[]], 12.0); // 6x
/// ```
#[derive(Debug)]
pub struct Tape {
    id: u64,
    pub(crate) nodes: RefCell<Vec<Node>>,
    /// The gradient slots of `backward`, kept empty between passes to reuse their allocation.
    pub(crate) slots: RefCell<Vec<Option<Tensor>>>,
    generation: Cell<u32>,
    grad_disabled: Cell<u32>,
}

impl Default for Tape {
    fn default() -> Self {
        Tape {
            id: NEXT_TAPE_ID.fetch_add(1, Ordering::Relaxed),
            nodes: RefCell::new(Vec::new()),
            slots: RefCell::new(Vec::new()),
            generation: Cell::new(0),
            grad_disabled: Cell::new(0),
        }
    }
}

impl Tape {
    /// An empty tape.
    pub fn new() -> Self {
        Tape::default()
    }

    /// A process-unique id, so gradients can tell which tape they came from.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// A value that needs no gradient (input data, targets, masks).
    pub fn constant(&self, value: Tensor) -> Var<'_> {
        self.push(NodeValue::Owned(value), Op::Leaf, false)
    }

    /// A leaf whose gradient `backward` returns ([`crate::Grads::wrt`]); in no-grad mode, a constant.
    pub fn var(&self, value: Tensor) -> Var<'_> {
        let requires_grad = self.is_grad_enabled();
        self.push(NodeValue::Owned(value), Op::Leaf, requires_grad)
    }

    /// Puts a parameter on the tape, sharing its array; its gradient is keyed by its id.
    pub fn param(&self, param: &Param) -> Var<'_> {
        let requires_grad = self.is_grad_enabled();
        let op = if requires_grad {
            Op::Param(param.id())
        } else {
            Op::Leaf
        };
        self.push(NodeValue::Shared(param.shared()), op, requires_grad)
    }

    /// Runs `f` with gradient recording off: ops compute values but record no graph (inference).
    ///
    /// ```
    /// use nnautograd::Tape;
    /// let tape = Tape::new();
    /// let x = tape.var(nntensor::scalar(1.0));
    /// let y = tape.no_grad(|| x.exp());
    /// assert!(!y.requires_grad());
    /// ```
    pub fn no_grad<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Restore<'a>(&'a Cell<u32>);
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                self.0.set(self.0.get() - 1);
            }
        }
        self.grad_disabled.set(self.grad_disabled.get() + 1);
        let _restore = Restore(&self.grad_disabled);
        f()
    }

    /// Whether ops record a graph now (false inside [`Tape::no_grad`]).
    pub fn is_grad_enabled(&self) -> bool {
        self.grad_disabled.get() == 0
    }

    /// Number of nodes recorded since the last `backward` or `reset`.
    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }

    /// Whether nothing has been recorded since the last `backward` or `reset`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every node (keeping the capacity) and makes every existing [`Var`] stale.
    pub fn reset(&self) {
        self.nodes.borrow_mut().clear();
        self.generation.set(self.generation.get().wrapping_add(1));
    }

    pub(crate) fn generation(&self) -> u32 {
        self.generation.get()
    }

    /// Ends the current generation after a backward pass took the nodes.
    pub(crate) fn finish_generation(&self, mut nodes: Vec<Node>) {
        nodes.clear();
        let mut slot = self.nodes.borrow_mut();
        // Keep whichever buffer has the larger capacity for the next step.
        if slot.capacity() < nodes.capacity() {
            *slot = nodes;
        } else {
            slot.clear();
        }
        self.generation.set(self.generation.get().wrapping_add(1));
    }

    /// Records a node. Without a gradient the op is dropped (`Leaf`), so no graph is kept.
    /// Panics (at the caller's line) naming the op if a `Var::value()` borrow is still alive.
    #[track_caller]
    pub(crate) fn push(&self, value: NodeValue, op: Op, requires_grad: bool) -> Var<'_> {
        let Ok(mut nodes) = self.nodes.try_borrow_mut() else {
            panic!(
                "{}: a value of this tape is still borrowed (a `Var::value()` guard is alive); \
                 drop it, or copy the value with `to_tensor()`, before recording more ops",
                op.describe()
            );
        };
        let op = if requires_grad { op } else { Op::Leaf };
        nodes.push(Node {
            value,
            op,
            requires_grad,
        });
        Var {
            tape: self,
            index: nodes.len() - 1,
            generation: self.generation.get(),
        }
    }
}

/// A handle to a value on a [`Tape`]: small and `Copy`, so expressions read like maths
/// (`x.matmul(w) + b`). Ops panic (at the caller's line) if the handle is stale, i.e. its tape
/// was consumed by `backward` or `reset` after the handle was made.
#[derive(Clone, Copy)]
pub struct Var<'t> {
    pub(crate) tape: &'t Tape,
    pub(crate) index: usize,
    pub(crate) generation: u32,
}

impl std::fmt::Debug for Var<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Var")
            .field("index", &self.index)
            .field("generation", &self.generation)
            .finish()
    }
}

impl<'t> Var<'t> {
    /// Panics unless this handle belongs to the tape's current generation.
    #[track_caller]
    pub(crate) fn check(&self) {
        assert!(
            self.generation == self.tape.generation(),
            "this Var was used after its tape was consumed by backward() or reset(); \
             record a new forward pass on the tape for the next step"
        );
    }

    /// Panics unless `self` and `other` are live handles on the same tape.
    #[track_caller]
    pub(crate) fn check_pair(&self, other: &Var<'t>, op: &str) {
        self.check();
        other.check();
        assert!(
            std::ptr::eq(self.tape, other.tape),
            "{op}: the two operands live on different tapes"
        );
    }

    /// The tape this value lives on.
    pub fn tape(&self) -> &'t Tape {
        self.tape
    }

    /// Borrows the value. Drop the borrow before recording more ops on the tape.
    #[track_caller]
    pub fn value(&self) -> Ref<'t, Tensor> {
        self.check();
        Ref::map(self.tape.nodes.borrow(), |nodes| &*nodes[self.index].value)
    }

    /// A copy of the value.
    #[track_caller]
    pub fn to_tensor(&self) -> Tensor {
        self.value().clone()
    }

    /// The value's shape.
    #[track_caller]
    pub fn shape(&self) -> Vec<usize> {
        self.value().shape().to_vec()
    }

    /// The single value of a one-element tensor (a loss). Panics for any other size.
    #[track_caller]
    pub fn item(&self) -> f32 {
        self.value().item()
    }

    /// Whether a gradient flows back through this value.
    #[track_caller]
    pub fn requires_grad(&self) -> bool {
        self.check();
        self.tape.nodes.borrow()[self.index].requires_grad
    }
}
