#include "kernels/dense.h"

#include <oneapi/dnnl/dnnl.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <oneapi/dnnl/dnnl.hpp>
#include <tuple>
#include <vector>

#include "kernels/convert.h"
#include "kernels/onednn.h"

namespace senti::kernels {

namespace {
std::atomic<MatmulPrecision> g_precision{MatmulPrecision::kF32};

// Rows x cols of a row-major matrix with leading dimension ld, as contiguous bf16.
void to_bf16(const float* a, int64_t rows, int64_t cols, int64_t ld, std::vector<uint16_t>& out) {
  out.resize(static_cast<size_t>(rows * cols));
  kernels::to_bf16(a, rows, cols, ld, out.data());
}

// C (m, n; ldc) = op(A) op(B) (+ C when beta = 1) on bf16 copies of A and B; f32 accumulation.
void gemm_bf16(char ta, char tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
               int64_t ldb, float beta, float* c, int64_t ldc) {
  using dnnl::memory;
  using dt = memory::data_type;
  dnnl::engine& engine = onednn_engine();
  dnnl::stream& stream = onednn_stream();
  thread_local std::vector<uint16_t> abuf, bbuf;
  thread_local std::map<std::tuple<char, char, int64_t, int64_t, int64_t, int64_t, bool>, dnnl::matmul> cache;
  // Stored shapes: A is (m, k) or, transposed, (k, m); B is (k, n) or (n, k). Copies are compact.
  to_bf16(a, ta == 'N' ? m : k, ta == 'N' ? k : m, lda, abuf);
  to_bf16(b, tb == 'N' ? k : n, tb == 'N' ? n : k, ldb, bbuf);
  const memory::desc amd({m, k}, dt::bf16, ta == 'N' ? memory::dims{k, 1} : memory::dims{1, m});
  const memory::desc bmd({k, n}, dt::bf16, tb == 'N' ? memory::dims{n, 1} : memory::dims{1, k});
  const memory::desc cmd({m, n}, dt::f32, memory::dims{ldc, 1});
  const auto key = std::make_tuple(ta, tb, m, n, k, ldc, beta != 0.f);
  auto it = cache.find(key);
  if (it == cache.end()) {
    dnnl::primitive_attr attr;
    if (beta != 0.f) {
      dnnl::post_ops ops;
      ops.append_sum(1.f);
      attr.set_post_ops(ops);
    }
    it = cache.emplace(key, dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(amd, bmd, cmd), attr, engine)))
             .first;
  }
  memory am(amd, engine, abuf.data()), bm(bmd, engine, bbuf.data()), cm(cmd, engine, c);
  it->second.execute(stream, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
  stream.wait();
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
