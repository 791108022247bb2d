// The shipped model (models/default) on a fixed sample of 1,000 IMDb test reviews (the first
// 500 of each folder by file name): its accuracy must stay above a bound a little under the
// accuracy measured when it was trained, so a regression in the tokenizer, the engine or the
// weights cannot land. Also: it loads as every command's default, with NEGATIVE/POSITIVE labels;
// its explanations are complete (integrated gradients) and point at words a person would.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "data/text_source.h"
#include "kernels/linear.h"
#include "senti/classifier.h"
#include "senti/explainer.h"
#include "test_util.h"
#include "train/suite.h"
#include "util/error.h"
#include "util/file.h"

using namespace senti;

namespace {
// Measured on this sample when the model was trained (see models/default/README.md).
constexpr double kSampleBound = SENTI_DEFAULT_MODEL_BOUND;
}  // namespace

TEST(DefaultModel, LoadsWithSentimentLabels) {
  auto clf = Classifier::load(test::source_dir() + "/models/default", {.threads = 2});
  EXPECT_EQ(clf->info().labels, (std::vector<std::string>{"NEGATIVE", "POSITIVE"}));
  EXPECT_EQ(clf->info().weights_dtype, "F16");
  auto r = clf->classify({"A wonderful, moving film with brilliant acting. I loved it.",
                          "A dull, boring mess. The worst movie I have seen in years."});
  EXPECT_EQ(r[0][0].label, "POSITIVE");
  EXPECT_EQ(r[1][0].label, "NEGATIVE");
}

