//! 2-D convolution as im2col + one GEMM over the whole batch, and max/average pooling, on NCHW
//! tensors. The im2col rows and the pooling planes are filled on rayon's threads in fixed-size
//! pieces, each element's arithmetic the same whichever thread runs it; the GEMM is the project's
//! (bit-identical for any thread count), so results do not depend on the thread count.

use super::gemm::{gemm, may_use_threads, single_threaded};
use super::wide::wide;
use crate::ops::conv::Window;
use ndarray::{ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

/// Elements below which a plane loop stays on the calling thread.
const PARALLEL_MIN_ELEMENTS: usize = 1 << 15;

/// `(n, c, h, w)` of an NCHW shape.
pub(crate) type Nchw = [usize; 4];

/// The range of output positions `o` whose tap `t·dilation − padding + o·stride` falls inside
/// `0..size`, and the input position of the first of them.
#[inline]
fn valid_range(size: usize, out: usize, stride: usize, offset: isize) -> (usize, usize) {
    // Input position of output o: o·stride + offset; valid when 0 ≤ it < size.
    let first = if offset >= 0 {
        0
    } else {
        ((-offset) as usize).div_ceil(stride)
    };
    let last = if (size as isize) <= offset {
        0
    } else {
        (((size as isize - offset) as usize).div_ceil(stride)).min(out)
    };
    (first.min(last), last)
}

/// `dst = src` (equal lengths) with inline vector moves. A small convolution's rows are 5 to 30
/// values, too short for a call to `memcpy` to pay: 8-value blocks, the last one overlapping
/// the one before it.
#[inline(always)]
fn copy_short(dst: &mut [f32], src: &[f32]) {
    let n = dst.len();
    let src = &src[..n];
    if n < 8 {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = s;
        }
        return;
    }
    let mut i = 0;
    while i + 8 <= n {
        dst[i..i + 8].copy_from_slice(&src[i..i + 8]);
        i += 8;
    }
    if i < n {
        dst[n - 8..].copy_from_slice(&src[n - 8..]);
    }
}

/// Whether a convolution window has no padding and stride and dilation 1 (the Keras convnet's
/// "valid" 3×3): every tap's rows are plain runs of the input rows.
fn is_dense(spec: &Window) -> bool {
    spec.padding == [0, 0] && spec.stride == [1, 1] && spec.dilation == [1, 1]
}

/// One image's columns `(c·kh·kw, oh·ow)`: row `(ci, ki, kj)`, column `(oh, ow)`, the input
/// element under that tap or 0 in the padding. Overwrites all of `cols`. Inlined into the
/// caller's [`wide`] block.
#[inline(always)]
fn im2col_one(
    x: &[f32],
    [c, h, w]: [usize; 3],
    spec: &Window,
    [oh, ow]: [usize; 2],
    cols: &mut [f32],
) {
    let [kh, kw] = spec.kernel;
    let (sy, sx) = (spec.stride[0], spec.stride[1]);
    let p = oh * ow;
    if is_dense(spec) {
        // No padding, stride and dilation 1: tap (ki, kj)'s row is output row y's `ow` inputs
        // from input row y + ki, column kj on.
        for (ci, taps) in cols.chunks_exact_mut(kh * kw * p).enumerate() {
            let plane = &x[ci * h * w..][..h * w];
            for (tap, row) in taps.chunks_exact_mut(p).enumerate() {
                let (ki, kj) = (tap / kw, tap % kw);
                for (dst, src) in row.chunks_exact_mut(ow).zip(plane[ki * w + kj..].chunks(w)) {
                    copy_short(dst, src);
                }
            }
        }
        return;
    }
    for ci in 0..c {
        let plane = &x[ci * h * w..][..h * w];
        for ki in 0..kh {
            let oy = (ki * spec.dilation[0]) as isize - spec.padding[0] as isize;
            let (y0, y1) = valid_range(h, oh, sy, oy);
            for kj in 0..kw {
                let ox = (kj * spec.dilation[1]) as isize - spec.padding[1] as isize;
                let (x0, x1) = valid_range(w, ow, sx, ox);
                let row = &mut cols[((ci * kh + ki) * kw + kj) * p..][..p];
                // The zero fills only where there is padding: an empty `fill` still costs a
                // call to memset, four per row.
                if y0 > 0 {
                    row[..y0 * ow].fill(0.0);
                }
                if y1 < oh {
                    row[y1 * ow..].fill(0.0);
                }
                for y in y0..y1 {
                    let src = &plane[((y * sy) as isize + oy) as usize * w..][..w];
                    let dst = &mut row[y * ow..][..ow];
                    if x0 > 0 {
                        dst[..x0].fill(0.0);
                    }
                    if x1 < ow {
                        dst[x1..].fill(0.0);
                    }
                    let start = ((x0 * sx) as isize + ox) as usize;
                    if sx == 1 {
                        copy_short(&mut dst[x0..x1], &src[start..]);
                    } else {
                        for (d, s) in dst[x0..x1].iter_mut().zip(src[start..].iter().step_by(sx)) {
                            *d = *s;
                        }
                    }
                }
            }
        }
    }
}

