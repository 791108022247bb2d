#include "kernels/linear.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "kernels/convert.h"
#include "kernels/onednn.h"
#include "kernels/parallel.h"
#include "kernels/primitive_cache.h"
#include "kernels/ops.h"
#include "util/error.h"

namespace senti::kernels {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {
dnnl::engine& engine() { return onednn_engine(); }
dnnl::stream& stream() { return onednn_stream(); }

// The types oneDNN reads x and W in, and writes the product in.
struct MatmulTypes {
  dt src, weights, dst;
};
MatmulTypes matmul_types(ComputeType t) {
  switch (t) {
    case ComputeType::kBf16: return {dt::bf16, dt::bf16, dt::f32};
    case ComputeType::kInt8: return {dt::u8, dt::s8, dt::s32};
    case ComputeType::kF32: break;
  }
  return {dt::f32, dt::f32, dt::f32};
}

// Per-thread buffers for the converted input and the s32 product (grown, never shrunk).
struct Scratch {
  std::vector<uint16_t> bf16;
  std::vector<uint8_t> u8;
  std::vector<float> scale;
  std::vector<int32_t> zero_point, acc;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}
template <class T>
T* grow(std::vector<T>& v, int64_t n) {
  if (v.size() < static_cast<size_t>(n)) v.resize(static_cast<size_t>(n));
  return v.data();
}
}  // namespace

const char* compute_type_name(ComputeType t) {
  switch (t) {
    case ComputeType::kBf16: return "bf16";
    case ComputeType::kInt8: return "int8";
    case ComputeType::kF32: break;
  }
  return "f32";
}

std::optional<ComputeType> parse_compute_type(std::string_view name) {
  if (name == "f32" || name == "fp32" || name == "float32") return ComputeType::kF32;
  if (name == "bf16" || name == "bfloat16") return ComputeType::kBf16;
  if (name == "int8") return ComputeType::kInt8;
  if (name == "auto") return best_compute_type();
  return std::nullopt;
}

bool compute_type_supported(ComputeType t) {
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  switch (t) {
    case ComputeType::kInt8:
      return isa == dnnl::cpu_isa::avx512_core_vnni || isa == dnnl::cpu_isa::avx512_core_bf16 ||
             isa == dnnl::cpu_isa::avx512_core_amx || isa == dnnl::cpu_isa::avx2_vnni;
    case ComputeType::kBf16:
      return isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
    case ComputeType::kF32: break;
  }
  return true;
}

bool compute_type_available(ComputeType t) {
  if (t == ComputeType::kF32) return true;
  auto probe = [](ComputeType type) {
    const MatmulTypes mt = matmul_types(type);
    try {
      const memory::desc src({32, 64}, mt.src, tag::ab), w({64, 64}, mt.weights, tag::any), dst({32, 64}, mt.dst, tag::ab);
      dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, w, dst), engine());
      return true;
    } catch (const dnnl::error&) {
      return false;
    }
  };
  static const bool bf16 = probe(ComputeType::kBf16), int8 = probe(ComputeType::kInt8);
  return t == ComputeType::kBf16 ? bf16 : int8;
}

ComputeType best_compute_type() {
  if (compute_type_supported(ComputeType::kInt8)) return ComputeType::kInt8;
  if (compute_type_supported(ComputeType::kBf16)) return ComputeType::kBf16;
  return ComputeType::kF32;
}

int64_t padded_rows(int64_t m) {
  const int64_t quantum = m <= 96 ? 12 : 48;
  return std::max<int64_t>(1, (m + quantum - 1) / quantum) * quantum;
}

namespace {
// int8 runs the product in blocks of this many rows (a multiple of 48, so padded_rows keeps it).
constexpr int64_t kInt8RowBlock = 240;
}  // namespace

struct Linear::Impl {
  int64_t in = 0, out = 0;
  ComputeType type = ComputeType::kF32;
  memory::desc weights_md;
  memory weights;
  memory bias;
  std::vector<float> bias_data;
  // int8: the per-row weight scales and the column sums of the quantized weight (for the
  // activations' zero points: Σ_k (q_x − z)·q_w = Σ_k q_x·q_w − z·Σ_k q_w).
  std::vector<float> weight_scale;
  std::vector<int32_t> weight_sum;
  mutable std::mutex mutex;
  // By padded row count and epilogue; bounded, so a server that sees every batch size keeps a
  // fixed amount of compiled code.
  mutable PrimitiveCache<std::pair<int64_t, int>, dnnl::matmul> primitives{128};

