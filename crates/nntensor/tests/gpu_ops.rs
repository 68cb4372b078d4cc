//! Every op on the GPU against the CPU backend, forward and backward (feature `gpu`).
//!
//! Tolerances: elementwise ops `|gpu − cpu| ≤ 1e-5·|cpu| + 1e-6`; ops whose summation order
//! differs from the CPU's (reductions, matrix products, softmax, the losses) `1e-4·|cpu| +
//! 1e-5`; transcendental functions that the driver computes its own way (exp, log, tanh, sin, cos,
//! pow, erf and the activations made of them) `2e-5·|cpu| + 2e-6`. Layout ops copy and must be
//! exact. Without an adapter the tests say so and pass, unless `NNFACADE_REQUIRE_GPU` is set (as
//! `.ci/run` does), when they fail.
#![cfg(feature = "gpu")]

use nntensor::{self as nt, BinaryOp, Device, Norm, Reduce, Rng, Tensor, UnaryOp};

/// The GPU, or `None` (and a note) where there is none and none is required.
fn gpu() -> Option<Device> {
    match Device::gpu() {
        Ok(d) => Some(d),
        Err(e) if std::env::var_os("NNFACADE_REQUIRE_GPU").is_some() => {
            panic!("NNFACADE_REQUIRE_GPU is set but: {e}")
        }
        Err(e) => {
            eprintln!("skipping the GPU tests: {e}");
            None
        }
    }
}

/// Exact copies, elementwise maps, maps through the driver's transcendentals, and reordered sums.
const EXACT: (f32, f32) = (0.0, 0.0);
const ELEMENTWISE: (f32, f32) = (1e-5, 1e-6);
const TRANSCENDENTAL: (f32, f32) = (2e-5, 2e-6);
const REORDERED: (f32, f32) = (1e-4, 1e-5);

#[track_caller]
fn assert_close(what: &str, cpu: &Tensor, gpu: &Tensor, (rtol, atol): (f32, f32)) {
    assert_eq!(cpu.shape(), gpu.shape(), "{what}: shapes differ");
    assert!(
        matches!(gpu.device(), Device::Gpu(_)),
        "{what}: the result left the GPU"
    );
    let (c, g) = (cpu.to_vec(), gpu.to_vec());
    for (i, (&c, &g)) in c.iter().zip(&g).enumerate() {
        let ok = if c.is_finite() {
            (g - c).abs() <= rtol * c.abs() + atol
        } else {
            c.is_nan() && g.is_nan() || c == g
        };
        assert!(ok, "{what}: element {i}: cpu {c}, gpu {g}");
    }
}

fn random(shape: &[usize], seed: u64, low: f32, high: f32) -> Tensor {
    let mut rng = Rng::seed_from(seed);
    Tensor::from_fn(shape, || rng.uniform(low, high))
}

#[test]
fn adapter_is_named_and_never_gl() {
    let Some(d) = gpu() else { return };
    let info = d.gpu_info().expect("a GPU device has an adapter");
    assert!(!info.name.is_empty());
    assert!(
        ["Vulkan", "Metal", "Dx12"].contains(&info.backend.as_str()),
        "{info}"
    );
    assert_eq!(d.to_string(), format!("gpu:{}", info.index));
    assert_eq!(Device::from_name(&d.to_string()).unwrap(), d);
}

#[test]
fn a_missing_adapter_is_an_error_not_a_panic() {
    let count = Device::gpu_adapters().len() as u32;
    let err = Device::gpu_index(count + 7).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("no GPU adapter"),
        "the error names what is missing: {msg}"
    );
    assert!(Device::from_name("gpu:x").is_err());
}

#[test]
fn round_trip_and_tensor_basics() {
    let Some(d) = gpu() else { return };
    let x = random(&[3, 5], 1, -1.0, 1.0);
    let g = x.to(&d);
    assert_eq!(g.device(), d);
    assert_eq!(g.shape(), &[3, 5]);
    assert!(g.as_slice().is_none());
    assert_eq!(g.to_vec(), x.to_vec());
    assert_eq!(g.to(&Device::Cpu), x);
    assert_eq!(g.clone().to_vec(), x.to_vec());
    assert_eq!(g, x.to(&d));
    assert_eq!(Tensor::full_on([4], 2.5, &d).to_vec(), vec![2.5; 4]);
    assert_eq!(g.zeros_like().to_vec(), vec![0.0; 15]);
    assert_eq!(nt::scalar(4.0).to(&d).item(), 4.0);
    assert_eq!(Tensor::zeros_on([0, 3], &d).to_vec(), Vec::<f32>::new());
    let panic = std::panic::catch_unwind(|| g[[0, 0]]).unwrap_err();
    let msg = panic.downcast_ref::<String>().unwrap();
    assert!(msg.contains("lives on a GPU"), "{msg}");
}

