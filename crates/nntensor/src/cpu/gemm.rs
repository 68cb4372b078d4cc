//! Matrix products: 2-D, and batched 3-D with rayon over the batch.
//!
//! The kernel is the `gemm` crate's f32 SGEMM (`gemm-f32`: runtime-detected AVX2+FMA or AVX-512
//! micro-kernels). It was picked over `ndarray`'s `matrixmultiply` by measurement on the W1–W3
//! shapes (docs/performance.md): 87–96 GFLOP/s on one core against 65–85. A large 2-D product is
//! cut along its output's longer side into one block per rayon thread, each block a product of
//! its own on one thread (`thread_blocks`); where a block would be too thin for that to keep the
//! kernel's order of sums, the kernel's own rayon threading runs it, which splits the output into
//! tiles and never the inner dimension. Batched products run one item per rayon task on one
//! thread each (never both). Either way each output element is computed by the same code in the
//! same order, so results are bit-identical whatever the thread count (tested below on 1–4
//! threads).

use super::view;
use crate::Shape;
use ndarray::linalg::general_mat_mul;
use ndarray::parallel::prelude::*;
use ndarray::{
    s, Array2, ArrayView2, ArrayView3, ArrayViewD, ArrayViewMut2, ArrayViewMut3, Axis, Ix2, Ix3,
    IxDyn, ShapeBuilder,
};
use std::cell::Cell;

/// Products of at most this many multiply-adds (128³) run on one thread: up to there, handing
/// work to rayon costs about what it saves (see `benches/matmul.rs`, `matmul_threshold`: on an
/// AVX-512 machine 128³ took 17.8 µs on one thread and 22.7 µs on two, 160³ 33.6 and 28.3 µs).
pub const PARALLEL_MIN_MACS: usize = 1 << 21;

thread_local! {
    /// Set while this thread runs inside [`single_threaded`].
    static SINGLE_THREADED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with every matrix product it makes computed on the calling thread.
///
/// For callers that already keep every core busy, e.g. a training step running one shard of the
/// batch per core: rayon inside each product would only add hand-offs (W1 went from 0.090 to
/// 0.077 s/epoch, docs/performance.md). Results are the same either way. Calls may nest.
///
/// ```
/// use nntensor::cpu::single_threaded;
/// use nntensor::{matmul, Tensor};
/// let a = Tensor::ones(vec![256, 256]);
/// let c = single_threaded(|| matmul(&a, &a));
/// assert_eq!(c, matmul(&a, &a));
/// ```
pub fn single_threaded<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SINGLE_THREADED.with(|flag| flag.set(self.0));
        }
    }
    let _restore = Restore(SINGLE_THREADED.with(|flag| flag.replace(true)));
    f()
}

/// Whether a large product may use rayon's threads here.
pub(crate) fn may_use_threads() -> bool {
    rayon::current_num_threads() > 1 && !SINGLE_THREADED.with(Cell::get)
}

/// `a · b` for row-major operands: `(m, k)·(k, n)`, `(b, m, k)·(b, k, n)` or `(b, m, k)·(k, n)`
/// (ranks and sizes checked by the caller). Returns the output shape and elements.
pub(crate) fn matmul(a_shape: &Shape, a: &[f32], b_shape: &Shape, b: &[f32]) -> (Shape, Vec<f32>) {
    let (av, bv) = (view(a_shape, a), view(b_shape, b));
    let out = match (a_shape.ndim(), b_shape.ndim()) {
        (2, 2) => matmul_2d(view2(&av), view2(&bv)).into_dyn(),
        (3, 3) => batched_matmul(view3(&av), view3(&bv)).into_dyn(),
        _ => {
            // Every batch item multiplies the same matrix: fold the batch into the rows.
            let (batch, m, k) = (a_shape[0], a_shape[1], a_shape[2]);
            let rows = ArrayView2::from_shape((batch * m, k), a).expect("row-major");
            let out = matmul_2d(rows, view2(&bv));
            let n = out.ncols();
            out.into_shape_with_order(IxDyn(&[batch, m, n]))
                .expect("same length")
        }
    };
    (Shape::from(out.shape()), super::into_vec(out))
}

/// The gradients of `out = a·b` for the ranks [`matmul`] takes: `da = g·bᵀ` (when `need_a`) and
/// `db = aᵀ·g` (when `need_b`), each in row-major order, computed on transposed views (no copy).
pub(crate) fn matmul_backward(
    (a_shape, a): (&Shape, &[f32]),
    (b_shape, b): (&Shape, &[f32]),
    (g_shape, g): (&Shape, &[f32]),
    need_a: bool,
    need_b: bool,
) -> (Option<Vec<f32>>, Option<Vec<f32>>) {
    let (av, bv, gv) = (view(a_shape, a), view(b_shape, b), view(g_shape, g));
    let flat = |t: ndarray::ArrayD<f32>| super::into_vec(t);
    match (a_shape.ndim(), b_shape.ndim()) {
        (2, 2) => {
            let (a2, b2, g2) = (view2(&av), view2(&bv), view2(&gv));
            (
                need_a.then(|| flat(matmul_2d(g2, b2.t()).into_dyn())),
                need_b.then(|| flat(matmul_2d(a2.t(), g2).into_dyn())),
            )
        }
        (3, 3) => {
            let (a3, b3, g3) = (view3(&av), view3(&bv), view3(&gv));
            (
                need_a.then(|| flat(batched_matmul(g3, b3.permuted_axes([0, 2, 1])).into_dyn())),
                need_b.then(|| flat(batched_matmul(a3.permuted_axes([0, 2, 1]), g3).into_dyn())),
            )
        }
        _ => {
            // (batch, m, k)·(k, n): fold the batch into rows, as the forward did.
            let (batch, m, k) = (a_shape[0], a_shape[1], a_shape[2]);
            let n = b_shape[1];
            let g2 = ArrayView2::from_shape((batch * m, n), g).expect("row-major");
            let a2 = ArrayView2::from_shape((batch * m, k), a).expect("row-major");
            let b2 = view2(&bv);
            (
                need_a.then(|| flat(matmul_2d(g2, b2.t()).into_dyn())),
                need_b.then(|| flat(matmul_2d(a2.t(), g2).into_dyn())),
            )
        }
    }
}

