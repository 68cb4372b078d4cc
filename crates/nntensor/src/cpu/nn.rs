//! The fused kernels of neural networks: the dense layer `x·w + b` and its gradients, softmax
//! cross-entropy, and the elementwise losses (squared error, BCE on logits) with their saved
//! gradients.

use super::fastmath::{exp_fast, ln_1p_unit};
use super::{gemm_slices, sum_rows_slice, wide, Flat};

/// Running sums of a fused loss: one 512-bit vector of `f32`.
const LOSS_LANES: usize = 16;

/// The sum of `f(x, t).0` over row-major slices, writing `scale · f(x, t).1` into `d` (when `d`
/// is not empty), in one pass simple enough to vectorise: the terms go into [`LOSS_LANES`]
/// running sums (element `i` into sum `i % LOSS_LANES`), added in order at the end, so the
/// result depends only on the inputs. Always inlined, so that the [`wide`] around its call
/// compiles it for wide vectors.
#[inline(always)]
fn fused_loss_slices(
    x: &[f32],
    t: &[f32],
    d: &mut [f32],
    f: &impl Fn(f32, f32) -> (f32, f32),
    scale: f32,
) -> f64 {
    let mut lanes = [0.0f32; LOSS_LANES];
    let (mut x_chunks, mut t_chunks) = (x.chunks_exact(LOSS_LANES), t.chunks_exact(LOSS_LANES));
    if d.is_empty() {
        for (xs, ts) in (&mut x_chunks).zip(&mut t_chunks) {
            for ((lane, &x), &t) in lanes.iter_mut().zip(xs).zip(ts) {
                *lane += f(x, t).0;
            }
        }
    } else {
        let mut d_chunks = d.chunks_exact_mut(LOSS_LANES);
        for ((xs, ts), ds) in (&mut x_chunks).zip(&mut t_chunks).zip(&mut d_chunks) {
            let (xs, ts): (&[f32; LOSS_LANES], &[f32; LOSS_LANES]) =
                (xs.try_into().unwrap(), ts.try_into().unwrap());
            let mut terms = [0.0f32; LOSS_LANES];
            let mut dterms = [0.0f32; LOSS_LANES];
            for i in 0..LOSS_LANES {
                (terms[i], dterms[i]) = f(xs[i], ts[i]);
            }
            for i in 0..LOSS_LANES {
                lanes[i] += terms[i];
                ds[i] = scale * dterms[i];
            }
        }
        let rest = x_chunks.remainder().iter().zip(t_chunks.remainder());
        for ((&x, &t), d) in rest.zip(d_chunks.into_remainder()) {
            *d = scale * f(x, t).1;
        }
    }
    let rest = x_chunks.remainder().iter().zip(t_chunks.remainder());
    for (lane, (&x, &t)) in lanes.iter_mut().zip(rest) {
        *lane += f(x, t).0;
    }
    lanes.iter().map(|&lane| lane as f64).sum()
}

/// `x · w + b` for row-major `x` `(n, in)`, `w` `(in, out)` and `b` `(out,)` (shapes checked by
/// the caller), with `b` pre-filled into the output and one GEMM with `beta = 1`.
pub(crate) fn linear(
    (n, in_features, x): (usize, usize, &[f32]),
    (out_features, w): (usize, &[f32]),
    b: Option<&[f32]>,
) -> Vec<f32> {
    let mut out = match b {
        Some(b1) => {
            // The bias in the first row, then the filled part copied onto the rest, doubling
            // each time (a broadcast view's iterator, or a copy per row, costs far more when
            // rows are narrow).
            let total = n * out_features;
            let mut data = Vec::with_capacity(total);
            if total > 0 {
                data.extend_from_slice(b1);
                while data.len() < total {
                    let count = data.len().min(total - data.len());
                    data.extend_from_within(..count);
                }
            }
            data
        }
        None => super::zeroed(n * out_features),
    };
    let beta = if b.is_some() { 1.0 } else { 0.0 };
    let (x, w) = (
        Flat::row_major(x, in_features),
        Flat::row_major(w, out_features),
    );
    gemm_slices(1.0, x, w, beta, &mut out, (n, in_features, out_features));
    out
}

