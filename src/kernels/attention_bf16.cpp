// attention_forward_bf16 (see attention.h): the two products of inference attention in bf16
// with f32 accumulation, on oneDNN matmul primitives cached per sequence length.
#include <cmath>
#include <oneapi/dnnl/dnnl.hpp>
#include <tuple>
#include <vector>

#include "kernels/attention.h"
#include "kernels/convert.h"
#include "kernels/onednn.h"
#include "kernels/primitive_cache.h"
#include "kernels/ops.h"

namespace senti::kernels {

namespace {
using dnnl::memory;
using dt = memory::data_type;

dnnl::engine& engine() { return onednn_engine(); }

// scores (T, T) = scale · Q Kᵀ and ctx (T, hd) = P V for one head of a T-token sequence, reading
// Q, K, V in place from the bf16 copy of the fused (tokens, 3·dim) buffer.
struct HeadProducts {
  dnnl::matmul scores, context;
};

HeadProducts make_head_products(int64_t T, int64_t hd, int64_t dim, float scale) {
  const int64_t ld = 3 * dim;
  const memory::desc q({T, hd}, dt::bf16, memory::dims{ld, 1});
  const memory::desc kt({hd, T}, dt::bf16, memory::dims{1, ld});  // Kᵀ, read in place
  const memory::desc s({T, T}, dt::f32, memory::dims{T, 1});
  const memory::desc p({T, T}, dt::bf16, memory::dims{T, 1});
  const memory::desc v({T, hd}, dt::bf16, memory::dims{ld, 1});
  const memory::desc c({T, hd}, dt::f32, memory::dims{dim, 1});
  dnnl::primitive_attr scaled;
  scaled.set_output_scales(0, {scale});
  return {dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(q, kt, s), scaled, engine())),
          dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(p, v, c), engine()))};
}

HeadProducts head_products(int64_t T, int64_t hd, int64_t dim, float scale) {
  // One entry per sequence length (at most the model's 512 positions) on each thread.
  thread_local PrimitiveCache<std::tuple<int64_t, int64_t, int64_t, float>, HeadProducts> cache(512);
  return cache.get(std::make_tuple(T, hd, dim, scale), [&] { return make_head_products(T, hd, dim, scale); });
}
}  // namespace

void attention_forward_bf16(const float* qkv, const std::vector<SequenceSpan>& seqs, int64_t dim, int64_t heads,
                            float* ctx) {
  const int64_t hd = dim / heads, ld = 3 * dim;
  const float scale = 1.f / std::sqrt(static_cast<float>(hd));
  int64_t tokens = 0, max_len = 0;
  for (const auto& s : seqs) {
    tokens = std::max(tokens, s.begin + s.length);
    max_len = std::max(max_len, s.length);
  }
  thread_local std::vector<uint16_t> qkv16;
  if (qkv16.size() < static_cast<size_t>(tokens * ld)) qkv16.resize(static_cast<size_t>(tokens * ld));
  to_bf16(qkv, tokens, ld, ld, qkv16.data());
  uint16_t* base = qkv16.data();
  const int64_t jobs = static_cast<int64_t>(seqs.size()) * heads;
#pragma omp parallel
  {
    dnnl::stream stream(engine());
    std::vector<float> scores(static_cast<size_t>(max_len * max_len));
    std::vector<uint16_t> probs(static_cast<size_t>(max_len * max_len));
#pragma omp for schedule(dynamic, 1)
    for (int64_t job = 0; job < jobs; ++job) {
      const SequenceSpan& s = seqs[job / heads];
      const int64_t h = job % heads, T = s.length;
      const HeadProducts hp = head_products(T, hd, dim, scale);
      uint16_t* q = base + s.begin * ld + h * hd;
      const memory::desc qd({T, hd}, dt::bf16, memory::dims{ld, 1});
      const memory::desc kd({hd, T}, dt::bf16, memory::dims{1, ld});
      const memory::desc sd({T, T}, dt::f32, memory::dims{T, 1});
      const memory::desc pd({T, T}, dt::bf16, memory::dims{T, 1});
      const memory::desc cd({T, hd}, dt::f32, memory::dims{dim, 1});
      memory qm(qd, engine(), q), km(kd, engine(), q + dim), vm(qd, engine(), q + 2 * dim);
      memory sm(sd, engine(), scores.data()), pm(pd, engine(), probs.data());
      memory cm(cd, engine(), ctx + s.begin * dim + h * hd);
      hp.scores.execute(stream, {{DNNL_ARG_SRC, qm}, {DNNL_ARG_WEIGHTS, km}, {DNNL_ARG_DST, sm}});
      stream.wait();
      softmax_rows(scores.data(), T, T);
      to_bf16(scores.data(), T, T, T, probs.data());
      hp.context.execute(stream, {{DNNL_ARG_SRC, pm}, {DNNL_ARG_WEIGHTS, vm}, {DNNL_ARG_DST, cm}});
      stream.wait();
    }
  }
}

}  // namespace senti::kernels
