// Pretraining: the 15 % / 80-10-10 masking rule, learning on a small corpus with a regular
// structure (masked LM and ELECTRA), the output loading as a pretraining checkpoint and as a
// base for fine-tuning, an interrupted + resumed run equal to an uninterrupted one, runs of a
// given number of steps, and the replaced-token head's gradient against finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "io/safetensors.h"
#include "kernels/dense.h"
#include "kernels/linear.h"
#include "model/distilbert.h"
#include "model/trainable.h"
#include "test_util.h"
#include "train/electra.h"
#include "text/tokenizer.h"
#include "train/loop.h"
#include "train/optimizer.h"
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
// Runs `o` for `stop_after` optimizer steps (an interrupted run), then resumes it to the end.
train::PretrainResult interrupt_and_resume(train::PretrainOptions& o, int64_t stop_after) {
  o.max_steps = stop_after;
  EXPECT_FALSE(train::pretrain(o).finished);
  o.max_steps = 0;
  o.resume = true;
  return train::pretrain(o);
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
  train::PretrainResult resumed = interrupt_and_resume(part, 45);
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

TEST(Pretrain, ElectraLearnsSavesAndResumesExactly) {
  const std::string work = ::testing::TempDir() + "/senti_electra";
  std::filesystem::remove_all(work);
  const std::string corpus = write_corpus(work);
  train::PretrainOptions o = options(work, corpus);
  o.objective = train::PretrainObjective::kElectra;
  o.epochs = 6;
  train::PretrainResult r = train::pretrain(o);
  ASSERT_TRUE(r.finished);
  // The generator learns the phrases (chance: ln 51 = 3.93 nats) ...
  EXPECT_LT(r.generator_loss, 2.5) << "the generator did not learn";
  // The validation figures are recorded for every epoch and in range. (On five fixed phrases the
  // generator's wrong guesses are hard to tell from the original tokens for a model this small:
  // that the discriminator learns is DiscriminatorFindsRandomReplacements' job.)
  nlohmann::json m = nlohmann::json::parse(std::ifstream(o.out_dir + "/pretrain_metrics.json"));
  ASSERT_EQ(m["epochs"].size(), 6u);
  const auto& last = m["epochs"].back();
  const double p = last["validation_replaced_fraction"].get<double>();
  EXPECT_GT(p, 0.005) << "the generator replaced nothing";
  EXPECT_LT(p, 0.15) << "more tokens replaced than masked";
  EXPECT_GE(last["validation_discriminator_accuracy"].get<double>(), 1 - p - 1e-9);
  EXPECT_GE(last["validation_replaced_found"].get<double>(), 0.0);
  EXPECT_NEAR(r.validation_loss, last["validation_discriminator_loss"].get<double>(), 1e-12);
  // The output: a DistilBERT encoder with the detection head beside it. The inference engine
  // loads it, fine-tuning takes it as a base, continuing ELECTRA reads the head back; the
  // generator is a masked-LM folder of its own that shares the embeddings.
  auto enc = model::DistilBert::load(o.out_dir);
  EXPECT_FALSE(enc->has_classifier());
  auto as_base = model::TrainableDistilBert::from_checkpoint(o.out_dir, {"NEGATIVE", "POSITIVE"}, 1);
  EXPECT_EQ(as_base->config().num_labels(), 2);
  auto f = io::SafetensorsFile::open(o.out_dir + "/model.safetensors");
  EXPECT_NE(f->find("discriminator_predictions.dense_prediction.weight"), nullptr);
  auto gen = model::TrainableDistilBert::from_checkpoint_pretraining(o.out_dir + "/generator", model::Task::kMaskedLM, 1);
  EXPECT_EQ(gen->config().n_layers, 1);  // a quarter of 2 layers, at least one
  EXPECT_EQ(gen->config().hidden_dim, 10);
  const char* word = "distilbert.embeddings.word_embeddings.weight";
  EXPECT_EQ(weights(o.out_dir, word), weights(o.out_dir + "/generator", word));

  // Interrupted after 30 steps (mid-epoch, between checkpoints) and resumed: the same bits.
  train::PretrainOptions part = options(work + "/b", corpus);
  part.objective = train::PretrainObjective::kElectra;
  part.epochs = 6;
  train::PretrainResult resumed = interrupt_and_resume(part, 30);
  ASSERT_TRUE(resumed.finished);
  EXPECT_EQ(resumed.steps, r.steps);
  EXPECT_EQ(resumed.validation_loss, r.validation_loss);
  EXPECT_EQ(resumed.generator_loss, r.generator_loss);
  for (const char* name : {word, "discriminator_predictions.dense.weight", "distilbert.transformer.layer.1.ffn.lin2.weight"})
    EXPECT_EQ(weights(o.out_dir, name), weights(part.out_dir, name)) << name;
  EXPECT_EQ(weights(o.out_dir + "/generator", "vocab_transform.weight"),
            weights(part.out_dir + "/generator", "vocab_transform.weight"));
  // An MLM checkpoint does not resume as ELECTRA.
  train::PretrainOptions other = options(work + "/b", corpus);
  other.resume = true;
  other.epochs = 6;
  EXPECT_THROW(train::pretrain(other), Error);
  std::filesystem::remove_all(work);
}

TEST(Pretrain, StepsSetTheRunsLength) {
  const std::string work = ::testing::TempDir() + "/senti_pretrain_steps";
  std::filesystem::remove_all(work);
  const std::string corpus = write_corpus(work);
  train::PretrainOptions o = options(work, corpus);
  o.epochs = 1;
  o.steps = 25;  // an epoch is 17 micro-batches of 16 (268 windows): the second one ends early
  train::PretrainResult r = train::pretrain(o);
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.steps, 25);
  nlohmann::json m = nlohmann::json::parse(std::ifstream(o.out_dir + "/pretrain_metrics.json"));
  ASSERT_EQ(m["epochs"].size(), 2u);
  EXPECT_EQ(m["epochs"][1]["step"].get<int64_t>(), 25);
  EXPECT_EQ(m["steps"].size(), 25u);
  // The schedule spans the 25 steps: 2 of warmup, then the last step's rate is lr · 1/23.
  EXPECT_NEAR(m["steps"].back()["lr"].get<double>(), 1e-2 / 23, 1e-12);
  // Interrupted in the second epoch and resumed: the same.
  train::PretrainOptions part = options(work + "/b", corpus);
  part.epochs = 1;
  part.steps = 25;
  train::PretrainResult resumed = interrupt_and_resume(part, 20);
  EXPECT_EQ(resumed.steps, 25);
  EXPECT_EQ(resumed.validation_loss, r.validation_loss);
  std::filesystem::remove_all(work);
}

