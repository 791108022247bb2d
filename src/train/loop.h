// The step/epoch driver that fine-tuning and pretraining share: micro-batches, gradient
// accumulation, optimizer steps with warmup/decay and clipping, the loss window and progress,
// checkpoints every N steps and at each epoch's end, --max-steps stops, and exact resume from
// one state. What a task trains on, its loss and its validation come from an Objective; the
// loop knows nothing of data, heads or metrics.
// Data-parallel (started by mpirun, see train/ranks.h): rank r computes micro-batches r, r+N, …
// of each optimizer step's window, the gradients are summed across the ranks before the
// identical update on every rank, and rank 0 alone validates, writes checkpoints and shows
// progress; the result is the single-process computation up to the order of float sums.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/trainable.h"
#include "train/optimizer.h"
#include "train/report.h"

namespace senti::train {

// Where a run stands; saved in the checkpoint's trainer_state.json with the objective's own keys.
struct LoopState {
  int epoch = 0;         // epoch in progress (0-based)
  size_t batch = 0;      // next micro-batch within the epoch
  int64_t step = 0;      // optimizer steps done
  int64_t micro = 0;     // micro-batches done (keys the dropout masks)
  std::vector<StepRecord> steps;
  nlohmann::json epochs = nlohmann::json::array();  // one record per finished epoch, shaped by the objective
};

class Objective {
 public:
  virtual ~Objective() = default;
  // Lays out epoch `epoch`'s micro-batches (deterministic in the seed and the epoch); their count
  // must be the same every epoch.
  virtual size_t begin_epoch(int epoch) = 0;
  // Forward and backward of micro-batch `index` of the current epoch: gradients add up in the
  // parameters. Returns the loss; `tokens` receives the tokens it read.
  virtual double micro_batch(size_t index, uint64_t dropout_seed, size_t& tokens) = 0;
  // After an epoch's last optimizer step: validates, appends the epoch's record to state.epochs
  // (its seconds: `train_seconds` plus the validation's), writes what the task keeps (best model,
  // encoder). Returns true to stop training (early stopping).
  virtual bool end_epoch(LoopState& state, double train_seconds) = 0;
  // The objective's own resume state (e.g. the best metric so far), as JSON object keys.
  virtual nlohmann::json save_state() const { return nlohmann::json::object(); }
  virtual void load_state(const nlohmann::json&) {}

  // For a model the objective trains beside the loop's own (ELECTRA's generator): called at each
  // optimizer step just before the loop's update, with what that update uses, and just after it.
  struct Step {
    int micro_batches;  // accumulated since the last step
    double max_grad_norm;
    int64_t step, warmup, total;
  };
  virtual void before_step(const Step&) {}
  virtual void after_step() {}
  // Its weights and optimizer state, written into and read from the checkpoint folder.
  virtual void save_files(const std::string& /*checkpoint_dir*/) const {}
  virtual void load_files(const std::string& /*checkpoint_dir*/) {}
  // That model's parameters, whose gradients a data-parallel run sums across the ranks with the
  // loop's own (before before_step); none by default.
  virtual std::vector<model::Param>* own_params() { return nullptr; }
};

struct LoopOptions {
  int epochs = 1;
  size_t batches_per_epoch = 0;  // micro-batches
  int grad_accum = 1;
  double max_grad_norm = 1.0;
  double warmup_ratio = 0.06;
  int64_t save_steps = 500;      // checkpoint every N optimizer steps (0 = at epoch ends only)
  int64_t max_steps = 0;         // stop after N optimizer steps (0 = run all epochs)
  double max_seconds = 0;        // stop (as max_steps does) once this run has trained this long (0 = no limit)
  // The run's length in optimizer steps when not a whole number of epochs (0 = epochs × steps
  // per epoch): the schedule spans it, and the last epoch ends early (validated and saved as any
  // other) when it is reached.
  int64_t total_steps = 0;
  uint64_t seed = 42;            // dropout masks: mix_seed(seed, micro-batch number)
  std::string checkpoint_dir;
  std::string fingerprint;       // the options a checkpoint must have been made with to resume
  std::string what = "training options";  // named in the resume mismatch error
  bool resume = false;
  std::string progress_label = "train";
  bool progress = true;
};

struct LoopResult {
  int64_t warmup_steps = 0, total_steps = 0;
  bool finished = false;       // false when max_steps or max_seconds interrupted the run
  bool stopped_early = false;  // the objective asked to stop before the last epoch
};

// The loop's options from a task's options (TrainOptions, PretrainOptions: the fields they share).
template <class TaskOptions>
LoopOptions loop_options(const TaskOptions& o, size_t batches_per_epoch, const std::string& checkpoint_dir,
                         const std::string& fingerprint) {
  LoopOptions lo;
  lo.epochs = o.epochs;
  lo.batches_per_epoch = batches_per_epoch;
  lo.grad_accum = o.grad_accum;
  lo.max_grad_norm = o.max_grad_norm;
  lo.warmup_ratio = o.warmup_ratio;
  lo.save_steps = o.save_steps;
  lo.max_steps = o.max_steps;
  lo.max_seconds = o.max_seconds;
  lo.seed = o.seed;
  lo.checkpoint_dir = checkpoint_dir;
  lo.fingerprint = fingerprint;
  lo.resume = o.resume;
  lo.progress = o.progress;
  return lo;
}

// Runs (or resumes, when options.resume and a checkpoint exist) the epochs; `state` holds the
// records afterwards.
LoopResult run_training_loop(model::TrainableDistilBert& model, AdamW& opt, Objective& objective,
                             const LoopOptions& options, LoopState& state);

// Sets the kernels' matrix-product precision for a run: bf16 when asked for and this CPU runs it,
// else f32, with a warning when bf16 was asked for (so a --bf16 command line, or a checkpoint
// made with it, still trains on a CPU without AVX-512). Returns whether bf16 is in use.
bool use_training_precision(bool bf16);

nlohmann::json step_to_json(const StepRecord& s);
StepRecord step_from_json(const nlohmann::json& j);

}  // namespace senti::train
