#!/usr/bin/env bash
# Trains senti's default model from the IMDb archives, end to end in C++ on this machine:
#   1. the data: the labelled reviews (train and test) and, when its archive is there, the
#      49,730 unlabeled reviews (pretraining and distillation text; never test text);
#   2. a WordPiece vocabulary trained on the training + unlabeled reviews;
#   3. masked-LM pretraining of a small DistilBERT on the same text (ENCODER=DIR skips 2-3 and
#      starts from a pretrained encoder, e.g. models/encoder);
#   4. a teacher: fine-tuning on whole reviews (the previous recipe's model);
#   5. distillation data: whole reviews, spans cut from them and unlabeled reviews, with soft
#      targets from the teacher ensemble (a cross-fitted word n-gram model + the teacher);
#   6. the student: fine-tuning the pretrained encoder on the distillation data; then (SHORT_ROUND=1)
#      once more on the same data with negation pairs added (NEGATION_PAIRS sentences a text, each
#      with its negation), all its short texts and a quarter of its whole texts; with several
#      SEEDS, one such round a seed and their weights' mean (a model soup) as the result;
#   7. F16 weights, evaluation on all 25,000 test reviews and on the behavioural suite;
#      copied to models/default (INSTALL=0 leaves it alone).
# Every stage resumes: rerun the script after an interruption and finished stages are skipped,
# an interrupted pretraining or fine-tuning continues from its last checkpoint.
# Usage: tools/train-default-model.sh [ARCHIVE] [WORK_DIR]
#   ARCHIVE   aclImdb-labeled.tar.gz (default ../shared/data/aclImdb-labeled.tar.gz); the
#             unlabeled reviews are read from aclImdb-unsup.tar.gz beside it (UNSUP=0: without)
#   WORK_DIR  scratch folder (default /tmp/senti-default)
# Environment: THREADS (default: all), BF16=0 for f32 matrix products (without AVX-512 senti trains
# in f32 anyway, with a warning), the model's shape and
# schedule below (VOCAB, DIM, LAYERS, HEADS, HIDDEN, PRE_EPOCHS, PRE_LEN, FT_EPOCHS, FT_LEN,
# FREEZE), distillation (SPANS, UNSUP_LIMIT, LABEL_WEIGHT, NGRAM_WEIGHT, NEGATION_PAIRS a text,
# SPAN_T: the span temperature, below 1 sharpens short texts' targets; LEXICON: a polarity lexicon
# file whose score joins the span teacher, LEXICON_WEIGHT its log-odds a unit, 0 = fitted;
# NEGATION_SPANS: sentences a text that hold a negation, added as spans in the short round;
# SYNTHETIC: everyday sentences from tools/make-everyday-sentences.py added to the short round
# (GRAMMAR: its --grammar version, default 2; 1 wrote the data of the third step of 04fc108);
# TF_TEACHER=0 for the n-gram teacher alone; STUDENT_INIT=encoder|teacher|DIR: what the student
# starts from (DIR: any classifier folder, e.g. an earlier default model to train further), STUDENT_LR; SHORT_ROUND=1 and SHORT_LR for the short-text round (a list, "1e-4 5e-5", chains rounds); SHORT_FROM=init skips
# stage 6 and runs the short round from what STUDENT_INIT names, SHORT_FROM=student (default) from
# stage 6's student; SEED, default 42, or SEEDS="42 43 ...": one short round a seed, averaged),
# DISTILL=0 for the previous recipe (stage 4's model is the result).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
archive=${1:-$root/../shared/data/aclImdb-labeled.tar.gz}
unsup_archive=$(dirname "$archive")/aclImdb-unsup.tar.gz
work=${2:-/tmp/senti-default}
threads=${THREADS:-0}
t_arg=()
[ "$threads" != 0 ] && t_arg=(-t "$threads")
bf16_arg=()
[ "${BF16:-1}" = 1 ] && bf16_arg=(--bf16)
senti=${SENTI:-$root/build/release/apps/senti/senti}  # SENTI: another binary (a dry run of the stages)
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

