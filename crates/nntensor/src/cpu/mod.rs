//! The CPU backend: the kernels behind every op when a tensor's [`Storage`](crate::Storage) is
//! `Cpu`, and the tuning they rest on.
//!
//! Callers normally use the ops at the crate root; this module is public for the few who tune or
//! benchmark the CPU directly:
//! - [`matmul_2d`], [`gemm`] and [`batched_matmul`] on `ndarray` views (any strides): `gemm-f32`'s
//!   AVX2/AVX-512 kernels for large products, direct loops for thin and tiny ones;
//! - [`single_threaded`], which keeps a closure's products on the calling thread, and
//!   [`PARALLEL_MIN_MACS`], the size from which one product uses rayon's threads;
//! - [`wide`], which runs a closure compiled for AVX-512F or AVX2 when the CPU has them, and the
//!   branch-free [`exp_fast`] and [`ln_1p_unit`] that vectorise inside it;
//! - [`sum_rows`], the column sums of a 2-D view (a dense layer's bias gradient).
//!
//! Every kernel computes each output element with the same operations in the same order whatever
//! the number of threads, so results are bit-identical on one thread or many.

pub(crate) mod conv;
pub(crate) mod elementwise;
mod fastmath;
mod gemm;
pub(crate) mod indexing;
pub(crate) mod layout;
pub(crate) mod nn;
pub(crate) mod optim;
pub(crate) mod reduce;
pub(crate) mod reduce_axes;
pub(crate) mod softmax;
mod wide;

pub use fastmath::{exp_fast, ln_1p_unit};
pub use gemm::{batched_matmul, gemm, matmul_2d, single_threaded, PARALLEL_MIN_MACS};
pub(crate) use gemm::{matmul, matmul_backward};
pub use reduce::sum_rows;
pub use wide::wide;

use crate::Shape;
use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD};

/// Elements from this many on are processed on rayon's threads by the flat elementwise kernels
/// that threads help (gradient sums, optimizer updates): a 784×512 layer is 401k elements; W1's
/// 784×32 layer, 25k, stays on one thread.
pub(crate) const PARALLEL_MIN_ELEMENTS: usize = 1 << 16;

/// Elements per rayon task of those kernels (a fixed size: the split never depends on the
/// thread count).
pub(crate) const CHUNK: usize = 1 << 14;

/// Row-major `data` seen as an ndarray view of `shape`.
#[inline]
pub(crate) fn view<'a>(shape: &Shape, data: &'a [f32]) -> ArrayViewD<'a, f32> {
    ArrayViewD::from_shape(shape.ix(), data).expect("storage holds the shape's elements")
}

/// Row-major `data` seen as a mutable ndarray view of `shape`.
#[inline]
pub(crate) fn view_mut<'a>(shape: &Shape, data: &'a mut [f32]) -> ArrayViewMutD<'a, f32> {
    ArrayViewMutD::from_shape(shape.ix(), data).expect("storage holds the shape's elements")
}

/// An ndarray result as a tensor: its buffer moved when it is in standard layout, copied in
/// row-major order otherwise.
pub(crate) fn from_array(array: ArrayD<f32>) -> crate::Tensor {
    let shape = Shape::from(array.shape());
    crate::Tensor::cpu(shape, into_vec(array))
}

/// An ndarray array's elements in row-major order (no copy for a standard-layout array).
pub(crate) fn into_vec(array: ArrayD<f32>) -> Vec<f32> {
    if !array.is_standard_layout() {
        return array.iter().copied().collect();
    }
    let len = array.len();
    let (mut data, offset) = array.into_raw_vec_and_offset();
    // A standard-layout array's elements are contiguous from its offset (0 unless sliced).
    let start = offset.unwrap_or(0);
    if start != 0 || data.len() != len {
        data.drain(..start);
        data.truncate(len);
    }
    data
}
