//! Data-parallel steps across the ranks of a [`ProcessGroup`]: each rank runs the micro-shards
//! it owns, the ranks exchange the results, and every rank reduces them the same way.
//!
//! A step's batch is split into a fixed number of micro-shards (set by the batch size and
//! `micro_shards`, never by the rank count). Rank `r` of `n` owns the consecutive micro-shards
//! `⌊r·m/n⌋..⌊(r+1)·m/n⌋`, so gathering in rank order lists them in micro-shard order, and
//! [`step::reduce`] adds them exactly as a single-process step adds its shards.

use crate::group::{GradientReduction, ProcessGroup};
use crate::step::{self, StepResult, StepSpec};
use crate::TrainError;
use nnautograd::nntensor::Tensor;
use nnautograd::{Grads, Param, Tape};
use nndata::Dataset;
use nnlayers::{Context, Sequential};

/// The micro-shards `lo..hi` (of `parts`) that `rank` of `ranks` owns.
pub(crate) fn owned(parts: usize, rank: usize, ranks: usize) -> (usize, usize) {
    (rank * parts / ranks, (rank + 1) * parts / ranks)
}

/// One data-parallel step over `rows`: this rank's micro-shards, then the exchange, then the
/// same reduction on every rank.
#[allow(clippy::too_many_arguments)]
pub(crate) fn step(
    spec: StepSpec<'_>,
    data: &Dataset,
    rows: &[usize],
    micro_shards: usize,
    group: &dyn ProcessGroup,
    reduction: GradientReduction,
    tapes: &mut [Tape],
    contexts: &mut [Context],
) -> StepResult {
    let parts = step::split(&spec, rows, micro_shards);
    // Ownership follows the configured count, so part `s` (and its dropout stream,
    // `contexts[s]`) stays on one rank even when a short last batch makes fewer parts.
    let (lo, hi) = owned(micro_shards.max(parts.len()), group.rank(), group.size());
    let (lo, hi) = (lo.min(parts.len()), hi.min(parts.len()));
    let mut local = if lo < hi {
        step::forward_backward(
            spec,
            data,
            &parts[lo..hi],
            rows.len(),
            tapes,
            &mut contexts[lo..hi],
        )
    } else {
        Vec::new()
    };
    let network = spec.network;
    match reduction {
        GradientReduction::OrderedGather => {
            let mut payload = Vec::new();
            for result in &local {
                encode(result, network, &mut payload);
            }
            let gathered = group.all_gather(&payload);
            drop(payload);
            // Every micro-shard in order: this rank's results as they are, the others' encoded.
            let mut sources = Vec::with_capacity(parts.len());
            for (rank, bytes) in gathered.iter().enumerate() {
                if rank == group.rank() {
                    sources.extend(local.drain(..).map(Source::Own));
                } else {
                    sources.extend(split_encoded(bytes, network).map(Source::Theirs));
                }
            }
            reduce_sources(sources, network)
        }
        GradientReduction::AllReduce => {
            let mine = (!local.is_empty()).then(|| step::reduce(local));
            // Loss and metric sums exactly, in rank order; the gradients through MPI's sum.
            let mut head = Vec::new();
            if let Some(result) = &mine {
                encode_head(result, &mut head);
            }
            let mut total = StepResult {
                loss: 0.0,
                grads: Grads::default(),
                metric_sums: vec![(0.0, 0); spec.metrics.len()],
            };
            for bytes in group.all_gather(&head).iter() {
                if bytes.is_empty() {
                    continue;
                }
                let (loss, sums, _) = decode_head(bytes);
                total.loss += loss;
                for (t, (s, n)) in total.metric_sums.iter_mut().zip(sums) {
                    t.0 += s;
                    t.1 += n;
                }
            }
            let mut flat = Vec::new();
            for param in network.parameters() {
                match mine.as_ref().and_then(|m| m.grads.get(param)) {
                    Some(g) => flat.extend(g.to_vec()),
                    None => flat.resize(flat.len() + param.value().len(), 0.0),
                }
            }
            group.all_reduce_sum(&mut flat);
            total.grads = grads_from_flat(&flat, network);
            total
        }
    }
}

/// One micro-shard's result in a step's reduction.
enum Source<'a> {
    /// Computed on this rank.
    Own(StepResult),
    /// Another rank's, as `encode` wrote it.
    Theirs(&'a [u8]),
}

