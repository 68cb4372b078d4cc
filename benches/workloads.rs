//! The six workloads of `shared/BENCHMARKS.md`, run with nnfacade's public API, printing one
//! JSON line each in the peers' format. `harness = false`: this is a program, not a criterion
//! bench, so the peers' script can call it like any other peer.
//!
//! ```sh
//! cargo bench --bench workloads -- --workload W1 [--data DIR] [--seed N] [--device cpu|gpu]
//! cargo bench --features gpu --bench workloads -- --workload W2 --device gpu
//! ../shared/peers/run_all.sh --force nnfacade jax W1     # beside the peers, same sitting
//! ```
//!
//! W1/W2/W6 train with `Model::fit` (what a user runs); W3 times `matmul_2d`; W4/W5 are training
//! loops written on the tape, as a user would write them for a tiny model. Timing excludes
//! loading data, as the peers' does.

use nnfacade::autograd::Var;
use nnfacade::data::mnist;
use nnfacade::layers::{binary_cross_entropy_with_logits, mse, Reduction};
use nnfacade::prelude::*;
use nnfacade::tensor::{cpu::matmul_2d, ndarray::Array2};
use std::time::Instant;

struct Args {
    workload: String,
    data: String,
    seed: u64,
    device: Device,
    /// W1/W2 with nnplay's live dashboard attached (its cost on `fit`).
    dashboard: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        workload: String::new(),
        data: "../shared/data/mnist".into(),
        seed: 42,
        device: Device::Cpu,
        dashboard: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--bench" => {} // cargo bench passes this to every bench target
            "--dashboard" => args.dashboard = true,
            "--workload" => args.workload = it.next().ok_or("--workload needs W1..W6")?,
            "--data" => args.data = it.next().ok_or("--data needs a directory")?,
            "--device" => {
                args.device = Device::from_name(&it.next().ok_or("--device needs cpu or gpu")?)?
            }
            "--seed" => {
                args.seed = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--seed needs a number")?
            }
            other => {
                return Err(format!(
                    "unknown argument {other}; usage: --workload W1..W6 [--data DIR] [--seed N] [--device D]"
                ))
            }
        }
    }
    // `cargo bench` runs this binary in benches/: read a relative `--data` from the workspace root,
    // where the command is typed.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    args.data = root.join(&args.data).to_string_lossy().into_owned();
    if args.workload.is_empty() {
        return Err(
            "usage: cargo bench --bench workloads -- --workload W1..W6 [--data DIR] [--seed N] [--dashboard]"
                .into(),
        );
    }
    Ok(args)
}

/// The process's peak resident set (VmHWM), in MB, as the Rust peers report it.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// W1/W2: an MLP on MNIST with `Model::fit`; seconds per epoch are the median of epochs 2..
fn mnist_mlp(
    args: &Args,
    hidden: &[usize],
    epochs: usize,
    optimizer: Box<dyn Optimizer>,
) -> Result<String, Box<dyn std::error::Error>> {
    let data = mnist::load(&args.data)?;
    let mut network = Sequential::new(args.seed);
    let mut width = 784;
    for &h in hidden {
        network = network.linear(width, h).relu();
        width = h;
    }
    let mut model = Model::new(network.linear(width, 10).softmax());
    model.compile_boxed(optimizer, Loss::SparseCategoricalCrossEntropy, &[]);
    let dashboard = if args.dashboard {
        let dashboard = nnplay::Dashboard::serve("127.0.0.1:0")?;
        eprintln!("dashboard: {}", dashboard.url());
        Some(dashboard)
    } else {
        None
    };
    let callbacks: Vec<Box<dyn nnfacade::train::Callback>> = match &dashboard {
        Some(d) => vec![Box::new(d.callback())],
        None => Vec::new(),
    };
    let options = FitOptions {
        callbacks,
        epochs,
        batch_size: 128,
        seed: args.seed,
        verbosity: Verbosity::Silent,
        device: Some(args.device),
        ..Default::default()
    };
    let history = model.fit(&data.train, options)?;
    let predicted = model.predict(data.test.inputs())?;
    let classes = nnfacade::tensor::argmax_axis(&predicted, 1);
    let correct = classes
        .iter()
        .zip(data.test.targets().values().iter())
        .filter(|(p, &t)| **p == t as usize)
        .count();
    let s_per_epoch = if history.seconds.len() > 1 {
        median(history.seconds[1..].to_vec())
    } else {
        history.seconds[0]
    };
    let times: Vec<String> = history.seconds.iter().map(|t| format!("{t:.4}")).collect();
    let name = std::path::Path::new(&args.data)
        .file_name()
        .map_or("mnist".into(), |n| n.to_string_lossy().into_owned());
    Ok(format!(
        "\"data\":\"{name}\",\"s_per_epoch\":{s_per_epoch:.4},\"test_acc\":{:.4},\"epoch_times\":[{}]",
        correct as f64 / data.test.len() as f64,
        times.join(",")
    ))
}

