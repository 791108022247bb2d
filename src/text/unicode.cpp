#include "text/unicode.h"

#include <utf8proc.h>

#include <algorithm>

#include "text/utf8.h"

namespace senti::text {

namespace {
struct ClassRange {
  char32_t first, last;
  CharClass cls;
};
constexpr ClassRange kClassRanges[] = {
#include "text/unicode_classes.inc"
};
}  // namespace

CharClass bert_char_class(char32_t c) {
  if (c < 0x80) {
    if (c == '\t' || c == '\n' || c == '\r' || c == ' ') return CharClass::kWhitespace;
    if (c < 0x20 || c == 0x7F) return CharClass::kControl;  // includes \v and \f: removed first
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126))
      return CharClass::kPunctuation;
    return CharClass::kOrdinary;
  }
  const ClassRange* end = kClassRanges + sizeof(kClassRanges) / sizeof(kClassRanges[0]);
  const ClassRange* it =
      std::upper_bound(kClassRanges, end, c, [](char32_t v, const ClassRange& r) { return v < r.first; });
  if (it == kClassRanges) return CharClass::kOrdinary;
  --it;
  return c <= it->last ? it->cls : CharClass::kOrdinary;
}

bool is_bert_whitespace(char32_t c) {
  // \v and \f are whitespace to the pre-tokenizer (clean_text removes them before it sees them).
  return c == 0x0B || c == 0x0C || c == 0x85 || bert_char_class(c) == CharClass::kWhitespace;
}
bool is_bert_control(char32_t c) { return bert_char_class(c) == CharClass::kControl; }

bool is_blank_text(std::string_view s) {
  for (size_t pos = 0; pos < s.size();) {
    size_t len = 1;
    const char32_t c = decode_utf8(s, pos, len);
    if (!is_bert_whitespace(c) && !is_bert_control(c) && c != 0) return false;
    pos += len;
  }
  return true;
}
bool is_bert_punctuation(char32_t c) { return bert_char_class(c) == CharClass::kPunctuation; }

bool is_cjk_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool is_nonspacing_mark(char32_t c) { return bert_char_class(c) == CharClass::kNonspacingMark; }

int combining_class(char32_t c) {
  if (c < 0x300) return 0;
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
}

int nfd_decompose(char32_t c, char32_t* out, int capacity) {
  if (c < 0xC0) {
    out[0] = c;
    return 1;
  }
  utf8proc_int32_t buf[8];
  int last_boundclass = 0;
  utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buf, 8,
                                               UTF8PROC_DECOMPOSE, &last_boundclass);
  if (n <= 0 || n > capacity) {
    out[0] = c;
    return 1;
  }
  for (utf8proc_ssize_t i = 0; i < n; ++i) out[i] = static_cast<char32_t>(buf[i]);
  return static_cast<int>(n);
}

int to_lower_full(char32_t c, char32_t* out) {
  if (c < 0x80) {
    out[0] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
    return 1;
  }
  // The one unconditional multi-character lowercase mapping in SpecialCasing.txt:
  // U+0130 LATIN CAPITAL LETTER I WITH DOT ABOVE -> i + U+0307 COMBINING DOT ABOVE.
  if (c == 0x130) {
    out[0] = 'i';
    out[1] = 0x307;
    return 2;
  }
  out[0] = static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c)));
  return 1;
}

}  // namespace senti::text
