// Linear: y = epilogue(x · Wᵀ + b) for a weight W of shape (out, in) in PyTorch's layout, in
// one of three compute types chosen at construction:
//   f32   the weight packed as f32; bias, activation and residual fused in oneDNN's epilogue.
//   bf16  the weight packed as bf16; x is rounded to bf16 on the way in; f32 accumulation and
//         results, the same fused epilogue.
//   int8  the weight quantized once, symmetric per output channel (s8, one scale per row of W;
//         7 bits on CPUs without VNNI, whose u8·s8 instruction sums pairs in saturating 16 bits);
//         each row of x quantized on the fly to u8 with its own scale and zero point (so a row's
//         result never depends on the other rows of the batch); u8·s8 products accumulate in
//         s32; one vectorized pass dequantizes, adds the bias and applies the activation or the
//         residual.
// Inputs and outputs are always f32. The weight is packed once, at construction, into the
// blocked layout oneDNN's matmul prefers; primitives are built once per row count (rounded, see
// padded_rows) and cached. Not for training (see dense.h): the weights are constants here.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "tensor/tensor.h"

namespace senti::kernels {

enum class Epilogue {
  kNone,      // y = xWᵀ + b
  kGeluErf,   // y = gelu(xWᵀ + b), exact erf form
  kGeluTanh,  // y = gelu_tanh(xWᵀ + b)
  kRelu,      // y = relu(xWᵀ + b)
  kResidual,  // y = xWᵀ + b + y   (y holds the residual on entry)
};

enum class ComputeType { kF32, kBf16, kInt8 };
// "f32", "bf16", "int8".
const char* compute_type_name(ComputeType t);
// Parses "f32" (or "fp32", "float32"), "bf16", "int8"; "auto" gives best_compute_type().
std::optional<ComputeType> parse_compute_type(std::string_view name);
// The fastest type this CPU runs natively: int8 with AVX512-VNNI (or AVX-VNNI), else bf16 with
// AVX512-BF16, else f32.
ComputeType best_compute_type();
// Whether this CPU has the instructions the type needs to be fast (f32: always).
bool compute_type_supported(ComputeType t);
// Whether oneDNN can run the type on this CPU at all, fast or not: probed once, by building a
// small matrix product of that type. f32 and int8 run everywhere oneDNN does; bf16 needs
// AVX-512 (the oneDNN Debian ships has no bf16 products for AVX2-only CPUs). A type that is
// supported is always available; an unavailable one makes Linear (and the bf16 attention) throw.
bool compute_type_available(ComputeType t);

// Row counts are rounded up, to a multiple of 12 up to 96 rows and of 48 beyond: few primitives
// serve every batch, and a row's f32 result never depends on how many rows share the product.
// (oneDNN's AVX2 sgemm works in tiles of 6 rows and sums a tail of 1-3 rows in another order,
// and a single row takes a matrix-vector path: the last bits of a text's score would then depend
// on its batch.) Buffers passed to forward() must hold padded_rows(m) rows.
int64_t padded_rows(int64_t m);

class Linear {
 public:
  Linear();
  // weight (out, in); bias (out) or empty.
  Linear(const Tensor& weight, const Tensor& bias, ComputeType type = ComputeType::kF32);
  ~Linear();
  Linear(Linear&&) noexcept;
  Linear& operator=(Linear&&) noexcept;

  int64_t in_features() const;
  int64_t out_features() const;
  ComputeType compute_type() const;
  // Bytes the packed weight, its scales and the bias hold.
  int64_t weight_bytes() const;
  // x: (m, in) row-major, y: (m, out) row-major; both with padded_rows(m) rows allocated.
  void forward(const float* x, int64_t m, float* y, Epilogue epilogue = Epilogue::kNone) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// For benchmarks: seconds one oneDNN matmul of (m, k) by (k, n) takes in this type with the
// weight packed, nothing else (no conversion of x, no epilogue): the median of `runs`.
double matmul_seconds(ComputeType type, int64_t m, int64_t k, int64_t n, int runs);

// Plain reference: y = x · Wᵀ + b with doubles accumulating (for tests).
void linear_reference(const float* x, int64_t m, const float* w, const float* b, int64_t in, int64_t out, float* y);

}  // namespace senti::kernels
