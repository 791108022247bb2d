// Dense layers for training, on plain row-major weights in PyTorch's (out, in) layout (the
// weights change every step, so they are not packed): forward y = x·Wᵀ + b and its backward
// pass. Row-major sgemm from oneDNN; or, when set_training_matmul(kBf16), oneDNN matmul on bf16
// copies of both operands with f32 accumulation and f32 results (mixed precision: parameters,
// gradients and optimizer state stay f32), in blocks zero-padded to a few fixed sizes.
#pragma once
#include <cstddef>
#include <cstdint>

namespace senti::kernels {

enum class MatmulPrecision { kF32, kBf16 };
// Process-wide choice for dense_forward / dense_backward (default f32).
void set_training_matmul(MatmulPrecision p);
MatmulPrecision training_matmul();

// The bf16 primitives this thread has compiled: kept now (at most capacity) and made in all. The
// varying token count maps onto a few padded shapes, so a long run stops making new ones.
struct MatmulCacheStats {
  size_t cached, capacity;
  uint64_t created;
};
MatmulCacheStats training_matmul_cache_stats();

// Row strides: ldx, ldy (0 = contiguous: in, out), so Q, K and V can live in one (m, 3·dim) buffer.
struct DenseShape {
  int64_t m, in, out;
  int64_t ldx = 0, ldy = 0;
  int64_t lx() const { return ldx ? ldx : in; }
  int64_t ly() const { return ldy ? ldy : out; }
};

// y (m, out) = x (m, in) · Wᵀ + b
void dense_forward(const float* x, const float* w, const float* b, const DenseShape& s, float* y);

// Given dy (m, out): dx (m, in) = dy · W (added to dx when accumulate_dx, skipped when dx is
// null); dW (out, in) += dyᵀ · x and db (out) += Σ_rows dy (each skipped when null).
void dense_backward(const float* dy, const float* x, const float* w, const DenseShape& s, float* dx,
                    bool accumulate_dx, float* dw, float* db);

}  // namespace senti::kernels
