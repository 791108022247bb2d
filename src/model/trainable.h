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
};

enum class Task { kSequenceClassification, kMaskedLM };

class TrainableDistilBert {
 public:
  // From a checkpoint folder; a missing classification head (e.g. a DistilBertForMaskedLM base)
  // is initialized as transformers does: N(0, initializer_range) weights, zero biases.
  static std::unique_ptr<TrainableDistilBert> from_checkpoint(const std::string& dir,
                                                              const std::vector<std::string>& labels, uint64_t seed);
  // A masked-LM model from a checkpoint folder: the encoder (and the MLM head when stored) from
  // model.safetensors; a missing head is initialized as transformers does.
  static std::unique_ptr<TrainableDistilBert> from_checkpoint_mlm(const std::string& dir, uint64_t seed);
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
  // Masked LM, evaluation mode: the loss of batch.mlm_labels, no gradients.
  double mlm_loss(const TrainBatch& batch);
  void zero_grad();
  // For input gradients only (explanations): freezes every parameter and frees the gradient
  // buffers, halving the memory; training calls are unusable afterwards.
  void release_gradients();
  // Overrides the config's dropout probabilities (hidden, attention, classifier head).
  void set_dropout(double hidden, double attention, double classifier);

  // Hugging Face folder: config.json and model.safetensors (F32; the MLM projector's weight is
  // tied to the word embeddings and not stored, as transformers saves it).
  void save(const std::string& dir) const;
  std::string architecture() const {
    return task_ == Task::kMaskedLM ? "DistilBertForMaskedLM" : "DistilBertForSequenceClassification";
  }

 private:
  TrainableDistilBert(DistilBertConfig config, Task task);
  void add_param(const std::string& name, Tensor value, bool decay);
  void index_params();
  double run(const TrainBatch& batch, bool train, uint64_t seed, const std::vector<float>* prefix,
             std::vector<float>* logits_out, int64_t stop_before_layer = -1, std::vector<float>* hidden_out = nullptr,
             std::vector<float>* input_grad = nullptr);

  DistilBertConfig config_;
  Task task_;
  std::vector<Param> params_;
  bool frozen_embeddings_ = false;
  std::vector<bool> frozen_layers_;
  // Indices into params_ by role.
  struct LayerIdx { size_t q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b, ln1_w, ln1_b, l1_w, l1_b, l2_w, l2_b, ln2_w, ln2_b; };
  size_t word_, pos_, emb_ln_w_, emb_ln_b_;
  size_t pre_w_ = 0, pre_b_ = 0, cls_w_ = 0, cls_b_ = 0;                     // classification head
  size_t vt_w_ = 0, vt_b_ = 0, vln_w_ = 0, vln_b_ = 0, vproj_b_ = 0;         // masked-LM head
  std::vector<LayerIdx> layer_idx_;
};

}  // namespace senti::model
