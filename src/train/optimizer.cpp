#include "train/optimizer.h"

#include <cmath>

#include "util/error.h"

namespace senti::train {

AdamW::AdamW(std::vector<model::Param>& params, AdamWOptions options) : params_(params), options_(options) {
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].trainable) continue;
    active_.push_back(i);
    m_.emplace_back(static_cast<size_t>(params_[i].value.numel()), 0.f);
    v_.emplace_back(static_cast<size_t>(params_[i].value.numel()), 0.f);
  }
}

void AdamW::step(double lr) {
  ++t_;
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double bc1 = 1.0 - std::pow(b1, static_cast<double>(t_));
  const double bc2 = 1.0 - std::pow(b2, static_cast<double>(t_));
  const float step_size = static_cast<float>(lr / bc1);
  const float bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  for (size_t k = 0; k < active_.size(); ++k) {
    model::Param& p = params_[active_[k]];
    float* w = p.value.mutable_data();
    const float* g = p.grad.data();
    float* m = m_[k].data();
    float* v = v_[k].data();
    const int64_t n = p.value.numel();
    const float decay = p.decay ? static_cast<float>(1.0 - lr * options_.weight_decay) : 1.f;
    const float fb1 = static_cast<float>(b1), fb2 = static_cast<float>(b2), eps = static_cast<float>(options_.eps);
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; ++i) {
      w[i] *= decay;
      m[i] = fb1 * m[i] + (1.f - fb1) * g[i];
      v[i] = fb2 * v[i] + (1.f - fb2) * g[i] * g[i];
      w[i] -= step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps);
    }
  }
}

std::vector<AdamW::State> AdamW::state() const {
  std::vector<State> s;
  for (size_t k = 0; k < active_.size(); ++k) s.push_back({params_[active_[k]].name, m_[k], v_[k]});
  return s;
}

void AdamW::restore(const std::vector<State>& state, int64_t steps) {
  if (state.size() != active_.size())
    fail(ErrorCode::kParse, "optimizer state holds " + std::to_string(state.size()) + " parameters; the freeze policy trains " +
                                std::to_string(active_.size()));
  for (size_t k = 0; k < active_.size(); ++k) {
    if (state[k].name != params_[active_[k]].name || state[k].m.size() != m_[k].size() || state[k].v.size() != v_[k].size())
      fail(ErrorCode::kParse, "optimizer state for '" + state[k].name + "' does not match parameter '" +
                                  params_[active_[k]].name + "'");
    m_[k] = state[k].m;
    v_[k] = state[k].v;
  }
  t_ = steps;
}

double linear_schedule(int64_t step, int64_t warmup, int64_t total) {
  if (step < warmup) return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup));
  return std::max(0.0, static_cast<double>(total - step) / static_cast<double>(std::max<int64_t>(1, total - warmup)));
}

double clip_grad_norm(std::vector<model::Param>& params, double max_norm) {
  double sq = 0;
  for (const auto& p : params) {
    if (!p.trainable) continue;
    const float* g = p.grad.data();
    for (int64_t i = 0; i < p.grad.numel(); ++i) sq += static_cast<double>(g[i]) * g[i];
  }
  const double norm = std::sqrt(sq);
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0)
    for (auto& p : params) {
      if (!p.trainable) continue;
      float* g = p.grad.mutable_data();
      for (int64_t i = 0; i < p.grad.numel(); ++i) g[i] = static_cast<float>(g[i] * coef);
    }
  return norm;
}

double optimizer_step(std::vector<model::Param>& params, AdamW& opt, int micro_batches, double max_grad_norm,
                      int64_t step, int64_t warmup, int64_t total) {
  if (micro_batches > 1)
    for (auto& p : params)
      if (p.trainable) {
        float* g = p.grad.mutable_data();
        for (int64_t i = 0; i < p.grad.numel(); ++i) g[i] /= static_cast<float>(micro_batches);
      }
  if (max_grad_norm > 0) clip_grad_norm(params, max_grad_norm);
  const double lr = opt.options().lr * linear_schedule(step, warmup, total);
  opt.step(lr);
  return lr;
}

}  // namespace senti::train
