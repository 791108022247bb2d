#include <gtest/gtest.h>

#include "text/unicode.h"

using namespace senti::text;

TEST(Unicode, ClassesMatchHuggingFaceBert) {
  EXPECT_EQ(bert_char_class(' '), CharClass::kWhitespace);
  EXPECT_EQ(bert_char_class('\t'), CharClass::kWhitespace);
  EXPECT_EQ(bert_char_class(0x0B), CharClass::kControl);  // removed by clean_text, not a space
  EXPECT_EQ(bert_char_class(0x3000), CharClass::kWhitespace);
  EXPECT_EQ(bert_char_class(0x200B), CharClass::kControl);  // zero-width space is Cf
  EXPECT_EQ(bert_char_class(0xFEFF), CharClass::kControl);
  EXPECT_EQ(bert_char_class(0xE000), CharClass::kControl);  // private use
  EXPECT_EQ(bert_char_class(0x0378), CharClass::kOrdinary);  // unassigned: HF keeps it
  EXPECT_EQ(bert_char_class('$'), CharClass::kPunctuation);  // ASCII punctuation includes symbols
  EXPECT_EQ(bert_char_class(0x2014), CharClass::kPunctuation);  // em dash
  EXPECT_EQ(bert_char_class(0x00A2), CharClass::kOrdinary);     // cent sign is Sc, not punctuation
  EXPECT_EQ(bert_char_class(0x0301), CharClass::kNonspacingMark);
  EXPECT_EQ(bert_char_class('a'), CharClass::kOrdinary);
  EXPECT_TRUE(is_cjk_char(0x4E2D));
  EXPECT_FALSE(is_cjk_char(0x3042));  // hiragana is not in BERT's CJK ranges
}

TEST(Unicode, DecomposesAndLowercases) {
  char32_t out[8];
  ASSERT_EQ(nfd_decompose(0xE9, out, 8), 2);  // é -> e + U+0301
  EXPECT_EQ(out[0], U'e');
  EXPECT_EQ(out[1], 0x301u);
  EXPECT_EQ(nfd_decompose(0xFB01, out, 8), 1);  // ligature fi: compatibility only, NFD keeps it
  ASSERT_EQ(to_lower_full(0x130, out), 2);      // İ -> i + combining dot above
  EXPECT_EQ(out[0], U'i');
  EXPECT_EQ(to_lower_full(0x3A3, out), 1);  // Σ -> σ (no final-sigma context per char)
  EXPECT_EQ(out[0], 0x3C3u);
}
