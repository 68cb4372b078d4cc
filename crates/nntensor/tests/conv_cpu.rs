//! The CPU convolution and pooling kernels against direct loops written from the definitions,
//! on the shapes where their fast paths branch: rows shorter and longer than a vector block
//! (im2col's short copies), odd planes that 2×2 pooling leaves a row and a column of, tied
//! maxima and NaN.

use nntensor::cpu::single_threaded;
use nntensor::{
    conv2d, conv2d_backward, max_pool2d, max_pool2d_backward, relu, relu_max_pool2d,
    relu_max_pool2d_backward, unary_backward, Conv2dSpec, Pool2dSpec, Rng, Tensor, UnaryOp,
};

fn random(shape: &[usize], seed: u64) -> Tensor {
    let mut rng = Rng::seed_from(seed);
    Tensor::from_fn(shape.to_vec(), || rng.uniform(-1.0, 1.0))
}

/// Input `(n, c, h, w)` element, or 0 outside the plane.
fn at(x: &[f32], [_, c, h, w]: [usize; 4], [img, ch, y, xx]: [isize; 4]) -> f32 {
    if y < 0 || xx < 0 || y >= h as isize || xx >= w as isize {
        return 0.0;
    }
    x[((img as usize * c + ch as usize) * h + y as usize) * w + xx as usize]
}

