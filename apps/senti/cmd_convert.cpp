// `senti convert`: rewrites a checkpoint folder's model.safetensors in another dtype (F16 and
// BF16 halve the file) and copies the other files (config, tokenizer, model card) beside it.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "io/safetensors.h"
#include "util/error.h"
#include "util/file.h"
#include "util/log.h"

namespace senti::cli {

Action register_convert(CLI::App& app) {
  struct Args {
    CommonOptions common;
    std::string in, out, dtype = "f16";
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("convert", "Write a checkpoint folder's weights in another dtype (f16, bf16 or f32), "
                                                "copying config and tokenizer files");
  cmd->add_option("-m,--model", a->in, "Checkpoint folder to read")->required();
  cmd->add_option("-o,--out", a->out, "Folder to write (created; must differ from --model)")->required();
  cmd->add_option("--dtype", a->dtype, "Stored dtype of the weights")->check(CLI::IsMember({"f16", "bf16", "f32"}))->capture_default_str();
  add_common_options(*cmd, a->common);
  return [a] {
    namespace fs = std::filesystem;
    apply_common_options(a->common);
    if (fs::exists(a->out) && fs::equivalent(a->in, a->out))
      fail(ErrorCode::kInvalidArgument, "--out must be another folder than --model");
    auto file = io::SafetensorsFile::open(a->in + "/model.safetensors");
    std::vector<Tensor> store;
    store.reserve(file->tensors().size());
    std::vector<io::NamedTensor> named;
    for (const auto& [name, entry] : file->tensors()) store.push_back(file->load_f32(name, entry.shape));
    size_t i = 0;
    for (const auto& [name, entry] : file->tensors()) named.push_back({name, &store[i++]});
    fs::create_directories(a->out);
    const io::SafeDType dtype = a->dtype == "f16" ? io::SafeDType::kF16 : a->dtype == "bf16" ? io::SafeDType::kBF16
                                                                                            : io::SafeDType::kF32;
    io::write_safetensors(a->out + "/model.safetensors", named, dtype);
    for (const auto& entry : fs::directory_iterator(a->in)) {
      const std::string name = entry.path().filename().string();
      if (!entry.is_regular_file() || name == "model.safetensors") continue;
      if (name.ends_with(".json") || name.ends_with(".txt") || name.ends_with(".md"))
        write_file_atomic(a->out + "/" + name, read_file(entry.path().string()));
    }
    // config.json records the stored dtype, as transformers writes it (torch_dtype).
    if (fs::exists(a->out + "/config.json")) {
      auto config = nlohmann::ordered_json::parse(read_file(a->out + "/config.json"), nullptr, false);
      if (config.is_discarded() || !config.is_object())
        fail(ErrorCode::kParse, a->in + "/config.json: not a JSON object");
      config["torch_dtype"] = a->dtype == "f16" ? "float16" : a->dtype == "bf16" ? "bfloat16" : "float32";
      write_file_atomic(a->out + "/config.json", config.dump(2) + "\n");
    }
    log::info("wrote " + a->out + "/model.safetensors (" + a->dtype + ", " + std::to_string(named.size()) + " tensors, " +
              std::to_string(fs::file_size(a->out + "/model.safetensors") / 1024) + " KiB)");
    return kExitOk;
  };
}

}  // namespace senti::cli
