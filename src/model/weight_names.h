// The Hugging Face names of DistilBERT's parameters (transformers' modeling_distilbert.py), in
// one place for the inference model (distilbert.cpp) and the trainable one (trainable.cpp), with
// the short names both use for them: q, k, v (attention's projections), out (its output
// projection), sa_ln (the LayerNorm after attention), ffn1, ffn2 (the feed-forward layers),
// out_ln (the LayerNorm after them). Names only: shapes and loading live with each model.
#pragma once
#include <cstdint>
#include <string>

namespace senti::model::hf_names {

// The encoder's prefix in task models; "" in a bare DistilBertModel.
inline constexpr const char* kTaskPrefix = "distilbert.";

// `prefix`: "distilbert." in task models (…ForSequenceClassification, …ForMaskedLM), "" in a
// bare DistilBertModel (see encoder_prefix in distilbert.h).
struct Embeddings {
  std::string word, position, ln_w, ln_b;
};
Embeddings embeddings(const std::string& prefix);

struct Layer {
  std::string q_w, q_b, k_w, k_b, v_w, v_b, out_w, out_b;
  std::string sa_ln_w, sa_ln_b;
  std::string ffn1_w, ffn1_b, ffn2_w, ffn2_b;
  std::string out_ln_w, out_ln_b;
};
Layer layer(const std::string& prefix, int64_t index);

// Sequence classification head (no prefix).
inline constexpr const char* kPreClassifierW = "pre_classifier.weight";
inline constexpr const char* kPreClassifierB = "pre_classifier.bias";
inline constexpr const char* kClassifierW = "classifier.weight";
inline constexpr const char* kClassifierB = "classifier.bias";
// Masked-LM head (no prefix); vocab_projector.weight is tied to the word embeddings.
inline constexpr const char* kVocabTransformW = "vocab_transform.weight";
inline constexpr const char* kVocabTransformB = "vocab_transform.bias";
inline constexpr const char* kVocabLnW = "vocab_layer_norm.weight";
inline constexpr const char* kVocabLnB = "vocab_layer_norm.bias";
inline constexpr const char* kVocabProjectorB = "vocab_projector.bias";
// Replaced-token-detection head of an ELECTRA-style discriminator (no prefix; the names of
// transformers' ElectraDiscriminatorPredictions): dense -> activation -> dense_prediction (one
// logit per token). DistilBERT task models ignore these tensors.
inline constexpr const char* kRtdDenseW = "discriminator_predictions.dense.weight";
inline constexpr const char* kRtdDenseB = "discriminator_predictions.dense.bias";
inline constexpr const char* kRtdPredictionW = "discriminator_predictions.dense_prediction.weight";
inline constexpr const char* kRtdPredictionB = "discriminator_predictions.dense_prediction.bias";
inline constexpr const char* kRtdPrefix = "discriminator_predictions.";

}  // namespace senti::model::hf_names
