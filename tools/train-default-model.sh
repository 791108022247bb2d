#!/usr/bin/env bash
# Trains senti's default model from the IMDb archive, end to end in C++ on this machine:
#   1. a WordPiece vocabulary trained on the 25,000 IMDb training reviews only;
#   2. masked-LM pretraining of a small DistilBERT on the training reviews only (never test);
#   3. fine-tuning for sentiment (FREEZE picks the frozen lower layers, their output cached in
#      bf16; the default freezes nothing: tools/measure-default-model.sh's ablation measured
#      every frozen layer costing accuracy with this encoder, see models/default/README.md);
#   4. the weights stored as F16, evaluated on all 25,000 test reviews, copied to models/default.
# Every stage resumes: rerun the script after an interruption and finished stages are skipped,
# an interrupted pretraining or fine-tuning continues from its last checkpoint.
# Usage: tools/train-default-model.sh [ARCHIVE] [WORK_DIR]
#   ARCHIVE   aclImdb-labeled.tar.gz (default ../shared/data/aclImdb-labeled.tar.gz)
#   WORK_DIR  scratch folder (default /tmp/senti-default)
# Environment: THREADS (default: all), INSTALL=0 to leave models/default alone, BF16=0 for f32
# matrix products (the default, bf16 with f32 accumulation, kept the loss curve over 400
# pretraining steps and is ~10 % faster); the model's shape and schedule below (VOCAB, DIM,
# LAYERS, HEADS, HIDDEN, PRE_EPOCHS, PRE_LEN, FT_EPOCHS, FT_LEN, FREEZE).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
archive=${1:-$root/../shared/data/aclImdb-labeled.tar.gz}
work=${2:-/tmp/senti-default}
threads=${THREADS:-0}
t_arg=()
[ "$threads" != 0 ] && t_arg=(-t "$threads")
bf16_arg=()
[ "${BF16:-1}" = 1 ] && bf16_arg=(--bf16)
senti=$root/build/release/apps/senti/senti
[ -f "$archive" ] || { echo "train-default-model: no IMDb archive at $archive" >&2; exit 1; }
(cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release >/dev/null)
mkdir -p "$work"
log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$work/recipe.log" >&2; }
stage_start=$(date +%s)
stage() {  # name: logs the time the previous stage took
  local now; now=$(date +%s)
  log "$1 (previous stage: $((now - stage_start)) s)"
  stage_start=$now
}

# The model: small enough to pretrain on 25k reviews four times over in about an hour on 2 cores.
VOCAB=${VOCAB:-16000}
DIM=${DIM:-256}
LAYERS=${LAYERS:-4}
HEADS=${HEADS:-4}
HIDDEN=${HIDDEN:-1024}
PRE_EPOCHS=${PRE_EPOCHS:-4}
PRE_LEN=${PRE_LEN:-128}
FT_EPOCHS=${FT_EPOCHS:-1}
FT_LEN=${FT_LEN:-512}
FREEZE=${FREEZE:-none}

stage "1/5 data"
if [ ! -d "$work/aclImdb/test" ]; then
  tar -xzf "$archive" -C "$work" aclImdb/train/pos aclImdb/train/neg aclImdb/test/pos aclImdb/test/neg
fi

stage "2/5 vocabulary ($VOCAB WordPiece tokens, training reviews only)"
mkdir -p "$work/base"
if [ ! -f "$work/base/vocab.txt" ]; then
  "$senti" vocab --data "$work/aclImdb/train" --size "$VOCAB" --out "$work/base/vocab.txt" "${t_arg[@]}"
fi
cat >"$work/base/config.json" <<JSON
{"model_type": "distilbert", "architectures": ["DistilBertForMaskedLM"], "dim": $DIM, "n_layers": $LAYERS,
 "n_heads": $HEADS, "hidden_dim": $HIDDEN, "max_position_embeddings": 512, "vocab_size": $VOCAB,
 "dropout": 0.1, "attention_dropout": 0.1, "activation": "gelu", "initializer_range": 0.02, "pad_token_id": 0}
JSON

stage "3/5 masked-LM pretraining (training reviews only)"
if [ ! -f "$work/mlm/pretrain_metrics.json" ]; then
  "$senti" pretrain --config "$work/base/config.json" --tokenizer "$work/base" --data "$work/aclImdb/train" \
    -o "$work/mlm" --epochs "$PRE_EPOCHS" --max-length "$PRE_LEN" -b 64 --lr 1e-3 --warmup-ratio 0.05 \
    --save-steps 100 --resume "${t_arg[@]}" "${bf16_arg[@]}" | tee "$work/pretrain.json"
fi

stage "4/5 fine-tuning (frozen: $FREEZE)"
if [ ! -f "$work/clf/eval_results.json" ] || [ ! -f "$work/clf/training_metrics.json" ]; then
  "$senti" train -m "$work/mlm" --data "$work/aclImdb/train" -o "$work/clf" --epochs "$FT_EPOCHS" \
    --max-length "$FT_LEN" --truncation head+tail -b 32 --lr 3e-4 --freeze "$FREEZE" --validation-fraction 0.04 \
    --save-steps 100 --resume "${t_arg[@]}" "${bf16_arg[@]}" | tee "$work/train.json"
fi

stage "5/5 F16 weights and evaluation on the 25,000 test reviews"
rm -rf "$work/default"
"$senti" convert -m "$work/clf" -o "$work/default" --dtype f16
rm -f "$work/default/eval_results.json"
"$senti" eval -m "$work/default" --data "$work/aclImdb/test" "${t_arg[@]}" | tee "$work/test_metrics.json"
stage "done"
if [ "${INSTALL:-1}" = 1 ]; then
  mkdir -p "$root/models/default"
  for f in config.json model.safetensors vocab.txt tokenizer_config.json; do cp "$work/default/$f" "$root/models/default/"; done
  cp "$work/test_metrics.json" "$root/models/default/test_metrics.json"
  cp "$work/recipe.log" "$root/models/default/recipe.log"
  log "installed into models/default"
fi
