// Kernels against plain references: oneDNN linear layers with each epilogue, LayerNorm,
// softmax, the vectorized exp, and packed attention against a direct computation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "kernels/attention.h"
#include "kernels/convert.h"
#include "kernels/dense.h"
#include "test_util.h"
#include "kernels/linear.h"
#include "kernels/ops.h"
#include "tensor/tensor.h"

using namespace senti;
using namespace senti::kernels;

namespace {
using senti::test::randn;
Tensor tensor(std::vector<int64_t> shape, const std::vector<float>& v) {
  Tensor t(shape);
  std::copy(v.begin(), v.end(), t.mutable_data());
  return t;
}
}  // namespace

TEST(Kernels, LinearMatchesTheReferenceForEveryEpilogueAndRowCount) {
  const int64_t in = 37, out = 53;
  auto w = randn(in * out, 1, 0.2f), b = randn(out, 2);
  Linear lin(tensor({out, in}, w), tensor({out}, b));
  for (int64_t m : {1, 7, 64, 65, 100}) {
    const int64_t mp = padded_rows(m);
    auto x = randn(mp * in, 3 + m);
    std::vector<float> ref(m * out), y(mp * out), resid = randn(mp * out, 99);
    linear_reference(x.data(), m, w.data(), b.data(), in, out, ref.data());
    for (Epilogue e : {Epilogue::kNone, Epilogue::kRelu, Epilogue::kGeluErf, Epilogue::kGeluTanh, Epilogue::kResidual}) {
      y = resid;
      lin.forward(x.data(), m, y.data(), e);
      for (int64_t i = 0; i < m * out; ++i) {
        float r = ref[i];
        if (e == Epilogue::kRelu) relu(&r, 1);
        if (e == Epilogue::kGeluErf) gelu_erf(&r, 1);
        if (e == Epilogue::kGeluTanh) gelu_tanh(&r, 1);
        if (e == Epilogue::kResidual) r += resid[i];
        ASSERT_NEAR(y[i], r, 1e-5f + 1e-5f * std::fabs(r)) << "m=" << m << " epilogue=" << static_cast<int>(e);
      }
    }
  }
}

// A row's f32 result has the same bits whatever the number of rows beside it (batched equals
// single, to the bit, on every CPU: AVX2's sgemm sums tails of 1-3 rows in another order, which
// padded_rows keeps out of the way). Shapes of the shipped model and of the test fixtures.
TEST(Kernels, LinearRowResultsDoNotDependOnTheRowCount) {
  for (auto [in, out] : {std::pair<int64_t, int64_t>{256, 768}, {36, 108}, {1024, 256}, {36, 3}}) {
    auto w = randn(in * out, 5, 0.2f), b = randn(out, 6);
    Linear lin(tensor({out, in}, w), tensor({out}, b));
    const int64_t all = 300;
    auto x = randn(padded_rows(all) * in, 7);
    std::vector<float> want(padded_rows(all) * out);
    lin.forward(x.data(), all, want.data());
    for (int64_t m : {1, 2, 3, 5, 7, 8, 13, 32, 45, 97, 200}) {
      std::vector<float> y(padded_rows(m) * out);
      lin.forward(x.data(), m, y.data());
      for (int64_t i = 0; i < m * out; ++i)
        ASSERT_EQ(y[i], want[i]) << in << "x" << out << " m=" << m << " row " << i / out << " col " << i % out;
    }
  }
}

// What this CPU can run, and how the probe relates to the speed check.
TEST(Kernels, ComputeTypesAvailableHereAreKnown) {
  EXPECT_TRUE(compute_type_available(ComputeType::kF32));
  EXPECT_TRUE(compute_type_available(ComputeType::kInt8));  // oneDNN runs u8·s8 on any x86-64 it supports
  for (ComputeType t : {ComputeType::kF32, ComputeType::kBf16, ComputeType::kInt8})
    if (compute_type_supported(t)) {
      EXPECT_TRUE(compute_type_available(t)) << compute_type_name(t);
    }
  EXPECT_TRUE(compute_type_available(best_compute_type()));
  std::printf("  bf16 %s on this CPU\n", compute_type_available(ComputeType::kBf16) ? "available" : "not available");
  for (int64_t m : {1, 11, 12, 13, 96, 97, 240, 241})
    EXPECT_TRUE(padded_rows(m) >= m && padded_rows(m) % 12 == 0 && (m <= 96 || padded_rows(m) % 48 == 0)) << m;
}