# The model: 4 layers of 256, small enough to pretrain on 75k reviews in about an hour on 2 cores.
VOCAB=${VOCAB:-16000}
DIM=${DIM:-256}
LAYERS=${LAYERS:-4}
HEADS=${HEADS:-4}
HIDDEN=${HIDDEN:-1024}
PRE_EPOCHS=${PRE_EPOCHS:-1}
PRE_LEN=${PRE_LEN:-128}
FT_EPOCHS=${FT_EPOCHS:-1}
FT_LEN=${FT_LEN:-512}
FREEZE=${FREEZE:-none}
SPANS=${SPANS:-4}
UNSUP_LIMIT=${UNSUP_LIMIT:-0}
LABEL_WEIGHT=${LABEL_WEIGHT:-0.5}
NGRAM_WEIGHT=${NGRAM_WEIGHT:-0.5}
SPAN_T=${SPAN_T:-1}
LEXICON=${LEXICON:-}
LEXICON_WEIGHT=${LEXICON_WEIGHT:-0}
lexicon_args=()
[ -n "$LEXICON" ] && lexicon_args=(--lexicon "$LEXICON" --lexicon-weight "$LEXICON_WEIGHT")
UNSUP=${UNSUP:-1}
TF_TEACHER=${TF_TEACHER:-1}
STUDENT_INIT=${STUDENT_INIT:-encoder}
STUDENT_LR=${STUDENT_LR:-3e-4}
NEGATION_PAIRS=${NEGATION_PAIRS:-0}
NEGATION_SPANS=${NEGATION_SPANS:-0}
SYNTHETIC=${SYNTHETIC:-0}
GRAMMAR=${GRAMMAR:-2}
SHORT_ROUND=${SHORT_ROUND:-0}
SHORT_LR=${SHORT_LR:-5e-5}
SHORT_FROM=${SHORT_FROM:-student}
SEED=${SEED:-42}
SEEDS=${SEEDS:-$SEED}
case "$SHORT_FROM" in
  student) ;;
  init) [ "$SHORT_ROUND" = 1 ] || { echo "train-default-model: SHORT_FROM=init needs SHORT_ROUND=1" >&2; exit 2; } ;;
  *) echo "train-default-model: SHORT_FROM must be student or init, not '$SHORT_FROM'" >&2; exit 2 ;;
esac
[ -f "$unsup_archive" ] || UNSUP=0

stage "1/7 data"
if [ ! -d "$work/aclImdb/test" ]; then
  tar -xzf "$archive" -C "$work" aclImdb/train/pos aclImdb/train/neg aclImdb/test/pos aclImdb/test/neg
fi
if [ "$UNSUP" = 1 ] && [ ! -d "$work/aclImdb/train/unsup" ]; then
  tar -xzf "$unsup_archive" -C "$work" aclImdb/train/unsup
fi
pre_data="$work/aclImdb/train"  # pos + neg (+ unsup): the folder's .txt files, recursively
if [ "$UNSUP" = 0 ] && [ -d "$work/aclImdb/train/unsup" ]; then
  echo "train-default-model: UNSUP=0 but $work/aclImdb/train/unsup exists (it would be read); use another WORK_DIR" >&2
  exit 2
fi

if [ -n "${ENCODER:-}" ]; then
  stage "2-3/7 pretrained encoder: $ENCODER"
  encoder=$ENCODER
else
  stage "2/7 vocabulary ($VOCAB WordPiece tokens, training + unlabeled reviews)"
  mkdir -p "$work/base"
  if [ ! -f "$work/base/vocab.txt" ]; then
    "$senti" vocab --data "$pre_data" --size "$VOCAB" --out "$work/base/vocab.txt" "${t_arg[@]}"
  fi
  cat >"$work/base/config.json" <<JSON
{"model_type": "distilbert", "architectures": ["DistilBertForMaskedLM"], "dim": $DIM, "n_layers": $LAYERS,
 "n_heads": $HEADS, "hidden_dim": $HIDDEN, "max_position_embeddings": 512, "vocab_size": $VOCAB,
 "dropout": 0.1, "attention_dropout": 0.1, "activation": "gelu", "initializer_range": 0.02, "pad_token_id": 0}