/// The inverse of [`im2col_one`]: each column entry added back at its input position, taps in a
/// fixed order. Inlined into the caller's [`wide`] block.
#[inline(always)]
fn col2im_one(
    cols: &[f32],
    [c, h, w]: [usize; 3],
    spec: &Window,
    [oh, ow]: [usize; 2],
    dx: &mut [f32],
) {
    let [kh, kw] = spec.kernel;
    let (sy, sx) = (spec.stride[0], spec.stride[1]);
    let p = oh * ow;
    if is_dense(spec) {
        // As in im2col_one's dense case: row y of tap (ki, kj) adds into input row y + ki from
        // column kj on.
        for (ci, taps) in cols.chunks_exact(kh * kw * p).enumerate() {
            let plane = &mut dx[ci * h * w..][..h * w];
            for (tap, row) in taps.chunks_exact(p).enumerate() {
                let (ki, kj) = (tap / kw, tap % kw);
                for (src, line) in row.chunks_exact(ow).zip(plane[ki * w + kj..].chunks_mut(w)) {
                    for (d, &v) in line[..ow].iter_mut().zip(src) {
                        *d += v;
                    }
                }
            }
        }
        return;
    }
    for ci in 0..c {
        let plane = &mut dx[ci * h * w..][..h * w];
        for ki in 0..kh {
            let oy = (ki * spec.dilation[0]) as isize - spec.padding[0] as isize;
            let (y0, y1) = valid_range(h, oh, sy, oy);
            for kj in 0..kw {
                let ox = (kj * spec.dilation[1]) as isize - spec.padding[1] as isize;
                let (x0, x1) = valid_range(w, ow, sx, ox);
                let row = &cols[((ci * kh + ki) * kw + kj) * p..][..p];
                for y in y0..y1 {
                    let line = &mut plane[((y * sy) as isize + oy) as usize * w..][..w];
                    let src = &row[y * ow + x0..y * ow + x1];
                    let start = ((x0 * sx) as isize + ox) as usize;
                    if sx == 1 {
                        for (d, &v) in line[start..start + src.len()].iter_mut().zip(src) {
                            *d += v;
                        }
                    } else {
                        for (k, &v) in src.iter().enumerate() {
                            line[start + k * sx] += v;
                        }
                    }
                }
            }
        }
    }
}

/// The convolution of `x` (NCHW) with `weight` `(o, c, kh, kw)`, plus `bias` (`o` values): one
/// image at a time, its columns (small enough to stay in cache) then one GEMM into its output.
/// Images run on rayon's threads when the caller may use them (each image's arithmetic is the
/// same on any thread).
pub(crate) fn conv2d(
    x: &[f32],
    [n, c, h, w]: Nchw,
    weight: &[f32],
    out_channels: usize,
    bias: Option<&[f32]>,
    spec: &Window,
    out_hw: [usize; 2],
) -> Vec<f32> {
    let k = c * spec.kernel[0] * spec.kernel[1];
    let p = out_hw[0] * out_hw[1];
    // The bias written as the output's first value (one pass, no zeroing before it); the GEMM
    // then adds to it.
    let mut out = match bias {
        Some(b) => {
            let mut out = Vec::with_capacity(n * out_channels * p);
            wide(
                #[inline(always)]
                || {
                    for _ in 0..n {
                        for &bv in b {
                            out.resize(out.len() + p, bv);
                        }
                    }
                },
            );
            out
        }
        None => vec![0.0f32; n * out_channels * p],
    };
    if out.is_empty() {
        return out;
    }
    let w2 = ArrayView2::from_shape((out_channels, k), weight).expect("(o, c·kh·kw)");
    let beta = if bias.is_some() { 1.0 } else { 0.0 };
    let image = |img: usize, dst: &mut [f32], cols: &mut Vec<f32>| {
        let x_img = &x[img * c * h * w..][..c * h * w];
        conv_image(x_img, [c, h, w], w2, spec, out_hw, cols, beta, dst);
    };
    if n > 1 && out.len() >= PARALLEL_MIN_ELEMENTS && may_use_threads() {
        out.par_chunks_mut(out_channels * p)
            .enumerate()
            .for_each_init(Vec::new, |cols, (img, dst)| image(img, dst, cols));
    } else {
        let mut cols = Vec::new();
        for (img, dst) in out.chunks_mut(out_channels * p).enumerate() {
            image(img, dst, &mut cols);
        }
    }
    out
}