/// Every unary op with inputs inside its domain, forward and backward.
#[test]
fn unary_ops_match_the_cpu() {
    let Some(d) = gpu() else { return };
    let ops: Vec<(UnaryOp, f32, f32, (f32, f32))> = vec![
        (UnaryOp::Neg, -3.0, 3.0, ELEMENTWISE),
        (UnaryOp::Exp, -5.0, 5.0, TRANSCENDENTAL),
        (UnaryOp::Log, 0.05, 5.0, TRANSCENDENTAL),
        (UnaryOp::Sqrt, 0.01, 9.0, ELEMENTWISE),
        (UnaryOp::Abs, -3.0, 3.0, ELEMENTWISE),
        (UnaryOp::Sigmoid, -8.0, 8.0, TRANSCENDENTAL),
        (UnaryOp::Tanh, -4.0, 4.0, TRANSCENDENTAL),
        (UnaryOp::Relu, -3.0, 3.0, ELEMENTWISE),
        (UnaryOp::Softplus, -8.0, 8.0, TRANSCENDENTAL),
        (UnaryOp::LeakyRelu(0.1), -3.0, 3.0, ELEMENTWISE),
        (
            UnaryOp::Clamp {
                min: -0.5,
                max: 1.0,
            },
            -3.0,
            3.0,
            ELEMENTWISE,
        ),
        (UnaryOp::Powi(3), -2.0, 2.0, ELEMENTWISE),
        (UnaryOp::Powi(-2), 0.5, 2.0, ELEMENTWISE),
        (UnaryOp::Powf(1.5), 0.1, 3.0, TRANSCENDENTAL),
        (UnaryOp::AddScalar(0.25), -3.0, 3.0, ELEMENTWISE),
        (UnaryOp::MulScalar(-1.5), -3.0, 3.0, ELEMENTWISE),
        (UnaryOp::DivScalar(3.0), -3.0, 3.0, ELEMENTWISE),
        (UnaryOp::Sin, -3.0, 3.0, TRANSCENDENTAL),
        (UnaryOp::Cos, -3.0, 3.0, TRANSCENDENTAL),
        (UnaryOp::Log1p, -0.5, 3.0, TRANSCENDENTAL),
        (UnaryOp::Expm1, -2.0, 2.0, TRANSCENDENTAL),
        (UnaryOp::Rsqrt, 0.1, 4.0, ELEMENTWISE),
        (UnaryOp::Reciprocal, 0.2, 4.0, ELEMENTWISE),
        (UnaryOp::Square, -3.0, 3.0, ELEMENTWISE),
        (UnaryOp::Sign, -3.0, 3.0, ELEMENTWISE),
        (UnaryOp::Erf, -3.0, 3.0, TRANSCENDENTAL),
        (UnaryOp::Gelu, -3.0, 3.0, TRANSCENDENTAL),
        (UnaryOp::GeluTanh, -3.0, 3.0, TRANSCENDENTAL),
        (UnaryOp::Silu, -4.0, 4.0, TRANSCENDENTAL),
        (UnaryOp::Elu(0.7), -3.0, 3.0, TRANSCENDENTAL),
        (UnaryOp::Selu, -3.0, 3.0, TRANSCENDENTAL),
        (UnaryOp::Softsign, -3.0, 3.0, ELEMENTWISE),
        (UnaryOp::LogSigmoid, -8.0, 8.0, TRANSCENDENTAL),
        (
            UnaryOp::Hardtanh {
                min: -1.0,
                max: 1.0,
            },
            -3.0,
            3.0,
            ELEMENTWISE,
        ),
    ];
    for (k, (op, low, high, tol)) in ops.into_iter().enumerate() {
        let x = random(&[7, 37], 10 + k as u64, low, high);
        let gout = random(&[7, 37], 100 + k as u64, -1.0, 1.0);
        let y = nt::unary(op, &x);
        let (xg, gg) = (x.to(&d), gout.to(&d));
        let yg = nt::unary(op, &xg);
        assert_close(&format!("{op:?}"), &y, &yg, tol);
        assert_close(
            &format!("{op:?} in place"),
            &y,
            &nt::unary_into(op, xg.clone()),
            tol,
        );
        let dx = nt::unary_backward(op, gout, &x, &y);
        let dxg = nt::unary_backward(op, gg, &xg, &yg);
        assert_close(&format!("{op:?} backward"), &dx, &dxg, tol);
    }
}

