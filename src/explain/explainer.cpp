// Implements include/senti/explainer.h on TrainableDistilBert's evaluation-mode input
// gradients (no dropout, no parameter gradients) and its forward pass.
#include "senti/explainer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <mutex>

#include "explain/quadrature.h"
#include "explain/words.h"
#include "io/safetensors.h"
#include "kernels/runtime.h"
#include "model/trainable.h"
#include "model/truncation.h"
#include "text/tokenizer.h"
#include "util/error.h"
#include "util/pack.h"
#include "util/softmax.h"
#include "util/thread_pool.h"

namespace senti {

std::optional<ExplainMethod> parse_explain_method(std::string_view name) {
  if (name == "ig" || name == "integrated_gradients") return ExplainMethod::kIntegratedGradients;
  if (name == "gxi" || name == "gradient_x_input") return ExplainMethod::kGradientTimesInput;
  if (name == "occlusion") return ExplainMethod::kOcclusion;
  return std::nullopt;
}

const char* explain_method_name(ExplainMethod m) {
  switch (m) {
    case ExplainMethod::kIntegratedGradients: return "ig";
    case ExplainMethod::kGradientTimesInput: return "gxi";
    case ExplainMethod::kOcclusion: return "occlusion";
  }
  return "ig";
}

namespace {

std::vector<double> softmax(const float* z, size_t n) {
  std::vector<double> p(n);
  stable_softmax(z, n, p.data());
  return p;
}

// The label's evidence: log(p / (1 - p)) = z_t - logsumexp(z_j, j != t), computed from the
// logits so that it stays exact when p is within rounding of 1.
double log_odds(const float* z, size_t n, size_t t) {
  double mx = -INFINITY;
  for (size_t j = 0; j < n; ++j)
    if (j != t) mx = std::max(mx, static_cast<double>(z[j]));
  double sum = 0;
  for (size_t j = 0; j < n; ++j)
    if (j != t) sum += std::exp(static_cast<double>(z[j]) - mx);
  return static_cast<double>(z[t]) - (mx + std::log(sum));
}

// 1 - p_t as the sum of the other probabilities (no cancellation when p_t is near 1).
double rest(const std::vector<double>& p, size_t t) {
  double r = 0;
  for (size_t j = 0; j < p.size(); ++j)
    if (j != t) r += p[j];
  return std::max(r, 1e-300);
}

bool same_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}


}  // namespace

struct Explainer::Impl {
  std::unique_ptr<model::TrainableDistilBert> model;
  std::unique_ptr<text::Tokenizer> tokenizer;
  std::vector<std::string> labels;
  size_t max_length = 512;
  mutable std::mutex mutex;

  size_t label_index(const std::string& name) const {
    for (size_t i = 0; i < labels.size(); ++i)
      if (labels[i] == name) return i;
    for (size_t i = 0; i < labels.size(); ++i)
      if (same_ignoring_case(labels[i], name)) return i;
    std::string known;
    for (const auto& l : labels) known += (known.empty() ? "" : ", ") + l;
    fail(ErrorCode::kInvalidArgument, "unknown label '" + name + "'; the model's labels are " + known);
  }

  // Log-odds of `target` for each sequence, in batches of at most max_tokens tokens.
  std::vector<double> evidence(const std::vector<std::vector<int32_t>>& seqs, size_t target,
                                    size_t max_tokens) const {
    std::vector<double> out;
    const size_t L = labels.size();
    for (size_t pos = 0; pos < seqs.size();) {
      const size_t end = pack_within(pos, seqs.size(), max_tokens, [&](size_t i) { return seqs[i].size(); });
      std::vector<std::vector<int32_t>> batch(seqs.begin() + static_cast<std::ptrdiff_t>(pos),
                                              seqs.begin() + static_cast<std::ptrdiff_t>(end));
      pos = end;
      std::vector<float> lg = model->logits(batch);
      for (size_t b = 0; b < batch.size(); ++b) out.push_back(log_odds(lg.data() + b * L, L, target));
    }
    return out;
  }

