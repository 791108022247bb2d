#include "text/utf8.h"

namespace senti::text {

char32_t decode_utf8(std::string_view s, size_t pos, size_t& len) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + pos;
  size_t avail = s.size() - pos;
  unsigned char b0 = p[0];
  len = 1;
  if (b0 < 0x80) return b0;
  // Table 3-7 of the Unicode standard: the allowed range of the second byte depends on the first.
  int need;
  unsigned char lo = 0x80, hi = 0xBF;
  char32_t cp;
  if (b0 >= 0xC2 && b0 <= 0xDF) { need = 1; cp = b0 & 0x1F; }
  else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2; cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3; cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return kReplacementChar;  // 0x80..0xC1 or 0xF5..0xFF can never start a sequence
  }
  for (int i = 1; i <= need; ++i) {
    if (static_cast<size_t>(i) >= avail) return kReplacementChar;  // truncated: len = valid prefix
    unsigned char b = p[i];
    if (b < lo || b > hi) return kReplacementChar;
    lo = 0x80; hi = 0xBF;
    cp = (cp << 6) | (b & 0x3F);
    len = i + 1;
  }
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) { ++i; continue; }
    size_t len;
    if (decode_utf8(s, i, len) == kReplacementChar) {
      // U+FFFD itself is valid (EF BF BD); anything else decoding to it was repaired.
      if (!(len == 3 && s.compare(i, 3, "\xEF\xBF\xBD") == 0)) return false;
    }
    i += len;
  }
  return true;
}

std::string repair_utf8(std::string_view s) {
  if (is_valid_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    size_t len;
    append_utf8(out, decode_utf8(s, i, len));
    i += len;
  }
  return out;
}

size_t count_code_points(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++n) {
    size_t len;
    decode_utf8(s, i, len);
    i += len;
  }
  return n;
}

}  // namespace senti::text
