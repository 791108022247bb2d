#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "text/vocab.h"
#include "util/error.h"

using namespace senti::text;

TEST(Vocab, FindsTokensAndContinuationPieces) {
  Vocab v({"[PAD]", "[UNK]", "un", "##aff", "##able", "aff"});
  EXPECT_EQ(v.size(), 6u);
  EXPECT_EQ(v.find("un"), 2);
  EXPECT_EQ(v.find("##aff"), 3);
  EXPECT_EQ(v.find_continuation("aff"), 3);
  EXPECT_EQ(v.find_word_start("aff"), 5);
  EXPECT_EQ(v.find("missing"), -1);
  EXPECT_EQ(v.max_word_start_chars(), 6u);
  EXPECT_EQ(v.max_continuation_chars(), 4u);
}

TEST(Vocab, DuplicateTokensKeepTheFirstId) {
  Vocab v({"a", "b", "a"});
  EXPECT_EQ(v.find("a"), 0);
}

TEST(Vocab, RoundTripsThroughAFile) {
  std::string path = ::testing::TempDir() + "/vocab_roundtrip.txt";
  Vocab v({"[PAD]", "héllo", "##x"});
  v.save(path);
  Vocab w = Vocab::from_file(path);
  EXPECT_EQ(w.tokens(), v.tokens());
  std::remove(path.c_str());
}

TEST(Vocab, RejectsMissingEmptyAndInvalidFiles) {
  EXPECT_THROW(Vocab::from_file("/nonexistent/vocab.txt"), senti::Error);
  std::string path = ::testing::TempDir() + "/vocab_bad.txt";
  { std::ofstream(path) << "ok\n\xFF\xFE\n"; }
  try {
    Vocab::from_file(path);
    FAIL() << "invalid UTF-8 accepted";
  } catch (const senti::Error& e) {
    EXPECT_NE(std::string(e.what()).find(":2:"), std::string::npos) << e.what();  // names the line
  }
  { std::ofstream(path) << ""; }
  EXPECT_THROW(Vocab::from_file(path), senti::Error);
  std::remove(path.c_str());
}
