// Word grouping for explanations: which content tokens of an Encoding form one word. A token
// continues the previous word when it carries the continuing-subword prefix ("##") and starts
// where the previous token ended in the text; punctuation the pre-tokenizer split off is a word
// of its own. Template tokens ([CLS], [SEP]) belong to no word. Pure function, no model.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "text/encoding.h"

namespace senti::explain {

struct WordSpan {
  size_t first = 0, last = 0;     // token indices into the Encoding, [first, last)
  size_t byte_begin = 0, byte_end = 0;
  size_t cp_begin = 0, cp_end = 0;  // code points
};

// `tokens`: the vocabulary entry of each id of e; `prefix`: the continuing-subword prefix.
std::vector<WordSpan> group_words(const text::Encoding& e, const std::vector<std::string>& tokens,
                                  const std::string& prefix);

}  // namespace senti::explain
