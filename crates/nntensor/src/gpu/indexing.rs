//! Gathers and scatter-adds: rows of a batch, `index_select`, and any gather or scatter whose
//! offsets the host worked out. A scatter is grouped by destination on the host, so each output
//! sums its sources in their original order (no atomics).

use super::buffer::GpuBuffer;
use super::context::grid;
use super::params::word;

/// `out[o, j, i] = x[o, idx[j], i]` for `x` of `(outer, axis_len, inner)`.
pub(crate) fn take(
    x: &GpuBuffer,
    idx: &[usize],
    (outer, axis_len, inner): (usize, usize, usize),
) -> GpuBuffer {
    let n = outer * idx.len() * inner;
    let out = GpuBuffer::uninit(&x.ctx, n);
    if n == 0 {
        return out;
    }
    let words: Vec<u32> = idx.iter().map(|&i| word(i)).collect();
    let ids = GpuBuffer::upload_u32(&x.ctx, &words);
    x.ctx.dispatch(
        "take",
        &[word(n), word(inner), word(idx.len()), word(axis_len)],
        &[x.raw(), ids.raw(), out.raw()],
        grid(n),
    );
    out
}

/// `out[i] = x[offsets[i]]`.
pub(crate) fn take_offsets(x: &GpuBuffer, offsets: &[usize]) -> GpuBuffer {
    let n = offsets.len();
    let out = GpuBuffer::uninit(&x.ctx, n);
    if n == 0 {
        return out;
    }
    let words: Vec<u32> = offsets.iter().map(|&i| word(i)).collect();
    let offs = GpuBuffer::upload_u32(&x.ctx, &words);
    x.ctx.dispatch(
        "take_offsets",
        &[word(n)],
        &[x.raw(), offs.raw(), out.raw()],
        grid(n),
    );
    out
}

/// `out = base` (or zeros), then `out[dest[q]] += src[q]` for every `q` in order, over `n`
/// outputs.
pub(crate) fn scatter_add(
    base: Option<&GpuBuffer>,
    src: &GpuBuffer,
    dest: &[usize],
    n: usize,
) -> GpuBuffer {
    let ctx = &src.ctx;
    // Counting sort of the sources by destination (stable: order kept within a destination).
    let mut starts = vec![0u32; n + 1];
    for &d in dest {
        starts[d + 1] += 1;
    }
    for i in 0..n {
        starts[i + 1] += starts[i];
    }
    let mut next = starts.clone();
    let mut sources = vec![0u32; dest.len().max(1)];
    for (q, &d) in dest.iter().enumerate() {
        sources[next[d] as usize] = word(q);
        next[d] += 1;
    }
    let starts = GpuBuffer::upload_u32(ctx, &starts);
    let sources = GpuBuffer::upload_u32(ctx, &sources);
    let out = GpuBuffer::uninit(ctx, n);
    let dummy;
    let base_buffer = match base {
        Some(b) => b,
        None => {
            dummy = GpuBuffer::uninit(ctx, 1);
            &dummy
        }
    };
    ctx.dispatch(
        "scatter_csr",
        &[word(n), u32::from(base.is_some())],
        &[
            base_buffer.raw(),
            src.raw(),
            starts.raw(),
            sources.raw(),
            out.raw(),
        ],
        grid(n),
    );
    out
}
