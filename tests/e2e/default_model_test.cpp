// The shipped model (models/default) on a fixed sample of 1,000 IMDb test reviews (the first
// 500 of each folder by file name): its accuracy must stay above a bound a little under the
// accuracy measured when it was trained, so a regression in the tokenizer, the engine or the
// weights cannot land. Also: it loads as every command's default, with NEGATIVE/POSITIVE labels.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "data/text_source.h"
#include "senti/classifier.h"
#include "test_util.h"
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

TEST(DefaultModel, AccuracyOnAFixedSampleOfTestReviews) {
  SENTI_REQUIRE_SHARED(shared);
  const std::string work = ::testing::TempDir() + "/default_model_sample";
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  ASSERT_EQ(std::system(("tar -xzf " + shared + "/data/aclImdb-labeled.tar.gz -C " + work +
                         " aclImdb/test/pos aclImdb/test/neg").c_str()), 0);
  std::vector<std::string> texts;
  std::vector<std::string> gold;
  for (const char* label : {"pos", "neg"}) {
    auto files = data::list_files(work + "/aclImdb/test/" + label, ".txt");
    std::sort(files.begin(), files.end());
    ASSERT_GE(files.size(), 500u);
    for (size_t i = 0; i < 500; ++i) {
      texts.push_back(data::clean_html_breaks(read_file(files[i])));
      gold.push_back(std::string(label) == "pos" ? "POSITIVE" : "NEGATIVE");
    }
  }
  auto clf = Classifier::load(test::source_dir() + "/models/default", {.threads = 2});
  std::vector<std::string_view> views(texts.begin(), texts.end());
  auto results = clf->classify(views);
  size_t correct = 0;
  for (size_t i = 0; i < results.size(); ++i) correct += results[i][0].label == gold[i];
  const double accuracy = static_cast<double>(correct) / static_cast<double>(texts.size());
  std::printf("  default model: accuracy %.4f on 1,000 test reviews (bound %.4f)\n", accuracy, kSampleBound);
  EXPECT_GE(accuracy, kSampleBound);
  std::filesystem::remove_all(work);
}