/// The gradients of [`linear`] given `g` `(n, out)`: `dx = g·wᵀ`, `dw = xᵀ·g` (on transposed
/// views) and `db` = the column sums of `g`, each only if asked for.
pub(crate) fn linear_backward(
    (n, in_features, x): (usize, usize, &[f32]),
    (out_features, w): (usize, &[f32]),
    g: &[f32],
    [need_x, need_w, need_b]: [bool; 3],
) -> [Option<Vec<f32>>; 3] {
    let product = |a: Flat<'_>, b: Flat<'_>, (m, k, n): (usize, usize, usize)| {
        let mut c = super::zeroed(m * n);
        gemm_slices(1.0, a, b, 0.0, &mut c, (m, k, n));
        c
    };
    let dw = need_w.then(|| {
        let (xt, g) = (
            Flat::transposed(x, in_features),
            Flat::row_major(g, out_features),
        );
        product(xt, g, (in_features, n, out_features))
    });
    let db = need_b.then(|| sum_rows_slice(g, out_features));
    let dx = need_x.then(|| {
        let (g, wt) = (
            Flat::row_major(g, out_features),
            Flat::transposed(w, out_features),
        );
        product(g, wt, (n, out_features, in_features))
    });
    [dx, dw, db]
}

/// Shared forward of both softmax cross-entropies. `targets(row, visit)` calls `visit(class, weight)`
/// for each non-zero target of a row. Returns the mean loss and, if asked, `(softmax − targets) / n`.
/// One pass over each row's memory: its exponentials (into the gradient's row, where they
/// vectorise), their sum, its loss terms, then its gradient.
pub(crate) fn softmax_cross_entropy(
    (n, classes, x): (usize, usize, &[f32]),
    want_grad: bool,
    targets: impl Fn(usize, &mut dyn FnMut(usize, f32)),
) -> (f32, Option<Vec<f32>>) {
    let inv_n = 1.0 / n as f32;
    // The gradient, or one row of scratch space when no gradient is wanted.
    let mut d = super::zeroed(if want_grad { n * classes } else { classes });
    let mut total = 0.0f64;
    wide(
        #[inline(always)]
        || {
            for (row, xs) in x.chunks_exact(classes.max(1)).enumerate() {
                let ds = if want_grad {
                    &mut d[row * classes..(row + 1) * classes]
                } else {
                    &mut d[..]
                };
                let max = xs.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
                for (e, &v) in ds.iter_mut().zip(xs) {
                    *e = exp_fast(v - max);
                }
                let sum: f32 = ds.iter().sum();
                // log_softmax(x)_c = x_c − shift.
                let shift = max + sum.ln();
                let mut target_sum = 0.0;
                targets(row, &mut |c, t| {
                    if t != 0.0 {
                        total -= (t * (xs[c] - shift)) as f64;
                    }
                    target_sum += t;
                });
                if want_grad {
                    // ∂/∂logits of −Σ_c t_c·log_softmax_c = softmax·Σ_c t_c − t, over n.
                    let scale = target_sum * inv_n / sum;
                    for e in ds.iter_mut() {
                        *e *= scale;
                    }
                    targets(row, &mut |c, t| ds[c] -= t * inv_n);
                }
            }
        },
    );
    ((total / n as f64) as f32, want_grad.then_some(d))
}

/// `scale · Σ (x − t)²` over row-major slices, with `d = 2·scale·(x − t)` when `d` is not empty.
pub(crate) fn squared_error(x: &[f32], t: &[f32], d: &mut [f32], scale: f32) -> f64 {
    wide(
        #[inline(always)]
        || {
            fused_loss_slices(
                x,
                t,
                d,
                &|x, t| {
                    let diff = x - t;
                    (diff * diff, 2.0 * diff)
                },
                scale,
            )
        },
    ) * scale as f64
}

/// `scale · Σ softplus(x) − t·x` (binary cross-entropy on logits) over row-major slices, with
/// `d = scale·(sigmoid(x) − t)` when `d` is not empty.
pub(crate) fn binary_cross_entropy_with_logits(
    x: &[f32],
    t: &[f32],
    d: &mut [f32],
    scale: f32,
) -> f64 {
    wide(
        #[inline(always)]
        || {
            fused_loss_slices(
                x,
                t,
                d,
                &|x, t| {
                    // One e^−|x| serves both softplus(x) and σ(x).
                    let e = exp_fast(-x.abs());
                    let softplus = x.max(0.0) + ln_1p_unit(e);
                    let r = 1.0 / (1.0 + e);
                    let sigmoid = if x >= 0.0 { r } else { e * r };
                    (softplus - t * x, sigmoid - t)
                },
                scale,
            )
        },
    ) * scale as f64
}
