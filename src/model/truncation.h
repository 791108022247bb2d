// The public API's Truncation as the tokenizer's TruncationStrategy (one mapping for the
// Classifier and the Explainer).
#pragma once
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

}  // namespace senti::model
