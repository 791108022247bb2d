// TrainableDistilBert's forward and backward passes, llm.c style: each part of the network is a
// *_forward / *_backward pair over the buffers of one Activations (model/trainable.h), and
// forward()/backward() chain them. This file holds no training loop, no loading and no saving.
#include <algorithm>

#include "kernels/dense.h"
#include "kernels/ops.h"
#include "model/trainable.h"
#include "util/error.h"

namespace senti::model {

using kernels::DenseShape;

namespace {
constexpr float kLayerNormEps = 1e-12f;  // DistilBERT's nn.LayerNorm(eps=1e-12)

// Dropout masks are keyed on (seed, layer, site) so backward regenerates forward's masks.
uint64_t site_seed(uint64_t seed, int64_t layer, int site) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(layer * 8 + site + 17);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
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
}  // namespace

// Scratch buffers shared by every layer of one pass (their contents never outlive a layer).
struct LayerWorkspace {
  std::vector<float> qkv, ctx, sa_pre, sa_out, h1, out_pre;  // forward: (T, 3D), (T, D) ×3, (T, H), (T, D)
  std::vector<float> dtmp, dsa, dh, dctx, dqkv;              // backward: (T, D) ×2, (T, H), (T, D), (T, 3D)
  int64_t probs_total = 0;                                   // floats of one layer's attention probabilities
};

namespace {
LayerWorkspace& workspace(Activations& a) {
  if (!a.workspace) a.workspace = std::make_shared<LayerWorkspace>();
  return *a.workspace;
}
}  // namespace

float* TrainableDistilBert::grad_of(size_t i, const Activations& a) {
  Param& p = params_[i];
  return p.trainable && a.mode == PassMode::kTrain ? p.grad.mutable_data() : nullptr;
}

void TrainableDistilBert::encoder_forward(const TrainBatch& batch, Activations& a, const std::vector<float>* hidden_in,
                                          int64_t first_layer, int64_t end_layer) {
  const DistilBertConfig& c = config_;
  const int64_t NL = c.n_layers;
  // Pack the batch.
  a.ids.clear();
  a.positions.clear();
  a.seqs.clear();
  for (const auto& s : batch.sequences) {
    if (s.empty() || static_cast<int64_t>(s.size()) > c.max_position_embeddings)
      fail(ErrorCode::kInvalidArgument, "a training sequence has " + std::to_string(s.size()) +
                                            " tokens; expected 1 .. " + std::to_string(c.max_position_embeddings));
    a.seqs.push_back({static_cast<int64_t>(a.ids.size()), static_cast<int64_t>(s.size())});
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] < 0 || s[i] >= c.vocab_size) fail(ErrorCode::kInvalidArgument, "token id outside the vocabulary");
      a.ids.push_back(s[i]);
      a.positions.push_back(static_cast<int32_t>(i));
    }
  }
  const int64_t T = static_cast<int64_t>(a.ids.size());
  a.first_layer = first_layer;

  // Which layers keep their activations: trainable ones, and frozen ones with something
  // trainable below them (their input gradient is needed); every layer for input gradients.
  const bool train = a.mode == PassMode::kTrain, input_grad = a.mode == PassMode::kInputGrad;
  a.keep.assign(static_cast<size_t>(NL), false);
  bool trainable_below = (train && !frozen_embeddings_) || input_grad;
  for (int64_t l = 0; l < NL; ++l) {
    a.keep[l] = (train || input_grad) && (!frozen_layers_[l] || trainable_below);
    if (train && !frozen_layers_[l]) trainable_below = true;
  }

  a.embedded = hidden_in == nullptr;
  if (hidden_in) {
    if (static_cast<int64_t>(hidden_in->size()) != T * c.dim) fail(ErrorCode::kInternal, "the given hidden states have the wrong size");
    a.hidden = *hidden_in;
  } else {
    if (first_layer != 0) fail(ErrorCode::kInternal, "a pass that starts above layer 0 needs its input");
    embeddings_forward(a);
  }

  a.layers.resize(static_cast<size_t>(NL));  // buffers keep their memory; each pass resizes them
  LayerWorkspace& ws = workspace(a);
  kernels::attention_prob_offsets(a.seqs, c.n_heads, &ws.probs_total);
  for (int64_t l = first_layer; l < std::min(end_layer, NL); ++l) layer_forward(l, a, ws);
}

