//! The seam for data-parallel training across processes: what `fit` needs from the processes
//! that train one model together. `nndist` implements it over MPI; nothing here knows MPI.

/// The processes ("ranks") that train one model together, data-parallel.
///
/// Every method is collective: every rank calls it, in the same order, with the same sizes where
/// a size is named. `fit` (with [`crate::FitOptions::group`]) calls them in a fixed order per
/// step, one call at a time (from whichever thread runs `fit`), so an implementation only
/// moves bytes.
pub trait ProcessGroup: Sync {
    /// This process's index, `0..size()`; rank 0 prints, calls callbacks and writes files.
    fn rank(&self) -> usize;

    /// How many processes train together.
    fn size(&self) -> usize;

    /// Every rank's `local` bytes (their lengths may differ), in rank order.
    fn all_gather(&self, local: &[u8]) -> Vec<Vec<u8>>;

    /// Replaces `data` on every rank with rank 0's (every rank passes the same length).
    fn broadcast_from_root(&self, data: &mut [u8]);

    /// Sums `values` element-wise across ranks, in place, in whatever order the transport
    /// chooses (MPI's all-reduce): faster for large models, but the rounding may depend on the
    /// number of ranks. Used by [`GradientReduction::AllReduce`].
    fn all_reduce_sum(&self, values: &mut [f32]);
}

/// How `fit` combines the gradients of a step's micro-shards across ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GradientReduction {
    /// Every rank gathers every micro-shard's gradient and adds them in micro-shard order: the
    /// weights are bit-identical for any number of ranks (and equal a single-process `fit` with
    /// the same `micro_shards`). Moves `micro_shards × parameters × 4` bytes to every rank per
    /// step.
    #[default]
    OrderedGather,
    /// Each rank adds its own micro-shards' gradients, then MPI's all-reduce sums the ranks':
    /// moves `parameters × 4` bytes per rank per step (about `2 × parameters × 4` on the wire
    /// with a ring), but the sum's order, and so its last bits, depends on the rank count.
    AllReduce,
}