/// One image's convolution `dst = W·im2col(x_img) + beta·dst` (`dst` `(o, oh·ow)`), its columns
/// in `cols` (resized to fit).
#[allow(clippy::too_many_arguments)]
fn conv_image(
    x_img: &[f32],
    chw: [usize; 3],
    w2: ArrayView2<'_, f32>,
    spec: &Window,
    out_hw: [usize; 2],
    cols: &mut Vec<f32>,
    beta: f32,
    dst: &mut [f32],
) {
    let (o, k) = w2.dim();
    let p = out_hw[0] * out_hw[1];
    cols.resize(k * p, 0.0);
    wide(
        #[inline(always)]
        || im2col_one(x_img, chw, spec, out_hw, cols),
    );
    let c2 = ArrayView2::from_shape((k, p), &cols[..]).expect("(k, p)");
    let d2 = ArrayViewMut2::from_shape((o, p), dst).expect("(o, p)");
    gemm(1.0, w2, c2, beta, d2);
}

/// `max_pool2d(relu(conv2d(x, weight, bias)))` image by image: each image's convolution goes
/// into a scratch buffer (its columns and output stay in cache) and is pooled from there, so
/// the convolution's full-size output is never written. Every value goes through the same
/// operations as in [`conv2d`] then [`max_pool2d`] with `relu_first`: the same bits.
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv2d_relu_max_pool2d(
    x: &[f32],
    [n, c, h, w]: Nchw,
    weight: &[f32],
    out_channels: usize,
    bias: Option<&[f32]>,
    conv: &Window,
    conv_hw: [usize; 2],
    pool: &Window,
    pooled_hw: [usize; 2],
) -> (Vec<f32>, Vec<f32>) {
    let k = c * conv.kernel[0] * conv.kernel[1];
    let p = conv_hw[0] * conv_hw[1];
    let q = pooled_hw[0] * pooled_hw[1];
    let mut values = vec![0.0f32; n * out_channels * q];
    let mut indices = vec![0.0f32; n * out_channels * q];
    if values.is_empty() {
        return (values, indices);
    }
    let w2 = ArrayView2::from_shape((out_channels, k), weight).expect("(o, c·kh·kw)");
    let image = |img: usize, vals: &mut [f32], idx: &mut [f32], scratch: &mut ConvScratch| {
        let out = &mut scratch.out;
        match bias {
            Some(b) => {
                out.clear();
                for &bv in b {
                    out.resize(out.len() + p, bv);
                }
            }
            None => {
                // Zeros for clarity: with beta = 0 the GEMM does not read them.
                out.clear();
                out.resize(out_channels * p, 0.0);
            }
        }
        let beta = if bias.is_some() { 1.0 } else { 0.0 };
        let x_img = &x[img * c * h * w..][..c * h * w];
        conv_image(
            x_img,
            [c, h, w],
            w2,
            conv,
            conv_hw,
            &mut scratch.cols,
            beta,
            out,
        );
        for ((plane, v), i) in out
            .chunks_exact(p)
            .zip(vals.chunks_exact_mut(q))
            .zip(idx.chunks_exact_mut(q))
        {
            max_pool_plane(plane, conv_hw, pool, pooled_hw, true, v, i);
        }
    };
    let per_image = out_channels * q;
    if n > 1 && n * out_channels * p >= PARALLEL_MIN_ELEMENTS && may_use_threads() {
        values
            .par_chunks_mut(per_image)
            .zip(indices.par_chunks_mut(per_image))
            .enumerate()
            .for_each_init(ConvScratch::default, |scratch, (img, (v, i))| {
                image(img, v, i, scratch)
            });
    } else {
        let mut scratch = ConvScratch::default();
        for (img, (v, i)) in values
            .chunks_mut(per_image)
            .zip(indices.chunks_mut(per_image))
            .enumerate()
        {
            image(img, v, i, &mut scratch);
        }
    }
    (values, indices)
}

/// One thread's buffers for a convolution image by image: the columns and the output.
#[derive(Default)]
struct ConvScratch {
    cols: Vec<f32>,
    out: Vec<f32>,
}

/// Images per group of the weight gradient's partial sums, at least: a group's images run one
/// after another on one thread, each group into its own partial `dWᵀ`.
const GROUP_MIN_IMAGES: usize = 8;

