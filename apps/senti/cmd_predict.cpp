// `senti predict`: texts in, one JSON line per text out, in input order, shaped like the
// Hugging Face text-classification pipeline: [{"label": "POSITIVE", "score": 0.998}]. An empty
// text is a usage error on the command line; in a stream its line — or a malformed JSONL line —
// is answered with an error object ({"error": ..., "error_type": "Validation"}, as the HTTP API
// words it) in its place, so output line N always answers input line N (pipes, Spark, parallel).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "input.h"
#include "senti/classifier.h"
#include "util/error.h"
#include "util/log.h"
#include "util/number_format.h"
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
  bool no_progress = false;
};

// Written by hand rather than by nlohmann::json::dump, whose numbers are not always the shortest
// that read back: scores come out as Python's json.dumps writes them, byte for byte.
std::string result_json(const std::vector<LabelScore>& r) {
  std::string out = "[";
  for (const auto& ls : r) {
    if (out.size() > 1) out += ",";
    out += "{\"label\":" + nlohmann::json(ls.label).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
           ",\"score\":" + python_float_repr(ls.score) + "}";
  }
  return out + "]";
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

  // Classifies `texts` in batches and prints one line each; a blank text (streams only: the
  // command line refuses them up front) gets an error line, numbered from `first_line`.
  size_t blank = 0;
  auto emit = [&](const std::vector<std::string>& texts, uint64_t first_line, const std::vector<std::string>* errors) {
    std::vector<std::string_view> views;
    std::vector<bool> is_empty(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      is_empty[i] = is_blank(texts[i]) || (errors && !(*errors)[i].empty());
      if (!is_empty[i]) views.push_back(texts[i]);
    }
    std::vector<std::vector<LabelScore>> results;
    for (size_t b = 0; b < views.size(); b += a.batch_size) {
      std::vector<std::string_view> batch(views.begin() + static_cast<long>(b),
                                          views.begin() + static_cast<long>(std::min(views.size(), b + a.batch_size)));
      for (auto& r : clf->classify(batch, opts)) results.push_back(std::move(r));
    }
    size_t k = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      std::string line;
      if (is_empty[i]) {
        ++blank;
        const bool malformed = errors && !(*errors)[i].empty();
        line = nlohmann::json{{"error", malformed ? (*errors)[i]
                                                  : "line " + std::to_string(first_line + i) + ": empty text (nothing to classify)"},
                              {"error_type", "Validation"}}
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      } else {
        line = result_json(results[k++]);
      }
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), stdout);
    }
  };
  size_t count = 0;
  const bool progress_on = !a.no_progress && !a.common.quiet;
  if (!a.texts.empty()) {
    for (size_t i = 0; i < a.texts.size(); ++i)
      if (is_blank(a.texts[i]))
        fail(ErrorCode::kInvalidArgument, "text " + std::to_string(i + 1) + " of " + std::to_string(a.texts.size()) +
                                              " is empty or only whitespace: there is nothing to classify");
    emit(a.texts, 1, nullptr);
    count = a.texts.size();
  } else {
    TextReader reader(a.file);
    if (reader.interactive() && !a.common.quiet)
      std::fputs("senti: reading texts from stdin, one per line (Ctrl+D to end)\n", stderr);
    // Progress in texts: a bar when the file's line count is known, a running count otherwise.
    const uint64_t total = progress_on ? reader.total_lines() : 0;  // counting reads the file once more
    Progress progress("predict", total, "texts", progress_on && total > 0);
    std::vector<std::string> chunk, errors;
    while (chunk.clear(), errors.clear(), reader.next_chunk(chunk, a.batch_size * 8, &errors)) {
      emit(chunk, reader.lines_read() - chunk.size() + 1, &errors);
      count += chunk.size();
      progress.add(chunk.size());
    }
    progress.finish();
    if (blank) log::warn(std::to_string(blank) + " empty or malformed line(s) answered with an error object in their place");
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
  cmd->add_flag("--no-progress", a->no_progress, "No progress bar on stderr when reading a file");
  add_common_options(*cmd, a->common);
  return [a] { return run(*a); };
}

}  // namespace senti::cli