  // f32 and bf16 run bias and epilogue inside oneDNN; int8 does them in its own pass.
  dnnl::primitive_attr attr(Epilogue e) const {
    dnnl::post_ops ops;
    switch (type == ComputeType::kInt8 ? Epilogue::kNone : e) {
      case Epilogue::kGeluErf: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_erf, 0.f, 0.f); break;
      case Epilogue::kGeluTanh: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_tanh, 0.f, 0.f); break;
      case Epilogue::kRelu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f); break;
      case Epilogue::kResidual: ops.append_sum(1.f); break;
      case Epilogue::kNone: break;
    }
    dnnl::primitive_attr a;
    a.set_post_ops(ops);
    return a;
  }

  dnnl::matmul::primitive_desc make_pd(int64_t m, const memory::desc& wmd, Epilogue e) const {
    const MatmulTypes t = matmul_types(type);
    memory::desc src({m, in}, t.src, tag::ab);
    memory::desc dst({m, out}, t.dst, tag::ab);
    if (type == ComputeType::kInt8) return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, wmd, dst), attr(e), engine());
    memory::desc b({1, out}, dt::f32, tag::ab);
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, wmd, b, dst), attr(e), engine());
  }

  dnnl::matmul primitive(int64_t m, Epilogue e) const {
    std::lock_guard<std::mutex> lock(mutex);
    // int8 primitives have no epilogue: one per row count serves every epilogue.
    auto key = std::make_pair(m, type == ComputeType::kInt8 ? 0 : static_cast<int>(e));
    return primitives.get(key, [&] { return dnnl::matmul(make_pd(m, weights_md, e)); });
  }

  // y (m, out) = epilogue(dequantized acc + bias), one pass over the s32 product.
  void int8_epilogue(const int32_t* acc, const float* xs, const int32_t* xz, int64_t m, float* y, Epilogue e) const {
    const float* ws = weight_scale.data();
    const int32_t* wsum = weight_sum.data();
    const float* b = bias_data.data();
    parallel_for(m, m * out, 32768, [&](int64_t i) {
      const int32_t* a = acc + i * out;
      float* yr = y + i * out;
      const float sx = xs[i];
      const int32_t z = xz[i];
      if (e == Epilogue::kResidual) {
#pragma omp simd
        for (int64_t o = 0; o < out; ++o) yr[o] += static_cast<float>(a[o] - z * wsum[o]) * (sx * ws[o]) + b[o];
        return;
      }
#pragma omp simd
      for (int64_t o = 0; o < out; ++o) yr[o] = static_cast<float>(a[o] - z * wsum[o]) * (sx * ws[o]) + b[o];
      switch (e) {
        case Epilogue::kGeluErf: gelu_erf(yr, out); break;
        case Epilogue::kGeluTanh: gelu_tanh(yr, out); break;
        case Epilogue::kRelu: relu(yr, out); break;
        default: break;
      }
    });
  }
};

Linear::Linear() : impl_(std::make_unique<Impl>()) {}
Linear::~Linear() = default;
Linear::Linear(Linear&&) noexcept = default;
Linear& Linear::operator=(Linear&&) noexcept = default;

Linear::Linear(const Tensor& weight, const Tensor& bias, ComputeType type) : impl_(std::make_unique<Impl>()) {
  if (weight.rank() != 2) fail(ErrorCode::kInternal, "Linear: weight must be 2-D, got " + weight.shape_string());
  Impl& s = *impl_;
  s.type = type;
  s.out = weight.dim(0);
  s.in = weight.dim(1);
  const MatmulTypes t = matmul_types(type);
  // Let oneDNN choose the weight layout for a typical batch, then pack once.
  memory::desc any_w({s.in, s.out}, t.weights, tag::any);
  auto pd = s.make_pd(256, any_w, Epilogue::kNone);
  s.weights_md = pd.weights_desc();
  s.weights = memory(s.weights_md, engine());
  // PyTorch's (out, in) row-major is (in, out) with tag ba.
  if (type == ComputeType::kInt8) {
    std::vector<int8_t> q(static_cast<size_t>(s.in * s.out));
    s.weight_scale.resize(static_cast<size_t>(s.out));
    // Without VNNI, oneDNN's u8·s8 product adds pairs in saturating 16 bits: 7-bit weights keep
    // 2·255·63 inside them (full s8 weights gave logits off by more than 1 on AVX2).
    const int levels = compute_type_supported(ComputeType::kInt8) ? 127 : 63;
    quantize_rows_s8(weight.data(), s.out, s.in, q.data(), s.weight_scale.data(), levels);
    s.weight_sum.assign(static_cast<size_t>(s.out), 0);
    for (int64_t o = 0; o < s.out; ++o)
      for (int64_t k = 0; k < s.in; ++k) s.weight_sum[o] += q[o * s.in + k];
    memory user({{s.in, s.out}, dt::s8, tag::ba}, engine(), q.data());
    dnnl::reorder(user, s.weights).execute(stream(), user, s.weights);
    stream().wait();
  } else {
    // f32 → f32 or f32 → bf16 (round to nearest even) in the same reorder.
    memory user({{s.in, s.out}, dt::f32, tag::ba}, engine(), const_cast<float*>(weight.data()));
    dnnl::reorder(user, s.weights).execute(stream(), user, s.weights);
    stream().wait();
  }
  s.bias_data.assign(static_cast<size_t>(s.out), 0.f);
  if (!bias.empty()) std::copy(bias.data(), bias.data() + s.out, s.bias_data.begin());
  s.bias = memory({{1, s.out}, dt::f32, tag::ab}, engine(), s.bias_data.data());
}