/// Every binary op, same shape and broadcast, forward; and the gradients of the ones with a
/// kernel of their own.
#[test]
fn binary_ops_match_the_cpu() {
    let Some(d) = gpu() else { return };
    let ops = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Maximum,
        BinaryOp::Minimum,
        BinaryOp::Pow,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
    ];
    let shapes: [(&[usize], &[usize]); 4] = [
        (&[4, 5], &[4, 5]),
        (&[4, 5], &[5]),
        (&[3, 1, 5], &[4, 1]),
        (&[2, 3], &[]),
    ];
    for op in ops {
        for (k, (sa, sb)) in shapes.iter().enumerate() {
            let a = random(sa, 200 + k as u64, 0.2, 2.0);
            // Some equal elements, so that the comparisons and the ties are exercised.
            let b = nt::unary(
                UnaryOp::Clamp { min: 0.5, max: 1.5 },
                &random(sb, 300, 0.2, 2.0),
            );
            let tol = if op == BinaryOp::Pow {
                TRANSCENDENTAL
            } else {
                ELEMENTWISE
            };
            let (ag, bg) = (a.to(&d), b.to(&d));
            let y = nt::binary(op, &a, &b);
            assert_close(
                &format!("{op:?} {sa:?} {sb:?}"),
                &y,
                &nt::binary(op, &ag, &bg),
                tol,
            );
            if matches!(op, BinaryOp::Maximum | BinaryOp::Minimum | BinaryOp::Pow) {
                let g = random(y.shape(), 400, -1.0, 1.0);
                let (da, db) = nt::binary_backward(op, &g, &a, &b, [true, true]);
                let (dag, dbg) = nt::binary_backward(op, &g.to(&d), &ag, &bg, [true, true]);
                assert_close(
                    &format!("{op:?} backward a"),
                    &da.unwrap(),
                    &dag.unwrap(),
                    tol,
                );
                assert_close(
                    &format!("{op:?} backward b"),
                    &db.unwrap(),
                    &dbg.unwrap(),
                    tol,
                );
            }
            if *sa == y.shape() {
                let mut in_place = ag.clone();
                nt::binary_assign(op, &mut in_place, &bg);
                assert_close(&format!("{op:?} in place"), &y, &in_place, tol);
            }
        }
    }
    // A one-element CPU tensor combines with a GPU tensor (PyTorch's rule for 0-d tensors).
    let a = random(&[3, 4], 5, -1.0, 1.0);
    assert_close(
        "gpu · cpu scalar",
        &(&a * &nt::scalar(3.0)),
        &(&a.to(&d) * &nt::scalar(3.0)),
        ELEMENTWISE,
    );
    // where / masked_fill, broadcast.
    let c = nt::gt(&random(&[4, 1], 6, -1.0, 1.0), &nt::scalar(0.0));
    let t = random(&[4, 3], 7, -1.0, 1.0);
    let f = random(&[3], 8, -1.0, 1.0);
    assert_close(
        "where_cond",
        &nt::where_cond(&c, &t, &f),
        &nt::where_cond(&c.to(&d), &t.to(&d), &f.to(&d)),
        EXACT,
    );
    assert_close(
        "masked_fill",
        &nt::masked_fill(&t, &c, -9.0),
        &nt::masked_fill(&t.to(&d), &c.to(&d), -9.0),
        EXACT,
    );
    // unbroadcast and broadcast_to.
    let g = random(&[3, 4, 5], 9, -1.0, 1.0);
    for shape in [&[4, 5][..], &[1, 5], &[3, 1, 1], &[5], &[]] {
        assert_close(
            &format!("unbroadcast to {shape:?}"),
            &nt::unbroadcast(g.clone(), shape),
            &nt::unbroadcast(g.to(&d), shape),
            REORDERED,
        );
    }
    let row = random(&[1, 5], 10, -1.0, 1.0);
    assert_close(
        "broadcast_to",
        &nt::broadcast_to(&row, &[2, 4, 5]),
        &nt::broadcast_to(&row.to(&d), &[2, 4, 5]),
        EXACT,
    );
}

