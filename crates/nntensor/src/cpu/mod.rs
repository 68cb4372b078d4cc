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
pub(crate) use gemm::{gemm_slices, matmul, matmul_backward, Flat};
pub use reduce::sum_rows;
pub(crate) use reduce::sum_rows_slice;
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

/// Buffers of at least this many elements are zeroed by `calloc`, which hands out fresh zero
/// pages without writing them; smaller ones come from the allocator's per-thread cache and are
/// cleared here (`calloc` bypasses that cache: about 150 instructions per tiny buffer against 40).
const CALLOC_MIN_ELEMENTS: usize = 1 << 15;

/// A buffer of `len` zeros, allocated the cheaper way for its size.
#[inline]
pub(crate) fn zeroed(len: usize) -> Vec<f32> {
    if len >= CALLOC_MIN_ELEMENTS {
        vec![0.0; len]
    } else {
        let mut out = Vec::with_capacity(len);
        out.resize(len, 0.0);
        out
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_buffers_are_zero_on_both_sides_of_the_calloc_size() {
        for len in [
            0,
            1,
            7,
            CALLOC_MIN_ELEMENTS - 1,
            CALLOC_MIN_ELEMENTS,
            3 * CALLOC_MIN_ELEMENTS,
        ] {
            // Dirty the allocator's cache first, so a reused block would show.
            drop(vec![1.5f32; len]);
            let z = zeroed(len);
            assert_eq!(z.len(), len);
            assert!(z.iter().all(|&v| v.to_bits() == 0), "len {len}");
        }
    }
}