/// Groups at most (16 partial sums), and the floats all partial sums may take together.
const GROUPS_MAX: usize = 16;
const GROUP_PARTIALS_MAX_FLOATS: usize = 1 << 24;

/// Images per group for a batch of `n` whose weight gradient has `k·o` values: fixed by the
/// shapes alone, so the order of every sum is the same on any number of threads.
fn group_images(n: usize, weight_len: usize) -> usize {
    let groups_by_memory = (GROUP_PARTIALS_MAX_FLOATS / weight_len.max(1)).clamp(1, GROUPS_MAX);
    n.div_ceil(groups_by_memory)
        .max(GROUP_MIN_IMAGES)
        .min(n.max(1))
}

/// The gradient at a convolution's output, as its backward reads it image by image.
#[derive(Clone, Copy)]
pub(crate) enum OutputGrad<'a> {
    /// The gradient itself, `(n, o, oh, ow)`.
    Plain(&'a [f32]),
    /// The gradient of a ReLU then max pooling after the convolution (`(n, o, ph, pw)` with the
    /// pooled values and the maxima's positions of [`max_pool2d`] with `relu_first`), taken back
    /// through them one image at a time, as [`max_pool2d_backward`] would.
    ThroughReluMaxPool {
        g: &'a [f32],
        values: &'a [f32],
        indices: &'a [f32],
        pool: &'a Window,
        pooled_hw: [usize; 2],
    },
}

impl<'a> OutputGrad<'a> {
    /// Image `img`'s gradient `(o, oh·ow)` at the convolution's output (`out_hw` = `[oh, ow]`):
    /// a slice of the plain gradient, or made in `scratch` through the pooling.
    fn image<'s>(
        self,
        img: usize,
        out_channels: usize,
        out_hw: [usize; 2],
        scratch: &'s mut Vec<f32>,
    ) -> &'s [f32]
    where
        'a: 's,
    {
        let p = out_hw[0] * out_hw[1];
        let (g, values, indices, pool, pooled_hw) = match self {
            OutputGrad::Plain(g) => return &g[img * out_channels * p..][..out_channels * p],
            OutputGrad::ThroughReluMaxPool {
                g,
                values,
                indices,
                pool,
                pooled_hw,
            } => (g, values, indices, pool, pooled_hw),
        };
        if scratch.len() != out_channels * p || !is_two_by_two(pool) {
            // The 2×2 windows write every position they cover and never the others, so there
            // the zeros put in for the first image last.
            scratch.clear();
            scratch.resize(out_channels * p, 0.0);
        }
        let q = pooled_hw[0] * pooled_hw[1];
        let at = img * out_channels * q;
        for (ch, dst) in scratch.chunks_exact_mut(p).enumerate() {
            let plane = at + ch * q..at + (ch + 1) * q;
            max_pool_plane_backward(
                &g[plane.clone()],
                Some(&values[plane.clone()]),
                &indices[plane],
                out_hw,
                pool,
                pooled_hw,
                dst,
            );
        }
        scratch
    }
}

