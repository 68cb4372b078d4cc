//! The Keras MNIST model (W1: 784 → 32 ReLU → 10 softmax, RMSprop, batch 128) trained
//! data-parallel over MPI with `nndist`.
//!
//! Run: `mpirun -np 2 target/release/examples/mnist_distributed [--data DIR] [--epochs N]
//! [--micro-shards N] [--reduction ordered|allreduce] [--hidden N] [--seed N] [--save PATH]
//! [--checkpoint PATH] [--resume PATH] [--single] [--quiet]`, after `cargo build --release --manifest-path crates/nndist/Cargo.toml
//! --target-dir target --example mnist_distributed` (docs/distributed.md). Every rank loads
//! MNIST (`--data`, else `$MNIST_DIR`) and builds the same model; rank 0 prints, saves, and ends
//! with a JSON line whose `weights_fnv` hashes every weight's bits: it is the same for any
//! `-np` with the same `--micro-shards`. `--single` trains in this process alone with a plain
//! `fit` (no MPI group) and the same micro-shards, for comparison. `--checkpoint PATH` has rank 0
//! write a checkpoint after every epoch; `--resume PATH` has every rank continue from one (with
//! `--epochs` the total to reach), ending with the weights of the uninterrupted run. Every rank
//! evaluates its share of the test set (`Model::evaluate_across`). Rank 0 also reports the time
//! spent communicating per step (`comm_ms_per_step`, waits for other ranks included) and the time
//! of one all-gather of a micro-shard's gradients alone (`all_gather_ms`).

use nnfacade::data::mnist::MnistOptions;
use nnfacade::prelude::*;
use nnfacade::train::{Gathered, GradientReduction, ProcessGroup};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// A process group that adds up the time spent in its calls: the step's communication,
/// including any wait for a slower rank.
struct TimedGroup<'a> {
    inner: &'a dyn ProcessGroup,
    nanos: AtomicU64,
}

impl TimedGroup<'_> {
    /// Runs `f` and adds its time.
    fn time<T>(&self, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.nanos
            .fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        out
    }
}

impl ProcessGroup for TimedGroup<'_> {
    fn rank(&self) -> usize {
        self.inner.rank()
    }
    fn size(&self) -> usize {
        self.inner.size()
    }
    fn all_gather(&self, local: &[u8]) -> Gathered {
        self.time(|| self.inner.all_gather(local))
    }
    fn broadcast_from_root(&self, data: &mut [u8]) {
        self.time(|| self.inner.broadcast_from_root(data))
    }
    fn all_reduce_sum(&self, values: &mut [f32]) {
        self.time(|| self.inner.all_reduce_sum(values))
    }
}

struct Args {
    data: Option<String>,
    epochs: usize,
    micro_shards: usize,
    reduction: GradientReduction,
    hidden: usize,
    seed: u64,
    save: Option<String>,
    checkpoint: Option<String>,
    resume: Option<String>,
    single: bool,
    quiet: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        data: std::env::var("MNIST_DIR").ok().filter(|d| !d.is_empty()),
        epochs: 5,
        micro_shards: 4,
        reduction: GradientReduction::OrderedGather,
        hidden: 32,
        seed: 42,
        save: None,
        checkpoint: None,
        resume: None,
        single: false,
        quiet: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--single" => {
                args.single = true;
                continue;
            }
            "--quiet" => {
                args.quiet = true;
                continue;
            }
            _ => {}
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| {
            v.parse::<usize>()
                .map_err(|_| format!("{flag} needs a whole number, got `{v}`"))
        };
        match flag.as_str() {
            "--data" => args.data = Some(value),
            "--epochs" => args.epochs = number(&value)?,
            "--micro-shards" => args.micro_shards = number(&value)?,
            "--hidden" => args.hidden = number(&value)?,
            "--seed" => args.seed = number(&value)? as u64,
            "--save" => args.save = Some(value),
            "--checkpoint" => args.checkpoint = Some(value),
            "--resume" => args.resume = Some(value),
            "--reduction" => {
                args.reduction = match value.as_str() {
                    "ordered" => GradientReduction::OrderedGather,
                    "allreduce" => GradientReduction::AllReduce,
                    other => {
                        return Err(format!(
                            "--reduction is `ordered` or `allreduce`, got `{other}`"
                        ))
                    }
                }
            }
            other => return Err(format!("unknown flag `{other}` (see the comment at the top of examples/mnist_distributed.rs)")),
        }
    }
    Ok(args)
}

