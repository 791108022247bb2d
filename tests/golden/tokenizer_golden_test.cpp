// Tokenizer parity with the Hugging Face Rust tokenizer: ids, tokens and code-point offsets
// must match exactly on ../shared/data/tokenizer/golden-uncased.jsonl (1,037 cases) and on the
// committed Unicode fixture (tools/make-tokenizer-fixtures.js), for both ways of loading the
// bert-base-uncased tokenizer (tokenizer.json and vocab.txt).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

using namespace senti::text;
using nlohmann::json;

namespace {

struct Case {
  std::string text;
  std::vector<int32_t> ids;
  std::vector<std::string> tokens;
  std::vector<Span> offsets;
};

std::vector<Case> read_cases(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    json j = json::parse(line);
    Case c;
    c.text = j["text"].get<std::string>();
    c.ids = j["ids"].get<std::vector<int32_t>>();
    c.tokens = j["tokens"].get<std::vector<std::string>>();
    for (const auto& o : j["offsets"]) c.offsets.push_back({o[0].get<uint32_t>(), o[1].get<uint32_t>()});
    cases.push_back(std::move(c));
  }
  return cases;
}

// Returns the number of mismatching cases, reporting the first few in detail.
size_t compare(const Tokenizer& tok, const std::vector<Case>& cases) {
  size_t bad = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    Encoding e = tok.encode(c.text);
    std::vector<std::string> tokens;
    for (int32_t id : e.ids) tokens.push_back(tok.id_to_token(id));
    if (e.ids == c.ids && tokens == c.tokens && e.offsets == c.offsets) continue;
    if (++bad <= 5) {
      ADD_FAILURE() << "case " << i << " differs: text " << json(c.text).dump() << "\n expected ids "
                    << json(c.ids).dump() << "\n got      ids " << json(e.ids).dump();
    }
    // Byte offsets must describe the same spans as the code-point offsets.
  }
  return bad;
}

void check_byte_offsets(const Tokenizer& tok, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    Encoding e = tok.encode(c.text);
    for (size_t k = 0; k < e.size(); ++k) {
      auto [bs, be] = e.byte_offsets[k];
      auto [cs, ce] = e.offsets[k];
      ASSERT_LE(be, c.text.size());
      EXPECT_EQ(count_code_points(std::string_view(c.text).substr(0, bs)), cs);
      EXPECT_EQ(count_code_points(std::string_view(c.text).substr(bs, be - bs)), ce - cs);
    }
  }
}

}  // namespace

TEST(TokenizerGolden, MatchesHuggingFaceOnTheSharedGoldenFile) {
  SENTI_REQUIRE_SHARED(shared);
  auto cases = read_cases(shared + "/data/tokenizer/golden-uncased.jsonl");
  ASSERT_EQ(cases.size(), 1037u);
  Tokenizer from_json = Tokenizer::from_path(shared + "/data/tokenizer/bert-base-uncased-tokenizer.json");
  Tokenizer from_vocab = Tokenizer::from_path(shared + "/data/bert-base-uncased-vocab.txt");
  EXPECT_EQ(compare(from_json, cases), 0u) << "tokenizer.json";
  EXPECT_EQ(compare(from_vocab, cases), 0u) << "vocab.txt";
  check_byte_offsets(from_json, cases);
}

TEST(TokenizerGolden, MatchesHuggingFaceAcrossUnicode) {
  SENTI_REQUIRE_SHARED(shared);
  auto cases = read_cases(senti::test::source_dir() + "/tests/fixtures/tokenizer-unicode.jsonl");
  ASSERT_EQ(cases.size(), 400u);
  Tokenizer tok = Tokenizer::from_path(shared + "/data/tokenizer/bert-base-uncased-tokenizer.json");
  EXPECT_EQ(compare(tok, cases), 0u);
  check_byte_offsets(tok, cases);
}
