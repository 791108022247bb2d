#include "text/added_tokens.h"

#include <algorithm>
#include <utf8proc.h>

#include "text/unicode.h"
#include "text/utf8.h"

namespace senti::text {

namespace {

// Regex \w as HF's single_word check uses it: letters, marks, digits, connector punctuation.
bool is_word_char(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO) || cat == UTF8PROC_CATEGORY_PC;
}

// Code point ending just before byte `pos` (pos > 0).
char32_t char_before(std::string_view s, size_t pos, size_t& start) {
  size_t p = pos - 1;
  while (p > 0 && pos - p < 4 && (static_cast<unsigned char>(s[p]) & 0xC0) == 0x80) --p;
  size_t len;
  char32_t c = decode_utf8(s, p, len);
  if (p + len != pos) {  // ill-formed tail: treat the last byte alone
    p = pos - 1;
    c = kReplacementChar;
  }
  start = p;
  return c;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens) : tokens_(std::move(tokens)) {
  tokens_.erase(std::remove_if(tokens_.begin(), tokens_.end(),
                               [](const AddedToken& t) { return t.content.empty(); }),
                tokens_.end());
  std::stable_sort(tokens_.begin(), tokens_.end(), [](const AddedToken& a, const AddedToken& b) {
    return a.content.size() > b.content.size();
  });
  for (const auto& t : tokens_) first_byte_[static_cast<unsigned char>(t.content[0])] = true;
}

void AddedTokenMatcher::find_all(std::string_view text, std::vector<AddedTokenMatch>& out) const {
  out.clear();
  if (tokens_.empty()) return;
  size_t pos = 0;
  while (pos < text.size()) {
    if (!first_byte_[static_cast<unsigned char>(text[pos])]) {
      ++pos;
      continue;
    }
    const AddedToken* hit = nullptr;
    for (const auto& t : tokens_) {  // longest first: the first hit is the longest at pos
      if (text.compare(pos, t.content.size(), t.content) != 0) continue;
      if (t.single_word) {
        size_t end = pos + t.content.size(), s;
        size_t len;
        if (pos > 0 && is_word_char(char_before(text, pos, s))) continue;
        if (end < text.size() && is_word_char(decode_utf8(text, end, len))) continue;
      }
      hit = &t;
      break;
    }
    if (!hit) {
      ++pos;
      continue;
    }
    size_t begin = pos, end = pos + hit->content.size();
    size_t floor = out.empty() ? 0 : out.back().end;
    if (hit->lstrip) {
      while (begin > floor) {
        size_t s;
        if (!is_bert_whitespace(char_before(text, begin, s))) break;
        begin = s;
      }
    }
    if (hit->rstrip) {
      while (end < text.size()) {
        size_t len;
        if (!is_bert_whitespace(decode_utf8(text, end, len))) break;
        end += len;
      }
    }
    out.push_back({begin, end, hit->id});
    pos = end;
  }
}

}  // namespace senti::text
