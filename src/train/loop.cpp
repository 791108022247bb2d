#include "train/loop.h"

#include <chrono>
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "kernels/dense.h"
#include "kernels/linear.h"
#include "train/checkpoint.h"
#include "train/ranks.h"
#include "util/error.h"
#include "util/log.h"
#include "util/progress.h"

namespace senti::train {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

bool use_training_precision(bool bf16) {
  if (bf16 && !kernels::compute_type_available(kernels::ComputeType::kBf16)) {
    log::warn("--bf16: this CPU cannot run bf16 matrix products (oneDNN needs AVX-512 for them); training in f32");
    bf16 = false;
  }
  kernels::set_training_matmul(bf16 ? kernels::MatmulPrecision::kBf16 : kernels::MatmulPrecision::kF32);
  return bf16;
}

json step_to_json(const StepRecord& s) {
  return {{"step", s.step}, {"loss", s.loss}, {"lr", s.lr}, {"tokens_per_s", s.tokens_per_s}};
}

StepRecord step_from_json(const json& j) {
  return {j.at("step").get<int64_t>(), j.at("loss").get<double>(), j.at("lr").get<double>(),
          j.at("tokens_per_s").get<double>()};
}

namespace {

void save_state(const LoopOptions& o, const model::TrainableDistilBert& m, const AdamW& opt, const Objective& objective,
                const LoopState& s, int epoch, size_t batch) {
  json j = objective.save_state();
  j["fingerprint"] = o.fingerprint;
  j["epoch"] = epoch;
  j["batch"] = batch;
  j["step"] = s.step;
  j["micro"] = s.micro;
  j["steps"] = json::array();
  for (const auto& st : s.steps) j["steps"].push_back(step_to_json(st));
  j["epochs"] = s.epochs;
  save_checkpoint(o.checkpoint_dir, m, opt, j.dump(), [&](const std::string& dir) { objective.save_files(dir); });
}

// Restores weights, optimizer, loop and objective state; false when there is no checkpoint.
bool load_state(const LoopOptions& o, model::TrainableDistilBert& m, AdamW& opt, Objective& objective, LoopState& s) {
  const std::string text = load_checkpoint(o.checkpoint_dir, m, opt);
  if (text.empty()) return false;
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) fail(ErrorCode::kParse, o.checkpoint_dir + "/trainer_state.json: not valid JSON");
  if (j.value("fingerprint", std::string()) != o.fingerprint)
    fail(ErrorCode::kInvalidArgument, "cannot resume: the checkpoint in " + o.checkpoint_dir + " was made with different " + o.what +
                                          "; resume with the same options, or choose another output folder");
  try {
    s.epoch = j.at("epoch").get<int>();
    s.batch = j.at("batch").get<size_t>();
    s.step = j.at("step").get<int64_t>();
    s.micro = j.at("micro").get<int64_t>();
    s.steps.clear();
    if (j.contains("steps"))
      for (const auto& st : j["steps"]) s.steps.push_back(step_from_json(st));
    s.epochs = j.value("epochs", json::array());
    objective.load_state(j);
  } catch (const json::exception& e) {
    fail(ErrorCode::kParse, o.checkpoint_dir + "/trainer_state.json: " + e.what());
  }
  objective.load_files(o.checkpoint_dir);
  return true;
}

// Sums one step's gradients (the trainable parameters of the model and of the objective's own
// model), loss and token count across the ranks, through one fused buffer.
void sum_across_ranks(const Ranks& ranks, std::vector<model::Param>& params, std::vector<model::Param>* own,
                      std::vector<float>& buffer, double& loss, size_t& tokens) {
  size_t n = 0;
  auto each = [&](auto&& f) {
    for (auto* list : {&params, own})
      if (list)
        for (auto& p : *list)
          if (p.trainable) f(p);
  };
  each([&](model::Param& p) { n += static_cast<size_t>(p.grad.numel()); });
  buffer.resize(n);
  size_t at = 0;
  each([&](model::Param& p) {
    std::copy_n(p.grad.data(), p.grad.numel(), buffer.data() + at);
    at += static_cast<size_t>(p.grad.numel());
  });
  ranks.sum(buffer.data(), buffer.size());
  at = 0;
  each([&](model::Param& p) {
    std::copy_n(buffer.data() + at, p.grad.numel(), p.grad.mutable_data());
    at += static_cast<size_t>(p.grad.numel());
  });
  double totals[2] = {loss, static_cast<double>(tokens)};
  ranks.sum(totals, 2);
  loss = totals[0];
  tokens = static_cast<size_t>(totals[1]);
}

// Stops the run when the ranks' weights differ: they would no longer compute one model.
void check_identical_weights(const Ranks& ranks, const model::TrainableDistilBert& model, Objective& objective,
                             const std::string& when) {
  if (!ranks.distributed()) return;
  uint64_t sum = weights_checksum(model.params());
  if (const auto* own = objective.own_params()) sum = sum * 31 + weights_checksum(*own);
  const std::vector<uint64_t> sums = ranks.gather(sum);
  for (size_t r = 1; r < sums.size(); ++r)
    if (sums[r] != sums[0]) {
      char hex[2][20];
      std::snprintf(hex[0], sizeof hex[0], "%016llx", static_cast<unsigned long long>(sums[0]));
      std::snprintf(hex[1], sizeof hex[1], "%016llx", static_cast<unsigned long long>(sums[r]));
      fail(ErrorCode::kInternal, "the weights of rank " + std::to_string(r) + " differ from rank 0's " + when +
                                     " (checksum " + hex[1] + " vs " + hex[0] +
                                     "): every rank must run the same senti build on the same base model, data and options");
    }
  char hex[20];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(sums[0]));
  log::info("weights identical on all " + std::to_string(sums.size()) + " ranks " + when + " (checksum " + hex + ")");
}