/// Every reduction over several axis sets, forward and backward, and cumsum.
#[test]
fn reductions_match_the_cpu() {
    let Some(d) = gpu() else { return };
    let ops = [
        Reduce::Sum,
        Reduce::Mean,
        Reduce::Prod,
        Reduce::Max,
        Reduce::Min,
        Reduce::LogSumExp,
        Reduce::Var { correction: 1.0 },
        Reduce::Std { correction: 0.0 },
        Reduce::Norm(Norm::L1),
        Reduce::Norm(Norm::L2),
        Reduce::Norm(Norm::Inf),
    ];
    let x = random(&[3, 4, 5], 20, 0.5, 1.5);
    // A tie for max/min, so that shared gradients are checked.
    let mut tied = x.to_vec();
    tied[1] = tied[0];
    let x = Tensor::from_vec([3, 4, 5], tied).unwrap();
    let xg = x.to(&d);
    for op in ops {
        for axes in [&[][..], &[0], &[1], &[-1], &[0, 2], &[1, 2]] {
            for keepdim in [false, true] {
                let y = nt::reduce(op, &x, axes, keepdim);
                let yg = nt::reduce(op, &xg, axes, keepdim);
                let what = format!("{op:?} over {axes:?} keepdim {keepdim}");
                assert_close(&what, &y, &yg, REORDERED);
                let g = random(y.shape(), 21, -1.0, 1.0);
                let dx = nt::reduce_backward(op, &g, &x, &y, axes, keepdim);
                let dxg = nt::reduce_backward(op, &g.to(&d), &xg, &yg, axes, keepdim);
                assert_close(&format!("{what} backward"), &dx, &dxg, REORDERED);
            }
        }
    }
    // A reduction longer than a work group, and one of many rows.
    let long = random(&[3, 1000], 22, -1.0, 1.0);
    assert_close(
        "sum over 1000",
        &nt::sum_axes(&long, &[1], false),
        &nt::sum_axes(&long.to(&d), &[1], false),
        REORDERED,
    );
    let many = random(&[700, 3], 23, -1.0, 1.0);
    assert_close(
        "sum of 700 rows",
        &nt::sum_axes(&many, &[1], false),
        &nt::sum_axes(&many.to(&d), &[1], false),
        REORDERED,
    );
    // The older single-axis reductions, argmax and max's gradient.
    assert_close("sum_all", &nt::sum_all(&x), &nt::sum_all(&xg), REORDERED);
    assert_close("mean_all", &nt::mean_all(&x), &nt::mean_all(&xg), REORDERED);
    assert_close("max_all", &nt::max_all(&x), &nt::max_all(&xg), EXACT);
    for axis in 0..3 {
        assert_close(
            "sum_axis",
            &nt::sum_axis(&x, axis),
            &nt::sum_axis(&xg, axis),
            REORDERED,
        );
        assert_close(
            "mean_axis",
            &nt::mean_axis(&x, axis),
            &nt::mean_axis(&xg, axis),
            REORDERED,
        );
        assert_close(
            "max_axis",
            &nt::max_axis(&x, axis),
            &nt::max_axis(&xg, axis),
            EXACT,
        );
        assert_eq!(
            nt::argmax_axis(&x, axis),
            nt::argmax_axis(&xg, axis),
            "argmax {axis}"
        );
        let g = random(nt::max_axis(&x, axis).shape(), 24, -1.0, 1.0);
        assert_close(
            "max_backward axis",
            &nt::max_backward(&x, &g, Some(axis)),
            &nt::max_backward(&xg, &g.to(&d), Some(axis)),
            EXACT,
        );
        let ax = axis as isize;
        assert_close(
            "cumsum",
            &nt::cumsum(&x, ax),
            &nt::cumsum(&xg, ax),
            REORDERED,
        );
        assert_close(
            "cumsum backward",
            &nt::cumsum_backward(&x, ax),
            &nt::cumsum_backward(&xg, ax),
            REORDERED,
        );
    }
    let g = nt::scalar(2.0);
    assert_close(
        "max_backward all",
        &nt::max_backward(&x, &g, None),
        &nt::max_backward(&xg, &g.to(&d), None),
        EXACT,
    );
    let grad_norm = nt::sum_squares(&x);
    assert!((nt::sum_squares(&xg) - grad_norm).abs() <= 1e-4 * grad_norm);
}

#[test]
fn softmax_and_log_softmax_match_the_cpu() {
    let Some(d) = gpu() else { return };
    let x = random(&[3, 4, 5], 30, -4.0, 4.0);
    let xg = x.to(&d);
    for axis in 0..3 {
        let g = random(&[3, 4, 5], 31, -1.0, 1.0);
        let y = nt::softmax(&x, axis);
        let yg = nt::softmax(&xg, axis);
        assert_close("softmax", &y, &yg, REORDERED);
        assert_close(
            "softmax backward",
            &nt::softmax_backward(&g, &y, axis),
            &nt::softmax_backward(&g.to(&d), &yg, axis),
            REORDERED,
        );
        let y = nt::log_softmax(&x, axis);
        let yg = nt::log_softmax(&xg, axis);
        assert_close("log_softmax", &y, &yg, REORDERED);
        assert_close(
            "log_softmax backward",
            &nt::log_softmax_backward(&g, &y, axis),
            &nt::log_softmax_backward(&g.to(&d), &yg, axis),
            REORDERED,
        );
    }
}