  // Integrated Gradients of the log-odds of `target` along the straight line from the baseline's embedding
  // output to the input's, Gauss-Legendre nodes; returns per-token attributions.
  std::vector<double> integrated_gradients(const std::vector<int32_t>& ids, const std::vector<int32_t>& base_ids,
                                           size_t target, int steps, size_t max_tokens) const {
    const int64_t D = model->config().dim;
    const size_t T = ids.size(), L = labels.size();
    std::vector<float> x, b;
    model->embedding_output({ids}, x);
    model->embedding_output({base_ids}, b);
    std::vector<double> total(T * static_cast<size_t>(D), 0.0);
    const auto nodes = explain::gauss_legendre(steps);
    const size_t per_pass = std::max<size_t>(1, max_tokens / T);
    for (size_t first = 0; first < nodes.size(); first += per_pass) {
      const size_t n = std::min(per_pass, nodes.size() - first);
      model::TrainBatch batch;
      batch.sequences.assign(n, ids);
      batch.labels.assign(n, static_cast<int32_t>(target));
      std::vector<float> emb(n * x.size()), grad, lg;
      for (size_t k = 0; k < n; ++k) {
        const float a = static_cast<float>(nodes[first + k].alpha);
        float* e = emb.data() + k * x.size();
        for (size_t i = 0; i < x.size(); ++i) e[i] = b[i] + a * (x[i] - b[i]);
      }
      model->embedding_gradient(batch, &emb, grad, &lg);
      for (size_t k = 0; k < n; ++k) {
        // grad is d(mean cross-entropy)/d(emb) = -(1/n) d(log p)/d(emb), and
        // d log(p / (1 - p)) = d(log p) / (1 - p).
        const double scale = -static_cast<double>(n) * nodes[first + k].weight / rest(softmax(lg.data() + k * L, L), target);
        const float* g = grad.data() + k * x.size();
        for (size_t i = 0; i < x.size(); ++i) total[i] += scale * g[i];
      }
    }
    std::vector<double> attr(T, 0.0);
    for (size_t t = 0; t < T; ++t)
      for (int64_t d = 0; d < D; ++d) {
        const size_t i = t * static_cast<size_t>(D) + static_cast<size_t>(d);
        attr[t] += (static_cast<double>(x[i]) - b[i]) * total[i];
      }
    return attr;
  }

  // Gradient of the log-odds of `target` with respect to the embedding output, times that output.
  std::vector<double> gradient_times_input(const std::vector<int32_t>& ids, size_t target) const {
    const int64_t D = model->config().dim;
    const size_t T = ids.size();
    std::vector<float> x, grad, lg;
    model->embedding_output({ids}, x);
    model::TrainBatch batch;
    batch.sequences = {ids};
    batch.labels = {static_cast<int32_t>(target)};
    model->embedding_gradient(batch, nullptr, grad, &lg);
    const double scale = -1.0 / rest(softmax(lg.data(), labels.size()), target);
    std::vector<double> attr(T, 0.0);
    for (size_t t = 0; t < T; ++t)
      for (int64_t d = 0; d < D; ++d) {
        const size_t i = t * static_cast<size_t>(D) + static_cast<size_t>(d);
        attr[t] += static_cast<double>(x[i]) * scale * grad[i];
      }
    return attr;
  }
};

Explainer::Explainer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Explainer::~Explainer() = default;

std::unique_ptr<Explainer> Explainer::load(const std::string& dir, const LoadOptions& options) {
  kernels::set_num_threads(resolve_threads(options.threads));
  auto impl = std::make_unique<Impl>();
  {
    auto file = io::SafetensorsFile::open(dir + "/model.safetensors");
    if (!file->find("classifier.weight") || !file->find("pre_classifier.weight"))
      fail(ErrorCode::kUnsupported, dir + ": the checkpoint has no sequence-classification head (pre_classifier, "
                                          "classifier); fine-tune it first with `senti train`");
  }
  impl->model = model::TrainableDistilBert::from_checkpoint(dir, {}, 0);
  impl->model->release_gradients();
  const auto& c = impl->model->config();
  if (c.num_labels() < 2 || c.problem_type == "multi_label_classification" || c.problem_type == "regression")
    fail(ErrorCode::kUnsupported, dir + ": explanations need a single-label classifier with at least two labels "
                                        "(softmax scores); this one has " + std::to_string(c.num_labels()) +
                                        " label(s), problem_type '" + c.problem_type + "'");
  impl->tokenizer = std::make_unique<text::Tokenizer>(text::Tokenizer::from_path(dir));
  if (static_cast<int64_t>(impl->tokenizer->vocab().size()) != c.vocab_size)
    fail(ErrorCode::kParse, dir + ": the tokenizer has " + std::to_string(impl->tokenizer->vocab().size()) +
                                " tokens but config.json says vocab_size " + std::to_string(c.vocab_size));
  impl->labels = c.id2label;
  impl->max_length = static_cast<size_t>(c.max_position_embeddings);
  if (size_t m = impl->tokenizer->config().model_max_length; m > 0) impl->max_length = std::min(impl->max_length, m);
  return std::unique_ptr<Explainer>(new Explainer(std::move(impl)));
}

const std::vector<std::string>& Explainer::labels() const { return impl_->labels; }

