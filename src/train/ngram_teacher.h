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

// Platt scaling: the scale a and shift b that minimise the log-loss of sigmoid(a z + b) against
// binary labels (Newton's method on the two parameters; the loss is convex in them). The shift
// corrects a teacher's prior on texts unlike its training texts (e.g. short spans). With an
// offset per text, sigmoid(offset + a z + b): the weight of one more score beside fixed log-odds.
struct Platt {
  double a = 1, b = 0;
  double operator()(double z) const { return a * z + b; }
};
Platt fit_platt(const std::vector<double>& log_odds, const std::vector<int>& labels,
                const std::vector<double>& offset = {});

class NgramTeacher {
 public:
  // labels: 0 or 1 per text.
  static NgramTeacher train(const std::vector<std::string_view>& texts, const std::vector<int>& labels,
                            const NgramTeacherOptions& options);
  // log-odds of label 1 (before calibration: 0 for a text without a known n-gram), through the
  // Platt scaling that calibrate() fitted.
  double logit(std::string_view text) const;
  // Fits the Platt scaling on held-out texts of the kind this teacher will score.
  void calibrate(const std::vector<std::string_view>& texts, const std::vector<int>& labels);
  const Platt& calibration() const { return platt_; }

  // The hashed n-gram ids of a text, each once (exposed for tests).
  static std::vector<uint32_t> features(std::string_view text, int max_n, int hash_bits);

 private:
  double raw_logit(std::string_view text) const;
  int max_n_ = 3, hash_bits_ = 24;
  std::vector<float> ratio_, weight_;  // (2^hash_bits) NB ratio and regression weight per bucket
  Platt platt_;
};

}  // namespace senti::train