// --validation-seed fixes the held-out texts and their masks apart from --seed: with the weights
// left alone (lr 0), runs with different seeds and one validation seed report the same
// validation loss; without it, another seed holds out other texts and reports another loss.
TEST(Pretrain, ValidationSeedKeepsTheHeldOutTextsAcrossSeeds) {
  const std::string work = ::testing::TempDir() + "/senti_pretrain_vseed";
  std::filesystem::remove_all(work);
  const std::string corpus = write_corpus(work);
  train::PretrainOptions base = options(work + "/base", corpus);
  base.epochs = 1;
  base.steps = 3;
  ASSERT_TRUE(train::pretrain(base).finished);
  auto run = [&](const std::string& name, uint64_t seed, int64_t validation_seed) {
    train::PretrainOptions o = options(work + "/" + name, corpus);
    o.config.clear();
    o.base_model = base.out_dir;
    o.tokenizer = base.out_dir;
    o.epochs = 1;
    o.steps = 2;
    o.adam.lr = 0;
    o.seed = seed;
    o.validation_seed = validation_seed;
    return train::pretrain(o);
  };
  const train::PretrainResult a = run("a", 1, 7), b = run("b", 2, 7), c = run("c", 7, -1), d = run("d", 2, -1);
  EXPECT_EQ(a.validation_windows, b.validation_windows);
  EXPECT_EQ(a.validation_loss, b.validation_loss);
  EXPECT_EQ(a.validation_loss, c.validation_loss);  // -1 means --seed
  EXPECT_NE(a.validation_loss, d.validation_loss);
  // The args record what the matrix products ran in: --bf16 is f32 where this CPU cannot run bf16.
  nlohmann::json args = nlohmann::json::parse(std::ifstream(work + "/a/out/pretrain_args.json"));
  EXPECT_EQ(args["matrix_products"], "f32");
  EXPECT_EQ(args["validation_seed"], 7);
  train::PretrainOptions e = options(work + "/e", corpus);
  e.steps = 1;
  e.bf16 = true;
  ASSERT_TRUE(train::pretrain(e).finished);
  args = nlohmann::json::parse(std::ifstream(e.out_dir + "/pretrain_args.json"));
  EXPECT_EQ(args["matrix_products"], kernels::compute_type_available(kernels::ComputeType::kBf16) ? "bf16" : "f32");
  train::use_training_precision(false);
  std::filesystem::remove_all(work);
}

