// Number-format conversions for the reduced-precision matrix products: f32 rows to bf16, and
// the int8 quantization of weights (symmetric, per row) and of activations (asymmetric u8, per
// row). Plain loops over row-major buffers, vectorized, parallel over rows for large inputs.
// Does not run any matrix product (linear.h, dense.h do).
#pragma once
#include <cstdint>

namespace senti::kernels {

// Rows x cols of a row-major matrix with leading dimension ld, written contiguously to out
// (rows * cols) as bf16, rounded to nearest even.
void to_bf16(const float* a, int64_t rows, int64_t cols, int64_t ld, uint16_t* out);

// Weights: each row r of w (rows, cols) as s8 with scale[r] = max|w_r| / levels, so that
// w_r ≈ scale[r] · q_r; q in [-levels, levels] (never -128). An all-zero row gets scale 1.
// levels 127 uses all of s8; 63 (7 bits) keeps u8·s8 pair sums inside 16 bits (see linear.h).
void quantize_rows_s8(const float* w, int64_t rows, int64_t cols, int8_t* q, float* scale, int levels = 127);

// Activations: each row r of x (rows, cols) as u8 with its own scale and zero point, so that
// x_r ≈ scale[r] · (q_r − zero_point[r]). The range always contains 0 (which is exact).
void quantize_rows_u8(const float* x, int64_t rows, int64_t cols, uint8_t* q, float* scale, int32_t* zero_point);

}  // namespace senti::kernels
