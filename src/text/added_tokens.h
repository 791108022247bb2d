// AddedTokenMatcher: finds added/special tokens ([CLS], [MASK], ...) in raw text before any
// normalization, leftmost-longest as Hugging Face's AddedVocabulary does for tokens with
// normalized=false, honouring lstrip / rstrip / single_word. Produces match spans only.
#pragma once
#include <array>
#include <cstddef>
#include <string_view>
#include <vector>

#include "text/options.h"

namespace senti::text {

struct AddedTokenMatch {
  size_t begin, end;  // bytes in the text, including whitespace eaten by lstrip/rstrip
  int32_t id;
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(std::vector<AddedToken> tokens);

  bool empty() const { return tokens_.empty(); }
  const std::vector<AddedToken>& tokens() const { return tokens_; }
  // All non-overlapping matches in text, in order.
  void find_all(std::string_view text, std::vector<AddedTokenMatch>& out) const;

 private:
  std::vector<AddedToken> tokens_;       // sorted by content length, longest first
  std::array<bool, 256> first_byte_{};  // bytes that can start a token
};

}  // namespace senti::text
