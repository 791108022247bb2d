// The Trainer end to end on a tiny golden checkpoint and a synthetic dataset: freezing leaves
// frozen weights bit-identical, an interrupted and resumed run equals an uninterrupted one, the
// output folder loads back as a classifier, and the freeze specification parser.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "io/safetensors.h"
#include "senti/classifier.h"
#include "test_util.h"
#include "kernels/linear.h"
#include "train/loop.h"
#include "train/trainer.h"
#include "util/error.h"
#include "util/file.h"

using namespace senti;

namespace {
std::string fixture(const std::string& name) { return test::source_dir() + "/tests/fixtures/models/" + name; }

std::string synthetic_data() {
  std::string path = ::testing::TempDir() + "/synthetic.jsonl";
  std::ofstream out(path);
  const char* pos[] = {"great", "wonderful", "good", "fun", "best", "loved"};
  const char* neg[] = {"bad", "awful", "terrible", "boring", "worst", "hated"};
  for (int i = 0; i < 240; ++i) {
    bool p = i % 2 == 0;
    out << "{\"text\": \"the movie was " << (p ? pos[i % 6] : neg[i % 6]) << " and the acting was "
        << (p ? pos[(i / 2) % 6] : neg[(i / 2) % 6]) << "\", \"label\": \"" << (p ? "POSITIVE" : "NEGATIVE") << "\"}\n";
  }
  return path;
}

train::TrainOptions options(const std::string& out) {
  train::TrainOptions o;
  o.base_model = fixture("tiny-2label");
  o.data = synthetic_data();
  o.out_dir = out;
  o.epochs = 3;
  o.batch_size = 8;
  o.max_length = 32;
  o.adam.lr = 2e-3;
  o.freeze = *train::parse_freeze_spec("embeddings,0");
  o.threads = 2;
  o.progress = false;
  o.save_steps = 7;
  return o;
}
}  // namespace

TEST(Trainer, FreezesLearnsAndResumesExactly) {
  const std::string a = ::testing::TempDir() + "/run_a", b = ::testing::TempDir() + "/run_b";
  std::system(("rm -rf " + a + " " + b).c_str());
  train::TrainResult full = train::train(options(a));
  ASSERT_TRUE(full.finished);
  EXPECT_GT(full.best.accuracy, 0.9);  // the synthetic task is easy
  EXPECT_GT(full.frozen_forward_seconds, 0.0);

  // Frozen tensors are bit-identical to the base; trained ones moved.
  auto base = io::SafetensorsFile::open(fixture("tiny-2label") + "/model.safetensors");
  auto tuned = io::SafetensorsFile::open(a + "/model.safetensors");
  for (const char* name : {"distilbert.embeddings.word_embeddings.weight", "distilbert.transformer.layer.0.ffn.lin1.weight",
                           "distilbert.transformer.layer.1.ffn.lin1.weight"}) {
    const auto* e1 = base->find(name);
    const auto* e2 = tuned->find(name);
    ASSERT_TRUE(e1 && e2) << name;
    bool same = std::memcmp(base->bytes(*e1), tuned->bytes(*e2), e1->end - e1->begin) == 0;
    EXPECT_EQ(same, std::string(name).find("layer.1") == std::string::npos) << name;
  }

  // Interrupt after 10 steps (mid-epoch, between checkpoints), resume, compare bit for bit.
  train::TrainOptions o = options(b);
  o.max_steps = 10;
  train::TrainResult part = train::train(o);
  EXPECT_FALSE(part.finished);
  o.max_steps = 0;
  o.resume = true;
  train::TrainResult rest = train::train(o);
  ASSERT_TRUE(rest.finished);
  EXPECT_EQ(read_file(a + "/model.safetensors"), read_file(b + "/model.safetensors"));
  EXPECT_EQ(rest.best.accuracy, full.best.accuracy);

  // A resume with other options is refused.
  o.adam.lr = 1e-3;
  EXPECT_THROW(train::train(o), Error);

  // The output is a Hugging Face folder that loads and classifies.
  auto clf = Classifier::load(a, {.threads = 1});
  auto r = clf->classify({"the movie was wonderful and the acting was great", "the movie was awful and the acting was bad"});
  EXPECT_EQ(r[0][0].label, "POSITIVE");
  EXPECT_EQ(r[1][0].label, "NEGATIVE");
  EXPECT_TRUE(file_exists(a + "/report.html"));
  EXPECT_TRUE(file_exists(a + "/training_metrics.json"));
  EXPECT_NE(read_file(a + "/report.html").find("<svg"), std::string::npos);
}

