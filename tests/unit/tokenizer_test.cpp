#include <gtest/gtest.h>

#include "text/tokenizer.h"
#include "util/error.h"
#include "util/thread_pool.h"

using namespace senti::text;

namespace {
Tokenizer tiny_tokenizer(bool lowercase = true) {
  std::vector<std::string> tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able",
                                     "hello", "world", ",", "!", "a", "##b", "the", "movie", "was",
                                     "great", "bad", ".", "cafe", "中", "'", "t", "didn", "Hello"};
  TokenizerConfig cfg;
  cfg.normalizer.lowercase = lowercase;
  for (const char* t : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
    int32_t id = static_cast<int32_t>(std::find(tokens.begin(), tokens.end(), t) - tokens.begin());
    cfg.added_tokens.push_back({t, id, true, false, false, false});
  }
  cfg.single_template = {{false, {2}, 0}, {true, {}, 0}, {false, {3}, 0}};
  return Tokenizer(Vocab(tokens), cfg);
}

std::vector<std::string> tokens_of(const Tokenizer& t, const Encoding& e) {
  std::vector<std::string> out;
  for (int32_t id : e.ids) out.push_back(t.id_to_token(id));
  return out;
}
}  // namespace

TEST(Tokenizer, SplitsWordsIntoGreedyLongestPieces) {
  Tokenizer t = tiny_tokenizer();
  Encoding e = t.encode("Unaffable, hello WORLD!");
  EXPECT_EQ(tokens_of(t, e), (std::vector<std::string>{"[CLS]", "un", "##aff", "##able", ",", "hello",
                                                       "world", "!", "[SEP]"}));
  EXPECT_EQ(e.offsets[1], (Span{0, 2}));
  EXPECT_EQ(e.offsets[3], (Span{5, 9}));
  EXPECT_EQ(e.offsets[0], (Span{0, 0}));
  EXPECT_EQ(e.special_tokens_mask, (std::vector<int8_t>{1, 0, 0, 0, 0, 0, 0, 0, 1}));
}

TEST(Tokenizer, UnknownWhenAWordCannotBeCovered) {
  Tokenizer t = tiny_tokenizer();
  Encoding e = t.encode("abx hello");
  EXPECT_EQ(tokens_of(t, e), (std::vector<std::string>{"[CLS]", "[UNK]", "hello", "[SEP]"}));
  EXPECT_EQ(e.offsets[1], (Span{0, 3}));  // the whole word
}

TEST(Tokenizer, OffsetsCountCodePointsAndBytes) {
  Tokenizer t = tiny_tokenizer();
  Encoding e = t.encode("Café 中 hello");  // é is 2 bytes, 中 is 3
  EXPECT_EQ(tokens_of(t, e), (std::vector<std::string>{"[CLS]", "cafe", "中", "hello", "[SEP]"}));
  EXPECT_EQ(e.offsets[1], (Span{0, 4}));
  EXPECT_EQ(e.byte_offsets[1], (Span{0, 5}));
  EXPECT_EQ(e.offsets[2], (Span{5, 6}));
  EXPECT_EQ(e.byte_offsets[2], (Span{6, 9}));
  EXPECT_EQ(e.offsets[3], (Span{7, 12}));
  EXPECT_EQ(e.byte_offsets[3], (Span{10, 15}));
}

TEST(Tokenizer, SpecialTokensInRawTextAreMatchedBeforeNormalization) {
  Tokenizer t = tiny_tokenizer();
  Encoding e = t.encode("hello[MASK] [mask]");
  EXPECT_EQ(tokens_of(t, e), (std::vector<std::string>{"[CLS]", "hello", "[MASK]", "[UNK]", "[UNK]", "[UNK]",
                                                       "[SEP]"}));
  EXPECT_EQ(e.offsets[2], (Span{5, 11}));
  EXPECT_EQ(e.special_tokens_mask[2], 0);  // found in the text, not added by the template
}

