//! 2-D convolution as im2col + one GEMM over the whole batch, and max/average pooling, on NCHW
//! tensors. The im2col rows and the pooling planes are filled on rayon's threads in fixed-size
//! pieces, each element's arithmetic the same whichever thread runs it; the GEMM is the project's
//! (bit-identical for any thread count), so results do not depend on the thread count.

use super::gemm::{gemm, may_use_threads};
use crate::ops::conv::Window;
use ndarray::{ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

/// Elements below which a plane loop stays on the calling thread.
const PARALLEL_MIN_ELEMENTS: usize = 1 << 15;

/// `(n, c, h, w)` of an NCHW shape.
pub(crate) type Nchw = [usize; 4];

/// The columns of the convolution: row `(ci, ki, kj)`, column `(n, oh, ow)`, the input element
/// under that kernel tap (0 in the padding).
pub(crate) fn im2col(
    x: &[f32],
    [n, c, h, w]: Nchw,
    spec: &Window,
    [oh, ow]: [usize; 2],
) -> Vec<f32> {
    let [kh, kw] = spec.kernel;
    let cols = n * oh * ow;
    let mut out = vec![0.0f32; c * kh * kw * cols];
    if cols == 0 {
        return out;
    }
    let fill_row = |r: usize, row: &mut [f32]| {
        let (ci, ki, kj) = (r / (kh * kw), (r / kw) % kh, r % kw);
        for img in 0..n {
            let plane = &x[(img * c + ci) * h * w..][..h * w];
            for y in 0..oh {
                let iy = (y * spec.stride[0] + ki * spec.dilation[0]) as isize
                    - spec.padding[0] as isize;
                let dst = &mut row[(img * oh + y) * ow..][..ow];
                if iy < 0 || iy >= h as isize {
                    dst.iter_mut().for_each(|v| *v = 0.0);
                    continue;
                }
                let src = &plane[iy as usize * w..][..w];
                for (xo, d) in dst.iter_mut().enumerate() {
                    let ix = (xo * spec.stride[1] + kj * spec.dilation[1]) as isize
                        - spec.padding[1] as isize;
                    *d = if ix < 0 || ix >= w as isize {
                        0.0
                    } else {
                        src[ix as usize]
                    };
                }
            }
        }
    };
    if out.len() >= PARALLEL_MIN_ELEMENTS && may_use_threads() {
        out.par_chunks_mut(cols)
            .enumerate()
            .for_each(|(r, row)| fill_row(r, row));
    } else {
        for (r, row) in out.chunks_mut(cols).enumerate() {
            fill_row(r, row);
        }
    }
    out
}

/// The inverse of [`im2col`]: each column entry added back at its input position (the gradient
/// of the input), one `(n, ci)` plane per task, taps in a fixed order.
pub(crate) fn col2im(
    cols: &[f32],
    [n, c, h, w]: Nchw,
    spec: &Window,
    [oh, ow]: [usize; 2],
) -> Vec<f32> {
    let [kh, kw] = spec.kernel;
    let ncols = n * oh * ow;
    let mut out = vec![0.0f32; n * c * h * w];
    if ncols == 0 || out.is_empty() {
        return out;
    }
    let plane = |p: usize, dst: &mut [f32]| {
        let (img, ci) = (p / c, p % c);
        for ki in 0..kh {
            for kj in 0..kw {
                let row = &cols[((ci * kh + ki) * kw + kj) * ncols..][..ncols];
                for y in 0..oh {
                    let iy = (y * spec.stride[0] + ki * spec.dilation[0]) as isize
                        - spec.padding[0] as isize;
                    if iy < 0 || iy >= h as isize {
                        continue;
                    }
                    let src = &row[(img * oh + y) * ow..][..ow];
                    let line = &mut dst[iy as usize * w..][..w];
                    for (xo, &v) in src.iter().enumerate() {
                        let ix = (xo * spec.stride[1] + kj * spec.dilation[1]) as isize
                            - spec.padding[1] as isize;
                        if ix >= 0 && ix < w as isize {
                            line[ix as usize] += v;
                        }
                    }
                }
            }
        }
    };
    if out.len() >= PARALLEL_MIN_ELEMENTS && may_use_threads() {
        out.par_chunks_mut(h * w)
            .enumerate()
            .for_each(|(p, dst)| plane(p, dst));
    } else {
        for (p, dst) in out.chunks_mut(h * w).enumerate() {
            plane(p, dst);
        }
    }
    out
}

/// `(O, N·P)` (the GEMM's layout) as `(N, O, P)` (NCHW), plus a bias per channel.
fn to_nchw(mat: &[f32], (n, o, p): (usize, usize, usize), bias: Option<&[f32]>) -> Vec<f32> {
    let mut out = vec![0.0f32; n * o * p];
    for img in 0..n {
        for ch in 0..o {
            let b = bias.map_or(0.0, |b| b[ch]);
            let src = &mat[ch * n * p + img * p..][..p];
            let dst = &mut out[(img * o + ch) * p..][..p];
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = s + b;
            }
        }
    }
    out
}