/// Products of every shape class: tiny, thin, square past one tile, batched, broadcast batches,
/// 1-D operands; and their gradients.
#[test]
fn matrix_products_match_the_cpu() {
    let Some(d) = gpu() else { return };
    let cases: [(&[usize], &[usize]); 9] = [
        (&[1, 1], &[1, 1]),
        (&[3, 5], &[5, 2]),
        (&[1, 130], &[130, 1]),
        (&[70, 33], &[33, 129]),
        (&[2, 65, 17], &[2, 17, 66]),
        (&[3, 9, 4], &[4, 5]),
        (&[2, 1, 4, 3], &[5, 3, 2]),
        (&[7], &[7, 3]),
        (&[2, 6, 7], &[7]),
    ];
    for (k, (sa, sb)) in cases.iter().enumerate() {
        let a = random(sa, 40 + k as u64, -1.0, 1.0);
        let b = random(sb, 50 + k as u64, -1.0, 1.0);
        let (ag, bg) = (a.to(&d), b.to(&d));
        let y = nt::matmul(&a, &b);
        let yg = nt::matmul(&ag, &bg);
        assert_close(&format!("matmul {sa:?}·{sb:?}"), &y, &yg, REORDERED);
        if nt::is_direct(sa, sb) {
            let g = random(y.shape(), 60, -1.0, 1.0);
            let (da, db) = nt::matmul_backward(&a, &b, &g, true, true);
            let (dag, dbg) = nt::matmul_backward(&ag, &bg, &g.to(&d), true, true);
            assert_close("matmul backward a", &da.unwrap(), &dag.unwrap(), REORDERED);
            assert_close("matmul backward b", &db.unwrap(), &dbg.unwrap(), REORDERED);
        }
    }
    // The fused dense layer.
    let (x, w, b) = (
        random(&[37, 20], 70, -1.0, 1.0),
        random(&[20, 11], 71, -1.0, 1.0),
        random(&[11], 72, -1.0, 1.0),
    );
    let (xg, wg, bg) = (x.to(&d), w.to(&d), b.to(&d));
    assert_close(
        "linear",
        &nt::linear(&x, &w, Some(&b)),
        &nt::linear(&xg, &wg, Some(&bg)),
        REORDERED,
    );
    assert_close(
        "linear without bias",
        &nt::linear(&x, &w, None),
        &nt::linear(&xg, &wg, None),
        REORDERED,
    );
    let g = random(&[37, 11], 73, -1.0, 1.0);
    let cpu = nt::linear_backward(&x, &w, &g, [true; 3]);
    let gpu = nt::linear_backward(&xg, &wg, &g.to(&d), [true; 3]);
    for (name, (c, g)) in ["dx", "dw", "db"].iter().zip(cpu.iter().zip(&gpu)) {
        assert_close(name, c.as_ref().unwrap(), g.as_ref().unwrap(), REORDERED);
    }
}

#[test]
fn fused_losses_match_the_cpu() {
    let Some(d) = gpu() else { return };
    let logits = random(&[9, 6], 80, -3.0, 3.0);
    let labels: Vec<usize> = (0..9).map(|i| (i * 5) % 6).collect();
    let targets = nt::one_hot(&labels, 6).unwrap();
    let lg = logits.to(&d);
    for want_grad in [false, true] {
        let (l, g) = nt::softmax_cross_entropy(&logits, &targets, want_grad);
        let (lg2, gg) = nt::softmax_cross_entropy(&lg, &targets.to(&d), want_grad);
        assert_close("softmax_cross_entropy", &l, &lg2, REORDERED);
        assert_eq!(g.is_some(), gg.is_some());
        if let (Some(g), Some(gg)) = (g, gg) {
            assert_close("softmax_cross_entropy grad", &g, &gg, REORDERED);
        }
        let (l, g) = nt::sparse_softmax_cross_entropy(&logits, &labels, want_grad);
        let (lg2, gg) = nt::sparse_softmax_cross_entropy(&lg, &labels, want_grad);
        assert_close("sparse_softmax_cross_entropy", &l, &lg2, REORDERED);
        if let (Some(g), Some(gg)) = (g, gg) {
            assert_close("sparse grad", &g, &gg, REORDERED);
        }
    }
    let x = random(&[5, 7], 81, -3.0, 3.0);
    let t = random(&[5, 7], 82, 0.0, 1.0);
    let (xg, tg) = (x.to(&d), t.to(&d));
    let (l, g) = nt::squared_error(&x, &t, 0.1, true);
    let (lg2, gg) = nt::squared_error(&xg, &tg, 0.1, true);
    assert_close("squared_error", &l, &lg2, REORDERED);
    assert_close("squared_error grad", &g.unwrap(), &gg.unwrap(), ELEMENTWISE);
    let (l, g) = nt::binary_cross_entropy_with_logits(&x, &t, 0.2, true);
    let (lg2, gg) = nt::binary_cross_entropy_with_logits(&xg, &tg, 0.2, true);
    assert_close("bce_with_logits", &l, &lg2, REORDERED);
    assert_close(
        "bce_with_logits grad",
        &g.unwrap(),
        &gg.unwrap(),
        TRANSCENDENTAL,
    );
}

