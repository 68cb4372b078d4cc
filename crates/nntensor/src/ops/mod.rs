//! The ops on [`Tensor`](crate::Tensor): each checks its operands' shapes (panicking at the
//! caller's line, naming the op and the shapes), matches on their [`Storage`](crate::Storage)
//! once, and calls that backend's kernel.

pub(crate) mod binary;
pub(crate) mod conv;
pub(crate) mod indexing;
pub(crate) mod layout;
pub(crate) mod matmul;
pub(crate) mod nn;
pub(crate) mod optim;
pub(crate) mod reduce;
pub(crate) mod reduce_axes;
pub(crate) mod softmax;
pub(crate) mod unary;
