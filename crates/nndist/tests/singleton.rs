//! `Mpi` as a job of one (a singleton: started without mpirun). The multi-rank behaviour runs
//! under mpirun in `.ci/distributed.sh`. MPI starts once per process, so this is one test.

use nndist::{Gathered, Mpi, ProcessGroup};

#[test]
fn a_job_of_one_gathers_broadcasts_and_sums_its_own_values() {
    let mpi = Mpi::init().expect("MPI starts");
    assert_eq!((mpi.rank(), mpi.size(), mpi.is_root()), (0, 1, true));
    assert_eq!(mpi.all_gather(b"abc"), Gathered::new(b"abc".to_vec(), &[3]));
    assert_eq!(mpi.all_gather(b"").part(0), b"");
    let mut bytes = [1u8, 2, 3];
    mpi.broadcast_from_root(&mut bytes);
    assert_eq!(bytes, [1, 2, 3]);
    let mut values = [0.5f32, -2.0];
    mpi.all_reduce_sum(&mut values);
    assert_eq!(values, [0.5, -2.0]);
    mpi.barrier();
    assert!(matches!(
        Mpi::init(),
        Err(nndist::DistError::AlreadyInitialized)
    ));
}
