//! One training step: the batch split into shards that run forward and backward on rayon's
//! threads, their gradients added in a fixed order.
//!
//! A small model cannot keep two cores busy by splitting each matrix product (the hand-offs cost
//! what the second core saves: docs/performance.md). Splitting the *batch* gives each core a whole
//! forward and backward pass of its own. The split depends only on the batch size, never on the
//! thread count, and the shards' gradients are added shard 0 + shard 1, so the same seed gives
//! bit-identical weights on one thread or many.

use crate::metric::Metric;
use crate::model::{Model, Plan};
use crate::{check, Loss};
use nnautograd::nntensor::cpu::single_threaded;
use nnautograd::{Grads, Tape};
use nndata::Dataset;
use nnlayers::{Context, Sequential};

/// Most shards a batch is split into: one per core of the 2-core machines we target. More
/// shards would only add per-shard overhead there; with more cores, the large matrix products
/// inside each shard still use the extra threads.
pub(crate) const SHARDS: usize = 2;

/// Batches smaller than `SHARDS` × this run as one shard: below it the per-pass overhead of a
/// second tape outweighs the halved work.
pub(crate) const MIN_SHARD_ROWS: usize = 32;

/// What one step computed: the mean loss over the batch, the gradient of that mean, and each
/// metric's (sum, count) over the batch.
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
}

/// Forward and backward over the samples `rows` of `data`, in up to [`SHARDS`] shards.
///
/// Shard `s` records on `tapes[s]` and draws dropout masks from `contexts[s]`. Each shard's mean
/// loss is weighted by its share of the rows, so the summed gradients are the batch mean's.
pub(crate) fn forward_backward(
    spec: StepSpec<'_>,
    data: &Dataset,
    rows: &[usize],
    tapes: &mut [Tape; SHARDS],
    contexts: &mut [Context; SHARDS],
) -> StepResult {
    let [tape0, tape1] = tapes;
    let [context0, context1] = contexts;
    if rows.len() < SHARDS * MIN_SHARD_ROWS {
        return shard(spec, data, rows, 1.0, tape0, context0);
    }
    let (first, second) = rows.split_at(rows.len().div_ceil(SHARDS));
    let weight = |part: &[usize]| part.len() as f32 / rows.len() as f32;
    // Each core has a shard: the products inside stay on its thread.
    let (mut total, other) = rayon::join(
        || single_threaded(|| shard(spec, data, first, weight(first), tape0, context0)),
        || single_threaded(|| shard(spec, data, second, weight(second), tape1, context1)),
    );
    total.loss += other.loss;
    total.grads.accumulate(other.grads);
    for (sum, (s, n)) in total.metric_sums.iter_mut().zip(other.metric_sums) {
        sum.0 += s;
        sum.1 += n;
    }
    total
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
    let (x, y) = data.subset(rows).into_parts();
    let labels = check::labels(&y);
    let raw = Model::forward(spec.network, spec.plan, tape.constant(x), context);
    let mut loss = spec.plan.loss.compute(raw, &y, &labels);
    if weight != 1.0 {
        loss = loss * weight;
    }
    let metric_sums = if spec.metrics.is_empty() {
        Vec::new()
    } else {
        let outputs = Model::outputs(spec.plan, &raw.value());
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