// Restores the run from its checkpoint when asked; every rank must stand at the same step.
void resume_if_asked(const Ranks& ranks, const LoopOptions& o, model::TrainableDistilBert& model, AdamW& opt,
                     Objective& objective, LoopState& s) {
  if (!o.resume) return;
  if (load_state(o, model, opt, objective, s))
    log::info("resumed at epoch " + std::to_string(s.epoch + 1) + ", step " + std::to_string(s.step));
  else
    log::warn("nothing to resume: no checkpoint in " + o.checkpoint_dir + "; starting from the beginning");
  const std::vector<uint64_t> at = ranks.gather(static_cast<uint64_t>(s.step));
  for (size_t r = 1; r < at.size(); ++r)
    if (at[r] != at[0])
      fail(ErrorCode::kInvalidArgument, "rank " + std::to_string(r) + " resumed at step " + std::to_string(at[r]) +
                                            " but rank 0 at step " + std::to_string(at[0]) + ": resuming needs " +
                                            o.checkpoint_dir + " on a filesystem every rank reads");
}

// Says how the ranks share the work, and checks they start from the same weights.
void start_ranks(const Ranks& ranks, const LoopOptions& o, const model::TrainableDistilBert& model, Objective& objective) {
  if (!ranks.distributed()) return;
  log::info("data-parallel over " + std::to_string(ranks.size()) + " ranks: each optimizer step's " +
            std::to_string(o.grad_accum) + " micro-batches are shared among them, gradients summed");
  if (o.grad_accum < ranks.size())
    log::warn(std::to_string(ranks.size() - o.grad_accum) + " of " + std::to_string(ranks.size()) +
              " ranks have nothing to compute: a step has " + std::to_string(o.grad_accum) +
              " micro-batch(es); set the gradient accumulation to a multiple of the rank count");
  check_identical_weights(ranks, model, objective, "at the start");
}

// The loss window: what the micro-batches of one optimizer step have added up so far.
struct Window {
  double loss = 0;
  int n = 0;
  size_t tokens = 0;
  Clock::time_point start = Clock::now();
};

// Records a finished step (its mean loss, rate and learning rate) and shows it.
void record_step(LoopState& s, const Window& w, double lr, int epochs, Progress& progress) {
  const double secs = std::chrono::duration<double>(Clock::now() - w.start).count();
  const StepRecord rec{s.step, w.loss / w.n, lr, secs > 0 ? static_cast<double>(w.tokens) / secs : 0};
  s.steps.push_back(rec);
  char suffix[160];
  std::snprintf(suffix, sizeof suffix, "epoch %d/%d loss %.4f lr %.2e %.0f tok/s", s.epoch + 1, epochs, rec.loss, lr,
                rec.tokens_per_s);
  progress.set_suffix(suffix);
  progress.add(1);
}

}  // namespace

