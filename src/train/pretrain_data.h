// What the pretraining objectives share (internal to src/train): texts cut into windows of
// token ids, the per-epoch window order, and the masker that turns windows into a masked-LM
// batch. No model, no loop.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/trainable.h"

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

}  // namespace senti::train
