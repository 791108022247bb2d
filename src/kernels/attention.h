// Multi-head self-attention core over packed sequences (no padding anywhere): for each
// sequence and head, ctx = softmax(Q Kᵀ / sqrt(d)) V, reading Q, K, V from one fused QKV
// buffer (tokens, 3·dim) and writing the context into (tokens, dim). Sequences never see each
// other, which is what an attention mask over padding computes.
#pragma once
#include <cstdint>
#include <vector>

namespace senti::kernels {

struct SequenceSpan {
  int64_t begin;   // first token row
  int64_t length;  // tokens
};

// probs_out, if not null, receives each (sequence, head) probability matrix, row-major, in the
// order sequences then heads (for training's backward pass and explanations).
void attention_forward(const float* qkv, const std::vector<SequenceSpan>& seqs, int64_t dim, int64_t heads,
                       float* ctx, float* probs_out = nullptr);

// Offsets of each (sequence, head) block in probs_out, and its total size.
std::vector<int64_t> attention_prob_offsets(const std::vector<SequenceSpan>& seqs, int64_t heads, int64_t* total);

}  // namespace senti::kernels
