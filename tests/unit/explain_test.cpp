// Explanations on the tiny fixture models: quadrature, word grouping, IG completeness, the
// log-odds gradient against finite differences, occlusion against the inference engine,
// symmetry between the two labels of a binary model, batching invariance and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "explain/quadrature.h"
#include "explain/words.h"
#include "model/trainable.h"
#include "senti/classifier.h"
#include "senti/explainer.h"
#include "test_util.h"
#include "text/tokenizer.h"
#include "util/error.h"

using namespace senti;

namespace {
std::string model_dir(const std::string& name) { return test::source_dir() + "/tests/fixtures/models/" + name; }

const std::vector<std::string> kTexts = {
    "this movie was great , i loved it and the acting was wonderful",
    "a boring , terrible film . a waste of time and money",
    "not very good but not bad either",
    "the plot was awful but the music was the best ever",
};

double sum_tokens(const Explanation& e) {
  double s = 0;
  for (const auto& t : e.tokens) s += t.score;
  return s;
}

double log_odds(const std::vector<float>& z, size_t t) {
  double mx = -INFINITY, sum = 0;
  for (size_t j = 0; j < z.size(); ++j)
    if (j != t) mx = std::max(mx, double(z[j]));
  for (size_t j = 0; j < z.size(); ++j)
    if (j != t) sum += std::exp(z[j] - mx);
  return z[t] - mx - std::log(sum);
}
}  // namespace

TEST(Quadrature, GaussLegendreIsExactForPolynomialsOfDegree2nMinus1) {
  for (int n : {1, 2, 3, 5, 8, 16, 32, 64}) {
    const auto nodes = explain::gauss_legendre(n);
    ASSERT_EQ(nodes.size(), size_t(n));
    double wsum = 0;
    for (size_t i = 0; i < nodes.size(); ++i) {
      wsum += nodes[i].weight;
      EXPECT_GT(nodes[i].alpha, 0.0);
      EXPECT_LT(nodes[i].alpha, 1.0);
      if (i) {
        EXPECT_GT(nodes[i].alpha, nodes[i - 1].alpha);
      }
    }
    EXPECT_NEAR(wsum, 1.0, 1e-12) << n;
    for (int k = 0; k <= 2 * n - 1; ++k) {  // ∫₀¹ a^k da = 1/(k+1)
      double q = 0;
      for (const auto& nd : nodes) q += nd.weight * std::pow(nd.alpha, k);
      EXPECT_NEAR(q, 1.0 / (k + 1), 1e-12) << "n=" << n << " k=" << k;
    }
  }
  EXPECT_THROW(explain::gauss_legendre(0), Error);
}

TEST(Words, PiecesJoinTheirWordAndSpansPointIntoTheText) {
  // "[CLS] un ##believ ##able , it's [SEP]" with byte and code-point offsets as the tokenizer
  // gives them; "'" and "s" stay separate words (the pre-tokenizer split them).
  text::Encoding e;
  e.push(2, 0, true, {0, 0}, {0, 0});
  e.push(10, 0, false, {0, 2}, {0, 2});
  e.push(11, 0, false, {2, 7}, {2, 7});
  e.push(12, 0, false, {7, 11}, {7, 11});
  e.push(13, 0, false, {11, 12}, {11, 12});
  e.push(14, 0, false, {13, 15}, {13, 15});
  e.push(15, 0, false, {15, 16}, {15, 16});
  e.push(16, 0, false, {16, 17}, {16, 17});
  e.push(3, 0, true, {0, 0}, {0, 0});
  const std::vector<std::string> pieces = {"[CLS]", "un", "##believ", "##able", ",", "it", "'", "s", "[SEP]"};
  const auto words = explain::group_words(e, pieces, "##");
  ASSERT_EQ(words.size(), 5u);
  EXPECT_EQ(words[0].first, 1u);
  EXPECT_EQ(words[0].last, 4u);
  EXPECT_EQ(words[0].cp_end, 11u);
  EXPECT_EQ(words[1].first, 4u);
  EXPECT_EQ(words[4].byte_begin, 16u);
  // A "##" piece that does not touch the previous one starts a word of its own.
  e.byte_offsets[2] = {3, 7};
  EXPECT_EQ(explain::group_words(e, pieces, "##").size(), 6u);
}

