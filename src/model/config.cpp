#include "model/config.h"

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/file.h"

namespace senti::model {

using nlohmann::json;

namespace {
[[noreturn]] void bad(const std::string& origin, const std::string& field, const std::string& what) {
  fail(ErrorCode::kParse, origin + ": field '" + field + "': " + what);
}

// First present key among `names` (the canonical name, then transformers' aliases).
const json* find_any(const json& j, std::initializer_list<const char*> names, std::string& which) {
  for (const char* n : names) {
    auto it = j.find(n);
    if (it != j.end() && !it->is_null()) {
      which = n;
      return &*it;
    }
  }
  return nullptr;
}

int64_t get_int(const json& j, std::initializer_list<const char*> names, int64_t def, int64_t min,
                const std::string& origin) {
  std::string which;
  const json* v = find_any(j, names, which);
  if (!v) return def;
  if (!v->is_number_integer()) bad(origin, which, "expected an integer");
  int64_t x = v->get<int64_t>();
  if (x < min || x > (int64_t{1} << 31)) bad(origin, which, "value " + std::to_string(x) + " is out of range");
  return x;
}

double get_double(const json& j, const char* name, double def, const std::string& origin) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return def;
  if (!it->is_number()) bad(origin, name, "expected a number");
  return it->get<double>();
}
}  // namespace

bool DistilBertConfig::is_masked_lm() const {
  for (const auto& a : architectures)
    if (a == "DistilBertForMaskedLM") return true;
  return false;
}

DistilBertConfig DistilBertConfig::from_json(const std::string& text, const std::string& origin) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) fail(ErrorCode::kParse, origin + ": not valid JSON");
  if (!j.is_object()) fail(ErrorCode::kParse, origin + ": expected a JSON object");
  DistilBertConfig c;
  if (auto mt = j.find("model_type"); mt != j.end() && mt->is_string() && mt->get<std::string>() != "distilbert")
    fail(ErrorCode::kUnsupported, origin + ": model_type '" + mt->get<std::string>() +
                                      "' is not supported (senti runs DistilBERT checkpoints)");
  c.vocab_size = get_int(j, {"vocab_size"}, c.vocab_size, 1, origin);
  c.max_position_embeddings = get_int(j, {"max_position_embeddings"}, c.max_position_embeddings, 1, origin);
  c.n_layers = get_int(j, {"n_layers", "num_hidden_layers"}, c.n_layers, 0, origin);
  c.n_heads = get_int(j, {"n_heads", "num_attention_heads"}, c.n_heads, 1, origin);
  c.dim = get_int(j, {"dim", "hidden_size"}, c.dim, 1, origin);
  c.hidden_dim = get_int(j, {"hidden_dim", "intermediate_size"}, c.hidden_dim, 1, origin);
  c.pad_token_id = get_int(j, {"pad_token_id"}, c.pad_token_id, 0, origin);
  if (c.dim % c.n_heads != 0)
    bad(origin, "dim", "dim " + std::to_string(c.dim) + " is not divisible by n_heads " + std::to_string(c.n_heads));
  c.dropout = get_double(j, "dropout", c.dropout, origin);
  c.attention_dropout = get_double(j, "attention_dropout", c.attention_dropout, origin);
  c.seq_classif_dropout = get_double(j, "seq_classif_dropout", c.seq_classif_dropout, origin);
  c.qa_dropout = get_double(j, "qa_dropout", c.qa_dropout, origin);
  c.initializer_range = get_double(j, "initializer_range", c.initializer_range, origin);
  for (double p : {c.dropout, c.attention_dropout, c.seq_classif_dropout})
    if (p < 0 || p >= 1) bad(origin, "dropout", "dropout probabilities must be in [0, 1)");
  if (auto s = j.find("sinusoidal_pos_embds"); s != j.end() && !s->is_null()) {
    if (!s->is_boolean()) bad(origin, "sinusoidal_pos_embds", "expected true or false");
    c.sinusoidal_pos_embds = s->get<bool>();
  }
  if (auto a = j.find("activation"); a != j.end() && !a->is_null()) {
    if (!a->is_string()) bad(origin, "activation", "expected a string");
    c.activation_name = a->get<std::string>();
    if (c.activation_name == "gelu") c.activation = Activation::kGeluErf;
    else if (c.activation_name == "gelu_new" || c.activation_name == "gelu_pytorch_tanh")
      c.activation = Activation::kGeluTanh;
    else if (c.activation_name == "relu") c.activation = Activation::kRelu;
    else
      fail(ErrorCode::kUnsupported, origin + ": activation '" + c.activation_name +
                                        "' is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)");
  }
  if (auto a = j.find("architectures"); a != j.end() && a->is_array())
    for (const auto& x : *a)
      if (x.is_string()) c.architectures.push_back(x.get<std::string>());
  if (auto p = j.find("problem_type"); p != j.end() && p->is_string()) c.problem_type = p->get<std::string>();

  // Labels: id2label {"0": "NEGATIVE", ...} must cover 0..n-1; else num_labels; else 2.
  int64_t num_labels = get_int(j, {"num_labels"}, 0, 1, origin);
  if (auto m = j.find("id2label"); m != j.end() && !m->is_null()) {
    if (!m->is_object() || m->empty()) bad(origin, "id2label", "expected a non-empty object {\"0\": label, ...}");
    std::vector<std::string> labels(m->size());
    std::vector<bool> seen(m->size(), false);
    for (auto it = m->begin(); it != m->end(); ++it) {
      size_t idx = 0;
      try {
        size_t used = 0;
        long long v = std::stoll(it.key(), &used);
        if (used != it.key().size() || v < 0) throw std::invalid_argument("");
        idx = static_cast<size_t>(v);
      } catch (const std::exception&) {
        bad(origin, "id2label", "key '" + it.key() + "' is not a label index");
      }
      if (idx >= labels.size() || seen[idx]) bad(origin, "id2label", "label ids must be 0 .. n-1, each once");
      if (!it.value().is_string()) bad(origin, "id2label[" + it.key() + "]", "expected a string");
      seen[idx] = true;
      labels[idx] = it.value().get<std::string>();
    }
    c.id2label = std::move(labels);
    if (num_labels && num_labels != c.num_labels())
      bad(origin, "num_labels", "disagrees with id2label (" + std::to_string(c.num_labels()) + " labels)");
  } else if (num_labels) {
    c.id2label.clear();
    for (int64_t i = 0; i < num_labels; ++i) c.id2label.push_back("LABEL_" + std::to_string(i));
  }
  return c;
}