namespace {
double norm_rel_error(const float* y, const float* ref, int64_t n) {
  double d = 0, r = 0;
  for (int64_t i = 0; i < n; ++i) {
    d += (static_cast<double>(y[i]) - ref[i]) * (static_cast<double>(y[i]) - ref[i]);
    r += static_cast<double>(ref[i]) * ref[i];
  }
  return std::sqrt(d / std::max(r, 1e-30));
}
double norm_rel_error(const std::vector<float>& y, const std::vector<float>& ref) {
  EXPECT_EQ(y.size(), ref.size());
  return norm_rel_error(y.data(), ref.data(), static_cast<int64_t>(std::min(y.size(), ref.size())));
}
}  // namespace

// bf16 and int8 against the exact product, for every epilogue, for row counts on both sides of
// int8's 256-row blocks: the error relative to the output's norm stays within what the format's
// rounding allows (bf16: 8 significant bits; int8: 255 levels per activation row, 127 per
// weight row), and each row's result does not depend on the other rows of the batch.
TEST(Kernels, LinearInBf16AndInt8StaysCloseToTheExactProduct) {
  const int64_t in = 96, out = 80;
  auto w = randn(in * out, 11, 0.2f), b = randn(out, 12);
  for (ComputeType type : {ComputeType::kBf16, ComputeType::kInt8}) {
    if (!compute_type_available(type)) {
      std::printf("  %s: not available on this CPU (needs AVX-512), not checked here\n", compute_type_name(type));
      continue;
    }
    Linear lin(tensor({out, in}, w), tensor({out}, b), type);
    EXPECT_EQ(lin.compute_type(), type);
    const double tolerance = type == ComputeType::kBf16 ? 8e-3 : 2e-2;
    double worst = 0;
    for (int64_t m : {1, 7, 65, 256, 300, 600}) {
      const int64_t mp = padded_rows(m);
      auto x = randn(mp * in, 13 + m);
      std::vector<float> ref(m * out), y(mp * out), resid = randn(mp * out, 98);
      linear_reference(x.data(), m, w.data(), b.data(), in, out, ref.data());
      for (Epilogue e : {Epilogue::kNone, Epilogue::kRelu, Epilogue::kGeluErf, Epilogue::kGeluTanh, Epilogue::kResidual}) {
        std::vector<float> want = ref;
        if (e == Epilogue::kRelu) relu(want.data(), m * out);
        if (e == Epilogue::kGeluErf) gelu_erf(want.data(), m * out);
        if (e == Epilogue::kGeluTanh) gelu_tanh(want.data(), m * out);
        if (e == Epilogue::kResidual)
          for (int64_t i = 0; i < m * out; ++i) want[i] += resid[i];
        y = resid;
        lin.forward(x.data(), m, y.data(), e);
        const double err = norm_rel_error(y.data(), want.data(), m * out);
        worst = std::max(worst, err);
        EXPECT_LT(err, tolerance) << compute_type_name(type) << " m=" << m << " epilogue=" << static_cast<int>(e);
        if (type == ComputeType::kInt8 && m > 1) {  // the last row alone gives the same bits
          std::vector<float> one(out);
          std::copy(resid.begin() + (m - 1) * out, resid.begin() + m * out, one.begin());
          lin.forward(x.data() + (m - 1) * in, 1, one.data(), e);
          for (int64_t o = 0; o < out; ++o) ASSERT_EQ(one[o], y[(m - 1) * out + o]) << "m=" << m << " o=" << o;
        }
      }
    }
    std::printf("  %s: worst relative error %.2e (bound %.0e)\n", compute_type_name(type), worst, tolerance);
  }
}