JSON
  stage "3/7 masked-LM pretraining (training + unlabeled reviews)"
  if [ ! -f "$work/mlm/pretrain_metrics.json" ]; then
    "$senti" pretrain --config "$work/base/config.json" --tokenizer "$work/base" --data "$pre_data" \
      -o "$work/mlm" --epochs "$PRE_EPOCHS" --max-length "$PRE_LEN" -b 64 --lr 1e-3 --warmup-ratio 0.05 \
      --save-steps 100 --resume "${t_arg[@]}" "${bf16_arg[@]}" | tee "$work/pretrain.json"
  fi
  encoder=$work/mlm
fi

finetune() {  # base data out lr [extra args]: one fine-tuning run of the recipe
  local base=$1 data=$2 out=$3 lr=$4
  shift 4
  if [ ! -f "$out/eval_results.json" ] || [ ! -f "$out/training_metrics.json" ]; then
    "$senti" train -m "$base" --data "$data" -o "$out" --epochs "$FT_EPOCHS" --max-length "$FT_LEN" \
      --truncation head+tail -b 32 --lr "$lr" --freeze "$FREEZE" --seed "$SEED" --save-steps 100 --resume "${t_arg[@]}" \
      "${bf16_arg[@]}" "$@" | tee "$out.json"
  fi
}

# The teacher is needed unless the distillation data does without it (TF_TEACHER=0) and the
# student starts from another folder (STUDENT_INIT=DIR).
if [ "${DISTILL:-1}" = 1 ] && [ "$TF_TEACHER" = 0 ] && [ "$STUDENT_INIT" != teacher ] && [ "$STUDENT_INIT" != encoder ]; then
  stage "4/7 skipped (no transformer teacher; the student starts from $STUDENT_INIT)"
else
  stage "4/7 teacher: fine-tuning on whole reviews (frozen: $FREEZE)"
  finetune "$encoder" "$work/aclImdb/train" "$work/teacher" 3e-4 --validation-fraction 0.04
fi
result=$work/teacher