int64_t Linear::in_features() const { return impl_->in; }
int64_t Linear::out_features() const { return impl_->out; }
ComputeType Linear::compute_type() const { return impl_->type; }
int64_t Linear::weight_bytes() const {
  const Impl& s = *impl_;
  return static_cast<int64_t>(s.weights_md.get_size() + s.bias_data.size() * sizeof(float) +
                              s.weight_scale.size() * sizeof(float) + s.weight_sum.size() * sizeof(int32_t));
}

void Linear::forward(const float* x, int64_t m, float* y, Epilogue e) const {
  if (m == 0) return;
  const Impl& s = *impl_;
  const int64_t mp = padded_rows(m);
  const dnnl::matmul prim = s.primitive(s.type == ComputeType::kInt8 ? std::min(mp, kInt8RowBlock) : mp, e);
  const MatmulTypes t = matmul_types(s.type);
  if (s.type == ComputeType::kF32) {
    memory src({{mp, s.in}, dt::f32, tag::ab}, engine(), const_cast<float*>(x));
    memory dst({{mp, s.out}, dt::f32, tag::ab}, engine(), y);
    prim.execute(stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, s.weights}, {DNNL_ARG_BIAS, s.bias}, {DNNL_ARG_DST, dst}});
    stream().wait();
    return;
  }
  Scratch& sc = scratch();
  if (s.type == ComputeType::kBf16) {
    uint16_t* xb = grow(sc.bf16, mp * s.in);
    to_bf16(x, m, s.in, s.in, xb);
    std::fill(xb + m * s.in, xb + mp * s.in, uint16_t{0});  // padding rows: defined, unused
    memory src({{mp, s.in}, t.src, tag::ab}, engine(), xb);
    memory dst({{mp, s.out}, dt::f32, tag::ab}, engine(), y);
    prim.execute(stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, s.weights}, {DNNL_ARG_BIAS, s.bias}, {DNNL_ARG_DST, dst}});
    stream().wait();
    return;
  }
  // In blocks of rows, so that the s32 product is still in cache when the epilogue reads it.
  const int64_t block = std::min(mp, kInt8RowBlock);
  uint8_t* xq = grow(sc.u8, block * s.in);
  float* xs = grow(sc.scale, block);
  int32_t* xz = grow(sc.zero_point, block);
  int32_t* acc = grow(sc.acc, block * s.out);
  for (int64_t r0 = 0; r0 < m; r0 += block) {
    const int64_t rows = std::min(block, m - r0), rows_p = padded_rows(rows);
    quantize_rows_u8(x + r0 * s.in, rows, s.in, xq, xs, xz);
    std::fill(xq + rows * s.in, xq + rows_p * s.in, uint8_t{0});
    const dnnl::matmul p = rows_p == mp ? prim : s.primitive(rows_p, e);
    memory src({{rows_p, s.in}, dt::u8, tag::ab}, engine(), xq);
    memory dst({{rows_p, s.out}, dt::s32, tag::ab}, engine(), acc);
    p.execute(stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, s.weights}, {DNNL_ARG_DST, dst}});
    stream().wait();
    s.int8_epilogue(acc, xs, xz, rows, y + r0 * s.out, e);
  }
}

double matmul_seconds(ComputeType type, int64_t m, int64_t k, int64_t n, int runs) {
  const MatmulTypes t = matmul_types(type);
  memory::desc src_md({m, k}, t.src, tag::ab), dst_md({m, n}, t.dst, tag::ab), any_w({k, n}, t.weights, tag::any);
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, any_w, dst_md), engine());
  memory src(src_md, engine()), weights(pd.weights_desc(), engine()), dst(dst_md, engine());
  // Small, valid values in every buffer (the timing does not depend on them).
  for (memory* mem : {&src, &weights}) {
    auto* p = static_cast<uint8_t*>(mem->get_data_handle());
    std::fill(p, p + mem->get_desc().get_size(), uint8_t{1});
  }
  dnnl::matmul prim(pd);
  std::vector<double> times;
  for (int r = 0; r <= runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    prim.execute(stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}});
    stream().wait();
    if (r > 0) times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void linear_reference(const float* x, int64_t m, const float* w, const float* b, int64_t in, int64_t out, float* y) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t o = 0; o < out; ++o) {
      double acc = b ? b[o] : 0.0;
      for (int64_t k = 0; k < in; ++k) acc += static_cast<double>(x[i * in + k]) * w[o * in + k];
      y[i * out + o] = static_cast<float>(acc);
    }
}

}  // namespace senti::kernels
