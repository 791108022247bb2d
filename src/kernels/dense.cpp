#include "kernels/dense.h"

#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <oneapi/dnnl/dnnl.hpp>
#include <tuple>
#include <vector>

#include "kernels/convert.h"
#include "kernels/onednn.h"
#include "kernels/primitive_cache.h"

namespace senti::kernels {

namespace {
std::atomic<MatmulPrecision> g_precision{MatmulPrecision::kF32};

// The bf16 products run on blocks of at most kBlock rows of op(A) and kBlock terms of the inner
// dimension; a block's last, shorter piece is padded with zeros up to a few sizes (padded_extent).
// So the token count, which changes every training step, maps onto a handful of primitive shapes
// instead of a new one per step (zeros add nothing: the result is the same product).
constexpr int64_t kBlock = 1024;
constexpr size_t kCacheCapacity = 256;

int64_t padded_extent(int64_t x) {
  const int64_t q = x <= 128 ? 16 : 64;
  return (x + q - 1) / q * q;
}

// The rows x cols block of a row-major matrix (leading dimension ld) as bf16 in a compact
// (prows, pcols) buffer, zeros in the padding.
void to_bf16_padded(const float* a, int64_t rows, int64_t cols, int64_t ld, int64_t prows, int64_t pcols,
                    std::vector<uint16_t>& out) {
  out.resize(static_cast<size_t>(prows * pcols));
  uint16_t* o = out.data();
  if (cols == pcols) {
    kernels::to_bf16(a, rows, cols, ld, o);
  } else {
#pragma omp parallel for schedule(static) if (rows * cols > 65536)
    for (int64_t r = 0; r < rows; ++r) {
      kernels::to_bf16(a + r * ld, 1, cols, ld, o + r * pcols);
      std::memset(o + r * pcols + cols, 0, static_cast<size_t>(pcols - cols) * sizeof(uint16_t));
    }
  }
  std::memset(o + rows * pcols, 0, static_cast<size_t>((prows - rows) * pcols) * sizeof(uint16_t));
}

using Bf16Key = std::tuple<char, char, int64_t, int64_t, int64_t, int64_t, bool>;
PrimitiveCache<Bf16Key, dnnl::matmul>& bf16_cache() {
  thread_local PrimitiveCache<Bf16Key, dnnl::matmul> cache(kCacheCapacity);
  return cache;
}

// C (m, n; ldc) = op(A) op(B) (+ C when accumulate) on compact bf16 A and B of exactly these
// sizes; f32 accumulation.
void matmul_bf16(char ta, char tb, int64_t m, int64_t n, int64_t k, const uint16_t* a, const uint16_t* b,
                 bool accumulate, float* c, int64_t ldc) {
  using dnnl::memory;
  using dt = memory::data_type;
  dnnl::engine& engine = onednn_engine();
  const memory::desc amd({m, k}, dt::bf16, ta == 'N' ? memory::dims{k, 1} : memory::dims{1, m});
  const memory::desc bmd({k, n}, dt::bf16, tb == 'N' ? memory::dims{n, 1} : memory::dims{1, k});
  const memory::desc cmd({m, n}, dt::f32, memory::dims{ldc, 1});
  dnnl::matmul prim = bf16_cache().get(std::make_tuple(ta, tb, m, n, k, ldc, accumulate), [&] {
    dnnl::primitive_attr attr;
    if (accumulate) {
      dnnl::post_ops ops;
      ops.append_sum(1.f);
      attr.set_post_ops(ops);
    }
    return dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(amd, bmd, cmd), attr, engine));
  });
  memory am(amd, engine, const_cast<uint16_t*>(a)), bm(bmd, engine, const_cast<uint16_t*>(b)), cm(cmd, engine, c);
  prim.execute(onednn_stream(), {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
  onednn_stream().wait();
}

// C (m, n; ldc) = op(A) op(B) (+ C when beta = 1) on bf16 copies of A and B, block by block.
void gemm_bf16(char ta, char tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
               int64_t ldb, float beta, float* c, int64_t ldc) {
  thread_local std::vector<uint16_t> abuf, bbuf;
  thread_local std::vector<float> cbuf;
  // Each piece of B (the weights, or the vocabulary's 30k rows) and each block of A is converted once.
  for (int64_t k0 = 0; k0 < k; k0 += kBlock) {
    const int64_t kc = std::min(kBlock, k - k0), kp = padded_extent(kc);
    const bool accumulate = k0 > 0 || beta != 0.f;
    // Stored shapes: A is (m, k) or, transposed, (k, m); B is (k, n) or (n, k).
    if (tb == 'N') to_bf16_padded(b + k0 * ldb, kc, n, ldb, kp, n, bbuf);
    else to_bf16_padded(b + k0, n, kc, ldb, n, kp, bbuf);
    for (int64_t m0 = 0; m0 < m; m0 += kBlock) {
      const int64_t mc = std::min(kBlock, m - m0), mp = padded_extent(mc);
      if (ta == 'N') to_bf16_padded(a + m0 * lda + k0, mc, kc, lda, mp, kp, abuf);
      else to_bf16_padded(a + k0 * lda + m0, kc, mc, lda, kp, mp, abuf);
      float* cblock = c + m0 * ldc;
      if (mp == mc) {
        matmul_bf16(ta, tb, mp, n, kp, abuf.data(), bbuf.data(), accumulate, cblock, ldc);
        continue;
      }
      // Padded rows of the result land in scratch; the real ones are copied or added to C.
      cbuf.resize(static_cast<size_t>(mp * n));
      matmul_bf16(ta, tb, mp, n, kp, abuf.data(), bbuf.data(), false, cbuf.data(), n);
      for (int64_t i = 0; i < mc; ++i) {
        float* dst = cblock + i * ldc;
        const float* src = cbuf.data() + i * n;
        if (accumulate) {
#pragma omp simd
          for (int64_t j = 0; j < n; ++j) dst[j] += src[j];
        } else {
          std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
        }
      }
    }
  }
}

void sgemm(char ta, char tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
           int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (g_precision.load(std::memory_order_relaxed) == MatmulPrecision::kBf16 && k > 0 && alpha == 1.f &&
      (beta == 0.f || beta == 1.f))
    return gemm_bf16(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
  if (dnnl_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) != dnnl_success) std::abort();
}
}  // namespace

void set_training_matmul(MatmulPrecision p) { g_precision = p; }
MatmulCacheStats training_matmul_cache_stats() {
  const auto& cache = bf16_cache();
  return {cache.size(), cache.capacity(), cache.created()};
}
MatmulPrecision training_matmul() { return g_precision; }

void dense_forward(const float* x, const float* w, const float* b, const DenseShape& s, float* y) {
  sgemm('N', 'T', s.m, s.out, s.in, 1.f, x, s.lx(), w, s.in, 0.f, y, s.ly());
  if (!b) return;
  const int64_t ly = s.ly();
#pragma omp parallel for schedule(static) if (s.m * s.out > 65536)
  for (int64_t i = 0; i < s.m; ++i)
#pragma omp simd
    for (int64_t o = 0; o < s.out; ++o) y[i * ly + o] += b[o];
}

void dense_backward(const float* dy, const float* x, const float* w, const DenseShape& s, float* dx,
                    bool accumulate_dx, float* dw, float* db) {
  const int64_t ly = s.ly();
  if (dx) sgemm('N', 'N', s.m, s.in, s.out, 1.f, dy, ly, w, s.in, accumulate_dx ? 1.f : 0.f, dx, s.lx());
  if (dw) sgemm('T', 'N', s.out, s.in, s.m, 1.f, dy, ly, x, s.lx(), 1.f, dw, s.in);
  if (db)
    for (int64_t i = 0; i < s.m; ++i)
#pragma omp simd
      for (int64_t o = 0; o < s.out; ++o) db[o] += dy[i * ly + o];
}

}  // namespace senti::kernels