double TrainableDistilBert::forward(const TrainBatch& batch, PassMode mode, uint64_t seed, Activations& a,
                                    const std::vector<float>* hidden_in, int64_t first_layer) {
  a.mode = mode;
  a.seed = seed;
  a.loss = 0;
  a.logits.clear();
  a.dlogits.clear();
  encoder_forward(batch, a, hidden_in, first_layer, config_.n_layers);
  if (task_ == Task::kMaskedLM) {
    mlm_head_forward(batch, a);
    if (!a.mlm_rows.empty()) {
      const int64_t M = static_cast<int64_t>(a.mlm_rows.size()), V = config_.vocab_size;
      a.dlogits.resize(static_cast<size_t>(M * V));
      a.loss = kernels::cross_entropy_forward_backward(a.logits.data(), a.mlm_targets.data(), M, V, a.dlogits.data());
    }
  } else if (task_ == Task::kReplacedTokenDetection) {
    rtd_head_forward(batch, a);
    // The loss over the labelled tokens only: gather them, score, scatter the gradient back.
    std::vector<float> z, y;
    std::vector<size_t> at;
    for (size_t t = 0; t < a.rtd_targets.size(); ++t)
      if (a.rtd_targets[t] >= 0) {
        at.push_back(t);
        z.push_back(a.logits[t]);
        y.push_back(a.rtd_targets[t]);
      }
    a.dlogits.assign(a.logits.size(), 0.f);
    if (!at.empty()) {
      std::vector<float> dz(at.size());
      a.loss = kernels::binary_cross_entropy_forward_backward(z.data(), y.data(), static_cast<int64_t>(z.size()), dz.data());
      for (size_t k = 0; k < at.size(); ++k) a.dlogits[at[k]] = dz[k];
    }
  } else {
    classifier_head_forward(a);
    if (mode != PassMode::kEval) {
      const int64_t B = static_cast<int64_t>(a.seqs.size()), L = config_.num_labels();
      a.dlogits.resize(static_cast<size_t>(B * L));
      if (!batch.targets.empty()) {
        if (static_cast<int64_t>(batch.targets.size()) != B * L)
          fail(ErrorCode::kInternal, "soft targets are not (sequences, labels)");
        a.loss = kernels::soft_cross_entropy_forward_backward(a.logits.data(), batch.targets.data(), B, L, a.dlogits.data());
      } else {
        if (batch.labels.size() != a.seqs.size()) fail(ErrorCode::kInternal, "labels and sequences differ in count");
        a.loss = kernels::cross_entropy_forward_backward(a.logits.data(), batch.labels.data(), B, L, a.dlogits.data());
      }
    }
  }
  if (batch.loss_weight != 1.0) {
    a.loss *= batch.loss_weight;
    for (float& d : a.dlogits) d = static_cast<float>(d * batch.loss_weight);
  }
  return a.loss;
}

void TrainableDistilBert::backward(Activations& a, std::vector<float>* d_input) {
  if (a.mode == PassMode::kEval) fail(ErrorCode::kInternal, "backward after an evaluation-mode forward");
  const int64_t T = static_cast<int64_t>(a.ids.size()), D = config_.dim;
  std::vector<float> dx(static_cast<size_t>(T * D), 0.f);  // d(loss)/d(last layer's output)
  if (task_ == Task::kMaskedLM) {
    if (a.mlm_rows.empty()) return;  // nothing labelled: no loss, no gradient
    mlm_head_backward(a, dx);
  } else if (task_ == Task::kReplacedTokenDetection) {
    rtd_head_backward(a, dx);
  } else {
    classifier_head_backward(a, dx);
  }
  LayerWorkspace& ws = workspace(a);
  for (int64_t l = config_.n_layers - 1; l >= a.first_layer; --l) {
    if (!a.keep[l]) break;  // nothing trainable at or below this layer
    layer_backward(l, a, dx, ws);
  }
  if (a.mode == PassMode::kInputGrad) {
    if (d_input) *d_input = std::move(dx);
    return;
  }
  if (a.embedded && a.first_layer == 0 && !frozen_embeddings_) embeddings_backward(a, dx);
}

