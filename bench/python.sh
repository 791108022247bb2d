#!/usr/bin/env bash
# The Python package's throughput (bench/python.py): GIL release (1 vs 2 Python threads on one
# Classifier) and Dask (LocalCluster of 1 and 2 workers × 1 thread) against `senti predict` on
# the IMDb test reviews, in one run on this machine. MODEL: default the shipped model; N: how
# many reviews (default all 25,000). Needs ../shared (IMDb). Writes bench/results/python-<date>.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SENTI_SHARED_DIR:-$root/../shared}
work=${BENCH_DIR:-/tmp/senti-bench}
[ -d "$shared/data" ] || { echo "bench/python.sh: $shared is absent" >&2; exit 1; }
(cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release >/dev/null)
mkdir -p "$work" "$root/bench/results"
[ -d "$work/aclImdb/test" ] || tar -xzf "$shared/data/aclImdb-labeled.tar.gz" -C "$work" aclImdb/test
out="$root/bench/results/python-$(date +%Y-%m-%d).md"
PYTHONPATH="$root/build/release/python" /usr/bin/python3 "$root/bench/python.py" "$root/build/release/apps/senti/senti" \
  "${MODEL:-$root/models/default}" "$work/aclImdb/test" "${N:-25000}" | tee "$out"
echo "saved $out"
