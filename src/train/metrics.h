// Classification metrics from labels and predicted probabilities: accuracy, precision, recall,
// F1 (binary: of the positive class, index 1; more labels: macro average), ROC-AUC (binary),
// expected calibration error, the confusion matrix and the ROC curve points. Pure functions.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace senti::train {

struct Metrics {
  size_t n = 0;
  double loss = 0, accuracy = 0, precision = 0, recall = 0, f1 = 0, roc_auc = 0, ece = 0;
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted]
  std::vector<std::pair<double, double>> roc;   // (false positive rate, true positive rate)
  struct Bin {
    double confidence, accuracy;  // means over the bin's examples
    size_t count;
  };
  std::vector<Bin> calibration;  // non-empty bins of 10 equal-width bins of the top probability
  std::string to_json() const;
};

// probs: (n, classes) row-major, rows sum to 1.
Metrics compute_metrics(const std::vector<float>& probs, const std::vector<int32_t>& labels, int64_t classes);

// Metric by name: accuracy, f1, precision, recall, roc_auc, or loss (lower is better).
double metric_value(const Metrics& m, const std::string& name);
bool metric_higher_is_better(const std::string& name);

}  // namespace senti::train