TEST(Explainer, IntegratedGradientsAreCompleteAtTheDefaultSteps) {
  for (const char* name : {"tiny-2label", "odd-3label"}) {
    auto ex = Explainer::load(model_dir(name), {1});
    for (const auto& text : kTexts) {
      const Explanation e = ex->explain(text);
      const double diff = e.log_odds - e.baseline_log_odds;
      EXPECT_NEAR(sum_tokens(e) - diff, e.delta, 1e-6);
      EXPECT_LE(std::abs(e.delta), 0.05 * std::abs(diff) + 1e-7) << name << ": " << text;
      EXPECT_GE(e.steps, 32);
      EXPECT_EQ(e.label, e.predicted);
    }
  }
}

TEST(Explainer, StepsDoubleUntilTheCompletenessGapIsWithinTolerance) {
  auto ex = Explainer::load(model_dir("tiny-2label"), {1});
  ExplainOptions fixed;
  fixed.steps = 2;
  fixed.tolerance = 0;  // exactly the steps asked for
  const Explanation a = ex->explain(kTexts[0], fixed);
  EXPECT_EQ(a.steps, 2);
  ExplainOptions strict = fixed;
  strict.tolerance = 1e-4;
  strict.max_steps = 64;
  const Explanation b = ex->explain(kTexts[0], strict);
  EXPECT_GT(b.steps, 2);
  EXPECT_LE(b.steps, 64);
  const double diff = b.log_odds - b.baseline_log_odds;
  EXPECT_TRUE(std::abs(b.delta) <= 1e-4 * std::abs(diff) || b.steps == 64) << b.steps << " " << b.delta;
  EXPECT_LT(std::abs(b.delta), std::abs(a.delta));
  strict.tolerance = 1e-12;  // unreachable: stops at max_steps
  EXPECT_EQ(ex->explain(kTexts[0], strict).steps, 64);
}

TEST(Explainer, GradientTimesInputIsTheDirectionalDerivativeOfTheLogOdds) {
  // sum_t x_t · d f / d x_t = d/dε f((1 + ε) x) at ε = 0, by central differences on the
  // model's own forward pass with the embedding output replaced.
  auto ex = Explainer::load(model_dir("tiny-2label"), {1});
  auto m = model::TrainableDistilBert::from_checkpoint(model_dir("tiny-2label"), {}, 0);
  const auto tok = text::Tokenizer::from_path(model_dir("tiny-2label"));
  for (const auto& text : kTexts) {
    ExplainOptions o;
    o.method = ExplainMethod::kGradientTimesInput;
    const Explanation e = ex->explain(text, o);
    const size_t target = e.label == "POSITIVE" ? 1 : 0;
    const text::Encoding enc = tok.encode(text);
    std::vector<int32_t> ids(enc.ids.begin(), enc.ids.end());
    std::vector<float> x;
    m->embedding_output({ids}, x);
    // GxI attributes special tokens too; the public tokens list leaves them out, so add them.
    model::TrainBatch batch{{ids}, {int32_t(target)}, {}, {}};
    auto f = [&](double eps) {
      std::vector<float> xe(x), grad, lg;
      for (auto& v : xe) v = static_cast<float>(v * (1 + eps));
      m->embedding_gradient(batch, &xe, grad, &lg);
      return log_odds(lg, target);
    };
    std::vector<float> grad, lg;
    m->embedding_gradient(batch, nullptr, grad, &lg);
    const double p = 1 / (1 + std::exp(-log_odds(lg, target)));
    double specials = 0;
    const int64_t D = m->config().dim;
    for (size_t t = 0; t < ids.size(); ++t)
      if (enc.special_tokens_mask[t])
        for (int64_t d = 0; d < D; ++d) specials += x[t * D + d] * -grad[t * D + d] / (1 - p);
    const double h = 1e-3;
    const double fd = (f(h) - f(-h)) / (2 * h);
    EXPECT_NEAR(sum_tokens(e) + specials, fd, 2e-3 * std::max(1.0, std::abs(fd))) << text;
  }
}

TEST(Explainer, OcclusionMatchesTheInferenceEngineWithTheWordRemoved) {
  auto ex = Explainer::load(model_dir("odd-3label"), {1});
  auto clf = Classifier::load(model_dir("odd-3label"), {1});
  const auto tok = text::Tokenizer::from_path(model_dir("odd-3label"));
  const std::string text = kTexts[3];
  ExplainOptions o;
  o.method = ExplainMethod::kOcclusion;
  const Explanation e = ex->explain(text, o);
  const text::Encoding enc = tok.encode(text);
  const auto& labels = ex->labels();
  const size_t target = std::find(labels.begin(), labels.end(), e.label) - labels.begin();
  TokenizedText full;
  full.windows = {std::vector<int32_t>(enc.ids.begin(), enc.ids.end())};
  const double f = log_odds(clf->logits({&full})[0], target);
  EXPECT_NEAR(f, e.log_odds, 1e-4);
  ASSERT_EQ(e.words.size(), enc.size() - 2);  // one piece per word in this vocabulary
  for (size_t w = 0; w < e.words.size(); ++w) {
    TokenizedText without;
    std::vector<int32_t> ids(enc.ids.begin(), enc.ids.end());
    ids.erase(ids.begin() + 1 + static_cast<std::ptrdiff_t>(w));
    without.windows = {ids};
    EXPECT_NEAR(e.words[w].score, f - log_odds(clf->logits({&without})[0], target), 1e-4) << e.words[w].word;
  }
}

