// UTF-8 decoding with repair, and encoding. Decoding never fails: each maximal ill-formed
// subsequence becomes one U+FFFD (the Unicode "maximal subpart" practice, as Rust's
// from_utf8_lossy does), so byte offsets of the original text stay exact.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace senti::text {

constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes the code point at s[pos]; returns it and sets `len` to the bytes consumed (>= 1).
char32_t decode_utf8(std::string_view s, size_t pos, size_t& len);

// Appends the UTF-8 encoding of cp (cp must be a scalar value).
void append_utf8(std::string& out, char32_t cp);

// Returns s with every ill-formed sequence replaced by U+FFFD (a copy only when needed).
std::string repair_utf8(std::string_view s);
bool is_valid_utf8(std::string_view s);

// Number of code points in s after repair.
size_t count_code_points(std::string_view s);

}  // namespace senti::text
