#!/usr/bin/env bash
# Hostile clients against `senti serve` (bench/hostile.py): 2,000 slow-header connections while
# /health and /api/predict are timed, 40 requests of a 1.9 MB word, a 100 MB chunked body,
# 2 million headers, expensive explanations with a small one behind them, JSON nested 70,000
# deep; the server's RSS after each. SENTI_BIN picks the binary (compare two builds one after
# the other on the same machine); MODEL the model (default: the shipped one). Writes
# bench/results/hostile-<date>.jsonl.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${SENTI_BIN:-}" ]; then
  (cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release >/dev/null)
fi
senti=${SENTI_BIN:-$root/build/release/apps/senti/senti}
model=${MODEL:-$root/models/default}
ulimit -n "$(ulimit -Hn)"
port=$((20000 + RANDOM % 20000))
log=$(mktemp)
flags=$(mktemp -d)
"$senti" serve -m "$model" --port "$port" -t "${THREADS:-2}" --max-body 4000000 --flag-file "$flags/f.csv" -q 2>"$log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$log" "$flags"' EXIT
for _ in $(seq 1 300); do curl -sf "localhost:$port/health" >/dev/null && break; sleep 0.1; done
mkdir -p "$root/bench/results"
out="$root/bench/results/hostile-$(date +%Y%m%d-%H%M).jsonl"
echo "{\"binary\": \"$senti\", \"model\": \"$model\"}" | tee "$out"
python3 "$root/bench/hostile.py" "$port" "$server" | tee -a "$out"
