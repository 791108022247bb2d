#include "kernels/ops.h"

#include <cmath>
#include <cstring>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "kernels/parallel.h"

namespace senti::kernels {

void layernorm_forward(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t dim,
                       float eps, float* y) {
  parallel_for(rows, rows * dim, 16384, [&](int64_t r) {
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
  });
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

// 16 lanes of erf_approx.
inline __m512 erf16(__m512 x) {
  const __m512i sign = _mm512_set1_epi32(static_cast<int32_t>(0x80000000u));
  const __m512 a = _mm512_castsi512_ps(_mm512_andnot_si512(sign, _mm512_castps_si512(x)));
  const __m512 t = _mm512_div_ps(_mm512_set1_ps(1.f), _mm512_fmadd_ps(a, _mm512_set1_ps(0.3275911f), _mm512_set1_ps(1.f)));
  __m512 p = _mm512_set1_ps(1.061405429f);
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.453152027f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.421413741f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.284496736f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.254829592f));
  const __m512 e = exp16(_mm512_mul_ps(_mm512_sub_ps(_mm512_setzero_ps(), a), a));
  const __m512 y = _mm512_fnmadd_ps(_mm512_mul_ps(p, t), e, _mm512_set1_ps(1.f));
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(y), _mm512_and_si512(sign, _mm512_castps_si512(x))));
}

// Φ(v) = (1 + erf(v / √2)) / 2 in 16 lanes.
inline __m512 normal_cdf16(__m512 v) {
  return _mm512_fmadd_ps(erf16(_mm512_mul_ps(v, _mm512_set1_ps(0.70710678118654752f))), _mm512_set1_ps(0.5f),
                         _mm512_set1_ps(0.5f));
}
}  // namespace
#endif

namespace {
inline float normal_cdf(float v) { return 0.5f * (1.f + erf_approx(v * 0.70710678118654752f)); }

// Runs vec(i) on 16 elements at i and scalar(i) on the tail, in blocks over the OpenMP threads.
#if defined(__AVX512F__)
template <class Vec, class Scalar>
void elementwise(int64_t n, const Vec& vec, const Scalar& scalar) {
#else
template <class Scalar>
void elementwise(int64_t n, const Scalar& scalar) {
#endif
  constexpr int64_t kBlock = 4096;
  parallel_for((n + kBlock - 1) / kBlock, n, 65536, [&](int64_t blk) {
    const int64_t b = blk * kBlock, end = std::min(n, b + kBlock);
    int64_t i = b;
#if defined(__AVX512F__)
    for (; i + 16 <= end; i += 16) vec(i);
#endif
    for (; i < end; ++i) scalar(i);
  });
}
}  // namespace

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
  parallel_for(tokens, tokens * dim, 65536, [&](int64_t t) {
    const float* w = word + static_cast<int64_t>(ids[t]) * dim;
    const float* p = position + static_cast<int64_t>(positions[t]) * dim;
    float* o = out + t * dim;
#pragma omp simd
    for (int64_t i = 0; i < dim; ++i) o[i] = w[i] + p[i];
  });
}

void gelu_erf(float* x, int64_t n) {
  elementwise(
      n,
#if defined(__AVX512F__)
      [&](int64_t i) { const __m512 v = _mm512_loadu_ps(x + i); _mm512_storeu_ps(x + i, _mm512_mul_ps(v, normal_cdf16(v))); },
#endif
      [&](int64_t i) { x[i] *= normal_cdf(x[i]); });
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

namespace senti::kernels {

void layernorm_forward_train(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t dim,
                             float eps, float* y, float* mean, float* rstd) {
#pragma omp parallel for schedule(static) if (rows * dim > 16384)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < dim; ++i) sum += xr[i];
    const double m = sum / dim;
    for (int64_t i = 0; i < dim; ++i) sq += (xr[i] - m) * (xr[i] - m);
    const float inv = static_cast<float>(1.0 / std::sqrt(sq / dim + eps));
    mean[r] = static_cast<float>(m);
    rstd[r] = inv;
    float* yr = y + r * dim;
    for (int64_t i = 0; i < dim; ++i) yr[i] = (xr[i] - mean[r]) * inv * gamma[i] + beta[i];
  }
}

void layernorm_backward(const float* dy, const float* x, const float* mean, const float* rstd, const float* gamma,
                        int64_t rows, int64_t dim, float* dx, bool accumulate, float* dgamma, float* dbeta) {
  // With xhat = (x - mean)·rstd and g = dy·gamma:
  // dx = rstd · (g - mean(g) - xhat · mean(g·xhat)).
#pragma omp parallel for schedule(static) if (rows * dim > 16384)
  for (int64_t r = 0; r < rows; ++r) {
    const float* dyr = dy + r * dim;
    const float* xr = x + r * dim;
    float* dxr = dx + r * dim;
    double sg = 0, sgx = 0;
    for (int64_t i = 0; i < dim; ++i) {
      const double xhat = (xr[i] - mean[r]) * rstd[r];
      const double g = static_cast<double>(dyr[i]) * gamma[i];
      sg += g;
      sgx += g * xhat;
    }
    sg /= dim;
    sgx /= dim;
    for (int64_t i = 0; i < dim; ++i) {
      const double xhat = (xr[i] - mean[r]) * rstd[r];
      const float v = static_cast<float>(rstd[r] * (static_cast<double>(dyr[i]) * gamma[i] - sg - xhat * sgx));
      dxr[i] = accumulate ? dxr[i] + v : v;
    }
  }
  if (dgamma || dbeta)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < dim; ++i) {
        const float g = dy[r * dim + i];
        if (dgamma) dgamma[i] += g * (x[r * dim + i] - mean[r]) * rstd[r];
        if (dbeta) dbeta[i] += g;
      }
}

