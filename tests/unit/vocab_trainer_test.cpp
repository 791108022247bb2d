#include <gtest/gtest.h>

#include "text/tokenizer.h"
#include "text/vocab_trainer.h"

using namespace senti::text;

namespace {
Tokenizer normalizer() {
  TokenizerConfig cfg;
  cfg.single_template.clear();
  return Tokenizer(Vocab({"[UNK]"}), cfg);
}
}  // namespace

TEST(VocabTrainer, MergesTheMostFrequentPairsFirst) {
  Tokenizer n = normalizer();
  VocabTrainerOptions o;
  o.vocab_size = 5 + 8 + 6 + 2;  // specials, alphabet, "##" forms seen, two merges
  o.min_frequency = 1;
  VocabTrainer t(n, o);
  for (int i = 0; i < 10; ++i) t.add_text("low low lower");
  t.add_text("newest");
  Vocab v = t.train();
  // specials first, in order
  EXPECT_EQ(v.token(0), "[PAD]");
  EXPECT_EQ(v.token(4), "[MASK]");
  // "l o w" occurs 30 times: "l"+"##o" merges first into "lo", then "lo"+"##w" into "low"
  EXPECT_GE(v.find("lo"), 0);
  EXPECT_GE(v.find("low"), 0);
  EXPECT_EQ(v.size(), o.vocab_size);
  // A tokenizer with the trained vocabulary covers the training words.
  TokenizerConfig cfg;
  cfg.single_template.clear();
  Tokenizer tok(v, cfg);
  EXPECT_EQ(tok.encode("low").ids, (std::vector<int32_t>{v.find("low")}));
}

TEST(VocabTrainer, StopsAtMinFrequencyAndLimitsTheAlphabet) {
  Tokenizer n = normalizer();
  VocabTrainerOptions o;
  o.vocab_size = 1000;
  o.min_frequency = 3;
  o.limit_alphabet = 2;
  VocabTrainer t(n, o);
  t.add_text("aa aa ab ab ab xyz");
  Vocab v = t.train();
  EXPECT_GE(v.find("a"), 0);
  EXPECT_GE(v.find("##b"), 0);
  EXPECT_EQ(v.find("x"), -1);   // beyond the 2 most frequent characters
  EXPECT_GE(v.find("ab"), 0);   // seen 3 times
  EXPECT_EQ(v.find("aa"), -1);  // seen twice: below min_frequency
}