/// The micro-shards' results added in order, as [`step::reduce`] adds them, reading the other
/// ranks' gradients straight from the received bytes (no decoded copy).
fn reduce_sources(sources: Vec<Source<'_>>, network: &Sequential) -> StepResult {
    let mut sources = sources.into_iter().peekable();
    let mut total = match sources.next().expect("at least one micro-shard") {
        Source::Own(result) => result,
        // `a + b` and `b + a` round alike, so an own second result can start the sum.
        Source::Theirs(first) => match sources.next_if(|s| matches!(s, Source::Own(_))) {
            Some(Source::Own(mut second)) => {
                add_encoded(&mut second, first, network);
                second
            }
            _ => decode(first, network),
        },
    };
    for source in sources {
        match source {
            Source::Own(result) => step::add(&mut total, result),
            Source::Theirs(bytes) => add_encoded(&mut total, bytes, network),
        }
    }
    total
}

/// Appends one result: its loss, metric sums, then every parameter's gradient (a presence byte,
/// then the values in the parameter's order, little-endian).
fn encode(result: &StepResult, network: &Sequential, out: &mut Vec<u8>) {
    let params = network.parameters();
    out.reserve(
        16 + 16 * result.metric_sums.len()
            + params
                .iter()
                .map(|p| 1 + 4 * p.value().len())
                .sum::<usize>(),
    );
    encode_head(result, out);
    for param in params {
        let Some(g) = result.grads.get(param) else {
            out.push(0);
            continue;
        };
        out.push(1);
        let copied;
        let values = match g.as_slice() {
            Some(values) => values,
            None => {
                copied = g.to_vec();
                &copied
            }
        };
        let at = out.len();
        out.resize(at + 4 * values.len(), 0);
        for (dst, v) in out[at..].chunks_exact_mut(4).zip(values) {
            dst.copy_from_slice(&v.to_le_bytes());
        }
    }
}

/// Appends the loss and the metric sums of `result`.
fn encode_head(result: &StepResult, out: &mut Vec<u8>) {
    out.extend_from_slice(&result.loss.to_le_bytes());
    out.extend_from_slice(&(result.metric_sums.len() as u64).to_le_bytes());
    for &(sum, count) in &result.metric_sums {
        out.extend_from_slice(&sum.to_le_bytes());
        out.extend_from_slice(&(count as u64).to_le_bytes());
    }
}

/// Reads `N` bytes at `*at` and advances it. The bytes come from another rank of the same
/// program, so a short buffer is a bug, not bad input.
fn take<const N: usize>(bytes: &[u8], at: &mut usize) -> [u8; N] {
    let chunk: [u8; N] = bytes[*at..*at + N]
        .try_into()
        .expect("a rank's step payload is complete");
    *at += N;
    chunk
}

/// The loss, metric sums and the offset after them.
fn decode_head(bytes: &[u8]) -> (f32, Vec<(f64, usize)>, usize) {
    let mut at = 0;
    let loss = f32::from_le_bytes(take(bytes, &mut at));
    let n = u64::from_le_bytes(take(bytes, &mut at)) as usize;
    let sums = (0..n).map(|_| take_sum(bytes, &mut at)).collect();
    (loss, sums, at)
}

/// Reads one `(sum, count)` pair (f64, then u64) at `*at` and advances it.
fn take_sum(bytes: &[u8], at: &mut usize) -> (f64, usize) {
    let sum = f64::from_le_bytes(take(bytes, at));
    let count = u64::from_le_bytes(take(bytes, at)) as usize;
    (sum, count)
}

/// Each encoded result in one rank's payload, in order.
fn split_encoded<'a>(
    bytes: &'a [u8],
    network: &'a Sequential,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at == bytes.len() {
            return None;
        }
        let start = at;
        at += decode_head(&bytes[at..]).2;
        for param in network.parameters() {
            if take::<1>(bytes, &mut at)[0] == 1 {
                at += 4 * param.value().len();
            }
        }
        Some(&bytes[start..at])
    })
}