void gelu_erf_backward(const float* x, const float* dy, float* dx, int64_t n) {
  // d/dx [x·Φ(x)] = Φ(x) + x·φ(x)
  elementwise(
      n,
#if defined(__AVX512F__)
      [&](int64_t i) {
        const __m512 v = _mm512_loadu_ps(x + i);
        const __m512 pdf = _mm512_mul_ps(_mm512_set1_ps(0.39894228040143268f),
                                         exp16(_mm512_mul_ps(_mm512_mul_ps(v, v), _mm512_set1_ps(-0.5f))));
        _mm512_storeu_ps(dx + i, _mm512_mul_ps(_mm512_loadu_ps(dy + i), _mm512_fmadd_ps(v, pdf, normal_cdf16(v))));
      },
#endif
      [&](int64_t i) {
        const float v = x[i];
        dx[i] = dy[i] * (normal_cdf(v) + v * 0.39894228040143268f * exp_approx(-0.5f * v * v));
      });
}

void gelu_tanh_backward(const float* x, const float* dy, float* dx, int64_t n) {
  const float c = 0.7978845608028654f;
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float u = c * (v + 0.044715f * v * v * v);
    const float t = std::tanh(u);
    dx[i] = dy[i] * (0.5f * (1.f + t) + 0.5f * v * (1.f - t * t) * c * (1.f + 3.f * 0.044715f * v * v));
  }
}

void relu_backward(const float* x, const float* dy, float* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > 0.f ? dy[i] : 0.f;
}

namespace {
inline uint64_t mix64(uint64_t z) {  // splitmix64 finalizer
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
}  // namespace

void dropout_forward(float* x, int64_t n, float p, uint64_t seed) {
  if (p <= 0.f) return;
  const uint64_t threshold = static_cast<uint64_t>(static_cast<double>(p) * 18446744073709551616.0);
  const float scale = 1.f / (1.f - p);
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) x[i] = mix64(seed + 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(i + 1)) >= threshold ? x[i] * scale : 0.f;
}

void dropout_backward(float* dx, int64_t n, float p, uint64_t seed) { dropout_forward(dx, n, p, seed); }

double cross_entropy_forward_backward(const float* logits, const int32_t* labels, int64_t rows, int64_t classes,
                                      float* dlogits) {
  double loss = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* l = logits + r * classes;
    double mx = l[0];
    for (int64_t c = 1; c < classes; ++c) mx = std::max(mx, static_cast<double>(l[c]));
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(l[c] - mx);
    const double lse = mx + std::log(sum);
    loss += lse - l[labels[r]];
    for (int64_t c = 0; c < classes; ++c)
      dlogits[r * classes + c] = static_cast<float>((std::exp(l[c] - lse) - (c == labels[r] ? 1.0 : 0.0)) / rows);
  }
  return loss / rows;
}

double binary_cross_entropy_forward_backward(const float* logits, const float* labels, int64_t n, float* dlogits) {
  double loss = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double z = logits[i], y = labels[i];
    loss += std::max(z, 0.0) + std::log1p(std::exp(-std::fabs(z))) - y * z;  // softplus(z) - y·z
    const double sig = z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
    dlogits[i] = static_cast<float>((sig - y) / static_cast<double>(n));
  }
  return n ? loss / static_cast<double>(n) : 0.0;
}

double soft_cross_entropy_forward_backward(const float* logits, const float* targets, int64_t rows, int64_t classes,
                                           float* dlogits) {
  double loss = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* l = logits + r * classes;
    const float* t = targets + r * classes;
    double mx = l[0];
    for (int64_t c = 1; c < classes; ++c) mx = std::max(mx, static_cast<double>(l[c]));
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(l[c] - mx);
    const double lse = mx + std::log(sum);
    for (int64_t c = 0; c < classes; ++c) {
      loss -= t[c] * (l[c] - lse);
      dlogits[r * classes + c] = static_cast<float>((std::exp(l[c] - lse) - t[c]) / rows);
    }
  }
  return loss / rows;
}

void embed_tokens_backward(const float* dout, const int32_t* ids, const int32_t* positions, int64_t tokens,
                           int64_t dim, float* dword, float* dposition) {
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t i = 0; i < dim; ++i) {
      if (dword) dword[static_cast<int64_t>(ids[t]) * dim + i] += dout[t * dim + i];
      if (dposition) dposition[static_cast<int64_t>(positions[t]) * dim + i] += dout[t * dim + i];
    }
}

}  // namespace senti::kernels
