// Masked-LM pretraining: the 15 % / 80-10-10 masking rule, learning on a small corpus with a
// regular structure, the output loading as an MLM checkpoint and as a base for fine-tuning,
// and an interrupted + resumed run equal to an uninterrupted one.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "io/safetensors.h"
#include "model/distilbert.h"
#include "model/trainable.h"
#include "test_util.h"
#include "train/pretrain.h"
#include "util/error.h"

using namespace senti;

TEST(Pretrain, MaskingFollowsTheRule) {
  const int32_t V = 1000, kMask = 4;
  std::vector<int32_t> ids(20000);
  std::vector<bool> maskable(ids.size());
  std::mt19937 rng(1);
  for (size_t i = 0; i < ids.size(); ++i) {
    ids[i] = 5 + static_cast<int32_t>(rng() % (V - 5));
    maskable[i] = i % 10 != 0;  // every tenth position is "special"
  }
  auto w = train::mask_for_mlm(ids, maskable, 0.15, kMask, V, 7);
  size_t chosen = 0, masked = 0, kept = 0, replaced = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (w.labels[i] == model::TrainBatch::kIgnore) {
      EXPECT_EQ(w.input[i], ids[i]);
      continue;
    }
    ASSERT_TRUE(maskable[i]) << "a special position was chosen";
    EXPECT_EQ(w.labels[i], ids[i]);
    ++chosen;
    if (w.input[i] == kMask) ++masked;
    else if (w.input[i] == ids[i]) ++kept;
    else ++replaced;
  }
  const double n = 18000;  // maskable positions
  EXPECT_NEAR(chosen / n, 0.15, 0.01);
  EXPECT_NEAR(masked / double(chosen), 0.8, 0.03);
  EXPECT_NEAR(kept / double(chosen), 0.1, 0.02);
  EXPECT_NEAR(replaced / double(chosen), 0.1, 0.02);
  // Deterministic in the seed; another seed gives other masks.
  EXPECT_EQ(train::mask_for_mlm(ids, maskable, 0.15, kMask, V, 7).input, w.input);
  EXPECT_NE(train::mask_for_mlm(ids, maskable, 0.15, kMask, V, 8).input, w.input);
  // A short window still gets one position; a window with nothing maskable gets none.
  auto one = train::mask_for_mlm({2, 9, 3}, {false, true, false}, 0.15, kMask, V, 1);
  EXPECT_EQ(one.labels, (std::vector<int32_t>{-100, 9, -100}));
  auto none = train::mask_for_mlm({2, 3}, {false, false}, 0.15, kMask, V, 1);
  EXPECT_EQ(none.labels, (std::vector<int32_t>{-100, -100}));
}

namespace {
// A corpus with structure a masked LM can learn: fixed phrases.
std::string write_corpus(const std::string& dir) {
  std::filesystem::create_directories(dir);
  const char* phrases[] = {"i loved this movie and the acting was great", "the plot was boring and the ending was bad",
                           "this film is a waste of time and money", "i really recommend it the music is wonderful",
                           "not very funny but the story is sad and long"};
  std::ofstream f(dir + "/corpus.txt");
  std::mt19937 rng(3);
  for (int i = 0; i < 300; ++i) f << phrases[rng() % 5] << " " << phrases[rng() % 5] << "\n";
  return dir + "/corpus.txt";
}

train::PretrainOptions options(const std::string& work, const std::string& corpus) {
  const std::string fixture = test::source_dir() + "/tests/fixtures/models/tiny-mlm";
  train::PretrainOptions o;
  o.config = fixture + "/config.json";
  o.tokenizer = fixture;
  o.data = {corpus};
  o.out_dir = work + "/out";
  o.epochs = 8;
  o.batch_size = 16;
  o.max_length = 32;
  o.adam.lr = 1e-2;
  o.validation_fraction = 0.1;
  o.save_steps = 40;
  o.threads = 2;
  o.progress = false;
  return o;
}

std::vector<float> weights(const std::string& dir, const std::string& name) {
  auto f = io::SafetensorsFile::open(dir + "/model.safetensors");
  auto* e = f->find(name);
  Tensor t = f->load_f32(name, e->shape);
  return std::vector<float>(t.data(), t.data() + t.numel());
}
}  // namespace

TEST(Pretrain, LearnsSavesAndResumesExactly) {
  const std::string work = ::testing::TempDir() + "/senti_pretrain";
  std::filesystem::remove_all(work);
  const std::string corpus = write_corpus(work);
  train::PretrainOptions o = options(work, corpus);
  train::PretrainResult r = train::pretrain(o);
  ASSERT_TRUE(r.finished);
  EXPECT_GT(r.train_windows, 200u);
  EXPECT_GT(r.validation_windows, 10u);
  // Chance is ln(51) = 3.93 nats; the phrases make most tokens predictable.
  EXPECT_LT(r.validation_loss, 2.0) << "the masked LM did not learn";
  // A DistilBertForMaskedLM folder: the inference engine reads its MLM head, and fine-tuning
  // takes it as a base (a fresh classification head).
  auto mlm = model::DistilBert::load(o.out_dir);
  EXPECT_FALSE(mlm->has_classifier());
  auto as_base = model::TrainableDistilBert::from_checkpoint(o.out_dir, {"NEGATIVE", "POSITIVE"}, 1);
  EXPECT_EQ(as_base->config().num_labels(), 2);
  auto f = io::SafetensorsFile::open(o.out_dir + "/model.safetensors");
  EXPECT_NE(f->find("vocab_transform.weight"), nullptr);
  EXPECT_NE(f->find("vocab_projector.bias"), nullptr);
  EXPECT_TRUE(std::filesystem::exists(o.out_dir + "/vocab.txt"));
  EXPECT_TRUE(std::filesystem::exists(o.out_dir + "/pretrain_metrics.json"));

  // Interrupt after 45 steps (between checkpoints, mid-epoch), resume, compare bit for bit.
  train::PretrainOptions part = options(work + "/b", corpus);
  part.max_steps = 45;
  EXPECT_FALSE(train::pretrain(part).finished);
  part.max_steps = 0;
  part.resume = true;
  train::PretrainResult resumed = train::pretrain(part);
  ASSERT_TRUE(resumed.finished);
  EXPECT_EQ(resumed.steps, r.steps);
  EXPECT_EQ(resumed.validation_loss, r.validation_loss);
  for (const char* name : {"distilbert.embeddings.word_embeddings.weight", "vocab_transform.weight",
                           "distilbert.transformer.layer.1.ffn.lin2.weight"})
    EXPECT_EQ(weights(o.out_dir, name), weights(part.out_dir, name)) << name;
  // A resume with other options is refused.
  part.adam.lr = 1e-3;
  EXPECT_THROW(train::pretrain(part), Error);
  std::filesystem::remove_all(work);
}

TEST(Pretrain, ErrorsNameTheProblem) {
  const std::string work = ::testing::TempDir() + "/senti_pretrain_err";
  const std::string corpus = write_corpus(work);
  train::PretrainOptions o = options(work, corpus);
  o.max_length = 1000;  // the fixture has 64 positions
  try {
    train::pretrain(o);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("max_position_embeddings"), std::string::npos) << e.what();
  }
  o = options(work, corpus);
  o.base_model = o.tokenizer;  // both --config and --model
  EXPECT_THROW(train::pretrain(o), Error);
  std::filesystem::remove_all(work);
}
