// Greedy packing under a token budget, the one rule every batched pass uses (the classifier's
// packed batches, the explainer's evidence passes, the server's dynamic batches): from item
// `begin`, take items while their sizes add up to at most `budget` — always at least one, so an
// item larger than the budget goes alone. Returns the end of the pack. Knows nothing of tokens.
#pragma once
#include <cstddef>

namespace senti {

template <class SizeAt>
size_t pack_within(size_t begin, size_t end, size_t budget, SizeAt size_at) {
  size_t i = begin, used = 0;
  while (i < end && (i == begin || used + size_at(i) <= budget)) used += size_at(i++);
  return i;
}

}  // namespace senti
