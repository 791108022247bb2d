#include <gtest/gtest.h>

#include <fstream>

#include "text/tokenizer.h"
#include "util/error.h"

using namespace senti::text;

namespace {
const char* kMinimal = R"({
  "version": "1.0", "truncation": null, "padding": null,
  "added_tokens": [{"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false,
                    "normalized": false, "special": true}],
  "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                 "strip_accents": null, "lowercase": true},
  "pre_tokenizer": {"type": "BertPreTokenizer"},
  "post_processor": {"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
               {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
    "pair": [],
    "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                       "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}},
  "decoder": null,
  "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "hello": 4, "##s": 5}}
})";

std::string message_of(const std::string& json) {
  try {
    Tokenizer::from_json(json, "t.json");
  } catch (const senti::Error& e) {
    return e.what();
  }
  return "";
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  size_t p = s.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  return s.replace(p, from.size(), to);
}
}  // namespace

TEST(TokenizerLoad, LoadsAMinimalTokenizerJson) {
  Tokenizer t = Tokenizer::from_json(kMinimal);
  Encoding e = t.encode("Hellos");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 4, 5, 3}));
}

TEST(TokenizerLoad, UnsupportedComponentsAreNamed) {
  std::string m = message_of(replace(kMinimal, "\"type\": \"BertNormalizer\"", "\"type\": \"NFKC\""));
  EXPECT_NE(m.find("normalizer type 'NFKC'"), std::string::npos) << m;
  m = message_of(replace(kMinimal, "\"type\": \"BertPreTokenizer\"", "\"type\": \"ByteLevel\""));
  EXPECT_NE(m.find("pre_tokenizer type 'ByteLevel'"), std::string::npos) << m;
  m = message_of(replace(kMinimal, "\"type\": \"WordPiece\"", "\"type\": \"BPE\""));
  EXPECT_NE(m.find("model type 'BPE'"), std::string::npos) << m;
  m = message_of(replace(kMinimal, "\"type\": \"TemplateProcessing\"", "\"type\": \"RobertaProcessing\""));
  EXPECT_NE(m.find("RobertaProcessing"), std::string::npos) << m;
  m = message_of(replace(kMinimal, "\"normalized\": false", "\"normalized\": true"));
  EXPECT_NE(m.find("normalized=true"), std::string::npos) << m;
}

TEST(TokenizerLoad, MalformedInputIsAClearError) {
  EXPECT_NE(message_of("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(message_of("[]").find("JSON object"), std::string::npos);
  EXPECT_NE(message_of("{}").find("'model'"), std::string::npos);
  std::string m = message_of(replace(kMinimal, "\"hello\": 4", "\"hello\": 40"));
  EXPECT_NE(m.find("model.vocab"), std::string::npos) << m;
  m = message_of(replace(kMinimal, "\"lowercase\": true", "\"lowercase\": 1"));
  EXPECT_NE(m.find("normalizer.lowercase"), std::string::npos) << m;
  m = message_of(replace(kMinimal, "\"ids\": [2]", "\"ids\": [99]"));
  EXPECT_NE(m.find("special_tokens.[CLS].ids"), std::string::npos) << m;
  m = message_of(replace(kMinimal, "\"unk_token\": \"[UNK]\"", "\"unk_token\": \"<unk>\""));
  EXPECT_NE(m.find("<unk>"), std::string::npos) << m;
}

TEST(TokenizerLoad, VocabFolderWithTokenizerConfig) {
  std::string dir = ::testing::TempDir() + "/tok_dir";
  std::system(("mkdir -p " + dir).c_str());
  { std::ofstream(dir + "/vocab.txt") << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nHello\nhello\n"; }
  { std::ofstream(dir + "/tokenizer_config.json") << R"({"do_lower_case": false, "model_max_length": 128})"; }
  Tokenizer t = Tokenizer::from_path(dir);
  EXPECT_EQ(t.encode("Hello").ids, (std::vector<int32_t>{2, 5, 3}));
  EXPECT_EQ(t.config().model_max_length, 128u);
  EXPECT_EQ(t.encode("x[MASK]").ids, (std::vector<int32_t>{2, 1, 4, 3}));
  { std::ofstream(dir + "/tokenizer_config.json") << R"({"do_lower_case": "yes"})"; }
  EXPECT_THROW(Tokenizer::from_path(dir), senti::Error);
  EXPECT_THROW(Tokenizer::from_path(dir + "/missing"), senti::Error);
}