/// W6: the Keras simple convnet on MNIST (NCHW), 2 epochs, Adam; seconds per epoch of epoch 2.
fn mnist_cnn(args: &Args) -> Result<String, Box<dyn std::error::Error>> {
    let options = mnist::MnistOptions {
        flatten: false,
        ..Default::default()
    };
    let data = mnist::load_with(&args.data, options)?;
    let nchw = |d: Dataset| -> Result<Dataset, Box<dyn std::error::Error>> {
        let (x, y) = d.into_parts();
        let n = x.shape()[0];
        Ok(Dataset::new(x.into_reshaped([n, 1, 28, 28]), y)?)
    };
    let (train, test) = (nchw(data.train)?, nchw(data.test)?);
    let network = Sequential::new(args.seed)
        .conv2d(1, 32, [3, 3])
        .relu()
        .max_pool2d([2, 2])
        .conv2d(32, 64, [3, 3])
        .relu()
        .max_pool2d([2, 2])
        .flatten()
        .dropout(0.5)
        .linear(1600, 10)
        .softmax();
    let mut model = Model::new(network);
    model.compile(
        Adam::new(1e-3).with_eps(1e-7),
        Loss::SparseCategoricalCrossEntropy,
        &[],
    );
    let options = FitOptions {
        epochs: 2,
        batch_size: 128,
        seed: args.seed,
        verbosity: Verbosity::Silent,
        device: Some(args.device),
        ..Default::default()
    };
    let history = model.fit(&train, options)?;
    let predicted = model.predict(test.inputs())?;
    let classes = nnfacade::tensor::argmax_axis(&predicted, 1);
    let correct = classes
        .iter()
        .zip(test.targets().values().iter())
        .filter(|(p, &t)| **p == t as usize)
        .count();
    let times: Vec<String> = history.seconds.iter().map(|t| format!("{t:.3}")).collect();
    Ok(format!(
        "\"s_per_epoch\":{:.3},\"test_acc\":{:.4},\"layout\":\"NCHW\",\"epoch_times\":[{}]",
        history.seconds[history.seconds.len() - 1],
        correct as f64 / test.len() as f64,
        times.join(",")
    ))
}

/// W3: GFLOP/s of `matmul_2d`, median over repetitions after 3 warm-up calls (as the peers do).
fn matmul_gflops() -> String {
    let mut rng = Rng::seed_from(0);
    let mut out = Vec::new();
    for (m, k, n) in [(128, 784, 512), (512, 512, 512), (1024, 1024, 1024)] {
        let a = Array2::from_shape_simple_fn((m, k), || rng.next_f32());
        let b = Array2::from_shape_simple_fn((k, n), || rng.next_f32());
        for _ in 0..3 {
            std::hint::black_box(matmul_2d(a.view(), b.view()));
        }
        let (mut times, started) = (Vec::new(), Instant::now());
        while times.len() < 500 && (times.len() < 10 || started.elapsed().as_secs_f64() < 1.5) {
            let t0 = Instant::now();
            std::hint::black_box(matmul_2d(a.view(), b.view()));
            times.push(t0.elapsed().as_secs_f64());
        }
        out.push(format!(
            "\"{m}x{k}x{n}\":{:.1}",
            2.0 * (m * k * n) as f64 / median(times) / 1e9
        ));
    }
    format!("\"gflops\":{{{}}}", out.join(","))
}

