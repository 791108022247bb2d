// `senti train` and `senti eval`: fine-tuning with frozen layers, and evaluation of a model on
// labelled data. Both print their final metrics as JSON on stdout.
#include <cstdio>

#include "cli.h"
#include "model/truncation.h"
#include "train/suite.h"
#include "train/trainer.h"
#include "util/error.h"

namespace senti::cli {

namespace {
struct TrainArgs {
  CommonOptions common;
  train::TrainOptions o;
  std::string truncation = "head+tail", metric = "accuracy";  // parsed into o when the command runs
  bool skip_bad = false;
  bool no_cache = false;
  bool no_progress = false;
};

struct EvalArgs {
  CommonOptions common;
  ModelOptions model;
  std::string data, report, suite;
  size_t batch_size = 32;
  bool skip_bad = false, no_progress = false;
};
}  // namespace

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
  cmd->add_option("--freeze", o.freeze, "What to freeze: none, all, or a list like embeddings,0-3")->capture_default_str();
  cmd->add_option("--train-top", o.train_top, "Freeze the embeddings and all but the top N layers (overrides --freeze)");
  cmd->add_flag("--no-frozen-cache", a->no_cache, "Recompute the frozen layers every epoch instead of caching their output");
  cmd->add_option("--cache-max-gb", o.cache_max_gb, "Frozen-activation cache size kept in memory; larger goes to a file")->capture_default_str();
  cmd->add_option("--early-stopping", o.early_stopping, "Stop after N epochs without improvement (0 = off)")->capture_default_str();
  cmd->add_option("--metric", a->metric, "Metric that picks the best epoch")
      ->check(CLI::IsMember({"accuracy", "f1", "precision", "recall", "roc_auc", "loss"}))->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed for initialization, data order and dropout")->capture_default_str();
  cmd->add_option("--save-steps", o.save_steps, "Checkpoint for --resume every N steps (and after each epoch)")->capture_default_str();
  cmd->add_option("--max-steps", o.max_steps, "Stop after N optimizer steps (0 = all); continue later with --resume")->capture_default_str();
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
    a->o.threads = apply_common_options(a->common);
    a->o.truncation = *model::parse_truncation(a->truncation);  // the flags' checks allow valid names only
    a->o.metric = *train::parse_metric(a->metric);
    a->o.cache_frozen = !a->no_cache;
    a->o.bad_rows = a->skip_bad ? data::BadRows::kSkip : data::BadRows::kFail;
    a->o.progress = !a->no_progress && !a->common.quiet;
    train::TrainResult r = train::train(a->o);
    std::string out = r.to_json() + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitOk;
  };
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
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitOk;
  };
}

}  // namespace senti::cli
