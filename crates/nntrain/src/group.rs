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
    fn all_gather(&self, local: &[u8]) -> Gathered;

    /// Replaces `data` on every rank with rank 0's (every rank passes the same length).
    fn broadcast_from_root(&self, data: &mut [u8]);

    /// Sums `values` element-wise across ranks, in place, in whatever order the transport
    /// chooses (MPI's all-reduce): faster for large models, but the rounding may depend on the
    /// number of ranks. Used by [`GradientReduction::AllReduce`].
    fn all_reduce_sum(&self, values: &mut [f32]);
}

/// Every rank's bytes from one [`ProcessGroup::all_gather`], in rank order, in one buffer (as
/// MPI's all-gather leaves them, so nothing is copied out rank by rank).
///
/// ```
/// use nntrain::Gathered;
///
/// let gathered = Gathered::new(b"abcde".to_vec(), &[2, 0, 3]);
/// assert_eq!(gathered.ranks(), 3);
/// assert_eq!(gathered.part(0), b"ab");
/// assert_eq!(gathered.part(1), b"");
/// assert_eq!(gathered.iter().collect::<Vec<_>>(), [&b"ab"[..], b"", b"cde"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gathered {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Gathered {
    /// `bytes` holding each rank's part in turn, `lengths[r]` bytes for rank `r`.
    ///
    /// Panics if the lengths do not add up to `bytes.len()` (an implementation's bug).
    #[track_caller]
    pub fn new(bytes: Vec<u8>, lengths: &[usize]) -> Self {
        let ends: Vec<usize> = lengths
            .iter()
            .scan(0, |at, &len| {
                *at += len;
                Some(*at)
            })
            .collect();
        assert_eq!(
            ends.last().copied().unwrap_or(0),
            bytes.len(),
            "Gathered::new: lengths {lengths:?} do not add up to the {} bytes",
            bytes.len()
        );
        Gathered { bytes, ends }
    }

    /// How many ranks' parts it holds.
    pub fn ranks(&self) -> usize {
        self.ends.len()
    }

    /// Rank `rank`'s bytes.
    pub fn part(&self, rank: usize) -> &[u8] {
        let start = if rank == 0 { 0 } else { self.ends[rank - 1] };
        &self.bytes[start..self.ends[rank]]
    }

    /// Every rank's bytes, in rank order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.ranks()).map(|rank| self.part(rank))
    }
}

/// How `fit` combines the gradients of a step's micro-shards across ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GradientReduction {
    /// Every rank gathers every micro-shard's gradient and adds them in micro-shard order: the
    /// weights are bit-identical for any number of ranks (and equal a single-process `fit` with
    /// the same non-zero `micro_shards`). Moves `micro_shards × parameters × 4` bytes to every rank per
    /// step.
    #[default]
    OrderedGather,
    /// Each rank adds its own micro-shards' gradients, then MPI's all-reduce sums the ranks':
    /// moves `parameters × 4` bytes per rank per step (about `2 × parameters × 4` on the wire
    /// with a ring), but the sum's order, and so its last bits, depends on the rank count.
    AllReduce,
}
