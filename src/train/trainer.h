// Trainer: fine-tunes a TrainableDistilBert for sequence classification. Reads and tokenizes
// the data, batches by length, runs AdamW with warmup/decay, clipping and accumulation, freezes
// what the policy says (caching the frozen prefix's output in bf16 after its first computation,
// so later epochs skip it), evaluates every epoch, keeps the best model in Hugging Face layout,
// writes per-step metrics and report.html, and checkpoints so an interrupted run resumes to the
// same weights. It reports progress; it does not parse command lines.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"
#include "senti/classifier.h"
#include "train/metrics.h"
#include "train/optimizer.h"

namespace senti::train {

struct FreezePolicy {
  bool embeddings = false;
  std::vector<bool> layers;  // true = frozen
  std::string describe() const;
};

// What to freeze as the user asks it, before the model's depth is known: the embeddings, every
// layer, inclusive ranges of layers, or (train_top >= 0) everything but the top N layers.
struct FreezeSpec {
  bool embeddings = false, all = false;
  std::vector<std::pair<int64_t, int64_t>> layers;
  int64_t train_top = -1;
};
// "none", "embeddings", "0-3", "embeddings,0-3", "all" (embeddings + every layer); nullopt when
// malformed.
std::optional<FreezeSpec> parse_freeze_spec(std::string_view text);
// The policy for a model of n_layers; a layer beyond the model is an error (kInvalidArgument).
FreezePolicy resolve_freeze(const FreezeSpec& spec, int64_t n_layers);
// Both steps at once (malformed text is kInvalidArgument too).
FreezePolicy parse_freeze(const std::string& spec, int64_t n_layers, int64_t train_top = -1);

struct TrainOptions {
  std::string base_model;   // checkpoint folder (DistilBertForMaskedLM base or a classifier)
  std::string data;         // training data (folder, .csv, .jsonl)
  std::string eval_data;    // validation data; empty: split from `data`
  double validation_fraction = 0.1;
  size_t limit = 0;         // use at most this many training examples (0 = all), chosen by seed
  std::string out_dir;
  int epochs = 2;
  size_t batch_size = 16;
  int grad_accum = 1;
  size_t max_length = 256;
  Truncation truncation = Truncation::kHeadTail;
  AdamWOptions adam;
  double warmup_ratio = 0.06;
  double max_grad_norm = 1.0;
  FreezeSpec freeze;               // nothing frozen by default
  bool cache_frozen = true;
  double cache_max_gb = 6.0;   // beyond this the cache goes to a file in out_dir
  int early_stopping = 0;      // epochs without improvement before stopping (0 = off)
  Metric metric = Metric::kAccuracy;  // picks the best epoch
  uint64_t seed = 42;
  int64_t save_steps = 500;    // checkpoint for --resume every N optimizer steps (and each epoch)
  int64_t max_steps = 0;       // stop after this many optimizer steps (0 = run all epochs)
  double max_seconds = 0;  // stop after this much training in this run, resumable (0 = no limit)
  bool bf16 = false;           // matrix products on bf16 copies, f32 accumulation
  bool resume = false;
  bool overwrite = false;      // replace a finished run in out_dir (else that is an error)
  // The labels to train, in order. Empty: the base classifier's own labels, or for a base
  // without a classification head, the labels found in the data (at least two).
  std::vector<std::string> labels;
  int threads = 0;
  data::BadRows bad_rows = data::BadRows::kFail;
  bool progress = true;
};

struct TrainResult {
  Metrics best;
  int best_epoch = -1;
  int64_t steps = 0;
  double seconds = 0;
  double frozen_forward_seconds = 0;  // time spent in the frozen prefix (first computation)
  bool stopped_early = false;
  bool finished = false;  // false when max_steps interrupted the run
  // {"finished", "steps", "seconds", "best_epoch" (1-based), "frozen_forward_seconds",
  // "validation" (the best epoch's metrics, when there was a validation)}.
  std::string to_json() const;
};

TrainResult train(const TrainOptions& options);

// Evaluates a model folder on a labelled dataset (same metrics as training), reading long texts
// as `options` says (truncation, max length, sliding window); writes an HTML report (metrics,
// confusion matrix, ROC curve, reliability diagram) when `report` is a path.
Metrics evaluate(const std::string& model_dir, const std::string& data, const ReadOptions& options,
                 size_t batch_size, const LoadOptions& load, data::BadRows bad_rows, bool progress,
                 const std::string& report = "");

}  // namespace senti::train
