// `senti distill-data`: builds distillation data (whole reviews, spans of them, unlabeled texts)
// with soft targets from a teacher ensemble, for `senti train`; prints counts and the teachers'
// held-out accuracy as JSON on stdout.
#include <cstdio>

#include "cli.h"
#include "train/distill_data.h"

namespace senti::cli {

Action register_distill_data(CLI::App& app) {
  struct Args {
    CommonOptions common;
    train::DistillDataOptions o;
    bool no_progress = false;
  };
  auto a = std::make_shared<Args>();
  auto& o = a->o;
  CLI::App* cmd = app.add_subcommand(
      "distill-data",
      "Build distillation data for `senti train`: labelled reviews, spans cut from them (sentences, a few sentences, short "
      "word windows) and unlabeled texts, each with a soft target from a teacher ensemble (a cross-fitted NB-weighted "
      "word n-gram logistic model, plus any --teacher classifiers)");
  cmd->add_option("--data", o.data, "Labelled reviews (aclImdb-style folder, .csv or .jsonl), NEGATIVE/POSITIVE")->required();
  cmd->add_option("--unlabeled", o.unlabeled, "Unlabeled texts: folders of .txt, .jsonl or text files; repeatable");
  cmd->add_option("--unlabeled-limit", o.unlabeled_limit, "Use at most N unlabeled texts, chosen by seed (0 = all)")->capture_default_str();
  cmd->add_flag_callback("--no-unlabeled-whole", [&o] { o.unlabeled_whole = false; },
                         "Only the spans of unlabeled texts, not the texts themselves");
  cmd->add_option("--negation-pairs", o.negation_pairs,
                  "Per text, up to N of its sentences with one verb to negate, each also negated or with its negation "
                  "removed (\"is\" <-> \"is not\", \"didn't\" -> \"did\"); a pair's targets are the teacher's answer on the "
                  "member without a negation and its mirror image; a pair is dropped when the teacher is unsure of that "
                  "member or when the words ahead of the negation already lean one way (\"The awful sequel is not long\")")->capture_default_str();
  cmd->add_option("--negation-spans", o.negation_spans,
                  "Per text, up to N of its sentences (2-40 words) that hold a negation (\"not\", \"n't\", \"never\", "
                  "\"no\", ...), as extra spans with the span teacher's targets: more text where a negation decides")
      ->capture_default_str();
  cmd->add_option("--lexicon", o.lexicon,
                  "A word polarity lexicon ('word polarity' lines, e.g. models/lexicon/polarity.tsv): its score of "
                  "each span and negation pair is added to the n-gram teacher's log-odds, weighted by a fit on the "
                  "held-out spans; it knows words that IMDb's review labels say nothing about (\"detest\")");
  cmd->add_option("--lexicon-weight", o.lexicon_weight,
                  "Log-odds a unit of lexicon score adds; 0: the weight that fits the held-out spans best (they "
                  "carry their review's label, so that fit is timid)")->capture_default_str();
  cmd->add_option("--teacher", o.teachers, "A fine-tuned classifier folder to add to the ensemble; repeatable");
  cmd->add_option("--ngram-weight", o.ngram_weight, "The n-gram teacher's share of the ensemble's log-odds (1 without --teacher)")->capture_default_str();
  cmd->add_option("--label-weight", o.label_weight, "A labelled review's target: this much of its label, the rest the teacher's")->capture_default_str();
  cmd->add_option("--span-label-weight", o.span_label_weight, "A labelled review's span: this much of the review's label, the rest the teacher's")->capture_default_str();
  cmd->add_option("--span-temperature", o.span_temperature,
                  "A span's or negation pair's target is sigmoid(teacher log-odds / T): below 1 sharpens the span "
                  "teacher's answers, which are calibrated to the review's label and sit near 0.5 on short texts")
      ->capture_default_str();
  cmd->add_option("--spans", o.spans_per_text, "Spans cut from each text")->capture_default_str();
  cmd->add_option("--validation-fraction", o.validation_fraction, "Labelled reviews held out (validation.jsonl, teacher calibration)")->capture_default_str();
  cmd->add_option("--folds", o.folds, "Cross-fitting folds of the n-gram teacher")->capture_default_str();
  cmd->add_option("--ngram-max-n", o.ngram.max_n, "Word n-grams 1..N")->capture_default_str();
  cmd->add_option("--ngram-l2", o.ngram.l2, "L2 strength of the n-gram logistic regression")->capture_default_str();
  cmd->add_option("--ngram-epochs", o.ngram.epochs, "SGD epochs of the n-gram logistic regression")->capture_default_str();
  cmd->add_option("--eval-data", o.eval_data, "Labelled data to report each teacher's accuracy on, and each text's P(POSITIVE) from every teacher in "
                  "eval_scores.jsonl (never written to the training data)");
  cmd->add_option("-o,--out", o.out_dir, "Output folder: train.jsonl, validation.jsonl, teacher_report.json")->required();
  cmd->add_option("--seed", o.seed, "Seed for the split, folds and spans")->capture_default_str();
  cmd->add_flag("--no-progress", a->no_progress, "No progress bar");
  add_common_options(*cmd, a->common);
  return [a] {
    a->o.threads = apply_common_options(a->common);
    a->o.progress = !a->no_progress && !a->common.quiet;
    train::DistillDataResult r = train::make_distill_data(a->o);
    std::string out = r.to_json() + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitOk;
  };
}

}  // namespace senti::cli
