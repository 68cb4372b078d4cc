//! One training step, in four parts: forward and backward per shard → each shard's `Grads` →
//! reduce across the shards, in shard order → optimizer apply.
//!
//! A small model cannot keep two cores busy by splitting each matrix product (the hand-offs cost
//! what the second core saves: docs/performance.md). Splitting the *batch* gives each core a whole
//! forward and backward pass of its own. The split depends only on the batch size, never on the
//! thread count, and the reduce adds the shards' gradients in shard order (0 + 1 + …), so the same
//! seed gives bit-identical weights on one thread or many. A data-parallel trainer reduces the
//! same way across processes after [`reduce`].

use crate::metric::Metric;
use crate::plan::Plan;
use crate::{check, Loss};
use nnautograd::nntensor::cpu::single_threaded;
use nnautograd::nntensor::{self as nt, Device};
use nnautograd::{Grads, Tape};
use nndata::Dataset;
use nnlayers::{Context, Sequential};
use nnoptim::Optimizer;
use std::borrow::Cow;

/// Most shards a batch is split into: one per core of the 2-core machines we target. More
/// shards would only add per-shard overhead there; with more cores, the large matrix products
/// inside each shard still use the extra threads.
pub(crate) const SHARDS: usize = 2;

/// Batches smaller than `SHARDS` × this run as one shard: below it the per-pass overhead of a
/// second tape outweighs the halved work.
pub(crate) const MIN_SHARD_ROWS: usize = 32;

/// What forward and backward computed over some rows: `weight` × their mean loss, the gradient of
/// that, and each metric's (sum, count) over the rows.
pub(crate) struct StepResult {
    pub(crate) loss: f32,
    pub(crate) grads: Grads,
    pub(crate) metric_sums: Vec<(f64, usize)>,
}

/// The network, loss and metrics one step needs, shared by the shards.
#[derive(Clone, Copy)]
pub(crate) struct StepSpec<'a> {
    pub(crate) network: &'a Sequential,
    pub(crate) plan: Plan,
    pub(crate) loss: Loss,
    pub(crate) metrics: &'a [Metric],
    /// Where the network's parameters are; each shard's batch is copied there.
    pub(crate) device: Device,
    /// The training set already on `device` (a GPU), when it fits: each step gathers its rows
    /// there instead of copying them from the host.
    pub(crate) device_data: Option<&'a Dataset>,
    /// Each training sample's loss weight `(n,)` (sample and class weights combined), if any.
    pub(crate) sample_weights: Option<&'a nt::Tensor>,
}

/// The shards of a batch of `rows`: [`SHARDS`] consecutive parts of `⌈rows / SHARDS⌉` rows (the
/// last may be shorter), or one part for a batch below `SHARDS × MIN_SHARD_ROWS`.
pub(crate) fn shards(rows: &[usize]) -> Vec<&[usize]> {
    if rows.len() < SHARDS * MIN_SHARD_ROWS {
        return vec![rows];
    }
    rows.chunks(rows.len().div_ceil(SHARDS)).collect()
}

/// The parts a step splits `rows` into: the whole batch on a GPU or for a network that needs
/// the whole batch (batch normalisation); else `micro_shards` consecutive parts of
/// `⌈rows / micro_shards⌉` rows (fewer when the batch is short), or [`shards`] when
/// `micro_shards` is 0.
pub(crate) fn split<'r>(
    spec: &StepSpec<'_>,
    rows: &'r [usize],
    micro_shards: usize,
) -> Vec<&'r [usize]> {
    if spec.device != Device::Cpu || spec.network.needs_whole_batch() {
        vec![rows]
    } else if micro_shards == 0 {
        shards(rows)
    } else {
        rows.chunks(rows.len().div_ceil(micro_shards).max(1))
            .collect()
    }
}

/// Forward and backward of every part of a step of `total` rows, one part per rayon task, each
/// on its own tape (`tapes[s]`) drawing dropout masks from its own context (`contexts[s]`). Each
/// part's mean loss is weighted by its share of the `total` rows, so the parts' gradients add up
/// to the batch mean's. Returns the results in part order.
pub(crate) fn forward_backward(
    spec: StepSpec<'_>,
    data: &Dataset,
    parts: &[&[usize]],
    total: usize,
    tapes: &mut [Tape],
    contexts: &mut [Context],
) -> Vec<StepResult> {
    assert!(
        tapes.len() >= parts.len() && contexts.len() >= parts.len(),
        "one tape and one context per shard"
    );
    if let [only] = parts[..] {
        if only.len() == total {
            // The whole batch in one part: its products may use every thread.
            return vec![shard(
                spec,
                data,
                only,
                1.0,
                &mut tapes[0],
                &mut contexts[0],
            )];
        }
    }
    run_shards(spec, data, parts, total, tapes, contexts)
}

