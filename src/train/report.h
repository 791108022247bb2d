// report.html for a training run: self-contained (inline SVG, no scripts, no CDN) charts of the
// training loss, the learning-rate schedule, validation metrics per epoch, the confusion matrix
// and the ROC curve and reliability diagram of the best epoch. Only formats what it is given.
#pragma once
#include <string>
#include <vector>

#include "train/metrics.h"

namespace senti::train {

struct StepRecord {
  int64_t step;
  double loss, lr, tokens_per_s;
};

struct EpochRecord {
  int epoch;
  int64_t step;
  double seconds;
  Metrics validation;
};

struct RunSummary {
  std::string title;
  std::vector<std::string> labels;
  std::vector<StepRecord> steps;
  std::vector<EpochRecord> epochs;
  int best_epoch = -1;
  std::string metric;
  std::vector<std::pair<std::string, std::string>> settings;  // shown as a table
};

std::string render_report(const RunSummary& run);

// One wrong answer of an evaluation, for the report's list of the most confident ones.
struct Mistake {
  std::string text;             // the example (cut to a few hundred characters)
  std::string label, predicted;
  double confidence = 0;        // the model's probability of `predicted`
};

// report.html for an evaluation (`senti eval --report`): the metrics, confusion matrix, ROC
// curve and reliability diagram of one model on one dataset, and the mistakes it made with the
// most confidence (best first, as given).
std::string render_eval_report(const std::string& title, const std::vector<std::string>& labels, const Metrics& m,
                               const std::vector<std::pair<std::string, std::string>>& settings,
                               const std::vector<Mistake>& mistakes = {});

}  // namespace senti::train