/// The device as the JSON line names it: `cpu`, or the GPU adapter's name and API.
fn device_name(device: Device) -> String {
    #[cfg(feature = "gpu")]
    if let Some(info) = device.gpu_info() {
        return format!("{} ({})", info.name, info.backend).replace('"', "'");
    }
    device.to_string()
}

/// W3 on a GPU: GFLOP/s of `nntensor::matmul` on device tensors, timed over a burst of products
/// between two waits for the GPU (one product is too short to time alone), median of bursts; and
/// 4096³ as well unless the adapter is a software one (a CPU runs it for minutes).
#[cfg(feature = "gpu")]
fn gpu_matmul_gflops(device: Device) -> Result<String, Box<dyn std::error::Error>> {
    let Device::Gpu(index) = device else {
        unreachable!("called for a GPU")
    };
    let software = device.gpu_info().is_some_and(|i| i.device_type == "Cpu");
    let mut shapes = vec![(128, 784, 512), (512, 512, 512), (1024, 1024, 1024)];
    if !software {
        shapes.push((4096, 4096, 4096));
    }
    let mut rng = Rng::seed_from(0);
    let mut out = Vec::new();
    for (m, k, n) in shapes {
        let a = Tensor::from_fn([m, k], || rng.next_f32()).to(&device);
        let b = Tensor::from_fn([k, n], || rng.next_f32()).to(&device);
        let flop = 2.0 * (m * k * n) as f64;
        let run = |burst: usize| {
            for _ in 0..burst {
                std::hint::black_box(nnfacade::tensor::matmul(&a, &b));
            }
            nnfacade::tensor::gpu::synchronize(index);
        };
        // Warm-up (compiles the kernel), then bursts of about 50 ms of work each.
        run(1);
        let t0 = Instant::now();
        run(1);
        let burst = ((0.05 / t0.elapsed().as_secs_f64()) as usize).clamp(1, 200);
        let (mut times, started) = (Vec::new(), Instant::now());
        while times.len() < 50 && (times.len() < 3 || started.elapsed().as_secs_f64() < 1.0) {
            let t0 = Instant::now();
            run(burst);
            times.push(t0.elapsed().as_secs_f64() / burst as f64);
        }
        out.push(format!("\"{m}x{k}x{n}\":{:.1}", flop / median(times) / 1e9));
    }
    Ok(format!("\"gflops\":{{{}}}", out.join(",")))
}

/// W3 on a GPU needs a build with the `gpu` feature.
#[cfg(not(feature = "gpu"))]
fn gpu_matmul_gflops(_device: Device) -> Result<String, Box<dyn std::error::Error>> {
    unreachable!("Device::from_name refuses gpu without the feature")
}