/// The gradients of [`conv2d`] from the output gradient `grad`: `[dx, dweight, dbias]`, each
/// only where `need` asks.
///
/// The batch is cut into fixed groups of images ([`group_images`], set by the shapes alone).
/// Each group runs on one thread (alone, with a single group, its products may use rayon's
/// threads): per image its output gradient (taken back through the pooling first with
/// [`OutputGrad::ThroughReluMaxPool`]), its columns, their product with the output gradient
/// added into the group's partial `dWᵀ = Σ colsᵢ·gᵢᵀ` (`(k, o)`: the product's long side, k,
/// down the GEMM's rows is 1.5× faster at W6's shapes than g·colsᵀ), the input gradient
/// `col2im(Wᵀ·gᵢ)` and the image's bias sums. The partial sums are then added in group order
/// (the bias sums in image order), so the gradients are the same whichever thread ran which
/// group.
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv2d_backward(
    x: &[f32],
    [n, c, h, w]: Nchw,
    weight: &[f32],
    out_channels: usize,
    grad: OutputGrad<'_>,
    spec: &Window,
    out_hw: [usize; 2],
    [need_x, need_w, need_b]: [bool; 3],
) -> [Option<Vec<f32>>; 3] {
    let k = c * spec.kernel[0] * spec.kernel[1];
    let p = out_hw[0] * out_hw[1];
    let chw = c * h * w;
    let weight_len = k * out_channels;
    let per_group = group_images(n, weight_len);
    let groups = n.div_ceil(per_group);
    let mut dx = need_x.then(|| vec![0.0f32; n * chw]);
    let mut partials = if need_w {
        vec![0.0f32; groups * weight_len]
    } else {
        Vec::new()
    };
    // Per image, per output channel, the sum of its gradient plane.
    let mut image_sums = if need_b {
        vec![0.0f64; n * out_channels]
    } else {
        Vec::new()
    };
    let w2 = ArrayView2::from_shape((out_channels, k), weight).expect("(o, k)");
    // One group: images `first..` (as many as `dx_group` holds, or `per_group`), its partial
    // dWᵀ in `dwt` and its images' bias sums in `sums` (each empty when not needed).
    let group = |first: usize, dx_group: Option<&mut [f32]>, dwt: &mut [f32], sums: &mut [f64]| {
        let count = per_group.min(n - first);
        let mut cols = if need_w || need_x {
            vec![0.0f32; k * p]
        } else {
            Vec::new()
        };
        let mut made = Vec::new();
        let mut dx_group = dx_group;
        for (i, img) in (first..first + count).enumerate() {
            let gi = grad.image(img, out_channels, out_hw, &mut made);
            let g2 = ArrayView2::from_shape((out_channels, p), gi).expect("(o, p)");
            if need_w && k > 0 {
                wide(
                    #[inline(always)]
                    || im2col_one(&x[img * chw..][..chw], [c, h, w], spec, out_hw, &mut cols),
                );
                let c2 = ArrayView2::from_shape((k, p), &cols[..]).expect("(k, p)");
                let d2 = ArrayViewMut2::from_shape((k, out_channels), &mut *dwt).expect("(k, o)");
                gemm(1.0, c2, g2.t(), if i == 0 { 0.0 } else { 1.0 }, d2);
            }
            if let Some(dx_group) = dx_group.as_deref_mut().filter(|_| k > 0) {
                let d2 = ArrayViewMut2::from_shape((k, p), &mut cols[..]).expect("(k, p)");
                gemm(1.0, w2.t(), g2, 0.0, d2);
                let dst = &mut dx_group[i * chw..][..chw];
                wide(
                    #[inline(always)]
                    || col2im_one(&cols, [c, h, w], spec, out_hw, dst),
                );
            }
            if !sums.is_empty() {
                let sums = &mut sums[i * out_channels..][..out_channels];
                // One `wide` block around every plane's sum, not one per plane.
                wide(
                    #[inline(always)]
                    || {
                        for (sum, plane) in sums.iter_mut().zip(gi.chunks_exact(p)) {
                            *sum = plane_sum(plane);
                        }
                    },
                );
            }
        }
    };
    if (need_x || need_w || need_b) && n > 0 && p > 0 {
        // Each group's slice of the input gradient and its partial sums (empty where not
        // needed).
        let mut dx_parts = dx
            .as_deref_mut()
            .map(|dx| dx.chunks_mut(per_group * chw.max(1)));
        let mut w_parts = partials.chunks_mut(weight_len.max(1));
        let mut sum_parts = image_sums.chunks_mut(per_group * out_channels.max(1));
        let tasks: Vec<_> = (0..groups)
            .map(|gi| {
                let dx_group = dx_parts.as_mut().and_then(Iterator::next);
                // No output channel: the weight gradient has no values to sum.
                let dwt = match w_parts.next() {
                    Some(part) if need_w && weight_len > 0 => part,
                    _ => &mut [][..],
                };
                let sums = sum_parts.next().unwrap_or(&mut [][..]);
                (gi * per_group, dx_group, dwt, sums)
            })
            .collect();
        if groups > 1 && may_use_threads() {
            // One group per task, each on one thread (its products too).
            tasks
                .into_par_iter()
                .for_each(|(first, dx_group, dwt, sums)| {
                    single_threaded(|| group(first, dx_group, dwt, sums));
                });
        } else {
            for (first, dx_group, dwt, sums) in tasks {
                group(first, dx_group, dwt, sums);
            }
        }
    }
    let dw = need_w.then(|| {
        // dW = the partial dWᵀ sums added in group order, transposed to (o, k).
        let mut dw = vec![0.0f32; weight_len];
        for j in 0..k {
            for o in 0..out_channels {
                let mut sum = 0.0f32;
                for part in partials.chunks_exact(weight_len.max(1)) {
                    sum += part[j * out_channels + o];
                }
                dw[o * k + j] = sum;
            }
        }
        dw
    });
    let db = need_b.then(|| {
        // Each channel's image sums added in image order.
        let mut sums = vec![0.0f64; out_channels];
        for image in image_sums.chunks_exact(out_channels.max(1)) {
            for (sum, &s) in sums.iter_mut().zip(image) {
                *sum += s;
            }
        }
        sums.into_iter().map(|s| s as f32).collect()
    });
    [dx, dw, db]
}

