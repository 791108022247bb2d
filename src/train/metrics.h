// Classification metrics from labels and predicted probabilities: accuracy, precision, recall,
// F1 (binary: of the positive class, index 1; more labels: macro average), ROC-AUC (binary),
// expected calibration error, the confusion matrix and the ROC curve points. Pure functions.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
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
  // {"n", "loss", "accuracy", "precision", "recall", "f1", "roc_auc" (binary), "ece",
  // "confusion_matrix", "calibration": [{"confidence", "accuracy", "count"}]}, in that order.
  nlohmann::ordered_json as_json() const;
  std::string to_json() const { return as_json().dump(); }
  // The inverse of as_json (fields it lacks keep their defaults; "roc" is read when present).
  static Metrics from_json(const nlohmann::json& j);
};

// The share of the most frequent true label (the accuracy of always answering it), and whether
// a model did no better than that (within half a point) or, for two labels, never found label 1.
double majority_rate(const Metrics& m);
bool learned_nothing(const Metrics& m);

// probs: (n, classes) row-major, rows sum to 1.
Metrics compute_metrics(const std::vector<float>& probs, const std::vector<int32_t>& labels, int64_t classes);

// The metric that picks the best epoch.
enum class Metric { kAccuracy, kF1, kPrecision, kRecall, kRocAuc, kLoss };
// "accuracy", "f1", "precision", "recall", "roc_auc", "loss".
const char* metric_name(Metric which);
std::optional<Metric> parse_metric(std::string_view name);
double metric_value(const Metrics& m, Metric which);
bool metric_higher_is_better(Metric which);  // all but loss

}  // namespace senti::train
