// DistilBertConfig: the fields of a Hugging Face DistilBERT config.json that senti uses, parsed
// with the aliases transformers accepts (hidden_size = dim, num_attention_heads = n_heads,
// num_hidden_layers = n_layers, intermediate_size = hidden_dim), validated, and written back.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace senti::model {

enum class Activation { kGeluErf, kGeluTanh, kRelu };

struct DistilBertConfig {
  int64_t vocab_size = 30522;
  int64_t max_position_embeddings = 512;
  bool sinusoidal_pos_embds = false;
  int64_t n_layers = 6;
  int64_t n_heads = 12;
  int64_t dim = 768;
  int64_t hidden_dim = 3072;
  double dropout = 0.1;
  double attention_dropout = 0.1;
  double seq_classif_dropout = 0.2;
  double qa_dropout = 0.1;
  double initializer_range = 0.02;
  Activation activation = Activation::kGeluErf;
  std::string activation_name = "gelu";
  int64_t pad_token_id = 0;
  std::vector<std::string> id2label = {"LABEL_0", "LABEL_1"};
  std::vector<std::string> architectures;
  std::string problem_type;  // "", single_label_classification, multi_label_classification, regression

  int64_t num_labels() const { return static_cast<int64_t>(id2label.size()); }
  int64_t head_dim() const { return dim / n_heads; }
  bool is_masked_lm() const;

  static DistilBertConfig from_json(const std::string& text, const std::string& origin);
  static DistilBertConfig from_file(const std::string& path);
  // config.json as transformers writes it for `architecture`.
  std::string to_json(const std::string& architecture) const;
};

}  // namespace senti::model
