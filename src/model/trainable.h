// TrainableDistilBert: DistilBERT for sequence classification, or for masked-language-model
// pretraining (DistilBertForMaskedLM's head), with parameters that train.
// Forward keeps what backward needs (llm.c style: plain buffers, one cache per layer); backward
// computes gradients for trainable parameters only. Frozen parts — the embeddings and any set of
// transformer layers — get no gradient, no backward work, and run deterministically (no dropout),
// so their output is a fixed function of the input and can be cached across epochs.
// Weights keep Hugging Face's names; save() writes a folder transformers loads.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/attention.h"
#include "model/config.h"
#include "tensor/tensor.h"

namespace senti::io {
class SafetensorsFile;
}

namespace senti::model {

struct Param {
  std::string name;  // Hugging Face name
  Tensor value, grad;
  bool trainable = true;
  bool decay = true;  // weight decay applies (not to biases or LayerNorm)
};

struct TrainBatch {
  std::vector<std::vector<int32_t>> sequences;  // token ids, [CLS] … [SEP], no padding
  std::vector<int32_t> labels;                  // sequence classification: one per sequence
  // Masked LM: per sequence, per token, the id to predict or kIgnore (the loss is the mean
  // cross-entropy over the positions that are not kIgnore, as transformers computes it).
  std::vector<std::vector<int32_t>> mlm_labels;
  static constexpr int32_t kIgnore = -100;
  // Sequence classification with soft targets (distillation): (sequences, num_labels), each row
  // a probability distribution; when given, the loss is the cross-entropy against these instead
  // of `labels` (which still name each row's most likely label).
  std::vector<float> targets;
  // Replaced-token detection: per sequence, per token, 1 (replaced) or 0 (original) or kIgnore;
  // the loss is the mean binary cross-entropy over the labelled tokens.
  std::vector<std::vector<int32_t>> rtd_labels = {};
  // Multiplies the loss and its gradient (ELECTRA weighs the discriminator's loss by 50).
  double loss_weight = 1.0;