/// `(N, O, P)` as `(O, N·P)`.
fn from_nchw(g: &[f32], (n, o, p): (usize, usize, usize)) -> Vec<f32> {
    let mut out = vec![0.0f32; n * o * p];
    for img in 0..n {
        for ch in 0..o {
            out[ch * n * p + img * p..][..p].copy_from_slice(&g[(img * o + ch) * p..][..p]);
        }
    }
    out
}

/// The convolution of `x` (NCHW) with `weight` `(o, c, kh, kw)`, plus `bias` (`o` values).
pub(crate) fn conv2d(
    x: &[f32],
    dims: Nchw,
    weight: &[f32],
    out_channels: usize,
    bias: Option<&[f32]>,
    spec: &Window,
    out_hw: [usize; 2],
) -> Vec<f32> {
    let [n, c, ..] = dims;
    let k = c * spec.kernel[0] * spec.kernel[1];
    let p = out_hw[0] * out_hw[1];
    let cols = im2col(x, dims, spec, out_hw);
    let mut mat = vec![0.0f32; out_channels * n * p];
    let w2 = ArrayView2::from_shape((out_channels, k), weight).expect("(o, c·kh·kw)");
    let c2 = ArrayView2::from_shape((k, n * p), &cols).expect("(c·kh·kw, n·p)");
    let m2 = ArrayViewMut2::from_shape((out_channels, n * p), &mut mat).expect("(o, n·p)");
    gemm(1.0, w2, c2, 0.0, m2);
    to_nchw(&mat, (n, out_channels, p), bias)
}