DistilBertConfig DistilBertConfig::from_file(const std::string& path) { return from_json(read_file(path), path); }

std::string DistilBertConfig::to_json(const std::string& architecture) const {
  nlohmann::ordered_json j;
  j["architectures"] = {architecture};
  j["model_type"] = "distilbert";
  j["activation"] = activation_name;
  j["attention_dropout"] = attention_dropout;
  j["dim"] = dim;
  j["dropout"] = dropout;
  j["hidden_dim"] = hidden_dim;
  j["initializer_range"] = initializer_range;
  j["max_position_embeddings"] = max_position_embeddings;
  j["n_heads"] = n_heads;
  j["n_layers"] = n_layers;
  j["pad_token_id"] = pad_token_id;
  j["qa_dropout"] = qa_dropout;
  j["seq_classif_dropout"] = seq_classif_dropout;
  j["sinusoidal_pos_embds"] = sinusoidal_pos_embds;
  j["tie_weights_"] = true;
  j["vocab_size"] = vocab_size;
  nlohmann::ordered_json id2label_j, label2id_j;
  for (size_t i = 0; i < id2label.size(); ++i) {
    id2label_j[std::to_string(i)] = id2label[i];
    label2id_j[id2label[i]] = i;
  }
  j["id2label"] = id2label_j;
  j["label2id"] = label2id_j;
  if (!problem_type.empty()) j["problem_type"] = problem_type;
  j["torch_dtype"] = "float32";
  return j.dump(2) + "\n";
}

}  // namespace senti::model
