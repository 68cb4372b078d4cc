#!/usr/bin/env bash
# The GPU figures in one short run: the adapter, W2 and W3 on the GPU (and W2 on the CPU for the
# ratio), then the criterion GPU benches. Run from the workspace root:
#   bash benches/gpu_check.sh [--quick]
# --quick skips the criterion benches (W2/W3 only). Needs MNIST in ../shared/data/mnist or
# MNIST_DIR, a Vulkan/Metal/DX12 driver (docs/gpu.md), and a Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${MNIST_DIR:-../shared/data/mnist}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
chmod 700 "$XDG_RUNTIME_DIR" 2>/dev/null || true

echo "== Vulkan drivers (ICD files) on this machine"
ls /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>/dev/null || echo "(none in the standard places)"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true

cargo bench --quiet --features gpu --bench workloads --no-run
echo "== adapters and W3 (GFLOP/s) on the GPU"
cargo bench --quiet --features gpu --bench workloads -- --workload W3 --device gpu
echo "== W2 on the GPU, then on the CPU"
cargo bench --quiet --features gpu --bench workloads -- --workload W2 --device gpu --data "$data"
cargo bench --quiet --features gpu --bench workloads -- --workload W2 --data "$data"
if [ "${1:-}" != "--quick" ]; then
  echo "== criterion GPU benches"
  cargo bench --quiet --features gpu --bench gpu
fi
