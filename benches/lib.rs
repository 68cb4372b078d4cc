//! nnfacade's benchmarks live in this package's bench targets (`cargo bench --bench NAME` from the
//! workspace root): `matmul`, `autograd`, `data` (criterion) and `workloads` (the BENCHMARKS.md
//! runner). The library itself is empty.
