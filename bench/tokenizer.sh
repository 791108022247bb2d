#!/usr/bin/env bash
# Tokenizer throughput on the 25,000 IMDb training reviews: senti vs the Hugging Face Rust
# tokenizer (npm `tokenizers`, same bert-base-uncased tokenizer.json), 1 thread and all
# threads, in one run on this machine. Checks both produced the same ids (hash), then prints
# a table. Needs ../shared; installs the peer with npm into bench/node_modules.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SENTI_SHARED_DIR:-$root/../shared}
repeats=${REPEATS:-5}
all=$(nproc)
[ -d "$shared/data" ] || { echo "bench/tokenizer.sh: $shared is absent; it needs the IMDb archive" >&2; exit 1; }
"$root/scripts/install-deps" --bench
[ -d "$root/bench/node_modules/tokenizers" ] || (cd "$root/bench" && npm install --no-audit --no-fund --silent)
[ -x "$root/build/release/bench/bench_tokenizer" ] || (cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release)

data=${IMDB_DIR:-/tmp/senti-imdb}
if [ ! -d "$data/aclImdb/train" ]; then
  mkdir -p "$data" && tar -xzf "$shared/data/aclImdb-labeled.tar.gz" -C "$data"
fi
tok="$shared/data/tokenizer/bert-base-uncased-tokenizer.json"
train="$data/aclImdb/train"
out=$(mktemp)
for t in 1 "$all"; do
  "$root/build/release/bench/bench_tokenizer" "$tok" "$train" "$t" "$repeats" | tee -a "$out"
  if [ "$t" = 1 ]; then
    TOKENIZERS_PARALLELISM=false node "$root/bench/tokenizer-hf.js" "$tok" "$train" "$t" "$repeats" | tee -a "$out"
  else
    RAYON_NUM_THREADS=$t TOKENIZERS_PARALLELISM=true node "$root/bench/tokenizer-hf.js" "$tok" "$train" "$t" "$repeats" | tee -a "$out"
  fi
done
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
hashes = {r["ids_hash"] for r in rows}
if len(hashes) != 1:
    sys.exit("ids differ between runs: " + ", ".join(sorted(hashes)))
print(f"\nsame ids in every run ({rows[0]['tokens']} tokens over {rows[0]['texts']} reviews, {rows[0]['bytes']/1e6:.1f} MB)")
print("| implementation | threads | reviews/s | MB/s | median s (min-max) |")
print("|---|---|---|---|---|")
for r in rows:
    print(f"| {r['impl']} | {r['threads']} | {r['texts_per_s']:.0f} | {r['mb_per_s']:.1f} | {r['median_s']:.3f} ({r['min_s']:.3f}-{r['max_s']:.3f}) |")
for t in sorted({r["threads"] for r in rows}):
    s = next(r for r in rows if r["threads"] == t and r["impl"] == "senti")
    h = next(r for r in rows if r["threads"] == t and r["impl"] != "senti")
    print(f"threads={t}: senti / HF = {h['median_s']/s['median_s']:.2f}x")
PY
rm -f "$out"