namespace {
// The first n reviews of test/pos and of test/neg by file name, with their labels.
void sample_reviews(const std::string& shared, const std::string& work, size_t n, std::vector<std::string>& texts,
                    std::vector<std::string>& gold) {
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  ASSERT_EQ(std::system(("tar -xzf " + shared + "/data/aclImdb-labeled.tar.gz -C " + work +
                         " aclImdb/test/pos aclImdb/test/neg").c_str()), 0);
  for (const char* label : {"pos", "neg"}) {
    auto files = data::list_files(work + "/aclImdb/test/" + label, ".txt");
    std::sort(files.begin(), files.end());
    ASSERT_GE(files.size(), n);
    for (size_t i = 0; i < n; ++i) {
      texts.push_back(data::clean_html_breaks(read_file(files[i])));
      gold.push_back(std::string(label) == "pos" ? "POSITIVE" : "NEGATIVE");
    }
  }
  std::filesystem::remove_all(work);
}

// Reviews with unmistakable sentiment, and the words a person would say decided them.
const std::vector<std::string> kClearReviews = {
    "This movie was wonderful, the acting was brilliant and I loved every minute of it.",
    "A boring, predictable mess. The worst film I have seen this year.",
    "An excellent film with a superb cast and a beautiful score. Highly recommended.",
    "Terrible script, awful acting, and a waste of two hours. Avoid it.",
    "One of the best movies ever made. A masterpiece.",
    "I enjoyed this great little comedy, it was funny and charming from start to finish.",
    "Dull, poorly written and badly directed. I hated it.",
};
const std::vector<std::string> kSentimentWords = {
    "wonderful", "brilliant", "loved",  "boring", "predictable", "worst", "excellent", "superb",
    "beautiful", "highly",    "terrible", "awful", "waste", "avoid", "best", "masterpiece",
    "enjoyed",   "great",     "funny",  "charming", "dull", "poorly", "badly", "hated", "mess"};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

// Each review is one-sided, so every sentiment word in it must push towards the predicted label,
// and one of the two strongest words must be a sentiment word. (Not necessarily the strongest: a
// model of this recipe can learn IMDb's correlations of function words with a label, e.g. "and"
// with POSITIVE, and the explanation then faithfully shows them; see models/default/README.md.)
TEST(DefaultModel, ExplanationsPointAtSentimentWords) {
  auto ex = Explainer::load(test::source_dir() + "/models/default", {.threads = 2});
  auto is_sentiment = [](const std::string& w) {
    return std::find(kSentimentWords.begin(), kSentimentWords.end(), lower(w)) != kSentimentWords.end();
  };
  for (const auto& text : kClearReviews) {
    const Explanation e = ex->explain(text);
    std::vector<WordAttribution> words = e.words;
    std::stable_sort(words.begin(), words.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
    ASSERT_GE(words.size(), 2u);
    EXPECT_TRUE(is_sentiment(words[0].word) || is_sentiment(words[1].word))
        << "two strongest words for " << e.label << " in \"" << text << "\": \"" << words[0].word << "\", \""
        << words[1].word << "\"";
    for (const auto& w : words) {
      if (!is_sentiment(w.word)) continue;
      EXPECT_GT(w.score, 0.f) << "\"" << w.word << "\" pushes against " << e.label << " in: " << text;
    }
    std::printf("  %s %.3f: strongest %s (%+.2f), %s (%+.2f)\n", e.label.c_str(), e.score, words[0].word.c_str(),
                words[0].score, words[1].word.c_str(), words[1].score);
  }
}

TEST(DefaultModel, IntegratedGradientsAreCompleteOnReviews) {
  std::vector<std::string> texts(kClearReviews), gold;
  if (std::string shared = test::shared_dir(); !shared.empty())
    sample_reviews(shared, ::testing::TempDir() + "/default_model_ig", 5, texts, gold);
  else
    std::printf("  ../shared is absent: checking the %zu built-in reviews only\n", texts.size());
  auto ex = Explainer::load(test::source_dir() + "/models/default", {.threads = 2});
  double worst = 0;
  for (const auto& text : texts) {
    const Explanation e = ex->explain(text);
    const double gap = std::abs(e.delta) / std::abs(e.log_odds - e.baseline_log_odds);
    worst = std::max(worst, gap);
    EXPECT_LE(gap, 0.05) << e.steps << " steps on: " << text.substr(0, 200);
  }
  std::printf("  worst completeness gap %.4f over %zu reviews\n", worst, texts.size());
}

// The compute types chosen at load (--dtype): on texts whose answer is clear, bf16 and int8 give
// f32's label with a score within 0.05 of f32's, and their weights take less memory.
TEST(DefaultModel, Bf16AndInt8AgreeWithF32OnClearTexts) {
  std::vector<std::string> texts(kClearReviews);
  for (const char* t : {"I love this movie.", "I hate this movie.", "Absolutely wonderful, a joy to watch.",
                        "A complete waste of time.", "The food was excellent and the staff were lovely.",
                        "Terrible service, cold food, never again."})
    texts.emplace_back(t);
  std::vector<std::string_view> views(texts.begin(), texts.end());
  const std::string dir = test::source_dir() + "/models/default";
  auto f32 = Classifier::load(dir, {.threads = 2});
  const auto want = f32->classify(views);
  int64_t previous_bytes = f32->info().weight_bytes;
  EXPECT_EQ(f32->info().compute_dtype, "f32");
  for (const char* dtype : {"bf16", "int8"}) {
    auto clf = Classifier::load(dir, {.threads = 2, .dtype = dtype});
    // bf16 where this CPU cannot run it (no AVX-512): f32, said so in the info.
    const bool ran = kernels::compute_type_available(*kernels::parse_compute_type(dtype));
    EXPECT_EQ(clf->info().compute_dtype, ran ? dtype : "f32");
    if (ran) {
      EXPECT_LT(clf->info().weight_bytes, previous_bytes) << dtype;
      previous_bytes = clf->info().weight_bytes;
    }
    const auto got = clf->classify(views);
    double worst = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      if (std::abs(want[i][0].score - 0.5f) < 0.1f) continue;  // not clear to this model
      EXPECT_EQ(got[i][0].label, want[i][0].label) << dtype << ": " << texts[i];
      EXPECT_NEAR(got[i][0].score, want[i][0].score, 0.05) << dtype << ": " << texts[i];
      worst = std::max(worst, static_cast<double>(std::abs(got[i][0].score - want[i][0].score)));
    }
    std::printf("  %s: worst |score - f32 score| %.4f over %zu texts; weights %.1f MB\n", dtype, worst, texts.size(),
                static_cast<double>(clf->info().weight_bytes) / 1e6);
  }
  EXPECT_THROW(Classifier::load(dir, {.threads = 2, .dtype = "int4"}), Error);
}

TEST(DefaultModel, AccuracyOnAFixedSampleOfTestReviews) {
  SENTI_REQUIRE_SHARED(shared);
  std::vector<std::string> texts, gold;
  sample_reviews(shared, ::testing::TempDir() + "/default_model_sample", 500, texts, gold);
  auto clf = Classifier::load(test::source_dir() + "/models/default", {.threads = 2});
  std::vector<std::string_view> views(texts.begin(), texts.end());
  auto results = clf->classify(views);
  size_t correct = 0;
  for (size_t i = 0; i < results.size(); ++i) correct += results[i][0].label == gold[i];
  const double accuracy = static_cast<double>(correct) / static_cast<double>(texts.size());
  std::printf("  default model: accuracy %.4f on 1,000 test reviews (bound %.4f)\n", accuracy, kSampleBound);
  EXPECT_GE(accuracy, kSampleBound);
}

// The behavioural suite (tests/behaviour/sentiment.jsonl, in the repository): every capability
// must stay at or above the floor recorded beside the model (measurements/suite_floors.json, a
// little under what the model measured), and every capability of the suite must have a floor.
TEST(DefaultModel, BehaviouralSuiteStaysAboveItsFloors) {
  const std::string model = test::source_dir() + "/models/default";
  auto floors = nlohmann::json::parse(read_file(model + "/measurements/suite_floors.json"));
  auto cases = train::read_suite(test::source_dir() + "/tests/behaviour/sentiment.jsonl");
  ASSERT_GE(cases.size(), 400u);
  auto clf = Classifier::load(model, {.threads = 2});
  train::SuiteResult r = train::run_suite(*clf, cases, {});
  ASSERT_FALSE(r.capabilities.empty());
  for (const auto& c : r.capabilities) {
    ASSERT_TRUE(floors.contains(c.name)) << "no floor for capability " << c.name;
    const double floor = floors[c.name].get<double>();
    std::printf("  %-12s %5.1f %% (floor %5.1f %%)\n", c.name.c_str(), 100 * c.rate(), 100 * floor);
    EXPECT_GE(c.rate(), floor) << c.name;
  }
}