/// Each parameter's gradient in one encoded result (after its head), in the network's order.
fn encoded_grads<'a>(
    bytes: &'a [u8],
    network: &'a Sequential,
) -> impl Iterator<Item = (&'a Param, &'a [u8])> + 'a {
    let mut at = decode_head(bytes).2;
    network.parameters().into_iter().filter_map(move |param| {
        if take::<1>(bytes, &mut at)[0] == 0 {
            return None;
        }
        let values = &bytes[at..at + 4 * param.value().len()];
        at += values.len();
        Some((param, values))
    })
}

/// One encoded result as a `StepResult`.
fn decode(bytes: &[u8], network: &Sequential) -> StepResult {
    let (loss, metric_sums, _) = decode_head(bytes);
    let params = encoded_grads(bytes, network)
        .map(|(param, values)| (param.id(), to_tensor(param, values)))
        .collect();
    StepResult {
        loss,
        grads: Grads::from_parameters(params),
        metric_sums,
    }
}

/// Adds one encoded result into `total`, element by element, exactly as [`step::add`] adds the
/// decoded result.
fn add_encoded(total: &mut StepResult, bytes: &[u8], network: &Sequential) {
    let (loss, metric_sums, _) = decode_head(bytes);
    step::add_head(total, loss, &metric_sums);
    for (param, values) in encoded_grads(bytes, network) {
        let ours = total.grads.iter_mut().find(|(id, _)| *id == param.id());
        match ours {
            Some((_, ours)) => ours.add_le_bytes(values),
            None => total.grads.accumulate(Grads::from_parameters(vec![(
                param.id(),
                to_tensor(param, values),
            )])),
        }
    }
}

/// A gradient of `param`'s shape from its little-endian values.
fn to_tensor(param: &Param, values: &[u8]) -> Tensor {
    let values = values
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Tensor::from_vec(param.value().shape(), values).expect("the parameter's shape")
}

/// Gradients for every parameter of `network`, cut from `flat` in parameter order.
fn grads_from_flat(flat: &[f32], network: &Sequential) -> Grads {
    let mut at = 0;
    let params = network
        .parameters()
        .into_iter()
        .map(|param| {
            let len = param.value().len();
            let grad = Tensor::from_vec(param.value().shape(), flat[at..at + len].to_vec())
                .expect("the parameter's shape");
            at += len;
            (param.id(), grad)
        })
        .collect();
    Grads::from_parameters(params)
}

/// Checks at the start of a data-parallel `fit` that every rank trains the same thing (the same
/// `fingerprint` lines: architecture, options, data), then gives every rank rank 0's weights.
pub(crate) fn start(
    group: &dyn ProcessGroup,
    fingerprint: &str,
    network: &mut Sequential,
) -> Result<(), TrainError> {
    // A 0 byte, then the fingerprint; a rank that cannot train sends 1 and its error instead
    // ([`refuse_start`]), so no rank waits for it.
    let mut mine = vec![0u8];
    mine.extend_from_slice(fingerprint.as_bytes());
    let all = group.all_gather(&mine);
    if let Some((rank, bytes)) = all
        .iter()
        .enumerate()
        .find(|(_, bytes)| bytes.first() != Some(&0))
    {
        return Err(TrainError::Distributed(format!(
            "rank {rank} cannot train: {}",
            String::from_utf8_lossy(bytes.get(1..).unwrap_or_default())
        )));
    }
    let root = String::from_utf8_lossy(&all.part(0)[1..]).into_owned();
    for (rank, bytes) in all.iter().enumerate().skip(1) {
        let theirs = String::from_utf8_lossy(&bytes[1..]);
        if theirs != root {
            let (ours_line, theirs_line) = root
                .lines()
                .zip(theirs.lines())
                .find(|(a, b)| a != b)
                .unwrap_or(("(one more line)", "(one line fewer)"));
            return Err(TrainError::Distributed(format!(
                "rank {rank} does not train the same model as rank 0: rank 0 has `{ours_line}`, rank {rank} has \
                 `{theirs_line}`; every rank must run the same program with the same model, options, seed and data"
            )));
        }
    }
    broadcast_weights(group, network);
    Ok(())
}

/// Takes part in [`start`]'s exchange for a rank whose `fit` failed before it (a refused option
/// or data), so every other rank ends with an error naming it; returns `error`.
pub(crate) fn refuse_start(group: &dyn ProcessGroup, error: TrainError) -> TrainError {
    let mut bytes = vec![1u8];
    bytes.extend_from_slice(error.to_string().as_bytes());
    group.all_gather(&bytes);
    error
}