/// W4: XOR, 2-2-1 with sigmoids, BCE, plain SGD lr 1.0, full batch of 1000 rows, 5000 steps.
fn xor_steps() -> String {
    let x = Tensor::from_shape_fn(vec![1000, 2], |i| {
        [[0., 0.], [0., 1.], [1., 0.], [1., 1.]][i[0] % 4][i[1]]
    });
    let y = Tensor::from_shape_fn(vec![1000, 1], |i| [0., 1., 1., 0.][i[0] % 4]);
    let t = |shape: Vec<usize>, v: Vec<f32>| Tensor::from_vec(shape, v).expect("shape");
    let mut params = [
        Param::new(t(vec![2, 2], vec![0.2, 0.4, 0.3, -0.1])),
        Param::new(Tensor::zeros(vec![2])),
        Param::new(t(vec![2, 1], vec![0.1, 0.2])),
        Param::new(Tensor::zeros(vec![1])),
    ];
    let mut sgd = Sgd::new(1.0);
    let tape = Tape::new();
    // The output sigmoid is folded into the loss: BCE with logits, the stable form of σ + BCE.
    let logits = |tape: &'_ Tape, p: &[Param; 4]| -> f32 {
        let v: Vec<Var<'_>> = p.iter().map(|p| tape.param(p)).collect();
        let out = tape
            .constant(x.clone())
            .linear(v[0], Some(v[1]))
            .sigmoid()
            .linear(v[2], Some(v[3]));
        binary_cross_entropy_with_logits(out, &y, Reduction::Mean).item()
    };
    let started = Instant::now();
    for _ in 0..5000 {
        let v: Vec<Var<'_>> = params.iter().map(|p| tape.param(p)).collect();
        let out = tape
            .constant(x.clone())
            .linear(v[0], Some(v[1]))
            .sigmoid()
            .linear(v[2], Some(v[3]));
        let grads = binary_cross_entropy_with_logits(out, &y, Reduction::Mean).backward();
        let [a, b, c, d] = &mut params;
        sgd.step(&mut [a, b, c, d], &grads);
    }
    let seconds = started.elapsed().as_secs_f64();
    let final_loss = tape.no_grad(|| logits(&tape, &params));
    format!(
        "\"us_per_step\":{:.3},\"final_loss\":{:.6e}",
        seconds / 5000.0 * 1e6,
        final_loss
    )
}

/// W5: y = 2x + 1, x = i mod 100, batch 1, plain SGD lr 1e-4 on squared error, in order, 10 epochs.
fn line_steps() -> String {
    let xs: Vec<Tensor> = (0..10_000)
        .map(|i| Tensor::full(vec![1, 1], (i % 100) as f32))
        .collect();
    let ys: Vec<Tensor> = xs.iter().map(|x| x * 2.0 + 1.0).collect();
    let mut w = Param::new(Tensor::zeros(vec![1, 1]));
    let mut b = Param::new(Tensor::zeros(vec![1]));
    let mut sgd = Sgd::new(1e-4);
    let tape = Tape::new();
    let started = Instant::now();
    for _ in 0..10 {
        for (x, y) in xs.iter().zip(&ys) {
            let pred = tape
                .constant(x.clone())
                .linear(tape.param(&w), Some(tape.param(&b)));
            let grads = mse(pred, y, Reduction::Mean).backward();
            sgd.step(&mut [&mut w, &mut b], &grads);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    format!(
        "\"us_per_step\":{:.4},\"w\":{:.5},\"b\":{:.5}",
        seconds / 100_000.0 * 1e6,
        w.value()[[0, 0]],
        b.value()[[0]]
    )
}

fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let fields: Result<String, Box<dyn std::error::Error>> = match args.workload.as_str() {
        "W1" => mnist_mlp(&args, &[32], 5, Box::new(RmsProp::keras())),
        "W2" => mnist_mlp(
            &args,
            &[512, 512],
            2,
            Box::new(Adam::new(1e-3).with_eps(1e-7)),
        ),
        "W3" if args.device != Device::Cpu => gpu_matmul_gflops(args.device),
        "W3" => Ok(matmul_gflops()),
        "W4" => Ok(xor_steps()),
        "W5" => Ok(line_steps()),
        "W6" => mnist_cnn(&args),
        other => Err(format!("unknown workload {other}: use W1..W6").into()),
    };
    match fields {
        Ok(fields) => {
            println!(
                "{{\"peer\":\"nnfacade\",\"workload\":\"{}\",\"version\":\"nnfacade {}\",\"device\":\"{}\",{fields},\"peak_rss_mb\":{:.1}}}",
                args.workload,
                env!("CARGO_PKG_VERSION"),
                device_name(args.device),
                peak_rss_mb()
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