/// The sum of one output plane: 16 running f32 sums (a fixed order, vectorised), then added
/// into an f64 in lane order. Inlined into the caller's [`wide`] block.
#[inline(always)]
fn plane_sum(values: &[f32]) -> f64 {
    let mut lanes = [0.0f32; 16];
    let blocks = values.chunks_exact(16);
    let tail = blocks.remainder();
    for block in blocks {
        for (lane, &v) in lanes.iter_mut().zip(block) {
            *lane += v;
        }
    }
    let mut sum = tail.iter().map(|&v| v as f64).sum::<f64>();
    for lane in lanes {
        sum += lane as f64;
    }
    sum
}

/// Runs `f(plane index, output plane)` over the `planes` output planes of `plane_len` values, on
/// rayon's threads when the work is large.
fn each_plane(out: &mut [f32], plane_len: usize, f: impl Fn(usize, &mut [f32]) + Sync) {
    if plane_len == 0 {
        return;
    }
    if out.len() >= PARALLEL_MIN_ELEMENTS && may_use_threads() {
        out.par_chunks_mut(plane_len)
            .enumerate()
            .for_each(|(i, plane)| f(i, plane));
    } else {
        for (i, plane) in out.chunks_mut(plane_len).enumerate() {
            f(i, plane);
        }
    }
}

/// The input rows (or columns) `lo..hi` of output `o`'s window, clipped to `0..size`.
#[inline]
fn window_span(
    o: usize,
    stride: usize,
    padding: usize,
    kernel: usize,
    size: usize,
) -> (usize, usize) {
    let start = (o * stride) as isize - padding as isize;
    let lo = start.max(0) as usize;
    let hi = ((start + kernel as isize).max(0) as usize).min(size);
    (lo, hi.max(lo))
}

/// Whether `spec` is the common 2×2 window with stride 2 and no padding (the Keras convnet's),
/// whose windows tile the input without overlapping.
fn is_two_by_two(spec: &Window) -> bool {
    spec.kernel == [2, 2]
        && spec.stride == [2, 2]
        && spec.padding == [0, 0]
        && spec.dilation == [1, 1]
}

/// 2×2 max pooling of one plane of width `w`: four loads and three selects per output, no
/// branches. Each index is the flat input
/// position of the first maximum in reading order; a NaN wins over numbers (as in PyTorch).
/// With `RELU`, each input goes through ReLU (`v.max(0.0)`, NaN to 0) as it is loaded: the same
/// values and indices as pooling a ReLU's output, without writing that output.
#[inline(always)]
fn max_pool_2x2_plane<const RELU: bool>(
    src: &[f32],
    w: usize,
    [oh, ow]: [usize; 2],
    vals: &mut [f32],
    idx: &mut [f32],
) {
    let beats = |v: f32, best: f32| v > best || (v.is_nan() && !best.is_nan());
    let (right, below, diagonal) = (1.0f32, w as f32, (w + 1) as f32);
    for y in 0..oh {
        let top = &src[2 * y * w..][..2 * ow];
        let bottom = &src[(2 * y + 1) * w..][..2 * ow];
        let (vals, idx) = (&mut vals[y * ow..][..ow], &mut idx[y * ow..][..ow]);
        let row_start = (2 * y * w) as f32;
        for xo in 0..ow {
            let relu = |v: f32| if RELU { v.max(0.0) } else { v };
            let (a, b, c, d) = (
                relu(top[2 * xo]),
                relu(top[2 * xo + 1]),
                relu(bottom[2 * xo]),
                relu(bottom[2 * xo + 1]),
            );
            let (mut best, mut at) = (a, 0.0f32);
            let take = beats(b, best);
            best = if take { b } else { best };
            at = if take { right } else { at };
            let take = beats(c, best);
            best = if take { c } else { best };
            at = if take { below } else { at };
            let take = beats(d, best);
            best = if take { d } else { best };
            at = if take { diagonal } else { at };
            vals[xo] = best;
            idx[xo] = row_start + (2 * xo) as f32 + at;
        }
    }
}

