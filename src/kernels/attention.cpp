#include "kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
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

namespace {
void sgemm(char ta, char tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
           int64_t ldb, float beta, float* c, int64_t ldc) {
  // Row-major sgemm (oneDNN's BLAS-like entry point; sequential inside a parallel loop).
  if (dnnl_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) != dnnl_success) std::abort();
}
uint64_t job_seed(uint64_t seed, int64_t job) { return seed ^ (0xd1b54a32d192ed03ull * static_cast<uint64_t>(job + 1)); }
}  // namespace

void attention_forward(const float* qkv, const std::vector<SequenceSpan>& seqs, int64_t dim, int64_t heads,
                       float* ctx, float* probs_out, float dropout, uint64_t seed) {
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
    std::vector<float> scratch(static_cast<size_t>(max_len * max_len));
#pragma omp for schedule(dynamic, 1)
    for (int64_t job = 0; job < jobs; ++job) {
      const SequenceSpan& s = seqs[job / heads];
      const int64_t h = job % heads;
      const int64_t T = s.length;
      const float* q = qkv + s.begin * ld + h * hd;
      const float* k = q + dim;
      const float* v = q + 2 * dim;
      float* p = probs_out ? probs_out + offsets[job] : scratch.data();
      sgemm('N', 'T', T, T, hd, scale, q, ld, k, ld, 0.f, p, T);
      softmax_rows(p, T, T);
      const float* pv = p;
      if (dropout > 0.f) {
        if (p != scratch.data()) std::copy(p, p + T * T, scratch.data());
        dropout_forward(scratch.data(), T * T, dropout, job_seed(seed, job));
        pv = scratch.data();
      }
      sgemm('N', 'N', T, hd, T, 1.f, pv, T, v, ld, 0.f, ctx + s.begin * dim + h * hd, dim);
    }
  }
}

}  // namespace senti::kernels

namespace senti::kernels {

void attention_backward(const float* qkv, const float* probs, const std::vector<SequenceSpan>& seqs, int64_t dim,
                        int64_t heads, const float* dctx, float* dqkv, float dropout, uint64_t seed) {
  const int64_t hd = dim / heads;
  const int64_t ld = 3 * dim;
  const float scale = 1.f / std::sqrt(static_cast<float>(hd));
  const std::vector<int64_t> offsets = attention_prob_offsets(seqs, heads, nullptr);
  const int64_t jobs = static_cast<int64_t>(seqs.size()) * heads;
  int64_t max_len = 0;
  for (const auto& s : seqs) max_len = std::max(max_len, s.length);
#pragma omp parallel
  {
    std::vector<float> pd(static_cast<size_t>(max_len * max_len)), dp(static_cast<size_t>(max_len * max_len));
#pragma omp for schedule(dynamic, 1)
    for (int64_t job = 0; job < jobs; ++job) {
      const SequenceSpan& s = seqs[job / heads];
      const int64_t h = job % heads;
      const int64_t T = s.length;
      const int64_t base = s.begin * ld + h * hd;
      const float* q = qkv + base;
      const float* k = q + dim;
      const float* v = q + 2 * dim;
      float* dq = dqkv + base;
      float* dk = dq + dim;
      float* dv = dq + 2 * dim;
      const float* p = probs + offsets[job];
      const float* dc = dctx + s.begin * dim + h * hd;
      const float* pdrop = p;
      if (dropout > 0.f) {
        std::copy(p, p + T * T, pd.data());
        dropout_forward(pd.data(), T * T, dropout, job_seed(seed, job));
        pdrop = pd.data();
      }
      sgemm('N', 'T', T, T, hd, 1.f, dc, dim, v, ld, 0.f, dp.data(), T);       // dPdrop = dctx · Vᵀ
      sgemm('T', 'N', T, hd, T, 1.f, pdrop, T, dc, dim, 0.f, dv, ld);          // dV = Pdropᵀ · dctx
      if (dropout > 0.f) dropout_backward(dp.data(), T * T, dropout, job_seed(seed, job));
      for (int64_t r = 0; r < T; ++r) {  // softmax backward: dS = P ⊙ (dP - Σ dP ⊙ P)
        float* dr = dp.data() + r * T;
        const float* pr = p + r * T;
        double dot = 0;
        for (int64_t c = 0; c < T; ++c) dot += static_cast<double>(dr[c]) * pr[c];
        for (int64_t c = 0; c < T; ++c) dr[c] = pr[c] * (dr[c] - static_cast<float>(dot));
      }
      sgemm('N', 'N', T, hd, T, scale, dp.data(), T, k, ld, 0.f, dq, ld);      // dQ = scale · dS · K
      sgemm('T', 'N', T, hd, T, scale, dp.data(), T, q, ld, 0.f, dk, ld);      // dK = scale · dSᵀ · Q
    }
  }
}

}  // namespace senti::kernels

namespace senti::kernels {

void attention_first_token(const float* q, const float* kv, const std::vector<SequenceSpan>& seqs, int64_t dim,
                           int64_t heads, float* ctx) {
  const int64_t hd = dim / heads;
  const float scale = 1.f / std::sqrt(static_cast<float>(hd));
  const int64_t jobs = static_cast<int64_t>(seqs.size()) * heads;
#pragma omp parallel for schedule(dynamic, 4) if (jobs > 8)
  for (int64_t job = 0; job < jobs; ++job) {
    const int64_t b = job / heads, h = job % heads;
    const SequenceSpan& s = seqs[b];
    const float* qh = q + b * dim + h * hd;
    std::vector<float> p(static_cast<size_t>(s.length));
    for (int64_t t = 0; t < s.length; ++t) {
      const float* k = kv + (s.begin + t) * 2 * dim + h * hd;
      float dot = 0.f;
#pragma omp simd reduction(+ : dot)
      for (int64_t i = 0; i < hd; ++i) dot += qh[i] * k[i];
      p[t] = dot * scale;
    }
    softmax_rows(p.data(), 1, s.length);
    float* c = ctx + b * dim + h * hd;
    std::fill(c, c + hd, 0.f);
    for (int64_t t = 0; t < s.length; ++t) {
      const float* v = kv + (s.begin + t) * 2 * dim + dim + h * hd;
      const float w = p[t];
#pragma omp simd
      for (int64_t i = 0; i < hd; ++i) c[i] += w * v[i];
    }
  }
}

}  // namespace senti::kernels
