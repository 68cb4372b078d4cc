//! Data-parallel `fit` through the `ProcessGroup` seam, with threads standing in for MPI ranks:
//! the weights must not depend on the number of ranks, mismatched ranks must fail at the start.

use nndata::{synthetic, Dataset};
use nnlayers::Sequential;
use nnoptim::Adam;
use nntrain::*;
use std::sync::{Arc, Barrier, Mutex};

/// What the ranks of one in-process group share: a slot per rank and a barrier.
struct Shared {
    barrier: Barrier,
    slots: Mutex<Vec<Vec<u8>>>,
}

/// One rank of a group of threads.
struct ThreadRank {
    rank: usize,
    size: usize,
    shared: Arc<Shared>,
}

impl ThreadRank {
    /// Every rank's bytes, in rank order.
    fn exchange(&self, local: &[u8]) -> Vec<Vec<u8>> {
        self.shared.slots.lock().unwrap()[self.rank] = local.to_vec();
        self.shared.barrier.wait();
        let all = self.shared.slots.lock().unwrap().clone();
        self.shared.barrier.wait();
        all
    }
}

impl ProcessGroup for ThreadRank {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn all_gather(&self, local: &[u8]) -> Gathered {
        let parts = self.exchange(local);
        let lengths: Vec<usize> = parts.iter().map(Vec::len).collect();
        Gathered::new(parts.concat(), &lengths)
    }
    fn broadcast_from_root(&self, data: &mut [u8]) {
        let all = self.exchange(data);
        data.copy_from_slice(&all[0]);
    }
    fn all_reduce_sum(&self, values: &mut [f32]) {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let all = self.exchange(&bytes);
        values.fill(0.0);
        for theirs in all {
            for (v, c) in values.iter_mut().zip(theirs.chunks_exact(4)) {
                *v += f32::from_le_bytes(c.try_into().unwrap());
            }
        }
    }
}

fn data() -> Dataset {
    synthetic::spirals(600, 3, 0.1, 5)
}

fn model(seed: u64, hidden: usize) -> Model {
    let mut model = Model::new(
        Sequential::new(seed)
            .linear(2, hidden)
            .relu()
            .dropout(0.2)
            .linear(hidden, 3)
            .softmax(),
    );
    model.compile(
        Adam::new(0.01),
        Loss::SparseCategoricalCrossEntropy,
        &[Metric::Accuracy],
    );
    model
}

fn weights(model: &Model) -> Vec<u32> {
    model
        .network()
        .parameters()
        .iter()
        .flat_map(|p| p.value().to_vec().into_iter().map(f32::to_bits))
        .collect()
}

fn options<'a>(
    group: Option<&'a dyn ProcessGroup>,
    reduction: GradientReduction,
) -> FitOptions<'a> {
    FitOptions {
        epochs: 3,
        batch_size: 128,
        seed: 9,
        micro_shards: 4,
        group,
        reduction,
        verbosity: Verbosity::Silent,
        ..Default::default()
    }
}

/// Trains `make(rank)` on `ranks` threads as one group; each rank's weights or error.
fn train_on_ranks(
    ranks: usize,
    reduction: GradientReduction,
    make: impl Fn(usize) -> Model + Sync,
) -> Vec<Result<Vec<u32>, String>> {
    train_with_fit_seeds(ranks, reduction, make, |_| 9)
}

/// [`train_on_ranks`] with `fit_seed(rank)` as each rank's `FitOptions::seed`.
fn train_with_fit_seeds(
    ranks: usize,
    reduction: GradientReduction,
    make: impl Fn(usize) -> Model + Sync,
    fit_seed: fn(usize) -> u64,
) -> Vec<Result<Vec<u32>, String>> {
    let train = data();
    on_ranks(ranks, |group| {
        let mut model = make(group.rank);
        model
            .fit(
                &train,
                FitOptions {
                    seed: fit_seed(group.rank),
                    ..options(Some(group), reduction)
                },
            )
            .map(|_| weights(&model))
            .map_err(|e| e.to_string())
    })
}

