// Pretraining of a DistilBERT encoder on raw text, by masked language modelling (the default) or
// by ELECTRA's replaced-token detection (train/electra.h). Masked-LM (DistilBertForMaskedLM's head):
// reads raw text, cuts each text's tokens into windows of at most max_length, masks 15 % of the
// ordinary tokens per window and epoch (80 % [MASK], 10 % a random token, 10 % unchanged; the
// loss only on those), and trains with the fine-tuner's AdamW, schedule, clipping, accumulation,
// checkpoints and exact --resume. Writes a Hugging Face DistilBertForMaskedLM folder, the
// validation loss and perplexity per epoch, and per-step metrics. No command-line parsing.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "train/optimizer.h"

namespace senti::train {

enum class PretrainObjective { kMlm, kElectra };
// "mlm" | "electra"; nullopt for anything else.
std::optional<PretrainObjective> parse_pretrain_objective(const std::string& name);

struct PretrainOptions {
  std::string config;                 // config.json of a fresh model (with `tokenizer`), or
  std::string base_model;             // a checkpoint folder to continue from
  std::string tokenizer;              // folder with vocab.txt / tokenizer.json (default: base_model
                                      // or the config's folder)
  std::vector<std::string> data;      // aclImdb-style folders of .txt, .jsonl or text files
  double validation_fraction = 0.02;  // texts held out for the validation loss
  std::string out_dir;
  int epochs = 1;
  size_t batch_size = 64;             // windows per micro-batch
  int grad_accum = 1;
  size_t max_length = 128;            // tokens per window incl. [CLS]/[SEP]
  double mask_prob = 0.15;
  AdamWOptions adam{5e-4, 0.9, 0.999, 1e-6, 0.01};
  double warmup_ratio = 0.06;
  double max_grad_norm = 1.0;
  uint64_t seed = 42;
  // The held-out texts and their fixed validation masks; -1 = seed. A later piece of pretraining
  // given a new seed (new order, masks, dropout) and the old validation seed reports a
  // validation loss comparable with the earlier piece's.
  int64_t validation_seed = -1;
  int64_t save_steps = 500;
  int64_t max_steps = 0;              // stop after N optimizer steps (0 = all epochs)
  double max_seconds = 0;  // stop after this much training in this run, resumable (0 = no limit)
  bool bf16 = false;                  // matrix products on bf16 copies, f32 accumulation
  bool resume = false;
  int threads = 0;
  bool progress = true;
  // The run's length in optimizer steps instead of whole epochs (0 = --epochs): the schedule
  // spans it and the last epoch ends when it is reached (equal-time comparisons).
  int64_t steps = 0;
  PretrainObjective objective = PretrainObjective::kMlm;
  // ELECTRA: the generator's depth and FFN width (0 = a quarter of the discriminator's, at least
  // one layer) and λ, the discriminator loss's weight (the paper's 50).
  int64_t generator_layers = 0, generator_hidden_dim = 0;
  double rtd_weight = 50.0;
};

// The seed of the held-out texts and validation masks: validation_seed, or seed when it is -1.
uint64_t validation_seed(const PretrainOptions& o);

struct PretrainResult {
  int64_t steps = 0;
  double seconds = 0;
  double validation_loss = 0;  // after the last epoch: MLM loss, or ELECTRA's discriminator loss
  double generator_loss = 0;   // ELECTRA: the generator's validation MLM loss
  size_t train_windows = 0, validation_windows = 0;
  bool finished = false;       // false when max_steps interrupted the run
};

PretrainResult pretrain(const PretrainOptions& options);

// One window masked for MLM. `maskable[i]` says whether position i may be chosen (not a
// special token). Each maskable position is chosen with probability `prob` (at least one per
// window when any is maskable); chosen ones become mask_id (80 %), a uniformly random id below
// vocab_size (10 %) or stay (10 %). labels: the original id where chosen, else -100.
struct MaskedWindow {
  std::vector<int32_t> input, labels;
};
MaskedWindow mask_for_mlm(const std::vector<int32_t>& ids, const std::vector<bool>& maskable, double prob,
                          int32_t mask_id, int32_t vocab_size, uint64_t seed);

}  // namespace senti::train