/// The shards `parts`, split in halves across rayon's threads; each shard's products stay on its
/// own thread.
fn run_shards(
    spec: StepSpec<'_>,
    data: &Dataset,
    parts: &[&[usize]],
    total: usize,
    tapes: &mut [Tape],
    contexts: &mut [Context],
) -> Vec<StepResult> {
    if let [part] = parts {
        let weight = part.len() as f32 / total as f32;
        return vec![single_threaded(|| {
            shard(spec, data, part, weight, &mut tapes[0], &mut contexts[0])
        })];
    }
    let mid = parts.len() / 2;
    let (tapes_left, tapes_right) = tapes.split_at_mut(mid);
    let (contexts_left, contexts_right) = contexts.split_at_mut(mid);
    let (mut left, right) = rayon::join(
        || run_shards(spec, data, &parts[..mid], total, tapes_left, contexts_left),
        || {
            run_shards(
                spec,
                data,
                &parts[mid..],
                total,
                tapes_right,
                contexts_right,
            )
        },
    );
    left.extend(right);
    left
}

/// The shards' results combined in shard order: losses and metric sums added, gradients
/// accumulated (`((g₀ + g₁) + g₂) + …`), so the result does not depend on which thread ran
/// which shard. Panics if `results` is empty.
pub(crate) fn reduce(results: Vec<StepResult>) -> StepResult {
    let mut results = results.into_iter();
    let mut total = results.next().expect("at least one shard");
    for other in results {
        add(&mut total, other);
    }
    total
}

/// `total + other`: losses and metric sums added, gradients accumulated.
pub(crate) fn add(total: &mut StepResult, other: StepResult) {
    add_head(total, other.loss, &other.metric_sums);
    total.grads.accumulate(other.grads);
}

/// Adds a loss and metric sums into `total`'s.
pub(crate) fn add_head(total: &mut StepResult, loss: f32, metric_sums: &[(f64, usize)]) {
    total.loss += loss;
    for (sum, &(s, n)) in total.metric_sums.iter_mut().zip(metric_sums) {
        sum.0 += s;
        sum.1 += n;
    }
}

/// Applies one optimizer update to the network's parameters from the reduced gradients.
pub(crate) fn apply(optimizer: &mut dyn Optimizer, network: &mut Sequential, grads: &Grads) {
    optimizer.step(&mut network.parameters_mut(), grads);
    // Layer state gathered in the forward pass (BatchNorm's running statistics).
    network.update_state();
}

/// One shard: gathers its rows, runs the network, and returns `weight` × its mean loss with the
/// gradient of that.
fn shard(
    spec: StepSpec<'_>,
    data: &Dataset,
    rows: &[usize],
    weight: f32,
    tape: &mut Tape,
    context: &mut Context,
) -> StepResult {
    let (x, y, targets_on_device) = match spec.device_data {
        Some(on_device) => {
            // Rows gathered on the device; the targets' host copy feeds labels and metrics.
            let (x, targets) = on_device.subset(rows).into_parts();
            (x, nt::gather_rows(data.targets(), rows), Some(targets))
        }
        None => {
            let (x, y) = data.subset(rows).into_parts();
            (x.into_device(&spec.device), y, None)
        }
    };
    let labels = check::labels(&y);
    let targets = match targets_on_device {
        Some(t) => Cow::Owned(t),
        None => y.on(&spec.device),
    };
    let raw = spec.plan.forward(spec.network, tape.constant(x), context);
    let mut loss = match spec.sample_weights {
        None => spec.plan.loss.compute(raw, &targets, &labels),
        Some(all) => {
            let weights = nt::gather_rows(all, rows).into_device(&spec.device);
            spec.plan
                .loss
                .compute_weighted(raw, &targets, &labels, &weights)
        }
    };
    if weight != 1.0 {
        loss = loss * weight;
    }
    let metric_sums = if spec.metrics.is_empty() {
        Vec::new()
    } else {
        let outputs = spec.plan.outputs(&raw.value());
        spec.metrics
            .iter()
            .map(|m| m.batch_sum(spec.loss, &outputs, &y, &labels))
            .collect()
    };
    StepResult {
        loss: loss.item(),
        grads: loss.backward(),
        metric_sums,
    }
}