/// The gradients of [`conv2d`] from `g` (`(n, o, oh, ow)`): `[dx, dweight, dbias]`, each only
/// where `need` asks.
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv2d_backward(
    x: &[f32],
    dims: Nchw,
    weight: &[f32],
    out_channels: usize,
    g: &[f32],
    spec: &Window,
    out_hw: [usize; 2],
    [need_x, need_w, need_b]: [bool; 3],
) -> [Option<Vec<f32>>; 3] {
    let [n, c, ..] = dims;
    let k = c * spec.kernel[0] * spec.kernel[1];
    let p = out_hw[0] * out_hw[1];
    let gmat = from_nchw(g, (n, out_channels, p));
    let g2 = ArrayView2::from_shape((out_channels, n * p), &gmat).expect("(o, n·p)");
    let dw = need_w.then(|| {
        let cols = im2col(x, dims, spec, out_hw);
        let c2 = ArrayView2::from_shape((k, n * p), &cols).expect("(k, n·p)");
        let mut dw = vec![0.0f32; out_channels * k];
        let d2 = ArrayViewMut2::from_shape((out_channels, k), &mut dw).expect("(o, k)");
        gemm(1.0, g2, c2.t(), 0.0, d2);
        dw
    });
    let dx = need_x.then(|| {
        let w2 = ArrayView2::from_shape((out_channels, k), weight).expect("(o, k)");
        let mut dcols = vec![0.0f32; k * n * p];
        let d2 = ArrayViewMut2::from_shape((k, n * p), &mut dcols).expect("(k, n·p)");
        gemm(1.0, w2.t(), g2, 0.0, d2);
        col2im(&dcols, dims, spec, out_hw)
    });
    let db = need_b.then(|| {
        (0..out_channels)
            .map(|ch| {
                gmat[ch * n * p..][..n * p]
                    .iter()
                    .map(|&v| v as f64)
                    .sum::<f64>() as f32
            })
            .collect()
    });
    [dx, dw, db]
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

/// Max pooling: the maxima and, per output, the flat index within its input plane of the first
/// maximum (as f32; padding is −∞ and never chosen).
pub(crate) fn max_pool2d(
    x: &[f32],
    [n, c, h, w]: Nchw,
    spec: &Window,
    [oh, ow]: [usize; 2],
) -> (Vec<f32>, Vec<f32>) {
    let planes = n * c;
    let mut out = vec![0.0f32; planes * oh * ow * 2];
    // Values and indices side by side per plane, split afterwards (one pass, one allocation).
    each_plane(&mut out, oh * ow * 2, |pl, dst| {
        let src = &x[pl * h * w..][..h * w];
        let (vals, idx) = dst.split_at_mut(oh * ow);
        for y in 0..oh {
            for xo in 0..ow {
                let (mut best, mut at) = (f32::NEG_INFINITY, usize::MAX);
                for ki in 0..spec.kernel[0] {
                    let iy = (y * spec.stride[0] + ki) as isize - spec.padding[0] as isize;
                    if iy < 0 || iy >= h as isize {
                        continue;
                    }
                    for kj in 0..spec.kernel[1] {
                        let ix = (xo * spec.stride[1] + kj) as isize - spec.padding[1] as isize;
                        if ix < 0 || ix >= w as isize {
                            continue;
                        }
                        let pos = iy as usize * w + ix as usize;
                        let v = src[pos];
                        if at == usize::MAX || v > best || v.is_nan() && !best.is_nan() {
                            best = v;
                            at = pos;
                        }
                    }
                }
                vals[y * ow + xo] = best;
                idx[y * ow + xo] = at as f32;
            }
        }
    });
    let mut values = Vec::with_capacity(planes * oh * ow);
    let mut indices = Vec::with_capacity(planes * oh * ow);
    for plane in out.chunks(oh * ow * 2) {
        values.extend_from_slice(&plane[..oh * ow]);
        indices.extend_from_slice(&plane[oh * ow..]);
    }
    (values, indices)
}

/// The gradient of [`max_pool2d`]: each output's gradient added at its maximum's position.
pub(crate) fn max_pool2d_backward(
    g: &[f32],
    indices: &[f32],
    [n, c, h, w]: Nchw,
    [oh, ow]: [usize; 2],
) -> Vec<f32> {
    let mut out = vec![0.0f32; n * c * h * w];
    each_plane(&mut out, h * w, |pl, dst| {
        let (gs, is) = (
            &g[pl * oh * ow..][..oh * ow],
            &indices[pl * oh * ow..][..oh * ow],
        );
        for (&gv, &i) in gs.iter().zip(is) {
            dst[i as usize] += gv;
        }
    });
    out
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
            for xo in 0..ow {
                let mut sum = 0.0f32;
                for ki in 0..spec.kernel[0] {
                    let iy = (y * spec.stride[0] + ki) as isize - spec.padding[0] as isize;
                    if iy < 0 || iy >= h as isize {
                        continue;
                    }
                    for kj in 0..spec.kernel[1] {
                        let ix = (xo * spec.stride[1] + kj) as isize - spec.padding[1] as isize;
                        if ix >= 0 && ix < w as isize {
                            sum += src[iy as usize * w + ix as usize];
                        }
                    }
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
            for xo in 0..ow {
                let share = gs[y * ow + xo] / area;
                for ki in 0..spec.kernel[0] {
                    let iy = (y * spec.stride[0] + ki) as isize - spec.padding[0] as isize;
                    if iy < 0 || iy >= h as isize {
                        continue;
                    }
                    for kj in 0..spec.kernel[1] {
                        let ix = (xo * spec.stride[1] + kj) as isize - spec.padding[1] as isize;
                        if ix >= 0 && ix < w as isize {
                            dst[iy as usize * w + ix as usize] += share;
                        }
                    }
                }
            }
        }
    });
    out
}
