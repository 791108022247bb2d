#!/usr/bin/env bash
# Data-parallel training over MPI: optimizer steps/s of `mpirun -np 2 senti train` (2 ranks × 1
# thread, 8 sequences each per step) against one `senti train` process with 2 threads, on the
# same global batch of 16 IMDb training reviews × 256 tokens, DistilBERT-base shape (the random
# weights of bench/model.sh), embeddings and layers 0-3 frozen, in one run on this machine.
# Also the bytes all-reduced per step and, from the measured compute time per step, a cost model
# for N nodes on 10/25/100 Gbit/s networks (bench/mpi-model.py). STEPS: steps per run (first one
# not counted). Needs ../shared (IMDb) and Open MPI (scripts/install-deps). Writes bench/results/mpi-<date>.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SENTI_SHARED_DIR:-$root/../shared}
work=${BENCH_DIR:-/tmp/senti-bench}
steps=${STEPS:-12}
[ -d "$shared/data" ] || { echo "bench/mpi.sh: $shared is absent" >&2; exit 1; }
"$root/scripts/install-deps" --bench
(cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release >/dev/null)
senti=$root/build/release/apps/senti/senti
model=$work/base
[ -f "$model/model.safetensors" ] || /usr/bin/python3 "$root/bench/make-base-model.py" "$model" "$shared"
[ -d "$work/aclImdb/train" ] || tar -xzf "$shared/data/aclImdb-labeled.tar.gz" -C "$work" aclImdb/train/pos aclImdb/train/neg
run_dir=$(mktemp -d)
trap 'rm -rf "$run_dir"' EXIT
common=(train -m "$model" --data "$work/aclImdb/train" --limit 2000 --freeze embeddings,0-3 --max-length 256
        --max-steps "$steps" --save-steps 0 --no-progress -q)
run() {  # label launcher... -- senti options
  local label=$1; shift
  local out=$run_dir/${label// /_}
  local t0 t1; t0=$(date +%s.%N)
  "$@" -o "$out" >/dev/null
  t1=$(date +%s.%N)
  python3 - "$out/checkpoint/trainer_state.json" "$label" "$t0" "$t1" <<'PY'
import json, sys
steps = json.load(open(sys.argv[1]))["steps"][1:]  # the first step warms up (and fills the frozen cache's first entries)
tokens = [s["tokens_per_s"] for s in steps]
print(json.dumps({"setup": sys.argv[2], "steps": len(steps), "tokens_per_s": sum(tokens) / len(tokens),
                  "wall_s": float(sys.argv[4]) - float(sys.argv[3])}))
PY
}
out=$run_dir/results.jsonl
for rep in 1 2; do
  run "1 process x 2 threads, batch 16" "$senti" "${common[@]}" -t 2 -b 16 | tee -a "$out"
  run "1 process x 2 threads, 2 x 8" "$senti" "${common[@]}" -t 2 -b 8 --grad-accum 2 | tee -a "$out"
  run "2 ranks x 1 thread, 8 each" mpirun --allow-run-as-root --oversubscribe -np 2 --bind-to none "$senti" "${common[@]}" -t 1 -b 8 --grad-accum 2 | tee -a "$out"
done
# The compute of one rank on its own: one process, 1 thread, 8 sequences per step.
run "1 process x 1 thread, batch 8" "$senti" "${common[@]}" -t 1 -b 8 | tee -a "$out"

mkdir -p "$root/bench/results"
report="$root/bench/results/mpi-$(date +%Y%m%d-%H%M).md"
/usr/bin/python3 "$root/bench/mpi-model.py" "$out" "$model/config.json" | tee "$report"
