#!/usr/bin/env bash
# The measurements behind models/default/README.md, on the work folder of
# tools/train-default-model.sh (its extracted IMDb and its pretrained encoder):
#   reading  — test accuracy of the shipped model reading long reviews four ways: head, tail,
#              head+tail (512 tokens) and a sliding window (512, stride 128, logits averaged);
#   speed    — `senti predict` over the 25,000 test reviews, reviews/s at 2 threads;
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
      python3 - "$test" >"$out/test-texts.jsonl" <<'PY'
import json, os, sys
for d in ("pos", "neg"):
    for f in sorted(os.listdir(os.path.join(sys.argv[1], d))):
        print(json.dumps({"text": open(os.path.join(sys.argv[1], d, f), encoding="utf-8").read()}))
PY
      start=$(date +%s.%N)
      "$senti" predict -m "$model" -f "$out/test-texts.jsonl" -b 64 -q --no-progress -t 2 >/dev/null
      python3 -c "import time,sys; s=time.time()-float(sys.argv[1]); print(f'{{\"reviews\": 25000, \"seconds\": {s:.1f}, \"reviews_per_s\": {25000/s:.1f}, \"threads\": 2}}')" "$start" | tee "$out/speed.json"
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