/// `run(rank)` on `ranks` threads as one group; each rank's result.
fn on_ranks<T: Send>(ranks: usize, run: impl Fn(&ThreadRank) -> T + Sync) -> Vec<T> {
    let shared = Arc::new(Shared {
        barrier: Barrier::new(ranks),
        slots: Mutex::new(vec![Vec::new(); ranks]),
    });
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..ranks)
            .map(|rank| {
                let group = ThreadRank {
                    rank,
                    size: ranks,
                    shared: shared.clone(),
                };
                let run = &run;
                s.spawn(move || {
                    // Each rank in a pool of its own, as each MPI rank is a process of its own:
                    // ranks blocked in an exchange must not hold another rank's threads.
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(2)
                        .build()
                        .unwrap();
                    pool.install(|| run(&group))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// `model(3, 16)` after a single-process fit (the same weights wherever it is made).
fn trained() -> Model {
    let mut model = model(3, 16);
    model
        .fit(&data(), options(None, GradientReduction::OrderedGather))
        .unwrap();
    model
}

/// An evaluation's loss and metrics, as bits.
fn bits(e: &Evaluation) -> Vec<u64> {
    std::iter::once(e.loss)
        .chain(e.metrics.iter().map(|(_, v)| *v))
        .map(f64::to_bits)
        .collect()
}

#[test]
fn evaluation_across_ranks_equals_one_process() {
    // 2,500 rows: three batches of evaluation, so with four ranks one rank has none.
    let test = synthetic::spirals(2_500, 3, 0.1, 8);
    let expected = bits(&trained().evaluate(&test).unwrap());
    for ranks in 1..=4 {
        for (rank, got) in on_ranks(ranks, |group| trained().evaluate_across(&test, group))
            .into_iter()
            .enumerate()
        {
            assert_eq!(bits(&got.unwrap()), expected, "{ranks} ranks, rank {rank}");
        }
    }
}

/// `options` holding out a fifth of the data for validation.
fn with_validation(group: Option<&dyn ProcessGroup>) -> FitOptions<'_> {
    FitOptions {
        validation_split: 0.2,
        ..options(group, GradientReduction::OrderedGather)
    }
}

#[test]
fn validation_across_ranks_equals_one_process() {
    let mut single = model(3, 16);
    let expected = single.fit(&data(), with_validation(None)).unwrap();
    assert!(expected.last("val_loss").is_some());
    for (rank, history) in on_ranks(3, |group| {
        model(3, 16)
            .fit(&data(), with_validation(Some(group)))
            .unwrap()
    })
    .into_iter()
    .enumerate()
    {
        assert_eq!(
            history.last("val_loss").map(f64::to_bits),
            expected.last("val_loss").map(f64::to_bits),
            "rank {rank}"
        );
        assert_eq!(
            history.last("val_accuracy").map(f64::to_bits),
            expected.last("val_accuracy").map(f64::to_bits),
            "rank {rank}"
        );
    }
}

/// `trained().evaluate_across(data(rank))` on `ranks` threads as one group; each rank's result.
fn evaluate_on_ranks<'d>(
    ranks: usize,
    data: impl Fn(usize) -> &'d Dataset + Sync,
) -> Vec<Result<Evaluation, String>> {
    on_ranks(ranks, |group| {
        trained()
            .evaluate_across(data(group.rank), group)
            .map_err(|e| e.to_string())
    })
}

#[test]
fn a_rank_refused_by_evaluate_ends_it_on_every_rank() {
    let good = synthetic::spirals(300, 3, 0.1, 8);
    let bad = synthetic::spirals(300, 4, 0.1, 8);
    let results = evaluate_on_ranks(3, |rank| if rank == 1 { &bad } else { &good });
    for (rank, r) in results.into_iter().enumerate() {
        let e = r.unwrap_err();
        if rank != 1 {
            assert!(
                e.starts_with("data-parallel training: rank 1 failed: "),
                "{e}"
            );
        }
        assert!(e.contains("class"), "rank {rank}: {e}");
    }
}

#[test]
fn ranks_evaluating_different_row_counts_is_an_error_on_every_rank() {
    let short = synthetic::spirals(1_000, 3, 0.1, 8);
    let long = synthetic::spirals(2_500, 3, 0.1, 8);
    let results = evaluate_on_ranks(2, |rank| if rank == 0 { &short } else { &long });
    for r in results {
        let e = r.unwrap_err();
        assert!(
            e.contains("every rank must evaluate the same model on the same data"),
            "{e}"
        );
    }
}

#[test]
fn weights_do_not_depend_on_the_number_of_ranks() {
    let mut single = model(3, 16);
    let history = single
        .fit(&data(), options(None, GradientReduction::OrderedGather))
        .unwrap();
    assert!(history.last("accuracy").unwrap() > 0.5, "{history:?}");
    let expected = weights(&single);
    for ranks in 1..=4 {
        for (rank, got) in train_on_ranks(ranks, GradientReduction::OrderedGather, |_| model(3, 16))
            .into_iter()
            .enumerate()
        {
            assert!(
                got.as_ref() == Ok(&expected),
                "{ranks} ranks: rank {rank}'s weights differ from a single-process fit"
            );
        }
    }
}

#[test]
fn a_short_last_batch_keeps_each_part_on_its_rank() {
    // 3 × 87 = 261 rows: the last batch has 5 rows, split into 3 parts of 2, 2, 1 instead of 4;
    // each part's dropout stream must stay on the rank that owns it.
    let train = synthetic::spirals(87, 3, 0.1, 5);
    assert_eq!(train.len() % 128, 5);
    let mut single = model(3, 16);
    single
        .fit(&train, options(None, GradientReduction::OrderedGather))
        .unwrap();
    for ranks in [2, 3] {
        for (rank, got) in on_ranks(ranks, |group| {
            let mut m = model(3, 16);
            m.fit(
                &train,
                options(Some(group), GradientReduction::OrderedGather),
            )
            .map(|_| weights(&m))
        })
        .into_iter()
        .enumerate()
        {
            assert!(
                got.as_ref().ok() == Some(&weights(&single)),
                "{ranks} ranks: rank {rank}'s weights differ from a single-process fit"
            );
        }
    }
}

#[test]
fn a_rank_refused_before_training_ends_fit_on_every_rank() {
    // Rank 1's data holds a NaN: its checks refuse it before the ranks meet; rank 0 must not
    // wait for it.
    let good = data();
    let mut x = good.inputs().to_vec();
    x[0] = f32::NAN;
    let bad = Dataset::new(
        nnautograd::nntensor::Tensor::from_vec(good.inputs().shape(), x).unwrap(),
        good.targets().clone(),
    )
    .unwrap();
    let results = on_ranks(2, |group| {
        let train = if group.rank == 1 { &bad } else { &good };
        model(3, 16)
            .fit(
                train,
                options(Some(group), GradientReduction::OrderedGather),
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
    let rank0 = results[0].clone().unwrap_err();
    assert!(
        rank0.contains("rank 1 cannot train") && rank0.contains("NaN"),
        "{rank0}"
    );
    let rank1 = results[1].clone().unwrap_err();
    assert!(rank1.contains("NaN"), "{rank1}");
}

#[test]
fn the_micro_shard_count_is_what_changes_the_weights() {
    // A test that can fail: a different split gives different (rounded) weights.
    let mut four = model(3, 16);
    four.fit(&data(), options(None, GradientReduction::OrderedGather))
        .unwrap();
    let mut two = model(3, 16);
    two.fit(
        &data(),
        FitOptions {
            micro_shards: 2,
            ..options(None, GradientReduction::OrderedGather)
        },
    )
    .unwrap();
    assert_ne!(weights(&four), weights(&two));
}

#[test]
fn all_reduce_trains_every_rank_alike() {
    let results = train_on_ranks(3, GradientReduction::AllReduce, |_| model(3, 16));
    let first = results[0].clone().unwrap();
    for r in &results {
        assert_eq!(
            r.as_ref().unwrap(),
            &first,
            "every rank applies the same update"
        );
    }
}

#[test]
fn a_rank_with_another_model_is_an_error_on_every_rank() {
    let results = train_on_ranks(2, GradientReduction::OrderedGather, |rank| {
        model(3, if rank == 1 { 17 } else { 16 })
    });
    for r in results {
        let e = r.unwrap_err();
        assert!(
            e.contains("rank 1 does not train the same model as rank 0") && e.contains("[2, 17]"),
            "{e}"
        );
    }
}

#[test]
fn a_rank_with_another_fit_seed_is_an_error_on_every_rank() {
    let results = train_with_fit_seeds(
        3,
        GradientReduction::OrderedGather,
        |_| model(3, 16),
        |rank| if rank == 2 { 10 } else { 9 },
    );
    for r in results {
        let e = r.unwrap_err();
        assert!(
            e.contains("rank 2") && e.contains("seed: 9") && e.contains("seed: 10"),
            "{e}"
        );
    }
}

#[test]
fn different_initial_weights_are_replaced_by_rank_zeros() {
    // Model seeds differ (their weights start apart); fit broadcasts rank 0's at the start.
    let mut single = model(3, 16);
    single
        .fit(&data(), options(None, GradientReduction::OrderedGather))
        .unwrap();
    let results = train_on_ranks(2, GradientReduction::OrderedGather, |rank| {
        model(3 + rank as u64, 16)
    });
    for r in results {
        assert_eq!(r.unwrap(), weights(&single));
    }
}