LoopResult run_training_loop(model::TrainableDistilBert& model, AdamW& opt, Objective& objective, const LoopOptions& o,
                             LoopState& s) {
  const Ranks& ranks = Ranks::world();
  resume_if_asked(ranks, o, model, opt, objective, s);
  start_ranks(ranks, o, model, objective);
  std::vector<float> reduce_buffer;
  LoopResult result;
  const int64_t steps_per_epoch = static_cast<int64_t>((o.batches_per_epoch + o.grad_accum - 1) / o.grad_accum);
  result.total_steps = o.total_steps > 0 ? o.total_steps : steps_per_epoch * o.epochs;
  const int epochs = o.total_steps > 0 ? static_cast<int>((o.total_steps + steps_per_epoch - 1) / steps_per_epoch) : o.epochs;
  result.warmup_steps = static_cast<int64_t>(std::ceil(o.warmup_ratio * static_cast<double>(result.total_steps)));
  const auto t_run = Clock::now();  // --max-time counts this run only
  Progress progress(o.progress_label, static_cast<uint64_t>(result.total_steps), "steps", o.progress && ranks.root());
  progress.resume_at(static_cast<uint64_t>(s.step));

  for (; s.epoch < epochs; ++s.epoch, s.batch = 0) {
    const auto t_epoch = Clock::now();
    const size_t batches = objective.begin_epoch(s.epoch);
    if (batches != o.batches_per_epoch) fail(ErrorCode::kInternal, "an epoch's batch count changed");
    Window w;
    int in_accum = 0;
    for (; s.batch < batches && s.step < result.total_steps; ++s.batch) {  // the run's length may end it early
      if (in_accum == 0) model.zero_grad();
      // Rank r computes the window's micro-batches r, r+N, …; a single process computes them all.
      if (in_accum % ranks.size() == ranks.rank())
        w.loss += objective.micro_batch(s.batch, mix_seed(o.seed, static_cast<uint64_t>(s.micro)), w.tokens);
      ++s.micro;
      ++w.n;
      ++in_accum;
      const bool last = s.batch + 1 == batches;
      if (in_accum < o.grad_accum && !last) continue;
      if (ranks.distributed())
        sum_across_ranks(ranks, model.params(), objective.own_params(), reduce_buffer, w.loss, w.tokens);
      objective.before_step({in_accum, o.max_grad_norm, s.step, result.warmup_steps, result.total_steps});
      const double lr = optimizer_step(model.params(), opt, in_accum, o.max_grad_norm, s.step, result.warmup_steps,
                                       result.total_steps);
      objective.after_step();
      in_accum = 0;
      ++s.step;
      record_step(s, w, lr, epochs, progress);
      w = Window();
      const bool step_limit = o.max_steps > 0 && s.step >= o.max_steps;
      const bool time_limit =
          o.max_seconds > 0 && std::chrono::duration<double>(Clock::now() - t_run).count() >= o.max_seconds;
      // A time limit reached on the run's last step lets the run finish.
      // Rank 0's clock decides for every rank.
      const bool stop = ranks.from_root(step_limit || (time_limit && s.step < result.total_steps));
      if (ranks.root() && (stop || (o.save_steps > 0 && s.step % o.save_steps == 0)))
        save_state(o, model, opt, objective, s, s.epoch, s.batch + 1);
      if (stop) {
        progress.finish();
        log::info("stopped after " + std::to_string(s.step) + " of " + std::to_string(result.total_steps) + " steps (" +
                  (step_limit ? "the step limit" : "the time limit") + "); resume to continue");
        return result;
      }
    }
    // Rank 0 validates and keeps the best model; the others wait for its decision.
    const bool stop = ranks.from_root(
        ranks.root() && objective.end_epoch(s, std::chrono::duration<double>(Clock::now() - t_epoch).count()));
    check_identical_weights(ranks, model, objective, "after epoch " + std::to_string(s.epoch + 1));
    if (ranks.root()) save_state(o, model, opt, objective, s, s.epoch + 1, 0);
    if (stop) {
      result.stopped_early = true;
      ++s.epoch;
      break;
    }
  }
  progress.finish();
  result.finished = true;
  return result;
}

}  // namespace senti::train
