// DistilBERT forward pass for inference: embeddings, post-LN transformer blocks, and the two
// heads Hugging Face defines on top (sequence classification: [CLS] -> pre_classifier -> ReLU
// -> classifier; masked LM: vocab_transform -> activation -> vocab_layer_norm -> projector tied
// to the word embeddings). Weights load under Hugging Face's names from model.safetensors.
// Batches are packed: sequences of different lengths are concatenated with no padding, so
// dense layers never compute on padding and attention never crosses sequences.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "kernels/attention.h"
#include "kernels/linear.h"
#include "model/config.h"
#include "tensor/tensor.h"

namespace senti::model {

// Reusable activation buffers, grown on demand and kept between calls (first touches of fresh
// pages are expensive on these machines).
struct Workspace {
  FloatBuffer x, qkv, ctx, hidden, cls, pre, logits, mlm, q, kv;
  std::vector<int32_t> ids, positions;
  std::vector<kernels::SequenceSpan> seqs;
};

// The compute type of each kind of linear layer (all the same unless a measurement of per-layer
// sensitivity asks otherwise; see bench/model_bench.cpp).
struct LayerComputeTypes {
  kernels::ComputeType qkv = kernels::ComputeType::kF32, attention_out = kernels::ComputeType::kF32,
                       ffn1 = kernels::ComputeType::kF32, ffn2 = kernels::ComputeType::kF32,
                       pre_classifier = kernels::ComputeType::kF32;
  kernels::ComputeType attention = kernels::ComputeType::kF32;  // the score and context products: f32 or bf16
  static LayerComputeTypes all(kernels::ComputeType t) { return {t, t, t, t, t, t}; }
};

class DistilBert {
 public:
  // Loads config.json and model.safetensors from a checkpoint folder.
  static std::unique_ptr<DistilBert> load(const std::string& dir,
                                          kernels::ComputeType type = kernels::ComputeType::kF32);
  DistilBert(DistilBertConfig config, const io::SafetensorsFile& weights,
             kernels::ComputeType type = kernels::ComputeType::kF32);
  DistilBert(DistilBertConfig config, const io::SafetensorsFile& weights, const LayerComputeTypes& types);

  const DistilBertConfig& config() const { return config_; }
  bool has_classifier() const { return has_classifier_; }
  bool has_mlm_head() const { return has_mlm_; }
  int64_t num_parameters() const { return num_parameters_; }
  // dtype of the weights as stored in model.safetensors ("F32", "BF16", ...).
  const std::string& weights_dtype() const { return weights_dtype_; }
  kernels::ComputeType compute_type() const { return types_.ffn1; }
  // Bytes the weights take in memory as loaded (packed linear layers, embeddings, norms).
  int64_t weight_bytes() const;

  // Runs the encoder on a packed batch; returns the last hidden states, (tokens, dim), valid
  // until the next call with the same workspace. Each sequence must fit max_position_embeddings.
  const float* encode(const std::vector<std::vector<int32_t>>& sequences, Workspace& ws) const;
  // Embeddings and the first `layers` transformer layers only.
  const float* encode_layers(const std::vector<std::vector<int32_t>>& sequences, Workspace& ws, int64_t layers) const;
  // Classifier logits, (sequences, num_labels), row-major.
  std::vector<float> classify(const std::vector<std::vector<int32_t>>& sequences, Workspace& ws) const;
  // Masked-LM logits for every token, (tokens, vocab_size), after encode().
  const float* mlm_logits(Workspace& ws) const;

 private:
  struct Layer {
    kernels::Linear qkv, out, ffn1, ffn2;  // short names as in model/weight_names.h
    // The last layer of a classifier keeps Q apart from K, V: classify() needs the query of
    // the [CLS] token only (see classify), encode() still computes every row.
    bool split_q = false;
    kernels::Linear q, kv;
    Tensor sa_ln_w, sa_ln_b, out_ln_w, out_ln_b;
  };
  void run_layer(const Layer& l, int64_t tokens, Workspace& ws) const;

  DistilBertConfig config_;
  Tensor word_embeddings_, position_embeddings_, emb_ln_w_, emb_ln_b_;
  std::vector<Layer> layers_;
  bool has_classifier_ = false, has_mlm_ = false;
  kernels::Linear pre_classifier_, classifier_;
  kernels::Linear vocab_transform_, vocab_projector_;
  Tensor vocab_ln_w_, vocab_ln_b_;
  int64_t num_parameters_ = 0;
  std::string weights_dtype_ = "F32";
  LayerComputeTypes types_;
};

// The prefix under which a checkpoint stores the encoder: "distilbert." for task models, ""
// for a bare DistilBertModel.
std::string encoder_prefix(const io::SafetensorsFile& weights);
// After loading: fails (kParse) when the file holds encoder tensors the config does not account
// for (more layers than n_layers, say), naming them. Task heads a load leaves out on purpose
// (an MLM head under a classifier, a classifier head being replaced) and position_ids are fine.
void check_no_unused_encoder_tensors(const io::SafetensorsFile& weights, const DistilBertConfig& config);

}  // namespace senti::model
