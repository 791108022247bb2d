#!/usr/bin/env bash
# Explanations: time to explain one IMDb review truncated to 256 tokens with each method
# (integrated gradients at 32 steps, the default adaptive steps, gradient x input, leave one word
# out), beside the time of one prediction, at 2 threads (THREADS), with senti; and PyTorch
# (Debian python3-torch) computing the same integrated gradients on the same weights and ids
# with autograd, in the same run. Models: the shipped default model and a random
# DistilBERT-base-shaped one (bench/make-base-model.py). Prints a table and how far the two
# implementations' token attributions differ. Needs ../shared (the IMDb archive, the vocabulary).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SENTI_SHARED_DIR:-$root/../shared}
work=${BENCH_DIR:-/tmp/senti-bench}
threads=${THREADS:-2}
secs=${SECONDS_PER_CASE:-5}
steps=32
[ -d "$shared/data" ] || { echo "bench/explain.sh: $shared is absent" >&2; exit 1; }
"$root/scripts/install-deps" --bench
(cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release >/dev/null)
bench="$root/build/release/bench/bench_explain"
mkdir -p "$work"
[ -f "$work/base/model.safetensors" ] || /usr/bin/python3 "$root/bench/make-base-model.py" "$work/base" "$shared"
# The review: the first test review (by file name, pos/) with at least 400 words, so that 256
# tokens are all text.
if [ ! -f "$work/explain-review.txt" ]; then
  mkdir -p "$work/imdb"
  [ -d "$work/imdb/aclImdb/test/pos" ] || tar -xzf "$shared/data/aclImdb-labeled.tar.gz" -C "$work/imdb" aclImdb/test/pos
  for f in $(ls "$work/imdb/aclImdb/test/pos" | sort); do
    if [ "$(wc -w <"$work/imdb/aclImdb/test/pos/$f")" -ge 400 ]; then
      sed 's|<br />| |g' "$work/imdb/aclImdb/test/pos/$f" >"$work/explain-review.txt"
      echo "review: test/pos/$f" >&2
      break
    fi
  done
fi
out=$(mktemp)
for name in default base; do
  model=$root/models/default
  [ $name = base ] && model=$work/base
  OMP_NUM_THREADS=$threads "$bench" "$model" "$threads" "$work/explain-review.txt" 256 $steps "$secs" "$work/explain-$name-" |
    sed "s/^{/{\"model\":\"$name\",/" | tee -a "$out"
  OMP_NUM_THREADS=$threads /usr/bin/python3 "$root/bench/explain-torch.py" "$model" "$threads" "$work/explain-$name-ids.json" \
    "$work/explain-$name-senti-ig.json" $steps "$secs" | sed "s/^{/{\"model\":\"$name\",/" | tee -a "$out"
done
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def get(model, impl, case):
    for r in rows:
        if r["model"] == model and r["impl"] == impl and r["case"].startswith(case):
            return r
print("\n| model | tokens | senti predict ms | senti IG 32 ms | senti IG default ms (steps) | senti GxI ms | senti occlusion ms (words) | PyTorch predict ms | PyTorch IG 32 ms | IG: PyTorch / senti | max abs diff of token attributions (max abs attribution) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for model in ("default", "base"):
    p, ig, ad, gx, oc = (get(model, "senti", c) for c in ("predict", "ig 32", "ig default", "gxi", "occlusion"))
    tp, tig, ag = (get(model, "pytorch", c) for c in ("predict", "ig 32", "agreement"))
    f = lambda r: f"{r['ms']:.1f} ({r['ms_min']:.1f}–{r['ms_max']:.1f})"
    print(f"| {model} | {p['tokens']} | {f(p)} | {f(ig)} | {ad['ms']:.1f} ({ad['steps_used']}) | {f(gx)} | {oc['ms']:.1f} ({oc['words']}) | "
          f"{f(tp)} | {f(tig)} | {tig['ms'] / ig['ms']:.2f}× | {ag['max_abs_diff']:.2e} ({ag['max_abs_attribution']:.2f}) |")
PY
rm -f "$out"
