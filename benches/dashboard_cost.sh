#!/usr/bin/env bash
# The dashboard's cost on fit (docs/playground.md): W1 without and with nnplay's dashboard and one
# page (curl) streaming its events, alternating, N times each (default 5). Prints s/epoch.
#   bash benches/dashboard_cost.sh [N] [MNIST_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
data="${2:-${MNIST_DIR:-../shared/data/mnist}}"
bin="$(cargo bench -q --bench workloads --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "workloads" and m.get("executable"):
        print(m["executable"])')"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for _ in $(seq 1 "$runs"); do
  printf 'plain     '
  "$bin" --workload W1 --data "$data" 2>/dev/null | grep -o '"s_per_epoch":[0-9.]*'
  "$bin" --workload W1 --data "$data" --dashboard >"$tmp/out" 2>"$tmp/err" &
  fit=$!
  url=""
  for _ in $(seq 1 100); do
    url="$(grep -o 'http://[0-9.:]*/' "$tmp/err" || true)"
    [ -n "$url" ] && break
    sleep 0.05
  done
  curl -sN "${url}events" >"$tmp/stream" &
  page=$!
  wait "$fit"
  kill "$page" 2>/dev/null || true
  printf 'dashboard '
  grep -o '"s_per_epoch":[0-9.]*' "$tmp/out" | tr '\n' ' '
  echo "($(grep -c '^data:' "$tmp/stream") events streamed)"
done