Explanation Explainer::explain(std::string_view text, const ExplainOptions& o) const {
  const Impl& s = *impl_;
  if (o.steps < 1 || o.steps > 1024) fail(ErrorCode::kInvalidArgument, "steps must be 1 .. 1024");
  if (o.max_steps > 1024) fail(ErrorCode::kInvalidArgument, "max_steps must be at most 1024");
  if (!(o.tolerance >= 0)) fail(ErrorCode::kInvalidArgument, "tolerance must be 0 or more");
  if (o.window != 0) fail(ErrorCode::kInvalidArgument, "an explanation reads one window of the text: a sliding window is not supported");
  std::lock_guard<std::mutex> lock(s.mutex);
  text::EncodeOptions eo;
  eo.truncation.max_length = o.max_length ? std::min(o.max_length, s.max_length) : s.max_length;
  eo.truncation.strategy = model::to_text(o.truncation);
  eo.truncation.head_tokens = o.head_tokens;
  const text::Encoding e = s.tokenizer->encode(text, eo);
  const std::vector<int32_t> ids(e.ids.begin(), e.ids.end());
  const size_t T = ids.size(), L = s.labels.size();
  const size_t max_tokens = std::max<size_t>(o.max_batch_tokens, T);

  Explanation out;
  out.method = o.method;
  out.truncated = e.num_truncated;
  std::vector<float> lg = s.model->logits({ids});
  const std::vector<double> p = softmax(lg.data(), L);
  const size_t predicted = static_cast<size_t>(std::max_element(p.begin(), p.end()) - p.begin());
  const size_t target = o.label.empty() ? predicted : s.label_index(o.label);
  out.predicted = s.labels[predicted];
  out.label = s.labels[target];
  out.score = static_cast<float>(p[target]);
  out.log_odds = log_odds(lg.data(), L, target);

  std::vector<std::string> pieces(T);
  for (size_t i = 0; i < T; ++i) pieces[i] = s.tokenizer->id_to_token(ids[i]);
  const auto words = explain::group_words(e, pieces, s.tokenizer->config().wordpiece.continuing_subword_prefix);

  std::vector<int32_t> base = ids;  // no words read: every content token [PAD]
  for (size_t i = 0; i < T; ++i)
    if (!e.special_tokens_mask[i]) base[i] = s.tokenizer->pad_id();
  out.baseline_log_odds = s.evidence({base}, target, max_tokens)[0];
  out.baseline_score = static_cast<float>(1.0 / (1.0 + std::exp(-out.baseline_log_odds)));

  std::vector<double> attr(T, 0.0);
  switch (o.method) {
    case ExplainMethod::kIntegratedGradients: {
      const double diff = out.log_odds - out.baseline_log_odds;
      for (int steps = o.steps;; steps *= 2) {
        attr = s.integrated_gradients(ids, base, target, steps, max_tokens);
        out.steps = steps;
        double sum = 0;
        for (double a : attr) sum += a;
        out.delta = sum - diff;
        const bool done = o.tolerance <= 0 || std::abs(out.delta) <= o.tolerance * std::abs(diff);
        if (done || steps * 2 > o.max_steps) break;
      }
      break;
    }
    case ExplainMethod::kGradientTimesInput: attr = s.gradient_times_input(ids, target); break;
    case ExplainMethod::kOcclusion: {
      // Leave one word out; the drop in log-odds is the word's score, shared evenly by its pieces.
      std::vector<std::vector<int32_t>> variants;
      for (const auto& w : words) {
        std::vector<int32_t> v(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(w.first));
        v.insert(v.end(), ids.begin() + static_cast<std::ptrdiff_t>(w.last), ids.end());
        variants.push_back(std::move(v));
      }
      const std::vector<double> without = s.evidence(variants, target, max_tokens);
      for (size_t k = 0; k < words.size(); ++k) {
        const double share = (out.log_odds - without[k]) / static_cast<double>(words[k].last - words[k].first);
        for (size_t i = words[k].first; i < words[k].last; ++i) attr[i] = share;
      }
      break;
    }
  }

  for (size_t i = 0; i < T; ++i)
    if (!e.special_tokens_mask[i])
      out.tokens.push_back({pieces[i], e.offsets[i].first, e.offsets[i].second, static_cast<float>(attr[i])});
  for (const auto& w : words) {
    double sum = 0;
    for (size_t i = w.first; i < w.last; ++i) sum += attr[i];
    out.words.push_back({std::string(text.substr(w.byte_begin, w.byte_end - w.byte_begin)), w.cp_begin, w.cp_end,
                         static_cast<float>(sum), w.byte_begin, w.byte_end});
  }
  return out;
}

}  // namespace senti