TEST(Kernels, ActivationRowsQuantizeToU8WithAnExactZero) {
  const int64_t cols = 37;
  std::vector<float> x = randn(3 * cols, 21, 2.f);
  for (int64_t c = 0; c < cols; ++c) x[cols + c] = std::fabs(x[cols + c]);  // row 1: no negative value
  for (int64_t c = 0; c < cols; ++c) x[2 * cols + c] = 0.f;                 // row 2: all zero
  x[5] = 0.f;
  std::vector<uint8_t> q(x.size());
  float scale[3];
  int32_t zp[3];
  quantize_rows_u8(x.data(), 3, cols, q.data(), scale, zp);
  EXPECT_EQ(q[5], zp[0]);  // 0 is represented exactly
  EXPECT_EQ(zp[1], 0);
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const float back = scale[r] * static_cast<float>(q[r * cols + c] - zp[r]);
      ASSERT_NEAR(back, x[r * cols + c], 0.5f * scale[r] * 1.0001f) << "row " << r << " col " << c;
    }
  EXPECT_EQ(parse_compute_type("int8"), ComputeType::kInt8);
  EXPECT_EQ(parse_compute_type("bf16"), ComputeType::kBf16);
  EXPECT_EQ(parse_compute_type("f32"), ComputeType::kF32);
  EXPECT_FALSE(parse_compute_type("int4").has_value());
  EXPECT_TRUE(compute_type_supported(ComputeType::kF32));
  EXPECT_TRUE(compute_type_supported(best_compute_type()));
}

TEST(Kernels, ExpApproxIsAccurate) {
  double worst = 0;
  for (float x = -87.f; x < 88.f; x += 0.0137f) worst = std::max(worst, std::fabs(exp_approx(x) / std::exp(double(x)) - 1));
  EXPECT_LT(worst, 3e-7);
  EXPECT_EQ(exp_approx(-1000.f), exp_approx(-87.33654f));  // clamped, no NaN
}

TEST(Kernels, ErfApproxIsAccurate) {
  double worst = 0;
  for (float x = -6.f; x < 6.f; x += 0.00123f) worst = std::max(worst, std::fabs(erf_approx(x) - std::erf(double(x))));
  EXPECT_LT(worst, 1e-6);  // 4.6e-7 with FMA (-march=native), 5.5e-7 without
  EXPECT_EQ(erf_approx(-100.f), -1.f);
  EXPECT_EQ(erf_approx(100.f), 1.f);
  // The vectorized GELU and its derivative (16-lane blocks and the scalar tail) against libm.
  std::vector<float> x(1003), y, dx(x.size()), ones(x.size(), 1.f);
  for (size_t i = 0; i < x.size(); ++i) x[i] = -8.f + 16.f * static_cast<float>(i) / static_cast<float>(x.size());
  y = x;
  gelu_erf(y.data(), static_cast<int64_t>(y.size()));
  gelu_erf_backward(x.data(), ones.data(), dx.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i], cdf = 0.5 * (1 + std::erf(v / std::sqrt(2.0)));
    EXPECT_NEAR(y[i], v * cdf, 5e-6) << v;
    EXPECT_NEAR(dx[i], cdf + v * std::exp(-0.5 * v * v) / std::sqrt(2 * M_PI), 5e-6) << v;
  }
}

TEST(Kernels, Bf16DenseLayersMatchF32WithinBf16Rounding) {
  if (!compute_type_available(ComputeType::kBf16)) GTEST_SKIP() << "bf16 is not available on this CPU (needs AVX-512)";
  // Forward and backward (dx, dW, db), with strided input/output rows as Q/K/V use them, in
  // bf16 mixed precision against f32: relative error of a few bf16 ulps (2^-8) of the norm.
  const int64_t m = 37, in = 48, out = 40, ldx = 64, ldy = 3 * out;
  auto x = randn(static_cast<size_t>(m * ldx), 1), w = randn(static_cast<size_t>(out * in), 2, 0.1f),
       b = randn(static_cast<size_t>(out), 3), dy = randn(static_cast<size_t>(m * ldy), 4);
  const DenseShape s{m, in, out, ldx, ldy};
  struct Out { std::vector<float> y, dx, dw, db; };
  auto run = [&](MatmulPrecision p) {
    set_training_matmul(p);
    Out o{std::vector<float>(static_cast<size_t>(m * ldy), 0.f), std::vector<float>(static_cast<size_t>(m * ldx), 1.f),
          std::vector<float>(static_cast<size_t>(out * in), 0.5f), std::vector<float>(static_cast<size_t>(out), 0.f)};
    dense_forward(x.data(), w.data(), b.data(), s, o.y.data());
    dense_backward(dy.data(), x.data(), w.data(), s, o.dx.data(), /*accumulate_dx=*/true, o.dw.data(), o.db.data());
    set_training_matmul(MatmulPrecision::kF32);
    return o;
  };
  const Out f = run(MatmulPrecision::kF32), h = run(MatmulPrecision::kBf16);
  EXPECT_LT(norm_rel_error(h.y, f.y), 1e-2);
  EXPECT_GT(norm_rel_error(h.y, f.y), 0.0);  // bf16 really ran
  EXPECT_LT(norm_rel_error(h.dx, f.dx), 1e-2);
  EXPECT_LT(norm_rel_error(h.dw, f.dw), 1e-2);
  EXPECT_LT(norm_rel_error(h.db, f.db), 1e-6);  // a plain f32 sum either way
  for (int64_t i = 0; i < m; ++i)      // the gaps between strided rows are untouched
    for (int64_t o = out; o < ldy; ++o) EXPECT_EQ(h.y[i * ldy + o], 0.f);
}