if [ "${DISTILL:-1}" = 1 ]; then
  stage "5/7 distillation data ($SPANS spans a text, unlabeled: $UNSUP, transformer teacher: $TF_TEACHER)"
  unsup_args=()
  [ "$UNSUP" = 1 ] && unsup_args=(--unlabeled "$work/aclImdb/train/unsup" --unlabeled-limit "$UNSUP_LIMIT")
  teacher_args=()
  [ "$TF_TEACHER" = 1 ] && teacher_args=(--teacher "$work/teacher")
  if [ ! -f "$work/distill/teacher_report.json" ]; then
    "$senti" distill-data --data "$work/aclImdb/train" "${unsup_args[@]}" "${teacher_args[@]}" \
      --spans "$SPANS" --label-weight "$LABEL_WEIGHT" --ngram-weight "$NGRAM_WEIGHT" --span-temperature "$SPAN_T" "${lexicon_args[@]}" --eval-data "$work/aclImdb/test" \
      -o "$work/distill" "${t_arg[@]}" | tee "$work/distill.json"
  fi
  case "$STUDENT_INIT" in
    encoder) student_base=$encoder ;;
    teacher) student_base=$work/teacher ;;
    *) student_base=$STUDENT_INIT ;;
  esac
  if [ "$SHORT_FROM" = student ]; then
    stage "6/7 student: fine-tuning the $STUDENT_INIT on the distillation data"
    finetune "$student_base" "$work/distill/train.jsonl" "$work/student" "$STUDENT_LR" \
      --eval-data "$work/distill/validation.jsonl"
    result=$work/student
  else
    stage "6/7 skipped (SHORT_FROM=init: the short round starts from the $STUDENT_INIT)"
    result=$student_base
  fi
  if [ "$SHORT_ROUND" = 1 ]; then
    stage "6b/7 short round from $(basename "$result"): short texts ($NEGATION_PAIRS negation pairs and $NEGATION_SPANS negation spans a text, spans) and a quarter of the whole texts"
    # The same texts and targets as stage 5 (same seed and teachers), plus the negation pairs.
    if [ ! -f "$work/distill-short/teacher_report.json" ]; then
      "$senti" distill-data --data "$work/aclImdb/train" "${unsup_args[@]}" "${teacher_args[@]}" --spans "$SPANS" \
        --label-weight "$LABEL_WEIGHT" --ngram-weight "$NGRAM_WEIGHT" --span-temperature "$SPAN_T" "${lexicon_args[@]}" --negation-pairs "$NEGATION_PAIRS" \
        --negation-spans "$NEGATION_SPANS" -o "$work/distill-short" "${t_arg[@]}" >"$work/distill-short.json"
    fi
    if [ ! -f "$work/distill-short/short.jsonl" ]; then
      synthetic=()
      if [ "$SYNTHETIC" -gt 0 ]; then  # everyday sentences from a grammar, targets from their construction
        python3 "$root/tools/make-everyday-sentences.py" --count "$SYNTHETIC" --grammar "$GRAMMAR" -o "$work/distill-short/synthetic.jsonl"
        synthetic=("$work/distill-short/synthetic.jsonl")
      fi
      { awk '/"kind":"(negation|negation-span|span|unlabeled-span)"/ {print; next} {n++; if (n % 4 == 0) print}' \
        "$work/distill-short/train.jsonl"; cat "${synthetic[@]}" </dev/null; } >"$work/distill-short/short.jsonl.tmp"
      mv "$work/distill-short/short.jsonl.tmp" "$work/distill-short/short.jsonl"
    fi
    # SHORT_LR may list several rates ("1e-4 5e-5"): one round each, each from the one before, on
    # the same data (round 1 in student-short, round k in student-short-rK). In each round, one run
    # a seed (the first seed's in that folder, the others in its -sSEED twin); with several seeds,
    # the round's result is their weights' mean, a model soup (senti convert -m A -m B).
    round=0
    for lr in $SHORT_LR; do
      round=$((round + 1))
      suffix=""
      [ "$round" -gt 1 ] && suffix=-r$round && stage "6b/7 short round $round from $(basename "$result") (learning rate $lr)"
      members=()
      for s in $SEEDS; do
        out=$work/student-short$suffix
        [ ${#members[@]} -gt 0 ] && out=$work/student-short$suffix-s$s
        [ ${#members[@]} -gt 0 ] && stage "6b/7 short round $round, seed $s"
        SEED=$s finetune "$result" "$work/distill-short/short.jsonl" "$out" "$lr" \
          --eval-data "$work/distill-short/validation.jsonl"
        members+=(-m "$out")
      done
      result=$work/student-short$suffix
      if [ ${#members[@]} -gt 2 ]; then
        stage "6c/7 model soup of round $round: the mean of its runs' weights (seeds $SEEDS)"
        "$senti" convert "${members[@]}" -o "$work/soup$suffix" --dtype f32
        result=$work/soup$suffix
      fi
    done
  fi
fi

stage "7/7 F16 weights, evaluation on the 25,000 test reviews and the behavioural suite"
rm -rf "$work/default"
"$senti" convert -m "$result" -o "$work/default" --dtype f16
rm -f "$work/default/eval_results.json"
"$senti" eval -m "$work/default" --data "$work/aclImdb/test" "${t_arg[@]}" | tee "$work/test_metrics.json"
"$senti" eval -m "$work/default" --suite "$root/tests/behaviour/sentiment.jsonl" "${t_arg[@]}" >"$work/suite.json"
stage "done"
if [ "${INSTALL:-1}" = 1 ]; then
  mkdir -p "$root/models/default"
  for f in config.json model.safetensors vocab.txt tokenizer_config.json; do cp "$work/default/$f" "$root/models/default/"; done
  cp "$work/test_metrics.json" "$root/models/default/test_metrics.json"
  cp "$work/suite.json" "$root/models/default/measurements/suite.json"
  cp "$work/recipe.log" "$root/models/default/recipe.log"
  log "installed into models/default"
fi
