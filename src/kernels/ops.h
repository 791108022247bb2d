// Element-wise and row-wise kernels of the encoder's forward pass, over plain row-major float
// buffers: LayerNorm, softmax, activations, embedding lookup. Parallel over rows (OpenMP).
#pragma once
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace senti::kernels {

// y[r] = (x[r] - mean) / sqrt(var + eps) * gamma + beta, for rows of `dim`; y may alias x.
void layernorm_forward(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t dim,
                       float eps, float* y);

// e^x within about 1e-7 relative (x clamped to the float range); branch-free and inline so that
// loops over it vectorize. exp(x) = 2^k · e^r with k = round(x / ln 2), |r| <= ln2 / 2, and e^r
// from the Cephes expf polynomial.
inline float exp_approx(float x) {
  x = std::min(std::max(x, -87.33654f), 88.72283f);
  const float k = std::floor(x * 1.44269504088896341f + 0.5f);
  const float r = x - k * 0.693359375f + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  return p * std::bit_cast<float>((static_cast<int32_t>(k) + 127) << 23);
}

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