/// Every layout and indexing op, and the gradients that have kernels.
#[test]
fn layout_and_indexing_match_the_cpu() {
    let Some(d) = gpu() else { return };
    let x = random(&[3, 4, 5], 90, -1.0, 1.0);
    let xg = x.to(&d);
    let same = |what: &str, c: Tensor, g: Tensor| assert_close(what, &c, &g, EXACT);
    same(
        "permute",
        nt::permute(&x, &[2, 0, 1]),
        nt::permute(&xg, &[2, 0, 1]),
    );
    let m = random(&[6, 7], 91, -1.0, 1.0);
    same("transpose", nt::transpose(&m), nt::transpose(&m.to(&d)));
    same("narrow", nt::narrow(&x, 1, 1, 2), nt::narrow(&xg, 1, 1, 2));
    let g = random(&[3, 2, 5], 92, -1.0, 1.0);
    same(
        "narrow_backward",
        nt::narrow_backward(&g, 1, 1, &[3, 4, 5]),
        nt::narrow_backward(&g.to(&d), 1, 1, &[3, 4, 5]),
    );
    same(
        "index_select",
        nt::index_select(&x, -1, &[4, 0, 4, 2]),
        nt::index_select(&xg, -1, &[4, 0, 4, 2]),
    );
    let g = random(&[3, 4, 4], 93, -1.0, 1.0);
    assert_close(
        "index_add",
        &nt::index_add(&g, 2, &[4, 0, 4, 2], &[3, 4, 5]),
        &nt::index_add(&g.to(&d), 2, &[4, 0, 4, 2], &[3, 4, 5]),
        ELEMENTWISE,
    );
    same("flip", nt::flip(&x, &[0, 2]), nt::flip(&xg, &[0, 2]));
    let y = random(&[3, 2, 5], 94, -1.0, 1.0);
    same("cat", nt::cat(&[&x, &y], 1), nt::cat(&[&xg, &y.to(&d)], 1));
    same("stack", nt::stack(&[&x, &x], 0), nt::stack(&[&xg, &xg], 0));
    let index = Tensor::from_vec([3, 2, 1], vec![0., 3., 1., 1., 2., 0.]).unwrap();
    same(
        "gather",
        nt::gather(&x, 1, &index),
        nt::gather(&xg, 1, &index.to(&d)),
    );
    let src = random(&[3, 2, 1], 95, -1.0, 1.0);
    assert_close(
        "scatter_add",
        &nt::scatter_add(&x, 1, &index, &src),
        &nt::scatter_add(&xg, 1, &index.to(&d), &src.to(&d)),
        ELEMENTWISE,
    );
    same(
        "repeat",
        nt::repeat(&m, &[2, 1, 3]),
        nt::repeat(&m.to(&d), &[2, 1, 3]),
    );
    let g = random(&[2, 6, 21], 96, -1.0, 1.0);
    assert_close(
        "repeat_backward",
        &nt::repeat_backward(&g, &[6, 7], &[2, 1, 3]),
        &nt::repeat_backward(&g.to(&d), &[6, 7], &[2, 1, 3]),
        REORDERED,
    );
    let widths = [(1, 0), (0, 2), (2, 1)];
    same("pad", nt::pad(&x, &widths, 0.5), nt::pad(&xg, &widths, 0.5));
    let g = random(&[4, 6, 8], 97, -1.0, 1.0);
    same(
        "pad_backward",
        nt::pad_backward(&g, &widths, &[3, 4, 5]),
        nt::pad_backward(&g.to(&d), &widths, &[3, 4, 5]),
    );
    same(
        "slice_rows",
        nt::slice_rows(&m, 2, 5),
        nt::slice_rows(&m.to(&d), 2, 5),
    );
    let rows = random(&[2, 7], 98, -1.0, 1.0);
    same(
        "embed_rows",
        nt::embed_rows(&rows, 3, &[6, 7]),
        nt::embed_rows(&rows.to(&d), 3, &[6, 7]),
    );
    same(
        "gather_rows",
        nt::gather_rows(&m, &[5, 0, 5, 3]),
        nt::gather_rows(&m.to(&d), &[5, 0, 5, 3]),
    );
    let rows = random(&[4, 7], 99, -1.0, 1.0);
    assert_close(
        "scatter_add_rows",
        &nt::scatter_add_rows(&rows, &[5, 0, 5, 3], &[6, 7]),
        &nt::scatter_add_rows(&rows.to(&d), &[5, 0, 5, 3], &[6, 7]),
        ELEMENTWISE,
    );
    same(
        "reshape",
        nt::reshape(&x, &[12, 5]),
        nt::reshape(&xg, &[12, 5]),
    );
}

