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

// probs_out, if not null, receives each (sequence, head) probability matrix (before dropout),
// row-major, in the order sequences then heads (for the backward pass and explanations).
// dropout > 0 applies inverted dropout to the probabilities (training), masks keyed on seed.
void attention_forward(const float* qkv, const std::vector<SequenceSpan>& seqs, int64_t dim, int64_t heads,
                       float* ctx, float* probs_out = nullptr, float dropout = 0.f, uint64_t seed = 0);

// Inference only: attention_forward's result with both products (Q Kᵀ and P V) in bf16 with f32
// accumulation; softmax in f32. For the bf16 and int8 compute types (linear.h).
void attention_forward_bf16(const float* qkv, const std::vector<SequenceSpan>& seqs, int64_t dim, int64_t heads,
                            float* ctx);

// Backward of attention_forward given the saved probabilities: dqkv (tokens, 3·dim) is
// overwritten with the gradients of Q, K and V.
void attention_backward(const float* qkv, const float* probs, const std::vector<SequenceSpan>& seqs, int64_t dim,
                        int64_t heads, const float* dctx, float* dqkv, float dropout = 0.f, uint64_t seed = 0);

// Attention for the first token of each sequence only (what a [CLS] classifier reads from the
// last layer): q (sequences, dim) holds each sequence's first-token query; kv (tokens, 2·dim)
// holds K then V for every token; ctx (sequences, dim) receives the context rows.
void attention_first_token(const float* q, const float* kv, const std::vector<SequenceSpan>& seqs, int64_t dim,
                           int64_t heads, float* ctx);

// Offsets of each (sequence, head) block in probs_out, and its total size.
std::vector<int64_t> attention_prob_offsets(const std::vector<SequenceSpan>& seqs, int64_t heads, int64_t* total);

}  // namespace senti::kernels
