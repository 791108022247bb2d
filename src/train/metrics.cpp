#include "train/metrics.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "util/error.h"

namespace senti::train {

Metrics compute_metrics(const std::vector<float>& probs, const std::vector<int32_t>& labels, int64_t classes) {
  Metrics m;
  m.n = labels.size();
  m.confusion.assign(static_cast<size_t>(classes), std::vector<int64_t>(static_cast<size_t>(classes), 0));
  if (m.n == 0) return m;
  double loss = 0;
  size_t correct = 0;
  // Calibration: 10 equal-width bins of the top probability.
  std::vector<double> bin_conf(10, 0), bin_acc(10, 0), bin_n(10, 0);
  for (size_t i = 0; i < m.n; ++i) {
    const float* p = probs.data() + i * classes;
    const int64_t pred = std::max_element(p, p + classes) - p;
    m.confusion[labels[i]][pred]++;
    correct += pred == labels[i];
    loss -= std::log(std::max(1e-12, static_cast<double>(p[labels[i]])));
    int b = std::min(9, static_cast<int>(p[pred] * 10));
    bin_conf[b] += p[pred];
    bin_acc[b] += pred == labels[i];
    bin_n[b] += 1;
  }
  m.loss = loss / m.n;
  m.accuracy = static_cast<double>(correct) / m.n;
  for (int b = 0; b < 10; ++b)
    if (bin_n[b] > 0) {
      m.ece += bin_n[b] / m.n * std::fabs(bin_acc[b] / bin_n[b] - bin_conf[b] / bin_n[b]);
      m.calibration.push_back({bin_conf[b] / bin_n[b], bin_acc[b] / bin_n[b], static_cast<size_t>(bin_n[b])});
    }
  auto prf = [&](int64_t c, double& p, double& r, double& f) {
    int64_t tp = m.confusion[c][c], fp = 0, fn = 0;
    for (int64_t k = 0; k < classes; ++k) {
      if (k == c) continue;
      fp += m.confusion[k][c];
      fn += m.confusion[c][k];
    }
    p = tp + fp ? static_cast<double>(tp) / (tp + fp) : 0;
    r = tp + fn ? static_cast<double>(tp) / (tp + fn) : 0;
    f = p + r > 0 ? 2 * p * r / (p + r) : 0;
  };
  if (classes == 2) {
    prf(1, m.precision, m.recall, m.f1);
    // ROC over the positive-class probability; AUC by the trapezoid rule (ties grouped).
    std::vector<size_t> order(m.n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return probs[a * 2 + 1] > probs[b * 2 + 1]; });
    double pos = 0, neg = 0;
    for (int32_t l : labels) (l == 1 ? pos : neg) += 1;
    double tp = 0, fp = 0, auc = 0, prev_fpr = 0, prev_tpr = 0;
    m.roc.push_back({0, 0});
    for (size_t k = 0; k < m.n;) {
      const float s = probs[order[k] * 2 + 1];
      while (k < m.n && probs[order[k] * 2 + 1] == s) {
        (labels[order[k]] == 1 ? tp : fp) += 1;
        ++k;
      }
      const double fpr = neg ? fp / neg : 0, tpr = pos ? tp / pos : 0;
      auc += (fpr - prev_fpr) * (tpr + prev_tpr) / 2;
      prev_fpr = fpr;
      prev_tpr = tpr;
      m.roc.push_back({fpr, tpr});
    }
    m.roc_auc = pos > 0 && neg > 0 ? auc : 0;
  } else {
    for (int64_t c = 0; c < classes; ++c) {
      double p, r, f;
      prf(c, p, r, f);
      m.precision += p / classes;
      m.recall += r / classes;
      m.f1 += f / classes;
    }
  }
  // Thin the ROC curve for reports: at most ~200 points.
  if (m.roc.size() > 200) {
    std::vector<std::pair<double, double>> thin;
    const size_t step = m.roc.size() / 200 + 1;
    for (size_t i = 0; i < m.roc.size(); i += step) thin.push_back(m.roc[i]);
    thin.push_back(m.roc.back());
    m.roc = std::move(thin);
  }
  return m;
}

nlohmann::ordered_json Metrics::as_json() const {
  nlohmann::ordered_json j;
  j["n"] = n;
  j["loss"] = loss;
  j["accuracy"] = accuracy;
  j["precision"] = precision;
  j["recall"] = recall;
  j["f1"] = f1;
  if (!roc.empty()) j["roc_auc"] = roc_auc;
  j["ece"] = ece;
  j["confusion_matrix"] = confusion;
  for (const auto& b : calibration)
    j["calibration"].push_back({{"confidence", b.confidence}, {"accuracy", b.accuracy}, {"count", b.count}});
  return j;
}

Metrics Metrics::from_json(const nlohmann::json& j) {
  Metrics m;
  m.n = j.value("n", size_t{0});
  m.loss = j.value("loss", 0.0);
  m.accuracy = j.value("accuracy", 0.0);
  m.precision = j.value("precision", 0.0);
  m.recall = j.value("recall", 0.0);
  m.f1 = j.value("f1", 0.0);
  m.roc_auc = j.value("roc_auc", 0.0);
  m.ece = j.value("ece", 0.0);
  if (j.contains("confusion_matrix")) m.confusion = j["confusion_matrix"].get<std::vector<std::vector<int64_t>>>();
  if (j.contains("roc")) m.roc = j["roc"].get<std::vector<std::pair<double, double>>>();
  if (j.contains("calibration"))
    for (const auto& b : j["calibration"])
      m.calibration.push_back({b["confidence"].get<double>(), b["accuracy"].get<double>(), b["count"].get<size_t>()});
  return m;
}

namespace {
constexpr std::pair<Metric, const char*> kMetricNames[] = {
    {Metric::kAccuracy, "accuracy"}, {Metric::kF1, "f1"},         {Metric::kPrecision, "precision"},
    {Metric::kRecall, "recall"},     {Metric::kRocAuc, "roc_auc"}, {Metric::kLoss, "loss"}};
}  // namespace

const char* metric_name(Metric which) {
  for (const auto& [m, name] : kMetricNames)
    if (m == which) return name;
  return "accuracy";
}

std::optional<Metric> parse_metric(std::string_view name) {
  for (const auto& [m, n] : kMetricNames)
    if (name == n) return m;
  return std::nullopt;
}

double metric_value(const Metrics& m, Metric which) {
  switch (which) {
    case Metric::kAccuracy: return m.accuracy;
    case Metric::kF1: return m.f1;
    case Metric::kPrecision: return m.precision;
    case Metric::kRecall: return m.recall;
    case Metric::kRocAuc: return m.roc_auc;
    case Metric::kLoss: return m.loss;
  }
  return m.accuracy;
}

bool metric_higher_is_better(Metric which) { return which != Metric::kLoss; }

double majority_rate(const Metrics& m) {
  int64_t most = 0, total = 0;
  for (const auto& row : m.confusion) {
    int64_t n = 0;
    for (int64_t v : row) n += v;
    most = std::max(most, n);
    total += n;
  }
  return total ? static_cast<double>(most) / static_cast<double>(total) : 0.0;
}

bool learned_nothing(const Metrics& m) {
  if (m.n == 0) return false;
  return m.accuracy <= majority_rate(m) + 0.005 || (m.confusion.size() == 2 && m.f1 == 0);
}

}  // namespace senti::train