fn view2<'a>(t: &ArrayViewD<'a, f32>) -> ArrayView2<'a, f32> {
    t.clone()
        .into_dimensionality::<Ix2>()
        .expect("caller checked ndim")
}

fn view3<'a>(t: &ArrayViewD<'a, f32>) -> ArrayView3<'a, f32> {
    t.clone()
        .into_dimensionality::<Ix3>()
        .expect("caller checked ndim")
}

/// `a · b` for 2-D views (transposed and strided views welcome), on rayon's threads when large.
///
/// ```
/// use ndarray::array;
/// let a = array![[1.0f32, 2.0], [3.0, 4.0]];
/// let at_a = nntensor::cpu::matmul_2d(a.t(), a.view());
/// assert_eq!(at_a, array![[10.0, 14.0], [14.0, 20.0]]);
/// ```
#[track_caller]
pub fn matmul_2d(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>) -> Array2<f32> {
    check_2d("matmul", a.dim(), b.dim());
    let mut c = Array2::zeros((a.nrows(), b.ncols()));
    gemm(1.0, a, b, 0.0, c.view_mut());
    c
}

/// `c = alpha · a · b + beta · c` for 2-D views, on rayon's threads when the product is large.
///
/// This is the building block of fused ops (e.g. `x·W + b` with `c` pre-filled with the bias and
/// `beta = 1`). Panics naming the shapes if they do not fit.
#[track_caller]
pub fn gemm(
    alpha: f32,
    a: ArrayView2<'_, f32>,
    b: ArrayView2<'_, f32>,
    beta: f32,
    mut c: ArrayViewMut2<'_, f32>,
) {
    check_2d("gemm", a.dim(), b.dim());
    assert_eq!(
        c.dim(),
        (a.nrows(), b.ncols()),
        "gemm: output has shape {:?}, expected ({}, {}) for operands {:?} and {:?}",
        c.dim(),
        a.nrows(),
        b.ncols(),
        a.dim(),
        b.dim()
    );
    let (m, k) = a.dim();
    let n = b.ncols();
    if is_small(m, k, n) {
        small_gemm(alpha, a, b, beta, c);
        return;
    }
    let parallel = m * k * n > PARALLEL_MIN_MACS && may_use_threads();
    if !parallel {
        kernel(alpha, a, b, beta, c, false);
    } else if let Some((axis, block)) = thread_blocks(m, n) {
        // One block of the output per thread, each a product of its own on one thread.
        if axis == Axis(1) {
            c.axis_chunks_iter_mut(axis, block)
                .into_par_iter()
                .zip(b.axis_chunks_iter(axis, block))
                .for_each(|(c, b)| kernel(alpha, a, b, beta, c, false));
        } else {
            c.axis_chunks_iter_mut(axis, block)
                .into_par_iter()
                .zip(a.axis_chunks_iter(axis, block))
                .for_each(|(c, a)| kernel(alpha, a, b, beta, c, false));
        }
    } else {
        kernel(alpha, a, b, beta, c, true);
    }
}

/// `c = alpha·a·b + beta·c` for a row-major `c` (`m`×`n`) in a slice and operands `a` (`m`×`k`)
/// and `b` (`k`×`n`) given as slices with their strides ([`Flat::row_major`],
/// [`Flat::transposed`]): what [`gemm`] computes on the same matrices as views, bit for bit,
/// without building views for the tiny products (a per-sample step's 1×1 layer) where that
/// bookkeeping costs more than the arithmetic.
pub(crate) fn gemm_slices(
    alpha: f32,
    a: Flat<'_>,
    b: Flat<'_>,
    beta: f32,
    c: &mut [f32],
    (m, k, n): (usize, usize, usize),
) {
    if is_small(m, k, n) {
        let c = FlatMut {
            data: c,
            rs: n,
            cs: 1,
        };
        small_gemm_flat(alpha, a, b, beta, c, (m, k, n));
        return;
    }
    let a = ArrayView2::from_shape((m, k).strides((a.rs, a.cs)), a.data).expect("a fits its slice");
    let b = ArrayView2::from_shape((k, n).strides((b.rs, b.cs)), b.data).expect("b fits its slice");
    let c = ArrayViewMut2::from_shape((m, n), c).expect("row-major output");
    gemm(alpha, a, b, beta, c);
}

/// Rows or columns per block of [`thread_blocks`], a multiple of: whole microkernel tiles.
const BLOCK_ALIGN: usize = 64;

