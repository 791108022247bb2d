// Shared pieces of the senti command line: exit codes, the common flags every subcommand
// takes (threads, verbosity), and the registry of subcommands. Only apps/ parses arguments.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include "senti/classifier.h"

namespace senti::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitRuntimeError = 1,  // the command was well-formed but failed (bad file, bad model, ...)
  kExitUsage = 2,         // the command line itself is wrong
};

struct CommonOptions {
  int threads = 0;  // 0: $SENTI_THREADS, else all hardware threads
  bool quiet = false;
  bool verbose = false;
};

// Model and inference flags shared by predict, eval, serve and explain.
struct ModelOptions {
  std::string model_dir;  // empty: $SENTI_MODEL, else default_model_dir()
  std::string function = "default";
  std::string truncation = "head+tail";
  size_t max_length = 0;
  size_t head_tokens = 0;
  size_t window = 0;
  size_t stride = 0;
  std::string dtype = "f32";
  ClassifyOptions classify_options() const;
  LoadOptions load_options(int threads) const { return {.threads = threads, .dtype = dtype}; }
  std::string resolve_model_dir() const;
};
// `reading_only`: just the model and how texts are read (no scores, no sliding window), for explain.
void add_model_options(CLI::App& cmd, ModelOptions& model, bool reading_only = false);
// The shipped model: <prefix>/share/senti/models/default when installed, else the source tree's.
std::string default_model_dir();

// Adds -t/--threads, -q/--quiet, -v/--verbose to a subcommand.
void add_common_options(CLI::App& cmd, CommonOptions& common);
// Applies verbosity and resolves the thread count (validating $SENTI_THREADS).
int apply_common_options(const CommonOptions& common);
// apply_common_options for train and pretrain, which may be one of several ranks started by
// mpirun (train/ranks.h): ranks other than 0 log warnings and errors only, and the threads per
// rank default to the hardware threads divided by the ranks on this machine.
int apply_training_options(const CommonOptions& common);
// Whether this process prints the command's result (rank 0 of a data-parallel run, or the only one).
bool prints_result();

// A duration: "90s", "20m", "1h30m", "2h", or plain seconds ("3600"); nullopt otherwise.
std::optional<double> parse_duration(const std::string& text);
// --max-time DURATION: a time budget for training (stops as --max-steps does; resumable).
void add_max_time_option(CLI::App& cmd, double& seconds);

// Each subcommand registers itself: it adds its options and returns the action to run.
using Action = std::function<int()>;
Action register_tokenize(CLI::App& app);
Action register_vocab(CLI::App& app);
Action register_predict(CLI::App& app);
Action register_train(CLI::App& app);
Action register_eval(CLI::App& app);
Action register_serve(CLI::App& app);
Action register_pretrain(CLI::App& app);
Action register_distill_data(CLI::App& app);
Action register_convert(CLI::App& app);
Action register_explain(CLI::App& app);

}  // namespace senti::cli
