#include "model/trainable.h"

#include <cmath>
#include <cstring>
#include <random>

#include "io/safetensors.h"
#include "kernels/dense.h"
#include "kernels/ops.h"
#include "model/distilbert.h"
#include "util/error.h"
#include "util/file.h"

namespace senti::model {

using kernels::DenseShape;

namespace {
constexpr float kLayerNormEps = 1e-12f;  // DistilBERT's nn.LayerNorm(eps=1e-12)

uint64_t site_seed(uint64_t seed, int64_t layer, int site) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(layer * 8 + site + 17);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

Tensor normal(std::vector<int64_t> shape, double stddev, std::mt19937_64& rng) {
  Tensor t(std::move(shape));
  std::normal_distribution<float> d(0.f, static_cast<float>(stddev));
  float* p = t.mutable_data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = d(rng);
  return t;
}

Tensor filled(std::vector<int64_t> shape, float v) {
  Tensor t(std::move(shape));
  float* p = t.mutable_data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = v;
  return t;
}

void activation_forward(Activation a, float* x, int64_t n) {
  if (a == Activation::kGeluErf) kernels::gelu_erf(x, n);
  else if (a == Activation::kGeluTanh) kernels::gelu_tanh(x, n);
  else kernels::relu(x, n);
}

void activation_backward(Activation a, const float* x, const float* dy, float* dx, int64_t n) {
  if (a == Activation::kGeluErf) kernels::gelu_erf_backward(x, dy, dx, n);
  else if (a == Activation::kGeluTanh) kernels::gelu_tanh_backward(x, dy, dx, n);
  else kernels::relu_backward(x, dy, dx, n);
}

// What one layer's forward keeps for its backward pass, (tokens, ·) each.
struct LayerCache {
  std::vector<float> x_in, qkv, probs, ctx, sa_pre, sa_out, mean1, rstd1, h1_pre, out_pre, mean2, rstd2;
};
}  // namespace

TrainableDistilBert::TrainableDistilBert(DistilBertConfig config, Task task) : config_(std::move(config)), task_(task) {
  frozen_layers_.assign(static_cast<size_t>(config_.n_layers), false);
}

void TrainableDistilBert::add_param(const std::string& name, Tensor value, bool decay) {
  Param p;
  p.name = name;
  p.grad = Tensor(value.shape());
  p.value = std::move(value);
  p.value.mutable_data();  // own the storage: it will change
  p.decay = decay;
  params_.push_back(std::move(p));
}

Param& TrainableDistilBert::param(const std::string& name) {
  for (auto& p : params_)
    if (p.name == name) return p;
  fail(ErrorCode::kNotFound, "no parameter '" + name + "'");
}

void TrainableDistilBert::index_params() {
  auto idx = [&](const std::string& n) {
    for (size_t i = 0; i < params_.size(); ++i)
      if (params_[i].name == n) return i;
    fail(ErrorCode::kInternal, "missing parameter " + n);
  };
  const std::string p = "distilbert.";
  word_ = idx(p + "embeddings.word_embeddings.weight");
  pos_ = idx(p + "embeddings.position_embeddings.weight");
  emb_ln_w_ = idx(p + "embeddings.LayerNorm.weight");
  emb_ln_b_ = idx(p + "embeddings.LayerNorm.bias");
  layer_idx_.clear();
  for (int64_t l = 0; l < config_.n_layers; ++l) {
    const std::string s = p + "transformer.layer." + std::to_string(l) + ".";
    layer_idx_.push_back({idx(s + "attention.q_lin.weight"), idx(s + "attention.q_lin.bias"),
                          idx(s + "attention.k_lin.weight"), idx(s + "attention.k_lin.bias"),
                          idx(s + "attention.v_lin.weight"), idx(s + "attention.v_lin.bias"),
                          idx(s + "attention.out_lin.weight"), idx(s + "attention.out_lin.bias"),
                          idx(s + "sa_layer_norm.weight"), idx(s + "sa_layer_norm.bias"), idx(s + "ffn.lin1.weight"),
                          idx(s + "ffn.lin1.bias"), idx(s + "ffn.lin2.weight"), idx(s + "ffn.lin2.bias"),
                          idx(s + "output_layer_norm.weight"), idx(s + "output_layer_norm.bias")});
  }
  if (task_ == Task::kMaskedLM) {
    vt_w_ = idx("vocab_transform.weight");
    vt_b_ = idx("vocab_transform.bias");
    vln_w_ = idx("vocab_layer_norm.weight");
    vln_b_ = idx("vocab_layer_norm.bias");
    vproj_b_ = idx("vocab_projector.bias");
  } else {
    pre_w_ = idx("pre_classifier.weight");
    pre_b_ = idx("pre_classifier.bias");
    cls_w_ = idx("classifier.weight");
    cls_b_ = idx("classifier.bias");
  }
}

namespace {
// Parameter names and shapes in Hugging Face's order, with whether weight decay applies.
struct Spec {
  std::string name;
  std::vector<int64_t> shape;
  bool decay;
  enum Init { kNormal, kZero, kOne } init;
};

// The parameters of a task's head (top-level names, as transformers stores them).
std::vector<Spec> head_specs(const DistilBertConfig& c, Task task) {
  const int64_t D = c.dim;
  if (task == Task::kMaskedLM)
    return {{"vocab_transform.weight", {D, D}, true, Spec::kNormal},
            {"vocab_transform.bias", {D}, false, Spec::kZero},
            {"vocab_layer_norm.weight", {D}, false, Spec::kOne},
            {"vocab_layer_norm.bias", {D}, false, Spec::kZero},
            {"vocab_projector.bias", {c.vocab_size}, false, Spec::kZero}};
  return {{"pre_classifier.weight", {D, D}, true, Spec::kNormal},
          {"pre_classifier.bias", {D}, false, Spec::kZero},
          {"classifier.weight", {c.num_labels(), D}, true, Spec::kNormal},
          {"classifier.bias", {c.num_labels()}, false, Spec::kZero}};
}

std::vector<Spec> specs(const DistilBertConfig& c, const std::string& p, Task task) {
  const int64_t D = c.dim, H = c.hidden_dim;
  std::vector<Spec> s = {{p + "embeddings.word_embeddings.weight", {c.vocab_size, D}, true, Spec::kNormal},
                         {p + "embeddings.position_embeddings.weight", {c.max_position_embeddings, D}, true, Spec::kNormal},
                         {p + "embeddings.LayerNorm.weight", {D}, false, Spec::kOne},
                         {p + "embeddings.LayerNorm.bias", {D}, false, Spec::kZero}};
  for (int64_t l = 0; l < c.n_layers; ++l) {
    const std::string q = p + "transformer.layer." + std::to_string(l) + ".";
    for (const char* n : {"q_lin", "k_lin", "v_lin", "out_lin"}) {
      s.push_back({q + "attention." + n + ".weight", {D, D}, true, Spec::kNormal});
      s.push_back({q + "attention." + n + ".bias", {D}, false, Spec::kZero});
    }
    s.push_back({q + "sa_layer_norm.weight", {D}, false, Spec::kOne});
    s.push_back({q + "sa_layer_norm.bias", {D}, false, Spec::kZero});
    s.push_back({q + "ffn.lin1.weight", {H, D}, true, Spec::kNormal});
    s.push_back({q + "ffn.lin1.bias", {H}, false, Spec::kZero});
    s.push_back({q + "ffn.lin2.weight", {D, H}, true, Spec::kNormal});
    s.push_back({q + "ffn.lin2.bias", {D}, false, Spec::kZero});
    s.push_back({q + "output_layer_norm.weight", {D}, false, Spec::kOne});
    s.push_back({q + "output_layer_norm.bias", {D}, false, Spec::kZero});
  }
  for (Spec& h : head_specs(c, task)) s.push_back(std::move(h));
  return s;
}

Tensor init_tensor(const Spec& sp, double range, std::mt19937_64& rng) {
  if (sp.init == Spec::kNormal) return normal(sp.shape, range, rng);
  return filled(sp.shape, sp.init == Spec::kOne ? 1.f : 0.f);
}
}  // namespace

std::unique_ptr<TrainableDistilBert> TrainableDistilBert::from_config(const DistilBertConfig& config, uint64_t seed,
                                                                     Task task) {
  std::unique_ptr<TrainableDistilBert> m(new TrainableDistilBert(config, task));
  std::mt19937_64 rng(seed);
  for (const Spec& sp : specs(config, "distilbert.", task)) {
    Tensor t = init_tensor(sp, config.initializer_range, rng);
    if (sp.name.find("word_embeddings") != std::string::npos && config.pad_token_id < config.vocab_size)
      std::memset(t.mutable_data() + config.pad_token_id * config.dim, 0, sizeof(float) * config.dim);  // padding_idx
    m->add_param(sp.name, std::move(t), sp.decay);
  }
  m->index_params();
  return m;
}

std::unique_ptr<TrainableDistilBert> TrainableDistilBert::from_checkpoint(const std::string& dir,
                                                                          const std::vector<std::string>& labels,
                                                                          uint64_t seed) {
  DistilBertConfig config = DistilBertConfig::from_file(dir + "/config.json");
  auto file = io::SafetensorsFile::open(dir + "/model.safetensors");
  const std::string prefix = encoder_prefix(*file);
  // Keep the stored head only when it classifies into the same labels.
  const int64_t num_labels = labels.empty() ? config.num_labels() : static_cast<int64_t>(labels.size());
  bool head_fits = file->find("classifier.weight") && file->find("pre_classifier.weight") &&
                   file->find("classifier.weight")->shape == std::vector<int64_t>{num_labels, config.dim};
  if (!labels.empty()) {
    if (config.id2label != labels) head_fits = false;
    config.id2label = labels;
  }
  std::unique_ptr<TrainableDistilBert> m(new TrainableDistilBert(config, Task::kSequenceClassification));
  std::mt19937_64 rng(seed);
  for (const Spec& sp : specs(config, "distilbert.", Task::kSequenceClassification)) {
    const bool head = sp.name.rfind("pre_classifier.", 0) == 0 || sp.name.rfind("classifier.", 0) == 0;
    std::string stored = head ? sp.name : prefix + sp.name.substr(std::string("distilbert.").size());
    Tensor t = (head && !head_fits) ? init_tensor(sp, config.initializer_range, rng) : file->load_f32(stored, sp.shape);
    m->add_param(sp.name, std::move(t), sp.decay);
  }
  m->config_.architectures = {"DistilBertForSequenceClassification"};
  m->index_params();
  return m;
}

std::unique_ptr<TrainableDistilBert> TrainableDistilBert::from_checkpoint_mlm(const std::string& dir, uint64_t seed) {
  DistilBertConfig config = DistilBertConfig::from_file(dir + "/config.json");
  auto file = io::SafetensorsFile::open(dir + "/model.safetensors");
  const std::string prefix = encoder_prefix(*file);
  const bool head_stored = file->find("vocab_transform.weight") != nullptr;
  std::unique_ptr<TrainableDistilBert> m(new TrainableDistilBert(config, Task::kMaskedLM));
  std::mt19937_64 rng(seed);
  for (const Spec& sp : specs(config, "distilbert.", Task::kMaskedLM)) {
    const bool head = sp.name.rfind("distilbert.", 0) != 0;
    std::string stored = head ? sp.name : prefix + sp.name.substr(std::string("distilbert.").size());
    Tensor t = (head && !head_stored) ? init_tensor(sp, config.initializer_range, rng) : file->load_f32(stored, sp.shape);
    m->add_param(sp.name, std::move(t), sp.decay);
  }
  m->config_.architectures = {"DistilBertForMaskedLM"};
  m->index_params();
  return m;
}

void TrainableDistilBert::set_frozen(bool embeddings, const std::vector<bool>& layers) {
  if (layers.size() != frozen_layers_.size())
    fail(ErrorCode::kInvalidArgument, "freeze policy names " + std::to_string(layers.size()) + " layers; the model has " +
                                          std::to_string(frozen_layers_.size()));
  frozen_embeddings_ = embeddings;
  frozen_layers_ = layers;
  for (size_t i : {word_, pos_, emb_ln_w_, emb_ln_b_}) params_[i].trainable = !embeddings;
  for (size_t l = 0; l < layers.size(); ++l) {
    const LayerIdx& x = layer_idx_[l];
    for (size_t i : {x.q_w, x.q_b, x.k_w, x.k_b, x.v_w, x.v_b, x.o_w, x.o_b, x.ln1_w, x.ln1_b, x.l1_w, x.l1_b, x.l2_w,
                     x.l2_b, x.ln2_w, x.ln2_b})
      params_[i].trainable = !layers[l];
  }
}

int64_t TrainableDistilBert::frozen_prefix() const {
  if (!frozen_embeddings_) return 0;
  int64_t k = 0;
  while (k < config_.n_layers && frozen_layers_[static_cast<size_t>(k)]) ++k;
  return k;
}

void TrainableDistilBert::zero_grad() {
  for (auto& p : params_)
    if (p.trainable) std::memset(p.grad.mutable_data(), 0, sizeof(float) * static_cast<size_t>(p.grad.numel()));
}

void TrainableDistilBert::release_gradients() {
  set_frozen(true, std::vector<bool>(static_cast<size_t>(config_.n_layers), true));
  for (auto& p : params_) {
    p.trainable = false;  // the heads too
    p.grad = Tensor();
  }
}

void TrainableDistilBert::set_dropout(double hidden, double attention, double classifier) {
  config_.dropout = hidden;
  config_.attention_dropout = attention;
  config_.seq_classif_dropout = classifier;
}

void TrainableDistilBert::frozen_prefix_forward(const std::vector<std::vector<int32_t>>& sequences,
                                                std::vector<float>& out) {
  TrainBatch b{sequences, {}, {}};
  run(b, false, 0, nullptr, nullptr, frozen_prefix(), &out);
}

std::vector<float> TrainableDistilBert::logits(const std::vector<std::vector<int32_t>>& sequences) {
  if (task_ != Task::kSequenceClassification) fail(ErrorCode::kInternal, "logits on a model without a classifier");
  TrainBatch b{sequences, {}, {}};
  std::vector<float> out;
  run(b, false, 0, nullptr, &out);
  return out;
}

double TrainableDistilBert::forward_backward(const TrainBatch& batch, uint64_t seed, const std::vector<float>* prefix) {
  if (task_ == Task::kSequenceClassification && batch.labels.size() != batch.sequences.size())
    fail(ErrorCode::kInternal, "labels and sequences differ in count");
  return run(batch, true, seed, prefix, nullptr);
}

double TrainableDistilBert::embedding_gradient(const TrainBatch& batch, const std::vector<float>* embeddings,
                                               std::vector<float>& d_embeddings, std::vector<float>* logits_out) {
  if (task_ != Task::kSequenceClassification) fail(ErrorCode::kInternal, "embedding_gradient needs a classifier");
  if (batch.labels.size() != batch.sequences.size()) fail(ErrorCode::kInternal, "labels and sequences differ in count");
  return run(batch, false, 0, embeddings, logits_out, -1, nullptr, &d_embeddings);
}

void TrainableDistilBert::embedding_output(const std::vector<std::vector<int32_t>>& sequences, std::vector<float>& out) {
  TrainBatch b{sequences, {}, {}};
  run(b, false, 0, nullptr, nullptr, 0, &out);
}

double TrainableDistilBert::mlm_loss(const TrainBatch& batch) {
  if (task_ != Task::kMaskedLM) fail(ErrorCode::kInternal, "mlm_loss on a model without a masked-LM head");
  return run(batch, false, 0, nullptr, nullptr);
}

double TrainableDistilBert::run(const TrainBatch& batch, bool train, uint64_t seed, const std::vector<float>* prefix,
                                std::vector<float>* logits_out, int64_t stop_before, std::vector<float>* hidden_out,
                                std::vector<float>* input_grad) {
  // Modes: training (dropout, parameter gradients); evaluation (forward only); and input
  // gradients (`input_grad`: evaluation-mode forward, then backward to the embedding output
  // only — no dropout, no parameter gradients).
  const bool grad_mode = input_grad != nullptr;
  const bool backward = train || grad_mode;
  const bool dropout_on = train && !grad_mode;
  const DistilBertConfig& c = config_;
  const int64_t D = c.dim, H = c.hidden_dim, L = task_ == Task::kMaskedLM ? 0 : c.num_labels(), NL = c.n_layers;
  const float p_drop = static_cast<float>(c.dropout), p_attn = static_cast<float>(c.attention_dropout);
  auto W = [&](size_t i) { return params_[i].value.data(); };
  auto G = [&](size_t i) { return params_[i].trainable && !grad_mode ? params_[i].grad.mutable_data() : nullptr; };

  // Pack the batch.
  std::vector<int32_t> ids, positions;
  std::vector<kernels::SequenceSpan> seqs;
  for (const auto& s : batch.sequences) {
    if (s.empty() || static_cast<int64_t>(s.size()) > c.max_position_embeddings)
      fail(ErrorCode::kInvalidArgument, "a training sequence has " + std::to_string(s.size()) +
                                            " tokens; expected 1 .. " + std::to_string(c.max_position_embeddings));
    seqs.push_back({static_cast<int64_t>(ids.size()), static_cast<int64_t>(s.size())});
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] < 0 || s[i] >= c.vocab_size) fail(ErrorCode::kInvalidArgument, "token id outside the vocabulary");
      ids.push_back(s[i]);
      positions.push_back(static_cast<int32_t>(i));
    }
  }
  const int64_t T = static_cast<int64_t>(ids.size()), B = static_cast<int64_t>(seqs.size());

  // Which layers need their activations kept: trainable ones, and frozen ones with something
  // trainable below them (their input gradient is needed).
  const int64_t start = prefix && !grad_mode ? frozen_prefix() : 0;
  std::vector<bool> keep(static_cast<size_t>(NL), false);
  bool trainable_below = (train && !frozen_embeddings_) || grad_mode;
  for (int64_t l = 0; l < NL; ++l) {
    keep[l] = backward && (!frozen_layers_[l] || trainable_below);
    if (train && !frozen_layers_[l]) trainable_below = true;
  }

  // Embeddings.
  std::vector<float> x(static_cast<size_t>(T * D)), emb_pre, emb_mean, emb_rstd;
  if (prefix) {
    if (static_cast<int64_t>(prefix->size()) != T * D) fail(ErrorCode::kInternal, "cached prefix has the wrong size");
    std::copy(prefix->begin(), prefix->end(), x.begin());
  } else {
    emb_pre.resize(static_cast<size_t>(T * D));
    kernels::embed_tokens(ids.data(), positions.data(), T, W(word_), W(pos_), D, emb_pre.data());
    if (dropout_on && !frozen_embeddings_) {
      emb_mean.resize(T);
      emb_rstd.resize(T);
      kernels::layernorm_forward_train(emb_pre.data(), W(emb_ln_w_), W(emb_ln_b_), T, D, kLayerNormEps, x.data(),
                                       emb_mean.data(), emb_rstd.data());
      kernels::dropout_forward(x.data(), T * D, p_drop, site_seed(seed, -1, 0));
    } else {
      kernels::layernorm_forward(emb_pre.data(), W(emb_ln_w_), W(emb_ln_b_), T, D, kLayerNormEps, x.data());
    }
  }

  // Transformer layers.
  std::vector<LayerCache> caches(static_cast<size_t>(NL));
  std::vector<float> qkv(static_cast<size_t>(T * 3 * D)), ctx(static_cast<size_t>(T * D)),
      h1(static_cast<size_t>(T * H)), tmp(static_cast<size_t>(T * D)), mean(T), rstd(T);
  int64_t probs_total = 0;
  kernels::attention_prob_offsets(seqs, c.n_heads, &probs_total);
  for (int64_t l = start; l < NL; ++l) {
    if (l == stop_before) {
      *hidden_out = std::move(x);
      return 0;
    }
    const LayerIdx& w = layer_idx_[l];
    const bool k = keep[l];
    const bool drop = dropout_on && !frozen_layers_[l];
    LayerCache& cc = caches[l];
    if (k) cc.x_in = x;
    const DenseShape qs{T, D, D, 0, 3 * D};
    kernels::dense_forward(x.data(), W(w.q_w), W(w.q_b), qs, qkv.data());
    kernels::dense_forward(x.data(), W(w.k_w), W(w.k_b), qs, qkv.data() + D);
    kernels::dense_forward(x.data(), W(w.v_w), W(w.v_b), qs, qkv.data() + 2 * D);
    if (k) cc.probs.resize(static_cast<size_t>(probs_total));
    kernels::attention_forward(qkv.data(), seqs, D, c.n_heads, ctx.data(), k ? cc.probs.data() : nullptr,
                               drop ? p_attn : 0.f, site_seed(seed, l, 1));
    kernels::dense_forward(ctx.data(), W(w.o_w), W(w.o_b), {T, D, D}, tmp.data());
    for (int64_t i = 0; i < T * D; ++i) tmp[i] += x[i];  // residual
    std::vector<float> sa_out(static_cast<size_t>(T * D));
    if (k) {
      cc.qkv = qkv;
      cc.ctx = ctx;
      cc.sa_pre = tmp;
      cc.mean1.resize(T);
      cc.rstd1.resize(T);
      kernels::layernorm_forward_train(tmp.data(), W(w.ln1_w), W(w.ln1_b), T, D, kLayerNormEps, sa_out.data(),
                                       cc.mean1.data(), cc.rstd1.data());
    } else {
      kernels::layernorm_forward(tmp.data(), W(w.ln1_w), W(w.ln1_b), T, D, kLayerNormEps, sa_out.data());
    }
    kernels::dense_forward(sa_out.data(), W(w.l1_w), W(w.l1_b), {T, D, H}, h1.data());
    if (k) cc.h1_pre = h1;
    activation_forward(c.activation, h1.data(), T * H);
    kernels::dense_forward(h1.data(), W(w.l2_w), W(w.l2_b), {T, H, D}, tmp.data());
    if (drop) kernels::dropout_forward(tmp.data(), T * D, p_drop, site_seed(seed, l, 2));
    for (int64_t i = 0; i < T * D; ++i) tmp[i] += sa_out[i];
    if (k) {
      cc.sa_out = std::move(sa_out);
      cc.out_pre = tmp;
      cc.mean2.resize(T);
      cc.rstd2.resize(T);
      kernels::layernorm_forward_train(tmp.data(), W(w.ln2_w), W(w.ln2_b), T, D, kLayerNormEps, x.data(),
                                       cc.mean2.data(), cc.rstd2.data());
    } else {
      kernels::layernorm_forward(tmp.data(), W(w.ln2_w), W(w.ln2_b), T, D, kLayerNormEps, x.data());
    }
  }
  if (stop_before == NL) {
    *hidden_out = std::move(x);
    return 0;
  }

  std::vector<float> dx(static_cast<size_t>(T * D), 0.f);  // d(loss)/d(last layer's output)
  double loss = 0;
  if (task_ == Task::kMaskedLM) {
    // Masked-LM head on the labelled positions only: vocab_transform -> activation ->
    // vocab_layer_norm -> vocab_projector (the word embeddings, tied) + bias.
    if (batch.mlm_labels.size() != batch.sequences.size()) fail(ErrorCode::kInternal, "mlm_labels and sequences differ in count");
    std::vector<int64_t> rows;
    std::vector<int32_t> targets;
    for (int64_t b = 0; b < B; ++b) {
      const auto& lab = batch.mlm_labels[b];
      if (static_cast<int64_t>(lab.size()) != seqs[b].length) fail(ErrorCode::kInternal, "mlm_labels length differs from its sequence");
      for (int64_t i = 0; i < seqs[b].length; ++i) {
        if (lab[i] == TrainBatch::kIgnore) continue;
        if (lab[i] < 0 || lab[i] >= c.vocab_size) fail(ErrorCode::kInvalidArgument, "masked-LM label outside the vocabulary");
        rows.push_back(seqs[b].begin + i);
        targets.push_back(lab[i]);
      }
    }
    const int64_t M = static_cast<int64_t>(rows.size()), V = c.vocab_size;
    if (M == 0) return 0;
    std::vector<float> sel(static_cast<size_t>(M * D)), vt(static_cast<size_t>(M * D)), g(static_cast<size_t>(M * D)),
        ln(static_cast<size_t>(M * D)), lmean(M), lrstd(M), mlm_logits(static_cast<size_t>(M * V));
    for (int64_t r = 0; r < M; ++r) std::copy_n(x.data() + rows[r] * D, D, sel.data() + r * D);
    kernels::dense_forward(sel.data(), W(vt_w_), W(vt_b_), {M, D, D}, vt.data());
    g = vt;
    activation_forward(c.activation, g.data(), M * D);
    kernels::layernorm_forward_train(g.data(), W(vln_w_), W(vln_b_), M, D, kLayerNormEps, ln.data(), lmean.data(),
                                     lrstd.data());
    kernels::dense_forward(ln.data(), W(word_), W(vproj_b_), {M, D, V}, mlm_logits.data());
    std::vector<float> dlogits(static_cast<size_t>(M * V));
    loss = kernels::cross_entropy_forward_backward(mlm_logits.data(), targets.data(), M, V, dlogits.data());
    if (!backward) return loss;
    std::vector<float> dln(static_cast<size_t>(M * D)), dg(static_cast<size_t>(M * D)), dsel(static_cast<size_t>(M * D));
    kernels::dense_backward(dlogits.data(), ln.data(), W(word_), {M, D, V}, dln.data(), false, G(word_), G(vproj_b_));
    kernels::layernorm_backward(dln.data(), g.data(), lmean.data(), lrstd.data(), W(vln_w_), M, D, dg.data(), false,
                                G(vln_w_), G(vln_b_));
    activation_backward(c.activation, vt.data(), dg.data(), dg.data(), M * D);
    kernels::dense_backward(dg.data(), sel.data(), W(vt_w_), {M, D, D}, dsel.data(), false, G(vt_w_), G(vt_b_));
    for (int64_t r = 0; r < M; ++r)
      for (int64_t d = 0; d < D; ++d) dx[rows[r] * D + d] += dsel[r * D + d];
  } else {
    // Classification head: [CLS] -> pre_classifier -> ReLU -> dropout -> classifier.
    std::vector<float> cls(static_cast<size_t>(B * D)), pre(static_cast<size_t>(B * D)), act(static_cast<size_t>(B * D)),
        logits(static_cast<size_t>(B * L));
    for (int64_t b = 0; b < B; ++b) std::copy_n(x.data() + seqs[b].begin * D, D, cls.data() + b * D);
    kernels::dense_forward(cls.data(), W(pre_w_), W(pre_b_), {B, D, D}, pre.data());
    act = pre;
    kernels::relu(act.data(), B * D);
    if (dropout_on)
      kernels::dropout_forward(act.data(), B * D, static_cast<float>(c.seq_classif_dropout), site_seed(seed, NL, 3));
    kernels::dense_forward(act.data(), W(cls_w_), W(cls_b_), {B, D, L}, logits.data());
    if (logits_out) *logits_out = logits;
    if (!backward) return 0;
    std::vector<float> dlogits(static_cast<size_t>(B * L));
    loss = kernels::cross_entropy_forward_backward(logits.data(), batch.labels.data(), B, L, dlogits.data());
    std::vector<float> dact(static_cast<size_t>(B * D)), dcls(static_cast<size_t>(B * D));
    kernels::dense_backward(dlogits.data(), act.data(), W(cls_w_), {B, D, L}, dact.data(), false, G(cls_w_), G(cls_b_));
    if (dropout_on)
      kernels::dropout_backward(dact.data(), B * D, static_cast<float>(c.seq_classif_dropout), site_seed(seed, NL, 3));
    kernels::relu_backward(pre.data(), dact.data(), dact.data(), B * D);
    kernels::dense_backward(dact.data(), cls.data(), W(pre_w_), {B, D, D}, dcls.data(), false, G(pre_w_), G(pre_b_));
    for (int64_t b = 0; b < B; ++b) std::copy_n(dcls.data() + b * D, D, dx.data() + seqs[b].begin * D);
  }

  std::vector<float> dtmp(static_cast<size_t>(T * D)), dsa(static_cast<size_t>(T * D)), dh(static_cast<size_t>(T * H)),
      dctx(static_cast<size_t>(T * D)), dqkv(static_cast<size_t>(T * 3 * D));
  for (int64_t l = NL - 1; l >= start; --l) {
    if (!keep[l]) break;  // nothing trainable at or below this layer
    const LayerIdx& w = layer_idx_[l];
    const LayerCache& cc = caches[l];
    const bool drop = dropout_on && !frozen_layers_[l];
    // output LayerNorm
    kernels::layernorm_backward(dx.data(), cc.out_pre.data(), cc.mean2.data(), cc.rstd2.data(), W(w.ln2_w), T, D,
                                dtmp.data(), false, G(w.ln2_w), G(w.ln2_b));
    dsa = dtmp;  // residual into sa_out
    if (drop) kernels::dropout_backward(dtmp.data(), T * D, p_drop, site_seed(seed, l, 2));
    // lin2 (input: activation of h1_pre, recomputed)
    h1 = cc.h1_pre;
    activation_forward(c.activation, h1.data(), T * H);
    kernels::dense_backward(dtmp.data(), h1.data(), W(w.l2_w), {T, H, D}, dh.data(), false, G(w.l2_w), G(w.l2_b));
    activation_backward(c.activation, cc.h1_pre.data(), dh.data(), dh.data(), T * H);
    kernels::dense_backward(dh.data(), cc.sa_out.data(), W(w.l1_w), {T, D, H}, dsa.data(), true, G(w.l1_w), G(w.l1_b));
    // attention LayerNorm
    kernels::layernorm_backward(dsa.data(), cc.sa_pre.data(), cc.mean1.data(), cc.rstd1.data(), W(w.ln1_w), T, D,
                                dtmp.data(), false, G(w.ln1_w), G(w.ln1_b));
    // dtmp is d(sa_pre): flows to x_in (residual) and to out_lin.
    kernels::dense_backward(dtmp.data(), cc.ctx.data(), W(w.o_w), {T, D, D}, dctx.data(), false, G(w.o_w), G(w.o_b));
    kernels::attention_backward(cc.qkv.data(), cc.probs.data(), seqs, D, c.n_heads, dctx.data(), dqkv.data(),
                                drop ? p_attn : 0.f, site_seed(seed, l, 1));
    dx = dtmp;
    const DenseShape qs{T, D, D, 0, 3 * D};
    kernels::dense_backward(dqkv.data(), cc.x_in.data(), W(w.q_w), qs, dx.data(), true, G(w.q_w), G(w.q_b));
    kernels::dense_backward(dqkv.data() + D, cc.x_in.data(), W(w.k_w), qs, dx.data(), true, G(w.k_w), G(w.k_b));
    kernels::dense_backward(dqkv.data() + 2 * D, cc.x_in.data(), W(w.v_w), qs, dx.data(), true, G(w.v_w), G(w.v_b));
  }
  if (grad_mode) {
    *input_grad = std::move(dx);
    return loss;
  }
  if (start == 0 && !frozen_embeddings_) {
    kernels::dropout_backward(dx.data(), T * D, p_drop, site_seed(seed, -1, 0));
    kernels::layernorm_backward(dx.data(), emb_pre.data(), emb_mean.data(), emb_rstd.data(), W(emb_ln_w_), T, D,
                                dtmp.data(), false, G(emb_ln_w_), G(emb_ln_b_));
    kernels::embed_tokens_backward(dtmp.data(), ids.data(), positions.data(), T, D, G(word_), G(pos_));
  }
  return loss;
}

void TrainableDistilBert::save(const std::string& dir) const {
  std::vector<io::NamedTensor> tensors;
  for (const auto& p : params_) tensors.push_back({p.name, &p.value});  // vocab_projector.weight is tied
  io::write_safetensors(dir + "/model.safetensors", tensors, io::SafeDType::kF32);
  write_file_atomic(dir + "/config.json", config_.to_json(architecture()));
}

}  // namespace senti::model