void TrainableDistilBert::embeddings_forward(Activations& a) {
  const int64_t T = static_cast<int64_t>(a.ids.size()), D = config_.dim;
  auto W = [&](size_t i) { return params_[i].value.data(); };
  a.emb_pre.resize(static_cast<size_t>(T * D));
  a.hidden.resize(static_cast<size_t>(T * D));
  kernels::embed_tokens(a.ids.data(), a.positions.data(), T, W(word_), W(pos_), D, a.emb_pre.data());
  if (a.mode == PassMode::kTrain && !frozen_embeddings_) {
    a.emb_mean.resize(T);
    a.emb_rstd.resize(T);
    kernels::layernorm_forward_train(a.emb_pre.data(), W(emb_ln_w_), W(emb_ln_b_), T, D, kLayerNormEps,
                                     a.hidden.data(), a.emb_mean.data(), a.emb_rstd.data());
    kernels::dropout_forward(a.hidden.data(), T * D, static_cast<float>(config_.dropout), site_seed(a.seed, -1, 0));
  } else {
    kernels::layernorm_forward(a.emb_pre.data(), W(emb_ln_w_), W(emb_ln_b_), T, D, kLayerNormEps, a.hidden.data());
  }
}

void TrainableDistilBert::embeddings_backward(Activations& a, const std::vector<float>& dx_in) {
  const int64_t T = static_cast<int64_t>(a.ids.size()), D = config_.dim;
  std::vector<float> dx = dx_in, dpre(static_cast<size_t>(T * D));
  kernels::dropout_backward(dx.data(), T * D, static_cast<float>(config_.dropout), site_seed(a.seed, -1, 0));
  kernels::layernorm_backward(dx.data(), a.emb_pre.data(), a.emb_mean.data(), a.emb_rstd.data(),
                              params_[emb_ln_w_].value.data(), T, D, dpre.data(), false, grad_of(emb_ln_w_, a),
                              grad_of(emb_ln_b_, a));
  kernels::embed_tokens_backward(dpre.data(), a.ids.data(), a.positions.data(), T, D, grad_of(word_, a),
                                 grad_of(pos_, a));
}

