#include "explain/words.h"

#include "util/error.h"

namespace senti::explain {

std::vector<WordSpan> group_words(const text::Encoding& e, const std::vector<std::string>& tokens,
                                  const std::string& prefix) {
  if (tokens.size() != e.size()) fail(ErrorCode::kInternal, "group_words: one token string per id expected");
  std::vector<WordSpan> words;
  for (size_t i = 0; i < e.size(); ++i) {
    if (e.special_tokens_mask[i] || !e.attention_mask[i]) continue;
    const auto& b = e.byte_offsets[i];
    const auto& c = e.offsets[i];
    const bool continues = !words.empty() && words.back().last == i && !prefix.empty() &&
                           tokens[i].size() > prefix.size() && tokens[i].compare(0, prefix.size(), prefix) == 0 &&
                           words.back().byte_end == b.first;
    if (continues) {
      WordSpan& w = words.back();
      w.last = i + 1;
      w.byte_end = b.second;
      w.cp_end = c.second;
    } else {
      words.push_back({i, i + 1, b.first, b.second, c.first, c.second});
    }
  }
  return words;
}

}  // namespace senti::explain
