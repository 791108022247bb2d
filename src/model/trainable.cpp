#include "model/trainable.h"

#include <cmath>
#include <cstring>
#include <random>

#include "io/safetensors.h"
#include "model/distilbert.h"
#include "model/weight_names.h"
#include "util/error.h"
#include "util/file.h"

namespace senti::model {

namespace {
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
  namespace n = hf_names;
  const n::Embeddings e = n::embeddings(n::kTaskPrefix);
  word_ = idx(e.word);
  pos_ = idx(e.position);
  emb_ln_w_ = idx(e.ln_w);
  emb_ln_b_ = idx(e.ln_b);
  layer_idx_.clear();
  for (int64_t l = 0; l < config_.n_layers; ++l) {
    const n::Layer x = n::layer(n::kTaskPrefix, l);
    layer_idx_.push_back({idx(x.q_w), idx(x.q_b), idx(x.k_w), idx(x.k_b), idx(x.v_w), idx(x.v_b), idx(x.out_w),
                          idx(x.out_b), idx(x.sa_ln_w), idx(x.sa_ln_b), idx(x.ffn1_w), idx(x.ffn1_b), idx(x.ffn2_w),
                          idx(x.ffn2_b), idx(x.out_ln_w), idx(x.out_ln_b)});
  }
  if (task_ == Task::kMaskedLM) {
    vt_w_ = idx(n::kVocabTransformW);
    vt_b_ = idx(n::kVocabTransformB);
    vln_w_ = idx(n::kVocabLnW);
    vln_b_ = idx(n::kVocabLnB);
    vproj_b_ = idx(n::kVocabProjectorB);
  } else if (task_ == Task::kReplacedTokenDetection) {
    rtd_w_ = idx(n::kRtdDenseW);
    rtd_b_ = idx(n::kRtdDenseB);
    rtd_pw_ = idx(n::kRtdPredictionW);
    rtd_pb_ = idx(n::kRtdPredictionB);
  } else {
    pre_w_ = idx(n::kPreClassifierW);
    pre_b_ = idx(n::kPreClassifierB);
    cls_w_ = idx(n::kClassifierW);
    cls_b_ = idx(n::kClassifierB);
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
  namespace n = hf_names;
  const int64_t D = c.dim;
  if (task == Task::kMaskedLM)
    return {{n::kVocabTransformW, {D, D}, true, Spec::kNormal},
            {n::kVocabTransformB, {D}, false, Spec::kZero},
            {n::kVocabLnW, {D}, false, Spec::kOne},
            {n::kVocabLnB, {D}, false, Spec::kZero},
            {n::kVocabProjectorB, {c.vocab_size}, false, Spec::kZero}};
  if (task == Task::kReplacedTokenDetection)
    return {{n::kRtdDenseW, {D, D}, true, Spec::kNormal},
            {n::kRtdDenseB, {D}, false, Spec::kZero},
            {n::kRtdPredictionW, {1, D}, true, Spec::kNormal},
            {n::kRtdPredictionB, {1}, false, Spec::kZero}};
  return {{n::kPreClassifierW, {D, D}, true, Spec::kNormal},
          {n::kPreClassifierB, {D}, false, Spec::kZero},
          {n::kClassifierW, {c.num_labels(), D}, true, Spec::kNormal},
          {n::kClassifierB, {c.num_labels()}, false, Spec::kZero}};
}

std::vector<Spec> specs(const DistilBertConfig& c, const std::string& p, Task task) {
  const int64_t D = c.dim, H = c.hidden_dim;
  const hf_names::Embeddings e = hf_names::embeddings(p);
  std::vector<Spec> s = {{e.word, {c.vocab_size, D}, true, Spec::kNormal},
                         {e.position, {c.max_position_embeddings, D}, true, Spec::kNormal},
                         {e.ln_w, {D}, false, Spec::kOne},
                         {e.ln_b, {D}, false, Spec::kZero}};
  for (int64_t l = 0; l < c.n_layers; ++l) {
    const hf_names::Layer x = hf_names::layer(p, l);
    for (const auto& [w, b] : {std::pair{x.q_w, x.q_b}, {x.k_w, x.k_b}, {x.v_w, x.v_b}, {x.out_w, x.out_b}}) {
      s.push_back({w, {D, D}, true, Spec::kNormal});
      s.push_back({b, {D}, false, Spec::kZero});
    }
    s.push_back({x.sa_ln_w, {D}, false, Spec::kOne});
    s.push_back({x.sa_ln_b, {D}, false, Spec::kZero});
    s.push_back({x.ffn1_w, {H, D}, true, Spec::kNormal});
    s.push_back({x.ffn1_b, {H}, false, Spec::kZero});
    s.push_back({x.ffn2_w, {D, H}, true, Spec::kNormal});
    s.push_back({x.ffn2_b, {D}, false, Spec::kZero});
    s.push_back({x.out_ln_w, {D}, false, Spec::kOne});
    s.push_back({x.out_ln_b, {D}, false, Spec::kZero});
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
  for (const Spec& sp : specs(config, hf_names::kTaskPrefix, task)) {
    Tensor t = init_tensor(sp, config.initializer_range, rng);
    if (sp.name == hf_names::embeddings(hf_names::kTaskPrefix).word && config.pad_token_id < config.vocab_size)
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
  bool head_fits = file->find(hf_names::kClassifierW) && file->find(hf_names::kPreClassifierW) &&
                   file->find(hf_names::kClassifierW)->shape == std::vector<int64_t>{num_labels, config.dim};
  if (!labels.empty()) {
    if (config.id2label != labels) head_fits = false;
    config.id2label = labels;
  }
  std::unique_ptr<TrainableDistilBert> m(new TrainableDistilBert(config, Task::kSequenceClassification));
  std::mt19937_64 rng(seed);
  for (const Spec& sp : specs(config, hf_names::kTaskPrefix, Task::kSequenceClassification)) {
    const bool head = sp.name.rfind(hf_names::kTaskPrefix, 0) != 0;
    std::string stored = head ? sp.name : prefix + sp.name.substr(std::string(hf_names::kTaskPrefix).size());
    Tensor t = (head && !head_fits) ? init_tensor(sp, config.initializer_range, rng) : file->load_f32(stored, sp.shape);
    m->add_param(sp.name, std::move(t), sp.decay);
  }
  check_no_unused_encoder_tensors(*file, config);
  m->config_.architectures = {"DistilBertForSequenceClassification"};
  m->index_params();
  return m;
}

std::unique_ptr<TrainableDistilBert> TrainableDistilBert::from_checkpoint_pretraining(const std::string& dir, Task task,
                                                                                      uint64_t seed) {
  if (task == Task::kSequenceClassification) fail(ErrorCode::kInternal, "from_checkpoint_pretraining: not a pretraining task");
  DistilBertConfig config = DistilBertConfig::from_file(dir + "/config.json");
  auto file = io::SafetensorsFile::open(dir + "/model.safetensors");
  const std::string prefix = encoder_prefix(*file);
  const bool head_stored =
      file->find(task == Task::kMaskedLM ? hf_names::kVocabTransformW : hf_names::kRtdDenseW) != nullptr;
  std::unique_ptr<TrainableDistilBert> m(new TrainableDistilBert(config, task));
  std::mt19937_64 rng(seed);
  for (const Spec& sp : specs(config, hf_names::kTaskPrefix, task)) {
    const bool head = sp.name.rfind(hf_names::kTaskPrefix, 0) != 0;
    std::string stored = head ? sp.name : prefix + sp.name.substr(std::string(hf_names::kTaskPrefix).size());
    Tensor t = (head && !head_stored) ? init_tensor(sp, config.initializer_range, rng) : file->load_f32(stored, sp.shape);
    m->add_param(sp.name, std::move(t), sp.decay);
  }
  check_no_unused_encoder_tensors(*file, config);
  m->config_.architectures = {m->architecture()};
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
    for (size_t i : {x.q_w, x.q_b, x.k_w, x.k_b, x.v_w, x.v_b, x.out_w, x.out_b, x.sa_ln_w, x.sa_ln_b, x.ffn1_w,
                     x.ffn1_b, x.ffn2_w, x.ffn2_b, x.out_ln_w, x.out_ln_b})
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
  Activations a;
  encoder_forward(TrainBatch::inputs(sequences), a, nullptr, 0, frozen_prefix());
  out = std::move(a.hidden);
}

std::vector<float> TrainableDistilBert::logits(const std::vector<std::vector<int32_t>>& sequences) {
  if (task_ != Task::kSequenceClassification) fail(ErrorCode::kInternal, "logits on a model without a classifier");
  forward(TrainBatch::inputs(sequences), PassMode::kEval, 0, step_);
  return step_.logits;
}

double TrainableDistilBert::forward_backward(const TrainBatch& batch, uint64_t seed, const std::vector<float>* prefix) {
  const double loss = forward(batch, PassMode::kTrain, seed, step_, prefix, prefix ? frozen_prefix() : 0);
  backward(step_);
  return loss;
}

double TrainableDistilBert::embedding_gradient(const TrainBatch& batch, const std::vector<float>* embeddings,
                                               std::vector<float>& d_embeddings, std::vector<float>* logits_out) {
  if (task_ != Task::kSequenceClassification) fail(ErrorCode::kInternal, "embedding_gradient needs a classifier");
  Activations a;
  const double loss = forward(batch, PassMode::kInputGrad, 0, a, embeddings, 0);
  if (logits_out) *logits_out = a.logits;
  backward(a, &d_embeddings);
  return loss;
}

void TrainableDistilBert::embedding_output(const std::vector<std::vector<int32_t>>& sequences, std::vector<float>& out) {
  Activations a;
  encoder_forward(TrainBatch::inputs(sequences), a, nullptr, 0, 0);
  out = std::move(a.hidden);
}

double TrainableDistilBert::pretraining_loss(const TrainBatch& batch) {
  if (task_ == Task::kSequenceClassification) fail(ErrorCode::kInternal, "pretraining_loss on a classifier");
  return forward(batch, PassMode::kEval, 0, step_);
}

void TrainableDistilBert::save(const std::string& dir) const {
  std::vector<io::NamedTensor> tensors;
  for (const auto& p : params_) tensors.push_back({p.name, &p.value});  // vocab_projector.weight is tied
  io::write_safetensors(dir + "/model.safetensors", tensors, io::SafeDType::kF32);
  write_file_atomic(dir + "/config.json", config_.to_json(architecture()));
}

}  // namespace senti::model
