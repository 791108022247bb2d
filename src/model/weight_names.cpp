#include "model/weight_names.h"

namespace senti::model::hf_names {

Embeddings embeddings(const std::string& prefix) {
  const std::string e = prefix + "embeddings.";
  return {e + "word_embeddings.weight", e + "position_embeddings.weight", e + "LayerNorm.weight", e + "LayerNorm.bias"};
}

Layer layer(const std::string& prefix, int64_t index) {
  const std::string l = prefix + "transformer.layer." + std::to_string(index) + ".";
  const std::string a = l + "attention.";
  return {a + "q_lin.weight",           a + "q_lin.bias",           a + "k_lin.weight",        a + "k_lin.bias",
          a + "v_lin.weight",           a + "v_lin.bias",           a + "out_lin.weight",      a + "out_lin.bias",
          l + "sa_layer_norm.weight",   l + "sa_layer_norm.bias",   l + "ffn.lin1.weight",     l + "ffn.lin1.bias",
          l + "ffn.lin2.weight",        l + "ffn.lin2.bias",        l + "output_layer_norm.weight",
          l + "output_layer_norm.bias"};
}

}  // namespace senti::model::hf_names
