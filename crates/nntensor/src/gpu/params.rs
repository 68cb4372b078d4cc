//! Kernel parameters: shapes and strides as the 32-bit words the WGSL prelude reads.

/// The most axes a GPU kernel indexes through (the parameter layouts hold eight).
pub(crate) const MAX_RANK: usize = 8;

/// Panics (at the caller's line) for a tensor of more axes than the GPU kernels index.
#[track_caller]
pub(crate) fn check_rank(op: &str, dims: &[usize]) {
    assert!(
        dims.len() <= MAX_RANK,
        "{op}: the GPU kernels take up to {MAX_RANK} axes, got shape {dims:?}; reshape first"
    );
}

/// A count or index as a kernel word. Panics past `u32::MAX` (a GPU tensor of over 4 billion
/// elements, more than one binding can address).
#[track_caller]
pub(crate) fn word(n: usize) -> u32 {
    u32::try_from(n).unwrap_or_else(|_| panic!("{n} is too large for a GPU kernel (at most 2³²−1)"))
}

/// A float as a kernel word.
pub(crate) fn fw(x: f32) -> u32 {
    x.to_bits()
}

/// Row-major strides of `dims`.
pub(crate) fn row_major(dims: &[usize]) -> Vec<isize> {
    let mut strides = vec![0isize; dims.len()];
    let mut s = 1isize;
    for (st, &d) in strides.iter_mut().zip(dims).rev() {
        *st = s;
        s *= d as isize;
    }
    strides
}

/// The strides that read a row-major tensor of `dims` broadcast to `out` (aligned at the right;
/// 0 on the axes it repeats).
pub(crate) fn broadcast_strides(dims: &[usize], out: &[usize]) -> Vec<isize> {
    let own = row_major(dims);
    let extra = out.len() - dims.len();
    (0..out.len())
        .map(|i| {
            if i < extra || dims[i - extra] == 1 {
                0
            } else {
                own[i - extra]
            }
        })
        .collect()
}

/// Appends `values` padded to [`MAX_RANK`] words.
pub(crate) fn push_dims(params: &mut Vec<u32>, values: &[usize]) {
    for k in 0..MAX_RANK {
        params.push(values.get(k).map_or(1, |&v| word(v)));
    }
}

/// Appends signed strides padded to [`MAX_RANK`] words (two's complement).
pub(crate) fn push_strides(params: &mut Vec<u32>, strides: &[isize]) {
    for k in 0..MAX_RANK {
        let s = strides.get(k).copied().unwrap_or(0);
        let s = i32::try_from(s).expect("GPU stride fits in 32 bits");
        params.push(s as u32);
    }
}
