//! Layout kernels: transposes, and copying rows along the batch axis.

use super::view;
use crate::Shape;

/// The axes of `x` reversed (the matrix transpose for 2-D), in row-major order.
pub(crate) fn transpose(shape: &Shape, x: &[f32]) -> Vec<f32> {
    let v = view(shape, x);
    v.t().iter().copied().collect()
}

/// The rows `indices` of row-major `data` (rows of `row_len` elements), gathered into one buffer.
/// Copies each row with one slice copy, prefetching a few rows ahead.
pub(crate) fn gather_rows(data: &[f32], row_len: usize, indices: &[usize]) -> Vec<f32> {
    let mut out = Vec::with_capacity(indices.len() * row_len);
    for (n, &i) in indices.iter().enumerate() {
        // Shuffled rows are far apart in memory: ask for a later row while copying this one.
        if let Some(&ahead) = indices.get(n + PREFETCH_ROWS_AHEAD) {
            prefetch(&data[ahead * row_len..(ahead + 1) * row_len]);
        }
        out.extend_from_slice(&data[i * row_len..(i + 1) * row_len]);
    }
    out
}

/// How many rows ahead [`gather_rows`] prefetches.
const PREFETCH_ROWS_AHEAD: usize = 4;

/// Hints the CPU to start loading every cache line of `data` (a no-op off x86-64).
#[inline]
fn prefetch(data: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    for line in data.chunks(16) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        #[allow(unsafe_code)]
        // SAFETY: a prefetch is only a hint: it reads nothing into the program and never faults,
        // and the pointer comes from a live slice. SSE is part of every x86-64 CPU.
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast::<i8>())
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

/// Row `i` of `rows` added into row `indices[i]` of `rows_out` zero rows of `row_len` elements.
pub(crate) fn scatter_add_rows(
    rows: &[f32],
    row_len: usize,
    indices: &[usize],
    rows_out: usize,
) -> Vec<f32> {
    let mut out = vec![0.0; rows_out * row_len];
    if row_len == 0 {
        return out;
    }
    for (row, &i) in rows.chunks_exact(row_len).zip(indices) {
        super::elementwise::zip_inplace(&mut out[i * row_len..(i + 1) * row_len], row, |a, b| {
            a + b
        });
    }
    out
}