// Rewrites a JSONL dataset with a soft target on every row: one-hot (`p` = 1) or the label's
// probability p, the rest to the other label.
std::string with_soft_targets(const std::string& path, double p, const std::string& name) {
  std::ifstream in(path);
  const std::string out_path = ::testing::TempDir() + "/" + name;
  std::ofstream out(out_path);
  std::string line;
  while (std::getline(in, line)) {
    const bool pos = line.find("\"POSITIVE\"") != std::string::npos;
    line.pop_back();  // the closing brace
    out << line << ", \"probs\": {\"POSITIVE\": " << (pos ? p : 1 - p) << ", \"NEGATIVE\": " << (pos ? 1 - p : p) << "}}\n";
  }
  return out_path;
}

TEST(Trainer, OneHotSoftTargetsTrainExactlyAsHardLabels) {
  const std::string a = ::testing::TempDir() + "/hard", b = ::testing::TempDir() + "/onehot",
                    c = ::testing::TempDir() + "/soft";
  std::system(("rm -rf " + a + " " + b + " " + c).c_str());
  train::TrainOptions o = options(a);
  o.epochs = 1;
  train::train(o);
  const std::string hard_data = o.data;
  o.out_dir = b;
  o.data = with_soft_targets(hard_data, 1.0, "onehot.jsonl");
  train::train(o);
  EXPECT_EQ(read_file(a + "/model.safetensors"), read_file(b + "/model.safetensors"));
  // Softer targets are a different loss: other weights, less confident predictions.
  o.out_dir = c;
  o.data = with_soft_targets(hard_data, 0.6, "soft.jsonl");
  train::train(o);
  EXPECT_NE(read_file(a + "/model.safetensors"), read_file(c + "/model.safetensors"));
}

// --bf16 where this CPU cannot run bf16 products trains in f32 (with a warning), not a crash.
TEST(Trainer, Bf16TrainingFallsBackToF32WhereThisCpuCannotRunIt) {
  EXPECT_EQ(train::use_training_precision(true), kernels::compute_type_available(kernels::ComputeType::kBf16));
  EXPECT_FALSE(train::use_training_precision(false));
}

TEST(Trainer, ParsesFreezePolicies) {
  auto p = train::parse_freeze("embeddings,0-3", 6);
  EXPECT_TRUE(p.embeddings);
  EXPECT_EQ(p.layers, (std::vector<bool>{true, true, true, true, false, false}));
  p = train::parse_freeze("none", 6, 2);  // --train-top 2 wins
  EXPECT_EQ(p.describe(), "embeddings,0,1,2,3");
  EXPECT_EQ(train::parse_freeze("all", 2).describe(), "embeddings,0,1");
  EXPECT_EQ(train::parse_freeze("none", 2).describe(), "none");
  EXPECT_THROW(train::parse_freeze("0-9", 6), Error);
  EXPECT_THROW(train::parse_freeze("layers", 6), Error);
  EXPECT_THROW(train::parse_freeze("3-1", 6), Error);
}

TEST(Trainer, RefusesGarbageLabelsOneClassAndAFinishedOutFolder) {
  const std::string dir = ::testing::TempDir() + "/trainer-refuses";
  auto write = [&](const std::string& name, const std::string& content) {
    std::ofstream(dir + "-" + name) << content;
    return dir + "-" + name;
  };
  auto expect_error = [](train::TrainOptions o, const std::string& what) {
    try {
      train::train(o);
      ADD_FAILURE() << "trained without an error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  train::TrainOptions o = options(dir + "-out");
  o.epochs = 1;
  // The base classifier knows NEGATIVE and POSITIVE: "maybe" is an error, not a third class.
  o.data = write("maybe.jsonl", "{\"text\": \"good\", \"label\": \"POSITIVE\"}\n{\"text\": \"hm\", \"label\": \"maybe\"}\n"
                                "{\"text\": \"bad\", \"label\": \"NEGATIVE\"}\n");
  expect_error(o, "unknown label 'maybe'");
  // ... unless the labels are given.
  o.labels = {"NEGATIVE", "maybe", "POSITIVE"};
  o.validation_fraction = 0;
  EXPECT_NO_THROW(train::train(o));
  o.labels.clear();
  // One class only.
  o.data = write("one.jsonl", "{\"text\": \"good\", \"label\": \"POSITIVE\"}\n{\"text\": \"fine\", \"label\": \"POSITIVE\"}\n");
  o.out_dir = dir + "-out2";
  expect_error(o, "one label only");
  // A finished run is not replaced without --overwrite.
  o.data = synthetic_data();
  o.out_dir = dir + "-out";
  expect_error(o, "--overwrite");
  o.overwrite = true;
  o.max_steps = 2;
  EXPECT_NO_THROW(train::train(o));
  EXPECT_FALSE(file_exists(o.out_dir + "/model.safetensors")) << "the old model is left beside an unfinished run";
}
