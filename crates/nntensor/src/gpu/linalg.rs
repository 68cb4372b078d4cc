//! The tiled matrix product (strided operands, batches, an optional bias) and the fused losses.

use super::buffer::GpuBuffer;
use super::context::grid;
use super::params::{fw, word};
use super::reduce::{reduce, Extra};
use crate::ops::reduce_axes::Reduce;

/// Output rows and columns of one matmul work group.
const TILE: usize = 64;

/// How an operand is read: element `(i, k)` of batch `b` at `b·batch + i·row + k·col`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Operand<'a> {
    /// The buffer.
    pub(crate) data: &'a GpuBuffer,
    /// Stride between rows.
    pub(crate) row: usize,
    /// Stride between columns.
    pub(crate) col: usize,
    /// Stride between batches (0 repeats one matrix for every batch).
    pub(crate) batch: usize,
}

impl<'a> Operand<'a> {
    /// A row-major `(rows, cols)` matrix, or a batch of them.
    pub(crate) fn rows(data: &'a GpuBuffer, rows: usize, cols: usize) -> Operand<'a> {
        Operand {
            data,
            row: cols,
            col: 1,
            batch: rows * cols,
        }
    }

    /// The transpose of a row-major `(rows, cols)` matrix (read in place, not copied).
    pub(crate) fn transposed(data: &'a GpuBuffer, rows: usize, cols: usize) -> Operand<'a> {
        Operand {
            data,
            row: 1,
            col: cols,
            batch: rows * cols,
        }
    }
}

/// `batches` products `(m, k)·(k, n)` into a new row-major `(batches, m, n)` buffer, plus `bias`
/// (`n` values) on every row.
#[track_caller]
pub(crate) fn matmul(
    a: Operand<'_>,
    b: Operand<'_>,
    (batches, m, k, n): (usize, usize, usize, usize),
    bias: Option<&GpuBuffer>,
) -> GpuBuffer {
    let ctx = &a.data.ctx;
    let out = GpuBuffer::uninit(ctx, batches * m * n);
    if batches * m * n == 0 {
        return out;
    }
    if k == 0 {
        return match bias {
            None => super::elementwise::full(ctx, batches * m * n, 0.0),
            Some(bias) => {
                let grid_dims = [batches * m, n];
                let zeros = super::elementwise::View {
                    offset: 0,
                    strides: vec![0, 1],
                };
                super::elementwise::gather_view(bias, &zeros, &grid_dims)
            }
        };
    }
    let tiles_m = m.div_ceil(TILE);
    let tiles_n = n.div_ceil(TILE);
    let dummy;
    let bias_buffer = match bias {
        Some(b) => b,
        None => {
            dummy = GpuBuffer::uninit(ctx, 1);
            &dummy
        }
    };
    let params = [
        word(m),
        word(n),
        word(k),
        word(batches),
        word(a.row),
        word(a.col),
        word(a.batch),
        word(b.row),
        word(b.col),
        word(b.batch),
        u32::from(bias.is_some()),
        word(tiles_m),
    ];
    let groups_y = u32::try_from(tiles_m * batches)
        .ok()
        .filter(|&g| g <= 65_535)
        .unwrap_or_else(|| {
            panic!("matmul: {batches} batches of {m} rows are too many for one GPU dispatch")
        });
    ctx.dispatch(
        "matmul",
        &params,
        &[a.data.raw(), b.data.raw(), bias_buffer.raw(), out.raw()],
        (word(tiles_n), groups_y),
    );
    out
}

/// Softmax cross-entropy of logits `(rows, classes)` against dense targets of the same shape,
/// or (`sparse`) class indices as u32 words: the mean loss (one element) and, if `want_grad`,
/// its gradient.
pub(crate) fn softmax_cross_entropy(
    x: &GpuBuffer,
    targets: &GpuBuffer,
    (rows, classes): (usize, usize),
    sparse: bool,
    want_grad: bool,
) -> (GpuBuffer, Option<GpuBuffer>) {
    let ctx = &x.ctx;
    let row_loss = GpuBuffer::uninit(ctx, rows);
    let grad = GpuBuffer::uninit(ctx, if want_grad { rows * classes } else { 1 });
    ctx.dispatch(
        "xent",
        &[
            word(rows),
            word(classes),
            u32::from(sparse),
            u32::from(want_grad),
            fw(1.0 / rows as f32),
        ],
        &[x.raw(), targets.raw(), row_loss.raw(), grad.raw()],
        grid(rows),
    );
    let loss = reduce(Ok(Reduce::Mean), &[rows], &row_loss, &[0]);
    (loss, want_grad.then_some(grad))
}

/// The elementwise losses: `scale·Σ term(x, t)` (one element) and, if `want_grad`, the scaled
/// gradient. `kind` 0 is the squared error, 1 BCE on logits.
pub(crate) fn pointwise_loss(
    kind: u32,
    x: &GpuBuffer,
    t: &GpuBuffer,
    scale: f32,
    want_grad: bool,
) -> (GpuBuffer, Option<GpuBuffer>) {
    let ctx = &x.ctx;
    let n = x.len();
    let terms = GpuBuffer::uninit(ctx, n);
    let grad = GpuBuffer::uninit(ctx, if want_grad { n } else { 1 });
    ctx.dispatch(
        "pointwise_loss",
        &[word(n), kind, fw(scale), u32::from(want_grad)],
        &[x.raw(), t.raw(), terms.raw(), grad.raw()],
        grid(n),
    );
    let sum = reduce(Ok(Reduce::Sum), &[n], &terms, &[0]);
    let loss = super::elementwise::unary(crate::UnaryOp::MulScalar(scale), &sum);
    (loss, want_grad.then_some(grad))
}

/// `Σ x²` over all elements (one element).
pub(crate) fn sum_squares(x: &GpuBuffer) -> GpuBuffer {
    reduce(Err(Extra::SumSquares), &[x.len()], x, &[0])
}

/// `a·b` for the ranks `nntensor::matmul` runs directly: 2-D·2-D, 3-D·3-D (same batch) and
/// 3-D·2-D (the batch folded into rows).
pub(crate) fn matmul_direct(
    a_dims: &[usize],
    a: &GpuBuffer,
    b_dims: &[usize],
    b: &GpuBuffer,
) -> GpuBuffer {
    match (a_dims.len(), b_dims.len()) {
        (3, 3) => {
            let (batch, m, k, n) = (a_dims[0], a_dims[1], a_dims[2], b_dims[2]);
            matmul(
                Operand::rows(a, m, k),
                Operand::rows(b, k, n),
                (batch, m, k, n),
                None,
            )
        }
        _ => {
            let k = a_dims[a_dims.len() - 1];
            let m = a_dims[..a_dims.len() - 1].iter().product();
            let n = b_dims[1];
            matmul(
                Operand::rows(a, m, k),
                Operand::rows(b, k, n),
                (1, m, k, n),
                None,
            )
        }
    }
}

/// The gradients of `a·b` ([`matmul_direct`]'s ranks): `g·bᵀ` and `aᵀ·g`, read through
/// transposed strides.
pub(crate) fn matmul_backward_direct(
    (a_dims, a): (&[usize], &GpuBuffer),
    (b_dims, b): (&[usize], &GpuBuffer),
    g: &GpuBuffer,
    need: [bool; 2],
) -> (Option<GpuBuffer>, Option<GpuBuffer>) {
    let (batch, m, k, n) = match (a_dims.len(), b_dims.len()) {
        (3, 3) => (a_dims[0], a_dims[1], a_dims[2], b_dims[2]),
        _ => {
            let k = a_dims[a_dims.len() - 1];
            (1, a_dims[..a_dims.len() - 1].iter().product(), k, b_dims[1])
        }
    };
    let da = need[0].then(|| {
        matmul(
            Operand::rows(g, m, n),
            Operand::transposed(b, k, n),
            (batch, m, n, k),
            None,
        )
    });
    let db = need[1].then(|| {
        matmul(
            Operand::transposed(a, m, k),
            Operand::rows(g, m, n),
            (batch, k, m, n),
            None,
        )
    });
    (da, db)
}

/// `x·w + b` for `x` of `(n, in)` and `w` of `(in, out)`.
pub(crate) fn linear(
    x: &GpuBuffer,
    w: &GpuBuffer,
    b: Option<&GpuBuffer>,
    (n, inputs, outputs): (usize, usize, usize),
) -> GpuBuffer {
    matmul(
        Operand::rows(x, n, inputs),
        Operand::rows(w, inputs, outputs),
        (1, n, inputs, outputs),
        b,
    )
}

/// The gradients of [`linear`]: `g·wᵀ`, `xᵀ·g` and the column sums of `g`, as asked.
pub(crate) fn linear_backward(
    x: &GpuBuffer,
    w: &GpuBuffer,
    g: &GpuBuffer,
    (n, inputs, outputs): (usize, usize, usize),
    [need_x, need_w, need_b]: [bool; 3],
) -> [Option<GpuBuffer>; 3] {
    let dx = need_x.then(|| {
        matmul(
            Operand::rows(g, n, outputs),
            Operand::transposed(w, inputs, outputs),
            (1, n, outputs, inputs),
            None,
        )
    });
    let dw = need_w.then(|| {
        matmul(
            Operand::transposed(x, n, inputs),
            Operand::rows(g, n, outputs),
            (1, inputs, n, outputs),
            None,
        )
    });
    let db = need_b.then(|| reduce(Ok(Reduce::Sum), &[n, outputs], g, &[0]));
    [dx, dw, db]
}
