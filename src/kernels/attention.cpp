#include "kernels/attention.h"

#include <cmath>
#include <oneapi/dnnl/dnnl.h>
#include <vector>

#include "kernels/ops.h"
#include "util/error.h"

namespace senti::kernels {

std::vector<int64_t> attention_prob_offsets(const std::vector<SequenceSpan>& seqs, int64_t heads, int64_t* total) {
  std::vector<int64_t> off;
  off.reserve(seqs.size() * heads);
  int64_t pos = 0;
  for (const auto& s : seqs)
    for (int64_t h = 0; h < heads; ++h) {
      off.push_back(pos);
      pos += s.length * s.length;
    }
  if (total) *total = pos;
  return off;
}

void attention_forward(const float* qkv, const std::vector<SequenceSpan>& seqs, int64_t dim, int64_t heads,
                       float* ctx, float* probs_out) {
  const int64_t hd = dim / heads;
  const int64_t ld = 3 * dim;
  const float scale = 1.f / std::sqrt(static_cast<float>(hd));
  std::vector<int64_t> offsets;
  if (probs_out) offsets = attention_prob_offsets(seqs, heads, nullptr);
  const int64_t jobs = static_cast<int64_t>(seqs.size()) * heads;
  int64_t max_len = 0;
  for (const auto& s : seqs) max_len = std::max(max_len, s.length);
#pragma omp parallel
  {
    std::vector<float> scratch(probs_out ? 0 : static_cast<size_t>(max_len * max_len));
#pragma omp for schedule(dynamic, 1)
    for (int64_t job = 0; job < jobs; ++job) {
      const SequenceSpan& s = seqs[job / heads];
      const int64_t h = job % heads;
      const int64_t T = s.length;
      const float* q = qkv + s.begin * ld + h * hd;
      const float* k = q + dim;
      const float* v = q + 2 * dim;
      float* p = probs_out ? probs_out + offsets[job] : scratch.data();
      // Row-major sgemm (oneDNN's BLAS-like entry point; sequential inside this parallel loop).
      dnnl_status_t st = dnnl_sgemm('N', 'T', T, T, hd, scale, q, ld, k, ld, 0.f, p, T);
      if (st == dnnl_success) {
        softmax_rows(p, T, T);
        st = dnnl_sgemm('N', 'N', T, hd, T, 1.f, p, T, v, ld, 0.f, ctx + s.begin * dim + h * hd, dim);
      }
      if (st != dnnl_success) std::abort();  // only on invalid arguments, i.e. a bug here
    }
  }
}

}  // namespace senti::kernels
