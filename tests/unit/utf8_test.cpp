#include <gtest/gtest.h>

#include "text/utf8.h"

using namespace senti::text;

TEST(Utf8, DecodesWellFormedSequences) {
  std::string s = "a\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80";  // a é 日 😀
  size_t len;
  EXPECT_EQ(decode_utf8(s, 0, len), U'a');
  EXPECT_EQ(len, 1u);
  EXPECT_EQ(decode_utf8(s, 1, len), 0xE9u);
  EXPECT_EQ(len, 2u);
  EXPECT_EQ(decode_utf8(s, 3, len), 0x65E5u);
  EXPECT_EQ(len, 3u);
  EXPECT_EQ(decode_utf8(s, 6, len), 0x1F600u);
  EXPECT_EQ(len, 4u);
  EXPECT_TRUE(is_valid_utf8(s));
  EXPECT_EQ(count_code_points(s), 4u);
}

TEST(Utf8, RepairsEachMaximalIllFormedSubpartWithOneReplacement) {
  // Examples from the Unicode standard, section 3.9 (U+FFFD substitution of maximal subparts).
  EXPECT_EQ(repair_utf8("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
            "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD" "d");
  EXPECT_EQ(repair_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(repair_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  EXPECT_EQ(repair_utf8("\xF4\x90\x80\x80"),  // above U+10FFFF: four replacements
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(repair_utf8("ab\xE6\x97"), "ab\xEF\xBF\xBD");  // truncated at the end
  EXPECT_FALSE(is_valid_utf8("\xFF"));
  EXPECT_TRUE(is_valid_utf8("\xEF\xBF\xBD"));  // U+FFFD itself is fine
}

TEST(Utf8, EncodesEveryLength) {
  std::string out;
  for (char32_t c : {U'a', char32_t(0xE9), char32_t(0x65E5), char32_t(0x1F600)}) append_utf8(out, c);
  EXPECT_EQ(out, "a\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80");
}