// Token counts change every training step. The bf16 products cut them into blocks padded to a few
// sizes: over many different counts (and blocks longer than one piece, in rows and in the inner
// dimension) the results stay within bf16 rounding of f32 and the compiled primitives stop growing.
TEST(Kernels, Bf16DenseLayersKeepABoundedSetOfPrimitivesAcrossTokenCounts) {
  if (!compute_type_available(ComputeType::kBf16)) GTEST_SKIP() << "bf16 is not available on this CPU (needs AVX-512)";
  const int64_t in = 32, out = 24, max_m = 2200;
  auto x = randn(static_cast<size_t>(max_m * in), 11), w = randn(static_cast<size_t>(out * in), 12, 0.1f),
       dy = randn(static_cast<size_t>(max_m * out), 13);
  auto step = [&](int64_t m, MatmulPrecision p) {
    set_training_matmul(p);
    const DenseShape s{m, in, out};
    std::vector<float> y(static_cast<size_t>(m * out)), dx(static_cast<size_t>(m * in), 0.25f),
        dw(static_cast<size_t>(out * in), 0.5f);
    dense_forward(x.data(), w.data(), nullptr, s, y.data());
    dense_backward(dy.data(), x.data(), w.data(), s, dx.data(), /*accumulate_dx=*/true, dw.data(), nullptr);
    set_training_matmul(MatmulPrecision::kF32);
    return std::vector<std::vector<float>>{y, dx, dw};
  };
  const uint64_t before = training_matmul_cache_stats().created;  // earlier tests on this thread
  uint64_t after_warmup = 0;
  int counts = 0;
  for (int round = 0; round < 2; ++round) {
    for (int64_t m = 1; m <= max_m; m += 17) {
      counts += round == 0;
      const auto h = step(m, MatmulPrecision::kBf16), f = step(m, MatmulPrecision::kF32);
      for (size_t i = 0; i < h.size(); ++i) ASSERT_LT(norm_rel_error(h[i], f[i]), 1e-2) << "m " << m << ", output " << i;
    }
    if (round == 0) after_warmup = training_matmul_cache_stats().created - before;
  }
  const MatmulCacheStats st = training_matmul_cache_stats();
  EXPECT_GT(after_warmup, 0u);
  // At most 22 padded sizes per block (16..128 by 16, 192..1024 by 64), each written to C or to
  // scratch, for 3 products: 132, against one per product and token count (390) without padding.
  EXPECT_LE(after_warmup, 132u);
  EXPECT_LE(st.cached, st.capacity);
  // The second pass over the same 80 token counts found every shape compiled already.
  EXPECT_EQ(st.created - before, after_warmup);
  std::printf("  bf16 primitives for 3 products x %d token counts: %zu made\n", counts, static_cast<size_t>(after_warmup));
}

