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
use nnautograd::{Grads, Tape};
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
    let (lo, hi) = owned(parts.len(), group.rank(), group.size());
    let local = if lo < hi {
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
            let all: Vec<StepResult> = group
                .all_gather(&payload)
                .iter()
                .flat_map(|bytes| decode_all(bytes, network))
                .collect();
            step::reduce(all)
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
            for bytes in group.all_gather(&head) {
                if bytes.is_empty() {
                    continue;
                }
                let (loss, sums, _) = decode_head(&bytes);
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
    let sums = (0..n)
        .map(|_| {
            let sum = f64::from_le_bytes(take(bytes, &mut at));
            let count = u64::from_le_bytes(take(bytes, &mut at)) as usize;
            (sum, count)
        })
        .collect();
    (loss, sums, at)
}

/// Every result in one rank's payload, in order.
fn decode_all(bytes: &[u8], network: &Sequential) -> Vec<StepResult> {
    let mut results = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let (loss, metric_sums, used) = decode_head(&bytes[at..]);
        at += used;
        let mut params = Vec::new();
        for param in network.parameters() {
            if take::<1>(bytes, &mut at)[0] == 0 {
                continue;
            }
            let len = param.value().len();
            let values = bytes[at..at + 4 * len]
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            at += 4 * len;
            let grad =
                Tensor::from_vec(param.value().shape(), values).expect("the parameter's shape");
            params.push((param.id(), grad));
        }
        results.push(StepResult {
            loss,
            grads: Grads::from_parameters(params),
            metric_sums,
        });
    }
    results
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
    let all = group.all_gather(fingerprint.as_bytes());
    let root = String::from_utf8_lossy(&all[0]).into_owned();
    for (rank, bytes) in all.iter().enumerate().skip(1) {
        let theirs = String::from_utf8_lossy(bytes);
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
    Ok(())
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
