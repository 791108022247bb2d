// Finite-difference checks for every backward kernel: for a random projection r, the scalar
// L = Σ r ⊙ f(x) is differentiated numerically (central differences, in double around float
// evaluations) and compared with the kernel's analytic gradient.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "kernels/attention.h"
#include "test_util.h"
#include "kernels/dense.h"
#include "kernels/ops.h"

using namespace senti::kernels;

namespace {
using senti::test::randn;

// forward(x) -> y; analytic: the gradient of Σ r·y with respect to x.
void check(std::vector<float> x, size_t ny, const std::function<void(const std::vector<float>&, std::vector<float>&)>& forward,
           const std::vector<float>& analytic, const std::vector<float>& r, const char* what, float h = 1e-2f,
           double tol = 2e-2) {
  std::vector<float> y(ny);
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const float keep = x[i];
    x[i] = keep + h;
    forward(x, y);
    double lp = 0;
    for (size_t k = 0; k < ny; ++k) lp += double(r[k]) * y[k];
    x[i] = keep - h;
    forward(x, y);
    double lm = 0;
    for (size_t k = 0; k < ny; ++k) lm += double(r[k]) * y[k];
    x[i] = keep;
    const double numeric = (lp - lm) / (2.0 * h);
    const double err = std::fabs(numeric - analytic[i]) / (std::fabs(numeric) + std::fabs(analytic[i]) + 1e-2);
    worst = std::max(worst, err);
    ASSERT_LT(err, tol) << what << " [" << i << "] numeric " << numeric << " analytic " << analytic[i];
  }
  std::printf("  %-22s worst relative difference %.1e\n", what, worst);
}
}  // namespace

TEST(GradCheck, Dense) {
  const int64_t m = 3, in = 5, out = 4;
  auto x = randn(m * in, 1), w = randn(out * in, 2), b = randn(out, 3), r = randn(m * out, 4);
  std::vector<float> dx(m * in), dw(out * in, 0.f), db(out, 0.f);
  dense_backward(r.data(), x.data(), w.data(), {m, in, out}, dx.data(), false, dw.data(), db.data());
  check(x, m * out, [&](const std::vector<float>& xx, std::vector<float>& y) { dense_forward(xx.data(), w.data(), b.data(), {m, in, out}, y.data()); }, dx, r, "dense dx");
  check(w, m * out, [&](const std::vector<float>& ww, std::vector<float>& y) { dense_forward(x.data(), ww.data(), b.data(), {m, in, out}, y.data()); }, dw, r, "dense dW");
  check(b, m * out, [&](const std::vector<float>& bb, std::vector<float>& y) { dense_forward(x.data(), w.data(), bb.data(), {m, in, out}, y.data()); }, db, r, "dense db");
}

TEST(GradCheck, LayerNorm) {
  const int64_t rows = 3, dim = 7;
  auto x = randn(rows * dim, 5, 2.f), g = randn(dim, 6), b = randn(dim, 7), r = randn(rows * dim, 8);
  std::vector<float> y(rows * dim), mean(rows), rstd(rows), dx(rows * dim), dg(dim, 0.f), dbeta(dim, 0.f);
  layernorm_forward_train(x.data(), g.data(), b.data(), rows, dim, 1e-12f, y.data(), mean.data(), rstd.data());
  layernorm_backward(r.data(), x.data(), mean.data(), rstd.data(), g.data(), rows, dim, dx.data(), false, dg.data(), dbeta.data());
  auto fx = [&](const std::vector<float>& xx, std::vector<float>& yy) { layernorm_forward(xx.data(), g.data(), b.data(), rows, dim, 1e-12f, yy.data()); };
  check(x, rows * dim, fx, dx, r, "layernorm dx", 1e-2f);
  check(g, rows * dim, [&](const std::vector<float>& gg, std::vector<float>& yy) { layernorm_forward(x.data(), gg.data(), b.data(), rows, dim, 1e-12f, yy.data()); }, dg, r, "layernorm dgamma");
  check(b, rows * dim, [&](const std::vector<float>& bb, std::vector<float>& yy) { layernorm_forward(x.data(), g.data(), bb.data(), rows, dim, 1e-12f, yy.data()); }, dbeta, r, "layernorm dbeta");
}

