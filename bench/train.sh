#!/usr/bin/env bash
# Train-step throughput: senti vs PyTorch on DistilBERT-base-shaped random weights, embeddings +
# layers 0-3 frozen, layers 4-5 and the head trained, batch 16 x 256 tokens, AdamW, 2 threads,
# in one run. senti with and without the frozen-activation cache; PyTorch fp32.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SENTI_SHARED_DIR:-$root/../shared}
work=${BENCH_DIR:-/tmp/senti-bench}
threads=${THREADS:-2}
steps=${STEPS:-5}
"$root/scripts/install-deps" --bench
(cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release >/dev/null)
[ -f "$work/base/reference.pt" ] || /usr/bin/python3 "$root/bench/make-base-model.py" "$work/base" "$shared"
out=$(mktemp)
OMP_NUM_THREADS=$threads "$root/build/release/bench/bench_train" "$work/base" "$threads" 16 256 "$steps" | tee -a "$out"
OMP_NUM_THREADS=$threads /usr/bin/python3 "$root/bench/train-torch.py" "$work/base" "$threads" 16 256 "$steps" | tee -a "$out"
python3 - "$out" <<'PY'
import json, sys
rows = {(r["impl"], r["cache"]): r for r in map(json.loads, open(sys.argv[1]))}
base = rows[("pytorch", False)]["seq_per_s"]
print("\n| implementation | frozen-activation cache | seq/s (min-max) | vs PyTorch fp32 |")
print("|---|---|---|---|")
for (impl, cache), r in rows.items():
    print(f"| {impl} | {'yes' if cache else 'no'} | {r['seq_per_s']:.2f} ({r['seq_per_s_min']:.2f}-{r['seq_per_s_max']:.2f}) | "
          f"{r['seq_per_s'] / base:.2f}x |")
PY
rm -f "$out"
