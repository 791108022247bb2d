// `senti explain`: which words made the model decide. Prints each text with its words coloured
// on a terminal (green supports the explained label, red goes against it) and a line with the
// strongest words; with --json, one JSON object per text (serve/api.h's explanation_json).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cctype>
#include <cstdio>

#include "cli.h"
#include "input.h"
#include "senti/explainer.h"
#include "serve/api.h"
#include "util/error.h"

namespace senti::cli {

namespace {
struct ExplainArgs {
  CommonOptions common;
  ModelOptions model;
  std::vector<std::string> texts;
  std::string file;
  std::string method = "ig";
  int steps = 32;
  double tolerance = 0.02;
  int max_steps = 256;
  std::string label;
  bool json = false;
  std::string color = "auto";
  size_t top = 5;
};

void write_out(const std::string& s) {
  if (std::fwrite(s.data(), 1, s.size(), stdout) != s.size()) fail(ErrorCode::kIo, "cannot write to stdout");
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// ANSI colour for a score relative to the largest magnitude: bold for strong, plain for
// moderate, none for weak (below 15 % of the strongest).
const char* colour(float score, float max_abs) {
  if (max_abs <= 0) return nullptr;
  const float r = score / max_abs;
  if (r >= 0.5f) return "\033[1;32m";
  if (r >= 0.15f) return "\033[32m";
  if (r <= -0.5f) return "\033[1;31m";
  if (r <= -0.15f) return "\033[31m";
  return nullptr;
}

std::string render_text(std::string_view text, const Explanation& e, bool use_colour) {
  float max_abs = 0;
  for (const auto& w : e.words) max_abs = std::max(max_abs, std::abs(w.score));
  std::string out;
  size_t pos = 0;
  for (const auto& w : e.words) {
    out.append(text.substr(pos, w.byte_start - pos));
    const char* c = use_colour ? colour(w.score, max_abs) : nullptr;
    if (c) out += c;
    out.append(text.substr(w.byte_start, w.byte_end - w.byte_start));
    if (c) out += "\033[0m";
    pos = w.byte_end;
  }
  out.append(text.substr(pos));
  return out;
}

std::string summary(const Explanation& e, size_t top) {
  std::string how = "leave one word out";
  if (e.method == ExplainMethod::kGradientTimesInput) how = "gradient x input";
  if (e.method == ExplainMethod::kIntegratedGradients) {
    const double gap = std::abs(e.delta) / std::max(1e-12, std::abs(e.log_odds - e.baseline_log_odds));
    how = "integrated gradients, " + std::to_string(e.steps) + " steps, completeness gap " + fmt("%.2f %%", 100 * gap);
  }
  std::string s = e.label + " " + fmt("%.4f", e.score) + "  (" + how + "; word scores in log-odds)\n";
  if (e.label != e.predicted) s += "(the model predicts " + e.predicted + ")\n";
  s += "with no words read: " + e.label + " " + fmt("%.1f %%", 100.0 * e.baseline_score) + "; the words move it to " +
       fmt("%.1f %%", 100.0 * e.score) + "\n";
  // Punctuation keeps its score in the text above but is not listed as a word.
  auto is_word = [](const std::string& w) {
    for (unsigned char c : w)
      if (std::isalnum(c) || c >= 0x80) return true;
    return false;
  };
  std::vector<const WordAttribution*> order;
  for (const auto& w : e.words)
    if (is_word(w.word)) order.push_back(&w);
  auto strongest = [&](bool positive) {
    std::vector<const WordAttribution*> v;
    for (auto* w : order)
      if (positive ? w->score > 0 : w->score < 0) v.push_back(w);
    std::stable_sort(v.begin(), v.end(), [](auto* a, auto* b) { return std::abs(a->score) > std::abs(b->score); });
    std::string line;
    for (size_t i = 0; i < std::min(top, v.size()); ++i)
      line += (i ? ", " : "") + v[i]->word + " (" + fmt("%+.2f", v[i]->score) + ")";
    return line.empty() ? std::string("-") : line;
  };
  if (top > 0) {
    s += "for " + e.label + ": " + strongest(true) + "\n";
    s += "against: " + strongest(false) + "\n";
  }
  if (e.truncated > 0) s += "(" + std::to_string(e.truncated) + " tokens in the middle were not read: truncation)\n";
  return s;
}

int run(ExplainArgs& a) {
  const int threads = apply_common_options(a.common);
  ExplainOptions o;
  const auto method = parse_explain_method(a.method);
  if (!method) fail(ErrorCode::kInvalidArgument, "--method must be ig, gxi or occlusion, got '" + a.method + "'");
  o.method = *method;
  const ClassifyOptions co = a.model.classify_options();
  o.steps = a.steps;
  o.tolerance = a.tolerance;
  o.max_steps = a.max_steps;
  o.label = a.label;
  static_cast<ReadOptions&>(o) = co;  // read as predict reads (its flags: truncation and length only)
  bool use_colour = a.color == "always";
  if (a.color == "auto") use_colour = isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
  auto explainer = Explainer::load(a.model.resolve_model_dir(), {threads});
  auto one = [&](const std::string& text, bool first) {
    Explanation e = explainer->explain(text, o);
    if (a.json) return write_out(serve::explanation_json(e) + "\n");
    write_out((first ? "" : "\n") + render_text(text, e, use_colour) + "\n" + summary(e, a.top));
  };
  bool first = true;
  if (!a.texts.empty()) {
    for (const auto& t : a.texts) one(t, std::exchange(first, false));
  } else {
    TextReader reader(a.file);
    std::vector<std::string> chunk;
    while (chunk.clear(), reader.next_chunk(chunk, 16))
      for (const auto& t : chunk) one(t, std::exchange(first, false));
  }
  if (std::fflush(stdout) != 0) fail(ErrorCode::kIo, "cannot write to stdout");
  return kExitOk;
}
}  // namespace

Action register_explain(CLI::App& app) {
  auto a = std::make_shared<ExplainArgs>();
  CLI::App* cmd = app.add_subcommand("explain", "Show which words made the model decide: word attributions for the "
                                                "predicted label (or --label), coloured on a terminal or as JSON");
  cmd->add_option("texts", a->texts, "Texts to explain (default: read --file or stdin, one per line or JSONL {\"text\": ...})");
  cmd->add_option("-f,--file", a->file, "Read texts from this file ('-' = stdin)");
  add_model_options(*cmd, a->model, /*reading_only=*/true);
  cmd->add_option("--method", a->method, "ig (integrated gradients), gxi (gradient x input), occlusion (leave one word out)")
      ->check(CLI::IsMember({"ig", "gxi", "occlusion"}))
      ->capture_default_str();
  cmd->add_option("--steps", a->steps, "Integrated-gradients steps (Gauss-Legendre nodes) to start with")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--tolerance", a->tolerance,
                  "Double the steps while the completeness gap exceeds this share of f(input) - f(baseline) "
                  "(0 = exactly --steps)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--max-steps", a->max_steps, "Most integrated-gradients steps the doubling goes to")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--label", a->label, "Explain this label instead of the predicted one");
  cmd->add_flag("--json", a->json,
                "One JSON object per text: {\"label\", \"score\", \"method\", \"words\": [{\"word\", \"start\", \"end\", "
                "\"score\"}], ...}; spans in code points, positive scores support the label");
  cmd->add_option("--color", a->color, "Colour the words: auto (when stdout is a terminal and NO_COLOR is unset), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  cmd->add_option("--top", a->top, "Strongest words listed for and against (0 = none)")->capture_default_str();
  add_common_options(*cmd, a->common);
  return [a] { return run(*a); };
}

}  // namespace senti::cli
