#include "model/distilbert.h"

#include <cstring>

#include "kernels/ops.h"
#include "model/weight_names.h"
#include "util/error.h"
#include "util/file.h"
#include "util/log.h"

namespace senti::model {

using kernels::Epilogue;
using kernels::padded_rows;

namespace {
constexpr float kLayerNormEps = 1e-12f;  // nn.LayerNorm(eps=1e-12) throughout DistilBERT (modeling_distilbert.py)

Tensor concat_rows(const std::vector<const Tensor*>& parts) {
  int64_t rows = 0, cols = parts[0]->rank() == 2 ? parts[0]->dim(1) : 1;
  for (const Tensor* p : parts) rows += p->dim(0);
  Tensor out(parts[0]->rank() == 2 ? std::vector<int64_t>{rows, cols} : std::vector<int64_t>{rows});
  float* dst = out.mutable_data();
  for (const Tensor* p : parts) {
    std::memcpy(dst, p->data(), static_cast<size_t>(p->numel()) * sizeof(float));
    dst += p->numel();
  }
  return out;
}

Epilogue activation_epilogue(Activation a) {
  switch (a) {
    case Activation::kGeluErf: return Epilogue::kGeluErf;
    case Activation::kGeluTanh: return Epilogue::kGeluTanh;
    case Activation::kRelu: return Epilogue::kRelu;
  }
  return Epilogue::kGeluErf;
}
}  // namespace

std::string encoder_prefix(const io::SafetensorsFile& weights) {
  if (weights.find(hf_names::embeddings(hf_names::kTaskPrefix).word)) return hf_names::kTaskPrefix;
  if (weights.find(hf_names::embeddings("").word)) return "";
  fail(ErrorCode::kNotFound, weights.path() +
                                 ": no DistilBERT embeddings (expected 'distilbert.embeddings.word_embeddings.weight')");
}

void check_no_unused_encoder_tensors(const io::SafetensorsFile& weights, const DistilBertConfig& config) {
  std::vector<std::string> extra;
  for (const auto& name : weights.unused()) {
    const bool head = name == hf_names::kPreClassifierW || name == hf_names::kPreClassifierB ||
                      name == hf_names::kClassifierW || name == hf_names::kClassifierB || name.rfind("vocab_", 0) == 0 ||
                      name.rfind(hf_names::kRtdPrefix, 0) == 0;
    const bool buffer = name.size() >= 12 && name.compare(name.size() - 12, 12, "position_ids") == 0;
    if (!head && !buffer) extra.push_back(name);
  }
  if (extra.empty()) return;
  std::string list;
  for (size_t i = 0; i < extra.size() && i < 4; ++i) list += (i ? ", " : "") + extra[i];
  if (extra.size() > 4) list += ", ...";
  fail(ErrorCode::kParse, weights.path() + " holds " + std::to_string(extra.size()) +
                              " tensors its config.json does not account for (" + list + "); config.json says n_layers " +
                              std::to_string(config.n_layers) + ", dim " + std::to_string(config.dim) +
                              ": is it the config of another model?");
}

std::unique_ptr<DistilBert> DistilBert::load(const std::string& dir, kernels::ComputeType type) {
  if (!is_directory(dir)) fail(ErrorCode::kNotFound, "model folder '" + dir + "' does not exist");
  DistilBertConfig config = DistilBertConfig::from_file(dir + "/config.json");
  const std::string st = dir + "/model.safetensors";
  if (!file_exists(st)) {
    if (file_exists(dir + "/pytorch_model.bin"))
      fail(ErrorCode::kUnsupported, dir + " holds pytorch_model.bin only; senti reads model.safetensors "
                                          "(convert with transformers: model.save_pretrained(dir, safe_serialization=True))");
    fail(ErrorCode::kNotFound, "'" + st + "' does not exist");
  }
  auto weights = io::SafetensorsFile::open(st);
  return std::make_unique<DistilBert>(std::move(config), *weights, type);
}

DistilBert::DistilBert(DistilBertConfig config, const io::SafetensorsFile& w, kernels::ComputeType type)
    : DistilBert(std::move(config), w, LayerComputeTypes::all(type)) {}

DistilBert::DistilBert(DistilBertConfig config, const io::SafetensorsFile& w, const LayerComputeTypes& types)
    : config_(std::move(config)), types_(types) {
  // The reduced-precision types run attention in bf16 where this CPU can, else in f32.
  if (types_.attention != kernels::ComputeType::kF32 && !kernels::compute_type_available(kernels::ComputeType::kBf16))
    types_.attention = kernels::ComputeType::kF32;
  for (kernels::ComputeType t : {types_.qkv, types_.attention_out, types_.ffn1, types_.ffn2, types_.pre_classifier})
    if (!kernels::compute_type_available(t))
      fail(ErrorCode::kUnsupported, std::string("compute type ") + kernels::compute_type_name(t) +
                                        " is not available on this CPU (oneDNN's bf16 matrix products need AVX-512); "
                                        "load the model in f32 or int8");
  const int64_t D = config_.dim, H = config_.hidden_dim, V = config_.vocab_size, P = config_.max_position_embeddings;
  const std::string p = encoder_prefix(w);
  if (!w.tensors().empty()) weights_dtype_ = io::dtype_name(w.tensors().begin()->second.dtype);
  auto load = [&](const std::string& name, std::vector<int64_t> shape) {
    Tensor t = w.load_f32(name, shape);
    num_parameters_ += t.numel();
    return t;
  };
  namespace n = hf_names;
  const n::Embeddings e = n::embeddings(p);
  word_embeddings_ = load(e.word, {V, D});
  position_embeddings_ = load(e.position, {P, D});
  emb_ln_w_ = load(e.ln_w, {D});
  emb_ln_b_ = load(e.ln_b, {D});
  const bool classifier = w.find(n::kClassifierW) || w.find(n::kPreClassifierW);
  for (int64_t i = 0; i < config_.n_layers; ++i) {
    const n::Layer l = n::layer(p, i);
    Layer layer;
    Tensor qw = load(l.q_w, {D, D}), qb = load(l.q_b, {D});
    Tensor kw = load(l.k_w, {D, D}), kb = load(l.k_b, {D});
    Tensor vw = load(l.v_w, {D, D}), vb = load(l.v_b, {D});
    layer.split_q = (i == config_.n_layers - 1) && classifier;
    if (layer.split_q) {
      layer.q = kernels::Linear(qw, qb, types.qkv);
      layer.kv = kernels::Linear(concat_rows({&kw, &vw}), concat_rows({&kb, &vb}), types.qkv);
    } else {
      layer.qkv = kernels::Linear(concat_rows({&qw, &kw, &vw}), concat_rows({&qb, &kb, &vb}), types.qkv);
    }
    layer.out = kernels::Linear(load(l.out_w, {D, D}), load(l.out_b, {D}), types.attention_out);
    layer.ffn1 = kernels::Linear(load(l.ffn1_w, {H, D}), load(l.ffn1_b, {H}), types.ffn1);
    layer.ffn2 = kernels::Linear(load(l.ffn2_w, {D, H}), load(l.ffn2_b, {D}), types.ffn2);
    layer.sa_ln_w = load(l.sa_ln_w, {D});
    layer.sa_ln_b = load(l.sa_ln_b, {D});
    layer.out_ln_w = load(l.out_ln_w, {D});
    layer.out_ln_b = load(l.out_ln_b, {D});
    layers_.push_back(std::move(layer));
  }
  if (classifier) {
    const int64_t L = config_.num_labels();
    pre_classifier_ = kernels::Linear(load(n::kPreClassifierW, {D, D}), load(n::kPreClassifierB, {D}), types.pre_classifier);
    classifier_ = kernels::Linear(load(n::kClassifierW, {L, D}), load(n::kClassifierB, {L}));
    has_classifier_ = true;
  }
  if (w.find(n::kVocabTransformW)) {
    vocab_transform_ = kernels::Linear(load(n::kVocabTransformW, {D, D}), load(n::kVocabTransformB, {D}));
    vocab_ln_w_ = load(n::kVocabLnW, {D});
    vocab_ln_b_ = load(n::kVocabLnB, {D});
    // vocab_projector.weight is tied to the word embeddings (and usually not stored).
    vocab_projector_ = kernels::Linear(word_embeddings_, load(n::kVocabProjectorB, {V}));
    has_mlm_ = true;
  }
  if (!has_classifier_ && !has_mlm_) log::debug(w.path() + ": encoder only (no task head)");
  check_no_unused_encoder_tensors(w, config_);
}

int64_t DistilBert::weight_bytes() const {
  int64_t bytes = 0;
  for (const Tensor* t : {&word_embeddings_, &position_embeddings_, &emb_ln_w_, &emb_ln_b_, &vocab_ln_w_, &vocab_ln_b_})
    bytes += t->numel() * static_cast<int64_t>(sizeof(float));
  for (const Layer& l : layers_) {
    for (const kernels::Linear* lin : {&l.qkv, &l.q, &l.kv, &l.out, &l.ffn1, &l.ffn2}) bytes += lin->weight_bytes();
    for (const Tensor* t : {&l.sa_ln_w, &l.sa_ln_b, &l.out_ln_w, &l.out_ln_b})
      bytes += t->numel() * static_cast<int64_t>(sizeof(float));
  }
  for (const kernels::Linear* lin : {&pre_classifier_, &classifier_, &vocab_transform_, &vocab_projector_})
    bytes += lin->weight_bytes();
  return bytes;
}

const float* DistilBert::encode(const std::vector<std::vector<int32_t>>& sequences, Workspace& ws) const {
  return encode_layers(sequences, ws, config_.n_layers);
}

void DistilBert::run_layer(const Layer& l, int64_t T, Workspace& ws) const {
  const int64_t D = config_.dim, H = config_.hidden_dim, Tp = padded_rows(T);
  float* x = ws.x.get(0);
  float* qkv = ws.qkv.get(static_cast<size_t>(Tp * 3 * D));  // (T, 3D)
  float* ctx = ws.ctx.get(static_cast<size_t>(Tp * D));      // (T, D)
  float* hid = ws.hidden.get(static_cast<size_t>(Tp * H));   // (T, H)
  if (l.split_q) {  // interleave Q and K,V rows into the fused layout attention reads
    float* q = ws.q.get(static_cast<size_t>(Tp * D));
    float* kv = ws.kv.get(static_cast<size_t>(Tp * 2 * D));
    l.q.forward(x, T, q);
    l.kv.forward(x, T, kv);
    for (int64_t t = 0; t < T; ++t) {
      std::memcpy(qkv + t * 3 * D, q + t * D, sizeof(float) * D);
      std::memcpy(qkv + t * 3 * D + D, kv + t * 2 * D, sizeof(float) * 2 * D);
    }
  } else {
    l.qkv.forward(x, T, qkv);
  }
  if (types_.attention == kernels::ComputeType::kF32)
    kernels::attention_forward(qkv, ws.seqs, D, config_.n_heads, ctx);
  else
    kernels::attention_forward_bf16(qkv, ws.seqs, D, config_.n_heads, ctx);
  l.out.forward(ctx, T, x, Epilogue::kResidual);  // x = ctx·Woᵀ + bo + x
  kernels::layernorm_forward(x, l.sa_ln_w.data(), l.sa_ln_b.data(), T, D, kLayerNormEps, x);
  l.ffn1.forward(x, T, hid, activation_epilogue(config_.activation));
  l.ffn2.forward(hid, T, x, Epilogue::kResidual);
  kernels::layernorm_forward(x, l.out_ln_w.data(), l.out_ln_b.data(), T, D, kLayerNormEps, x);
}

const float* DistilBert::encode_layers(const std::vector<std::vector<int32_t>>& sequences, Workspace& ws,
                                       int64_t n_layers) const {
  const int64_t D = config_.dim;
  ws.ids.clear();
  ws.positions.clear();
  ws.seqs.clear();
  for (const auto& s : sequences) {
    if (static_cast<int64_t>(s.size()) > config_.max_position_embeddings)
      fail(ErrorCode::kInvalidArgument, "sequence of " + std::to_string(s.size()) + " tokens exceeds max_position_embeddings " +
                                            std::to_string(config_.max_position_embeddings));
    if (s.empty()) fail(ErrorCode::kInvalidArgument, "empty token sequence (expected at least [CLS])");
    ws.seqs.push_back({static_cast<int64_t>(ws.ids.size()), static_cast<int64_t>(s.size())});
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] < 0 || s[i] >= config_.vocab_size)
        fail(ErrorCode::kInvalidArgument, "token id " + std::to_string(s[i]) + " is outside the vocabulary of " +
                                              std::to_string(config_.vocab_size));
      ws.ids.push_back(s[i]);
      ws.positions.push_back(static_cast<int32_t>(i));
    }
  }
  const int64_t T = static_cast<int64_t>(ws.ids.size());
  float* x = ws.x.get(static_cast<size_t>(padded_rows(T) * D));  // (T, D)
  if (T == 0) return x;
  kernels::embed_tokens(ws.ids.data(), ws.positions.data(), T, word_embeddings_.data(), position_embeddings_.data(), D, x);
  kernels::layernorm_forward(x, emb_ln_w_.data(), emb_ln_b_.data(), T, D, kLayerNormEps, x);
  for (int64_t i = 0; i < n_layers; ++i) run_layer(layers_[static_cast<size_t>(i)], T, ws);
  return x;
}