/// The convolution, its input gradient and its weight gradient from the definition, in f64.
#[allow(clippy::too_many_arguments)]
fn reference(
    x: &[f32],
    dims: [usize; 4],
    weight: &[f32],
    o: usize,
    [kh, kw]: [usize; 2],
    [sy, sx]: [usize; 2],
    [py, px]: [usize; 2],
    [oh, ow]: [usize; 2],
    g: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let [n, c, h, w] = dims;
    let mut out = vec![0.0f64; n * o * oh * ow];
    let mut dx = vec![0.0f64; n * c * h * w];
    let mut dw = vec![0.0f64; o * c * kh * kw];
    for img in 0..n {
        for oc in 0..o {
            for y in 0..oh {
                for xx in 0..ow {
                    let oi = ((img * o + oc) * oh + y) * ow + xx;
                    for ci in 0..c {
                        for ki in 0..kh {
                            for kj in 0..kw {
                                let iy = (y * sy + ki) as isize - py as isize;
                                let ix = (xx * sx + kj) as isize - px as isize;
                                let wi = ((oc * c + ci) * kh + ki) * kw + kj;
                                let v = at(x, dims, [img as isize, ci as isize, iy, ix]) as f64;
                                out[oi] += weight[wi] as f64 * v;
                                dw[wi] += g[oi] as f64 * v;
                                if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w {
                                    let xi = ((img * c + ci) * h + iy as usize) * w + ix as usize;
                                    dx[xi] += g[oi] as f64 * weight[wi] as f64;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let f = |v: Vec<f64>| v.into_iter().map(|v| v as f32).collect();
    (f(out), f(dx), f(dw))
}

fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (&a, &b)) in got.iter().zip(want).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
            "{what}[{i}]: {a} against the definition's {b}"
        );
    }
}

#[test]
fn conv2d_and_its_gradients_match_the_definition_for_every_row_length() {
    // Widths 3..=30 cover im2col's copies of fewer than 8 values, exactly 8, and 8-blocks with
    // an overlapping tail; stride and padding cover the general path.
    let cases = [
        ([2, 3, 5, 3], 4, [3, 3], [1, 1], [0, 0]),
        ([1, 2, 9, 10], 3, [3, 3], [1, 1], [0, 0]),
        ([2, 2, 8, 13], 5, [3, 2], [1, 1], [1, 0]),
        ([1, 3, 7, 30], 2, [3, 3], [1, 1], [1, 1]),
        ([2, 2, 11, 17], 3, [3, 3], [2, 2], [1, 1]),
        ([1, 1, 6, 26], 4, [2, 5], [1, 3], [0, 2]),
        ([8, 2, 14, 14], 32, [3, 3], [1, 1], [1, 1]),
        // 21 images: the weight gradient's groups of 8, 8 and 5.
        ([21, 3, 9, 9], 6, [3, 3], [1, 1], [0, 0]),
    ];
    for (seed, (dims, o, kernel, stride, padding)) in cases.into_iter().enumerate() {
        let [n, c, h, w] = dims;
        let x = random(&dims, seed as u64);
        let weight = random(&[o, c, kernel[0], kernel[1]], 100 + seed as u64);
        let spec = Conv2dSpec {
            stride,
            padding,
            ..Default::default()
        };
        let y = conv2d(&x, &weight, None, spec);
        let (oh, ow) = (y.shape()[2], y.shape()[3]);
        assert_eq!(oh, (h + 2 * padding[0] - kernel[0]) / stride[0] + 1);
        assert_eq!(ow, (w + 2 * padding[1] - kernel[1]) / stride[1] + 1);
        let g = random(&[n, o, oh, ow], 200 + seed as u64);
        let (want_y, want_dx, want_dw) = reference(
            &x.to_vec(),
            dims,
            &weight.to_vec(),
            o,
            kernel,
            stride,
            padding,
            [oh, ow],
            &g.to_vec(),
        );
        // The bias gradient: g summed over the batch and the plane, per channel.
        let plane = oh * ow;
        let gv = g.to_vec();
        let want_db: Vec<f32> = (0..o)
            .map(|ch| {
                (0..n)
                    .flat_map(|img| &gv[(img * o + ch) * plane..][..plane])
                    .map(|&v| f64::from(v))
                    .sum::<f64>() as f32
            })
            .collect();
        for one_thread in [false, true] {
            let run = || {
                let y = conv2d(&x, &weight, None, spec);
                let [dx, dw, db] = conv2d_backward(&x, &weight, &g, spec, [true; 3]);
                (
                    y,
                    dx.expect("asked"),
                    dw.expect("asked"),
                    db.expect("asked"),
                )
            };
            let (y, dx, dw, db) = if one_thread {
                single_threaded(run)
            } else {
                run()
            };
            let case = format!("case {seed} {dims:?} on one thread: {one_thread}");
            assert_close(&format!("{case} forward"), &y.to_vec(), &want_y);
            assert_close(&format!("{case} dx"), &dx.to_vec(), &want_dx);
            assert_close(&format!("{case} dw"), &dw.to_vec(), &want_dw);
            assert_close(&format!("{case} db"), &db.to_vec(), &want_db);
        }
    }
}

#[test]
fn a_convolution_with_no_output_channel_has_empty_gradients() {
    let x = random(&[3, 2, 5, 5], 400);
    let weight = Tensor::zeros(vec![0, 2, 3, 3]);
    let y = conv2d(&x, &weight, None, Conv2dSpec::default());
    assert_eq!(y.shape(), &[3, 0, 3, 3]);
    let [dx, dw, db] = conv2d_backward(&x, &weight, &y, Conv2dSpec::default(), [true; 3]);
    assert_eq!(dx.unwrap().to_vec(), vec![0.0; 150]);
    assert_eq!(dw.unwrap().shape(), &[0, 2, 3, 3]);
    assert!(db.unwrap().is_empty());
}

#[test]
fn conv2d_backward_is_bit_identical_on_one_to_four_threads() {
    // 37 images: five groups of the weight gradient (the last one short), spread over however
    // many threads there are; the padded case takes im2col's general path.
    for (seed, padding) in [[0, 0], [1, 1]].into_iter().enumerate() {
        let x = random(&[37, 4, 12, 12], 300 + seed as u64);
        let weight = random(&[16, 4, 3, 3], 310 + seed as u64);
        let spec = Conv2dSpec {
            padding,
            ..Default::default()
        };
        let y = conv2d(&x, &weight, None, spec);
        let g = random(y.shape(), 320 + seed as u64);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool");
            pool.install(|| {
                let [dx, dw, db] = conv2d_backward(&x, &weight, &g, spec, [true; 3]);
                [dx, dw, db].map(|t| t.expect("asked").to_vec())
            })
        };
        let one = run(1);
        for threads in [2, 3, 4] {
            let many = run(threads);
            for (name, (a, b)) in ["dx", "dw", "db"].iter().zip(one.iter().zip(&many)) {
                assert!(
                    a.iter().zip(b).all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{name} with padding {padding:?} differs on {threads} threads"
                );
            }
        }
    }
}

/// 2×2 max pooling from the definition: the first maximum in reading order, NaN beating
/// numbers; its values, flat indices and the gradient `g` routed back.
fn pool_reference(
    x: &[f32],
    [n, c, h, w]: [usize; 4],
    g: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let (oh, ow) = (h / 2, w / 2);
    let (mut values, mut indices, mut dx) = (vec![], vec![], vec![0.0; n * c * h * w]);
    for plane in 0..n * c {
        for y in 0..oh {
            for xx in 0..ow {
                let mut best: Option<(f32, usize)> = None;
                for (dy, dxx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                    let i = (2 * y + dy) * w + 2 * xx + dxx;
                    let v = x[plane * h * w + i];
                    let better = match best {
                        None => true,
                        Some((b, _)) => v > b || (v.is_nan() && !b.is_nan()),
                    };
                    if better {
                        best = Some((v, i));
                    }
                }
                let (v, i) = best.expect("four candidates");
                values.push(v);
                indices.push(i as f32);
                dx[plane * h * w + i] += g[values.len() - 1];
            }
        }
    }
    (values, indices, dx)
}

#[test]
fn two_by_two_max_pooling_matches_the_definition_on_odd_planes_ties_and_nan() {
    for (seed, dims) in [
        [2, 3, 6, 6],
        [1, 2, 7, 5],
        [2, 4, 11, 11],
        [1, 1, 26, 26],
        [1, 2, 3, 9],
    ]
    .into_iter()
    .enumerate()
    {
        let [n, c, h, w] = dims;
        // Small integers make ties common; a few NaN sit among them.
        let mut rng = Rng::seed_from(seed as u64);
        let data: Vec<f32> = (0..n * c * h * w)
            .map(|_| match (rng.next_f32() * 8.0) as u32 {
                0 => f32::NAN,
                k => (k % 3) as f32,
            })
            .collect();
        let x = Tensor::from_vec(dims.to_vec(), data.clone()).expect("sizes agree");
        let spec = Pool2dSpec::new([2, 2]);
        let g = random(&[n, c, h / 2, w / 2], 50 + seed as u64);
        let (want_values, want_indices, want_dx) = pool_reference(&data, dims, &g.to_vec());
        let same = |a: f32, b: f32| a == b || (a.is_nan() && b.is_nan());
        // Both code paths: planes on rayon's threads (large inputs) and on one thread.
        for one_thread in [false, true] {
            let run = || {
                let (values, indices) = max_pool2d(&x, spec);
                let dx = max_pool2d_backward(&g, &indices, &dims, spec);
                (values, indices, dx)
            };
            let (values, indices, dx) = if one_thread {
                single_threaded(run)
            } else {
                run()
            };
            let case = format!("{dims:?} on one thread: {one_thread}");
            for (i, (&a, &b)) in values.to_vec().iter().zip(&want_values).enumerate() {
                assert!(same(a, b), "{case} value {i}: {a} against {b}");
            }
            assert_eq!(indices.to_vec(), want_indices, "{case} indices");
            assert_eq!(dx.to_vec(), want_dx, "{case} gradient");
        }
    }
}

#[test]
fn relu_then_max_pooling_in_one_pass_matches_the_two_ops_bit_for_bit() {
    // Inputs with ties, zeros of both signs, NaN and infinities; gradients with negative values
    // (ReLU's backward makes -0.0 of them where the input was not positive), NaN and inf.
    let pick = |rng: &mut Rng, values: &[f32]| {
        values[(rng.next_f32() * values.len() as f32) as usize % values.len()]
    };
    let inputs = [
        -2.0,
        -1.0,
        -0.0,
        0.0,
        1.0,
        1.0,
        2.0,
        3.0,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ];
    let grads = [-1.5, -0.25, 0.5, 2.0, 3.0, f32::NAN, f32::INFINITY];
    let overlapping = Pool2dSpec {
        kernel: [3, 3],
        stride: [2, 1],
        padding: [1, 1],
    };
    let mut rng = Rng::seed_from(91);
    for dims in [[2, 3, 6, 8], [3, 2, 7, 5], [1, 40, 26, 26]] {
        for spec in [Pool2dSpec::new([2, 2]), overlapping] {
            let n: usize = dims.iter().product();
            let data: Vec<f32> = (0..n).map(|_| pick(&mut rng, &inputs)).collect();
            let x = Tensor::from_vec(dims.to_vec(), data).expect("sizes agree");
            let (want_y, want_at) = max_pool2d(&relu(&x), spec);
            let (y, at) = relu_max_pool2d(&x, spec);
            let bits = |t: &Tensor| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            let case = format!("{dims:?} {spec:?}");
            assert_eq!(bits(&y), bits(&want_y), "{case}: values");
            assert_eq!(bits(&at), bits(&want_at), "{case}: indices");
            let g_data: Vec<f32> = (0..y.len()).map(|_| pick(&mut rng, &grads)).collect();
            let g = Tensor::from_vec(y.shape().to_vec(), g_data).expect("sizes agree");
            let want_dx = unary_backward(
                UnaryOp::Relu,
                max_pool2d_backward(&g, &want_at, &dims, spec),
                &x,
                &relu(&x),
            );
            let dx = relu_max_pool2d_backward(&g, &y, &at, &dims, spec);
            assert_eq!(bits(&dx), bits(&want_dx), "{case}: gradient");
            let dx = single_threaded(|| relu_max_pool2d_backward(&g, &y, &at, &dims, spec));
            assert_eq!(bits(&dx), bits(&want_dx), "{case}: gradient on one thread");
        }
    }
}

#[test]
fn convolution_relu_and_max_pooling_in_one_pass_match_the_three_ops_bit_for_bit() {
    use nntensor::{conv2d_relu_max_pool2d, conv2d_relu_max_pool2d_backward};
    let bits = |t: &Tensor| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    let strided = Conv2dSpec {
        stride: [2, 1],
        padding: [1, 2],
        dilation: [1, 2],
    };
    let overlapping = Pool2dSpec {
        kernel: [3, 3],
        stride: [2, 1],
        padding: [1, 1],
    };
    // (input, weight, conv, pool): the Keras convnet's two layers (odd and even sizes, a batch
    // of several gradient groups), padding/stride/dilation, overlapping windows, one image.
    let cases = [
        (
            [37, 1, 28, 28],
            [8, 1, 3, 3],
            Conv2dSpec::default(),
            Pool2dSpec::new([2, 2]),
        ),
        (
            [20, 6, 13, 13],
            [10, 6, 3, 3],
            Conv2dSpec::default(),
            Pool2dSpec::new([2, 2]),
        ),
        ([3, 2, 9, 7], [4, 2, 3, 2], strided, Pool2dSpec::new([2, 2])),
        (
            [2, 3, 8, 9],
            [5, 3, 2, 3],
            Conv2dSpec::default(),
            overlapping,
        ),
        ([1, 2, 6, 6], [3, 2, 3, 3], strided, overlapping),
    ];
    for (i, (dims, wdims, conv, pool)) in cases.into_iter().enumerate() {
        let seed = 700 + 10 * i as u64;
        let (x, w) = (random(&dims, seed), random(&wdims, seed + 1));
        let b = random(&[wdims[0]], seed + 2);
        for bias in [Some(&b), None] {
            let case = format!(
                "{dims:?} {wdims:?} {conv:?} {pool:?} bias {}",
                bias.is_some()
            );
            let y_conv = conv2d(&x, &w, bias, conv);
            let (want_y, want_at) = relu_max_pool2d(&y_conv, pool);
            let (y, at) = conv2d_relu_max_pool2d(&x, &w, bias, conv, pool);
            assert_eq!(bits(&y), bits(&want_y), "{case}: values");
            assert_eq!(bits(&at), bits(&want_at), "{case}: indices");
            let (y1, at1) = single_threaded(|| conv2d_relu_max_pool2d(&x, &w, bias, conv, pool));
            assert_eq!(bits(&y1), bits(&want_y), "{case}: values on one thread");
            assert_eq!(bits(&at1), bits(&want_at), "{case}: indices on one thread");
            let g = random(y.shape(), seed + 3);
            let g_conv = relu_max_pool2d_backward(&g, &y, &at, y_conv.shape(), pool);
            let need = [true, true, bias.is_some()];
            let want = conv2d_backward(&x, &w, &g_conv, conv, need);
            for threads in [None, Some(1)] {
                let got = || conv2d_relu_max_pool2d_backward(&x, &w, &g, &y, &at, conv, pool, need);
                let got = match threads {
                    None => got(),
                    Some(_) => single_threaded(got),
                };
                for (k, (got, want)) in got.iter().zip(&want).enumerate() {
                    match (got, want) {
                        (Some(got), Some(want)) => {
                            assert_eq!(bits(got), bits(want), "{case}: gradient {k} {threads:?}")
                        }
                        (None, None) => {}
                        _ => panic!("{case}: gradient {k} present in one only"),
                    }
                }
            }
            // Only some gradients asked: the others are not made, the asked ones the same.
            for need in [
                [true, false, false],
                [false, true, false],
                [false, false, true],
            ] {
                if need[2] && bias.is_none() {
                    continue;
                }
                let got = conv2d_relu_max_pool2d_backward(&x, &w, &g, &y, &at, conv, pool, need);
                for (k, got) in got.iter().enumerate() {
                    assert_eq!(got.is_some(), need[k], "{case}: {need:?}");
                    if let Some(got) = got {
                        let want = want[k].as_ref().expect("all asked above");
                        assert_eq!(bits(got), bits(want), "{case}: {need:?} gradient {k}");
                    }
                }
            }
        }
    }
}

#[test]
#[should_panic(expected = "conv2d_relu_max_pool2d backward: gradient [1, 2, 3, 3]")]
fn fused_backward_names_a_gradient_that_does_not_fit() {
    use nntensor::conv2d_relu_max_pool2d_backward;
    let (x, w) = (Tensor::ones([1, 1, 6, 6]), Tensor::ones([2, 1, 3, 3]));
    let g = Tensor::ones([1, 2, 3, 3]);
    let (conv, pool) = (Conv2dSpec::default(), Pool2dSpec::new([2, 2]));
    conv2d_relu_max_pool2d_backward(&x, &w, &g, &g, &g, conv, pool, [true; 3]);
}

#[test]
fn fused_convolution_of_empty_batches_and_channels() {
    use nntensor::{conv2d_relu_max_pool2d, conv2d_relu_max_pool2d_backward};
    let (conv, pool) = (Conv2dSpec::default(), Pool2dSpec::new([2, 2]));
    // (input, weight): no images, no output channels, no input channels.
    for (dims, wdims) in [
        ([0, 2, 6, 6], [3, 2, 3, 3]),
        ([2, 2, 6, 6], [0, 2, 3, 3]),
        ([2, 0, 6, 6], [3, 0, 3, 3]),
    ] {
        let (x, w) = (random(&dims, 1), random(&wdims, 2));
        let b = random(&[wdims[0]], 3);
        let (y, at) = conv2d_relu_max_pool2d(&x, &w, Some(&b), conv, pool);
        let want = relu_max_pool2d(&conv2d(&x, &w, Some(&b), conv), pool);
        assert_eq!((y.clone(), at.clone()), want, "{dims:?} {wdims:?}");
        let g = random(y.shape(), 4);
        let got = conv2d_relu_max_pool2d_backward(&x, &w, &g, &y, &at, conv, pool, [true; 3]);
        let g_conv = relu_max_pool2d_backward(&g, &y, &at, &[dims[0], wdims[0], 4, 4], pool);
        let want = conv2d_backward(&x, &w, &g_conv, conv, [true; 3]);
        assert_eq!(got, want, "{dims:?} {wdims:?}");
    }
}