/// The gradient of 2×2 pooling for one plane: every input of a window written (the gradient at
/// its maximum, 0 at the other three), branch-free; the rows and columns no window covers keep
/// the zeros they were given. With `RELU`, `relu_values` holds the pooled values of a ReLU then
/// pooling, and each window's gradient is first multiplied by ReLU's derivative there, 1 or 0
/// as the pooled value is positive or not: what ReLU's backward would have made of the
/// pooling's gradient. (A const parameter, not an `Option`: a branch in the loop stopped it
/// from vectorising.)
#[inline(always)]
fn max_pool_2x2_plane_backward<const RELU: bool>(
    g: &[f32],
    relu_values: &[f32],
    indices: &[f32],
    w: usize,
    [oh, ow]: [usize; 2],
    dst: &mut [f32],
) {
    let (right, below, diagonal) = (1.0f32, w as f32, (w + 1) as f32);
    for y in 0..oh {
        let (gs, is) = (&g[y * ow..][..ow], &indices[y * ow..][..ow]);
        let vs = if RELU {
            &relu_values[y * ow..][..ow]
        } else {
            gs
        };
        let (top, bottom) = dst[2 * y * w..][..2 * w].split_at_mut(w);
        let (top, bottom) = (&mut top[..2 * ow], &mut bottom[..2 * ow]);
        let row_start = (2 * y * w) as f32;
        for xo in 0..ow {
            let at = is[xo] - (row_start + (2 * xo) as f32);
            let gv = if RELU {
                gs[xo] * if vs[xo] > 0.0 { 1.0 } else { 0.0 }
            } else {
                gs[xo]
            };
            top[2 * xo] = if at == 0.0 { gv } else { 0.0 };
            top[2 * xo + 1] = if at == right { gv } else { 0.0 };
            bottom[2 * xo] = if at == below { gv } else { 0.0 };
            bottom[2 * xo + 1] = if at == diagonal { gv } else { 0.0 };
        }
    }
}

/// Max pooling of one plane `src` (`[h, w]`) into `vals` and `idx` (`[oh, ow]`): see
/// [`max_pool2d`].
#[inline]
fn max_pool_plane(
    src: &[f32],
    [h, w]: [usize; 2],
    spec: &Window,
    [oh, ow]: [usize; 2],
    relu_first: bool,
    vals: &mut [f32],
    idx: &mut [f32],
) {
    if is_two_by_two(spec) {
        // Baseline (SSE2) code: AVX-512's wide interleaved loads made it 3× slower.
        if relu_first {
            max_pool_2x2_plane::<true>(src, w, [oh, ow], vals, idx);
        } else {
            max_pool_2x2_plane::<false>(src, w, [oh, ow], vals, idx);
        }
        return;
    }
    for y in 0..oh {
        let (y0, y1) = window_span(y, spec.stride[0], spec.padding[0], spec.kernel[0], h);
        for xo in 0..ow {
            let (x0, x1) = window_span(xo, spec.stride[1], spec.padding[1], spec.kernel[1], w);
            let (mut best, mut at) = (f32::NEG_INFINITY, y0 * w + x0);
            let mut first = true;
            for iy in y0..y1 {
                let row = &src[iy * w..][..w];
                for (ix, &v) in row.iter().enumerate().take(x1).skip(x0) {
                    let v = if relu_first { v.max(0.0) } else { v };
                    if first || v > best || (v.is_nan() && !best.is_nan()) {
                        best = v;
                        at = iy * w + ix;
                        first = false;
                    }
                }
            }
            vals[y * ow + xo] = best;
            idx[y * ow + xo] = at as f32;
        }
    }
}

/// Max pooling: the maxima and, per output, the flat index within its input plane of the first
/// maximum (as f32; padding is −∞ and never chosen). With `relu_first`, the pooling of
/// `relu(x)`, each input through `max(v, 0)` as it is loaded.
pub(crate) fn max_pool2d(
    x: &[f32],
    [n, c, h, w]: Nchw,
    spec: &Window,
    [oh, ow]: [usize; 2],
    relu_first: bool,
) -> (Vec<f32>, Vec<f32>) {
    let plane_out = oh * ow;
    let mut values = vec![0.0f32; n * c * plane_out];
    let mut indices = vec![0.0f32; n * c * plane_out];
    let plane = |pl: usize, vals: &mut [f32], idx: &mut [f32]| {
        let src = &x[pl * h * w..][..h * w];
        max_pool_plane(src, [h, w], spec, [oh, ow], relu_first, vals, idx);
    };
    if plane_out > 0 {
        if values.len() >= PARALLEL_MIN_ELEMENTS / 4 && may_use_threads() {
            values
                .par_chunks_mut(plane_out)
                .zip(indices.par_chunks_mut(plane_out))
                .enumerate()
                .for_each(|(pl, (v, i))| plane(pl, v, i));
        } else {
            for (pl, (v, i)) in values
                .chunks_mut(plane_out)
                .zip(indices.chunks_mut(plane_out))
                .enumerate()
            {
                plane(pl, v, i);
            }
        }
    }
    (values, indices)
}

