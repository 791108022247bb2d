// What the pretraining objectives share (internal to src/train): texts cut into windows of
// token ids, the per-epoch window order, the masker that turns windows into a masked-LM batch,
// and WindowObjective, the base of the MLM and ELECTRA objectives. No model, no loop.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/trainable.h"
#include "train/loop.h"

namespace senti {
class ThreadPool;
namespace text {
class Tokenizer;
}
}  // namespace senti

namespace senti::train {

struct Windows {
  std::vector<std::vector<int32_t>> ids;  // each [CLS] … [SEP]
  size_t tokens = 0;
};

// Each text's tokens cut into consecutive windows of at most max_length tokens framed by the
// tokenizer's template ([CLS] … [SEP]); a last piece of fewer than 8 content tokens is dropped
// unless it is the whole text; a text without tokens gives none.
Windows make_windows(const text::Tokenizer& tok, const std::vector<std::string>& texts, size_t max_length,
                     ThreadPool& pool);

// The windows' order in epoch `epoch` (a shuffle fixed by seed and epoch) and micro-batch
// `index` of it.
std::vector<size_t> epoch_order(size_t n, uint64_t seed, int epoch);
std::vector<size_t> batch_slice(const std::vector<size_t>& order, size_t index, size_t batch_size);

struct Masker {
  std::vector<bool> special;  // by token id: never chosen
  int32_t mask_id = -1, vocab_size = 0;
  double prob = 0.15;
  bool mask_all = false;      // every chosen token becomes [MASK] (ELECTRA's generator input)
  // Windows `idx` masked with seeds mix_seed(seed, window): inputs and mlm_labels.
  model::TrainBatch batch(const Windows& w, const std::vector<size_t>& idx, uint64_t seed) const;
};

struct PretrainOptions;

// What the pretraining objectives share: the windows, their order per epoch, and the masked
// micro-batch `index` of the epoch (new masks every epoch, fixed by seed, epoch and window).
class WindowObjective : public Objective {
 public:
  WindowObjective(const PretrainOptions& o, const Windows& train, const Windows& val, const Masker& masker,
                  const std::string& tok_dir)
      : o_(o), train_(train), val_(val), masker_(masker), tok_dir_(tok_dir) {}
  size_t begin_epoch(int epoch) override;

 protected:
  // Micro-batch `index` of the current epoch, masked; `idx` receives its windows.
  model::TrainBatch masked_batch(size_t index, std::vector<size_t>& idx) const;

  const PretrainOptions& o_;
  const Windows &train_, &val_;
  const Masker& masker_;
  std::string tok_dir_;
  std::vector<size_t> order_;
  int epoch_ = 0;
};

}  // namespace senti::train