/// Gives every rank rank 0's weights.
pub(crate) fn broadcast_weights(group: &dyn ProcessGroup, network: &mut Sequential) {
    for param in network.parameters_mut() {
        let value = param.value_mut();
        let mut bytes: Vec<u8> = value
            .to_vec()
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        group.broadcast_from_root(&mut bytes);
        let values: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        *value = Tensor::from_vec(value.shape(), values).expect("the parameter's shape");
    }
}

/// `local` on every rank if every rank's is `Ok`; otherwise an error on every rank (this rank's
/// own, or one naming the first rank that failed), so no rank waits in a later exchange for a
/// rank that has left.
pub(crate) fn all_ok<T>(
    group: &dyn ProcessGroup,
    local: Result<T, TrainError>,
) -> Result<T, TrainError> {
    let status = match &local {
        Ok(_) => Vec::new(),
        Err(e) => e.to_string().into_bytes(),
    };
    let gathered = group.all_gather(&status);
    let value = local?;
    let failed = gathered.iter().position(|bytes| !bytes.is_empty());
    match failed {
        None => Ok(value),
        Some(rank) => Err(TrainError::Distributed(format!(
            "rank {rank} failed: {}",
            String::from_utf8_lossy(gathered.part(rank))
        ))),
    }
}

/// Every rank's batch sums (`entries` `(sum, count)` pairs per batch), in batch order. Each
/// rank passes its own consecutive share of the `batches`; ranks that disagree on `batches` or
/// `entries` (other data, or another model) are an error on every rank.
pub(crate) fn gather_batch_sums(
    group: &dyn ProcessGroup,
    mine: &[Vec<(f64, usize)>],
    batches: usize,
    entries: usize,
) -> Result<Vec<Vec<(f64, usize)>>, TrainError> {
    let mut payload = Vec::with_capacity(16 + 16 * entries * mine.len());
    payload.extend_from_slice(&(batches as u64).to_le_bytes());
    payload.extend_from_slice(&(entries as u64).to_le_bytes());
    for &(sum, count) in mine.iter().flatten() {
        payload.extend_from_slice(&sum.to_le_bytes());
        payload.extend_from_slice(&(count as u64).to_le_bytes());
    }
    let gathered = group.all_gather(&payload);
    let mut all = Vec::with_capacity(batches);
    for (rank, bytes) in gathered.iter().enumerate() {
        let mut at = 0;
        let theirs = (
            u64::from_le_bytes(take(bytes, &mut at)) as usize,
            u64::from_le_bytes(take(bytes, &mut at)) as usize,
        );
        if theirs != (batches, entries) {
            return Err(TrainError::Distributed(format!(
                "rank {rank} evaluates {} batches of {} sums, rank {} evaluates {batches} of {entries}; \
                 every rank must evaluate the same model on the same data",
                theirs.0,
                theirs.1,
                group.rank()
            )));
        }
        while at < bytes.len() {
            let row = (0..entries).map(|_| take_sum(bytes, &mut at)).collect();
            all.push(row);
        }
    }
    Ok(all)
}

/// What rank 0 decided after a batch or an epoch, told to every rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RootDecision {
    /// Train on.
    Continue,
    /// A callback on rank 0 stopped training.
    Stop,
    /// A callback on rank 0 failed; rank 0 returns its error.
    Failed,
}

/// Rank 0's `decision` on every rank (others pass anything).
pub(crate) fn agree(group: &dyn ProcessGroup, decision: RootDecision) -> RootDecision {
    let mut byte = [match decision {
        RootDecision::Continue => 0u8,
        RootDecision::Stop => 1,
        RootDecision::Failed => 2,
    }];
    group.broadcast_from_root(&mut byte);
    match byte[0] {
        0 => RootDecision::Continue,
        1 => RootDecision::Stop,
        _ => RootDecision::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ownership_covers_every_micro_shard_once_in_order() {
        for parts in 0..9 {
            for ranks in 1..6 {
                let mut next = 0;
                for rank in 0..ranks {
                    let (lo, hi) = owned(parts, rank, ranks);
                    assert_eq!(lo, next, "{parts} parts, {ranks} ranks");
                    assert!(hi >= lo);
                    next = hi;
                }
                assert_eq!(next, parts);
            }
        }
    }
}
