#include "kernels/ops.h"

#include <cmath>
#include <cstring>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace senti::kernels {

void layernorm_forward(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t dim,
                       float eps, float* y) {
#pragma omp parallel for schedule(static) if (rows * dim > 16384)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    // Two passes in float with a double final sum would cost more; float accumulation over
    // dim <= 4096 with 16 lanes stays well inside the 1e-5 relative error budget.
    float sum = 0.f;
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < dim; ++i) sum += xr[i];
    const float mean = sum / static_cast<float>(dim);
    float sq = 0.f;
#pragma omp simd reduction(+ : sq)
    for (int64_t i = 0; i < dim; ++i) {
      float d = xr[i] - mean;
      sq += d * d;
    }
    const float inv = 1.f / std::sqrt(sq / static_cast<float>(dim) + eps);
#pragma omp simd
    for (int64_t i = 0; i < dim; ++i) yr[i] = (xr[i] - mean) * inv * gamma[i] + beta[i];
  }
}

#if defined(__AVX512F__)
namespace {
// 16 lanes of exp_approx (same reduction and polynomial; scalef applies 2^k).
inline __m512 exp16(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.33654f)), _mm512_set1_ps(88.72283f));
  const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fmadd_ps(k, _mm512_set1_ps(2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.f)));
  return _mm512_scalef_ps(p, k);
}
}  // namespace
#endif

void softmax_rows(float* x, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) {
    float* xr = x + r * n;
    int64_t i = 0;
    float mx = -INFINITY, sum = 0.f;
#if defined(__AVX512F__)
    __m512 vmx = _mm512_set1_ps(-INFINITY);
    for (; i + 16 <= n; i += 16) vmx = _mm512_max_ps(vmx, _mm512_loadu_ps(xr + i));
    mx = _mm512_reduce_max_ps(vmx);
#endif
    for (; i < n; ++i) mx = std::max(mx, xr[i]);
    i = 0;
#if defined(__AVX512F__)
    const __m512 vm = _mm512_set1_ps(mx);
    __m512 vs = _mm512_setzero_ps();
    for (; i + 16 <= n; i += 16) {
      __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(xr + i), vm));
      _mm512_storeu_ps(xr + i, e);
      vs = _mm512_add_ps(vs, e);
    }
    sum = _mm512_reduce_add_ps(vs);
#endif
    for (; i < n; ++i) {
      xr[i] = exp_approx(xr[i] - mx);
      sum += xr[i];
    }
    const float inv = 1.f / sum;
    for (i = 0; i < n; ++i) xr[i] *= inv;
  }
}

void embed_tokens(const int32_t* ids, const int32_t* positions, int64_t tokens, const float* word,
                  const float* position, int64_t dim, float* out) {
#pragma omp parallel for schedule(static) if (tokens * dim > 65536)
  for (int64_t t = 0; t < tokens; ++t) {
    const float* w = word + static_cast<int64_t>(ids[t]) * dim;
    const float* p = position + static_cast<int64_t>(positions[t]) * dim;
    float* o = out + t * dim;
#pragma omp simd
    for (int64_t i = 0; i < dim; ++i) o[i] = w[i] + p[i];
  }
}

void gelu_erf(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.f + std::erf(x[i] * 0.70710678118654752f));
}

void gelu_tanh(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    float v = x[i];
    x[i] = 0.5f * v * (1.f + std::tanh(0.7978845608028654f * (v + 0.044715f * v * v * v)));
  }
}

void relu(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] > 0.f ? x[i] : 0.f;
}

}  // namespace senti::kernels
