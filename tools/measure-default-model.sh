#!/usr/bin/env bash
# The measurements behind models/default/README.md, on the work folder of
# tools/train-default-model.sh (its extracted IMDb and its pretrained encoder):
#   reading  — test accuracy of the shipped model reading long reviews four ways: head, tail,
#              head+tail (512 tokens) and a sliding window (512, stride 128, logits averaged);
#   speed    — `senti predict` over the 25,000 test reviews at 2 threads, for each compute type
#              (DTYPES, default "f32 bf16 int8"): reviews/s, peak RSS, accuracy, and how often
#              the label agrees with f32's;
#   freezing — the ablation: fine-tuning the same pretrained encoder with nothing frozen, the
#              bottom layer frozen, the bottom half frozen, all but the top layer frozen, and every
#              encoder layer frozen (FREEZINGS overrides the list)
#              (on ABL_LIMIT training reviews, ABL_EPOCHS epochs at ABL_LEN tokens: a reduced
#              budget: the five runs took 18 minutes here), test accuracy and fine-tuning time;
#   report   — the test-set report (reliability diagram) of the shipped model.
# Usage: tools/measure-default-model.sh [WORK_DIR] [reading|speed|freezing|report ...]
# Results: WORK_DIR/measure/*.json, one JSON line per measurement.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/senti-default}
shift || true
what=("$@")
[ ${#what[@]} -eq 0 ] && what=(report reading speed freezing)
senti=$root/build/release/apps/senti/senti
model=${MODEL:-$root/models/default}
test=$work/aclImdb/test
out=$work/measure
mkdir -p "$out"
[ -d "$test/pos" ] || { echo "measure-default-model: run tools/train-default-model.sh first ($test missing)" >&2; exit 1; }

for w in "${what[@]}"; do
  case $w in
    report)
      "$senti" eval -m "$model" --data "$test" --report "$out/test-report.html" --no-progress -t 2 >"$out/test-metrics.json"
      ;;
    reading)
      : >"$out/reading.json"
      for mode in "head" "tail" "head+tail" "window"; do
        if [ "$mode" = window ]; then args=(--window 512 --stride 128); else args=(--truncation "$mode"); fi
        start=$(date +%s.%N)
        m=$("$senti" eval -m "$model" --data "$test" "${args[@]}" --no-progress -t 2)
        secs=$(python3 -c "import time,sys; print(round(time.time()-float(sys.argv[1]),1))" "$start")
        echo "{\"reading\": \"$mode\", \"seconds\": $secs, \"metrics\": $m}" | tee -a "$out/reading.json"
      done
      ;;
    speed)
      # The reviews as `senti eval` reads them: HTML line breaks replaced by spaces.
      python3 - "$test" >"$out/test-texts.jsonl" <<'PY'
import json, os, re, sys
for d in ("pos", "neg"):
    for f in sorted(os.listdir(os.path.join(sys.argv[1], d))):
        text = open(os.path.join(sys.argv[1], d, f), encoding="utf-8").read()
        print(json.dumps({"text": re.sub(r"<[bB][rR] */?>", " ", text)}))
PY
      : >"$out/speed.json"
      for dtype in ${DTYPES:-f32 bf16 int8}; do
        start=$(date +%s.%N)
        /usr/bin/time -f %M -o "$out/rss-$dtype" "$senti" predict -m "$model" --dtype "$dtype" -f "$out/test-texts.jsonl" \
          -b 64 -q --no-progress -t 2 >"$out/predictions-$dtype.jsonl"
        secs=$(python3 -c "import time,sys; print(round(time.time()-float(sys.argv[1]),1))" "$start")
        python3 - "$out" "$dtype" "$secs" <<'PY' | tee -a "$out/speed.json"
import json, sys
out, dtype, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
labels = lambda d: [json.loads(l)[0]["label"] for l in open(f"{out}/predictions-{d}.jsonl")]
got, ref = labels(dtype), labels("f32")
gold = ["POSITIVE"] * 12500 + ["NEGATIVE"] * 12500  # test-texts.jsonl: pos, then neg
r = {"dtype": dtype, "reviews": len(got), "seconds": secs, "reviews_per_s": round(len(got) / secs, 1), "threads": 2,
     "peak_rss_mb": round(int(open(f"{out}/rss-{dtype}").read().split()[-1]) / 1024),
     "accuracy": sum(g == y for g, y in zip(got, gold)) / len(gold),
     "agreement_with_f32": sum(g == y for g, y in zip(got, ref)) / len(ref)}
print(json.dumps(r))
PY
      done
      ;;
    freezing)
      : >"$out/freezing.json"
      for freeze in ${FREEZINGS:-none embeddings,0 embeddings,0-1 embeddings,0-2 all}; do
        dir=$work/ablation-${freeze//,/_}
        r=$("$senti" train -m "$work/mlm" --data "$work/aclImdb/train" -o "$dir" --epochs "${ABL_EPOCHS:-2}" \
              --limit "${ABL_LIMIT:-6000}" --max-length "${ABL_LEN:-256}" --truncation head+tail -b 32 --lr 3e-4 --freeze "$freeze" \
              --validation-fraction 0.04 --overwrite --no-progress -q -t 2)
        m=$("$senti" eval -m "$dir" --data "$test" --max-length "${ABL_LEN:-256}" --no-progress -q -t 2)
        echo "{\"freeze\": \"$freeze\", \"train\": $r, \"test\": $m}" | tee -a "$out/freezing.json"
      done
      ;;
    *) echo "measure-default-model: unknown measurement '$w'" >&2; exit 2 ;;
  esac
done
