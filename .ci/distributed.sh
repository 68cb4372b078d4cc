#!/usr/bin/env bash
# nndist end to end under Open MPI: the weights after one epoch of W1 bit-identical for
# -np 1, 2, 4 and a single-process fit; mismatched ranks rejected at start; a rank killed with
# SIGKILL ends the job with a clear error, and resuming from rank 0's checkpoint ends with the
# uninterrupted run's weights; the test set evaluated across the ranks gives the single process's
# accuracy; two "hosts" (network namespaces) over TCP give the same weights.
# Every mpirun is bounded by a timeout. Needs the example built
# (see .ci/run) and MNIST_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
example=target/release/examples/mnist_distributed
# Open MPI refuses root without these; --oversubscribe lets 4 ranks share 2 cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=(mpirun --oversubscribe)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() { echo "distributed check failed: $*" >&2; exit 1; }
# The `weights_fnv` of the JSON last line of file $1.
fnv() { tail -1 "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["weights_fnv"])'; }

echo "--- one epoch of W1: -np 1, 2, 4 and a single-process fit"
timeout 300 "$example" --single --epochs 1 --quiet >"$work/single.out"
want="$(fnv "$work/single.out")"
want_one_epoch="$want"
acc="$(tail -1 "$work/single.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["test_accuracy"])')"
python3 -c "import sys; sys.exit(0 if $acc >= 0.90 else 1)" || fail "single-process accuracy $acc < 0.90 after one epoch"
for np in 1 2 4; do
  timeout 300 "${mpirun[@]}" -np "$np" "$example" --epochs 1 --quiet >"$work/np$np.out" 2>&1 \
    || { cat "$work/np$np.out"; fail "mpirun -np $np failed"; }
  got="$(fnv "$work/np$np.out")"
  [ "$got" = "$want" ] || fail "-np $np weights $got differ from the single-process fit's $want"
  # The test set is evaluated across the ranks (each its share): the same accuracy, exactly.
  got_acc="$(tail -1 "$work/np$np.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["test_accuracy"])')"
  [ "$got_acc" = "$acc" ] || fail "-np $np test accuracy $got_acc differs from the single-process $acc"
  echo "-np $np: weights_fnv $got and test accuracy $got_acc = single-process fit"
done

echo "--- mismatched ranks are rejected at start"
for bad in "--hidden 33" "--seed 7"; do
  # shellcheck disable=SC2086
  if timeout 120 "${mpirun[@]}" -np 1 "$example" --epochs 1 --quiet : -np 1 "$example" --epochs 1 --quiet $bad \
      >"$work/bad.out" 2>&1; then
    fail "ranks with '$bad' on rank 1 trained"
  fi
  grep -q "rank 1 does not train the same model as rank 0" "$work/bad.out" \
    || { cat "$work/bad.out"; fail "no clear error for '$bad' on rank 1"; }
  echo "rank 1 with '$bad': $(grep -m1 'does not train' "$work/bad.out")"
done

echo "--- a rank killed mid-run ends the job; resuming from rank 0's checkpoint gives the same weights"
epochs=12
timeout 300 "${mpirun[@]}" -np 2 "$example" --epochs "$epochs" --quiet >"$work/full.out" 2>&1 \
  || { cat "$work/full.out"; fail "the uninterrupted run failed"; }
want="$(fnv "$work/full.out")"
checkpoint="$work/run.ckpt"
started=$(date +%s)
timeout 120 "${mpirun[@]}" -np 2 "$example" --epochs "$epochs" --quiet --checkpoint "$checkpoint" \
  >"$work/killed.out" 2>&1 &