TEST(Tokenizer, InvalidUtf8IsRepairedNeverACrash) {
  Tokenizer t = tiny_tokenizer();
  Encoding e = t.encode(std::string("hello\xFF\xC3 world\xE6"));
  EXPECT_EQ(tokens_of(t, e), (std::vector<std::string>{"[CLS]", "hello", "world", "[SEP]"}));
  EXPECT_EQ(e.byte_offsets[2], (Span{8, 13}));
  EXPECT_EQ(e.offsets[2], (Span{8, 13}));  // each bad byte counts as one replaced code point
}

TEST(Tokenizer, TruncationStrategiesKeepTheRightTokens) {
  Tokenizer t = tiny_tokenizer();
  const std::string text = "a a a a a hello world the movie was";  // 10 content tokens
  EncodeOptions o;
  o.truncation.max_length = 6;  // 4 content tokens + [CLS] + [SEP]
  o.truncation.strategy = TruncationStrategy::kHead;
  EXPECT_EQ(tokens_of(t, t.encode(text, o)), (std::vector<std::string>{"[CLS]", "a", "a", "a", "a", "[SEP]"}));
  o.truncation.strategy = TruncationStrategy::kTail;
  EXPECT_EQ(tokens_of(t, t.encode(text, o)),
            (std::vector<std::string>{"[CLS]", "world", "the", "movie", "was", "[SEP]"}));
  o.truncation.strategy = TruncationStrategy::kHeadTail;
  o.truncation.head_tokens = 1;
  Encoding e = t.encode(text, o);
  EXPECT_EQ(tokens_of(t, e), (std::vector<std::string>{"[CLS]", "a", "the", "movie", "was", "[SEP]"}));
  EXPECT_EQ(e.num_truncated, 6u);
  EXPECT_EQ(e.offsets[2], (Span{22, 25}));  // offsets survive truncation
  o.truncation.max_length = 1;
  EXPECT_THROW(t.encode(text, o), senti::Error);
}

TEST(Tokenizer, HeadTailDefaultSplitFollowsSunEtAl) {
  Tokenizer t = tiny_tokenizer();
  std::string text;
  for (int i = 0; i < 600; ++i) text += i < 300 ? "a " : "hello ";
  EncodeOptions o;
  o.truncation.max_length = 512;
  o.truncation.strategy = TruncationStrategy::kHeadTail;
  Encoding e = t.encode(text, o);
  ASSERT_EQ(e.size(), 512u);
  // content token k starts at character 2k (while k < 300): 128 head tokens, then the last 382
  EXPECT_EQ(e.offsets[128].first, 2u * 127);
  EXPECT_EQ(e.offsets[129].first, 2u * (600 - 382));
  EXPECT_EQ(t.id_to_token(e.ids[510]), "hello");
}

TEST(Tokenizer, BatchEqualsSingleAndPadsToLongest) {
  Tokenizer t = tiny_tokenizer();
  std::vector<std::string> texts = {"hello", "the movie was great!", "", "unaffable world, a a a"};
  for (int i = 0; i < 200; ++i) texts.push_back(i % 2 ? "was bad." : "hello world the movie");
  std::vector<std::string_view> views(texts.begin(), texts.end());
  senti::ThreadPool pool(3);
  PaddingOptions pad;
  pad.strategy = PaddingStrategy::kLongest;
  auto batch = t.encode_batch(views, t.default_options(), pad, &pool);
  ASSERT_EQ(batch.size(), texts.size());
  size_t longest = 0;
  for (const auto& s : texts) longest = std::max(longest, t.encode(s).size());
  for (size_t i = 0; i < texts.size(); ++i) {
    Encoding single = t.encode(texts[i]);
    ASSERT_EQ(batch[i].size(), longest);
    for (size_t k = 0; k < longest; ++k) {
      if (k < single.size()) {
        EXPECT_EQ(batch[i].ids[k], single.ids[k]);
        EXPECT_EQ(batch[i].offsets[k], single.offsets[k]);
        EXPECT_EQ(batch[i].attention_mask[k], 1);
      } else {
        EXPECT_EQ(batch[i].ids[k], t.pad_id());
        EXPECT_EQ(batch[i].attention_mask[k], 0);
      }
    }
  }
}