  static TrainBatch inputs(std::vector<std::vector<int32_t>> sequences) {
    TrainBatch b;
    b.sequences = std::move(sequences);
    return b;
  }
};

// kReplacedTokenDetection: an ELECTRA discriminator (Clark et al. 2020): one logit per token,
// "was this token replaced?", on the head of transformers' ElectraDiscriminatorPredictions.
enum class Task { kSequenceClassification, kMaskedLM, kReplacedTokenDetection };

// How a pass runs: training (dropout on trainable parts; backward fills Param::grad of the
// trainable parameters), evaluation (no dropout, forward only), or input gradients (no dropout;
// backward stops at the embedding output and touches no parameter gradient).
enum class PassMode { kTrain, kEval, kInputGrad };

// What one transformer layer's forward keeps for its backward pass; empty for layers whose
// backward never runs. T = tokens in the packed batch, D = dim, H = hidden_dim.
struct LayerActivations {
  std::vector<float> x_in;          // (T, D) the layer's input
  std::vector<float> qkv;           // (T, 3D) query | key | value rows (biases added)
  std::vector<float> probs;         // attention probabilities before dropout: per sequence, per head
                                    // a (len, len) block (kernels::attention_prob_offsets)
  std::vector<float> ctx;           // (T, D) attention context, out_lin's input
  std::vector<float> sa_pre;        // (T, D) out_lin(ctx) + x_in, sa_layer_norm's input
  std::vector<float> mean1, rstd1;  // (T) sa_layer_norm statistics
  std::vector<float> sa_out;        // (T, D) sa_layer_norm output: lin1's input and the FFN residual
  std::vector<float> h1_pre;        // (T, H) lin1 output before the activation
  std::vector<float> out_pre;       // (T, D) dropout(lin2) + sa_out, output_layer_norm's input
  std::vector<float> mean2, rstd2;  // (T) output_layer_norm statistics
};

struct LayerWorkspace;  // scratch buffers one layer's passes reuse (trainable_pass.cpp)

// Everything one forward pass computes and its backward pass reads (llm.c's ActivationTensors).
// B = sequences, L = labels, M = masked-LM positions with a label, V = vocabulary size.
struct Activations {
  PassMode mode = PassMode::kEval;
  uint64_t seed = 0;                         // dropout masks (kernels key them on seed, layer, site)
  std::vector<int32_t> ids, positions;       // (T) the packed batch
  std::vector<kernels::SequenceSpan> seqs;   // (B) each sequence's rows
  int64_t first_layer = 0;                   // first layer run: > 0 when fed a cached frozen prefix
  bool embedded = false;                     // the embeddings ran in this pass (not fed from outside)
  std::vector<bool> keep;                    // (n_layers) layers whose activations backward needs
  std::vector<float> emb_pre;                // (T, D) word + position embeddings, before LayerNorm
  std::vector<float> emb_mean, emb_rstd;     // (T) embedding LayerNorm statistics (trainable embeddings)
  std::vector<LayerActivations> layers;      // (n_layers)
  std::vector<float> hidden;                 // (T, D) the last layer run's output
  // Classification head: [CLS] -> pre_classifier -> ReLU -> dropout -> classifier.
  std::vector<float> cls, pre, act;          // (B, D) [CLS] rows; pre_classifier output; ReLU + dropout
  // Masked-LM head on the labelled positions: vocab_transform -> activation -> vocab_layer_norm ->
  // vocab_projector (tied to the word embeddings).
  std::vector<int64_t> mlm_rows;             // (M) packed row of each labelled position
  std::vector<int32_t> mlm_targets;          // (M) the ids to predict
  std::vector<float> mlm_sel, mlm_vt;        // (M, D) the rows of `hidden`; vocab_transform output
  std::vector<float> mlm_act, mlm_ln;        // (M, D) after the activation; after vocab_layer_norm
  std::vector<float> mlm_mean, mlm_rstd;     // (M) vocab_layer_norm statistics
  // Replaced-token-detection head on every token: dense -> activation -> dense_prediction.
  std::vector<float> rtd_pre, rtd_act;       // (T, D) dense output; after the activation
  std::vector<float> rtd_targets;            // (T) 1 replaced, 0 original, -1 no label
  std::vector<float> logits;                 // (B, L), (M, V) or (T)
  std::vector<float> dlogits;                // same shape: d(loss)/d(logits), set by the loss
  double loss = 0;                           // mean cross-entropy (0 when no loss was computed)
  // Scratch the layers' passes reuse; kept here so that a reused Activations allocates nothing new
  // from one step to the next (fresh gigabyte-sized buffers cost page faults every step).
  std::shared_ptr<LayerWorkspace> workspace;
};


class TrainableDistilBert {
 public:
  // From a checkpoint folder; a missing classification head (e.g. a DistilBertForMaskedLM base)
  // is initialized as transformers does: N(0, initializer_range) weights, zero biases.
  static std::unique_ptr<TrainableDistilBert> from_checkpoint(const std::string& dir,
                                                              const std::vector<std::string>& labels, uint64_t seed);
  // A pretraining model (kMaskedLM or kReplacedTokenDetection) from a checkpoint folder: the
  // encoder (and the task's head when stored) from model.safetensors; a missing head is
  // initialized as transformers does.
  static std::unique_ptr<TrainableDistilBert> from_checkpoint_pretraining(const std::string& dir, Task task,
                                                                          uint64_t seed);
  // Fresh random initialization from a config.
  static std::unique_ptr<TrainableDistilBert> from_config(const DistilBertConfig& config, uint64_t seed,
                                                          Task task = Task::kSequenceClassification);
  Task task() const { return task_; }

  const DistilBertConfig& config() const { return config_; }
  std::vector<Param>& params() { return params_; }
  const std::vector<Param>& params() const { return params_; }
  Param& param(const std::string& name);

  // Freezes the embeddings and the layers marked true; everything else trains.
  void set_frozen(bool embeddings, const std::vector<bool>& layers);
  bool embeddings_frozen() const { return frozen_embeddings_; }
  bool layer_frozen(int64_t l) const { return frozen_layers_[static_cast<size_t>(l)]; }
  // Index of the first layer that trains after a frozen prefix (embeddings + layers 0..k-1
  // frozen): the cacheable boundary. 0 when the embeddings train.
  int64_t frozen_prefix() const;

