// Plain option structs for the tokenizer: normalization, added tokens, truncation, padding.
// No behaviour lives here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace senti::text {

struct NormalizerOptions {  // Hugging Face BertNormalizer
  bool enabled = true;
  bool clean_text = true;
  bool handle_chinese_chars = true;
  std::optional<bool> strip_accents;  // unset: follows `lowercase`, as in HF
  bool lowercase = true;
  bool strips_accents() const { return strip_accents.value_or(lowercase); }
};

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = true;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
};

enum class TruncationStrategy { kHead, kTail, kHeadTail };

// Parses "head", "tail", "head+tail" (also "right" = head, "left" = tail, HF's direction names).
std::optional<TruncationStrategy> parse_truncation(const std::string& name);
const char* truncation_name(TruncationStrategy s);

struct TruncationOptions {
  size_t max_length = 0;  // total tokens including [CLS]/[SEP]; 0 = no truncation
  TruncationStrategy strategy = TruncationStrategy::kHeadTail;
  // head+tail: content tokens kept from the start; 0 = 128/510 of the budget (Sun et al. 2019).
  size_t head_tokens = 0;
};

enum class PaddingStrategy { kNone, kLongest, kMaxLength };

struct PaddingOptions {
  PaddingStrategy strategy = PaddingStrategy::kNone;
  size_t length = 0;       // for kMaxLength
  size_t multiple_of = 0;  // round the padded length up to a multiple of this (0 = off)
};

}  // namespace senti::text