// One post-LN block: x = LN2(x' + dropout(FFN(x'))), x' = LN1(x + out_lin(attention(x))).
// Reads and writes a.hidden; keeps what backward needs when a.keep[l].
void TrainableDistilBert::layer_forward(int64_t l, Activations& a, LayerWorkspace& ws) {
  const DistilBertConfig& c = config_;
  const int64_t T = static_cast<int64_t>(a.ids.size()), D = c.dim, H = c.hidden_dim;
  const LayerIdx& w = layer_idx_[l];
  const bool keep = a.keep[l];
  const bool drop = a.mode == PassMode::kTrain && !frozen_layers_[l];
  auto W = [&](size_t i) { return params_[i].value.data(); };
  LayerActivations& la = a.layers[l];
  std::vector<float>& x = a.hidden;
  // Where this layer's intermediate values go: the kept activations, or the shared scratch.
  auto buf = [&](std::vector<float>& kept, std::vector<float>& scratch, int64_t n) -> float* {
    std::vector<float>& v = keep ? kept : scratch;
    v.resize(static_cast<size_t>(n));
    return v.data();
  };
  if (keep) la.x_in = x;
  float* qkv = buf(la.qkv, ws.qkv, T * 3 * D);
  float* ctx = buf(la.ctx, ws.ctx, T * D);
  float* sa_pre = buf(la.sa_pre, ws.sa_pre, T * D);
  float* sa_out = buf(la.sa_out, ws.sa_out, T * D);
  float* out_pre = buf(la.out_pre, ws.out_pre, T * D);
  ws.h1.resize(static_cast<size_t>(T * H));

  const DenseShape qs{T, D, D, 0, 3 * D};
  kernels::dense_forward(x.data(), W(w.q_w), W(w.q_b), qs, qkv);
  kernels::dense_forward(x.data(), W(w.k_w), W(w.k_b), qs, qkv + D);
  kernels::dense_forward(x.data(), W(w.v_w), W(w.v_b), qs, qkv + 2 * D);
  if (keep) la.probs.resize(static_cast<size_t>(ws.probs_total));
  kernels::attention_forward(qkv, a.seqs, D, c.n_heads, ctx, keep ? la.probs.data() : nullptr,
                             drop ? static_cast<float>(c.attention_dropout) : 0.f, site_seed(a.seed, l, 1));
  kernels::dense_forward(ctx, W(w.out_w), W(w.out_b), {T, D, D}, sa_pre);
  for (int64_t i = 0; i < T * D; ++i) sa_pre[i] += x[i];  // residual
  if (keep) {
    la.mean1.resize(T);
    la.rstd1.resize(T);
    kernels::layernorm_forward_train(sa_pre, W(w.sa_ln_w), W(w.sa_ln_b), T, D, kLayerNormEps, sa_out, la.mean1.data(),
                                     la.rstd1.data());
  } else {
    kernels::layernorm_forward(sa_pre, W(w.sa_ln_w), W(w.sa_ln_b), T, D, kLayerNormEps, sa_out);
  }
  kernels::dense_forward(sa_out, W(w.ffn1_w), W(w.ffn1_b), {T, D, H}, ws.h1.data());
  if (keep) la.h1_pre = ws.h1;
  activation_forward(c.activation, ws.h1.data(), T * H);
  kernels::dense_forward(ws.h1.data(), W(w.ffn2_w), W(w.ffn2_b), {T, H, D}, out_pre);
  if (drop) kernels::dropout_forward(out_pre, T * D, static_cast<float>(c.dropout), site_seed(a.seed, l, 2));
  for (int64_t i = 0; i < T * D; ++i) out_pre[i] += sa_out[i];  // residual
  if (keep) {
    la.mean2.resize(T);
    la.rstd2.resize(T);
    kernels::layernorm_forward_train(out_pre, W(w.out_ln_w), W(w.out_ln_b), T, D, kLayerNormEps, x.data(), la.mean2.data(),
                                     la.rstd2.data());
  } else {
    kernels::layernorm_forward(out_pre, W(w.out_ln_w), W(w.out_ln_b), T, D, kLayerNormEps, x.data());
  }
}