TEST(Tokenizer, PadsToAMultiple) {
  Tokenizer t = tiny_tokenizer();
  std::vector<Encoding> b = {t.encode("hello")};
  PaddingOptions pad;
  pad.strategy = PaddingStrategy::kLongest;
  pad.multiple_of = 8;
  t.pad(b, pad);
  EXPECT_EQ(b[0].size(), 8u);
}

TEST(Tokenizer, CasedTokenizerKeepsCaseAndAccents) {
  Tokenizer t = tiny_tokenizer(/*lowercase=*/false);
  Encoding e = t.encode("Hello hello");
  EXPECT_EQ(tokens_of(t, e), (std::vector<std::string>{"[CLS]", "Hello", "hello", "[SEP]"}));
}

TEST(Tokenizer, LstripAndRstripEatWhitespaceAroundAddedTokens) {
  std::vector<std::string> tokens = {"[PAD]", "[UNK]", "<mask>", "hello"};
  TokenizerConfig cfg;
  cfg.added_tokens = {{"<mask>", 2, true, false, true, true}};
  Tokenizer t(Vocab(tokens), cfg);
  Encoding e = t.encode("hello   <mask>  hello");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e.byte_offsets[1], (Span{5, 16}));
}

TEST(Tokenizer, PreTokenizeYieldsNormalizedWords) {
  Tokenizer t = tiny_tokenizer();
  std::vector<std::string> words;
  t.pre_tokenize("Héllo, WORLD [CLS]x", [&](std::string_view w) { words.emplace_back(w); });
  EXPECT_EQ(words, (std::vector<std::string>{"hello", ",", "world", "x"}));
}

TEST(Tokenizer, VeryLongWordIsOneUnknown) {
  Tokenizer t = tiny_tokenizer();
  // max_input_chars_per_word = 100, as in bert-base-uncased
  Encoding e = t.encode("a" + std::string(99, 'b'));
  EXPECT_EQ(e.size(), 102u);  // "a" then 99 x "##b"
  e = t.encode("a" + std::string(100, 'b'));
  EXPECT_EQ(tokens_of(t, e), (std::vector<std::string>{"[CLS]", "[UNK]", "[SEP]"}));
  EXPECT_EQ(e.offsets[1], (Span{0, 101}));
}

TEST(Tokenizer, WindowsFollowTheTemplateAndShareStrideTokens) {
  Tokenizer t = tiny_tokenizer();
  // 7 content tokens: the movie was great , hello world
  auto w = t.encode_windows("the movie was great, hello world", 5, 1);  // 3 content tokens a window
  std::vector<std::vector<std::string>> got;
  for (const auto& ids : w) {
    std::vector<std::string> toks;
    for (int32_t id : ids) toks.push_back(t.id_to_token(id));
    got.push_back(toks);
  }
  EXPECT_EQ(got, (std::vector<std::vector<std::string>>{{"[CLS]", "the", "movie", "was", "[SEP]"},
                                                        {"[CLS]", "was", "great", ",", "[SEP]"},
                                                        {"[CLS]", ",", "hello", "world", "[SEP]"}}));
  // A text that fits, and an empty one, are one window each.
  EXPECT_EQ(t.encode_windows("hello world", 16, 0).size(), 1u);
  auto empty = t.encode_windows("", 16, 0);
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0], (std::vector<int32_t>{2, 3}));
  // Without stride the windows partition the content.
  auto parts = t.encode_windows("the movie was great, hello world", 4, 0);
  EXPECT_EQ(parts.size(), 4u);
  EXPECT_THROW(t.encode_windows("hello", 3, 0), senti::Error);  // no room for content
  EXPECT_THROW(t.encode_windows("hello", 5, 3), senti::Error);  // stride >= content per window
}