TEST(GradCheck, Activations) {
  auto x = randn(20, 9, 2.f), r = randn(20, 10);
  std::vector<float> dx(20);
  gelu_erf_backward(x.data(), r.data(), dx.data(), 20);
  check(x, 20, [](const std::vector<float>& xx, std::vector<float>& y) { y = xx; gelu_erf(y.data(), 20); }, dx, r, "gelu (erf)", 1e-3f);
  gelu_tanh_backward(x.data(), r.data(), dx.data(), 20);
  check(x, 20, [](const std::vector<float>& xx, std::vector<float>& y) { y = xx; gelu_tanh(y.data(), 20); }, dx, r, "gelu (tanh)", 1e-3f);
  for (auto& v : x) if (std::fabs(v) < 0.05f) v = 0.5f;  // keep away from the kink
  relu_backward(x.data(), r.data(), dx.data(), 20);
  check(x, 20, [](const std::vector<float>& xx, std::vector<float>& y) { y = xx; relu(y.data(), 20); }, dx, r, "relu", 1e-3f);
}

TEST(GradCheck, DropoutUsesTheSameMaskForward) {
  std::vector<float> x(1000, 1.f);
  dropout_forward(x.data(), 1000, 0.25f, 42);
  std::vector<float> d(1000, 1.f);
  dropout_backward(d.data(), 1000, 0.25f, 42);
  int zeros = 0;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(x[i], d[i]);  // linear: backward applies the forward's mask and scale
    zeros += x[i] == 0.f;
    if (x[i] != 0.f) {
      EXPECT_FLOAT_EQ(x[i], 1.f / 0.75f);
    }
  }
  EXPECT_NEAR(zeros, 250, 50);
}

TEST(GradCheck, CrossEntropy) {
  const int64_t rows = 3, classes = 4;
  auto logits = randn(rows * classes, 11);
  std::vector<int32_t> labels = {0, 3, 1};
  std::vector<float> d(rows * classes), scratch(rows * classes);
  cross_entropy_forward_backward(logits.data(), labels.data(), rows, classes, d.data());
  std::vector<float> r = {1.f};
  check(logits, 1, [&](const std::vector<float>& l, std::vector<float>& y) {
    y[0] = static_cast<float>(cross_entropy_forward_backward(l.data(), labels.data(), rows, classes, scratch.data()));
  }, d, r, "cross-entropy", 1e-2f);
}

TEST(GradCheck, SoftCrossEntropy) {
  const int64_t rows = 3, classes = 4;
  auto logits = randn(rows * classes, 21);
  const std::vector<float> targets = {0.1f, 0.2f, 0.3f, 0.4f, 0.f, 0.f, 0.5f, 0.5f, 0.25f, 0.25f, 0.25f, 0.25f};
  std::vector<float> d(rows * classes), scratch(rows * classes);
  soft_cross_entropy_forward_backward(logits.data(), targets.data(), rows, classes, d.data());
  std::vector<float> r = {1.f};
  check(logits, 1, [&](const std::vector<float>& l, std::vector<float>& y) {
    y[0] = static_cast<float>(soft_cross_entropy_forward_backward(l.data(), targets.data(), rows, classes, scratch.data()));
  }, d, r, "soft cross-entropy", 1e-2f);
}

