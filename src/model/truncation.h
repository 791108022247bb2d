// The public API's Truncation as the tokenizer's TruncationStrategy (one mapping for the
// Classifier and the Explainer).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "senti/classifier.h"
#include "text/options.h"

namespace senti::model {

inline text::TruncationStrategy to_text(Truncation t) {
  switch (t) {
    case Truncation::kHead: return text::TruncationStrategy::kHead;
    case Truncation::kTail: return text::TruncationStrategy::kTail;
    case Truncation::kHeadTail: return text::TruncationStrategy::kHeadTail;
  }
  return text::TruncationStrategy::kHeadTail;
}

// "head", "tail", "head+tail".
inline const char* truncation_name(Truncation t) { return text::truncation_name(to_text(t)); }
// The names above ("head_tail" too); nullopt for anything else.
inline std::optional<Truncation> parse_truncation(std::string_view name) {
  const auto s = text::parse_truncation(std::string(name));
  if (!s) return std::nullopt;
  switch (*s) {
    case text::TruncationStrategy::kHead: return Truncation::kHead;
    case text::TruncationStrategy::kTail: return Truncation::kTail;
    case text::TruncationStrategy::kHeadTail: break;
  }
  return Truncation::kHeadTail;
}

}  // namespace senti::model