// The discriminator alone learns to find tokens replaced at random in the phrases.
TEST(Pretrain, DiscriminatorFindsRandomReplacements) {
  const std::string fixture = test::source_dir() + "/tests/fixtures/models/tiny-mlm";
  auto tok = text::Tokenizer::from_path(fixture);
  model::DistilBertConfig c = model::DistilBertConfig::from_file(fixture + "/config.json");
  auto m = model::TrainableDistilBert::from_config(c, 5, model::Task::kReplacedTokenDetection);
  train::AdamW opt(m->params(), {1e-2, 0.9, 0.999, 1e-6, 0.01});
  const char* phrases[] = {"i loved this movie and the acting was great", "the plot was boring and the ending was bad",
                           "this film is a waste of time and money", "i really recommend it the music is wonderful"};
  std::mt19937 rng(9);
  auto make = [&](int n) {
    model::TrainBatch b;
    for (int i = 0; i < n; ++i) {
      std::vector<int32_t> ids = tok.encode(phrases[rng() % 4]).ids, lab(ids.size(), 0);
      for (size_t k = 1; k + 1 < ids.size(); ++k)
        if (rng() % 100 < 15) {
          const int32_t r = 5 + static_cast<int32_t>(rng() % (c.vocab_size - 5));
          lab[k] = r != ids[k];
          ids[k] = r;
        }
      b.sequences.push_back(ids);
      b.rtd_labels.push_back(lab);
    }
    return b;
  };
  for (int step = 0; step < 150; ++step) {
    m->zero_grad();
    m->forward_backward(make(16), static_cast<uint64_t>(step));
    train::optimizer_step(m->params(), opt, 1, 1.0, step, 10, 150);
  }
  model::TrainBatch v = make(64);
  model::Activations a;
  m->forward(v, model::PassMode::kEval, 0, a);
  size_t hit = 0, replaced = 0, n = 0, correct = 0;
  for (const auto& lab : v.rtd_labels)
    for (int32_t y : lab) {
      replaced += y;
      hit += y && a.logits[n] > 0;
      correct += (a.logits[n] > 0) == (y == 1);
      ++n;
    }
  ASSERT_GT(replaced, 20u);
  EXPECT_GT(double(hit) / replaced, 0.8) << hit << " of " << replaced << " replacements found";
  EXPECT_GT(double(correct) / n, 0.95);
}

