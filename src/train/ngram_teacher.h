// A training-time teacher for distillation: NB-weighted word n-gram logistic regression
// (NBSVM's NB-LR variant, Wang & Manning 2012). Binarized 1..max_n-grams of lower-cased words
// (and "!", "?"), hashed; each present n-gram's feature is its naive-Bayes log-count ratio
// r = log((p / |p|) / (q / |q|)) with add-alpha counts; an L2-regularized logistic regression on
// those features (Bottou's SGD with weight scaling) gives the log-odds of label 1. Its errors
// differ from a transformer's, which is what an ensemble teacher wants. Binary labels only; it
// is never shipped as the product's model (that stays a DistilBERT).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace senti::train {

struct NgramTeacherOptions {
  int max_n = 3;          // word n-grams 1..max_n
  int hash_bits = 24;     // 2^24 buckets
  double alpha = 1.0;     // naive-Bayes count smoothing
  double l2 = 4e-4;       // λ of the mean log-loss + λ/2 |w|² (liblinear's C = 1/(λ n))
  int epochs = 12;
  uint64_t seed = 42;
};

// The temperature T in [1/16, 16] that minimises the log-loss of sigmoid(z / T) against binary
// labels (golden-section search over log T; the loss is unimodal there).
double fit_temperature(const std::vector<double>& log_odds, const std::vector<int>& labels);

class NgramTeacher {
 public:
  // labels: 0 or 1 per text.
  static NgramTeacher train(const std::vector<std::string_view>& texts, const std::vector<int>& labels,
                            const NgramTeacherOptions& options);
  // log-odds of label 1; 0 for a text without a known n-gram (a balanced prior), then scaled by
  // the temperature.
  double logit(std::string_view text) const;
  // Fits the temperature T (logit / T) that minimises the log-loss on held-out texts.
  void calibrate(const std::vector<std::string_view>& texts, const std::vector<int>& labels);
  double temperature() const { return temperature_; }

  // The hashed n-gram ids of a text, each once (exposed for tests).
  static std::vector<uint32_t> features(std::string_view text, int max_n, int hash_bits);

 private:
  double raw_logit(std::string_view text) const;
  int max_n_ = 3, hash_bits_ = 24;
  std::vector<float> ratio_, weight_;  // (2^hash_bits) NB ratio and regression weight per bucket
  double bias_ = 0, temperature_ = 1;
};

}  // namespace senti::train