job=$!
for _ in $(seq 1 600); do [ -f "$checkpoint" ] && break; sleep 0.02; done
[ -f "$checkpoint" ] || fail "no checkpoint after 12 s"
# The newest rank process: rank 1 (or 0); either must end the whole job.
victim="$(pgrep -n -f "$example --epochs $epochs --quiet --checkpoint")" || fail "no rank process to kill"
kill -9 "$victim"
set +e
wait "$job"
status=$?
set -e
[ "$status" -ne 0 ] || fail "the job ended normally after a rank was killed"
[ "$status" -ne 124 ] || fail "the job hung after a rank was killed (timeout)"
grep -q "signal 9" "$work/killed.out" || { cat "$work/killed.out"; fail "no message naming the killed rank"; }
echo "killed one rank: the job ended in $(( $(date +%s) - started )) s with status $status: $(grep -m1 'signal 9' "$work/killed.out" | sed 's/^ *//')"
timeout 300 "${mpirun[@]}" -np 2 "$example" --epochs "$epochs" --quiet --resume "$checkpoint" >"$work/resumed.out" 2>&1 \
  || { cat "$work/resumed.out"; fail "the resumed run failed"; }
got="$(fnv "$work/resumed.out")"
[ "$got" = "$want" ] || fail "resumed weights $got differ from the uninterrupted run's $want"
echo "resumed: weights_fnv $got = the uninterrupted run"

echo "--- two hosts: two network namespaces joined by a veth pair, Open MPI over TCP"
# Needs root and iproute2. The "hosts" are namespaces nnA (10.77.0.1) and nnB (10.77.0.2); a
# small script stands in for ssh, starting Open MPI's daemon in the other namespace.
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1; then
  fail "the two-host check needs root and iproute2 (ip netns)"
fi
cleanup_netns() { ip netns del nnA 2>/dev/null || true; ip netns del nnB 2>/dev/null || true; }
cleanup_netns
trap 'cleanup_netns; rm -rf "$work"' EXIT
ip netns add nnA
ip netns add nnB
ip link add nnvethA type veth peer name nnvethB
ip link set nnvethA netns nnA
ip link set nnvethB netns nnB
ip -n nnA addr add 10.77.0.1/24 dev nnvethA
ip -n nnB addr add 10.77.0.2/24 dev nnvethB
for ns in nnA nnB; do ip -n "$ns" link set lo up; done
ip -n nnA link set nnvethA up
ip -n nnB link set nnvethB up
cat >"$work/netns-ssh" <<'AGENT'
#!/bin/sh
# ssh's stand-in: netns-ssh [options] HOST COMMAND... runs COMMAND in HOST's namespace.
while [ $# -gt 0 ]; do case "$1" in -*) shift ;; *) break ;; esac; done
host="$1"; shift
case "$host" in
  10.77.0.1) ns=nnA ;;
  10.77.0.2) ns=nnB ;;
  *) echo "netns-ssh: unknown host $host" >&2; exit 255 ;;
esac
exec ip netns exec "$ns" sh -c "$*"
AGENT
chmod +x "$work/netns-ssh"
printf '10.77.0.1 slots=1\n10.77.0.2 slots=1\n' >"$work/hosts"
# --bind-to none: each "host"'s daemon sees the whole machine and would bind its one rank to
# core 0, so both ranks would share one core (16 ms per all-gather instead of 0.1-0.2 ms).
timeout 300 ip netns exec nnA "${mpirun[@]}" --hostfile "$work/hosts" -np 2 --bind-to none \
  --mca plm_rsh_agent "$work/netns-ssh" --mca btl tcp,self \
  --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
  "$PWD/$example" --data "$MNIST_DIR" --epochs 1 --quiet >"$work/hosts.out" 2>&1 \
  || { cat "$work/hosts.out"; fail "the two-host run failed"; }
got="$(fnv "$work/hosts.out")"
[ "$got" = "$want_one_epoch" ] || fail "two-host weights $got differ from the single-process fit's $want_one_epoch"
echo "two hosts over TCP: weights_fnv $got = single-process fit ($(tail -1 "$work/hosts.out" | python3 -c 'import json,sys; j = json.load(sys.stdin); print("%.3f s/epoch, %.3f ms communication per step, %.3f ms per all-gather alone" % (j["seconds_per_epoch"], j["comm_ms_per_step"], j["all_gather_ms"]))'))"

echo "distributed checks passed"
