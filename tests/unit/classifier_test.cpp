// The public Classifier API on a tiny golden model: options (top_k, function_to_apply,
// truncation, sliding window), invariants (batch = single, order kept) and load errors.
#include <gtest/gtest.h>

#include <cmath>

#include "senti/classifier.h"
#include "test_util.h"
#include "util/error.h"

using namespace senti;

namespace {
std::string fixture(const std::string& name) { return test::source_dir() + "/tests/fixtures/models/" + name; }
}  // namespace

TEST(Classifier, TopKAndScoreFunctions) {
  auto clf = Classifier::load(fixture("odd-3label"), {.threads = 1});
  std::vector<std::string_view> texts = {"the movie was great", "awful"};
  ClassifyOptions o;
  auto top1 = clf->classify(texts, o);
  ASSERT_EQ(top1[0].size(), 1u);
  o.top_k = -1;
  auto all = clf->classify(texts, o);
  ASSERT_EQ(all[0].size(), 3u);
  EXPECT_EQ(all[0][0].label, top1[0][0].label);
  o.function = ScoreFunction::kNone;
  auto raw = clf->classify(texts, o);
  auto logits = clf->logits(texts, o);
  float best = *std::max_element(logits[0].begin(), logits[0].end());
  EXPECT_FLOAT_EQ(raw[0][0].score, best);
  o.function = ScoreFunction::kSigmoid;
  auto sig = clf->classify(texts, o);
  EXPECT_FLOAT_EQ(sig[0][0].score, 1.f / (1.f + std::exp(-best)));
}

TEST(Classifier, BatchEqualsSingleAndKeepsOrder) {
  auto clf = Classifier::load(fixture("tiny-2label"), {.threads = 2});
  std::vector<std::string> texts;
  for (int i = 0; i < 50; ++i) texts.push_back(i % 3 ? "i loved it" : "the plot was boring and the acting was bad");
  std::vector<std::string_view> views(texts.begin(), texts.end());
  auto batch = clf->logits(views);
  for (size_t i = 0; i < texts.size(); ++i) {
    auto single = clf->logits({views[i]});
    for (size_t l = 0; l < 2; ++l) EXPECT_NEAR(batch[i][l], single[0][l], 1e-5f);
  }
}

TEST(Classifier, LongTextsAreTruncatedOrWindowedNeverACrash) {
  auto clf = Classifier::load(fixture("tiny-2label"), {.threads = 1});  // max_position_embeddings 64
  std::string long_text;
  for (int i = 0; i < 500; ++i) long_text += i % 2 ? "good " : "bad ";
  std::vector<std::string_view> t = {long_text};
  ClassifyOptions o;
  for (Truncation tr : {Truncation::kHead, Truncation::kTail, Truncation::kHeadTail}) {
    o.truncation = tr;
    EXPECT_EQ(clf->logits(t, o)[0].size(), 2u);
  }
  // A window covering the whole (short) text equals plain truncation.
  o = {};
  o.window = 64;
  o.stride = 16;
  std::vector<std::string_view> s = {"the movie was great"};
  auto w = clf->logits(s, o)[0];
  auto plain = clf->logits(s)[0];
  EXPECT_NEAR(w[0], plain[0], 1e-6f);
  // Windows over a long text average their logits.
  auto lw = clf->logits(t, o)[0];
  EXPECT_TRUE(std::isfinite(lw[0]) && std::isfinite(lw[1]));
  o.stride = 62;
  EXPECT_THROW(clf->logits(t, o), Error);
}

TEST(Classifier, LoadErrorsAreClear) {
  try {
    Classifier::load("/nonexistent");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent"), std::string::npos);
  }
  try {
    Classifier::load(fixture("tiny-mlm"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no sequence-classification head"), std::string::npos) << e.what();
  }
}

TEST(Classifier, WrongShapesAndMissingTensorsNameTheTensor) {
  std::string dir = ::testing::TempDir() + "/broken_model";
  std::system(("rm -rf " + dir + " && cp -r " + fixture("tiny-2label") + " " + dir).c_str());
  std::system(("sed -i 's/\"hidden_dim\": 64/\"hidden_dim\": 65/' " + dir + "/config.json").c_str());
  try {
    Classifier::load(dir);
    FAIL();
  } catch (const Error& e) {
    const std::string m = e.what();  // names the tensor (weight or bias of lin1) and both shapes
    EXPECT_NE(m.find("tensor 'distilbert.transformer.layer.0.ffn.lin1."), std::string::npos) << m;
    EXPECT_NE(m.find("has shape [64"), std::string::npos) << m;
    EXPECT_NE(m.find("expected [65"), std::string::npos) << m;
  }
  std::system(("sed -i 's/\"hidden_dim\": 65/\"hidden_dim\": 64/; s/\"n_layers\": 2/\"n_layers\": 3/' " + dir + "/config.json").c_str());
  try {
    Classifier::load(dir);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing tensor 'distilbert.transformer.layer.2."), std::string::npos) << e.what();
  }
}
