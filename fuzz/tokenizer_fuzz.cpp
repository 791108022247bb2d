// Fuzzes Tokenizer::encode with arbitrary bytes (invalid UTF-8 included) and checks the
// invariants every encoding must keep: offsets inside the text and on code-point boundaries,
// code-point and byte offsets describing the same span, truncation honouring max_length.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "text/tokenizer.h"
#include "text/utf8.h"

using namespace senti::text;

namespace {
const Tokenizer& tokenizer() {
  static const Tokenizer tok = [] {
    std::vector<std::string> tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "##a", "b", "##b",
                                       "ab", "##ab", "é", "e", "##e", "中", "!", ".", "the", "##s", "ß"};
    TokenizerConfig cfg;
    for (int i = 0; i < 5; ++i) cfg.added_tokens.push_back({tokens[i], i, true, false, i == 4, i == 4});
    cfg.single_template = {{false, {2}, 0}, {true, {}, 0}, {false, {3}, 0}};
    return Tokenizer(Vocab(tokens), cfg);
  }();
  return tok;
}

void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Tokenizer& tok = tokenizer();
  EncodeOptions opts;
  opts.truncation.max_length = 2 + data[0] % 16;
  opts.truncation.strategy = static_cast<TruncationStrategy>(data[0] % 3);
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  Encoding full = tok.encode(text, EncodeOptions{});
  Encoding cut = tok.encode(text, opts);
  check(cut.size() <= opts.truncation.max_length);
  check(full.size() == cut.size() + cut.num_truncated);
  for (const Encoding* e : {&full, &cut}) {
    for (size_t i = 0; i < e->size(); ++i) {
      auto [bs, be] = e->byte_offsets[i];
      auto [cs, ce] = e->offsets[i];
      check(bs <= be && be <= text.size() && cs <= ce);
      if (e->special_tokens_mask[i]) continue;
      check(count_code_points(text.substr(0, bs)) == cs);
      check(count_code_points(text.substr(bs, be - bs)) == ce - cs);
    }
  }
  return 0;
}
