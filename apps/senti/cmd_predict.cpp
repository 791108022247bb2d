// `senti predict`: texts in, one JSON line per text out, in input order, shaped like the
// Hugging Face text-classification pipeline: [{"label": "POSITIVE", "score": 0.998}].
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "input.h"
#include "senti/classifier.h"
#include "util/error.h"
#include "util/log.h"
#include "util/progress.h"

namespace senti::cli {

namespace {
struct PredictArgs {
  CommonOptions common;
  ModelOptions model;
  std::vector<std::string> texts;
  std::string file;
  std::string top_k = "1";
  size_t batch_size = 32;
  bool progress = true;
};

std::string result_json(const std::vector<LabelScore>& r) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& ls : r) j.push_back({{"label", ls.label}, {"score", ls.score}});
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int run(PredictArgs& a) {
  const int threads = apply_common_options(a.common);
  ClassifyOptions opts = a.model.classify_options();
  if (a.top_k == "all") opts.top_k = -1;
  else {
    try {
      size_t used = 0;
      int k = std::stoi(a.top_k, &used);
      if (used != a.top_k.size() || k < 1) throw std::invalid_argument("");
      opts.top_k = k;
    } catch (const std::exception&) {
      fail(ErrorCode::kInvalidArgument, "--top-k must be a positive integer or 'all', got '" + a.top_k + "'");
    }
  }
  if (a.batch_size == 0) fail(ErrorCode::kInvalidArgument, "--batch-size must be at least 1");
  auto t0 = std::chrono::steady_clock::now();
  auto clf = Classifier::load(a.model.resolve_model_dir(), a.model.load_options(threads));
  log::debug("loaded " + clf->info().path + " in " +
             std::to_string(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()) + " s");

  auto emit = [&](const std::vector<std::string>& texts) {
    for (size_t b = 0; b < texts.size(); b += a.batch_size) {
      std::vector<std::string_view> views(texts.begin() + b, texts.begin() + std::min(texts.size(), b + a.batch_size));
      for (const auto& r : clf->classify(views, opts)) {
        std::string line = result_json(r);
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), stdout);
      }
    }
  };
  size_t count = 0;
  if (!a.texts.empty()) {
    emit(a.texts);
    count = a.texts.size();
  } else {
    TextReader reader(a.file);
    Progress progress("predict", reader.total_bytes(), "bytes", a.progress && !a.common.quiet && reader.total_bytes() > 0);
    std::vector<std::string> chunk;
    auto start = std::chrono::steady_clock::now();
    uint64_t last_bytes = 0;
    while (chunk.clear(), reader.next_chunk(chunk, a.batch_size * 8)) {
      emit(chunk);
      count += chunk.size();
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      char buf[64];
      std::snprintf(buf, sizeof buf, "%zu texts, %.1f texts/s", count, s > 0 ? count / s : 0.0);
      progress.set_suffix(buf);
      progress.add(reader.bytes_read() - last_bytes);
      last_bytes = reader.bytes_read();
    }
    progress.finish();
  }
  if (std::fflush(stdout) != 0) fail(ErrorCode::kIo, "cannot write to stdout");
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  log::debug("classified " + std::to_string(count) + " texts; peak RSS " + std::to_string(ru.ru_maxrss / 1024) + " MB");
  return kExitOk;
}
}  // namespace

Action register_predict(CLI::App& app) {
  auto a = std::make_shared<PredictArgs>();
  CLI::App* cmd = app.add_subcommand("predict", "Classify texts; prints one JSON line per text, in input order, as "
                                                "the Hugging Face pipeline does: [{\"label\": ..., \"score\": ...}]");
  cmd->add_option("texts", a->texts, "Texts to classify (default: read --file or stdin, one per line or JSONL {\"text\": ...})");
  cmd->add_option("-f,--file", a->file, "Read texts from this file ('-' = stdin)");
  add_model_options(*cmd, a->model);
  cmd->add_option("--top-k", a->top_k, "Labels per text, best first: a number or 'all'")->capture_default_str();
  cmd->add_option("-b,--batch-size", a->batch_size, "Texts per forward pass")->capture_default_str();
  cmd->add_flag("!--no-progress", a->progress, "No progress bar on stderr when reading a file");
  add_common_options(*cmd, a->common);
  return [a] { return run(*a); };
}

}  // namespace senti::cli