TEST(GradCheck, BinaryCrossEntropy) {
  const int64_t n = 6;
  std::vector<float> logits = randn(n, 31, 3.f);
  logits[0] = 40.f;  // far in both tails: softplus must stay finite and exact
  logits[1] = -40.f;
  const std::vector<float> labels = {0.f, 1.f, 1.f, 0.f, 1.f, 0.f};
  std::vector<float> d(n), scratch(n);
  const double loss = binary_cross_entropy_forward_backward(logits.data(), labels.data(), n, d.data());
  // Against the definition: -[y log σ(z) + (1-y) log(1-σ(z))], averaged.
  double want = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double z = logits[i], y = labels[i];
    want += y ? std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
  }
  EXPECT_NEAR(loss, want / n, 1e-9);
  EXPECT_NEAR(d[0], (1.0 - 0.0) / n, 1e-7);   // σ(40) ≈ 1, label 0
  EXPECT_NEAR(d[1], (0.0 - 1.0) / n, 1e-7);   // σ(-40) ≈ 0, label 1
  std::vector<float> r = {1.f};
  check(logits, 1, [&](const std::vector<float>& l, std::vector<float>& y) {
    y[0] = static_cast<float>(binary_cross_entropy_forward_backward(l.data(), labels.data(), n, scratch.data()));
  }, d, r, "binary cross-entropy", 1e-2f);
}

TEST(GradCheck, SoftCrossEntropyOfOneHotTargetsIsTheHardOne) {
  const int64_t rows = 3, classes = 4;
  auto logits = randn(rows * classes, 22);
  const std::vector<int32_t> labels = {2, 0, 3};
  std::vector<float> onehot(rows * classes, 0.f), d_hard(rows * classes), d_soft(rows * classes);
  for (int64_t r = 0; r < rows; ++r) onehot[r * classes + labels[r]] = 1.f;
  const double hard = cross_entropy_forward_backward(logits.data(), labels.data(), rows, classes, d_hard.data());
  const double soft = soft_cross_entropy_forward_backward(logits.data(), onehot.data(), rows, classes, d_soft.data());
  EXPECT_NEAR(soft, hard, 1e-12 * std::max(1.0, hard));
  for (int64_t i = 0; i < rows * classes; ++i) EXPECT_FLOAT_EQ(d_soft[i], d_hard[i]) << i;
}

TEST(GradCheck, Attention) {
  const int64_t dim = 8, heads = 2;
  std::vector<SequenceSpan> seqs = {{0, 3}, {3, 4}};
  const int64_t T = 7;
  auto qkv = randn(T * 3 * dim, 12), r = randn(T * dim, 13);
  int64_t total = 0;
  attention_prob_offsets(seqs, heads, &total);
  std::vector<float> ctx(T * dim), probs(total), dqkv(T * 3 * dim);
  attention_forward(qkv.data(), seqs, dim, heads, ctx.data(), probs.data());
  attention_backward(qkv.data(), probs.data(), seqs, dim, heads, r.data(), dqkv.data());
  check(qkv, T * dim, [&](const std::vector<float>& q, std::vector<float>& y) { attention_forward(q.data(), seqs, dim, heads, y.data()); },
        dqkv, r, "attention dqkv", 1e-2f);
  // With dropout: the backward regenerates the forward's mask.
  attention_forward(qkv.data(), seqs, dim, heads, ctx.data(), probs.data(), 0.3f, 7);
  attention_backward(qkv.data(), probs.data(), seqs, dim, heads, r.data(), dqkv.data(), 0.3f, 7);
  check(qkv, T * dim, [&](const std::vector<float>& q, std::vector<float>& y) { attention_forward(q.data(), seqs, dim, heads, y.data(), nullptr, 0.3f, 7); },
        dqkv, r, "attention + dropout", 1e-2f);
}

TEST(GradCheck, Embeddings) {
  const int64_t dim = 3;
  std::vector<int32_t> ids = {2, 0, 2}, pos = {0, 1, 2};
  auto word = randn(4 * dim, 14), position = randn(3 * dim, 15), r = randn(3 * dim, 16);
  std::vector<float> dword(4 * dim, 0.f), dpos(3 * dim, 0.f);
  embed_tokens_backward(r.data(), ids.data(), pos.data(), 3, dim, dword.data(), dpos.data());
  check(word, 3 * dim, [&](const std::vector<float>& w, std::vector<float>& y) { embed_tokens(ids.data(), pos.data(), 3, w.data(), position.data(), dim, y.data()); }, dword, r, "embedding (word)");
}