std::vector<float> DistilBert::classify(const std::vector<std::vector<int32_t>>& sequences, Workspace& ws) const {
  if (!has_classifier_)
    fail(ErrorCode::kUnsupported, "this checkpoint has no sequence-classification head (pre_classifier, classifier); "
                                  "fine-tune it first with `senti train`");
  const int64_t D = config_.dim, H = config_.hidden_dim, L = config_.num_labels(), NL = config_.n_layers;
  const int64_t B = static_cast<int64_t>(sequences.size());
  const int64_t Bp = padded_rows(B);
  // The head reads only the first token's final hidden state, so the last layer runs for those
  // rows alone: K and V for every token (attention needs them), the rest for one row per
  // sequence. Exact: the same arithmetic on the rows that matter.
  const float* x = encode_layers(sequences, ws, std::max<int64_t>(NL - 1, 0));
  const int64_t T = static_cast<int64_t>(ws.ids.size());
  float* cls = ws.cls.get(static_cast<size_t>(Bp * D));
  for (int64_t b = 0; b < B; ++b) std::memcpy(cls + b * D, x + ws.seqs[b].begin * D, static_cast<size_t>(D) * sizeof(float));
  if (NL > 0) {
    const Layer& l = layers_.back();
    float* kv = ws.kv.get(static_cast<size_t>(padded_rows(T) * 2 * D));
    float* q = ws.q.get(static_cast<size_t>(std::max(Bp, padded_rows(T)) * D));
    float* ctx = ws.ctx.get(static_cast<size_t>(std::max(Bp, padded_rows(T)) * D));
    float* hid = ws.hidden.get(static_cast<size_t>(std::max(Bp, padded_rows(T)) * H));
    l.kv.forward(x, T, kv);
    l.q.forward(cls, B, q);
    kernels::attention_first_token(q, kv, ws.seqs, D, config_.n_heads, ctx);
    l.out.forward(ctx, B, cls, Epilogue::kResidual);
    kernels::layernorm_forward(cls, l.sa_ln_w.data(), l.sa_ln_b.data(), B, D, kLayerNormEps, cls);
    l.ffn1.forward(cls, B, hid, activation_epilogue(config_.activation));
    l.ffn2.forward(hid, B, cls, Epilogue::kResidual);
    kernels::layernorm_forward(cls, l.out_ln_w.data(), l.out_ln_b.data(), B, D, kLayerNormEps, cls);
  }
  float* pre = ws.pre.get(static_cast<size_t>(Bp * D));
  float* logits = ws.logits.get(static_cast<size_t>(Bp * L));
  pre_classifier_.forward(cls, B, pre, Epilogue::kRelu);
  classifier_.forward(pre, B, logits);
  return std::vector<float>(logits, logits + B * L);
}

const float* DistilBert::mlm_logits(Workspace& ws) const {
  if (!has_mlm_) fail(ErrorCode::kUnsupported, "this checkpoint has no masked-LM head (vocab_transform, vocab_projector)");
  const int64_t D = config_.dim, V = config_.vocab_size;
  const int64_t T = static_cast<int64_t>(ws.ids.size()), Tp = padded_rows(T);
  float* t = ws.ctx.get(static_cast<size_t>(Tp * D));
  float* out = ws.mlm.get(static_cast<size_t>(Tp * V));
  vocab_transform_.forward(ws.x.get(0), T, t, activation_epilogue(config_.activation));
  kernels::layernorm_forward(t, vocab_ln_w_.data(), vocab_ln_b_.data(), T, D, kLayerNormEps, t);
  vocab_projector_.forward(t, T, out);
  return out;
}

}  // namespace senti::model