/// FNV-1a over the bits of every weight, in parameter order.
fn weights_fnv(model: &Model) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for param in model.network().parameters() {
        for v in param.value().to_vec() {
            hash = (hash ^ v.to_bits() as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let mpi = if args.single {
        None
    } else {
        Some(nndist::Mpi::init()?)
    };
    let (rank, ranks) = mpi.as_ref().map_or((0, 1), |m| (m.rank(), m.size()));
    let dir = args
        .data
        .as_deref()
        .ok_or("MNIST not found: pass --data DIR or set MNIST_DIR to a directory holding the four MNIST files")?;
    let data = nnfacade::data::mnist::load_with(
        dir,
        MnistOptions {
            one_hot: true,
            ..Default::default()
        },
    )?;
    let mut model = match &args.resume {
        // Every rank reads the same checkpoint (a shared or copied file).
        Some(path) => Model::resume(path)?,
        None => {
            let network = Sequential::new(args.seed)
                .linear(784, args.hidden)
                .relu()
                .linear(args.hidden, 10)
                .softmax();
            let mut model = Model::new(network);
            model.compile(
                RmsProp::keras().with_lr(0.001),
                Loss::CategoricalCrossEntropy,
                &[Metric::Accuracy],
            );
            model
        }
    };
    if rank == 0 {
        println!(
            "{} rank(s), {} micro-shards per batch, {:?}",
            ranks, args.micro_shards, args.reduction
        );
        println!("{}", model.summary()?);
    }
    let timed = mpi.as_ref().map(|m| TimedGroup {
        inner: m,
        nanos: AtomicU64::new(0),
    });
    let options = FitOptions {
        epochs: args.epochs,
        batch_size: 128,
        seed: args.seed,
        micro_shards: args.micro_shards,
        group: timed.as_ref().map(|t| t as &dyn ProcessGroup),
        reduction: args.reduction,
        verbosity: if args.quiet {
            Verbosity::Silent
        } else {
            Verbosity::OneLinePerEpoch
        },
        callbacks: match &args.checkpoint {
            // Called on rank 0 only.
            Some(path) => vec![Box::new(ModelCheckpoint::new(path, 1))],
            None => Vec::new(),
        },
        ..Default::default()
    };
    let history = model.fit(&data.train, options)?;
    let steps = history.epochs.len() * data.train.len().div_ceil(128);
    let comm_ms_per_step = timed.as_ref().map_or(0.0, |t| {
        t.nanos.load(Ordering::Relaxed) as f64 / 1e6 / steps.max(1) as f64
    });
    // One step's exchange alone, every rank ready: all-gathers of one micro-shard's gradients.
    let gather_ms = mpi.as_ref().map_or(0.0, |m| {
        let payload = vec![0u8; 4 * model.network().parameter_count()];
        m.barrier();
        let start = Instant::now();
        for _ in 0..100 {
            std::hint::black_box(m.all_gather(&payload));
        }
        start.elapsed().as_secs_f64() * 1e3 / 100.0
    });
    // Every rank evaluates its share of the test set; every rank gets the whole set's numbers.
    let test = match &mpi {
        Some(m) => model.evaluate_across(&data.test, m)?,
        None => model.evaluate(&data.test)?,
    };
    if rank != 0 {
        return Ok(());
    }
    let accuracy = test.metric("accuracy").unwrap_or(f64::NAN);
    let mut later: Vec<f64> = history.seconds.iter().skip(1).copied().collect();
    if later.is_empty() {
        later = history.seconds.clone();
    }
    later.sort_by(f64::total_cmp);
    let seconds_per_epoch = later[later.len() / 2];
    println!(
        "test accuracy {:.2}%, {:.3} s per epoch",
        accuracy * 100.0,
        seconds_per_epoch
    );
    if mpi.is_some() {
        println!(
            "communication {comm_ms_per_step:.3} ms per step on rank 0 (waits for other ranks included); \
             one all-gather of a micro-shard's gradients alone {gather_ms:.3} ms"
        );
    }
    if let Some(path) = &args.save {
        model.save(path)?;
        println!("model saved to {path}");
    }
    println!(
        "{{\"example\":\"mnist_distributed\",\"ranks\":{ranks},\"single\":{},\"micro_shards\":{},\"reduction\":\"{:?}\",\"epochs\":{},\"test_accuracy\":{accuracy},\"seconds_per_epoch\":{seconds_per_epoch},\"comm_ms_per_step\":{comm_ms_per_step},\"all_gather_ms\":{gather_ms},\"weights_fnv\":\"{:016x}\"}}",
        args.single,
        args.micro_shards,
        args.reduction,
        history.epochs.len(),
        weights_fnv(&model)
    );
    Ok(())
}
