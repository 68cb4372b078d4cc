#![doc = include_str!("../README.md")]

use mpi::collective::{CommunicatorCollectives, Root, SystemOperation};
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::Threading;
use std::sync::Mutex;

pub use nntrain::{Gathered, GradientReduction, ProcessGroup};

/// Why MPI could not be started.
#[derive(Debug)]
pub enum DistError {
    /// `MPI_Init` was already called in this process (only one [`Mpi`] per process).
    AlreadyInitialized,
    /// The MPI library cannot run `fit`'s calls from the thread rayon gives it.
    Threading(String),
}

impl std::fmt::Display for DistError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DistError::AlreadyInitialized => write!(
                f,
                "MPI is already initialised in this process: make one nndist::Mpi and pass it to every fit"
            ),
            DistError::Threading(got) => write!(
                f,
                "this MPI library offers thread level {got}, but fit needs MPI_THREAD_SERIALIZED \
                 (it calls MPI from one of rayon's threads, one call at a time): use Open MPI or MPICH built with threads"
            ),
        }
    }
}

impl std::error::Error for DistError {}

/// This process's place in an MPI job (`mpirun -np N program`), as a [`ProcessGroup`] for
/// `FitOptions::group`. Run without `mpirun`, it is a job of one.
///
/// ```no_run
/// let mpi = nndist::Mpi::init()?;
/// println!("rank {} of {}", mpi.rank(), mpi.size());
/// // model.fit(&train, FitOptions { group: Some(&mpi), micro_shards: 4, ..Default::default() })
/// # Ok::<(), nndist::DistError>(())
/// ```
pub struct Mpi {
    world: Mutex<World>,
    rank: usize,
    size: usize,
    // Finalises MPI when dropped, after `world`.
    _universe: Universe,
}

/// The world communicator, movable to the thread that runs `fit`.
struct World(SimpleCommunicator);

// SAFETY: MPI is initialised with at least MPI_THREAD_SERIALIZED (checked in `Mpi::init`), so
// any thread may call it as long as no two do at once; every call goes through `Mpi::world`'s
// mutex, and the handle itself is a plain value MPI lets any thread use.
#[allow(unsafe_code)]
unsafe impl Send for World {}

impl Mpi {
    /// Starts MPI (`MPI_Init_thread`, asking for MPI_THREAD_SERIALIZED) and joins the job's world.
    pub fn init() -> Result<Mpi, DistError> {
        let (universe, threading) = mpi::initialize_with_threading(Threading::Serialized)
            .ok_or(DistError::AlreadyInitialized)?;
        if threading < Threading::Serialized {
            return Err(DistError::Threading(format!("{threading:?}")));
        }
        let world = universe.world();
        let (rank, size) = (world.rank() as usize, world.size() as usize);
        Ok(Mpi {
            world: Mutex::new(World(world)),
            rank,
            size,
            _universe: universe,
        })
    }

    /// This process's rank, `0..size()`.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// How many processes the job has.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether this is rank 0, the one that prints and writes files.
    pub fn is_root(&self) -> bool {
        self.rank == 0
    }

    /// Waits until every rank has called it.
    pub fn barrier(&self) {
        self.world().0.barrier();
    }

    /// The world communicator, for one call.
    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        // A panic while holding it cannot leave MPI's state half-changed on our side.
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ProcessGroup for Mpi {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn all_gather(&self, local: &[u8]) -> Gathered {
        let world = self.world();
        let count = i32::try_from(local.len()).expect("a step's payload under 2 GiB");
        let mut counts = vec![0i32; self.size];
        world.0.all_gather_into(&count, &mut counts[..]);
        let lengths: Vec<usize> = counts.iter().map(|&c| c as usize).collect();
        let total: usize = lengths.iter().sum();
        i32::try_from(total).expect("a step's gathered payloads under 2 GiB");
        let mut all = vec![0u8; total];
        // MPI rejects an all-gather of nothing at all (Open MPI: MPI_ERR_ARG).
        if total > 0 {
            let displs: Vec<i32> = lengths
                .iter()
                .scan(0, |at, &len| {
                    let start = *at;
                    *at += len;
                    Some(start as i32)
                })
                .collect();
            let mut partition = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
            world.0.all_gather_varcount_into(local, &mut partition);
        }
        Gathered::new(all, &lengths)
    }

    fn broadcast_from_root(&self, data: &mut [u8]) {
        self.world().0.process_at_rank(0).broadcast_into(data);
    }

    fn all_reduce_sum(&self, values: &mut [f32]) {
        let send = values.to_vec();
        self.world()
            .0
            .all_reduce_into(&send[..], values, SystemOperation::sum());
    }
}
