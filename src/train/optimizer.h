// AdamW as torch.optim.AdamW computes it (decoupled weight decay applied first, bias-corrected
// moments), the linear warmup-then-decay schedule of transformers' get_linear_schedule_with_warmup,
// and global gradient-norm clipping as torch.nn.utils.clip_grad_norm_. Frozen parameters have no
// state here. Knows nothing of models beyond model::Param.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/trainable.h"

namespace senti::train {

struct AdamWOptions {
  double lr = 5e-5;  // transformers' TrainingArguments defaults
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double weight_decay = 0.01;  // not applied to biases and LayerNorm (Param::decay)
};

class AdamW {
 public:
  AdamW(std::vector<model::Param>& params, AdamWOptions options);
  // One update with learning rate `lr` (the schedule's value for this step).
  void step(double lr);
  int64_t steps() const { return t_; }
  const AdamWOptions& options() const { return options_; }

  // State for checkpoints: moments of each trainable parameter, by name, and the step count.
  struct State {
    std::string name;
    std::vector<float> m, v;
  };
  std::vector<State> state() const;
  void restore(const std::vector<State>& state, int64_t steps);

 private:
  std::vector<model::Param>& params_;
  AdamWOptions options_;
  std::vector<size_t> active_;  // indices of trainable params
  std::vector<std::vector<float>> m_, v_;
  int64_t t_ = 0;
};

// transformers' linear schedule: step/warmup during warmup, then linear decay to 0 at total.
double linear_schedule(int64_t step, int64_t warmup, int64_t total);

// Scales all trainable gradients so their global L2 norm is at most max_norm (torch's
// clip_grad_norm_: coefficient max_norm / (norm + 1e-6), applied when below 1). Returns the
// norm before clipping.
double clip_grad_norm(std::vector<model::Param>& params, double max_norm);

// One optimizer step of a training loop: averages the gradients accumulated over
// `micro_batches`, clips them to max_grad_norm (0 = off), and updates with the schedule's
// learning rate for step `step` (0-based) of `total` after `warmup`. Returns that rate.
double optimizer_step(std::vector<model::Param>& params, AdamW& opt, int micro_batches, double max_grad_norm,
                      int64_t step, int64_t warmup, int64_t total);

}  // namespace senti::train
