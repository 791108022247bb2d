#include "train/checkpoint.h"

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "io/safetensors.h"
#include "util/error.h"
#include "util/file.h"

namespace senti::train {

namespace fs = std::filesystem;
using nlohmann::json;

void save_weights_and_moments(const std::string& dir, const model::TrainableDistilBert& m, const AdamW& opt) {
  fs::create_directories(dir);
  m.save(dir);
  auto moments = opt.state();
  std::vector<Tensor> store;
  store.reserve(moments.size() * 2);
  for (const auto& st : moments) {
    for (const auto* v : {&st.m, &st.v}) {
      Tensor t({static_cast<int64_t>(v->size())});
      std::memcpy(t.mutable_data(), v->data(), v->size() * sizeof(float));
      store.push_back(std::move(t));
    }
  }
  std::vector<io::NamedTensor> named;
  for (size_t i = 0; i < moments.size(); ++i) {
    named.push_back({"exp_avg." + moments[i].name, &store[2 * i]});
    named.push_back({"exp_avg_sq." + moments[i].name, &store[2 * i + 1]});
  }
  io::write_safetensors(dir + "/optimizer.safetensors", named, io::SafeDType::kF32);
}

void load_weights_and_moments(const std::string& dir, model::TrainableDistilBert& m, AdamW& opt, int64_t optimizer_steps) {
  auto weights = io::SafetensorsFile::open(dir + "/model.safetensors");
  for (auto& p : m.params()) {
    Tensor t = weights->load_f32(p.name, p.value.shape());
    std::memcpy(p.value.mutable_data(), t.data(), sizeof(float) * static_cast<size_t>(t.numel()));
  }
  auto optf = io::SafetensorsFile::open(dir + "/optimizer.safetensors");
  std::vector<AdamW::State> state = opt.state();  // the parameters this optimizer updates, by name
  for (auto& st : state)
    for (int k = 0; k < 2; ++k) {
      auto& v = k == 0 ? st.m : st.v;
      Tensor t = optf->load_f32((k == 0 ? "exp_avg." : "exp_avg_sq.") + st.name, {static_cast<int64_t>(v.size())});
      v.assign(t.data(), t.data() + t.numel());
    }
  opt.restore(state, optimizer_steps);
}

void save_checkpoint(const std::string& dir, const model::TrainableDistilBert& m, const AdamW& opt,
                     const std::string& state_json, const std::function<void(const std::string&)>& extra) {
  json state = json::parse(state_json);
  state["optimizer_steps"] = opt.steps();
  const std::string tmp = dir + ".tmp";
  fs::remove_all(tmp);
  save_weights_and_moments(tmp, m, opt);
  if (extra) extra(tmp);
  write_file_atomic(tmp + "/trainer_state.json", state.dump());
  fs::remove_all(dir);
  fs::rename(tmp, dir);  // the previous checkpoint is replaced only by a complete one
}

std::string load_checkpoint(const std::string& dir, model::TrainableDistilBert& m, AdamW& opt) {
  if (!file_exists(dir + "/trainer_state.json")) return "";
  std::string text = read_file(dir + "/trainer_state.json");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("optimizer_steps") || !j["optimizer_steps"].is_number_integer())
    fail(ErrorCode::kParse, dir + "/trainer_state.json: not a senti checkpoint state (no optimizer_steps)");
  load_weights_and_moments(dir, m, opt, j["optimizer_steps"].get<int64_t>());
  return text;
}

void copy_tokenizer_files(const std::string& from, const std::string& to, size_t max_length) {
  for (const char* f : {"vocab.txt", "tokenizer.json", "special_tokens_map.json"})
    if (file_exists(from + "/" + f)) write_file_atomic(to + "/" + f, read_file(from + "/" + f));
  json tc = json::object();
  if (file_exists(from + "/tokenizer_config.json")) {
    tc = json::parse(read_file(from + "/tokenizer_config.json"), nullptr, false);
    if (tc.is_discarded() || !tc.is_object()) tc = json::object();
  }
  if (!tc.contains("do_lower_case")) tc["do_lower_case"] = true;
  if (!tc.contains("model_max_length")) tc["model_max_length"] = std::max<size_t>(max_length, 512);
  tc["tokenizer_class"] = "DistilBertTokenizer";
  write_file_atomic(to + "/tokenizer_config.json", tc.dump(2) + "\n");
}

uint64_t mix_seed(uint64_t seed, uint64_t n) {
  uint64_t z = seed ^ (0x9e3779b97f4a7c15ull * (n + 1));
  z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ull;
  return z ^ (z >> 29);
}

}  // namespace senti::train
