#!/usr/bin/env bash
# Inference throughput: senti (f32, bf16, int8) vs PyTorch (Debian python3-torch, the plain
# reference model, inference_mode) vs ONNX Runtime (npm onnxruntime-node, the model exported by
# torch.onnx, and that graph with dynamic int8 weights as ../shared/tools/quantize_onnx_int8.py
# rewrites it, which is what onnxruntime's quantize_dynamic does with its defaults), all on
# the same random DistilBERT-base weights and the same token ids, threads pinned to 1 and 2, in
# one run. Cases: batch 1 x 128, batch 32 x 128, batch 8 x 512, and 2,000 IMDb test reviews
# (1,000 pos + 1,000 neg, tokenized by senti, truncated at 512, batches of 32 in file order;
# peers pad each batch to its longest review, senti packs without padding). Also the oneDNN
# matmul ceilings (f32, bf16, int8) and each implementation's peak RSS on the IMDb case.
# Needs ../shared (vocabulary, IMDb). Writes bench/results/model-<date>.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SENTI_SHARED_DIR:-$root/../shared}
secs=${SECONDS_PER_CASE:-8}
work=${BENCH_DIR:-/tmp/senti-bench}
[ -d "$shared/data" ] || { echo "bench/model.sh: $shared is absent" >&2; exit 1; }
"$root/scripts/install-deps" --bench
command -v /usr/bin/time >/dev/null || { echo "bench/model.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
(cd "$root/bench" && [ -d node_modules/onnxruntime-node ] || npm install --no-audit --no-fund --silent --ignore-scripts onnxruntime-node@1.30.0)
(cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release >/dev/null)
senti="$root/build/release/apps/senti/senti"
bench="$root/build/release/bench/bench_model"
model="$work/base"
[ -f "$model/model.onnx" ] || /usr/bin/python3 "$root/bench/make-base-model.py" "$model" "$shared"
[ -f "$model/model-int8.onnx" ] ||
  /usr/bin/python3 "$shared/tools/quantize_onnx_int8.py" --inp "$model/model.onnx" --out "$model/model-int8.onnx"

# 2,000 IMDb test reviews as token ids.
if [ ! -f "$work/imdb-2000.jsonl" ]; then
  mkdir -p "$work/imdb" && tar -xzf "$shared/data/aclImdb-labeled.tar.gz" -C "$work/imdb"
  python3 - "$work/imdb/aclImdb/test" >"$work/imdb-2000-text.jsonl" <<'PY'
import json, os, sys
for d in ("pos", "neg"):
    folder = os.path.join(sys.argv[1], d)
    for name in sorted(os.listdir(folder))[:1000]:
        print(json.dumps({"text": open(os.path.join(folder, name), encoding="utf-8").read()}))
PY
  "$senti" tokenize --tokenizer "$model" --max-length 512 --truncation head -f "$work/imdb-2000-text.jsonl" |
    python3 -c 'import json,sys; [print(json.dumps(json.loads(l)["ids"])) for l in sys.stdin]' >"$work/imdb-2000.jsonl"
fi

out=${RESULTS:-$(mktemp)}  # JSON lines; set RESULTS to collect runs made in parts
run() {  # impl threads args...
  local impl=$1 t=$2; shift 2
  local rss; rss=$(mktemp)
  case $impl in
    senti) OMP_NUM_THREADS=$t /usr/bin/time -f %M -o "$rss" "$bench" "$model" "$t" "$@" ;;
    senti-bf16|senti-int8) OMP_NUM_THREADS=$t /usr/bin/time -f %M -o "$rss" "$bench" --dtype "${impl#senti-}" "$model" "$t" "$@" ;;
    pytorch) OMP_NUM_THREADS=$t /usr/bin/time -f %M -o "$rss" /usr/bin/python3 "$root/bench/model-torch.py" "$model" "$t" "$@" ;;
    onnxruntime) NODE_PATH="$root/bench/node_modules" /usr/bin/time -f %M -o "$rss" node "$root/bench/model-ort.js" "$model" "$t" "$@" ;;
    onnxruntime-int8) ORT_MODEL=model-int8.onnx NODE_PATH="$root/bench/node_modules" /usr/bin/time -f %M -o "$rss" \
      node "$root/bench/model-ort.js" "$model" "$t" "$@" ;;
  esac | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); r["peak_rss_mb"]=round(int(open(sys.argv[1]).read().split()[-1])/1024); print(json.dumps(r))' "$rss" | tee -a "$out"
  rm -f "$rss"
}
for t in ${THREAD_COUNTS:-1 2}; do
  "$bench" "$model" "$t" ceiling | tee -a "$out"
  for c in "1 128" "32 128" "8 512"; do
    for impl in ${IMPLS:-senti senti-bf16 senti-int8 pytorch onnxruntime onnxruntime-int8}; do run $impl "$t" fixed $c "$secs"; done
  done
  for impl in ${IMDB_IMPLS:-${IMPLS:-senti senti-bf16 senti-int8 pytorch onnxruntime onnxruntime-int8}}; do run $impl "$t" ids "$work/imdb-2000.jsonl" 32; done
done

mkdir -p "$root/bench/results"
report="$root/bench/results/model-$(date +%Y%m%d-%H%M).md"
python3 "$root/bench/model-report.py" "$out" | tee "$report"
[ -n "${RESULTS:-}" ] || rm -f "$out"
