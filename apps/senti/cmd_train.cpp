// `senti train` and `senti eval`: fine-tuning with frozen layers, and evaluation of a model on
// labelled data. Both print their final metrics as JSON on stdout (eval on a terminal: a short
// summary instead, unless --json); train ends with a line for people on stderr.
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "cli.h"
#include "model/config.h"
#include "model/truncation.h"
#include "train/suite.h"
#include "train/trainer.h"
#include "util/error.h"

namespace senti::cli {

namespace {
struct TrainArgs {
  CommonOptions common;
  train::TrainOptions o;
  std::string truncation = "head+tail", metric = "accuracy", freeze = "none";  // parsed into o when the command runs
  int64_t train_top = -1;
  bool skip_bad = false;
  bool no_cache = false;
  bool no_progress = false;
};

struct EvalArgs {
  CommonOptions common;
  ModelOptions model;
  std::string data, report, suite;
  size_t batch_size = 32;
  bool skip_bad = false, no_progress = false, json = false;
};
}  // namespace

// What a person reads after training (stdout keeps the JSON): where the model is, how good it
// is, whether it learned anything, and the commands that come next.
static std::string train_summary(const train::TrainResult& r, const train::TrainOptions& o) {
  std::string s;
  char buf[320];
  if (!r.finished) {
    std::snprintf(buf, sizeof buf, "senti: stopped after %lld steps; continue with the same command and --resume\n",
                  static_cast<long long>(r.steps));
    return buf;
  }
  const train::Metrics& m = r.best;
  if (m.n > 0) {
    std::snprintf(buf, sizeof buf, "senti: model saved to %s: validation accuracy %.2f %%, F1 %.3f (epoch %d, %zu examples)\n",
                  o.out_dir.c_str(), 100 * m.accuracy, m.f1, r.best_epoch + 1, m.n);
    s += buf;
    if (train::learned_nothing(m))
      s += "senti: warning: the model learned nothing useful: its accuracy is about that of always answering the most "
           "frequent label (" + std::to_string(static_cast<int>(100 * train::majority_rate(m) + 0.5)) +
           " %). Try more epochs, a higher --lr, more data, or --freeze none.\n";
  } else {
    s += "senti: model saved to " + o.out_dir + " (no validation data: --validation-fraction 0)\n";
  }
  s += "senti: next: senti eval -m " + o.out_dir + " --data TEST_DATA --report report.html   # measure it\n"
       "             senti serve -m " + o.out_dir + "                                 # try it in the browser\n";
  return s;
}

Action register_train(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  auto& o = a->o;
  CLI::App* cmd = app.add_subcommand("train", "Fine-tune a DistilBERT checkpoint for sequence classification, with frozen layers");
  cmd->add_option("-m,--model", o.base_model, "Base checkpoint folder (DistilBertForMaskedLM such as distilbert-base-uncased, "
                                              "or a classifier to continue)")->required();
  cmd->add_option("--data", o.data, "Training data: aclImdb-style folder (pos/, neg/), .csv (text/review + label/sentiment) "
                                    "or .jsonl")->required();
  cmd->add_option("--eval-data", o.eval_data, "Validation data (default: a split of --data)");
  cmd->add_option("--validation-fraction", o.validation_fraction, "Fraction of --data held out for validation")->capture_default_str();
  cmd->add_option("--limit", o.limit, "Train on at most this many examples (0 = all)")->capture_default_str();
  cmd->add_option("-o,--out", o.out_dir, "Output folder (Hugging Face layout, report.html, metrics)")->required();
  cmd->add_option("--epochs", o.epochs, "Epochs")->capture_default_str();
  cmd->add_option("-b,--batch-size", o.batch_size, "Examples per micro-batch")->capture_default_str();
  cmd->add_option("--grad-accum", o.grad_accum, "Micro-batches per optimizer step")->capture_default_str();
  cmd->add_option("--max-length", o.max_length, "Tokens per example incl. [CLS]/[SEP]")->capture_default_str();
  cmd->add_option("--truncation", a->truncation, "head, tail or head+tail")->check(CLI::IsMember({"head", "tail", "head+tail"}))->capture_default_str();
  cmd->add_option("--lr", o.adam.lr, "Peak learning rate (AdamW)")->capture_default_str();
  cmd->add_option("--weight-decay", o.adam.weight_decay, "AdamW weight decay (not on biases and LayerNorm)")->capture_default_str();
  cmd->add_option("--warmup-ratio", o.warmup_ratio, "Fraction of steps with linear warmup, then linear decay")->capture_default_str();
  cmd->add_option("--max-grad-norm", o.max_grad_norm, "Gradient clipping (0 = off)")->capture_default_str();
  cmd->add_option("--freeze", a->freeze, "What to freeze: none, all, or a list like embeddings,0-3")->capture_default_str();
  cmd->add_option("--train-top", a->train_top, "Freeze the embeddings and all but the top N layers (overrides --freeze)");
  cmd->add_flag("--no-frozen-cache", a->no_cache, "Recompute the frozen layers every epoch instead of caching their output");
  cmd->add_option("--cache-max-gb", o.cache_max_gb, "Frozen-activation cache size kept in memory; larger goes to a file")->capture_default_str();
  cmd->add_option("--early-stopping", o.early_stopping, "Stop after N epochs without improvement (0 = off)")->capture_default_str();
  cmd->add_option("--metric", a->metric, "Metric that picks the best epoch")
      ->check(CLI::IsMember({"accuracy", "f1", "precision", "recall", "roc_auc", "loss"}))->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed for initialization, data order and dropout")->capture_default_str();
  cmd->add_option("--save-steps", o.save_steps, "Checkpoint for --resume every N steps (and after each epoch)")->capture_default_str();
  cmd->add_option("--max-steps", o.max_steps, "Stop after N optimizer steps (0 = all); continue later with --resume")->capture_default_str();
  add_max_time_option(*cmd, o.max_seconds);
  cmd->add_flag("--bf16", o.bf16, "Matrix products on bf16 copies of the operands, accumulated in f32 (weights, gradients "
                                  "and optimizer state stay f32)");
  cmd->add_flag("--resume", o.resume, "Continue from the checkpoint in --out");
  cmd->add_flag("--overwrite", o.overwrite, "Replace a trained model already in --out (without it, that is an error)");
  cmd->add_option("--labels", o.labels,
                  "The labels to train, in order, comma-separated (default: the base classifier's labels; for a base "
                  "without a classification head, those found in the data)")
      ->delimiter(',');
  cmd->add_flag("--skip-bad-rows", a->skip_bad, "Skip malformed data rows (each is reported) instead of failing");
  cmd->add_flag("--no-progress", a->no_progress, "No progress bar");
  add_common_options(*cmd, a->common);
  return [a] {
    a->o.threads = apply_training_options(a->common);
    a->o.truncation = *model::parse_truncation(a->truncation);  // the flags' checks allow valid names only
    a->o.metric = *train::parse_metric(a->metric);
    const auto freeze = train::parse_freeze_spec(a->freeze);
    if (!freeze)
      fail(ErrorCode::kInvalidArgument, "--freeze: '" + a->freeze + "' is not none, all, embeddings, a layer or a range "
                                        "of layers (e.g. embeddings,0-3)");
    a->o.freeze = *freeze;
    a->o.freeze.train_top = a->train_top;
    a->o.cache_frozen = !a->no_cache;
    a->o.bad_rows = a->skip_bad ? data::BadRows::kSkip : data::BadRows::kFail;
    a->o.progress = !a->no_progress && !a->common.quiet;
    train::TrainResult r = train::train(a->o);
    if (!prints_result()) return kExitOk;
    std::string out = r.to_json() + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (!a->common.quiet) std::fputs(train_summary(r, a->o).c_str(), stderr);
    return kExitOk;
  };
}

// `senti eval` on a terminal: the figures a person looks for, with the labels named.
static std::string eval_summary(const train::Metrics& m, const std::vector<std::string>& labels) {
  char buf[256];
  std::string s;
  std::snprintf(buf, sizeof buf, "accuracy %.2f %% on %zu examples", 100 * m.accuracy, m.n);
  s += buf;
  if (labels.size() == 2) {
    std::snprintf(buf, sizeof buf, "; precision %.4f, recall %.4f and F1 %.4f are those of %s (label 1)", m.precision,
                  m.recall, m.f1, labels[1].c_str());
    s += buf;
    std::snprintf(buf, sizeof buf, "; ROC-AUC %.4f", m.roc_auc);
    s += buf;
  } else {
    std::snprintf(buf, sizeof buf, "; macro-averaged precision %.4f, recall %.4f, F1 %.4f", m.precision, m.recall, m.f1);
    s += buf;
  }
  std::snprintf(buf, sizeof buf, "; calibration error (ECE) %.4f; loss %.4f\n", m.ece, m.loss);
  s += buf;
  size_t w = 9;
  for (const auto& l : labels) w = std::max(w, l.size() + 2);
  s += "confusion matrix (rows: true label, columns: predicted):\n" + std::string(w, ' ');
  for (const auto& l : labels) s += std::string(w - l.size(), ' ') + l;
  s += "\n";
  for (size_t i = 0; i < m.confusion.size() && i < labels.size(); ++i) {
    s += labels[i] + std::string(w - labels[i].size(), ' ');
    for (int64_t v : m.confusion[i]) {
      const std::string n = std::to_string(v);
      s += std::string(w > n.size() ? w - n.size() : 1, ' ') + n;
    }
    s += "\n";
  }
  return s;
}

Action register_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate a classifier on labelled data; prints metrics as JSON");
  add_model_options(*cmd, a->model);
  auto* data = cmd->add_option("--data", a->data, "Labelled data: aclImdb-style folder, .csv or .jsonl");
  auto* suite = cmd->add_option("--suite", a->suite,
                                "Instead of --data: a behavioural suite (JSONL cases by capability, e.g. tests/behaviour/sentiment.jsonl); "
                                "prints the pass rate per capability and the failures");
  data->excludes(suite);
  suite->excludes(data);
  cmd->add_option("--report", a->report, "Also write an HTML report (metrics, confusion matrix, ROC curve, reliability diagram)")
      ->excludes(suite);
  cmd->add_option("-b,--batch-size", a->batch_size, "Texts per forward pass")->capture_default_str();
  cmd->add_flag("--skip-bad-rows", a->skip_bad, "Skip malformed data rows (each is reported) instead of failing");
  cmd->add_flag("--no-progress", a->no_progress, "No progress bar");
  cmd->add_flag("--json", a->json, "Print the metrics as one JSON line also on a terminal (they always are when stdout "
                                   "is a file or a pipe; on a terminal the default is a short summary)");
  add_common_options(*cmd, a->common);
  return [a] {
    const int threads = apply_common_options(a->common);
    if (a->data.empty() && a->suite.empty())
      fail(ErrorCode::kInvalidArgument, "senti eval needs --data (labelled data) or --suite (a behavioural suite)");
    if (!a->suite.empty()) {
      auto cases = train::read_suite(a->suite);
      auto clf = Classifier::load(a->model.resolve_model_dir(), a->model.load_options(threads));
      train::SuiteResult r = train::run_suite(*clf, cases, a->model.classify_options(), a->batch_size);
      if (!a->common.quiet) {
        std::string human = r.table();
        for (const auto& o : r.outcomes)
          if (!o.passed) human += "FAIL " + o.c->id + " \"" + o.c->text + "\" expected " + o.c->label + ": " + o.why + "\n";
        std::fwrite(human.data(), 1, human.size(), stderr);
      }
      std::string out = r.to_json() + "\n";
      std::fwrite(out.data(), 1, out.size(), stdout);
      return kExitOk;
    }
    train::Metrics m = train::evaluate(a->model.resolve_model_dir(), a->data, a->model.classify_options(), a->batch_size,
                                       a->model.load_options(threads), a->skip_bad ? data::BadRows::kSkip : data::BadRows::kFail,
                                       !a->no_progress && !a->common.quiet, a->report);
    std::string out = m.to_json() + "\n";
    if (!a->json && isatty(STDOUT_FILENO)) {
      const std::string dir = a->model.resolve_model_dir();
      out = eval_summary(m, model::DistilBertConfig::from_file(dir + "/config.json").id2label);
      if (!a->report.empty()) out += "report: " + a->report + "\n";
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitOk;
  };
}

}  // namespace senti::cli
