#include "cli.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "train/ranks.h"
#include "util/error.h"
#include "util/log.h"
#include "util/thread_pool.h"

namespace senti::cli {

void add_common_options(CLI::App& cmd, CommonOptions& common) {
  cmd.add_option("-t,--threads", common.threads,
                 "Worker threads (default: $SENTI_THREADS, else all hardware threads)")
      ->check(CLI::Range(1, 1024));
  cmd.add_flag("-q,--quiet", common.quiet, "Only print errors on stderr");
  cmd.add_flag("-v,--verbose", common.verbose, "Print debug logs on stderr");
}

void add_model_options(CLI::App& cmd, ModelOptions& m, bool reading_only) {
  cmd.add_option("-m,--model", m.model_dir,
                 "Model folder in Hugging Face layout (config.json, model.safetensors, vocab.txt or tokenizer.json); "
                 "default: $SENTI_MODEL, else the default model (models/default)");
  if (!reading_only) {
    cmd.add_option("--function-to-apply", m.function, "Scores from logits: default (softmax, or sigmoid for one label "
                                                      "or multi-label models), softmax, sigmoid, none (raw logits)")
        ->check(CLI::IsMember({"default", "softmax", "sigmoid", "none"}))
        ->capture_default_str();
  }
  cmd.add_option("--truncation", m.truncation, "Tokens kept from long texts: head, tail, head+tail")
      ->check(CLI::IsMember({"head", "tail", "head+tail"}))
      ->capture_default_str();
  cmd.add_option("--max-length", m.max_length, "Tokens per text incl. [CLS]/[SEP] (0 = the model's maximum)")
      ->capture_default_str();
  cmd.add_option("--head-tokens", m.head_tokens, "head+tail: tokens kept from the start (0 = 128/510 of the budget)")
      ->capture_default_str();
  if (reading_only) return;
  cmd.add_option("--window", m.window, "Sliding window over long texts, in tokens (0 = off; logits averaged)")
      ->capture_default_str();
  cmd.add_option("--stride", m.stride, "Tokens shared by consecutive windows")->capture_default_str();
  cmd.add_option("--dtype", m.dtype,
                 "Compute type of the linear layers, chosen at load: f32, bf16 (1.5-1.9x f32's speed measured on an "
                 "AVX512-BF16 CPU), int8 (weights per channel, activations per token; 1.6-3.2x with VNNI), auto (the "
                 "fastest this CPU runs natively). Without AVX-512, bf16 runs as f32. The model file is unchanged; see README, --dtype")
      ->check(CLI::IsMember({"f32", "bf16", "int8", "auto"}))
      ->capture_default_str();
}

ClassifyOptions ModelOptions::classify_options() const {
  ClassifyOptions o;
  o.max_length = max_length;
  o.truncation = truncation == "head" ? Truncation::kHead : truncation == "tail" ? Truncation::kTail : Truncation::kHeadTail;
  o.head_tokens = head_tokens;
  o.window = window;
  o.stride = stride;
  o.function = function == "softmax" ? ScoreFunction::kSoftmax
               : function == "sigmoid" ? ScoreFunction::kSigmoid
               : function == "none"    ? ScoreFunction::kNone
                                       : ScoreFunction::kDefault;
  return o;
}

std::string default_model_dir() {
  // Installed: <prefix>/bin/senti -> <prefix>/share/senti/models/default; in the build tree:
  // the source tree's models/default.
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path().parent_path() / "share/senti/models/default";
    if (std::filesystem::exists(installed / "config.json")) return installed.string();
  }
  return SENTI_DEFAULT_MODEL_DIR;
}

std::string ModelOptions::resolve_model_dir() const {
  if (!model_dir.empty()) return model_dir;
  if (const char* env = std::getenv("SENTI_MODEL"); env && *env) return env;
  const std::string dir = default_model_dir();
  if (!std::filesystem::exists(dir + "/config.json"))
    fail(ErrorCode::kInvalidArgument, "no model given and no default model at " + dir +
                                          ": pass -m MODEL_DIR (a Hugging Face DistilBERT folder) or set SENTI_MODEL");
  return dir;
}

std::optional<double> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  double total = 0;
  size_t i = 0;
  bool any_unit = false;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) ++j;
    if (j == i) return std::nullopt;
    double v = 0;
    try {
      size_t used = 0;
      v = std::stod(text.substr(i, j - i), &used);
      if (used != j - i) return std::nullopt;
    } catch (const std::exception&) {
      return std::nullopt;
    }
    if (j == text.size()) {  // a bare number: seconds, only as the whole text
      if (any_unit) return std::nullopt;
      return v;
    }
    const char unit = text[j];
    if (unit == 'h') v *= 3600;
    else if (unit == 'm') v *= 60;
    else if (unit != 's') return std::nullopt;
    total += v;
    any_unit = true;
    i = j + 1;
  }
  return total;
}

void add_max_time_option(CLI::App& cmd, double& seconds) {
  cmd.add_option_function<std::string>(
         "--max-time",
         [&seconds](const std::string& v) {
           auto d = parse_duration(v);
           if (!d || *d <= 0) throw CLI::ValidationError("--max-time", "expected a duration like 20m, 1h30m or 900s, got '" + v + "'");
           seconds = *d;
         },
         "Stop after this much training (e.g. 20m, 1h30m; the step in progress ends first) with a checkpoint; "
         "continue later with --resume")
      ->type_name("DURATION");
}

int apply_common_options(const CommonOptions& common) {
  if (common.quiet) log::set_level(log::Level::kError);
  if (common.verbose) log::set_level(log::Level::kDebug);
  return resolve_threads(common.threads);
}

int apply_training_options(const CommonOptions& common) {
  const train::Ranks& ranks = train::Ranks::world();
  const int threads = apply_common_options(common);
  if (!ranks.root() && !common.verbose && !common.quiet) log::set_level(log::Level::kWarn);
  const char* env = std::getenv("SENTI_THREADS");
  if (common.threads == 0 && !(env && *env) && ranks.local_size() > 1)
    return std::max(1, threads / ranks.local_size());
  return threads;
}

bool prints_result() { return train::Ranks::world().root(); }

}  // namespace senti::cli
