// Fine-tuning on real IMDb reviews from ../shared, small and fast enough for CI: a tiny
// DistilBERT (dim 64, 2 layers) initialized at random with the bert-base-uncased vocabulary,
// 2 epochs on 4,000 training reviews at 128 tokens, then `senti eval` on 1,000 test reviews.
// Measured here: about 83-85 % (chance is 50 %); the bound is 70 %.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.h"
#include "train/trainer.h"

using namespace senti;

TEST(ImdbTraining, TinyModelLearnsSentimentWellAboveChance) {
  SENTI_REQUIRE_SHARED(shared);
  const std::string work = ::testing::TempDir() + "/imdb_train";
  std::system(("rm -rf " + work + " && mkdir -p " + work + "/model " + work + "/test/pos " + work + "/test/neg").c_str());
  ASSERT_EQ(std::system(("tar -xzf " + shared + "/data/aclImdb-labeled.tar.gz -C " + work).c_str()), 0);
  // 1,000 test reviews (the first 500 of each folder by name).
  for (const char* d : {"pos", "neg"})
    ASSERT_EQ(std::system(("ls " + work + "/aclImdb/test/" + d + " | sort | sed -n '1,500p' | while read f; do cp " + work +
                           "/aclImdb/test/" + d + "/$f " + work + "/test/" + d + "/; done").c_str()), 0);
  std::system(("cp " + shared + "/data/bert-base-uncased-vocab.txt " + work + "/model/vocab.txt").c_str());
  std::ofstream(work + "/model/config.json")
      << R"({"model_type": "distilbert", "dim": 64, "n_layers": 2, "n_heads": 2, "hidden_dim": 128,
            "max_position_embeddings": 128, "vocab_size": 30522, "dropout": 0.1, "attention_dropout": 0.1})";

  train::TrainOptions o;
  o.base_model = work + "/model";
  o.data = work + "/aclImdb/train";
  o.limit = 4000;
  o.epochs = 2;
  o.batch_size = 16;
  o.max_length = 128;
  o.adam.lr = 1e-3;
  o.out_dir = work + "/out";
  o.threads = 2;
  o.progress = false;
  train::TrainResult r = train::train(o);
  ASSERT_TRUE(r.finished);
  train::Metrics m = train::evaluate(o.out_dir, work + "/test", {.max_length = 128}, 64, {.threads = 2}, data::BadRows::kFail, false);
  std::printf("  validation accuracy %.4f, test accuracy on 1,000 reviews %.4f (F1 %.4f, ROC-AUC %.4f), %.1f s\n",
              r.best.accuracy, m.accuracy, m.f1, m.roc_auc, r.seconds);
  EXPECT_EQ(m.n, 1000u);
  EXPECT_GT(m.accuracy, 0.70);
  std::system(("rm -rf " + work).c_str());
}
