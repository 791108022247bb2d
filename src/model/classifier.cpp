// Implements include/senti/classifier.h: tokenizer + DistilBERT + scores, with truncation or
// sliding windows for long texts and bounded-size packed batches.
#include "senti/classifier.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <numeric>

#include "kernels/runtime.h"
#include "model/distilbert.h"
#include "model/truncation.h"
#include "text/tokenizer.h"
#include "util/error.h"
#include "util/pack.h"
#include "util/softmax.h"
#include "util/log.h"
#include "util/thread_pool.h"

namespace senti {

namespace {
// Tokens per forward pass: bounds activation memory (about 20 MB per 1k tokens for base).
constexpr size_t kMaxBatchTokens = 16384;
}  // namespace

struct Classifier::Impl {
  ModelInfo info;
  std::unique_ptr<model::DistilBert> model;
  std::unique_ptr<text::Tokenizer> tokenizer;
  std::unique_ptr<ThreadPool> pool;
  int threads = 1;  // the kernels' team size, set on whichever thread runs a forward pass
  mutable model::Workspace workspace;
  mutable std::mutex mutex;       // the model and its workspace
  mutable std::mutex pool_mutex;  // the tokenizing pool

  // Token windows for one text: one (truncated) window, or several when a sliding window is on.
  void windows(std::string_view text, const ReadOptions& o, TokenizedText& result) const {
    auto& out = result.windows;
    const size_t max_len = o.max_length ? std::min(o.max_length, info.max_length) : info.max_length;
    if (o.window == 0) {
      text::EncodeOptions eo;
      eo.truncation.max_length = max_len;
      eo.truncation.strategy = model::to_text(o.truncation);
      eo.truncation.head_tokens = o.head_tokens;
      text::Encoding e = tokenizer->encode(text, eo);
      out.emplace_back(e.ids.begin(), e.ids.end());
      result.truncated = e.num_truncated;
      result.tokens = e.ids.size();
      return;
    }
    out = tokenizer->encode_windows(text, std::min(o.window, max_len), o.stride);
    for (const auto& w : out) result.tokens += w.size();
  }
};

Classifier::Classifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Classifier::~Classifier() = default;

std::unique_ptr<Classifier> Classifier::load(const std::string& dir, const LoadOptions& options) {
  auto impl = std::make_unique<Impl>();
  const int threads = resolve_threads(options.threads);
  kernels::set_num_threads(threads);
  impl->pool = std::make_unique<ThreadPool>(threads);
  impl->threads = threads;
  auto type = kernels::parse_compute_type(options.dtype);
  if (!type)
    fail(ErrorCode::kInvalidArgument, "unknown dtype '" + options.dtype + "' (expected f32, bf16, int8 or auto)");
  if (options.dtype == "auto") log::info(std::string("dtype auto: ") + kernels::compute_type_name(*type));
  if (!kernels::compute_type_available(*type)) {  // answer in f32 rather than not at all
    log::warn(std::string("dtype ") + kernels::compute_type_name(*type) +
              ": this CPU cannot run it (oneDNN's bf16 matrix products need AVX-512); running f32 instead");
    type = kernels::ComputeType::kF32;
  } else if (!kernels::compute_type_supported(*type))
    log::warn(std::string("dtype ") + kernels::compute_type_name(*type) +
              ": this CPU lacks the instructions that make it fast (AVX512-BF16 for bf16, VNNI for int8); it will run, slowly");
  impl->model = model::DistilBert::load(dir, *type);
  impl->tokenizer = std::make_unique<text::Tokenizer>(text::Tokenizer::from_path(dir));
  const auto& c = impl->model->config();
  if (static_cast<int64_t>(impl->tokenizer->vocab().size()) != c.vocab_size)
    fail(ErrorCode::kParse, dir + ": the tokenizer has " + std::to_string(impl->tokenizer->vocab().size()) +
                                " tokens but config.json says vocab_size " + std::to_string(c.vocab_size));
  ModelInfo& info = impl->info;
  info.path = dir;
  info.labels = c.id2label;
  info.max_length = static_cast<size_t>(c.max_position_embeddings);
  if (size_t m = impl->tokenizer->config().model_max_length; m > 0) info.max_length = std::min(info.max_length, m);
  info.dim = c.dim;
  info.layers = c.n_layers;
  info.heads = c.n_heads;
  info.vocab_size = c.vocab_size;
  info.parameters = impl->model->num_parameters();
  info.problem_type = c.problem_type;
  info.weights_dtype = impl->model->weights_dtype();
  info.compute_dtype = kernels::compute_type_name(*type);
  info.weight_bytes = impl->model->weight_bytes();
  if (!impl->model->has_classifier())
    fail(ErrorCode::kUnsupported, dir + ": the checkpoint has no sequence-classification head (pre_classifier, "
                                        "classifier); fine-tune it first with `senti train`");
  return std::unique_ptr<Classifier>(new Classifier(std::move(impl)));
}

const ModelInfo& Classifier::info() const { return impl_->info; }

const text::Tokenizer& Classifier::tokenizer() const { return *impl_->tokenizer; }

size_t Classifier::count_tokens(std::string_view text) const {
  text::EncodeOptions eo;
  return impl_->tokenizer->encode(text, eo).size();
}

TokenizedText Classifier::tokenize(std::string_view text, const ReadOptions& o) const {
  TokenizedText t;
  impl_->windows(text, o, t);
  return t;
}

std::vector<std::vector<float>> Classifier::logits(const std::vector<std::string_view>& texts,
                                                   const ReadOptions& o) const {
  // Tokenize on the pool (one call at a time may use it), then run the model.
  std::vector<TokenizedText> tokenized(texts.size());
  {
    std::lock_guard<std::mutex> lock(impl_->pool_mutex);
    impl_->pool->parallel_for(texts.size(), 8, [&](size_t b, size_t e, int) {
      for (size_t i = b; i < e; ++i) impl_->windows(texts[i], o, tokenized[i]);
    });
  }
  std::vector<const TokenizedText*> ptrs;
  ptrs.reserve(tokenized.size());
  for (const auto& t : tokenized) ptrs.push_back(&t);
  return logits(ptrs);
}

std::vector<std::vector<float>> Classifier::logits(const std::vector<const TokenizedText*>& texts) const {
  Impl& s = *impl_;
  // One forward pass at a time: the workspace is shared.
  std::lock_guard<std::mutex> lock(s.mutex);
  // The thread count is a per-thread OpenMP setting: a thread other than the loader's (the
  // server's batcher, a Python thread) would otherwise run the kernels on every hardware thread.
  kernels::set_num_threads(s.threads);
  const int64_t L = static_cast<int64_t>(s.info.labels.size());
  std::vector<std::vector<float>> out(texts.size(), std::vector<float>(static_cast<size_t>(L), 0.f));
  std::vector<size_t> counts(texts.size(), 0);
  // Flatten windows, then run in packed batches of bounded token count.
  std::vector<std::pair<size_t, const std::vector<int32_t>*>> items;
  for (size_t i = 0; i < texts.size(); ++i)
    for (const auto& w : texts[i]->windows) items.push_back({i, &w});
  for (size_t pos = 0; pos < items.size();) {
    const size_t end = pack_within(pos, items.size(), kMaxBatchTokens, [&](size_t i) { return items[i].second->size(); });
    std::vector<std::vector<int32_t>> batch;
    std::vector<size_t> owner;
    for (; pos < end; ++pos) {
      batch.push_back(*items[pos].second);
      owner.push_back(items[pos].first);
    }
    std::vector<float> lg = s.model->classify(batch, s.workspace);
    for (size_t b = 0; b < batch.size(); ++b) {
      for (int64_t l = 0; l < L; ++l) out[owner[b]][l] += lg[b * L + l];
      ++counts[owner[b]];
    }
  }
  for (size_t i = 0; i < out.size(); ++i)
    if (counts[i] > 1)
      for (float& v : out[i]) v /= static_cast<float>(counts[i]);
  return out;
}

std::vector<LabelScore> Classifier::scores_from_logits(const std::vector<float>& lg, const ScoreOptions& o) const {
  const ModelInfo& info = impl_->info;
  ScoreFunction f = o.function;
  if (f == ScoreFunction::kDefault)
    f = (info.labels.size() == 1 || info.problem_type == "multi_label_classification") ? ScoreFunction::kSigmoid
                                                                                         : ScoreFunction::kSoftmax;
  std::vector<float> scores(lg);
  if (f == ScoreFunction::kSoftmax) {
    stable_softmax(lg.data(), lg.size(), scores.data());
  } else if (f == ScoreFunction::kSigmoid) {
    for (float& v : scores) v = 1.f / (1.f + std::exp(-v));
  }
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  size_t k = o.top_k < 0 ? order.size() : std::min(order.size(), static_cast<size_t>(std::max(o.top_k, 1)));
  std::vector<LabelScore> out;
  for (size_t i = 0; i < k; ++i) out.push_back({info.labels[order[i]], scores[order[i]]});
  return out;
}

std::vector<std::vector<LabelScore>> Classifier::classify(const std::vector<std::string_view>& texts,
                                                          const ClassifyOptions& o) const {
  auto lg = logits(texts, o);
  std::vector<std::vector<LabelScore>> out;
  out.reserve(lg.size());
  for (const auto& l : lg) out.push_back(scores_from_logits(l, o));
  return out;
}

}  // namespace senti
