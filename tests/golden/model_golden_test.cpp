// DistilBERT forward pass against PyTorch: tiny random checkpoints built by
// tools/make-golden-models.py (plain torch.nn.TransformerEncoderLayer, independent of senti)
// with their hidden states and logits. Every value must match within 1e-4 relative
// (1e-5 absolute near zero); the batched (packed) run must equal single runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model/distilbert.h"
#include "senti/classifier.h"
#include "test_util.h"
#include "text/tokenizer.h"
#include "util/error.h"

using nlohmann::json;

namespace {

std::string model_dir(const std::string& name) { return senti::test::source_dir() + "/tests/fixtures/models/" + name; }

json golden(const std::string& name) {
  std::ifstream in(model_dir(name) + "/golden.json");
  return json::parse(in);
}

// Compares and reports max abs / rel error; fails on any element outside the tolerance.
void expect_close(const float* got, size_t got_size, const std::vector<float>& want, const std::string& what) {
  ASSERT_EQ(got_size, want.size()) << what << ": sizes differ";
  ASSERT_FALSE(want.empty()) << what << ": nothing to compare";
  double max_abs = 0, max_rel = 0;
  size_t bad = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    double a = got[i], b = want[i], d = std::fabs(a - b);
    max_abs = std::max(max_abs, d);
    if (std::fabs(b) > 1e-3) max_rel = std::max(max_rel, d / std::fabs(b));
    if (!(d <= 1e-5 + 1e-4 * std::fabs(b))) {
      if (++bad <= 3) ADD_FAILURE() << what << "[" << i << "]: got " << a << ", want " << b;
    }
  }
  EXPECT_EQ(bad, 0u) << what;
  std::printf("  %-28s n=%-6zu max abs err %.2e, max rel err %.2e\n", what.c_str(), want.size(), max_abs, max_rel);
}

class ModelGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelGolden, HiddenStatesAndLogitsMatchPyTorch) {
  const std::string name = GetParam();
  json g = golden(name);
  auto model = senti::model::DistilBert::load(model_dir(name));
  auto ids = g["input_ids"].get<std::vector<std::vector<int32_t>>>();
  ASSERT_FALSE(ids.empty()) << "the fixture holds no cases";
  ASSERT_EQ(g["cases"].size(), ids.size());
  const int64_t D = model->config().dim;
  // One packed batch of all texts (different lengths, one empty-ish, one truncated).
  senti::model::Workspace ws;
  const float* h = model->encode(ids, ws);
  size_t row = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto want = g["cases"][i]["hidden"].get<std::vector<float>>();
    ASSERT_EQ(want.size(), ids[i].size() * D);
    expect_close(h + row * D, ids[i].size() * D, want, name + " hidden[" + std::to_string(i) + "]");
    row += ids[i].size();
  }
  if (model->has_mlm_head()) {
    const float* m = model->mlm_logits(ws);
    size_t r = 0;
    for (size_t i = 0; i < ids.size(); ++i) {
      expect_close(m + r * model->config().vocab_size, ids[i].size() * model->config().vocab_size, g["cases"][i]["mlm_logits"].get<std::vector<float>>(),
                   name + " mlm[" + std::to_string(i) + "]");
      r += ids[i].size();
    }
  }
  if (model->has_classifier()) {
    std::vector<float> batch = model->classify(ids, ws);
    const size_t L = static_cast<size_t>(model->config().num_labels());
    for (size_t i = 0; i < ids.size(); ++i) {
      expect_close(batch.data() + i * L, L, g["cases"][i]["logits"].get<std::vector<float>>(),
                   name + " logits[" + std::to_string(i) + "]");
      // batched equals single
      std::vector<float> single = model->classify({ids[i]}, ws);
      for (size_t l = 0; l < L; ++l) EXPECT_NEAR(single[l], batch[i * L + l], 1e-5f * (1 + std::fabs(single[l])));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ModelGolden, ::testing::Values("tiny-2label", "odd-3label", "tiny-bf16", "tiny-mlm"));

// Reduced precision against PyTorch's f32 logits: bf16 and int8 stay within a stated tolerance
// (|got − want| <= 0.02 + 0.02·|want| for bf16, 0.1 + 0.05·|want| for int8, on logits of about
// ±2 from models of width 32–36, whose few channels average quantization error out less than a
// real model's; measured worst: 0.024 bf16, 0.076 int8), predict the same label wherever PyTorch's top two logits differ by more than 0.2,
// and the packed batch gives each text the same logits as a batch of one (int8 quantizes each
// token row on its own).
class ReducedPrecisionGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ReducedPrecisionGolden, Bf16AndInt8LogitsStayCloseToPyTorch) {
  const std::string name = GetParam();
  json g = golden(name);
  auto ids = g["input_ids"].get<std::vector<std::vector<int32_t>>>();
  ASSERT_FALSE(ids.empty()) << "the fixture holds no cases";
  for (auto type : {senti::kernels::ComputeType::kBf16, senti::kernels::ComputeType::kInt8}) {
    if (!senti::kernels::compute_type_available(type)) {  // bf16 on a CPU without AVX-512: a clear refusal
      try {
        senti::model::DistilBert::load(model_dir(name), type);
        ADD_FAILURE() << "loading in an unavailable compute type should fail";
      } catch (const senti::Error& e) {
        EXPECT_EQ(e.code(), senti::ErrorCode::kUnsupported) << e.what();
      }
      std::printf("  %-12s %-5s not available on this CPU: refused with a clear error\n", name.c_str(),
                  senti::kernels::compute_type_name(type));
      continue;
    }
    auto model = senti::model::DistilBert::load(model_dir(name), type);
    ASSERT_TRUE(model->has_classifier()) << name;
    const bool bf16 = type == senti::kernels::ComputeType::kBf16;
    const double abs_tol = bf16 ? 0.02 : 0.1, rel_tol = bf16 ? 0.02 : 0.05;
    senti::model::Workspace ws;
    std::vector<float> batch = model->classify(ids, ws);
    const size_t L = static_cast<size_t>(model->config().num_labels());
    double worst = 0;
    for (size_t i = 0; i < ids.size(); ++i) {
      auto want = g["cases"][i]["logits"].get<std::vector<float>>();
      for (size_t l = 0; l < L; ++l) {
        const double d = std::fabs(batch[i * L + l] - want[l]);
        worst = std::max(worst, d);
        EXPECT_LE(d, abs_tol + rel_tol * std::fabs(want[l])) << name << " " << senti::kernels::compute_type_name(type)
                                                     << " text " << i << " label " << l;
      }
      std::vector<size_t> order(L);
      for (size_t l = 0; l < L; ++l) order[l] = l;
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return want[a] > want[b]; });
      if (want[order[0]] - want[order[1]] > 0.2f) {
        const size_t got = std::max_element(batch.begin() + i * L, batch.begin() + (i + 1) * L) - (batch.begin() + i * L);
        EXPECT_EQ(got, order[0]) << name << " " << senti::kernels::compute_type_name(type) << " text " << i;
      }
      std::vector<float> single = model->classify({ids[i]}, ws);
      for (size_t l = 0; l < L; ++l) EXPECT_NEAR(single[l], batch[i * L + l], 1e-5f * (1 + std::fabs(single[l])));
    }
    std::printf("  %-12s %-5s worst |logit - PyTorch| %.4f\n", name.c_str(), senti::kernels::compute_type_name(type), worst);
  }
}