// The detection head's and the encoder's gradients of the replaced-token loss (with its weight)
// against central differences of the loss, dropout off.
TEST(Pretrain, ReplacedTokenGradientsMatchFiniteDifferences) {
  model::DistilBertConfig c = model::DistilBertConfig::from_file(test::source_dir() + "/tests/fixtures/models/tiny-mlm/config.json");
  auto m = model::TrainableDistilBert::from_config(c, 5, model::Task::kReplacedTokenDetection);
  m->set_dropout(0, 0, 0);
  for (auto& p : m->params()) {  // larger weights than the 0.02 init, so every path matters
    float* v = p.value.mutable_data();
    std::mt19937 rng(static_cast<unsigned>(p.name.size()));
    std::normal_distribution<float> d(0.f, 0.3f);
    if (p.decay)
      for (int64_t i = 0; i < p.value.numel(); ++i) v[i] = d(rng);
  }
  model::TrainBatch b;
  b.sequences = {{2, 7, 9, 11, 3}, {2, 20, 21, 3}};
  b.rtd_labels = {{0, 1, 0, 1, 0}, {-100, 0, 1, 0}};
  b.loss_weight = 3.0;
  m->zero_grad();
  const double loss = m->forward_backward(b, 0);
  EXPECT_NEAR(loss, m->pretraining_loss(b), 1e-6);
  double worst = 0;
  for (const char* name : {"discriminator_predictions.dense_prediction.weight", "discriminator_predictions.dense_prediction.bias",
                           "discriminator_predictions.dense.weight", "discriminator_predictions.dense.bias",
                           "distilbert.transformer.layer.1.ffn.lin2.weight", "distilbert.embeddings.word_embeddings.weight"}) {
    model::Param& p = m->param(name);
    float* v = p.value.mutable_data();
    for (int64_t i = 0; i < std::min<int64_t>(p.value.numel(), 12); ++i) {
      const bool word = std::string(name).find("word_embeddings") != std::string::npos;
      const int64_t at = word ? 7 * c.dim + i : i;  // token 7's row: one the batch reads
      const float keep = v[at], h = 1e-2f;
      v[at] = keep + h;
      const double lp = m->pretraining_loss(b);
      v[at] = keep - h;
      const double lm = m->pretraining_loss(b);
      v[at] = keep;
      const double numeric = (lp - lm) / (2 * h), analytic = p.grad.data()[at];
      const double err = std::fabs(numeric - analytic) / (std::fabs(numeric) + std::fabs(analytic) + 1e-2);
      worst = std::max(worst, err);
      EXPECT_LT(err, 2e-2) << name << "[" << at << "] numeric " << numeric << " analytic " << analytic;
    }
  }
  std::printf("  replaced-token detection: worst relative difference %.1e\n", worst);
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

// One model reuses its activation buffers from step to step. A pass after a larger batch (whose
// buffers it inherits, stale values and all) gives the same loss, gradients and logits as the
// same pass on a fresh model, for a classifier and a masked-LM model, in f32 and in bf16.
TEST(Pretrain, ReusedActivationBuffersGiveTheSameResultsAsFreshOnes) {
  model::DistilBertConfig c = model::DistilBertConfig::from_file(test::source_dir() + "/tests/fixtures/models/tiny-mlm/config.json");
  std::mt19937 rng(3);
  auto seq = [&](int n) {
    std::vector<int32_t> s{2};
    for (int i = 0; i < n; ++i) s.push_back(5 + static_cast<int32_t>(rng() % (c.vocab_size - 5)));
    s.push_back(3);
    return s;
  };
  auto batch = [&](std::vector<int> lengths, model::Task task) {
    model::TrainBatch b;
    for (int n : lengths) {
      b.sequences.push_back(seq(n));
      b.labels.push_back(static_cast<int32_t>(b.labels.size() % 2));
      std::vector<int32_t> lab(b.sequences.back().size(), model::TrainBatch::kIgnore);
      for (size_t k = 1; k < lab.size(); k += 3) lab[k] = b.sequences.back()[k];
      b.mlm_labels.push_back(lab);
    }
    if (task != model::Task::kMaskedLM) b.mlm_labels.clear();
    return b;
  };
  for (auto precision : {kernels::MatmulPrecision::kF32, kernels::MatmulPrecision::kBf16}) {
    kernels::set_training_matmul(precision);
    for (auto task : {model::Task::kSequenceClassification, model::Task::kMaskedLM}) {
      SCOPED_TRACE(task == model::Task::kMaskedLM ? "masked LM" : "classifier");
      const model::TrainBatch big = batch({60, 45, 62, 33, 50}, task), small = batch({9, 4, 12}, task);
      auto reused = model::TrainableDistilBert::from_config(c, 5, task),
           fresh = model::TrainableDistilBert::from_config(c, 5, task);
      reused->zero_grad();
      reused->forward_backward(big, 1);
      reused->zero_grad();
      const double loss_reused = reused->forward_backward(small, 2);
      fresh->zero_grad();
      const double loss_fresh = fresh->forward_backward(small, 2);
      EXPECT_EQ(loss_reused, loss_fresh);
      for (size_t i = 0; i < fresh->params().size(); ++i) {
        const Tensor &a = reused->params()[i].grad, &b = fresh->params()[i].grad;
        ASSERT_EQ(a.numel(), b.numel());
        for (int64_t k = 0; k < a.numel(); ++k)
          ASSERT_EQ(a.data()[k], b.data()[k]) << fresh->params()[i].name << " [" << k << "]";
      }
      if (task == model::Task::kSequenceClassification) {
        reused->logits(big.sequences);
        EXPECT_EQ(reused->logits(small.sequences), fresh->logits(small.sequences));
      } else {
        reused->pretraining_loss(big);
        EXPECT_EQ(reused->pretraining_loss(small), fresh->pretraining_loss(small));
      }
    }
  }
  kernels::set_training_matmul(kernels::MatmulPrecision::kF32);
}
