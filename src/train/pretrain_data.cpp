#include "train/pretrain_data.h"

#include <algorithm>
#include <random>

#include "text/tokenizer.h"
#include "train/checkpoint.h"
#include "train/pretrain.h"
#include "util/thread_pool.h"

namespace senti::train {

Windows make_windows(const text::Tokenizer& tok, const std::vector<std::string>& texts, size_t max_length,
                     ThreadPool& pool) {
  std::vector<std::vector<std::vector<int32_t>>> per_text(texts.size());
  const size_t specials = tok.num_special_tokens();
  pool.parallel_for(texts.size(), 32, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i) {
      per_text[i] = tok.encode_windows(texts[i], max_length, 0);
      if (per_text[i].size() > 1 && per_text[i].back().size() < 8 + specials) per_text[i].pop_back();
      if (per_text[i].size() == 1 && per_text[i][0].size() <= specials) per_text[i].clear();  // no content
    }
  });
  Windows out;
  for (auto& v : per_text)
    for (auto& w : v) {
      out.tokens += w.size();
      out.ids.push_back(std::move(w));
    }
  return out;
}

std::vector<size_t> epoch_order(size_t n, uint64_t seed, int epoch) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::mt19937_64 rng(seed * 1000003ull + static_cast<uint64_t>(epoch));
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

std::vector<size_t> batch_slice(const std::vector<size_t>& order, size_t index, size_t batch_size) {
  const size_t b = std::min(order.size(), index * batch_size), e = std::min(order.size(), (index + 1) * batch_size);
  return std::vector<size_t>(order.begin() + static_cast<long>(b), order.begin() + static_cast<long>(e));
}

model::TrainBatch Masker::batch(const Windows& w, const std::vector<size_t>& idx, uint64_t seed) const {
  model::TrainBatch b;
  for (size_t i : idx) {
    const auto& ids = w.ids[i];
    std::vector<bool> maskable(ids.size());
    for (size_t k = 0; k < ids.size(); ++k) maskable[k] = !special[static_cast<size_t>(ids[k])];
    MaskedWindow m = mask_for_mlm(ids, maskable, prob, mask_id, vocab_size, mix_seed(seed, i));
    if (mask_all)
      for (size_t k = 0; k < ids.size(); ++k)
        if (m.labels[k] != model::TrainBatch::kIgnore) m.input[k] = mask_id;
    b.sequences.push_back(std::move(m.input));
    b.mlm_labels.push_back(std::move(m.labels));
  }
  return b;
}

size_t WindowObjective::begin_epoch(int epoch) {
  epoch_ = epoch;
  order_ = epoch_order(train_.ids.size(), o_.seed, epoch);
  return (order_.size() + o_.batch_size - 1) / o_.batch_size;
}

model::TrainBatch WindowObjective::masked_batch(size_t index, std::vector<size_t>& idx) const {
  idx = batch_slice(order_, index, o_.batch_size);
  return masker_.batch(train_, idx, mix_seed(o_.seed, 1000 + static_cast<uint64_t>(epoch_)));
}

}  // namespace senti::train
