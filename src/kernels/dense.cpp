#include "kernels/dense.h"

#include <oneapi/dnnl/dnnl.h>

#include <cstdlib>
#include <cstring>

namespace senti::kernels {

namespace {
void sgemm(char ta, char tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
           int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (dnnl_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) != dnnl_success) std::abort();
}
}  // namespace

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