TEST(Explainer, TheOtherLabelOfABinaryModelGetsTheOppositeScores) {
  auto ex = Explainer::load(model_dir("tiny-2label"), {1});
  for (ExplainMethod m : {ExplainMethod::kIntegratedGradients, ExplainMethod::kGradientTimesInput, ExplainMethod::kOcclusion}) {
    ExplainOptions a, b;
    a.method = b.method = m;
    a.label = "POSITIVE";
    b.label = "negative";  // labels match ignoring case
    const Explanation ea = ex->explain(kTexts[0], a), eb = ex->explain(kTexts[0], b);
    EXPECT_EQ(eb.label, "NEGATIVE");
    EXPECT_NEAR(ea.score + eb.score, 1.0, 1e-6);
    ASSERT_EQ(ea.words.size(), eb.words.size());
    for (size_t i = 0; i < ea.words.size(); ++i)
      EXPECT_NEAR(ea.words[i].score, -eb.words[i].score, 1e-4 * (1 + std::abs(ea.words[i].score)))
          << explain_method_name(m) << " " << ea.words[i].word;
  }
}

TEST(Explainer, BatchingTheStepsChangesNothing) {
  auto ex = Explainer::load(model_dir("tiny-2label"), {1});
  ExplainOptions one_at_a_time;
  one_at_a_time.max_batch_tokens = 1;  // one IG step per forward/backward pass
  const Explanation a = ex->explain(kTexts[1]), b = ex->explain(kTexts[1], one_at_a_time);
  ASSERT_EQ(a.tokens.size(), b.tokens.size());
  for (size_t i = 0; i < a.tokens.size(); ++i) EXPECT_NEAR(a.tokens[i].score, b.tokens[i].score, 1e-5);
}

TEST(Explainer, SpansPointIntoTheOriginalTextAndTruncationIsReported) {
  auto ex = Explainer::load(model_dir("tiny-2label"), {1});
  const std::string text = "  Wonderful   MOVIE!\tI loved it — a great plot, café-style. ";
  const Explanation e = ex->explain(text);
  ASSERT_FALSE(e.words.empty());
  std::u32string cps;  // code points, to check the code-point spans
  for (size_t i = 0; i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) cps.push_back(U'x');
  for (const auto& w : e.words) {
    EXPECT_EQ(text.substr(w.byte_start, w.byte_end - w.byte_start), w.word);
    EXPECT_LT(w.start, w.end);
    EXPECT_LE(w.end, cps.size());
  }
  EXPECT_EQ(e.words[0].word, "Wonderful");
  EXPECT_EQ(e.words[0].start, 2u);
  EXPECT_EQ(e.truncated, 0u);
  // Words after the UTF-8 dash: code points lag bytes by 2 (the dash is 3 bytes).
  for (const auto& w : e.words) {
    if (w.word == "great") {
      EXPECT_EQ(w.byte_start - w.start, 2u);
    }
  }

  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "great movie . ";
  ExplainOptions o;
  o.max_length = 20;
  const Explanation t = ex->explain(long_text, o);
  EXPECT_EQ(t.tokens.size(), 18u);
  EXPECT_EQ(t.truncated, 300u - 18u);
  EXPECT_LE(std::abs(t.delta), 0.05 * std::abs(t.log_odds - t.baseline_log_odds) + 1e-7);
}

TEST(Explainer, ErrorsNameTheProblem) {
  auto ex = Explainer::load(model_dir("tiny-2label"), {1});
  ExplainOptions o;
  o.label = "NEUTRAL";
  try {
    ex->explain("great", o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("NEGATIVE, POSITIVE"), std::string::npos) << e.what();
  }
  o.label.clear();
  o.steps = 0;
  EXPECT_THROW(ex->explain("great", o), Error);
  try {
    Explainer::load(model_dir("tiny-mlm"), {1});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sequence-classification head"), std::string::npos) << e.what();
  }
  // A text with no words: nothing to attribute, no crash.
  const Explanation empty = ex->explain("   ");
  EXPECT_TRUE(empty.words.empty());
  EXPECT_EQ(empty.delta, 0.0);
}
