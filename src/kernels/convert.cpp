#include "kernels/convert.h"

#include <algorithm>
#include <cmath>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "kernels/parallel.h"
#include "tensor/tensor.h"

namespace senti::kernels {

void to_bf16(const float* a, int64_t rows, int64_t cols, int64_t ld, uint16_t* out) {
  parallel_for(rows, rows * cols, 65536, [&](int64_t r) {
    const float* src = a + r * ld;
    uint16_t* dst = out + r * cols;
    int64_t c = 0;
#if defined(__AVX512BF16__)
    for (; c + 16 <= cols; c += 16)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + c), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + c)));
#endif
    for (; c < cols; ++c) dst[c] = f32_to_bf16(src[c]);
  });
}

void quantize_rows_s8(const float* w, int64_t rows, int64_t cols, int8_t* q, float* scale, int levels) {
  const float top = static_cast<float>(std::clamp(levels, 1, 127));
  for (int64_t r = 0; r < rows; ++r) {
    const float* src = w + r * cols;
    float mx = 0.f;
    for (int64_t c = 0; c < cols; ++c) mx = std::max(mx, std::fabs(src[c]));
    const float s = mx > 0.f ? mx / top : 1.f;
    scale[r] = s;
    for (int64_t c = 0; c < cols; ++c)
      q[r * cols + c] = static_cast<int8_t>(std::clamp(std::nearbyint(src[c] / s), -top, top));
  }
}

namespace {
// min(0, x) and max(0, x) over a row.
void row_range(const float* x, int64_t n, float& lo, float& hi) {
  int64_t c = 0;
  lo = 0.f;
  hi = 0.f;
#if defined(__AVX512F__)
  __m512 vlo = _mm512_setzero_ps(), vhi = _mm512_setzero_ps();
  for (; c + 16 <= n; c += 16) {
    const __m512 v = _mm512_loadu_ps(x + c);
    vlo = _mm512_min_ps(vlo, v);
    vhi = _mm512_max_ps(vhi, v);
  }
  lo = _mm512_reduce_min_ps(vlo);
  hi = _mm512_reduce_max_ps(vhi);
#endif
  for (; c < n; ++c) {
    lo = std::min(lo, x[c]);
    hi = std::max(hi, x[c]);
  }
}
}  // namespace

void quantize_rows_u8(const float* x, int64_t rows, int64_t cols, uint8_t* q, float* scale, int32_t* zero_point) {
  parallel_for(rows, rows * cols, 32768, [&](int64_t r) {
    const float* src = x + r * cols;
    float lo, hi;
    row_range(src, cols, lo, hi);
    const float s = hi > lo ? (hi - lo) / 255.f : 1.f;
    const float inv = 1.f / s;
    // lo <= 0 <= hi, so the zero point lies in [0, 255] and 0 maps to an integer exactly.
    const float zp = std::clamp(std::nearbyint(-lo * inv), 0.f, 255.f);
    scale[r] = s;
    zero_point[r] = static_cast<int32_t>(zp);
    uint8_t* dst = q + r * cols;
    int64_t c = 0;
    // Round half up: the value is non-negative after the clamp.
#if defined(__AVX512F__)
    const __m512 vinv = _mm512_set1_ps(inv), voff = _mm512_set1_ps(zp + 0.5f), vmax = _mm512_set1_ps(255.f);
    for (; c + 16 <= cols; c += 16) {
      __m512 v = _mm512_fmadd_ps(_mm512_loadu_ps(src + c), vinv, voff);
      v = _mm512_min_ps(_mm512_max_ps(v, _mm512_setzero_ps()), vmax);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + c), _mm512_cvtusepi32_epi8(_mm512_cvttps_epu32(v)));
    }
#endif
    for (; c < cols; ++c) {
      const float v = std::clamp(src[c] * inv + zp + 0.5f, 0.f, 255.f);
      dst[c] = static_cast<uint8_t>(static_cast<int32_t>(v));
    }
  });
}

}  // namespace senti::kernels
