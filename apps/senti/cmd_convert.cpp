// `senti convert`: rewrites a checkpoint folder's model.safetensors in another dtype (F16 and
// BF16 halve the file) and copies the other files (config, tokenizer, model card) beside it.
// Given several folders of one architecture and tokenizer (fine-tuned from the same start), it
// writes their weights' mean: a uniform "model soup" (Wortsman et al., ICML 2022). It does not
// check that averaging them makes sense beyond equal configs, vocabularies and tensor shapes.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "io/safetensors.h"
#include "util/error.h"
#include "util/file.h"
#include "util/log.h"

namespace senti::cli {

namespace {
namespace fs = std::filesystem;

// A folder's config.json without the stored dtype (the weights' dtype may differ between models).
nlohmann::json config_of(const std::string& dir) {
  const std::string path = dir + "/config.json";
  if (!fs::exists(path)) return nlohmann::json();
  auto config = nlohmann::json::parse(read_file(path), nullptr, false);
  if (config.is_discarded() || !config.is_object()) fail(ErrorCode::kParse, path + ": not a JSON object");
  config.erase("torch_dtype");
  return config;
}

// Models to average must share the architecture and the tokenizer, else their mean means nothing.
void check_same_model(const std::string& first, const std::string& other) {
  if (config_of(first) != config_of(other))
    fail(ErrorCode::kInvalidArgument, other + "/config.json differs from " + first +
                                          "/config.json (other than torch_dtype): models to average must share the architecture");
  for (const char* name : {"vocab.txt", "tokenizer.json"}) {
    const bool a = fs::exists(first + "/" + name), b = fs::exists(other + "/" + name);
    if (a != b || (a && read_file(first + "/" + name) != read_file(other + "/" + name)))
      fail(ErrorCode::kInvalidArgument, other + "/" + name + " differs from " + first + "/" + name +
                                            ": models to average must share the tokenizer");
  }
}

// Adds another model's weights to `sum` (in the first file's tensor order), checking that it has
// exactly the same tensors with the same shapes.
void add_weights(const std::string& dir, const io::SafetensorsFile& first, std::vector<Tensor>& sum) {
  auto file = io::SafetensorsFile::open(dir + "/model.safetensors");
  if (file->tensors().size() != first.tensors().size())
    fail(ErrorCode::kInvalidArgument, dir + "/model.safetensors holds " + std::to_string(file->tensors().size()) +
                                          " tensors, the first model " + std::to_string(first.tensors().size()));
  size_t i = 0;
  for (const auto& [name, entry] : first.tensors()) {
    if (!file->tensors().count(name))
      fail(ErrorCode::kInvalidArgument, dir + "/model.safetensors: no tensor '" + name + "', which the first model has");
    const Tensor t = file->load_f32(name, entry.shape);  // fails naming the tensor on another shape
    float* s = sum[i++].mutable_data();
    for (int64_t k = 0; k < t.numel(); ++k) s[k] += t.data()[k];
  }
}
}  // namespace

Action register_convert(CLI::App& app) {
  struct Args {
    CommonOptions common;
    std::vector<std::string> in;
    std::string out, dtype = "f16";
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("convert", "Write a checkpoint folder's weights in another dtype (f16, bf16 or f32), "
                                                "copying config and tokenizer files; or the mean of several folders' weights");
  cmd->add_option("-m,--model", a->in,
                  "Checkpoint folder to read; repeat it to average several (same config, vocabulary and tensors: "
                  "a uniform model soup; the other files come from the first)")
      ->required();
  cmd->add_option("-o,--out", a->out, "Folder to write (created; must differ from every --model)")->required();
  cmd->add_option("--dtype", a->dtype, "Stored dtype of the weights")->check(CLI::IsMember({"f16", "bf16", "f32"}))->capture_default_str();
  add_common_options(*cmd, a->common);
  return [a] {
    apply_common_options(a->common);
    for (const auto& in : a->in)
      if (fs::exists(a->out) && fs::exists(in) && fs::equivalent(in, a->out))
        fail(ErrorCode::kInvalidArgument, "--out must be another folder than --model " + in);
    const std::string& first = a->in.front();
    for (size_t m = 1; m < a->in.size(); ++m) check_same_model(first, a->in[m]);
    auto file = io::SafetensorsFile::open(first + "/model.safetensors");
    std::vector<Tensor> store;
    store.reserve(file->tensors().size());
    std::vector<io::NamedTensor> named;
    for (const auto& [name, entry] : file->tensors()) store.push_back(file->load_f32(name, entry.shape));
    for (size_t m = 1; m < a->in.size(); ++m) add_weights(a->in[m], *file, store);
    if (a->in.size() > 1)
      for (Tensor& t : store) {
        float* v = t.mutable_data();
        for (int64_t k = 0; k < t.numel(); ++k) v[k] /= static_cast<float>(a->in.size());
      }
    size_t i = 0;
    for (const auto& [name, entry] : file->tensors()) named.push_back({name, &store[i++]});
    fs::create_directories(a->out);
    const io::SafeDType dtype = a->dtype == "f16" ? io::SafeDType::kF16 : a->dtype == "bf16" ? io::SafeDType::kBF16
                                                                                            : io::SafeDType::kF32;
    io::write_safetensors(a->out + "/model.safetensors", named, dtype);
    for (const auto& entry : fs::directory_iterator(first)) {
      const std::string name = entry.path().filename().string();
      if (!entry.is_regular_file() || name == "model.safetensors") continue;
      if (name.ends_with(".json") || name.ends_with(".txt") || name.ends_with(".md"))
        write_file_atomic(a->out + "/" + name, read_file(entry.path().string()));
    }
    // config.json records the stored dtype, as transformers writes it (torch_dtype).
    if (fs::exists(a->out + "/config.json")) {
      auto config = nlohmann::ordered_json::parse(read_file(a->out + "/config.json"), nullptr, false);
      if (config.is_discarded() || !config.is_object())
        fail(ErrorCode::kParse, first + "/config.json: not a JSON object");
      config["torch_dtype"] = a->dtype == "f16" ? "float16" : a->dtype == "bf16" ? "bfloat16" : "float32";
      write_file_atomic(a->out + "/config.json", config.dump(2) + "\n");
    }
    log::info("wrote " + a->out + "/model.safetensors (" + a->dtype + ", " + std::to_string(named.size()) + " tensors, " +
              std::to_string(fs::file_size(a->out + "/model.safetensors") / 1024) + " KiB" +
              (a->in.size() > 1 ? ", the mean of " + std::to_string(a->in.size()) + " models" : std::string()) + ")");
    return kExitOk;
  };
}

}  // namespace senti::cli