/// How to cut an `(m, n)` output into one block per rayon thread: along its longer side
/// (`Axis(0)`, rows, or `Axis(1)`, columns), in blocks of the returned length (a multiple of
/// [`BLOCK_ALIGN`]). Each block is then computed apart, on one thread, with its share of the
/// operand along that side: for 128×784×512 that is 18 % faster on two cores than gemm-f32's
/// own threading (docs/performance.md), which splits the work more finely.
///
/// `None` where some block would have 64 or fewer rows or columns along the cut: gemm-f32
/// computes such products (both sides at most 64, or one side 1) with other blocks over `k`,
/// so their sums would be added in another order than the whole product's. Every block
/// kept here gets the kernel's own sums, in its order, as the uncut product would (tested on
/// 1–4 threads).
fn thread_blocks(m: usize, n: usize) -> Option<(Axis, usize)> {
    let threads = rayon::current_num_threads();
    let (axis, len) = if n >= m { (Axis(1), n) } else { (Axis(0), m) };
    let block = len.div_ceil(threads).next_multiple_of(BLOCK_ALIGN);
    let last = len - (len.div_ceil(block) - 1) * block;
    (threads > 1 && block < len && last > BLOCK_ALIGN).then_some((axis, block))
}

/// `c = alpha·a·b + beta·c` through `gemm-f32`, on the calling thread or on rayon's threads.
///
/// Shapes are checked by the caller. Views with a negative stride (`slice(s![..;-1])`) go to
/// `matrixmultiply` instead, which accepts any stride: the `gemm` kernel wants them flipped first,
/// and such views are rare enough not to be worth it.
fn kernel(
    alpha: f32,
    a: ArrayView2<'_, f32>,
    b: ArrayView2<'_, f32>,
    beta: f32,
    mut c: ArrayViewMut2<'_, f32>,
    parallel: bool,
) {
    let (m, k) = a.dim();
    let n = b.ncols();
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        // An empty sum: alpha·a·b is zero.
        c.map_inplace(|v| *v = if beta == 0.0 { 0.0 } else { beta * *v });
        return;
    }
    let negative = |strides: &[isize]| strides.iter().any(|&s| s < 0);
    if negative(a.strides()) || negative(b.strides()) || negative(c.strides()) {
        general_mat_mul(alpha, &a, &b, beta, &mut c);
        return;
    }
    let parallelism = if parallel {
        gemm_common::Parallelism::Rayon(rayon::current_num_threads())
    } else {
        gemm_common::Parallelism::None
    };
    let ([a_rs, a_cs], [b_rs, b_cs], [c_rs, c_cs]) = (
        [a.strides()[0], a.strides()[1]],
        [b.strides()[0], b.strides()[1]],
        [c.strides()[0], c.strides()[1]],
    );
    // The kernel's tiles suit a column-major destination. For a row-major `c` (the usual case)
    // compute the transpose instead, cᵀ = bᵀ·aᵀ, which is the same memory seen column-major.
    let row_major = c_cs.abs() < c_rs.abs();
    let (rows, cols, dst_rs, dst_cs) = if row_major {
        (n, m, c_cs, c_rs)
    } else {
        (m, n, c_rs, c_cs)
    };
    let (lhs, lhs_rs, lhs_cs, rhs, rhs_rs, rhs_cs) = if row_major {
        (b.as_ptr(), b_cs, b_rs, a.as_ptr(), a_cs, a_rs)
    } else {
        (a.as_ptr(), a_rs, a_cs, b.as_ptr(), b_rs, b_cs)
    };
    // The kernel's convention: dst = alpha·dst + beta·lhs·rhs, reading dst only if asked to.
    let gemm_f32 = gemm_f32::gemm::f32::get_gemm_fn();
    #[allow(unsafe_code)]
    // SAFETY: the three pointers and their (rows, cols, strides) describe exactly the elements of
    // the views `a`, `b` and `c` (ndarray guarantees every such offset is in bounds; strides are
    // non-negative, checked above). `c` is a unique borrow, so it overlaps neither `a` nor `b`,
    // and a view's distinct indices address distinct elements, so concurrent tiles never write
    // the same element. The kernel reads `c` only when `read_dst` is true.
    unsafe {
        gemm_f32(
            rows,
            cols,
            k,
            c.as_mut_ptr(),
            dst_cs,
            dst_rs,
            beta != 0.0,
            lhs,
            lhs_cs,
            lhs_rs,
            rhs,
            rhs_cs,
            rhs_rs,
            beta,
            alpha,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// Products the blocked kernel handles badly: tiny ones (at most 1024 multiply-adds), and thin
/// ones where `b` has at most [`SMALL_B`] elements or the output at most [`SMALL_C`], such as
/// W4's (1000×2)·(2×2) forward and (2×1000)·(1000×2) weight gradient. Packing panels costs more
/// than the arithmetic there (W4 spent 20 % of its time in the kernel's packing and edge code).
fn is_small(m: usize, k: usize, n: usize) -> bool {
    m * k * n <= 1024 || k * n <= SMALL_B || m * n <= SMALL_C
}

/// Most elements of `b` for the row-by-row path of [`small_gemm`].
const SMALL_B: usize = 64;

/// Most elements of `c` for the dot-product path of [`small_gemm`].
const SMALL_C: usize = 16;

/// `c = alpha·a·b + beta·c` for products [`is_small`] accepts, by direct loops over the views'
/// memory. Each element's sum over `k` runs in order, so results do not depend on the thread
/// count.
fn small_gemm(
    alpha: f32,
    a: ArrayView2<'_, f32>,
    b: ArrayView2<'_, f32>,
    beta: f32,
    mut c: ArrayViewMut2<'_, f32>,
) {
    // Views that are not one contiguous block with non-negative strides (slices with steps,
    // reversed views) are copied first.
    let flat = |strides: &[isize], contiguous: bool| contiguous && strides.iter().all(|&s| s >= 0);
    if !flat(c.strides(), c.as_slice_memory_order().is_some()) {
        let mut copy = c.to_owned();
        small_gemm(alpha, a, b, beta, copy.view_mut());
        c.assign(&copy);
        return;
    }
    let (a_copy, b_copy);
    let a = if flat(a.strides(), a.as_slice_memory_order().is_some()) {
        a
    } else {
        a_copy = a.to_owned();
        a_copy.view()
    };
    let b = if flat(b.strides(), b.as_slice_memory_order().is_some()) {
        b
    } else {
        b_copy = b.to_owned();
        b_copy.view()
    };
    let (m, k) = a.dim();
    let n = b.ncols();
    small_gemm_flat(
        alpha,
        Flat::of(&a),
        Flat::of(&b),
        beta,
        FlatMut::of(c.view_mut()),
        (m, k, n),
    );
}

/// [`small_gemm`] on operands already in flat memory: `a` `m`×`k`, `b` `k`×`n`, `c` `m`×`n`.
fn small_gemm_flat(
    alpha: f32,
    a: Flat<'_>,
    b: Flat<'_>,
    beta: f32,
    c: FlatMut<'_>,
    (m, k, n): (usize, usize, usize),
) {
    let FlatMut {
        data: c_data,
        rs: c_rs,
        cs: c_cs,
    } = c;
    let mut store = |i: usize, j: usize, sum: f32| {
        let out = &mut c_data[i * c_rs + j * c_cs];
        *out = if beta == 0.0 {
            alpha * sum
        } else {
            alpha * sum + beta * *out
        };
    };
    if k * n <= SMALL_B {
        // Row by row, with `b` on the stack.
        let mut b_local = [0.0f32; SMALL_B];
        for p in 0..k {
            for j in 0..n {
                b_local[p * n + j] = b.get(p, j);
            }
        }
        let b_local = &b_local[..k * n];
        // The common layout (row-major `a` and `c`, as a forward pass makes them) by slices,
        // with the inner dimension a compile-time constant for the tiny-network cases.
        if a.cs == 1 && a.rs == k && c_cs == 1 && c_rs == n && m > 1 {
            let (a, c) = (a.data, &mut *c_data);
            match k {
                1 => rows_times::<1>(a, b_local, c, n, alpha, beta),
                2 => rows_times::<2>(a, b_local, c, n, alpha, beta),
                3 => rows_times::<3>(a, b_local, c, n, alpha, beta),
                4 => rows_times::<4>(a, b_local, c, n, alpha, beta),
                _ => rows_any(a, b_local, c, k, n, alpha, beta),
            }
            return;
        }
        for i in 0..m {
            for j in 0..n {
                let mut sum = 0.0;
                for p in 0..k {
                    sum += a.get(i, p) * b_local[p * n + j];
                }
                store(i, j, sum);
            }
        }
    } else if m * n > SMALL_C {
        // A tiny product (at most 1024 multiply-adds) of no special shape.
        for i in 0..m {
            for j in 0..n {
                let mut sum = 0.0;
                for p in 0..k {
                    sum += a.get(i, p) * b.get(p, j);
                }
                store(i, j, sum);
            }
        }
    } else {
        // At most SMALL_C outputs: accumulate all of them while walking `k` once (independent
        // running sums, and both operands read in memory order when they are transposed).
        let mut sums = [0.0f32; SMALL_C];
        let sums = &mut sums[..m * n];
        let transposed_times_row_major = a.rs == 1 && a.cs == m && b.cs == 1 && b.rs == n;
        if transposed_times_row_major && m <= 2 && n <= 2 {
            // A tiny layer's weight gradient xᵀ·g, with the sizes known at compile time.
            super::wide(
                #[inline(always)]
                || match (m, n) {
                    (1, 1) => xt_times::<1, 1>(a.data, b.data, sums),
                    (1, 2) => xt_times::<1, 2>(a.data, b.data, sums),
                    (2, 1) => xt_times::<2, 1>(a.data, b.data, sums),
                    _ => xt_times::<2, 2>(a.data, b.data, sums),
                },
            );
        } else if transposed_times_row_major {
            // `a` transposed and `b` row-major (a weight gradient xᵀ·g): both by slices.
            for (a_p, b_p) in a.data.chunks_exact(m).zip(b.data.chunks_exact(n)) {
                for (&x, sums_i) in a_p.iter().zip(sums.chunks_exact_mut(n)) {
                    for (sum, &y) in sums_i.iter_mut().zip(b_p) {
                        *sum += x * y;
                    }
                }
            }
        } else {
            for p in 0..k {
                for i in 0..m {
                    let a_ip = a.get(i, p);
                    for j in 0..n {
                        sums[i * n + j] += a_ip * b.get(p, j);
                    }
                }
            }
        }
        for i in 0..m {
            for j in 0..n {
                store(i, j, sums[i * n + j]);
            }
        }
    }
}

/// `c = alpha·a·b + beta·c` row by row for row-major `a` (`K` columns), `b` (`K`×`n`) and `c`,
/// with the output width a compile-time constant too when it is at most 4.
fn rows_times<const K: usize>(
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
    n: usize,
    alpha: f32,
    beta: f32,
) {
    match n {
        1 => rows_fixed::<K, 1>(a, b, c, alpha, beta),
        2 => rows_fixed::<K, 2>(a, b, c, alpha, beta),
        3 => rows_fixed::<K, 3>(a, b, c, alpha, beta),
        4 => rows_fixed::<K, 4>(a, b, c, alpha, beta),
        _ => rows_any(a, b, c, K, n, alpha, beta),
    }
}

/// `c = alpha·a·b + beta·c` row by row for row-major `a` (`k` columns), `b` (`k`×`n`) and `c`,
/// with no size known at compile time.
fn rows_any(a: &[f32], b: &[f32], c: &mut [f32], k: usize, n: usize, alpha: f32, beta: f32) {
    for (a_row, c_row) in a.chunks_exact(k).zip(c.chunks_exact_mut(n)) {
        for (j, out) in c_row.iter_mut().enumerate() {
            let mut sum = 0.0;
            for (p, &x) in a_row.iter().enumerate() {
                sum += x * b[p * n + j];
            }
            *out = alpha * sum + if beta == 0.0 { 0.0 } else { beta * *out };
        }
    }
}

/// [`rows_times`] for an `N`-wide output: `b` lives in registers and every row is unrolled.
#[inline]
fn rows_fixed<const K: usize, const N: usize>(
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
    alpha: f32,
    beta: f32,
) {
    let mut b_rows = [[0.0f32; N]; K];
    for (row, b) in b_rows.iter_mut().zip(b.chunks_exact(N)) {
        row.copy_from_slice(b);
    }
    for (a, c) in a.chunks_exact(K).zip(c.chunks_exact_mut(N)) {
        for (j, out) in c.iter_mut().enumerate() {
            let mut sum = 0.0;
            for (&x, b_row) in a.iter().zip(&b_rows) {
                sum += x * b_row[j];
            }
            *out = if beta == 0.0 {
                alpha * sum
            } else {
                alpha * sum + beta * *out
            };
        }
    }
}

/// `sums += aᵀ·b` for `a` (`k`×`M`, `M` ≤ 2) and `b` (`k`×`N`) both row-major, walking `k`
/// once in blocks of eight rows. Each product `a[p, i]·b[p, j]` goes into running sum `p mod 8`
/// of output `(i, j)`, laid out so one block is a flat, unrolled loop that vectorises; the eight
/// sums are added in order at the end, so the result depends only on the inputs. Always
/// inlined, so that [`crate::wide`] compiles it for wide vectors.
#[inline(always)]
fn xt_times<const M: usize, const N: usize>(a: &[f32], b: &[f32], sums: &mut [f32]) {
    const BLOCK: usize = 8;
    // lanes[j][r·M + i] is running sum r of output (i, j).
    let mut lanes = [[0.0f32; 2 * BLOCK]; N];
    let mut a_blocks = a.chunks_exact(BLOCK * M);
    let mut b_blocks = b.chunks_exact(BLOCK * N);
    for (a, b) in (&mut a_blocks).zip(&mut b_blocks) {
        for (j, lanes) in lanes.iter_mut().enumerate() {
            for (q, (lane, &x)) in lanes.iter_mut().zip(a).enumerate() {
                *lane += x * b[(q / M) * N + j];
            }
        }
    }
    let rest = a_blocks.remainder().chunks_exact(M);
    for (r, (a, b)) in rest.zip(b_blocks.remainder().chunks_exact(N)).enumerate() {
        for (lanes, &y) in lanes.iter_mut().zip(b) {
            for (lane, &x) in lanes[r * M..r * M + M].iter_mut().zip(a) {
                *lane += x * y;
            }
        }
    }
    for (i, row) in sums.chunks_exact_mut(N).enumerate() {
        for (sum, lanes) in row.iter_mut().zip(&lanes) {
            *sum += (0..BLOCK).map(|r| lanes[r * M + i]).sum::<f32>();
        }
    }
}

/// A matrix's elements as one slice, with its (row, column) strides.
#[derive(Clone, Copy)]
pub(crate) struct Flat<'a> {
    data: &'a [f32],
    rs: usize,
    cs: usize,
}

impl<'a> Flat<'a> {
    /// A row-major matrix of `cols` columns.
    pub(crate) fn row_major(data: &'a [f32], cols: usize) -> Flat<'a> {
        Flat {
            data,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose of a row-major matrix of `cols` columns (read in place, no copy).
    pub(crate) fn transposed(data: &'a [f32], cols: usize) -> Flat<'a> {
        Flat {
            data,
            rs: 1,
            cs: cols,
        }
    }

    /// The view's memory; the view must be contiguous with non-negative strides (standard
    /// layout is).
    fn of(v: &ArrayView2<'a, f32>) -> Flat<'a> {
        let (rs, cs) = (
            v.strides()[0].max(0) as usize,
            v.strides()[1].max(0) as usize,
        );
        let data = v.to_slice_memory_order().expect("a contiguous view");
        Flat { data, rs, cs }
    }

    #[inline]
    fn get(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.rs + j * self.cs]
    }
}

/// [`Flat`] for the output.
struct FlatMut<'a> {
    data: &'a mut [f32],
    rs: usize,
    cs: usize,
}

impl<'a> FlatMut<'a> {
    fn of(v: ArrayViewMut2<'a, f32>) -> FlatMut<'a> {
        let (rs, cs) = (
            v.strides()[0].max(0) as usize,
            v.strides()[1].max(0) as usize,
        );
        let data = v.into_slice_memory_order().expect("a contiguous view");
        FlatMut { data, rs, cs }
    }
}

#[track_caller]
fn check_2d(op: &str, a: (usize, usize), b: (usize, usize)) {
    assert!(
        a.1 == b.0,
        "{op}: inner dimensions differ: ({}, {}) · ({}, {}) needs {} == {}",
        a.0,
        a.1,
        b.0,
        b.1,
        a.1,
        b.0
    );
}

/// Batched product `(b, m, k)·(b, k, n) → (b, m, n)`, rayon over the batch when large.
///
/// ```
/// use ndarray::Array3;
/// let a = Array3::<f32>::ones((4, 2, 3));
/// let b = Array3::<f32>::ones((4, 3, 5));
/// let c = nntensor::cpu::batched_matmul(a.view(), b.view());
/// assert_eq!(c.dim(), (4, 2, 5));
/// assert!(c.iter().all(|&x| x == 3.0));
/// ```
#[track_caller]
pub fn batched_matmul(a: ArrayView3<'_, f32>, b: ArrayView3<'_, f32>) -> ndarray::Array3<f32> {
    let (batch, m, k) = a.dim();
    let (batch_b, k_b, n) = b.dim();
    assert!(
        batch == batch_b && k == k_b,
        "batched_matmul: shapes {:?} and {:?} do not fit: need (b, m, k)·(b, k, n)",
        a.dim(),
        b.dim()
    );
    let mut c = ndarray::Array3::zeros((batch, m, n));
    batched_gemm(a, b, c.view_mut());
    c
}

fn batched_gemm(a: ArrayView3<'_, f32>, b: ArrayView3<'_, f32>, mut c: ArrayViewMut3<'_, f32>) {
    let (batch, m, k) = a.dim();
    let n = b.dim().2;
    let one = |(a, b, c): (
        ArrayView2<'_, f32>,
        ArrayView2<'_, f32>,
        ArrayViewMut2<'_, f32>,
    )| {
        if is_small(m, k, n) {
            small_gemm(1.0, a, b, 0.0, c)
        } else {
            kernel(1.0, a, b, 0.0, c, false)
        }
    };
    if batch * m * k * n <= PARALLEL_MIN_MACS || batch == 1 || !may_use_threads() {
        // Too little work to share, or one big item: let the 2-D path split its rows.
        for i in 0..batch {
            gemm(
                1.0,
                a.index_axis(Axis(0), i),
                b.index_axis(Axis(0), i),
                0.0,
                c.slice_mut(s![i, .., ..]),
            );
        }
        return;
    }
    ndarray::Zip::from(c.outer_iter_mut())
        .and(a.outer_iter())
        .and(b.outer_iter())
        .into_par_iter()
        .for_each(|(c, a, b)| one((a, b, c)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rng;
    use ndarray::Array3;

    fn random2(rng: &mut Rng, r: usize, c: usize) -> Array2<f32> {
        Array2::from_shape_fn((r, c), |_| rng.uniform(-1.0, 1.0))
    }

    /// The obviously-correct triple loop, accumulated in f64.
    fn naive(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>) -> Array2<f32> {
        Array2::from_shape_fn((a.nrows(), b.ncols()), |(i, j)| {
            (0..a.ncols())
                .map(|p| a[[i, p]] as f64 * b[[p, j]] as f64)
                .sum::<f64>() as f32
        })
    }

    fn assert_close(got: &Array2<f32>, want: &Array2<f32>, k: usize) {
        assert_eq!(got.dim(), want.dim());
        let tol = 1e-6 * (k as f32).max(1.0) * 4.0;
        for (g, w) in got.iter().zip(want.iter()) {
            assert!((g - w).abs() <= tol, "got {g}, want {w} (k = {k})");
        }
    }

    #[test]
    fn matches_naive_on_random_shapes() {
        let mut rng = Rng::seed_from(11);
        let shapes = [
            (1, 7, 1),
            (1, 13, 9),
            (9, 13, 1),
            (5, 1, 6),
            (17, 33, 29),
            (64, 128, 32),
            (200, 300, 70),
            (128, 784, 32),
            (1000, 2, 2), // thin: row-by-row path
            (300, 60, 1), // thin: b has 60 elements
            (2, 1000, 2), // short: dot-product path
            (3, 500, 5),  // short: 15 outputs
        ];
        for &(m, k, n) in &shapes {
            let a = random2(&mut rng, m, k);
            let b = random2(&mut rng, k, n);
            assert_close(
                &matmul_2d(a.view(), b.view()),
                &naive(a.view(), b.view()),
                k,
            );
        }
        for _ in 0..20 {
            let (m, k, n) = (1 + rng.below(40), 1 + rng.below(40), 1 + rng.below(40));
            let a = random2(&mut rng, m, k);
            let b = random2(&mut rng, k, n);
            assert_close(
                &matmul_2d(a.view(), b.view()),
                &naive(a.view(), b.view()),
                k,
            );
        }
    }

    #[test]
    fn tiny_layer_products_on_every_fixed_size_path() {
        let mut rng = Rng::seed_from(16);
        // Row-major x·w with 1-5 inputs and outputs, with beta 0 and 1 (bias pre-filled).
        for k in 1..=5 {
            for n in 1..=5 {
                for m in [2, 7, 1001] {
                    let a = random2(&mut rng, m, k);
                    let b = random2(&mut rng, k, n);
                    let c0 = random2(&mut rng, m, n);
                    assert_close(
                        &matmul_2d(a.view(), b.view()),
                        &naive(a.view(), b.view()),
                        k,
                    );
                    let mut c = c0.clone();
                    gemm(1.0, a.view(), b.view(), 1.0, c.view_mut());
                    assert_close(&c, &(naive(a.view(), b.view()) + &c0), k);
                }
            }
        }
        // Weight gradients xᵀ·g with 1-3 features, k a multiple of 4 or not, beta 0 and 1.
        for m in 1..=3 {
            for n in 1..=3 {
                for k in [1, 3, 4, 7, 1001] {
                    let x = random2(&mut rng, k, m);
                    let g = random2(&mut rng, k, n);
                    let want = naive(x.t(), g.view());
                    assert_close(&matmul_2d(x.t(), g.view()), &want, k);
                    let c0 = random2(&mut rng, m, n);
                    let mut c = c0.clone();
                    gemm(2.0, x.t(), g.view(), 1.0, c.view_mut());
                    assert_close(&c, &(want * 2.0 + &c0), k);
                }
            }
        }
    }

    #[test]
    fn transposed_and_strided_views() {
        let mut rng = Rng::seed_from(12);
        let a = random2(&mut rng, 150, 90); // used as aᵀ: (90, 150)
        let b = random2(&mut rng, 70, 150); // used as bᵀ: (150, 70)
        let want = naive(a.t(), b.t());
        assert_close(&matmul_2d(a.t(), b.t()), &want, 150);
        // Every other row and column: non-unit strides on both axes.
        let big = random2(&mut rng, 60, 80);
        let sa = big.slice(s![..;2, ..;2]); // (30, 40)
        let sb = big.slice(s![1..;2, 1..;2]).reversed_axes(); // (40, 30)
        assert_close(&matmul_2d(sa, sb), &naive(sa, sb), 40);
        // Thin and short products with transposed (strided) operands, as backward makes them.
        let h = random2(&mut rng, 2, 1000); // hᵀ's storage
        let g = random2(&mut rng, 1000, 2);
        assert_close(&matmul_2d(h.t(), h.view()), &naive(h.t(), h.view()), 2);
        assert_close(
            &matmul_2d(h.view(), g.view()),
            &naive(h.view(), g.view()),
            1000,
        );
        assert_close(&matmul_2d(g.t(), h.t()), &naive(g.t(), h.t()), 1000);
    }

    #[test]
    fn alpha_beta_and_negative_strides() {
        let mut rng = Rng::seed_from(15);
        let a = random2(&mut rng, 40, 50);
        let b = random2(&mut rng, 50, 30);
        let c0 = random2(&mut rng, 40, 30);
        let want = naive(a.view(), b.view()) * 0.5 + &c0 * 2.0;
        let mut c = c0.clone();
        gemm(0.5, a.view(), b.view(), 2.0, c.view_mut());
        assert_close(&c, &want, 50);
        // NaN in `c` is not read when beta is 0 (as in BLAS).
        let mut c = Array2::from_elem((40, 30), f32::NAN);
        gemm(1.0, a.view(), b.view(), 0.0, c.view_mut());
        assert_close(&c, &naive(a.view(), b.view()), 50);
        // Reversed views (negative strides) take the fallback kernel.
        let (ar, br) = (a.slice(s![..;-1, ..]), b.slice(s![.., ..;-1]));
        assert_close(&matmul_2d(ar, br), &naive(ar, br), 50);
        // An empty inner dimension gives beta·c.
        let mut c = c0.clone();
        gemm(
            1.0,
            Array2::zeros((40, 0)).view(),
            Array2::zeros((0, 30)).view(),
            2.0,
            c.view_mut(),
        );
        assert_close(&c, &(&c0 * 2.0), 1);
    }

    /// `gemm_slices` on row-major and transposed operands gives the bits `gemm` gives on the same
    /// matrices as views, on every path: the dense layer's forward `x·w`, its weight gradient
    /// `xᵀ·g` and its input gradient `g·wᵀ`, for tiny, thin and large products, with and without
    /// `beta`.
    #[test]
    fn slices_give_the_bits_of_views() {
        let mut rng = Rng::seed_from(21);
        let shapes = [
            (1, 1, 1),
            (1, 3, 2),
            (7, 2, 1),
            (1000, 2, 2),
            (2, 1000, 1),
            (16, 9, 4),
            (64, 784, 32),
            (200, 300, 150),
        ];
        for (m, k, n) in shapes {
            for beta in [0.0, 1.0] {
                let (a, b) = (random2(&mut rng, m, k), random2(&mut rng, k, n));
                let (at, bt) = (
                    a.t().as_standard_layout().into_owned(),
                    b.t().as_standard_layout().into_owned(),
                );
                let c0 = random2(&mut rng, m, n);
                let cases = [
                    (
                        Flat::row_major(a.as_slice().unwrap(), k),
                        Flat::row_major(b.as_slice().unwrap(), n),
                    ),
                    (
                        Flat::transposed(at.as_slice().unwrap(), m),
                        Flat::row_major(b.as_slice().unwrap(), n),
                    ),
                    (
                        Flat::row_major(a.as_slice().unwrap(), k),
                        Flat::transposed(bt.as_slice().unwrap(), k),
                    ),
                ];
                let mut want = c0.clone();
                gemm(0.5, a.view(), b.view(), beta, want.view_mut());
                for (case, (fa, fb)) in cases.into_iter().enumerate() {
                    let mut got = c0.clone();
                    gemm_slices(0.5, fa, fb, beta, got.as_slice_mut().unwrap(), (m, k, n));
                    // The views `gemm` would see for the transposed cases.
                    let mut via_views = c0.clone();
                    match case {
                        1 => gemm(0.5, at.t(), b.view(), beta, via_views.view_mut()),
                        2 => gemm(0.5, a.view(), bt.t(), beta, via_views.view_mut()),
                        _ => via_views.assign(&want),
                    }
                    assert_eq!(got, via_views, "case {case}, {m}x{k}x{n}, beta {beta}");
                    assert_close(&got, &want, k);
                }
            }
        }
    }

    #[test]
    fn dynamic_entry_point_dispatches_by_rank() {
        let mut rng = Rng::seed_from(13);
        let a = Array3::from_shape_fn((3, 4, 5), |_| rng.uniform(-1.0, 1.0));
        let b = Array3::from_shape_fn((3, 5, 2), |_| rng.uniform(-1.0, 1.0));
        let w = random2(&mut rng, 5, 2);
        let product = |x: ndarray::ArrayD<f32>, y: ndarray::ArrayD<f32>| {
            let (xs, ys) = (Shape::from(x.shape()), Shape::from(y.shape()));
            let (shape, data) = matmul(&xs, x.as_slice().unwrap(), &ys, y.as_slice().unwrap());
            ndarray::ArrayD::from_shape_vec(shape.ix(), data).unwrap()
        };
        let c = product(a.clone().into_dyn(), b.clone().into_dyn());
        let cw = product(a.clone().into_dyn(), w.clone().into_dyn());
        for i in 0..3 {
            let want = naive(a.index_axis(Axis(0), i), b.index_axis(Axis(0), i));
            let got = c
                .index_axis(Axis(0), i)
                .into_dimensionality::<Ix2>()
                .unwrap()
                .to_owned();
            assert_close(&got, &want, 5);
            let want = naive(a.index_axis(Axis(0), i), w.view());
            let got = cw
                .index_axis(Axis(0), i)
                .into_dimensionality::<Ix2>()
                .unwrap()
                .to_owned();
            assert_close(&got, &want, 5);
        }
    }

    #[test]
    #[should_panic(expected = "inner dimensions differ: (2, 3) · (4, 5)")]
    fn mismatched_inner_dimension_panics_with_both_shapes() {
        let _ = matmul_2d(Array2::zeros((2, 3)).view(), Array2::zeros((4, 5)).view());
    }

    fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(f)
    }

    #[test]
    fn results_are_bit_identical_across_thread_counts() {
        let mut rng = Rng::seed_from(14);
        // Odd sizes (partial tiles), an inner dimension longer than one cache block, the
        // transposed operands backward uses, and a column-major output; outputs cut into one
        // block per thread (`thread_blocks`), with a long inner dimension and a thin side, and
        // ones that are not cut (a block would be 64 wide or less).
        for (m, k, n) in [
            (300, 257, 190),
            (128, 784, 32),
            (97, 1500, 65),
            (784, 128, 40),
            (200, 1100, 150),
            (260, 700, 40),
        ] {
            let a = random2(&mut rng, m, k);
            let b = random2(&mut rng, k, n);
            let at = a.t().as_standard_layout().to_owned();
            let bt = b.t().as_standard_layout().to_owned();
            let products = |threads| {
                in_pool(threads, || {
                    let mut col_major = Array2::zeros((n, m)).reversed_axes();
                    gemm(0.5, a.view(), b.view(), 0.0, col_major.view_mut());
                    [
                        matmul_2d(a.view(), b.view()),
                        matmul_2d(at.t(), b.view()),
                        matmul_2d(a.view(), bt.t()),
                        col_major,
                    ]
                })
            };
            let one = products(1);
            for threads in [2, 3, 4] {
                for (x, y) in one.iter().zip(products(threads).iter()) {
                    assert!(
                        x.iter()
                            .zip(y.iter())
                            .all(|(x, y)| x.to_bits() == y.to_bits()),
                        "{m}x{k}x{n} differs on {threads} threads"
                    );
                }
            }
        }
        let a3 = Array3::from_shape_fn((16, 40, 64), |_| rng.uniform(-1.0, 1.0));
        // 16·40·64·64 multiply-adds: above PARALLEL_MIN_MACS, so the batch is split.
        let b3 = Array3::from_shape_fn((16, 64, 64), |_| rng.uniform(-1.0, 1.0));
        let one = in_pool(1, || batched_matmul(a3.view(), b3.view()));
        for threads in [2, 3, 4] {
            let many = in_pool(threads, || batched_matmul(a3.view(), b3.view()));
            assert!(one
                .iter()
                .zip(many.iter())
                .all(|(x, y)| x.to_bits() == y.to_bits()));
        }
    }
}