// The fixtures with a classification head.
INSTANTIATE_TEST_SUITE_P(Fixtures, ReducedPrecisionGolden, ::testing::Values("tiny-2label", "odd-3label", "tiny-bf16"));

TEST(ClassifierGolden, TextsToLabelsThroughThePublicApi) {
  for (std::string name : {"tiny-2label", "odd-3label"}) {
    json g = golden(name);
    auto texts = g["texts"].get<std::vector<std::string>>();
    auto ids = g["input_ids"].get<std::vector<std::vector<int32_t>>>();
    ASSERT_FALSE(texts.empty()) << "the fixture holds no texts";
    ASSERT_EQ(g["cases"].size(), texts.size());
    // Our tokenizer must give the ids the fixture used (whitespace split over a word vocabulary).
    auto tok = senti::text::Tokenizer::from_path(model_dir(name));
    senti::text::EncodeOptions eo;
    eo.truncation.max_length = tok.config().model_max_length;
    eo.truncation.strategy = senti::text::TruncationStrategy::kHead;
    for (size_t i = 0; i < texts.size(); ++i) ASSERT_EQ(tok.encode(texts[i], eo).ids, ids[i]) << texts[i];

    auto clf = senti::Classifier::load(model_dir(name), {.threads = 2});
    std::vector<std::string_view> views(texts.begin(), texts.end());
    senti::ClassifyOptions o;
    o.truncation = senti::Truncation::kHead;
    o.top_k = -1;
    auto lg = clf->logits(views, o);
    auto res = clf->classify(views, o);
    for (size_t i = 0; i < texts.size(); ++i) {
      expect_close(lg[i].data(), lg[i].size(), g["cases"][i]["logits"].get<std::vector<float>>(), name + " api logits");
      // softmax scores sum to 1 and come best first
      float sum = 0;
      for (const auto& ls : res[i]) sum += ls.score;
      EXPECT_NEAR(sum, 1.f, 1e-5f);
      for (size_t k = 1; k < res[i].size(); ++k) EXPECT_GE(res[i][k - 1].score, res[i][k].score);
    }
    EXPECT_EQ(clf->info().labels.size(), name == "odd-3label" ? 3u : 2u);
  }
}

}  // namespace
