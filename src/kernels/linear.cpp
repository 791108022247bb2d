#include "kernels/linear.h"

#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>

#include "util/error.h"

namespace senti::kernels {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {
dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}
dnnl::stream& stream() {
  thread_local dnnl::stream s(engine());
  return s;
}
}  // namespace

int64_t padded_rows(int64_t m) { return m <= 64 ? m : (m + 31) / 32 * 32; }

struct Linear::Impl {
  int64_t in = 0, out = 0;
  memory::desc weights_md;
  memory weights;
  memory bias;
  std::unique_ptr<float[]> bias_data;
  mutable std::mutex mutex;
  mutable std::map<std::pair<int64_t, int>, dnnl::matmul> primitives;

  dnnl::primitive_attr attr(Epilogue e) const {
    dnnl::post_ops ops;
    switch (e) {
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
    memory::desc src({m, in}, dt::f32, tag::ab);
    memory::desc dst({m, out}, dt::f32, tag::ab);
    memory::desc b({1, out}, dt::f32, tag::ab);
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, wmd, b, dst), attr(e), engine());
  }

  const dnnl::matmul& primitive(int64_t m, Epilogue e) const {
    std::lock_guard<std::mutex> lock(mutex);
    auto key = std::make_pair(m, static_cast<int>(e));
    auto it = primitives.find(key);
    if (it == primitives.end()) it = primitives.emplace(key, dnnl::matmul(make_pd(m, weights_md, e))).first;
    return it->second;
  }
};

Linear::Linear() : impl_(std::make_unique<Impl>()) {}
Linear::~Linear() = default;
Linear::Linear(Linear&&) noexcept = default;
Linear& Linear::operator=(Linear&&) noexcept = default;

Linear::Linear(const Tensor& weight, const Tensor& bias) : impl_(std::make_unique<Impl>()) {
  if (weight.rank() != 2) fail(ErrorCode::kInternal, "Linear: weight must be 2-D, got " + weight.shape_string());
  Impl& s = *impl_;
  s.out = weight.dim(0);
  s.in = weight.dim(1);
  // Let oneDNN choose the weight layout for a typical batch, then pack once.
  memory::desc any_w({s.in, s.out}, dt::f32, tag::any);
  auto pd = s.make_pd(256, any_w, Epilogue::kNone);
  s.weights_md = pd.weights_desc();
  s.weights = memory(s.weights_md, engine());
  // PyTorch's (out, in) row-major is (in, out) with tag ba.
  memory user({{s.in, s.out}, dt::f32, tag::ba}, engine(), const_cast<float*>(weight.data()));
  dnnl::reorder(user, s.weights).execute(stream(), user, s.weights);
  s.bias_data.reset(new float[s.out]);
  for (int64_t i = 0; i < s.out; ++i) s.bias_data[i] = bias.empty() ? 0.f : bias.data()[i];
  s.bias = memory({{1, s.out}, dt::f32, tag::ab}, engine(), s.bias_data.get());
  stream().wait();
}

int64_t Linear::in_features() const { return impl_->in; }
int64_t Linear::out_features() const { return impl_->out; }

void Linear::forward(const float* x, int64_t m, float* y, Epilogue e) const {
  if (m == 0) return;
  const Impl& s = *impl_;
  const int64_t mp = padded_rows(m);
  const dnnl::matmul& prim = s.primitive(mp, e);
  memory src({{mp, s.in}, dt::f32, tag::ab}, engine(), const_cast<float*>(x));
  memory dst({{mp, s.out}, dt::f32, tag::ab}, engine(), y);
  prim.execute(stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, s.weights}, {DNNL_ARG_BIAS, s.bias}, {DNNL_ARG_DST, dst}});
  stream().wait();
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
