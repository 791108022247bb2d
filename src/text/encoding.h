// Encoding: what the tokenizer produces for one text, in the shape Hugging Face's Encoding has
// (ids, type ids, attention mask, special-tokens mask, offsets), plus byte offsets. Offsets
// are [start, end) into the original text, in code points and in bytes; [0, 0] for tokens the
// template or padding added.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace senti::text {

using Span = std::pair<uint32_t, uint32_t>;

struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
  std::vector<int8_t> attention_mask;       // 1 for real tokens, 0 for padding
  std::vector<int8_t> special_tokens_mask;  // 1 for template-added and padding tokens
  std::vector<Span> offsets;                // code points
  std::vector<Span> byte_offsets;           // bytes
  size_t num_truncated = 0;                 // content tokens removed by truncation

  size_t size() const { return ids.size(); }
  void push(int32_t id, int32_t type_id, bool special, Span cp, Span bytes, bool attend = true) {
    ids.push_back(id);
    type_ids.push_back(type_id);
    attention_mask.push_back(attend ? 1 : 0);
    special_tokens_mask.push_back(special ? 1 : 0);
    offsets.push_back(cp);
    byte_offsets.push_back(bytes);
  }
};

}  // namespace senti::text
