// report.html for a training run: self-contained (inline SVG, no scripts, no CDN) charts of the
// training loss, the learning-rate schedule, validation metrics per epoch, the confusion matrix
// and the ROC curve of the best epoch. Only formats what the trainer recorded.
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

}  // namespace senti::train
