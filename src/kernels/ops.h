// Element-wise and row-wise kernels of the encoder, forward and backward, over plain row-major
// float buffers: LayerNorm, softmax, activations (GELU, ReLU), dropout, embedding lookup and its
// scatter-add, cross-entropy (hard and soft targets). Parallel over rows (OpenMP) where it pays.
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

// Training form of LayerNorm: also stores each row's mean and 1/sqrt(var + eps) for backward.
void layernorm_forward_train(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t dim,
                             float eps, float* y, float* mean, float* rstd);
// dx = LayerNorm'ᵀ dy (overwritten, or added to when accumulate); dgamma, dbeta accumulate
// (skipped when null).
void layernorm_backward(const float* dy, const float* x, const float* mean, const float* rstd, const float* gamma,
                        int64_t rows, int64_t dim, float* dx, bool accumulate, float* dgamma, float* dbeta);

// Activation backward: dx = dy · f'(x), x the activation's input; dx may alias dy.
void gelu_erf_backward(const float* x, const float* dy, float* dx, int64_t n);
void gelu_tanh_backward(const float* x, const float* dy, float* dx, int64_t n);
void relu_backward(const float* x, const float* dy, float* dx, int64_t n);

// Inverted dropout with a counter-based mask: element i is kept iff hash(seed, i) >= p·2⁶⁴, so
// the backward pass regenerates the mask instead of storing it, and a run is reproducible
// regardless of thread count. Kept values are scaled by 1/(1-p). In place.
void dropout_forward(float* x, int64_t n, float p, uint64_t seed);
void dropout_backward(float* dx, int64_t n, float p, uint64_t seed);  // same mask and scale

// Mean cross-entropy over rows of logits (rows, classes) against labels; writes
// dlogits = (softmax - onehot) / rows and returns the loss.
double cross_entropy_forward_backward(const float* logits, const int32_t* labels, int64_t rows, int64_t classes,
                                      float* dlogits);
// The same against soft targets (rows, classes), each row a probability distribution (e.g. a
// teacher's, for distillation): loss = mean over rows of -sum_c t_c log softmax(l)_c, dlogits =
// (softmax - t) / rows. Equals the hard version for one-hot targets.
double soft_cross_entropy_forward_backward(const float* logits, const float* targets, int64_t rows, int64_t classes,
                                           float* dlogits);

// Mean binary cross-entropy with logits (torch's BCEWithLogitsLoss) over n logits against 0/1
// labels: loss = mean of softplus(z) - y·z, computed stably; dlogits = (sigmoid(z) - y) / n.
double binary_cross_entropy_forward_backward(const float* logits, const float* labels, int64_t n, float* dlogits);

// Scatter-add of token gradients into embedding tables (rows of `dim`); null tables are skipped.
void embed_tokens_backward(const float* dout, const int32_t* ids, const int32_t* positions, int64_t tokens,
                           int64_t dim, float* dword, float* dposition);

// erf within 1e-6 absolute (Abramowitz & Stegun 7.1.26, 1.5e-7, plus float rounding); inline
// and branch-free so loops vectorize (libm's erff is a scalar call). Used by the training
// path's GELU and int8 inference's epilogue; f32 and bf16 inference use oneDNN's fused GELU.
inline float erf_approx(float x) {
  const float a = x < 0 ? -x : x;
  const float t = 1.f / (1.f + 0.3275911f * a);
  float p = 1.061405429f;
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const float y = 1.f - p * t * exp_approx(-a * a);
  return x < 0 ? -y : y;
}

// Activations, in place (the forms used by DistilBERT's config "activation").
void gelu_erf(float* x, int64_t n);
void gelu_tanh(float* x, int64_t n);
void relu(float* x, int64_t n);

}  // namespace senti::kernels