TEST(Kernels, SoftmaxAndLayerNormMatchDirectFormulas) {
  for (int64_t n : {1, 5, 16, 33, 128}) {
    auto x = randn(3 * n, 7, 3.f);
    auto y = x;
    softmax_rows(y.data(), 3, n);
    for (int64_t r = 0; r < 3; ++r) {
      double mx = -1e30, sum = 0;
      for (int64_t i = 0; i < n; ++i) mx = std::max(mx, double(x[r * n + i]));
      for (int64_t i = 0; i < n; ++i) sum += std::exp(x[r * n + i] - mx);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_NEAR(y[r * n + i], std::exp(x[r * n + i] - mx) / sum, 1e-6);
    }
  }
  const int64_t d = 50;
  auto x = randn(2 * d, 8, 2.f), g = randn(d, 9), b = randn(d, 10);
  std::vector<float> y(2 * d);
  layernorm_forward(x.data(), g.data(), b.data(), 2, d, 1e-12f, y.data());
  for (int64_t r = 0; r < 2; ++r) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < d; ++i) mean += x[r * d + i];
    mean /= d;
    for (int64_t i = 0; i < d; ++i) var += (x[r * d + i] - mean) * (x[r * d + i] - mean);
    var /= d;
    for (int64_t i = 0; i < d; ++i)
      ASSERT_NEAR(y[r * d + i], (x[r * d + i] - mean) / std::sqrt(var + 1e-12) * g[i] + b[i], 1e-5);
  }
}

// The bf16 attention of the reduced-precision compute types against the f32 one, on sequences
// of several lengths (each length builds its own cached primitives): within bf16 rounding.
TEST(Kernels, Bf16AttentionStaysCloseToF32Attention) {
  if (!compute_type_available(ComputeType::kBf16)) GTEST_SKIP() << "bf16 is not available on this CPU (needs AVX-512)";
  const int64_t dim = 48, heads = 4;
  std::vector<SequenceSpan> seqs = {{0, 5}, {5, 1}, {6, 33}, {39, 17}};
  const int64_t T = 56;
  auto qkv = randn(T * 3 * dim, 12);
  std::vector<float> want(T * dim), got(T * dim, -1.f);
  attention_forward(qkv.data(), seqs, dim, heads, want.data());
  attention_forward_bf16(qkv.data(), seqs, dim, heads, got.data());
  const double err = norm_rel_error(got.data(), want.data(), T * dim);
  std::printf("  bf16 attention: relative error %.2e\n", err);
  EXPECT_LT(err, 1e-2);
  attention_forward_bf16(qkv.data(), {seqs[2]}, dim, heads, got.data());  // one sequence alone: same bits
  std::vector<float> again(T * dim, -1.f);
  attention_forward_bf16(qkv.data(), seqs, dim, heads, again.data());
  for (int64_t i = seqs[2].begin * dim; i < (seqs[2].begin + seqs[2].length) * dim; ++i) ASSERT_EQ(got[i], again[i]);
}

TEST(Kernels, PackedAttentionEqualsPerSequenceDirectAttention) {
  const int64_t dim = 12, heads = 3, hd = 4;
  std::vector<SequenceSpan> seqs = {{0, 5}, {5, 1}, {6, 9}};
  const int64_t T = 15;
  auto qkv = randn(T * 3 * dim, 11);
  std::vector<float> ctx(T * dim);
  attention_forward(qkv.data(), seqs, dim, heads, ctx.data());
  for (const auto& s : seqs)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t t = 0; t < s.length; ++t) {
        std::vector<double> p(s.length);
        double mx = -1e30, sum = 0;
        for (int64_t u = 0; u < s.length; ++u) {
          double dot = 0;
          for (int64_t i = 0; i < hd; ++i)
            dot += qkv[(s.begin + t) * 3 * dim + h * hd + i] * qkv[(s.begin + u) * 3 * dim + dim + h * hd + i];
          p[u] = dot / std::sqrt(double(hd));
          mx = std::max(mx, p[u]);
        }
        for (auto& v : p) sum += (v = std::exp(v - mx));
        for (int64_t i = 0; i < hd; ++i) {
          double c = 0;
          for (int64_t u = 0; u < s.length; ++u) c += p[u] / sum * qkv[(s.begin + u) * 3 * dim + 2 * dim + h * hd + i];
          ASSERT_NEAR(ctx[(s.begin + t) * dim + h * hd + i], c, 1e-5);
        }
      }
}
