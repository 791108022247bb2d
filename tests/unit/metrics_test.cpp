// Classification metrics against hand-computed values (a small binary case: accuracy,
// precision, recall, F1, ROC-AUC by pair counting), the majority-class rate and the
// "learned nothing" judgement `senti train` warns with.
#include <gtest/gtest.h>

#include "train/metrics.h"

using namespace senti::train;

TEST(Metrics, BinaryFiguresMatchHandCounts) {
  // P(label 1) for 6 examples; labels 0,0,0,1,1,1. Predicted (threshold 0.5): 0,1,0,1,0,1.
  const std::vector<float> p1 = {0.1f, 0.6f, 0.3f, 0.8f, 0.4f, 0.9f};
  const std::vector<int32_t> y = {0, 0, 0, 1, 1, 1};
  std::vector<float> probs;
  for (float p : p1) probs.insert(probs.end(), {1 - p, p});
  Metrics m = compute_metrics(probs, y, 2);
  EXPECT_EQ(m.n, 6u);
  EXPECT_NEAR(m.accuracy, 4.0 / 6, 1e-12);
  EXPECT_NEAR(m.precision, 2.0 / 3, 1e-12);  // of label 1: TP 2, FP 1
  EXPECT_NEAR(m.recall, 2.0 / 3, 1e-12);     // TP 2, FN 1
  EXPECT_NEAR(m.f1, 2.0 / 3, 1e-12);
  // ROC-AUC: of the 9 (positive, negative) pairs, those ranked right: 0.8 > all 3, 0.9 > all 3,
  // 0.4 > 0.1 and 0.3 (not 0.6): 8 of 9.
  EXPECT_NEAR(m.roc_auc, 8.0 / 9, 1e-9);
  EXPECT_EQ(m.confusion, (std::vector<std::vector<int64_t>>{{2, 1}, {1, 2}}));
  EXPECT_NEAR(majority_rate(m), 0.5, 1e-12);
  EXPECT_FALSE(learned_nothing(m));
}

TEST(Metrics, AlwaysTheFrequentLabelLearnedNothing) {
  // 8 of 10 examples are label 0 and the model always says 0: 80 % accuracy, F1 0.
  std::vector<float> probs;
  std::vector<int32_t> y;
  for (int i = 0; i < 10; ++i) {
    probs.insert(probs.end(), {0.7f, 0.3f});
    y.push_back(i < 8 ? 0 : 1);
  }
  Metrics m = compute_metrics(probs, y, 2);
  EXPECT_NEAR(m.accuracy, 0.8, 1e-12);
  EXPECT_NEAR(majority_rate(m), 0.8, 1e-12);
  EXPECT_TRUE(learned_nothing(m));
  Metrics empty;
  EXPECT_FALSE(learned_nothing(empty));  // no validation: nothing to judge
}