  // Output of the frozen prefix (the input to layer frozen_prefix()), (tokens, dim), packed.
  void frozen_prefix_forward(const std::vector<std::vector<int32_t>>& sequences, std::vector<float>& out);
  // Forward (training mode: dropout on trainable parts), loss, and backward; gradients add up in
  // Param::grad. `prefix`, when given, is frozen_prefix_forward's output for these sequences.
  double forward_backward(const TrainBatch& batch, uint64_t dropout_seed, const std::vector<float>* prefix = nullptr);
  // Forward in evaluation mode: logits (sequences, num_labels).
  std::vector<float> logits(const std::vector<std::vector<int32_t>>& sequences);
  // For explanations, in evaluation mode (no dropout) and without parameter gradients: the mean
  // cross-entropy of batch.labels and its gradient with respect to the embedding output (after
  // the embedding LayerNorm), (tokens, dim) packed. `embeddings`, when given, replaces the
  // embedding output (integrated gradients feeds scaled ones). logits_out: (sequences, labels).
  double embedding_gradient(const TrainBatch& batch, const std::vector<float>* embeddings, std::vector<float>& d_embeddings,
                            std::vector<float>* logits_out = nullptr);
  // The embedding output (tokens, dim), packed, evaluation mode.
  void embedding_output(const std::vector<std::vector<int32_t>>& sequences, std::vector<float>& out);
  // Masked LM or replaced-token detection, evaluation mode: the loss of batch.mlm_labels or
  // batch.rtd_labels, no gradients.
  double pretraining_loss(const TrainBatch& batch);
  // The passes the methods above are made of. forward() packs the batch, runs the embeddings (or
  // takes `hidden_in`, the input to layer `first_layer`, (tokens, dim) packed), the layers, the
  // task's head and, unless the mode is kEval for a classifier, the loss and d(loss)/d(logits).
  double forward(const TrainBatch& batch, PassMode mode, uint64_t seed, Activations& a,
                 const std::vector<float>* hidden_in = nullptr, int64_t first_layer = 0);
  // From a.dlogits down: parameter gradients (kTrain) or, for kInputGrad, d(loss)/d(embedding
  // output) into `d_input`, (tokens, dim) packed.
  void backward(Activations& a, std::vector<float>* d_input = nullptr);
  void zero_grad();
  // For input gradients only (explanations): freezes every parameter and frees the gradient
  // buffers, halving the memory; training calls are unusable afterwards.
  void release_gradients();
  // Overrides the config's dropout probabilities (hidden, attention, classifier head).
  void set_dropout(double hidden, double attention, double classifier);

  // Hugging Face folder: config.json and model.safetensors (F32; the MLM projector's weight is
  // tied to the word embeddings and not stored, as transformers saves it).
  void save(const std::string& dir) const;
  // config.json's architectures entry. A discriminator is saved as a DistilBertModel with its
  // head's tensors beside the encoder's (transformers' task models load it and skip those).
  std::string architecture() const {
    if (task_ == Task::kMaskedLM) return "DistilBertForMaskedLM";
    if (task_ == Task::kReplacedTokenDetection) return "DistilBertModel";
    return "DistilBertForSequenceClassification";
  }

 private:
  TrainableDistilBert(DistilBertConfig config, Task task);
  void add_param(const std::string& name, Tensor value, bool decay);
  void index_params();
  // Packs the batch and runs the encoder up to (not including) layer `end_layer`; a.hidden holds
  // that layer's input.
  void encoder_forward(const TrainBatch& batch, Activations& a, const std::vector<float>* hidden_in,
                       int64_t first_layer, int64_t end_layer);
  void embeddings_forward(Activations& a);
  void embeddings_backward(Activations& a, const std::vector<float>& dx);
  void layer_forward(int64_t l, Activations& a, LayerWorkspace& ws);
  void layer_backward(int64_t l, Activations& a, std::vector<float>& dx, LayerWorkspace& ws);
  void classifier_head_forward(Activations& a);
  void classifier_head_backward(Activations& a, std::vector<float>& dx);
  void mlm_head_forward(const TrainBatch& batch, Activations& a);
  void mlm_head_backward(Activations& a, std::vector<float>& dx);
  void rtd_head_forward(const TrainBatch& batch, Activations& a);
  void rtd_head_backward(Activations& a, std::vector<float>& dx);
  float* grad_of(size_t i, const Activations& a);

  DistilBertConfig config_;
  Task task_;
  std::vector<Param> params_;
  bool frozen_embeddings_ = false;
  std::vector<bool> frozen_layers_;
  // Indices into params_ by role.
  // Short names as in model/weight_names.h.
  struct LayerIdx {
    size_t q_w, q_b, k_w, k_b, v_w, v_b, out_w, out_b, sa_ln_w, sa_ln_b, ffn1_w, ffn1_b, ffn2_w, ffn2_b, out_ln_w, out_ln_b;
  };
  size_t word_, pos_, emb_ln_w_, emb_ln_b_;
  size_t pre_w_ = 0, pre_b_ = 0, cls_w_ = 0, cls_b_ = 0;                     // classification head
  size_t vt_w_ = 0, vt_b_ = 0, vln_w_ = 0, vln_b_ = 0, vproj_b_ = 0;         // masked-LM head
  size_t rtd_w_ = 0, rtd_b_ = 0, rtd_pw_ = 0, rtd_pb_ = 0;                   // replaced-token detection
  std::vector<LayerIdx> layer_idx_;
  Activations step_;  // the buffers of forward_backward, logits and pretraining_loss, reused
};

}  // namespace senti::model
