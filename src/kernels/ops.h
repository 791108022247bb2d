// Element-wise and row-wise kernels of the encoder's forward pass, over plain row-major float
// buffers: LayerNorm, softmax, activations, embedding lookup. Parallel over rows (OpenMP).
#pragma once
#include <cstdint>

namespace senti::kernels {

// y[r] = (x[r] - mean) / sqrt(var + eps) * gamma + beta, for rows of `dim`; y may alias x.
void layernorm_forward(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t dim,
                       float eps, float* y);

// In place, row-wise softmax of rows of length n.
void softmax_rows(float* x, int64_t rows, int64_t n);

// out[t] = word[ids[t]] + position[pos[t]] for each token t, rows of `dim`.
void embed_tokens(const int32_t* ids, const int32_t* positions, int64_t tokens, const float* word,
                  const float* position, int64_t dim, float* out);

// Activations, in place (the forms used by DistilBERT's config "activation").
void gelu_erf(float* x, int64_t n);
void gelu_tanh(float* x, int64_t n);
void relu(float* x, int64_t n);

}  // namespace senti::kernels