// dx: d(loss)/d(layer output) in, d(loss)/d(layer input) out.
void TrainableDistilBert::layer_backward(int64_t l, Activations& a, std::vector<float>& dx, LayerWorkspace& ws) {
  const DistilBertConfig& c = config_;
  const int64_t T = static_cast<int64_t>(a.ids.size()), D = c.dim, H = c.hidden_dim;
  const LayerIdx& w = layer_idx_[l];
  const LayerActivations& la = a.layers[l];
  const bool drop = a.mode == PassMode::kTrain && !frozen_layers_[l];
  auto W = [&](size_t i) { return params_[i].value.data(); };
  auto G = [&](size_t i) { return grad_of(i, a); };
  ws.dtmp.resize(static_cast<size_t>(T * D));
  ws.dh.resize(static_cast<size_t>(T * H));
  ws.dctx.resize(static_cast<size_t>(T * D));
  ws.dqkv.resize(static_cast<size_t>(T * 3 * D));
  // output LayerNorm
  kernels::layernorm_backward(dx.data(), la.out_pre.data(), la.mean2.data(), la.rstd2.data(), W(w.out_ln_w), T, D,
                              ws.dtmp.data(), false, G(w.out_ln_w), G(w.out_ln_b));
  ws.dsa = ws.dtmp;  // residual into sa_out
  if (drop) kernels::dropout_backward(ws.dtmp.data(), T * D, static_cast<float>(c.dropout), site_seed(a.seed, l, 2));
  // lin2 (its input, the activation of h1_pre, is recomputed)
  ws.h1 = la.h1_pre;
  activation_forward(c.activation, ws.h1.data(), T * H);
  kernels::dense_backward(ws.dtmp.data(), ws.h1.data(), W(w.ffn2_w), {T, H, D}, ws.dh.data(), false, G(w.ffn2_w), G(w.ffn2_b));
  activation_backward(c.activation, la.h1_pre.data(), ws.dh.data(), ws.dh.data(), T * H);
  kernels::dense_backward(ws.dh.data(), la.sa_out.data(), W(w.ffn1_w), {T, D, H}, ws.dsa.data(), true, G(w.ffn1_w),
                          G(w.ffn1_b));
  // attention LayerNorm; dtmp becomes d(sa_pre), which flows to x_in (residual) and to out_lin
  kernels::layernorm_backward(ws.dsa.data(), la.sa_pre.data(), la.mean1.data(), la.rstd1.data(), W(w.sa_ln_w), T, D,
                              ws.dtmp.data(), false, G(w.sa_ln_w), G(w.sa_ln_b));
  kernels::dense_backward(ws.dtmp.data(), la.ctx.data(), W(w.out_w), {T, D, D}, ws.dctx.data(), false, G(w.out_w), G(w.out_b));
  kernels::attention_backward(la.qkv.data(), la.probs.data(), a.seqs, D, c.n_heads, ws.dctx.data(), ws.dqkv.data(),
                              drop ? static_cast<float>(c.attention_dropout) : 0.f, site_seed(a.seed, l, 1));
  dx = ws.dtmp;
  const DenseShape qs{T, D, D, 0, 3 * D};
  kernels::dense_backward(ws.dqkv.data(), la.x_in.data(), W(w.q_w), qs, dx.data(), true, G(w.q_w), G(w.q_b));
  kernels::dense_backward(ws.dqkv.data() + D, la.x_in.data(), W(w.k_w), qs, dx.data(), true, G(w.k_w), G(w.k_b));
  kernels::dense_backward(ws.dqkv.data() + 2 * D, la.x_in.data(), W(w.v_w), qs, dx.data(), true, G(w.v_w), G(w.v_b));
}

void TrainableDistilBert::classifier_head_forward(Activations& a) {
  const DistilBertConfig& c = config_;
  const int64_t B = static_cast<int64_t>(a.seqs.size()), D = c.dim, L = c.num_labels();
  auto W = [&](size_t i) { return params_[i].value.data(); };
  a.cls.resize(static_cast<size_t>(B * D));
  a.pre.resize(static_cast<size_t>(B * D));
  a.logits.resize(static_cast<size_t>(B * L));
  for (int64_t b = 0; b < B; ++b) std::copy_n(a.hidden.data() + a.seqs[b].begin * D, D, a.cls.data() + b * D);
  kernels::dense_forward(a.cls.data(), W(pre_w_), W(pre_b_), {B, D, D}, a.pre.data());
  a.act = a.pre;
  kernels::relu(a.act.data(), B * D);
  if (a.mode == PassMode::kTrain)
    kernels::dropout_forward(a.act.data(), B * D, static_cast<float>(c.seq_classif_dropout), site_seed(a.seed, c.n_layers, 3));
  kernels::dense_forward(a.act.data(), W(cls_w_), W(cls_b_), {B, D, L}, a.logits.data());
}

