// Masked-language-model pretraining of a DistilBERT encoder (DistilBertForMaskedLM's head):
// reads raw text, cuts each text's tokens into windows of at most max_length, masks 15 % of the
// ordinary tokens per window and epoch (80 % [MASK], 10 % a random token, 10 % unchanged; the
// loss only on those), and trains with the fine-tuner's AdamW, schedule, clipping, accumulation,
// checkpoints and exact --resume. Writes a Hugging Face DistilBertForMaskedLM folder, the
// validation loss and perplexity per epoch, and per-step metrics. No command-line parsing.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "train/optimizer.h"

namespace senti::train {

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
  int64_t save_steps = 500;
  int64_t max_steps = 0;              // stop after N optimizer steps (0 = all epochs)
  bool bf16 = false;                  // matrix products on bf16 copies, f32 accumulation
  bool resume = false;
  int threads = 0;
  bool progress = true;
};

struct PretrainResult {
  int64_t steps = 0;
  double seconds = 0;
  double validation_loss = 0;  // after the last epoch
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
