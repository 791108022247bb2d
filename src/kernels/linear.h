// Linear: y = epilogue(x · Wᵀ + b) for a weight W of shape (out, in) in PyTorch's layout.
// The weight is reordered once, at construction, into the blocked layout oneDNN's matmul
// prefers; bias, activation and residual addition run fused in the matmul's epilogue.
// Primitives are built once per row count (rounded, see padded_rows) and cached.
#pragma once
#include <cstdint>
#include <memory>

#include "tensor/tensor.h"

namespace senti::kernels {

enum class Epilogue {
  kNone,      // y = xWᵀ + b
  kGeluErf,   // y = gelu(xWᵀ + b), exact erf form
  kGeluTanh,  // y = gelu_tanh(xWᵀ + b)
  kRelu,      // y = relu(xWᵀ + b)
  kResidual,  // y = xWᵀ + b + y   (y holds the residual on entry)
};

// Row counts are rounded up so that few primitives serve every batch: exact up to 64, then to
// a multiple of 32. Buffers passed to forward() must hold padded_rows(m) rows.
int64_t padded_rows(int64_t m);

class Linear {
 public:
  Linear();
  Linear(const Tensor& weight, const Tensor& bias);  // weight (out, in); bias (out) or empty
  ~Linear();
  Linear(Linear&&) noexcept;
  Linear& operator=(Linear&&) noexcept;

  int64_t in_features() const;
  int64_t out_features() const;
  // x: (m, in) row-major, y: (m, out) row-major; both with padded_rows(m) rows allocated.
  void forward(const float* x, int64_t m, float* y, Epilogue epilogue = Epilogue::kNone) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Plain reference: y = x · Wᵀ + b with doubles accumulating (for tests).
void linear_reference(const float* x, int64_t m, const float* w, const float* b, int64_t in, int64_t out, float* y);

}  // namespace senti::kernels