void TrainableDistilBert::classifier_head_backward(Activations& a, std::vector<float>& dx) {
  const DistilBertConfig& c = config_;
  const int64_t B = static_cast<int64_t>(a.seqs.size()), D = c.dim, L = c.num_labels();
  auto W = [&](size_t i) { return params_[i].value.data(); };
  std::vector<float> dact(static_cast<size_t>(B * D)), dcls(static_cast<size_t>(B * D));
  kernels::dense_backward(a.dlogits.data(), a.act.data(), W(cls_w_), {B, D, L}, dact.data(), false, grad_of(cls_w_, a),
                          grad_of(cls_b_, a));
  if (a.mode == PassMode::kTrain)
    kernels::dropout_backward(dact.data(), B * D, static_cast<float>(c.seq_classif_dropout), site_seed(a.seed, c.n_layers, 3));
  kernels::relu_backward(a.pre.data(), dact.data(), dact.data(), B * D);
  kernels::dense_backward(dact.data(), a.cls.data(), W(pre_w_), {B, D, D}, dcls.data(), false, grad_of(pre_w_, a),
                          grad_of(pre_b_, a));
  for (int64_t b = 0; b < B; ++b) std::copy_n(dcls.data() + b * D, D, dx.data() + a.seqs[b].begin * D);
}

void TrainableDistilBert::mlm_head_forward(const TrainBatch& batch, Activations& a) {
  const DistilBertConfig& c = config_;
  const int64_t B = static_cast<int64_t>(a.seqs.size()), D = c.dim, V = c.vocab_size;
  auto W = [&](size_t i) { return params_[i].value.data(); };
  if (batch.mlm_labels.size() != a.seqs.size()) fail(ErrorCode::kInternal, "mlm_labels and sequences differ in count");
  a.mlm_rows.clear();
  a.mlm_targets.clear();
  for (int64_t b = 0; b < B; ++b) {
    const auto& lab = batch.mlm_labels[b];
    if (static_cast<int64_t>(lab.size()) != a.seqs[b].length) fail(ErrorCode::kInternal, "mlm_labels length differs from its sequence");
    for (int64_t i = 0; i < a.seqs[b].length; ++i) {
      if (lab[i] == TrainBatch::kIgnore) continue;
      if (lab[i] < 0 || lab[i] >= V) fail(ErrorCode::kInvalidArgument, "masked-LM label outside the vocabulary");
      a.mlm_rows.push_back(a.seqs[b].begin + i);
      a.mlm_targets.push_back(lab[i]);
    }
  }
  const int64_t M = static_cast<int64_t>(a.mlm_rows.size());
  if (M == 0) return;
  a.mlm_sel.resize(static_cast<size_t>(M * D));
  a.mlm_vt.resize(static_cast<size_t>(M * D));
  a.mlm_ln.resize(static_cast<size_t>(M * D));
  a.mlm_mean.resize(M);
  a.mlm_rstd.resize(M);
  a.logits.resize(static_cast<size_t>(M * V));
  for (int64_t r = 0; r < M; ++r) std::copy_n(a.hidden.data() + a.mlm_rows[r] * D, D, a.mlm_sel.data() + r * D);
  kernels::dense_forward(a.mlm_sel.data(), W(vt_w_), W(vt_b_), {M, D, D}, a.mlm_vt.data());
  a.mlm_act = a.mlm_vt;
  activation_forward(c.activation, a.mlm_act.data(), M * D);
  kernels::layernorm_forward_train(a.mlm_act.data(), W(vln_w_), W(vln_b_), M, D, kLayerNormEps, a.mlm_ln.data(),
                                   a.mlm_mean.data(), a.mlm_rstd.data());
  kernels::dense_forward(a.mlm_ln.data(), W(word_), W(vproj_b_), {M, D, V}, a.logits.data());
}