/// The gradient of [`max_pool2d`]: each output's gradient added at its maximum's position.
/// With `relu_values` (the forward's pooled values, when it had `relu_first`), ReLU's backward
/// too: each position that got a gradient is then multiplied by 1 or 0 as its value was
/// positive or not, exactly as ReLU's backward multiplies the pooling's gradient.
pub(crate) fn max_pool2d_backward(
    g: &[f32],
    relu_values: Option<&[f32]>,
    indices: &[f32],
    [n, c, h, w]: Nchw,
    spec: &Window,
    [oh, ow]: [usize; 2],
) -> Vec<f32> {
    let mut out = vec![0.0f32; n * c * h * w];
    each_plane(&mut out, h * w, |pl, dst| {
        let plane = pl * oh * ow..(pl + 1) * oh * ow;
        let (gs, is) = (&g[plane.clone()], &indices[plane.clone()]);
        let vs = relu_values.map(|v| &v[plane]);
        max_pool_plane_backward(gs, vs, is, [h, w], spec, [oh, ow], dst);
    });
    out
}

/// The gradient of max pooling for one plane into `dst` (`[h, w]`), which holds zeros: see
/// [`max_pool2d_backward`]. (The common 2×2 window writes every position it covers, so there
/// only the positions no window covers need the zeros.)
#[inline]
fn max_pool_plane_backward(
    gs: &[f32],
    relu_values: Option<&[f32]>,
    is: &[f32],
    [_, w]: [usize; 2],
    spec: &Window,
    [oh, ow]: [usize; 2],
    dst: &mut [f32],
) {
    if is_two_by_two(spec) {
        match relu_values {
            Some(vs) => wide(
                #[inline(always)]
                || max_pool_2x2_plane_backward::<true>(gs, vs, is, w, [oh, ow], dst),
            ),
            None => wide(
                #[inline(always)]
                || max_pool_2x2_plane_backward::<false>(gs, &[], is, w, [oh, ow], dst),
            ),
        }
        return;
    }
    for (&gv, &i) in gs.iter().zip(is) {
        dst[i as usize] += gv;
    }
    if let Some(vs) = relu_values {
        // Windows that share a maximum share its value, so a position is multiplied by the
        // same factor however many windows chose it (and x·0·0 = x·0).
        for (&v, &i) in vs.iter().zip(is) {
            let factor = if v > 0.0 { 1.0 } else { 0.0 };
            dst[i as usize] *= factor;
        }
    }
}

/// Average pooling (padding counts as zeros in the mean, PyTorch's `count_include_pad=True`).
pub(crate) fn avg_pool2d(
    x: &[f32],
    [n, c, h, w]: Nchw,
    spec: &Window,
    [oh, ow]: [usize; 2],
) -> Vec<f32> {
    let mut out = vec![0.0f32; n * c * oh * ow];
    let area = (spec.kernel[0] * spec.kernel[1]) as f32;
    each_plane(&mut out, oh * ow, |pl, dst| {
        let src = &x[pl * h * w..][..h * w];
        for y in 0..oh {
            let (y0, y1) = window_span(y, spec.stride[0], spec.padding[0], spec.kernel[0], h);
            for xo in 0..ow {
                let (x0, x1) = window_span(xo, spec.stride[1], spec.padding[1], spec.kernel[1], w);
                let mut sum = 0.0f32;
                for iy in y0..y1 {
                    sum += src[iy * w + x0..iy * w + x1].iter().sum::<f32>();
                }
                dst[y * ow + xo] = sum / area;
            }
        }
    });
    out
}

/// The gradient of [`avg_pool2d`]: each output's gradient shared equally over its window.
pub(crate) fn avg_pool2d_backward(
    g: &[f32],
    [n, c, h, w]: Nchw,
    spec: &Window,
    [oh, ow]: [usize; 2],
) -> Vec<f32> {
    let mut out = vec![0.0f32; n * c * h * w];
    let area = (spec.kernel[0] * spec.kernel[1]) as f32;
    each_plane(&mut out, h * w, |pl, dst| {
        let gs = &g[pl * oh * ow..][..oh * ow];
        for y in 0..oh {
            let (y0, y1) = window_span(y, spec.stride[0], spec.padding[0], spec.kernel[0], h);
            for xo in 0..ow {
                let (x0, x1) = window_span(xo, spec.stride[1], spec.padding[1], spec.kernel[1], w);
                let share = gs[y * ow + xo] / area;
                for iy in y0..y1 {
                    for v in &mut dst[iy * w + x0..iy * w + x1] {
                        *v += share;
                    }
                }
            }
        }
    });
    out
}