/// Convolutions of several geometries and both poolings, forward and backward.
#[test]
fn convolution_and_pooling_match_the_cpu() {
    use nntensor::{Conv2dSpec, Pool2dSpec};
    let Some(d) = gpu() else { return };
    let specs = [
        Conv2dSpec::default(),
        Conv2dSpec {
            stride: [2, 1],
            padding: [1, 2],
            dilation: [2, 1],
        },
    ];
    for spec in specs {
        let x = random(&[3, 4, 9, 8], 140, -1.0, 1.0);
        let w = random(&[5, 4, 3, 3], 141, -1.0, 1.0);
        let b = random(&[5], 142, -1.0, 1.0);
        let (xg, wg, bg) = (x.to(&d), w.to(&d), b.to(&d));
        let y = nt::conv2d(&x, &w, Some(&b), spec);
        assert_close(
            "conv2d",
            &y,
            &nt::conv2d(&xg, &wg, Some(&bg), spec),
            REORDERED,
        );
        let g = random(y.shape(), 143, -1.0, 1.0);
        let cpu = nt::conv2d_backward(&x, &w, &g, spec, [true; 3]);
        let gpu = nt::conv2d_backward(&xg, &wg, &g.to(&d), spec, [true; 3]);
        for (name, (c, g)) in ["dx", "dw", "db"].iter().zip(cpu.iter().zip(&gpu)) {
            assert_close(name, c.as_ref().unwrap(), g.as_ref().unwrap(), REORDERED);
        }
        // The fused convolution, ReLU and pooling (the GPU runs the ops one by one).
        let pool = Pool2dSpec::new([2, 2]);
        let (y, at) = nt::conv2d_relu_max_pool2d(&x, &w, Some(&b), spec, pool);
        let (yg, atg) = nt::conv2d_relu_max_pool2d(&xg, &wg, Some(&bg), spec, pool);
        assert_close("conv2d_relu_max_pool2d", &y, &yg, REORDERED);
        assert_close("conv2d_relu_max_pool2d indices", &at, &atg, EXACT);
        let g = random(y.shape(), 146, -1.0, 1.0);
        let cpu = nt::conv2d_relu_max_pool2d_backward(&x, &w, &g, &y, &at, spec, pool, [true; 3]);
        let gpu = nt::conv2d_relu_max_pool2d_backward(
            &xg,
            &wg,
            &g.to(&d),
            &yg,
            &atg,
            spec,
            pool,
            [true; 3],
        );
        for (name, (c, g)) in ["fused dx", "fused dw", "fused db"]
            .iter()
            .zip(cpu.iter().zip(&gpu))
        {
            assert_close(name, c.as_ref().unwrap(), g.as_ref().unwrap(), REORDERED);
        }
    }
    let x = random(&[2, 3, 7, 6], 144, -1.0, 1.0);
    let xg = x.to(&d);
    for spec in [
        Pool2dSpec::new([2, 2]),
        Pool2dSpec {
            kernel: [3, 3],
            stride: [2, 1],
            padding: [1, 1],
        },
    ] {
        let (y, at) = nt::max_pool2d(&x, spec);
        let (yg, atg) = nt::max_pool2d(&xg, spec);
        assert_close("max_pool2d", &y, &yg, EXACT);
        assert_close("max_pool2d indices", &at, &atg, EXACT);
        let g = random(y.shape(), 145, -1.0, 1.0);
        assert_close(
            "max_pool2d backward",
            &nt::max_pool2d_backward(&g, &at, x.shape(), spec),
            &nt::max_pool2d_backward(&g.to(&d), &atg, x.shape(), spec),
            ELEMENTWISE,
        );
        let (y, at) = nt::relu_max_pool2d(&x, spec);
        let (yg, atg) = nt::relu_max_pool2d(&xg, spec);
        assert_close("relu_max_pool2d", &y, &yg, EXACT);
        assert_close("relu_max_pool2d indices", &at, &atg, EXACT);
        assert_close(
            "relu_max_pool2d backward",
            &nt::relu_max_pool2d_backward(&g, &y, &at, x.shape(), spec),
            &nt::relu_max_pool2d_backward(&g.to(&d), &yg, &atg, x.shape(), spec),
            ELEMENTWISE,
        );
        let y = nt::avg_pool2d(&x, spec);
        assert_close("avg_pool2d", &y, &nt::avg_pool2d(&xg, spec), ELEMENTWISE);
        assert_close(
            "avg_pool2d backward",
            &nt::avg_pool2d_backward(&g, x.shape(), spec),
            &nt::avg_pool2d_backward(&g.to(&d), x.shape(), spec),
            ELEMENTWISE,
        );
    }
}