void TrainableDistilBert::mlm_head_backward(Activations& a, std::vector<float>& dx) {
  const DistilBertConfig& c = config_;
  const int64_t D = c.dim, V = c.vocab_size, M = static_cast<int64_t>(a.mlm_rows.size());
  auto W = [&](size_t i) { return params_[i].value.data(); };
  std::vector<float> dln(static_cast<size_t>(M * D)), dg(static_cast<size_t>(M * D)), dsel(static_cast<size_t>(M * D));
  kernels::dense_backward(a.dlogits.data(), a.mlm_ln.data(), W(word_), {M, D, V}, dln.data(), false, grad_of(word_, a),
                          grad_of(vproj_b_, a));
  kernels::layernorm_backward(dln.data(), a.mlm_act.data(), a.mlm_mean.data(), a.mlm_rstd.data(), W(vln_w_), M, D,
                              dg.data(), false, grad_of(vln_w_, a), grad_of(vln_b_, a));
  activation_backward(c.activation, a.mlm_vt.data(), dg.data(), dg.data(), M * D);
  kernels::dense_backward(dg.data(), a.mlm_sel.data(), W(vt_w_), {M, D, D}, dsel.data(), false, grad_of(vt_w_, a),
                          grad_of(vt_b_, a));
  for (int64_t r = 0; r < M; ++r)
    for (int64_t d = 0; d < D; ++d) dx[a.mlm_rows[r] * D + d] += dsel[r * D + d];
}

void TrainableDistilBert::rtd_head_forward(const TrainBatch& batch, Activations& a) {
  const DistilBertConfig& c = config_;
  const int64_t T = static_cast<int64_t>(a.ids.size()), D = c.dim;
  auto W = [&](size_t i) { return params_[i].value.data(); };
  if (batch.rtd_labels.size() != a.seqs.size()) fail(ErrorCode::kInternal, "rtd_labels and sequences differ in count");
  a.rtd_targets.assign(static_cast<size_t>(T), -1.f);
  for (size_t b = 0; b < a.seqs.size(); ++b) {
    const auto& lab = batch.rtd_labels[b];
    if (static_cast<int64_t>(lab.size()) != a.seqs[b].length) fail(ErrorCode::kInternal, "rtd_labels length differs from its sequence");
    for (int64_t i = 0; i < a.seqs[b].length; ++i) {
      if (lab[i] == TrainBatch::kIgnore) continue;
      if (lab[i] != 0 && lab[i] != 1) fail(ErrorCode::kInvalidArgument, "replaced-token label other than 0 or 1");
      a.rtd_targets[a.seqs[b].begin + i] = static_cast<float>(lab[i]);
    }
  }
  a.rtd_pre.resize(static_cast<size_t>(T * D));
  kernels::dense_forward(a.hidden.data(), W(rtd_w_), W(rtd_b_), {T, D, D}, a.rtd_pre.data());
  a.rtd_act = a.rtd_pre;
  activation_forward(c.activation, a.rtd_act.data(), T * D);
  a.logits.resize(static_cast<size_t>(T));
  kernels::dense_forward(a.rtd_act.data(), W(rtd_pw_), W(rtd_pb_), {T, D, 1}, a.logits.data());
}

void TrainableDistilBert::rtd_head_backward(Activations& a, std::vector<float>& dx) {
  const DistilBertConfig& c = config_;
  const int64_t T = static_cast<int64_t>(a.ids.size()), D = c.dim;
  auto W = [&](size_t i) { return params_[i].value.data(); };
  std::vector<float> dact(static_cast<size_t>(T * D)), dh(static_cast<size_t>(T * D));
  kernels::dense_backward(a.dlogits.data(), a.rtd_act.data(), W(rtd_pw_), {T, D, 1}, dact.data(), false,
                          grad_of(rtd_pw_, a), grad_of(rtd_pb_, a));
  activation_backward(c.activation, a.rtd_pre.data(), dact.data(), dact.data(), T * D);
  kernels::dense_backward(dact.data(), a.hidden.data(), W(rtd_w_), {T, D, D}, dh.data(), false, grad_of(rtd_w_, a),
                          grad_of(rtd_b_, a));
  for (size_t i = 0; i < dh.size(); ++i) dx[i] += dh[i];
}

}  // namespace senti::model