/// The optimizer rules against the CPU's, several steps each.
#[test]
fn optimizer_updates_match_the_cpu() {
    let Some(d) = gpu() else { return };
    let p0 = random(&[300], 110, -1.0, 1.0);
    let grads: Vec<Tensor> = (0..4).map(|s| random(&[300], 111 + s, -1.0, 1.0)).collect();
    let run = |device: &Device| {
        let mut out = Vec::new();
        let mut p = p0.to(device);
        for g in &grads {
            nt::sgd_update(&mut p, &g.to(device), 0.1, 0.01);
        }
        out.push(p);
        let (mut p, mut b) = (p0.to(device), Tensor::zeros_on([300], device));
        let step = nt::SgdStep {
            lr: 0.1,
            weight_decay: 0.01,
            keep: 0.9,
            take: 1.0,
            gradient_part: 1.0,
            buffer_part: 0.9,
        };
        for g in &grads {
            nt::sgd_momentum_update(&mut p, &g.to(device), &mut b, step);
        }
        out.extend([p, b]);
        for (keras_rule, centred, momentum) in
            [(false, false, 0.0), (true, true, 0.9), (false, true, 0.5)]
        {
            let mut p = p0.to(device);
            let mut s = Tensor::zeros_on([300], device);
            let mut a = Tensor::zeros_on([300], device);
            let mut b = Tensor::zeros_on([300], device);
            let step = nt::RmsPropStep {
                lr: 0.01,
                rho: 0.9,
                eps: 1e-7,
                weight_decay: 0.001,
                momentum,
                keras_rule,
            };
            for g in &grads {
                nt::rmsprop_update(
                    &mut p,
                    &g.to(device),
                    &mut s,
                    centred.then_some(&mut a),
                    (momentum > 0.0).then_some(&mut b),
                    step,
                );
            }
            out.extend([p, s]);
        }
        let (mut p, mut m, mut v) = (
            p0.to(device),
            Tensor::zeros_on([300], device),
            Tensor::zeros_on([300], device),
        );
        for (t, g) in grads.iter().enumerate() {
            let t = t as f32 + 1.0;
            let step = nt::AdamStep {
                beta1: 0.9,
                beta2: 0.999,
                step_size: 0.001 / (1.0 - 0.9f32.powf(t)),
                bias_correction2_sqrt: (1.0 - 0.999f32.powf(t)).sqrt(),
                decay_factor: 1.0 - 0.001 * 0.01,
                coupled_weight_decay: 0.0,
                eps_inside: 0.0,
                eps_outside: 1e-8,
            };
            nt::adam_update(&mut p, &g.to(device), &mut m, &mut v, step);
        }
        out.extend([p, m, v]);
        out
    };
    let cpu = run(&Device::Cpu);
    let gpu = run(&d);
    for (i, (c, g)) in cpu.iter().zip(&gpu).enumerate() {
        assert_close(&format!("optimizer state {i}"), c, g, ELEMENTWISE);
    }
}

/// The same inputs give the same bits on every run (no atomics, fixed reduction trees).
#[test]
fn results_repeat_bit_for_bit() {
    let Some(d) = gpu() else { return };
    let a = random(&[130, 300], 120, -1.0, 1.0).to(&d);
    let b = random(&[300, 70], 121, -1.0, 1.0).to(&d);
    let first = (
        nt::matmul(&a, &b).to_vec(),
        nt::sum_axes(&a, &[0], false).to_vec(),
    );
    for _ in 0..3 {
        let again = (
            nt::matmul(&a, &b).to_vec(),
            nt::sum_axes(&a, &[0], false).to_vec(),
        );
        assert_eq!(again, first);
    }
}
